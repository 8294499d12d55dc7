# Two entry points that work on a fresh machine with only Python 3.11+ (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint bench bench-validate clean

$(BIN)/focus-ingest: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $@

demo: $(BIN)/focus-ingest
	$(BIN)/focus-ingest demo --workdir demo

lint: $(BIN)/focus-ingest
	$(BIN)/ruff check . && $(BIN)/mypy

test: lint
	$(BIN)/pytest

# The unit layer and the other tests that need neither dbt nor a whole CLI cycle: under a minute.
test-fast: lint
	$(BIN)/pytest -m "not slow"

bench: $(BIN)/focus-ingest
	$(BIN)/python bench/run_benchmark.py --rows $(or $(ROWS),2000000) --single-file-mb $(or $(SINGLE_MB),1024) \
		--many-files $(or $(FILES),9000) --latency-ms $(or $(LATENCY_MS),30) --workers-rows $(or $(WORKERS_ROWS),400000)

# `validate` against bare DuckDB and, when FOCUS_VALIDATOR=/path/to/focus-validator is set, the Foundation's tool.
bench-validate: $(BIN)/focus-ingest
	$(BIN)/python bench/validate_benchmark.py --rows $(or $(ROWS),1000000)

clean:
	rm -rf $(VENV) demo target logs
