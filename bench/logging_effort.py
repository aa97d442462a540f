"""How much a tired patient has to do to log a day, measured in a real browser at phone width.

A fresh account (signed up through the page) logs the first day of the scenario below in
headless Chromium at 390 px: 12 foods (oats, yogurt, blueberries; salad, chickpeas, olive oil,
bread; salmon, broccoli, carrots; crisps, salami), fatigue, a sleep diary (bed and wake times),
digestion and lifestyle. Then the next day is logged as a repeat day ("same as yesterday").
Prints, per day: taps, keystrokes, their sum (interactions), the filled page's height in phone
screens, and the seconds spent waiting for the server. Goals: first day at most 60
interactions, a repeat day at most 6, a filled page at most 3 phone screens.

    python -m bench.logging_effort [--database NAME] [--keep]

Runs on loopback only against the local PostgreSQL (a database of its own, dropped at the end
unless --keep), with Celery tasks inline. Writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import CHROMIUM_ARGS, ROOT, database_url, drop_database, setup_django

WIDTH, HEIGHT = 390, 844
SHOTS: Any = None  # a directory for screenshots, from --screenshots
PASSPHRASE = "a long passphrase for my daily log"
# (meal, the word a person would type, the food to add). Typing stops as soon as the food shows
# among the first results; a food already offered as a one-tap button is tapped, not typed.
FOODS = [
    ("breakfast", "oats", r"Rolled oats"),
    ("breakfast", "yogurt", r"Plain yogurt"),
    ("breakfast", "blueberries", r"^Blueberries"),
    ("lunch", "salad", r"salad"),
    ("lunch", "chickpeas", r"Chickpeas"),
    ("lunch", "olive oil", r"^Olive oil"),
    ("lunch", "bread", r"bread"),
    ("dinner", "salmon", r"Salmon"),
    ("dinner", "broccoli", r"Broccoli"),
    ("dinner", "carrots", r"Carrot"),
    ("snack", "crisps", r"crisps|Crisps|chips"),
    ("snack", "salami", r"Salami"),
]
SHOWN_RESULTS = 5  # what fits on a phone screen under the search box
MIN_LETTERS = 2  # one letter matches too much to be worth looking at


class Counter:
    """Counts what the patient does and how long they wait for the server."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.taps = 0
        self.keys = 0
        self.waited = 0.0

    def tap(self, locator: Any) -> None:
        self.taps += 1
        locator.click()
        self.settle()

    def type(self, locator: Any, text: str) -> None:
        self.keys += len(text)
        locator.press_sequentially(text, delay=40)

    def settle(self) -> None:
        started = time.perf_counter()
        self.page.wait_for_load_state()
        self.page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
        self.waited += time.perf_counter() - started

    def figures(self) -> dict[str, Any]:
        height = self.page.evaluate("document.documentElement.scrollHeight")
        return {
            "taps": self.taps,
            "keystrokes": self.keys,
            "interactions": self.taps + self.keys,
            "page_height_px": height,
            "phone_screens": round(height / HEIGHT, 2),
            "seconds_waited": round(self.waited, 2),
        }


