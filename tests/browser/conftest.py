import pytest


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    make beside it are still synchronous. Set only for browser tests, so it never leaks into
    others (the deploy check refuses to run with it)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
