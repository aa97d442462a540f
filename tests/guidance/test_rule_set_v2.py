"""Rule set v2, case by case: each expected value is computed by hand in the comments.

The foods are the shipped catalog's (loaded once per test), so a tag or a number in
tracker/data/foods.csv that would change a case shows here.
"""

import datetime as dt
import importlib
from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.apps import apps as django_apps
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from guidance import medas, rules, scoring, selectors, services
from guidance.models import DayScore, RuleSetVersion
from tests.factories import PatientFactory
from tests.guidance.factories import LifestyleFactory, MealItemFactory
from tracker.catalog import load_catalog
from tracker.forms import LifestyleForm
from tracker.models import Food
from trends.models import WeeklySummary

V2 = importlib.import_module("guidance.migrations.0006_rule_set_v2")
SPECS = {rule["key"]: rule for rule in V2.V2_RULES}
DAY = dt.date(2026, 3, 4)
PANEL = Template("{% load guidance_tags %}{% day_score_panel user day %}")


@pytest.fixture
def catalog(db):
    load_catalog()
    return {food.name_en: food for food in Food.objects.filter(owner__isnull=True)}


def eat(patient, catalog, day, **grams_by_name):
    for name, grams in grams_by_name.items():
        MealItemFactory(patient=patient, date=day, food=catalog[name], grams=grams)


def eat_named(patient, catalog, day, items):
    for name, grams in items:
        MealItemFactory(patient=patient, date=day, food=catalog[name], grams=grams)


def facts_of(patient, day=DAY):
    facts = selectors.load_facts([patient.pk], day - timedelta(days=6), day)
    return facts[facts["date"] == pd.Timestamp(day)].iloc[0]


def one_rule(facts, spec):
    scored = scoring.score_days(facts, [spec])
    return scored.iloc[-1]


def panel(patient, day=DAY, language="en"):
    with translation.override(language):
        return PANEL.render(Context({"user": patient, "day": day}))


# ---------------------------------------------------------------- 1. fermented foods


def test_cheese_cream_and_sauces_earn_no_fermented_credit(patient, catalog):
    # v1 counted each of these as a full fermented serving (30 g cheddar = 30 / 30 = 1 serving...).
    eat_named(
        patient,
        catalog,
        DAY,
        [
            ("Cheddar", 30),
            ("Crème fraîche (30% fat)", 30),
            ("Sour cream", 30),
            ("Hot pepper sauce (Tabasco type)", 5),
            ("Soy sauce", 16),
        ],
    )
    day = facts_of(patient)
    assert day["fermented"] == 0
    # Cheddar, crème fraîche, sour cream (limited groups) and the hot sauce (very spicy) are processed:
    # 30/30 + 30/15 + 30/30 + 5/5 = 5 servings; the soy sauce is neither.
    assert day["processed"] == 5


def test_a_pot_of_yogurt_and_a_side_of_kimchi_earn_it_a_spoon_of_miso_does_not(patient, catalog):
    eat_named(patient, catalog, DAY, [("Plain yogurt (whole milk)", 125), ("Kimchi", 35), ("Miso paste", 18)])
    # Yogurt 125 / 125 = 1 serving; kimchi 35 g (>= 30 g) / 70 g portion = 0.5; miso 18 g < 30 g: nothing.
    assert facts_of(patient)["fermented"] == 1.5


def test_a_sweetened_yogurt_is_a_processed_serving_not_a_fermented_one(patient, catalog):
    eat_named(patient, catalog, DAY, [("Fruit yogurt (sweetened)", 125)])
    day = facts_of(patient)
    assert (day["fermented"], day["processed"]) == (0, 1)


# ---------------------------------------------------------------- 2. MEDAS in the screener's grams

MEDAS_ONE = {"key": "m", "kind": "medas", "weight": 13, "params": {"window": 1}}


def medas_item(facts, item):
    spec = dict(MEDAS_ONE, params={"window": 7, "items": [item]}, weight=1)
    return float(one_rule(facts, spec)["m:points"])


def test_a_garnish_of_onion_and_celery_is_not_two_servings_of_vegetables(patient, catalog):
    eat_named(patient, catalog, DAY, [("Red onion (raw)", 20), ("Celery (raw)", 40)])
    facts = selectors.load_facts([patient.pk], None, None)
    # 60 g of vegetables = 60 / 200 = 0.3 servings (v1: 20/20 + 40/40 = 2 catalog portions, item met).
    assert facts.iloc[0]["vegetable_g"] == 60
    assert medas_item(facts, "vegetables_2_one_raw") == 0


