"""Every form that checks a password is throttled like sign-in: no way round the pause."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

NEW = "a new passphrase nobody guesses 2026"


def erase(client, password):
    return client.post(reverse("clinic:erase"), {"password": password, "confirm": "on"})


def change(client, password):
    return client.post(
        reverse("accounts:password-change"),
        {"old_password": password, "new_password1": NEW, "new_password2": NEW},
    )


@pytest.mark.parametrize("attempt", [erase, change], ids=["erase", "password-change"])
def test_wrong_passwords_pause_the_form_and_then_even_the_right_one_is_refused(patient_client, patient, attempt):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(patient_client, "a wrong guess").status_code == 200
    paused = attempt(patient_client, "a wrong guess")
    assert paused.status_code == 429
    assert attempt(patient_client, PASSWORD).status_code == 429
    patient.refresh_from_db()
    assert User.objects.filter(pk=patient.pk).exists()
    assert patient.check_password(PASSWORD)


def test_guesses_on_different_forms_add_up(patient_client, patient):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        (erase if n % 2 else change)(patient_client, "a wrong guess")
    # The last guess, on the sign-in page from the same address, pauses them all.
    elsewhere = Client()
    assert elsewhere.post(reverse("accounts:login"), {"username": patient.email, "password": "x"}).status_code == 429
    assert erase(patient_client, PASSWORD).status_code == 429
