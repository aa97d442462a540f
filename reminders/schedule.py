"""When a patient's reminder is due. Pure: the standard library only, no Django.

The beat runs every few minutes; a reminder is due once its local wall-clock time has passed
on a local date, and for at most CATCH_UP after it: a beat that was down for a while still
sends, but a reminder set for 20:00 never arrives in the middle of the night. That it goes at
most once per date and channel is the job of ReminderLog's unique constraint, not of this module.

Daylight-saving time: the wall time is combined with the patient's zone on the date at hand, so
20:00 stays 20:00 on both sides of a change. A time the spring change skips (02:30 when clocks
jump from 02:00 to 03:00) is read as PEP 495 reads it with fold=0, with the offset from before
the jump: 03:30 new time, an hour later. A time the autumn change repeats is the first one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CATCH_UP = timedelta(hours=3)
MONDAY = 0


def due_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on local date `day`."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def daily_due(now: datetime, at: time, zone: ZoneInfo) -> date | None:
    """The local date whose daily reminder is due at `now` (aware), or None.

    Yesterday is looked at too: with a late time (23:30) the catch-up window crosses midnight.
    """
    today = now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):
        start = due_at(day, at, zone)
        if start <= now < start + CATCH_UP:
            return day
    return None


def weekly_due(now: datetime, at: time, zone: ZoneInfo) -> date | None:
    """The Monday (local) whose weekly summary is due at `now`: Mondays at the patient's time.

    The summary is about the week that ended the day before.
    """
    day = daily_due(now, at, zone)
    return day if day is not None and day.weekday() == MONDAY else None


def still_worth_sending(due: datetime, now: datetime) -> bool:
    """A reminder delayed past its catch-up window (a long broker outage) is dropped, not sent late."""
    return now < due + CATCH_UP


def end_of_local_day(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight after `now` in `zone` (UTC): a daily notification is stale after it."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=zone).astimezone(UTC)
