"""The installable app: the web app manifest, the service worker and the page it shows offline.

The worker (static/js/sw.js, served at /sw.js so its scope is the whole site) gets a small preamble
from here: the version of the app shell (a hash of every file it precaches, so a deploy that changes
any of them makes a new worker with a new cache, never a mix of old and new files), the shell's URLs
(hashed names in production) and the push handler it imports.

Which signed-in pages the worker may keep for offline use is decided per person: every page for a
signed-in person carries an opaque `X-Msgut-Viewer` key (`viewer_key`), and the worker keeps the day
pages of that key alone, dropping any other person's as soon as someone else signs in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User

# What the worker precaches: enough to draw any page of ours, and the day page, without a network.
SHELL_FILES = (
    "css/app.css",
    "css/tracker.css",
    "js/app.js",
    "js/tracker.js",
    "js/offline.js",
    "vendor/htmx-2.0.11.min.js",
    "img/favicon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
    "icons/apple-touch-icon.png",
)
WORKER_FILES = ("js/sw.js", "js/push-worker.js")
OFFLINE_TEMPLATE = "offline.html"
# The offline page is precached as rendered: what it is drawn from counts in the version too.
SHELL_TEMPLATES = (OFFLINE_TEMPLATE, "base.html", "includes/offline_queue.html")
THEME_COLOUR = "#0b5d4b"
BACKGROUND_COLOUR = "#f4f6f5"
VIEWER_HEADER = "X-Msgut-Viewer"


def viewer_key(user: User) -> str:
    """An opaque, stable key per account: names whose pages and queued entries are on this device."""
    return salted_hmac("msgut.pwa.viewer", str(user.pk)).hexdigest()[:20]


def _static_bytes(name: str) -> bytes:
    path = finders.find(name)
    if not path:
        path = staticfiles_storage.path(name)
    with open(path, "rb") as handle:
        return handle.read()


def _shell_version() -> str:
    digest = hashlib.sha256()
    for name in (*SHELL_FILES, *WORKER_FILES):
        digest.update(name.encode())
        digest.update(_static_bytes(name))
    for template in SHELL_TEMPLATES:
        digest.update((settings.BASE_DIR / "templates" / template).read_bytes())
    return digest.hexdigest()[:16]


_cached_version = cache(_shell_version)


def shell_version() -> str:
    """The app shell's version; computed once per process, except in development where files change."""
    return _shell_version() if settings.DEBUG else _cached_version()


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    data = {
        "id": "/day/",
        "name": "msgut",
        "short_name": "msgut",
        "description": _("Your daily food, sleep and fatigue log for multiple sclerosis."),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("tracker:today"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@never_cache
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker script from our own origin, for the whole site: never cached by the browser, so
    it sees a deploy at once."""
    config = {
        "version": shell_version(),
        "shell": [static(name) for name in SHELL_FILES],
        "offline": reverse("offline"),
        "push": static("js/push-worker.js"),
        "viewerHeader": VIEWER_HEADER,
    }
    body = f"self.MSGUT = {json.dumps(config)};\n".encode() + _static_bytes("js/sw.js")
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page it cannot reach and has not kept."""
    return render(request, OFFLINE_TEMPLATE, {"offline_page": True})


class ViewerHeaderMiddleware:
    """Names the signed-in person on every response (an opaque key), for the worker's offline copies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            response[VIEWER_HEADER] = viewer_key(user)
        return response


def context(request: HttpRequest) -> dict[str, str]:
    """`offline_viewer`: the same key, for the page's offline queue (empty when signed out); and the
    CSRF cookie's name, read again when the queue is sent (after a sign-in the page's token is old)."""
    user = getattr(request, "user", None)
    return {
        "offline_viewer": viewer_key(user) if isinstance(user, User) and user.is_authenticated else "",
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
    }
