# Two commands: `make run` (install, migrate, serve) and `make test` (install, whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions of every dependency (dev tools included), resolved by pip-tools from
# pyproject.toml. `make lock` re-resolves them: an upgrade is a deliberate commit.
LOCK := requirements.lock
HOST ?= 127.0.0.1
PORT ?= 7000
# The PostgreSQL pass of `make test` runs against this server (DESIGN.md section 6).
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install lock pycsw-venv screenshots browser run test test-sqlite test-postgres lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is required (set PYTHON=python3.x)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

lock: install
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file $(LOCK) pyproject.toml

# The CSW tests and benchmark run a real pycsw 2.6, which needs SQLAlchemy 1.4: it gets a
# virtualenv of its own, with the exact versions of tests/csw_server/requirements.txt.
PYCSW_VENV := .venv-pycsw
PYCSW_STAMP := $(PYCSW_VENV)/.installed

pycsw-venv: $(PYCSW_STAMP)

$(PYCSW_STAMP): tests/csw_server/requirements.txt
	$(PYTHON) -m venv $(PYCSW_VENV)
	$(PYCSW_VENV)/bin/python -m pip install --quiet -r tests/csw_server/requirements.txt
	@touch $(PYCSW_STAMP)

# The admin's browser tests drive Debian's Chromium (Playwright never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Chromium is missing; installing Debian's package (needs root)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { echo "chromium is required by tests/browser"; exit 2; }

run: install
	$(BIN)/moisson db upgrade
	$(BIN)/moisson serve --host $(HOST) --port $(PORT)

test: install pycsw-venv browser
	$(BIN)/python scripts/test.py --postgres-url '$(TEST_POSTGRES_URL)'

test-sqlite: install pycsw-venv
	$(BIN)/python -m pytest -n 2 tests

test-postgres: install pycsw-venv
	MOISSON_TEST_DATABASE_URL='$(TEST_POSTGRES_URL)' $(BIN)/python -m pytest -n 2 tests

# Rewrites the admin screenshots under docs/screenshots (the README shows them).
screenshots: install browser
	MOISSON_WRITE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(PYCSW_VENV) var .pytest_cache
