"""Every read of a patient's log: the day page, the month, the food search and the relapse checks.

Each read is a fixed number of queries whatever the history. The writes are in
`tracker.services`.
"""

from __future__ import annotations

import copy
import csv
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, models
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Value, Window
from django.db.models.base import ModelState
from django.db.models.functions import Cast, RowNumber
from django.db.models.signals import post_init, pre_init
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Profile, User
from guidance.models import DayScore, RuleSetVersion, StaleDay
from tracker.catalog import words
from tracker.measures import (
    PSEUDO_RELAPSE_REASONS,
    QUALIFYING,
    REASON_DURATION_UNKNOWN,
    REASON_FEVER,
    REASON_HEAT,
    REASON_SHORT,
    REASON_WITHIN_30,
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
from tracker.search import FoodIndex, without_needless_typos

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
    return today_in(Profile.objects.filter(user=patient).values_list("time_zone", flat=True).first())


def today_in(zone: str | None) -> date:
    """Today in the time zone named `zone` (a profile's); none or an unknown one: the site's."""
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
    search_error: str = ""
    # Filled by the view: where the section's add forms post (reversed once, not once per food offered).
    add_url: str = ""
    # Filled by the day page: the meal as drawn before from the same rows (tracker.views.day), put in as it is.
    kept: str = ""

    @property
    def grams(self) -> float:
        return sum(item.grams for item in self.items)

    @property
    def anchor(self) -> str:
        return f"meal-{self.meal}"

    # One-tap foods: recent ones of this meal, then favourites, less what the meal already has today.
    offers: list[Food] = field(default_factory=list)


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
    previous_lifestyle: Lifestyle | None
    mfis_last_completed: date | None
    mfis_open: MFISResponse | None
    mfis_due: bool
    hidden: Collection[str] = ()
    medicines: MedicinesDay | None = None

    @property
    def shown(self) -> dict[str, bool]:
        """Section key -> whether the page shows it (every section the patient did not hide)."""
        return {key: key not in self.hidden for key in ("fatigue", "sleep", "meals", "symptoms", "lifestyle")}

    @property
    def yesterday_has_meals(self) -> bool:
        return any(m.yesterday_count for m in self.meals)

    @property
    def yesterday_to_copy(self) -> bool:
        """A meal eaten yesterday is still empty today: copying the whole day would add something."""
        return any(m.yesterday_count and not m.items for m in self.meals)

    @property
    def is_empty(self) -> bool:
        """Nothing logged on this day yet."""
        return not (self.item_count or self.sleep or self.fatigue or self.symptoms or self.stools or self.lifestyle)

    @property
    def item_count(self) -> int:
        return sum(len(m.items) for m in self.meals)


def recent_foods_query(patient: User, day: date) -> models.QuerySet[Food]:
    """Foods eaten recently, per meal (`eaten_at`), most frequent then latest first: a row per meal
    and food, counted in SQL, and only the few shown per meal leave the database."""
    since = day - timedelta(days=RECENT_WINDOW_DAYS)
    eaten = Q(meal_items__patient=patient, meal_items__date__lte=day, meal_items__date__gte=since)
    times = Count("meal_items")
    return (
        Food.objects.filter(eaten)
        .annotate(
            eaten_at=F("meal_items__meal"),
            times=times,
            last_date=Max("meal_items__date"),
            last_id=Max("meal_items__id"),
        )
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


def recent_by_meal(ranked: Iterable[Food]) -> dict[str, list[Food]]:
    """meal -> its recent foods, from `recent_foods_query`'s rows (annotated with `eaten_at`)."""
    result: dict[str, list[Food]] = defaultdict(list)
    for food in ranked:
        meal: str = food.eaten_at  # type: ignore[attr-defined]
        if len(result[meal]) < RECENT_PER_MEAL:
            result[meal].append(food)
    return dict(result)


def recent_foods_by_meal(patient: User, day: date) -> dict[str, list[Food]]:
    """Foods eaten recently, per meal, most frequent then latest first (one query)."""
    return recent_by_meal(recent_foods_query(patient, day))


def read_together(parts: dict[str, models.QuerySet[Any]]) -> dict[str, list[Any]]:
    """Several querysets of model rows read in one query: name -> the rows, as model instances.

    Each queryset becomes a sub-select whose rows the database returns as JSON (decimals kept exact
    on PostgreSQL), turned back into instances through each field's own parsing, in each queryset's
    order. SQLite (`make run`) has other JSON functions, which name each column.
    """
    if not parts:
        return {}
    sql, params = _together_sql(parts)
    return _run_together(sql, params, _shapes(parts))


def _together_sql(parts: dict[str, models.QuerySet[Any]]) -> tuple[str, list[Any]]:
    selects: list[str] = []
    params: list[Any] = []
    for qs in parts.values():
        sql, sub_params = qs.query.sql_with_params()
        # The columns are named again by position: a sub-select Django wraps (a window filter) calls them col1...
        columns = ", ".join(connection.ops.quote_name(name) for name in _columns(qs))
        selects.append(f"(WITH t({columns}) AS ({sql}) SELECT {_rows_as_json(qs)} FROM t)")  # noqa: S608 - names, not input
        params.extend(sub_params)
    return "SELECT " + ", ".join(selects), params


def _columns(qs: models.QuerySet[Any]) -> list[str]:
    """A model queryset's columns in the order it selects them: the model's, then its annotations."""
    return [f.column for f in qs.model._meta.concrete_fields] + list(qs.query.annotation_select)


# (name, model, its annotations) of each part, in order: what the JSON rows are parsed back into.
Shapes = tuple[tuple[str, type[models.Model], tuple[tuple[str, models.Field[Any, Any]], ...]], ...]


def _shapes(parts: dict[str, models.QuerySet[Any]]) -> Shapes:
    return tuple(
        (name, qs.model, tuple((key, value.output_field) for key, value in qs.query.annotation_select.items()))
        for name, qs in parts.items()
    )


def _run_together(sql: str, params: list[Any], shapes: Shapes) -> dict[str, list[Any]]:
    return _parse_together(_fetch_together(sql, params), shapes)


class _PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's server-binding cursor, preparing every statement it runs when `preparing` (and the
    connection prepares any: psycopg prepares nothing with its threshold unset, as Django leaves it),
    and none otherwise (psycopg would prepare a statement run five times)."""

    preparing = True

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=self.preparing if prepare is None else prepare, binary=binary)


def _fetch_together(sql: str, params: list[Any]) -> tuple[str, ...]:
    """The parts' rows as the database sends them: one JSON text per part."""
    with _preparing_cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


@contextmanager
def _preparing_cursor() -> Iterator[Any]:
    """A cursor for the reads of many sub-selects that pages run again and again. On PostgreSQL it
    binds parameters on the server and prepares each statement on its connection, unless prepared
    statements are off (settings: DB_PREPARED_STATEMENTS), so it is planned once per connection:
    planning the Today page's read (sixteen sub-selects) was about half of PostgreSQL's time for it.
    It is wrapped as Django wraps its own, so it is counted and watched like any query."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw: Any = _PreparingCursor(connection.connection)  # (django-stubs types these with Django's wrapper)
    # (not while queries are logged: a prepared statement's text is not kept for the log)
    raw.preparing = not connection.queries_logged
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor


# Fields whose JSON value is already the Python one (text, a whole number; PostgreSQL's booleans).
_AS_SENT = (models.CharField, models.TextField, models.IntegerField, models.AutoField, models.ForeignKey)


@lru_cache(maxsize=256)
def _columns_read(
    model: type[models.Model], json_as_text: bool
) -> tuple[list[str], tuple[tuple[str | None, Any], ...]]:
    """The model's concrete fields' attribute names, and each one's column and the field to convert
    its JSON value with (None: as sent)."""
    kept_as_sent = (*_AS_SENT, models.BooleanField) if not json_as_text else _AS_SENT
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], tuple(
        (f.column, None if isinstance(f, kept_as_sent) and not f.choices else f) for f in fields
    )


def _made_as_read(model: type[models.Model]) -> Any:
    """How a row of `model` read by `_parse_together` becomes an instance: as `Model.from_db` makes one
    from all its fields, without the per-field work of `Model.__init__` (the fields are set as read,
    the state is a row from the database), unless something listens to its making (pre_init,
    post_init): then by `from_db` itself. A day's page makes about a hundred."""
    if (
        pre_init.has_listeners(model)
        or post_init.has_listeners(model)
        or getattr(model.from_db, "__func__", None) is not _FROM_DB
    ):
        return model.from_db

    def made(db: str, attnames: list[str], values: list[Any]) -> models.Model:
        instance = model.__new__(model)
        instance.__dict__.update(zip(attnames, values, strict=True))
        state = instance._state = ModelState()
        state.adding, state.db = False, db
        return instance

    return made


_FROM_DB = models.Model.from_db.__func__  # type: ignore[attr-defined]


def _parse_together(texts: tuple[str, ...], shapes: Shapes, only: Collection[str] = ()) -> dict[str, list[Any]]:
    """The parts' rows as model instances (`only`: just these parts)."""
    found: dict[str, list[Any]] = {}
    # SQLite's JSON functions give a JSON column's value as its text.
    json_as_text = connection.vendor == "sqlite"
    for (name, model, extra), text in zip(shapes, texts, strict=True):
        if only and name not in only:
            continue
        attnames, columns = _columns_read(model, json_as_text)
        make = _made_as_read(model)
        found[name] = rows = []
        for row in json.loads(text, parse_float=Decimal):
            values = []
            for column, f in columns:
                value = row[column]
                if value is not None and f is not None:
                    if json_as_text and isinstance(f, models.JSONField) and isinstance(value, str):
                        value = json.loads(value)
                    value = f.to_python(value)
                    if json_as_text and isinstance(f, models.DateTimeField) and settings.USE_TZ:
                        # SQLite keeps a moment as naive UTC text; Django's own reads make it aware.
                        value = timezone.make_aware(value, connection.timezone)
                values.append(value)
            instance = make(connection.alias, attnames, values)
            for annotation, output in extra:  # (plain JSON values; SQLite's booleans are 0 and 1)
                value = row[annotation]
                setattr(instance, annotation, value if value is None else output.to_python(value))
            rows.append(instance)
    return found


# Stand-ins no row has: the day page's query is compiled once per process with them, then run with
# the patient's id and dates (compiling a dozen querysets was most of the page's reading time).
STAND_IN_PATIENT = -918_273_645
STAND_IN_DAY = date(1901, 1, 1)
# How far from the stand-in day a compiled query's dates can be (the longest reach is a few weeks).
_STAND_IN_REACH = timedelta(days=3650)


@dataclass(frozen=True)
class PreparedSQL:
    """A query that depends only on a patient and a day, compiled once for the stand-ins: its SQL and
    where each parameter comes from (the patient's id, the day moved by some days, or a constant)."""

    sql: str
    sources: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, sql: str, params: Iterable[Any]) -> PreparedSQL:
        sources: list[tuple[str, Any]] = []
        for value in params:
            if value == STAND_IN_PATIENT:
                sources.append(("patient", None))
            elif isinstance(value, date):
                sources.append(("day", value - STAND_IN_DAY))
            elif (moved := _stand_in_date_text(value)) is not None:
                sources.append(("day text", moved))  # SQLite's driver is given dates as ISO text
            else:
                sources.append(("constant", value))
        return cls(sql, tuple(sources))

    def params(self, patient_id: int, day: date) -> list[Any]:
        return [_param(kind, value, patient_id, day) for kind, value in self.sources]


