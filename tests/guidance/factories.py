"""Factories for guidance models (rule-set versions, day scores), and the tracker factories with the
defaults the guidance tests' hand-computed scores rely on."""

from datetime import date, time

import factory
from factory.django import DjangoModelFactory

from guidance.models import DayScore, RuleSetVersion
from tests.factories import PatientFactory
from tests.tracker import factories as tracker
from tests.tracker.factories import FoodFactory, LifestyleFactory, RelapseFactory

__all__ = [
    "DayScoreFactory",
    "FoodFactory",
    "LifestyleFactory",
    "MealItemFactory",
    "RelapseFactory",
    "RuleSetVersionFactory",
    "SleepDiaryFactory",
]


class MealItemFactory(tracker.MealItemFactory):
    meal = "lunch"


class SleepDiaryFactory(tracker.SleepFactory):
    """A plain 23:00-07:00 night with its derived columns set directly: scoring reads those."""

    in_bed_at = time(23, 0)
    tried_sleep_at = time(23, 0)
    minutes_to_fall_asleep = 0
    awakenings = 0
    minutes_awake = 0
    final_wake_at = time(7, 0)
    out_of_bed_at = time(7, 0)
    total_sleep_minutes = 480
    mid_sleep_minutes = 180


class RuleSetVersionFactory(DjangoModelFactory):
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
    version = factory.SubFactory(RuleSetVersionFactory)
    total = 50.0
    breakdown = factory.LazyFunction(
        lambda: [
            {"key": "fiber", "points": 10.0, "possible": 20.0},
            {"key": "fermented", "points": 5.0, "possible": 10.0},
        ]
    )
    logged = True
