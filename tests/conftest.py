"""Shared fixtures.

``raw_dir``: the project's ``data/raw`` when it has been filled by ``python -m analysis data
fetch``, else the read-only mirror ``../shared/data/raw`` (or ``$ANALYSIS_MIRROR``). Tests that
need raw files are skipped with a clear reason when neither is present.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths


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