def test_400_g_of_vegetables_with_200_g_raw_meet_the_vegetable_item(patient, catalog):
    eat_named(patient, catalog, DAY, [("Celery (raw)", 200), ("Onions (cooked)", 200)])
    facts = selectors.load_facts([patient.pk], None, None)
    # 400 / 200 = 2 servings, of which 200 / 200 = 1 raw: met on the one logged day.
    assert medas_item(facts, "vegetables_2_one_raw") == 1


def test_a_few_slices_of_salami_are_a_quarter_of_a_red_meat_serving(patient, catalog):
    eat_named(patient, catalog, DAY, [("Salami", 25), ("Bacon (cooked)", 16)])
    facts = selectors.load_facts([patient.pk], None, None)
    # 41 g / 100 g = 0.41 servings < 1: the item is met (v1: 25/25 + 16/16 = 2 servings, failed).
    assert facts.iloc[0]["red_processed_meat_g"] == 41
    assert medas_item(facts, "red_meat_under_1") == 1


def test_hummus_and_anchovies_count_by_the_gram_over_the_week(patient, catalog):
    for offset in range(3):
        eat_named(patient, catalog, DAY - timedelta(days=offset), [("Hummus", 30), ("Anchovies in oil", 15)])
    facts = selectors.load_facts([patient.pk], None, None)
    # Legumes 3 x 30 g = 90 g = 0.6 of 3 servings of 150 g; fish 45 g = 0.45 of 3 x 100 g: neither met
    # (v1: 3 catalog portions each, both met).
    assert medas_item(facts, "legumes_3") == 0
    assert medas_item(facts, "fish_3") == 0
    eat_named(patient, catalog, DAY, [("Green lentils (cooked)", 360)])
    facts = selectors.load_facts([patient.pk], None, None)
    assert medas_item(facts, "legumes_3") == 1  # 90 + 360 = 450 g = 3 servings exactly


def test_each_medas_item_has_a_serving_in_grams_with_its_source():
    for item in scoring.MEDAS_ITEMS:
        if item == "olive_oil_main_fat":
            continue  # a yes/no question: olive oil against the other fats, gram for gram
        serving = medas.MEDAS_SERVINGS[item if item != "white_over_red_meat" else "white_meat"]
        assert serving.grams > 0 and serving.source and serving.measure in scoring.FOOD_MEASURES
    assert medas.MEDAS_SERVINGS["legumes_3"].grams == 150 and "Schröder" in medas.MEDAS_SERVINGS["legumes_3"].source


# ---------------------------------------------------------------- 3. alcohol


def test_three_glasses_of_red_wine_are_3_7_standard_drinks(patient, catalog):
    eat_named(patient, catalog, DAY, [("Red wine", 125)] * 3)
    day = facts_of(patient)
    # 3 x 125 ml x 12.5 % x 0.789 g/ml = 36.984 g of alcohol = 3.698 drinks of 10 g (v1: 0 units).
    assert day["alcohol_g"] == pytest.approx(36.984375)
    facts = selectors.load_facts([patient.pk], None, None)
    row = one_rule(facts, SPECS["alcohol"])
    assert row["alcohol:c:alcohol_drinks"] == pytest.approx(3.698438)


def test_drinks_logged_as_food_add_to_the_other_drinks_and_pass_the_weekly_limit(patient, catalog):
    for offset in range(3):
        eat_named(patient, catalog, DAY - timedelta(days=offset), [("Red wine", 125)] * 3)
    LifestyleFactory(patient=patient, date=DAY, alcohol_units=Decimal("0.5"))
    facts = selectors.load_facts([patient.pk], None, None)
    row = scoring.score_days(facts, [SPECS["alcohol"]]).iloc[-1]
    # 3 days x 3.698 = 11.095 drinks + 0.5 other = 11.595 > 10: no points.
    assert row["alcohol:c:alcohol_drinks"] == pytest.approx(11.595, abs=1e-3)
    assert row["alcohol:points"] == 0
    line = scoring.breakdowns(scoring.score_days(facts, [SPECS["alcohol"]]).tail(1), [SPECS["alcohol"]])[0][0]
    with translation.override("en"):
        words = rules.explain(SPECS["alcohol"], line)
    # The patient's first entry is 2 days before DAY: the window covers those 3 days.
    assert words["counted"] == "11.6 of at most 10 standard drink(s) of alcohol over the last 3 days."
    assert words["tip"] == "That is 1.6 standard drink(s) of alcohol over the limit."


