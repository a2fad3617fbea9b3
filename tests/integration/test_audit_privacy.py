"""What the audit log keeps: nothing personal after a purge, the ids a bulk import wrote, and
mutations refused before execution (sampled, so a flood of refusals stays a few events)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

AUDIT_LOG = """
query($filter: AuditLogFilter) {
  auditLog(first: 100, filter: $filter) {
    edges { node {
      principal principalKind action operation targetIds outcome clientIp details
    } }
  }
}"""
CREATE = """
mutation Create($input: CreateComponentInput!) {
  createComponent(input: $input) { component { id uuid version } }
}"""
UPDATE = """
mutation Update($input: UpdateComponentInput!) {
  updateComponent(input: $input) { component { id version } }
}"""
BULK = """
mutation Import($components: [BulkComponentInput!]!) {
  bulkImport(components: $components) { committed componentsCreated errorCount }
}"""
PURGE = """
mutation Purge($id: ID!) { purgePersonalData(componentId: $id) { component { id } } }"""
COMPONENTS = "{ components(first: 100) { edges { node { id uuid externalKey } } } }"

# Personal data of one individual actor, in every place an argument can carry it.
PERSONAL = {
    "label": "Jane Doe",
    "metadata": {"birthYear": 1971, "salaryOfJane": 52000.25, "email": "j@x.org"},
    "powerResources": [{"name": "savingsOfJane", "value": 0.4321}],
    "legalForm": "sole trader Jane",
}
MARKERS = (
    "Jane",
    "birthYear",
    "1971",
    "salary",
    "52000",
    "savings",
    "0.4321",
    "j@x.org",
    "5550100",
)

_addresses = itertools.count(1)


async def _events(admin: GraphQLClient, **filter_: Any) -> list[dict[str, Any]]:
    data = await admin.data(AUDIT_LOG, {"filter": filter_ or None})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def test_nothing_personal_remains_in_the_audit_log_after_a_purge(keyed_gql: Any) -> None:
    manager = await keyed_gql(Role.DATA_MANAGER, subject="dora")
    admin = await keyed_gql(Role.ADMIN)
    created = (await manager.data(CREATE, {"input": {"type": "ACTOR", **PERSONAL}}))[
        "createComponent"
    ]["component"]
    changed = {**PERSONAL, "metadata": {"birthYear": 1972, "phone": 5550100}}
    await manager.data(UPDATE, {"input": {"id": created["id"], "version": 1, **changed}})
    row = {"type": "ACTOR", "externalKey": "actor-jd", **PERSONAL}
    imported = (await manager.data(BULK, {"components": [row]}))["bulkImport"]
    assert imported["committed"], imported
    bulk_id = next(
        e["node"]["id"]
        for e in (await admin.data(COMPONENTS))["components"]["edges"]
        if e["node"]["externalKey"] == "actor-jd"
    )
    await manager.data(PURGE, {"id": created["id"]})
    await manager.data(PURGE, {"id": bulk_id})

    events = await _events(admin, principal="dora")
    assert {e["action"] for e in events} >= {
        "createComponent",
        "updateComponent",
        "bulkImport",
        "purgePersonalData",
    }
    written = json.dumps(events)
    for marker in MARKERS:
        assert marker not in written, marker
    create = next(e for e in events if e["action"] == "createComponent")
    arguments = create["details"]["arguments"]["input"]
    assert arguments["metadata"] == arguments["powerResources"] == "[set]"  # set, nothing more
    assert arguments["type"] == "ACTOR"


async def test_a_bulk_import_records_the_ids_it_wrote_bounded_with_their_count(
    keyed_gql: Any, neo4j_driver: Any
) -> None:
    manager = await keyed_gql(Role.DATA_MANAGER, subject="bulk-ben")
    admin = await keyed_gql(Role.ADMIN)
    rows = [{"type": "POLICY", "label": f"P{i}", "externalKey": f"p-{i}"} for i in range(120)]
    assert (await manager.data(BULK, {"components": rows}))["bulkImport"]["committed"]
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (c:Component) WHERE c.externalKey STARTS WITH 'p-' RETURN c.id AS id"
    )
    stored = {r["id"] for r in records}
    event = (await _events(admin, principal="bulk-ben", action="bulkImport"))[0]
    assert event["details"]["result"]["writtenCount"] == 120
    assert len(event["targetIds"]) == 100  # the first 100 of them
    assert set(event["targetIds"]) <= stored


@asynccontextmanager
async def _app(settings: Settings, **overrides: Any) -> AsyncIterator[Any]:
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


def _http(application: Any, ip: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(ip, 40000))
    return httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers, timeout=30
    )


async def test_refused_mutations_are_audited_once_per_caller_and_window_with_a_count(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    ip = f"203.0.113.{next(_addresses)}"
    body = {"query": CREATE, "variables": {"input": {"type": "POLICY", "label": "x"}}}
    admin = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with _app(settings, audit_refusal_window_s=2) as application:
        async with _http(application, ip) as anonymous:
            for _ in range(15):  # a flood of anonymous mutations
                refused = (await anonymous.post("/graphql", json=body)).json()
                assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            async with _http(application, "192.0.2.200", admin) as http:
                first = await _events(GraphQLClient(http), action="mutation.refused")
            await asyncio.sleep(2.2)  # the next window
            await anonymous.post("/graphql", json=body)
        async with _http(application, "192.0.2.200", admin) as http:
            events = await _events(GraphQLClient(http), action="mutation.refused")
    mine = [e for e in first if e["clientIp"] == ip]
    assert len(mine) == 1, mine
    event = mine[0]
    assert (event["principal"], event["principalKind"], event["outcome"]) == (
        "anonymous",
        "anonymous",
        "UNAUTHENTICATED",
    )
    assert event["operation"] == "Create"
    assert event["details"] == {"rootFields": ["createComponent"], "suppressed": 0}
    later = [e for e in events if e["clientIp"] == ip]
    assert len(later) == 2
    assert later[0]["details"]["suppressed"] == 14  # newest first: counted, then reported


async def test_cost_and_rate_limit_refusals_of_mutations_are_audited(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    ip = f"203.0.113.{next(_addresses)}"
    body = {"query": CREATE, "variables": {"input": {"type": "POLICY", "label": "x"}}}
    costs = {**settings.max_cost_by_role, "editor": 1}
    editor = {"Authorization": f"Bearer {issue_token('editor', subject='eve')}"}
    admin = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with (
        _app(settings, max_cost_by_role=costs) as application,
        _http(application, ip, editor) as http,
    ):
        refused = (await http.post("/graphql", json=body)).json()
        assert refused["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    points = {**settings.rate_limit_points_by_role, "editor": 15}
    async with _app(settings, rate_limit_points_by_role=points) as application:
        async with _http(application, ip, editor) as http:
            codes = []
            for _ in range(3):
                answer = (await http.post("/graphql", json=body)).json()
                codes.append((answer.get("errors") or [{}])[0].get("extensions", {}).get("code"))
            assert "RATE_LIMITED" in codes, codes
        async with _http(application, "192.0.2.200", admin) as http:
            events = await _events(GraphQLClient(http), principal="eve", action="mutation.refused")
    assert {e["outcome"] for e in events} == {"MAX_COST_EXCEEDED", "RATE_LIMITED"}
    assert all(e["principalKind"] == "user" and e["clientIp"] == ip for e in events)
