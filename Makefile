# Two commands do all set-up on a fresh machine (see README.md):
#   make reproduce   the full reproduction (Snakemake, config/config.yaml)
#   make test        the test suite
# Both create .venv from the pinned versions in requirements.lock on first use.
# Nothing needs to be activated: every target runs the tools in .venv/bin, and
# every Snakemake job runs the interpreter Snakemake itself runs under.

PYTHON ?= python3.11
CORES  ?= 2
CONFIG ?= config/config.yaml
VENV   := .venv
BIN    := $(VENV)/bin
# The results directory of CONFIG (for the Snakemake report).
RESULTS = $(shell $(BIN)/python scripts/tools/check_config.py --print-results $(CONFIG))

.PHONY: reproduce check-config test test-fast example lint format benchmark findings \
	findings-check clean-venv lock

$(BIN)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# CONFIG=config/test.yaml for the tiny configuration (about two minutes).
reproduce: check-config
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)
	$(BIN)/snakemake --cores 1 --configfile $(CONFIG) --report $(RESULTS)/report.zip

# The configuration's checks on their own, with the file and line of a YAML
# syntax error (Snakemake's own loader does not say where).
check-config: $(BIN)/.installed
	$(BIN)/python scripts/tools/check_config.py $(CONFIG)

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -q -m "not pipeline and not slurm"

example: $(BIN)/.installed
	$(BIN)/python scripts/tools/example.py

lint: $(BIN)/.installed
	$(BIN)/ruff check src scripts tests
	$(BIN)/ruff format --check src scripts tests
	$(BIN)/snakefmt --check workflow
	$(BIN)/snakemake --lint

format: $(BIN)/.installed
	$(BIN)/ruff format src scripts tests
	$(BIN)/ruff check --fix src scripts tests
	$(BIN)/snakefmt workflow

benchmark: $(BIN)/.installed
	$(BIN)/python scripts/tools/benchmark.py

# The README's "What the reproduction finds" section, rendered from the
# committed tables in docs/findings/ (findings-check: exit 1 if it differs).
findings: $(BIN)/.installed
	$(BIN)/python scripts/tools/findings.py render

findings-check: $(BIN)/.installed
	$(BIN)/python scripts/tools/findings.py check

# Regenerate the full lock from the top-level pins (needs the package index).
lock:
	rm -rf /tmp/qhnet-lock && $(PYTHON) -m venv /tmp/qhnet-lock
	/tmp/qhnet-lock/bin/pip install --quiet -r requirements.txt
	/tmp/qhnet-lock/bin/pip freeze --exclude-editable > requirements.lock

clean-venv:
	rm -rf $(VENV)
