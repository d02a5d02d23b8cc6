# Front door. `make all` runs the main job; `make test` runs the test suite.
# Both create the virtual environment (.venv) on first use from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all data reports reports-pdf test lint bench clean-processed

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

test: lint               ## lint + the test suite
	$(PY) -m pytest -q

bench: $(STAMP)          ## speed targets (run on demand, not in CI)
	$(PY) -m benchmarks

clean-processed:
	rm -rf data/processed/* reports/*
