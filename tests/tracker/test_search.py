"""The type-ahead food search: forgiving words, ranking, privacy, hostile input and its data files.

The 288 realistic queries of tracker/data/search_cases.csv, on both databases: test_search_cases.py.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import PatientFactory
from tests.tracker.factories import eat, food
from tests.tracker.test_catalog import raw_rows, write_csv
from tracker import selectors
from tracker.catalog import load_catalog, read_catalog
from tracker.models import FavoriteFood, Food, MealItem, MealType
from tracker.search import LANGUAGES, SYNONYMS_DIR, FoodIndex, Synonyms, synonyms, terms

TODAY = date(2025, 3, 12)


@pytest.fixture
def today():
    with time_machine.travel("2025-03-12 12:00 +01:00", tick=False):
        yield TODAY


@pytest.fixture
def shipped(db):
    load_catalog()


def names(foods: list[Food]) -> list[str]:
    return [f.name_en for f in foods]


def top(query: str, n: int = 3, user=None, language: str = "en") -> list[str]:
    return names(selectors.search_foods(user, query, limit=n, language=language))


# ---------------------------------------------------------------- what people type


@pytest.mark.django_db
class TestWhatPeopleType:
    """Queries over the shipped catalog only: it is loaded once for the class (see `class_db`)."""

    @pytest.fixture(scope="class")
    @classmethod
    def shipped(cls, class_db):
        load_catalog()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("oatmeal", {"Porridge made with water", "Rolled oats (dry)"}),
            ("otas", {"Rolled oats (dry)"}),
            ("yoghurt", {"Plain yogurt (whole milk)"}),
            ("yogurts", {"Plain yogurt (whole milk)"}),
            ("bananas", {"Banana"}),
            ("bluebery", {"Blueberries"}),
            ("salomn", {"Salmon (baked)"}),
            ("soy milk", {"Soy drink (unsweetened)"}),
            ("cornflakes", {"Corn flakes"}),
            ("brocoli", {"Broccoli (boiled)"}),
        ],
    )
    def test_the_words_that_found_nothing_find_their_food(self, shipped, query, expected):
        assert expected <= set(top(query))

    def test_blueberry_finds_blueberries_first_not_only_a_muffin(self, shipped):
        assert top("blueberry")[:2] == ["Blueberries", "Blueberry muffin"]

    def test_tomatoes_finds_tomatoes_not_only_cherry_tomatoes(self, shipped):
        assert {"Tomato (raw)", "Cherry tomatoes (raw)"} <= set(top("tomatoes"))

    def test_a_whole_word_comes_before_a_word_that_starts_with_it(self, shipped):
        found = top("jam", n=8)
        assert found[0] == "Jam"
        assert "Cooked ham" in found  # jambon, still offered (its French name starts with "jam")

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
            ("nature yaourt", "Plain yogurt (whole milk)"),
        ],
    )
    def test_search_ignores_case_accents_word_order_and_little_words_in_both_languages(self, shipped, query, expected):
        assert expected in names(selectors.search_foods(None, query, limit=12))

    def test_search_matches_word_starts_not_only_name_starts(self, shipped):
        found = names(selectors.search_foods(None, "fraiche", limit=50))
        assert "Crème fraîche (30% fat)" in found
        assert "Light crème fraîche (15% fat)" in found


def test_a_whole_word_then_a_word_start(db):
    food("Pear", "Poire")
    food("Prickly pear", "Figue de Barbarie")
    food("Pearl barley", "Orge perlé")
    food("Green peas", "Petits pois")  # one letter away
    assert names(selectors.search_foods(None, "pear")) == ["Pear", "Prickly pear", "Pearl barley"]


def test_typos_are_offered_only_when_nothing_matches_without_one(db):
    food("Pear", "Poire")
    food("Green peas", "Petits pois")
    assert names(selectors.search_foods(None, "pear")) == ["Pear"]
    assert names(selectors.search_foods(None, "peax")) == ["Pear", "Green peas"]  # one letter from each


def test_the_middle_of_a_word_is_no_match(db):
    food("Steak", "Bifteck")
    food("Green tea", "Thé vert")
    assert names(selectors.search_foods(None, "tea")) == ["Green tea"]


def test_the_end_of_a_compound_word_is_found(db):
    food("Blueberries", "Myrtilles")
    food("Raspberries", "Framboises")
    food("Berry smoothie", "Smoothie")
    assert set(names(selectors.search_foods(None, "berries"))) == {"Blueberries", "Raspberries", "Berry smoothie"}


def test_short_words_get_no_typo_so_ham_never_finds_jam(db):
    food("Jam", "Confiture")
    food("Ham", "Jambon")
    assert names(selectors.search_foods(None, "ham")) == ["Ham"]
    assert names(selectors.search_foods(None, "jam")) == ["Jam", "Ham"]  # jambon starts with jam


def test_search_requires_every_word(db):
    food("Green tea", "Thé vert")
    food("Green beans (boiled)", "Haricots verts (cuits)")
    assert names(selectors.search_foods(None, "green tea")) == ["Green tea"]
    assert names(selectors.search_foods(None, "the vert")) == ["Green tea"]


def test_synonyms_follow_the_interface_language(shipped):
    # "chips" is crisps in the US and fries in the UK, only crisps in French.
    assert {"Potato crisps", "French fries (fast food)"} <= set(top("chips", language="en"))
    assert "Potato crisps" in top("chips", language="fr")
    assert "French fries (fast food)" not in top("chips", n=8, language="fr")
    assert top("lait soja", n=1, language="fr") == ["Soy drink (unsweetened)"]
    assert top("lait soja", n=1, language="en") == []  # "lait de soja" is a French synonym
    with translation.override("fr"):  # the active language by default
        assert "French fries (fast food)" not in names(selectors.search_foods(None, "chips", limit=8))


def test_search_treats_like_wildcards_as_text(db):
    food("Milk 100%", "Lait 100 %")
    food("Skimmed milk", "Lait écrémé")
    assert names(selectors.search_foods(None, "%")) == []
    assert names(selectors.search_foods(None, "_")) == []


@pytest.mark.parametrize(
    "query", ["apple\x00", "\x00", "a" * 10_000, "apple " * 500, "'; DROP TABLE tracker_food; --", "🍎", "ß" * 80]
)
def test_search_survives_hostile_queries(db, patient, query):
    food("Apple", "Pomme")
    assert len(selectors.search_foods(patient, query)) <= 1


# ---------------------------------------------------------------- whose foods


def test_search_includes_my_private_foods_but_never_anyone_elses(db, patient, other_patient):
    food("Granny's apple crumble", "Crumble de mamie", owner=patient)
    food("Neighbour's apple pie", "Tarte du voisin", owner=other_patient)
    food("Apple", "Pomme")
    assert names(selectors.search_foods(patient, "apple")) == ["Apple", "Granny's apple crumble"]
    assert names(selectors.search_foods(other_patient, "apple")) == ["Apple", "Neighbour's apple pie"]
    assert names(selectors.search_foods(None, "apple")) == ["Apple"]


def test_my_private_foods_forgive_typos_too(db, patient, other_patient):
    food("Granny's apple crumble", "Crumble de mamie", owner=patient)
    assert names(selectors.search_foods(patient, "crumbel")) == ["Granny's apple crumble"]
    assert names(selectors.search_foods(other_patient, "crumbel")) == []


def test_search_never_shows_another_users_private_food_even_if_favourite_or_eaten(db, patient, other_patient, today):
    theirs = food("Secret apple", "Pomme secrète", owner=other_patient)
    FavoriteFood.objects.create(patient=patient, food=theirs)
    eat(patient, theirs, today)
    assert selectors.search_foods(patient, "apple") == []
    assert selectors.search_foods(patient, "") == []
    assert selectors.recent_foods(patient) == []
    assert selectors.favourite_foods(patient) == []


# ---------------------------------------------------------------- closeness, then the patient's history


def test_closeness_first_then_favourites_then_often_then_recently_eaten(db, patient, other_patient, today):
    apple = food("Apple", "Pomme")
    juice = food("Apple juice", "Jus de pomme")
    sauce = food("Apple sauce", "Compote de pommes")
    tart = food("Apple tart", "Tarte aux pommes")
    pineapple = food("Pineapple", "Ananas")  # ends with "apple": less close than any whole word
    toffee = food("Toffee apple", "Pomme d'amour")
    FavoriteFood.objects.create(patient=patient, food=toffee)
    eat(patient, tart, today - timedelta(days=1))
    eat(patient, sauce, today - timedelta(days=3))
    eat(patient, sauce, today - timedelta(days=4))
    eat(patient, pineapple, today)
    eat(patient, juice, today - timedelta(days=45))  # too old to count
    FavoriteFood.objects.create(patient=other_patient, food=juice)  # someone else's favourite
    eat(other_patient, apple, today)  # someone else's meal
    assert names(selectors.search_foods(patient, "apple")) == [
        "Toffee apple",  # favourite
        "Apple sauce",  # eaten twice
        "Apple tart",  # eaten once, yesterday
        "Apple",  # then the closest name
        "Apple juice",
        "Pineapple",
    ]


def test_history_never_lifts_a_less_close_food_above_a_closer_one(db, patient, today):
    food("Jam", "Confiture")
    ham = food("Ham", "Jambon")
    FavoriteFood.objects.create(patient=patient, food=ham)
    eat(patient, ham, today)
    assert names(selectors.search_foods(patient, "jam")) == ["Jam", "Ham"]


def test_what_i_eat_comes_first_among_equally_close_foods(shipped, today):
    patient = PatientFactory()
    greek = Food.objects.get(name_en="Greek yogurt (plain)")
    assert top("yogurt", user=patient)[0] == "Plain yogurt (whole milk)"
    eat(patient, greek, today)
    assert top("yogurt", user=patient)[0] == "Greek yogurt (plain)"


def test_results_carry_the_favourite_and_last_eaten_marks(db, patient, today):
    tea = food("Tea", "Thé")
    food("Iced tea", "Thé glacé")
    FavoriteFood.objects.create(patient=patient, food=tea)
    eat(patient, tea, today)
    found = selectors.search_foods(patient, "tea")
    assert [(f.name_en, f.is_favourite, f.last_eaten) for f in found] == [
        ("Tea", True, today),
        ("Iced tea", False, None),
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
def test_search_runs_in_two_or_three_queries_whatever_the_history(
    shipped, patient, today, days, django_assert_max_num_queries
):
    foods = list(Food.objects.order_by("pk")[:200])
    make_history(patient, foods, days)
    food("My soup", "Ma soupe", owner=patient)
    selectors.search_foods(patient, "warm up")  # builds the cached catalog
    for query in ("creme", "pomme de", "a", "salomn"):
        # Whether the catalog changed, then the patient's own food names and history.
        with django_assert_max_num_queries(2):
            selectors.search_foods(patient, query)
    with django_assert_max_num_queries(3):  # and the rows of their own foods found
        assert "My soup" in names(selectors.search_foods(patient, "soup"))
    with django_assert_max_num_queries(1):
        selectors.search_foods(patient, "")
    with django_assert_max_num_queries(1):
        selectors.recent_foods(patient)
    with django_assert_max_num_queries(1):
        selectors.favourite_foods(patient)


def test_search_ranks_within_a_large_history(shipped, today):
    patient = PatientFactory()
    foods = {f.name_en: f for f in Food.objects.all()}
    make_history(patient, list(foods.values())[:100], 400)
    eat(patient, foods["Crème caramel"], today)
    eat(patient, foods["Crème caramel"], today - timedelta(days=1))
    FavoriteFood.objects.create(patient=patient, food=foods["Light crème fraîche (15% fat)"])
    found = names(selectors.search_foods(patient, "creme"))
    assert found[0] == "Light crème fraîche (15% fat)"
    assert found[1] == "Crème caramel"


# ---------------------------------------------------------------- the cached catalog


def test_a_shared_food_added_or_renamed_is_found_by_the_next_search(db):
    assert selectors.search_foods(None, "quinoa") == []
    quinoa = food("Quinoa (cooked)", "Quinoa (cuit)")
    assert names(selectors.search_foods(None, "quinoa")) == ["Quinoa (cooked)"]
    with time_machine.travel("2030-01-01 12:00 +00:00"):
        quinoa.name_en, quinoa.name_fr = "Bulgur (cooked)", "Boulgour (cuit)"
        quinoa.save()
    assert selectors.search_foods(None, "quinoa") == []
    assert names(selectors.search_foods(None, "bulgur")) == ["Bulgur (cooked)"]
    quinoa.delete()
    assert selectors.search_foods(None, "bulgur") == []


def test_reloading_the_catalog_refreshes_the_search(shipped, tmp_path):
    assert top("brimbelles", language="fr") == []
    rows = raw_rows()
    for row in rows:
        if row["name_en"] == "Blueberries":
            row["name_fr"] = "Brimbelles"
    load_catalog(write_csv(tmp_path / "foods.csv", rows))
    assert top("brimbelles", language="fr") == ["Blueberries"]


def test_a_result_is_a_copy_so_changing_it_changes_no_later_search(db):
    food("Apple", "Pomme")
    first = selectors.search_foods(None, "apple")[0]
    first.name_en = "Changed"
    assert names(selectors.search_foods(None, "apple")) == ["Apple"]


# ---------------------------------------------------------------- the view


@pytest.mark.parametrize("query", ["", "   ", "apple\x00", "a" * 10_000, "%00", "<script>"])
def test_the_search_view_answers_any_query_without_an_error(patient_client, db, query):
    food("Apple", "Pomme")
    day = selectors.patient_today()
    url = reverse("tracker:food-search", args=[day])
    fragment = patient_client.get(url, {"q": query, "meal": "lunch"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    # The results box alone, never the whole page inside it.
    assert html.lstrip().startswith('<div id="results-lunch"') and "<html" not in html
    page = patient_client.get(url, {"q": query, "meal": "lunch"}, follow=True)
    assert page.status_code == 200


# ---------------------------------------------------------------- the synonym files

# Terms in two groups on purpose: the search offers both readings. Little words are dropped,
# so "fruit in syrup" (canned fruit) is also "fruit syrup" (cordial), "crème de chocolat" (a
# spread) also "crème au chocolat" (a dessert).
AMBIGUOUS = {
    "en": {"chips", "oatmeal", "vegetable oil", "lemonade", "squash", "chilli", "fruit syrup"},
    "fr": {"gruau", "huile vegetale", "limonade", "creme chocolat"},
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_canonical_synonym_names_words_of_a_catalog_food(lang):
    """A group's first term is its preferred reading: the search meets it as the same words or
    stems of one name, so one name must have them all (or the group finds nothing of its own)."""
    index = FoodIndex((n, row.name_en, row.name_fr) for n, row in enumerate(read_catalog()))
    vocabulary = index.vocabularies[lang]
    canonical = {term for readings in synonyms(lang).exact.values() for term in readings}
    assert len(canonical) >= (150 if lang == "en" else 100)

    def names_with(word: str) -> set[int]:
        return {position for same in vocabulary.same(word) for position in vocabulary.postings[same]}

    orphans = [" ".join(term) for term in canonical if not set.intersection(*(names_with(w) for w in term))]
    assert orphans == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_synonym_is_in_one_group_unless_declared_ambiguous(lang):
    groups: dict[tuple[str, ...], int] = {}
    for line in (SYNONYMS_DIR / f"{lang}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            for term in {terms(t) for t in line.split(",")}:
                groups[term] = groups.get(term, 0) + 1
    assert {" ".join(term) for term, n in groups.items() if n > 1} == AMBIGUOUS[lang]


def test_a_query_is_cut_into_its_longest_known_phrases():
    table = Synonyms.parse("soy drink, soy milk, soya milk\nmilk, whole milk\n# a comment\n\n", "en")
    assert table.segments(terms("soya milk with honey")) == [
        [(("soya", "milk"), False), (("soy", "drink"), True)],
        [(("honey",), False)],
    ]
    assert table.segments(terms("whole milk")) == [[(("whole", "milk"), False), (("milk",), True)]]
    assert table.segments(terms("the")) == [[(("the",), False)]]


# ---------------------------------------------------------------- any text at all


@given(query=st.text(max_size=120))
def test_any_text_gives_at_most_the_limit_of_foods_without_an_error(small_catalog, query):
    found = selectors.search_foods(small_catalog, query, limit=5)
    assert len(found) <= 5
    assert all(f.owner_id in (None, small_catalog.pk) for f in found)


@pytest.fixture
def small_catalog(db, patient, other_patient):
    """A patient with a few shared foods, one of their own and one of someone else's."""
    for name_en, name_fr in [("Apple", "Pomme"), ("Crème fraîche", "Crème fraîche"), ("Green tea", "Thé vert")]:
        food(name_en, name_fr)
    food("My soup", "Ma soupe", owner=patient)
    food("Their soup", "Leur soupe", owner=other_patient)
    return patient


@pytest.mark.parametrize("params", [{"q": "a" * 10_000, "meal": "lunch"}, {"q": "apple\x00", "meal": "brunch"}])
def test_a_refused_search_says_why_inside_the_results_box(patient_client, db, params):
    day = selectors.patient_today()
    url = reverse("tracker:food-search", args=[day])
    html = patient_client.get(url, params, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="status" class="search-error"' in html
    assert "at most 80 characters" in html or "Null characters" in html
