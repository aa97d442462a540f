"""Plotly figure dicts for the weekly trend charts, and the table each one stands for.

Pure: stdlib only (no Django, no plotly import), so the figures are plain JSON
built in microseconds and tested without a browser. Every string shown comes in
through `text` (already translated by the caller).

Readable for everyone: the Okabe-Ito palette (told apart with the common colour
vision deficiencies) and, on top of colour, a distinct dash and marker per line;
axis titles carry units; relapses are grey bands with a legend entry; each chart
comes with a data table for screen readers and for pages without JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
# Colour, dash and marker per line: never colour alone.
LINE_STYLES: tuple[tuple[str, str, str], ...] = (
    (ORANGE, "dash", "square"),
    (SKY_BLUE, "dot", "diamond"),
    (BLUISH_GREEN, "dashdot", "triangle-up"),
    (BLUE, "longdash", "x"),
    (VERMILLION, "longdashdot", "cross"),
    (REDDISH_PURPLE, "dash", "star"),
    ("#7F7F7F", "dot", "triangle-down"),
)
# Bar fill patterns, so stacked parts differ by more than colour.
PATTERNS: tuple[str, ...] = ("", "/", ".", "x", "\\", "-", "+", "|")
RELAPSE_FILL = "rgba(90, 90, 90, 0.22)"
GRID = "#dfe5e3"
INK = "#1b1f23"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MAX_TICKS = 7
MIN_WEEKS = 4
MAX_WEEKS = 106  # two years: beyond that a chart of weekly points is unreadable


@dataclass(frozen=True)
class Column:
    label: str
    decimals: int


def week_grid(start: date, end: date) -> list[date]:
    """The Mondays of every ISO week overlapping [start, end] (at most MAX_WEEKS, the latest kept)."""
    first = start - timedelta(days=start.weekday())
    weeks = []
    monday = first
    while monday <= end:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks[-MAX_WEEKS:]


def relapse_bands(weeks: Sequence[Mapping[str, Any]]) -> list[tuple[date, date]]:
    """Merged runs of relapse days, as inclusive (first, last) dates, from the weeks' daily flags."""
    days: list[date] = []
    for week in weeks:
        figure = week.get("figure") or {}
        flags = figure.get("relapse") or []
        monday = week["week_start"]
        days.extend(monday + timedelta(days=i) for i, flag in enumerate(flags) if flag)
    bands: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if bands and (day - bands[-1][1]).days == 1:
            bands[-1] = (bands[-1][0], day)
        else:
            bands.append((day, day))
    return bands


def _value(week: Mapping[str, Any] | None, field: str, scale: float = 1.0) -> float | None:
    if week is None:
        return None
    value = week.get(field)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value) * scale, 2)


def _rule_points(week: Mapping[str, Any] | None, key: str) -> float | None:
    if week is None:
        return None
    for line in week.get("rule_means") or []:
        if line.get("key") == key:
            return round(float(line.get("points") or 0), 2)
    return None


def _rule_keys(weeks: Sequence[Mapping[str, Any]]) -> list[str]:
    """Rule keys in the order of the latest week that has them, then any older ones."""
    keys: list[str] = []
    for week in reversed(weeks):
        for line in week.get("rule_means") or []:
            if line.get("key") not in keys:
                keys.append(line["key"])
    return keys


def _line(
    name: str,
    x: list[str],
    y: list[float | None],
    style: tuple[str, str, str],
    hover: list[str],
    unit: str,
    decimals: int,
    *,
    axis: str = "y",
    width: float = 2.5,
    size: int = 8,
) -> dict[str, Any]:
    color, dash, symbol = style
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": y,
        "yaxis": axis,
        "connectgaps": False,
        "line": {"color": color, "dash": dash, "width": width},
        "marker": {"color": color, "symbol": symbol, "size": size, "line": {"color": color, "width": 1}},
        "customdata": hover,
        "hovertemplate": f"{name}<br>%{{customdata}}: %{{y:.{decimals}f}} {unit}<extra></extra>".replace(
            " <extra>", "<extra>"
        ),
    }


