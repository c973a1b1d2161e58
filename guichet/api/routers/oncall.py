"""On call: who is on call now and next, a ticket's paging history, and acknowledging a page."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from guichet.api.auth import request_person
from guichet.api.errors import ApiError, not_found, responses
from guichet.api.schemas import DbId
from guichet.oncall.escalation import acknowledge
from guichet.oncall.models import Escalation, PageRecord
from guichet.oncall.models.paging import LIVE_STATES
from guichet.oncall.views.desk import on_call_now
from guichet.tickets import selectors

router = Router(tags=["on call"])


class OnCallOut(Schema):
    schedule_id: int
    schedule: str
    time_zone: str
    primary: str
    secondary: str
    next_person: str
    next_at: dt.datetime | None


class PageRecordOut(Schema):
    at: dt.datetime
    kind: str
    level: int | None
    person: str | None
    method: str | None
    detail: dict


class AckOut(Schema):
    acknowledged: int


def _staff(request: HttpRequest):
    viewer = request_person(request)
    if not viewer.is_agent:
        raise ApiError(403, _("Only support staff can do this."))
    return viewer


@router.get("/oncall/now", response=responses({200: list[OnCallOut]}, 403), summary="On call now and next")
def now(request: HttpRequest):
    """For each schedule: who is primary and secondary now, and the next primary hand-off."""
    _staff(request)
    return [
        {
            "schedule_id": row.schedule.pk,
            "schedule": row.schedule.name,
            "time_zone": row.schedule.time_zone,
            "primary": row.primary,
            "secondary": row.secondary,
            "next_person": row.next_person,
            "next_at": row.next_at,
        }
        for row in on_call_now()
    ]


def _ticket(request: HttpRequest, ticket_id: int):
    """The ticket for staff; 404 for anyone else (paging is internal: no existence leak)."""
    viewer = request_person(request)
    ticket = selectors.visible_tickets(viewer).filter(pk=ticket_id).first() if viewer.is_agent else None
    if ticket is None:
        raise not_found()
    return ticket


@router.get(
    "/tickets/{ticket_id}/paging",
    response=responses({200: list[PageRecordOut]}, 404),
    summary="A ticket's paging history",
)
def paging(request: HttpRequest, ticket_id: DbId):
    """Every page, delivery, failure and acknowledgement on the ticket, oldest first."""
    ticket = _ticket(request, ticket_id)
    return [
        {
            "at": r.at,
            "kind": r.kind,
            "level": r.level,
            "person": str(r.person) if r.person else None,
            "method": r.method.kind if r.method else None,
            "detail": r.detail,
        }
        for r in PageRecord.objects.filter(ticket=ticket)
        .select_related("person", "method")
        .order_by("at", "id")
    ]


@router.post(
    "/tickets/{ticket_id}/acknowledge",
    response=responses({200: AckOut}, 400, 403, 404),
    summary="Acknowledge a page",
)
def ack(request: HttpRequest, ticket_id: DbId):
    """Stop the ticket's escalation: the token's person has it. `acknowledged` is 0 when nothing
    was escalating (already acknowledged, or never paged)."""
    ticket = _ticket(request, ticket_id)
    viewer = request_person(request)
    done = sum(
        acknowledge(esc, viewer, via="api")
        for esc in Escalation.objects.filter(ticket=ticket, state__in=LIVE_STATES)
    )
    return {"acknowledged": done}
