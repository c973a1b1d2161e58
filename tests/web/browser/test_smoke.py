"""Browser smoke test: Debian's Chromium signs in as a demo agent and a demo customer, switches the
language, and leaves screenshots in test-artefacts/ for a human to look at."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from guichet.ops.demo import demo_logins, loaddemo_available

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo(transactional_db, fast_passwords) -> dict[str, tuple[str, str]]:
    """The demo data, loaded by the command bin/run uses; one login per role."""
    if not loaddemo_available():
        pytest.fail("guichet/demo has no loaddemo command; the smoke test signs in with the demo data.")
    call_command("loaddemo", verbosity=0)
    logins: dict[str, tuple[str, str]] = {}
    for login in demo_logins():
        logins.setdefault(login.role, (login.username, login.password))
    assert {"agent", "customer"} <= logins.keys(), f"demo logins lack an agent or a customer: {logins}"
    return logins


def _sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("whoami").count() == 1, f"{username} could not sign in: {page.url}"


def _switch_language(page, code: str) -> None:
    # With script, choosing the language submits it; the OK button is only for browsers without.
    expect(page.locator("#language-submit")).to_be_hidden()
    with page.expect_navigation():
        page.select_option("#language-select", code)


def test_agent_and_customer_sign_in_and_switch_language(page, live_server, demo, artefacts_dir):
    base = live_server.url

    agent, agent_password = demo["agent"]
    _sign_in(page, base, agent, agent_password)
    assert "/desk/" in page.url
    page.screenshot(path=artefacts_dir / "smoke-agent-desk-en.png", full_page=True)
    # Whatever the agent's profile language, choose English explicitly first, then French.
    _switch_language(page, "en")
    assert page.get_by_role("button", name="Sign out").is_visible()
    _switch_language(page, "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert "/desk/" in page.url  # the switch returns to the same page
    page.screenshot(path=artefacts_dir / "smoke-agent-desk-fr.png", full_page=True)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{base}/login/**")
    assert page.get_by_test_id("whoami").count() == 0

    customer, customer_password = demo["customer"]
    _switch_language(page, "en")
    _sign_in(page, base, customer, customer_password)
    assert "/portal/" in page.url
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.screenshot(path=artefacts_dir / "smoke-customer-portal-en.png", full_page=True)
    # A customer cannot reach the agent desk (asked with the page's cookies, outside the page, so
    # the expected 404 is not a console error).
    assert page.request.get(f"{base}/desk/").status == 404
