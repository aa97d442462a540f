"""The accounts admin: no health fields, no admin-chosen passwords, no authenticator an admin enrols,
and a plain refusal for signed-in people who have no business there."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Authenticator, MSCourse, Profile, Role, User
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD

NEW_PASSWORD = "the clinician chose this one herself"


def test_admins_do_not_see_a_patients_ms_course_or_diagnosis_year(admin_client, patient):
    Profile.objects.filter(user=patient).update(ms_course=MSCourse.SP, diagnosis_year=2011)
    page = admin_client.get(reverse("admin:accounts_user_change", args=[patient.pk])).content.decode()
    assert patient.email in page
    assert "ms_course" not in page and "diagnosis_year" not in page
    assert "2011" not in page and "Secondary progressive" not in page


def test_an_admin_made_account_gets_a_one_time_set_password_link_not_a_password(admin_client, admin_user):
    add = admin_client.get(reverse("admin:accounts_user_add")).content.decode()
    assert 'name="password1"' not in add and 'name="usable_password"' not in add
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "Dr.New@Example.org", "display_name": "Dr New", "role": Role.CLINICIAN},
    )
    assert response.status_code == 302
    clinician = User.objects.get(email="dr.new@example.org")
    assert not clinician.has_usable_password()
    # The link goes to the new clinician only; the admin's pages never show it.
    (email,) = mail.outbox
    assert email.to == ["dr.new@example.org"]
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", email.body).group(0)
    path = "/" + link.split("/", 3)[3]
    assert path not in admin_client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(action=Action.SET_PASSWORD_LINK, actor=admin_user).count() == 1

    owner = Client()
    form = owner.get(path, follow=True)
    done = owner.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password-reset-complete")
    clinician.refresh_from_db()
    assert clinician.check_password(NEW_PASSWORD)
    # The link works once.
    assert b"new_password1" not in owner.get(path, follow=True).content
    # Signing in, the clinician enrols their own authenticator: no admin did it first.
    assert not Authenticator.objects.filter(user=clinician).exists()
    signed_in = Client()
    signed_in.post(reverse("accounts:login"), {"username": clinician.email, "password": NEW_PASSWORD})
    assert signed_in.get(reverse("clinic:dashboard"))["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_admins_cannot_set_someones_password_or_enrol_their_authenticator(admin_client, clinician):
    assert admin_client.get(reverse("admin:auth_user_password_change", args=[clinician.pk])).status_code == 403
    index = admin_client.get(reverse("admin:index")).content.decode().lower()
    assert "authenticator" not in index and "totp" not in index and "backup" not in index
    edit = admin_client.get(reverse("admin:accounts_user_change", args=[clinician.pk])).content.decode()
    assert "password" not in re.sub(r"<script.*?</script>", "", edit).lower().split("<form", 1)[1].split("</form>")[0]


def test_an_admin_can_reset_a_lost_second_factor_but_never_set_one(admin_client, clinician):
    Authenticator.new(user=clinician, confirmed=True)
    admin_client.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_two_factor", "_selected_action": [clinician.pk]}
    )
    assert not Authenticator.objects.filter(user=clinician).exists()
    assert AuditEvent.objects.filter(action=Action.OTP_TURNED_OFF).exists()


def test_the_admin_can_end_someones_sessions(admin_client, patient):
    client = Client()
    client.post(reverse("accounts:login"), {"username": patient.email, "password": PASSWORD})
    admin_client.post(
        reverse("admin:accounts_user_changelist"), {"action": "sign_out_everywhere", "_selected_action": [patient.pk]}
    )
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_a_signed_in_patient_or_clinician_opening_the_admin_gets_a_plain_refusal(patient_client, clinician_client):
    for client in (patient_client, clinician_client):
        for url in ("/admin/", "/admin/accounts/user/", reverse("admin:login")):
            response = client.get(url)
            assert response.status_code == 403, url
            assert b"Not allowed" in response.content
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == 6
