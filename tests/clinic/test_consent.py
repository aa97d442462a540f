from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEvent
from clinic.models import AccessGrant, ConsentWording, Invitation
from clinic.services import invite_code_for, regenerate_invite_code
from tests.clinic.conftest import clinician_client_for
from tests.factories import PatientFactory


def test_it_shows_who_and_what_before_the_patient_agrees(patient_client, clinician, wording):
    code = invite_code_for(clinician=clinician).display.lower()  # typed in lower case with the dash
    response = patient_client.post(reverse("clinic:grant"), {"code": code})
    assert response.status_code == 200
    page = response.content.decode()
    assert str(clinician) in page
    assert wording.text_en[:60] in page
    assert "your daily entries" in page.lower() or "every day you log" in page.lower()
    assert not AccessGrant.objects.exists()


def test_it_records_the_grant_with_its_time_and_wording(patient_client, patient, clinician, wording, today):
    code = invite_code_for(clinician=clinician).code
    response = patient_client.post(
        reverse("clinic:grant"), {"code": code, "wording_version": wording.version, "agree": "on"}
    )
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert (grant.patient, grant.clinician) == (patient, clinician)
    assert grant.wording == wording
    assert grant.wording_sha256 == wording.digest()
    assert grant.granted_at.date() == today
    assert AuditEvent.objects.filter(action=Action.GRANT, patient=patient).exists()


def test_it_refuses_consent_without_the_box_ticked(patient_client, clinician, wording):
    code = invite_code_for(clinician=clinician).code
    response = patient_client.post(reverse("clinic:grant"), {"code": code, "wording_version": wording.version})
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not AccessGrant.objects.exists()


def test_it_asks_again_when_the_wording_changed_meanwhile(patient_client, clinician, wording):
    ConsentWording.objects.create(version=wording.version + 1, text_en="New words", text_fr="Nouveaux mots")
    code = invite_code_for(clinician=clinician).code
    response = patient_client.post(
        reverse("clinic:grant"), {"code": code, "wording_version": wording.version, "agree": "on"}
    )
    assert response.status_code == 200
    assert b"New words" in response.content
    assert not AccessGrant.objects.exists()


def test_a_wrong_code_is_a_clear_form_error(patient_client, db):
    response = patient_client.post(reverse("clinic:grant"), {"code": "NOPE-0000"})
    assert response.status_code == 200
    assert b"No clinician has this code" in response.content
    response = patient_client.post(reverse("clinic:grant"), {"code": "\x00" * 3})
    assert response.status_code == 200


def test_granting_twice_keeps_one_active_grant(patient_client, clinician, wording):
    data = {"code": invite_code_for(clinician=clinician).code, "wording_version": wording.version, "agree": "on"}
    patient_client.post(reverse("clinic:grant"), data)
    patient_client.post(reverse("clinic:grant"), data)
    assert AccessGrant.objects.active().count() == 1


def test_a_new_code_retires_the_old_one_but_keeps_grants(patient_client, clinician, granted):
    old = invite_code_for(clinician=clinician).code
    new = regenerate_invite_code(clinician=clinician).code
    assert old != new
    response = patient_client.post(reverse("clinic:grant"), {"code": old})
    assert b"No clinician has this code" in response.content
    assert AccessGrant.objects.active().filter(pk=granted.pk).exists()


def test_the_clinician_sees_and_regenerates_their_code(clinician):
    client = clinician_client_for(clinician)
    code = invite_code_for(clinician=clinician)
    assert code.display.encode() in client.get(reverse("clinic:dashboard")).content
    client.post(reverse("clinic:regenerate-code"))
    code.refresh_from_db()
    assert code.display.encode() in client.get(reverse("clinic:dashboard")).content


def test_the_patient_lists_access_and_revokes_in_one_click(patient_client, patient, clinician, granted):
    page = patient_client.get(reverse("clinic:sharing"))
    assert str(clinician).encode() in page.content
    response = patient_client.post(reverse("clinic:revoke", args=[granted.pk]))
    assert response.status_code == 302
    granted.refresh_from_db()
    assert granted.revoked_at is not None
    assert AuditEvent.objects.filter(action=Action.REVOKE, patient=patient).exists()
    assert b"Nobody. Your data is visible only to you." in patient_client.get(reverse("clinic:sharing")).content


def test_a_patient_cannot_revoke_someone_elses_grant(patient_client, stranger_patient):
    grant = AccessGrant.objects.get(patient=stranger_patient)
    assert patient_client.post(reverse("clinic:revoke", args=[grant.pk])).status_code == 404
    grant.refresh_from_db()
    assert grant.is_active


def test_the_patient_sees_who_viewed_their_data_and_when(patient_client, patient, clinician, granted):
    clinician_client_for(clinician).get(reverse("clinic:patient", args=[patient.pk]))
    page = patient_client.get(reverse("clinic:sharing")).content.decode()
    section = page.split('id="views-heading"')[1]
    assert str(clinician) in section
    assert "Viewed patient data" in section


def test_a_patient_accepts_a_clinicians_invitation(patient, clinician, wording):
    client = clinician_client_for(clinician)
    client.post(reverse("clinic:invite"), {"email": patient.email.upper()})
    invitation = Invitation.objects.get()

    patient_client = Client()
    patient_client.force_login(patient)
    assert str(clinician).encode() in patient_client.get(reverse("clinic:sharing")).content
    preview = patient_client.get(reverse("clinic:invitation", args=[invitation.pk]))
    assert wording.text_en[:40].encode() in preview.content
    patient_client.post(
        reverse("clinic:invitation", args=[invitation.pk]), {"wording_version": wording.version, "agree": "on"}
    )
    grant = AccessGrant.objects.active().get()
    assert grant.via == AccessGrant.Via.INVITATION
    other = PatientFactory()
    patient_client.force_login(other)
    assert patient_client.get(reverse("clinic:invitation", args=[invitation.pk])).status_code == 404


def test_clinicians_and_admins_are_not_allowed_on_the_sharing_pages(clinician, admin_user):
    for user in (clinician, admin_user):
        client = clinician_client_for(user)
        assert client.get(reverse("clinic:sharing")).status_code == 403
        assert client.get(reverse("clinic:my-data")).status_code == 403
