"""Database constraints: one row per day, ranges, tokens."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from tests.tracker.factories import FatigueFactory, MealItemFactory, RelapseFactory, SleepFactory
from tracker.models import FatigueRating, Food, Lifestyle, MFISResponse, Relapse, SleepDiary, StoolEvent, SymptomLog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]


def _fails(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_it_allows_one_sleep_diary_per_patient_per_day(patient):
    SleepFactory(patient=patient)
    _fails(lambda: SleepFactory(patient=patient))
    SleepFactory(patient=patient, date=dt.date(2026, 11, 18))
    assert SleepDiary.objects.filter(patient=patient).count() == 2


@pytest.mark.parametrize("model", [FatigueRating, Lifestyle, SymptomLog, MFISResponse])
def test_it_allows_one_row_per_day_for_daily_records(patient, model):
    extra = {"score": 3} if model is FatigueRating else {}
    model.objects.create(patient=patient, date=dt.date(2026, 11, 19), **extra)
    _fails(lambda: model.objects.create(patient=patient, date=dt.date(2026, 11, 19), **extra))


def test_it_lets_two_patients_log_the_same_day(patient, other_patient):
    FatigueFactory(patient=patient)
    FatigueFactory(patient=other_patient)
    assert FatigueRating.objects.count() == 2


def test_it_refuses_fatigue_outside_0_to_10(patient):
    _fails(lambda: FatigueFactory(patient=patient, score=11))


def test_it_refuses_a_sleep_quality_outside_1_to_5(patient):
    _fails(lambda: SleepFactory(patient=patient, quality=0))


def test_it_refuses_a_bristol_type_outside_1_to_7(patient):
    _fails(lambda: StoolEvent.objects.create(patient=patient, date=dt.date(2026, 11, 19), bristol_type=8))


def test_it_refuses_portions_over_3_kg_or_zero(patient):
    _fails(lambda: MealItemFactory(patient=patient, grams=3001))
    _fails(lambda: MealItemFactory(patient=patient, grams=0))


def test_it_refuses_a_relapse_ending_before_it_starts(patient):
    _fails(lambda: RelapseFactory(patient=patient, started_on=dt.date(2026, 10, 5), ended_on=dt.date(2026, 10, 1)))


def test_it_refuses_the_same_client_token_twice_but_allows_blank_tokens(patient):
    MealItemFactory(patient=patient, client_token="t1")
    _fails(lambda: MealItemFactory(patient=patient, client_token="t1"))
    MealItemFactory(patient=patient)
    MealItemFactory(patient=patient)


def test_a_food_shows_its_name_and_measure_in_the_active_language():
    both = Food(
        name_en="Oat flakes", name_fr="Flocons d'avoine", household_measure_en="1 bowl", household_measure_fr="1 bol"
    )
    english_only = Food(name_en="Kefir", name_fr="", household_measure_en="", household_measure_fr="")
    with translation.override("fr"):
        assert (both.display_name, both.display_measure) == ("Flocons d'avoine", "1 bol")
        assert (english_only.display_name, english_only.display_measure) == ("Kefir", "1 portion")
    with translation.override("en"):
        assert (both.display_name, both.display_measure) == ("Oat flakes", "1 bowl")
        assert english_only.display_measure == "1 portion"


D = dt.date
START, END = D(2026, 10, 10), D(2026, 10, 20)


@pytest.mark.parametrize(
    ("started_on", "ended_on", "overlaps"),
    [
        (D(2026, 9, 1), None, True),  # still going on: it covers the whole period
        (D(2026, 10, 15), None, True),
        (D(2026, 10, 21), None, False),  # open, but begins the day after the end
        (D(2026, 10, 1), D(2026, 10, 9), False),  # ended the day before the start
        (D(2026, 10, 1), D(2026, 10, 10), True),  # ended on the first day
        (D(2026, 10, 20), D(2026, 10, 25), True),  # began on the last day
        (D(2026, 10, 21), D(2026, 10, 22), False),  # began the day after the end
        (D(2026, 10, 1), D(2026, 10, 30), True),  # spans the whole period
        (D(2026, 10, 12), D(2026, 10, 14), True),  # inside it
    ],
)
def test_a_relapse_overlaps_a_period_when_they_share_a_day(patient, started_on, ended_on, overlaps):
    relapse = RelapseFactory(patient=patient, started_on=started_on, ended_on=ended_on)
    assert (relapse in Relapse.objects.overlapping(START, END)) is overlaps


def test_an_open_side_of_the_period_has_no_limit(patient):
    old = RelapseFactory(patient=patient, started_on=D(2020, 1, 1), ended_on=D(2020, 1, 5))
    late = RelapseFactory(patient=patient, started_on=D(2026, 11, 1), ended_on=None)
    assert set(Relapse.objects.overlapping(None, END)) == {old}
    assert set(Relapse.objects.overlapping(START, None)) == {late}
    assert set(Relapse.objects.overlapping(None, None)) == {old, late}
