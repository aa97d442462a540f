"""The reads: the day-facts frame the scoring core gets, and the day's score panel."""

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from guidance import selectors, services
from tests.factories import PatientFactory
from tests.guidance.factories import LifestyleFactory, MealItemFactory, RelapseFactory, SleepDiaryFactory


def test_it_turns_entries_into_day_facts(patient, foods):
    day = dt.date(2026, 3, 2)
    MealItemFactory(patient=patient, date=day, food=foods["salad"], grams=160)  # 2 servings, 3.2 g fiber
    MealItemFactory(patient=patient, date=day, food=foods["salad"], grams=40, meal="dinner")  # +0.5
    MealItemFactory(patient=patient, date=day, food=foods["lentils"], grams=75)  # 0.5 servings, 6 g fiber
    MealItemFactory(patient=patient, date=day, food=foods["brie"], grams=60)  # 2 servings cheese, fermented
    MealItemFactory(patient=patient, date=day, food=foods["yogurt"], grams=250)  # 2 pots of yogurt
    MealItemFactory(patient=patient, date=day, food=foods["cola"], grams=330)  # NOVA 4 and sugary: counted once
    MealItemFactory(patient=patient, date=day, food=foods["olive"], grams=27)
    SleepDiaryFactory(patient=patient, date=day, mid_sleep_minutes=195)
    LifestyleFactory(
        patient=patient, date=day + timedelta(days=1), activity_minutes=40, cigarettes=3, alcohol_units=Decimal("1.5")
    )
    facts = selectors.load_facts([patient.pk], None, None)
    assert len(facts) == 2
    first = facts.iloc[0]
    assert first["vegetable"] == 2.5 and first["raw_vegetable"] == 2.5
    assert first["vegetable_g"] == 200 and first["raw_vegetable_g"] == 200  # the grams MEDAS divides
    assert first["legume"] == 0.5 and first["legume_g"] == 75
    assert first["fiber_g"] == pytest.approx(4.0 + 6.0)
    # The yogurt's 2 servings; the brie is fermented but a cheese: no fermented credit (v2).
    assert first["fermented"] == 2
    assert first["nova4"] == 1
    assert first["processed"] == 3  # cheese 2 + cola 1 (NOVA 4 and sugary, once)
    assert first["olive_oil_g"] == 27
    assert first["mid_sleep_minutes"] == 195 and first["sleep_logged"] and first["logged"]
    assert not first["lifestyle_logged"]
    second = facts.iloc[1]
    assert not second["logged"] and second["lifestyle_logged"]
    assert second["tobacco"] == 1 and second["alcohol_units"] == 1.5 and second["activity_minutes"] == 40


def test_it_flags_days_within_a_relapse(patient, foods):
    for offset in range(5):
        MealItemFactory(patient=patient, date=dt.date(2026, 3, 1) + timedelta(days=offset), food=foods["salad"])
    RelapseFactory(patient=patient, started_on=dt.date(2026, 3, 2), ended_on=dt.date(2026, 3, 3))
    facts = selectors.load_facts([patient.pk], None, None)
    assert facts["relapse"].tolist() == [False, True, True, False, False]


PANEL = Template("{% load guidance_tags %}{% day_score_panel user day %}")


def render_panel(user, day):
    return PANEL.render(Context({"user": user, "day": day}))


def make_history(patient, foods, days):
    for offset in range(days):
        day = dt.date(2026, 3, 1) + timedelta(days=offset)
        MealItemFactory(patient=patient, date=day, food=foods["salad"], grams=160)
        SleepDiaryFactory(patient=patient, date=day)


@pytest.mark.parametrize("stored", [True, False])
def test_the_day_panel_query_count_does_not_grow_with_history(stored, foods):
    counts = []
    for days in (2, 60):
        patient = PatientFactory()
        make_history(patient, foods, days)
        if stored:
            services.rescore_patients(
                patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version()
            )
        with CaptureQueriesContext(connection) as queries:
            html = render_panel(patient, dt.date(2026, 3, 2))
        assert "of 20 points" in html
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # One query more than v1's budget: the day's foods, listed under the rules they counted for.
    assert counts[0] <= (4 if stored else 14)


def test_the_day_panel_explains_each_rule(patient, foods):
    make_history(patient, foods, 7)
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version())
    html = render_panel(patient, dt.date(2026, 3, 7))
    assert "Fiber" in html and "of 20 points" in html
    assert "Counted this day: 3.2 g of fiber." in html
    assert "Based on 7 of 7 days" in html
    assert "Foods counted today: " in html  # the salad under the fiber rule
    assert "/guidance/rules/fiber/" in html
    assert "Scored with rule set v2." in html
    assert "does not replace it" in html


def test_the_day_panel_computes_a_stale_day_on_the_spot(patient, foods):
    make_history(patient, foods, 3)
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version())
    MealItemFactory(patient=patient, date=dt.date(2026, 3, 3), food=foods["yogurt"], grams=125)
    services.mark_stale(patient_id=patient.pk, day=dt.date(2026, 3, 3))
    html = render_panel(patient, dt.date(2026, 3, 3))
    assert "Computed just now" in html
    assert "10 of 10 points" in html  # the new yogurt counts already


def test_the_day_panel_says_when_nothing_is_logged(patient):
    html = render_panel(patient, dt.date(2026, 3, 3))
    assert "Nothing logged for this day yet" in html
    assert "does not replace it" in html
