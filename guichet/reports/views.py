"""Attainment report page, per-ticket statements and streaming exports.

Who sees what is `guichet.tickets.selectors`' rule: staff see every organisation, a customer only
their own. Asking for another organisation or ticket answers 404, the same as for one that does not
exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from guichet.accounts.http import SignedInRequest
from guichet.accounts.models import Organisation
from guichet.reports.attainment import attainment as attainment_report
from guichet.reports.exports import csv_lines, json_chunks, ticket_outcomes
from guichet.reports.forms import ReportForm
from guichet.reports.parameters import NotVisible, ReportError
from guichet.reports.statements import SlaStatement, ticket_sla_statement
from guichet.reports.timings import MAX_TIMING_TICKETS
from guichet.tickets.models import Ticket
from guichet.tickets.selectors import get_ticket, visible_organisations


def _organisation_guard(request: SignedInRequest, form: ReportForm) -> None:
    """Someone offered no choice of organisation (a customer) who passes the id of one they may not
    see gets a 404, not a silently-filtered page. (Where there is a choice, the form checks it.)"""
    wanted = request.GET.get("organisation", "").strip()
    if not wanted or "organisation" in form.fields:
        return
    # Compared as text, so that a malformed id is a 404 as well.
    if wanted not in {str(pk) for pk in visible_organisations(request.user).values_list("pk", flat=True)}:
        raise Http404


def _form(request: SignedInRequest) -> ReportForm:
    data = request.GET if request.GET.get("from") or request.GET.get("to") else None
    form = ReportForm(ReportForm.defaults(request.user) if data is None else data, person=request.user)
    _organisation_guard(request, form)
    return form


def _organisation(request: SignedInRequest, form: ReportForm) -> Organisation | None:
    if "organisation" in form.fields:
        return form.cleaned_data.get("organisation")
    # Offered no choice (a customer): the report is of the one organisation they see.
    return visible_organisations(request.user).first()


@login_required
@require_GET
def attainment(request: SignedInRequest) -> HttpResponse:
    form = _form(request)
    report = None
    if form.is_valid():
        try:
            report = attainment_report(
                person=request.user,
                period=form.cleaned_data["period"],
                organisation=_organisation(request, form),
                by=form.cleaned_data["by"],
            )
        except NotVisible as exc:
            raise Http404 from exc
    query = request.GET.urlencode() if form.is_bound and form.data is request.GET else ""
    if form.is_valid() and not query:
        query = _query_from(form)
    return render(
        request,
        "reports/attainment.html",
        {
            "form": form,
            "report": report,
            "query": query,
            "nav": "reports",
            "max_timing": MAX_TIMING_TICKETS,
        },
        status=200 if form.is_valid() else 400,
    )


def _query_from(form: ReportForm) -> str:

    query = QueryDict(mutable=True)
    cleaned = form.cleaned_data
    query["from"] = cleaned["from"].isoformat()
    query["to"] = cleaned["to"].isoformat()
    query["zone"] = cleaned["zone"]
    query.setlist("by", list(cleaned["by"]))
    if cleaned.get("organisation"):
        query["organisation"] = str(cleaned["organisation"].pk)
    return query.urlencode()


def _export_rows(request: SignedInRequest) -> tuple[Iterator[dict[str, Any]], str] | HttpResponse:
    form = ReportForm(request.GET, person=request.user)
    _organisation_guard(request, form)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    period = form.cleaned_data["period"]
    try:
        rows = ticket_outcomes(
            person=request.user,
            period=period,
            organisation=_organisation(request, form),
            as_of=timezone.now(),
            outcome=request.GET.get("outcome", "").strip() or None,
        )
    except NotVisible as exc:
        raise Http404 from exc
    except ReportError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    name = f"sla-outcomes-{period.start.isoformat()}-{period.end.isoformat()}"
    return rows, name


@login_required
@require_GET
def export_csv(request: SignedInRequest) -> HttpResponse | StreamingHttpResponse:
    result = _export_rows(request)
    if isinstance(result, HttpResponse):
        return result
    rows, name = result
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
@require_GET
def export_json(request: SignedInRequest) -> HttpResponse | StreamingHttpResponse:
    result = _export_rows(request)
    if isinstance(result, HttpResponse):
        return result
    rows, name = result
    response = StreamingHttpResponse(json_chunks(rows), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


def _statement(request: SignedInRequest, pk: int) -> SlaStatement:
    try:
        ticket = get_ticket(request.user, pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc
    return ticket_sla_statement(ticket, person=request.user)


@login_required
@require_GET
def statement(request: SignedInRequest, pk: int) -> HttpResponse:
    return render(request, "reports/statement.html", {"statement": _statement(request, pk), "nav": "reports"})


@login_required
@require_GET
def statement_json(request: SignedInRequest, pk: int) -> HttpResponse:
    body = json.dumps(_statement(request, pk).as_dict(), ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/json")
