"""Pure derived measures (no Django import): sleep diary and MFIS scoring."""

from dataclasses import dataclass
from datetime import time

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
