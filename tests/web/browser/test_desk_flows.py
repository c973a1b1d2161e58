"""The desk and the portal in Debian's Chromium: the main journeys, with screenshots.

The shared `page` fixture fails a test on any browser console error, so a CSP violation (an
inline script or style slipping in) fails here too.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from guichet.tickets import services
from tests.factories import PASSWORD, open_ticket
from tests.web.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(transactional_db, settings, tmp_path, inline_tasks, fast_passwords) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUICHET_DOWNGRADE_MIN_ATTEMPTS = 1
    return World()


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_be_visible()


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("Sign out|Se déconnecter")).click()


def shot(page, artefacts_dir, name: str) -> None:
    page.screenshot(path=str(artefacts_dir / f"desk-{name}.png"), full_page=True)


def test_customer_opens_p1_agent_answers_and_clock_is_met(page, live_server, world, artefacts_dir):
    sign_in(page, live_server, "pc")
    page.get_by_role("link", name="New ticket", exact=True).click()
    page.fill("#id_subject", "Nobody can log in")
    page.fill("#id_body", "Since 9:00 every login fails after MFA.")
    page.check("#prio-P1")
    # The HTMX fragment shows the due time before submitting.
    expect(page.locator("#due-preview")).to_contain_text("first response for a P1 ticket is due by")
    preview = page.locator("#due-preview").inner_text()
    page.check("#id_impact_confirmed")
    page.fill("#id_contact_phone", "+33 6 12 34 56 78")
    shot(page, artefacts_dir, "portal-new-ticket")
    page.click("text=Submit the ticket")
    expect(page.locator("h1")).to_contain_text("Nobody can log in")
    expect(page.get_by_text("within 30 min of support time")).to_be_visible()
    due_text = re.search(r"due by (.+?)\.", preview).group(1)
    expect(page.locator("dl.facts")).to_contain_text(due_text.split(",")[0])
    shot(page, artefacts_dir, "portal-ticket")
    ticket_id = int(re.search(r"#(\d+)", page.locator("h1").inner_text()).group(1))

    # Earlier, less urgent tickets sit below it: the P1 is due first.
    open_ticket(world.customer, "P3", subject="Question on exports")
    open_ticket(world.basic_customer, "P2", subject="Slow reports")
    sign_out(page)
    sign_in(page, live_server, "agent")
    expect(page.locator("h1")).to_have_text("Team queue")
    first_row = page.locator("tr[data-ticket-id]").first
    expect(first_row).to_have_attribute("data-ticket-id", str(ticket_id))
    expect(first_row.locator(".clock")).to_contain_text("left")
    shot(page, artefacts_dir, "queue")
    # Keyboard: j selects the first ticket, Enter opens it, r goes to the reply box.
    page.locator("body").press("j")
    expect(first_row).to_have_class(re.compile("selected"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Nobody can log in")
    page.locator("h1").click()
    page.keyboard.press("r")
    expect(page.locator("#reply-body")).to_be_focused()
    page.keyboard.type("We are restoring the MFA service now.")
    page.click("text=Send reply")
    expect(page.locator(".flash")).to_contain_text("Reply saved")
    expect(page.locator("#sla-panel .clock")).to_contain_text("Met")
    expect(page.locator("#sla-panel")).to_contain_text("First response given")
    page.locator("#why-due summary").click()
    expect(page.locator("#why-due .timeline")).to_be_visible()
    shot(page, artefacts_dir, "ticket")
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_visible()
    shot(page, artefacts_dir, "shortcuts")
    page.keyboard.press("Escape")

    sign_out(page)
    sign_in(page, live_server, "pc")
    page.goto(f"{live_server.url}/portal/tickets/{ticket_id}/")
    expect(page.locator("dl.facts")).to_contain_text("Met")
    expect(page.locator(".conversation")).to_contain_text("We are restoring the MFA service now.")


def test_agent_downgrades_with_reason_after_a_contact_attempt(page, live_server, world, artefacts_dir):
    ticket = open_ticket(world.customer, "P1", subject="Site unreachable")
    sign_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    page.locator("#downgrade summary").click()
    # Without a contact attempt the service refuses, and says why.
    page.fill("#downgrade-reason", "Customer not answering")
    page.click("#downgrade button.danger")
    expect(page.locator("#downgrade .errors")).to_contain_text("attempt")
    page.select_option("#contact-channel", "phone")
    page.fill("#contact-note", "Called twice, voicemail")
    page.click("text=Log contact attempt")
    expect(page.locator(".flash")).to_contain_text("Contact attempt logged")
    page.locator("#downgrade summary").click()
    page.fill("#downgrade-reason", "Customer not answering since 10:00")
    page.click("#downgrade button.danger")
    expect(page.locator(".flash")).to_contain_text("Priority downgraded")
    expect(page.locator(".ticket-head .badge").first).to_contain_text("P2")
    expect(page.locator("#sla-panel")).to_contain_text("Customer not answering since 10:00")
    shot(page, artefacts_dir, "downgraded")


def test_basic_customer_sees_no_phone_channel(page, live_server, world, artefacts_dir):
    sign_in(page, live_server, "bc")
    page.goto(f"{live_server.url}/portal/new/")
    expect(page.locator("#phone-channel")).to_have_count(0)
    page.goto(f"{live_server.url}/portal/plan/")
    expect(page.locator("h1")).to_contain_text("Basic Co")
    expect(page.locator("#phone-channel")).to_have_count(0)
    expect(page.get_by_text("Web portal, e-mail")).to_be_visible()
    shot(page, artefacts_dir, "portal-plan-basic")
    sign_out(page)
    sign_in(page, live_server, "pc")
    page.goto(f"{live_server.url}/portal/plan/")
    expect(page.locator("#phone-channel")).to_be_visible()


def test_french_interface_end_to_end(page, live_server, world, artefacts_dir):
    page.goto(f"{live_server.url}/login/")
    with page.expect_navigation():
        page.select_option("#language-select", "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    sign_in(page, live_server, "pc")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto(f"{live_server.url}/portal/new/")
    # An empty form: Django's own French messages come back next to the fields.
    page.click("button[type=submit].primary")
    expect(page.locator(".errorlist").first).to_contain_text("Ce champ est obligatoire")
    page.fill("#id_subject", "Export impossible")
    page.fill("#id_body", "Le bouton ne répond plus.")
    page.check("#prio-P3")
    expect(page.locator("#due-preview")).to_contain_text("P3")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text("Export impossible")
    # Dates are written the French way (day and month names from Django's French locale).
    expect(page.locator("dl.facts")).to_contain_text(re.compile(r"(lun|mar|mer|jeu|ven|sam|dim) \d{1,2} "))
    shot(page, artefacts_dir, "portal-ticket-fr")
    sign_out(page)
    sign_in(page, live_server, "agent")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("tr[data-ticket-id]").first).to_contain_text("Export impossible")
    shot(page, artefacts_dir, "queue-fr")


def test_phone_layout_stacks_the_queue(page, live_server, world, artefacts_dir):
    open_ticket(world.customer, "P1", subject="Phone layout check")
    services.add_note(actor=world.agent, ticket=open_ticket(world.customer, "P2"), body="note")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "agent")
    row = page.locator("tr[data-ticket-id]").first
    box = row.bounding_box()
    assert box is not None and box["width"] <= 390
    shot(page, artefacts_dir, "queue-phone")


def test_queue_updates_without_reload_and_the_countdown_ticks(page, live_server, world, artefacts_dir):
    open_ticket(world.customer, "P1", subject="First one")  # Premium 24x7: its clock runs now
    sign_in(page, live_server, "agent")
    clock = page.locator("tr[data-ticket-id] .clock-text").first
    before = clock.inner_text()
    expect(clock).not_to_have_text(before, timeout=5000)  # guichet.js ticks every second
    page.evaluate("window.marker = 'same page'")
    fresh = open_ticket(world.customer, "P1", subject="Arrived while watching")
    # What the 30 s poll does, triggered now: the list partial is fetched and swapped in place.
    page.evaluate(
        "htmx.ajax('GET', document.getElementById('queue-rows').getAttribute('hx-get'),"
        " {target: '#queue-rows', swap: 'outerHTML'})"
    )
    expect(page.locator(f'tr[data-ticket-id="{fresh.pk}"]')).to_be_visible()
    assert page.evaluate("window.marker") == "same page"  # no reload
    expect(page.locator("tr[data-ticket-id] .clock-text").first).to_contain_text("left")


def test_administrator_sets_up_a_customer_and_previews_its_calendar(page, live_server, world, artefacts_dir):
    sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/manage/")
    shot(page, artefacts_dir, "manage-organisations")
    page.get_by_role("link", name="New organisation").first.click()
    page.fill("#id_name", "Nordic Widgets")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("Organisation saved")
    page.get_by_role("link", name="Add a contract").click()
    page.fill("#id_reference", "Q-NW-1")
    page.select_option("#id_plan", "premium")
    page.fill("#id_time_zone", "Europe/Oslo")
    page.fill("#id_holiday_country", "no")
    page.fill("#id_valid_from", "2026-01-01")
    page.fill("#id_target_P1", "20")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("Contract saved")
    expect(page.get_by_role("table").last).to_contain_text("20 min")
    shot(page, artefacts_dir, "manage-contract")
    page.get_by_role("link", name="Preview the calendar").click()
    page.fill("#id_week", "2026-12-23")
    page.select_option("#id_priority", "P3")
    page.click("button.primary")
    # P3 runs on the customer's business hours: Christmas Day is closed and named.
    expect(page.locator(".week")).to_contain_text("09:00–17:00")
    expect(page.locator(".day.closed").first).to_be_visible()
    shot(page, artefacts_dir, "manage-calendar")
    sign_out(page)
    open_ticket(world.customer, "P3", subject="Where is the export button?")
    sign_in(page, live_server, "pc")
    expect(page.locator("table.queue")).to_contain_text("Where is the export button?")
    shot(page, artefacts_dir, "portal-list")
    sign_out(page)
    sign_in(page, live_server, "agent")
    page.keyboard.press("/")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type("export button")
    page.keyboard.press("Enter")
    expect(page.locator("table.queue")).to_contain_text("Where is the export button?")
    shot(page, artefacts_dir, "search")
