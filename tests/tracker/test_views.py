"""The day pages: full page or fragment, plain-form fallbacks, ownership, future days."""

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from tests.factories import ClinicianFactory
from tests.guidance.factories import DayScoreFactory
from tests.tracker.conftest import PARIS, TODAY
from tests.tracker.factories import FatigueFactory, MealItemFactory, RelapseFactory, SleepFactory
from tracker.catalog import load_catalog
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    Food,
    Lifestyle,
    MealItem,
    MFISResponse,
    Relapse,
    SavedMeal,
    SleepDiary,
    StoolEvent,
    SymptomLog,
)
from tracker.views import day as day_views

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]
YESTERDAY = TODAY - dt.timedelta(days=1)
SLEEP = {
    "in_bed_at": "22:30",
    "tried_sleep_at": "22:45",
    "minutes_to_fall_asleep": "15",
    "awakenings": "1",
    "minutes_awake": "10",
    "final_wake_at": "06:30",
    "out_of_bed_at": "06:50",
    "quality": "4",
}


def url(name, *args):
    return reverse(f"tracker:{name}", args=args)


def test_it_shows_today_with_every_section_and_the_score_slot(patient_client):
    response = patient_client.get(url("today"))
    assert response.status_code == 200
    html = response.content.decode()
    for section in (
        'id="fatigue"',
        'id="sleep"',
        'id="meal-breakfast"',
        'id="meal-snack"',
        'id="symptoms"',
        'id="lifestyle"',
        '<section id="day-score"',
    ):
        assert section in html
    assert response["Cache-Control"].startswith("no-store")


def test_it_sends_patients_home_to_today(patient_client):
    assert patient_client.get("/").url == url("today")


def test_it_shows_a_past_day_and_refuses_future_ones(patient_client):
    assert patient_client.get(url("day", YESTERDAY)).status_code == 200
    response = patient_client.get(url("day", TODAY + dt.timedelta(days=1)))
    assert response.status_code == 302 and response.url == url("today")
    assert patient_client.get("/day/2026-02-30/").status_code == 404


def test_it_goes_to_a_picked_day_but_not_a_future_one(patient_client):
    assert patient_client.get(url("go"), {"date": "2026-11-01"}).url == url("day", dt.date(2026, 11, 1))
    assert patient_client.get(url("go"), {"date": "2026-12-01"}).url == url("today")
    assert patient_client.get(url("go"), {"date": "nonsense"}).url == url("today")


def test_it_keeps_the_daily_log_to_patients(client, clinician_client):
    client.force_login(ClinicianFactory())
    # Clinicians are sent to set up two-factor first; past that the daily log refuses them.
    assert "two-factor" in client.get(url("today")).url
    assert clinician_client.get(url("day", TODAY)).status_code == 403
    # Today's address is also the installed app's start page: it leads them to their own.
    assert clinician_client.get(url("today")).url == reverse("clinic:dashboard")


def test_it_adds_a_food_with_a_plain_form_and_redirects_back(patient_client, patient, day_foods):
    response = patient_client.post(
        url("meal-add", TODAY, "lunch"), {"food": day_foods["lentils"].pk, "amount": "1", "unit": "portion"}
    )
    assert response.status_code == 302
    assert response.url == url("today") + "#meal-lunch"
    assert MealItem.objects.get(patient=patient).grams == 150


def test_it_answers_htmx_with_only_the_fragment(patient_client, patient, day_foods, htmx):
    response = patient_client.post(
        url("meal-add", TODAY, "lunch"), {"food": day_foods["lentils"].pk, "amount": "1", "unit": "portion"}, **htmx
    )
    html = response.content.decode()
    assert response.status_code == 200
    # The meal's list, not its search box: letters typed meanwhile stay where they are.
    assert html.lstrip().startswith('<div id="meal-body-lunch"')
    assert 'type="search"' not in html
    assert "<html" not in html and "site-header" not in html
    assert 'id="day-status" hx-swap-oob' in html and 'id="day-score"' in html
    assert "Lentils, cooked" in html


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("sleep", SLEEP, '<section id="sleep"'),
        ("fatigue", {"score": "3"}, '<section id="fatigue"'),
        ("symptoms", {"mood": "5", "stress": "2", "note": ""}, '<section id="symptoms"'),
        (
            "lifestyle",
            {
                "activity_minutes": "20",
                "cigarettes": "0",
                "alcohol_units": "0",
                "vitamin_d_iu": "0",
                "propionate_mg": "0",
            },
            '<section id="lifestyle"',
        ),
        ("stool", {"bristol_type": "4"}, '<section id="symptoms"'),
    ],
)
def test_it_saves_each_section_by_htmx_and_by_plain_post(patient_client, name, data, fragment, htmx):
    fragment_response = patient_client.post(url(name, TODAY), data, **htmx)
    assert fragment_response.status_code == 200
    assert fragment_response.content.decode().lstrip().startswith(fragment)
    plain = patient_client.post(url(name, YESTERDAY), data)
    assert plain.status_code == 302 and plain.url.endswith("#" + fragment.split('"')[1])


