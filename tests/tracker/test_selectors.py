"""The reads: the day's recent foods and the relapse checks in words (the food search: test_search.py)."""

import datetime as dt

import pytest
from django.db.models.signals import post_init
from django.utils import translation

from tests.tracker.conftest import TODAY as LOG_TODAY
from tests.tracker.factories import FoodFactory, MealItemFactory
from tests.tracker.relapse_paths import LABEL_PATHS, episode, make_label_path
from tracker import selectors
from tracker.models import Food, MealItem

# ---------------------------------------------------------------- the day and relapses

log_day = pytest.mark.usefixtures("db", "pinned_today")


@log_day
@pytest.mark.parametrize("path", LABEL_PATHS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_relapse_check_has_its_own_words_in_english_and_french(patient, path, language):
    checked = make_label_path(patient, path)
    _facts, _days, headline_en, reasons_en, headline_fr, reasons_fr = LABEL_PATHS[path]
    with translation.override(language):
        found = {e.relapse.pk: e.label for e in selectors.checked_episodes(patient)}[checked.pk]
    assert found.headline == (headline_fr if language == "fr" else headline_en)
    assert found.reasons == (reasons_fr if language == "fr" else reasons_en)
    if language == "fr":
        assert found.why == (f"Pourquoi : {' ; '.join(reasons_fr)}." if reasons_fr else "")
    else:
        assert found.why == (f"Why: {'; '.join(reasons_en)}." if reasons_en else "")
    assert found.qualifying == (path == "qualifying")


@log_day
def test_the_checked_episodes_measure_from_relapses_before_the_range(patient):
    """An episode in the range is measured from a relapse that ended long before the range began."""
    episode(patient, dt.date(2026, 9, 1), ended_on=dt.date(2026, 9, 5))
    late = episode(patient, dt.date(2026, 9, 20))
    shown = selectors.checked_episodes(patient, dt.date(2026, 9, 15), dt.date(2026, 9, 30))
    assert [e.relapse.pk for e in shown] == [late.pk]
    assert shown[0].label.code == "within_30" and shown[0].check.anchor == dt.date(2026, 9, 1)


@log_day
def test_it_lists_recent_foods_per_meal_most_frequent_first(patient, day_foods):
    for days in range(1, 4):
        MealItemFactory(
            patient=patient, date=LOG_TODAY - dt.timedelta(days=days), meal="breakfast", food=day_foods["oats"]
        )
    MealItemFactory(patient=patient, date=LOG_TODAY - dt.timedelta(days=1), meal="breakfast", food=day_foods["yogurt"])
    recent = selectors.recent_foods_by_meal(patient, LOG_TODAY)
    assert recent["breakfast"] == [day_foods["oats"], day_foods["yogurt"]]
    assert "lunch" not in recent


@log_day
def test_it_offers_at_most_six_recent_foods_per_meal_latest_first_among_equals(patient):
    foods = [FoodFactory() for _ in range(8)]
    for days, eaten in enumerate(foods, start=1):
        MealItemFactory(patient=patient, date=LOG_TODAY - dt.timedelta(days=days), meal="dinner", food=eaten)
    recent = selectors.recent_foods_by_meal(patient, LOG_TODAY)
    assert recent["dinner"] == foods[:6]


def _fields(row):
    return {name: value for name, value in vars(row).items() if name != "_state"}


@log_day
def test_the_days_rows_are_read_as_the_orm_reads_them(patient, day_foods):
    """The day's read makes its rows without Model.__init__: each has the same fields as the ORM's
    own row, and is a row from the database (saved again, it is updated, not added)."""
    for meal, food in (("breakfast", "oats"), ("lunch", "lentils")):
        MealItemFactory(patient=patient, date=LOG_TODAY, meal=meal, food=day_foods[food])
    log = selectors.day_log(patient, LOG_TODAY)
    items = [item for meal in log.meals for item in meal.items]
    assert items
    for item in items:
        orm = MealItem.objects.get(pk=item.pk)
        assert _fields(item) | {"grams": orm.grams} == _fields(orm) | {"grams": orm.grams}
        assert _fields(item.food) == _fields(Food.objects.get(pk=item.food_id))
        assert (item._state.adding, item._state.db) == (False, "default")
    items[0].save(update_fields=["grams"])  # (an UPDATE: no second row)
    assert MealItem.objects.filter(pk=items[0].pk).count() == 1


@log_day
def test_a_row_whose_making_is_listened_to_is_made_by_the_orm(patient, day_foods):
    MealItemFactory(patient=patient, date=LOG_TODAY, meal="dinner", food=day_foods["lentils"])
    made = []

    def listen(sender, instance, **kwargs):
        made.append(instance.pk)

    post_init.connect(listen, sender=MealItem)
    try:
        log = selectors.day_log(patient, LOG_TODAY)
    finally:
        post_init.disconnect(listen, sender=MealItem)
    assert sorted(made) == sorted(item.pk for meal in log.meals for item in meal.items)
