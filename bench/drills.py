"""Fault drills (`make drills`): each bounded in time, stopping by itself, on loopback.

They run against a PostgreSQL cluster and a Redis server of their own
(ports 5440 and 6390), so killing or restarting them never disturbs the
machine's shared services.

    python -m bench.drills [redis-kill redis-freeze pg-restart worker-kill concurrent]

Figures printed per drill: requests, 5xx on logging, lost and duplicated
acknowledged entries, recovery time, and whether derived data caught up.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from bench import loadtest
from bench.common import ROOT

PG_PORT = 5440
REDIS_PORT = 6390
DRILL = loadtest.Services(
    f"postgres://postgres@127.0.0.1:{PG_PORT}/msgut_drill",
    f"redis://127.0.0.1:{REDIS_PORT}/0",
)
LOGGING_REQUESTS = ("add meal item", "save fatigue")
PG_VERSION = sorted(os.listdir("/etc/postgresql"), key=float)[-1] if os.path.isdir("/etc/postgresql") else "15"

# generate_data's patients keep their diary in Paris time; their "today" is Paris's.
PATIENT_ZONE = ZoneInfo("Europe/Paris")
# How long the worker drill waits for a build to start (to kill the worker mid-build), then for
# the restarted worker to finish the redelivered task (past the 5-second visibility timeout).
KILL_WAIT_SECONDS = 30
REDELIVERY_WAIT_SECONDS = 240


# ---------------------------------------------------------------- private services


def pg(*args: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "drill", *args], check=True, capture_output=True
    )


def ensure_postgres() -> None:
    if not os.path.isdir(f"/etc/postgresql/{PG_VERSION}/drill"):
        subprocess.run(
            [
                "pg_createcluster",
                PG_VERSION,
                "drill",
                "-p",
                str(PG_PORT),
                "--",
                "--auth-host=trust",
                "--auth-local=trust",
            ],
            check=True,
            capture_output=True,
        )
    status = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False).stdout
    if not any(line.split()[:2] == [PG_VERSION, "drill"] and "online" in line for line in status.splitlines()):
        pg("start")


class Redis:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if (
                subprocess.run(
                    ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, check=False
                ).returncode
                == 0
            ):
                return
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)

    def send(self, number: signal.Signals) -> None:
        if self.proc is None:
            raise RuntimeError("Redis was not started")
        self.proc.send_signal(number)

    def freeze(self) -> None:
        self.send(signal.SIGSTOP)

    def thaw(self) -> None:
        self.send(signal.SIGCONT)


# ---------------------------------------------------------------- checks


def logging_5xx(summary: dict[str, Any]) -> int:
    return sum(
        count
        for key, count in summary["by_name"].items()
        if key.startswith(LOGGING_REQUESTS) and (key.endswith("error") or key.split()[-1].startswith("5"))
    )


def statuses(summary: dict[str, Any], code: str) -> int:
    return sum(count for key, count in summary["by_name"].items() if key.split()[-1] == code)


def catch_up_and_check(patient_ids: list[int]) -> dict[str, Any]:
    """Run the periodic catch-up jobs, then check today's scores and this week's summaries exist and are current."""
    return probe("caught-up", *map(str, patient_ids))


def probe(*args: str) -> dict[str, Any]:
    """What `python -m bench.drill_probe args` printed, read as JSON."""
    out = loadtest.run_python(DRILL, "-m", "bench.drill_probe", *args)
    answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return answer


def acknowledged_patients(summary: dict[str, Any]) -> list[int]:
    return sorted({a["patient"] for a in summary["acknowledged"]})


# ---------------------------------------------------------------- drills


def drill_redis(stack: loadtest.Stack, redis: Redis, accounts: Path, mode: str, users: int) -> dict[str, Any]:
    def fault() -> dict[str, Any]:
        if mode == "kill":
            redis.kill()
        else:
            redis.freeze()
        time.sleep(20)
        if mode == "kill":
            redis.start()
            stack.kill_worker()  # a fresh worker reconnects at once
            stack.start_worker(CELERY_VISIBILITY_TIMEOUT="10")
        else:
            redis.thaw()
        return {"outage_s": 20}

    summary = loadtest.run_load(stack, accounts, users, 50, fault, fault_after=10)
    entries = loadtest.check_entries(DRILL, summary["acknowledged"])
    derived = catch_up_and_check(acknowledged_patients(summary))
    return {"summary": summary, "entries": entries, "logging_5xx": logging_5xx(summary), "caught_up": derived}


def drill_postgres(stack: loadtest.Stack, accounts: Path, users: int) -> dict[str, Any]:
    def fault() -> dict[str, Any]:
        pg("stop", "-m", "fast")
        down_at = time.monotonic()
        health_while_down = probe_status(stack.url + "/healthz")
        time.sleep(8)
        pg("start")
        back_at = time.monotonic()
        recovery = stack.wait_healthy(30)
        return {
            "down_s": round(back_at - down_at, 1),
            "recovery_s": round(recovery, 2),
            "healthz_while_down": health_while_down,
        }

    summary = loadtest.run_load(stack, accounts, users, 50, fault, fault_after=10)
    entries = loadtest.check_entries(DRILL, summary["acknowledged"])
    return {
        "summary": summary,
        "entries": entries,
        "answers_500": statuses(summary, "500"),
        "answers_503": statuses(summary, "503"),
    }


def probe_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return 0


def drill_worker_kill(stack: loadtest.Stack, accounts: Path) -> dict[str, Any]:
    """Kill the worker while it builds a week; the task is redelivered and the summary is identical."""
    patient = str(json.loads(accounts.read_text())["patients"][0]["id"])

    def run(action: str) -> Any:
        return probe("week", action, patient)

    stack.kill_worker()
    subprocess.run(
        [str(loadtest.BIN / "celery"), "-A", "msgut", "purge", "-f"],
        cwd=ROOT,
        env=loadtest.app_env(DRILL),
        capture_output=True,
        check=False,  # best effort: the drill checks what reaches the database, not the purge
    )
    reference = run("reference")
    worker_log = stack.logs / "worker.log"
    worker_log.write_bytes(b"")
    stack.start_worker("INFO", CELERY_VISIBILITY_TIMEOUT="5")
    wait_for(worker_log, "ready", 60)
    # Enqueue from a child process and watch the worker log meanwhile: the probe's own
    # start-up and exit take longer than the build itself.
    enqueue = subprocess.Popen(
        [str(loadtest.BIN / "python"), "-m", "bench.drill_probe", "week", "enqueue", patient],
        cwd=ROOT,
        env=loadtest.app_env(DRILL),
        stdout=stack.log("enqueue.log"),
        stderr=subprocess.STDOUT,
    )
    started = time.monotonic()
    killed_mid_build = False
    while time.monotonic() - started < KILL_WAIT_SECONDS:
        text = worker_log.read_text(errors="replace")
        if "build_week_task" in text and "received" in text.lower():
            stack.kill_worker()
            killed_mid_build = "succeeded" not in text
            break
        time.sleep(0.01)
    enqueue.wait(60)
    after_kill = run("check")
    stack.start_worker(CELERY_VISIBILITY_TIMEOUT="5")
    redelivered_in = None
    while time.monotonic() - started < REDELIVERY_WAIT_SECONDS:
        if run("check"):
            redelivered_in = round(time.monotonic() - started, 1)
            break
        time.sleep(2)
    final = run("check")
    return {
        "killed_before_done": killed_mid_build and not after_kill,
        "redelivered_after_s": redelivered_in,
        "identical": final == reference,
    }


def wait_for(log: Path, text: str, timeout: float) -> bool:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def drill_concurrent(stack: loadtest.Stack, accounts: Path) -> dict[str, Any]:
    """20 identical submissions at once for one patient-day: one row, no 500."""
    patient = json.loads(accounts.read_text())["patients"][1]
    food = json.loads(accounts.read_text())["food_ids"][0]
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(stack.url + "/accounts/login/").read().decode()
    csrf = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    opener.open(
        stack.url + "/accounts/login/",
        urllib.parse.urlencode(
            {"username": patient["email"], "password": patient["password"], "csrfmiddlewaretoken": csrf}
        ).encode(),
    )
    token = next(c.value or "" for c in jar if c.name == "csrftoken")
    today = datetime.now(PATIENT_ZONE).date().isoformat()
    item_token = str(uuid.uuid4())
    codes: list[int] = []
    barrier = threading.Barrier(20)

    def submit(path: str, data: dict[str, str]) -> None:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            stack.url + path,
            data=body,
            headers={"X-CSRFToken": token, "Referer": stack.url + path, "HX-Request": "true"},
        )
        barrier.wait()
        try:
            with opener.open(request, timeout=30) as answer:
                codes.append(answer.status)
        except urllib.error.HTTPError as error:
            codes.append(error.code)

    for path, data in (
        (f"/day/{today}/meals/dinner/add/", {"food": str(food), "amount": "1", "unit": "portion", "token": item_token}),
        (f"/day/{today}/fatigue/", {"score": "6"}),
    ):
        threads = [threading.Thread(target=submit, args=(path, data)) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        barrier.reset()
    with psycopg.connect(DRILL.database_url) as conn:
        items = conn.execute("SELECT count(*) FROM tracker_mealitem WHERE client_token = %s", (item_token,)).fetchone()
        fatigue = conn.execute(
            "SELECT count(*) FROM tracker_fatiguerating WHERE patient_id = %s AND date = %s", (patient["id"], today)
        ).fetchone()
    return {
        "submissions": len(codes),
        "answers_5xx": sum(1 for c in codes if c >= HTTPStatus.INTERNAL_SERVER_ERROR),
        "meal_item_rows": items[0] if items else None,
        "fatigue_rows": fatigue[0] if fatigue else None,
    }


DRILLS = ("worker-kill", "concurrent", "redis-kill", "redis-freeze", "pg-restart")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("drills", nargs="*", metavar="DRILL", help=f"any of {', '.join(DRILLS)} (default: all)")
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    unknown = sorted(set(args.drills) - set(DRILLS))
    if unknown:
        parser.error(f"unknown drill {', '.join(unknown)}; choose from {', '.join(DRILLS)}")
    args.drills = args.drills or list(DRILLS)
    for tool in ("pg_createcluster", "redis-server"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed for the drills")
    ensure_postgres()
    redis = Redis()
    redis.start()
    results: dict[str, Any] = {}
    # (a smaller stack than the load test's: four single-request processes, as many requests at once
    # as the two threaded processes it ran before gunicorn.conf.py went to sync processes)
    stack = loadtest.Stack(DRILL, 8110, workers=4)
    try:
        print("preparing the drill database ...")
        accounts = loadtest.prepare(DRILL, 30, clinicians=4, admins=1, days=30)
        stack.start_worker(CELERY_VISIBILITY_TIMEOUT="10")
        stack.start_web()
        for name in args.drills:
            print(f"\n== drill: {name}")
            if name in ("redis-kill", "redis-freeze"):
                if redis.proc is None or redis.proc.poll() is not None:
                    redis.start()
                result = drill_redis(stack, redis, accounts, name.split("-")[1], args.users)
            elif name == "pg-restart":
                result = drill_postgres(stack, accounts, args.users)
            elif name == "worker-kill":
                result = drill_worker_kill(stack, accounts)
            else:
                result = drill_concurrent(stack, accounts)
            summary = result.pop("summary", None)
            if summary:
                result["requests"] = summary["requests"]
                result["status"] = summary["status"]
                result["by_request"] = summary["by_name"]
                result["p95_ms"] = summary["p95_ms"]
                result["fault"] = summary["fault"]
            results[name] = result
            print(json.dumps(result, indent=2))
    finally:
        stack.stop()
        redis.kill()
    out = ROOT / "bench" / "results" / f"drills-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