def _param(kind: str, value: Any, patient_id: int, day: date) -> Any:
    if kind == "patient":
        return patient_id
    if kind == "day":
        return day + value
    if kind == "day text":
        return (day + value).isoformat()
    return value


def _stand_in_date_text(value: Any) -> timedelta | None:
    """How far from the stand-in day a date written as ISO text is, if it is one near it (no real
    entry is dated within a decade of the stand-in's)."""
    if not isinstance(value, str) or len(value) != len("1901-01-01"):
        return None
    try:
        moved = date.fromisoformat(value) - STAND_IN_DAY
    except ValueError:
        return None
    return moved if abs(moved) < _STAND_IN_REACH else None


@dataclass(frozen=True)
class PreparedRead:
    """`read_together` of querysets that depend only on a patient and a day, compiled once."""

    query: PreparedSQL
    shapes: Shapes

    @classmethod
    def of(cls, parts: dict[str, models.QuerySet[Any]]) -> PreparedRead:
        """Parts built for the stand-in patient and day."""
        return cls(PreparedSQL.of(*_together_sql(parts)), _shapes(parts))

    def run(self, patient_id: int, day: date) -> dict[str, list[Any]]:
        return self.parse(self.fetch(patient_id, day))

    def fetch(self, patient_id: int, day: date) -> tuple[str, ...]:
        """The rows as sent (a JSON text per part): cheap to compare, parsed only when needed."""
        return _fetch_together(self.query.sql, self.query.params(patient_id, day))

    def parse(self, texts: tuple[str, ...], only: Collection[str] = ()) -> dict[str, list[Any]]:
        return _parse_together(texts, self.shapes, only)


