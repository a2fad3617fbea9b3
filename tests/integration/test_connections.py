"""Relay connections: keyset pages both ways, filters, sorts, totalCount, and no N+1."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient, StatementCounter

pytestmark = pytest.mark.integration

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $order: ComponentOrder, $filter: ComponentFilter) {
  components(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
    edges { cursor node { label } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def _labels(gql: GraphQLClient, **variables: Any) -> tuple[list[str], dict[str, Any]]:
    data = (await gql.data(PAGE, variables))["components"]
    return [e["node"]["label"] for e in data["edges"]], data["pageInfo"]


@pytest.fixture
async def thirty(gql: GraphQLClient) -> list[str]:
    labels = [f"C{i:02d}" for i in range(30)]
    for i, label in enumerate(labels):
        await create_component(
            gql, "ACTOR" if i % 2 else "POLICY", label, **({"sector": "energy"} if i % 2 else {})
        )
    return labels


async def test_forward_pages_cover_everything_once(gql: GraphQLClient, thirty: list[str]) -> None:
    seen: list[str] = []
    after = None
    while True:
        labels, info = await _labels(gql, first=7, after=after)
        seen += labels
        if not info["hasNextPage"]:
            break
        assert info["endCursor"]
        after = info["endCursor"]
    assert seen == thirty


async def test_backward_pages_from_the_end(gql: GraphQLClient, thirty: list[str]) -> None:
    labels, info = await _labels(gql, last=5)
    assert labels == thirty[-5:]
    assert info["hasPreviousPage"] is True
    labels, info = await _labels(gql, last=5, before=info["startCursor"])
    assert labels == thirty[-10:-5]


async def test_descending_order_and_cursor_for_another_order_is_refused(
    gql: GraphQLClient, thirty: list[str]
) -> None:
    labels, info = await _labels(gql, first=3, order={"field": "LABEL", "direction": "DESC"})
    assert labels == ["C29", "C28", "C27"]
    labels, _ = await _labels(
        gql, first=3, after=info["endCursor"], order={"field": "LABEL", "direction": "DESC"}
    )
    assert labels == ["C26", "C25", "C24"]
    body = await gql.execute(
        PAGE, {"first": 3, "after": info["endCursor"], "order": {"field": "CREATED_AT"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_keyset_pages_stay_stable_when_items_are_inserted_before_the_cursor(
    gql: GraphQLClient, thirty: list[str]
) -> None:
    labels, info = await _labels(gql, first=10)
    await create_component(gql, "ACTOR", "A-before-everything")
    labels, _ = await _labels(gql, first=5, after=info["endCursor"])
    assert labels == thirty[10:15]


async def test_page_size_is_capped(gql: GraphQLClient, thirty: list[str]) -> None:
    body = await gql.execute(PAGE, {"first": 101})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 0 and 100" in body["errors"][0]["message"]


async def test_filters_by_type_text_and_sector(gql: GraphQLClient, thirty: list[str]) -> None:
    labels, _ = await _labels(gql, first=100, filter={"types": ["POLICY"]})
    assert labels == thirty[0::2]
    labels, _ = await _labels(gql, first=100, filter={"sector": "energy", "text": "c1"})
    assert labels == ["C11", "C13", "C15", "C17", "C19"]


async def test_total_count_matches_the_filter(gql: GraphQLClient, thirty: list[str]) -> None:
    data = await gql.data(
        "{ components(first: 2, filter: {types: [ACTOR]}) { totalCount edges { node { id } } } }"
    )
    assert data["components"]["totalCount"] == 15
    assert len(data["components"]["edges"]) == 2


NESTED = """
query {
  components(first: 10, filter: {types: [POLICY]}) {
    edges { node { label
      outgoing(first: 5) { totalCount edges { node { kind target { label
        outgoing(first: 5) { edges { node { kind target { label } } } }
        incoming { totalCount }
      } } } }
    } }
  }
}"""


async def test_two_nested_levels_cost_one_statement(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    policies = [await create_component(gql, "POLICY", f"P{i}") for i in range(4)]
    actors = [await create_component(gql, "ACTOR", f"A{i}") for i in range(4)]
    resources = [await create_component(gql, "RESOURCE", f"R{i}") for i in range(2)]
    for p in policies:
        for a in actors:
            await create_delivery(gql, p, a, "REGULATES", deliveryType="RULE")
    for a in actors:
        for r in resources:
            await create_delivery(gql, a, r, "OWNS", deliveryType="AUTHORITY")
    statements.names.clear()
    data = await gql.data(NESTED)
    assert statements.names == ["compose/components_page"]
    edges = data["components"]["edges"]
    assert len(edges) == 4
    first_target = edges[0]["node"]["outgoing"]["edges"][0]["node"]["target"]
    assert edges[0]["node"]["outgoing"]["totalCount"] == 4
    assert first_target["incoming"]["totalCount"] == 4
    assert {e["node"]["target"]["label"] for e in first_target["outgoing"]["edges"]} == {"R0", "R1"}


async def test_fragments_and_aliases_are_planned_too(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    p = await create_component(gql, "POLICY", "P")
    a = await create_component(gql, "ACTOR", "A")
    await create_delivery(gql, p, a, "FUNDS", deliveryType="MONEY", scenario="s1")
    await create_delivery(gql, p, a, "REGULATES", deliveryType="RULE", scenario="s2")
    statements.names.clear()
    query = """
    fragment Flows on Component {
      money: outgoing(filter: {kinds: [FUNDS]}) { edges { node { kind } } }
      rules: outgoing(filter: {scenario: "s2"}) { edges { node { kind target { label } } } }
    }
    query { components(filter: {types: [POLICY]}) { edges { node { ... on Policy { ...Flows } } } } }"""
    node = (await gql.data(query))["components"]["edges"][0]["node"]
    assert statements.names == ["compose/components_page"]
    assert [e["node"]["kind"] for e in node["money"]["edges"]] == ["FUNDS"]
    assert node["rules"]["edges"][0]["node"] == {"kind": "REGULATES", "target": {"label": "A"}}


async def test_root_deliveries_filter_by_dimensions_and_plan_endpoints(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    p = await create_component(gql, "POLICY", "P")
    a = await create_component(gql, "ACTOR", "A")
    await create_delivery(
        gql,
        p,
        a,
        "FUNDS",
        deliveryType="MONEY",
        scenario="carbon-tax",
        timeSlice="FY2025",
        spatialUnit="US-NE",
        validFrom="2025-01-01",
        validTo="2025-12-31",
        weight=0.5,
    )
    await create_delivery(gql, p, a, "FUNDS", deliveryType="MONEY", timeSlice="FY2024")
    statements.names.clear()
    query = """query($f: DeliveryFilter) { deliveries(filter: $f) { totalCount edges { node { scenario source { label } target { label } } } } }"""
    data = await gql.data(
        query, {"f": {"scenario": "carbon-tax", "spatialUnit": "US-NE", "validAt": "2025-06-01"}}
    )
    assert statements.names == ["compose/deliveries_page"]
    assert data["deliveries"]["totalCount"] == 1
    assert data["deliveries"]["edges"][0]["node"] == {
        "scenario": "carbon-tax",
        "source": {"label": "P"},
        "target": {"label": "A"},
    }
    data = await gql.data(query, {"f": {"validAt": "2026-06-01", "timeSlice": "FY2025"}})
    assert data["deliveries"]["totalCount"] == 0
    data = await gql.data(query, {"f": {"source": p, "kinds": ["FUNDS"], "minWeight": 0.9}})
    assert data["deliveries"]["totalCount"] == 1


NESTED_PAGE = """
query($id: ID!, $after: String) {
  node(id: $id) { ... on Component {
    first: outgoing(first: 2, after: $after) {
      edges { cursor node { target { label } } }
      pageInfo { hasNextPage endCursor }
    }
    plain: outgoing(first: 2, after: $after) { edges { node { target { label } } } }
  } }
}"""


async def test_nested_cursors_page_through_a_component_s_deliveries(gql: GraphQLClient) -> None:
    # A nested page fetches its sort key only when a cursor is selected: the aliased page
    # without cursors and the one with them must still list the same deliveries.
    hub = await create_component(gql, "POLICY", "Hub")
    for i in range(5):
        target = await create_component(gql, "ACTOR", f"T{i}")
        await create_delivery(gql, hub, target, "REGULATES", deliveryType="RULE")
    seen: list[str] = []
    after = None
    while True:
        found = (await gql.data(NESTED_PAGE, {"id": hub, "after": after}))["node"]
        page = found["first"]
        labels = [e["node"]["target"]["label"] for e in page["edges"]]
        assert labels == [e["node"]["target"]["label"] for e in found["plain"]["edges"]]
        assert page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"]
        seen += labels
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == [f"T{i}" for i in range(5)]
