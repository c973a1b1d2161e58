"""The tamper-evident SLA ledger: each ticket's events form a SHA-256 hash chain.

The **canonical encoding** of one ledger event (version 1) is the UTF-8 bytes of the JSON object

    {"v": 1, "ticket": <ticket number>, "seq": <1, 2, …>, "kind": "<applied|paused|…>",
     "at": "<effective instant>", "recorded_at": "<when it was written>",
     "due_at": "<due instant after the event>" | null, "reason": "<text>",
     "data": {"<key>": "<digest of the value>", …}, "prev": "<hash of the previous event>"}

written with its keys sorted, no whitespace (``","`` and ``":"`` separators), non-ASCII characters
as themselves (not ``\\u`` escapes); instants are ISO 8601 in UTC (``2026-03-02T09:00:00+00:00``,
microseconds when there are some). Each value of the event's ``data`` is replaced by its
**digest**: the SHA-256 (hex) of the canonical JSON of that value, so that a statement can show
the terms and facts a customer needs and keep the rest (internal ids, agents' notes) as digests
without breaking the chain. ``prev`` of the first event is 64 zeros (:data:`GENESIS`).

The event's **hash** is the SHA-256 (hex) of that encoding. Changing anything in an event (its
instant, kind, reason, a term, the due instant) changes its hash, and since the next event
records it as ``prev``, every hash after it: rewriting history means rewriting the whole rest
of the chain, which a signed statement or an earlier copy gives away.

>>> rec = EventRecord(7, 1, "applied", "2026-03-02T09:00:00+00:00", "2026-03-02T09:00:01+00:00",
...                   "2026-03-02T09:30:00+00:00", "", {"priority": "P1"}, GENESIS)
>>> len(rec.hash()), rec.hash() == rec.hash()
(64, True)
>>> verify_chain([rec]) is None
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guichet.sla.ledger import utc

__all__ = [
    "ENCODING_VERSION",
    "GENESIS",
    "ChainError",
    "EventRecord",
    "canonical_json",
    "digest",
    "instant",
    "verify_chain",
]

ENCODING_VERSION = 1
GENESIS = "0" * 64


# One encoder for every call (json.dumps with options builds a new one each time).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> bytes:
    """The one JSON spelling of ``value``: sorted keys, no spaces, UTF-8."""
    return _ENCODER.encode(value).encode("utf-8")


def digest(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def instant(value: datetime | None) -> str | None:
    """An instant as the encoding writes it: ISO 8601 in UTC."""
    return None if value is None else utc(value).isoformat()


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One ledger event as the chain sees it (instants already in their encoded form).

    ``data`` holds plain values; ``digests`` holds the digests of values not shown (a statement's
    redacted keys). The encoding uses the digest of every key of either."""

    ticket: int
    seq: int
    kind: str
    at: str
    recorded_at: str
    due_at: str | None
    reason: str
    data: Mapping[str, Any]
    prev: str
    digests: Mapping[str, str] = field(default_factory=dict)

    def data_digests(self) -> dict[str, str]:
        out = dict(self.digests)
        out.update({str(k): digest(v) for k, v in self.data.items()})
        return out

    def encode(self) -> bytes:
        """The canonical encoding (module docstring)."""
        return canonical_json(
            {
                "v": ENCODING_VERSION,
                "ticket": self.ticket,
                "seq": self.seq,
                "kind": self.kind,
                "at": self.at,
                "recorded_at": self.recorded_at,
                "due_at": self.due_at,
                "reason": self.reason,
                "data": self.data_digests(),
                "prev": self.prev,
            }
        )

    def hash(self) -> str:
        return hashlib.sha256(self.encode()).hexdigest()

    @classmethod
    def of(
        cls,
        *,
        ticket: int,
        seq: int,
        kind: str,
        at: datetime,
        recorded_at: datetime,
        due_at: datetime | None,
        reason: str,
        data: Mapping[str, Any],
        prev: str,
    ) -> EventRecord:
        """From stored values (aware datetimes)."""
        return cls(
            ticket,
            seq,
            kind,
            utc(at).isoformat(),
            utc(recorded_at).isoformat(),
            instant(due_at),
            reason,
            data,
            prev,
        )


@dataclass(frozen=True, slots=True)
class ChainError:
    """The first break in a ticket's chain: which event, and what is wrong with it."""

    ticket: int
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"ticket {self.ticket}, event {self.seq}: {self.problem}"


def verify_chain(records: Iterable[EventRecord], hashes: Iterable[str] | None = None) -> ChainError | None:
    """Re-derive a ticket's chain; None if it holds, else its first break.

    ``records`` in ``seq`` order, each with the ``prev`` it claims. ``hashes``, when given, are the
    hashes stored (or published) for the same events, compared with the recomputed ones."""
    expected_prev = GENESIS
    expected_seq = 1
    stored = iter(hashes) if hashes is not None else None
    for record in records:
        if record.seq != expected_seq:
            return ChainError(
                record.ticket, record.seq, f"sequence number {record.seq}, expected {expected_seq}"
            )
        if record.prev != expected_prev:
            return ChainError(
                record.ticket, record.seq, "its previous hash does not match the event before it (prev)"
            )
        computed = record.hash()
        if stored is not None:
            claimed = next(stored, None)
            if claimed != computed:
                return ChainError(
                    record.ticket,
                    record.seq,
                    "its content does not match its hash"
                    " (kind, at, recorded_at, due_at, reason or data changed)",
                )
        expected_prev, expected_seq = computed, expected_seq + 1
    return None