_prepared_days: dict[tuple[str, frozenset[str]], PreparedRead] = {}


def _day_read(hidden: frozenset[str]) -> PreparedRead:
    key = (connection.vendor, hidden)
    if key not in _prepared_days:
        _prepared_days[key] = PreparedRead.of(_day_parts(User(pk=STAND_IN_PATIENT), STAND_IN_DAY, hidden))
    return _prepared_days[key]


# The parts of the day's read the score line is drawn from.
SCORE_PARTS = ("rule_version", "day_score", "last_stale")
# The parts of the day each section reads (`_day_parts`); the others are read whatever is shown.
SECTION_PARTS: dict[str, tuple[str, ...]] = {
    "sleep": ("sleeps",),
    "lifestyle": ("lifestyles",),
    "fatigue": ("fatigue",),
    "symptoms": ("custom", "ratings", "symptoms", "stools"),
    "meals": ("items", "item_foods", "recent", "favourites", "saved", "common"),
}


def _parts_of(sections: Collection[str]) -> set[str]:
    """The parts of the day's read these sections read."""
    return {part for section in sections for part in SECTION_PARTS.get(section, ())}


def _day_parts(patient: User, day: date, hidden: frozenset[str]) -> dict[str, models.QuerySet[Any]]:
    """Every part of a day the page reads (a hidden section's left out: `SECTION_PARTS`)."""
    # The day's and yesterday's items (yesterday's: what "Same as yesterday" would copy), and their foods.
    items = MealItem.objects.filter(patient=patient, date__in=[day, day - timedelta(days=1)])
    parts: dict[str, models.QuerySet[Any]] = {
        "mfis_done": MFISResponse.objects.filter(patient=patient, completed=True).order_by("-date")[:1],
        "mfis_open": MFISResponse.objects.filter(patient=patient, completed=False).order_by("-date")[:1],
        "sleeps": SleepDiary.objects.filter(patient=patient, date__lte=day).order_by("-date")[:2],
        # This day's and the last one before it within a week (its supplements carry over).
        "lifestyles": Lifestyle.objects.filter(
            patient=patient, date__lte=day, date__gte=day - timedelta(days=7)
        ).order_by("-date")[:2],
        "fatigue": FatigueRating.objects.filter(patient=patient, date=day)[:1],
        "custom": CustomSymptom.objects.filter(patient=patient, active=True),
        "ratings": SymptomRating.objects.filter(patient=patient, date=day),
        "symptoms": SymptomLog.objects.filter(patient=patient, date=day)[:1],
        "stools": StoolEvent.objects.filter(patient=patient, date=day),
        "items": items.order_by("created_at", "id"),
        "item_foods": Food.objects.filter(pk__in=items.values("food_id")),
        "recent": recent_foods_query(patient, day),
        "favourites": favourites_query(patient),
        "saved": SavedMeal.objects.filter(patient=patient),
        "common": common_foods_query(),
        "medicines": medicines_query(patient, day),
        # The score line's: the current rule set, the day's stored score, the patient's last stale day.
        "rule_version": RuleSetVersion.objects.order_by("-number")[:1],
        "day_score": DayScore.objects.filter(patient=patient, date=day)[:1],
        "last_stale": StaleDay.objects.filter(patient=patient, date__lte=day).order_by("-date")[:1],
    }
    left_out = _parts_of(hidden)
    return {name: qs for name, qs in parts.items() if name not in left_out}


