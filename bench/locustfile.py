"""Locust users for the load test and drills (run by bench/loadtest.py, loopback only).

70 % patients logging and reading their day, 25 % clinicians on dashboards,
5 % admins. Accounts come from the JSON file named by LOAD_ACCOUNTS; every
acknowledged entry POST's client token is written to LOAD_RESULTS at the end,
with per-second counts of 5xx answers, so the orchestrator can check that each
acknowledged entry is exactly one row. So are every request's start time,
response time and name, and the time each user finished signing in, so the
orchestrator can report the sign-in ramp apart from the steady state.
"""

import itertools
import json
import os
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django_otp.oath import totp
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

ACCOUNTS: dict[str, Any] = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
RESULTS_PATH = os.environ["LOAD_RESULTS"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A day's score line while the worker rescores it: the browser asks for it again after the delay.
PENDING_SCORE = re.compile(r'hx-get="([^"]+/score/line/)" hx-trigger="load delay:(\d+)ms"')
# generate_data's patients keep their diary in Paris time; their "today" is Paris's.
PATIENT_ZONE = ZoneInfo("Europe/Paris")

_lock = threading.Lock()
_acknowledged: list[dict[str, Any]] = []
_status: Counter[str] = Counter()
_by_name: Counter[str] = Counter()
_server_errors: dict[int, int] = defaultdict(int)
# [start (Unix time), response time (ms), name] of every request, and when each user finished signing in.
_requests: list[tuple[float, float, str]] = []
_signed_in: list[float] = []
_run: dict[str, float] = {}
_cycles = {role: itertools.cycle(ACCOUNTS[role]) for role in ("patients", "clinicians", "admins")}


def next_account(role: str) -> dict[str, Any]:
    with _lock:
        return next(_cycles[role])


# locust leaves EventHook.add_listener unannotated.
@events.request.add_listener  # type: ignore[untyped-decorator]
def count_status(
    request_type: str,
    name: str,
    response_time: float = 0,
    response: Any = None,
    exception: Any = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    started = start_time if start_time is not None else time.time() - response_time / 1000
    with _lock:
        _requests.append((round(started, 3), round(response_time, 1), name))
        _status[f"{status // 100}xx" if status else "error"] += 1
        _by_name[f"{name} {status or 'error'}"] += 1
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR or not status:
            _server_errors[int(time.time())] += 1


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def note_start(**_: Any) -> None:
    _run["started_at"] = time.time()


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def write_results(**_: Any) -> None:
    with _lock, open(RESULTS_PATH, "w") as out:
        json.dump(
            {
                "acknowledged": _acknowledged,
                "status": dict(_status),
                "by_name": dict(_by_name),
                "server_errors": _server_errors,
                "requests": _requests,
                "signed_in": _signed_in,
                "started_at": _run.get("started_at"),
                "stopped_at": time.time(),
            },
            out,
        )


class SignedInUser(FastHttpUser):
    """A browser's session (geventhttpclient: the load generator shares the two cores with the server,
    and python-requests cost it about three times the CPU)."""

    abstract = True
    wait_time = between(0.5, 2.0)
    role = "patients"

    def csrf_from(self, html: str | None) -> str:
        match = CSRF.search(html or "")
        return match.group(1) if match else self.csrf_cookie()

    def csrf_cookie(self) -> str:
        return next((cookie.value or "" for cookie in self.client.cookiejar if cookie.name == "csrftoken"), "")

    def on_start(self) -> None:
        self.account = next_account(self.role)
        page = self.client.get("/accounts/login/", name="login page")
        self.client.post(
            "/accounts/login/",
            {
                "username": self.account["email"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": self.csrf_from(page.text),
            },
            name="login",
        )
        if self.account.get("totp_key"):
            self.verify_second_factor()
        with _lock:
            _signed_in.append(time.time())

    def verify_second_factor(self) -> None:
        # Each code works once per device: wait for a fresh time step if this one is used.
        for _ in range(3):
            page = self.client.get("/accounts/two-factor/verify/", name="2fa page")
            code = f"{totp(bytes.fromhex(self.account['totp_key'])):06d}"
            answer = self.client.post(
                "/accounts/two-factor/verify/",
                {"code": code, "next": "/", "csrfmiddlewaretoken": self.csrf_from(page.text)},
                name="2fa verify",
                allow_redirects=False,
            )
            if answer.status_code == HTTPStatus.FOUND:
                return
            time.sleep(31 - time.time() % 30)

    def post_form(self, url: str, data: dict[str, Any], name: str, **kwargs: Any) -> Any:
        data = {**data, "csrfmiddlewaretoken": self.csrf_cookie()}
        headers = {"HX-Request": "true", "X-CSRFToken": data["csrfmiddlewaretoken"], "Referer": f"{self.host}{url}"}
        return self.client.post(url, data, headers=headers, name=name, **kwargs)


class Patient(SignedInUser):
    """A patient on their day page, whose browser asks for a pending score line (after a change,
    while the worker rescores the day) once its delay has passed, unless another change or leaving
    the page replaced it first, as htmx does."""

    weight = 70
    role = "patients"
    score_line: tuple[float, str] | None = None

    def today(self) -> str:
        return datetime.now(PATIENT_ZONE).date().isoformat()

    def on_day_page(self, response: Any) -> None:
        """The page or a save's answer redrew the score line: a pending one replaces the one waited for."""
        match = PENDING_SCORE.search(getattr(response, "text", "") or "")
        self.score_line = (time.time() + int(match.group(2)) / 1000, match.group(1)) if match else None

    def follow_score_line(self, *, leaving: bool = False) -> None:
        """Before the next action: the line is asked for if its delay has passed; leaving the page drops it."""
        if self.score_line and time.time() >= self.score_line[0]:
            self.client.get(self.score_line[1], headers={"HX-Request": "true"}, name="score line")
            self.score_line = None
        elif leaving:
            self.score_line = None

    @task(4)
    def read_today(self) -> None:
        self.follow_score_line()
        self.on_day_page(self.client.get("/day/", name="today page"))

    @task(2)
    def search_food(self) -> None:
        self.follow_score_line()
        query = ACCOUNTS["search_terms"][int(time.time() * 1000) % len(ACCOUNTS["search_terms"])]
        self.client.get(
            f"/day/{self.today()}/search/?q={query}&meal=lunch", headers={"HX-Request": "true"}, name="food search"
        )

    @task(4)
    def add_meal_item(self) -> None:
        self.follow_score_line()
        token = str(uuid.uuid4())
        food = ACCOUNTS["food_ids"][int(time.time() * 1000) % len(ACCOUNTS["food_ids"])]
        with self.post_form(
            f"/day/{self.today()}/meals/lunch/add/",
            {"food": food, "amount": "1", "unit": "portion", "token": token},
            name="add meal item",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            # Acknowledged = the htmx answer with the meal's redrawn list (its body: the section's
            # search box is never redrawn). A redirect (e.g. to the sign-in page) or an error page
            # is not an acknowledgement.
            text = response.text or ""
            saved = 'id="meal-body-lunch"' in text and "error-summary" not in text
            if response.status_code == HTTPStatus.OK and saved:
                with _lock:
                    _acknowledged.append({"patient": self.account["id"], "token": token})
                response.success()
            elif response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR:
                response.failure(f"entry refused ({response.status_code})")
            self.on_day_page(response)

    @task(2)
    def rate_fatigue(self) -> None:
        self.follow_score_line()
        answer = self.post_form(
            f"/day/{self.today()}/fatigue/", {"score": str(int(time.time()) % 11)}, name="save fatigue"
        )
        self.on_day_page(answer)

    @task(1)
    def month(self) -> None:
        self.follow_score_line(leaving=True)
        self.client.get("/day/month/", name="month view")

    @task(1)
    def trends(self) -> None:
        self.follow_score_line(leaving=True)
        self.client.get("/trends/", name="patient dashboard")


class Clinician(SignedInUser):
    weight = 25
    role = "clinicians"

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/clinic/", name="clinician dashboard")

    @task(1)
    def review(self) -> None:
        patient = ACCOUNTS["patients"][int(time.time() * 1000) % len(ACCOUNTS["patients"])]["id"]
        self.client.get(f"/clinic/patients/{patient}/", name="patient review")


class Admin(SignedInUser):
    weight = 5
    role = "admins"

    @task
    def rules(self) -> None:
        self.client.get("/admin/guidance/rule/", name="admin rules")
