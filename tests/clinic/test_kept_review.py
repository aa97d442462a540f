"""The patient review is kept while what it is drawn from is unchanged (msgut.kept_pages): a clinician
must never see a kept page that is no longer true, and every read is still checked and audited."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Profile
from audit.models import Action, AuditEvent
from clinic.models import AccessGrant, EDSSScore
from clinic.services import add_note, revoke_access
from msgut.kept_pages import CSRF_MARK
from tests.clinic.conftest import add_relapse, clinician_client_for, log_days
from tests.factories import ClinicianFactory
from tests.kept import same_page
from tracker.models import FatigueRating, Food, MealItem, Medication
from trends.models import WeeklySummary
from trends.services import build_patient_week

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kept by PostgreSQL's digests of the days and foods"),
]


@pytest.fixture
def lentils(db):
    return Food.objects.create(name_en="Lentils", name_fr="Lentilles", default_portion_g=150, fiber_g_per_100g=8)


@pytest.fixture
def logged(patient, granted, today, lentils):
    """Ten days logged, with a food each day and an ended relapse."""
    log_days(patient, today, 10, fatigue=4)
    for offset in range(10):
        MealItem.objects.create(
            patient=patient, date=today - timedelta(days=offset), meal="lunch", food=lentils, grams=150
        )
    add_relapse(patient, today - timedelta(days=40), ended_on=today - timedelta(days=30))
    return patient


def _review(client, patient, **query):
    return client.get(reverse("clinic:patient", args=[patient.pk]), query).content.decode()


def test_a_kept_review_is_the_drawn_one_and_every_read_is_audited(clinician, logged):
    client = clinician_client_for(clinician)
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as drawn_reads:
        drawn = _review(client, logged)
    with CaptureQueriesContext(connection) as kept_reads:
        kept = _review(client, logged)
    assert "Lentils" in kept and "numb left hand" in kept
    assert same_page(kept) == same_page(drawn)
    assert len(kept_reads) < len(drawn_reads)  # the days, their foods and the charts were not read
    assert CSRF_MARK not in kept
    reads = AuditEvent.objects.filter(action=Action.PATIENT_READ, patient=logged, actor=clinician)
    assert reads.count() == 2


def test_access_is_checked_before_a_kept_review(clinician, logged):
    client = clinician_client_for(clinician)
    _review(client, logged)
    revoke_access(grant=AccessGrant.objects.get(patient=logged, clinician=clinician, revoked_at__isnull=True))
    answer = client.get(reverse("clinic:patient", args=[logged.pk]))
    assert answer.status_code == 404


def test_the_patient_and_the_clinician_each_see_their_own_review(clinician, logged, patient_client):
    add_note(patient=logged, author=clinician, body="Discuss the fibre goal")
    assert "Discuss the fibre goal" in _review(clinician_client_for(clinician), logged)
    own = _review(patient_client, logged)
    assert "Discuss the fibre goal" not in own and "numb left hand" in own


@pytest.mark.parametrize(
    "change",
    [
        "fatigue",
        "food eaten",
        "food renamed",
        "relapse",
        "note",
        "another clinician's note",
        "medication",
        "edss",
        "weekly charts",
        "language",
        "earlier page",
        "range",
    ],
)
def test_every_change_shows_on_the_next_load(clinician, logged, today, lentils, change):
    build_patient_week(patient_id=logged.pk, day=today)
    client = clinician_client_for(clinician)
    _review(client, logged)
    _review(client, logged)  # kept
    query: dict[str, str] = {}
    if change == "fatigue":  # (the day table and the summary: the days' digest)
        FatigueRating.objects.filter(patient=logged, date=today).update(score=9)
        expect, gone = '<td data-label="Fatigue">9</td>', None
    elif change == "food eaten":
        MealItem.objects.filter(patient=logged, date=today).update(grams=300)
        expect, gone = "300 g", None
    elif change == "food renamed":
        Food.objects.filter(pk=lentils.pk).update(name_en="Red lentils")
        expect, gone = "Red lentils", ">Lentils"
    elif change == "relapse":
        add_relapse(logged, today - timedelta(days=2), symptoms="blurred vision")
        expect, gone = "blurred vision", None
    elif change == "note":
        add_note(patient=logged, author=clinician, body="Check vitamin D")
        expect, gone = "Check vitamin D", None
    elif change == "another clinician's note":
        add_note(patient=logged, author=ClinicianFactory(display_name="Dr Other"), body="Seen in clinic")
        expect, gone = "Seen in clinic", None
    elif change == "medication":
        Medication.objects.create(patient=logged, name="Ocrelizumab", is_dmt=True)
        expect, gone = "Ocrelizumab", None
    elif change == "edss":
        EDSSScore.objects.create(patient=logged, score="3.5", assessed_on=today, recorded_by=clinician)
        expect, gone = "3.5", None
    elif change == "weekly charts":  # (only the stored summary changes: the charts' lookup)
        WeeklySummary.objects.filter(patient=logged).update(fiber_g=77.7)
        expect, gone = "77.7", None
    elif change == "language":
        Profile.objects.filter(user=clinician).update(language="fr")
        expect, gone = "Lentilles", ">Lentils"
    elif change == "earlier page":
        log_days(logged, today - timedelta(days=10), 20, fatigue=2)
        query = {"page": "2"}
        expect, gone = "Days 15 to 28 of 30 logged in this range", None
    else:
        query = {"start": (today - timedelta(days=5)).isoformat(), "end": today.isoformat()}
        expect, gone = "6 days logged", "10 days logged"
    page = _review(client, logged, **query)
    assert expect in page
    if gone:
        assert gone not in page
