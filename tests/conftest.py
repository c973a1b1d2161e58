"""Fixtures shared by the whole suite.

Servers: tests marked `postgres` or `redis` need the real server (PostgreSQL and Redis on 127.0.0.1).
Without it they skip with the reason, except under CI=true, where a missing server fails the test.
The `browser` mark does the same for Debian's Chromium. Tests marked `postgres_only` need the test
database itself to be PostgreSQL (row locks, concurrent writers): they skip in the SQLite pass of
bin/test and run in its PostgreSQL pass. Screenshots and other files a test wants a
human to look at go to test-artefacts/ (git-ignored).

Settings most folders share (`fast_passwords`, `inline_tasks`, `desk_settings`) and the common
organisations and people (`premium_org`, `basic_org`, `agent`, `lead`, `premium_customer`,
`basic_customer`) are fixtures here; the data itself comes from tests/factories.py.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from guichet.accounts.models import Role
from guichet.contracts.models import Plan
from tests.factories import make_org, make_person

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS_DIR = REPO_ROOT / "test-artefacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The server the `postgres` tests create their own databases on (never a production database).
POSTGRES_SERVER_URL = os.environ.get(
    "GUICHET_TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("GUICHET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
UNDER_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer machine; under CI a missing prerequisite is a failure, not a skip."""
    if UNDER_CI:
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


def _tcp_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


@functools.cache
def postgres_unavailable() -> str | None:
    """None if PostgreSQL answers a query, else why not."""
    if not _tcp_open(POSTGRES_SERVER_URL, 5432):
        return f"PostgreSQL is not reachable at {POSTGRES_SERVER_URL}"
    import psycopg

    try:
        with psycopg.connect(POSTGRES_SERVER_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_SERVER_URL} refused the connection: {exc}"
    return None


@functools.cache
def redis_unavailable() -> str | None:
    if not _tcp_open(REDIS_URL, 6379):
        return f"Redis is not reachable at {REDIS_URL}"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} did not answer PING: {exc}"
    return None


def chromium_unavailable() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium; bin/setup does it as root)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres_only") is not None:
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            pytest.skip("needs the test database on PostgreSQL: runs in the PostgreSQL pass of bin/test")
    checks = {"postgres": postgres_unavailable, "redis": redis_unavailable, "browser": chromium_unavailable}
    for marker, unavailable in checks.items():
        if item.get_closest_marker(marker) is not None:
            reason = unavailable()
            if reason:
                skip_or_fail(reason)


# --- Isolation --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _language_and_zone_reset() -> Iterator[None]:
    """A request activates its person's language and zone in the test's thread (the locale and
    person middleware) and nothing deactivates them: without this, a test that reads a French page
    leaves the tests after it in French."""
    yield
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()


# --- Settings ---------------------------------------------------------------------------------------


@pytest.fixture
def fast_passwords(settings) -> None:
    """Password hashing is deliberately slow (about a second a person); no test here is about it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def inline_tasks(settings) -> None:
    """django.tasks run inline, at once (Django's immediate backend rather than Huey's, which waits
    for the commit), so a notification's mail is in the locmem outbox when the service returns."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def desk_settings(settings, tmp_path, inline_tasks, fast_passwords) -> None:
    """What the tests of the desk's rules assume (the folders of the apps up to tickets use it for
    every test): inline tasks, fast hashing, the SLA warning thresholds and the downgrade rule at
    their documented defaults whatever the environment says, attachments under tmp_path."""
    settings.GUICHET_SLA_WARN_PERCENT = 75
    settings.GUICHET_SLA_WARN_BEFORE_MINUTES = 30
    settings.GUICHET_DOWNGRADE_MIN_ATTEMPTS = 1
    settings.MEDIA_ROOT = tmp_path / "media"  # attachments never land in the working tree


# --- Common organisations and people -----------------------------------------------------------------


@pytest.fixture
def premium_org(db):
    return make_org("Premium Co", Plan.PREMIUM)


@pytest.fixture
def basic_org(db):
    return make_org("Basic Co", Plan.BASIC)


@pytest.fixture
def agent(db):
    return make_person("agent", Role.AGENT)


@pytest.fixture
def lead(db):
    return make_person("lead", Role.LEAD)


@pytest.fixture
def premium_customer(premium_org):
    return make_person("pc", org=premium_org, phone="+33 1 23 45 67 89")


@pytest.fixture
def basic_customer(basic_org):
    return make_person("bc", org=basic_org, phone="+33 1 98 76 54 32")


# --- Servers ------------------------------------------------------------------------------------------


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test (dropped afterwards); yields its URL."""
    import psycopg

    reason = postgres_unavailable()
    if reason:
        skip_or_fail(reason)
    name = f"guichet_t_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES_SERVER_URL
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_SERVER_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_queue_name() -> Iterator[str]:
    """A Huey queue name unique to this test on the Redis server; its keys are deleted afterwards."""
    import redis

    reason = redis_unavailable()
    if reason:
        skip_or_fail(reason)
    name = f"guichet-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{name}*"))
    if keys:
        client.delete(*keys)


# --- Browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def artefacts_dir() -> Path:
    ARTEFACTS_DIR.mkdir(exist_ok=True)
    return ARTEFACTS_DIR


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    reason = chromium_unavailable()
    if reason:
        skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM would refuse to run in the
    # test body. The live server runs in its own thread, so this only relaxes the test thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page; console errors (a CSP violation, a JS error) fail the test."""
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"Browser console errors: {errors}"