def _rows_as_json(qs: models.QuerySet[Any]) -> str:
    """The SQL aggregate that returns a sub-select's rows (`t`) as one JSON array of objects."""
    if connection.vendor == "postgresql":
        return "coalesce(json_agg(row_to_json(t)), '[]')::text"
    pairs = ", ".join(f"'{name}', t.{connection.ops.quote_name(name)}" for name in _columns(qs))
    return f"coalesce(json_group_array(json_object({pairs})), '[]')"


COMMON_FOODS_FILE = settings.BASE_DIR / "tracker" / "data" / "common_foods.csv"


@lru_cache(maxsize=1)
def _common_food_names() -> tuple[tuple[str, str], ...]:
    """(meal, English name) pairs from the data file, in the order they are offered."""
    with COMMON_FOODS_FILE.open(encoding="utf-8") as rows:
        return tuple((row["meal"], row["name_en"]) for row in csv.DictReader(rows))


def common_foods_query() -> models.QuerySet[Food]:
    """The shared catalog's everyday foods (names missing from the catalog are skipped)."""
    return Food.objects.filter(owner__isnull=True, name_en__in={name for _meal, name in _common_food_names()})


def offer_common_foods(meals: list[MealView], foods: Iterable[Food]) -> None:
    """A meal with no history yet offers everyday foods for it, so a first day starts with taps, not typing."""
    by_name = {f.name_en: f for f in foods}
    for view in meals:
        if view.recent:
            continue
        offered = {f.pk for f in view.offers} | {item.food_id for item in view.items}
        view.offers += [
            by_name[name]
            for meal, name in _common_food_names()
            if meal == view.meal and name in by_name and by_name[name].pk not in offered
        ]


@dataclass(frozen=True)
class DayRead:
    """A patient's day as the database sent it, one JSON text per part: what the day page is drawn
    from, so two reads with the same texts draw the same page (`tracker.views.day` keeps it)."""

    patient: User
    day: date
    hidden: frozenset[str]
    texts: tuple[str, ...]

    def score_rows(self) -> tuple[RuleSetVersion | None, DayScore | None, date | None]:
        """What the day's score line is drawn from (`guidance.selectors.panel_of`)."""
        rows = _day_read(self.hidden).parse(self.texts, only=SCORE_PARTS)
        stale = rows["last_stale"]
        return (
            next(iter(rows["rule_version"]), None),
            next(iter(rows["day_score"]), None),
            stale[0].date if stale else None,
        )

    def section_texts(self, section: str) -> tuple[str, ...]:
        """The texts a section of the page is drawn from: its own parts' and those read whatever is
        shown, not another section's nor the score line's (drawn apart): as the answers that redraw
        one section are drawn."""
        others = _parts_of(set(SECTION_PARTS) - {section}) | set(SCORE_PARTS)
        names = [name for name, *_ in _day_read(self.hidden).shapes]
        return tuple(text for name, text in zip(names, self.texts, strict=True) if name not in others)


def read_day(patient: User, day: date, *, hidden: Collection[str] = ()) -> DayRead:
    """Every part of the day in one round trip (each part a sub-select, hidden sections' left out)."""
    hidden = frozenset(hidden)
    return DayRead(patient, day, hidden, _day_read(hidden).fetch(patient.pk, day))


def day_log(patient: User, day: date, *, hidden: Collection[str] = ()) -> DayLog:
    """Everything the day page shows, in one query whatever the history.

    Sections in `hidden` (the ones the patient does not track) are not read at all.
    """
    return day_log_of(read_day(patient, day, hidden=hidden))


