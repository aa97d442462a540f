"""The Django admin, closed to staff who have not passed two-factor sign-in."""

from typing import Any

from django.contrib.auth.views import redirect_to_login
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

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("accounts:login"))
