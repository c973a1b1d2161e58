"""The SLA ledger: replay equals the stored state; warnings and breaches once, at the right instant."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import IntegrityError, transaction

from guichet.accounts.models import Role
from guichet.contracts.models import HoursOption, Plan, Region
from guichet.sla.terms import _calendar
from guichet.tickets import ledger, services
from guichet.tickets.models import AuditEntry, SlaEvent, SlaEventKind, SlaState, Status, Ticket
from guichet.tickets.services import ServiceError
from tests.factories import PARIS, make_org, make_person, open_for, paris


def stored(ticket: Ticket) -> dict:
    ticket.refresh_from_db()
    return {name: getattr(ticket, name) for name in ledger.CACHED_FIELDS}


def replayed(ticket: Ticket) -> dict:
    _calendar.cache_clear()  # rebuild every calendar from the specification stored in the events
    return ledger.cached_fields(ledger.replay(SlaEvent.objects.filter(ticket=ticket).order_by("seq")))


ACTIONS = (
    "agent_reply",
    "customer_reply",
    "note",
    "waiting",
    "open",
    "solve",
    "raise",
    "downgrade",
    "sweep",
    "sweep",
)


def _history(rng: random.Random, agent, customers) -> Ticket:
    customer = rng.choice(customers)
    priority = rng.choice(["P1", "P2", "P3", "P4"])
    at = dt.datetime(2026, 3, 2, 0, 0, tzinfo=PARIS) + dt.timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
    ticket = open_for(agent, customer, priority, at=at, contact_phone="+33 1 23 45 67 89")
    for _ in range(rng.randrange(1, 9)):
        at += dt.timedelta(minutes=rng.choice([1, 7, 20, 45, 90, 240, 600, 1500]))
        action = rng.choice(ACTIONS)
        try:
            if action == "agent_reply":
                services.add_reply(actor=agent, ticket=ticket, body="r", at=at)
            elif action == "customer_reply":
                # Customers cannot backdate: the same effect through an agent-entered e-mail reply
                # is not a customer reply, so use a note instead to keep the timeline in the past.
                services.add_note(actor=agent, ticket=ticket, body="customer called back", at=at)
            elif action == "note":
                services.add_note(actor=agent, ticket=ticket, body="n", at=at)
            elif action == "waiting":
                status = rng.choice([Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY])
                services.change_status(actor=agent, ticket=ticket, status=status, at=at)
            elif action == "open":
                services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=at)
            elif action == "solve":
                services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=at)
            elif action == "raise":
                target = rng.choice(["P1", "P2", "P3"])
                services.raise_priority(
                    actor=agent, ticket=ticket, priority=target, reason="r", impact_confirmed=True, at=at
                )
            elif action == "downgrade":
                services.record_contact_attempt(
                    actor=agent, ticket=ticket, channel="phone", at=at, answered=False
                )
                services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable", at=at)
            elif action == "sweep":
                services.sweep_sla(now=at)
        except ServiceError:
            pass  # an action refused in that state (e.g. raise to a lower priority): nothing changed
    return ticket


@pytest.mark.slow
def test_replay_equals_stored_state_over_generated_histories(db):
    agent = make_person("agent", Role.AGENT)
    customers = [
        make_person("b", org=make_org("Basic", Plan.BASIC, pause_when_waiting=True)),
        make_person("p", org=make_org("Premium", Plan.PREMIUM)),
        make_person(
            "n",
            org=make_org(
                "NA",
                Plan.BASIC,
                tz="America/New_York",
                country="US",
                subdivision="NY",
                region=Region.NORTH_AMERICA,
                hours=HoursOption.H24X5,
            ),
        ),
        make_person(
            "l",
            org=make_org(
                "LA",
                Plan.PREMIUM,
                tz="America/Los_Angeles",
                country="US",
                subdivision="CA",
                region=Region.NORTH_AMERICA,
                pause_when_waiting=True,
            ),
        ),
    ]
    rng = random.Random(20260302)
    tickets = [_history(rng, agent, customers) for _ in range(80)]
    seen = set()
    for ticket in tickets:
        assert stored(ticket) == replayed(ticket), (
            f"ticket {ticket.pk}: {list(ticket.sla_events.values_list('kind', flat=True))}"
        )
        events = list(ticket.sla_events.order_by("seq"))
        seen.update(e.kind for e in events)
        # Each event's recorded due instant is the replay of the ledger up to it.
        for i, event in enumerate(events):
            assert event.due_at == ledger.replay(events[: i + 1]).due_at
            # No event may happen after a missed due instant without the breach recorded first.
            before = ledger.replay(events[:i])
            if (
                i
                and event.kind != "breached"
                and before.has_sla
                and not (before.complete or before.paused or before.breached_at)
                and before.due_at is not None
            ):
                assert event.at <= before.due_at, (ticket.pk, event.kind)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        # At most one breach and one warning per due instant.
        assert sum(e.kind == "breached" for e in events) <= 1
        # Independent of how the replay finds the due instant: the business time the running
        # segments of the current clock use up to it is exactly the target.
        state = ledger.replay(events)
        if state.due_at is not None and not state.complete and state.clock is not None:
            binding = state.clock.binding
            assert binding.elapsed(state.due_at) == binding.target, ticket.pk
        if state.breached_at is not None:
            assert ticket.first_response_at is None or ticket.first_response_at > state.breached_at
        if ticket.first_response_at is not None:
            responses = ticket.messages.filter(
                author__role__in=["agent", "lead", "admin"], kind__in=["reply", "call"]
            )
            assert ticket.first_response_at == min(m.created_at for m in responses)
    # The generator really exercised the ledger.
    assert {"applied", "paused", "resumed", "raised", "downgraded", "warned", "breached", "fulfilled"} <= seen


def test_replay_is_pure_and_detects_tampering(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    # A cache edited behind the services' back no longer equals the replay.
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=paris(9, 10))
    assert stored(ticket) != replayed(ticket)


# --- Sweep: warnings and breaches ---------------------------------------------------------------


def test_sweep_warns_then_breaches_at_the_due_instant(agent, premium_customer, lead):
    from django.core import mail

    ticket = open_for(agent, premium_customer, "P2", at=paris(2, 10))  # 1 h target, 24x7
    # Warning at the earlier of 75 % (45 min) and 30 min before (30 min): 10:30.
    assert ticket.sla_warn_at == paris(2, 10, 30) and ticket.next_sla_event_at == paris(2, 10, 30)
    mail.outbox.clear()
    assert services.sweep_sla(now=paris(2, 10, 29))["warned"] == 0
    assert services.sweep_sla(now=paris(2, 10, 40))["warned"] == 1
    assert services.sweep_sla(now=paris(2, 10, 41)) == {"warned": 0, "breached": 0, "skipped": 0, "failed": 0}
    ticket.refresh_from_db()
    assert ticket.sla_warned_at == paris(2, 10, 30) and ticket.next_sla_event_at == paris(2, 11)
    assert ticket.sla_is_warning
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [lead.email]
    # The sweep runs late (the worker was down): the breach is still recorded at 11:00.
    assert services.sweep_sla(now=paris(2, 15))["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED and ticket.sla_breached_at == paris(2, 11)
    assert ticket.next_sla_event_at is None
    assert services.sweep_sla(now=paris(2, 16))["breached"] == 0
    assert list(ticket.sla_events.values_list("kind", flat=True)) == ["applied", "warned", "breached"]
    assert AuditEntry.objects.filter(ticket=ticket, action="sla.breached").count() == 1
    # A late response is measured as late; the breach stays.
    services.add_reply(actor=agent, ticket=ticket, body="sorry", at=paris(2, 16, 30))
    assert ticket.sla_state == SlaState.FULFILLED_LATE and ticket.sla_breached_at == paris(2, 11)


def test_sweep_catches_up_breach_without_warning_when_both_passed(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    assert services.sweep_sla(now=paris(2, 12)) == {"warned": 0, "breached": 1, "skipped": 0, "failed": 0}
    ticket.refresh_from_db()
    assert ticket.sla_breached_at == paris(2, 10, 30)


def test_sweep_dedup_key_makes_a_second_record_impossible(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.sweep_sla(now=paris(2, 12))
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaEvent.objects.create(
            ticket=ticket, seq=99, kind=SlaEventKind.BREACHED, at=paris(2, 10, 30), dedup_key="breached"
        )


def test_reply_racing_the_breach_wins_under_the_lock(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    stale_next = ticket.next_sla_event_at
    services.add_reply(actor=agent, ticket=ticket, body="here", at=paris(2, 10, 29))
    # A sweep that read the ticket before the reply committed still sees it as due...
    Ticket.objects.filter(pk=ticket.pk).update(next_sla_event_at=stale_next)
    counts = services.sweep_sla(now=paris(2, 10, 31))
    # ...but re-checks under the lock from the ledger: no breach.
    assert counts["breached"] == 0
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.FULFILLED and ticket.sla_breached_at is None
    assert ticket.next_sla_event_at is None


def test_paused_ticket_is_not_swept(db, agent):
    org = make_org("Pausing", Plan.PREMIUM, pause_when_waiting=True)
    customer = make_person("c", org=org)
    ticket = open_for(agent, customer, "P2", at=paris(2, 10))
    services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_THIRD_PARTY, at=paris(2, 10, 10))
    assert ticket.sla_due_at is None and ticket.sla_remaining_seconds == 50 * 60
    assert services.sweep_sla(now=paris(3, 10))["breached"] == 0
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 12))
    assert ticket.sla_due_at == paris(2, 12, 50)


def test_warning_repeats_when_a_raise_brings_the_due_earlier(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(2, 9))
    assert ticket.sla_due_at == paris(4, 17)  # 24 business hours: Wednesday 17:00
    services.sweep_sla(now=paris(4, 11, 30))  # 75 %: Wednesday 11:00
    assert ticket.sla_events.filter(kind="warned").count() == 1
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P1", reason="r", impact_confirmed=True, at=paris(4, 11, 30)
    )
    ticket.refresh_from_db()
    assert ticket.sla_due_at == paris(4, 13, 30) and ticket.sla_warn_at == paris(4, 13)
    services.sweep_sla(now=paris(4, 13, 10))
    warned = ticket.sla_events.filter(kind="warned").order_by("seq")
    assert warned.count() == 2 and warned[0].data["due"] != warned[1].data["due"]


# --- Concurrency on PostgreSQL: two real connections --------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_record_each_breach_once():
    agent = make_person("agent", Role.AGENT)
    customer = make_person("c", org=make_org("Premium", Plan.PREMIUM), phone="+33 1 23 45 67 89")
    tickets = [open_for(agent, customer, "P1", at=paris(2, 10)) for _ in range(30)]
    barrier = threading.Barrier(3)
    results: list[dict] = []
    errors: list[BaseException] = []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            results.append(services.sweep_sla(now=paris(2, 12)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["breached"] for r in results) == len(tickets)
    assert SlaEvent.objects.filter(kind="breached").count() == len(tickets)
    for ticket in tickets:
        assert stored(ticket) == replayed(ticket)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_reply_and_sweep_in_parallel_never_both_on_postgres():
    agent = make_person("agent", Role.AGENT)
    customer = make_person("c", org=make_org("Premium", Plan.PREMIUM), phone="+33 1 23 45 67 89")
    tickets = [open_for(agent, customer, "P1", at=paris(2, 10)) for _ in range(10)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def replier():
        from django.db import connections

        try:
            barrier.wait()
            for ticket in tickets:
                services.add_reply(actor=agent, ticket=ticket, body="r", at=paris(2, 10, 29))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def sweeper():
        from django.db import connections

        try:
            barrier.wait()
            services.sweep_sla(now=paris(2, 12))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=replier), threading.Thread(target=sweeper)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A reply may lose the race to the lock; it is then refused as out of order (before the breach)
    # or recorded late. Never a breach AND an on-time response.
    for ticket in tickets:
        ticket.refresh_from_db()
        kinds = list(ticket.sla_events.order_by("seq").values_list("kind", flat=True))
        assert not ("breached" in kinds and ticket.sla_state == SlaState.FULFILLED), kinds
        assert stored(ticket) == replayed(ticket)
    assert all(isinstance(e, ServiceError) for e in errors)


def test_explanation_shows_intervals_and_pauses(db, agent):
    org = make_org("Pausing", Plan.BASIC, pause_when_waiting=True)
    customer = make_person("c", org=org)
    ticket = open_for(agent, customer, "P3", at=paris(6, 16))  # Friday 16:00
    services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_THIRD_PARTY, at=paris(9, 10))
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(9, 11))
    data = ledger.explain_data(ledger.replay(ticket.sla_events.order_by("seq")))
    assert data is not None
    assert data["due_at"] == ledger.iso(ticket.sla_due_at)
    explanation = data["explanation"]
    assert explanation["pauses"] and "2026-03-07" in explanation["closed_days"]
    used = sum(i["seconds"] for i in explanation["intervals"])
    assert used == 24 * 3600  # the intervals consumed add up to the target


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_delivery_sends_each_held_reply_once():
    from django.core import mail

    agent = make_person("agent", Role.AGENT)
    customer = make_person("c", org=make_org("Basic", Plan.BASIC))
    for _ in range(12):
        ticket = open_for(agent, customer, "P4", at=paris(6, 16))
        services.add_reply(actor=agent, ticket=ticket, body="held", at=paris(6, 19))
    mail.outbox.clear()
    barrier = threading.Barrier(3)
    delivered: list[int] = []
    errors: list[BaseException] = []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            delivered.append(services.deliver_held_messages(now=paris(9, 9, 5)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sum(delivered) == 12
    assert len(mail.outbox) == 12
    assert AuditEntry.objects.filter(action="message.delivered").count() == 12


def test_one_broken_ledger_does_not_stop_the_sweep(agent, premium_customer):
    broken = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    healthy = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    # A ledger entry whose calendar cannot be built (as if written by a bad migration).
    SlaEvent.objects.create(
        ticket=broken,
        seq=2,
        kind="raised",
        at=paris(2, 10, 1),
        data={
            "priority": "P1",
            "target_seconds": 60,
            "calendar": {"hours": "8x5", "region": "mars", "timezone": "UTC", "country": "FR"},
            "restart": True,
        },
    )
    counts = services.sweep_sla(now=paris(2, 12))
    assert counts["failed"] == 1 and counts["breached"] == 1
    healthy.refresh_from_db()
    assert healthy.sla_state == SlaState.BREACHED
