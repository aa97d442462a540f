"""Every read of a patient's log: the day page, the month, the food search and the relapse checks.

Each read is a fixed number of queries whatever the history. The writes are in
`tracker.services`.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Profile, User
from tracker.catalog import words
from tracker.measures import (
    REASON_FEVER,
    REASON_SHORT,
    REASON_TOO_SOON,
    Episode,
    RelapseCheck,
    episode_last_day,
    mfis_due,
    relapse_checks,
)
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    FavoriteFood,
    Food,
    Lifestyle,
    MealItem,
    MealType,
    Medication,
    MedicationDay,
    MFISResponse,
    Relapse,
    SavedMeal,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)

RECENT_WINDOW_DAYS = 45
RECENT_PER_MEAL = 6
RECENT_DAYS = 30  # the food search ranks foods eaten in this many days first


def patient_today() -> date:
    """Today in the active time zone (the middleware activates the patient's own)."""
    return timezone.localdate()


def today_of(patient: User) -> date:
    """Today in `patient`'s own time zone, whoever is asking (a clinician in another zone).

    No profile or an unknown zone: the site's time zone.
    """
    zone = Profile.objects.filter(user=patient).values_list("time_zone", flat=True).first()
    try:
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(zone or settings.TIME_ZONE))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


# ---------------------------------------------------------------- the day and the month


@dataclass
class MealView:
    meal: str
    label: str
    items: list[MealItem] = field(default_factory=list)
    yesterday_count: int = 0
    recent: list[Food] = field(default_factory=list)
    # Filled by the view: the section's forms and search results.
    forms: dict[str, Any] = field(default_factory=dict)
    results: list[Food] = field(default_factory=list)
    searched: bool = False

    @property
    def grams(self) -> float:
        return sum(item.grams for item in self.items)


@dataclass
class DayLog:
    patient: User
    day: date
    meals: list[MealView]
    favorites: list[Food]
    favorite_ids: set[int]
    saved_meals: list[SavedMeal]
    sleep: SleepDiary | None
    previous_sleep: SleepDiary | None
    fatigue: FatigueRating | None
    symptoms: SymptomLog | None
    stools: list[StoolEvent]
    custom_symptoms: list[CustomSymptom]
    ratings: dict[int, int]
    lifestyle: Lifestyle | None
    mfis_last_completed: date | None
    mfis_open: MFISResponse | None
    mfis_due: bool

    @property
    def yesterday_has_meals(self) -> bool:
        return any(m.yesterday_count for m in self.meals)

    @property
    def item_count(self) -> int:
        return sum(len(m.items) for m in self.meals)


def recent_foods_by_meal(patient: User, day: date) -> dict[str, list[Food]]:
    """Foods eaten recently, per meal, most frequent then latest first.

    One query that counts in SQL: a row per meal and food, not per item eaten.
    """
    since = day - timedelta(days=RECENT_WINDOW_DAYS)
    eaten = Q(meal_items__patient=patient, meal_items__date__lte=day, meal_items__date__gte=since)
    times = Count("meal_items")
    ranked = (
        Food.objects.filter(eaten)
        .annotate(
            eaten_at=F("meal_items__meal"),
            times=times,
            last_date=Max("meal_items__date"),
            last_id=Max("meal_items__id"),
        )
        # Only the few shown per meal leave the database, not every food of 45 days.
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=F("meal_items__meal"),
                order_by=[times.desc(), Max("meal_items__date").desc(), Max("meal_items__id").desc()],
            )
        )
        .filter(place__lte=RECENT_PER_MEAL)
        .order_by("eaten_at", "place")
    )
    result: dict[str, list[Food]] = defaultdict(list)
    for food in ranked:
        if len(result[food.eaten_at]) < RECENT_PER_MEAL:  # type: ignore[attr-defined]
            result[food.eaten_at].append(food)  # type: ignore[attr-defined]
    return dict(result)


