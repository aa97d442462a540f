"""Trend pages show the signed-in patient's own data."""

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import reswap, retarget

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from trends import insights, presenters, selectors, weekly
from trends.forms import ChartRangeForm, RangeForm


@require_GET
@patient_required
def dashboard(request: PatientHttpRequest) -> HttpResponse:
    """This week against last, the trend charts over the chosen period, and insights."""
    patient = request.user
    form = RangeForm(request.GET or None)
    weeks = form.weeks_or_default()
    today = timezone.localdate()
    monday = weekly.week_start(today)
    start = monday - timedelta(weeks=weeks - 1)
    data = selectors.chart_data(patient.pk, start, today)
    rows = data.weeks
    later, earlier, later_monday = insights.weeks_to_compare(rows, monday)
    this_week = next((row for row in rows if row["week_start"] == monday), None)
    last_week = next((row for row in rows if row["week_start"] == monday - timedelta(days=7)), None)
    context = {
        "form": form,
        "weeks": weeks,
        "start": start,
        "end": today,
        "monday": monday,
        "trend_data": data,
        "this_week": this_week,
        "last_week": last_week,
        "comparison": presenters.comparison_rows(insights.compare(this_week, last_week)),
        "changes": presenters.change_sentences(insights.compare(later, earlier), later_monday),
        "compared_weeks": (later_monday - timedelta(days=7), later_monday) if later and earlier else None,
        "associations": presenters.association_sentences(insights.associations(rows)),
        "has_weeks": bool(rows),
    }
    return render(request, "trends/dashboard.html", context)


@require_GET
@patient_required
def charts(request: PatientHttpRequest) -> HttpResponse:
    """The charts of a range: polled by htmx while a rebuild is pending, a plain page otherwise.

    While still pending, an htmx poll gets only the status line back (the charts
    on screen stay as they are); once built, the whole #trend-charts block
    replaces itself, without the polling attribute.
    """
    patient = request.user
    form = ChartRangeForm(request.GET)
    if not form.is_valid():
        today = timezone.localdate()
        start, end, poll = weekly.week_start(today) - timedelta(weeks=11), today, 0
    else:
        start, end, poll = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["poll"] or 0
    context = presenters.charts_context(request, patient, start, end, poll=poll)
    context["form"] = form
    if request.htmx:
        if context["pending"]:
            return render(request, "trends/trend_charts.html#trend-status", context)
        response = render(request, "trends/trend_charts.html#trend-charts", context)
        return reswap(retarget(response, "#trend-charts"), "outerHTML")
    return render(request, "trends/charts_page.html", context)
