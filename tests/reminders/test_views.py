"""The reminders page, the browser subscription endpoint, device removal and the unsubscribe link."""

import base64
import json
import re
from datetime import time

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from reminders import links
from reminders.checks import vapid_settings
from reminders.models import Channel, Kind, PushSubscription, ReminderPreference
from tests.factories import ClinicianFactory, PatientFactory
from tests.reminders.conftest import remind
from tests.reminders.test_push import Browser

pytestmark = pytest.mark.django_db

SETTINGS = "/reminders/"


def test_the_page_starts_with_everything_off_and_says_the_time_zone(patient_client):
    response = patient_client.get(SETTINGS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Every reminder is off until you turn it on." in html
    assert "In your time zone, Europe/Paris" in html
    for name in ("daily_email", "weekly_email", "quiet_during_relapse"):
        assert f'name="{name}"' in html
    assert 'value="20:00"' in html
    assert not re.search(r'name="daily_email"[^>]*checked', html)
    assert re.search(r'name="quiet_during_relapse"[^>]*checked', html)
    assert not ReminderPreference.objects.exists()  # opening the page writes nothing


def test_saving_turns_on_a_daily_email_at_the_chosen_time(patient_client, patient):
    response = patient_client.post(
        SETTINGS, {"daily_email": "on", "at": "07:45", "weekly_email": "on", "quiet_during_relapse": "on"}
    )
    assert response.status_code == 302 and response["Location"] == SETTINGS
    preference = ReminderPreference.objects.get(patient=patient)
    assert (preference.daily_email, preference.at, preference.weekly_email) == (True, time(7, 45), True)
    assert preference.quiet_during_relapse
    assert "Your reminders are saved." in patient_client.get(SETTINGS).content.decode()


@pytest.mark.parametrize("value", ["", "25:00", "soon", "20:00\x00"])
def test_a_time_that_is_not_one_is_a_form_error_not_a_crash(patient_client, patient, value):
    response = patient_client.post(SETTINGS, {"daily_email": "on", "at": value})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not ReminderPreference.objects.filter(patient=patient).exists()


def test_without_vapid_keys_there_is_no_notification_choice(patient_client):
    html = patient_client.get(SETTINGS).content.decode()
    assert 'name="daily_push"' not in html and "data-push" not in html


def test_with_vapid_keys_the_page_offers_notifications_and_says_they_need_javascript(patient_client, vapid):
    html = patient_client.get(SETTINGS).content.decode()
    assert 'name="daily_push"' in html and 'name="weekly_push"' in html
    assert f'data-vapid-key="{vapid[0]}"' in html
    assert "Allowing notifications needs JavaScript" in html
    assert "add msgut to your Home Screen first" in html


def test_with_email_switched_off_the_email_choices_are_off_and_say_why(patient_client, patient, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    html = patient_client.get(SETTINGS).content.decode()
    assert re.search(r'name="daily_email"[^>]*disabled', html)
    assert "Email is switched off on this server" in html
    patient_client.post(SETTINGS, {"daily_email": "on", "at": "20:00"})
    assert ReminderPreference.objects.get(patient=patient).daily_email is False


def test_clinicians_have_no_reminders_page(clinician_client):
    assert clinician_client.get(SETTINGS).status_code == 403


def test_the_settings_page_shows_what_is_on_and_links_to_the_reminders(patient_client, patient):
    remind(patient, daily_email=True, at=time(21, 15))
    html = patient_client.get(reverse("accounts:profile")).content.decode()
    assert "Daily reminder at 21:15 when nothing is logged yet." in html
    assert f'href="{SETTINGS}"' in html


# ---------------------------------------------------------------- browser subscriptions


def subscription_body(endpoint="https://fcm.googleapis.com/fcm/send/abc123", browser=None, **changes) -> str:
    browser = browser or Browser()
    keys = {"p256dh": browser.p256dh, "auth": links_b64(browser.auth)}
    keys.update(changes)
    return json.dumps({"endpoint": endpoint, "expirationTime": None, "keys": keys})


def links_b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def post_subscription(client, body: str, **headers):
    return client.post(reverse("reminders:push-subscribe"), body, content_type="application/json", **headers)


def test_a_browser_subscription_is_stored_for_this_patient(patient_client, patient, vapid, settings):
    settings.PUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    response = post_subscription(
        patient_client,
        subscription_body(),
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36",
    )
    assert response.status_code == 201
    device = PushSubscription.objects.get()
    assert device.patient == patient and device.endpoint.endswith("abc123")
    html = patient_client.get(SETTINGS).content.decode()
    assert "Chrome on Android" in html and "Remove" in html


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (subscription_body(endpoint="http://fcm.googleapis.com/fcm/send/x"), "endpoint"),
        (subscription_body(endpoint="https://127.0.0.1:6379/"), "endpoint"),
        (subscription_body(endpoint="https://evil.example/push"), "endpoint"),
        (subscription_body(p256dh="AAAA"), "p256dh"),
        (subscription_body(p256dh="BA" + "A" * 85), "p256dh"),  # 65 bytes but not a point on the curve
        (subscription_body(auth="not base64 !"), "auth"),
        (subscription_body(auth="AAAA"), "auth"),
        ("{not json", "__all__"),
        ('"a string"', "__all__"),
        ("{}", "endpoint"),
    ],
)
def test_a_bad_subscription_is_a_400_with_reasons_never_a_500(patient_client, vapid, settings, body, field):
    settings.PUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    settings.PUSH_ALLOW_HTTP = False
    response = post_subscription(patient_client, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not PushSubscription.objects.exists()


def test_the_subscription_endpoint_needs_a_csrf_token(patient, vapid, settings):
    settings.PUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    assert post_subscription(client, subscription_body()).status_code == 403
    client.get(SETTINGS)
    token = client.cookies["csrftoken"].value
    assert post_subscription(client, subscription_body(), HTTP_X_CSRFTOKEN=token).status_code == 201


def test_the_same_browser_signing_in_as_someone_else_moves_to_them(client, vapid, settings):
    settings.PUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    first, second = PatientFactory(), PatientFactory()
    browser = Browser()
    client.force_login(first)
    post_subscription(client, subscription_body(browser=browser))
    client.force_login(second)
    post_subscription(client, subscription_body(browser=browser))
    assert list(PushSubscription.objects.values_list("patient", flat=True)) == [second.pk]


def test_subscribing_is_refused_when_push_is_not_set_up(patient_client):
    assert post_subscription(patient_client, subscription_body()).status_code == 404


def test_a_patient_removes_their_own_device_but_not_anyone_elses(patient_client, patient, vapid):
    mine = Browser().subscribe(patient, "https://fcm.googleapis.com/fcm/send/mine")
    theirs = Browser().subscribe(PatientFactory(), "https://fcm.googleapis.com/fcm/send/theirs")
    assert patient_client.post(reverse("reminders:device-remove", args=[theirs.pk])).status_code == 404
    assert patient_client.get(reverse("reminders:device-remove", args=[mine.pk])).status_code == 405
    response = patient_client.post(reverse("reminders:device-remove", args=[mine.pk]))
    assert response.status_code == 302
    assert list(PushSubscription.objects.values_list("pk", flat=True)) == [theirs.pk]


# ---------------------------------------------------------------- the unsubscribe link


def stop_path(patient, kind=Kind.DAILY, channel=Channel.EMAIL) -> str:
    return links.stop_path(patient_id=patient.pk, kind=kind, channel=channel)


def test_opening_the_link_signed_out_asks_first_and_changes_nothing(client, patient):
    remind(patient, daily_email=True)
    response = client.get(stop_path(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop daily reminders by email?" in html
    assert 'method="post"' in html and "Yes, stop them" in html
    assert patient.email not in html  # the page tells nobody whose link it is
    assert ReminderPreference.objects.get(patient=patient).daily_email is True


def test_the_button_stops_that_reminder_signed_out_without_a_csrf_token(patient):
    remind(patient, daily_email=True, weekly_email=True)
    client = Client(enforce_csrf_checks=True)
    response = client.post(stop_path(patient))
    assert response.status_code == 200
    assert "Daily reminders by email are off." in response.content.decode()
    preference = ReminderPreference.objects.get(patient=patient)
    assert (preference.daily_email, preference.weekly_email) == (False, True)  # only that one


def test_one_click_unsubscribe_from_a_mail_provider_works(patient):
    """RFC 8058: the provider POSTs List-Unsubscribe=One-Click to the List-Unsubscribe address."""
    remind(patient, weekly_email=True)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        stop_path(patient, Kind.WEEKLY), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert ReminderPreference.objects.get(patient=patient).weekly_email is False


def test_the_notifications_stop_action_turns_off_the_notification_only(patient):
    remind(patient, daily_email=True, daily_push=True)
    Client().post(stop_path(patient, Kind.DAILY, Channel.PUSH), {"List-Unsubscribe": "One-Click"})
    preference = ReminderPreference.objects.get(patient=patient)
    assert (preference.daily_email, preference.daily_push) == (True, False)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_with_a_clear_page_and_changes_nothing(client, patient, method):
    remind(patient, daily_email=True)
    path = stop_path(patient)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged_id = links.make_token(patient_id=patient.pk + 1, kind=Kind.DAILY, channel=Channel.EMAIL)
    tampered = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # a changed character in the signature
        forged_id.split(":")[0] + ":" + token.split(":")[1],  # another patient's data with this signature
        token[:20],
        signing.dumps({"u": patient.pk, "k": "daily", "c": "email"}, salt="django.contrib.sessions"),  # another salt
        links.make_token(patient_id=patient.pk, kind="everything", channel="email"),
    ]
    for bad in tampered:
        response = getattr(client, method)(reverse("reminders:stop", args=[bad]))
        assert response.status_code == 400, bad
        assert "This link is not valid" in response.content.decode()
    assert ReminderPreference.objects.get(patient=patient).daily_email is True


def test_the_link_of_an_erased_account_answers_like_any_other(client):
    gone = PatientFactory()
    path = stop_path(gone)
    gone.delete()
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 200 and "Daily reminders by email are off." in response.content.decode()


def test_the_link_page_is_in_french_for_a_french_browser(client, patient):
    response = client.get(stop_path(patient), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Arrêter les rappels quotidiens par e-mail ?" in response.content.decode()


def test_the_link_still_works_after_the_secret_key_is_rotated(client, patient, settings):
    remind(patient, daily_email=True)
    path = stop_path(patient)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert client.post(path).status_code == 200
    assert ReminderPreference.objects.get(patient=patient).daily_email is False


def test_the_management_command_prints_a_key_pair(capsys):
    call_command("generate_vapid_keys")
    out = capsys.readouterr().out
    assert re.search(r"^VAPID_PUBLIC_KEY=[A-Za-z0-9_-]{87}$", out, re.M)
    assert re.search(r"^VAPID_PRIVATE_KEY=[A-Za-z0-9_-]{43}$", out, re.M)


def test_a_half_configured_push_setup_is_reported_by_the_checks(settings):
    settings.VAPID_PUBLIC_KEY = "x"
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_SUBJECT = "ops@example.org"
    ids = {message.id for message in vapid_settings(None)}
    assert ids == {"reminders.W001", "reminders.E001", "reminders.E002"}


def test_a_patient_keeps_at_most_ten_devices_the_newest(patient_client, patient, vapid, settings):
    settings.PUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    for n in range(12):
        post_subscription(patient_client, subscription_body(endpoint=f"https://fcm.googleapis.com/fcm/send/{n}"))
    endpoints = sorted(int(e.rsplit("/", 1)[1]) for e in PushSubscription.objects.values_list("endpoint", flat=True))
    assert endpoints == list(range(2, 12))


def test_the_link_works_in_a_session_still_waiting_for_its_second_factor(client, patient):
    remind(patient, daily_email=True)
    client.force_login(ClinicianFactory())  # signed in, two-factor not passed yet
    path = stop_path(patient)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200
    assert ReminderPreference.objects.get(patient=patient).daily_email is False
