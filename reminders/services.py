"""Reminder writes: the patient's settings and devices, the beat's claims, each delivery, stopping.

At most once: the beat claims a ReminderLog row per (patient, kind, channel, local date) before
anything is sent, with INSERT ... ON CONFLICT DO NOTHING on its unique key, so a second beat, a
concurrent one or a redelivered task never makes a second row. The email delivery holds the
row's lock while it sends, so two deliveries of one row send one email. One patient's failure
stays theirs: each delivery is its own task, and its errors end that task only.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from accounts.models import User
from msgut.celery import TransientDeliveryError
from reminders import messages, push, schedule, selectors
from reminders.models import WANTS_FIELD, Channel, Kind, PushSubscription, ReminderLog, ReminderPreference
from trends import services as trends_services

logger = logging.getLogger(__name__)

# A delivery enqueued longer ago than this that has not happened counts as lost: enqueue it again.
STALE_ENQUEUE = timedelta(minutes=15)
# Devices kept per patient: a new one beyond this replaces the oldest, so nobody can
# make the worker post to an endless list of endpoints.
MAX_DEVICES = 10
SMTP_TRANSIENT_CODES = range(400, 500)
MIN_PUSH_TTL_SECONDS = 60


@dataclass(frozen=True)
class Delivery:
    """One task to enqueue: a log's email, or its notification to one device."""

    log_id: int
    channel: str
    subscription_id: int | None = None


@dataclass
class QueueReport:
    due: int = 0  # reminders due and not claimed before this beat (a concurrent beat may claim some)
    expired: int = 0  # claimed rows whose catch-up window ended before they went
    deliveries: list[Delivery] = field(default_factory=list)  # tasks handed to the queue after commit


# ---------------------------------------------------------------- settings and devices


def save_preference(*, patient: User, data: dict[str, Any]) -> ReminderPreference:
    preference, _created = ReminderPreference.objects.update_or_create(patient=patient, defaults=data)
    return preference


def subscribe_push(*, patient: User, endpoint: str, p256dh: str, auth: str, user_agent: str) -> PushSubscription:
    """Store a browser's subscription. The same browser subscribing again (new keys, or another
    account signed in on it) updates its one row: a device shows one account's reminders."""
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"patient": patient, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]},
    )
    kept = PushSubscription.objects.filter(patient=patient).order_by("-created_at", "-pk").values("pk")[:MAX_DEVICES]
    PushSubscription.objects.filter(patient=patient).exclude(pk__in=kept).delete()
    return subscription


def remove_device(*, patient: User, device_id: int) -> bool:
    deleted, _ = PushSubscription.objects.filter(pk=device_id, patient=patient).delete()
    return bool(deleted)


def stop(*, patient_id: int, kind: str, channel: str) -> None:
    """The unsubscribe link: turn this kind off on this channel. Harmless when already off or gone."""
    ReminderPreference.objects.filter(patient_id=patient_id).update(**{WANTS_FIELD[(kind, channel)]: False})


# ---------------------------------------------------------------- the beat


