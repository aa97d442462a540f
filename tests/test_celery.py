"""Celery for real: configuration, the retry policy, and a task run by a worker over Redis."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import InterfaceError, OperationalError

from guidance import tasks as guidance_tasks
from msgut.celery import RETRY_ON_IO_ERRORS, app, yield_to_the_web
from msgut.tasks import ping_task
from reminders import tasks as reminders_tasks
from tests.conftest import need
from trends import tasks as trends_tasks


def redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


def test_celery_accepts_json_only_and_acknowledges_late():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_timeout <= 5


def test_the_beat_schedule_lives_in_settings_and_names_real_tasks():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names an unknown task {entry['task']}"


@pytest.mark.parametrize(
    "task",
    [
        guidance_tasks.rescore_days_task,
        guidance_tasks.rescore_stale_task,
        guidance_tasks.rescore_version_task,
        guidance_tasks.sweep_stale_scores_task,
        trends_tasks.build_week_task,
        trends_tasks.build_last_week_task,
        trends_tasks.catch_up_weeks_task,
        reminders_tasks.queue_due_reminders_task,
    ],
    ids=lambda task: task.name,
)
def test_every_scoring_and_chart_job_retries_with_backoff_on_io_errors_only(task):
    assert set(task.autoretry_for) == {OperationalError, InterfaceError, ConnectionError}
    assert ValueError not in task.autoretry_for
    assert task.retry_backoff == RETRY_ON_IO_ERRORS["retry_backoff"] and task.retry_jitter
    assert task.max_retries == RETRY_ON_IO_ERRORS["max_retries"]


def test_the_beat_queues_due_reminders_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-queue-due"]
    assert entry["task"] == reminders_tasks.queue_due_reminders_task.name
    assert entry["schedule"].minute == set(range(0, 60, 5)) and entry["schedule"].hour == set(range(24))
    # A beat stuck in a backed-up queue is dropped before the next one is due.
    assert entry["options"]["expires"] < 5 * 60


def test_tasks_run_inline_exactly_when_there_is_no_redis():
    assert app.conf.task_always_eager is (not settings.REDIS_URL)
    if app.conf.task_always_eager:
        assert ping_task.delay("inline").get() == "pong:inline"


@pytest.mark.services
def test_a_real_worker_runs_a_task_sent_over_redis():
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "REDIS_URL is not set")
    need(redis_reachable(url), f"Redis at {url} is not reachable")
    assert not app.conf.task_always_eager
    assert app.conf.broker_url.startswith("redis://")
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        result = ping_task.delay("over-redis")
        assert result.get(timeout=20) == "pong:over-redis"


@pytest.mark.services
def test_the_worker_command_that_compose_and_make_run_executes_tasks():
    """`celery -A msgut worker` in its own process: proves the task modules are registered there too."""
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "REDIS_URL is not set")
    need(redis_reachable(url), f"Redis at {url} is not reachable")
    celery_bin = Path(sys.executable).with_name("celery")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "msgut.settings", "REDIS_URL": url}
    worker = subprocess.Popen(
        [
            str(celery_bin),
            "-A",
            "msgut",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        result = ping_task.delay("subprocess")
        assert result.get(timeout=60) == "pong:subprocess"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_the_worker_runs_at_a_lower_priority_than_the_web(settings, monkeypatch):
    raised: list[int] = []
    monkeypatch.setattr("os.nice", raised.append)
    settings.WORKER_NICENESS = 10
    yield_to_the_web()
    settings.WORKER_NICENESS = 0
    yield_to_the_web()
    assert raised == [10]
