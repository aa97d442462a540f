"""The patient's daily log. Thin views: a form parses, a service writes, a page or fragment answers.

With htmx a section answers with its own fragment (plus the status line and the
day's score, out of band); without JavaScript every form is a plain POST that
redirects back to the day, or re-renders the page with the errors and what was typed.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from tracker import selectors, services
from tracker.forms import (
    FINISH,
    ApplySavedMealForm,
    CustomSymptomForm,
    DatePickForm,
    FatigueForm,
    FoodSearchForm,
    LifestyleForm,
    MealItemEditForm,
    MealItemForm,
    MFISForm,
    PrivateFoodForm,
    RelapseForm,
    SaveMealForm,
    SleepForm,
    StoolForm,
    SymptomsForm,
    new_token,
)
from tracker.measures import MFIS_INTERVAL_DAYS, mfis_scores
from tracker.models import Food, MealItem, MealType, MFISResponse, Relapse, SavedMeal
from tracker.templatetags.tracker_tags import food_name

SEARCH_LIMIT = 8
DAY_SECTIONS = ("sleep", "fatigue", "symptoms", "lifestyle", "meals")
MEALS = set(MealType.values)


def patient_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only patients keep a daily log."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or not user.is_patient:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _day_url(day: date, anchor: str = "") -> str:
    url = reverse("tracker:today") if day == selectors.patient_today() else reverse("tracker:day", args=[day])
    return f"{url}#{anchor}" if anchor else url


def _refuse_future(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("You cannot log a day in the future. Here is today."))
    response: HttpResponse = redirect("tracker:today")
    if getattr(request, "htmx", False):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = reverse("tracker:today")
    return response


def _meal_or_404(meal: str) -> str:
    if meal not in MEALS:
        raise Http404
    return meal


def past_or_today(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A day's page or write refuses a future day (in the patient's time zone)."""

    @wraps(view)
    def wrapper(request: HttpRequest, day: date, *args: Any, **kwargs: Any) -> HttpResponse:
        if day > selectors.patient_today():
            return _refuse_future(request)
        return view(request, day, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- rendering a day


def _day_context(request: HttpRequest, log: selectors.DayLog, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    bound = bound or {}
    user = log.patient
    for meal in log.meals:
        meal.forms = {
            "search": bound.get(f"search-{meal.meal}") or FoodSearchForm(initial={"meal": meal.meal}),
            "add": bound.get(f"add-{meal.meal}"),
            "save": bound.get(f"save-{meal.meal}") or SaveMealForm(),
            "saved": bound.get(f"saved-{meal.meal}") or ApplySavedMealForm(user=user),
        }
    previous = log.previous_sleep
    sleep_initial = {}
    if log.sleep is None and previous is not None:
        # Last night is usually like the one before: start from it, the patient adjusts.
        sleep_initial = {
            name: getattr(previous, name)
            for name in (
                "in_bed_at",
                "tried_sleep_at",
                "minutes_to_fall_asleep",
                "awakenings",
                "minutes_awake",
                "final_wake_at",
                "out_of_bed_at",
            )
        }
    symptoms_initial: dict[str, Any] = {f"rating_{k}": v for k, v in log.ratings.items()}
    if log.symptoms:
        symptoms_initial.update(mood=log.symptoms.mood, stress=log.symptoms.stress, note=log.symptoms.note)
    today = selectors.patient_today()
    return {
        "log": log,
        "day": log.day,
        "today": today,
        "is_today": log.day == today,
        "previous_day": log.day - timedelta(days=1),
        "next_day": log.day + timedelta(days=1) if log.day < today else None,
        "date_form": DatePickForm(initial={"date": log.day}),
        "sleep_form": bound.get("sleep") or SleepForm(instance=log.sleep, initial=sleep_initial),
        "sleep_prefilled": bool(sleep_initial),
        "fatigue_form": bound.get("fatigue")
        or FatigueForm(initial={"score": log.fatigue.score if log.fatigue else None}),
        "symptoms_form": bound.get("symptoms") or SymptomsForm(initial=symptoms_initial, symptoms=log.custom_symptoms),
        "stool_form": bound.get("stool") or StoolForm(),
        "custom_symptom_form": bound.get("custom-symptom") or CustomSymptomForm(),
        "lifestyle_form": bound.get("lifestyle") or LifestyleForm(instance=log.lifestyle),
        "scale": range(11),
        "mfis_next": (log.mfis_last_completed + timedelta(days=MFIS_INTERVAL_DAYS))
        if log.mfis_last_completed
        else None,
    }


def _respond(
    request: HttpRequest,
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
    is_htmx = bool(getattr(request, "htmx", False))
    if not is_htmx and not invalid:
        if status_text:
            messages.success(request, status_text)
        return HttpResponseRedirect(_day_url(day, anchor))
    log = selectors.day_log(_user(request), day)
    context = _day_context(request, log, bound)
    if meal:
        context["meal"] = next(m for m in log.meals if m.meal == meal)
    if not is_htmx:
        return render(request, "tracker/day.html", context, status=422)
    context["status_text"] = status_text or (_("Please check the highlighted fields.") if invalid else "")
    names = [*fragments, "status-oob"]
    if not invalid:
        names.append("day-score-oob")
    html = "".join(render_to_string(f"tracker/day.html#{name}", context, request=request) for name in names)
    return HttpResponse(html)


def _render_day(
    request: HttpRequest, day: date, search: tuple[str, FoodSearchForm, list[Food]] | None = None
) -> HttpResponse:
    log = selectors.day_log(_user(request), day)
    context = _day_context(request, log)
    if search:
        meal_value, form, results = search
        view = next(m for m in log.meals if m.meal == meal_value)
        view.forms["search"] = form
        view.results = results
        view.searched = True
    return render(request, "tracker/day.html", context)


def _search(request: HttpRequest) -> tuple[str, FoodSearchForm, list[Food]] | None:
    form = FoodSearchForm(request.GET)
    if not form.is_valid():
        return None
    query = form.cleaned_data["q"]
    results = selectors.search_foods(_user(request), query, limit=SEARCH_LIMIT) if query else []
    return form.cleaned_data["meal"], form, results


@require_GET
@patient_required
def today(request: HttpRequest) -> HttpResponse:
    return _render_day(request, selectors.patient_today(), _search(request) if "q" in request.GET else None)


@require_GET
@patient_required
@past_or_today
def day_page(request: HttpRequest, day: date) -> HttpResponse:
    return _render_day(request, day, _search(request) if "q" in request.GET else None)


@require_GET
@patient_required
def go_to_day(request: HttpRequest) -> HttpResponse:
    form = DatePickForm(request.GET)
    if form.is_valid():
        return redirect(_day_url(form.cleaned_data["date"]))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("tracker:today")


@require_GET
@patient_required
@past_or_today
def section(request: HttpRequest, day: date, section: str) -> HttpResponse:
    """One section of a day, for htmx ("Keep it" after a delete question)."""
    meal = section.removeprefix("meal-")
    if section.startswith("meal-"):
        _meal_or_404(meal)
    elif section not in DAY_SECTIONS:
        raise Http404
    if not getattr(request, "htmx", False):
        return redirect(_day_url(day, section))
    log = selectors.day_log(_user(request), day)
    context = _day_context(request, log)
    name = section
    if section.startswith("meal-"):
        context["meal"] = next(m for m in log.meals if m.meal == meal)
        name = "meal"
    return HttpResponse(render_to_string(f"tracker/day.html#{name}", context, request=request))


@require_GET
@patient_required
@past_or_today
def food_search(request: HttpRequest, day: date) -> HttpResponse:
    found = _search(request)
    if found is None:
        return redirect(_day_url(day))
    if not getattr(request, "htmx", False):
        meal_value = found[0]
        url = _day_url(day).split("#")[0]
        return redirect(f"{url}?{request.GET.urlencode()}#meal-{meal_value}")
    meal_value, form, results = found
    # The results list needs only the meal, not the whole day: keep type-ahead cheap.
    view = selectors.MealView(meal=meal_value, label=str(MealType(meal_value).label))
    view.forms["search"] = form
    view.results = results
    view.searched = bool(form.cleaned_data["q"])
    context = {"meal": view, "day": day}
    return HttpResponse(render_to_string("tracker/day.html#results", context, request=request))


# ---------------------------------------------------------------- meals


@require_POST
@patient_required
@past_or_today
def add_item(request: HttpRequest, day: date, meal: str) -> HttpResponse:
    _meal_or_404(meal)
    user = _user(request)
    form = MealItemForm(request.POST, user=user)
    if not form.is_valid():
        return _respond(
            request,
            day,
            fragments=["meal"],
            meal=meal,
            bound={f"add-{meal}": form},
            invalid=True,
            anchor=f"meal-{meal}",
        )
    item = services.add_meal_item(
        patient=user,
        day=day,
        meal=meal,
        food=form.cleaned_data["food"],
        grams=form.cleaned_data["grams"],
        token=form.cleaned_data["token"],
    )
    label = MealType(meal).label
    text = _("Added %(food)s to %(meal)s.") % {"food": food_name(item.food), "meal": label.lower()}
    return _respond(request, day, fragments=["meal"], meal=meal, status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def copy_meal(request: HttpRequest, day: date, meal: str) -> HttpResponse:
    _meal_or_404(meal)
    added = services.copy_meal_from_previous_day(patient=_user(request), day=day, meal=meal)
    text = (
        ngettext("Copied %(n)s item from yesterday.", "Copied %(n)s items from yesterday.", added) % {"n": added}
        if added
        else _("Nothing new to copy from yesterday.")
    )
    return _respond(request, day, fragments=["meal"], meal=meal, status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def copy_day(request: HttpRequest, day: date) -> HttpResponse:
    added = services.copy_day_from_previous_day(patient=_user(request), day=day)
    text = (
        ngettext("Copied %(n)s item from yesterday.", "Copied %(n)s items from yesterday.", added) % {"n": added}
        if added
        else _("Nothing new to copy from yesterday.")
    )
    return _respond(request, day, fragments=["meals"], status_text=text, anchor="meals")


@require_POST
@patient_required
@past_or_today
def apply_saved(request: HttpRequest, day: date, meal: str) -> HttpResponse:
    _meal_or_404(meal)
    user = _user(request)
    form = ApplySavedMealForm(request.POST, user=user)
    if not form.is_valid():
        return _respond(
            request,
            day,
            fragments=["meal"],
            meal=meal,
            bound={f"saved-{meal}": form},
            invalid=True,
            anchor=f"meal-{meal}",
        )
    saved = form.cleaned_data["saved_meal"]
    added = services.apply_saved_meal(patient=user, day=day, meal=meal, saved_meal=saved)
    text = ngettext("Added %(n)s item from “%(name)s”.", "Added %(n)s items from “%(name)s”.", added) % {
        "n": added,
        "name": saved.name,
    }
    return _respond(request, day, fragments=["meal"], meal=meal, status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def save_meal(request: HttpRequest, day: date, meal: str) -> HttpResponse:
    _meal_or_404(meal)
    user = _user(request)
    form = SaveMealForm(request.POST)
    if not form.is_valid():
        return _respond(
            request, day, fragments=["meals"], bound={f"save-{meal}": form}, invalid=True, anchor=f"meal-{meal}"
        )
    saved = services.save_meal_as(patient=user, day=day, meal=meal, name=form.cleaned_data["name"])
    text = _("Saved this meal as “%(name)s”. Add it to any meal from the Saved meals list.") % {"name": saved.name}
    # Every meal's "saved meals" list changes, so the whole meals block comes back.
    return _respond(request, day, fragments=["meals"], status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def favorite(request: HttpRequest, day: date, food_id: int) -> HttpResponse:
    user = _user(request)
    food = get_object_or_404(Food.objects.available_to(user), pk=food_id)
    on = request.POST.get("favorite") == "1"
    services.set_favorite(patient=user, food=food, favorite=on)
    text = (_("%(food)s is now a favourite.") if on else _("%(food)s is no longer a favourite.")) % {
        "food": food_name(food)
    }
    return _respond(request, day, fragments=["meals"], status_text=text, anchor="meals")


@require_http_methods(["GET", "POST"])
@patient_required
def edit_item(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = get_object_or_404(MealItem.objects.select_related("food"), pk=pk, patient=user)
    form = MealItemEditForm(request.POST or None, initial={"meal": item.meal, "grams": item.grams})
    if request.method == "POST" and form.is_valid():
        services.update_meal_item(
            patient=user, item=item, meal=form.cleaned_data["meal"], grams=form.cleaned_data["grams"]
        )
        messages.success(request, _("Saved %(food)s.") % {"food": food_name(item.food)})
        return redirect(_day_url(item.date, f"meal-{item.meal}"))
    status = 422 if request.method == "POST" else 200
    return render(request, "tracker/item_edit.html", {"item": item, "form": form, "day": item.date}, status=status)


# ---------------------------------------------------------------- sleep, fatigue, symptoms, lifestyle


def _save_section(
    request: HttpRequest,
    day: date,
    name: str,
    form: Any,
    write: Callable[[Any], object],
    text: str,
    fragment: str | None = None,
) -> HttpResponse:
    if day > selectors.patient_today():
        return _refuse_future(request)
    fragment = fragment or name
    if not form.is_valid():
        return _respond(request, day, fragments=[fragment], bound={name: form}, invalid=True, anchor=fragment)
    write(form)
    return _respond(request, day, fragments=[fragment], status_text=text, anchor=fragment)


@require_POST
@patient_required
def sleep(request: HttpRequest, day: date) -> HttpResponse:
    user = _user(request)
    return _save_section(
        request,
        day,
        "sleep",
        SleepForm(request.POST),
        lambda f: services.save_sleep(patient=user, day=day, data=f.cleaned_data),
        _("Sleep saved."),
    )


@require_POST
@patient_required
def fatigue(request: HttpRequest, day: date) -> HttpResponse:
    user = _user(request)
    return _save_section(
        request,
        day,
        "fatigue",
        FatigueForm(request.POST),
        lambda f: services.save_fatigue(patient=user, day=day, score=f.cleaned_data["score"]),
        _("Fatigue saved."),
    )


@require_POST
@patient_required
def symptoms(request: HttpRequest, day: date) -> HttpResponse:
    user = _user(request)
    custom = selectors.day_log(user, day).custom_symptoms if day <= selectors.patient_today() else []

    def write(form: SymptomsForm) -> object:
        data = form.cleaned_data
        return services.save_symptoms(
            patient=user, day=day, mood=data["mood"], stress=data["stress"], note=data["note"], ratings=form.ratings()
        )

    return _save_section(
        request, day, "symptoms", SymptomsForm(request.POST, symptoms=custom), write, _("Symptoms saved.")
    )


@require_POST
@patient_required
def stool(request: HttpRequest, day: date) -> HttpResponse:
    user = _user(request)

    def write(form: StoolForm) -> object:
        return services.add_stool_event(
            patient=user, day=day, bristol_type=form.cleaned_data["bristol_type"], token=form.cleaned_data["token"]
        )

    return _save_section(request, day, "stool", StoolForm(request.POST), write, _("Bowel movement added."), "symptoms")


@require_POST
@patient_required
def custom_symptom(request: HttpRequest, day: date) -> HttpResponse:
    user = _user(request)
    return _save_section(
        request,
        day,
        "custom-symptom",
        CustomSymptomForm(request.POST),
        lambda f: services.add_custom_symptom(patient=user, name=f.cleaned_data["name"]),
        _("Symptom added: rate it below, then save."),
        "symptoms",
    )


@require_POST
@patient_required
def lifestyle(request: HttpRequest, day: date) -> HttpResponse:
    user = _user(request)
    return _save_section(
        request,
        day,
        "lifestyle",
        LifestyleForm(request.POST),
        lambda f: services.save_lifestyle(patient=user, day=day, data=f.cleaned_data),
        _("Lifestyle saved."),
    )


# ---------------------------------------------------------------- deleting (always asks first)

DELETE_LABELS = {
    "meal-item": "",
    "stool": _("this bowel movement"),
    "sleep": _("this night's sleep diary"),
    "fatigue": _("today's fatigue rating"),
    "symptoms": _("this day's mood, stress, note and symptom ratings"),
    "lifestyle": _("this day's lifestyle entry"),
    "mfis": _("this questionnaire"),
    "relapse": _("this relapse"),
}


def _section_of(kind: str, entry: models.Model) -> str:
    if kind == "meal-item":
        return f"meal-{entry.meal}"  # type: ignore[attr-defined]
    return {"stool": "symptoms"}.get(kind, kind)


@require_http_methods(["GET", "POST"])
@patient_required
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = services.DELETABLE.get(kind)
    if model is None:
        raise Http404
    user = _user(request)
    entry = get_object_or_404(model._default_manager.all(), pk=pk, patient=user)
    day = services.entry_day(entry)
    section_id = _section_of(kind, entry)
    is_htmx = bool(getattr(request, "htmx", False))
    in_day = kind not in ("mfis", "relapse")
    if kind == "relapse":
        back = reverse("tracker:relapses")
    elif kind == "mfis":
        back = reverse("tracker:mfis")
    else:
        back = _day_url(day, section_id)
    if request.method == "GET":
        what = f"{food_name(entry.food)} {entry.grams:g} g" if isinstance(entry, MealItem) else DELETE_LABELS[kind]
        context = {"kind": kind, "entry": entry, "what": what, "back": back, "day": day, "section_id": section_id}
        template = "tracker/confirm_delete.html#confirm" if is_htmx and in_day else "tracker/confirm_delete.html"
        return render(request, template, context)
    services.delete_entry(patient=user, entry=entry)
    text = _("Deleted.")
    if in_day and is_htmx:
        meal = section_id.removeprefix("meal-") if section_id.startswith("meal-") else None
        return _respond(request, day, fragments=["meal" if meal else section_id], meal=meal, status_text=text)
    messages.success(request, text)
    return redirect(back)


# ---------------------------------------------------------------- my foods and saved meals


@require_GET
@patient_required
def my_foods(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "tracker/foods.html",
        {
            "foods": Food.objects.filter(owner=user).order_by("name_en"),
            "saved_meals": SavedMeal.objects.filter(patient=user).prefetch_related("items__food"),
        },
    )


@require_http_methods(["GET", "POST"])
@patient_required
def food_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    food = get_object_or_404(Food, pk=pk, owner=user) if pk else None
    # Coming from a meal: the new food goes straight into it.
    meal = request.GET.get("meal", "")
    day_text = request.GET.get("day", "")
    try:
        target_day = date.fromisoformat(day_text) if day_text else None
    except ValueError:
        target_day = None
    if meal not in MEALS or target_day is None or target_day > selectors.patient_today():
        meal, target_day = "", None
    form = PrivateFoodForm(request.POST or None, instance=food)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        saved = services.save_private_food(patient=user, data=data, food=food)
        if food is None and meal and target_day:
            services.add_meal_item(patient=user, day=target_day, meal=meal, food=saved, grams=saved.default_portion_g)
            messages.success(request, _("Added your food %(food)s.") % {"food": food_name(saved)})
            return redirect(_day_url(target_day, f"meal-{meal}"))
        messages.success(request, _("Saved your food %(food)s.") % {"food": food_name(saved)})
        return redirect("tracker:foods")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "tracker/food_form.html",
        {"form": form, "food": food, "meal": meal, "target_day": target_day},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@patient_required
def delete_saved_meal(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    saved = get_object_or_404(SavedMeal, pk=pk, patient=user)
    if request.method == "POST":
        services.delete_saved_meal(patient=user, saved_meal=saved)
        messages.success(request, _("Deleted the saved meal “%(name)s”.") % {"name": saved.name})
        return redirect("tracker:foods")
    return render(
        request,
        "tracker/confirm_delete.html",
        {
            "what": _("the saved meal “%(name)s”") % {"name": saved.name},
            "back": reverse("tracker:foods"),
            "action": request.path,
        },
    )


# ---------------------------------------------------------------- relapses


@require_GET
@patient_required
def relapses(request: HttpRequest) -> HttpResponse:
    episodes = list(Relapse.objects.filter(patient=_user(request)))
    flags = selectors.check_relapses(episodes)
    rows = [
        {"relapse": r, "check": flags[r.pk], "reasons": selectors.relapse_reasons(flags[r.pk].reasons)}
        for r in episodes
    ]
    return render(request, "tracker/relapses.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@patient_required
def relapse_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    relapse = get_object_or_404(Relapse, pk=pk, patient=user) if pk else None
    initial = {} if relapse else {"started_on": selectors.patient_today(), "token": new_token()}
    form = RelapseForm(request.POST or None, instance=relapse, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in RelapseForm.Meta.fields}
        services.save_relapse(patient=user, data=data, relapse=relapse, token=form.cleaned_data.get("token") or "")
        messages.success(request, _("Relapse saved."))
        return redirect("tracker:relapses")
    status = 422 if request.method == "POST" else 200
    return render(request, "tracker/relapse_form.html", {"form": form, "relapse": relapse}, status=status)


# ---------------------------------------------------------------- MFIS


def _mfis_target(user: User) -> MFISResponse | None:
    """Today's questionnaire, or one started in the last 4 weeks and not finished."""
    today = selectors.patient_today()
    return (
        MFISResponse.objects.filter(
            patient=user, date__gte=today - timedelta(days=MFIS_INTERVAL_DAYS - 1), date__lte=today
        )
        .filter(models.Q(completed=False) | models.Q(date=today))
        .order_by("-date")
        .first()
    )


@require_http_methods(["GET", "POST"])
@patient_required
def mfis(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    target = _mfis_target(user)
    day = target.date if target else selectors.patient_today()
    if request.method == "POST":
        form = MFISForm(request.POST)
        finishing = request.POST.get("action") == FINISH
        if form.is_valid() and (not finishing or form.check_complete()):
            response = services.save_mfis(patient=user, day=day, items=form.items())
            if response.completed:
                messages.success(request, _("Thank you. Your questionnaire is complete; your scores are below."))
                return redirect(f"{reverse('tracker:mfis')}#results")
            messages.success(
                request,
                _("Saved %(n)s of 21 answers. Come back to finish it any time in the next 4 weeks.")
                % {"n": mfis_scores(response.items).answered},
            )
            return redirect("tracker:mfis")
        status = 422
    else:
        form = MFISForm(initial=MFISForm.initial_from(target.items) if target else {})
        status = 200
    completed = list(MFISResponse.objects.filter(patient=user, completed=True).order_by("-date")[:12])
    history = [{"response": r, "scores": mfis_scores(r.items)} for r in completed]
    last = completed[0].date if completed else None
    return render(
        request,
        "tracker/mfis.html",
        {
            "form": form,
            "target": target,
            "answered": mfis_scores(target.items).answered if target else 0,
            "history": history,
            "next_due": (last + timedelta(days=MFIS_INTERVAL_DAYS)) if last else None,
        },
        status=status,
    )


# ---------------------------------------------------------------- month


@require_GET
@patient_required
def month(request: HttpRequest, year: int | None = None, month: int | None = None) -> HttpResponse:
    today = selectors.patient_today()
    year = year or today.year
    month = month or today.month
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    if (year, month) > (today.year, today.month):
        return redirect("tracker:month")
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    found = selectors.month_days(_user(request), weeks[0][0], weeks[-1][-1])
    grid = [[selectors.MonthDay(d, d.month == month, d > today, found.get(d, [])) for d in week] for week in weeks]
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
