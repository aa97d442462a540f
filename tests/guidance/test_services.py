import datetime as dt
import zoneinfo
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import IntegrityError, connection

from clinic.services import erase_patient
from guidance import selectors, services, tasks
from guidance.models import DayScore, Rule, RuleSetVersion, StaleDay
from guidance.tasks import rescore_days_task, sweep_stale_scores_task
from tests.conftest import need
from tests.factories import PatientFactory
from tests.guidance.factories import MealItemFactory
from tracker import services as tracker_services

TODAY = dt.date(2026, 11, 20)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def pinned_today():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS), tick=False):
        yield TODAY


def test_each_score_records_its_version(patient, foods):
    MealItemFactory(patient=patient, date=dt.date(2026, 3, 2), food=foods["yogurt"], grams=125)
    version = selectors.current_version()
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=version)
    score = DayScore.objects.get(patient=patient)
    assert score.version == version and version.number == 2  # v2, published by migration 0006
    fermented = next(line for line in score.breakdown if line["key"] == "fermented")
    assert fermented == {
        "key": "fermented",
        "points": 10.0,
        "possible": 10.0,
        "days_logged": 1,
        "window_days": 1,
        "waived": False,
        "counted": {"fermented": 1.0},
    }


def test_it_rescores_stored_days_after_a_rule_edit(patient, admin_user, foods, django_capture_on_commit_callbacks):
    for offset in range(3):
        MealItemFactory(
            patient=patient, date=dt.date(2026, 3, 2) + timedelta(days=offset), food=foods["lentils"], grams=150
        )
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version())
    before = {s.date: s.total for s in DayScore.objects.filter(patient=patient)}
    Rule.objects.filter(key="fiber").update(params={"measure": "fiber_g", "target": 12})  # 12 g of lentil fiber = full
    old_version = selectors.current_version()
    with django_capture_on_commit_callbacks(execute=True):
        version = services.publish(user=admin_user, note="easier fiber target")
    assert version.number == 3
    scores = list(DayScore.objects.filter(patient=patient))
    assert {s.version_id for s in scores} == {version.pk}
    assert all(s.total > before[s.date] for s in scores)
    version.refresh_from_db()
    assert version.rescore_finished_at is not None and version.rescore_done == version.rescore_total
    # The old version stays readable, with its own rules.
    old_version.refresh_from_db()
    assert next(r for r in old_version.rules if r["key"] == "fiber")["params"]["target"] == 25


def test_the_version_rescore_is_batched_and_idempotent(foods, django_user_model):
    patients = PatientFactory.create_batch(3)
    for patient in patients:
        MealItemFactory(patient=patient, date=dt.date(2026, 3, 2), food=foods["salad"])
    version = selectors.current_version()
    cursor = services.rescore_version_batch(version_id=version.pk, after_patient_id=0, batch_size=2)
    assert cursor == patients[1].pk
    assert DayScore.objects.count() == 2
    assert services.rescore_version_batch(version_id=version.pk, after_patient_id=cursor, batch_size=2) is None
    services.rescore_version_batch(
        version_id=version.pk, after_patient_id=0, batch_size=5
    )  # a duplicate run changes nothing
    assert DayScore.objects.count() == 3
    version.refresh_from_db()
    assert version.rescore_finished_at is not None


def test_saving_an_entry_rescores_that_day_and_the_next_six(
    patient, foods, pinned_today, django_capture_on_commit_callbacks
):
    day = TODAY - timedelta(days=3)
    for offset in range(-2, 4):
        MealItemFactory(patient=patient, date=day + timedelta(days=offset), food=foods["salad"])
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version())
    before = {s.date: s.total for s in DayScore.objects.filter(patient=patient)}
    with django_capture_on_commit_callbacks(execute=True):
        tracker_services.add_meal_item(
            patient=patient, day=day, meal="lunch", food=foods["lentils"], grams=450
        )  # 3 servings of legumes
    after = {s.date: s.total for s in DayScore.objects.filter(patient=patient)}
    assert after[day] > before[day]
    for later in range(1, 4):  # their 7-day windows now hold 3 servings of legumes (a MEDAS item)
        assert after[day + timedelta(days=later)] > before[day + timedelta(days=later)]
    assert after[day - timedelta(days=1)] == before[day - timedelta(days=1)]
    assert not StaleDay.objects.exists()


