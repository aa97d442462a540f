"""Every form with good and bad input: bad input is a message on the right field."""

import csv
import datetime as dt
from decimal import Decimal

import pytest

from tracker.catalog import CATALOG_CSV, load_catalog
from tracker.forms import (
    CustomSymptomForm,
    DatePickForm,
    FatigueForm,
    LifestyleForm,
    MealItemEditForm,
    MealItemForm,
    MFISForm,
    PrivateFoodForm,
    RelapseForm,
    SaveMealForm,
    SleepForm,
    StoolForm,
    SymptomsForm,
)
from tracker.models import CustomSymptom, Food, Relapse
from tracker.units import UNIT_NAMES, UNITS_CSV, units_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]

GOOD_SLEEP = {
    "in_bed_at": "22:30",
    "tried_sleep_at": "22:45",
    "minutes_to_fall_asleep": "15",
    "awakenings": "1",
    "minutes_awake": "10",
    "final_wake_at": "06:30",
    "out_of_bed_at": "06:50",
    "quality": "4",
}


def test_it_turns_a_count_of_household_measures_into_grams(patient, day_foods):
    form = MealItemForm({"food": day_foods["yogurt"].pk, "amount": "2", "unit": "portion"}, user=patient)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["grams"] == 250


def test_it_takes_grams_directly(patient, day_foods):
    form = MealItemForm({"food": day_foods["yogurt"].pk, "amount": "80", "unit": "g"}, user=patient)
    assert form.is_valid() and form.cleaned_data["grams"] == 80


@pytest.mark.parametrize(
    ("amount", "unit", "message"),
    [
        ("6000", "g", "more than 2 kg"),
        ("21", "portion", "At most 20 portions"),
        ("0", "g", "above zero"),
        ("-3", "portion", "above zero"),
        ("abc", "g", "number"),
        ("1e400", "g", "number"),
        ("NaN", "g", "number"),
    ],
)
def test_it_refuses_absurd_portions(patient, day_foods, amount, unit, message):
    form = MealItemForm({"food": day_foods["lentils"].pk, "amount": amount, "unit": unit}, user=patient)
    assert not form.is_valid()
    assert message in " ".join(form.errors["amount"])


def test_it_refuses_another_patients_private_food(patient, other_patient, day_foods):
    food = day_foods["oats"]
    food.owner = other_patient
    food.save()
    form = MealItemForm({"food": food.pk, "amount": "1", "unit": "portion"}, user=patient)
    assert not form.is_valid() and "food" in form.errors


def test_it_accepts_a_plausible_night():
    form = SleepForm(GOOD_SLEEP)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tried_sleep_at": "22:00"}, "tried_sleep_at"),
        ({"final_wake_at": "22:40"}, "final_wake_at"),
        ({"out_of_bed_at": "06:00"}, "out_of_bed_at"),
        ({"minutes_to_fall_asleep": "600"}, "minutes_to_fall_asleep"),
        ({"minutes_awake": "500"}, "minutes_awake"),
        ({"minutes_to_fall_asleep": "2000"}, "minutes_to_fall_asleep"),
        ({"awakenings": "-1"}, "awakenings"),
        ({"quality": "6"}, "quality"),
        ({"in_bed_at": ""}, "in_bed_at"),
        ({"final_wake_at": ""}, "final_wake_at"),
        ({"in_bed_at": "25:00"}, "in_bed_at"),
    ],
)
def test_it_explains_impossible_nights(changes, field):
    form = SleepForm({**GOOD_SLEEP, **changes})
    assert not form.is_valid()
    assert field in form.errors


def test_bed_and_wake_times_alone_are_a_night():
    """The rest of the diary is optional: an empty wait or awakening count reads as none."""
    form = SleepForm({"in_bed_at": "23:15", "final_wake_at": "06:45"})
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["tried_sleep_at"] == data["in_bed_at"] and data["out_of_bed_at"] == data["final_wake_at"]
    assert (data["minutes_to_fall_asleep"], data["awakenings"], data["minutes_awake"], data["quality"]) == (
        0,
        0,
        0,
        None,
    )


