"""The agent's SLA panel (guichet/web/sla_panel.py): "Why is this due then?" as one timeline in time
order, holidays named in the reader's language, subdivisions spelled as the holidays library does."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from guichet.contracts.models import Plan, Region
from tests.factories import PARIS, make_org, make_person, open_for


def _why_due(client, ticket, language: str) -> list[str]:
    html = client.get(
        reverse("desk_ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    block = html[html.index('<details id="why-due">') :]
    block = block[: block.index("</ol>")]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]


def test_issue_11_defect_4_why_due_lists_every_step_in_time_order(client, world):
    """Wednesday 24 December 2025, 16:00 in Paris, a Basic P3 (24 business hours on 8 × 5): Christmas
    and the weekend are skipped where they fall, not listed after the last open interval."""
    christmas_eve = dt.datetime(2025, 12, 24, 16, 0, tzinfo=PARIS)
    ticket = open_for(world.agent, world.basic_customer, "P3", at=christmas_eve)
    client.force_login(world.agent)
    steps = _why_due(client, ticket, "en")
    assert [s.split(" ")[0] for s in steps] == [
        "Clock", "Open", "Skipped", "Open", "Skipped", "Skipped", "Open", "Open", "Due",
    ]  # fmt: skip
    assert steps[1].startswith("Open Wed 24 Dec 2025, 16:00")
    assert steps[2] == "Skipped public holiday Thu 25 Dec 2025: Christmas Day"  # named in English
    assert steps[3].startswith("Open Fri 26 Dec 2025, 09:00")
    assert steps[4].startswith("Skipped closed day Sat 27 Dec")
    assert steps[5].startswith("Skipped closed day Sun 28 Dec")
    assert steps[6].startswith("Open Mon 29 Dec 2025, 09:00")
    assert steps[8].startswith("Due Tue 30 Dec 2025, 16:00")
    world.agent.language = "fr"
    world.agent.save()
    assert "Noël" in _why_due(client, ticket, "fr")[2]


def test_issue_11_defect_4_subdivisions_are_spelled_as_the_holidays_library_does(client, world):
    # A contract stored before contracts were normalised: "on" for Ontario.
    org = make_org(
        "Maple", Plan.BASIC, tz="America/Toronto", country="CA", subdivision="on", region=Region.NORTH_AMERICA
    )
    customer = make_person("maple", org=org)
    ticket = open_for(world.agent, customer, "P3")
    client.force_login(world.agent)
    html = client.get(reverse("desk_ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "CA-ON public holidays excluded" in html
    assert "CA-on" not in html
