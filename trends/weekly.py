"""Weekly aggregation: source frames in, one summary per patient and ISO week out.

Pure: stdlib, numpy and pandas only (no Django import, a test checks it), so a
year of a thousand patients is a handful of vectorised group-bys and the core is
tested without a database. `trends.services` loads the frames and stores rows.

Input frames (columns; an empty frame may have no rows but must have the columns):
- meals:       patient_id, date, food_id, grams        (grams may be summed per food and day)
- foods:       id, portion, fiber, nova, fermented, added_sugar, groups
- sleep:       patient_id, date, total_sleep_minutes, mid_sleep_minutes
- fatigue:     patient_id, date, score
- scores:      patient_id, date, total, logged
- score_parts: patient_id, date, position, key, points, possible   (one row per rule line of a day score)
- relapses:    patient_id, started_on, ended_on (None = ongoing, runs to `today`)
- keys:        patient_id, week_start  (the due patient-weeks; week_start is a Monday)

Means are over the days actually logged: a day without meals is missing, not a
zero-fiber day; likewise nights without a sleep diary and days without a rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from guidance.scoring import day_number, from_day_number
from tracker.measures import is_processed

# Bump when the summary's meaning or shape changes: every week's fingerprint changes and all are rebuilt.
FORMAT_VERSION = 1
MIN_NIGHTS_FOR_SPREAD = 2  # a spread of sleep timing needs two nights at least

MEAL_COLUMNS = ["patient_id", "date", "food_id", "grams"]
FOOD_COLUMNS = ["id", "portion", "fiber", "nova", "fermented", "added_sugar", "groups"]
SLEEP_COLUMNS = ["patient_id", "date", "total_sleep_minutes", "mid_sleep_minutes"]
FATIGUE_COLUMNS = ["patient_id", "date", "score"]
SCORE_COLUMNS = ["patient_id", "date", "total", "logged"]
PART_COLUMNS = ["patient_id", "date", "position", "key", "points", "possible"]
RELAPSE_COLUMNS = ["patient_id", "started_on", "ended_on"]
KEY_COLUMNS = ["patient_id", "week_start"]

# The daily series stored in each summary's figure data, with the decimals kept.
SERIES: dict[str, int] = {
    "score": 1,
    "fiber_g": 1,
    "fermented": 2,
    "processed": 2,
    "sleep_minutes": 0,
    "mid_sleep": 0,
    "fatigue": 1,
}
_FINGERPRINT_COLUMNS = ["patient_id", "day", "meal_logged", "relapse", *SERIES]


def week_start(value: date) -> date:
    """The Monday of the ISO week containing `value`."""
    return value - timedelta(days=value.weekday())


def day_numbers(values: Any) -> np.ndarray:
    """Dates (date objects, ISO strings or datetime64) as int64 days since 1970-01-01."""
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    numbers: np.ndarray = array.astype("datetime64[D]").astype(np.int64)
    return numbers


def week_numbers(days: np.ndarray) -> np.ndarray:
    """Day numbers of the Mondays of the weeks containing `days` (1970-01-01 was a Thursday)."""
    mondays: np.ndarray = days - (days + 3) % 7
    return mondays


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in columns})


def _typed(dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=dtype) for column, dtype in dtypes.items()})


@dataclass
class Sources:
    """The source frames. Any of them may carry `day` (int days since 1970) instead of `date`.

    `meal_days`, when given, replaces meals + foods: the per-day sums (patient_id, day,
    fiber_g, fermented, processed) already computed by the database.
    """

    meals: pd.DataFrame
    foods: pd.DataFrame
    sleep: pd.DataFrame
    fatigue: pd.DataFrame
    scores: pd.DataFrame
    score_parts: pd.DataFrame
    relapses: pd.DataFrame
    meal_days: pd.DataFrame | None = None

    @classmethod
    def blank(cls) -> Sources:
        return cls(
            meals=empty(MEAL_COLUMNS),
            foods=empty(FOOD_COLUMNS),
            sleep=empty(SLEEP_COLUMNS),
            fatigue=empty(FATIGUE_COLUMNS),
            scores=empty(SCORE_COLUMNS),
            score_parts=empty(PART_COLUMNS),
            relapses=empty(RELAPSE_COLUMNS),
        )


@dataclass
class WeekData:
    """The due weeks (`keys`, with a position `k`) and their days, ready to summarise."""

    keys: pd.DataFrame  # patient_id, week (day number of the Monday), k
    daily: pd.DataFrame  # one row per patient-day with anything: k, day, the SERIES columns, flags
    parts: pd.DataFrame  # one row per rule line of a logged day score: k, day, position, key, points, possible


def food_flags(foods: pd.DataFrame) -> pd.DataFrame:
    """Per food id: grams per serving, fiber per gram, fermented and processed as 0/1."""
    rows = [
        (
            int(food_id),
            float(portion or 0),
            float(fiber or 0) / 100.0,
            float(bool(fermented)),
            float(is_processed(nova, groups, added_sugar)),
        )
        for food_id, portion, fiber, nova, fermented, added_sugar, groups in zip(
            *(foods[column].tolist() for column in FOOD_COLUMNS), strict=True
        )  # one row per catalog food, not per entry
    ]
    table = pd.DataFrame.from_records(rows, columns=["id", "portion", "fiber_per_g", "fermented", "processed"])
    return table.set_index("id")


def _days(frame: pd.DataFrame) -> np.ndarray:
    if "day" in frame.columns:
        return frame["day"].to_numpy(dtype=np.int64)
    return day_numbers(frame["date"].to_numpy())


def _keyed(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Rows of `frame` (patient_id, day) that fall in a due week, with that week's position `k`."""
    frame = frame.assign(week=week_numbers(frame["day"].to_numpy(dtype=np.int64)))
    return frame.merge(keys, on=["patient_id", "week"], how="inner")


