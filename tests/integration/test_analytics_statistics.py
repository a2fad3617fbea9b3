"""graphStatistics, ceremonialInstrumental and compareScenarios' centralityShifts over real HTTP."""

from __future__ import annotations

from collections import Counter
from typing import Any

import networkx as nx
import numpy as np
import pytest

from sfm_graphql.domain.kinds import DeliveryKind
from tests.integration.analytics_graphs import SHAPE_NAMES, TYPES, Shape, reference, seed, shape
from tests.integration.helpers import create_delivery
from tests.services import GraphQLClient

pytestmark = [pytest.mark.integration]

STATISTICS = """
query($kinds: [DeliveryKind!], $types: [ComponentType!]) {
  graphStatistics(kinds: $kinds, types: $types) {
    nodeCount edgeCount deliveryCount density
    byType { type count } byKind { kind count }
    degree { min max mean median p90 p99 }
    inDegree { min max mean median p90 p99 }
    outDegree { max }
  }
}"""
BALANCE = """
  deliveryCount ceremonialShare instrumentalShare ceremonialCount instrumentalCount
  scoredCeremonialCount meanCeremonialScore scoredInstrumentalCount meanInstrumentalScore
"""
CEREMONIAL = (
    """
query($ids: [ID!], $top: Int) {
  ceremonialInstrumental(ids: $ids, top: $top) {
    overall { ...balance }
    components { component { uuid } balance { ...balance } }
    mostCeremonial { component { uuid } balance { deliveryCount ceremonialShare } }
  }
}
fragment balance on CeremonialBalance {"""
    + BALANCE
    + "}"
)
SHIFTS = """
query($top: Int) {
  compareScenarios(base: "baseline", other: "reform") {
    centralityShifts(top: $top) {
      baseRank otherRank rankChange baseScore otherScore component { uuid }
    }
  }
}"""


def _summary(values: list[int]) -> dict[str, float]:
    return {
        "min": min(values),
        "max": max(values),
        "mean": float(np.mean(values)),
        "median": float(np.median(values)),
        "p90": float(np.percentile(values, 90)),
        "p99": float(np.percentile(values, 99)),
    }


def _kept(shape_: Shape, kinds: set[str] | None, types: set[str] | None) -> Shape:
    rows = [
        r
        for r in shape_.rows
        if (kinds is None or r[3] in kinds)
        and (types is None or {TYPES[r[0] % 3], TYPES[r[1] % 3]} <= types)
    ]
    return Shape(shape_.name, shape_.nodes, rows)


@pytest.mark.parametrize("name", SHAPE_NAMES)
async def test_statistics_are_the_analysis_graph_counts(gql: GraphQLClient, name: str) -> None:
    seeded = await seed(gql, shape(name))
    for kinds, types in ((None, None), ({"INFORMS", "CONSTRAINS"}, None), (None, {"ACTOR"})):
        variables = {
            "kinds": sorted(kinds) if kinds else None,
            "types": sorted(types) if types else None,
        }
        found = (await gql.data(STATISTICS, variables))["graphStatistics"]
        kept = _kept(seeded.shape, kinds, types)
        g = reference(kept.rows, seeded.uuids)
        assert found["nodeCount"] == len(g)
        assert found["edgeCount"] == g.number_of_edges()
        non_self = [r for r in kept.rows if r[0] != r[1]]
        assert found["deliveryCount"] == len(non_self)  # parallel ones count apart
        assert found["density"] == pytest.approx(nx.density(g) if len(g) else 0.0, abs=1e-12)
        number = {u: i for i, u in enumerate(seeded.uuids)}
        by_type = Counter(TYPES[number[u] % 3] for u in g.nodes)
        assert {c["type"]: c["count"] for c in found["byType"]} == dict(by_type)
        assert {c["kind"]: c["count"] for c in found["byKind"]} == dict(
            Counter(r[3] for r in non_self)
        )
        if not len(g):
            assert found["degree"] is None
            continue
        assert found["degree"] == pytest.approx(_summary([d for _, d in g.degree()]))
        assert found["inDegree"] == pytest.approx(_summary([d for _, d in g.in_degree()]))
        assert found["outDegree"]["max"] == max(d for _, d in g.out_degree())


def _balance(rows: list[tuple[float, float | None, float | None]]) -> dict[str, Any]:
    """The expected balance of deliveries given as (tendency, ceremonialScore, instrumentalScore)."""
    tendencies = [t for t, _, _ in rows]
    c_scores = [c for _, c, _ in rows if c is not None]
    i_scores = [i for _, _, i in rows if i is not None]
    share = sum(tendencies) / len(rows) if rows else 0.0
    return {
        "deliveryCount": len(rows),
        "ceremonialShare": pytest.approx(share),
        "instrumentalShare": pytest.approx(1 - share if rows else 0.0),
        "ceremonialCount": sum(t > 0.5 for t in tendencies),
        "instrumentalCount": sum(t < 0.5 for t in tendencies),
        "scoredCeremonialCount": len(c_scores),
        "meanCeremonialScore": pytest.approx(np.mean(c_scores)) if c_scores else None,
        "scoredInstrumentalCount": len(i_scores),
        "meanInstrumentalScore": pytest.approx(np.mean(i_scores)) if i_scores else None,
    }


