"""A ticket's SLA history as events, and its state as the fold of those events over a :class:`Clock`.

The desk stores one append-only event per change (submission, pause, resume, priority raise or
downgrade, warning, breach, first response); each event carries the data its replay needs
(:class:`~guichet.sla.terms.Terms` frozen at the time). :func:`replay` folds them, in order, over
the core's :class:`~guichet.sla.clock.Clock` and returns a :class:`LedgerState`: nothing else
computes a ticket's clock.

Rules (R-PLAN-3, R-HOURS, R-PRIO-6; docs/domain.md):

- ``applied``: the clock starts at the submission with the terms of the contract in force.
- ``paused`` / ``resumed``: business time stops counting between them.
- ``raised``: the new target starts at the raise; the previous clock keeps running beside it and
  the earlier due time binds (:attr:`Clock.binding`), so a raise never moves the due time later.
- ``downgraded``: recomputed from the original submission with the new terms, pauses kept.
- ``warned``, ``breached``, ``fulfilled``: facts. A breach is recorded at the due instant, only
  strictly after it, and never erased: a later downgrade keeps the miss (``breach`` names the
  target that was missed), unless the downgrade's terms say ``downgrade_keeps_miss=False``; the
  miss is then listed in ``waived`` and the downgraded target is judged.
- Once the first response is given the metric is complete: later changes do not move its due time.

All instants in a :class:`LedgerState` are in UTC.

>>> from datetime import datetime, UTC
>>> from guichet.sla.terms import terms_for
>>> t = terms_for("premium", "P1", timezone="Europe/Paris", country="FR")
>>> s = replay([Event.applied(datetime(2026, 3, 2, 9, tzinfo=UTC), t)])
>>> s.status.value, s.due_at.isoformat()
('running', '2026-03-02T09:30:00+00:00')
>>> [s.pending(datetime(2026, 3, 2, 9, m, tzinfo=UTC)) for m in (20, 30, 31)]  # due 09:30: late after
[None, <EventKind.WARNED: 'warned'>, <EventKind.BREACHED: 'breached'>]
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any

from guichet.sla.calendar import _to_utc
from guichet.sla.clock import Clock, ClockState
from guichet.sla.errors import NaiveDatetimeError
from guichet.sla.explain import Explanation
from guichet.sla.policy import Plan, Priority, parse_priority
from guichet.sla.terms import Terms

__all__ = ["CLOSED_STATUSES", "Breach", "Event", "EventKind", "LedgerState", "replay", "replay_steps"]


class EventKind(enum.StrEnum):
    APPLIED = "applied"
    NO_SLA = "no_sla"
    PAUSED = "paused"
    RESUMED = "resumed"
    RAISED = "raised"
    DOWNGRADED = "downgraded"
    WARNED = "warned"
    BREACHED = "breached"
    FULFILLED = "fulfilled"


_EMPTY: Mapping[str, Any] = MappingProxyType({})
# Ticket statuses (the desk's words, recorded in the ``status`` fact of a pause) that close a request.
CLOSED_STATUSES = frozenset({"solved", "closed"})


def utc(instant: datetime) -> datetime:
    """An aware instant in UTC (``NaiveDatetimeError`` for a naive one)."""
    if instant.utcoffset() is None:
        raise NaiveDatetimeError(f"{instant!r} has no UTC offset")
    return instant.astimezone(UTC)


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant with its offset, in UTC."""
    return utc(datetime.fromisoformat(value))


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the ledger, as the fold reads it.

    ``priority`` and ``terms`` for applied / no_sla / raised / downgraded (``terms`` None when
    the ticket has no SLA); ``due`` for a warning (the due time it warned about). ``facts`` keeps
    the rest of what was recorded (reasons, ids, the contract): opaque to the fold.
    """

    kind: EventKind
    at: datetime
    priority: Priority | None = None
    terms: Terms | None = None
    due: datetime | None = None
    facts: Mapping[str, Any] = _EMPTY

    @classmethod
    def from_record(cls, kind: str, at: datetime, data: Mapping[str, Any] | None) -> Event:
        """Read a stored event (kind, instant, JSON data) into the core's form."""
        data = data or {}
        k = EventKind(kind)
        priority = parse_priority(data["priority"]) if data.get("priority") else None
        terms = None
        if k in (EventKind.APPLIED, EventKind.RAISED, EventKind.DOWNGRADED) and "target_seconds" in data:
            terms = Terms.from_dict(data)
        due = parse_instant(data["due"]) if k is EventKind.WARNED and data.get("due") else None
        return cls(k, utc(at), priority, terms, due, MappingProxyType(dict(data)))

    def to_record(self) -> dict[str, Any]:
        """The JSON data to store (``facts`` first, then what the fold reads)."""
        data: dict[str, Any] = dict(self.facts)
        if self.terms is not None:
            data.update(self.terms.to_dict())
        if self.priority is not None:
            data["priority"] = self.priority.value
        if self.due is not None:
            data["due"] = utc(self.due).isoformat()
        return data

    # Constructors for the events the desk records (`facts` are any other JSON-able keywords).
    @classmethod
    def applied(cls, at: datetime, terms: Terms, /, **facts: Any) -> Event:
        return cls(EventKind.APPLIED, at, terms.priority, terms, facts=MappingProxyType(facts))

    @classmethod
    def no_sla(cls, at: datetime, priority: Priority | str, /, **facts: Any) -> Event:
        return cls(EventKind.NO_SLA, at, parse_priority(priority), facts=MappingProxyType(facts))

    @classmethod
    def priority_change(
        cls, kind: EventKind, at: datetime, priority: Priority | str, terms: Terms | None, /, **facts: Any
    ) -> Event:
        p = parse_priority(priority)
        if terms is not None and terms.priority is not p:
            raise ValueError(f"terms of {terms.priority.value} for a change to {p.value}")
        return cls(kind, at, p, terms, facts=MappingProxyType(facts))

    @classmethod
    def fact(cls, kind: EventKind, at: datetime, /, *, due: datetime | None = None, **facts: Any) -> Event:
        """paused, resumed, warned (with ``due``), breached, fulfilled."""
        return cls(kind, at, due=due, facts=MappingProxyType(facts))


