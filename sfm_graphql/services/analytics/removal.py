"""What breaks when components are removed (docs/analytics.md, "simulateRemoval").

Removed: the given nodes, and with a cascade every node that fails in turn: a node fails in
the round after it has lost more than `threshold` of its incoming weight (absolute weights,
so a negative delivery counts by its size), because nodes it receives from were removed or
failed. Disconnected: within each weakly connected component of the analysis graph that lost a
node, the rest splits into pieces; the largest piece (on a tie, the one with the smallest
component id) keeps the connection, every node of the other pieces has lost it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sfm_graphql.services.analytics.traversal_graph import Deadline, TraversalGraph


@dataclass(frozen=True, slots=True)
class Removal:
    removed: list[int]
    rounds: list[list[int]]  # the nodes that failed in round 1, 2, ...
    disconnected: list[int]


def simulate_removal(
    tg: TraversalGraph,
    removed: set[int],
    *,
    cascade: bool,
    threshold: float,
    deadline: Deadline,
) -> Removal:
    rounds = _cascade(tg, removed, threshold, deadline) if cascade else []
    gone = removed.union(*rounds)
    return Removal(
        removed=sorted(removed), rounds=rounds, disconnected=_disconnected(tg, gone, deadline)
    )


def _cascade(
    tg: TraversalGraph, removed: set[int], threshold: float, deadline: Deadline
) -> list[list[int]]:
    g = tg.graph
    outgoing = tg.directed.get_inclist(mode="out")  # edge numbers: sources/targets/weights
    incoming = [0.0] * tg.node_count
    for t, w in zip(tg.graph.targets, tg.graph.weights, strict=True):
        incoming[t] += abs(w)
    lost = [0.0] * tg.node_count
    failed = set(removed)
    last = sorted(removed)
    rounds: list[list[int]] = []
    while last:
        hit: set[int] = set()
        for u in last:
            deadline.step()
            for edge in outgoing[u]:
                v = g.targets[edge]
                if v not in failed:
                    lost[v] += abs(g.weights[edge])
                    hit.add(v)
        last = sorted(v for v in hit if incoming[v] > 0 and lost[v] > threshold * incoming[v])
        failed.update(last)
        if last:
            rounds.append(last)
    return rounds


def _disconnected(tg: TraversalGraph, gone: set[int], deadline: Deadline) -> list[int]:
    if not gone:
        return []
    before: list[int] = tg.directed.connected_components(mode="weak").membership
    touched = {before[v] for v in gone}
    kept = [v for v in range(tg.node_count) if v not in gone and before[v] in touched]
    deadline.check()
    after: list[int] = (
        tg.directed.induced_subgraph(kept).connected_components(mode="weak").membership
    )
    # The pieces each touched component falls into, by (component, piece); nodes ascending.
    pieces: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position, v in enumerate(kept):
        pieces[(before[v], after[position])].append(v)
    best: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
    for key, nodes in pieces.items():
        rank = (-len(nodes), nodes[0])  # the largest, then the one with the smallest node
        if key[0] not in best or rank < best[key[0]][0]:
            best[key[0]] = (rank, key)
    keep = {key for _, key in best.values()}
    return sorted(v for key, nodes in pieces.items() if key not in keep for v in nodes)
