"""The day page and the month view cost the same number of queries whatever the history."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tracker.conftest import TODAY
from tests.tracker.factories import FatigueFactory
from tracker import demo
from tracker.models import CustomSymptom, FavoriteFood, Food, MealItem, Relapse, SavedMeal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]

# Budgets, measured: session, user, profile, and one query per kind of entry.
# 30, one for the medicines section (asked medications with the day's answers), and two for the score
# panel of guidance v2: the patient's first day (windows start there) and the day's foods under each rule;
# one for the everyday foods a meal without history offers in one tap.
TODAY_BUDGET = 34
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
    ("path", "budget"),
    [("/day/", TODAY_BUDGET), ("/day/month/", MONTH_BUDGET), (f"/day/{TODAY - dt.timedelta(days=1)}/", TODAY_BUDGET)],
)
def test_it_runs_a_constant_number_of_queries(client, patient, other_patient, demo_catalog, path, budget):
    # One day logged (a meal, fatigue) against two years of every kind of entry.
    # (The score panel's own queries depend on whether the day has data, so the small history has some.)
    FatigueFactory(patient=patient, date=TODAY)
    for day in (TODAY, TODAY - dt.timedelta(days=1)):
        MealItem.objects.create(patient=patient, date=day, meal="lunch", food=Food.objects.first(), grams=100)
    Relapse.objects.create(patient=patient, started_on=dt.date(2026, 3, 1), symptoms="x")
    client.force_login(patient)
    small = _count(client, path)
    _long_history(other_patient)
    client.force_login(other_patient)
    large = _count(client, path)
    assert MealItem.objects.filter(patient=other_patient).count() > 2000
    assert small == large
    assert large <= budget