@dataclass(frozen=True, slots=True)
class Breach:
    """A missed first-response target: which commitment, and when it fell due."""

    at: datetime  # the due instant that passed
    priority: Priority
    target: timedelta


@dataclass(frozen=True)
class LedgerState:
    """A ticket's SLA state, as :func:`replay` gives it. Instants in UTC."""

    status: ClockState = ClockState.NO_SLA
    plan: Plan | None = None
    priority: Priority | None = None
    submitted_at: datetime | None = None
    clock: Clock | None = None
    terms: Terms | None = None  # of the binding clock
    paused: bool = False
    due_at: datetime | None = None
    warn_at: datetime | None = None  # the warning still to give (None once given)
    warned_at: datetime | None = None
    warned_dues: frozenset[datetime] = field(default_factory=frozenset)
    breach: Breach | None = None
    first_response_at: datetime | None = None
    clock_started_at: datetime | None = None  # start of the binding clock
    remaining: timedelta | None = None  # business time left, while paused
    # Missed targets a downgrade waived (the contract said a downgrade does not keep the miss).
    waived: tuple[Breach, ...] = ()
    # The status that paused the clock (the ``status`` fact of the last ``paused`` event).
    pause_status: str | None = None

    @property
    def closed_unanswered(self) -> bool:
        """Solved or closed before any response: the clock is paused, no response is owed."""
        return self.paused and not self.complete and self.pause_status in CLOSED_STATUSES

    @property
    def has_sla(self) -> bool:
        return self.clock is not None

    @property
    def complete(self) -> bool:
        return self.first_response_at is not None

    @property
    def breached_at(self) -> datetime | None:
        return self.breach.at if self.breach else None

    @property
    def target(self) -> timedelta | None:
        return self.terms.target if self.terms else None

    @property
    def next_event_at(self) -> datetime | None:
        """When the sweep may have something to do: the pending warning, else the due time."""
        if self.clock is None or self.complete or self.paused or self.breach is not None:
            return None
        candidates = [x for x in (self.due_at, self.warn_at) if x is not None]
        return min(candidates) if candidates else None

    def pending(self, now: datetime) -> EventKind | None:
        """What must be recorded by ``now``: a breach (strictly after the due instant: a response
        at the due instant itself is met), else a warning whose instant has come."""
        if self.clock is None or self.complete or self.paused or self.breach is not None:
            return None
        if self.due_at is not None and self.due_at < _utc_aware(now):
            return EventKind.BREACHED
        if self.warn_at is not None and self.warn_at <= _utc_aware(now):
            return EventKind.WARNED
        return None

    def overdue_at(self, at: datetime) -> bool:
        """Whether a change at ``at`` comes strictly after an unrecorded missed due instant."""
        return self.pending(at) is EventKind.BREACHED

    def elapsed(self, at: datetime) -> timedelta | None:
        """Business time used on the binding clock up to ``at`` (capped at the first response)."""
        return self.clock.binding.elapsed(at) if self.clock else None

    def running_periods(self) -> list[tuple[datetime, datetime | None]]:
        """The binding clock's running intervals (its start to now, pauses removed), in UTC."""
        if self.clock is None:
            return []
        clock = self.clock.binding
        periods: list[tuple[datetime, datetime | None]] = []
        start: datetime | None = clock.start
        for ps, pe in clock.pauses:
            if start is not None and _to_utc(ps) >= _to_utc(start):
                periods.append((utc(start), utc(ps)))
            start = pe
        if start is not None:
            end = clock.stopped_at
            periods.append((utc(start), utc(end) if end else None))
        return periods

    def explain(self) -> Explanation | None:
        """The core's "why is this due then?" for the binding clock."""
        if self.clock is None:
            return None
        periods = self.running_periods()
        return self.clock.explain(at=periods[-1][1] if periods else None)


def _utc_aware(instant: datetime) -> datetime:
    return utc(instant)


