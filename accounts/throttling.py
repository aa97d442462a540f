"""Password throttling: one mechanism (django-axes) for every form that checks a password.

Three rules, all keyed on the client address that `msgut.client` reads (never the proxy's):

- One account from one address: after AXES_FAILURE_LIMIT wrong passwords, that address pauses
  for AXES_COOLOFF_TIME on that account. Other addresses are not affected, so nobody can lock
  another person out; attempts during the pause are not counted, so it always ends.
- The whole account: once it has ACCOUNT_SLOWDOWN_AFTER failures from all addresses within the
  cool-off, every address waits ACCOUNT_SLOWDOWN_SECONDS between two tries on it. A slow-down,
  never a lock: the right password from an address that has not just tried goes straight through.
- Sign-in, password change, erasure and re-authentication all check the password through
  `check_password`, so their failures add up in the same counts.

Our login form posts the email in the `username` field, while axes looks for the user model's
USERNAME_FIELD (`email`) by default and so saw no name at all. Emails are also case-insensitive
here, so `A@x.org` and `a@x.org` count as the same account or a pause is dodged by changing case.
"""

import math
from datetime import timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User

# Set on the request when the account-wide slow-down refuses a try: how long this address waits.
WAIT_ATTRIBUTE = "msgut_throttle_wait"


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str | None:
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        data = getattr(request, "POST", {})
        value = data.get("username") or data.get("email")
    if not value:
        return None
    return str(value).strip().lower()[:254]


def account_wait(request: HttpRequest, credentials: dict[str, Any] | None) -> timedelta | None:
    """How long this address must still wait before trying this account again, if the account is slowed."""
    username = get_client_username(request, credentials)
    if not username:
        return None
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=get_cool_off_threshold(request))
    failures = recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
    if failures < settings.ACCOUNT_SLOWDOWN_AFTER:
        return None
    last = recent.filter(ip_address=getattr(request, "axes_ip_address", None)).aggregate(last=Max("attempt_time"))
    if last["last"] is None:
        return None
    wait = last["last"] + timedelta(seconds=settings.ACCOUNT_SLOWDOWN_SECONDS) - timezone.now()
    return wait if wait > timedelta(0) else None


class ThrottleHandler(AxesDatabaseHandler):  # type: ignore[misc]  # django-axes is untyped
    """django-axes' database handler plus the account-wide slow-down."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        wait = account_wait(request, credentials)
        if wait is None:
            return False
        setattr(request, WAIT_ATTRIBUTE, wait)
        return True


def paused_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """429 with how long to wait: the short slow-down in seconds, or the cool-off in minutes."""
    wait: timedelta | None = getattr(request, WAIT_ATTRIBUTE, None)
    seconds = math.ceil(wait.total_seconds()) if wait is not None else None
    cooloff_minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    response = render(
        request, "accounts/locked_out.html", {"wait_seconds": seconds, "cooloff_minutes": cooloff_minutes}, status=429
    )
    response["Retry-After"] = str(seconds if seconds is not None else cooloff_minutes * 60)
    return response


def check_password(request: HttpRequest, user: User, password: str) -> bool:
    """Is this the user's password? Counted like a sign-in: wrong ones add up and pause the address.

    While paused, the answer is False without looking at the password, and the page answers 429.
    """
    found = authenticate(request, username=user.email, password=password)
    return found is not None and found.pk == user.pk
