# Front door. `make all` runs the main job; `make test` runs the test suite.
# Both create the virtual environment (.venv) on first use from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all data reports reports-pdf test lint r-peer bench clean-processed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

all: $(STAMP)            ## fetch raw -> build processed -> estimate -> every province's report
	$(PY) -m analysis all

data: $(STAMP)           ## fetch raw -> build and check data/processed
	$(PY) -m analysis data build

reports: $(STAMP)        ## per-province reports (builds data and models if needed)
	$(PY) -m analysis reports

reports-pdf: $(STAMP)    ## reports plus a PDF of each (installs Debian's chromium if absent; needs root)
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)
	$(PY) -m analysis reports --pdf

lint: $(STAMP)           ## ruff
	$(PY) -m ruff check analysis tests benchmarks notebooks

r-peer:                  ## R + plm for the live R-peer test (Debian, as root; otherwise that test skips)
	@Rscript -e 'quit(status = !requireNamespace("plm", quietly = TRUE))' >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	          --no-install-recommends r-base-core r-cran-plm >/dev/null; } \
	  || echo "R/plm not installed (needs root and apt-get): the R-peer test will skip"

test: lint r-peer        ## lint + the test suite (fails if more than 5 tests skip: tests/conftest.py)
	@$(PY) -m pytest -q; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5)"; fi; exit $$rc

bench: $(STAMP)          ## speed targets (run on demand, not in CI)
	$(PY) -m benchmarks

clean-processed:
	rm -rf data/processed/* reports/*
