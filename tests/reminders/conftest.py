import pytest

from msgut.celery import app
from reminders.models import ReminderPreference
from reminders.push import new_vapid_keys


@pytest.fixture(autouse=True)
def eager_tasks():
    """Deliveries run inline even when REDIS_URL is set (no worker runs during these tests)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture
def vapid(settings):
    """Web Push configured, with the tests' local endpoints on the allow-list (plain http on loopback)."""
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_SUBJECT = "mailto:ops@msgut.example"
    settings.PUSH_ENDPOINT_HOSTS = ["127.0.0.1", "localhost", ".push.example"]
    settings.PUSH_ALLOW_HTTP = True
    return public, private


def remind(patient, **fields) -> ReminderPreference:
    """The patient's reminders as the settings page would save them."""
    preference, _ = ReminderPreference.objects.update_or_create(patient=patient, defaults=fields)
    return preference
