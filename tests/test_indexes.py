"""No index of ours repeats the start of another on the same table.

An index on (patient) beside one on (patient, date) finds nothing the second cannot, costs every
write one more index to update, and PostgreSQL chose it for a day's meals: it read the patient's
whole history (3,800 rows on the bench data) and kept the day's, where the (patient, date) index
reads the day's alone. A foreign key gets an index of its own unless `db_index=False`, so one
declared beside such an index must say so.
"""

from pathlib import Path

import pytest
from django.apps import AppConfig, apps
from django.conf import settings
from django.db import connection


def _our_apps() -> list[AppConfig]:
    """The project's own apps (Django's and the libraries' tables are theirs to keep)."""
    root = Path(settings.BASE_DIR)
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(root) and "site-packages" not in Path(config.path).parts
    ]


def _partial_names(model: type) -> set[str]:
    """The indexes and unique constraints that cover only some rows (a condition): they serve no other query."""
    meta = model._meta
    return {item.name for item in (*meta.indexes, *meta.constraints) if getattr(item, "condition", None) is not None}


def _repeats() -> list[str]:
    """Each plain index whose columns begin another index's on the same table, as a line to read."""
    found = []
    with connection.cursor() as cursor:
        for config in _our_apps():
            for model in config.get_models():
                table = model._meta.db_table
                partial = _partial_names(model)
                constraints = connection.introspection.get_constraints(cursor, table)
                indexes = {
                    name: (tuple(info["columns"]), bool(info["unique"]))
                    for name, info in constraints.items()
                    if (info["index"] or info["unique"]) and info["columns"] and name not in partial
                }
                for name, (columns, unique) in indexes.items():
                    if unique:  # a unique index says something of its own
                        continue
                    for other, (more, _unique) in indexes.items():
                        if len(more) > len(columns) and more[: len(columns)] == columns:
                            found.append(f"{table}: {name} {columns} begins {other} {more}")
                            break
    return found


@pytest.mark.django_db
def test_no_index_repeats_the_start_of_another():
    assert {config.label for config in _our_apps()} >= {"accounts", "clinic", "guidance", "tracker", "trends"}
    assert _repeats() == []


@pytest.mark.django_db
def test_the_check_finds_a_repeated_index():
    """The check itself: an index on (patient) beside the meals' (patient, date) is found (the
    test's transaction takes it away again)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX repeat_patient ON tracker_mealitem (patient_id)")
    assert any(line.startswith("tracker_mealitem: repeat_patient") for line in _repeats())
