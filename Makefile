# Two commands do all set-up on a fresh machine (see README.md):
#   make reproduce   the full reproduction (Snakemake, config/config.yaml)
#   make test        the test suite
# Both create .venv from the pinned versions in requirements.lock on first use.

PYTHON ?= python3.11
CORES  ?= 2
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: reproduce test test-fast example report lint format benchmark clean-venv lock

$(BIN)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

reproduce: $(BIN)/.installed
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --cores 1 --report results/report.zip

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -q -m "not pipeline and not slurm"

example: $(BIN)/.installed
	$(BIN)/python scripts/example.py

lint: $(BIN)/.installed
	$(BIN)/ruff check src scripts tests
	$(BIN)/ruff format --check src scripts tests
	$(BIN)/snakefmt --check workflow

format: $(BIN)/.installed
	$(BIN)/ruff format src scripts tests
	$(BIN)/ruff check --fix src scripts tests
	$(BIN)/snakefmt workflow

benchmark: $(BIN)/.installed
	$(BIN)/python scripts/benchmark.py

# Regenerate the full lock from the top-level pins (needs the package index).
lock:
	rm -rf /tmp/qhnet-lock && $(PYTHON) -m venv /tmp/qhnet-lock
	/tmp/qhnet-lock/bin/pip install --quiet -r requirements.txt
	/tmp/qhnet-lock/bin/pip freeze --exclude-editable > requirements.lock

clean-venv:
	rm -rf $(VENV)
