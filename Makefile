# Two commands: `make run` (install, load the demo city, start the dashboard) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The home `make run` loads the demo into and serves: SANSE_HOME when set, else ./data.
HOME_DIR ?= $(or $(SANSE_HOME),data)

.PHONY: install run demo test test-fast system haproxy bench clean

$(BIN)/sanse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/sanse

demo: install
	$(BIN)/sanse --home $(HOME_DIR) init --demo --publish-days 5

# The whole product on one machine: supervisord (deploy/supervisord.conf) keeps two server
# processes and HAProxy in front of them on port 8501; Ctrl-C stops everything. One process
# alone is `.venv/bin/streamlit run app.py`.
run: demo haproxy
	mkdir -p $(HOME_DIR)/logs
	SANSE_HOME=$(abspath $(HOME_DIR)) SANSE_BIN=$(abspath $(BIN)) SANSE_ADDRESS= SANSE_PORT=8501 \
		SANSE_APP_PORT_1=8601 SANSE_APP_PORT_2=8602 $(BIN)/supervisord -c deploy/supervisord.conf

haproxy:
	@test -x /usr/sbin/haproxy || (apt-get update -qq && apt-get install -y -qq haproxy)

# Debian's chromium (browser tests), PostgreSQL server (store tests, which start and stop
# a throwaway cluster themselves) and HAProxy (deployment tests); installed only when missing.
system:
	@command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && test -x /usr/sbin/haproxy || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk postgresql haproxy)
	@# the 公文 faces of the PDF (FandolFang 仿宋, FandolSong, FandolKai, FandolHei)
	@ls /usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolFang-Regular.otf >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends texlive-lang-chinese)

test: install system
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The inner loop: everything but the browser, load, deployment and PostgreSQL tests (a few
# minutes). `make test` runs them all, as CI does.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not browser and not load and not deploy and not postgres"

bench: install
	$(BIN)/python benchmarks/province.py

clean:
	rm -rf $(VENV) *.egg-info
