"""The food search with 5,000 foods on PostgreSQL: server time per search, goal p95 <= 30 ms.

    .venv/bin/python -m bench.bench_search [--foods 5000] [--private 300] [--database NAME] [--keep]

Creates its own database (msgut_bench_search), loads the shipped catalog, then adds shared
variants of its foods (a qualifier and a brand word: "Salmon (baked), frozen, Norvika") until
the table holds --foods foods, --private of them the bench patient's own and 200 other
patients' (never shown to the bench patient). The patient has 90 days of meals and 20
favourites. Every query of tracker/data/search_cases.csv (in its language) is then timed:

  1. through `tracker.selectors.search_foods`, each word new to the process (the catalog index
     is built first and timed apart, as the first search after a start or a catalog change);
  2. the same queries again (words already seen);
  3. through the search view (the htmx results fragment, whole middleware stack, Django's test
     client; synonyms of the patient's language), the index rebuilt first so each word is new again.

Prints median and p95 server time per pass (and the CPU time of this process, which other
work on the machine does not inflate), the SQL queries per search and the load average;
writes JSON to bench/results/.
The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import ROOT, create_database, database_url, drop_database, setup_django
from bench.run import percentile

CASES_CSV = ROOT / "tracker" / "data" / "search_cases.csv"
GOAL_P95_MS = 30.0
QUALIFIERS = [
    ("frozen", "surgelé"),
    ("organic", "bio"),
    ("homemade", "maison"),
    ("low salt", "sans sel"),
    ("light", "allégé"),
    ("family pack", "format familial"),
    ("canteen", "cantine"),
    ("from the market", "du marché"),
    ("ready to eat", "prêt à consommer"),
    ("reduced sugar", "moins de sucre"),
]
SYLLABLES = ["ka", "lo", "mi", "ver", "nor", "vi", "sa", "tel", "ro", "dan", "bel", "quo", "zi", "pa", "lin", "gor"]


def brand_words(rng: random.Random, count: int) -> list[str]:
    """Made-up brand words, so the variants grow the vocabulary as real products do."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize())
    return sorted(words)


def generate(total: int, private: int, seed: int) -> tuple[Any, int]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import Profile, Role, User
    from tracker.catalog import load_catalog, search_key
    from tracker.models import FavoriteFood, Food, MealItem, MealType

    rng = random.Random(seed)
    load_catalog()
    catalog = list(Food.objects.filter(owner__isnull=True).order_by("pk"))
    password = make_password("bench-search-2026")
    users = User.objects.bulk_create(
        User(email=f"search{n}@bench.msgut", display_name=f"Search {n}", role=Role.PATIENT, password=password)
        for n in range(21)
    )
    Profile.objects.bulk_create(Profile(user=user) for user in users)
    patient, others = users[0], users[1:]
    brands = brand_words(rng, 400)

    def variant(owner: Any, n: int) -> Food:
        base = rng.choice(catalog)
        qualifier_en, qualifier_fr = rng.choice(QUALIFIERS)
        brand = rng.choice(brands)
        name_en = f"{base.name_en}, {qualifier_en}, {brand} {n}"[:120]
        name_fr = f"{base.name_fr}, {qualifier_fr}, {brand} {n}"[:120]
        return Food(
            name_en=name_en,
            name_fr=name_fr,
            search_text=search_key(name_en, name_fr),
            default_portion_g=base.default_portion_g,
            household_measure_en=base.household_measure_en,
            household_measure_fr=base.household_measure_fr,
            fiber_g_per_100g=base.fiber_g_per_100g,
            sat_fat_g_per_100g=base.sat_fat_g_per_100g,
            nova_group=base.nova_group,
            groups=base.groups,
            owner=owner,
        )

    others_private = 200
    shared = total - len(catalog) - private - others_private
    n = iter(range(1, total + 1))
    Food.objects.bulk_create([variant(None, next(n)) for _ in range(shared)], batch_size=1000)
    Food.objects.bulk_create([variant(patient, next(n)) for _ in range(private)], batch_size=1000)
    Food.objects.bulk_create([variant(rng.choice(others), next(n)) for _ in range(others_private)], batch_size=1000)
    today = datetime.now(UTC).date()
    MealItem.objects.bulk_create(
        MealItem(patient=patient, food=rng.choice(catalog), date=today - timedelta(days=d), meal=meal, grams=100)
        for d in range(90)
        for meal in MealType.values
    )
    FavoriteFood.objects.bulk_create(FavoriteFood(patient=patient, food=food) for food in rng.sample(catalog, 20))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # plans as on a database that has lived a while
    print(
        f"data: {Food.objects.count():,} foods ({len(catalog)} catalog, {shared:,} shared variants, "
        f"{private} the patient's own, {others_private} other patients'), "
        f"{MealItem.objects.count()} meal items, 20 favourites"
    )
    return patient, Food.objects.count()


