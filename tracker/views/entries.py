"""Deleting any entry of the log. It always asks first (inline with htmx, a page without)."""

from __future__ import annotations

from django.contrib import messages
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from tracker import services
from tracker.models import MealItem
from tracker.views.common import day_url, respond

# Lazy: read in the patient's language when the question is asked, not at import.
DELETE_LABELS = {
    "stool": gettext_lazy("this bowel movement"),
    "sleep": gettext_lazy("this night's sleep diary"),
    "fatigue": gettext_lazy("today's fatigue rating"),
    "symptoms": gettext_lazy("this day's mood, stress, note and symptom ratings"),
    "lifestyle": gettext_lazy("this day's lifestyle entry"),
    "mfis": gettext_lazy("this questionnaire"),
    "relapse": gettext_lazy("this relapse"),
}


def _what(entry: models.Model, kind: str) -> str:
    """What the question names: the food and amount, or the kind of entry."""
    if isinstance(entry, MealItem):
        return f"{entry.food.display_name} {entry.grams:g} g"
    return str(DELETE_LABELS[kind])


def _section_of(entry: models.Model, kind: str) -> str:
    if isinstance(entry, MealItem):
        return f"meal-{entry.meal}"
    return {"stool": "symptoms"}.get(kind, kind)


@require_http_methods(["GET", "POST"])
@patient_required
def delete(request: PatientHttpRequest, kind: str, pk: int) -> HttpResponse:
    model = services.DELETABLE.get(kind)
    if model is None:
        raise Http404
    user = request.user
    entry = get_object_or_404(model._default_manager.all(), pk=pk, patient=user)
    day = services.entry_day(entry)
    section_id = _section_of(entry, kind)
    in_day = kind not in ("mfis", "relapse")
    if kind == "relapse":
        back = reverse("tracker:relapses")
    elif kind == "mfis":
        back = reverse("tracker:mfis")
    else:
        back = day_url(day, section_id)
    if request.method == "GET":
        what = _what(entry, kind)
        context = {"kind": kind, "entry": entry, "what": what, "back": back, "day": day, "section_id": section_id}
        template = "tracker/confirm_delete.html#confirm" if request.htmx and in_day else "tracker/confirm_delete.html"
        return render(request, template, context)
    services.delete_entry(patient=user, entry=entry)
    text = _("Deleted.")
    if in_day and request.htmx:
        meal = section_id.removeprefix("meal-") if section_id.startswith("meal-") else None
        return respond(request, day, fragments=["meal" if meal else section_id], meal=meal, status_text=text)
    messages.success(request, text)
    return redirect(back)
