"""Settings come from the environment with safe fallbacks."""

import json
import os
import subprocess
import sys
from pathlib import Path

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
import django
django.setup()
from axes.handlers.database import AxesDatabaseHandler
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.conf import settings
from django.utils.module_loading import import_string
from msgut.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "celery_eager": app.conf.task_always_eager, "broker": settings.CELERY_BROKER_URL, "debug": settings.DEBUG,
    "secure_cookies": settings.SESSION_COOKIE_SECURE, "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS, "email": settings.EMAIL_BACKEND,
}))
"""


def run_probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    dropped = {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "SECURE_HSTS_SECONDS",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_DISABLED",
        "TWO_FACTOR_KEYS",
    }
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update({"DJANGO_SETTINGS_MODULE": "msgut.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60, check=False
    )


def test_without_database_url_it_uses_a_sqlite_file_and_without_redis_tasks_run_inline():
    result = run_probe({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["eager"] is True
    assert values["celery_eager"] is True
    assert values["broker"] == "memory://"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"


def test_with_urls_it_uses_postgresql_and_redis():
    result = run_probe(
        {
            "DEBUG": "1",
            "DATABASE_URL": "postgres://u:p@db.example:5432/msgut",
            "REDIS_URL": "redis://cache.example:6379/2",
        }
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "msgut"
    assert values["eager"] is False
    assert values["celery_eager"] is False
    assert values["broker"] == "redis://cache.example:6379/2"


def test_with_debug_off_it_refuses_to_start_without_a_secret_key():
    result = run_probe({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# What a production start needs besides the SECRET_KEY: email and the two-factor key.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 60,
    "EMAIL_HOST": "smtp.example.org",
    "TWO_FACTOR_KEYS": "cHJvYmUtb25seS1rZXktbm90LWEtcmVhbC1vbmUtISE=",
}


def test_with_debug_off_and_a_secret_key_it_turns_on_the_production_protections():
    result = run_probe(PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False
    assert values["secure_cookies"] is True
    assert values["ssl_redirect"] is True
    assert values["hsts"] >= 31536000


def test_the_deploy_checklist_passes_with_production_values():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECURE_SSL_REDIRECT", "SECURE_COOKIES"}
    }
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "deploy-check-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
            "ALLOWED_HOSTS": "msgut.example.org",
            "EMAIL_HOST": "smtp.example.org",
            "TWO_FACTOR_KEYS": PRODUCTION["TWO_FACTOR_KEYS"],
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sessions_live_in_the_database_and_cookies_are_locked_down():
    assert issubclass(import_string(f"{settings.SESSION_ENGINE}.SessionStore"), DatabaseStore)
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    # Throttling counts in the database, so it works without Redis.
    assert issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)
    assert settings.AXES_COOLOFF_TIME  # a cool-off, not a permanent lock


def test_with_debug_off_it_refuses_to_start_without_real_email():
    """A reset link printed to the console log is an account takeover for whoever reads the log."""
    without_email = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}
    result = run_probe(without_email)
    assert result.returncode != 0
    assert "EMAIL_HOST" in result.stderr and "EMAIL_DISABLED" in result.stderr
    for leaking in ("console", "filebased"):
        result = run_probe({**PRODUCTION, "EMAIL_BACKEND": f"django.core.mail.backends.{leaking}.EmailBackend"})
        assert result.returncode != 0, leaking
        assert "password-reset links" in result.stderr


def test_with_debug_off_email_is_smtp_or_explicitly_disabled():
    smtp = json.loads(run_probe(PRODUCTION).stdout.strip().splitlines()[-1])
    assert smtp["email"] == "django.core.mail.backends.smtp.EmailBackend"
    disabled = run_probe({**{k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}, "EMAIL_DISABLED": "1"})
    assert disabled.returncode == 0, disabled.stderr
    assert (
        json.loads(disabled.stdout.strip().splitlines()[-1])["email"] == "django.core.mail.backends.dummy.EmailBackend"
    )


def test_with_debug_off_it_refuses_to_start_without_the_two_factor_key():
    result = run_probe({k: v for k, v in PRODUCTION.items() if k != "TWO_FACTOR_KEYS"})
    assert result.returncode != 0
    assert "TWO_FACTOR_KEYS must be set" in result.stderr
