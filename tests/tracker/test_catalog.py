"""The shipped food catalog and its loader."""

import csv
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.tracker.factories import food
from tracker import catalog
from tracker.catalog import CATALOG_CSV, CatalogError, load_catalog, read_catalog
from tracker.measures import FERMENTED_FAMILIES, earns_fermented_credit, is_processed
from tracker.models import Food, FoodGroup

TODAY = date(2025, 3, 12)


@pytest.fixture
def today():
    with time_machine.travel("2025-03-12 12:00 +01:00", tick=False):
        yield TODAY


@pytest.fixture
def shipped_rows():
    return read_catalog()


def raw_rows() -> list[dict[str, str]]:
    with CATALOG_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=catalog.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------- the CSV


def test_it_ships_at_least_300_valid_foods(shipped_rows):
    assert len(shipped_rows) >= 300
    assert len(raw_rows()) == len(shipped_rows)


def test_it_has_unique_english_names(shipped_rows):
    names = Counter(row.name_en.casefold() for row in shipped_rows)
    assert [name for name, n in names.items() if n > 1] == []


def test_it_names_a_composition_table_on_every_row(shipped_rows):
    for row in shipped_rows:
        assert any(table in row.source for table in ("USDA FDC", "ANSES CIQUAL 2020")), row


def test_it_has_bilingual_names_and_measures_on_every_row(shipped_rows):
    for row in shipped_rows:
        assert row.name_fr and row.household_measure_en and row.household_measure_fr, row


def test_it_keeps_french_accents(shipped_rows):
    french = {row.name_fr for row in shipped_rows}
    assert {"Crème fraîche épaisse (30 % MG)", "Pâtes (cuites)", "Œuf dur", "Pêche", "Épinards (cuits)"} <= french


@pytest.mark.parametrize("group", FoodGroup.values)
def test_it_has_a_few_foods_in_every_food_group(shipped_rows, group):
    assert sum(group in row.groups for row in shipped_rows) >= 3


def test_it_has_the_fermented_foods_the_articles_name(shipped_rows):
    fermented = " ".join(row.name_en.lower() for row in shipped_rows if row.fermented)
    for word in ("yogurt", "kefir", "kimchi", "sauerkraut", "miso", "tempeh", "kombucha", "sourdough"):
        assert word in fermented
    assert sum(row.fermented for row in shipped_rows) >= 20


def test_it_does_not_count_alcohol_as_a_fermented_food(shipped_rows):
    drinks = [row for row in shipped_rows if row.name_en in {"Red wine", "Beer (lager)", "Cider (dry)"}]
    assert len(drinks) == 3
    assert not any(row.fermented for row in drinks)


# The foods that earn the fermented-foods credit (tracker.measures.earns_fermented_credit): written
# out by hand from the catalog's families, so a tag change that moves one is seen here.
CREDITED = {
    "Raw sauerkraut (unpasteurized)",
    "Kimchi",
    "Lacto-fermented pickles",
    "Tempeh",
    "Natto",
    "Miso paste",
    "Miso soup",
    "Kefir (plain milk kefir)",
    "Plain yogurt (whole milk)",
    "Plain low-fat yogurt",
    "Greek yogurt (plain)",
    "Fat-free Greek yogurt (plain)",
    "Skyr",
    "Soy yogurt (plain)",
    "Ayran (salted yogurt drink)",
    "Tzatziki",
}


def credited(row) -> bool:
    return earns_fermented_credit(row.fermented_family, row.nova_group, row.groups, row.added_sugar)


def test_only_the_recommended_fermented_families_earn_the_fermented_credit(shipped_rows):
    assert {row.name_en for row in shipped_rows if credited(row)} == CREDITED
    # None of them is a food the rules limit: fermented credit and a processed serving never go together.
    assert not any(credited(row) and is_processed(row.nova_group, row.groups, row.added_sugar) for row in shipped_rows)


def test_cheeses_creams_sauces_and_sweetened_ferments_earn_no_fermented_credit(shipped_rows):
    by_name = {row.name_en: row for row in shipped_rows}
    for name in (
        "Cheddar",
        "Crème fraîche (30% fat)",
        "Sour cream",
        "Soy sauce",
        "Hot pepper sauce (Tabasco type)",
        "Choucroute garnie",
        "Sauerkraut (cooked)",  # cooked: its live bacteria are gone
        "Fruit yogurt (sweetened)",  # a yogurt with added sugar, NOVA 4: counted as processed
        "Sweetened probiotic drinking yogurt",
        "Water kefir",
        "Kombucha",
        "Salami",
    ):
        assert by_name[name].fermented, name  # made by fermentation ...
        assert not credited(by_name[name]), name  # ... but not a serving the rule rewards


