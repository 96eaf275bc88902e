# netweave: two commands on a fresh machine.
#   make run    start the app on the embedded default (SQLite, no external server, a demo O-Cloud)
#   make test   every stage: lint, unit (SQLite and PostgreSQL), backends, browser, faults; then a table
#   make test-unit | test-backends [PLUGIN=name] | test-browser   one stage (docs/testing.md)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-backends test-browser backends faults lint format venv clean bench

# The requirements are installed by uv (pinned in requirements-dev.txt; pip installs it into the venv first): from
# its cache (outside the checkout) it takes seconds where pip took a minute and a half of CPU. Nothing is
# byte-compiled ahead: Python compiles a module on its first import and the test stages keep __pycache__
# (docs/decisions/0023-uv-installs-the-venv.md).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check "$$(grep -E '^uv==' requirements-dev.txt)"
	$(BIN)/uv pip install -q --link-mode hardlink --python $(BIN)/python -r requirements-dev.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	bash scripts/run.sh

test: $(STAMP)
	bash scripts/test.sh

test-unit: $(STAMP)
	$(BIN)/python scripts/stages.py unit

test-backends: $(STAMP)
	$(BIN)/python scripts/stages.py backends

test-browser: $(STAMP)
	$(BIN)/python scripts/stages.py browser

# Build or fetch every test backend into the machine-level cache (scripts/backends.py; nothing when warm).
backends:
	python3 scripts/backends.py install

# ruff check, ruff format --check, mypy (its cache outside the checkout: scripts/stages.py mypy_cache)
lint: $(STAMP)
	$(BIN)/python scripts/stages.py lint

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The production stack (PostgreSQL, Redis, gunicorn, 2 workers, beat, 20 receivers) under faults; see
# tests/faults and docs/reliability.md. Bounded to 15 minutes (FAULTS_TIMEOUT seconds; `make test` runs it at
# nice 10 beside the unit stage with a longer bound).
FAULTS_TIMEOUT ?= 900
faults: $(STAMP)
	timeout -s INT -k 60 $(FAULTS_TIMEOUT) $(BIN)/python -m pytest -q -p no:randomly -m faults tests/faults

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(VENV) data .cache