def test_with_the_broker_down_the_entry_is_saved_and_the_sweep_scores_it_later(
    patient, foods, pinned_today, django_capture_on_commit_callbacks
):
    with (
        mock.patch("guidance.tasks.rescore_stale_task.apply_async", side_effect=OSError("redis is down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        item = tracker_services.add_meal_item(patient=patient, day=TODAY, meal="lunch", food=foods["yogurt"], grams=125)
    assert item.pk is not None
    assert not DayScore.objects.filter(patient=patient).exists()
    assert StaleDay.objects.filter(patient=patient, date=TODAY).exists()
    sweep_stale_scores_task.apply()
    score = DayScore.objects.get(patient=patient, date=TODAY)
    assert next(line for line in score.breakdown if line["key"] == "fermented")["points"] == 10
    assert not StaleDay.objects.exists()


def test_schedule_rescore_never_raises(patient, caplog):
    with mock.patch("guidance.tasks.rescore_stale_task.apply_async", side_effect=ConnectionError("no broker")):
        tasks.schedule_rescore(patient.pk, TODAY)
    assert "sweep" in caplog.text


def at(seconds: int):
    """The pinned morning, `seconds` later: saves come one after another."""
    return time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS) + timedelta(seconds=seconds), tick=False)


def test_a_burst_of_saves_by_two_patients_makes_one_rescore_that_scores_every_day(
    patient, foods, django_capture_on_commit_callbacks
):
    other = PatientFactory()
    saves = [*((patient, TODAY - timedelta(days=n)) for n in (0, 0, 2, 9)), (other, TODAY)]
    with mock.patch("guidance.tasks.rescore_stale_task.apply_async") as enqueue:
        for second, (who, day) in enumerate(saves):
            with at(second), django_capture_on_commit_callbacks(execute=True):
                tracker_services.add_meal_item(patient=who, day=day, meal="lunch", food=foods["salad"], grams=100)
    assert enqueue.call_count == 1
    assert enqueue.call_args.kwargs["countdown"] == tasks.RESCORE_DELAY_SECONDS
    assert set(StaleDay.objects.values_list("patient_id", "date")) == {(who.pk, day) for who, day in saves}

    with at(10), mock.patch("guidance.tasks.rescore_stale_task.apply_async") as again:
        assert tasks.rescore_stale_task.apply().result == 2  # what the worker runs
    for who, day in saves:
        assert DayScore.objects.filter(patient=who, date=day).exists()
    assert not StaleDay.objects.exists()
    again.assert_not_called()  # nothing was marked meanwhile

    # The next save finds nothing waiting: it enqueues again.
    with (
        at(11),
        mock.patch("guidance.tasks.rescore_stale_task.apply_async") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        tracker_services.add_meal_item(patient=patient, day=TODAY, meal="dinner", food=foods["salad"], grams=100)
    assert enqueue.call_count == 1


def test_a_rescore_queued_but_never_started_holds_the_next_saves_back_a_minute_at_most(patient, foods):
    with mock.patch("guidance.tasks.rescore_stale_task.apply_async") as enqueue:
        with at(0):
            tasks.schedule_rescore(PatientFactory().pk, TODAY)  # the broker lost this one
        assert enqueue.call_count == 1
        with at(30):
            tasks.schedule_rescore(patient.pk, TODAY)
        assert enqueue.call_count == 1  # half a minute: taken to be on its way
        with at(61):
            tasks.schedule_rescore(patient.pk, TODAY)
        assert enqueue.call_count == 2
    with at(62):
        tasks.rescore_stale_task.apply()
    assert not StaleDay.objects.exists()


def test_patients_marked_close_together_share_a_pass_and_the_others_have_their_own(pinned_today, foods):
    now, long_ago, close = PatientFactory(), PatientFactory(), PatientFactory()
    marked = {
        now: [TODAY, TODAY - timedelta(days=1)],
        long_ago: [TODAY - timedelta(days=200)],
        close: [TODAY - timedelta(days=20)],
    }
    for who, days in marked.items():
        for day in days:
            MealItemFactory(patient=who, date=day, food=foods["salad"])
            services.mark_stale(patient_id=who.pk, day=day)
    with mock.patch("guidance.services.rescore_patients", wraps=services.rescore_patients) as passes:
        assert sorted(services.rescore_stale(before=dt.datetime.now(dt.UTC))) == sorted(p.pk for p in marked)
    assert [(c.kwargs["patient_ids"], c.kwargs["start"], c.kwargs["end"]) for c in passes.call_args_list] == [
        ([long_ago.pk], TODAY - timedelta(days=200), TODAY - timedelta(days=194)),
        ([close.pk, now.pk], TODAY - timedelta(days=20), TODAY + timedelta(days=6)),
    ]
    for who, days in marked.items():
        assert set(DayScore.objects.filter(patient=who).values_list("date", flat=True)) == set(days)
    assert not StaleDay.objects.exists()


def test_a_day_marked_while_the_rescore_runs_gets_another_one(patient, foods, pinned_today):
    MealItemFactory(patient=patient, date=TODAY, food=foods["salad"])
    with mock.patch("guidance.tasks.rescore_stale_task.apply_async") as enqueue:
        tasks.schedule_rescore(patient.pk, TODAY)
    enqueue.assert_called_once()
    real = services.rescore_stale

    def rescore_then_a_save_comes(**kwargs):
        stored = real(**kwargs)
        with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=PARIS), tick=False):
            tasks.schedule_rescore(patient.pk, TODAY - timedelta(days=1))
        return stored

    with (
        mock.patch("guidance.services.rescore_stale", side_effect=rescore_then_a_save_comes),
        mock.patch("guidance.tasks.rescore_stale_task.apply_async") as again,
    ):
        tasks.rescore_stale_task.apply()
    again.assert_called_once()
    assert list(StaleDay.objects.values_list("date", flat=True)) == [TODAY - timedelta(days=1)]


