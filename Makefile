# Two commands on a fresh machine:  make demo  (install, demo data, nightly run, alert to the outbox)
#                                   make test  (the whole suite)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCALE  ?= small
SEED   ?= 7
DAYS   ?= 60
# The demo ends yesterday; the nightly backfill covers the last BACKFILL_DAYS days of it.
END_DATE      ?= $(shell date -u -d yesterday +%F)
BACKFILL_DAYS ?= 45
FROM_DATE     ?= $(shell date -u -d "$(END_DATE) - $$(( $(BACKFILL_DAYS) - 1 )) days" +%F)

export PYARROW_IGNORE_TIMEZONE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install system-deps demo nightly alert app status evaluate test test-fast check audit bench bench-app clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Debian's Chromium for the browser tests (playwright's own browser download cannot work offline).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

install: $(VENV)/.installed

# The demo starts from a fresh lake under var/ (a lake given by SCV_LAKE_ROOT is never removed).
demo: install
	@if [ -z "$$SCV_LAKE_ROOT" ]; then rm -rf var/lake var/outbox; fi
	$(BIN)/scv demo-data --scale $(SCALE) --seed $(SEED) --days $(DAYS) --end-date $(END_DATE) --clean
	$(BIN)/scv nightly --from $(FROM_DATE) --to $(END_DATE)
	$(BIN)/scv alert --dry-run --date $(END_DATE)
	$(BIN)/scv evaluate
	$(BIN)/scv status
	$(BIN)/scv app --demo-users
	@echo
	@echo "Landing: $${SCV_LANDING_DIR:-var/landing}   (the demo exports; ground truth in var/truth)"
	@echo "Lake:    $${SCV_LAKE_ROOT:-var/lake}   (bronze/ silver/ gold/ quarantine/ ops/)"
	@echo "Outbox:  $${SCV_OUTBOX_DIR:-var/outbox}   (the rendered alert email, .eml and .html)"
	@echo "Report:  var/truth/evaluation.json   (scv evaluate)"
	@echo "App:     make app, then open http://127.0.0.1:7860 and sign in with a user printed above"

nightly: install
	$(BIN)/scv nightly --date $(END_DATE)

alert: install
	$(BIN)/scv alert --dry-run --date $(END_DATE)

app: install
	$(BIN)/scv app

status: install
	$(BIN)/scv status

evaluate: install
	$(BIN)/scv evaluate

test: install system-deps
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not browser"

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@$(MAKE) --no-print-directory audit

# pip-audit over the installed runtime dependencies (operations/audit.py): fails on a known vulnerability; says
# SKIPPED and passes when no advisory source (PyPI's per-release JSON API, OSV) is reachable.
audit: install
	$(BIN)/python -m operations.audit

# The nightly benchmark at small and medium, the pipeline's gold against the pandas baseline, the app's first
# HTTP 200: one JSON report (docs/benchmarks.md). LARGE=1 adds the large scale; BENCH_REPORT names the file.
BENCH_REPORT ?= test-output/bench/report.json
bench: install
	$(BIN)/python bench/bench_report.py $(if $(filter 1 yes true,$(LARGE)),--large) --report $(BENCH_REPORT)

bench-app: install
	$(BIN)/python bench/app_query_bench.py

clean:
	rm -rf var test-output .pytest_cache .mypy_cache .ruff_cache
