"""At sign-in, the session learns when it started, on which browser, and whether a second factor is due."""

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import reauth, twofactor
from accounts.models import User
from accounts.sessions import SIGNED_IN_AT, USER_AGENT


@receiver(user_logged_in, dispatch_uid="accounts_session_at_sign_in")
def on_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None or not isinstance(user, User):
        return
    session[SIGNED_IN_AT] = int(time.time())
    session[USER_AGENT] = request.META.get("HTTP_USER_AGENT", "")[:300]
    session[twofactor.TWO_FACTOR_SESSION_KEY] = twofactor.has_authenticator(user)
    reauth.mark_recent(request)
