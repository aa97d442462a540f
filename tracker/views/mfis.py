"""The 4-weekly fatigue questionnaire (MFIS)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import patient_required
from accounts.models import User
from msgut.http import PatientHttpRequest
from tracker import selectors, services
from tracker.forms import FINISH, MFISForm
from tracker.measures import MFIS_INTERVAL_DAYS, mfis_scores
from tracker.models import MFISResponse


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
def mfis(request: PatientHttpRequest) -> HttpResponse:
    user = request.user
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
