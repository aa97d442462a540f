"""Exports a person can read: a zip of wide CSV tables with a README, JSON with food names, and who gets what."""

import csv
import io
import json
import zipfile
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import Action, AuditEvent
from audit.services import record
from clinic import readable
from clinic.exports import neutralise_cell
from clinic.models import ConsentWording
from clinic.selectors import patient_models, patient_owned_querysets
from clinic.services import add_note, grant_access, record_edss, review_relapse
from guidance.models import DayScore, RuleSetVersion
from tests.clinic.conftest import add_relapse, clinician_client_for, make_grant
from tests.factories import ClinicianFactory, PatientFactory
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    FavoriteFood,
    Food,
    Lifestyle,
    MealItem,
    Medication,
    MedicationDay,
    MFISResponse,
    Relapse,
    SavedMeal,
    SavedMealItem,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)

# What a stored day score looks like (guidance.scoring.breakdown_json), for two rules.
BREAKDOWN = [
    {
        "key": "fiber",
        "points": 12.5,
        "possible": 20,
        "days_logged": 1,
        "window_days": 1,
        "waived": False,
        "counted": {},
    },
    {
        "key": "sleep-regularity",
        "points": 3,
        "possible": 5,
        "days_logged": 1,
        "window_days": 7,
        "waived": False,
        "counted": {},
    },
]


def fill(patient, today, note="fine"):
    food = Food.objects.create(name_en="Lentils", name_fr="Lentilles", default_portion_g=150, fiber_g_per_100g=8)
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
        DayScore.objects.create(patient=patient, date=day, version=version, total=61.5, breakdown=BREAKDOWN)
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
        (True, "yes"),
        (None, ""),
    ],
)
def test_csv_cells_that_start_a_formula_are_neutralised(raw, safe):
    assert neutralise_cell(raw) == safe


def fill_clinical(patient, clinician, today):
    """What clinicians add and the patient's medicines: a note, a reading, an EDSS, two medicines."""
    add_note(patient=patient, author=clinician, body="Seen in clinic, walking better.")
    relapse = Relapse.objects.get(patient=patient)
    review_relapse(relapse=relapse, reviewer=clinician, verdict="confirmed", note="typical sensory relapse")
    record_edss(patient=patient, clinician=clinician, assessed_on=today - timedelta(days=5), score=Decimal("3.5"))
    dmt = Medication.objects.create(
        patient=patient, therapy="dimethyl-fumarate", is_dmt=True, dose="240 mg twice a day", ask_daily=True
    )
    Medication.objects.create(patient=patient, name="Vitamin D3", dose="1000 IU a day", started_on=date(2025, 1, 1))
    MedicationDay.objects.create(patient=patient, medication=dmt, date=today, taken=True)
    MedicationDay.objects.create(patient=patient, medication=dmt, date=today - timedelta(days=1), taken=False)
    saved = SavedMeal.objects.create(patient=patient, name="My breakfast")
    SavedMealItem.objects.create(saved_meal=saved, food=Food.objects.get(name_en="My granola"), grams=50)
    FavoriteFood.objects.create(patient=patient, food=Food.objects.get(name_en="Lentils"))


