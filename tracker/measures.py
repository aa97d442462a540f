"""Pure derived measures (no Django import): sleep diary and MFIS scoring."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

MFIS_ITEMS = 21
MFIS_PHYSICAL = (4, 6, 7, 10, 13, 14, 17, 20, 21)
MFIS_COGNITIVE = (1, 2, 3, 5, 11, 12, 15, 16, 18, 19)
MFIS_PSYCHOSOCIAL = (8, 9)
MFIS_5 = (1, 9, 10, 17, 19)


def clock_minutes(value: time) -> int:
    """Minutes relative to midnight of the diary's morning: noon or later is the evening before."""
    minutes = value.hour * 60 + value.minute
    return minutes - 1440 if value.hour >= 12 else minutes


@dataclass(frozen=True)
class SleepMeasures:
    total_sleep_minutes: int
    time_in_bed_minutes: int
    efficiency: float
    mid_sleep_minutes: int


def sleep_measures(
    in_bed_at: time,
    tried_sleep_at: time,
    minutes_to_fall_asleep: int,
    minutes_awake: int,
    final_wake_at: time,
    out_of_bed_at: time,
) -> SleepMeasures:
    """Consensus Sleep Diary derived values. Raises ValueError when times are out of order."""
    in_bed = clock_minutes(in_bed_at)
    tried = clock_minutes(tried_sleep_at)
    wake = clock_minutes(final_wake_at)
    out = clock_minutes(out_of_bed_at)
    if not in_bed <= tried < wake <= out:
        raise ValueError("times out of order")
    onset = tried + minutes_to_fall_asleep
    if onset > wake:
        raise ValueError("fell asleep after the final wake time")
    total = wake - tried - minutes_to_fall_asleep - minutes_awake
    if total < 0:
        raise ValueError("more time awake than time in bed")
    in_bed_minutes = out - in_bed
    efficiency = round(total / in_bed_minutes, 4) if in_bed_minutes else 0.0
    return SleepMeasures(total, in_bed_minutes, efficiency, (onset + wake) // 2)


@dataclass(frozen=True)
class MFISScores:
    total: int | None
    physical: int | None
    cognitive: int | None
    psychosocial: int | None
    mfis5: int | None
    answered: int


def _subscale(items: list[int | None], numbers: tuple[int, ...]) -> int | None:
    values = [items[n - 1] for n in numbers]
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def mfis_scores(items: list[int | None]) -> MFISScores:
    """Total 0-84, physical 0-36, cognitive 0-40, psychosocial 0-8, MFIS-5 0-20; None until answered."""
    padded = (list(items) + [None] * MFIS_ITEMS)[:MFIS_ITEMS]
    return MFISScores(
        total=_subscale(padded, tuple(range(1, MFIS_ITEMS + 1))),
        physical=_subscale(padded, MFIS_PHYSICAL),
        cognitive=_subscale(padded, MFIS_COGNITIVE),
        psychosocial=_subscale(padded, MFIS_PSYCHOSOCIAL),
        mfis5=_subscale(padded, MFIS_5),
        answered=sum(1 for v in padded if v is not None),
    )


# Relapse definition (design.md "Relapses"): new or worse symptoms lasting more than 24 hours,
# starting at least 30 days after the onset of the previous relapse, without fever or infection.
RELAPSE_MIN_DAYS_BETWEEN_ONSETS = 30
REASON_SHORT = "short"  # symptoms did not last more than 24 hours
REASON_TOO_SOON = "too_soon"  # onset less than 30 days after the previous onset
REASON_FEVER = "fever"  # fever or infection at onset (a possible pseudo-relapse)


@dataclass(frozen=True)
class RelapseCheck:
    """The outcome of the clinical-definition check; `reasons` lists the codes that failed."""

    meets_definition: bool
    reasons: tuple[str, ...]
    days_since_previous_onset: int | None

    @property
    def possible_pseudo_relapse(self) -> bool:
        return not self.meets_definition


def relapse_check(
    started_on: date,
    *,
    lasted_over_24h: bool,
    fever_or_infection: bool,
    previous_started_on: date | None,
) -> RelapseCheck:
    """Check one episode against the clinical definition of a relapse."""
    reasons: list[str] = []
    if not lasted_over_24h:
        reasons.append(REASON_SHORT)
    gap = None
    if previous_started_on is not None:
        gap = (started_on - previous_started_on).days
        if gap < RELAPSE_MIN_DAYS_BETWEEN_ONSETS:
            reasons.append(REASON_TOO_SOON)
    if fever_or_infection:
        reasons.append(REASON_FEVER)
    return RelapseCheck(not reasons, tuple(reasons), gap)


@dataclass(frozen=True)
class Episode:
    key: object
    started_on: date
    lasted_over_24h: bool
    fever_or_infection: bool


def relapse_checks(episodes: Iterable[Episode]) -> dict[object, RelapseCheck]:
    """Check a patient's episodes together: each is compared with the onset of the one before it."""
    ordered = sorted(episodes, key=lambda e: (e.started_on, str(e.key)))
    checks: dict[object, RelapseCheck] = {}
    previous: date | None = None
    for episode in ordered:
        checks[episode.key] = relapse_check(
            episode.started_on,
            lasted_over_24h=episode.lasted_over_24h,
            fever_or_infection=episode.fever_or_infection,
            previous_started_on=previous,
        )
        previous = episode.started_on
    return checks


MFIS_INTERVAL_DAYS = 28


def mfis_due(today: date, last_completed_on: date | None) -> bool:
    """The MFIS is offered every 4 weeks: due when never done or done 28 or more days ago."""
    return last_completed_on is None or (today - last_completed_on).days >= MFIS_INTERVAL_DAYS
