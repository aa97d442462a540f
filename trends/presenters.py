"""Words and labels around the pure figures and insights: translations, dates, numbers.

The pure modules (weekly, figures, insights) stay free of Django; this module
turns their output into the sentences and labels a page shows, in the active
language.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache, partial
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext, pgettext

from guidance import selectors as guidance_selectors
from guidance.models import Rule, RuleSetVersion
from guidance.rules import rule_title
from msgut.kept_pages import kept_part, kept_part_if_any
from trends import figures, insights, selectors


def chart_text(fiber_target: float | None = None) -> dict[str, str]:
    """The charts' words; the fiber target's name carries the published target."""
    target = guidance_selectors.format_number(fiber_target) if fiber_target is not None else ""
    return {
        "relapse": gettext("Relapse (shaded)"),
        "score_title": gettext("Day score and its parts"),
        "score_axis": gettext("Points (out of 100)"),
        "points_unit": gettext("points"),
        "score_name": gettext("Day score (0-100)"),
        "score_column": gettext("Day score (0-100)"),
        "food_title": gettext("Fiber, fermented and processed foods"),
        "fiber_axis": gettext("Fiber (g per day)"),
        "fiber_name": gettext("Fiber (g per day)"),
        "fiber_target": gettext("Fiber target: %(target)s g") % {"target": target},
        "servings_axis": gettext("Servings per day"),
        "servings_unit": gettext("servings"),
        "fermented_name": gettext("Fermented foods (servings)"),
        "processed_name": gettext("Processed foods (servings)"),
        "fiber_column": gettext("Fiber (g per day)"),
        "fermented_column": gettext("Fermented (servings per day)"),
        "processed_column": gettext("Processed (servings per day)"),
        "sleep_title": gettext("Sleep"),
        "sleep_axis": gettext("Sleep (hours per night)"),
        "sleep_name": gettext("Sleep (hours)"),
        "regularity_axis": gettext("Mid-sleep spread (minutes)"),
        "regularity_name": gettext("Mid-sleep spread (min)"),
        "sleep_column": gettext("Sleep (hours per night)"),
        "regularity_column": gettext("Mid-sleep spread (minutes)"),
        "relapse_column": gettext("Relapse days"),
        "fatigue_title": gettext("Fatigue"),
        "fatigue_axis": gettext("Fatigue (0 none - 10 worst)"),
        "fatigue_name": gettext("Fatigue (0-10)"),
        "fatigue_column": gettext("Fatigue (0-10)"),
    }


def language() -> str:
    return (get_language() or "en")[:2]


def separators() -> str:
    """Plotly's decimal and thousands separators for the active language."""
    return ", " if language() == "fr" else ".,"


def short_date(day: date) -> str:
    return formats.date_format(day, "j M")


def long_date(day: date) -> str:
    return formats.date_format(day, "j M Y")


@lru_cache(maxsize=4096)
def _week_label(language_code: str, monday: date) -> tuple[str, str]:
    # Cached per language: a year of labels is formatted once per process, not on every page.
    return short_date(monday), gettext("Week of %(date)s") % {"date": long_date(monday)}


def week_labels(mondays: Iterable[date]) -> dict[date, tuple[str, str]]:
    code = get_language() or "en"
    return {monday: _week_label(code, monday) for monday in mondays}


def rule_titles(version: RuleSetVersion | None, keys: Iterable[str]) -> dict[str, str]:
    """Rule key -> title in the active language, as published; a rule older weeks scored but the
    published version no longer has takes its title from the rule table (one more query, rarely)."""
    lang = language()
    titles = (
        {spec["key"]: rule_title(spec, lang) for spec in guidance_selectors.version_specs(version)} if version else {}
    )
    missing = set(keys) - set(titles)
    if missing:
        for key, title_en, title_fr in Rule.objects.filter(key__in=missing).values_list("key", "title_en", "title_fr"):
            titles[key] = title_fr if lang == "fr" and title_fr else title_en
    return titles


