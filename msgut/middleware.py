import logging
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

Handler = Callable[[HttpRequest], HttpResponse]


def is_database_unavailable(exception: BaseException | None) -> bool:
    return isinstance(exception, OperationalError | InterfaceError) or (
        isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
    )


def database_unavailable_response() -> HttpResponse:
    """A plain page (no template tags, no database) saying nothing saved is lost."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "10"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answer a plain 503 page while the database is unreachable, from a view.

    Errors raised in other middleware (loading the session, the user) never reach
    process_exception; msgut.views.server_error answers those with the same page.
    Django reconnects on the next request (CONN_HEALTH_CHECKS), so the site
    recovers by itself once the database is back.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            logger.warning("database unavailable: %s", exception)
            return database_unavailable_response()
        return None


class NoStoreMiddleware:
    """Pages for signed-in people may carry health data: never cache them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store, private"
        return response
