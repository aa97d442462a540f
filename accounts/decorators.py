"""The one role guard of the project: `patient_required` and `clinician_required`.

A signed-in person whose role has no business on a page gets 403, the "Not
allowed" page, which also records the refusal in the audit trail
(msgut.views.permission_denied). Not 404: that answer is for *objects*. For
another patient's id, 403 would confirm that the id exists, so
`clinic.access` answers 404 whatever the role. A role page has no id to hide:
its URL is the same for everyone and the answer is the same for every account
of that role, so 403 leaks nothing, and it tells the truth. A clinician who
follows a patient's link to the daily log reads "not allowed with your account"
(with a way back to their own start page), not "page not found", which reads
as a broken link; and the attempt is on record, which a 404 never was.

Someone not signed in is sent to sign in, the same answer LoginRequiredMiddleware
gives on every URL that is not public (the deny-by-default URL walk in the tests
expects exactly that), so the guard never tells an anonymous visitor anything either.
"""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.models import Role, User
from msgut.http import ClinicianHttpRequest, PatientHttpRequest

P = ParamSpec("P")
Req = TypeVar("Req", PatientHttpRequest, ClinicianHttpRequest)
View = Callable[Concatenate[Req, P], HttpResponse]
GuardedView = Callable[Concatenate[HttpRequest, P], HttpResponse]


def _role_required(role: Role, view: View[Req, P]) -> GuardedView[P]:
    @wraps(view)
    def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not isinstance(user, User) or user.role != role:
            raise PermissionDenied
        return view(cast(Req, request), *args, **kwargs)

    guarded.required_role = role  # type: ignore[attr-defined]  # lets a test find every guarded page
    return guarded


def patient_required(view: View[PatientHttpRequest, P]) -> GuardedView[P]:
    """Pages of the patient's own record: the daily log, trends, sharing, my data."""
    return _role_required(Role.PATIENT, view)


def clinician_required(view: View[ClinicianHttpRequest, P]) -> GuardedView[P]:
    """Pages of the clinician's own work: the dashboard, invitations, the invite code."""
    return _role_required(Role.CLINICIAN, view)
