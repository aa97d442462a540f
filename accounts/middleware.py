import time
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts import twofactor
from accounts.models import User
from accounts.services import profile_of
from accounts.sessions import SIGNED_IN_AT
from msgut.http import HtmxHttpRequest


class UserPreferencesMiddleware:
    """Use the signed-in user's time zone and language for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            profile = profile_of(user=user)
            try:
                timezone.activate(zoneinfo.ZoneInfo(profile.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if profile.language and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
        else:
            timezone.deactivate()
        return self.get_response(request)


class OTPRequiredMiddleware:
    """Clinicians and admins, and patients who turned it on, pass a second factor before any other page.

    Until then every page except enrolment, verification, sign-out, the
    language switch and static files sends them to set up or enter a code.
    Sits after django_otp's OTPMiddleware, which sets `user.is_verified()`.
    """

    ALLOWED_VIEWS = frozenset(
        {
            "accounts:two-factor-setup",
            "accounts:two-factor-verify",
            "accounts:logout",
            "accounts:language",
            "healthz",
            # The signed unsubscribe link in reminder emails needs no sign-in, so no second factor either.
            "reminders:stop",
            # The installable app's manifest, worker script and offline page: the same for everyone, no data.
            "manifest",
            "service-worker",
            "offline",
        }
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HtmxHttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        # process_view runs after every middleware's __call__, so django-htmx has set request.htmx.
        user = request.user
        if not isinstance(user, User) or not twofactor.must_verify(request, user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.ALLOWED_VIEWS:
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        target = "accounts:two-factor-verify" if twofactor.has_authenticator(user) else "accounts:two-factor-setup"
        next_url = request.get_full_path() if request.method == "GET" else ""
        url = reverse(target)
        if next_url:
            url = f"{url}?{urlencode({'next': next_url})}"
        if request.htmx:
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


class SessionLifetimeMiddleware:
    """End a session SESSION_ABSOLUTE_SECONDS after its sign-in, however busy it has been.

    The idle timeout (SESSION_COOKIE_AGE, renewed on every request) ends a forgotten session; this
    ends one kept alive by constant use, such as a stolen cookie replayed every few seconds.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self.expired(request):
            logout(request)
            hours = round(settings.SESSION_ABSOLUTE_SECONDS / 3600)
            messages.info(
                request,
                _("For your safety you were signed out after %(hours)s hours. Please sign in again.")
                % {"hours": hours},
            )
            url = f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return HttpResponseRedirect(url)
        return self.get_response(request)

    @staticmethod
    def expired(request: HttpRequest) -> bool:
        started = request.session.get(SIGNED_IN_AT)
        # A session without a start time predates this rule: it has lived long enough.
        return not isinstance(started, int) or time.time() - started > settings.SESSION_ABSOLUTE_SECONDS
