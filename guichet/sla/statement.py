"""Monthly SLA statements: what a ticket's entry says, derived from its ledger events alone; the
attainment table; the canonical document and its Ed25519 signature.

Pure (no Django): the desk builds statements with these functions and a customer's verifier
(:mod:`guichet.sla.verify`) recomputes every figure with the same ones, from the events printed in
the statement. docs/statements.md describes the document (``guichet-statement``, version 1).

A ticket's entry is ``{"ticket", "subject", **derive(events, as_of), "events": [...]}``; each event
is shown as :func:`event_entry` gives it (its chain record, the values a customer sees, the
digests of every value, the hash).
"""

from __future__ import annotations

import base64
import calendar as _calendar
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from guichet.sla.chain import EventRecord, canonical_json, instant
from guichet.sla.ledger import Event, EventKind, LedgerState, parse_instant, replay_steps
from guichet.sla.outcome import MISSED, Outcome, attainment_percent, outcome
from guichet.sla.terms import CalendarSpec, Terms

__all__ = [
    "DERIVED_FIELDS",
    "HIDDEN_KEYS",
    "SCHEMA",
    "VERSION",
    "attainment",
    "calendars",
    "core_events",
    "derive",
    "event_entry",
    "key_id",
    "month_period",
    "public_key_text",
    "record_of",
    "sign",
    "signed_bytes",
]

SCHEMA = "guichet-statement"
VERSION = 1
# Ledger data a statement keeps as digests only: internal ids, the policy's name and the contact
# attempts (agents' notes). The fold never reads them; the digests keep the chain checkable.
HIDDEN_KEYS = frozenset({"contract_id", "policy", "attempts", "message_id"})
# The fields of a ticket's entry that `derive` computes, in the order a verifier checks them.
DERIVED_FIELDS = (
    "submitted_at",
    "plan",
    "original_priority",
    "priority",
    "terms",
    "due_at",
    "first_response_at",
    "outcome",
    "missed_target",
    "waived_targets",
    "downgrades",
    "business_seconds_used",
)


# --- Events -----------------------------------------------------------------------------------------


def event_entry(record: EventRecord, hash_: str) -> dict[str, Any]:
    """One ledger event as a statement prints it."""
    return {
        "seq": record.seq,
        "kind": record.kind,
        "at": record.at,
        "recorded_at": record.recorded_at,
        "due_at": record.due_at,
        "reason": record.reason,
        "data": {k: v for k, v in record.data.items() if k not in HIDDEN_KEYS},
        "digests": record.data_digests(),
        "prev": record.prev,
        "hash": hash_,
    }


def record_of(ticket: int, entry: Mapping[str, Any], *, digests_checked: bool = False) -> EventRecord:
    """The chain record of a printed event (hidden values enter by their digests). With
    ``digests_checked`` (the shown values already match their digests) every value enters by its
    printed digest, which is the same and saves hashing the values again."""
    data = {} if digests_checked else dict(entry["data"])
    hidden = {k: str(v) for k, v in dict(entry["digests"]).items() if k not in data}
    return EventRecord(
        ticket,
        int(entry["seq"]),
        str(entry["kind"]),
        str(entry["at"]),
        str(entry["recorded_at"]),
        entry["due_at"],
        str(entry["reason"]),
        data,
        str(entry["prev"]),
        hidden,
    )


def core_events(entries: Iterable[Mapping[str, Any]]) -> list[Event]:
    return [Event.from_record(str(e["kind"]), parse_instant(str(e["at"])), e["data"]) for e in entries]


# --- A ticket's figures -----------------------------------------------------------------------------


def _seconds(value: timedelta) -> int:
    return value // timedelta(seconds=1)


def _breach(b: Any) -> dict[str, Any]:
    return {"priority": b.priority.value, "target_seconds": _seconds(b.target), "due_at": instant(b.at)}


def derive(entries: Sequence[Mapping[str, Any]], as_of: datetime) -> dict[str, Any]:
    """Every figure of a ticket's entry, from its printed events and the statement's instant."""
    events = core_events(entries)
    states = list(replay_steps(events))
    return derive_from(entries, events, states, as_of)


