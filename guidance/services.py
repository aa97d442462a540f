"""Guidance services: ORM rows <-> day-fact frames, rescoring, publishing, scheduling.

Facts are read with a handful of `values()` queries and turned into one frame with
pandas and numpy; the pure core (`guidance.scoring`) scores it; DayScore rows are
upserted in bulk on (patient, date). No per-row ORM loops.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Func, Max, Min, Q
from django.utils import timezone

from accounts.models import Role, User
from guidance import scoring
from guidance.models import DayScore, RawJSON, Rule, RuleSetVersion, StaleDay
from tracker.measures import NOVA_ULTRA_PROCESSED, episode_last_day, is_processed
from tracker.models import FatigueRating, Food, Lifestyle, MealItem, Relapse, SleepDiary, StoolEvent, SymptomLog

logger = logging.getLogger(__name__)

WINDOW_DAYS = 7  # the longest default window; a change on day D touches D .. D+6
MAX_WINDOW_DAYS = 28  # the longest window a rule may have (rules.WindowMixin)
BATCH_PATIENTS = 100  # patients per rescore batch (one task each)
UPSERT_BATCH = 2000
COPY_THRESHOLD = 5000  # rows from which PostgreSQL upserts go through COPY (see _copy_upsert)
SWEEP_LOOKBACK = timedelta(days=2)
SWEEP_MAX_PATIENTS = 200

SNAPSHOT_FIELDS = (
    "key",
    "kind",
    "params",
    "weight",
    "order",
    "title_en",
    "title_fr",
    "rationale_en",
    "rationale_fr",
    "source",
)


# ---------------------------------------------------------------- versions


def current_version() -> RuleSetVersion | None:
    return RuleSetVersion.objects.order_by("-number").first()


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in SNAPSHOT_FIELDS}


def active_rule_snapshots() -> list[dict[str, Any]]:
    return [rule_snapshot(rule) for rule in Rule.objects.filter(active=True).order_by("order", "key")]


def has_unpublished_changes() -> bool:
    version = current_version()
    return version is None or version.rules != active_rule_snapshots()


def publish(user: User | None, note: str = "") -> RuleSetVersion:
    """Freeze the active rules as a new version and start rescoring every stored day."""
    rules = active_rule_snapshots()
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
                transaction.on_commit(partial(start_version_rescore, version.pk), robust=True)
            return version
        except IntegrityError:  # two admins published at once: take the next number
            continue
    raise RuntimeError("could not allocate a rule-set version number")


def start_version_rescore(version_id: int) -> None:
    from guidance.tasks import rescore_version_task

    try:
        rescore_version_task.apply_async(args=(version_id, 0))
    except Exception:  # broker down: the sweep picks up scores of older versions
        logger.exception("could not enqueue the rescore of version %s; the sweep will do it", version_id)


# ---------------------------------------------------------------- facts


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day_number(value: date | str) -> int:
    """Days since 1970-01-01 (raw SQLite rows give ISO text, PostgreSQL gives dates)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.toordinal() - _EPOCH_ORDINAL


def _day_numbers(values: Sequence[Any]) -> np.ndarray:
    return np.fromiter((_day_number(v) for v in values), dtype=np.int64, count=len(values))