async def test_ceremonial_balance_overall_and_per_component(gql: GraphQLClient) -> None:
    seeded = await seed(gql, shape("parallel"))
    ids = [seeded.global_ids[u] for u in seeded.uuids]
    # Two deliveries with scores of their own, beside the generated ones.
    scored = [(0, 1, "CONSTRAINS", 0.9, None), (2, 1, "INFORMS", 0.2, 0.7)]
    for s, t, kind, c_score, i_score in scored:
        extra = {"ceremonialScore": c_score}
        if i_score is not None:
            extra["instrumentalScore"] = i_score
        await create_delivery(gql, ids[s], ids[t], kind, **extra)
    tendency = {k.value: k.ceremonial_tendency for k in DeliveryKind}
    rows = [(s, t, tendency[k], None, None) for s, t, _, k in seeded.shape.rows if s != t]
    rows += [(s, t, tendency[k], c, i) for s, t, k, c, i in scored]
    asked = [1, 5, 9]
    found = (await gql.data(CEREMONIAL, {"ids": [ids[n] for n in asked], "top": 4}))[
        "ceremonialInstrumental"
    ]
    assert found["overall"] == _balance([r[2:] for r in rows])
    listed = found["components"]
    assert [c["component"]["uuid"] for c in listed] == [seeded.uuids[n] for n in asked]
    for n, entry in zip(asked, listed, strict=True):
        assert entry["balance"] == _balance([r[2:] for r in rows if n in (r[0], r[1])])
    per_node = {
        seeded.uuids[n]: _balance([r[2:] for r in rows if n in (r[0], r[1])])
        for n in range(seeded.shape.nodes)
        if any(n in (r[0], r[1]) for r in rows)
    }
    order = sorted(
        per_node,
        key=lambda u: (
            -round(per_node[u]["ceremonialShare"].expected, 9),
            -per_node[u]["deliveryCount"],
            u,
        ),
    )
    assert [c["component"]["uuid"] for c in found["mostCeremonial"]] == order[:4]


async def test_a_component_without_deliveries_has_an_empty_balance(gql: GraphQLClient) -> None:
    seeded = await seed(gql, shape("disconnected"))  # node 19 has no delivery
    lonely = seeded.global_ids[seeded.uuids[19]]
    found = (await gql.data(CEREMONIAL, {"ids": [lonely]}))["ceremonialInstrumental"]
    assert found["components"][0]["balance"]["deliveryCount"] == 0
    assert found["components"][0]["balance"]["meanCeremonialScore"] is None
    bad = await gql.error_code(CEREMONIAL, {"ids": ["not-an-id"]})
    assert bad == "BAD_USER_INPUT"


def _ranks(g: nx.DiGraph) -> tuple[dict[str, int], dict[str, float]]:
    scores = nx.pagerank(g, alpha=0.85, weight=None, tol=1e-12, max_iter=10_000)
    order = sorted(scores, key=lambda u: (-round(scores[u], 9), u))
    return {u: i + 1 for i, u in enumerate(order)}, scores


async def test_centrality_shifts_are_the_pagerank_rank_moves(gql: GraphQLClient) -> None:
    base_shape, other_shape = shape("cycles"), shape("dense")
    base = await seed(gql, base_shape, scenario="baseline", key_prefix="b")
    other_rows = [
        (s % base_shape.nodes, t % base_shape.nodes, w, k) for s, t, w, k in other_shape.rows
    ]
    other_shape = Shape("dense-on-cycles", base_shape.nodes, other_rows)
    await seed(gql, other_shape, scenario="reform", key_prefix="r")
    base_ranks, base_scores = _ranks(reference(base_shape.rows, base.uuids))
    other_ranks, other_scores = _ranks(reference(other_shape.rows, base.uuids))
    both = sorted(set(base_ranks) & set(other_ranks))
    moves = sorted(both, key=lambda u: (-abs(base_ranks[u] - other_ranks[u]), u))
    found = (await gql.data(SHIFTS, {"top": 6}))["compareScenarios"]["centralityShifts"]
    assert [s["component"]["uuid"] for s in found] == moves[:6]
    for entry in found:
        u = entry["component"]["uuid"]
        assert (entry["baseRank"], entry["otherRank"]) == (base_ranks[u], other_ranks[u])
        assert entry["rankChange"] == base_ranks[u] - other_ranks[u]
        assert entry["baseScore"] == pytest.approx(base_scores[u], rel=1e-4)
        assert entry["otherScore"] == pytest.approx(other_scores[u], rel=1e-4)
    default = (await gql.data(SHIFTS))["compareScenarios"]["centralityShifts"]
    assert len(default) == 10