def day_log_of(read: DayRead, sections: Collection[str] | None = None) -> DayLog:
    """The day as read. With `sections`, only theirs of the sections are parsed, the others as if
    hidden: an answer that redraws one section (after a save) parses nothing it does not draw."""
    patient, day, hidden = read.patient, read.day, read.hidden
    prepared = _day_read(hidden)
    if sections is not None:
        hidden = hidden | (frozenset(SECTION_PARTS) - frozenset(sections))
    # (the score line's rows are the panel's: `DayRead.score_rows`)
    # (the everyday foods are parsed only for a meal with no recent food to offer: rarely)
    skipped = _parts_of(hidden) | set(SCORE_PARTS) | {"common"}
    rows = prepared.parse(read.texts, only=[name for name, *_ in prepared.shapes if name not in skipped])
    meals_shown = "meals" not in hidden
    foods = {food.pk: food for food in rows.get("item_foods", [])}
    items = rows.get("items", [])
    for item in items:
        item.food = foods[item.food_id]
    recent = recent_by_meal(rows["recent"]) if meals_shown else {}
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
    favorites = rows.get("favourites", [])
    for view in meals:
        eaten = {item.food_id for item in view.items}
        recent_ids = {food.pk for food in view.recent}
        view.offers = [f for f in view.recent if f.pk not in eaten] + [
            f for f in favorites if f.pk not in recent_ids and f.pk not in eaten
        ]
    if meals_shown and not all(view.recent for view in meals):
        offer_common_foods(meals, prepared.parse(read.texts, only=["common"])["common"])
    sleeps = rows.get("sleeps", [])
    sleep = sleeps[0] if sleeps and sleeps[0].date == day else None
    previous_sleep = next((s for s in sleeps if s.date != day), None)
    lifestyles = rows.get("lifestyles", [])
    lifestyle = lifestyles[0] if lifestyles and lifestyles[0].date == day else None
    previous_lifestyle = next((x for x in lifestyles if x.date != day), None)
    custom = rows.get("custom", [])
    ratings = {r.symptom_id: r.score for r in rows.get("ratings", [])}
    last_completed = rows["mfis_done"][0].date if rows["mfis_done"] else None
    mfis_open = rows["mfis_open"][0] if rows["mfis_open"] else None
    return DayLog(
        patient=patient,
        day=day,
        meals=meals,
        favorites=favorites,
        favorite_ids={f.pk for f in favorites},
        saved_meals=rows.get("saved", []),
        sleep=sleep,
        previous_sleep=previous_sleep,
        fatigue=next(iter(rows.get("fatigue", [])), None),
        symptoms=next(iter(rows.get("symptoms", [])), None),
        stools=rows.get("stools", []),
        custom_symptoms=custom,
        ratings=ratings,
        lifestyle=lifestyle,
        previous_lifestyle=previous_lifestyle,
        mfis_last_completed=last_completed,
        mfis_open=mfis_open,
        mfis_due=mfis_due(
            patient_today(), last_completed, timezone.localdate(patient.date_joined) if patient.date_joined else None
        ),
        hidden=hidden,
        medicines=medicines_from_rows(day, rows["medicines"]),
    )


@dataclass
class MonthDay:
    day: date
    in_month: bool
    future: bool
    kinds: list[str]
    fatigue: int | None = None
    score: float | None = None

    @property
    def logged(self) -> bool:
        return bool(self.kinds)


# What "the day is logged" means, in one place: any entry of one of these kinds on that date. The
# month shows these kinds; a daily reminder is not sent once the day has one (a fatigue tap is enough).
LOGGED_SOURCES: list[tuple[str, type[models.Model]]] = [
    ("meals", MealItem),
    ("sleep", SleepDiary),
    ("fatigue", FatigueRating),
    ("symptoms", SymptomLog),
    ("stool", StoolEvent),
    ("lifestyle", Lifestyle),
]


@dataclass
class MonthEntries:
    """What a month's grid shows: the kinds of entry on each date (a relapse's days included), the
    fatigue rated and the guidance score of each logged day."""

    kinds: dict[date, list[str]]
    fatigue: dict[date, int]
    scores: dict[date, float]


def _month_union(patient: User, first: date, last: date) -> models.QuerySet[Any]:
    """One row per (kind, date) with an entry, per day score and per relapse: (kind, date, end, value)."""
    # Typed NULLs: PostgreSQL types a union's columns from its first parts.
    no_end = Cast(Value(None), models.DateField())
    no_value = Cast(Value(None), models.FloatField())
    parts = [
        model._default_manager.filter(patient=patient, date__gte=first, date__lte=last)
        .order_by()
        .annotate(
            kind=Value(kind),
            end=no_end,
            value=Cast("score", models.FloatField()) if model is FatigueRating else no_value,
        )
        .values_list("kind", "date", "end", "value")
        .distinct()
        for kind, model in LOGGED_SOURCES
    ]
    parts.append(
        DayScore.objects.filter(patient=patient, date__gte=first, date__lte=last, logged=True)
        .order_by()
        .annotate(kind=Value("score"), end=no_end, value=F("total"))
        .values_list("kind", "date", "end", "value")
    )
    parts.append(
        Relapse.objects.filter(patient=patient)
        .overlapping(first, last)
        .order_by()
        .annotate(kind=Value("relapse"), day=F("started_on"), end=F("ended_on"), value=no_value)
        .values_list("kind", "day", "end", "value")
    )
    union: models.QuerySet[Any] = parts[0].union(*parts[1:], all=True)
    return union


