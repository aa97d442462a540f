"""Building weekly summaries from the database: numbers, idempotency, scheduling and catch-up."""

import threading
from datetime import date, timedelta
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.urls import reverse

from msgut.celery import RETRY_ON_IO_ERRORS, app
from msgut.events import entries_changed
from tests.conftest import need
from tests.factories import PatientFactory
from tests.guidance.factories import DayScoreFactory, MealItemFactory
from tests.tracker.factories import FatigueFactory, FoodFactory, RelapseFactory
from tests.trends.factories import SleepFactory
from tracker.models import FatigueRating
from trends import services, tasks, weekly
from trends.models import PendingWeek, WeeklySummary

MONDAY = date(2026, 3, 2)
TODAY = date(2026, 3, 11)  # the Wednesday of the following week

DATA_FIELDS = [f.name for f in WeeklySummary._meta.fields if f.name not in {"id", "built_at"}]


def snapshot(row: WeeklySummary) -> dict:
    return {name: getattr(row, name) for name in DATA_FIELDS}


@pytest.fixture
def week_of_data(patient):
    lentils = FoodFactory(default_portion_g=100, fiber_g_per_100g=8)
    yogurt = FoodFactory(default_portion_g=125, fermented=True)
    crisps = FoodFactory(default_portion_g=30, nova_group=4)
    MealItemFactory(patient=patient, date=MONDAY, food=lentils, grams=250)  # 20 g fiber
    MealItemFactory(patient=patient, date=MONDAY, food=yogurt, grams=125)  # 1 fermented
    MealItemFactory(patient=patient, date=MONDAY + timedelta(days=2), food=crisps, grams=60)  # 2 processed
    MealItemFactory(patient=patient, date=MONDAY + timedelta(days=2), food=lentils, grams=50)  # 4 g fiber
    SleepFactory(patient=patient, date=MONDAY, total_sleep_minutes=400, mid_sleep_minutes=200)
    SleepFactory(patient=patient, date=MONDAY + timedelta(days=1), total_sleep_minutes=500, mid_sleep_minutes=160)
    FatigueFactory(patient=patient, date=MONDAY, score=3)
    FatigueFactory(patient=patient, date=MONDAY + timedelta(days=6), score=7)
    DayScoreFactory(patient=patient, date=MONDAY, total=70)
    DayScoreFactory(
        patient=patient,
        date=MONDAY + timedelta(days=2),
        total=30,
        breakdown=[
            {"key": "fiber", "points": 2.0, "possible": 20.0},
            {"key": "fermented", "points": 1.0, "possible": 10.0},
        ],
    )
    RelapseFactory(patient=patient, started_on=MONDAY + timedelta(days=5), ended_on=MONDAY + timedelta(days=9))
    return patient


@time_machine.travel(TODAY)
def test_it_builds_a_week_from_the_logged_rows(week_of_data):
    report = services.build_patient_week(patient_id=week_of_data.pk, day=MONDAY + timedelta(days=3))
    row = WeeklySummary.objects.get(patient=week_of_data)

    assert report.written == 1
    assert row.week_start == MONDAY and (row.iso_year, row.iso_week) == (2026, 10)
    assert row.days_logged == 4  # Mon, Tue (sleep), Wed, Sun (fatigue)
    assert row.meal_days == 2
    assert row.fiber_g == pytest.approx(12.0)  # (20 + 4) / 2
    assert row.fermented_servings == pytest.approx(0.5)  # (1 + 0) / 2
    assert row.processed_servings == pytest.approx(1.0)  # (0 + 2) / 2
    assert row.sleep_minutes == pytest.approx(450.0)
    assert row.mid_sleep_sd_minutes == pytest.approx(20.0)  # 200 and 160
    assert row.fatigue_mean == pytest.approx(5.0)
    assert row.mean_score == pytest.approx(50.0)
    assert row.rule_means == [
        {"key": "fiber", "points": 6.0, "possible": 20.0, "days": 2},
        {"key": "fermented", "points": 3.0, "possible": 10.0, "days": 2},
    ]
    assert row.relapse_days == 2  # Sat and Sun of this week
    assert row.figure["relapse"] == [0, 0, 0, 0, 0, 1, 1]


