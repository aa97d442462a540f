import os
from typing import TypedDict

from celery import Celery
from celery.signals import worker_init
from django.conf import settings
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msgut.settings")

# msgut itself is not an installed app, so its tasks module is named explicitly.
app = Celery("msgut", include=["msgut.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def yield_to_the_web(**_: object) -> None:
    """The worker (its pool's processes inherit it) runs at a lower priority than the web: its jobs
    (rescoring, charts, flags, reminders) can wait a moment when the two share the cores, a person
    waiting for a page cannot. Idle cores are still all the worker's (WORKER_NICENESS, 0: as the web)."""
    if settings.WORKER_NICENESS:
        os.nice(settings.WORKER_NICENESS)


# The retry policy of every idempotent job: exponential backoff (5 s, then 10, 20, 40... with
# jitter, at most 5 minutes apart) on I/O errors only, when the database or the broker is out
# of reach for a while. Any other error is a bug and fails at once.
class RetryPolicy(TypedDict):
    """shared_task's retry options, typed so mypy can tell which overload of it is called."""

    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


RETRY_ON_IO_ERRORS: RetryPolicy = {
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


class TransientDeliveryError(Exception):
    """Sending a message (SMTP, a push service) failed in a way worth trying again later.

    `retry_after`: seconds the other side asked us to wait (HTTP Retry-After), if it said.
    """

    def __init__(self, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


# The retry policy of the jobs that send a message to one patient: slower than the I/O policy
# (30 s, then 60, 120... with jitter, at most 30 minutes apart), so a mail server or push service
# that is down gets time to recover, and all five tries fit in a reminder's catch-up window.
# The database blips the I/O policy covers are retried too. Any other error fails at once.
RETRY_ON_DELIVERY_ERRORS: RetryPolicy = {
    "autoretry_for": (TransientDeliveryError, OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 5,
}
