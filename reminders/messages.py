"""What each reminder says, by email and as a notification: the one home of their words.

A subject line and a notification show on a lock screen, in a mail list, to whoever looks at the
phone: they never hold health detail. Only the weekly email's body does, and only for a patient
who asked for it (the settings page says that email is not end-to-end encrypted).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reminders import links
from reminders.models import Channel, Kind
from reminders.selectors import WeeklyDigest

SUBJECTS: dict[str, Promise] = {
    Kind.DAILY: _("Time to log your day in msgut"),
    Kind.WEEKLY: _("Your week in msgut"),
}
PUSH_BODIES: dict[str, Promise] = {
    Kind.DAILY: _("Time to log your day."),
    Kind.WEEKLY: _("Your week in msgut is ready."),
}
STOP_LABEL = _("Stop these reminders")
# A newer notification with the same tag replaces the older one on the device (and, as the push
# Topic, one still waiting at the push service), so a repeat never piles up.
TAGS: dict[str, str] = {Kind.DAILY: "daily-reminder", Kind.WEEKLY: "weekly-summary"}
WEEKLY_PUSH_TTL = timedelta(hours=48)


def target_path(kind: str, local_date: date) -> str:
    """Where a reminder leads: the day to log (by its date: a late reminder may arrive after
    midnight), or the trends page for the weekly summary."""
    if kind == Kind.DAILY:
        return reverse("tracker:day", args=[local_date])
    return reverse("trends:dashboard")


def email_message(
    *, patient: User, kind: str, local_date: date, digest: WeeklyDigest | None = None
) -> EmailMultiAlternatives:
    """The reminder email in the active language: text and HTML, with RFC 8058 one-click unsubscribe."""
    stop = links.stop_url(patient_id=patient.pk, kind=kind, channel=Channel.EMAIL)
    context = {
        "day": local_date,
        "open_url": links.absolute(target_path(kind, local_date)),
        "settings_url": links.absolute(reverse("reminders:settings")),
        "stop_url": stop,
        "digest": digest,
    }
    message = EmailMultiAlternatives(
        subject=str(SUBJECTS[kind]),
        body=render_to_string(f"reminders/email/{kind}.txt", context),
        to=[patient.email],
        headers={
            "List-Unsubscribe": f"<{stop}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # RFC 3834: an automatic message; out-of-office replies stay away.
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"reminders/email/{kind}.html", context), "text/html")
    return message


def push_payload(*, patient_id: int, kind: str, local_date: date) -> dict[str, Any]:
    """What the service worker shows: a neutral line, where a tap leads and how to stop. No health data."""
    return {
        "title": "msgut",
        "body": str(PUSH_BODIES[kind]),
        "url": target_path(kind, local_date),
        "tag": TAGS[kind],
        "unsubscribe": links.stop_url(patient_id=patient_id, kind=kind, channel=Channel.PUSH),
        "stop_label": str(STOP_LABEL),
    }
