import pytest

from msgut.celery import app
from reminders.models import ReminderPreference
from reminders.push import new_vapid_keys

# A daily reminder at 20:00 local through each 2026 clock change, as UTC times (zone, first and last day,
# the expected sends).
DST_EVENINGS = [
    # Paris, spring: Sun 29 Mar 2026 02:00 CET -> 03:00 CEST. 20:00 local: 19:00 UTC, then 18:00 UTC.
    ("Europe/Paris", ("2026-03-28", "2026-03-30"), ["2026-03-28 19:00", "2026-03-29 18:00", "2026-03-30 18:00"]),
    # Paris, autumn: Sun 25 Oct 2026 03:00 CEST -> 02:00 CET.
    ("Europe/Paris", ("2026-10-24", "2026-10-26"), ["2026-10-24 18:00", "2026-10-25 19:00", "2026-10-26 19:00"]),
    # New York, spring: Sun 8 Mar 2026 02:00 EST -> 03:00 EDT. 20:00 local: 01:00 UTC next day, then 00:00.
    ("America/New_York", ("2026-03-07", "2026-03-09"), ["2026-03-08 01:00", "2026-03-09 00:00", "2026-03-10 00:00"]),
    # New York, autumn: Sun 1 Nov 2026 02:00 EDT -> 01:00 EST.
    ("America/New_York", ("2026-10-31", "2026-11-02"), ["2026-11-01 00:00", "2026-11-02 01:00", "2026-11-03 01:00"]),
]


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