class DayKey(Func):
    """scoring.day_keys(patient_id, days since 1970-01-01), computed by the database.

    One integer per patient-day: the rows come back without date objects to convert.
    """

    output_field = BigIntegerField()
    arity = 2

    def _parts(self, compiler: Any, connection: Any) -> tuple[str, str, tuple[Any, ...]]:
        patient_sql, patient_params = compiler.compile(self.source_expressions[0])
        date_sql, date_params = compiler.compile(self.source_expressions[1])
        return patient_sql, date_sql, (*patient_params, *date_params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        patient_sql, date_sql, params = self._parts(compiler, connection)
        days = f"({date_sql} - DATE '1970-01-01')"
        return f"({patient_sql} * {scoring.PATIENT_STRIDE} + {days} + {scoring.DAY_OFFSET})", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        patient_sql, date_sql, params = self._parts(compiler, connection)
        days = f"CAST(julianday({date_sql}) - 2440587.5 AS INTEGER)"
        return f"({patient_sql} * {scoring.PATIENT_STRIDE} + {days} + {scoring.DAY_OFFSET})", params


def _keyed(queryset: Any, *fields: str) -> np.ndarray:
    """(day key, *fields) rows as a float64 array (n x (1 + len(fields)))."""
    rows = _fetch(queryset.annotate(day_key=DayKey("patient_id", "date")).values_list("day_key", *fields))
    if not rows:
        return np.zeros((0, 1 + len(fields)))
    return np.array(rows, dtype=np.float64)


def _fetch(queryset: Any) -> list[tuple[Any, ...]]:
    """Rows of a values_list() queryset straight from the cursor: no per-row Django converters.

    Only used for plain columns (ids, dates, numbers); dates may come back as ISO text on SQLite.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _food_table(food_ids: list[int]) -> pd.DataFrame:
    """The foods eaten: portion, fiber, NOVA group, flags and groups (one query, a few hundred rows)."""
    foods = pd.DataFrame.from_records(
        Food.objects.filter(id__in=food_ids).values_list(
            "id", "default_portion_g", "fiber_g_per_100g", "nova_group", "fermented", "raw", "added_sugar", "groups"
        ),
        columns=["id", "portion", "fiber", "nova", "fermented", "raw", "added_sugar", "groups"],
    )
    return foods


def _food_weights(foods: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Matrices (food x measure): servings-based weights and gram-based weights."""
    serving_measures = [
        *scoring.FOOD_GROUPS,
        "raw_vegetable",
        "red_processed_meat",
        "fermented",
        "nova4",
        "processed",
        "added_sugar",
    ]
    gram_measures = ["fiber_g", "olive_oil_g"]
    per_serving = np.zeros((len(foods), len(serving_measures)))
    per_gram = np.zeros((len(foods), len(gram_measures)))
    records: list[dict[Any, Any]] = foods.to_dict("records")
    for i, food in enumerate(records):  # one row per food eaten, not per entry
        groups = set(food["groups"] or [])
        nova4 = food["nova"] == NOVA_ULTRA_PROCESSED
        flags = {group: group in groups for group in scoring.FOOD_GROUPS}
        flags["raw_vegetable"] = bool(food["raw"]) and "vegetable" in groups
        flags["red_processed_meat"] = bool(groups & {"red_meat", "processed_meat"})
        flags["fermented"] = bool(food["fermented"])
        flags["nova4"] = nova4
        flags["added_sugar"] = bool(food["added_sugar"])
        flags["processed"] = is_processed(food["nova"], groups, food["added_sugar"])
        per_serving[i] = [1.0 if flags[m] else 0.0 for m in serving_measures]
        per_gram[i] = [float(food["fiber"] or 0) / 100.0, 1.0 if "olive_oil" in groups else 0.0]
    return per_serving, per_gram, serving_measures, gram_measures


def load_facts(patient_ids: Sequence[int] | None, start: date | None, end: date | None) -> pd.DataFrame:
    """The day-facts frame of these patients (all if None) between start and end (inclusive).

    One row per patient-day with any entry; a handful of queries whatever the size.
    """

    def scoped(qs: Any, field: str = "date") -> Any:
        if patient_ids is not None:
            qs = qs.filter(patient_id__in=list(patient_ids))
        if start is not None:
            qs = qs.filter(**{f"{field}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{field}__lte": end})
        return qs.order_by()

    meals = _keyed(scoped(MealItem.objects), "food_id", "grams")
    sleep = _keyed(scoped(SleepDiary.objects), "mid_sleep_minutes", "total_sleep_minutes")
    lifestyle = _keyed(scoped(Lifestyle.objects), "activity_minutes", "tobacco", "cigarettes", "alcohol_units")
    other_keys = [_keyed(scoped(model.objects).distinct())[:, 0] for model in (FatigueRating, SymptomLog, StoolEvent)]

    # Every patient-day with any entry becomes a row, keyed by (patient, day number).
    meal_keys = meals[:, 0].astype(np.int64)
    sleep_keys = sleep[:, 0].astype(np.int64)
    life_keys = lifestyle[:, 0].astype(np.int64)
    all_keys = np.unique(np.concatenate([meal_keys, sleep_keys, life_keys, *(k.astype(np.int64) for k in other_keys)]))
    n = len(all_keys)
    has_meals = len(meals) > 0
    frame: dict[str, Any] = {
        "patient_id": scoring.key_patients(all_keys),
        "date": scoring.key_days(all_keys).astype("datetime64[D]"),
    }

    # Food measures: servings (grams / default portion) times per-food weights, summed per day.
    for measure in scoring.FOOD_MEASURES:
        frame[measure] = np.zeros(n)
    frame["logged"] = np.zeros(n, dtype=bool)
    if has_meals:
        foods = _food_table(np.unique(meals[:, 1].astype(np.int64)).tolist())
        per_serving, per_gram, serving_measures, gram_measures = _food_weights(foods)
        food_index = pd.Index(foods["id"].to_numpy(dtype=np.int64))
        item_food = food_index.get_indexer(meals[:, 1].astype(np.int64))
        known = item_food >= 0
        row = np.searchsorted(all_keys, meal_keys)[known]
        grams = meals[known, 2]
        item_food = item_food[known]
        portions = foods["portion"].to_numpy(dtype=np.float64)[item_food]
        servings = grams / np.where(portions > 0, portions, 1.0)
        for j, measure in enumerate(serving_measures):
            frame[measure] = np.round(np.bincount(row, weights=servings * per_serving[item_food, j], minlength=n), 6)
        for j, measure in enumerate(gram_measures):
            frame[measure] = np.round(np.bincount(row, weights=grams * per_gram[item_food, j], minlength=n), 6)
        frame["logged"] = np.bincount(row, minlength=n) > 0

    frame["sleep_logged"] = np.zeros(n, dtype=bool)
    for measure in scoring.SLEEP_MEASURES:
        frame[measure] = np.zeros(n)
    if len(sleep):
        row = np.searchsorted(all_keys, sleep_keys)
        frame["sleep_logged"][row] = True
        frame["mid_sleep_minutes"][row] = sleep[:, 1]
        frame["total_sleep_minutes"][row] = sleep[:, 2]

    frame["lifestyle_logged"] = np.zeros(n, dtype=bool)
    for measure in scoring.LIFESTYLE_MEASURES:
        frame[measure] = np.zeros(n)
    if len(lifestyle):
        row = np.searchsorted(all_keys, life_keys)
        frame["lifestyle_logged"][row] = True
        frame["activity_minutes"][row] = lifestyle[:, 1]
        frame["cigarettes"][row] = lifestyle[:, 3]
        frame["tobacco"][row] = ((lifestyle[:, 2] != 0) | (lifestyle[:, 3] > 0)).astype(np.float64)
        frame["alcohol_units"][row] = lifestyle[:, 4]

    frame["relapse"] = _relapse_flags(patient_ids, all_keys, start, end)
    return pd.DataFrame(frame)


def _relapse_flags(
    patient_ids: Sequence[int] | None, all_keys: np.ndarray, start: date | None, end: date | None
) -> np.ndarray:
    """True on the rows that fall within a logged relapse (open relapses run to today)."""
    flags = np.zeros(len(all_keys), dtype=bool)
    if not len(all_keys):
        return flags
    relapses = Relapse.objects.order_by().overlapping(start, end)
    if patient_ids is not None:
        relapses = relapses.filter(patient_id__in=list(patient_ids))
    rows = list(relapses.values_list("patient_id", "started_on", "ended_on"))
    if not rows:
        return flags
    today = timezone.localdate()
    patients = np.array([r[0] for r in rows], dtype=np.int64)
    begin = scoring.day_keys(patients, _day_numbers([r[1] for r in rows]))
    finish = scoring.day_keys(patients, _day_numbers([episode_last_day(r[1], r[2], today) for r in rows]))
    # A difference array over the sorted keys: +1 where a relapse starts, -1 after it ends.
    diff = np.zeros(len(all_keys) + 1, dtype=np.int64)
    np.add.at(diff, np.searchsorted(all_keys, begin, side="left"), 1)
    np.add.at(diff, np.searchsorted(all_keys, finish, side="right"), -1)
    flags = np.cumsum(diff[:-1]) > 0
    return flags


# ---------------------------------------------------------------- scoring and storing


def version_specs(version: RuleSetVersion) -> list[dict[str, Any]]:
    return [dict(rule) for rule in version.rules]


def _window_days(specs: Iterable[dict[str, Any]]) -> int:
    windows = [int((spec.get("params") or {}).get("window", 7)) for spec in specs]
    return max([WINDOW_DAYS, *windows])


def score_frame(facts: pd.DataFrame, version: RuleSetVersion) -> pd.DataFrame:
    return scoring.score_days(facts, version_specs(version))


def store_scores(
    scored: pd.DataFrame, version: RuleSetVersion, start: date | None = None, end: date | None = None
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
    texts = scoring.breakdown_json(scored, version_specs(version))
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
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    updates = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in names[2:])
    rows = [values[name] if isinstance(values[name], list) else [values[name]] * count for name in names]
    with connection.cursor() as cursor:
        # The breakdown travels as text (binary COPY, no escaping) and becomes jsonb in the INSERT.
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS guidance_dayscore_load (patient_id bigint, date date, version_id bigint, "
            "total double precision, breakdown text, logged boolean, computed_at timestamptz)"
        )
        cursor.execute("TRUNCATE guidance_dayscore_load")
        with cursor.cursor.copy(f"COPY guidance_dayscore_load ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["bigint", "date", "bigint", "float8", "text", "bool", "timestamptz"])
            for row in zip(*rows, strict=True):
                copy.write_row(row)
        selected = columns.replace(quote("breakdown"), f"{quote('breakdown')}::jsonb")
        cursor.execute(
            f"INSERT INTO {quote(DayScore._meta.db_table)} ({columns}) SELECT {selected} FROM guidance_dayscore_load "
            f"ON CONFLICT ({quote('patient_id')}, {quote('date')}) DO UPDATE SET {updates}"
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
    stored_keys = _keyed(existing.order_by())[:, 0].astype(np.int64)
    kept = scoring.day_keys(
        scored["patient_id"].to_numpy(dtype=np.int64),
        scored["date"].to_numpy().astype("datetime64[D]").astype(np.int64),
    )
    gone_keys = np.setdiff1d(stored_keys, kept)
    if len(gone_keys):
        gone = Q()
        for key in gone_keys.tolist():
            day = date.fromordinal(_EPOCH_ORDINAL + scoring.key_days(key))
            gone |= Q(patient_id=scoring.key_patients(key), date=day)
        DayScore.objects.filter(gone).delete()


def rescore_patients(patient_ids: Sequence[int], start: date | None, end: date | None, version: RuleSetVersion) -> int:
    """Recompute and store the scores of these patients' days between start and end (all days if None).

    Days that no longer have any entry lose their score. Stale markers covered by the
    rescore are cleared. Idempotent: running it twice stores the same rows.
    """
    started = timezone.now()
    lookback = timedelta(days=_window_days(version_specs(version)) - 1)
    facts = load_facts(patient_ids, start - lookback if start else None, end)
    scored = score_frame(facts, version)
    with transaction.atomic():
        stored = store_scores(scored, version, start, end)
        _delete_days_without_entries(patient_ids, start, end, scored)
        markers = StaleDay.objects.filter(patient_id__in=list(patient_ids), marked_at__lte=started)
        if start is not None:
            markers = markers.filter(date__gte=start)
        if end is not None:
            markers = markers.filter(date__lte=end - timedelta(days=WINDOW_DAYS - 1))
        markers.delete()
    return stored


def rescore_days(patient_id: int, start: date, end: date) -> int:
    version = current_version()
    if version is None:
        return 0
    return rescore_patients([patient_id], start, end, version)


def rescore_version_batch(version_id: int, after_patient_id: int, batch_size: int = BATCH_PATIENTS) -> int | None:
    """Rescore the next batch of patients (ids above `after_patient_id`) under this version.

    Returns the last patient id done, or None when finished (or when a newer version
    took over: its own rescore covers everything).
    """
    version = RuleSetVersion.objects.filter(pk=version_id).first()
    latest = current_version()
    if version is None or latest is None or latest.pk != version.pk:
        return None
    ids = list(
        User.objects.filter(role=Role.PATIENT, pk__gt=after_patient_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    if ids:
        rescore_patients(ids, None, None, version)
    last = ids[-1] if ids else None
    done = User.objects.filter(role=Role.PATIENT, pk__lte=last).count() if last else version.rescore_total
    finished = last is None or len(ids) < batch_size
    RuleSetVersion.objects.filter(pk=version.pk).update(
        rescore_done=done,
        rescore_cursor=last or after_patient_id,
        rescore_finished_at=timezone.now() if finished else None,
    )
    return None if finished else last


def rescore_version(version: RuleSetVersion, batch_size: int = BATCH_PATIENTS) -> None:
    """Run the whole rescore of a version in this process (demo data, benchmark)."""
    cursor: int | None = 0
    while cursor is not None:
        cursor = rescore_version_batch(version.pk, cursor, batch_size)


# ---------------------------------------------------------------- scheduling


def mark_stale(patient_id: int, day: date) -> None:
    StaleDay.objects.bulk_create(
        [StaleDay(patient_id=patient_id, date=day, marked_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["patient", "date"],
        update_fields=["marked_at"],
    )


def schedule_rescore(patient_id: int, day: date) -> None:
    """Rescore `day` and the 6 days after it (their 7-day windows contain it), in the background.

    Runs after the patient's entry is committed. Never raises: when the broker is
    down the stale marker stays and the periodic sweep rescores the days later.
    """
    from guidance.tasks import rescore_days_task

    try:
        mark_stale(patient_id, day)
    except Exception:
        logger.exception("could not mark %s of patient %s stale", day, patient_id)
    end = day + timedelta(days=WINDOW_DAYS - 1)
    try:
        rescore_days_task.apply_async(args=(patient_id, day.isoformat(), end.isoformat()))
    except Exception:
        logger.warning(
            "could not enqueue the rescore of patient %s from %s; the sweep will do it", patient_id, day, exc_info=True
        )


@dataclass
class SweepReport:
    version_patients: int = 0
    stale_patients: int = 0
    unscored_patients: int = 0


def sweep(max_patients: int = SWEEP_MAX_PATIENTS) -> SweepReport:
    """Score what was missed: stale markers, recent entries without a fresh score, old versions."""
    report = SweepReport()
    version = current_version()
    if version is None:
        return report
    # 1. Days marked stale whose rescore never ran (broker down, worker lost).
    spans = (
        StaleDay.objects.values("patient_id")
        .annotate(first=Min("date"), last=Max("date"))
        .order_by("patient_id")[:max_patients]
    )
    for span in spans:  # one rescore per patient, bounded by max_patients
        rescore_patients([span["patient_id"]], span["first"], span["last"] + timedelta(days=WINDOW_DAYS - 1), version)
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
            rescore_patients([patient_id], min(days), max(days) + timedelta(days=WINDOW_DAYS - 1), version)
            report.unscored_patients += 1
    # 3. Scores made by an older version (a publish whose rescore could not start or died).
    old = list(
        DayScore.objects.exclude(version=version)
        .order_by()
        .values_list("patient_id", flat=True)
        .distinct()[:max_patients]
    )
    for start_index in range(0, len(old), BATCH_PATIENTS):
        rescore_patients(old[start_index : start_index + BATCH_PATIENTS], None, None, version)
    report.version_patients = len(old)
    if old and version.rescore_finished_at is None and not DayScore.objects.exclude(version=version).exists():
        RuleSetVersion.objects.filter(pk=version.pk).update(
            rescore_done=version.rescore_total, rescore_finished_at=timezone.now()
        )
    return report


# ---------------------------------------------------------------- the day panel


@dataclass
class DayPanel:
    version: RuleSetVersion | None
    score: DayScore | None
    total: float | None
    breakdown: list[dict[str, Any]]
    has_entries: bool
    computed_now: bool


def day_panel(patient: User, day: date) -> DayPanel:
    """The score to show for a patient-day: stored if current, else computed now (not stored).

    A constant number of queries whatever the history: the version, the score, the
    stale check, and when needed the facts of one patient-week.
    """
    version = current_version()
    if version is None:
        return DayPanel(None, None, None, [], False, False)
    score = DayScore.objects.filter(patient=patient, date=day).select_related("version").first()
    window = _window_days(version_specs(version))
    stale = StaleDay.objects.filter(patient=patient, date__gte=day - timedelta(days=window - 1), date__lte=day).exists()
    if score is not None and score.version_id == version.pk and not stale:
        return DayPanel(version, score, score.total, list(score.breakdown), True, False)
    facts = load_facts([patient.pk], day - timedelta(days=window - 1), day)
    day_rows = facts["date"].to_numpy().astype("datetime64[D]") == np.datetime64(day, "D")
    if not day_rows.any():
        return DayPanel(version, None, None, [], False, True)
    scored = score_frame(facts, version)
    scored = scored[scored["date"].to_numpy().astype("datetime64[D]") == np.datetime64(day, "D")]
    breakdown = scoring.breakdowns(scored, version_specs(version))[0]
    return DayPanel(version, None, float(scored["total"].iloc[0]), breakdown, True, True)


def day_of(value: str | date | datetime) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)
