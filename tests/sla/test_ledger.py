"""The ledger fold (guichet.sla.ledger): rules, edge cases, and generated histories against a
brute-force oracle that walks UTC minute by minute (tests/sla/sla_reference.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sla_reference import RefCalendar

from guichet.sla import ClockState, Event, EventKind, replay, terms_for
from guichet.sla.ledger import parse_instant
from guichet.sla.terms import CalendarSpec, Terms

M = timedelta(minutes=1)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def terms(plan: str, priority: str, **kw: object) -> Terms:
    base: dict[str, object] = {"timezone": "Europe/Paris", "country": "FR"}
    return terms_for(plan, priority, **{**base, **kw})  # type: ignore[arg-type]


def fact(kind: EventKind, at: datetime, **kw: object) -> Event:
    return Event.fact(kind, at, **kw)  # type: ignore[arg-type]


# --- Rules ---------------------------------------------------------------------------------------


def test_R_HOURS_a_breach_is_pending_only_strictly_after_the_due_instant() -> None:
    state = replay([Event.applied(T0, terms("premium", "P2", warn_percent=0, warn_before_minutes=0))])
    due = T0 + 60 * M
    assert state.due_at == due
    assert state.pending(due) is None  # a response now would be met
    assert state.pending(due + timedelta(microseconds=1)) is EventKind.BREACHED
    answered = replay([Event.applied(T0, terms("premium", "P2")), fact(EventKind.FULFILLED, due)])
    assert answered.status is ClockState.MET


def test_instants_are_utc_even_in_the_repeated_autumn_hour() -> None:
    # Premium 24x7 Europe/Berlin P2 submitted 02:30+02:00 on the night the clocks go back.
    at = datetime.fromisoformat("2026-10-25T02:30:00+02:00")
    state = replay([Event.applied(at, terms("premium", "P2", timezone="Europe/Berlin", country="DE"))])
    assert state.due_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30+01:00, the second one
    assert state.due_at.tzinfo is UTC and state.due_at == parse_instant("2026-10-25T01:30:00+00:00")


def test_warning_then_breach_then_late_response() -> None:
    t = terms("premium", "P2")  # 1 h on 24x7: warn at the earlier of 45 min and 30 min before
    events = [Event.applied(T0, t)]
    assert replay(events).warn_at == T0 + 30 * M
    events.append(fact(EventKind.WARNED, T0 + 30 * M, due=T0 + 60 * M))
    state = replay(events)
    assert state.warn_at is None and state.warned_at == T0 + 30 * M and state.next_event_at == T0 + 60 * M
    events.append(fact(EventKind.BREACHED, T0 + 60 * M))
    state = replay(events)
    assert state.status is ClockState.BREACHED and state.next_event_at is None
    assert state.breach is not None and state.breach.priority.value == "P2"
    assert state.breach.target == timedelta(hours=1)
    events.append(fact(EventKind.FULFILLED, T0 + 90 * M))
    assert replay(events).status is ClockState.MISSED


def test_a_downgrade_after_a_miss_keeps_the_miss_and_names_the_missed_target() -> None:
    events = [
        Event.applied(T0, terms("basic", "P1")),  # 2 h on 8x5 Paris: due 11:00 local (10:00 UTC)
        fact(EventKind.BREACHED, T0 + 120 * M),
        Event.priority_change(EventKind.DOWNGRADED, T0 + 130 * M, "P2", terms("basic", "P2")),
        fact(EventKind.FULFILLED, T0 + 140 * M),
    ]
    state = replay(events)
    assert state.status is ClockState.MISSED
    assert state.breach is not None and state.breach.priority.value == "P1"
    assert state.breach.at == T0 + 120 * M and state.breach.target == timedelta(hours=2)
    assert state.priority is not None and state.priority.value == "P2"
    assert state.due_at is not None and state.due_at > T0 + 140 * M  # the P2 due time


def test_after_the_first_response_priority_changes_do_not_move_the_due_time() -> None:
    events = [Event.applied(T0, terms("premium", "P3")), fact(EventKind.FULFILLED, T0 + 10 * M)]
    due = replay(events).due_at
    events.append(Event.priority_change(EventKind.RAISED, T0 + 20 * M, "P1", terms("premium", "P1")))
    state = replay(events)
    assert state.due_at == due and state.status is ClockState.MET
    assert state.priority is not None and state.priority.value == "P1"


def test_paused_state_keeps_the_business_time_left() -> None:
    events = [
        Event.applied(T0, terms("premium", "P2")),
        fact(EventKind.PAUSED, T0 + 10 * M),
    ]
    state = replay(events)
    assert state.status is ClockState.PAUSED and state.due_at is None and state.next_event_at is None
    assert state.remaining == 50 * M
    state = replay([*events, fact(EventKind.RESUMED, T0 + 70 * M)])
    assert state.due_at == T0 + 120 * M


def test_a_raise_while_paused_binds_the_clock_that_ends_first_if_resumed_at_once() -> None:
    events = [
        Event.applied(T0, terms("premium", "P4")),  # 12 h on the Paris 8x5 hours
        fact(EventKind.PAUSED, T0 + 10 * M),
        Event.priority_change(EventKind.RAISED, T0 + 20 * M, "P2", terms("premium", "P2")),
    ]
    state = replay(events)
    assert state.status is ClockState.PAUSED and state.remaining == 60 * M
    assert state.terms is not None and state.terms.priority.value == "P2"
    state = replay([*events, fact(EventKind.RESUMED, T0 + 30 * M)])
    assert state.due_at == T0 + 90 * M and state.clock_started_at == T0 + 20 * M


def test_record_round_trip() -> None:
    t = terms("basic", "P3", subdivision="57", extra_holidays=[(datetime(2026, 3, 4).date(), "Closed")])
    for event in (
        Event.applied(T0, t, contract_id=3),
        Event.priority_change(EventKind.RAISED, T0, "P3", t, reason="x"),
        Event.fact(EventKind.WARNED, T0, due=T0 + M),
        Event.no_sla(T0, "P4"),
    ):
        again = Event.from_record(event.kind.value, event.at, event.to_record())
        assert (again.kind, again.at, again.priority, again.terms, again.due) == (
            event.kind,
            event.at,
            event.priority,
            event.terms,
            event.due,
        )


# --- Generated histories against a minute-by-minute oracle --------------------------------------

SPECS = {
    "paris-8x5": (
        CalendarSpec.from_dict(
            {"hours": "8x5", "region": "worldwide", "timezone": "Europe/Paris", "country": "FR"}
        ),
        RefCalendar("Europe/Paris", [(d, time(9), d, time(17)) for d in range(5)], "FR"),
    ),
    "ny-8x5": (
        CalendarSpec.from_dict(
            {
                "hours": "8x5",
                "region": "north-america",
                "timezone": "America/New_York",
                "country": "US",
                "subdivision": "NY",
            }
        ),
        RefCalendar("America/New_York", [(d, time(8), d, time(17)) for d in range(5)], "US", "NY"),
    ),
    "la-24x5": (
        CalendarSpec.from_dict(
            {"hours": "24x5", "region": "north-america", "timezone": "America/Los_Angeles", "country": "US"}
        ),
        RefCalendar("America/Los_Angeles", [(0, time(0, 1), 4, time(23, 59))]),
    ),
    "paris-24x7": (
        CalendarSpec.from_dict(
            {"hours": "24x7", "region": "worldwide", "timezone": "Europe/Paris", "country": "FR"}
        ),
        RefCalendar("Europe/Paris", [], always_open=True),
    ),
}


@dataclass
class Step:
    gap: int  # minutes after the previous event
    kind: str  # pause/resume toggle, raise, downgrade, respond
    spec: str
    target: int


steps = st.lists(
    st.builds(
        Step,
        gap=st.integers(min_value=1, max_value=1500),
        kind=st.sampled_from(["toggle", "toggle", "raise", "downgrade", "respond"]),
        spec=st.sampled_from(sorted(SPECS)),
        target=st.integers(min_value=1, max_value=600),
    ),
    max_size=5,
)


def make_terms(spec: str, target: int, priority: str) -> Terms:
    return Terms.from_dict(
        {
            "plan": "premium",
            "priority": priority,
            "target_seconds": target * 60,
            "warn_seconds": None,
            "calendar": SPECS[spec][0].to_dict(),
        }
    )


def oracle_due(
    defs: list[tuple[datetime, int, str]], pauses: list[tuple[datetime, datetime | None]]
) -> datetime | None:
    """Earliest due over the chain, each clock walked minute by minute on its reference calendar,
    skipping paused minutes (a clock that reaches an open pause first has no due time yet)."""
    dues = []
    for start, target, spec in defs:
        ref = SPECS[spec][1]
        used, u = 0, int(start.timestamp())
        while True:
            at = datetime.fromtimestamp(u, UTC)
            if pauses and pauses[-1][1] is None and at >= pauses[-1][0]:
                break  # paused before this clock's target was used: not known yet
            if not any(ps <= at and (pe is None or at < pe) for ps, pe in pauses) and ref.open_at(u):
                used += 1
                if used == target:
                    dues.append(datetime.fromtimestamp(u + 60, UTC))
                    break
            u += 60
    # A due time known while paused came before the pause; an unknown one will come after it.
    return min(dues) if dues else None


@given(
    start=st.integers(min_value=0, max_value=14 * 24 * 60),
    spec=st.sampled_from(sorted(SPECS)),
    target=st.integers(min_value=1, max_value=600),
    history=steps,
)
@settings(max_examples=60, deadline=None)
def test_replay_matches_the_minute_by_minute_oracle(
    start: int, spec: str, target: int, history: list[Step]
) -> None:
    t0 = T0 + start * M
    events = [Event.applied(t0, make_terms(spec, target, "P3"))]
    defs = [(t0, target, spec)]
    pauses: list[tuple[datetime, datetime | None]] = []
    at, responded = t0, None
    for step in history:
        at += step.gap * M
        paused = bool(pauses) and pauses[-1][1] is None
        if step.kind == "toggle":
            events.append(fact(EventKind.RESUMED if paused else EventKind.PAUSED, at))
            if responded is None:
                pauses = [*pauses[:-1], (pauses[-1][0], at)] if paused else [*pauses, (at, None)]
        elif step.kind == "respond":
            events.append(fact(EventKind.FULFILLED, at))
            responded = responded or at
        else:
            kind = EventKind.RAISED if step.kind == "raise" else EventKind.DOWNGRADED
            events.append(Event.priority_change(kind, at, "P2", make_terms(step.spec, step.target, "P2")))
            if responded is None:
                if kind is EventKind.RAISED:
                    defs.append((at, step.target, step.spec))
                else:
                    defs = [(t0, step.target, step.spec)]
    state = replay(events)
    expected = oracle_due(defs, pauses)
    assert state.due_at == expected, (defs, pauses)
    if responded is not None:
        assert state.status is (
            ClockState.MET if expected is None or responded <= expected else ClockState.MISSED
        )
    elif expected is None:
        assert state.status is ClockState.PAUSED


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_event_kind_reads_back(kind: EventKind) -> None:
    data = (
        {"priority": "P2", **make_terms("paris-24x7", 60, "P2").to_dict()}
        if kind in (EventKind.APPLIED, EventKind.RAISED, EventKind.DOWNGRADED)
        else {"due": T0.isoformat()}
        if kind is EventKind.WARNED
        else {}
    )
    assert Event.from_record(kind.value, T0, data).kind is kind
