"""`make bench`: one table of figures, measured in one run, also written as JSON.

Server time per request is measured in-process through the whole middleware
stack (Django's test client), next to a bare view measured the same way in the
same run, so the ratio does not depend on the machine's speed. Data lives in
PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/msgut_bench)
and is generated once by `generate_data`, then reused by later runs.

    python -m bench.run [--patients 200] [--days 365] [--requests 60]
"""

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any, cast

from bench.common import ROOT, database_url, reference_ms, setup_django

DEFAULT_DB = database_url("msgut_bench")
PLOTLY = "vendor/plotly-basic-4.1.1.min.js"
# The page-weight goal: a first visit to the Today page, compressed, HTML and every file it references.
FIRST_LOAD_GOAL_BYTES = 100_000
# Requests to the bare view and to the page measured in turn, this many of each.
PAIRED_BLOCK = 5


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(call: Any, requests: int, warmup: int = 5, before: Any = None, bare: Any = None) -> dict[str, float]:
    """Median and p95 server time (ms), median CPU time (ms) and queries per request of `call()`;
    `before()`, if given, runs untimed before each one. With `bare`, requests to the bare view are
    timed in blocks between the page's (five of each in turn), and the ratios are to those: the
    machine's speed drifts over a run (other work, a virtual machine's neighbours), and a block of
    each sees the same speed, while each block's requests still find the CPU's caches as a run of
    the same request leaves them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Queries are counted on the warm-up requests after the first (which may fill a cache): capturing
    # them wraps every cursor in Django's debug wrapper, CPU per query that production does not pay.
    queries: list[int] = []
    for _ in range(warmup):
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as captured:
            call()
        queries.append(len(captured.captured_queries))
    timings: list[float] = []
    cpu: list[float] = []
    bare_timings: list[float] = []
    bare_cpu: list[float] = []

    def timed(request: Any, wall: list[float], process: list[float]) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = request()
        wall.append((time.perf_counter() - started) * 1000)
        process.append((time.process_time() - cpu_started) * 1000)
        if response.status_code >= HTTPStatus.BAD_REQUEST:
            raise SystemExit(f"bench request failed with {response.status_code}")

    for n in range(requests):
        if bare is not None and n % PAIRED_BLOCK == 0:
            for _ in range(PAIRED_BLOCK):
                timed(bare, bare_timings, bare_cpu)
        if before is not None:
            before()
        timed(call, timings, cpu)
    figures: dict[str, float] = {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        # This process's CPU time (Python, templates, the database driver; not PostgreSQL's): other
        # work sharing the cores stretches the wall clock much more than this.
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "queries": max(queries[1:] or queries),
        "requests": requests,
    }
    if bare is not None:
        figures["bare_median_ms"] = round(statistics.median(bare_timings), 2)
        figures["bare_cpu_median_ms"] = round(statistics.median(bare_cpu), 2)
    return figures


def ensure_population(
    clinician_email: str, patients: int, days: int, seed: int, *, derive: bool = False
) -> tuple[Any, list[int], float | None]:
    """A clinician and `patients` generated patients (seed `seed`) sharing with them, made once."""
    from django.core.management import call_command

    from accounts.models import Role, User
    from accounts.services import register_user
    from tracker.management.commands.generate_data import GENERATED_DOMAIN

    clinician = User.objects.filter(email=clinician_email).first()
    if clinician is None:
        clinician = register_user(email=clinician_email, password="bench-clinician-2026", role=Role.CLINICIAN)
    mine = User.objects.filter(email__endswith=f"@{GENERATED_DOMAIN}", email__startswith=f"p{seed}-")
    have = mine.count()
    generated_seconds = None
    if have < patients:
        started = time.perf_counter()
        call_command(
            "generate_data",
            patients=patients - have,
            days=days,
            seed=seed,
            offset=have,
            clinician=clinician_email,
            derive=derive,
        )
        generated_seconds = round(time.perf_counter() - started, 1)
    patient_ids = list(mine.order_by("id").values_list("id", flat=True)[:patients])
    return clinician, patient_ids, generated_seconds


def ensure_data(patients: int, days: int, seed: int, dashboard_patients: int) -> dict[str, Any]:
    """Generate the bench population once; later runs reuse it. Beside the `patients` with `days` of
    history, a second clinician shares with `dashboard_patients` patients of four weeks each (enough
    for every flag): the dashboard at that size without generating years for all of them."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    clinician, patient_ids, generated_seconds = ensure_population("bench-clinician@bench.msgut", patients, days, seed)
    many_clinician, many_ids, many_seconds = ensure_population(
        "bench-clinician-many@bench.msgut", dashboard_patients, 28, seed + 1000, derive=True
    )
    return {
        "clinician": clinician,
        "patient_ids": patient_ids,
        "generated_seconds": generated_seconds,
        "many_clinician": many_clinician,
        "many_patient_ids": many_ids,
        "many_generated_seconds": many_seconds,
    }


