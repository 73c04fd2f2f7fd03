# Two commands do everything on a fresh machine:
#   make demo   sample exports → pipeline → published site (data/site/index.html)
#   make test   the whole test suite, incl. end-to-end and headless-Chromium tests
SHELL := /bin/bash
# Python 3.11: python3.11 if on PATH, else python3 (checked below)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SEED ?= 20220824

.PHONY: demo test test-fast lint install system-deps ui bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || { echo "need Python 3.11 (set PYTHON=...)"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m pipelines.dbt_parse  # once per dbt code, into the user's cache (not in every run)
	@touch $(STAMP)
	@echo "installed the project into $(VENV)"

install: $(STAMP)

# Headless Chromium, CJK fonts (the pages are Chinese) and strace (the no-network test).
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'cjk\|wenquanyi' || ! command -v strace >/dev/null; then \
	  echo "installing chromium, fonts-noto-cjk, strace with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk strace util-linux >/dev/null; \
	else echo "system packages present: chromium, CJK fonts, strace"; fi

demo: $(STAMP)
	@if [ ! -d data/inbox ]; then $(BIN)/zhifa sample --out data/inbox --seed $(SEED); \
	else echo "using the existing inbox data/inbox (delete it to regenerate the sample)"; fi
	$(BIN)/zhifa run --inbox data/inbox --workdir data
	@echo "open data/site/index.html"

# Python (ruff), the generated dbt vars, and the dbt models (sqlfluff, dbt templater: it
# compiles the models against scratch paths, no lake needed).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pipelines.contract_gen --check
	@mkdir -p .lint
	ZHIFA_RUN_AS_OF=2022-08-31 ZHIFA_LAKE=$(CURDIR)/.lint/lake ZHIFA_WAREHOUSE=$(CURDIR)/.lint/lint.duckdb DBT_TARGET_PATH=$(CURDIR)/.lint/target \
	  DBT_LOG_PATH=$(CURDIR)/.lint/logs $(BIN)/sqlfluff lint dbt/models

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -n 2 -m "slow or browser or not (slow or browser)" --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2

ui: $(STAMP)
	@mkdir -p data/dagster && cp dagster.yaml data/dagster/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/data/dagster ZHIFA_INBOX=$(CURDIR)/data/inbox ZHIFA_WORKDIR=$(CURDIR)/data \
	  $(BIN)/dagster dev -m pipelines.definitions

bench: $(STAMP)
	$(BIN)/python -m bench --scale $(or $(SCALE),demo) $(if $(INBOX),--inbox $(INBOX))

clean:
	rm -rf data dbt/target dbt/logs .pytest_cache .lint
