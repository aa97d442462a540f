"""Trends background jobs: thin Celery wrappers (ids and ISO dates in, one service call each)
and the function that enqueues a week's build.

All idempotent (upserts on the patient-week key), so acks_late redelivery, a
duplicate beat or two builds at once leave one identical row. Retries follow
msgut.celery.RETRY_ON_IO_ERRORS. A patient who erased their account while a build waited
in the queue has nothing left to build: the task skips them quietly.
"""

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from accounts.selectors import existing_user_ids
from msgut.celery import RETRY_ON_IO_ERRORS
from trends import services, weekly

logger = logging.getLogger(__name__)

# Wait this long after a change before building, so a burst of entries makes one build.
DEBOUNCE_SECONDS = getattr(settings, "TRENDS_DEBOUNCE_SECONDS", 30)


@shared_task(**RETRY_ON_IO_ERRORS)
def build_week_task(patient_id: int, week: str) -> int:
    """Build one patient's ISO week (`week`: an ISO date within it). Returns the rows written (0 or 1)."""
    if not existing_user_ids([patient_id]):
        logger.info("patient %s no longer exists: no week to build", patient_id)
        return 0
    try:
        return services.run_week_build(patient_id=patient_id, week=date.fromisoformat(week)).written
    except IntegrityError:
        # Erased while the week was being built: their row would point at nobody.
        if existing_user_ids([patient_id]):
            raise
        logger.info("patient %s was erased during the build of a week: nothing stored", patient_id)
        return 0


@shared_task(**RETRY_ON_IO_ERRORS)
def rebuild_patients_task(patient_ids: list[int], start: str | None = None, end: str | None = None) -> int:
    """Rebuild the weeks of patients whose day scores were recomputed (`start`, `end`: ISO dates or None for all)."""
    ids = existing_user_ids(patient_ids)
    try:
        return services.rebuild_patients(
            patient_ids=ids,
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(end) if end else None,
        ).written
    except IntegrityError:
        # One of them was erased during the rebuild: the others again, without them.
        remaining = existing_user_ids(ids)
        if remaining == ids:
            raise
        logger.info("%s patients were erased during a rebuild of weeks", len(ids) - len(remaining))
        return rebuild_patients_task(remaining, start, end)


@shared_task(**RETRY_ON_IO_ERRORS)
def build_last_week_task() -> dict[str, int]:
    """Weekly beat job: every active patient's week just ended."""
    report = services.build_last_week()
    return {"weeks": report.weeks, "written": report.written}


@shared_task(**RETRY_ON_IO_ERRORS)
def catch_up_weeks_task() -> dict[str, int]:
    """Nightly beat job: rebuild the weeks whose source data changed and the pending ones."""
    report = services.catch_up()
    return {"weeks": report.weeks, "written": report.written}


# ---------------------------------------------------------------- enqueueing (msgut.events calls this)


def schedule_rebuild(patient_id: int, day: date) -> None:
    """Enqueue a debounced rebuild of the ISO week containing `day`. Never raises.

    Called after commit for every tracker write (msgut.events.entries_changed).
    While a build is queued, further changes to the week only touch its marker.
    When the broker is down the failure is logged, the marker stays un-enqueued
    and the nightly catch-up builds the week.
    """
    week = weekly.week_start(day)
    now = timezone.now()
    try:
        if not services.mark_week_pending(patient_id=patient_id, week=week, at=now):
            return  # a build is already on its way and will see this change
    except Exception:
        logger.exception("could not mark the week of %s of patient %s for a rebuild", week, patient_id)
    try:
        build_week_task.apply_async(args=(patient_id, week.isoformat()), countdown=DEBOUNCE_SECONDS)
    except Exception:
        logger.warning(
            "could not enqueue the rebuild of patient %s week %s; the nightly catch-up will do it",
            patient_id,
            week,
            exc_info=True,
        )
        return
    try:
        services.note_week_enqueued(patient_id=patient_id, week=week, at=now)
    except Exception:
        logger.exception("could not note the enqueued rebuild of patient %s week %s", patient_id, week)


def schedule_patients_rebuild(patient_ids: list[int], start: date | None = None, end: date | None = None) -> None:
    """Enqueue the rebuild of these patients' weeks after their scores were recomputed. Never raises.

    When the broker is down the nightly catch-up finds the changed weeks by their fingerprints.
    """
    try:
        rebuild_patients_task.apply_async(
            args=(patient_ids, start.isoformat() if start else None, end.isoformat() if end else None)
        )
    except Exception:
        logger.warning(
            "could not enqueue the rebuild of %s patients' weeks; the nightly catch-up will do it",
            len(patient_ids),
            exc_info=True,
        )
