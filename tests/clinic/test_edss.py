"""EDSS: a granted clinician records a Kurtzke score with its date; the patient sees it, neutrally."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import Action, AuditEvent
from clinic.models import EDSSScore
from clinic.selectors import edss_history
from tests.clinic.conftest import clinician_client_for, make_grant
from tests.factories import ClinicianFactory, PatientFactory
from tracker.measures import EDSS_SCORES


def test_the_scale_has_the_twenty_kurtzke_steps():
    assert len(EDSS_SCORES) == 20
    assert [str(s) for s in EDSS_SCORES[:4]] == ["0.0", "1.0", "1.5", "2.0"]
    assert EDSS_SCORES[-2:] == (Decimal("9.5"), Decimal("10.0"))
    assert Decimal("0.5") not in EDSS_SCORES


@pytest.mark.django_db
def test_the_database_refuses_a_score_off_the_scale_and_two_on_one_day():
    patient, clinician = PatientFactory(), ClinicianFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EDSSScore.objects.create(patient=patient, score=Decimal("0.5"), assessed_on=date(2026, 1, 5))
    EDSSScore.objects.create(patient=patient, score=Decimal("3.5"), assessed_on=date(2026, 1, 5), recorded_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        EDSSScore.objects.create(patient=patient, score=Decimal("4.0"), assessed_on=date(2026, 1, 5))


@pytest.mark.django_db
def test_edss_history_is_newest_first_up_to_the_end_date():
    patient = PatientFactory()
    days = [date(2025, 1, 15), date(2025, 7, 1), date(2026, 1, 5), date(2026, 3, 1)]
    for day in days:
        EDSSScore.objects.create(patient=patient, score=Decimal("3.0"), assessed_on=day)
    EDSSScore.objects.create(patient=PatientFactory(), score=Decimal("6.0"), assessed_on=date(2026, 1, 6))
    assert [s.assessed_on for s in edss_history(patient)] == days[::-1]
    assert [s.assessed_on for s in edss_history(patient, end=date(2026, 2, 1), limit=2)] == [days[2], days[1]]


# ---------------------------------------------------------------- recording, reading, editing


@pytest.fixture
def visit(patient, clinician, granted, time_machine):
    time_machine.move_to("2026-03-16 10:00:00+01:00", tick=False)
    return clinician_client_for(clinician)


def _record(client, patient, score="3.5", day="2026-03-16", note=""):
    return client.post(
        reverse("clinic:edss-add", args=[patient.pk]), {"score": score, "assessed_on": day, "note": note}
    )


@pytest.mark.parametrize("score", [str(s) for s in EDSS_SCORES] + ["0", "10", "3.50"])
def test_edss_accepts_only_kurtzke_steps(visit, patient, score):
    response = _record(visit, patient, score)
    assert response.status_code == 302, response.context and response.context["edss_form"].errors
    assert EDSSScore.objects.get(patient=patient).score == Decimal(score)


@pytest.mark.parametrize("score", ["0.5", "10.5", "-1", "abc", "", "3.25", "1e1", "\x00"])
def test_edss_refuses_anything_else_with_a_form_error(visit, patient, score):
    response = _record(visit, patient, score)
    assert response.status_code == 422
    assert response.context["edss_form"].errors["score"]
    assert not EDSSScore.objects.exists()


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-03-17", "The examination date cannot be after today."),
        ("1982-12-31", "Enter a date after 1 January 1983."),
        ("2026-02-30", "Enter a valid date."),
    ],
)
def test_edss_dates_are_checked(visit, patient, day, message):
    response = _record(visit, patient, day=day)
    assert response.status_code == 422
    assert message in response.context["edss_form"].errors["assessed_on"]
    assert message in response.content.decode()


def test_the_form_offers_the_twenty_steps_and_the_patients_today(visit, patient, clinician):
    patient.profile.time_zone = "Pacific/Auckland"
    patient.profile.save()
    page = visit.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    form = page[page.index('action="/clinic/patients/') :]
    assert form.count("<option") == 21  # the empty choice and the 20 steps
    assert '<option value="1.0">1.0</option>' in form and '<option value="10.0">10</option>' in form
    assert 'value="0.5"' not in form
    assert 'value="2026-03-16"' in form  # 10:00 in Paris is 22:00 in Auckland: still the 16th there
    clinician.profile.language = "fr"
    clinician.profile.save()
    fr_page = visit.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert '<option value="1.5">1,5</option>' in fr_page


def test_recording_is_audited_and_shown(visit, patient, clinician):
    response = _record(visit, patient, note="Neurostatus")
    assert response["Location"].endswith("#edss")
    edss = EDSSScore.objects.get(patient=patient)
    assert (edss.recorded_by, edss.recorded_by_name, edss.note) == (clinician, str(clinician), "Neurostatus")
    event = AuditEvent.objects.get(action=Action.EDSS_RECORDED)
    assert (event.actor, event.patient, event.what) == (clinician, patient, f"edss {edss.pk}")
    page = visit.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert '<data value="3.5">3.5</data>' in page and "Neurostatus" in page


def test_one_edss_per_day_is_a_form_error(visit, patient, clinician):
    colleague = ClinicianFactory(display_name="Dr Colleague")
    make_grant(patient, colleague)
    assert _record(clinician_client_for(colleague), patient, "2.0").status_code == 302
    response = _record(visit, patient, "3.0")
    assert response.status_code == 422
    errors = response.context["edss_form"].errors["assessed_on"]
    assert errors == ["An EDSS is already recorded for this date (by Dr Colleague). Edit it instead."]
    assert EDSSScore.objects.get(patient=patient).score == Decimal("2.0")


def test_only_the_author_edits_or_deletes(visit, patient, clinician):
    colleague = ClinicianFactory()
    make_grant(patient, colleague)
    _record(visit, patient, "3.5")
    edss = EDSSScore.objects.get()
    url = reverse("clinic:edss-edit", args=[patient.pk, edss.pk])
    other = clinician_client_for(colleague)
    assert other.get(url).status_code == 404
    assert other.post(url, {"delete": "1"}).status_code == 404
    assert url.encode() not in other.get(reverse("clinic:patient", args=[patient.pk])).content
    assert visit.post(url, {"score": "4.0", "assessed_on": "2026-03-15", "note": "corrected"}).status_code == 302
    edss.refresh_from_db()
    assert (edss.score, edss.assessed_on, edss.note) == (Decimal("4.0"), date(2026, 3, 15), "corrected")
    assert visit.post(url, {"delete": "1"}).status_code == 302
    assert not EDSSScore.objects.exists()


def _edss_block(html: str) -> str:
    start = html.index('<section id="edss"')
    return html[start : html.index("</section>", start)]


NOT_NEUTRAL = ("worse", "better", "severe", "mild", "disability level", "pire", "mieux", "sévère", "léger", "niveau")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_patient_sees_score_date_and_author_only(visit, patient, patient_client, language):
    _record(visit, patient, "3.5", day="2025-01-15", note="private clinical note")
    patient.profile.language = language
    patient.profile.save()
    for url in (reverse("tracker:medications"), reverse("clinic:patient", args=[patient.pk])):
        block = _edss_block(patient_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode())
        if language == "en":
            assert "15 January 2025 — EDSS 3.5 — recorded by" in block
            assert "Your neurologist can tell you what it means for you." in block
        else:
            assert "15 janvier 2025 — EDSS 3,5 — noté par" in block
            assert "Votre neurologue peut vous dire ce qu'il signifie pour vous." in block
        assert "private clinical note" not in block
        assert not any(word in block.lower() for word in NOT_NEUTRAL), block
        assert "<form" not in block