@time_machine.travel(TODAY)
def test_an_unchanged_week_is_skipped_and_a_changed_one_rebuilt(week_of_data):
    services.build_patient_week(patient_id=week_of_data.pk, day=MONDAY)
    first = WeeklySummary.objects.get(patient=week_of_data)

    again = services.build_patient_week(patient_id=week_of_data.pk, day=MONDAY)
    assert again.written == 0
    assert WeeklySummary.objects.get(patient=week_of_data).built_at == first.built_at

    FatigueFactory(patient=week_of_data, date=MONDAY + timedelta(days=1), score=8)
    changed = services.build_patient_week(patient_id=week_of_data.pk, day=MONDAY)
    row = WeeklySummary.objects.get(patient=week_of_data)
    assert changed.written == 1
    assert row.fingerprint != first.fingerprint
    assert row.fatigue_mean == pytest.approx(6.0)


@time_machine.travel(TODAY)
def test_building_twice_leaves_one_identical_row(week_of_data):
    services.build_patient_week(patient_id=week_of_data.pk, day=MONDAY, force=True)
    first = snapshot(WeeklySummary.objects.get(patient=week_of_data))
    services.build_patient_week(patient_id=week_of_data.pk, day=MONDAY, force=True)
    tasks.build_week_task.apply(args=(week_of_data.pk, MONDAY.isoformat()))

    assert WeeklySummary.objects.filter(patient=week_of_data).count() == 1
    assert snapshot(WeeklySummary.objects.get(patient=week_of_data)) == first


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@time_machine.travel(TODAY)
def test_two_builds_at_once_leave_one_identical_row():
    need(connection.vendor == "postgresql", "concurrent upserts need PostgreSQL (DATABASE_URL)")
    patient = PatientFactory()
    lentils = FoodFactory(fiber_g_per_100g=8)
    for offset in range(5):
        MealItemFactory(patient=patient, date=MONDAY + timedelta(days=offset), food=lentils, grams=100 + offset)
        FatigueFactory(patient=patient, date=MONDAY + timedelta(days=offset), score=offset)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def build() -> None:
        try:
            barrier.wait()
            services.build_patient_week(patient_id=patient.pk, day=MONDAY, force=True)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = list(WeeklySummary.objects.filter(patient=patient))
    assert len(rows) == 1
    services.build_patient_week(patient_id=patient.pk, day=MONDAY, force=True)
    assert snapshot(WeeklySummary.objects.get(patient=patient)) == snapshot(rows[0])


@time_machine.travel(TODAY)
def test_the_weekly_job_builds_last_week_for_every_patient(week_of_data, other_patient):
    report = services.build_last_week()

    assert report.weeks == 2
    rows = {row.patient_id: row for row in WeeklySummary.objects.all()}
    assert rows[week_of_data.pk].week_start == MONDAY and rows[week_of_data.pk].meal_days == 2
    assert rows[other_patient.pk].week_start == MONDAY and rows[other_patient.pk].days_logged == 0


@time_machine.travel(TODAY)
def test_the_catch_up_rebuilds_only_the_weeks_whose_data_changed(week_of_data, other_patient):
    FatigueFactory(patient=other_patient, date=MONDAY + timedelta(days=7), score=2)
    first = services.catch_up()
    assert first.written == 3  # two weeks of the first patient (the relapse runs into the next), one of the other

    FatigueFactory(patient=week_of_data, date=MONDAY + timedelta(days=2), score=9)
    second = services.catch_up()
    assert (second.weeks, second.written) == (3, 1)
    assert WeeklySummary.objects.get(patient=week_of_data, week_start=MONDAY).fatigue_mean == pytest.approx(
        19 / 3, abs=1e-3
    )


@time_machine.travel(TODAY)
def test_the_catch_up_empties_a_week_whose_entries_were_deleted(patient):
    FatigueFactory(patient=patient, date=MONDAY, score=4)
    services.catch_up()
    patient_rows = WeeklySummary.objects.filter(patient=patient)
    assert patient_rows.get().fatigue_days == 1

    FatigueRating.objects.filter(patient=patient).delete()
    assert services.catch_up().written == 1
    assert patient_rows.get().fatigue_days == 0 and patient_rows.get().fatigue_mean is None


