"""The health probe and the operators' health page (the outbox backlog, failed deliveries, retry)."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.outbox.models import Delivery, DeliveryStatus
from tests.factories import make_person


@pytest.fixture
def admin_client(db, fast_passwords) -> Client:
    client = Client()
    client.force_login(make_person("boss", role="admin"))
    return client


def test_the_probe_says_ok_without_a_login(db):
    response = Client().get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_page_shows_the_backlog_and_retries_failed_deliveries(admin_client, settings):
    # A worker would deliver the retried row later; here it must stay queued to be seen.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    Delivery.objects.create(kind="mail.message", key="mail.message|1", payload={"message_id": 1})
    Delivery.objects.create(
        kind="mail.message", key="mail.message|2", payload={"message_id": 2}, status=DeliveryStatus.FAILED,
        attempts=15, last_error="SMTPServerDisconnected: gone",
    )  # fmt: skip
    page = admin_client.get("/manage/health/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-outbox-pending="1"' in html and 'data-outbox-failed="1"' in html
    assert "SMTPServerDisconnected" in html
    response = admin_client.post("/manage/health/retry/", {"key": ["mail.message|2"]})
    assert response.status_code == 302
    retried = Delivery.objects.get(key="mail.message|2")
    assert retried.status == DeliveryStatus.PENDING and retried.attempts == 0


def test_only_administrators_see_it(db, fast_passwords):
    client = Client()
    client.force_login(make_person("helper", role="agent"))
    # The administration screens answer staff without the role as if they did not exist.
    assert client.get("/manage/health/").status_code == 404
    assert client.post("/manage/health/retry/").status_code == 404
