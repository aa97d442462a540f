"""The reads: the day's recent foods, the relapse checks in words and the type-ahead food search."""

import datetime as dt
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import translation

from tests.factories import PatientFactory
from tests.tracker.conftest import TODAY as LOG_TODAY
from tests.tracker.factories import FoodFactory, MealItemFactory, eat, food
from tests.tracker.relapse_paths import LABEL_PATHS, episode, make_label_path
from tracker import selectors
from tracker.catalog import load_catalog
from tracker.models import FavoriteFood, Food, MealItem, MealType

TODAY = date(2025, 3, 12)


@pytest.fixture
def today():
    with time_machine.travel("2025-03-12 12:00 +01:00", tick=False):
        yield TODAY


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


# ---------------------------------------------------------------- food search


@pytest.fixture
def shipped(db):
    load_catalog()


def names(foods: list[Food]) -> list[str]:
    return [f.name_en for f in foods]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("creme", "Crème fraîche (30% fat)"),
        ("CRÈME FRAÎCHE", "Crème fraîche (30% fat)"),
        ("Creme fra", "Crème fraîche (30% fat)"),
        ("pomme", "Apple"),
        ("POMME", "Apple"),
        ("apple", "Apple"),
        ("epinards", "Spinach (cooked)"),
        ("Épinards", "Spinach (cooked)"),
        ("oeuf dur", "Boiled egg"),
        ("œuf dur", "Boiled egg"),
        ("boeuf bourg", "Beef bourguignon"),
        ("pain d'epices", "Gingerbread (pain d'épices)"),
        ("kimchi", "Kimchi"),
        ("yaourt nature", "Plain yogurt (whole milk)"),
    ],
)
def test_search_ignores_case_and_accents_in_both_languages(shipped, patient, query, expected):
    assert expected in names(selectors.search_foods(patient, query, limit=12))


def test_search_matches_word_prefixes_not_only_name_starts(shipped, patient):
    found = names(selectors.search_foods(patient, "fraiche", limit=50))
    assert "Crème fraîche (30% fat)" in found
    assert "Light crème fraîche (15% fat)" in found


def test_search_puts_name_prefixes_before_word_prefixes_before_substrings(db, patient):
    food("Pear", "Poire")
    food("Prickly pear", "Figue de Barbarie")
    food("Spearmint", "Menthe verte")
    assert names(selectors.search_foods(patient, "pear")) == ["Pear", "Prickly pear", "Spearmint"]


def test_search_requires_every_word(db, patient):
    food("Green tea", "Thé vert")
    food("Green beans (boiled)", "Haricots verts (cuits)")
    assert names(selectors.search_foods(patient, "green tea")) == ["Green tea"]
    assert names(selectors.search_foods(patient, "the vert")) == ["Green tea"]


def test_search_treats_like_wildcards_as_text(db, patient):
    food("Milk 100%", "Lait 100 %")
    food("Skimmed milk", "Lait écrémé")
    assert names(selectors.search_foods(patient, "%")) == []
    assert names(selectors.search_foods(patient, "_")) == []


@pytest.mark.parametrize("query", ["apple\x00", "a" * 10_000, "apple " * 500, "'; DROP TABLE tracker_food; --"])
def test_search_survives_hostile_queries(db, patient, query):
    food("Apple", "Pomme")
    assert len(selectors.search_foods(patient, query)) <= 1


def test_search_includes_my_private_foods_but_never_anyone_elses(db, patient, other_patient):
    food("Granny's apple crumble", "Crumble de mamie", owner=patient)
    food("Neighbour's apple pie", "Tarte du voisin", owner=other_patient)
    food("Apple", "Pomme")
    assert names(selectors.search_foods(patient, "apple")) == ["Apple", "Granny's apple crumble"]
    assert names(selectors.search_foods(other_patient, "apple")) == ["Apple", "Neighbour's apple pie"]
    assert names(selectors.search_foods(None, "apple")) == ["Apple"]


def test_search_never_shows_another_users_private_food_even_if_favourite_or_eaten(db, patient, other_patient, today):
    theirs = food("Secret apple", "Pomme secrète", owner=other_patient)
    FavoriteFood.objects.create(patient=patient, food=theirs)
    eat(patient, theirs, today)
    assert selectors.search_foods(patient, "apple") == []
    assert selectors.search_foods(patient, "") == []
    assert selectors.recent_foods(patient) == []
    assert selectors.favourite_foods(patient) == []


