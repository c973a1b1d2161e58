"""Every read of tickets, messages, attachments and SLA history that a person may see.

The tenancy rule lives here, once: a customer contact sees their own organisation's tickets only,
never an internal note, never a reply still held for later delivery; vendor staff see everything;
an inactive or unknown person sees nothing. The operator's command line, which is no person, passes
`OPERATOR` and sees everything too. Views, the API, exports, reports and search all start here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, When

from guichet.accounts.models import Organisation, Person
from guichet.contracts.models import Contract
from guichet.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    AuditEntry,
    ContactAttempt,
    Message,
    MessageKind,
    SlaEvent,
    Ticket,
)


class Operator:
    """The operator at the command line (`guichet report ...`): no person, sees every organisation.

    A value of its own rather than None, so that a missing person keeps meaning "sees nothing".
    """

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()

# Whom a read is for: a person (request.user may be Django's AnonymousUser), nobody, or the operator.
type Viewer = Person | Operator | None


def _is_staff(person: Viewer) -> bool:
    if isinstance(person, Operator):
        return True
    return bool(person is not None and person.is_authenticated and person.is_active and person.is_agent)


def _customer_organisation_id(person: Viewer) -> int | None:
    """The organisation of a signed-in, active customer contact (the only one they see); else None."""
    if (
        person is not None
        and not isinstance(person, Operator)
        and person.is_authenticated
        and person.is_active
        and person.is_customer
    ):
        return person.organisation_id or None
    return None


def visible_tickets(person: Viewer) -> QuerySet[Ticket]:
    """THE tenancy rule."""
    tickets = Ticket.objects.select_related("organisation", "requester", "assignee", "contract")
    if _is_staff(person):
        return tickets.all()
    if (organisation_id := _customer_organisation_id(person)) is not None:
        # Exact match on the organisation's primary key: no name or domain matching.
        return tickets.filter(organisation_id=organisation_id)
    return tickets.none()


def with_held_response(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate `response_held_until`: when the first response, written outside the customer's
    business hours on a P3/P4 and held (R-PRIO-7), reaches the customer; None once it has been
    delivered, or when there is no held first response. The clock counts the response from when it
    was written ("Met"), but until then the customer has seen no reply: the portal and the API say
    "answered, delivered at …" rather than "Met"."""
    held = (
        Message.objects.filter(
            ticket_id=OuterRef("pk"),
            created_at=OuterRef("first_response_at"),
            deliver_at__isnull=False,
            delivered_at__isnull=True,
        )
        .order_by()
        .values("deliver_at")[:1]
    )
    return tickets.annotate(response_held_until=Subquery(held))


def get_ticket(person: Viewer, pk: int) -> Ticket:
    """One ticket, or Ticket.DoesNotExist (also for another organisation's ticket: no existence leak)."""
    return visible_tickets(person).get(pk=pk)


def _customer_message_filter() -> Q:
    # Internal notes never; replies held for later delivery only once delivered (R-PRIO-7).
    return ~Q(kind=MessageKind.NOTE) & (Q(deliver_at__isnull=True) | Q(delivered_at__isnull=False))


def visible_messages(person: Person | None, ticket: Ticket | None = None) -> QuerySet[Message]:
    messages = Message.objects.select_related("author").filter(ticket__in=visible_tickets(person))
    if ticket is not None:
        messages = messages.filter(ticket_id=ticket.pk)
    if not _is_staff(person):
        messages = messages.filter(_customer_message_filter())
    return messages.order_by("created_at", "id")


def visible_attachments(person: Person | None, ticket: Ticket | None = None) -> QuerySet[Attachment]:
    return Attachment.objects.filter(message__in=visible_messages(person, ticket)).select_related("message")


def get_attachment(person: Person | None, pk: int) -> Attachment:
    return visible_attachments(person).get(pk=pk)


def visible_sla_events(person: Viewer, ticket: Ticket) -> QuerySet[SlaEvent]:
    """The SLA history of a ticket: customers see the clock changes (downgrades are shown to them,
    R-PRIO-6), staff see everything."""
    return SlaEvent.objects.filter(ticket__in=visible_tickets(person), ticket_id=ticket.pk).order_by("seq")


def visible_ledgers(person: Viewer, ticket_ids: Iterable[int]) -> QuerySet[SlaEvent]:
    """The SLA events of several tickets at once (reports, statements), in ticket and seq order;
    only those of tickets the person may see."""
    ids = list(ticket_ids)
    # The rule's subquery narrowed to these ids: its cost is theirs, not the whole table's.
    visible = visible_tickets(person).filter(pk__in=ids).values("pk")
    return SlaEvent.objects.filter(ticket__in=visible).order_by("ticket_id", "seq")


def visible_audit(person: Person | None, ticket: Ticket) -> QuerySet[AuditEntry]:
    """The audit trail is for staff."""
    if not _is_staff(person):
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(ticket_id=ticket.pk).order_by("at", "id")


def visible_contact_attempts(person: Person | None, ticket: Ticket) -> QuerySet[ContactAttempt]:
    return ContactAttempt.objects.filter(ticket__in=visible_tickets(person), ticket_id=ticket.pk)


def search_tickets(person: Person | None, query: str) -> QuerySet[Ticket]:
    """Tickets whose subject, or one of the messages this person may see, contains `query`.

    For customers the message match runs on the visible messages only, so a word that appears only in
    an internal note never reveals the ticket (nor its count).
    """
    tickets = visible_tickets(person)
    text = (query or "").strip()
    if not text:
        return tickets.none()
    matching = visible_messages(person).filter(ticket_id=OuterRef("pk"), body__icontains=text)
    condition = Q(subject__icontains=text) | Q(Exists(matching))
    if text.lstrip("#").isdigit():
        condition |= Q(pk=int(text.lstrip("#")))
    return tickets.filter(condition).order_by("-submitted_at", "-id")


def search_messages(person: Person | None, query: str) -> QuerySet[Message]:
    text = (query or "").strip()
    if not text:
        return Message.objects.none()
    return visible_messages(person).filter(body__icontains=text).order_by("-created_at", "-id")


def queue(person: Person | None, *, include_closed: bool = False) -> QuerySet[Ticket]:
    """Tickets by time left: clocks waiting for a first response first (earliest due), then paused,
    answered and no-SLA ones by submission."""
    tickets = visible_tickets(person)
    if not include_closed:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    waiting_for_response = Case(When(first_response_at__isnull=True, then=F("sla_due_at")), default=None)
    return tickets.order_by(waiting_for_response.asc(nulls_last=True), "submitted_at", "id")


def visible_organisations(person: Viewer) -> QuerySet[Organisation]:
    """Organisations a person may see, name or report on: a customer their own, staff all."""
    if _is_staff(person):
        return Organisation.objects.all()
    if (organisation_id := _customer_organisation_id(person)) is not None:
        return Organisation.objects.filter(pk=organisation_id)
    return Organisation.objects.none()


def visible_contracts(person: Person | None) -> QuerySet[Contract]:
    """A customer sees their own organisation's contracts (their plan and hours); staff see all."""
    return Contract.objects.filter(organisation__in=visible_organisations(person)).select_related(
        "organisation"
    )


def visible_people(person: Person | None) -> QuerySet[Person]:
    """People a person may name (a requester, an assignee): staff everyone active, customers their
    active colleagues."""
    if _is_staff(person):
        return Person.objects.filter(is_active=True)
    if (organisation_id := _customer_organisation_id(person)) is not None:
        return Person.objects.filter(organisation_id=organisation_id, is_active=True)
    return Person.objects.none()
