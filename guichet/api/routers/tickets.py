"""Tickets, their actions, messages and SLA state. Reads start from `selectors.visible_tickets`
(the tenancy rule); writes are one call each to `guichet.tickets.services`."""

from __future__ import annotations

import json
import zoneinfo

from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder, Status
from pydantic import AwareDatetime

from guichet.accounts.models import Person
from guichet.api import present
from guichet.api.auth import request_person
from guichet.api.errors import not_found, responses
from guichet.api.pagination import keyset_page
from guichet.api.schemas import (
    AssignIn,
    CallIn,
    ContactAttemptIn,
    ContactAttemptOut,
    DbId,
    DowngradeIn,
    MessageIn,
    MessageOut,
    MessagePage,
    RaiseIn,
    SlaEventOut,
    SlaExplainOut,
    SlaOut,
    StatusIn,
    TicketIn,
    TicketOrdering,
    TicketOut,
    TicketPage,
)
from guichet.contracts.models import Priority
from guichet.tickets import ledger, selectors, services
from guichet.tickets.models import OPEN_STATUSES, Attachment, Ticket
from guichet.tickets.models import Status as TicketStatus

router = Router(tags=["tickets"])


class TicketFilters(Schema):
    status: list[TicketStatus] | None = Field(None, description="Repeat for several: status=new&status=open.")
    open: bool | None = Field(None, description="true: new, open or waiting; false: solved or closed.")
    priority: list[Priority] | None = None
    organisation: DbId | None = Field(None, description="Organisation id (staff; customers see only theirs).")
    assignee: DbId | None = Field(None, description="Assignee's person id (staff only).")
    due_before: AwareDatetime | None = Field(None, description="First response due before this instant.")
    awaiting_response: bool | None = Field(None, description="true: no first response yet; false: answered.")
    ordering: TicketOrdering = Field("due", description="due: time left, soonest first; -submitted: newest.")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page.")
    limit: int = Field(50, ge=1, le=200)


def person(request: HttpRequest) -> Person:
    return request_person(request)


def visible(request: HttpRequest):
    return selectors.with_held_response(selectors.visible_tickets(person(request)))


def get_ticket(request: HttpRequest, ticket_id: DbId, *, related: bool = True) -> Ticket:
    """The ticket if the caller may see it; 404 otherwise (never 403: ids cannot be probed)."""
    qs = visible(request)
    if related:
        qs = qs.select_related(*present.TICKET_RELATED)
    ticket = qs.filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found()
    return ticket


def ticket_out(request: HttpRequest, ticket: Ticket) -> dict:
    fresh = visible(request).select_related(*present.TICKET_RELATED).get(pk=ticket.pk)
    return present.ticket(fresh, person(request))


# --- Tickets --------------------------------------------------------------------------------------


def _statuses(filters: TicketFilters) -> list[str] | None:
    """The statuses asked for (status=..., open=...), or None for all."""
    if filters.status is None and filters.open is None:
        return None
    wanted = [str(s) for s in (filters.status or TicketStatus.values)]
    if filters.open is not None:
        wanted = [s for s in wanted if (s in OPEN_STATUSES) == filters.open]
    return sorted(set(wanted))


@router.get("/tickets", response=responses({200: TicketPage}), summary="List tickets (the queue)")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]):
    """Tickets the caller may see, by time left (default) or newest first, one cursor page at a time."""
    viewer = person(request)
    qs = visible(request)
    statuses = _statuses(filters)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.assignee is not None and viewer.is_agent:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.awaiting_response is not None:
        qs = qs.filter(first_response_at__isnull=filters.awaiting_response)
    if filters.due_before is not None:
        qs = qs.filter(sla_due_at__lt=filters.due_before)
    rows, next_cursor = keyset_page(
        qs.select_related(None),
        filters.ordering,
        filters.cursor,
        filters.limit,
        statuses,
        values=present.TICKET_VALUES,
    )
    page = {
        "items": [present.ticket_from_values(row, viewer) for row in rows],
        "limit": filters.limit,
        "next_cursor": next_cursor,
    }
    # The hot path: validating 50 items through pydantic costs more than the whole query, so the
    # page is encoded directly, with ninja's encoder. Tests check it against TicketPage and
    # against the (validated) detail representation of each ticket.
    return HttpResponse(json.dumps(page, cls=NinjaJSONEncoder), content_type="application/json")


