"""The reminders page, the browser subscription endpoint and the signed unsubscribe link."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import patient_required
from msgut.http import PatientHttpRequest
from reminders import channels, links, selectors, services
from reminders.forms import PushSubscriptionForm, ReminderPreferenceForm
from reminders.models import Channel, Kind

HTTP_CREATED = 201
HTTP_BAD_REQUEST = 400
HTTP_NOT_FOUND = 404
MAX_SUBSCRIPTION_BYTES = 4096

STOP_QUESTIONS: dict[tuple[str, str], Promise] = {
    (Kind.DAILY, Channel.EMAIL): gettext_lazy("Stop daily reminders by email?"),
    (Kind.DAILY, Channel.PUSH): gettext_lazy("Stop daily reminders as notifications?"),
    (Kind.WEEKLY, Channel.EMAIL): gettext_lazy("Stop the weekly summary by email?"),
    (Kind.WEEKLY, Channel.PUSH): gettext_lazy("Stop the weekly summary as notifications?"),
}
STOPPED: dict[tuple[str, str], Promise] = {
    (Kind.DAILY, Channel.EMAIL): gettext_lazy("Daily reminders by email are off."),
    (Kind.DAILY, Channel.PUSH): gettext_lazy("Daily reminders as notifications are off."),
    (Kind.WEEKLY, Channel.EMAIL): gettext_lazy("The weekly summary by email is off."),
    (Kind.WEEKLY, Channel.PUSH): gettext_lazy("The weekly summary as notifications is off."),
}


@require_http_methods(["GET", "POST"])
@patient_required
def reminder_settings(request: PatientHttpRequest) -> HttpResponse:
    patient = request.user
    email_on, push_on = channels.email_available(), channels.push_available()
    zone = selectors.zone_of(patient).key
    form = ReminderPreferenceForm(
        request.POST or None,
        instance=selectors.preference_of(patient),
        email_on=email_on,
        push_on=push_on,
        zone=zone,
    )
    if request.method == "POST" and form.is_valid():
        services.save_preference(patient=patient, data=form.cleaned_data)
        messages.success(request, _("Your reminders are saved."))
        return redirect("reminders:settings")
    context = {
        "form": form,
        "email_on": email_on,
        "push_on": push_on,
        "vapid_public_key": settings.VAPID_PUBLIC_KEY if push_on else "",
        "devices": selectors.devices_of(patient) if push_on else [],
    }
    return render(request, "reminders/settings.html", context)


@require_POST
@patient_required
def push_subscribe(request: PatientHttpRequest) -> JsonResponse:
    """Called by the page's script with the browser's PushSubscription (JSON) and the CSRF header."""
    if not channels.push_available():
        return JsonResponse(
            {"errors": {"__all__": [_("Notifications are not set up on this server.")]}}, status=HTTP_NOT_FOUND
        )
    try:
        if len(request.body) > MAX_SUBSCRIPTION_BYTES:
            raise ValueError
        body = json.loads(request.body)
        keys = body.get("keys") or {}
        data = {"endpoint": body.get("endpoint"), "p256dh": keys.get("p256dh"), "auth": keys.get("auth")}
    except (ValueError, AttributeError):
        return JsonResponse(
            {"errors": {"__all__": [_("This is not a browser subscription.")]}}, status=HTTP_BAD_REQUEST
        )
    form = PushSubscriptionForm(data)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=HTTP_BAD_REQUEST)
    services.subscribe_push(patient=request.user, **form.cleaned_data, user_agent=request.headers.get("User-Agent", ""))
    return JsonResponse({"saved": True}, status=HTTP_CREATED)


@require_POST
@patient_required
def remove_device(request: PatientHttpRequest, pk: int) -> HttpResponse:
    if not services.remove_device(patient=request.user, device_id=pk):
        raise Http404
    messages.success(request, _("That device will get no more notifications."))
    return redirect("reminders:settings")


@login_not_required
@csrf_exempt  # the signed token is the authority; one-click senders (RFC 8058) have no cookie or CSRF token
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links; GET changes nothing); POST turns that reminder off."""
    found = links.read_token(token)
    if found is None:
        return render(request, "reminders/invalid.html", status=HTTP_BAD_REQUEST)
    patient_id, kind, channel = found
    if request.method == "GET":
        return render(request, "reminders/stop.html", {"question": STOP_QUESTIONS[(kind, channel)]})
    # A deleted account gets the same answer: the page tells nobody whether an account exists.
    services.stop(patient_id=patient_id, kind=kind, channel=channel)
    return render(request, "reminders/stopped.html", {"stopped": STOPPED[(kind, channel)]})
