"""The clinician dashboard: who needs attention and why.

`dashboard_rows` is the one definition of the flags and their numbers: for any set of patients
it takes a fixed number of aggregate queries and one pass over their last 28 days (no per-patient queries). Its
rows are stored per patient (`clinic.models.PatientFlags`, written by
`clinic.services.refresh_flags`), so the dashboard filters, sorts and pages them in SQL, 50 a
page, whatever the number of patients.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OrderBy, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clinic.models import PatientFlags
from guidance.models import DayScore
from tracker.measures import Episode, mfis_scores, relapse_checks
from tracker.models import (
    FatigueRating,
    Lifestyle,
    MealItem,
    MedicationDay,
    MFISResponse,
    Relapse,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)

RECENT_RELAPSE_DAYS = 30
OPEN_RELAPSE_DAYS = 90  # an open relapse older than this is probably just never closed
TREND_WINDOW_DAYS = 14
MIN_VALUES_PER_WINDOW = 4
FATIGUE_RISE = 1.0  # points on the 0-10 scale
SCORE_DROP = 10.0  # points on the 0-100 day score
INACTIVE_DAYS = 7

# A "taken as usual" tap is an entry too: a patient who only confirms their medicines is not inactive.
ENTRY_MODELS = (
    MealItem,
    SleepDiary,
    FatigueRating,
    SymptomLog,
    StoolEvent,
    SymptomRating,
    Lifestyle,
    MFISResponse,
    MedicationDay,
)

FLAG_LABELS = {
    "relapse": _("Relapse in the last 30 days"),
    "fatigue": _("Fatigue rising over 2 weeks"),
    "adherence": _("Day score falling over 2 weeks"),
    "inactive": _("No entries for 7 days"),
}
FLAG_SHORT = {
    "relapse": _("Relapse"),
    "fatigue": _("Fatigue rising"),
    "adherence": _("Score falling"),
    "inactive": _("No entries"),
}
# The flags in the order they are listed; each is also a boolean column of PatientFlags.
FLAG_KEYS = tuple(FLAG_LABELS)
PAGE_SIZE = 50
SORTS = {
    "attention": _("Needs attention first"),
    "name": _("Name"),
    "last_entry": _("Oldest last entry first"),
    "mfis": _("Highest MFIS first"),
}


@dataclass
class PatientRow:
    patient: User
    last_entry: date | None = None
    days_since_entry: int | None = None
    mfis_total: int | None = None
    mfis_date: date | None = None
    fatigue_recent: float | None = None
    fatigue_change: float | None = None
    score_recent: float | None = None
    score_change: float | None = None
    flags: list[str] = field(default_factory=list)
    # What the flags were computed from (see `flag_evidence`).
    today: date | None = None
    fatigue_previous: float | None = None
    fatigue_counts: tuple[int, int] = (0, 0)  # ratings in the recent and the previous window
    score_previous: float | None = None
    score_counts: tuple[int, int] = (0, 0)
    relapse_dates: tuple[date, date | None] | None = None  # the flagging relapse: began, ended (None: open)

    @property
    def flag_items(self) -> list["FlagEvidence"]:
        return flag_evidence(self)


@dataclass(frozen=True)
class FlagEvidence:
    """One flag with the window and the numbers it was raised from, worded once for every page."""

    key: str
    label: str
    short: str
    evidence: str
    window_start: date
    window_end: date


def day_label(value: date) -> str:
    return _day_in(value, get_language())


@lru_cache(maxsize=1024)
def _day_in(value: date, language: str) -> str:
    """A page of 50 rows words the same few window dates again and again: each once per language."""
    return formats.date_format(value, "j M Y")


def _number(value: float, decimals: int = 1, signed: bool = False) -> str:
    return _number_in(value, decimals, signed, get_language())


@lru_cache(maxsize=4096)
def _number_in(value: float, decimals: int, signed: bool, language: str) -> str:
    """Rounded as the dashboard's columns round (the floatformat filter: halves away from zero). A page
    words the same means again on every load: each once per language."""
    text = floatformat(abs(value) if signed else value, decimals)
    if not signed:
        return text
    return ("+" if value >= 0 else "−") + text


class _Facts(NamedTuple):
    """What a row's flag evidence is worded from."""

    flags: tuple[str, ...]
    relapse_dates: tuple[date, date | None] | None
    fatigue_recent: float | None
    fatigue_previous: float | None
    fatigue_change: float | None
    fatigue_counts: tuple[int, int]
    score_recent: float | None
    score_previous: float | None
    score_change: float | None
    score_counts: tuple[int, int]
    last_entry: date | None
    days_since_entry: int | None


