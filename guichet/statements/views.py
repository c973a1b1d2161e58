"""Statements in the portal: the list, one statement (page, JSON, PDF), and the public key at the
desk's well-known URL.

Who sees which statements is the tickets selectors' rule (`visible_organisations`): a customer
their organisation's, staff every organisation's; another organisation's statement answers 404,
like one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import require_GET

from guichet.accounts.http import SignedInRequest
from guichet.statements import keys
from guichet.statements import render as rendering
from guichet.statements.models import Statement
from guichet.tickets.selectors import visible_organisations

PAGE_SIZE = 100  # staff see every organisation's: 10,000 a month


def _visible(request: SignedInRequest) -> QuerySet[Statement]:
    return Statement.objects.filter(organisation__in=visible_organisations(request.user)).select_related(
        "organisation"
    )


@login_required
@require_GET
def statement_list(request: SignedInRequest) -> HttpResponse:
    statements = _visible(request).defer("document").order_by("-month", "organisation__name", "pk")
    month = request.GET.get("month", "").strip()
    if month:
        statements = statements.filter(month=month)
    page = Paginator(statements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "statements/list.html",
        {"page": page, "statements": page.object_list, "month": month, "nav": "statements"},
    )


@login_required
@require_GET
def statement_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_visible(request), pk=pk)
    # The statement speaks the customer's language; the page around it the viewer's.
    with translation.override(statement.language):
        body = rendering.context(statement.data)
        section = render_to_string("statements/_statement.html", body)
    return render(
        request, "statements/detail.html", {"statement": statement, "section": section, "nav": "statements"}
    )


@login_required
@require_GET
def statement_json(request: SignedInRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_visible(request), pk=pk)
    response = HttpResponse(statement.document, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-statement-{statement.month}.json"'
    return response


@login_required
@require_GET
def statement_pdf(request: SignedInRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_visible(request), pk=pk)
    response = HttpResponse(rendering.pdf_bytes(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sla-statement-{statement.month}.pdf"'
    return response


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The vendor's statement key, for anyone checking a statement (no sign-in)."""
    response = JsonResponse(keys.public_info(), json_dumps_params={"indent": 2})
    response["Cache-Control"] = "public, max-age=3600"
    return response
