# Fengqiao — the two commands a newcomer needs are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install demo test test-sqlite test-postgres lint format browser pgbouncer bench clean wheelhouse lock

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The public data beside the checkout (laws, training sets). The screener's fraud model is built from it
# here, on the install (its licences do not allow shipping it); the law corpus is imported by the worker.
SHARED_DATA ?= ../shared/data
demo: install
	@if [ -f $(SHARED_DATA)/training/fraud.jsonl ] && [ ! -f $${FENGQIAO_HOME:-var}/assistant/screener.npz ]; then \
	  echo "building the screener model from $(SHARED_DATA)/training (about a minute)"; \
	  nice -n 10 $(BIN)/fengqiao assistant train-screener --data $(SHARED_DATA)/training; fi
	$(BIN)/fengqiao demo

# Chromium for the real-browser tests comes from Debian (never Playwright's own download).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk) \
	  || echo "warning: could not install chromium; browser journeys will fail"

# pgbouncer for the connection-pooling test (tests/ops/test_pgbouncer.py) comes from Debian too.
pgbouncer:
	@test -x /usr/sbin/pgbouncer || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer) \
	  || echo "warning: could not install pgbouncer; the pooling test will fail"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install browser pgbouncer lint
	$(BIN)/python -m fengqiao.cli manage check
	$(BIN)/python -m fengqiao.cli manage makemigrations --check --dry-run
	$(MAKE) test-sqlite
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; \
	  then $(MAKE) test-postgres; else echo "PostgreSQL not reachable on 127.0.0.1:5432: skipped the PostgreSQL run"; fi

test-sqlite: install
	FENGQIAO_TEST_DATABASE_URL= FENGQIAO_DATABASE_URL= $(BIN)/pytest -m "not browser"
	FENGQIAO_TEST_DATABASE_URL= FENGQIAO_DATABASE_URL= $(BIN)/pytest -m browser

test-postgres: install
	FENGQIAO_DATABASE_URL=$${FENGQIAO_TEST_DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -m "not browser"
	@mkdir -p var/test-artifacts && date > var/test-artifacts/postgresql-run.ok

# Benchmarks (not tests; see docs/performance.md): the 1M-case generator on PostgreSQL, the ratios
# against the bare-Django reference endpoint (bench/reference.py, same workers, same database), the
# cases load benchmark, the assistant over the whole law corpus, registry search at BENCH_PEOPLE people
# (scale flags: `make bench SCALE=10m` (or 1m, 100k …) for the generated cases,
# `make bench BENCH_PEOPLE=100000`). Long runs go under `nice`. Results under bench/results/.
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/fq_bench
SCALE ?= 1m
BENCH_CASES ?= $(shell echo $(SCALE) | sed -e 's/[mM]$$/000000/' -e 's/[kK]$$/000/')
BENCH_PEOPLE ?= 1000000
BENCH_PEOPLE_DB ?= postgres://postgres@127.0.0.1:5432/fq_registry_bench
bench: install
	@mkdir -p bench/results
	-psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE fq_bench" 2>/dev/null
	FENGQIAO_DATABASE_URL=$(BENCH_DB) FENGQIAO_HOME=$$(mktemp -d) nice -n 19 $(BIN)/python bench/generate_cases.py --cases $(BENCH_CASES) --due 10000
	FENGQIAO_DATABASE_URL=$(BENCH_DB) FENGQIAO_HOME=$$(mktemp -d) nice -n 19 $(BIN)/python bench/ratio_bench.py --seconds 10
	FENGQIAO_DATABASE_URL=$(BENCH_DB) FENGQIAO_HOME=$$(mktemp -d) nice -n 19 $(BIN)/python bench/cases_bench.py --seconds 15
	FENGQIAO_HOME=$$(mktemp -d) nice -n 19 $(BIN)/python bench/assistant_bench.py ../shared/data/laws
	-psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE fq_registry_bench" 2>/dev/null
	FENGQIAO_DATABASE_URL=$(BENCH_PEOPLE_DB) FENGQIAO_HOME=$$(mktemp -d) nice -n 19 $(BIN)/python bench/registry_search_bench.py --people $(BENCH_PEOPLE)

clean:
	rm -rf var/test-artifacts .pytest_cache

# Offline intranet installs (docs/deploy.md): requirements.lock pins every package with hashes;
# `make wheelhouse` downloads them into wheelhouse/ on a connected machine, to copy across.
wheelhouse:
	$(BIN)/python -m pip download --require-hashes -r requirements.lock -d wheelhouse
	$(BIN)/python -m pip download -d wheelhouse "setuptools>=69" wheel  # to build fengqiao itself

# Re-pin after changing pyproject.toml's dependencies (needs pip-tools).
lock:
	pip-compile --generate-hashes --extra dev --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host -o requirements.lock pyproject.toml
