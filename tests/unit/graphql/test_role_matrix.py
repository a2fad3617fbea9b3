"""The role x operation table in docs/security.md is the schema's, and every root field has a rule."""

from __future__ import annotations

import re

import strawberry
from graphql import GraphQLInterfaceType

from sfm_graphql.graphql.role_matrix import markdown, rules
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.security.permissions import allow
from sfm_graphql.security.principal import Role
from tests.paths import ROOT

SECURITY_DOC = ROOT / "docs" / "security.md"
START = "<!-- role-matrix:start -->"
END = "<!-- role-matrix:end -->"


def _documented_table() -> str:
    text = SECURITY_DOC.read_text(encoding="utf-8")
    found = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.DOTALL)
    assert found, f"docs/security.md has no table between {START} and {END}"
    return found.group(1)


def test_the_documented_role_matrix_is_the_schemas() -> None:
    assert _documented_table() == markdown(build_schema()), (
        "docs/security.md is out of date: paste the output of "
        "`python -m sfm_graphql.graphql.role_matrix` between the role-matrix markers"
    )


def test_every_root_field_of_the_service_has_a_rule() -> None:
    missing = [r.field for r in rules(build_schema()) if r.rule is None]
    assert not missing, f"root fields without extensions=allow(Role.X): {missing}"


def test_a_field_without_a_rule_is_reported_and_marked_in_the_table() -> None:
    @strawberry.type
    class Query:
        guarded: int = strawberry.field(resolver=lambda: 1, extensions=allow(Role.EDITOR))
        forgotten: int = strawberry.field(resolver=lambda: 2)

    schema = strawberry.Schema(query=Query)
    found = {r.field: r for r in rules(schema)}
    assert found["forgotten"].rule is None
    assert found["guarded"].rule is not None and found["guarded"].rule.role is Role.EDITOR
    assert [found["guarded"].allows(r) for r in Role] == [False, False, True, True, True]
    assert not any(found["forgotten"].allows(r) for r in Role)
    assert "| `forgotten` | query | — | — | — | — | — | **no rule** |" in markdown(schema)


def test_the_ladder_follows_the_documented_rule() -> None:
    """viewer reads and runs analytics; analysts add matrices and scenarios; editors components
    and deliveries; data managers bulk import, export and purge; admins clients and the audit log."""
    required = {r.field: r.rule.role for r in rules(build_schema()) if r.rule is not None}
    by_role: dict[Role, set[str]] = {role: set() for role in Role}
    for field, role in required.items():
        by_role[role].add(field)
    assert {"exportGraph", "bulkImport", "purgePersonalData"} <= by_role[Role.DATA_MANAGER]
    assert {"createComponent", "deleteDelivery"} <= by_role[Role.EDITOR]
    assert {"createMatrix", "createScenario"} <= by_role[Role.ANALYST]
    assert {"auditLog", "oauthClients", "registerOAuthClient"} <= by_role[Role.ADMIN]
    assert {"components", "neighborhood", "compareScenarios"} <= by_role[Role.VIEWER]


def test_node_reaches_only_types_every_viewer_may_read() -> None:
    """`node(id)` needs only `viewer`: a Node type that a viewer may not read would leak."""
    schema = build_schema()._schema
    node, component = schema.get_type("Node"), schema.get_type("Component")
    assert isinstance(node, GraphQLInterfaceType) and isinstance(component, GraphQLInterfaceType)
    reachable = {t.name for t in schema.get_possible_types(node)}
    graph_types = {t.name for t in schema.get_possible_types(component)}
    assert reachable == graph_types | {"Delivery", "Matrix", "Scenario"}
    assert not reachable & {"ApiKey", "OAuthClient", "AuditEvent"}
