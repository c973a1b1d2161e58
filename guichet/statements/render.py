"""A statement for people: the portal page, the HTML file and the PDF (WeasyPrint), in the
statement's language, every instant in the customer's zone (named), with an attainment chart
drawn as SVG on the server.

Everything shown is read from the signed JSON document itself, never from the database: the page
and the PDF say exactly what the verifiable file says.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.contracts.models import Plan, Priority
from guichet.sla.chain import canonical_json
from guichet.statements.models import Statement
from guichet.tickets.models import SlaEventKind

__all__ = ["OUTCOME_LABELS", "context", "html", "pdf_bytes"]

CSS = Path(__file__).parent / "static" / "statements" / "statement.css"

OUTCOME_LABELS = {
    "met": gettext_lazy("Met"),
    "breached": gettext_lazy("Missed (not answered in time)"),
    "answered_late": gettext_lazy("Missed (answered late)"),
    "closed_missed": gettext_lazy("Missed (solved or closed without a response)"),
    "open": gettext_lazy("Open, within target"),
    "closed_unanswered": gettext_lazy("Solved or closed before any response was due"),
    "no_sla": gettext_lazy("No SLA"),
}
MISSED = {"breached", "answered_late", "closed_missed"}


def _local(value: str | None, zone: zoneinfo.ZoneInfo) -> str:
    if not value:
        return "–"
    local = dt.datetime.fromisoformat(value).astimezone(zone)
    # Translators: date and time format (PHP-style, as Django's date filter) in SLA statements.
    return f"{formats.date_format(local, _('D j M Y, H:i'))} {local.tzname()}"


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60:02d}" if hours else f"{rest // 60} min"


def _label(choices: Any, value: str | None) -> str:
    if value is None:
        return "–"
    return str(choices(value).label) if value in choices.values else value


def _yes(value: Any) -> str:
    return str(_("yes")) if value else str(_("no"))


def chart(rows: list[dict[str, Any]]) -> SafeString:
    """A horizontal bar per plan and priority: attainment in percent (grey: nothing decided)."""
    bar_h, gap, label_w, width = 22, 8, 150, 330
    height = max(1, len(rows)) * (bar_h + gap) + 30
    full = label_w + width + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="statement-chart" viewBox="0 0 {full} {height}" '
        f'width="{full}" height="{height}" role="img" '
        f'aria-label="{escape(_("Attainment per plan and priority"))}">'
    ]
    for i, row in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        label = f"{_label(Plan, row['plan'])} {row['priority']}"
        parts.append(f'<text x="0" y="{y + 16}" font-size="12" fill="#222">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{width}" height="{bar_h}" fill="#e8e8e8"/>')
        value = row.get("attainment")
        if value is not None:
            filled = round(width * float(value) / 100)
            colour = "#2e7d32" if float(value) >= 90 else "#c62828" if float(value) < 75 else "#ef6c00"
            parts.append(f'<rect x="{label_w}" y="{y}" width="{filled}" height="{bar_h}" fill="{colour}"/>')
            text = f"{value} %"
        else:
            text = "–"
        parts.append(
            f'<text x="{label_w + width + 6}" y="{y + 16}" font-size="12" fill="#222">{escape(text)}</text>'
        )
    axis_y = 10 + len(rows) * (bar_h + gap)
    for pct in (0, 50, 75, 90, 100):
        x = label_w + width * pct // 100
        parts.append(f'<line x1="{x}" y1="5" x2="{x}" y2="{axis_y}" stroke="#999" stroke-width="0.5"/>')
        parts.append(f'<text x="{x - 8}" y="{axis_y + 14}" font-size="10" fill="#555">{pct}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def context(document: dict[str, Any]) -> dict[str, Any]:
    """The template's view of a statement document (call inside the statement's language)."""
    zone = zoneinfo.ZoneInfo(document["zone"])
    tickets = []
    for t in document["tickets"]:
        terms = t.get("terms") or {}
        cal = terms.get("calendar") or {}
        missed = t.get("missed_target")
        tickets.append(
            {
                "id": t["ticket"],
                "subject": t.get("subject", ""),
                "submitted": _local(t["submitted_at"], zone),
                "plan": _label(Plan, t.get("plan")),
                "priority": t.get("priority"),
                "original_priority": t.get("original_priority"),
                "target": _duration(terms.get("target_seconds")),
                "calendar": cal,
                "due": _local(t.get("due_at"), zone),
                "first_response": _local(t.get("first_response_at"), zone),
                "outcome": t["outcome"],
                "outcome_label": str(OUTCOME_LABELS.get(t["outcome"], t["outcome"])),
                "missed": t["outcome"] in MISSED,
                "missed_target": missed
                and {
                    "priority": missed["priority"],
                    "target": _duration(missed["target_seconds"]),
                    "due": _local(missed["due_at"], zone),
                },
                "waived": [
                    {
                        "priority": w["priority"],
                        "target": _duration(w["target_seconds"]),
                        "due": _local(w["due_at"], zone),
                    }
                    for w in t.get("waived_targets") or []
                ],
                "downgrades": [
                    {**d, "at": _local(d["at"], zone), "keeps_miss": _yes(d.get("keeps_miss"))}
                    for d in t.get("downgrades") or []
                ],
                "used": _duration(t.get("business_seconds_used")),
                "settings": {
                    "pause_when_waiting": _yes(terms.get("pause_when_waiting")),
                    "downgrade_keeps_miss": _yes(terms.get("downgrade_keeps_miss", True)),
                    "closed_unanswered_missed": _yes(terms.get("closed_unanswered_missed")),
                },
                "events": [
                    {
                        "seq": e["seq"],
                        "label": _label(SlaEventKind, e["kind"]),
                        "at": _local(e["at"], zone),
                        "recorded_at": _local(e["recorded_at"], zone),
                        "due": _local(e.get("due_at"), zone),
                        "reason": e.get("reason", ""),
                        "hash": e["hash"][:16],
                    }
                    for e in t["events"]
                ],
            }
        )
    table = document["attainment"]
    rows = [
        {**row, "plan_label": _label(Plan, row["plan"]), "priority_label": _label(Priority, row["priority"])}
        for row in table["rows"]
    ]
    year, month = (int(x) for x in document["month"].split("-"))
    return {
        "doc": document,
        "month_label": formats.date_format(dt.date(year, month, 1), "F Y"),
        "produced": _local(document["produced_at"], zone),
        "chaining_began": _local(document.get("chaining_began"), zone),
        "tickets": tickets,
        "rows": rows,
        "total": table["total"],
        "no_sla": table["no_sla"],
        "chart": chart(table["rows"]),
        "calendars": document.get("calendars") or [],
        "signature": document["signature"],
        "sha256": Statement.digest(canonical_json(document).decode("utf-8")),
    }


def html(statement: Statement, *, language: str | None = None, standalone: bool = True) -> str:
    """The statement as one HTML file (its stylesheet inlined: a file the customer may keep)."""
    document = statement.data
    with translation.override(language or statement.language):
        return render_to_string(
            "statements/file.html",
            {**context(document), "css": CSS.read_text(encoding="utf-8"), "standalone": standalone},
        )


def pdf_bytes(statement: Statement, *, language: str | None = None) -> bytes:
    """The statement as a PDF (WeasyPrint), the public key printed on it."""
    from weasyprint import CSS as WeasyCSS
    from weasyprint import HTML

    document = statement.data
    with translation.override(language or statement.language):
        page = render_to_string("statements/pdf.html", {**context(document), "pdf": True})
    result = HTML(string=page, base_url=str(CSS.parent)).write_pdf(stylesheets=[WeasyCSS(filename=str(CSS))])
    assert isinstance(result, bytes)
    return result
