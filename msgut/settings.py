"""msgut settings: one file, driven by the environment.

No DATABASE_URL -> a SQLite file; no REDIS_URL -> Celery tasks run inline.
With DEBUG off a missing SECRET_KEY stops start-up.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Django's generic classes (ModelAdmin, ModelForm...) accept a type argument at runtime, as mypy wants.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "msgut.apps.AdminConfig",  # the admin site with two-factor (msgut.admin_site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "template_partials",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "accounts",
    "tracker",
    "guidance",
    "trends",
    "clinic",
    "audit",
    "reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they get the policy and framing headers too.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "msgut.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.OTPRequiredMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the messages and htmx middleware: it says why it signed someone out, also to htmx.
    "accounts.middleware.SessionLifetimeMiddleware",
    "msgut.middleware.NoStoreMiddleware",
    "msgut.pwa.ViewerHeaderMiddleware",
    # Axes last: it answers locked-out logins itself.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "msgut.urls"
WSGI_APPLICATION = "msgut.wsgi.application"

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
                "msgut.navigation.navigation",
                "msgut.pwa.context",
            ],
        },
    },
]
# Form fields in Jinja2, the admin's widgets in Django templates: see msgut/renderers.py.
FORM_RENDERER = "msgut.renderers.FormRenderer"

# Database: PostgreSQL (psycopg 3) when DATABASE_URL is set, else a SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)
    # Django's queries are never prepared (its cursors bind parameters on the client); the pages' long
    # reads of many sub-selects are, once per connection (tracker.selectors._preparing_cursor). Off
    # behind a pooler that cannot keep a connection's prepared statements.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user with their profile (one query per request, not two).
    "accounts.backends.UserWithProfileBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Each process's memory. "pages": drawn pages, and parts of them, kept while what they show is unchanged
# (msgut.kept_pages), at most 10 minutes and 1,000 entries: a day page is 50-180 KB, and its five
# sections, kept too, about as much together.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}

# Sessions live in the database (not Redis), one row per session with whose it is (accounts.sessions),
# and end after 30 idle minutes or 12 hours after sign-in, however busy (SessionLifetimeMiddleware).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
# ...but an unchanged session is written at most once a minute (accounts.sessions): the idle timeout
# holds to the minute, and a page costs one session read instead of a read and a write.
SESSION_WRITE_INTERVAL_SECONDS = env_int("SESSION_WRITE_INTERVAL_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# Two-factor (django-otp): the issuer name shown in authenticator apps.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "msgut")
# Authenticator keys are encrypted at rest (accounts.crypto) with these Fernet keys, comma-separated:
# the first encrypts, every one decrypts, so a new key goes first and `manage.py rotate_two_factor_keys`
# re-encrypts before the old one is dropped. Never the SECRET_KEY: a database dump alone reveals no key.
TWO_FACTOR_KEYS = env_list("TWO_FACTOR_KEYS", [])
if not TWO_FACTOR_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "TWO_FACTOR_KEYS must be set when DEBUG is off: make one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
        )
    TWO_FACTOR_KEYS = ["ZGV2ZWxvcG1lbnQta2V5LW9ubHktZGVidWctaXMtb24="]  # development only, DEBUG on

# Login throttling: database handler (works without Redis), cool-off not a lock. Every form that
# checks a password (sign-in, password change, erasure, re-authentication) counts here
# (accounts.throttling.check_password).
AXES_HANDLER = "accounts.throttling.ThrottleHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# One account from one address: a shared clinic network is not locked out by one typo-prone user,
# and nobody locks another person out from their own address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client address as msgut.client reads it (behind TRUSTED_PROXY_COUNT proxies), not the proxy's.
AXES_CLIENT_IP_CALLABLE = "msgut.client.client_ip"
# The login form posts the email as "username"; count it case-insensitively (accounts.throttling).
AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"
AXES_RESET_ON_SUCCESS = True
# Attempts while paused are refused without being counted: a pause always ends after the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.throttling.paused_response"
AXES_SENSITIVE_PARAMETERS = ["password", "old_password", "new_password1", "new_password2", "code"]
AXES_VERBOSE = False
# Account-wide slow-down (accounts.throttling): once an account has this many failures from all
# addresses within the cool-off, each address waits ACCOUNT_SLOWDOWN_SECONDS between two tries on it.
# A slow-down, not a lock: the right password from another address is never held up longer.
ACCOUNT_SLOWDOWN_AFTER = env_int("ACCOUNT_SLOWDOWN_AFTER", 10)
ACCOUNT_SLOWDOWN_SECONDS = env_int("ACCOUNT_SLOWDOWN_SECONDS", 10)

# Production hardening; DEBUG off turns it all on.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"  # also written by accounts.views.remember_language
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# The __Host- prefix makes browsers refuse these cookies unless Secure, for this host only, path /:
# no other subdomain can set or overwrite them. It needs HTTPS, so only with secure cookies.
COOKIE_PREFIX = "__Host-" if SESSION_COOKIE_SECURE else ""
SESSION_COOKIE_NAME = f"{COOKIE_PREFIX}sessionid"
CSRF_COOKIE_NAME = f"{COOKIE_PREFIX}csrftoken"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
BEHIND_PROXY = env_bool("BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# How many reverse proxies we run in front of the app, each appending to X-Forwarded-For: the
# client's address is the entry the outermost one added (msgut.client). One behind a proxy.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_PROXY else 0)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Languages
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("SIMPLE_STATIC")
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Serve static files straight from the source folders when not collected (development, tests).
WHITENOISE_USE_FINDERS = DEBUG or env_bool("SIMPLE_STATIC")
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS

# Email carries password-reset and set-password links: printed to a log or a file they would let
# anyone who reads it into the account. With DEBUG off, start-up therefore needs a real backend
# (SMTP with EMAIL_HOST, or another EMAIL_BACKEND), or the explicit opt-out EMAIL_DISABLED=1, which
# discards every email (no link is sent or logged; accounts then get their links from
# `manage.py set_password_link`).
EMAIL_DISABLED = env_bool("EMAIL_DISABLED")
LINK_LEAKING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
if EMAIL_DISABLED:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    if EMAIL_BACKEND in LINK_LEAKING_EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_BACKEND {EMAIL_BACKEND} writes password-reset links where others can read them; "
            "with DEBUG off set SMTP (EMAIL_HOST) or another backend, or EMAIL_DISABLED=1."
        )
    if EMAIL_BACKEND.endswith(".smtp.EmailBackend") and not env_str("EMAIL_HOST"):
        raise ImproperlyConfigured(
            "Email is not configured: with DEBUG off set EMAIL_HOST (SMTP) or EMAIL_BACKEND, "
            "or EMAIL_DISABLED=1 to send no email at all."
        )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "msgut <noreply@msgut.local>")

# Celery: Redis broker when REDIS_URL is set; otherwise tasks run inline.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# How much lower the worker's CPU priority is than the web's (Unix niceness, 0-19; msgut.celery).
WORKER_NICENESS = env_int("WORKER_NICENESS", 10)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# A web request must never hang on a dead broker: fail fast, the sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    # A task taken by a worker that dies is redelivered after this many seconds (acks_late).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}
# Guidance: score the days whose rescore could not be enqueued (broker down) or went stale.
CELERY_BEAT_SCHEDULE["guidance-sweep-stale-scores"] = {
    "task": "guidance.tasks.sweep_stale_scores_task",
    "schedule": timedelta(minutes=10),
}
# Trends: each Monday at noon UTC (Sunday is over in every time zone) build the week just ended for
# every patient; each night rebuild the weeks whose data changed (missed or failed on-demand builds).
CELERY_BEAT_SCHEDULE["trends-build-last-week"] = {
    "task": "trends.tasks.build_last_week_task",
    "schedule": crontab(minute=0, hour=12, day_of_week="mon"),
}
CELERY_BEAT_SCHEDULE["trends-nightly-catch-up"] = {
    "task": "trends.tasks.catch_up_weeks_task",
    "schedule": crontab(minute=30, hour=2),
}

# Reminders (reminders/): every 5 minutes, claim the daily reminders and weekly summaries that fell
# due in each patient's own time zone and enqueue one delivery task each. A beat that expired in a
# backed-up queue is dropped: the next one, 5 minutes later, does the same work.
# Clinic: the dashboard's stored flags move with the day; recompute yesterday's rows soon after it turns.
CELERY_BEAT_SCHEDULE["clinic-refresh-stale-flags"] = {
    "task": "clinic.tasks.refresh_stale_flags_task",
    "schedule": timedelta(minutes=30),
    "options": {"expires": 1500},
}
CELERY_BEAT_SCHEDULE["reminders-queue-due"] = {
    "task": "reminders.tasks.queue_due_reminders_task",
    "schedule": crontab(minute="*/5"),
    "options": {"expires": 240},
}
# Email reminders go through Django's mail settings above; a worker must never hang on a mail
# server that stopped answering (Django's default is no timeout at all).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Web Push reminders are offered only when all three are set (`manage.py generate_vapid_keys`).
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT")
# The push services the worker may post to ("." allows subdomains); a subscription naming any other
# host is refused, so nobody can make the worker post to an internal address.
PUSH_ENDPOINT_HOSTS = env_list(
    "PUSH_ENDPOINT_HOSTS",
    ["fcm.googleapis.com", "updates.push.services.mozilla.com", ".push.apple.com", ".notify.windows.com"],
)
# Plain http to a push endpoint: only for the tests' local endpoint, never from the environment.
PUSH_ALLOW_HTTP = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
