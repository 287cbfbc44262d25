"""Settings for the NPP import-case system.

One module, driven by the environment (django-environ). Every variable is listed in
``.env.example``. With nothing set, the project runs on the *embedded default*: SQLite and a
Celery broker on the local filesystem, so a newcomer needs nothing but Python. With
``DATABASE_URL`` and ``REDIS_URL`` set, the same code runs on PostgreSQL and Redis.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

# Everything the embedded default writes (SQLite file, private documents, Celery's
# filesystem queue) lives under one git-ignored folder.
VAR_DIR = Path(env.str("NPP_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    key = env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    # Development: a random key, kept on disk so sessions survive a restart. Never in code.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm",
    "django_fsm_log",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files, served as our own static files (no CDN).
    "drf_spectacular_sidecar",
    "cases",
    "documents",
    "clinical",
    "regulatory",
    # Between documents and the portals: the portals, the dashboard and the admin's case page
    # (extended by each app registered later) read them.
    "funding",
    "coldchain",
    "portals",
    "dashboard",
    "webhooks",
    "api",
    "family",
    # The project itself, last: its commands compose every app above (npp/apps.py).
    "npp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their caching), before everything that may answer.
    "npp.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's stored language (family app), else English.
    "family.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "npp.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "npp.urls"
WSGI_APPLICATION = "npp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections for a minute (checked before reuse): opening one per request was the
# largest cost under load (docs/benchmarks.md).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that does not answer (a lost route, a firewall dropping packets) fails the
    # request after this many seconds, as a styled 503 (npp.errors), instead of after the
    # kernel's two minutes. A DATABASE_URL ?connect_timeout= wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DJANGO_DB_CONNECT_TIMEOUT", default=5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when the web server and the worker
    # both write (the embedded default runs both on one file).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address never reach the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "/accounts/login/"

# --- Security -------------------------------------------------------------------------------
# Sessions: staff get 8 hours from login; portal users are logged out after 30 idle minutes
# (npp.middleware.SessionTimeoutMiddleware slides their expiry on each request).
SESSION_COOKIE_AGE = env.int("NPP_STAFF_SESSION_SECONDS", default=8 * 60 * 60)
NPP_PORTAL_IDLE_SECONDS = env.int("NPP_PORTAL_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz is probed over plain HTTP inside the stack.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): our own files only, no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin's own templates carry a few style attributes; scripts stay strict.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login protection (django-axes): 5 failures for one username from one address lock that
# pair for 30 minutes.
AXES_FAILURE_LIMIT = env.int("NPP_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("NPP_LOGIN_LOCKOUT_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor (django-otp): facilitators' admin sessions must be verified with a TOTP code.
OTP_TOTP_ISSUER = env.str("NPP_OTP_ISSUER", default="NPP import cases")
NPP_REQUIRE_STAFF_2FA = env.bool("NPP_REQUIRE_STAFF_2FA", default=True)

# Audit trail (django-auditlog): who changed what, kept as JSON diffs; identifiers masked.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "cases.Patient",
    "cases.Case",
    "cases.WeightMeasurement",
    "cases.LabResult",
    "cases.EligibilityOverride",
    "cases.Consent",
    "documents.Document",
    "documents.ClinicalAccessGrant",
    "clinical.LabValue",
    "clinical.TmaCheck",
    "clinical.SafetySignal",
    "clinical.SteroidCourse",
    "clinical.AdverseEvent",
    "clinical.AdverseEventForward",
    "clinical.Outcome",
    "regulatory.RegulatoryFile",
    "regulatory.CdscoQuery",
    "regulatory.ExemptionNotification",
    "regulatory.PortOfficeDetail",
    "regulatory.TariffHeading",
    "funding.Quote",
    "funding.Source",
    "funding.Receipt",
    "coldchain.LoggerRecord",
    "family.GuardianLink",
    "family.GuardianConsent",
    "family.Breach",
    "family.BreachAffectedCase",
    "family.LanguagePreference",
)
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-in"
# Pages and reminders in English and Hindi (locale/hi/LC_MESSAGES/django.po, compiled by
# `make messages-compile`, which `make run` and `make test` run); dates in the Indian order.
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["npp.formats"]
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` gathers them (the production profile refuses to start until it has:
# npp.checks).
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # The manifest storage needs `collectstatic` first; development and tests serve
        # the files as they are.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

# Source maps are for a developer's browser tools: served as they are, not compressed (brotli
# on Swagger UI's 2 MB map alone took seconds of every production start's collectstatic).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# Patient documents never live under a public URL: this folder is served by no URL route,
# only by permission-checking views.
PRIVATE_STORAGE_ROOT = Path(env.str("NPP_PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private")))

# --- Document storage -----------------------------------------------------------------------
# Document.file is stored by STORAGES["documents"] (documents.storage.private_storage): the
# folder above, or, when NPP_S3_BUCKET names one, a private S3-compatible bucket that every web
# server shares. The bucket must exist and grant no public access; objects are written with
# no ACL and with server-side encryption requested (documents.storage.ENFORCED_S3_OPTIONS), and
# downloads still go through the scoped, logged view. Credentials: AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, else boto3's own chain (instance role, ~/.aws).
NPP_S3_BUCKET = env.str("NPP_S3_BUCKET", default="")
if NPP_S3_BUCKET:
    _s3_endpoint = env.str("NPP_S3_ENDPOINT_URL", default="")
    if _s3_endpoint and not _s3_endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured("NPP_S3_ENDPOINT_URL must start with https:// or http://.")
    # A MinIO or other server at its own address is reached by path (host/bucket/key);
    # AWS by virtual host (bucket.host/key).
    _s3_addressing = env.str("NPP_S3_ADDRESSING_STYLE", default="") or (
        "path" if _s3_endpoint else "auto"
    )
    if _s3_addressing not in {"auto", "path", "virtual"}:
        raise ImproperlyConfigured("NPP_S3_ADDRESSING_STYLE must be auto, path or virtual.")
    STORAGES["documents"] = {
        "BACKEND": "documents.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": NPP_S3_BUCKET,
            "endpoint_url": _s3_endpoint or None,
            "region_name": env.str("NPP_S3_REGION", default="") or "ap-south-1",
            "addressing_style": _s3_addressing,
            "location": env.str("NPP_S3_PREFIX", default="").strip("/"),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        },
    }
else:
    STORAGES["documents"] = {"BACKEND": "documents.storage.PrivateStorage"}

# --- Email delivery timing -----------------------------------------------------------------
# Every wait on the mail server (connecting, each command's answer) gives up after
# EMAIL_TIMEOUT; Django passes it to smtplib. A relay that says nothing for 10 s is down.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# One reminder email is at most 10 such waits (greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL,
# RCPT, DATA, the answer to the message, QUIT), so its task is stopped (soft limit) after 10
# timeouts and killed one timeout later. Its claim on the row (the lease) outlives that by one
# more timeout: a claim older than the lease belongs to a delivery that is no longer running.
# With the default: 100 s, 110 s, 120 s (cases.delivery).
NPP_DELIVERY_SOFT_TIME_LIMIT = 10 * EMAIL_TIMEOUT
NPP_DELIVERY_TIME_LIMIT = NPP_DELIVERY_SOFT_TIME_LIMIT + EMAIL_TIMEOUT
NPP_DELIVERY_LEASE_SECONDS = NPP_DELIVERY_TIME_LIMIT + EMAIL_TIMEOUT

# --- Webhook delivery timing (webhooks.delivery) ----------------------------------------------
# An outbound webhook POST waits this long for each step (connect, send, answer).
NPP_WEBHOOK_TIMEOUT = env.int("NPP_WEBHOOK_TIMEOUT", default=10)
# A delivery is a connection, a request and an answer: stopped (soft limit) after 3 waits,
# killed one wait later; its claim (the lease) outlives that by one more. Default: 30, 40, 50 s.
NPP_WEBHOOK_SOFT_TIME_LIMIT = 3 * NPP_WEBHOOK_TIMEOUT
NPP_WEBHOOK_TIME_LIMIT = NPP_WEBHOOK_SOFT_TIME_LIMIT + NPP_WEBHOOK_TIMEOUT
NPP_WEBHOOK_LEASE_SECONDS = NPP_WEBHOOK_TIME_LIMIT + NPP_WEBHOOK_TIMEOUT
# An endpoint whose deliveries failed this many times in a row (each after all its retries, or
# refused for good) is disabled, and the facilitators are emailed.
NPP_WEBHOOK_DISABLE_AFTER_FAILURES = env.int("NPP_WEBHOOK_DISABLE_AFTER_FAILURES", default=5)

# --- Celery -------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
REDIS_URL = env.str("REDIS_URL", default="")
# A broker (Redis) that does not connect, or does not answer a command, within this many
# seconds is down: a request that queues work (a packet build) says so at once instead of
# hanging, and a sweep leaves its emails to the next one. Workers and beat reconnect on their
# own. Redis answers in milliseconds, and a worker's BRPOP waits 1 s server-side, under this.
NPP_BROKER_TIMEOUT = env.float("NPP_BROKER_TIMEOUT", default=2)
# Read by the Redis transport (also when only CELERY_BROKER_URL names Redis); others ignore them.
_BROKER_TIMEOUTS = {
    "socket_connect_timeout": NPP_BROKER_TIMEOUT,
    "socket_timeout": NPP_BROKER_TIMEOUT,
}
if REDIS_URL:
    # An empty override (as .env.example has them) means REDIS_URL, not Celery's amqp default.
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or REDIS_URL
    # A message a worker fetched but did not acknowledge (it died) goes back to the queue
    # once it is this old. Longer than a delivery's lease, so the redelivered task finds the
    # dead worker's claim expired and takes over (or marks it uncertain), and longer than a
    # delivery may run, so a running one is not handed out twice; every worker looks for such
    # messages every 5 s. (Kombu's default is an hour plus a scan every ~100 s.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": max(
            NPP_DELIVERY_LEASE_SECONDS + EMAIL_TIMEOUT,
            NPP_WEBHOOK_LEASE_SECONDS + NPP_WEBHOOK_TIMEOUT,
        ),
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
        **_BROKER_TIMEOUTS,
    }
else:
    # Embedded default: kombu's filesystem transport; in and out must be the same folder.
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    _results = VAR_DIR / "celery" / "results"
    # Its exchange table; kombu's default is control/ in the working directory.
    _control = VAR_DIR / "celery" / "control"
    for _folder in (_queue, _processed, _results, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "store_processed": False,
        "control_folder": str(_control),
        **_BROKER_TIMEOUTS,
    }
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or f"file://{_results}"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task must finish within these limits; a stuck PDF render should not hold a worker forever.
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 5 * 60
# A task is acknowledged when it ends, not when it starts, so a worker that dies (kill -9, OOM,
# a lost machine) leaves its messages to be delivered again, and each process fetches one
# message at a time, so a dead worker holds back no queue of unstarted ones. Every task is
# idempotent: the reminder sweep by its unique keys, a delivery by its claim, a packet build by
# its row.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must not hang a web request when the broker is down: a refused connection is
# retried twice within a second (a pooled connection may be stale after a Redis restart), a
# timeout (NPP_BROKER_TIMEOUT) is not retried.
CELERY_BROKER_CONNECTION_TIMEOUT = NPP_BROKER_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Outcomes live on the rows (Notification, PacketBuild), so no task keeps a result: publishing
# a task that keeps one first subscribes to the result store, and with Redis down that was
# retried 20 times a second apart (19 s) before the publish itself failed. Should anything
# read a result, the store gives up as fast as the broker.
CELERY_TASK_IGNORE_RESULT = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = NPP_BROKER_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = NPP_BROKER_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every periodic task, in one place.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "send-due-reminders": {
        "task": "cases.send_due_reminders",
        "schedule": env.int("NPP_REMINDER_SWEEP_SECONDS", default=15 * 60),
    },
    # The dashboard's statistics over months, so that no page request computes them
    # (dashboard.stages): more often than NPP_DASHBOARD_STATS_SECONDS lets them age.
    "refresh-dashboard-statistics": {
        "task": "dashboard.refresh_statistics",
        "schedule": env.int("NPP_DASHBOARD_STATS_REFRESH_SECONDS", default=5 * 60),
    },
    # Webhook deliveries whose task was lost, or whose retry is due (webhooks.delivery.lost).
    "sweep-webhooks": {
        "task": "webhooks.sweep",
        "schedule": env.int("NPP_WEBHOOK_SWEEP_SECONDS", default=60),
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# EMAIL_TIMEOUT: see "Email delivery timing" above.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="NPP cases <cases@npp.invalid>")

# --- Domain settings ------------------------------------------------------------------------
# Facilitator letterhead (used by the packets).
NPP_FACILITATOR_NAME = env.str("NPP_FACILITATOR_NAME", default="Demo Named-Patient Imports Pvt Ltd")
NPP_FACILITATOR_ADDRESS = env.str(
    "NPP_FACILITATOR_ADDRESS", default="12 Demo Road, Andheri East, Mumbai 400069, Maharashtra"
)
NPP_FACILITATOR_LICENCE = env.str("NPP_FACILITATOR_LICENCE", default="DEMO-LICENCE-0000")

# Uploads: PDF, JPEG or PNG by content, at most this many bytes.
NPP_UPLOAD_MAX_BYTES = env.int("NPP_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
# SUGAM takes each enclosure as a PDF of "about 2 MB" (DOMAIN.md §9, reported, not confirmed):
# the SUGAM-ready downloads (regulatory.compression) are compressed under this many bytes.
NPP_SUGAM_UPLOAD_MAX_BYTES = env.int("NPP_SUGAM_UPLOAD_MAX_BYTES", default=2_000_000)
# Images above this many pixels are refused (an A4 page scanned at 600 dpi is about 35 MP).
NPP_UPLOAD_MAX_IMAGE_PIXELS = env.int("NPP_UPLOAD_MAX_IMAGE_PIXELS", default=40_000_000)
# PDFs above this many pages are refused (a full application packet has a few dozen).
NPP_UPLOAD_MAX_PDF_PAGES = env.int("NPP_UPLOAD_MAX_PDF_PAGES", default=500)
# PDFs whose streams hold more than this once decompressed are refused (decompression bombs):
# about 13 times NPP_UPLOAD_MAX_BYTES, above what real scans reach; see documents/validation/limits.py.
NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES = env.int(
    "NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES", default=256 * 1024 * 1024
)

# DOMAIN.md §1.3 [default]: a weight measured within 14 days before the kit order.
NPP_WEIGHT_MAX_AGE_DAYS = env.int("NPP_WEIGHT_MAX_AGE_DAYS", default=14)
# DOMAIN.md §1.3 [default]: "a re-check on infusion day": 0 means measured that very day.
NPP_WEIGHT_INFUSION_DAY_MAX_AGE_DAYS = env.int("NPP_WEIGHT_INFUSION_DAY_MAX_AGE_DAYS", default=0)
# DOMAIN.md §1.5 [label]: therapy must start within 14 days of receipt.
NPP_COLD_CHAIN_DAYS = env.int("NPP_COLD_CHAIN_DAYS", default=14)
# Funding (DOMAIN.md §9): `funds_short` blocks the kit order while the money received does not
# cover the quote. On: also while no quote is recorded at all. Off by default so that cases
# funded outside the system (and those opened before funding was tracked) are not blocked;
# turn it on once every case's funding is entered here.
NPP_FUNDING_QUOTE_REQUIRED = env.bool("NPP_FUNDING_QUOTE_REQUIRED", default=False)
# Cold-chain evidence (DOMAIN.md §1.5): the kit travels at or below this temperature; a logger
# reading above it is an excursion.
NPP_COLD_CHAIN_LIMIT_CELSIUS = env.float("NPP_COLD_CHAIN_LIMIT_CELSIUS", default=-60.0)
# The logger's CSV export: larger files and longer series are refused (a 15-day trip logged
# every minute is about 21,600 rows).
NPP_LOGGER_CSV_MAX_BYTES = env.int("NPP_LOGGER_CSV_MAX_BYTES", default=5 * 1024 * 1024)
NPP_LOGGER_CSV_MAX_ROWS = env.int("NPP_LOGGER_CSV_MAX_ROWS", default=100_000)
# DOMAIN.md §1.5 [label]: infuse a drawn syringe within 8 hours of drawing it up.
NPP_SYRINGE_HOURS = env.int("NPP_SYRINGE_HOURS", default=8)
# Foundation issue: a case may close 90 days after infusion (about 3 months of monitoring),
# and only once the monitoring is complete (cases.rules monitoring_incomplete).
NPP_MONITORING_DAYS = env.int("NPP_MONITORING_DAYS", default=90)

# Reminder thresholds (issue defaults); see cases/reminders/.
NPP_REMINDER_DOCUMENTS_EVERY_DAYS = env.int("NPP_REMINDER_DOCUMENTS_EVERY_DAYS", default=3)
NPP_REMINDER_PERMIT_EXPIRY_DAYS = env.int("NPP_REMINDER_PERMIT_EXPIRY_DAYS", default=30)
# [default] An open CDSCO query (regulatory.reminders): the facilitator is told this many days
# before its due date, and again the morning after it while it is still open.
NPP_REMINDER_CDSCO_QUERY_DAYS = env.int("NPP_REMINDER_CDSCO_QUERY_DAYS", default=2)
NPP_REMINDER_COLD_CHAIN_DAY = env.int("NPP_REMINDER_COLD_CHAIN_DAY", default=10)
NPP_REMINDER_LAB_OVERDUE_DAYS = env.int("NPP_REMINDER_LAB_OVERDUE_DAYS", default=2)
# The dashboard's statistics over months (days per stage, the prediction's medians) are used
# for at most this many seconds (each costs a pass over every case's history): the beat task
# above recomputes the unfiltered ones before that; a filtered dashboard recomputes its own
# when they are older (0: every page recomputes them).
NPP_DASHBOARD_STATS_SECONDS = env.int("NPP_DASHBOARD_STATS_SECONDS", default=600)
# DOMAIN.md §2.3: days left to the 2nd birthday show on every case; in red under this many.
NPP_SECOND_BIRTHDAY_WARNING_DAYS = env.int("NPP_SECOND_BIRTHDAY_WARNING_DAYS", default=60)
NPP_STAGE_LIMIT_DAYS = {
    "application": env.int("NPP_STAGE_LIMIT_APPLICATION_DAYS", default=7),
    "documents": env.int("NPP_STAGE_LIMIT_DOCUMENTS_DAYS", default=14),
    "regulatory_review": env.int("NPP_STAGE_LIMIT_REGULATORY_REVIEW_DAYS", default=10),
    "approved": env.int("NPP_STAGE_LIMIT_APPROVED_DAYS", default=7),
    "customs": env.int("NPP_STAGE_LIMIT_CUSTOMS_DAYS", default=5),
    "delivery": env.int("NPP_STAGE_LIMIT_DELIVERY_DAYS", default=3),
}
# Clinical settings read by cases/clinical.py ([default] values; see DOMAIN.md §1.6, §4).
NPP_AAV9_TITER_MAX_DENOMINATOR = env.int("NPP_AAV9_TITER_MAX_DENOMINATOR", default=50)
NPP_LAB_VALIDITY_DAYS = env.int("NPP_LAB_VALIDITY_DAYS", default=30)
# documents/validation/limits.py: a lab sample date further back than this (or before the child's birth)
# is refused as a typing slip: results count for 30 days and the children are under two.
NPP_LAB_SAMPLE_MAX_AGE_DAYS = env.int("NPP_LAB_SAMPLE_MAX_AGE_DAYS", default=365)
# Upper limits of normal: placeholders, DOMAIN.md gives no numbers. Confirm with the lab.
NPP_ULN = {
    "alt": Decimal(env.str("NPP_ULN_ALT", default="40")),
    "ast": Decimal(env.str("NPP_ULN_AST", default="40")),
    "total_bilirubin": Decimal(env.str("NPP_ULN_TOTAL_BILIRUBIN", default="1.2")),
}
# After the infusion (clinical app, issue 15). Thresholds DOMAIN.md does not give a number for
# are settings [default, unconfirmed]: a platelet count below this fraction of the baseline
# opens a signal (DOMAIN.md §1.8-1.9 "a fall from baseline"), and a troponin-I above this
# multiple of the baseline when the lab printed no ULN ("a rise").
NPP_SIGNAL_PLATELET_FALL_FRACTION = Decimal(
    env.str("NPP_SIGNAL_PLATELET_FALL_FRACTION", default="0.5")
)
NPP_SIGNAL_TROPONIN_RISE_FACTOR = Decimal(env.str("NPP_SIGNAL_TROPONIN_RISE_FACTOR", default="2"))
# Forwarding adverse events to the manufacturer (DOMAIN.md §5.1 [default, unconfirmed]): serious
# within 24 hours of awareness, non-serious within 15 days; reminded this long before the end.
NPP_AE_FORWARD_SERIOUS_HOURS = env.int("NPP_AE_FORWARD_SERIOUS_HOURS", default=24)
NPP_AE_FORWARD_NON_SERIOUS_DAYS = env.int("NPP_AE_FORWARD_NON_SERIOUS_DAYS", default=15)
NPP_AE_REMIND_SERIOUS_HOURS_BEFORE = env.int("NPP_AE_REMIND_SERIOUS_HOURS_BEFORE", default=6)
NPP_AE_REMIND_NON_SERIOUS_DAYS_BEFORE = env.int("NPP_AE_REMIND_NON_SERIOUS_DAYS_BEFORE", default=3)
# The manufacturer's safety desk that receives forwarded adverse events.
NPP_AE_MANUFACTURER_SAFETY_EMAIL = env.str("NPP_AE_MANUFACTURER_SAFETY_EMAIL", default="")
# The privacy notice guardians read before consenting (DPDP Act 2023 s.5); bump on each change.
NPP_PRIVACY_NOTICE_VERSION = env.str("NPP_PRIVACY_NOTICE_VERSION", default="2026-11")
NPP_SITE_URL = env.str("NPP_SITE_URL", default="http://127.0.0.1:8000")

# --- The family's side (family/) -------------------------------------------------------------
# A guardian status link is valid this many days from its creation (a choice of ours, not a
# rule: DOMAIN.md is silent), and opens at most this many times an hour (more answers 429).
NPP_GUARDIAN_LINK_DAYS = env.int("NPP_GUARDIAN_LINK_DAYS", default=30)
NPP_GUARDIAN_LINK_VIEWS_PER_HOUR = env.int("NPP_GUARDIAN_LINK_VIEWS_PER_HOUR", default=30)
# The system account that acts for a guardian through their link (no password, not staff).
NPP_GUARDIAN_ACCOUNT = env.str("NPP_GUARDIAN_ACCOUNT", default="guardian-link")
# DPDP Rules 2025, Rule 7 (DOMAIN.md §5.2): the Board is told of a breach within 72 hours.
NPP_BREACH_BOARD_HOURS = env.int("NPP_BREACH_BOARD_HOURS", default=72)

# --- API (api/, /api/v1/) --------------------------------------------------------------------
# Tokens are created per user in the admin (or `manage.py create_api_token`) and expire after:
NPP_API_TOKEN_DAYS = env.int("NPP_API_TOKEN_DAYS", default=90)
REST_FRAMEWORK = {
    # A token (per program), else the browser's session (CSRF enforced on writes).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: DRF's browsable pages carry inline script, which our CSP refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    # Per token, per signed-in user's session, per address (only the schema and docs are open).
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env.str("NPP_API_RATE_TOKEN", default="120/minute"),
        "api_session": env.str("NPP_API_RATE_SESSION", default="120/minute"),
        "api_anonymous": env.str("NPP_API_RATE_ANONYMOUS", default="30/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NPP import cases API",
    "DESCRIPTION": "Cases, documents, transitions and reminders, scoped as the portals are.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the states, wherever a field takes one.
    "ENUM_NAME_OVERRIDES": {"CaseStateEnum": "cases.states.CaseState"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Chatty libraries: their progress lines are not news.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
