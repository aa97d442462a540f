"""Two tabs saving the same day at the same moment: one row, no error (PostgreSQL)."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from tests.conftest import need
from tests.factories import PatientFactory
from tests.tracker.factories import FoodFactory
from tracker import services
from tracker.models import FatigueRating, MealItem, SleepDiary

DAY = dt.date(2025, 6, 1)
SLEEP = {
    "in_bed_at": dt.time(23, 0),
    "tried_sleep_at": dt.time(23, 10),
    "minutes_to_fall_asleep": 10,
    "awakenings": 0,
    "minutes_awake": 0,
    "final_wake_at": dt.time(7, 0),
    "out_of_bed_at": dt.time(7, 5),
    "quality": 4,
}


def _race(*writes):
    barrier = threading.Barrier(len(writes))
    errors: list[BaseException] = []

    def run(write):
        try:
            barrier.wait()
            write()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in writes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_row_when_two_tabs_save_the_same_day_at_once():
    need(connection.vendor == "postgresql", "concurrent writes need PostgreSQL")
    patient = PatientFactory()
    food = FoodFactory()
    for _round in range(5):
        _race(
            lambda: services.save_fatigue(patient=patient, day=DAY, score=3),
            lambda: services.save_fatigue(patient=patient, day=DAY, score=6),
            lambda: services.save_sleep(patient=patient, day=DAY, data=SLEEP),
            lambda: services.save_sleep(patient=patient, day=DAY, data={**SLEEP, "quality": 2}),
            lambda: services.add_meal_item(
                patient=patient, day=DAY, meal="lunch", food=food, grams=100, token="same-form"
            ),
            lambda: services.add_meal_item(
                patient=patient, day=DAY, meal="lunch", food=food, grams=100, token="same-form"
            ),
        )
    assert FatigueRating.objects.filter(patient=patient).count() == 1
    assert SleepDiary.objects.filter(patient=patient).count() == 1
    assert MealItem.objects.filter(patient=patient).count() == 1
