"""The signed one-click unsubscribe link: it needs no sign-in and can only turn a reminder off.

The token names who and what (patient id, kind, channel) and is signed with SECRET_KEY under its
own salt, so a token signed for anything else (a password reset, a session) never validates here,
and a changed character is refused. It has no timestamp and no expiry: the link in an old email
must still work, and the same reminder always carries the same link. Tokens signed with a key in
SECRET_KEY_FALLBACKS still validate after a key rotation.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from reminders.models import Channel, Kind

SALT = "msgut.reminders.unsubscribe"


def make_token(*, patient_id: int, kind: str, channel: str) -> str:
    return signing.Signer(salt=SALT).sign_object({"u": patient_id, "k": kind, "c": channel}, compress=True)


def read_token(token: str) -> tuple[int, str, str] | None:
    """(patient id, kind, channel), or None for anything make_token did not make."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or data.get("k") not in Kind.values or data.get("c") not in Channel.values:
        return None
    patient_id = data.get("u")
    if not isinstance(patient_id, int) or isinstance(patient_id, bool):
        return None
    return patient_id, data["k"], data["c"]


def stop_path(*, patient_id: int, kind: str, channel: str) -> str:
    return reverse("reminders:stop", args=[make_token(patient_id=patient_id, kind=kind, channel=channel)])


def absolute(path: str) -> str:
    """An address outside the site can open (emails, notifications): SITE_URL + path."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def stop_url(*, patient_id: int, kind: str, channel: str) -> str:
    return absolute(stop_path(patient_id=patient_id, kind=kind, channel=channel))