def test_it_keeps_what_was_typed_when_a_form_fails(patient_client, htmx):
    bad = {**SLEEP, "tried_sleep_at": "21:00", "minutes_awake": "37"}
    for extra in ({}, htmx):
        response = patient_client.post(url("sleep", TODAY), bad, **extra)
        html = response.content.decode()
        assert response.status_code in (200, 422)
        assert "before the time you went to bed" in html
        assert 'value="37"' in html and 'value="21:00"' in html
    assert not SleepDiary.objects.exists()


def test_it_keeps_the_portion_typed_when_an_add_fails(patient_client, day_foods, htmx):
    response = patient_client.post(
        url("meal-add", TODAY, "dinner"), {"food": day_foods["lentils"].pk, "amount": "6000", "unit": "g"}, **htmx
    )
    html = response.content.decode()
    assert "more than 2 kg" in html and 'value="6000"' in html
    assert not MealItem.objects.exists()


def test_it_ignores_a_posted_patient_field(patient_client, patient, other_patient):
    patient_client.post(url("fatigue", TODAY), {"score": "7", "patient": other_patient.pk})
    assert FatigueRating.objects.get().patient == patient


def test_it_makes_one_row_from_double_submits(patient_client, patient, day_foods):
    for _ in range(2):
        patient_client.post(url("fatigue", TODAY), {"score": "7"})
        patient_client.post(url("sleep", TODAY), SLEEP)
        patient_client.post(
            url("meal-add", TODAY, "lunch"),
            {"food": day_foods["oats"].pk, "amount": "1", "unit": "portion", "token": "t-1"},
        )
        patient_client.post(url("stool", TODAY), {"bristol_type": "4", "token": "t-2"})
        patient_client.post(url("copy-day", TODAY))
    assert FatigueRating.objects.count() == 1
    assert SleepDiary.objects.count() == 1
    assert MealItem.objects.count() == 1
    assert StoolEvent.objects.count() == 1


def test_it_refuses_writes_to_a_future_day(patient_client, htmx):
    tomorrow = TODAY + dt.timedelta(days=1)
    assert patient_client.post(url("fatigue", tomorrow), {"score": "3"}).url == url("today")
    assert patient_client.post(url("fatigue", tomorrow), {"score": "3"}, **htmx)["HX-Redirect"] == url("today")
    assert not FatigueRating.objects.exists()


def test_it_searches_foods_as_a_fragment_or_a_page(patient_client, day_foods, htmx):
    fragment = patient_client.get(url("food-search", TODAY), {"q": "lentil", "meal": "lunch"}, **htmx)
    assert fragment.content.decode().lstrip().startswith('<div id="results-lunch"')
    assert "Lentils, cooked" in fragment.content.decode()
    french = patient_client.get(url("food-search", TODAY), {"q": "CREME", "meal": "lunch"}, **htmx)
    assert "Sour cream" in french.content.decode()
    plain = patient_client.get(url("food-search", TODAY), {"q": "lentil", "meal": "lunch"})
    assert plain.status_code == 302
    page = patient_client.get(plain.url)
    assert "Lentils, cooked" in page.content.decode()


def test_it_offers_recent_foods_and_same_as_yesterday(patient_client, patient, day_foods):
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["oats"], grams=40)
    html = patient_client.get(url("today")).content.decode()
    assert "Same as yesterday" in html and "Oat flakes" in html
    patient_client.post(url("copy-meal", TODAY, "breakfast"))
    assert MealItem.objects.filter(date=TODAY, meal="breakfast").count() == 1


