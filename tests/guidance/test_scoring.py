"""The pure scoring core, without a database: hand-computed weeks and properties.

Rule set v2 (migration 0006): MEDAS 35 (servings in the screener's grams), fiber 20
(toward 25 g), fermented 10 (>= 1), processed 15 (<= 2 servings), animal saturated fat 5
(<= 22 g a day), sleep regularity 5 (full <= 30 min, none >= 90, >= 3 nights), activity 4
(>= 150 min over 7 days, waived in relapse), no tobacco 3, alcohol 3 (<= 10 standard
drinks of 10 g over 7 days, in proportion to days logged).

Changes from the v1 weeks, each noted where it applies: MEDAS weighs 35 instead of 40 and
its servings are given as grams (vegetables 200 g, fruit 150 g, legumes 150 g, fish 100 g,
nuts 30 g, red meat 100 g, butter 12 g, sugary drink 200 ml, sweets 50 g, sofrito 100 g);
the new saturated-fat rule takes the 5 points; alcohol counts standard drinks (food alcohol
grams / 10 + the other drinks of the lifestyle entry).
"""

import importlib
import json
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guidance import scoring
from tracker.models import FoodGroup

DEFAULTS = importlib.import_module("guidance.migrations.0006_rule_set_v2").V2_RULES
RULES = [{k: r[k] for k in ("key", "kind", "params", "weight")} for r in DEFAULTS]
START = date(2026, 3, 2)

MEDITERRANEAN_DAY = {
    "logged": 1,
    "sleep_logged": 1,
    "lifestyle_logged": 1,
    # v2: MEDAS food groups in grams (3 x 200 g of vegetables, 1 x 200 g raw, 3 x 150 g of fruit,
    # half servings of legumes 75 g, fish 50 g, nuts 15 g; 0.3 of sofrito 30 g and white meat 30 g).
    "vegetable_g": 600,
    "raw_vegetable_g": 200,
    "fruit_g": 450,
    "olive_oil_g": 60,
    "legume_g": 75,
    "fish_seafood_g": 50,
    "nuts_g": 15,
    "sofrito_g": 30,
    "white_meat_g": 30,
    "fiber_g": 30,
    "fermented": 1,
    "processed": 0,
    "nova4": 0,
    "animal_sat_fat_g": 5,  # v2: a yogurt and a little milk
    "mid_sleep_minutes": 180,
    "activity_minutes": 30,
    "tobacco": 0,
    "alcohol_units": 0,
}


def week(days: list[dict | None], patient_id: int = 1) -> pd.DataFrame:
    """A frame of 7 (or more) days from START; None = a day with no entry at all (no row)."""
    rows = []
    for offset, values in enumerate(days):
        if values is None:
            continue
        rows.append({"patient_id": patient_id, "date": START + timedelta(days=offset), **values})
    return pd.DataFrame(rows)


def points(scored: pd.DataFrame, key: str, day: int = 6) -> float:
    row = scored[scored["date"] == np.datetime64(START + timedelta(days=day), "D")].iloc[0]
    return round(float(row[f"{key}:points"]), 4)


def total(scored: pd.DataFrame, day: int = 6) -> float:
    row = scored[scored["date"] == np.datetime64(START + timedelta(days=day), "D")].iloc[0]
    return float(row["total"])


def test_it_gives_a_full_mediterranean_week_every_point():
    scored = scoring.score_days(week([MEDITERRANEAN_DAY] * 7), RULES)
    # MEDAS: 7 daily items met every day + legumes 525 g / 150 = 3.5, fish 350 / 100 = 3.5, sweets 0
    # (7/7 days logged), nuts 105 / 30 = 3.5, white 210 g over red 0, sofrito 210 / 100 = 2.1 -> 13/13
    # -> 35 (v2: 40 before).
    assert points(scored, "mediterranean") == 35
    assert points(scored, "fiber") == 20  # 30 g >= 25 g
    assert points(scored, "fermented") == 10
    assert points(scored, "processed") == 15
    assert points(scored, "animal-saturated-fat") == 5  # v2: 5 g <= 22 g
    assert points(scored, "sleep-regularity") == 5  # spread 0 minutes
    assert points(scored, "activity") == 4  # 210 minutes
    assert points(scored, "no-tobacco") == 3
    assert points(scored, "alcohol") == 3  # 0 units, 7 of 7 days logged
    assert total(scored) == 100


