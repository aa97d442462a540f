"""The instruments a patient fills in and the measures derived from them, in one place.

MFIS (questions, answers, subscales, scoring, schedule), the Bristol stool form
scale, the NOVA processing groups and what counts as a processed food, the
Consensus Sleep Diary measures and the clinical definition of a relapse.

No Django import (a test checks it): the pure scoring and charts code and the
weekly aggregation use these on frames. Texts are only marked for the
translation catalogue here; forms and pages translate them when they show them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark `message` for the translation catalogue (makemessages looks for this name) without translating it."""
    return message


# ---------------------------------------------------------------- MFIS

MFIS_ITEMS = 21
MFIS_PHYSICAL = (4, 6, 7, 10, 13, 14, 17, 20, 21)
MFIS_COGNITIVE = (1, 2, 3, 5, 11, 12, 15, 16, 18, 19)
MFIS_PSYCHOSOCIAL = (8, 9)
MFIS_5 = (1, 9, 10, 17, 19)
MFIS_QUESTIONS: tuple[str, ...] = (
    gettext_noop("I have been less alert."),
    gettext_noop("I have had difficulty paying attention for long periods of time."),
    gettext_noop("I have been unable to think clearly."),
    gettext_noop("I have been clumsy and uncoordinated."),
    gettext_noop("I have been forgetful."),
    gettext_noop("I have had to pace myself in my physical activities."),
    gettext_noop("I have been less motivated to do anything that requires physical effort."),
    gettext_noop("I have been less motivated to participate in social activities."),
    gettext_noop("I have been limited in my ability to do things away from home."),
    gettext_noop("I have had trouble maintaining physical effort for long periods."),
    gettext_noop("I have had difficulty making decisions."),
    gettext_noop("I have been less motivated to do anything that requires thinking."),
    gettext_noop("My muscles have felt weak."),
    gettext_noop("I have been physically uncomfortable."),
    gettext_noop("I have had trouble finishing tasks that require thinking."),
    gettext_noop("I have had difficulty organizing my thoughts when doing things at home or at work."),
    gettext_noop("I have been less able to complete tasks that require physical effort."),
    gettext_noop("My thinking has been slowed down."),
    gettext_noop("I have had trouble concentrating."),
    gettext_noop("I have limited my physical activities."),
    gettext_noop("I have needed to rest more often or for longer periods of time."),
)
# Answer value -> text; every item is scored 0 (never) to 4 (almost always).
MFIS_ANSWERS: dict[int, str] = {
    0: gettext_noop("Never"),
    1: gettext_noop("Rarely"),
    2: gettext_noop("Sometimes"),
    3: gettext_noop("Often"),
    4: gettext_noop("Almost always"),
}
MFIS_MAX_ANSWER = max(MFIS_ANSWERS)


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


def mfis_padded(items: Iterable[int | None]) -> list[int | None]:
    """Exactly MFIS_ITEMS answers: missing ones are None, extra ones dropped."""
    return (list(items) + [None] * MFIS_ITEMS)[:MFIS_ITEMS]


def mfis_scores(items: list[int | None]) -> MFISScores:
    """Total 0-84, physical 0-36, cognitive 0-40, psychosocial 0-8, MFIS-5 0-20; None until answered."""
    padded = mfis_padded(items)
    return MFISScores(
        total=_subscale(padded, tuple(range(1, MFIS_ITEMS + 1))),
        physical=_subscale(padded, MFIS_PHYSICAL),
        cognitive=_subscale(padded, MFIS_COGNITIVE),
        psychosocial=_subscale(padded, MFIS_PSYCHOSOCIAL),
        mfis5=_subscale(padded, MFIS_5),
        answered=sum(1 for v in padded if v is not None),
    )


MFIS_INTERVAL_DAYS = 28


# The first MFIS (the baseline) waits for a week of use: day one is for learning to log.
MFIS_FIRST_AFTER_DAYS = 7


def mfis_due(today: date, last_completed_on: date | None, joined_on: date | None = None) -> bool:
    """The MFIS is offered every 4 weeks: due when done 28 or more days ago, or never done and the
    patient joined at least a week ago."""
    if last_completed_on is None:
        return joined_on is None or (today - joined_on).days >= MFIS_FIRST_AFTER_DAYS
    return (today - last_completed_on).days >= MFIS_INTERVAL_DAYS


# ---------------------------------------------------------------- EDSS

# Kurtzke's Expanded Disability Status Scale (Neurology 1983;33:1444-52): 0 is a normal
# examination, then each of the former steps 1 to 9 is split in two (1.0, 1.5 ... 9.5), then 10.
# There is no 0.5. A clinician records it; the app never interprets it.
EDSS_SCORES: tuple[Decimal, ...] = tuple((Decimal(n) / 2).quantize(Decimal("0.1")) for n in (0, *range(2, 20), 20))
EDSS_MIN, EDSS_MAX = EDSS_SCORES[0], EDSS_SCORES[-1]


# ---------------------------------------------------------------- Bristol stool form scale

