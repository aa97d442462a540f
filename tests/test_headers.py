"""Content-Security-Policy, caching and framing headers: nothing runs that we did not ship, nothing private is cached."""

import json
import os
import re
import subprocess
import sys

from django.test import Client
from django.urls import reverse

from tests.test_settings import PRODUCTION, ROOT


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_the_csp_allows_only_our_own_origin(client, db):
    response = client.get(reverse("accounts:login"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    for sources in policy.values():
        assert not any(s.startswith(("http:", "https:")) or "." in s.strip("'") for s in sources if s != "data:"), (
            sources
        )
    assert response["X-Frame-Options"] == "DENY"


def test_pages_load_scripts_and_styles_only_from_our_static_files(client, db):
    html = client.get(reverse("accounts:login")).content.decode()
    links = re.findall(r'<link(?![^>]*rel="manifest")[^>]*href="([^"]+)"', html)
    for src in re.findall(r'<script[^>]*src="([^"]+)"', html) + links:
        assert src.startswith("/static/"), src
    # The web app manifest is a page of ours too (it names the app's start page), never another origin's.
    assert re.findall(r'<link[^>]*rel="manifest"[^>]*href="([^"]+)"', html) == ["/manifest.webmanifest"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html
    assert "htmx" in html


def test_signed_in_pages_are_never_cached(patient_client):
    response = patient_client.get(reverse("accounts:profile"))
    assert "no-store" in response["Cache-Control"]


def test_the_csrf_token_rides_on_htmx_requests(patient_client):
    html = patient_client.get(reverse("accounts:profile")).content.decode()
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]+\"\}'", html)


def test_state_changes_need_a_csrf_token(patient, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert client.post(reverse("accounts:profile"), {"time_zone": "UTC", "language": "en"}).status_code == 403


def test_the_csp_forbids_base_tags(client, db):
    policy = directives(client.get(reverse("accounts:login"))["Content-Security-Policy"])
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_static_files_carry_the_policy_and_framing_headers(client, db):
    response = client.get("/static/img/favicon.svg")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_cookies_are_named_with_the_host_prefix():
    """With secure cookies (production) the session and CSRF cookies are __Host- cookies; the production
    server test checks what a browser receives."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_SECURE]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_COOKIES", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update({**PRODUCTION, "DJANGO_SETTINGS_MODULE": "msgut.settings"})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["__Host-sessionid", "__Host-csrftoken", True]
