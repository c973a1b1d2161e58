"""Statements in the portal (the tenancy rule of guichet.tickets.selectors), the public key at the
well-known URL, and where the signing key comes from."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management import call_command
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.contracts.models import Plan
from guichet.sla.statement import key_id
from guichet.statements import keys
from guichet.statements.builder import produce
from guichet.statements.checks import statement_key
from tests.factories import make_org, make_person

from .conftest import AS_OF, MONTH, pem_key


@pytest.fixture
def two(world):
    other_org = make_org("Borealis", Plan.PREMIUM)
    other = make_person("bob", org=other_org, password=None)
    mine, _ = produce(world.acme, MONTH, as_of=AS_OF)
    theirs, _ = produce(other_org, MONTH, as_of=AS_OF)
    return mine, theirs, other


def test_a_customer_sees_only_their_organisations_statements(client, world, two):
    mine, theirs, _other = two
    client.force_login(world.billing)
    page = client.get(reverse("statements_list")).content.decode()
    assert reverse("statements_detail", args=[mine.pk]) in page
    assert reverse("statements_detail", args=[theirs.pk]) not in page
    detail = client.get(reverse("statements_detail", args=[mine.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Relevé SLA" in html and 'data-testid="missed-target"' in html and "<svg" in html
    assert keys.public_info()["public_key"] in html
    assert "<style" not in html and "style=" not in html  # strict CSP: no inline style
    got = client.get(reverse("statements_json", args=[mine.pk]))
    assert got.status_code == 200 and got.content.decode() == mine.document
    pdf = client.get(reverse("statements_pdf", args=[mine.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for name in ("statements_detail", "statements_json", "statements_pdf"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.get(reverse(name, args=[theirs.pk + 1000])).status_code == 404


def test_staff_see_every_organisation_and_anonymous_nothing(client, world, two):
    mine, theirs, _other = two
    assert client.get(reverse("statements_list")).status_code == 302
    assert client.get(reverse("statements_json", args=[mine.pk])).status_code == 302
    client.force_login(world.agent)
    page = client.get(reverse("statements_list")).content.decode()
    assert "Acme" in page and "Borealis" in page
    assert client.get(reverse("statements_json", args=[theirs.pk])).status_code == 200
    assert "Borealis" in client.get(reverse("statements_list") + "?month=2026-03").content.decode()
    assert "Borealis" not in client.get(reverse("statements_list") + "?month=2026-02").content.decode()


def test_the_public_key_is_published_at_the_well_known_url(client, world, two):
    mine, _theirs, _other = two
    answer = client.get("/.well-known/guichet-statement-key")
    assert answer.status_code == 200
    info = answer.json()
    assert info["algorithm"] == "Ed25519" and info["key_id"] == mine.key_id
    assert info["public_key"] == json.loads(mine.document)["signature"]["public_key"]
    assert info["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    # What a customer saves from that URL is accepted as it is by the verifier.
    from guichet.sla.verify import load_public_key, verify

    assert verify(json.loads(mine.document), load_public_key(answer.content.decode())) is None


def test_the_development_key_is_generated_once_and_kept_private(settings, tmp_path):
    first = keys.public_info()["key_id"]
    path = tmp_path / keys.DEV_FILE
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    keys.private_key.cache_clear()
    assert keys.public_info()["key_id"] == first  # read back, not generated again


def test_the_key_from_the_environment_or_a_file(settings, tmp_path):
    raw = Ed25519PrivateKey.generate()
    seed = raw.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    settings.GUICHET_STATEMENT_KEY = base64.b64encode(seed).decode()
    keys.private_key.cache_clear()
    assert key_id(keys.public_key()) == key_id(raw.public_key())
    settings.GUICHET_STATEMENT_KEY = ""
    pem = tmp_path / "vendor.pem"
    pem.write_text(pem_key())
    settings.GUICHET_STATEMENT_KEY_FILE = str(pem)
    keys.private_key.cache_clear()
    assert keys.private_key() is not None and not (tmp_path / keys.DEV_FILE).exists()
    settings.GUICHET_STATEMENT_KEY = "not a key"
    keys.private_key.cache_clear()
    with pytest.raises(keys.KeyError_, match="GUICHET_STATEMENT_KEY: not an Ed25519 private key"):
        keys.private_key()


def test_production_refuses_to_sign_without_a_key(settings, world):
    settings.PRODUCTION = True
    keys.private_key.cache_clear()
    with pytest.raises(keys.KeyError_, match="production"):
        keys.private_key()
    assert [m.id for m in statement_key()] == ["statements.W001"]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("statement", "--organisation", "Acme", "--month", MONTH)
    settings.GUICHET_STATEMENT_KEY_FILE = "/nonexistent/key.pem"
    keys.private_key.cache_clear()
    assert statement_key() == []
    with pytest.raises(keys.KeyError_, match="No such file"):
        keys.private_key()


def test_the_statement_command_refuses_unknown_input(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation"):
        call_command("statement", "--organisation", "Nobody", "--month", MONTH)
    with pytest.raises(CommandError, match="not a month"):
        call_command("statement", "--organisation", "Acme", "--month", "March")
    with pytest.raises(CommandError, match="has not begun"):
        call_command("statement", "--organisation", "Acme", "--month", "2099-01")
    assert Role.CUSTOMER  # the world is intact
