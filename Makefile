# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    install into .venv, create the SQLite database with demo data, serve on :5000
#   make test   install with the test tools, lint, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

TRANSLATIONS := readingroom/translations
POT := build/messages.pot

.PHONY: run test install install-test lint i18n-extract i18n-update i18n-compile bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

# The editable install serves the catalogues from the source tree: compile them
# on every install (well under a second), so that an edited .po is never served stale.
install: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)
install-test: $(VENV)/.installed-test
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

# Links in notices, feeds and QR codes start with PUBLIC_BASE_URL (required outside debug).
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/flask --app readingroom init-db
	$(BIN)/flask --app readingroom seed-demo
	$(BIN)/flask --app readingroom run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check readingroom tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, the formatting, and the layering of the domains (import-linter, pyproject.toml)
lint: install-test
	$(BIN)/ruff check readingroom tests
	$(BIN)/ruff format --check readingroom tests
	$(BIN)/lint-imports

# Translations: babel.cfg says what is extracted from where (and needs the test
# tools' Babel). i18n-update merges new and changed message ids into the one
# catalogue per language; translate the entries left with an empty msgstr or a
# "fuzzy" flag (`make test` lists them in tests/test_i18n.py). The template is
# sorted by message id, so moving code only changes the `#:` location lines.
i18n-extract: install-test
	@mkdir -p $(dir $(POT))
	$(BIN)/pybabel extract -F babel.cfg -o $(POT) --project readingroom -w 100 --sort-output .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) -w 100 --ignore-obsolete
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

bench: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
