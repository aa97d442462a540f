"""Every read of the clinic app: what the patient review page and the printable report show (a fixed
set of queries per page), the patient's own rows for exports and erasure, invitations and invite codes.

The writes are in `clinic.services`; who may read a patient is `clinic.access`.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Sum, TextField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Profile, Role, User
from clinic.models import (
    AccessGrant,
    ClinicianNote,
    EDSSScore,
    Invitation,
    InviteCode,
    PatientFlags,
    RelapseReview,
    normalise_code,
)
from guidance.models import DayScore
from guidance.rules import MEDAS_ITEM_TEXTS
from tracker.measures import MFISScores, is_processed, mfis_scores
from tracker.models import (
    FatigueRating,
    Food,
    Lifestyle,
    MealItem,
    MealType,
    Medication,
    MFISResponse,
    Relapse,
    SavedMealItem,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
    in_french,
)
from tracker.selectors import (
    STAND_IN_DAY,
    STAND_IN_PATIENT,
    CheckedEpisode,
    PreparedRead,
    PreparedSQL,
    RelapseLabel,
    as_date,
    checked_episodes,
    episode_history,
    episodes_among,
    today_in,
)
from tracker.templatetags.tracker_tags import worded_portion


@dataclass(frozen=True, slots=True)
class EatenFood:
    """A meal item as the day table and the report read it: its amount and its food's names and
    facts. Plain values, not model instances: a page of days lists some 170 items, and an item and
    its food built as models were most of reading them."""

    pk: int
    food_id: int
    date: date
    meal: str
    grams: float
    unit: str
    quantity: Decimal | None
    name_en: str
    name_fr: str
    measure_en: str
    measure_fr: str
    default_portion_g: float
    nova_group: int
    groups: list[str]
    added_sugar: bool

    def name(self, french: bool) -> str:
        """The food's name in French when asked and known, else in English (as `Food.display_name`)."""
        return self.name_fr if french and self.name_fr else self.name_en

    def portion(self, language: str | None) -> str:
        """ "2 slices · 80 g", as the `portion` filter words a meal item."""
        measures = (self.measure_en, self.measure_fr)
        return worded_portion(
            self.unit, self.quantity, self.grams, self.name_en, self.default_portion_g, measures, language
        )

    @property
    def processed(self) -> bool:
        return is_processed(self.nova_group, self.groups, self.added_sugar)


@dataclass
class DayRow:
    date: date
    fatigue: int | None = None
    sleep_minutes: int | None = None
    sleep_efficiency: float | None = None
    sleep_quality: int | None = None
    mood: int | None = None
    stress: int | None = None
    note: str = ""
    stools: list[int] = field(default_factory=list)
    symptoms: list[tuple[str, int]] = field(default_factory=list)
    meal_items: int = 0
    foods: list[EatenFood] = field(default_factory=list)  # in meal order
    fiber_g: float | None = None
    activity_minutes: int | None = None
    alcohol_units: float | None = None
    tobacco: bool | None = None
    score: float | None = None

    @property
    def sleep_hours(self) -> str:
        if self.sleep_minutes is None:
            return ""
        return f"{self.sleep_minutes // 60} h {self.sleep_minutes % 60:02d}"

    @property
    def meals(self) -> list[tuple[str, list[EatenFood]]]:
        """(meal name, its foods) in the order of the day."""
        grouped: dict[str, list[EatenFood]] = {}
        for item in self.foods:
            grouped.setdefault(item.meal, []).append(item)
        names = dict(MealType.choices)
        return [(str(names.get(meal, meal)), items) for meal, items in grouped.items()]


def fiber_by_day(patient: User, start: date, end: date) -> dict[date, float]:
    """Grams of fiber per day from the meal items and the catalog values (one query)."""
    rows = (
        MealItem.objects.filter(patient=patient, date__range=(start, end))
        .values("date")
        .annotate(fiber=Sum(Cast(F("grams"), FloatField()) * F("food__fiber_g_per_100g") / 100.0))
        .order_by("date")
    )
    return {row["date"]: round(row["fiber"] or 0.0, 1) for row in rows}


