"""Small display helpers for the daily log."""

from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from msgut.kept_pages import new_token as make_token
from tracker.models import Food, Lifestyle, MealItem, SleepDiary, StoolEvent, SymptomLog
from tracker.selectors import RelapseLabel
from tracker.units import GRAMS, PORTION, Unit, counted, default_unit, units_for

register = template.Library()


@register.simple_tag
def relapse_label(label: RelapseLabel) -> SafeString:
    """One episode's relapse check: the same words on the patient's list, the clinician's page and the report."""
    return relapse_label_html(label)


def relapse_label_html(label: RelapseLabel) -> SafeString:
    """`relapse_label`, for pages drawn in Python (clinic.fragments)."""
    badge = {"relapse": " badge-danger", "pseudo": " badge-warn"}.get(label.tone, "")
    why = f'\n  <span class="relapse-reasons">{escape(label.why)}</span>' if label.why else ""
    return mark_safe(  # noqa: S308 - every text escaped
        f'<p class="relapse-check relapse-check-{escape(label.tone)}"><span class="badge{badge}">'
        f"{escape(label.headline)}</span>{why}</p>"
    )


@register.simple_tag
def new_token() -> str:
    """A fresh one-time token for a form that adds something."""
    return make_token()


# From 10 g on, a tenth of a gram is noise in what the page shows.
WHOLE_GRAMS_FROM = 10
# A portion reads as a count of household measures when it is within 2 % of a half measure,
# half a measure at least; otherwise as grams.
MEASURE_TOLERANCE = 0.02
MIN_MEASURES = 0.5


def _grams(value: float) -> str:
    return f"{value:.0f}" if value >= WHOLE_GRAMS_FROM or value == int(value) else f"{value:.1f}"


@register.filter
def default_portion(food: Food) -> str:
    """'1 bowl · 40 g': the usual portion in its household unit when the food has one."""
    usual = default_unit(food)
    measure = usual.counted(1) if usual else food.display_measure
    return _("%(measure)s · %(grams)s g") % {"measure": measure, "grams": _grams(food.default_portion_g)}


@register.filter
def food_units(food: Food) -> tuple[Unit, ...]:
    return units_for(food)


@register.filter
def usual_unit(food: Food) -> str:
    """The unit a one-tap add uses: the household unit of the usual portion, else the portion itself."""
    usual = default_unit(food)
    return usual.code if usual else PORTION


@register.filter
def grams_text(value: float) -> str:
    return _grams(value)


@register.filter
def portion(item: MealItem) -> str:
    """'2 slices · 80 g' as chosen, or '80 g', or '2 × 1 slice · 60 g' for a round number of measures."""
    food = item.food
    measures = (food.household_measure_en, food.household_measure_fr)
    return worded_portion(
        item.unit, item.quantity, item.grams, food.name_en, food.default_portion_g, measures, get_language()
    )


@lru_cache(maxsize=4096)
def worded_portion(
    unit: str,
    quantity: Decimal | None,
    grams: float,
    name_en: str,
    base: float,
    measures: tuple[str, str],
    language: str | None,
) -> str:
    """`portion` from what it depends on, worded once per language: a page of days lists the same
    breakfast again and again, and each wording looked the language up four or five times."""
    food = Food(
        name_en=name_en, default_portion_g=base, household_measure_en=measures[0], household_measure_fr=measures[1]
    )
    return _portion_text(MealItem(unit=unit, quantity=quantity, grams=grams, food=food))


def _portion_text(item: MealItem) -> str:
    grams = _grams(item.grams)
    if item.unit and item.quantity is not None and item.unit not in (GRAMS, PORTION):
        return _("%(measure)s · %(grams)s g") % {"measure": counted(item.unit, item.quantity), "grams": grams}
    if item.unit == GRAMS:
        return _("%(grams)s g") % {"grams": grams}
    base = item.food.default_portion_g
    if base:
        count = item.grams / base
        if abs(count * 2 - round(count * 2)) < MEASURE_TOLERANCE and count >= MIN_MEASURES:
            usual = default_unit(item.food)
            if usual:
                return _("%(measure)s · %(grams)s g") % {"measure": usual.counted(round(count, 1)), "grams": grams}
            n = formats.number_format(round(count, 1)) if count != int(count) else str(int(count))
            if n == "1":
                return _("%(measure)s · %(grams)s g") % {"measure": item.food.display_measure, "grams": grams}
            return _("%(n)s × %(measure)s · %(grams)s g") % {
                "n": n,
                "measure": item.food.display_measure,
                "grams": grams,
            }
    return _("%(grams)s g") % {"grams": grams}


