"""`bulkImport` against the real Neo4j: atomic, idempotent by external key, validated per row."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.services import bulk_import as bulk_service
from sfm_graphql.services.bulk_types import MAX_REPORTED_ERRORS, ImportPlan
from sfm_graphql.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

BATCH_SIZE = 1000
BULK = """
mutation($components: [BulkComponentInput!]!, $deliveries: [BulkDeliveryInput!]!, $dryRun: Boolean!) {
  bulkImport(components: $components, deliveries: $deliveries, dryRun: $dryRun) {
    dryRun committed
    componentsCreated componentsUpdated componentsUnchanged
    deliveriesCreated deliveriesUpdated deliveriesUnchanged
    errorCount errors { section row externalKey field code message }
  }
}"""
TYPE_FIELDS: dict[ComponentType, dict[str, Any]] = {
    ComponentType.ACTOR: {
        "sector": "government",
        "powerResources": [{"name": "legal", "value": 0.8}],
    },
    ComponentType.INSTITUTION: {"layer": "FORMAL_RULE", "changeResistance": 0.7},
    ComponentType.POLICY: {"authority": "Congress", "targetSectors": ["energy", "health"]},
    ComponentType.POLICY_INSTRUMENT: {"instrumentType": "ECONOMIC"},
    ComponentType.RESOURCE: {"resourceType": "WASTE", "unit": "ft3"},
    ComponentType.PROCESS: {"technology": "shallow land burial"},
    ComponentType.VALUE_SYSTEM: {"priorityWeight": 0.9},
    ComponentType.BELIEF_SYSTEM: {"domain": "nuclear safety", "strength": 0.4},
    ComponentType.TECHNOLOGY_SYSTEM: {"maturity": 7},
    ComponentType.ECOLOGICAL_SYSTEM: {"ecosystemType": "aquifer"},
    ComponentType.INDICATOR: {
        "unit": "USD/ft3",
        "thresholds": [{"label": "alarm", "value": 1000.0}],
    },
}
TYPES = list(ComponentType)


async def _serve(settings: Settings, token: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        ) as http:
            yield http


@pytest.fixture(scope="module")
async def http(settings: Settings, issue_token: Any) -> AsyncIterator[httpx.AsyncClient]:
    limits = {"max_bulk_rows": 20_000, "bulk_batch_size": BATCH_SIZE}
    token = issue_token("data_manager", ttl_s=3600)
    async for client in _serve(settings.model_copy(update=limits), token):
        yield client


async def run_import(
    http: httpx.AsyncClient,
    components: list[dict[str, Any]] | None = None,
    deliveries: list[dict[str, Any]] | None = None,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    body = await post(http, components or [], deliveries or [], dry_run)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["bulkImport"]
    return payload


async def post(
    http: httpx.AsyncClient,
    components: list[dict[str, Any]],
    deliveries: list[dict[str, Any]],
    dry_run: bool = False,
) -> dict[str, Any]:
    variables = {"components": components, "deliveries": deliveries, "dryRun": dry_run}
    response = await http.post("/graphql", json={"query": BULK, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def components(count: int, prefix: str = "c") -> list[dict[str, Any]]:
    """`count` components cycling through every type, each with fields of its type."""
    rows = []
    for i in range(count):
        component_type = TYPES[i % len(TYPES)]
        rows.append(
            {
                "externalKey": f"{prefix}{i}",
                "type": component_type.value,
                "label": f"{component_type.label} {i}",
                "certainty": 0.5 + (i % 5) / 10,
                "metadata": {"batch": "load", "i": i},
                **TYPE_FIELDS[component_type],
            }
        )
    return rows


def deliveries(
    count: int, rows: list[dict[str, Any]], prefix: str = "d", seed: int = 7
) -> list[dict[str, Any]]:
    """`count` deliveries between `rows`, each of a kind its endpoint types allow."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        source, target = rnd.choice(rows), rnd.choice(rows)
        source_type, target_type = ComponentType(source["type"]), ComponentType(target["type"])
        kinds = [k for k in DeliveryKind if k.allows(source_type, target_type)]
        out.append(
            {
                "externalKey": f"{prefix}{i}",
                "sourceKey": source["externalKey"],
                "targetKey": target["externalKey"],
                "kind": rnd.choice(kinds).value,
                "deliveryType": "INFORMATION",
                "weight": round(rnd.uniform(-1, 1), 3),
                "scenario": rnd.choice(["baseline", "carbon-tax"]),
                "timeSlice": "FY2025",
                "validFrom": "2020-01-01",
            }
        )
    return out


def graph_state(driver: Any) -> dict[str, Any]:
    records, _, _ = driver.execute_query(
        """
        CALL () { MATCH (n:Component)
          RETURN count(n) AS components, collect(DISTINCT n.version) AS componentVersions,
                 max(n.updatedAt) AS componentsUpdatedAt }
        CALL () { MATCH (:Component)-[d:DELIVERS]->(:Component)
          RETURN count(d) AS deliveries, collect(DISTINCT d.version) AS deliveryVersions,
                 max(d.updatedAt) AS deliveriesUpdatedAt }
        RETURN *"""
    )
    return dict(records[0])


