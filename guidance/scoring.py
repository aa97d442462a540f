"""The pure scoring core: a frame of day facts and a list of rule specs in, points out.

stdlib, numpy and pandas only: no Django import (a test checks it), so scoring a
year of a thousand patients is one vectorised pass and the core is tested without
a database.

The facts frame has one row per patient-day to score (`patient_id`, `date`) and
the measure columns below; a missing column counts as zero / not logged. Days
absent from the frame count as not logged when they fall inside a rolling window.
Every rolling window is a pair of cumulative sums over the rows sorted by
(patient, date), found with a binary search on a (patient, day) key: no per-row
Python loop and no dense calendar grid.

Unlogged days earn nothing: daily rules need the day logged; "at most" counts over
a window (and "white over red meat") earn in proportion to the days logged; the
MEDAS daily items are averaged over the logged days only.

Nothing is asked of days before the patient's first day: with a `first_day` column
(days since 1970-01-01, the date the account was opened in the patient's time zone)
a window covers only the days from it, shares are taken over those days, and the
"at least" totals over a window (activity minutes, MEDAS weekly items) are prorated
to them. Limits ("at most") are not: a short window never makes a limit harder.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from guidance import medas

# The food-group tags of the catalog (tracker.models.FoodGroup; this module cannot import Django,
# a test keeps the two equal), each a measure: servings of foods with that tag.
FOOD_GROUPS: tuple[str, ...] = (
    "vegetable",
    "fruit",
    "legume",
    "whole_grain",
    "fish_seafood",
    "nuts",
    "olive_oil",
    "other_veg_oil",
    "red_meat",
    "processed_meat",
    "white_meat",
    "butter_cream",
    "cheese",
    "animal_fat",
    "sugary_drink",
    "sweets_pastries",
    "sofrito",
    "very_spicy",
)
# Servings (or grams) derived from the foods eaten; "logged" says whether any food was logged.
FOOD_MEASURES: tuple[str, ...] = (
    *FOOD_GROUPS,
    "raw_vegetable",  # servings of vegetables eaten raw or as salad
    "red_processed_meat",  # servings of red or processed meat (a food counted once)
    "fiber_g",
    "fermented",  # servings of recommended fermented foods (tracker.measures.earns_fermented_credit)
    "nova4",  # servings of NOVA group 4 (ultra-processed) foods
    "processed",  # servings of NOVA 4 or named pro-inflammatory foods (a food counted once)
    "added_sugar",  # servings of foods with added sugar
    *medas.GRAM_MEASURES,  # grams eaten of each MEDAS food group (guidance.medas divides them)
    "animal_sat_fat_g",  # grams of saturated fat from animal foods
    "alcohol_g",  # grams of pure alcohol in the drinks logged as food
)
SLEEP_MEASURES: tuple[str, ...] = ("mid_sleep_minutes", "total_sleep_minutes")
LIFESTYLE_MEASURES: tuple[str, ...] = ("activity_minutes", "tobacco", "cigarettes", "alcohol_units")
# Measures computed from others: standard drinks (10 g) from the drinks logged as food plus the other
# drinks of the lifestyle entry; a drink is logged in one place or the other, never both.
STANDARD_DRINK_G = 10.0
DERIVED_MEASURES: tuple[str, ...] = ("alcohol_drinks",)
MEASURES: tuple[str, ...] = FOOD_MEASURES + SLEEP_MEASURES + LIFESTYLE_MEASURES + DERIVED_MEASURES
# Which flag says that a measure was logged that day.
LOGGED_BY: dict[str, str] = (
    dict.fromkeys(FOOD_MEASURES, "logged")
    | dict.fromkeys(SLEEP_MEASURES, "sleep_logged")
    | dict.fromkeys(LIFESTYLE_MEASURES, "lifestyle_logged")
    | {"alcohol_drinks": "food_or_lifestyle_logged"}
)
FLAGS: tuple[str, ...] = ("logged", "sleep_logged", "lifestyle_logged", "relapse", "food_or_lifestyle_logged")

KINDS: tuple[str, ...] = ("daily_threshold", "rolling_count", "target", "preference", "regularity", "medas")
OPS: tuple[str, ...] = ("at_least", "at_most")

OLIVE_OIL_TABLESPOON_G = medas.OLIVE_OIL_TABLESPOON_G

# MEDAS (PREDIMED 14-item screener) without the wine item: 7 daily and 6 weekly items.
MEDAS_DAILY_ITEMS: tuple[str, ...] = (
    "olive_oil_main_fat",
    "olive_oil_4_tbsp",
    "vegetables_2_one_raw",
    "fruit_3",
    "red_meat_under_1",
    "butter_cream_under_1",
    "sugary_drinks_under_1",
)
MEDAS_WEEKLY_ITEMS: tuple[str, ...] = (
    "legumes_3",
    "fish_3",
    "sweets_under_3",
    "nuts_3",
    "white_over_red_meat",
    "sofrito_2",
)
MEDAS_ITEMS: tuple[str, ...] = MEDAS_DAILY_ITEMS + MEDAS_WEEKLY_ITEMS
MEDAS_TIPS = 3  # how many unmet MEDAS items a day's breakdown names

DEFAULT_WINDOW_DAYS = 7  # a rule without a window looks at the day and the 6 days before it
MAX_WINDOW_DAYS = 366  # a year, leap day included
_DECIMALS = 6  # window sums are rounded so that 0.1 + 0.2 servings still reach 0.3

# Days are numbered from 1970-01-01 (as numpy's datetime64[D] counts them).
EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def from_day_number(number: int) -> date:
    """The date of a day number (the inverse of `day_number`)."""
    return EPOCH + timedelta(days=int(number))


# A patient-day as one integer that sorts by (patient, date): scoring and storing look rows up by it.
DAY_OFFSET = 1 << 20  # shifts day numbers (days since 1970) to positive values
PATIENT_STRIDE = 1 << 22  # > any day number + offset: keys of two patients never overlap

Key = TypeVar("Key", int, np.ndarray)


def day_keys(patients: Key, days: Key) -> Key:
    """The keys of (patient, day number since 1970-01-01) pairs: plain integers or numpy arrays."""
    keys: Key = patients * PATIENT_STRIDE + days + DAY_OFFSET
    return keys


def key_patients(keys: Key) -> Key:
    """The patients of day keys (the inverse of `day_keys`)."""
    return keys // PATIENT_STRIDE


def key_days(keys: Key) -> Key:
    """The day numbers (days since 1970-01-01) of day keys (the inverse of `day_keys`)."""
    return keys % PATIENT_STRIDE - DAY_OFFSET


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the scoring core sees it (a published rule-set version stores these)."""

    key: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    weight: float = 10.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSpec:
        return cls(
            key=str(data["key"]),
            kind=str(data["kind"]),
            params=dict(data.get("params") or {}),
            weight=float(data.get("weight", 10.0)),
        )


