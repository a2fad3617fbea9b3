"""Paths and reach over the analysis graph (docs/analytics.md, one section per operation).

Distances come from igraph (breadth-first search, Dijkstra); the choice among equally short
paths and the enumeration of simple paths are done here, over neighbours in component-id
order, bounded in length, count and time. Nodes are the analysis graph's node numbers.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from sfm_graphql.domain.enums import Direction
from sfm_graphql.errors import BadUserInput
from sfm_graphql.services.analytics.traversal_graph import (
    INFINITY,
    Deadline,
    TraversalGraph,
    View,
)

# Two path weights closer than this (relative to the total) are taken as equal.
TIE_TOLERANCE = 1e-9


def shortest_path(
    tg: TraversalGraph,
    source: int,
    target: int,
    *,
    direction: Direction,
    weighted: bool,
    deadline: Deadline,
) -> list[int] | None:
    """The shortest path source -> target in `direction`, or None when there is none.

    Unweighted it has the fewest hops; weighted the least total weight (weights as distances,
    which must not be negative). Among equally short paths: the fewest hops, then the
    lexicographically smallest sequence of component ids.
    """
    view = tg.view(direction)
    if weighted and any(w < 0 for w in tg.graph.weights):
        raise BadUserInput(
            "A weighted shortest path takes weights as distances, and the analysis graph in "
            "scope has negative weights; use weighted: false or a scope without them",
            field="weighted",
        )
    if source == target:
        return [source]
    if weighted:
        forward = tg.weighted_distances(view, source)
        backward = tg.weighted_distances(view, target, backwards=True)
    else:
        forward = tg.distances(view, source)
        backward = tg.distances(view, target, backwards=True)
    total = forward[target]
    if total == INFINITY:
        return None
    deadline.check()
    tolerance = TIE_TOLERANCE * max(1.0, abs(total))

    def hop_weight(u: int, v: int) -> float:
        return view.weight(u, v) if weighted else 1.0

    def tight(u: int, v: int) -> bool:
        """Whether the hop u -> v lies on a path of the least total."""
        return abs(forward[u] + hop_weight(u, v) + backward[v] - total) <= tolerance

    # Fewest hops to the target over tight hops only, found backwards from the target.
    hops = {target: 0}
    queue = deque([target])
    while queue:
        v = queue.popleft()
        for u in view.back[v]:
            deadline.step()
            if u not in hops and forward[u] != INFINITY and tight(u, v):
                hops[u] = hops[v] + 1
                queue.append(u)
    path = [source]
    u = source
    while u != target:
        u = next(v for v in view.out[u] if hops.get(v) == hops[u] - 1 and tight(u, v))
        path.append(u)
    return path


def path_weight(view: View, path: list[int]) -> float:
    """The sum of the hop weights along `path` (in the view's sense of a hop)."""
    return sum(view.weight(u, v) for u, v in itertools.pairwise(path))


@dataclass(frozen=True, slots=True)
class Found:
    items: list[list[int]]
    truncated: bool


def simple_paths(
    tg: TraversalGraph,
    source: int,
    target: int,
    *,
    max_length: int,
    limit: int,
    deadline: Deadline,
) -> Found:
    """The simple paths source -> target of at most `max_length` hops (NetworkX
    `all_simple_paths(G, s, t, cutoff=max_length)`), shortest first, then in lexicographic
    order of their component ids; at most `limit` of them (`truncated` when there are more)."""
    if source == target:
        return Found([[source]], truncated=False)
    view = tg.view(Direction.OUTGOING)
    to_target = tg.distances(view, target, backwards=True)
    found: list[list[int]] = []
    first = to_target[source]
    if first == INFINITY or first > max_length:
        return Found([], truncated=False)
    for length in range(int(first), max_length + 1):
        for path in _paths_of_length(view, source, target, length, to_target, deadline):
            if len(found) == limit:
                return Found(found, truncated=True)
            found.append(path)
    return Found(found, truncated=False)


def _paths_of_length(  # noqa: PLR0917 (a private step of the search, called once)
    view: View,
    source: int,
    target: int,
    length: int,
    to_target: list[float],
    deadline: Deadline,
) -> Iterator[list[int]]:
    """Simple paths source -> target of exactly `length` hops, in lexicographic order. A branch
    is cut as soon as the target is further away than the hops left."""
    path = [source]
    on_path = {source}
    # One iterator of candidate next nodes per level of the depth-first search.
    stack = [iter(view.out[source])]
    while stack:
        step = next(stack[-1], None)
        deadline.step()
        if step is None:
            stack.pop()
            on_path.discard(path.pop())
            continue
        remaining = length - len(path)  # hops left once this one is made
        if step in on_path or to_target[step] > remaining:
            continue
        if step == target:
            if remaining == 0:
                yield [*path, step]
            continue
        if remaining == 1:  # one hop left, and the target is one hop away (to_target)
            yield [*path, step, target]
            continue
        path.append(step)
        on_path.add(step)
        stack.append(iter(view.out[step]))


@dataclass(frozen=True, slots=True)
class Reached:
    node: int
    distance: int
    strongest: float | None


def reach(
    tg: TraversalGraph,
    source: int,
    *,
    direction: Direction,
    max_depth: int | None,
    deadline: Deadline,
) -> list[Reached]:
    """Every node reached from `source` within `max_depth` hops (NetworkX
    `single_source_shortest_path_length(G, s, cutoff)`), the source left out, nearest first and
    then by component id. `strongest` is, over the shortest paths to the node, the product of
    edge weights of the largest magnitude (the positive one on a tie); None when direction is
    BOTH, where a hop has no direction for an influence to travel along."""
    # Hop counts need no view of their own: igraph ignores directions with mode "all".
    mode = {Direction.OUTGOING: "out", Direction.INCOMING: "in", Direction.BOTH: "all"}
    distance: list[float] = tg.directed.distances(source=[source], mode=mode[direction])[0]
    deadline.check()
    reached = sorted(
        (int(d), v)
        for v, d in enumerate(distance)
        if v != source and d != INFINITY and (max_depth is None or d <= max_depth)
    )
    if direction is Direction.BOTH:
        return [Reached(v, d, None) for d, v in reached]
    # The largest and the smallest product over shortest paths, layer by layer, over the
    # incident edges of each node (edge k: sources[k] -> targets[k], weights[k]).
    g = tg.graph
    backwards = direction is Direction.INCOMING
    incident = tg.directed.get_inclist(mode="out" if backwards else "in")
    other, weights = (g.targets if backwards else g.sources), g.weights
    high = [0.0] * tg.node_count
    low = [0.0] * tg.node_count
    high[source] = low[source] = 1.0
    out: list[Reached] = []
    for d, v in reached:
        deadline.step()
        products: list[float] = []
        for edge in incident[v]:
            u = other[edge]
            if distance[u] == d - 1:
                w = weights[edge]
                products += (high[u] * w, low[u] * w)
        high[v], low[v] = max(products), min(products)
        strongest = high[v] if abs(high[v]) >= abs(low[v]) else low[v]
        out.append(Reached(v, d, strongest))
    return out


def density(tg: TraversalGraph, nodes: list[int]) -> float:
    """NetworkX `density` of the subgraph induced by `nodes`: edges / (n (n - 1))."""
    n = len(nodes)
    if n < 2:
        return 0.0
    edges: int = tg.directed.induced_subgraph(nodes).ecount()
    return edges / (n * (n - 1))
