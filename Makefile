# Two commands: `make run` (install, load the demo city, start the dashboard) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= data

.PHONY: install run demo test system bench clean

$(BIN)/sanse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/sanse

demo: install
	$(BIN)/sanse --home $(HOME_DIR) init --demo --publish-days 5

run: demo
	$(BIN)/python -m ui.serve --server.headless true

# Debian's chromium (browser tests) and PostgreSQL server (store tests, which start and stop
# a throwaway cluster themselves); installed only when missing.
system:
	@command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk postgresql)

test: install system
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/province.py

clean:
	rm -rf $(VENV) *.egg-info
