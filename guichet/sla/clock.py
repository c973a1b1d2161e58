"""An SLA clock: start, target, calendar and pauses; immutable and pure.

The ticket ledger (:mod:`guichet.sla.ledger`) folds its events over a :class:`Clock`:
every transition returns a new clock, every question is answered from data.

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
    """Where a first-response clock stands. The values are the ones the desk stores."""

    NO_SLA = "no_sla"  # no contract in force: no clock at all (a ledger state, never a Clock's)
    RUNNING = "running"
    PAUSED = "paused"
    BREACHED = "breached"  # past due and not stopped
    MET = "fulfilled"  # stopped (first response given) on or before due
    MISSED = "fulfilled_late"  # stopped after due, or after a recorded breach


@dataclass(frozen=True, slots=True)
class Clock:
    """``start`` + ``target`` of business time on ``calendar``, minus ``pauses``.

    ``pauses`` are ``(start, end)`` pairs in order, ``end`` None for the current one.
    ``previous`` is the clock that was running before a priority raise: both keep
    running and the earlier due time binds, so a raise never moves it later.
    ``stopped_at`` is the first response. ``warn`` is the business time after which
    a warning is due (None: no warning). ``tag`` is the caller's own label for this
    clock (the ledger keeps the terms it runs on there); transitions carry it along.
    """

    start: datetime
    target: timedelta
    calendar: Calendar
    pauses: tuple[Pause, ...] = ()
    previous: Clock | None = None
    stopped_at: datetime | None = None
    warn: timedelta | None = None
    tag: object = field(default=None, compare=False)
    _memo: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _to_utc(self.start)  # raises NaiveDatetimeError
        if not isinstance(self.target, timedelta) or not _ZERO < self.target <= MAX_TARGET:
            raise InvalidTargetError(
                f"target must be a positive timedelta up to 10 years, got {self.target!r}"
            )
        if self.warn is not None and (not isinstance(self.warn, timedelta) or not self.warn > _ZERO):
            raise InvalidTargetError(f"warn must be a positive timedelta, got {self.warn!r}")
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

    def _instant_at(self, amount: timedelta, pauses: tuple[Pause, ...] | None = None) -> datetime | None:
        """When ``amount`` of business time is used on this clock alone (None: paused before)."""
        cal = self.calendar
        at, left = self.start, amount
        for ps, pe in self.pauses if pauses is None else pauses:
            candidate = cal.add(at, left)
            if _to_utc(candidate) <= _to_utc(ps):
                return candidate  # used up before (or exactly when) the pause starts
            left -= cal.between(at, ps) if _to_utc(ps) > _to_utc(at) else _ZERO
            if pe is None:
                return None  # still paused: not known yet
            at = pe if _to_utc(pe) > _to_utc(at) else at
        return cal.add(at, left)

    def _own_due(self) -> datetime | None:
        return self._instant_at(self.target)

    def _resume_due(self) -> datetime:
        """This clock's own due time if an open pause ended the moment it began.

        Decides which clock of a raise chain binds while they are paused, without
        knowing when they will resume."""
        pauses = self.pauses
        if pauses and pauses[-1][1] is None:
            pauses = pauses[:-1]
        due = self._instant_at(self.target, pauses)
        assert due is not None  # no open pause left
        return due

    @property
    def binding(self) -> Clock:
        """The clock of the raise chain whose due time applies (``self`` without a raise).

        The earlier own due time wins; on a tie the clock that was already running."""
        memo = self._memo.get("binding")
        if memo is None:
            memo = self
            if self.previous is not None:
                theirs = self.previous.binding
                if _to_utc(theirs._resume_due()) <= _to_utc(self._resume_due()):
                    memo = theirs
            self._memo["binding"] = memo
        assert isinstance(memo, Clock)
        return memo

    @property
    def due(self) -> datetime | None:
        """When the target is used up (None while an open pause leaves it unknown).

        After a raise it is never later than the previous clock's due time. In the
        calendar's zone."""
        if "due" not in self._memo:
            own = self.binding._own_due()
            self._memo["due"] = own.astimezone(self.calendar.tz) if own is not None else None
        due = self._memo["due"]
        assert due is None or isinstance(due, datetime)
        return due

    @property
    def warn_at(self) -> datetime | None:
        """When the binding clock's ``warn`` is used up (None: no warning, or paused)."""
        clock = self.binding
        if clock.warn is None or clock.warn >= clock.target:
            return None
        at = clock._instant_at(clock.warn)
        return at.astimezone(self.calendar.tz) if at is not None else None

    @property
    def is_running(self) -> bool:
        """Not paused and not stopped."""
        return self.stopped_at is None and not (self.pauses and self.pauses[-1][1] is None)

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
        """Business time left at ``at`` on the binding clock (negative once breached)."""
        clock = self.binding
        return clock.target - clock.elapsed(at)

    def is_paused(self, at: datetime) -> bool:
        """Whether ``at`` falls inside a pause."""
        u = _to_utc(at)
        return any(_to_utc(ps) <= u and (pe is None or u < _to_utc(pe)) for ps, pe in self.pauses)

    def state(self, at: datetime) -> ClockState:
        """running / paused / breached, or met / missed once stopped (at or before ``at``).

        A response at the due instant itself is met; breached only strictly after it (R-HOURS)."""
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

    def downgrade(
        self,
        new_target: timedelta,
        new_calendar: Calendar,
        *,
        warn: timedelta | None = None,
        tag: object = None,
    ) -> Clock:
        """Vendor downgrade (R-PRIO-6): recompute from the original start with the
        new priority's target and calendar, keeping every pause."""
        root = self._root()
        return Clock(root.start, new_target, new_calendar, root.pauses, None, self.stopped_at, warn, tag)

    def raise_(
        self,
        at: datetime,
        new_target: timedelta,
        new_calendar: Calendar,
        *,
        warn: timedelta | None = None,
        tag: object = None,
    ) -> Clock:
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
        return Clock(at, new_target, new_calendar, tuple(pauses), self, self.stopped_at, warn, tag)

    def explain(self, at: datetime | None = None) -> Explanation:
        """Intervals the binding clock consumed up to its due time (or ``at`` while
        paused), pauses skipped."""
        clock = self.binding
        return clock.calendar.explain_span(
            clock.start, clock._own_due(), clock.target, clock.pauses, until=at
        )
