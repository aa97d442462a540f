from datetime import date
from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("guidance/day_score_panel.html")
def day_score_panel(patient: Any, day: date) -> dict[str, Any]:
    """The day's score with one line per rule (filled in by the guidance engine)."""
    return {"patient": patient, "day": day, "score": None}
