"""The production image holds the app and its runtime dependencies, nothing else.

No Docker engine runs on this machine, so the Dockerfile and .dockerignore are read
and checked against the locks and the tree: the image installs the runtime lock alone,
hash-checked, and the build context leaves out the venv, the database, tests and bench.
"""

import json
import re
import shlex
import subprocess
import sys

from bench.loadtest import Stack
from tests.locks import ROOT, RUNTIME_LOCK, declared, lock_entries
from tests.test_docker_compose import command_of, compose

# The app's code and data as the image runs it (paths relative to the repository).
APP_DIRS = ["msgut", "accounts", "tracker", "guidance", "trends", "clinic", "audit", "static", "templates", "locale"]
# Development-only tools that were once installed into the image; none may come back.
TOOLING = {"locust", "flask", "playwright", "mypy", "pytest", "ruff", "hypothesis", "factory-boy", "uv", "pre-commit"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            op, _, args = line.partition(" ")
            out.append((op.upper(), args.strip()))
    return out


def pip_installs() -> list[list[str]]:
    return [shlex.split(args) for op, args in instructions() if op == "RUN" and "pip install" in args]


def test_the_image_installs_the_runtime_lock_alone_and_checks_every_hash():
    (install,) = pip_installs()
    assert "--require-hashes" in install
    files = [install[i + 1] for i, word in enumerate(install) if word in ("-r", "--requirement")]
    assert files == ["requirements/runtime.lock"]
    arguments = install[install.index("install") + 1 :]
    named = [
        w for i, w in enumerate(arguments) if not w.startswith("-") and arguments[i - 1] not in ("-r", "--requirement")
    ]
    assert named == [], "packages named outside the lock"


def test_the_lock_is_copied_alone_before_the_install_so_code_changes_reuse_that_layer():
    steps = instructions()
    copy_lock = steps.index(("COPY", "requirements/runtime.lock requirements/runtime.lock"))
    install = next(i for i, (op, args) in enumerate(steps) if op == "RUN" and "pip install" in args)
    copy_all = steps.index(("COPY", ". ."))
    assert copy_lock < install < copy_all
    assert not any("dev.lock" in args for _op, args in steps)


def test_the_app_does_not_run_as_root():
    steps = instructions()
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_every_package_of_the_runtime_lock_is_pinned_with_hashes():
    entries = lock_entries(RUNTIME_LOCK)
    assert entries
    for name, (requirement, hashes) in entries.items():
        assert re.fullmatch(r"==[^,*]+", str(requirement.specifier)), name
        assert hashes and all(h.startswith("sha256:") for h in hashes), name


def test_the_runtime_lock_holds_no_test_bench_or_lint_tooling():
    runtime = set(lock_entries(RUNTIME_LOCK))
    dev_only = declared("dev") - declared()
    assert not runtime & dev_only
    assert not runtime & TOOLING
    assert declared() <= runtime


# ------------------------------------------------------------------ .dockerignore


def ignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes, regex) per line, in order; Docker's rules: `*` and `?` stay within a path
    segment, `**` crosses them, a leading `!` re-includes."""
    out = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        for part in re.split(r"(\*\*/?|\*|\?)", pattern):
            if part.startswith("**"):
                regex += "(?:.*/)?" if part.endswith("/") else ".*"
            elif part == "*":
                regex += "[^/]*"
            elif part == "?":
                regex += "[^/]"
            else:
                regex += re.escape(part)
        out.append((excludes, re.compile(regex)))
    return out


def left_out(path: str) -> bool:
    """Whether the build context leaves `path` out: the last pattern matching it, or one of its
    parent folders, decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    decision = False
    for excludes, regex in ignore_patterns():
        if any(regex.fullmatch(candidate) for candidate in candidates):
            decision = excludes
    return decision


def files_under(folder: str) -> list[str]:
    return [
        str(p.relative_to(ROOT))
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]


def test_the_build_context_leaves_out_the_developers_files():
    for path in [
        ".venv/bin/python",
        "db.sqlite3",
        ".env",
        ".git/HEAD",
        "staticfiles/css/app.css",
        ".mypy_cache/3.11/x.json",
        ".hypothesis/examples/x",
        "accounts/__pycache__/models.cpython-311.pyc",
        "requirements/dev.lock",
        *files_under("tests"),
        *files_under("bench"),
    ]:
        assert left_out(path), f"{path} would be copied into the image"


def test_the_build_context_keeps_everything_the_app_runs():
    needed = ["manage.py", str(RUNTIME_LOCK.relative_to(ROOT))]
    for folder in APP_DIRS:
        found = files_under(folder)
        assert found, folder
        needed += found
    kept_out = [path for path in needed if left_out(path)]
    assert kept_out == []


# ------------------------------------------------------------------ gunicorn

SERVER_SETTINGS = ("--workers", "-w", "--threads", "--worker-class", "-k", "--timeout", "-t", "--keep-alive", "-c")


def test_the_image_serves_with_the_settings_the_load_test_measures():
    """gunicorn.conf.py is read from the working directory, the image's /app and the repository root
    where bench.loadtest runs gunicorn: the web command sets only the address, so both get its settings."""
    (cmd,) = [json.loads(args) for op, args in instructions() if op == "CMD"]
    assert cmd[:2] == ["gunicorn", "msgut.wsgi:application"]
    assert not set(cmd) & set(SERVER_SETTINGS)
    assert not set(command_of(compose()["services"]["web"])) & set(SERVER_SETTINGS)
    assert not left_out("gunicorn.conf.py")
    assert Stack.__init__.__defaults__ == (None,)  # the load test passes no process count: the file's
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "msgut.wsgi:application"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    settings = dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.MULTILINE))
    assert {k: settings[k] for k in ("workers", "worker_class", "timeout")} == {
        "workers": "5",
        "worker_class": "sync",
        "timeout": "30",
    }
