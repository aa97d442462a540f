# Two commands: `make run` (demo on SQLite, tasks inline) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Both locks are generated from pyproject.toml by `make lock`; the image installs the runtime
# lock, the venv the dev lock (runtime + test and tooling), reinstalled whenever it changes.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cksum $(DEV_LOCK) | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist processes: one per core by default; PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: install lock run test test-fast lint typecheck deploycheck migrationscheck pytest demo worker beat messages \
	bench bench-scoring bench-weekly bench-search loadtest drills clean

$(STAMP): $(DEV_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(DEV_LOCK)
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Regenerate both locks after a change to pyproject.toml. Versions already pinned are kept;
# LOCK_ARGS="--upgrade-package django" (or "--upgrade") moves them. The dev lock is constrained
# by the runtime lock, so tests run on exactly the versions the image ships.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"
lock: install
	$(UV_COMPILE) $(LOCK_ARGS) -o $(RUNTIME_LOCK)
	$(UV_COMPILE) $(LOCK_ARGS) --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK)

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo "Serving msgut at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

MYPY := DEBUG=1 $(BIN)/mypy
typecheck: install
	$(MYPY)

migrationscheck: install
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

pytest: migrationscheck
	$(PYTEST) $(PYTEST_ARGS)

deploycheck: install
	SECRET_KEY=deploy-check-0123456789abcdefghijklmnopqrstuvwxyz-0123456789 DEBUG=0 ALLOWED_HOSTS=msgut.example.org \
		EMAIL_HOST=smtp.example.org TWO_FACTOR_KEYS=ZGVwbG95LWNoZWNrLWtleS1ub3QtYS1yZWFsLW9uZSE= \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# mypy runs beside the tests: it keeps one core busy for about ten seconds from a cold cache, while
# the tests leave one partly idle (browsers and live servers wait on each other). Its report is
# printed after the tests', and either failing fails `make test`.
test: lint deploycheck migrationscheck
	@($(MYPY) > $(VENV)/mypy.log 2>&1; echo $$? > $(VENV)/mypy.rc) & \
	$(PYTEST) $(PYTEST_ARGS); tests=$$?; wait; \
	echo "$(MYPY)"; cat $(VENV)/mypy.log; typed=$$(cat $(VENV)/mypy.rc); \
	test $$tests -eq 0 && test $$typed -eq 0

# The edit-and-rerun loop: every test but the browser ones, with the quick Hypothesis profile.
test-fast: install
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} $(PYTEST) -m "not browser" $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A msgut worker --loglevel=INFO --concurrency=1

beat: install
	$(BIN)/celery -A msgut beat --loglevel=INFO

messages: install
	cd $(CURDIR) && DEBUG=1 $(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=staticfiles --no-obsolete
	cd $(CURDIR) && DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

# Figures (PostgreSQL on 127.0.0.1:5432 and Redis on 6379 needed; loopback only, bounded in time).
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The per-feature goals at full size: 1,000 patients x 365 days scored, x 52 weeks summarised.
bench-scoring: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/msgut_bench_scoring $(BIN)/python -m bench.bench_scoring --drop $(BENCH_ARGS)

bench-weekly: install
	$(BIN)/python -m bench.bench_weekly --database msgut_bench_weekly $(BENCH_ARGS)

# The food search with 5,000 foods: server time per search through the selector and the view.
bench-search: install
	$(BIN)/python -m bench.bench_search $(BENCH_ARGS)

loadtest: install
	$(BIN)/python -m bench.loadtest $(LOAD_ARGS)

drills: install
	$(BIN)/python -m bench.drills $(DRILL_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
