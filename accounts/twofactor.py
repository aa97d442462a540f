"""Two-factor sign-in (TOTP with django-otp) for clinicians and admins.

A clinician or admin signs in with a password, then proves they hold the
authenticator app (a 6-digit code) or uses one of ten single-use backup codes.
Until then `accounts.middleware.OTPRequiredMiddleware` lets them reach only
the enrolment and verification pages.
"""

import base64
from binascii import unhexlify

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from msgut.http import AuthenticatedHttpRequest

BACKUP_CODE_COUNT = 10
TOTP_DIGITS = 6  # what authenticator apps show; anything else typed is a backup code
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"


def needs_second_factor(user: User) -> bool:
    """Clinicians read health data and admins change rules: both need a second factor."""
    return user.is_authenticated and (user.is_clinician or user.is_admin_role or user.is_staff)


def is_verified(user: User) -> bool:
    """True once this session has passed a second factor (set by django_otp's OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def has_authenticator(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())  # django-otp is untyped


def pending_authenticator(user: User) -> TOTPDevice:
    """The not-yet-confirmed device the enrolment page shows; one per user."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_humans(device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for typing into an app by hand."""
    raw = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI for an <img> (CSP allows data: images, no inline styles)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def confirm_authenticator(request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    """Confirm a pending device with its first code and mark this session verified."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(normalise_code(code)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # A new authenticator replaces any older one.
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    django_otp.login(request, device)
    return True


def verify_code(request: AuthenticatedHttpRequest, code: str) -> bool:
    """Check a 6-digit code or a backup code; on success the session is verified.

    TOTP codes are refused when already used (django-otp keeps the last time
    step); backup codes are deleted when used.
    """
    user = request.user
    token = normalise_code(code)
    if not token:
        return False
    model: type[TOTPDevice] | type[StaticDevice] = (
        TOTPDevice if token.isdigit() and len(token) == TOTP_DIGITS else StaticDevice
    )
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(token):
                django_otp.login(request, device)
                return True
    return False


@transaction.atomic
def new_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with ten new ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def backup_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())
