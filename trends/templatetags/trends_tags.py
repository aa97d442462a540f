from datetime import date
from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("trends/trend_charts.html")
def trend_charts(patient: Any, start: date, end: date) -> dict[str, Any]:
    """Weekly trend charts for a patient over [start, end] (filled in by the charts issue)."""
    return {"patient": patient, "start": start, "end": end, "weeks": []}
