import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from bench.common import CHROMIUM_ARGS
from tests.conftest import chromium_path


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
