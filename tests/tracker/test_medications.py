"""Medications: the list of disease-modifying therapies, the patient's list and the daily "taken as usual"."""

import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from clinic.selectors import medications_for_report
from tests.factories import PatientFactory
from tracker.medications import DMT_BY_CODE, DMTS
from tracker.models import Medication, MedicationDay
from tracker.selectors import asked_medications, medication_list, medicine_answers

TODAY = date(2026, 11, 20)

# code, English name, French name, ATC (2024 index), ATC before 2024, taken daily by mouth
PINNED = [
    (
        "interferon-beta-1a",
        "Interferon beta-1a (Avonex, Rebif)",
        "Interféron bêta-1a (Avonex, Rebif)",
        "L03AB07",
        "",
        False,
    ),
    (
        "interferon-beta-1b",
        "Interferon beta-1b (Betaferon, Betaseron, Extavia)",
        "Interféron bêta-1b (Betaferon, Extavia)",
        "L03AB08",
        "",
        False,
    ),
    (
        "peginterferon-beta-1a",
        "Peginterferon beta-1a (Plegridy)",
        "Peginterféron bêta-1a (Plegridy)",
        "L03AB13",
        "",
        False,
    ),
    (
        "glatiramer-acetate",
        "Glatiramer acetate (Copaxone, Glatopa)",
        "Acétate de glatiramère (Copaxone)",
        "L03AX13",
        "",
        False,
    ),
    ("teriflunomide", "Teriflunomide (Aubagio)", "Tériflunomide (Aubagio)", "L04AK02", "L04AA31", True),
    ("dimethyl-fumarate", "Dimethyl fumarate (Tecfidera)", "Fumarate de diméthyle (Tecfidera)", "L04AX07", "", True),
    ("diroximel-fumarate", "Diroximel fumarate (Vumerity)", "Fumarate de diroximel (Vumerity)", "L04AX09", "", True),
    ("monomethyl-fumarate", "Monomethyl fumarate (Bafiertam)", "Fumarate de monométhyle (Bafiertam)", "", "", True),
    ("fingolimod", "Fingolimod (Gilenya, Tascenso ODT)", "Fingolimod (Gilenya)", "L04AE01", "L04AA27", True),
    ("siponimod", "Siponimod (Mayzent)", "Siponimod (Mayzent)", "L04AE03", "L04AA42", True),
    ("ozanimod", "Ozanimod (Zeposia)", "Ozanimod (Zeposia)", "L04AE02", "L04AA38", True),
    ("ponesimod", "Ponesimod (Ponvory)", "Ponésimod (Ponvory)", "L04AE04", "L04AA50", True),
    ("cladribine", "Cladribine tablets (Mavenclad)", "Cladribine comprimés (Mavenclad)", "L04AA40", "", False),
    ("natalizumab", "Natalizumab (Tysabri, Tyruko)", "Natalizumab (Tysabri, Tyruko)", "L04AG03", "L04AA23", False),
    ("alemtuzumab", "Alemtuzumab (Lemtrada)", "Alemtuzumab (Lemtrada)", "L04AG06", "L04AA34", False),
    ("ocrelizumab", "Ocrelizumab (Ocrevus)", "Ocrélizumab (Ocrevus)", "L04AG08", "L04AA36", False),
    ("ofatumumab", "Ofatumumab (Kesimpta)", "Ofatumumab (Kesimpta)", "L04AG12", "L04AA52", False),
    ("ublituximab", "Ublituximab (Briumvi)", "Ublituximab (Briumvi)", "L04AG14", "", False),
    ("mitoxantrone", "Mitoxantrone", "Mitoxantrone", "L01DB07", "", False),
    ("rituximab", "Rituximab, off-label (MabThera, Rituxan)", "Rituximab, hors AMM (MabThera)", "L01FA01", "", False),
]


def test_the_dmt_table_is_pinned():
    assert [(t.code, t.name_en, t.name_fr, t.atc, t.atc_before_2024, t.daily) for t in DMTS] == PINNED
    assert set(DMT_BY_CODE) == {row[0] for row in PINNED}
    for therapy in DMTS:
        for code in (therapy.atc, therapy.atc_before_2024):
            assert code == "" or re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", code), code
    assert [t.code for t in DMTS if t.off_label] == ["rituximab"]


def test_the_dmt_list_imports_no_django():
    code = "import sys, tracker.medications; sys.exit(any(m.startswith('django') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.django_db
