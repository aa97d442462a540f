"""Exports of one patient's data: a zip of readable CSV tables with a README, JSON, and a FHIR R4 Bundle.

The readable tables are defined once in `clinic.readable` (CSV, the JSON's `readable` part and
the README all come from there). The JSON also keeps every raw row of
`clinic.selectors.patient_owned_querysets`, the one list of "what is this patient's" (erasure
deletes the same list). The patient's own copy holds everything, clinicians' notes and readings
and the full access log included; a clinician's copy holds the patient's data only: not whom
else they share with, nor who looked at it.
"""

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts.models import MSCourse, Profile, User
from clinic import readable
from clinic.models import EDSSScore, RelapseReview
from clinic.selectors import fiber_by_day, patient_owned_querysets
from guidance.models import DayScore
from tracker.measures import (
    REASON_DURATION_UNKNOWN,
    REASON_FEVER,
    REASON_HEAT,
    REASON_SHORT,
    REASON_WITHIN_30,
    mfis_padded,
    mfis_scores,
)
from tracker.medications import DMT_BY_CODE
from tracker.models import (
    FatigueRating,
    FavoriteFood,
    Food,
    MealItem,
    Medication,
    MedicationDay,
    MFISResponse,
    Relapse,
    SavedMealItem,
    SleepDiary,
)
from tracker.selectors import check_relapses, relapse_label, today_of

EXPORT_VERSION = 2


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_tables(patient: User, *, own: bool) -> dict[str, list[dict[str, Any]]]:
    """Every raw row of the patient's, as plain dicts keyed by model label.

    Queue bookkeeping is left out; a clinician's copy leaves out the patient's grants, which name
    the other clinicians they share with.
    """
    left_out = set(readable.NOT_EXPORTED)
    tables: dict[str, list[dict[str, Any]]] = {}
    # A clinician's copy holds no consent or reminder rows: they are about reaching and sharing, not health.
    for label, queryset in patient_owned_querysets(patient, include_clinician_content=True, own=own):
        if label not in left_out:
            tables[label] = [{key: _plain(value) for key, value in row.items()} for row in queryset.values()]
    return tables


def profile_dict(patient: User) -> dict[str, Any]:
    profile = Profile.objects.filter(user=patient).first()
    return {
        "id": patient.pk,
        "email": patient.email,
        "name": patient.display_name,
        "joined": _plain(patient.date_joined),
        "time_zone": profile.time_zone if profile else "",
        "language": profile.language if profile else "",
        "ms_course": profile.ms_course if profile else "",
        "diagnosis_year": profile.diagnosis_year if profile else None,
    }


def _context(patient: User, own: bool) -> readable.ExportContext:
    return readable.export_context(patient, own=own, language=get_language() or "en")


def referenced_foods(patient: User) -> list[dict[str, Any]]:
    """Every food the patient's rows point to (eaten, saved, favourite, their own), with names and composition."""
    eaten = MealItem.objects.filter(patient=patient).values("food_id")
    saved = SavedMealItem.objects.filter(saved_meal__patient=patient).values("food_id")
    favourite = FavoriteFood.objects.filter(patient=patient).values("food_id")
    foods = Food.objects.filter(Q(pk__in=eaten) | Q(pk__in=saved) | Q(pk__in=favourite) | Q(owner=patient))
    return [
        {
            "id": food.pk,
            "name_en": food.name_en,
            "name_fr": food.name_fr,
            "default_portion_g": food.default_portion_g,
            "household_measure_en": food.household_measure_en,
            "household_measure_fr": food.household_measure_fr,
            "fiber_g_per_100g": food.fiber_g_per_100g,
            "sat_fat_g_per_100g": food.sat_fat_g_per_100g,
            "added_sugar": food.added_sugar,
            "nova_group": food.nova_group,
            "fermented": food.fermented,
            "raw": food.raw,
            "groups": list(food.groups or []),
            "source": food.source,
            "private": food.owner_id is not None,
        }
        for food in foods.distinct().order_by("pk")
    ]