def test_it_scores_a_processed_food_week_low():
    day = {
        "logged": 1,
        "sleep_logged": 1,
        "lifestyle_logged": 1,
        # v2 grams: half a serving of vegetables (100 g) and of fruit (75 g), 150 g of red meat and
        # cold cuts (1.5 servings of 100 g), 12 g of butter (exactly 1 serving of 12 g), a 200 ml soda
        # (1 drink), 50 g of pastry, a tablespoon of sunflower oil and no olive oil.
        "vegetable_g": 100,
        "fruit_g": 75,
        "red_processed_meat_g": 150,
        "butter_cream_g": 12,
        "sugary_drink_g": 200,
        "sweets_pastries_g": 50,
        "other_veg_oil_g": 13.5,
        "animal_sat_fat_g": 30,
        "fiber_g": 10,
        "fermented": 0,
        "processed": 6,
        "nova4": 4,
        "activity_minutes": 10,
        "tobacco": 1,
        "cigarettes": 10,
        "alcohol_units": 2,
    }
    # Mid-sleep 120, 150, ... 300: population SD = 30 * sqrt((7^2 - 1) / 12) = 60 minutes.
    days = [dict(day, mid_sleep_minutes=120 + 30 * i) for i in range(7)]
    scored = scoring.score_days(week(days), RULES)
    assert points(scored, "mediterranean") == 0  # no item met; butter exactly 1 is not "< 1"
    assert points(scored, "fiber") == 8  # 20 * 10 / 25
    assert points(scored, "fermented") == 0
    assert points(scored, "processed") == 0  # 6 > 2
    assert points(scored, "animal-saturated-fat") == 0  # v2: 30 g > 22 g
    assert points(scored, "sleep-regularity") == 2.5  # 5 * (90 - 60) / (90 - 30)
    assert points(scored, "activity") == 0  # 70 < 150
    assert points(scored, "no-tobacco") == 0
    assert points(scored, "alcohol") == 0  # 14 drinks > 10
    assert total(scored) == 10.5


def test_it_lets_unlogged_days_earn_nothing_in_a_week_logged_3_of_7_days():
    # One MEDAS serving a day of legumes (150 g), fish (100 g), nuts (30 g), sofrito (100 g), white meat (100 g).
    logged = dict(MEDITERRANEAN_DAY, legume_g=150, fish_seafood_g=100, nuts_g=30, sofrito_g=100, white_meat_g=100)
    days = [logged, None, None, logged, None, {"logged": 0}, logged]
    scored = scoring.score_days(week(days), RULES)
    # Day 7: daily items averaged over the 3 logged days -> 7; legumes 3, fish 3, nuts 3, sofrito 3 -> 4;
    # sweets and white-over-red met but only 3/7 of the days logged -> 2 * 3/7. 11 + 6/7 of 13 items.
    # v2: MEDAS weighs 35: 35 * 11.857143 / 13 = 31.9231 (36.4835 at 40 points).
    assert points(scored, "mediterranean") == round(35 * (11 + 6 / 7) / 13, 4) == 31.9231
    assert points(scored, "activity") == 0  # 90 minutes over the week
    assert points(scored, "alcohol") == round(3 * 3 / 7, 4)
    assert points(scored, "sleep-regularity") == 5  # 3 nights, enough
    # 31.9231 + 20 + 10 + 15 + 5 (saturated fat, v2) + 5 + 0 + 3 + 1.2857 = 91.2088
    assert total(scored) == 91.2
    # Day 6 has a row but nothing logged: daily rules give nothing, "at most" rules nothing for free.
    assert points(scored, "fiber", day=5) == 0
    assert points(scored, "processed", day=5) == 0
    assert points(scored, "no-tobacco", day=5) == 0
    assert points(scored, "animal-saturated-fat", day=5) == 0
    # MEDAS on day 6: 2 logged days, daily items 7; legumes/fish/nuts 2 < 3; sofrito 2 met; 2 * 2/7.
    assert points(scored, "mediterranean", day=5) == round(35 * (8 + 4 / 7) / 13, 4)
    assert points(scored, "sleep-regularity", day=5) == 0  # 2 nights < 3
    assert total(scored, day=5) == 23.9  # v2: 23.0769 + 0.8571 (27.2 with MEDAS at 40)