def counts(payload: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        payload[name]
        for name in (
            "componentsCreated",
            "componentsUpdated",
            "componentsUnchanged",
            "deliveriesCreated",
            "deliveriesUpdated",
            "deliveriesUnchanged",
        )
    )


async def test_ten_thousand_components_and_deliveries_import_in_one_call_and_rerun_changes_nothing(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    rows = components(10_000)
    flows = deliveries(10_000, rows)

    started = time.perf_counter()
    first = await run_import(http, rows, flows)
    seconds = time.perf_counter() - started
    print(f"bulkImport 10k+10k: {seconds:.2f}s, {20_000 / seconds:.0f} rows/s")

    assert first["committed"] and first["errorCount"] == 0
    assert counts(first) == (10_000, 0, 0, 10_000, 0, 0)
    state = graph_state(neo4j_driver)
    assert (state["components"], state["deliveries"]) == (10_000, 10_000)
    assert state["componentVersions"] == state["deliveryVersions"] == [1]
    labels, _, _ = neo4j_driver.execute_query(
        "MATCH (n:Component) RETURN count(DISTINCT [l IN labels(n) WHERE l <> 'Component']) AS n"
    )
    assert labels[0]["n"] == len(TYPES)

    again = await run_import(http, rows, flows)
    assert again["committed"]
    assert counts(again) == (0, 0, 10_000, 0, 0, 10_000)
    assert graph_state(neo4j_driver) == state  # no new nodes, versions or timestamps


async def test_changed_rows_update_and_bump_their_version_only(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    rows = components(20)
    flows = deliveries(20, rows)
    await run_import(http, rows, flows)
    rows[3] = {**rows[3], "label": "Renamed"}
    rows[4] = {k: v for k, v in rows[4].items() if k != "metadata"}  # a left-out field is cleared
    flows[5] = {**flows[5], "weight": 0.123}

    result = await run_import(http, rows, flows)

    assert counts(result) == (0, 2, 18, 0, 1, 19)
    versions, _, _ = neo4j_driver.execute_query(
        "MATCH (n:Component) RETURN n.externalKey AS key, n.version AS version, n.label AS label, "
        "n.metadataJson AS metadata"
    )
    by_key = {r["key"]: r for r in versions}
    assert by_key["c3"]["version"] == 2 and by_key["c3"]["label"] == "Renamed"
    assert by_key["c4"]["version"] == 2 and by_key["c4"]["metadata"] is None
    assert {r["version"] for k, r in by_key.items() if k not in {"c3", "c4"}} == {1}
    delivery, _, _ = neo4j_driver.execute_query(
        "MATCH ()-[d:DELIVERS {externalKey: 'd5'}]->() RETURN d.version AS version, d.weight AS w"
    )
    assert (delivery[0]["version"], delivery[0]["w"]) == (2, 0.123)


async def test_a_bad_row_anywhere_writes_nothing_and_is_reported(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    rows = components(3000)
    flows = deliveries(3000, rows)
    rows[2345] = {**rows[2345], "certainty": 1.5}
    flows[2999] = {**flows[2999], "targetKey": "nowhere"}

    result = await run_import(http, rows, flows)

    assert not result["committed"]
    assert result["errorCount"] == 2
    assert [
        (e["section"], e["row"], e["externalKey"], e["field"], e["code"]) for e in result["errors"]
    ] == [
        ("COMPONENTS", 2345, "c2345", "certainty", "INVALID_VALUE"),
        ("DELIVERIES", 2999, "d2999", "targetKey", "UNKNOWN_KEY"),
    ]
    assert graph_state(neo4j_driver)["components"] == 0


async def test_a_failure_while_writing_rolls_back_every_written_batch(
    http: httpx.AsyncClient, neo4j_driver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail_after_components(tx: Any, plan: ImportPlan, batch_size: int) -> None:
        await bulk_service._write(tx, "bulk/create_components", plan.component_creates, batch_size)
        raise RuntimeError("the database went away after the component batches")

    monkeypatch.setattr(bulk_service, "write_plan", fail_after_components)
    rows = components(3 * BATCH_SIZE)

    body = await post(http, rows, deliveries(10, rows))

    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert graph_state(neo4j_driver)["components"] == 0


async def test_dry_run_reports_what_would_happen_and_writes_nothing(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    rows = components(10)
    flows = deliveries(10, rows)
    await run_import(http, rows, flows)
    before = graph_state(neo4j_driver)
    rows[0] = {**rows[0], "label": "Changed"}
    more = components(5, prefix="new")

    result = await run_import(
        http, rows + more, flows + deliveries(3, more, prefix="nd"), dry_run=True
    )

    assert result["dryRun"] and not result["committed"]
    assert counts(result) == (5, 1, 9, 3, 0, 10)
    assert graph_state(neo4j_driver) == before


async def test_kind_not_allowed_between_endpoint_types_is_refused(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    await run_import(http, [{"externalKey": "stored-actor", "type": "ACTOR", "label": "Utility"}])
    rows = [{"externalKey": "waste", "type": "RESOURCE", "label": "Waste"}]
    flows = [
        # OWNS runs from an ACTOR or INSTITUTION to a RESOURCE or TECHNOLOGY_SYSTEM.
        {"externalKey": "ok", "sourceKey": "stored-actor", "targetKey": "waste", "kind": "OWNS"},
        {"externalKey": "bad", "sourceKey": "waste", "targetKey": "stored-actor", "kind": "OWNS"},
    ]

    result = await run_import(http, rows, flows)

    assert not result["committed"]
    [error] = result["errors"]
    assert (error["section"], error["row"], error["field"], error["code"]) == (
        "DELIVERIES",
        1,
        "kind",
        "KIND_NOT_ALLOWED",
    )
    assert "RESOURCE to ACTOR" in error["message"]
    assert graph_state(neo4j_driver)["components"] == 1


async def test_duplicate_keys_unknown_endpoints_and_invalid_fields_are_all_reported(
    http: httpx.AsyncClient,
) -> None:
    rows = [
        {"externalKey": "a", "type": "ACTOR", "label": "A"},
        {"externalKey": "a", "type": "ACTOR", "label": "A again"},
        {"externalKey": "p", "type": "POLICY", "label": "P", "sector": "not a policy field"},
        {"externalKey": "bad key!", "type": "ACTOR", "label": "B"},
    ]
    flows = [
        {"externalKey": "x", "sourceKey": "a", "targetKey": "ghost", "kind": "INFORMS"},
        {"externalKey": "x", "sourceKey": "a", "targetKey": "a", "kind": "INFORMS"},
        {
            "externalKey": "y",
            "sourceKey": "a",
            "targetKey": "a",
            "kind": "INFORMS",
            "certainty": -1,
        },
    ]

    result = await run_import(http, rows, flows)

    found = {(e["section"], e["row"], e["field"], e["code"]) for e in result["errors"]}
    assert found == {
        ("COMPONENTS", 1, "externalKey", "DUPLICATE_KEY"),
        ("COMPONENTS", 2, "sector", "INVALID_VALUE"),
        ("COMPONENTS", 3, "externalKey", "INVALID_VALUE"),
        ("DELIVERIES", 0, "targetKey", "UNKNOWN_KEY"),
        ("DELIVERIES", 1, "externalKey", "DUPLICATE_KEY"),
        ("DELIVERIES", 2, "certainty", "INVALID_VALUE"),
    }
    assert result["errorCount"] == len(found) and not result["committed"]


async def test_stored_types_and_delivery_endpoints_cannot_change(http: httpx.AsyncClient) -> None:
    rows = [
        {"externalKey": "a", "type": "ACTOR", "label": "A"},
        {"externalKey": "b", "type": "ACTOR", "label": "B"},
    ]
    await run_import(
        http, rows, [{"externalKey": "ab", "sourceKey": "a", "targetKey": "b", "kind": "INFORMS"}]
    )

    result = await run_import(
        http,
        [{**rows[0], "type": "POLICY"}],
        [{"externalKey": "ab", "sourceKey": "b", "targetKey": "a", "kind": "INFORMS"}],
    )

    assert [(e["section"], e["field"], e["code"]) for e in result["errors"]] == [
        ("COMPONENTS", "type", "TYPE_CHANGED"),
        ("DELIVERIES", "externalKey", "ENDPOINTS_CHANGED"),
    ]


async def test_reported_errors_are_capped_and_counted_in_full(http: httpx.AsyncClient) -> None:
    rows = [
        {"externalKey": f"k{i}", "type": "ACTOR", "label": "x", "certainty": 2} for i in range(1500)
    ]

    result = await run_import(http, rows)

    assert result["errorCount"] == 1500
    assert len(result["errors"]) == MAX_REPORTED_ERRORS
    assert result["errors"][-1]["row"] == 999


async def test_keys_that_are_ids_of_components_without_external_key_adopt_them(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    # What an export does for a component created without an externalKey: its id is the key.
    neo4j_driver.execute_query(
        "CREATE (:Component:Actor {id: 'id-1', label: 'Made by hand', certainty: 1.0, "
        "dataQuality: 'UNKNOWN', version: 1, createdAt: datetime(), updatedAt: datetime()})"
    )
    rows = [{"externalKey": "id-1", "type": "ACTOR", "label": "Made by hand"}]
    flows = [{"externalKey": "loop", "sourceKey": "id-1", "targetKey": "id-1", "kind": "INFORMS"}]

    result = await run_import(http, rows, flows)

    assert counts(result) == (0, 1, 0, 1, 0, 0)  # the row sets externalKey: one update
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (n:Component) RETURN n.id AS id, n.externalKey AS key, n.version AS version"
    )
    assert [dict(r) for r in records] == [{"id": "id-1", "key": "id-1", "version": 2}]


async def test_more_rows_than_the_limit_are_refused_with_limit_exceeded(
    settings: Settings, issue_token: Any
) -> None:
    token = issue_token("data_manager")
    async for small in _serve(settings.model_copy(update={"max_bulk_rows": 5}), token):
        rows = components(4)
        body = await post(small, rows, deliveries(2, rows))
        error = body["errors"][0]
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert error["extensions"]["limit"] == 5
