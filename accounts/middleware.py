import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.services import profile_of


class UserPreferencesMiddleware:
    """Use the signed-in user's time zone and language for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            profile = profile_of(user)  # type: ignore[arg-type]
            try:
                timezone.activate(zoneinfo.ZoneInfo(profile.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if profile.language and not request.COOKIES.get("django_language"):
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
        else:
            timezone.deactivate()
        return self.get_response(request)
