"""Template pieces the desk shows from the on-call app: "on call now / next" in the top bar and a
ticket's paging history (with the acknowledge button while it is being paged)."""

from __future__ import annotations

import time
from typing import Any

from django import template

from guichet.oncall.models import Escalation, PageRecord
from guichet.oncall.models.paging import LIVE_STATES

register = template.Library()

# The top bar is on every desk page: who is on call changes at hand-offs, not per request.
_TOPBAR_TTL = 20.0
_topbar: tuple[float, list[Any]] | None = None


def topbar_data() -> list[Any]:
    global _topbar
    now = time.monotonic()
    if _topbar is None or now - _topbar[0] > _TOPBAR_TTL:
        from guichet.oncall.views.desk import on_call_now

        _topbar = (now, list(on_call_now()))
    return _topbar[1]


def forget_topbar(**kwargs: Any) -> None:
    global _topbar
    _topbar = None


@register.inclusion_tag("oncall/_topbar.html", takes_context=True)
def oncall_topbar(context: template.Context) -> dict[str, Any]:
    """The top bar's place for "on call now / next": filled by HTMX (/oncall/now/, every minute),
    so a desk page costs no query for it."""
    return {"request": context.get("request")}


@register.inclusion_tag("oncall/_ticket_paging.html", takes_context=True)
def ticket_paging(context: template.Context, ticket: Any) -> dict[str, Any]:
    records = list(
        PageRecord.objects.filter(ticket=ticket).select_related("person", "method").order_by("at", "id")
    )
    live = Escalation.objects.filter(ticket=ticket, state__in=LIVE_STATES).first()
    return {
        "records": records,
        "live": live,
        "ticket": ticket,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def ack_tables(report: Any) -> list[tuple[str, Any]]:
    from django.utils.translation import gettext as _

    return [
        (_("Per level"), report.by_level),
        (_("Per person"), report.by_person),
        (_("Per month"), report.by_month),
    ]


@register.filter
def seconds(value: float | None) -> str:
    """A duration for people: "4 min 05 s", "12 s"."""
    if value is None:
        return "–"
    total = round(value)
    minutes, secs = divmod(total, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
