"""The day page and the month view cost the same number of queries whatever the history."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from guidance.services import rescore_days
from tests.factories import PatientFactory
from tests.tracker.conftest import PARIS, TODAY, make_demo_catalog
from tests.tracker.factories import FatigueFactory
from tracker import demo
from tracker.models import CustomSymptom, FavoriteFood, Food, MealItem, Relapse, SavedMeal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]

# Budgets: the Today page reads the session, the user, the profile, every entry of the day in one
# query (yesterday's meal items, the foods offered and the medicines included), and the score panel (version, stored score and stale days in one query; when the day has
# no current score, the facts of its window). Saving the session is the rest.
TODAY_BUDGET = 12
# Before the worker has scored the day (just saved): the score is computed from the facts of its window.
TODAY_UNSCORED_BUDGET = 20
MONTH_BUDGET = 16


def _count(client, path):
    client.get(path)  # warm up (session, language, caches)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def _long_history(patient):
    demo.make_history(patient, TODAY - dt.timedelta(days=730), TODAY, seed=3, style="mixed")
    for food in list(MealItem.objects.filter(patient=patient).values_list("food_id", flat=True).distinct())[:5]:
        FavoriteFood.objects.create(patient=patient, food_id=food)
    SavedMeal.objects.create(patient=patient, name="Usual")
    symptom = CustomSymptom.objects.create(patient=patient, name="Tingling")
    assert symptom
    for year in (2025, 2026):
        Relapse.objects.create(
            patient=patient, started_on=dt.date(year, 3, 1), ended_on=dt.date(year, 3, 20), symptoms="x"
        )


@pytest.mark.parametrize(
    ("path", "budget", "scored"),
    [
        ("/day/", TODAY_BUDGET, True),
        ("/day/", TODAY_UNSCORED_BUDGET, False),
        ("/day/month/", MONTH_BUDGET, True),
        (f"/day/{TODAY - dt.timedelta(days=1)}/", TODAY_BUDGET, True),
    ],
)
class TestTheQueriesDoNotGrowWithTheHistory:
    @pytest.fixture(scope="class")
    @classmethod
    def histories(cls, class_db) -> tuple[int, int]:
        """One day logged (a meal, fatigue) against two years of every kind of entry (another patient),
        made once for the four cases (`class_db`: each starts from these rows; two years of entries
        were about a second each), at the tests' pinned time. The scores are each case's own."""
        with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS), tick=False):
            patient, other_patient = PatientFactory(), PatientFactory()
            make_demo_catalog()
            # (The score panel's own queries depend on whether the day has data, so the small history has some.)
            FatigueFactory(patient=patient, date=TODAY)
            for day in (TODAY, TODAY - dt.timedelta(days=1)):
                MealItem.objects.create(patient=patient, date=day, meal="lunch", food=Food.objects.first(), grams=100)
            Relapse.objects.create(patient=patient, started_on=dt.date(2026, 3, 1), symptoms="x")
            _long_history(other_patient)
        return patient.pk, other_patient.pk

    def test_it_runs_a_constant_number_of_queries(self, client, histories, path, budget, scored):
        patient, other_patient = (User.objects.get(pk=pk) for pk in histories)
        if scored:  # (as the worker leaves it)
            rescore_days(patient_id=patient.pk, start=TODAY - dt.timedelta(days=7), end=TODAY)
            rescore_days(patient_id=other_patient.pk, start=TODAY - dt.timedelta(days=7), end=TODAY)
        client.force_login(patient)
        small = _count(client, path)
        client.force_login(other_patient)
        large = _count(client, path)
        assert MealItem.objects.filter(patient=other_patient).count() > 2000
        assert small == large
        assert large <= budget
