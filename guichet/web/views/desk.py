"""The agent desk: the queue, saved views, search and the ticket page with its actions.

Reads start from `selectors` (the tenancy rule), writes call one `services` function each. A
ServiceError is shown next to the form that caused it, and nothing is changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.forms import BaseForm
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts.models import Person, Role
from guichet.contracts import priorities
from guichet.contracts.models import Priority
from guichet.tickets import selectors, services
from guichet.tickets.models import Attachment, SlaState, Ticket
from guichet.web import forms, refusals, timefmt
from guichet.web.clock import CalendarCache, clock_view
from guichet.web.models import SavedView
from guichet.web.sla_panel import delivery_hint, sla_panel_context
from guichet.web.templatetags.guichet_ui import in_zone, seconds_until
from guichet.web.views.session import SignedInRequest, agent_required

PAGE_SIZE = 50
QUEUE_RELATED = ("organisation", "contract", "assignee", "requester")


def _agents():
    return Person.objects.filter(role__in=[Role.AGENT, Role.LEAD, Role.ADMIN], is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def _filtered_queue(user: Person, data: dict, now: dt.datetime):
    """Open tickets visible to `user`, filtered by the (valid) filter form data, by due time."""
    qs = selectors.queue(user)
    if data.get("scope") == "mine":
        qs = qs.filter(assignee=user)
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("priority"):
        qs = qs.filter(priority=data["priority"])
    if data.get("plan"):
        qs = qs.filter(plan=data["plan"])
    if data.get("organisation"):
        qs = qs.filter(organisation_id=data["organisation"])
    assignee = data.get("assignee")
    if assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    # "Breached" includes clocks past due that the periodic sweep has not recorded yet.
    if data.get("breached"):
        qs = qs.filter(Q(sla_state=SlaState.BREACHED) | Q(sla_state=SlaState.RUNNING, sla_due_at__lte=now))
    if data.get("due_within"):
        qs = qs.filter(
            sla_state__in=[SlaState.RUNNING, SlaState.BREACHED],
            sla_due_at__lte=now + dt.timedelta(minutes=data["due_within"]),
        )
    return qs


def page_of_tickets(qs, page: int) -> list[Ticket]:
    """One page of `qs` in its own order, plus one ticket to tell whether a next page exists.

    The order is sorted on narrow rows (ids only) and the page's tickets are then read with their
    related rows, so the sort never carries the joins; no COUNT(*) over the table either.
    """
    ids = list(qs.values_list("pk", flat=True)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    rows = (
        Ticket.objects.filter(pk__in=ids)
        .select_related(*QUEUE_RELATED)
        .prefetch_related("contract__holiday_overrides")
        .in_bulk()
    )
    return [rows[pk] for pk in ids if pk in rows]


def queue_rows(tickets, now: dt.datetime) -> list[dict]:
    calendars = CalendarCache()
    rows = []
    desk_url = reverse("desk_ticket", args=[0])[: -len("0/")]
    for ticket in tickets:
        hours = calendars.business_hours(ticket)
        zone = ticket.contract.zone if ticket.contract else ticket.requester.time_zone
        clock = clock_view(ticket, calendars, now)
        in_hours = hours.is_open(now) if hours is not None else None
        wall = timefmt.local(now, zone)
        rows.append(
            {
                "ticket": ticket,
                "url": f"{desk_url}{ticket.pk}/",
                "clock": clock,
                "boundary_in": seconds_until(clock.boundary, now),
                # The customer's wall clock, short: the date is the agent's, give or take a day.
                "customer_time": f"{formats.date_format(wall, 'D H:i')} {wall.tzname()}",
                "in_hours": in_hours,
                # R-PRIO-7: on P3/P4 a reply written now waits for the customer's next opening.
                "held": _held_until(ticket, hours, in_hours, now),
                "updated": timefmt.time_html(ticket.updated_at, now=now),
            }
        )
    return rows


def _held_until(ticket: Ticket, hours, in_hours: bool | None, now: dt.datetime) -> str:
    contract = ticket.contract
    if contract is None or in_hours is not False:
        return ""
    if not priorities.info(ticket.priority).business_hours_contact_only:
        return ""
    opening = timefmt.datetime_text(hours.next_open(now), contract.zone)
    return _("A reply written now is delivered at %(at)s") % {"at": opening}


@agent_required
def queue(request: SignedInRequest) -> HttpResponse:
    now = timezone.now()
    agents = list(_agents())
    data = request.GET.copy()
    view_id = data.pop("view", [None])[0]
    saved = None
    if view_id:
        saved = get_object_or_404(_saved_views(request.user), pk=view_id)
        data = saved.filters | {k: v for k, v in data.items() if k == "page"}
    form = forms.QueueFilterForm(data, agents=agents)
    filters = form.cleaned_data if form.is_valid() else {}
    scope = filters.get("scope") or "team"
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    tickets = page_of_tickets(_filtered_queue(request.user, filters, now), page)
    has_next = len(tickets) > PAGE_SIZE
    context = {
        "form": form,
        "rows": queue_rows(tickets[:PAGE_SIZE], now),
        "page": page,
        "has_next": has_next,
        "scope": scope,
        "nav": scope,
        "saved": saved,
        "saved_views": _saved_views(request.user),
        "saved_form": forms.SavedViewForm(),
        "now": now,
        "refresh_url": request.get_full_path(),
    }
    if request.htmx and request.htmx.target == "queue-rows":
        return render(request, "web/desk/queue.html#rows", context)
    return render(request, "web/desk/queue.html", context)


def _saved_views(user: Person):
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


@agent_required
@require_POST
def save_view(request: SignedInRequest) -> HttpResponse:
    form = forms.SavedViewForm(request.POST)
    filters_form = forms.QueueFilterForm(request.POST, agents=_agents())
    if not form.is_valid() or not filters_form.is_valid():
        messages.error(request, _("The view was not saved: give it a name and valid filters."))
        return redirect("desk_queue")
    filters = {k: str(v) for k, v in filters_form.cleaned_data.items() if v not in (None, "", False)}
    view, created = SavedView.objects.update_or_create(
        owner=request.user,
        name=form.cleaned_data["name"],
        defaults={"filters": filters, "shared": form.cleaned_data["shared"]},
    )
    messages.success(
        request,
        _("View “%(name)s” saved.") % {"name": view.name}
        if created
        else _("View “%(name)s” updated.") % {"name": view.name},
    )
    return redirect(f"{reverse('desk_queue')}?view={view.pk}")


@agent_required
@require_POST
def delete_view(request: SignedInRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    view.delete()
    messages.success(request, _("View deleted."))
    return redirect("desk_queue")


@agent_required
def search(request: SignedInRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = []
    now = timezone.now()
    if query:
        tickets = selectors.search_tickets(request.user, query).select_related(*QUEUE_RELATED)
        tickets = tickets.prefetch_related("contract__holiday_overrides")[:PAGE_SIZE]
        results = queue_rows(tickets, now)
        found_messages = list(
            selectors.search_messages(request.user, query).select_related("ticket", "author")[:PAGE_SIZE]
        )
    else:
        found_messages = []
    context = {
        "form": form,
        "search_query": query,
        "rows": results,
        "found_messages": found_messages,
        "nav": "search",
        "now": now,
    }
    return render(request, "web/desk/search.html", context)


# --- Ticket page ------------------------------------------------------------------------------------


def _ticket_for(request: SignedInRequest, pk: int) -> Ticket:
    qs = selectors.visible_tickets(request.user).select_related(*QUEUE_RELATED)
    return get_object_or_404(qs.prefetch_related("contract__holiday_overrides"), pk=pk)


def _ticket_context(request: SignedInRequest, ticket: Ticket, **bound_forms) -> dict:
    now = timezone.now()
    agents = list(_agents())
    calendars = CalendarCache()
    conversation = selectors.visible_messages(request.user, ticket).prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    downgrade_to = priorities.DOWNGRADES.get(Priority(ticket.priority))
    raise_choices = [
        (p.value, p.label) for p in Priority if priorities.rank(p) < priorities.rank(ticket.priority)
    ]
    raise_form = bound_forms.get("raise_form") or forms.RaiseForm()
    forms.choice_field(raise_form, "priority").choices = raise_choices
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "contact_attempts": selectors.visible_contact_attempts(request.user, ticket)
        .select_related("agent")
        .order_by("at", "id"),
        "reply_form": bound_forms.get("reply_form") or forms.ReplyForm(),
        "note_form": bound_forms.get("note_form") or forms.NoteForm(),
        "call_form": bound_forms.get("call_form")
        or forms.CallForm(
            initial={
                "caller": str(ticket.requester),
                "phone_number": ticket.contact_phone or ticket.requester.phone,
            }
        ),
        "status_form": bound_forms.get("status_form") or forms.StatusForm(initial={"status": ticket.status}),
        "assign_form": bound_forms.get("assign_form")
        or forms.AssignForm(initial={"assignee": str(ticket.assignee_id or "")}, agents=agents),
        "raise_form": raise_form,
        "downgrade_form": bound_forms.get("downgrade_form") or forms.DowngradeForm(),
        "contact_form": bound_forms.get("contact_form") or forms.ContactAttemptForm(),
        "downgrade_to": downgrade_to,
        "can_raise": bool(raise_choices),
        "phone_support": ticket.contract is not None and ticket.contract.has_phone_support,
        "hint": delivery_hint(ticket, now),
        "customer_zone": ticket.contract.time_zone if ticket.contract else ticket.requester.time_zone,
        "in_hours": (calendars.business_hours(ticket).is_open(now) if ticket.contract_id else None),
        "audit": selectors.visible_audit(request.user, ticket).select_related("actor"),
        "active_tab": bound_forms.get("active_tab", "reply"),
        "nav": "ticket",
        "now": now,
    }
    context.update(sla_panel_context(request.user, ticket, now))
    return context


@agent_required
def ticket_page(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    refused = refusals.restore(request, page=request.path, forms_by_key=ACTION_FORMS)
    context = _ticket_context(request, ticket, **refused)
    return render(request, "web/desk/ticket.html", context)


@agent_required
def hint_fragment(request: SignedInRequest, pk: int) -> HttpResponse:
    """HTMX: the R-PRIO-7 delivery hint, re-polled so an open page stays right across an opening."""
    ticket = _ticket_for(request, pk)
    context = {
        "ticket": ticket,
        "hint": delivery_hint(ticket, timezone.now()),
        "customer_zone": ticket.contract.time_zone if ticket.contract else ticket.requester.time_zone,
    }
    return render(request, "web/desk/_hint.html", context)


@agent_required
def sla_panel(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    return render(
        request, "web/desk/_sla_panel.html", sla_panel_context(request.user, ticket, timezone.now())
    )


# The form of each action, to show a refused one again on the ticket page (guichet.web.refusals).
ACTION_FORMS: dict[str, Callable[[QueryDict], BaseForm]] = {
    "reply_form": forms.ReplyForm,
    "note_form": forms.NoteForm,
    "call_form": forms.CallForm,
    "status_form": forms.StatusForm,
    "assign_form": lambda data: forms.AssignForm(data, agents=_agents()),
    "raise_form": forms.RaiseForm,
    "downgrade_form": forms.DowngradeForm,
    "contact_form": forms.ContactAttemptForm,
}
ANCHORS = {"raise_form": "raise", "downgrade_form": "downgrade", "contact_form": "downgrade"}


def _act(
    request: SignedInRequest, ticket: Ticket, form, form_key: str, action, success: str, tab: str = "reply"
):
    """Run one service call for a valid form. A refusal goes back to the ticket page, which shows
    the form as typed and why (never the action's own address: see guichet.web.refusals)."""
    page = reverse("desk_ticket", args=[ticket.pk])
    errors: list[str] = []
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, success)
            return HttpResponseRedirect(page)
    refusals.keep(request, page=page, form_key=form_key, errors=errors, tab=tab)
    return HttpResponseRedirect(f"{page}#{ANCHORS.get(form_key, f'panel-{tab}')}")


