"""Django settings, read from the environment with safe demo defaults.

Everything an operator sets is an environment variable prefixed ``FENGQIAO_``; see docs/deploy.md.
"""

import contextlib
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("FENGQIAO_HOME") or Path.cwd() / "var").resolve()
FENGQIAO_HOME = HOME


def env(name, default=None):
    return os.environ.get(f"FENGQIAO_{name}", default)


def env_bool(name, default=False):
    value = env(name)
    return default if value in (None, "") else value.lower() in ("1", "true", "yes", "on")


def env_list(name, default=""):
    return [item.strip() for item in (env(name) or default).split(",") if item.strip()]


# Demo mode allows the printed demo accounts and development keys; production must turn it off.
DEMO_MODE = env_bool("DEMO", default=True)
DEBUG = env_bool("DEBUG", default=False)

_DEMO_SECRET = "demo-only-secret-key-change-me-7f3a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"  # noqa: S105 — demo mode only
SECRET_KEY = env("SECRET_KEY") or (_DEMO_SECRET if DEMO_MODE else None)
if not SECRET_KEY:
    raise RuntimeError("FENGQIAO_SECRET_KEY must be set when FENGQIAO_DEMO is off")

# Reverse proxies whose X-Forwarded-For / X-Real-IP name the client (addresses or networks, e.g.
# "127.0.0.1,10.0.0.0/8"). Empty: the connecting address is the client, headers are ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "fengqiao.core",
    "fengqiao.org",
    "fengqiao.web",
    "fengqiao.cases",
    "fengqiao.disputes",
    "fengqiao.assistant",
    "fengqiao.risks",
    "fengqiao.registry",
    "fengqiao.fieldwork",
    "fengqiao.insights",
]

MIDDLEWARE = [
    # X-Forwarded-Proto and friends only from FENGQIAO_TRUSTED_PROXIES (before the scheme is read)
    "fengqiao.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # near the top, so the answers given before the views (hostile input, 413, 503) carry it too
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fengqiao.core.middleware.RequestContextMiddleware",
    "fengqiao.core.hostile.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fengqiao.core.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fengqiao.core.middleware.ServiceErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fengqiao.web.context.navigation",
            ],
            "builtins": ["fengqiao.core.templatetags.pii"],
        },
    }
]

