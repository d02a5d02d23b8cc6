"""Shared fixtures.

``raw_dir``: a folder with every registered raw file, verified: the project's fetched
``data/raw``, else the session's build folder filled from the mirror ``../shared/data/raw``
(or ``$ANALYSIS_MIRROR``), else downloaded from the public addresses. ``built_data`` /
``panel``: the processed data built once per session from those files; ``built_framework``:
the chain-linkage and framework steps run on it. None of them skips: without raw data the
tests that need it fail with a message saying why (and more than 5 skipped tests fail the run,
see the end of this file).
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
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class RawDataUnavailable(RuntimeError):
    """The raw files could not be obtained: no mirror, no fetched data/raw, no download."""


def _verified_project_raw() -> Path | None:
    """The project's data/raw if ``fetch`` has verified every registered file there."""
    from analysis.data import fetch

    project_raw = paths.raw_dir()
    return project_raw if fetch.is_complete(project_raw) else None


@pytest.fixture(scope="session")
def raw_dir(request) -> Path:
    """A folder holding every registered raw file, verified against the registry.

    The project's fetched ``data/raw`` when complete, else the session's build folder (filled
    from the mirror, or downloaded from the public addresses, by :func:`built_data`). Never
    skips: without raw data the tests that need it fail with :class:`RawDataUnavailable`.
    """
    found = _verified_project_raw()
    if found is not None:
        return found
    return request.getfixturevalue("built_data")["raw"]


# ---------------------------------------------------------------------------------------------
# The processed data, built once per test session (data layer: analysis.data.pipeline).
# ---------------------------------------------------------------------------------------------


def _raw_source_for_build() -> Path | None:
    """Where to fetch the raw files from: the mirror, else a verified data/raw; None: download."""
    mirror = paths.mirror_dir()
    if mirror is not None:
        return mirror
    return _verified_project_raw()


@pytest.fixture(scope="session")
def built_data(tmp_path_factory):
    """Fetch raw files and build ``data/processed`` ONCE per session, in a temporary root.

    Returns a dict: ``root`` (the temporary ANALYSIS_ROOT), ``raw`` and ``processed`` folders,
    ``result`` (the :class:`analysis.data.pipeline.BuildResult` of the cold build).
    ``ANALYSIS_ROOT`` is set only while building; use the returned paths afterwards.
    The raw files come from the mirror (``../shared/data/raw`` or ``$ANALYSIS_MIRROR``), else
    the project's fetched ``data/raw``, else the public addresses (as ``data fetch`` does).
    Nothing skips: if none of these works, the tests that need the data fail, saying why.
    """
    from analysis.data import pipeline
    from analysis.data.fetch import RawDataError

    source = _raw_source_for_build()
    root = tmp_path_factory.mktemp("analysis_root")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_ROOT", str(root))
        if source is not None:
            mp.setenv("ANALYSIS_MIRROR", str(source))
        else:
            mp.delenv("ANALYSIS_MIRROR", raising=False)
        try:
            result = pipeline.build(verbose=False)
        except RawDataError as exc:
            where = (f"the mirror {source}" if source is not None
                     else "the public addresses (no mirror at ../shared/data/raw or "
                          "$ANALYSIS_MIRROR, no fetched data/raw)")
            raise RawDataUnavailable(f"raw data unavailable from {where}: {exc}") from exc
    return {"root": root, "raw": root / "data" / "raw", "processed": root / "data" / "processed",
            "result": result}


@pytest.fixture(scope="session")
def built_framework(built_data):
    """The chain-linkage and framework steps run once on the session's build (its processed
    folder then also holds chain_linkage*.parquet and integration*.parquet)."""
    from analysis.framework import chain, integration

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_ROOT", str(built_data["root"]))
        chain.run(verbose=False)
        integration.run(verbose=False)
    return built_data["processed"]


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
