"""An SLA clock: start, target, calendar and pauses; immutable and pure.

The Django layer stores events (submitted, paused, resumed, priority changed,
responded) and rebuilds a :class:`Clock` from them; every method returns data
or a new clock.

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from guichet.sla.presets import calendar_for
>>> paris = ZoneInfo("Europe/Paris")
>>> cal = calendar_for("8x5", "worldwide", "Europe/Paris", "FR")
>>> c = Clock(datetime(2026, 7, 10, 16, tzinfo=paris), timedelta(hours=2), cal)
>>> c.due.isoformat()
'2026-07-13T10:00:00+02:00'
>>> c = c.paused(datetime(2026, 7, 10, 16, 30, tzinfo=paris))
>>> c = c.resumed(datetime(2026, 7, 13, 9, 30, tzinfo=paris))
>>> c.due.isoformat(), c.elapsed(datetime(2026, 7, 13, 10, tzinfo=paris))
('2026-07-13T11:00:00+02:00', datetime.timedelta(seconds=3600))
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from guichet.sla.calendar import MAX_TARGET, Calendar, _to_utc
from guichet.sla.errors import InvalidPauseError, InvalidTargetError
from guichet.sla.explain import Explanation

__all__ = ["Clock", "ClockState"]

Pause = tuple[datetime, datetime | None]
_ZERO = timedelta(0)


class ClockState(enum.StrEnum):
    """Where a clock stands at an instant."""

    RUNNING = "running"
    PAUSED = "paused"
    BREACHED = "breached"  # past due and not stopped
    MET = "met"  # stopped (first response given) on or before due
    MISSED = "missed"  # stopped after due


@dataclass(frozen=True, slots=True)
class Clock:
    """``start`` + ``target`` of business time on ``calendar``, minus ``pauses``.

    ``pauses`` are ``(start, end)`` pairs in order, ``end`` None for the current one.
    ``previous`` is the clock that was running before a priority raise: the due
    time is never later than its due time. ``stopped_at`` is the first response.
    """

    start: datetime
    target: timedelta
    calendar: Calendar
    pauses: tuple[Pause, ...] = ()
    previous: Clock | None = None
    stopped_at: datetime | None = None
    _due: list[datetime | None] = field(default_factory=list, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _to_utc(self.start)  # raises NaiveDatetimeError
        if not isinstance(self.target, timedelta) or not _ZERO < self.target <= MAX_TARGET:
            raise InvalidTargetError(
                f"target must be a positive timedelta up to 10 years, got {self.target!r}"
            )
        last = _to_utc(self.start)
        for i, (ps, pe) in enumerate(self.pauses):
            s = _to_utc(ps)
            if s < last:
                raise InvalidPauseError(
                    "pauses must be in order, not overlap, and not start before the clock"
                )
            if pe is None:
                if i != len(self.pauses) - 1:
                    raise InvalidPauseError("only the last pause may be open (without an end)")
                continue
            last = _to_utc(pe)
            if last < s:
                raise InvalidPauseError("a pause cannot end before it starts")
        if self.stopped_at is not None:
            _to_utc(self.stopped_at)

    # ---------------------------------------------------------------- own computation

    def _own_due(self) -> datetime | None:
        cal = self.calendar
        at, left = self.start, self.target
        for ps, pe in self.pauses:
            candidate = cal.add(at, left)
            if _to_utc(candidate) <= _to_utc(ps):
                return candidate  # used up before (or exactly when) the pause starts
            left -= cal.between(at, ps) if _to_utc(ps) > _to_utc(at) else _ZERO
            if pe is None:
                return None  # still paused: the due time is not known yet
            at = pe if _to_utc(pe) > _to_utc(at) else at
        return cal.add(at, left)

    @property
    def due(self) -> datetime | None:
        """When the target is used up (None while an open pause leaves it unknown).

        After a raise it is never later than the previous clock's due time.
        """
        if not self._due:
            own = self._own_due()
            if self.previous is not None:
                prev = self.previous.due
                if own is None or (prev is not None and _to_utc(prev) < _to_utc(own)):
                    own = prev.astimezone(self.calendar.tz) if prev is not None else None
            self._due.append(own)
        return self._due[0]

    def elapsed(self, at: datetime) -> timedelta:
        """Business time counted from ``start`` to ``at``, pauses removed (capped at ``stopped_at``)."""
        if self.stopped_at is not None and _to_utc(self.stopped_at) < _to_utc(at):
            at = self.stopped_at
        cal = self.calendar
        ua = _to_utc(at)
        if ua <= _to_utc(self.start):
            return _ZERO
        total = cal.between(self.start, at)
        for ps, pe in self.pauses:
            if _to_utc(ps) >= ua:
                break
            end = at if pe is None or _to_utc(pe) > ua else pe
            total -= cal.between(ps, end)
        return total

    def remaining(self, at: datetime) -> timedelta:
        """Business time left at ``at`` (negative once breached).

        For a raised clock whose previous due time is the binding one, this is the
        previous clock's remaining time.
        """
        own = self.target - self.elapsed(at)
        prev = self.previous
        if prev is not None:
            mine, theirs = self._own_due(), prev.due
            if theirs is not None and (mine is None or _to_utc(theirs) < _to_utc(mine)):
                return prev.remaining(at)
        return own

    def is_paused(self, at: datetime) -> bool:
        """Whether ``at`` falls inside a pause."""
        u = _to_utc(at)
        return any(_to_utc(ps) <= u and (pe is None or u < _to_utc(pe)) for ps, pe in self.pauses)

    def state(self, at: datetime) -> ClockState:
        """running / paused / breached, or met / missed once stopped (at or before ``at``)."""
        due = self.due
        if self.stopped_at is not None and _to_utc(self.stopped_at) <= _to_utc(at):
            return (
                ClockState.MET
                if due is None or _to_utc(self.stopped_at) <= _to_utc(due)
                else ClockState.MISSED
            )
        if due is not None and _to_utc(at) > _to_utc(due):
            return ClockState.BREACHED
        if self.is_paused(at):
            return ClockState.PAUSED
        return ClockState.RUNNING

    # ---------------------------------------------------------------- transitions

    def paused(self, at: datetime) -> Clock:
        """A clock paused from ``at`` (no-op if already paused)."""
        if self.pauses and self.pauses[-1][1] is None:
            return self
        prev = self.previous.paused(at) if self.previous is not None else None
        return replace(self, pauses=(*self.pauses, (at, None)), previous=prev)

    def resumed(self, at: datetime) -> Clock:
        """A clock resumed at ``at`` (no-op if not paused)."""
        if not self.pauses or self.pauses[-1][1] is not None:
            return self
        prev = self.previous.resumed(at) if self.previous is not None else None
        ps = self.pauses[-1][0]
        return replace(self, pauses=(*self.pauses[:-1], (ps, at)), previous=prev)

    def stopped(self, at: datetime) -> Clock:
        """The clock stopped by a first response at ``at``."""
        prev = self.previous.stopped(at) if self.previous is not None else None
        return replace(self, stopped_at=at, previous=prev)

    def _root(self) -> Clock:
        return self.previous._root() if self.previous is not None else self

    def downgrade(self, new_target: timedelta, new_calendar: Calendar) -> Clock:
        """Vendor downgrade (R-PRIO-6): recompute from the original start with the
        new priority's target and calendar, keeping every pause."""
        root = self._root()
        return Clock(root.start, new_target, new_calendar, root.pauses, None, self.stopped_at)

    def raise_(self, at: datetime, new_target: timedelta, new_calendar: Calendar) -> Clock:
        """Priority raise at ``at``: the new target starts at ``at`` on the new
        calendar, but the due time never moves later than it already was."""
        if _to_utc(at) < _to_utc(self.start):
            raise InvalidPauseError("a raise cannot happen before the clock starts")
        ua = _to_utc(at)
        pauses: list[Pause] = []
        for ps, pe in self.pauses:
            if pe is not None and _to_utc(pe) <= ua:
                continue
            pauses.append((at if _to_utc(ps) < ua else ps, pe))  # keep the part after the raise
        return Clock(at, new_target, new_calendar, tuple(pauses), self, self.stopped_at)

    def explain(self, at: datetime | None = None) -> Explanation:
        """Intervals consumed up to the due time (or ``at`` while paused), pauses skipped."""
        return self.calendar.explain_span(self.start, self._own_due(), self.target, self.pauses, until=at)
