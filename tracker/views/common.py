"""What the daily log's views share: the day's address, the future-day refusal, the day's
context and the answer to a write (a fragment for htmx, the page again, or a redirect)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.services import profile_of
from guidance.selectors import panel_of
from msgut.http import PatientHttpRequest
from tracker import selectors
from tracker.forms import (
    ApplySavedMealForm,
    CustomSymptomForm,
    DatePickForm,
    FatigueForm,
    FoodSearchForm,
    LifestyleForm,
    SaveMealForm,
    SleepForm,
    StoolForm,
    SymptomsForm,
)
from tracker.fragments import Addresses
from tracker.measures import MFIS_INTERVAL_DAYS
from tracker.models import Food, MealType

SEARCH_LIMIT = 8
DAY_SECTIONS = ("sleep", "fatigue", "symptoms", "lifestyle", "meals")
MEALS = set(MealType.values)
CARRIED_OVER = ("tobacco", "cigarettes", "vitamin_d_iu", "propionate_mg", "probiotic", "other_supplements")

P = ParamSpec("P")
DayView = Callable[Concatenate[PatientHttpRequest, date, P], HttpResponse]


def day_url(day: date, anchor: str = "") -> str:
    url = reverse("tracker:today") if day == selectors.patient_today() else reverse("tracker:day", args=[day])
    return f"{url}#{anchor}" if anchor else url


def refuse_future(request: PatientHttpRequest) -> HttpResponse:
    messages.error(request, _("You cannot log a day in the future. Here is today."))
    if request.htmx:
        return HttpResponseClientRedirect(reverse("tracker:today"))
    return redirect("tracker:today")


def meal_or_404(meal: str) -> str:
    if meal not in MEALS:
        raise Http404
    return meal


def past_or_today(view: DayView[P]) -> DayView[P]:
    """A day's page or write refuses a future day (in the patient's time zone)."""

    @wraps(view)
    def wrapper(request: PatientHttpRequest, /, day: date, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if day > selectors.patient_today():
            return refuse_future(request)
        return view(request, day, *args, **kwargs)

    # Django passes `day` by keyword, so it cannot be positional-only, as Concatenate would need
    # for mypy to prove that P's keywords never hold a second `day`; URL patterns guarantee it.
    return cast(DayView[P], wrapper)


def read_day(request: PatientHttpRequest, day: date) -> selectors.DayRead:
    """The day's rows as the patient tracks it: sections they hid are neither read nor drawn."""
    return selectors.read_day(request.user, day, hidden=profile_of(user=request.user).hidden_sections or ())


def day_log(request: PatientHttpRequest, day: date) -> selectors.DayLog:
    return selectors.day_log_of(read_day(request, day))


def day_context(
    log: selectors.DayLog,
    bound: dict[str, Any] | None = None,
    sections: Collection[str] | None = None,
    meal: str | None = None,
) -> dict[str, Any]:
    """What the day page is drawn from; with `sections`, the forms of those sections only, and with
    `meal`, of that meal only (an answer that redraws one of them)."""
    bound = bound or {}
    user = log.patient

    def drawn(section: str) -> bool:
        return sections is None or section in sections

    def form(section: str, name: str, make: Callable[[], Any]) -> Any:
        """The section's form as posted (`bound`), else a new one; none for a section not drawn."""
        return (bound.get(name) or make()) if drawn(section) else None

    for view in log.meals if drawn("meals") else ():
        if meal is not None and view.meal != meal:
            continue
        view.add_url = reverse("tracker:meal-add", args=[log.day, view.meal])
        view.forms = {
            "search": bound.get(f"search-{view.meal}") or FoodSearchForm(initial={"meal": view.meal}),
            "add": bound.get(f"add-{view.meal}"),
            "save": bound.get(f"save-{view.meal}") or SaveMealForm(),
            "saved": bound.get(f"saved-{view.meal}") or ApplySavedMealForm(user=user),
        }
    previous = log.previous_sleep
    sleep_initial = {}
    if drawn("sleep") and log.sleep is None and previous is not None:
        # Last night is usually like the one before: start from it, the patient adjusts.
        # Every time and count of the diary; the quality of the night is rated anew.
        sleep_initial = {name: getattr(previous, name) for name in SleepForm.Meta.fields if name != "quality"}
    lifestyle_initial: dict[str, Any] = {}
    if drawn("lifestyle") and log.lifestyle is None and log.previous_lifestyle is not None:
        # Supplements and tobacco are habits: the last entry's are offered, one tap saves them again.
        lifestyle_initial = {name: getattr(log.previous_lifestyle, name) for name in CARRIED_OVER}
    symptoms_initial: dict[str, Any] = {f"rating_{k}": v for k, v in log.ratings.items()}
    if log.symptoms:
        symptoms_initial.update(mood=log.symptoms.mood, stress=log.symptoms.stress, note=log.symptoms.note)
    today = selectors.patient_today()
    return {
        "log": log,
        "item_links": Addresses(log.day),
        "day": log.day,
        "today": today,
        "is_today": log.day == today,
        "previous_day": log.day - timedelta(days=1),
        "next_day": log.day + timedelta(days=1) if log.day < today else None,
        "date_form": DatePickForm(initial={"date": log.day}),
        "sleep_form": form("sleep", "sleep", lambda: SleepForm(instance=log.sleep, initial=sleep_initial)),
        "sleep_prefilled": bool(sleep_initial),
        "fatigue_form": form(
            "fatigue", "fatigue", lambda: FatigueForm(initial={"score": log.fatigue.score if log.fatigue else None})
        ),
        "symptoms_form": form(
            "symptoms", "symptoms", lambda: SymptomsForm(initial=symptoms_initial, symptoms=log.custom_symptoms)
        ),
        "stool_form": form("symptoms", "stool", StoolForm),
        "custom_symptom_form": form("symptoms", "custom-symptom", CustomSymptomForm),
        "lifestyle_form": form(
            "lifestyle", "lifestyle", lambda: LifestyleForm(instance=log.lifestyle, initial=lifestyle_initial)
        ),
        "lifestyle_prefilled": any(lifestyle_initial.values()),
        "scale": range(11),
        "mfis_next": (log.mfis_last_completed + timedelta(days=MFIS_INTERVAL_DAYS))
        if log.mfis_last_completed
        else None,
    }


