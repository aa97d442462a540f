from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import get_resolver, resolve, reverse

from audit.models import Action, AuditEvent
from audit.services import record
from msgut.views import permission_denied
from tests.factories import PASSWORD, PatientFactory


def test_it_records_a_sign_in(client, patient):
    client.post(reverse("accounts:login"), {"username": patient.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action=Action.LOGIN)
    assert event.actor == patient
    assert event.actor_email == patient.email
    assert event.ip == "203.0.113.9"


def test_it_records_a_failed_sign_in_without_the_password(client, patient):
    client.post(reverse("accounts:login"), {"username": patient.email, "password": "wrong password here"})
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor is None
    assert event.actor_email == patient.email
    assert "wrong" not in str(event.__dict__)


def test_it_records_a_sign_out(patient_client, patient):
    patient_client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=patient).count() == 1


def test_it_takes_actor_and_page_name_from_the_request(rf, clinician, patient):
    request = rf.get(reverse("accounts:profile"))
    request.user = clinician

    request.resolver_match = resolve(request.path)
    event = record(action=Action.PATIENT_READ, patient=patient, request=request)
    assert event.actor == clinician
    assert event.what == "accounts:profile"
    assert event.patient_ref == patient.pk


def test_it_keeps_events_about_a_patient_after_the_account_is_erased(clinician, db):
    patient = PatientFactory()
    other = PatientFactory()
    record(action=Action.PATIENT_READ, actor=clinician, patient=patient, what="clinic:patient")
    record(action=Action.PATIENT_READ, actor=clinician, patient=other, what="clinic:patient")
    patient_id = patient.pk
    record(action=Action.ERASE, patient=patient, what="account erased")
    patient.delete()
    events = AuditEvent.objects.for_patient(patient_id)
    assert events.count() == 2
    assert {e.action for e in events} == {Action.PATIENT_READ, Action.ERASE}
    assert all(e.patient is None for e in events)
    assert AuditEvent.objects.for_patient(other).count() == 1
    assert AuditEvent.objects.for_patient(other).reads().count() == 1


def test_it_keeps_the_actor_email_after_the_actor_is_deleted(clinician, patient):
    record(action=Action.EXPORT, actor=clinician, patient=patient, what="clinic:export-fhir")
    email = clinician.email
    clinician.delete()
    event = AuditEvent.objects.get()
    assert event.actor is None
    assert event.actor_email == email


def test_the_admin_cannot_change_or_delete_events(rf, admin_user):
    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_admin_lists_events(admin_client, patient):
    record(action=Action.LOGIN, actor=patient, what="sign-in")
    response = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 200
    assert patient.email.encode() in response.content


def test_a_refusal_is_recorded_and_answered_with_the_403_page(client, patient):
    client.force_login(patient)
    request = client.get(reverse("accounts:profile")).wsgi_request
    request.resolver_match = resolve(reverse("accounts:profile"))
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    event = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert event.actor == patient
    assert event.what == "accounts:profile"


def test_django_uses_the_recording_403_handler():
    assert get_resolver().resolve_error_handler(403).__name__ == "permission_denied"
