"""The patient's data as tables a person can read: one registry behind the CSV zip, the JSON and the README.

Each `ExportTable` builds its columns (name and meaning, in the reader's language) and its rows
(plain values: numbers, booleans, dates, text, None for "not recorded"). `clinic.exports` writes
them as CSV files, as the JSON's `readable` part, and as the README that explains every column:
one home, so a column cannot be exported without being explained.

`TABLES` covers every table the patient owns (`clinic.selectors.patient_models()`, plus their
private foods, saved meal items and profile): a test fails when a new one is neither exported
here nor listed in `NOT_EXPORTED` with the reason.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import MSCourse, Profile, User
from audit.models import Action, AuditEvent
from clinic.models import AccessGrant, ClinicianNote, EDSSScore, RelapseReview
from clinic.selectors import page_label
from guidance import scoring
from guidance.models import DayScore, RuleSetVersion
from guidance.rules import rule_title
from guidance.selectors import load_facts
from reminders.models import PushSubscription, ReminderLog, ReminderPreference
from tracker.measures import MFIS_ITEMS, mfis_padded, mfis_scores
from tracker.medications import DMT_BY_CODE
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    FavoriteFood,
    Food,
    FoodGroup,
    Lifestyle,
    MealItem,
    MealType,
    Medication,
    MedicationDay,
    MFISResponse,
    Relapse,
    SavedMealItem,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)
from tracker.selectors import check_relapses, relapse_label, today_of
from trends.models import WeeklySummary

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str  # stable English column name
    description: str  # what it holds, in the reader's language (unit, range)


@dataclass
class ExportContext:
    patient: User
    own: bool  # the patient's own copy (else a clinician's)
    today: date  # the patient's today
    language: str
    zone: zoneinfo.ZoneInfo
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def french(self) -> bool:
        return self.language.startswith("fr")


@dataclass(frozen=True)
class ExportTable:
    name: str  # file name without ".csv", key in the JSON
    title: Promise
    about: Promise
    covers: tuple[str, ...]  # model labels whose rows this file holds
    build: Callable[[ExportContext], tuple[list[Column], list[Row]]]
    own_only: bool = False  # only in the patient's own copy


# Bookkeeping tables with a patient foreign key that are not the patient's data.
NOT_EXPORTED: dict[str, Promise] = {
    "guidance.StaleDay": gettext_lazy("a queue of days waiting to be scored again; the scores themselves are in days"),
    "trends.PendingWeek": gettext_lazy("a queue of weeks waiting for their charts; the weeks themselves are in weeks"),
    "clinic.PatientFlags": gettext_lazy(
        "the clinician list's summary of recent days, worked out again from the entries in this copy"
    ),
}


def export_context(patient: User, *, own: bool, language: str) -> ExportContext:
    zone_name = Profile.objects.filter(user=patient).values_list("time_zone", flat=True).first()
    try:
        zone = zoneinfo.ZoneInfo(zone_name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return ExportContext(patient=patient, own=own, today=today_of(patient), language=language, zone=zone)


def tables_for(ctx: ExportContext) -> list[tuple[ExportTable, list[Column], list[Row]]]:
    """Every table of this copy with its columns and rows."""
    return [(table, *table.build(ctx)) for table in TABLES if ctx.own or not table.own_only]


# ---------------------------------------------------------------- helpers


def _cols(*pairs: tuple[str, str | Promise]) -> list[Column]:
    return [Column(name, str(description)) for name, description in pairs]


def _round(value: Any, digits: int = 1) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, digits)


def _food_name(food: Food, language: str) -> str:
    return food.name_fr if language.startswith("fr") and food.name_fr else food.name_en


def _groups_text(groups: Iterable[str] | None) -> str:
    return "; ".join(groups or [])


def _meal_label(value: str) -> str:
    return str(MealType(value).label) if value in MealType.values else value


def _clock(minutes: int) -> str:
    """A clock time from minutes relative to midnight (negative: the evening before)."""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _relapse_checks(ctx: ExportContext) -> dict[int, Any]:
    if "checks" not in ctx.cache:
        ctx.cache["checks"] = check_relapses(Relapse.objects.filter(patient=ctx.patient))
    return ctx.cache["checks"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- profile


def _profile(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("patient_id", gettext_lazy("your msgut number")),
        ("name", gettext_lazy("your name as shown in msgut")),
        ("email", gettext_lazy("your email address")),
        ("joined_utc", gettext_lazy("when the account was created (UTC)")),
        ("time_zone", gettext_lazy("your time zone: every date in these files is a day in this zone")),
        ("language", gettext_lazy("the language of msgut's pages (en, fr)")),
        ("ms_course", gettext_lazy("MS course code: cis, rr, sp, pp, or empty")),
        ("ms_course_text", gettext_lazy("MS course in words")),
        ("diagnosis_year", gettext_lazy("year of diagnosis")),
    )
    patient = ctx.patient
    profile = Profile.objects.filter(user=patient).first()
    course = profile.ms_course if profile else ""
    row = {
        "patient_id": patient.pk,
        "name": patient.display_name,
        "email": patient.email,
        "joined_utc": patient.date_joined,
        "time_zone": profile.time_zone if profile else "",
        "language": profile.language if profile else "",
        "ms_course": course,
        "ms_course_text": str(MSCourse(course).label) if course in MSCourse.values else "",
        "diagnosis_year": profile.diagnosis_year if profile else None,
    }
    return columns, [row]


# ---------------------------------------------------------------- days

# The day facts the scoring reads (guidance.selectors.load_facts), as readable columns.
FACT_COLUMNS: dict[str, tuple[str, Promise]] = {
    "fiber_g": ("fiber_g", gettext_lazy("grams of fiber, from the foods eaten and their composition")),
    "fermented": ("fermented_servings", gettext_lazy("servings of fermented foods (yogurt, kefir, sauerkraut…)")),
    "processed": (
        "processed_servings",
        gettext_lazy("servings of processed foods: ultra-processed, pro-inflammatory groups or added sugar"),
    ),
    "nova4": ("ultra_processed_servings", gettext_lazy("servings of ultra-processed foods (NOVA group 4)")),
    "added_sugar": ("added_sugar_servings", gettext_lazy("servings of foods with added sugar")),
    "raw_vegetable": ("raw_vegetable_servings", gettext_lazy("servings of vegetables eaten raw or as salad")),
    "red_processed_meat": ("red_processed_meat_servings", gettext_lazy("servings of red or processed meat")),
    "olive_oil_g": ("olive_oil_g", gettext_lazy("grams of olive oil")),
}
SLEEP_COLUMNS: tuple[tuple[str, Promise], ...] = (
    ("sleep_in_bed_at", gettext_lazy("time into bed the evening before (HH:MM)")),
    ("sleep_tried_at", gettext_lazy("time you tried to sleep (HH:MM)")),
    ("sleep_minutes_to_fall_asleep", gettext_lazy("minutes to fall asleep")),
    ("sleep_awakenings", gettext_lazy("number of awakenings")),
    ("sleep_minutes_awake", gettext_lazy("minutes awake during the night")),
    ("sleep_final_wake_at", gettext_lazy("final wake time (HH:MM)")),
    ("sleep_out_of_bed_at", gettext_lazy("time out of bed (HH:MM)")),
    ("sleep_quality", gettext_lazy("sleep quality, 1 very poor to 5 very good")),
    ("sleep_total_minutes", gettext_lazy("total sleep (minutes)")),
    ("sleep_time_in_bed_minutes", gettext_lazy("time in bed (minutes)")),
    ("sleep_efficiency_percent", gettext_lazy("sleep efficiency: total sleep ÷ time in bed (%)")),
    ("sleep_mid_sleep_at", gettext_lazy("middle of the night's sleep (HH:MM)")),
)
# Lifestyle fields that are bookkeeping, not answers.
LIFESTYLE_SKIP = {"id", "patient", "date", "created_at", "updated_at"}


def _rule_titles(ctx: ExportContext, scores: list[DayScore]) -> tuple[list[str], dict[str, str]]:
    """Rule keys found in the stored scores, in the current rule-set order (then first seen), and their titles."""
    if "rules" in ctx.cache:
        return ctx.cache["rules"]  # type: ignore[no-any-return]
    seen: list[str] = []
    for score in scores:
        for part in score.breakdown or []:
            if isinstance(part, dict) and part.get("key") and part["key"] not in seen:
                seen.append(part["key"])
    version_ids = {s.version_id for s in scores}
    titles: dict[str, str] = {}
    order: dict[str, int] = {}
    current = RuleSetVersion.objects.order_by("-number").first()
    versions = list(RuleSetVersion.objects.filter(pk__in=version_ids).order_by("number"))
    for version in [*versions, *([current] if current else [])]:  # the current titles win
        for position, spec in enumerate(version.rules or []):
            titles[spec["key"]] = rule_title(spec, "fr" if ctx.french else "en")
            if version is current:
                order[spec["key"]] = position
    keys = sorted(seen, key=lambda k: (order.get(k, len(order)), seen.index(k)))
    ctx.cache["rules"] = (keys, titles)
    return keys, titles


def _facts_by_day(ctx: ExportContext) -> dict[date, dict[str, Any]]:
    frame = load_facts([ctx.patient.pk], None, None)
    if frame.empty:
        return {}
    frame["day"] = pd.to_datetime(frame["date"]).dt.date
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    return {row["day"]: row for row in records}


def _days(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    patient = ctx.patient
    mine: dict[str, Any] = {"patient": patient}
    rows: dict[date, Row] = defaultdict(dict)

    scores = list(DayScore.objects.filter(**mine).select_related("version").order_by("date"))
    keys, titles = _rule_titles(ctx, scores)
    symptoms = list(CustomSymptom.objects.filter(**mine).order_by("name"))
    lifestyle_fields = [f for f in Lifestyle._meta.concrete_fields if f.name not in LIFESTYLE_SKIP]

    columns = _cols(
        ("date", gettext_lazy("the day (YYYY-MM-DD)")),
        (
            "day_score",
            gettext_lazy(
                "day score, 0-100: how closely the day followed msgut's dietary guidance; empty without meals"
            ),
        ),
        ("rule_set_version", gettext_lazy("the version of the guidance rules that scored the day")),
    )
    for key in keys:
        title = titles.get(key, key)
        columns += [
            Column(f"{key}_points", _("points for “%(rule)s” that day") % {"rule": title}),
            Column(f"{key}_possible", _("points “%(rule)s” could give that day") % {"rule": title}),
        ]
    columns += _cols(("meal_items", gettext_lazy("number of foods logged that day")))
    fact_names = [m for m in scoring.FOOD_MEASURES if m in FACT_COLUMNS or m in FoodGroup.values]
    for measure in fact_names:
        if measure in FACT_COLUMNS:
            name, description = FACT_COLUMNS[measure]
            columns.append(Column(name, str(description)))
        else:
            label = FoodGroup(measure).label
            columns.append(
                Column(
                    f"servings_{measure}",
                    _("servings of “%(group)s” foods (grams ÷ each food's usual portion)") % {"group": label},
                )
            )
    columns += _cols(("fatigue", gettext_lazy("fatigue, 0 none to 10 worst")), *SLEEP_COLUMNS)
    columns += _cols(
        ("mood", gettext_lazy("mood, 0 very low to 10 very good")),
        ("stress", gettext_lazy("stress, 0 none to 10 extreme")),
        ("note", gettext_lazy("your note of the day")),
        ("stool_events", gettext_lazy("number of bowel movements logged")),
        ("bristol_types", gettext_lazy("their Bristol stool types, 1-7, in the order logged")),
    )
    for symptom in symptoms:
        columns.append(
            Column(f"symptom: {symptom.name}", _("your rating of “%(name)s”, 0-10") % {"name": symptom.name})
        )
    for model_field in lifestyle_fields:
        columns.append(Column(model_field.name, str(model_field.verbose_name)))
    columns += _cols(
        (
            "medicines_as_usual",
            gettext_lazy(
                "yes: every medicine you confirm daily taken as usual; no: at least one not; empty: not answered"
            ),
        ),
        ("relapse_day", gettext_lazy("yes when a relapse you logged covers the day")),
    )

    for score in scores:
        if not score.logged:
            continue
        row = rows[score.date]
        row["day_score"] = _round(score.total)
        row["rule_set_version"] = score.version.number
        for part in score.breakdown or []:
            if isinstance(part, dict) and part.get("key") in keys:
                row[f"{part['key']}_points"] = _round(part.get("points"), 2)
                row[f"{part['key']}_possible"] = _round(part.get("possible"), 2)
    counts: dict[date, int] = defaultdict(int)
    for day in MealItem.objects.filter(**mine).values_list("date", flat=True):
        counts[day] += 1
    for day, count in counts.items():
        rows[day]["meal_items"] = count
    facts = _facts_by_day(ctx)
    for day, fact in facts.items():
        if not fact.get("logged"):
            continue
        row = rows[day]
        for measure in fact_names:
            name = FACT_COLUMNS[measure][0] if measure in FACT_COLUMNS else f"servings_{measure}"
            row[name] = _round(fact.get(measure), 2)
    for day, rating in FatigueRating.objects.filter(**mine).values_list("date", "score"):
        rows[day]["fatigue"] = rating
    for sleep in SleepDiary.objects.filter(**mine):
        rows[sleep.date].update(
            sleep_in_bed_at=sleep.in_bed_at,
            sleep_tried_at=sleep.tried_sleep_at,
            sleep_minutes_to_fall_asleep=sleep.minutes_to_fall_asleep,
            sleep_awakenings=sleep.awakenings,
            sleep_minutes_awake=sleep.minutes_awake,
            sleep_final_wake_at=sleep.final_wake_at,
            sleep_out_of_bed_at=sleep.out_of_bed_at,
            sleep_quality=sleep.quality,
            sleep_total_minutes=sleep.total_sleep_minutes,
            sleep_time_in_bed_minutes=sleep.time_in_bed_minutes,
            sleep_efficiency_percent=_round(sleep.efficiency * 100),
            sleep_mid_sleep_at=_clock(sleep.mid_sleep_minutes),
        )
    for day, mood, stress, note in SymptomLog.objects.filter(**mine).values_list("date", "mood", "stress", "note"):
        rows[day].update(mood=mood, stress=stress, note=note)
    for day, bristol in (
        StoolEvent.objects.filter(**mine).order_by("date", "created_at", "id").values_list("date", "bristol_type")
    ):
        row = rows[day]
        row["stool_events"] = row.get("stool_events", 0) + 1
        row["bristol_types"] = f"{row['bristol_types']}; {bristol}" if row.get("bristol_types") else str(bristol)
    for day, name, rating in SymptomRating.objects.filter(**mine).values_list("date", "symptom__name", "score"):
        rows[day][f"symptom: {name}"] = rating
    for lifestyle in Lifestyle.objects.filter(**mine):
        rows[lifestyle.date].update({f.name: getattr(lifestyle, f.name) for f in lifestyle_fields})
    answers: dict[date, list[bool]] = defaultdict(list)
    for day, taken in MedicationDay.objects.filter(**mine).values_list("date", "taken"):
        answers[day].append(taken)
    for day, values in answers.items():
        rows[day]["medicines_as_usual"] = all(values)
    relapse_days = _relapse_days(ctx)
    table = []
    for day in sorted(rows):
        row = {"date": day, **rows[day], "relapse_day": day in relapse_days}
        table.append({c.name: row.get(c.name) for c in columns})
    return columns, table


def _relapse_days(ctx: ExportContext) -> set[date]:
    days: set[date] = set()
    for started, ended in Relapse.objects.filter(patient=ctx.patient).values_list("started_on", "ended_on"):
        last = ended or max(ctx.today, started)
        days.update(started + timedelta(days=n) for n in range((last - started).days + 1))
    return days


# ---------------------------------------------------------------- foods eaten

QUARTER = 0.25
PORTION_TOLERANCE = 0.01  # within 1 % of a quarter portion: written as portions


def quantity_and_unit(grams: float, portion_g: float) -> tuple[float, str]:
    """How the amount reads best: a count of the food's usual portion when it is a multiple of ¼, else grams."""
    if portion_g > 0:
        portions = grams / portion_g
        quarters = round(portions / QUARTER) * QUARTER
        if quarters > 0 and abs(portions - quarters) <= PORTION_TOLERANCE * quarters:
            return quarters, "portion"
    return round(grams, 1), "g"


