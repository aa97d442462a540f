"""The clinician dashboard: who needs attention and why.

Flags for every granted patient come from a fixed number of aggregate queries
and one pandas pass, whatever the number of patients (no per-patient queries).
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
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


def _day(value: date) -> str:
    return formats.date_format(value, "j M Y")


def _number(value: float, decimals: int = 1, signed: bool = False) -> str:
    """Rounded as the dashboard's columns round (the floatformat filter: halves away from zero)."""
    text = floatformat(abs(value) if signed else value, decimals)
    if not signed:
        return text
    return ("+" if value >= 0 else "−") + text


def flag_evidence(row: PatientRow) -> list[FlagEvidence]:
    """Each of the row's flags with its evidence: the dashboard and the patient page both show these,
    so a clinician reads the same window and the same numbers on both."""
    today = row.today or timezone.localdate()
    recent_start = today - timedelta(days=TREND_WINDOW_DAYS - 1)
    previous_start = today - timedelta(days=2 * TREND_WINDOW_DAYS - 1)
    previous_end = recent_start - timedelta(days=1)
    windows = {
        "recent_start": _day(recent_start),
        "end": _day(today),
        "previous_start": _day(previous_start),
        "previous_end": _day(previous_end),
    }
    items = []
    for key in row.flags:
        start = previous_start
        if key == "relapse":
            start = today - timedelta(days=RECENT_RELAPSE_DAYS)
            began, ended = row.relapse_dates or (today, None)
            if ended is None:
                text = gettext(
                    "A relapse meeting the definition began on %(began)s and is still open (the flag looks at %(start)s – %(end)s)."
                ) % {"began": _day(began), "start": _day(start), "end": _day(today)}
            else:
                text = gettext(
                    "A relapse meeting the definition began on %(began)s and ended on %(ended)s (the flag looks at %(start)s – %(end)s)."
                ) % {"began": _day(began), "ended": _day(ended), "start": _day(start), "end": _day(today)}
        elif key == "fatigue" and row.fatigue_recent is not None and row.fatigue_previous is not None:
            text = gettext(
                "Mean fatigue %(recent)s/10 over %(recent_start)s – %(end)s (%(recent_n)s ratings) against %(previous)s over "
                "%(previous_start)s – %(previous_end)s (%(previous_n)s ratings): %(change)s (flagged from +1)."
            ) % {
                **windows,
                "recent": _number(row.fatigue_recent),
                "previous": _number(row.fatigue_previous),
                "change": _number(row.fatigue_change or 0.0, signed=True),
                "recent_n": row.fatigue_counts[0],
                "previous_n": row.fatigue_counts[1],
            }
        elif key == "adherence" and row.score_recent is not None and row.score_previous is not None:
            text = gettext(
                "Mean day score %(recent)s/100 over %(recent_start)s – %(end)s (%(recent_n)s days) against %(previous)s over "
                "%(previous_start)s – %(previous_end)s (%(previous_n)s days): %(change)s (flagged from −10)."
            ) % {
                **windows,
                "recent": _number(row.score_recent, 0),
                "previous": _number(row.score_previous, 0),
                "change": _number(row.score_change or 0.0, 0, signed=True),
                "recent_n": row.score_counts[0],
                "previous_n": row.score_counts[1],
            }
        elif key == "inactive" and row.last_entry is not None and row.days_since_entry is not None:
            start = row.last_entry
            text = ngettext(
                "Last entry on %(date)s, %(days)s day ago (flagged from 7 days).",
                "Last entry on %(date)s, %(days)s days ago (flagged from 7 days).",
                row.days_since_entry,
            ) % {"date": _day(row.last_entry), "days": row.days_since_entry}
        else:
            text = gettext("Nothing logged yet.")
        items.append(FlagEvidence(key, str(FLAG_LABELS[key]), str(FLAG_SHORT[key]), text, start, today))
    return items


def window_change(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """Per patient: mean of the last 14 days, and its change from the 14 days before (with the
    mean of those and how many values each window holds).

    `frame` has columns patient_id, date, value. Windows with fewer than
    MIN_VALUES_PER_WINDOW values give no change (no flag from two data points).
    """
    columns = ["recent", "change", "previous", "recent_n", "previous_n"]
    if frame.empty:
        return pd.DataFrame(columns=columns, dtype=float)
    recent_start = today - timedelta(days=TREND_WINDOW_DAYS - 1)
    window = pd.Series("previous", index=frame.index)
    window[frame["date"] >= recent_start] = "recent"
    grouped = frame.assign(window=window).groupby(["patient_id", "window"])["value"].agg(["mean", "count"])
    means = grouped["mean"].unstack()
    counts = grouped["count"].unstack()
    for name in ("recent", "previous"):
        if name not in means:
            means[name] = float("nan")
            counts[name] = 0
    counts = counts.fillna(0)
    enough = (counts["recent"] >= MIN_VALUES_PER_WINDOW) & (counts["previous"] >= MIN_VALUES_PER_WINDOW)
    result = pd.DataFrame(
        {
            "recent": means["recent"],
            "change": (means["recent"] - means["previous"]).where(enough),
            "previous": means["previous"],
            "recent_n": counts["recent"],
            "previous_n": counts["previous"],
        }
    )
    return result


def _value_or_none(values: Mapping[Any, Mapping[Any, Any]], patient_id: int, column: str) -> float | None:
    value = values.get(patient_id, {}).get(column)
    return None if value is None or pd.isna(value) else round(float(value), 1)


def _counts(values: Mapping[Any, Mapping[Any, Any]], patient_id: int) -> tuple[int, int]:
    found = values.get(patient_id, {})
    return tuple(0 if pd.isna(found.get(name, 0)) else int(found.get(name, 0)) for name in ("recent_n", "previous_n"))  # type: ignore[return-value]


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

    fatigue = pd.DataFrame(
        list(
            FatigueRating.objects.filter(patient__in=ids, date__gte=since, date__lte=today).values_list(
                "patient_id", "date", "score"
            )
        ),
        columns=["patient_id", "date", "value"],
    )
    scores = pd.DataFrame(
        list(
            DayScore.objects.filter(patient__in=ids, date__gte=since, date__lte=today, logged=True).values_list(
                "patient_id", "date", "total"
            )
        ),
        columns=["patient_id", "date", "value"],
    )
    # Plain dicts: looking rows up in a DataFrame one cell at a time is slow for 200 patients.
    fatigue_trend = window_change(fatigue, today).to_dict("index")
    score_trend = window_change(scores, today).to_dict("index")

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


def sort_rows(rows: list[PatientRow], sort: str) -> list[PatientRow]:
    def name(row: PatientRow) -> str:
        return str(row.patient).lower()

    if sort == "name":
        return sorted(rows, key=name)
    if sort == "last_entry":
        return sorted(rows, key=lambda r: (r.last_entry or date.min, name(r)))
    if sort == "mfis":
        return sorted(rows, key=lambda r: (r.mfis_total is None, -(r.mfis_total or 0), name(r)))
    return sorted(rows, key=lambda r: (-len(r.flags), name(r)))


def filter_rows(rows: list[PatientRow], flag: str) -> list[PatientRow]:
    if flag == "any":
        return [r for r in rows if r.flags]
    if flag in FLAG_LABELS:
        return [r for r in rows if flag in r.flags]
    return rows
