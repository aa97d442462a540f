"""A returning patient logs a whole day on a phone, counts the taps, reloads and finds it saved.

Also: the same page with JavaScript off, and axe-core on the day, month and relapse pages.
"""

import datetime as dt
import re
import zoneinfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.factories import PatientFactory
from tracker.catalog import search_key
from tracker.models import FatigueRating, FavoriteFood, Food, Lifestyle, MealItem, Relapse, SleepDiary

PHONE = {"width": 390, "height": 844}
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MAX_TAPS_FOR_A_DAY = 15


def _today() -> dt.date:
    return timezone.localdate(timezone=PARIS)


@pytest.fixture
def returning_patient(transactional_db):
    """A patient with yesterday fully logged and a favourite: what a returning user has."""

    patient = PatientFactory(email="camille@example.org")
    foods = {}
    for key, en, fr, grams, measure, groups in [
        ("oats", "Oat flakes", "Flocons d'avoine", 40, "1 bowl", ["whole_grain"]),
        ("yogurt", "Plain yogurt", "Yaourt nature", 125, "1 pot", []),
        ("lentils", "Lentil salad", "Salade de lentilles", 200, "1 plate", ["legume", "vegetable"]),
        ("bread", "Wholemeal bread", "Pain complet", 60, "2 slices", ["whole_grain"]),
        ("salmon", "Salmon fillet", "Pavé de saumon", 120, "1 fillet", ["fish_seafood"]),
        ("broccoli", "Broccoli", "Brocoli", 150, "1 serving", ["vegetable"]),
        ("apple", "Apple", "Pomme", 150, "1 apple", ["fruit"]),
    ]:
        foods[key] = Food.objects.create(
            name_en=en,
            name_fr=fr,
            default_portion_g=grams,
            household_measure_en=measure,
            groups=groups,
            fermented=key == "yogurt",
            search_text=search_key(en, fr),
        )
    yesterday = _today() - dt.timedelta(days=1)
    for meal, keys in (
        ("breakfast", ["oats", "yogurt"]),
        ("lunch", ["lentils", "bread"]),
        ("dinner", ["salmon", "broccoli"]),
    ):
        for key in keys:
            MealItem.objects.create(
                patient=patient, date=yesterday, meal=meal, food=foods[key], grams=foods[key].default_portion_g
            )
    FavoriteFood.objects.create(patient=patient, food=foods["apple"])
    SleepDiary.objects.create(
        patient=patient,
        date=yesterday,
        in_bed_at=dt.time(22, 30),
        tried_sleep_at=dt.time(22, 45),
        minutes_to_fall_asleep=15,
        awakenings=1,
        minutes_awake=10,
        final_wake_at=dt.time(6, 45),
        out_of_bed_at=dt.time(7, 0),
        quality=3,
    )
    return patient


