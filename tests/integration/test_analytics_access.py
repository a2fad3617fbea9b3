"""The global analyses are for analysts and above, costed, bounded, and name resolvable ids."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.integration.analytics_graphs import reference, seed, shape
from tests.services import GraphQLClient

pytestmark = [pytest.mark.integration]

FIELDS = {
    "centrality": "{ centrality(measure: DEGREE) { rank component { id } } }",
    "communities": "{ communities(algorithm: LOUVAIN) { modularity } }",
    "connectedComponents": "{ connectedComponents { size } }",
    "vulnerability": "{ vulnerability { bridgeCount } }",
    "graphStatistics": "{ graphStatistics { nodeCount } }",
    "ceremonialInstrumental": "{ ceremonialInstrumental { overall { deliveryCount } } }",
    "centralityShifts": '{ compareScenarios(base: "baseline", other: "reform") '
    "{ centralityShifts { rankChange } } }",
}


@pytest.mark.parametrize("field", sorted(FIELDS))
async def test_a_viewer_is_refused_and_an_analyst_answered(
    token_gql: Any, gql: GraphQLClient, field: str
) -> None:
    await seed(gql, shape("cycles"), scenario="baseline", key_prefix="b")
    await seed(gql, shape("cycles"), scenario="reform", key_prefix="r")
    viewer: GraphQLClient = token_gql(Role.VIEWER)
    assert await viewer.error_code(FIELDS[field]) == "FORBIDDEN"
    analyst: GraphQLClient = token_gql(Role.ANALYST)
    await analyst.data(FIELDS[field])


async def test_every_id_in_a_result_resolves_with_node(gql: GraphQLClient) -> None:
    await seed(gql, shape("disconnected"))
    query = """{
      vulnerability(top: 3) {
        articulationPoints { id } bridges { source { id } target { id } }
        weakComponents { members { id } } topBetweenness { component { id } }
      }
      centrality(measure: PAGERANK, top: 3) { component { id } }
    }"""
    found = await gql.data(query)
    ids: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            ids.update(v for k, v in value.items() if k == "id")
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    collect(found)
    assert len(ids) > 10
    for global_id in ids:
        node = await gql.data("query($id: ID!) { node(id: $id) { id } }", {"id": global_id})
        assert node["node"] == {"id": global_id}


async def _cost(gql: GraphQLClient, query: str) -> int:
    body = await gql.execute(query)
    requested: int = body["extensions"]["cost"]["requested"]
    return requested


async def test_the_cost_follows_top_and_limit(gql: GraphQLClient) -> None:
    small = await _cost(gql, "{ centrality(measure: DEGREE, top: 10) { score } }")
    large = await _cost(gql, "{ centrality(measure: DEGREE, top: 1000) { score } }")
    assert large - small == 990  # one per listed score
    nested = "{ communities(algorithm: LOUVAIN, limit: %d) { communities { members { id } } } }"
    few, many = await _cost(gql, nested % 2), await _cost(gql, nested % 200)
    assert many > 50 * few / 2  # the nested lists read the root field's limit
    huge = "{ communities(algorithm: LOUVAIN, limit: 10000) { communities { members { id } } } }"
    assert await gql.error_code(huge) in ("COST_LIMIT_EXCEEDED", "BAD_USER_INPUT")


async def test_the_scope_narrows_the_graph(gql: GraphQLClient) -> None:
    seeded = await seed(gql, shape("dense"))
    query = """query($kinds: [DeliveryKind!], $types: [ComponentType!], $timeSlice: String) {
      centrality(measure: DEGREE, top: 1000, kinds: $kinds, types: $types, timeSlice: $timeSlice)
      { component { uuid } }
    }"""
    only = [r for r in seeded.shape.rows if r[3] == "INFORMS"]
    found = await gql.data(query, {"kinds": ["INFORMS"]})
    assert {e["component"]["uuid"] for e in found["centrality"]} == set(
        reference(only, seeded.uuids).nodes
    )
    none = await gql.data(query, {"timeSlice": "FY1900"})
    assert none["centrality"] == []
    bad = await gql.error_code(query, {"timeSlice": "!bad!"})
    assert bad == "BAD_USER_INPUT"


async def test_a_graph_over_the_node_bound_is_refused(
    gql: GraphQLClient, settings: Settings, issue_token: Any
) -> None:
    await seed(gql, shape("tree"))
    app = create_app(settings.model_copy(update={"analysis_max_nodes": 10}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issue_token('analyst')}"},
        ) as http,
    ):
        small = GraphQLClient(http)
        for query in FIELDS.values():
            if "ceremonial" in query or "compareScenarios" in query:
                continue  # read deliveries, not the analysis graph
            assert await small.error_code(query) == "ANALYSIS_TOO_LARGE"
