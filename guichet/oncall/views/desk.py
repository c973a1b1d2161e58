"""The desk's on-call screens: the schedule's week view, the alerts an open desk tab shows as
browser notifications, and acknowledgement (the one-click link, the desk's button)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from guichet.accounts.models import Person
from guichet.oncall.delivery import LinkError, use_ack_link
from guichet.oncall.escalation import acknowledge
from guichet.oncall.models import BrowserAlert, Escalation, Schedule, Tier
from guichet.oncall.views.access import SignedInRequest, agent_required


@dataclass
class DayRow:
    day: dt.date
    tiers: list[tuple[str, list[dict[str, object]]]]
    today: bool


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def week_rows(
    schedule: Schedule, monday: dt.date, zone: zoneinfo.ZoneInfo, names: dict[int, str]
) -> list[DayRow]:
    """Seven days (in ``zone``) of who is on each tier, shifts cut at midnight."""
    start = dt.datetime.combine(monday, dt.time(0), zone)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), zone)
    shifts = schedule.rota(start, end).shifts(start, end)
    today = timezone.now().astimezone(zone).date()
    rows = []
    for i in range(7):
        day = monday + dt.timedelta(days=i)
        a = dt.datetime.combine(day, dt.time(0), zone)
        b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
        tiers = []
        for tier in Tier.values:
            cells = []
            for s in shifts:
                if s.tier != tier or s.end <= a or s.start >= b:
                    continue
                s_a, s_b = max(s.start, a).astimezone(zone), min(s.end, b).astimezone(zone)
                cells.append(
                    {
                        "start": s_a,
                        "end": s_b,
                        "person": names.get(s.person, "") if s.person else "",
                        "source": s.source,
                        "nobody": s.person is None,
                        "ends_next_day": s_b.date() > day,
                    }
                )
            tiers.append((tier, cells))
        rows.append(DayRow(day, tiers, day == today))
    return rows


@agent_required
@require_GET
def week(request: SignedInRequest) -> HttpResponse:
    schedules = list(Schedule.objects.order_by("name"))
    if not schedules:
        return render(request, "oncall/week.html", {"schedules": [], "nav": "oncall"})
    wanted = request.GET.get("schedule", "")
    schedule = next((s for s in schedules if str(s.pk) == wanted), schedules[0])
    zone = _zone(request.GET.get("zone") or request.user.time_zone)
    try:
        day = dt.date.fromisoformat(request.GET["week"]) if request.GET.get("week") else None
    except ValueError:
        day = None
    day = day or timezone.now().astimezone(zone).date()
    monday = day - dt.timedelta(days=day.weekday())
    names = {p.pk: str(p) for p in Person.objects.filter(is_active=True)}
    context = {
        "schedules": schedules,
        "schedule": schedule,
        "rows": week_rows(schedule, monday, zone, names),
        "monday": monday,
        "previous": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
        "zone": zone.key,
        "tiers": [(t, Tier(t).label) for t in Tier.values],
        "now": now_and_next(schedule, names),
        "nav": "oncall",
    }
    return render(request, "oncall/week.html", context)


@dataclass(frozen=True)
class OnCallNow:
    schedule: Schedule
    primary: str
    secondary: str
    next_person: str
    next_at: dt.datetime | None


def now_and_next(schedule: Schedule, names: dict[int, str] | None = None) -> OnCallNow:
    """Who is on each tier now, and the next change of the primary tier."""
    now = timezone.now()
    sched = schedule.rota(now - dt.timedelta(days=1), now + dt.timedelta(days=31))
    names = names if names is not None else {p.pk: str(p) for p in Person.objects.filter(is_active=True)}
    on = sched.on_call(now)
    nxt = sched.next_change(now, "primary", horizon_days=30)
    return OnCallNow(
        schedule,
        names.get(on["primary"] or 0, ""),
        names.get(on["secondary"] or 0, ""),
        names.get(nxt.person or 0, "") if nxt else "",
        nxt.start if nxt else None,
    )


def on_call_now() -> list[OnCallNow]:
    """Every schedule's "now / next" (the top bar, the API and `guichet oncall now`)."""
    names = {p.pk: str(p) for p in Person.objects.filter(is_active=True)}
    return [now_and_next(s, names) for s in Schedule.objects.prefetch_related("rotations")]


@agent_required
@require_GET
def now_fragment(request: SignedInRequest) -> HttpResponse:
    """The top bar's "on call now / next" (HTMX, every minute; cached a few seconds per process)."""
    from guichet.oncall.templatetags.oncall_ui import topbar_data

    return render(request, "oncall/_now.html", {"schedules": topbar_data()})


# --- Alerts for an open desk tab ----------------------------------------------------------------------


@agent_required
@require_GET
@never_cache
def alerts(request: SignedInRequest) -> JsonResponse:
    """The pages waiting for this person's desk: each is shown once (by the first tab that asks)."""
    now = timezone.now()
    pending = list(
        BrowserAlert.objects.filter(person=request.user, shown_at__isnull=True).order_by("created_at")[:10]
    )
    if pending:
        BrowserAlert.objects.filter(pk__in=[a.pk for a in pending]).update(shown_at=now)
    return JsonResponse(
        {
            "alerts": [
                {
                    "id": a.pk,
                    "title": a.title,
                    "body": a.body,
                    "url": a.url,
                    "ack_url": a.ack_url,
                    "escalation": a.escalation_id,
                }
                for a in pending
            ],
            "acknowledge": _("Acknowledge"),
        }
    )


@never_cache
def ack_link(request: HttpRequest, signed: str) -> HttpResponse:
    """The one-click link of a page (mail, chat, phone, browser notification): no sign-in needed,
    the signed single-use token says who. A HEAD (link previews) changes nothing."""
    if request.method == "HEAD":
        return HttpResponse(status=200)
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    try:
        esc, person, done = use_ack_link(signed)
    except LinkError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"acknowledged": False, "message": str(exc)}, status=410)
        return render(request, "oncall/ack.html", {"error": str(exc)}, status=410)
    message = (
        _("Ticket #%(id)s is yours: escalation stopped.") % {"id": esc.ticket_id}
        if done
        else _("Ticket #%(id)s was already acknowledged.") % {"id": esc.ticket_id}
    )
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"acknowledged": done, "message": message, "ticket": esc.ticket_id})
    return render(request, "oncall/ack.html", {"message": message, "escalation": esc, "person": person})


@agent_required
@require_POST
def ack_desk(request: SignedInRequest, pk: int) -> HttpResponse:
    """The desk's "Acknowledge" button on a ticket being paged."""
    esc = get_object_or_404(Escalation, pk=pk)
    acknowledge(esc, request.user, via="desk")
    return redirect("desk_ticket", pk=esc.ticket_id)
