"""The customer portal: the organisation's tickets, opening and following a ticket, the plan page.

Every read starts from `selectors.visible_tickets(person)`: another organisation's ticket, message
or attachment is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet import sla
from guichet.accounts.models import Person
from guichet.contracts import priorities
from guichet.contracts.models import Contract, Priority, contract_in_force
from guichet.tickets import selectors, services
from guichet.tickets.models import Attachment, SlaEventKind, Ticket
from guichet.web import forms, refusals
from guichet.web.views.session import SignedInRequest, customer_required

PAGE_SIZE = 50


def localised_holiday_names(
    contract: Contract, days: dict[dt.date, str], language: str
) -> dict[dt.date, str]:
    """The calendar's closed days (the authority on dates) named in the reader's language when the
    holidays package knows it; the contract's own named days keep the names the vendor gave them."""
    own = [o.date for o in contract.holiday_overrides.all() if o.closed]
    return sla.localised_names(
        contract.holiday_country, contract.holiday_subdivision or None, days, language, keep=own
    )


def support_phone() -> str:
    return settings.GUICHET_SUPPORT_PHONE


def current_contract(user) -> Contract | None:
    return contract_in_force(user.organisation, timezone.now())


def due_preview(contract: Contract | None, priority: str, now: dt.datetime) -> dict:
    """When the first response would be due for a ticket submitted now (the domain's terms)."""
    if contract is None:
        return {"no_contract": True}
    terms = contract.terms(priority)
    target, calendar = terms.target, terms.calendar.calendar()
    return {
        "priority": priority,
        "target": target,
        "due": calendar.add(now, target),
        "hours": terms.calendar.hours,
        "open_now": calendar.is_open(now),
        "contract_zone": contract.time_zone,
    }


@customer_required
def tickets(request: SignedInRequest) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    qs = (
        selectors.with_held_response(selectors.visible_tickets(request.user))
        .select_related("requester", "assignee")
        .order_by("-submitted_at", "-id")
    )
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    return render(
        request,
        "web/portal/tickets.html",
        {"tickets": rows[:PAGE_SIZE], "has_next": len(rows) > PAGE_SIZE, "page": page, "nav": "portal"},
    )


def _priority_choices():
    return [priorities.info(p) for p in Priority.values]


