"""Deny by default: every URL needs a signed-in user unless it is on PUBLIC.

The walk covers every pattern in the resolver, including the ones other
features add later; a new URL fails here until it is classified (named, in a
known namespace) and either answers anonymous requests with a redirect to
the sign-in page or is added to PUBLIC on purpose.
"""

import contextlib
import itertools
import sys
import types
import uuid
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, reverse

# Reachable without signing in. Each entry is a deliberate decision.
PUBLIC = {
    "healthz",  # load balancers and monitoring
    "home",  # signed out: what msgut is, for whom, and what is done with the data; signed in: a redirect
    "privacy",  # the privacy notice, read before signing up
    "favicon",  # a redirect to the static icon
    "manifest",  # the web app manifest: browsers fetch it without cookies
    "service-worker",  # the worker script, fetched before and after sign-in
    "offline",  # the page the worker shows offline, fetched without cookies
    "accounts:login",
    "accounts:signup",
    "accounts:language",  # POST only; the language of the sign-in page
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "admin:login",  # redirects to accounts:login
    "reminders:stop",  # the signed one-click unsubscribe link in every reminder: works signed out
}

# Public URLs whose path carries a signed token: the walk's sample value is not a valid one, so they
# answer 400 "this link is not valid" (still without asking anyone to sign in).
SIGNED_LINKS = {"reminders:stop"}

# Every other URL belongs to one of these namespaces and needs a signed-in user.
SIGNED_IN_NAMESPACES = {"", "accounts", "tracker", "guidance", "trends", "clinic", "reminders", "admin"}

SAMPLE_VALUES: list[object] = [
    1,
    "x",
    "MQ",
    "set-password",
    "auth",
    "accounts",
    date(2026, 1, 15),
    "2026-01-15",
    uuid.UUID(int=1),
    "2026-W03",
]


def walk(patterns=None, namespace: str = ""):
    """Yield (full URL name or None, pattern string, namespace) for every endpoint."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            )
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield name, str(entry.pattern), namespace


def sample_url(name: str) -> str:
    """Reverse `name`, filling its converters with the first dummy values that fit."""
    try:
        return reverse(name)
    except NoReverseMatch:
        pass
    resolver = get_resolver()
    ns, _, short = name.rpartition(":")
    # Find the argument names from any possibility the resolver knows for this name.
    arg_names: set[tuple[str, ...]] = set()
    target = resolver
    for part in ns.split(":") if ns else []:
        target = target.namespace_dict[part][1]
    for possibility in target.reverse_dict.getlist(short):
        for _result, params in possibility[0]:
            arg_names.add(tuple(params))
    for params in arg_names:
        for values in itertools.product(SAMPLE_VALUES, repeat=len(params)):
            # Custom converters may raise anything, NoReverseMatch included: then try the next values.
            with contextlib.suppress(Exception):
                return reverse(name, kwargs=dict(zip(params, values, strict=True)))
    raise AssertionError(f"could not fill the converters of {name}")


def login_redirect_target(client: Client, url: str, login_path: str) -> str | None:
    """Follow up to three redirects; return the path of the last one, or None if no redirect."""
    response = client.get(url)
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    location = response["Location"]
    for _ in range(3):
        if urlsplit(location).path == login_path:
            return urlsplit(location).path
        nxt = client.get(location)
        if nxt.status_code not in (301, 302, 303, 307, 308):
            break
        location = nxt["Location"]
    return urlsplit(location).path


def classification_problems(client: Client, login_path: str | None = None) -> list[str]:
    login_path = login_path or reverse("accounts:login")
    problems = []
    for name, pattern, namespace in walk():
        if not name:
            if namespace == "admin":
                continue  # the admin's own redirects and catch-all, behind its permission check
            problems.append(f"unnamed URL pattern {pattern!r}: give it a name and classify it")
            continue
        if name in PUBLIC:
            continue
        if namespace not in SIGNED_IN_NAMESPACES:
            problems.append(f"{name}: unknown namespace {namespace!r}; classify it in tests/test_url_allowlist.py")
            continue
        url = sample_url(name)
        target = login_redirect_target(client, url, login_path)
        if target != login_path:
            problems.append(f"{name} ({url}) answers an anonymous visitor without sending them to sign in")
    return problems


@pytest.mark.django_db
def test_every_url_needs_sign_in_unless_it_is_on_the_public_list(client):
    assert classification_problems(client) == []


@pytest.mark.django_db
def test_the_walk_sees_urls_of_every_app():
    names = {name for name, _, _ in walk() if name}
    assert {"home", "healthz", "accounts:login", "accounts:profile", "admin:index"} <= names
    assert len(names) > 30


@pytest.mark.django_db
def test_every_public_url_exists_and_opens_without_sign_in(client):
    names = {name for name, _, _ in walk() if name}
    assert names >= PUBLIC
    for name in PUBLIC - {"admin:login"}:
        response = client.get(sample_url(name))
        assert response.status_code in ((200, 301, 302, 405, 400) if name in SIGNED_LINKS else (200, 301, 302, 405)), (
            name
        )
        if response.status_code in (301, 302):
            assert urlsplit(response["Location"]).path != reverse("accounts:login"), name


def _open(request):
    return HttpResponse("open")


def _private(request):
    return HttpResponse("private")


leaky_urlpatterns = [
    # login_not_required marks the function itself, so the public views get their own.
    path("leak/", login_not_required(lambda request: HttpResponse("leak")), name="leak"),
    path("accounts/login/", login_not_required(_open), name="stub-login"),
    path("private/", _private, name="private"),
    path("unnamed/", _private),
]


@pytest.mark.django_db
def test_the_walk_catches_new_urls_that_nobody_classified(client):
    """The check itself must be able to fail: a public view nobody listed and an unnamed URL."""

    module = types.ModuleType("leaky_urls")
    module.urlpatterns = leaky_urlpatterns  # type: ignore[attr-defined]
    sys.modules["leaky_urls"] = module
    try:
        with override_settings(ROOT_URLCONF="leaky_urls", LOGIN_URL="/accounts/login/"):
            problems = classification_problems(client, login_path="/accounts/login/")
    finally:
        del sys.modules["leaky_urls"]
    assert any(p.startswith("leak ") for p in problems), problems
    assert any("unnamed URL pattern 'unnamed/'" in p for p in problems), problems
    assert not any(p.startswith("private ") for p in problems), "\n".join(problems)
