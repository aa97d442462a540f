"""Guidance background jobs: thin Celery wrappers (ids and ISO dates in, one service call each)
and the functions that enqueue them.

All idempotent (upserts on (patient, date)), so a redelivery or a retry stores the
same rows. Retries follow msgut.celery.RETRY_ON_IO_ERRORS, as the trends jobs do. A patient who
erased their account while a rescore waited in the queue has nothing left to score: skipped quietly.
"""

import logging
from datetime import date

from celery import shared_task
from django.db import IntegrityError
from django.utils import timezone

from accounts.selectors import existing_user_ids
from guidance import services
from msgut.celery import RETRY_ON_IO_ERRORS
from msgut.events import scores_stored

logger = logging.getLogger(__name__)

# A save's rescore waits this long, so the entries saved meanwhile (the patient's next ones, other
# patients') are scored with it.
RESCORE_DELAY_SECONDS = 3


@shared_task(**RETRY_ON_IO_ERRORS)
def rescore_days_task(patient_id: int, start: str, end: str) -> int:
    """Rescore one patient's days from `start` to `end` (ISO dates), then their dashboard row."""
    if not existing_user_ids([patient_id]):
        logger.info("patient %s no longer exists: no days to rescore", patient_id)
        return 0
    try:
        stored = services.rescore_days(
            patient_id=patient_id, start=date.fromisoformat(start), end=date.fromisoformat(end)
        )
    except IntegrityError:
        if existing_user_ids([patient_id]):
            raise
        logger.info("patient %s was erased during a rescore: nothing stored", patient_id)
        return 0
    scores_stored([patient_id])
    return stored


@shared_task(**RETRY_ON_IO_ERRORS)
def rescore_stale_task() -> int:
    """Rescore every patient's days marked stale until now, patients close in time together, then
    their dashboard rows. Returns the patients rescored."""
    services.start_rescore()  # a day marked from now on queues the next rescore
    patients = services.rescore_stale(before=timezone.now())
    scores_stored(patients)
    return len(patients)


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

    Runs after the patient's entry is committed. The day is marked stale; a rescore is queued (after
    RESCORE_DELAY_SECONDS) unless one is queued and not started, which will take this day too. So
    a burst of saves, one patient's or many patients', makes one rescore. Never raises: when the
    broker is down (or a marker outlives its task) the periodic sweep rescores the marked days later.
    """
    try:
        services.mark_stale(patient_id=patient_id, day=day)
        if not services.claim_rescore(at=timezone.now()):
            return  # the rescore queued takes this day too
    except Exception:
        logger.exception("could not mark %s of patient %s stale", day, patient_id)
    try:
        rescore_stale_task.apply_async(countdown=RESCORE_DELAY_SECONDS)
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
