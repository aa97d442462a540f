"""`make run` serves the app on SQLite: the day pages must answer there as on PostgreSQL.

The day page reads most of a day in one query of sub-selects returned as JSON, and the review a range's
days in one union, whose SQL differs between the two databases; CI runs on PostgreSQL, so the first test runs again on SQLite in a subprocess
(tests/tracker/conftest.py `sqlite_run`), as `make run` would serve it.
"""

import pytest
from django.urls import reverse

from clinic.selectors import day_rows
from clinic.services import review_relapse
from tests.factories import ClinicianFactory
from tests.tracker.conftest import passed_on_sqlite
from tests.tracker.factories import FatigueFactory, FoodFactory, LifestyleFactory, MealItemFactory, SleepFactory
from tracker.models import Medication, Relapse
from tracker.selectors import today_of

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("sqlite")]


def test_a_logged_day_answers_on_every_day_page(patient_client, patient):
    day = today_of(patient)
    MealItemFactory(patient=patient, date=day, meal="lunch", food=FoodFactory(name_en="Lentil soup"), grams=250)
    SleepFactory(patient=patient, date=day)
    FatigueFactory(patient=patient, date=day, score=4)
    LifestyleFactory(patient=patient, date=day, activity_minutes=30)
    page = patient_client.get(reverse("tracker:today"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lentil soup" in html and "4 out of 10" in html
    # The day's own entries, not another day's: the fatigue tapped, the night and the activity saved.
    assert 'class="scale-button selected" aria-pressed="true" id="fatigue-4"' in html
    assert 'id="sleep" class="card log-section filled"' in html
    assert 'id="lifestyle" class="card log-section filled"' in html
    panel = patient_client.get(reverse("tracker:day-score", args=[day]), headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "guidance-panel" in panel.content.decode()
    month = patient_client.get(reverse("tracker:month"))
    assert month.status_code == 200 and "fatigue 4 out of 10" in month.content.decode()
    assert patient_client.get(reverse("trends:dashboard")).status_code == 200
    # A medicine asked about daily, answered "as usual" (a boolean inside the day's JSON, 0 or 1 on SQLite).
    Medication.objects.create(patient=patient, name="Vitamin D", ask_daily=True)
    patient_client.post(reverse("tracker:medicines", args=[day]), {"all": "1"})
    assert "Taken as usual ✓ (Vitamin D)" in patient_client.get(reverse("tracker:today")).content.decode()
    # The clinician's review reads a range's days in one union query.
    (row,) = day_rows(patient, day, day)
    assert (row.fatigue, row.activity_minutes, row.meal_items, row.sleep_minutes is not None) == (4, 30, 1, True)
    # The review reads its relapses, readings, notes and the rest as JSON parts too: a reading's time
    # comes as naive text on SQLite and must be made aware before it is shown in local time.
    relapse = Relapse.objects.create(patient=patient, started_on=day, symptoms="numb hand", lasted_over_24h=True)
    review_relapse(relapse=relapse, reviewer=ClinicianFactory(), verdict="confirmed", note="seen it")
    review = patient_client.get(reverse("clinic:patient", args=[patient.pk]))
    assert review.status_code == 200 and ": seen it</p>" in review.content.decode()


@pytest.mark.services
def test_the_day_pages_answer_on_sqlite_as_make_run_serves_them(sqlite_run):
    run, _results = sqlite_run
    assert passed_on_sqlite(run, test_a_logged_day_answers_on_every_day_page.__name__), (
        run.stdout[-4000:] + run.stderr[-2000:]
    )
