"""The session store (SESSION_ENGINE): Django's database store, writing to accounts.UserSession.

At sign-in `accounts.signals` puts the time and the browser's User-Agent into the session data;
each save copies them, and the signed-in user, into the row's columns, and stamps `last_seen`
(every request saves the session, SESSION_SAVE_EVERY_REQUEST), so a person's sessions can be
listed and ended without decoding anyone's session data.
"""

from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils import timezone

from accounts.models import UserSession

# Session data keys written at sign-in (accounts.signals).
SIGNED_IN_AT = "_signed_in_at"  # Unix time of the password sign-in: the absolute lifetime counts from it
USER_AGENT = "_user_agent"


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> Any:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        row: Any = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        row.user_id = int(user_id) if user_id and str(user_id).isdigit() else None
        row.user_agent = str(data.get(USER_AGENT, ""))[:300]
        started = data.get(SIGNED_IN_AT)
        row.signed_in_at = datetime.fromtimestamp(started, tz=UTC) if isinstance(started, int | float) else None
        row.last_seen = timezone.now()
        return row