def respond(
    request: PatientHttpRequest,
    day: date,
    *,
    fragments: list[str],
    bound: dict[str, Any] | None = None,
    meal: str | None = None,
    status_text: str = "",
    anchor: str = "",
    invalid: bool = False,
) -> HttpResponse:
    """Fragments (htmx) or the whole page (invalid plain POST), or a redirect back (valid plain POST)."""
    if not request.htmx and not invalid:
        if status_text:
            messages.success(request, status_text)
        return HttpResponseRedirect(day_url(day, anchor))
    read = read_day(request, day)
    # An htmx answer parses and prepares the sections it redraws only; a refused plain post, the page.
    sections = _sections_of(fragments) if request.htmx else None
    log = selectors.day_log_of(read, sections)
    context = day_context(log, bound, sections, meal=meal if request.htmx and fragments == ["meal"] else None)
    # The save marked the day stale: its score line asks for the score once the worker has stored it.
    context["day_panel"] = panel_of(request.user, day, *read.score_rows(), compute=False)
    if meal:
        context["meal"] = next(m for m in log.meals if m.meal == meal)
    if not request.htmx:
        return render(request, "tracker/day.html", context, status=422)
    context["status_text"] = status_text or (_("Please check the highlighted fields.") if invalid else "")
    context["status_at"] = anchor
    names = [*fragments, "status-oob"]
    if not invalid:
        names.append("day-score-oob")
    return HttpResponse("".join(render_fragment(request, name, context) for name in names))


def _sections_of(fragments: list[str]) -> set[str] | None:
    """The sections of the day these fragments draw (None: one is not a section's: all of them)."""
    sections = {"meals" if name in ("meal", "meals") else name for name in fragments}
    return sections if sections <= set(selectors.SECTION_PARTS) else None


def render_fragment(request: PatientHttpRequest, name: str, context: dict[str, Any]) -> str:
    """One named part of the day page. A meal answers with its body (list and one-tap foods) and,
    out of band, its "more" box; "meals" with every meal's, out of band: never a search box."""
    if name == "meal":
        return render_to_string("tracker/day.html#meal-body", context, request=request) + render_to_string(
            "tracker/day.html#meal-more", {**context, "oob": True}, request=request
        )
    if name == "meals":
        name = "meals-oob"
    return render_to_string(f"tracker/day.html#{name}", context, request=request)


def search_from_query(request: PatientHttpRequest) -> tuple[str, FoodSearchForm, list[Food]] | None:
    form = FoodSearchForm(request.GET)
    if not form.is_valid():
        return None
    query = form.cleaned_data["q"]
    results = selectors.search_foods(request.user, query, limit=SEARCH_LIMIT) if query else []
    return form.cleaned_data["meal"], form, results
