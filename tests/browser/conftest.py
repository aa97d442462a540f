import pytest

from tests.conftest import chromium_path

# Debian's chromium, quiet: no sandbox (containers), no GPU, no background traffic or first-run screens.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    make beside it are still synchronous. Set only for browser tests, so it never leaks into
    others (the deploy check refuses to run with it)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium():
    """A fresh Debian chromium for one test (skips locally, fails in CI, when it is not installed)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """Opens a page in a new browser context: `open_page(viewport=..., locale="en-GB", timeout=15000, **options)`,
    the options going to `new_context` (is_mobile, has_touch, java_script_enabled, bypass_csp...).

    The page carries `base_url` (the live server) and `console_errors` (console messages of type error,
    from the moment it opened). Each call is a new context; any a test leaves open are closed after it.
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
