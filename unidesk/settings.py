"""Django settings for unidesk.

Everything an operator sets comes from the environment (see docs/configuration.md);
the defaults give a working single-machine desk on SQLite under ``UNIDESK_DATA_DIR``.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("UNIDESK_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _load_or_create_secret_key() -> str:
    """The key signs sessions and derives the key that encrypts channel secrets at rest,
    so it is generated once and kept beside the data it protects."""
    configured = os.environ.get("UNIDESK_SECRET_KEY", "").strip()
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


SECRET_KEY = _load_or_create_secret_key()
DEBUG = _env_flag("UNIDESK_DEBUG", False)

BIND = os.environ.get("UNIDESK_BIND", "127.0.0.1:8000")
BASE_URL = os.environ.get("UNIDESK_BASE_URL", "").rstrip("/") or f"http://{BIND}"


def _allowed_hosts() -> list[str]:
    configured = os.environ.get("UNIDESK_ALLOWED_HOSTS", "").strip()
    if configured:
        return [host.strip() for host in configured.split(",") if host.strip()]
    bind_host = BIND.rsplit(":", 1)[0].strip("[]")
    every_interface = bind_host in {"0.0.0.0", "::", ""}  # noqa: S104
    if every_interface and not os.environ.get("UNIDESK_BASE_URL"):
        # Listening on every interface without a declared public address: the operator
        # reaches the desk by whatever name the machine has.
        return ["*"]
    hosts = {"localhost", "127.0.0.1", "[::1]", bind_host}
    base_host = urlsplit(BASE_URL).hostname
    if base_host:
        hosts.add(base_host)
    return sorted(hosts)


ALLOWED_HOSTS = _allowed_hosts()
CSRF_TRUSTED_ORIGINS = [BASE_URL] if BASE_URL.startswith("https://") else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "unidesk.core",
    "unidesk.accounts",
    "unidesk.customers",
    "unidesk.tickets",
    "unidesk.channels",
    "unidesk.channels.api",
    "unidesk.channels.email",
    "unidesk.channels.telegram",
    "unidesk.channels.whatsapp",
    "unidesk.channels.vk",
    "unidesk.channels.meta",
    "unidesk.channels.phone",
    "unidesk.crosschannel",
    "unidesk.csat",
    "unidesk.reports",
    "unidesk.channels.webchat",
    "unidesk.automation",
    "unidesk.workspace",
    "unidesk.api",
    "unidesk.apps.UnideskConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "unidesk.core.middleware.NulFreeInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "unidesk.accounts.middleware.AgentPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "unidesk.api.middleware.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "unidesk.urls"
ASGI_APPLICATION = "unidesk.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------

SQLITE_PATH = DATA_DIR / "unidesk.sqlite3"
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    _db = dj_database_url.parse(_database_url, conn_max_age=0, conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})
        _db["OPTIONS"]["pool"] = {
            "min_size": _env_int("UNIDESK_DB_POOL_MIN", 2),
            "max_size": _env_int("UNIDESK_DB_POOL_MAX", 20),
            "timeout": 30,
        }
        _db["CONN_HEALTH_CHECKS"] = False
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend; the threads of a process queue for writing in-process.
            "ENGINE": "unidesk.core.sqlite",
            "NAME": str(SQLITE_PATH),
            # Tests use a file too: concurrency behaves as in production (WAL, busy
            # timeout), which an in-memory shared-cache database does not.
            "TEST": {"NAME": str(DATA_DIR / "test-unidesk.sqlite3")},
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on
                # busy_timeout instead of failing when a read lock cannot be upgraded.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-32000;"
                    "PRAGMA temp_store=MEMORY;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background work and realtime ---------------------------------------------------

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "outbox"],
    }
}

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "unidesk:ch"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "unidesk",
        }
    }
else:
    # One server process: the layer lives in it (see unidesk.core.realtime).
    CHANNEL_LAYERS = {"default": {"BACKEND": "unidesk.core.realtime.InProcessChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.Agent"
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "workspace:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- i18n -----------------------------------------------------------------------------

LANGUAGE_CODE = os.environ.get("UNIDESK_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("UNIDESK_TIME_ZONE", "UTC")

# --- files ----------------------------------------------------------------------------

# Static files (whitenoise) and attachment downloads are files read by a synchronous
# iterator; under ASGI Django reads them in a worker thread and warns once per response
# that an asynchronous iterator would be faster. They are small and few per page: the
# warning would only fill operators' logs.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: attachments go through a permission check
# Replies of the demo desk's channels are kept here instead of being sent
# (``channels.demo_delivery``): its mailboxes' letters as .eml files.
DEMO_OUTBOX_DIR = DATA_DIR / "demo-outbox"

MAX_ATTACHMENT_BYTES = _env_int("UNIDESK_MAX_ATTACHMENT_MB", 25) * 1024 * 1024
MAX_ATTACHMENTS_PER_MESSAGE = 20
# Base64 inflates by 4/3; the request as a whole may carry a few attachments.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_ATTACHMENT_BYTES * 2 + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- unidesk behaviour ----------------------------------------------------------------

UNIDESK = {
    # A customer's reply to a solved ticket within this many days reopens it;
    # later replies start a new ticket.
    "REOPEN_WINDOW_DAYS": _env_int("UNIDESK_REOPEN_WINDOW_DAYS", 7),
    "DELIVERY_MAX_ATTEMPTS": _env_int("UNIDESK_DELIVERY_MAX_ATTEMPTS", 10),
    "DELIVERY_TIMEOUT_SECONDS": _env_int("UNIDESK_DELIVERY_TIMEOUT", 15),
    "DEMO": _env_flag("UNIDESK_DEMO", True),
    "EMBEDDED_WORKER": _env_flag("UNIDESK_EMBEDDED_WORKER", True),
    # Web chat: what one visitor and one IP address may do (docs/webchat.md).
    "WEBCHAT_VISITOR_MESSAGES_PER_MINUTE": _env_int("UNIDESK_WEBCHAT_VISITOR_PER_MINUTE", 30),
    "WEBCHAT_VISITOR_BURST_PER_10S": _env_int("UNIDESK_WEBCHAT_VISITOR_BURST", 8),
    "WEBCHAT_IP_MESSAGES_PER_MINUTE": _env_int("UNIDESK_WEBCHAT_IP_PER_MINUTE", 120),
    "WEBCHAT_IP_CONNECTIONS_PER_MINUTE": _env_int("UNIDESK_WEBCHAT_IP_CONNECTIONS", 120),
    "WEBCHAT_UPLOADS_PER_HOUR": _env_int("UNIDESK_WEBCHAT_UPLOADS_PER_HOUR", 30),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "unidesk": {"handlers": ["console"], "level": os.environ.get("UNIDESK_LOG", "INFO")},
        "django_tasks_db": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
