"""The patient's relapses."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from msgut.kept_pages import new_token
from tracker import selectors, services
from tracker.forms import RelapseForm
from tracker.models import Relapse


@require_GET
@patient_required
def relapses(request: PatientHttpRequest) -> HttpResponse:
    return render(request, "tracker/relapses.html", {"episodes": selectors.checked_episodes(request.user)})


@require_http_methods(["GET", "POST"])
@patient_required
def relapse_form(request: PatientHttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
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
