"""Trends reads: the source rows of many patient-weeks as frames, which weeks have data, the charts' rows.

The aggregation itself is pure (`trends.weekly`); the sources of many
patient-weeks are loaded at once (a few queries per chunk of patients, whatever
the number of weeks). The writes (building and storing weeks) are in
`trends.services`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import QuerySet, Sum
from django.utils import timezone
from psycopg import sql

from accounts.models import Role, User
from guidance.models import DayScore, RuleSetVersion
from tracker.measures import NOVA_ULTRA_PROCESSED, PRO_INFLAMMATORY_GROUPS, episode_last_day
from tracker.models import FatigueRating, Food, MealItem, Relapse, SleepDiary
from tracker.selectors import STAND_IN_DAY, STAND_IN_PATIENT, PreparedSQL
from trends import weekly
from trends.models import PendingWeek, WeeklySummary

# The stored fields of a summary that its build computes (all but the patient and the week).
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
        of_patients = sql.SQL(" AND patient_id = ANY(%s)" if patient_ids is not None else "")
        selects = sql.SQL(" UNION ").join(
            sql.SQL(
                "SELECT DISTINCT patient_id, date_trunc('week', date)::date FROM {} WHERE date >= %s AND date <= %s{}"
            ).format(sql.Identifier(model._meta.db_table), of_patients)
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


def first_day(patient_ids: Sequence[int] | None) -> date | None:
    """The first day with an entry, a score or a relapse of these patients (all if None)."""
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
    """The patients whose weeks the weekly job builds."""
    return list(User.objects.filter(role=Role.PATIENT, is_active=True).order_by("pk").values_list("pk", flat=True))


# ---------------------------------------------------------------- reading


# What the charts, tables and insights read from each summary: the week and its figures, not the
# ISO numbering or build metadata.
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
    return ChartData(
        weeks=chart_weeks(patient_id, start, end),
        pending=weeks_pending(patient_id, start, end),
        key=(patient_id, start, end),
    )


def _chart_rows(patient_id: int, start: date, end: date) -> Any:
    return WeeklySummary.objects.of_patient_between(patient_id, start, end).values(*CHART_FIELDS)


def chart_weeks(patient_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """The CHART_FIELDS of the summaries overlapping [start, end], oldest first: one query."""
    return list(_chart_rows(patient_id, start, end))


# The digest of no rows: a range without any summary.
NO_WEEKS_DIGEST = "d41d8cd98f00b204e9800998ecf8427e"


@dataclass(frozen=True)
class ChartLookup:
    """What kept charts are looked up by (`chart_lookup`)."""

    digest: str  # MD5 of what `chart_weeks` would read, as PostgreSQL holds the rows
    version_id: int | None  # the published rule set's (its titles and targets are drawn)
    pending: bool  # `weeks_pending`


def chart_lookup(patient_id: int, start: date, end: date) -> ChartLookup | None:
    """The summaries' digest, the published rule set's id and whether a week is pending, in one
    query compiled once per length of range: one short answer, none of the weeks' figures or the
    rule set's rules parsed. None on SQLite, which has no MD5."""
    if connection.vendor != "postgresql":
        return None
    prepared = _prepared_lookup((end - start).days)
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, prepared.params(patient_id, start))
        digest, version_id, pending = cursor.fetchone()
    return ChartLookup(str(digest), version_id, bool(pending))


@lru_cache(maxsize=64)
def _prepared_lookup(days: int) -> PreparedSQL:
    """`chart_lookup`'s query for ranges of `days` days, for stand-ins (any patient and start)."""
    start, end = STAND_IN_DAY, STAND_IN_DAY + timedelta(days=days)
    rows_sql, rows_params = _chart_rows(STAND_IN_PATIENT, start, end).query.sql_with_params()
    version_sql, version_params = RuleSetVersion.objects.order_by("-number").values("pk")[:1].query.sql_with_params()
    pending_sql, pending_params = _pending(STAND_IN_PATIENT, start, end).values("pk")[:1].query.sql_with_params()
    query = (
        f"SELECT (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.week_start), '')) FROM ({rows_sql}) t),"  # noqa: S608 - Django's SQL
        f" ({version_sql}), EXISTS({pending_sql})"
    )
    return PreparedSQL.of(query, (*rows_params, *version_params, *pending_params))


def _pending(patient_id: int, start: date, end: date) -> QuerySet[PendingWeek]:
    # Weeks start on Mondays: the one on or before `start` is the only one in the six days before it
    # (a bound that moves with `start`, so the query compiles once for any start).
    return PendingWeek.objects.filter(
        patient_id=patient_id, week_start__gte=start - timedelta(days=6), week_start__lte=end
    )


def weeks_pending(patient_id: int, start: date, end: date) -> bool:
    """Whether a rebuild of a week overlapping [start, end] is pending: one query."""
    return _pending(patient_id, start, end).exists()
