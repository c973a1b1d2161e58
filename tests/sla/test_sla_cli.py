"""The ``guichet sla`` command line, through ``main()`` and ``python -m guichet.sla``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from guichet.sla.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASE = ["--timezone", "Europe/Paris", "--country", "FR"]


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_due_prints_one_iso_line_in_customer_offset() -> None:
    code, out, err = run(
        ["due", "--plan", "basic", "--priority", "P1", *BASE, "--submitted", "2026-07-10T14:30:00Z"]
    )
    assert (code, out, err) == (0, "2026-07-13T10:30:00+02:00\n", "")
    code, out, _ = run(
        [
            "due",
            "--plan",
            "premium",
            "--priority",
            "P2",
            *BASE,
            "--hours",
            "24x5",
            "--submitted",
            "2026-07-10T23:30+02:00",
        ]
    )
    assert out == "2026-07-13T00:32:00+02:00\n"  # 29 min Friday, 31 min from Monday 00:01


def test_due_north_america_with_subdivision() -> None:
    argv = ["due", "--plan", "basic", "--priority", "P3", "--timezone", "America/New_York", "--country", "US"]
    argv += ["--subdivision", "NY", "--region", "north-america", "--submitted", "2026-07-02T16:00:00-04:00"]
    assert run(argv)[:2] == (0, "2026-07-08T13:00:00-04:00\n")  # 1 h + (3 July) + 9 h + 9 h + 5 h


def test_errors_exit_2_with_message() -> None:
    code, out, err = run(
        ["due", "--plan", "basic", "--priority", "P1", *BASE, "--submitted", "2026-07-10T14:30"]
    )
    assert code == 2 and out == "" and "no UTC offset" in err
    argv = ["due", "--plan", "basic", "--priority", "P1", "--timezone", "Nowhere/X", "--country", "FR"]
    code, _, err = run([*argv, "--submitted", "2026-07-10T14:30Z"])
    assert code == 2 and "unknown time zone" in err
    code, _, err = run(["due", "--plan", "gold", "--priority", "P1"])
    assert code == 2 and "invalid choice" in err
    code, _, err = run(["due", "--plan", "basic", "--priority", "P1", *BASE])
    assert code == 2 and "submitted" in err
    assert run([])[0] == 2


def test_batch_json_lines() -> None:
    lines = [
        {"id": 1, "plan": "basic", "priority": "P1", "timezone": "Europe/Paris", "country": "FR",
         "submitted": "2026-07-10T16:30:00+02:00"},
        {"id": "b", "plan": "premium", "priority": "P1", "timezone": "Europe/Paris", "country": "FR",
         "submitted": "2026-07-10T16:30:00"},
    ]  # fmt: skip
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n"
    code, out, _ = run(["due", "--batch"], stdin)
    got = [json.loads(x) for x in out.splitlines()]
    assert code == 1
    assert got[0] == {"id": 1, "due": "2026-07-13T10:30:00+02:00"}
    assert got[1]["id"] == "b" and "no UTC offset" in got[1]["error"]
    assert got[2]["id"] is None and "invalid JSON" in got[2]["error"]
    assert run(["due", "--batch"], json.dumps(lines[0]) + "\n")[0] == 0
    odd = {**lines[0], "subdivision": 5, "id": 3}
    code, out, _ = run(["due", "--batch"], json.dumps(odd) + "\n" + json.dumps(lines[0]) + "\n")
    got = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and "subdivision" in got[0]["error"] and got[1]["due"] == "2026-07-13T10:30:00+02:00"


def test_explain_text_and_json() -> None:
    argv = [
        "explain",
        "--plan",
        "basic",
        "--priority",
        "P3",
        *BASE,
        "--submitted",
        "2026-07-10T16:00:00+02:00",
    ]
    code, out, _ = run(argv)
    assert code == 0 and "Fête nationale" in out and "Due:" in out
    code, out, _ = run([*argv, "--json"])
    data = json.loads(out)
    assert code == 0 and data["due"] == "2026-07-16T16:00:00+02:00"
    assert {"date": "2026-07-14", "name": "Fête nationale"} in data["holidays"]


def test_python_dash_m() -> None:
    argv = ["due", "--plan", "premium", "--priority", "P1", *BASE, "--submitted", "2026-07-13T09:00:00+02:00"]
    proc = subprocess.run(
        [sys.executable, "-m", "guichet.sla", *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout) == (0, "2026-07-13T09:30:00+02:00\n"), proc.stderr


def test_no_django_import() -> None:
    code = (
        "import sys\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)\n"
        "import guichet.sla, guichet.sla.cli, guichet.sla.clock, guichet.sla.policy\n"
        "bad = sorted(m for m in sys.modules if m.startswith('django'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    sources = (ROOT / "guichet" / "sla").glob("*.py")
    assert not [p.name for p in sources if "import django" in p.read_text() or "from django" in p.read_text()]
