"""The production set-up, run for real: gunicorn with DEBUG off behind a (simulated) TLS proxy.

The requests are what our proxy forwards: X-Forwarded-Proto https and X-Forwarded-For with the
address it saw appended. The server uses this test's PostgreSQL database, so the test data must be
committed (transactional_db) and the run needs PostgreSQL.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from audit.models import Action, AuditEvent
from tests.conftest import need
from tests.factories import PASSWORD, PatientFactory

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "BEHIND_PROXY": "1",
    "SECRET_KEY": "production-like-test-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1",
    "EMAIL_HOST": "smtp.invalid",
    "TWO_FACTOR_KEYS": "cHJvZHVjdGlvbi1saWtlLXRlc3Qta2V5LW9ubHkhISE=",
    "SIMPLE_STATIC": "1",
    "DB_CONN_MAX_AGE": "0",
    "LOG_LEVEL": "WARNING",
}
STRIPPED = {"DEBUG", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "EMAIL_BACKEND", "REDIS_URL", "DATABASE_URL"}

# No xdist_group: `--dist loadgroup` runs groups first (largest work units first), and these
# transactional tests must run after the others on their worker (they empty the tables, the
# migrations' rows too). When xdist gives both server tests to one worker, the server starts once.
pytestmark = [pytest.mark.services, pytest.mark.real_password_hashers]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def this_tests_database_url() -> str:
    db = settings.DATABASES["default"]
    need(db["ENGINE"] == "django.db.backends.postgresql", "the production-like server needs PostgreSQL")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    env.update(PRODUCTION_ENV)
    env.update(extra)
    return env


def gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "msgut.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--timeout", "30", "--graceful-timeout", "1"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@dataclass
class Browser:
    """One client behind the proxy: its own cookies, its own address."""

    port: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookie_headers: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> http.client.HTTPResponse:
        origin = f"https://127.0.0.1:{self.port}"
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Referer": origin + path,
            "Origin": origin,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode()  # type: ignore[attr-defined]
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response

    def sign_in(self, email: str, password: str) -> http.client.HTTPResponse:
        page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)  # type: ignore[attr-defined]
        assert token, page.text  # type: ignore[attr-defined]
        return self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password},
        )


@pytest.fixture(scope="module")
def running_server(django_db_setup) -> Iterator[int]:
    """gunicorn on this worker's test database, started once for the module's tests (a long-running
    server, as in production; starting and stopping it cost about two seconds a test)."""
    port = free_port()
    process = gunicorn(port, server_env(DATABASE_URL=this_tests_database_url()))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server(transactional_db, running_server) -> int:
    """The server's port; this test's rows are committed (it reads them) and emptied after it."""
    return running_server


def test_behind_the_proxy_nobody_locks_another_person_out(server):
    patient = PatientFactory(email="owner@example.org")
    attacker = Browser(server, "203.0.113.66")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attacker.sign_in(patient.email, "a wrong password").status == 200
    assert attacker.sign_in(patient.email, "a wrong password").status == 429
    assert attacker.sign_in(patient.email, PASSWORD).status == 429

    owner = Browser(server, "198.51.100.7")
    response = owner.sign_in(patient.email, PASSWORD)
    assert response.status == 302, response.text  # type: ignore[attr-defined]
    assert response.getheader("Location") == "/"
    failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED).values_list("ip", flat=True)
    assert set(failed) == {"203.0.113.66"}
    assert AuditEvent.objects.get(action=Action.LOGIN).ip == "198.51.100.7"


def test_production_cookies_carry_the_host_prefix_and_static_files_carry_the_policy(server):
    browser = Browser(server, "198.51.100.7")
    PatientFactory(email="cookies@example.org")
    assert browser.sign_in("cookies@example.org", PASSWORD).status == 302
    names = {header.split("=", 1)[0] for header in browser.set_cookie_headers}
    assert {"__Host-sessionid", "__Host-csrftoken"} <= names, names
    for header in browser.set_cookie_headers:
        if header.startswith("__Host-"):
            assert "Secure" in header and "Path=/" in header and "Domain" not in header, header
    static = browser.request("GET", "/static/img/favicon.svg")
    assert static.status == 200
    assert "default-src 'self'" in (static.getheader("Content-Security-Policy") or "")
    assert static.getheader("X-Frame-Options") == "DENY"


def test_without_email_configured_the_production_server_refuses_to_start(db):
    env = server_env(DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    del env["EMAIL_HOST"]
    process = gunicorn(free_port(), env)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("gunicorn started without any email configuration") from None
    assert process.returncode != 0
    assert b"Email is not configured" in output