def flag_evidence(row: PatientRow) -> list[FlagEvidence]:
    """Each of the row's flags with its evidence: the dashboard and the patient page both show these,
    so a clinician reads the same window and the same numbers on both."""
    facts = _Facts(
        tuple(row.flags),
        row.relapse_dates,
        row.fatigue_recent,
        row.fatigue_previous,
        row.fatigue_change,
        row.fatigue_counts,
        row.score_recent,
        row.score_previous,
        row.score_change,
        row.score_counts,
        row.last_entry,
        row.days_since_entry,
    )
    return list(_worded_evidence(facts, row.today or timezone.localdate(), get_language()))


@lru_cache(maxsize=4096)
def _worded_evidence(facts: _Facts, today: date, language: str | None) -> tuple[FlagEvidence, ...]:
    """A row's flags with their evidence, worded once per language and day: a clinician's page of 50
    words the same rows again at each visit."""
    recent_start = today - timedelta(days=TREND_WINDOW_DAYS - 1)
    previous_start = today - timedelta(days=2 * TREND_WINDOW_DAYS - 1)
    previous_end = recent_start - timedelta(days=1)
    windows = {
        "recent_start": day_label(recent_start),
        "end": day_label(today),
        "previous_start": day_label(previous_start),
        "previous_end": day_label(previous_end),
    }
    items = []
    for key in facts.flags:
        start = previous_start
        if key == "relapse":
            start = today - timedelta(days=RECENT_RELAPSE_DAYS)
            began, ended = facts.relapse_dates or (today, None)
            if ended is None:
                text = gettext(
                    "A relapse meeting the definition began on %(began)s and is still open (the flag looks at %(start)s – %(end)s)."
                ) % {"began": day_label(began), "start": day_label(start), "end": day_label(today)}
            else:
                text = gettext(
                    "A relapse meeting the definition began on %(began)s and ended on %(ended)s (the flag looks at %(start)s – %(end)s)."
                ) % {
                    "began": day_label(began),
                    "ended": day_label(ended),
                    "start": day_label(start),
                    "end": day_label(today),
                }
        elif key == "fatigue" and facts.fatigue_recent is not None and facts.fatigue_previous is not None:
            text = gettext(
                "Mean fatigue %(recent)s/10 over %(recent_start)s – %(end)s (%(recent_n)s ratings) against %(previous)s over "
                "%(previous_start)s – %(previous_end)s (%(previous_n)s ratings): %(change)s (flagged from +1)."
            ) % {
                **windows,
                "recent": _number(facts.fatigue_recent),
                "previous": _number(facts.fatigue_previous),
                "change": _number(facts.fatigue_change or 0.0, signed=True),
                "recent_n": facts.fatigue_counts[0],
                "previous_n": facts.fatigue_counts[1],
            }
        elif key == "adherence" and facts.score_recent is not None and facts.score_previous is not None:
            text = gettext(
                "Mean day score %(recent)s/100 over %(recent_start)s – %(end)s (%(recent_n)s days) against %(previous)s over "
                "%(previous_start)s – %(previous_end)s (%(previous_n)s days): %(change)s (flagged from −10)."
            ) % {
                **windows,
                "recent": _number(facts.score_recent, 0),
                "previous": _number(facts.score_previous, 0),
                "change": _number(facts.score_change or 0.0, 0, signed=True),
                "recent_n": facts.score_counts[0],
                "previous_n": facts.score_counts[1],
            }
        elif key == "inactive" and facts.last_entry is not None and facts.days_since_entry is not None:
            start = facts.last_entry
            text = ngettext(
                "Last entry on %(date)s, %(days)s day ago (flagged from 7 days).",
                "Last entry on %(date)s, %(days)s days ago (flagged from 7 days).",
                facts.days_since_entry,
            ) % {"date": day_label(facts.last_entry), "days": facts.days_since_entry}
        else:
            text = gettext("Nothing logged yet.")
        items.append(FlagEvidence(key, str(FLAG_LABELS[key]), str(FLAG_SHORT[key]), text, start, today))
    return tuple(items)


