# One set of commands, the same locally and in CI.
# `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup demo test test-fast lint format check bench eval devset generalization eval-generalization services clean

setup: $(STAMP)

# torch==2.13.0 is pinned in pyproject.toml (the CPU build on local disk); one resolve, no CUDA.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/c360 demo

services:
	bash scripts/ensure-postgres.sh

# Two pytest-xdist workers, each with its own PostgreSQL database and temp dirs; worksteal keeps
# the long crash tests from leaving one worker alone at the end. Measured 2026-12-07 on 2 cores:
# 7 min 06 s, against 16 min 00 s in one process (most of a test's wall time is subprocess
# start-up and waiting on fake servers, not CPU).
TEST_WORKERS ?= 2
test: setup services
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

test-fast: setup
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not postgres and not chroma_server and not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint test

bench: setup
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_brief.py
	$(BIN)/python bench/bench_slack.py
	$(BIN)/python bench/bench_sync.py

devset: setup
	$(BIN)/python eval/make_devset.py --out eval/devset.jsonl

eval: setup
	$(BIN)/c360 eval eval/devset.jsonl

# The generalization check (eval/README.md): its own generator, never tuned on. Its store holds
# both CFPB files and the telco customers (C360_DATA_DIR); the CI slice is tests/test_eval_generalization.py.
generalization: setup
	$(BIN)/python eval/make_generalization.py
	$(BIN)/python eval/make_generalization.py --ci

eval-generalization: setup
	$(BIN)/c360 eval eval/generalization.jsonl --show-failures 20

clean:
	rm -rf $(VENV) .c360 .pytest_cache .ruff_cache