def export_json(patient: User, *, own: bool) -> str:
    ctx = _context(patient, own)
    mfis = [
        {"date": _plain(d), "completed": completed, **vars(mfis_scores(items))}
        for d, completed, items in MFISResponse.objects.filter(patient=patient)
        .order_by("date")
        .values_list("date", "completed", "items")
    ]
    document = {
        "format": "msgut-export",
        "version": EXPORT_VERSION,
        "exported_at": _plain(timezone.now()),
        "audience": "patient" if own else "clinician",
        "patient": profile_dict(patient),
        "readable": readable.readable_tables(ctx),
        "foods": referenced_foods(patient),
        "derived": {"mfis_scores": mfis},
        "tables": export_tables(patient, own=own),
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


# Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe. Numbers pass."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    """One CSV cell by the README's conventions: yes/no, ISO dates, HH:MM, UTC times with Z, empty = not recorded."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return neutralise_cell(value)


def csv_text(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """A CSV file: BOM (spreadsheets then read accents right), CRLF, every text cell and header neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in header])
    return buffer.getvalue()


def readme_text(
    ctx: readable.ExportContext,
    tables: list[tuple[readable.ExportTable, list[readable.Column], list[readable.Row]]],
    *,
    prepared_for: str = "",
) -> str:
    """README.txt in the exporter's language: what the files are, how to open them, every column explained."""
    patient = ctx.patient
    lines = [
        _("msgut export: %(name)s (msgut no. %(id)s), %(date)s")
        % {"name": patient.display_name or patient.email, "id": patient.pk, "date": ctx.today.isoformat()},
        _("Your own copy of everything msgut holds about you.")
        if ctx.own
        else _("Copy for %(clinician)s: the patient's data only.") % {"clinician": prepared_for},
        "",
        _("HOW TO OPEN THE FILES"),
        _("Each .csv file is a table. In Excel: Data > From Text/CSV, file origin UTF-8, delimiter comma."),
        _("In LibreOffice Calc: open the file, character set Unicode (UTF-8), separated by comma."),
        "",
        _("CONVENTIONS"),
        _("Dates are YYYY-MM-DD, days in your time zone (%(zone)s); clock times are HH:MM.") % {"zone": ctx.zone.key},
        _("Columns ending in _utc are ISO 8601 times in UTC (the Z at the end)."),
        _("Decimals use a point; yes and no are written yes and no; an empty cell means not recorded."),
        _("Rows are oldest first. Column names stay in English so that the files read the same in any language."),
        _(
            "A cell that starts with = + - or @ gets an apostrophe in front, so that no spreadsheet runs it as a formula."
        ),
        "",
        _(
            "Day scores measure how closely meals followed the dietary guidance; they support, and never replace, medical care."
        ),
    ]
    for table, columns, rows in tables:
        lines += [
            "",
            f"{table.name}.csv — {table.title} ({ngettext('%(n)s row', '%(n)s rows', len(rows)) % {'n': len(rows)}})",
            str(table.about),
        ]
        lines += [f"{column.name} — {column.description}" for column in columns]
    return "\r\n".join(lines) + "\r\n"


def export_zip(patient: User, *, own: bool, prepared_for: str = "") -> bytes:
    """The readable tables as CSV files and README.txt, in one folder named after the patient and the day."""
    ctx = _context(patient, own)
    tables = readable.tables_for(ctx)
    folder = f"msgut-{patient.pk}-{ctx.today.isoformat()}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/README.txt", readme_text(ctx, tables, prepared_for=prepared_for).encode("utf-8"))
        for table, columns, rows in tables:
            archive.writestr(f"{folder}/{table.name}.csv", csv_text([c.name for c in columns], rows).encode("utf-8"))
    return buffer.getvalue()


# FHIR R4 ---------------------------------------------------------------------------------------
#
# A `collection` Bundle of plain dicts (fhir.resources validates them in the tests, with its R4B
# models: the package root is R5, whose MedicationStatement and Condition differ from R4's).
# Codes: LOINC, SNOMED CT and WHO ATC where a standard code exists for exactly what is stored;
# our own code system under the deployment's address otherwise. Validation is structural: the
# codes themselves are pinned by tests.

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"  # HL7's URI for the WHO ATC classification
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
MEDICATION_STATEMENT_CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-statement-category"

# The MS course in the profile, as SNOMED CT disorders. CIS is not MS (it may never become MS) and
# SNOMED CT has no concept for it that we could verify: text only, no code that would claim MS.
MS_CONDITIONS: dict[str, tuple[str, str] | None] = {
    MSCourse.RR: ("426373005", "Relapsing remitting multiple sclerosis"),
    MSCourse.SP: ("425500002", "Secondary progressive multiple sclerosis"),
    MSCourse.PP: ("428700003", "Primary progressive multiple sclerosis"),
    MSCourse.CIS: None,
    "": ("24700007", "Multiple sclerosis"),
}
MS_RELAPSE = ("192929006", "Exacerbation of multiple sclerosis")
SEVERITY = {"mild": ("255604002", "Mild"), "moderate": ("6736007", "Moderate"), "severe": ("24484000", "Severe")}
EDSS_SNOMED = ("273554001", "Kurtzke multiple sclerosis rating scale")
SLEEP_LOINC = ("93832-4", "Sleep duration")
# "Estimated": computed from food-composition tables (81057-2 is the measured intake).
FIBER_LOINC = ("81133-1", "Fiber intake 24 hour Estimated")
# A clinician's latest reading -> Condition.verificationStatus.
VERDICT_STATUS: dict[str, str] = {RelapseReview.Verdict.CONFIRMED: "confirmed", RelapseReview.Verdict.PSEUDO: "refuted"}
MFIS_SCORE_CODES = (
    ("total", "mfis-total", "MFIS total score (0-84)"),
    ("physical", "mfis-physical", "MFIS physical subscale (0-36)"),
    ("cognitive", "mfis-cognitive", "MFIS cognitive subscale (0-40)"),
    ("psychosocial", "mfis-psychosocial", "MFIS psychosocial subscale (0-8)"),
    ("mfis5", "mfis-5", "MFIS-5 score (0-20)"),
)
REASON_DISPLAY = {
    REASON_FEVER: "Fever or infection at onset",
    REASON_HEAT: "Overheated at onset",
    REASON_SHORT: "Symptoms lasted less than 24 hours",
    REASON_DURATION_UNKNOWN: "Whether symptoms lasted over 24 hours was not recorded",
    REASON_WITHIN_30: "Began less than 30 days after the onset of the last relapse",
}


def _yes_no(value: bool | None) -> str:
    return "not recorded" if value is None else "yes" if value else "no"


def msgut_system(kind: str = "CodeSystem/msgut") -> str:
    """Our own canonical URLs live under the deployment's address (SITE_URL)."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/{kind}"


def _ref(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"


def _stable_id(*parts: Any) -> str:
    """The same row gets the same resource id in every export."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, msgut_system("/".join(str(p) for p in parts))))


def _coding(system: str, code_display: tuple[str, str]) -> dict[str, str]:
    return {"system": system, "code": code_display[0], "display": code_display[1]}


def _local(code: str, display: str) -> dict[str, str]:
    return {"system": msgut_system(), "code": code, "display": display}


def _concept(*codings: dict[str, str], text: str = "") -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": list(codings)}
    if text:
        concept["text"] = text
    return concept


def _observation(
    patient_ref: str, key: tuple[Any, ...], day: date, code: dict[str, Any], value: dict[str, Any], category: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": _stable_id(*key),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "code": code,
        "subject": {"reference": patient_ref},
        "effectiveDateTime": day.isoformat(),
        **value,
    }


def _msgut_code(code: str, display: str) -> dict[str, Any]:
    return _concept(_local(code, display), text=display)


def _quantity(value: float, unit: str, ucum: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum}}