def test_a_rebuild_is_enqueued_once_per_week_with_a_countdown(patient):
    with mock.patch.object(tasks.build_week_task, "apply_async") as apply_async:
        tasks.schedule_rebuild(patient.pk, MONDAY)
        tasks.schedule_rebuild(patient.pk, MONDAY + timedelta(days=3))
        tasks.schedule_rebuild(patient.pk, MONDAY + timedelta(days=7))

    assert [c.kwargs["args"] for c in apply_async.call_args_list] == [
        (patient.pk, "2026-03-02"),
        (patient.pk, "2026-03-09"),
    ]
    assert all(c.kwargs["countdown"] == tasks.DEBOUNCE_SECONDS for c in apply_async.call_args_list)
    marker = PendingWeek.objects.get(patient=patient, week_start=MONDAY)
    assert marker.enqueued_at is not None


def test_the_build_task_drops_the_marker_so_later_changes_enqueue_again(patient):
    with mock.patch.object(tasks.build_week_task, "apply_async") as apply_async:
        tasks.schedule_rebuild(patient.pk, MONDAY)
        tasks.build_week_task.apply(args=(patient.pk, MONDAY.isoformat()))
        tasks.schedule_rebuild(patient.pk, MONDAY)

    assert apply_async.call_count == 2
    assert WeeklySummary.objects.filter(patient=patient, week_start=MONDAY).exists()


@pytest.fixture
def eager():
    """Tasks run inline, as settings make them when REDIS_URL is unset."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_without_a_broker_the_rebuild_runs_inline_and_leaves_no_marker(
    patient, django_capture_on_commit_callbacks, eager
):
    FatigueFactory(patient=patient, date=MONDAY, score=6)
    with django_capture_on_commit_callbacks(execute=True):
        entries_changed(patient.pk, MONDAY)

    assert WeeklySummary.objects.get(patient=patient).fatigue_mean == 6.0
    assert not PendingWeek.objects.exists()


@time_machine.travel(TODAY)
def test_a_failed_enqueue_keeps_the_save_and_the_catch_up_builds_the_week(
    patient_client, patient, django_capture_on_commit_callbacks
):
    day = TODAY - timedelta(days=1)
    with (
        mock.patch.object(tasks.build_week_task, "apply_async", side_effect=ConnectionError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = patient_client.post(reverse("tracker:fatigue", args=[day]), {"score": "7"})

    assert response.status_code in (200, 302)
    assert FatigueRating.objects.get(patient=patient, date=day).score == 7
    marker = PendingWeek.objects.get(patient=patient)
    assert marker.enqueued_at is None
    assert not WeeklySummary.objects.filter(patient=patient).exists()

    services.catch_up()
    row = WeeklySummary.objects.get(patient=patient)
    assert row.week_start == weekly.week_start(day) and row.fatigue_mean == 7.0
    assert not PendingWeek.objects.exists()


def test_a_dead_database_during_scheduling_never_raises(patient):
    with (
        mock.patch.object(PendingWeek.objects, "get_or_create", side_effect=OperationalError("gone")),
        mock.patch.object(tasks.build_week_task, "apply_async", side_effect=OperationalError("gone")),
    ):
        tasks.schedule_rebuild(patient.pk, MONDAY)  # logged, not raised


def test_the_beat_schedule_names_the_weekly_and_nightly_jobs():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    weekly_job = schedule["trends-build-last-week"]
    nightly_job = schedule["trends-nightly-catch-up"]

    assert weekly_job["task"] == "trends.tasks.build_last_week_task"
    assert nightly_job["task"] == "trends.tasks.catch_up_weeks_task"
    assert weekly_job["task"] in app.tasks and nightly_job["task"] in app.tasks
    assert weekly_job["schedule"].day_of_week == {1}  # Monday
    assert len(nightly_job["schedule"].day_of_week) == 7  # every night


def test_an_io_error_is_retried_and_a_bug_is_not(patient):
    with (
        mock.patch.object(services, "run_week_build", side_effect=OperationalError("blip")) as run,
        pytest.raises(Retry) as retry,
    ):
        tasks.build_week_task.apply(args=(patient.pk, MONDAY.isoformat()))
    assert run.call_count == 1
    assert isinstance(retry.value.exc, OperationalError)
    assert 0 <= retry.value.when <= RETRY_ON_IO_ERRORS["retry_backoff"]  # the first backoff step, with jitter

    with mock.patch.object(services, "run_week_build", side_effect=ValueError("bug")) as run, pytest.raises(ValueError):
        tasks.build_week_task.apply(args=(patient.pk, MONDAY.isoformat()))
    assert run.call_count == 1
