"""The printable report: its period, its charts (inline SVG the CSP allows) and a fixed number of queries."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic import charts
from clinic.models import EDSSScore
from clinic.services import add_note
from tests.clinic.conftest import add_relapse, clinician_client_for
from tests.clinic.test_dashboard import scores
from tests.clinic.test_evidence import evidence
from tracker.models import FatigueRating, Food, MealItem, SleepDiary


def report(client, patient, **period):
    response = client.get(reverse("clinic:report", args=[patient.pk]), period)
    assert response.status_code == 200
    return response.content.decode()


def head(page: str) -> str:
    return " ".join(
        re.sub(r"<[^>]+>", " ", page.split('class="clinic-report-head"')[1].split("</header>", maxsplit=1)[0]).split()
    )


def test_without_a_period_the_report_covers_since_the_last_visit_else_12_weeks(patient, clinician, granted, today):
    client = clinician_client_for(clinician)
    assert "23 December 2025 – 16 March 2026" in head(report(client, patient))  # 12 weeks
    add_note(patient=patient, author=clinician, body="seen in clinic")  # today: the visit going on, not the last one
    assert "23 December 2025 – 16 March 2026" in head(report(client, patient))
    EDSSScore.objects.create(patient=patient, score=Decimal("3.5"), assessed_on=today - timedelta(days=30))
    page = report(client, patient)
    assert "14 February 2026 – 16 March 2026" in head(page)
    assert (
        '<a href="?start=2026-02-14&amp;end=2026-03-16" aria-current="true">Since the last visit (14 Feb 2026)</a>'
        in page
    )
    chosen = report(client, patient, start="2025-03-17", end="2026-03-16")
    assert "17 March 2025 – 16 March 2026" in head(chosen)
    assert 'aria-current="true">Last 12 months</a>' in chosen


def test_the_report_shows_the_flags_with_the_same_evidence_as_the_dashboard(patient, clinician, granted, today):
    for offset in range(28):
        FatigueRating.objects.create(
            patient=patient, date=today - timedelta(days=offset), score=7 if offset < 14 else 4
        )
    scores(patient, today, 40, 65)
    client = clinician_client_for(clinician)
    on_dashboard = evidence(client.get(reverse("clinic:dashboard")).content.decode())
    assert set(on_dashboard) == {"fatigue", "adherence"}
    assert evidence(report(client, patient)) == on_dashboard


def test_the_charts_are_inline_svg_without_style_or_script_and_show_relapses(patient, clinician, granted, today):
    for offset in range(90):
        day = today - timedelta(days=offset)
        FatigueRating.objects.create(patient=patient, date=day, score=3 + offset % 4)
    add_relapse(patient, today - timedelta(days=40), ended_on=today - timedelta(days=30))
    page = report(clinician_client_for(clinician), patient)
    svgs = re.findall(r"<svg class=\"clinic-chart-svg\".*?</svg>", page, re.S)
    assert len(svgs) == 5
    fatigue = next(svg for svg in svgs if 'id="chart-fatigue-title"' in svg)
    assert 'role="img"' in fatigue and "<title" in fatigue and "<desc" in fatigue
    assert 'stroke="#E69F00"' in fatigue and 'stroke-dasharray="7 3 2 3"' in fatigue and "<polygon" in fatigue
    assert 'class="chart-band"' in fatigue  # the relapse
    assert "Mean 4.5 out of 10" in fatigue
    article = page.split('<article class="clinic-report">')[1]
    assert " style=" not in article and "<script" not in article
    assert "trend-plot" not in page  # no plotly figure to be swapped for a table when printing


def test_the_report_lists_foods_eaten_most_and_processed_food(patient, clinician, granted, today):
    bread = Food.objects.create(name_en="Rye bread", default_portion_g=50, fiber_g_per_100g=6)
    crisps = Food.objects.create(name_en="Crisps", default_portion_g=30, nova_group=4)
    for offset in range(10):
        MealItem.objects.create(
            patient=patient, date=today - timedelta(days=offset), meal="lunch", food=bread, grams=100
        )
    MealItem.objects.create(patient=patient, date=today, meal="snack", food=crisps, grams=60)
    page = " ".join(report(clinician_client_for(clinician), patient).split())
    assert 'Rye bread <span class="muted">(10 days, about 100 g a day)' in page
    assert 'Crisps <span class="muted">(1 day, about 60 g)' in page
    # 2 servings of crisps on 1 of the 10 days with meals.
    assert "<dt>Processed (servings/day)</dt><dd>0.2</dd>" in page


def test_the_report_reads_a_year_with_as_many_queries_as_a_week(patient, clinician, granted, today):
    bread = Food.objects.create(name_en="Rye bread", default_portion_g=50, fiber_g_per_100g=6)
    client = clinician_client_for(clinician)

    def fill(days: int) -> None:
        for offset in range(days):
            day = today - timedelta(days=offset)
            MealItem.objects.create(patient=patient, date=day, meal="lunch", food=bread, grams=100)
            FatigueRating.objects.get_or_create(patient=patient, date=day, defaults={"score": 4})
            SleepDiary.objects.get_or_create(
                patient=patient,
                date=day,
                defaults={
                    "in_bed_at": time(23, 0),
                    "tried_sleep_at": time(23, 0),
                    "minutes_to_fall_asleep": 10,
                    "awakenings": 0,
                    "minutes_awake": 0,
                    "final_wake_at": time(6, 50),
                    "out_of_bed_at": time(7, 0),
                    "quality": 4,
                    "total_sleep_minutes": 460,
                },
            )

    fill(7)
    with CaptureQueriesContext(connection) as week:
        report(client, patient, start=(today - timedelta(days=364)).isoformat(), end=today.isoformat())
    fill(365)
    with CaptureQueriesContext(connection) as year:
        page = report(client, patient, start=(today - timedelta(days=364)).isoformat(), end=today.isoformat())
    assert len(year) == len(week)
    assert "365 of 365 days logged" in head(page)


def test_a_bad_period_is_a_form_error(patient, clinician, granted, today):
    page = report(clinician_client_for(clinician), patient, start="2026-03-10", end="2026-01-01")
    assert "The start date must be on or before the end date." in page


def test_a_series_with_gaps_draws_separate_lines_and_round_axes():
    chart = charts.Chart(
        key="sleep",
        title="Sleep",
        summary="",
        points=[(date(2026, 1, d), v) for d, v in ((1, 7.0), (2, 7.5), (3, None), (4, 6.0), (5, 6.5))],
        start=date(2026, 1, 1),
        end=date(2026, 1, 5),
        y_min=5,
        y_max=8,
    )
    svg = charts.line_chart(chart)
    assert svg.count("<polyline") == 2
    assert svg.count("<path d=") == 4  # a cross at each of the four values
    assert charts.axis_range([3.2, 26.8], 0, None) == (0, 30)
    assert charts.axis_range([6.2, 7.9], 5, 14) == (5, 8)
    assert charts.nice_step(100) == 25
