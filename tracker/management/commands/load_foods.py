"""Load (or refresh) the shared food catalog from tracker/data/foods.csv. Safe to run again."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.catalog import CATALOG_CSV, CatalogError, group_counts, load_catalog, read_catalog


class Command(BaseCommand):
    help = (
        "Upsert the shared food catalog from a CSV (default tracker/data/foods.csv), keyed on the English name. "
        "Every row is validated first; a bad row stops the load and names its line. Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=CATALOG_CSV, help="catalog CSV to load")
        parser.add_argument("--check", action="store_true", help="validate the file only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        started = time.perf_counter()
        try:
            if options["check"]:
                rows = read_catalog(path)
                self.stdout.write(self.style.SUCCESS(f"{path}: {len(rows)} foods, all valid."))
                self._report_groups(rows)
                return
            result = load_catalog(path)
        except CatalogError as exc:
            raise CommandError(f"Food catalog not loaded: {exc}") from None
        except FileNotFoundError:
            raise CommandError(f"Food catalog not loaded: {path} does not exist") from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Food catalog: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged ({elapsed:.2f} s)."
            )
        )

    def _report_groups(self, rows: Any) -> None:
        for group, count in group_counts(rows).items():
            self.stdout.write(f"  {group:<16} {count}")
