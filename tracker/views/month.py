"""A month at a glance: which days have entries, each day's guidance score and fatigue."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from tracker import selectors

# The years the month view pages through; any other year in the URL is not a page.
MONTH_VIEW_YEARS = range(2000, 2101)


@require_GET
@patient_required
def month(request: PatientHttpRequest, year: int | None = None, month: int | None = None) -> HttpResponse:
    today = selectors.patient_today()
    year = year or today.year
    month = month or today.month
    if month not in range(1, 13) or year not in MONTH_VIEW_YEARS:
        raise Http404
    if (year, month) > (today.year, today.month):
        return redirect("tracker:month")
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    entries = selectors.month_entries(request.user, weeks[0][0], weeks[-1][-1])
    grid = [
        [
            selectors.MonthDay(
                d,
                d.month == month,
                d > today,
                entries.kinds.get(d, []),
                fatigue=entries.fatigue.get(d),
                score=entries.scores.get(d),
            )
            for d in week
        ]
        for week in weeks
    ]
    first = date(year, month, 1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    logged = sum(1 for week in grid for d in week if d.in_month and d.logged)
    return render(
        request,
        "tracker/month.html",
        {
            "grid": grid,
            "first": first,
            "previous": previous,
            "following": following if following <= today else None,
            "logged": logged,
            "weekdays": weeks[0],
            "today": today,
        },
    )
