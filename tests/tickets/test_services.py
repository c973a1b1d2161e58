"""The ticket services against the support-plan requirements (R-PLAN, R-HOURS, R-PRIO)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from guichet.accounts.models import Role
from guichet.contracts import priorities
from guichet.contracts.models import Contract, HoursOption, Plan, Priority
from guichet.tickets import ledger, selectors, services
from guichet.tickets.models import AuditEntry, Message, MessageKind, SlaEvent, SlaState, Status, Ticket
from guichet.tickets.services import ServiceError
from tests.factories import make_org, make_person, open_for, paris


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.sla_events.order_by("seq").values_list("kind", flat=True))


# --- R-PLAN-1: contracts ------------------------------------------------------------------------


def test_R_PLAN_1_ticket_takes_contract_valid_at_submission(db, agent):
    org = make_org("Acme", Plan.BASIC, valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2026, 2, 28))
    Contract.objects.create(
        organisation=org,
        reference="Q-2",
        plan=Plan.PREMIUM,
        time_zone="Europe/Paris",
        holiday_country="FR",
        valid_from=dt.date(2026, 3, 1),
    )
    customer = make_person("c", org=org, phone="+33 1 00 00 00 00")
    before = open_for(agent, customer, "P1", at=paris(27, 16, month=2))
    after = open_for(agent, customer, "P1", at=paris(2, 10))
    assert before.plan == Plan.BASIC and before.contract.reference == "Q-Acme"
    assert after.plan == Plan.PREMIUM and after.contract.reference == "Q-2"
    # Basic P1: 2 h on 8x5 from Friday 16:00 → Monday 10:00; Premium P1: 30 min 24x7.
    assert before.sla_due_at == paris(2, 10)
    assert after.sla_due_at == paris(2, 10, 30)
    applied = before.sla_events.get(kind="applied")
    assert applied.data["contract_id"] == before.contract_id
    assert applied.data["calendar"]["hours"] == "8x5"
    assert applied.data["target_seconds"] == 7200


def test_R_PLAN_1_contract_change_never_rewrites_existing_tickets(db, agent):
    org = make_org("Acme", Plan.BASIC)
    customer = make_person("c", org=org)
    ticket = open_for(agent, customer, "P3", at=paris(2, 10))
    due = ticket.sla_due_at
    contract = org.contracts.get()
    contract.valid_until = dt.date(2026, 3, 2)
    contract.save()
    Contract.objects.create(
        organisation=org,
        reference="Q-new",
        plan=Plan.PREMIUM,
        time_zone="Europe/Paris",
        holiday_country="FR",
        valid_from=dt.date(2026, 3, 3),
    )
    ticket.refresh_from_db()
    assert ticket.sla_due_at == due and ticket.plan == Plan.BASIC
    later = open_for(agent, customer, "P3", at=paris(3, 10))
    assert later.plan == Plan.PREMIUM


def test_R_PLAN_1_no_valid_contract_means_no_sla_visible(db, agent):
    org = make_org("Lapsed", Plan.PREMIUM, valid_from=dt.date(2024, 1, 1), valid_until=dt.date(2024, 12, 31))
    customer = make_person("c", org=org)
    ticket = open_for(agent, customer, "P3")
    assert ticket.contract is None and ticket.plan == ""
    assert ticket.sla_state == SlaState.NO_SLA and ticket.sla_due_at is None
    assert kinds(ticket) == ["no_sla"]
    # An agent reply is still recorded as the first response, without any target.
    services.add_reply(actor=agent, ticket=ticket, body="On it", at=paris(2, 11))
    assert ticket.first_response_at == paris(2, 11) and ticket.sla_state == SlaState.NO_SLA


def test_R_PLAN_1_target_overrides_and_24x5_option(db, agent):
    org = make_org("Night", Plan.BASIC, hours=HoursOption.H24X5, target_overrides={"P1": 60})
    customer = make_person("c", org=org, phone="+33 1 00 00 00 00")
    # Tuesday 03:00 is inside the 24x5 window (R-HOURS-3): 60 minutes later.
    ticket = open_for(agent, customer, "P1", at=paris(3, 3))
    assert ticket.sla_target_minutes == 60
    assert ticket.sla_due_at == paris(3, 4)


# --- R-PLAN-2: phone for Premium only -----------------------------------------------------------


def test_R_PLAN_2_basic_phone_refused(agent, basic_customer):
    with pytest.raises(ServiceError) as exc:
        open_for(agent, basic_customer, "P3", channel="phone")
    assert "Premium" in str(exc.value.messages[0])
    assert Ticket.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_R_PLAN_2_premium_phone_accepted_and_call_logged(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P3", channel="phone")
    assert ticket.channel == "phone"
    call = services.log_call(
        actor=agent,
        ticket=ticket,
        caller="Pat",
        phone_number="+33 1 23 45 67 89",
        duration_seconds=300,
        summary="Walked them through it",
        at=paris(2, 10, 20),
    )
    assert call.kind == MessageKind.CALL
    assert ticket.first_response_at == paris(2, 10, 20) and ticket.sla_state == SlaState.FULFILLED


def test_R_PLAN_2_basic_call_log_refused(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    with pytest.raises(ServiceError, match="Premium"):
        services.log_call(
            actor=agent, ticket=ticket, caller="x", phone_number="+331234567", duration_seconds=1, summary="s"
        )
    assert not ticket.messages.filter(kind=MessageKind.CALL).exists()
    assert ticket.first_response_at is None


# --- R-PLAN-3: what counts as a first response --------------------------------------------------


def test_R_PLAN_3_only_a_human_public_response_counts(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    assert ticket.messages.filter(kind=MessageKind.AUTO).count() == 1  # the acknowledgement
    services.add_note(actor=agent, ticket=ticket, body="internal", at=paris(2, 10, 5))
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 10, 6))
    services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_THIRD_PARTY, at=paris(2, 10, 7))
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.sla_state == SlaState.RUNNING
    assert "fulfilled" not in kinds(ticket)
    services.add_reply(actor=agent, ticket=ticket, body="Here is the fix", at=paris(2, 11))
    assert ticket.first_response_at == paris(2, 11)
    assert kinds(ticket)[-1] == "fulfilled"
    assert ticket.next_sla_event_at is None


def test_R_PLAN_3_customer_reply_is_not_a_response(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    services.add_reply(actor=basic_customer, ticket=ticket, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_R_PLAN_3_held_reply_counts_when_written(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(6, 16))
    reply = services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(7, 11))  # Saturday
    assert reply.is_held and reply.deliver_at == paris(9, 9)
    assert ticket.first_response_at == paris(7, 11)


def test_R_PLAN_4_met_and_late_are_measured(agent, premium_customer):
    met = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.add_reply(actor=agent, ticket=met, body="ok", at=paris(2, 10, 59))
    late = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.add_reply(actor=agent, ticket=late, body="sorry", at=paris(2, 11, 1))
    assert met.sla_state == SlaState.FULFILLED
    assert late.sla_state == SlaState.FULFILLED_LATE
    assert late.sla_breached_at == paris(2, 11)
    assert kinds(late)[-2:] == ["breached", "fulfilled"]


# --- R-HOURS ------------------------------------------------------------------------------------


def test_R_HOURS_1_basic_runs_on_customer_local_hours(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P1", at=paris(6, 16))
    assert ticket.sla_due_at == paris(9, 10)  # 1 h on Friday, 1 h on Monday


def test_R_HOURS_2_north_america_hours(db, agent):
    org = make_org(
        "NYC", Plan.BASIC, tz="America/New_York", country="US", subdivision="NY", region="north-america"
    )
    customer = make_person("c", org=org, phone="+1 212 555 0100")
    submitted = dt.datetime(2026, 3, 2, 7, 0, tzinfo=org.contracts.get().zone)
    ticket = open_for(agent, customer, "P3", at=submitted)
    # P3 Basic: 24 business hours on Mon–Fri 08:00–17:00 (9 h a day): due Wednesday 14:00 local.
    assert ticket.sla_due_at == dt.datetime(2026, 3, 4, 14, 0, tzinfo=org.contracts.get().zone)


# --- R-PRIO-1..5 --------------------------------------------------------------------------------


def test_R_PRIO_1_to_4_definitions_and_examples_in_one_place():
    assert set(priorities.PRIORITIES) == set(Priority.values)
    for info in priorities.PRIORITIES.values():
        assert str(info.definition) and str(info.example) and str(info.label).startswith(info.code)
    assert "MFA" in str(priorities.info("P1").example) and "MFA" in str(priorities.info("P3").example)
    assert priorities.info("P1").needs_phone and not priorities.info("P2").needs_phone
    assert [p for p, i in priorities.PRIORITIES.items() if i.needs_confirmation] == ["P1", "P2"]


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_R_PRIO_5_p1_p2_need_confirmation(premium_customer, priority):
    with pytest.raises(ServiceError, match="confirm"):
        services.open_ticket(
            actor=premium_customer,
            subject="s",
            body="b",
            priority=priority,
            channel="portal",
            contact_phone="+3312345678",
        )
    assert Ticket.objects.count() == 0
    ticket = services.open_ticket(
        actor=premium_customer,
        subject="s",
        body="b",
        priority=priority,
        channel="portal",
        impact_confirmed=True,
        contact_phone="+33 1 23 45 67 89",
    )
    assert ticket.impact_confirmed


def test_R_PRIO_5_p1_needs_a_phone_number(db, agent):
    org = make_org("NoPhone", Plan.PREMIUM)
    customer = make_person("c", org=org)  # no phone on the profile
    with pytest.raises(ServiceError, match="phone"):
        services.open_ticket(
            actor=customer, subject="s", body="b", priority="P1", channel="portal", impact_confirmed=True
        )
    ticket = services.open_ticket(
        actor=customer,
        subject="s",
        body="b",
        priority="P1",
        channel="portal",
        impact_confirmed=True,
        contact_phone="+33 6 12 34 56 78",
    )
    assert ticket.contact_phone == "+33 6 12 34 56 78"
    with pytest.raises(ServiceError, match="phone"):
        services.open_ticket(
            actor=customer,
            subject="s",
            body="b",
            priority="P1",
            channel="portal",
            impact_confirmed=True,
            contact_phone="call me",
        )


def test_customer_cannot_backdate_or_open_for_another_org(premium_customer, basic_org):
    with pytest.raises(ServiceError):
        services.open_ticket(
            actor=premium_customer,
            subject="s",
            body="b",
            priority="P4",
            channel="portal",
            submitted_at=paris(2, 10),
        )
    with pytest.raises(ServiceError):
        services.open_ticket(
            actor=premium_customer,
            organisation=basic_org,
            subject="s",
            body="b",
            priority="P4",
            channel="portal",
        )
    assert Ticket.objects.count() == 0


# --- R-PRIO-6: downgrade ------------------------------------------------------------------------


def test_R_PRIO_6_downgrade_needs_reason_and_unanswered_attempts(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    with pytest.raises(ServiceError, match="attempt"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable", at=paris(2, 10, 10))
    with pytest.raises(ServiceError):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="  ", at=paris(2, 10, 10))
    with pytest.raises(ServiceError):
        services.downgrade_priority(actor=premium_customer, ticket=ticket, reason="x")
    services.record_contact_attempt(
        actor=agent, ticket=ticket, channel="phone", note="voicemail", at=paris(2, 10, 5)
    )
    services.downgrade_priority(
        actor=agent, ticket=ticket, reason="No answer on the phone", at=paris(2, 10, 10)
    )
    assert ticket.priority == "P2" and ticket.original_priority == "P1"
    event = ticket.sla_events.get(kind="downgraded")
    assert event.reason == "No answer on the phone" and event.actor == agent
    assert [a["note"] for a in event.data["attempts"]] == ["voicemail"]
    # Recomputed from the original submission with P2's target (Premium: 1 h on 24x7).
    assert ticket.sla_due_at == paris(2, 11)
    # Shown to the customer.
    notice = selectors.visible_messages(premium_customer, ticket).filter(kind=MessageKind.AUTO).last()
    assert "P1" in notice.body and "P2" in notice.body and "No answer" in notice.body
    assert AuditEntry.objects.filter(ticket=ticket, action="ticket.priority_downgraded").exists()


def test_R_PRIO_6_p2_to_p3_switches_to_business_hours_and_p3_stops(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P2", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="email", at=paris(2, 10, 15))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="silent", at=paris(2, 10, 30))
    # P3 Premium: 4 h on the region's 8x5 from the submission.
    assert ticket.priority == "P3" and ticket.sla_due_at == paris(2, 14)
    assert ticket.sla_events.get(kind="downgraded").data["calendar"]["hours"] == "8x5"
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="email", at=paris(2, 10, 40))
    with pytest.raises(ServiceError, match="P1"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="again", at=paris(2, 10, 45))


def test_R_PRIO_6_customer_reply_resets_the_evidence(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 5))
    services.add_reply(actor=premium_customer, ticket=ticket, body="I am here")
    with pytest.raises(ServiceError, match="attempt"):
        services.downgrade_priority(actor=agent, ticket=ticket, reason="unreachable")


def test_R_PRIO_6_downgrade_keeps_a_missed_target(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 20))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="late", at=paris(2, 10, 45))
    assert ticket.sla_breached_at == paris(2, 10, 30)
    assert ticket.sla_state == SlaState.BREACHED


def test_raise_starts_new_target_at_the_raise(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(2, 10))
    assert ticket.sla_due_at == paris(5, 10)  # 24 business hours: Thursday 10:00
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P1", reason="outage", impact_confirmed=True, at=paris(2, 11)
    )
    assert ticket.priority == "P1" and ticket.sla_due_at == paris(2, 13)
    event = ticket.sla_events.get(kind="raised")
    # The P1 clock binds: it starts at the raise (the P4 one keeps running beside it).
    assert ticket.sla_clock_started_at == paris(2, 11) and event.reason == "outage"
    assert event.data["previous_due"] == ledger.iso(paris(5, 10))


def test_raise_never_moves_due_later(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P3", at=paris(2, 10))
    assert ticket.sla_due_at == paris(2, 14)
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P2", reason="worse", impact_confirmed=True, at=paris(2, 13, 30)
    )
    assert ticket.priority == "P2" and ticket.sla_due_at == paris(2, 14)
    assert ticket.sla_clock_started_at == paris(2, 10)  # the P3 clock still binds
    with pytest.raises(ServiceError, match="more urgent"):
        services.raise_priority(actor=agent, ticket=ticket, priority="P3", reason="x", at=paris(2, 13, 40))


def test_raise_to_p1_needs_confirmation(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    with pytest.raises(ServiceError, match="confirm"):
        services.raise_priority(actor=agent, ticket=ticket, priority="P1", reason="x", at=paris(2, 10, 30))
    ticket.refresh_from_db()
    assert ticket.priority == "P3" and "raised" not in kinds(ticket)


# --- R-PRIO-7: outbound contact window ----------------------------------------------------------


def test_R_PRIO_7_p3_reply_outside_hours_is_held_until_opening(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(6, 16))
    mail.outbox.clear()
    reply = services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(6, 19))
    assert reply.deliver_at == paris(9, 9) and reply.delivered_at is None
    assert services.contact_window(ticket, paris(6, 19)) == paris(9, 9)
    assert not mail.outbox
    assert reply not in selectors.visible_messages(basic_customer, ticket)
    assert reply in selectors.visible_messages(agent, ticket)  # the agent sees when it will go out
    assert services.deliver_held_messages(now=paris(9, 8, 59)) == 0
    assert services.deliver_held_messages(now=paris(9, 9)) == 1
    assert services.deliver_held_messages(now=paris(9, 9, 1)) == 0  # once
    reply.refresh_from_db()
    assert reply.delivered_at == paris(9, 9)
    assert reply in selectors.visible_messages(basic_customer, ticket)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [basic_customer.email]
    assert "Answer" in mail.outbox[0].body


def test_R_PRIO_7_p1_reply_goes_out_at_night(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P1", at=paris(6, 16))
    mail.outbox.clear()
    reply = services.add_reply(actor=agent, ticket=ticket, body="Working on it", at=paris(6, 22))
    assert reply.deliver_at is None and reply.delivered_at == paris(6, 22)
    assert len(mail.outbox) == 1


def test_R_PRIO_7_no_contact_attempt_outside_hours_on_p4(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P4", at=paris(6, 16))
    with pytest.raises(ServiceError, match="business hours"):
        services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(7, 10))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(9, 10))


def test_reply_mail_in_customer_language(agent, db):
    org = make_org("Fr", Plan.BASIC)
    client = make_person("client", org=org, language="fr")
    ticket = open_for(agent, client, "P1", at=paris(2, 10), contact_phone="+33 1 11 11 11 11")
    mail.outbox.clear()
    services.add_reply(actor=agent, ticket=ticket, body="Bonjour", at=paris(2, 10, 30))
    assert len(mail.outbox) == 1 and "Bonjour" in mail.outbox[0].body


# --- Statuses and pauses ------------------------------------------------------------------------


def test_waiting_pauses_only_when_contract_says_so(db, agent):
    pausing = make_org("Pausing", Plan.BASIC, pause_when_waiting=True)
    plain = make_org("Plain", Plan.BASIC)
    for org, expect_pause in ((pausing, True), (plain, False)):
        customer = make_person(f"c-{org.pk}", org=org)
        ticket = open_for(agent, customer, "P3", at=paris(2, 10))
        due = ticket.sla_due_at
        services.change_status(actor=agent, ticket=ticket, status=Status.WAITING_CUSTOMER, at=paris(2, 11))
        assert (ticket.sla_state == SlaState.PAUSED) is expect_pause
        services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 13))
        # Two business hours paused move the due time two business hours later.
        assert ticket.sla_due_at == (paris(5, 12) if expect_pause else due)


def test_solving_stops_the_clock_and_reopening_resumes(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 11))
    assert ticket.sla_state == SlaState.PAUSED and ticket.next_sla_event_at is None
    assert ticket.solved_at == paris(2, 11)
    services.change_status(actor=agent, ticket=ticket, status=Status.CLOSED, at=paris(2, 12))
    with pytest.raises(ServiceError):
        services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 12, 30))
    services.change_status(actor=agent, ticket=ticket, status=Status.OPEN, at=paris(2, 13), reason="again")
    assert ticket.sla_state == SlaState.RUNNING and ticket.solved_at is None
    assert AuditEntry.objects.filter(ticket=ticket, action="ticket.reopened", reason="again").exists()


def test_customer_may_solve_or_reopen_only(basic_customer):
    ticket = services.open_ticket(
        actor=basic_customer, subject="s", body="b", priority="P4", channel="portal"
    )
    with pytest.raises(ServiceError):
        services.change_status(actor=basic_customer, ticket=ticket, status=Status.CLOSED)
    services.change_status(actor=basic_customer, ticket=ticket, status=Status.SOLVED)
    services.add_reply(actor=basic_customer, ticket=ticket, body="It is back")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_assign_only_to_staff(agent, lead, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    services.assign(actor=lead, ticket=ticket, assignee=agent)
    assert ticket.assignee == agent
    with pytest.raises(ServiceError):
        services.assign(actor=lead, ticket=ticket, assignee=basic_customer)
    with pytest.raises(ServiceError):
        services.assign(actor=basic_customer, ticket=ticket, assignee=agent)


# --- Audit trail and append-only ledger ---------------------------------------------------------


def test_every_service_writes_the_audit_trail(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    services.add_note(actor=agent, ticket=ticket, body="n", at=paris(2, 10, 1))
    services.assign(actor=agent, ticket=ticket, assignee=agent, at=paris(2, 10, 1))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 2))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="r", at=paris(2, 10, 3))
    services.add_reply(actor=agent, ticket=ticket, body="hi", at=paris(2, 10, 4))
    services.change_status(
        actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 10, 5), reason="done"
    )
    actions = list(AuditEntry.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == [
        "ticket.opened",
        "message.note",
        "ticket.assigned",
        "contact.attempt",
        "ticket.priority_downgraded",
        "message.reply",
        "ticket.status",
    ]
    assert all(entry.actor == agent for entry in AuditEntry.objects.filter(ticket=ticket))


def test_sla_events_and_audit_refuse_update_and_delete(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    event = SlaEvent.objects.filter(ticket=ticket).first()
    entry = AuditEntry.objects.filter(ticket=ticket).first()
    for row in (event, entry):
        with pytest.raises(ValueError, match="append-only"):
            row.save()
        with pytest.raises(ValueError, match="append-only"):
            row.delete()
        with pytest.raises(ValueError, match="append-only"):
            type(row).objects.filter(pk=row.pk).update(reason="rewritten")
        with pytest.raises(ValueError, match="append-only"):
            type(row).objects.filter(pk=row.pk).delete()


def test_bad_input_changes_nothing(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3")
    before = (Message.objects.count(), AuditEntry.objects.count(), SlaEvent.objects.count())
    for call in (
        lambda: services.add_reply(actor=agent, ticket=ticket, body="   "),
        lambda: services.add_reply(actor=agent, ticket=ticket, body="x", channel="phone"),
        lambda: services.change_status(actor=agent, ticket=ticket, status="nope"),
        lambda: services.add_note(actor=basic_customer, ticket=ticket, body="x"),
        lambda: services.add_reply(actor=agent, ticket=ticket, body="x", at=paris(1, 10)),
        lambda: services.add_reply(actor=agent, ticket=ticket, body="x", at=dt.datetime(2026, 3, 2, 12)),
    ):
        with pytest.raises(ServiceError):
            call()
    assert (Message.objects.count(), AuditEntry.objects.count(), SlaEvent.objects.count()) == before


def test_staff_roles(db):
    for role in (Role.AGENT, Role.LEAD, Role.ADMIN):
        assert make_person(f"p-{role}", role).is_agent


# --- R-CHAN and more R-HOURS --------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["portal", "email", "phone"])
def test_R_CHAN_1_2_3_channels_by_plan(agent, basic_customer, premium_customer, channel):
    assert open_for(agent, premium_customer, "P4", channel=channel).channel == channel
    if channel == "phone":
        with pytest.raises(ServiceError, match="Premium"):
            open_for(agent, basic_customer, "P4", channel=channel)
    else:
        assert open_for(agent, basic_customer, "P4", channel=channel).channel == channel


def test_R_HOURS_3_24x5_window_taken_literally(db, agent):
    org = make_org("Night", Plan.BASIC, hours=HoursOption.H24X5)
    customer = make_person("c", org=org, phone="+33 1 00 00 00 00")
    # Friday 23:00: 59 minutes until 23:59, then Monday from 00:01: 61 more minutes.
    ticket = open_for(agent, customer, "P1", at=paris(6, 23))
    assert ticket.sla_due_at == paris(9, 1, 2)
    assert ticket.sla_events.get(kind="applied").data["calendar"]["hours"] == "24x5"


def test_R_HOURS_4_premium_runs_24x7_for_p1_p2(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P2", at=paris(7, 3))  # Saturday 03:00
    assert ticket.sla_due_at == paris(7, 4)


def test_R_PRIO_7_p3_p4_clocks_run_on_business_hours_on_every_plan(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P3", at=paris(7, 10))  # Saturday: waits for Monday 09:00
    assert ticket.sla_due_at == paris(9, 13)
    assert ticket.sla_events.get(kind="applied").data["calendar"]["hours"] == "8x5"


def test_R_PRIO_7_raise_to_p2_releases_held_replies(agent, basic_customer):
    ticket = open_for(agent, basic_customer, "P3", at=paris(6, 16))
    reply = services.add_reply(actor=agent, ticket=ticket, body="Answer", at=paris(6, 19))
    assert reply.is_held
    services.raise_priority(
        actor=agent, ticket=ticket, priority="P2", reason="worse", impact_confirmed=True, at=paris(6, 20)
    )
    reply.refresh_from_db()
    assert reply.delivered_at == paris(6, 20)
    assert reply in selectors.visible_messages(basic_customer, ticket)


def test_a_pause_after_a_missed_target_records_the_breach_first(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))  # due 10:30, no sweep ran
    services.change_status(actor=agent, ticket=ticket, status=Status.SOLVED, at=paris(2, 11))
    assert [k for k in kinds(ticket)] == ["applied", "breached", "paused"]
    assert ticket.sla_breached_at == paris(2, 10, 30) and ticket.sla_state == SlaState.BREACHED


def test_oversized_attachment_refused_before_anything_is_stored(settings, basic_customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GUICHET_MAX_ATTACHMENT_BYTES = 10
    with pytest.raises(ServiceError, match="too large"):
        services.open_ticket(
            actor=basic_customer,
            subject="s",
            body="b",
            priority="P4",
            channel="portal",
            attachments=[SimpleUploadedFile("big.bin", b"x" * 11)],
        )
    assert not Ticket.objects.exists()
    ticket = services.open_ticket(
        actor=basic_customer,
        subject="s",
        body="b",
        priority="P4",
        channel="portal",
        attachments=[SimpleUploadedFile("ok.txt", b"x" * 10)],
    )
    assert ticket.messages.get(kind="reply").attachments.get().filename == "ok.txt"


def test_bad_profile_phone_does_not_block_and_p1_still_needs_one(db):
    org = make_org("Org", Plan.PREMIUM)
    customer = make_person("c", org=org, phone="n/a")
    with pytest.raises(ServiceError, match="phone number where"):
        services.open_ticket(
            actor=customer, subject="s", body="b", priority="P1", channel="portal", impact_confirmed=True
        )
    assert services.open_ticket(actor=customer, subject="s", body="b", priority="P4", channel="portal")


def test_R_PLAN_3_reception_time_is_validated(basic_customer):
    def submit(**kw):
        return services.open_ticket(
            actor=basic_customer, subject="By mail", body="x", priority="P3", channel="email", **kw
        )

    with pytest.raises(ServiceError) as naive:
        submit(received_at=dt.datetime(2026, 3, 2, 10, 0))
    assert naive.value.code == "naive"
    with pytest.raises(ServiceError) as future:
        submit(received_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert future.value.code == "future"
    with pytest.raises(ServiceError) as both:
        submit(received_at=paris(2, 10), submitted_at=paris(2, 10))
    assert both.value.code == "order"
    assert not Ticket.objects.exists()
    assert submit(received_at=paris(2, 10)).submitted_at == paris(2, 10)


# --- The scaffold every change to a ticket shares (services._base.ticket_change) ----------------


def test_log_call_checks_the_plan_before_the_time(agent, basic_customer):
    """The check order of the scaffold: the plan (on the locked ticket), then the instant given."""
    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    with pytest.raises(ServiceError) as exc:
        services.log_call(
            actor=agent,
            ticket=ticket,
            caller="x",
            phone_number="+331234567",
            duration_seconds=1,
            summary="s",
            at=paris(1, 10),  # before the submission: refused too, but second
        )
    assert exc.value.code == "phone_not_in_plan"


def test_ticket_change_saves_audits_and_refreshes_the_callers_instance(agent, basic_customer):
    from guichet.tickets.services._base import ticket_change

    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    with ticket_change(actor=agent, ticket=ticket, at=paris(2, 11)) as change:
        assert change.ticket is not ticket and change.at == paris(2, 11) and change.actor == agent
        change.ticket.subject = "Renamed"
        entry = change.audit("test.change", changes={"when": paris(2, 11)}, reason="why")
    assert ticket.subject == "Renamed" and ticket.updated_at == paris(2, 11)
    assert Ticket.objects.get(pk=ticket.pk).subject == "Renamed"
    assert (entry.ticket_id, entry.actor, entry.at, entry.reason) == (ticket.pk, agent, paris(2, 11), "why")
    assert entry.changes == {"when": ledger.iso(paris(2, 11))}  # made JSON as every audit entry


def test_ticket_change_refused_or_unaudited_changes_nothing(agent, basic_customer):
    from guichet.tickets.services._base import ticket_change

    ticket = open_for(agent, basic_customer, "P3", at=paris(2, 10))
    audits = AuditEntry.objects.count()
    with pytest.raises(ServiceError), ticket_change(actor=agent, ticket=ticket, at=paris(2, 11)) as change:
        change.ticket.subject = "Renamed"
        change.audit("test.change")
        raise ServiceError("refused", code="test")
    # A change that forgets its audit entry is a bug: refused, rolled back.
    with (
        pytest.raises(RuntimeError, match="audit"),
        ticket_change(actor=agent, ticket=ticket, at=None) as change,
    ):
        change.ticket.subject = "Renamed"
    assert ticket.subject == "Cannot log in" and ticket.updated_at == paris(2, 10)
    assert Ticket.objects.get(pk=ticket.pk).subject == "Cannot log in"
    assert AuditEntry.objects.count() == audits
