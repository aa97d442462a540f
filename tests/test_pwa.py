"""The installable app on the server side: the manifest, the service worker script and its shell
version, the offline page, the viewer key that keeps one person's offline copies apart from another's,
and /day/ as a start page for every role."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from msgut import pwa
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def test_the_manifest_makes_msgut_installable_with_the_day_as_start_page():
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["short_name"]) == ("msgut", "msgut")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/day/", "/", "standalone")
    assert manifest["theme_color"] == "#0b5d4b"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert Client().get(icon["src"]).status_code == 200


def test_every_page_links_the_manifest_and_the_home_screen_tags(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'name="apple-mobile-web-app-capable" content="yes"' in html
    assert 'name="apple-mobile-web-app-title" content="msgut"' in html
    assert 'rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png"' in html


def test_the_worker_is_served_for_the_whole_site_never_cached_and_allowed_by_the_policy():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "script-src 'self'" in policy and "manifest-src 'self'" in policy
    body = response.content.decode()
    config = json.loads(re.match(r"self\.MSGUT = (\{.*\});\n", body).group(1))
    assert config["version"] == pwa.shell_version()
    assert "/static/js/offline.js" in config["shell"] and "/static/css/app.css" in config["shell"]
    assert config["offline"] == "/offline/"
    assert config["push"] == "/static/js/push-worker.js"
    assert "importScripts(config.push)" in body  # the reminders' push handler lives in the same worker


def test_the_shell_version_changes_with_any_shell_file(settings, tmp_path):
    """A deploy that changes one shell file gets a new cache name, so old and new never mix."""
    before = pwa._shell_version()
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "app.css").write_text((ROOT / "static/css/app.css").read_text() + "\n.x{}\n")
    settings.STATICFILES_DIRS = [static, *settings.STATICFILES_DIRS]
    finders.get_finder.cache_clear()
    try:
        assert pwa._shell_version() != before
    finally:
        settings.STATICFILES_DIRS = settings.STATICFILES_DIRS[1:]
        finders.get_finder.cache_clear()
    assert pwa._shell_version() == before


def test_the_offline_page_answers_signed_out(client):
    response = client.get("/offline/")
    assert response.status_code == 200
    assert "You are offline" in response.content.decode()


def test_signed_in_pages_carry_an_opaque_key_per_person_and_signed_out_ones_none(client):
    assert pwa.VIEWER_HEADER not in client.get(reverse("accounts:login"))
    one, two = PatientFactory(), PatientFactory()
    client.force_login(one)
    page = client.get(reverse("tracker:today"))
    key = page[pwa.VIEWER_HEADER]
    assert key == pwa.viewer_key(one) != pwa.viewer_key(two)
    assert str(one.pk) != key and len(key) == 20
    assert f'data-viewer="{key}"' in page.content.decode()


@pytest.mark.parametrize("who", ["clinician_client", "admin_client"])
def test_the_start_page_sends_a_clinician_or_an_admin_to_their_own_start_page(request, who):
    client = request.getfixturevalue(who)
    response = client.get("/day/")
    user = response.wsgi_request.user
    assert response.status_code == 302
    assert response["Location"] == user.home_url() != "/day/"


def test_the_start_page_is_still_the_patients_day(patient_client):
    response = patient_client.get("/day/")
    assert response.status_code == 200
    assert "Today" in response.content.decode()


def test_the_app_files_load_before_the_second_factor_but_nothing_else_does(client):
    """A clinician between password and code: the sign-in pages register the worker and link the manifest."""
    client.force_login(ClinicianFactory())
    for path in ("/sw.js", "/manifest.webmanifest", "/offline/"):
        assert client.get(path).status_code == 200, path
    assert "two-factor" in client.get("/day/").url
