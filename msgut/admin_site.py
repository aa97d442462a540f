"""The Django admin, closed to staff who have not passed two-factor sign-in."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class MsgutAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp ships no type hints
    """OTPAdminSite refuses any user whose session is not OTP-verified.

    Its own login form is not used: everyone signs in through accounts:login
    (throttled, audited, then the second factor).
    """

    site_header = _("msgut administration")
    site_title = _("msgut administration")
    index_title = _("Guidance rules, food catalog and users")

    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite calls itself "otpadmin"; keep the usual admin: URL namespace.
        super().__init__(name)

    def admin_view(self, view: Callable[..., HttpResponse], cacheable: bool = False) -> Callable[..., HttpResponse]:
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def refuse_signed_in_outsiders(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Staff who still owe their second factor never get here (OTPRequiredMiddleware sends them
            # to it), so a signed-in person without permission is a patient or clinician: a plain 403.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            response: HttpResponse = inner(request, *args, **kwargs)
            return response

        return refuse_signed_in_outsiders

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not allowed here (a patient or clinician): sending them to sign in again
            # would bounce back here for ever. Say no plainly instead.
            raise PermissionDenied
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("accounts:login"))
