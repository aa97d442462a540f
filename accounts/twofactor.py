"""Two-factor sign-in (TOTP with django-otp): required for clinicians and admins, offered to patients.

After the password, a person with two-factor sign-in proves they hold the authenticator app (a
6-digit code) or uses one of ten single-use backup codes. Until then
`accounts.middleware.OTPRequiredMiddleware` lets them reach only the enrolment and verification
pages. Keys are encrypted at rest and backup codes stored as salted hashes (accounts.models).
"""

import base64
import secrets

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest

from accounts.models import Authenticator, BackupCode, BackupCodes, User
from msgut.http import AuthenticatedHttpRequest

BACKUP_CODE_COUNT = 10
TOTP_DIGITS = 6  # what authenticator apps show; anything else typed is a backup code
BACKUP_DEVICE_NAME = "backup codes"
# Set in the session at sign-in when the person has an authenticator (accounts.signals): a patient
# who turned two-factor sign-in on must pass it too, without a query on every request.
TWO_FACTOR_SESSION_KEY = "_two_factor_on"


def required_for(user: User) -> bool:
    """Clinicians read health data and admins change rules and accounts: both must use a second factor."""
    return user.is_authenticated and (user.is_clinician or user.is_admin_role or user.is_staff)


def must_verify(request: HttpRequest, user: User) -> bool:
    """Must this session still pass the second factor before anything else?"""
    if is_verified(user):
        return False
    return required_for(user) or bool(request.session.get(TWO_FACTOR_SESSION_KEY))


def is_verified(user: User) -> bool:
    """True once this session has passed a second factor (set by django_otp's OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def has_authenticator(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, confirmed=True).exists())  # django-otp managers are untyped


def pending_authenticator(user: User) -> Authenticator:
    """The not-yet-confirmed device the enrolment page shows; one per user."""
    device = Authenticator.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device if device is not None else Authenticator.new(user=user)


def secret_for_humans(device: Authenticator) -> str:
    """The key in base32, grouped by four, for typing into an app by hand."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
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
def confirm_authenticator(request: HttpRequest, device: Authenticator, code: str) -> bool:
    """Confirm a pending device with its first code and mark this session verified."""
    device = Authenticator.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(normalise_code(code)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # A new authenticator replaces any older one.
    Authenticator.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    django_otp.login(request, device)
    request.session[TWO_FACTOR_SESSION_KEY] = True
    return True


def check_code(user: User, code: str) -> Authenticator | BackupCodes | None:
    """The device that accepts this 6-digit or backup code (using it up), or None.

    TOTP codes are refused when already used (the device keeps the last time step); a backup
    code is deleted when used. Wrong codes slow the next tries (django-otp's throttling).
    """
    token = normalise_code(code)
    if not token:
        return None
    model: type[Authenticator] | type[BackupCodes] = (
        Authenticator if token.isdigit() and len(token) == TOTP_DIGITS else BackupCodes
    )
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(token):
                found: Authenticator | BackupCodes = device
                return found
    return None


def verify_code(request: AuthenticatedHttpRequest, code: str) -> bool:
    """Check a code at sign-in; on success the session is verified."""
    device = check_code(request.user, code)
    if device is None:
        return False
    django_otp.login(request, device)
    return True


def new_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with ten new ones and return them (shown once, stored hashed).

    Each has 40 random bits; the stored form is a salted password hash, as for passwords.
    """
    codes = [base64.b32encode(secrets.token_bytes(5)).decode().lower() for _ in range(BACKUP_CODE_COUNT)]
    hashed = [make_password(code) for code in codes]
    with transaction.atomic():
        device, _ = BackupCodes.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
        device.codes.all().delete()
        BackupCode.objects.bulk_create([BackupCode(device=device, hashed=value) for value in hashed])
    return codes


def backup_codes_left(user: User) -> int:
    return BackupCode.objects.filter(device__user=user, device__confirmed=True).count()


def turn_off(user: User) -> None:
    """Remove the authenticator and the backup codes (a patient's choice, or an admin's reset)."""
    with transaction.atomic():
        Authenticator.objects.filter(user=user).delete()
        BackupCodes.objects.filter(user=user).delete()
