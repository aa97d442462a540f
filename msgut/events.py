"""The one place that says what follows a change to a patient's logged day.

Tracker services call `entries_changed` inside their transaction; the derived
work (rescoring, weekly charts) is enqueued after commit with robust=True, so a
dead broker never fails or slows the patient's save. A periodic sweep in each
app catches up whatever could not be enqueued.
"""

from datetime import date
from functools import partial

from django.db import transaction


def entries_changed(patient_id: int, day: date) -> None:
    from guidance.services import schedule_rescore
    from trends.services import schedule_rebuild

    transaction.on_commit(partial(schedule_rescore, patient_id, day), robust=True)
    transaction.on_commit(partial(schedule_rebuild, patient_id, day), robust=True)