def window_change(values: Iterable[tuple[int, date, float]], today: date) -> dict[int, dict[str, float | None]]:
    """Per patient: mean of the last 14 days ("recent"), and its change from the 14 days before
    (with the mean of those, "previous", and how many values each window holds).

    `values` are (patient_id, date, value) rows of the last 28 days. Windows with fewer than
    MIN_VALUES_PER_WINDOW values give no change (no flag from two data points). Plain Python: for
    the handful of rows of one patient (the worker's refresh after a save) pandas' fixed cost was
    most of the time, and for thousands of patients this is as quick.
    """
    recent_start = today - timedelta(days=TREND_WINDOW_DAYS - 1)
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])  # recent sum, count, previous sum, count
    for patient_id, day, value in values:
        if value is None:
            continue
        acc = sums[patient_id]
        offset = 0 if day >= recent_start else 2
        acc[offset] += float(value)
        acc[offset + 1] += 1
    result: dict[int, dict[str, float | None]] = {}
    for patient_id, (recent_sum, recent_n, previous_sum, previous_n) in sums.items():
        recent = recent_sum / recent_n if recent_n else None
        previous = previous_sum / previous_n if previous_n else None
        enough = recent_n >= MIN_VALUES_PER_WINDOW and previous_n >= MIN_VALUES_PER_WINDOW
        change = recent_sum / recent_n - previous_sum / previous_n if enough else None
        result[patient_id] = {
            "recent": recent,
            "change": change,
            "previous": previous,
            "recent_n": recent_n,
            "previous_n": previous_n,
        }
    return result


def _value_or_none(values: Mapping[Any, Mapping[Any, Any]], patient_id: int, column: str) -> float | None:
    value = values.get(patient_id, {}).get(column)
    return None if value is None or math.isnan(value) else round(float(value), 1)


def _counts(values: Mapping[Any, Mapping[Any, Any]], patient_id: int) -> tuple[int, int]:
    found = values.get(patient_id, {})
    return int(found.get("recent_n") or 0), int(found.get("previous_n") or 0)


def _recent(started_on: date, ended_on: date | None, today: date) -> bool:
    """Started, ended or still open in the last 30 days (an open one older than 90 days was never closed)."""
    if started_on > today or (ended_on is not None and ended_on < today - timedelta(days=RECENT_RELAPSE_DAYS)):
        return False
    return ended_on is not None or started_on >= today - timedelta(days=OPEN_RELAPSE_DAYS)


def recent_relapse_patients(patients: QuerySet[User] | Any, today: date) -> dict[int, tuple[date, date | None]]:
    """The patients with a *qualifying* relapse in the last 30 days (fluctuations and pseudo-relapses do not flag),
    each with the latest such relapse's first and last day (None: still open).

    One query: the whole history of the patients with any recent episode, since each episode is
    measured from the last qualifying relapse before it.
    """
    candidates = (
        Relapse.objects.filter(patient__in=patients)
        .overlapping(today - timedelta(days=RECENT_RELAPSE_DAYS), today)
        .values("patient_id")
    )
    history: dict[int, list[tuple[Episode, date | None]]] = defaultdict(list)
    for pk, patient_id, started, ended, over_24h, fever, heat in (
        Relapse.objects.filter(patient__in=candidates, started_on__lte=today)
        .order_by()
        .values_list(
            "pk", "patient_id", "started_on", "ended_on", "lasted_over_24h", "fever_or_infection", "heat_exposure"
        )
    ):
        history[patient_id].append((Episode(pk, started, over_24h, fever, heat), ended))
    flagged: dict[int, tuple[date, date | None]] = {}
    for patient_id, episodes in history.items():
        checks = relapse_checks(episode for episode, _ended in episodes)
        recent = [
            (e.started_on, ended)
            for e, ended in episodes
            if checks[e.key].qualifying and _recent(e.started_on, ended, today)
        ]
        if recent:
            flagged[patient_id] = max(recent, key=lambda dates: dates[0])
    return flagged


