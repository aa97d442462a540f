"""Every write to a patient's log (the reads are in `tracker.selectors`).

One function owns each write: it runs in a transaction, refuses future days,
and calls `msgut.events.entries_changed` so scores and charts follow after
commit. One-per-day records are upserts that survive double submits and two
tabs; added items carry a client token so a repeated POST adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from accounts.models import User
from msgut.events import entries_changed
from tracker import catalog
from tracker.measures import mfis_padded, sleep_measures
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    FavoriteFood,
    Food,
    Lifestyle,
    MealItem,
    Medication,
    MedicationDay,
    MFISResponse,
    Relapse,
    SavedMeal,
    SavedMealItem,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)
from tracker.selectors import asked_medications, patient_today

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")
# A concurrent insert of the same row raises IntegrityError once; the next attempt updates it.
UPSERT_ATTEMPTS = 3


class FutureDayError(ValueError):
    """A write for a day after the patient's today."""


def check_day(day: date) -> None:
    if day > patient_today():
        raise FutureDayError(day)


def _retrying_conflicts(write: Callable[[], T]) -> T:
    """Run an update_or_create in a savepoint; when a concurrent insert wins the race, try again (it updates)."""
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _upsert(model: type[M], patient: User, day: date, defaults: dict[str, Any]) -> M:
    """update_or_create on (patient, date); a concurrent insert loses the race and updates instead."""
    obj, _created = _retrying_conflicts(
        partial(model._default_manager.update_or_create, patient=patient, date=day, defaults=defaults)
    )
    return obj


def _create_once(model: type[M], patient: User, token: str, fields: dict[str, Any]) -> tuple[M, bool]:
    """Create a row unless one with the same client token exists (a double submit): the database's
    unique constraint finds it, so a first submit costs no read before its insert."""
    manager = model._default_manager
    try:
        with transaction.atomic():
            return manager.create(patient=patient, client_token=token, **fields), True
    except IntegrityError:
        if not token:
            raise
        return manager.get(patient=patient, client_token=token), False


# ---------------------------------------------------------------- meals


@transaction.atomic
def add_meal_item(
    *,
    patient: User,
    day: date,
    meal: str,
    food: Food,
    grams: float,
    token: str = "",
    unit: str = "",
    quantity: Decimal | None = None,
) -> MealItem:
    check_day(day)
    if food.owner_id not in (None, patient.pk):
        raise Food.DoesNotExist
    values = {"date": day, "meal": meal, "food": food, "grams": grams, "unit": unit, "quantity": quantity}
    item, created = _create_once(MealItem, patient, token, values)
    if created:
        entries_changed(patient.pk, day)
    return item


@transaction.atomic
def update_meal_item(
    *, patient: User, item: MealItem, meal: str, grams: float, unit: str = "", quantity: Decimal | None = None
) -> MealItem:
    if item.patient_id != patient.pk:
        raise MealItem.DoesNotExist
    item.meal = meal
    item.grams = grams
    item.unit = unit
    item.quantity = quantity
    item.save(update_fields=["meal", "grams", "unit", "quantity", "updated_at"])
    entries_changed(patient.pk, item.date)
    return item


def _add_items_missing(patient: User, day: date, meal: str, items: Iterable[tuple[Any, ...]]) -> int:
    """Add (food_id, grams[, unit, quantity]) to a meal, skipping any already there: repeating a copy adds nothing."""
    present = {
        (food_id, round(grams, 1))
        for food_id, grams in MealItem.objects.filter(patient=patient, date=day, meal=meal).values_list(
            "food_id", "grams"
        )
    }
    rows = []
    for food_id, grams, *chosen in items:
        key = (food_id, round(grams, 1))
        if key in present:
            continue
        present.add(key)
        unit, quantity = chosen if chosen else ("", None)
        rows.append(
            MealItem(patient=patient, date=day, meal=meal, food_id=food_id, grams=grams, unit=unit, quantity=quantity)
        )
    MealItem.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def copy_meal_from_previous_day(*, patient: User, day: date, meal: str) -> int:
    """'Same as yesterday' for one meal. Returns how many items were added."""
    check_day(day)
    source = MealItem.objects.filter(patient=patient, date=day - timedelta(days=1), meal=meal).order_by(
        "created_at", "id"
    )
    added = _add_items_missing(patient, day, meal, source.values_list("food_id", "grams", "unit", "quantity"))
    if added:
        entries_changed(patient.pk, day)
    return added


@transaction.atomic
def copy_day_from_previous_day(*, patient: User, day: date) -> int:
    """'Same as yesterday' for every meal of the day."""
    check_day(day)
    source = MealItem.objects.filter(patient=patient, date=day - timedelta(days=1)).order_by("created_at", "id")
    by_meal: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for meal, *item in source.values_list("meal", "food_id", "grams", "unit", "quantity"):
        by_meal[meal].append(tuple(item))
    added = sum(_add_items_missing(patient, day, meal, items) for meal, items in by_meal.items())
    if added:
        entries_changed(patient.pk, day)
    return added