def test_every_fermented_family_is_a_fermented_food(shipped_rows):
    assert all(row.fermented for row in shipped_rows if row.fermented_family)
    assert {row.fermented_family for row in shipped_rows} - {""} == set(FERMENTED_FAMILIES)


def test_cured_sausages_follow_the_catalogs_own_definitions(shipped_rows):
    """Fermented: made by microbial fermentation; NOVA 4: charcuterie with nitrites; processed meat."""
    by_name = {row.name_en: row for row in shipped_rows}
    for name in ("Salami", "Chorizo", "Dry sausage (saucisson)"):
        row = by_name[name]
        assert row.fermented and row.nova_group == 4 and "processed_meat" in row.groups
        assert row.animal_sat_fat_share == 1


def test_animal_fats_carry_the_animal_fat_tag(shipped_rows):
    by_name = {row.name_en: row for row in shipped_rows}
    for name in ("Duck fat", "Foie gras", "Goose fat", "Lard"):
        assert "animal_fat" in by_name[name].groups and by_name[name].animal_sat_fat_share == 1
        assert is_processed(by_name[name].nova_group, by_name[name].groups, by_name[name].added_sugar)
    # Plant fats are not animal saturated fat, whatever their saturated fat.
    assert (
        by_name["Coconut oil"].animal_sat_fat_share == 0
        and by_name["Margarine spread (60% fat)"].animal_sat_fat_share == 0
    )
    assert by_name["Salmon (baked)"].animal_sat_fat_share == 0  # fish is recommended: its fat is not counted


def test_alcoholic_drinks_carry_their_strength(shipped_rows):
    abv = {row.name_en: row.alcohol_abv for row in shipped_rows if row.alcohol_abv}
    assert abv == {
        "Red wine": 12.5,
        "White wine": 12.0,
        "Rosé wine": 12.0,
        "Champagne or sparkling wine": 12.0,
        "Beer (lager)": 5.0,
        "Cider (dry)": 5.0,
        "Spirits (whisky / vodka / rum)": 40.0,
    }


def test_it_rejects_an_unknown_fermented_family(tmp_path):
    rows = raw_rows()
    rows[0]["fermented_family"] = "cheese"
    with pytest.raises(CatalogError, match=r":2: fermented_family 'cheese' is not one of yogurt"):
        read_catalog(write_csv(tmp_path / "foods.csv", rows))


def test_it_measures_olive_oil_in_tablespoons_of_13_5_g(shipped_rows):
    oils = {row.name_en: row for row in shipped_rows}
    assert oils["Olive oil"].default_portion_g == 13.5
    assert oils["Olive oil"].household_measure_en == "1 tablespoon"
    assert oils["Olive oil"].household_measure_fr == "1 cuillère à soupe"


def test_it_spreads_foods_over_all_nova_groups(shipped_rows):
    novas = Counter(row.nova_group for row in shipped_rows)
    assert set(novas) == {1, 2, 3, 4}
    assert novas[4] >= 50


def test_it_flags_raw_only_for_vegetables(shipped_rows):
    raw = [row for row in shipped_rows if row.raw]
    assert len(raw) >= 15
    assert all(FoodGroup.VEGETABLE in row.groups for row in raw)


def test_it_keeps_values_realistic(shipped_rows):
    by_name = {row.name_en: row for row in shipped_rows}
    assert by_name["Butter"].sat_fat_g_per_100g > 45
    assert by_name["Chia seeds"].fiber_g_per_100g > 30
    assert by_name["Cola"].added_sugar and by_name["Cola"].nova_group == 4
    assert by_name["Apple"].nova_group == 1 and by_name["Apple"].fiber_g_per_100g > 2
    for row in shipped_rows:
        assert 1 <= row.default_portion_g <= 600, row


# ---------------------------------------------------------------- validation


BAD_ROWS = [
    ({"nova_group": "5"}, "nova_group '5' is not 1, 2, 3 or 4"),
    ({"groups": "vegetable;veggies"}, "unknown food group 'veggies'"),
    ({"fiber_g_per_100g": "-1"}, "fiber_g_per_100g '-1' is outside 0-100"),
    ({"sat_fat_g_per_100g": "lots"}, "sat_fat_g_per_100g 'lots' is not a number"),
    ({"sat_fat_g_per_100g": "nan"}, "sat_fat_g_per_100g 'nan' is outside 0-100"),
    ({"default_portion_g": "6000"}, "default_portion_g '6000' is outside 0.1-1000"),
    ({"fermented": "maybe"}, "fermented 'maybe' is not 0/1/yes/no"),
    ({"name_en": " "}, "name_en is empty"),
    ({"source": ""}, "source is empty"),
    ({"name_fr": "x" * 121}, "name_fr is longer than 120 characters"),
    ({"groups": "fruit;fruit"}, "a food group is listed twice"),
]


