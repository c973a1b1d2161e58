"""On call in Debian's Chromium, notification permission granted: a new Premium P1 notifies the
on-call agent's open desk (a browser notification with sound, and a banner), who acknowledges it
from the notification; screenshots of the schedule's week view and of the paging history."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from guichet.oncall.models import (
    ContactKind,
    Escalation,
    EscalationState,
    PageKind,
    PageRecord,
    Rotation,
    Schedule,
)
from tests.factories import PASSWORD, open_ticket
from tests.oncall.conftest import build_world, method

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser_world(transactional_db, settings, live_server):
    settings.GUICHET_BASE_URL = live_server.url
    return build_world()


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_be_visible()


def test_new_premium_p1_notifies_the_open_desk_and_is_acknowledged_from_the_notification(
    page, live_server, browser_world, artefacts_dir
):
    world = browser_world
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    method(world.alice, ContactKind.BROWSER)
    sign_in(page, live_server, "alice")
    expect(page.get_by_test_id("oncall-now")).to_contain_text("Alice")
    assert page.evaluate("Notification.permission") == "granted"

    ticket = open_ticket(world.premium_customer, "P1", subject="Checkout is down")
    # The desk tab asks for pages every few seconds: the notification and the banner appear.
    expect(page.get_by_test_id("oncall-banner")).to_contain_text("Checkout is down", timeout=15_000)
    page.wait_for_function("window.guichetOncall.notifications.length === 1")
    assert "[P1]" in page.evaluate("window.guichetOncall.notifications[0].title")
    page.screenshot(path=str(artefacts_dir / "oncall-desk-alert.png"), full_page=True)

    # The agent clicks the notification: one click acknowledges.
    page.evaluate("window.guichetOncall.notifications[0].dispatchEvent(new Event('click'))")
    # Alice reads French: "Le ticket n°… est à vous : escalade arrêtée."
    expect(page.get_by_test_id("oncall-banner")).to_contain_text("est à vous")
    esc = Escalation.objects.get(ticket=ticket)
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.acknowledged_by == world.alice
    assert PageRecord.objects.get(ticket=ticket, kind=PageKind.ACKNOWLEDGED).detail["via"] == "link"

    # The paging history on the ticket page.
    page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    history = page.get_by_test_id("paging-history")
    expect(history).to_contain_text("Appelé")
    expect(history).to_contain_text("Pris en charge")
    history.screenshot(path=str(artefacts_dir / "oncall-paging-history.png"))

    # The week view of a follow-the-sun schedule, the week Montréal has changed its clocks and
    # Paris not yet: the hand-offs move by an hour and an hour has nobody on call.
    sun = Schedule.objects.create(name="Follow the sun", time_zone="Europe/Paris")
    Rotation.objects.create(
        schedule=sun,
        name="Paris",
        tier="primary",
        time_zone="Europe/Paris",
        start_date=dt.date(2026, 1, 5),
        members=[world.alice.pk],
        restrict_from=dt.time(8),
        restrict_to=dt.time(20),
    )
    Rotation.objects.create(
        schedule=sun,
        name="Montréal",
        tier="primary",
        time_zone="America/Montreal",
        start_date=dt.date(2026, 1, 5),
        members=[world.bob.pk],
        position=1,
        restrict_from=dt.time(14),
        restrict_to=dt.time(2),
    )
    Rotation.objects.create(
        schedule=sun,
        name="Leads",
        tier="secondary",
        time_zone="Europe/Paris",
        start_date=dt.date(2026, 1, 5),
        members=[world.carol.pk, world.alice.pk],
    )
    page.goto(f"{live_server.url}/oncall/?schedule={sun.pk}&week=2026-03-09&zone=Europe/Paris")
    expect(page.get_by_test_id("oncall-week")).to_contain_text("Montréal")
    page.screenshot(path=str(artefacts_dir / "oncall-week.png"), full_page=True)
