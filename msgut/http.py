"""Typed requests: what the middleware guarantees on every request, spelled out for mypy.

Views take one of these instead of a bare HttpRequest, so `request.htmx` and
`request.user` have their real types without `getattr(request, "htmx", False)`
or `assert isinstance(request.user, User)`.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request: django-htmx's middleware sets `htmx` on every one (falsy unless htmx sent it)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A signed-in person: what every URL not marked `login_not_required` receives
    (LoginRequiredMiddleware sends everyone else to sign in first)."""

    user: User


class PatientHttpRequest(AuthenticatedHttpRequest):
    """A signed-in patient. Only views behind `accounts.decorators.patient_required` take one."""


class ClinicianHttpRequest(AuthenticatedHttpRequest):
    """A signed-in clinician. Only views behind `accounts.decorators.clinician_required` take one."""