def _relapse_legend(text: Mapping[str, str]) -> dict[str, Any]:
    """A legend entry for the grey bands (shapes have none of their own)."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": text["relapse"],
        "x": [None],
        "y": [None],
        "marker": {"symbol": "square", "size": 14, "color": RELAPSE_FILL, "line": {"color": "#5a5a5a", "width": 1}},
        "hoverinfo": "skip",
    }


def _layout(
    grid: list[date],
    tick_text: Mapping[date, str],
    bands: list[tuple[date, date]],
    yaxis: dict[str, Any],
    yaxis2: dict[str, Any] | None,
    separators: str,
) -> dict[str, Any]:
    step = max(1, math.ceil(len(grid) / MAX_TICKS))
    ticks = grid[::step]
    layout: dict[str, Any] = {
        "height": 360,
        "margin": {"l": 60, "r": 64 if yaxis2 else 20, "t": 12, "b": 12},
        "font": {"family": FONT, "size": 13, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": separators,
        "hovermode": "closest",
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.08,
            "yanchor": "top",
            "font": {"size": 13},
            "traceorder": "normal",
        },
        "xaxis": {
            "type": "date",
            "range": [(grid[0] - timedelta(days=4)).isoformat(), (grid[-1] + timedelta(days=10)).isoformat()],
            "tickvals": [monday.isoformat() for monday in ticks],
            "ticktext": [tick_text.get(monday, monday.isoformat()) for monday in ticks],
            "gridcolor": GRID,
            "linecolor": "#6b7780",
            "fixedrange": True,
            "automargin": True,
        },
        "yaxis": {
            "gridcolor": GRID,
            "linecolor": "#6b7780",
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
            **yaxis,
        },
        "shapes": [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": first.isoformat(),
                "x1": (last + timedelta(days=1)).isoformat(),
                "y0": 0,
                "y1": 1,
                "fillcolor": RELAPSE_FILL,
                "line": {"width": 0},
                "layer": "below",
            }
            for first, last in bands
        ],
    }
    if yaxis2:
        layout["yaxis2"] = {
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "zeroline": False,
            "tickmode": "auto",
            "nticks": 6,
            "fixedrange": True,
            "automargin": True,
            "linecolor": "#6b7780",
            **yaxis2,
        }
    return layout


def _chart(
    chart_id: str,
    title: str,
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    columns: list[Column],
    rows: list[tuple[str, list[float | None]]],
    weeks_with_data: int,
) -> dict[str, Any]:
    return {
        "id": chart_id,
        "title": title,
        "figure": {
            "data": data,
            "layout": layout,
            "config": {"displayModeBar": False, "responsive": True, "displaylogo": False, "scrollZoom": False},
        },
        "table": {
            "columns": [{"label": c.label, "decimals": c.decimals} for c in columns],
            "rows": [
                {
                    "week": label,
                    "cells": [{"value": v, "decimals": c.decimals} for v, c in zip(values, columns, strict=True)],
                }
                for label, values in rows
            ],
        },
        "weeks_with_data": weeks_with_data,
    }


def build_charts(
    weeks: Sequence[Mapping[str, Any]],
    start: date,
    end: date,
    text: Mapping[str, str],
    rule_titles: Mapping[str, str],
    week_labels: Mapping[date, tuple[str, str]],
    separators: str = ".,",
    fiber_target: float | None = None,
) -> list[dict[str, Any]]:
    """The four trend charts over the weeks overlapping [start, end].

    `weeks`: summaries as mappings (week_start, mean_score, rule_means, fiber_g, ...,
    figure); a week without a summary is a gap, not a zero. `week_labels` maps each
    Monday to (short tick label, long label for hovers and tables).
    `separators`: plotly's decimal then thousands separator for the language.
    `fiber_target`: the published fiber rule's target in grams (its line and `text["fiber_target"]`
    name it), None when no published rule sets one: no line.
    """
    grid = week_grid(start, end)
    if not grid:
        return []
    by_week = {week["week_start"]: week for week in weeks}
    rows_in_grid = [by_week.get(monday) for monday in grid]
    present = [w for w in rows_in_grid if w is not None]
    bands = relapse_bands(present)
    x = [monday.isoformat() for monday in grid]
    ticks = {monday: week_labels.get(monday, (monday.isoformat(), monday.isoformat()))[0] for monday in grid}
    hover = [week_labels.get(monday, (monday.isoformat(), monday.isoformat()))[1] for monday in grid]
    relapse_days = [float(w["relapse_days"]) if w is not None else None for w in rows_in_grid]
    legend = _relapse_legend(text)
    charts = []

    def series(field: str, scale: float = 1.0) -> list[float | None]:
        return [_value(w, field, scale) for w in rows_in_grid]

    def with_data(values: list[float | None]) -> int:
        return sum(1 for v in values if v is not None)

    def table_rows(columns_values: list[list[float | None]]) -> list[tuple[str, list[float | None]]]:
        return [
            (hover[i], [values[i] for values in columns_values])
            for i in range(len(grid))
            if rows_in_grid[i] is not None
        ]

    # 1. Day score (line) over its parts: each rule's mean points, stacked (they add up to the score).
    score = series("mean_score")
    keys = _rule_keys(present)
    data = []
    rule_values = []
    for i, key in enumerate(keys):
        values = [_rule_points(w, key) for w in rows_in_grid]
        rule_values.append(values)
        color, _dash, _symbol = LINE_STYLES[i % len(LINE_STYLES)]
        name = rule_titles.get(key, key)
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": x,
                "y": values,
                "marker": {
                    "color": color,
                    "line": {"color": "#ffffff", "width": 0.5},
                    "pattern": {
                        "shape": PATTERNS[i % len(PATTERNS)],
                        "fillmode": "overlay",
                        "fgcolor": "#1b1f23",
                        "fgopacity": 0.5,
                        "size": 7,
                    },
                },
                "customdata": hover,
                "hovertemplate": f"{name}<br>%{{customdata}}: %{{y:.1f}} {text['points_unit']}<extra></extra>",
            }
        )
    data.append(_line(text["score_name"], x, score, (BLACK, "solid", "circle"), hover, "/ 100", 0, width=3, size=9))
    data.append(legend)
    layout = _layout(grid, ticks, bands, {"title": {"text": text["score_axis"]}, "range": [0, 105]}, None, separators)
    layout["barmode"] = "stack"
    layout["bargap"] = 0.3
    layout["height"] = 380 + 22 * len(keys)  # room for one legend line per rule on a phone
    columns = [
        Column(text["score_column"], 0),
        *(Column(f"{rule_titles.get(k, k)} ({text['points_unit']})", 1) for k in keys),
    ]
    charts.append(
        _chart("score", text["score_title"], data, layout, columns, table_rows([score, *rule_values]), with_data(score))
    )

    # 2. Fiber (bars, grams) with the target; fermented and processed servings (lines, right axis).
    fiber = series("fiber_g")
    fermented = series("fermented_servings")
    processed = series("processed_servings")
    data = [
        {
            "type": "bar",
            "name": text["fiber_name"],
            "x": x,
            "y": fiber,
            "marker": {
                "color": SKY_BLUE,
                "line": {"color": BLUE, "width": 1.5},
                "pattern": {"shape": "/", "fillmode": "overlay", "fgcolor": BLUE, "fgopacity": 0.6, "size": 8},
            },
            "customdata": hover,
            "hovertemplate": f"{text['fiber_name']}<br>%{{customdata}}: %{{y:.1f}} g<extra></extra>",
        },
        _line(
            text["fermented_name"],
            x,
            fermented,
            (BLUISH_GREEN, "solid", "diamond"),
            hover,
            text["servings_unit"],
            1,
            axis="y2",
        ),
        _line(
            text["processed_name"], x, processed, (VERMILLION, "dash", "x"), hover, text["servings_unit"], 1, axis="y2"
        ),
        legend,
    ]
    if fiber_target is not None:
        data.insert(
            1,
            {
                "type": "scatter",
                "mode": "lines",
                "name": text["fiber_target"],
                "x": [x[0], x[-1]],
                "y": [fiber_target, fiber_target],
                "line": {"color": BLACK, "dash": "dot", "width": 2},
                "hoverinfo": "skip",
            },
        )
    top = max([v for v in fiber if v is not None] + [fiber_target or 0.0, 1.0]) * 1.15
    top2 = max([v for v in fermented + processed if v is not None] + [3.0]) * 1.15
    layout = _layout(
        grid,
        ticks,
        bands,
        {"title": {"text": text["fiber_axis"]}, "range": [0, top]},
        {"title": {"text": text["servings_axis"]}, "range": [0, top2]},
        separators,
    )
    layout["bargap"] = 0.35
    columns = [
        Column(text["fiber_column"], 1),
        Column(text["fermented_column"], 1),
        Column(text["processed_column"], 1),
    ]
    charts.append(
        _chart(
            "food",
            text["food_title"],
            data,
            layout,
            columns,
            table_rows([fiber, fermented, processed]),
            with_data(fiber),
        )
    )

    # 3. Sleep duration (hours) and regularity (spread of mid-sleep, minutes; lower is more regular).
    sleep = series("sleep_minutes", 1 / 60)
    spread = series("mid_sleep_sd_minutes")
    data = [
        _line(text["sleep_name"], x, sleep, (BLUE, "solid", "circle"), hover, "h", 1, width=3),
        _line(text["regularity_name"], x, spread, (ORANGE, "dash", "triangle-up"), hover, "min", 0, axis="y2"),
        legend,
    ]
    top = max([v for v in sleep if v is not None] + [9.0]) * 1.15
    top2 = max([v for v in spread if v is not None] + [60.0]) * 1.15
    layout = _layout(
        grid,
        ticks,
        bands,
        {"title": {"text": text["sleep_axis"]}, "range": [0, top]},
        {"title": {"text": text["regularity_axis"]}, "range": [0, top2]},
        separators,
    )
    columns = [Column(text["sleep_column"], 1), Column(text["regularity_column"], 0), Column(text["relapse_column"], 0)]
    charts.append(
        _chart(
            "sleep",
            text["sleep_title"],
            data,
            layout,
            columns,
            table_rows([sleep, spread, relapse_days]),
            with_data(sleep),
        )
    )

    # 4. Fatigue (0-10) with the relapse bands.
    fatigue = series("fatigue_mean")
    data = [_line(text["fatigue_name"], x, fatigue, (VERMILLION, "solid", "circle"), hover, "/ 10", 1, width=3), legend]
    layout = _layout(
        grid,
        ticks,
        bands,
        {"title": {"text": text["fatigue_axis"]}, "range": [0, 10.4], "dtick": 2},
        None,
        separators,
    )
    columns = [Column(text["fatigue_column"], 1), Column(text["relapse_column"], 0)]
    charts.append(
        _chart(
            "fatigue",
            text["fatigue_title"],
            data,
            layout,
            columns,
            table_rows([fatigue, relapse_days]),
            with_data(fatigue),
        )
    )
    return charts
