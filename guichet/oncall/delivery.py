"""The outbox handlers of on-call: a page by one contact method (`oncall.page`), an ordinary notice
(`oncall.notice`, held by quiet hours) and a test message (`oncall.test`); the one-click
acknowledgement links they carry; every attempt written to the ticket's paging history.

Every message is in the recipient's language, every instant in their time zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Person
from guichet.mail.notifications import local_time
from guichet.oncall import channels
from guichet.oncall.escalation import NOTICE, PAGE
from guichet.oncall.models import AckToken, ContactMethod, Escalation, EscalationState, PageKind, PageRecord
from guichet.outbox import relay
from guichet.outbox.models import Delivery

log = logging.getLogger(__name__)

TEST = "oncall.test"
ACK_SALT = "guichet.oncall.ack"


def base_url() -> str:
    return str(getattr(settings, "GUICHET_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def ack_hours() -> int:
    return int(getattr(settings, "GUICHET_ONCALL_ACK_HOURS", 24))


# --- Acknowledgement links ----------------------------------------------------------------------------


def ack_link(esc: Escalation, person_id: int) -> str:
    """A signed, single-use, expiring link that acknowledges ``esc`` as ``person_id`` in one click."""
    now = timezone.now()
    token = AckToken.objects.filter(
        escalation=esc, person_id=person_id, used_at__isnull=True, expires_at__gt=now
    ).first()
    if token is None:
        token = AckToken.objects.create(
            escalation=esc,
            person_id=person_id,
            nonce=secrets.token_urlsafe(24),
            expires_at=now + dt.timedelta(hours=ack_hours()),
        )
    signed = signing.dumps({"n": token.nonce}, salt=ACK_SALT, compress=False)
    return base_url() + reverse("oncall_ack", args=[signed])


class LinkError(Exception):
    """The link is forged, expired or already used (the message says which)."""


def use_ack_link(signed: str) -> tuple[Escalation, Person, bool]:
    """Acknowledge through a link: (escalation, person, whether this click acknowledged it)."""
    from guichet.oncall.escalation import acknowledge

    try:
        data = signing.loads(signed, salt=ACK_SALT, max_age=dt.timedelta(hours=ack_hours()))
    except signing.SignatureExpired as exc:
        raise LinkError(_("This acknowledgement link has expired.")) from exc
    except signing.BadSignature as exc:
        raise LinkError(_("This acknowledgement link is not valid.")) from exc
    now = timezone.now()
    with transaction.atomic():
        token = (
            AckToken.objects.select_related("escalation", "person")
            .filter(nonce=str(data.get("n", "")))
            .first()
        )
        if token is None:
            raise LinkError(_("This acknowledgement link is not valid."))
        if token.expires_at <= now:
            raise LinkError(_("This acknowledgement link has expired."))
        # Single use: the first click marks it, a second one changes nothing.
        if not AckToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now):
            raise LinkError(_("This acknowledgement link was already used."))
        done = acknowledge(token.escalation, token.person, via="link", now=now)
    return token.escalation, token.person, done


# --- What the messages say -------------------------------------------------------------------------------


def _language(person: Person) -> str:
    return person.language or settings.LANGUAGE_CODE


def page_message(
    esc: Escalation, person: Person, level: int, step: dict[str, Any] | None = None, ack_url: str = ""
) -> channels.Message:
    ticket = esc.ticket
    with translation.override(_language(person)):
        title = _("[%(priority)s] #%(id)s %(organisation)s: %(subject)s") % {
            "priority": ticket.priority,
            "id": ticket.pk,
            "organisation": ticket.organisation.name,
            "subject": ticket.subject,
        }
        lines = [
            _("You are paged (level %(level)s) for ticket #%(id)s, %(plan)s %(priority)s.")
            % {
                "level": level,
                "id": ticket.pk,
                "plan": ticket.get_plan_display(),
                "priority": ticket.priority,
            }
        ]
        if ticket.sla_due_at is not None:
            lines.append(_("First response due %(due)s.") % {"due": local_time(ticket.sla_due_at, person)})
        ack = ack_url or ack_link(esc, person.pk)
        lines.append(_("Acknowledge in one click: %(url)s") % {"url": ack})
    url = base_url() + reverse("desk_ticket", args=[ticket.pk])
    return channels.Message(
        title=title,
        body="\n".join(lines),
        url=url,
        ack_url=ack,
        data={
            "ticket": ticket.pk,
            "escalation": esc.pk,
            "level": level,
            "priority": ticket.priority,
            # The step and its scheduled instant: receivers (and the benchmark) can tell how late.
            "step": (step or {}).get("step"),
            "step_at": (step or {}).get("at"),
        },
    )


def notice_message(esc: Escalation, person: Person, by: Person) -> channels.Message:
    with translation.override(_language(person)):
        title = _("#%(id)s acknowledged by %(name)s") % {"id": esc.ticket_id, "name": by}
        body = _("%(name)s has ticket #%(id)s since %(when)s: you no longer need to act.") % {
            "name": by,
            "id": esc.ticket_id,
            "when": local_time(esc.acknowledged_at or timezone.now(), person),
        }
    return channels.Message(
        title=title,
        body=body,
        url=base_url() + reverse("desk_ticket", args=[esc.ticket_id]),
        event="oncall.notice",
    )


def notice_due(person: Person, now: dt.datetime) -> dt.datetime:
    """Ordinary notifications wait for the end of the person's quiet hours (pages never do)."""
    profile = getattr(person, "oncall", None)
    quiet = profile.quiet_hours() if profile is not None else None
    if quiet is None or not quiet.is_open(now):
        return now
    spans = quiet.open_intervals(now, now + dt.timedelta(days=2))
    return spans[0][1].astimezone(dt.UTC) if spans else now


