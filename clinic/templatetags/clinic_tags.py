"""Template helpers of the clinic pages."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from clinic.selectors import DayRow
from tracker.models import MealItem
from tracker.templatetags.tracker_tags import portion

register = template.Library()
WORDED = "clinic_day_foods"  # the render's cache: (food, amount) -> its words


@register.simple_tag(takes_context=True)
def day_foods(context: template.Context, day: DayRow) -> SafeString:
    """A day's foods by meal, as the review page's day table lists them: "Breakfast: Oat flakes
    (1 bowl · 40 g), …". Built here rather than in template loops: a page of 14 days lists some 170
    foods, mostly the same few amounts of the same foods, and the template engine's loops cost several
    times this (escaping is the same). Each food and amount is worded once per page."""
    found = context.render_context.get(WORDED)
    worded: dict[tuple[object, ...], str] = found if isinstance(found, dict) else {}
    context.render_context[WORDED] = worded

    def words(item: MealItem) -> str:
        key = (item.food_id, item.grams, item.unit, item.quantity)
        if key not in worded:
            worded[key] = format_html('{} <span class="muted">({})</span>', item.food.display_name, portion(item))
        return worded[key]

    meals = ((meal, mark_safe(", ".join(words(item) for item in items))) for meal, items in day.meals)  # noqa: S308 - each part is format_html's
    return format_html(
        '<ul class="clinic-foods">{}</ul>', format_html_join("", "<li><strong>{}:</strong> {}</li>", meals)
    )