def dashboard_rows(patients: QuerySet[User], today: date) -> list[PatientRow]:
    """One row per patient in `patients` (already limited by `visible_to`)."""
    latest_mfis = MFISResponse.objects.filter(patient=OuterRef("pk"), completed=True).order_by("-date")
    # The latest date of each kind of entry, one index lookup per patient and table
    # ((patient, date) is indexed everywhere): a MAX() grouped over the whole history
    # would read every row a patient ever logged.
    latest_entries = {
        f"last_{index}": Subquery(
            model.objects.filter(patient=OuterRef("pk")).order_by("-date").values("date")[:1]  # type: ignore[attr-defined]
        )
        for index, model in enumerate(ENTRY_MODELS)
    }
    people = list(
        patients.annotate(
            mfis_items=Subquery(latest_mfis.values("items")[:1]),
            mfis_on=Subquery(latest_mfis.values("date")[:1]),
            **latest_entries,
        ).order_by("display_name", "email")
    )
    if not people:
        return []
    ids = patients.values("pk")
    since = today - timedelta(days=2 * TREND_WINDOW_DAYS - 1)

    recent_relapse = recent_relapse_patients(ids, today)

    last_entries: dict[int, date] = {}
    for person in people:
        dates = [getattr(person, name) for name in latest_entries]
        known = [d for d in dates if d is not None]
        if known:
            last_entries[person.pk] = max(known)

    fatigue_trend = window_change(
        FatigueRating.objects.filter(patient__in=ids, date__gte=since, date__lte=today).values_list(
            "patient_id", "date", "score"
        ),
        today,
    )
    score_trend = window_change(
        DayScore.objects.filter(patient__in=ids, date__gte=since, date__lte=today, logged=True).values_list(
            "patient_id", "date", "total"
        ),
        today,
    )

    rows = []
    for person in people:
        row = PatientRow(patient=person, today=today)
        row.last_entry = last_entries.get(person.pk)
        row.days_since_entry = (today - row.last_entry).days if row.last_entry else None
        items = getattr(person, "mfis_items", None)
        if items:
            row.mfis_total = mfis_scores(items).total
            row.mfis_date = getattr(person, "mfis_on", None)
        row.fatigue_recent = _value_or_none(fatigue_trend, person.pk, "recent")
        row.fatigue_change = _value_or_none(fatigue_trend, person.pk, "change")
        row.score_recent = _value_or_none(score_trend, person.pk, "recent")
        row.score_change = _value_or_none(score_trend, person.pk, "change")
        row.fatigue_previous = _value_or_none(fatigue_trend, person.pk, "previous")
        row.score_previous = _value_or_none(score_trend, person.pk, "previous")
        row.fatigue_counts = _counts(fatigue_trend, person.pk)
        row.score_counts = _counts(score_trend, person.pk)
        row.relapse_dates = recent_relapse.get(person.pk)
        if person.pk in recent_relapse:
            row.flags.append("relapse")
        if row.fatigue_change is not None and row.fatigue_change >= FATIGUE_RISE:
            row.flags.append("fatigue")
        if row.score_change is not None and row.score_change <= -SCORE_DROP:
            row.flags.append("adherence")
        if row.days_since_entry is None or row.days_since_entry >= INACTIVE_DAYS:
            row.flags.append("inactive")
        rows.append(row)
    return rows


def stored_fields(row: PatientRow) -> dict[str, Any]:
    """The PatientFlags columns of a computed row."""
    return {
        "last_entry": row.last_entry,
        "mfis_total": row.mfis_total,
        "mfis_date": row.mfis_date,
        "fatigue_recent": row.fatigue_recent,
        "fatigue_change": row.fatigue_change,
        "score_recent": row.score_recent,
        "score_change": row.score_change,
        "fatigue_previous": row.fatigue_previous,
        "fatigue_recent_n": row.fatigue_counts[0],
        "fatigue_previous_n": row.fatigue_counts[1],
        "score_previous": row.score_previous,
        "score_recent_n": row.score_counts[0],
        "score_previous_n": row.score_counts[1],
        "relapse_began": row.relapse_dates[0] if row.relapse_dates else None,
        "relapse_ended": row.relapse_dates[1] if row.relapse_dates else None,
        "flag_count": len(row.flags),
        **{key: key in row.flags for key in FLAG_KEYS},
    }


def stored_row(person: User, stored: PatientFlags | None, today: date) -> PatientRow:
    """The dashboard row of `person` from their stored flags (computed for `today`)."""
    if stored is None:
        return PatientRow(patient=person, today=today)
    last = stored.last_entry
    return PatientRow(
        patient=person,
        today=today,
        last_entry=last,
        days_since_entry=(today - last).days if last else None,
        mfis_total=stored.mfis_total,
        mfis_date=stored.mfis_date,
        fatigue_recent=stored.fatigue_recent,
        fatigue_change=stored.fatigue_change,
        score_recent=stored.score_recent,
        score_change=stored.score_change,
        flags=[key for key in FLAG_KEYS if getattr(stored, key)],
        fatigue_previous=stored.fatigue_previous,
        fatigue_counts=(stored.fatigue_recent_n, stored.fatigue_previous_n),
        score_previous=stored.score_previous,
        score_counts=(stored.score_recent_n, stored.score_previous_n),
        relapse_dates=(stored.relapse_began, stored.relapse_ended) if stored.relapse_began else None,
    )


