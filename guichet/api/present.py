"""Model instances to response dicts, hiding what the viewer may not see.

Plain dicts built by hand: the shape is explicit, agent-only fields are blanked in one place, and
no lazy relation is touched by accident (each one would be a query per row on a 50-row page).
"""

from __future__ import annotations

from guichet.accounts.models import Organisation, Person
from guichet.contracts.models import Contract
from guichet.tickets.models import ContactAttempt, Message, SlaEvent, Ticket


def person_ref(person: Person | None) -> dict | None:
    if person is None:
        return None
    return {"id": person.pk, "name": str(person), "role": person.role}


def me(person: Person) -> dict:
    return {
        "id": person.pk,
        "username": person.username,
        "name": str(person),
        "email": person.email,
        "role": person.role,
        "organisation_id": person.organisation_id,
        "language": person.language,
        "time_zone": person.time_zone,
    }


def organisation(org: Organisation) -> dict:
    return {"id": org.pk, "name": org.name, "email_domain": org.email_domain, "created_at": org.created_at}


def contract(c: Contract) -> dict:
    return {
        "id": c.pk,
        "organisation_id": c.organisation_id,
        "reference": c.reference,
        "plan": c.plan,
        "hours": c.hours,
        "region": c.region,
        "time_zone": c.time_zone,
        "holiday_country": c.holiday_country,
        "holiday_subdivision": c.holiday_subdivision,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "target_overrides": c.target_overrides or {},
        "pause_when_waiting": c.pause_when_waiting,
        "downgrade_keeps_miss": c.downgrade_keeps_miss,
        "closed_unanswered_missed": c.closed_unanswered_missed,
        "created_at": c.created_at,
    }


def ticket(t: Ticket, viewer: Person) -> dict:
    """Needs `organisation`, `requester` and `assignee` selected (see `TICKET_RELATED`)."""
    return {
        "id": t.pk,
        "organisation": {"id": t.organisation_id, "name": t.organisation.name},
        "contract_id": t.contract_id,
        "requester": person_ref(t.requester),
        "assignee": person_ref(t.assignee) if viewer.is_agent else None,
        "subject": t.subject,
        "channel": t.channel,
        "priority": t.priority,
        "status": t.status,
        "impact_confirmed": t.impact_confirmed,
        "contact_phone": t.contact_phone,
        "submitted_at": t.submitted_at,
        "updated_at": t.updated_at,
        "first_response_at": t.first_response_at,
        "solved_at": t.solved_at,
        "sla": {
            "state": t.sla_state,
            "plan": t.plan,
            "target_minutes": t.sla_target_minutes,
            "due_at": t.sla_due_at,
            "warn_at": t.sla_warn_at,
            "breached_at": t.sla_breached_at,
            # Set by selectors.with_held_response (the API's reads); a ticket just opened has none.
            "response_held_until": getattr(t, "response_held_until", None),
        },
    }


TICKET_RELATED = ("organisation", "requester", "assignee")

# Lists read plain rows: building four model instances per ticket costs more than the query.
_PERSON_VALUES = ("id", "username", "first_name", "last_name", "role")
TICKET_VALUES = (
    "id",
    "organisation_id",
    "organisation__name",
    "contract_id",
    *(f"requester__{f}" for f in _PERSON_VALUES),
    *(f"assignee__{f}" for f in _PERSON_VALUES),
    "subject",
    "channel",
    "priority",
    "status",
    "impact_confirmed",
    "contact_phone",
    "submitted_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "plan",
    "sla_state",
    "sla_target_minutes",
    "sla_due_at",
    "sla_warn_at",
    "sla_breached_at",
    "response_held_until",
)


def _person_ref_from(row: dict, prefix: str) -> dict | None:
    pk = row[f"{prefix}__id"]
    if pk is None:
        return None
    # Same text as Person.__str__: the full name, else the username.
    name = f"{row[f'{prefix}__first_name']} {row[f'{prefix}__last_name']}".strip()
    return {"id": pk, "name": name or row[f"{prefix}__username"], "role": row[f"{prefix}__role"]}


_TICKET_PLAIN = (
    "subject",
    "channel",
    "priority",
    "status",
    "impact_confirmed",
    "contact_phone",
    "submitted_at",
    "updated_at",
    "first_response_at",
    "solved_at",
)


def ticket_from_values(row: dict, viewer: Person) -> dict:
    """`ticket()` for a `.values(*TICKET_VALUES)` row."""
    return {
        "id": row["id"],
        "organisation": {"id": row["organisation_id"], "name": row["organisation__name"]},
        "contract_id": row["contract_id"],
        "requester": _person_ref_from(row, "requester"),
        "assignee": _person_ref_from(row, "assignee") if viewer.is_agent else None,
        **{
            k: row[k]
            for k in ("subject", "channel", "priority", "status", "impact_confirmed", "contact_phone")
        },
        **{k: row[k] for k in ("submitted_at", "updated_at", "first_response_at", "solved_at")},
        "sla": {
            "state": row["sla_state"],
            "plan": row["plan"],
            "target_minutes": row["sla_target_minutes"],
            "due_at": row["sla_due_at"],
            "warn_at": row["sla_warn_at"],
            "breached_at": row["sla_breached_at"],
            "response_held_until": row["response_held_until"],
        },
    }


def message(m: Message) -> dict:
    """Needs `author` selected and `attachments` prefetched."""
    return {
        "id": m.pk,
        "ticket_id": m.ticket_id,
        "kind": m.kind,
        "channel": m.channel,
        "author": person_ref(m.author),
        "body": m.body,
        "created_at": m.created_at,
        "deliver_at": m.deliver_at,
        "delivered_at": m.delivered_at,
        "caller": m.caller,
        "phone_number": m.phone_number,
        "duration_seconds": m.duration_seconds,
        "attachments": [
            {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in m.attachments.all()
        ],
    }


def contact_attempt(a: ContactAttempt) -> dict:
    return {
        "id": a.pk,
        "ticket_id": a.ticket_id,
        "agent": person_ref(a.agent),
        "at": a.at,
        "channel": a.channel,
        "note": a.note,
        "answered": a.answered,
    }


def sla_event(e: SlaEvent) -> dict:
    return {
        "seq": e.seq,
        "kind": e.kind,
        "at": e.at,
        "recorded_at": e.recorded_at,
        "actor": person_ref(e.actor),
        "reason": e.reason,
        "due_at": e.due_at,
        "data": e.data or {},
    }
