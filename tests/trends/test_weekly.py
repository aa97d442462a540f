"""The pure weekly aggregation against hand-built weeks (no database)."""

import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from trends import weekly

MONDAY = date(2026, 3, 2)  # ISO week 10 of 2026
NEXT_MONDAY = date(2026, 3, 9)
TODAY = date(2026, 3, 7)  # a Saturday: an ongoing relapse counts up to today only


def d(day: int) -> date:
    return date(2026, 3, day)


FOODS = pd.DataFrame.from_records(
    [
        (1, 100.0, 10.0, 1, False, False, ["vegetable"]),  # lentils-like: 10 g fiber per 100 g
        (2, 125.0, 0.0, 1, True, False, []),  # yogurt: fermented
        (3, 50.0, 0.0, 3, False, False, ["processed_meat"]),  # sausage: processed by its group
        (4, 330.0, 0.0, 4, False, True, ["sugary_drink"]),  # cola: NOVA 4
    ],
    columns=weekly.FOOD_COLUMNS,
)


def sources(**overrides: pd.DataFrame) -> weekly.Sources:
    src = weekly.Sources(
        meals=pd.DataFrame.from_records(
            [
                (1, d(2), 1, 200.0),  # 20 g fiber
                (1, d(2), 2, 250.0),  # 2 fermented servings
                (1, d(3), 1, 50.0),  # 5 g fiber
                (1, d(3), 3, 100.0),  # 2 processed servings
                (1, d(5), 4, 330.0),  # 1 processed serving
                (1, d(5), 1, 100.0),  # 10 g fiber
                (1, d(5), 2, 125.0),  # 1 fermented serving
                (1, d(10), 1, 300.0),  # next week: not due
                (2, d(2), 1, 900.0),  # another patient, same week
            ],
            columns=weekly.MEAL_COLUMNS,
        ),
        foods=FOODS,
        sleep=pd.DataFrame.from_records(
            [(1, d(2), 420, 180), (1, d(3), 480, 240), (1, d(4), 450, 210)], columns=weekly.SLEEP_COLUMNS
        ),
        fatigue=pd.DataFrame.from_records([(1, d(2), 4), (1, d(4), 6), (1, d(8), 8)], columns=weekly.FATIGUE_COLUMNS),
        scores=pd.DataFrame.from_records(
            [(1, d(2), 60.0, True), (1, d(3), 40.0, True), (1, d(4), 30.0, False)], columns=weekly.SCORE_COLUMNS
        ),
        score_parts=pd.DataFrame.from_records(
            [
                (1, d(2), 0, "fiber", 15.0, 20.0),
                (1, d(2), 1, "fermented", 10.0, 10.0),
                (1, d(3), 0, "fiber", 5.0, 20.0),
                (1, d(3), 1, "fermented", 0.0, 10.0),
                (1, d(4), 0, "fiber", 20.0, 20.0),  # a day not logged: its parts do not count
            ],
            columns=weekly.PART_COLUMNS,
        ),
        relapses=pd.DataFrame.from_records([(1, d(6), None)], columns=weekly.RELAPSE_COLUMNS),
    )
    for name, frame in overrides.items():
        setattr(src, name, frame)
    return src


def keys(*pairs: tuple[int, date]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(pairs), columns=weekly.KEY_COLUMNS)


def summarise(src: weekly.Sources, *pairs: tuple[int, date]) -> list[dict]:
    return weekly.summarise(weekly.prepare(src, keys(*pairs), TODAY))


def test_it_summarises_a_hand_built_week():
    [week] = summarise(sources(), (1, MONDAY))

    assert week["patient_id"] == 1
    assert week["week_start"] == MONDAY
    assert (week["iso_year"], week["iso_week"]) == (2026, 10)
    # Days with a meal, a sleep diary or a fatigue rating: Mon, Tue, Wed (sleep), Thu, Sun (fatigue).
    assert week["days_logged"] == 5
    assert week["meal_days"] == 3
    # Fiber (20 + 5 + 10) / 3 meal days; fermented (2 + 0 + 1) / 3; processed (0 + 2 + 1) / 3.
    assert week["fiber_g"] == pytest.approx(11.667, abs=1e-3)
    assert week["fermented_servings"] == pytest.approx(1.0)
    assert week["processed_servings"] == pytest.approx(1.0)
    # Sleep (420 + 480 + 450) / 3; mid-sleep 180, 240, 210: population SD sqrt(600) = 24.5.
    assert week["sleep_nights"] == 3
    assert week["sleep_minutes"] == pytest.approx(450.0)
    assert week["mid_sleep_sd_minutes"] == pytest.approx(24.5)
    # Fatigue (4 + 6 + 8) / 3.
    assert week["fatigue_days"] == 3
    assert week["fatigue_mean"] == pytest.approx(6.0)
    # Day score over the logged days only: (60 + 40) / 2; the unlogged Wednesday is left out.
    assert week["score_days"] == 2
    assert week["mean_score"] == pytest.approx(50.0)
    assert week["rule_means"] == [
        {"key": "fiber", "points": 10.0, "possible": 20.0, "days": 2},
        {"key": "fermented", "points": 5.0, "possible": 10.0, "days": 2},
    ]
    # Relapse from Friday, still ongoing on Saturday (today): 2 days, not Sunday.
    assert week["relapse_days"] == 2


