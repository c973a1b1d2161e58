"""Dates, instants and durations on screen (guichet/web/timefmt.py and guichet/web/formats): one
format per language everywhere, relative times with the exact instant on hover."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from guichet.web import timefmt
from tests.factories import PARIS, open_ticket

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)

# Django's own locale formats, which used to show on some screens beside ours.
DJANGO_DEFAULT_DATES = [
    re.compile(r"\b(Jan|Feb|Mar|Apr|May|June|July|Aug|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"),  # "Nov. 1, 2026"
    # "1 novembre 2026" (Django's French DATE_FORMAT); ours always starts with the day's name.
    re.compile(
        r"(?<!lun )(?<!mar )(?<!mer )(?<!jeu )(?<!ven )(?<!sam )(?<!dim )\b\d{1,2} "
        r"(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}"
    ),
    re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}"),  # "2026-11-01 10:00 UTC" (the statement page)
]


@pytest.mark.parametrize(
    ("language", "date", "instant"),
    [
        ("en", "Sun 1 Nov 2026", "Sun 1 Nov 2026, 10:30 CET"),
        ("fr", "dim 1 nov. 2026", "dim 1 nov. 2026 à 10:30 CET"),
    ],
)
def test_one_date_and_one_instant_format_per_language(language, date, instant):
    at = dt.datetime(2026, 11, 1, 10, 30, tzinfo=PARIS)
    with translation.override(language):
        assert timefmt.date_text(at.date()) == date
        assert timefmt.datetime_text(at, "Europe/Paris") == instant
        # A bare {{ date }} in a template (Django's DATE_FORMAT) is written the same way.
        assert Template("{{ d }}").render(Context({"d": at.date()})) == date


def test_relative_times_both_ways_and_in_french():
    with translation.override("en"):
        assert timefmt.relative_text(NOW - dt.timedelta(seconds=20), NOW) == "just now"
        assert timefmt.relative_text(NOW - dt.timedelta(minutes=12), NOW) == "12 min ago"
        assert timefmt.relative_text(NOW + dt.timedelta(hours=3, minutes=5), NOW) == "in 3 h"
        assert timefmt.relative_text(NOW - dt.timedelta(days=1, hours=2), NOW) == "1 day ago"
        assert timefmt.relative_text(NOW - dt.timedelta(days=45), NOW) == "Fri 16 Oct 2026"
    with translation.override("fr"):
        assert timefmt.relative_text(NOW - dt.timedelta(minutes=12), NOW) == "il y a 12 min"
        assert timefmt.relative_text(NOW + dt.timedelta(days=2), NOW) == "dans 2 jours"


def test_a_relative_time_carries_the_exact_instant():
    at = NOW - dt.timedelta(minutes=5)
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        html = str(timefmt.time_html(at, now=NOW))
    assert html == (
        '<time datetime="2026-11-30T08:55:00+00:00" title="Mon 30 Nov 2026, 03:55 EST">5 min ago</time>'
    )


def test_issue_11_defect_8_no_screen_writes_dates_in_another_format(client, world):
    """ "Nov. 1, 2026" on some screens, "Sun 29 Nov 2026" on others: the main pages, in both
    languages, show dates in the one format only."""
    ticket = open_ticket(world.customer, "P2")
    contract = world.premium.contracts.get()
    pages = {
        world.agent: [reverse("desk_queue"), reverse("desk_ticket", args=[ticket.pk])],
        world.customer: [
            reverse("portal_tickets"),
            reverse("portal_ticket", args=[ticket.pk]),
            reverse("portal_plan"),
            reverse("reports_statement", args=[ticket.pk]),
        ],
        world.admin: [
            reverse("manage_organisation", args=[world.premium.pk]),
            reverse("manage_contract", args=[contract.pk]),
            reverse("manage_calendar", args=[contract.pk]),
        ],
    }
    for person, urls in pages.items():
        client.force_login(person)
        for language, ours in (
            ("en", r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}"),
            ("fr", r"\b(lun|mar|mer|jeu|ven|sam|dim) \d{1,2} "),
        ):
            client.cookies["django_language"] = language
            for url in urls:
                text = re.sub(r"<[^>]+>", " ", client.get(url).content.decode())
                for pattern in DJANGO_DEFAULT_DATES:
                    assert not pattern.search(text), (url, language, pattern.search(text).group(0))
                if "/contracts/" not in url or "/calendar/" in url:  # the contract form shows none
                    assert re.search(ours, text), (url, language)
