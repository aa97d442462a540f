"""Pages, and parts of pages, drawn once and kept while what they are drawn from is unchanged.

A kept page's key is a digest of everything it is drawn from: the rows read for it (as the database
sent them), the person, the address, the language, the time zone and the date. A change to any of
them is another key, so nothing is ever invalidated and a kept page cannot show what is no longer
true; unused pages leave the cache by age and count (the "pages" cache, in each process's memory).

What must differ on every response is drawn as marks and filled in at each one: the CSRF token and
the one-time tokens of the forms that add an entry (`new_token`: two page loads must never share one,
or the second add would be taken for a repeat of the first).

While a page is drawn for keeping, its reads are watched: a page that read the database while drawn
may show what its key does not cover, so it is served but not kept, and the read is logged as an error
(raised as `KeptPageReadTheDatabase` under `KEPT_PAGES_STRICT`, which the tests turn on).

A kept part (`kept_part`) is the same for whoever reads it, from the rows it is built from and the
language: the weekly charts of a patient and range, built from their stored summaries; a section of a
day page, from the rows that section is drawn from (so a save redraws its own section, not the others).
A kept frame (`kept_frame`) is a page but for its part that changes most, which is put in at each
draw: the clinician dashboard around its list of patients.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

# Random per process: no text a person types can contain them.
CSRF_MARK = f"csrf-{secrets.token_hex(12)}"
TOKEN_MARK = f"token-{secrets.token_hex(12)}"
HOLE = f"hole-{secrets.token_hex(12)}"  # where a kept frame's changing part goes (`kept_frame`)
_marking: ContextVar[bool] = ContextVar("marking", default=False)
logger = logging.getLogger(__name__)
T = TypeVar("T")


class KeptPageReadTheDatabase(RuntimeError):
    """A page drawn for keeping read the database: what it read is not in its key."""


def new_token() -> str:
    """A one-time token for a form that adds something; its mark while a page is drawn for keeping."""
    return TOKEN_MARK if _marking.get() else uuid.uuid4().hex


class _Reads:
    """The queries made while a page was drawn for keeping."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sql.append(sql)
        if getattr(settings, "KEPT_PAGES_STRICT", False):
            raise KeptPageReadTheDatabase(f"a page drawn for keeping read the database: {sql[:200]}")
        return execute(sql, params, many, context)


@contextmanager
def _watching_reads() -> Iterator[_Reads]:
    reads = _Reads()
    with connection.execute_wrapper(reads):
        yield reads


@contextmanager
def _drawing_for_keeping() -> Iterator[_Reads]:
    reset = _marking.set(True)
    try:
        with _watching_reads() as reads:
            yield reads
    finally:
        _marking.reset(reset)


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def page_key(request: HttpRequest, name: str, parts: Iterable[str]) -> str:
    """The digest of a page's name, its reader, address, language, time zone and day, and `parts`
    (what it was read from)."""
    return "page:" + _digest(
        (
            name,
            str(getattr(request.user, "pk", "")),
            request.get_full_path(),
            get_language() or "",
            timezone.get_current_timezone_name(),
            timezone.localdate().isoformat(),
            *parts,
        )
    )


def _part_key(name: str, parts: Iterable[str]) -> str:
    return f"part:{_digest((name, get_language() or '', *parts))}"


def kept_part_if_any(name: str, parts: Iterable[str]) -> Any:
    """What `kept_part` keeps under `name` and `parts`, if it is kept (None otherwise): for a part whose
    rows are read only when it is not."""
    return None if settings.DEBUG else caches["pages"].get(_part_key(name, parts))


def kept_part(name: str, parts: Iterable[str], build: Callable[[], T]) -> T:
    """What `build()` returns (a part of pages, the same whoever reads it), kept under a digest of
    `name`, the language and `parts` (everything it is built from). Built anew, and not kept, when
    building read the database (an error in the log, raised under `KEPT_PAGES_STRICT`). When DEBUG is
    on (templates change under a running server), built every time."""
    if settings.DEBUG:
        return build()
    parts_cache = caches["pages"]
    key = _part_key(name, parts)
    value: T | None = parts_cache.get(key)
    if value is None:
        with _watching_reads() as reads:
            value = build()
        if reads.sql:
            logger.error("a part built for keeping read the database, so it was not kept: %s", reads.sql[0][:200])
        else:
            parts_cache.set(key, value)
    return value


def kept_frame(request: HttpRequest, name: str, parts: Iterable[str], draw: Callable[[str], str]) -> str:
    """A page's frame, `draw(HOLE)`: the page drawn with `HOLE` where its part that changes most goes
    (the caller puts that part in), kept like a page (`page_key`) under `name` and `parts` (what the
    frame is drawn from). Call it while the page is drawn (`kept_page`): its marks are filled in
    with the page's. Drawn every time when the page may not be kept (a message to show, DEBUG)."""
    if not _keeping(request):
        return draw(HOLE)
    return kept_part(name, (page_key(request, name, parts),), lambda: draw(HOLE))


def _fill(html: str, request: HttpRequest) -> str:
    html = html.replace(CSRF_MARK, get_token(request))
    pieces = html.split(TOKEN_MARK)
    return pieces[0] + "".join(uuid.uuid4().hex + piece for piece in pieces[1:])


def kept_page_reading(
    request: HttpRequest, key: str, read: Callable[[], T], draw: Callable[[T, dict[str, Any]], str]
) -> str:
    """`kept_page` for a page whose key stands for rows it has not read (their digests): the page
    kept under `key`, else `read()` (its queries are not watched) and `draw(what it read, marks)`."""
    keep = _keeping(request)
    html = caches["pages"].get(key) if keep else None
    if html is None:
        found = read()
        html = _drawn(key, keep, lambda marks: draw(found, marks))
    return _fill(html, request)


def _keeping(request: HttpRequest) -> bool:
    """Whether this answer may be kept or come from the kept pages: not with messages to show, nor
    when DEBUG is on (templates change under a running server)."""
    return not settings.DEBUG and not len(messages.get_messages(request))


def kept_page(request: HttpRequest, key: str, draw: Callable[[dict[str, Any]], str]) -> str:
    """The page kept under `key`, else drawn by `draw(marks)` and kept, with its marks filled in.

    `draw` renders from what was read before with `marks` in its context. A page with messages to
    show, or any page when DEBUG is on (templates change under a running server), is drawn the same
    way and not kept; so is a page whose drawing read the database (an error in the log).
    """
    keep = _keeping(request)
    html = caches["pages"].get(key) if keep else None
    if html is None:
        html = _drawn(key, keep, draw)
    return _fill(html, request)


def _drawn(key: str, keep: bool, draw: Callable[[dict[str, Any]], str]) -> str:
    """The page `draw(marks)` gives, kept under `key` when `keep` and its drawing read nothing."""
    with _drawing_for_keeping() as reads:
        html = draw({"csrf_token": CSRF_MARK})
    if reads.sql:
        logger.error("a page drawn for keeping read the database, so it was not kept: %s", reads.sql[0][:200])
    elif keep:
        caches["pages"].set(key, html)
    return html
