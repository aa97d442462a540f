"""Demo history for the daily log; `load` is called by `manage.py load_demo`.

`make_history` is reusable: the clinic demo and the benchmark generator create
other patients with it. It is deterministic for a seed, picks foods from the
catalog by their tags (so it follows whatever the catalog holds) and writes with
bulk_create, so a year of days takes well under a second.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models, transaction
from django.utils import timezone

from tracker.measures import (
    MFIS_COGNITIVE,
    MFIS_ITEMS,
    MFIS_MAX_ANSWER,
    MFIS_PHYSICAL,
    MINUTES_PER_DAY,
    NOVA_ULTRA_PROCESSED,
    sleep_measures,
)
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    FavoriteFood,
    Food,
    Lifestyle,
    MealItem,
    MFISResponse,
    Recovery,
    Relapse,
    SavedMeal,
    SavedMealItem,
    Severity,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)

STYLES = ("mediterranean", "processed", "mixed")
NOTES = [
    "Long day at work, legs heavy in the evening.",
    "Walked to the market, felt good.",
    "Hot weather, more tired than usual.",
    "Slept badly, neighbours were noisy.",
    "Cooked a big pot of lentil soup for the week.",
    "Bloated after dinner.",
    "Good energy today.",
    "Visited family, ate out.",
]


@dataclass
class Pools:
    """Catalog foods grouped the way a day's meals are built."""

    grains: list[Food]
    breads: list[Food]
    fruit: list[Food]
    fermented: list[Food]
    nuts: list[Food]
    vegetables: list[Food]
    raw_vegetables: list[Food]
    legumes: list[Food]
    fish: list[Food]
    white_meat: list[Food]
    red_meat: list[Food]
    processed_meat: list[Food]
    olive_oil: list[Food]
    sofrito: list[Food]
    cheese: list[Food]
    butter: list[Food]
    sweets: list[Food]
    sugary_drinks: list[Food]
    ultra: list[Food]

    @classmethod
    def from_catalog(cls, foods: list[Food]) -> Pools:
        def group(name: str) -> list[Food]:
            return [f for f in foods if name in (f.groups or [])]

        def named(words: tuple[str, ...], fallback: list[Food]) -> list[Food]:
            hits = [f for f in foods if any(w in (f.search_text or f.name_en.lower()) for w in words)]
            return hits or fallback

        whole = group("whole_grain")
        vegetables = group("vegetable")
        return cls(
            grains=named(("oat", "muesli", "porridge"), whole),
            breads=named(("wholemeal bread", "whole wheat bread", "wholegrain bread", "rye bread"), whole),
            fruit=group("fruit"),
            fermented=[
                f
                for f in foods
                if f.fermented and "cheese" not in (f.groups or []) and f.nova_group < NOVA_ULTRA_PROCESSED
            ],
            nuts=group("nuts"),
            vegetables=vegetables,
            raw_vegetables=[f for f in vegetables if f.raw] or vegetables,
            legumes=group("legume"),
            fish=group("fish_seafood"),
            white_meat=group("white_meat"),
            red_meat=group("red_meat"),
            processed_meat=group("processed_meat"),
            olive_oil=group("olive_oil"),
            sofrito=group("sofrito"),
            cheese=group("cheese"),
            butter=group("butter_cream"),
            sweets=group("sweets_pastries"),
            sugary_drinks=group("sugary_drink"),
            ultra=[f for f in foods if f.nova_group == NOVA_ULTRA_PROCESSED and not f.fermented],
        )


