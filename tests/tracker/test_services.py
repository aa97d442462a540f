"""One function per write: transactions, upserts, idempotent copies, future days refused."""

import datetime as dt
from unittest import mock

import pytest

from tests.tracker.conftest import TODAY
from tests.tracker.factories import MealItemFactory, SleepFactory
from tracker import services
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    MealItem,
    MFISResponse,
    Relapse,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]
YESTERDAY = TODAY - dt.timedelta(days=1)
SLEEP = {
    "in_bed_at": dt.time(23, 0),
    "tried_sleep_at": dt.time(23, 15),
    "minutes_to_fall_asleep": 15,
    "awakenings": 2,
    "minutes_awake": 30,
    "final_wake_at": dt.time(7, 0),
    "out_of_bed_at": dt.time(7, 30),
    "quality": 3,
}


@pytest.fixture
def changed():
    """Record entries_changed calls (the chokepoint that enqueues rescoring)."""
    with mock.patch("tracker.services.entries_changed") as spy:
        yield spy


def test_it_upserts_one_sleep_diary_a_day_with_derived_measures(patient, changed):
    services.save_sleep(patient=patient, day=TODAY, data=SLEEP)
    diary = services.save_sleep(patient=patient, day=TODAY, data={**SLEEP, "minutes_awake": 0})
    assert SleepDiary.objects.filter(patient=patient).count() == 1
    assert diary.total_sleep_minutes == 7 * 60 + 30
    assert diary.time_in_bed_minutes == 8 * 60 + 30
    assert diary.efficiency == pytest.approx(450 / 510, abs=1e-3)
    changed.assert_called_with(patient.pk, TODAY)


def test_it_refuses_future_days(patient, changed):
    with pytest.raises(services.FutureDayError):
        services.save_fatigue(patient=patient, day=TODAY + dt.timedelta(days=1), score=3)
    assert not FatigueRating.objects.exists()
    changed.assert_not_called()


def test_it_adds_a_meal_item_once_per_token(patient, day_foods, changed):
    services.add_meal_item(patient=patient, day=TODAY, meal="lunch", food=day_foods["lentils"], grams=150, token="abc")
    services.add_meal_item(patient=patient, day=TODAY, meal="lunch", food=day_foods["lentils"], grams=150, token="abc")
    assert MealItem.objects.filter(patient=patient).count() == 1
    assert changed.call_count == 1


def test_it_refuses_another_patients_private_food(patient, other_patient, day_foods):
    private = day_foods["oats"]
    private.owner = other_patient
    private.save()
    with pytest.raises(type(private).DoesNotExist):
        services.add_meal_item(patient=patient, day=TODAY, meal="lunch", food=private, grams=40)


def test_it_copies_yesterdays_meal_once(patient, day_foods, changed):
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["oats"], grams=40)
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["yogurt"], grams=125)
    MealItemFactory(patient=patient, date=YESTERDAY, meal="dinner", food=day_foods["lentils"], grams=150)
    assert services.copy_meal_from_previous_day(patient=patient, day=TODAY, meal="breakfast") == 2
    assert services.copy_meal_from_previous_day(patient=patient, day=TODAY, meal="breakfast") == 0
    assert services.copy_day_from_previous_day(patient=patient, day=TODAY) == 1
    assert services.copy_day_from_previous_day(patient=patient, day=TODAY) == 0
    today_items = MealItem.objects.filter(patient=patient, date=TODAY)
    assert sorted(today_items.values_list("meal", "grams")) == [("breakfast", 40), ("breakfast", 125), ("dinner", 150)]


def test_it_saves_and_applies_a_named_meal(patient, day_foods):
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["oats"], grams=40)
    saved = services.save_meal_as(patient=patient, day=YESTERDAY, meal="breakfast", name="Usual")
    assert services.apply_saved_meal(patient=patient, day=TODAY, meal="snack", saved_meal=saved) == 1
    assert services.apply_saved_meal(patient=patient, day=TODAY, meal="snack", saved_meal=saved) == 0
    # Saving again under the same name replaces the contents.
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["yogurt"], grams=125)
    assert services.save_meal_as(patient=patient, day=YESTERDAY, meal="breakfast", name="Usual").items.count() == 2


