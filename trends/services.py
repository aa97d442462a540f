"""Weekly summaries: ORM rows <-> frames, idempotent upserts and scheduling.

The aggregation itself is pure (`trends.weekly`); this module loads the source
rows of many patient-weeks at once (a few queries per chunk of patients,
whatever the number of weeks), writes the changed weeks with one upsert on the
(patient, week) key, and decides what to build when.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from guidance.models import DayScore
from tracker.measures import NOVA_ULTRA_PROCESSED, PRO_INFLAMMATORY_GROUPS, episode_last_day
from tracker.models import FatigueRating, Food, MealItem, Relapse, SleepDiary
from trends import weekly
from trends.models import PendingWeek, WeeklySummary

logger = logging.getLogger(__name__)

# Patients loaded and aggregated together: bounds memory whatever the number of patients.
CHUNK_PATIENTS = getattr(settings, "TRENDS_CHUNK_PATIENTS", 250)
UPSERT_BATCH = 500
# Wait this long after a change before building, so a burst of entries makes one build.
DEBOUNCE_SECONDS = getattr(settings, "TRENDS_DEBOUNCE_SECONDS", 30)
# A marker enqueued longer ago than this whose task never ran counts as lost: enqueue again.
STALE_ENQUEUE = timedelta(minutes=15)
# How far back the nightly catch-up compares fingerprints (older weeks: `rebuild_patient`).
CATCH_UP_WEEKS = getattr(settings, "TRENDS_CATCH_UP_WEEKS", 60)

UPDATE_FIELDS = [
    "iso_year",
    "iso_week",
    "days_logged",
    "meal_days",
    "sleep_nights",
    "fatigue_days",
    "score_days",
    "mean_score",
    "rule_means",
    "fiber_g",
    "fermented_servings",
    "processed_servings",
    "sleep_minutes",
    "mid_sleep_sd_minutes",
    "fatigue_mean",
    "relapse_days",
    "figure",
    "fingerprint",
    "built_at",
]


@dataclass
class BuildReport:
    weeks: int = 0  # patient-weeks examined
    written: int = 0  # patient-weeks whose fingerprint changed and were upserted

    def add(self, other: BuildReport) -> None:
        self.weeks += other.weeks
        self.written += other.written


def week_start(day: date) -> date:
    return weekly.week_start(day)


# ---------------------------------------------------------------- loading


def _frame(rows: Sequence[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    if not rows:
        return weekly.empty(columns)
    return pd.DataFrame.from_records(rows, columns=columns)


def load_sources(patient_ids: Sequence[int], start: date, end: date) -> weekly.Sources:
    """Everything the weeks of these patients between start and end need: a handful of queries."""
    if connection.vendor == "postgresql":
        return _load_sources_postgresql(list(patient_ids), start, end)
    ids = list(patient_ids)
    span = {"patient_id__in": ids, "date__gte": start, "date__lte": end}
    meal_rows = (
        MealItem.objects.filter(**span)
        .order_by()
        .values("patient_id", "date", "food_id")
        .annotate(total=Sum("grams"))
        .values_list("patient_id", "date", "food_id", "total")
    )
    meals = _frame(list(meal_rows), weekly.MEAL_COLUMNS)
    food_ids = meals["food_id"].unique().tolist() if len(meals) else []
    foods = _frame(
        list(
            Food.objects.filter(id__in=food_ids).values_list(
                "id", "default_portion_g", "fiber_g_per_100g", "nova_group", "fermented", "added_sugar", "groups"
            )
        )
        if food_ids
        else [],
        weekly.FOOD_COLUMNS,
    )
    sleep = _frame(
        list(SleepDiary.objects.filter(**span).order_by().values_list(*weekly.SLEEP_COLUMNS)), weekly.SLEEP_COLUMNS
    )
    fatigue = _frame(
        list(FatigueRating.objects.filter(**span).order_by().values_list(*weekly.FATIGUE_COLUMNS)),
        weekly.FATIGUE_COLUMNS,
    )
    scores = _frame(
        list(DayScore.objects.filter(**span).order_by().values_list(*weekly.SCORE_COLUMNS)), weekly.SCORE_COLUMNS
    )
    parts = _frame(_score_parts(ids, start, end), weekly.PART_COLUMNS)
    relapses = _relapses(ids, start, end)
    return weekly.Sources(meals, foods, sleep, fatigue, scores, parts, relapses)


def _relapses(patient_ids: list[int], start: date, end: date) -> pd.DataFrame:
    """The patients' relapses overlapping [start, end] (one query)."""
    rows = Relapse.objects.filter(patient_id__in=patient_ids).overlapping(start, end).order_by()
    return _frame(list(rows.values_list(*weekly.RELAPSE_COLUMNS)), weekly.RELAPSE_COLUMNS)


