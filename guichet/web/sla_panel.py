"""What the agent's ticket page shows about the SLA: the panel (clock, due times in both zones, the
core's "why is this due then?" as one timeline in time order, the SLA history) and the R-PRIO-7
delivery hint. Shared by the ticket page and its HTMX fragments."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils.translation import get_language

from guichet import sla
from guichet.accounts.models import Person
from guichet.contracts import priorities
from guichet.tickets import ledger, selectors, services
from guichet.tickets.models import Ticket
from guichet.web.clock import CalendarCache, clock_view


def delivery_hint(ticket: Ticket, now: dt.datetime) -> dict | None:
    """R-PRIO-7 preview: when a public reply written now would reach the customer (the service's rule)."""
    if not priorities.info(ticket.priority).business_hours_contact_only or ticket.contract_id is None:
        return None
    at = services.contact_window(ticket, now)
    return {"now": True} if at is None else {"now": False, "at": at}


def sla_panel_context(user: Person, ticket: Ticket, now: dt.datetime) -> dict:
    events = list(selectors.visible_sla_events(user, ticket).select_related("actor"))
    state = ledger.replay(events)
    calendars = CalendarCache()
    explanation = ledger.explain_data(state)
    core = (explanation or {}).get("explanation")
    return {
        "ticket": ticket,
        "clock": clock_view(ticket, calendars, now),
        "state": state,
        "elapsed": state.elapsed(now),
        "remaining_paused": ticket.sla_remaining_seconds,
        "events": events,
        "explanation": explanation,
        "explain_core": _readable_explanation(core, explanation["calendar"])
        if explanation and core
        else None,
        "running_periods": [
            (dt.datetime.fromisoformat(r["start"]), dt.datetime.fromisoformat(r["end"]) if r["end"] else None)
            for r in (explanation or {}).get("running", [])
        ],
        "customer_zone": ticket.contract.time_zone if ticket.contract else None,
        "now": now,
    }


def _readable_explanation(data: dict, spec: dict) -> dict:
    """The core's explanation as one timeline in time order: the clock's start, the open intervals
    counted, the public holidays and closed days skipped, the pauses, the due instant. Holidays
    are named in the reader's language when the holidays package has it."""
    parse = dt.datetime.fromisoformat
    zone = zoneinfo.ZoneInfo(data["timezone"])

    def day_start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), zone)

    holidays = {dt.date.fromisoformat(h["date"]): h["name"] for h in data["holidays"]}
    holidays = sla.localised_names(spec.get("country"), spec.get("subdivision"), holidays, get_language())
    # (instant, rank at equal instants, kind, values): a day skipped sorts before what opens on it.
    steps: list[tuple[dt.datetime, int, str, dict]] = [(parse(data["start"]), 0, "start", {})]
    steps += [
        (
            parse(i["start"]),
            3,
            "open",
            {"start": parse(i["start"]), "end": parse(i["end"]), "seconds": i["seconds"]},
        )
        for i in data["intervals"]
    ]
    steps += [(day_start(day), 1, "holiday", {"date": day, "name": name}) for day, name in holidays.items()]
    steps += [
        (day_start(dt.date.fromisoformat(d)), 1, "closed", {"date": dt.date.fromisoformat(d)})
        for d in data["closed_days"]
    ]
    steps += [
        (
            parse(p["start"]),
            2,
            "pause",
            {"start": parse(p["start"]), "end": parse(p["end"]) if p.get("end") else None},
        )
        for p in data["pauses"]
    ]
    if data.get("due"):
        steps.append((parse(data["due"]), 9, "due", {"at": parse(data["due"])}))
    steps.sort(key=lambda step: (step[0], step[1]))
    return {
        "timezone": data["timezone"],
        "start": parse(data["start"]),
        "due": parse(data["due"]) if data.get("due") else None,
        "target_seconds": data["target_seconds"],
        "steps": [{"kind": kind, "at": at, **values} for at, _rank, kind, values in steps],
    }
