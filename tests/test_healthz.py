"""/healthz and the plain 503 page while the database is away."""

from unittest import mock

from django.db import OperationalError
from django.test import Client
from django.urls import reverse


def test_it_answers_200_with_the_database_up(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "inline"}
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_it_answers_503_when_the_database_is_unreachable(client, db):
    with mock.patch("msgut.views.connection.cursor", side_effect=OperationalError("connection refused")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_it_reports_a_dead_broker_without_failing(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["broker"] == "down"


def test_pages_answer_a_plain_503_while_the_database_is_down(client, db):
    with mock.patch("accounts.views.LoginView.get", side_effect=OperationalError("server closed the connection")):
        response = client.get(reverse("accounts:login"))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "no-store" in response["Cache-Control"]
    assert b"briefly unavailable" in response.content
    assert b"<script" not in response.content
    # And the next request, with the database back, works again.
    assert client.get(reverse("accounts:login")).status_code == 200


def test_it_answers_healthz_by_get_only(client, db):
    assert client.post(reverse("healthz")).status_code == 405


def test_a_database_outage_while_loading_the_session_answers_the_plain_503_page(patient):
    # Raised in SessionMiddleware, before any view: process_exception never sees it.
    client = Client(raise_request_exception=False)
    client.force_login(patient)
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=OperationalError("connection to server failed: Connection refused"),
    ):
        response = client.get("/day/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Nothing you already saved is lost" in response.content


def test_other_server_errors_still_answer_500(patient):
    client = Client(raise_request_exception=False)
    client.force_login(patient)
    with mock.patch("tracker.selectors.read_day", side_effect=ZeroDivisionError):
        response = client.get("/day/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_an_entry_posted_during_a_database_outage_gets_the_503_page(patient):
    client = Client(raise_request_exception=False)
    client.force_login(patient)
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=OperationalError("connection refused")
    ):
        response = client.post(
            "/day/2026-11-20/meals/lunch/add/", {"food": 1, "amount": "1", "unit": "portion"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 503
    assert b"Nothing you already saved is lost" in response.content