# --- Handlers ---------------------------------------------------------------------------------------------


def _history(
    delivery: Delivery,
    kind: str,
    esc: Escalation,
    person_id: int,
    method: ContactMethod | None,
    level: int | None,
    detail: dict[str, Any],
    suffix: str,
) -> None:
    try:
        with transaction.atomic():
            PageRecord.objects.create(
                ticket_id=esc.ticket_id,
                escalation=esc,
                kind=kind,
                person_id=person_id,
                method=method,
                level=level,
                detail=detail,
                key=f"{suffix}|{delivery.key}"[:200],
            )
    except IntegrityError:
        pass  # recorded by an earlier attempt that died before the relay marked the row


def page_failed(delivery: Delivery, exc: Exception) -> None:
    """Every failed attempt is in the ticket's paging history (the outbox retries it)."""
    p = delivery.payload
    esc = Escalation.objects.filter(pk=p["escalation"]).first()
    if esc is None:
        return
    method = ContactMethod.objects.filter(pk=p["method"]).first()
    detail = {"error": f"{type(exc).__name__}: {exc}"[:500], "attempt": delivery.attempts}
    _history(
        delivery,
        PageKind.FAILED,
        esc,
        p["person"],
        method,
        int(p.get("level") or 0) or None,
        detail,
        f"fail{delivery.attempts}",
    )


