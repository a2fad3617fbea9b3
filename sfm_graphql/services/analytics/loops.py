"""Feedback loops: the simple cycles of the analysis graph up to a length (docs/analytics.md).

The same set as NetworkX `simple_cycles(G, length_bound=L)`. A loop is written from its
smallest node (component id) on, so each appears once. Cycles lie inside one strongly
connected component (from igraph), so the search from a node never leaves its own; it runs
length by length (all loops of 2 hops, then of 3, ...) and from each start over larger nodes
only, which yields the loops shortest first and then in lexicographic order. Bounded in
length, count and time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sfm_graphql.domain.enums import Direction
from sfm_graphql.services.analytics.traversal_graph import Deadline, TraversalGraph
from sfm_graphql.services.analytics.traversals import Found


def loops(
    tg: TraversalGraph,
    *,
    through: int | None,
    max_length: int,
    limit: int,
    deadline: Deadline,
) -> Found:
    """At most `limit` loops of at most `max_length` hops (through node `through` when given),
    each from its smallest node; `truncated` when there are more."""
    found: list[list[int]] = []
    for loop in _all_loops(tg, through=through, max_length=max_length, deadline=deadline):
        if len(found) == limit:
            return Found(found, truncated=True)
        found.append(loop)
    return Found(found, truncated=False)


def _all_loops(
    tg: TraversalGraph, *, through: int | None, max_length: int, deadline: Deadline
) -> Iterator[list[int]]:
    strong: list[int] = tg.directed.connected_components(mode="strong").membership
    sizes = Counter(strong)
    outgoing = tg.view(Direction.OUTGOING)
    search = _Search(outgoing.out, outgoing.back, strong, deadline)
    if through is not None:
        if sizes[strong[through]] < 2:
            return
        to_start = tg.distances(outgoing, through, backwards=True)
        for length in range(2, max_length + 1):
            # Found from `through`, then written from their smallest node and put in order.
            yield from sorted(_rotated(c) for c in search.cycles(through, length, to_start))
        return
    starts = [v for v in range(tg.node_count) if sizes[strong[v]] > 1]
    for length in range(2, max_length + 1):
        for start in starts:
            yield from search.cycles(start, length, None)


@dataclass(frozen=True, slots=True)
class _Search:
    out: list[list[int]]  # sorted successors
    back: list[list[int]]  # predecessors
    strong: list[int]  # strongly connected component of each node
    deadline: Deadline

    def cycles(self, start: int, length: int, to_start: list[float] | None) -> Iterator[list[int]]:
        """Cycles through `start` of exactly `length` hops, in lexicographic order. Without
        `to_start` (hop counts back to the start) only nodes larger than the start are used;
        with it, any node of the start's strongly connected component near enough to get back.
        The last two hops are not searched: they meet the start's predecessors (a set)."""
        out, strong, deadline = self.out, self.strong, self.deadline
        into_start = set(self.back[start])
        component = strong[start]
        path = [start]
        on_path = {start}
        stack = [iter(out[start])]
        while stack:
            step = next(stack[-1], None)
            deadline.step()
            if step is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            remaining = length - len(path)  # hops left once this one is made
            if step == start or step in on_path or strong[step] != component:
                continue
            if to_start is None:
                if step < start:
                    continue
            elif to_start[step] > remaining:  # INFINITY when there is no way back
                continue
            if remaining == 1:
                if step in into_start:
                    yield [*path, step]
                continue
            if remaining == 2:
                # step -> last -> start: `last` is a successor of step that delivers to start.
                for last in sorted(into_start.intersection(out[step])):
                    if last not in on_path and (to_start is not None or last > start):
                        yield [*path, step, last]
                continue
            path.append(step)
            on_path.add(step)
            stack.append(iter(out[step]))


def _rotated(cycle: list[int]) -> list[int]:
    first = cycle.index(min(cycle))
    return cycle[first:] + cycle[:first]


def hops(cycle: list[int]) -> list[tuple[int, int]]:
    """The hops of a loop, the closing one last."""
    return list(zip(cycle, cycle[1:] + cycle[:1], strict=True))


def strength(tg: TraversalGraph, cycle: list[int]) -> float:
    """The product of the edge weights around the loop."""
    return math.prod(tg.view(Direction.OUTGOING).weight(u, v) for u, v in hops(cycle))


@dataclass(frozen=True, slots=True)
class Leverage:
    counts: list[tuple[int, int]]  # (node, loops it lies on), most first, then by node
    loops: int
    truncated: bool


def leverage(
    tg: TraversalGraph, *, max_length: int, max_loops: int, deadline: Deadline
) -> Leverage:
    """Every node on at least one loop of at most `max_length` hops, ranked by how many it lies
    on; counting stops after `max_loops` loops (`truncated`)."""
    counts: Counter[int] = Counter()
    seen = 0
    truncated = False
    for loop in _all_loops(tg, through=None, max_length=max_length, deadline=deadline):
        if seen == max_loops:
            truncated = True
            break
        seen += 1
        counts.update(loop)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return Leverage(counts=ranked, loops=seen, truncated=truncated)
