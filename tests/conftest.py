import os
import shutil

import pytest

from tests.factories import AdminFactory, ClinicianFactory, PatientFactory

# In CI (MSGUT_REQUIRE_SERVICES=1) a missing PostgreSQL, Redis or Chromium is a failure, not a skip.
REQUIRE_SERVICES = os.environ.get("MSGUT_REQUIRE_SERVICES") == "1"


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


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client
