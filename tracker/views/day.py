"""A day's page, the day picker and one section of a day (for htmx)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from accounts.decorators import patient_required
from guidance.selectors import day_panel, panel_of
from guidance.templatetags.guidance_tags import panel_context
from msgut.http import AuthenticatedHttpRequest, PatientHttpRequest
from msgut.kept_pages import kept_page, kept_part, kept_part_if_any, page_key
from tracker import selectors
from tracker.forms import DatePickForm, FoodSearchForm
from tracker.models import Food
from tracker.views.common import (
    DAY_SECTIONS,
    day_context,
    day_log,
    day_url,
    meal_or_404,
    past_or_today,
    read_day,
    render_fragment,
    search_from_query,
)


def _render_day(
    request: PatientHttpRequest, day: date, search: tuple[str, FoodSearchForm, list[Food]] | None = None
) -> HttpResponse:
    if search:
        log = day_log(request, day)
        context = day_context(log)
        meal_value, form, results = search
        view = next(m for m in log.meals if m.meal == meal_value)
        view.forms["search"] = form
        view.results = results
        view.searched = True
        return render(request, "tracker/day.html", context)
    # The page is kept while the rows it is drawn from and its score line are the same (msgut.kept_pages).
    read = read_day(request, day)
    # A score the worker has not stored yet (the day just changed) is asked for by the line itself.
    panel = panel_of(request.user, day, *read.score_rows(), compute=False)
    # Besides the rows: the hidden sections, the score line, and the sign-up date (the MFIS is due from it).
    version = panel.version.pk if panel.version else None
    shown = (sorted(read.hidden), version, panel.has_entries, panel.total, panel.pending)
    key = page_key(request, "tracker/day.html", (*read.texts, repr(shown), str(request.user.date_joined)))

    def draw(marks: dict[str, Any]) -> str:
        log = selectors.day_log_of(read)
        # Each section is kept too, from the rows it is drawn from: after a save only the section
        # saved to (and the score line) is drawn again, and only its forms are made.
        keys = {section: _section_key(request, read, section) for section in DAY_SECTIONS if log.shown[section]}
        sections = {section: kept_part_if_any(*key) for section, key in keys.items()}
        missing = [section for section, html in sections.items() if html is None]
        # The meals section redrawn: each meal is kept too, so a food added to lunch redraws lunch alone.
        to_draw = _meals_not_kept(request, log) if "meals" in missing else []
        only = to_draw[0][0].meal if len(to_draw) == 1 else None
        # (forms only for what is drawn: no meal's when every meal is kept)
        forms_for = [section for section in missing if section != "meals" or to_draw]
        context = {**day_context(log, sections=forms_for, meal=only), "day_panel": panel, **marks}
        for view, key in to_draw:
            meal = partial(render_to_string, "tracker/day.html#meal", {**context, "meal": view}, request=request)
            view.kept = kept_part(*key, meal)
        for section in missing:
            name = f"tracker/day.html#{section}"
            sections[section] = kept_part(*keys[section], partial(render_to_string, name, context, request=request))
        return render_to_string("tracker/day.html", {**context, "kept_sections": sections}, request=request)

    return HttpResponse(kept_page(request, key, draw))


def _section_key(request: PatientHttpRequest, read: selectors.DayRead, section: str) -> tuple[str, tuple[str, ...]]:
    """A kept section's name and what it is drawn from (`kept_part`): as a page's key (`page_key`:
    the patient, the day's address, language, time zone and date), with the section's rows, the
    hidden sections and the sign-up date."""
    name = f"tracker/day.html#{section}"
    drawn_from = (repr(sorted(read.hidden)), str(request.user.date_joined), *read.section_texts(section))
    return name, (page_key(request, name, drawn_from),)


def _meals_not_kept(
    request: PatientHttpRequest, log: selectors.DayLog
) -> list[tuple[selectors.MealView, tuple[str, tuple[str, ...]]]]:
    """Each meal kept from before put in (`MealView.kept`); the others with their keys, to be drawn."""
    missing = []
    for view in log.meals:
        key = _meal_key(request, log, view)
        view.kept = kept_part_if_any(*key) or ""
        if not view.kept:
            missing.append((view, key))
    return missing


def _meal_key(
    request: PatientHttpRequest, log: selectors.DayLog, view: selectors.MealView
) -> tuple[str, tuple[str, ...]]:
    """A kept meal's name and what it is drawn from: as a page's key (`page_key`), with the meal's
    rows (its foods of the day and theirs, its one-tap foods, how many it had yesterday), the recent
    foods (stars), the favourites and the saved meals, each row with all its fields."""
    name = "tracker/day.html#meal"
    drawn_from = (
        view.meal,
        str(view.yesterday_count),
        _rows(view.items),
        _rows(item.food for item in view.items),
        _rows(view.offers),
        repr([food.pk for food in view.recent]),
        repr(sorted(log.favorite_ids)),
        _rows(log.saved_meals),
    )
    return name, (page_key(request, name, drawn_from),)


def _rows(rows: Iterable[Model]) -> str:
    """Model rows as text, every field of each (what a kept part drawn from them depends on)."""
    return repr([tuple(getattr(row, f.attname) for f in row._meta.concrete_fields) for row in rows])


@require_GET
def today(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's page, also the installed app's start page: a clinician or admin who opens it is sent
    to their own start page rather than refused."""
    if not request.user.is_patient:
        return redirect(request.user.home_url())
    return _today(request)


@patient_required
def _today(request: PatientHttpRequest) -> HttpResponse:
    return _render_day(request, selectors.patient_today(), search_from_query(request) if "q" in request.GET else None)


@require_GET
@patient_required
@past_or_today
def day_page(request: PatientHttpRequest, day: date) -> HttpResponse:
    return _render_day(request, day, search_from_query(request) if "q" in request.GET else None)


@require_GET
@patient_required
def go_to_day(request: PatientHttpRequest) -> HttpResponse:
    form = DatePickForm(request.GET)
    if form.is_valid():
        return redirect(day_url(form.cleaned_data["date"]))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("tracker:today")


@require_GET
@patient_required
@past_or_today
def section(request: PatientHttpRequest, day: date, section: str) -> HttpResponse:
    """One section of a day, for htmx ("Keep it" after a delete question)."""
    meal = section.removeprefix("meal-")
    if section.startswith("meal-"):
        meal_or_404(meal)
    elif section not in DAY_SECTIONS:
        raise Http404
    if not request.htmx:
        return redirect(day_url(day, section))
    log = day_log(request, day)
    context = day_context(log)
    if section.startswith("meal-"):
        context["meal"] = next(m for m in log.meals if m.meal == meal)
        return HttpResponse(render_to_string("tracker/day.html#meal-body", context, request=request))
    return HttpResponse(render_fragment(request, section, context))


@require_GET
@patient_required
@past_or_today
def day_score_line(request: PatientHttpRequest, day: date) -> HttpResponse:
    """The day's score line, for htmx: a pending line asks for it a few seconds after a change. Stored
    by then, or computed now if the worker has not got to it (it is never shown out of date)."""
    if not request.htmx:
        return redirect(day_url(day, "day-score"))
    context = {"day": day, "day_panel": day_panel(request.user, day)}
    return render(request, "tracker/day.html#day-score", context)


@require_GET
@patient_required
@past_or_today
def day_score(request: PatientHttpRequest, day: date) -> HttpResponse:
    """The day's guidance panel, a line per rule: htmx asks for it when the page's folded score line is
    opened; without JavaScript it is a page of its own."""
    context = {**panel_context(day_panel(request.user, day), request.user, day), "day": day}
    if request.htmx:
        return render(request, "guidance/day_score_panel.html", context)
    return render(request, "tracker/day_score.html", {**context, "is_today": day == selectors.patient_today()})
