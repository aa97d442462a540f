"""A patient on a phone types everyday words, with their typos, into the food search and finds the food."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.factories import PatientFactory
from tracker.catalog import load_catalog

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def patient_with_catalog(transactional_db):
    load_catalog()
    return PatientFactory(email="search@example.org")


@pytest.mark.browser
def test_typos_plurals_and_synonyms_find_the_food_at_phone_width(open_page, patient_with_catalog):
    page = signed_in(open_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"), patient_with_catalog)
    page.console_errors.clear()

    search = page.get_by_label(re.compile("Find a food for breakfast", re.I))
    first = page.locator("#results-breakfast .result-name").first
    for typed, food in [
        ("bluebery", "Blueberries"),
        ("salomn", "Salmon (baked)"),
        ("yoghurt", "Plain yogurt (whole milk)"),
        ("soy milk", "Soy drink (unsweetened)"),
        ("otas", "Rolled oats (dry)"),
    ]:
        search.fill("")
        search.press_sequentially(typed, delay=30)
        expect(first).to_contain_text(food)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.locator("#results-breakfast").get_by_role("button", name=re.compile("Add Rolled oats")).click()
    # The meal's list, not the section: the results shown above it name the food already.
    expect(page.locator("#meal-breakfast .item")).to_contain_text("Rolled oats (dry)")
    assert page.console_errors == []
