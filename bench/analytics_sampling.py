"""How far the service's sampled betweenness is from the exact one, on one graph.

The comparison needs every node's score, which the API does not list (`top` is at most
`analysisMaxTop`), so it runs in this process with the service's own code: the analysis graph
read by `load_graph`, then `betweenness` exact and from `analysisBetweennessPivots` pivots, as
the service samples above `analysisBetweennessExactMaxNodes`.
"""

from __future__ import annotations

import time
from typing import Any

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.services.analytics.centrality import BetweennessSampling, betweenness
from sfm_graphql.services.analytics.graph import load_graph
from sfm_graphql.services.analytics.igraphs import directed
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

TOP = 20


def _top(values: list[float]) -> set[int]:
    return set(sorted(range(len(values)), key=lambda i: (-values[i], i))[:TOP])


def compare(exact: list[float], sampled: list[float]) -> dict[str, float]:
    """Relative L1 error (sum |exact - sampled| / sum exact) and the share of the exact top 20
    found in the sampled top 20."""
    total = sum(exact) or 1.0
    error = sum(abs(a - b) for a, b in zip(exact, sampled, strict=True)) / total
    return {
        "relative_l1_error": round(error, 4),
        "top20_overlap": len(_top(exact) & _top(sampled)) / TOP,
    }


async def sampling_error(settings: Settings) -> dict[str, Any]:
    """Sampled against exact betweenness on the whole graph the instance holds."""
    db = Database(create_driver(settings), CypherRegistry.load(), settings)
    try:
        graph = await load_graph(db, Scope.of(), settings)
    finally:
        await db.close()
    g = directed(graph)
    pivots = settings.analysis_betweenness_pivots
    started = time.perf_counter()
    exact = betweenness(g, None, BetweennessSampling(10**9, 1))
    exact_s = time.perf_counter() - started
    started = time.perf_counter()
    sampled = betweenness(g, None, BetweennessSampling(0, pivots))
    sampled_s = time.perf_counter() - started
    return {
        "nodes": graph.node_count,
        "edges": graph.edge_count,
        "pivots": pivots,
        "exact_s": round(exact_s, 2),
        "sampled_s": round(sampled_s, 3),
        **compare(exact, sampled),
    }