def _score(value: float) -> dict[str, Any]:
    return _quantity(value, "score", "{score}")


def _patient_resource(patient: User, profile: Profile | None, patient_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "identifier": [{"system": msgut_system("NamingSystem/patient-id"), "value": str(patient.pk)}],
        "active": patient.is_active,
        "telecom": [{"system": "email", "value": patient.email}],
    }
    if patient.display_name:
        resource["name"] = [{"text": patient.display_name}]
    if profile and profile.language:
        resource["communication"] = [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": profile.language}]}, "preferred": True}
        ]
    return resource


def _ms_condition(patient: User, profile: Profile | None, patient_ref: str) -> dict[str, Any]:
    course = profile.ms_course if profile else ""
    code = MS_CONDITIONS.get(course, MS_CONDITIONS[""])
    text = "Clinically isolated syndrome" if course == MSCourse.CIS else (code[1] if code else "Multiple sclerosis")
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": _stable_id("MSCondition", patient.pk),
        "clinicalStatus": _concept({"system": CONDITION_CLINICAL, "code": "active"}),
        "verificationStatus": _concept({"system": CONDITION_VERIFICATION, "code": "confirmed"}),
        "category": [_concept({"system": CONDITION_CATEGORY, "code": "problem-list-item"})],
        "code": _concept(_coding(SNOMED, code), text=text) if code else {"text": text},
        "subject": {"reference": patient_ref},
        "asserter": {"reference": patient_ref},
    }
    if profile and profile.diagnosis_year:
        resource["onsetDateTime"] = str(profile.diagnosis_year)
    return resource