def _range_union(patient: User, start: date, end: date) -> QuerySet[Any]:
    """One row per entry of the range, for `day_rows`: (kind, date, a, b, c, text), ordered by kind,
    date, text and c (a symptom's name; a bowel movement's time of entry, as text, then its id)."""
    # Typed NULLs: PostgreSQL types a union's columns from its first parts.
    number = Cast(Value(None), FloatField())
    text = Cast(Value(None), TextField())
    in_range = {"patient": patient, "date__range": (start, end)}

    def part(queryset: QuerySet[Any], kind: str, **values: Any) -> QuerySet[Any]:
        columns = {"r_a": number, "r_b": number, "r_c": number, "r_t": text} | values
        annotated: QuerySet[Any] = queryset.order_by().annotate(r_kind=Value(kind), **columns)
        return annotated.values_list("r_kind", "date", "r_a", "r_b", "r_c", "r_t")

    def as_number(name: str) -> Cast:
        return Cast(name, FloatField())

    parts = [
        part(FatigueRating.objects.filter(**in_range), "fatigue", r_a=as_number("score")),
        part(
            SleepDiary.objects.filter(**in_range),
            "sleep",
            r_a=as_number("total_sleep_minutes"),
            r_b=as_number("efficiency"),
            r_c=as_number("quality"),
        ),
        part(
            SymptomLog.objects.filter(**in_range),
            "symptoms",
            r_a=as_number("mood"),
            r_b=as_number("stress"),
            r_t=Cast("note", TextField()),
        ),
        part(
            StoolEvent.objects.filter(**in_range),
            "stool",
            r_a=as_number("bristol_type"),
            r_c=as_number("id"),
            r_t=Cast("created_at", TextField()),
        ),
        part(
            SymptomRating.objects.filter(**in_range),
            "rating",
            r_a=as_number("score"),
            r_t=Cast("symptom__name", TextField()),
        ),
        # Each day's item count and fiber (the same sum as `fiber_by_day`).
        part(
            MealItem.objects.filter(**in_range).values("date"),
            "meals",
            r_a=Cast(Count("id"), FloatField()),
            r_b=Sum(Cast(F("grams"), FloatField()) * F("food__fiber_g_per_100g") / 100.0),
        ),
        part(
            Lifestyle.objects.filter(**in_range),
            "lifestyle",
            r_a=as_number("activity_minutes"),
            r_b=as_number("alcohol_units"),
            r_c=Case(When(tobacco=True, then=Value(1.0)), default=Value(0.0), output_field=FloatField()),
        ),
        part(DayScore.objects.filter(**in_range, logged=True), "score", r_a=F("total")),
    ]
    union: QuerySet[Any] = parts[0].union(*parts[1:], all=True).order_by("r_kind", "date", "r_t", "r_c")
    return union


@lru_cache(maxsize=64)
def _prepared_range(vendor: str, days: int) -> PreparedSQL:
    """`_range_union` for ranges of `days` days, compiled once (for stand-ins: any patient and start)."""
    stand_in = _range_union(User(pk=STAND_IN_PATIENT), STAND_IN_DAY, STAND_IN_DAY + timedelta(days=days))
    return PreparedSQL.of(*stand_in.query.sql_with_params())


