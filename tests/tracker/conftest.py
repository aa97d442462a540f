import datetime as dt
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from tests.conftest import need
from tests.tracker.factories import FoodFactory

TODAY = dt.date(2026, 11, 20)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


# Tests that run again on SQLite, what `make run` serves, from a PostgreSQL run: all of them in one
# subprocess (SQLite's migrations are paid once). Their modules share the xdist group "sqlite".
ON_SQLITE = (
    "tests/tracker/test_search_cases.py::test_write_every_result",
    "tests/tracker/test_sqlite_day.py::test_a_logged_day_answers_on_every_day_page",
)
# Set in that subprocess: where the search cases' test writes its results.
SEARCH_RESULTS_ENV = "MSGUT_SEARCH_RESULTS"


@pytest.fixture(scope="session")
def sqlite_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The ON_SQLITE tests run on SQLite (`-rA` lists each one's outcome), and the search results file."""
    need(connection.vendor == "postgresql", "this run is on SQLite already (set DATABASE_URL to compare)")
    results = tmp_path_factory.mktemp("sqlite") / "search-results.json"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_XDIST_WORKER"}}
    env[SEARCH_RESULTS_ENV] = str(results)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-rA", *ON_SQLITE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,  # the tests' assertions show its output
        cwd=Path(__file__).resolve().parents[2],
    )
    return run, results


def passed_on_sqlite(run: subprocess.CompletedProcess[str], test: str) -> bool:
    return f"PASSED {next(t for t in ON_SQLITE if t.endswith(f'::{test}'))}" in run.stdout


@pytest.fixture
def pinned_today():
    """Friday 20 November 2026, 10:00 in Paris (the factory patients' time zone).

    Not autouse: the catalog tests share this folder. Daily-log test modules opt in with
    `pytestmark = pytest.mark.usefixtures("pinned_today")`."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS), tick=False):
        yield TODAY


@pytest.fixture
def day_foods(db):
    return {
        "yogurt": FoodFactory(
            name_en="Plain yogurt",
            name_fr="Yaourt nature",
            default_portion_g=125,
            household_measure_en="1 pot",
            fermented=True,
        ),
        "oats": FoodFactory(
            name_en="Oat flakes", name_fr="Flocons d'avoine", default_portion_g=40, groups=["whole_grain"]
        ),
        "lentils": FoodFactory(
            name_en="Lentils, cooked", name_fr="Lentilles cuites", default_portion_g=150, groups=["legume"]
        ),
        "creme": FoodFactory(
            name_en="Sour cream", name_fr="Crème fraîche", default_portion_g=30, groups=["butter_cream"]
        ),
    }


@pytest.fixture
def htmx():
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def demo_catalog(db):
    """A small catalog with every food group, enough for demo.make_history."""
    make_demo_catalog()


def make_demo_catalog() -> None:
    groups = [
        "vegetable",
        "fruit",
        "legume",
        "whole_grain",
        "fish_seafood",
        "nuts",
        "olive_oil",
        "red_meat",
        "processed_meat",
        "white_meat",
        "butter_cream",
        "cheese",
        "sugary_drink",
        "sweets_pastries",
        "sofrito",
    ]
    for n, group in enumerate(groups * 2):
        FoodFactory(name_en=f"{group} {n}", groups=[group], raw=n % 3 == 0, nova_group=4 if n % 5 == 0 else 1)
    FoodFactory(name_en="Yogurt", fermented=True)