def analyze() -> None:
    """Planner statistics for every table, as autovacuum keeps them on a database in use (the
    bench's rows were bulk-loaded, and its flags and scores written, moments ago)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def scoring_figures(patient_ids: list[int]) -> dict[str, Any]:
    from guidance import selectors as guidance_selectors
    from guidance import services as guidance

    version = guidance_selectors.current_version()
    if version is None:
        raise SystemExit("no published rule set")
    facts = guidance_selectors.load_facts(patient_ids, None, None)
    started = time.perf_counter()
    scored = guidance_selectors.score_frame(facts, version)
    pure_seconds = time.perf_counter() - started
    days = len(scored)
    started = time.perf_counter()
    for i in range(0, len(patient_ids), 100):
        guidance.rescore_patients(patient_ids=patient_ids[i : i + 100], start=None, end=None, version=version)
    full_seconds = time.perf_counter() - started
    return {
        "days": days,
        "pure_days_per_s": round(days / pure_seconds),
        "full_rescore_days_per_s": round(days / full_seconds),
        "full_rescore_seconds": round(full_seconds, 2),
    }


def weekly_figures(patient_ids: list[int], days: int) -> dict[str, Any]:
    from django.utils import timezone

    from trends import selectors as trends_selectors
    from trends import services as trends

    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    keys = trends_selectors.data_weeks(patient_ids, start, end)
    trends.build_weeks(keys=keys)  # make sure every week exists; then time a full forced rebuild
    started = time.perf_counter()
    report = trends.build_weeks(keys=keys, force=True)
    seconds = time.perf_counter() - started
    return {
        "patient_weeks": report.weeks,
        "patient_weeks_per_s": round(report.weeks / seconds),
        "seconds": round(seconds, 2),
    }


def flags_figures(patient_ids: list[int]) -> dict[str, Any]:
    """What recomputing the dashboard's stored flags costs (the periodic job when the day turns)."""
    from clinic.services import refresh_flags

    started, cpu = time.perf_counter(), time.process_time()
    stored = refresh_flags(patient_ids=patient_ids)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "patients": stored,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "patients_per_s": round(stored / seconds) if seconds else 0,
    }


# Patients saving once each within the rescore delay, for the worker's figure of a shared rescore.
MANY_SAVERS = 25


def worker_figures(patient_id: int, saves: int = 20) -> dict[str, Any]:
    """CPU time the worker spends per saved entry: the rescore of the 7 days whose windows hold it,
    the patient's dashboard row, and the rebuild of its week's charts (each save a new meal item on
    one of the last 7 days, so no week is unchanged). This process's CPU time, PostgreSQL's apart."""
    from django.utils import timezone

    from accounts.models import Role, User
    from clinic.services import refresh_flags
    from guidance import services as guidance
    from tracker.models import Food, MealItem
    from trends import services as trends

    food = Food.objects.filter(owner__isnull=True).order_by("id").first()
    if food is None:
        raise SystemExit("no catalogue food to save")
    today = timezone.localdate()
    MealItem.objects.filter(client_token__startswith="bench-worker-").delete()
    parts: dict[str, list[float]] = {"rescore": [], "dashboard row": [], "week charts": [], "total": []}
    for n in range(saves):
        day = today - timedelta(days=n % 7)
        MealItem.objects.create(
            patient_id=patient_id, date=day, meal="snack", food=food, grams=30 + n, client_token=f"bench-worker-{n}"
        )
        steps = (
            ("rescore", partial(guidance.rescore_days, patient_id=patient_id, start=day, end=day + timedelta(days=6))),
            ("dashboard row", partial(refresh_flags, patient_ids=[patient_id])),
            ("week charts", partial(trends.run_week_build, patient_id=patient_id, week=day)),
        )
        total = 0.0
        for name, step in steps:
            started = time.process_time()
            step()
            spent = (time.process_time() - started) * 1000
            parts[name].append(spent)
            total += spent
        parts["total"].append(total)
    # A burst: five saves by the patient within the rescore delay make one rescore, one dashboard row
    # and (debounced) one week build.
    burst, bursts = 5, 4
    per_save: list[float] = []
    for b in range(bursts):
        saved = [(patient_id, today - timedelta(days=n % 3), f"b{b}-{n}") for n in range(burst)]
        per_save.append(_one_pass_per_save(saved, food))
    # Many patients: one save each within the rescore delay, one rescore (a pass) for them all.
    patients = list(
        User.objects.filter(role=Role.PATIENT).exclude(pk=patient_id).order_by("pk").values_list("pk", flat=True)
    )[:MANY_SAVERS]
    many = [_one_pass_per_save([(p, today, f"m{r}") for p in patients], food) for r in range(3)]
    MealItem.objects.filter(client_token__startswith="bench-worker-").delete()
    figures: dict[str, Any] = {name: round(statistics.median(values), 1) for name, values in parts.items()}
    return figures | {
        "saves": saves,
        "burst_per_save": round(statistics.median(per_save), 1),
        "burst": burst,
        "many_per_save": round(statistics.median(many), 1),
        "many": len(patients),
    }


