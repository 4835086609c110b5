# Quick start: `make run` (serve the demo on http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# Debian packages: fonts and HarfBuzz for the letters, chromium for the browser tests,
# poppler-utils to look at PDF pages.
APT_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
	chromium poppler-utils

.PHONY: run test test-sqlite test-postgres serve-prod system-deps venv migrate demo clean

$(BIN)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/.installed

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
		else \
			echo "Please install the Debian packages this needs:"; \
			echo "  sudo apt-get install -y $$missing"; exit 1; \
		fi; \
	fi

migrate: venv
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty

run: system-deps demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# The whole suite on SQLite, then again on PostgreSQL when TRACKER_TEST_DATABASE_URL is set.
test: system-deps venv
	env -u TRACKER_TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$TRACKER_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TRACKER_TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest; \
	fi

serve-prod: venv
	@test -n "$$TRACKER_DATABASE_URL" || { echo "TRACKER_DATABASE_URL is not set"; exit 1; }
	@test -n "$$TRACKER_SECRET_KEY" || { echo "TRACKER_SECRET_KEY is not set"; exit 1; }
	TRACKER_ENV=production $(FLASK) db upgrade
	TRACKER_ENV=production $(BIN)/gunicorn --workers $${WORKERS:-4} --bind $${BIND:-127.0.0.1:8000} \
		--access-logfile - wsgi:app

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
