"""What every bench script shares: the repository root, the environment a bench process runs
Django with, and creating or dropping its PostgreSQL database.

Database names reach SQL only as quoted identifiers (psycopg.sql.Identifier), never
formatted into the statement. Run the scripts from the repository root as modules,
`python -m bench.run`, so `msgut` and the apps import without touching sys.path.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import django
import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"

# Production-like settings for a process on loopback: no DEBUG (it keeps every query in
# memory), no HTTPS redirect, static files from the source folders.
BENCH_ENV = {
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SIMPLE_STATIC": "1",
    "EMAIL_DISABLED": "1",
    "TWO_FACTOR_KEYS": "YmVuY2gtb25seS1rZXktbmV2ZXItZm9yLXJlYWwtdXM=",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "msgut.settings",
}

# Debian's chromium, quiet: no sandbox (containers), no GPU, no background traffic or first-run screens.
# bench.logging_effort and the browser tests launch it with these.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def database_url(name: str, server: str = SERVER) -> str:
    return f"{server}/{name}"


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def admin_connection(url: str) -> psycopg.Connection:
    """An autocommit connection to the `postgres` database of the server that `url` names."""
    return psycopg.connect(urlunparse(urlparse(url)._replace(path="/postgres")), autocommit=True)


def create_database(url: str, *, fresh: bool = False) -> None:
    """Create the database `url` names if it is missing; `fresh` drops an existing one first."""
    name = database_name(url)
    with admin_connection(url) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        elif conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    """Drop the database `url` names, closing this process's own Django connections to it first."""
    if settings.configured:
        connections.close_all()
    with admin_connection(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


def setup_django(url: str, *, redis_url: str | None = None, create: bool = True) -> None:
    """Set Django up on the database `url` names (created if missing unless `create` is false).

    Without `redis_url` Celery tasks run inline in this process, as a bench wants them;
    variables already in the environment (LOG_LEVEL, say) win over the bench defaults.
    """
    os.environ["DATABASE_URL"] = url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    if create and url.startswith(("postgres://", "postgresql://")):
        create_database(url)
    django.setup()


def reference_ms(runs: int = 5) -> float:
    """How fast this machine is now: the median time, in ms, of a fixed pure-Python task (a million
    additions). A slower machine, or one whose cores a neighbour is taking, gives more. `make bench`
    and `make loadtest` print it beside their figures, so runs on different days can be compared."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        total = 0
        for step in range(1_000_000):
            total += step
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)
