"""Progress of long CLI work (`seed-demo`, `import`, `export`) on stderr.

Three modes, chosen once per command by `choose_mode`:

- `TTY`: stderr is a terminal. A `rich.progress` bar redrawn in place: items done / total, the
  share, the rate and the time left.
- `PLAIN`: stderr is a file, a pipe, CI or `kubectl logs`. A bar redrawn in place would be noise
  there, so one plain line each time another `every_percent` of the total is done or
  `every_s` seconds have passed, whichever comes first, and a last line when the step ends:
  `sfm-graphql import: importing: 4000/10000 rows (40%), 2500 rows/s, ETA 2s`.
- `QUIET` (`--quiet`): nothing.

stdout is never written to: it may carry the command's data (`export -`).
"""

from __future__ import annotations

import enum
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

Clock = Callable[[], float]
DEFAULT_EVERY_PERCENT = 10.0
DEFAULT_EVERY_S = 5.0


class Mode(enum.Enum):
    TTY = "tty"
    PLAIN = "plain"
    QUIET = "quiet"


def choose_mode(*, quiet: bool, stream: TextIO) -> Mode:
    """QUIET with --quiet, TTY when `stream` is a terminal, else PLAIN."""
    if quiet:
        return Mode.QUIET
    isatty = getattr(stream, "isatty", None)
    return Mode.TTY if isatty is not None and isatty() else Mode.PLAIN


class Step(Protocol):
    """One step of a command whose items are counted: `advance` by the items just done."""

    def advance(self, count: int) -> None: ...


def format_duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`: short enough for a log line."""
    whole = max(0, math.ceil(round(seconds, 3)))  # 1.0000000001 s of float sums is 1 s
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class PlainStep:
    """Plain progress lines for a step (PLAIN mode); `total` None when it is not known."""

    def __init__(
        self,
        *,
        prefix: str,
        label: str,
        total: int | None,
        unit: str,
        stream: TextIO,
        clock: Clock = time.monotonic,
        every_percent: float = DEFAULT_EVERY_PERCENT,
        every_s: float = DEFAULT_EVERY_S,
    ) -> None:
        self._head = f"{prefix}: {label}: "
        self._total = total
        self._unit = unit
        self._stream = stream
        self._clock = clock
        self._every_percent = every_percent
        self._every_s = every_s
        self.done = 0
        self._started = clock()
        self._last_line_at = self._started
        self._last_percent = 0.0
        self._last_done: int | None = None
        self._line()  # the start, so a log shows the step began and how big it is

    def advance(self, count: int) -> None:
        self.done += count
        now = self._clock()
        if self._total:
            percent = 100.0 * self.done / self._total
            if percent >= self._last_percent + self._every_percent:
                self._line(now)
                return
        if now - self._last_line_at >= self._every_s:
            self._line(now)

    def finish(self) -> None:
        """The last line, unless the last one already said the same."""
        if self._last_done != self.done:
            self._line()

    def _line(self, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self._total:
            percent = 100.0 * self.done / self._total
            text = f"{self.done}/{self._total} {self._unit} ({math.floor(percent)}%)"
        else:
            percent = 0.0
            text = f"{self.done} {self._unit}"
        if self.done:
            text += f", {rate:.0f} {self._unit}/s"
        if self._total and 0 < self.done < self._total and rate > 0:
            text += f", ETA {format_duration((self._total - self.done) / rate)}"
        elif self._total and self.done >= self._total:
            text += f", done in {format_duration(elapsed)}"
        print(self._head + text, file=self._stream, flush=True)
        self._last_line_at = now
        self._last_percent = percent - percent % self._every_percent
        self._last_done = self.done


class _RateColumn(ProgressColumn):
    """Items per second (rich's own speed column counts bytes)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self._unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self._unit}/s")


class _RichStep:
    def __init__(self, progress: Progress, label: str, total: int | None) -> None:
        self._progress = progress
        self._task = progress.add_task(label, total=total)

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)


class _NoStep:
    def advance(self, count: int) -> None:
        return None


class Reporter:
    """The progress of one command: `with reporter.step(label, total, unit) as step: ...`."""

    def __init__(
        self,
        command: str,
        *,
        mode: Mode,
        stream: TextIO | None = None,
        clock: Clock = time.monotonic,
        every_percent: float = DEFAULT_EVERY_PERCENT,
        every_s: float = DEFAULT_EVERY_S,
    ) -> None:
        self.mode = mode
        self._prefix = f"sfm-graphql {command}"
        self._given = stream  # None: sys.stderr as it is when written to (rich's bar wraps it)
        self._clock = clock
        self._every_percent = every_percent
        self._every_s = every_s

    @classmethod
    def for_cli(cls, command: str, *, quiet: bool) -> Reporter:
        return cls(command, mode=choose_mode(quiet=quiet, stream=sys.stderr))

    @contextmanager
    def step(self, label: str, total: int | None, unit: str) -> Iterator[Step]:
        """Counts `unit`s done towards `total` (None: unknown) until the block ends."""
        if self.mode is Mode.QUIET:
            yield _NoStep()
        elif self.mode is Mode.PLAIN:
            plain = PlainStep(
                prefix=self._prefix,
                label=label,
                total=total,
                unit=unit,
                stream=self._stream(),
                clock=self._clock,
                every_percent=self._every_percent,
                every_s=self._every_s,
            )
            yield plain
            plain.finish()
        else:
            with self._bar(unit) as progress:
                yield _RichStep(progress, label, total)

    def note(self, message: str) -> None:
        """A line about the work that is no count (a phase, a skipped step); none when quiet."""
        if self.mode is not Mode.QUIET:
            print(f"{self._prefix}: {message}", file=self._stream(), flush=True)

    def _stream(self) -> TextIO:
        return sys.stderr if self._given is None else self._given

    def _bar(self, unit: str) -> Progress:
        return Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TaskProgressColumn(),
            _RateColumn(unit),
            TimeRemainingColumn(),
            console=Console(stderr=True) if self._given is None else Console(file=self._given),
            get_time=self._clock,
        )
