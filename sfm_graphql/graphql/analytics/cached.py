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
A request's miss computes in one of its API process's analysis processes
(services/analytics/processes.py); a job's in the worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from sfm_graphql.graphql.core.context import Info
from sfm_graphql.services.analytics.keys import analysis_arguments
from sfm_graphql.services.analytics.processes import DEPENDENCIES

P = ParamSpec("P")
T = TypeVar("T")


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
    cache, processes = info.context.analysis_cache, info.context.analysis_processes

    async def run() -> T:
        if processes is None:
            return await compute(*args, **arguments)
        return await processes.run(compute, arguments)

    if cache is None:
        return await run()
    key = analysis_arguments(
        info.context.settings,
        **{name: value for name, value in arguments.items() if name not in DEPENDENCIES},
    )

    found: T = await cache.cached(operation, key, run, result_type)
    return found
