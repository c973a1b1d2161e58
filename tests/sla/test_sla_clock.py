"""Clocks: pauses, elapsed/remaining, states, downgrade and raise rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.sla import (
    Clock,
    ClockState,
    InvalidPauseError,
    InvalidTargetError,
    NaiveDatetimeError,
    calendar_for,
)

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
M = timedelta(minutes=1)
WW = calendar_for("8x5", "worldwide", "Europe/Paris", "FR")
H24 = calendar_for("24x7", "worldwide", "Europe/Paris", "FR")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_due_elapsed_remaining() -> None:
    c = Clock(paris(2026, 7, 10, 16), 2 * H, WW)
    assert c.due == paris(2026, 7, 13, 10)
    assert c.elapsed(paris(2026, 7, 12, 12)) == H
    assert c.remaining(paris(2026, 7, 13, 9, 30)) == 30 * M
    assert c.remaining(paris(2026, 7, 13, 11)) == -H
    assert c.elapsed(paris(2026, 7, 10, 15)) == timedelta(0)


def test_pauses_are_removed() -> None:
    c = Clock(paris(2026, 7, 10, 16), 2 * H, WW).paused(paris(2026, 7, 10, 16, 30))
    assert c.due is None  # open pause: unknown
    assert c.state(paris(2026, 7, 13, 12)) is ClockState.PAUSED
    assert c.elapsed(paris(2026, 7, 13, 12)) == 30 * M
    c = c.resumed(paris(2026, 7, 13, 9, 30))
    assert c.due == paris(2026, 7, 13, 11)
    assert c.elapsed(paris(2026, 7, 13, 10)) == H
    assert c.remaining(paris(2026, 7, 13, 10)) == H
    assert c.paused(paris(2026, 7, 13, 9, 45)).paused(paris(2026, 7, 13, 9, 50)).pauses[-1][0] == paris(
        2026, 7, 13, 9, 45
    )


def test_pause_after_due_keeps_due_known() -> None:
    c = Clock(paris(2026, 7, 10, 16), H, WW).paused(paris(2026, 7, 13, 12))
    assert c.due == paris(2026, 7, 10, 17)
    assert c.state(paris(2026, 7, 13, 12, 30)) is ClockState.BREACHED


def test_target_used_up_exactly_when_pause_starts() -> None:
    c = Clock(paris(2026, 7, 10, 16), H, WW).paused(paris(2026, 7, 10, 17))
    assert c.due == paris(2026, 7, 10, 17)


def test_states() -> None:
    c = Clock(paris(2026, 7, 10, 16), H, WW)
    assert c.state(paris(2026, 7, 10, 16, 30)) is ClockState.RUNNING
    assert c.state(paris(2026, 7, 10, 17)) is ClockState.RUNNING  # exactly at due: not yet late
    assert c.state(paris(2026, 7, 10, 17, 1)) is ClockState.BREACHED
    met = c.stopped(paris(2026, 7, 10, 17))
    assert met.state(paris(2026, 7, 20)) is ClockState.MET
    assert met.elapsed(paris(2026, 7, 20)) == H
    assert c.stopped(paris(2026, 7, 13, 9, 1)).state(paris(2026, 7, 20)) is ClockState.MISSED


def test_downgrade_recomputes_from_original_start_with_new_calendar() -> None:
    c = Clock(paris(2026, 7, 10, 16), 30 * M, H24)  # Premium P1 on 24x7
    down = c.downgrade(4 * H, WW)  # Premium P3 runs on 8x5
    assert down.start == c.start and down.due == paris(2026, 7, 13, 12)


def test_raise_never_moves_due_later() -> None:
    basic_p3 = Clock(paris(2026, 7, 10, 16), 24 * H, WW)
    assert basic_p3.due == paris(2026, 7, 16, 16)
    raised = basic_p3.raise_(paris(2026, 7, 13, 10), 2 * H, WW)  # to P1: starts at the raise
    assert raised.due == paris(2026, 7, 13, 12)
    late = Clock(paris(2026, 7, 10, 16), 2 * H, WW).raise_(paris(2026, 7, 13, 9, 30), 12 * H, WW)
    assert late.due == paris(2026, 7, 13, 10)  # min(old due, new due)
    assert late.remaining(paris(2026, 7, 13, 9, 45)) == 15 * M
    # Pauses after a raise apply to both the new and the previous clock.
    paused = late.paused(paris(2026, 7, 13, 9, 45)).resumed(paris(2026, 7, 13, 10, 45))
    assert paused.due == paris(2026, 7, 13, 11)


def test_validation() -> None:
    with pytest.raises(NaiveDatetimeError):
        Clock(datetime(2026, 7, 10), H, WW)
    with pytest.raises(InvalidTargetError):
        Clock(paris(2026, 7, 10), -H, WW)
    with pytest.raises(InvalidPauseError):
        Clock(paris(2026, 7, 10), H, WW, ((paris(2026, 7, 9), paris(2026, 7, 11)),))
    with pytest.raises(InvalidPauseError):
        Clock(paris(2026, 7, 10), H, WW, ((paris(2026, 7, 10, 1), None), (paris(2026, 7, 10, 2), None)))


def test_explain_shows_pauses() -> None:
    c = Clock(paris(2026, 7, 10, 16), 2 * H, WW).paused(paris(2026, 7, 10, 16, 30))
    c = c.resumed(paris(2026, 7, 13, 9, 30))
    e = c.explain()
    assert e.due == paris(2026, 7, 13, 11)
    assert [(a.isoformat(), b.isoformat()) for a, b in e.intervals] == [
        ("2026-07-10T16:00:00+02:00", "2026-07-10T16:30:00+02:00"),
        ("2026-07-13T09:30:00+02:00", "2026-07-13T11:00:00+02:00"),
    ]
    assert e.consumed == 2 * H
    assert e.to_dict()["pauses"] == [
        {"start": "2026-07-10T16:30:00+02:00", "end": "2026-07-13T09:30:00+02:00"}
    ]
