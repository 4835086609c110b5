# Quick start: `make run` (serve the demo on http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# Debian packages: fonts and HarfBuzz for the letters, chromium for the browser tests,
# poppler-utils to look at PDF pages.
APT_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
	chromium poppler-utils fontconfig

.PHONY: run test test-sqlite test-postgres serve-prod worker-prod system-deps venv migrate demo clean

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

# Demo data on an empty database; units without a signing key get one from a throw-away demo
# CA (instance/signing/), so that issued letters are signed.
demo: migrate
	$(FLASK) demo --if-empty
	$(FLASK) letters demo-ca

# The web server and, beside it, the job queue's consumer (e-mail, SMS, reminders, digests);
# both stop together.
run: system-deps fonts demo
	@$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	sleep 3; kill -0 $$worker 2>/dev/null || { echo "the job queue's consumer did not start"; exit 1; }; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# The whole suite on SQLite, then again on PostgreSQL when TRACKER_TEST_DATABASE_URL is set
# (there without the browser, fuzz, letter-rendering and other tests that do not depend on the
# database: SQLITE_PASS_ONLY in tests/conftest.py). One xdist worker per core, each test file on
# one worker (its module fixtures are built once), the slowest files handed out first
# (SCHEDULE_FIRST in tests/conftest.py; xdist would otherwise order them by number of tests). pytest
# keeps its assertion-rewritten modules only where Python may write bytecode: an inherited
# PYTHONDONTWRITEBYTECODE would make every run rewrite them again (~20 s per process).
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadfile \
	--no-loadscope-reorder