def test_the_sweep_scores_recent_entries_that_were_never_scored(patient, foods):
    MealItemFactory(patient=patient, date=dt.date(2026, 3, 2), food=foods["salad"])  # no marker, no score
    report = services.sweep()
    assert report.unscored_patients == 1
    assert DayScore.objects.filter(patient=patient, date=dt.date(2026, 3, 2)).exists()


def test_the_sweep_rescores_days_left_with_an_older_version(patient, foods, admin_user):
    MealItemFactory(patient=patient, date=dt.date(2026, 3, 2), food=foods["salad"])
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version())
    with mock.patch("guidance.tasks.rescore_version_task.apply_async", side_effect=OSError("down")):
        version = services.publish(user=admin_user)
    assert DayScore.objects.get(patient=patient).version.number == 2
    services.sweep()
    assert DayScore.objects.get(patient=patient).version == version


def test_the_rescore_task_takes_ids_and_iso_dates_and_drops_days_without_entries(patient, foods):
    item = MealItemFactory(patient=patient, date=dt.date(2026, 3, 2), food=foods["salad"])
    rescore_days_task.apply(args=[patient.pk, "2026-03-02", "2026-03-08"])
    assert DayScore.objects.filter(patient=patient).count() == 1
    item.delete()
    rescore_days_task.apply(args=[patient.pk, "2026-03-02", "2026-03-08"])
    assert not DayScore.objects.filter(patient=patient).exists()


def test_publishing_twice_makes_two_new_versions(admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.publish(user=admin_user)
        second = services.publish(user=admin_user)
    assert (first.number, second.number) == (3, 4)  # after v1 and the v2 of migration 0006
    assert RuleSetVersion.objects.count() == 4


def test_big_batches_upsert_through_copy_on_postgresql(patient, foods, monkeypatch):
    need(connection.vendor == "postgresql", "PostgreSQL is not configured (DATABASE_URL)")
    monkeypatch.setattr(services, "COPY_THRESHOLD", 1)
    for offset in range(3):
        MealItemFactory(
            patient=patient, date=dt.date(2026, 3, 2) + timedelta(days=offset), food=foods["yogurt"], grams=125
        )
    version = selectors.current_version()
    assert services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=version) == 3
    MealItemFactory(patient=patient, date=dt.date(2026, 3, 4), food=foods["lentils"], grams=150)
    services.rescore_patients(
        patient_ids=[patient.pk], start=None, end=None, version=version
    )  # updates in place, no duplicates
    scores = list(DayScore.objects.filter(patient=patient).order_by("date"))
    assert len(scores) == 3
    assert scores[0].version == version
    fiber = next(line for line in scores[2].breakdown if line["key"] == "fiber")
    assert fiber["counted"] == {"fiber_g": 12.0}


def test_a_patient_erased_during_a_shared_rescore_leaves_the_others_scored(pinned_today, foods):
    kept, erased = PatientFactory(), PatientFactory()
    for who in (kept, erased):
        MealItemFactory(patient=who, date=TODAY, food=foods["salad"])
        services.mark_stale(patient_id=who.pk, day=TODAY)
    real = services.rescore_patients
    calls = []

    def erased_during_the_first_pass(**kwargs):
        calls.append(kwargs["patient_ids"])
        if len(calls) == 1:
            erase_patient(patient=erased)
            raise IntegrityError("insert violates foreign key constraint")
        return real(**kwargs)

    with mock.patch("guidance.services.rescore_patients", side_effect=erased_during_the_first_pass):
        assert services.rescore_stale(before=dt.datetime.now(dt.UTC)) == [kept.pk]
    assert calls == [sorted([kept.pk, erased.pk]), [kept.pk]]
    assert DayScore.objects.filter(patient=kept, date=TODAY).exists()
    assert not StaleDay.objects.exists()
