"""Every date has a sane range: absurd dates in paths, query strings and forms get an answer, never a 500."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.models import ConsentWording
from clinic.services import grant_access
from msgut.dates import EARLIEST_DATE
from tests.conftest import verified_login
from tracker.models import FatigueRating, Relapse

ABSURD = ["0001-01-01", "1899-12-31", "9999-12-31"]


@pytest.mark.parametrize("day", ABSURD)
def test_absurd_days_in_the_daily_log_urls_are_not_found(patient_client, patient, day):
    for url in (f"/day/{day}/", f"/day/{day}/search/?q=apple&meal=lunch", f"/day/{day}/section/sleep/"):
        assert patient_client.get(url).status_code == 404, url
    response = patient_client.post(f"/day/{day}/fatigue/", {"score": "5"})
    assert response.status_code == 404
    assert not FatigueRating.objects.filter(patient=patient).exists()


def test_the_first_day_of_1900_is_still_a_day(patient_client):
    assert patient_client.get(f"/day/{EARLIEST_DATE.isoformat()}/").status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31"])
def test_the_day_picker_says_which_dates_it_takes(patient_client, day):
    response = patient_client.get(reverse("tracker:go"), {"date": day}, follow=True)
    assert response.status_code == 200
    assert b"Enter a date from 1 January 1900 on." in response.content


def test_the_chart_range_refuses_dates_before_1900(patient_client):
    today = timezone.localdate()
    for start in ("0001-01-01", "1899-12-31"):
        response = patient_client.get(reverse("trends:charts"), {"start": start, "end": today.isoformat()})
        assert response.status_code == 200


@pytest.fixture
def clinician_with_patient(clinician, patient, db):
    grant_access(patient=patient, clinician=clinician, wording=ConsentWording.current())
    client = Client()
    verified_login(client, clinician)
    return client, patient


@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01"},
        {"end": "0001-01-01"},
        {"start": "0001-01-01", "end": "0001-03-01"},
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"end": "9999-12-31"},
    ],
)
def test_the_clinicians_patient_page_and_report_answer_absurd_ranges_with_the_default(clinician_with_patient, query):
    client, patient = clinician_with_patient
    for name in ("clinic:patient", "clinic:report"):
        response = client.get(reverse(name, args=[patient.pk]), query)
        assert response.status_code == 200, (name, query)
        today = timezone.localdate()
        assert response.context["end"] == today
        assert response.context["start"] == today - timedelta(days=83)


def test_a_range_form_says_why_a_date_is_refused(clinician_with_patient):
    client, patient = clinician_with_patient
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    html = client.get(reverse("clinic:patient", args=[patient.pk]), {"start": "1850-01-01", "end": tomorrow}).content
    assert b"Enter a date from 1 January 1900 on." in html
    assert b"Enter today or an earlier date." in html


def test_a_relapse_before_1900_is_a_form_error(patient_client, patient):
    response = patient_client.post(
        reverse("tracker:relapse-new"), {"started_on": "1899-05-01", "symptoms": "numb leg", "severity": "mild"}
    )
    assert response.status_code in (200, 422)
    assert b"Enter a date from 1 January 1900 on." in response.content
    assert not Relapse.objects.filter(patient=patient, started_on=date(1899, 5, 1)).exists()
