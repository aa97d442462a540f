"""Reminder reads: whose reminders are due now, what a patient set, their devices, the weekly digest.

The beat's read is a fixed number of queries whatever the number of patients: the preferences,
then per local date (at most three at any instant, UTC-12 to UTC+14) one query per kind of entry
and one for relapses, then the devices and the rows already claimed.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext

from accounts.models import Profile, Role, User
from reminders import channels, schedule
from reminders.models import WANTS_FIELD, Channel, Kind, PushSubscription, ReminderLog, ReminderPreference
from tracker import selectors as tracker_selectors
from trends import insights, presenters
from trends import selectors as trends_selectors


@dataclass(frozen=True)
class Due:
    """One reminder to claim: who, what, on which channel, for which local date, due since when."""

    patient_id: int
    kind: str
    channel: str
    local_date: date
    due_at: datetime


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    """The patient's own time zone (the profile's), or the server's when it is missing or unknown."""
    try:
        name = user.profile.time_zone
    except Profile.DoesNotExist:
        name = settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def language_of(user: User) -> str:
    try:
        return user.profile.language or settings.LANGUAGE_CODE
    except Profile.DoesNotExist:
        return settings.LANGUAGE_CODE


def preference_of(patient: User) -> ReminderPreference:
    """The patient's reminders as stored, or the defaults (all off) when never set; writes nothing."""
    try:
        return patient.reminder_preference
    except ReminderPreference.DoesNotExist:
        return ReminderPreference(patient=patient)


def enabled_preferences() -> list[ReminderPreference]:
    """Every active patient with at least one reminder on (one query, with their profiles)."""
    any_on = Q()
    for field in WANTS_FIELD.values():
        any_on |= Q(**{field: True})
    return list(
        ReminderPreference.objects.filter(any_on, patient__role=Role.PATIENT, patient__is_active=True)
        .select_related("patient__profile")
        .order_by("pk")
    )


def still_wanted(*, patient: User, kind: str, channel: str, local_date: date) -> str:
    """Why a claimed reminder should no longer go ("" when it still should): checked again at
    send time, since the patient may have logged, turned it off or opened a relapse meanwhile."""
    if not patient.is_active or patient.role != Role.PATIENT:
        return "inactive"
    preference = preference_of(patient)
    if not preference.pk or not preference.wants(kind, channel):
        return "turned off"
    if not channels.available(channel):
        return "channel off"
    if kind == Kind.DAILY and tracker_selectors.patients_with_entries_on([patient.pk], local_date):
        return "day logged"
    if preference.quiet_during_relapse and tracker_selectors.patients_in_relapse_on([patient.pk], local_date):
        return "quiet day"
    return ""


def due_reminders(now: datetime) -> list[Due]:
    """The reminders due at `now` that nobody has claimed yet and that should go.

    A daily reminder is left out when its day has any entry; any reminder while a relapse covers
    its day and the patient asked for quiet days; a notification needs at least one device. A reminder due before
    the patient last saved their settings is not sent that day: turning one on at 20:30 for 20:00
    starts tomorrow, not with a message a minute later.
    """
    usable = [c for c in Channel.values if channels.available(c)]
    candidates: list[Due] = []
    quiet: set[int] = set()
    for preference in enabled_preferences():
        patient = preference.patient
        zone = zone_of(patient)
        if preference.quiet_during_relapse:
            quiet.add(patient.pk)
        for kind, due_on in ((Kind.DAILY, schedule.daily_due), (Kind.WEEKLY, schedule.weekly_due)):
            wanted = [c for c in usable if preference.wants(kind, c)]
            if not wanted:
                continue
            day = due_on(now, preference.at, zone)
            if day is None:
                continue
            due = schedule.due_at(day, preference.at, zone)
            if due < preference.updated_at:
                continue
            candidates.extend(Due(patient.pk, kind, channel, day, due) for channel in wanted)
    if not candidates:
        return []
    candidates = _without_claimed(candidates)
    candidates = _without_logged_or_quiet(candidates, quiet)
    pushing = {d.patient_id for d in candidates if d.channel == Channel.PUSH}
    if pushing:
        with_devices = set(PushSubscription.objects.filter(patient_id__in=pushing).values_list("patient_id", flat=True))
        candidates = [d for d in candidates if d.channel != Channel.PUSH or d.patient_id in with_devices]
    return candidates


def _without_claimed(candidates: list[Due]) -> list[Due]:
    patient_ids = {d.patient_id for d in candidates}
    dates = {d.local_date for d in candidates}
    claimed = set(
        ReminderLog.objects.filter(patient_id__in=patient_ids, local_date__in=dates).values_list(
            "patient_id", "kind", "channel", "local_date"
        )
    )
    return [d for d in candidates if (d.patient_id, d.kind, d.channel, d.local_date) not in claimed]


