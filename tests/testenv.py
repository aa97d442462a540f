# Test defaults, applied before Django settings load. CI and `make test` may
# override DATABASE_URL / REDIS_URL to run against PostgreSQL and Redis.
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("SIMPLE_STATIC", "1")
# Live-server threads must not keep connections open past a test: the test
# database could then not be dropped at the end of a PostgreSQL run.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
