import importlib
import os
import shutil
from collections.abc import Mapping

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.test import Client, TransactionTestCase, override_settings
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.models import Authenticator
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory
from tracker.selectors import shared_catalog

# Hypothesis profiles. "ci" (CI=true) tries more examples, the same ones on every run, so
# a change cannot land or fail on the luck of a draw; "dev" (the default) tries fewer but
# new ones each run, kept in .hypothesis/ when they fail. HYPOTHESIS_PROFILE picks one.
# Property tests share one database per test (function-scoped fixtures) and some examples
# render pages, so no deadline and no fixture health check.
# (Built on Hypothesis' own defaults: with CI set it loads its own "ci" profile first.)
_HYPOTHESIS_COMMON = hypothesis_settings(
    hypothesis_settings.get_profile("default"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "ci", parent=_HYPOTHESIS_COMMON, max_examples=60, derandomize=True, database=None, print_blob=True
)
hypothesis_settings.register_profile("dev", parent=_HYPOTHESIS_COMMON, max_examples=20)


def hypothesis_profile(environ: Mapping[str, str]) -> str:
    return environ.get("HYPOTHESIS_PROFILE") or ("ci" if environ.get("CI") else "dev")


hypothesis_settings.load_profile(hypothesis_profile(os.environ))

# Argon2 is slow on purpose (each hash costs tens of milliseconds); tests create thousands
# of users. They hash with MD5 instead, except tests marked `real_password_hashers`.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# In CI (MSGUT_REQUIRE_SERVICES=1) a missing PostgreSQL, Redis or Chromium is a failure, not a skip.
# REQUIRE_SERVICES=1 means the same.
REQUIRE_SERVICES = "1" in (os.environ.get("MSGUT_REQUIRE_SERVICES"), os.environ.get("REQUIRE_SERVICES"))


def need(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; fail in CI."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need(path is not None, "Chromium is not installed")
    assert path
    return path


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def other_patient(db):
    return PatientFactory()


@pytest.fixture
def clinician(db):
    return ClinicianFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture(scope="class")
def class_db(django_db_setup, django_db_blocker):
    """Database access for class-scoped fixtures, with Django's TestCase.setUpTestData semantics:
    what they write is in a transaction rolled back after the class's last test, and each test
    (pytest-django's `db`) runs in a savepoint of it rolled back after the test, so every test of
    the class starts from the same rows and none sees another's writes. Tests of the class must
    use `db`; a fixture that keeps objects across tests should keep primary keys, not instances."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_on_session(session_key: str) -> Client:
    """A new client on a signed-in session made earlier (cookies a test's responses set stay with it)."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def session_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def verified_login(client: Client, user) -> Authenticator:
    """Sign `user` into `client` with a passed second factor, as django_otp.login does.

    Clinicians and admins are sent to the two-factor pages until their session
    is OTP-verified; use this instead of client.force_login for them.
    """
    device: Authenticator | None = Authenticator.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = Authenticator.new(user=user, confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def clinician_client(clinician):
    """A separate client signed in as `clinician`, two-factor verified."""
    client = Client()
    verified_login(client, clinician)
    return client


@pytest.fixture
def admin_client(admin_user):
    """A separate client signed in as `admin_user`, two-factor verified (replaces pytest-django's)."""
    client = Client()
    verified_login(client, admin_user)
    return client


@pytest.fixture(scope="session", autouse=True)
def strict_kept_pages():
    """A page drawn for keeping that reads the database fails the test (in production it is logged
    and served unkept: msgut.kept_pages)."""
    settings.KEPT_PAGES_STRICT = True


@pytest.fixture(autouse=True)
def nothing_kept():
    """Each test draws its pages and charts anew: one kept by an earlier test is never what it checks."""
    caches["pages"].clear()


@pytest.fixture(autouse=True)
def english_and_server_time():
    """Each test starts in English and the server's time zone: a request that switched to
    French or a patient's zone must not leak into the next test (the thread keeps them)."""

    translation.activate("en")
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(autouse=True)
def fresh_food_search_cache():
    """The food search keeps the shared catalog per process and rebuilds it when the table's
    count, last id or last change moves; a rolled-back test can leave all three as they were
    (SQLite reuses ids, frozen clocks repeat), so each test starts without it."""
    shared_catalog.forget()
    yield
    shared_catalog.forget()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """The production hashers, kept aside for `real_password_hashers` tests, while every other test hashes fast."""
    production = list(settings.PASSWORD_HASHERS)
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield production


@pytest.fixture(autouse=True)
def real_password_hashers(request, fast_password_hashing):
    """Tests marked `real_password_hashers` hash with the production settings (Argon2 first)."""
    if request.node.get_closest_marker("real_password_hashers") is None:
        yield
        return
    with override_settings(PASSWORD_HASHERS=fast_password_hashing):
        yield


# What `migrate` leaves in the content-type and permission tables (fingerprints of their rows),
# per database alias: see `quick_flush`.
_MIGRATED_ROWS: dict[str, tuple[str, str]] = {}
_KEPT_TABLES = (ContentType._meta.db_table, Permission._meta.db_table)


def _fingerprint(cursor) -> tuple[str, str]:
    rows = []
    for table in _KEPT_TABLES:
        cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM {table} t")  # noqa: S608
        rows.append(cursor.fetchone()[0])
    return rows[0], rows[1]


def empty_database(alias: str) -> None:
    """After a transactional test, what Django's flush leaves (every table empty, then the content
    types and permissions post_migrate makes), made faster on PostgreSQL: DELETE instead of TRUNCATE
    (which replaces each of the 50-odd tables' and indexes' files, about a second and more under
    load), and the content types and permissions kept when they are still exactly the rows
    post_migrate made, compared by fingerprint; if a test changed them, they are emptied and made
    again, as flush would. Sequences go on, as with flush (TransactionTestCase.reset_sequences=False)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # Django's foreign keys are DEFERRABLE: checked at commit, when every row is gone.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in sorted(set(tables) - set(_KEPT_TABLES)):
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
        if _MIGRATED_ROWS.get(alias) == _fingerprint(cursor):
            return
        for table in reversed(_KEPT_TABLES):
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
    emit_post_migrate_signal(0, False, alias)
    with connection.cursor() as cursor:
        _MIGRATED_ROWS[alias] = _fingerprint(cursor)


def restore_migrated_rules() -> None:
    """The rule sets the data migrations publish (the defaults, then v2), as `migrate` left them, when
    a transactional test before this one emptied the tables (`empty_database` keeps only content types
    and permissions). Their rescoring tasks run inline."""
    from guidance.selectors import current_version  # noqa: PLC0415 - apps load after this module
    from msgut.celery import app  # noqa: PLC0415

    if current_version() is not None:
        return
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        importlib.import_module("guidance.migrations.0003_default_rules").create_defaults(django_apps, None)
        importlib.import_module("guidance.migrations.0006_rule_set_v2").publish_v2(django_apps, None)
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture(scope="session", autouse=True)
def quick_flush():
    """Transactional tests (the browser ones, `live_server`, `transaction=True`) end with
    `empty_database` on PostgreSQL instead of Django's `flush`; elsewhere, and for test cases
    with `available_apps` or `serialized_rollback`, Django's own teardown runs."""
    django_teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # private, not in the stubs

    def _fixture_teardown(self):
        aliases = self._databases_names(include_mirrors=False)
        if (
            self.available_apps is not None
            or self.serialized_rollback
            or any(connections[alias].vendor != "postgresql" for alias in aliases)
        ):
            django_teardown(self)
            return
        for alias in aliases:
            empty_database(alias)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", _fixture_teardown)
        yield
