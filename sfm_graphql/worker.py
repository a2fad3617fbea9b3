"""`sfm-graphql worker`: runs analysis jobs from Redis (services/analytics/jobs.py).

A job's document runs through the same schema as `/graphql`, with the rights of the principal
who started it, so a job answers exactly what the same query would. While it runs, the job's
heartbeat is renewed; a worker that dies stops renewing it, and the sweep of any worker retries
the job or marks it failed. SIGTERM lets running jobs finish within the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError
from saq import Job, Worker
from saq.queue.redis import RedisQueue
from saq.types import Context as SaqContext
from saq.types import TimersDict

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.graphql.core.context import Context
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.services.analytics.cache import AnalysisCache, analysis_cache
from sfm_graphql.services.analytics.jobs import QUEUE_NAME, RUN_FUNCTION, JobRequest
from sfm_graphql.services.analytics.shared_graphs import share_graphs
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)
WORKER_ADDRESS = "worker"  # the client address of a job's context (no HTTP client)


class WorkerContext(SaqContext, total=False):
    settings: Settings
    db: Database
    schema: Any  # the Strawberry schema
    redis: redis.Redis
    cache: AnalysisCache


class JobRefused(Exception):
    """The job's document answered with errors: final, not retried."""


async def _startup(ctx: WorkerContext) -> None:
    settings: Settings = ctx["settings"]
    ctx["db"] = Database(create_driver(settings), CypherRegistry.load(), settings)
    ctx["schema"] = build_schema(settings)
    ctx["redis"] = redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    ctx["cache"] = analysis_cache(settings, ctx["db"], ctx["redis"], None)
    share_graphs(ctx["db"], ctx["redis"], settings)


async def _shutdown(ctx: WorkerContext) -> None:
    db = ctx.get("db")
    if db is not None:
        await db.close()
    client = ctx.get("redis")
    if client is not None:
        await client.aclose()


async def _heartbeat(job: Job, every_s: float, progress: list[float]) -> None:
    """Renew the job's heartbeat until cancelled. A beat that fails (Redis slow or away, or
    this event loop held up by a library call that keeps the GIL) is skipped, not fatal: the
    analysis itself is unharmed, and a worker that really died is still found by the sweep."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await job.update(progress=progress[0])
        except (RedisError, OSError) as exc:
            log.warning("analysis job %s: heartbeat missed: %s", job.key, exc)


async def run_analysis(ctx: WorkerContext, **kwargs: Any) -> Any:
    job: Job = ctx["job"]
    settings: Settings = ctx["settings"]
    request = JobRequest.from_kwargs(kwargs)
    progress = [0.0]

    async def report(fraction: float) -> None:
        progress[0] = min(max(fraction, progress[0]), 0.99)
        await job.update(progress=progress[0])

    context = Context(
        settings=settings,
        db=ctx["db"],
        principal=request.owner,
        client_ip=WORKER_ADDRESS,
        progress=report,
        analysis_cache=ctx["cache"],
        in_job=True,
    )
    log.info("analysis job %s: attempt %s starts", job.key, job.attempts)
    await report(0.01)
    beat = asyncio.create_task(
        _heartbeat(job, max(settings.analysis_job_heartbeat_s / 3, 0.5), progress)
    )
    try:
        result = await ctx["schema"].execute(
            request.document,
            variable_values=request.variables,
            context_value=context,
            operation_name=request.operation_name,
        )
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
    if result.errors:
        first = result.errors[0]
        job.meta.update(
            error=first.message,
            code=(first.extensions or {}).get("code", "INTERNAL_SERVER_ERROR"),
            data=result.data,
        )
        job.retries = job.attempts  # an answer with errors is final: it would only repeat
        raise JobRefused(first.message)
    return result.data


class SweepingQueue(RedisQueue):
    """saq's Redis queue, sweeping for dead workers' jobs once a heartbeat has passed.

    A sweep at the very start would race the worker's first dequeue: a job being moved to the
    active list, not yet marked active, looks orphaned and is ended as swept while it runs.
    The sweep lock lasts one sweep interval (not saq's minute), so a dead worker's job is found
    within a few heartbeats by whichever worker sweeps next.
    """

    def __init__(self, *args: Any, every_s: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._every_s = every_s
        self._sweep_from = time.monotonic() + every_s

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        del lock  # one sweep interval, whatever saq asks
        if time.monotonic() < self._sweep_from:
            return []
        return await super().sweep(lock=self._every_s, abort=abort)


def create_worker(settings: Settings) -> Worker[WorkerContext]:
    every_s = max(int(settings.analysis_job_heartbeat_s), 1)
    queue = SweepingQueue(redis.from_url(settings.redis_url), name=QUEUE_NAME, every_s=every_s)
    return Worker(
        queue,
        functions=[(RUN_FUNCTION, run_analysis)],
        concurrency=settings.analysis_worker_concurrency,
        startup=_startup,
        shutdown=_shutdown,
        # Stuck jobs (no heartbeat) are found within a few heartbeats, not once a minute.
        timers=TimersDict(
            schedule=1,
            worker_info=10,
            sweep=every_s,
            abort=1,
        ),
        shutdown_grace_period_s=int(settings.analysis_worker_grace_s),
    )


async def run_worker(settings: Settings) -> None:
    worker = create_worker(settings)
    worker.context["settings"] = settings
    await worker.queue.connect()
    log.info("analysis worker started", extra={"concurrency": worker.concurrency})
    await worker.start()