@relay.handler(PAGE, on_error=page_failed)
def deliver_page(delivery: Delivery) -> None:
    p = delivery.payload
    esc = Escalation.objects.select_related("ticket__organisation").filter(pk=p["escalation"]).first()
    if esc is None:
        raise relay.Permanent("the escalation no longer exists")
    person = Person.objects.filter(pk=p["person"]).first()
    method = ContactMethod.objects.filter(pk=p["method"]).first()
    level = int(p.get("level") or 0) or None
    if person is None or method is None or not method.active:
        _history(
            delivery,
            PageKind.SKIPPED,
            esc,
            p["person"],
            None,
            level,
            {"reason": "contact method removed"},
            "skip",
        )
        return
    if esc.state in (EscalationState.ACKNOWLEDGED, EscalationState.STOPPED):
        # Acknowledged before this method's turn (or while it was being retried): nothing to say.
        _history(delivery, PageKind.SKIPPED, esc, person.pk, method, level, {"reason": esc.state}, "skip")
        return
    what = channels.send(
        method, page_message(esc, person, level or 0, p), key=delivery.key, ticket=esc.ticket, escalation=esc
    )
    log.info("Paged %s for ticket #%s (level %s): %s", person, esc.ticket_id, level, what)
    _history(
        delivery,
        PageKind.SENT,
        esc,
        person.pk,
        method,
        level,
        {"via": what, "attempt": delivery.attempts, "step": p.get("step")},
        "sent",
    )


@relay.handler(NOTICE)
def deliver_notice(delivery: Delivery) -> None:
    p = delivery.payload
    esc = Escalation.objects.filter(pk=p["escalation"]).first()
    method = ContactMethod.objects.select_related("person").filter(pk=p["method"]).first()
    by = Person.objects.filter(pk=p["by"]).first()
    if esc is None or method is None or by is None or not method.active:
        return
    channels.send(
        method, notice_message(esc, method.person, by), key=delivery.key, ticket=esc.ticket, escalation=None
    )
    _history(
        delivery, PageKind.NOTICE, esc, method.person_id, method, None, {"about": "acknowledged"}, "notice"
    )


@relay.handler(TEST)
def deliver_test(delivery: Delivery) -> None:
    method = ContactMethod.objects.select_related("person").filter(pk=delivery.payload["method"]).first()
    if method is None:
        raise relay.Permanent("the contact method was removed")
    person = method.person
    with translation.override(_language(person)):
        message = channels.Message(
            title=_("guichet: test of your contact method"),
            body=_("This is a test sent %(when)s. Pages will reach you here.")
            % {"when": local_time(timezone.now(), person)},
            event="oncall.test",
        )
    try:
        result = channels.send(method, message, key=delivery.key)
    except Exception as exc:
        ContactMethod.objects.filter(pk=method.pk).update(
            last_test_at=timezone.now(), last_test_result=f"{type(exc).__name__}: {exc}"[:300]
        )
        # A test is for now: tell the person at once, do not retry for an hour.
        raise relay.Permanent(str(exc)) from exc
    ContactMethod.objects.filter(pk=method.pk).update(
        last_test_at=timezone.now(), last_test_result=f"OK: {result}"[:300]
    )


def send_test(method: ContactMethod) -> str:
    """The "send a test" button: one outbox row, delivered by the workers."""
    from guichet.outbox.services import enqueue

    return enqueue(TEST, f"{TEST}|{method.pk}|{secrets.token_hex(6)}", {"method": method.pk})


def deliver_now(keys: list[str]) -> int:
    """Deliver these outbox rows at once (the timer poll, the step tasks): one claim and one mark
    for all, pages sent in parallel by the batch handler below. Returns how many were delivered."""
    delivered = 0
    for i in range(0, len(keys), 1000):
        delivered += relay.deliver_many(keys[i : i + 1000])["delivered"]
    return delivered


def ack_links(pairs: set[tuple[Escalation, int]]) -> dict[tuple[int, int], str]:
    """`ack_link` for many (escalation, person) pairs in a few queries."""
    now = timezone.now()
    esc_ids = {e.pk for e, _p in pairs}
    found: dict[tuple[int, int], AckToken] = {}
    for token in AckToken.objects.filter(escalation_id__in=esc_ids, used_at__isnull=True, expires_at__gt=now):
        found.setdefault((token.escalation_id, token.person_id), token)
    new = [
        AckToken(
            escalation=e,
            person_id=p,
            nonce=secrets.token_urlsafe(24),
            expires_at=now + dt.timedelta(hours=ack_hours()),
        )
        for e, p in pairs
        if (e.pk, p) not in found
    ]
    AckToken.objects.bulk_create(new)
    for token in new:
        found[(token.escalation_id, token.person_id)] = token
    prefix = base_url()
    return {
        pair: prefix
        + reverse("oncall_ack", args=[signing.dumps({"n": t.nonce}, salt=ACK_SALT, compress=False)])
        for pair, t in found.items()
    }


