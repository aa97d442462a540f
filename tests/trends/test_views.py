"""The patient dashboard, the charts fragment (htmx polling) and the template tag."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from guidance.models import RuleSetVersion
from tests.conftest import need
from tests.guidance.factories import MealItemFactory
from tests.tracker.factories import FatigueFactory
from trends import demo, figures, presenters, selectors, weekly
from trends.models import PendingWeek, WeeklySummary

TODAY = date(2026, 3, 11)  # a Wednesday
MONDAY = date(2026, 3, 9)
URL = reverse("trends:dashboard")


def add_weeks(patient, count: int, last: date = MONDAY) -> None:
    """Summary rows as the builder writes them (fast: no source rows needed)."""
    rows = []
    for i in range(count):
        monday = last - timedelta(weeks=i)
        iso = monday.isocalendar()
        rows.append(
            WeeklySummary(
                patient=patient,
                week_start=monday,
                iso_year=iso.year,
                iso_week=iso.week,
                days_logged=6,
                meal_days=6,
                sleep_nights=6,
                fatigue_days=6,
                score_days=6,
                mean_score=60 + i % 5,
                rule_means=[{"key": "fiber", "points": 12.0, "possible": 20.0, "days": 6}],
                fiber_g=20 + i % 7,
                fermented_servings=1.0,
                processed_servings=2.0,
                sleep_minutes=450,
                mid_sleep_sd_minutes=20,
                fatigue_mean=4 + i % 3,
                relapse_days=1 if i == 2 else 0,
                figure={
                    "v": 1,
                    "start": monday.isoformat(),
                    "fiber_g": [10, 30] * 3 + [10],
                    "fatigue": [5, 3] * 3 + [5],
                    "sleep_minutes": [400] * 7,
                    "fermented": [1] * 7,
                    "relapse": [1 if i == 2 else 0] * 7,
                },
                fingerprint=f"test-{i}",
                built_at="2026-03-11T10:00:00Z",
            )
        )
    WeeklySummary.objects.bulk_create(rows)


def figure_data(html: str) -> list[str]:
    return re.findall(r'<script id="trend-[^"]+-data" type="application/json">(.*?)</script>', html)


def scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


@time_machine.travel(TODAY)
def test_the_dashboard_shows_this_week_against_last_the_charts_and_insights(patient_client, patient):
    add_weeks(patient, 12)
    response = patient_client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    assert "This week (from 9 Mar) against last week" in html
    for chart in ("score", "food", "sleep", "fatigue"):
        assert f'id="trend-{patient.pk}-{chart}-data"' in html
        assert f'data-trend-figure="trend-{patient.pk}-{chart}-data"' in html
    assert "Fatigue after low-fiber days" in html
    assert "not causes" in html
    assert html.count("plotly-basic-4.1.1.min.js") == 1
    assert response["Cache-Control"].startswith("no-store")
    # Tables that scroll sideways on a phone can be reached and scrolled by keyboard.
    assert '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="compare-heading">' in html
    assert html.count('class="table-wrap" tabindex="0" role="region"') == 5


@time_machine.travel(TODAY)
def test_no_inline_script_reaches_the_page(patient_client, patient):
    add_weeks(patient, 4)
    html = patient_client.get(URL).content.decode()

    for tag in scripts(html):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert "style=" not in html
    assert "script-src 'self'" in patient_client.get(URL)["Content-Security-Policy"]


@pytest.mark.parametrize("weeks", ["4", "12", "26", "52"])
@time_machine.travel(TODAY)
def test_the_period_goes_from_four_weeks_to_a_year(patient_client, patient, weeks):
    add_weeks(patient, 60)
    response = patient_client.get(URL, {"weeks": weeks})
    assert response.status_code == 200
    assert response.context["start"] == MONDAY - timedelta(weeks=int(weeks) - 1)
    score = response.context["trend_data"].weeks
    assert len(score) == int(weeks)


@time_machine.travel(TODAY)
def test_a_bad_period_falls_back_to_twelve_weeks(patient_client, patient):
    response = patient_client.get(URL, {"weeks": "9999<script>"})
    assert response.status_code == 200
    assert response.context["weeks"] == 12


@time_machine.travel(TODAY)
def test_the_dashboard_query_count_does_not_grow_with_history(patient_client, patient, other_patient, client):
    add_weeks(patient, 2)
    add_weeks(other_patient, 52)
    patient_client.get(URL)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as short:
        patient_client.get(URL, {"weeks": "52"})
    client.force_login(other_patient)
    client.get(URL)
    with CaptureQueriesContext(connection) as long:
        client.get(URL, {"weeks": "52"})

    assert len(short.captured_queries) == len(long.captured_queries)
    assert len(long.captured_queries) <= 10


def test_other_roles_are_not_allowed_on_the_trends_pages(clinician_client, admin_client):
    for client in (clinician_client, admin_client):
        assert client.get(URL).status_code == 403
        assert client.get(reverse("trends:charts")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@time_machine.travel(TODAY)
def test_while_the_first_weeks_build_the_page_says_so_and_polls(patient_client, patient):
    PendingWeek.objects.create(patient=patient, week_start=MONDAY, requested_at="2026-03-11T09:00:00Z")
    html = patient_client.get(URL).content.decode()

    assert "Your charts are being built" in html
    assert 'hx-trigger="every 3s"' in html
    assert f"{reverse('trends:charts')}?start=" in html and "poll=1" in html


@time_machine.travel(TODAY)
def test_a_poll_while_pending_returns_only_the_status_line(patient_client, patient):
    PendingWeek.objects.create(patient=patient, week_start=MONDAY, requested_at="2026-03-11T09:00:00Z")
    query = {"start": "2025-12-22", "end": "2026-03-11", "poll": "1"}
    response = patient_client.get(reverse("trends:charts"), query, headers={"HX-Request": "true"})
    html = response.content.decode()

    assert response.status_code == 200
    assert html.strip().startswith('<p id="trend-status"')
    assert 'id="trend-charts"' not in html
    assert "poll=2" in html and 'hx-trigger="every 3s"' in html


@time_machine.travel(TODAY)
def test_once_built_the_poll_swaps_in_the_charts_and_stops(patient_client, patient):
    add_weeks(patient, 3)
    query = {"start": "2025-12-22", "end": "2026-03-11", "poll": "4"}
    response = patient_client.get(reverse("trends:charts"), query, headers={"HX-Request": "true"})
    html = response.content.decode()

    assert response["HX-Retarget"] == "#trend-charts"
    assert response["HX-Reswap"] == "outerHTML"
    assert html.strip().startswith('<div id="trend-charts"')
    assert "hx-trigger" not in html
    assert "plotly-basic" not in html  # the page loaded it already
    assert f'id="trend-{patient.pk}-fatigue-data"' in html


@time_machine.travel(TODAY)
def test_polling_gives_up_after_a_few_minutes(patient_client, patient):
    PendingWeek.objects.create(patient=patient, week_start=MONDAY, requested_at="2026-03-11T09:00:00Z")
    query = {"start": "2025-12-22", "end": "2026-03-11", "poll": "60"}
    html = patient_client.get(reverse("trends:charts"), query, headers={"HX-Request": "true"}).content.decode()

    assert "hx-trigger" not in html
    assert "taking longer than usual" in html and "Reload the page" in html


@time_machine.travel(TODAY)
def test_the_charts_page_works_without_htmx_and_rejects_bad_ranges_politely(patient_client, patient):
    add_weeks(patient, 3)
    ok = patient_client.get(reverse("trends:charts"), {"start": "2026-02-01", "end": "2026-03-11"})
    assert ok.status_code == 200 and "<table>" in ok.content.decode()
    for query in (
        {"start": "2026-03-11", "end": "2026-01-01"},
        {"start": "x", "end": "\x00"},
        {"start": "2000-01-01", "end": "2026-03-11"},
    ):
        response = patient_client.get(reverse("trends:charts"), query)
        assert response.status_code == 200
        assert "error-summary" in response.content.decode()


@time_machine.travel(TODAY)
def test_the_tag_shows_a_patients_charts_to_a_clinician_without_polling(patient, clinician):
    add_weeks(patient, 4)
    PendingWeek.objects.create(patient=patient, week_start=MONDAY, requested_at="2026-03-11T09:00:00Z")
    request = RequestFactory().get("/clinic/patients/1/")
    request.user = clinician
    request.htmx = HtmxDetails(request)  # as django-htmx's middleware sets it on every request
    template = Template(
        "{% load trends_tags %}{% trend_charts patient start end %}{% trend_charts patient start end %}"
    )
    with CaptureQueriesContext(connection) as queries:
        html = template.render(
            Context({"request": request, "patient": patient, "start": date(2026, 2, 1), "end": TODAY})
        )

    assert f'id="trend-{patient.pk}-score-data"' in html
    assert "hx-get" not in html and "Reload the page" in html
    # The entries are the patient's, not the reader's.
    assert "with the patient's latest entries" in html and "your latest entries" not in html
    assert html.count("plotly-basic-4.1.1.min.js") == 1  # assets once per page
    # Whatever the history: one query per use (the summaries' digest, the rule set's id and the pending
    # marker), and the summaries and the rule set only the first time (PostgreSQL; SQLite has no digest
    # and reads the summaries, the pending marker and the rule set's id each time).
    summaries = [q for q in queries.captured_queries if q["sql"].startswith('SELECT "trends_weeklysummary"')]
    assert (len(queries.captured_queries), len(summaries)) == ((4, 1) if connection.vendor == "postgresql" else (7, 2))


@time_machine.travel(TODAY)
def test_a_chart_with_nothing_to_draw_says_so_instead_of_an_empty_plot(patient_client, patient):
    add_weeks(patient, 2)
    WeeklySummary.objects.filter(patient=patient).update(mean_score=None, rule_means=[])
    html = patient_client.get(URL).content.decode()

    assert f'id="trend-{patient.pk}-score-data"' not in html
    assert f'id="trend-{patient.pk}-fatigue-data"' in html
    assert "Nothing to draw yet in this period." in html


@time_machine.travel(TODAY)
def test_a_patient_without_entries_sees_an_invitation_to_log(patient_client):
    html = patient_client.get(URL).content.decode()
    assert "No weekly charts yet" in html
    assert reverse("tracker:today") in html


@time_machine.travel(TODAY)
def test_the_page_speaks_french(patient_client, patient):
    add_weeks(patient, 4)
    patient_client.cookies["django_language"] = "fr"
    html = patient_client.get(URL).content.decode()
    assert "Vos tendances semaine par semaine" in html and "<title>Tendances" in html
    assert "Fatigue après des jours pauvres en fibres" in html


@time_machine.travel(TODAY)
def test_the_demo_builds_every_week_of_the_demo_patient(patient, django_capture_on_commit_callbacks):
    for offset in range(0, 20, 3):
        FatigueFactory(patient=patient, date=TODAY - timedelta(days=offset), score=4)
    MealItemFactory(patient=patient, date=TODAY - timedelta(days=30))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo.load({"patient": patient}, out)
    weeks = set(WeeklySummary.objects.filter(patient=patient).values_list("week_start", flat=True))

    assert weekly.week_start(TODAY - timedelta(days=30)) in weeks and MONDAY in weeks
    assert len(weeks) == 5
    demo.load({"patient": patient}, out)  # safe twice
    assert WeeklySummary.objects.filter(patient=patient).count() == 5


@time_machine.travel(TODAY)
def test_the_charts_are_kept_until_a_summary_the_range_or_the_language_changes(patient_client, patient, monkeypatch):
    built: list[int] = []
    build = figures.build_charts
    monkeypatch.setattr(
        figures, "build_charts", lambda weeks, *rest, **kw: built.append(len(weeks)) or build(weeks, *rest, **kw)
    )
    add_weeks(patient, 4)
    first = patient_client.get(URL, {"weeks": "4"}).content.decode()
    again = patient_client.get(URL, {"weeks": "4"}).content.decode()
    assert built == [4] and figure_data(again) == figure_data(first) and len(figure_data(first)) == 4

    WeeklySummary.objects.filter(patient=patient, week_start=MONDAY).update(fiber_g=33.25)
    changed = patient_client.get(URL, {"weeks": "4"}).content.decode()
    assert built == [4, 4] and "<td>33.2</td>" in changed and "<td>33.2</td>" not in first
    patient_client.get(URL, {"weeks": "12"})
    assert built == [4, 4, 4]  # another range: its own charts (12 weeks, 4 of them logged)
    patient_client.cookies["django_language"] = "fr"
    french = patient_client.get(URL, {"weeks": "4"}).content.decode()
    assert built == [4, 4, 4, 4] and "<td>33,2</td>" in french

    # A week scored by a rule the published set no longer has takes its title from the rule table:
    # built on every load, never kept.
    WeeklySummary.objects.filter(patient=patient, week_start=MONDAY).update(
        rule_means=[{"key": "retired", "points": 5.0, "possible": 10.0, "days": 6}]
    )
    monkeypatch.setattr(presenters, "rule_titles", lambda version, keys: dict.fromkeys(keys, "A retired rule"))
    for _ in range(2):
        assert "A retired rule" in patient_client.get(URL, {"weeks": "4"}).content.decode()
    assert built == [4] * 6


@time_machine.travel(TODAY)
def test_the_charts_draw_before_any_rule_set_is_published(patient_client, patient):
    """Kept charts are built from what was read before: with no rule set yet, nothing is read again."""
    add_weeks(patient, 4)
    WeeklySummary.objects.filter(patient=patient).update(rule_means=[])  # (no rule's title to look up)
    RuleSetVersion.objects.all().delete()
    html = patient_client.get(URL, {"weeks": "4"}).content.decode()
    assert len(figure_data(html)) == 4


@time_machine.travel(TODAY)
def test_charts_looked_up_by_digest_read_their_summaries_only_when_not_kept(patient_client, patient, monkeypatch):
    """The charts page (as the review's charts): on PostgreSQL, a digest of the summaries finds kept charts."""
    need(connection.vendor == "postgresql", "the summaries' digest is PostgreSQL's md5")
    read: list[int] = []
    chart_weeks = selectors.chart_weeks
    monkeypatch.setattr(selectors, "chart_weeks", lambda *a: read.append(1) or chart_weeks(*a))
    add_weeks(patient, 4)
    query = {"start": "2026-02-16", "end": "2026-03-11"}
    first = patient_client.get(reverse("trends:charts"), query).content.decode()
    again = patient_client.get(reverse("trends:charts"), query).content.decode()
    assert read == [1] and figure_data(again) == figure_data(first) and len(figure_data(first)) == 4
    WeeklySummary.objects.filter(patient=patient, week_start=MONDAY).update(fiber_g=33.25)
    changed = patient_client.get(reverse("trends:charts"), query).content.decode()
    assert read == [1, 1] and "<td>33.2</td>" in changed and "<td>33.2</td>" not in first
    WeeklySummary.objects.filter(patient=patient).delete()
    assert figure_data(patient_client.get(reverse("trends:charts"), query).content.decode()) == []


@pytest.mark.parametrize(
    ("marked", "start", "seen"),
    [
        (MONDAY, MONDAY + timedelta(days=6), True),  # the range starts on the week's Sunday
        (MONDAY, MONDAY, True),
        (MONDAY - timedelta(days=7), MONDAY, False),  # the week before the range
        (TODAY + timedelta(days=5), MONDAY, True),  # the range's last week (it ends on a Monday)
        (TODAY + timedelta(days=12), MONDAY, False),  # a week after it
    ],
)
def test_a_pending_week_counts_when_it_overlaps_the_range(patient, marked, start, seen):
    """Both ways of asking (the kept charts' one-query lookup on PostgreSQL, and the summaries'
    read) see a week being rebuilt exactly when it overlaps the range."""
    PendingWeek.objects.create(patient=patient, week_start=marked, requested_at="2026-03-11T09:00:00Z")
    end = TODAY + timedelta(days=5)
    assert selectors.chart_data(patient.pk, start, end).pending is seen
    lookup = selectors.chart_lookup(patient.pk, start, end)
    assert lookup is None or lookup.pending is seen
