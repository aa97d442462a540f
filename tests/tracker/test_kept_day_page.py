"""The day page is kept while what it is drawn from is unchanged (msgut.kept_pages): a patient must
never see a kept page that is no longer true, nor one whose forms would be refused or taken for a
repeat of an earlier add."""

import datetime as dt
import re
from unittest import mock

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Profile
from guidance.models import DayScore, RuleSetVersion
from msgut.kept_pages import CSRF_MARK, TOKEN_MARK, KeptPageReadTheDatabase, kept_page, page_key
from tests.kept import CSRF, TOKEN, same_page
from tests.tracker.factories import FatigueFactory, FoodFactory, LifestyleFactory, MealItemFactory, SleepFactory
from tracker.models import CustomSymptom, FavoriteFood, Food, MealItem, Medication, SavedMeal, StoolEvent
from tracker.views.common import DAY_SECTIONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]

TODAY = dt.date(2026, 11, 20)
CHIP = re.compile(
    r'<form method="post" action="([^"]+/meals/lunch/add/)"[^>]*class="chip-form">.*?'
    r'name="food" value="(\d+)">.*?name="token" value="([0-9a-f]+)"'
)


@pytest.fixture
def full_day(patient):
    """A day with every kind of entry, and what the page offers around it (yesterday, favourites,
    a saved meal, a medication, a symptom of the patient's own)."""
    oats, lentils = FoodFactory(name_en="Oats"), FoodFactory(name_en="Lentil soup")
    MealItemFactory(patient=patient, date=TODAY, meal="breakfast", food=oats, grams=40)
    MealItemFactory(patient=patient, date=TODAY - dt.timedelta(days=1), meal="lunch", food=lentils, grams=250)
    MealItemFactory(patient=patient, date=TODAY - dt.timedelta(days=2), meal="lunch", food=oats, grams=40)
    FavoriteFood.objects.create(patient=patient, food=lentils)
    SavedMeal.objects.create(patient=patient, name="Usual breakfast")
    Medication.objects.create(patient=patient, name="Vitamin D", ask_daily=True)
    CustomSymptom.objects.create(patient=patient, name="Tingling")
    SleepFactory(patient=patient, date=TODAY)
    FatigueFactory(patient=patient, date=TODAY, score=4)
    LifestyleFactory(patient=patient, date=TODAY, activity_minutes=30)
    StoolEvent.objects.create(patient=patient, date=TODAY, bristol_type=4)
    return patient


def test_a_kept_page_is_the_drawn_page_with_fresh_tokens_and_reads_no_more(full_day, patient_client):
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as drawn_reads:
        drawn = patient_client.get(reverse("tracker:today")).content.decode()
    with CaptureQueriesContext(connection) as kept_reads:
        kept = patient_client.get(reverse("tracker:today")).content.decode()
    assert "Oats" in kept and "4 out of 10" in kept and "Vitamin D" in kept and "Tingling" in kept
    assert same_page(kept) == same_page(drawn)
    pages = [key for key in caches["pages"]._cache if ":page:" in key]
    assert len(pages) == 1  # the second answer was the kept page
    # Keeping saves the drawing, not the reading: a page is as fresh as its rows.
    assert len(kept_reads) <= len(drawn_reads)
    tokens = TOKEN.findall(drawn), TOKEN.findall(kept)
    assert len(tokens[0]) >= 3 and all(len(set(t)) == len(t) for t in tokens)
    assert not set(tokens[0]) & set(tokens[1])
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens[1])
    assert CSRF_MARK not in kept and TOKEN_MARK not in kept


def test_forms_of_two_loads_of_a_kept_page_add_twice_and_pass_the_csrf_check(full_day):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(full_day)
    pages = [browser.get(reverse("tracker:today")).content.decode() for _ in range(2)]
    for page in pages:
        action, food, token = CHIP.search(page).groups()
        csrf = CSRF.search(page).group(1)
        answer = browser.post(
            action,
            {"food": food, "amount": "1", "unit": "portion", "token": token, "quick": "1", "csrfmiddlewaretoken": csrf},
        )
        assert answer.status_code == 302
    assert MealItem.objects.filter(patient=full_day, date=TODAY, meal="lunch").count() == 2


