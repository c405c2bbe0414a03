# Rollout: make run, make test, make bench, make lint, make translations
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres bench lint translations extract-messages clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

compile-translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile -d rollout/translations

setup: $(VENV)/.installed compile-translations

run: setup
	$(FLASK) db upgrade
	$(FLASK) rollout demo --if-empty
	ROLLOUT_SCHEDULER_IN_PROCESS=true $(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/python tests/run_all.py

bench: setup
	$(BIN)/python benchmarks/run.py

lint: setup
	$(BIN)/ruff check rollout tests benchmarks

extract-messages: setup
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o rollout/translations/messages.pot .
	$(BIN)/pybabel -q update -i rollout/translations/messages.pot -d rollout/translations --no-fuzzy-matching

translations: extract-messages compile-translations

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
