"""Web Push against a local push service stand-in that records what it receives (no outside network).

The stand-in answers each path with that status (/201, /410, /500...). The test plays the browser:
it makes the subscription's keys, decrypts what the server sent with them and checks the VAPID
signature, as a real push service and browser would.
"""

import base64
import json
import os
import threading
import time as clock
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from msgut.celery import TransientDeliveryError
from reminders import push, services
from reminders.models import Channel, Kind, PushSubscription, ReminderLog
from tests.reminders.conftest import remind
from tests.reminders.test_services import patient_in
from tests.tracker.factories import FatigueFactory

pytestmark = pytest.mark.django_db

HEALTH_KEYS = {"fatigue", "fiber", "score", "sleep", "relapse", "symptoms", "stool"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def push_service():
    """A push service on 127.0.0.1: answers by path, records method, path, headers and body."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
            status = int(self.path.strip("/").split("/")[0])
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "120")
            if status in (301, 307):
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/201/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for serve_forever's next poll: every 0.5 s by default, half a second per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


class Browser:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64(raw)

    def subscribe(self, patient, endpoint: str) -> PushSubscription:
        return services.subscribe_push(
            patient=patient, endpoint=endpoint, p256dh=self.p256dh, auth=b64(self.auth), user_agent="Test"
        )

    def read(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def vapid_claims(authorization: str, server_public_key: str) -> dict:
    """Check the VAPID header (RFC 8292) as a push service does: the key is ours, the JWT is signed with it."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == server_public_key
    header, payload, signature = fields["t"].split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    public.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert json.loads(unb64(header))["alg"] == "ES256"
    return json.loads(unb64(payload))


NOW = datetime(2026, 3, 29, 18, 1, tzinfo=UTC)  # 20:01 in Paris


def claimed(patient, kind=Kind.DAILY) -> ReminderLog:
    day = date(2026, 3, 30) if kind == Kind.WEEKLY else date(2026, 3, 29)
    return ReminderLog.objects.create(
        patient=patient, kind=kind, channel=Channel.PUSH, local_date=day, due_at=datetime(2026, 3, 29, 18, tzinfo=UTC)
    )


@pytest.fixture
def patient_with_push(vapid):
    patient = patient_in("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 29, 8, tzinfo=UTC)):
        remind(patient, daily_push=True, weekly_push=True, at=time(20, 0))
    return patient


def test_the_push_service_gets_an_encrypted_neutral_message_signed_with_our_key(push_service, patient_with_push, vapid):
    base, received = push_service
    browser = Browser()
    device = browser.subscribe(patient_with_push, f"{base}/201/device-a")
    log = claimed(patient_with_push)

    assert services.deliver_push(log_id=log.pk, subscription_id=device.pk, now=NOW) == "delivered"

    (request,) = received
    headers = request["headers"]
    assert request["path"] == "/201/device-a"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(4 * 3600 - 60)  # until midnight in Paris
    assert headers["topic"] == "daily-reminder" and headers["urgency"] == "normal"
    claims = vapid_claims(headers["authorization"], vapid[0])
    assert claims["aud"] == base and claims["sub"] == "mailto:ops@msgut.example"
    assert clock.time() < claims["exp"] <= clock.time() + 24 * 3600
    payload = browser.read(request["body"])
    assert payload["title"] == "msgut"
    assert payload["body"] == "Time to log your day."
    assert payload["url"] == "/day/2026-03-29/"
    assert payload["tag"] == "daily-reminder"
    assert "/reminders/stop/" in payload["unsubscribe"] and payload["stop_label"] == "Stop these reminders"
    assert not HEALTH_KEYS & set(payload)
    log.refresh_from_db()
    device.refresh_from_db()
    assert log.status == ReminderLog.Status.SENT and device.last_success_at == NOW


def test_the_weekly_notification_only_says_it_is_ready(push_service, patient_with_push):
    base, received = push_service
    browser = Browser()
    device = browser.subscribe(patient_with_push, f"{base}/201/a")
    services.deliver_push(log_id=claimed(patient_with_push, Kind.WEEKLY).pk, subscription_id=device.pk, now=NOW)
    payload = browser.read(received[0]["body"])
    assert (payload["body"], payload["url"], payload["tag"]) == (
        "Your week in msgut is ready.",
        "/trends/",
        "weekly-summary",
    )
    assert received[0]["headers"]["ttl"] == str(48 * 3600)


def test_two_push_services_each_get_their_own_audience(push_service, patient_with_push, vapid):
    """pywebpush writes aud into the claims it is given: reusing one dict would send the first
    service's audience to the second, which refuses it."""
    base, received = push_service
    port = base.rsplit(":", 1)[1]
    log = claimed(patient_with_push)
    first = Browser().subscribe(patient_with_push, f"{base}/201/a")
    second = Browser().subscribe(patient_with_push, f"http://localhost:{port}/201/b")
    services.deliver_push(log_id=log.pk, subscription_id=first.pk, now=NOW)
    services.deliver_push(log_id=log.pk, subscription_id=second.pk, now=NOW)
    audiences = [vapid_claims(r["headers"]["authorization"], vapid[0])["aud"] for r in received]
    assert audiences == [base, f"http://localhost:{port}"]


@pytest.mark.parametrize("status", [404, 410])
def test_a_device_the_push_service_says_is_gone_is_forgotten_and_the_others_still_get_it(
    push_service, patient_with_push, status
):
    base, received = push_service
    log = claimed(patient_with_push)
    gone = Browser().subscribe(patient_with_push, f"{base}/{status}/old-phone")
    kept = Browser().subscribe(patient_with_push, f"{base}/201/laptop")

    assert services.deliver_push(log_id=log.pk, subscription_id=gone.pk, now=NOW) == "gone"
    assert services.deliver_push(log_id=log.pk, subscription_id=kept.pk, now=NOW) == "delivered"

    assert list(PushSubscription.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [r["path"] for r in received] == [f"/{status}/old-phone", "/201/laptop"]
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.SENT


def test_when_the_only_device_is_gone_the_reminder_is_marked_failed(push_service, patient_with_push):
    base, _ = push_service
    log = claimed(patient_with_push)
    gone = Browser().subscribe(patient_with_push, f"{base}/410/old-phone")
    services.deliver_push(log_id=log.pk, subscription_id=gone.pk, now=NOW)
    log.refresh_from_db()
    assert (log.status, log.reason) == (ReminderLog.Status.FAILED, "no device")


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (503, None), (429, 120)])
def test_a_busy_or_broken_push_service_is_retried(push_service, patient_with_push, status, retry_after):
    base, _ = push_service
    device = Browser().subscribe(patient_with_push, f"{base}/{status}/x")
    log = claimed(patient_with_push)
    with pytest.raises(TransientDeliveryError) as caught:
        services.deliver_push(log_id=log.pk, subscription_id=device.pk, now=NOW)
    assert caught.value.retry_after == retry_after
    assert PushSubscription.objects.filter(pk=device.pk).exists()
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.QUEUED


def test_a_push_service_out_of_reach_is_retried(patient_with_push):
    device = Browser().subscribe(patient_with_push, "http://127.0.0.1:9/nobody-listens")
    with pytest.raises(TransientDeliveryError):
        services.deliver_push(log_id=claimed(patient_with_push).pk, subscription_id=device.pk, now=NOW)


@pytest.mark.parametrize("status", [400, 403, 413])
def test_a_refusal_is_logged_and_dropped(push_service, patient_with_push, status):
    base, _ = push_service
    device = Browser().subscribe(patient_with_push, f"{base}/{status}/x")
    log = claimed(patient_with_push)
    assert services.deliver_push(log_id=log.pk, subscription_id=device.pk, now=NOW) == "failed"
    log.refresh_from_db()
    assert (log.status, log.reason) == (ReminderLog.Status.FAILED, f"push {status}")
    assert PushSubscription.objects.filter(pk=device.pk).exists()  # a VAPID mismatch is ours to fix, not the device's


def test_a_redirect_is_not_followed(push_service, patient_with_push):
    base, received = push_service
    device = Browser().subscribe(patient_with_push, f"{base}/307/x")
    assert services.deliver_push(log_id=claimed(patient_with_push).pk, subscription_id=device.pk, now=NOW) == "failed"
    assert [r["path"] for r in received] == ["/307/x"]  # the Location was never visited


def test_nothing_is_posted_to_a_host_that_is_not_a_push_service(push_service, patient_with_push, settings):
    base, received = push_service
    device = Browser().subscribe(patient_with_push, f"{base}/201/x")
    settings.PUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    assert services.deliver_push(log_id=claimed(patient_with_push).pk, subscription_id=device.pk, now=NOW) == "failed"
    assert received == []


def test_a_device_that_moved_to_another_account_never_gets_this_patients_reminder(push_service, patient_with_push):
    base, received = push_service
    device = Browser().subscribe(patient_with_push, f"{base}/201/shared-tablet")
    log = claimed(patient_with_push)
    other = patient_in("Europe/Paris")
    Browser().subscribe(other, f"{base}/201/shared-tablet")  # someone else signed in and allowed it
    assert services.deliver_push(log_id=log.pk, subscription_id=device.pk, now=NOW) == "no device"
    assert received == []


def test_the_day_logged_meanwhile_stops_the_notification(push_service, patient_with_push):
    base, received = push_service
    device = Browser().subscribe(patient_with_push, f"{base}/201/x")
    log = claimed(patient_with_push)
    FatigueFactory(patient=patient_with_push, date=date(2026, 3, 29), score=5)
    assert services.deliver_push(log_id=log.pk, subscription_id=device.pk, now=NOW) == "skipped"
    assert received == []


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", True),
        ("https://web.push.apple.com/abc", True),
        ("https://wns2-par02p.notify.windows.com/w/?token=abc", True),
        ("http://fcm.googleapis.com/fcm/send/abc", False),  # not https
        ("https://fcm.googleapis.com.evil.example/abc", False),
        ("https://evilpush.apple.com/abc", False),  # ".push.apple.com" is a suffix with its dot
        ("https://user:pw@fcm.googleapis.com/abc", False),
        ("https://127.0.0.1:6379/", False),
        ("https://localhost/", False),
        ("https://169.254.169.254/latest/meta-data/", False),
        ("https://fcm.googleapis.com:notaport/", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_only_known_push_services_may_be_posted_to(settings, endpoint, allowed):
    settings.PUSH_ENDPOINT_HOSTS = [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        ".push.apple.com",
        ".notify.windows.com",
    ]
    assert push.endpoint_allowed(endpoint) is allowed


def test_generated_vapid_keys_are_a_p256_pair_push_services_accept():
    public, private = push.new_vapid_keys()
    assert len(public) == 87 and push.is_public_key(push.b64url_decode(public))
    secret = int.from_bytes(push.b64url_decode(private), "big")
    derived = ec.derive_private_key(secret, ec.SECP256R1()).public_key()
    assert (
        b64(derived.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)) == public
    )
