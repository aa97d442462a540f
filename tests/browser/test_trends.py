"""The patient's trend charts are drawn by plotly in a real browser, and appear by themselves once built."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guidance.models import DayScore
from tests.browser.conftest import add_session, shoot, signed_in
from tests.factories import PatientFactory
from tests.guidance.factories import RuleSetVersionFactory
from tests.tracker.factories import FoodFactory, RelapseFactory
from tracker.models import FatigueRating, MealItem, SleepDiary
from trends import services, weekly
from trends.models import PendingWeek

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def history(patient, weeks: int) -> None:
    """Varied days over `weeks` weeks, with a relapse, written the fast way (bulk)."""

    today = timezone.localdate()
    lentils = FoodFactory(fiber_g_per_100g=8)
    yogurt = FoodFactory(default_portion_g=125, fermented=True)
    crisps = FoodFactory(default_portion_g=30, nova_group=4)
    version = RuleSetVersionFactory()
    meals, sleeps, fatigue, scores = [], [], [], []
    for n in range(weeks * 7):
        day = today - timedelta(days=n)
        meals += [
            MealItem(patient=patient, date=day, meal="lunch", food=lentils, grams=120 + (n * 37) % 200),
            MealItem(patient=patient, date=day, meal="breakfast", food=yogurt, grams=125 * (n % 3)) if n % 3 else None,
            MealItem(patient=patient, date=day, meal="snack", food=crisps, grams=30 * (n % 4)) if n % 4 else None,
        ]
        sleeps.append(
            SleepDiary(
                patient=patient,
                date=day,
                in_bed_at="23:00",
                tried_sleep_at="23:00",
                minutes_to_fall_asleep=10,
                awakenings=1,
                minutes_awake=10,
                final_wake_at="07:00",
                out_of_bed_at="07:10",
                quality=3,
                total_sleep_minutes=380 + (n * 23) % 120,
                mid_sleep_minutes=150 + (n * 17) % 90,
            )
        )
        fatigue.append(FatigueRating(patient=patient, date=day, score=3 + (n * 7) % 5))
        parts = [("mediterranean", 40, 10 + n % 25), ("fiber", 20, 5 + n % 15), ("fermented", 10, n % 10)]
        scores.append(
            DayScore(
                patient=patient,
                date=day,
                version=version,
                total=sum(p for _k, _w, p in parts),
                breakdown=[{"key": k, "points": p, "possible": w} for k, w, p in parts],
            )
        )
    MealItem.objects.bulk_create([m for m in meals if m is not None])
    SleepDiary.objects.bulk_create(sleeps)
    FatigueRating.objects.bulk_create(fatigue)
    DayScore.objects.bulk_create(scores)
    RelapseFactory(patient=patient, started_on=today - timedelta(days=30), ended_on=today - timedelta(days=22))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_patient_sees_the_four_charts_drawn_at_desktop_and_phone_width(open_page, live_server):
    patient = PatientFactory(email="camille@example.org")
    history(patient, 12)
    services.rebuild_patient(patient_id=patient.pk)

    # One sign-in; the page is loaded afresh at each width, so the charts are first drawn at that width.
    page = open_page(viewport=DESKTOP, locale="en-GB", timeout=20000)
    add_session(page, patient)
    # Every refusal of the Content-Security-Policy, kept for the assertions below (each page load starts a list).
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.cspViolations.push(e.effectiveDirective + ' ' + e.blockedURI));"
    )
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        response = page.goto(f"{live_server.url}/trends/")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy, name
        assert "unsafe-eval" not in policy, name
        for chart in ("score", "food", "sleep", "fatigue"):
            drawn = page.locator(f"[data-trend-figure='trend-{patient.pk}-{chart}-data'] .main-svg").first
            expect(drawn, f"the {chart} chart at {name} width").to_be_attached(timeout=20000)
        assert page.locator(".trend-plot.is-drawn").count() == 4, name
        # The relapse band and the week labels are in the drawn SVG.
        assert page.locator(".trend-plot .shapelayer path").count() >= 4, name
        assert page.locator(".trend-plot .xtick").count() >= 2, name
        # The table alternative opens with a tap.
        page.click("text=Table: Fatigue")
        assert page.locator("details[open] table tbody tr").count() >= 12, name
        shoot(page, f"trends-dashboard-{name}")
        # The plotly bundle draws under the strict policy: no eval or new Function refused, no
        # script refused, and no <style> element tried (trends.css has those rules, and says so).
        assert page.evaluate("window.cspViolations") == [], name
        assert page.console_errors == [], name


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_charts_being_built_fill_themselves_in(open_page, live_server):
    patient = PatientFactory(email="camille@example.org")
    history(patient, 2)
    monday = weekly.week_start(timezone.localdate())
    PendingWeek.objects.create(patient=patient, week_start=monday, requested_at=timezone.now())

    page = open_page(viewport=DESKTOP, locale="en-GB", timeout=20000)
    # The page asks every 3 s; the test's clock (running as usual otherwise) skips the wait once the weeks are built.
    page.clock.install()
    signed_in(page, patient, path="/trends/")
    assert page.locator("#trend-status").is_visible()
    assert page.locator(".main-svg").count() == 0

    services.run_week_build(patient_id=patient.pk, week=monday)  # what the worker does
    services.build_patient_week(patient_id=patient.pk, day=monday - timedelta(days=7))
    page.clock.fast_forward(3000)  # the next time the page asks: now
    page.wait_for_selector(
        f"[data-trend-figure='trend-{patient.pk}-fatigue-data'] .main-svg", state="attached", timeout=15000
    )
    assert page.locator("#trend-status").count() == 0
