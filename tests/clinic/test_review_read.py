"""The review page reads its relapses, medicines, EDSS, MFIS, notes, flags and the patient's
profile in one query (`selectors.review_read`): the same rows, checks and counts as the selectors
the report and the other pages use, whatever the patient's time zone."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Profile
from clinic import dashboard, selectors
from clinic.services import add_note, record_edss, refresh_flags, review_relapse
from tests.clinic.conftest import add_relapse, clinician_client_for, make_grant
from tests.factories import ClinicianFactory
from tests.tracker.conftest import demo_catalog  # noqa: F401 - a fixture: the foods eaten
from tracker.demo import mfis_items
from tracker.measures import MFIS_PHYSICAL
from tracker.models import Food, MealItem, Medication, MedicationDay, MFISResponse
from tracker.selectors import today_of

# The review page's queries beyond the session's: the signed-in clinician and their second factor,
# the access check and its audit event, the range's days, a page of their foods, everything else
# the page lists, and the weekly charts' one (their digest, the rule set's id, weeks pending). SQLite
# (`make run`) has no digest: it reads the summaries and the pending marker, one more.
REVIEW_QUERY_BUDGET = 8


def _relapses(items: list[selectors.RelapseItem]) -> list[tuple]:
    return [(i.relapse.pk, i.label, [r.pk for r in i.reviews], i.my_review.pk if i.my_review else None) for i in items]


def _medicines(rows: list[selectors.MedicationSummary]) -> list[tuple]:
    return [(r.medication.pk, r.days_current, r.days_answered, r.days_as_usual) for r in rows]


@pytest.fixture
def history(patient, clinician, granted, today):
    """A patient in another time zone with a bit of everything, some of it before the range."""
    Profile.objects.filter(user=patient).update(time_zone="Pacific/Pago_Pago")  # UTC-11: still yesterday
    colleague = ClinicianFactory()
    before = add_relapse(patient, today - timedelta(days=200), ended_on=today - timedelta(days=190))
    inside = add_relapse(patient, today - timedelta(days=20), ended_on=today - timedelta(days=10))
    ongoing = add_relapse(patient, today - timedelta(days=3), fever_or_infection=True)
    review_relapse(relapse=before, reviewer=clinician, verdict="confirmed", note="old")
    review_relapse(relapse=inside, reviewer=colleague, verdict="pseudo", note="heat")
    review_relapse(relapse=inside, reviewer=clinician, verdict="confirmed", note="mine")
    review_relapse(relapse=ongoing, reviewer=colleague, verdict="unsure", note="")
    dmt = Medication.objects.create(patient=patient, name="Ocrelizumab", is_dmt=True, ask_daily=True)
    Medication.objects.create(patient=patient, name="Stopped", stopped_on=today - timedelta(days=300))
    Medication.objects.create(patient=patient, name="Vitamin D", started_on=today - timedelta(days=5))
    for offset in range(6):
        MedicationDay.objects.create(
            patient=patient, medication=dmt, date=today - timedelta(days=offset), taken=offset != 2
        )
    for offset, score in ((400, "3.5"), (30, "4.0")):
        record_edss(
            patient=patient, clinician=clinician, assessed_on=today - timedelta(days=offset), score=Decimal(score)
        )
    rng = random.Random(4)  # noqa: S311 - demo answers, not secrets
    for weeks in (1, 70):
        MFISResponse.objects.create(
            patient=patient, date=today - timedelta(weeks=weeks), items=mfis_items(rng, 1.5), completed=True
        )
    unfinished = [2 if number in MFIS_PHYSICAL else None for number in range(1, 22)]  # the physical items only
    MFISResponse.objects.create(patient=patient, date=today - timedelta(weeks=30), items=unfinished, completed=False)
    add_note(patient=patient, author=colleague, body="first")
    add_note(patient=patient, author=clinician, body="second")
    return today - timedelta(days=60), today


@pytest.mark.parametrize(
    "stored_for", [0, 30, None], ids=["flags stored today", "flags stored a month ago", "none stored"]
)
def test_the_one_query_read_is_what_each_selector_gives(
    patient, clinician, history, today, stored_for, django_assert_num_queries
):
    start, end = history
    if stored_for is not None:
        refresh_flags(patient_ids=[patient.pk], today=today - timedelta(days=stored_for))
    patient.refresh_from_db()
    with django_assert_num_queries(1):
        read = selectors.review_read(patient, start, end, clinician)
        assert patient.profile.time_zone == "Pacific/Pago_Pago"  # read with the rest
    expected = selectors.relapse_items(patient, start, end, clinician)
    assert len(expected) == 2 and expected[1].my_review is not None
    assert _relapses(read.relapses) == _relapses(expected)
    assert _medicines(read.medications) == _medicines(selectors.medications_for_report(patient, start, end))
    assert len(read.medications) == 2
    assert [e.pk for e in read.edss] == [e.pk for e in selectors.edss_history(patient)]
    assert read.mfis == selectors.mfis_history(patient)
    assert [n.body for n in read.notes] == [n.body for n in selectors.notes_for(patient)] == ["second", "first"]
    assert read.today == today_of(patient) == today - timedelta(days=1)
    flags = dashboard.patient_row_from(patient, read.flags, today)
    assert flags == dashboard.patient_row(patient, today)
    assert "relapse" in flags.flags


@pytest.mark.usefixtures("demo_catalog")
def test_the_review_page_stays_within_its_query_budget(patient, clinician, history, today):
    MealItem.objects.create(patient=patient, date=today, meal="lunch", food=Food.objects.first(), grams=80)
    refresh_flags(patient_ids=[patient.pk], today=today)  # as the worker keeps them
    client = clinician_client_for(clinician)
    url = reverse("clinic:patient", args=[patient.pk])
    client.get(url)  # (the session's first request: language, OTP device)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert "Ocrelizumab" in page and "second" in page and "Confirm or annotate" in page and "clinic-foods" in page
    own = [q["sql"] for q in queries.captured_queries if "accounts_usersession" not in q["sql"]]
    assert len(own) <= REVIEW_QUERY_BUDGET + (connection.vendor != "postgresql"), "\n".join(s[:120] for s in own)


def test_the_mfis_history_shows_each_score_and_an_unfinished_questionnaire(patient, clinician, history, today):
    client = clinician_client_for(clinician)
    page = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    first, unfinished, _oldest = selectors.mfis_history(patient)
    assert first.total is not None and (unfinished.total, unfinished.physical, unfinished.answered) == (None, 18, 9)
    day = f"{unfinished.date.day} {unfinished.date:%b %Y}"
    blank = "<td>–</td>"
    row = f'<tr><td>{day} <span class="muted">(9/21 answered)</span></td>{blank}<td>18</td>{blank * 3}</tr>'
    assert row in page
    assert f"<td>{first.total}</td><td>{first.physical}</td><td>{first.cognitive}</td>" in page
    Profile.objects.filter(user=clinician).update(language="fr")
    french = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "(9/21 réponses)" in french


def test_the_empty_edss_form_is_drawn_for_the_patients_day_and_the_clinicians_language(
    patient, other_patient, clinician, history, today
):
    """An empty form's fields are drawn once per language and day: each patient's page still offers
    the examination on the patient's own today, in the clinician's language."""
    make_grant(other_patient, clinician)
    Profile.objects.filter(user=other_patient).update(time_zone="Europe/Paris")
    client = clinician_client_for(clinician)
    pages = {
        p.pk: client.get(reverse("clinic:patient", args=[p.pk])).content.decode() for p in (patient, other_patient)
    }
    yesterday = (today - timedelta(days=1)).isoformat()  # Pago Pago, still yesterday
    assert f'value="{yesterday}"' in pages[patient.pk] and f'max="{yesterday}"' in pages[patient.pk]
    assert f'value="{today.isoformat()}"' in pages[other_patient.pk]
    assert "Date of the examination" in pages[patient.pk]
    Profile.objects.filter(user=clinician).update(language="fr")
    french = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "Date of the examination" not in french and "Date de l&#x27;examen" in french
    # A refused score is drawn with what was typed and the reason, not the empty form.
    refused = client.post(reverse("clinic:edss-add", args=[patient.pk]), {"score": "11", "assessed_on": yesterday})
    assert refused.status_code == 422 and f'value="{yesterday}"' in refused.content.decode()


def test_the_timeline_shows_every_reading_and_the_clinicians_own_to_change(patient, clinician, history, today):
    client = clinician_client_for(clinician)
    page = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    inside = selectors.relapse_items(patient, *history, clinician)[1].relapse
    item = page[page.index(f'<li id="relapse-{inside.pk}"') :]
    item = item[: item.index("</li>")]
    assert "<strong>Pseudo-relapse</strong> —" in item and ": heat</p>" in item  # the colleague's reading
    assert "<strong>Confirmed relapse</strong> —" in item and ": mine</p>" in item
    assert "<summary>Change your reading</summary>" in item
    assert 'value="confirmed" required checked>' in item and 'value="pseudo" required>' in item
    assert f'<textarea id="review-note-{inside.pk}" name="note" rows="2" maxlength="2000">mine</textarea>' in item
    action = reverse("clinic:relapse-review", args=[patient.pk, inside.pk])
    assert f'action="{action}"' in item
    assert 'name="csrfmiddlewaretoken" value="' in item
    # The patient sees the same timeline, readings included, without the clinicians' forms.
    own = Client()
    own.force_login(patient)
    mine = own.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert (
        "<strong>Pseudo-relapse</strong> —" in mine
        and "<form" not in mine[mine.index('id="relapses"') : mine.index('id="treatments"')]
    )
