"""Settings come from the environment only; production settings pass `check --deploy` cleanly."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys

import pytest

from tests.ops.procs import child_env, guichet

pytestmark = pytest.mark.standalone

# Importing the settings module alone (no django.setup()) is enough to see what the environment
# produces, and takes a fraction of a second.
PRINT_SETTINGS = (
    "import json; import guichet.settings as s; db = s.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}), "
    "'huey': s.HUEY['huey_class'], 'immediate': s.HUEY.get('immediate'), 'debug': s.DEBUG, "
    "'hosts': s.ALLOWED_HOSTS, 'log_level': s.LOG_LEVEL, "
    "'ssl_redirect': getattr(s, 'SECURE_SSL_REDIRECT', False)}, default=str))"
)


def _settings_from(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=env, capture_output=True, text=True, check=False
    )


def _settings(tmp_path, **env: str) -> dict:
    done = _settings_from(child_env(tmp_path, **env))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    return child_env(
        tmp_path,
        GUICHET_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="desk.example.com",
        # The Ed25519 seed that signs the monthly statements (base64 of 32 bytes).
        GUICHET_STATEMENT_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        **extra,
    )


def test_production_settings_pass_check_deploy_without_any_warning(tmp_path):
    done = guichet("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stderr


def test_production_without_a_statement_key_warns_under_check_deploy(tmp_path):
    env = production_env(tmp_path)
    del env["GUICHET_STATEMENT_KEY"]
    done = guichet("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode != 0 and "statements.W001" in done.stderr


def test_development_settings_do_warn_under_check_deploy(tmp_path):
    # The check above must be able to fail: the development defaults (DEBUG, no HSTS) are flagged.
    done = guichet("check", "--deploy", "--fail-level", "WARNING", env=child_env(tmp_path))
    assert done.returncode != 0
    assert "security.W018" in done.stderr  # DEBUG on


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    done = _settings_from(env)
    assert done.returncode != 0
    assert "SECRET_KEY must be set when GUICHET_ENV=production" in done.stderr


def test_unknown_task_storage_is_a_clear_error(tmp_path):
    done = _settings_from(child_env(tmp_path, GUICHET_TASKS="rabbit"))
    assert done.returncode != 0
    assert "GUICHET_TASKS must be sqlite, redis or immediate, not 'rabbit'" in done.stderr


def test_defaults_are_embedded_sqlite_database_and_queue(tmp_path):
    env = child_env(tmp_path)
    del env["DATABASE_URL"], env["GUICHET_TASKS"]
    done = _settings_from(env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(tmp_path / "var" / "guichet.sqlite3")
    assert found["options"]["transaction_mode"] == "IMMEDIATE"
    assert found["huey"] == "huey.SqliteHuey"
    assert found["immediate"] is False
    assert found["debug"] is True


def test_production_and_scale_out_settings(tmp_path):
    found = _settings(
        tmp_path,
        GUICHET_ENV="production",
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://desk:pw@db.internal:5433/guichet",
        DATABASE_POOL_MAX="7",
        GUICHET_TASKS="redis",
        ALLOWED_HOSTS="a.example,b.example",
        LOG_LEVEL="debug",
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["name"] == "guichet"
    assert found["options"]["pool"] == {"min_size": 2, "max_size": 7}
    assert found["huey"] == "huey.PriorityRedisHuey"
    assert found["hosts"] == ["a.example", "b.example"]
    assert found["log_level"] == "DEBUG"
    assert found["debug"] is False
    assert found["ssl_redirect"] is True


def test_console_script_lists_the_desk_commands(tmp_path):
    done = guichet("help", "--commands", env=child_env(tmp_path))
    assert done.returncode == 0, done.stderr
    commands = set(done.stdout.split())
    assert {"serve", "worker", "ping", "ensuredemo", "loaddemo", "run_huey", "compilemessages"} <= commands
