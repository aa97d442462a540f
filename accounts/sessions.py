"""The session store (SESSION_ENGINE): Django's database store, writing to accounts.UserSession.

At sign-in `accounts.signals` puts the time and the browser's User-Agent into the session data;
each save copies them, and the signed-in user, into the row's columns, and stamps `last_seen`,
so a person's sessions can be listed and ended without decoding anyone's session data.

Every request renews the session (SESSION_SAVE_EVERY_REQUEST), but an unchanged session whose row
was written less than SESSION_WRITE_INTERVAL_SECONDS ago is not written again: a page costs one
read, not a read and a write. The idle timeout (the row's expire_date, SESSION_COOKIE_AGE after
its last write) then ends a session at most that interval early, never late; a changed session
(sign-in, sign-out, a verified second factor, anything put in it) is always written at once, and
ending a session deletes its row, so the next request with its cookie is signed out.
"""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils import timezone

from accounts.models import UserSession

# Session data keys written at sign-in (accounts.signals).
SIGNED_IN_AT = "_signed_in_at"  # Unix time of the password sign-in: the absolute lifetime counts from it
USER_AGENT = "_user_agent"


class SessionStore(DatabaseStore):
    # When this request's row was last written (its last_seen), once loaded; None: write on save.
    _written_at: datetime | None = None

    @classmethod
    def get_model_class(cls) -> Any:
        return UserSession

    def _get_session_from_db(self) -> Any:
        row = super()._get_session_from_db()  # type: ignore[misc]  # private in Django, absent from django-stubs
        self._written_at = getattr(row, "last_seen", None)
        return row

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        row: Any = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        row.user_id = int(user_id) if user_id and str(user_id).isdigit() else None
        row.user_agent = str(data.get(USER_AGENT, ""))[:300]
        started = data.get(SIGNED_IN_AT)
        row.signed_in_at = datetime.fromtimestamp(started, tz=UTC) if isinstance(started, int | float) else None
        row.last_seen = timezone.now()
        return row

    def written_recently(self) -> bool:
        """Was this unchanged session's row, as loaded in this request, written within the interval?"""
        if self.modified or self._written_at is None or self.session_key is None:
            return False
        age = (timezone.now() - self._written_at).total_seconds()
        return 0 <= age < settings.SESSION_WRITE_INTERVAL_SECONDS

    def save(self, must_create: bool = False) -> None:
        if not must_create and self.written_recently():
            return
        super().save(must_create=must_create)
        self._written_at = None
