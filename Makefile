# Two commands: `make run` (demo on SQLite, tasks inline) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck deploycheck pytest demo worker beat messages bench bench-scoring bench-weekly loadtest drills clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo "Serving msgut at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .

typecheck: install
	DEBUG=1 $(BIN)/mypy

pytest: install
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

deploycheck: install
	SECRET_KEY=deploy-check-0123456789abcdefghijklmnopqrstuvwxyz-0123456789 DEBUG=0 ALLOWED_HOSTS=msgut.example.org \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

test: lint typecheck deploycheck pytest

worker: install
	$(BIN)/celery -A msgut worker --loglevel=INFO --concurrency=1

beat: install
	$(BIN)/celery -A msgut beat --loglevel=INFO

messages: install
	cd $(CURDIR) && DEBUG=1 $(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=staticfiles --no-obsolete
	cd $(CURDIR) && DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

# Figures (PostgreSQL on 127.0.0.1:5432 and Redis on 6379 needed; loopback only, bounded in time).
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The per-feature goals at full size: 1,000 patients x 365 days scored, x 52 weeks summarised.
bench-scoring: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/msgut_bench_scoring $(BIN)/python bench/bench_scoring.py --drop

bench-weekly: install
	$(BIN)/python bench/bench_weekly.py --database msgut_bench_weekly

loadtest: install
	$(BIN)/python bench/loadtest.py $(LOAD_ARGS)

drills: install
	$(BIN)/python bench/drills.py $(DRILL_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
