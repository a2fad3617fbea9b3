"""What the traversal fields cost in the static cost model (graphql/core/analysis.py).

Their lists are sized from the root field's own arguments (`limit`, `maxLength`, the `ids`
given), or from the settings that bound them when they run: a Path of `paths` holds at most
`maxLength + 1` components, a `shortestPath` at most `analysis_max_path_length` hops, and so on.
A hop stands for its parallel deliveries, assumed as many as SMALL_LIST_SIZE.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

# Reading the analysis graph and searching it is work the size of the answer does not show.
TRAVERSAL_FIELD_WEIGHTS: dict[str, int] = {
    "Query.shortestPath": 100,
    "Query.paths": 200,
    "Query.reach": 100,
    "Query.policyImpact": 100,
    "Query.feedbackLoops": 200,
    "Query.leveragePoints": 500,
    "Query.simulateRemoval": 200,
}
# Parallel deliveries per hop, assumed (as for other lists of parallel deliveries).
DELIVERIES_PER_HOP = 10
COMPONENT_TYPES = 11


class Bounds(Protocol):
    """The settings-derived sizes of the cost model (analysis.CostModel)."""

    @property
    def analysis_results(self) -> int: ...

    @property
    def analysis_path_length(self) -> int: ...

    @property
    def max_nodes(self) -> int: ...


def _int(args: dict[str, Any] | None, name: str) -> int | None:
    value = (args or {}).get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def traversal_list_size(  # noqa: PLR0911 (one return per list)
    key: str,
    root: tuple[str, dict[str, Any] | None],
    bounds: Bounds,
    instances: int,
) -> int | None:
    """The assumed length of the list `key` below the root field `root` (its key and coerced
    arguments), or None when it is not a traversal list. A value over a bound is refused when
    the field runs, so it costs no more than the bound."""
    root_key, args = root
    if root_key not in TRAVERSAL_FIELD_WEIGHTS:
        return None
    results = bounds.analysis_results
    longest = bounds.analysis_path_length  # also the most hops of a shortestPath
    length = min(_int(args, "maxLength") or longest, longest)
    limit = min(_int(args, "limit") or results, results)
    if key in ("PathSet.paths", "LoopSet.loops", "LeverageRanking.points"):
        return limit
    if key == "Path.components":
        return length + 1
    if key == "Loop.components":
        return length
    if key in ("Path.deliveries", "Loop.deliveries"):
        return length * DELIVERIES_PER_HOP
    if key in ("Reach.components", "PolicyImpact.components", "RemovalImpact.disconnected"):
        return results
    if key == "PolicyImpact.byType":
        return COMPONENT_TYPES
    if key == "RemovalImpact.removed":
        ids = (args or {}).get("ids")
        return max(
            min(len(ids) if isinstance(ids, list) else bounds.max_nodes, bounds.max_nodes), 1
        )
    if key == "RemovalImpact.rounds":
        return results  # each round lists one failed component at least
    if key == "CascadeRound.failed":
        # All rounds together list at most `analysis_max_results` components.
        return max(1, math.ceil(results / max(instances, 1)))
    return None
