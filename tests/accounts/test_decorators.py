"""One role guard for the whole project: a wrong role for a page answers 403 and is recorded."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from accounts.decorators import clinician_required, patient_required
from accounts.models import Role
from audit.models import Action, AuditEvent
from msgut.http import ClinicianHttpRequest, PatientHttpRequest
from tests.conftest import verified_login
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory
from tests.test_url_allowlist import sample_url

pytestmark = pytest.mark.django_db


def guarded_urls(patterns=None, namespace: str = ""):
    """(URL name, the role its view requires) for every URL behind one of the guards."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from guarded_urls(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            role = getattr(entry.callback, "required_role", None)
            if role is not None:
                yield f"{namespace}:{entry.name}" if namespace else entry.name, role


def client_for(role: Role) -> Client:
    client = Client()
    if role == Role.PATIENT:
        client.force_login(PatientFactory())
    else:
        verified_login(client, ClinicianFactory() if role == Role.CLINICIAN else AdminFactory())
    return client


def answer(client: Client, url: str) -> int:
    """GET, or POST for the pages that only take a POST (the method check comes before the role)."""
    status = client.get(url).status_code
    return client.post(url).status_code if status == 405 else status


def test_the_guards_cover_the_pages_of_every_app():
    found = dict(guarded_urls())
    patient_pages = {name for name, role in found.items() if role == Role.PATIENT}
    clinician_pages = {name for name, role in found.items() if role == Role.CLINICIAN}
    assert {"tracker:day", "tracker:sleep", "tracker:mfis", "trends:dashboard", "clinic:sharing"} <= patient_pages
    assert {"clinic:dashboard", "clinic:invite"} <= clinician_pages
    assert len(found) > 35


@pytest.mark.parametrize("role", [Role.PATIENT, Role.CLINICIAN, Role.ADMIN])
def test_every_page_of_another_role_answers_not_allowed_and_is_recorded(role):
    client = client_for(role)
    checked = 0
    for name, required in guarded_urls():
        if required == role:
            continue
        url = sample_url(name)
        before = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()
        assert answer(client, url) == 403, (role, name)
        assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == before + 1, name
        checked += 1
    assert checked >= 3  # the clinician pages, for a patient


def test_the_refusal_says_why_and_leads_back_to_the_start_page(clinician_client):
    page = clinician_client.get(reverse("tracker:month"))
    assert page.status_code == 403
    html = page.content.decode()
    assert "Not allowed" in html
    assert f'href="{reverse("home")}"' in html and "Go to your start page" in html


@pytest.mark.parametrize("role", [Role.PATIENT, Role.CLINICIAN])
def test_the_right_role_passes_the_guard(role):
    client = client_for(role)
    page = reverse("tracker:today") if role == Role.PATIENT else reverse("clinic:dashboard")
    assert client.get(page).status_code == 200


def _own_view(request: PatientHttpRequest | ClinicianHttpRequest):
    return HttpResponse(request.user.email)


@pytest.mark.parametrize("guard", [patient_required, clinician_required])
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_even_without_the_middleware(rf, guard):
    request = rf.get("/somewhere/?x=1")
    request.user = AnonymousUser()
    response = guard(_own_view)(request)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/somewhere/%3Fx%3D1"
