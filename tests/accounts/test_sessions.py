"""People see where they are signed in and end those sessions; every session has an absolute lifetime."""

import re
from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.reauth import RECENT_AUTH_SECONDS
from accounts.selectors import describe_device, session_id
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)


def browser(user_agent: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent)


def sign_in(client: Client, user) -> None:
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def session_ids(html: str) -> list[str]:
    return re.findall(r'name="session" value="([0-9a-f]+)"', html)


def test_the_settings_page_lists_my_sessions_with_their_devices(patient, other_patient):
    phone, laptop = browser(FIREFOX_ANDROID), browser(EDGE_WINDOWS)
    sign_in(phone, patient)
    sign_in(laptop, patient)
    sign_in(browser(SAFARI_IPHONE), other_patient)
    html = laptop.get(reverse("accounts:profile")).content.decode()
    assert "Firefox on Android" in html
    assert "Edge on Windows" in html
    assert "Safari on iPhone" not in html, "another person's session"
    assert "this device" in html
    # Only the other session has an end button, and no page ever shows a session key.
    assert len(session_ids(html)) == 1
    for key in UserSession.objects.values_list("session_key", flat=True):
        assert key not in html


def test_ending_a_session_signs_that_device_out_at_once(patient):
    phone, laptop = browser(FIREFOX_ANDROID), browser(EDGE_WINDOWS)
    sign_in(phone, patient)
    sign_in(laptop, patient)
    (other,) = session_ids(laptop.get(reverse("accounts:profile")).content.decode())
    response = laptop.post(reverse("accounts:end-session"), {"session": other})
    assert response.status_code == 302
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert laptop.get(reverse("accounts:profile")).status_code == 200
    assert AuditEvent.objects.filter(action=Action.SESSIONS_ENDED, actor=patient).count() == 1


def test_sign_out_everywhere_else_keeps_this_session(patient):
    clients = [browser(FIREFOX_ANDROID), browser(SAFARI_IPHONE), browser(EDGE_WINDOWS)]
    for client in clients:
        sign_in(client, patient)
    here = clients[-1]
    here.post(reverse("accounts:end-other-sessions"))
    assert [c.get(reverse("accounts:profile")).status_code for c in clients] == [302, 302, 200]
    assert UserSession.objects.filter(user=patient).count() == 1


def test_nobody_ends_another_persons_session(patient, other_patient):
    victim = browser(FIREFOX_ANDROID)
    sign_in(victim, other_patient)
    victim_id = session_ids(browser(EDGE_WINDOWS).get(reverse("accounts:profile")).content.decode())
    assert victim_id == []  # not signed in: nothing listed
    attacker = browser(EDGE_WINDOWS)
    sign_in(attacker, patient)
    (victim_key,) = UserSession.objects.filter(user=other_patient).values_list("session_key", flat=True)
    attacker.post(reverse("accounts:end-session"), {"session": session_id(victim_key)})
    assert victim.get(reverse("accounts:profile")).status_code == 200


def test_ending_sessions_asks_for_the_password_when_the_sign_in_is_not_recent(patient):
    phone, laptop = browser(FIREFOX_ANDROID), browser(EDGE_WINDOWS)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(phone, patient)
        sign_in(laptop, patient)
        traveller.shift(timedelta(seconds=RECENT_AUTH_SECONDS + 60))
        laptop.get(reverse("accounts:profile"))
        phone.get(reverse("accounts:profile"))
        response = laptop.post(reverse("accounts:end-other-sessions"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:reauth"))
        assert phone.get(reverse("accounts:profile")).status_code == 200, "nothing ended before the password"

        wrong = laptop.post(reverse("accounts:reauth"), {"password": "not it", "next": "/accounts/settings/"})
        assert wrong.status_code == 200 and b"This password is not right." in wrong.content
        right = laptop.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/accounts/settings/"})
        assert right["Location"] == "/accounts/settings/"
        laptop.post(reverse("accounts:end-other-sessions"))
        assert phone.get(reverse("accounts:profile")).status_code == 302


def test_a_busy_session_still_ends_after_its_absolute_lifetime(patient):
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        sign_in(client, patient)
        # Used every 20 minutes, so the idle timeout never ends it...
        for _ in range(12 * 3 - 1):
            traveller.shift(timedelta(minutes=20))
            assert client.get(reverse("accounts:profile")).status_code == 200
        # ...but 12 hours after signing in it is over, and the page says why.
        traveller.shift(timedelta(minutes=21))
        response = client.get(reverse("accounts:profile"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        page = client.get(response["Location"])
        assert b"signed out after 12 hours" in page.content
        assert not UserSession.objects.filter(user=patient).exists()


def test_an_htmx_request_past_the_lifetime_reloads_the_whole_page_to_sign_in(patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        sign_in(client, patient)
        for _ in range(12 * 3 - 1):
            traveller.shift(timedelta(minutes=20))
            assert client.get(reverse("accounts:profile")).status_code == 200  # busy, never idle
        traveller.shift(timedelta(minutes=21))
        response = client.get(reverse("accounts:profile"), headers={"HX-Request": "true"})
        assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_sign_out_tells_the_browser_to_forget_cached_pages_and_storage(patient_client):
    response = patient_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    directives = {part.strip() for part in response["Clear-Site-Data"].split(",")}
    assert directives == {'"cache"', '"storage"'}


def test_devices_are_named_as_people_know_them():
    assert describe_device(FIREFOX_ANDROID) == "Firefox on Android"
    assert describe_device(SAFARI_IPHONE) == "Safari on iPhone"
    assert describe_device(EDGE_WINDOWS) == "Edge on Windows"
    assert describe_device("") == "Unknown browser"
