"""The desk's health (guichet/ops/urls.py): a public probe for load balancers, and the operators'
page (the outbox backlog, the scheduler's heartbeat, failed deliveries with a retry button)."""

from __future__ import annotations

from django.contrib import messages
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from guichet.ops.tasks import last_heartbeat
from guichet.outbox import relay
from guichet.outbox.models import Delivery, DeliveryStatus
from guichet.outbox.services import retry
from guichet.web.views.session import SignedInRequest, vendor_admin_required


@require_GET
def probe(request: HttpRequest) -> JsonResponse:
    """200 when this process reaches the database; 503 otherwise. Says nothing else to strangers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@vendor_admin_required
def page(request: SignedInRequest) -> HttpResponse:
    backlog = relay.backlog()
    try:
        heartbeat = last_heartbeat()
    except Exception:  # the task queue is down: say so instead of failing the page
        heartbeat = None
    failed = (
        Delivery.objects.filter(status=DeliveryStatus.FAILED).select_related("ticket").order_by("-created_at")
    )
    context = {
        "backlog": backlog,
        "heartbeat": heartbeat,
        "failed": failed[:100],
        "nav": "manage",
    }
    return render(request, "ops/health.html", context)


@vendor_admin_required
@require_POST
def retry_failed(request: SignedInRequest) -> HttpResponse:
    keys = request.POST.getlist("key")
    rows = Delivery.objects.filter(status=DeliveryStatus.FAILED)
    if keys:
        rows = rows.filter(key__in=keys)
    n = retry(list(rows))
    messages.success(
        request,
        ngettext("%(n)d delivery put back in the queue.", "%(n)d deliveries put back in the queue.", n)
        % {"n": n},
    )
    if not n:
        messages.info(request, _("Nothing to retry."))
    return redirect("manage_health")
