"""The access matrix: role x patient-data endpoint x {own, granted, revoked, never granted, nonexistent}."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Action, AuditEvent
from clinic.access import visible_to
from clinic.models import ClinicianNote
from clinic.services import add_note, record_edss, revoke_access
from tests.clinic.conftest import add_relapse, clinician_client_for, make_grant
from tests.conftest import client_on_session, session_of
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory
from tracker.models import Medication

NONEXISTENT = 987654321


@dataclass(frozen=True)
class World:
    me: User
    client: Client
    targets: dict[str, int]
    note_id: int
    relapse_id: int
    edss_id: int


@dataclass(frozen=True)
class WorldRows:
    """A world as built in the database: `me`'s primary key and signed-in session instead of objects."""

    me_id: int
    session_key: str
    targets: dict[str, int]
    note_id: int
    relapse_id: int
    edss_id: int


def build_world(role: str) -> WorldRows:
    clinician = ClinicianFactory()
    granted = PatientFactory()
    make_grant(granted, clinician)
    revoked = PatientFactory()
    revoke_access(grant=make_grant(revoked, clinician))
    never = PatientFactory()
    make_grant(never, ClinicianFactory())
    note = add_note(patient=granted, author=clinician, body="first note")
    relapse = add_relapse(granted, date(2026, 1, 5))
    edss = record_edss(patient=granted, clinician=clinician, assessed_on=date(2026, 1, 4), score=Decimal("2.5"))
    if role == "patient":
        me = PatientFactory()
        client = Client()
        client.force_login(me)
    elif role == "clinician":
        me = clinician
        client = clinician_client_for(me)
    else:
        me = AdminFactory()
        client = clinician_client_for(me)
    targets = {
        "own": me.pk,
        "granted": granted.pk,
        "revoked": revoked.pk,
        "never": never.pk,
        "nonexistent": NONEXISTENT,
    }
    return WorldRows(me.pk, session_of(client), targets, note.pk, relapse.pk, edss.pk)


@pytest.fixture(scope="class")
def world_rows(request, class_db) -> WorldRows:
    """One world per role for the whole class (see `class_db`: every test starts from these rows and
    none sees another's writes). Building it for each of the 162 tests was about seven CPU seconds."""
    return build_world(request.param)


@pytest.fixture
def world(db, world_rows) -> World:
    """The class's world, with a new client on its session."""
    me = User.objects.get(pk=world_rows.me_id)
    client = client_on_session(world_rows.session_key)
    return World(me, client, world_rows.targets, world_rows.note_id, world_rows.relapse_id, world_rows.edss_id)


ENDPOINTS = {
    # name: (method, url builder, success status, clinician-only)
    "review": ("get", lambda w, pk: reverse("clinic:patient", args=[pk]), 200, False),
    "export-csv": ("get", lambda w, pk: reverse("clinic:export", args=[pk, "csv"]), 200, False),
    "export-json": ("get", lambda w, pk: reverse("clinic:export", args=[pk, "json"]), 200, False),
    "export-fhir": ("get", lambda w, pk: reverse("clinic:export", args=[pk, "fhir"]), 200, False),
    "report": ("get", lambda w, pk: reverse("clinic:report", args=[pk]), 200, False),
    "note-add": ("post", lambda w, pk: reverse("clinic:note-add", args=[pk]), 302, True),
    "note-edit": ("get", lambda w, pk: reverse("clinic:note-edit", args=[pk, w.note_id]), 200, True),
    "relapse-review": ("post", lambda w, pk: reverse("clinic:relapse-review", args=[pk, w.relapse_id]), 302, True),
    "edss-add": ("post", lambda w, pk: reverse("clinic:edss-add", args=[pk]), 302, True),
    "edss-edit": ("get", lambda w, pk: reverse("clinic:edss-edit", args=[pk, w.edss_id]), 200, True),
}

ALLOWED = {
    ("patient", "own"),
    ("clinician", "granted"),
}

POST_DATA = {
    "body": "seen today",
    "verdict": "confirmed",
    "note": "fits the history",
    "score": "3.5",
    "assessed_on": "2026-01-10",
}


def expected_status(role: str, target: str, endpoint: str) -> int:
    _method, _url, success, clinician_only = ENDPOINTS[endpoint]
    if (role, target) not in ALLOWED:
        return 404
    if clinician_only and role != "clinician":
        return 404
    return success


def test_visible_to_gives_each_role_its_patients(
    patient, clinician, admin_user, granted, revoked_patient, stranger_patient
):
    assert list(visible_to(patient)) == [patient]
    assert list(visible_to(clinician)) == [patient]
    assert list(visible_to(admin_user)) == []
    # Chainable: it is a queryset that composes with more filters.
    assert visible_to(clinician).filter(email=patient.email).exists()
    assert not visible_to(clinician).filter(pk=revoked_patient.pk).exists()


def test_a_revoked_grant_closes_access_on_the_next_request(patient, clinician, granted):
    client = clinician_client_for(clinician)
    url = reverse("clinic:patient", args=[patient.pk])
    assert client.get(url).status_code == 200
    revoke_access(grant=granted)
    assert client.get(url).status_code == 404
    assert client.get(reverse("clinic:export", args=[patient.pk, "json"])).status_code == 404
    assert patient.email.encode() not in client.get(reverse("clinic:dashboard")).content


