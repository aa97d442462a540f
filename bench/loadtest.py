"""Load test on loopback: gunicorn + PostgreSQL + Redis + one Celery worker, driven by locust.

    python -m bench.loadtest [--users 50] [--duration 120]

Bounded in users and time; every process it starts is stopped at the end.
Prints two blocks: the sign-in ramp (from the start until every user has
signed in: its sign-in requests, slow by design with Argon2, and how long it
lasted) and the steady state (every request started after the ramp: requests/s,
p50, p95, p99, and p95 per request name); then the status classes and the
check that every acknowledged entry POST is exactly one row. bench.drills reuses `Stack`
and `run_load` to inject faults during the load, on services of its own.
"""

import argparse
import csv
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import psutil
import psycopg

from bench.common import BENCH_ENV, ROOT, create_database, database_url, reference_ms

BIN = Path(sys.executable).parent
# A load test on a shared machine stays bounded.
MAX_USERS = 200
MAX_SECONDS = 900
PASSWORD = "load-test-password-2026"
# The names bench/locustfile.py gives the requests of signing in (password, then the second factor).
SIGN_IN_REQUESTS = frozenset({"login page", "login", "2fa page", "2fa verify"})


@dataclass(frozen=True)
class Services:
    """The PostgreSQL database and Redis a load run or a drill runs the app against."""

    database_url: str
    redis_url: str


LOAD = Services(
    os.environ.get("LOAD_DATABASE_URL", database_url("msgut_load")),
    os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9"),
)


