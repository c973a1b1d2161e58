"""Administration for vendor administrators: organisations, contracts and their targets, holiday
overrides, people and roles, and a week preview of any contract's calendars.

Organisations, contracts and people are not tickets: they are edited with model forms, and the
models' own validation (Contract.clean asks the SLA core about the zone and holiday country).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet import sla
from guichet.accounts.models import Organisation, Person
from guichet.contracts.models import Contract, HolidayOverride, Priority
from guichet.web import forms
from guichet.web.views.session import SignedInRequest, vendor_admin_required


@vendor_admin_required
def home(request: SignedInRequest) -> HttpResponse:
    organisations = Organisation.objects.annotate(n_contracts=Count("contracts", distinct=True)).order_by(
        "name"
    )
    return render(request, "web/manage/home.html", {"organisations": organisations, "nav": "manage"})


def _save(request: SignedInRequest, form, success: str) -> bool:
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        form.add_error(None, _("This conflicts with an existing record."))
        return False
    messages.success(request, success)
    return True


@vendor_admin_required
def organisation_edit(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk) if pk else None
    form = forms.OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and _save(request, form, _("Organisation saved.")):
        return redirect("manage_organisation", pk=form.instance.pk)
    context = {
        "form": form,
        "organisation": organisation,
        "contracts": organisation.contracts.order_by("-valid_from") if organisation else [],
        "people": organisation.contacts.order_by("username") if organisation else [],
        "nav": "manage",
    }
    return render(request, "web/manage/organisation.html", context)


@vendor_admin_required
def contract_edit(
    request: SignedInRequest, pk: int | None = None, organisation_pk: int | None = None
) -> HttpResponse:
    if pk:
        contract = get_object_or_404(Contract.objects.select_related("organisation"), pk=pk)
    else:
        contract = Contract(organisation=get_object_or_404(Organisation, pk=organisation_pk))
    form = forms.ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and _save(request, form, _("Contract saved.")):
        return redirect("manage_contract", pk=form.instance.pk)
    context = {
        "form": form,
        "contract": contract,
        "organisation": contract.organisation,
        "overrides": contract.holiday_overrides.all() if contract.pk else [],
        "holiday_form": forms.HolidayOverrideForm(),
        "targets": _targets(contract) if contract.pk else [],
        "nav": "manage",
    }
    return render(request, "web/manage/contract.html", context)


def _targets(contract: Contract) -> list[dict]:
    rows = []
    for priority in Priority.values:
        rows.append(
            {
                "priority": priority,
                "target": contract.terms(priority).target,
                "override": (contract.target_overrides or {}).get(priority),
                "hours": contract.hours_for(priority),
            }
        )
    return rows


@vendor_admin_required
@require_POST
def holiday_add(request: SignedInRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    form = forms.HolidayOverrideForm(request.POST, instance=HolidayOverride(contract=contract))
    if not _save(request, form, _("Holiday override saved.")):
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("Holiday override not saved: %(errors)s") % {"errors": errors})
    return redirect("manage_contract", pk=contract.pk)


@vendor_admin_required
@require_POST
def holiday_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(HolidayOverride, pk=pk)
    contract_pk = override.contract_id
    override.delete()
    messages.success(request, _("Holiday override removed."))
    return redirect("manage_contract", pk=contract_pk)


@vendor_admin_required
def calendar_preview(request: SignedInRequest, pk: int) -> HttpResponse:
    """The open hours of the contract's calendar for one week, from Calendar.open_intervals."""
    contract = get_object_or_404(Contract.objects.select_related("organisation"), pk=pk)
    today = timezone.now().astimezone(contract.zone).date()
    form = forms.CalendarPreviewForm(request.GET or {"week": today.isoformat(), "priority": "P1"})
    days = []
    calendar = None
    if form.is_valid():
        priority = form.cleaned_data["priority"]
        calendar = contract.calendar(priority)
        zone = contract.zone
        monday = form.monday
        start = dt.datetime.combine(monday, dt.time(0), zone)
        end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), zone)
        by_day: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {
            monday + dt.timedelta(days=i): [] for i in range(7)
        }
        for a, b in calendar.open_intervals(start, end):
            a, b = a.astimezone(zone), b.astimezone(zone)
            # An interval crossing midnight is shown on each local day it covers.
            day = a.date()
            while day <= (b - dt.timedelta(microseconds=1)).date() and day in by_day:
                day_start = max(a, dt.datetime.combine(day, dt.time(0), zone))
                day_end = min(b, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone))
                by_day[day].append((day_start, day_end))
                day += dt.timedelta(days=1)
        holidays = (
            calendar.holidays.between(monday, monday + dt.timedelta(days=6))
            if not calendar.holidays.empty
            else {}
        )
        own = [o.date for o in contract.holiday_overrides.all() if o.closed]
        holidays = sla.localised_names(
            contract.holiday_country, contract.holiday_subdivision or None, holidays, get_language(), own
        )
        # Wall-clock labels in the contract's zone ("24:00" for an interval that runs to midnight).
        days = [
            {
                "date": day,
                "intervals": [
                    (a.strftime("%H:%M"), "24:00" if b.date() > day else b.strftime("%H:%M"))
                    for a, b in intervals
                ],
                "holiday": holidays.get(day),
            }
            for day, intervals in by_day.items()
        ]
    context = {
        "contract": contract,
        "form": form,
        "days": days,
        "calendar": calendar,
        "hours": contract.hours_for(form.cleaned_data["priority"]) if form.is_valid() else "",
        "nav": "manage",
    }
    return render(request, "web/manage/calendar.html", context)


@vendor_admin_required
def people(request: SignedInRequest) -> HttpResponse:
    persons = Person.objects.select_related("organisation").order_by("role", "username")
    return render(request, "web/manage/people.html", {"people": persons, "nav": "manage"})


@vendor_admin_required
def person_edit(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk) if pk else None
    form = forms.PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and _save(request, form, _("Person saved.")):
        return redirect("manage_people")
    return render(
        request,
        "web/manage/person.html",
        {"form": form, "person": person, "nav": "manage"},
    )
