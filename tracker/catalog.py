"""The food catalog: search keys, the shipped CSV and its loader.

`tracker/data/foods.csv` is the curated shared catalog (see tracker/data/README.md);
`load_catalog` upserts it. The type-ahead search over it is `tracker.selectors.search_foods`.
"""

import csv
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tracker.measures import FERMENTED_FAMILIES, NOVA_GROUPS
from tracker.models import Food, FoodGroup

GRAMS_PER_100G = 100  # nutrients per 100 g cannot add up to more than the 100 g
CATALOG_CSV = Path(__file__).resolve().parent / "data" / "foods.csv"

_NON_WORD = re.compile(r"[\W_]+")
# Letters that NFKD does not split into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})


def normalize(text: str) -> str:
    """Lower-case, accent-free text: 'Crème fraîche' -> 'creme fraiche', 'Bœuf' -> 'boeuf'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def words(text: str) -> str:
    """Normalized text with punctuation turned into single spaces: "Pain d'épices" -> 'pain d epices'."""
    return " ".join(_NON_WORD.sub(" ", normalize(text)).split())


def search_key(name_en: str, name_fr: str) -> str:
    """What `Food.search_text` holds: 'apple | pomme'. Words are separated by single spaces,
    so a word prefix is either the start of the key or follows a space."""
    return f"{words(name_en)} | {words(name_fr)}"[:300]


# ---------------------------------------------------------------- the CSV


class CatalogError(ValueError):
    """A bad catalog file; the message names the file and line."""


@dataclass(frozen=True)
class FoodRow:
    name_en: str
    name_fr: str
    default_portion_g: float
    household_measure_en: str
    household_measure_fr: str
    fiber_g_per_100g: float
    sat_fat_g_per_100g: float
    added_sugar: bool
    nova_group: int
    fermented: bool
    raw: bool
    groups: list[str]
    source: str
    fermented_family: str
    animal_sat_fat_share: float
    alcohol_abv: float


CSV_COLUMNS = [f.name for f in fields(FoodRow)]
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}
_KNOWN_GROUPS = set(FoodGroup.values)
# Text column -> max length (the model's limits) and whether it may be empty.
_TEXT_LIMITS = {
    "name_en": (120, False),
    "name_fr": (120, False),
    "household_measure_en": (80, False),
    "household_measure_fr": (80, False),
    "source": (160, False),
}
# Numeric column -> inclusive range. Portions stay below the model's 2 kg limit and realistic.
_RANGES = {
    "default_portion_g": (0.1, 1000.0),
    "fiber_g_per_100g": (0.0, 100.0),
    "sat_fat_g_per_100g": (0.0, 100.0),
    "animal_sat_fat_share": (0.0, 1.0),
    "alcohol_abv": (0.0, 100.0),
}


def _parse_row(raw: dict[str, Any]) -> FoodRow:
    """One CSV row -> FoodRow, or ValueError saying what is wrong."""
    if None in raw:
        raise ValueError("too many columns (a comma inside a value must be quoted)")
    missing = [c for c in CSV_COLUMNS if raw.get(c) is None]
    if missing:
        raise ValueError(f"missing value for {', '.join(missing)}")
    values: dict[str, Any] = {}
    for name, (limit, blank_ok) in _TEXT_LIMITS.items():
        text = raw[name].strip()
        if "\x00" in text:
            raise ValueError(f"{name} contains a NUL byte")
        if not text and not blank_ok:
            raise ValueError(f"{name} is empty")
        if len(text) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
        values[name] = text
    for name, (low, high) in _RANGES.items():
        try:
            number = float(raw[name].strip())
        except ValueError:
            raise ValueError(f"{name} {raw[name]!r} is not a number") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"{name} {raw[name]!r} is outside {low:g}-{high:g}")
        values[name] = number
    if values["fiber_g_per_100g"] + values["sat_fat_g_per_100g"] > GRAMS_PER_100G:
        raise ValueError("fiber and saturated fat add up to more than 100 g per 100 g")
    for name in ("added_sugar", "fermented", "raw"):
        flag = raw[name].strip().lower()
        if flag not in _TRUE | _FALSE:
            raise ValueError(f"{name} {raw[name]!r} is not 0/1/yes/no")
        values[name] = flag in _TRUE
    nova = raw["nova_group"].strip()
    if nova not in {str(group) for group in NOVA_GROUPS}:
        raise ValueError(f"nova_group {nova!r} is not 1, 2, 3 or 4")
    values["nova_group"] = int(nova)
    groups = [g.strip() for g in raw["groups"].split(";") if g.strip()]
    unknown = [g for g in groups if g not in _KNOWN_GROUPS]
    if unknown:
        raise ValueError(f"unknown food group {', '.join(map(repr, unknown))} (known: {', '.join(FoodGroup.values)})")
    if len(set(groups)) != len(groups):
        raise ValueError("a food group is listed twice")
    values["groups"] = groups
    family = raw["fermented_family"].strip()
    if family and family not in FERMENTED_FAMILIES:
        raise ValueError(f"fermented_family {family!r} is not one of {', '.join(FERMENTED_FAMILIES)} (or empty)")
    if family and not values["fermented"]:
        raise ValueError("a food with a fermented_family must be fermented (1)")
    values["fermented_family"] = family
    return FoodRow(**values)


def read_catalog(path: Path | str = CATALOG_CSV) -> list[FoodRow]:
    """Every row of a catalog CSV, validated; CatalogError names the first bad line."""
    path = Path(path)
    rows: list[FoodRow] = []
    first_line: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            if sorted(header) != sorted(CSV_COLUMNS):
                raise CatalogError(
                    f"{path}:1: columns must be {', '.join(CSV_COLUMNS)}; got {', '.join(header) or 'nothing'}"
                )
            for raw in reader:
                line = reader.line_num
                try:
                    row = _parse_row(raw)
                except ValueError as exc:
                    raise CatalogError(f"{path}:{line}: {exc}") from None
                key = row.name_en.casefold()
                if key in first_line:
                    raise CatalogError(f"{path}:{line}: {row.name_en!r} is already on line {first_line[key]}")
                first_line[key] = line
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise CatalogError(f"{path}: {exc}") from None
    if not rows:
        raise CatalogError(f"{path}: no foods")
    return rows


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


# bulk_update() does not touch auto_now fields: updated_at is set by hand (the search cache watches it).
_LOADED_FIELDS = [*CSV_COLUMNS, "search_text", "updated_at"]


def load_catalog(path: Path | str = CATALOG_CSV, model: type[models.Model] | None = None) -> LoadResult:
    """Upsert the shared catalog from the CSV, keyed on name_en among shared (owner-less) foods.

    Idempotent: a second run changes nothing. Foods missing from the file are kept (meals may
    point at them). `model` lets a data migration pass its historical Food model.
    """
    rows = read_catalog(path)
    food_model: Any = model or Food
    now = timezone.now()
    with transaction.atomic():
        existing: dict[str, Any] = {}
        for food in food_model.objects.filter(owner__isnull=True).order_by("pk"):
            existing.setdefault(food.name_en, food)
        to_create, to_update = [], []
        for row in rows:
            values = {name: getattr(row, name) for name in CSV_COLUMNS}
            values["search_text"] = search_key(row.name_en, row.name_fr)
            food = existing.get(row.name_en)
            if food is None:
                to_create.append(food_model(owner=None, **values))
            elif any(getattr(food, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(food, name, value)
                food.updated_at = now
                to_update.append(food)
        food_model.objects.bulk_create(to_create, batch_size=500)
        food_model.objects.bulk_update(to_update, _LOADED_FIELDS, batch_size=500)
    return LoadResult(
        created=len(to_create), updated=len(to_update), unchanged=len(rows) - len(to_create) - len(to_update)
    )


def group_counts(rows: Iterable[FoodRow]) -> dict[str, int]:
    """How many foods carry each food group tag (for the load report)."""
    counts = dict.fromkeys(FoodGroup.values, 0)
    for row in rows:
        for group in row.groups:
            counts[group] += 1
    return counts
