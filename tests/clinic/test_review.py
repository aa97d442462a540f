from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Profile
from clinic.models import ClinicianNote
from clinic.services import add_note
from tests.clinic.conftest import add_relapse, clinician_client_for
from tests.tracker.relapse_paths import FIRST_RELAPSE, LABEL_PATHS, make_label_path
from tracker.models import CustomSymptom, FatigueRating, MFISResponse, SymptomLog, SymptomRating

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("payload", PAYLOADS)
def test_patient_text_is_escaped_on_clinician_pages(patient, clinician, granted, today, payload):
    patient.display_name = payload
    patient.save(update_fields=["display_name"])
    SymptomLog.objects.create(patient=patient, date=today, note=payload)
    symptom = CustomSymptom.objects.create(patient=patient, name=payload[:60])
    SymptomRating.objects.create(patient=patient, date=today, symptom=symptom, score=4)
    add_relapse(patient, today - timedelta(days=3), symptoms=payload)
    add_note(patient=patient, author=clinician, body=payload)
    client = clinician_client_for(clinician)
    pages = [
        client.get(reverse("clinic:dashboard")),
        client.get(reverse("clinic:patient", args=[patient.pk])),
        client.get(reverse("clinic:report", args=[patient.pk])),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert(1)" not in body
        assert "<img src=x" not in body
        assert "&lt;" in body


def test_the_review_page_shows_the_range_with_entries_relapses_mfis_and_notes(patient, clinician, granted, today):
    FatigueRating.objects.create(patient=patient, date=today - timedelta(days=2), score=7)
    FatigueRating.objects.create(patient=patient, date=today - timedelta(days=200), score=2)
    first = add_relapse(patient, today - timedelta(days=40), symptoms="optic neuritis")
    add_relapse(patient, today - timedelta(days=30), symptoms="tingling feet", fever_or_infection=True)
    add_note(patient=patient, author=clinician, body="discussed sleep")
    client = clinician_client_for(clinician)
    page = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "optic neuritis" in page and "tingling feet" in page
    assert "Possible pseudo-relapse" in page
    assert "there was a fever or an infection when it started" in page
    assert "discussed sleep" in page
    assert f"relapse-{first.pk}" in page
    # The range narrows the day entries.
    start = (today - timedelta(days=210)).isoformat()
    end = (today - timedelta(days=190)).isoformat()
    narrowed = client.get(reverse("clinic:patient", args=[patient.pk]), {"start": start, "end": end}).content.decode()
    assert "Days logged</dt><dd>1<" in narrowed.replace("\n", "").replace("  ", "")


def test_wide_tables_scroll_in_regions_a_keyboard_can_reach(patient_client, patient, clinician, granted, today):
    """On a phone the MFIS, day and audit tables scroll sideways: each scrolling box takes focus and has a name."""

    FatigueRating.objects.create(patient=patient, date=today, score=5)
    MFISResponse.objects.create(patient=patient, date=today, items=[2] * 21, completed=True)
    page = clinician_client_for(clinician).get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert (
        page.count('class="table-wrap"')
        == page.count('class="table-wrap" tabindex="0" role="region" aria-labelledby="')
        == 2
    )
    assert 'aria-labelledby="mfis-heading"' in page and 'aria-labelledby="days-heading"' in page
    sharing = patient_client.get(reverse("clinic:sharing")).content.decode()
    assert 'class="table-wrap" tabindex="0" role="region" aria-labelledby="views-heading"' in sharing


def test_a_refused_note_comes_back_with_the_error_and_the_text_as_typed(patient, clinician, granted):
    client = clinician_client_for(clinician)
    typed = "Discussed the new fatigue pattern at length. " * 100  # 4,500 characters: over the 4,000 limit
    response = client.post(reverse("clinic:note-add", args=[patient.pk]), {"body": typed})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Discussed the new fatigue pattern at length." in page.split('id="notes"')[1]
    assert "at most 4000 characters" in page
    assert not ClinicianNote.objects.exists()
    saved = client.post(reverse("clinic:note-add", args=[patient.pk]), {"body": "Short and fine."})
    assert saved.status_code == 302 and ClinicianNote.objects.get().body == "Short and fine."


def test_a_bad_range_is_a_form_error_not_a_crash(patient, clinician, granted):
    client = clinician_client_for(clinician)
    response = client.get(reverse("clinic:patient", args=[patient.pk]), {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert b"The start date must be on or before the end date." in response.content
    response = client.get(reverse("clinic:patient", args=[patient.pk]), {"start": "not-a-date\x00"})
    assert response.status_code == 200


def test_the_clinician_confirms_or_annotates_a_relapse(patient, clinician, granted, today):
    relapse = add_relapse(patient, today - timedelta(days=5))
    client = clinician_client_for(clinician)
    url = reverse("clinic:relapse-review", args=[patient.pk, relapse.pk])
    client.post(url, {"verdict": "confirmed", "note": "MRI pending"})
    client.post(url, {"verdict": "pseudo", "note": "infection found"})
    review = relapse.reviews.get()
    assert (review.verdict, review.note, review.reviewer) == ("pseudo", "infection found", clinician)
    page = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "infection found" in page
    assert client.post(url, {"verdict": "maybe"}).status_code == 302
    assert relapse.reviews.get().verdict == "pseudo"


def test_the_patient_sees_their_page_without_clinician_notes(patient_client, patient, clinician, granted):
    add_note(patient=patient, author=clinician, body="private clinician remark")
    page = patient_client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "private clinician remark" not in page
    assert "This is the page a clinician you share with sees" in page


def test_the_report_has_a_print_stylesheet_and_the_range(patient, clinician, granted, today):
    client = clinician_client_for(clinician)
    response = client.get(reverse("clinic:report", args=[patient.pk]), {"start": "2026-01-01", "end": "2026-03-01"})
    body = response.content.decode()
    assert "css/clinic.css" in body
    assert "1 January 2026" in body and "1 March 2026" in body
    assert response["Cache-Control"].startswith("no-store")


@pytest.mark.parametrize("path", LABEL_PATHS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_patient_and_clinician_read_the_same_words_for_every_relapse_check(
    patient, patient_client, clinician, granted, today, path, language
):
    Profile.objects.filter(user__in=[patient, clinician]).update(language=language)
    make_label_path(patient, path)
    _facts, _days, headline_en, reasons_en, headline_fr, reasons_fr = LABEL_PATHS[path]
    headline, reasons = (headline_fr, reasons_fr) if language == "fr" else (headline_en, reasons_en)
    words = [escape(headline), *(escape(reason) for reason in reasons)]
    client = clinician_client_for(clinician)
    period = {"start": FIRST_RELAPSE.isoformat(), "end": today.isoformat()}
    pages = {
        "patient": patient_client.get(reverse("tracker:relapses")),
        "clinician": client.get(reverse("clinic:patient", args=[patient.pk]), period),
        "report": client.get(reverse("clinic:report", args=[patient.pk]), period),
    }
    for name, response in pages.items():
        body = response.content.decode()
        for text in words:
            assert text in body, (name, text)


def test_the_review_page_and_the_report_count_qualifying_relapses_only(patient, clinician, granted, today):
    """Relapse, a 12-hour episode 10 days later, a real relapse on day 35, a fever flare on day 50."""
    day0 = today - timedelta(days=60)
    add_relapse(patient, day0)
    add_relapse(patient, day0 + timedelta(days=10), lasted_over_24h=False)
    add_relapse(patient, day0 + timedelta(days=35))
    add_relapse(patient, day0 + timedelta(days=50), fever_or_infection=True)
    client = clinician_client_for(clinician)
    period = {"start": (day0 - timedelta(days=1)).isoformat(), "end": today.isoformat()}
    for page in ("clinic:patient", "clinic:report"):
        body = client.get(reverse(page, args=[patient.pk]), period).content.decode()
        flat = " ".join(body.split())
        assert "2 (of 4 episodes logged)" in flat, page
        assert flat.count("Meets the definition of a relapse") == 2
        assert "A fluctuation (under 24 hours)" in flat and "Possible pseudo-relapse" in flat
