"""Which channels this server can use: read from settings, the one place that decides it."""

from django.conf import settings

from reminders.models import Channel

# What EMAIL_DISABLED=1 makes Django use: every email is discarded.
DISCARDING_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


def email_available() -> bool:
    """False when email is switched off on this server: an email reminder would go nowhere."""
    return not getattr(settings, "EMAIL_DISABLED", False) and settings.EMAIL_BACKEND != DISCARDING_EMAIL_BACKEND


def push_available() -> bool:
    """Web Push needs the whole VAPID key pair and a contact: without them it is hidden everywhere."""
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_SUBJECT)


def available(channel: str) -> bool:
    return email_available() if channel == Channel.EMAIL else push_available()