def _relapse_conditions(patient: User, patient_ref: str) -> list[dict[str, Any]]:
    relapses = list(Relapse.objects.filter(patient=patient).order_by("started_on", "id"))
    checks = check_relapses(relapses)
    reviews: dict[int, list[RelapseReview]] = {}
    for review in RelapseReview.objects.filter(relapse__patient=patient).order_by("updated_at", "id"):
        reviews.setdefault(review.relapse_id, []).append(review)
    resources = []
    for relapse in relapses:
        check = checks[relapse.pk]
        label = relapse_label(check)  # the words of the patient's and the clinician's pages
        if check.qualifying:
            codings = [_local("meets", "Meets the clinical definition of a relapse")]
        else:
            codings = [_local(code, REASON_DISPLAY.get(code, code)) for code in check.reasons]
        sentence = f"{label.headline}: {'; '.join(label.reasons)}" if label.reasons else label.headline
        readings = reviews.get(relapse.pk, [])
        latest = readings[-1].verdict if readings else None
        verification = VERDICT_STATUS.get(latest or "") or ("provisional" if check.qualifying else "differential")
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": _stable_id("Relapse", relapse.pk),
            "extension": [
                {
                    "url": msgut_system("StructureDefinition/relapse-definition-check"),
                    "valueCodeableConcept": _concept(*codings, text=sentence),
                }
            ],
            "clinicalStatus": _concept(
                {"system": CONDITION_CLINICAL, "code": "resolved" if relapse.ended_on else "active"}
            ),
            "verificationStatus": _concept({"system": CONDITION_VERIFICATION, "code": verification}),
            "category": [_concept({"system": CONDITION_CATEGORY, "code": "problem-list-item"})],
            "severity": _concept(_coding(SNOMED, SEVERITY[relapse.severity]))
            if relapse.severity in SEVERITY
            else {"text": relapse.severity},
            "code": _concept(_coding(SNOMED, MS_RELAPSE), text="MS relapse (patient-reported)"),
            "subject": {"reference": patient_ref},
            "onsetDateTime": relapse.started_on.isoformat(),
            "recordedDate": timezone.localdate(relapse.created_at).isoformat(),
            "asserter": {"reference": patient_ref},
            "note": [
                {
                    "text": (
                        f"Symptoms: {relapse.symptoms}. Lasted over 24 hours: {_yes_no(relapse.lasted_over_24h)}. "
                        f"Fever or infection at onset: {_yes_no(relapse.fever_or_infection)}. "
                        f"Overheated at onset: {_yes_no(relapse.heat_exposure)}. "
                        f"Steroids: {'yes' if relapse.steroids else 'no'}. Recovery: {relapse.recovery}."
                    )
                },
                *(
                    {
                        "authorString": review.reviewer_name or "a former clinician",
                        "time": review.updated_at.astimezone(UTC).isoformat(),
                        "text": f"{review.get_verdict_display()}" + (f": {review.note}" if review.note else ""),
                    }
                    for review in readings
                ),
            ],
        }
        if relapse.ended_on:
            resource["abatementDateTime"] = relapse.ended_on.isoformat()
        resources.append(resource)
    return resources


