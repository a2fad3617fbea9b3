"""communities, connectedComponents and vulnerability over real HTTP against NetworkX."""

from __future__ import annotations

from typing import Any

import httpx
import networkx as nx
import pytest
from networkx.algorithms import community as nx_community

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.integration.analytics_graphs import SHAPE_NAMES, seed, shape
from tests.services import GraphQLClient

pytestmark = [pytest.mark.integration]

COMMUNITIES = """
query($algorithm: CommunityAlgorithm!) {
  communities(algorithm: $algorithm) {
    modularity count truncated
    communities { id size membersTruncated members { uuid } }
  }
}"""
GROUPS = """
query($strong: Boolean) {
  connectedComponents(strong: $strong, limit: 1000) { size membersTruncated members { uuid } }
}"""
VULNERABILITY = """
{
  vulnerability(limit: 1000, top: 5) {
    articulationPoints { uuid } articulationPointCount
    bridges { source { uuid } target { uuid } } bridgeCount
    weakComponents { size members { uuid } } weakComponentCount
    topBetweenness { rank score component { uuid } }
    truncated
  }
}"""


def _partition(listed: list[dict[str, Any]]) -> list[set[str]]:
    return [{m["uuid"] for m in c["members"]} for c in listed]


def _ordered(groups: list[set[str]]) -> list[set[str]]:
    return sorted(groups, key=lambda g: (-len(g), min(g)))


@pytest.mark.parametrize("name", SHAPE_NAMES)
async def test_communities_are_a_partition_with_its_true_modularity(
    gql: GraphQLClient, name: str
) -> None:
    seeded = await seed(gql, shape(name))
    undirected = seeded.reference().to_undirected()
    for algorithm in ("LOUVAIN", "LABEL_PROPAGATION"):
        result = (await gql.data(COMMUNITIES, {"algorithm": algorithm}))["communities"]
        parts = _partition(result["communities"])
        assert set().union(*parts) == set(undirected.nodes)  # a partition of every node
        assert sum(len(p) for p in parts) == len(undirected)
        assert [c["size"] for c in result["communities"]] == [len(p) for p in parts]
        assert parts == _ordered(parts)  # largest first, ties by smallest member
        assert [c["id"] for c in result["communities"]] == list(range(len(parts)))
        assert result["count"] == len(parts) and not result["truncated"]
        assert result["modularity"] == pytest.approx(
            nx_community.modularity(undirected, parts, weight=None), abs=1e-9
        )
        if algorithm == "LOUVAIN":
            # NetworkX's Louvain at its best over a few seeds, unweighted as ours.
            best = max(
                nx_community.modularity(
                    undirected,
                    nx_community.louvain_communities(undirected, weight=None, seed=seed),
                    weight=None,
                )
                for seed in range(5)
            )
            assert result["modularity"] >= best - 0.02
        again = (await gql.data(COMMUNITIES, {"algorithm": algorithm}))["communities"]
        assert again == result  # seeded: the same graph gives the same answer


@pytest.mark.parametrize("name", SHAPE_NAMES)
async def test_connected_components_are_networkx_partitions(gql: GraphQLClient, name: str) -> None:
    seeded = await seed(gql, shape(name))
    g = seeded.reference()
    for strong, reference in (
        (False, nx.weakly_connected_components),
        (True, nx.strongly_connected_components),
    ):
        listed = (await gql.data(GROUPS, {"strong": strong}))["connectedComponents"]
        parts = _partition(listed)
        assert parts == _ordered([set(p) for p in reference(g)])
        assert [c["size"] for c in listed] == [len(p) for p in parts]
        assert not any(c["membersTruncated"] for c in listed)


@pytest.mark.parametrize("name", SHAPE_NAMES)
async def test_vulnerability_is_networkx_cut_vertices_and_bridges(
    gql: GraphQLClient, name: str
) -> None:
    seeded = await seed(gql, shape(name))
    g = seeded.reference()
    undirected = g.to_undirected()
    found = (await gql.data(VULNERABILITY))["vulnerability"]
    points = [c["uuid"] for c in found["articulationPoints"]]
    assert points == sorted(nx.articulation_points(undirected))
    assert found["articulationPointCount"] == len(points)
    bridges = [(b["source"]["uuid"], b["target"]["uuid"]) for b in found["bridges"]]
    assert bridges == sorted(tuple(sorted(b)) for b in nx.bridges(undirected))
    assert found["bridgeCount"] == len(bridges)
    weak = _partition(found["weakComponents"])
    assert weak == _ordered([set(p) for p in nx.weakly_connected_components(g)])
    assert found["weakComponentCount"] == len(weak)
    betweenness = nx.betweenness_centrality(g)
    top = found["topBetweenness"]
    assert len(top) == 5
    for entry in top:
        assert entry["score"] == pytest.approx(betweenness[entry["component"]["uuid"]], abs=1e-12)
    assert top[0]["score"] == pytest.approx(max(betweenness.values()), abs=1e-12)
    assert found["truncated"] is False


async def test_members_are_capped_with_a_flag(
    gql: GraphQLClient, settings: Settings, issue_token: Any
) -> None:
    seeded = await seed(gql, shape("tree"))
    app = create_app(settings.model_copy(update={"analysis_max_members": 5}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issue_token('analyst')}"},
        ) as http,
    ):
        capped = GraphQLClient(http)
        query = "{ connectedComponents(limit: 1) { size membersTruncated members { uuid } } }"
        listed = (await capped.data(query))["connectedComponents"]
        assert listed[0]["size"] == len(seeded.uuids) == 31
        assert listed[0]["membersTruncated"] is True
        assert [m["uuid"] for m in listed[0]["members"]] == sorted(seeded.uuids)[:5]
        cut = (await capped.data(COMMUNITIES, {"algorithm": "LOUVAIN"}))["communities"]
        for community in cut["communities"]:
            assert len(community["members"]) == min(community["size"], 5)
            assert community["membersTruncated"] is (community["size"] > 5)
    full = (await gql.data(query))["connectedComponents"]
    assert full[0]["membersTruncated"] is False and len(full[0]["members"]) == 31
