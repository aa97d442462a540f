"""Reminders in a browser: set one without JavaScript, allow notifications where Web Push exists,
show a pushed reminder, stop one from its link signed out; axe-core and target sizes on each page."""

import json
from datetime import time

import pytest

from reminders import links
from reminders.models import Channel, Kind, ReminderPreference
from reminders.push import new_vapid_keys
from tests.browser.conftest import shoot, signed_in
from tests.browser.test_foundation import axe_violations
from tests.factories import PatientFactory

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SMALLEST_TARGET = 44


@pytest.fixture
def patient(transactional_db):
    return PatientFactory(email="noa@example.org")


@pytest.fixture
def push_configured(settings):
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:ops@msgut.example"
    return public


def small_targets(page) -> list[str]:
    """Every checkbox row, button and text input in main shorter than 44 px (WCAG 2.5.5's size)."""
    return page.evaluate(
        """(min) => Array.from(document.querySelectorAll(
              'main label.check-row, main button, main input[type=time], main a.button'))
            .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < min)
            .map(e => e.outerHTML.slice(0, 80))""",
        SMALLEST_TARGET,
    )


@pytest.mark.browser
def test_a_patient_turns_on_a_daily_email_with_javascript_off(open_page, patient, push_configured):
    page = signed_in(open_page(viewport=PHONE, java_script_enabled=False), patient, path="/reminders/")
    # Notifications need JavaScript: the page says so and offers no button that cannot work.
    assert page.get_by_text("Allowing notifications needs JavaScript").is_visible()
    assert not page.get_by_role("button", name="Allow notifications on this device").is_visible()
    page.locator("label[for=id_daily_email]").click()
    page.get_by_label("Time").fill("07:30")
    page.get_by_role("button", name="Save reminders").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your reminders are saved.").is_visible()
    preference = ReminderPreference.objects.get(patient=patient)
    assert (preference.daily_email, preference.at) == (True, time(7, 30))
    assert small_targets(page) == []
    shoot(page, "reminders-settings-no-js-390")


@pytest.mark.browser
def test_the_reminders_page_passes_axe_and_offers_notifications_where_the_browser_can(
    open_page, patient, push_configured
):
    """At phone and desktop width: one sign-in, the page loaded afresh at each width."""
    page = signed_in(open_page(viewport=PHONE), patient, path="/reminders/")
    for viewport, width in ((PHONE, 390), (DESKTOP, 1280)):
        if viewport != PHONE:  # where the sign-in opened
            page.set_viewport_size(viewport)
            page.goto(f"{page.base_url}/reminders/")
        assert page.get_by_role("button", name="Allow notifications on this device").is_visible(), width
        assert not page.get_by_text("Allowing notifications needs JavaScript").is_visible(), width
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), width
        assert axe_violations(page) == [], width
        assert small_targets(page) == [], width
        assert page.console_errors == [], width
        shoot(page, f"reminders-settings-{width}")


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "width"), [(PHONE, 390), (DESKTOP, 1280)])
def test_a_signed_out_reader_stops_the_email_from_its_link(open_page, patient, viewport, width):
    ReminderPreference.objects.create(patient=patient, daily_email=True, weekly_email=True)
    page = open_page(viewport=viewport)
    path = links.stop_path(patient_id=patient.pk, kind=Kind.DAILY, channel=Channel.EMAIL)
    page.goto(f"{page.base_url}{path}")
    assert page.locator("h1").inner_text() == "Stop daily reminders by email?"
    assert axe_violations(page) == [] and small_targets(page) == []
    shoot(page, f"reminders-stop-ask-{width}")
    assert ReminderPreference.objects.get(patient=patient).daily_email is True  # opening it changed nothing
    page.get_by_role("button", name="Yes, stop them").click()
    page.wait_for_load_state()
    assert page.get_by_text("Daily reminders by email are off.").is_visible()
    assert axe_violations(page) == []
    shoot(page, f"reminders-stop-done-{width}")
    preference = ReminderPreference.objects.get(patient=patient)
    assert (preference.daily_email, preference.weekly_email) == (False, True)
    page.goto(f"{page.base_url}{path[:-4]}xx/")
    assert page.locator("h1").inner_text() == "This link is not valid"
    assert axe_violations(page) == []
    shoot(page, f"reminders-stop-invalid-{width}")


@pytest.mark.browser
def test_the_push_worker_shows_a_pushed_reminder_with_a_stop_action(open_page, patient, push_configured):
    """Headless Chromium has no push service to subscribe to; the DevTools protocol delivers a
    message to the worker the page registered, as a push service would."""
    page = open_page(viewport=DESKTOP)
    page.context.grant_permissions(["notifications"], origin=page.base_url)
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    signed_in(page, patient, path="/reminders/")  # permission granted: the page registers the worker itself
    # Until the worker is active (up to the page's 15 s, not a count of tries that can run out under load).
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    # The registration now in use: the events also list ones replaced or deleted since (a push sent to
    # one of those is never shown).
    live = [r for r in registrations if r["scopeURL"] == f"{page.base_url}/" and not r.get("isDeleted")]
    registration = live[-1]
    payload = {
        "title": "msgut",
        "body": "Time to log your day.",
        "url": "/day/2026-03-29/",
        "tag": "daily-reminder",
        "unsubscribe": f"{page.base_url}/reminders/stop/token/",
        "stop_label": "Stop these reminders",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": page.base_url, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
    )
    # What the worker shows, once it shows something (asked every 100 ms, up to the page's 15 s).
    shown = page.wait_for_function(
        """async () => {
             for (;;) {
               const registrations = await navigator.serviceWorker.getRegistrations();
               const shown = (await Promise.all(registrations.map(r => r.getNotifications()))).flat();
               if (shown.length) {
                 return shown.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                         actions: n.actions.map(a => a.action), data: n.data}));
               }
               await new Promise(resolve => setTimeout(resolve, 100));
             }
           }"""
    ).json_value()
    assert shown == [
        {
            "title": "msgut",
            "body": "Time to log your day.",
            "tag": "daily-reminder",
            "actions": ["stop"],
            "data": {"url": "/day/2026-03-29/", "unsubscribe": "/reminders/stop/token/"},
        }
    ]