_prepared_months: dict[tuple[str, int], PreparedSQL] = {}


def month_entries(patient: User, first: date, last: date) -> MonthEntries:
    """The entries of a grid of whole weeks from `first` to `last`: one query, compiled once per
    process for each number of weeks."""
    key = (connection.vendor, (last - first).days)
    if key not in _prepared_months:
        stand_in = _month_union(User(pk=STAND_IN_PATIENT), STAND_IN_DAY, STAND_IN_DAY + (last - first))
        _prepared_months[key] = PreparedSQL.of(*stand_in.query.sql_with_params())
    prepared = _prepared_months[key]
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, prepared.params(patient.pk, first))
        rows = cursor.fetchall()
    entries = MonthEntries(defaultdict(list), {}, {})
    today = patient_today()
    for kind, day_value, end_value, value in rows:
        day, end = as_date(day_value), as_date(end_value) if end_value is not None else None
        if kind == "score":
            entries.scores[day] = float(value)
            continue
        if kind != "relapse":
            entries.kinds[day].append(kind)
            if kind == "fatigue":
                entries.fatigue[day] = round(value)
            continue
        stop = min(episode_last_day(day, end, today), last)
        d = max(day, first)
        while d <= stop:
            entries.kinds[d].append("relapse")
            d += timedelta(days=1)
    return entries


def as_date(value: date | str) -> date:
    """A date from a raw cursor (SQLite returns its ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def patients_with_entries_on(patient_ids: Iterable[int], day: date) -> set[int]:
    """Which of these patients logged anything on `day` (one query per kind of entry)."""
    ids = list(patient_ids)
    logged: set[int] = set()
    for _kind, model in LOGGED_SOURCES:
        if len(logged) == len(ids):
            break
        remaining = [pk for pk in ids if pk not in logged]
        logged.update(
            model._default_manager.filter(patient_id__in=remaining, date=day).values_list("patient_id", flat=True)
        )
    return logged


def patients_in_relapse_on(patient_ids: Iterable[int], day: date) -> set[int]:
    """Which of these patients have a relapse covering `day` in their log (one without an end date goes on)."""
    return set(
        Relapse.objects.filter(patient_id__in=list(patient_ids))
        .overlapping(day, day)
        .values_list("patient_id", flat=True)
    )


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
    return medicines_from_rows(day, list(medicines_query(patient, day)))


def medicines_query(patient: User, day: date) -> models.QuerySet[Medication]:
    """The medications asked about on a day, each with that day's answer as `taken` (None: not answered)."""
    answer = MedicationDay.objects.filter(medication=OuterRef("pk"), date=day).values("taken")[:1]
    return (
        Medication.objects.filter(patient=patient, ask_daily=True)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=day))
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=day))
        .annotate(taken=Subquery(answer, output_field=models.BooleanField()))
    )


def medicines_from_rows(day: date, rows: list[Medication]) -> MedicinesDay:
    # (`taken`: annotated by medicines_query)
    answers = {m.pk: taken for m in rows if (taken := getattr(m, "taken", None)) is not None}
    medications: list[Medication] = [*rows]
    return MedicinesDay(day, medications, answers)


def medicine_answers(patient: User, day: date) -> dict[int, bool]:
    """The "taken as usual" answers of one day, by medication id (no key: not answered)."""
    return dict(MedicationDay.objects.filter(patient=patient, date=day).values_list("medication_id", "taken"))


# ---------------------------------------------------------------- relapses

# The words of the relapse check, in one place: the patient's relapse list, the clinician's review
# page and the printed report all read an episode through `relapse_label`.
RELAPSE_HEADLINES = {
    QUALIFYING: _("Meets the definition of a relapse"),
    REASON_FEVER: _("Possible pseudo-relapse"),
    REASON_HEAT: _("Possible pseudo-relapse"),
    REASON_SHORT: _("A fluctuation (under 24 hours)"),
    REASON_DURATION_UNKNOWN: _("Duration not recorded"),
    # REASON_WITHIN_30: "Part of the relapse that began on <date>" (relapse_label formats it)
}
RELAPSE_REASON_TEXT = {
    REASON_FEVER: _("there was a fever or an infection when it started"),
    REASON_HEAT: _("there was exposure to heat when it started (hot weather, hot bath or shower, sauna, effort)"),
    REASON_SHORT: _("the symptoms lasted less than 24 hours"),
    REASON_DURATION_UNKNOWN: _("whether the symptoms lasted more than 24 hours was not recorded"),
    # REASON_WITHIN_30: counted in days since the last relapse began (relapse_label formats it)
}


@dataclass(frozen=True)
class RelapseLabel:
    """How one episode reads: a headline for the badge, every failed criterion in words, a tone."""

    code: str  # QUALIFYING or the headline's reason code
    headline: str
    reasons: list[str]
    qualifying: bool
    tone: str  # "relapse", "pseudo" (fever, infection or heat) or "other" (a fluctuation, part of a relapse...)
    why: str  # every reason in one sentence ("Why: ...; ..."), empty for a relapse


