"""Sign-in, sign-out, passwords and throttling."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User, UserSession
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase for msgut 2026"


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


def test_it_signs_a_patient_in_and_sends_them_home(client, patient):
    response = sign_in(client, patient.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(patient.pk)
    assert client.get(reverse("home"))["Location"] == patient.home_url()


def test_it_refuses_a_wrong_password_with_a_clear_message(client, patient):
    response = sign_in(client, patient.email, "not my password at all")
    assert response.status_code == 200
    assert b"do not match an account" in response.content
    assert "_auth_user_id" not in client.session


def test_it_gives_a_new_session_key_at_sign_in(client, patient):
    client.get(reverse("accounts:login"))
    session = client.session
    session["before"] = "x"
    session.save()
    key_before = session.session_key
    sign_in(client, patient.email)
    assert client.session.session_key != key_before
    assert not UserSession.objects.filter(session_key=key_before).exists()


def test_it_ends_the_session_on_the_server_at_sign_out(client, patient):
    sign_in(client, patient.email)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not UserSession.objects.filter(session_key=cookie).exists()

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = replay.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_sign_out_by_get_is_refused(patient_client):
    assert patient_client.get(reverse("accounts:logout")).status_code == 405
    assert patient_client.get(reverse("accounts:profile")).status_code == 200


def test_the_language_switch_by_get_is_refused(client, db):
    assert client.get(reverse("accounts:language")).status_code == 405


def test_a_password_change_ends_other_sessions_and_keeps_this_one(patient):
    here, elsewhere = Client(), Client()
    sign_in(here, patient.email)
    sign_in(elsewhere, patient.email)
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200
    other = elsewhere.get(reverse("accounts:profile"))
    assert other.status_code == 302
    assert other["Location"].startswith(reverse("accounts:login"))
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED, actor=patient).count() == 1


def test_a_password_change_needs_the_old_password(patient_client, patient):
    response = patient_client.post(
        reverse("accounts:password-change"),
        {"old_password": "wrong old password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


@pytest.mark.real_password_hashers
def test_it_accepts_a_64_character_passphrase(client, db):
    phrase = "the quick brown fox jumps over the lazy dog near the river bank!"
    assert len(phrase) == 64
    client.post(
        reverse("accounts:signup"),
        {
            "email": "long@example.org",
            "password1": phrase,
            "password2": phrase,
            "privacy": "on",
            "time_zone": "UTC",
            "language": "en",
        },
    )
    user = User.objects.get(email="long@example.org")
    assert user.check_password(phrase)
    assert user.password.startswith("argon2$")


def test_it_rejects_a_common_password(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "weak@example.org",
            "password1": "password123",
            "password2": "password123",
            "privacy": "on",
            "time_zone": "UTC",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.org").exists()


def test_a_nul_byte_in_sign_up_fields_is_a_form_error(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "nul@example.org",
            "display_name": "Bad\x00Name",
            "password1": "a long passphrase for my health log",
            "password2": "a long passphrase for my health log",
            "privacy": "on",
            "time_zone": "UTC",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="nul@example.org").exists()


def test_a_nul_byte_in_the_sign_in_email_is_a_form_error(client, db):
    response = sign_in(client, "a\x00b@example.org")
    assert response.status_code == 200


def test_it_resets_a_forgotten_password_by_email(client, patient, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password-reset"), {"email": patient.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/[^\s]+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = "/" + link.group(0).split("/", 3)[3]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password-reset-complete")
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    # The link works once.
    assert b"new_password1" not in client.get(path, follow=True).content


def test_a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert mail.outbox == []


def test_it_pauses_sign_in_after_repeated_bad_passwords_and_lets_it_work_after_the_cool_off(patient):
    limit = settings.AXES_FAILURE_LIMIT
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        for _ in range(limit - 1):
            assert sign_in(client, patient.email, "a wrong password").status_code == 200
        # The Nth failure starts the cool-off and says so...
        paused = sign_in(client, patient.email, "a wrong password")
        assert paused.status_code == 429
        assert b"password" in paused.content.lower()
        # ...and the N+1th attempt is refused, even with the right password.
        refused = sign_in(client, patient.email)
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, actor_email=patient.email).count() == limit + 1
        assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()

        # (An attempt during the cool-off, like the one above, starts it again.)
        traveller.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        later = Client()
        assert sign_in(later, patient.email).status_code == 302
        assert later.session["_auth_user_id"] == str(patient.pk)


def test_a_lock_on_one_account_does_not_lock_another(patient, other_patient):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, patient.email, "a wrong password")
    assert sign_in(Client(), other_patient.email).status_code == 302


def test_a_session_ends_after_30_idle_minutes(patient):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert issubclass(import_string(f"{settings.SESSION_ENGINE}.SessionStore"), DatabaseStore)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        sign_in(client, patient.email)
        traveller.shift(timedelta(minutes=29))
        # Activity keeps the session alive...
        assert client.get(reverse("accounts:profile")).status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get(reverse("accounts:profile")).status_code == 200
        # ...and 31 idle minutes end it.
        traveller.shift(timedelta(minutes=31))
        response = client.get(reverse("accounts:profile"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.real_password_hashers
def test_argon2_is_the_first_password_hasher(patient):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert patient.password.startswith("argon2$")


def test_changing_the_case_of_the_email_does_not_dodge_the_cool_off(patient):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        email = patient.email.upper() if i % 2 else patient.email
        sign_in(client, email, "a wrong password")
    assert sign_in(Client(), patient.email.title()).status_code == 429
