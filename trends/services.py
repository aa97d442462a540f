"""Trends writes: building weekly summaries and the markers of weeks waiting for a build.

The sources come from `trends.selectors`, the aggregation from the pure
`trends.weekly`; the changed weeks are written with one upsert on the (patient,
week) key, so every build is idempotent. The background jobs are in `trends.tasks`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from guidance import scoring
from trends import selectors, weekly
from trends.models import PendingWeek, WeeklySummary
from trends.selectors import UPDATE_FIELDS

# Patients loaded and aggregated together: bounds memory whatever the number of patients.
CHUNK_PATIENTS = getattr(settings, "TRENDS_CHUNK_PATIENTS", 250)
UPSERT_BATCH = 500
# A marker enqueued longer ago than this whose task never ran counts as lost: enqueue again.
STALE_ENQUEUE = timedelta(minutes=15)
# How far back the nightly catch-up compares fingerprints (older weeks: `rebuild_patient`).
CATCH_UP_WEEKS = getattr(settings, "TRENDS_CATCH_UP_WEEKS", 60)


@dataclass
class BuildReport:
    weeks: int = 0  # patient-weeks examined
    written: int = 0  # patient-weeks whose fingerprint changed and were upserted

    def add(self, other: BuildReport) -> None:
        self.weeks += other.weeks
        self.written += other.written


# ---------------------------------------------------------------- building


def build_weeks(*, keys: Iterable[tuple[int, date]], force: bool = False, today: date | None = None) -> BuildReport:
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
    sources = selectors.load_sources(patient_ids, start, end)
    key_frame = pd.DataFrame.from_records(keys, columns=weekly.KEY_COLUMNS)
    data = weekly.prepare(sources, key_frame, today)
    prints = weekly.fingerprints(data)
    existing = {
        (patient_id, week): fingerprint
        for patient_id, week, fingerprint in WeeklySummary.objects.filter(
            patient_id__in=patient_ids, week_start__gte=start, week_start__lte=end
        ).values_list("patient_id", "week_start", "fingerprint")
    }
    weeks = [scoring.from_day_number(w) for w in data.keys["week"].tolist()]
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
    upsert(summaries=summaries)
    return report


INSERT_FIELDS = ["patient_id", "week_start", *UPDATE_FIELDS]
JSON_FIELDS = {"rule_means", "figure"}


def upsert(*, summaries: list[dict[str, Any]]) -> None:
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
    columns = sql.SQL(", ").join(map(sql.Identifier, INSERT_FIELDS))
    updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in UPDATE_FIELDS)
    with transaction.atomic(), connection.cursor() as cursor:
        # Dropped at commit; dropped first too in case an outer transaction is still open (tests).
        cursor.execute("DROP TABLE IF EXISTS pg_temp.trends_upsert")
        cursor.execute(
            sql.SQL(
                "CREATE TEMP TABLE trends_upsert ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
            ).format(columns=columns, table=sql.Identifier(WeeklySummary._meta.db_table))
        )
        with cursor.cursor.copy(sql.SQL("COPY trends_upsert ({}) FROM STDIN").format(columns)) as copy:
            for summary in summaries:
                copy.write_row(
                    [json.dumps(summary[name]) if name in JSON_FIELDS else summary[name] for name in INSERT_FIELDS]
                )
        cursor.execute(
            sql.SQL(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM trends_upsert ORDER BY patient_id, week_start "
                "ON CONFLICT (patient_id, week_start) DO UPDATE SET {updates}"
            ).format(table=sql.Identifier(WeeklySummary._meta.db_table), columns=columns, updates=updates)
        )


def build_patient_week(*, patient_id: int, day: date, force: bool = False) -> BuildReport:
    """Build one patient's ISO week containing `day` (a row even when the week is empty)."""
    return build_weeks(keys=[(patient_id, day)], force=force)


def rebuild_patient(*, patient_id: int, force: bool = False) -> BuildReport:
    """Every week of one patient's history that has data or a summary (e.g. the demo patient)."""
    return rebuild_patients(patient_ids=[patient_id], force=force)


