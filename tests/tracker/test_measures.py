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
    REASON_FEVER,
    REASON_SHORT,
    REASON_TOO_SOON,
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
        D(2026, 3, 1), lasted_over_24h=True, fever_or_infection=False, previous_started_on=D(2026, 1, 30)
    )
    assert check.meets_definition
    assert check.reasons == ()
    assert check.days_since_previous_onset == 30
    assert not check.possible_pseudo_relapse


def test_it_flags_symptoms_shorter_than_24_hours():
    check = relapse_check(D(2026, 3, 1), lasted_over_24h=False, fever_or_infection=False, previous_started_on=None)
    assert check.reasons == (REASON_SHORT,)
    assert check.possible_pseudo_relapse


def test_it_flags_an_onset_less_than_30_days_after_the_previous_one():
    check = relapse_check(
        D(2026, 3, 1), lasted_over_24h=True, fever_or_infection=False, previous_started_on=D(2026, 2, 1)
    )
    assert check.reasons == (REASON_TOO_SOON,)
    assert check.days_since_previous_onset == 28


def test_it_flags_fever_or_infection_and_lists_every_failed_reason():
    check = relapse_check(
        D(2026, 3, 1), lasted_over_24h=False, fever_or_infection=True, previous_started_on=D(2026, 2, 20)
    )
    assert check.reasons == (REASON_SHORT, REASON_TOO_SOON, REASON_FEVER)


def test_it_compares_each_episode_with_the_one_before_whatever_the_input_order():
    episodes = [
        Episode("b", D(2026, 2, 10), True, False),
        Episode("a", D(2026, 1, 1), True, False),
        Episode("c", D(2026, 4, 1), True, True),
    ]
    checks = relapse_checks(episodes)
    assert checks["a"].meets_definition and checks["a"].days_since_previous_onset is None
    assert checks["b"].meets_definition and checks["b"].days_since_previous_onset == 40
    assert checks["c"].reasons == (REASON_FEVER,)


def test_it_makes_the_mfis_due_every_four_weeks():
    today = D(2026, 11, 20)
    assert mfis_due(today, None)
    assert not mfis_due(today, today - dt.timedelta(days=27))
    assert mfis_due(today, today - dt.timedelta(days=28))


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
