"""Password throttling behind a proxy: the client's address, not the proxy's, and never a lock on someone else."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEvent
from msgut.client import client_ip
from tests.factories import PASSWORD

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def sign_in_via_proxy(client: Client, email: str, password: str, address: str, forged: str = ""):
    """A sign-in as our TLS proxy passes it on: the proxy appends the address it saw."""
    forwarded = f"{forged}, {address}" if forged else address
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.fixture
def behind_one_proxy():
    with override_settings(TRUSTED_PROXY_COUNT=1):
        yield


def test_wrong_passwords_from_another_address_do_not_lock_the_owner_out(behind_one_proxy, patient):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in_via_proxy(attacker, patient.email, "a wrong password", ATTACKER)
    assert sign_in_via_proxy(attacker, patient.email, PASSWORD, ATTACKER).status_code == 429

    owner = Client()
    response = sign_in_via_proxy(owner, patient.email, PASSWORD, OWNER)
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(patient.pk)


def test_a_forged_forwarded_header_does_not_dodge_the_pause(behind_one_proxy, patient):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new address on each try; our proxy appends the real one.
        sign_in_via_proxy(client, patient.email, "a wrong password", ATTACKER, forged=f"192.0.2.{n}")
    assert sign_in_via_proxy(client, patient.email, PASSWORD, ATTACKER, forged="192.0.2.99").status_code == 429


def test_audit_events_record_the_client_address_not_the_proxys(behind_one_proxy, patient):
    sign_in_via_proxy(Client(), patient.email, "a wrong password", OWNER, forged="192.0.2.1")
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.ip == OWNER


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", PROXY),  # no proxy configured: the header is the client's own words
        (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (2, "198.51.100.7", PROXY),  # fewer entries than proxies: it did not come through them
        (1, "not an address", PROXY),
        (1, "", PROXY),
    ],
)
def test_the_client_address_is_the_one_our_outermost_proxy_saw(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


def test_an_account_under_attack_from_many_addresses_is_slowed_not_locked(behind_one_proxy, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for n in range(settings.ACCOUNT_SLOWDOWN_AFTER):
            sign_in_via_proxy(Client(), patient.email, "a wrong password", f"203.0.113.{n + 1}")
        # An address that just failed must now wait a few seconds, told how long...
        paused = sign_in_via_proxy(Client(), patient.email, "another wrong one", "203.0.113.1")
        assert paused.status_code == 429
        assert int(paused["Retry-After"]) <= settings.ACCOUNT_SLOWDOWN_SECONDS
        assert b"second" in paused.content
        # ...while the owner, from an address of their own, signs in at once.
        owner = Client()
        assert sign_in_via_proxy(owner, patient.email, PASSWORD, OWNER).status_code == 302
        # And the slowed address gets its next try after the short wait, not after a cool-off.
        traveller.shift(timedelta(seconds=settings.ACCOUNT_SLOWDOWN_SECONDS + 1))
        assert sign_in_via_proxy(Client(), patient.email, PASSWORD, "203.0.113.1").status_code == 302


def test_the_slow_down_is_bounded_and_configurable():
    assert 0 < settings.ACCOUNT_SLOWDOWN_SECONDS <= 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_CLIENT_IP_CALLABLE == "msgut.client.client_ip"
