"""Benchmark the guidance engine: 1,000 patients x 365 days in PostgreSQL, scored from the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_guidance_bench .venv/bin/python -m bench.bench_scoring [--drop]

Creates the database if needed (use a throw-away name: it is filled with generated
patients), migrates it, loads the food catalog, generates the history with a few
set-based INSERT ... SELECT statements, then prints:

- the pure scoring step (guidance.scoring.score_days over the whole facts frame), days/second;
- the breakdown text building and the facts loading on their own;
- the whole rescore of every stored day as publishing a version runs it
  (batches of patients: load facts, score, upsert DayScore rows), days/second.

Goals: pure step > 200,000 days/s; whole rescore of 365,000 days < 60 s.
`--drop` drops the database at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta

from psycopg import sql

from bench.common import database_name, drop_database, setup_django

# The goals: the pure scoring step on a year of 1,000 patients, and a whole rescore of it.
GOAL_DAYS_PER_SECOND = 200_000
GOAL_RESCORE_SECONDS = 60

PATIENTS = 1000
DAYS = 365
ITEMS_PER_DAY = 8


def step(label: str, started: float) -> float:
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed:8.2f} s", flush=True)
    return elapsed


def generate(patients: int, days: int) -> None:
    """Patients and a year of meals, sleep and lifestyle, with set-based SQL (seconds, not minutes)."""
    from django.db import connection

    from accounts.models import Role, User

    User.objects.filter(email__endswith="@bench.msgut").delete()
    User.objects.bulk_create(
        [User(email=f"p{i:05d}@bench.msgut", role=Role.PATIENT, password="!") for i in range(patients)],
        batch_size=1000,
    )
    end = date(2026, 10, 31)
    start = end - timedelta(days=days - 1)
    params: dict[str, date | int] = {"start": start, "end": end, "items": ITEMS_PER_DAY}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_days")
        # Every day is logged (365,000 patient-days); most get sleep and lifestyle too.
        cursor.execute(
            """
            CREATE TEMP TABLE bench_days AS
            SELECT u.id AS patient_id, d::date AS day, random() AS r
            FROM accounts_user u CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') d
            WHERE u.email LIKE '%%@bench.msgut'
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO tracker_mealitem (patient_id, date, meal, food_id, grams, created_at, updated_at, client_token)
            SELECT b.patient_id, b.day, (ARRAY['breakfast','lunch','dinner','snack'])[1 + (i %% 4)],
                   f.ids[1 + floor(random() * f.n)::int], round((40 + random() * 160)::numeric, 1), now(), now(), ''
            FROM bench_days b CROSS JOIN generate_series(1, %(items)s) i
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM tracker_food WHERE owner_id IS NULL) f
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO tracker_sleepdiary (patient_id, date, created_at, updated_at, in_bed_at, tried_sleep_at,
                minutes_to_fall_asleep, awakenings, minutes_awake, final_wake_at, out_of_bed_at, quality,
                total_sleep_minutes, time_in_bed_minutes, efficiency, mid_sleep_minutes)
            SELECT patient_id, day, now(), now(), '23:00', '23:10', 15, 1, 10, '07:00', '07:15', 3,
                   440, 495, 0.89, 150 + floor(random() * 90)::int
            FROM bench_days WHERE r < 0.85
            """
        )
        cursor.execute(
            """
            INSERT INTO tracker_lifestyle (patient_id, date, created_at, updated_at, activity_minutes, tobacco,
                cigarettes, alcohol_units, vitamin_d_iu, propionate_mg, probiotic, other_supplements)
            SELECT patient_id, day, now(), now(), floor(random() * 60)::int, r < 0.05, CASE WHEN r < 0.05 THEN 5 ELSE 0 END,
                   CASE WHEN random() < 0.2 THEN 1.5 ELSE 0 END, 0, 0, false, ''
            FROM bench_days WHERE r < 0.8
            """
        )
        cursor.execute("DROP TABLE bench_days")
        cursor.execute("ANALYZE tracker_mealitem; ANALYZE tracker_sleepdiary; ANALYZE tracker_lifestyle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--reuse", action="store_true", help="keep the history of a previous run if it is complete")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a throw-away PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/h_guidance_bench"
        )
    setup_django(url)
    from django.core.management import call_command

    from guidance import scoring, selectors, services
    from guidance.models import DayScore
    from tracker.models import Food, MealItem

    print(f"msgut guidance benchmark on {database_name(url)}: {args.patients} patients x {args.days} days", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Food.objects.exists():
        call_command("load_foods", verbosity=0)
    step("migrate + food catalog", started)

    started = time.perf_counter()
    from django.db import connection

    from accounts.models import User

    with connection.cursor() as cursor:  # a fresh, unbloated table for the rescore
        cursor.cursor.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(DayScore._meta.db_table)))

    complete = (
        User.objects.filter(email__endswith="@bench.msgut").count() == args.patients
        and MealItem.objects.filter(patient__email__endswith="@bench.msgut")
        .values("patient_id", "date")
        .distinct()
        .count()
        == args.patients * args.days
    )
    if not (args.reuse and complete):
        generate(args.patients, args.days)
        step("generate history (INSERT ... SELECT)", started)
    print(f"  meal items: {MealItem.objects.count():,}", flush=True)

    version = selectors.current_version()
    if version is None:
        raise SystemExit("no published rule set")
    specs = selectors.version_specs(version)

    started = time.perf_counter()
    facts = selectors.load_facts(None, None, None)
    load_seconds = step("load facts from the database (all patients)", started)
    days = len(facts)
    print(f"  patient-days with entries: {days:,}", flush=True)

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        scored = scoring.score_days(facts, specs)
        timings.append(time.perf_counter() - started)
    pure = min(timings)
    print(f"  {'pure scoring (best of 3)':<46} {pure:8.2f} s  -> {days / pure:,.0f} days/s", flush=True)

    started = time.perf_counter()
    scoring.breakdown_json(scored, specs)
    breakdown_seconds = step("breakdown texts", started)

    started = time.perf_counter()
    services.rescore_version(version=version)
    whole = step("whole rescore from the database (batched upserts)", started)
    stored = DayScore.objects.filter(version=version).count()
    print(f"  DayScore rows stored: {stored:,}  -> {stored / whole:,.0f} days/s end to end", flush=True)
    started = time.perf_counter()
    services.rescore_version(version=version)
    again = step("rescore again (every stored row updated)", started)

    print()
    pure_ok = "OK" if days / pure > GOAL_DAYS_PER_SECOND else "MISSED"
    whole_ok = "OK" if whole < GOAL_RESCORE_SECONDS else "MISSED"
    print(f"pure step: {days / pure:,.0f} days/s (goal > {GOAL_DAYS_PER_SECOND:,})  {pure_ok}")
    print(f"whole rescore: {whole:.1f} s for {stored:,} days (goal < {GOAL_RESCORE_SECONDS} s)  {whole_ok}")
    print(f"(facts load {load_seconds:.1f} s, breakdown texts {breakdown_seconds:.1f} s, second rescore {again:.1f} s)")
    if args.drop:
        drop_database(url)
        print(f"dropped {database_name(url)}")


if __name__ == "__main__":
    main()