def test_display_name_is_the_typed_name_else_the_therapy_in_the_active_language():
    patient = PatientFactory()
    listed = Medication.objects.create(patient=patient, therapy="ocrelizumab", is_dmt=True)
    typed = Medication.objects.create(patient=patient, name="Vitamin D3", dose="1000 IU a day")
    with translation.override("en"):
        assert listed.display_name == "Ocrelizumab (Ocrevus)"
    with translation.override("fr"):
        assert listed.display_name == "Ocrélizumab (Ocrevus)"
        assert typed.display_name == "Vitamin D3"


@pytest.mark.django_db
def test_the_database_refuses_a_nameless_medication_and_a_stop_before_the_start():
    patient = PatientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Medication.objects.create(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Medication.objects.create(
            patient=patient, name="Baclofen", started_on=date(2026, 5, 2), stopped_on=date(2026, 5, 1)
        )
    Medication.objects.create(
        patient=patient, name="Baclofen", started_on=date(2026, 5, 2), stopped_on=date(2026, 5, 2)
    )


@pytest.mark.django_db
def test_one_answer_per_medication_and_day():
    patient = PatientFactory()
    medication = Medication.objects.create(patient=patient, therapy="fingolimod", is_dmt=True, ask_daily=True)
    MedicationDay.objects.create(patient=patient, medication=medication, date=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicationDay.objects.create(patient=patient, medication=medication, date=TODAY, taken=False)


@pytest.mark.django_db
def test_the_list_puts_current_disease_modifying_therapies_first():
    patient = PatientFactory()
    vitamin = Medication.objects.create(patient=patient, name="Vitamin D3")
    old_dmt = Medication.objects.create(
        patient=patient, therapy="teriflunomide", is_dmt=True, started_on=date(2020, 1, 1), stopped_on=date(2023, 1, 1)
    )
    dmt = Medication.objects.create(patient=patient, therapy="ocrelizumab", is_dmt=True, started_on=date(2023, 2, 1))
    Medication.objects.create(patient=PatientFactory(), name="Someone else's")
    assert medication_list(patient) == [dmt, old_dmt, vitamin]


@pytest.mark.django_db
def test_only_asked_medications_current_that_day_are_asked():
    patient = PatientFactory()
    asked = Medication.objects.create(patient=patient, therapy="dimethyl-fumarate", is_dmt=True, ask_daily=True)
    Medication.objects.create(patient=patient, therapy="ocrelizumab", is_dmt=True)  # an infusion: never asked
    later = Medication.objects.create(patient=patient, name="Vitamin D", ask_daily=True, started_on=TODAY)
    Medication.objects.create(patient=patient, name="Stopped", ask_daily=True, stopped_on=TODAY - timedelta(days=2))
    assert asked_medications(patient, TODAY - timedelta(days=1)) == [asked]
    assert set(asked_medications(patient, TODAY)) == {asked, later}
    MedicationDay.objects.create(patient=patient, medication=asked, date=TODAY, taken=False)
    assert medicine_answers(patient, TODAY) == {asked.pk: False}
    assert medicine_answers(patient, TODAY - timedelta(days=1)) == {}


@pytest.mark.django_db
def test_medications_for_report_counts_the_answers_of_the_period(time_machine):
    time_machine.move_to("2026-11-20 10:00:00+01:00", tick=False)
    patient = PatientFactory()
    start, end = TODAY - timedelta(days=83), TODAY
    dmt = Medication.objects.create(
        patient=patient, therapy="dimethyl-fumarate", is_dmt=True, ask_daily=True, started_on=date(2024, 3, 1)
    )
    vitamin = Medication.objects.create(patient=patient, name="Vitamin D", started_on=TODAY - timedelta(days=9))
    Medication.objects.create(patient=patient, name="Stopped long ago", stopped_on=start - timedelta(days=1))
    for offset in range(10):
        MedicationDay.objects.create(
            patient=patient, medication=dmt, date=TODAY - timedelta(days=offset), taken=offset != 3
        )
    MedicationDay.objects.create(patient=patient, medication=dmt, date=start - timedelta(days=1))  # before the period
    summaries = medications_for_report(patient, start, end)
    assert [s.medication for s in summaries] == [dmt, vitamin]
    first, second = summaries
    assert (first.days_current, first.days_answered, first.days_as_usual, first.days_not_as_usual) == (84, 10, 9, 1)
    assert (second.days_current, second.days_answered) == (10, 0)


# ---------------------------------------------------------------- the Treatments page and the day's answer

pages = pytest.mark.usefixtures("pinned_today")


def _add(client, **data):
    fields = {"therapy": "", "name": "", "dose": "", "started_on": "", "stopped_on": "", **data}
    return client.post(reverse("tracker:medications"), fields)


@pages
def test_a_patient_adds_a_listed_therapy_without_typing_a_name(patient_client, patient):
    response = _add(patient_client, therapy="ocrelizumab", dose="600 mg every 6 months", started_on="2024-03-01")
    assert response.status_code == 302
    medication = Medication.objects.get(patient=patient)
    assert (medication.therapy, medication.is_dmt, medication.ask_daily) == ("ocrelizumab", True, False)
    with translation.override("en"):
        assert medication.display_name == "Ocrelizumab (Ocrevus)"
    with translation.override("fr"):
        assert medication.display_name == "Ocrélizumab (Ocrevus)"
    page = patient_client.get(reverse("tracker:medications")).content.decode()
    assert "Ocrelizumab (Ocrevus)" in page and "600 mg every 6 months" in page


@pages
def test_a_typed_medicine_is_a_dmt_only_when_ticked(patient_client, patient):
    _add(patient_client, name="Vitamin D3", dose="1000 IU a day", ask_daily="on")
    _add(patient_client, name="Trial drug X", is_dmt="on")
    rows = {m.name: (m.is_dmt, m.ask_daily) for m in Medication.objects.filter(patient=patient)}
    assert rows == {"Vitamin D3": (False, True), "Trial drug X": (True, False)}


@pages
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "Choose a therapy from the list or type its name."),
        ({"name": "   "}, "name", "Choose a therapy from the list or type its name."),
        (
            {"name": "Baclofen", "started_on": "2026-05-02", "stopped_on": "2026-05-01"},
            "stopped_on",
            "The stop date must be on or after the start date.",
        ),
        ({"name": "Baclofen", "started_on": "2026-11-21"}, "started_on", "This date is in the future."),
        ({"name": "Baclofen", "started_on": "1949-12-31"}, "started_on", "Enter a date after 1 January 1950."),
        ({"name": "Bac\x00lofen"}, "name", "Null characters are not allowed."),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
        ({"therapy": "aspirin"}, "therapy", "Choose a therapy from the list"),
        ({"name": "Baclofen", "started_on": "2026-02-30"}, "started_on", "Enter a valid date."),
    ],
)
def test_a_typed_medication_needs_a_name(patient_client, patient, data, field, message):
    response = _add(patient_client, **data)
    assert response.status_code == 422
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Medication.objects.filter(patient=patient).exists()


