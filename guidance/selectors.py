"""Guidance reads: the published rules, the day-facts frame and the day's score panel.

Facts are read with a handful of `values()` queries and turned into one frame with
pandas and numpy, which the pure core (`guidance.scoring`) scores; no per-row ORM
loops. The writes (publishing, rescoring, storing scores) are in `guidance.services`.
"""

from __future__ import annotations

import re
import string
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import BigIntegerField, DateField, FloatField, Func, OuterRef, Subquery
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from guidance import medas, rules, scoring
from guidance.models import BreakdownField, DayScore, Rule, RuleSetVersion, StaleDay
from tracker.measures import (
    FERMENTED_MIN_GRAMS,
    NOVA_ULTRA_PROCESSED,
    alcohol_grams,
    earns_fermented_credit,
    episode_last_day,
    is_processed,
)
from tracker.models import FatigueRating, Food, Lifestyle, MealItem, Relapse, SleepDiary, StoolEvent, SymptomLog

# What a published version keeps of each rule.
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


def current_version_id() -> int | None:
    """The published rule set's id, without reading its rules."""
    return RuleSetVersion.objects.order_by("-number").values_list("pk", flat=True).first()


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in SNAPSHOT_FIELDS}


def active_rule_snapshots() -> list[dict[str, Any]]:
    return [rule_snapshot(rule) for rule in Rule.objects.filter(active=True).order_by("order", "key")]


def has_unpublished_changes(version: RuleSetVersion | None) -> bool:
    """Whether the active rules differ from `version`, the published rule set (`current_version`)."""
    return version is None or version.rules != active_rule_snapshots()


def rescore_progress(version: RuleSetVersion) -> str:
    """Where the rescore a publish started stands, in the same words on every admin page."""
    if version.rescore_finished_at:
        return gettext("Every stored day has been rescored.")
    return gettext("Rescoring stored days: %(done)s of %(total)s patients (%(percent)s%%).") % {
        "done": version.rescore_done,
        "total": version.rescore_total,
        "percent": version.rescore_percent,
    }


def version_specs(version: RuleSetVersion) -> list[dict[str, Any]]:
    return [dict(rule) for rule in version.rules]


def window_days(specs: Iterable[dict[str, Any]]) -> int:
    """The longest window among the rules (at least the default week): how far back a day's score looks."""
    return max([scoring.DEFAULT_WINDOW_DAYS, *(scoring.window_of(spec.get("params") or {}) for spec in specs)])


def score_frame(facts: pd.DataFrame, version: RuleSetVersion) -> pd.DataFrame:
    return scoring.score_days(facts, version_specs(version))


# ---------------------------------------------------------------- facts


