"""Meals: type-ahead search, adding and changing foods, copying from yesterday, saved meals, favourites."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from tracker import selectors, services
from tracker.forms import ApplySavedMealForm, FoodSearchForm, MealItemEditForm, MealItemForm, SaveMealForm
from tracker.models import Food, MealItem, MealType
from tracker.units import GRAMS, units_for
from tracker.views.common import day_url, meal_or_404, past_or_today, respond, search_from_query


@require_GET
@patient_required
@past_or_today
def food_search(request: PatientHttpRequest, day: date) -> HttpResponse:
    found = search_from_query(request)
    if found is None:
        if request.htmx:
            return _search_refused(request, day)
        return redirect(day_url(day))
    if not request.htmx:
        meal_value = found[0]
        url = day_url(day).split("#")[0]
        return redirect(f"{url}?{request.GET.urlencode()}#meal-{meal_value}")
    meal_value, form, results = found
    # The results list needs only the meal, not the whole day: keep type-ahead cheap.
    view = selectors.MealView(meal=meal_value, label=str(MealType(meal_value).label))
    view.add_url = reverse("tracker:meal-add", args=[day, meal_value])
    view.forms["search"] = form
    view.results = results
    view.searched = bool(form.cleaned_data["q"])
    context = {"meal": view, "day": day}
    return HttpResponse(render_to_string("tracker/day.html#results", context, request=request))


def _search_refused(request: PatientHttpRequest, day: date) -> HttpResponse:
    """A query the form refuses (too long, an unknown meal): a results box saying so, never the whole page."""
    meal_value = request.GET.get("meal", "")
    if meal_value not in MealType.values:
        meal_value = MealType.values[0]
    form = FoodSearchForm({"q": request.GET.get("q", "")[:200], "meal": meal_value})
    form.is_valid()
    view = selectors.MealView(meal=meal_value, label=str(MealType(meal_value).label))
    view.add_url = reverse("tracker:meal-add", args=[day, meal_value])
    view.forms["search"] = form
    view.searched = True
    view.search_error = " ".join(str(e) for e in form.errors.get("q", [])) or _(
        "That search could not be read. Type a few letters of a food."
    )
    context = {"meal": view, "day": day}
    return HttpResponse(render_to_string("tracker/day.html#results", context, request=request))


@require_POST
@patient_required
@past_or_today
def add_item(request: PatientHttpRequest, day: date, meal: str) -> HttpResponse:
    meal_or_404(meal)
    user = request.user
    form = MealItemForm(request.POST, user=user)
    if not form.is_valid():
        return respond(
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
        unit=form.cleaned_data["unit"],
        quantity=form.cleaned_data["quantity"],
    )
    label = MealType(meal).label
    text = _("Added %(food)s to %(meal)s.") % {"food": item.food.display_name, "meal": label.lower()}
    return respond(request, day, fragments=["meal"], meal=meal, status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def copy_meal(request: PatientHttpRequest, day: date, meal: str) -> HttpResponse:
    meal_or_404(meal)
    added = services.copy_meal_from_previous_day(patient=request.user, day=day, meal=meal)
    text = (
        ngettext("Copied %(n)s item from yesterday.", "Copied %(n)s items from yesterday.", added) % {"n": added}
        if added
        else _("Nothing new to copy from yesterday.")
    )
    return respond(request, day, fragments=["meal"], meal=meal, status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def copy_day(request: PatientHttpRequest, day: date) -> HttpResponse:
    added = services.copy_day_from_previous_day(patient=request.user, day=day)
    text = (
        ngettext("Copied %(n)s item from yesterday.", "Copied %(n)s items from yesterday.", added) % {"n": added}
        if added
        else _("Nothing new to copy from yesterday.")
    )
    return respond(request, day, fragments=["meals"], status_text=text, anchor="meals")


@require_POST
@patient_required
@past_or_today
def apply_saved(request: PatientHttpRequest, day: date, meal: str) -> HttpResponse:
    meal_or_404(meal)
    user = request.user
    form = ApplySavedMealForm(request.POST, user=user)
    if not form.is_valid():
        return respond(
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
    return respond(request, day, fragments=["meal"], meal=meal, status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def save_meal(request: PatientHttpRequest, day: date, meal: str) -> HttpResponse:
    meal_or_404(meal)
    user = request.user
    form = SaveMealForm(request.POST)
    if not form.is_valid():
        return respond(
            request, day, fragments=["meals"], bound={f"save-{meal}": form}, invalid=True, anchor=f"meal-{meal}"
        )
    saved = services.save_meal_as(patient=user, day=day, meal=meal, name=form.cleaned_data["name"])
    text = _("Saved this meal as “%(name)s”. Add it to any meal from the Saved meals list.") % {"name": saved.name}
    # Every meal's "saved meals" list changes, so the whole meals block comes back.
    return respond(request, day, fragments=["meals"], status_text=text, anchor=f"meal-{meal}")


@require_POST
@patient_required
@past_or_today
def favorite(request: PatientHttpRequest, day: date, food_id: int) -> HttpResponse:
    user = request.user
    food = get_object_or_404(Food.objects.available_to(user), pk=food_id)
    on = request.POST.get("favorite") == "1"
    services.set_favorite(patient=user, food=food, favorite=on)
    text = (_("%(food)s is now a favourite.") if on else _("%(food)s is no longer a favourite.")) % {
        "food": food.display_name
    }
    return respond(request, day, fragments=["meals"], status_text=text, anchor="meals")


@require_http_methods(["GET", "POST"])
@patient_required
def edit_item(request: PatientHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = get_object_or_404(MealItem.objects.select_related("food"), pk=pk, patient=user)
    initial = (
        {"meal": item.meal, "unit": item.unit, "amount": item.quantity}
        if item.unit and item.quantity is not None
        else {"meal": item.meal, "unit": GRAMS, "amount": Decimal(f"{item.grams:g}")}
    )
    form = MealItemEditForm(request.POST or None, initial=initial, food=item.food)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_meal_item(
            patient=user,
            item=item,
            meal=data["meal"],
            grams=data["grams"],
            unit=data["unit"],
            quantity=data["quantity"],
        )
        messages.success(request, _("Saved %(food)s.") % {"food": item.food.display_name})
        return redirect(day_url(item.date, f"meal-{item.meal}"))
    status = 422 if request.method == "POST" else 200
    context = {"item": item, "form": form, "day": item.date, "units": units_for(item.food)}
    return render(request, "tracker/item_edit.html", context, status=status)
