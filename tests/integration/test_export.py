"""`exportGraph` against the real Neo4j: JSON re-imports, CSV is spreadsheet-safe, GraphML parses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import networkx as nx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.services import wipe_graph

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

MAX_EXPORT_DELIVERIES = 50
EXPORT = """
query($format: ExportFormat!, $scenario: String) {
  exportGraph(format: $format, scenario: $scenario) {
    format mediaType filename content componentCount deliveryCount
  }
}"""
BULK = """
mutation($components: [BulkComponentInput!]!, $deliveries: [BulkDeliveryInput!]!) {
  bulkImport(components: $components, deliveries: $deliveries) {
    committed componentsCreated deliveriesCreated errors { row field message }
  }
}"""
CREATE_COMPONENT = """
mutation($input: CreateComponentInput!) { createComponent(input: $input) { component { uuid } } }"""
SYSTEM_FIELDS = {"id", "createdAt", "updatedAt", "version"}

COMPONENTS: list[dict[str, Any]] = [
    {
        "externalKey": "ne-state",
        "type": "ACTOR",
        "label": "State of Nebraska",
        "description": "Host state",
        "certainty": 0.95,
        "dataQuality": "HIGH",
        "metadata": {"role": "host state", "seats": 3, "agreement": True},
        "sector": "government",
        "powerResources": [{"name": "legal", "value": 0.85}],
    },
    {"externalKey": "compact", "type": "INSTITUTION", "label": "Compact", "layer": "FORMAL_RULE"},
    {
        "externalKey": "llrwpa",
        "type": "POLICY",
        "label": "LLRW Policy Act",
        "enforcement": 0.6,
        "targetSectors": ["energy", "health"],
    },
    {
        "externalKey": "waste",
        "type": "RESOURCE",
        "label": "Waste",
        "resourceType": "WASTE",
        "unit": "ft3",
    },
    {
        "externalKey": "cost",
        "type": "INDICATOR",
        "label": "Cost per ft3",
        "currentValue": 800,
        "thresholds": [{"label": "alarm", "value": 1000.0}],
    },
    {"externalKey": "trl", "type": "TECHNOLOGY_SYSTEM", "label": "Burial", "maturity": 7},
]
DELIVERIES: list[dict[str, Any]] = [
    {
        "externalKey": "d1",
        "sourceKey": "llrwpa",
        "targetKey": "ne-state",
        "kind": "MANDATES",
        "deliveryType": "RULE",
        "weight": 0.8,
        "timeSlice": "1980-1985",
        "validFrom": "1980-12-22",
        "scenario": "baseline",
    },
    # Two parallel deliveries between the same components: money and rules at once.
    {
        "externalKey": "d2",
        "sourceKey": "ne-state",
        "targetKey": "compact",
        "kind": "FUNDS",
        "quantity": 1.5,
    },
    {"externalKey": "d3", "sourceKey": "ne-state", "targetKey": "compact", "kind": "GOVERNS"},
    {
        "externalKey": "d4",
        "sourceKey": "ne-state",
        "targetKey": "waste",
        "kind": "OWNS",
        "scenario": "withdrawal",
        "weight": -0.5,
        "metadata": {"note": "after 1999"},
    },
    {"externalKey": "d5", "sourceKey": "cost", "targetKey": "compact", "kind": "INFORMS"},
]


@pytest.fixture(scope="module")
async def http(settings: Settings, issue_token: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"max_export_deliveries": MAX_EXPORT_DELIVERIES}))
    token = issue_token("data_manager", ttl_s=3600)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        ) as client,
    ):
        yield client


async def graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def bulk(
    http: httpx.AsyncClient, components: list[dict[str, Any]], deliveries: list[dict[str, Any]]
) -> dict[str, Any]:
    body = await graphql(http, BULK, {"components": components, "deliveries": deliveries})
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]["bulkImport"]
    assert result["committed"], result["errors"]
    return result


async def export(http: httpx.AsyncClient, fmt: str, scenario: str | None = None) -> dict[str, Any]:
    body = await graphql(http, EXPORT, {"format": fmt, "scenario": scenario})
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]["exportGraph"]
    return result


async def seed(http: httpx.AsyncClient) -> str:
    """The sample model, plus one component made without an externalKey; returns that one's id."""
    await bulk(http, COMPONENTS, DELIVERIES)
    body = await graphql(
        http, CREATE_COMPONENT, {"input": {"type": "VALUE_SYSTEM", "label": "Self-determination"}}
    )
    assert "errors" not in body, body["errors"]
    uuid: str = body["data"]["createComponent"]["component"]["uuid"]
    await bulk(
        http,
        [],
        [{"externalKey": "d6", "sourceKey": uuid, "targetKey": "ne-state", "kind": "VALUES"}],
    )
    return uuid


def without_system_fields(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in SYSTEM_FIELDS} for row in rows]