def day_rows(patient: User, start: date, end: date, *, foods: bool = True) -> list[DayRow]:
    """One row per logged day in [start, end], newest first: one query (compiled once per length of
    range), whatever the range.

    Without `foods`, each row has its item count and fiber (from one aggregate query) but not the
    foods themselves: enough for the summary and for paging; `add_foods` reads a page's foods.
    """
    prepared = _prepared_range(connection.vendor, (end - start).days)
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, prepared.params(patient.pk, start))
        found = cursor.fetchall()
    if found and not isinstance(found[0][1], date):  # SQLite sends dates as ISO text
        found = [(kind, as_date(day), a, b, c, text) for kind, day, a, b, c, text in found]
    days: dict[date, DayRow] = {}
    scores: list[tuple[date, float]] = []
    # (a year is some 2,300 rows: no function call per value where an expression does)
    for kind, value, a, b, c, text in found:
        if kind == "score":  # (a score alone does not make a day logged)
            scores.append((value, a))
            continue
        row = days.get(value)
        if row is None:
            row = days[value] = DayRow(date=value)
        if kind == "fatigue":
            row.fatigue = None if a is None else round(a)
        elif kind == "sleep":
            row.sleep_minutes = None if a is None else round(a)
            row.sleep_efficiency, row.sleep_quality = b, None if c is None else round(c)
        elif kind == "symptoms":
            row.mood, row.stress = None if a is None else round(a), None if b is None else round(b)
            row.note = text or ""
        elif kind == "stool":
            row.stools.append(round(a))
        elif kind == "rating":
            row.symptoms.append((text, round(a)))
        elif kind == "meals":
            row.meal_items, row.fiber_g = round(a), round(b or 0.0, 1)
        elif kind == "lifestyle":
            row.activity_minutes = None if a is None else round(a)
            row.alcohol_units, row.tobacco = b, bool(c)
    for value, total in scores:
        if value in days:
            days[value].score = round(total)
    rows = sorted(days.values(), key=lambda r: r.date, reverse=True)
    if foods:
        add_foods(patient, rows)
    return rows


# What a page shows of each food eaten (`EatenFood`), and the food's fiber (the day's total).
FOOD_SHOWN = (
    "name_en",
    "name_fr",
    "household_measure_en",
    "household_measure_fr",
    "default_portion_g",
    "nova_group",
    "groups",
    "added_sugar",
    "fiber_g_per_100g",
)
# The columns of `EatenFood`, in its order.
EATEN_FOOD_COLUMNS = (
    "id",
    "food_id",
    "date",
    "meal",
    "grams",
    "unit",
    "quantity",
    "food__name_en",
    "food__name_fr",
    "food__household_measure_en",
    "food__household_measure_fr",
    "food__default_portion_g",
    "food__nova_group",
    "food__groups",
    "food__added_sugar",
)


def _eaten_foods(patient_id: int, start: date, end: date) -> QuerySet[Any]:
    """The `EATEN_FOOD_COLUMNS` of the patient's meal items in [start, end], in the order logged."""
    return (
        MealItem.objects.filter(patient_id=patient_id, date__range=(start, end))
        .order_by("date", "created_at", "id")
        .values_list(*EATEN_FOOD_COLUMNS)
    )


def add_foods(patient: User, rows: list[DayRow]) -> list[DayRow]:
    """Fill in the foods of `rows` (logged days, newest first, with no day between them left out),
    listed per day in meal order: one query, none for no rows."""
    by_date = {row.date: row for row in rows}
    if not by_date:
        return rows
    meal_order = {value: index for index, value in enumerate(MealType.values)}
    items = [EatenFood(*values) for values in _eaten_foods(patient.pk, min(by_date), max(by_date))]
    for item in sorted(items, key=lambda i: (i.date, meal_order.get(i.meal, len(meal_order)))):
        if item.date in by_date:
            by_date[item.date].foods.append(item)
    return rows


DAYS_PER_PAGE = 14  # the review page's day table: the newest two weeks, then two weeks at a time


@dataclass(frozen=True)
class DaysPage:
    """One page of a range's logged days (newest first) for the review page's day table."""

    rows: list[DayRow]  # this page's days, with their foods
    number: int  # 1 = the newest days
    first: int  # the position (1-based, newest first) of the page's first and last day
    last: int
    total: int  # days logged in the range

    @property
    def has_next(self) -> bool:
        return self.last < self.total

    @property
    def remaining(self) -> int:
        """Days logged before this page's last one."""
        return self.total - self.last

    @property
    def next_size(self) -> int:
        return min(DAYS_PER_PAGE, self.remaining)

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(raw: str | None, total: int) -> int:
    """The page asked for, as a number from 1 to the last page: anything unreadable is the first,
    anything past the end the last."""
    try:
        number = int(raw or 1)
    except ValueError:
        number = 1
    last = max(math.ceil(total / DAYS_PER_PAGE), 1)
    return min(max(number, 1), last)


