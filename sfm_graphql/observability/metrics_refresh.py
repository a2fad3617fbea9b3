"""Gauges sampled on a timer, not per request: graph size, active users, memory.

Every `metrics_refresh_s` each worker runs `cypher/metrics/graph_size.cypher` (two count-store
lookups), sends the principals it served to Redis and reads them back as a window count, and
reads its own resident memory. A failed sample keeps the previous value and is logged once per
outage, not once per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import sys
from pathlib import Path

from redis.asyncio import Redis

from sfm_graphql.db.database import Database
from sfm_graphql.observability.metrics import Metrics

log = logging.getLogger(__name__)

GRAPH_SIZE_QUERY = "metrics/graph_size"
# cgroup v2, then v1; "max" or a huge number means no limit.
CGROUP_LIMIT_FILES = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)
NO_LIMIT = 1 << 60


def rss_bytes() -> int:
    """This process's resident memory now (Linux), or its peak where /proc is missing."""
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def memory_limit_bytes(configured: int | None, cgroup_files: tuple[Path, ...] = ()) -> int:
    """The configured limit, else the container's cgroup limit, else physical memory."""
    if configured:
        return configured
    for path in cgroup_files or CGROUP_LIMIT_FILES:
        try:
            value = path.read_text().strip()
        except OSError:
            continue
        if value.isdigit() and 0 < int(value) < NO_LIMIT:
            return int(value)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


class MetricsRefresher:
    def __init__(
        self,
        *,
        metrics: Metrics,
        db: Database,
        redis: Redis,
        interval_s: float,
        memory_limit: int,
    ) -> None:
        self._metrics = metrics
        self._db = db
        self._redis = redis
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._failing: set[str] = set()
        metrics.memory_limit.set(memory_limit)

    async def refresh(self) -> None:
        """Sample every timed gauge once."""
        self._metrics.memory_usage.set(rss_bytes())
        try:
            rows = await self._db.read(GRAPH_SIZE_QUERY)
        except Exception as exc:  # noqa: BLE001 (Neo4j down: keep the last count)
            self._failed("graph size", exc)
        else:
            self._metrics.graph_nodes.set(rows[0]["components"])
            self._metrics.graph_deliveries.set(rows[0]["deliveries"])
            self._recovered("graph size")
        try:
            active = await self._metrics.active_users.count(self._redis)
        except Exception as exc:  # noqa: BLE001 (Redis down: keep the last count)
            self._failed("active users", exc)
        else:
            self._metrics.active_users_gauge.set(active)
            self._recovered("active users")

    def start(self) -> None:
        """Refresh now and then every interval; an interval of 0 leaves refreshing to callers."""
        if self._interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="sfm-metrics-refresh")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._interval_s)

    def _failed(self, what: str, exc: Exception) -> None:
        if what not in self._failing:
            self._failing.add(what)
            log.warning(
                "metrics: cannot sample %s (%s); keeping the last value", what, type(exc).__name__
            )

    def _recovered(self, what: str) -> None:
        if what in self._failing:
            self._failing.discard(what)
            log.info("metrics: sampling %s again", what)
