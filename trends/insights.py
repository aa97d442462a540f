"""Insights from the weekly summaries: week-over-week changes and simple associations.

Pure (stdlib only). Every insight carries the number of days behind it; the
wording (trends.presenters) states observations from the patient's own log,
never causes. An association is only reported when both groups have at least
MIN_DAYS days; otherwise it says how many days it still needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MIN_DAYS = 5  # days in each group before an association is shown
MIN_WEEK_DAYS = 3  # days with a value before a week's mean is compared
LOW_FIBER_G = 15.0  # well under the fiber target (EFSA: 25 g): "a low-fiber day"
SHORT_SLEEP_MINUTES = 360  # under 6 hours

# (field on the summary, count field, smallest change worth mentioning); the order is the display order.
METRICS: dict[str, tuple[str, str, float]] = {
    "score": ("mean_score", "score_days", 5.0),
    "fiber": ("fiber_g", "meal_days", 3.0),
    "fermented": ("fermented_servings", "meal_days", 0.5),
    "processed": ("processed_servings", "meal_days", 0.5),
    "sleep": ("sleep_minutes", "sleep_nights", 30.0),
    "regularity": ("mid_sleep_sd_minutes", "sleep_nights", 15.0),
    "fatigue": ("fatigue_mean", "fatigue_days", 1.0),
}


@dataclass(frozen=True)
class Comparison:
    metric: str
    this: float | None
    last: float | None
    this_days: int
    last_days: int
    change: float | None  # this - last, when both weeks have a value
    notable: bool  # both weeks have MIN_WEEK_DAYS days and the change is at least the metric's threshold


@dataclass(frozen=True)
class Association:
    code: str  # "fatigue_after_low_fiber", "fatigue_after_short_sleep", "fatigue_after_fermented"
    exposed_mean: float | None  # mean fatigue on the days after the condition
    exposed_days: int
    other_mean: float | None
    other_days: int
    enough: bool


def compare(this: Mapping[str, Any] | None, last: Mapping[str, Any] | None) -> list[Comparison]:
    """Each metric of one week against the week before (either may be missing)."""
    out = []
    for metric, (field, count_field, threshold) in METRICS.items():
        a = this.get(field) if this else None
        b = last.get(field) if last else None
        a_days = int(this.get(count_field) or 0) if this else 0
        b_days = int(last.get(count_field) or 0) if last else 0
        change = round(a - b, 3) if a is not None and b is not None else None
        notable = (
            change is not None and a_days >= MIN_WEEK_DAYS and b_days >= MIN_WEEK_DAYS and abs(change) >= threshold
        )
        out.append(Comparison(metric, a, b, a_days, b_days, change, notable))
    return out


def weeks_to_compare(
    weeks: Sequence[Mapping[str, Any]], current_monday: date
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, date]:
    """This week and last; early in a week (fewer than MIN_WEEK_DAYS days logged) last week and the one before.

    Returns (later week, earlier week, Monday of the later week).
    """
    by_week = {week["week_start"]: week for week in weeks}
    this = by_week.get(current_monday)
    if this is None or int(this.get("days_logged") or 0) < MIN_WEEK_DAYS:
        current_monday -= timedelta(days=7)
        this = by_week.get(current_monday)
    return this, by_week.get(current_monday - timedelta(days=7)), current_monday


def _split(pairs: list[tuple[bool, float]], code: str) -> Association:
    exposed = [fatigue for flag, fatigue in pairs if flag]
    other = [fatigue for flag, fatigue in pairs if not flag]

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    enough = len(exposed) >= MIN_DAYS and len(other) >= MIN_DAYS
    return Association(code, mean(exposed), len(exposed), mean(other), len(other), enough)


def associations(weeks: Sequence[Mapping[str, Any]]) -> list[Association]:
    """Fatigue on the day after a low-fiber day, after a short night, after a day with fermented food.

    Pairs need both values: a day without meals logged is neither low nor high in fiber.
    The sleep diary of a date describes the night before it, so it pairs with that date's fatigue.
    """
    # Consecutive days as flat lists (None where nothing was logged or no week was built).
    ordered = sorted(weeks, key=lambda week: week["week_start"])
    fiber: list[Any] = []
    fermented: list[Any] = []
    sleep: list[Any] = []
    fatigue: list[Any] = []
    previous: date | None = None
    for week in ordered:
        if previous is not None:
            gap = (week["week_start"] - previous).days - 7  # a missing week: its days are unknown
            for values in (fiber, fermented, sleep, fatigue):
                values.extend([None] * gap)
        figure = week.get("figure") or {}
        for name, values in (
            ("fiber_g", fiber),
            ("fermented", fermented),
            ("sleep_minutes", sleep),
            ("fatigue", fatigue),
        ):
            values.extend(figure.get(name) or [None] * 7)
        previous = week["week_start"]
    after_fiber: list[tuple[bool, float]] = []
    after_sleep: list[tuple[bool, float]] = []
    after_fermented: list[tuple[bool, float]] = []
    for i, tired in enumerate(fatigue):
        if tired is None:
            continue
        if i > 0 and fiber[i - 1] is not None:
            after_fiber.append((fiber[i - 1] < LOW_FIBER_G, tired))
            if fermented[i - 1] is not None:
                after_fermented.append((fermented[i - 1] >= 1.0, tired))
        if sleep[i] is not None:
            after_sleep.append((sleep[i] < SHORT_SLEEP_MINUTES, tired))
    return [
        _split(after_fiber, "fatigue_after_low_fiber"),
        _split(after_sleep, "fatigue_after_short_sleep"),
        _split(after_fermented, "fatigue_after_fermented"),
    ]
