"""Small line charts drawn on the server as inline SVG, for the printable report.

Vector, so they print sharp; no script and no style attribute (the Content-Security-Policy allows
neither): only SVG presentation attributes, and classes that clinic.css styles. Each series has an
Okabe-Ito colour *and* its own dash pattern and marker, so the charts read in black and white too;
relapses are grey bands. Pure: no database, every shown string comes in already translated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008), the palette of the weekly charts (trends.figures).
BLUE = "#0072B2"
BLUISH_GREEN = "#009E73"
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
REDDISH_PURPLE = "#CC79A7"
SKY_BLUE = "#56B4E9"
INK = "#1b1f23"
GRID = "#c8cfcc"
BAND = "#b3b3b3"

WIDTH, HEIGHT = 300, 140
LEFT, RIGHT, TOP, BOTTOM = 30, 8, 8, 20
FONT_SIZE = 10
MARKER = 3.2
MONTH_LABELS_FROM_DAYS = 200  # beyond this, the x axis names months rather than days


@dataclass(frozen=True)
class Style:
    colour: str
    dash: str  # an SVG stroke-dasharray, "" for a solid line
    marker: str  # circle, square, diamond, triangle, cross


STYLES = {
    "score": Style(BLUE, "", "circle"),
    "fiber": Style(BLUISH_GREEN, "6 3", "triangle"),
    "processed": Style(VERMILLION, "2 2.5", "square"),
    "fatigue": Style(ORANGE, "7 3 2 3", "diamond"),
    "sleep": Style(REDDISH_PURPLE, "10 3", "cross"),
}


@dataclass(frozen=True)
class Chart:
    key: str  # STYLES key, also the element id's suffix
    title: str
    summary: str  # the trend in words: the chart's description for screen readers and its caption
    points: Sequence[tuple[date, float | None]]
    start: date
    end: date
    y_min: float
    y_max: float
    bands: Sequence[tuple[date, date]] = ()
    decimals: int = 1


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(factor * power for factor in (1.0, 2.0, 2.5, 5.0, 10.0) if raw <= factor * power + 1e-12)


def axis_range(values: Sequence[float], floor: float, ceiling: float | None) -> tuple[float, float]:
    """A y range holding the values, from `floor` (0 for most measures) to a round top, capped at `ceiling`."""
    top = max(values, default=floor + 1)
    step = nice_step(top - floor)
    top = math.ceil(top / step) * step if top > floor else floor + step
    if ceiling is not None:
        top = min(top, ceiling)
    return floor, top


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    r = MARKER
    if kind == "circle":
        return f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(r)}" fill="{colour}"/>'
    if kind == "square":
        return (
            f'<rect x="{_fmt(x - r)}" y="{_fmt(y - r)}" width="{_fmt(2 * r)}" height="{_fmt(2 * r)}" fill="{colour}"/>'
        )
    if kind == "diamond":
        d = r * 1.3
        points = f"{_fmt(x)},{_fmt(y - d)} {_fmt(x + d)},{_fmt(y)} {_fmt(x)},{_fmt(y + d)} {_fmt(x - d)},{_fmt(y)}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if kind == "triangle":
        d = r * 1.25
        points = f"{_fmt(x)},{_fmt(y - d)} {_fmt(x + d)},{_fmt(y + d * 0.8)} {_fmt(x - d)},{_fmt(y + d * 0.8)}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    # cross
    return (
        f'<path d="M{_fmt(x - r)} {_fmt(y - r)}L{_fmt(x + r)} {_fmt(y + r)}M{_fmt(x - r)} {_fmt(y + r)}'
        f'L{_fmt(x + r)} {_fmt(y - r)}" stroke="{colour}" stroke-width="1.8" fill="none"/>'
    )


def _short(day: date, long: bool) -> str:
    return formats.date_format(day, "M Y" if long else "j M")


def line_chart(chart: Chart) -> SafeString:
    """One series over [start, end] as an accessible SVG: title, description, axes, bands, line, markers."""
    style = STYLES[chart.key]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    days = max((chart.end - chart.start).days, 1)
    span = (chart.y_max - chart.y_min) or 1.0

    def x_of(day: date) -> float:
        return LEFT + plot_w * min(max((day - chart.start).days, 0), days) / days

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (min(max(value, chart.y_min), chart.y_max) - chart.y_min) / span)

    ident = f"chart-{chart.key}"
    parts: list[str] = [
        format_html(
            '<svg class="clinic-chart-svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            WIDTH,
            HEIGHT,
            ident,
            ident,
            ident,
            chart.title,
            ident,
            chart.summary,
        )
    ]
    for first, last in chart.bands:
        x0, x1 = x_of(max(first, chart.start)), x_of(min(last, chart.end))
        parts.append(
            f'<rect class="chart-band" x="{_fmt(x0)}" y="{TOP}" width="{_fmt(max(x1 - x0, 2))}" '
            f'height="{plot_h}" fill="{BAND}" fill-opacity="0.45"/>'
        )
    step = nice_step(span)
    tick = chart.y_min
    while tick <= chart.y_max + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="{GRID}" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text class="chart-text" x="{LEFT - 4}" y="{_fmt(y + FONT_SIZE * 0.35)}" font-size="{FONT_SIZE}" '
            f'text-anchor="end" fill="{INK}">{escape(_fmt(tick))}</text>'
        )
        tick += step
    bottom = TOP + plot_h
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="{INK}" stroke-width="0.8"/>'
    )
    long = days > MONTH_LABELS_FROM_DAYS
    for day, anchor in (
        (chart.start, "start"),
        (chart.start + (chart.end - chart.start) / 2, "middle"),
        (chart.end, "end"),
    ):
        parts.append(
            f'<text class="chart-text" x="{_fmt(x_of(day))}" y="{bottom + FONT_SIZE + 3}" font-size="{FONT_SIZE}" '
            f'text-anchor="{anchor}" fill="{INK}">{escape(_short(day, long))}</text>'
        )
    runs: list[list[tuple[float, float]]] = [[]]
    for day, value in chart.points:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x_of(day), y_of(value)))
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{style.colour}" stroke-width="1.8"{dash} '
                'stroke-linejoin="round" stroke-linecap="round"/>'
            )
    for run in runs:
        parts.extend(_marker(style.marker, x, y, style.colour) for x, y in run)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape/format_html


def legend_swatch(key: str) -> SafeString:
    """The series' line and marker, small, for a caption: the same in colour and in black and white."""
    style = STYLES[key]
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    return mark_safe(  # noqa: S308 - no text: numbers and constants only
        '<svg class="clinic-chart-swatch" viewBox="0 0 30 10" aria-hidden="true" focusable="false">'
        f'<line x1="1" x2="29" y1="5" y2="5" stroke="{style.colour}" stroke-width="1.8"{dash}/>'
        f"{_marker(style.marker, 15, 5, style.colour)}</svg>"
    )
