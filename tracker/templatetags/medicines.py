"""The day page's medicines section, drawn by its own view's context: one line in the day page."""

from typing import Any

from django import template

from tracker.views.medications import medicines_context

register = template.Library()


@register.inclusion_tag("tracker/_medicines.html", takes_context=True)
def medicines_section(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    log = context.get("log")
    medicines = getattr(log, "medicines", None)
    return {**medicines_context(request, context["day"], medicines), "csrf_token": context.get("csrf_token")}
