"""The pure checks others call: relapse definition and MFIS schedule."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

from tracker.measures import (
    BRISTOL_TYPES,
    MFIS_ANSWERS,
    MFIS_ITEMS,
    MFIS_QUESTIONS,
    NOVA_GROUPS,
    NOVA_ULTRA_PROCESSED,
    QUALIFYING,
    REASON_DURATION_UNKNOWN,
    REASON_FEVER,
    REASON_HEAT,
    REASON_SHORT,
    REASON_WITHIN_30,
    Episode,
    episode_last_day,
    is_processed,
    mfis_due,
    mfis_padded,
    relapse_check,
    relapse_checks,
)

D = dt.date


def test_it_accepts_an_episode_that_meets_all_three_criteria():
    check = relapse_check(
        D(2026, 3, 1), lasted_over_24h=True, fever_or_infection=False, last_relapse_started_on=D(2026, 1, 30)
    )
    assert check.qualifying
    assert check.reasons == ()
    assert check.headline == QUALIFYING
    assert check.days_since_anchor == 30  # 30 days qualifies, 29 does not
    assert not check.possible_pseudo_relapse


def test_under_24_hours_is_a_fluctuation_not_a_pseudo_relapse():
    check = relapse_check(D(2026, 3, 1), lasted_over_24h=False, fever_or_infection=False, last_relapse_started_on=None)
    assert check.reasons == (REASON_SHORT,)
    assert check.headline == REASON_SHORT
    assert not check.qualifying and not check.possible_pseudo_relapse


def test_an_unanswered_duration_does_not_qualify_and_says_so():
    check = relapse_check(D(2026, 3, 1), lasted_over_24h=None, fever_or_infection=False, last_relapse_started_on=None)
    assert check.reasons == (REASON_DURATION_UNKNOWN,)
    assert not check.qualifying and not check.possible_pseudo_relapse


def test_29_days_after_the_last_relapse_is_part_of_it():
    check = relapse_check(
        D(2026, 3, 1), lasted_over_24h=True, fever_or_infection=False, last_relapse_started_on=D(2026, 1, 31)
    )
    assert check.reasons == (REASON_WITHIN_30,)
    assert check.anchor == D(2026, 1, 31) and check.days_since_anchor == 29
    assert not check.possible_pseudo_relapse


def test_only_fever_infection_or_heat_make_a_possible_pseudo_relapse():
    fever = relapse_check(D(2026, 3, 1), lasted_over_24h=True, fever_or_infection=True, last_relapse_started_on=None)
    heat = relapse_check(
        D(2026, 3, 1), lasted_over_24h=True, fever_or_infection=False, heat_exposure=True, last_relapse_started_on=None
    )
    assert fever.reasons == (REASON_FEVER,) and fever.possible_pseudo_relapse
    assert heat.reasons == (REASON_HEAT,) and heat.possible_pseudo_relapse


def test_every_failed_reason_is_listed_and_the_headline_follows_the_precedence():
    check = relapse_check(
        D(2026, 3, 1),
        lasted_over_24h=False,
        fever_or_infection=True,
        heat_exposure=True,
        last_relapse_started_on=D(2026, 2, 20),
    )
    # pseudo-relapse first, then a fluctuation, then "part of that relapse"
    assert check.reasons == (REASON_FEVER, REASON_HEAT, REASON_SHORT, REASON_WITHIN_30)
    assert check.headline == REASON_FEVER
    short_and_soon = relapse_check(
        D(2026, 3, 1), lasted_over_24h=False, fever_or_infection=False, last_relapse_started_on=D(2026, 2, 20)
    )
    assert short_and_soon.headline == REASON_SHORT


def test_the_clock_runs_from_the_last_qualifying_relapse_not_the_last_episode():
    """The hand-worked example: relapse day 0, a 12-hour episode day 10, a real relapse day 35."""
    day0 = D(2026, 1, 1)

    def day(n: int) -> dt.date:
        return day0 + dt.timedelta(days=n)

    episodes = [
        Episode("E3", day(35), True, False),
        Episode("E1", day(0), True, False),
        Episode("E2", day(10), False, False),
        Episode("E4", day(50), True, True),
        Episode("E5", day(64), True, False),
        Episode("E6", day(65), True, False),
    ]
    checks = relapse_checks(episodes)
    # E1: the first episode, nothing before it.
    assert checks["E1"].qualifying and checks["E1"].anchor is None
    # E2: 12 hours, 10 days after E1: a fluctuation, and within 30 days of the day-0 relapse.
    assert checks["E2"].reasons == (REASON_SHORT, REASON_WITHIN_30)
    assert (checks["E2"].anchor, checks["E2"].days_since_anchor) == (day(0), 10)
    # E3: measured from E1 (35 days), not from E2 (25 days): a relapse.
    assert checks["E3"].qualifying
    assert (checks["E3"].anchor, checks["E3"].days_since_anchor) == (day(0), 35)
    # E4: fever, 15 days after E3: a possible pseudo-relapse, also within 30 days of E3.
    assert checks["E4"].reasons == (REASON_FEVER, REASON_WITHIN_30) and checks["E4"].anchor == day(35)
    # E5: 29 days after E3: part of that relapse. E6: 30 days after E3: a relapse.
    assert checks["E5"].reasons == (REASON_WITHIN_30,) and checks["E5"].days_since_anchor == 29
    assert checks["E6"].qualifying and checks["E6"].days_since_anchor == 30


def test_episodes_on_the_same_day_go_in_id_order():
    checks = relapse_checks([Episode(10, D(2026, 1, 1), True, False), Episode(9, D(2026, 1, 1), True, False)])
    assert checks[9].qualifying
    assert checks[10].reasons == (REASON_WITHIN_30,) and checks[10].days_since_anchor == 0


def test_a_non_qualifying_episode_never_starts_a_clock():
    checks = relapse_checks(
        [
            Episode("heat", D(2026, 1, 1), True, False, heat_exposure=True),
            Episode("next", D(2026, 1, 5), True, False),
        ]
    )
    assert checks["heat"].reasons == (REASON_HEAT,)
    assert checks["next"].qualifying and checks["next"].anchor is None


def test_it_makes_the_mfis_due_every_four_weeks():
    today = D(2026, 11, 20)
    assert mfis_due(today, None)
    assert not mfis_due(today, today - dt.timedelta(days=27))
    assert mfis_due(today, today - dt.timedelta(days=28))
    # The baseline waits for the first week of use.
    assert not mfis_due(today, None, joined_on=today)
    assert not mfis_due(today, None, joined_on=today - dt.timedelta(days=6))
    assert mfis_due(today, None, joined_on=today - dt.timedelta(days=7))


def test_it_keeps_measures_free_of_django():
    code = "import sys, tracker.measures; assert not [m for m in sys.modules if m.startswith('django')]"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_processed_means_nova_4_a_pro_inflammatory_group_or_added_sugar():
    assert is_processed(NOVA_ULTRA_PROCESSED, [], False)
    assert is_processed(1, ["cheese"], False)
    assert is_processed(1, ["very_spicy", "vegetable"], False)
    assert is_processed(2, [], True)
    assert not is_processed(1, ["vegetable", "olive_oil"], False)
    assert not is_processed(None, None, None)


def test_the_instruments_have_their_published_shape():
    assert len(MFIS_QUESTIONS) == MFIS_ITEMS == 21
    assert sorted(MFIS_ANSWERS) == [0, 1, 2, 3, 4]
    assert sorted(BRISTOL_TYPES) == [1, 2, 3, 4, 5, 6, 7]
    assert sorted(NOVA_GROUPS) == [1, 2, 3, 4]


def test_mfis_answers_are_padded_or_cut_to_21():
    assert mfis_padded([1, 2]) == [1, 2] + [None] * 19
    assert mfis_padded([0] * 30) == [0] * 21


def test_an_episode_without_an_end_runs_to_today_and_never_before_it_began():
    today = D(2026, 3, 10)
    assert episode_last_day(D(2026, 3, 1), D(2026, 3, 4), today) == D(2026, 3, 4)
    assert episode_last_day(D(2026, 3, 1), None, today) == today
    assert episode_last_day(D(2026, 3, 12), None, today) == D(2026, 3, 12)
