"""Tags that draw the day page's repeated elements (tracker.fragments) in one call each."""

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from tracker import fragments
from tracker.selectors import MealView

register = template.Library()


def _csrf(context: template.Context) -> str:
    return str(context.get("csrf_token") or "")


@register.simple_tag(takes_context=True)
def meal_chips(context: template.Context, meal: MealView) -> SafeString:
    return fragments.chips(meal, context["log"].favorite_ids, _csrf(context))


@register.simple_tag(takes_context=True)
def meal_items(context: template.Context, meal: MealView) -> SafeString:
    # (`item_links`: the page's addresses, reversed once for every meal; see day_context.)
    log: Any = context["log"]
    return fragments.item_rows(meal.items, log.favorite_ids, context["item_links"], _csrf(context))


@register.simple_tag
def field_block(field: BoundField) -> SafeString:
    return fragments.field_block(field)