@customer_required
def new_ticket(request: SignedInRequest) -> HttpResponse:
    contract = current_contract(request.user)
    form = forms.NewTicketForm(
        request.POST or None, request.FILES or None, initial={"contact_phone": request.user.phone}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.open_ticket(
                actor=request.user,
                subject=data["subject"],
                body=data["body"],
                priority=data["priority"],
                channel="portal",
                impact_confirmed=data["impact_confirmed"],
                contact_phone=data["contact_phone"],
                attachments=data["attachments"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
            return redirect("portal_ticket", pk=ticket.pk)
    priority = form["priority"].value() or ""
    context = {
        "form": form,
        "choices": _priority_choices(),
        "confirmation_text": priorities.CONFIRMATION_TEXT,
        "contract": contract,
        "preview": due_preview(contract, priority, timezone.now()) if priority in Priority.values else None,
        "support_phone": support_phone(),
        "nav": "new",
    }
    return render(request, "web/portal/new.html", context)


@customer_required
def due_fragment(request: SignedInRequest) -> HttpResponse:
    """HTMX: the due time for the chosen priority, refreshed whenever the choice changes."""
    priority = request.GET.get("priority", "")
    preview = None
    if priority in Priority.values:
        preview = due_preview(current_contract(request.user), priority, timezone.now())
    return render(request, "web/portal/_due_preview.html", {"preview": preview})


def _visible_ticket(request: SignedInRequest, pk: int) -> Ticket:
    qs = selectors.with_held_response(selectors.visible_tickets(request.user))
    qs = qs.select_related("organisation", "contract", "requester")
    return get_object_or_404(qs, pk=pk)


def _portal_context(request: SignedInRequest, ticket: Ticket, reply_form=None) -> dict:
    now = timezone.now()
    return {
        "ticket": ticket,
        "conversation": selectors.visible_messages(request.user, ticket)
        .select_related("author")
        .prefetch_related("attachments"),
        "priority_changes": selectors.visible_sla_events(request.user, ticket).filter(
            kind__in=[SlaEventKind.DOWNGRADED, SlaEventKind.RAISED]
        ),
        "reply_form": reply_form or forms.PortalReplyForm(),
        "contract_zone": ticket.contract.time_zone if ticket.contract else None,
        "now": now,
        "nav": "portal",
    }


@customer_required
def ticket_page(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    refused = refusals.restore(request, page=request.path, forms_by_key={"reply_form": forms.PortalReplyForm})
    context = _portal_context(request, ticket, refused.get("reply_form"))
    if request.htmx and request.htmx.target == "ticket-follow":
        # The 30 s refresh: status, commitment and conversation, not the reply form being typed in.
        return render(request, "web/portal/ticket.html#follow", context)
    return render(request, "web/portal/ticket.html", context)


@customer_required
@require_POST
def reply(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    page = reverse("portal_ticket", args=[ticket.pk])
    form = forms.PortalReplyForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            services.add_reply(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                channel="portal",
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("Reply sent."))
            return redirect(page)
    # Back to the ticket's own address with the reply as typed (guichet.web.refusals).
    refusals.keep(request, page=page, form_key="reply_form", errors=errors)
    return redirect(f"{page}#reply-title")


def hours_text(hours: str, contract: Contract) -> str:
    """The hours a clock counts in, in words, for this customer: never the option's name ("Plan
    default") but the days and times, in the contract's zone."""
    if hours == sla.Hours.H24X7:
        return _("24 × 7: every hour of every day")
    if hours == sla.Hours.H24X5:
        return _("24 × 5: Monday 00:01 to Friday 23:59, %(zone)s time") % {"zone": contract.time_zone}
    opening = "08:00" if contract.region == sla.Region.NORTH_AMERICA else "09:00"
    return _("Monday to Friday, %(open)s–17:00, %(zone)s time, public holidays (%(place)s) excluded") % {
        "open": opening,
        "zone": contract.time_zone,
        "place": "-".join(filter(None, [contract.holiday_country, contract.holiday_subdivision])),
    }


@customer_required
def plan(request: SignedInRequest) -> HttpResponse:
    now = timezone.now()
    contract = current_contract(request.user)
    context: dict[str, object] = {
        "contract": contract,
        "nav": "plan",
        "support_phone": support_phone(),
        "support_address": settings.GUICHET_SUPPORT_ADDRESS,
    }
    if contract is not None:
        hours_calendar = contract.business_hours()
        today = now.astimezone(contract.zone).date()
        until = today + dt.timedelta(days=365)
        holidays = hours_calendar.holidays.between(today, until) if not hours_calendar.holidays.empty else {}
        # Holiday changes from the contract: extra closed days are in the calendar already.
        context |= {
            "targets": [
                {
                    "info": priorities.info(p),
                    "target": contract.terms(p).target,
                    "hours": hours_text(contract.hours_for(p), contract),
                }
                for p in Priority.values
            ],
            "business_hours": hours_text(sla.Hours.H8X5, contract),
            "support_hours": hours_text(contract.hours_for(Priority.P1), contract),
            "holidays": sorted(localised_holiday_names(contract, holidays, get_language()).items()),
            "worked_holidays": [
                o for o in contract.holiday_overrides.all() if not o.closed and o.date >= today
            ],
            "open_now": hours_calendar.is_open(now),
            "local_now": now,
        }
    return render(request, "web/portal/plan.html", context)


def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Download an attachment (agents and customers): only through a ticket the person may see."""
    try:
        # Not behind login_required: an anonymous visitor sees nothing (like no person at all).
        person = request.user if isinstance(request.user, Person) else None
        item = selectors.get_attachment(person, pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)
    # Never rendered by the browser, whatever it contains.
    response["Content-Type"] = "application/octet-stream"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
