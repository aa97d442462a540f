"""Demo history: varied, deterministic, idempotent and fast."""

import datetime as dt
import io

import pytest
from django.db import connection

from tests.conftest import need
from tests.tracker.conftest import TODAY
from tracker import demo
from tracker.models import FatigueRating, MealItem, MFISResponse, Relapse, SleepDiary

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]


def _days(patient):
    by_day: dict = {}
    for day, food in MealItem.objects.filter(patient=patient).values_list("date", "food_id"):
        by_day.setdefault(day, set()).add(food)
    return by_day


def test_it_loads_twelve_varied_weeks_for_the_demo_patient_once(patient, demo_catalog):
    out = io.StringIO()
    demo.load({"patient": patient}, out)
    days = _days(patient)
    assert len(days) >= 8 * 7
    assert len({frozenset(foods) for foods in days.values()}) > len(days) * 0.7  # not the same day repeated
    assert SleepDiary.objects.filter(patient=patient).count() >= 8 * 7 * 0.8
    assert Relapse.objects.filter(patient=patient).count() >= 1
    assert MFISResponse.objects.filter(patient=patient, completed=True).count() >= 2
    scores = set(FatigueRating.objects.filter(patient=patient).values_list("score", flat=True))
    assert len(scores) >= 4
    rows = MealItem.objects.count()
    demo.load({"patient": patient}, out)
    assert MealItem.objects.count() == rows
    assert "already there" in out.getvalue()


def test_it_makes_the_same_history_for_the_same_seed(patient, other_patient, demo_catalog):
    start, end = TODAY - dt.timedelta(days=20), TODAY
    demo.make_history(patient, start, end, seed=5, style="processed")
    demo.make_history(other_patient, start, end, seed=5, style="processed")
    assert _days(patient) == _days(other_patient)


def test_it_makes_styles_and_fatigue_trends_differ(patient, other_patient, demo_catalog):
    start, end = TODAY - dt.timedelta(days=60), TODAY
    demo.make_history(patient, start, end, seed=1, style="mediterranean", fatigue_trend=0.0)
    demo.make_history(other_patient, start, end, seed=1, style="processed", fatigue_trend=0.8, log_probability=0.5)

    def share(p, group):
        items = MealItem.objects.filter(patient=p).select_related("food")
        return sum(1 for i in items if group in i.food.groups) / max(1, items.count())

    assert share(patient, "legume") > share(other_patient, "legume")
    assert share(patient, "processed_meat") < share(other_patient, "processed_meat")
    late = FatigueRating.objects.filter(patient=other_patient, date__gte=end - dt.timedelta(days=14))
    late_mean = sum(r.score for r in late) / late.count()
    early_mean = (
        sum(r.score for r in FatigueRating.objects.filter(patient=patient))
        / FatigueRating.objects.filter(patient=patient).count()
    )
    assert late_mean > early_mean + 2
    assert FatigueRating.objects.filter(patient=other_patient).count() < 50


def test_it_writes_a_year_in_bulk_not_row_by_row(patient, demo_catalog, django_assert_max_num_queries):
    # A year is thousands of rows: written per table in bulk, so the query count stays
    # small and constant with the length of the history (a structural budget, not a timer).
    # SQLite takes at most 999 parameters a query, so its batches are smaller: PostgreSQL's budget.
    need(connection.vendor == "postgresql", "SQLite splits a bulk insert into many small batches")
    with django_assert_max_num_queries(20):
        counts = demo.make_history(patient, TODAY - dt.timedelta(days=364), TODAY, seed=9, style="mixed")
    assert counts["meal_items"] > 365 * 5


def test_it_refuses_an_unknown_style(patient):
    with pytest.raises(ValueError):
        demo.make_history(patient, TODAY, TODAY, seed=1, style="keto")