class Taps:
    """Counts what the patient does: each tap, choice or typed field is one interaction."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def tap(self, locator):
        self.count += 1
        locator.click()

    def settle(self):
        self.page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
def test_a_returning_patient_logs_a_day_on_a_phone_in_few_taps(open_page, live_server, returning_patient):
    page = signed_in(open_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"), returning_patient)
    errors = page.console_errors
    errors.clear()  # only what the day page logs counts
    assert page.url.endswith("/day/")
    assert _no_sideways_scroll(page)
    taps = Taps(page)
    status = page.locator("#day-status")

    # Fatigue: one tap saves.
    taps.tap(page.locator("#fatigue").get_by_role("button", name="4", exact=True))
    expect(status).to_contain_text("Fatigue saved")
    # Sleep: last night's diary is prefilled; rate it and save.
    sleep = page.locator("#sleep")
    taps.tap(sleep.get_by_text("4 good"))
    taps.tap(sleep.get_by_role("button", name="Save sleep"))
    expect(status).to_contain_text("Sleep saved")
    # Breakfast and lunch as yesterday, one tap each.
    taps.tap(page.get_by_role("button", name="Same breakfast as yesterday"))
    expect(page.locator("#meal-breakfast .item")).to_have_count(2)
    taps.tap(page.get_by_role("button", name="Same lunch as yesterday"))
    expect(page.locator("#meal-lunch .item")).to_have_count(2)
    # Dinner from the one-tap recent and favourite foods.
    dinner = page.locator("#meal-dinner")
    taps.tap(dinner.get_by_role("button", name=re.compile("Add Salmon fillet")))
    expect(dinner.locator(".item")).to_have_count(1)
    taps.tap(dinner.get_by_role("button", name=re.compile("Add Broccoli")))
    expect(dinner.locator(".item")).to_have_count(2)
    taps.tap(dinner.get_by_role("button", name=re.compile("Add Apple")))
    expect(dinner.locator(".item")).to_have_count(3)
    taps.settle()

    assert taps.count <= MAX_TAPS_FOR_A_DAY, taps.count
    print(f"\ninteractions to log a typical day: {taps.count}")

    # Type-ahead search adds one more food to a snack: type, then tap Add.
    snack = page.locator("#meal-snack")
    snack.get_by_label("Find a food for snacks").fill("yaou")
    taps.tap(snack.get_by_role("button", name="Add Plain yogurt"))
    expect(snack.locator(".item")).to_have_count(1)

    page.reload()
    expect(page.locator("#fatigue-4")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#sleep summary.section-line")).to_contain_text("22:30–06:45 · 7 h 35 · good")
    expect(page.locator("#meal-dinner .item")).to_have_count(3)
    expect(page.locator("#meal-snack .item")).to_have_count(1)
    assert _no_sideways_scroll(page)
    today = _today()
    patient = returning_patient
    assert FatigueRating.objects.get(patient=patient, date=today).score == 4
    assert SleepDiary.objects.get(patient=patient, date=today).quality == 4
    assert MealItem.objects.filter(patient=patient, date=today).count() == 8
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


@pytest.mark.browser
def test_the_day_works_with_javascript_off(open_page, live_server, returning_patient):
    page = signed_in(open_page(viewport=PHONE, java_script_enabled=False, locale="en-GB"), returning_patient)
    lifestyle = page.locator("#lifestyle")
    lifestyle.get_by_label("Minutes of physical activity").fill("35")
    lifestyle.get_by_label("I took a probiotic").check()
    lifestyle.get_by_role("button", name="Save lifestyle").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Lifestyle saved")
    expect(page.locator("#lifestyle").get_by_label("Minutes of physical activity")).to_have_value("35")
    assert Lifestyle.objects.get(patient=returning_patient).probiotic

    # Saved, the section is one line that opens in place, without JavaScript too.
    expect(page.locator("#lifestyle summary.section-line")).to_contain_text("active 35 min · probiotic")
    page.locator("#lifestyle summary.section-line").click()
    # A mistake keeps what was typed and says what is wrong.
    page.locator("#lifestyle").get_by_label("Minutes of physical activity").fill("2000")
    page.locator("#lifestyle").get_by_role("button", name="Save lifestyle").click()
    expect(page.locator("#lifestyle")).to_contain_text("1440")
    expect(page.locator("#lifestyle").get_by_label("Minutes of physical activity")).to_have_value("2000")

    # Search with the plain form, add, then delete with the confirmation page.
    page.goto(f"{live_server.url}/day/")
    lunch = page.locator("#meal-lunch")
    lunch.get_by_label("Find a food for lunch").fill("brocoli")
    lunch.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.locator("#meal-lunch").get_by_role("button", name="Add Broccoli").click()
    page.wait_for_load_state()
    expect(page.locator("#meal-lunch .item")).to_have_count(1)
    page.locator("#meal-lunch").get_by_role("link", name="Delete Broccoli").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Delete Broccoli")
    page.get_by_role("button", name="Yes, delete").click()
    page.wait_for_load_state()
    assert not MealItem.objects.filter(patient=returning_patient, date=_today()).exists()


AXE_PATHS = ("/day/", "/day/month/", "/day/relapses/", "/day/mfis/")


@pytest.mark.browser
def test_axe_finds_no_serious_violations(open_page, live_server, returning_patient):
    """The day, month, relapse and MFIS pages at phone and desktop width: one sign-in, each page
    loaded afresh at each width, every page checked, the failures named by page and width."""
    Relapse.objects.create(
        patient=returning_patient,
        started_on=_today() - dt.timedelta(days=40),
        symptoms="Numb legs",
        fever_or_infection=True,
    )
    axe = Axe()
    serious_found = {}
    page = open_page(viewport={"width": 390, "height": 900}, bypass_csp=True, locale="en-GB")
    signed_in(page, returning_patient, path=AXE_PATHS[0])
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for path in AXE_PATHS:
            if (width, path) != (390, AXE_PATHS[0]):  # where the sign-in opened
                page.goto(f"{live_server.url}{path}")
            results = axe.run(page)
            if [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]:
                serious_found[f"{path} at {width} px"] = results.generate_snapshot()
    assert not serious_found, "\n".join(f"{where}:\n{snapshot}" for where, snapshot in serious_found.items())


def _focused(page) -> str:
    return page.evaluate(
        """() => { const a = document.activeElement;
          if (!a || a === document.body || !a.isConnected) return "(lost)";
          return a.tagName + ":" + (a.getAttribute("aria-label") || a.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60); }"""
    )


@pytest.mark.browser
def test_keyboard_focus_stays_in_the_section_after_each_htmx_save(open_page, live_server, returning_patient):
    """A keyboard user presses Enter on a save button; the section is swapped; focus must not fall to the page top."""

    page = signed_in(open_page(viewport={"width": 1280, "height": 900}, locale="en-GB"), returning_patient)
    status = page.locator("#day-status")

    def press(locator, key, said):
        locator.focus()
        page.keyboard.press(key)
        expect(status).to_contain_text(said)
        page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")

    page.locator("#sleep").get_by_label("3 fair").check()
    press(page.get_by_role("button", name="Save sleep"), "Enter", "Sleep saved")
    # A saved section folds into its one-line summary, which takes the focus (Enter opens it again).
    assert _focused(page).startswith("SUMMARY:Sleep 22:30–06:45")
    press(page.locator("#lifestyle").get_by_role("button", name="Save lifestyle"), "Enter", "Lifestyle saved")
    assert _focused(page).startswith("SUMMARY:Lifestyle")
    press(page.locator("#symptoms .bristol button").nth(3), " ", "Bowel movement added")
    assert _focused(page).startswith("SUMMARY:Symptoms and digestion")
    page.keyboard.press("Enter")
    expect(page.locator("#symptoms .bristol button").nth(3)).to_be_visible()
    press(page.locator("#meal-snack").get_by_role("button", name=re.compile("Add Apple")), "Enter", "Added Apple")
    # Apple is now in the list, so its one-tap button is gone: focus stays in the meal, on its heading.
    assert _focused(page) == "H2:Snacks"

    # "No, keep it" puts focus back on the Delete link that asked.
    page.locator("#meal-snack").get_by_role("link", name="Delete Apple").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.classList.contains('confirm-box')")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert _focused(page) == "A:No, keep it"
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('#meal-snack .confirm-box')")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    assert _focused(page) == "A:Delete Apple"

    # Delete asks first: the question takes focus, Tab reaches "Yes, delete"; after it, the meal's heading.
    page.locator("#meal-snack").get_by_role("link", name="Delete Apple").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#meal-snack .confirm-box")).to_be_visible()
    page.wait_for_function("() => document.activeElement.classList.contains('confirm-box')")
    page.keyboard.press("Tab")
    assert _focused(page) == "BUTTON:Yes, delete"
    press(page.locator("#meal-snack").get_by_role("button", name="Yes, delete"), "Enter", "Deleted")
    assert _focused(page) == "H2:Snacks"


@pytest.mark.browser
def test_type_ahead_result_counts_are_read_out_from_a_live_region_that_stays(open_page, live_server, returning_patient):
    page = signed_in(open_page(viewport=PHONE, locale="en-GB"), returning_patient)
    live = page.locator("#search-live")
    assert live.get_attribute("aria-live") == "polite" and live.inner_text() == ""
    page.locator("#meal-lunch").get_by_label("Find a food for lunch").fill("bro")
    expect(live).to_have_text("1 food found")
    page.locator("#meal-lunch").get_by_label("Find a food for lunch").fill("zzzz")
    expect(live).to_have_text("No food matches “zzzz”.")


@pytest.mark.browser
def test_a_past_day_fits_a_phone_with_both_neighbour_buttons(open_page, live_server, returning_patient):
    """In English, then in French, each in a context of its own."""
    # Long labels: a past Wednesday, so both neighbours (Tuesday and Thursday) are shown.
    day = _today() - dt.timedelta(days=7)
    day -= dt.timedelta(days=(day.weekday() - 2) % 7)
    for language in ("en", "fr"):
        page = signed_in(open_page(viewport=PHONE, locale="en-GB"), returning_patient, path=f"/day/{day.isoformat()}/")
        if language == "fr":  # chosen on that day's page, which the switch opens again
            page.get_by_role("button", name="Français").click()
            page.wait_for_load_state()
            expect(page.locator("html")).to_have_attribute("lang", "fr")
        assert page.url == f"{live_server.url}/day/{day.isoformat()}/", language
        expect(page.locator("a.day-next")).to_be_visible()
        assert _no_sideways_scroll(page), language
        right = page.locator("a.day-next").evaluate("el => el.getBoundingClientRect().right")
        assert right <= PHONE["width"], (language, right)
        page.context.close()