def queue_due_reminders(*, now: datetime, enqueue: Callable[[list[Delivery]], None]) -> QueueReport:
    """The beat job: claim what is due, drop what is too late, hand the deliveries to `enqueue` after commit.

    Deliveries whose enqueue failed earlier (the broker was down) or that were lost are handed
    over again while they are still worth sending.
    """
    report = QueueReport()
    due = selectors.due_reminders(now)
    report.due = len(due)
    if due:
        ReminderLog.objects.bulk_create(
            [
                ReminderLog(
                    patient_id=d.patient_id, kind=d.kind, channel=d.channel, local_date=d.local_date, due_at=d.due_at
                )
                for d in due
            ],
            ignore_conflicts=True,
        )
    elif not ReminderLog.objects.filter(status=ReminderLog.Status.QUEUED).exists():
        return report  # the usual beat: nothing due, nothing waiting (two queries in all)
    report.expired = ReminderLog.objects.filter(
        status=ReminderLog.Status.QUEUED, due_at__lte=now - schedule.CATCH_UP
    ).update(status=ReminderLog.Status.SKIPPED, reason="too late")
    with transaction.atomic():
        # Two beats at once each take different rows (SKIP LOCKED); a row taken is marked enqueued.
        logs = list(
            ReminderLog.objects.select_for_update(skip_locked=True)
            .filter(selectors.logs_to_enqueue(now, STALE_ENQUEUE))
            .values_list("pk", "channel", "patient_id")
        )
        if not logs:
            return report
        ReminderLog.objects.filter(pk__in=[pk for pk, _c, _p in logs]).update(enqueued_at=now)
        pushing = {patient_id for _pk, channel, patient_id in logs if channel == Channel.PUSH}
        devices: dict[int, list[int]] = {}
        for pk, patient_id in PushSubscription.objects.filter(patient_id__in=pushing).values_list("pk", "patient_id"):
            devices.setdefault(patient_id, []).append(pk)
        for pk, channel, patient_id in logs:
            if channel == Channel.EMAIL:
                report.deliveries.append(Delivery(pk, channel))
            elif devices.get(patient_id):
                report.deliveries.extend(Delivery(pk, channel, device) for device in devices[patient_id])
            else:  # every device was removed since the claim
                _finish(pk, ReminderLog.Status.SKIPPED, "no device")
        deliveries = list(report.deliveries)

        def hand_over() -> None:
            enqueue(deliveries)

        transaction.on_commit(hand_over, robust=True)
    return report


def not_enqueued(*, log_id: int) -> None:
    """The broker refused the delivery: leave the row for the next beat to enqueue again."""
    ReminderLog.objects.filter(pk=log_id, status=ReminderLog.Status.QUEUED).update(enqueued_at=None)


# ---------------------------------------------------------------- delivery


def _why_not(log: ReminderLog, now: datetime) -> str:
    if not schedule.still_worth_sending(log.due_at, now):
        return "too late"
    return selectors.still_wanted(patient=log.patient, kind=log.kind, channel=log.channel, local_date=log.local_date)


def _finish(log_id: int, status: str, reason: str = "", *, only_if: tuple[str, ...] = ()) -> None:
    logs = ReminderLog.objects.filter(pk=log_id)
    if only_if:
        logs = logs.filter(status__in=only_if)
    sent_at = timezone.now() if status == ReminderLog.Status.SENT else None
    logs.update(status=status, reason=reason[:40], sent_at=sent_at)


def mark_failed(*, log_id: int, reason: str) -> None:
    """The last retry failed too (or a bug): the row says so; nothing is sent for it any more."""
    _finish(log_id, ReminderLog.Status.FAILED, reason, only_if=(ReminderLog.Status.QUEUED,))