@pytest.mark.parametrize(
    "change",
    [
        "fatigue",
        "item from another device",
        "yesterday",
        "hidden section",
        "score",
        "medication",
        "language",
        "next day",
        "food renamed",
        "saved meal",
    ],
)
def test_every_change_shows_on_the_next_load(full_day, patient_client, change):
    patient_client.get(reverse("tracker:today"))
    patient_client.get(reverse("tracker:today"))  # kept
    expect, gone = {
        "fatigue": ("7 out of 10", "4 out of 10"),
        "item from another device": ("Rye bread", None),
        "yesterday": ("Same dinner as yesterday", None),
        "hidden section": (None, 'id="sleep"'),
        "score": ("63 out of 100", None),
        "medication": ("Fish oil", None),
        "language": ("Aujourd", None),
        "next day": ("Saturday 21 November", "Friday 20 November"),
        "food renamed": ("Rolled oats", ">Oats</span>"),
        "saved meal": ("Sunday lunch", None),
    }[change]
    if change == "fatigue":
        patient_client.post(reverse("tracker:fatigue", args=[TODAY]), {"score": "7"})
    elif change == "item from another device":  # (no write through this session: only the rows differ)
        MealItemFactory(patient=full_day, date=TODAY, meal="dinner", food=FoodFactory(name_en="Rye bread"))
    elif change == "yesterday":
        MealItemFactory(patient=full_day, date=TODAY - dt.timedelta(days=1), meal="dinner")
    elif change == "hidden section":
        Profile.objects.filter(user=full_day).update(hidden_sections=["sleep"])
    elif change == "food renamed":  # (a food of the day's breakfast, another meal's recent food)
        Food.objects.filter(name_en="Oats").update(name_en="Rolled oats")
    elif change == "saved meal":  # (offered in every meal's box)
        SavedMeal.objects.create(patient=full_day, name="Sunday lunch")
    elif change == "score":
        version = RuleSetVersion.objects.order_by("-number").first()
        DayScore.objects.update_or_create(
            patient=full_day, date=TODAY, defaults={"version": version, "total": 63.0, "breakdown": []}
        )
    elif change == "medication":
        Medication.objects.create(patient=full_day, name="Fish oil", ask_daily=True)
    elif change == "language":
        patient_client.post(reverse("accounts:language"), {"language": "fr", "next": "/day/"})
    else:  # (past midnight in Paris, signed in again: a session lasts 12 hours at most)
        with time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC), tick=False):
            patient_client.force_login(full_day)
            page = patient_client.get(reverse("tracker:today")).content.decode()
            caches["pages"].clear()
            anew = patient_client.get(reverse("tracker:today")).content.decode()
        assert expect in page and gone not in page
        assert same_page(page) == same_page(anew)
        return
    page = patient_client.get(reverse("tracker:today")).content.decode()
    if expect:
        assert expect in page
    if gone:
        assert gone not in page
    # The sections kept from before the change are the ones drawn anew (once a message is shown).
    again = patient_client.get(reverse("tracker:today")).content.decode()
    caches["pages"].clear()
    assert same_page(again) == same_page(patient_client.get(reverse("tracker:today")).content.decode())


def test_a_meal_kept_apart_still_follows_yesterday(full_day, patient_client):
    """Lunch offers the same foods in the same order before and after yesterday's lunch is taken
    away; only its "same as yesterday" button goes."""
    lentils = MealItem.objects.get(patient=full_day, meal="lunch", date=TODAY - dt.timedelta(days=1))
    for _ in range(2):
        MealItemFactory(patient=full_day, date=TODAY - dt.timedelta(days=3), meal="lunch", food=lentils.food)
    assert "Same lunch as yesterday" in patient_client.get(reverse("tracker:today")).content.decode()
    lentils.delete()
    page = patient_client.get(reverse("tracker:today")).content.decode()
    assert "Same lunch as yesterday" not in page and ">Lentil soup</span>" in page
    caches["pages"].clear()
    assert same_page(page) == same_page(patient_client.get(reverse("tracker:today")).content.decode())


