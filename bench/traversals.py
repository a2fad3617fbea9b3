"""Traversal analytics in-process, timed on generated analysis graphs, beside NetworkX.

What docs/analytics.md ("Where traversals are computed") rests on: each operation of
services/analytics/ over an analysis graph of a tier's size, built in memory as `load_graph`
builds it (the load from Neo4j is timed by tests/integration/test_analysis_graph.py and
bench/analytics.py, not here), and the NetworkX way of answering the same question. Prints one
line per tier and operation: seconds (best of `--repeat`) and peak RSS growth.

Usage: .venv/bin/python bench/traversals.py [--tiers 10000:50000,100000:1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from array import array
from collections.abc import Callable
from typing import Any

import networkx as nx

from sfm_graphql.domain.enums import Direction
from sfm_graphql.services.analytics import loops, removal, traversals
from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.traversal_graph import Deadline, TraversalGraph

WEIGHTS = (-1.0, -0.5, 0.5, 1.0, 2.0)


def generate(nodes: int, edges: int, seed: int = 1) -> AnalysisGraph:
    """A directed simple graph with a skewed out-degree (a few hubs), as SFM models have."""
    rnd = random.Random(seed)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        s = (
            min(int(rnd.paretovariate(1.2)) - 1, nodes - 1)
            if rnd.random() < 0.3
            else rnd.randrange(nodes)
        )
        t = rnd.randrange(nodes)
        if s != t:
            pairs.add((s, t))
    ordered = sorted(pairs)
    return AnalysisGraph(
        ids=tuple(f"c{i:07d}" for i in range(nodes)),
        sources=array("q", (s for s, _ in ordered)),
        targets=array("q", (t for _, t in ordered)),
        weights=array("d", (rnd.choice(WEIGHTS) for _ in ordered)),
        deliveries=array("q", [1] * len(ordered)),
    )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def run_tier(nodes: int, edges: int, repeat: int) -> None:
    graph = generate(nodes, edges)
    before = rss_mb()

    def build() -> TraversalGraph:
        built = TraversalGraph.of(graph)
        built.view(Direction.OUTGOING)  # the sorted adjacency most searches use
        return built

    seconds, tg = timed(1, build)
    print(
        f"{nodes}/{edges} igraph graph and adjacency: {seconds:.3f}s, "
        f"+{rss_mb() - before:.0f} MB RSS peak"
    )
    deadline = Deadline(600)
    positive = TraversalGraph.of(
        AnalysisGraph(
            graph.ids,
            graph.sources,
            graph.targets,
            array("d", (abs(w) for w in graph.weights)),
            graph.deliveries,
        )
    )
    source, target = 0, nodes // 2
    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            "reach OUTGOING",
            lambda: len(
                traversals.reach(
                    tg, source, direction=Direction.OUTGOING, max_depth=None, deadline=deadline
                )
            ),
        ),
        (
            "reach BOTH",
            lambda: len(
                traversals.reach(
                    tg, source, direction=Direction.BOTH, max_depth=None, deadline=deadline
                )
            ),
        ),
        (
            "reach maxDepth 2",
            lambda: len(
                traversals.reach(
                    tg, source, direction=Direction.OUTGOING, max_depth=2, deadline=deadline
                )
            ),
        ),
        (
            "shortestPath",
            lambda: traversals.shortest_path(
                tg, source, target, direction=Direction.OUTGOING, weighted=False, deadline=deadline
            ),
        ),
        (
            "shortestPath weighted",
            lambda: traversals.shortest_path(
                positive,
                source,
                target,
                direction=Direction.OUTGOING,
                weighted=True,
                deadline=deadline,
            ),
        ),
        (
            "paths maxLength 4 limit 100",
            lambda: len(
                traversals.simple_paths(
                    tg, source, target, max_length=4, limit=100, deadline=deadline
                ).items
            ),
        ),
        (
            "feedbackLoops maxLength 4 limit 100",
            lambda: len(
                loops.loops(tg, through=None, max_length=4, limit=100, deadline=deadline).items
            ),
        ),
        (
            "feedbackLoops through, maxLength 4 limit 100",
            lambda: len(
                loops.loops(tg, through=source, max_length=4, limit=100, deadline=deadline).items
            ),
        ),
        (
            "leveragePoints maxLength 3 (<= 100k loops)",
            lambda: loops.leverage(tg, max_length=3, max_loops=100_000, deadline=deadline).loops,
        ),
        (
            "simulateRemoval 5, cascade",
            lambda: len(
                removal.simulate_removal(
                    tg, {0, 1, 2, 3, 4}, cascade=True, threshold=0.5, deadline=deadline
                ).disconnected
            ),
        ),
    ]
    for name, work in cases:
        seconds, result = timed(repeat, work)
        shown = len(result) if isinstance(result, list) else result
        print(f"  {name}: {seconds:.3f}s (result {shown})")
    # NetworkX for the same questions: its graph first, then the answer.
    seconds, g = timed(1, lambda: nx.DiGraph(zip(graph.sources, graph.targets, strict=True)))
    print(f"  networkx DiGraph build: {seconds:.3f}s, RSS peak now {rss_mb():.0f} MB")
    seconds, _ = timed(repeat, lambda: len(nx.single_source_shortest_path_length(g, source)))
    print(f"  networkx reach: {seconds:.3f}s")

    def first_cycles() -> int:
        found = 0
        for _ in nx.simple_cycles(g, length_bound=4):
            found += 1
            if found == 100:
                break
        return found

    seconds, _ = timed(1, first_cycles)
    print(f"  networkx simple_cycles(length_bound=4), first 100: {seconds:.3f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiers", default="10000:50000,100000:1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for tier in args.tiers.split(","):
        nodes, edges = (int(x) for x in tier.split(":"))
        run_tier(nodes, edges, args.repeat)


if __name__ == "__main__":
    main()
