"""search, neighborhood, node and nodes, deliveryKinds, and delivery rules."""

from __future__ import annotations

import pytest

from tests.integration.helpers import CREATE_DELIVERY, create_component, create_delivery
from tests.services import GraphQLClient, StatementCounter

pytestmark = pytest.mark.integration


async def test_delivery_kinds_are_checked_against_endpoint_types(gql: GraphQLClient) -> None:
    policy = await create_component(gql, "POLICY", "P")
    actor = await create_component(gql, "ACTOR", "A")
    body = await gql.execute(
        CREATE_DELIVERY, {"input": {"source": policy, "target": actor, "kind": "EMPLOYS"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "EMPLOYS" in body["errors"][0]["message"]
    assert (await gql.data("{ deliveries { totalCount } }"))["deliveries"]["totalCount"] == 0
    await create_delivery(gql, actor, actor, "EMPLOYS")


async def test_delivery_validity_must_be_ordered(gql: GraphQLClient) -> None:
    a = await create_component(gql, "ACTOR", "A")
    body = await gql.execute(
        CREATE_DELIVERY,
        {
            "input": {
                "source": a,
                "target": a,
                "kind": "SUPPORTS",
                "validFrom": "2025-01-01",
                "validTo": "2024-01-01",
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_update_delivery_checks_version_and_kind(gql: GraphQLClient) -> None:
    p = await create_component(gql, "POLICY", "P")
    a = await create_component(gql, "ACTOR", "A")
    d = await create_delivery(gql, p, a, "FUNDS", deliveryType="MONEY", weight=0.2)
    update = "mutation($i: UpdateDeliveryInput!) { updateDelivery(input: $i) { delivery { kind weight version ceremonialTendency } } }"
    data = await gql.data(update, {"i": {"id": d, "version": 1, "kind": "GOVERNS", "weight": 0.9}})
    assert data["updateDelivery"]["delivery"] == {
        "kind": "GOVERNS",
        "weight": 0.9,
        "version": 2,
        "ceremonialTendency": 0.75,
    }
    assert await gql.error_code(update, {"i": {"id": d, "version": 1, "weight": 0.1}}) == "CONFLICT"
    assert (
        await gql.error_code(update, {"i": {"id": d, "version": 2, "kind": "EMPLOYS"}})
        == "BAD_USER_INPUT"
    )
    deleted = await gql.data(
        "mutation($id: ID!) { deleteDelivery(id: $id, version: 2) { deletedId } }", {"id": d}
    )
    assert deleted["deleteDelivery"]["deletedId"] == d


async def test_parallel_deliveries_between_the_same_components(gql: GraphQLClient) -> None:
    p = await create_component(gql, "POLICY", "P")
    a = await create_component(gql, "ACTOR", "A")
    await create_delivery(gql, p, a, "FUNDS", deliveryType="MONEY")
    await create_delivery(gql, p, a, "REGULATES", deliveryType="RULE")
    data = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Component { outgoing { totalCount } } } }",
        {"id": p},
    )
    assert data["node"]["outgoing"]["totalCount"] == 2


async def test_search_ranks_matches_and_escapes_query_syntax(gql: GraphQLClient) -> None:
    await create_component(
        gql, "ACTOR", "Nebraska Department of Environmental Quality", description="state regulator"
    )
    await create_component(gql, "ACTOR", "US Ecology", description="site developer in Nebraska")
    await create_component(gql, "POLICY", "Compact law")
    data = await gql.data('{ search(text: "nebraska") { score component { label } } }')
    labels = [h["component"]["label"] for h in data["search"]]
    assert set(labels) == {"Nebraska Department of Environmental Quality", "US Ecology"}
    assert all(h["score"] > 0 for h in data["search"])
    data = await gql.data('{ search(text: "nebraska", types: [POLICY]) { component { label } } }')
    assert data["search"] == []
    for weird in ['AND OR "(', "title:x*", "\\", "a && b || !c"]:
        body = await gql.execute("query($t: String!) { search(text: $t) { score } }", {"t": weird})
        assert "errors" not in body, body
    assert await gql.error_code('{ search(text: "   ") { score } }') == "BAD_USER_INPUT"


async def test_neighborhood_respects_depth_direction_and_kinds(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    a = await create_component(gql, "POLICY", "a")
    b = await create_component(gql, "ACTOR", "b")
    c = await create_component(gql, "ACTOR", "c")
    d = await create_component(gql, "RESOURCE", "d")
    await create_delivery(gql, a, b, "REGULATES")
    await create_delivery(gql, b, c, "FUNDS", scenario="other")
    await create_delivery(gql, c, d, "OWNS")
    query = """query($id: ID!, $depth: Int!, $dir: Direction!, $kinds: [DeliveryKind!], $scenario: String) {
      neighborhood(id: $id, depth: $depth, direction: $dir, kinds: $kinds, scenario: $scenario) {
        center { label } components { label outgoing { totalCount } } distances { hops }
        deliveries { kind source { label } target { label } } truncated } }"""
    statements.names.clear()
    data = (await gql.data(query, {"id": a, "depth": 2, "dir": "OUTGOING"}))["neighborhood"]
    assert statements.names == ["compose/neighborhood"]
    assert [c["label"] for c in data["components"]] == ["a", "b", "c"]
    assert [x["hops"] for x in data["distances"]] == [0, 1, 2]
    assert {(x["source"]["label"], x["target"]["label"]) for x in data["deliveries"]} == {
        ("a", "b"),
        ("b", "c"),
    }
    assert data["truncated"] is False
    data = (await gql.data(query, {"id": d, "depth": 3, "dir": "OUTGOING"}))["neighborhood"]
    assert [c["label"] for c in data["components"]] == ["d"]
    data = (
        await gql.data(query, {"id": d, "depth": 3, "dir": "INCOMING", "scenario": "baseline"})
    )["neighborhood"]
    assert [c["label"] for c in data["components"]] == ["d", "c"]
    data = (await gql.data(query, {"id": b, "depth": 1, "dir": "BOTH", "kinds": ["FUNDS"]}))[
        "neighborhood"
    ]
    assert [c["label"] for c in data["components"]] == ["b", "c"]
    body = await gql.execute(query, {"id": a, "depth": 99, "dir": "BOTH"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nodes_returns_each_id_in_order_with_null_for_unknown(gql: GraphQLClient) -> None:
    from sfm_graphql.graphql.core.ids import to_global_id

    a = await create_component(gql, "ACTOR", "a")
    p = await create_component(gql, "POLICY", "p")
    d = await create_delivery(gql, p, a, "FUNDS")
    ghost = to_global_id("Actor", "00000000-0000-4000-8000-000000000000")
    data = await gql.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }", {"ids": [d, ghost, p, a]}
    )
    assert [n and n["__typename"] for n in data["nodes"]] == ["Delivery", None, "Policy", "Actor"]


async def test_delivery_kinds_vocabulary(gql: GraphQLClient) -> None:
    data = await gql.data(
        "{ deliveryKinds { kind family ceremonialTendency allowedSourceTypes allowedTargetTypes } }"
    )
    kinds = {k["kind"]: k for k in data["deliveryKinds"]}
    assert kinds["CEREMONIALLY_REINFORCES"]["ceremonialTendency"] == 0.95
    assert kinds["OWNS"]["allowedTargetTypes"] == ["RESOURCE", "TECHNOLOGY_SYSTEM"]
    assert len(kinds) >= 50
