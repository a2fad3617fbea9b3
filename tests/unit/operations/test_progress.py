"""The progress reporter of long CLI work (sfm_graphql/operations/progress.py), without a network."""

from __future__ import annotations

import io
import re

import pytest

from sfm_graphql.operations.progress import (
    Mode,
    PlainStep,
    Reporter,
    choose_mode,
    format_duration,
)

LINE = re.compile(r"^sfm-graphql import: importing: (\d+)/(\d+) rows \((\d+)%\)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _plain(
    total: int | None, *, every_percent: float = 10.0, every_s: float = 5.0
) -> tuple[PlainStep, io.StringIO, FakeClock]:
    out, clock = io.StringIO(), FakeClock()
    step = PlainStep(
        prefix="sfm-graphql import",
        label="importing",
        total=total,
        unit="rows",
        stream=out,
        clock=clock,
        every_percent=every_percent,
        every_s=every_s,
    )
    return step, out, clock


def test_the_mode_is_quiet_with_quiet_tty_on_a_terminal_and_plain_otherwise() -> None:
    assert choose_mode(quiet=True, stream=Terminal()) is Mode.QUIET
    assert choose_mode(quiet=False, stream=Terminal()) is Mode.TTY
    assert choose_mode(quiet=False, stream=io.StringIO()) is Mode.PLAIN


def test_plain_lines_come_every_ten_percent_with_increasing_counts_and_end_at_100() -> None:
    step, out, clock = _plain(1000)
    for _ in range(100):
        clock.now += 0.01
        step.advance(10)
    step.finish()
    lines = out.getvalue().splitlines()
    counts = [int(LINE.match(line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert counts == list(range(0, 1001, 100))
    assert lines[-1].startswith("sfm-graphql import: importing: 1000/1000 rows (100%), ")
    assert lines[-1].endswith("done in 1s")
    assert "1000 rows/s" in lines[-1]


def test_a_line_states_the_rate_and_the_time_left() -> None:
    step, out, clock = _plain(1000)
    clock.now += 2.0
    step.advance(200)
    assert out.getvalue().splitlines()[-1] == (
        "sfm-graphql import: importing: 200/1000 rows (20%), 100 rows/s, ETA 8s"
    )


def test_slow_work_still_prints_a_line_every_few_seconds() -> None:
    step, out, clock = _plain(1_000_000, every_s=5.0)
    for _ in range(12):
        clock.now += 1.0
        step.advance(1)
    lines = out.getvalue().splitlines()
    assert [int(LINE.match(line).group(1)) for line in lines] == [0, 5, 10]  # type: ignore[union-attr]


def test_an_unknown_total_counts_without_a_share() -> None:
    step, out, clock = _plain(None, every_s=1.0)
    clock.now += 1.0
    step.advance(50)
    step.finish()
    assert out.getvalue().splitlines() == [
        "sfm-graphql import: importing: 0 rows",
        "sfm-graphql import: importing: 50 rows, 50 rows/s",
    ]


def test_finish_does_not_repeat_the_last_line() -> None:
    step, out, _ = _plain(10)
    step.advance(10)
    step.finish()
    assert len(out.getvalue().splitlines()) == 2


def test_an_empty_step_ends_with_a_line_at_zero() -> None:
    step, out, _ = _plain(0)
    step.finish()
    assert out.getvalue().splitlines() == ["sfm-graphql import: importing: 0 rows"]


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    reporter = Reporter("export", mode=Mode.QUIET, stream=out)
    with reporter.step("exporting", 10, "records") as step:
        step.advance(10)
    reporter.note("a note")
    assert out.getvalue() == ""


def test_the_terminal_bar_shows_done_total_and_rate() -> None:
    out, clock = Terminal(), FakeClock()
    reporter = Reporter("export", mode=Mode.TTY, stream=out, clock=clock)
    with reporter.step("exporting", 10, "records") as step:
        clock.now += 1.0
        step.advance(10)
    text = out.getvalue()
    assert "exporting" in text
    assert "10/10" in text
    assert "100%" in text


def test_notes_carry_the_command() -> None:
    out = io.StringIO()
    Reporter("seed-demo", mode=Mode.PLAIN, stream=out).note("matrices: 2 created")
    assert out.getvalue() == "sfm-graphql seed-demo: matrices: 2 created\n"


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (41.2, "42s"), (185, "3m05s"), (3720, "1h02m")]
)
def test_durations_are_short(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
