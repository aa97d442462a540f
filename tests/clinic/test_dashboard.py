import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.access import visible_to
from clinic.dashboard import dashboard_rows
from guidance.models import DayScore, RuleSetVersion
from tests.clinic.conftest import add_relapse, clinician_client_for, log_days, make_grant
from tests.factories import ClinicianFactory, PatientFactory
from tracker.models import FatigueRating, MFISResponse


def rows_by_name(clinician, today):
    return {str(r.patient): r for r in dashboard_rows(visible_to(clinician), today)}


def scores(patient, today: date, recent: float, previous: float) -> None:
    version, _ = RuleSetVersion.objects.get_or_create(number=1)
    for offset in range(28):
        day = today - timedelta(days=offset)
        DayScore.objects.create(patient=patient, date=day, version=version, total=recent if offset < 14 else previous)


def test_it_flags_each_reason_for_attention(clinician, wording, today):
    well = PatientFactory(display_name="Well")
    relapsing = PatientFactory(display_name="Relapsing")
    tiring = PatientFactory(display_name="Tiring")
    slipping = PatientFactory(display_name="Slipping")
    silent = PatientFactory(display_name="Silent")
    for p in (well, relapsing, tiring, slipping, silent):
        make_grant(p, clinician)
    log_days(well, today, 28, fatigue=3)
    scores(well, today, 70, 70)
    log_days(relapsing, today, 28)
    add_relapse(relapsing, today - timedelta(days=10))
    add_relapse(well, today - timedelta(days=200), ended_on=today - timedelta(days=180))
    for offset in range(28):
        FatigueRating.objects.create(patient=tiring, date=today - timedelta(days=offset), score=7 if offset < 14 else 4)
    log_days(slipping, today, 28)
    scores(slipping, today, 40, 65)
    log_days(silent, today - timedelta(days=9), 20)

    rows = rows_by_name(clinician, today)
    assert rows["Well"].flags == []
    assert rows["Relapsing"].flags == ["relapse"]
    assert rows["Tiring"].flags == ["fatigue"]
    assert rows["Tiring"].fatigue_change == 3.0
    assert rows["Slipping"].flags == ["adherence"]
    assert rows["Silent"].flags == ["inactive"]
    assert rows["Silent"].last_entry == today - timedelta(days=9)


def test_only_a_qualifying_relapse_raises_the_relapse_flag(clinician, wording, today):
    people = {name: PatientFactory(display_name=name) for name in ("Short", "Fever", "Heat", "Within", "Example")}
    for person in people.values():
        make_grant(person, clinician)
    add_relapse(people["Short"], today - timedelta(days=5), lasted_over_24h=False)
    add_relapse(people["Fever"], today - timedelta(days=5), fever_or_infection=True)
    add_relapse(people["Heat"], today - timedelta(days=5), heat_exposure=True)
    # A relapse that ended 40 days ago, then an episode 25 days after its onset: part of that relapse.
    add_relapse(people["Within"], today - timedelta(days=45), ended_on=today - timedelta(days=40))
    add_relapse(people["Within"], today - timedelta(days=20), ended_on=today - timedelta(days=15))
    # The hand-worked example: relapse on day 0, a 12-hour episode on day 10, a real relapse on day 35 (today - 5).
    day0 = today - timedelta(days=40)
    add_relapse(people["Example"], day0, ended_on=day0 + timedelta(days=3))
    add_relapse(people["Example"], day0 + timedelta(days=10), ended_on=day0 + timedelta(days=10), lasted_over_24h=False)
    add_relapse(people["Example"], day0 + timedelta(days=35))

    rows = rows_by_name(clinician, today)
    flagged = {name for name, row in rows.items() if "relapse" in row.flags}
    assert flagged == {"Example"}


def test_it_shows_the_latest_completed_mfis(patient, clinician, granted, today):
    MFISResponse.objects.create(patient=patient, date=today - timedelta(days=40), items=[2] * 21, completed=True)
    MFISResponse.objects.create(patient=patient, date=today - timedelta(days=5), items=[1] * 21, completed=True)
    MFISResponse.objects.create(patient=patient, date=today, items=[4] * 3, completed=False)
    row = rows_by_name(clinician, today)[str(patient)]
    assert row.mfis_total == 21
    assert row.mfis_date == today - timedelta(days=5)