def day_log(patient: User, day: date) -> DayLog:
    """Everything the day page shows, in a fixed number of queries whatever the history."""
    items = list(
        MealItem.objects.filter(patient=patient, date__in=[day, day - timedelta(days=1)])
        .select_related("food")
        .order_by("created_at", "id")
    )
    recent = recent_foods_by_meal(patient, day)
    meals = []
    for value, label in MealType.choices:
        view = MealView(meal=value, label=str(label), recent=recent.get(value, []))
        for item in items:
            if item.meal != value:
                continue
            if item.date == day:
                view.items.append(item)
            else:
                view.yesterday_count += 1
        meals.append(view)
    favorites = favourite_foods(patient, limit=None)
    sleeps = list(SleepDiary.objects.filter(patient=patient, date__lte=day).order_by("-date")[:2])
    sleep = sleeps[0] if sleeps and sleeps[0].date == day else None
    previous_sleep = next((s for s in sleeps if s.date != day), None)
    custom = list(CustomSymptom.objects.filter(patient=patient, active=True))
    ratings = dict(SymptomRating.objects.filter(patient=patient, date=day).values_list("symptom_id", "score"))
    mfis = list(
        MFISResponse.objects.filter(patient=patient, completed=True)
        .order_by("-date")
        .values_list("date", flat=True)[:1]
    )
    last_completed = mfis[0] if mfis else None
    mfis_open = MFISResponse.objects.filter(patient=patient, completed=False).order_by("-date").first()
    return DayLog(
        patient=patient,
        day=day,
        meals=meals,
        favorites=favorites,
        favorite_ids={f.pk for f in favorites},
        saved_meals=list(SavedMeal.objects.filter(patient=patient)),
        sleep=sleep,
        previous_sleep=previous_sleep,
        fatigue=FatigueRating.objects.filter(patient=patient, date=day).first(),
        symptoms=SymptomLog.objects.filter(patient=patient, date=day).first(),
        stools=list(StoolEvent.objects.filter(patient=patient, date=day)),
        custom_symptoms=custom,
        ratings=ratings,
        lifestyle=Lifestyle.objects.filter(patient=patient, date=day).first(),
        mfis_last_completed=last_completed,
        mfis_open=mfis_open,
        mfis_due=mfis_due(patient_today(), last_completed),
    )


@dataclass
class MonthDay:
    day: date
    in_month: bool
    future: bool
    kinds: list[str]

    @property
    def logged(self) -> bool:
        return bool(self.kinds)


def month_days(patient: User, first: date, last: date) -> dict[date, list[str]]:
    """Which kinds of entry exist on each date of a range (one query per kind, grouped by date)."""
    sources: list[tuple[str, type[models.Model]]] = [
        ("meals", MealItem),
        ("sleep", SleepDiary),
        ("fatigue", FatigueRating),
        ("symptoms", SymptomLog),
        ("stool", StoolEvent),
        ("lifestyle", Lifestyle),
    ]
    found: dict[date, list[str]] = defaultdict(list)
    for kind, model in sources:
        dates = (
            model._default_manager.filter(patient=patient, date__gte=first, date__lte=last)
            .values_list("date", flat=True)
            .distinct()
        )
        for d in dates:
            found[d].append(kind)
    today = patient_today()
    for started, ended in (
        Relapse.objects.filter(patient=patient).overlapping(first, last).values_list("started_on", "ended_on")
    ):
        stop = min(episode_last_day(started, ended, today), last)
        d = max(started, first)
        while d <= stop:
            found[d].append("relapse")
            d += timedelta(days=1)
    return found


# ---------------------------------------------------------------- medications


def medication_list(patient: User) -> list[Medication]:
    """The patient's whole list: current disease-modifying therapies first, stopped ones last (one query)."""
    return list(Medication.objects.filter(patient=patient))


def asked_medications(patient: User, day: date) -> list[Medication]:
    """The medications the patient asked to confirm each day and that were on their list on `day`."""
    return list(
        Medication.objects.filter(patient=patient, ask_daily=True)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=day))
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=day))
    )


@dataclass
class MedicinesDay:
    """The day's "taken as usual" question: the medications asked about that day and their answers."""

    day: date
    medications: list[Medication]
    answers: dict[int, bool]

    @property
    def answered(self) -> bool:
        return bool(self.medications) and all(m.pk in self.answers for m in self.medications)

    @property
    def as_usual(self) -> list[str]:
        return [m.display_name for m in self.medications if self.answers.get(m.pk) is True]

    @property
    def not_as_usual(self) -> list[str]:
        return [m.display_name for m in self.medications if self.answers.get(m.pk) is False]


def medicines_day(patient: User, day: date) -> MedicinesDay:
    """What the day page's medicines section shows: the asked medications with the day's answers (one query)."""
    answer = MedicationDay.objects.filter(medication=OuterRef("pk"), date=day).values("taken")[:1]
    rows = list(
        Medication.objects.filter(patient=patient, ask_daily=True)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=day))
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=day))
        .annotate(taken=Subquery(answer, output_field=models.BooleanField()))
    )
    answers = {m.pk: m.taken for m in rows if m.taken is not None}
    medications: list[Medication] = [*rows]
    return MedicinesDay(day, medications, answers)