def test_it_saves_symptoms_with_custom_ratings_and_clears_a_rating(patient, changed):
    tingling = services.add_custom_symptom(patient=patient, name="Tingling")
    services.save_symptoms(patient=patient, day=TODAY, mood=6, stress=3, note="ok", ratings={tingling.pk: 4})
    services.save_symptoms(patient=patient, day=TODAY, mood=7, stress=3, note="", ratings={tingling.pk: 5})
    assert SymptomLog.objects.get(patient=patient).mood == 7
    assert SymptomRating.objects.get(patient=patient).score == 5
    services.save_symptoms(patient=patient, day=TODAY, mood=7, stress=3, note="", ratings={tingling.pk: None})
    assert not SymptomRating.objects.exists()


def test_it_refuses_ratings_of_another_patients_symptom(patient, other_patient):
    theirs = CustomSymptom.objects.create(patient=other_patient, name="Pain")
    with pytest.raises(CustomSymptom.DoesNotExist):
        services.save_symptoms(patient=patient, day=TODAY, mood=None, stress=None, note="", ratings={theirs.pk: 3})
    assert not SymptomLog.objects.exists()  # the whole write rolled back


def test_it_counts_cigarettes_as_tobacco(patient):
    lifestyle = services.save_lifestyle(
        patient=patient, day=TODAY, data={"tobacco": False, "cigarettes": 3, "activity_minutes": 0}
    )
    assert lifestyle.tobacco


def test_it_adds_stool_events_once_per_token(patient):
    services.add_stool_event(patient=patient, day=TODAY, bristol_type=4, token="x")
    services.add_stool_event(patient=patient, day=TODAY, bristol_type=4, token="x")
    services.add_stool_event(patient=patient, day=TODAY, bristol_type=5, token="y")
    assert StoolEvent.objects.filter(patient=patient).count() == 2


def test_it_saves_the_mfis_part_way_then_complete(patient):
    partial = services.save_mfis(patient=patient, day=TODAY, items=[2] * 10)
    assert not partial.completed and partial.items[10:] == [None] * 11
    done = services.save_mfis(patient=patient, day=TODAY, items=[2] * 21)
    assert done.completed and MFISResponse.objects.count() == 1


def test_it_creates_edits_and_deletes_a_relapse(patient, changed):
    data = {"started_on": dt.date(2026, 10, 1), "ended_on": None, "symptoms": "Blurred vision", "lasted_over_24h": True}
    relapse = services.save_relapse(patient=patient, data=data, token="r1")
    assert services.save_relapse(patient=patient, data=data, token="r1").pk == relapse.pk
    services.save_relapse(patient=patient, data={**data, "started_on": dt.date(2026, 10, 3)}, relapse=relapse)
    relapse.refresh_from_db()
    assert relapse.started_on == dt.date(2026, 10, 3)
    assert services.delete_entry(patient=patient, entry=relapse) == dt.date(2026, 10, 3)
    assert not Relapse.objects.exists()


def test_it_refuses_to_delete_another_patients_entry(patient, other_patient):
    sleep = SleepFactory(patient=other_patient)
    with pytest.raises(SleepDiary.DoesNotExist):
        services.delete_entry(patient=patient, entry=sleep)


def test_it_enqueues_rescoring_only_after_commit(patient, django_capture_on_commit_callbacks):
    with (
        mock.patch("guidance.tasks.schedule_rescore") as rescore,
        mock.patch("trends.tasks.schedule_rebuild") as rebuild,
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.save_fatigue(patient=patient, day=TODAY, score=4)
            rescore.assert_not_called()
        assert len(callbacks) >= 2
    rescore.assert_called_once_with(patient.pk, TODAY)
    rebuild.assert_called_once_with(patient.pk, TODAY)


def test_it_saves_even_when_the_broker_is_down(patient_client, patient, django_capture_on_commit_callbacks):
    down = mock.patch("celery.app.task.Task.apply_async", side_effect=ConnectionError("redis down"))
    with down, django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(f"/day/{TODAY}/fatigue/", {"score": "6"})
    assert response.status_code == 302
    assert FatigueRating.objects.get(patient=patient).score == 6


def test_same_as_yesterday_keeps_the_unit_and_quantity_chosen(patient, day_foods):
    oats = day_foods["oats"]
    MealItemFactory(patient=patient, date=YESTERDAY, meal="lunch", food=oats, grams=80, unit="bowl", quantity=2)
    services.copy_meal_from_previous_day(patient=patient, day=TODAY, meal="lunch")
    copied = MealItem.objects.get(patient=patient, date=TODAY)
    assert (copied.grams, copied.unit, copied.quantity) == (80, "bowl", 2)
