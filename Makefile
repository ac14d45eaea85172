# Fengqiao — the two commands a newcomer needs are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install demo test test-sqlite test-postgres lint format browser bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/fengqiao demo

# Chromium for the real-browser tests comes from Debian (never Playwright's own download).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk) \
	  || echo "warning: could not install chromium; browser journeys will fail"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install browser lint
	$(BIN)/python -m fengqiao.cli manage check
	$(BIN)/python -m fengqiao.cli manage makemigrations --check --dry-run
	$(MAKE) test-sqlite
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; \
	  then $(MAKE) test-postgres; else echo "PostgreSQL not reachable on 127.0.0.1:5432: skipped the PostgreSQL run"; fi

test-sqlite: install
	FENGQIAO_TEST_DATABASE_URL= FENGQIAO_DATABASE_URL= $(BIN)/pytest

test-postgres: install
	FENGQIAO_DATABASE_URL=$${FENGQIAO_TEST_DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -m "not browser"
	@mkdir -p var/test-artifacts && date > var/test-artifacts/postgresql-run.ok

# Benchmarks (not tests): every bench/*_bench.py, results under bench/results/ (docs/performance.md).
bench: install
	@mkdir -p bench/results
	@for script in bench/*_bench.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var/test-artifacts .pytest_cache