def _long_date(day: date) -> str:
    return formats.date_format(day, "j F Y")


def _within_30_text(anchor: date, days: int) -> str:
    if days == 0:
        return gettext("it began on the same day as the relapse that began on %(date)s") % {"date": _long_date(anchor)}
    return ngettext(
        "it began %(days)s day after the relapse that began on %(date)s (less than 30)",
        "it began %(days)s days after the relapse that began on %(date)s (less than 30)",
        days,
    ) % {"days": days, "date": _long_date(anchor)}


def relapse_label(check: RelapseCheck) -> RelapseLabel:
    """The words for one episode's check, in the active language."""
    code, anchor = check.headline, check.anchor
    # "Within 30 days" always has the relapse it is measured from (relapse_check sets both).
    if code == REASON_WITHIN_30 and anchor is not None:
        headline = gettext("Part of the relapse that began on %(date)s") % {"date": _long_date(anchor)}
    else:
        headline = str(RELAPSE_HEADLINES[code])
    reasons = [
        _within_30_text(anchor, check.days_since_anchor or 0)
        if reason == REASON_WITHIN_30 and anchor is not None
        else str(RELAPSE_REASON_TEXT[reason])
        for reason in check.reasons
    ]
    tone = "relapse" if check.qualifying else "pseudo" if code in PSEUDO_RELAPSE_REASONS else "other"
    why = gettext("Why: %(reasons)s.") % {"reasons": pgettext("between reasons", "; ").join(reasons)} if reasons else ""
    return RelapseLabel(code, headline, reasons, check.qualifying, tone, why)


def check_relapses(relapses: Iterable[Relapse]) -> dict[int, RelapseCheck]:
    """The clinical-definition check of each of one patient's relapses, by id.

    Pass every episode up to the last one to check: an episode is measured from the last
    qualifying relapse before it, however far back.
    """
    episodes = [Episode(r.pk, r.started_on, r.lasted_over_24h, r.fever_or_infection, r.heat_exposure) for r in relapses]
    return {int(key): check for key, check in relapse_checks(episodes).items()}  # type: ignore[call-overload]


@dataclass(frozen=True)
class CheckedEpisode:
    relapse: Relapse
    check: RelapseCheck
    label: RelapseLabel


def checked_episodes(patient: User, start: date | None = None, end: date | None = None) -> list[CheckedEpisode]:
    """The patient's episodes overlapping [start, end] (None: open), newest first, each with its check and words.

    One query: every episode up to `end` is read, since each is measured from the last qualifying
    relapse before it, however long ago it ended.
    """
    return episodes_among(list(episode_history(patient, end)), start)


def episode_history(patient: User, end: date | None = None) -> models.QuerySet[Relapse]:
    """Every episode the patient logged that started by `end` (None: all), newest first: what
    `checked_episodes` checks."""
    return Relapse.objects.filter(patient=patient).overlapping(None, end).order_by("-started_on", "-id")


def episodes_among(history: list[Relapse], start: date | None) -> list[CheckedEpisode]:
    """`checked_episodes` from `episode_history`'s rows: those still going on at `start` or later."""
    checks = check_relapses(history)
    return [
        CheckedEpisode(relapse, checks[relapse.pk], relapse_label(checks[relapse.pk]))
        for relapse in history
        if start is None or relapse.ended_on is None or relapse.ended_on >= start
    ]


# ---------------------------------------------------------------- food search


MAX_QUERY_CHARS = 80
MAX_QUERY_TERMS = 6


def _query_terms(query: str) -> list[str]:
    """The normalized words of a query, bounded so a pasted essay cannot make a long search."""
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


@dataclass(frozen=True)
class _Catalog:
    stamp: tuple[Any, ...]
    index: FoodIndex
    foods: dict[int, Food]


class _SharedCatalog:
    """The shared foods and their search index, kept in the process and rebuilt when the table
    changed: a cheap count/max query per search tells (it sees other processes' writes too)."""

    def __init__(self) -> None:
        self._catalog: _Catalog | None = None

    def current(self) -> _Catalog:
        with connection.cursor() as cursor:
            cursor.execute(_CATALOG_STAMP_SQL)
            stamp = tuple(cursor.fetchone() or ())
        catalog = self._catalog
        if catalog is None or catalog.stamp != stamp:
            foods = {food.pk: food for food in Food.objects.filter(owner__isnull=True).order_by("pk")}
            index = FoodIndex((pk, food.name_en, food.name_fr) for pk, food in foods.items())
            catalog = self._catalog = _Catalog(stamp=stamp, index=index, foods=foods)
        return catalog

    def forget(self) -> None:
        """Drop the cached catalog (tests roll the table back under it, ids and clock included)."""
        self._catalog = None


shared_catalog = _SharedCatalog()


@lru_cache(maxsize=256)
def _own_index(foods: tuple[tuple[int, str, str], ...]) -> FoodIndex:
    """The search index of one user's own foods, kept while their names stay the same."""
    return FoodIndex(foods)


@dataclass(frozen=True)
class _Habit:
    favourite: bool = False
    times: int = 0
    last: date | None = None

    def rank(self) -> tuple[int, int, int]:
        """Smaller first: favourites, then foods eaten more often, then more recently."""
        return (-int(self.favourite), -self.times, -(self.last or date.min).toordinal())


