"""People see where they are signed in and end those sessions; every session has an absolute lifetime."""

import re
from datetime import timedelta

import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.reauth import RECENT_AUTH_SECONDS
from accounts.reauth import SESSION_KEY as RECENT_AUTH_KEY
from accounts.selectors import describe_device, session_id
from audit.models import Action, AuditEvent
from tests.conftest import verified_login
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


def session_writes(queries: list[dict]) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT")) and "accounts_usersession" in q["sql"]
    ]


def test_an_unchanged_session_is_written_at_most_once_a_minute(patient):
    assert settings.SESSION_WRITE_INTERVAL_SECONDS == 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        sign_in(client, patient)
        (row,) = UserSession.objects.filter(user=patient)
        traveller.shift(timedelta(seconds=59))
        with CaptureQueriesContext(connection) as within:
            assert client.get(reverse("accounts:profile")).status_code == 200
        assert session_writes(within.captured_queries) == []
        assert UserSession.objects.get(pk=row.pk).expire_date == row.expire_date
        traveller.shift(timedelta(seconds=1))
        with CaptureQueriesContext(connection) as after:
            assert client.get(reverse("accounts:profile")).status_code == 200
        assert len(session_writes(after.captured_queries)) == 1
        renewed = UserSession.objects.get(pk=row.pk)
        assert renewed.last_seen == start + timedelta(seconds=60)
        assert renewed.expire_date == start + timedelta(seconds=60 + settings.SESSION_COOKIE_AGE)


def test_a_changed_session_is_written_at_once(patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        sign_in(client, patient)
        traveller.shift(timedelta(seconds=10))
        # Confirming the password puts its time in the session: written within the minute.
        client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/accounts/settings/"})
        row = UserSession.objects.get(user=patient)
        assert row.get_decoded()[RECENT_AUTH_KEY] == int((start + timedelta(seconds=10)).timestamp())
        assert row.last_seen == start + timedelta(seconds=10)


def test_the_idle_timeout_holds_to_the_minute_when_writes_are_skipped(patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        sign_in(client, patient)  # written: idle until start + 30 min
        traveller.shift(timedelta(seconds=50))
        assert client.get(reverse("accounts:profile")).status_code == 200  # not written
        # The session ends 30 minutes after its last write: never later than 30 idle minutes,
        # at most a minute earlier.
        traveller.shift(timedelta(minutes=29))
        assert client.get(reverse("accounts:profile")).status_code == 200  # 29 min 50 s: written
        traveller.shift(timedelta(minutes=30, seconds=1))
        response = client.get(reverse("accounts:profile"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_signing_out_within_the_minute_still_ends_the_session_for_a_replayed_cookie(patient):
    client = Client()
    sign_in(client, patient)
    assert client.get(reverse("accounts:profile")).status_code == 200  # not written again
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("accounts:logout"))
    assert not UserSession.objects.filter(user=patient).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get(reverse("accounts:profile")).status_code == 302


@override_settings(ROOT_URLCONF="bench.urls")
def test_a_signed_in_request_reads_the_session_and_the_user_with_their_profile_and_writes_nothing(patient):
    client = Client()
    sign_in(client, patient)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/bench/bare").status_code == 200
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in captured.captured_queries]
    assert tables == ['"accounts_usersession"', '"accounts_user"'], [q["sql"] for q in captured.captured_queries]
    assert '"accounts_profile"' in captured.captured_queries[1]["sql"]


def test_a_clinician_request_loads_the_authenticator_once(clinician):
    client = Client()
    verified_login(client, clinician)
    client.get(reverse("clinic:dashboard"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("clinic:dashboard")).status_code == 200
    devices = [q for q in captured.captured_queries if '"accounts_authenticator"' in q["sql"]]
    users = [
        q
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "accounts_user"."id", "accounts_user"."password"')
    ]
    assert len(devices) == 1
    assert len(users) == 1
