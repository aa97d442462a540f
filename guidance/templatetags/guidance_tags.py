from collections.abc import Iterable
from datetime import date
from typing import Any

from django import template
from django.utils.translation import get_language

from guidance import rules, selectors
from tracker.models import MealItem

register = template.Library()


@register.inclusion_tag("guidance/day_score_panel.html")
def day_score_panel(patient: Any, day: date, items: Iterable[MealItem] | None = None) -> dict[str, Any]:
    """The day's score with one line per rule: points, what was counted, days logged, how to earn the rest.

    A constant number of queries whatever the patient's history (see selectors.day_panel); `items`:
    the day's meal items with their foods when the caller has read them already.
    """
    if not getattr(patient, "is_authenticated", False):
        return {"panel": None, "day": day, "lines": []}
    return panel_context(selectors.day_panel(patient, day), patient, day, items)


def panel_context(
    panel: selectors.DayPanel, patient: Any, day: date, items: Iterable[MealItem] | None = None
) -> dict[str, Any]:
    """What the panel template draws from a day's score: a line per rule, with the foods it counted."""
    language = (get_language() or "en")[:2]
    specs = {spec["key"]: spec for spec in selectors.version_specs(panel.version)} if panel.version else {}
    foods = selectors.day_foods(patient, day, items) if panel.breakdown else []
    lines = []
    for entry in panel.breakdown:
        spec = specs.get(entry.get("key"), {"key": entry.get("key"), "kind": ""})
        medas_items = []
        if spec.get("kind") == "medas":
            chosen = (spec.get("params") or {}).get("items") or list(rules.MEDAS_ITEM_TEXTS)
            for item in chosen:
                if item in rules.MEDAS_ITEM_TEXTS:
                    counted = selectors.foods_counted(foods, rules.MEDAS_ITEM_MEASURES.get(item, ()))
                    medas_items.append({"label": rules.MEDAS_ITEM_TEXTS[item][0], "foods": _food_list(counted)})
        lines.append(
            {
                "key": entry.get("key"),
                "title": rules.rule_title(spec, language),
                "points": float(entry.get("points", 0)),
                "possible": float(entry.get("possible", 0)),
                "waived": bool(entry.get("waived")),
                "rationale": selectors.rationale_text(spec, language),
                "foods": _food_list(selectors.foods_counted(foods, rules.rule_measures(spec))),
                # "No food counted" only on a day with foods: an empty day already says nothing was logged.
                "counts_foods": bool(foods) and bool(rules.rule_measures(spec)),
                "medas_items": medas_items,
                **rules.explain(spec, entry),
            }
        )
    return {"panel": panel, "day": day, "lines": lines, "total": panel.total}


def _food_list(foods: list[selectors.DayFood]) -> str:
    """ "Plain yogurt (125 g), Kimchi (70 g)" in the active language's number format."""
    return ", ".join(f"{food.name} ({selectors.format_number(food.grams)} g)" for food in foods)