@relay.batch_handler(PAGE)
def deliver_pages(rows: list[Delivery]) -> dict[str, Exception | None]:
    """Many pages at once (a storm of P1s escalating together): read what they need in a few
    queries, send in parallel (receivers are slow, not the CPU), write their history at once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    results: dict[str, Exception | None] = {}
    escs = Escalation.objects.select_related("ticket__organisation").in_bulk(
        {r.payload["escalation"] for r in rows}
    )
    people = Person.objects.in_bulk({r.payload["person"] for r in rows})
    methods = ContactMethod.objects.in_bulk({r.payload["method"] for r in rows})
    records: list[PageRecord] = []
    todo: list[tuple[Delivery, ContactMethod, Escalation, Person, int | None]] = []
    for row in rows:
        p = row.payload
        esc, person, method = escs.get(p["escalation"]), people.get(p["person"]), methods.get(p["method"])
        level = int(p.get("level") or 0) or None
        if esc is None:
            results[row.key] = relay.Permanent("the escalation no longer exists")
            continue
        results[row.key] = None
        if person is None or method is None or not method.active:
            reason = "contact method removed"
        elif esc.state in (EscalationState.ACKNOWLEDGED, EscalationState.STOPPED):
            reason = esc.state
        else:
            todo.append((row, method, esc, person, level))
            continue
        records.append(
            PageRecord(
                ticket_id=esc.ticket_id,
                escalation=esc,
                kind=PageKind.SKIPPED,
                person_id=p["person"],
                method=method,
                level=level,
                detail={"reason": reason},
                key=f"skip|{row.key}"[:200],
            )
        )
    links = ack_links({(esc, person.pk) for _r, _m, esc, person, _l in todo})

    def send(
        job: tuple[Delivery, ContactMethod, Escalation, Person, int | None],
    ) -> tuple[str, str, Exception | None]:
        row, method, esc, person, level = job
        try:
            message = page_message(esc, person, level or 0, row.payload, ack_url=links[(esc.pk, person.pk)])
            return (
                row.key,
                channels.send(method, message, key=row.key, ticket=esc.ticket, escalation=esc),
                None,
            )
        except Exception as exc:
            return row.key, "", exc
        finally:
            if threaded:
                connections.close_all()  # this thread's own connection, if a channel used one

    # In a test's transaction other threads would not see the rows: send from this thread then.
    threaded = len(todo) > 1 and not connection.in_atomic_block
    if threaded:
        with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
            outcomes = list(pool.map(send, todo))
    else:
        outcomes = [send(job) for job in todo]
    by_key = {row.key: (row, method, esc, level) for row, method, esc, _p, level in todo}
    for key, what, error in outcomes:
        row, method, esc, level = by_key[key]
        results[key] = error
        if error is None:
            log.info("Paged %s for ticket #%s (level %s): %s", method.person_id, esc.ticket_id, level, what)
            records.append(
                PageRecord(
                    ticket_id=esc.ticket_id,
                    escalation=esc,
                    kind=PageKind.SENT,
                    person_id=row.payload["person"],
                    method=method,
                    level=level,
                    detail={"via": what, "attempt": row.attempts, "step": row.payload.get("step")},
                    key=f"sent|{row.key}"[:200],
                )
            )
    PageRecord.objects.bulk_create(records, ignore_conflicts=True, batch_size=500)
    return results


def register() -> None:
    """The handlers register at import (AppConfig.ready imports this module)."""
