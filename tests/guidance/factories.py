"""Factories for the guidance tests: foods and the entries that make a day's facts."""

from datetime import time

import factory
from factory.django import DjangoModelFactory

from tests.factories import PatientFactory
from tracker.models import Food, Lifestyle, MealItem, Relapse, SleepDiary


class FoodFactory(DjangoModelFactory):
    class Meta:
        model = Food

    name_en = factory.Sequence(lambda n: f"Food {n}")
    name_fr = factory.Sequence(lambda n: f"Aliment {n}")
    default_portion_g = 100
    fiber_g_per_100g = 0
    nova_group = 1
    groups = factory.LazyFunction(list)


class MealItemFactory(DjangoModelFactory):
    class Meta:
        model = MealItem

    patient = factory.SubFactory(PatientFactory)
    meal = "lunch"
    food = factory.SubFactory(FoodFactory)
    grams = 100


class SleepDiaryFactory(DjangoModelFactory):
    class Meta:
        model = SleepDiary

    patient = factory.SubFactory(PatientFactory)
    in_bed_at = time(23, 0)
    tried_sleep_at = time(23, 0)
    minutes_to_fall_asleep = 0
    awakenings = 0
    minutes_awake = 0
    final_wake_at = time(7, 0)
    out_of_bed_at = time(7, 0)
    quality = 4
    total_sleep_minutes = 480
    mid_sleep_minutes = 180


class LifestyleFactory(DjangoModelFactory):
    class Meta:
        model = Lifestyle

    patient = factory.SubFactory(PatientFactory)
    activity_minutes = 0


class RelapseFactory(DjangoModelFactory):
    class Meta:
        model = Relapse

    patient = factory.SubFactory(PatientFactory)
    symptoms = "numb left hand"
