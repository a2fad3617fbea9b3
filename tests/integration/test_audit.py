"""The audit log: one event per mutation, read-only through the API, masked, pruned by a command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from typing import Any

import pytest

from sfm_graphql.cli import main as cli_main
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.security import audit
from sfm_graphql.security.api_keys import parse_key
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

AUDIT_LOG = """
query($first: Int, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { cursor node {
      id at principal principalKind credentialId action operation targetIds
      versionBefore versionAfter outcome clientIp requestId details
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_COMPONENT = """
mutation Create($input: CreateComponentInput!) {
  createComponent(input: $input) { component { id uuid version } }
}"""
UPDATE_COMPONENT = """
mutation Update($input: UpdateComponentInput!) {
  updateComponent(input: $input) { component { id uuid version } }
}"""
DELETE_COMPONENT = """
mutation Delete($id: ID!, $version: Int) {
  deleteComponent(id: $id, version: $version) { deletedId }
}"""
PURGE = """
mutation Purge($id: ID!) {
  purgePersonalData(componentId: $id) {
    purgedFields
    component { id uuid label description metadata version
      ... on Actor { sector legalForm powerResources { name value } } }
  }
}"""


async def _events(admin: GraphQLClient, **filter_: Any) -> list[dict[str, Any]]:
    data = await admin.data(AUDIT_LOG, {"first": 100, "filter": filter_ or None})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def test_create_update_delete_are_audited_with_principal_ids_and_versions(
    keyed_gql: Any,
) -> None:
    editor = await keyed_gql(Role.EDITOR, subject="erin")
    admin = await keyed_gql(Role.ADMIN)
    created = (
        await editor.data(
            CREATE_COMPONENT,
            {"input": {"type": "ACTOR", "label": "Jane Doe", "metadata": {"email": "j@x.org"}}},
        )
    )["createComponent"]["component"]
    node_id, uuid_ = created["id"], created["uuid"]
    await editor.data(UPDATE_COMPONENT, {"input": {"id": node_id, "version": 1, "label": "J. D."}})
    await editor.data(DELETE_COMPONENT, {"id": node_id, "version": 2})

    events = {e["action"]: e for e in await _events(admin, principal="erin")}
    create, update, delete = (
        events["createComponent"],
        events["updateComponent"],
        events["deleteComponent"],
    )
    for event, operation in ((create, "Create"), (update, "Update"), (delete, "Delete")):
        assert event["principal"] == "erin"
        assert event["principalKind"] == "api_key"
        assert event["credentialId"]
        assert event["operation"] == operation
        assert event["outcome"] == "success"
        assert event["clientIp"] == "127.0.0.1"
        assert uuid_ in event["targetIds"]
    assert (create["versionBefore"], create["versionAfter"]) == (None, 1)
    assert (update["versionBefore"], update["versionAfter"]) == (1, 2)
    assert (delete["versionBefore"], delete["versionAfter"]) == (2, None)
    # The audit log records which fields were set, never their values.
    assert create["details"]["arguments"]["input"]["label"] == "[set]"
    assert create["details"]["arguments"]["input"]["type"] == "ACTOR"
    assert "Jane Doe" not in json.dumps(list(events.values()))
    assert "j@x.org" not in json.dumps(list(events.values()))


async def test_refused_mutations_are_audited_with_their_error_code(keyed_gql: Any) -> None:
    editor = await keyed_gql(Role.EDITOR, subject="erin")
    viewer = await keyed_gql(Role.VIEWER, subject="vic")
    admin = await keyed_gql(Role.ADMIN)
    created = (await editor.data(CREATE_COMPONENT, {"input": {"type": "POLICY", "label": "P"}}))[
        "createComponent"
    ]["component"]
    stale = {"input": {"id": created["id"], "version": 7, "label": "late"}}
    assert await editor.error_code(UPDATE_COMPONENT, stale) == "CONFLICT"
    input_ = {"input": {"type": "POLICY", "label": "Q"}}
    assert await viewer.error_code(CREATE_COMPONENT, input_) == "FORBIDDEN"

    conflict = (await _events(admin, principal="erin", action="updateComponent"))[0]
    assert conflict["outcome"] == "CONFLICT"
    assert conflict["versionBefore"] == 7
    assert created["uuid"] in conflict["targetIds"]
    forbidden = (await _events(admin, principal="vic", action="createComponent"))[0]
    assert forbidden["outcome"] == "FORBIDDEN"


async def test_key_management_is_audited_without_the_key(keyed_gql: Any) -> None:
    owner = await keyed_gql(Role.ADMIN, subject="olga")  # only admin keys manage keys
    admin = await keyed_gql(Role.ADMIN)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    created = (
        await owner.data(
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id keyId } } }",
            {"input": {"name": "nb", "roles": ["VIEWER"], "expiresAt": expires}},
        )
    )["createApiKey"]
    await owner.data(
        "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { status } } }",
        {"id": created["apiKey"]["id"]},
    )
    events = await _events(admin, principal="olga")
    actions = {e["action"] for e in events}
    assert {"createApiKey", "revokeApiKey"} <= actions
    assert all(created["apiKey"]["keyId"] in e["targetIds"] for e in events)
    _, secret = parse_key(created["key"])
    assert secret not in json.dumps(events)
    create = next(e for e in events if e["action"] == "createApiKey")
    assert create["details"]["arguments"]["input"]["roles"] == ["viewer"]