@pytest.mark.parametrize(
    ("change", "drawn", "meals"),
    [
        ("fatigue", {"fatigue"}, []),
        # Within the meals section, the meal changed alone.
        ("meal", {"meals"}, ["dinner"]),
        ("symptom of one's own", {"symptoms"}, []),
        # (read whatever is shown: every section is drawn from it; no meal is)
        ("medication", set(DAY_SECTIONS), []),
        # (the favourites: every meal offers them, and stars them among its foods)
        ("favourite", {"meals"}, ["breakfast", "lunch", "dinner", "snack"]),
    ],
)
def test_after_a_change_only_the_sections_drawn_from_it_are_drawn_again(full_day, patient_client, change, drawn, meals):
    patient_client.get(reverse("tracker:today"))
    if change == "fatigue":
        patient_client.post(reverse("tracker:fatigue", args=[TODAY]), {"score": "7"}, headers={"HX-Request": "true"})
    elif change == "meal":
        MealItemFactory(patient=full_day, date=TODAY, meal="dinner", food=FoodFactory(name_en="Rye bread"))
    elif change == "symptom of one's own":
        CustomSymptom.objects.create(patient=full_day, name="Dizziness")
    elif change == "favourite":
        # (eaten at breakfast, so not offered there: only its star there changes)
        FavoriteFood.objects.create(patient=full_day, food=Food.objects.get(name_en="Oats"))
    else:
        Medication.objects.create(patient=full_day, name="Fish oil", ask_daily=True)
    with mock.patch("tracker.views.day.render_to_string", wraps=render_to_string) as render:
        page = patient_client.get(reverse("tracker:today")).content.decode()
    assert [c.args[0] for c in render.call_args_list] == [
        *("tracker/day.html#meal" for _ in meals),
        *(f"tracker/day.html#{section}" for section in DAY_SECTIONS if section in drawn),
        "tracker/day.html",
    ]
    assert [c.args[1]["meal"].meal for c in render.call_args_list if c.args[0].endswith("#meal")] == meals
    caches["pages"].clear()
    assert same_page(page) == same_page(patient_client.get(reverse("tracker:today")).content.decode())


def test_a_message_is_shown_once_not_kept(full_day, patient_client):
    patient_client.get(reverse("tracker:today"))
    answer = patient_client.post(reverse("tracker:fatigue", args=[TODAY]), {"score": "6"}, follow=True)
    assert 'class="message message-success"' in answer.content.decode()
    again = patient_client.get(reverse("tracker:today")).content.decode()
    assert 'class="message message-success"' not in again and "6 out of 10" in again


def test_a_page_drawn_for_keeping_cannot_read_the_database(rf, patient):
    request = rf.get("/day/")
    request.user = patient
    request.session = {}

    def reads(marks):
        return str(Profile.objects.filter(user=patient).count())

    with pytest.raises(KeptPageReadTheDatabase):
        kept_page(request, page_key(request, "test", ()), reads)


def test_in_production_a_page_that_read_the_database_is_served_not_kept(rf, patient, settings, caplog):
    settings.KEPT_PAGES_STRICT = False
    caches["pages"].clear()
    request = rf.get("/day/")
    request.user = patient
    request.session = {}
    key = page_key(request, "test", ())

    def reads(marks):
        return f"<p>{Profile.objects.filter(user=patient).count()}</p>"

    assert kept_page(request, key, reads) == "<p>1</p>"
    assert caches["pages"].get(key) is None
    assert "read the database, so it was not kept" in caplog.text


def _prepared_reads() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall() if row[0].startswith("SELECT (WITH t(")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_days_read_is_prepared_once_per_connection_and_gives_thesame_page(full_day, patient_client):
    drawn = patient_client.get(reverse("tracker:today")).content.decode()
    caches["pages"].clear()
    again = patient_client.get(reverse("tracker:today")).content.decode()  # read by the prepared statement
    assert same_page(again) == same_page(drawn)
    patient_client.get(reverse("tracker:today"))
    assert len(_prepared_reads()) == 1  # prepared once, then run


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_without_prepared_statements_the_days_read_is_not_prepared(full_day, patient_client, monkeypatch):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)  # DB_PREPARED_STATEMENTS=0
    page = patient_client.get(reverse("tracker:today")).content.decode()
    assert "Oats" in page
    assert _prepared_reads() == []
