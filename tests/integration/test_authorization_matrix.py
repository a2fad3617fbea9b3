"""The role x operation matrix, walked over real HTTP for every root field and every role.

Each root Query and Mutation field of `build_schema()` is sent with minimal arguments generated
from its GraphQL types (valid-looking global ids, first enum values, required input fields), as
anonymous and with an MFA token of each role: anonymous is UNAUTHENTICATED, a role below the
field's rule FORBIDDEN, a role at or above it anything else (BAD_USER_INPUT and NOT_FOUND are
fine: the rule let the call through). A field without a rule fails the walk. Every mutation that
ran leaves exactly one audit event. Separately built apps check the MFA rule for sensitive fields
and the admin address allow-list.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    is_required_argument,
    is_required_input_field,
)

from sfm_graphql.app import create_app
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.graphql.role_matrix import Rule, rules
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings

pytestmark = pytest.mark.integration

ANONYMOUS = "anonymous"
REFUSALS = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})
SUCCESS = "success"
UPLOAD = object()  # a variable sent as a file part (GraphQL multipart request spec)
UPLOAD_CONTENT = b'{"components": [], "deliveries": []}'
AUDIT_LOG = """
query ($principal: String!, $after: String) {
  auditLog(first: 100, after: $after, filter: {principal: $principal}) {
    edges { node { principal principalKind action outcome } }
    pageInfo { hasNextPage endCursor }
  }
}"""


# -- operations with generated arguments ----------------------------------------------------------


@dataclass
class Operation:
    rule: Rule
    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)


def _id_type(field_name: str, argument: str) -> str:
    """The type a generated global id names: what the argument most likely expects."""
    if argument in {"source", "target", "componentId", "componentIds"}:
        return "Actor"
    for hint in ("Matrix", "Delivery", "ApiKey"):
        if hint.lower() in field_name.lower():
            return hint
    return "Actor"


def _sample(type_: Any, *, field_name: str, argument: str) -> Any:
    """A minimal valid-looking value of a GraphQL input type."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, field_name=field_name, argument=argument)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, field_name=field_name, argument=argument)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: _sample(f.type, field_name=field_name, argument=name)
            for name, f in type_.fields.items()
            if is_required_input_field(f)
        }
    assert isinstance(type_, GraphQLScalarType), type_
    now = dt.datetime.now(dt.UTC)
    samples: dict[str, Any] = {
        "ID": to_global_id(_id_type(field_name, argument), str(uuid.uuid4())),
        "String": f"matrix-{argument}",
        "Int": 1,
        "Float": 0.5,
        "Boolean": False,
        "DateTime": (now + dt.timedelta(days=1)).isoformat(),
        "Date": now.date().isoformat(),
        "JSON": {},
        "Upload": UPLOAD,
    }
    assert type_.name in samples, (
        f"{field_name}.{argument}: no sample value for the scalar {type_.name}; add one here"
    )
    return samples[type_.name]


def _selection(type_: Any) -> str:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    composite = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
    return " { __typename }" if isinstance(type_, composite) else ""


def build_operation(schema: GraphQLSchema, rule: Rule) -> Operation:
    """The root field with its required arguments as variables, selecting `__typename`."""
    root = schema.query_type if rule.kind == "query" else schema.mutation_type
    assert root is not None
    graphql_field: GraphQLField = root.fields[rule.field]
    operation = Operation(rule, "")
    declarations: list[str] = []
    arguments: list[str] = []
    for index, (name, argument) in enumerate(graphql_field.args.items()):
        if not is_required_argument(argument):
            continue
        variable = f"a{index}"
        declarations.append(f"${variable}: {argument.type}")
        arguments.append(f"{name}: ${variable}")
        value = _sample(argument.type, field_name=rule.field, argument=name)
        if value is UPLOAD:
            operation.uploads.append(variable)
            value = None
        operation.variables[variable] = value
    # Named by position, not by field: operation names become metric labels, which must not
    # grow field names (tests/integration/test_metrics.py shares this server).
    header = f"{rule.kind} RoleMatrix{rule.kind[0].upper()}{list(root.fields).index(rule.field)}"
    if declarations:
        header += f"({', '.join(declarations)})"
    call = rule.field + (f"({', '.join(arguments)})" if arguments else "")
    operation.document = f"{header} {{ {call}{_selection(graphql_field.type)} }}"
    return operation


