"""Factories for the daily log: the one place tracker models are built in tests.

Other test packages import these; where they need other defaults they subclass them.
"""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from tests.factories import PatientFactory
from tracker.catalog import search_key
from tracker.models import FatigueRating, Food, Lifestyle, MealItem, MealType, Relapse, SleepDiary


class FoodFactory(DjangoModelFactory):
    class Meta:
        model = Food

    name_en = factory.Sequence(lambda n: f"Food {n}")
    name_fr = factory.Sequence(lambda n: f"Aliment {n}")
    default_portion_g = 100
    household_measure_en = "1 bowl"
    household_measure_fr = "1 bol"
    groups = factory.LazyFunction(list)
    search_text = factory.LazyAttribute(lambda o: search_key(o.name_en, o.name_fr))


class MealItemFactory(DjangoModelFactory):
    class Meta:
        model = MealItem

    patient = factory.SubFactory(PatientFactory)
    date = dt.date(2026, 11, 19)
    meal = "breakfast"
    food = factory.SubFactory(FoodFactory)
    grams = 100


class SleepFactory(DjangoModelFactory):
    class Meta:
        model = SleepDiary

    patient = factory.SubFactory(PatientFactory)
    date = dt.date(2026, 11, 19)
    in_bed_at = dt.time(22, 30)
    tried_sleep_at = dt.time(22, 45)
    minutes_to_fall_asleep = 15
    awakenings = 1
    minutes_awake = 10
    final_wake_at = dt.time(6, 45)
    out_of_bed_at = dt.time(7, 0)
    quality = 4


class FatigueFactory(DjangoModelFactory):
    class Meta:
        model = FatigueRating

    patient = factory.SubFactory(PatientFactory)
    date = dt.date(2026, 11, 19)
    score = 5


class LifestyleFactory(DjangoModelFactory):
    class Meta:
        model = Lifestyle

    patient = factory.SubFactory(PatientFactory)
    date = dt.date(2026, 11, 19)
    activity_minutes = 0


class RelapseFactory(DjangoModelFactory):
    class Meta:
        model = Relapse

    patient = factory.SubFactory(PatientFactory)
    started_on = dt.date(2026, 10, 1)
    symptoms = "Numb legs"
    lasted_over_24h = True


def food(name_en: str, name_fr: str = "", owner=None, **extra) -> Food:
    """A food with the search key the loader would give it (for search tests)."""
    name_fr = name_fr or name_en
    return Food.objects.create(
        name_en=name_en,
        name_fr=name_fr,
        search_text=search_key(name_en, name_fr),
        default_portion_g=100,
        owner=owner,
        **extra,
    )


def eat(patient, item: Food, day: dt.date, meal: str = MealType.LUNCH) -> None:
    MealItem.objects.create(patient=patient, food=item, date=day, meal=meal, grams=100)