def replay(events: Iterable[Event]) -> LedgerState:
    """Fold the ledger, in order, into the ticket's state. Pure."""
    return next(_fold(events, each=False))


def replay_steps(events: Iterable[Event]) -> Iterator[LedgerState]:
    """The state after each event of the ledger, in order (the last one is :func:`replay`'s)."""
    return _fold(events, each=True)


def _fold(events: Iterable[Event], *, each: bool) -> Iterator[LedgerState]:
    plan: Plan | None = None
    priority: Priority | None = None
    submitted: datetime | None = None
    clock: Clock | None = None
    paused = False
    warned_at: datetime | None = None
    warned: set[datetime] = set()
    breach: Breach | None = None
    responded: datetime | None = None
    waived: list[Breach] = []
    pause_status: str | None = None

    for event in events:
        kind, at = event.kind, utc(event.at)
        if kind is EventKind.APPLIED and event.terms is not None:
            submitted, priority, plan = at, event.terms.priority, event.terms.plan
            clock = Clock(
                at,
                event.terms.target,
                event.terms.calendar.calendar(),
                warn=event.terms.warn,
                tag=event.terms,
            )
            paused = False
        elif kind in (EventKind.NO_SLA, EventKind.APPLIED):
            submitted, priority = at, event.priority or priority
        elif kind is EventKind.PAUSED:
            if clock is not None and not paused:
                paused = True
                status = event.facts.get("status")
                pause_status = status if isinstance(status, str) else None
                if responded is None:
                    clock = clock.paused(at)
        elif kind is EventKind.RESUMED:
            if clock is not None and paused:
                paused, pause_status = False, None
                if responded is None:
                    clock = clock.resumed(at)
        elif kind in (EventKind.RAISED, EventKind.DOWNGRADED):
            priority = event.priority or priority
            terms = event.terms
            if clock is not None and terms is not None and responded is None:
                change = clock.downgrade if kind is EventKind.DOWNGRADED else partial(clock.raise_, at)
                clock = change(terms.target, terms.calendar.calendar(), warn=terms.warn, tag=terms)
                plan = terms.plan
                if kind is EventKind.DOWNGRADED and breach is not None and not terms.downgrade_keeps_miss:
                    # The contract lets a downgrade waive a miss: judged on the downgraded target.
                    waived.append(breach)
                    breach = None
            # else: no SLA, or the first-response metric is complete: its due time stays
        elif kind is EventKind.WARNED:
            warned.add(event.due if event.due is not None else _NO_DUE)
            warned_at = at
        elif kind is EventKind.BREACHED:
            if breach is None and clock is not None:
                binding = clock.binding
                missed = binding.tag if isinstance(binding.tag, Terms) else None
                breach = Breach(at, missed.priority if missed else (priority or Priority.P1), binding.target)
        elif kind is EventKind.FULFILLED and responded is None:
            responded = at
            if clock is not None:
                clock = clock.stopped(at)
        if each:
            yield _state(
                plan,
                priority,
                submitted,
                clock,
                paused,
                warned_at,
                warned,
                breach,
                responded,
                waived,
                pause_status,
            )
    if not each:
        yield _state(
            plan,
            priority,
            submitted,
            clock,
            paused,
            warned_at,
            warned,
            breach,
            responded,
            waived,
            pause_status,
        )


_NO_DUE = datetime.min.replace(tzinfo=UTC)


def _state(
    plan: Plan | None,
    priority: Priority | None,
    submitted: datetime | None,
    clock: Clock | None,
    paused: bool,
    warned_at: datetime | None,
    warned: set[datetime],
    breach: Breach | None,
    responded: datetime | None,
    waived: list[Breach],
    pause_status: str | None,
) -> LedgerState:
    if clock is None:
        return LedgerState(
            ClockState.NO_SLA, plan, priority, submitted, paused=paused, first_response_at=responded
        )
    binding = clock.binding
    terms = binding.tag if isinstance(binding.tag, Terms) else None
    due = clock.due
    due_utc = utc(due) if due is not None else None
    warn_at = None
    remaining = None
    if responded is None:
        if due_utc is not None:
            w = clock.warn_at
            if w is not None and due_utc not in warned:
                warn_at = utc(w)
        else:
            # Paused: no due time; the business time left on the binding clock is kept instead.
            remaining = binding.target - binding.elapsed(binding.pauses[-1][0])
    if responded is not None:
        late = breach is not None or (due_utc is not None and responded > due_utc)
        status = ClockState.MISSED if late else ClockState.MET
    elif breach is not None:
        status = ClockState.BREACHED
    elif paused:
        status = ClockState.PAUSED
    else:
        status = ClockState.RUNNING
    return LedgerState(
        status=status,
        plan=plan,
        priority=priority,
        submitted_at=submitted,
        clock=clock,
        terms=terms,
        paused=paused,
        due_at=due_utc,
        warn_at=warn_at,
        warned_at=warned_at,
        warned_dues=frozenset(warned),
        breach=breach,
        first_response_at=responded,
        clock_started_at=utc(binding.start),
        remaining=remaining,
        waived=tuple(waived),
        pause_status=pause_status if paused else None,
    )