def test_it_stores_the_daily_series_of_the_week():
    [week] = summarise(sources(), (1, MONDAY))
    figure = week["figure"]

    assert figure["start"] == "2026-03-02"
    assert figure["score"] == [60.0, 40.0, None, None, None, None, None]
    assert figure["fiber_g"] == [20.0, 5.0, None, 10.0, None, None, None]
    assert figure["fermented"] == [2.0, 0.0, None, 1.0, None, None, None]
    assert figure["sleep_minutes"] == [420.0, 480.0, 450.0, None, None, None, None]
    assert figure["fatigue"] == [4.0, None, 6.0, None, None, None, 8.0]
    assert figure["relapse"] == [0, 0, 0, 0, 1, 1, 0]


def test_it_groups_many_patients_and_weeks_at_once():
    result = summarise(sources(), (1, MONDAY), (2, MONDAY), (1, NEXT_MONDAY))
    by_key = {(w["patient_id"], w["week_start"]): w for w in result}

    assert by_key[(2, MONDAY)]["fiber_g"] == pytest.approx(90.0)
    assert by_key[(2, MONDAY)]["meal_days"] == 1
    assert by_key[(2, MONDAY)]["relapse_days"] == 0
    assert by_key[(1, NEXT_MONDAY)]["fiber_g"] == pytest.approx(30.0)
    # The relapse is ongoing but next week is after today: nothing counted there.
    assert by_key[(1, NEXT_MONDAY)]["relapse_days"] == 0
    assert by_key[(1, MONDAY)]["fiber_g"] == pytest.approx(11.667, abs=1e-3)


def test_an_empty_week_has_counts_of_zero_and_no_means():
    [week] = summarise(weekly.Sources.blank(), (7, MONDAY))

    assert week["days_logged"] == 0
    assert week["meal_days"] == 0
    assert week["fiber_g"] is None
    assert week["mean_score"] is None
    assert week["mid_sleep_sd_minutes"] is None
    assert week["rule_means"] == []
    assert week["figure"]["fatigue"] == [None] * 7


def test_one_night_has_no_regularity():
    src = sources(sleep=pd.DataFrame.from_records([(1, d(2), 420, 180)], columns=weekly.SLEEP_COLUMNS))
    [week] = summarise(src, (1, MONDAY))

    assert week["sleep_minutes"] == pytest.approx(420.0)
    assert week["mid_sleep_sd_minutes"] is None


def test_a_relapse_with_an_end_date_counts_its_days_in_each_week():
    relapses = pd.DataFrame.from_records([(1, d(7), d(10))], columns=weekly.RELAPSE_COLUMNS)
    weeks = summarise(sources(relapses=relapses), (1, MONDAY), (1, NEXT_MONDAY))

    assert [w["relapse_days"] for w in weeks] == [2, 2]  # Sat, Sun | Mon, Tue


def test_the_fingerprint_is_stable_and_follows_the_data():
    first = weekly.fingerprints(weekly.prepare(sources(), keys((1, MONDAY), (2, MONDAY)), TODAY))
    again = weekly.fingerprints(weekly.prepare(sources(), keys((1, MONDAY), (2, MONDAY)), TODAY))
    changed_fatigue = pd.DataFrame.from_records(
        [(1, d(2), 5), (1, d(4), 6), (1, d(8), 8)], columns=weekly.FATIGUE_COLUMNS
    )
    changed = weekly.fingerprints(
        weekly.prepare(sources(fatigue=changed_fatigue), keys((1, MONDAY), (2, MONDAY)), TODAY)
    )
    changed_part = sources()
    changed_part.score_parts.loc[0, "points"] = 16.0
    part = weekly.fingerprints(weekly.prepare(changed_part, keys((1, MONDAY), (2, MONDAY)), TODAY))

    assert first == again
    assert first[0] != first[1]
    assert changed[0] != first[0] and changed[1] == first[1]
    assert part[0] != first[0]
    assert first[0].startswith(f"v{weekly.FORMAT_VERSION}:")


def test_week_start_is_the_iso_monday():
    assert weekly.week_start(date(2026, 3, 8)) == MONDAY
    assert weekly.week_start(MONDAY) == MONDAY
    assert weekly.from_day_number(int(weekly.week_numbers(weekly.day_numbers([date(2026, 3, 5)]))[0])) == MONDAY


def test_the_pure_modules_import_no_django():
    code = (
        "import sys, trends.weekly, trends.figures, trends.insights;"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
