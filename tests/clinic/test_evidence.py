"""The numbers behind each flag are the same on the dashboard and the patient page, and a day lists its foods."""

import re
from datetime import timedelta
from html import unescape

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.clinic.conftest import add_relapse, clinician_client_for, log_days
from tests.clinic.test_dashboard import scores
from tracker.models import FatigueRating, Food, MealItem

EVIDENCE = re.compile(r'<span class="clinic-evidence" data-flag="(\w+)">(.*?)</span>', re.S)


def evidence(html: str) -> dict[str, str]:
    return {key: " ".join(unescape(text).split()) for key, text in EVIDENCE.findall(html)}


def test_each_flag_shows_the_same_window_and_numbers_on_the_dashboard_and_the_patient_page(
    patient, clinician, granted, today
):
    for offset in range(28):
        FatigueRating.objects.create(
            patient=patient, date=today - timedelta(days=offset), score=7 if offset < 14 else 4
        )
    scores(patient, today, 40, 65)
    add_relapse(patient, today - timedelta(days=10), ended_on=today - timedelta(days=3))
    client = clinician_client_for(clinician)

    on_dashboard = evidence(client.get(reverse("clinic:dashboard")).content.decode())
    on_page = evidence(client.get(reverse("clinic:patient", args=[patient.pk])).content.decode())
    seen_by_patient = evidence(
        clinician_client_for(patient).get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    )

    assert set(on_dashboard) == {"relapse", "fatigue", "adherence"}
    assert on_dashboard == on_page == seen_by_patient
    assert on_page["fatigue"] == (
        "Mean fatigue 7.0/10 over 3 Mar 2026 – 16 Mar 2026 (14 ratings) against 4.0 over "
        "17 Feb 2026 – 2 Mar 2026 (14 ratings): +3.0 (flagged from +1)."
    )
    assert "Mean day score 40/100" in on_page["adherence"] and "against 65" in on_page["adherence"]
    assert "\u221225" in on_page["adherence"]
    assert on_page["relapse"] == (
        "A relapse meeting the definition began on 6 Mar 2026 and ended on 13 Mar 2026 "
        "(the flag looks at 14 Feb 2026 – 16 Mar 2026)."
    )


def test_a_quiet_patient_shows_the_last_entry_behind_the_flag(patient, clinician, granted, today):
    log_days(patient, today - timedelta(days=9), 3)
    client = clinician_client_for(clinician)
    on_dashboard = evidence(client.get(reverse("clinic:dashboard")).content.decode())
    on_page = evidence(client.get(reverse("clinic:patient", args=[patient.pk])).content.decode())
    assert on_dashboard == on_page == {"inactive": "Last entry on 7 Mar 2026, 9 days ago (flagged from 7 days)."}


def _eat(patient, day, food, meal, grams):
    MealItem.objects.create(patient=patient, date=day, meal=meal, food=food, grams=grams)


def test_each_day_lists_its_foods_with_amounts_from_one_query(patient, clinician, granted, today):
    oats = Food.objects.create(
        name_en="Oat flakes", name_fr="Flocons d'avoine", default_portion_g=40, household_measure_en="1 bowl"
    )
    lentils = Food.objects.create(name_en="Lentils", default_portion_g=150, fiber_g_per_100g=8)
    _eat(patient, today, lentils, "dinner", 95)
    _eat(patient, today, oats, "breakfast", 40)
    client = clinician_client_for(clinician)
    url = reverse("clinic:patient", args=[patient.pk])
    page = client.get(url).content.decode()
    foods = " ".join(
        unescape(re.sub(r"<[^>]+>", " ", page.split('class="clinic-foods">')[1].split("</ul>")[0])).split()
    )
    assert foods == "Breakfast: Oat flakes (1 bowl · 40 g) Dinner: Lentils (95 g)"

    # (each page drawn anew, not the kept one: what drawing it reads does not grow with the history)
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as two_days:
        client.get(url)
    for offset in range(1, 30):
        _eat(patient, today - timedelta(days=offset), oats, "breakfast", 80)
        _eat(patient, today - timedelta(days=offset), lentils, "lunch", 150)
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as thirty_days:
        page = client.get(url).content.decode()
    assert len(thirty_days) == len(two_days)
    # The table lists the newest 14 days with their foods; the next page the 14 before them.
    assert page.count("Oat flakes") == 14 and "2 × 1 bowl · 80 g" in page
    with CaptureQueriesContext(connection) as second_page:
        page = client.get(url, {"page": 2}).content.decode()
    assert len(second_page) == len(two_days)
    assert page.count("Oat flakes") == 14 and "2 × 1 bowl · 80 g" in page


def test_the_evidence_rounds_as_the_dashboard_columns_do(patient, clinician, granted, today):
    """Means of 37.5 and 76 (a change of -38.5) read the same in the score column and in the evidence."""
    scores(patient, today, 37.5, 76)
    page = " ".join(clinician_client_for(clinician).get(reverse("clinic:dashboard")).content.decode().split())
    column = re.search(r'(\d+)/100 <span class="muted">\((-?\d+)\)</span>', page)
    assert column is not None and column.groups() == ("38", "-39")
    assert evidence(page)["adherence"].startswith("Mean day score 38/100")
    assert "against 76 " in evidence(page)["adherence"] and ": \u221239 " in evidence(page)["adherence"]
