import sys

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from audit.models import Action
from audit.services import record
from msgut.middleware import database_unavailable_response, is_database_unavailable


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page; a visitor reads what msgut is and for whom."""
    if not request.user.is_authenticated:
        return render(request, "welcome.html")
    return redirect(request.user.home_url())


@login_not_required
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """What is done with the health data people log: read before signing up, linked from every page."""
    return render(request, "privacy.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 page; the refusal goes to the audit trail (who, which page; nothing else)."""
    record(action=Action.ACCESS_DENIED, request=request)
    return render(request, "403.html", status=403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or the plain 503 page when the error is the database being unreachable
    (raised where process_exception cannot see it, e.g. while loading the session)."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response()
    return HttpResponseServerError(render_to_string("500.html"))


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; point them at the SVG."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def broker_status() -> str:
    if not settings.REDIS_URL:
        return "inline"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception:
        return "down"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status; 503 when the database is down."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "down"
    status = 200 if database == "ok" else 503
    return JsonResponse({"database": database, "broker": broker_status()}, status=status)
