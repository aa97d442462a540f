"""Account writes: creating a user with their profile, and the profile made on first use."""

from django.db import transaction

from accounts.models import Profile, Role, User


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