def _one_pass_per_save(saved: list[tuple[int, date, str]], food: Any) -> float:
    """The worker's CPU ms per save for these saves (patient, day, token) made within the rescore
    delay: one rescore, one dashboard row per patient, one build per patient-week (debounced)."""
    from django.utils import timezone

    from clinic.services import refresh_flags
    from guidance import services as guidance
    from tracker.models import MealItem
    from trends import services as trends
    from trends.weekly import week_start

    for patient, day, token in saved:
        MealItem.objects.create(
            patient_id=patient, date=day, meal="snack", food=food, grams=30, client_token=f"bench-worker-{token}"
        )
        guidance.mark_stale(patient_id=patient, day=day)
    started = time.process_time()
    rescored = guidance.rescore_stale(before=timezone.now())
    refresh_flags(patient_ids=rescored)
    for patient, week in sorted({(patient, week_start(day)) for patient, day, _token in saved}):
        trends.run_week_build(patient_id=patient, week=week)
    return (time.process_time() - started) * 1000 / len(saved)


def page_figures(data: dict[str, Any], requests: int, html: dict[str, str]) -> dict[str, dict[str, float]]:
    """Server time of each request against the bare view; `html` receives the patient pages' HTML."""
    from django.core.cache import caches
    from django.test import Client, override_settings
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from msgut.celery import app
    from tests.conftest import verified_login
    from tracker.models import Food, MealItem

    # As in production, a save only enqueues its follow-up work (here into an
    # in-memory broker nobody consumes): the request path is what is measured.
    app.conf.update(task_always_eager=False, broker_url="memory://")
    patient = User.objects.get(pk=data["patient_ids"][0])
    figures: dict[str, dict[str, float]] = {}
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(patient)

        def bare_view() -> Any:
            return client.get("/bench/bare")

        figures["bare Django view"] = measure(bare_view, requests)
        paired = partial(measure, bare=bare_view)
        today = timezone.localdate()
        figures["Today page"] = paired(lambda: client.get(reverse("tracker:today")), requests)

        # The same page when it cannot be the kept one (its day just changed): read and drawn anew.
        def today_drawn_anew() -> Any:
            caches["pages"].clear()
            return client.get(reverse("tracker:today"))

        figures["Today page, drawn anew"] = paired(today_drawn_anew, requests)
        figures["month view"] = paired(lambda: client.get(reverse("tracker:month")), requests)
        figures["patient dashboard"] = paired(lambda: client.get(reverse("trends:dashboard")), requests)
        html["Today page"] = client.get(reverse("tracker:today"), follow=True).content.decode()
        html["patient dashboard"] = client.get(reverse("trends:dashboard")).content.decode()
        # Saves go to another patient, so the pages above keep a normal day; rows left by an
        # earlier run's saves are removed first.
        MealItem.objects.filter(client_token__startswith="bench-").delete()
        writer = Client()
        writer.force_login(User.objects.get(pk=data["patient_ids"][1]))
        food = Food.objects.filter(owner__isnull=True).order_by("id").first()
        if food is None:
            raise SystemExit("no catalogue food to save")
        counter = iter(range(10**9))
        add_url = reverse("tracker:meal-add", args=[today, "snack"])

        def save_item() -> Any:
            return writer.post(
                add_url,
                {"food": food.pk, "amount": "1", "unit": "portion", "token": f"bench-{time.time_ns()}-{next(counter)}"},
            )

        figures["save a meal item"] = paired(save_item, requests)

        # The same save from a browser with JavaScript: htmx gets the meal's list, the status line and
        # the score line (still updating: the rescore waits in the queue) instead of a redirect.
        def save_item_htmx() -> Any:
            token = f"bench-{time.time_ns()}-{next(counter)}"
            data = {"food": food.pk, "amount": "1", "unit": "portion", "token": token}
            return writer.post(add_url, data, headers={"HX-Request": "true"})

        # Each answers the day as the patient logged it plus that one item (the list it redraws does
        # not grow with the bench's earlier saves).
        def forget_bench_items() -> None:
            MealItem.objects.filter(client_token__startswith="bench-").delete()

        figures["save a meal item, htmx answer"] = paired(save_item_htmx, requests, before=forget_bench_items)
        doctor = Client()
        verified_login(doctor, data["clinician"])
        # The first visit computes the stored flags the worker would have (warm-up, not timed).
        figures[f"clinician dashboard ({len(data['patient_ids'])} patients)"] = paired(
            lambda: doctor.get(reverse("clinic:dashboard")), requests
        )
        busy = Client()
        verified_login(busy, data["many_clinician"])
        figures[f"clinician dashboard ({len(data['many_patient_ids'])} patients)"] = paired(
            lambda: busy.get(reverse("clinic:dashboard")), requests
        )
        review = reverse("clinic:patient", args=[data["patient_ids"][0]])
        figures["patient review (a year, by a clinician)"] = paired(
            lambda: doctor.get(review, {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}),
            requests,
        )
    for row in figures.values():
        bare = row.get("bare_median_ms", figures["bare Django view"]["median_ms"])
        bare_cpu = row.get("bare_cpu_median_ms", figures["bare Django view"]["cpu_median_ms"])
        row["x_bare"] = round(row["median_ms"] / bare, 1) if bare else 0.0
        row["x_bare_cpu"] = round(row["cpu_median_ms"] / bare_cpu, 1) if bare_cpu else 0.0
    return figures


