"""Forms in Debian's Chromium where the browser itself matters: date inputs in French."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from guichet.contracts.models import Contract
from tests.factories import PASSWORD
from tests.web.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(transactional_db, settings, tmp_path, inline_tasks, fast_passwords) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


def test_issue_11_defect_1_a_contract_edited_in_french_keeps_its_dates(
    page, live_server, world, artefacts_dir
):
    """French wrote the dates as 01/11/2026, which <input type=date> shows as empty: saving after
    retyping the start date erased "valid until"."""
    contract = world.premium.contracts.get()
    contract.valid_from, contract.valid_until = dt.date(2026, 11, 1), dt.date(2027, 10, 31)
    contract.save()
    before = Contract.objects.filter(pk=contract.pk).values().get()
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/manage/contracts/{contract.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#id_valid_from")).to_have_value("2026-11-01")
    expect(page.locator("#id_valid_until")).to_have_value("2027-10-31")
    page.fill("#id_valid_from", "2026-11-01")  # retyped
    page.screenshot(path=str(artefacts_dir / "contract-fr-dates.png"), full_page=True)
    page.click("form.card button.primary")
    expect(page.locator(".toast")).to_contain_text("Contrat enregistré")
    assert Contract.objects.filter(pk=contract.pk).values().get() == before
