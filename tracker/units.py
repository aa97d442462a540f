"""Household units of the shared foods: a slice, a cup, a tablespoon… with the grams each weighs.

`tracker/data/units.csv` (name_en, unit, grams) gives every catalog food at least one unit; it is
read once per process, beside the catalog. A patient's own foods have their own portion only.
A meal item keeps its grams (what the guidance counts) and the unit and quantity chosen (what
the patient reads back and exports).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_lazy, npgettext

from tracker.models import Food

UNITS_CSV = Path(__file__).resolve().parent / "data" / "units.csv"
PORTION = "portion"
GRAMS = "g"

# Each unit's name, counted ("1 slice", "2 slices"): literal calls, so the catalogues carry them.
UNIT_NAMES: dict[str, Callable[[int], str]] = {
    "piece": lambda n: npgettext("unit", "piece", "pieces", n),
    "slice": lambda n: npgettext("unit", "slice", "slices", n),
    "cup": lambda n: npgettext("unit", "cup", "cups", n),
    "bowl": lambda n: npgettext("unit", "bowl", "bowls", n),
    "tbsp": lambda n: npgettext("unit", "tablespoon", "tablespoons", n),
    "tsp": lambda n: npgettext("unit", "teaspoon", "teaspoons", n),
    "glass": lambda n: npgettext("unit", "glass", "glasses", n),
    "handful": lambda n: npgettext("unit", "handful", "handfuls", n),
    "pot": lambda n: npgettext("unit", "pot", "pots", n),
    "mug": lambda n: npgettext("unit", "mug", "mugs", n),
    "can": lambda n: npgettext("unit", "can", "cans", n),
    "fillet": lambda n: npgettext("unit", "fillet", "fillets", n),
    "bar": lambda n: npgettext("unit", "bar", "bars", n),
    "punnet": lambda n: npgettext("unit", "punnet", "punnets", n),
    "scoop": lambda n: npgettext("unit", "scoop", "scoops", n),
    "portion": lambda n: npgettext("unit", "portion", "portions", n),
}
GRAMS_NAME = gettext_lazy("grams")


@dataclass(frozen=True)
class Unit:
    code: str
    grams: float

    @property
    def name(self) -> str:
        return UNIT_NAMES[self.code](1) if self.code in UNIT_NAMES else self.code

    def counted(self, quantity: Decimal | float) -> str:
        """'½ cup', '1 slice', '2 slices', '1.5 bowls'."""
        return counted(self.code, quantity)


def amount_text(quantity: Decimal | float) -> str:
    value = float(quantity)
    halves = {0.5: "½", 0.25: "¼", 0.75: "¾", 1.5: "1½", 2.5: "2½"}
    if value in halves:
        return halves[value]
    return f"{value:g}"


def counted(code: str, quantity: Decimal | float) -> str:
    value = float(quantity)
    word = UNIT_NAMES[code](2 if value > 1 else 1) if code in UNIT_NAMES else code
    return f"{amount_text(quantity)} {word}"


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[Unit, ...]]:
    table: dict[str, list[Unit]] = {}
    with UNITS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table.setdefault(row["name_en"], []).append(Unit(row["unit"], float(row["grams"])))
    return {name: tuple(units) for name, units in table.items()}


def units_for(food: Food) -> tuple[Unit, ...]:
    """The food's household units, its usual one first (a shared food's from the file)."""
    units = _table().get(food.name_en, ()) if food.owner_id is None else ()
    if not units:
        return (Unit(PORTION, food.default_portion_g),)
    usual = default_unit(food, units)
    return (usual, *[u for u in units if u != usual]) if usual else units


def default_unit(food: Food, units: tuple[Unit, ...] | None = None) -> Unit | None:
    """The unit one of which is the food's usual portion, if there is one."""
    for unit in units if units is not None else _table().get(food.name_en, ()):
        if abs(unit.grams - food.default_portion_g) <= 0.01 * food.default_portion_g:
            return unit
    return None


def unit_grams(food: Food, code: str) -> float | None:
    """Grams in one of `code` for this food; None for a unit the food does not offer."""
    if code == PORTION:
        return food.default_portion_g
    if code == GRAMS:
        return 1.0
    return next((u.grams for u in units_for(food) if u.code == code), None)
