import re

import pytest
import time_machine
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_TOTP_KEY, current_demo_code
from accounts.twofactor import new_backup_codes
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD
from tests.otp import totp_code

NOW = "2026-03-02 09:00:00+00:00"


def password_login(client: Client, user) -> None:
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content


def test_it_sends_a_clinician_without_a_device_to_enrolment(client, clinician):
    password_login(client, clinician)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_it_sends_a_clinician_with_a_device_to_verification(client, clinician):
    TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    password_login(client, clinician)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two-factor-verify") + "?next=%2Faccounts%2Fsettings%2F"


def test_an_htmx_request_before_the_second_factor_sends_the_whole_page_to_verification(client, clinician):
    TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    password_login(client, clinician)
    response = client.get(reverse("clinic:dashboard"), {"q": "x"}, headers={"HX-Request": "true"})
    # htmx follows HX-Redirect with a full page load; a 302 would be followed inside the fragment.
    assert response.status_code == 200 and "Location" not in response
    assert response["HX-Redirect"] == reverse("accounts:two-factor-verify") + "?next=%2Fclinic%2F%3Fq%3Dx"


def test_it_lets_an_unverified_clinician_sign_out(client, clinician):
    password_login(client, clinician)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_does_not_ask_patients_for_a_second_factor(client, patient):
    password_login(client, patient)
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get(reverse("accounts:two-factor-setup")).status_code == 302


@time_machine.travel(NOW, tick=False)
def test_it_enrols_an_authenticator_and_shows_backup_codes_once(client, clinician):
    password_login(client, clinician)
    page = client.get(reverse("accounts:two-factor-setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in body
    assert "style=" not in body
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)

    response = client.post(reverse("accounts:two-factor-setup"), {"code": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two-factor-backup-codes")
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(reverse("accounts:two-factor-backup-codes")).content.decode()
    tokens = set(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True))
    assert len(tokens) == 10
    assert all(token in codes_page for token in tokens)
    # Shown once: the next visit goes back to the settings page.
    assert client.get(reverse("accounts:two-factor-backup-codes")).status_code == 302
    # And the session is verified: the settings page opens.
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action=Action.OTP_ENROLLED).count() == 1


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_wrong_enrolment_code(client, clinician):
    password_login(client, clinician)
    client.get(reverse("accounts:two-factor-setup"))
    response = client.post(reverse("accounts:two-factor-setup"), {"code": "000000"})
    assert response.status_code == 200
    assert b"did not match" in response.content
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=True).exists()


def test_it_does_not_let_a_password_alone_replace_the_authenticator(client, clinician):
    TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    password_login(client, clinician)
    response = client.get(reverse("accounts:two-factor-setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-verify"))
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=False).exists()


@time_machine.travel(NOW, tick=False)
def test_it_verifies_a_code_and_then_opens_the_page_asked_for(client, clinician):
    device = TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    password_login(client, clinician)
    key_before = client.session.session_key
    response = client.post(
        reverse("accounts:two-factor-verify"), {"code": totp_code(device), "next": reverse("accounts:profile")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert client.session.session_key != key_before
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action=Action.OTP_VERIFIED).exists()


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_code_that_was_already_used(clinician):
    device = TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    code = totp_code(device)
    first, second = Client(), Client()
    password_login(first, clinician)
    assert first.post(reverse("accounts:two-factor-verify"), {"code": code}).status_code == 302

    password_login(second, clinician)
    replay = second.post(reverse("accounts:two-factor-verify"), {"code": code})
    assert replay.status_code == 200
    assert b"did not work" in replay.content
    assert second.get(reverse("accounts:profile")).status_code == 302
    assert AuditEvent.objects.filter(actor=clinician, action=Action.OTP_FAILED).count() == 1


def test_it_accepts_a_backup_code_once(clinician):
    TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    code = new_backup_codes(clinician)[0]
    first, second = Client(), Client()
    password_login(first, clinician)
    assert first.post(reverse("accounts:two-factor-verify"), {"code": code.upper()}).status_code == 302
    password_login(second, clinician)
    assert second.post(reverse("accounts:two-factor-verify"), {"code": code}).status_code == 200
    assert StaticToken.objects.filter(device__user=clinician).count() == 9


def test_it_answers_a_nul_byte_in_the_code_with_a_form_error(client, clinician):
    TOTPDevice.objects.create(user=clinician, name="authenticator", confirmed=True)
    password_login(client, clinician)
    response = client.post(reverse("accounts:two-factor-verify"), {"code": "12\x003456"})
    assert response.status_code == 200
    assert b"not allowed" in response.content


def test_the_admin_site_refuses_staff_who_have_not_verified(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_the_admin_site_itself_checks_the_second_factor(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    admin_user.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    admin_user.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_the_admin_site_opens_for_verified_staff(admin_client):
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_the_admin_login_page_sends_people_to_the_one_sign_in_page(client, db):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_verified_fixtures_open_clinician_pages(clinician_client):
    assert clinician_client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.django_db
def test_the_demo_command_gives_demo_staff_the_published_key(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    devices = TOTPDevice.objects.filter(user__email__in=["clinician@demo.msgut", "admin@demo.msgut"], confirmed=True)
    assert devices.count() == 2
    assert {d.key for d in devices} == {DEMO_TOTP_KEY}
    assert "otpauth://totp/" in out
    assert re.search(r"NVZWO5LUFVSGK3LPFV2G65DQFVVWK6JB", out)
    device = devices.first()
    assert device is not None
    assert device.verify_token(current_demo_code())


def test_an_unverified_clinician_sees_no_navigation(client, clinician):
    password_login(client, clinician)
    html = client.get(reverse("accounts:two-factor-setup")).content.decode()
    assert 'class="main-nav"' not in html
    assert "Sign out" in html