def test_the_lifestyle_form_asks_for_other_drinks_in_10_g_drinks():
    form = LifestyleForm()
    assert str(form.fields["alcohol_units"].label) == "Other alcoholic drinks, not logged as food"
    assert (
        str(form.fields["alcohol_units"].help_text)
        == "1 drink = 10 g of alcohol: a 10 cl glass of wine or a 25 cl beer."
    )


def test_the_migration_turns_stored_uk_units_into_10_g_drinks(patient):
    migration = importlib.import_module("tracker.migrations.0006_food_fermented_family_alcohol_animal_fat")
    row = LifestyleFactory(patient=patient, date=DAY, alcohol_units=Decimal("3.0"))
    migration.units_to_drinks(django_apps, None)
    row.refresh_from_db()
    assert row.alcohol_units == Decimal("2.4")  # 3 UK units x 8 g = 24 g = 2.4 drinks of 10 g
    migration.drinks_to_units(django_apps, None)
    row.refresh_from_db()
    assert row.alcohol_units == Decimal("3.0")


def test_the_migration_fills_the_new_columns_of_foods_already_stored(db):
    migration = importlib.import_module("tracker.migrations.0006_food_fermented_family_alcohol_animal_fat")
    wine = Food.objects.create(name_en="Red wine", default_portion_g=125)
    duck = Food.objects.create(name_en="Duck fat", default_portion_g=10, sat_fat_g_per_100g=33.2)
    salami = Food.objects.create(name_en="Salami", default_portion_g=25, groups=["processed_meat"])
    yogurt = Food.objects.create(name_en="Plain yogurt (whole milk)", default_portion_g=125, fermented=True)
    mine = Food.objects.create(name_en="Red wine", default_portion_g=150, owner=PatientFactory())
    migration.fill_catalog_columns(django_apps, None)
    for food in (wine, duck, salami, yogurt, mine):
        food.refresh_from_db()
    assert wine.alcohol_abv == 12.5 and duck.groups == ["animal_fat"] and duck.animal_sat_fat_share == 1
    assert salami.fermented and yogurt.fermented_family == "yogurt"
    assert mine.alcohol_abv == 0  # a patient's own food is theirs: the catalog file does not touch it


# ---------------------------------------------------------------- 4. saturated fat from animal foods


def test_animal_saturated_fat_counts_meat_and_dairy_not_olive_oil_or_fish(patient, catalog):
    eat_named(
        patient,
        catalog,
        DAY,
        [("Cheddar", 100), ("Butter", 10), ("Olive oil", 27), ("Salmon (baked)", 150), ("Duck fat", 10)],
    )
    day = facts_of(patient)
    # Cheddar 100 g x 19.4 % + butter 10 g x 51.4 % + duck fat 10 g x 33.2 % = 19.4 + 5.14 + 3.32 = 27.86 g;
    # olive oil (plant) and salmon (fish) add nothing.
    assert day["animal_sat_fat_g"] == pytest.approx(27.86)
    row = one_rule(selectors.load_facts([patient.pk], None, None), SPECS["animal-saturated-fat"])
    assert row["animal-saturated-fat:points"] == 0  # 27.86 g > 22 g


def test_the_weights_sum_to_100_and_each_rationale_names_its_weight():
    assert sum(rule["weight"] for rule in V2.V2_RULES) == 100
    for rule in V2.V2_RULES:
        assert "{weight}" in rule["rationale_en"] and "{weight}" in rule["rationale_fr"], rule["key"]
        assert selectors.rationale_problems(rule["rationale_en"], rule) == []
        assert selectors.rationale_problems(rule["rationale_fr"], rule) == []


# ---------------------------------------------------------------- 5. windows from the patient's first day


@pytest.fixture
def newcomer(db):
    """A patient who joined on Monday 2 March 2026 at 23:30 in Paris (22:30 UTC): their first day is the 2nd."""
    patient = PatientFactory()
    patient.date_joined = dt.datetime(2026, 3, 2, 22, 30, tzinfo=dt.UTC)
    patient.save(update_fields=["date_joined"])
    patient.profile.time_zone = "Europe/Paris"
    patient.profile.save()
    return patient


