"""The global analyses at the seed's tiers: load time, each operation's cold time, peak memory.

Usage (the environment of an instance, e.g. `eval "$(tools/env.sh bench)"`):

    python bench/analytics.py --tiers 1k,10k [--allow-shared-instance] [--exact-betweenness]

Per tier it generates the synthetic SFM graph (bench/graphgen.py), loads it straight into Neo4j
(bench/loading.py, set-up only), then times in this process what a request does: read the
analysis graph (one streamed statement), then each algorithm on it (igraph, off the event loop
as the service runs it). "Cold" is a first call on a graph just read, with no cache in front.
Peak memory is this process's maximum resident set, sampled after each tier.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphgen import generate
from loading import check_target, load_through_driver, reset_database

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.services.analytics import ceremonial, communities, structure
from sfm_graphql.services.analytics.centrality import (
    BetweennessSampling,
    CentralityMeasure,
    betweenness,
    scores,
)
from sfm_graphql.services.analytics.graph import AnalysisGraph, load_graph
from sfm_graphql.services.analytics.igraphs import directed
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

TIERS = {"1k": (1_000, 5_000), "10k": (10_000, 50_000), "100k": (100_000, 1_000_000)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    found = fn()
    return time.perf_counter() - started, found


def _operations(
    graph: AnalysisGraph, sampling: BetweennessSampling
) -> dict[str, Callable[[], Any]]:
    def centrality(measure: CentralityMeasure) -> Callable[[], Any]:
        return lambda: scores(graph, measure, weighted=False, sampling=sampling)

    ops: dict[str, Callable[[], Any]] = {
        f"centrality {m.value}": centrality(m)
        for m in CentralityMeasure
        if m is not CentralityMeasure.IN_DEGREE and m is not CentralityMeasure.OUT_DEGREE
    }
    ops["communities LOUVAIN"] = lambda: communities.communities(
        graph, communities.CommunityAlgorithm.LOUVAIN
    )
    ops["communities LABEL_PROPAGATION"] = lambda: communities.communities(
        graph, communities.CommunityAlgorithm.LABEL_PROPAGATION
    )
    ops["connectedComponents weak"] = lambda: structure.connected_components(graph, strong=False)
    ops["connectedComponents strong"] = lambda: structure.connected_components(graph, strong=True)
    ops["articulation points + bridges"] = lambda: structure.cut_points(graph)
    ops["graphStatistics (in memory)"] = lambda: structure.graph_statistics(graph)
    return ops


def _sampling_error(graph: AnalysisGraph, pivots: int) -> dict[str, float]:
    """Sampled vs exact betweenness: total relative error, and overlap of the top 20."""
    g = directed(graph)
    exact_s, exact = _timed(lambda: betweenness(g, None, BetweennessSampling(10**9, 1)))
    sampled = betweenness(g, None, BetweennessSampling(0, pivots))
    total = sum(exact) or 1.0
    error = sum(abs(a - b) for a, b in zip(exact, sampled, strict=True)) / total

    def top(values: list[float]) -> set[int]:
        return set(sorted(range(len(values)), key=lambda i: -values[i])[:20])

    return {
        "exact_s": round(exact_s, 2),
        "pivots": pivots,
        "relative_l1_error": round(error, 4),
        "top20_overlap": len(top(exact) & top(sampled)) / 20,
    }


async def run_tier(
    name: str, settings: Settings, db: Database, args: argparse.Namespace
) -> dict[str, Any]:
    n_components, n_deliveries = TIERS[name]
    graph_data = generate(n_components, n_deliveries, seed=1)
    await reset_database(db.driver, settings.neo4j_database)
    load_s = await load_through_driver(db.driver, settings.neo4j_database, graph_data)
    # The first read after loading also plans the statement and warms Neo4j's page cache;
    # the second is what every later request pays (no result cache in front of either).
    first_s = time.perf_counter()
    graph = await load_graph(db, Scope.of(), settings)
    first_s = time.perf_counter() - first_s
    read_s = time.perf_counter()
    graph = await load_graph(db, Scope.of(), settings)
    read_s = time.perf_counter() - read_s
    sampling = BetweennessSampling(
        settings.analysis_betweenness_exact_max_nodes, settings.analysis_betweenness_pivots
    )
    timings: dict[str, float] = {}
    for op, fn in _operations(graph, sampling).items():
        seconds, _ = await asyncio.to_thread(_timed, fn)
        timings[op] = round(seconds, 3)
        print(f"  {name} {op}: {seconds:.3f}s", flush=True)
    started = time.perf_counter()
    await ceremonial.totals(db=db, scope=Scope.of(), settings=settings)
    timings["ceremonialInstrumental totals (Cypher)"] = round(time.perf_counter() - started, 3)
    report: dict[str, Any] = {
        "tier": name,
        "components": n_components,
        "deliveries": n_deliveries,
        "analysis_graph": {"nodes": graph.node_count, "edges": graph.edge_count},
        "load_s": round(load_s, 1),
        "read_analysis_graph_first_s": round(first_s, 3),
        "read_analysis_graph_s": round(read_s, 3),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "operations_s": timings,
        "pagerank_cold_s": round(read_s + timings["centrality PAGERANK"], 3),
        "peak_rss_mb": round(_peak_mb(), 1),
    }
    if args.exact_betweenness and graph.node_count > settings.analysis_betweenness_exact_max_nodes:
        report["betweenness_sampling"] = _sampling_error(
            graph, settings.analysis_betweenness_pivots
        )
    return report


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="1k,10k", help="comma-separated: 1k, 10k, 100k")
    parser.add_argument("--allow-shared-instance", action="store_true")
    parser.add_argument("--exact-betweenness", action="store_true", help="sampling error")
    parser.add_argument("--out", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    settings = Settings()
    check_target(settings.neo4j_uri, allow_shared=args.allow_shared_instance)
    db = Database(create_driver(settings), CypherRegistry.load(), settings)
    reports = []
    try:
        if args.allow_shared_instance:
            # A shared (test) instance holds what the tests left; reset_database wipes only
            # what a bench run marked.
            async with db.driver.session(database=settings.neo4j_database) as session:
                result = await session.run(
                    "MATCH (n) WHERE NOT n:SchemaMigration "
                    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                )
                await result.consume()
        for tier in args.tiers.split(","):
            print(f"tier {tier}", flush=True)
            reports.append(await run_tier(tier, settings, db, args))
            print(json.dumps(reports[-1], indent=2), flush=True)
    finally:
        await db.close()
    if args.out:
        args.out.write_text(json.dumps(reports, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
