"""Shared fixtures.

``raw_dir``: the project's ``data/raw`` when it has been filled by ``python -m analysis data
fetch``, else the read-only mirror ``../shared/data/raw`` (or ``$ANALYSIS_MIRROR``). Tests that
need raw files are skipped with a clear reason when neither is present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from analysis import paths

# Hypothesis profiles: "ci" (default: hypothesis's 100 examples, no per-example deadline on a
# shared 2-core machine, the same examples every run) and "thorough" (10x, for a night run):
# HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_measures_properties.py
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _find_raw_dir() -> Path | None:
    project_raw = paths.raw_dir()
    if (project_raw / "techme").is_dir():
        return project_raw
    return paths.mirror_dir()


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    found = _find_raw_dir()
    if found is None:
        pytest.skip("no raw data: run `python -m analysis data fetch` (or provide the mirror)")
    return found


# ---------------------------------------------------------------------------------------------
# The processed data, built once per test session (data layer: analysis.data.pipeline).
# ---------------------------------------------------------------------------------------------


def _raw_source_for_build() -> Path | None:
    """A verified copy of the raw files to fetch from: the mirror, else a fetched data/raw."""
    mirror = paths.mirror_dir()
    if mirror is not None:
        return mirror
    project_raw = paths.raw_dir()
    if (project_raw / ".fetch_state.json").is_file():
        return project_raw
    return None


@pytest.fixture(scope="session")
def built_data(tmp_path_factory):
    """Fetch raw files and build ``data/processed`` ONCE per session, in a temporary root.

    Returns a dict: ``root`` (the temporary ANALYSIS_ROOT), ``raw`` and ``processed`` folders,
    ``result`` (the :class:`analysis.data.pipeline.BuildResult` of the cold build).
    ``ANALYSIS_ROOT`` is set only while building; use the returned paths afterwards.
    """
    source = _raw_source_for_build()
    if source is None:
        pytest.skip("no raw data: provide the mirror or run `python -m analysis data fetch`")
    from analysis.data import pipeline

    root = tmp_path_factory.mktemp("analysis_root")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_ROOT", str(root))
        mp.setenv("ANALYSIS_MIRROR", str(source))
        result = pipeline.build(verbose=False)
    return {"root": root, "raw": root / "data" / "raw", "processed": root / "data" / "processed",
            "result": result}


@pytest.fixture(scope="session")
def panel(built_data):
    """The province-year panel (``panel.parquet``) built from the raw files for this session."""
    import pandas as pd

    return pd.read_parquet(built_data["processed"] / "panel.parquet")


# ---------------------------------------------------------------------------------------------
# Skipped tests are counted, and more than ANALYSIS_MAX_SKIPS (default 5) fail the run: a test
# that cannot run (no raw data, no R) must not turn into a green CI. The expected skips are the
# network test and, where R cannot be installed, the R-peer test. ANALYSIS_MAX_SKIPS=-1 turns the
# limit off (e.g. for a run of a few files while developing).
# ---------------------------------------------------------------------------------------------

MAX_SKIPS = int(os.environ.get("ANALYSIS_MAX_SKIPS", "5"))


def _skipped(config) -> list:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return list(reporter.stats.get("skipped", [])) if reporter is not None else []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    if MAX_SKIPS >= 0 and exitstatus == 0 and len(_skipped(session.config)) > MAX_SKIPS:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = len(_skipped(config))
    limit = f"at most {MAX_SKIPS} allowed" if MAX_SKIPS >= 0 else "no limit"
    terminalreporter.write_line(f"skipped tests: {n} ({limit}, ANALYSIS_MAX_SKIPS)")
    if 0 <= MAX_SKIPS < n:
        terminalreporter.write_line(
            f"FAILED: {n} tests skipped, more than {MAX_SKIPS}: provide what they need (the raw "
            "mirror ../shared/data/raw, the network, R) rather than letting them skip",
            red=True, bold=True)
