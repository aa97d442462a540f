"""Account writes: creating a user with their profile, the profile made on first use, ending
sessions and the set-password link of an account an admin made."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Profile, Role, User, UserSession
from accounts.selectors import session_id


@transaction.atomic
def register_user(
    *,
    email: str,
    password: str | None,
    role: str = Role.PATIENT,
    display_name: str = "",
    time_zone: str = "Europe/Paris",
    language: str = "en",
) -> User:
    """Create a user and their profile in one step."""
    user = User.objects.create_user(email, password, role=role, display_name=display_name)
    Profile.objects.create(user=user, time_zone=time_zone, language=language)
    return user


def profile_of(*, user: User) -> Profile:
    """The user's profile, created with defaults if an admin made the user."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        return profile


def end_sessions(*, user: User, keep_key: str | None = None, only_id: str | None = None) -> int:
    """End the user's sessions at once (their next request is signed out): all, all but `keep_key`,
    or the one whose public id is `only_id`. Returns how many ended."""
    sessions = UserSession.objects.filter(user=user)
    if keep_key:
        sessions = sessions.exclude(session_key=keep_key)
    keys = list(sessions.values_list("session_key", flat=True))
    if only_id is not None:
        keys = [key for key in keys if session_id(key) == only_id]
    deleted, _ = UserSession.objects.filter(session_key__in=keys).delete()
    return deleted


def set_password_link(*, user: User) -> str:
    """A one-time link to choose a password (Django's reset token: it dies once a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse("accounts:password-reset-confirm", args=[uid, token])


def send_set_password_link(*, user: User) -> None:
    """Email a new account its set-password link: nobody else, the admin included, sees it."""
    context = {"user": user, "link": set_password_link(user=user), "site_url": settings.SITE_URL}
    subject = "".join(render_to_string("accounts/set_password_subject.txt", context).splitlines())
    body = render_to_string("accounts/set_password_email.txt", context)
    send_mail(subject, body, None, [user.email])
