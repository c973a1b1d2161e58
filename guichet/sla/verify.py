"""Check a monthly SLA statement with no access to the vendor's database.

``python -m guichet.sla verify STATEMENT.json [--public-key KEY]`` (or ``guichet verify``) runs
:func:`verify`: it exits 0 when the statement holds, else 1 and names the first inconsistency.
In order, for each ticket: every printed value matches its digest, every event's due instant is
the replay of the events up to it, the hash chain holds (``prev`` and ``hash`` of every event),
every figure of the ticket (due instant, first response, outcome, missed target, terms, business
time used…) is what the SLA core recomputes from the events; then the calendars' holidays, the
attainment table, and last the Ed25519 signature over the whole document (against the key given,
or the key printed in the statement, whose fingerprint to compare with the one the vendor
publishes).

Pure: it needs ``guichet.sla`` (and the ``cryptography`` and ``holidays`` packages) only.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guichet.sla.chain import canonical_json, digest, instant
from guichet.sla.errors import SlaError
from guichet.sla.ledger import parse_instant, replay_steps
from guichet.sla.statement import (
    DERIVED_FIELDS,
    SCHEMA,
    VERSION,
    attainment,
    calendars,
    core_events,
    derive_from,
    key_id,
    month_period,
    record_of,
    signed_bytes,
)

__all__ = ["Problem", "load_public_key", "verify"]


@dataclass(frozen=True)
class Problem:
    """The first inconsistency found: where (a ticket and event, or a section) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class _Found(Exception):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.problem = Problem(where, what)


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key as the desk publishes it: base64 of the raw 32 bytes, a PEM block, or the JSON
    the well-known URL answers (its ``public_key``)."""
    text = text.strip()
    if text.startswith("{"):
        import json

        try:
            text = str(json.loads(text)["public_key"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not the desk's key document: {exc}") from exc
    if text.startswith("-----BEGIN"):
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        key = load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not a base64 public key: {exc}") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def _show(value: Any) -> str:
    return canonical_json(value).decode("utf-8") if not isinstance(value, str) else value


def _same(a: Any, b: Any) -> bool:
    """JSON values equal as their canonical spellings would be (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _differs(where: str, field: str, stated: Any, derived: Any) -> None:
    if not _same(stated, derived):
        raise _Found(where, f"{field}: the statement says {_show(stated)}, the events give {_show(derived)}")


def _check_ticket(ticket: Mapping[str, Any], as_of: datetime, period: tuple[datetime, datetime]) -> None:
    number = ticket.get("ticket")
    if not isinstance(number, int):
        raise _Found("tickets", f"a ticket without a number: {_show(number)}")
    where = f"ticket {number}"
    entries = ticket.get("events")
    if not isinstance(entries, list) or not entries:
        raise _Found(where, "events: no ledger events")
    # 1. Printed values against their digests (the chain below then uses the digests).
    for entry in entries:
        digests = entry.get("digests")
        data = entry.get("data")
        if not isinstance(digests, dict) or not isinstance(data, dict):
            raise _Found(f"{where}, event {entry.get('seq')}", "data or digests missing")
        for key, value in data.items():
            if digests.get(key) != digest(value):
                raise _Found(f"{where}, event {entry.get('seq')}", f"data.{key} does not match its digest")
    # 2. Each event's due instant is the replay of the events up to it.
    try:
        events = core_events(entries)
        states = list(replay_steps(events))
    except (SlaError, KeyError, TypeError, ValueError) as exc:
        raise _Found(where, f"events: cannot be replayed ({exc})") from exc
    stated_dues = [entry.get("due_at") for entry in entries]
    derived_dues = [instant(state.due_at) for state in states]
    if stated_dues != derived_dues:  # str or None on the derived side: == is exact here
        for entry, stated, due in zip(entries, stated_dues, derived_dues, strict=True):
            _differs(f"{where}, event {entry['seq']}", "due_at", stated, due)
    # 3. The chain.
    previous = "0" * 64
    for position, entry in enumerate(entries, start=1):
        at = f"{where}, event {entry.get('seq')}"
        if entry.get("seq") != position:
            raise _Found(at, f"seq: expected {position}")
        if entry.get("prev") != previous:
            raise _Found(at, "prev: does not match the hash of the event before it")
        computed = record_of(number, entry, digests_checked=True).hash()
        if entry.get("hash") != computed:
            raise _Found(
                at, "hash: does not match the event (kind, at, recorded_at, reason or a digest changed)"
            )
        previous = computed
    # 4. The ticket's figures.
    derived = derive_from(entries, events, states, as_of)
    stated = {field: ticket.get(field) for field in DERIVED_FIELDS}
    if canonical_json(stated) != canonical_json(derived):  # one comparison; then find which field
        for field in DERIVED_FIELDS:
            _differs(where, field, stated[field], derived[field])
    submitted = parse_instant(derived["submitted_at"])
    if not period[0] <= submitted < period[1]:
        raise _Found(where, "submitted_at: not in the statement's month")


def _check(document: Mapping[str, Any], public_key: Ed25519PublicKey | None) -> None:
    if document.get("schema") != SCHEMA or document.get("version") != VERSION:
        raise _Found("schema", f"not a {SCHEMA} version {VERSION} document")
    try:
        month, zone = str(document["month"]), str(document["zone"])
        period = month_period(month, zone)
        as_of = parse_instant(str(document["produced_at"]))
    except (KeyError, ValueError, SlaError) as exc:
        raise _Found("header", f"month, zone or produced_at unreadable ({exc})") from exc
    _differs(
        "period", "period", document.get("period"), {"start": instant(period[0]), "end": instant(period[1])}
    )
    tickets = document.get("tickets")
    if not isinstance(tickets, list):
        raise _Found("tickets", "missing")
    for ticket in tickets:
        _check_ticket(ticket, as_of, period)
    _differs("calendars", "calendars", document.get("calendars"), calendars(tickets, month))
    table = attainment(tickets)
    _attainment_detail(document.get("attainment"), table)
    _differs("attainment", "attainment", document.get("attainment"), table)
    _check_signature(document, public_key)


def _attainment_detail(stated: Any, derived: Mapping[str, Any]) -> None:
    """Name the row and figure of a wrong attainment table (called before the whole-table check)."""
    if not isinstance(stated, Mapping):
        return
    rows = stated.get("rows")
    if isinstance(rows, Sequence) and len(rows) == len(derived["rows"]):
        for got, want in zip(rows, derived["rows"], strict=True):
            if not isinstance(got, Mapping):
                continue
            label = f"attainment {want['plan']} {want['priority']}"
            for key, value in want.items():
                _differs(label, key, got.get(key), value)
    total = stated.get("total")
    if isinstance(total, Mapping):
        for key, value in derived["total"].items():
            _differs("attainment total", key, total.get(key), value)


def _check_signature(document: Mapping[str, Any], public_key: Ed25519PublicKey | None) -> None:
    signature = document.get("signature")
    if not isinstance(signature, Mapping) or signature.get("algorithm") != "Ed25519":
        raise _Found("signature", "missing, or not Ed25519")
    try:
        printed = load_public_key(str(signature.get("public_key", "")))
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise _Found("signature", f"unreadable ({exc})") from exc
    key = public_key or printed
    if public_key is not None and key_id(public_key) != key_id(printed):
        raise _Found(
            "signature", f"signed with key {key_id(printed)}, not with the key given ({key_id(public_key)})"
        )
    if signature.get("key_id") != key_id(printed):
        raise _Found("signature", "key_id does not match the public key printed")
    try:
        key.verify(value, signed_bytes(document))
    except InvalidSignature as exc:
        raise _Found("signature", "does not match the document: something was changed after signing") from exc


def verify(document: Mapping[str, Any], public_key: Ed25519PublicKey | None = None) -> Problem | None:
    """None if the statement holds, else its first inconsistency."""
    try:
        _check(document, public_key)
    except _Found as found:
        return found.problem
    return None