async def test_json_export_reimports_into_an_empty_graph_with_the_same_content(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    hand_made = await seed(http)
    first = await export(http, "JSON")
    assert (first["componentCount"], first["deliveryCount"]) == (7, 6)
    assert (first["mediaType"], first["filename"]) == ("application/json", "sfm-graph.json")
    document = json.loads(first["content"])
    by_key = {c["externalKey"]: c for c in document["components"]}
    assert by_key[hand_made]["id"] == hand_made  # no externalKey: the id stands in
    assert by_key["ne-state"]["metadata"] == {"role": "host state", "seats": 3, "agreement": True}
    assert {d["sourceKey"] for d in document["deliveries"] if d["kind"] == "VALUES"} == {hand_made}

    wipe_graph(neo4j_driver)
    result = await bulk(
        http,
        without_system_fields(document["components"]),
        without_system_fields(document["deliveries"]),
    )

    assert (result["componentsCreated"], result["deliveriesCreated"]) == (7, 6)
    again = json.loads((await export(http, "JSON"))["content"])
    key = lambda row: row["externalKey"]  # noqa: E731
    for section in ("components", "deliveries"):
        assert sorted(without_system_fields(again[section]), key=key) == sorted(
            without_system_fields(document[section]), key=key
        )


async def test_graphml_export_parses_back_with_networkx(http: httpx.AsyncClient) -> None:
    await seed(http)

    result = await export(http, "GRAPHML")

    assert result["mediaType"] == "application/graphml+xml"
    graph = nx.parse_graphml(result["content"])
    assert isinstance(graph, nx.MultiDiGraph)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (7, 6)
    labels = {data["externalKey"]: node for node, data in graph.nodes(data=True)}
    assert graph.number_of_edges(labels["ne-state"], labels["compact"]) == 2  # parallel edges kept
    nebraska = graph.nodes[labels["ne-state"]]
    assert nebraska["type"] == "ACTOR" and nebraska["certainty"] == 0.95
    assert json.loads(nebraska["powerResources"]) == [{"name": "legal", "value": 0.85}]
    assert "description" not in graph.nodes[labels["compact"]]  # None is left out
    kinds = sorted(data["kind"] for _, _, data in graph.edges(data=True))
    assert kinds == ["FUNDS", "GOVERNS", "INFORMS", "MANDATES", "OWNS", "VALUES"]


async def test_csv_export_is_one_table_safe_from_formula_injection(http: httpx.AsyncClient) -> None:
    await bulk(
        http,
        [
            {
                "externalKey": "evil",
                "type": "ACTOR",
                "label": '=HYPERLINK("http://x","y")',
                "sector": "@SUM(A1)",
            },
            {"externalKey": "plain", "type": "RESOURCE", "label": "-5 degrees", "unit": "+ft3"},
        ],
        [
            {
                "externalKey": "e1",
                "sourceKey": "evil",
                "targetKey": "plain",
                "kind": "OWNS",
                "weight": -0.5,
            }
        ],
    )

    result = await export(http, "CSV")

    assert result["mediaType"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(result["content"])))
    assert [r["record"] for r in rows] == ["component", "component", "delivery"]
    by_key = {r["externalKey"]: r for r in rows}
    assert by_key["evil"]["label"] == '\'=HYPERLINK("http://x","y")'
    assert by_key["evil"]["sector"] == "'@SUM(A1)"
    assert by_key["plain"]["label"] == "'-5 degrees"
    assert by_key["plain"]["unit"] == "'+ft3"
    assert by_key["e1"]["weight"] == "-0.5"  # a number stays a number
    assert by_key["e1"]["sourceKey"] == "evil" and by_key["e1"]["sector"] == ""
    assert {"sector", "unit", "sourceKey", "kind", "weight"} <= set(rows[0])  # a column per field


async def test_scenario_export_keeps_every_component_and_that_scenarios_deliveries(
    http: httpx.AsyncClient,
) -> None:
    await seed(http)

    result = await export(http, "JSON", scenario="withdrawal")

    document = json.loads(result["content"])
    assert (result["componentCount"], result["deliveryCount"]) == (7, 1)
    assert [d["externalKey"] for d in document["deliveries"]] == ["d4"]
    assert result["filename"] == "sfm-graph-withdrawal.json"


async def test_more_deliveries_than_the_limit_are_refused(http: httpx.AsyncClient) -> None:
    rows = [
        {"externalKey": "a", "type": "ACTOR", "label": "A"},
        {"externalKey": "b", "type": "ACTOR", "label": "B"},
    ]
    flows = [
        {
            "externalKey": f"f{i}",
            "sourceKey": "a",
            "targetKey": "b",
            "kind": "INFORMS",
            "scenario": "big" if i else "small",
        }
        for i in range(MAX_EXPORT_DELIVERIES + 1)
    ]
    await bulk(http, rows, flows)

    body = await graphql(http, EXPORT, {"format": "CSV"})
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert (await export(http, "CSV", scenario="small"))["deliveryCount"] == 1


async def test_a_scenario_that_is_not_a_dimension_value_is_bad_user_input(
    http: httpx.AsyncClient,
) -> None:
    body = await graphql(http, EXPORT, {"format": "JSON", "scenario": "../../etc"})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