def medicine_answers(patient: User, day: date) -> dict[int, bool]:
    """The "taken as usual" answers of one day, by medication id (no key: not answered)."""
    return dict(MedicationDay.objects.filter(patient=patient, date=day).values_list("medication_id", "taken"))


# ---------------------------------------------------------------- relapses

# Why an episode may be a pseudo-relapse, in words: the patient's relapse list and the clinician's
# review and report show the same text for each code of tracker.measures.relapse_check.
RELAPSE_REASON_TEXT = {
    REASON_SHORT: _("the symptoms did not last more than 24 hours"),
    REASON_TOO_SOON: _("it began less than 30 days after the previous episode began"),
    REASON_FEVER: _("there was a fever or an infection at the start"),
}


def relapse_reasons(reasons: Iterable[str]) -> list[str]:
    """The failed criteria of a relapse check (`RelapseCheck.reasons`), in words."""
    return [str(RELAPSE_REASON_TEXT[code]) for code in reasons]


def check_relapses(relapses: Iterable[Relapse]) -> dict[int, RelapseCheck]:
    """The clinical-definition check of each of one patient's relapses, by id: each against the one before it."""
    episodes = [Episode(r.pk, r.started_on, r.lasted_over_24h, r.fever_or_infection) for r in relapses]
    return {int(key): check for key, check in relapse_checks(episodes).items()}  # type: ignore[call-overload]


# ---------------------------------------------------------------- food search


MAX_QUERY_CHARS = 80
MAX_QUERY_TERMS = 6


def _query_terms(query: str) -> list[str]:
    """The normalized words of a query, bounded so a pasted essay cannot build a huge statement."""
    return words(query[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TERMS]


def _ranked(user: User | None) -> Any:
    """Foods the user may see, annotated with is_favourite and last_eaten (one SQL statement)."""
    if user is None or not user.is_authenticated:
        return Food.objects.filter(owner__isnull=True).annotate(
            is_favourite=Value(False, output_field=models.BooleanField()),
            last_eaten=Value(None, output_field=models.DateField()),
        )
    since = patient_today() - timedelta(days=RECENT_DAYS)
    last_eaten = (
        MealItem.objects.filter(patient=user, food=OuterRef("pk"), date__gte=since).order_by("-date").values("date")[:1]
    )
    return Food.objects.available_to(user).annotate(
        is_favourite=Exists(FavoriteFood.objects.filter(patient=user, food=OuterRef("pk"))),
        last_eaten=Subquery(last_eaten, output_field=models.DateField()),
    )


def search_foods(user: User | None, query: str, limit: int = 12) -> list[Food]:
    """Type-ahead over the shared catalog and the user's own foods, in English or French.

    Case and accents are ignored; every word typed must appear in the name. Order: the user's
    favourites, then foods eaten in the last 30 days, then names starting with the query,
    then names with a word starting with it, then other matches; ties by name. One query.
    An empty query gives the favourites, then the recent foods (latest first).
    """
    terms = _query_terms(query)
    foods = _ranked(user)
    if not terms:
        return list(
            foods.filter(Q(is_favourite=True) | Q(last_eaten__isnull=False)).order_by(
                "-is_favourite", models.F("last_eaten").desc(nulls_last=True), "name_en", "pk"
            )[:limit]
        )
    phrase = " ".join(terms)
    for term in terms:
        foods = foods.filter(search_text__contains=term)
    name_start = Q(search_text__startswith=phrase) | Q(search_text__contains=f"| {phrase}")
    words_start = Q()
    for term in terms:
        words_start &= Q(search_text__startswith=term) | Q(search_text__contains=f" {term}")
    foods = foods.annotate(
        is_recent=Case(When(last_eaten__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField()),
        match_rank=Case(
            When(name_start, then=Value(0)),
            When(words_start, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )
    return list(foods.order_by("-is_favourite", "-is_recent", "match_rank", "name_en", "pk")[:limit])


def recent_foods(user: User, limit: int = 12) -> list[Food]:
    """Foods the user ate in the last 30 days, latest first (one query)."""
    return list(_ranked(user).filter(last_eaten__isnull=False).order_by("-last_eaten", "name_en", "pk")[:limit])


def favourite_foods(user: User, limit: int | None = 50) -> list[Food]:
    """The user's favourite foods by name (one query). Never another user's private food."""
    return list(
        Food.objects.available_to(user)
        .filter(Exists(FavoriteFood.objects.filter(patient=user, food=OuterRef("pk"))))
        .order_by("name_en", "pk")[:limit]
    )
