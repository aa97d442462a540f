"""Content-Security-Policy, caching and framing headers: nothing runs that we did not ship, nothing private is cached."""

import re

from django.test import Client
from django.urls import reverse


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
    for src in re.findall(r'<script[^>]*src="([^"]+)"', html) + re.findall(r'<link[^>]*href="([^"]+)"', html):
        assert src.startswith("/static/"), src
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
