"""The one way an analytics resolver computes: through the analysis cache.

`cached_analysis(info, operation, result_type, compute, **arguments)` calls
`compute(**arguments)` (a function of services/analytics/*_answers.py that loads the analysis
graph and computes a plain result: services/analytics/results.py), or finds its result in the
cache of the process under the operation, the graph revision and those same arguments. The key
is built from exactly what the computation receives (less its dependencies, `db` and
`settings`, of which the settings that shape an answer go in: services/analytics/keys.py), so
an argument that changes the answer cannot be left out of it. What is then loaded for the
caller (components, deliveries, with their per-principal field rules) is never cached. A job
runs the same resolvers in the worker with the same cache, so a job and a request share results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from sfm_graphql.graphql.context import Info
from sfm_graphql.services.analytics.keys import analysis_arguments

P = ParamSpec("P")
T = TypeVar("T")
DEPENDENCIES = frozenset({"db", "settings"})


async def cached_analysis(
    info: Info,
    operation: str,
    result_type: type[T] | Any,
    compute: Callable[P, Awaitable[T]],
    /,
    *args: P.args,
    **arguments: P.kwargs,
) -> T:
    """`compute(**arguments)`, or its cached result for these arguments at this revision."""
    if args:
        raise TypeError("an analysis takes its arguments by name: they name its cache key")
    cache = info.context.analysis_cache
    if cache is None:
        return await compute(*args, **arguments)
    key = analysis_arguments(
        info.context.settings,
        **{name: value for name, value in arguments.items() if name not in DEPENDENCIES},
    )

    async def run() -> T:
        return await compute(*args, **arguments)

    found: T = await cache.cached(operation, key, run, result_type)
    return found