def _foods(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("date", gettext_lazy("the day (YYYY-MM-DD)")),
        ("meal", gettext_lazy("meal code: breakfast, lunch, dinner, snack")),
        ("meal_text", gettext_lazy("the meal in words")),
        ("food_name_en", gettext_lazy("the food's name in English")),
        ("food_name_fr", gettext_lazy("the food's name in French")),
        ("grams", gettext_lazy("amount eaten (g)")),
        ("quantity", gettext_lazy("the amount as a count of portions, or in grams (see unit)")),
        ("unit", gettext_lazy("portion (the food's usual portion, see portion_measure) or g")),
        ("portion_measure_en", gettext_lazy("what one portion is, in English (for example 1 bowl)")),
        ("portion_measure_fr", gettext_lazy("what one portion is, in French")),
        ("fiber_g", gettext_lazy("grams of fiber in the amount eaten")),
        ("nova_group", gettext_lazy("NOVA processing group, 1 not processed to 4 ultra-processed")),
        ("food_groups", gettext_lazy("the food's groups, separated by “; ”")),
        ("fermented", gettext_lazy("yes for a fermented food")),
        ("private_food", gettext_lazy("yes for a food you added yourself")),
        ("composition_source", gettext_lazy("where the food's composition comes from")),
        ("food_id", gettext_lazy("the food's number (the same food has the same number in every file)")),
    )
    rows = []
    for item in MealItem.objects.filter(patient=ctx.patient).select_related("food").order_by("date", "meal", "id"):
        food = item.food
        quantity, unit = quantity_and_unit(item.grams, food.default_portion_g)
        rows.append(
            {
                "date": item.date,
                "meal": item.meal,
                "meal_text": _meal_label(item.meal),
                "food_name_en": food.name_en,
                "food_name_fr": food.name_fr,
                "grams": round(item.grams, 1),
                "quantity": quantity,
                "unit": unit,
                "portion_measure_en": food.household_measure_en,
                "portion_measure_fr": food.household_measure_fr,
                "fiber_g": round(item.grams * food.fiber_g_per_100g / 100, 1),
                "nova_group": food.nova_group,
                "food_groups": _groups_text(food.groups),
                "fermented": food.fermented,
                "private_food": food.owner_id is not None,
                "composition_source": food.source,
                "food_id": food.pk,
            }
        )
    return columns, rows


