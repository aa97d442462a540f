"""Guidance writes: publishing a rule-set version, rescoring days, the catch-up sweep.

Scores are computed from the facts frame (`guidance.selectors.load_facts`) by the
pure core and upserted in bulk on (patient, date). Every function is idempotent:
running it twice stores the same rows. The background jobs that call these are in
`guidance.tasks`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from psycopg import sql

from accounts.models import Role, User
from accounts.selectors import existing_user_ids
from guidance import scoring, selectors
from guidance.models import DayScore, QueuedRescore, RawJSON, RuleSetVersion, StaleDay
from msgut.events import rules_published, scores_recomputed, scores_stored
from tracker.models import FatigueRating, Lifestyle, MealItem, SleepDiary, StoolEvent, SymptomLog

logger = logging.getLogger(__name__)

BATCH_PATIENTS = 100  # patients per rescore pass (a version's rescore: one task each)
UPSERT_BATCH = 2000
COPY_THRESHOLD = 5000  # rows from which PostgreSQL upserts go through COPY (see _copy_upsert)
SWEEP_LOOKBACK = timedelta(days=2)
SWEEP_MAX_PATIENTS = 200
# Patients whose stale days lie within this span are rescored together (see rescore_stale).
GROUP_DAYS = timedelta(days=31)
# A rescore queued this long ago that has not started is taken as lost: the next save queues another.
PENDING = timedelta(seconds=60)
QUEUED_RESCORE = 1  # the one QueuedRescore row


# ---------------------------------------------------------------- publishing


def publish(*, user: User | None, note: str = "") -> RuleSetVersion:
    """Freeze the active rules as a new version and start rescoring every stored day."""
    rules = selectors.active_rule_snapshots()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                number = (RuleSetVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
                version = RuleSetVersion.objects.create(
                    number=number,
                    rules=rules,
                    note=note[:300],
                    published_by=user,
                    rescore_total=User.objects.filter(role=Role.PATIENT).count(),
                    rescore_started_at=timezone.now(),
                )
                rules_published(version.pk)
            return version
        except IntegrityError:  # two admins published at once: take the next number
            continue
    raise RuntimeError("could not allocate a rule-set version number")


# ---------------------------------------------------------------- scoring and storing


def store_scores(
    *, scored: pd.DataFrame, version: RuleSetVersion, start: date | None = None, end: date | None = None
) -> int:
    """Upsert the scored rows (optionally only those between start and end) as DayScore rows."""
    if start is not None or end is not None:
        day = scored["date"].to_numpy().astype("datetime64[D]")
        keep = np.ones(len(scored), dtype=bool)
        if start is not None:
            keep &= day >= np.datetime64(start, "D")
        if end is not None:
            keep &= day <= np.datetime64(end, "D")
        scored = scored[keep]
    if scored.empty:
        return 0
    texts = scoring.breakdown_json(scored, selectors.version_specs(version))
    now = timezone.now()
    dates = scored["date"].to_numpy().astype("datetime64[D]").tolist()
    values = {
        "id": None,
        "patient_id": scored["patient_id"].tolist(),
        "date": dates,
        "version_id": version.pk,
        "total": scored["total"].tolist(),
        "breakdown": [RawJSON(text) for text in texts],
        "logged": scored["logged"].tolist(),
        "computed_at": now,
    }
    if connection.vendor == "postgresql" and len(texts) >= COPY_THRESHOLD:
        _copy_upsert(values, len(texts))
        return len(texts)
    # Positional construction in field order: the fast path of Model.__init__ (hundreds of thousands of rows).
    columns = [values[field.attname] for field in DayScore._meta.concrete_fields]
    columns = [column if isinstance(column, list) else [column] * len(texts) for column in columns]
    rows = [DayScore(*row) for row in zip(*columns, strict=True)]
    DayScore.objects.bulk_create(
        rows,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["patient", "date"],
        update_fields=["version", "total", "breakdown", "logged", "computed_at"],
    )
    return len(rows)


def _copy_upsert(values: dict[str, Any], count: int) -> None:
    """The same upsert as bulk_create(update_conflicts=True), for big batches on PostgreSQL.

    COPY into a temporary table, then one INSERT ... ON CONFLICT (patient, date) DO UPDATE:
    a year of a thousand patients in seconds, where per-row placeholders take minutes.
    """
    names = ["patient_id", "date", "version_id", "total", "breakdown", "logged", "computed_at"]
    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in names[2:])
    selected = sql.SQL(", ").join(
        sql.SQL("{}::jsonb").format(sql.Identifier(name)) if name == "breakdown" else sql.Identifier(name)
        for name in names
    )
    rows = [values[name] if isinstance(values[name], list) else [values[name]] * count for name in names]
    with connection.cursor() as cursor:
        # The breakdown travels as text (binary COPY, no escaping) and becomes jsonb in the INSERT.
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS guidance_dayscore_load (patient_id bigint, date date, version_id bigint, "
            "total double precision, breakdown text, logged boolean, computed_at timestamptz)"
        )
        cursor.execute("TRUNCATE guidance_dayscore_load")
        copy_sql = sql.SQL("COPY guidance_dayscore_load ({}) FROM STDIN (FORMAT BINARY)").format(columns)
        with cursor.cursor.copy(copy_sql) as copy:
            copy.set_types(["bigint", "date", "bigint", "float8", "text", "bool", "timestamptz"])
            for row in zip(*rows, strict=True):
                copy.write_row(row)
        cursor.execute(
            sql.SQL(
                "INSERT INTO {table} ({columns}) SELECT {selected} FROM guidance_dayscore_load "
                "ON CONFLICT ({patient}, {date}) DO UPDATE SET {updates}"
            ).format(
                table=sql.Identifier(DayScore._meta.db_table),
                columns=columns,
                selected=selected,
                patient=sql.Identifier("patient_id"),
                date=sql.Identifier("date"),
                updates=updates,
            )
        )
        cursor.execute("TRUNCATE guidance_dayscore_load")


def _delete_days_without_entries(
    patient_ids: Sequence[int], start: date | None, end: date | None, scored: pd.DataFrame
) -> None:
    """Scores of days in the range whose entries were all deleted go (rare: one small query)."""
    existing = DayScore.objects.filter(patient_id__in=list(patient_ids))
    if start is not None:
        existing = existing.filter(date__gte=start)
    if end is not None:
        existing = existing.filter(date__lte=end)
    stored_keys = selectors.day_keyed(existing.order_by())[:, 0].astype(np.int64)
    kept = scoring.day_keys(
        scored["patient_id"].to_numpy(dtype=np.int64),
        scored["date"].to_numpy().astype("datetime64[D]").astype(np.int64),
    )
    gone_keys = np.setdiff1d(stored_keys, kept)
    if len(gone_keys):
        gone = Q()
        for key in gone_keys.tolist():
            day = scoring.from_day_number(scoring.key_days(key))
            gone |= Q(patient_id=scoring.key_patients(key), date=day)
        DayScore.objects.filter(gone).delete()


def rescore_patients(
    *, patient_ids: Sequence[int], start: date | None, end: date | None, version: RuleSetVersion
) -> int:
    """Recompute and store the scores of these patients' days between start and end (all days if None).

    Days that no longer have any entry lose their score. Stale markers covered by the
    rescore are cleared. Idempotent: running it twice stores the same rows.
    """
    started = timezone.now()
    lookback = timedelta(days=selectors.window_days(selectors.version_specs(version)) - 1)
    facts = selectors.load_facts(patient_ids, start - lookback if start else None, end)
    scored = selectors.score_frame(facts, version)
    with transaction.atomic():
        stored = store_scores(scored=scored, version=version, start=start, end=end)
        _delete_days_without_entries(patient_ids, start, end, scored)
        markers = StaleDay.objects.filter(patient_id__in=list(patient_ids), marked_at__lte=started)
        if start is not None:
            markers = markers.filter(date__gte=start)
        if end is not None:
            markers = markers.filter(date__lte=end - timedelta(days=scoring.DEFAULT_WINDOW_DAYS - 1))
        markers.delete()
    return stored


def rescore_days(*, patient_id: int, start: date, end: date) -> int:
    version = selectors.current_version()
    if version is None:
        return 0
    return rescore_patients(patient_ids=[patient_id], start=start, end=end, version=version)


def rescore_version_batch(*, version_id: int, after_patient_id: int, batch_size: int = BATCH_PATIENTS) -> int | None:
    """Rescore the next batch of patients (ids above `after_patient_id`) under this version.

    Returns the last patient id done, or None when finished (or when a newer version
    took over: its own rescore covers everything).
    """
    version = RuleSetVersion.objects.filter(pk=version_id).first()
    latest = selectors.current_version()
    if version is None or latest is None or latest.pk != version.pk:
        return None
    ids = list(
        User.objects.filter(role=Role.PATIENT, pk__gt=after_patient_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    if ids:
        rescore_patients(patient_ids=ids, start=None, end=None, version=version)
        scores_recomputed(ids)
        scores_stored(ids)
    last = ids[-1] if ids else None
    patients = User.objects.filter(role=Role.PATIENT)
    done = patients.filter(pk__lte=last).count() if last else patients.count()
    finished = last is None or len(ids) < batch_size
    progress: dict[str, Any] = {"rescore_done": done, "rescore_cursor": last or after_patient_id}
    if finished:
        # Patients who signed up or left since publishing: the finished count is the one that was done.
        progress.update(rescore_total=done, rescore_finished_at=timezone.now())
    RuleSetVersion.objects.filter(pk=version.pk).update(**progress)
    return None if finished else last


def rescore_version(*, version: RuleSetVersion, batch_size: int = BATCH_PATIENTS) -> None:
    """Run the whole rescore of a version in this process (demo data, benchmark)."""
    cursor: int | None = 0
    while cursor is not None:
        cursor = rescore_version_batch(version_id=version.pk, after_patient_id=cursor, batch_size=batch_size)


# ---------------------------------------------------------------- catching up


def claim_rescore(*, at: datetime) -> bool:
    """Whether the caller is to queue the rescore of the stale days: none is queued (or the one queued
    was never started within PENDING: the broker lost it, say). Call it after marking a day: when
    another save has queued one, that rescore has not started yet, so it will read this day's mark.
    One statement (every save makes it): the row is written, or created, only when claimed."""
    table = connection.ops.quote_name(QueuedRescore._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, queued_at) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET "  # noqa: S608 - the table's own name
            f"queued_at = excluded.queued_at WHERE {table}.queued_at IS NULL OR {table}.queued_at < %s",
            [
                QUEUED_RESCORE,
                connection.ops.adapt_datetimefield_value(at),
                connection.ops.adapt_datetimefield_value(at - PENDING),
            ],
        )
        return bool(cursor.rowcount == 1)


def start_rescore() -> None:
    """The queued rescore starts: the days marked from now on queue the next one."""
    QueuedRescore.objects.filter(pk=QUEUED_RESCORE).update(queued_at=None)


def rescore_stale(*, before: datetime) -> list[int]:
    """Rescore the days of every patient marked stale up to `before`: for each patient, from their
    first marked day to 6 days after their last (the windows holding the marked days). Patients whose
    spans lie within GROUP_DAYS of each other are rescored in one pass, so the scoring's fixed cost
    is paid once for them rather than once a patient. The markers covered go; days marked later stay
    for the next pass. Returns the patients rescored."""
    version = selectors.current_version()
    if version is None:
        return []
    spans = (
        StaleDay.objects.filter(marked_at__lte=before)
        .values("patient_id")
        .annotate(first=Min("date"), last=Max("date"))
        .order_by("first", "patient_id")
    )
    done: list[int] = []
    for group, first, last in _span_groups(spans):
        end = last + timedelta(days=scoring.DEFAULT_WINDOW_DAYS - 1)
        try:
            rescore_patients(patient_ids=group, start=first, end=end, version=version)
            done.extend(group)
        except IntegrityError:
            # One of them erased their account during the pass (their markers went with them).
            remaining = existing_user_ids(group)
            rescore_patients(patient_ids=remaining, start=first, end=end, version=version)
            done.extend(remaining)
    return done


def _span_groups(spans: Iterable[Mapping[str, Any]]) -> Iterator[tuple[list[int], date, date]]:
    """Patients' marked spans (ordered by their first day) gathered into groups of at most
    BATCH_PATIENTS whose days lie within GROUP_DAYS: (patient ids, first day, last day) each."""
    group: list[int] = []
    first = last = date.min
    for span in spans:
        if group and (len(group) >= BATCH_PATIENTS or max(last, span["last"]) - first > GROUP_DAYS):
            yield group, first, last
            group = []
        if not group:
            first, last = span["first"], span["last"]
        group.append(span["patient_id"])
        last = max(last, span["last"])
    if group:
        yield group, first, last


def mark_stale(*, patient_id: int, day: date) -> None:
    StaleDay.objects.bulk_create(
        [StaleDay(patient_id=patient_id, date=day, marked_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["patient", "date"],
        update_fields=["marked_at"],
    )


@dataclass
class SweepReport:
    version_patients: int = 0
    stale_patients: int = 0
    unscored_patients: int = 0


def sweep(*, max_patients: int = SWEEP_MAX_PATIENTS) -> SweepReport:
    """Score what was missed: stale markers, recent entries without a fresh score, old versions."""
    report = SweepReport()
    version = selectors.current_version()
    if version is None:
        return report
    # 1. Days marked stale whose rescore never ran (broker down, worker lost).
    spans = (
        StaleDay.objects.values("patient_id")
        .annotate(first=Min("date"), last=Max("date"))
        .order_by("patient_id")[:max_patients]
    )
    for span in spans:  # one rescore per patient, bounded by max_patients
        end = span["last"] + timedelta(days=scoring.DEFAULT_WINDOW_DAYS - 1)
        rescore_patients(patient_ids=[span["patient_id"]], start=span["first"], end=end, version=version)
        scores_recomputed([span["patient_id"]], span["first"], end)
        scores_stored([span["patient_id"]])
        report.stale_patients += 1
    # 2. Entries changed recently whose day has no score computed since (belt and braces).
    since = timezone.now() - SWEEP_LOOKBACK
    changed: set[tuple[int, date]] = set()
    for model in (MealItem, SleepDiary, Lifestyle, FatigueRating, SymptomLog, StoolEvent):
        changed.update(
            model.objects.filter(updated_at__gte=since).order_by().values_list("patient_id", "date").distinct()
        )
    if changed:
        patients = sorted({p for p, _d in changed})[:max_patients]
        fresh = set(
            DayScore.objects.filter(patient_id__in=patients, version=version, computed_at__gte=since).values_list(
                "patient_id", "date"
            )
        )
        missing: dict[int, list[date]] = {}
        for patient_id, day in changed:
            if patient_id in patients and (patient_id, day) not in fresh:
                missing.setdefault(patient_id, []).append(day)
        for patient_id, days in missing.items():
            end = max(days) + timedelta(days=scoring.DEFAULT_WINDOW_DAYS - 1)
            rescore_patients(patient_ids=[patient_id], start=min(days), end=end, version=version)
            scores_recomputed([patient_id], min(days), end)
            scores_stored([patient_id])
            report.unscored_patients += 1
    # 3. Scores made by an older version (a publish whose rescore could not start or died).
    old = list(
        DayScore.objects.exclude(version=version)
        .order_by()
        .values_list("patient_id", flat=True)
        .distinct()[:max_patients]
    )
    for start_index in range(0, len(old), BATCH_PATIENTS):
        batch = old[start_index : start_index + BATCH_PATIENTS]
        rescore_patients(patient_ids=batch, start=None, end=None, version=version)
        scores_recomputed(batch)
        scores_stored(batch)
    report.version_patients = len(old)
    if old and version.rescore_finished_at is None and not DayScore.objects.exclude(version=version).exists():
        RuleSetVersion.objects.filter(pk=version.pk).update(
            rescore_done=version.rescore_total, rescore_finished_at=timezone.now()
        )
    return report
