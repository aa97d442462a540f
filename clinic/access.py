"""The one chokepoint for reading a patient's data.

Every view that shows or exports a patient's data finds the patient through
`visible_to(user)` (usually via `patient_or_404`). A patient sees only
themself, a clinician only the patients with an active grant, an admin nobody.
Anything else answers 404 (never 403, which would confirm the id exists) and
leaves an `access_denied` audit event.
"""

from typing import Any, NoReturn

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Role, User
from audit.models import Action
from audit.services import page_name, record
from clinic.models import AccessGrant


def visible_to(user: Any) -> QuerySet[User]:
    """The patients whose data `user` may read, as a chainable queryset."""
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    if not getattr(user, "is_authenticated", False):
        return patients.none()
    if user.role == Role.PATIENT:
        return patients.filter(pk=user.pk)
    if user.role == Role.CLINICIAN:
        granted = AccessGrant.objects.active().filter(clinician_id=user.pk).values("patient_id")
        return patients.filter(pk__in=granted)
    return patients.none()


def deny(request: HttpRequest, patient_id: int, what: str = "") -> NoReturn:
    """Record the refusal (the page and the id asked for, nothing more) and answer 404."""
    record(action=Action.ACCESS_DENIED, request=request, what=f"{what or page_name(request)} id={patient_id}")
    raise Http404


def patient_or_404(request: HttpRequest, patient_id: int, *, what: str = "", audit_read: bool = True) -> User:
    """The patient `patient_id` if the signed-in user may read them; else 404 and an audit event.

    A clinician's successful read is recorded as `patient_read` (the page name,
    never health content). A patient reading their own data is not an event.
    """
    user = request.user
    patient = visible_to(user).filter(pk=patient_id).first()
    if patient is None:
        deny(request, patient_id, what)
    if audit_read and getattr(user, "role", "") == Role.CLINICIAN:
        record(action=Action.PATIENT_READ, request=request, patient=patient, what=what)
    return patient


def clinician_patient_or_404(request: HttpRequest, patient_id: int, *, what: str = "") -> User:
    """For clinician-only actions (notes, relapse reviews): the same chokepoint, clinicians only."""
    if getattr(request.user, "role", "") != Role.CLINICIAN:
        deny(request, patient_id, what)
    return patient_or_404(request, patient_id, what=what, audit_read=False)
