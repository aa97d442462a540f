"""The review page's day table, 14 logged days at a time: a plain link without JavaScript, an
appended fragment with htmx, both read through the access chokepoint and audited like the page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Action, AuditEvent
from clinic import selectors
from clinic.models import ConsentWording
from clinic.services import grant_access
from tests.clinic.conftest import clinician_client_for, log_days
from tests.factories import ClinicianFactory
from tests.tracker.conftest import demo_catalog  # noqa: F401 - a fixture: the foods demo.make_history eats
from tracker import demo
from tracker.models import Food, MealItem

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "days-table"}


def row_dates(html: str) -> list[str]:
    """The dates of the day table's rows, in page order."""
    return re.findall(r'<th scope="row" data-label="Date">([^<]+)</th>', html)


def url_for(patient) -> str:
    return reverse("clinic:patient", args=[patient.pk])


@pytest.fixture
def forty_days(patient, today):
    """40 logged days, each with a note naming it (day 0 is today)."""
    for offset in range(40):
        log_days(patient, today - timedelta(days=offset), 1, note=f"note of day {offset}")


def test_the_review_page_lists_the_newest_14_days_and_a_link_to_the_next(patient, clinician, granted, forty_days):
    page = clinician_client_for(clinician).get(url_for(patient)).content.decode()
    assert len(row_dates(page)) == 14
    assert "note of day 0<" in page and "note of day 13<" in page and "note of day 14<" not in page
    # The summary still covers the whole range (the default 12 weeks hold all 40 days).
    assert "Days logged</dt><dd>40<" in page
    assert "The newest 14 of 40 days logged in this range, newest first." in page
    link = re.search(r'<a id="days-more-link" class="button" href="([^"]+)" hx-get="([^"]+)"', page)
    assert link is not None
    href, hx_get = (value.replace("&amp;", "&") for value in link.groups())
    assert href.endswith("&page=2#days") and hx_get == href.removesuffix("#days")
    assert "Show 14 earlier days" in page and "26 earlier days not shown yet" in page
    # The table keeps its headers, its labelled scrolling region and the phone layout's labels.
    assert 'role="region" aria-labelledby="days-heading"' in page
    assert page.count('<th scope="col">') >= 7 and 'data-label="Symptoms and notes"' in page


def test_without_javascript_the_link_shows_that_page_with_a_way_back(patient, clinician, granted, forty_days):
    client = clinician_client_for(clinician)
    second = client.get(url_for(patient), {"page": 2}).content.decode()
    assert "note of day 14<" in second and "note of day 27<" in second
    assert "note of day 13<" not in second and "note of day 28<" not in second
    assert "Days 15 to 28 of 40 logged in this range, newest first." in second
    assert "<html" in second and "Days logged</dt><dd>40<" in second  # the whole page, summary unchanged
    assert "Back to the newest days" in second and "&amp;page=1#days" in second
    last = client.get(url_for(patient), {"page": 3}).content.decode()
    assert len(row_dates(last)) == 12 and "note of day 39<" in last
    assert 'id="days-more-link" class="button"' not in last  # nothing earlier
    assert "&amp;page=2#days" in last and "Newer days" in last


def test_htmx_gets_only_the_rows_and_the_next_control(patient, clinician, granted, forty_days):
    response = clinician_client_for(clinician).get(url_for(patient), {"page": 2}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "Days logged" not in body and "clinic-days" not in body
    assert body.lstrip().startswith('<tbody id="days-page-2">')
    assert len(row_dates(body)) == 14 and "note of day 14<" in body and "note of day 27<" in body
    # The control below the table and the count (a polite status) are replaced beside the rows.
    assert '<div id="days-more" class="clinic-more" hx-swap-oob="true">' in body
    assert "&amp;page=3" in body and "Show 12 earlier days" in body
    assert '<p id="days-shown" hx-swap-oob="innerHTML">' in body
    assert "14 earlier days added to the table: days 15 to 28 of the 40 logged in this range." in body
    last = clinician_client_for(clinician).get(url_for(patient), {"page": 3}, **HTMX).content.decode()
    assert "Show 12" not in last and 'id="days-more-link" href="#days"' in last


def test_a_page_of_days_is_audited_like_the_review_page(patient, clinician, granted, forty_days):
    client = clinician_client_for(clinician)
    reads = AuditEvent.objects.filter(action=Action.PATIENT_READ, actor=clinician, patient=patient)
    before = reads.count()
    client.get(url_for(patient), {"page": 2}, **HTMX)
    client.get(url_for(patient), {"page": 3})
    assert reads.count() == before + 2
    assert set(reads.values_list("what", flat=True)) == {"clinic:patient"}


def test_the_patient_pages_their_own_days_without_an_audit_event(patient_client, patient, granted, forty_days):
    response = patient_client.get(url_for(patient), {"page": 2}, **HTMX)
    assert response.status_code == 200 and "note of day 14<" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.PATIENT_READ, patient=patient).exists()