# ---------------------------------------------------------------- relapses and clinicians' readings


def _relapses(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("relapse_id", gettext_lazy("the relapse's number (links to relapse_reviews.csv)")),
        ("started_on", gettext_lazy("first day")),
        ("ended_on", gettext_lazy("last day; empty while it goes on")),
        ("ongoing", gettext_lazy("yes while it goes on")),
        ("duration_days", gettext_lazy("days from the first to the last day (to today while it goes on)")),
        ("symptoms", gettext_lazy("the symptoms, as you described them")),
        ("severity", gettext_lazy("mild, moderate or severe")),
        (
            "lasted_over_24h",
            gettext_lazy("yes when the symptoms lasted more than 24 hours, no when not; empty when not recorded"),
        ),
        ("fever_or_infection", gettext_lazy("yes when there was a fever or an infection at the start")),
        ("heat_exposure", gettext_lazy("yes when you were overheated at the start (hot weather, bath, sauna, effort)")),
        ("treated_with_steroids", gettext_lazy("yes when treated with steroids")),
        ("recovery", gettext_lazy("ongoing, full, partial or none")),
        ("days_since_last_relapse", gettext_lazy("days since the last relapse that met the definition began")),
        ("meets_definition", gettext_lazy("yes when it meets the clinical definition of a relapse")),
        ("reading", gettext_lazy("how msgut reads it, as on your Relapses page")),
        (
            "not_met_because",
            gettext_lazy("codes of the criteria not met: fever; heat; short; duration_unknown; within_30"),
        ),
        ("not_met_because_text", gettext_lazy("the same, in words")),
        ("clinician_readings", gettext_lazy("how many clinicians gave their reading (see relapse_reviews.csv)")),
    )
    checks = _relapse_checks(ctx)
    readings: dict[int, int] = defaultdict(int)
    for relapse_id in RelapseReview.objects.filter(relapse__patient=ctx.patient).values_list("relapse_id", flat=True):
        readings[relapse_id] += 1
    rows = []
    for relapse in Relapse.objects.filter(patient=ctx.patient).order_by("started_on", "id"):
        check = checks[relapse.pk]
        label = relapse_label(check)
        last = relapse.ended_on or max(ctx.today, relapse.started_on)
        rows.append(
            {
                "relapse_id": relapse.pk,
                "started_on": relapse.started_on,
                "ended_on": relapse.ended_on,
                "ongoing": relapse.ended_on is None,
                "duration_days": (last - relapse.started_on).days + 1,
                "symptoms": relapse.symptoms,
                "severity": relapse.severity,
                "lasted_over_24h": relapse.lasted_over_24h,
                "fever_or_infection": relapse.fever_or_infection,
                "heat_exposure": relapse.heat_exposure,
                "treated_with_steroids": relapse.steroids,
                "recovery": relapse.recovery,
                "days_since_last_relapse": check.days_since_anchor,
                "meets_definition": check.qualifying,
                "reading": label.headline,
                "not_met_because": "; ".join(check.reasons),
                "not_met_because_text": "; ".join(label.reasons),
                "clinician_readings": readings[relapse.pk],
            }
        )
    return columns, rows


