# okrsim — `make demo` runs a policy comparison, `make test` runs the whole suite.
# Both create .venv and install what they use on first use: `make demo` the core
# package, `make test` also the dashboard and cluster extras and the test tools.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORE   := $(VENV)/.core-stamp
STAMP  := $(VENV)/.dev-stamp
OUT    ?= out

.PHONY: demo test lint typecheck pytest bench golden data-dictionary screenshots browser-deps clean help

help:
	@echo "make demo   - coupled vs decoupled comparison: prints a table, writes $(OUT)/demo/report.html"
	@echo "make test   - ruff, mypy and the whole pytest suite (installs Chromium for browser tests)"
	@echo "make bench  - speed benchmarks (benchmarks/*.py)"
	@echo "make golden - regenerate the golden runs (only for an intended change of behaviour)"
	@echo "make screenshots - refresh the dashboard pictures in docs/ from the browser tests"
	@echo "make data-dictionary - regenerate docs/DATA.md from okrsim/data_dictionary.py"

$(CORE): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "okrsim needs Python >= 3.12 (found %s); set PYTHON=python3.12" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	@echo "installing okrsim (the core package)"
	$(BIN)/python -m pip install --progress-bar on -e .
	@touch $(CORE)

$(STAMP): $(CORE)
	@echo "installing the dashboard and cluster extras and the test tools (a few minutes the first time)"
	$(BIN)/python -m pip install --progress-bar on -e '.[dashboard,cluster]' --group dev
	@touch $(STAMP)

demo: $(CORE)
	$(BIN)/okrsim compare scenarios/decoupled.toml scenarios/coupled.toml \
		--reps 20 --seed 2026 --out $(OUT)/demo

lint: $(STAMP)
	$(BIN)/ruff check okrsim tests benchmarks
	$(BIN)/ruff format --check okrsim tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# Two processes (-n 2); a test module's tests stay together (--dist loadfile),
# so module-scoped fixtures, such as a sweep several tests read, are built once.
PYTEST_WORKERS ?= 2

pytest: $(STAMP) browser-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

# Regenerate the golden runs: only for an intended change of behaviour, in a
# commit that says which behaviour changed and why.
golden: $(STAMP)
	$(BIN)/python tests/golden_runs.py

# The README's dashboard pictures, taken by the room and walk-through browser tests.
screenshots: $(STAMP) browser-deps
	OKRSIM_UPDATE_DOCS=1 $(BIN)/pytest tests/test_dashboard_room.py -q

# docs/DATA.md is rendered from okrsim/data_dictionary.py; a test keeps them equal.
data-dictionary: $(STAMP)
	$(BIN)/python -m okrsim.data_dictionary > docs/DATA.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_cli.py

browser-deps:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache test-output
