"""The patient's medication list ("Treatments", with their EDSS scores) and the day's "taken as usual"."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import patient_required
from clinic.selectors import edss_history
from msgut.http import PatientHttpRequest
from tracker import selectors, services
from tracker.forms import MedicationForm, MedicinesForm
from tracker.models import Medication
from tracker.views.common import day_url, past_or_today


def _medications_page(request: PatientHttpRequest, form: MedicationForm, status: int = 200) -> HttpResponse:
    medications = selectors.medication_list(request.user)
    context = {
        # A stop date is never in the future: with one, it is no longer taken (from today on for "Stopped today").
        "current": [m for m in medications if m.stopped_on is None],
        "stopped": [m for m in medications if m.stopped_on is not None],
        "form": form,
        "edss": edss_history(request.user),
    }
    return render(request, "tracker/medications.html", context, status=status)


@require_http_methods(["GET", "POST"])
@patient_required
def medications(request: PatientHttpRequest) -> HttpResponse:
    """The list, and the form that adds to it (a plain POST: no script needed)."""
    form = MedicationForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _medications_page(request, form, status=422)
        medication = services.save_medication(patient=request.user, data=form.cleaned_data)
        messages.success(request, _("%(name)s added to your list.") % {"name": medication.display_name})
        return redirect("tracker:medications")
    return _medications_page(request, form)


@require_http_methods(["GET", "POST"])
@patient_required
def medication_edit(request: PatientHttpRequest, pk: int) -> HttpResponse:
    medication = get_object_or_404(Medication, pk=pk, patient=request.user)
    form = MedicationForm(request.POST or None, instance=medication)
    if request.method == "POST" and form.is_valid():
        services.save_medication(patient=request.user, data=form.cleaned_data, medication=medication)
        messages.success(request, _("Saved."))
        return redirect("tracker:medications")
    status = 422 if request.method == "POST" else 200
    return render(request, "tracker/medication_form.html", {"form": form, "medication": medication}, status=status)


@require_POST
@patient_required
def medication_stop(request: PatientHttpRequest, pk: int) -> HttpResponse:
    medication = get_object_or_404(Medication, pk=pk, patient=request.user)
    services.stop_medication(patient=request.user, medication=medication)
    messages.success(request, _("%(name)s: stopped today.") % {"name": medication.display_name})
    return redirect("tracker:medications")


@require_http_methods(["GET", "POST"])
@patient_required
def medication_delete(request: PatientHttpRequest, pk: int) -> HttpResponse:
    """Asks first (a page), then deletes: for a medication added by mistake. "Stopped today" keeps the history."""
    medication = get_object_or_404(Medication, pk=pk, patient=request.user)
    if request.method == "POST":
        services.delete_medication(patient=request.user, medication=medication)
        messages.success(request, _("Deleted."))
        return redirect("tracker:medications")
    context = {"kind": "medication", "entry": medication, "what": medication.display_name}
    context["back"] = reverse("tracker:medications")
    return render(request, "tracker/confirm_delete.html", context)


def medicines_context(
    request: PatientHttpRequest, day: date, medicines: selectors.MedicinesDay | None = None
) -> dict[str, Any]:
    """The day page's medicines section: the question, or its answer, and the per-medication form
    (`medicines`: already read with the rest of the day)."""
    if medicines is None or medicines.day != day:
        medicines = selectors.medicines_day(request.user, day)
    # Ticked = as usual: the boxes start from the answers given, all ticked before any answer.
    checked = {m.pk for m in medicines.medications if medicines.answers.get(m.pk, True)}
    return {"medicines": medicines, "medicines_checked": checked, "day": day, "request": request}


@require_POST
@patient_required
@past_or_today
def medicines(request: PatientHttpRequest, day: date) -> HttpResponse:
    """One tap for "all as usual", or the per-medication answers. htmx gets the section back."""
    asked = selectors.asked_medications(request.user, day)
    # Nothing in this form can be wrong: unknown ids are dropped, and "all" is a yes or a no.
    form = MedicinesForm(request.POST, medications=asked)
    form.is_valid()
    services.confirm_medicines(patient=request.user, day=day, taken=form.answers())
    if not request.htmx:
        messages.success(request, _("Medicines saved."))
        return redirect(day_url(day, "medicines"))
    context = {**medicines_context(request, day), "status_text": _("Medicines saved.")}
    return render(request, "tracker/_medicines.html", context)
