"""Medications: the list of disease-modifying therapies, the patient's list and the daily "taken as usual"."""

import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
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
