"""Running a CPU-bound analysis off the event loop, within the analysis time bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sfm_graphql.errors import AnalysisTooLarge
from sfm_graphql.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


async def off_loop(
    settings: Settings, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """`fn(*args, **kwargs)` in a worker thread; ANALYSIS_TOO_LARGE after `analysis_timeout_s`.

    The answer is given up at the bound; the library call itself cannot be interrupted from
    another thread, so it finishes in the background (docs/analytics.md, "Where it runs").
    """
    try:
        async with asyncio.timeout(settings.analysis_timeout_s):
            return await asyncio.to_thread(fn, *args, **kwargs)
    except TimeoutError:
        raise AnalysisTooLarge(
            f"The analysis took longer than {settings.analysis_timeout_s:g} s; narrow its scope",
            limit=settings.analysis_timeout_s,
        ) from None