def app_env(services: Services, **extra: str) -> dict[str, str]:
    """The environment of every process of the stack: the bench settings on `services`, tasks over Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAD_")}
    env.update(
        BENCH_ENV,
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        SECURE_HSTS_SECONDS="0",
        AXES_FAILURE_LIMIT="1000",
    )
    env.update(extra)
    return env


def run_python(services: Services, *args: str, **env: str) -> str:
    """Run the venv's python with `args` from the repository root against `services`; its standard output."""
    result = subprocess.run(
        [str(BIN / "python"), *args],
        cwd=ROOT,
        env=app_env(services, **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"python {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Stack:
    """gunicorn + one Celery worker over the load database and Redis; stopped on exit."""

    def __init__(self, services: Services, port: int, workers: int | None = None) -> None:
        self.services = services
        self.port = port
        self.workers = workers
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.logs = Path(tempfile.mkdtemp(prefix="msgut-load-"))

    def log(self, name: str) -> Any:
        """An append-mode log file the child process writes to (closed when the process exits)."""
        return (self.logs / name).open("ab")  # handed to the child process, which closes it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_web(self) -> None:
        # The worker class and timeouts from gunicorn.conf.py (read from the repository root), as
        # the Docker image runs it; only the process count may differ (a drill's smaller stack).
        processes = ["--workers", str(self.workers)] if self.workers else []
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "msgut.wsgi:application", "--bind", f"127.0.0.1:{self.port}", *processes],
            cwd=ROOT,
            env=app_env(self.services),
            stdout=self.log("web.log"),
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy()

    def start_worker(self, loglevel: str = "WARNING", **env: str) -> None:
        self.worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "msgut",
                "worker",
                "--concurrency=1",
                f"--loglevel={loglevel}",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"load{self.port}@%h",
            ],
            cwd=ROOT,
            env=app_env(self.services, **env),
            stdout=self.log("worker.log"),
            stderr=subprocess.STDOUT,
        )

    def kill_worker(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait(10)

    def wait_healthy(self, timeout: float = 30) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == HTTPStatus.OK:
                        return time.monotonic() - started
            except Exception:  # noqa: S110 - not up yet
                pass
            time.sleep(0.2)
        raise SystemExit(f"web did not become healthy in {timeout} s; see {self.logs}")

    def stop(self) -> None:
        for proc in (self.web, self.worker):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


class MachineWatch:
    """The machine's CPU while the load runs, sampled each second: how busy its cores were, the share
    a neighbour took (steal: another guest of the host running on our cores), and how many cores each
    part of the stack used. With `reference_ms` it tells whether a slow run was the app or the machine.

    `roots` names each part by the processes it starts from (their children count with them); a part
    named by `names` is every process of that name (PostgreSQL's server and its backends).
    """

    def __init__(self, roots: dict[str, int], names: dict[str, str], interval: float = 1.0) -> None:
        self.roots, self.names, self.interval = roots, names, interval
        self.samples: list[tuple[float, Any, dict[str, dict[int, float]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "MachineWatch":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            self.samples.append((time.time(), psutil.cpu_times(), self._parts()))
            if self._stop.wait(self.interval):
                return

    def _parts(self) -> dict[str, dict[int, float]]:
        """Each part's processes, with the CPU seconds each has used."""
        found: dict[str, list[psutil.Process]] = {part: [] for part in (*self.roots, *self.names)}
        for part, pid in self.roots.items():
            try:
                root = psutil.Process(pid)
                found[part] = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
        for process in psutil.process_iter(["name"]):
            for part, name in self.names.items():
                if process.info["name"] == name:
                    found[part].append(process)
        used: dict[str, dict[int, float]] = {}
        for part, processes in found.items():
            used[part] = {}
            for process in processes:
                try:
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                used[part][process.pid] = times.user + times.system
        return used

    def between(self, start: float, end: float) -> dict[str, Any]:
        """The machine from `start` to `end` (Unix times): busy and steal as % of all cores' time,
        and the cores each part used on average; empty when fewer than two samples fall in it."""
        inside = [sample for sample in self.samples if start <= sample[0] <= end]
        if len(inside) < 2:  # noqa: PLR2004 - a difference needs two samples
            return {}
        (t0, cpu0, parts0), (t1, cpu1, parts1) = inside[0], inside[-1]
        spent = {field: getattr(cpu1, field) - getattr(cpu0, field) for field in cpu1._fields}
        total = sum(spent.values()) or 1.0
        idle = spent["idle"] + spent.get("iowait", 0.0)
        cores = {
            part: round(sum(cpu - parts0.get(part, {}).get(pid, 0.0) for pid, cpu in used.items()) / (t1 - t0), 2)
            for part, used in parts1.items()
        }
        return {
            "seconds": round(t1 - t0, 1),
            "cores": psutil.cpu_count(),
            "busy_pct": round(100 * (total - idle) / total, 1),
            "steal_pct": round(100 * spent.get("steal", 0.0) / total, 1),
            "cores_used": cores,
        }


def prepare(services: Services, patients: int, clinicians: int, admins: int, days: int) -> Path:
    """A fresh load database with generated patients, 2FA staff and grants; returns the accounts file."""
    create_database(services.database_url, fresh=True)
    run_python(services, "manage.py", "migrate", "--noinput")
    history = ["--patients", str(patients), "--days", str(days), "--seed", "11", "--derive"]
    run_python(services, "manage.py", "generate_data", *history)
    staff = ["--patients", str(patients), "--clinicians", str(clinicians), "--admins", str(admins)]
    accounts = run_python(services, "-m", "bench.load_accounts", *staff)
    # Planner statistics for the rows just loaded, as autovacuum keeps them on a database in use.
    with psycopg.connect(services.database_url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    path = Path(tempfile.mkdtemp(prefix="msgut-accounts-")) / "accounts.json"
    path.write_text(accounts.strip().splitlines()[-1])
    return path


def run_load(
    stack: Stack,
    accounts: Path,
    users: int,
    duration: int,
    fault: Callable[[], Any] | None = None,
    fault_after: float = 0,
) -> dict[str, Any]:
    """Run locust headless against the stack; call `fault` after `fault_after` seconds."""
    results = stack.logs / "results.json"
    stats = stack.logs / "stats"
    locust = subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{duration}s",
            "--host",
            stack.url,
            "--csv",
            str(stats),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "5",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_ACCOUNTS": str(accounts), "LOAD_RESULTS": str(results)},
        stdout=stack.log("locust.log"),
        stderr=subprocess.STDOUT,
    )
    fault_report: Any = None
    roots = {"web": stack.web, "worker": stack.worker, "locust": locust}
    pids = {part: process.pid for part, process in roots.items() if process is not None}
    with MachineWatch(pids, {"PostgreSQL": "postgres", "Redis": "redis-server"}) as watch:
        if fault is not None:
            time.sleep(fault_after)
            fault_report = fault()
        try:
            locust.wait(duration + 60)
        except subprocess.TimeoutExpired:
            locust.kill()
    summary = read_stats(Path(f"{stats}_stats.csv"))
    detail = (
        json.loads(results.read_text()) if results.exists() else {"acknowledged": [], "status": {}, "server_errors": {}}
    )
    results.unlink(missing_ok=True)
    summary.update(
        status=detail["status"],
        by_name=detail.get("by_name", {}),
        acknowledged=detail["acknowledged"],
        server_errors=detail["server_errors"],
    )
    summary.update(phases(detail, users))
    summary["machine"] = watch.between(*summary["steady"]["window"])
    summary["fault"] = fault_report
    return summary


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of `values`; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency(times: list[float]) -> dict[str, Any]:
    return {
        "requests": len(times),
        "p50_ms": round(percentile(times, 50)),
        "p95_ms": round(percentile(times, 95)),
        "p99_ms": round(percentile(times, 99)),
    }


def phases(detail: dict[str, Any], users: int) -> dict[str, Any]:
    """Split the run at the moment the last of `users` finished signing in.

    The ramp: its sign-in requests and how long it lasted (None when not every user signed
    in before the end). The steady state: every request started after it.
    """
    requests: list[list[Any]] = detail.get("requests", [])
    signed_in: list[float] = sorted(detail.get("signed_in", []))
    started_at = detail.get("started_at")
    if started_at is None:
        started_at = min((r[0] for r in requests), default=0.0)
    stopped_at = detail.get("stopped_at")
    if stopped_at is None:
        stopped_at = max((r[0] for r in requests), default=started_at)
    complete = len(signed_in) >= users > 0
    ramp_end = signed_in[users - 1] if complete else stopped_at
    during = [(ms, name) for start, ms, name in requests if start < ramp_end]
    sign_ins = [ms for ms, name in during if name in SIGN_IN_REQUESTS]
    ramp = {
        **latency(sign_ins),
        "other_requests": len(during) - len(sign_ins),
        "users_signed_in": len(signed_in),
        "users": users,
        "complete": complete,
        "seconds": round(ramp_end - started_at, 1),
    }
    after = [(ms, name) for start, ms, name in requests if start >= ramp_end]
    seconds = max(stopped_at - ramp_end, 0.0)
    by_name: dict[str, list[float]] = {}
    for ms, name in after:
        by_name.setdefault(name, []).append(ms)
    steady = {
        **latency([ms for ms, _name in after]),
        "seconds": round(seconds, 1),
        "rps": round(len(after) / seconds, 1) if seconds else 0.0,
        "per_request": {name: latency(times) for name, times in sorted(by_name.items())},
        "window": [round(ramp_end, 3), round(stopped_at, 3)],
    }
    return {"ramp": ramp, "steady": steady}


def read_stats(path: Path) -> dict[str, Any]:
    rows = list(csv.DictReader(path.open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    per_name = {
        r["Name"]: {"requests": int(r["Request Count"]), "failures": int(r["Failure Count"]), "p95_ms": r["95%"]}
        for r in rows
        if r["Name"] != "Aggregated"
    }
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "per_request": per_name,
    }


def check_entries(services: Services, acknowledged: list[dict[str, Any]]) -> dict[str, int]:
    """Each acknowledged meal-item POST is exactly one row (no loss, no duplicate)."""
    tokens = [a["token"] for a in acknowledged]
    with psycopg.connect(services.database_url) as conn:
        rows = conn.execute(
            "SELECT client_token, count(*) FROM tracker_mealitem WHERE client_token = ANY(%s) GROUP BY client_token",
            (tokens,),
        ).fetchall()
    found: dict[str, int] = dict(rows)
    return {
        "acknowledged": len(tokens),
        "lost": sum(1 for t in tokens if t not in found),
        "duplicated": sum(1 for c in found.values() if c > 1),
    }


def print_summary(title: str, summary: dict[str, Any], entries: dict[str, int]) -> None:
    print(f"\n{title}")
    ramp, steady = summary["ramp"], summary["steady"]
    done = "" if ramp["complete"] else f" (only {ramp['users_signed_in']} of {ramp['users']} users signed in)"
    print(f"  sign-in ramp: {ramp['seconds']} s until all {ramp['users']} users had signed in{done}")
    print(
        f"    sign-in requests {ramp['requests']:,}  p50 {ramp['p50_ms']} ms  p95 {ramp['p95_ms']} ms"
        f"  p99 {ramp['p99_ms']} ms  (and {ramp['other_requests']:,} other requests by users already in)"
    )
    print(f"  steady state: the {steady['seconds']} s after the ramp")
    print(
        f"    requests {steady['requests']:,}  {steady['rps']} req/s  p50 {steady['p50_ms']} ms"
        f"  p95 {steady['p95_ms']} ms  p99 {steady['p99_ms']} ms"
    )
    for name, row in steady["per_request"].items():
        print(f"    {name:<24} {row['requests']:>6,} requests  p95 {row['p95_ms']:>6} ms")
    machine = summary.get("machine")
    if machine:
        used = ", ".join(f"{part} {cores}" for part, cores in machine["cores_used"].items())
        print(
            f"    the machine: its {machine['cores']} cores {machine['busy_pct']} % busy"
            f" (steal {machine['steal_pct']} %); cores used: {used}"
        )
    if "reference_ms" in summary:
        print(
            f"    machine speed before the run: a fixed Python task (bench.common.reference_ms) took {summary['reference_ms']} ms"
        )
    print(f"  whole run: requests {summary['requests']:,}  failures {summary['failures']}")
    print(f"  status classes {summary['status']}")
    print(
        f"  entries acknowledged {entries['acknowledged']}, lost {entries['lost']}, duplicated {entries['duplicated']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    if args.users > MAX_USERS or args.duration > MAX_SECONDS:
        raise SystemExit(f"bounded: at most {MAX_USERS} users and {MAX_SECONDS} seconds")
    print(f"preparing {LOAD.database_url.rsplit('@', 1)[-1]} ({args.patients} patients x {args.days} days) ...")
    accounts = prepare(LOAD, args.patients, clinicians=8, admins=2, days=args.days)
    speed = reference_ms()
    stack = Stack(LOAD, args.port)
    try:
        stack.start_worker()
        stack.start_web()
        print(f"load: {args.users} users for {args.duration} s against {stack.url} (logs in {stack.logs})")
        summary = run_load(stack, accounts, args.users, args.duration)
        summary["reference_ms"] = speed
    finally:
        stack.stop()
    entries = check_entries(LOAD, summary["acknowledged"])
    print_summary(f"load test, {args.users} users, {args.duration} s", summary, entries)
    out = ROOT / "bench" / "results" / f"load-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.pop("acknowledged")
    out.write_text(
        json.dumps({"summary": summary, "entries": entries, "users": args.users, "duration": args.duration}, indent=2)
    )
    print(f"  figures written to {out}")
    if entries["lost"] or entries["duplicated"] or summary["status"].get("5xx"):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
