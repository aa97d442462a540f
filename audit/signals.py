"""Sign-in events come from Django's auth signals and django-axes."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from audit.models import Action
from audit.services import page_name, record


@receiver(user_logged_in, dispatch_uid="audit_login")
def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(action=Action.LOGIN, actor=user, request=request, what="sign-in")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(action=Action.LOGOUT, actor=user, request=request, what="sign-out")


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password; keep only the typed email. `what` is the page: the
    # sign-in page, or another form that checked a password (accounts.throttling.check_password).
    typed = str(credentials.get("username") or credentials.get("email") or "")
    record(action=Action.LOGIN_FAILED, request=request, what=_page(request), actor_email=typed)


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def on_locked_out(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    record(action=Action.LOCKED_OUT, request=request, what=_page(request), actor_email=username or "")


def _page(request: HttpRequest | None) -> str:
    return page_name(request) if request is not None else "sign-in"
