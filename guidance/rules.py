"""Rule kinds: their parameter forms, labels and the sentences that explain a day's points.

The maths lives in `guidance.scoring` (pure); this module is the Django side of each
kind: what an admin may set (one small form per kind, so errors are clear) and how a
breakdown line reads to a patient.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd
from django import forms
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from guidance import scoring

KIND_LABELS: dict[str, Promise] = {
    "daily_threshold": gettext_lazy("Daily threshold (at least / at most each day)"),
    "rolling_count": gettext_lazy("Count over the last days (at least / at most)"),
    "target": gettext_lazy("Partial credit toward a daily target"),
    "preference": gettext_lazy("Preference (one food group over another)"),
    "regularity": gettext_lazy("Regularity (spread over the last days)"),
    "medas": gettext_lazy("Mediterranean diet score (MEDAS, 13 items without wine)"),
}
KIND_CHOICES = [(kind, KIND_LABELS[kind]) for kind in scoring.KINDS]
OP_CHOICES = [("at_least", gettext_lazy("at least")), ("at_most", gettext_lazy("at most"))]

# measure -> (label for admins, noun for sentences, amount "%(value)s ...")
MEASURE_TEXTS: dict[str, tuple[Promise, Promise, Promise]] = {
    "vegetable": (
        gettext_lazy("Vegetables (servings)"),
        gettext_lazy("vegetables"),
        gettext_lazy("%(value)s serving(s) of vegetables"),
    ),
    "fruit": (gettext_lazy("Fruit (servings)"), gettext_lazy("fruit"), gettext_lazy("%(value)s serving(s) of fruit")),
    "legume": (
        gettext_lazy("Legumes (servings)"),
        gettext_lazy("legumes"),
        gettext_lazy("%(value)s serving(s) of legumes"),
    ),
    "whole_grain": (
        gettext_lazy("Whole grains (servings)"),
        gettext_lazy("whole grains"),
        gettext_lazy("%(value)s serving(s) of whole grains"),
    ),
    "fish_seafood": (
        gettext_lazy("Fish or seafood (servings)"),
        gettext_lazy("fish or seafood"),
        gettext_lazy("%(value)s serving(s) of fish or seafood"),
    ),
    "nuts": (gettext_lazy("Nuts (servings)"), gettext_lazy("nuts"), gettext_lazy("%(value)s serving(s) of nuts")),
    "olive_oil": (
        gettext_lazy("Olive oil (servings)"),
        gettext_lazy("olive oil"),
        gettext_lazy("%(value)s serving(s) of olive oil"),
    ),
    "other_veg_oil": (
        gettext_lazy("Other vegetable oils (servings)"),
        gettext_lazy("other vegetable oils"),
        gettext_lazy("%(value)s serving(s) of other vegetable oils"),
    ),
    "red_meat": (
        gettext_lazy("Red meat (servings)"),
        gettext_lazy("red meat"),
        gettext_lazy("%(value)s serving(s) of red meat"),
    ),
    "processed_meat": (
        gettext_lazy("Processed meat (servings)"),
        gettext_lazy("processed meat"),
        gettext_lazy("%(value)s serving(s) of processed meat"),
    ),
    "white_meat": (
        gettext_lazy("White meat (servings)"),
        gettext_lazy("white meat (chicken, turkey, rabbit)"),
        gettext_lazy("%(value)s serving(s) of white meat"),
    ),
    "butter_cream": (
        gettext_lazy("Butter, cream, margarine (servings)"),
        gettext_lazy("butter, cream or margarine"),
        gettext_lazy("%(value)s serving(s) of butter, cream or margarine"),
    ),
    "cheese": (
        gettext_lazy("Cheese (servings)"),
        gettext_lazy("cheese"),
        gettext_lazy("%(value)s serving(s) of cheese"),
    ),
    "sugary_drink": (
        gettext_lazy("Sugary drinks (servings)"),
        gettext_lazy("sugary drinks"),
        gettext_lazy("%(value)s sugary drink(s)"),
    ),
    "sweets_pastries": (
        gettext_lazy("Commercial sweets and pastries (servings)"),
        gettext_lazy("commercial sweets and pastries"),
        gettext_lazy("%(value)s serving(s) of commercial sweets or pastries"),
    ),
    "sofrito": (
        gettext_lazy("Sofrito (servings)"),
        gettext_lazy("sofrito (tomato, onion and garlic cooked in olive oil)"),
        gettext_lazy("%(value)s serving(s) of sofrito"),
    ),
    "very_spicy": (
        gettext_lazy("Very spicy foods (servings)"),
        gettext_lazy("very spicy foods"),
        gettext_lazy("%(value)s serving(s) of very spicy foods"),
    ),
    "animal_fat": (
        gettext_lazy("Animal fats (servings)"),
        gettext_lazy("animal fats (duck or goose fat, lard, foie gras)"),
        gettext_lazy("%(value)s serving(s) of animal fats"),
    ),
    "vegetable_g": (
        gettext_lazy("Vegetables (grams)"),
        gettext_lazy("vegetables"),
        gettext_lazy("%(value)s g of vegetables"),
    ),
    "raw_vegetable_g": (
        gettext_lazy("Raw vegetables and salad (grams)"),
        gettext_lazy("raw vegetables or salad"),
        gettext_lazy("%(value)s g of raw vegetables"),
    ),
    "fruit_g": (gettext_lazy("Fruit (grams)"), gettext_lazy("fruit"), gettext_lazy("%(value)s g of fruit")),
    "red_processed_meat_g": (
        gettext_lazy("Red or processed meat (grams)"),
        gettext_lazy("red or processed meat"),
        gettext_lazy("%(value)s g of red or processed meat"),
    ),
    "butter_cream_g": (
        gettext_lazy("Butter, cream, margarine (grams)"),
        gettext_lazy("butter, cream or margarine"),
        gettext_lazy("%(value)s g of butter, cream or margarine"),
    ),
    "sugary_drink_g": (
        gettext_lazy("Sugary drinks (ml)"),
        gettext_lazy("sugary drinks"),
        gettext_lazy("%(value)s ml of sugary drinks"),
    ),
    "legume_g": (gettext_lazy("Legumes (grams)"), gettext_lazy("legumes"), gettext_lazy("%(value)s g of legumes")),
    "fish_seafood_g": (
        gettext_lazy("Fish or seafood (grams)"),
        gettext_lazy("fish or seafood"),
        gettext_lazy("%(value)s g of fish or seafood"),
    ),
    "sweets_pastries_g": (
        gettext_lazy("Commercial sweets and pastries (grams)"),
        gettext_lazy("commercial sweets and pastries"),
        gettext_lazy("%(value)s g of commercial sweets or pastries"),
    ),
    "nuts_g": (gettext_lazy("Nuts (grams)"), gettext_lazy("nuts"), gettext_lazy("%(value)s g of nuts")),
    "white_meat_g": (
        gettext_lazy("White meat (grams)"),
        gettext_lazy("white meat (chicken, turkey, rabbit)"),
        gettext_lazy("%(value)s g of white meat"),
    ),
    "sofrito_g": (gettext_lazy("Sofrito (grams)"), gettext_lazy("sofrito"), gettext_lazy("%(value)s g of sofrito")),
    "other_veg_oil_g": (
        gettext_lazy("Other vegetable oils (grams)"),
        gettext_lazy("other vegetable oils"),
        gettext_lazy("%(value)s g of other vegetable oils"),
    ),
    "animal_fat_g": (
        gettext_lazy("Animal fats (grams)"),
        gettext_lazy("animal fats"),
        gettext_lazy("%(value)s g of animal fats"),
    ),
    "animal_sat_fat_g": (
        gettext_lazy("Saturated fat from animal foods (grams)"),
        gettext_lazy("saturated fat from animal foods"),
        gettext_lazy("%(value)s g of saturated fat from animal foods"),
    ),
    "alcohol_g": (
        gettext_lazy("Alcohol in drinks logged as food (grams)"),
        gettext_lazy("alcohol"),
        gettext_lazy("%(value)s g of alcohol"),
    ),
    "alcohol_drinks": (
        gettext_lazy("Alcohol (standard drinks of 10 g)"),
        gettext_lazy("alcohol"),
        gettext_lazy("%(value)s standard drink(s) of alcohol"),
    ),
    "raw_vegetable": (
        gettext_lazy("Raw vegetables and salad (servings)"),
        gettext_lazy("raw vegetables or salad"),
        gettext_lazy("%(value)s serving(s) of raw vegetables"),
    ),
    "red_processed_meat": (
        gettext_lazy("Red or processed meat (servings)"),
        gettext_lazy("red or processed meat"),
        gettext_lazy("%(value)s serving(s) of red or processed meat"),
    ),
    "fiber_g": (gettext_lazy("Fiber (grams)"), gettext_lazy("fiber"), gettext_lazy("%(value)s g of fiber")),
    "fermented": (
        gettext_lazy("Fermented foods (servings)"),
        gettext_lazy("fermented foods (yogurt, kefir, sauerkraut, kimchi, miso...)"),
        gettext_lazy("%(value)s serving(s) of fermented foods"),
    ),
    "nova4": (
        gettext_lazy("Ultra-processed foods, NOVA 4 (servings)"),
        gettext_lazy("ultra-processed foods"),
        gettext_lazy("%(value)s serving(s) of ultra-processed foods"),
    ),
    "processed": (
        gettext_lazy("Processed or pro-inflammatory foods (servings)"),
        gettext_lazy(
            "ultra-processed or pro-inflammatory foods (cold cuts, cheese, cream, very sugary or very spicy foods)"
        ),
        gettext_lazy("%(value)s serving(s) of processed or pro-inflammatory foods"),
    ),
    "added_sugar": (
        gettext_lazy("Foods with added sugar (servings)"),
        gettext_lazy("foods with added sugar"),
        gettext_lazy("%(value)s serving(s) of foods with added sugar"),
    ),
    "olive_oil_g": (
        gettext_lazy("Olive oil (grams)"),
        gettext_lazy("olive oil"),
        gettext_lazy("%(value)s g of olive oil"),
    ),
    "mid_sleep_minutes": (
        gettext_lazy("Mid-sleep time (minutes from midnight)"),
        gettext_lazy("mid-sleep time"),
        gettext_lazy("mid-sleep %(value)s minutes from midnight"),
    ),
    "total_sleep_minutes": (
        gettext_lazy("Total sleep (minutes)"),
        gettext_lazy("sleep"),
        gettext_lazy("%(value)s minutes of sleep"),
    ),
    "activity_minutes": (
        gettext_lazy("Physical activity (minutes)"),
        gettext_lazy("physical activity"),
        gettext_lazy("%(value)s minutes of physical activity"),
    ),
    "tobacco": (
        gettext_lazy("Tobacco (days smoked)"),
        gettext_lazy("tobacco"),
        gettext_lazy("tobacco on %(value)s day(s)"),
    ),
    "cigarettes": (gettext_lazy("Cigarettes"), gettext_lazy("cigarettes"), gettext_lazy("%(value)s cigarette(s)")),
    "alcohol_units": (
        gettext_lazy("Other alcoholic drinks, not logged as food (standard drinks of 10 g)"),
        gettext_lazy("other alcoholic drinks"),
        gettext_lazy("%(value)s other standard drink(s)"),
    ),
}
MEASURE_CHOICES = [(measure, MEASURE_TEXTS[measure][0]) for measure in scoring.MEASURES]

MEDAS_ITEM_TEXTS: dict[str, tuple[Promise, Promise]] = {
    # item -> (label, how to earn it)
    "olive_oil_main_fat": (
        gettext_lazy("Olive oil as the main added fat"),
        gettext_lazy("cook and dress with olive oil rather than butter or other oils"),
    ),
    "olive_oil_4_tbsp": (
        gettext_lazy("4 tablespoons of olive oil a day"),
        gettext_lazy("use about 4 tablespoons of olive oil over the day"),
    ),
    "vegetables_2_one_raw": (
        gettext_lazy("2 servings of vegetables a day, one raw"),
        gettext_lazy("have 2 servings of vegetables a day, one of them raw or as salad"),
    ),
    "fruit_3": (gettext_lazy("3 servings of fruit a day"), gettext_lazy("eat fruit 3 times a day")),
    "red_meat_under_1": (
        gettext_lazy("Less than 1 serving of red or processed meat a day"),
        gettext_lazy("keep red meat and cold cuts under one serving a day"),
    ),
    "butter_cream_under_1": (
        gettext_lazy("Less than 1 serving of butter, cream or margarine a day"),
        gettext_lazy("keep butter, cream and margarine under one serving a day"),
    ),
    "sugary_drinks_under_1": (
        gettext_lazy("Less than 1 sugary drink a day"),
        gettext_lazy("swap sugary drinks for water"),
    ),
    "legumes_3": (
        gettext_lazy("3 servings of legumes a week"),
        gettext_lazy("have legumes (lentils, beans, chickpeas) 3 times a week"),
    ),
    "fish_3": (
        gettext_lazy("3 servings of fish or seafood a week"),
        gettext_lazy("have fish or seafood 3 times a week"),
    ),
    "sweets_under_3": (
        gettext_lazy("Fewer than 3 commercial sweets or pastries a week"),
        gettext_lazy("keep commercial sweets and pastries under 3 a week"),
    ),
    "nuts_3": (gettext_lazy("3 servings of nuts a week"), gettext_lazy("have a handful of nuts 3 times a week")),
    "white_over_red_meat": (
        gettext_lazy("White meat rather than red meat"),
        gettext_lazy("choose chicken, turkey or rabbit rather than red meat or sausages"),
    ),
    "sofrito_2": (
        gettext_lazy("Sofrito twice a week"),
        gettext_lazy("cook with sofrito (tomato, onion and garlic in olive oil) twice a week"),
    ),
}
MEDAS_ITEM_CHOICES = [(item, MEDAS_ITEM_TEXTS[item][0]) for item in scoring.MEDAS_ITEMS]


class BaseParamsForm(forms.Form):
    waive_during_relapse = forms.BooleanField(
        required=False,
        label=gettext_lazy("Not counted on relapse days"),
        help_text=gettext_lazy("On days within a logged relapse the rule leaves the total."),
    )


# The longest window an admin may give a rule: four weeks of days logged at most.
MAX_WINDOW_DAYS = 28


class WindowMixin(forms.Form):
    window = forms.IntegerField(
        label=gettext_lazy("window (days)"),
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        initial=scoring.DEFAULT_WINDOW_DAYS,
        required=False,
    )

    def clean_window(self) -> int:
        return self.cleaned_data.get("window") or scoring.DEFAULT_WINDOW_DAYS


class DailyThresholdParams(BaseParamsForm):
    measure = forms.ChoiceField(label=gettext_lazy("measure"), choices=MEASURE_CHOICES)
    op = forms.ChoiceField(label=gettext_lazy("comparison"), choices=OP_CHOICES)
    value = forms.FloatField(label=gettext_lazy("value"), min_value=0, max_value=10000)


class RollingCountParams(WindowMixin, DailyThresholdParams):
    value = forms.FloatField(label=gettext_lazy("total over the window"), min_value=0, max_value=100000)


class TargetParams(BaseParamsForm):
    measure = forms.ChoiceField(label=gettext_lazy("measure"), choices=MEASURE_CHOICES)
    target = forms.FloatField(label=gettext_lazy("daily target"), min_value=0.1, max_value=10000)


class PreferenceParams(WindowMixin, BaseParamsForm):
    prefer = forms.ChoiceField(label=gettext_lazy("preferred measure"), choices=MEASURE_CHOICES)
    over = forms.ChoiceField(label=gettext_lazy("over this measure"), choices=MEASURE_CHOICES)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("prefer") and data.get("prefer") == data.get("over"):
            raise forms.ValidationError(gettext_lazy("The preferred measure and the other one must differ."))
        return data


class RegularityParams(WindowMixin, BaseParamsForm):
    measure = forms.ChoiceField(label=gettext_lazy("measure"), choices=MEASURE_CHOICES, initial="mid_sleep_minutes")
    min_days = forms.IntegerField(
        label=gettext_lazy("minimum days logged"), min_value=2, max_value=MAX_WINDOW_DAYS, initial=3
    )
    full_at = forms.FloatField(label=gettext_lazy("full points at or below this spread"), min_value=0, max_value=600)
    zero_at = forms.FloatField(label=gettext_lazy("no points at or above this spread"), min_value=1, max_value=720)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        full_at, zero_at = data.get("full_at"), data.get("zero_at")
        if full_at is not None and zero_at is not None and zero_at <= full_at:
            self.add_error("zero_at", gettext_lazy("Must be above the full-points spread."))
        window, min_days = data.get("window") or scoring.DEFAULT_WINDOW_DAYS, data.get("min_days")
        if min_days is not None and min_days > window:
            self.add_error("min_days", gettext_lazy("Cannot be more than the window."))
        return data


class MedasParams(WindowMixin, BaseParamsForm):
    items = forms.MultipleChoiceField(
        label=gettext_lazy("items counted"),
        choices=MEDAS_ITEM_CHOICES,
        required=False,
        help_text=gettext_lazy("Leave empty for all 13 items."),
    )

    def clean_items(self) -> list[str]:
        items = self.cleaned_data.get("items") or []
        # Keep MEDAS order whatever order they were given in.
        return [item for item in scoring.MEDAS_ITEMS if item in items]


PARAMS_FORMS: dict[str, type[BaseParamsForm]] = {
    "daily_threshold": DailyThresholdParams,
    "rolling_count": RollingCountParams,
    "target": TargetParams,
    "preference": PreferenceParams,
    "regularity": RegularityParams,
    "medas": MedasParams,
}


def validate_params(kind: str, params: Any) -> tuple[dict[str, Any], list[str]]:
    """Clean `params` for `kind`: the cleaned dict and a list of readable errors."""
    form_class = PARAMS_FORMS.get(kind)
    if form_class is None:
        return {}, [_("Unknown rule kind “%(kind)s”.") % {"kind": kind}]
    if not isinstance(params, Mapping):
        return {}, [_('Parameters must be a JSON object, e.g. {"measure": "fiber_g", "target": 25}.')]
    allowed = list(form_class.base_fields)
    errors: list[str] = []
    unknown = sorted(set(params) - set(allowed))
    for name in unknown:
        errors.append(
            _("Unknown parameter “%(name)s” for this kind. Allowed: %(allowed)s.")
            % {"name": name, "allowed": ", ".join(allowed)}
        )
    data: dict[str, Any] = {}
    for name, value in params.items():
        if name in unknown:
            continue
        if isinstance(value, bool):
            data[name] = "on" if value else ""
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "" if value is None else str(value)
    form = form_class(data)
    if not form.is_valid():
        for field_name, field_errors in form.errors.items():
            for message in field_errors:
                if field_name == "__all__":
                    errors.append(str(message))
                else:
                    errors.append(f"{field_name}: {message}")
    if errors:
        return {}, errors
    cleaned = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", [])}
    if not cleaned.get("waive_during_relapse"):
        cleaned.pop("waive_during_relapse", None)
    return cleaned, []


def rule_title(spec: Mapping[str, Any], language: str) -> str:
    return str(
        spec.get("title_fr") if language == "fr" and spec.get("title_fr") else spec.get("title_en") or spec["key"]
    )


def _num(value: float) -> str:
    return number_format(round(float(value), 1), decimal_pos=1 if round(float(value), 1) % 1 else 0)


def amount(measure: str, value: float) -> str:
    texts = MEASURE_TEXTS.get(measure)
    template = str(texts[2]) if texts else "%(value)s"
    return template % {"value": _num(value)}


def noun(measure: str) -> str:
    texts = MEASURE_TEXTS.get(measure)
    return str(texts[1]) if texts else measure


def _not_logged_tip(measure: str) -> str:
    logged_by = scoring.LOGGED_BY.get(measure, "logged")
    if logged_by == "sleep_logged":
        return _("Fill in your sleep diary to earn these points.")
    if logged_by == "lifestyle_logged":
        return _("Log your lifestyle (activity, tobacco, alcohol) to earn these points.")
    if logged_by == "food_or_lifestyle_logged":
        return _("Log what you ate and drank, or your lifestyle, to earn these points.")
    return _("Log what you ate to earn these points.")


def _based_on(days_logged: int, window: int, covered: int) -> str:
    """On how many days a figure rests: "Based on 3 of 7 days" (fewer days in a patient's first week)."""
    if window <= 1:
        return _("Day logged") if days_logged else _("Nothing logged for this day")
    values = {"logged": days_logged, "days": covered}
    if covered < window:
        return (
            ngettext(
                "Based on %(logged)s of %(days)s day (your first day)",
                "Based on %(logged)s of %(days)s days (the days since you joined)",
                covered,
            )
            % values
        )
    return ngettext("Based on %(logged)s of %(days)s day", "Based on %(logged)s of %(days)s days", covered) % values


def _at_most_daily(measure: str, value: float, limit: float) -> tuple[str, str]:
    """The count against a daily limit, and what is over it: no praise, the limit and the count."""
    if measure == "tobacco":
        if value > 0:
            return _("Tobacco today: yes."), _("A day without tobacco earns these points.")
        return _("Tobacco today: none."), ""
    counted = _("%(count)s of at most %(limit)s today.") % {"count": _num(value), "limit": amount(measure, limit)}
    if value > limit + 1e-9:
        return counted, _("That is %(over)s over the limit.") % {"over": amount(measure, value - limit)}
    return counted, ""


def explain(spec: Mapping[str, Any], line: Mapping[str, Any]) -> dict[str, str]:
    """Sentences for one breakdown line: what was counted, on how many days, how to earn the rest.

    "At most" rules state the count and the limit and never praise: staying under a limit of
    processed food is not an achievement the score congratulates.
    """
    kind = str(spec.get("kind"))
    params: Mapping[str, Any] = spec.get("params") or {}
    counted: Mapping[str, Any] = line.get("counted") or {}
    points, possible = float(line.get("points", 0)), float(line.get("possible", 0))
    days_logged, window = int(line.get("days_logged", 0)), int(line.get("window_days", 1))
    covered = int(counted.get("days_covered", window) or window)
    full = possible > 0 and points >= possible - 0.005
    measure = str(params.get("measure", ""))
    at_most = params.get("op") == "at_most"
    counted_text = ""
    tip = ""
    logged_text = _based_on(days_logged, window, covered)
    if kind in {"daily_threshold", "target"}:
        value = float(counted.get(measure, 0))
        goal_value = float(params.get("target", params.get("value", 0)))
        if not days_logged:
            tip = _not_logged_tip(measure)
        elif kind == "target":
            counted_text = _("Counted this day: %(amount)s.") % {"amount": amount(measure, value)}
            if not full:
                tip = _("%(missing)s more would reach the goal of %(goal)s.") % {
                    "missing": amount(measure, max(goal_value - value, 0)),
                    "goal": amount(measure, goal_value),
                }
        elif at_most:
            counted_text, tip = _at_most_daily(measure, value, goal_value)
        else:
            counted_text = _("Counted this day: %(amount)s.") % {"amount": amount(measure, value)}
            if not full:
                tip = _("Reach at least %(goal)s a day.") % {"goal": amount(measure, goal_value)}
    elif kind == "rolling_count":
        goal_value = float(params.get("value", 0))
        total = float(counted.get(measure, 0))
        if not days_logged:
            tip = _not_logged_tip(measure)
        elif at_most:
            counted_text = ngettext(
                "%(count)s of at most %(limit)s today.",
                "%(count)s of at most %(limit)s over the last %(days)s days.",
                covered,
            ) % {
                "count": _num(total),
                "limit": amount(measure, goal_value),
                "days": covered,
            }
            if total > goal_value + 1e-9:
                tip = _("That is %(over)s over the limit.") % {"over": amount(measure, total - goal_value)}
            elif days_logged < covered:
                tip = _("Within the limit; the points grow with the days you log.")
        else:
            goal = goal_value * covered / max(window, 1)
            counted_text = ngettext(
                "Counted today: %(amount)s.", "Counted over the last %(days)s days: %(amount)s.", covered
            ) % {
                "days": covered,
                "amount": amount(measure, total),
            }
            if total < goal - 1e-9:
                tip = ngettext(
                    "%(missing)s more today would reach %(goal)s.",
                    "%(missing)s more over %(days)s days would reach %(goal)s.",
                    covered,
                ) % {
                    "missing": amount(measure, goal - total),
                    "days": covered,
                    "goal": amount(measure, goal),
                }
    elif kind == "preference":
        prefer, over = str(params.get("prefer")), str(params.get("over"))
        counted_text = ngettext(
            "Today: %(preferred)s and %(avoided)s.",
            "Over the last %(days)s days: %(preferred)s and %(avoided)s.",
            covered,
        ) % {
            "days": covered,
            "preferred": amount(prefer, counted.get(prefer, 0)),
            "avoided": amount(over, counted.get(over, 0)),
        }
        if not full:
            tip = _("Choose %(prefer)s more often than %(over)s, and log every day.") % {
                "prefer": noun(prefer),
                "over": noun(over),
            }
    elif kind == "regularity":
        min_days = int(params.get("min_days", 3))
        spread = float(counted.get("spread_minutes", 0))
        if days_logged >= min_days:
            counted_text = _(
                "Your times varied by %(spread)s minutes (standard deviation) over %(days)s days logged."
            ) % {"spread": _num(spread), "days": days_logged}
            if not full:
                tip = _("Go to bed and get up at about the same times every day, weekends included.")
        else:
            counted_text = _("At least %(min)s days logged are needed to measure regularity.") % {"min": min_days}
            tip = _not_logged_tip(measure or "mid_sleep_minutes")
    elif kind == "medas":
        counted_text = ngettext(
            "%(met)s of %(items)s Mediterranean items met today.",
            "%(met)s of %(items)s Mediterranean items met over the last %(days)s days.",
            covered,
        ) % {
            "met": _num(float(counted.get("items_met", 0))),
            "items": int(counted.get("items", 13)),
            "days": covered,
        }
        work_on = [str(MEDAS_ITEM_TEXTS[item][1]) for item in counted.get("work_on", []) if item in MEDAS_ITEM_TEXTS]
        if not days_logged:
            counted_text = ""
            tip = _not_logged_tip("vegetable")
        elif work_on:
            # Translators: between two pieces of advice; French puts a space before the semicolon.
            tip = _("To earn more: %(tips)s.") % {"tips": pgettext("list separator", "; ").join(work_on)}
    if line.get("waived"):
        tip = _("Not counted during a relapse: rest and recovery come first.")
    elif full and not at_most and not tip:
        tip = _("Goal reached.")
    return {"counted": counted_text, "logged": logged_text, "tip": tip}


# What each MEDAS item counts, as the food measures of the day (the day panel lists those foods).
MEDAS_ITEM_MEASURES: dict[str, tuple[str, ...]] = {
    "olive_oil_main_fat": ("olive_oil_g", "other_veg_oil_g", "butter_cream_g", "animal_fat_g"),
    "olive_oil_4_tbsp": ("olive_oil_g",),
    "vegetables_2_one_raw": ("vegetable_g",),
    "fruit_3": ("fruit_g",),
    "red_meat_under_1": ("red_processed_meat_g",),
    "butter_cream_under_1": ("butter_cream_g",),
    "sugary_drinks_under_1": ("sugary_drink_g",),
    "legumes_3": ("legume_g",),
    "fish_3": ("fish_seafood_g",),
    "sweets_under_3": ("sweets_pastries_g",),
    "nuts_3": ("nuts_g",),
    "white_over_red_meat": ("white_meat_g", "red_processed_meat_g"),
    "sofrito_2": ("sofrito_g",),
}


def rule_measures(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The food measures whose foods a rule counts (empty for sleep and lifestyle rules)."""
    params: Mapping[str, Any] = spec.get("params") or {}
    if spec.get("kind") == "medas":
        return ()
    if spec.get("kind") == "preference":
        return (str(params.get("prefer")), str(params.get("over")))
    measure = str(params.get("measure", ""))
    if measure == "alcohol_drinks":
        return ("alcohol_g",)
    return (measure,) if measure in scoring.FOOD_MEASURES else ()


def _sample_days(start: date, days: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for offset, values in enumerate(days):
        row: dict[str, Any] = {"patient_id": 1, "date": start + timedelta(days=offset)}
        row.update(values)
        rows.append(row)
    return pd.DataFrame(rows)


def sample_weeks() -> list[tuple[str, pd.DataFrame]]:
    """Three made-up weeks the admin preview scores: what a rule change does to typical days."""
    start = date(2026, 1, 5)
    mediterranean = {
        "logged": 1,
        "sleep_logged": 1,
        "lifestyle_logged": 1,
        # MEDAS groups in grams (guidance.medas): 3 servings of vegetables, one raw, 3 fruit, half
        # servings of legumes, fish and nuts, some white meat and sofrito.
        "vegetable_g": 600,
        "raw_vegetable_g": 200,
        "fruit_g": 450,
        "legume_g": 75,
        "fish_seafood_g": 50,
        "nuts_g": 15,
        "olive_oil_g": 40,
        "white_meat_g": 30,
        "sofrito_g": 30,
        "whole_grain": 2,
        "fiber_g": 27,
        "fermented": 1,
        "processed": 0.5,
        "nova4": 0.5,
        "animal_sat_fat_g": 8,
        "activity_minutes": 30,
        "total_sleep_minutes": 450,
    }
    processed = {
        "logged": 1,
        "sleep_logged": 1,
        "lifestyle_logged": 1,
        "vegetable_g": 100,
        "fruit_g": 75,
        "red_processed_meat_g": 150,
        "red_meat": 0.5,
        "processed_meat": 1,
        "butter_cream_g": 12,
        "cheese": 1,
        "sugary_drink_g": 330,
        "sweets_pastries_g": 60,
        "fiber_g": 11,
        "nova4": 4,
        "processed": 6,
        "other_veg_oil_g": 13.5,
        "animal_sat_fat_g": 30,
        "activity_minutes": 5,
        "alcohol_units": 2,
        "total_sleep_minutes": 380,
    }
    partial = dict(mediterranean, fiber_g=18, fermented=0.5, processed=2)
    med_days = [dict(mediterranean, mid_sleep_minutes=180 + (i % 2) * 20) for i in range(7)]
    proc_days = [dict(processed, mid_sleep_minutes=150 + i * 25, tobacco=1, cigarettes=8) for i in range(7)]
    part_days = [dict(partial, mid_sleep_minutes=200) if i in (1, 3, 6) else {"logged": 0} for i in range(7)]
    return [
        (_("Mediterranean week"), _sample_days(start, med_days)),
        (_("Processed-food week"), _sample_days(start, proc_days)),
        (_("Week logged 3 of 7 days"), _sample_days(start, part_days)),
    ]


def preview(current: list[dict[str, Any]], proposed: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Score the sample weeks under the current and the proposed rules (last day of each week)."""
    rows = []
    for name, facts in sample_weeks():
        before = scoring.score_days(facts, current).iloc[-1] if current else None
        after = scoring.score_days(facts, proposed).iloc[-1] if proposed else None

        def rule_points(result: Any) -> str:
            if result is None or f"{key}:points" not in result:
                return "—"
            return f"{_num(result[f'{key}:points'])} / {_num(result[f'{key}:possible'])}"

        rows.append(
            {
                "name": name,
                "total_before": _num(before["total"]) if before is not None else "—",
                "total_after": _num(after["total"]) if after is not None else "—",
                "rule_before": rule_points(before),
                "rule_after": rule_points(after),
            }
        )
    return rows
