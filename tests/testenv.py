# Test defaults, applied before Django settings load. CI and `make test` may
# override DATABASE_URL / REDIS_URL to run against PostgreSQL and Redis.
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from _pytest.nodeid import NodeId

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("SIMPLE_STATIC", "1")
# DEBUG is off in tests, so email and the two-factor key must be configured as in production.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("TWO_FACTOR_KEYS", "dGVzdC1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
# Live-server threads must not keep connections open past a test: the test
# database could then not be dropped at the end of a PostgreSQL run.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")


def _redis_db_per_xdist_worker() -> None:
    """Each pytest-xdist worker talks to its own Redis database: a test that starts a Celery
    worker or purges the queue must never take or drop tasks another process enqueued for its
    own test database. gw0 keeps the given database, gwN uses the next N (modulo Redis' 16);
    child processes (a `celery worker` a test starts) inherit the rewritten URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL", "")
    if not worker.startswith("gw") or not url:
        return
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{(base + int(worker[2:])) % 16}"))


_redis_db_per_xdist_worker()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Makes `--dist loadgroup` group again. pytest-xdist 3.8 marks a test of an `xdist_group` by
    appending "@group" to `item._nodeid`, which pytest 9 no longer reads (a node's id is `_id`):
    without this, every group was silently split across workers (two `collectstatic` runs, the
    search cases' catalog loaded twice). Runs after xdist's hook and copies the grouped id over."""
    for item in items:
        grouped = getattr(item, "_nodeid", None)
        if grouped and grouped != item.nodeid:
            item._id = NodeId.parse(grouped)