def weight_figures(pages: dict[str, str]) -> dict[str, Any]:
    """Bytes a browser downloads: the chart bundle, and each page's first load (its HTML and the
    scripts and style sheets it references, none cached yet), raw and compressed.

    Static files are collected once into a temporary folder by the production storage
    (hashed names, a .br and a .gz beside each), so the compressed sizes are what WhiteNoise
    serves. HTML is compressed here the same way (gzip level 9, brotli's default), as a
    compressing proxy in front of the app would send it.
    """
    import brotli
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
    from django.core.management import call_command
    from django.test import override_settings

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with override_settings(
            STATIC_ROOT=root,
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
            },
        ):
            call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin"])

            def static_sizes(name: str) -> dict[str, int]:
                stored = root / cast(ManifestFilesMixin, staticfiles_storage).stored_name(name)
                raw = stored.stat().st_size
                # WhiteNoise keeps no compressed copy that would not be smaller: the file goes as it is.
                sizes = {"raw": raw}
                for kind, suffix in (("gzip", ".gz"), ("brotli", ".br")):
                    copy = Path(f"{stored}{suffix}")
                    sizes[kind] = copy.stat().st_size if copy.exists() else raw
                return sizes

            figures: dict[str, Any] = {"plotly bundle": static_sizes(PLOTLY)}
            for page, html in pages.items():
                body = html.encode()
                files = {
                    "html": {
                        "raw": len(body),
                        "gzip": len(gzip.compress(body, 9)),
                        "brotli": len(brotli.compress(body)),
                    }
                }
                references = re.findall(r'<script[^>]*\ssrc="/static/([^"?#]+)"', html)
                references += re.findall(r'<link[^>]*\shref="/static/([^"?#]+)"', html)
                for name in sorted(set(references)):
                    files[name] = static_sizes(name)
                figures[page] = {
                    "files": files,
                    **{kind: sum(f[kind] for f in files.values()) for kind in ("raw", "gzip", "brotli")},
                }
    figures["Today page"]["goal_bytes"] = FIRST_LOAD_GOAL_BYTES
    return figures


