# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    install into .venv, create the SQLite database with demo data, serve on :5000
#   make test   install with the test tools, lint, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test lint i18n bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/flask --app readingroom init-db
	$(BIN)/flask --app readingroom seed-demo
	$(BIN)/flask --app readingroom run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check readingroom tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check readingroom tests
	$(BIN)/ruff format --check readingroom tests

# Extract new messages into every domain's catalogue and list what needs translating.
i18n: install
	$(BIN)/python -m readingroom.i18n_tool update

bench: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