def serve() -> tuple[str, Any]:
    """The app on a free loopback port, in a thread of this process."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: PLC0415
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot under bench/results/ when --screenshots is given."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def first_day(page: Any, base: str, day: date) -> dict[str, Any]:
    count = Counter(page)
    page.goto(f"{base}/day/{day.isoformat()}/")
    count.settle()
    shoot(page, "day-empty-390")
    count.tap(page.locator("#fatigue").get_by_role("button", name="4", exact=True))
    sleep = page.locator("#sleep")
    for label, value in (("Time you went to bed", "23:15"), ("Time of your final awakening", "06:45")):
        field = sleep.get_by_label(label)
        count.tap(field)
        # A phone's time field takes the four digits; fill() is what works in headless Chromium.
        count.keys += len(value.replace(":", ""))
        field.fill(value)
    count.tap(sleep.get_by_role("button", name="Save sleep"))
    meal_now = None
    for meal, word, wanted in FOODS:
        section = page.locator(f"#meal-{meal}")
        chip = section.locator("details.quick[open] .chip").filter(has_text=re.compile(wanted))
        if chip.count():
            count.tap(chip.first)
            meal_now = None
            continue
        search = section.locator("input[type=search]")
        if meal != meal_now:
            count.tap(search)
            search.fill("")
            meal_now = meal
        results = section.locator(".result")
        found = None
        for letter in word:
            count.type(search, letter)
            if len(search.input_value()) < MIN_LETTERS:
                continue
            page.wait_for_timeout(350)  # the search waits for a pause in typing
            count.settle()
            names = results.locator(".result-name").all_inner_texts()[:SHOWN_RESULTS]
            place = next((i for i, name in enumerate(names) if re.search(wanted, name)), None)
            if place is not None:
                found = results.nth(place)
                break
        if found is None:
            raise RuntimeError(f"{word!r} did not find {wanted!r} for {meal}")
        count.tap(found.get_by_role("button", name=re.compile("^Add ")))
    count.tap(page.locator("#symptoms .bristol button").nth(3))
    lifestyle = page.locator("#lifestyle")
    minutes = lifestyle.get_by_label("Minutes of physical activity")
    count.tap(minutes)
    minutes.fill("")
    count.type(minutes, "30")
    count.tap(lifestyle.get_by_role("button", name="Save lifestyle"))
    page.reload()
    count.settle()
    shoot(page, "day-filled-390")
    return count.figures()


def repeat_day(page: Any, base: str, day: date) -> dict[str, Any]:
    count = Counter(page)
    page.goto(f"{base}/day/{day.isoformat()}/")
    count.settle()
    count.tap(page.locator("#fatigue").get_by_role("button", name="4", exact=True))
    count.tap(page.locator("#sleep").get_by_role("button", name="Save sleep"))  # last night's times, offered
    count.tap(page.get_by_role("button", name=re.compile("Same as yesterday: copy all")))
    count.tap(page.locator("#symptoms .bristol button").nth(3))
    count.tap(page.locator("#lifestyle").get_by_role("button", name="Save lifestyle"))  # supplements carried over
    page.reload()
    count.settle()
    shoot(page, "day-repeat-390")
    return count.figures()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command  # noqa: PLC0415
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    from tracker.catalog import load_catalog  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    load_catalog()
    base, server = serve()
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True, locale="en-GB"
            )
            page = context.new_page()
            page.set_default_timeout(20000)
            page.goto(f"{base}/accounts/signup/")
            page.get_by_label("Email").fill("effort@example.org")
            page.get_by_label(re.compile(r"^Password:?$")).fill(PASSPHRASE)
            page.get_by_label("Password again").fill(PASSPHRASE)
            page.get_by_label(re.compile("I have read the privacy notice")).check()
            page.get_by_role("button", name="Create account").click()
            page.wait_for_load_state()
            from tracker.selectors import patient_today  # noqa: PLC0415

            # The first day is yesterday, so the repeat day is today.
            today = patient_today()
            results = {
                "first_day": first_day(page, base, today - timedelta(days=1)),
                "repeat_day": repeat_day(page, base, today),
            }
            browser.close()
    finally:
        server.shutdown()
    results["goals"] = {"first_day_interactions": 60, "repeat_day_interactions": 6, "phone_screens": 3}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="msgut_bench_effort", help="PostgreSQL database to create and use")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--screenshots", action="store_true", help="save full-page screenshots to bench/results/")
    args = parser.parse_args()
    if args.screenshots:
        global SHOTS  # noqa: PLW0603
        SHOTS = ROOT / "bench" / "results" / "logging-effort-screens"
    url = database_url(args.database)
    drop_database(url)
    setup_django(url)
    try:
        results = run(args)
    finally:
        if not args.keep:
            drop_database(url)
    for name in ("first_day", "repeat_day"):
        r = results[name]
        print(
            f"{name.replace('_', ' ')}: {r['taps']} taps + {r['keystrokes']} keystrokes = {r['interactions']} "
            f"interactions; filled page {r['page_height_px']} px = {r['phone_screens']} phone screens of {HEIGHT} px; "
            f"{r['seconds_waited']} s waited"
        )
    out = ROOT / "bench" / "results" / f"logging-effort-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(out)


if __name__ == "__main__":
    main()