@pages
def test_stopped_today_is_one_post(patient_client, patient):
    medication = Medication.objects.create(patient=patient, therapy="fingolimod", is_dmt=True)
    response = patient_client.post(reverse("tracker:medication-stop", args=[medication.pk]))
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.stopped_on == TODAY
    page = patient_client.get(reverse("tracker:medications")).content.decode()
    assert "1 stopped medicine" in page


@pages
def test_stopped_today_uses_the_patients_own_date(patient_client, patient, time_machine):
    patient.profile.time_zone = "Pacific/Auckland"
    patient.profile.save()
    time_machine.move_to("2026-11-20 12:30:00+00:00", tick=False)  # already 21 November in Auckland
    patient_client.force_login(patient)  # a fresh session: the old one has been idle too long
    medication = Medication.objects.create(patient=patient, name="Baclofen")
    patient_client.post(reverse("tracker:medication-stop", args=[medication.pk]))
    medication.refresh_from_db()
    assert medication.stopped_on == date(2026, 11, 21)


@pages
def test_editing_and_deleting_ask_first_and_keep_to_own_rows(patient_client, patient):
    medication = Medication.objects.create(patient=patient, name="Baclofen")
    edit = reverse("tracker:medication-edit", args=[medication.pk])
    assert patient_client.get(edit).status_code == 200
    response = patient_client.post(edit, {"therapy": "", "name": "Baclofen", "dose": "10 mg three times a day"})
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.dose == "10 mg three times a day"
    delete = reverse("tracker:medication-delete", args=[medication.pk])
    assert "Delete Baclofen?" in patient_client.get(delete).content.decode()
    assert patient_client.post(delete).status_code == 302
    assert not Medication.objects.filter(pk=medication.pk).exists()


def _day_page(client, day=TODAY) -> str:
    return client.get(reverse("tracker:day", args=[day])).content.decode()


@pages
def test_no_medicines_section_unless_asked(patient_client, patient):
    Medication.objects.create(patient=patient, therapy="ocrelizumab", is_dmt=True)  # an infusion, never asked
    assert 'id="medicines"' not in _day_page(patient_client)
    Medication.objects.create(patient=patient, name="Vitamin D", ask_daily=True, started_on=TODAY)
    assert 'id="medicines"' in _day_page(patient_client)
    assert 'id="medicines"' not in _day_page(patient_client, TODAY - timedelta(days=1))  # not on the list yet