@pytest.mark.parametrize(("change", "message"), BAD_ROWS)
def test_it_rejects_a_bad_row_with_its_line_number(tmp_path, change, message):
    rows = raw_rows()[:5]
    rows[3] = {**rows[3], **change}
    path = write_csv(tmp_path / "foods.csv", rows)
    with pytest.raises(CatalogError) as error:
        read_catalog(path)
    assert str(error.value).startswith(f"{path}:5: {message}")


def test_it_rejects_a_duplicate_english_name(tmp_path):
    rows = raw_rows()[:3]
    rows.append({**rows[2], "name_en": rows[0]["name_en"].upper()})
    path = write_csv(tmp_path / "foods.csv", rows)
    with pytest.raises(CatalogError, match=r":5: .* is already on line 2"):
        read_catalog(path)


def test_it_rejects_a_row_with_an_unquoted_comma(tmp_path):
    path = tmp_path / "foods.csv"
    shutil.copy(CATALOG_CSV, path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("Oats, rolled,Avoine,40,1 bowl,1 bol,10,1.2,0,1,0,0,whole_grain,USDA FDC SR Legacy,,0,0\n")
    with pytest.raises(CatalogError, match=r":\d+: too many columns"):
        read_catalog(path)


def test_it_rejects_a_file_with_wrong_columns(tmp_path):
    path = tmp_path / "foods.csv"
    path.write_text("name,fiber\nApple,2.4\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r":1: columns must be name_en, name_fr"):
        read_catalog(path)


def test_the_command_fails_loudly_and_writes_nothing_on_a_bad_row(db, tmp_path):
    rows = raw_rows()[:10]
    rows[8] = {**rows[8], "nova_group": "0"}
    path = write_csv(tmp_path / "foods.csv", rows)
    with pytest.raises(CommandError, match=rf"Food catalog not loaded: {path}:10: nova_group '0'"):
        call_command("load_foods", "--file", str(path))
    assert Food.objects.count() == 0


def test_the_command_reports_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("load_foods", "--file", str(tmp_path / "nope.csv"))


# ---------------------------------------------------------------- loading


def test_load_foods_is_idempotent(db, django_assert_max_num_queries):
    call_command("load_foods", verbosity=0)
    count = Food.objects.count()
    snapshot = list(Food.objects.order_by("pk").values())
    assert count == len(raw_rows())
    with django_assert_max_num_queries(4):
        result = load_catalog()
    assert (result.created, result.updated, result.unchanged) == (0, 0, count)
    assert Food.objects.count() == count
    assert list(Food.objects.order_by("pk").values()) == snapshot


def test_load_foods_fills_search_text_and_leaves_foods_shared(db):
    load_catalog()
    creme = Food.objects.get(name_en="Crème fraîche (30% fat)")
    assert creme.search_text == "creme fraiche 30 fat | creme fraiche epaisse 30 mg"
    assert creme.owner is None
    assert creme.groups == ["butter_cream"]
    assert creme.fermented is True
    assert not Food.objects.filter(search_text="").exists()


def test_load_foods_updates_changed_values_without_duplicates(db, tmp_path):
    rows = raw_rows()[:20]
    load_catalog(write_csv(tmp_path / "v1.csv", rows))
    food_id = Food.objects.get(name_en=rows[4]["name_en"]).pk
    rows[4] = {**rows[4], "fiber_g_per_100g": "9.9", "name_fr": "Nouveau nom", "groups": "vegetable;very_spicy"}
    rows.append({**rows[0], "name_en": "Brand new food"})
    result = load_catalog(write_csv(tmp_path / "v2.csv", rows))
    assert (result.created, result.updated, result.unchanged) == (1, 1, 19)
    changed = Food.objects.get(pk=food_id)
    assert changed.fiber_g_per_100g == 9.9
    assert changed.groups == ["vegetable", "very_spicy"]
    assert changed.search_text.endswith("| nouveau nom")
    assert Food.objects.count() == 21


def test_load_foods_never_touches_private_foods_of_the_same_name(db, patient):
    mine = food("Apple", "Pomme du jardin", owner=patient, fiber_g_per_100g=1)
    load_catalog()
    mine.refresh_from_db()
    assert (mine.name_fr, mine.fiber_g_per_100g, mine.owner_id) == ("Pomme du jardin", 1, patient.pk)
    assert Food.objects.filter(name_en="Apple", owner__isnull=True).count() == 1


def test_load_foods_keeps_foods_removed_from_the_file(db, tmp_path):
    rows = raw_rows()[:5]
    load_catalog(write_csv(tmp_path / "v1.csv", rows))
    load_catalog(write_csv(tmp_path / "v2.csv", rows[1:]))
    assert Food.objects.filter(name_en=rows[0]["name_en"]).exists()