@pytest.mark.parametrize(
    ("value", "ok"), [("0", True), ("10", True), ("11", False), ("-1", False), ("", False), ("x", False)]
)
def test_it_takes_fatigue_from_0_to_10(value, ok):
    assert FatigueForm({"score": value}).is_valid() is ok


def test_it_takes_symptoms_and_custom_ratings(patient):
    tingling = CustomSymptom.objects.create(patient=patient, name="Tingling")
    form = SymptomsForm({"mood": "6", "stress": "", "note": "fine", f"rating_{tingling.pk}": "3"}, symptoms=[tingling])
    assert form.is_valid(), form.errors
    assert form.ratings() == {tingling.pk: 3}
    assert form.cleaned_data["stress"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mood": "11"}, "mood"),
        ({"stress": "-2"}, "stress"),
        ({"note": "x" * 2001}, "note"),
        ({"note": "bad\x00byte"}, "note"),
    ],
)
def test_it_refuses_bad_symptoms(data, field):
    form = SymptomsForm(data, symptoms=[])
    assert not form.is_valid() and field in form.errors


@pytest.mark.parametrize(("value", "ok"), [("1", True), ("7", True), ("8", False), ("0", False)])
def test_it_takes_bristol_types_1_to_7(value, ok):
    assert StoolForm({"bristol_type": value}).is_valid() is ok


def test_it_takes_a_lifestyle_day():
    form = LifestyleForm(
        {
            "activity_minutes": "30",
            "cigarettes": "0",
            "alcohol_units": "1.5",
            "vitamin_d_iu": "1000",
            "propionate_mg": "0",
        }
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"activity_minutes": "1500"}, "activity_minutes"),
        ({"alcohol_units": "-1"}, "alcohol_units"),
        ({"alcohol_units": "51"}, "alcohol_units"),
        ({"vitamin_d_iu": "99999999999999999999"}, "vitamin_d_iu"),
        ({"other_supplements": "x" * 201}, "other_supplements"),
    ],
)
def test_it_refuses_bad_lifestyle_numbers(data, field):
    base = {"activity_minutes": "0", "cigarettes": "0", "alcohol_units": "0", "vitamin_d_iu": "0", "propionate_mg": "0"}
    form = LifestyleForm({**base, **data})
    assert not form.is_valid() and field in form.errors


def test_it_takes_a_relapse_and_refuses_future_or_reversed_dates():
    good = {
        "started_on": "2026-10-01",
        "ended_on": "2026-10-10",
        "symptoms": "Numb legs",
        "severity": "mild",
        "lasted_over_24h": "True",
        "recovery": "full",
    }
    assert RelapseForm(good).is_valid()
    future = RelapseForm({**good, "started_on": "2026-11-21", "ended_on": ""})
    assert not future.is_valid() and "future" in future.errors["started_on"][0]
    reversed_dates = RelapseForm({**good, "ended_on": "2026-09-01"})
    assert not reversed_dates.is_valid() and "ended_on" in reversed_dates.errors
    assert not RelapseForm({**good, "started_on": "2026-02-30"}).is_valid()
    assert not RelapseForm({**good, "symptoms": ""}).is_valid()


def test_the_24_hour_answer_is_a_required_yes_or_no_with_nothing_ticked():
    base = {"started_on": "2026-10-01", "symptoms": "Numb legs", "severity": "mild", "recovery": "full"}
    blank = RelapseForm()
    assert "checked" not in str(blank["lasted_over_24h"])
    missing = RelapseForm(base)
    assert not missing.is_valid()
    assert missing.errors["lasted_over_24h"] == ["Say whether the symptoms lasted more than 24 hours."]
    assert not RelapseForm({**base, "lasted_over_24h": "on"}).is_valid()  # the old checkbox value is no answer
    yes, no = RelapseForm({**base, "lasted_over_24h": "True"}), RelapseForm({**base, "lasted_over_24h": "False"})
    assert yes.is_valid() and yes.cleaned_data["lasted_over_24h"] is True
    assert no.is_valid() and no.cleaned_data["lasted_over_24h"] is False
    heat = RelapseForm({**base, "lasted_over_24h": "True", "heat_exposure": "on"})
    assert heat.is_valid() and heat.cleaned_data["heat_exposure"] is True


