"""Where a page's time goes: cProfile over repeated requests, through the whole middleware.

    python -m bench.profile [today|today-anew|month|trends|save|save-plain|dashboard|review] [--requests 20] [--top 25]

Runs against the data `make bench` generated (BENCH_DATABASE_URL, default msgut_bench; run
`make bench` once first), as its first generated patient (`today-anew` is the Today page drawn anew, not the kept one; `trends` is the patient's dashboard, `save` adds a snack item as htmx
does and is answered with the fragments, `save-plain` as a form without JavaScript does (a redirect); the clinician for the clinician pages).
Prints the functions with the most time of their own and the ones with the most time in total,
and the share of the request spent rendering templates, reversing URLs and in SQL.
"""

import argparse
import cProfile
import io
import os
import pstats
import time
from datetime import timedelta
from typing import Any

from bench.common import setup_django
from bench.run import DEFAULT_DB

PAGES = ("today", "today-anew", "today-after-save", "month", "trends", "save", "save-plain", "dashboard", "review")
# (what it is, a substring of the profiled function's "file:line(name)")
SHARES = (
    ("template rendering", "django/template/base.py:1047(render)"),
    ("URL reversals", "django/urls/base.py:28(reverse)"),
    ("SQL (driver and ORM compile, not the server)", "django/db/backends/utils.py:78(_execute_with_wrappers)"),
)


def request_for(page: str) -> Any:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from tests.conftest import verified_login
    from tracker.management.commands.generate_data import GENERATED_DOMAIN

    patient = User.objects.filter(email__endswith=f"@{GENERATED_DOMAIN}").order_by("id").first()
    if patient is None:
        raise SystemExit("no generated patient: run `make bench` first")
    client = Client()

    def take_back() -> None:
        # What a save profiled before added is taken away again (not profiled): each finds the same day.
        from tracker.models import MealItem

        MealItem.objects.filter(patient=patient, client_token__startswith="bench-profile-").delete()

    if page in ("save", "save-plain"):
        from tracker.models import Food

        client.force_login(patient)
        food = Food.objects.filter(owner__isnull=True).order_by("id").first()
        url = reverse("tracker:meal-add", args=[timezone.localdate(), "snack"])
        tokens = iter(range(10**9))
        return lambda: client.post(
            url,
            {
                "food": food.pk if food else 0,
                "amount": "1",
                "unit": "portion",
                "token": f"bench-profile-{time.time_ns()}-{next(tokens)}",
            },
            headers={"HX-Request": "true"} if page == "save" else {},
        ), take_back
    if page == "today-anew":  # the page when its day just changed: read and drawn anew, not kept
        from django.core.cache import caches

        client.force_login(patient)
        url = reverse("tracker:today")

        def drawn_anew() -> Any:
            caches["pages"].clear()
            return client.get(url)

        return drawn_anew
    if page == "today-after-save":  # as a user sees it after adding to lunch: only what changed is drawn
        from tracker.models import Food

        client.force_login(patient)
        url = reverse("tracker:today")
        add = reverse("tracker:meal-add", args=[timezone.localdate(), "lunch"])
        foods = list(Food.objects.filter(owner__isnull=True).order_by("id").values_list("pk", flat=True)[:20])
        tokens = iter(range(10**9))

        def save() -> None:
            take_back()  # (the day keeps its size however many requests)
            token = next(tokens)
            data = {"food": foods[token % len(foods)], "amount": "1", "unit": "portion"}
            client.post(add, {**data, "token": f"bench-profile-{token}"}, headers={"HX-Request": "true"})

        return lambda: client.get(url), save
    if page in ("today", "month", "trends"):
        client.force_login(patient)
        url = reverse({"today": "tracker:today", "month": "tracker:month", "trends": "trends:dashboard"}[page])
        return lambda: client.get(url)
    clinician = User.objects.get(email="bench-clinician@bench.msgut")
    verified_login(client, clinician)
    if page == "dashboard":
        url = reverse("clinic:dashboard")
        return lambda: client.get(url)
    today = timezone.localdate()
    url = reverse("clinic:patient", args=[patient.pk])
    query = {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}
    return lambda: client.get(url, query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", choices=PAGES, nargs="?", default="today")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cpu", action="store_true", help="count this process's CPU time, not the wall clock")
    args = parser.parse_args()
    # A save's background jobs go to a queue of their own (emptied after), as in production: the
    # profile is the web's answer, not the worker's rescoring run inline.
    queue = os.environ.get("PROFILE_REDIS_URL", "redis://127.0.0.1:6379/7") if "save" in args.page else None
    setup_django(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB, redis_url=queue, create=False)
    from django.test import override_settings

    with override_settings(ALLOWED_HOSTS=["testserver"]):
        call = request_for(args.page)
        call, before = call if isinstance(call, tuple) else (call, None)
        for _ in range(5):
            if before:
                before()
            call()
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        cpu = time.process_time()
        profiler.enable()
        for _ in range(args.requests):
            if before:  # (not profiled, nor counted)
                profiler.disable()
                spent = time.process_time()
                before()
                cpu += time.process_time() - spent
                profiler.enable()
            call()
        profiler.disable()
        cpu = (time.process_time() - cpu) * 1000 / args.requests
        if queue:
            from msgut.celery import app

            app.control.purge()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]  # pstats keeps it, typeshed omits it
    print(f"{args.page}: {args.requests} requests, {cpu:.1f} ms of CPU each under the profiler")
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for label, needle in SHARES:
        found = [value for key, value in entries.items() if needle in f"{key[0]}:{key[1]}({key[2]})"]
        if found:
            print(f"  {label}: {100 * found[0][3] / total:.0f} % ({found[0][1]} calls a request / {args.requests})")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(f"\n== by {order}")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


if __name__ == "__main__":
    main()
