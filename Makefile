# One target per habit. `make demo` and `make test` install what is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test fast lint typecheck unit bench system-deps clean serve

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(STAMP)

# Debian packages some tests need (Chromium for pages, PostgreSQL for the store).
system-deps:
	@bash scripts/system-deps.sh

demo: $(STAMP)
	$(BIN)/joignable demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# Everything but the tests marked slow (over about a second): the inner loop.
fast: $(STAMP) system-deps
	$(BIN)/pytest -q -m "not slow"

test: $(STAMP) system-deps lint typecheck
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/staffing.py
	$(BIN)/python bench/multiskill.py
	$(BIN)/python bench/multiskill_policies.py
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
