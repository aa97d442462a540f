"""How the suite runs: fast password hashing, one Redis database per xdist worker, and
Hypothesis profiles picked by the environment."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests import testenv
from tests.conftest import hypothesis_profile


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
