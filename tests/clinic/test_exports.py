import csv
import io
import json
from datetime import time, timedelta

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from clinic.exports import neutralise_cell
from clinic.models import ConsentWording
from clinic.selectors import patient_owned_querysets
from clinic.services import add_note, grant_access
from guidance.models import DayScore, RuleSetVersion
from tests.clinic.conftest import add_relapse, clinician_client_for
from tests.factories import ClinicianFactory, PatientFactory
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    Food,
    Lifestyle,
    MealItem,
    MFISResponse,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)


def fill(patient, today, note="fine"):
    food = Food.objects.create(name_en="Lentils", default_portion_g=150, fiber_g_per_100g=8)
    own_food = Food.objects.create(name_en="My granola", default_portion_g=50, fiber_g_per_100g=10, owner=patient)
    version, _ = RuleSetVersion.objects.get_or_create(number=1)
    for offset in range(3):
        day = today - timedelta(days=offset)
        FatigueRating.objects.create(patient=patient, date=day, score=offset + 3)
        SleepDiary.objects.create(
            patient=patient,
            date=day,
            in_bed_at=time(22, 30),
            tried_sleep_at=time(23, 0),
            minutes_to_fall_asleep=15,
            awakenings=1,
            minutes_awake=10,
            final_wake_at=time(6, 45),
            out_of_bed_at=time(7, 0),
            quality=3,
            total_sleep_minutes=440,
        )
        MealItem.objects.create(patient=patient, date=day, meal="lunch", food=food, grams=150)
        MealItem.objects.create(patient=patient, date=day, meal="breakfast", food=own_food, grams=50)
        SymptomLog.objects.create(patient=patient, date=day, mood=5, stress=4, note=note)
        Lifestyle.objects.create(patient=patient, date=day, activity_minutes=30)
        StoolEvent.objects.create(patient=patient, date=day, bristol_type=4)
        DayScore.objects.create(patient=patient, date=day, version=version, total=61.5, breakdown=[])
    symptom = CustomSymptom.objects.create(patient=patient, name="tingling")
    SymptomRating.objects.create(patient=patient, date=today, symptom=symptom, score=3)
    MFISResponse.objects.create(patient=patient, date=today, items=[2] * 21, completed=True)
    MFISResponse.objects.create(patient=patient, date=today - timedelta(days=1), items=[1, 2, None], completed=False)
    add_relapse(patient, today - timedelta(days=20))


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        (-4, -4),
        (3.5, 3.5),
    ],
)
def test_csv_cells_that_start_a_formula_are_neutralised(raw, safe):
    assert neutralise_cell(raw) == safe


