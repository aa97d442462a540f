from datetime import date, timedelta

import pytest
from django.test import Client

from clinic.models import AccessGrant, ConsentWording
from clinic.services import grant_access, revoke_access
from tests.conftest import verified_login
from tests.factories import ClinicianFactory, PatientFactory
from tracker.models import FatigueRating, Relapse, SymptomLog

TODAY = date(2026, 3, 16)


@pytest.fixture
def today(time_machine):
    time_machine.move_to("2026-03-16 10:00:00+01:00", tick=False)
    return TODAY


@pytest.fixture
def wording(db) -> ConsentWording:
    return ConsentWording.current()


def make_grant(patient, clinician) -> AccessGrant:
    return grant_access(patient=patient, clinician=clinician, wording=ConsentWording.current())


@pytest.fixture
def granted(patient, clinician, wording) -> AccessGrant:
    """`patient` shares with `clinician`."""
    return make_grant(patient, clinician)


@pytest.fixture
def revoked_patient(clinician, wording):
    """A patient who shared with `clinician` and then stopped."""
    patient = PatientFactory()
    revoke_access(grant=make_grant(patient, clinician))
    return patient


@pytest.fixture
def stranger_patient(db):
    """A patient who shares with another clinician only."""
    patient = PatientFactory()
    make_grant(patient, ClinicianFactory())
    return patient


def clinician_client_for(user) -> Client:
    client = Client()
    verified_login(client, user)
    return client


def log_days(patient, end: date, days: int, fatigue: int = 4, note: str = "") -> None:
    for offset in range(days):
        day = end - timedelta(days=offset)
        FatigueRating.objects.create(patient=patient, date=day, score=fatigue)
        SymptomLog.objects.create(patient=patient, date=day, mood=6, stress=3, note=note)


def add_relapse(patient, started_on: date, **extra) -> Relapse:
    """An episode the patient said lasted more than 24 hours, unless told otherwise."""
    extra.setdefault("lasted_over_24h", True)
    return Relapse.objects.create(
        patient=patient, started_on=started_on, symptoms=extra.pop("symptoms", "numb left hand"), **extra
    )