def days_page(patient: User, rows: list[DayRow], raw_number: str | None) -> DaysPage:
    """The page `raw_number` of `rows` (from `day_rows(..., foods=False)`), its foods read (one query)."""
    number = page_number(raw_number, len(rows))
    offset = (number - 1) * DAYS_PER_PAGE
    shown = add_foods(patient, rows[offset : offset + DAYS_PER_PAGE])
    return DaysPage(rows=shown, number=number, first=offset + 1, last=offset + len(shown), total=len(rows))


@dataclass
class RelapseItem:
    relapse: Relapse
    label: RelapseLabel
    reviews: list[RelapseReview]
    my_review: RelapseReview | None

    @property
    def qualifying(self) -> bool:
        return self.label.qualifying


def relapse_items(patient: User, start: date, end: date, viewer: User | None) -> list[RelapseItem]:
    """Episodes overlapping [start, end], newest first, checked and worded as the patient reads them."""
    episodes = checked_episodes(patient, start, end)
    shown = [episode.relapse.pk for episode in episodes]
    return _relapse_items(
        episodes, RelapseReview.objects.filter(relapse__in=shown).order_by("-updated_at", "-pk"), viewer
    )


def _relapse_items(
    episodes: list[CheckedEpisode], all_reviews: Iterable[RelapseReview], viewer: User | None
) -> list[RelapseItem]:
    """The episodes with their clinicians' readings (newest first) and the viewer's own."""
    reviews: dict[int, list[RelapseReview]] = defaultdict(list)
    for review in all_reviews:
        reviews[review.relapse_id].append(review)
    items = []
    for episode in episodes:
        pk = episode.relapse.pk
        mine = next((rv for rv in reviews[pk] if viewer is not None and rv.reviewer_id == viewer.pk), None)
        items.append(RelapseItem(episode.relapse, episode.label, reviews[pk], mine))
    return items


def qualifying_count(items: Iterable[RelapseItem]) -> int:
    """How many of the episodes are relapses by the definition (fluctuations and pseudo-relapses are not)."""
    return sum(1 for item in items if item.qualifying)


@dataclass(frozen=True)
class MFISRow(MFISScores):
    """The scores of one MFIS response, with its date and whether it was finished."""

    date: date
    completed: bool


def mfis_history(patient: User, start: date | None = None, end: date | None = None) -> list[MFISRow]:
    responses: QuerySet[MFISResponse] = MFISResponse.objects.filter(patient=patient)
    if start is not None and end is not None:
        responses = responses.filter(date__range=(start, end))
    return _mfis_rows(responses.order_by("-date"))


def _mfis_rows(responses: Iterable[MFISResponse]) -> list[MFISRow]:
    return [
        MFISRow(**vars(mfis_scores(response.items)), date=response.date, completed=response.completed)
        for response in responses
    ]


@dataclass(frozen=True)
class MedicationSummary:
    """A medication on the patient's list with its "taken as usual" answers over a period."""

    medication: Medication
    days_current: int  # days of the period (up to today) it was on the list
    days_answered: int
    days_as_usual: int

    @property
    def days_not_as_usual(self) -> int:
        return self.days_answered - self.days_as_usual


def medications_for_report(patient: User, start: date, end: date) -> list[MedicationSummary]:
    """The medications on the list at any time in [start, end], current disease-modifying therapies
    first, with the daily answers counted over the period (two queries whatever the history).
    """
    return _medication_summaries(_medications_query(patient, start, end), start, end)


def _medications_query(patient: User, start: date, end: date) -> QuerySet[Medication]:
    overlapping = (Q(started_on__isnull=True) | Q(started_on__lte=end)) & (
        Q(stopped_on__isnull=True) | Q(stopped_on__gte=start)
    )
    in_period = Q(days__date__range=(start, end))
    # (ordered explicitly: Django leaves a model's default ordering out of a query that groups rows)
    return (
        Medication.objects.filter(overlapping, patient=patient)
        .annotate(
            answered=Count("days", filter=in_period), as_usual=Count("days", filter=in_period & Q(days__taken=True))
        )
        .order_by(*Medication._meta.ordering or ())
    )