@pytest.mark.parametrize(("stored", "ticked"), [(True, "True"), (False, "False"), (None, None)])
def test_a_saved_episode_shows_its_stored_answer(stored, ticked):
    form = RelapseForm(instance=Relapse(started_on=dt.date(2026, 10, 1), symptoms="x", lasted_over_24h=stored))
    html = str(form["lasted_over_24h"])
    checked = [value for value in ("True", "False") if f'value="{value}"' in html and _is_checked(html, value)]
    assert checked == ([ticked] if ticked else [])


def _is_checked(html: str, value: str) -> bool:
    tag = html.split(f'value="{value}"', 1)[1].split(">", 1)[0]
    return "checked" in tag


def test_it_saves_mfis_part_way_but_needs_every_answer_to_finish():
    form = MFISForm({"item_1": "2", "item_5": "4"})
    assert form.is_valid()
    assert form.items()[:5] == [2, None, None, None, 4]
    assert not form.check_complete()
    assert "item_2" in form.errors
    full = MFISForm({f"item_{n}": "1" for n in range(1, 22)})
    assert full.is_valid() and full.check_complete()
    assert not MFISForm({"item_1": "5"}).is_valid()


def test_it_checks_private_foods():
    good = {
        "name_en": "Grandma's soup",
        "default_portion_g": "250",
        "nova_group": "1",
        "groups": ["vegetable", "legume"],
    }
    form = PrivateFoodForm(good)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["fiber_g_per_100g"] == 0.0
    assert not PrivateFoodForm({**good, "groups": ["unicorn"]}).is_valid()
    assert not PrivateFoodForm({**good, "default_portion_g": "6000"}).is_valid()
    assert not PrivateFoodForm({**good, "name_en": ""}).is_valid()


def test_it_checks_small_forms(day_foods):
    assert SaveMealForm({"name": "Usual"}).is_valid()
    assert not SaveMealForm({"name": "x" * 81}).is_valid()
    assert CustomSymptomForm({"name": "Pain"}).is_valid()
    assert not CustomSymptomForm({"name": ""}).is_valid()
    food = day_foods["oats"]
    assert MealItemEditForm({"meal": "lunch", "amount": "80", "unit": "g"}, food=food).is_valid()
    assert not MealItemEditForm({"meal": "brunch", "amount": "80", "unit": "g"}, food=food).is_valid()
    assert not MealItemEditForm({"meal": "lunch", "amount": "2500", "unit": "g"}, food=food).is_valid()
    assert not MealItemEditForm({"meal": "lunch", "amount": "1", "unit": "furlong"}, food=food).is_valid()
    assert DatePickForm({"date": "2026-11-20"}).is_valid()
    assert not DatePickForm({"date": "2026-11-21"}).is_valid()


@pytest.mark.django_db
def test_household_units_of_a_catalog_food_give_grams_and_keep_what_was_chosen(patient):
    load_catalog()
    oats = Food.objects.get(name_en="Rolled oats (dry)", owner=None)
    offered = [u.code for u in units_for(oats)]
    assert offered[0] == "bowl" and {"cup", "tbsp"} <= set(offered)
    form = MealItemForm({"food": oats.pk, "amount": "1", "unit": "tbsp", "quick": "2"}, user=patient)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["grams"], form.cleaned_data["quantity"]) == (20.0, Decimal(2))
    half = MealItemForm({"food": oats.pk, "amount": "1", "unit": "bowl", "quick": "0.5"}, user=patient)
    assert half.is_valid() and half.cleaned_data["grams"] == 20.0
    assert not MealItemForm({"food": oats.pk, "amount": "1", "unit": "glass"}, user=patient).is_valid()
    # The odd default of a whole punnet is gone: a bowl of blueberries is the usual portion.
    blueberries = Food.objects.get(name_en="Blueberries", owner=None)
    assert blueberries.default_portion_g == 80 and units_for(blueberries)[0].code == "bowl"


def test_every_catalog_food_has_a_household_unit():
    with open(CATALOG_CSV, encoding="utf-8") as f:
        names = {row["name_en"] for row in csv.DictReader(f)}
    with open(UNITS_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert names == {row["name_en"] for row in rows}
    assert all(row["unit"] in UNIT_NAMES and 0 < float(row["grams"]) <= 2000 for row in rows)
