"""The processes of the analytics benchmark: `sfm-graphql worker` beside the service, and what
/proc says about them (peak resident memory, CPU time).

Peak memory is `VmHWM` of /proc/<pid>/status: the most resident memory the process ever held,
which sampling cannot miss. CPU time (utime + stime of /proc/<pid>/stat) tells when a process has
gone quiet, so an analysis left running in a thread after a refused request does not slow the
next measurement.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from server import CLI, LoggedChild, spawn_logged

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STARTED = "analysis worker started"  # sfm_graphql/worker.py logs it once it is listening


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of `pid` in MB, or None when it has gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def children(pid: int) -> list[int]:
    """The direct children of `pid` (all its threads' children)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children(current))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


async def wait_quiet(pids: list[int], *, max_s: float, busy_share: float = 0.1) -> float:
    """Wait until `pids` use less than `busy_share` of a core over half a second (at most
    `max_s`); returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < max_s:
        before = cpu_seconds(pids)
        await asyncio.sleep(0.5)
        if cpu_seconds(pids) - before < busy_share * 0.5:
            break
    return round(time.monotonic() - started, 1)


class Worker(LoggedChild):
    """`async with Worker(env) as worker:` runs `sfm-graphql worker` until the block ends."""

    stop_wait_s = 40  # SIGTERM lets a running job finish within the worker's grace period

    def __init__(self, env: dict[str, str], *, start_timeout_s: float = 60.0) -> None:
        self.env = env
        self._timeout = start_timeout_s
        super().__init__("sfm-bench-worker-")

    def check_running(self) -> None:
        status = self._process.poll() if self._process is not None else None
        if self._process is None or status is not None:
            raise RuntimeError(f"the worker exited (status {status}); its log: {self._log}")

    async def __aenter__(self) -> Worker:
        self._process = spawn_logged([str(CLI), "worker"], self.env, self._log)
        # The worker has no probe; it logs this line once it listens on its queue.
        deadline = time.monotonic() + self._timeout
        while STARTED not in self._log.read_text(errors="replace"):
            self.check_running()
            if time.monotonic() > deadline:
                await self.stop()
                raise RuntimeError(f"the worker did not start; its log: {self._log}")
            await asyncio.sleep(0.2)
        return self
