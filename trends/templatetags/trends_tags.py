from datetime import date
from typing import Any

from django import template

from trends import presenters

register = template.Library()


@register.inclusion_tag("trends/trend_charts.html", takes_context=True)
def trend_charts(context: template.Context, patient: Any, start: date, end: date) -> dict[str, Any]:
    """Weekly trend charts of `patient` over [start, end], each with a data table; a constant query count.

    Loads plotly.js, trends.js and trends.css the first time it renders on a page
    (not in htmx fragments: the page has them already). Reuses `trend_data` from
    the context when a view loaded the same patient and range already.
    """
    request = context.get("request")
    preloaded = context.get("trend_data")
    data = preloaded if getattr(preloaded, "key", None) == (patient.pk, start, end) else None
    values = presenters.charts_context(request, patient, start, end, data=data)
    flags = context.render_context
    values["include_assets"] = not getattr(request, "htmx", False) and not flags.get("trends_assets")
    flags["trends_assets"] = True
    return values
