"""Exports of one patient's data: JSON (everything), CSV (everything, one long table) and FHIR R4.

The JSON and CSV exports hold every row of `clinic.selectors.patient_owned_querysets`,
the one list of "what is this patient's" (erasure deletes the same list).
"""

import csv
import io
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from accounts.models import Profile, User
from clinic.selectors import fiber_by_day, patient_owned_querysets
from guidance.models import DayScore
from tracker.measures import mfis_padded, mfis_scores
from tracker.models import FatigueRating, MFISResponse, SleepDiary

EXPORT_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_tables(patient: User, *, include_clinician_content: bool) -> dict[str, list[dict[str, Any]]]:
    """Every row of the patient's, as plain dicts, keyed by model label."""
    tables: dict[str, list[dict[str, Any]]] = {}
    # A clinician's export (the one with clinician content) holds no consent rows naming other clinicians.
    owned = patient_owned_querysets(
        patient, include_clinician_content=include_clinician_content, include_sharing=not include_clinician_content
    )
    for label, queryset in owned:
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


def export_json(patient: User, *, include_clinician_content: bool) -> str:
    tables = export_tables(patient, include_clinician_content=include_clinician_content)
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
        "patient": profile_dict(patient),
        "derived": {"mfis_scores": mfis},
        "tables": tables,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


# Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe. Numbers pass."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


CSV_HEADER = ["table", "row_id", "date", "field", "value"]
DATE_FIELDS = ("date", "started_on", "granted_at", "created_at")


def csv_rows(patient: User, *, include_clinician_content: bool) -> Iterable[list[Any]]:
    """One line per field of every row: a long table that holds every kind of entry."""
    yield CSV_HEADER
    for field_name, value in profile_dict(patient).items():
        yield ["accounts.Profile", patient.pk, "", field_name, value]
    for label, rows in export_tables(patient, include_clinician_content=include_clinician_content).items():
        for row in rows:
            row_date = next((row[f] for f in DATE_FIELDS if row.get(f)), "")
            for field_name, value in row.items():
                if field_name in {"id", "patient_id"}:
                    continue
                yield [label, row.get("id", ""), str(row_date)[:10], field_name, value]


def export_csv(patient: User, *, include_clinician_content: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in csv_rows(patient, include_clinician_content=include_clinician_content):
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()


# FHIR R4 ---------------------------------------------------------------------------------------

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def msgut_system(kind: str = "CodeSystem/msgut") -> str:
    """Our own canonical URLs live under the deployment's address (SITE_URL)."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/{kind}"


def _ref(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"


def _stable_id(*parts: Any) -> str:
    """The same row gets the same resource id in every export."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, msgut_system("/".join(str(p) for p in parts))))


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
    return {"coding": [{"system": msgut_system(), "code": code, "display": display}], "text": display}


def _quantity(value: float, unit: str, ucum: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum}}


def fhir_bundle(patient: User, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """A FHIR R4 collection Bundle: Patient, a QuestionnaireResponse per MFIS, Observations per day."""
    patient_id = _stable_id("Patient", patient.pk)
    patient_ref = _ref(patient_id)
    profile = Profile.objects.filter(user=patient).first()
    patient_resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "identifier": [{"system": msgut_system("NamingSystem/patient-id"), "value": str(patient.pk)}],
        "active": patient.is_active,
        "telecom": [{"system": "email", "value": patient.email}],
    }
    if patient.display_name:
        patient_resource["name"] = [{"text": patient.display_name}]
    if profile and profile.language:
        patient_resource["communication"] = [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": profile.language}]}, "preferred": True}
        ]
    resources: list[dict[str, Any]] = [patient_resource]

    def dated(queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if start is not None and end is not None:
            return queryset.filter(date__range=(start, end))
        return queryset

    for response in dated(MFISResponse.objects.filter(patient=patient)).order_by("date"):
        scores = mfis_scores(response.items)
        items = [
            {"linkId": str(number), "answer": [{"valueInteger": int(value)}]}
            for number, value in enumerate(mfis_padded(response.items), start=1)
            if value is not None
        ]
        if scores.total is not None:
            items.append({"linkId": "total", "text": "MFIS total (0-84)", "answer": [{"valueInteger": scores.total}]})
        resources.append(
            {
                "resourceType": "QuestionnaireResponse",
                "id": _stable_id("MFIS", response.pk),
                "questionnaire": msgut_system("Questionnaire/mfis-21"),
                "status": "completed" if response.completed else "in-progress",
                "subject": {"reference": patient_ref},
                "authored": response.date.isoformat(),
                "item": items,
            }
        )

    for pk, day, score in (
        dated(FatigueRating.objects.filter(patient=patient)).order_by("date").values_list("pk", "date", "score")
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
        dated(SleepDiary.objects.filter(patient=patient))
        .order_by("date")
        .values_list("pk", "date", "total_sleep_minutes")
    ):
        resources.append(
            _observation(
                patient_ref,
                ("Sleep", pk),
                day,
                {
                    "coding": [{"system": LOINC, "code": "93832-4", "display": "Sleep duration"}],
                    "text": "Sleep duration",
                },
                _quantity(round(minutes / 60, 2), "h", "h"),
                "activity",
            )
        )
    lo = start or date(1900, 1, 1)
    hi = end or date(9999, 12, 31)
    for day, grams in sorted(fiber_by_day(patient, lo, hi).items()):
        resources.append(
            _observation(
                patient_ref,
                ("Fiber", patient.pk, day),
                day,
                _msgut_code("fiber-intake", "Dietary fiber intake, day total"),
                _quantity(grams, "g", "g"),
                "survey",
            )
        )
    for pk, day, total in (
        dated(DayScore.objects.filter(patient=patient, logged=True)).order_by("date").values_list("pk", "date", "total")
    ):
        resources.append(
            _observation(
                patient_ref,
                ("DayScore", pk),
                day,
                _msgut_code("day-score", "msgut day score (0-100), dietary guidance adherence"),
                _quantity(round(total, 1), "score", "{score}"),
                "survey",
            )
        )

    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().astimezone(UTC).isoformat(),
        "entry": [{"fullUrl": _ref(r["id"]), "resource": r} for r in resources],
    }


def export_fhir(patient: User, start: date | None = None, end: date | None = None) -> str:
    return json.dumps(fhir_bundle(patient, start, end), ensure_ascii=False, indent=2)
