import base64
import importlib
import re
import time

import pytest
import time_machine
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from accounts import reauth
from accounts.demo import DEMO_TOTP_KEY, current_demo_code
from accounts.models import Authenticator, BackupCode
from accounts.twofactor import check_code, new_backup_codes
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
    Authenticator.new(user=clinician, confirmed=True)
    password_login(client, clinician)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two-factor-verify") + "?next=%2Faccounts%2Fsettings%2F"


def test_an_htmx_request_before_the_second_factor_sends_the_whole_page_to_verification(client, clinician):
    Authenticator.new(user=clinician, confirmed=True)
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


def test_it_does_not_ask_patients_for_a_second_factor_until_they_turn_it_on(client, patient):
    password_login(client, patient)
    assert client.get(reverse("accounts:profile")).status_code == 200
    # Offered, not forced: the settings page invites them and the enrolment page opens.
    assert b"Turn on two-factor sign-in" in client.get(reverse("accounts:profile")).content
    assert client.get(reverse("accounts:two-factor-setup")).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_it_enrols_an_authenticator_and_shows_backup_codes_once(client, clinician):
    password_login(client, clinician)
    page = client.get(reverse("accounts:two-factor-setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in body
    assert "style=" not in body
    device = Authenticator.objects.get(user=clinician, confirmed=False)

    response = client.post(reverse("accounts:two-factor-setup"), {"code": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two-factor-backup-codes")
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(reverse("accounts:two-factor-backup-codes")).content.decode()
    shown = re.findall(r"<code>([a-z2-7]{8})</code>", codes_page)
    stored = list(BackupCode.objects.filter(device__user=clinician).values_list("hashed", flat=True))
    assert len(shown) == len(stored) == 10
    # Stored only as salted hashes: each shown code matches exactly one, and no code is kept in clear.
    assert all(sum(check_password(code, hashed) for hashed in stored) == 1 for code in shown)
    assert not any(code in hashed for code in shown for hashed in stored)
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
    assert not Authenticator.objects.filter(user=clinician, confirmed=True).exists()


def test_it_does_not_let_a_password_alone_replace_the_authenticator(client, clinician):
    Authenticator.new(user=clinician, confirmed=True)
    password_login(client, clinician)
    response = client.get(reverse("accounts:two-factor-setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-verify"))
    assert not Authenticator.objects.filter(user=clinician, confirmed=False).exists()


@time_machine.travel(NOW, tick=False)
def test_it_verifies_a_code_and_then_opens_the_page_asked_for(client, clinician):
    device = Authenticator.new(user=clinician, confirmed=True)
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
    device = Authenticator.new(user=clinician, confirmed=True)
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
    Authenticator.new(user=clinician, confirmed=True)
    code = new_backup_codes(clinician)[0]
    first, second = Client(), Client()
    password_login(first, clinician)
    assert first.post(reverse("accounts:two-factor-verify"), {"code": code.upper()}).status_code == 302
    password_login(second, clinician)
    assert second.post(reverse("accounts:two-factor-verify"), {"code": code}).status_code == 200
    assert BackupCode.objects.filter(device__user=clinician).count() == 9


def test_it_answers_a_nul_byte_in_the_code_with_a_form_error(client, clinician):
    Authenticator.new(user=clinician, confirmed=True)
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
    devices = Authenticator.objects.filter(user__email__in=["clinician@demo.msgut", "admin@demo.msgut"], confirmed=True)
    assert devices.count() == 2
    assert {d.bin_key.hex() for d in devices} == {DEMO_TOTP_KEY}
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


# Patients: offered, not forced ------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_patient_who_turns_it_on_is_asked_for_a_code_at_the_next_sign_in(client, patient):
    password_login(client, patient)
    client.get(reverse("accounts:two-factor-setup"))
    device = Authenticator.objects.get(user=patient, confirmed=False)
    assert client.post(reverse("accounts:two-factor-setup"), {"code": totp_code(device)}).status_code == 302
    assert AuditEvent.objects.filter(actor=patient, action=Action.OTP_ENROLLED).count() == 1

    later = Client()
    password_login(later, patient)
    response = later.get(reverse("tracker:today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-verify"))
    assert later.get(reverse("clinic:my-data")).status_code == 302, "no health page before the code"


def test_the_sharing_page_encourages_two_factor_sign_in_until_it_is_on(patient_client, patient):
    page = patient_client.get(reverse("clinic:sharing")).content.decode()
    assert reverse("accounts:two-factor-setup") in page
    Authenticator.new(user=patient, confirmed=True)
    page = patient_client.get(reverse("clinic:sharing")).content.decode()
    assert reverse("accounts:two-factor-setup") not in page


def test_a_patient_can_turn_it_off_again_but_a_clinician_cannot(patient_client, patient, clinician_client, clinician):
    Authenticator.new(user=patient, confirmed=True)
    patient_client.post(reverse("accounts:two-factor-off"))
    assert not Authenticator.objects.filter(user=patient).exists()
    assert AuditEvent.objects.filter(actor=patient, action=Action.OTP_TURNED_OFF).count() == 1
    clinician_client.post(reverse("accounts:two-factor-off"))
    assert Authenticator.objects.filter(user=clinician).exists()


# Secrets at rest ----------------------------------------------------------------------------------


def test_authenticator_keys_are_encrypted_at_rest(clinician):
    device = Authenticator.new(user=clinician, confirmed=True)
    key = device.bin_key
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_key FROM accounts_authenticator WHERE id = %s", [device.pk])
        (stored,) = cursor.fetchone()
    for readable in (key.hex(), base64.b32encode(key).decode(), base64.b64encode(key).decode()):
        assert readable not in stored
    # Without the key from the environment the row is useless.
    with override_settings(TWO_FACTOR_KEYS=[Fernet.generate_key().decode()]), pytest.raises(InvalidToken):
        Authenticator.objects.get(pk=device.pk).bin_key  # noqa: B018


def test_rotating_the_key_re_encrypts_every_authenticator(clinician, capsys):

    device = Authenticator.new(user=clinician, confirmed=True)
    key = device.bin_key
    new_key = Fernet.generate_key().decode()
    with override_settings(TWO_FACTOR_KEYS=[new_key, *settings.TWO_FACTOR_KEYS]):
        call_command("rotate_two_factor_keys")
    with override_settings(TWO_FACTOR_KEYS=[new_key]):
        assert Authenticator.objects.get(pk=device.pk).bin_key == key
    assert "Re-encrypted 1 authenticator" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_clear_text_devices_into_encrypted_and_hashed_rows(clinician):
    migration = importlib.import_module("accounts.migrations.0003_encrypt_existing_two_factor")
    key = b"an old 20-byte key!!"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer, user_id bigint, name varchar(64), confirmed boolean,"
            " key varchar(80), step smallint, t0 bigint, digits smallint, tolerance smallint, drift smallint,"
            " last_t bigint)"
        )
        cursor.execute(
            "CREATE TABLE otp_static_staticdevice (id integer, user_id bigint, name varchar(64), confirmed boolean)"
        )
        cursor.execute("CREATE TABLE otp_static_statictoken (id integer, device_id integer, token varchar(16))")
        try:
            cursor.execute(
                "INSERT INTO otp_totp_totpdevice VALUES (1, %s, 'authenticator', true, %s, 30, 0, 6, 1, 0, -1)",
                [clinician.pk, key.hex()],
            )
            cursor.execute("INSERT INTO otp_static_staticdevice VALUES (1, %s, 'backup codes', true)", [clinician.pk])
            cursor.execute("INSERT INTO otp_static_statictoken VALUES (1, 1, 'abcdefgh'), (2, 1, 'ijklmnop')")
            with connection.schema_editor() as editor:
                migration.move_devices(apps, editor)
            for table in ("otp_totp_totpdevice", "otp_static_staticdevice", "otp_static_statictoken"):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
                assert cursor.fetchone() == (0,), table
        finally:
            for table in ("otp_totp_totpdevice", "otp_static_staticdevice", "otp_static_statictoken"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
    assert Authenticator.objects.get(user=clinician).bin_key == key
    assert not BackupCode.objects.filter(hashed__in=["abcdefgh", "ijklmnop"]).exists()
    assert check_code(clinician, "ijklmnop") is not None
    assert BackupCode.objects.filter(device__user=clinician).count() == 1


# Changing the second factor needs the password again, and is recorded ------------------------------


def stale(client) -> None:
    """Make the session's last password check older than the re-authentication window."""
    session = client.session
    session[reauth.SESSION_KEY] = int(time.time()) - reauth.RECENT_AUTH_SECONDS - 1
    session.save()


def test_replacing_the_authenticator_asks_for_the_password_and_a_code(clinician_client, clinician):
    old = Authenticator.objects.get(user=clinician)
    stale(clinician_client)
    response = clinician_client.get(reverse("accounts:two-factor-setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))
    assert not Authenticator.objects.filter(user=clinician, confirmed=False).exists()

    page = clinician_client.get(response["Location"]).content.decode()
    assert 'name="password"' in page and 'name="code"' in page
    refused = clinician_client.post(response["Location"], {"password": PASSWORD, "code": "000000"})
    assert refused.status_code == 200
    with time_machine.travel(time.time() + 60, tick=False):
        confirmed = clinician_client.post(
            response["Location"],
            {"password": PASSWORD, "code": totp_code(old), "next": reverse("accounts:two-factor-setup")},
        )
        assert confirmed["Location"] == reverse("accounts:two-factor-setup")
        assert clinician_client.get(reverse("accounts:two-factor-setup")).status_code == 200
        new = Authenticator.objects.get(user=clinician, confirmed=False)
        clinician_client.post(reverse("accounts:two-factor-setup"), {"code": totp_code(new)})
    assert list(Authenticator.objects.filter(user=clinician).values_list("pk", flat=True)) == [new.pk]
    actions = set(AuditEvent.objects.filter(actor=clinician).values_list("action", flat=True))
    assert {Action.REAUTHENTICATED, Action.OTP_REPLACED, Action.BACKUP_CODES_ISSUED} <= actions


def test_new_backup_codes_need_a_recent_password_and_are_recorded(clinician_client, clinician):

    old_codes = new_backup_codes(clinician)
    stale(clinician_client)
    response = clinician_client.post(reverse("accounts:two-factor-backup-codes"))
    assert response["Location"].startswith(reverse("accounts:reauth"))
    assert check_code(clinician, old_codes[0]) is not None, "the old codes still work"
    assert not AuditEvent.objects.filter(action=Action.BACKUP_CODES_ISSUED).exists()

    session = clinician_client.session
    session[reauth.SESSION_KEY] = int(time.time())
    session.save()
    assert clinician_client.post(reverse("accounts:two-factor-backup-codes")).status_code == 302
    assert check_code(clinician, old_codes[1]) is None
    assert AuditEvent.objects.filter(actor=clinician, action=Action.BACKUP_CODES_ISSUED).count() == 1