def _medication_summaries(medications: Iterable[Medication], start: date, end: date) -> list[MedicationSummary]:
    last = min(end, timezone.localdate())
    summaries = []
    for medication in medications:
        first_day = max(start, medication.started_on or start)
        last_day = min(last, medication.stopped_on or last)
        summaries.append(
            MedicationSummary(
                medication=medication,
                days_current=max((last_day - first_day).days + 1, 0),
                days_answered=medication.answered,  # type: ignore[attr-defined]  # annotated
                days_as_usual=medication.as_usual,  # type: ignore[attr-defined]
            )
        )
    return summaries


def edss_history(patient: User, end: date | None = None, limit: int | None = None) -> list[EDSSScore]:
    """The patient's EDSS scores examined up to `end` (all when None), newest first, at most `limit`."""
    scores = EDSSScore.objects.filter(patient=patient)
    if end is not None:
        scores = scores.filter(assessed_on__lte=end)
    ordered = scores.order_by("-assessed_on", "-id")
    return list(ordered[:limit] if limit is not None else ordered)


def notes_for(patient: User) -> QuerySet[ClinicianNote]:
    return ClinicianNote.objects.filter(patient=patient).order_by("-created_at", "-id")


@dataclass(frozen=True)
class ReviewRead:
    """What the review page shows beside its days and charts, read in one query."""

    relapses: list[RelapseItem]
    medications: list[MedicationSummary]
    edss: list[EDSSScore]
    mfis: list[MFISRow]
    notes: list[ClinicianNote]
    flags: PatientFlags | None  # the patient's stored dashboard row, for whichever day it was computed
    today: date  # in the patient's time zone
    key: tuple[str, ...] | None = None  # the rows as sent and the digests of the days and foods (PostgreSQL)


def _review_parts(patient: User, start: date, end: date) -> dict[str, QuerySet[Any]]:
    history = episode_history(patient, end)
    return {
        "profile": Profile.objects.filter(user=patient),
        "flags": PatientFlags.objects.filter(patient=patient),
        "history": history,
        # The readings of every episode read (those before the range are left out below).
        "reviews": RelapseReview.objects.filter(relapse__in=history.values("pk")).order_by("-updated_at", "-pk"),
        "medications": _medications_query(patient, start, end),
        "edss": EDSSScore.objects.filter(patient=patient).order_by("-assessed_on", "-id"),
        "mfis": MFISResponse.objects.filter(patient=patient).order_by("-date"),
        "notes": notes_for(patient),
    }


@lru_cache(maxsize=64)
def _prepared_review(vendor: str, days: int) -> PreparedRead:
    """`_review_parts` for ranges of `days` days, compiled once (for stand-ins: any patient and start).
    On PostgreSQL an MD5 of each table the range's days and their foods are drawn from follows the
    parts (`_days_sources`), for a kept page's key."""
    start, end = STAND_IN_DAY, STAND_IN_DAY + timedelta(days=days)
    prepared = PreparedRead.of(_review_parts(User(pk=STAND_IN_PATIENT), start, end))
    if vendor != "postgresql":
        return prepared
    columns = [prepared.query.sql]
    params = [*prepared.query.params(STAND_IN_PATIENT, STAND_IN_DAY)]
    for rows in _days_sources(User(pk=STAND_IN_PATIENT), start, end):
        sql, sub_params = rows.query.sql_with_params()
        columns.append(f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM ({sql}) t)")  # noqa: S608 - Django's SQL
        params.extend(sub_params)
    return PreparedRead(PreparedSQL.of(", ".join(columns), params), prepared.shapes)


