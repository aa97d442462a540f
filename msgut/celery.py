import os
from typing import TypedDict

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msgut.settings")

# msgut itself is not an installed app, so its tasks module is named explicitly.
app = Celery("msgut", include=["msgut.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