@transaction.atomic
def apply_saved_meal(*, patient: User, day: date, meal: str, saved_meal: SavedMeal) -> int:
    check_day(day)
    if saved_meal.patient_id != patient.pk:
        raise SavedMeal.DoesNotExist
    added = _add_items_missing(patient, day, meal, saved_meal.items.values_list("food_id", "grams"))
    if added:
        entries_changed(patient.pk, day)
    return added


@transaction.atomic
def save_meal_as(*, patient: User, day: date, meal: str, name: str) -> SavedMeal:
    """Save (or overwrite) a named meal from the items of one meal of a day."""
    saved, _created = SavedMeal.objects.get_or_create(patient=patient, name=name)
    saved.items.all().delete()
    items = MealItem.objects.filter(patient=patient, date=day, meal=meal).order_by("created_at", "id")
    SavedMealItem.objects.bulk_create(
        SavedMealItem(saved_meal=saved, food_id=food_id, grams=grams)
        for food_id, grams in items.values_list("food_id", "grams")
    )
    return saved


@transaction.atomic
def delete_saved_meal(*, patient: User, saved_meal: SavedMeal) -> None:
    if saved_meal.patient_id != patient.pk:
        raise SavedMeal.DoesNotExist
    saved_meal.delete()


def set_favorite(*, patient: User, food: Food, favorite: bool) -> None:
    if food.owner_id not in (None, patient.pk):
        raise Food.DoesNotExist
    if favorite:
        FavoriteFood.objects.get_or_create(patient=patient, food=food)
    else:
        FavoriteFood.objects.filter(patient=patient, food=food).delete()


@transaction.atomic
def save_private_food(*, patient: User, data: dict[str, Any], food: Food | None = None) -> Food:
    """Create or edit one of the patient's own foods; the search key follows the names."""
    if food is None:
        food = Food(owner=patient)
    elif food.owner_id != patient.pk:
        raise Food.DoesNotExist
    for name, value in data.items():
        setattr(food, name, value)
    if not food.name_fr:
        food.name_fr = food.name_en
    food.search_text = catalog.search_key(food.name_en, food.name_fr)
    food.save()
    return food


# ---------------------------------------------------------------- one-per-day records


@transaction.atomic
def save_sleep(*, patient: User, day: date, data: dict[str, Any]) -> SleepDiary:
    check_day(day)
    derived = sleep_measures(
        data["in_bed_at"],
        data["tried_sleep_at"],
        data["minutes_to_fall_asleep"],
        data["minutes_awake"],
        data["final_wake_at"],
        data["out_of_bed_at"],
    )
    values = {
        **data,
        "total_sleep_minutes": derived.total_sleep_minutes,
        "time_in_bed_minutes": derived.time_in_bed_minutes,
        "efficiency": derived.efficiency,
        "mid_sleep_minutes": derived.mid_sleep_minutes,
    }
    diary = _upsert(SleepDiary, patient, day, values)
    entries_changed(patient.pk, day)
    return diary


@transaction.atomic
def save_fatigue(*, patient: User, day: date, score: int) -> FatigueRating:
    check_day(day)
    rating = _upsert(FatigueRating, patient, day, {"score": score})
    entries_changed(patient.pk, day)
    return rating


@transaction.atomic
def save_symptoms(
    *,
    patient: User,
    day: date,
    mood: int | None,
    stress: int | None,
    note: str,
    ratings: dict[int, int | None] | None = None,
) -> SymptomLog:
    """Mood, stress, note and the patient's own symptom ratings (None clears a rating)."""
    check_day(day)
    log = _upsert(SymptomLog, patient, day, {"mood": mood, "stress": stress, "note": note})
    for symptom_id, score in (ratings or {}).items():
        symptom = CustomSymptom.objects.get(pk=symptom_id, patient=patient)
        if score is None:
            SymptomRating.objects.filter(patient=patient, date=day, symptom=symptom).delete()
            continue
        _retrying_conflicts(
            partial(
                SymptomRating.objects.update_or_create,
                patient=patient,
                date=day,
                symptom=symptom,
                defaults={"score": score},
            )
        )
    entries_changed(patient.pk, day)
    return log


@transaction.atomic
def add_stool_event(*, patient: User, day: date, bristol_type: int, token: str = "") -> StoolEvent:
    check_day(day)
    event, created = _create_once(StoolEvent, patient, token, {"date": day, "bristol_type": bristol_type})
    if created:
        entries_changed(patient.pk, day)
    return event


@transaction.atomic
def add_custom_symptom(*, patient: User, name: str) -> CustomSymptom:
    symptom, _created = CustomSymptom.objects.get_or_create(patient=patient, name=name, defaults={"active": True})
    if not symptom.active:
        symptom.active = True
        symptom.save(update_fields=["active"])
    return symptom


@transaction.atomic
def save_lifestyle(*, patient: User, day: date, data: dict[str, Any]) -> Lifestyle:
    check_day(day)
    values = dict(data)
    # A cigarette count means tobacco was smoked, whatever the box says.
    values["tobacco"] = bool(values.get("tobacco")) or bool(values.get("cigarettes"))
    lifestyle = _upsert(Lifestyle, patient, day, values)
    entries_changed(patient.pk, day)
    return lifestyle