def test_a_new_patient_is_not_penalised_for_days_before_joining(newcomer, catalog):
    day = dt.date(2026, 3, 4)  # the third day since joining
    for offset in range(3):
        eat_named(newcomer, catalog, day - timedelta(days=offset), [("Green lentils (cooked)", 70)])
        LifestyleFactory(patient=newcomer, date=day - timedelta(days=offset), activity_minutes=25)
    facts = selectors.load_facts([newcomer.pk], None, None)
    assert facts["first_day"].iloc[0] == scoring.day_number(dt.date(2026, 3, 2))
    scored = scoring.score_days(facts, [SPECS["alcohol"], SPECS["activity"]]).iloc[-1]
    # Alcohol: 0 drinks on 3 logged days of the 3 the window covers: 3 x 3/3 = 3 (v1: 3 x 3/7 = 1.29).
    assert scored["alcohol:points"] == 3
    # Activity: 75 minutes against 150 x 3/7 = 64.3 minutes for 3 days: met (v1: 75 < 150, nothing).
    assert scored["activity:points"] == 4
    # MEDAS legumes: 210 g = 1.4 servings against 3 x 3/7 = 1.29: met (v1: 1.4 < 3).
    assert medas_item(facts, "legumes_3") == 1
    html = panel(newcomer, day)
    assert "Based on 3 of 3 days (the days since you joined)" in html
    assert "Jours saisis : 3 sur 3 (depuis votre inscription)" in panel(newcomer, day, "fr")


def test_history_from_before_the_account_moves_the_first_day_back(newcomer, catalog):
    """Days logged before the account existed (brought in from elsewhere, demo data) count: the first
    day is the earlier of the date joined and the first entry."""
    for day in (dt.date(2026, 2, 20), dt.date(2026, 3, 2)):
        eat_named(newcomer, catalog, day, [("Green lentils (cooked)", 70)])
    facts = selectors.load_facts([newcomer.pk], None, None)
    assert set(facts["first_day"]) == {scoring.day_number(dt.date(2026, 2, 20))}
    scored = scoring.score_days(facts, [SPECS["alcohol"]])
    # 20 February: its first day, 1 of 1 day logged -> 3; 2 March: 1 logged day of a full week -> 3/7.
    assert scored["alcohol:points"].round(4).tolist() == [3, round(3 / 7, 4)]
    line = scoring.breakdowns(scored.tail(1), [SPECS["alcohol"]])[0][0]
    with translation.override("en"):
        assert rules.explain(SPECS["alcohol"], line)["logged"] == "Based on 1 of 7 days"


# ---------------------------------------------------------------- 6. words that are true

EDGES = ("zero", "at_limit", "over", "not_logged")


def edge_facts(spec, edge):
    """One patient-week where the rule's measure is 0, at its limit, over it, or not logged."""
    params = spec["params"]
    measure = params.get("measure", "fiber_g")
    limit = float(params.get("target", params.get("value", 1)) or 0)
    window = int(params.get("window", 1)) if spec["kind"] != "daily_threshold" else 1
    per_day = {"zero": 0.0, "at_limit": limit / window, "over": limit / window + 1, "not_logged": 0.0}[edge]
    logged = edge != "not_logged"
    rows = []
    for offset in range(7):
        row = {"patient_id": 1, "date": DAY - timedelta(days=6 - offset)}
        row.update(logged=logged, sleep_logged=logged, lifestyle_logged=logged)
        if spec["kind"] == "medas":
            row.update(vegetable_g=per_day * 200, fruit_g=per_day * 150, legume_g=per_day * 50)
        elif spec["kind"] == "regularity":
            row["mid_sleep_minutes"] = 180 + (offset % 2) * {"zero": 0, "at_limit": 60, "over": 120}.get(edge, 0)
        elif measure == "alcohol_drinks":
            row["alcohol_units"] = per_day
        else:
            row[measure] = per_day
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("key", list(SPECS))
def test_every_rule_reads_true_at_the_edges(key, edge, language):
    spec = SPECS[key]
    scored = scoring.score_days(edge_facts(spec, edge), [spec]).tail(1)
    line = scoring.breakdowns(scored, [spec])[0][0]
    with translation.override(language):
        words = rules.explain(spec, line)
    text = " ".join(words.values())
    assert "%(" not in text and "{" not in text and "  " not in text
    assert words["logged"]  # every line says on how many days it rests
    for garbled in ("at most tobacco", "tobacco on 0 day", "Well done", "Bravo", "Full points"):
        assert garbled not in text, text
    at_most = spec["params"].get("op") == "at_most"
    if at_most:
        # No praise on a limit: the count and the limit, and what is over it.
        assert not any(word in text for word in ("Goal reached", "Objectif atteint"))
        if edge != "not_logged" and key != "no-tobacco":
            limit = rules._num(spec["params"]["value"])
            assert limit in words["counted"] and ("at most" in words["counted"] or "au plus" in words["counted"])
        if edge == "over" and key != "no-tobacco":
            assert "over the limit" in words["tip"] or "au-dessus de la limite" in words["tip"]
    if edge == "not_logged" and spec["kind"] not in {"regularity"}:
        assert words["counted"] == "" or spec["kind"] in {"preference"}
        assert words["tip"]
    if language == "fr":
        with translation.override("en"):
            english = rules.explain(spec, line)
        for name, value in words.items():
            if value:
                assert value != english[name], f"{key} {edge} {name} is not translated: {value}"


