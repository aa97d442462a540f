"""Sign-in by email and password (Django's ModelBackend), loading the signed-in user with their profile.

Every request loads the user from the session, and UserPreferencesMiddleware then reads their
profile (time zone, language): one query with a join instead of two.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class UserWithProfileBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