def _personal(user: User) -> tuple[tuple[tuple[int, str, str], ...], dict[int, _Habit]]:
    """The user's own foods (id, English and French names) and their history by food id:
    favourite, how often and when last eaten in the last 30 days. One SQL statement over the
    user's own rows, whatever the size of the catalog or of the history."""
    since = patient_today() - timedelta(days=RECENT_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(_PERSONAL_SQL, [user.pk, since, user.pk, user.pk])
        rows = cursor.fetchall()
    names: list[tuple[int, str, str]] = []
    habits: dict[int, _Habit] = {}
    for food, favourite, times, last, name_en, name_fr in rows:
        if name_en:
            names.append((food, name_en, name_fr))
        else:
            known = habits.get(food, _Habit())
            # SQLite gives MAX(date) as text.
            eaten = date.fromisoformat(last) if isinstance(last, str) else last
            habits[food] = _Habit(known.favourite or bool(favourite), known.times + times, eaten or known.last)
    return tuple(sorted(names)), habits


# Type-ahead runs these on every keystroke, so they are written once as plain SQL (the same on
# PostgreSQL and SQLite): building them with the ORM took 1.5 and 3 ms of CPU, running them 0.5.
# The tables are Food, MealItem and FavoriteFood (their default names).
_CATALOG_STAMP_SQL = "SELECT COUNT(id), MAX(id), MAX(updated_at) FROM tracker_food WHERE owner_id IS NULL"
_PERSONAL_SQL = """
    SELECT food_id, 0, COUNT(*), MAX(date), '', '' FROM tracker_mealitem
        WHERE patient_id = %s AND date >= %s GROUP BY food_id
    UNION ALL SELECT food_id, 1, 0, NULL, '', '' FROM tracker_favoritefood WHERE patient_id = %s
    UNION ALL SELECT id, 0, 0, NULL, name_en, name_fr FROM tracker_food WHERE owner_id = %s
"""


def search_foods(user: User | None, query: str, limit: int = 12, *, language: str | None = None) -> list[Food]:
    """Type-ahead over the shared catalog and the user's own foods, forgiving typos, plurals,
    synonyms, word order and accents, in English and French (`tracker.search` says how).

    Order: closeness to the query, then the user's history (favourites, then foods eaten more
    often, then more recently, in the last 30 days), then the finer closeness ties of
    `tracker.search.Match`, then the name. `language` picks the synonym file (default: the
    active language). Results carry is_favourite and last_eaten. Two queries whatever the
    catalog or the history: whether the catalog changed (then the catalog itself), and the
    user's own food names with their history; a third for the rows of their own foods found.
    An empty query gives the favourites, then the recent foods (latest first).
    """
    terms = _query_terms(query)
    if not terms:
        if user is None or not user.is_authenticated:
            return []
        return list(
            _ranked(user)
            .filter(Q(is_favourite=True) | Q(last_eaten__isnull=False))
            .order_by("-is_favourite", models.F("last_eaten").desc(nulls_last=True), "name_en", "pk")[:limit]
        )
    lang = (language or get_language() or "en")[:2]
    text = " ".join(terms)
    catalog = shared_catalog.current()
    found = catalog.index.match(text, lang)
    habits: dict[int, _Habit] = {}
    if user is not None and user.is_authenticated:
        own, habits = _personal(user)
        if own:
            found.update(_own_index(own).match(text, lang))
    found = without_needless_typos(found)
    blank = _Habit()

    def order(pk: int) -> tuple[Any, ...]:
        match = found[pk]
        return (
            -match.score,
            *habits.get(pk, blank).rank(),
            -match.canonical,
            -match.coverage,
            match.length,
            match.name,
            pk,
        )

    chosen = sorted(found, key=order)[:limit]
    own_rows = Food.objects.in_bulk([pk for pk in chosen if pk not in catalog.foods]) if user is not None else {}
    results = []
    for pk in chosen:
        # A copy of a cached shared food: a caller changing it must not change later searches.
        food = own_rows[pk] if pk in own_rows else copy.copy(catalog.foods[pk])
        habit = habits.get(pk, blank)
        food.is_favourite, food.last_eaten = habit.favourite, habit.last  # type: ignore[attr-defined]
        results.append(food)
    return results


def recent_foods(user: User, limit: int = 12) -> list[Food]:
    """Foods the user ate in the last 30 days, latest first (one query)."""
    return list(_ranked(user).filter(last_eaten__isnull=False).order_by("-last_eaten", "name_en", "pk")[:limit])


def favourites_query(user: User) -> models.QuerySet[Food]:
    """The user's favourite foods by name. Never another user's private food."""
    return (
        Food.objects.available_to(user)
        .filter(Exists(FavoriteFood.objects.filter(patient=user, food=OuterRef("pk"))))
        .order_by("name_en", "pk")
    )


def favourite_foods(user: User, limit: int | None = 50) -> list[Food]:
    """The user's favourite foods by name (one query)."""
    return list(favourites_query(user)[:limit])
