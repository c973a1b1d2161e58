"""Escalation: a trigger starts one (per ticket at a time), each step pages a level and sets the
next; an acknowledgement (link, desk, API, taking or answering the ticket) stops it.

Exactly once: a step fires inside a transaction that holds the escalation row (SELECT … FOR UPDATE
SKIP LOCKED on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), advances ``step``
with a compare-and-set and records its pages with unique keys. The scheduled task at the step's
instant, the workers' one-second poll and the minute sweep all call the same `fire_due`/`fire_one`,
so whichever comes first fires the step and the others find nothing to do.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from guichet.accounts.models import Person, Role
from guichet.oncall import rota
from guichet.oncall.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationState,
    LevelTarget,
    PageKind,
    PageRecord,
    PagingMode,
    Schedule,
)
from guichet.oncall.models.paging import LIVE_STATES
from guichet.oncall.rules import rule_for
from guichet.outbox.services import enqueue_many
from guichet.tickets.models import OPEN_STATUSES, Ticket

log = logging.getLogger(__name__)

PAGE = "oncall.page"
NOTICE = "oncall.notice"


def default_policy() -> EscalationPolicy | None:
    return EscalationPolicy.objects.order_by("id").first()


def snapshot(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return [
        {
            "target": lv.target,
            "person": lv.person_id,
            "seconds": lv.timeout_seconds,
            "position": lv.position,
        }
        for lv in policy.levels.order_by("position", "id")
    ]


# --- Who a level pages ------------------------------------------------------------------------------


@dataclass
class _Cache:
    """What a batch of steps reads once: schedules, leads, contact methods."""

    schedules: dict[int, Schedule | None] = field(default_factory=dict)
    rotas: dict[int, tuple[dt.datetime, dt.datetime, rota.Schedule]] = field(default_factory=dict)
    leads: list[int] | None = None
    methods: dict[int, list[ContactMethod]] = field(default_factory=dict)
    # What a batch of steps owes, written at once by `flush`.
    records: list[PageRecord] = field(default_factory=list)
    rows: list[tuple[str, str, dict[str, Any], int | None, dt.datetime | None]] = field(default_factory=list)
    instants: set[dt.datetime] = field(default_factory=set)

    def on_call(self, schedule: Schedule, at: dt.datetime) -> dict[str, int | None]:
        """Who is on call at ``at``: the pure schedule is built once per batch (a week around)."""
        got = self.rotas.get(schedule.pk)
        if got is None or not got[0] <= at < got[1]:
            start, end = at - dt.timedelta(days=7), at + dt.timedelta(days=7)
            got = (start, end, schedule.rota(start, end))
            self.rotas[schedule.pk] = got
        return got[2].on_call(at)

    def flush(self, *, wake: bool) -> list[str]:
        """Write what the steps owe: their history, their deliveries; schedule their next steps."""
        from guichet.oncall.tasks import schedule_instants

        PageRecord.objects.bulk_create(self.records, batch_size=500)
        keys = enqueue_many(self.rows, wake_relay=wake)
        schedule_instants(self.instants)
        self.records, self.rows, self.instants = [], [], set()
        return keys

    def schedule(self, pk: int | None) -> Schedule | None:
        if pk is None:
            return None
        if pk not in self.schedules:
            self.schedules[pk] = Schedule.objects.prefetch_related("rotations").filter(pk=pk).first()
        return self.schedules[pk]

    def lead_ids(self) -> list[int]:
        if self.leads is None:
            self.leads = list(
                Person.objects.filter(role=Role.LEAD, is_active=True)
                .order_by("id")
                .values_list("pk", flat=True)
            )
        return self.leads

    def contact_methods(self, person_ids: Iterable[int]) -> None:
        missing = [p for p in person_ids if p not in self.methods]
        if not missing:
            return
        for p in missing:
            self.methods[p] = []
        for m in ContactMethod.objects.filter(person_id__in=missing, active=True).order_by("position", "id"):
            self.methods[m.person_id].append(m)


def level_people(
    level: dict[str, Any], schedule: Schedule | None, at: dt.datetime, cache: _Cache
) -> list[int]:
    """The people a level pages at ``at`` (the step's own instant: a hand-off inside an escalation
    pages whoever is on call when the step falls due)."""
    target = level["target"]
    if target == LevelTarget.PERSON:
        return [int(level["person"])] if level.get("person") else []
    if target == LevelTarget.LEADS:
        return cache.lead_ids()
    if schedule is None:
        return []
    who = cache.on_call(schedule, at).get(target)
    return [who] if who is not None else []


# --- Starting ---------------------------------------------------------------------------------------


def start(
    ticket: Ticket, trigger: str, fingerprint: str, *, now: dt.datetime | None = None
) -> Escalation | None:
    """Called in the write's transaction by the trigger subscribers: page this ticket if its rule
    says so. One live escalation per ticket: a new trigger while one runs is recorded, not paged."""
    now = now or timezone.now()
    if ticket.status not in OPEN_STATUSES or ticket.contract is None or not ticket.plan:
        return None
    rule = rule_for(ticket.plan, ticket.priority)
    if rule.mode == PagingMode.NEVER or trigger not in rule.triggers:
        return None
    policy = rule.policy or default_policy()
    if policy is None:
        log.warning("oncall: ticket %s should page (%s) but no escalation policy exists", ticket.pk, trigger)
        return None
    key = f"{ticket.pk}|{trigger}|{fingerprint}"
    if Escalation.objects.filter(key=key).exists():
        return None  # the same event, replayed
    live = Escalation.objects.filter(ticket=ticket, state__in=LIVE_STATES).first()
    if live is not None:
        _record(ticket.pk, live, PageKind.DEDUPLICATED, now, key=f"dedup|{key}", detail={"trigger": trigger})
        return None
    first = now
    if rule.mode == PagingMode.BUSINESS_HOURS:
        first = max(now, ticket.contract.calendar(ticket.priority).next_open(now).astimezone(dt.UTC))
    esc = Escalation.objects.create(
        ticket=ticket,
        policy=policy,
        trigger=trigger,
        key=key,
        state=EscalationState.ACTIVE if first <= now else EscalationState.WAITING,
        next_step_at=first,
        created_at=now,
        levels=snapshot(policy),
        repeat=policy.repeat,
        schedule_id_at_start=policy.schedule_id,
    )
    detail = {"trigger": trigger, "priority": ticket.priority, "plan": ticket.plan}
    if first > now:
        _record(
            ticket.pk,
            esc,
            PageKind.DEFERRED,
            now,
            key=f"deferred|{esc.pk}",
            detail={**detail, "until": first.isoformat()},
        )
        from guichet.oncall.tasks import schedule_instants

        schedule_instants({first})
        return esc
    _record(ticket.pk, esc, PageKind.TRIGGERED, now, key=f"triggered|{esc.pk}", detail=detail)
    cache = _Cache()
    _fire_locked(esc, now, cache)
    cache.flush(wake=True)
    return esc


def _record(
    ticket_id: int, esc: Escalation | None, kind: str, at: dt.datetime, *, key: str = "", **fields: Any
) -> PageRecord:
    rec = PageRecord(ticket_id=ticket_id, escalation=esc, kind=kind, at=at, key=key, **fields)
    rec.save()
    return rec


# --- Firing steps -----------------------------------------------------------------------------------


def _fire_locked(esc: Escalation, now: dt.datetime, cache: _Cache) -> None:
    """Fire every step of ``esc`` due by ``now`` (the row is held by the caller's transaction):
    the step advances here (compare-and-set), its pages wait in ``cache`` for `_Cache.flush`."""
    levels = esc.levels or []
    records, rows = cache.records, cache.rows
    old_step = esc.step
    guard = len(levels) * (esc.repeat + 1) + 2
    while esc.live and esc.next_step_at is not None and esc.next_step_at <= now and guard > 0:
        guard -= 1
        at = esc.next_step_at
        n = esc.step
        if not levels or n // len(levels) > esc.repeat:
            esc.state, esc.next_step_at = EscalationState.EXHAUSTED, None
            records.append(
                PageRecord(
                    ticket_id=esc.ticket_id,
                    escalation=esc,
                    kind=PageKind.EXHAUSTED,
                    at=at,
                    key=f"exhausted|{esc.pk}",
                )
            )
            break
        index, rnd = n % len(levels), n // len(levels)
        level = levels[index]
        people = level_people(level, cache.schedule(esc.schedule_id_at_start), at, cache)
        cache.contact_methods(people)
        if not people:
            records.append(
                PageRecord(
                    ticket_id=esc.ticket_id,
                    escalation=esc,
                    kind=PageKind.NOBODY,
                    at=at,
                    level=index + 1,
                    round=rnd,
                    key=f"nobody|{esc.pk}|{n}",
                    detail={"target": level["target"]},
                )
            )
        for person in people:
            methods = cache.methods.get(person, [])
            records.append(
                PageRecord(
                    ticket_id=esc.ticket_id,
                    escalation=esc,
                    kind=PageKind.PAGED,
                    at=at,
                    person_id=person,
                    level=index + 1,
                    round=rnd,
                    key=f"paged|{esc.pk}|{n}|{person}",
                    detail={
                        "target": level["target"],
                        "methods": len(methods),
                        "late_ms": int((now - at).total_seconds() * 1000),
                    },
                )
            )
            for m in methods:
                key = f"{PAGE}|{esc.pk}|{n}|{person}|{m.pk}"
                payload = {
                    "escalation": esc.pk,
                    "step": n,
                    "person": person,
                    "method": m.pk,
                    "level": index + 1,
                    "at": at.isoformat(),
                }
                rows.append((PAGE, key, payload, esc.ticket_id, at + dt.timedelta(minutes=m.delay_minutes)))
        esc.step = n + 1
        esc.state = EscalationState.ACTIVE
        # Nobody at this level: the next one at once, not after a timeout nobody can answer.
        esc.next_step_at = at + dt.timedelta(seconds=int(level["seconds"])) if people else at
    if esc.step != old_step or esc.state != EscalationState.ACTIVE or esc.next_step_at is None:
        updated = Escalation.objects.filter(pk=esc.pk, step=old_step).update(
            step=esc.step, state=esc.state, next_step_at=esc.next_step_at
        )
        if updated != 1:  # someone else fired it: roll back ours (exactly once)
            raise _Raced()
    if esc.live and esc.next_step_at is not None:
        cache.instants.add(esc.next_step_at)


class _Raced(Exception):
    pass


def _due_ids(now: dt.datetime, limit: int) -> list[int]:
    return list(
        Escalation.objects.filter(state__in=LIVE_STATES, next_step_at__lte=now)
        .order_by("next_step_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def _locked(ids: list[int], now: dt.datetime) -> list[Escalation]:
    qs = Escalation.objects.filter(pk__in=ids, state__in=LIVE_STATES, next_step_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.order_by("next_step_at", "id"))


def fire_due(now: dt.datetime | None = None, *, batch: int = 250, wake: bool = True) -> list[str]:
    """Fire every step due by ``now``, ``batch`` escalations per transaction. Returns the outbox
    keys of the pages owed; ``wake=False`` when the caller delivers them itself (the timer poll)."""
    now = now or timezone.now()
    keys: list[str] = []
    seen: set[int] = set()
    while ids := [i for i in _due_ids(now, batch) if i not in seen]:
        seen.update(ids)
        try:
            with transaction.atomic():
                cache = _Cache()
                for esc in _locked(ids, now):
                    _fire_locked(esc, now, cache)
                keys += cache.flush(wake=wake)
        except (_Raced, IntegrityError):
            log.info("oncall: a step was fired by another worker; firing this batch one by one")
            for pk in ids:
                keys += fire_one(pk, now=now, wake=wake)
    return keys


def fire_one(pk: int, *, now: dt.datetime | None = None, wake: bool = True) -> list[str]:
    """Fire what is due on one escalation (the scheduled task's entry point)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            cache = _Cache()
            for esc in _locked([pk], now):
                _fire_locked(esc, now, cache)
            return cache.flush(wake=wake)
    except (_Raced, IntegrityError):
        return []


# --- Acknowledging and stopping ---------------------------------------------------------------------


def acknowledge(esc: Escalation, person: Person, *, via: str, now: dt.datetime | None = None) -> bool:
    """Stop ``esc``: ``person`` has it. False when it was no longer escalating (already
    acknowledged, stopped or exhausted). The others paged are told, as an ordinary notification."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Escalation.objects.filter(pk=esc.pk, state__in=LIVE_STATES).update(
            state=EscalationState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=person, next_step_at=None
        )
        if not updated:
            return False
        _record(
            esc.ticket_id,
            esc,
            PageKind.ACKNOWLEDGED,
            now,
            key=f"ack|{esc.pk}",
            person=person,
            detail={"via": via, "after_seconds": int((now - esc.created_at).total_seconds())},
        )
        _notify_others(esc, person, now)
    esc.refresh_from_db()
    return True


def _notify_others(esc: Escalation, person: Person, now: dt.datetime) -> None:
    from guichet.oncall.delivery import notice_due

    paged = set(
        PageRecord.objects.filter(escalation=esc, kind=PageKind.PAGED)
        .exclude(person=person)
        .values_list("person_id", flat=True)
    )
    rows = []
    for m in ContactMethod.objects.filter(person_id__in=paged, active=True).select_related("person"):
        due = notice_due(m.person, now)
        key = f"{NOTICE}|{esc.pk}|ack|{m.pk}"
        rows.append(
            (NOTICE, key, {"escalation": esc.pk, "method": m.pk, "by": person.pk}, esc.ticket_id, due)
        )
    enqueue_many(rows)


def stop_ticket(ticket_id: int, *, person_id: int | None, via: str, now: dt.datetime | None = None) -> int:
    """Taking or answering the ticket acknowledges its live escalations (by that person); solving
    or closing it stops them. Returns how many were stopped."""
    now = now or timezone.now()
    n = 0
    for esc in Escalation.objects.filter(ticket_id=ticket_id, state__in=LIVE_STATES):
        person = Person.objects.filter(pk=person_id).first() if person_id else None
        if person is not None and acknowledge(esc, person, via=via, now=now):
            n += 1
        elif person is None:
            with transaction.atomic():
                if Escalation.objects.filter(pk=esc.pk, state__in=LIVE_STATES).update(
                    state=EscalationState.STOPPED, next_step_at=None
                ):
                    _record(
                        ticket_id, esc, PageKind.STOPPED, now, key=f"stopped|{esc.pk}", detail={"via": via}
                    )
                    n += 1
    return n