def test_a_clinician_without_a_grant_gets_a_404_and_a_denial_event(patient, clinician, granted, forty_days):
    outsider = ClinicianFactory()
    client = clinician_client_for(outsider)
    for extra in ({}, HTMX):
        response = client.get(url_for(patient), {"page": 2}, **extra)
        assert response.status_code == 404
        assert "note of day" not in response.content.decode()
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=outsider)
    assert list(denied.values_list("what", flat=True)) == [f"clinic:patient id={patient.pk}"] * 2


@pytest.mark.parametrize(
    ("page", "first_note"),
    [("abc", 0), ("-1", 0), ("0", 0), ("", 0), ("1.5", 0), ("99", 28), ("9" * 40, 28), ("3", 28)],
)
def test_a_bad_page_number_answers_a_sensible_page(patient, clinician, granted, forty_days, page, first_note):
    client = clinician_client_for(clinician)
    for extra in ({}, HTMX):
        response = client.get(url_for(patient), {"page": page}, **extra)
        assert response.status_code == 200
        assert f"note of day {first_note}<" in response.content.decode()


def test_a_start_after_the_end_is_a_form_error_and_the_days_still_page(patient, clinician, granted, today, forty_days):
    client = clinician_client_for(clinician)
    params = {"start": today.isoformat(), "end": (today - timedelta(days=10)).isoformat(), "page": "2"}
    page = client.get(url_for(patient), params).content.decode()
    assert "The start date must be on or before the end date." in page
    assert "note of day 14<" in page  # the default range instead
    fragment = client.get(url_for(patient), params, **HTMX)
    assert fragment.status_code == 200 and "note of day 14<" in fragment.content.decode()


def test_nothing_logged_shows_no_table_and_no_control(patient, clinician, granted, today):
    client = clinician_client_for(clinician)
    page = client.get(url_for(patient), {"page": 4}).content.decode()
    assert "Nothing logged in this range." in page and "days-more" not in page
    assert client.get(url_for(patient), {"page": 4}, **HTMX).status_code == 200


@pytest.mark.usefixtures("demo_catalog")
def test_the_summary_and_the_foods_match_the_full_rows(patient, today):
    """The day table reads the foods of its page only; the summary is the same as from every food."""
    demo.make_history(patient, today - timedelta(days=60), today, seed=5, style="mixed")
    full = selectors.day_rows(patient, today - timedelta(days=60), today)
    light = selectors.day_rows(patient, today - timedelta(days=60), today, foods=False)
    assert selectors.summarise(light) == selectors.summarise(full)
    assert [(r.date, r.meal_items, r.fiber_g) for r in light] == [(r.date, r.meal_items, r.fiber_g) for r in full]
    page = selectors.days_page(patient, light, "2")
    assert [[i.pk for i in r.foods] for r in page.rows] == [[i.pk for i in r.foods] for r in full[14:28]]


def _review_queries(client, patient, today, params) -> int:
    range_params = {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat(), **params}
    client.get(url_for(patient), range_params)  # warm up (session, language)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url_for(patient), range_params, **(HTMX if params else {}))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.usefixtures("demo_catalog", "granted")
@pytest.mark.parametrize("params", [{}, {"page": "2"}], ids=["review page", "a page of days"])
def test_the_review_and_a_page_of_days_cost_the_same_queries_for_a_month_or_a_year(
    patient, other_patient, clinician, today, params
):
    demo.make_history(patient, today - timedelta(days=29), today, seed=3, style="mixed")
    grant_access(patient=other_patient, clinician=clinician, wording=ConsentWording.current())
    demo.make_history(other_patient, today - timedelta(days=364), today, seed=3, style="mixed")
    assert MealItem.objects.filter(patient=other_patient).count() > 1000
    assert Food.objects.exists()
    client = clinician_client_for(clinician)
    assert _review_queries(client, patient, today, params) == _review_queries(client, other_patient, today, params)
