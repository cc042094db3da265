# unidesk — the two commands you need are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast e2e lint format bench install messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start unidesk on http://127.0.0.1:8000 (migrates and loads demo data on first start).
run: $(STAMP)
	$(BIN)/unidesk run

## The whole suite: lint, types, unit, integration and end-to-end tests.
test: $(STAMP)
	@mkdir -p var
	$(BIN)/ruff check unidesk tests bench
	$(BIN)/ruff format --check unidesk tests bench
	$(BIN)/mypy unidesk
	$(BIN)/python -m pytest

## The suite without the slow end-to-end tests (servers, browser).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

e2e: $(STAMP)
	$(BIN)/python -m pytest -m e2e

lint: $(STAMP)
	$(BIN)/ruff check unidesk tests bench
	$(BIN)/ruff format --check unidesk tests bench
	$(BIN)/mypy unidesk

format: $(STAMP)
	$(BIN)/ruff check --fix unidesk tests bench
	$(BIN)/ruff format unidesk tests bench

## Benchmarks; results go to BENCHMARKS.md by hand after reading them.
bench: $(STAMP)
	$(BIN)/python -m bench

## Refresh translation catalogues after changing user-visible text.
messages: $(STAMP)
	cd unidesk && ../$(BIN)/unidesk makemessages -l ru --no-obsolete --no-location --ignore 'migrations/*' --ignore 'static/*'
	cd unidesk && ../$(BIN)/unidesk makemessages -d djangojs -l ru --no-obsolete --no-location
	# Sorted by msgid and without the creation date, so catalogues changed on two branches
	# merge without conflicts in unrelated entries.
	for po in unidesk/locale/ru/LC_MESSAGES/*.po; do \
	  msgcat --sort-output --no-location --no-wrap -o "$$po" "$$po" && \
	  sed -i '/^"POT-Creation-Date: /d' "$$po"; done
	cd unidesk && ../$(BIN)/unidesk compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