def print_table(result: dict[str, Any]) -> None:
    print()
    print(f"msgut bench, {result['when']} on {result['machine']}")
    print(f"data: {result['patients']} patients x {result['days']} days in {result['database']}")
    print(f"load average (1, 5, 15 min): {result['load_average_start']} at start, {result['load_average_end']} at end")
    print(f"machine speed: a fixed Python task (bench.common.reference_ms) took {result['reference_ms']} ms")
    print()
    print(
        f"x bare: to the bare view's requests timed in turn with the row's, {PAIRED_BLOCK} of each (medians: last column)"
    )
    print(
        f"{'request':<40}{'median ms':>10}{'p95 ms':>10}{'x bare':>8}{'CPU ms':>8}{'x bare':>8}{'queries':>9}"
        f"{'bare ms, CPU':>14}"
    )
    for name, row in result["pages"].items():
        paired = f"{row['bare_median_ms']:>7.2f},{row['bare_cpu_median_ms']:>6.2f}" if "bare_median_ms" in row else ""
        print(
            f"{name:<40}{row['median_ms']:>10.2f}{row['p95_ms']:>10.2f}{row['x_bare']:>8.1f}"
            f"{row['cpu_median_ms']:>8.2f}{row['x_bare_cpu']:>8.1f}{row['queries']:>9}{paired}"
        )
    s = result["scoring"]
    print()
    print(f"scoring, pure step           {s['pure_days_per_s']:>12,} days/s   ({s['days']:,} days)")
    print(f"scoring, full rescore        {s['full_rescore_days_per_s']:>12,} days/s   ({s['full_rescore_seconds']} s)")
    print()
    print(f"{'first load, bytes':<38}{'raw':>10}{'gzip':>10}{'brotli':>10}")
    for name, row in result["weight"].items():
        goal = f"   (goal <= {row['goal_bytes']:,} compressed)" if "goal_bytes" in row else ""
        print(f"{name:<38}{row['raw']:>10,}{row['gzip']:>10,}{row['brotli']:>10,}{goal}")
    f = result["flags"]
    print(
        f"dashboard flags, full refresh  {f['patients_per_s']:>10,} patients/s ({f['patients']:,} in {f['seconds']} s, CPU {f['cpu_seconds']} s)"
    )
    k = result["worker"]
    print(
        f"worker CPU per save (median)  {k['total']:>10} ms  (rescore {k['rescore']} ms, dashboard row "
        f"{k['dashboard row']} ms, week charts {k['week charts']} ms; {k['saves']} saves)"
    )
    print(
        f"worker CPU per save, {k['burst']} in a row {k['burst_per_save']:>9} ms  (one rescore, one row, debounced charts)"
    )
    print(
        f"worker CPU per save, {k['many']} patients  {k['many_per_save']:>9} ms  (one save each: one rescore for all, "
        "a row and a week each)"
    )
    w = result["weekly"]
    if w:
        print(
            f"weekly summaries             {w['patient_weeks_per_s']:>12,} patient-weeks/s ({w['patient_weeks']:,} in {w['seconds']} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--dashboard-patients", type=int, default=2000, help="patients (four weeks each) of the second clinician"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    setup_django(url)
    data = ensure_data(args.patients, args.days, args.seed, args.dashboard_patients)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": url.rsplit("@", 1)[-1],
        "patients": len(data["patient_ids"]),
        "days": args.days,
        "generated_seconds": data["generated_seconds"],
        "dashboard_patients": len(data["many_patient_ids"]),
        "dashboard_generated_seconds": data["many_generated_seconds"],
        # Other work on the machine slows every figure alike; the ratios to the bare view hold better.
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "reference_ms": reference_ms(),
    }
    result["scoring"] = scoring_figures(data["patient_ids"])
    result["weekly"] = weekly_figures(data["patient_ids"], args.days)
    result["flags"] = flags_figures(data["many_patient_ids"])
    result["worker"] = worker_figures(data["patient_ids"][-1])
    html: dict[str, str] = {}
    analyze()
    result["pages"] = page_figures(data, args.requests, html)
    result["weight"] = weight_figures(html)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_table(result)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