@router.post("/tickets", response=responses({201: TicketOut}, 400, 403, 404, 409), summary="Open a ticket")
def open_ticket(request: HttpRequest, payload: TicketIn):
    """Customers open tickets for their own organisation; staff name the organisation (and
    optionally the requester, a contact of that organisation)."""
    viewer = person(request)
    organisation = None
    requester = None
    if payload.organisation_id is not None:
        organisation = selectors.visible_organisations(viewer).filter(pk=payload.organisation_id).first()
        if organisation is None:
            raise not_found("organisation_id")
    if payload.requester_id is not None:
        requester = selectors.visible_people(viewer).filter(pk=payload.requester_id).first()
        if requester is None:
            raise not_found("requester_id")
    ticket = services.open_ticket(
        actor=viewer,
        organisation=organisation,
        requester=requester,
        subject=payload.subject,
        body=payload.body,
        priority=payload.priority,
        channel=payload.channel,
        impact_confirmed=payload.impact_confirmed,
        contact_phone=payload.contact_phone,
        submitted_at=payload.submitted_at,
    )
    # The new ticket holds its organisation and requester already: no second read.
    return Status(201, present.ticket(ticket, viewer))


@router.get("/tickets/{ticket_id}", response=responses({200: TicketOut}, 404), summary="One ticket")
def get_one(request: HttpRequest, ticket_id: DbId):
    return present.ticket(get_ticket(request, ticket_id), person(request))


@router.post(
    "/tickets/{ticket_id}/status",
    response=responses({200: TicketOut}, 400, 403, 404, 409),
    summary="Change status",
)
def change_status(request: HttpRequest, ticket_id: DbId, payload: StatusIn):
    ticket = get_ticket(request, ticket_id, related=False)
    services.change_status(actor=person(request), ticket=ticket, status=payload.status, reason=payload.reason)
    return ticket_out(request, ticket)


@router.post(
    "/tickets/{ticket_id}/assign", response=responses({200: TicketOut}, 400, 403, 404, 409), summary="Assign"
)
def assign(request: HttpRequest, ticket_id: DbId, payload: AssignIn):
    ticket = get_ticket(request, ticket_id, related=False)
    assignee = None
    if payload.assignee_id is not None:
        assignee = selectors.visible_people(person(request)).filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise not_found("assignee_id")
    services.assign(actor=person(request), ticket=ticket, assignee=assignee)
    return ticket_out(request, ticket)


@router.post(
    "/tickets/{ticket_id}/raise",
    response=responses({200: TicketOut}, 400, 403, 404, 409),
    summary="Raise the priority",
)
def raise_priority(request: HttpRequest, ticket_id: DbId, payload: RaiseIn):
    ticket = get_ticket(request, ticket_id, related=False)
    services.raise_priority(
        actor=person(request),
        ticket=ticket,
        priority=payload.priority,
        reason=payload.reason,
        impact_confirmed=payload.impact_confirmed,
    )
    return ticket_out(request, ticket)


@router.post(
    "/tickets/{ticket_id}/downgrade",
    response=responses({200: TicketOut}, 400, 403, 404, 409),
    summary="Downgrade the priority (P1→P2, P2→P3) after unanswered contact attempts",
)
def downgrade(request: HttpRequest, ticket_id: DbId, payload: DowngradeIn):
    ticket = get_ticket(request, ticket_id, related=False)
    services.downgrade_priority(actor=person(request), ticket=ticket, reason=payload.reason)
    return ticket_out(request, ticket)


@router.post(
    "/tickets/{ticket_id}/contact-attempts",
    response=responses({201: ContactAttemptOut}, 400, 403, 404, 409),
    summary="Record an attempt to reach the customer",
)
def contact_attempt(request: HttpRequest, ticket_id: DbId, payload: ContactAttemptIn):
    ticket = get_ticket(request, ticket_id, related=False)
    attempt = services.record_contact_attempt(
        actor=person(request),
        ticket=ticket,
        channel=payload.channel,
        note=payload.note,
        at=payload.at,
        answered=payload.answered,
    )
    return Status(201, present.contact_attempt(attempt))


@router.post(
    "/tickets/{ticket_id}/calls",
    response=responses({201: MessageOut}, 400, 403, 404, 409),
    summary="Log a phone call (Premium contracts only)",
)
def log_call(request: HttpRequest, ticket_id: DbId, payload: CallIn):
    ticket = get_ticket(request, ticket_id, related=False)
    message = services.log_call(
        actor=person(request),
        ticket=ticket,
        caller=payload.caller,
        phone_number=payload.phone_number,
        duration_seconds=payload.duration_seconds,
        summary=payload.summary,
        inbound=payload.inbound,
        at=payload.at,
    )
    return Status(201, present.message(message))


