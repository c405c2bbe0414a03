# Rollout: make run, make test, make bench, make lint, make translations
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres bench bench-operations load lint translations extract-messages screenshots clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

# the compiled catalogs (*.mo) are committed, so that `pip install .` carries them; `make
# translations` rebuilds them, and tests/test_translations.py fails when they lag the .po files
compile-translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile -d rollout/translations

setup: $(VENV)/.installed

# `PORT=8080 make run`, `HOST=0.0.0.0 make run`: the links the demo prints and the e-mails hold
# follow, unless ROLLOUT_PUBLIC_URL says otherwise (e.g. behind a proxy)
HOST ?= 127.0.0.1
PORT ?= 5000
RUN_ENV := ROLLOUT_PUBLIC_URL=$${ROLLOUT_PUBLIC_URL:-http://$(HOST):$(PORT)}

run: setup
	$(FLASK) db upgrade
	$(RUN_ENV) $(FLASK) rollout demo --if-empty
	$(RUN_ENV) ROLLOUT_SCHEDULER_IN_PROCESS=true $(FLASK) run --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python tests/run_all.py

# the six figures of issue 13 as ratios (BENCH_SIZES=quick for a run of a few minutes)
bench: setup
	$(BIN)/python benchmarks/run.py

# the other heavy operations, timed (BENCH_OPERATION_SIZES=2000 for a quick run)
bench-operations: setup
	$(BIN)/python benchmarks/operations.py

# participants opening links, submitting and editing against gunicorn + PostgreSQL, steady and
# with a worker killed: `LOAD_USERS=20 LOAD_SECONDS=10 make load` for a quick check (more knobs:
# benchmarks/load/__init__.py); exits non-zero when a goal is missed
LOAD_USERS ?= 200
LOAD_SECONDS ?= 60
load: setup
	LOAD_USERS=$(LOAD_USERS) LOAD_SECONDS=$(LOAD_SECONDS) $(BIN)/python -m benchmarks.load

# the README's screenshots, taken anew from the demo with Chromium
screenshots: setup
	$(BIN)/python benchmarks/screenshots.py

# ruff, then mypy (setup.cfg's [mypy] names the files and how strictly each part is typed)
lint: setup
	$(BIN)/ruff check rollout tests benchmarks
	$(BIN)/mypy

extract-messages: setup
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o rollout/translations/messages.pot .
	$(BIN)/pybabel -q update -i rollout/translations/messages.pot -d rollout/translations --no-fuzzy-matching

translations: extract-messages compile-translations

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
