"""Analyses computed in processes beside the API process (`SFM_ANALYSIS_PROCESSES`).

A cache miss reads the analysis graph (tens of thousands of deliveries decoded) and computes;
in the API process that CPU competes with every request of its event loop, and an algorithm
that holds the GIL pauses them all. So each API process hands its misses to a small pool of its
own processes, started with `serve` (else by the first analysis), at a lower CPU priority
(`SFM_ANALYSIS_NICE`),
each with its own Neo4j driver: the event loop only waits for the answer. The computation and
its arguments cross as a module-level function's name and plain values, the result and any
`SfmError` as plain data (pickled between this process and its own children, never from
outside). A pool process that dies (killed, out of memory) fails the analyses it held with
SERVICE_UNAVAILABLE and the next analysis starts a new pool (docs/analytics.md, "Where it runs").
A pool process exports no metrics: each answer, or error, carries back where the graphs it
loaded came from (`Answer.loads`), and the API process tells them to its own observer, so they
reach that process's `/metrics` (docs/decisions.md, "Analysis graph loads counted in the API
process").

With 0 processes, and in `sfm-graphql worker` (itself the background process), analyses are
computed in the calling process as before.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis.asyncio as redis

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.errors import ServiceUnavailable, SfmError
from sfm_graphql.observability.logging import configure_logging
from sfm_graphql.services.analytics.graph import (
    WANTED_REVISION,
    GraphLoadObserver,
    recent_graphs,
)
from sfm_graphql.services.analytics.shared_graphs import share_graphs
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
DEPENDENCIES = frozenset({"db", "settings"})  # what each process has of its own
# Where the computations live: only their functions are run by name.
COMPUTATIONS = (
    "sfm_graphql.services.analytics.global_answers",
    "sfm_graphql.services.analytics.traversal_answers",
)
PARENT_CHECK_S = 1.0
STOPPED_MESSAGE = "The process computing the analysis stopped before it answered; try again"


def computation_name(compute: Callable[..., Any]) -> str:
    """`module:function` of a computation; ValueError for anything else."""
    module, name = getattr(compute, "__module__", ""), getattr(compute, "__qualname__", "")
    if module not in COMPUTATIONS or _resolve(f"{module}:{name}") is not compute:
        raise ValueError(f"not an analysis computation: {module}.{name}")
    return f"{module}:{name}"


def _resolve(name: str) -> Callable[..., Awaitable[Any]]:
    module, _, function = name.partition(":")
    if module not in COMPUTATIONS:
        raise ValueError(f"not an analysis computation: {name}")
    found: Callable[..., Awaitable[Any]] = getattr(importlib.import_module(module), function)
    return found


Load = tuple[str, float | None]  # what `GraphLoadObserver.graph_loaded` was told


@dataclass(slots=True)
class GraphLoads:
    """A pool process's `GraphLoadObserver`: the loads since its last answer."""

    loads: list[Load] = field(default_factory=list)

    def graph_loaded(self, source: str, read_s: float | None) -> None:
        self.loads.append((source, read_s))

    def drain(self) -> list[Load]:
        drained, self.loads = self.loads, []
        return drained


@dataclass(frozen=True, slots=True)
class Answer:
    """What crosses back from a pool process: the result or the error, and the graph loads."""

    loads: list[Load]
    value: Any = None
    error: BaseException | None = None


class AnalysisProcesses:
    """The analysis processes of one API process: `run` computes in one of them; `observer`
    is told of the graphs their analyses loaded."""

    def __init__(
        self,
        settings: Settings,
        processes: int | None = None,
        *,
        observer: GraphLoadObserver | None = None,
    ) -> None:
        self._settings = settings
        self._processes = settings.analysis_processes if processes is None else processes
        self._pool: ProcessPoolExecutor | None = None
        self._observer = observer

    @property
    def in_process(self) -> bool:
        return self._processes == 0

    async def run(self, compute: Callable[..., Awaitable[T]], arguments: dict[str, Any]) -> T:
        """`compute(**arguments)`, in a pool process unless there are none; the revision wanted
        (services/analytics/graph.py) goes with it."""
        if self.in_process:
            return await compute(**arguments)
        name = computation_name(compute)
        plain = {key: value for key, value in arguments.items() if key not in DEPENDENCIES}
        revision = WANTED_REVISION.get()
        pool = self._pool_now()
        try:
            future = pool.submit(_answer, name, plain, revision)
        except BrokenProcessPool:  # a process died while idle: none of this analysis was in it
            self._discard(pool)
            pool = self._pool_now()
            future = pool.submit(_answer, name, plain, revision)
        try:
            answer: Answer = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._discard(pool)
            log.warning("an analysis process stopped; the next analysis starts a new pool")
            raise ServiceUnavailable(STOPPED_MESSAGE, retryAfter=1) from None
        if self._observer is not None:
            for source, read_s in answer.loads:
                self._observer.graph_loaded(source, read_s)
        if answer.error is not None:
            raise answer.error
        result: T = answer.value
        return result

    def process_ids(self) -> list[int]:
        """The process ids of the pool's live processes (none before the pool started)."""
        # concurrent.futures has no public list of a pool's processes.
        processes = getattr(self._pool, "_processes", None) or {}
        return sorted(pid for pid, process in processes.items() if process.is_alive())

    def start(self) -> None:
        """Start the pool's processes now, in the background, instead of at the first analysis."""
        if not self.in_process:
            for _ in range(self._processes):
                self._pool_now().submit(_ready)

    def _pool_now(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                # Not fork: this process runs threads (the driver's, the executor's).
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self._settings, os.getpid()),
            )
        return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the pool: queued analyses are cancelled, running ones end with their process."""
        if self._pool is not None:
            self._discard(self._pool)


# In a pool process: its settings, database and event loop, set by `_start`.
_STATE: dict[str, Any] = {}


def _start(settings: Settings, parent: int) -> None:
    # A pool process outlives no API process, even one killed outright (SIGKILL, OOM).
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    os.nice(settings.analysis_nice)
    configure_logging(settings)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    db = Database(create_driver(settings), CypherRegistry.load(), settings)
    client = redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    share_graphs(db, client, settings)
    loads = GraphLoads()
    recent_graphs(db).observer = loads
    _STATE.update(settings=settings, loop=loop, db=db, loads=loads)


def _ready() -> None:
    """Run in a pool process: nothing, once it has started."""


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _answer(name: str, arguments: dict[str, Any], revision: int) -> Answer:
    """Run in a pool process: the computation `name` for `arguments` at `revision`, with the
    graph loads since the last answer (a read another analysis began and left counts too)."""
    compute = _resolve(name)
    settings, db, loop = _STATE["settings"], _STATE["db"], _STATE["loop"]
    loads: GraphLoads = _STATE["loads"]

    async def answer() -> Any:
        WANTED_REVISION.set(revision)
        return await compute(db=db, settings=settings, **arguments)

    try:
        value = loop.run_until_complete(answer())
    except SfmError as exc:
        # Plain data: its code, message and details reach the caller as they are.
        return Answer(loads.drain(), error=exc)
    except Exception as exc:
        # Other errors may not cross processes intact: logged here with their traceback.
        log.exception("analysis %s failed", name)
        failed = RuntimeError(f"the analysis failed in its process ({type(exc).__name__})")
        return Answer(loads.drain(), error=failed)
    return Answer(loads.drain(), value=value)