def _medication_statements(patient: User, patient_ref: str, today: date) -> tuple[list[dict[str, Any]], dict[int, str]]:
    resources = []
    ids: dict[int, str] = {}
    for medication in Medication.objects.filter(patient=patient).order_by("started_on", "id"):
        resource_id = _stable_id("Medication", medication.pk)
        ids[medication.pk] = resource_id
        therapy = DMT_BY_CODE.get(medication.therapy)
        codings = []
        if therapy and therapy.atc:
            codings.append({"system": ATC, "code": therapy.atc})
        if therapy:
            codings.append(
                {"system": msgut_system("CodeSystem/msgut-dmt"), "code": therapy.code, "display": therapy.name_en}
            )
        medicine: dict[str, Any] = {"text": medication.name or (therapy.name_en if therapy else "")}
        if codings:
            medicine["coding"] = codings
        resource: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": resource_id,
            "status": "completed" if medication.stopped_on and medication.stopped_on < today else "active",
            "category": _concept({"system": MEDICATION_STATEMENT_CATEGORY, "code": "patientspecified"}),
            "medicationCodeableConcept": medicine,
            "subject": {"reference": patient_ref},
            "dateAsserted": medication.updated_at.astimezone(UTC).isoformat(),
            "informationSource": {"reference": patient_ref},
        }
        period = {}
        if medication.started_on:
            period["start"] = medication.started_on.isoformat()
        if medication.stopped_on:
            period["end"] = medication.stopped_on.isoformat()
        if period:
            resource["effectivePeriod"] = period
        if medication.dose:
            resource["dosage"] = [{"text": medication.dose}]
        resources.append(resource)
    return resources, ids


