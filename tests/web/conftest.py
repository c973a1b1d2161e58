from __future__ import annotations

import pytest

from tests.factories import World


@pytest.fixture(autouse=True)
def _inline_work(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUICHET_DOWNGRADE_MIN_ATTEMPTS = 1
    # Hashing is not under test here; the default hasher costs a second per World.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return World()