def _fetch_frame(sql: str, params: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _frame(cursor.fetchall(), columns)


# The per-day food sums, done by PostgreSQL: the same definitions as trends.weekly (servings =
# grams / default portion) and tracker.measures.is_processed, whose constants are the parameters.
MEAL_DAYS_SQL = """
    SELECT m.patient_id, m.date - DATE '1970-01-01',
           SUM(m.grams * f.fiber_g_per_100g / 100.0),
           SUM(CASE WHEN f.fermented THEN m.grams / NULLIF(f.default_portion_g, 0) ELSE 0 END),
           SUM(CASE WHEN f.nova_group = %s OR f.added_sugar OR (jsonb_typeof(f.groups) = 'array' AND f.groups ?| %s)
                    THEN m.grams / NULLIF(f.default_portion_g, 0) ELSE 0 END)
    FROM {meals} m JOIN {foods} f ON f.id = m.food_id
    WHERE m.patient_id = ANY(%s) AND m.date >= %s AND m.date <= %s
    GROUP BY m.patient_id, m.date
"""
DAY_ROWS_SQL = """
    SELECT patient_id, date - DATE '1970-01-01', {columns} FROM {table}
    WHERE patient_id = ANY(%s) AND date >= %s AND date <= %s {extra}
"""


def _load_sources_postgresql(ids: list[int], start: date, end: date) -> weekly.Sources:
    """The same sources, with dates as day numbers and the meals summed per day by the database."""
    span = [ids, start, end]
    meal_days = _fetch_frame(
        MEAL_DAYS_SQL.format(meals=MealItem._meta.db_table, foods=Food._meta.db_table),
        [NOVA_ULTRA_PROCESSED, sorted(PRO_INFLAMMATORY_GROUPS), *span],
        ["patient_id", "day", "fiber_g", "fermented", "processed"],
    )

    def day_rows(model: Any, columns: list[str], extra: str = "") -> pd.DataFrame:
        sql = DAY_ROWS_SQL.format(columns=", ".join(columns), table=model._meta.db_table, extra=extra)
        return _fetch_frame(sql, span, ["patient_id", "day", *columns])

    sleep = day_rows(SleepDiary, ["total_sleep_minutes", "mid_sleep_minutes"])
    fatigue = day_rows(FatigueRating, ["score"])
    scores = day_rows(DayScore, ["total", "logged"], "AND logged")
    parts = _fetch_frame(
        PARTS_SQL.format(table=DayScore._meta.db_table),
        span,
        ["patient_id", "day", "position", "key", "points", "possible"],
    )
    relapses = _relapses(ids, start, end)
    blank = weekly.Sources.blank()
    return weekly.Sources(blank.meals, blank.foods, sleep, fatigue, scores, parts, relapses, meal_days=meal_days)


PARTS_SQL = """
    SELECT s.patient_id, s.date - DATE '1970-01-01', e.ord - 1, e.line ->> 'key',
           COALESCE((e.line ->> 'points')::float, 0), COALESCE((e.line ->> 'possible')::float, 0)
    FROM {table} s
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(s.breakdown) = 'array' THEN s.breakdown ELSE '[]'::jsonb END
    ) WITH ORDINALITY AS e(line, ord)
    WHERE s.patient_id = ANY(%s) AND s.date >= %s AND s.date <= %s AND s.logged
      AND jsonb_typeof(e.line) = 'object'
      AND NOT COALESCE((e.line ->> 'waived')::boolean, false)
"""


def _score_parts(patient_ids: list[int], start: date, end: date) -> list[tuple[Any, ...]]:
    """(patient, date, position, key, points, possible) of every rule line of the logged day scores.

    Waived lines (e.g. a rule paused during a relapse) are left out: a rule's mean is
    over the days it applied. On PostgreSQL only these six values leave the database,
    not the whole breakdown (which also explains each line): see PARTS_SQL.
    """
    rows = DayScore.objects.filter(patient_id__in=patient_ids, date__gte=start, date__lte=end, logged=True)
    return [
        (
            patient_id,
            day,
            position,
            str(line.get("key", "")),
            float(line.get("points") or 0),
            float(line.get("possible") or 0),
        )
        for patient_id, day, breakdown in rows.order_by().values_list("patient_id", "date", "breakdown")
        if isinstance(breakdown, list)
        for position, line in enumerate(breakdown)
        if isinstance(line, dict) and not line.get("waived")
    ]


def data_weeks(patient_ids: Sequence[int] | None, start: date, end: date) -> set[tuple[int, date]]:
    """The patient-weeks between start and end with any entry, score or relapse (one query per source)."""
    found: set[tuple[int, date]] = set()
    if connection.vendor == "postgresql":
        # One query: the Monday of every (patient, date) with an entry or a score (date_trunc's week is ISO).
        selects = " UNION ".join(
            f"SELECT DISTINCT patient_id, date_trunc('week', date)::date FROM {model._meta.db_table} "
            f"WHERE date >= %s AND date <= %s" + (" AND patient_id = ANY(%s)" if patient_ids is not None else "")
            for model in (MealItem, SleepDiary, FatigueRating, DayScore)
        )
        params = [start, end] + ([list(patient_ids)] if patient_ids is not None else [])
        with connection.cursor() as cursor:
            cursor.execute(selects, params * 4)
            found.update(cursor.fetchall())
        return found | _relapse_weeks(patient_ids, start, end)

    def scoped(qs: Any) -> Any:
        qs = qs.filter(date__gte=start, date__lte=end).order_by()
        return qs if patient_ids is None else qs.filter(patient_id__in=list(patient_ids))

    for model in (MealItem, SleepDiary, FatigueRating, DayScore):
        for patient_id, day in scoped(model.objects).values_list("patient_id", "date").distinct():
            found.add((patient_id, weekly.week_start(day)))
    return found | _relapse_weeks(patient_ids, start, end)


def _relapse_weeks(patient_ids: Sequence[int] | None, start: date, end: date) -> set[tuple[int, date]]:
    found: set[tuple[int, date]] = set()
    relapses = Relapse.objects.overlapping(start, end)
    if patient_ids is not None:
        relapses = relapses.filter(patient_id__in=list(patient_ids))
    today = timezone.localdate()
    for patient_id, started, ended in relapses.order_by().values_list("patient_id", "started_on", "ended_on"):
        day = max(weekly.week_start(started), weekly.week_start(start))
        last = min(episode_last_day(started, ended, today), end)
        while day <= last:
            found.add((patient_id, day))
            day += timedelta(days=7)
    return found


# ---------------------------------------------------------------- building


def build_weeks(keys: Iterable[tuple[int, date]], *, force: bool = False, today: date | None = None) -> BuildReport:
    """Build the given patient-weeks (week = any day of it), in chunks of patients.

    Idempotent: each week is an upsert on (patient, week_start); a week whose
    fingerprint is unchanged is not rewritten unless `force`.
    """
    today = today or timezone.localdate()
    by_patient: dict[int, set[date]] = {}
    for patient_id, day in keys:
        by_patient.setdefault(int(patient_id), set()).add(weekly.week_start(day))
    report = BuildReport()
    patients = sorted(by_patient)
    for index in range(0, len(patients), CHUNK_PATIENTS):
        chunk = patients[index : index + CHUNK_PATIENTS]
        chunk_keys = [(patient_id, week) for patient_id in chunk for week in sorted(by_patient[patient_id])]
        report.add(_build_chunk(chunk, chunk_keys, force=force, today=today))
    return report


def _build_chunk(patient_ids: list[int], keys: list[tuple[int, date]], *, force: bool, today: date) -> BuildReport:
    start = min(week for _p, week in keys)
    end = max(week for _p, week in keys) + timedelta(days=6)
    sources = load_sources(patient_ids, start, end)
    key_frame = pd.DataFrame.from_records(keys, columns=weekly.KEY_COLUMNS)
    data = weekly.prepare(sources, key_frame, today)
    prints = weekly.fingerprints(data)
    existing = dict(
        (((patient_id, week), fingerprint))
        for patient_id, week, fingerprint in WeeklySummary.objects.filter(
            patient_id__in=patient_ids, week_start__gte=start, week_start__lte=end
        ).values_list("patient_id", "week_start", "fingerprint")
    )
    weeks = [weekly.from_day_number(w) for w in data.keys["week"].tolist()]
    changed = [
        k
        for k, (patient_id, week, fingerprint) in enumerate(
            zip(data.keys["patient_id"].tolist(), weeks, prints, strict=True)
        )
        if force or existing.get((patient_id, week)) != fingerprint
    ]
    report = BuildReport(weeks=len(data.keys), written=len(changed))
    if not changed:
        return report
    now = timezone.now()
    summaries = weekly.summarise(data, only=np.asarray(changed))
    for k, summary in zip(changed, summaries, strict=True):
        summary["fingerprint"] = prints[k]
        summary["built_at"] = now
    upsert(summaries)
    return report


INSERT_FIELDS = ["patient_id", "week_start", *UPDATE_FIELDS]
JSON_FIELDS = {"rule_means", "figure"}


def upsert(summaries: list[dict[str, Any]]) -> None:
    """Insert or update the summaries on their (patient, week_start) key, in one statement per batch.

    On PostgreSQL the rows are COPYed into a temporary table and merged with one
    INSERT ... ON CONFLICT DO UPDATE (tens of thousands of rows a second); two
    builds of the same week at once serialise on the row and leave one row.
    Elsewhere (SQLite) Django's bulk_create does the same upsert.
    """
    if not summaries:
        return
    if connection.vendor != "postgresql":
        WeeklySummary.objects.bulk_create(
            [WeeklySummary(**summary) for summary in summaries],
            batch_size=UPSERT_BATCH,
            update_conflicts=True,
            unique_fields=["patient", "week_start"],
            update_fields=UPDATE_FIELDS,
        )
        return
    table = WeeklySummary._meta.db_table
    columns = ", ".join(INSERT_FIELDS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in UPDATE_FIELDS)
    with transaction.atomic(), connection.cursor() as cursor:
        # Dropped at commit; dropped first too in case an outer transaction is still open (tests).
        cursor.execute("DROP TABLE IF EXISTS pg_temp.trends_upsert")
        cursor.execute(f"CREATE TEMP TABLE trends_upsert ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY trends_upsert ({columns}) FROM STDIN") as copy:
            for summary in summaries:
                copy.write_row(
                    [json.dumps(summary[name]) if name in JSON_FIELDS else summary[name] for name in INSERT_FIELDS]
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM trends_upsert ORDER BY patient_id, week_start "
            f"ON CONFLICT (patient_id, week_start) DO UPDATE SET {updates}"
        )


def build_patient_week(patient_id: int, day: date, *, force: bool = False) -> BuildReport:
    """Build one patient's ISO week containing `day` (a row even when the week is empty)."""
    return build_weeks([(patient_id, day)], force=force)


def rebuild_patient(patient_id: int, *, force: bool = False) -> BuildReport:
    """Every week of one patient's history that has data or a summary (e.g. the demo patient)."""
    first = _first_day([patient_id])
    if first is None:
        return BuildReport()
    keys = data_weeks([patient_id], first, timezone.localdate())
    keys |= set(WeeklySummary.objects.filter(patient_id=patient_id).values_list("patient_id", "week_start"))
    return build_weeks(keys, force=force)


def _first_day(patient_ids: Sequence[int] | None) -> date | None:
    firsts = []
    for model in (MealItem, SleepDiary, FatigueRating, DayScore):
        qs = model.objects.order_by()
        if patient_ids is not None:
            qs = qs.filter(patient_id__in=list(patient_ids))
        value = qs.order_by("date").values_list("date", flat=True).first()
        if value is not None:
            firsts.append(value)
    relapses = Relapse.objects.order_by("started_on")
    if patient_ids is not None:
        relapses = relapses.filter(patient_id__in=list(patient_ids))
    started = relapses.values_list("started_on", flat=True).first()
    if started is not None:
        firsts.append(started)
    return min(firsts) if firsts else None


def active_patient_ids() -> list[int]:
    return list(User.objects.filter(role=Role.PATIENT, is_active=True).order_by("pk").values_list("pk", flat=True))


def build_last_week(today: date | None = None) -> BuildReport:
    """The weekly job: every active patient's week just ended (a row even if nothing was logged)."""
    today = today or timezone.localdate()
    last_week = weekly.week_start(today) - timedelta(days=7)
    return build_weeks([(patient_id, last_week) for patient_id in active_patient_ids()], today=today)


def catch_up(today: date | None = None, weeks_back: int = CATCH_UP_WEEKS) -> BuildReport:
    """The nightly job: rebuild every recent week whose source data changed, and every pending week.

    Catches what an on-demand rebuild missed (broker down, worker lost, scores
    recomputed after a rule edit, a deleted entry): the fingerprints of all
    weeks with data or a summary in the window are compared; only changed
    weeks are written. Pending markers of any age are built too.
    """
    today = today or timezone.localdate()
    start = weekly.week_start(today) - timedelta(weeks=weeks_back)
    keys = data_weeks(None, start, today)
    keys |= set(WeeklySummary.objects.filter(week_start__gte=start).values_list("patient_id", "week_start"))
    pending = list(PendingWeek.objects.values_list("pk", "patient_id", "week_start"))
    keys |= {(patient_id, week) for _pk, patient_id, week in pending}
    report = build_weeks(keys, today=today)
    PendingWeek.objects.filter(pk__in=[pk for pk, _p, _w in pending], enqueued_at__isnull=True).delete()
    PendingWeek.objects.filter(
        pk__in=[pk for pk, _p, _w in pending], enqueued_at__lt=timezone.now() - STALE_ENQUEUE
    ).delete()
    return report


# ---------------------------------------------------------------- scheduling


def schedule_rebuild(patient_id: int, day: date) -> None:
    """Enqueue a debounced rebuild of the ISO week containing `day`. Never raises.

    Called after commit for every tracker write (msgut.events.entries_changed).
    One marker per patient-week: while a build is queued, further changes to the
    week only touch the marker. When the broker is down the failure is logged,
    the marker stays un-enqueued and the nightly catch-up builds the week.
    """
    from trends.tasks import build_week_task

    week = weekly.week_start(day)
    now = timezone.now()
    try:
        marker, created = PendingWeek.objects.get_or_create(
            patient_id=patient_id, week_start=week, defaults={"requested_at": now}
        )
        if not created:
            PendingWeek.objects.filter(pk=marker.pk).update(requested_at=now)
            if marker.enqueued_at is not None and marker.enqueued_at > now - STALE_ENQUEUE:
                return  # a build is already on its way and will see this change
    except Exception:
        logger.exception("could not mark the week of %s of patient %s for a rebuild", week, patient_id)
    try:
        build_week_task.apply_async(args=(patient_id, week.isoformat()), countdown=DEBOUNCE_SECONDS)
    except Exception:
        logger.warning(
            "could not enqueue the rebuild of patient %s week %s; the nightly catch-up will do it",
            patient_id,
            week,
            exc_info=True,
        )
        return
    try:
        # In eager mode (no broker) the task has already run and deleted the marker: this updates nothing.
        PendingWeek.objects.filter(patient_id=patient_id, week_start=week).update(enqueued_at=now)
    except Exception:
        logger.exception("could not note the enqueued rebuild of patient %s week %s", patient_id, week)


def run_week_build(patient_id: int, week: date) -> BuildReport:
    """What the build task does: drop the marker first (later changes enqueue again), then build."""
    PendingWeek.objects.filter(patient_id=patient_id, week_start=weekly.week_start(week)).delete()
    return build_patient_week(patient_id, week)


# ---------------------------------------------------------------- reading


# What the charts, tables and insights read from each summary (not the fingerprint or the ids).
# What the charts read: the week and its figures, not the ISO numbering or build metadata.
CHART_FIELDS = [
    "week_start",
    *(f for f in UPDATE_FIELDS if f not in {"iso_year", "iso_week", "fingerprint", "built_at"}),
]


@dataclass
class ChartData:
    weeks: list[dict[str, Any]]  # the CHART_FIELDS of each summary, oldest first
    pending: bool
    key: tuple[int, date, date]  # (patient id, start, end): lets the template tag reuse what a view loaded


def chart_data(patient_id: int, start: date, end: date) -> ChartData:
    """The summaries overlapping [start, end] and whether a rebuild is pending: two queries."""
    weeks = list(WeeklySummary.objects.of_patient_between(patient_id, start, end).values(*CHART_FIELDS))
    pending = PendingWeek.objects.filter(
        patient_id=patient_id, week_start__gte=weekly.week_start(start), week_start__lte=end
    ).exists()
    return ChartData(weeks=weeks, pending=pending, key=(patient_id, start, end))
