"""Who is asking: the client's address, read the same way by sign-in throttling, audit and every throttle.

Behind TRUSTED_PROXY_COUNT reverse proxies, REMOTE_ADDR is the nearest proxy's address and each
proxy appends the address it saw to X-Forwarded-For. Only those last TRUSTED_PROXY_COUNT entries
were written by proxies we run; anything to their left came from the client and can be forged.
So the client is the entry our outermost proxy added: the TRUSTED_PROXY_COUNT-th from the right.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, never one the caller chose."""
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        # The request did not pass through every proxy we trust: only the socket's address is known.
        return remote
    return _valid(forwarded[-proxies]) or remote
