"""Web Push: send one message to one browser and say what the push service's answer means.

pywebpush does the payload encryption (RFC 8291, aes128gcm) and the VAPID signature (RFC 8292).
Two of its traps: its default timeout is 10000 *seconds* (one is always passed), and it writes
"aud" and "exp" into the claims dict it is given (a fresh dict every call, or the next push
service would get the previous one's audience and refuse it).

The server posts to a URL a browser gave it, so only push services on PUSH_ENDPOINT_HOSTS are
ever contacted (SSRF: otherwise anyone signed in could make the worker post to an internal
address), over https, and redirects are not followed.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

TIMEOUT_SECONDS = 10
P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04, then x and y
AUTH_BYTES = 16
UNCOMPRESSED_POINT = 0x04
HTTP_GONE = (404, 410)
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR = 500


class Outcome(enum.Enum):
    DELIVERED = "delivered"  # 201/202: the push service took it
    GONE = "gone"  # 404/410: the browser unsubscribed or expired; forget the subscription
    RETRY = "retry"  # 429, 5xx, timeouts, refused connections: try again later
    FAILED = "failed"  # anything else (400, 401/403 VAPID mismatch, 413 too big, a redirect): drop


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    status: int | None = None
    retry_after: int | None = None


def b64url_decode(value: str) -> bytes:
    """Base64url without padding, as browsers give keys; raises ValueError when it is not."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in (item.lower() for item in allowed):
        if entry.startswith("."):
            if host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def endpoint_allowed(endpoint: str) -> bool:
    """Is this a push service we may post to? https (http only where tests allow it), a host on
    PUSH_ENDPOINT_HOSTS (".example.com" allows its subdomains), no user name or password."""
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    schemes = {"https", "http"} if settings.PUSH_ALLOW_HTTP else {"https"}
    if parts.scheme not in schemes or not host or parts.username or parts.password:
        return False
    return _host_allowed(host, list(settings.PUSH_ENDPOINT_HOSTS))


def is_public_key(raw: bytes) -> bool:
    """A browser's p256dh: an uncompressed point that is really on the P-256 curve (or encryption fails later)."""
    if len(raw) != P256DH_BYTES or raw[0] != UNCOMPRESSED_POINT:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


class _NoRedirects(requests.Session):
    """A push service answers; it never sends us somewhere else (a redirect would be a way around the allow-list)."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def send_push(
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    payload: dict[str, Any],
    ttl: int,
    topic: str,
) -> PushResult:
    """Encrypt `payload` for one browser and post it to its push service."""
    # Imported here: pywebpush pulls in aiohttp, which costs the web process half a second at start-up.
    from pywebpush import WebPushException, webpush  # noqa: PLC0415

    if not endpoint_allowed(endpoint):
        return PushResult(Outcome.FAILED)
    with _NoRedirects() as session:
        try:
            response = webpush(
                {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},  # fresh each call: pywebpush adds aud/exp to it
                ttl=ttl,
                timeout=TIMEOUT_SECONDS,
                # Topic: a newer reminder replaces one still waiting for the phone (RFC 8030 5.4).
                headers={"Urgency": "normal", "Topic": topic},
                requests_session=session,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in HTTP_GONE:
                return PushResult(Outcome.GONE, status)
            if status is not None and (status == HTTP_TOO_MANY_REQUESTS or status >= HTTP_SERVER_ERROR):
                after = exc.response.headers.get("Retry-After") if exc.response is not None else None
                return PushResult(Outcome.RETRY, status, int(after) if after and after.isdigit() else None)
            return PushResult(Outcome.FAILED, status)
        except requests.RequestException:  # timeouts, refused or reset connections
            return PushResult(Outcome.RETRY)
    return PushResult(Outcome.DELIVERED, getattr(response, "status_code", None))


def new_vapid_keys() -> tuple[str, str]:
    """(public, private): the application server key browsers subscribe with (base64url of the
    65-byte uncompressed point) and its private half (base64url of the raw 32-byte secret)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return b64url(public), b64url(private)
