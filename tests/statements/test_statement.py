"""A monthly statement (issue 12): what it states, that it verifies with no database, and that
changing any one figure in its JSON makes `guichet verify` fail and name it."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from guichet.cli import main as guichet_main
from guichet.sla.verify import verify
from guichet.statements.builder import produce
from guichet.statements.models import Statement

from .conftest import AS_OF, MONTH

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def statement(world) -> Statement:
    statement, created = produce(world.acme, MONTH, as_of=AS_OF)
    assert created
    return statement


def by_ticket(document: dict, ticket) -> dict:
    return next(t for t in document["tickets"] if t["ticket"] == ticket.pk)


def test_the_statement_states_every_ticket_of_the_month_in_the_customers_language_and_zone(world, statement):
    doc = statement.data
    assert (doc["schema"], doc["version"], doc["month"]) == ("guichet-statement", 1, MONTH)
    assert (doc["zone"], doc["language"]) == ("Europe/Paris", "fr")  # the billing contact's language
    assert doc["period"] == {"start": "2026-02-28T23:00:00+00:00", "end": "2026-03-31T22:00:00+00:00"}
    names = {t.pk: name for name, t in world.tickets.items()}
    assert [names[t["ticket"]] for t in doc["tickets"]] == ["met", "downgrade", "closed", "raised", "late"]
    outcomes = {names[t["ticket"]]: t["outcome"] for t in doc["tickets"]}
    assert outcomes == {
        "met": "met",
        "downgrade": "answered_late",
        "closed": "closed_unanswered",
        "raised": "met",
        "late": "breached",
    }
    down = by_ticket(doc, world.tickets["downgrade"])
    # Report truth: the P2 due time after the answer is shown, and the missed P1 target is named.
    assert down["priority"] == "P2" and down["original_priority"] == "P1"
    assert down["due_at"] > down["first_response_at"]
    assert down["missed_target"] == {
        "priority": "P1",
        "target_seconds": 7200,
        "due_at": "2026-03-09T10:00:00+00:00",
    }
    assert down["downgrades"] == [
        {
            "at": "2026-03-09T10:30:00+00:00",
            "from": "P1",
            "to": "P2",
            "reason": "unreachable",
            "after_miss": True,
            "keeps_miss": True,
        }
    ]
    assert (
        down["terms"]["downgrade_keeps_miss"] is True and down["terms"]["closed_unanswered_missed"] is False
    )
    # The frozen calendar: hours, zone, holidays (country) and overrides, as at submission.
    cal = down["terms"]["calendar"]
    assert (cal["hours"], cal["timezone"], cal["country"], cal["extra_holidays"]) == (
        "8x5",
        "Europe/Paris",
        "FR",
        [],
    )
    met = by_ticket(doc, world.tickets["met"])
    assert met["business_seconds_used"] == 3600 and met["first_response_at"] == "2026-03-02T10:00:00+00:00"
    # Attainment per plan and priority (final priority: the downgraded and raised ones count as P2).
    rows = {(r["plan"], r["priority"]): r for r in doc["attainment"]["rows"]}
    assert rows["basic", "P2"] == {
        "plan": "basic",
        "priority": "P2",
        "tickets": 3,
        "met": 1,
        "missed": 2,
        "open": 0,
        "closed_unanswered": 0,
        "attainment": "33.3",
    }
    assert rows["basic", "P4"]["closed_unanswered"] == 1 and rows["basic", "P4"]["attainment"] is None
    assert doc["attainment"]["total"]["attainment"] == "50.0"
    # Hidden ledger data stays digests: the agents' notes on contact attempts, internal ids.
    downgraded = next(e for e in down["events"] if e["kind"] == "downgraded")
    assert "attempts" not in downgraded["data"] and "attempts" in downgraded["digests"]
    assert "contract_id" not in json.dumps(doc["tickets"][0]["events"][0]["data"])


def test_a_statement_verifies_with_its_key_and_names_a_wrong_key(world, statement):
    doc = statement.data
    assert verify(doc) is None
    from guichet.sla.verify import load_public_key
    from guichet.statements import keys

    assert verify(doc, load_public_key(keys.public_info()["public_key"])) is None
    assert verify(doc, load_public_key(keys.public_info()["pem"])) is None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate().public_key()
    problem = verify(doc, stranger)
    assert problem is not None and problem.where == "signature" and "not with the key given" in problem.what


def test_produced_once_per_month_and_kept_as_signed(world, statement):
    again, created = produce(world.acme, MONTH, as_of=AS_OF)
    assert not created and again.pk == statement.pk and again.document == statement.document
    assert Statement.digest(statement.document) == statement.sha256


def _set(path, value):
    def change(doc, world):
        target = doc
        keys = [k(doc, world) if callable(k) else k for k in path]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value(target[keys[-1]]) if callable(value) else value

    return change


def _ticket(name):
    return lambda doc, world: next(
        i for i, t in enumerate(doc["tickets"]) if t["ticket"] == world.tickets[name].pk
    )


def _shift(instant: str) -> str:
    """The same day at 23:xx (UTC)."""
    return instant[:11] + "23" + instant[13:]


# (what is changed, the change, what the verifier must name)
TAMPERING = [
    ("due time", _set(["tickets", _ticket("met"), "due_at"], _shift), "{met}: due_at"),
    (
        "first response",
        _set(["tickets", _ticket("met"), "first_response_at"], _shift),
        "{met}: first_response_at",
    ),
    ("outcome", _set(["tickets", _ticket("late"), "outcome"], "met"), "{late}: outcome"),
    (
        "missed target",
        _set(["tickets", _ticket("downgrade"), "missed_target"], None),
        "{downgrade}: missed_target",
    ),
    (
        "business time",
        _set(["tickets", _ticket("met"), "business_seconds_used"], 60),
        "{met}: business_seconds_used",
    ),
    (
        "an event's instant",
        _set(["tickets", _ticket("met"), "events", 1, "at"], _shift),
        "{met}, event 2",
    ),
    ("an event's kind", _set(["tickets", _ticket("late"), "events", 1, "kind"], "warned"), "{late}, event 2"),
    (
        "an event's reason",
        _set(["tickets", _ticket("downgrade"), "events", 2, "reason"], "x"),
        "{downgrade}, event 3",
    ),
    (
        "an event's due time",
        _set(["tickets", _ticket("met"), "events", 0, "due_at"], _shift),
        "{met}, event 1: due_at",
    ),
    (
        "a term (the target)",
        _set(["tickets", _ticket("met"), "events", 0, "data", "target_seconds"], 10 * 86400),
        "{met}, event 1: data.target_seconds",
    ),
    (
        "a term (the calendar)",
        _set(["tickets", _ticket("met"), "events", 0, "data", "calendar", "timezone"], "America/New_York"),
        "{met}, event 1: data.calendar",
    ),
    ("the stated terms", _set(["tickets", _ticket("met"), "terms", "target_seconds"], 1), "{met}: terms"),
    ("a removed event", lambda doc, world: doc["tickets"][0]["events"].pop(1), "{met}"),
    ("an attainment figure", _set(["attainment", "rows", 0, "met"], 3), "attainment basic P2: met"),
    (
        "an attainment percentage",
        _set(["attainment", "total", "attainment"], "99.0"),
        "attainment total: attainment",
    ),
    ("the subject (signed)", _set(["tickets", 0, "subject"], "Other"), "signature"),
    ("the organisation (signed)", _set(["organisation"], "Other SA"), "signature"),
]


@pytest.mark.parametrize(("what", "change", "named"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_changing_any_one_figure_makes_verify_fail_and_name_it(
    world, statement, tmp_path, what, change, named
):
    doc = copy.deepcopy(statement.data)
    change(doc, world)
    names = {name: f"ticket {t.pk}" for name, t in world.tickets.items()}
    expected = named.format(**names)
    problem = verify(doc)
    assert problem is not None, what
    assert str(problem).startswith(expected), (what, str(problem))
    # The same through the command line: exit status 1 and the inconsistency named.
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_guichet(["verify", str(path)])
    assert code == 1 and expected in err and out == ""


def run_guichet(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = guichet_main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return code, out.getvalue(), err.getvalue()


def test_guichet_verify_exits_0_for_the_statement_as_produced(world, statement, tmp_path):
    path = tmp_path / "statement.json"
    path.write_text(statement.document, encoding="utf-8")
    code, out, err = run_guichet(["verify", str(path)])
    assert code == 0 and err == "" and f"OK: 5 ticket(s) of Acme for {MONTH}" in out
    assert run_guichet(["verify", str(tmp_path / "missing.json")])[0] == 2


def test_the_verifier_runs_without_django(world, statement, tmp_path):
    """`python -m guichet.sla verify` in a fresh interpreter where importing Django fails."""
    path = tmp_path / "statement.json"
    path.write_text(statement.document, encoding="utf-8")
    script = (
        "import sys\n"
        "class NoDjango:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.'):\n"
        "            raise ImportError('Django is not available here')\n"
        "sys.meta_path.insert(0, NoDjango())\n"
        "from guichet.sla.cli import main\n"
        f"code = main(['verify', {str(path)!r}])\n"
        "assert not [m for m in sys.modules if m.startswith('django')]\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "OK: 5 ticket(s)" in done.stdout


def test_statement_command_writes_json_html_and_pdf(world, tmp_path):
    for fmt in ("json", "html", "pdf"):
        out = tmp_path / f"s.{fmt}"
        call_command(
            "statement",
            "--organisation",
            "Acme",
            "--month",
            MONTH,
            "--format",
            fmt,
            "--output",
            str(out),
            stderr=io.StringIO(),
        )
        assert out.stat().st_size > 1000
    doc = json.loads((tmp_path / "s.json").read_text())
    assert verify(doc) is None and doc["language"] == "fr"
    html = (tmp_path / "s.html").read_text()
    assert "Relevé SLA" in html and "P1, 2 h 00" in html
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
