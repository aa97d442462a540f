"""Thin Celery wrappers: ids and ISO dates in, one service call each. All idempotent (upserts)."""

from celery import shared_task

from guidance import services


@shared_task
def rescore_days_task(patient_id: int, start: str, end: str) -> int:
    """Rescore one patient's days from `start` to `end` (ISO dates)."""
    return services.rescore_days(patient_id, services.day_of(start), services.day_of(end))


@shared_task
def rescore_version_task(version_id: int, after_patient_id: int = 0) -> None:
    """Rescore the next batch of patients under a newly published version, then queue the next batch."""
    cursor = services.rescore_version_batch(version_id, after_patient_id)
    if cursor is not None:
        rescore_version_task.apply_async(args=(version_id, cursor))


@shared_task
def sweep_stale_scores_task() -> dict[str, int]:
    """Periodic catch-up: stale days, unscored recent entries, scores of older versions."""
    report = services.sweep()
    return {
        "stale_patients": report.stale_patients,
        "unscored_patients": report.unscored_patients,
        "version_patients": report.version_patients,
    }