async def send(http: httpx.AsyncClient, operation: Operation, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": operation.document, "variables": operation.variables}
    if not operation.uploads:
        return await http.post("/graphql", json=body, headers=headers)
    file_map = {str(i): [f"variables.{v}"] for i, v in enumerate(operation.uploads)}
    files = {
        str(i): ("import.json", UPLOAD_CONTENT, "application/json")
        for i in range(len(operation.uploads))
    }
    return await http.post(
        "/graphql",
        data={"operations": json.dumps(body), "map": json.dumps(file_map)},
        files=files,
        headers={**headers, "Apollo-Require-Preflight": "true"},
    )


@dataclass(frozen=True)
class Outcome:
    code: str  # "success" or the error code
    executed: bool  # the field ran (its error has a path), as opposed to a refusal before it


def outcome(response: httpx.Response, field_name: str) -> Outcome:
    body = response.json()
    errors = body.get("errors") or []
    if not errors:
        return Outcome(SUCCESS, executed=True)
    for error in errors:
        if (error.get("path") or [None])[0] == field_name:
            return Outcome(error.get("extensions", {}).get("code", "?"), executed=True)
    return Outcome(errors[0].get("extensions", {}).get("code", "?"), executed=False)


def expected(rule: Rule, who: str) -> str:
    """What the rule demands of `who`: a refusal code, or "allowed"."""
    assert rule.rule is not None
    if who == ANONYMOUS:
        return "UNAUTHENTICATED"
    return "allowed" if Role(who).rank >= rule.rule.role.rank else "FORBIDDEN"


def verdict(rule: Rule, who: str, got: Outcome) -> str | None:
    """None when `got` is what the rule demands, else a line for the failure report."""
    want = expected(rule, who)
    if want == "allowed":
        if got.code in REFUSALS or got.code == "INTERNAL_SERVER_ERROR":
            return f"{rule.kind} {rule.field} as {who}: expected to be allowed, got {got.code}"
        return None
    if got.code != want:
        return f"{rule.kind} {rule.field} as {who}: expected {want}, got {got.code}"
    return None


def observed_table(observed: dict[tuple[str, str], str], whos: list[str]) -> str:
    lines = ["| operation | " + " | ".join(whos) + " |", "|---|" + "---|" * len(whos)]
    lines += [
        f"| `{name}` | " + " | ".join(observed[name, w] for w in whos) + " |"
        for name in dict.fromkeys(f for f, _ in observed)
    ]
    return "\n".join(lines)


# -- the matrix -------------------------------------------------------------------------------------


def subject_of(who: str) -> str:
    return ANONYMOUS if who == ANONYMOUS else f"matrix-{who}"


async def audit_events(http: httpx.AsyncClient, admin_token: str, principal: str) -> list[Any]:
    events: list[Any] = []
    after = None
    while True:
        response = await http.post(
            "/graphql",
            json={"query": AUDIT_LOG, "variables": {"principal": principal, "after": after}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        body = response.json()
        assert "errors" not in body, body
        page = body["data"]["auditLog"]
        events += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return events
        after = page["pageInfo"]["endCursor"]


def test_every_root_field_has_a_role_rule() -> None:
    missing = [f"{r.kind} {r.field}" for r in rules(build_schema()) if r.rule is None]
    assert not missing, (
        "root fields without a role rule (give them extensions=allow(Role.X)): "
        + ", ".join(missing)
    )


async def test_every_operation_for_every_role_over_http(
    live_server_url: str, settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    schema = build_schema()
    all_rules = rules(schema)
    missing = [r.field for r in all_rules if r.rule is None]
    assert not missing, f"root fields without a role rule: {', '.join(missing)}"
    whos = [ANONYMOUS, *(r.value for r in Role)]
    tokens = {
        who: None if who == ANONYMOUS else issue_token(who, mfa=True, subject=subject_of(who))
        for who in whos
    }
    anonymous_ceiling = settings.max_cost_by_role["anonymous"]
    failures: list[str] = []
    observed: dict[tuple[str, str], str] = {}
    over_ceiling: list[Operation] = []
    ran: Counter[tuple[str, str, str]] = Counter()  # (principal, mutation, outcome)
    async with httpx.AsyncClient(base_url=live_server_url, timeout=60) as http:
        for rule in all_rules:
            operation = build_operation(schema._schema, rule)
            for who in whos:
                response = await send(http, operation, tokens[who])
                got = outcome(response, rule.field)
                observed[rule.field, who] = got.code
                if (
                    who == ANONYMOUS
                    and got.code == "MAX_COST_EXCEEDED"
                    and response.json()["extensions"]["cost"]["requested"] > anonymous_ceiling
                ):
                    over_ceiling.append(operation)  # refused before any field ran; see below
                    continue
                failure = verdict(rule, who, got)
                if failure is not None:
                    failures.append(f"{failure}\n    {operation.document}\n    {response.text}")
                if rule.kind == "mutation" and got.executed:
                    ran[subject_of(who), rule.field, got.code] += 1
        print("\n" + observed_table(observed, whos))
        assert not failures, "\n".join(failures)

        # One audit event per mutation that ran, refused ones included, with its outcome.
        mutations = {r.field for r in all_rules if r.kind == "mutation"}
        auditor = issue_token("admin", mfa=True, subject="matrix-auditor")
        recorded: Counter[tuple[str, str, str]] = Counter()
        for who in whos:
            for event in await audit_events(http, auditor, subject_of(who)):
                if event["action"] in mutations:
                    kind = "anonymous" if who == ANONYMOUS else "user"
                    assert event["principalKind"] == kind, event
                    recorded[event["principal"], event["action"], event["outcome"]] += 1
    assert {m for _, m, _ in ran} == mutations, "every mutation ran for some principal"
    assert recorded == ran

    # Static limits are checked before any field runs, so an anonymous caller sending an
    # operation over its cost ceiling hears MAX_COST_EXCEEDED first. With that ceiling out of
    # the way, the field's own rule must still refuse the caller.
    unlimited = {**settings.max_cost_by_role, "anonymous": 10**9}
    async with (
        separate_app(settings, max_cost_by_role=unlimited) as application,
        _client(application) as anonymous,
    ):
        for operation in over_ceiling:
            got = outcome(await send(anonymous, operation, None), operation.rule.field)
            assert got.code == "UNAUTHENTICATED", (operation.rule.field, got)


# -- MFA for sensitive fields; the admin address allow-list ---------------------------------------


@asynccontextmanager
async def separate_app(settings: Settings, **overrides: Any) -> AsyncIterator[Any]:
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


def _client(application: Any, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)


async def test_sensitive_fields_need_an_mfa_token_when_the_setting_says_so(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    schema = build_schema()
    sensitive = [r for r in rules(schema) if r.rule is not None and r.rule.sensitive]
    plain = [r for r in rules(schema) if r.rule is not None and not r.rule.sensitive]
    assert sensitive and plain
    without_mfa = issue_token("admin", subject="mfa-less-admin")
    with_mfa = issue_token("admin", mfa=True, subject="mfa-admin")
    async with (
        separate_app(settings, require_mfa_for_sensitive=True) as application,
        _client(application) as http,
    ):
        for rule in sensitive:
            operation = build_operation(schema._schema, rule)
            refused = outcome(await send(http, operation, without_mfa), rule.field)
            assert refused.code == "FORBIDDEN", (rule.field, refused)
            allowed = outcome(await send(http, operation, with_mfa), rule.field)
            assert allowed.code not in REFUSALS, (rule.field, allowed)
        # Fields that are not sensitive do not ask for MFA.
        for rule in plain[:3]:
            operation = build_operation(schema._schema, rule)
            got = outcome(await send(http, operation, without_mfa), rule.field)
            assert got.code not in REFUSALS, (rule.field, got)


async def test_admin_fields_are_refused_outside_the_admin_address_ranges(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    schema = build_schema()
    admin_only = [r for r in rules(schema) if r.rule is not None and r.rule.role is Role.ADMIN]
    for_viewers = [r for r in rules(schema) if r.rule is not None and r.rule.role is Role.VIEWER]
    assert admin_only and for_viewers
    admin = issue_token("admin", mfa=True, subject="remote-admin")
    async with (
        separate_app(settings, admin_allowed_cidrs=("10.0.0.0/8", "fd00::/8")) as application,
        _client(application, "127.0.0.1") as outside,
        _client(application, "10.1.2.3") as inside,
    ):
        for rule in admin_only:
            operation = build_operation(schema._schema, rule)
            refused = outcome(await send(outside, operation, admin), rule.field)
            assert refused.code == "FORBIDDEN", (rule.field, refused)
            allowed = outcome(await send(inside, operation, admin), rule.field)
            assert allowed.code not in REFUSALS, (rule.field, allowed)
        # The allow-list guards admin operations only; the admin's other fields still work.
        for rule in for_viewers[:3]:
            operation = build_operation(schema._schema, rule)
            got = outcome(await send(outside, operation, admin), rule.field)
            assert got.code not in REFUSALS, (rule.field, got)