def _reviews(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("relapse_id", gettext_lazy("the relapse's number in relapses.csv")),
        ("relapse_started_on", gettext_lazy("the relapse's first day")),
        ("reviewer", gettext_lazy("the clinician who read it")),
        ("verdict", gettext_lazy("their reading: confirmed, pseudo (pseudo-relapse) or unsure")),
        ("verdict_text", gettext_lazy("the reading in words")),
        ("annotation", gettext_lazy("their annotation")),
        ("updated_utc", gettext_lazy("when they last changed it (UTC)")),
    )
    rows = [
        {
            "relapse_id": review.relapse_id,
            "relapse_started_on": review.relapse.started_on,
            "reviewer": review.reviewer_name,
            "verdict": review.verdict,
            "verdict_text": str(review.get_verdict_display()),
            "annotation": review.note,
            "updated_utc": review.updated_at,
        }
        for review in RelapseReview.objects.filter(relapse__patient=ctx.patient)
        .select_related("relapse")
        .order_by("relapse__started_on", "updated_at", "id")
    ]
    return columns, rows


# ---------------------------------------------------------------- MFIS


def _mfis(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("date", gettext_lazy("the day you answered")),
        ("completed", gettext_lazy("yes when all 21 questions were answered and sent")),
        ("answered", gettext_lazy("questions answered, 0-21")),
        ("total", gettext_lazy("MFIS total, 0-84 (empty until every question is answered)")),
        ("physical", gettext_lazy("physical subscale, 0-36")),
        ("cognitive", gettext_lazy("cognitive subscale, 0-40")),
        ("psychosocial", gettext_lazy("psychosocial subscale, 0-8")),
        ("mfis5", gettext_lazy("MFIS-5 (the five-item short form), 0-20")),
    )
    for number in range(1, MFIS_ITEMS + 1):
        columns.append(
            Column(f"item_{number}", _("answer to question %(n)s: 0 never to 4 almost always") % {"n": number})
        )
    rows = []
    for response in MFISResponse.objects.filter(patient=ctx.patient).order_by("date", "id"):
        scores = mfis_scores(response.items)
        row: Row = {"date": response.date, "completed": response.completed, **vars(scores)}
        row.update({f"item_{n}": value for n, value in enumerate(mfis_padded(response.items), start=1)})
        rows.append({c.name: row.get(c.name) for c in columns})
    return columns, rows