def download_zip(client, patient) -> tuple[zipfile.ZipFile, str]:
    response = client.get(reverse("clinic:export", args=[patient.pk, "csv"]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    folder = archive.namelist()[0].split("/")[0]
    return archive, folder


def read_csv(archive: zipfile.ZipFile, folder: str, name: str) -> list[dict[str, str]]:
    text = archive.read(f"{folder}/{name}.csv").decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


OWN_FILES = [
    "README.txt",
    "profile.csv",
    "days.csv",
    "foods.csv",
    "relapses.csv",
    "relapse_reviews.csv",
    "mfis.csv",
    "medications.csv",
    "medication_days.csv",
    "edss.csv",
    "notes.csv",
    "weeks.csv",
    "custom_symptoms.csv",
    "private_foods.csv",
    "saved_meals.csv",
    "favourite_foods.csv",
    "sharing.csv",
    "reminders.csv",
    "access_log.csv",
]
# How the patient is reached and with whom they share: in their own copy only.
OWN_ONLY_FILES = ("sharing.csv", "reminders.csv", "access_log.csv")


def test_the_csv_download_is_a_zip_of_readable_tables(patient, patient_client, clinician, granted, today):
    fill(patient, today)
    response = patient_client.get(reverse("clinic:export", args=[patient.pk, "csv"]))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="msgut-{patient.pk}-{today:%Y-%m-%d}.zip"'
    archive, folder = download_zip(patient_client, patient)
    assert folder == f"msgut-{patient.pk}-{today:%Y-%m-%d}"
    assert [name.split("/", 1)[1] for name in archive.namelist()] == OWN_FILES
    clinician_archive, _ = download_zip(clinician_client_for(clinician), patient)
    names = [name.split("/", 1)[1] for name in clinician_archive.namelist()]
    assert names == [n for n in OWN_FILES if n not in OWN_ONLY_FILES]
    raw = archive.read(f"{folder}/days.csv")
    assert raw.startswith("\ufeffdate,day_score,rule_set_version,".encode())
    assert b"\r\n" in raw


def test_every_patient_table_has_a_file():
    covered = {label for table in readable.TABLES for label in table.covers}
    owned = {model._meta.label for model in patient_models()}
    owned |= {"tracker.Food", "tracker.SavedMealItem", "accounts.Profile", "clinic.RelapseReview"}
    missing = owned - covered - set(readable.NOT_EXPORTED)
    assert not missing, f"add these tables to clinic.readable.TABLES (or NOT_EXPORTED with a reason): {missing}"
    assert not covered & set(readable.NOT_EXPORTED)
    names = [table.name for table in readable.TABLES]
    assert len(names) == len(set(names))
    assert all(name.replace("_", "").isalpha() and name.islower() for name in names)


def test_foods_csv_names_what_was_eaten(patient, patient_client, today):
    fill(patient, today)
    other = PatientFactory()
    secret = Food.objects.create(name_en="Grandma's secret stew", default_portion_g=300, owner=other)
    MealItem.objects.create(patient=other, date=today, meal="dinner", food=secret, grams=300)
    archive, folder = download_zip(patient_client, patient)
    rows = read_csv(archive, folder, "foods")
    assert len(rows) == 6
    lentils = next(r for r in rows if r["food_name_en"] == "Lentils")
    assert lentils["food_name_fr"] == "Lentilles"
    assert (lentils["grams"], lentils["quantity"], lentils["unit"]) == ("150.0", "1.0", "portion")
    assert (lentils["meal"], lentils["meal_text"], lentils["fiber_g"]) == ("lunch", "Lunch", "12.0")
    granola = next(r for r in rows if r["food_name_en"] == "My granola")
    assert granola["private_food"] == "yes"
    text = archive.read(f"{folder}/foods.csv").decode()
    assert "secret stew" not in text
    assert [r["name_en"] for r in read_csv(archive, folder, "private_foods")] == ["My granola"]


@pytest.mark.parametrize(
    ("grams", "portion", "expected"),
    [(150, 150, (1.0, "portion")), (75, 150, (0.5, "portion")), (151, 150, (1.0, "portion")), (100, 150, (100.0, "g"))],
)
def test_an_amount_reads_as_portions_when_it_is_a_quarter_multiple(grams, portion, expected):
    assert readable.quantity_and_unit(grams, portion) == expected


def test_days_csv_has_one_row_per_day_with_each_rule(patient, patient_client, clinician, granted, today):
    fill(patient, today)
    fill_clinical(patient, clinician, today)
    archive, folder = download_zip(patient_client, patient)
    rows = read_csv(archive, folder, "days")
    assert [r["date"] for r in rows] == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    last = rows[-1]
    assert last["fiber_g"] == "17.0"  # 150 g lentils at 8 g + 50 g granola at 10 g
    assert (last["day_score"], last["rule_set_version"]) == ("61.5", "1")
    assert (last["fiber_points"], last["fiber_possible"]) == ("12.5", "20.0")
    assert (last["sleep-regularity_points"], last["sleep-regularity_possible"]) == ("3.0", "5.0")
    assert last["symptom: tingling"] == "3" and rows[0]["symptom: tingling"] == ""
    assert (last["medicines_as_usual"], rows[1]["medicines_as_usual"], rows[0]["medicines_as_usual"]) == (
        "yes",
        "no",
        "",
    )
    assert (last["fatigue"], last["sleep_in_bed_at"], last["sleep_total_minutes"]) == ("3", "22:30", "440")
    assert (last["stool_events"], last["bristol_types"], last["activity_minutes"]) == ("1", "4", "30")
    assert last["servings_legume"] == "0.0" and last["meal_items"] == "2"
    assert all(r["relapse_day"] == "yes" for r in rows)  # the relapse of 20 days ago is still going on


def test_days_csv_rule_columns_follow_the_stored_scores_not_a_fixed_list(patient, patient_client, today):
    fill(patient, today)
    DayScore.objects.filter(patient=patient, date=today).update(
        breakdown=[{"key": "a-new-rule", "points": 4, "possible": 8}]
    )
    archive, folder = download_zip(patient_client, patient)
    header = next(csv.reader(io.StringIO(archive.read(f"{folder}/days.csv").decode().removeprefix("\ufeff"))))
    assert {"a-new-rule_points", "a-new-rule_possible", "fiber_points"} <= set(header)
    readme = archive.read(f"{folder}/README.txt").decode()
    assert "a-new-rule_points — " in readme


def _readme_lines(archive, folder) -> list[str]:
    return archive.read(f"{folder}/README.txt").decode("utf-8").split("\r\n")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_readme_explains_every_column(patient, patient_client, clinician, granted, today, language):
    fill(patient, today)
    fill_clinical(patient, clinician, today)
    patient.profile.language = language
    patient.profile.save()
    archive, folder = download_zip(patient_client, patient)
    lines = _readme_lines(archive, folder)
    for name in archive.namelist():
        if not name.endswith(".csv"):
            continue
        header = next(csv.reader(io.StringIO(archive.read(name).decode().removeprefix("\ufeff"))))
        file_name = name.split("/")[1]
        assert any(line.startswith(f"{file_name} — ") for line in lines), file_name
        for column in header:
            assert any(line.startswith(f"{column} — ") and len(line) > len(column) + 5 for line in lines), column
    text = "\r\n".join(lines)
    if language == "fr":
        assert "Votre propre copie" in text and "Jours" in text
    else:
        assert "Your own copy" in text


def test_the_patients_own_export_has_notes_reviews_edss_and_the_full_log(
    patient, patient_client, clinician, granted, today
):
    fill(patient, today)
    fill_clinical(patient, clinician, today)
    for _ in range(150):
        record(action=Action.PATIENT_READ, actor=clinician, patient=patient, what="clinic:patient")
    archive, folder = download_zip(patient_client, patient)
    log = read_csv(archive, folder, "access_log")
    assert len(log) == AuditEvent.objects.for_patient(patient).count() > 150
    reads = [r for r in log if r["action"] == "patient_read"]
    assert len(reads) == 150
    assert reads[0]["page"] == "your overview page" and reads[0]["who"] == clinician.display_name
    assert all(r["ip"] == "" for r in reads)  # a clinician's address is not the patient's data
    assert [r["note"] for r in read_csv(archive, folder, "notes")] == ["Seen in clinic, walking better."]
    reviews = read_csv(archive, folder, "relapse_reviews")
    assert [(r["verdict"], r["verdict_text"], r["annotation"]) for r in reviews] == [
        ("confirmed", "Confirmed relapse", "typical sensory relapse")
    ]
    edss = read_csv(archive, folder, "edss")
    assert [(r["edss"], r["recorded_by"]) for r in edss] == [("3.5", str(clinician))]
    sharing = read_csv(archive, folder, "sharing")
    assert [(r["clinician"], r["via"], r["consent_version"]) for r in sharing] == [(str(clinician), "code", "1")]
    medications = read_csv(archive, folder, "medications")
    dmt = next(r for r in medications if r["therapy"] == "dimethyl-fumarate")
    assert (dmt["atc_code"], dmt["therapy_name_fr"], dmt["days_answered"], dmt["days_not_as_usual"]) == (
        "L04AX07",
        "Fumarate de diméthyle (Tecfidera)",
        "2",
        "1",
    )
    assert [r["taken_as_usual"] for r in read_csv(archive, folder, "medication_days")] == ["no", "yes"]
    relapse = read_csv(archive, folder, "relapses")[0]
    assert (relapse["meets_definition"], relapse["clinician_readings"], relapse["ongoing"]) == ("yes", "1", "yes")


def test_a_clinicians_export_holds_the_patient_only(patient, clinician, granted, today):
    fill(patient, today)
    colleague = ClinicianFactory(display_name="Dr Colleague", email="colleague@example.org")
    make_grant(patient, colleague)
    fill_clinical(patient, colleague, today)
    other = PatientFactory()
    fill(other, today, note="someone else's day")
    client = clinician_client_for(clinician)
    archive, _folder = download_zip(client, patient)
    everything = "".join(archive.read(name).decode() for name in archive.namelist())
    document = json.loads(client.get(reverse("clinic:export", args=[patient.pk, "json"])).content)
    as_text = json.dumps(document)
    for text in (everything, as_text):
        assert "someone else's day" not in text and other.email not in text
        assert "colleague@example.org" not in text  # the other clinician's grant
    assert "clinic.AccessGrant" not in document["tables"]
    assert not {"sharing", "reminders", "access_log"} & set(document["readable"])
    assert document["audience"] == "clinician"
    # What clinicians wrote about the patient is the patient's clinical data: it stays.
    assert "Seen in clinic, walking better." in everything and "Dr Colleague" in everything


def test_csv_cells_and_headers_are_neutralised(patient, patient_client, clinician, granted, today):
    fill(patient, today, note="=cmd|' /C calc'!A0")
    CustomSymptom.objects.create(patient=patient, name="=cmd")
    add_note(patient=patient, author=clinician, body="@SUM(A1) to check")
    archive, folder = download_zip(patient_client, patient)
    days = archive.read(f"{folder}/days.csv").decode()
    header = next(csv.reader(io.StringIO(days.removeprefix("\ufeff"))))
    assert "'symptom: =cmd" not in header and "symptom: =cmd" in header  # starts with "s": safe as it is
    notes = read_csv(archive, folder, "notes")
    assert notes[0]["note"] == "'@SUM(A1) to check"
    rows = read_csv(archive, folder, "days")
    assert rows[-1]["note"] == "'=cmd|' /C calc'!A0"
    symptoms = read_csv(archive, folder, "custom_symptoms")
    assert "'=cmd" in [r["symptom"] for r in symptoms]
    for name in archive.namelist():
        for row in csv.reader(io.StringIO(archive.read(name).decode().removeprefix("\ufeff"))):
            assert not any(cell.startswith(("=", "+", "@")) for cell in row), (name, row)


def test_json_v2_has_readable_tables_and_food_names(patient, patient_client, clinician, granted, today):
    fill(patient, today)
    fill_clinical(patient, clinician, today)
    document = json.loads(patient_client.get(reverse("clinic:export", args=[patient.pk, "json"])).content)
    assert (document["version"], document["audience"]) == (2, "patient")
    assert set(document["readable"]) == {name.removesuffix(".csv") for name in OWN_FILES[1:]}
    first = document["readable"]["foods"][0]
    assert first["food_name_en"] in {"Lentils", "My granola"} and isinstance(first["grams"], float)
    assert isinstance(document["readable"]["days"][-1]["medicines_as_usual"], bool)
    referenced = {row["food_id"] for row in document["tables"]["tracker.MealItem"]}
    foods = {food["id"]: food for food in document["foods"]}
    assert referenced <= set(foods)
    assert all(foods[pk]["name_en"] for pk in referenced)
    assert {"Lentils", "My granola"} <= {food["name_en"] for food in document["foods"]}
    assert "guidance.StaleDay" not in document["tables"] and "trends.PendingWeek" not in document["tables"]
    # The patient's own copy now holds what clinicians wrote about them (GDPR Art. 15).
    assert document["tables"]["clinic.ClinicianNote"][0]["body"] == "Seen in clinic, walking better."
    assert document["tables"]["clinic.EDSSScore"][0]["score"] == 3.5
    assert len(document["readable"]["access_log"]) == AuditEvent.objects.for_patient(patient).count()


def test_the_json_export_holds_all_the_patients_rows_and_nobody_elses(patient_client, patient, today):
    fill(patient, today)
    other = PatientFactory()
    fill(other, today, note="someone else's day")
    response = patient_client.get(reverse("clinic:export", args=[patient.pk, "json"]))
    document = json.loads(response.content)
    assert document["patient"]["email"] == patient.email
    for label, queryset in patient_owned_querysets(patient, include_clinician_content=True):
        if label in readable.NOT_EXPORTED:
            continue
        exported = document["tables"].get(label, [])
        assert sorted(row["id"] for row in exported) == sorted(queryset.values_list("pk", flat=True)), label
    text = response.content.decode()
    assert "someone else's day" not in text
    assert other.email not in text
    ids = {row["patient_id"] for rows in document["tables"].values() for row in rows if "patient_id" in row}
    assert ids == {patient.pk}
    assert len(document["tables"]["tracker.MealItem"]) == 6
    assert document["derived"]["mfis_scores"][-1]["total"] == 42


def test_every_download_is_an_attachment_that_is_never_cached(patient, clinician, granted, today):
    client = clinician_client_for(clinician)
    for fmt in ("csv", "json", "fhir"):
        response = client.get(reverse("clinic:export", args=[patient.pk, fmt]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="msgut-')
        assert "no-store" in response["Cache-Control"]
    assert client.get(reverse("clinic:export", args=[patient.pk, "xml"])).status_code == 404


def test_a_clinicians_export_holds_the_patients_data_only_not_their_other_clinicians(
    patient, patient_client, clinician, granted
):
    other = ClinicianFactory(email="another.doctor@example.org", display_name="Dr Other")
    grant_access(patient=patient, clinician=other, wording=ConsentWording.current())
    client = clinician_client_for(clinician)
    archive, _folder = download_zip(client, patient)
    zipped = "".join(archive.read(name).decode() for name in archive.namelist())
    for fmt in ("json", "csv", "fhir"):
        body = zipped if fmt == "csv" else client.get(reverse("clinic:export", args=[patient.pk, fmt])).content.decode()
        assert "clinic.AccessGrant" not in body, fmt
        assert other.email not in body and "Dr Other" not in body, fmt
        assert f'"clinician_id": {other.pk}' not in body, fmt
    # The patient's own export still lists who they share with: it is theirs.
    mine = json.loads(patient_client.get(reverse("clinic:export", args=[patient.pk, "json"])).content)
    assert {row["clinician_id"] for row in mine["tables"]["clinic.AccessGrant"]} == {clinician.pk, other.pk}
