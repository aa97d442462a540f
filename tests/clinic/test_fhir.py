"""The FHIR R4 Bundle: valid for R4 (fhir.resources' R4B models), with the codes chosen for each kind of data."""

import copy
import json
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from clinic.services import review_relapse
from tests.clinic.conftest import add_relapse
from tests.clinic.test_exports import fill, fill_clinical
from tracker.models import MealItem, Relapse

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"


def bundle_of(client, patient) -> dict:
    response = client.get(reverse("clinic:export", args=[patient.pk, "fhir"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


def resources(document, kind: str) -> list[dict]:
    return [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind]


def codes(resource) -> set[tuple[str, str]]:
    return {(c["system"].rsplit("/", 1)[-1], c["code"]) for c in resource["code"].get("coding", [])}


def by_code(document, code: str) -> list[dict]:
    return [o for o in resources(document, "Observation") if code in {c for _s, c in codes(o)}]


@pytest.fixture
def seeded(patient, clinician, granted, today):
    patient.profile.ms_course = "rr"
    patient.profile.diagnosis_year = 2015
    patient.profile.save()
    fill(patient, today)
    fill_clinical(patient, clinician, today)
    return patient


def test_the_bundle_validates_as_r4b(seeded, patient_client):
    document = bundle_of(patient_client, seeded)
    bundle = Bundle.model_validate(document)  # raises on any structural error
    assert bundle.type == "collection"
    kinds = Counter(entry.resource.__resource_type__ for entry in bundle.entry)
    assert kinds == {
        "Patient": 1,
        "Condition": 2,  # MS itself and the one relapse
        "QuestionnaireResponse": 2,
        "MedicationStatement": 2,
        # fatigue, sleep, fiber, day score x 3 days; 6 foods; 5 MFIS scores; 1 EDSS; 2 "taken as usual"
        "Observation": 12 + 6 + 5 + 1 + 2,
    }
    patient_ref = document["entry"][0]["fullUrl"]
    assert all(
        e["resource"].get("subject", {"reference": patient_ref})["reference"] == patient_ref for e in document["entry"]
    )
    ids = [e["fullUrl"] for e in document["entry"]]
    assert len(ids) == len(set(ids))
    # The package root is FHIR R5, which refuses an R4 document: R4B is the right validator.
    with pytest.raises(ValidationError):
        BundleR5.model_validate(copy.deepcopy(document))


def test_the_same_rows_keep_their_resource_ids(seeded, patient_client):
    first = [e["fullUrl"] for e in bundle_of(patient_client, seeded)["entry"]]
    second = [e["fullUrl"] for e in bundle_of(patient_client, seeded)["entry"]]
    assert first == second


def test_fhir_codes_are_the_chosen_ones(seeded, patient_client):
    document = bundle_of(patient_client, seeded)
    observations = resources(document, "Observation")
    all_codes = set().union(*(codes(o) for o in observations))
    assert ("loinc.org", "93832-4") in all_codes
    fiber = by_code(document, "81133-1")
    assert len(fiber) == 3
    assert codes(fiber[0]) == {("loinc.org", "81133-1"), ("msgut", "fiber-intake")}
    assert fiber[-1]["valueQuantity"] == {
        "value": 17.0,
        "unit": "g",
        "system": "http://unitsofmeasure.org",
        "code": "g",
    }
    assert ("loinc.org", "9055-5") not in all_codes
    edss = by_code(document, "273554001")[0]
    assert codes(edss) == {("sct", "273554001"), ("msgut", "edss")}
    assert edss["valueQuantity"]["value"] == 3.5 and edss["category"][0]["coding"][0]["code"] == "exam"
    for local in ("fatigue-nrs", "day-score", "mfis-total", "mfis-5", "food-eaten", "medication-taken-as-usual"):
        assert ("msgut", local) in all_codes, local
    conditions = resources(document, "Condition")
    ms = next(c for c in conditions if ("sct", "426373005") in codes(c))
    assert ms["onsetDateTime"] == "2015"
    relapse = next(c for c in conditions if ("sct", "192929006") in codes(c))
    assert relapse["severity"]["coding"][0]["code"] == "6736007"  # moderate
    statements = resources(document, "MedicationStatement")
    dmt = next(s for s in statements if "coding" in s["medicationCodeableConcept"])
    systems = {(c["system"].rsplit("/", 1)[-1], c["code"]) for c in dmt["medicationCodeableConcept"]["coding"]}
    assert systems == {("atc", "L04AX07"), ("msgut-dmt", "dimethyl-fumarate")}
    assert dmt["dosage"] == [{"text": "240 mg twice a day"}] and dmt["status"] == "active"
    assert dmt["category"]["coding"][0]["code"] == "patientspecified"
    vitamin = next(s for s in statements if "coding" not in s["medicationCodeableConcept"])
    assert vitamin["medicationCodeableConcept"] == {"text": "Vitamin D3"}
    assert vitamin["effectivePeriod"] == {"start": "2025-01-01"}
    taken = by_code(document, "medication-taken-as-usual")
    assert {o["valueBoolean"] for o in taken} == {True, False}
    assert all(o["focus"] == [{"reference": f"urn:uuid:{dmt['id']}"}] for o in taken)
    scores = by_code(document, "mfis-total")
    qr = resources(document, "QuestionnaireResponse")
    completed = next(r for r in qr if r["status"] == "completed")
    assert scores[0]["derivedFrom"] == [{"reference": f"urn:uuid:{completed['id']}"}]
    assert scores[0]["valueQuantity"]["value"] == 42


@pytest.mark.parametrize(
    ("course", "expected"),
    [("sp", ("sct", "425500002")), ("pp", ("sct", "428700003")), ("", ("sct", "24700007")), ("cis", None)],
)
def test_the_ms_condition_follows_the_course(patient, patient_client, course, expected):
    patient.profile.ms_course = course
    patient.profile.save()
    document = bundle_of(patient_client, patient)
    Bundle.model_validate(document)
    (ms,) = resources(document, "Condition")
    if expected is None:  # CIS is not MS: text only, no code that would say MS
        assert ms["code"] == {"text": "Clinically isolated syndrome"}
    else:
        assert codes(ms) == {expected}


def test_relapse_condition_carries_the_definition_and_readings(patient, patient_client, clinician, granted, today):
    first = add_relapse(patient, today - timedelta(days=60), ended_on=today - timedelta(days=50))
    fever = add_relapse(patient, today - timedelta(days=10), fever_or_infection=True, severity="severe")
    document = bundle_of(patient_client, patient)
    Bundle.model_validate(document)
    conditions = {c["onsetDateTime"]: c for c in resources(document, "Condition") if "onsetDateTime" in c}
    ended = conditions[first.started_on.isoformat()]
    assert ended["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert ended["abatementDateTime"] == first.ended_on.isoformat()
    assert ended["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert ended["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "meets"
    open_fever = conditions[fever.started_on.isoformat()]
    check = open_fever["extension"][0]["valueCodeableConcept"]
    assert [c["code"] for c in check["coding"]] == ["fever"]
    assert check["text"].startswith("Possible pseudo-relapse: ")
    assert open_fever["verificationStatus"]["coding"][0]["code"] == "differential"
    assert open_fever["clinicalStatus"]["coding"][0]["code"] == "active" and "abatementDateTime" not in open_fever
    assert open_fever["severity"]["coding"][0]["code"] == "24484000"

    review_relapse(relapse=Relapse.objects.get(pk=fever.pk), reviewer=clinician, verdict="pseudo", note="UTI")
    document = bundle_of(patient_client, patient)
    refuted = next(
        c for c in resources(document, "Condition") if c.get("onsetDateTime") == fever.started_on.isoformat()
    )
    assert refuted["verificationStatus"]["coding"][0]["code"] == "refuted"
    reading = refuted["note"][-1]
    assert reading["authorString"] == str(clinician) and reading["text"] == "Pseudo-relapse: UTI"


def test_each_food_eaten_is_an_observation_with_its_name(seeded, patient_client):
    document = bundle_of(patient_client, seeded)
    eaten = by_code(document, "food-eaten")
    assert len(eaten) == MealItem.objects.filter(patient=seeded).count() == 6
    lentils = next(o for o in eaten if o["component"][0]["valueCodeableConcept"]["coding"][0]["display"] == "Lentils")
    assert lentils["valueQuantity"] == {"value": 150.0, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}
    food, meal = lentils["component"]
    assert food["valueCodeableConcept"]["text"] == "Lentils"
    assert meal["valueCodeableConcept"]["coding"][0]["code"] == "lunch"


def test_food_names_follow_the_patients_language(seeded, patient_client):
    seeded.profile.language = "fr"
    seeded.profile.save()
    document = bundle_of(patient_client, seeded)
    names = {o["component"][0]["valueCodeableConcept"]["text"] for o in by_code(document, "food-eaten")}
    assert "Lentilles" in names
