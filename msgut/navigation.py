"""The main navigation, per role. Each feature adds its pages here."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import twofactor


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # Only the exact URL marks it current (for a page whose URL prefixes others, e.g. /day/).
    exact: bool = False

    @property
    def url(self) -> str:
        return _reversed(self.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=64)
def _reversed(url_name: str, prefix: str, urlconf: str) -> str:
    """A page's address without arguments: the same for every request under one script prefix and
    URL configuration (reversed on each page, it was most of the navigation's time)."""
    return reverse(url_name, urlconf=urlconf)


NAVIGATION: dict[str, list[NavItem]] = {
    "patient": [
        NavItem(_("Today"), "tracker:today", exact=True),
        NavItem(_("Month"), "tracker:month"),
        NavItem(_("Trends"), "trends:dashboard"),
        NavItem(_("Relapses"), "tracker:relapses"),
        NavItem(_("Treatments"), "tracker:medications"),
        NavItem(_("Sharing"), "clinic:sharing"),
        NavItem(_("My data"), "clinic:my-data"),
        NavItem(_("Settings"), "accounts:profile"),
    ],
    "clinician": [
        NavItem(_("Patients"), "clinic:dashboard"),
        NavItem(_("Settings"), "accounts:profile"),
    ],
    "admin": [
        NavItem(_("Administration"), "admin:index"),
        NavItem(_("Settings"), "accounts:profile"),
    ],
}


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    if twofactor.must_verify(request, user):
        # Until the second factor is passed every link would lead back to it.
        return {"nav_items": [], "second_factor_pending": True}
    items = NAVIGATION.get(getattr(user, "role", ""), [])
    current = request.path
    entries = []
    for item in items:
        url = item.url
        active = current == url or (not item.exact and url != "/" and current.startswith(url))
        entries.append({"label": item.label, "url": url, "active": active})
    return {"nav_items": entries}