def test_it_records_every_clinician_read_and_export_without_health_content(patient, clinician, granted):
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:patient", args=[patient.pk]))
    client.get(reverse("clinic:patient", args=[patient.pk]))
    client.get(reverse("clinic:export", args=[patient.pk, "fhir"]))
    client.get(reverse("clinic:report", args=[patient.pk]))
    events = list(AuditEvent.objects.for_patient(patient).reads().order_by("created_at", "id"))
    assert [e.action for e in events] == [Action.PATIENT_READ, Action.PATIENT_READ, Action.EXPORT, Action.EXPORT]
    assert all(e.actor == clinician for e in events)
    assert [e.what for e in events] == ["clinic:patient", "clinic:patient", "clinic:export fhir", "clinic:report"]
    assert all(e.created_at.utcoffset().total_seconds() == 0 for e in events)


def test_a_patient_reading_their_own_page_is_not_a_clinician_read(patient_client, patient):
    patient_client.get(reverse("clinic:patient", args=[patient.pk]))
    assert not AuditEvent.objects.for_patient(patient).reads().exists()


def test_only_the_author_edits_a_note(patient, clinician, granted):
    colleague = ClinicianFactory()
    make_grant(patient, colleague)
    note = add_note(patient=patient, author=clinician, body="original")
    other = clinician_client_for(colleague)
    url = reverse("clinic:note-edit", args=[patient.pk, note.pk])
    assert other.get(url).status_code == 404
    assert other.post(url, {"body": "changed by someone else"}).status_code == 404
    page = other.get(reverse("clinic:patient", args=[patient.pk]))
    assert b"original" in page.content  # visible to every clinician with access
    assert url.encode() not in page.content  # but no edit link
    author = clinician_client_for(clinician)
    assert author.post(url, {"body": "corrected"}).status_code == 302
    note.refresh_from_db()
    assert note.body == "corrected"


def test_clinicians_cannot_change_patient_entries_through_clinic(patient, clinician, granted):
    relapse = add_relapse(patient, date(2026, 2, 1), symptoms="blurred vision")
    client = clinician_client_for(clinician)
    client.post(reverse("clinic:relapse-review", args=[patient.pk, relapse.pk]), {"verdict": "pseudo", "note": "fever"})
    relapse.refresh_from_db()
    assert relapse.symptoms == "blurred vision"
    assert relapse.reviews.get().verdict == "pseudo"
    assert ClinicianNote.objects.count() == 0


def test_get_never_changes_state(patient, clinician, granted):
    client = clinician_client_for(clinician)
    assert client.get(reverse("clinic:note-add", args=[patient.pk])).status_code == 405
    patient_client = Client()
    patient_client.force_login(patient)
    assert patient_client.get(reverse("clinic:revoke", args=[granted.pk])).status_code == 405
    granted.refresh_from_db()
    assert granted.is_active


@pytest.mark.parametrize("world_rows", ["patient", "clinician", "admin"], indirect=True, scope="class")
class TestEachRoleInItsWorld:
    """The tests that run in a role's world: it is built once per role (`world_rows`)."""

    @pytest.mark.parametrize("target", ["own", "granted", "revoked", "never", "nonexistent"])
    @pytest.mark.parametrize("endpoint", list(ENDPOINTS))
    def test_it_answers_each_role_and_patient_as_the_access_matrix_says(self, world, target, endpoint):
        method, url, _success, _clinician_only = ENDPOINTS[endpoint]
        role = world.me.role
        before = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()
        path = url(world, world.targets[target])
        response = world.client.post(path, POST_DATA) if method == "post" else world.client.get(path)
        expected = expected_status(role, target, endpoint)
        assert response.status_code == expected, (role, target, endpoint)
        denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() - before
        if expected == 404:
            assert denied == 1
            if target != "nonexistent":
                assert User.objects.get(pk=world.targets[target]).email.encode() not in response.content
        else:
            assert denied == 0

    @pytest.mark.parametrize("target", ["own", "granted", "revoked", "never"])
    def test_medications_and_edss_are_read_by_the_patient_and_granted_clinicians_only(self, world, target):
        patient = User.objects.get(pk=world.targets[target])
        Medication.objects.create(patient=patient, name=f"Medicine of {target}", dose="1 tablet")
        response = world.client.get(reverse("clinic:patient", args=[patient.pk]))
        allowed = (world.me.role, target) in ALLOWED
        assert (f"Medicine of {target}".encode() in response.content) is allowed
        assert response.status_code == (200 if allowed else 404)
        if target == "granted" and allowed:
            assert b"EDSS <data" in response.content  # the score recorded in the world
            event = AuditEvent.objects.filter(action=Action.PATIENT_READ, patient=patient).latest("created_at")
            assert event.actor == world.me and event.what == "clinic:patient"
        # The patient's own Treatments page is theirs alone; clinicians and admins are refused by role.
        own_page = world.client.get(reverse("tracker:medications"))
        assert own_page.status_code == (200 if world.me.role == "patient" else 403)
        assert b"Medicine of granted" not in own_page.content
