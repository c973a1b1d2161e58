"""Outgoing webhooks: ticket events POSTed as JSON to the vendor's endpoints, signed with HMAC-SHA256.

Each event becomes one outbox row per endpoint that wants it, in the write's transaction; the relay
POSTs it. Receivers check the signature and drop repeats by `X-Guichet-Delivery` (delivery is at
least once). The signature is `sha256=` + hex HMAC-SHA256(secret, "<timestamp>.<body>"), the
timestamp (Unix seconds) in `X-Guichet-Timestamp`, so a receiver can refuse old replays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db.models import signals

from guichet import events
from guichet.outbox import relay
from guichet.outbox.models import Delivery, WebhookEndpoint
from guichet.outbox.services import enqueue
from guichet.tickets import events as ticket_events

KIND = "webhook"

# The event names receivers see.
EVENT_NAMES: dict[type[ticket_events.TicketEvent], str] = {
    ticket_events.TicketOpened: "ticket.opened",
    ticket_events.MessagePublished: "ticket.message_published",
    ticket_events.CustomerReplied: "ticket.customer_replied",
    ticket_events.FirstResponseGiven: "ticket.first_response",
    ticket_events.PriorityChanged: "ticket.priority_changed",
    ticket_events.StatusChanged: "ticket.status_changed",
    ticket_events.TicketAssigned: "ticket.assigned",
    ticket_events.SlaWarned: "sla.warned",
    ticket_events.SlaBreached: "sla.breached",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def event_data(event: ticket_events.TicketEvent) -> dict[str, Any]:
    return {f.name: _jsonable(getattr(event, f.name)) for f in dataclasses.fields(event)}


def fingerprint(name: str, data: dict[str, Any]) -> str:
    """The same fact always gives the same key (a replayed event is not sent twice)."""
    canonical = json.dumps({"event": name, "data": data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


# The active endpoints, read at most every ENDPOINTS_TTL seconds per process: every ticket write
# publishes events, and a query each time for a list that rarely changes would cost every write.
# An edit in this process is seen at once; other processes see it within the TTL.
ENDPOINTS_TTL = 30.0
_endpoints: tuple[float, list[WebhookEndpoint]] | None = None


def active_endpoints() -> list[WebhookEndpoint]:
    global _endpoints
    now = time.monotonic()
    if _endpoints is None or now - _endpoints[0] > ENDPOINTS_TTL:
        _endpoints = (now, list(WebhookEndpoint.objects.filter(active=True)))
    return _endpoints[1]


def forget_endpoints(**kwargs: Any) -> None:
    global _endpoints
    _endpoints = None


def on_ticket_event(event: ticket_events.TicketEvent) -> None:
    """In the write's transaction: one outbox row per endpoint that wants this event."""
    name = EVENT_NAMES.get(type(event))
    if name is None:
        return
    endpoints = [e for e in active_endpoints() if e.wants(name)]
    if not endpoints:
        return
    data = event_data(event)
    print_ = fingerprint(name, data)
    for endpoint in endpoints:
        enqueue(
            KIND,
            f"webhook|{endpoint.pk}|{print_}",
            {"endpoint_id": endpoint.pk, "event": name, "data": data},
            ticket_id=event.ticket_id,
        )


def connect() -> None:
    for event_type in EVENT_NAMES:
        events.subscribe(event_type, on_ticket_event)
    signals.post_save.connect(forget_endpoints, sender=WebhookEndpoint, dispatch_uid="guichet.webhooks")
    signals.post_delete.connect(forget_endpoints, sender=WebhookEndpoint, dispatch_uid="guichet.webhooks")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and the tests): constant-time comparison of the signature."""
    try:
        expected = sign(secret, int(timestamp), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)


def post_signed(url: str, secret: str, body: bytes, *, delivery_id: str, event: str) -> int:
    """POST `body` with its signature; returns the HTTP status. Raises on a network error or a
    status outside 2xx (`relay.Permanent` for a client error that a retry cannot fix)."""
    if not url.startswith(("https://", "http://")):
        raise relay.Permanent(f"not an HTTP(S) URL: {url!r}")
    timestamp = int(time.time())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "guichet-webhook/1",
            "X-Guichet-Event": event,
            "X-Guichet-Delivery": delivery_id,
            "X-Guichet-Timestamp": str(timestamp),
            "X-Guichet-Signature": sign(secret, timestamp, body),
        },
    )
    timeout = float(getattr(settings, "GUICHET_WEBHOOK_TIMEOUT", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        # 408, 425 and 429 are worth retrying; other client errors are the configuration's.
        if 400 <= exc.code < 500 and exc.code not in (408, 425, 429):
            raise relay.Permanent(f"HTTP {exc.code} from {url}") from exc
        raise


@relay.handler(KIND)
def deliver_webhook(delivery: Delivery) -> None:
    payload = delivery.payload
    endpoint = WebhookEndpoint.objects.filter(pk=payload.get("endpoint_id")).first()
    if endpoint is None or not endpoint.active:
        raise relay.Permanent("the webhook endpoint was removed or deactivated")
    delivery_id = hashlib.sha256(delivery.key.encode()).hexdigest()[:32]
    body = json.dumps(
        {
            "id": delivery_id,
            "event": payload["event"],
            "created_at": delivery.created_at.astimezone(dt.UTC).isoformat(),
            "data": payload["data"],
        },
        sort_keys=True,
    ).encode()
    post_signed(endpoint.url, endpoint.secret, body, delivery_id=delivery_id, event=payload["event"])