def _meal_days(meals: pd.DataFrame, foods: pd.DataFrame) -> pd.DataFrame:
    if meals.empty:
        return _typed(
            {
                "patient_id": "int64",
                "day": "int64",
                "fiber_g": "float64",
                "fermented": "float64",
                "processed": "float64",
            }
        )
    flags = food_flags(foods)
    index = flags.index.get_indexer(pd.Index(meals["food_id"].to_numpy(dtype=np.int64)))
    known = index >= 0  # a food deleted since cannot happen (PROTECT) but never crash on it
    index = index[known]
    grams = meals["grams"].to_numpy(dtype=np.float64)[known]
    portion = flags["portion"].to_numpy()[index]
    servings = grams / np.where(portion > 0, portion, 1.0)
    items = pd.DataFrame(
        {
            "patient_id": meals["patient_id"].to_numpy(dtype=np.int64)[known],
            "day": _days(meals)[known],
            "fiber_g": grams * flags["fiber_per_g"].to_numpy()[index],
            "fermented": servings * flags["fermented"].to_numpy()[index],
            "processed": servings * flags["processed"].to_numpy()[index],
        }
    )
    return items.groupby(["patient_id", "day"], as_index=False, sort=False).sum()


def _relapse_days(relapses: pd.DataFrame, first: int, last: int, today: date) -> pd.DataFrame:
    """One row per patient-day within [first, last] covered by a relapse; open relapses run to today."""
    if relapses.empty:
        return _typed({"patient_id": "int64", "day": "int64", "relapse": "bool"})
    today_n = day_number(today)
    begin = day_numbers(relapses["started_on"].to_numpy())
    ends = [today_n if pd.isna(end) else day_number(end) for end in relapses["ended_on"].tolist()]
    finish = np.maximum(np.asarray(ends, dtype=np.int64), begin)
    begin = np.maximum(begin, first)
    finish = np.minimum(finish, last)
    lengths = np.maximum(finish - begin + 1, 0)
    patients = np.repeat(relapses["patient_id"].to_numpy(dtype=np.int64), lengths)
    starts = np.repeat(begin, lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    days = pd.DataFrame({"patient_id": patients, "day": starts + offsets, "relapse": True})
    return days.drop_duplicates(["patient_id", "day"])


def prepare(sources: Sources, keys: pd.DataFrame, today: date) -> WeekData:
    """Reduce the sources to one row per patient-day of the due weeks (and the score parts)."""
    due = pd.DataFrame(
        {
            "patient_id": keys["patient_id"].to_numpy(dtype=np.int64),
            "week": day_numbers(keys["week_start"].to_numpy()) if len(keys) else np.zeros(0, dtype=np.int64),
        }
    ).drop_duplicates(ignore_index=True)
    due["k"] = np.arange(len(due))
    first = int(due["week"].min()) if len(due) else 0
    last = int(due["week"].max()) + 6 if len(due) else -1

    def by_day(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        out = pd.DataFrame({"patient_id": frame["patient_id"].to_numpy(dtype=np.int64), "day": _days(frame)})
        for source, target in columns.items():
            out[target] = frame[source].to_numpy(dtype=np.float64)
        return out

    if sources.meal_days is not None:
        meal = by_day(sources.meal_days, {"fiber_g": "fiber_g", "fermented": "fermented", "processed": "processed"})
    else:
        meal = _meal_days(sources.meals, sources.foods)
    meal["meal_logged"] = True
    sleep = by_day(sources.sleep, {"total_sleep_minutes": "sleep_minutes", "mid_sleep_minutes": "mid_sleep"})
    fatigue = by_day(sources.fatigue, {"score": "fatigue"})
    scored = sources.scores[sources.scores["logged"].astype(bool)] if len(sources.scores) else sources.scores
    score = by_day(scored, {"total": "score"})
    relapse = _relapse_days(sources.relapses, first, last, today)

    daily = meal
    for frame in (sleep, fatigue, score, relapse):
        daily = daily.merge(frame, on=["patient_id", "day"], how="outer")
    for column in SERIES:
        if column not in daily:
            daily[column] = np.nan
        daily[column] = daily[column].astype(np.float64)
    daily["meal_logged"] = daily["meal_logged"].fillna(False).astype(bool)
    daily["relapse"] = daily["relapse"].fillna(False).astype(bool)
    daily["logged"] = daily["meal_logged"] | daily["sleep_minutes"].notna() | daily["fatigue"].notna()
    daily = _keyed(daily, due).sort_values(["k", "day"], ignore_index=True)

    parts = sources.score_parts
    if len(parts) and len(scored):
        part_frame = pd.DataFrame(
            {
                "patient_id": parts["patient_id"].to_numpy(dtype=np.int64),
                "day": _days(parts),
                "position": parts["position"].to_numpy(dtype=np.int64),
                "key": parts["key"].astype(str).to_numpy(),
                "points": parts["points"].to_numpy(dtype=np.float64),
                "possible": parts["possible"].to_numpy(dtype=np.float64),
            }
        )
        # Only the parts of logged days count, as for the day score itself.
        part_frame = part_frame.merge(score[["patient_id", "day"]], on=["patient_id", "day"], how="inner")
        part_frame = _keyed(part_frame, due).sort_values(["k", "day", "position"], ignore_index=True)
    else:
        part_frame = _typed(
            {
                "k": "int64",
                "day": "int64",
                "position": "int64",
                "key": "object",
                "points": "float64",
                "possible": "float64",
            }
        )
    return WeekData(keys=due, daily=daily, parts=part_frame)


def _hash_sums(frame: pd.DataFrame, columns: list[str], k: np.ndarray, n: int) -> np.ndarray:
    """Per due week, the wrapping sum of the hashes of its rows (order-free; each row holds its day)."""
    sums = np.zeros(n, dtype=np.uint64)
    if len(frame):
        rounded = frame[columns].round(4) if columns else frame
        hashes = pd.util.hash_pandas_object(rounded, index=False).to_numpy(dtype=np.uint64)
        np.add.at(sums, k, hashes)
    return sums


def fingerprints(data: WeekData) -> list[str]:
    """A fingerprint of each due week's source data (per-day values and rule lines), in key order."""
    n = len(data.keys)
    daily = _hash_sums(data.daily[_FINGERPRINT_COLUMNS], _FINGERPRINT_COLUMNS, data.daily["k"].to_numpy(), n)
    part_columns = ["day", "position", "key", "points", "possible"]
    parts = _hash_sums(data.parts[part_columns], part_columns, data.parts["k"].to_numpy(dtype=np.int64), n)
    return [f"v{FORMAT_VERSION}:{a:016x}{b:016x}" for a, b in zip(daily.tolist(), parts.tolist(), strict=True)]


def _nullable(values: np.ndarray, decimals: int) -> list[float | None]:
    rounded = np.round(values, decimals).astype(object)
    rounded[np.isnan(values)] = None
    return list(rounded)


def _series_lists(values: np.ndarray, decimals: int) -> list[list[float | None]]:
    rounded = np.round(values, decimals).astype(object)
    rounded[np.isnan(values)] = None
    return rounded.reshape(-1, 7).tolist()


def summarise(data: WeekData, only: np.ndarray | None = None) -> list[dict[str, Any]]:
    """One summary dict per due week (or only those at positions `only`), in key order.

    Keys: patient_id, week_start, iso_year, iso_week, the counts, the means,
    rule_means and figure (the daily series), ready to become WeeklySummary rows.
    """
    keys = data.keys
    daily = data.daily
    parts = data.parts
    if only is not None:
        keys = keys[keys["k"].isin(only)]
        daily = daily[daily["k"].isin(only)]
        parts = parts[parts["k"].isin(only)]
    keys = keys.reset_index(drop=True)
    n = len(keys)
    position = pd.Series(np.arange(n), index=keys["k"].to_numpy())
    row = position.reindex(daily["k"].to_numpy()).to_numpy(dtype=np.int64)

    grouped = daily.assign(row=row).groupby("row")

    def per_week(series: pd.Series) -> np.ndarray:
        return np.array(series.reindex(range(n)).to_numpy(dtype=np.float64), copy=True)

    means = {column: per_week(grouped[column].mean()) for column in SERIES}
    counts = {column: np.nan_to_num(per_week(grouped[column].count())) for column in SERIES}
    sd = per_week(grouped["mid_sleep"].std(ddof=0))
    sd[counts["mid_sleep"] < MIN_NIGHTS_FOR_SPREAD] = np.nan
    meal_days = np.nan_to_num(per_week(grouped["meal_logged"].sum()))
    days_logged = np.nan_to_num(per_week(grouped["logged"].sum()))
    relapse_days = np.nan_to_num(per_week(grouped["relapse"].sum()))

    # Daily series: a dense 7-day grid per week.
    grid: dict[str, np.ndarray] = {column: np.full(n * 7, np.nan) for column in SERIES}
    grid["relapse"] = np.zeros(n * 7)
    slot = row * 7 + (daily["day"].to_numpy(dtype=np.int64) - daily["week"].to_numpy(dtype=np.int64))
    for column, values in grid.items():
        values[slot] = daily[column].to_numpy(dtype=np.float64)
    series = {column: _series_lists(grid[column], decimals) for column, decimals in SERIES.items()}
    relapse_flags = grid["relapse"].astype(np.int64).reshape(-1, 7).tolist()

    rules: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    if len(parts):
        part_row = position.reindex(parts["k"].to_numpy()).to_numpy(dtype=np.int64)
        rule_frame = (
            parts.assign(row=part_row)
            .groupby(["row", "key"], sort=False)
            .agg(
                points=("points", "mean"),
                possible=("possible", "mean"),
                days=("day", "nunique"),
                order=("position", "min"),
            )
            .reset_index()
            .sort_values(["row", "order", "key"])
        )
        for r, key, points, possible, days in zip(
            rule_frame["row"].tolist(),
            rule_frame["key"].tolist(),
            rule_frame["points"].tolist(),
            rule_frame["possible"].tolist(),
            rule_frame["days"].tolist(),
            strict=True,
        ):
            rules[r].append({"key": key, "points": round(points, 2), "possible": round(possible, 2), "days": int(days)})

    rounded = {column: _nullable(means[column], 3) for column in SERIES}
    sd_list = _nullable(sd, 1)
    out: list[dict[str, Any]] = []
    for i, (patient_id, week) in enumerate(zip(keys["patient_id"].tolist(), keys["week"].tolist(), strict=True)):
        start = from_day_number(week)
        iso = start.isocalendar()
        out.append(
            {
                "patient_id": int(patient_id),
                "week_start": start,
                "iso_year": iso.year,
                "iso_week": iso.week,
                "days_logged": int(days_logged[i]),
                "meal_days": int(meal_days[i]),
                "sleep_nights": int(counts["sleep_minutes"][i]),
                "fatigue_days": int(counts["fatigue"][i]),
                "score_days": int(counts["score"][i]),
                "mean_score": rounded["score"][i],
                "rule_means": rules[i],
                "fiber_g": rounded["fiber_g"][i],
                "fermented_servings": rounded["fermented"][i],
                "processed_servings": rounded["processed"][i],
                "sleep_minutes": rounded["sleep_minutes"][i],
                "mid_sleep_sd_minutes": sd_list[i],
                "fatigue_mean": rounded["fatigue"][i],
                "relapse_days": int(relapse_days[i]),
                "figure": {
                    "v": FORMAT_VERSION,
                    "start": start.isoformat(),
                    **{column: series[column][i] for column in SERIES},
                    "relapse": relapse_flags[i],
                },
            }
        )
    return out