@register.filter
def duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(m)s min") % {"m": rest}
    return _("%(h)s h %(m)02d min") % {"h": hours, "m": rest}


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


@register.filter
def get_item(mapping: Mapping[Any, object], key: object) -> object:
    return mapping.get(key) if mapping else None


QUALITY_WORDS = {1: _lazy("very poor"), 2: _lazy("poor"), 3: _lazy("fair"), 4: _lazy("good"), 5: _lazy("very good")}


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


def _short_duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    return _("%(h)s h %(m)02d") % {"h": hours, "m": rest} if hours else _("%(m)s min") % {"m": rest}


@register.filter
def sleep_line(sleep: SleepDiary) -> str:
    """'23:15–06:45 · 7 h 30 · fair': the night on one line."""
    parts = [f"{_clock(sleep.in_bed_at)}–{_clock(sleep.final_wake_at)}", _short_duration(sleep.total_sleep_minutes)]
    if sleep.quality:
        parts.append(str(QUALITY_WORDS[sleep.quality]))
    return " · ".join(parts)


@register.filter
def lifestyle_line(lifestyle: Lifestyle) -> str:
    """'Active 30 min · vitamin D 1000 IU · probiotic': what was logged, nothing for zeros."""
    parts = [_("active %(m)s min") % {"m": lifestyle.activity_minutes}]
    if lifestyle.tobacco:
        parts.append(_("%(n)s cigarettes") % {"n": lifestyle.cigarettes} if lifestyle.cigarettes else _("tobacco"))
    if lifestyle.alcohol_units:
        parts.append(
            _("alcohol %(u)s units")
            % {"u": formats.number_format(lifestyle.alcohol_units, use_l10n=True).rstrip("0").rstrip(".,")}
        )
    if lifestyle.vitamin_d_iu:
        parts.append(_("vitamin D %(iu)s IU") % {"iu": lifestyle.vitamin_d_iu})
    if lifestyle.propionate_mg:
        parts.append(_("propionate %(mg)s mg") % {"mg": lifestyle.propionate_mg})
    if lifestyle.probiotic:
        parts.append(_("probiotic"))
    if lifestyle.other_supplements:
        parts.append(lifestyle.other_supplements)
    return " · ".join(parts)


@register.filter
def symptoms_line(symptoms: SymptomLog | None, stools: list[StoolEvent]) -> str:
    """'Mood 6 · stress 3 · 1 bowel movement (type 4)'."""
    parts = []
    if symptoms is not None:
        if symptoms.mood is not None:
            parts.append(_("mood %(n)s") % {"n": symptoms.mood})
        if symptoms.stress is not None:
            parts.append(_("stress %(n)s") % {"n": symptoms.stress})
        if symptoms.note:
            parts.append(_("a note"))
    if stools:
        types = ", ".join(str(s.bristol_type) for s in stools)
        parts.append(
            ngettext("%(n)s bowel movement (type %(types)s)", "%(n)s bowel movements (types %(types)s)", len(stools))
            % {"n": len(stools), "types": types}
        )
    line = " · ".join(parts)
    return line[:1].upper() + line[1:]


@register.inclusion_tag("tracker/_day_score.html")
def folded_day_score(patient: Any, day: Any, panel: Any = None) -> dict[str, Any]:
    """The day's total on one line; its panel, a line per rule, is drawn when the patient opens it
    (tracker:day-score), so neither the page nor each save's answer pays for it unread. `panel`:
    the day's panel when the view read it already; a pending one (the day just changed) draws a line
    that asks for the score once the worker has stored it."""
    from guidance.selectors import day_panel  # noqa: PLC0415 - guidance loads after tracker
    from guidance.tasks import RESCORE_DELAY_SECONDS  # noqa: PLC0415

    panel = panel or day_panel(patient, day)
    # A pending line asks again a second after the worker's rescore is due.
    refresh_ms = (RESCORE_DELAY_SECONDS + 1) * 1000
    return {"panel": panel, "day": day, "total": panel.total, "lines": [], "refresh_ms": refresh_ms}
