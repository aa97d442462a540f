"""Phone and low vision: no sideways scrolling at 320 px or with text at 200 %, 44 px touch targets,
a visible menu reaching every destination, a month that fits the phone with each day's score and
fatigue, and a filled day folded into short summaries."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_tracker_day import _today, returning_patient  # noqa: F401
from tracker.models import FatigueRating, Food, Lifestyle, MealItem, SleepDiary, StoolEvent

TARGET = 44
PAGES = ["/day/", "/day/month/", "/accounts/profile/", "/day/relapses/"]


def _fill_today(patient):
    today = _today()
    foods = list(Food.objects.all())
    for i, food in enumerate(foods * 2):
        MealItem.objects.create(
            patient=patient, date=today, meal=("breakfast", "lunch", "dinner", "snack")[i % 4], food=food, grams=100
        )
    FatigueRating.objects.create(patient=patient, date=today, score=4)
    SleepDiary.objects.create(
        patient=patient,
        date=today,
        in_bed_at=dt.time(23, 15),
        tried_sleep_at=dt.time(23, 15),
        minutes_to_fall_asleep=0,
        awakenings=0,
        minutes_awake=0,
        final_wake_at=dt.time(6, 45),
        out_of_bed_at=dt.time(6, 45),
        quality=3,
    )
    Lifestyle.objects.create(patient=patient, date=today, activity_minutes=30, vitamin_d_iu=1000, tobacco=True)
    StoolEvent.objects.create(patient=patient, date=today, bristol_type=4)


def _text_size(page, size):
    """Text zoom as a browser's text-size setting does it: the root font size (CSSOM, allowed by the CSP)."""
    page.evaluate("s => document.documentElement.style.setProperty('font-size', s, 'important')", size)


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _small_targets(page) -> list[str]:
    """Visible buttons, links styled as buttons, summaries and box labels smaller than 44 × 44 px."""
    return page.evaluate(
        """(min) => {
          const out = [];
          const seen = document.querySelectorAll(
            'main button, main .button, main summary, main label:has(> input[type=checkbox]), main label:has(> input[type=radio]), header button, header summary, header a');
          for (const el of seen) {
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
            if (el.closest('.visually-hidden, .skip-link')) continue;
            if (r.height < min - 0.5 || r.width < min - 0.5) out.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 30) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
          }
          return out; }""",
        TARGET,
    )


@pytest.mark.browser
def test_no_sideways_scrolling_and_44_px_targets(open_page, live_server, returning_patient):  # noqa: F811
    """At 320 px with text at 100 %, then at 390 px with text at 200 %: one sign-in, each page loaded
    afresh at each width."""
    _fill_today(returning_patient)
    page = signed_in(
        open_page(viewport={"width": 320, "height": 800}, locale="en-GB"), returning_patient, path=PAGES[0]
    )
    for width, text in ((320, "100%"), (390, "200%")):
        page.set_viewport_size({"width": width, "height": 800})
        for path in PAGES:
            if (width, path) != (320, PAGES[0]):  # where the sign-in opened
                page.goto(f"{live_server.url}{path}")
            _text_size(page, text)
            assert _overflow(page) <= 1, (width, text, path, _overflow(page))
            if text == "100%":
                assert _small_targets(page) == [], (width, path)
            if path == "/day/":  # then its folded sections open in place, and still fit
                for summary in page.locator("summary.section-line").all():
                    summary.click()
                assert _overflow(page) <= 1, (width, text)
                checkbox = page.locator("#lifestyle").get_by_label("I smoked tobacco today")
                box = page.locator("#lifestyle label:has(#id_tobacco)").bounding_box()
                assert checkbox.is_checked() and box["height"] >= TARGET and box["width"] >= TARGET, (width, text, box)


@pytest.mark.browser
def test_the_phone_menu_reaches_every_destination(open_page, live_server, returning_patient):  # noqa: F811
    page = signed_in(open_page(viewport={"width": 320, "height": 700}, locale="en-GB"), returning_patient)
    menu = page.locator("summary", has_text="Menu")
    expect(menu).to_be_visible()
    menu.click()
    for name in ("Today", "Month", "Trends", "Relapses", "Treatments", "Sharing", "My data", "Settings"):
        link = page.locator(".phone-menu").get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        right = link.evaluate("e => e.getBoundingClientRect().right")
        assert right <= 320
    page.locator(".phone-menu").get_by_role("link", name="My data").click()
    page.wait_for_load_state()
    assert "/my-data" in page.url or "data" in page.url
    assert _overflow(page) <= 1


@pytest.mark.browser
def test_the_month_fits_a_phone_with_each_days_score_and_fatigue(open_page, live_server, returning_patient):  # noqa: F811
    FatigueRating.objects.create(patient=returning_patient, date=_today(), score=6)
    page = signed_in(
        open_page(viewport={"width": 320, "height": 700}, locale="en-GB"), returning_patient, path="/day/month/"
    )
    assert _overflow(page) <= 1
    table = page.locator("table.calendar").bounding_box()
    assert table["x"] + table["width"] <= 320
    today = page.locator("td.is-today")
    expect(today.locator(".cal-fatigue")).to_have_text("F6")
    expect(today).to_contain_text(re.compile(r"fatigue 6 out of 10"))
    # Days of the neighbouring months are blank, not tinted like a relapse.
    outside = page.locator("td.out")
    if outside.count():
        colour = outside.first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour in ("rgba(0, 0, 0, 0)", "transparent")
        assert outside.first.inner_text() == ""
