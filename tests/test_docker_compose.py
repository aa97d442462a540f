"""docker-compose.yml runs the full stack with commands that work here.

There is no Docker engine on this machine, so the file is parsed and each
command it runs is checked against the project: the management commands
exist, the WSGI and Celery apps import, and worker/beat match the Makefile.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> list[str]:
    command = service.get("command")
    if isinstance(command, list):
        return command
    return shlex.split(command or "")


def makefile_recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, target
    return match.group(1)


def test_it_defines_the_whole_stack():
    services = compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert sum(1 for s in services.values() if "beat" in " ".join(command_of(s))) == 1, "exactly one beat"


def test_web_worker_beat_and_migrate_share_one_image_built_from_the_dockerfile():
    services = compose()["services"]
    builds = {name: services[name].get("build") for name in ("web", "worker", "beat", "migrate")}
    assert set(builds.values()) == {"."}
    assert (ROOT / "Dockerfile").is_file()
    assert "requirements/runtime.lock" in (ROOT / "Dockerfile").read_text()


def test_postgres_has_a_healthcheck_and_the_app_waits_for_it():
    services = compose()["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in " ".join(services["redis"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat", "migrate"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_runs_once_and_the_web_runs_gunicorn():
    services = compose()["services"]
    migrate = " ".join(command_of(services["migrate"]))
    # The schema first, then the shared food catalog the daily log searches.
    assert "python manage.py migrate --noinput && python manage.py load_foods" in migrate
    assert services["migrate"].get("restart", "no") == "no"
    web = command_of(services["web"])
    assert web[0] == "gunicorn"
    assert "msgut.wsgi:application" in web


def test_the_app_services_point_at_the_compose_database_and_broker():
    services = compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_worker_and_beat_run_what_the_makefile_runs():
    services = compose()["services"]
    worker, beat = command_of(services["worker"]), command_of(services["beat"])
    assert worker[:4] == ["celery", "-A", "msgut", "worker"]
    assert beat[:4] == ["celery", "-A", "msgut", "beat"]
    assert "celery -A msgut worker" in makefile_recipe("worker")
    assert "celery -A msgut beat" in makefile_recipe("beat")


def test_the_commands_compose_runs_work_on_this_machine():
    env = {"DEBUG": "1", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "msgut.settings"}
    check = subprocess.run(
        [sys.executable, "manage.py", "help", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    probe = (
        "import django; django.setup(); "
        "from msgut.wsgi import application; from msgut.celery import app; "
        "import gunicorn; app.loader.import_default_modules(); print('ok', app.main)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok msgut"