# ---------------------------------------------------------------- relapses and MFIS


@transaction.atomic
def save_relapse(*, patient: User, data: dict[str, Any], relapse: Relapse | None = None, token: str = "") -> Relapse:
    check_day(data["started_on"])
    if data.get("ended_on"):
        check_day(data["ended_on"])
    if relapse is None:
        relapse, created = _create_once(Relapse, patient, token, data)
        if created:
            entries_changed(patient.pk, relapse.started_on)
        return relapse
    if relapse.patient_id != patient.pk:
        raise Relapse.DoesNotExist
    before = relapse.started_on
    for name, value in data.items():
        setattr(relapse, name, value)
    relapse.save()
    entries_changed(patient.pk, before)
    if relapse.started_on != before:
        entries_changed(patient.pk, relapse.started_on)
    return relapse


@transaction.atomic
def save_mfis(*, patient: User, day: date, items: list[int | None]) -> MFISResponse:
    """Save the questionnaire as far as answered; complete once every item has an answer."""
    check_day(day)
    padded = mfis_padded(items)
    completed = all(v is not None for v in padded)
    response = _upsert(MFISResponse, patient, day, {"items": padded, "completed": completed})
    entries_changed(patient.pk, day)
    return response


# ---------------------------------------------------------------- deleting

# Entry kinds a patient can delete from the day page, by URL slug.
# ---------------------------------------------------------------- medications

MEDICATION_FIELDS = ("therapy", "name", "is_dmt", "dose", "started_on", "stopped_on", "ask_daily")


@transaction.atomic
def save_medication(*, patient: User, data: dict[str, Any], medication: Medication | None = None) -> Medication:
    """Add a medication to the patient's list, or change one of theirs.

    A therapy picked from the list is a disease-modifying therapy whatever the checkbox says; for a
    typed name the patient's checkbox decides (a trial drug is a DMT the list does not know).
    """
    if medication is not None and medication.patient_id != patient.pk:
        raise Medication.DoesNotExist
    fields = {name: data[name] for name in MEDICATION_FIELDS if name in data}
    fields["name"] = (fields.get("name") or "").strip()
    if fields.get("therapy"):
        fields["is_dmt"] = True
    if medication is None:
        return Medication.objects.create(patient=patient, **fields)
    for name, value in fields.items():
        setattr(medication, name, value)
    medication.save(update_fields=[*fields, "updated_at"])
    return medication


@transaction.atomic
def stop_medication(*, patient: User, medication: Medication) -> Medication:
    """The "Stopped today" button: the stop date becomes the patient's today (an earlier stop date is kept)."""
    if medication.patient_id != patient.pk:
        raise Medication.DoesNotExist
    today = patient_today()
    if medication.stopped_on is None or medication.stopped_on > today:
        medication.stopped_on = max(today, medication.started_on or today)
        medication.save(update_fields=["stopped_on", "updated_at"])
    return medication


@transaction.atomic
def delete_medication(*, patient: User, medication: Medication) -> None:
    """Remove a medication entered by mistake, with its daily answers."""
    if medication.patient_id != patient.pk:
        raise Medication.DoesNotExist
    medication.delete()


@transaction.atomic
def confirm_medicines(*, patient: User, day: date, taken: dict[int, bool] | None) -> list[MedicationDay]:
    """Record the day's "taken as usual" answers: `None` = every asked medication as usual.

    Only the patient's own medications asked about and current that day are answered, whatever
    ids were posted. One row per medication and day (answering again changes it). No score
    depends on it, so nothing is marked for rescoring.
    """
    check_day(day)
    answers = []
    for medication in asked_medications(patient, day):
        value = True if taken is None else taken.get(medication.pk)
        if value is None:
            continue
        row, _created = _retrying_conflicts(
            partial(
                MedicationDay.objects.update_or_create,
                medication=medication,
                date=day,
                defaults={"patient": patient, "taken": value},
            )
        )
        answers.append(row)
    return answers


DELETABLE: dict[str, type[models.Model]] = {
    "meal-item": MealItem,
    "stool": StoolEvent,
    "sleep": SleepDiary,
    "fatigue": FatigueRating,
    "symptoms": SymptomLog,
    "lifestyle": Lifestyle,
    "mfis": MFISResponse,
    "relapse": Relapse,
}


def entry_day(entry: models.Model) -> date:
    return entry.started_on if isinstance(entry, Relapse) else entry.date  # type: ignore[attr-defined]


@transaction.atomic
def delete_entry(*, patient: User, entry: models.Model) -> date:
    """Delete one of the patient's own entries; returns the day it belonged to."""
    if getattr(entry, "patient_id", None) != patient.pk:
        raise type(entry).DoesNotExist  # type: ignore[attr-defined]
    day = entry_day(entry)
    if isinstance(entry, SymptomLog):
        SymptomRating.objects.filter(patient=patient, date=day).delete()
    entry.delete()
    entries_changed(patient.pk, day)
    return day
