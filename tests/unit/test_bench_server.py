"""bench/server.py's child-process helpers, shared by the service and the analysis worker."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from tests.paths import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import server


def test_a_spawned_child_writes_output_and_errors_to_its_log(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    code = "import sys; print('out', flush=True); print('err', file=sys.stderr)"
    child = server.spawn_logged([sys.executable, "-c", code], {}, log)
    assert child.wait(10) == 0
    assert log.read_text().split() == ["out", "err"]


def _wait_for_line(log: Path, line: str) -> None:
    # The child sets its SIGTERM handler before it prints: stopping it earlier would test nothing.
    deadline = time.monotonic() + 10
    while line not in log.read_text().split():
        assert time.monotonic() < deadline, f"the child did not print {line!r}"
        time.sleep(0.05)


async def test_stopping_a_child_that_obeys_sigterm_terminates_it(tmp_path: Path) -> None:
    child = server.spawn_logged(["sleep", "60"], {}, tmp_path / "child.log")
    await server.stop_child(child, 10)
    assert child.returncode == -signal.SIGTERM


async def test_a_child_that_ignores_sigterm_is_killed_after_the_wait(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    child = server.spawn_logged([sys.executable, "-c", code], {}, log)
    _wait_for_line(log, "ready")
    started = time.monotonic()
    await server.stop_child(child, 0.5)
    assert child.returncode == -signal.SIGKILL
    assert time.monotonic() - started >= 0.5


async def test_stopping_no_child_or_an_exited_one_does_nothing(tmp_path: Path) -> None:
    await server.stop_child(None, 1)
    child = server.spawn_logged(["true"], {}, tmp_path / "child.log")
    child.wait(10)
    await server.stop_child(child, 1)
    assert child.returncode == 0
