"""`sfm-graphql seed-demo`: the demo model loads into an empty graph, once."""

from __future__ import annotations

from typing import Any

import pytest

from sfm_graphql.demo.loader import NOT_EMPTY, load_demo, read_demo
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration


async def test_the_demo_loads_into_an_empty_graph_and_only_once(
    settings: Settings, gql: GraphQLClient, neo4j_driver: Any
) -> None:
    demo = read_demo()
    summary = await load_demo(settings, only_if_empty=True)
    assert NOT_EMPTY not in summary
    counts = await gql.data(
        "{ components { totalCount } deliveries { totalCount } matrices { totalCount } }"
    )
    assert counts["components"]["totalCount"] == len(demo.components)
    assert counts["deliveries"]["totalCount"] == len(demo.deliveries)
    assert counts["matrices"]["totalCount"] == len(demo.matrices)
    assert await load_demo(settings, only_if_empty=True) == NOT_EMPTY
    again = await load_demo(settings)  # forced: idempotent by external key
    assert "0 created" in again
    records, _, _ = neo4j_driver.execute_query("MATCH (n:Component) RETURN count(n) AS n")
    assert records[0]["n"] == len(demo.components)


async def test_the_demo_answers_graph_questions(settings: Settings, gql: GraphQLClient) -> None:
    await load_demo(settings, only_if_empty=True)
    hits = await gql.data('{ search(text: "Nebraska", first: 5) { component { id label } } }')
    assert hits["search"]
    center = hits["search"][0]["component"]["id"]
    around = await gql.data(
        "query($id: ID!) { neighborhood(id: $id, depth: 2) { components { label } deliveries { description } } }",
        {"id": center},
    )
    assert len(around["neighborhood"]["components"]) > 3
    assert all(d["description"] for d in around["neighborhood"]["deliveries"])