@pages
def test_one_tap_confirms_every_asked_medication(patient_client, patient):
    dmt = Medication.objects.create(patient=patient, therapy="dimethyl-fumarate", is_dmt=True, ask_daily=True)
    vitamin = Medication.objects.create(patient=patient, name="Vitamin D", ask_daily=True)
    stopped = Medication.objects.create(
        patient=patient, name="Old", ask_daily=True, stopped_on=TODAY - timedelta(days=2)
    )
    url = reverse("tracker:medicines", args=[TODAY])
    for _ in range(2):
        assert patient_client.post(url, {"all": "1"}).status_code == 302
    rows = MedicationDay.objects.filter(patient=patient, date=TODAY)
    assert sorted((r.medication_id, r.taken) for r in rows) == sorted([(dmt.pk, True), (vitamin.pk, True)])
    assert not MedicationDay.objects.filter(medication=stopped).exists()
    page = _day_page(patient_client)
    assert "Taken as usual ✓ (Dimethyl fumarate (Tecfidera), Vitamin D)" in page
    assert "Took my medicines as usual" not in page


@pages
def test_not_as_usual_records_the_unticked_ones(patient_client, patient, other_patient):
    dmt = Medication.objects.create(patient=patient, therapy="dimethyl-fumarate", is_dmt=True, ask_daily=True)
    vitamin = Medication.objects.create(patient=patient, name="Vitamin D", ask_daily=True)
    theirs = Medication.objects.create(patient=other_patient, name="Theirs", ask_daily=True)
    url = reverse("tracker:medicines", args=[TODAY])
    response = patient_client.post(url, {"taken": [str(vitamin.pk), str(theirs.pk), "junk"]})
    assert response.status_code == 302
    answers = dict(MedicationDay.objects.values_list("medication_id", "taken"))
    assert answers == {dmt.pk: False, vitamin.pk: True}
    assert "Not as usual: Dimethyl fumarate (Tecfidera)" in _day_page(patient_client)
    patient_client.post(url, {"all": "1"})  # "Change": everything as usual after all
    assert dict(MedicationDay.objects.values_list("medication_id", "taken")) == {dmt.pk: True, vitamin.pk: True}


@pages
def test_the_section_works_without_javascript(patient_client, patient, htmx):
    Medication.objects.create(patient=patient, therapy="fingolimod", is_dmt=True, ask_daily=True)
    url = reverse("tracker:medicines", args=[TODAY - timedelta(days=3)])
    plain = patient_client.post(url, {"all": "1"})
    assert plain.status_code == 302
    assert plain["Location"] == reverse("tracker:day", args=[TODAY - timedelta(days=3)]) + "#medicines"
    fragment = patient_client.post(reverse("tracker:medicines", args=[TODAY]), {"all": "1"}, **htmx)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.strip().startswith('<section id="medicines"') and "<html" not in html
    assert "Taken as usual ✓ (Fingolimod (Gilenya, Tascenso ODT))" in html


@pages
def test_a_future_day_is_refused(patient_client, patient):
    Medication.objects.create(patient=patient, therapy="fingolimod", is_dmt=True, ask_daily=True)
    response = patient_client.post(reverse("tracker:medicines", args=[TODAY + timedelta(days=1)]), {"all": "1"})
    assert response.status_code == 302
    assert not MedicationDay.objects.exists()


@pages
def test_others_medications_answer_404(patient_client, other_patient, clinician_client):
    theirs = Medication.objects.create(patient=other_patient, name="Theirs")
    for name in ("tracker:medication-edit", "tracker:medication-delete"):
        assert patient_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("tracker:medication-edit", "tracker:medication-stop", "tracker:medication-delete"):
        assert patient_client.post(reverse(name, args=[theirs.pk]), {"name": "Mine now"}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.stopped_on) == ("Theirs", None)
    # Clinicians read medications on the patient's pages; they have no write URL at all.
    for url in (
        reverse("tracker:medications"),
        reverse("tracker:medication-stop", args=[theirs.pk]),
        reverse("tracker:medicines", args=[TODAY]),
    ):
        assert clinician_client.post(url, {"name": "x", "all": "1"}).status_code == 403
    assert not MedicationDay.objects.exists()


def test_the_navigation_leads_to_the_treatments_page(patient_client):
    page = patient_client.get(reverse("tracker:today")).content.decode()
    assert f'href="{reverse("tracker:medications")}"' in page
    assert reverse("tracker:medications") == "/day/treatments/"