def _days_sources(patient: User, start: date, end: date) -> list[QuerySet[Any]]:
    """The rows the range's days and any page of their foods are drawn from (`day_rows`, `add_foods`):
    each row's id and the columns shown, what a kept review page's digests are of (one scan of
    each; a whole row's text, with its times, took PostgreSQL three times as long to write)."""
    in_range = {"patient": patient, "date__range": (start, end)}
    eaten = MealItem.objects.filter(**in_range)
    return [
        FatigueRating.objects.filter(**in_range).values_list("id", "date", "score"),
        SleepDiary.objects.filter(**in_range).values_list("id", "date", "total_sleep_minutes", "efficiency", "quality"),
        SymptomLog.objects.filter(**in_range).values_list("id", "date", "mood", "stress", "note"),
        StoolEvent.objects.filter(**in_range).values_list("id", "date", "bristol_type"),
        SymptomRating.objects.filter(**in_range).values_list("id", "date", "score", "symptom__name"),
        Lifestyle.objects.filter(**in_range).values_list("id", "date", "activity_minutes", "alcohol_units", "tobacco"),
        DayScore.objects.filter(**in_range, logged=True).values_list("id", "date", "total"),
        eaten.values_list("id", "food_id", "date", "meal", "grams", "unit", "quantity"),
        Food.objects.filter(pk__in=eaten.values("food_id")).values_list("id", *FOOD_SHOWN),
    ]


def review_read(patient: User, start: date, end: date, viewer: User | None) -> ReviewRead:
    """The review page's relapses (with `viewer`'s reading), medicines, EDSS, MFIS, clinicians'
    notes and stored flags, as their own selectors give them, in one query compiled once per length
    of range. The patient's profile comes with them (`patient.profile` reads nothing after). On
    PostgreSQL, `key` stands for everything the page is drawn from but its charts (kept pages)."""
    prepared = _prepared_review(connection.vendor, (end - start).days)
    texts = prepared.fetch(patient.pk, start)
    parts = len(prepared.shapes)
    found = prepared.parse(texts[:parts])
    profile: Profile | None = next(iter(found["profile"]), None)
    if profile is not None:
        patient.profile = profile
    return ReviewRead(
        relapses=_relapse_items(episodes_among(found["history"], start), found["reviews"], viewer),
        medications=_medication_summaries(found["medications"], start, end),
        edss=found["edss"],
        mfis=_mfis_rows(found["mfis"]),
        notes=found["notes"],
        flags=next(iter(found["flags"]), None),
        today=today_in(profile.time_zone if profile else None),
        key=texts if len(texts) > parts else None,
    )


@dataclass
class Summary:
    days_logged: int
    fatigue_mean: float | None
    sleep_mean_minutes: int | None
    fiber_mean: float | None
    score_mean: float | None

    @property
    def sleep_hours(self) -> str:
        if self.sleep_mean_minutes is None:
            return ""
        return f"{self.sleep_mean_minutes // 60} h {self.sleep_mean_minutes % 60:02d}"


def summarise(rows: list[DayRow]) -> Summary:
    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    sleep = mean([r.sleep_minutes for r in rows if r.sleep_minutes is not None])
    return Summary(
        days_logged=len(rows),
        fatigue_mean=mean([r.fatigue for r in rows if r.fatigue is not None]),
        sleep_mean_minutes=round(sleep) if sleep is not None else None,
        fiber_mean=mean([r.fiber_g for r in rows if r.fiber_g is not None]),
        score_mean=mean([r.score for r in rows if r.score is not None]),
    )


# ---------------------------------------------------------------- the printable report

REPORT_MIN_DAYS_FOR_WEEKS = 42  # from six weeks on, the report's charts show weekly means
REPORT_TOP_FOODS = 10
REPORT_TOP_MISSED = 5
REPORT_MFIS_ROWS = 6
REPORT_EDSS_ROWS = 5


def last_visit(patient: User, today: date) -> date | None:
    """The day of the latest EDSS or clinician note before today: the last visit, as far as msgut knows."""
    edss = EDSSScore.objects.filter(patient=patient, assessed_on__lt=today).order_by("-assessed_on").first()
    note = ClinicianNote.objects.filter(patient=patient, created_at__date__lt=today).order_by("-created_at").first()
    days = [d for d in (edss.assessed_on if edss else None, timezone.localdate(note.created_at) if note else None) if d]
    return max(days) if days else None


