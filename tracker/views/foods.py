"""The patient's own foods and saved meals."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from tracker import selectors, services
from tracker.forms import PrivateFoodForm
from tracker.models import Food, SavedMeal
from tracker.views.common import MEALS, day_url


@require_GET
@patient_required
def my_foods(request: PatientHttpRequest) -> HttpResponse:
    user = request.user
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
def food_form(request: PatientHttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
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
            messages.success(request, _("Added your food %(food)s.") % {"food": saved.display_name})
            return redirect(day_url(target_day, f"meal-{meal}"))
        messages.success(request, _("Saved your food %(food)s.") % {"food": saved.display_name})
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
def delete_saved_meal(request: PatientHttpRequest, pk: int) -> HttpResponse:
    user = request.user
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
