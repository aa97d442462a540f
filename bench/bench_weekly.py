"""Weekly summaries at scale: 1,000 patients x 52 weeks from PostgreSQL, in one process.

    .venv/bin/python -m bench.bench_weekly [--patients 1000] [--weeks 52] [--requests 40] [--keep]

Creates its own database (h_trends_bench by default), fills it with COPY
(meal items, sleep diaries, fatigue ratings, day scores with an 8-rule
breakdown, relapses), then times in this one process, exactly as one Celery
worker runs them:
  1. the nightly catch-up task on a cold table (every patient-week is built),
  2. the same task again (nothing changed: fingerprints only, nothing written),
  3. the weekly beat task (last week of every patient),
and the dashboard's server time with a year of weekly summaries against a bare
Django view through the same middleware, in the same run. The database is
dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import time
from datetime import date, timedelta
from http import HTTPStatus
from typing import Any

import numpy as np
import pandas as pd
from psycopg import sql

from bench.common import create_database, database_url, drop_database, setup_django

RULES = [  # the default rule set's keys and weights (guidance v1)
    ("mediterranean", 40.0),
    ("fiber", 20.0),
    ("fermented", 10.0),
    ("processed", 15.0),
    ("sleep-regularity", 5.0),
    ("activity", 4.0),
    ("no-tobacco", 3.0),
    ("alcohol", 3.0),
]


# ---------------------------------------------------------------- data


def copy_frame(table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into a table (tab-separated text; \\N is NULL).

    Columns the frame lacks get the model field's default (Django defaults are not database defaults).
    """
    from django.apps import apps
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    frame = frame.copy()
    for field in model._meta.concrete_fields:
        if field.column in frame.columns or field.primary_key or field.default is NOT_PROVIDED:
            continue
        value = field.default() if callable(field.default) else field.default
        frame[field.column] = json.dumps(value) if isinstance(value, list | dict) else value

    buffer = io.StringIO()
    frame.to_csv(
        buffer,
        sep="\t",
        header=False,
        index=False,
        na_rep="\\N",
        quoting=csv.QUOTE_NONE,
        quotechar="\x01",
        escapechar="\\",
    )
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in frame.columns)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(buffer.getvalue())


def generate(patients: int, weeks: int, seed: int) -> tuple[list[int], date, date]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Profile, Role, User
    from guidance.models import RuleSetVersion
    from tracker.models import Food
    from trends.weekly import week_start

    rng = np.random.default_rng(seed)
    first = week_start(timezone.localdate()) - timedelta(weeks=weeks)
    last = first + timedelta(days=7 * weeks - 1)
    password = make_password("bench-patient-2026")
    users = User.objects.bulk_create(
        User(email=f"bench{n}@bench.msgut", display_name=f"Bench {n}", role=Role.PATIENT, password=password)
        for n in range(patients)
    )
    Profile.objects.bulk_create(Profile(user=user) for user in users)
    ids = np.array([user.pk for user in users], dtype=np.int64)
    foods = Food.objects.bulk_create(
        Food(
            name_en=f"Bench food {n}",
            default_portion_g=float(rng.choice([30, 50, 100, 125, 150, 200, 250])),
            fiber_g_per_100g=round(float(rng.gamma(1.5, 2.0)), 1),
            nova_group=int(rng.choice([1, 1, 1, 2, 3, 4])),
            fermented=bool(rng.random() < 0.08),
            added_sugar=bool(rng.random() < 0.1),
            groups=list(
                rng.choice(
                    ["vegetable", "fruit", "legume", "cheese", "processed_meat", "fish_seafood"],
                    size=int(rng.integers(0, 3)),
                    replace=False,
                )
            ),
        )
        for n in range(300)
    )
    food_ids = np.array([food.pk for food in foods], dtype=np.int64)
    version, _ = RuleSetVersion.objects.get_or_create(number=9999, defaults={"note": "bench"})
    days = pd.date_range(first, last, freq="D")
    now = timezone.now().isoformat()

    # Patient-days: most days logged, some weeks sparse.
    grid = pd.DataFrame({"patient_id": np.repeat(ids, len(days)), "date": np.tile(days.date, len(ids))})
    logged = rng.random(len(grid)) < 0.88
    day_rows = grid[logged].reset_index(drop=True)

    counts = rng.integers(3, 8, size=len(day_rows))
    meals = pd.DataFrame(
        {
            "patient_id": np.repeat(day_rows["patient_id"].to_numpy(), counts),
            "date": np.repeat(day_rows["date"].to_numpy(), counts),
            "meal": rng.choice(["breakfast", "lunch", "dinner", "snack"], size=int(counts.sum())),
            "food_id": rng.choice(food_ids, size=int(counts.sum())),
            "grams": np.round(rng.uniform(20, 300, size=int(counts.sum())), 1),
        }
    )
    meals["created_at"] = now
    meals["updated_at"] = now
    copy_frame("tracker_mealitem", meals)

    sleep = day_rows[rng.random(len(day_rows)) < 0.9].copy()
    n = len(sleep)
    sleep["in_bed_at"] = "23:00"
    sleep["tried_sleep_at"] = "23:10"
    sleep["minutes_to_fall_asleep"] = 15
    sleep["awakenings"] = rng.integers(0, 4, size=n)
    sleep["minutes_awake"] = rng.integers(0, 60, size=n)
    sleep["final_wake_at"] = "07:00"
    sleep["out_of_bed_at"] = "07:15"
    sleep["quality"] = rng.integers(1, 6, size=n)
    sleep["total_sleep_minutes"] = rng.integers(300, 540, size=n)
    sleep["time_in_bed_minutes"] = 495
    sleep["efficiency"] = np.round(sleep["total_sleep_minutes"] / 495, 3)
    sleep["mid_sleep_minutes"] = rng.integers(120, 300, size=n)
    sleep["created_at"] = now
    sleep["updated_at"] = now
    copy_frame("tracker_sleepdiary", sleep)

    fatigue = day_rows[rng.random(len(day_rows)) < 0.85].copy()
    fatigue["score"] = rng.integers(0, 11, size=len(fatigue))
    fatigue["created_at"] = now
    fatigue["updated_at"] = now
    copy_frame("tracker_fatiguerating", fatigue)

    points = np.round(rng.random((len(day_rows), len(RULES))) * np.array([w for _k, w in RULES]), 2)
    breakdown = [
        json.dumps(
            [
                {
                    "key": key,
                    "points": float(p),
                    "possible": weight,
                    "days_logged": 7,
                    "window_days": 7,
                    "waived": False,
                    "counted": {"value": float(p)},
                }
                for (key, weight), p in zip(RULES, row, strict=True)
            ]
        )
        for row in points.tolist()
    ]
    scores = day_rows.copy()
    scores["version_id"] = version.pk
    scores["total"] = np.round(points.sum(axis=1), 2)
    scores["breakdown"] = breakdown
    scores["logged"] = True
    scores["computed_at"] = now
    copy_frame("guidance_dayscore", scores)

    starts = rng.choice(days.date, size=patients)
    relapses = pd.DataFrame(
        {
            "patient_id": ids,
            "started_on": starts,
            "ended_on": [
                s + timedelta(days=int(d)) for s, d in zip(starts, rng.integers(2, 20, size=patients), strict=True)
            ],
            "symptoms": "bench relapse",
            "severity": "moderate",
            "lasted_over_24h": True,
            "fever_or_infection": False,
            "steroids": False,
            "recovery": "full",
            "created_at": now,
            "updated_at": now,
        }
    )
    copy_frame("tracker_relapse", relapses)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "tracker_mealitem",
            "tracker_sleepdiary",
            "tracker_fatiguerating",
            "guidance_dayscore",
            "tracker_relapse",
        ):
            cursor.cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    print(
        f"data: {patients} patients x {weeks} weeks ({first} to {last}): {len(meals):,} meal items, "
        f"{len(sleep):,} sleep diaries, {len(fatigue):,} fatigue ratings, {len(scores):,} day scores"
    )
    return ids.tolist(), first, last