def test_the_processed_rule_never_praises_crisps_and_salami(patient, catalog):
    eat_named(patient, catalog, DAY, [("Potato crisps", 30), ("Salami", 25)])
    services.rescore_days(patient_id=patient.pk, start=DAY, end=DAY)
    html = panel(patient)
    # 30/30 + 25/25 = 2 servings: at the limit, the points, and the plain count.
    assert "2 of at most 2 serving(s) of processed or pro-inflammatory foods today." in html
    assert "Well done" not in html and "Goal reached" not in html.split("Processed and pro-inflammatory")[1][:600]
    assert "Foods counted today: Potato crisps (30 g), Salami (25 g)." in html
    french = panel(patient, language="fr")
    expected = "Aujourd’hui : 2, pour 2 portion(s) d’aliments transformés ou pro-inflammatoires au plus."  # noqa: RUF001
    assert expected in french


def test_each_rule_lists_the_foods_that_counted_that_day(patient, catalog):
    eat_named(
        patient,
        catalog,
        DAY,
        [("Plain yogurt (whole milk)", 125), ("Miso paste", 18), ("Celery (raw)", 40), ("Red wine", 125)],
    )
    services.rescore_days(patient_id=patient.pk, start=DAY, end=DAY)
    html = panel(patient)
    fermented = html.split("Fermented foods")[1].split("</li>")[0]
    assert "Foods counted today: Plain yogurt (whole milk) (125 g)." in fermented  # the 18 g of miso is not
    alcohol = html.split("Limited alcohol")[1].split("</li>")[0]
    assert "Foods counted today: Red wine (125 g)." in alcohol
    medas = html.split("Mediterranean pattern (MEDAS)")[1].split("</details>")[0]
    assert "2 servings of vegetables a day, one raw: Celery (raw) (40 g)" in medas
    assert "3 servings of fruit a day: nothing logged today" in medas


# ---------------------------------------------------------------- 7. sources a person can identify


def test_every_source_names_the_article_and_never_a_file():
    for rule in V2.V2_RULES:
        assert ".txt" not in rule["source"] and "_" not in rule["source"]
        assert "IGEA" in rule["source"] or "Dr Jennifer Chen" in rule["source"]
        assert "—" in rule["source"]  # the section heading follows the article
    by_key = {rule["key"]: rule for rule in V2.V2_RULES}
    assert "EFSA" in by_key["fiber"]["source"] and "EFSA" in by_key["fiber"]["rationale_en"]
    assert "Schröder" in by_key["mediterranean"]["source"]
    assert "WHO" in by_key["activity"]["source"] and "2020" in by_key["activity"]["rationale_en"]
    assert "Santé publique France" in by_key["alcohol"]["source"] and "2017" in by_key["alcohol"]["rationale_en"]


# ---------------------------------------------------------------- 10. v2 published, every day rescored


def test_publishing_v2_rescores_every_stored_day_and_rebuilds_the_weeks(
    patient, catalog, django_capture_on_commit_callbacks, patient_client
):
    v1 = RuleSetVersion.objects.get(number=1)
    eat_named(patient, catalog, DAY, [("Cheddar", 30)])
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=v1)
    old = DayScore.objects.get(patient=patient)
    assert old.version == v1
    assert "animal-saturated-fat" not in {line["key"] for line in old.breakdown}  # a v1 breakdown
    with django_capture_on_commit_callbacks(execute=True):
        V2.publish_v2(django_apps, None)
    latest = selectors.current_version()
    new = DayScore.objects.get(patient=patient)
    assert new.version == latest and latest.rescore_finished_at is not None
    assert next(line for line in new.breakdown if line["key"] == "fermented")["points"] == 0
    assert {line["key"] for line in new.breakdown} >= {"animal-saturated-fat"}
    assert WeeklySummary.objects.filter(patient=patient).exists()  # the week was rebuilt with the new scores
    # v1 stays readable, and the day says which version scored it.
    html = patient_client.get(reverse("guidance:rules") + "?version=1").content.decode()
    assert "Rule set v1" in html and "An earlier version" in html
    assert f"Scored with rule set v{latest.number}." in panel(patient)
    assert patient_client.get(reverse("guidance:rules") + "?version=99").status_code == 404
    assert timezone.now() >= latest.published_at