BRISTOL_TYPES: dict[int, str] = {
    1: gettext_noop("Type 1: separate hard lumps"),
    2: gettext_noop("Type 2: lumpy and sausage-like"),
    3: gettext_noop("Type 3: sausage with cracks"),
    4: gettext_noop("Type 4: smooth, soft sausage"),
    5: gettext_noop("Type 5: soft blobs with clear edges"),
    6: gettext_noop("Type 6: mushy, ragged edges"),
    7: gettext_noop("Type 7: watery, no solid pieces"),
}
BRISTOL_MIN, BRISTOL_MAX = min(BRISTOL_TYPES), max(BRISTOL_TYPES)

# ---------------------------------------------------------------- NOVA food processing groups

NOVA_GROUPS: dict[int, str] = {
    1: gettext_noop("Not processed (fresh, dried, frozen)"),
    2: gettext_noop("A cooking ingredient (oil, butter, sugar, salt)"),
    3: gettext_noop("Processed (cheese, canned food, fresh bread)"),
    4: gettext_noop("Ultra-processed (ready meals, sodas, industrial snacks)"),
}
NOVA_MIN, NOVA_MAX = min(NOVA_GROUPS), max(NOVA_GROUPS)
NOVA_ULTRA_PROCESSED = 4

# The food groups the source articles call pro-inflammatory (processed meat, cheese, butter and
# cream, animal fats such as duck fat and foie gras, sugary drinks, commercial sweets, very spicy
# food). With NOVA group 4 and added sugar they make a "processed" serving, which the guidance
# limits and the weekly charts count.
PRO_INFLAMMATORY_GROUPS = frozenset(
    {"processed_meat", "cheese", "butter_cream", "animal_fat", "sugary_drink", "sweets_pastries", "very_spicy"}
)


def is_processed(nova: Any, groups: Iterable[str] | None, added_sugar: Any) -> bool:
    """NOVA group 4, a pro-inflammatory food group, or added sugar: a food counted once whatever the reasons."""
    return (
        int(nova or NOVA_MIN) == NOVA_ULTRA_PROCESSED
        or bool(set(groups or []) & PRO_INFLAMMATORY_GROUPS)
        or bool(added_sugar)
    )


# ---------------------------------------------------------------- fermented foods

# The fermented foods that earn the guidance's fermented-foods credit: the families the source
# articles recommend by name (yogurt, kefir, kimchi, sauerkraut) and their traditional relatives
# eaten as a food rather than as a seasoning (miso, tempeh, natto, lacto-fermented vegetables).
# A food's `fermented` flag only says it is made by fermentation (cheese, soy sauce, salami,
# wine...); its `fermented_family` says which of these families it belongs to, empty for none.
FERMENTED_FAMILIES: dict[str, str] = {
    "yogurt": gettext_noop("Yogurt (dairy or plant, plain, skyr, yogurt drinks)"),
    "kefir": gettext_noop("Kefir"),
    "sauerkraut": gettext_noop("Sauerkraut (raw)"),
    "kimchi": gettext_noop("Kimchi"),
    "pickles": gettext_noop("Lacto-fermented vegetables (pickles)"),
    "miso": gettext_noop("Miso"),
    "tempeh": gettext_noop("Tempeh"),
    "natto": gettext_noop("Natto"),
}
# The least a logged fermented food must weigh to count: 30 g, the smallest reference amount of a
# fermented food eaten as a food in the US FDA's serving table (21 CFR 101.12: pickles, 30 g), and
# twice its amount for soy sauce (1 tablespoon, 15 ml). A spoon of sauce or paste is not a serving.
FERMENTED_MIN_GRAMS = 30.0


def earns_fermented_credit(family: Any, nova: Any, groups: Iterable[str] | None, added_sugar: Any) -> bool:
    """Whether a serving of this food counts toward the fermented-foods rule (before the minimum grams).

    Only a recommended family (FERMENTED_FAMILIES), and never a food the rules limit: a cheese, a
    cream, a processed meat or any food counted as processed (NOVA 4, added sugar: sweetened
    yogurts, water kefir) earns nothing here, whatever its cultures.
    """
    return bool(family) and str(family) in FERMENTED_FAMILIES and not is_processed(nova, groups, added_sugar)


# ---------------------------------------------------------------- alcohol

ETHANOL_G_PER_ML = 0.789  # density of ethanol at 20 °C
# One standard drink in France holds 10 g of pure alcohol (Santé publique France and INCa, 2017 expert
# advice behind the "2 drinks a day, not every day, 10 a week at most" benchmark).
STANDARD_DRINK_G = 10.0


def alcohol_grams(millilitres: Any, abv_percent: Any) -> float:
    """Grams of pure alcohol in a drink: volume x ABV x 0.789 g/ml (a drink's grams are taken as millilitres)."""
    return float(millilitres or 0) * float(abv_percent or 0) / 100.0 * ETHANOL_G_PER_ML


# ---------------------------------------------------------------- Consensus Sleep Diary

MINUTES_PER_DAY = 24 * 60
NOON = 12  # diary times from this hour on belong to the evening before the diary's morning


def clock_minutes(value: time) -> int:
    """Minutes relative to midnight of the diary's morning: noon or later is the evening before."""
    minutes = value.hour * 60 + value.minute
    return minutes - MINUTES_PER_DAY if value.hour >= NOON else minutes


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


