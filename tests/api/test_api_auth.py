"""Bearer tokens: who gets in, who gets 401, and how often last_used_at is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from guichet.accounts.models import ApiToken

from .conftest import Api

PROTECTED = ["/me", "/tickets", "/organisations", "/preview"]


def assert_401(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["code"] == "unauthenticated" and body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", PROTECTED)
def test_missing_token_is_401(world, path):
    assert_401(Api(None).get(path))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer gch_not-a-real-token",
        "Basic YWxpY2U6eA==",
        "Token abc",
        "Bearer " + "x" * 500,
    ],
)
def test_malformed_or_unknown_token_is_401(world, header):
    response = Client().get("/api/v1/me", headers={"Authorization": header})
    assert_401(response)


def test_valid_token_identifies_its_person(world):
    response = world.api("bob").get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == "bob"
    assert response.json()["organisation_id"] == world.org_b.pk


def test_revoked_token_is_401_immediately(world):
    api = world.api("alice")
    assert api.get("/me").status_code == 200
    ApiToken.objects.filter(person=world.alice).update(revoked_at=timezone.now())
    assert_401(api.get("/me"))


def test_expired_token_is_401(world):
    api = world.api("alice")
    ApiToken.objects.filter(person=world.alice).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_401(api.get("/me"))


def test_token_with_future_expiry_works(world):
    ApiToken.objects.filter(person=world.alice).update(expires_at=timezone.now() + dt.timedelta(days=1))
    assert world.api("alice").get("/me").status_code == 200


def test_deactivated_person_is_401(world):
    world.alice.is_active = False
    world.alice.save(update_fields=["is_active"])
    assert_401(world.api("alice").get("/me"))


def test_token_in_query_string_is_ignored(world):
    assert_401(Api(None).get("/me", token=world.tokens["alice"], access_token=world.tokens["alice"]))


def test_session_cookie_does_not_authenticate_the_api(world):
    client = Client()
    client.force_login(world.agent)
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_last_used_at_written_at_most_once_a_minute(world):
    token = ApiToken.objects.get(person=world.alice)
    assert token.last_used_at is None
    api = world.api("alice")
    api.get("/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api.get("/me")
    api.get("/tickets")
    token.refresh_from_db()
    assert token.last_used_at == first  # same minute: no new write

    stale = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    api.get("/me")
    token.refresh_from_db()
    assert token.last_used_at > stale + dt.timedelta(minutes=1)


def test_no_write_query_when_token_recently_used(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = world.api("alice")
    api.get("/me")  # stamps last_used_at
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/me").status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert writes == []
