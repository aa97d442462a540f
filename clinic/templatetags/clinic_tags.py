"""Template helpers of the clinic pages."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from clinic import fragments
from clinic.dashboard import PatientRow
from clinic.selectors import DayRow
from tracker.templatetags.tracker_tags import portion

register = template.Library()


@register.simple_tag
def day_foods(day: DayRow) -> SafeString:
    """A day's foods by meal, as the review page's day table lists them: "Breakfast: Oat flakes
    (1 bowl · 40 g), …". The same HTML as nested template loops, escaped the same way, in about
    four fifths of their time (a page of 14 days lists some 170 foods; `portion` is most of the rest)."""
    meals = (
        (
            meal,
            format_html_join(
                ", ", '{} <span class="muted">({})</span>', ((item.food.display_name, portion(item)) for item in items)
            ),
        )
        for meal, items in day.meals
    )
    return format_html(
        '<ul class="clinic-foods">{}</ul>', format_html_join("", "<li><strong>{}:</strong> {}</li>", meals)
    )


@register.simple_tag
def patient_rows(rows: list[PatientRow]) -> SafeString:
    """The dashboard's rows (clinic.fragments)."""
    return fragments.patient_rows(rows)
