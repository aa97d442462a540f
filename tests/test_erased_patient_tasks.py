"""A task queued for a patient who then erased their account does nothing, quietly.

The debounced week build waits 30 s, a rescore 3 s: time enough for the patient to erase their
account (clinic.services.erase_patient deletes the user and every row they own). The task then
finds no patient and stores nothing, instead of failing on the missing user.
"""

from datetime import date
from typing import Any

import pytest

from clinic import tasks as clinic_tasks
from clinic.models import PatientFlags
from clinic.services import erase_patient
from guidance import tasks as guidance_tasks
from guidance.models import DayScore, StaleDay
from tests.factories import PatientFactory
from tests.guidance.factories import MealItemFactory
from tests.tracker.factories import FatigueFactory
from trends import tasks as trends_tasks
from trends.models import PendingWeek, WeeklySummary

DAY = date(2026, 3, 4)

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[tuple[Any, tuple]]:
    """The tasks enqueued (task, args), kept instead of sent to the broker."""
    sent: list[tuple[Any, tuple]] = []
    for task in (trends_tasks.build_week_task, guidance_tasks.rescore_stale_task, trends_tasks.rebuild_patients_task):
        monkeypatch.setattr(task, "apply_async", lambda args=(), _task=task, **kw: sent.append((_task, tuple(args))))
    return sent


def run(task: Any, args: tuple) -> Any:
    result = task.apply(args=args)  # in this process, as a worker would run it
    assert result.successful(), result.traceback
    return result.result


def test_a_week_build_queued_before_the_patient_erased_their_account_does_nothing(queued, caplog):
    patient = PatientFactory()
    FatigueFactory(patient=patient, date=DAY, score=4)
    trends_tasks.schedule_rebuild(patient.pk, DAY)
    [(task, args)] = [(t, a) for t, a in queued if t is trends_tasks.build_week_task]
    erase_patient(patient=patient)

    assert run(task, args) == 0
    assert not WeeklySummary.objects.filter(patient_id=args[0]).exists()
    assert not PendingWeek.objects.filter(patient_id=args[0]).exists()
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


def test_a_rescore_queued_before_the_patient_erased_their_account_does_nothing(queued):
    patient = PatientFactory()
    MealItemFactory(patient=patient, date=DAY)
    guidance_tasks.schedule_rescore(patient.pk, DAY)
    [(task, args)] = [(t, a) for t, a in queued if t is guidance_tasks.rescore_stale_task]
    erased = patient.pk
    erase_patient(patient=patient)

    assert run(task, args) == 0
    assert run(guidance_tasks.rescore_days_task, (erased, DAY.isoformat(), DAY.isoformat())) == 0
    assert not DayScore.objects.filter(patient_id=erased).exists()
    assert not StaleDay.objects.filter(patient_id=erased).exists()
    assert not PatientFlags.objects.filter(patient_id=erased).exists()


def test_rebuilding_weeks_of_patients_some_of_them_erased_builds_the_others(queued):
    kept, gone = PatientFactory(), PatientFactory()
    for patient in (kept, gone):
        FatigueFactory(patient=patient, date=DAY, score=5)
    trends_tasks.schedule_patients_rebuild([kept.pk, gone.pk], DAY, DAY)
    [(task, args)] = queued
    erase_patient(patient=gone)

    assert run(task, args) == 1
    assert WeeklySummary.objects.filter(patient=kept).count() == 1
    assert not WeeklySummary.objects.filter(patient_id=gone.pk).exists()


def test_the_dashboard_rows_of_erased_patients_are_not_stored():
    kept, gone = PatientFactory(), PatientFactory()
    gone_id = gone.pk
    erase_patient(patient=gone)
    clinic_tasks.refresh_flags_now([kept.pk, gone_id])
    assert list(PatientFlags.objects.values_list("patient_id", flat=True)) == [kept.pk]


@pytest.mark.django_db(transaction=True)
def test_a_patient_erased_while_their_week_is_being_built_is_skipped_quietly(queued, monkeypatch):
    patient = PatientFactory()
    FatigueFactory(patient=patient, date=DAY, score=4)
    trends_tasks.schedule_rebuild(patient.pk, DAY)
    [(task, args)] = [(t, a) for t, a in queued if t is trends_tasks.build_week_task]
    build = trends_tasks.services.run_week_build

    def erased_meanwhile(**kwargs: Any) -> Any:
        erase_patient(patient=patient)  # committed before the build stores its row
        return build(**kwargs)

    monkeypatch.setattr(trends_tasks.services, "run_week_build", erased_meanwhile)
    assert run(task, args) == 0
    assert not WeeklySummary.objects.exists()