@agent_required
@require_POST
def reply(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.ReplyForm(request.POST, request.FILES)

    def action(data):
        message = services.add_reply(
            actor=request.user,
            ticket=ticket,
            body=data["body"],
            channel="portal",
            attachments=data["attachments"],
        )
        if message.is_held:
            messages.info(
                request,
                _("Outside the customer's business hours: the reply is held until %(at)s.")
                % {"at": in_zone(message.deliver_at)},
            )

    return _act(request, ticket, form, "reply_form", action, _("Reply saved."), "reply")


@agent_required
@require_POST
def note(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.NoteForm(request.POST)
    return _act(
        request,
        ticket,
        form,
        "note_form",
        lambda d: services.add_note(actor=request.user, ticket=ticket, body=d["body"]),
        _("Note added."),
        "note",
    )


@agent_required
@require_POST
def log_call(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.CallForm(request.POST)
    return _act(
        request,
        ticket,
        form,
        "call_form",
        lambda d: services.log_call(
            actor=request.user,
            ticket=ticket,
            caller=d["caller"],
            phone_number=d["phone_number"],
            duration_seconds=d["duration_minutes"] * 60,
            summary=d["summary"],
            inbound=d["direction"] == "inbound",
        ),
        _("Call logged."),
        "call",
    )


@agent_required
@require_POST
def change_status(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.StatusForm(request.POST)
    return _act(
        request,
        ticket,
        form,
        "status_form",
        lambda d: services.change_status(
            actor=request.user, ticket=ticket, status=d["status"], reason=d["reason"]
        ),
        _("Status changed."),
    )


@agent_required
@require_POST
def assign(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.AssignForm(request.POST, agents=_agents())

    def action(data):
        assignee = _agents().get(pk=int(data["assignee"])) if data["assignee"] else None
        services.assign(actor=request.user, ticket=ticket, assignee=assignee)

    return _act(request, ticket, form, "assign_form", action, _("Assignee changed."))


@agent_required
@require_POST
def raise_priority(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.RaiseForm(request.POST)
    return _act(
        request,
        ticket,
        form,
        "raise_form",
        lambda d: services.raise_priority(
            actor=request.user,
            ticket=ticket,
            priority=d["priority"],
            reason=d["reason"],
            impact_confirmed=d["impact_confirmed"],
        ),
        _("Priority raised."),
    )


@agent_required
@require_POST
def downgrade(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.DowngradeForm(request.POST)
    return _act(
        request,
        ticket,
        form,
        "downgrade_form",
        lambda d: services.downgrade_priority(actor=request.user, ticket=ticket, reason=d["reason"]),
        _("Priority downgraded."),
    )


@agent_required
@require_POST
def contact_attempt(request: SignedInRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for(request, pk)
    form = forms.ContactAttemptForm(request.POST)
    return _act(
        request,
        ticket,
        form,
        "contact_form",
        lambda d: services.record_contact_attempt(
            actor=request.user, ticket=ticket, channel=d["channel"], note=d["note"], answered=d["answered"]
        ),
        _("Contact attempt logged."),
    )


@agent_required
def new_ticket(request: SignedInRequest) -> HttpResponse:
    """Open a ticket for a customer; the services refuse a phone request from a Basic customer."""
    form = forms.DeskNewTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        who = data["requester"].strip()
        requester = (
            selectors.visible_people(request.user)
            .filter(Q(username=who) | Q(email__iexact=who), role=Role.CUSTOMER)
            .select_related("organisation")
            .first()
        )
        if requester is None:
            form.add_error("requester", _("No active customer contact has this user name or e-mail."))
        else:
            try:
                ticket = services.open_ticket(
                    actor=request.user,
                    requester=requester,
                    subject=data["subject"],
                    body=data["body"],
                    priority=data["priority"],
                    channel=data["channel"],
                    impact_confirmed=data["impact_confirmed"],
                    contact_phone=data["contact_phone"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
                return redirect("desk_ticket", pk=ticket.pk)
    return render(request, "web/desk/new.html", {"form": form, "nav": "new"})