def test_search_ranks_favourites_then_recent_foods_first(db, patient, other_patient, today):
    apple = food("Apple", "Pomme")
    juice = food("Apple juice", "Jus de pomme")
    sauce = food("Apple sauce", "Compote de pommes")
    pineapple = food("Pineapple", "Ananas")  # matches "apple" only inside a word
    toffee = food("Toffee apple", "Pomme d'amour")
    FavoriteFood.objects.create(patient=patient, food=toffee)
    eat(patient, pineapple, today - timedelta(days=3))
    eat(patient, sauce, today - timedelta(days=45))  # too old to count as recent
    FavoriteFood.objects.create(patient=other_patient, food=juice)  # someone else's favourite
    eat(other_patient, apple, today)  # someone else's meal
    assert names(selectors.search_foods(patient, "apple")) == [
        "Toffee apple",
        "Pineapple",
        "Apple",
        "Apple juice",
        "Apple sauce",
    ]


def test_an_empty_query_gives_favourites_then_recent_foods(db, patient, today):
    tea = food("Tea", "Thé")
    bread = food("Bread", "Pain")
    jam = food("Jam", "Confiture")
    food("Never eaten", "Jamais mangé")
    old = food("Eaten long ago", "Mangé il y a longtemps")
    FavoriteFood.objects.create(patient=patient, food=tea)
    eat(patient, jam, today - timedelta(days=5))
    eat(patient, bread, today - timedelta(days=1))
    eat(patient, tea, today)
    eat(patient, old, today - timedelta(days=31))
    assert names(selectors.search_foods(patient, "   ")) == ["Tea", "Bread", "Jam"]
    assert names(selectors.search_foods(patient, "")) == ["Tea", "Bread", "Jam"]
    assert selectors.search_foods(None, "") == []


def test_search_respects_the_limit(shipped, patient):
    assert len(selectors.search_foods(patient, "a", limit=5)) == 5
    assert len(selectors.search_foods(patient, "a")) == 12


def test_recent_foods_are_latest_first_and_once_each(db, patient, today):
    tea, bread = food("Tea", "Thé"), food("Bread", "Pain")
    for days_ago in range(10):
        eat(patient, tea, today - timedelta(days=days_ago + 1))
    eat(patient, bread, today)
    assert names(selectors.recent_foods(patient, limit=5)) == ["Bread", "Tea"]
    assert names(selectors.recent_foods(patient, limit=1)) == ["Bread"]


def test_favourite_foods_are_by_name(db, patient, other_patient):
    for name in ("Walnuts", "Kefir", "Apple"):
        FavoriteFood.objects.create(patient=patient, food=food(name))
    FavoriteFood.objects.create(patient=other_patient, food=food("Cola"))
    assert names(selectors.favourite_foods(patient)) == ["Apple", "Kefir", "Walnuts"]


def make_history(patient, foods: list[Food], days: int) -> None:
    MealItem.objects.bulk_create(
        MealItem(
            patient=patient, food=foods[(d * 4 + m) % len(foods)], date=TODAY - timedelta(days=d), meal=meal, grams=80
        )
        for d in range(days)
        for m, meal in enumerate(MealType.values)
    )
    FavoriteFood.objects.bulk_create(FavoriteFood(patient=patient, food=f) for f in foods[: min(days, 40)])


@pytest.mark.parametrize("days", [1, 730])
def test_search_runs_in_one_query_whatever_the_history(shipped, patient, today, days, django_assert_max_num_queries):
    foods = list(Food.objects.order_by("pk")[:200])
    make_history(patient, foods, days)
    for query in ("creme", "pomme de", "", "a"):
        with django_assert_max_num_queries(1):
            selectors.search_foods(patient, query)
    with django_assert_max_num_queries(1):
        selectors.recent_foods(patient)
    with django_assert_max_num_queries(1):
        selectors.favourite_foods(patient)


def test_search_ranks_within_a_large_history(shipped, today):
    patient = PatientFactory()
    foods = {f.name_en: f for f in Food.objects.all()}
    make_history(patient, list(foods.values())[:100], 400)
    eat(patient, foods["Crème caramel"], today)
    FavoriteFood.objects.create(patient=patient, food=foods["Light crème fraîche (15% fat)"])
    found = names(selectors.search_foods(patient, "creme"))
    assert found[0] == "Light crème fraîche (15% fat)"
    assert found[1] == "Crème caramel"
