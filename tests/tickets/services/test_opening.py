"""open_ticket (guichet/tickets/services/opening.py) against the support-plan requirements: the
contract and the clock a new ticket gets, the channels and checks of each plan (R-PLAN, R-HOURS,
R-PRIO-5, R-CHAN)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from guichet.contracts.models import Contract, HoursOption, Plan
from guichet.tickets import services
from guichet.tickets.models import AuditEntry, MessageKind, SlaState, Ticket
from guichet.tickets.services import ServiceError
from tests.factories import event_kinds, make_org, make_person, open_for, paris

# --- R-PLAN-1: the contract in force at submission ----------------------------------------------


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
    assert event_kinds(ticket) == ["no_sla"]
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


# --- R-PLAN-2, R-CHAN: channels by plan ---------------------------------------------------------


def test_R_PLAN_2_basic_phone_refused(agent, basic_customer):
    with pytest.raises(ServiceError) as exc:
        open_for(agent, basic_customer, "P3", channel="phone")
    assert "Premium" in str(exc.value.messages[0])
    assert Ticket.objects.count() == 0 and AuditEntry.objects.count() == 0


@pytest.mark.parametrize("channel", ["portal", "email", "phone"])
def test_R_CHAN_1_2_3_channels_by_plan(agent, basic_customer, premium_customer, channel):
    assert open_for(agent, premium_customer, "P4", channel=channel).channel == channel
    if channel == "phone":
        with pytest.raises(ServiceError, match="Premium"):
            open_for(agent, basic_customer, "P4", channel=channel)
    else:
        assert open_for(agent, basic_customer, "P4", channel=channel).channel == channel


# --- R-HOURS, R-PRIO-7: the hours the clock runs on ---------------------------------------------


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


# --- R-PRIO-5: confirmation and a phone number for P1 and P2 ------------------------------------


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


def test_bad_profile_phone_does_not_block_and_p1_still_needs_one(db):
    org = make_org("Org", Plan.PREMIUM)
    customer = make_person("c", org=org, phone="n/a")
    with pytest.raises(ServiceError, match="phone number where"):
        services.open_ticket(
            actor=customer, subject="s", body="b", priority="P1", channel="portal", impact_confirmed=True
        )
    assert services.open_ticket(actor=customer, subject="s", body="b", priority="P4", channel="portal")


# --- What the opener may give -------------------------------------------------------------------


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


def test_the_stored_acknowledgement_is_in_the_requesters_language(agent):
    """Issue 11, defect 9: demo tickets (opened by an English-speaking loader or agent) acknowledged
    French customers in English. The automatic message is stored text: the requester's language."""
    org = make_org("Érable SARL", Plan.BASIC)
    french = make_person("marie", org=org, language="fr")
    english = make_person("mary", org=org, language="en")
    with translation.override("en"):
        for_french = open_for(agent, french, "P3")
    with translation.override("fr"):
        for_english = open_for(agent, english, "P3")
    ack = for_french.messages.get(kind=MessageKind.AUTO).body
    assert ack.startswith(f"Nous avons bien reçu votre demande n° {for_french.pk}.")
    assert for_english.messages.get(kind=MessageKind.AUTO).body.startswith("We have received your request #")