def test_it_counts_copied_items_in_words_that_agree_with_the_number(patient_client, patient, day_foods, htmx):
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["oats"], grams=40)
    one = patient_client.post(url("copy-meal", TODAY, "breakfast"), **htmx).content.decode()
    assert "Copied 1 item from yesterday." in one
    MealItemFactory(patient=patient, date=YESTERDAY, meal="lunch", food=day_foods["oats"], grams=40)
    MealItemFactory(patient=patient, date=YESTERDAY, meal="lunch", food=day_foods["yogurt"], grams=125)
    two = patient_client.post(url("copy-day", TODAY), **htmx).content.decode()
    assert "Copied 2 items from yesterday." in two
    patient_client.cookies["django_language"] = "fr"
    MealItemFactory(patient=patient, date=YESTERDAY, meal="snack", food=day_foods["yogurt"], grams=125)
    french = patient_client.post(url("copy-meal", TODAY, "snack"), **htmx, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1 aliment copié depuis hier." in french


def test_it_names_foods_in_the_patients_language_in_messages_and_delete_questions(
    patient_client, patient, day_foods, htmx
):
    patient_client.cookies["django_language"] = "fr"
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    added = patient_client.post(
        url("meal-add", TODAY, "breakfast"),
        {"food": day_foods["oats"].pk, "amount": "1", "unit": "portion", "token": "t-fr"},
        **htmx,
        **french,
    ).content.decode()
    assert "Flocons d&#x27;avoine" in added.split('id="day-status"')[1] and "Oat flakes" not in added
    item = MealItem.objects.get(patient=patient)
    question = patient_client.get(url("delete", "meal-item", item.pk), **htmx, **french).content.decode()
    assert "Flocons d&#x27;avoine 40 g" in question and "Oat flakes" not in question
    favourite = patient_client.post(
        url("favorite", TODAY, day_foods["oats"].pk), {"favorite": "1"}, **htmx, **french
    ).content.decode()
    assert "Flocons d&#x27;avoine" in favourite.split('id="day-status"')[1]


def test_the_plain_delete_page_has_a_main_heading(patient_client, patient, day_foods):
    item = MealItemFactory(patient=patient, date=TODAY, meal="lunch", food=day_foods["lentils"], grams=150)
    page = patient_client.get(url("delete", "meal-item", item.pk)).content.decode()
    assert page.count("<h1>") == 1 and "<h1>Delete?</h1>" in page
    assert "Delete Lentils, cooked 150 g?" in page


def test_it_toggles_favourites_and_applies_saved_meals(patient_client, patient, day_foods):
    item = MealItemFactory(patient=patient, date=TODAY, meal="breakfast", food=day_foods["yogurt"], grams=125)
    patient_client.post(url("favorite", TODAY, item.food_id), {"favorite": "1"})
    assert "★" in patient_client.get(url("today")).content.decode()
    patient_client.post(url("save-meal", TODAY, "breakfast"), {"name": "Usual"})
    saved = SavedMeal.objects.get(patient=patient)
    patient_client.post(url("apply-saved", YESTERDAY, "snack"), {"saved_meal": saved.pk})
    assert MealItem.objects.filter(date=YESTERDAY, meal="snack").count() == 1
    response = patient_client.post(url("apply-saved", YESTERDAY, "snack"), {"saved_meal": "999999"})
    assert response.status_code == 422


def test_it_asks_before_deleting_and_works_without_javascript(patient_client, patient, htmx):
    item = MealItemFactory(patient=patient, date=TODAY, meal="dinner")
    page = patient_client.get(url("delete", "meal-item", item.pk))
    assert page.status_code == 200 and "Yes, delete" in page.content.decode()
    assert MealItem.objects.filter(pk=item.pk).exists()
    inline = patient_client.get(url("delete", "meal-item", item.pk), **htmx)
    assert "<html" not in inline.content.decode() and "No, keep it" in inline.content.decode()
    response = patient_client.post(url("delete", "meal-item", item.pk))
    assert response.url == url("today") + "#meal-dinner"
    assert not MealItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("kind", ["sleep", "fatigue", "relapse"])
def test_it_hides_other_patients_entries(patient_client, other_patient, kind):
    entry = {"sleep": SleepFactory, "fatigue": FatigueFactory, "relapse": RelapseFactory}[kind](patient=other_patient)
    assert patient_client.get(url("delete", kind, entry.pk)).status_code == 404
    assert patient_client.post(url("delete", kind, entry.pk)).status_code == 404
    assert type(entry).objects.filter(pk=entry.pk).exists()


def test_it_edits_a_meal_item(patient_client, patient):
    item = MealItemFactory(patient=patient, date=YESTERDAY, meal="lunch", grams=100)
    assert patient_client.get(url("item-edit", item.pk)).status_code == 200
    bad = patient_client.post(url("item-edit", item.pk), {"meal": "lunch", "grams": "9000"})
    assert bad.status_code == 422 and 'value="9000"' in bad.content.decode()
    patient_client.post(url("item-edit", item.pk), {"meal": "dinner", "grams": "80"})
    item.refresh_from_db()
    assert (item.meal, item.grams) == ("dinner", 80)


def test_changing_a_food_offers_the_same_units_as_adding_it(patient_client, patient, day_foods):
    load_catalog()
    bread = Food.objects.get(name_en="Wholemeal sourdough bread", owner=None)
    patient_client.post(
        url("meal-add", TODAY, "lunch"), {"food": bread.pk, "amount": "1", "unit": "slice", "quick": "2"}
    )
    item = MealItem.objects.get(patient=patient, food=bread)
    assert (item.grams, item.unit, item.quantity) == (100, "slice", 2)
    page = patient_client.get(url("today")).content.decode()
    assert "2 slices · 100 g" in page
    edit = patient_client.get(url("item-edit", item.pk)).content.decode()
    assert '<option value="slice" selected>' in edit and 'name="quick" value="0.5"' in edit
    patient_client.post(url("item-edit", item.pk), {"meal": "lunch", "amount": "1", "unit": "slice", "quick": "0.5"})
    item.refresh_from_db()
    assert (item.grams, item.unit, item.quantity) == (25, "slice", Decimal("0.5"))


def test_it_adds_a_private_food_straight_into_a_meal(patient_client, patient):
    response = patient_client.post(
        url("food-new") + f"?meal=dinner&day={YESTERDAY}",
        {"name_en": "Grandma's soup", "default_portion_g": "300", "nova_group": "1", "groups": ["vegetable", "legume"]},
    )
    assert response.status_code == 302
    food = Food.objects.get(owner=patient)
    assert food.search_text.startswith("grandma s soup")
    assert MealItem.objects.get(patient=patient).meal == "dinner"
    assert "Grandma" in patient_client.get(url("foods")).content.decode()


def test_it_adds_custom_symptoms_and_rates_them(patient_client, patient):
    patient_client.post(url("custom-symptom", TODAY), {"name": "Tingling"})
    symptom = CustomSymptom.objects.get(patient=patient)
    patient_client.post(url("symptoms", TODAY), {"mood": "6", f"rating_{symptom.pk}": "4"})
    assert SymptomLog.objects.get(patient=patient).mood == 6
    assert symptom.ratings.get().score == 4


def test_it_shows_the_month_with_logged_days(patient_client, patient):
    FatigueFactory(patient=patient, date=dt.date(2026, 11, 3))
    RelapseFactory(patient=patient, started_on=dt.date(2026, 11, 10), ended_on=dt.date(2026, 11, 12))
    html = patient_client.get(url("month")).content.decode()
    assert "4 days with entries this month" in html  # the fatigue day and the three relapse days
    assert html.count("in-relapse") == 3
    assert patient_client.get(url("month-of", 2026, 10)).status_code == 200
    assert patient_client.get(url("month-of", 2026, 12)).url == url("month")
    assert patient_client.get(url("month-of", 2026, 13)).status_code == 404


def test_each_month_cell_reads_its_score_fatigue_and_entries_in_one_query(patient_client, patient):
    """The grid's cells say what each day holds; a relapse still going on marks every day up to
    today; days of the neighbouring months in the grid are drawn empty and not counted."""
    MealItemFactory(patient=patient, date=dt.date(2026, 11, 2), meal="lunch")
    MealItemFactory(patient=patient, date=dt.date(2026, 11, 2), meal="dinner")
    FatigueFactory(patient=patient, date=dt.date(2026, 11, 3), score=7)
    SleepFactory(patient=patient, date=dt.date(2026, 11, 3))
    DayScoreFactory(patient=patient, date=dt.date(2026, 11, 3), total=63.4)
    SleepFactory(patient=patient, date=dt.date(2026, 10, 31))  # in the grid's first week, October's
    RelapseFactory(patient=patient, started_on=dt.date(2026, 11, 18), ended_on=None)
    with CaptureQueriesContext(connection) as queries:
        html = patient_client.get(url("month")).content.decode()
    assert "Monday 2 November:" in html and "nothing logged" not in _cell(html, "Monday 2 November")
    assert "meals" in _cell(html, "Monday 2 November")
    third = _cell(html, "Tuesday 3 November")
    assert "score 63 out of 100, fatigue 7 out of 10" in third and "sleep" in third
    assert ">F7<" in html.replace(" ", "")
    # The relapse began on the 18th and has no end: the 18th, 19th and today, the 20th.
    assert html.count("in-relapse") == 3
    assert "5 days with entries this month" in html
    assert "31 October" not in html
    month_reads = [q["sql"] for q in queries.captured_queries if "tracker_fatiguerating" in q["sql"]]
    assert len(month_reads) == 1, month_reads


def _cell(html: str, label: str) -> str:
    """The words read out for one day of the month grid."""
    start = html.index(f"{label}:")
    return " ".join(html[start : html.index("</span>", start)].split())


def test_it_logs_a_relapse_and_shows_the_definition_check(patient_client, patient):
    data = {
        "started_on": "2026-11-01",
        "ended_on": "",
        "symptoms": "Blurred vision",
        "severity": "moderate",
        "lasted_over_24h": "True",
        "fever_or_infection": "on",
        "recovery": "ongoing",
        "token": "tok",
    }
    assert patient_client.get(url("relapse-new")).status_code == 200
    patient_client.post(url("relapse-new"), data)
    patient_client.post(url("relapse-new"), data)
    relapse = Relapse.objects.get(patient=patient)
    html = patient_client.get(url("relapses")).content.decode()
    assert "Possible pseudo-relapse" in html and "fever or an infection" in html
    assert "What counts as a relapse" in html
    patient_client.post(url("relapse-edit", relapse.pk), {**data, "fever_or_infection": ""})
    assert "Meets the definition of a relapse" in patient_client.get(url("relapses")).content.decode()
    future = patient_client.post(url("relapse-new"), {**data, "started_on": "2026-12-01", "token": "t2"})
    assert future.status_code == 422 and "future" in future.content.decode()
    unanswered = {key: value for key, value in data.items() if key != "lasted_over_24h"}
    refused = patient_client.post(url("relapse-new"), {**unanswered, "token": "t3"})
    assert refused.status_code == 422
    assert "Say whether the symptoms lasted more than 24 hours." in refused.content.decode()
    assert Relapse.objects.filter(patient=patient).count() == 1


def test_the_hand_worked_relapses_read_as_a_patient_logs_them(patient_client, patient):
    """Relapse on day 0, a 12-hour episode on day 10, a real relapse on day 35: the last is a relapse."""
    base = {"ended_on": "", "severity": "moderate", "recovery": "full", "lasted_over_24h": "True"}
    episodes = [
        ("2026-09-01", "Optic neuritis", {}),
        ("2026-09-11", "Tingling for an afternoon", {"lasted_over_24h": "False"}),
        ("2026-10-06", "Numb legs", {}),
    ]
    for n, (started, symptoms, facts) in enumerate(episodes):
        data = {**base, "started_on": started, "symptoms": symptoms, "token": f"e{n}", **facts}
        assert patient_client.post(url("relapse-new"), data).status_code == 302
    page = " ".join(patient_client.get(url("relapses")).content.decode().split())
    cards = page.split('<li class="card relapse"')[1:]
    cards = {symptoms: next(card for card in cards if symptoms in card) for _d, symptoms, _f in episodes}
    assert "Meets the definition of a relapse" in cards["Numb legs"]
    assert "Since the last relapse began</dt><dd>35 days" in cards["Numb legs"]
    assert "A fluctuation (under 24 hours)" in cards["Tingling for an afternoon"]
    assert "it began 10 days after the relapse that began on 1 September 2026 (less than 30)" in page
    assert "Meets the definition of a relapse" in cards["Optic neuritis"]


def test_it_saves_the_mfis_part_way_and_scores_it_when_finished(patient_client, patient):
    # Not on the first days: the baseline is offered after a week of use.
    assert "is due" not in patient_client.get(url("today")).content.decode()
    patient.date_joined -= dt.timedelta(days=8)
    patient.save(update_fields=["date_joined"])
    assert "is due" in patient_client.get(url("today")).content.decode()
    patient_client.post(url("mfis"), {"item_1": "3", "item_2": "2", "action": "save"})
    response = MFISResponse.objects.get(patient=patient)
    assert not response.completed and response.items[:3] == [3, 2, None]
    page = patient_client.get(url("mfis")).content.decode()
    assert "You answered 2 of 21" in page and 'value="3" required' not in page
    unfinished = patient_client.post(url("mfis"), {"item_1": "3", "action": "finish"})
    assert unfinished.status_code == 422 and "every question needs an answer" in unfinished.content.decode()
    patient_client.post(url("mfis"), {**{f"item_{n}": "2" for n in range(1, 22)}, "action": "finish"})
    response.refresh_from_db()
    assert response.completed
    scores = patient_client.get(url("mfis")).content.decode()
    assert "<td>42</td>" in scores and "significant impact" in scores
    assert "is due" not in patient_client.get(url("today")).content.decode()


def test_it_shows_the_mfis_scores_once_in_the_page_and_never_in_the_title_or_head(patient_client):
    patient_client.post(url("mfis"), {**{f"item_{n}": "2" for n in range(1, 22)}, "action": "finish"})
    html = patient_client.get(url("mfis")).content.decode()
    assert "<title>Fatigue questionnaire (MFIS) · msgut</title>" in html
    head, body = html.split("</head>")
    assert "results-title" not in head
    assert body.count('id="results-title"') == 1
    main = body.split('<main id="main"')[1].split("</main>")[0]
    assert 'id="results-title"' in main
    # The score table may scroll sideways on a phone: keyboard users can reach it.
    assert 'class="table-wrap" tabindex="0" role="region" aria-labelledby="results-title"' in main


def test_it_refuses_non_patients_even_past_two_factor(rf):
    request = rf.get(url("day", TODAY))
    request.user = ClinicianFactory()
    with pytest.raises(PermissionDenied):
        day_views.day_page(request, day=TODAY)


@pytest.mark.parametrize(
    ("zone", "allowed"), [("Pacific/Kiritimati", True), ("Europe/Paris", False), ("Pacific/Honolulu", False)]
)
def test_it_uses_the_patients_own_time_zone_for_today(client, patient, zone, allowed):
    patient.profile.time_zone = zone
    patient.profile.save()
    # 14:00 in Paris is already the 21st in Kiritimati (UTC+14).
    with time_machine.travel(dt.datetime(2026, 11, 20, 14, 0, tzinfo=PARIS), tick=False):
        client.force_login(patient)  # (a session started 4 hours earlier would have timed out)
        client.post(url("fatigue", dt.date(2026, 11, 21)), {"score": "2"})
    assert FatigueRating.objects.filter(patient=patient).exists() is allowed


def test_it_keeps_type_ahead_cheap(patient_client, day_foods, htmx, django_assert_max_num_queries):
    patient_client.get(url("today"))
    with django_assert_max_num_queries(12):
        patient_client.get(url("food-search", TODAY), {"q": "len", "meal": "dinner"}, **htmx)


class _Forms(HTMLParser):
    """Each htmx form of a page with the attributes of its enclosing elements, innermost first."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source"})

    def __init__(self):
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.forms: list[tuple[dict[str, str | None], list[dict[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **dict(attrs)}
        if tag == "form" and ("hx-post" in element or "hx-get" in element):
            self.forms.append((element, list(reversed(self.stack))))
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()["tag"] != tag:
            pass


def test_sections_give_their_forms_the_htmx_target_and_every_form_still_posts_without_javascript(
    patient_client, patient, day_foods
):
    """htmx attributes shared by a section's forms sit once on the section; a form names only what differs.
    Every htmx form keeps its plain action and method, so the page works with JavaScript off."""
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=day_foods["oats"], grams=40)
    MealItemFactory(patient=patient, date=TODAY, meal="lunch", food=day_foods["lentils"], grams=150)
    patient_client.post(url("save-meal", TODAY, "lunch"), {"name": "Lentil lunch"})
    patient_client.post(url("stool", TODAY), {"bristol_type": "4"})
    html = patient_client.get(url("today"), {"q": "yog", "meal": "lunch"}).content.decode()
    parser = _Forms()
    parser.feed(html)
    names = {resolve(form["action"]).url_name for form, _ancestors in parser.forms}
    assert names == {
        *("fatigue", "sleep", "symptoms", "stool", "custom-symptom", "lifestyle"),
        *("copy-day", "copy-meal", "meal-add", "apply-saved", "save-meal", "favorite", "food-search"),
    }
    for form, ancestors in parser.forms:
        verb = "post" if "hx-post" in form else "get"
        assert form.get("method") == verb and form.get("action") == form[f"hx-{verb}"], form
        chain = [form, *ancestors]
        swap = next(e["hx-swap"] for e in chain if "hx-swap" in e)
        name = resolve(form["action"]).url_name
        if swap == "none":
            # Answers only out of band (every meal's body and "more" box): nothing else is replaced.
            assert name in ("copy-day", "favorite", "save-meal"), form
            continue
        assert swap == "outerHTML", form
        target, target_at = next((e["hx-target"], e) for e in chain if "hx-target" in e)
        if target == "this":
            target = "#" + (target_at.get("id") or "")
        if name == "food-search":
            assert target == "#results-lunch" or target.startswith("#results-"), form
        elif name in ("meal-add", "copy-meal", "apply-saved"):
            # A save in a meal replaces the meal's body, never the search box someone may be typing in.
            assert target.startswith("#meal-body-"), form
        else:
            assert target in ("#fatigue", "#sleep", "#symptoms", "#lifestyle", "#medicines"), form


def test_it_asks_before_deleting_in_the_patients_language(patient_client, patient):
    patient.profile.language = "fr"
    patient.profile.save()
    sleep = SleepFactory(patient=patient, date=TODAY)
    page = patient_client.get(url("delete", "sleep", sleep.pk)).content.decode()
    assert "agenda de sommeil de cette nuit" in page


def test_it_starts_the_sleep_diary_from_the_night_before_but_asks_for_the_quality_again(patient_client, patient):
    SleepFactory(patient=patient, date=YESTERDAY, in_bed_at=dt.time(23, 10), awakenings=3, quality=2)
    html = patient_client.get(url("today")).content.decode()
    sleep = html.split('<section id="sleep"')[1].split("</section>")[0]
    assert "Filled in from your last diary" in sleep
    assert 'name="in_bed_at" value="23:10"' in sleep and 'name="awakenings" value="3"' in sleep
    assert "checked" not in sleep


def test_a_night_needs_only_bed_and_wake_times_and_shows_as_one_line(patient_client, patient, htmx):
    response = patient_client.post(url("sleep", TODAY), {"in_bed_at": "23:15", "final_wake_at": "06:45"}, **htmx)
    sleep = SleepDiary.objects.get(patient=patient, date=TODAY)
    assert (sleep.total_sleep_minutes, sleep.quality) == (450, None)
    html = response.content.decode()
    assert "23:15–06:45 · 7 h 30" in html and "Sleep saved" in html
    # The form stays in the page, folded under the line, to change in place.
    assert '<details class="section-details">' in html and 'name="in_bed_at" value="23:15"' in html


def test_supplements_and_tobacco_carry_over_from_the_last_day_in_one_tap(patient_client, patient):
    Lifestyle.objects.create(
        patient=patient,
        date=YESTERDAY,
        activity_minutes=40,
        vitamin_d_iu=1000,
        probiotic=True,
        cigarettes=3,
        tobacco=True,
    )
    html = patient_client.get(url("today")).content.decode()
    section = html.split('<section id="lifestyle"')[1].split("</section>")[0]
    assert 'name="vitamin_d_iu" value="1000"' in section and "Filled in from" in section
    assert 'name="activity_minutes" value="40"' not in section  # activity is the day's own
    # One tap: the form as offered is saved.
    patient_client.post(
        url("lifestyle", TODAY),
        {
            **{"activity_minutes": "0", "alcohol_units": "0", "propionate_mg": "0", "other_supplements": ""},
            **{"vitamin_d_iu": "1000", "probiotic": "on", "tobacco": "on", "cigarettes": "3"},
        },
    )
    today = Lifestyle.objects.get(patient=patient, date=TODAY)
    assert (today.vitamin_d_iu, today.probiotic, today.cigarettes) == (1000, True, 3)


def test_sections_the_patient_does_not_track_are_left_out_of_the_page_and_its_queries(patient_client, patient):
    SleepFactory(patient=patient, date=TODAY)
    patient_client.get(url("today"))  # (the first request of a session reads more)
    with CaptureQueriesContext(connection) as every:
        full = patient_client.get(url("today")).content.decode()
    read_for_every_section = len(every.captured_queries)  # (read now: the log is a window that moves)
    day_read_every = _day_read(every.captured_queries)
    assert 'id="sleep"' in full and 'id="meal-lunch"' in full
    patient_client.post(
        reverse("accounts:profile"),
        {"display_name": "", "language": "en", "time_zone": "Europe/Paris", "ms_course": "", "diagnosis_year": ""}
        | {"sections": ["fatigue", "meals"]},
    )
    patient.profile.refresh_from_db()
    assert patient.profile.hidden_sections == ["sleep", "symptoms", "lifestyle"]
    with CaptureQueriesContext(connection) as fewer:
        html = patient_client.get(url("today")).content.decode()
    for gone in ('id="sleep"', 'id="symptoms"', 'id="lifestyle"', 'href="#sleep"'):
        assert gone not in html
    assert 'id="fatigue"' in html and 'id="meal-lunch"' in html
    # Not read either: sleep, lifestyle, the symptom log, its ratings, the patient's symptoms, stools
    # (the day's entries come in one query, which leaves them out).
    assert len(fewer.captured_queries) <= read_for_every_section
    hidden_tables = ["sleepdiary", "lifestyle", "symptomlog", "symptomrating", "customsymptom", "stoolevent"]
    assert all(f'"tracker_{table}"' in day_read_every for table in hidden_tables)
    assert not any(f'"tracker_{table}"' in _day_read(fewer.captured_queries) for table in hidden_tables)


def _day_read(queries):
    """The one query that reads the day's entries other than meals."""
    (read,) = [q["sql"] for q in queries if "(WITH t(" in q["sql"]]  # (read_together's sub-selects)
    return read


def test_at_least_one_section_stays_tracked(patient_client, patient):
    response = patient_client.post(
        reverse("accounts:profile"),
        {"display_name": "", "language": "en", "time_zone": "Europe/Paris", "ms_course": "", "diagnosis_year": ""},
    )
    assert "Keep at least one section." in response.content.decode()
    patient.profile.refresh_from_db()
    assert patient.profile.hidden_sections == []


def test_a_meal_without_history_offers_everyday_foods_until_the_patients_own_replace_them(patient_client, patient):
    load_catalog()
    page = patient_client.get(url("today")).content.decode()
    breakfast = page.split('id="meal-breakfast"')[1].split('id="meal-lunch"')[0]
    assert "Rolled oats (dry)" in breakfast and "Plain yogurt (whole milk)" in breakfast
    dinner = page.split('id="meal-dinner"')[1].split('id="meal-snack"')[0]
    assert "Salmon (baked)" in dinner and "Rolled oats" not in dinner
    # Once breakfast has a history, its own recent foods are offered, not the everyday list.
    chickpeas = Food.objects.get(name_en="Chickpeas (cooked)")
    MealItemFactory(patient=patient, date=YESTERDAY, meal="breakfast", food=chickpeas, grams=150)
    page = patient_client.get(url("today")).content.decode()
    breakfast = page.split('id="meal-breakfast"')[1].split('id="meal-lunch"')[0]
    assert "Chickpeas (cooked)" in breakfast and "Rolled oats (dry)" not in breakfast


def test_the_nights_summary_words_how_well_the_patient_slept_in_their_language(patient_client, patient):
    SleepFactory(patient=patient, date=TODAY, quality=4)
    assert "· good</span>" in patient_client.get(reverse("tracker:today")).content.decode()
    patient_client.cookies["django_language"] = "fr"
    french = patient_client.get(reverse("tracker:today")).content.decode()
    assert "· bien</span>" in french and "good" not in french
