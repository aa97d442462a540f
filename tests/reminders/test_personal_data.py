"""Reminder rows are the patient's: in their own export, gone with their account."""

from datetime import UTC, date, datetime

import pytest

from clinic.exports import export_tables
from clinic.readable import export_context, tables_for
from clinic.selectors import patient_models
from clinic.services import erase_patient
from reminders.models import Channel, Kind, PushSubscription, ReminderLog, ReminderPreference
from tests.factories import PatientFactory
from tests.reminders.conftest import remind
from tests.reminders.test_push import Browser

pytestmark = pytest.mark.django_db


def reminders_of(patient):
    remind(patient, daily_email=True)
    Browser().subscribe(patient, f"https://fcm.googleapis.com/fcm/send/{patient.pk}")
    ReminderLog.objects.create(
        patient=patient,
        kind=Kind.DAILY,
        channel=Channel.EMAIL,
        local_date=date(2026, 3, 29),
        due_at=datetime(2026, 3, 29, 18, tzinfo=UTC),
    )


def test_every_reminder_table_is_one_of_the_patients_tables():
    assert {ReminderPreference, PushSubscription, ReminderLog} <= set(patient_models())


def test_the_patients_export_holds_their_reminders(patient):
    reminders_of(patient)
    tables = export_tables(patient, own=True)
    assert tables["reminders.ReminderPreference"][0]["daily_email"] is True
    assert len(tables["reminders.PushSubscription"]) == 1
    assert tables["reminders.ReminderLog"][0]["local_date"] == "2026-03-29"


def test_a_clinicians_export_holds_no_reminder_row(patient):
    """How to reach the patient (devices, email choices) is not health data a clinician needs."""
    reminders_of(patient)
    tables = export_tables(patient, own=False)
    assert not {"reminders.ReminderPreference", "reminders.PushSubscription", "reminders.ReminderLog"} & set(tables)


def test_the_readable_export_lists_reminders_in_the_patients_copy_only(patient):
    reminders_of(patient)
    own = {table.name: rows for table, _cols, rows in tables_for(export_context(patient, own=True, language="en"))}
    assert {"what": "setting", "detail": "daily_email=True", "date": None, "when_utc": None, "status": None} in own[
        "reminders"
    ]
    assert [row["date"] for row in own["reminders"] if row["what"] == "sent"] == [date(2026, 3, 29)]
    theirs = {table.name for table, _cols, _rows in tables_for(export_context(patient, own=False, language="en"))}
    assert "reminders" not in theirs


def test_erasing_the_account_leaves_no_reminder_row(patient):
    other = PatientFactory()
    reminders_of(patient)
    reminders_of(other)
    erase_patient(patient=patient)
    for model in (ReminderPreference, PushSubscription, ReminderLog):
        assert not model.objects.filter(patient_id=patient.pk).exists()
        assert model.objects.filter(patient=other).count() == 1
