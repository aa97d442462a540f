"""When a reminder is due, through the 2026 daylight-saving changes (pure: no database).

Europe/Paris: last Sunday of March (29 March 2026, 02:00 CET -> 03:00 CEST at 01:00 UTC) and of
October (25 October 2026, 03:00 CEST -> 02:00 CET at 01:00 UTC). America/New_York: second Sunday
of March (8 March 2026, 02:00 EST -> 03:00 EDT at 07:00 UTC) and first Sunday of November
(1 November 2026, 02:00 EDT -> 01:00 EST at 06:00 UTC).
"""

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.schedule import CATCH_UP, daily_due, due_at, end_of_local_day, still_worth_sending, weekly_due
from tests.reminders.conftest import DST_EVENINGS

BEAT = timedelta(minutes=5)


def beats(start: datetime, end: datetime, at: time, zone: ZoneInfo, logged=frozenset()) -> dict[date, datetime]:
    """A beat every 5 minutes; the first beat that finds a date due "sends" it (a dict stands in for
    ReminderLog's unique key). Returns each date's send instant."""
    sent: dict[date, datetime] = {}
    with time_machine.travel(start, tick=False) as traveller:
        while datetime.now(UTC) < end:
            now = datetime.now(UTC)
            day = daily_due(now, at, zone)
            if day is not None and day not in logged:
                sent.setdefault(day, now)
            traveller.shift(BEAT)
    return sent


@pytest.mark.parametrize(("zone", "days", "expected_utc"), DST_EVENINGS)
def test_a_daily_reminder_comes_once_a_day_at_the_same_local_time_across_the_change(zone, days, expected_utc):
    z = ZoneInfo(zone)
    first, last = (date.fromisoformat(d) for d in days)
    start = datetime.combine(first, time(0, 0), tzinfo=z).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(6, 0), tzinfo=z).astimezone(UTC)
    sent = beats(start, end, time(20, 0), z)
    assert sorted(sent) == [first, first + timedelta(days=1), last]
    assert [sent[d].strftime("%Y-%m-%d %H:%M") for d in sorted(sent)] == expected_utc
    assert all(sent[d].astimezone(z).time() == time(20, 0) for d in sent)


def test_a_time_skipped_by_the_spring_change_comes_once_an_hour_later():
    z = ZoneInfo("Europe/Paris")
    sent = beats(datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 6, tzinfo=UTC), time(2, 30), z)
    assert sent == {date(2026, 3, 29): datetime(2026, 3, 29, 1, 30, tzinfo=UTC)}  # 03:30 CEST
    ny = ZoneInfo("America/New_York")
    sent = beats(datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 8, 12, tzinfo=UTC), time(2, 30), ny)
    assert sent == {date(2026, 3, 8): datetime(2026, 3, 8, 7, 30, tzinfo=UTC)}  # 03:30 EDT


def test_a_time_that_happens_twice_in_autumn_is_sent_the_first_time_only():
    z = ZoneInfo("America/New_York")
    sent = beats(datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 12, tzinfo=UTC), time(1, 30), z)
    assert sent == {date(2026, 11, 1): datetime(2026, 11, 1, 5, 30, tzinfo=UTC)}  # 01:30 EDT, not 01:30 EST
    paris = ZoneInfo("Europe/Paris")
    sent = beats(datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 6, tzinfo=UTC), time(2, 30), paris)
    assert sent == {date(2026, 10, 25): datetime(2026, 10, 25, 0, 30, tzinfo=UTC)}  # 02:30 CEST, the first one


def test_no_reminder_when_the_day_is_logged():
    z = ZoneInfo("Europe/Paris")
    start, end = datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 30, 0, tzinfo=UTC)
    assert beats(start, end, time(20, 0), z, logged={date(2026, 3, 29)}) == {}


def test_a_late_time_still_comes_when_the_beat_restarts_after_midnight_but_never_at_night():
    z = ZoneInfo("Europe/Paris")
    # 23:30 local; the beat is down from 23:00 to 00:40 local and then catches up.
    now = datetime(2026, 3, 30, 0, 40, tzinfo=z).astimezone(UTC)
    assert daily_due(now, time(23, 30), z) == date(2026, 3, 29)
    assert daily_due(now + CATCH_UP, time(23, 30), z) is None  # too late: dropped, not sent at night


def test_a_reminder_delayed_past_its_window_is_not_worth_sending():
    due = due_at(date(2026, 3, 29), time(20, 0), ZoneInfo("Europe/Paris"))
    assert still_worth_sending(due, due + CATCH_UP - timedelta(seconds=1))
    assert not still_worth_sending(due, due + CATCH_UP)


def test_the_weekly_summary_is_due_on_mondays_only():
    z = ZoneInfo("America/New_York")
    monday = datetime(2026, 3, 9, 20, 1, tzinfo=z).astimezone(UTC)
    assert weekly_due(monday, time(20, 0), z) == date(2026, 3, 9)
    assert weekly_due(monday - timedelta(days=1), time(20, 0), z) is None


def test_a_daily_notification_lives_until_the_end_of_the_local_day_even_on_a_23_hour_day():
    z = ZoneInfo("Europe/Paris")
    now = datetime(2026, 3, 29, 0, 0, tzinfo=z).astimezone(UTC)
    assert end_of_local_day(now, z) - now == timedelta(hours=23)
    now = datetime(2026, 10, 25, 0, 0, tzinfo=z).astimezone(UTC)
    assert end_of_local_day(now, z) - now == timedelta(hours=25)


def test_the_schedule_is_pure_python():
    code = "import sys, reminders.schedule; assert not [m for m in sys.modules if m.startswith('django')]"
    subprocess.run([sys.executable, "-c", code], check=True)
