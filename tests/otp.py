"""What a user's authenticator app shows now for a TOTP device, computed from its key as django-otp does."""

import time

from django_otp.oath import TOTP


def totp_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