@dataclass(frozen=True)
class Bucket:
    """One point of the report's charts: a day, or an ISO week (its means over the days logged)."""

    start: date
    middle: date
    score: float | None
    fatigue: float | None
    sleep_hours: float | None
    fiber: float | None
    processed: float | None


@dataclass(frozen=True)
class FoodCount:
    name: str
    days: int
    usual_grams: float  # mean grams on the days it was eaten


@dataclass(frozen=True)
class MissedItem:
    label: str
    days: int
    percent: int


@dataclass
class ReportData:
    days: list[DayRow]
    summary: Summary
    weekly: bool
    buckets: list[Bucket]
    processed_mean: float | None
    foods: list[FoodCount]
    missed: list[MissedItem]
    scored_days: int


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def processed_servings(row: DayRow) -> float | None:
    """Servings of processed food (NOVA 4, a pro-inflammatory group or added sugar) of a day with meals."""
    if not row.foods:
        return None
    return sum(item.grams / item.default_portion_g for item in row.foods if item.default_portion_g and item.processed)


def report_buckets(rows: list[DayRow], start: date, end: date) -> tuple[bool, list[Bucket]]:
    """Days, or ISO weeks from six weeks on, with the means of the days logged in each (none: no point)."""
    weekly = (end - start).days + 1 >= REPORT_MIN_DAYS_FOR_WEEKS
    groups: dict[date, list[DayRow]] = defaultdict(list)
    for row in rows:
        key = row.date - timedelta(days=row.date.weekday()) if weekly else row.date
        groups[key].append(row)
    buckets = []
    for key in sorted(groups):
        members = groups[key]
        middle = min(max(key + timedelta(days=3), start), end) if weekly else key
        sleep = _mean(r.sleep_minutes for r in members if r.sleep_minutes is not None)
        buckets.append(
            Bucket(
                start=key,
                middle=middle,
                score=_mean(r.score for r in members),
                fatigue=_mean(r.fatigue for r in members),
                sleep_hours=sleep / 60 if sleep is not None else None,
                fiber=_mean(r.fiber_g for r in members),
                processed=_mean(processed_servings(r) for r in members),
            )
        )
    return weekly, buckets


def foods_eaten_most(rows: list[DayRow], limit: int = REPORT_TOP_FOODS) -> list[FoodCount]:
    """The foods eaten on the most days, with the usual amount on those days."""
    days: dict[int, set[date]] = defaultdict(set)
    grams: dict[int, float] = defaultdict(float)
    names: dict[int, str] = {}
    french = in_french()
    for row in rows:
        for item in row.foods:
            days[item.food_id].add(row.date)
            grams[item.food_id] += item.grams
            names[item.food_id] = item.name(french)
    ranked = sorted(days, key=lambda food_id: (-len(days[food_id]), names[food_id].lower()))[:limit]
    return [FoodCount(names[f], len(days[f]), grams[f] / len(days[f])) for f in ranked]


def medas_missed(patient: User, start: date, end: date) -> tuple[int, list[MissedItem]]:
    """How many days were scored, and the MEDAS items most often among a day's items to work on (one query)."""
    labels = {item: str(label) for item, (label, _how) in MEDAS_ITEM_TEXTS.items()}
    counts: dict[str, int] = defaultdict(int)
    scored = 0
    for breakdown in DayScore.objects.filter(patient=patient, date__range=(start, end), logged=True).values_list(
        "breakdown", flat=True
    ):
        scored += 1
        for line in breakdown if isinstance(breakdown, list) else []:
            counted = line.get("counted") if isinstance(line, dict) else None
            if isinstance(counted, dict) and isinstance(counted.get("work_on"), list):
                for item in counted["work_on"]:
                    if item in labels:
                        counts[item] += 1
    ranked = sorted(counts, key=lambda item: (-counts[item], labels[item]))[:REPORT_TOP_MISSED]
    return scored, [MissedItem(labels[i], counts[i], round(100 * counts[i] / scored)) for i in ranked if scored]