def patient_row(patient: User, today: date) -> PatientRow:
    """One patient's dashboard row: the stored one when computed for `today`, else computed now
    (the same numbers either way; `dashboard_rows` defines them)."""
    return patient_row_from(patient, PatientFlags.objects.filter(patient=patient, computed_for=today).first(), today)


def patient_row_from(patient: User, stored: PatientFlags | None, today: date) -> PatientRow:
    """`patient_row` from the patient's stored flags as read (None: none stored)."""
    if stored is not None and stored.computed_for == today:
        return stored_row(patient, stored, today)
    return dashboard_rows(User.objects.filter(pk=patient.pk), today)[0]


def count_and_stale(patients: QuerySet[User], today: date) -> tuple[int, list[int]]:
    """How many `patients` there are, and those whose stored flags are missing or were computed for
    another day. One query when none is stale, as the worker keeps them; a second lists the stale."""
    current = Q(dashboard_flags__computed_for=today)
    counts = patients.aggregate(total=Count("pk"), stale=Count("pk", filter=~current))
    if not counts["stale"]:
        return counts["total"], []
    return counts["total"], list(patients.exclude(current).order_by("pk").values_list("pk", flat=True))


def _name() -> Lower:
    return Lower(Coalesce(NullIf("display_name", Value("")), "email"))


def _ordering(sort: str) -> list[OrderBy | Lower | str]:
    flags = "dashboard_flags__"
    first: list[OrderBy] = {
        "name": [],
        "last_entry": [F(f"{flags}last_entry").asc(nulls_first=True)],
        "mfis": [F(f"{flags}mfis_total").desc(nulls_last=True)],
    }.get(sort, [F(f"{flags}flag_count").desc(nulls_last=True)])
    # The id last: a stable order, so no patient shows on two pages or on none.
    return [*first, _name(), "pk"]


# What a row shows, read as plain values: the patient's id and names, then their stored flags.
_PERSON_FIELDS = ("id", "display_name", "email")
_STORED_FIELDS = tuple(
    f
    for f in PatientFlags._meta.concrete_fields
    # (when they were computed is not shown: a refresh that changed nothing keeps the same values)
    if f.name not in {"computed_at", "flag_count"}
)
ROW_FIELDS = (*_PERSON_FIELDS, *(f"dashboard_flags__{f.name}" for f in _STORED_FIELDS))


def rows_from(values: Iterable[tuple[Any, ...]], today: date) -> list[PatientRow]:
    """The dashboard rows of a page read as `ROW_FIELDS` values."""
    rows = []
    size = len(_PERSON_FIELDS)
    for row in values:
        person = User(**dict(zip(_PERSON_FIELDS, row[:size], strict=True)))
        stored = dict(zip((f.attname for f in _STORED_FIELDS), row[size:], strict=True))
        flags = PatientFlags(**stored) if stored["patient_id"] is not None else None
        rows.append(stored_row(person, flags, today))
    return rows


def dashboard_page(
    patients: QuerySet[User], *, flag: str, sort: str, number: Any, count: int | None = None
) -> Page[tuple[Any, ...]]:
    """One page (PAGE_SIZE rows) of `patients`, filtered by `flag` and sorted by `sort` in SQL, as
    `ROW_FIELDS` values from the stored flags (refresh the stale ones first: `count_and_stale`;
    `rows_from` makes them rows). `number` is the page asked for, as it came; a wrong one gives the
    first page, one past the end the last. `count`: how many `patients` there are, when the caller
    counted them already (one query less)."""
    chosen = patients
    if flag == "any":
        chosen = chosen.filter(dashboard_flags__flag_count__gt=0)
    elif flag in FLAG_KEYS:
        chosen = chosen.filter(**{f"dashboard_flags__{flag}": True})
    paginator = Paginator(chosen.order_by(*_ordering(sort)).values_list(*ROW_FIELDS), PAGE_SIZE)
    if count is not None and not flag:
        paginator.count = count  # a cached_property: set, it is not counted again
    page = paginator.get_page(number)
    page.object_list = list(page.object_list)
    return page