EDGE_DAY = {
    "logged": 1,
    "sleep_logged": 0,
    "lifestyle_logged": 1,
    # v2 grams: 2 x 200 g of vegetables with 200 g raw, 3 x 150 g of fruit, as much sunflower as olive
    # oil (54 g = 4 tablespoons), half servings of legumes (75 g), fish (50 g), nuts (15 g), sweets
    # (25 g) and sofrito (50 g), 0.2 of white meat (20 g).
    "vegetable_g": 400,
    "raw_vegetable_g": 200,
    "fruit_g": 450,
    "other_veg_oil_g": 54,
    "olive_oil_g": 54,
    "legume_g": 75,
    "fish_seafood_g": 50,
    "nuts_g": 15,
    "sweets_pastries_g": 25,
    "white_meat_g": 20,
    "sofrito_g": 50,
    "fiber_g": 25,
    "fermented": 1,
    "processed": 2,
    "animal_sat_fat_g": 22,
    "activity_minutes": 30,
    "alcohol_units": 1,
}


def edge_week(**last_day: float) -> pd.DataFrame:
    days = [dict(EDGE_DAY) for _ in range(7)]
    days[0].update(
        legume_g=0,
        fish_seafood_g=0,
        nuts_g=0,
        sweets_pastries_g=0,
        sofrito_g=0,
        red_processed_meat_g=100,
        white_meat_g=0,
    )
    days[1].update(sofrito_g=0)
    for i, spread in enumerate((150, 210, 150, 210)):  # mean 180, SD exactly 30 minutes
        days[3 + i].update(sleep_logged=1, mid_sleep_minutes=spread)
    for i in (5, 6):
        days[i]["activity_minutes"] = 0
    days[4]["alcohol_units"] = 4  # 1 * 6 + 4 = 10 standard drinks
    days[6].update(last_day)
    return week(days)


def test_it_gives_the_points_exactly_at_each_threshold():
    scored = scoring.score_days(edge_week(), RULES)
    assert points(scored, "fiber") == 20  # exactly 25 g
    assert points(scored, "fermented") == 10  # exactly 1 serving
    assert points(scored, "processed") == 15  # exactly 2 servings: "at most" includes it
    assert points(scored, "sleep-regularity") == 5  # spread exactly 30 minutes
    assert points(scored, "activity") == 4  # 5 * 30 = 150 minutes exactly
    assert points(scored, "alcohol") == 3  # 10 drinks exactly
    assert points(scored, "animal-saturated-fat") == 5  # v2: 22 g exactly
    # MEDAS: olive oil main fat with olive == other oils, 54 g = 4 tbsp, 400 g of vegetables with 200 g raw,
    # 450 g of fruit: met. Red/processed meat exactly 100 g on day 1 fails "< 1" that day -> 6/7.
    # Legumes 450 / 150, fish 300 / 100, nuts 90 / 30: exactly 3, met; sofrito 250 / 100 = 2.5 met;
    # sweets 150 / 50 = exactly 3 fails "< 3"; white 120 g vs red 100 g met. 6 + 6/7 + 5 of 13 (v2: x 35).
    assert points(scored, "mediterranean") == round(35 * (11 + 6 / 7) / 13, 4)


