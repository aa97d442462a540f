"""Demo two-factor devices: a fixed, published key so a human can try the clinician pages.

Add it to any authenticator app (Aegis, FreeOTP, Google Authenticator...) by
scanning the otpauth URL that `load_demo` prints, or type the base32 key
NVZW O5LU FVSG K3LP FV2G 65DQ FVVW K6JB. Never use it outside the demo.
"""

from django_otp.oath import TOTP

from accounts.crypto import encrypt
from accounts.models import Authenticator, User

# The 20-byte key, hex-encoded: b"msgut-demo-totp-key!".
DEMO_TOTP_KEY = b"msgut-demo-totp-key!".hex()


def ensure_demo_device(user: User) -> Authenticator:
    """Give a demo clinician or admin a confirmed authenticator with the demo key. Idempotent."""
    key = bytes.fromhex(DEMO_TOTP_KEY)
    device: Authenticator | None = Authenticator.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = Authenticator.new(user=user, confirmed=True, key=key)
    elif device.bin_key != key:
        device.encrypted_key = encrypt(key)
        device.last_t = -1
        device.save(update_fields=["encrypted_key", "last_t"])
    return device


def current_demo_code(at: float | None = None) -> str:
    """The 6-digit code an authenticator with the demo key shows now (or at Unix time `at`)."""
    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY), step=30, t0=0, digits=6)
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"