def _meal_plan(pools: Pools, rng: random.Random, meal: str, healthy: bool) -> list[Food]:
    """The foods of one meal: a Mediterranean or a processed pattern."""
    p = pools
    parts: list[list[Food]]
    if meal == "breakfast":
        if healthy:
            parts = [rng.choice([p.grains, p.breads]), p.fruit, p.fermented]
            if rng.random() < 0.4:
                parts.append(p.nuts)
        else:
            parts = [p.sweets, rng.choice([p.butter, p.sugary_drinks])]
    elif meal in ("lunch", "dinner"):
        if healthy:
            protein = rng.choice([p.legumes, p.legumes, p.fish, p.fish, p.white_meat])
            parts = [p.vegetables, p.raw_vegetables, protein, p.olive_oil]
            if rng.random() < 0.5:
                parts.append(p.breads)
            if rng.random() < 0.35:
                parts.append(p.sofrito)
            if rng.random() < 0.6:
                parts.append(p.fruit)
        else:
            meat = rng.choice([p.processed_meat, p.red_meat, p.ultra])
            parts = [meat, p.ultra, rng.choice([p.cheese, p.butter])]
            if rng.random() < 0.5:
                parts.append(p.sugary_drinks)
            if rng.random() < 0.3:
                parts.append(p.vegetables)
    else:  # snack
        parts = (
            [rng.choice([p.nuts, p.fruit, p.fermented])]
            if healthy
            else [rng.choice([p.sweets, p.ultra, p.sugary_drinks])]
        )
    chosen: list[Food] = []
    chosen_ids: set[int] = set()  # by id: comparing model instances is slow in bulk generation
    for pool in parts:
        candidates = [f for f in pool if f.pk not in chosen_ids]
        if candidates:
            # Favour the first few foods of each pool: people eat the same foods often.
            top = candidates[: max(3, len(candidates) // 3)]
            food = rng.choice(top if rng.random() < 0.7 else candidates)
            chosen.append(food)
            chosen_ids.add(food.pk)
    return chosen


def _week_quality(style: str, week: int, rng: random.Random) -> float:
    """Probability that a meal follows the Mediterranean pattern that week."""
    if style == "mediterranean":
        return 0.9
    if style == "processed":
        return 0.2
    # Mixed: mostly good weeks with a run of worse ones.
    return 0.3 if week % 5 in (2, 3) else rng.uniform(0.75, 0.95)


def _clock(minutes: int) -> time:
    minutes %= MINUTES_PER_DAY
    return time(minutes // 60, minutes % 60)


def make_history(
    patient: Any,
    start: date,
    end: date,
    *,
    seed: int,
    style: str = "mediterranean",
    fatigue_trend: float = 0.0,
    log_probability: float = 1.0,
    writer: Callable[[type[models.Model], list[Any]], None] | None = None,
) -> dict[str, int]:
    """Create varied, realistic daily entries for `patient` from `start` to `end` inclusive.

    style: "mediterranean", "processed" or "mixed" (weeks of both).
    fatigue_trend: change of the fatigue rating per week (e.g. +0.4 = rising fatigue).
    log_probability: chance that a given day is logged at all.
    Meant for a range with no entries yet; one-per-day rows already there are kept.
    Does not enqueue rescoring: callers rescore the range if they need scores.
    writer(model, rows) inserts the rows (default: bulk_create; generate_data passes COPY).
    Returns how many rows of each kind were created.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    rng = random.Random(seed)
    pools = Pools.from_catalog(list(Food.objects.filter(owner__isnull=True).order_by("id")))
    meals: list[MealItem] = []
    sleeps: list[SleepDiary] = []
    fatigue: list[FatigueRating] = []
    symptoms: list[SymptomLog] = []
    stools: list[StoolEvent] = []
    lifestyles: list[Lifestyle] = []
    day = start
    while day <= end:
        if rng.random() >= log_probability:
            day += timedelta(days=1)
            continue
        offset = (day - start).days
        week = offset // 7
        quality = _week_quality(style, week, rng)
        weekend = day.weekday() >= 5
        healthy_day = 0
        for meal in ("breakfast", "lunch", "dinner", "snack"):
            if meal == "snack" and rng.random() < 0.45:
                continue
            healthy = rng.random() < quality
            healthy_day += int(healthy)
            for food in _meal_plan(pools, rng, meal, healthy):
                factor = (
                    rng.choice((0.75, 1.0, 1.0, 1.0, 1.5)) if not food.groups or "olive_oil" not in food.groups else 1.0
                )
                grams = max(1.0, round(food.default_portion_g * factor, 1))
                meals.append(MealItem(patient=patient, date=day, meal=meal, food=food, grams=min(grams, 2000.0)))

        # Sleep: later and shorter on poor weeks, lie-ins at weekends.
        bed = -75 + rng.randint(-40, 50) + (30 if quality < 0.5 else 0)
        tried = bed + rng.choice((0, 5, 10, 15, 20))
        latency = rng.choice((5, 10, 15, 20, 30, 45))
        awakenings = rng.choice((0, 1, 1, 2, 2, 3, 4))
        awake = awakenings * rng.randint(3, 15)
        wake = 405 + rng.randint(-35, 45) + (60 if weekend else 0)
        out = wake + rng.choice((0, 5, 10, 20, 30))
        measures = sleep_measures(_clock(bed), _clock(tried), latency, awake, _clock(wake), _clock(out))
        sleep_quality = max(1, min(5, round(1 + 4 * measures.efficiency - awakenings * 0.3 + rng.uniform(-0.6, 0.6))))
        if rng.random() < 0.93:
            sleeps.append(
                SleepDiary(
                    patient=patient,
                    date=day,
                    in_bed_at=_clock(bed),
                    tried_sleep_at=_clock(tried),
                    minutes_to_fall_asleep=latency,
                    awakenings=awakenings,
                    minutes_awake=awake,
                    final_wake_at=_clock(wake),
                    out_of_bed_at=_clock(out),
                    quality=sleep_quality,
                    total_sleep_minutes=measures.total_sleep_minutes,
                    time_in_bed_minutes=measures.time_in_bed_minutes,
                    efficiency=measures.efficiency,
                    mid_sleep_minutes=measures.mid_sleep_minutes,
                )
            )
        score = (
            3.5
            + fatigue_trend * week
            + (1.0 if quality < 0.5 else 0.0)
            + (4 - sleep_quality) * 0.5
            + rng.uniform(-1.3, 1.3)
        )
        fatigue.append(FatigueRating(patient=patient, date=day, score=max(0, min(10, round(score)))))
        if rng.random() < 0.8:
            symptoms.append(
                SymptomLog(
                    patient=patient,
                    date=day,
                    mood=max(0, min(10, round(7 - score * 0.3 + rng.uniform(-1.5, 1.5)))),
                    stress=max(0, min(10, round(3 + rng.uniform(-2, 3) + (1 if not weekend else -1)))),
                    note=rng.choice(NOTES) if rng.random() < 0.15 else "",
                )
            )
        for _n in range(rng.choice((0, 1, 1, 1, 2))):
            types = (3, 4, 4, 4, 5) if quality >= 0.5 else (1, 2, 3, 5, 6)
            stools.append(StoolEvent(patient=patient, date=day, bristol_type=rng.choice(types)))
        if rng.random() < 0.85:
            lifestyles.append(
                Lifestyle(
                    patient=patient,
                    date=day,
                    activity_minutes=rng.choice((0, 10, 20, 30, 30, 45, 60))
                    if quality >= 0.5
                    else rng.choice((0, 0, 10, 20)),
                    tobacco=False,
                    cigarettes=0,
                    alcohol_units=Decimal(rng.choice(("0", "0", "0", "1.5", "1.5", "3"))) if weekend else Decimal("0"),
                    vitamin_d_iu=1000 if rng.random() < 0.8 else 0,
                    propionate_mg=0,
                    probiotic=rng.random() < 0.3,
                )
            )
        day += timedelta(days=1)
    write = writer or bulk_insert
    counts = {}
    with transaction.atomic():
        for name, model, rows in (
            ("meal_items", MealItem, meals),
            ("sleep", SleepDiary, sleeps),
            ("fatigue", FatigueRating, fatigue),
            ("symptoms", SymptomLog, symptoms),
            ("lifestyle", Lifestyle, lifestyles),
            ("stool", StoolEvent, stools),
        ):
            write(model, rows)
            counts[name] = len(rows)
    return counts


def bulk_insert(model: type[models.Model], rows: list[Any]) -> None:
    """Insert generated rows; one-per-day rows already there are kept."""
    model._default_manager.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def mfis_items(rng: random.Random, level: float) -> list[int | None]:
    """21 plausible answers around `level` (0-4), physical items a little higher."""
    items: list[int | None] = []
    for number in range(1, MFIS_ITEMS + 1):
        bias = 0.4 if number in MFIS_PHYSICAL else (0.0 if number in MFIS_COGNITIVE else -0.3)
        items.append(max(0, min(MFIS_MAX_ANSWER, round(level + bias + rng.uniform(-0.8, 0.8)))))
    return items


def _load_foods(out: Any) -> None:
    try:
        call_command("load_foods", verbosity=0)
    except CommandError as error:  # the catalog command ships with the food catalog
        out.write(f"tracker demo: food catalog not loaded ({error})")


def load(users: dict[str, Any], out: Any) -> None:
    """About 12 weeks of the demo patient's log, with a relapse and MFIS every 4 weeks. Safe to run twice."""
    _load_foods(out)
    patient = users.get("patient")
    if patient is None:
        return
    if MealItem.objects.filter(patient=patient).exists() or FatigueRating.objects.filter(patient=patient).exists():
        out.write("tracker demo: history already there")
        return
    today = timezone.localdate()
    start = today - timedelta(days=84)
    counts = make_history(patient, start, today - timedelta(days=1), seed=2026, style="mixed", fatigue_trend=0.05)
    rng = random.Random(84)

    # Today: the morning is logged (sleep carried over, fatigue), meals are left to the demo user.
    FatigueRating.objects.get_or_create(patient=patient, date=today, defaults={"score": 4})

    tingling, _ = CustomSymptom.objects.get_or_create(patient=patient, name="Tingling in feet")
    SymptomRating.objects.bulk_create(
        [
            SymptomRating(patient=patient, date=start + timedelta(days=n), symptom=tingling, score=rng.randint(1, 5))
            for n in range(84)
            if rng.random() < 0.7
        ],
        ignore_conflicts=True,
    )

    relapse_start = today - timedelta(days=45)
    Relapse.objects.create(
        patient=patient,
        started_on=relapse_start,
        ended_on=relapse_start + timedelta(days=12),
        symptoms="Numbness and tingling in both legs, unsteady walking.",
        severity=Severity.MODERATE,
        lasted_over_24h=True,
        fever_or_infection=False,
        steroids=True,
        recovery=Recovery.FULL,
    )
    # A flare with a fever three weeks later: the app flags it as a possible pseudo-relapse.
    Relapse.objects.create(
        patient=patient,
        started_on=relapse_start + timedelta(days=24),
        ended_on=relapse_start + timedelta(days=25),
        symptoms="Old leg weakness came back during a cold with fever.",
        severity=Severity.MILD,
        lasted_over_24h=True,
        fever_or_infection=True,
        steroids=False,
        recovery=Recovery.FULL,
    )
    # MFIS every 4 weeks; the next one is due today.
    for weeks_ago, level in ((12, 1.6), (8, 2.2), (4, 1.9)):
        MFISResponse.objects.get_or_create(
            patient=patient,
            date=today - timedelta(weeks=weeks_ago),
            defaults={"items": mfis_items(rng, level), "completed": True},
        )

    # Favourites and a saved meal from the foods eaten most.
    breakfast = list(
        MealItem.objects.filter(patient=patient, meal="breakfast", date=today - timedelta(days=1)).values_list(
            "food_id", "grams"
        )
    )
    eaten = Counter(
        MealItem.objects.filter(patient=patient, meal__in=["breakfast", "snack"]).values_list("food_id", flat=True)
    )
    for food_id, _count in eaten.most_common(3):
        FavoriteFood.objects.get_or_create(patient=patient, food_id=food_id)
    if breakfast:
        saved, _ = SavedMeal.objects.get_or_create(patient=patient, name="My usual breakfast")
        SavedMealItem.objects.bulk_create(SavedMealItem(saved_meal=saved, food_id=f, grams=g) for f, g in breakfast)
    out.write(f"tracker demo: {counts['meal_items']} meal items over 12 weeks, 2 relapse episodes, 3 MFIS")
