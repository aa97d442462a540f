"""Each role sees its own navigation, and every link in it opens for that role."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import verified_login


def nav_links(html: str) -> list[str]:
    match = re.search(r'<nav class="main-nav"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', match.group(1)) if match else []


@pytest.fixture
def signed_in(patient, clinician, admin_user):
    clients = {}
    for role, user in (("patient", patient), ("clinician", clinician), ("admin", admin_user)):
        client = Client()
        if role == "patient":
            client.force_login(user)
        else:
            verified_login(client, user)
        clients[role] = client
    return clients


def test_anonymous_visitors_get_no_navigation(client, db):
    html = client.get(reverse("accounts:login")).content.decode()
    assert nav_links(html) == []
    assert "Sign out" not in html


def test_only_admins_see_the_administration_link(signed_in):
    admin_url = reverse("admin:index")
    for role, client in signed_in.items():
        links = nav_links(client.get(reverse("accounts:profile")).content.decode())
        assert reverse("accounts:profile") in links, role
        assert (admin_url in links) is (role == "admin"), role


def test_clinicians_and_admins_see_no_patient_logging_pages(signed_in, patient):
    patient_links = set(nav_links(signed_in["patient"].get(reverse("accounts:profile")).content.decode()))
    patient_links.discard(reverse("accounts:profile"))
    for role in ("clinician", "admin"):
        links = set(nav_links(signed_in[role].get(reverse("accounts:profile")).content.decode()))
        assert not links & patient_links, role


def test_every_navigation_link_opens_for_its_role(signed_in):
    for role, client in signed_in.items():
        for url in nav_links(client.get(reverse("accounts:profile")).content.decode()):
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)


def test_the_current_page_is_marked_for_screen_readers(signed_in):
    html = signed_in["patient"].get(reverse("accounts:profile")).content.decode()
    profile = re.escape(reverse("accounts:profile"))
    assert re.search(rf'href="{profile}" aria-current="page"', html)


def test_home_sends_each_role_to_its_start_page(signed_in, patient, clinician, admin_user):
    for role, user in (("patient", patient), ("clinician", clinician), ("admin", admin_user)):
        response = signed_in[role].get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"] == user.home_url()