@dataclass
class RuleResult:
    points: np.ndarray
    possible: np.ndarray
    days_logged: np.ndarray
    window_days: int
    counted: dict[str, np.ndarray]


class _Days:
    """The facts sorted by (patient, date), with cached window positions."""

    def __init__(self, facts: pd.DataFrame) -> None:
        if facts.empty:
            frame = pd.DataFrame(
                {"patient_id": pd.Series([], dtype="int64"), "date": pd.Series([], dtype="datetime64[s]")}
            )
        else:
            frame = facts
        dates = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
        patients = frame["patient_id"].to_numpy(dtype=np.int64)
        order = np.lexsort((dates, patients))
        self.patients = patients[order]
        self.days = dates[order]
        codes = np.zeros(len(order), dtype=np.int64)
        if len(order):
            codes[1:] = np.cumsum(self.patients[1:] != self.patients[:-1])
        self.keys = day_keys(codes, self.days)
        if len(self.keys) > 1 and np.any(self.keys[1:] == self.keys[:-1]):
            raise ValueError("the facts frame has more than one row for a patient-day")
        self.n = len(order)
        self.frame = frame
        self.order = order
        self._starts: dict[int, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        """A measure or flag as float64 in sorted order; absent columns and NaN are 0."""
        cached = self._columns.get(name)
        if cached is None and name in _DERIVED:
            cached = _DERIVED[name](self)
            self._columns[name] = cached
        if cached is None:
            if name in self.frame.columns:
                raw = pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                cached = np.nan_to_num(raw[self.order], nan=0.0)
            else:
                cached = np.zeros(self.n)
            if name in FLAGS:
                cached = (cached != 0).astype(np.float64)
            self._columns[name] = cached
        return cached

    def logged(self, measure: str) -> np.ndarray:
        return self.column(LOGGED_BY.get(measure, "logged"))

    def covered(self, window: int) -> np.ndarray:
        """How many days of each row's window fall on or after the patient's first day (1 to `window`).

        Without a first day (no `first_day` column, or a day before it: history brought in from
        elsewhere) the whole window counts.
        """
        if "first_day" not in self.frame.columns:
            return np.full(self.n, float(window))
        raw = pd.to_numeric(self.frame["first_day"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        first = raw[self.order]
        since = self.days - first + 1
        known = np.isfinite(first) & (since >= 1)
        return np.where(known, np.clip(np.nan_to_num(since, nan=window), 1, window), float(window))

    def window_sum(self, values: np.ndarray, window: int) -> np.ndarray:
        """Sum of `values` over each row's day and the `window - 1` calendar days before it."""
        starts = self._starts.get(window)
        if starts is None:
            starts = np.searchsorted(self.keys, self.keys - (window - 1), side="left")
            self._starts[window] = starts
        cumulative = np.concatenate(([0.0], np.cumsum(values)))
        return np.round(cumulative[1:] - cumulative[starts], _DECIMALS)


_DERIVED: dict[str, Callable[[_Days], np.ndarray]] = {
    "alcohol_drinks": lambda days: np.round(
        days.column("alcohol_g") / STANDARD_DRINK_G + days.column("alcohol_units"), _DECIMALS
    ),
    "food_or_lifestyle_logged": lambda days: np.maximum(days.column("logged"), days.column("lifestyle_logged")),
}


def _compare(values: np.ndarray, op: str, threshold: float | np.ndarray) -> np.ndarray:
    if op == "at_most":
        return values <= threshold + 1e-9
    if op == "at_least":
        return values >= threshold - 1e-9
    raise ValueError(f"unknown comparison {op!r}")


def _require_measure(name: Any) -> str:
    if name not in MEASURES:
        raise ValueError(f"unknown measure {name!r}")
    return str(name)


def window_of(params: Mapping[str, Any]) -> int:
    """How many days a rule looks at (its `window` parameter; a week when not given)."""
    return int(params.get("window", DEFAULT_WINDOW_DAYS))


def _window(params: Mapping[str, Any]) -> int:
    window = window_of(params)
    if not 1 <= window <= MAX_WINDOW_DAYS:
        raise ValueError(f"window must be between 1 and {MAX_WINDOW_DAYS} days")
    return window


def _daily_threshold(days: _Days, spec: RuleSpec) -> RuleResult:
    measure = _require_measure(spec.params.get("measure"))
    logged = days.logged(measure)
    values = days.column(measure)
    met = _compare(values, str(spec.params.get("op", "at_least")), float(spec.params.get("value", 0)))
    points = spec.weight * (met & (logged > 0))
    return RuleResult(points, np.full(days.n, spec.weight), logged, 1, {measure: values})


def _rolling_count(days: _Days, spec: RuleSpec) -> RuleResult:
    measure = _require_measure(spec.params.get("measure"))
    window = _window(spec.params)
    op = str(spec.params.get("op", "at_least"))
    logged_days = days.window_sum(days.logged(measure), window)
    total = days.window_sum(days.column(measure), window)
    covered = days.covered(window)
    value = float(spec.params.get("value", 0))
    # An "at least" total is asked only for the days the window covers since the patient's first day.
    threshold = value if op == "at_most" else value * covered / window
    met = _compare(total, op, threshold)
    # "At most" is met by eating nothing: only the days actually logged earn it.
    share = logged_days / covered if op == "at_most" else (logged_days > 0).astype(np.float64)
    points = spec.weight * met * np.minimum(share, 1.0)
    counted = {measure: total, "days_covered": covered}
    return RuleResult(points, np.full(days.n, spec.weight), logged_days, window, counted)


def _target(days: _Days, spec: RuleSpec) -> RuleResult:
    measure = _require_measure(spec.params.get("measure"))
    target = float(spec.params.get("target", 0))
    if target <= 0:
        raise ValueError("target must be above 0")
    logged = days.logged(measure)
    values = days.column(measure)
    points = spec.weight * np.clip(values / target, 0.0, 1.0) * logged
    return RuleResult(points, np.full(days.n, spec.weight), logged, 1, {measure: values})


def _preference_met(days: _Days, prefer: str, over: str, window: int) -> tuple[np.ndarray, ...]:
    logged_days = days.window_sum(days.logged(prefer), window)
    preferred = days.window_sum(days.column(prefer), window)
    avoided = days.window_sum(days.column(over), window)
    met = (logged_days > 0) & ((preferred > avoided) | (avoided <= 0))
    return met * np.minimum(logged_days / days.covered(window), 1.0), logged_days, preferred, avoided


def _preference(days: _Days, spec: RuleSpec) -> RuleResult:
    prefer = _require_measure(spec.params.get("prefer"))
    over = _require_measure(spec.params.get("over"))
    window = _window(spec.params)
    share, logged_days, preferred, avoided = _preference_met(days, prefer, over, window)
    counted = {prefer: preferred, over: avoided, "days_covered": days.covered(window)}
    return RuleResult(spec.weight * share, np.full(days.n, spec.weight), logged_days, window, counted)


def _regularity(days: _Days, spec: RuleSpec) -> RuleResult:
    """Points fall linearly from `full_at` to `zero_at` minutes of spread (population SD)."""
    measure = _require_measure(spec.params.get("measure", "mid_sleep_minutes"))
    window = _window(spec.params)
    min_days = int(spec.params.get("min_days", 3))
    full_at = float(spec.params.get("full_at", 30))
    zero_at = float(spec.params.get("zero_at", 90))
    if zero_at <= full_at:
        raise ValueError("zero_at must be above full_at")
    logged = days.logged(measure)
    values = days.column(measure) * logged
    count = days.window_sum(logged, window)
    total = days.window_sum(values, window)
    squares = days.window_sum(values * values, window)
    safe = np.maximum(count, 1.0)
    spread = np.sqrt(np.maximum(squares / safe - (total / safe) ** 2, 0.0))
    spread = np.where(count > 0, np.round(spread, 3), 0.0)
    share = np.clip((zero_at - spread) / (zero_at - full_at), 0.0, 1.0) * (count >= max(min_days, 1))
    return RuleResult(spec.weight * share, np.full(days.n, spec.weight), count, window, {"spread_minutes": spread})


def medas_servings(days: _Days, item: str) -> np.ndarray:
    """Servings of a MEDAS item each row: the grams logged over the instrument's serving (guidance.medas)."""
    serving = medas.MEDAS_SERVINGS[item]
    return days.column(serving.measure) / serving.grams


def medas_item_scores(days: _Days, window: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each MEDAS item's score in [0, 1] for every row, and the days logged in the window.

    Servings are the instrument's grams (guidance.medas.MEDAS_SERVINGS), never catalog portions.
    """
    col = days.column
    eps = 1e-9
    logged = days.column("logged")
    logged_days = days.window_sum(logged, window)
    other_fats = sum((col(name) for name in medas.MAIN_FAT_OTHERS), np.zeros(days.n))
    daily_met: dict[str, np.ndarray] = {
        "olive_oil_main_fat": (col("olive_oil_g") > 0) & (col("olive_oil_g") >= other_fats - eps),
        "olive_oil_4_tbsp": medas_servings(days, "olive_oil_4_tbsp") >= 4 - eps,
        "vegetables_2_one_raw": (medas_servings(days, "vegetables_2_one_raw") >= 2 - eps)
        & (medas_servings(days, "raw_vegetable") >= 1 - eps),
        "fruit_3": medas_servings(days, "fruit_3") >= 3 - eps,
        "red_meat_under_1": medas_servings(days, "red_meat_under_1") < 1 - eps,
        "butter_cream_under_1": medas_servings(days, "butter_cream_under_1") < 1 - eps,
        "sugary_drinks_under_1": medas_servings(days, "sugary_drinks_under_1") < 1 - eps,
    }
    safe_days = np.maximum(logged_days, 1.0)
    scores: dict[str, np.ndarray] = {}
    for item, met in daily_met.items():
        # Averaged over the days actually logged: an unlogged day is neither a success nor a failure.
        scores[item] = days.window_sum(met * logged, window) / safe_days
    covered = days.covered(window)
    coverage = np.minimum(logged_days / covered, 1.0)
    # A weekly "at least 3" is prorated to the days the window covers since the patient's first day.
    weekly_need = 3 * covered / DEFAULT_WINDOW_DAYS

    def weekly(item: str) -> np.ndarray:
        return days.window_sum(medas_servings(days, item), window)

    scores["legumes_3"] = (weekly("legumes_3") >= weekly_need - eps).astype(np.float64)
    scores["fish_3"] = (weekly("fish_3") >= weekly_need - eps).astype(np.float64)
    scores["sweets_under_3"] = (weekly("sweets_under_3") < 3 - eps) * coverage
    scores["nuts_3"] = (weekly("nuts_3") >= weekly_need - eps).astype(np.float64)
    white = weekly("white_meat")
    red = weekly("red_meat_under_1")
    scores["white_over_red_meat"] = ((logged_days > 0) & ((white > red) | (red <= 0))) * coverage
    scores["sofrito_2"] = (weekly("sofrito_2") >= 2 * covered / DEFAULT_WINDOW_DAYS - eps).astype(np.float64)
    # Weekly items need at least one logged day: nothing logged earns nothing.
    for item in ("legumes_3", "fish_3", "nuts_3", "sofrito_2"):
        scores[item] = scores[item] * (logged_days > 0)
    return scores, logged_days


def _medas(days: _Days, spec: RuleSpec) -> RuleResult:
    window = _window(spec.params)
    items = tuple(spec.params.get("items") or MEDAS_ITEMS)
    unknown = set(items) - set(MEDAS_ITEMS)
    if unknown or not items:
        raise ValueError(f"unknown MEDAS items {sorted(unknown)}")
    scores, logged_days = medas_item_scores(days, window)
    met = np.zeros(days.n)
    for item in items:
        met = met + scores[item]
    points = spec.weight * met / len(items)
    # The (up to) three items furthest from earned, as indexes into MEDAS_ITEMS: the tips to show.
    shares = np.column_stack([scores[item] for item in items])
    order = np.argsort(shares, axis=1, kind="stable")[:, :MEDAS_TIPS]
    lowest = np.take_along_axis(shares, order, axis=1)
    index_of = np.array([MEDAS_ITEMS.index(item) for item in items])
    work_on = np.where(lowest < 1 - 1e-9, index_of[order], -1)
    counted = {
        "items_met": np.round(met, 3),
        "items": np.full(days.n, float(len(items))),
        "days_covered": days.covered(window),
    }
    counted.update({f"work_on:{i}": work_on[:, i].astype(np.float64) for i in range(work_on.shape[1])})
    return RuleResult(points, np.full(days.n, spec.weight), logged_days, window, counted)


KIND_FUNCTIONS: dict[str, Callable[[_Days, RuleSpec], RuleResult]] = {
    "daily_threshold": _daily_threshold,
    "rolling_count": _rolling_count,
    "target": _target,
    "preference": _preference,
    "regularity": _regularity,
    "medas": _medas,
}


def _as_specs(rules: Iterable[RuleSpec | Mapping[str, Any]]) -> list[RuleSpec]:
    specs = [rule if isinstance(rule, RuleSpec) else RuleSpec.from_dict(rule) for rule in rules]
    keys = [spec.key for spec in specs]
    if len(set(keys)) != len(keys):
        raise ValueError("rule keys must be unique")
    for spec in specs:
        if spec.kind not in KIND_FUNCTIONS:
            raise ValueError(f"unknown rule kind {spec.kind!r}")
        if spec.weight < 0:
            raise ValueError("weights cannot be negative")
    return specs


def score_days(facts: pd.DataFrame, rules: Sequence[RuleSpec | Mapping[str, Any]]) -> pd.DataFrame:
    """Score every row of `facts` under `rules`.

    Returns one row per input row, sorted by (patient_id, date), with `patient_id`,
    `date`, `logged`, `total` (0-100) and per rule `<key>:points`, `<key>:possible`,
    `<key>:days_logged`, `<key>:window_days`, `<key>:waived` and `<key>:c:<name>`
    for what was counted.
    """
    specs = _as_specs(rules)
    days = _Days(facts)
    relapse = days.column("relapse") > 0
    out: dict[str, np.ndarray] = {
        "patient_id": days.patients,
        "date": days.days.astype("datetime64[D]"),
        "logged": days.column("logged") > 0,
    }
    earned = np.zeros(days.n)
    possible_total = np.zeros(days.n)
    for spec in specs:
        result = KIND_FUNCTIONS[spec.kind](days, spec)
        # During a relapse some advice (activity) does not apply: the rule leaves the total.
        waived = relapse if spec.params.get("waive_during_relapse") else np.zeros(days.n, dtype=bool)
        points = np.where(waived, 0.0, result.points)
        possible = np.where(waived, 0.0, result.possible)
        earned += points
        possible_total += possible
        out[f"{spec.key}:points"] = points
        out[f"{spec.key}:possible"] = possible
        out[f"{spec.key}:days_logged"] = result.days_logged
        out[f"{spec.key}:window_days"] = np.full(days.n, result.window_days)
        out[f"{spec.key}:waived"] = waived
        for name, values in result.counted.items():
            out[f"{spec.key}:c:{name}"] = values
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(possible_total > 0, 100.0 * earned / possible_total, 0.0)
    out["total"] = np.clip(np.round(total, 1), 0.0, 100.0)
    return pd.DataFrame(out)


def _as_text(values: np.ndarray, formatter: Callable[[Any], str]) -> np.ndarray:
    """Texts for a column, formatting each distinct value once (values repeat a lot)."""
    codes, uniques = pd.factorize(values)
    texts = np.array([formatter(u) for u in uniques.tolist()] or [""], dtype=object)
    result: np.ndarray = texts[codes]
    return result


def _number(value: float) -> str:
    return "0" if math.isnan(value) else repr(round(float(value), 3))


def _named_number(name: str) -> Callable[[Any], str]:
    label = json.dumps(name)

    def text(value: Any) -> str:
        return f"{label}:{_number(value)}"

    return text


def breakdown_json(scored: pd.DataFrame, rules: Sequence[RuleSpec | Mapping[str, Any]]) -> list[str]:
    """One JSON array text per scored row: what DayScore.breakdown stores.

    Each element: key, points, possible, days_logged, window_days, waived and counted
    (measure name -> value; MEDAS: items_met, items and work_on, up to three unmet
    item names). Built as text column by column: a year of a thousand patients is
    three million entries, too many to build as dicts and encode one by one.
    """
    specs = _as_specs(rules)
    if not specs:
        return ["[]"] * len(scored)
    n = len(scored)
    parts: list[np.ndarray | str] = ["["]
    for position, spec in enumerate(specs):
        prefix = f"{spec.key}:c:"
        names = [c[len(prefix) :] for c in scored.columns if c.startswith(prefix)]
        window = int(scored[f"{spec.key}:window_days"].iloc[0]) if n else 1
        possible = np.round(scored[f"{spec.key}:possible"].to_numpy(dtype=np.float64), 2)
        days_logged = scored[f"{spec.key}:days_logged"].to_numpy(dtype=np.float64).astype(np.int64)
        waived = scored[f"{spec.key}:waived"].to_numpy().astype(bool)
        # possible, days logged and waived take few values: one code per combination.
        meta_code = (days_logged * 2 + waived) * 100_000 + np.round(possible * 100).astype(np.int64)

        def meta(code: int, window: int = window) -> str:
            combo, cents = divmod(int(code), 100_000)
            logged, is_waived = divmod(combo, 2)
            return (
                f'"possible":{_number(cents / 100)},"days_logged":{logged},"window_days":{window},'
                f'"waived":{"true" if is_waived else "false"},"counted":{{'
            )

        points = np.round(scored[f"{spec.key}:points"].to_numpy(dtype=np.float64), 2)
        head = ",{" if position else "{"
        parts += [f'{head}"key":{json.dumps(spec.key)},"points":', _as_text(points, _number), ","]
        parts.append(_as_text(meta_code, meta))
        counted_parts: list[np.ndarray] = []
        tips = [name for name in names if name.startswith("work_on:")]
        for name in names:
            if name in tips:
                continue
            values = np.round(scored[prefix + name].to_numpy(dtype=np.float64), 3)
            counted_parts.append(_as_text(values, _named_number(name)))
        if tips:
            codes = np.zeros(n, dtype=np.int64)
            for name in tips:
                codes = codes * 32 + (scored[prefix + name].to_numpy(dtype=np.float64).astype(np.int64) + 1)

            def tip_list(code: int, count: int = len(tips)) -> str:
                indexes = []
                for _ in range(count):
                    code, index = divmod(int(code), 32)
                    indexes.append(index - 1)
                names_ = [MEDAS_ITEMS[i] for i in reversed(indexes) if 0 <= i < len(MEDAS_ITEMS)]
                return '"work_on":' + json.dumps(names_, separators=(",", ":"))

            counted_parts.append(_as_text(codes, tip_list))
        for index, part in enumerate(counted_parts):
            if index:
                parts.append(",")
            parts.append(part)
        parts.append("}}")
    parts.append("]")
    # One join per row: growing each row's text part by part would copy it over and over.
    columns = [part.tolist() if isinstance(part, np.ndarray) else [part] * n for part in parts]
    return ["".join(row) for row in zip(*columns, strict=True)]


def breakdowns(scored: pd.DataFrame, rules: Sequence[RuleSpec | Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
    """The breakdowns as Python lists of dicts (for a few rows: previews, the day panel)."""
    return [json.loads(text) for text in breakdown_json(scored, rules)]
