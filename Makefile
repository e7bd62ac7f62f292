# Two commands matter: `make run` (the product) and `make test` (the whole suite; CI calls it).
SHELL := /bin/bash
.DEFAULT_GOAL := help

APP_VENV  ?= .venv
RASA_VENV ?= .venv-rasa
# Rasa 3.6 runs only on Python 3.10; the gateway and actions server on 3.11+.
PY310 ?= $(shell PYENV_VERSION=3.10.13 pyenv which python3.10 2>/dev/null || command -v python3.10)
PY311 ?= $(shell PYENV_VERSION=3.11.7 pyenv which python3.11 2>/dev/null || command -v python3.11 || command -v python3)
# uv from PATH, else the binary of the `uv` package of the 3.11 interpreter (pip installs it there
# when missing; a fresh pyenv does not always expose a new binary on PATH until a rehash).
# Recursive (=): looked up again after `uv-available` has installed it.
UV = $(shell command -v uv 2>/dev/null || $(PY311) -c "import uv; print(uv.find_uv_bin())" 2>/dev/null || echo uv)
APP_PY := $(APP_VENV)/bin/python

.PHONY: help uv-available deps run test train validate test-stories bench-nlu bench-latency bench-booking bench-answers qr stats clean

help:
	@echo "make run            start actions server :5055, Rasa :5005 (RASA_REPLICAS=N: N of them) and the gateway (web chat :8080, Telegram if TELEGRAM_TOKEN)"
	@echo "make test           run the whole test suite (unit, SQLite + PostgreSQL, Rasa data/stories, end-to-end, browser)"
	@echo "make train          train the Rasa model if its inputs changed (cached by hash in models/)"
	@echo "make bench-nlu      cross-validated intent accuracy, macro-F1, entity F1 (all and short messages), held-out set"
	@echo "make bench-latency  1 and 2 Rasa replicas: p50/p95 gateway vs bare parse, msg/s, memory, cold start"
	@echo "make bench-booking  booking throughput and p95 for 200 concurrent residents (SQLite, PostgreSQL)"
	@echo "make bench-answers  FAQ retrieval on dev and held-out questions: top-1/top-3, confident wrong, clarify, none, p95"
	@echo "make qr             QR codes and A4 posters for every board into qr_out/"

uv-available:
	@$(UV) --version >/dev/null 2>&1 || { echo "[setup] installing uv"; $(PY311) -m pip install --quiet uv; }

# The app venv is rebuilt when pyproject.toml changes.
$(APP_VENV)/.installed: pyproject.toml | uv-available
	@echo "[setup] app environment ($(APP_VENV), Python 3.11)"
	@test -x $(APP_PY) || $(UV) venv --quiet -p $(PY311) $(APP_VENV)
	VIRTUAL_ENV=$(APP_VENV) $(UV) pip install --quiet -e ".[test]"
	@touch $@

# Rasa in its own venv; hotich is installed without dependencies so the NLU pipeline can import
# hotich.text (pure Python) and not drag SQLAlchemy 2 into Rasa's SQLAlchemy 1.4 world.
$(RASA_VENV)/.installed: | uv-available
	@echo "[setup] Rasa environment ($(RASA_VENV), Python 3.10, rasa==3.6.21)"
	@test -x $(RASA_VENV)/bin/python || $(UV) venv --quiet -p $(PY310) $(RASA_VENV)
	VIRTUAL_ENV=$(RASA_VENV) $(UV) pip install --quiet "rasa==3.6.21"
	VIRTUAL_ENV=$(RASA_VENV) $(UV) pip install --quiet --no-deps -e .
	@touch $@

deps: $(APP_VENV)/.installed $(RASA_VENV)/.installed

train: deps
	$(APP_PY) -m hotich.ops.model_cache

run: deps
	$(APP_PY) -m hotich.ops.stack

test: deps
	$(APP_PY) -m pytest -q -ra $(PYTEST_ARGS)

validate: deps
	$(RASA_VENV)/bin/rasa data validate --domain domain.yml --data nlu_data --config config.yml

test-stories: train
	$(APP_PY) -m pytest -q tests/test_rasa_stories.py

bench-nlu: deps
	$(APP_PY) scripts/bench_nlu.py

bench-latency: train
	$(APP_PY) scripts/bench_latency.py

bench-booking: deps
	$(APP_PY) scripts/bench_booking.py

bench-answers: deps
	$(APP_PY) scripts/bench_answers.py

qr: deps
	$(APP_VENV)/bin/hotich qr --out qr_out

stats: deps
	$(APP_VENV)/bin/hotich stats --days 30

clean:
	rm -rf models results var qr_out .pytest_cache