# ---------------------------------------------------------------- relapses

# The clinical definition of a relapse (McDonald criteria: Thompson et al., Lancet Neurol 2018;
# 30 days between onsets: McDonald et al., Ann Neurol 2001): new or worse symptoms lasting more than
# 24 hours, without fever, infection or overheating at onset (each can bring old symptoms back for a
# while: a pseudo-relapse, Uhthoff's phenomenon for heat), starting at least 30 days after the onset
# of the last *qualifying* relapse. An episode that fails never starts a clock of its own: a 12-hour
# flare on day 10 does not make a real relapse on day 35 "too soon" after the relapse of day 0.
RELAPSE_MIN_DAYS_BETWEEN_ONSETS = 30
QUALIFYING = "qualifying"
REASON_FEVER = "fever"  # fever or infection at onset: a possible pseudo-relapse
REASON_HEAT = "heat"  # overheated at onset (hot weather, bath, sauna, effort): a possible pseudo-relapse
REASON_SHORT = "short"  # the symptoms lasted less than 24 hours: a fluctuation
REASON_DURATION_UNKNOWN = "duration_unknown"  # the 24-hour question was never answered (older rows)
REASON_WITHIN_30 = "within_30"  # began less than 30 days after the last relapse began: part of it
# The headline an episode gets when several criteria fail: the first of these (every reason is listed).
RELAPSE_REASON_ORDER = (REASON_FEVER, REASON_HEAT, REASON_SHORT, REASON_DURATION_UNKNOWN, REASON_WITHIN_30)
PSEUDO_RELAPSE_REASONS = frozenset({REASON_FEVER, REASON_HEAT})


def episode_last_day(started_on: date, ended_on: date | None, today: date) -> date:
    """The last day an episode covers: its end date, or today while it goes on (never before it began)."""
    return ended_on or max(today, started_on)


@dataclass(frozen=True)
class RelapseCheck:
    """The outcome of the clinical-definition check of one episode.

    `reasons` lists every failed criterion in RELAPSE_REASON_ORDER; `anchor` is the onset of the last
    qualifying relapse before this episode (None when there is none) and `days_since_anchor` the gap.
    """

    reasons: tuple[str, ...]
    anchor: date | None
    days_since_anchor: int | None

    @property
    def qualifying(self) -> bool:
        return not self.reasons

    @property
    def headline(self) -> str:
        """One code for the badge: QUALIFYING, or the first failed reason (pseudo-relapse first)."""
        return self.reasons[0] if self.reasons else QUALIFYING

    @property
    def possible_pseudo_relapse(self) -> bool:
        return bool(PSEUDO_RELAPSE_REASONS & set(self.reasons))


def relapse_check(
    started_on: date,
    *,
    lasted_over_24h: bool | None,
    fever_or_infection: bool,
    heat_exposure: bool = False,
    last_relapse_started_on: date | None,
) -> RelapseCheck:
    """Check one episode against the definition; `last_relapse_started_on` is the onset of the last qualifying one.

    `lasted_over_24h` None (never answered) cannot be taken as either answer: the episode does not
    qualify until the patient says, and says so in its own words.
    """
    failed = set()
    if fever_or_infection:
        failed.add(REASON_FEVER)
    if heat_exposure:
        failed.add(REASON_HEAT)
    if lasted_over_24h is None:
        failed.add(REASON_DURATION_UNKNOWN)
    elif not lasted_over_24h:
        failed.add(REASON_SHORT)
    gap = None
    if last_relapse_started_on is not None:
        gap = (started_on - last_relapse_started_on).days
        if gap < RELAPSE_MIN_DAYS_BETWEEN_ONSETS:
            failed.add(REASON_WITHIN_30)
    return RelapseCheck(tuple(r for r in RELAPSE_REASON_ORDER if r in failed), last_relapse_started_on, gap)


@dataclass(frozen=True)
class Episode:
    key: object
    started_on: date
    lasted_over_24h: bool | None
    fever_or_infection: bool
    heat_exposure: bool = False


def _tie_break(key: object) -> tuple[int, str]:
    """Episodes starting the same day go in id order (numerically: 9 before 10)."""
    return (key, "") if isinstance(key, int) else (0, str(key))


def relapse_checks(episodes: Iterable[Episode]) -> dict[object, RelapseCheck]:
    """Check a patient's episodes together, in onset order (ties by key).

    Each is compared with the onset of the last qualifying relapse before it; only a qualifying
    relapse moves that anchor.
    """
    ordered = sorted(episodes, key=lambda e: (e.started_on, *_tie_break(e.key)))
    checks: dict[object, RelapseCheck] = {}
    anchor: date | None = None
    for episode in ordered:
        check = relapse_check(
            episode.started_on,
            lasted_over_24h=episode.lasted_over_24h,
            fever_or_infection=episode.fever_or_infection,
            heat_exposure=episode.heat_exposure,
            last_relapse_started_on=anchor,
        )
        checks[episode.key] = check
        if check.qualifying:
            anchor = episode.started_on
    return checks
