"""Django settings for guichet, read from the environment only.

Every variable is documented in the README ("Configuration"). The defaults run the desk on an
embedded SQLite database and an embedded SQLite task queue, with nothing else to start.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

# Use the IANA rules shipped by the `tzdata` package, never the machine's older copy, so every
# machine computes the same SLA due times.
zoneinfo.reset_tzpath(to=[])

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GUICHET_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "development" (the default: DEBUG on, local secret) or "production" (secure cookies, HSTS, ...).
GUICHET_ENV = os.environ.get("GUICHET_ENV", "development")
PRODUCTION = GUICHET_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when GUICHET_ENV=production.")
    # Development: a random key kept under var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "guichet.accounts",
    "guichet.contracts",
    "guichet.tickets",
    "guichet.outbox",
    "guichet.web",
    "guichet.demo",
    "guichet.reports",
    "guichet.statements",
    "guichet.oncall",
    "guichet.mail",
    "guichet.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guichet.accounts.middleware.PersonPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "guichet.urls"
WSGI_APPLICATION = "guichet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# DATABASE_URL: sqlite:///path (default var/guichet.sqlite3) or postgres://user@host:port/name.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'guichet.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web processes and the worker write concurrently: WAL plus IMMEDIATE transactions avoid
    # "database is locked" on upgrade from a read to a write lock.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            " PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
        ),
    }
    # Keep each process's connection between requests: opening one and running the PRAGMAs above
    # cost about 0.6 ms of CPU per request (a third of a simple API read). Checked before reuse.
    _db["CONN_MAX_AGE"] = 600
    _db["CONN_HEALTH_CHECKS"] = True
elif (
    _db["ENGINE"] == "django.db.backends.postgresql" and int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")) > 0
):
    # Sync workers serve one request at a time: one persistent connection each (checked before
    # reuse) spares the pool's checkout and return on every request.
    _db["CONN_MAX_AGE"] = int(os.environ["DATABASE_CONN_MAX_AGE"])
    _db["CONN_HEALTH_CHECKS"] = True
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 connection pool: one pool per process, shared by its threads.
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
    }
    _db["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Person"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Background work: django.tasks run by Huey ----------------------------------------------------
# GUICHET_TASKS: "sqlite" (default, a file under var/, no server), "redis" (REDIS_URL, for several
# workers on several machines) or "immediate" (run inline; tests only).
TASK_STORAGE = os.environ.get("GUICHET_TASKS", "sqlite")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_huey_name = os.environ.get("GUICHET_TASKS_NAME", "guichet")
if TASK_STORAGE == "redis":
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": _huey_name,
        "url": REDIS_URL,
        "immediate": False,
    }
elif TASK_STORAGE in {"sqlite", "immediate"}:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": _huey_name,
        "filename": os.environ.get("GUICHET_TASKS_FILE", str(VAR_DIR / "tasks.sqlite3")),
        "immediate": TASK_STORAGE == "immediate",
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"GUICHET_TASKS must be sqlite, redis or immediate, not {TASK_STORAGE!r}.")
GUICHET_WORKER_THREADS = int(os.environ.get("GUICHET_WORKER_THREADS", "2"))
HUEY["consumer"] = {
    "workers": GUICHET_WORKER_THREADS,
    "worker_type": "thread",
}
TASKS = {
    "default": {
        "BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend",
        "ENQUEUE_ON_COMMIT": True,
    }
}

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "guichet" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date and time format per language for every screen (guichet/web/formats, docs/ui.md).
FORMAT_MODULE_PATH = ["guichet.web.formats"]
# Form fields rendered with one wrapper each (label, help, errors, control): guichet/web/forms.py.
FORM_RENDERER = "guichet.web.forms.FormRenderer"

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Mail -----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
# Seconds before an SMTP connection gives up (Django's default waits for ever, holding the delivery).
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@guichet.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The e-mail channel (docs/mail.md): the address customers write to, the IMAP mailboxes to poll
# (imap://user:pass@host:port/INBOX, imaps:// for TLS; comma-separated; empty: no polling), the
# priority of tickets opened by mail (P3 or P4: mail cannot confirm a P1/P2 impact, R-PRIO-5).
GUICHET_SUPPORT_ADDRESS = os.environ.get("GUICHET_SUPPORT_ADDRESS", DEFAULT_FROM_EMAIL)
GUICHET_IMAP_URL = os.environ.get("GUICHET_IMAP_URL", "")
GUICHET_IMAP_DONE_FOLDER = os.environ.get("GUICHET_IMAP_DONE_FOLDER", "")
GUICHET_MAIL_PRIORITY = os.environ.get("GUICHET_MAIL_PRIORITY", "P3")
# Loop breaker: at most this many automatic mails (acknowledgements) to one address per hour.
GUICHET_MAIL_AUTO_LIMIT = int(os.environ.get("GUICHET_MAIL_AUTO_LIMIT", "10"))
# Our MTA's authserv-id: when set, mail without its "dmarc=pass" is held for review (docs/mail.md).
GUICHET_MAIL_AUTHSERV_ID = os.environ.get("GUICHET_MAIL_AUTHSERV_ID", "")
# The phone line shown to Premium customers only (R-PLAN-2, R-CHAN-3); empty: "the number in your quote".
GUICHET_SUPPORT_PHONE = os.environ.get("GUICHET_SUPPORT_PHONE", "")

# --- Security -------------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- SLA and ticket rules (docs/domain.md) -----------------------------------------------------------
GUICHET_SLA_WARN_PERCENT = int(os.environ.get("GUICHET_SLA_WARN_PERCENT", "75"))
GUICHET_SLA_WARN_BEFORE_MINUTES = int(os.environ.get("GUICHET_SLA_WARN_BEFORE_MINUTES", "30"))
GUICHET_DOWNGRADE_MIN_ATTEMPTS = int(os.environ.get("GUICHET_DOWNGRADE_MIN_ATTEMPTS", "1"))
GUICHET_MAX_ATTACHMENT_BYTES = int(os.environ.get("GUICHET_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))

# --- Outbox: side effects of committed writes (docs/outbox.md) ----------------------------------------
# Every worker polls the outbox this often (seconds; the queue only makes it faster); a row being
# delivered is leased for this long (a killed worker's row is retried after it); attempts before a
# delivery is marked failed (an operator can retry it); timeout of one webhook POST.
# Monthly SLA statements (docs/statements.md) are signed with the vendor's Ed25519 key: a PEM
# (PKCS#8) private key or its raw 32 bytes in base64, from the environment or a file. Development
# generates one under GUICHET_VAR_DIR on first use; production refuses to sign without one.
GUICHET_STATEMENT_KEY = os.environ.get("GUICHET_STATEMENT_KEY", "")
GUICHET_STATEMENT_KEY_FILE = os.environ.get("GUICHET_STATEMENT_KEY_FILE", "")
GUICHET_VENDOR_NAME = os.environ.get("GUICHET_VENDOR_NAME", "guichet")

GUICHET_OUTBOX_POLL_SECONDS = float(os.environ.get("GUICHET_OUTBOX_POLL_SECONDS", "5"))
GUICHET_OUTBOX_LEASE_SECONDS = int(os.environ.get("GUICHET_OUTBOX_LEASE_SECONDS", "120"))
GUICHET_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("GUICHET_OUTBOX_MAX_ATTEMPTS", "15"))
GUICHET_WEBHOOK_TIMEOUT = float(os.environ.get("GUICHET_WEBHOOK_TIMEOUT", "10"))

# --- On call (docs/oncall.md) -----------------------------------------------------------------------
# Every worker fires SLA timers, held replies and escalation steps that are due this often (seconds;
# the queue's scheduled tasks are the fast path, this poll the guarantee); the address links in
# pages and notifications start with; how long a one-click acknowledgement link stays valid.
GUICHET_TIMER_POLL_SECONDS = float(os.environ.get("GUICHET_TIMER_POLL_SECONDS", "1"))
GUICHET_BASE_URL = os.environ.get("GUICHET_BASE_URL", "http://127.0.0.1:8000")
GUICHET_ONCALL_ACK_HOURS = int(os.environ.get("GUICHET_ONCALL_ACK_HOURS", "24"))

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "huey": {"level": LOG_LEVEL},
    },
}
