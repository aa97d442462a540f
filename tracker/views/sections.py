"""The day's other sections: sleep, fatigue, symptoms (with stools and the patient's own symptoms), lifestyle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from tracker import selectors, services
from tracker.forms import CustomSymptomForm, FatigueForm, LifestyleForm, SleepForm, StoolForm, SymptomsForm
from tracker.views.common import past_or_today, respond

F = TypeVar("F", bound=forms.BaseForm)


def _save_section(
    request: PatientHttpRequest,
    day: date,
    name: str,
    form: F,
    write: Callable[[F], object],
    text: str,
    fragment: str | None = None,
) -> HttpResponse:
    """Validate, write, answer. The future-day refusal is the views' `past_or_today`, before any of this."""
    fragment = fragment or name
    if not form.is_valid():
        return respond(request, day, fragments=[fragment], bound={name: form}, invalid=True, anchor=fragment)
    write(form)
    return respond(request, day, fragments=[fragment], status_text=text, anchor=fragment)


@require_POST
@patient_required
@past_or_today
def sleep(request: PatientHttpRequest, day: date) -> HttpResponse:
    user = request.user
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
@past_or_today
def fatigue(request: PatientHttpRequest, day: date) -> HttpResponse:
    user = request.user
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
@past_or_today
def symptoms(request: PatientHttpRequest, day: date) -> HttpResponse:
    user = request.user
    custom = selectors.day_log(user, day).custom_symptoms

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
@past_or_today
def stool(request: PatientHttpRequest, day: date) -> HttpResponse:
    user = request.user

    def write(form: StoolForm) -> object:
        return services.add_stool_event(
            patient=user, day=day, bristol_type=form.cleaned_data["bristol_type"], token=form.cleaned_data["token"]
        )

    return _save_section(request, day, "stool", StoolForm(request.POST), write, _("Bowel movement added."), "symptoms")


@require_POST
@patient_required
@past_or_today
def custom_symptom(request: PatientHttpRequest, day: date) -> HttpResponse:
    user = request.user
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
@past_or_today
def lifestyle(request: PatientHttpRequest, day: date) -> HttpResponse:
    user = request.user
    return _save_section(
        request,
        day,
        "lifestyle",
        LifestyleForm(request.POST),
        lambda f: services.save_lifestyle(patient=user, day=day, data=f.cleaned_data),
        _("Lifestyle saved."),
    )
