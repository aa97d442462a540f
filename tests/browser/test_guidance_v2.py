"""The cases a clinical review found, logged and read on the day page of a phone, in English and French.

The test asserts the sentences that matter. With `GUIDANCE_SHOTS` (or `SCREENSHOTS`) naming a folder,
each day's score panel and the rule page are also saved there as screenshots, for a person to read.
"""

import datetime as dt
import os
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Profile
from accounts.services import profile_of
from guidance import selectors, services
from tests.browser.conftest import shoot, signed_in
from tests.conftest import restore_migrated_rules
from tests.factories import PatientFactory
from tracker.catalog import load_catalog
from tracker.models import Food, Lifestyle, MealItem

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SHOTS = os.environ.get("GUIDANCE_SHOTS", "")

# What each day logs (catalog names and grams): the cases of the review.
CASES = {
    "fermented": [
        ("Cheddar", 30),
        ("Crème fraîche (30% fat)", 30),
        ("Sour cream", 30),
        ("Hot pepper sauce (Tabasco type)", 5),
        ("Soy sauce", 16),
    ],
    "medas": [
        ("Red onion (raw)", 20),
        ("Celery (raw)", 40),
        ("Salami", 25),
        ("Bacon (cooked)", 16),
        ("Hummus", 30),
        ("Anchovies in oil", 15),
    ],
    "wine": [("Red wine", 125), ("Red wine", 125), ("Red wine", 125)],
    "crisps": [("Potato crisps", 30), ("Salami", 25)],
}


def _today() -> dt.date:
    return timezone.localdate(timezone=PARIS)


@pytest.fixture
def reviewed(transactional_db):
    """A patient of two months with the review's cases on four days, and one who joined today."""
    restore_migrated_rules()
    load_catalog()
    foods = {food.name_en: food for food in Food.objects.filter(owner__isnull=True)}
    patient = PatientFactory(email="review@example.org")
    patient.date_joined = timezone.now() - dt.timedelta(days=60)
    patient.save(update_fields=["date_joined"])
    days = {}
    for offset, (case, items) in enumerate(CASES.items()):
        day = _today() - dt.timedelta(days=5 - offset)
        days[case] = day
        for name, grams in items:
            MealItem.objects.create(patient=patient, date=day, meal="lunch", food=foods[name], grams=grams)
    newcomer = PatientFactory(email="newcomer@example.org")
    MealItem.objects.create(
        patient=newcomer, date=_today(), meal="lunch", food=foods["Green lentils (cooked)"], grams=150
    )
    Lifestyle.objects.create(patient=newcomer, date=_today(), activity_minutes=30)
    version = selectors.current_version()
    services.rescore_patients(patient_ids=[patient.pk, newcomer.pk], start=None, end=None, version=version)
    return patient, newcomer, days


def _sign_in(page, user, language, path):
    """Signed in on `path`; in French, the patient then chooses French there (the switch comes back to the page)."""
    signed_in(page, user, path=path)
    if language == "fr":
        page.get_by_role("button", name="Français").click()
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("lang", "fr")
    return page


def _panel(page, name):
    """The score panel of the day page open in `page`."""
    # The day page folds the panel under one line with the total: open it, as the patient would.
    folded = page.locator("#day-score details.score-details:not([open]) > summary")
    if folded.count():
        folded.click()
    panel = page.locator(".guidance-panel")
    expect(panel).to_be_visible()
    for details in panel.locator("details.guidance-items").all():
        details.locator("summary").click()
    shoot(panel, name, SHOTS)
    return panel.inner_text()


EXPECTED = {
    "en": {
        "fermented": ["No food logged today counted for this rule.", "0 of 10 points"],
        "medas": ["Red onion (raw) (20 g), Celery (raw) (40 g)", "Salami (25 g), Bacon (cooked) (16 g)"],
        "wine": ["3.7 of at most 10 standard drink(s) of alcohol over the last 7 days.", "Red wine (375 g)"],
        "crisps": ["2 of at most 2 serving(s) of processed or pro-inflammatory foods today."],
        "newcomer": [
            "Based on 1 of 1 day (your first day)",
            "6 of 13 Mediterranean items met today.",
            "Scored with rule set v2.",
        ],
    },
    "fr": {
        "fermented": ["Aucun aliment saisi aujourd’hui ne compte pour cette règle."],  # noqa: RUF001
        "medas": ["Oignon rouge (cru) (20 g), Céleri branche (cru) (40 g)", "par jour : Salami (25 g)"],
        "wine": ["Sur les 7 derniers jours : 3,7, pour 10 verre(s) standard d’alcool au plus."],  # noqa: RUF001
        "crisps": ["Aujourd’hui : 2, pour 2 portion(s) d’aliments transformés ou pro-inflammatoires au plus."],  # noqa: RUF001
        "newcomer": [
            "Jours saisis : 1 sur 1 (votre premier jour)",
            "6 items méditerranéens sur 13 atteints aujourd’hui.",  # noqa: RUF001
            "Noté avec le jeu de règles v2.",
        ],
    },
}


def test_the_day_page_says_what_v2_counted_for_each_case(open_page, live_server, reviewed):
    """In English, then in French (each language signs in afresh, as a patient would)."""
    patient, newcomer, days = reviewed
    for language in ("en", "fr"):
        first = f"/day/{next(iter(days.values())).isoformat()}/"
        page = _sign_in(open_page(viewport=PHONE, locale="en-GB"), patient, language, first)
        for case, day in days.items():
            if page.url != f"{live_server.url}/day/{day.isoformat()}/":  # signed in on the first case's day
                page.goto(f"{live_server.url}/day/{day.isoformat()}/")
            text = _panel(page, f"{case}-{language}")
            for sentence in EXPECTED[language][case]:
                assert sentence in text, f"{case} ({language}): {sentence!r} not in\n{text}"
            assert "Well done" not in text and "Bravo" not in text, f"{case} ({language})"
            assert ".txt" not in text, f"{case} ({language})"
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{case} ({language}): the page scrolls sideways ({width}px)"
        page = _sign_in(open_page(viewport=PHONE, locale="en-GB"), newcomer, language, f"/day/{_today().isoformat()}/")
        text = _panel(page, f"newcomer-{language}")
        for sentence in EXPECTED[language]["newcomer"]:
            assert sentence in text, f"newcomer ({language}): {sentence!r} not in\n{text}"


def test_a_rule_page_names_its_article_and_its_references(open_page, live_server, reviewed):
    """In each language at phone and desktop width, each in a context of its own, and each from the
    language the patient starts with (choosing French is kept in the profile)."""
    patient, _newcomer, _days = reviewed
    start_language = profile_of(user=patient).language
    for language in ("en", "fr"):
        for viewport in (PHONE, {"width": 1280, "height": 900}):
            where = f"{language} at {viewport['width']} px"
            Profile.objects.filter(user=patient).update(language=start_language)
            page = _sign_in(
                open_page(viewport=viewport, locale="en-GB"), patient, language, "/guidance/rules/fermented/"
            )
            article = page.locator("article.guidance-rationale")
            expect(article).to_be_visible()
            shoot(article, f"rule-fermented-{language}-{viewport['width']}", SHOTS)
            text = article.inner_text()
            assert "IGEA, “What’s the Link Between Gut Health and Multiple Sclerosis?” (2 July 2025)" in text, where  # noqa: RUF001
            assert "Can Improving Gut Health Help Manage MS?" in text and "21 CFR 101.12" in text, where
            assert ".txt" not in text and "000_" not in text, where
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], where
            page.context.close()
