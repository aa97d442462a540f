"""The installable app in Chromium: install criteria, logging through a dead zone, sign-out on a
shared phone.

Offline here is Playwright's `context.set_offline(True)`: the page and its service worker lose the
network, `navigator.onLine` turns false, as on a phone without signal."""

import datetime as dt
import json
import re
import struct

import pytest
from playwright.sync_api import expect

from accounts.services import end_sessions
from tests.browser import test_tracker_day
from tests.browser.conftest import CHROMIUM_ARGS, shoot, sign_in_with_form, signed_in
from tests.browser.test_foundation import axe_violations
from tests.browser.test_tracker_day import PHONE, _today
from tests.conftest import chromium_path
from tracker.models import FatigueRating, MealItem, SleepDiary

DESKTOP = {"width": 1280, "height": 900}
returning_patient = test_tracker_day.returning_patient  # the fixture: yesterday logged, a favourite food
SAVED_OFFLINE = "Saved on this phone, will send when you’re online."  # noqa: RUF001  (the typographic apostrophe)


def controlled(page) -> None:
    """Wait until the service worker is active and controls the page (reload once if it came after)."""
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def caches_and_databases(page) -> dict:
    return page.evaluate(
        """async () => ({
            caches: await caches.keys(),
            databases: (await indexedDB.databases()).map(d => d.name),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )


def queued(page):
    return page.locator("[data-offline-list] li")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
def test_the_day_page_is_installable_with_its_manifest_worker_and_icons(
    chromium, live_server, returning_patient, tmp_path
):
    """In a profile of its own: Chromium never offers to install from an incognito context, which is
    what a test's new context is."""
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium_path(), args=CHROMIUM_ARGS, viewport=PHONE
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.base_url = live_server.url
        signed_in(page, returning_patient)
        assert page.url.endswith("/day/")
        controlled(page)
        scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
        assert scope == f"{page.base_url}/"
        manifest_url = page.evaluate("document.querySelector('link[rel=manifest]').href")
        assert manifest_url == f"{page.base_url}/manifest.webmanifest"
        manifest = page.evaluate("url => fetch(url).then(r => r.json())", manifest_url)
        assert manifest["start_url"] == "/day/" and manifest["display"] == "standalone"
        for icon in manifest["icons"]:
            response = page.request.get(f"{page.base_url}{icon['src']}")
            assert response.ok, icon
            width, height = png_size(response.body())
            assert f"{width}x{height}" == icon["sizes"]
        # The browser's own reading of the manifest, and its installability check.
        cdp = context.new_cdp_session(page)
        parsed = cdp.send("Page.getAppManifest")
        assert parsed["url"] == manifest_url and parsed["errors"] == [], parsed["errors"]
        assert json.loads(parsed["data"])["name"] == "msgut"
        problems = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert problems == [], problems
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_patient_logs_through_a_dead_zone_and_each_entry_arrives_once(open_page, returning_patient):
    patient = returning_patient
    page = signed_in(open_page(viewport=PHONE, is_mobile=True, has_touch=True), patient)
    controlled(page)
    page.reload()  # the worker keeps this person's day page from now on
    expect(page.locator("h1")).to_contain_text("Today")
    status = page.locator("[data-offline-status]")

    page.context.set_offline(True)
    # Fatigue: one tap, kept on the phone.
    page.locator("#fatigue").get_by_role("button", name="6", exact=True).click()
    expect(status).to_have_text(SAVED_OFFLINE)
    expect(queued(page)).to_have_count(1)
    # A food from the one-tap favourites, twice: two portions, as online.
    breakfast = page.locator("#meal-breakfast")
    breakfast.get_by_role("button", name=re.compile("Add Apple")).click()
    expect(queued(page)).to_have_count(2)
    breakfast.get_by_role("button", name=re.compile("Add Apple")).click()
    expect(queued(page)).to_have_count(3)
    # Sleep: prefilled from the night before; a different bedtime and a rating.
    sleep = page.locator("#sleep")
    sleep.get_by_label("Time you went to bed").fill("23:00")
    sleep.get_by_text("More about the night (optional)").click()  # the diary's other times fold under it
    sleep.get_by_label("Time you tried to fall asleep").fill("23:10")
    sleep.get_by_text("4 good").click()
    sleep.get_by_role("button", name="Save sleep").click()
    expect(queued(page)).to_have_count(4)
    expect(queued(page).nth(0)).to_have_text(re.compile(f"^{_today():%a} {_today().day} {_today():%b} · Fatigue: 6"))
    expect(queued(page).nth(1)).to_contain_text("Apple")
    expect(queued(page).nth(3)).to_contain_text("Last night's sleep")
    assert not FatigueRating.objects.filter(patient=patient).exists()
    shoot(page, "offline-queued-390")

    # Meanwhile the same section is saved elsewhere (another device, online).
    FatigueRating.objects.create(patient=patient, date=_today(), score=9)
    # Reload without a network: the worker's copy of the day opens (without that save), with the queue.
    page.reload()
    expect(page.locator("h1")).to_contain_text("Today")
    expect(page.locator("#fatigue")).not_to_contain_text("Saved: 9 out of 10")
    expect(status).to_have_text(
        "You are offline. What you log on your day page stays on this phone until you are back online."
    )
    expect(queued(page)).to_have_count(4)
    expect(page.locator("[data-offline-box]")).to_contain_text("Saved on this phone, not sent yet")
    assert axe_violations(page) == []
    shoot(page, "offline-reloaded-390")
    # A page the worker has not kept: the offline page, which still lists what waits.
    page.goto(f"{page.base_url}/trends/")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(queued(page)).to_have_count(4)
    assert axe_violations(page) == []
    shoot(page, "offline-page-390")
    page.get_by_role("link", name="Open your day").click()
    expect(page.locator("h1")).to_contain_text("Today")
    # A tap on the copy's favourite is one more portion, not a repeat of one kept before.
    page.locator("#meal-breakfast").get_by_role("button", name=re.compile("Add Apple")).click()
    expect(queued(page)).to_have_count(5)

    page.context.set_offline(False)
    expect(status).to_have_text("Everything you logged offline is sent.", timeout=20000)
    expect(queued(page)).to_have_count(0)
    today = _today()
    # The section's last save wins: the entry sent now replaces the one saved elsewhere meanwhile.
    assert list(FatigueRating.objects.filter(patient=patient).values_list("date", "score")) == [(today, 6)]
    apples = MealItem.objects.filter(patient=patient, date=today, meal="breakfast", food__name_en="Apple")
    assert apples.count() == 3
    sleep_row = SleepDiary.objects.get(patient=patient, date=today)
    assert (sleep_row.in_bed_at, sleep_row.tried_sleep_at, sleep_row.quality) == (dt.time(23, 0), dt.time(23, 10), 4)
    # Sending again (another page, another check) adds nothing: the queue is empty, the tokens used.
    page.reload()
    page.wait_for_timeout(500)
    assert apples.count() == 3 and FatigueRating.objects.filter(patient=patient).count() == 1
    expect(page.locator("#meal-breakfast .item")).to_have_count(3)


@pytest.mark.browser
def test_the_kept_day_page_opened_offline_the_next_morning_says_which_day_it_logs(open_page, returning_patient):
    page = signed_in(open_page(viewport=PHONE), returning_patient)
    controlled(page)
    page.reload()
    today = _today()
    page.context.set_offline(True)
    page.clock.install(time=dt.datetime.combine(today + dt.timedelta(days=1), dt.time(8, 0)).astimezone())
    page.reload()
    expect(page.locator("h1")).to_contain_text("Today")
    day = f"{today:%a} {today.day} {today:%b}"
    expect(page.locator("[data-offline-status]")).to_contain_text(
        f"This copy of your day page is from {day}: what you log on it counts for {day}."
    )


@pytest.mark.browser
def test_a_save_whose_answer_is_lost_is_kept_and_sent_again_without_a_duplicate(open_page, returning_patient):
    """The phone says it is online but the network drops the answer: the server saved the food, the
    page never heard. Kept and sent again with the same token, it stays one food."""
    patient = returning_patient
    page = signed_in(open_page(viewport=PHONE), patient)
    controlled(page)

    def saved_then_lost(route):
        route.fetch()  # reaches the server, which saves it
        route.abort("connectionreset")  # the answer never arrives

    page.route(re.compile(r"/meals/breakfast/add/$"), saved_then_lost)
    page.locator("#meal-breakfast").get_by_role("button", name=re.compile("Add Apple")).click()
    expect(page.locator("[data-offline-status]")).to_have_text(SAVED_OFFLINE)
    expect(queued(page)).to_have_count(1)
    apples = MealItem.objects.filter(patient=patient, date=_today(), food__name_en="Apple")
    assert apples.count() == 1
    page.unroute(re.compile(r"/meals/breakfast/add/$"))
    # The next save that gets through shows the network is back: the kept entry follows it.
    page.locator("#fatigue").get_by_role("button", name="2", exact=True).click()
    expect(page.locator("[data-offline-status]")).to_have_text("Everything you logged offline is sent.", timeout=20000)
    assert apples.count() == 1
    assert FatigueRating.objects.get(patient=patient).score == 2


@pytest.mark.browser
def test_entries_wait_for_the_patient_to_sign_in_again_then_go(open_page, returning_patient):
    patient = returning_patient
    page = signed_in(open_page(viewport=PHONE), patient)
    controlled(page)
    page.context.set_offline(True)
    page.locator("#fatigue").get_by_role("button", name="3", exact=True).click()
    expect(queued(page)).to_have_count(1)
    end_sessions(user=patient)  # the session ends while the phone is offline
    page.context.set_offline(False)
    expect(page.locator("[data-offline-status]")).to_have_text(
        "Sign in again to send what you logged offline. It stays on this phone until then.", timeout=20000
    )
    expect(queued(page)).to_have_count(1)
    assert not FatigueRating.objects.filter(patient=patient).exists()
    page.goto(f"{page.base_url}/accounts/login/")
    expect(page.locator("[data-offline-status]")).to_have_text(
        "Entries logged offline on this phone wait for their owner to sign in."
    )
    expect(queued(page)).to_have_count(0)  # signed out, nothing of the entries is shown
    sign_in_with_form(page, patient.email)
    expect(page.locator("[data-offline-status]")).to_have_text("Everything you logged offline is sent.", timeout=20000)
    assert list(FatigueRating.objects.filter(patient=patient).values_list("score", flat=True)) == [3]


@pytest.mark.browser
def test_an_entry_the_server_refuses_is_shown_with_its_reason_until_removed(open_page, returning_patient):
    patient = returning_patient
    page = signed_in(open_page(viewport=DESKTOP), patient)
    controlled(page)
    page.context.set_offline(True)
    sleep = page.locator("#sleep")
    sleep.get_by_label("Time you went to bed").fill("23:00")
    sleep.get_by_text("More about the night (optional)").click()
    sleep.get_by_label("Time you tried to fall asleep").fill("22:00")
    sleep.get_by_text("3 fair").click()
    sleep.get_by_role("button", name="Save sleep").click()
    page.locator("#fatigue").get_by_role("button", name="5", exact=True).click()
    expect(queued(page)).to_have_count(2)
    page.context.set_offline(False)
    refused = page.locator("[data-offline-list] li.failed")
    expect(refused).to_have_count(1, timeout=20000)
    expect(refused).to_contain_text("Not saved, please enter it again: This is before the time you went to bed.")
    expect(queued(page)).to_have_count(1)  # the fatigue after it went
    expect(page.locator("[data-offline-status]")).to_have_text(
        "Sent, except what is listed below: please enter it again."
    )
    assert FatigueRating.objects.get(patient=patient).score == 5
    assert not SleepDiary.objects.filter(patient=patient, date=_today()).exists()
    shoot(page, "offline-refused-1280")
    page.reload()
    expect(refused).to_have_count(1)  # still there after a reload: never dropped silently
    refused.get_by_role("button", name=re.compile("^Remove")).click()
    expect(queued(page)).to_have_count(0)


def ask_to_sign_out_with_one_entry_unsent(page, score: str):
    """Log fatigue offline, then tap Sign out: the question comes, nothing else happens yet. Back
    online, sending fails (the network drops the request), so the entry is still unsent."""
    controlled(page)
    page.reload()
    before = caches_and_databases(page)
    assert len(before["caches"]) == 2 and "msgut-offline" in before["databases"], before  # shell and day page
    page.context.set_offline(True)
    page.locator("#fatigue").get_by_role("button", name=score, exact=True).click()
    expect(queued(page)).to_have_count(1)
    page.get_by_role("button", name="Sign out").click()
    warning = page.locator("[data-offline-signout]")
    expect(warning).to_contain_text("1 entry not yet sent.")
    expect(warning).to_be_focused()
    page.route(re.compile(r"/fatigue/$"), lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    expect(page.locator("[data-offline-status]")).to_have_text("Could not send yet: msgut will try again.")
    assert "/accounts/login/" not in page.url  # nothing happens before the patient chooses
    return warning


@pytest.mark.browser
def test_signing_out_anyway_with_unsent_entries_clears_every_cache_and_the_queue(open_page, returning_patient):
    patient = returning_patient
    page = signed_in(open_page(viewport=PHONE), patient)
    warning = ask_to_sign_out_with_one_entry_unsent(page, "7")
    shoot(page, "offline-signout-warning-390")
    warning.get_by_role("button", name="Sign out anyway").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert caches_and_databases(page) == {"caches": [], "databases": [], "workers": 0}
    assert not FatigueRating.objects.filter(patient=patient).exists()


@pytest.mark.browser
def test_signing_out_can_send_the_entries_first(open_page, returning_patient):
    patient = returning_patient
    page = signed_in(open_page(viewport=PHONE), patient)
    warning = ask_to_sign_out_with_one_entry_unsent(page, "8")
    page.unroute(re.compile(r"/fatigue/$"))
    warning.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))  # sent, then signed out as asked
    assert list(FatigueRating.objects.filter(patient=patient).values_list("score", flat=True)) == [8]
    assert caches_and_databases(page) == {"caches": [], "databases": [], "workers": 0}


@pytest.mark.browser
def test_signing_out_with_everything_sent_clears_at_once(open_page, returning_patient):
    page = signed_in(open_page(viewport=PHONE), returning_patient)
    controlled(page)
    page.reload()
    assert caches_and_databases(page)["caches"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert caches_and_databases(page) == {"caches": [], "databases": [], "workers": 0}
