"""How the suite runs: fast password hashing, one Redis database per xdist worker,
Hypothesis profiles picked by the environment, and the database a transactional test leaves."""

import os

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase
from hypothesis import settings as hypothesis_settings

from tests import testenv
from tests.conftest import hypothesis_profile, need
from tests.factories import PatientFactory
from tracker.models import FatigueRating


def test_tests_hash_passwords_with_the_fast_hasher(patient):
    assert patient.password.startswith("md5$")


@pytest.mark.real_password_hashers
def test_a_marked_test_hashes_as_production_does(patient):
    assert patient.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("worker", "url", "expected"),
    [
        ("gw0", "redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
        ("gw1", "redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/4"),
        ("gw2", "redis://127.0.0.1:6379", "redis://127.0.0.1:6379/2"),
        ("gw1", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/0"),
        ("", "redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
    ],
)
def test_each_xdist_worker_gets_its_own_redis_database(monkeypatch, worker, url, expected):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("REDIS_URL", url)
    testenv._redis_db_per_xdist_worker()
    assert os.environ["REDIS_URL"] == expected


def test_without_redis_the_worker_changes_nothing(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.delenv("REDIS_URL", raising=False)
    testenv._redis_db_per_xdist_worker()
    assert "REDIS_URL" not in os.environ


def test_ci_runs_the_fixed_examples_and_a_developer_the_quick_fresh_ones():
    assert hypothesis_profile({"CI": "true"}) == "ci"
    assert hypothesis_profile({}) == "dev"
    assert hypothesis_profile({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}) == "dev"
    ci, dev = hypothesis_settings.get_profile("ci"), hypothesis_settings.get_profile("dev")
    assert ci.derandomize and not dev.derandomize
    assert ci.max_examples > dev.max_examples
    assert (
        hypothesis_settings.default.max_examples
        == hypothesis_settings.get_profile(hypothesis_profile(os.environ)).max_examples
    )


class _Ended(TransactionTestCase):
    """What pytest-django runs after a transactional test, called here in the middle of one."""

    __test__ = False  # not a test of its own
    databases = frozenset({"default"})

    def runTest(self):  # unittest wants a test method to build an instance
        pass


def _content_types_and_permissions():
    return (
        sorted(ContentType.objects.values_list("app_label", "model")),
        sorted(Permission.objects.values_list("content_type__app_label", "codename", "name")),
    )


def _rows_left() -> dict[str, int]:
    kept = (ContentType, Permission)
    return {m._meta.label: n for m in apps.get_models() if m not in kept and (n := m._default_manager.count())}


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_ends_with_the_database_django_flush_leaves():
    need(connection.vendor == "postgresql", "the quick flush is PostgreSQL's; SQLite runs Django's own")
    call_command("flush", verbosity=0, interactive=False)  # Django's own: the state to compare with
    flushed = _content_types_and_permissions()
    PatientFactory()
    _Ended()._fixture_teardown()
    assert _rows_left() == {}
    assert _content_types_and_permissions() == flushed
    kept_ids = sorted(ContentType.objects.values_list("pk", flat=True))

    # A test that only writes data: every row goes, the content types stay as they were (same ids).
    patient = PatientFactory()
    FatigueRating.objects.create(patient=patient, date="2026-03-02", score=4)
    _Ended()._fixture_teardown()
    assert _rows_left() == {}
    assert _content_types_and_permissions() == flushed
    assert sorted(ContentType.objects.values_list("pk", flat=True)) == kept_ids

    # A test that adds a permission and renames a content type: made again as post_migrate makes them.
    Permission.objects.create(
        codename="stray", name="Stray", content_type=ContentType.objects.get_for_model(FatigueRating)
    )
    ContentType.objects.filter(app_label="tracker", model="fatiguerating").update(model="renamed")
    PatientFactory()
    _Ended()._fixture_teardown()
    assert _rows_left() == {}
    assert _content_types_and_permissions() == flushed
