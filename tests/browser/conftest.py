import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Page, sync_playwright

from bench.common import CHROMIUM_ARGS
from tests.conftest import chromium_path, verified_login
from tests.factories import PASSWORD

# Screenshots are for a person to look at; they check nothing. They are saved only when SCREENSHOTS
# names a folder (`SCREENSHOTS=artifacts make test`): each costs 0.1-0.5 s of the run otherwise.
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")


@pytest.fixture(scope="module")
def chromium():
    """One Debian chromium for a test module (a launch costs about a second; each test opens
    its own context, so no cookie or storage passes between tests). Skips locally, fails in
    CI, when it is not installed."""

    executable = chromium_path()
    with pytest.MonkeyPatch.context() as env:
        # Playwright's sync API keeps an event loop running in the test thread while the browser
        # is open; the ORM calls made beside it (tests, factories, database teardown) are still
        # synchronous. Set only while a browser module runs, so it never leaks into other tests
        # (the deploy check refuses to run with it).
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
            # With a loop running, Django keeps this thread's connections apart from the ones it
            # sees without; close them now, or the test database could not be dropped at the end.
            connections.close_all()


@pytest.fixture
def open_page(chromium, live_server, transactional_db):
    """Opens a page in a new browser context: `open_page(viewport=..., locale="en-GB", timeout=15000, **options)`,
    the options going to `new_context` (is_mobile, has_touch, java_script_enabled, bypass_csp...).

    The page carries `base_url` (the live server) and `console_errors` (console messages of type error,
    from the moment it opened). Each call is a new context; any a test leaves open are closed after it,
    before the database is emptied (this fixture comes after `transactional_db`, so it ends before it):
    a page still sending something then could otherwise write while the tables are being emptied.
    """
    contexts = []

    def open_page(*, viewport, locale="en-GB", timeout=15000, **options):
        context = chromium.new_context(viewport=viewport, locale=locale, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(timeout)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.base_url = live_server.url
        page.console_errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in_with_form(page, email: str):
    """Signs in through the sign-in form, as a person does (for the tests whose subject is signing in;
    the others use `signed_in`)."""
    page.goto(f"{page.base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def add_session(page, user, *, verified: bool = False) -> None:
    """Signs the page's browser context in as `user` without the form: it gets the cookie of a session
    made by django.contrib.auth's login, which the form's sign-in also calls (so the session has the
    same keys, set by accounts.signals), the second factor passed when `verified`
    (tests.conftest.verified_login)."""
    client = Client()
    if verified:
        verified_login(client, user)
    else:
        client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session,
                "url": page.base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def signed_in(page, user, *, path: str | None = None, verified: bool = False):
    """Opens `path` (by default the user's home page, where the sign-in form leads) signed in as `user`
    (`add_session`). About a second less per sign-in than the form: its page, two fields, the POST and
    the redirect."""
    add_session(page, user, verified=verified)
    page.goto(f"{page.base_url}{path or user.home_url()}")
    return page


def shoot(target, name: str, folder: str = "") -> None:
    """Saves `target` (a page, whole, or one element) as `name`.png in `folder`, or else in the
    SCREENSHOTS folder; with neither (the default, as in CI), nothing."""
    folder = folder or SCREENSHOTS
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = str(Path(folder) / f"{name}.png")
    if isinstance(target, Page):
        target.screenshot(path=path, full_page=True)
    else:
        target.screenshot(path=path)
