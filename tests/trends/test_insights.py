"""Insights: week-over-week changes and associations, always with their day counts."""

from datetime import date, timedelta

from trends import insights

MONDAY = date(2026, 3, 2)


def summary(monday, days=7, **values):
    base = {
        "week_start": monday,
        "days_logged": days,
        "meal_days": days,
        "sleep_nights": days,
        "fatigue_days": days,
        "score_days": days,
        "mean_score": 60.0,
        "fiber_g": 20.0,
        "fermented_servings": 1.0,
        "processed_servings": 2.0,
        "sleep_minutes": 450.0,
        "mid_sleep_sd_minutes": 20.0,
        "fatigue_mean": 4.0,
        "figure": {},
    }
    base.update(values)
    return base


def test_it_flags_a_change_only_with_enough_days_and_a_large_enough_step():
    this = summary(MONDAY, fiber_g=26.0, fatigue_mean=4.5)
    last = summary(MONDAY - timedelta(days=7))
    by_metric = {c.metric: c for c in insights.compare(this, last)}

    assert by_metric["fiber"].change == 6.0 and by_metric["fiber"].notable
    assert by_metric["fiber"].this_days == 7 and by_metric["fiber"].last_days == 7
    assert not by_metric["fatigue"].notable  # half a point is below the 1-point threshold
    few = {c.metric: c for c in insights.compare(summary(MONDAY, days=2, fiber_g=30.0), last)}
    assert few["fiber"].change == 10.0 and not few["fiber"].notable


def test_a_missing_week_compares_to_nothing():
    result = insights.compare(summary(MONDAY), None)
    assert all(c.change is None and not c.notable and c.last_days == 0 for c in result)


def test_early_in_a_week_it_compares_last_week_with_the_one_before():
    weeks = [summary(MONDAY, days=1), summary(MONDAY - timedelta(days=7)), summary(MONDAY - timedelta(days=14))]
    later, earlier, monday = insights.weeks_to_compare(weeks, MONDAY)
    assert monday == MONDAY - timedelta(days=7)
    assert later["week_start"] == MONDAY - timedelta(days=7)
    assert earlier["week_start"] == MONDAY - timedelta(days=14)


def daily_week(monday, fiber, fatigue, sleep=None, fermented=None):
    return {
        "week_start": monday,
        "figure": {
            "fiber_g": fiber,
            "fatigue": fatigue,
            "sleep_minutes": sleep or [None] * 7,
            "fermented": fermented or [None] * 7,
        },
    }


def test_it_compares_fatigue_after_low_fiber_days_with_the_other_days():
    # Low-fiber days (10 g) are followed by fatigue 8, other days (30 g) by fatigue 4.
    fiber = [10, 30, 10, 30, 10, 30, 10]
    fatigue = [None, 8, 4, 8, 4, 8, 4]
    week2_fiber = [30, 10, 30, 10, 30, 10, 30]
    week2_fatigue = [8, 4, 8, 4, 8, 4, 8]
    weeks = [daily_week(MONDAY, fiber, fatigue), daily_week(MONDAY + timedelta(days=7), week2_fiber, week2_fatigue)]
    [fiber_result, sleep_result, fermented_result] = insights.associations(weeks)

    assert fiber_result.code == "fatigue_after_low_fiber"
    assert (fiber_result.exposed_days, fiber_result.other_days) == (7, 6)
    assert (fiber_result.exposed_mean, fiber_result.other_mean) == (8.0, 4.0)
    assert fiber_result.enough
    assert (sleep_result.exposed_days, sleep_result.other_days, sleep_result.enough) == (0, 0, False)
    assert not fermented_result.enough


def test_days_without_meals_are_neither_low_nor_high_fiber():
    weeks = [daily_week(MONDAY, [None, 10, None, 10, None, 10, None], [5, 5, 5, 5, 5, 5, 5])]
    [fiber_result, _, _] = insights.associations(weeks)
    assert (fiber_result.exposed_days, fiber_result.other_days) == (3, 0)
    assert not fiber_result.enough and fiber_result.other_mean is None


def test_short_nights_pair_with_the_fatigue_of_the_same_date():
    sleep = [300, 300, 300, 300, 300, 480, 480]
    more = [480, 480, 480, None, None, None, None]
    fatigue = [7, 7, 7, 7, 7, 3, 3]
    weeks = [
        daily_week(MONDAY, [None] * 7, fatigue, sleep),
        daily_week(MONDAY + timedelta(days=7), [None] * 7, [3, 3, 3, None, None, None, None], more),
    ]
    [_, sleep_result, _] = insights.associations(weeks)
    assert (sleep_result.exposed_days, sleep_result.exposed_mean) == (5, 7.0)
    assert (sleep_result.other_days, sleep_result.other_mean) == (5, 3.0)
    assert sleep_result.enough


def test_a_missing_week_breaks_the_day_before_pairs():
    first = daily_week(MONDAY, [10] * 7, [5] * 7)
    third = daily_week(MONDAY + timedelta(days=14), [None] * 7, [9, None, None, None, None, None, None])
    [fiber_result, _, _] = insights.associations([third, first])  # any order

    # The Monday of the third week follows a day nobody built: it pairs with nothing.
    assert (fiber_result.exposed_days, fiber_result.other_days) == (6, 0)
    assert fiber_result.exposed_mean == 5.0
