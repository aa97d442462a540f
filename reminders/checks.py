"""Configuration checks (`manage.py check`): Web Push half set up would silently send nothing."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from reminders import push

VAPID_SETTINGS = ("VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT")
PRIVATE_KEY_BYTES = 32


@register()
def vapid_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    present = [name for name in VAPID_SETTINGS if getattr(settings, name)]
    if not present:
        return []  # push not configured: email only
    problems: list[CheckMessage] = []
    if len(present) < len(VAPID_SETTINGS):
        missing = ", ".join(name for name in VAPID_SETTINGS if name not in present)
        problems.append(
            Warning(
                f"Web Push reminders are off: {missing} not set.",
                hint="Set all three, or none. `python manage.py generate_vapid_keys` makes a key pair.",
                id="reminders.W001",
            )
        )
    try:
        public_ok = not settings.VAPID_PUBLIC_KEY or push.is_public_key(push.b64url_decode(settings.VAPID_PUBLIC_KEY))
        private_ok = not settings.VAPID_PRIVATE_KEY or len(push.b64url_decode(settings.VAPID_PRIVATE_KEY)) == (
            PRIVATE_KEY_BYTES
        )
    except ValueError:
        public_ok = private_ok = False
    if not (public_ok and private_ok):
        problems.append(
            Error(
                "VAPID_PUBLIC_KEY or VAPID_PRIVATE_KEY is not a base64url P-256 key.",
                hint="Use the lines `python manage.py generate_vapid_keys` prints.",
                id="reminders.E001",
            )
        )
    subject = settings.VAPID_SUBJECT
    if subject and not subject.startswith(("mailto:", "https://")):
        problems.append(
            Error(
                "VAPID_SUBJECT must be a mailto: or https: address push services can reach you at.",
                id="reminders.E002",
            )
        )
    return problems