def _day_number(value: date | str) -> int:
    """Days since 1970-01-01 (raw SQLite rows give ISO text, PostgreSQL gives dates)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return scoring.day_number(value)


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


def day_keyed(queryset: Any, *fields: str) -> np.ndarray:
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
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def _food_table(food_ids: list[int]) -> pd.DataFrame:
    """The foods eaten: portion, nutrients, NOVA group, flags and groups (one query, a few hundred rows)."""
    columns = {
        "id": "id",
        "portion": "default_portion_g",
        "fiber": "fiber_g_per_100g",
        "sat_fat": "sat_fat_g_per_100g",
        "animal_share": "animal_sat_fat_share",
        "abv": "alcohol_abv",
        "nova": "nova_group",
        "family": "fermented_family",
        "raw": "raw",
        "added_sugar": "added_sugar",
        "groups": "groups",
    }
    foods = pd.DataFrame.from_records(
        Food.objects.filter(id__in=food_ids).values_list(*columns.values()), columns=list(columns)
    )
    return foods


# Grams measures that are the grams eaten of foods carrying a tag (MEDAS divides them by its servings).
_GROUP_GRAMS: dict[str, str] = {
    "vegetable_g": "vegetable",
    "fruit_g": "fruit",
    "legume_g": "legume",
    "fish_seafood_g": "fish_seafood",
    "nuts_g": "nuts",
    "olive_oil_g": "olive_oil",
    "other_veg_oil_g": "other_veg_oil",
    "butter_cream_g": "butter_cream",
    "animal_fat_g": "animal_fat",
    "white_meat_g": "white_meat",
    "sugary_drink_g": "sugary_drink",
    "sweets_pastries_g": "sweets_pastries",
    "sofrito_g": "sofrito",
}


def food_flags(food: Mapping[str, Any]) -> dict[str, bool]:
    """What a serving of a food counts as, measure by measure (servings measures and grams measures alike)."""
    groups = set(food.get("groups") or [])
    flags = {group: group in groups for group in scoring.FOOD_GROUPS}
    flags["raw_vegetable"] = bool(food.get("raw")) and "vegetable" in groups
    flags["red_processed_meat"] = bool(groups & {"red_meat", "processed_meat"})
    flags["fermented"] = earns_fermented_credit(food.get("family"), food.get("nova"), groups, food.get("added_sugar"))
    flags["nova4"] = food.get("nova") == NOVA_ULTRA_PROCESSED
    flags["added_sugar"] = bool(food.get("added_sugar"))
    flags["processed"] = is_processed(food.get("nova"), groups, food.get("added_sugar"))
    for measure, group in _GROUP_GRAMS.items():
        flags[measure] = group in groups
    flags["raw_vegetable_g"] = flags["raw_vegetable"]
    flags["red_processed_meat_g"] = flags["red_processed_meat"]
    flags["animal_sat_fat_g"] = float(food.get("sat_fat") or 0) * float(food.get("animal_share") or 0) > 0
    flags["alcohol_g"] = float(food.get("abv") or 0) > 0
    flags["fiber_g"] = float(food.get("fiber") or 0) > 0
    return flags


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
    gram_measures = ["fiber_g", *medas.GRAM_MEASURES, "animal_sat_fat_g", "alcohol_g"]
    per_serving = np.zeros((len(foods), len(serving_measures)))
    per_gram = np.zeros((len(foods), len(gram_measures)))
    records: list[dict[Any, Any]] = foods.to_dict("records")
    for i, food in enumerate(records):  # one row per food eaten, not per entry
        flags = food_flags(food)
        per_serving[i] = [1.0 if flags[m] else 0.0 for m in serving_measures]
        per_gram[i] = [1.0 if flags[m] else 0.0 for m in gram_measures]
        per_gram[i, 0] = float(food["fiber"] or 0) / 100.0
        per_gram[i, -2] = float(food["sat_fat"] or 0) / 100.0 * float(food["animal_share"] or 0)
        per_gram[i, -1] = alcohol_grams(1.0, food["abv"])  # a drink's grams are taken as millilitres
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

    meals = day_keyed(scoped(MealItem.objects), "food_id", "grams")
    sleep = day_keyed(scoped(SleepDiary.objects), "mid_sleep_minutes", "total_sleep_minutes")
    lifestyle = day_keyed(scoped(Lifestyle.objects), "activity_minutes", "tobacco", "cigarettes", "alcohol_units")
    other_keys = [
        day_keyed(scoped(model.objects).distinct())[:, 0] for model in (FatigueRating, SymptomLog, StoolEvent)
    ]

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
        # A fermented food counts from a real serving: a spoon of sauce or paste is not one.
        big_enough = grams >= FERMENTED_MIN_GRAMS - 1e-9
        for j, measure in enumerate(serving_measures):
            weights = servings * per_serving[item_food, j]
            if measure == "fermented":
                weights = weights * big_enough
            frame[measure] = np.round(np.bincount(row, weights=weights, minlength=n), 6)
        for j, measure in enumerate(gram_measures):
            frame[measure] = np.round(np.bincount(row, weights=grams * per_gram[item_food, j], minlength=n), 6)
        frame["logged"] = np.bincount(row, minlength=n) > 0

    _one_per_day(
        frame,
        all_keys,
        sleep_keys,
        "sleep_logged",
        scoring.SLEEP_MEASURES,
        {"mid_sleep_minutes": sleep[:, 1], "total_sleep_minutes": sleep[:, 2]},
    )
    _one_per_day(
        frame,
        all_keys,
        life_keys,
        "lifestyle_logged",
        scoring.LIFESTYLE_MEASURES,
        {
            "activity_minutes": lifestyle[:, 1],
            "cigarettes": lifestyle[:, 3],
            # A cigarette count means tobacco was smoked, whatever the box says.
            "tobacco": ((lifestyle[:, 2] != 0) | (lifestyle[:, 3] > 0)).astype(np.float64),
            "alcohol_units": lifestyle[:, 4],
        },
    )

    frame["relapse"] = _relapse_flags(patient_ids, all_keys, start, end)
    frame["first_day"] = _first_days(frame["patient_id"])
    return pd.DataFrame(frame)


def first_day(patient: User) -> date:
    """The patient's first day: the date the account was opened, in the patient's own time zone."""
    zone = _zone(getattr(getattr(patient, "profile", None), "time_zone", None))
    return timezone.localtime(patient.date_joined, zone).date()


def _zone(name: str | None) -> Any:
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _first_entry(model: Any) -> Subquery:
    return Subquery(model.objects.filter(patient=OuterRef("pk")).order_by("date").values("date")[:1])


def _first_days(patients: np.ndarray) -> np.ndarray:
    """Each row's patient's first day (days since 1970-01-01): one query for all the patients.

    The date the account was opened in the patient's time zone, or the first day with a meal,
    sleep or lifestyle entry when that is earlier (history brought in from elsewhere, demo data):
    a window never asks anything of days before it, nor ignores days that were logged.
    """
    ids = np.unique(patients).tolist()
    if not ids:
        return np.zeros(0)
    rows = (
        User.objects.filter(pk__in=ids)
        .annotate(
            first_meal=_first_entry(MealItem), first_sleep=_first_entry(SleepDiary), first_life=_first_entry(Lifestyle)
        )
        .values_list("pk", "date_joined", "profile__time_zone", "first_meal", "first_sleep", "first_life")
    )
    first: dict[int, int] = {}
    for pk, joined, zone, *entries in rows:
        days = [scoring.day_number(timezone.localtime(joined, _zone(zone)).date())]
        days += [_day_number(entry) for entry in entries if entry is not None]
        first[pk] = min(days)
    lookup = np.array([first.get(pk, np.nan) for pk in ids], dtype=np.float64)
    return lookup[np.searchsorted(np.array(ids), patients)]


def _one_per_day(
    frame: dict[str, Any],
    all_keys: np.ndarray,
    keys: np.ndarray,
    logged: str,
    measures: Sequence[str],
    values: dict[str, np.ndarray],
) -> None:
    """The columns of a one-row-per-day record (rows at `keys`); days without a row are 0 and not logged."""
    frame[logged] = np.zeros(len(all_keys), dtype=bool)
    for measure in measures:
        frame[measure] = np.zeros(len(all_keys))
    row = np.searchsorted(all_keys, keys)
    frame[logged][row] = True
    for name, column in values.items():
        frame[name][row] = column


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


# ---------------------------------------------------------------- the day panel


@dataclass
class DayPanel:
    version: RuleSetVersion | None
    score: DayScore | None
    total: float | None
    breakdown: list[dict[str, Any]]
    has_entries: bool
    computed_now: bool
    # The stored score is missing or out of date and was not computed: the line says so and asks for
    # the score again once the worker has stored it (tracker:day-score-line).
    pending: bool = False


def day_panel(patient: User, day: date) -> DayPanel:
    """The score to show for a patient-day: stored if current, else computed now (not stored).

    A constant number of queries whatever the history: the version, the score, the
    stale check, and when needed the facts of one patient-week.
    """
    # One query: the current version, with the day's stored score and the patient's last stale day
    # up to this one (the day is stale if that falls within the version's window).
    scores = DayScore.objects.filter(patient=patient, date=day)
    version = (
        RuleSetVersion.objects.order_by("-number")
        .annotate(
            score_id=Subquery(scores.values("pk")[:1]),
            score_version_id=Subquery(scores.values("version_id")[:1]),
            score_total=Subquery(scores.values("total")[:1], output_field=FloatField()),
            score_breakdown=Subquery(scores.values("breakdown")[:1], output_field=BreakdownField()),
            last_stale=Subquery(
                StaleDay.objects.filter(patient=patient, date__lte=day).order_by("-date").values("date")[:1],
                output_field=DateField(),
            ),
        )
        .first()
    )
    if version is None:
        return DayPanel(None, None, None, [], False, False)
    score = None
    if version.score_id is not None:
        score = DayScore(
            pk=version.score_id,
            patient=patient,
            date=day,
            version_id=version.score_version_id,
            total=version.score_total,
            breakdown=version.score_breakdown,
        )
    return panel_of(patient, day, version, score, version.last_stale)


def panel_of(
    patient: User,
    day: date,
    version: RuleSetVersion | None,
    score: DayScore | None,
    last_stale: date | None,
    *,
    compute: bool = True,
) -> DayPanel:
    """The day's panel from the current version, the day's stored score and the patient's last stale
    day up to this one (the score is stale if that falls within the version's window): no query, but
    for the facts of one patient-week when the stored score is missing, stale or of an older version.
    Without `compute`, a day marked stale is not scored here (pandas over the week costs a save's
    answer more than the rest of it): the panel is `pending` until the worker, a few seconds after
    the save, has stored its score. A score missing or of an older version with no marker is computed."""
    if version is None:
        return DayPanel(None, None, None, [], False, False)
    window = window_days(version_specs(version))
    stale = last_stale is not None and last_stale >= day - timedelta(days=window - 1)
    if score is not None and score.version_id == version.pk and not stale:
        score.version = version
        return DayPanel(version, score, score.total, list(score.breakdown), True, False)
    if stale and not compute:
        return DayPanel(version, None, None, [], True, False, pending=True)
    facts = load_facts([patient.pk], day - timedelta(days=window - 1), day)
    day_rows = facts["date"].to_numpy().astype("datetime64[D]") == np.datetime64(day, "D")
    if not day_rows.any():
        return DayPanel(version, None, None, [], False, True)
    scored = score_frame(facts, version)
    scored = scored[scored["date"].to_numpy().astype("datetime64[D]") == np.datetime64(day, "D")]
    breakdown = scoring.breakdowns(scored, version_specs(version))[0]
    return DayPanel(version, None, float(scored["total"].iloc[0]), breakdown, True, True)


@dataclass
class DayFood:
    """A food eaten on a day (its grams summed over the day's entries) and what it counted as."""

    name: str
    grams: float
    flags: dict[str, bool]


def day_foods(patient: User, day: date, items: Iterable[MealItem] | None = None) -> list[DayFood]:
    """The foods of a patient's day with the measures each one counted toward: one query.

    The same flags as the scoring facts (`food_flags`), so the day panel can list, under each
    rule, the foods that counted for it; a fermented food under the minimum grams is not one.
    """
    eaten: dict[int, DayFood] = {}
    if items is None:  # (else the day's items, with their foods, already read by the caller)
        items = MealItem.objects.filter(patient=patient, date=day).select_related("food").order_by("created_at", "pk")
    for item in items:
        food = item.food
        entry = eaten.get(food.pk)
        if entry is None:
            record = {
                "fiber": food.fiber_g_per_100g,
                "sat_fat": food.sat_fat_g_per_100g,
                "animal_share": food.animal_sat_fat_share,
                "abv": food.alcohol_abv,
                "nova": food.nova_group,
                "family": food.fermented_family,
                "raw": food.raw,
                "added_sugar": food.added_sugar,
                "groups": food.groups,
            }
            entry = eaten[food.pk] = DayFood(food.display_name, 0.0, food_flags(record))
        entry.grams += float(item.grams)
    for entry in eaten.values():
        entry.flags["fermented"] = entry.flags["fermented"] and entry.grams >= FERMENTED_MIN_GRAMS - 1e-9
    return list(eaten.values())


def foods_counted(foods: Sequence[DayFood], measures: Iterable[str]) -> list[DayFood]:
    wanted = list(measures)
    return [food for food in foods if any(food.flags.get(measure) for measure in wanted)]


# ---------------------------------------------------------------- words drawn from the published parameters

# A rationale names numbers through placeholders (`{target}`, `{window}`, `{weight}`...), filled from
# the rule's parameters and weight as published, so an edited target reaches the sentence that
# explains it. Parsed with string.Formatter().parse and filled by hand: no attribute or index lookup
# ever runs on a value, and a text that slipped past the admin's check is shown as written.


def rationale_values(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What a rationale's placeholders may name: the rule's parameters (numbers and choices; not
    the yes/no options) and its weight."""
    params = spec.get("params") or {}
    values = {str(name): value for name, value in params.items() if value is not None and not isinstance(value, bool)}
    if spec.get("weight") is not None:
        values["weight"] = spec["weight"]
    return values


def format_number(value: float) -> str:
    """A parameter as people read it, the same in every language but for the decimal mark: 30, 27.5 / 27,5."""
    rounded = round(float(value), 2)
    if rounded == int(rounded):
        return formats.number_format(int(rounded))
    return formats.number_format(rounded, decimal_pos=1 if round(rounded, 1) == rounded else 2)


def _shown(value: Any, name: str) -> str:
    if isinstance(value, int | float):
        return format_number(value)
    if name == "op":
        return str(dict(rules.OP_CHOICES).get(str(value), value))
    if name in {"measure", "prefer", "over"}:
        return rules.noun(str(value))
    if isinstance(value, list | tuple):
        labels = {item: label for item, (label, _how) in rules.MEDAS_ITEM_TEXTS.items()}
        return ", ".join(str(labels.get(item, item)) for item in value)
    return str(value)


def _placeholder(name: str, format_spec: str | None, conversion: str | None) -> str:
    return "{" + name + (f"!{conversion}" if conversion else "") + (f":{format_spec}" if format_spec else "") + "}"


def _fill(text: str, values: Mapping[str, Any]) -> str:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:  # an unclosed brace: shown as written
        return text
    out = []
    for literal, name, format_spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if format_spec or conversion or name not in values:
            out.append(_placeholder(name, format_spec, conversion))
        else:
            out.append(_shown(values[name], name))
    return "".join(out)


def rationale_text(rule: Rule | Mapping[str, Any], language: str) -> str:
    """A rule's rationale in `language` (English when it has no French), its placeholders filled in."""
    spec = rule_snapshot(rule) if isinstance(rule, Rule) else rule
    text = (spec.get("rationale_fr") if language == "fr" else None) or spec.get("rationale_en") or ""
    with translation.override(language):
        return _fill(str(text), rationale_values(spec))


def rationale_problems(text: str, spec: Mapping[str, Any]) -> list[str]:
    """Why `text` cannot be a rationale of the rule `spec` (unknown placeholders, stray braces); [] when it can."""
    values = rationale_values(spec)
    names = ", ".join("{" + name + "}" for name in sorted(values))
    offered = gettext("Placeholders for this rule: %(names)s.") % {"names": names}
    try:
        parts = list(string.Formatter().parse(text or ""))
    except ValueError:
        return [gettext("A brace { or } is not closed; write {{ or }} for a brace in the text.") + " " + offered]
    problems = []
    for _literal, name, format_spec, conversion in parts:
        if name is None:
            continue
        shown = _placeholder(name, format_spec, conversion)
        if name in values and (format_spec or conversion):
            problems.append(
                gettext("Write %(shown)s as {%(name)s}: numbers are formatted for each language.")
                % {"shown": shown, "name": name}
                + " "
                + offered
            )
        elif name not in values:
            problems.append(gettext("Unknown placeholder %(shown)s.") % {"shown": shown} + " " + offered)
    return problems


NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?(?![\d])")


def stale_numbers(text: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The parameters an edit changed whose former value `text` still writes as a plain number.

    A rationale that says "25 g" where it should say "{target} g" goes on saying 25 after the
    target becomes 30; the admin is told so when saving.
    """
    try:
        literal = "".join(part[0] for part in string.Formatter().parse(text or ""))
    except ValueError:
        literal = text or ""
    written = {float(found.replace(",", ".")) for found in NUMBER.findall(literal)}
    return sorted(
        name
        for name, old in before.items()
        if isinstance(old, int | float)
        and not isinstance(old, bool)
        and after.get(name) != old
        and float(old) in written
    )


def published_target(version: RuleSetVersion | None, measure: str) -> float | None:
    """The daily target a published rule sets for `measure` (the fiber chart's line), None when no rule does."""
    for spec in version_specs(version) if version else []:
        params = spec.get("params") or {}
        if spec.get("kind") == "target" and params.get("measure") == measure and params.get("target") is not None:
            return float(params["target"])
    return None
