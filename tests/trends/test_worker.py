"""A real Celery worker over Redis builds a summary (needs REDIS_URL; CI fails without it)."""

import time
from datetime import date

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections

from msgut.celery import app
from tests.conftest import need
from tests.factories import PatientFactory
from tests.tracker.factories import FatigueFactory
from trends import tasks
from trends.models import PendingWeek, WeeklySummary

MONDAY = date(2026, 3, 2)


def redis_up() -> bool:
    if not settings.REDIS_URL:
        return False

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_over_redis_builds_the_week_of_a_change(monkeypatch):
    need(redis_up(), "Redis is not reachable (set REDIS_URL)")

    assert not app.conf.task_always_eager
    patient = PatientFactory()
    FatigueFactory(patient=patient, date=MONDAY, score=3)
    FatigueFactory(patient=patient, date=date(2026, 3, 4), score=6)
    monkeypatch.setattr(tasks, "DEBOUNCE_SECONDS", 0)
    app.control.purge()  # nothing left over from other tests' enqueues

    def close_worker_connections(**kwargs: object) -> None:
        connections.close_all()  # the worker thread's connection, so the test database can be dropped

    task_postrun.connect(close_worker_connections, weak=False)
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15
    ):
        tasks.schedule_rebuild(patient.pk, date(2026, 3, 4))  # the on-demand path: marker + enqueue
        deadline = time.monotonic() + 30
        while not WeeklySummary.objects.filter(patient=patient).exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    task_postrun.disconnect(close_worker_connections)
    row = WeeklySummary.objects.get(patient=patient)
    assert row.week_start == MONDAY
    assert (row.fatigue_days, row.fatigue_mean) == (2, 4.5)
    assert not PendingWeek.objects.filter(patient=patient).exists()
