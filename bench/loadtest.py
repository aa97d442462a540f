"""Load test on loopback: gunicorn + PostgreSQL + Redis + one Celery worker, driven by locust.

    python bench/loadtest.py [--users 50] [--duration 120]

Bounded in users and time; every process it starts is stopped at the end.
Prints requests/s, p50, p95, p99 and failures, then checks that every
acknowledged entry POST is exactly one row. bench/drills.py reuses `Stack`
and `run_load` to inject faults during the load.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/msgut_load")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9")
PASSWORD = "load-test-password-2026"  # noqa: S105 - synthetic accounts on loopback


def app_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAD_")}
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="load-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        SIMPLE_STATIC="1",
        AXES_FAILURE_LIMIT="1000",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="msgut.settings",
    )
    env.update(extra)
    return env


def manage(*args: str, **env: str) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=app_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def reset_database() -> None:
    import psycopg
    from psycopg import sql

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


SETUP_SCRIPT = """
import json, os
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import Role, User
from accounts.services import register_user
from clinic.models import ConsentWording
from clinic.services import grant_access
from tracker.models import Food
from django.contrib.auth.hashers import make_password
password, patients_n, clinicians_n, admins_n = os.environ["MSGUT_LOAD_SETUP"].split(",")
patients_n, clinicians_n, admins_n = int(patients_n), int(clinicians_n), int(admins_n)
hashed = make_password(password)
patients = list(User.objects.filter(role=Role.PATIENT, email__endswith="@gen.msgut").order_by("id")[:patients_n])
User.objects.filter(pk__in=[p.pk for p in patients]).update(password=hashed)
wording = ConsentWording.current()
def staff(prefix, role, n):
    out = []
    for i in range(n):
        email = f"{prefix}{i}@load.msgut"
        user = User.objects.filter(email=email).first() or register_user(email, password, role=role)
        if role == Role.ADMIN:
            User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        key = f"{i:02d}".encode().hex() * 10
        TOTPDevice.objects.get_or_create(user=user, name="load", defaults={"key": key, "confirmed": True})
        out.append({"id": user.pk, "email": email, "password": password, "totp_key": key})
    return out
clinicians = staff("clinician", Role.CLINICIAN, clinicians_n)
for c in clinicians:
    doctor = User.objects.get(pk=c["id"])
    for p in patients:
        grant_access(p, doctor, wording)
admins = staff("admin", Role.ADMIN, admins_n)
foods = list(Food.objects.filter(owner__isnull=True).order_by("id").values_list("id", flat=True)[:200])
print(json.dumps({
    "patients": [{"id": p.pk, "email": p.email, "password": password} for p in patients],
    "clinicians": clinicians, "admins": admins, "food_ids": foods,
    "search_terms": ["apple", "pomme", "yog", "lentil", "olive", "pain", "salmon", "creme"],
}))
"""


class Stack:
    """gunicorn + one Celery worker over the load database and Redis; stopped on exit."""

    def __init__(self, port: int, workers: int = 3) -> None:
        self.port = port
        self.workers = workers
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.logs = Path(tempfile.mkdtemp(prefix="msgut-load-"))

    def log(self, name: str) -> Any:
        """An append-mode log file the child process writes to (closed when the process exits)."""
        return (self.logs / name).open("ab")  # noqa: SIM115 - handed to the child process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "msgut.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                "2",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=app_env(),
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
            env=app_env(**env),
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
                    if answer.status == 200:
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


def prepare(patients: int, clinicians: int, admins: int, days: int) -> Path:
    """A fresh load database with generated patients, 2FA staff and grants; returns the accounts file."""
    reset_database()
    manage("migrate", "--noinput")
    manage("generate_data", "--patients", str(patients), "--days", str(days), "--seed", "11", "--derive")
    accounts = subprocess.run(
        [str(BIN / "python"), "manage.py", "shell", "-c", SETUP_SCRIPT],
        cwd=ROOT,
        env=app_env(MSGUT_LOAD_SETUP=f"{PASSWORD},{patients},{clinicians},{admins}"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="msgut-accounts-")) / "accounts.json"
    path.write_text(accounts.strip().splitlines()[-1])
    return path


def run_load(
    stack: Stack,
    accounts: Path,
    users: int,
    duration: int,
    fault: Callable[[], None] | None = None,
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
    summary["fault"] = fault_report
    return summary


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


def check_entries(acknowledged: list[dict[str, Any]]) -> dict[str, int]:
    """Each acknowledged meal-item POST is exactly one row (no loss, no duplicate)."""
    import psycopg

    tokens = [a["token"] for a in acknowledged]
    with psycopg.connect(DATABASE_URL) as conn:
        rows = conn.execute(
            "SELECT client_token, count(*) FROM tracker_mealitem WHERE client_token = ANY(%s) GROUP BY client_token",
            (tokens,),
        ).fetchall()
    found = {token: count for token, count in rows}
    return {
        "acknowledged": len(tokens),
        "lost": sum(1 for t in tokens if t not in found),
        "duplicated": sum(1 for c in found.values() if c > 1),
    }


def print_summary(title: str, summary: dict[str, Any], entries: dict[str, int]) -> None:
    print(f"\n{title}")
    print(f"  requests {summary['requests']:,}  failures {summary['failures']}  {summary['rps']} req/s")
    print(f"  p50 {summary['p50_ms']:.0f} ms  p95 {summary['p95_ms']:.0f} ms  p99 {summary['p99_ms']:.0f} ms")
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
    if args.users > 200 or args.duration > 900:
        raise SystemExit("bounded: at most 200 users and 900 seconds")
    print(f"preparing {DATABASE_URL.rsplit('@', 1)[-1]} ({args.patients} patients x {args.days} days) ...")
    accounts = prepare(args.patients, clinicians=8, admins=2, days=args.days)
    stack = Stack(args.port)
    try:
        stack.start_worker()
        stack.start_web()
        print(f"load: {args.users} users for {args.duration} s against {stack.url} (logs in {stack.logs})")
        summary = run_load(stack, accounts, args.users, args.duration)
    finally:
        stack.stop()
    entries = check_entries(summary["acknowledged"])
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
