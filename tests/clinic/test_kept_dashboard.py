"""The clinician dashboard is kept while what it shows is unchanged (msgut.kept_pages): a clinician
must never see a kept list that is no longer true, nor forms that would be refused."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from clinic.models import AccessGrant, InviteCode
from clinic.services import refresh_flags, regenerate_invite_code, revoke_access
from msgut.kept_pages import CSRF_MARK
from tests.clinic.conftest import add_relapse, clinician_client_for, log_days, make_grant
from tests.factories import PatientFactory
from tests.kept import CSRF, same_page
from tracker.models import Relapse

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(clinician, wording, today):
    """Three patients sharing with `clinician`, one with a relapse flag, all with logged days."""
    patients = [PatientFactory(display_name=name) for name in ("Ada Well", "Ben Relapsing", "Cy Quiet")]
    for patient in patients:
        make_grant(patient, clinician)
        log_days(patient, today, 10)
    add_relapse(patients[1], today - timedelta(days=5))
    return patients


def test_a_kept_dashboard_is_the_drawn_one_with_a_fresh_token(clinician, shared):
    client = clinician_client_for(clinician)
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as drawn_reads:
        drawn = client.get(reverse("clinic:dashboard")).content.decode()
    kept_pages = len(caches["pages"]._cache)
    with CaptureQueriesContext(connection) as kept_reads:
        kept = client.get(reverse("clinic:dashboard")).content.decode()
    assert "Ben Relapsing" in kept and "3 patients share with you" in kept
    assert same_page(kept) == same_page(drawn)
    assert kept_pages >= 1 and len(caches["pages"]._cache) == kept_pages  # the second was the kept one
    assert len(kept_reads) <= len(drawn_reads)
    assert CSRF_MARK not in kept  # the mark was filled in


def test_a_kept_dashboards_forms_pass_the_csrf_check(clinician, shared):
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:dashboard"))
    client.handler.enforce_csrf_checks = True
    page = client.get(reverse("clinic:dashboard")).content.decode()
    answer = client.post(reverse("clinic:regenerate-code"), {"csrfmiddlewaretoken": CSRF.search(page).group(1)})
    assert answer.status_code == 302


@pytest.mark.parametrize(
    "change", ["new flag", "flag gone", "renamed", "new patient", "revoked", "new code", "language", "next day"]
)
def test_every_change_shows_on_the_next_load(clinician, shared, today, change, time_machine):
    """Each change to what the list shows (flags, names, who shares, the code, the language, the day)."""
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:dashboard"))
    client.get(reverse("clinic:dashboard"))  # kept
    ada, ben, _cy = shared
    if change == "new flag":
        add_relapse(ada, today - timedelta(days=1))
        refresh_flags(patient_ids=[ada.pk], today=today)
        page = client.get(reverse("clinic:dashboard")).content.decode()
        assert page.count("badge badge-danger") == 2  # Ben's relapse, and now Ada's
        assert_as_drawn_anew(client, page)
        return
    if change == "flag gone":
        Relapse.objects.filter(patient=ben).delete()
        refresh_flags(patient_ids=[ben.pk], today=today)
        page = client.get(reverse("clinic:dashboard")).content.decode()
        assert "Ben Relapsing" in page and "badge badge-danger" not in page
        assert_as_drawn_anew(client, page)
        return
    if change == "renamed":
        User.objects.filter(pk=ada.pk).update(display_name="Ada Lovelace")
        expect, gone = "Ada Lovelace", "Ada Well"
    elif change == "new patient":
        make_grant(PatientFactory(display_name="Dee New"), clinician)
        expect, gone = "4 patients share with you", "3 patients share with you"
    elif change == "revoked":
        revoke_access(grant=AccessGrant.objects.get(patient=ada, clinician=clinician, revoked_at__isnull=True))
        expect, gone = "2 patients share with you", "Ada Well"
    elif change == "new code":
        before = InviteCode.objects.get(clinician=clinician).display
        regenerate_invite_code(clinician=clinician)
        expect, gone = InviteCode.objects.get(clinician=clinician).display, before
    elif change == "language":
        client.post(reverse("accounts:language"), {"language": "fr", "next": "/clinic/"})
        expect, gone = "3 patients partagent leurs données avec vous", "3 patients share with you"
    else:  # the next day: "last entry" counts from it
        time_machine.move_to("2026-03-18 10:00:00+01:00", tick=False)
        client = clinician_client_for(clinician)
        expect, gone = "2 days ago", "(today)"
    page = client.get(reverse("clinic:dashboard")).content.decode()
    assert expect in page
    assert gone not in page
    assert_as_drawn_anew(client, page)


def assert_as_drawn_anew(client, page: str) -> None:
    """The page served (its rest kept apart from the list, maybe) is the page drawn from nothing kept."""
    caches["pages"].clear()
    assert same_page(page) == same_page(client.get(reverse("clinic:dashboard")).content.decode())


def test_the_page_around_the_list_is_kept_while_the_rows_change_and_a_message_is_shown_once(clinician, shared, today):
    client = clinician_client_for(clinician)
    client.get(reverse("clinic:dashboard"))
    add_relapse(shared[0], today - timedelta(days=1))
    refresh_flags(patient_ids=[shared[0].pk], today=today)
    with mock.patch("clinic.views.render_to_string", wraps=render_to_string) as render:
        page = client.get(reverse("clinic:dashboard")).content.decode()
    assert [c.args[0] for c in render.call_args_list] == ["clinic/dashboard.html#patient-list"]
    assert page.count("badge badge-danger") == 2
    assert_as_drawn_anew(client, page)

    client.post(reverse("clinic:regenerate-code"))
    shown = client.get(reverse("clinic:dashboard")).content.decode()
    again = client.get(reverse("clinic:dashboard")).content.decode()
    assert 'class="message message-success"' in shown and "message-success" not in again
