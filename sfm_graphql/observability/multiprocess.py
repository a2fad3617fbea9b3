"""Metrics under several worker processes: prometheus-client's multiprocess mode.

With `PROMETHEUS_MULTIPROC_DIR` set before a worker imports prometheus-client, every metric
value is kept in a memory-mapped file of that directory, one per process, and `/metrics` (on
whichever worker answers) adds up the files of all of them. `serve --workers N` (N > 1) sets the
directory up: the operator's `PROMETHEUS_MULTIPROC_DIR`, or a fresh temporary one, emptied at
start so that an earlier run's counts are never added to this one's. A worker that stops
removes its live gauges (`mark_process_dead`); one that died without stopping has them removed
by the next worker to start.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import multiprocess

ENV = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live[a-z]+_(\d+)\.db$")
# prometheus_client.multiprocess has no type hints; the calls below ignore that.


def multiprocess_dir() -> Path | None:
    """The directory values are shared through, when this process runs in multiprocess mode."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def empty_directory(directory: Path) -> None:
    """Create `directory`, or delete the value files of an earlier run from it."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        path.unlink()


@contextlib.contextmanager
def multiprocess_metrics(*, workers: int) -> Iterator[Path | None]:
    """Around `uvicorn.run`: the shared directory when metrics need one, else None."""
    configured = multiprocess_dir()
    if workers <= 1 and configured is None:
        yield None
        return
    directory = configured or Path(tempfile.mkdtemp(prefix="sfm-graphql-metrics-"))
    empty_directory(directory)
    os.environ[ENV] = str(directory)  # inherited by the worker processes uvicorn spawns
    try:
        yield directory
    finally:
        if configured is None:
            os.environ.pop(ENV, None)
            shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_started() -> None:
    """Drop the live gauges of workers that died without stopping (they would still count)."""
    directory = multiprocess_dir()
    if directory is None:
        return
    dead = set()
    for path in directory.glob("gauge_live*.db"):
        found = _LIVE_GAUGE_FILE.match(path.name)
        if found and not _alive(int(found.group(1))):
            dead.add(int(found.group(1)))
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]  # prometheus_client is untyped


def worker_stopped() -> None:
    """Remove this worker's live gauges, so memory and pool use stop counting it."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]  # prometheus_client is untyped
