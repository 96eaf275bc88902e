# netweave: two commands on a fresh machine.
#   make run    start the app on the embedded default (SQLite, no external server, a demo O-Cloud)
#   make test   lint, type-check and run the whole suite on SQLite and on a real PostgreSQL
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format venv clean bench faults

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	bash scripts/run.sh

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy plugins netweave inventory deployments

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The production stack (PostgreSQL, Redis, gunicorn, 2 workers, beat, 20 receivers) under faults; see
# tests/faults and docs/reliability.md. Bounded to 15 minutes.
faults: $(STAMP)
	timeout -s INT -k 60 900 $(BIN)/python -m pytest -q -p no:randomly -m faults tests/faults

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(VENV) data .cache
