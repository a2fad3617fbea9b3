"""The one way an analytics resolver computes: through the analysis cache.

`cached_analysis` wraps "load the analysis graph and compute" (`compute`, which returns plain
data: services/analytics/results.py) in the cache of the process, keyed on the operation, the
arguments that change the answer and the graph revision. What is then loaded for the caller
(components, deliveries, with their per-principal field rules) is never cached. A job runs the
same resolvers in the worker with the same cache, so a job and a request share results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sfm_graphql.graphql.context import Info
from sfm_graphql.services.analytics.keys import analysis_arguments

T = TypeVar("T")


async def cached_analysis(
    info: Info,
    operation: str,
    result_type: type[T] | Any,
    compute: Callable[[], Awaitable[T]],
    **arguments: Any,
) -> T:
    """`compute()`, or its cached result for these arguments at this graph revision."""
    cache = info.context.analysis_cache
    if cache is None:
        return await compute()
    key = analysis_arguments(info.context.settings, **arguments)
    found: T = await cache.cached(operation, key, compute, result_type)
    return found
