"""A new patient on a phone: sign up, sign out, sign in, see the home page, switch to French."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from accounts.models import User
from accounts.services import register_user
from tests.browser.conftest import add_session
from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}
PASSPHRASE = "a calm long passphrase for my health diary"


@pytest.fixture
def page(open_page):
    return open_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_patient_signs_up_signs_in_and_reads_home_in_french_on_a_phone(page):
    base = page.base_url
    page.goto(f"{base}/accounts/signup/")
    assert no_sideways_scroll(page)
    page.get_by_label("Email").fill("camille@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSPHRASE)
    page.get_by_label("Password again").fill(PASSPHRASE)
    page.get_by_label(re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert User.objects.filter(email="camille@example.org", role="patient").exists()
    assert page.get_by_role("button", name="Sign out").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/accounts/login/")

    page.get_by_label("Email").fill("camille@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    home_path = User.objects.get(email="camille@example.org").home_url()
    assert page.url == f"{base}{home_path}"
    assert page.locator("main h1").first.is_visible()
    # On a phone the navigation is one visible Menu button.
    page.locator(".phone-menu > summary").click()
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert no_sideways_scroll(page)

    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.url == f"{base}{home_path}"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert page.get_by_role("link", name="Aller au contenu principal").count() == 1
    assert page.get_by_role("button", name="English").is_visible()
    assert no_sideways_scroll(page)
    assert page.console_errors == [], page.console_errors


def axe_violations(page) -> list[str]:
    """The WCAG 2.1 A and AA violations axe-core finds on the page. Only violations are collected
    (`resultTypes`): the passes and the rest, never read, are not gathered node by node and sent back."""
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            "resultTypes": ["violations"],
        },
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_foundation_pages_pass_axe_wcag_aa_checks_on_a_phone(page):
    base = page.base_url
    reader = register_user(email="reader@example.org", password=PASSWORD)
    doctor = register_user(email="doctor@example.org", password=PASSWORD, role="clinician")
    found = {}
    page.goto(f"{base}/accounts/login/")
    found["login"] = axe_violations(page)
    page.goto(f"{base}/accounts/signup/")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    found["signup with errors"] = axe_violations(page)
    # Signed in without the form: the test above signs in with it, and the login page was checked above.
    for user, pages in (
        (reader, ["/accounts/settings/", "/accounts/password/"]),
        (doctor, ["/accounts/two-factor/setup/"]),
    ):
        page.context.clear_cookies()
        add_session(page, user)
        for path in pages:
            page.goto(f"{base}{path}")
            found[path] = axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
    # The checker itself can fail: an unlabelled field is caught.
    page.set_content('<html lang="en"><title>t</title><main><input></main></html>')
    assert any(v.startswith("label") for v in axe_violations(page))
