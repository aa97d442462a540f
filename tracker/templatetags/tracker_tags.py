"""Small display helpers for the daily log."""

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from tracker.forms import new_token as make_token
from tracker.models import Food, MealItem

register = template.Library()


@register.simple_tag
def new_token() -> str:
    """A fresh one-time token for a form that adds something."""
    return make_token()


# From 10 g on, a tenth of a gram is noise in what the page shows.
WHOLE_GRAMS_FROM = 10
# A portion reads as a count of household measures when it is within 2 % of a half measure,
# half a measure at least; otherwise as grams.
MEASURE_TOLERANCE = 0.02
MIN_MEASURES = 0.5


def _grams(value: float) -> str:
    return f"{value:.0f}" if value >= WHOLE_GRAMS_FROM or value == int(value) else f"{value:.1f}"


@register.filter
def default_portion(food: Food) -> str:
    """'1 bowl · 40 g'."""
    return _("%(measure)s · %(grams)s g") % {"measure": food.display_measure, "grams": _grams(food.default_portion_g)}


@register.filter
def portion(item: MealItem) -> str:
    """'80 g' or '2 × 1 slice · 60 g' when the grams are a round number of household measures."""
    grams = _grams(item.grams)
    base = item.food.default_portion_g
    if base:
        count = item.grams / base
        if abs(count * 2 - round(count * 2)) < MEASURE_TOLERANCE and count >= MIN_MEASURES:
            n = formats.number_format(round(count, 1)) if count != int(count) else str(int(count))
            if n == "1":
                return _("%(measure)s · %(grams)s g") % {"measure": item.food.display_measure, "grams": grams}
            return _("%(n)s × %(measure)s · %(grams)s g") % {
                "n": n,
                "measure": item.food.display_measure,
                "grams": grams,
            }
    return _("%(grams)s g") % {"grams": grams}


@register.filter
def duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(m)s min") % {"m": rest}
    return _("%(h)s h %(m)02d min") % {"h": hours, "m": rest}


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


@register.filter
def get_item(mapping: Mapping[Any, object], key: object) -> object:
    return mapping.get(key) if mapping else None
