"""Every main screen in Debian's Chromium, in English and French, at 1,280 and 390 px wide, in the
light and the dark theme (the system setting, emulated): no horizontal scrolling, no console error
(a CSP violation is one: the shared `page` fixture fails the test), the top bar on one line at
1,280 px, and a screenshot of each in test-artefacts/screens/<language>/<screen>-<width>-<theme>.png.

Each screen is loaded once per language; the widths and themes are applied to the loaded page
(viewport and `prefers-color-scheme` emulation re-lay it out without a new request), which keeps
the whole run to a few seconds a screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guichet.contracts.models import Plan
from guichet.tickets import services
from tests.factories import PARIS, PASSWORD, make_org, make_person, open_ticket
from tests.web.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 390)
THEMES = ("light", "dark")
LANGUAGES = ("en", "fr")


@dataclass
class Screens:
    world: World
    urls: dict[str, list[tuple[str, str]]]  # username (or "") -> [(screen name, url)]


@pytest.fixture
def screens(transactional_db, settings, tmp_path, inline_tasks, fast_passwords) -> Screens:
    """The web tests' world with tickets in every state a screen shows: running and warned clocks,
    a breach, a P3 outside the customer's hours with a held answer, a downgrade, notes, a call."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUICHET_DOWNGRADE_MIN_ATTEMPTS = 1
    world = World()
    atelier = make_org("Atelier Érable", Plan.BASIC)
    make_person("claire", org=atelier, language="fr", first_name="Claire", last_name="Dupont")
    p1 = open_ticket(world.customer, "P1", subject="Nobody can log in after the MFA upgrade this morning")
    services.add_note(actor=world.agent, ticket=p1, body="Checking the identity provider's status page.")
    services.assign(actor=world.lead, ticket=p1, assignee=world.agent)
    p2 = open_ticket(world.customer, "P2", subject="Slow dashboards at peak hours")
    services.record_contact_attempt(actor=world.agent, ticket=p2, channel="phone", note="Voicemail")
    services.downgrade_priority(actor=world.agent, ticket=p2, reason="Customer not reachable since 10:00")
    services.log_call(
        actor=world.agent,
        ticket=p2,
        caller="Paul Client",
        phone_number="+33 1 23 45 67 89",
        duration_seconds=420,
        summary="Walked through the cache settings.",
        inbound=True,
    )
    saturday = dt.datetime(2026, 11, 21, 10, 0, tzinfo=PARIS)
    held = services.open_ticket(
        actor=world.agent,
        requester=world.customer,
        subject="Where is the export button in the new reports?",
        body="I cannot find it.",
        priority="P3",
        channel="email",
        submitted_at=saturday,
    )
    services.add_reply(actor=world.agent, ticket=held, body="Top right.", at=saturday + dt.timedelta(hours=1))
    basic = open_ticket(world.basic_customer, "P3", subject="Question about exports")
    breached = services.open_ticket(
        actor=world.agent,
        requester=world.other_customer,
        subject="API unreachable",
        body="502 everywhere",
        priority="P1",
        channel="phone",
        impact_confirmed=True,
        submitted_at=saturday,
    )
    services.sweep_sla()
    contract = world.premium.contracts.get()
    return Screens(
        world,
        {
            "agent": [
                ("desk-queue", reverse("desk_queue")),
                ("desk-queue-mine", reverse("desk_queue") + "?scope=mine"),
                ("desk-ticket", reverse("desk_ticket", args=[p1.pk])),
                ("desk-ticket-downgraded", reverse("desk_ticket", args=[p2.pk])),
                ("desk-ticket-held", reverse("desk_ticket", args=[held.pk])),
                ("desk-ticket-basic", reverse("desk_ticket", args=[basic.pk])),
                ("desk-ticket-breached", reverse("desk_ticket", args=[breached.pk])),
                ("desk-search", reverse("desk_search") + "?q=export"),
                ("desk-new", reverse("desk_new_ticket")),
                (
                    "reports",
                    reverse("reports_attainment") + "?from=2026-01-01&to=2026-12-31&by=plan&by=priority",
                ),
                ("reports-statement", reverse("reports_statement", args=[p2.pk])),
            ],
            "pc": [
                ("portal-tickets", reverse("portal_tickets")),
                ("portal-ticket", reverse("portal_ticket", args=[p2.pk])),
                ("portal-ticket-held", reverse("portal_ticket", args=[held.pk])),
                ("portal-new", reverse("portal_new")),
                ("portal-plan", reverse("portal_plan")),
                ("portal-reports", reverse("reports_attainment")),
            ],
            "claire": [
                ("portal-empty", reverse("portal_tickets")),
                ("portal-plan-basic", reverse("portal_plan")),
            ],
            "boss": [
                ("manage-organisations", reverse("manage_home")),
                ("manage-organisation", reverse("manage_organisation", args=[world.premium.pk])),
                ("manage-contract", reverse("manage_contract", args=[contract.pk])),
                (
                    "manage-calendar",
                    reverse("manage_calendar", args=[contract.pk]) + "?week=2026-12-23&priority=P3",
                ),
                ("manage-people", reverse("manage_people")),
                ("manage-person", reverse("manage_person", args=[world.customer.pk])),
                ("manage-health", reverse("manage_health")),
            ],
            "": [("login", reverse("login"))],
        },
    )


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.get_by_test_id("whoami")).to_be_attached()


def _check_and_shoot(page, name: str, language: str, folder) -> list[str]:
    """Every width and theme of the loaded screen: horizontal overflow and the top bar; screenshots."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for theme in THEMES:
            page.emulate_media(color_scheme=theme)
            scroll, client = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if scroll > client:
                wide = page.evaluate(
                    """(limit) => Array.from(document.querySelectorAll('body *'))
                        .filter(e => e.getBoundingClientRect().right > limit + 1)
                        .slice(0, 3).map(e => e.tagName + '.' + e.className)""",
                    client,
                )
                problems.append(f"{name} {language} {width}px {theme}: {scroll} px wide ({wide})")
            if width == 1280:
                height = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
                if height > 64:  # one line is 52 px: a second line is the defect (French)
                    problems.append(f"{name} {language} {width}px: the top bar wraps ({height:.0f} px)")
            page.screenshot(path=str(folder / f"{name}-{width}-{theme}.png"), full_page=True)
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["agent", "pc", "claire", "boss", ""])
def test_every_screen_fits_both_widths_in_both_themes(
    page, live_server, screens, artefacts_dir, who, language
):
    folder = artefacts_dir / "screens" / language
    folder.mkdir(parents=True, exist_ok=True)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    if who:
        _sign_in(page, live_server.url, who)
    problems = []
    for name, url in screens.urls[who]:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server.url}{url}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        # Folded parts open, so that they are measured and seen too.
        page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")
        problems += _check_and_shoot(page, name, language, folder)
    assert not problems, "\n".join(problems)
