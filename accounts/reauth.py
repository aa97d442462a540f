"""Recent authentication: changing the second factor or ending sessions asks for the password again.

A sign-in, or the confirm-password page, counts as recent for RECENT_AUTH_SECONDS; after that the
sensitive pages send the person to confirm first (with their code too if they have an
authenticator), then back. A stolen unlocked session can then not replace the authenticator,
re-issue backup codes or sign the owner out of their other devices.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

RECENT_AUTH_SECONDS = 10 * 60
SESSION_KEY = "_reauth_at"


def mark_recent(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = int(time.time())


def is_recent(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    return isinstance(at, int) and 0 <= time.time() - at <= RECENT_AUTH_SECONDS


def confirm_url(next_url: str) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_url})}"


def recent_auth_required(
    back_to: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Send the person to confirm their password first, then back to this page (a GET) or to
    `back_to` (the URL name of the page whose form posted here)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_recent(request):
                return view(request, *args, **kwargs)
            next_url = request.get_full_path() if request.method == "GET" or back_to is None else reverse(back_to)
            return HttpResponseRedirect(confirm_url(next_url))

        return wrapper

    return decorator