def build_charts(weeks: Sequence[Mapping[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """The charts, with their rule titles and the fiber target line as published (one query)."""
    return _charts_under(guidance_selectors.current_version(), weeks, start, end)


def _charts_under(
    version: RuleSetVersion | None, weeks: Sequence[Mapping[str, Any]], start: date, end: date
) -> list[dict[str, Any]]:
    """`build_charts` under the current `version` the caller read (None: no rule set published yet)."""
    grid = figures.week_grid(start, end)
    target = guidance_selectors.published_target(version, "fiber_g")
    keys = {line["key"] for week in weeks for line in week.get("rule_means") or []}
    return figures.build_charts(
        weeks, start, end, chart_text(target), rule_titles(version, keys), week_labels(grid), separators(), target
    )


def drawn_charts(weeks: list[dict[str, Any]], start: date, end: date, prefix: str) -> SafeString:
    """The charts' figures (each with its data and table) drawn as HTML, kept (msgut.kept_pages.kept_part)
    while the summaries, the range, the published rule set, the language and the element ids' prefix
    are the same: building and drawing a year of them took a clinician's review and a patient's
    dashboard some 7 ms of CPU each time. Weeks scored by a rule the published set no longer has are
    drawn anew (their titles come from the rule table: one more query)."""
    return _kept_charts(repr(weeks), lambda: weeks, start, end, prefix, guidance_selectors.current_version_id())


def charts_by_digest(patient_id: int, start: date, end: date, prefix: str, lookup: selectors.ChartLookup) -> SafeString:
    """`drawn_charts` of the patient's summaries found by `selectors.chart_lookup`: the summaries
    are read only when their charts are not kept."""
    if lookup.digest == selectors.NO_WEEKS_DIGEST:
        return SafeString("")
    read = partial(selectors.chart_weeks, patient_id, start, end)
    return _kept_charts(f"md5:{lookup.digest}", read, start, end, prefix, lookup.version_id)


def _kept_charts(
    rows: str, read: Callable[[], list[dict[str, Any]]], start: date, end: date, prefix: str, version_id: int | None
) -> SafeString:
    """The kept charts of the summaries `rows` stands for (their text, or their digest) under the
    rule set `version_id`, else drawn from `read()` and kept."""

    def parts(version_id: int | None) -> tuple[str, ...]:
        return (rows, start.isoformat(), end.isoformat(), str(version_id), prefix)

    kept = kept_part_if_any("trends/charts", parts(version_id))
    if kept is not None:
        return SafeString(kept)
    # Drawn: the rule set itself is read now (a new one may have been published since its id was).
    version = guidance_selectors.current_version()
    weeks = read()
    if _unpublished_rules(version, weeks):
        return _draw_charts(version, weeks, start, end, prefix)
    drawing = partial(_draw_charts, version, weeks, start, end, prefix)
    return kept_part("trends/charts", parts(version.pk if version else None), drawing)


def _unpublished_rules(version: RuleSetVersion | None, weeks: list[dict[str, Any]]) -> bool:
    published = {spec["key"] for spec in guidance_selectors.version_specs(version)} if version else set()
    return any(line["key"] not in published for week in weeks for line in week.get("rule_means") or [])


def _draw_charts(
    version: RuleSetVersion | None, weeks: list[dict[str, Any]], start: date, end: date, prefix: str
) -> SafeString:
    charts = _charts_under(version, weeks, start, end)
    for chart in charts:
        chart["json_id"] = f"{prefix}-{chart['id']}-data"
        format_table(chart["table"])
    context = {"charts": charts, "prefix": prefix, "start": start, "end": end}
    return mark_safe(render_to_string("trends/trend_charts.html#chart-figures", context))  # noqa: S308 - a template's output


def number(value: float | None, decimals: int) -> str:
    if value is None:
        return "–"
    return formats.number_format(round(value, decimals), decimals)


@dataclass(frozen=True)
class MetricLabel:
    name: str
    unit: str
    decimals: int
    scale: float = 1.0


def metric_labels() -> dict[str, MetricLabel]:
    return {
        "score": MetricLabel(gettext("Day score"), gettext("out of 100"), 0),
        "fiber": MetricLabel(gettext("Fiber"), gettext("g per day"), 1),
        "fermented": MetricLabel(gettext("Fermented foods"), gettext("servings per day"), 1),
        "processed": MetricLabel(gettext("Processed foods"), gettext("servings per day"), 1),
        "sleep": MetricLabel(gettext("Sleep"), gettext("hours per night"), 1, 1 / 60),
        "regularity": MetricLabel(gettext("Mid-sleep spread"), gettext("minutes (lower is more regular)"), 0),
        "fatigue": MetricLabel(gettext("Fatigue"), gettext("out of 10"), 1),
    }


def _scaled(value: float | None, label: MetricLabel) -> float | None:
    return None if value is None else value * label.scale


def days_text(days: int) -> str:
    return ngettext("(%(days)s day)", "(%(days)s days)", days) % {"days": days}


def comparison_rows(comparisons: Sequence[insights.Comparison]) -> list[dict[str, Any]]:
    """Rows of the "this week against last" table."""
    labels = metric_labels()
    rows = []
    for item in comparisons:
        label = labels[item.metric]
        change = _scaled(item.change, label)
        if change is None:
            trend = ""
        elif round(change, label.decimals) == 0:
            trend = gettext("same")
        else:
            sign = "+" if change > 0 else "−"
            trend = f"{sign}{number(abs(change), label.decimals)}"
        rows.append(
            {
                "name": label.name,
                "unit": label.unit,
                "this": number(_scaled(item.this, label), label.decimals),
                "last": number(_scaled(item.last, label), label.decimals),
                "this_days": days_text(item.this_days),
                "last_days": days_text(item.last_days),
                "change": trend,
            }
        )
    return rows


def change_sentences(comparisons: Sequence[insights.Comparison], later: date) -> list[str]:
    labels = metric_labels()
    earlier = later - timedelta(days=7)
    sentences = []
    for item in comparisons:
        if not item.notable or item.change is None:
            continue
        label = labels[item.metric]
        values = {
            "metric": label.name,
            "before": number(_scaled(item.last, label), label.decimals),
            "after": number(_scaled(item.this, label), label.decimals),
            "unit": label.unit,
            "before_days": item.last_days,
            "after_days": item.this_days,
            "earlier": short_date(earlier),
            "later": short_date(later),
        }
        if item.change > 0:
            text = gettext(
                "%(metric)s went up from %(before)s to %(after)s %(unit)s between the week of %(earlier)s "
                "(%(before_days)s days with a value) and the week of %(later)s (%(after_days)s days)."
            )
        else:
            text = gettext(
                "%(metric)s went down from %(before)s to %(after)s %(unit)s between the week of %(earlier)s "
                "(%(before_days)s days with a value) and the week of %(later)s (%(after_days)s days)."
            )
        sentences.append(text % values)
    return sentences


def association_sentences(items: Sequence[insights.Association]) -> list[dict[str, Any]]:
    """Each association as an observation with its day counts, or what it still needs."""
    out = []
    for item in items:
        values: Mapping[str, Any] = {
            "exposed": number(item.exposed_mean, 1),
            "other": number(item.other_mean, 1),
            "exposed_days": item.exposed_days,
            "other_days": item.other_days,
            "fiber": number(insights.LOW_FIBER_G, 0),
            "hours": number(insights.SHORT_SLEEP_MINUTES / 60, 0),
            "needed": insights.MIN_DAYS,
        }
        if item.code == "fatigue_after_low_fiber":
            title = gettext("Fatigue after low-fiber days")
            if item.enough:
                text = gettext(
                    "On the %(exposed_days)s days after a day with under %(fiber)s g of fiber, your fatigue averaged "
                    "%(exposed)s out of 10; on the %(other_days)s days after a day with more fiber, %(other)s."
                )
            else:
                text = gettext(
                    "Not enough days yet to compare: %(exposed_days)s days after a low-fiber day and %(other_days)s "
                    "after other days with meals logged (%(needed)s of each are needed)."
                )
        elif item.code == "fatigue_after_short_sleep":
            title = gettext("Fatigue after short nights")
            if item.enough:
                text = gettext(
                    "On the %(exposed_days)s days after a night of under %(hours)s hours of sleep, your fatigue "
                    "averaged %(exposed)s out of 10; on the %(other_days)s days after longer nights, %(other)s."
                )
            else:
                text = gettext(
                    "Not enough days yet to compare: %(exposed_days)s days after a short night and %(other_days)s "
                    "after longer nights (%(needed)s of each are needed)."
                )
        else:
            title = pgettext("insight title", "Fatigue after fermented foods")
            if item.enough:
                text = gettext(
                    "On the %(exposed_days)s days after a day with at least one serving of fermented food, your "
                    "fatigue averaged %(exposed)s out of 10; on the %(other_days)s days after days without, %(other)s."
                )
            else:
                text = gettext(
                    "Not enough days yet to compare: %(exposed_days)s days after a day with fermented food and "
                    "%(other_days)s after days without (%(needed)s of each are needed)."
                )
        out.append({"title": title, "text": text % values, "enough": item.enough, "code": item.code})
    return out


def format_table(table: dict[str, Any]) -> None:
    """Render the table's body once, in Python, with numbers in the active language.

    A year of four tables is about 900 cells: plain string building here is many
    times faster than a template loop with a filter per cell. The week label is
    escaped; the cells are numbers we format ourselves, or a fixed "no data" mark.
    """
    decimal = html.escape(str(formats.get_format("DECIMAL_SEPARATOR")))
    missing = str(format_html('<span aria-label="{}">–</span>', gettext("no data")))
    lines = []
    for row in table["rows"]:
        cells = "".join(
            "<td>"
            + (missing if cell["value"] is None else f"{cell['value']:.{cell['decimals']}f}".replace(".", decimal))
            + "</td>"
            for cell in row["cells"]
        )
        lines.append(f'<tr><th scope="row">{html.escape(str(row["week"]))}</th>{cells}</tr>')
    table["body"] = mark_safe("\n".join(lines))  # noqa: S308 - built from escaped labels and formatted numbers


MAX_POLLS = 60  # 3 minutes of polling every 3 s; then the page asks for a reload


def charts_context(
    request: Any,
    patient: Any,
    start: date,
    end: date,
    data: Any = None,
    poll: int = 0,
    lookup: selectors.ChartLookup | None = None,
) -> dict[str, Any]:
    """What trends/trend_charts.html needs: the charts (or that they are being built) over [start, end].

    A constant number of queries whatever the history: on PostgreSQL one (the summaries' digest, the
    published rule set's id and the pending marker), and the summaries and the rule set themselves
    only when their charts are not kept; with `data` (selectors.ChartData, loaded by a view already)
    the rule set's id; with `lookup` (`selectors.chart_lookup`, made by a view already), none but
    the summaries' when their charts are not kept.
    """
    prefix = f"trend-{patient.pk}"
    if lookup is None and data is None:
        lookup = selectors.chart_lookup(patient.pk, start, end)
    if lookup is not None:  # (PostgreSQL) the summaries are read only if their charts are not kept
        charts = charts_by_digest(patient.pk, start, end, prefix, lookup)
        pending = lookup.pending
    else:
        data = data or selectors.chart_data(patient.pk, start, end)
        charts = drawn_charts(data.weeks, start, end, prefix) if data.weeks else SafeString("")
        pending = data.pending
    viewer = getattr(request, "user", None)
    own = viewer is not None and getattr(viewer, "pk", None) == patient.pk
    poll_url = ""
    if pending and own and poll < MAX_POLLS:
        query = urlencode({"start": start.isoformat(), "end": end.isoformat(), "poll": str(poll + 1)})
        poll_url = f"{reverse('trends:charts')}?{query}"
    return {
        "patient": patient,
        "start": start,
        "end": end,
        "charts": charts,
        "pending": pending,
        "poll_url": poll_url,
        "gave_up": pending and own and poll >= MAX_POLLS,
        "own": own,
        "reload_url": request.get_full_path() if request is not None else "",
        "prefix": prefix,
    }