# --- Messages -------------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/messages", response=responses({200: MessagePage}, 404), summary="The conversation"
)
def list_messages(
    request: HttpRequest,
    ticket_id: DbId,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Oldest first. Customers see public replies, calls and automatic messages, never internal
    notes nor replies still held for their business hours."""
    ticket = get_ticket(request, ticket_id, related=False)
    qs = selectors.visible_messages(person(request), ticket)
    count = qs.count()
    rows = (
        qs.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")[offset : offset + limit]
    )
    return {"items": [present.message(m) for m in rows], "count": count, "limit": limit, "offset": offset}


@router.post(
    "/tickets/{ticket_id}/messages",
    response=responses({201: MessageOut}, 400, 403, 404, 409),
    summary="Reply, or write an internal note (agents)",
)
def post_message(request: HttpRequest, ticket_id: DbId, payload: MessageIn):
    ticket = get_ticket(request, ticket_id, related=False)
    viewer = person(request)
    if payload.internal:
        message = services.add_note(actor=viewer, ticket=ticket, body=payload.body)
    else:
        message = services.add_reply(actor=viewer, ticket=ticket, body=payload.body, channel="api")
    return Status(201, present.message(message))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response=responses({}, 404),
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as a download (never rendered inline).",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, ticket_id: DbId, attachment_id: DbId):
    """Only through a ticket and a message the caller may see (never a customer's view of a note)."""
    ticket = get_ticket(request, ticket_id, related=False)
    item = selectors.visible_attachments(person(request), ticket).filter(pk=attachment_id).first()
    if item is None:
        raise not_found()
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)
    response["Content-Type"] = "application/octet-stream"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- SLA ------------------------------------------------------------------------------------------


def _events(request: HttpRequest, ticket: Ticket):
    return list(selectors.visible_sla_events(person(request), ticket).select_related("actor"))


@router.get("/tickets/{ticket_id}/sla", response=responses({200: SlaOut}, 404), summary="Current SLA state")
def sla_state(request: HttpRequest, ticket_id: DbId):
    """Due instant in UTC and in the customer's zone, business time used and left, state."""
    ticket = get_ticket(request, ticket_id, related=False)
    now = timezone.now()
    state = ledger.replay(_events(request, ticket))
    zone_name = state.terms.calendar.timezone if state.terms else None
    due_local = None
    if ticket.sla_due_at is not None and zone_name:
        due_local = ticket.sla_due_at.astimezone(zoneinfo.ZoneInfo(zone_name))
    elapsed = remaining = None
    if state.target is not None:  # the ticket has an SLA
        at = min(now, state.first_response_at) if state.first_response_at else now
        used = state.elapsed(at)
        if used is not None:
            elapsed = int(used.total_seconds())
            remaining = int((state.target - used).total_seconds())
    return {
        "ticket_id": ticket.pk,
        "state": ticket.sla_state,
        "plan": ticket.plan,
        "priority": ticket.priority,
        "target_minutes": ticket.sla_target_minutes,
        "time_zone": zone_name,
        "due_at": ticket.sla_due_at,
        "due_local": due_local,
        "warn_at": ticket.sla_warn_at,
        "breached_at": ticket.sla_breached_at,
        "first_response_at": ticket.first_response_at,
        "as_of": now,
        "elapsed_seconds": elapsed,
        "remaining_seconds": remaining,
        "paused": state.paused,
    }


@router.get(
    "/tickets/{ticket_id}/sla/events",
    response=responses({200: list[SlaEventOut]}, 404),
    summary="The SLA ledger (append-only)",
)
def sla_events(request: HttpRequest, ticket_id: DbId):
    ticket = get_ticket(request, ticket_id, related=False)
    return [present.sla_event(e) for e in _events(request, ticket)]


@router.get(
    "/tickets/{ticket_id}/sla/explain",
    response=responses({200: SlaExplainOut}, 404),
    summary="Why the first response is due when it is",
)
def sla_explain(request: HttpRequest, ticket_id: DbId):
    ticket = get_ticket(request, ticket_id, related=False)
    state = ledger.replay(_events(request, ticket))
    data = ledger.explain_data(state) or {}
    text = ""
    if "explanation" in data:
        explanation = state.explain()
        text = explanation.to_text() if explanation else ""
    return {"ticket_id": ticket.pk, "text": text, "explanation": data}