test: system-deps venv fonts
	env -u TRACKER_TEST_DATABASE_URL $(PYTEST)
	@if [ -n "$$TRACKER_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TRACKER_TEST_DATABASE_URL"; \
		$(PYTEST); \
	fi

serve-prod: venv
	@test -n "$$TRACKER_DATABASE_URL" || { echo "TRACKER_DATABASE_URL is not set"; exit 1; }
	@test -n "$$TRACKER_SECRET_KEY" || { echo "TRACKER_SECRET_KEY is not set"; exit 1; }
	TRACKER_ENV=production $(FLASK) db upgrade
	TRACKER_ENV=production $(BIN)/gunicorn --config gunicorn.conf.py

# The job queue's consumer in production (run it beside serve-prod, under systemd or the like;
# more consumers: more of these, with --no-periodic on all but one). WORKERS threads each.
WORKERS ?= 4
worker-prod: venv
	@test -n "$$TRACKER_DATABASE_URL" || { echo "TRACKER_DATABASE_URL is not set"; exit 1; }
	@test -n "$$TRACKER_SECRET_KEY" || { echo "TRACKER_SECRET_KEY is not set"; exit 1; }
	TRACKER_ENV=production $(FLASK) jobs worker --workers $(WORKERS) $(WORKER_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

# The free Fandol fonts (仿宋/楷体/黑体/宋体 substitutes) for the reply letters, taken out of
# Debian's texlive-lang-chinese without installing it. Without them the letters fall back to
# Noto CJK (fonts-noto-cjk). Installed 仿宋_GB2312 etc. are preferred when present.
FONTS_DIR := instance/fonts
FANDOL_FILES := FandolFang-Regular FandolKai-Regular FandolHei-Regular FandolSong-Regular \
	FandolSong-Bold

.PHONY: fonts bench

fonts: $(FONTS_DIR)/.fandol

$(FONTS_DIR)/.fandol:
	@mkdir -p $(FONTS_DIR)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	if (cd "$$tmp" && apt-get download -q texlive-lang-chinese >/dev/null 2>&1); then \
		dpkg-deb -x "$$tmp"/texlive-lang-chinese_*.deb "$$tmp/x"; \
		src="$$tmp/x/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"; \
		for f in $(FANDOL_FILES); do \
			test -f "$$src/$$f.otf" || { echo "$$f.otf is not in the package"; exit 1; }; \
			cp "$$src/$$f.otf" $(FONTS_DIR)/; \
		done; \
		touch $@; echo "Fandol fonts installed in $(FONTS_DIR)"; \
	else \
		echo "WARNING: could not download texlive-lang-chinese (apt-get update?);"; \
		echo "         the letters will use Noto CJK (fonts-noto-cjk) instead of Fandol."; \
	fi

# Warm render times of a 3-page and an 8-page letter, and a 200-letter batch on all cores; a new
# process's first letter with and without the warm-up gunicorn's workers run;
# a 5,000-row import; the dashboard and a filtered item list at 100,000 items; full-text
# search at 100,000 items (index build, p95 per kind of query).
bench: venv fonts
	$(BIN)/python bench/bench_letters.py
	$(BIN)/python bench/first_letter.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_dashboard.py
	$(BIN)/python bench/bench_notices.py
	$(BIN)/python bench/bench_sheets.py
	$(BIN)/python bench/bench_search.py
	$(BIN)/python bench/bench_portal.py
	$(BIN)/python bench/similar_eval.py

.PHONY: load load-saturate load-cluster lock audit

# Load test: 50 simulated users against gunicorn in production mode on PostgreSQL for 2 minutes,
# then the audit chain and the document numbers (README "Load test"; LOAD_* settings).
# LOAD_MODE=saturate (or make load-saturate): each kind of page alone, then the mix, without
# pauses; requests/s, latencies and the app's and the database's CPU ms per request.
load: venv
	test -x $(BIN)/locust || $(BIN)/pip install --quiet -e '.[load]'
	$(BIN)/python load/run.py

load-saturate: venv
	test -x $(BIN)/locust || $(BIN)/pip install --quiet -e '.[load]'
	LOAD_MODE=saturate $(BIN)/python load/run.py

# Two app servers (2 gunicorn workers each) on two ports sharing one PostgreSQL database, one
# S3-compatible object store (a local moto_server) and one job queue on PostgreSQL with one
# consumer; the users' requests alternate between the servers, and 发文 stores its letters in
# the store. Afterwards also `flask storage verify` and the queue's runs.
load-cluster: venv
	test -x $(BIN)/locust -a -x $(BIN)/moto_server || $(BIN)/pip install --quiet -e '.[load]'
	LOAD_SERVERS=2 LOAD_WAIT=$${LOAD_WAIT:-1,3} LOAD_TIME=$${LOAD_TIME:-2m} $(BIN)/python load/run.py

# requirements.lock: the runtime dependencies (the install_requires closure, extras followed,
# no test or tool packages) pinned at the versions installed in the venv.
define LOCK_PY
import importlib.metadata as md, re
from packaging.requirements import Requirement
key = lambda name: re.sub(r"[-_.]+", "-", name).lower()
found, todo = {}, [("tracker", frozenset())]
while todo:
    name, extras = todo.pop()
    for spec in md.distribution(name).requires or []:
        req = Requirement(spec)
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in {"", *extras}):
            continue
        if (key(req.name), frozenset(req.extras)) not in found:
            found[key(req.name), frozenset(req.extras)] = md.distribution(req.name)
            todo.append((req.name, frozenset(req.extras)))
print("# Runtime dependencies of the tracker, pinned from the tested .venv by 'make lock'.")
for _, dist in sorted({key(d.metadata["Name"]): d for d in found.values()}.items()):
    print(f"{dist.metadata['Name']}=={dist.version}")
endef
export LOCK_PY

lock: venv
	$(BIN)/python -c "$$LOCK_PY" > requirements.lock

# Known vulnerabilities of the pinned runtime dependencies (pip-audit, PyPI's advisory data).
# --strict: a dependency that could not be checked fails the audit instead of passing silently.
AUDIT := $(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r requirements.lock
audit: venv
	test -x $(BIN)/pip-audit || $(BIN)/pip install --quiet -e '.[audit]'
	$(AUDIT)

# CI: a known vulnerability fails; when pip-audit cannot reach its advisory service at all
# (a closed network: PyPI's per-release data or OSV unreachable) it says so loudly and goes on,
# because nothing was checked either way.
audit-ci: venv
	@test -x $(BIN)/pip-audit || $(BIN)/pip install --quiet -e '.[audit]'
	@out=$$($(AUDIT) 2>&1); status=$$?; echo "$$out"; \
	if [ $$status -ne 0 ] && ! echo "$$out" | grep -qiE "^Name +Version +ID|vulnerabilit(y|ies) found|known vulnerabilit" \
	   && echo "$$out" | grep -qiE "not found on PyPI|connection|resolve|timed out"; then \
		echo "WARNING: pip-audit could not reach its vulnerability service: the dependency audit was NOT performed."; \
		exit 0; \
	fi; exit $$status

# ruff with the rules chosen in pyproject.toml ([tool.ruff.lint]); .ci/run calls it.
.PHONY: lint
lint: venv
	$(BIN)/ruff check .
