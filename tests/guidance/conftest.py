import pytest


@pytest.fixture(autouse=True)
def eager_tasks():
    """Run Celery tasks inline even when REDIS_URL is set (no worker runs during tests)."""
    from msgut.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
