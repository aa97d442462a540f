"""Factories for the trends tests: the source rows a week is built from."""

from datetime import date

import factory
from factory.django import DjangoModelFactory

from guidance.models import DayScore, RuleSetVersion
from tests.factories import PatientFactory
from tracker.models import FatigueRating, Food, MealItem, Relapse, SleepDiary


class FoodFactory(DjangoModelFactory):
    class Meta:
        model = Food

    name_en = factory.Sequence(lambda n: f"Trend food {n}")
    name_fr = factory.Sequence(lambda n: f"Aliment tendance {n}")
    default_portion_g = 100
    fiber_g_per_100g = 0
    nova_group = 1
    fermented = False
    groups = factory.LazyFunction(list)


class MealItemFactory(DjangoModelFactory):
    class Meta:
        model = MealItem

    patient = factory.SubFactory(PatientFactory)
    date = date(2026, 3, 2)
    meal = "lunch"
    food = factory.SubFactory(FoodFactory)
    grams = 100


class SleepFactory(DjangoModelFactory):
    """Derived columns set directly: the summaries read them, not the clock times."""

    class Meta:
        model = SleepDiary

    patient = factory.SubFactory(PatientFactory)
    date = date(2026, 3, 2)
    in_bed_at = "23:00"
    tried_sleep_at = "23:00"
    minutes_to_fall_asleep = 10
    awakenings = 1
    minutes_awake = 10
    final_wake_at = "07:00"
    out_of_bed_at = "07:10"
    quality = 3
    total_sleep_minutes = 460
    time_in_bed_minutes = 490
    efficiency = 0.94
    mid_sleep_minutes = 185


class FatigueFactory(DjangoModelFactory):
    class Meta:
        model = FatigueRating

    patient = factory.SubFactory(PatientFactory)
    date = date(2026, 3, 2)
    score = 5


class RelapseFactory(DjangoModelFactory):
    class Meta:
        model = Relapse

    patient = factory.SubFactory(PatientFactory)
    started_on = date(2026, 3, 4)
    ended_on = date(2026, 3, 6)
    symptoms = "numb legs"


class VersionFactory(DjangoModelFactory):
    class Meta:
        model = RuleSetVersion
        django_get_or_create = ("number",)

    number = 900


class DayScoreFactory(DjangoModelFactory):
    """The shape guidance writes: total 0-100 and one {"key", "points", "possible"} line per rule."""

    class Meta:
        model = DayScore

    patient = factory.SubFactory(PatientFactory)
    date = date(2026, 3, 2)
    version = factory.SubFactory(VersionFactory)
    total = 50.0
    breakdown = factory.LazyFunction(
        lambda: [{"key": "fiber", "points": 10.0, "possible": 20.0}, {"key": "fermented", "points": 5.0, "possible": 10.0}]
    )
    logged = True
