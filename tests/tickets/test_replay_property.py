"""Property tests of the ledger replay as the desk runs it (`guichet.tickets.ledger`: stored rows
mapped to the core's events and folded over `guichet.sla.Clock`), no database: against a
hand-written oracle on a 24x7 clock (business time is plain elapsed time) and against the core's
Clock driven directly, transition by transition, on business hours. The fold itself is checked
against a minute-by-minute oracle in tests/sla/test_ledger.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.sla import CalendarSpec, ClockState
from guichet.sla.clock import Clock
from guichet.tickets import ledger

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SPEC = {
    "hours": "24x7",
    "region": "worldwide",
    "timezone": "Europe/Paris",
    "country": "FR",
    "subdivision": None,
    "extra_holidays": [],
    "removed_holidays": [],
}


@dataclass
class Event:
    kind: str
    at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


def applied(target_minutes: int) -> Event:
    return Event(
        "applied",
        T0,
        {
            "priority": "P2",
            "plan": "premium",
            "target_seconds": target_minutes * 60,
            "warn_seconds": None,
            "calendar": SPEC,
            "pause_when_waiting": True,
        },
    )


@given(
    target=st.integers(min_value=1, max_value=600),
    gaps=st.lists(st.integers(min_value=1, max_value=300), max_size=8),
)
@settings(max_examples=200, deadline=None)
def test_pauses_push_the_due_instant_by_exactly_their_length(target, gaps):
    events = [applied(target)]
    at, paused = T0, False
    for gap in gaps:
        at += dt.timedelta(minutes=gap)
        events.append(Event("resumed" if paused else "paused", at))
        paused = not paused
    # Oracle: walk the running segments, spending the target.
    remaining, start, due = dt.timedelta(minutes=target), T0, None
    for event in events[1:]:
        if event.kind == "paused":
            used = event.at - start
            if used >= remaining:
                due = start + remaining
                break
            remaining -= used
        else:
            start = event.at
    else:
        due = None if paused else start + remaining
    state = ledger.replay(events)
    assert state.due_at == due
    if due is None:
        assert state.status is ClockState.PAUSED and state.remaining == remaining


@given(
    target=st.integers(min_value=30, max_value=600),
    raise_after=st.integers(min_value=0, max_value=700),
    new_target=st.integers(min_value=1, max_value=600),
)
@settings(max_examples=200, deadline=None)
def test_a_raise_never_moves_the_due_instant_later(target, raise_after, new_target):
    at = T0 + dt.timedelta(minutes=raise_after)
    old_due = T0 + dt.timedelta(minutes=target)
    candidate = at + dt.timedelta(minutes=new_target)
    raised = Event(
        "raised",
        at,
        {
            "priority": "P1",
            "plan": "premium",
            "target_seconds": new_target * 60,
            "warn_seconds": None,
            "calendar": SPEC,
        },
    )
    state = ledger.replay([applied(target), raised])
    # Both clocks run; the earlier due time binds, so it never moves later.
    assert state.due_at == min(old_due, candidate)
    assert state.due_at <= old_due
    assert state.clock_started_at == (at if candidate < old_due else T0)


@given(
    target=st.integers(min_value=1, max_value=300),
    new_target=st.integers(min_value=1, max_value=900),
    pause=st.tuples(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=200)),
    at_minutes=st.integers(min_value=0, max_value=900),
)
@settings(max_examples=200, deadline=None)
def test_a_downgrade_recomputes_from_the_submission_keeping_pauses(target, new_target, pause, at_minutes):
    p_start = T0 + dt.timedelta(minutes=pause[0])
    p_end = p_start + dt.timedelta(minutes=pause[1])
    down_at = max(p_end, T0 + dt.timedelta(minutes=at_minutes))
    events = [
        applied(target),
        Event("paused", p_start),
        Event("resumed", p_end),
        Event(
            "downgraded",
            down_at,
            {
                "priority": "P3",
                "plan": "premium",
                "target_seconds": new_target * 60,
                "warn_seconds": None,
                "calendar": SPEC,
            },
        ),
    ]
    state = ledger.replay(events)
    # 24x7: the new target counted from the submission, plus the pause if it started before the due.
    plain = T0 + dt.timedelta(minutes=new_target)
    expected = plain if plain <= p_start else plain + (p_end - p_start)
    assert state.due_at == expected and state.priority == "P3"


# --- The ledger replay agrees with the SLA core's own Clock on business-hours calendars ------------

CALENDARS = [
    {**SPEC, "hours": "8x5"},
    {
        **SPEC,
        "hours": "24x5",
        "region": "north-america",
        "timezone": "America/Los_Angeles",
        "country": "US",
        "subdivision": "CA",
    },
    {
        **SPEC,
        "hours": "8x5",
        "region": "north-america",
        "timezone": "America/New_York",
        "country": "US",
        "subdivision": "NY",
    },
]


def change(kind: str, at: dt.datetime, priority: str, minutes: int, spec: dict[str, Any]) -> Event:
    data = {
        "priority": priority,
        "plan": "premium",
        "target_seconds": minutes * 60,
        "warn_seconds": None,
        "calendar": spec,
    }
    return Event(kind, at, data)


@given(
    spec=st.sampled_from(CALENDARS),
    start=st.integers(min_value=0, max_value=20 * 24 * 60),
    target=st.integers(min_value=1, max_value=3000),
    steps=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=3000),
            st.sampled_from(["toggle", "toggle", "raise", "downgrade", "respond"]),
            st.integers(min_value=1, max_value=3000),
            st.sampled_from(range(len(CALENDARS))),
        ),
        max_size=7,
    ),
)
@settings(max_examples=150, deadline=None)
def test_replay_matches_core_clock(spec, start, target, steps):
    """Stored rows through the desk's mapping give what the core's Clock gives when driven by hand."""
    t0 = T0 + dt.timedelta(minutes=start)
    first = applied(target)
    first.at = t0
    first.data = {**first.data, "calendar": spec}
    events, at, paused, responded = [first], t0, False, False
    clock = Clock(t0, dt.timedelta(minutes=target), CalendarSpec.from_dict(spec).calendar())
    for gap, kind, minutes, which in steps:
        at += dt.timedelta(minutes=gap)
        other = CALENDARS[which]
        new_calendar = CalendarSpec.from_dict(other).calendar()
        if kind == "toggle":
            events.append(Event("resumed" if paused else "paused", at))
            if not responded:
                clock = clock.resumed(at) if paused else clock.paused(at)
            paused = not paused
        elif kind == "respond":
            events.append(Event("fulfilled", at))
            if not responded:
                clock, responded = clock.stopped(at), True
        elif kind == "raise":
            events.append(change("raised", at, "P2", minutes, other))
            if not responded:
                clock = clock.raise_(at, dt.timedelta(minutes=minutes), new_calendar)
        else:
            events.append(change("downgraded", at, "P3", minutes, other))
            if not responded:
                clock = clock.downgrade(dt.timedelta(minutes=minutes), new_calendar)
    state = ledger.replay(events)
    expected = clock.due.astimezone(dt.UTC) if clock.due is not None else None
    assert state.due_at == expected
    if responded:
        assert state.status in (ClockState.MET, ClockState.MISSED)