# ---------------------------------------------------------------- timing


def timed(label: str, call: Any) -> tuple[Any, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.1f} s, {len(queries.captured_queries)} queries, result {result}")
    return result, seconds


def page_times(client: Any, urls: list[str], requests: int) -> list[float]:
    """Median server time (ms) of each URL, requests interleaved so that load changes hit all alike."""
    for _ in range(5):
        for url in urls:
            client.get(url)
    samples: list[list[float]] = [[] for _ in urls]
    for _ in range(requests):
        for i, url in enumerate(urls):
            started = time.perf_counter()
            response = client.get(url)
            samples[i].append((time.perf_counter() - started) * 1000)
            if response.status_code != HTTPStatus.OK:
                raise SystemExit(f"{url} answered {response.status_code}")
    return [statistics.median(values) for values in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database", default="h_trends_bench")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    url = database_url(args.database)
    create_database(url, fresh=True)
    setup_django(url)
    try:
        run(args)
    finally:
        if not args.keep:
            drop_database(url)
            print(f"dropped database {args.database}")


def run(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.test import Client, override_settings

    from accounts.models import User
    from trends import tasks
    from trends.models import WeeklySummary

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    ids, _first, _last = generate(args.patients, args.weeks, args.seed)
    print(f"generated in {time.perf_counter() - started:.1f} s")

    result, seconds = timed(
        "cold build (nightly catch-up task, every patient-week)", lambda: tasks.catch_up_weeks_task.apply().get()
    )
    built = WeeklySummary.objects.count()
    print(
        f"  -> {built:,} patient-weeks in {seconds:.1f} s = {built / seconds:,.0f} patient-weeks/s "
        f"(goal: {args.patients * args.weeks:,} in < 60 s)"
    )
    _, warm = timed(
        "warm catch-up (nothing changed: fingerprints only)", lambda: tasks.catch_up_weeks_task.apply().get()
    )
    print(f"  -> {result['weeks'] / warm:,.0f} patient-weeks/s checked")
    timed("weekly beat task (last week, every patient)", lambda: tasks.build_last_week_task.apply().get())

    patient = User.objects.get(pk=ids[0])
    client = Client()
    client.force_login(patient)
    with override_settings(ROOT_URLCONF="bench.urls"):
        bare_ms, page_ms = page_times(client, ["/bench/bare", "/trends/?weeks=52"], args.requests)
    weeks_shown = WeeklySummary.objects.filter(patient=patient).count()
    print(
        f"dashboard with a year of data ({weeks_shown} weekly summaries, 4 charts, insights): "
        f"median {page_ms:.1f} ms; bare Django view through the same middleware: median {bare_ms:.1f} ms; "
        f"ratio {page_ms / bare_ms:.1f}x (goal: within 5x)"
    )


if __name__ == "__main__":
    main()
