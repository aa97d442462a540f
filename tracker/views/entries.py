"""Deleting any entry of the log. It always asks first (inline with htmx, a page without)."""

from __future__ import annotations

from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import patient_required
from tracker import services
from tracker.models import MealItem
from tracker.views.common import day_url, respond, user_of

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
    user = user_of(request)
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
        back = day_url(day, section_id)
    if request.method == "GET":
        what = f"{entry.food.display_name} {entry.grams:g} g" if isinstance(entry, MealItem) else DELETE_LABELS[kind]
        context = {"kind": kind, "entry": entry, "what": what, "back": back, "day": day, "section_id": section_id}
        template = "tracker/confirm_delete.html#confirm" if is_htmx and in_day else "tracker/confirm_delete.html"
        return render(request, template, context)
    services.delete_entry(user, entry)
    text = _("Deleted.")
    if in_day and is_htmx:
        meal = section_id.removeprefix("meal-") if section_id.startswith("meal-") else None
        return respond(request, day, fragments=["meal" if meal else section_id], meal=meal, status_text=text)
    messages.success(request, text)
    return redirect(back)
