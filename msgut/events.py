"""The one place that says what follows a change to a patient's logged day.

Tracker services call `entries_changed` inside their transaction; the derived
work (rescoring, weekly charts) is enqueued after commit with robust=True, so a
dead broker never fails or slows the patient's save. A periodic sweep in each
app catches up whatever could not be enqueued.
"""

from datetime import date

from django.db import transaction


def entries_changed(patient_id: int, day: date) -> None:
    from guidance.services import schedule_rescore
    from trends.services import schedule_rebuild

    # Plain functions, not functools.partial: robust on_commit logs a failing
    # callback by its __qualname__, which a partial does not have.
    def rescore() -> None:
        schedule_rescore(patient_id, day)

    def rebuild() -> None:
        schedule_rebuild(patient_id, day)

    transaction.on_commit(rescore, robust=True)
    transaction.on_commit(rebuild, robust=True)