# Database: SQLite under FENGQIAO_HOME by default; PostgreSQL in production.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{HOME / 'fengqiao.sqlite3'}"
# PostgreSQL: the application connects as a role that owns nothing (FENGQIAO_DATABASE_URL) and
# migrations run as the owner (FENGQIAO_MIGRATE_DATABASE_URL, same database). `fengqiao migrate`
# and `fengqiao db …` switch to the owner (FENGQIAO_AS_OWNER=1, set by fengqiao.cli) and grant the
# application role only what it needs — no TRUNCATE, no TRIGGER, no DDL (docs/security.md).
MIGRATE_DATABASE_URL = env("MIGRATE_DATABASE_URL") or ""
AS_OWNER = env_bool("AS_OWNER") and bool(MIGRATE_DATABASE_URL)
APP_DATABASE_ROLE = (
    dj_database_url.parse(DATABASE_URL).get("USER", "") if MIGRATE_DATABASE_URL else ""
)
DATABASES = {
    "default": dj_database_url.parse(
        MIGRATE_DATABASE_URL if AS_OWNER else DATABASE_URL, conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A transaction-mode pooler (pgbouncer, docs/deploy.md "Connection pooling") in front of
# PostgreSQL: a server connection serves one transaction at a time, so nothing may outlive a
# transaction on it — no server-side cursors WITH HOLD (``QuerySet.iterator()`` outside a
# transaction). The code keeps no other session state (no SET, LISTEN or session advisory locks;
# tests/core/test_pgbouncer.py runs the main flows through a real pgbouncer).
DATABASE_POOLED = env_bool("DATABASE_POOLED")
# A streaming replica (docs/deploy.md "Read replica"): figures, exports and searches read from the
# alias "replica" (fengqiao.core.dbrouting); everything else, every write and every read inside a
# transaction stay on "default". Unset: one database.
REPLICA_DATABASE_URL = "" if AS_OWNER else (env("REPLICA_DATABASE_URL") or "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(REPLICA_DATABASE_URL, conn_max_age=60)
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 3}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _alias in DATABASES.values():
    if _alias["ENGINE"].endswith("postgresql"):
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOLED
DATABASE_ROUTERS = ["fengqiao.core.dbrouting.ReplicaRouter"]
# After the replica failed to answer, read from the primary for this many seconds.
REPLICA_RETRY_SECONDS = float(env("REPLICA_RETRY_SECONDS", "30"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache (Django's cache framework) for the throttle and the shared lookups (docs/deploy.md).
# "database" (default): a table in the database above, shared by every web process and worker;
# "locmem": per process (one process only); "redis://…": Django's Redis cache (pip install redis).
CACHE = env("CACHE", "database")
if CACHE == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE}
    }
elif CACHE == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "fengqiao_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
else:
    raise RuntimeError(f"FENGQIAO_CACHE must be database, locmem or a redis:// URL, not {CACHE!r}")
THROTTLE_CACHE = "default"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fengqiao.core.passwords.CharacterClassValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

# Lockout (django-axes): 5 failures per username lock the account for 30 minutes.
AXES_FAILURE_LIMIT = int(env("LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(env("LOCKOUT_HOURS", "0.5"))
# Lock the pair (account, client address): behind a proxy every client would otherwise share one
# address and one client's failures would lock everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "fengqiao.core.context.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "fengqiao.web.views.lockout_response"
AXES_VERBOSE = False

# Sessions expire after idle time; every request renews them.
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEMO_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", default=False)
# Believed only from FENGQIAO_TRUSTED_PROXIES (core.middleware.TrustedProxyMiddleware strips it
# from anyone else): behind the documented nginx set FENGQIAO_TRUSTED_PROXIES=127.0.0.1.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "0" if DEMO_MODE else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


def _origin(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    netloc = parts.netloc.replace("{s}", "*")  # Leaflet subdomains: https://{s}.tiles.intra/…
    return (
        f"{parts.scheme}://{netloc}" if parts.scheme in ("http", "https") and parts.netloc else None
    )


# Content-Security-Policy on every response (django-csp): scripts and styles only from our own
# static files — no inline <script>, no inline event handler, no style attribute, no eval —
# nothing from another origin except the internal map tile server (FENGQIAO_MAP_TILE_URL).
_TILES = [o for o in [_origin(env("MAP_TILE_URL"))] if o]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_TILES],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
OTP_TOTP_ISSUER = "Fengqiao 枫桥"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or HOME / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The application's own cap on a request body (the proxy has one too): 413 above it.
MAX_REQUEST_BYTES = int(env("MAX_REQUEST_BYTES", str(40 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# Personal data: keys live outside the database. The first data key encrypts; all decrypt (rotation).
_DEMO_DATA_KEY = "ZGVtby1vbmx5LWRhdGEta2V5LWRvLW5vdC11c2UtISE="
_DEMO_HASH_KEY = "demo-only-hash-key-do-not-use-in-production"
PII_DATA_KEYS = env_list("DATA_KEYS", _DEMO_DATA_KEY if DEMO_MODE else "")
PII_HASH_KEY = env("HASH_KEY") or (_DEMO_HASH_KEY if DEMO_MODE else "")
if not DEMO_MODE and (not PII_DATA_KEYS or not PII_HASH_KEY):
    raise RuntimeError(
        "FENGQIAO_DATA_KEYS and FENGQIAO_HASH_KEY must be set when FENGQIAO_DEMO is off"
    )

# The key that signs mediation agreements (the integrity code printed on them). Its own secret, not
# derived from SECRET_KEY in production. Rotation: move the old key into AGREEMENT_OLD_KEYS
# (comma-separated); agreements signed with it keep verifying. Unset: a development key derived
# from SECRET_KEY is used and a warning is logged when DEBUG is off.
AGREEMENT_KEY = env("AGREEMENT_KEY", "")
AGREEMENT_OLD_KEYS = env_list("AGREEMENT_OLD_KEYS", "")

AUDIT_RETENTION_DAYS = max(180, int(env("AUDIT_RETENTION_DAYS", "365")))

TASKS = {
    "default": {
        "BACKEND": env("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}
WORKER_POLL_SECONDS = float(env("WORKER_POLL_SECONDS", "1"))
# A dropped database connection: the worker retries with back-off up to this many seconds.
WORKER_MAX_BACKOFF_SECONDS = float(env("WORKER_MAX_BACKOFF_SECONDS", "30"))
# A task RUNNING longer than this is taken to be orphaned by a dead worker and queued again.
TASK_LEASE_SECONDS = int(env("TASK_LEASE_SECONDS", "600"))
# Periodic jobs: name -> (dotted task path, every N seconds).
PERIODIC_JOBS = {
    "deadline_sweep": ("fengqiao.core.tasks.sweep_deadlines", 30),
    "deliver_notifications": ("fengqiao.core.tasks.deliver_notifications", 10),
    "purge_audit": ("fengqiao.core.tasks.purge_expired_audit", 24 * 3600),
    "risk_reviews": ("fengqiao.risks.tasks.schedule_reviews", 3600),
    "risk_suggestions": ("fengqiao.risks.tasks.collect_suggestions", 600),
    "risk_people_links": ("fengqiao.risks.tasks.link_registry_people", 3600),
    "insights_rollup": ("fengqiao.insights.tasks.refresh_rollups", 60),
    "insights_villages": ("fengqiao.insights.tasks.evaluate_villages", 3600),
}
NOTIFICATION_MAX_ATTEMPTS = 5
# Text messages to residents (core.sms): the sender class, and the file FileSender appends to.
# The demo writes them to a file (its "sent" box) so a journey can show what the resident got.
SMS_BACKEND = env("SMS_BACKEND") or (
    "fengqiao.core.sms.FileSender" if DEMO_MODE else "fengqiao.core.sms.LogSender"
)
SMS_FILE = env("SMS_FILE") or str(HOME / "outbox" / "sms.jsonl")
# The public address of the resident pages (links in text messages), e.g. https://fq.example.gov.cn
PUBLIC_URL = env("PUBLIC_URL") or ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # api keys, tokens and passwords in query strings never reach a log (fengqiao/core/logscrub.py)
    "filters": {"scrub_secrets": {"()": "fengqiao.core.logscrub.ScrubSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        "fengqiao": {"level": env("LOG_LEVEL", "INFO"), "propagate": True},
        # Django's own loggers (the access log of the built-in server, request errors) through the
        # same filtered handler instead of Django's defaults.
        "django": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

DEFAULT_EXCEPTION_REPORTER_FILTER = "fengqiao.core.logscrub.ReporterFilter"

NINJA_PAGINATION_PER_PAGE = 50

# WhiteNoise serves from finders; it only warns when STATIC_ROOT is missing, so make sure it exists.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