def _smtp_is_transient(error: Exception) -> bool:
    """Worth trying again: the server was out of reach, hung up, or answered 4xx (try later).
    Not: a 5xx answer, or every recipient refused for good."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code in SMTP_TRANSIENT_CODES for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code in SMTP_TRANSIENT_CODES
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return False
    return isinstance(error, OSError)  # SMTPServerDisconnected, timeouts, refused connections


def deliver_email(*, log_id: int, now: datetime | None = None) -> str:
    """Send one claimed email reminder, once. Returns the row's status afterwards.

    Checked again first: still wanted, the day still not logged, no quiet relapse day, not too
    late. Raises TransientDeliveryError when the mail server failed in a way worth retrying
    (nothing is marked, the task retries); a permanent refusal marks the row failed.
    """
    now = now or timezone.now()
    log = ReminderLog.objects.filter(pk=log_id).select_related("patient__profile").first()
    if log is None:
        return "gone"
    if log.kind == Kind.WEEKLY and log.status == ReminderLog.Status.QUEUED:
        # The week just ended and the one before, which it is compared with, are built before they
        # are read (idempotent: an unchanged week is not rewritten).
        week = log.local_date - timedelta(days=7)
        trends_services.build_weeks(keys=[(log.patient_id, week), (log.patient_id, week - timedelta(days=7))])
    with transaction.atomic():
        log = ReminderLog.objects.select_for_update(of=("self",)).select_related("patient__profile").get(pk=log_id)
        if log.status != ReminderLog.Status.QUEUED:
            return log.status
        reason = _why_not(log, now)
        if reason:
            _finish(log.pk, ReminderLog.Status.SKIPPED, reason)
            return ReminderLog.Status.SKIPPED
        patient = log.patient
        with translation.override(selectors.language_of(patient)), timezone.override(selectors.zone_of(patient)):
            digest = selectors.weekly_digest(patient.pk, log.local_date) if log.kind == Kind.WEEKLY else None
            message = messages.email_message(patient=patient, kind=log.kind, local_date=log.local_date, digest=digest)
        try:
            message.send()
        except Exception as error:
            if _smtp_is_transient(error):
                raise TransientDeliveryError(type(error).__name__) from error
            logger.warning("reminder %s: the mail server refused it (%s)", log.pk, type(error).__name__)
            _finish(log.pk, ReminderLog.Status.FAILED, type(error).__name__)
            return ReminderLog.Status.FAILED
        _finish(log.pk, ReminderLog.Status.SENT)
    return ReminderLog.Status.SENT


def deliver_push(*, log_id: int, subscription_id: int, now: datetime | None = None) -> str:
    """Send one claimed notification to one of the patient's devices. Returns what happened to it.

    A device the push service says is gone (404/410) is forgotten; a busy or unreachable push
    service raises TransientDeliveryError (the task retries for this device only). A repeat is
    harmless: the notification's tag replaces the one already shown.
    """
    now = now or timezone.now()
    log = ReminderLog.objects.filter(pk=log_id).select_related("patient__profile").first()
    if log is None or log.status in (ReminderLog.Status.SKIPPED, ReminderLog.Status.FAILED):
        return "not sent"
    # Only a device of the patient the reminder is for (a browser may have moved to another account).
    device = PushSubscription.objects.filter(pk=subscription_id, patient_id=log.patient_id).first()
    if device is None:
        return "no device"
    if log.status == ReminderLog.Status.QUEUED:
        reason = _why_not(log, now)
        if reason:
            _finish(log.pk, ReminderLog.Status.SKIPPED, reason, only_if=(ReminderLog.Status.QUEUED,))
            return "skipped"
    patient = log.patient
    zone = selectors.zone_of(patient)
    with translation.override(selectors.language_of(patient)):
        payload = messages.push_payload(patient_id=patient.pk, kind=log.kind, local_date=log.local_date)
    if log.kind == Kind.DAILY:
        ttl = int((schedule.end_of_local_day(now, zone) - now).total_seconds())
    else:
        ttl = int(messages.WEEKLY_PUSH_TTL.total_seconds())
    result = push.send_push(
        endpoint=device.endpoint,
        p256dh=device.p256dh,
        auth=device.auth,
        payload=payload,
        ttl=max(ttl, MIN_PUSH_TTL_SECONDS),
        topic=messages.TAGS[log.kind],
    )
    if result.outcome is push.Outcome.DELIVERED:
        PushSubscription.objects.filter(pk=device.pk).update(last_success_at=now)
        _finish(log.pk, ReminderLog.Status.SENT, only_if=(ReminderLog.Status.QUEUED, ReminderLog.Status.FAILED))
        return "delivered"
    if result.outcome is push.Outcome.GONE:
        device.delete()
        if not PushSubscription.objects.filter(patient_id=log.patient_id).exists():
            _finish(log.pk, ReminderLog.Status.FAILED, "no device", only_if=(ReminderLog.Status.QUEUED,))
        return "gone"
    if result.outcome is push.Outcome.RETRY:
        raise TransientDeliveryError(f"push {result.status or 'unreachable'}", result.retry_after)
    logger.warning("reminder %s: the push service refused it (%s)", log.pk, result.status)
    _finish(log.pk, ReminderLog.Status.FAILED, f"push {result.status}", only_if=(ReminderLog.Status.QUEUED,))
    return "failed"