def test_it_withholds_the_points_just_past_each_threshold():
    scored = scoring.score_days(
        edge_week(
            fiber_g=24.9,
            fermented=0.99,
            processed=2.01,
            mid_sleep_minutes=212,
            alcohol_units=1.1,
            animal_sat_fat_g=22.1,
        ),
        RULES,
    )
    assert points(scored, "animal-saturated-fat") == 0  # v2: 22.1 g
    assert points(scored, "fiber") == round(20 * 24.9 / 25, 4)
    assert points(scored, "fermented") == 0
    assert points(scored, "processed") == 0
    assert points(scored, "alcohol") == 0  # 10.1 drinks
    # 150, 210, 150, 212: mean 180.5, SD 30.5041 -> 5 * (90 - 30.5041) / 60
    spread = float(np.std([150, 210, 150, 212]))
    assert points(scored, "sleep-regularity") == pytest.approx(5 * (90 - round(spread, 3)) / 60, abs=1e-4)
    less_activity = edge_week(activity_minutes=0)
    days = less_activity.copy()
    days.loc[days.index[3], "activity_minutes"] = 29  # 149 minutes
    assert points(scoring.score_days(days, RULES), "activity") == 0


def test_a_fiber_only_change_moves_only_the_fiber_points():
    before = scoring.score_days(week([MEDITERRANEAN_DAY] * 7), RULES)
    after = scoring.score_days(week([MEDITERRANEAN_DAY] * 6 + [dict(MEDITERRANEAN_DAY, fiber_g=15)]), RULES)
    assert points(after, "fiber") == 12  # 20 * 15 / 25
    assert total(after) == 92
    for rule in RULES:
        if rule["key"] != "fiber":
            assert points(after, rule["key"]) == points(before, rule["key"])


def test_a_relapse_week_waives_the_activity_rule_on_relapse_days_only():
    resting = dict(MEDITERRANEAN_DAY, activity_minutes=0)
    days = [resting] * 7 + [dict(resting, relapse=1)] * 3
    scored = scoring.score_days(week(days), RULES)
    # Day 7, no relapse: 0 of 4 activity points, all else earned -> 96.
    assert points(scored, "activity", day=6) == 0
    assert total(scored, day=6) == 96
    # Day 10, in the relapse: activity leaves the total (0 of 0), everything else earned -> 96 / 96.
    row = scored.iloc[9]
    assert row["activity:possible"] == 0 and bool(row["activity:waived"])
    assert total(scored, day=9) == 100
    # The other rules are scored as usual during the relapse.
    assert points(scored, "fiber", day=9) == 20
    assert points(scored, "mediterranean", day=9) == 35  # v2: 40 before


def test_it_counts_windows_per_patient():
    one = week([MEDITERRANEAN_DAY] * 7, patient_id=1)
    two = week([None] * 6 + [MEDITERRANEAN_DAY], patient_id=2)
    scored = scoring.score_days(pd.concat([one, two]), RULES)
    last = scored[scored["patient_id"] == 2].iloc[0]
    assert last["mediterranean:days_logged"] == 1
    assert last["activity:c:activity_minutes"] == 30


def test_breakdowns_are_json_with_the_agreed_keys():
    scored = scoring.score_days(week([MEDITERRANEAN_DAY] * 6 + [dict(MEDITERRANEAN_DAY, fruit_g=150)]), RULES)
    texts = scoring.breakdown_json(scored, RULES)
    lines = json.loads(texts[6])
    assert [line["key"] for line in lines] == [rule["key"] for rule in RULES]
    for line in lines:
        assert {"key", "points", "possible", "counted", "days_logged", "window_days", "waived"} <= set(line)
    medas = lines[0]
    assert medas["counted"]["items"] == 13
    assert medas["counted"]["work_on"] == ["fruit_3"]
    assert lines[1]["counted"] == {"fiber_g": 30.0}
    assert scoring.breakdowns(scored, RULES)[6] == lines


def test_it_rejects_unknown_kinds_and_measures():
    frame = week([MEDITERRANEAN_DAY])
    with pytest.raises(ValueError):
        scoring.score_days(frame, [{"key": "x", "kind": "nope", "params": {}, "weight": 1}])
    with pytest.raises(ValueError):
        scoring.score_days(
            frame, [{"key": "x", "kind": "target", "params": {"measure": "gold", "target": 1}, "weight": 1}]
        )


def test_importing_the_scoring_core_loads_no_django_module():
    code = "import sys, guidance.scoring; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------- properties

