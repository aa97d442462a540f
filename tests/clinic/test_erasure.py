import os
import subprocess
import sys
from pathlib import Path

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Authenticator, User
from accounts.twofactor import new_backup_codes
from audit.models import Action, AuditEvent
from clinic.models import AccessGrant, ClinicianNote, RelapseReview
from clinic.selectors import patient_models
from clinic.services import add_note, invite_patient, review_relapse
from guidance.models import DayScore
from tests.clinic.conftest import clinician_client_for
from tests.clinic.test_exports import fill
from tests.factories import PASSWORD, PatientFactory
from tests.otp import totp_code
from tracker.models import Food, MealItem, Relapse

ROOT = Path(__file__).resolve().parents[2]


def test_a_wrong_password_erases_nothing(patient_client, patient, today):
    fill(patient, today)
    response = patient_client.post(reverse("clinic:erase"), {"password": "not it", "confirm": "on"})
    assert response.status_code == 200
    assert b"This password is not right." in response.content
    assert User.objects.filter(pk=patient.pk).exists()
    assert MealItem.objects.filter(patient=patient).count() == 6


def test_erasure_removes_everything_and_leaves_a_tombstone(patient_client, patient, clinician, granted, today):
    fill(patient, today)
    add_note(patient=patient, author=clinician, body="note about them")
    review_relapse(relapse=Relapse.objects.get(patient=patient), reviewer=clinician, verdict="confirmed", note="ok")
    clinician_client_for(clinician).get(reverse("clinic:patient", args=[patient.pk]))
    other = PatientFactory()
    fill(other, today)
    patient_id, email = patient.pk, patient.email

    response = patient_client.post(reverse("clinic:erase"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 200
    assert b"Your account is erased" in response.content
    assert not User.objects.filter(pk=patient_id).exists()
    for model in patient_models():
        assert not model._default_manager.filter(patient_id=patient_id).exists(), model
    assert not Food.objects.filter(owner_id=patient_id).exists()
    assert not AccessGrant.objects.filter(patient_id=patient_id).exists()
    assert not ClinicianNote.objects.exists()
    assert not RelapseReview.objects.exists()
    assert not DayScore.objects.filter(patient_id=patient_id).exists()
    # Nobody else's data is touched.
    assert MealItem.objects.filter(patient=other).count() == 6
    # The tombstone: who was erased by id only, no email, no health content.
    tombstone = AuditEvent.objects.get(action=Action.ERASE)
    assert tombstone.patient_ref == patient_id
    assert tombstone.actor_email == "" and tombstone.actor is None
    assert not AuditEvent.objects.filter(actor_email__iexact=email).exists()
    # Earlier reads survive, tied to the id.
    assert AuditEvent.objects.for_patient(patient_id).reads().count() == 1
    # The session is over.
    assert patient_client.get(reverse("clinic:my-data")).status_code == 302


def test_the_clinician_loses_the_erased_patient_at_once(patient_client, patient, clinician, granted):
    client = clinician_client_for(clinician)
    patient_id = patient.pk
    patient_client.post(reverse("clinic:erase"), {"password": PASSWORD, "confirm": "on"})
    assert client.get(reverse("clinic:patient", args=[patient_id])).status_code == 404


def test_erasure_does_not_depend_on_the_export_module():
    code = "import django; django.setup(); import sys, clinic.services; assert 'clinic.exports' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "DEBUG": "1"})


def every_value_in_the_database() -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every table, found by introspection."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                found.extend((table, column, str(value)) for column, value in zip(columns, row, strict=True))
    return found


def test_erasure_leaves_the_email_and_name_in_no_table_at_all(patient, clinician, granted, today, admin_user):
    User.objects.filter(pk=patient.pk).update(email="zephyrine.quill@example.org", display_name="Zephyrine Quill")
    patient.refresh_from_db()
    email, name = patient.email, patient.display_name
    fill(patient, today)
    add_note(patient=patient, author=clinician, body="note about them")
    review_relapse(relapse=Relapse.objects.get(patient=patient), reviewer=clinician, verdict="confirmed", note="ok")
    invite_patient(clinician=clinician, email=email.upper())  # the clinician's invitation names them
    device = Authenticator.new(user=patient, confirmed=True)
    new_backup_codes(patient)
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(patient.pk),
        object_repr=str(patient),
        action_flag=CHANGE,
        change_message="[]",
    )
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    stranger.post(reverse("accounts:login"), {"username": email, "password": "a wrong guess"})  # axes + audit
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD})
    client.post(reverse("accounts:two-factor-verify"), {"code": totp_code(device)})
    clinician_client_for(clinician).get(reverse("clinic:patient", args=[patient.pk]))
    before = [(t, c) for t, c, v in every_value_in_the_database() if email in v.lower() or name.lower() in v.lower()]
    assert len({t for t, _c in before}) >= 4, before  # the scan does see them before

    response = client.post(reverse("clinic:erase"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 200

    leftovers = [
        (table, column)
        for table, column, value in every_value_in_the_database()
        if email in value.lower() or name.lower() in value.lower() or "zephyrine" in value.lower()
    ]
    assert leftovers == []
    # The client address of their own sign-ins goes too.
    assert (
        not AuditEvent.objects.filter(ip="127.0.0.1", actor__isnull=True).exclude(action=Action.PATIENT_READ).exists()
    )
