"""The pre-submission preview, as a thin call to the same terms a new ticket gets.

It reads the contract in force and asks it for each priority's terms (`Contract.terms`, the SLA core's
policy), then adds the target on that calendar: no SLA arithmetic here.
"""

from __future__ import annotations

import datetime as dt

from guichet.accounts.models import Organisation
from guichet.contracts.models import Priority, contract_in_force
from guichet.contracts.priorities import PRIORITIES
from guichet.sla import CalendarSpec


def calendar_summary(spec: CalendarSpec) -> str:
    holidays = spec.country + (f"-{spec.subdivision}" if spec.subdivision else "")
    return f"{spec.hours} {spec.region}, {spec.timezone}, holidays {holidays}"


def preview_for(org: Organisation, at: dt.datetime) -> dict:
    contract = contract_in_force(org, at)
    out: dict = {
        "organisation_id": org.pk,
        "contract_id": contract.pk if contract else None,
        "plan": contract.plan if contract else None,
        "time_zone": contract.time_zone if contract else None,
        "at": at,
        "priorities": [],
    }
    if contract is None:
        return out
    zone = contract.zone
    for priority in Priority.values:
        terms = contract.terms(priority)
        target = terms.target
        due = terms.calendar.calendar().add(at, target)
        out["priorities"].append(
            {
                "priority": priority,
                "label": str(PRIORITIES[priority].label),
                "target_minutes": int(target.total_seconds() // 60),
                "due": due.astimezone(zone),
                "due_utc": due.astimezone(dt.UTC),
                "calendar": calendar_summary(terms.calendar),
            }
        )
    return out
