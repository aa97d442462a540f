"""Reminders: what each patient asked for, the browsers that may show a notification, and what was sent.

`ReminderLog`'s unique (patient, kind, channel, local date) is the at-most-once guarantee: the
beat claims a row before anything is sent, so a second beat, a concurrent one or a retry finds
the row taken. None of these rows holds health data.
"""

from datetime import time
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DAILY = "daily", _("Daily reminder")
    WEEKLY = "weekly", _("Weekly summary")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PUSH = "push", _("Notification")


# Which preference field says "send this kind on this channel": the one home of that mapping
# (the form, the beat and the unsubscribe link all go through it).
WANTS_FIELD: dict[tuple[str, str], str] = {
    (Kind.DAILY, Channel.EMAIL): "daily_email",
    (Kind.DAILY, Channel.PUSH): "daily_push",
    (Kind.WEEKLY, Channel.EMAIL): "weekly_email",
    (Kind.WEEKLY, Channel.PUSH): "weekly_push",
}

DEFAULT_TIME = time(20, 0)


class ReminderPreference(models.Model):
    """One patient's reminders. All off until the patient turns one on (opt-in)."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    daily_email = models.BooleanField(_("by email"), default=False)
    daily_push = models.BooleanField(_("as a notification"), default=False)
    # A wall-clock time in the patient's own time zone (the profile's), whatever the season.
    at = models.TimeField(_("time"), default=DEFAULT_TIME)
    weekly_email = models.BooleanField(_("by email"), default=False)
    weekly_push = models.BooleanField(_("as a notification"), default=False)
    quiet_during_relapse = models.BooleanField(_("no reminders while a relapse is in my log"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminders of {self.patient_id}"

    def wants(self, kind: str, channel: str) -> bool:
        return bool(getattr(self, WANTS_FIELD[(kind, channel)]))


class PushSubscription(models.Model):
    """One browser (one device and browser profile) that agreed to show notifications.

    The endpoint is unique: a browser that subscribes again, even for another account,
    moves the row rather than getting a second one.
    """

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=2000, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"push device {self.pk} of {self.patient_id}"


class ReminderLog(models.Model):
    """One reminder of one kind on one channel for one local date: claimed, then sent or not."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    # Indexed by reminder_once_a_day (patient, kind, channel, local_date) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # The patient's local date of a daily reminder; the Monday of a weekly summary.
    local_date = models.DateField()
    # When it became due (UTC): after CATCH_UP it is no longer worth sending.
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    # Empty while no delivery task is on its way (the broker was down): the next beat enqueues it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why it was skipped or failed, as a short code (never message content).
    reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering: ClassVar = ["-local_date", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "kind", "channel", "local_date"], name="reminder_once_a_day")
        ]
        indexes: ClassVar = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} {self.local_date}"