def test_two_data_points_do_not_make_a_trend(patient, clinician, granted, today):
    FatigueRating.objects.create(patient=patient, date=today, score=9)
    FatigueRating.objects.create(patient=patient, date=today - timedelta(days=20), score=1)
    assert "fatigue" not in rows_by_name(clinician, today)[str(patient)].flags


def test_it_filters_and_sorts_with_plain_get_parameters(clinician, wording, today):
    a = PatientFactory(display_name="Anna")
    b = PatientFactory(display_name="Bruno")
    for p in (a, b):
        make_grant(p, clinician)
    log_days(a, today, 3)
    client = clinician_client_for(clinician)
    page = client.get(reverse("clinic:dashboard"), {"flag": "inactive"}).content.decode()
    assert "Bruno" in page and "Anna" not in page
    page = client.get(reverse("clinic:dashboard"), {"sort": "name"}).content.decode()
    assert page.index("Anna") < page.index("Bruno")
    page = client.get(reverse("clinic:dashboard"), {"sort": "attention"}).content.decode()
    assert page.index("Bruno") < page.index("Anna")
    page = client.post(reverse("clinic:dashboard"), {"q": "ann"}).content.decode()
    assert "Anna" in page and "Bruno" not in page
    assert client.get(reverse("clinic:dashboard"), {"sort": "bogus", "flag": "<x>"}).status_code == 200


def test_htmx_filtering_returns_only_the_list(patient, clinician, granted):
    client = clinician_client_for(clinician)
    response = client.get(
        reverse("clinic:dashboard"), {"sort": "name"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-list"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="patient-list"')
    assert "<html" not in body


def populate(clinician, count: int, today: date) -> None:
    version, _ = RuleSetVersion.objects.get_or_create(number=1)
    for n in range(count):
        p = PatientFactory(display_name=f"P{n:03d}")
        make_grant(p, clinician)
        FatigueRating.objects.bulk_create(
            FatigueRating(patient=p, date=today - timedelta(days=d), score=(n + d) % 11) for d in range(0, 28, 3)
        )
        DayScore.objects.bulk_create(
            DayScore(patient=p, date=today - timedelta(days=d), version=version, total=50) for d in range(0, 28, 3)
        )
        MFISResponse.objects.create(patient=p, date=today - timedelta(days=n % 30), items=[n % 5] * 21, completed=True)
        if n % 7 == 0:
            add_relapse(p, today - timedelta(days=n % 40))


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("many", [200])
def test_the_dashboard_query_count_does_not_grow_with_patients(clinician, wording, today, many):
    client = clinician_client_for(clinician)
    populate(clinician, 1, today)
    one = count_queries(client)
    busy = ClinicianFactory()
    busy_client = clinician_client_for(busy)
    populate(busy, many, today)
    assert count_queries(busy_client) == one
    page = busy_client.get(reverse("clinic:dashboard")).content.decode()
    # Each row links to the patient's page and to their report.
    assert len(re.findall(r'href="/clinic/patients/\d+/"', page)) == many
    assert len(re.findall(r'href="/clinic/patients/\d+/report/"', page)) == many


def test_the_search_keeps_patient_names_out_of_urls_and_history(patient, clinician, granted):
    client = clinician_client_for(clinician)
    page = client.get(reverse("clinic:dashboard")).content.decode()
    start = page.rindex("<form", 0, page.index('role="search"'))
    form = page[start : page.index(">", page.index("hx-trigger", start))]
    assert 'method="post"' in form and 'hx-post="' in form and 'hx-push-url="false"' in form
    assert "hx-get" not in form
    # An htmx search answers the fragment, and no URL carries the name.
    response = client.post(
        reverse("clinic:dashboard"), {"q": patient.display_name}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-list"
    )
    assert response.content.decode().lstrip().startswith('<section id="patient-list"')
    assert "HX-Push-Url" not in response and "HX-Replace-Url" not in response
    # A name in a query string (an old bookmark, a shared link) is not a search.
    other = client.get(reverse("clinic:dashboard"), {"q": "nobody-matches-this"}).content.decode()
    assert patient.display_name in other
