"""Guidance background jobs: thin Celery wrappers (ids and ISO dates in, one service call each)
and the functions that enqueue them.

All idempotent (upserts on (patient, date)), so a redelivery or a retry stores the
same rows. Retries follow msgut.celery.RETRY_ON_IO_ERRORS, as the trends jobs do.
"""

import logging
from datetime import date, timedelta

from celery import shared_task

from guidance import scoring, services
from msgut.celery import RETRY_ON_IO_ERRORS
from msgut.events import scores_stored

logger = logging.getLogger(__name__)


@shared_task(**RETRY_ON_IO_ERRORS)
def rescore_days_task(patient_id: int, start: str, end: str) -> int:
    """Rescore one patient's days from `start` to `end` (ISO dates), then their dashboard row."""
    stored = services.rescore_days(patient_id=patient_id, start=date.fromisoformat(start), end=date.fromisoformat(end))
    scores_stored([patient_id])
    return stored


@shared_task(**RETRY_ON_IO_ERRORS)
def rescore_version_task(version_id: int, after_patient_id: int = 0) -> None:
    """Rescore the next batch of patients under a newly published version, then queue the next batch."""
    cursor = services.rescore_version_batch(version_id=version_id, after_patient_id=after_patient_id)
    if cursor is not None:
        rescore_version_task.apply_async(args=(version_id, cursor))


@shared_task(**RETRY_ON_IO_ERRORS)
def sweep_stale_scores_task() -> dict[str, int]:
    """Periodic catch-up: stale days, unscored recent entries, scores of older versions."""
    report = services.sweep()
    return {
        "stale_patients": report.stale_patients,
        "unscored_patients": report.unscored_patients,
        "version_patients": report.version_patients,
    }


# ---------------------------------------------------------------- enqueueing (msgut.events calls these)


def schedule_rescore(patient_id: int, day: date) -> None:
    """Rescore `day` and the 6 days after it (their 7-day windows contain it), in the background.

    Runs after the patient's entry is committed. Never raises: when the broker is
    down the stale marker stays and the periodic sweep rescores the days later.
    """
    try:
        services.mark_stale(patient_id=patient_id, day=day)
    except Exception:
        logger.exception("could not mark %s of patient %s stale", day, patient_id)
    end = day + timedelta(days=scoring.DEFAULT_WINDOW_DAYS - 1)
    try:
        rescore_days_task.apply_async(args=(patient_id, day.isoformat(), end.isoformat()))
    except Exception:
        logger.warning(
            "could not enqueue the rescore of patient %s from %s; the sweep will do it", patient_id, day, exc_info=True
        )


def start_version_rescore(version_id: int) -> None:
    """Start rescoring every patient under a just-published version. Never raises."""
    try:
        rescore_version_task.apply_async(args=(version_id, 0))
    except Exception:  # broker down: the sweep picks up scores of older versions
        logger.exception("could not enqueue the rescore of version %s; the sweep will do it", version_id)
