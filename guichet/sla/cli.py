"""``guichet sla ...``: first-response due times from the command line.

Examples::

    python -m guichet.sla due --plan premium --priority P2 --timezone Europe/Paris \\
        --country FR --submitted 2026-07-13T09:30:00+02:00
    python -m guichet.sla verify statement-2026-03.json [--public-key KEY]
    python -m guichet.sla explain --plan basic --priority P3 --timezone America/New_York \\
        --country US --subdivision NY --region north-america --submitted 2026-07-02T16:00:00-04:00
    printf '%s\\n' '{"id": 1, "plan": "basic", "priority": "P1", "timezone": "Europe/Paris",
        "country": "FR", "submitted": "2026-07-13T16:30:00+02:00"}' | python -m guichet.sla due --batch

Exit codes: 0 success, 1 some batch lines failed (``verify``: the statement does not hold), 2 usage or
validation error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any, NoReturn

from guichet.sla.errors import NaiveDatetimeError, SlaError
from guichet.sla.policy import resolve

__all__ = ["main"]

_FIELDS = ("plan", "priority", "timezone", "country", "subdivision", "region", "hours", "submitted")


class _UsageError(Exception):
    """Bad options or input: reported on stderr with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant that must carry a UTC offset.

    >>> parse_instant("2026-07-13T09:30:00Z").isoformat()
    '2026-07-13T09:30:00+00:00'
    """
    if not isinstance(text, str):
        raise SlaError(f"submitted must be an ISO 8601 string, got {text!r}")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SlaError(f"submitted {text!r} is not an ISO 8601 date-time") from None
    if value.utcoffset() is None:
        raise NaiveDatetimeError(f"submitted {text!r} has no UTC offset (add e.g. +02:00 or Z)")
    return value


def _compute(fields: dict[str, Any], explain: bool = False) -> Any:
    missing = [k for k in ("plan", "priority", "timezone", "country", "submitted") if not fields.get(k)]
    if missing:
        raise SlaError("missing required field(s): " + ", ".join(missing))
    submitted = parse_instant(fields["submitted"])
    target, cal = resolve(
        fields["plan"],
        fields["priority"],
        hours=fields.get("hours") or None,
        region=fields.get("region") or "worldwide",
        timezone=fields["timezone"],
        country=fields["country"],
        subdivision=fields.get("subdivision") or None,
    )
    if explain:
        return cal.explain(submitted, target)
    # Print in the customer's zone: the calendar's zone is the customer's.
    return cal.add(submitted, target)


def _batch(stdin: IO[str], stdout: IO[str]) -> int:
    failed = False
    for number, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        ident: Any = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise SlaError("each line must be a JSON object")
            ident = item.get("id")
            unknown = sorted(set(item) - set(_FIELDS) - {"id"})
            if unknown:
                raise SlaError("unknown field(s): " + ", ".join(unknown))
            out = {"id": ident, "due": _compute(item).isoformat()}
        except json.JSONDecodeError as exc:
            failed = True
            out = {"id": None, "error": f"line {number}: invalid JSON ({exc.msg})"}
        except (SlaError, TypeError) as exc:
            failed = True
            out = {"id": ident, "error": f"line {number}: {exc}"}
        except Exception as exc:  # one odd line must not abort the rest of the batch
            failed = True
            out = {"id": ident, "error": f"line {number}: unexpected {type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 1 if failed else 0


def _parser() -> _Parser:
    parser = _Parser(prog="guichet sla", description="SLA due times for support-plan commitments.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, text in (("due", "print the first-response due instant"), ("explain", "explain a due instant")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--plan", choices=["basic", "premium"])
        p.add_argument("--priority", choices=["P1", "P2", "P3", "P4"], type=str.upper)
        p.add_argument("--timezone", metavar="TZ", help="IANA zone of the customer, e.g. Europe/Paris")
        p.add_argument("--country", metavar="CC", help="holiday country (ISO code), e.g. FR")
        p.add_argument("--subdivision", metavar="SUB", help="holiday subdivision, e.g. CA for California")
        p.add_argument("--region", choices=["worldwide", "north-america"], default="worldwide")
        p.add_argument("--hours", choices=["8x5", "24x5", "24x7"], help="support hours (default: the plan's)")
        p.add_argument("--submitted", metavar="ISO8601", help="submission instant with its UTC offset")
        if name == "due":
            p.add_argument("--batch", action="store_true", help="read JSON Lines on stdin, write JSON Lines")
        else:
            p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    text = "check a signed monthly SLA statement (exit 0: it holds; 1: the first inconsistency)"
    v = sub.add_parser("verify", help=text, description=text)
    v.add_argument("file", metavar="STATEMENT.json")
    v.add_argument(
        "--public-key",
        metavar="KEY",
        help="the vendor's published key (base64, or a file holding it);"
        " default: the key printed in the statement",
    )
    return parser


def verify_file(path: str, key: str | None, stdout: IO[str], stderr: IO[str]) -> int:
    """``verify``: 0 the statement holds, 1 it does not (the first inconsistency), 2 unreadable."""
    from pathlib import Path

    from guichet.sla.verify import load_public_key, verify

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        public_key = None
        if key:
            candidate = Path(key)
            public_key = load_public_key(
                candidate.read_text(encoding="ascii") if candidate.is_file() else key
            )
    except (OSError, ValueError) as exc:
        stderr.write(f"guichet verify: error: {exc}\n")
        return 2
    problem = verify(document, public_key)
    if problem is not None:
        stderr.write(f"NOT VERIFIED: {problem}\n")
        return 1
    from guichet.sla.statement import key_id
    from guichet.sla.verify import load_public_key as _load

    signer = key_id(public_key or _load(document["signature"]["public_key"]))
    stdout.write(
        f"OK: {len(document['tickets'])} ticket(s) of {document['organisation']} for {document['month']}, "
        f"chains, due instants, outcomes and attainment recomputed; signed by key {signer}\n"
    )
    return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``guichet sla``; returns the exit code (0 ok, 1 batch lines failed, 2 error)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as exc:
        stderr.write(f"{exc}\n")
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command == "verify":
        return verify_file(args.file, args.public_key, stdout, stderr)
    if getattr(args, "batch", False):
        return _batch(stdin, stdout)
    fields = {k: getattr(args, k) for k in _FIELDS}
    try:
        result = _compute(fields, explain=args.command == "explain")
    except SlaError as exc:
        stderr.write(f"guichet sla {args.command}: error: {exc}\n")
        return 2
    if args.command == "due":
        stdout.write(result.isoformat() + "\n")
    elif args.json:
        stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        stdout.write(result.to_text() + "\n")
    return 0