def rebuild_patients(
    *, patient_ids: Sequence[int], start: date | None = None, end: date | None = None, force: bool = False
) -> BuildReport:
    """The weeks of these patients between start and end (their whole history when None) with data or a summary.

    Run after their day scores were recomputed (a published rule set): a week whose sources did
    not change keeps its row (same fingerprint), the others are rebuilt at once.
    """
    ids = list(patient_ids)
    first = start or selectors.first_day(ids)
    if not ids or first is None:
        return BuildReport()
    last = end or timezone.localdate()
    keys = selectors.data_weeks(ids, first, last)
    summaries = WeeklySummary.objects.filter(patient_id__in=ids)
    if start is not None:
        summaries = summaries.filter(week_start__gte=weekly.week_start(start))
    if end is not None:
        summaries = summaries.filter(week_start__lte=end)
    keys |= set(summaries.values_list("patient_id", "week_start"))
    return build_weeks(keys=keys, force=force)


def build_last_week(*, today: date | None = None) -> BuildReport:
    """The weekly job: every active patient's week just ended (a row even if nothing was logged)."""
    today = today or timezone.localdate()
    last_week = weekly.week_start(today) - timedelta(days=7)
    return build_weeks(keys=[(patient_id, last_week) for patient_id in selectors.active_patient_ids()], today=today)


def catch_up(*, today: date | None = None, weeks_back: int = CATCH_UP_WEEKS) -> BuildReport:
    """The nightly job: rebuild every recent week whose source data changed, and every pending week.

    Catches what an on-demand rebuild missed (broker down, worker lost, scores
    recomputed after a rule edit, a deleted entry): the fingerprints of all
    weeks with data or a summary in the window are compared; only changed
    weeks are written. Pending markers of any age are built too.
    """
    today = today or timezone.localdate()
    start = weekly.week_start(today) - timedelta(weeks=weeks_back)
    keys = selectors.data_weeks(None, start, today)
    keys |= set(WeeklySummary.objects.filter(week_start__gte=start).values_list("patient_id", "week_start"))
    pending = list(PendingWeek.objects.values_list("pk", "patient_id", "week_start"))
    keys |= {(patient_id, week) for _pk, patient_id, week in pending}
    report = build_weeks(keys=keys, today=today)
    PendingWeek.objects.filter(pk__in=[pk for pk, _p, _w in pending], enqueued_at__isnull=True).delete()
    PendingWeek.objects.filter(
        pk__in=[pk for pk, _p, _w in pending], enqueued_at__lt=timezone.now() - STALE_ENQUEUE
    ).delete()
    return report


# ---------------------------------------------------------------- scheduling


def mark_week_pending(*, patient_id: int, week: date, at: datetime) -> bool:
    """Note that a patient's week needs a rebuild; False when a build enqueued recently will see the change.

    One marker per patient-week: while a build is queued, further changes to the week only touch it.
    """
    # Most changes come while the week's build is queued: then only the marker's time moves (one query).
    queued = PendingWeek.objects.filter(patient_id=patient_id, week_start=week, enqueued_at__gt=at - STALE_ENQUEUE)
    if queued.update(requested_at=at):
        return False
    marker, created = PendingWeek.objects.get_or_create(
        patient_id=patient_id, week_start=week, defaults={"requested_at": at}
    )
    if not created:
        PendingWeek.objects.filter(pk=marker.pk).update(requested_at=at)
    return True


def note_week_enqueued(*, patient_id: int, week: date, at: datetime) -> None:
    """The build of the week is queued: the marker says when (a marker lost in the queue is enqueued again)."""
    # In eager mode (no broker) the task has already run and deleted the marker: this updates nothing.
    PendingWeek.objects.filter(patient_id=patient_id, week_start=week).update(enqueued_at=at)


def run_week_build(*, patient_id: int, week: date) -> BuildReport:
    """What the build task does: drop the marker first (later changes enqueue again), then build."""
    PendingWeek.objects.filter(patient_id=patient_id, week_start=weekly.week_start(week)).delete()
    return build_patient_week(patient_id=patient_id, day=week)