# ---------------------------------------------------------------- medications and EDSS


def _medications(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("medication_id", gettext_lazy("the medicine's number (links to medication_days.csv)")),
        ("name", gettext_lazy("the medicine as shown in msgut")),
        ("therapy", gettext_lazy("code of the disease-modifying therapy picked from the list; empty when typed")),
        ("therapy_name_en", gettext_lazy("that therapy's name in English")),
        ("therapy_name_fr", gettext_lazy("that therapy's name in French")),
        ("disease_modifying", gettext_lazy("yes for a disease-modifying therapy for MS")),
        ("atc_code", gettext_lazy("the therapy's WHO ATC code (2024 index)")),
        ("dose", gettext_lazy("the dose, as written")),
        ("started_on", gettext_lazy("first day taken")),
        ("stopped_on", gettext_lazy("last day taken; empty if still taken")),
        ("current", gettext_lazy("yes when still taken today")),
        ("asked_daily", gettext_lazy("yes when msgut asks each day whether it was taken as usual")),
        ("days_answered", gettext_lazy("days with an answer")),
        ("days_as_usual", gettext_lazy("days answered “as usual”")),
        ("days_not_as_usual", gettext_lazy("days answered “not as usual”")),
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for medication_id, taken in MedicationDay.objects.filter(patient=ctx.patient).values_list("medication_id", "taken"):
        counts[medication_id][0] += 1
        counts[medication_id][1] += int(taken)
    rows = []
    for medication in Medication.objects.filter(patient=ctx.patient).order_by("started_on", "id"):
        therapy = DMT_BY_CODE.get(medication.therapy)
        answered, as_usual = counts[medication.pk]
        rows.append(
            {
                "medication_id": medication.pk,
                "name": medication.display_name,
                "therapy": medication.therapy,
                "therapy_name_en": therapy.name_en if therapy else "",
                "therapy_name_fr": therapy.name_fr if therapy else "",
                "disease_modifying": medication.is_dmt,
                "atc_code": therapy.atc if therapy else "",
                "dose": medication.dose,
                "started_on": medication.started_on,
                "stopped_on": medication.stopped_on,
                "current": medication.is_current(ctx.today),
                "asked_daily": medication.ask_daily,
                "days_answered": answered,
                "days_as_usual": as_usual,
                "days_not_as_usual": answered - as_usual,
            }
        )
    return columns, rows


def _medication_days(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("date", gettext_lazy("the day")),
        ("medication_id", gettext_lazy("the medicine's number in medications.csv")),
        ("medication", gettext_lazy("the medicine")),
        ("taken_as_usual", gettext_lazy("yes: taken as usual; no: missed, late or changed")),
    )
    rows = [
        {
            "date": answer.date,
            "medication_id": answer.medication_id,
            "medication": answer.medication.display_name,
            "taken_as_usual": answer.taken,
        }
        for answer in MedicationDay.objects.filter(patient=ctx.patient)
        .select_related("medication")
        .order_by("date", "medication_id")
    ]
    return columns, rows


def _edss(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("assessed_on", gettext_lazy("the day of the examination")),
        (
            "edss",
            gettext_lazy("EDSS (Expanded Disability Status Scale) score: 0, then 1.0 to 9.5 in half steps, then 10"),
        ),
        ("recorded_by", gettext_lazy("the clinician who recorded it")),
        ("note", gettext_lazy("the clinician's note")),
        ("recorded_utc", gettext_lazy("when it was recorded (UTC)")),
    )
    rows = [
        {
            "assessed_on": edss.assessed_on,
            "edss": edss.score,
            "recorded_by": edss.recorded_by_name,
            "note": edss.note,
            "recorded_utc": edss.created_at,
        }
        for edss in EDSSScore.objects.filter(patient=ctx.patient).order_by("assessed_on", "id")
    ]
    return columns, rows


def _notes(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("written_utc", gettext_lazy("when the note was written (UTC)")),
        ("author", gettext_lazy("the clinician who wrote it")),
        ("edited", gettext_lazy("yes when it was changed after it was written")),
        ("note", gettext_lazy("the note")),
    )
    rows = [
        {
            "written_utc": note.created_at,
            "author": note.author_name,
            # Saved a second or more after it was written: changed by its author.
            "edited": (note.updated_at - note.created_at).total_seconds() >= 1,
            "note": note.body,
        }
        for note in ClinicianNote.objects.filter(patient=ctx.patient).order_by("created_at", "id")
    ]
    return columns, rows


# ---------------------------------------------------------------- weeks


def _weeks(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    weeks = list(WeeklySummary.objects.filter(patient=ctx.patient).order_by("week_start"))
    keys: list[str] = []
    for week in weeks:
        for part in week.rule_means or []:
            if isinstance(part, dict) and part.get("key") and part["key"] not in keys:
                keys.append(part["key"])
    _day_keys, titles = _rule_titles(ctx, list(DayScore.objects.filter(patient=ctx.patient, logged=True)[:1]))
    columns = _cols(
        ("week_start", gettext_lazy("the Monday the week starts")),
        ("iso_week", gettext_lazy("ISO week number (YYYY-Www)")),
        ("days_logged", gettext_lazy("days with any entry")),
        ("meal_days", gettext_lazy("days with meals")),
        ("sleep_nights", gettext_lazy("nights with a sleep diary")),
        ("fatigue_days", gettext_lazy("days with a fatigue rating")),
        ("score_days", gettext_lazy("days with a day score")),
        ("mean_score", gettext_lazy("average day score, 0-100, over the days with meals")),
    )
    for key in keys:
        columns.append(
            Column(f"{key}_mean_points", _("average points for “%(rule)s”") % {"rule": titles.get(key, key)})
        )
    columns += _cols(
        ("fiber_g", gettext_lazy("average grams of fiber per day with meals")),
        ("fermented_servings", gettext_lazy("average servings of fermented foods per day with meals")),
        ("processed_servings", gettext_lazy("average servings of processed foods per day with meals")),
        ("sleep_hours", gettext_lazy("average sleep per night (hours)")),
        ("mid_sleep_spread_minutes", gettext_lazy("how much the middle of sleep moved from night to night (minutes)")),
        ("fatigue_mean", gettext_lazy("average fatigue, 0-10")),
        ("relapse_days", gettext_lazy("days of the week within a relapse")),
    )
    rows = []
    for week in weeks:
        row: Row = {
            "week_start": week.week_start,
            "iso_week": f"{week.iso_year}-W{week.iso_week:02d}",
            "days_logged": week.days_logged,
            "meal_days": week.meal_days,
            "sleep_nights": week.sleep_nights,
            "fatigue_days": week.fatigue_days,
            "score_days": week.score_days,
            "mean_score": _round(week.mean_score),
            "fiber_g": _round(week.fiber_g),
            "fermented_servings": _round(week.fermented_servings, 2),
            "processed_servings": _round(week.processed_servings, 2),
            "sleep_hours": _round(week.sleep_minutes / 60, 2) if week.sleep_minutes is not None else None,
            "mid_sleep_spread_minutes": _round(week.mid_sleep_sd_minutes),
            "fatigue_mean": _round(week.fatigue_mean),
            "relapse_days": week.relapse_days,
        }
        for part in week.rule_means or []:
            if isinstance(part, dict) and part.get("key"):
                row[f"{part['key']}_mean_points"] = _round(part.get("points"), 2)
        rows.append({c.name: row.get(c.name) for c in columns})
    return columns, rows


# ---------------------------------------------------------------- the patient's own lists


def _custom_symptoms(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("symptom", gettext_lazy("a symptom you rate each day")),
        ("active", gettext_lazy("yes while it is on your day page")),
    )
    rows = [
        {"symptom": name, "active": active}
        for name, active in CustomSymptom.objects.filter(patient=ctx.patient).values_list("name", "active")
    ]
    return columns, rows


# Catalog fields that are bookkeeping, not the food.
FOOD_SKIP = {"id", "owner", "search_text", "created_at", "updated_at"}


def _private_foods(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    fields = [f for f in Food._meta.concrete_fields if f.name not in FOOD_SKIP]
    columns = [Column("food_id", str(gettext_lazy("the food's number (as in foods.csv)")))]
    for model_field in fields:
        description = str(model_field.verbose_name)
        if model_field.name == "groups":
            description = str(gettext_lazy("the food's groups, separated by “; ”"))
        elif model_field.name == "nova_group":
            description = str(gettext_lazy("NOVA processing group, 1 not processed to 4 ultra-processed"))
        name = "food_groups" if model_field.name == "groups" else model_field.name
        columns.append(Column(name, description))
    rows = []
    for food in Food.objects.filter(owner=ctx.patient).order_by("name_en", "id"):
        row: Row = {"food_id": food.pk}
        for model_field in fields:
            value = getattr(food, model_field.attname)
            if model_field.name == "groups":
                row["food_groups"] = _groups_text(value)
            else:
                row[model_field.name] = value
        rows.append(row)
    return columns, rows


def _saved_meals(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("saved_meal", gettext_lazy("the name you gave the meal")),
        ("food_name_en", gettext_lazy("the food's name in English")),
        ("food_name_fr", gettext_lazy("the food's name in French")),
        ("grams", gettext_lazy("amount (g)")),
    )
    rows = [
        {
            "saved_meal": item.saved_meal.name,
            "food_name_en": item.food.name_en,
            "food_name_fr": item.food.name_fr,
            "grams": round(item.grams, 1),
        }
        for item in SavedMealItem.objects.filter(saved_meal__patient=ctx.patient)
        .select_related("saved_meal", "food")
        .order_by("saved_meal__name", "id")
    ]
    return columns, rows


def _favourites(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("food_name_en", gettext_lazy("the food's name in English")),
        ("food_name_fr", gettext_lazy("the food's name in French")),
    )
    rows = [
        {"food_name_en": fav.food.name_en, "food_name_fr": fav.food.name_fr}
        for fav in FavoriteFood.objects.filter(patient=ctx.patient).select_related("food").order_by("food__name_en")
    ]
    return columns, rows


# ---------------------------------------------------------------- sharing and the access log (own copy only)


def _sharing(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("clinician", gettext_lazy("the clinician you shared with")),
        ("granted_utc", gettext_lazy("when you gave access (UTC)")),
        ("revoked_utc", gettext_lazy("when you stopped it (UTC); empty while it lasts")),
        ("via", gettext_lazy("how: code (their invite code) or invitation")),
        ("consent_version", gettext_lazy("the version of the consent wording you agreed to")),
        ("consent_language", gettext_lazy("the language it was shown in")),
    )
    rows = [
        {
            "clinician": str(grant.clinician),
            "granted_utc": grant.granted_at,
            "revoked_utc": grant.revoked_at,
            "via": grant.via,
            "consent_version": grant.wording.version,
            "consent_language": grant.language,
        }
        for grant in AccessGrant.objects.filter(patient=ctx.patient)
        .select_related("clinician", "wording")
        .order_by("granted_at", "id")
    ]
    return columns, rows


def _reminders(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        (
            "what",
            gettext_lazy(
                "setting: your reminder choices; device: a browser allowed to show notifications; sent: one reminder"
            ),
        ),
        ("detail", gettext_lazy("the setting's value, the browser, or the kind of reminder and how it was sent")),
        ("date", gettext_lazy("the day a reminder was for (for a weekly summary, its Monday)")),
        ("when_utc", gettext_lazy("when the device was added, or the reminder was sent (UTC)")),
        ("status", gettext_lazy("for a reminder: sent, skipped, failed or queued")),
    )
    rows: list[Row] = []
    preference = ReminderPreference.objects.filter(patient=ctx.patient).first()
    if preference is not None:
        for name in ("daily_email", "daily_push", "at", "weekly_email", "weekly_push", "quiet_during_relapse"):
            value = getattr(preference, name)
            rows.append(
                {"what": "setting", "detail": f"{name}={value}", "date": None, "when_utc": None, "status": None}
            )
    for device in PushSubscription.objects.filter(patient=ctx.patient):
        rows.append(
            {"what": "device", "detail": device.user_agent, "date": None, "when_utc": device.created_at, "status": None}
        )
    for log in ReminderLog.objects.filter(patient=ctx.patient).order_by("local_date", "pk"):
        rows.append(
            {
                "what": "sent",
                "detail": f"{log.kind} {log.channel}",
                "date": log.local_date,
                "when_utc": log.sent_at,
                "status": log.status,
            }
        )
    return columns, rows


def _access_log(ctx: ExportContext) -> tuple[list[Column], list[Row]]:
    columns = _cols(
        ("when_utc", gettext_lazy("when (UTC)")),
        ("when_local", gettext_lazy("when, in your time zone")),
        ("who", gettext_lazy("who (name, or the email used)")),
        ("role", gettext_lazy("their role: patient, clinician or admin")),
        ("action", gettext_lazy("what happened (code)")),
        ("action_text", gettext_lazy("what happened, in words")),
        ("page", gettext_lazy("the page or export concerned")),
        ("ip", gettext_lazy("the internet address used, on your own actions only")),
    )
    patient = ctx.patient
    rows = []
    events = AuditEvent.objects.for_patient(patient).select_related("actor").order_by("created_at", "id")
    for event in events:
        actor = event.actor
        mine = event.actor_id == patient.pk
        rows.append(
            {
                "when_utc": event.created_at,
                "when_local": event.created_at.astimezone(ctx.zone).replace(tzinfo=None),
                "who": (actor.display_name or actor.email) if actor else event.actor_email,
                "role": actor.role if actor else "",
                "action": event.action,
                "action_text": str(Action(event.action).label) if event.action in Action.values else event.action,
                "page": page_label(event.what),
                "ip": event.ip if mine else None,
            }
        )
    return columns, rows


TABLES: list[ExportTable] = [
    ExportTable(
        "profile",
        gettext_lazy("Profile"),
        gettext_lazy("Who this data is about."),
        ("accounts.Profile",),
        _profile,
    ),
    ExportTable(
        "days",
        gettext_lazy("Days"),
        gettext_lazy(
            "One row per day with any entry: the day score and each rule's points, what the foods add up to, fatigue, sleep, mood, digestion, your own symptoms, lifestyle and medicines."
        ),
        (
            "guidance.DayScore",
            "tracker.FatigueRating",
            "tracker.SleepDiary",
            "tracker.SymptomLog",
            "tracker.StoolEvent",
            "tracker.SymptomRating",
            "tracker.Lifestyle",
        ),
        _days,
    ),
    ExportTable(
        "foods",
        gettext_lazy("Foods eaten"),
        gettext_lazy("One row per food eaten, with its name, meal and amount."),
        ("tracker.MealItem",),
        _foods,
    ),
    ExportTable(
        "relapses",
        gettext_lazy("Relapses"),
        gettext_lazy("One row per relapse you logged, with the check against the clinical definition."),
        ("tracker.Relapse",),
        _relapses,
    ),
    ExportTable(
        "relapse_reviews",
        gettext_lazy("Clinicians' readings of relapses"),
        gettext_lazy("What clinicians you share with wrote about your relapses."),
        ("clinic.RelapseReview",),
        _reviews,
    ),
    ExportTable(
        "mfis",
        gettext_lazy("MFIS questionnaires"),
        gettext_lazy("One row per Modified Fatigue Impact Scale questionnaire, with its scores and answers."),
        ("tracker.MFISResponse",),
        _mfis,
    ),
    ExportTable(
        "medications",
        gettext_lazy("Medicines"),
        gettext_lazy("Your list of medicines, with how often you confirmed taking them as usual."),
        ("tracker.Medication",),
        _medications,
    ),
    ExportTable(
        "medication_days",
        gettext_lazy("Medicines, day by day"),
        gettext_lazy("One row per “taken as usual” answer."),
        ("tracker.MedicationDay",),
        _medication_days,
    ),
    ExportTable(
        "edss",
        gettext_lazy("EDSS scores"),
        gettext_lazy("The EDSS scores your clinicians recorded after examining you."),
        ("clinic.EDSSScore",),
        _edss,
    ),
    ExportTable(
        "notes",
        gettext_lazy("Clinicians' notes"),
        gettext_lazy("The notes clinicians you share with wrote about you."),
        ("clinic.ClinicianNote",),
        _notes,
    ),
    ExportTable(
        "weeks",
        gettext_lazy("Weeks"),
        gettext_lazy("One row per week: the numbers behind the weekly charts."),
        ("trends.WeeklySummary",),
        _weeks,
    ),
    ExportTable(
        "custom_symptoms",
        gettext_lazy("Your symptoms"),
        gettext_lazy("The symptoms you chose to rate each day."),
        ("tracker.CustomSymptom",),
        _custom_symptoms,
    ),
    ExportTable(
        "private_foods",
        gettext_lazy("Your own foods"),
        gettext_lazy("The foods you added to the catalog, with their composition."),
        ("tracker.Food",),
        _private_foods,
    ),
    ExportTable(
        "saved_meals",
        gettext_lazy("Saved meals"),
        gettext_lazy("The meals you saved to add again in one tap."),
        ("tracker.SavedMeal", "tracker.SavedMealItem"),
        _saved_meals,
    ),
    ExportTable(
        "favourite_foods",
        gettext_lazy("Favourite foods"),
        gettext_lazy("The foods you marked as favourites."),
        ("tracker.FavoriteFood",),
        _favourites,
    ),
    ExportTable(
        "sharing",
        gettext_lazy("Sharing"),
        gettext_lazy("Every access you gave a clinician, and when you stopped it."),
        ("clinic.AccessGrant",),
        _sharing,
        own_only=True,
    ),
    ExportTable(
        "reminders",
        gettext_lazy("Reminders"),
        gettext_lazy("Your reminder settings, the browsers allowed to show notifications, and every reminder sent."),
        ("reminders.ReminderPreference", "reminders.PushSubscription", "reminders.ReminderLog"),
        _reminders,
        own_only=True,
    ),
    ExportTable(
        "access_log",
        gettext_lazy("Access log"),
        gettext_lazy("Everything recorded about your data: who viewed or exported it, and when (the full log)."),
        ("audit.AuditEvent",),
        _access_log,
        own_only=True,
    ),
]


def plain(value: Any) -> Any:
    """A JSON value: numbers, booleans and null as they are, dates and times as ISO text."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return float(value)
    return value


def readable_tables(ctx: ExportContext) -> dict[str, list[Row]]:
    """Every table of this copy as JSON-ready rows, keyed by file name."""
    return {
        table.name: [{k: plain(v) for k, v in row.items()} for row in rows] for table, _cols_, rows in tables_for(ctx)
    }
