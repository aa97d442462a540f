"""Realistic, varied, deterministic patients for benchmarks and load tests.

    python manage.py generate_data --patients 1000 --days 365 --seed 7

Patients are bulk-created with one pre-computed password hash (hashing a
thousand Argon2 passwords would dominate the run); their days come from
tracker.demo.make_history (bulk inserts), plus relapses and MFIS every four
weeks. With --clinician EMAIL every generated patient grants that clinician
access. Scores and weekly summaries are built with --derive.
"""

import random
import time
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg import sql

from accounts.models import Profile, Role, User
from clinic.models import ConsentWording
from clinic.services import grant_access
from guidance import selectors as guidance_selectors
from guidance import services as guidance_services
from tracker.demo import bulk_insert, make_history, mfis_items
from tracker.models import MFISResponse, Relapse, Severity
from trends import selectors as trends_selectors
from trends import services as trends_services

GENERATED_DOMAIN = "gen.msgut"
GENERATED_PASSWORD = "generated-patient-2026"  # noqa: S105 - synthetic accounts for benchmarks
STYLES = ("mediterranean", "mixed", "processed")
RELAPSE_SYMPTOMS = (
    "Blurred vision in the left eye",
    "Numbness in both legs",
    "Loss of balance, dizziness",
    "Weakness in the right arm",
    "Tingling in the hands",
)


def generated_email(seed: int, index: int) -> str:
    return f"p{seed}-{index:05d}@{GENERATED_DOMAIN}"


def patient_number(email: str) -> int:
    """The number in p{seed}-{number}@gen.msgut: seeds each patient's history whatever its id."""
    return int(email.split("-", 1)[1].split("@", 1)[0])


def _create_patients(count: int, seed: int, offset: int) -> list[User]:
    password = make_password(GENERATED_PASSWORD)
    emails = [generated_email(seed, offset + i) for i in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    users = [
        User(email=email, password=password, role=Role.PATIENT, display_name=f"Patient {offset + i:05d}")
        for i, email in enumerate(emails)
        if email not in existing
    ]
    User.objects.bulk_create(users, batch_size=1000)
    created = list(User.objects.filter(email__in=[u.email for u in users]).order_by("id"))
    rng = random.Random(seed)
    Profile.objects.bulk_create(
        [
            Profile(
                user=user,
                time_zone="Europe/Paris",
                language=rng.choice(("en", "fr")),
                ms_course=rng.choice(("rr", "rr", "rr", "sp", "pp", "cis")),
                diagnosis_year=rng.randint(1995, 2025),
            )
            for user in created
        ],
        batch_size=1000,
    )
    return created


def copy_writer(model: type[models.Model], rows: list[Any]) -> None:
    """PostgreSQL COPY: several times faster than INSERT for fresh, conflict-free rows."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        bulk_insert(model, rows)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamped = {f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    now = timezone.now()
    columns = sql.SQL(", ").join([sql.Identifier(str(f.column)) for f in fields])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(model._meta.db_table), columns)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([now if f.attname in stamped else getattr(row, f.attname) for f in fields])


def _relapses_and_mfis(patient: User, start: date, end: date, rng: random.Random) -> None:
    relapses: list[Relapse] = []
    day = start + timedelta(days=rng.randint(20, 120))
    while day <= end - timedelta(days=3):
        length = rng.randint(3, 40)
        relapses.append(
            Relapse(
                patient=patient,
                started_on=day,
                ended_on=min(day + timedelta(days=length), end) if rng.random() < 0.8 else None,
                symptoms=rng.choice(RELAPSE_SYMPTOMS),
                severity=rng.choice(list(Severity.values)),
                lasted_over_24h=rng.random() < 0.9,
                fever_or_infection=rng.random() < 0.1,
                steroids=rng.random() < 0.4,
            )
        )
        day += timedelta(days=rng.randint(90, 300))
    Relapse.objects.bulk_create(relapses)
    level = rng.uniform(0.8, 2.8)
    responses = [
        MFISResponse(patient=patient, date=start + timedelta(days=d), items=mfis_items(rng, level), completed=True)
        for d in range(0, (end - start).days + 1, 28)
    ]
    MFISResponse.objects.bulk_create(responses, ignore_conflicts=True)


def derive(patient_ids: list[int], start: date, end: date) -> None:
    """Scores, then weekly summaries, for these patients (batched)."""
    version = guidance_selectors.current_version()
    if version is not None:
        for i in range(0, len(patient_ids), 100):
            guidance_services.rescore_patients(
                patient_ids=patient_ids[i : i + 100], start=start, end=end, version=version
            )
    trends_services.build_weeks(keys=trends_selectors.data_weeks(patient_ids, start, end))


class Command(BaseCommand):
    help = "Generate realistic, deterministic patients with daily entries (bulk inserts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=50)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--offset", type=int, default=0, help="first patient number (to add more later)")
        parser.add_argument("--clinician", default="", help="email of a clinician every patient grants access to")
        parser.add_argument("--derive", action="store_true", help="also build day scores and weekly summaries")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        call_command("load_foods", verbosity=0)
        seed: int = options["seed"]
        end = timezone.localdate()
        start = end - timedelta(days=options["days"] - 1)
        patients = _create_patients(options["patients"], seed, options["offset"])
        rows = 0
        for n, patient in enumerate(patients, start=1):
            number = patient_number(patient.email)
            rng = random.Random(seed * 7919 + number)
            with transaction.atomic():
                counts = make_history(
                    patient,
                    start,
                    end,
                    seed=seed * 100_003 + number,
                    style=STYLES[rng.randrange(len(STYLES))],
                    fatigue_trend=rng.choice((0.0, 0.0, 0.1, -0.05, 0.3)),
                    log_probability=rng.choice((1.0, 0.95, 0.9, 0.7)),
                    writer=copy_writer,
                )
                _relapses_and_mfis(patient, start, end, rng)
            rows += sum(counts.values())
            if n % 100 == 0:
                self.stdout.write(f"  {n} patients, {rows:,} rows, {time.perf_counter() - started:.0f} s")
        if options["clinician"]:
            self._grant(patients, options["clinician"])
        if options["derive"]:
            derive([p.pk for p in patients], start, end)
        if connection.vendor == "postgresql":
            # A bulk load leaves the planner without statistics until autovacuum analyses the tables
            # (never, where it is off): it would plan joins of thousands of rows as if they held one.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"generated {len(patients)} patients x {options['days']} days ({rows:,} rows) in {elapsed:.1f} s"
            )
        )

    def _grant(self, patients: list[User], email: str) -> None:
        clinician = User.objects.get(email=email, role=Role.CLINICIAN)
        wording = ConsentWording.current()
        for patient in patients:
            grant_access(patient=patient, clinician=clinician, wording=wording)
