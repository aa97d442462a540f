"""Nothing lost, nothing covered: a save never replaces what the patient is typing, its words are
read out from a status region and shown in place (never over a control), and a double tap adds once."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_tracker_day import PHONE, _today, returning_patient  # noqa: F401
from tracker.models import MealItem


@pytest.mark.browser
def test_letters_typed_while_an_add_is_saving_are_kept(open_page, live_server, returning_patient):  # noqa: F811
    page = signed_in(open_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"), returning_patient)

    # Every add takes 1.2 s to answer: long enough to type a whole word meanwhile.
    def slow(route):
        time.sleep(1.2)
        route.continue_()

    page.route(re.compile(r"/meals/lunch/add/$"), slow)
    lunch = page.locator("#meal-lunch")
    search = lunch.get_by_label("Find a food for lunch")
    search.press_sequentially("lent", delay=20)
    lunch.get_by_role("button", name="Add Lentil salad").tap()
    search.click()
    search.press("Control+a")
    search.press_sequentially("bread", delay=60)
    expect(lunch.locator(".item")).to_have_count(1)
    expect(lunch.locator(".saved-line")).to_contain_text("Added Lentil salad to lunch")
    # The word typed during the save is whole, still focused, and its results came.
    expect(search).to_have_value("bread")
    assert page.evaluate("document.activeElement.id") == "q-lunch"
    expect(lunch.locator(".result-name").first).to_contain_text("Wholemeal bread")
    # The words were read out from the region that stays, which covers nothing.
    expect(page.locator("#day-status")).to_contain_text("Added Lentil salad")
    assert page.locator("#day-status").evaluate("e => e.getBoundingClientRect().width") <= 1

    # The next result's Add button is not covered by any confirmation.
    button = lunch.locator(".results").get_by_role("button", name="Add Wholemeal bread")
    button.scroll_into_view_if_needed()
    covered = button.evaluate(
        """b => { const r = b.getBoundingClientRect();
           const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
           return !(top === b || b.contains(top)); }"""
    )
    assert not covered
    page.unroute(re.compile(r"/meals/lunch/add/$"))

    # Added with nothing typed since: the box is emptied for the next food and keeps the focus.
    button.click()
    expect(lunch.locator(".item")).to_have_count(2)
    expect(search).to_have_value("")
    expect(lunch.locator(".result")).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == "q-lunch"


@pytest.mark.browser
def test_a_double_tap_adds_one_item(open_page, live_server, returning_patient):  # noqa: F811
    page = signed_in(open_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"), returning_patient)
    chip = page.locator("#meal-snack").get_by_role("button", name=re.compile("Add Apple"))
    chip.dblclick()
    expect(page.locator("#meal-snack .item")).to_have_count(1)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.reload()
    expect(page.locator("#meal-snack .item")).to_have_count(1)
    assert MealItem.objects.filter(patient=returning_patient, date=_today(), meal="snack").count() == 1