async def test_no_operation_can_change_or_delete_the_audit_log() -> None:
    schema = build_schema()._schema
    mutation = schema.mutation_type
    assert mutation is not None
    assert not [name for name in mutation.fields if "audit" in name.lower()]
    # In the Cypher registry, only the retention command's query deletes events, none updates them;
    # the one other writer is `sfm-graphql restore`, an operator's command that loads a verified
    # backup into an empty database (or one it emptied first with --force), never an API path.
    registry = CypherRegistry.load()
    touching = [
        name
        for name in registry.names()
        if "AuditEvent" in registry.get(name).text and registry.get(name).access == "write"
    ]
    assert sorted(touching) == ["audit/prune_batch", "audit/record", "restore/audit_events"]
    assert "SET" not in registry.get("audit/prune_batch").text
    assert "DELETE" not in registry.get("audit/record").text


async def test_audit_log_is_for_admins_only(keyed_gql: Any) -> None:
    for role in (Role.VIEWER, Role.EDITOR, Role.DATA_MANAGER):
        gql = await keyed_gql(role)
        assert await gql.error_code(AUDIT_LOG, {"first": 1}) == "FORBIDDEN"


async def test_audit_log_pages_newest_first_and_filters(app: Any, keyed_gql: Any) -> None:
    admin = await keyed_gql(Role.ADMIN)
    base = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for minute in range(5):
        event = audit.build_event(action="test.page", principal="pager", principal_kind="system")
        event = dataclasses.replace(event, at=base + dt.timedelta(minutes=minute))
        await audit.store(db=app.state.db, event=event)

    seen: list[dt.datetime] = []
    after = None
    while True:
        data = (
            await admin.data(
                AUDIT_LOG, {"first": 2, "after": after, "filter": {"action": "test.page"}}
            )
        )["auditLog"]
        seen += [dt.datetime.fromisoformat(e["node"]["at"]) for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == 5

    window = {
        "action": "test.page",
        "from": (base + dt.timedelta(minutes=1)).isoformat(),
        "to": (base + dt.timedelta(minutes=3)).isoformat(),
    }
    in_window = await _events(admin, **window)
    assert [dt.datetime.fromisoformat(e["at"]).minute for e in in_window] == [2, 1]
    assert await _events(admin, principal="nobody-at-all") == []


async def test_login_hooks_record_masked_events_and_json_lines(
    app: Any, keyed_gql: Any, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await keyed_gql(Role.ADMIN)
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl"
    api_key = f"sfmk_{uuid.uuid4()}_{'s' * 43}"
    principal = Principal(subject="alice", roles=frozenset({Role.ANALYST}), kind="user")
    with caplog.at_level(logging.INFO, logger=audit.AUDIT_LOGGER):
        await audit.record_login(
            db=app.state.db,
            principal=principal,
            client_ip="192.0.2.7",
            method="client_credentials",
            details={"access_token": jwt, "email": "alice@example.org", "scope": "read"},
        )
        await audit.record_failed_login(
            db=app.state.db,
            client_ip="192.0.2.8",
            method="api_key",
            reason=f"unknown key {api_key}",
            subject="mallory",
        )
        logging.getLogger("sfm_graphql.http").warning("refused Bearer %s", jwt)

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == audit.AUDIT_LOGGER]
    assert {line["action"] for line in lines} == {"login", "login.failed"}
    text = caplog.text
    for secret in (jwt, api_key, "alice@example.org"):
        assert secret not in text

    login = (await _events(admin, principal="alice", action="login"))[0]
    assert login["details"] == {
        "access_token": "[MASKED]",
        "email": "[MASKED]",
        "issuer": "",
        "method": "client_credentials",
        "scope": "read",
    }
    failed = (await _events(admin, principal="mallory", action="login.failed"))[0]
    assert failed["outcome"] == "UNAUTHENTICATED"
    assert failed["clientIp"] == "192.0.2.8"
    assert api_key not in json.dumps(failed)


async def test_mutation_audit_lines_carry_no_credentials(
    keyed_gql: Any, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await keyed_gql(Role.ADMIN)  # only admin keys manage keys
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    with caplog.at_level(logging.DEBUG):
        created = (
            await owner.data(
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }",
                {"input": {"name": "nb", "roles": ["VIEWER"], "expiresAt": expires}},
            )
        )["createApiKey"]
    _, secret = parse_key(created["key"])
    assert any(r.name == audit.AUDIT_LOGGER for r in caplog.records)
    assert secret not in caplog.text


async def test_purge_removes_personal_fields_and_is_audited(keyed_gql: Any) -> None:
    editor = await keyed_gql(Role.EDITOR)
    data_manager = await keyed_gql(Role.DATA_MANAGER, subject="dora")
    admin = await keyed_gql(Role.ADMIN)
    actor = (
        await editor.data(
            CREATE_COMPONENT,
            {
                "input": {
                    "type": "ACTOR",
                    "label": "Jane Doe",
                    "description": "Resident of Boyd County, 42 years old",
                    "sector": "households",
                    "legalForm": "natural person",
                    "metadata": {"email": "jane@example.org", "phone": "+1 555 0100"},
                    "powerResources": [{"name": "votes", "value": 0.1}],
                }
            },
        )
    )["createComponent"]["component"]
    policy = (
        await editor.data(CREATE_COMPONENT, {"input": {"type": "POLICY", "label": "Siting law"}})
    )["createComponent"]["component"]
    delivery = await editor.data(
        "mutation($input: CreateDeliveryInput!) { createDelivery(input: $input) { delivery { id } } }",
        {"input": {"source": actor["id"], "target": policy["id"], "kind": "OPPOSES"}},
    )

    purged = (await data_manager.data(PURGE, {"id": actor["id"]}))["purgePersonalData"]
    component = purged["component"]
    assert component["label"] == "[purged]"
    assert component["description"] is None
    assert component["metadata"] is None
    assert component["legalForm"] is None
    assert component["powerResources"] is None
    assert component["sector"] == "households"  # the analysis keeps the actor's position
    assert component["version"] == 2
    assert set(purged["purgedFields"]) >= {"description", "metadata", "legalForm", "powerResources"}
    still = await editor.data(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": delivery["createDelivery"]["delivery"]["id"]},
    )
    assert still["node"] is not None

    event = (await _events(admin, principal="dora", action="purgePersonalData"))[0]
    assert event["outcome"] == "success"
    assert actor["uuid"] in event["targetIds"]
    assert (event["versionBefore"], event["versionAfter"]) == (1, 2)
    assert "Jane" not in json.dumps(event)


async def test_purge_refuses_components_that_are_not_actors(keyed_gql: Any) -> None:
    editor = await keyed_gql(Role.EDITOR)
    data_manager = await keyed_gql(Role.DATA_MANAGER)
    policy = (
        await editor.data(CREATE_COMPONENT, {"input": {"type": "POLICY", "label": "Siting law"}})
    )["createComponent"]["component"]
    assert await data_manager.error_code(PURGE, {"id": policy["id"]}) == "BAD_USER_INPUT"


async def test_purge_needs_the_data_manager_role(keyed_gql: Any) -> None:
    editor = await keyed_gql(Role.EDITOR)
    actor = (await editor.data(CREATE_COMPONENT, {"input": {"type": "ACTOR", "label": "Jane"}}))[
        "createComponent"
    ]["component"]
    assert await editor.error_code(PURGE, {"id": actor["id"]}) == "FORBIDDEN"


def test_audit_prune_deletes_only_old_events_and_records_that_it_ran(
    settings: Settings, neo4j_driver: Any, clean_graph: None, capsys: pytest.CaptureFixture[str]
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.audit_retention_days + 1)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with neo4j_driver.session() as session:
        for at, n in ((old, 3), (recent, 2)):
            session.run(
                "UNWIND range(1, $n) AS i CREATE (:AuditEvent {id: randomUUID(), at: $at, "
                "action: 'test.prune', principal: 'x'})",
                n=n,
                at=at,
            ).consume()

    assert cli_main(["audit-prune", "--batch-size", "2"]) == 0
    assert "deleted 3 audit event(s)" in capsys.readouterr().out

    with neo4j_driver.session() as session:
        left = session.run(
            "MATCH (e:AuditEvent {action: 'test.prune'}) RETURN count(e) AS n"
        ).single()["n"]
        ran = session.run(
            "MATCH (e:AuditEvent {action: 'audit.prune'}) RETURN e.details AS details"
        ).single()
    assert left == 2
    assert json.loads(ran["details"])["deleted"] == 3