MEASURE_VALUES = st.floats(min_value=0, max_value=8, allow_nan=False, allow_infinity=False)


@st.composite
def fact_frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for patient_id in (1, 2):
        offsets = draw(st.sets(st.integers(min_value=0, max_value=13), min_size=1, max_size=10))
        for offset in sorted(offsets):
            row = {"patient_id": patient_id, "date": START + timedelta(days=offset)}
            for flag in ("logged", "sleep_logged", "lifestyle_logged", "relapse"):
                row[flag] = draw(st.booleans())
            for measure in (
                "vegetable_g",
                "fruit_g",
                "legume_g",
                "fish_seafood_g",
                "nuts_g",
                "red_processed_meat_g",
                "sweets_pastries_g",
                "white_meat_g",
                "olive_oil_g",
                "butter_cream_g",
            ):
                row[measure] = draw(MEASURE_VALUES) * 50
            if draw(st.booleans()):
                row["first_day"] = scoring.day_number(START) + draw(st.integers(min_value=-3, max_value=10))
            for measure in (
                "fermented",
                "animal_sat_fat_g",
                "alcohol_g",
                "processed",
                "nova4",
                "activity_minutes",
                "alcohol_units",
            ):
                row[measure] = draw(MEASURE_VALUES)
            row["fiber_g"] = draw(st.floats(min_value=0, max_value=60, allow_nan=False))
            row["mid_sleep_minutes"] = draw(st.integers(min_value=-120, max_value=400))
            row["tobacco"] = draw(st.sampled_from([0, 1]))
            rows.append(row)
    return pd.DataFrame(rows)


@given(fact_frames())
def test_the_total_stays_within_0_and_100(facts):
    scored = scoring.score_days(facts, RULES)
    assert scored["total"].between(0, 100).all()


@given(fact_frames(), st.data())
def test_more_fiber_never_lowers_the_fiber_points_nor_passes_the_target(facts, data):
    row = data.draw(st.integers(min_value=0, max_value=len(facts) - 1))
    extra = data.draw(st.floats(min_value=0.01, max_value=40))
    more = facts.copy()
    more.loc[more.index[row], "fiber_g"] += extra
    before = scoring.score_days(facts, RULES)
    after = scoring.score_days(more, RULES)
    assert (after["fiber:points"] >= before["fiber:points"] - 1e-9).all()
    assert (after["fiber:points"] <= 20 + 1e-9).all()
    assert (after["total"] >= before["total"]).all()


@given(fact_frames(), st.data())
def test_an_extra_nova4_serving_never_raises_the_total(facts, data):
    row = data.draw(st.integers(min_value=0, max_value=len(facts) - 1))
    more = facts.copy()
    more.loc[more.index[row], ["nova4", "processed"]] += 1
    before = scoring.score_days(facts, RULES)
    after = scoring.score_days(more, RULES)
    assert (after["total"] <= before["total"]).all()


@given(fact_frames(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_row_order(facts, rng):
    order = list(range(len(facts)))
    rng.shuffle(order)
    shuffled = facts.iloc[order].reset_index(drop=True)
    pd.testing.assert_frame_equal(scoring.score_days(facts, RULES), scoring.score_days(shuffled, RULES))


def test_day_keys_sort_by_patient_then_day_and_decode_back():
    patients = np.array([2, 1, 1, 70_000], dtype=np.int64)
    days = np.array([-3, 20_000, -40_000, 0], dtype=np.int64)  # 1969-12-29, 2024-10-04, 1860-..., 1970-01-01
    keys = scoring.day_keys(patients, days)
    assert list(np.argsort(keys)) == [2, 1, 0, 3]
    assert list(scoring.key_patients(keys)) == list(patients)
    assert list(scoring.key_days(keys)) == list(days)
    assert scoring.key_days(scoring.day_keys(5, 19_000)) == 19_000
    assert scoring.key_patients(scoring.day_keys(5, 19_000)) == 5


def test_every_food_group_tag_is_a_scoring_measure():
    # The pure core cannot import the Django choices: this keeps its list and the catalog's tags one list.
    assert set(scoring.FOOD_GROUPS) == set(FoodGroup.values)
