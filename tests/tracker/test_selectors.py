"""The reads: the day's recent foods and the relapse checks in words (the food search: test_search.py)."""

import datetime as dt

import pytest

from tests.tracker.conftest import TODAY as LOG_TODAY
from tests.tracker.factories import FoodFactory, MealItemFactory
from tracker import selectors
from tracker.models import Relapse

# ---------------------------------------------------------------- the day and relapses

log_day = pytest.mark.usefixtures("db", "pinned_today")


@log_day
def test_it_flags_relapses_with_reasons_in_words(patient):
    first = Relapse.objects.create(patient=patient, started_on=dt.date(2026, 9, 1), symptoms="a")
    second = Relapse.objects.create(
        patient=patient, started_on=dt.date(2026, 9, 10), symptoms="b", fever_or_infection=True
    )
    flags = selectors.check_relapses([second, first])
    assert flags[first.pk].meets_definition
    assert not flags[second.pk].meets_definition
    assert selectors.relapse_reasons(flags[second.pk].reasons) == [
        "it began less than 30 days after the previous episode began",
        "there was a fever or an infection at the start",
    ]


@log_day
def test_it_lists_recent_foods_per_meal_most_frequent_first(patient, day_foods):
    for days in range(1, 4):
        MealItemFactory(
            patient=patient, date=LOG_TODAY - dt.timedelta(days=days), meal="breakfast", food=day_foods["oats"]
        )
    MealItemFactory(patient=patient, date=LOG_TODAY - dt.timedelta(days=1), meal="breakfast", food=day_foods["yogurt"])
    recent = selectors.recent_foods_by_meal(patient, LOG_TODAY)
    assert recent["breakfast"] == [day_foods["oats"], day_foods["yogurt"]]
    assert "lunch" not in recent


@log_day
def test_it_offers_at_most_six_recent_foods_per_meal_latest_first_among_equals(patient):
    foods = [FoodFactory() for _ in range(8)]
    for days, eaten in enumerate(foods, start=1):
        MealItemFactory(patient=patient, date=LOG_TODAY - dt.timedelta(days=days), meal="dinner", food=eaten)
    recent = selectors.recent_foods_by_meal(patient, LOG_TODAY)
    assert recent["dinner"] == foods[:6]
