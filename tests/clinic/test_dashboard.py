import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic import dashboard as dash
from clinic.access import visible_to
from clinic.dashboard import dashboard_rows
from clinic.models import PatientFlags
from clinic.services import refresh_flags
from guidance.models import DayScore, RuleSetVersion
from guidance.tasks import rescore_days_task
from tests.clinic.conftest import add_relapse, clinician_client_for, log_days, make_grant
from tests.factories import ClinicianFactory, PatientFactory
from tracker.models import FatigueRating, MFISResponse

# Signing in, the session, the clinician's invite code, the stale check, the count and one page
# of stored rows: the same whatever the number of patients.
DASHBOARD_QUERY_BUDGET = 12


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


def listed(page: str) -> list[str]:
    return re.findall(r'<a href="/clinic/patients/\d+/">([^<]+)</a>', page)


@pytest.mark.parametrize("many", [120])
def test_the_dashboard_query_count_does_not_grow_with_patients(clinician, wording, today, many):
    client = clinician_client_for(clinician)
    populate(clinician, 1, today)
    busy = ClinicianFactory()
    busy_client = clinician_client_for(busy)
    populate(busy, many, today)
    # The first visit computes and stores every row (a fixed number of queries, but SQLite splits
    # a long insert); later ones read the stored rows only, one page of them.
    count_queries(client)
    count_queries(busy_client)
    assert PatientFlags.objects.count() == many + 1
    assert count_queries(busy_client) == count_queries(client)


def test_the_dashboard_reads_stored_flags_within_a_fixed_query_budget(
    clinician, wording, today, django_assert_max_num_queries
):
    populate(clinician, 60, today)
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:dashboard"))  # the rows are stored
    with django_assert_max_num_queries(DASHBOARD_QUERY_BUDGET):
        response = client.get(reverse("clinic:dashboard"), {"page": "2", "sort": "name"})
    assert listed(response.content.decode()) == [f"P{n:03d}" for n in range(50, 60)]


def test_patients_come_fifty_a_page_flagged_first_each_once(clinician, wording, today):
    populate(clinician, 120, today)
    client = clinician_client_for(clinician)
    first = client.get(reverse("clinic:dashboard")).content.decode()
    assert len(listed(first)) == dash.PAGE_SIZE
    # Each row links to the patient's page and to their report.
    assert len(re.findall(r'href="/clinic/patients/\d+/report/"', first)) == dash.PAGE_SIZE
    assert "Patients 1 to 50 of 120" in first
    # The most flags first, then by name.
    counts = dict(PatientFlags.objects.values_list("patient__display_name", "flag_count"))
    expected = sorted(counts, key=lambda name: (-counts[name], name))
    assert listed(first) == expected[:50]
    assert counts[expected[0]] > counts[expected[-1]]
    # The page links keep the sort and filter, and mark where the clinician is.
    assert '<span class="pager-current" aria-current="page"><span class="visually-hidden">Page </span>1</span>' in first
    assert 'href="?sort=name&amp;page=2"' in client.get(reverse("clinic:dashboard"), {"sort": "name"}).content.decode()
    seen = []
    for number in (1, 2, 3):
        page = client.get(reverse("clinic:dashboard"), {"sort": "name", "page": str(number)}).content.decode()
        seen += listed(page)
    assert seen == [f"P{n:03d}" for n in range(120)]
    # A page past the end shows the last one; a wrong one the first.
    assert listed(client.get(reverse("clinic:dashboard"), {"sort": "name", "page": "9"}).content.decode())[0] == "P100"
    assert listed(client.get(reverse("clinic:dashboard"), {"sort": "name", "page": "x"}).content.decode())[0] == "P000"


def test_pages_of_a_search_are_buttons_that_post_it_again(clinician, wording, today):
    populate(clinician, 60, today)
    client = clinician_client_for(clinician)
    page = client.post(reverse("clinic:dashboard"), {"q": "p0", "sort": "name"}).content.decode()
    pager = page[page.index('<nav class="pager"') :]
    assert 'method="post"' in pager and '<input type="hidden" name="q" value="p0">' in pager
    assert "href=" not in pager[: pager.index("</nav>")]
    second = client.post(reverse("clinic:dashboard"), {"q": "p0", "sort": "name", "page": "2"}).content.decode()
    assert listed(second) == [f"P{n:03d}" for n in range(50, 60)]


def test_the_workers_rescore_after_a_save_refreshes_the_patients_row(
    patient, clinician, granted, today, django_capture_on_commit_callbacks
):
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:dashboard"))
    assert PatientFlags.objects.get(patient=patient).inactive
    FatigueRating.objects.create(patient=patient, date=today, score=5)  # saved; the stored row does not know yet
    assert PatientFlags.objects.get(patient=patient).inactive
    with django_capture_on_commit_callbacks(execute=True):
        rescore_days_task(patient.pk, today.isoformat(), today.isoformat())  # what the worker runs after a save
    stored = PatientFlags.objects.get(patient=patient)
    assert not stored.inactive
    assert stored.last_entry == today


def test_rows_of_an_earlier_day_are_computed_again(patient, clinician, granted, today, time_machine):
    log_days(patient, today, 3)
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:dashboard"))
    assert not PatientFlags.objects.get(patient=patient).inactive
    time_machine.move_to("2026-03-23 10:00:00+01:00", tick=False)  # a week later, nothing logged since
    page = clinician_client_for(clinician).get(reverse("clinic:dashboard")).content.decode()
    stored = PatientFlags.objects.get(patient=patient)
    assert stored.inactive and stored.computed_for == date(2026, 3, 23)
    assert "7 days ago" in page


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


def test_the_patient_page_shows_the_flags_of_the_list(
    patient, clinician, granted, today, django_capture_on_commit_callbacks
):
    add_relapse(patient, today - timedelta(days=3))
    client = clinician_client_for(clinician)
    review = reverse("clinic:patient", args=[patient.pk])
    page = client.get(review).content.decode()  # no stored row yet: computed
    assert "Relapse in the last 30 days" in page and "No entries for 7 days" in page
    client.get(reverse("clinic:dashboard"))
    page = client.get(review).content.decode()  # the stored row
    assert "Relapse in the last 30 days" in page and "No entries for 7 days" in page
    log_days(patient, today, 2)
    with django_capture_on_commit_callbacks(execute=True):
        rescore_days_task(patient.pk, today.isoformat(), today.isoformat())
    page = client.get(review).content.decode()
    assert "Relapse in the last 30 days" in page and "No entries for 7 days" not in page


def test_a_stored_row_gives_the_same_flags_and_evidence_as_a_computed_one(clinician, wording, today):
    tiring = PatientFactory(display_name="Tiring")
    relapsing = PatientFactory(display_name="Relapsing")
    for p in (tiring, relapsing):
        make_grant(p, clinician)
    for offset in range(28):
        FatigueRating.objects.create(patient=tiring, date=today - timedelta(days=offset), score=7 if offset < 14 else 4)
    scores(tiring, today, 40, 65)
    add_relapse(relapsing, today - timedelta(days=40), ended_on=today - timedelta(days=20))
    computed = rows_by_name(clinician, today)
    refresh_flags(patient_ids=[tiring.pk, relapsing.pk], today=today)
    for person in (tiring, relapsing):
        stored = dash.stored_row(person, PatientFlags.objects.get(patient=person), today)
        assert stored.flags == computed[str(person)].flags
        assert stored.flag_items == computed[str(person)].flag_items
    assert [f.key for f in computed["Tiring"].flag_items] == ["fatigue", "adherence"]
    assert "relapse" in computed["Relapsing"].flags
