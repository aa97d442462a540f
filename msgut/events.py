"""The one place that says what follows a change, and the only way domain code reaches the task queue.

Services call these inside their transaction; the derived work (rescoring,
weekly charts) is enqueued by each app's `tasks` module after commit with
robust=True, so a dead broker never fails or slows the save. A periodic sweep
in each app catches up whatever could not be enqueued.

The tasks modules are imported when an event fires, not at the top: they import
the services that call these functions (guidance.services -> msgut.events ->
guidance.tasks -> guidance.services), so a top-level import would be a cycle.
"""

from collections.abc import Sequence
from datetime import date

from django.db import transaction


def entries_changed(patient_id: int, day: date) -> None:
    """A patient's entries of `day` changed: rescore the days whose windows hold it, rebuild its week."""
    from guidance import tasks as guidance_tasks
    from trends import tasks as trends_tasks

    # Plain functions, not functools.partial: robust on_commit logs a failing
    # callback by its __qualname__, which a partial does not have.
    def rescore() -> None:
        guidance_tasks.schedule_rescore(patient_id, day)

    def rebuild() -> None:
        trends_tasks.schedule_rebuild(patient_id, day)

    transaction.on_commit(rescore, robust=True)
    transaction.on_commit(rebuild, robust=True)


def rules_published(version_id: int) -> None:
    """A rule-set version was published: rescore every patient under it, in batches."""
    from guidance import tasks as guidance_tasks

    def rescore_everyone() -> None:
        guidance_tasks.start_version_rescore(version_id)

    transaction.on_commit(rescore_everyone, robust=True)


def scores_recomputed(patient_ids: Sequence[int], start: date | None = None, end: date | None = None) -> None:
    """Stored day scores of these patients were recomputed without an entry changing (a rule set was
    published, the sweep caught up): rebuild their weeks between start and end (None: all), so the
    charts show the new points at once rather than after the nightly catch-up."""
    from trends import tasks as trends_tasks

    ids = list(patient_ids)

    def rebuild() -> None:
        trends_tasks.schedule_patients_rebuild(ids, start, end)

    if ids:
        transaction.on_commit(rebuild, robust=True)


def scores_stored(patient_ids: Sequence[int]) -> None:
    """Day scores of these patients were stored after their entries changed (or a sweep or a publish
    rescored them): refresh their rows of the clinician dashboard. Called from the worker's jobs, so
    it runs there, inline, after commit; a failure leaves the row for the periodic refresh."""
    from clinic import tasks as clinic_tasks

    ids = list(patient_ids)

    def refresh() -> None:
        clinic_tasks.refresh_flags_now(ids)

    if ids:
        transaction.on_commit(refresh, robust=True)