def test_the_csv_download_neutralises_what_the_patient_typed(patient_client, patient, today):
    fill(patient, today, note="=cmd|' /C calc'!A0")
    CustomSymptom.objects.create(patient=patient, name="@evil")
    response = patient_client.get(reverse("clinic:export", args=[patient.pk, "csv"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    values = [row[4] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in values
    assert "'@evil" in values
    assert not any(v.startswith(("=", "+", "@")) for v in values)


def test_every_download_is_an_attachment_that_is_never_cached(patient, clinician, granted, today):
    client = clinician_client_for(clinician)
    for fmt in ("csv", "json", "fhir"):
        response = client.get(reverse("clinic:export", args=[patient.pk, fmt]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="msgut-')
        assert "no-store" in response["Cache-Control"]
    assert client.get(reverse("clinic:export", args=[patient.pk, "xml"])).status_code == 404


def test_the_fhir_bundle_validates_and_holds_each_kind_of_resource(patient_client, patient, today):
    fill(patient, today)
    response = patient_client.get(reverse("clinic:export", args=[patient.pk, "fhir"]))
    document = json.loads(response.content)
    bundle = Bundle.model_validate(document)  # raises on any invalid resource
    assert bundle.type == "collection"
    kinds = [entry.resource.__resource_type__ for entry in bundle.entry]
    assert kinds.count("Patient") == 1
    assert kinds.count("QuestionnaireResponse") == 2
    observations = [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Observation"]
    codes = {(c["system"].rsplit("/", 1)[-1], c["code"]) for o in observations for c in o["code"]["coding"]}
    assert ("loinc.org", "93832-4") in codes
    assert {"fatigue-nrs", "fiber-intake", "day-score"} <= {code for _system, code in codes}
    assert len(observations) == 3 * 4  # fatigue, sleep, fiber and day score on three days
    fiber = [o for o in observations if o["code"]["coding"][0]["code"] == "fiber-intake"]
    assert fiber[0]["valueQuantity"]["value"] == 17.0  # 150 g lentils at 8 g + 50 g granola at 10 g
    patient_ref = document["entry"][0]["fullUrl"]
    assert all(
        e["resource"].get("subject", {"reference": patient_ref})["reference"] == patient_ref for e in document["entry"]
    )
    completed = [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert {r["status"] for r in completed} == {"completed", "in-progress"}


def test_the_json_export_holds_all_the_patients_rows_and_nobody_elses(patient_client, patient, today):
    fill(patient, today)
    other = PatientFactory()
    fill(other, today, note="someone else's day")
    response = patient_client.get(reverse("clinic:export", args=[patient.pk, "json"]))
    document = json.loads(response.content)
    assert document["patient"]["email"] == patient.email
    for label, queryset in patient_owned_querysets(patient, include_clinician_content=False):
        exported = document["tables"].get(label, [])
        assert sorted(row["id"] for row in exported) == sorted(queryset.values_list("pk", flat=True)), label
    text = response.content.decode()
    assert "someone else's day" not in text
    assert other.email not in text
    ids = {row["patient_id"] for rows in document["tables"].values() for row in rows if "patient_id" in row}
    assert ids == {patient.pk}
    assert len(document["tables"]["tracker.MealItem"]) == 6
    assert document["derived"]["mfis_scores"][-1]["total"] == 42


def test_the_csv_export_holds_every_row(patient_client, patient, today):
    fill(patient, today)
    response = patient_client.get(reverse("clinic:export", args=[patient.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["table", "row_id", "date", "field", "value"]
    seen = {(row[0], row[1]) for row in rows[1:]}
    for label, queryset in patient_owned_querysets(patient, include_clinician_content=False):
        for pk in queryset.values_list("pk", flat=True):
            assert (label, str(pk)) in seen, label


def test_clinician_notes_are_in_the_clinicians_export_only(patient, patient_client, clinician, granted):
    add_note(patient=patient, author=clinician, body="clinician working note")
    mine = patient_client.get(reverse("clinic:export", args=[patient.pk, "json"])).content.decode()
    assert "clinician working note" not in mine
    theirs = clinician_client_for(clinician).get(reverse("clinic:export", args=[patient.pk, "json"])).content.decode()
    assert "clinician working note" in theirs


def test_a_clinicians_export_holds_the_patients_data_only_not_their_other_clinicians(
    patient, patient_client, clinician, granted
):
    other = ClinicianFactory(email="another.doctor@example.org", display_name="Dr Other")
    grant_access(patient=patient, clinician=other, wording=ConsentWording.current())
    client = clinician_client_for(clinician)
    for fmt in ("json", "csv", "fhir"):
        body = client.get(reverse("clinic:export", args=[patient.pk, fmt])).content.decode()
        assert "clinic.AccessGrant" not in body, fmt
        assert other.email not in body and "Dr Other" not in body, fmt
        assert f'"clinician_id": {other.pk}' not in body, fmt
    # The patient's own export still lists who they share with: it is theirs.
    mine = json.loads(patient_client.get(reverse("clinic:export", args=[patient.pk, "json"])).content)
    assert {row["clinician_id"] for row in mine["tables"]["clinic.AccessGrant"]} == {clinician.pk, other.pk}
