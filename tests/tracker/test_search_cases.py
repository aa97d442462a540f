"""The 288 realistic queries of tracker/data/search_cases.csv: each finds its food in the first
three results, and both databases return the very same results.

The catalog is loaded once for the module (committed, removed at the end) and the tests run on
one xdist worker, so 288 cases take seconds. From a PostgreSQL run, the last test computes
every case's first eight results on SQLite in a subprocess and compares them with PostgreSQL's:
the same results, so the cases pass there too.
"""

import csv
import json
import os
from pathlib import Path

import pytest

from tests.tracker.conftest import SEARCH_RESULTS_ENV, passed_on_sqlite
from tracker import selectors
from tracker.catalog import load_catalog
from tracker.models import Food
from tracker.search import LANGUAGES

CASES_CSV = Path(__file__).resolve().parents[2] / "tracker" / "data" / "search_cases.csv"

with CASES_CSV.open(encoding="utf-8", newline="") as handle:
    CASES = [(row["query"], row["lang"], row["expected_name_en_in_top3"]) for row in csv.DictReader(handle)]

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("sqlite")]


@pytest.fixture(scope="module", autouse=True)
def catalog(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        before = set(Food.objects.values_list("pk", flat=True))
        load_catalog()
        yield
        Food.objects.exclude(pk__in=before).delete()
        selectors.shared_catalog.forget()


@pytest.fixture(autouse=True)
def fresh_food_search_cache():
    """Overrides the suite's per-test reset: this module's catalog stays the same throughout."""
    yield


def every_result() -> dict[str, list[str]]:
    """The first eight results of every case query, in order, by "lang:query"."""
    return {
        f"{lang}:{query}": [f.name_en for f in selectors.search_foods(None, query, limit=8, language=lang)]
        for query, lang, _ in CASES
    }


def test_there_are_cases_in_both_languages():
    assert len(CASES) >= 280
    assert {lang for _, lang, _ in CASES} == set(LANGUAGES)


@pytest.mark.parametrize(("query", "lang", "expected"), CASES, ids=[f"{lang}:{query}" for query, lang, _ in CASES])
def test_the_food_is_in_the_first_three_results(query, lang, expected):
    found = [f.name_en for f in selectors.search_foods(None, query, limit=3, language=lang)]
    assert expected in found


def test_write_every_result(tmp_path):
    """What the other-database run compares (in that run, to the file it was given)."""
    path = Path(os.environ.get(SEARCH_RESULTS_ENV) or tmp_path / "results.json")
    results = every_result()
    path.write_text(json.dumps(results, ensure_ascii=False, indent=0), encoding="utf-8")
    assert all(results.values())


@pytest.mark.services
def test_sqlite_gives_the_same_results_as_postgresql(sqlite_run):
    run, out = sqlite_run
    assert passed_on_sqlite(run, test_write_every_result.__name__), run.stdout[-4000:] + run.stderr[-2000:]
    sqlite = json.loads(out.read_text(encoding="utf-8"))
    postgresql = every_result()
    assert len(sqlite) == len(postgresql) == len({(q, lang) for q, lang, _ in CASES})
    assert [key for key in postgresql if sqlite[key] != postgresql[key]] == []
