"""The traversal services on random analysis graphs, against NetworkX (no network).

The integration tests (tests/integration/test_traversals_*.py) check the same over HTTP on the
generated SFM shapes; these cover many more random graphs quickly, every pair and direction.
"""

from __future__ import annotations

import itertools
import math
import random
from array import array

import networkx as nx
import pytest

from sfm_graphql.domain.enums import Direction
from sfm_graphql.errors import AnalysisTooLarge, BadUserInput
from sfm_graphql.services.analytics import loops, removal, traversals
from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.traversal_graph import Deadline, TraversalGraph

SEEDS = range(8)
POSITIVE = (0.0, 0.5, 1.0, 2.0, 3.0)  # zero weights too: ties without a direction
MIXED = (-2.0, -1.0, 0.5, 1.0, 2.0)


def random_graph(seed: int, *, negative: bool) -> tuple[TraversalGraph, nx.DiGraph]:
    rnd = random.Random(seed)
    graph = nx.DiGraph()
    while graph.number_of_edges() < 28:
        s, t = rnd.randrange(11), rnd.randrange(11)
        if s != t:
            graph.add_edge(s, t, weight=rnd.choice(MIXED if negative else POSITIVE))
    ids = tuple(f"c{n:02d}" for n in sorted(graph))
    number = {n: i for i, n in enumerate(sorted(graph))}
    edges = list(graph.edges(data="weight"))
    analysis = AnalysisGraph(
        ids=ids,
        sources=array("q", [number[s] for s, _, _ in edges]),
        targets=array("q", [number[t] for _, t, _ in edges]),
        weights=array("d", [w for _, _, w in edges]),
        deliveries=array("q", [1] * len(edges)),
    )
    return TraversalGraph.of(analysis), nx.relabel_nodes(graph, number)


def view(graph: nx.DiGraph, direction: Direction) -> nx.Graph:
    if direction is Direction.OUTGOING:
        return graph
    if direction is Direction.INCOMING:
        return graph.reverse()
    undirected = nx.Graph()
    for s, t, w in graph.edges(data="weight"):
        undirected.add_edge(
            s, t, weight=min(w, undirected.get_edge_data(s, t, {"weight": w})["weight"])
        )
    return undirected