def report_data(patient: User, start: date, end: date) -> ReportData:
    """Everything the report draws and counts for [start, end]: a fixed number of queries, whatever the period."""
    rows = day_rows(patient, start, end)
    weekly, buckets = report_buckets(rows, start, end)
    scored, missed = medas_missed(patient, start, end)
    return ReportData(
        days=rows,
        summary=summarise(rows),
        weekly=weekly,
        buckets=buckets,
        processed_mean=_mean(processed_servings(r) for r in rows),
        foods=foods_eaten_most(rows),
        missed=missed,
        scored_days=scored,
    )


# ---------------------------------------------------------------- the patient's own rows

# `patient_owned_querysets` is the one list of "what is this patient's": the JSON and CSV exports
# read it, and erasure deletes it. It finds every model with a `patient` foreign key to the user
# model, so a table added later is exported and erased without touching this file. Audit events are
# not the patient's rows (they stay, without health content, as the record of who did what).
EXCLUDED_APPS = {"audit", "admin", "auth", "contenttypes", "sessions", "axes", "django_otp"}
# Written by clinicians about the patient. Every export holds them (the patient's own copy too: they
# are data about the patient) and erasure deletes them; a caller may still ask for the patient's
# own entries only.
CLINICIAN_CONTENT = {ClinicianNote, RelapseReview, EDSSScore}
# The patient's own records, not their health data: their consents name their other clinicians,
# their reminder settings and devices say how to reach them. In the patient's own export (and erased
# with them), never in a clinician's export, which holds the patient's health data only.
OWN_COPY_ONLY = {
    AccessGrant._meta.label,
    "reminders.ReminderPreference",
    "reminders.PushSubscription",
    "reminders.ReminderLog",
}


def patient_models() -> list[type[models.Model]]:
    """Every installed model with a `patient` foreign key to the user model."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label in EXCLUDED_APPS:
            continue
        try:
            field = model._meta.get_field("patient")
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.ForeignKey) and field.related_model is apps.get_model(settings.AUTH_USER_MODEL):
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label)


def patient_owned_querysets(
    patient: User, *, include_clinician_content: bool, own: bool = True
) -> list[tuple[str, models.QuerySet[Any]]]:
    """(label, queryset) pairs of all the patient's rows; parents before the rows that point to them."""
    pairs: list[tuple[str, models.QuerySet[Any]]] = [
        ("tracker.Food", Food.objects.filter(owner=patient).order_by("pk")),
    ]
    for model in patient_models():
        if model in CLINICIAN_CONTENT and not include_clinician_content:
            continue
        if model._meta.label in OWN_COPY_ONLY and not own:
            continue
        pairs.append((model._meta.label, model._default_manager.filter(patient=patient).order_by("pk")))
    pairs.append(("tracker.SavedMealItem", SavedMealItem.objects.filter(saved_meal__patient=patient).order_by("pk")))
    if include_clinician_content:
        pairs.append(("clinic.RelapseReview", RelapseReview.objects.filter(relapse__patient=patient).order_by("pk")))
    return pairs


# ---------------------------------------------------------------- sharing


def page_label(what: str) -> str:
    """The audit `what` (a URL name) in words a patient understands: the Sharing page and the access log."""
    labels = {
        "clinic:patient": _("your overview page"),
        "clinic:report": _("printable report"),
        "clinic:export csv": _("CSV export"),
        "clinic:export json": _("JSON export"),
        "clinic:export fhir": _("FHIR export"),
    }
    return str(labels.get(what, what))


def clinician_for_code(raw_code: str) -> User | None:
    code = normalise_code(raw_code)
    if not code:
        return None
    invite = InviteCode.objects.select_related("clinician").filter(code=code).first()
    if invite is None or not invite.clinician.is_active or invite.clinician.role != Role.CLINICIAN:
        return None
    return invite.clinician


def pending_invitations_for(patient: User) -> list[Invitation]:
    already = AccessGrant.objects.active().filter(patient=patient).values("clinician_id")
    return list(
        Invitation.objects.pending()
        .filter(email__iexact=patient.email, clinician__is_active=True)
        .exclude(clinician_id__in=already)
        .select_related("clinician")
    )
