"""Recording audit events: the one function every app calls."""

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import ResolverMatch

from audit.models import Action, AuditEvent
from msgut.client import client_ip

if TYPE_CHECKING:
    from accounts.models import User

WHAT_MAX = AuditEvent._meta.get_field("what").max_length or 200


def page_name(request: HttpRequest) -> str:
    """The URL name of the page, never its path or query (they could carry data)."""
    match: ResolverMatch | None = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return match.view_name
    return request.path


def record(
    *,
    action: Action | str,
    actor: "User | None" = None,
    patient: "User | None" = None,
    request: HttpRequest | None = None,
    what: str = "",
    actor_email: str = "",
) -> AuditEvent:
    """Write one audit event. Pass names and ids only, never health content.

    `actor` defaults to the signed-in user of `request`; `what` defaults to the
    URL name of the request's page.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if not what and request is not None:
        what = page_name(request)
    return AuditEvent.objects.create(
        action=str(action),
        actor=actor,
        actor_email=(actor.email if actor is not None else actor_email)[:254],
        patient=patient,
        patient_ref=patient.pk if patient is not None else None,
        what=what[:WHAT_MAX],
        ip=client_ip(request) if request is not None else None,
    )
