"""The day's score: one line with the total on the day page, the panel (a line per rule) when opened."""

import datetime as dt

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone

from guidance import selectors, services
from guidance.tasks import RESCORE_DELAY_SECONDS
from tests.conftest import restore_migrated_rules
from tests.tracker.conftest import TODAY
from tests.tracker.factories import FoodFactory, MealItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]


@pytest.fixture
def scored_day(patient):
    restore_migrated_rules()  # (emptied by a transactional test before, for the one below)
    MealItemFactory(
        patient=patient,
        date=TODAY,
        meal="lunch",
        food=FoodFactory(name_en="Kimchi", fermented=True, groups=["vegetable"]),
        grams=70,
    )
    services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=selectors.current_version())
    return TODAY


def test_the_day_page_shows_the_total_and_opens_the_panel_on_demand(patient_client, patient, scored_day):
    html = patient_client.get(reverse("tracker:today")).content.decode()
    total = selectors.day_panel(patient, scored_day).total
    assert f"{floatformat(total, 0)} out of 100" in html
    score_url = reverse("tracker:day-score", args=[scored_day])
    # htmx asks for the panel when the line is opened; without JavaScript the link opens it as a page.
    assert f'hx-get="{score_url}" hx-trigger="toggle once"' in html and f'<a href="{score_url}">' in html
    assert 'class="guidance-panel"' not in html

    fragment = patient_client.get(score_url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<link") and 'class="guidance-panel"' in fragment
    assert "Kimchi (70 g)" in fragment and "<html" not in fragment

    page = patient_client.get(score_url).content.decode()
    assert "<html" in page and 'class="guidance-panel"' in page and "Kimchi (70 g)" in page
    assert f'href="{reverse("tracker:today")}#day-score"' in page


def test_a_day_with_nothing_logged_says_so_without_a_fold(patient_client):
    html = patient_client.get(reverse("tracker:today")).content.decode()
    assert "Nothing logged for this day yet." in html
    assert reverse("tracker:day-score", args=[TODAY]) not in html


def test_a_past_days_page_links_back_to_that_day(patient_client, patient):
    yesterday = TODAY - dt.timedelta(days=1)
    MealItemFactory(
        patient=patient,
        date=yesterday,
        meal="dinner",
        food=FoodFactory(name_en="Salmon", groups=["fish_seafood"]),
        grams=120,
    )
    page = patient_client.get(reverse("tracker:day-score", args=[yesterday])).content.decode()
    assert f'href="{reverse("tracker:day", args=[yesterday])}#day-score"' in page
    assert "Salmon (120 g)" in page


def test_the_panel_of_a_future_day_is_refused_and_only_patients_have_one(patient_client, clinician_client):
    future = reverse("tracker:day-score", args=[TODAY + dt.timedelta(days=1)])
    assert patient_client.get(future).url == reverse("tracker:today")
    assert clinician_client.get(reverse("tracker:day-score", args=[TODAY])).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_save_answers_with_the_score_updating_then_the_line_shows_the_new_score(
    patient_client, patient, scored_day, monkeypatch
):
    """As in production: the save commits, its day is marked stale and the rescore waits in the queue
    (here it never runs by itself). The answer does not show the old total as if it were the day's."""
    queued: list[dict[str, object]] = []
    monkeypatch.setattr("guidance.tasks.rescore_stale_task.apply_async", lambda **kw: queued.append(kw))
    before = selectors.day_panel(patient, scored_day).total
    lentils = FoodFactory(name_en="Lentils", fiber_g_per_100g=8.0, groups=["legume"])
    answer = patient_client.post(
        reverse("tracker:meal-add", args=[scored_day, "lunch"]),
        {"food": lentils.pk, "amount": "200", "unit": "g", "token": "lentils-1"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert queued == [{"countdown": RESCORE_DELAY_SECONDS}]
    line_url = reverse("tracker:day-score-line", args=[scored_day])
    assert "Updating…" in answer
    assert f'hx-get="{line_url}" hx-trigger="load delay:4000ms"' in answer
    assert f"{floatformat(before, 0)} out of 100" not in answer

    # The worker has not run: the line computes the score now.
    line = patient_client.get(line_url, headers={"HX-Request": "true"}).content.decode()
    now = selectors.day_panel(patient, scored_day)
    assert now.computed_now and now.total != before
    assert line.lstrip().startswith('<section id="day-score"') and "<html" not in line
    assert f"{floatformat(now.total, 0)} out of 100" in line and "Updating" not in line
    # So does the page, until then.
    page = patient_client.get(reverse("tracker:today")).content.decode()
    assert "Updating…" in page and f"{floatformat(before, 0)} out of 100" not in page

    services.rescore_stale(before=timezone.now())
    stored = selectors.day_panel(patient, scored_day)
    assert not stored.computed_now and stored.total == pytest.approx(now.total)
    line = patient_client.get(line_url, headers={"HX-Request": "true"}).content.decode()
    assert f"{floatformat(stored.total, 0)} out of 100" in line
    page = patient_client.get(reverse("tracker:today")).content.decode()
    assert f"{floatformat(stored.total, 0)} out of 100" in page and "Updating" not in page


def test_the_score_line_is_for_htmx_and_the_patients_own_past_days(patient_client, clinician_client, scored_day):
    line_url = reverse("tracker:day-score-line", args=[scored_day])
    assert patient_client.get(line_url).url == f"{reverse('tracker:today')}#day-score"
    future = reverse("tracker:day-score-line", args=[TODAY + dt.timedelta(days=1)])
    assert patient_client.get(future, headers={"HX-Request": "true"})["HX-Redirect"] == reverse("tracker:today")
    assert clinician_client.get(line_url, headers={"HX-Request": "true"}).status_code == 403