def timings(calls: Sequence[Callable[[], Any]]) -> tuple[list[float], list[float], list[int]]:
    """Server time (wall clock) and this process's CPU time per call, in ms, and its SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    spent, cpu, queries = [], [], []
    for call in calls:
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            spent.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries.append(len(captured.captured_queries))
    return spent, cpu, queries


def figures(label: str, spent: list[float], cpu: list[float], queries: list[int]) -> dict[str, Any]:
    result = {
        "searches": len(spent),
        "median_ms": round(statistics.median(spent), 2),
        "p95_ms": round(percentile(spent, 0.95), 2),
        "max_ms": round(max(spent), 2),
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
        "queries": max(queries),
        "load_average": round(os.getloadavg()[0], 1),
    }
    verdict = "ok" if result["p95_ms"] <= GOAL_P95_MS else "OVER THE GOAL"
    print(
        f"{label}: {result['searches']} searches, median {result['median_ms']} ms, p95 {result['p95_ms']} ms "
        f"(goal <= {GOAL_P95_MS:g}: {verdict}), max {result['max_ms']} ms; CPU of this process median "
        f"{result['cpu_median_ms']} ms, p95 {result['cpu_p95_ms']} ms; {result['queries']} SQL queries each; "
        f"load average {result['load_average']} on {os.cpu_count()} cores"
    )
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from tracker import selectors

    call_command("migrate", verbosity=0, interactive=False)
    patient, total = generate(args.foods, args.private, args.seed)
    with CASES_CSV.open(encoding="utf-8", newline="") as handle:
        cases = list(dict.fromkeys((row["query"], row["lang"]) for row in csv.DictReader(handle)))

    def fresh_index() -> float:
        """Forget every cached index and word, rebuild the catalog's; its time in ms. (Once per
        process, as the first search after a start or a catalog change does.)"""
        selectors.shared_catalog.forget()
        selectors._own_index.cache_clear()
        started = time.perf_counter()
        selectors.search_foods(patient, "zzzz", language="en")  # no case word: nothing cached for them
        spent = (time.perf_counter() - started) * 1000
        selectors.search_foods(patient, "zzzz", language="fr")  # the French synonyms read once too
        return spent

    build_ms = fresh_index()
    print(f"first search after a start or a catalog change (index of {total:,} foods built): {build_ms:.0f} ms")
    search_calls = [
        (lambda q=query, lang=lang: selectors.search_foods(patient, q, limit=8, language=lang)) for query, lang in cases
    ]
    results: dict[str, Any] = {"foods": total, "queries": len(cases), "index_build_ms": round(build_ms, 1)}
    results["function_new_words"] = figures("search_foods, words new to the process", *timings(search_calls))
    results["function_seen_words"] = figures("search_foods, words seen before", *timings(search_calls))

    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(patient)
    day = datetime.now(UTC).date() - timedelta(days=1)  # a past day: the same in every time zone
    url = reverse("tracker:food-search", args=[day])
    view_calls = [(lambda q=query: client.get(url, {"q": q, "meal": "lunch"})) for query, _ in cases]
    client.get(url, {"q": "zzzz", "meal": "lunch"})  # session and middleware warm
    fresh_index()
    results["view_new_words"] = figures("search view (htmx fragment), words new to the process", *timings(view_calls))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--foods", type=int, default=5000, help="foods in the table in all")
    parser.add_argument("--private", type=int, default=300, help="of them, the bench patient's own foods")
    parser.add_argument("--database", default="msgut_bench_search")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    url = database_url(args.database)
    create_database(url, fresh=True)
    setup_django(url)
    try:
        results = run(args)
    finally:
        if not args.keep:
            drop_database(url)
            print(f"dropped database {args.database}")
    out = ROOT / "bench" / "results" / f"search-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