def derive_from(
    entries: Sequence[Mapping[str, Any]],
    events: Sequence[Event],
    states: Sequence[LedgerState],
    as_of: datetime,
) -> dict[str, Any]:
    state = states[-1] if states else LedgerState()
    first = events[0] if events else None
    downgrades = []
    missed_before = False
    for entry, event in zip(entries, events, strict=True):
        if event.kind is EventKind.BREACHED:
            missed_before = True
        if event.kind is EventKind.DOWNGRADED:
            downgrades.append(
                {
                    "at": instant(event.at),
                    "from": event.facts.get("from"),
                    "to": event.priority.value if event.priority else None,
                    "reason": entry["reason"],
                    "after_miss": missed_before,
                    "keeps_miss": event.terms.downgrade_keeps_miss if event.terms else None,
                }
            )
    used = None
    if state.clock is not None:
        used = _seconds(state.clock.binding.elapsed(state.first_response_at or as_of))
    terms: Terms | None = state.terms
    return {
        "submitted_at": instant(state.submitted_at),
        "plan": state.plan.value if state.plan else None,
        "original_priority": first.priority.value if first is not None and first.priority else None,
        "priority": state.priority.value if state.priority else None,
        "terms": terms.to_dict() if terms is not None else None,
        "due_at": instant(state.due_at),
        "first_response_at": instant(state.first_response_at),
        "outcome": outcome(state, as_of).value,
        "missed_target": _breach(state.breach) if state.breach else None,
        "waived_targets": [_breach(b) for b in state.waived],
        "downgrades": downgrades,
        "business_seconds_used": used,
    }


# --- The month and its calendars --------------------------------------------------------------------


def month_period(month: str, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants of a local month ``YYYY-MM`` in ``zone``: [first day 00:00, next month's)."""
    year, mon = (int(x) for x in month.split("-"))
    if not (1 <= mon <= 12 and len(month) == 7):
        raise ValueError(f"not a month: {month!r} (YYYY-MM)")
    tz = ZoneInfo(zone)
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def calendars(tickets: Iterable[Mapping[str, Any]], month: str) -> list[dict[str, Any]]:
    """Every calendar the month's tickets ran on (as frozen in their events), with the holidays it
    closes in the month and the next (when the due instants fall)."""
    specs: dict[bytes, dict[str, Any]] = {}
    for ticket in tickets:
        for entry in ticket["events"]:
            cal = entry["data"].get("calendar")
            if isinstance(cal, dict):
                specs.setdefault(canonical_json(cal), cal)
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    nxt_year, nxt = year + mon // 12, mon % 12 + 1
    last = date(nxt_year, nxt, _calendar.monthrange(nxt_year, nxt)[1])
    out = []
    for key in sorted(specs):
        spec = specs[key]
        source = CalendarSpec.from_dict(spec).calendar().holidays
        days = {} if source.empty else source.between(first, last)
        out.append({"spec": spec, "holidays": [[d.isoformat(), name] for d, name in sorted(days.items())]})
    return out


# --- Attainment -------------------------------------------------------------------------------------


def attainment(tickets: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts per plan and priority (the final ones, as judged), attainment = met ÷ (met + missed)."""
    rows: dict[tuple[str, str], dict[str, int]] = {}
    no_sla = 0
    for ticket in tickets:
        result = Outcome(ticket["outcome"])
        if result is Outcome.NO_SLA:
            no_sla += 1
            continue
        row = rows.setdefault(
            (str(ticket["plan"]), str(ticket["priority"])),
            {"tickets": 0, "met": 0, "missed": 0, "open": 0, "closed_unanswered": 0},
        )
        row["tickets"] += 1
        if result is Outcome.MET:
            row["met"] += 1
        elif result in MISSED:
            row["missed"] += 1
        elif result is Outcome.CLOSED_UNANSWERED:
            row["closed_unanswered"] += 1
        else:
            row["open"] += 1
    table = [
        {
            "plan": plan,
            "priority": priority,
            **counts,
            "attainment": attainment_percent(counts["met"], counts["missed"]),
        }
        for (plan, priority), counts in sorted(rows.items())
    ]
    total = {
        k: sum(r[k] for r in rows.values()) for k in ("tickets", "met", "missed", "open", "closed_unanswered")
    }
    return {
        "rows": table,
        "total": {**total, "attainment": attainment_percent(total["met"], total["missed"])},
        "no_sla": no_sla,
    }


# --- Signature --------------------------------------------------------------------------------------


def signed_bytes(document: Mapping[str, Any]) -> bytes:
    """What the signature covers: the canonical JSON of the document without its signature."""
    return canonical_json({k: v for k, v in document.items() if k != "signature"})


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64, as statements and the well-known URL print it."""
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def sign(document: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The document with its ``signature`` (Ed25519 over :func:`signed_bytes`)."""
    public = private_key.public_key()
    value = private_key.sign(signed_bytes(document))
    document["signature"] = {
        "algorithm": "Ed25519",
        "key_id": key_id(public),
        "public_key": public_key_text(public),
        "value": base64.b64encode(value).decode("ascii"),
    }
    return document
