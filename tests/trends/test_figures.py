"""Pure figure builders: four charts, gaps not zeros, relapse bands, readable styles, data tables."""

import json
from datetime import date, timedelta

import pytest

from trends import figures

TEXT = {
    key: key.upper()
    for key in (
        "relapse",
        "score_title",
        "score_axis",
        "points_unit",
        "score_name",
        "score_column",
        "food_title",
        "fiber_axis",
        "fiber_name",
        "fiber_target",
        "servings_axis",
        "servings_unit",
        "fermented_name",
        "processed_name",
        "fiber_column",
        "fermented_column",
        "processed_column",
        "sleep_title",
        "sleep_axis",
        "sleep_name",
        "regularity_axis",
        "regularity_name",
        "sleep_column",
        "regularity_column",
        "relapse_column",
        "fatigue_title",
        "fatigue_axis",
        "fatigue_name",
        "fatigue_column",
    )
}
START = date(2026, 1, 5)  # a Monday


def week(monday: date, **values) -> dict:
    base = {
        "week_start": monday,
        "mean_score": 60.0,
        "rule_means": [
            {"key": "fiber", "points": 12.0, "possible": 20.0},
            {"key": "fermented", "points": 5.0, "possible": 10.0},
        ],
        "fiber_g": 20.0,
        "fermented_servings": 1.0,
        "processed_servings": 2.0,
        "sleep_minutes": 450.0,
        "mid_sleep_sd_minutes": 20.0,
        "fatigue_mean": 4.0,
        "relapse_days": 0,
        "figure": {"relapse": [0] * 7},
    }
    base.update(values)
    return base


def build(weeks, start=START, end=START + timedelta(weeks=4, days=-1)):
    labels = {START + timedelta(weeks=i): (f"w{i}", f"Week {i}") for i in range(-2, 60)}
    return figures.build_charts(weeks, start, end, TEXT, {"fiber": "Fiber rule"}, labels)


def trace(chart, name):
    return next(t for t in chart["figure"]["data"] if t.get("name") == name)


def test_it_builds_four_charts_with_titles_and_axis_units():
    charts = build([week(START)])

    assert [c["id"] for c in charts] == ["score", "food", "sleep", "fatigue"]
    assert [c["title"] for c in charts] == ["SCORE_TITLE", "FOOD_TITLE", "SLEEP_TITLE", "FATIGUE_TITLE"]
    food = charts[1]["figure"]["layout"]
    assert food["yaxis"]["title"]["text"] == "FIBER_AXIS"
    assert food["yaxis2"]["title"]["text"] == "SERVINGS_AXIS"
    json.dumps([c["figure"] for c in charts])  # plain JSON for json_script


def test_a_week_without_a_summary_is_a_gap_not_a_zero():
    charts = build([week(START), week(START + timedelta(weeks=2))])
    fatigue = trace(charts[3], "FATIGUE_NAME")

    assert fatigue["x"][:3] == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert fatigue["y"][:3] == [4.0, None, 4.0]
    assert fatigue["connectgaps"] is False
    assert charts[3]["weeks_with_data"] == 2


def test_the_score_chart_stacks_each_rules_points_under_the_day_score():
    score = build([week(START)])[0]
    rule = trace(score, "Fiber rule")
    unnamed = trace(score, "fermented")  # no title known: the key is shown

    assert score["figure"]["layout"]["barmode"] == "stack"
    assert rule["type"] == "bar" and rule["y"][0] == 12.0
    assert unnamed["y"][0] == 5.0
    assert trace(score, "SCORE_NAME")["y"][0] == 60.0


def test_sleep_is_drawn_in_hours_and_regularity_in_minutes():
    sleep = build([week(START)])[2]

    assert trace(sleep, "SLEEP_NAME")["y"][0] == 7.5
    assert trace(sleep, "REGULARITY_NAME")["y"][0] == 20.0
    assert trace(sleep, "REGULARITY_NAME")["yaxis"] == "y2"


def test_relapse_days_become_merged_grey_bands_with_a_legend_entry():
    first = week(START, relapse_days=2, figure={"relapse": [0, 0, 0, 0, 0, 1, 1]})
    second = week(START + timedelta(weeks=1), relapse_days=1, figure={"relapse": [1, 0, 0, 0, 0, 0, 0]})
    charts = build([first, second])

    for chart in charts:
        shapes = chart["figure"]["layout"]["shapes"]
        assert [(s["x0"], s["x1"]) for s in shapes] == [("2026-01-10", "2026-01-13")]  # Sat to Mon inclusive
        assert trace(chart, "RELAPSE")["hoverinfo"] == "skip"


def test_lines_differ_by_dash_and_marker_as_well_as_colour():
    styles = figures.LINE_STYLES
    assert len({color for color, _d, _m in styles}) == len(styles)
    assert len({marker for _c, _d, marker in styles}) == len(styles)
    food = build([week(START)])[1]
    fermented, processed = trace(food, "FERMENTED_NAME"), trace(food, "PROCESSED_NAME")
    assert fermented["line"]["dash"] != processed["line"]["dash"]
    assert fermented["marker"]["symbol"] != processed["marker"]["symbol"]
    assert fermented["line"]["color"] in {figures.BLUISH_GREEN} and processed["line"]["color"] == figures.VERMILLION


@pytest.mark.parametrize("weeks", [4, 12, 26, 52])
def test_it_draws_ranges_from_four_weeks_to_a_year(weeks):
    end = START + timedelta(weeks=weeks, days=-1)
    history = [week(START + timedelta(weeks=i)) for i in range(weeks)]
    charts = build(history, START, end)

    assert len(charts[3]["figure"]["data"][0]["x"]) == weeks
    assert len(charts[3]["table"]["rows"]) == weeks
    assert len(charts[3]["figure"]["layout"]["xaxis"]["tickvals"]) <= figures.MAX_TICKS


def test_each_chart_has_a_data_table_alternative():
    fatigue = build([week(START, fatigue_mean=6.25, relapse_days=3)])[3]

    assert [c["label"] for c in fatigue["table"]["columns"]] == ["FATIGUE_COLUMN", "RELAPSE_COLUMN"]
    row = fatigue["table"]["rows"][0]
    assert row["week"] == "Week 0"
    assert [cell["value"] for cell in row["cells"]] == [6.25, 3.0]


def test_week_grid_covers_every_week_overlapping_the_range():
    grid = figures.week_grid(date(2026, 1, 7), date(2026, 1, 19))
    assert grid == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]


def test_the_fiber_target_line_is_drawn_at_the_target_it_is_given():
    labels = {START + timedelta(weeks=i): (f"w{i}", f"Week {i}") for i in range(4)}
    end = START + timedelta(weeks=4, days=-1)
    food = figures.build_charts([week(START, fiber_g=40.0)], START, end, TEXT, {}, labels, fiber_target=30)[1]
    line = trace(food, "FIBER_TARGET")
    assert line["y"] == [30, 30] and line["x"] == [START.isoformat(), (START + timedelta(weeks=3)).isoformat()]
    assert food["figure"]["layout"]["yaxis"]["range"][1] == pytest.approx(40 * 1.15)
    without = figures.build_charts([week(START)], START, end, TEXT, {}, labels)[1]
    assert all(t.get("name") != "FIBER_TARGET" for t in without["figure"]["data"])
