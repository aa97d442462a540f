"""How django-axes names the account being tried.

Our login form posts the email in the `username` field, while axes looks for
the user model's USERNAME_FIELD (`email`) by default and so saw no name at
all. Emails are also case-insensitive here, so `A@x.org` and `a@x.org` must
count as the same account or a lock is dodged by changing case.
"""

from typing import Any

from django.http import HttpRequest


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str | None:
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        data = getattr(request, "POST", {})
        value = data.get("username") or data.get("email")
    if not value:
        return None
    return str(value).strip().lower()[:254]
