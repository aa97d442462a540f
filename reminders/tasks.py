"""Reminder background jobs: thin Celery wrappers (ids in, one service call each).

The beat job claims and enqueues; each delivery is its own task, so one patient's dead mail
server or vanished phone never holds up anyone else's reminder. Deliveries retry with backoff
(msgut.celery.RETRY_ON_DELIVERY_ERRORS) and, after the last try, mark their row failed.
"""

import logging
from typing import Any, NoReturn

from celery import Task, shared_task
from django.utils import timezone

from msgut.celery import RETRY_ON_DELIVERY_ERRORS, RETRY_ON_IO_ERRORS, TransientDeliveryError
from reminders import services
from reminders.models import Channel

logger = logging.getLogger(__name__)


class DeliveryTask(Task):  # type: ignore[type-arg]
    """A delivery whose last try failed (or that hit a bug) leaves its row marked failed."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        log_id = args[0] if args else kwargs.get("log_id")
        if log_id is not None:
            reason = exc.reason if isinstance(exc, TransientDeliveryError) else type(exc).__name__
            services.mark_failed(log_id=int(log_id), reason=reason)


def _retry_when_asked(task: Task, error: TransientDeliveryError) -> NoReturn:  # type: ignore[type-arg]
    """Honour a push service's Retry-After; otherwise the policy's backoff applies."""
    if error.retry_after:
        raise task.retry(exc=error, countdown=error.retry_after)
    raise error


@shared_task(**RETRY_ON_IO_ERRORS)
def queue_due_reminders_task() -> dict[str, int]:
    """Beat job, every 5 minutes: claim the reminders due now and enqueue their deliveries."""
    report = services.queue_due_reminders(now=timezone.now(), enqueue=enqueue_deliveries)
    return {"due": report.due, "expired": report.expired, "deliveries": len(report.deliveries)}


@shared_task(base=DeliveryTask, bind=True, **RETRY_ON_DELIVERY_ERRORS)
def send_email_reminder_task(self: Task, log_id: int) -> str:  # type: ignore[type-arg]
    try:
        return services.deliver_email(log_id=log_id)
    except TransientDeliveryError as error:
        _retry_when_asked(self, error)


@shared_task(base=DeliveryTask, bind=True, **RETRY_ON_DELIVERY_ERRORS)
def send_push_reminder_task(self: Task, log_id: int, subscription_id: int) -> str:  # type: ignore[type-arg]
    try:
        return services.deliver_push(log_id=log_id, subscription_id=subscription_id)
    except TransientDeliveryError as error:
        _retry_when_asked(self, error)


def enqueue_deliveries(deliveries: list[services.Delivery]) -> None:
    """Hand each delivery to the broker. Never raises: one the broker refused is left for the next beat."""
    for delivery in deliveries:
        try:
            if delivery.channel == Channel.EMAIL:
                send_email_reminder_task.apply_async(args=(delivery.log_id,))
            else:
                send_push_reminder_task.apply_async(args=(delivery.log_id, delivery.subscription_id))
        except Exception:
            logger.warning("could not enqueue reminder %s; the next beat will", delivery.log_id, exc_info=True)
            services.not_enqueued(log_id=delivery.log_id)
