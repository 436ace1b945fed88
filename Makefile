# Everything a fresh machine needs: Python 3.11, pip and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench field-ledger clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/cemigrate demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy src

pytest: $(VENV)/.installed-test
	$(BIN)/pytest -n auto

test: lint typecheck pytest

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/copier_overhead.py --tickets 10000

# The "Field ledger" sections of docs/zendesk.md and docs/freshdesk.md, generated from
# adapters/<platform>/field_ledger.py.
field-ledger: $(VENV)/.installed
	$(BIN)/python -m cemigrate.adapters.zendesk.field_ledger --write docs/zendesk.md
	$(BIN)/python -m cemigrate.adapters.freshdesk.field_ledger --write docs/freshdesk.md
	$(BIN)/python -m cemigrate.adapters.salesforce.field_ledger --write docs/salesforce.md

clean:
	rm -rf $(VENV) cemigrate-demo .pytest_cache .mypy_cache .ruff_cache
