"""`guichet loaddemo [--force]`: a vendor, its customers on every plan and region, and live tickets.

Everything goes through the services, with submission times in the past, so the SLA ledger of each
ticket is real (applied, warned, breached, fulfilled, paused, downgraded, raised, held replies).
People and organisations are created once (re-running updates nothing but the demo password);
tickets are added only if there are none yet, unless --force. Every account uses the documented
demo password DEMO_PASSWORD.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import Language, Organisation, Person, Role
from guichet.contracts.models import Contract, HoursOption, Plan, Region
from guichet.demo.oncall import load_oncall
from guichet.tickets import services
from guichet.tickets.models import Status, Ticket

DEMO_PASSWORD = "demo-guichet-2026"

STAFF = [
    # username, role, language, zone, first name, last name
    ("admin", Role.ADMIN, Language.EN, "Europe/Paris", "Ada", "Admin"),
    ("lead", Role.LEAD, Language.EN, "Europe/Paris", "Lee", "Lead"),
    ("agent", Role.AGENT, Language.EN, "America/New_York", "Alex", "Agent"),
    ("agent.fr", Role.AGENT, Language.FR, "Europe/Paris", "Camille", "Agent"),
    ("agent.ca", Role.AGENT, Language.FR, "America/Montreal", "Jordan", "Agent"),
]

ORGANISATIONS = [
    # name, plan, hours, region, zone, country, subdivision, pause when waiting, valid today
    ("Lumière Premium SA", Plan.PREMIUM, HoursOption.PLAN_DEFAULT, Region.WORLDWIDE,
     "Europe/Paris", "FR", "", False, True),
    ("Atelier Basique SARL", Plan.BASIC, HoursOption.PLAN_DEFAULT, Region.WORLDWIDE,
     "Europe/Paris", "FR", "", False, True),
    ("Hudson Analytics Inc.", Plan.PREMIUM, HoursOption.PLAN_DEFAULT, Region.NORTH_AMERICA,
     "America/New_York", "US", "NY", False, True),
    ("Pacific Robotics LLC", Plan.BASIC, HoursOption.H24X5, Region.NORTH_AMERICA,
     "America/Los_Angeles", "US", "CA", False, True),
    ("Carmel Systems Ltd", Plan.PREMIUM, HoursOption.PLAN_DEFAULT, Region.WORLDWIDE,
     "Asia/Jerusalem", "IL", "", True, True),
    ("Expired Trading GmbH", Plan.BASIC, HoursOption.PLAN_DEFAULT, Region.WORLDWIDE,
     "Europe/Paris", "FR", "", False, False),
]  # fmt: skip

CUSTOMERS = [
    # username, organisation, language, zone, phone
    ("customer", "Lumière Premium SA", Language.EN, "Europe/Paris", "+33 1 84 88 00 01"),
    ("client.fr", "Atelier Basique SARL", Language.FR, "Europe/Paris", "+33 4 72 00 00 02"),
    ("hudson.contact", "Hudson Analytics Inc.", Language.EN, "America/New_York", "+1 212 555 0103"),
    ("basic.customer", "Pacific Robotics LLC", Language.EN, "America/Los_Angeles", "+1 415 555 0104"),
    ("carmel.contact", "Carmel Systems Ltd", Language.EN, "Asia/Jerusalem", "+972 3 555 0105"),
    ("expired.contact", "Expired Trading GmbH", Language.EN, "Europe/Paris", "+33 1 00 00 00 06"),
]


class Command(BaseCommand):
    help = _("Load demo data: staff, customer organisations on every plan and region, and live tickets.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Add demo tickets even if tickets exist")

    def handle(self, *args, force: bool, **options):
        if Ticket.objects.exists() and not force:
            raise CommandError(_("There are tickets already; loaddemo adds demo tickets only with --force."))
        now = timezone.now().replace(microsecond=0)
        with transaction.atomic():
            staff = self._staff()
            # Before the tickets: the Premium P1s and P2s page the on-call team as they open.
            load_oncall(staff, now.date())
            orgs = self._organisations(now)
            customers = self._customers(orgs)
        self._tickets(now, staff, customers)
        counts = services.sweep_sla(now=timezone.now())
        self.stdout.write(
            f"Demo loaded: {Ticket.objects.count()} tickets "
            f"(sweep: {counts['warned']} warning(s), {counts['breached']} breach(es))."
        )
        self.stdout.write(f"\nLogins (password for every account: {DEMO_PASSWORD}):")
        for username, role, language, *_rest in STAFF:
            self.stdout.write(f"  {username:<16} {role:<9} {language}")
        for username, org, language, *_rest in CUSTOMERS:
            self.stdout.write(f"  {username:<16} customer  {language}  {org}")

    # --- People and organisations ------------------------------------------------------------------

    def _person(self, username: str, **fields) -> Person:
        person = Person.objects.filter(username=username).first()
        if person is None:
            person = Person(username=username, email=f"{username}@demo.guichet.localhost", **fields)
        person.set_password(DEMO_PASSWORD)
        person.save()
        return person

    def _staff(self) -> dict[str, Person]:
        return {
            username: self._person(
                username,
                role=role,
                language=language,
                time_zone=zone,
                first_name=first,
                last_name=last,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            for username, role, language, zone, first, last in STAFF
        }

    def _organisations(self, now: dt.datetime) -> dict[str, Organisation]:
        orgs = {}
        today = now.date()
        for name, plan, hours, region, zone, country, subdivision, pause, valid in ORGANISATIONS:
            org, _created = Organisation.objects.get_or_create(name=name)
            reference = f"DEMO-{org.pk:03d}"
            if not Contract.objects.filter(reference=reference).exists():
                Contract.objects.create(
                    organisation=org,
                    reference=reference,
                    plan=plan,
                    hours=hours,
                    region=region,
                    time_zone=zone,
                    holiday_country=country,
                    holiday_subdivision=subdivision,
                    # The expired customer's contract ended last year: its tickets get no SLA.
                    valid_from=dt.date(today.year - 2, 1, 1),
                    valid_until=None if valid else dt.date(today.year - 1, 12, 31),
                    pause_when_waiting=pause,
                )
            orgs[name] = org
        return orgs

    def _customers(self, orgs: dict[str, Organisation]) -> dict[str, Person]:
        return {
            username: self._person(
                username,
                role=Role.CUSTOMER,
                organisation=orgs[org],
                language=language,
                time_zone=zone,
                phone=phone,
            )
            for username, org, language, zone, phone in CUSTOMERS
        }

    # --- Tickets -----------------------------------------------------------------------------------

    def _tickets(self, now: dt.datetime, staff: dict[str, Person], c: dict[str, Person]) -> None:
        agent, agent_fr, lead = staff["agent"], staff["agent.fr"], staff["lead"]

        def ago(minutes: int) -> dt.datetime:
            return now - dt.timedelta(minutes=minutes)

        def open_(requester, priority, subject, body, minutes, channel="portal", assignee=None):
            ticket = services.open_ticket(
                actor=agent,
                requester=requester,
                subject=subject,
                body=body,
                priority=priority,
                channel=channel,
                impact_confirmed=priority in ("P1", "P2"),
                submitted_at=ago(minutes),
            )
            if assignee is not None:
                services.assign(actor=lead, ticket=ticket, assignee=assignee, at=ago(minutes - 1))
            return ticket

        # Running P1 (Premium, 30 min on 24x7).
        open_(
            c["customer"],
            "P1",
            "Nobody can log in after MFA",
            "Our whole staff is locked out since 10 minutes.",
            10,
            assignee=agent,
        )
        # Warning: a P2 at 40 of its 60 minutes (warned at 30).
        open_(c["customer"], "P2", "Slow dashboards at peak hours", "Several users see 20 s page loads.", 40)
        # Breached: a P1 of a New York Premium customer, unanswered for 3 hours.
        open_(c["hudson.contact"], "P1", "API unreachable", "All calls time out.", 180, channel="phone")
        # Fulfilled on time by phone (Premium).
        phoned = open_(
            c["hudson.contact"], "P2", "Export job failing", "Nightly export failed twice.", 120, "phone"
        )
        services.log_call(
            actor=agent,
            ticket=phoned,
            caller="Hudson on-call",
            phone_number="+1 212 555 0103",
            duration_seconds=540,
            summary="Found a full disk on their side; workaround agreed.",
            at=ago(95),
        )
        # Fulfilled late, then solved.
        late = open_(
            c["customer"], "P2", "Single sign-on certificate expiring", "Certificate expires Friday.", 300
        )
        services.add_reply(actor=agent_fr, ticket=late, body="We are renewing it now.", at=ago(200))
        services.change_status(
            actor=agent_fr, ticket=late, status=Status.SOLVED, at=ago(100), reason="renewed"
        )
        # Paused: Carmel's contract pauses the clock while waiting (on a third party here: waiting on
        # the customer pauses only once they have been asked something in public).
        paused = open_(c["carmel.contact"], "P2", "Audit log gaps", "Some audit entries are missing.", 40)
        services.change_status(
            actor=agent,
            ticket=paused,
            status=Status.WAITING_THIRD_PARTY,
            at=ago(30),
            reason="waiting on the log archive provider",
        )
        # Downgraded: P1 whose contact did not answer, lowered to P2 (recomputed from submission).
        down = open_(c["hudson.contact"], "P1", "Login page error 500", "Intermittent 500 on login.", 50)
        services.record_contact_attempt(
            actor=agent, ticket=down, channel="phone", note="voicemail", at=ago(45)
        )
        services.record_contact_attempt(
            actor=agent, ticket=down, channel="email", note="no reply", at=ago(40)
        )
        services.downgrade_priority(
            actor=agent,
            ticket=down,
            reason="Customer unreachable by phone and e-mail for 10 minutes.",
            at=ago(35),
        )
        # Raised: a P4 question that turned into a P2.
        raised = open_(c["client.fr"], "P4", "Question sur la prochaine version", "Quand sort la 5.0 ?", 90)
        services.raise_priority(
            actor=agent_fr,
            ticket=raised,
            priority="P2",
            reason="Le client signale maintenant une dégradation pour plusieurs utilisateurs.",
            impact_confirmed=True,
            at=ago(60),
        )
        # P3 and P4 on business-hours calendars, and a held reply when the customer is closed now.
        open_(
            c["client.fr"],
            "P3",
            "Impossible d'enrôler une carte",
            "Un utilisateur ne peut pas enrôler sa carte.",
            30,
            channel="email",
        )
        open_(c["basic.customer"], "P4", "Usage question about exports", "Can exports be scheduled?", 20)
        held_done = False
        for username in ("basic.customer", "client.fr", "carmel.contact", "customer"):
            ticket = open_(c[username], "P3", "One user cannot enrol their MFA factor", "Details inside.", 15)
            if services.contact_window(ticket, timezone.now()) is not None:
                services.add_reply(actor=agent, ticket=ticket, body="Here is how to re-enrol the factor.")
                held_done = True
                break
        if not held_done:
            self.stdout.write(
                "(Every demo customer is in business hours now: no reply is held at the moment.)"
            )
        # No SLA: the expired customer's ticket is flagged, never silently given a plan.
        open_(
            c["expired.contact"], "P3", "Renewal question", "Our contract ended; can we still get help?", 25
        )
