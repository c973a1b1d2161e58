"""The report page in Debian's Chromium: filters, table, links; any CSP violation fails (shared `page`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import build_desk

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live_desk(transactional_db, fast_passwords):
    desk = build_desk()
    for person in (desk.agent, desk.acme_customer):
        person.set_password("pw-reports")
        person.save()
    return desk


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-reports")
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("whoami")).to_be_visible()


def test_R_PLAN_4_customer_report_page_in_chromium(page, live_server, live_desk, artefacts_dir):
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/reports/")
    page.fill("#id_from", "2026-03-01")
    page.fill("#id_to", "2026-04-30")
    page.fill("#id_zone", "Europe/Paris")
    page.check("input[name=by][value=month]")
    page.click("text=Show")
    table = page.get_by_test_id("attainment-table")
    expect(table).to_contain_text("2026-03")
    expect(table).not_to_contain_text("Borealis")
    # Acme: a1 a3 a5 met, a2 late, a4 never answered.
    expect(page.get_by_test_id("totals").get_by_test_id("attainment")).to_have_text("60.0 %")
    page.screenshot(path=str(artefacts_dir / "reports-customer.png"), full_page=True)
    csv_href = page.get_by_test_id("export-csv").get_attribute("href")
    assert "from=2026-03-01" in csv_href and "zone=Europe%2FParis" in csv_href
    # The streamed export through the live server (outside any test transaction), with the
    # browser's session: Acme's five tickets only.
    export = page.request.get(f"{live_server.url}{csv_href}")
    assert export.status == 200
    lines = export.text().strip().splitlines()
    assert lines[0].startswith("ticket,external_id,organisation")
    assert len(lines) == 1 + 5
    assert all(",Acme," in line for line in lines[1:])
    page.goto(f"{live_server.url}/reports/tickets/{live_desk.tickets['a5'].pk}/")
    expect(page.get_by_test_id("outcome")).to_have_text("Met")
    expect(page.get_by_test_id("statement")).to_contain_text("Q-ACME (Premium)")
    expect(page.get_by_test_id("ledger")).to_contain_text("First response given")
    page.screenshot(path=str(artefacts_dir / "reports-statement.png"), full_page=True)