def deadline() -> Deadline:
    return Deadline(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_shortest_paths_are_networkx_ones_with_the_documented_tie_break(seed: int) -> None:
    tg, graph = random_graph(seed, negative=False)
    for direction, weighted in itertools.product(Direction, (False, True)):
        oracle = view(graph, direction)
        for s, t in itertools.permutations(range(tg.node_count), 2):
            got = traversals.shortest_path(
                tg, s, t, direction=direction, weighted=weighted, deadline=deadline()
            )
            try:
                paths = nx.all_shortest_paths(oracle, s, t, weight="weight" if weighted else None)
                want = min(paths, key=lambda p: (len(p), p))
            except nx.NetworkXNoPath:
                want = None
            assert got == want, (direction, weighted, s, t)


def test_a_weighted_shortest_path_refuses_negative_weights() -> None:
    tg, _ = random_graph(0, negative=True)
    with pytest.raises(BadUserInput):
        traversals.shortest_path(
            tg, 0, 1, direction=Direction.OUTGOING, weighted=True, deadline=deadline()
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_simple_paths_are_networkx_ones_shortest_first(seed: int) -> None:
    tg, graph = random_graph(seed, negative=True)
    for s, t in itertools.permutations(range(tg.node_count), 2):
        got = traversals.simple_paths(tg, s, t, max_length=4, limit=10**6, deadline=deadline())
        want = sorted(nx.all_simple_paths(graph, s, t, cutoff=4), key=lambda p: (len(p), p))
        assert got.items == want and not got.truncated
        if len(want) > 2:
            cut = traversals.simple_paths(tg, s, t, max_length=4, limit=2, deadline=deadline())
            assert cut.items == want[:2] and cut.truncated


@pytest.mark.parametrize("seed", SEEDS)
def test_reach_and_its_strongest_path_weight(seed: int) -> None:
    tg, graph = random_graph(seed, negative=True)
    for s, direction, depth in itertools.product(range(tg.node_count), Direction, (None, 2)):
        oracle = view(graph, direction)
        got = traversals.reach(tg, s, direction=direction, max_depth=depth, deadline=deadline())
        lengths = nx.single_source_shortest_path_length(oracle, s, cutoff=depth)
        del lengths[s]
        assert [(r.node, r.distance) for r in got] == sorted(
            lengths.items(), key=lambda x: (x[1], x[0])
        )
        for r in got:
            if direction is Direction.BOTH:
                assert r.strongest is None
                continue
            products = [
                math.prod(oracle[u][v]["weight"] for u, v in itertools.pairwise(p))
                for p in nx.all_shortest_paths(oracle, s, r.node)
            ]
            assert r.strongest == pytest.approx(max(products, key=lambda x: (abs(x), x)))


@pytest.mark.parametrize("seed", SEEDS)
def test_loops_are_networkx_simple_cycles(seed: int) -> None:
    tg, graph = random_graph(seed, negative=True)
    for bound in (2, 3, 6):
        cycles = []
        for c in nx.simple_cycles(graph, length_bound=bound):
            first = c.index(min(c))
            cycles.append(c[first:] + c[:first])
        want = sorted(cycles, key=lambda c: (len(c), c))
        got = loops.loops(tg, through=None, max_length=bound, limit=10**6, deadline=deadline())
        assert got.items == want
        for v in range(tg.node_count):
            through = loops.loops(tg, through=v, max_length=bound, limit=10**6, deadline=deadline())
            assert through.items == [c for c in want if v in c]
        counted = loops.leverage(tg, max_length=bound, max_loops=10**6, deadline=deadline())
        assert counted.loops == len(want)
        assert dict(counted.counts) == {
            n: sum(n in c for c in want) for n in {n for c in want for n in c}
        }
        for c in want:
            hops = list(zip(c, c[1:] + c[:1], strict=True))
            assert loops.strength(tg, c) == pytest.approx(
                math.prod(graph[u][v]["weight"] for u, v in hops)
            )


@pytest.mark.parametrize("seed", SEEDS)
def test_removal_cuts_the_smaller_pieces_and_cascades_round_by_round(seed: int) -> None:
    tg, graph = random_graph(seed, negative=True)
    undirected = graph.to_undirected()
    incoming = {v: sum(abs(w) for _, _, w in graph.in_edges(v, data="weight")) for v in graph}
    for removed in ({0}, {1, 4}, {2, 3, 7}):
        result = removal.simulate_removal(
            tg, set(removed), cascade=True, threshold=0.3, deadline=deadline()
        )
        failed, rounds = set(removed), []
        while True:
            new = sorted(
                v
                for v in graph
                if v not in failed
                and incoming[v] > 0
                and sum(abs(graph[u][v]["weight"]) for u in graph.predecessors(v) if u in failed)
                > 0.3 * incoming[v]
            )
            if not new:
                break
            rounds.append(new)
            failed.update(new)
        assert result.rounds == rounds
        cut = []
        for component in nx.connected_components(undirected):
            if component & failed:
                rest = undirected.subgraph(component - failed)
                pieces = sorted(nx.connected_components(rest), key=lambda p: (-len(p), min(p)))
                cut += [v for piece in pieces[1:] for v in piece]
        assert result.disconnected == sorted(cut)


def test_density_is_networkx_density_of_the_induced_subgraph() -> None:
    tg, graph = random_graph(3, negative=False)
    for nodes in ([0], [0, 1], [0, 2, 4, 6], list(range(tg.node_count))):
        assert traversals.density(tg, nodes) == pytest.approx(nx.density(graph.subgraph(nodes)))


def test_a_search_past_its_deadline_raises_analysis_too_large() -> None:
    complete = nx.complete_graph(10, nx.DiGraph)
    analysis = AnalysisGraph(
        ids=tuple(f"c{n}" for n in range(10)),
        sources=array("q", [s for s, _ in complete.edges]),
        targets=array("q", [t for _, t in complete.edges]),
        weights=array("d", [1.0] * complete.number_of_edges()),
        deliveries=array("q", [1] * complete.number_of_edges()),
    )
    tg = TraversalGraph.of(analysis)
    with pytest.raises(AnalysisTooLarge):
        loops.leverage(tg, max_length=10, max_loops=10**12, deadline=Deadline(0.2))
