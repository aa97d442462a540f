"""Thin Celery wrappers: ids and ISO dates in, one service call each.

All idempotent (upserts on the patient-week key), so acks_late redelivery, a
duplicate beat or two builds at once leave one identical row. Retries with
exponential backoff on I/O errors only (database or broker unreachable); any
other error is a bug and fails loudly.
"""

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError

from trends import services

IO_ERRORS = (OperationalError, InterfaceError, ConnectionError)
BACKOFF_SECONDS = 5  # then 10, 20, 40... with jitter, capped at 5 minutes


@shared_task(
    autoretry_for=IO_ERRORS, retry_backoff=BACKOFF_SECONDS, retry_backoff_max=300, retry_jitter=True, max_retries=6
)
def build_week_task(patient_id: int, week: str) -> int:
    """Build one patient's ISO week (`week`: an ISO date within it). Returns the rows written (0 or 1)."""
    return services.run_week_build(patient_id, date.fromisoformat(week)).written


@shared_task(
    autoretry_for=IO_ERRORS, retry_backoff=BACKOFF_SECONDS, retry_backoff_max=300, retry_jitter=True, max_retries=6
)
def build_last_week_task() -> dict[str, int]:
    """Weekly beat job: every active patient's week just ended."""
    report = services.build_last_week()
    return {"weeks": report.weeks, "written": report.written}


@shared_task(
    autoretry_for=IO_ERRORS, retry_backoff=BACKOFF_SECONDS, retry_backoff_max=300, retry_jitter=True, max_retries=6
)
def catch_up_weeks_task() -> dict[str, int]:
    """Nightly beat job: rebuild the weeks whose source data changed and the pending ones."""
    report = services.catch_up()
    return {"weeks": report.weeks, "written": report.written}