def _without_logged_or_quiet(candidates: list[Due], quiet: set[int]) -> list[Due]:
    by_date: dict[date, set[int]] = defaultdict(set)
    daily: dict[date, set[int]] = defaultdict(set)
    for d in candidates:
        by_date[d.local_date].add(d.patient_id)
        if d.kind == Kind.DAILY:
            daily[d.local_date].add(d.patient_id)
    logged: set[tuple[int, date]] = set()
    in_relapse: set[tuple[int, date]] = set()
    for day, patient_ids in by_date.items():
        if daily[day]:
            logged |= {(pk, day) for pk in tracker_selectors.patients_with_entries_on(daily[day], day)}
        if patient_ids & quiet:
            in_relapse |= {(pk, day) for pk in tracker_selectors.patients_in_relapse_on(patient_ids & quiet, day)}
    return [
        d
        for d in candidates
        if (d.patient_id, d.local_date) not in in_relapse
        and not (d.kind == Kind.DAILY and (d.patient_id, d.local_date) in logged)
    ]


def logs_to_enqueue(now: datetime, stale_after: timedelta) -> Q:
    """Claimed reminders still worth sending whose delivery is not on its way: never enqueued
    (the broker was down), or enqueued so long ago that the task must have been lost."""
    return Q(
        status=ReminderLog.Status.QUEUED,
        due_at__gt=now - schedule.CATCH_UP,
    ) & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - stale_after))


# ---------------------------------------------------------------- the settings page


@dataclass(frozen=True)
class Device:
    pk: int
    label: str
    endpoint: str
    created_at: datetime
    last_success_at: datetime | None


BROWSERS = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("SamsungBrowser/", "Samsung Internet"), ("Chrome/", "Chrome")]
SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows")]
SYSTEMS += [("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]


def device_label(user_agent: str) -> str:
    """ "Chrome on Android": enough to tell one's own devices apart (the first match wins, as
    Edge and Samsung Internet also say Chrome, and every iPhone browser says Safari)."""
    browser = next((name for token, name in BROWSERS if token in user_agent), "")
    if not browser and "Safari/" in user_agent:
        browser = "Safari"
    system = next((name for token, name in SYSTEMS if token in user_agent), "")
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("A browser")


def devices_of(patient: User) -> list[Device]:
    return [
        Device(s.pk, device_label(s.user_agent), s.endpoint, s.created_at, s.last_success_at)
        for s in PushSubscription.objects.filter(patient=patient)
    ]


# ---------------------------------------------------------------- the weekly summary

DIGEST_METRICS = ("score", "fiber", "fatigue")
# How many weeks of summaries the observation may draw on (the associations need days in both groups).
OBSERVATION_WEEKS = 12


@dataclass(frozen=True)
class WeeklyDigest:
    """What the weekly email says about the week that ended on Sunday, in the active language."""

    week_start: date
    days_logged: int
    rows: list[dict[str, Any]]  # trends.presenters.comparison_rows for the day score, fiber and fatigue
    observation: str
    fiber_target: str


def weekly_digest(patient_id: int, monday: date) -> WeeklyDigest:
    """The week before `monday` against the one before it, from the stored weekly summaries.

    Worded by trends.presenters, like the trends page: numbers with their day counts and one
    observation from the patient's own log, never a cause.
    """
    week = monday - timedelta(days=7)
    data = trends_selectors.chart_data(
        patient_id, week - timedelta(weeks=OBSERVATION_WEEKS - 1), week + timedelta(days=6)
    )
    by_week = {row["week_start"]: row for row in data.weeks}
    this, last = by_week.get(week), by_week.get(week - timedelta(days=7))
    comparisons = insights.compare(this, last)
    rows = presenters.comparison_rows([c for c in comparisons if c.metric in DIGEST_METRICS])
    return WeeklyDigest(
        week_start=week,
        days_logged=int(this.get("days_logged") or 0) if this else 0,
        rows=rows,
        observation=_observation(comparisons, week, this, last, data.weeks),
        fiber_target=presenters.chart_text()["fiber_target"],
    )


def _observation(
    comparisons: list[insights.Comparison],
    week: date,
    this: dict[str, Any] | None,
    last: dict[str, Any] | None,
    weeks: list[dict[str, Any]],
) -> str:
    changes = presenters.change_sentences(comparisons, week)
    if changes:
        return changes[0]
    found = [a["text"] for a in presenters.association_sentences(insights.associations(weeks)) if a["enough"]]
    if found:
        return str(found[0])
    enough = insights.MIN_WEEK_DAYS
    if this and last and min(int(this.get("days_logged") or 0), int(last.get("days_logged") or 0)) >= enough:
        return gettext("No large change from the week before.")
    return gettext("Log at least %(days)s days a week to see how one week compares with the next.") % {"days": enough}