def fhir_bundle(patient: User) -> dict[str, Any]:
    """A FHIR R4 collection Bundle of everything clinical the patient logged, all their history."""
    patient_id = _stable_id("Patient", patient.pk)
    patient_ref = _ref(patient_id)
    profile = Profile.objects.filter(user=patient).first()
    today = today_of(patient)
    resources: list[dict[str, Any]] = [
        _patient_resource(patient, profile, patient_id),
        _ms_condition(patient, profile, patient_ref),
        *_relapse_conditions(patient, patient_ref),
    ]

    for response in MFISResponse.objects.filter(patient=patient).order_by("date", "id"):
        scores = mfis_scores(response.items)
        response_id = _stable_id("MFIS", response.pk)
        resources.append(
            {
                "resourceType": "QuestionnaireResponse",
                "id": response_id,
                "questionnaire": msgut_system("Questionnaire/mfis-21"),
                "status": "completed" if response.completed else "in-progress",
                "subject": {"reference": patient_ref},
                "authored": response.date.isoformat(),
                "item": [
                    {"linkId": str(number), "answer": [{"valueInteger": int(value)}]}
                    for number, value in enumerate(mfis_padded(response.items), start=1)
                    if value is not None
                ],
            }
        )
        if not response.completed:
            continue
        for attribute, code, display in MFIS_SCORE_CODES:
            value = getattr(scores, attribute)
            if value is None:
                continue
            observation = _observation(
                patient_ref,
                ("MFISScore", response.pk, code),
                response.date,
                _msgut_code(code, display),
                _score(value),
                "survey",
            )
            observation["derivedFrom"] = [{"reference": _ref(response_id)}]
            resources.append(observation)

    for pk, day, score in (
        FatigueRating.objects.filter(patient=patient).order_by("date").values_list("pk", "date", "score")
    ):
        resources.append(
            _observation(
                patient_ref,
                ("Fatigue", pk),
                day,
                _msgut_code("fatigue-nrs", "Fatigue, 0 (none) to 10 (worst)"),
                {"valueInteger": score},
                "survey",
            )
        )
    for pk, day, minutes in (
        SleepDiary.objects.filter(patient=patient).order_by("date").values_list("pk", "date", "total_sleep_minutes")
    ):
        resources.append(
            _observation(
                patient_ref,
                ("Sleep", pk),
                day,
                _concept(_coding(LOINC, SLEEP_LOINC), text="Sleep duration"),
                _quantity(round(minutes / 60, 2), "h", "h"),
                "activity",
            )
        )
    for day, grams in sorted(fiber_by_day(patient, date(1900, 1, 1), date(9999, 12, 31)).items()):
        resources.append(
            _observation(
                patient_ref,
                ("Fiber", patient.pk, day),
                day,
                _concept(
                    _coding(LOINC, FIBER_LOINC),
                    _local("fiber-intake", "Dietary fiber intake, day total"),
                    text="Fiber (g per day)",
                ),
                _quantity(grams, "g", "g"),
                "survey",
            )
        )
    for pk, day, total in (
        DayScore.objects.filter(patient=patient, logged=True).order_by("date").values_list("pk", "date", "total")
    ):
        resources.append(
            _observation(
                patient_ref,
                ("DayScore", pk),
                day,
                _msgut_code("day-score", "msgut day score (0-100), dietary guidance adherence"),
                _score(round(total, 1)),
                "survey",
            )
        )
    french = bool(profile and profile.language.startswith("fr"))
    for item in MealItem.objects.filter(patient=patient).select_related("food").order_by("date", "meal", "id"):
        food = item.food
        local_name = food.name_fr if french and food.name_fr else food.name_en
        observation = _observation(
            patient_ref,
            ("MealItem", item.pk),
            item.date,
            _concept(_local("food-eaten", "Food eaten (portion)"), text=f"{local_name}, {item.grams:g} g"),
            _quantity(round(item.grams, 1), "g", "g"),
            "survey",
        )
        observation["component"] = [
            {
                "code": _concept(_local("food", "Food")),
                "valueCodeableConcept": _concept(
                    {"system": msgut_system("CodeSystem/msgut-food"), "code": str(food.pk), "display": food.name_en},
                    text=local_name,
                ),
            },
            {
                "code": _concept(_local("meal", "Meal")),
                "valueCodeableConcept": _concept(_local(item.meal, item.meal.capitalize())),
            },
        ]
        resources.append(observation)
    for edss in EDSSScore.objects.filter(patient=patient).order_by("assessed_on", "id"):
        observation = _observation(
            patient_ref,
            ("EDSS", edss.pk),
            edss.assessed_on,
            _concept(
                _coding(SNOMED, EDSS_SNOMED),
                _local("edss", "Expanded Disability Status Scale (EDSS) score"),
                text="EDSS",
            ),
            _score(float(edss.score)),
            "exam",
        )
        observation["performer"] = [{"display": edss.recorded_by_name or "a former clinician"}]
        if edss.note:
            observation["note"] = [{"text": edss.note}]
        resources.append(observation)
    statements, statement_ids = _medication_statements(patient, patient_ref, today)
    resources += statements
    for answer in MedicationDay.objects.filter(patient=patient).order_by("date", "medication_id"):
        observation = _observation(
            patient_ref,
            ("MedicationDay", answer.pk),
            answer.date,
            _msgut_code("medication-taken-as-usual", "Medication taken as usual"),
            {"valueBoolean": answer.taken},
            "survey",
        )
        observation["focus"] = [{"reference": _ref(statement_ids[answer.medication_id])}]
        resources.append(observation)

    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().astimezone(UTC).isoformat(),
        "entry": [{"fullUrl": _ref(r["id"]), "resource": r} for r in resources],
    }


def export_fhir(patient: User) -> str:
    return json.dumps(fhir_bundle(patient), ensure_ascii=False, indent=2)
