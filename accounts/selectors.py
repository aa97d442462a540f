"""Reads of the accounts app: a person's active sessions, described so they recognise each one."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import User, UserSession

# Under this, "used 0 minutes ago" would read oddly: the list says "in the last minute".
JUST_NOW = timedelta(minutes=1)
# (pattern, name): the first that matches names the browser; Edge and Opera also say "Chrome".
BROWSERS = [
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
]
SYSTEMS = [
    (r"iPhone|iPod", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"CrOS", "ChromeOS"),
    (r"Mac OS X|Macintosh", "Mac"),
    (r"Linux", "Linux"),
]


def describe_device(user_agent: str) -> str:
    """'Firefox on Android', from the browser's User-Agent; never more precise than that."""
    browser = next((name for pattern, name in BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for pattern, name in SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")


def session_id(session_key: str) -> str:
    """A stand-in for the session key in pages and forms: the key itself is a credential."""
    return salted_hmac("accounts.session-id", session_key).hexdigest()[:20]


@dataclass(frozen=True)
class SessionRow:
    id: str
    device: str
    signed_in_at: datetime | None
    last_seen: datetime | None
    current: bool

    @property
    def recent(self) -> bool:
        """Used within the last minute ("0 minutes ago" reads oddly)."""
        return self.last_seen is not None and timezone.now() - self.last_seen < JUST_NOW


def active_sessions(user: User, current_key: str | None) -> list[SessionRow]:
    """The person's unexpired sessions, this one first, then the most recently used."""
    rows = [
        SessionRow(
            id=session_id(s.session_key),
            device=describe_device(s.user_agent),
            signed_in_at=s.signed_in_at,
            last_seen=s.last_seen,
            current=s.session_key == current_key,
        )
        for s in UserSession.objects.filter(user=user, expire_date__gt=timezone.now())
    ]
    return sorted(rows, key=lambda r: (not r.current, -(r.last_seen.timestamp() if r.last_seen else 0)))


def existing_user_ids(user_ids: Iterable[int]) -> list[int]:
    """Those of these ids whose account still exists, in order: a background task queued for a
    person who has since erased their account finds them gone and does nothing."""
    ids = [int(pk) for pk in user_ids]
    found = set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [pk for pk in ids if pk in found]
