"""Where files live. Only the data and reporting layers import this module.

The project root is the folder holding ``pyproject.toml``. Override it with the
environment variable ``ANALYSIS_ROOT`` (tests use this to build into a temporary
folder); override the raw-data mirror with ``ANALYSIS_MIRROR``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """Return the project root (``$ANALYSIS_ROOT`` or the folder above the package)."""
    env = os.environ.get("ANALYSIS_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def raw_dir() -> Path:
    """``data/raw/``: verbatim source files, filled by ``python -m analysis data fetch``."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """``data/processed/``: every table here is rebuilt from raw by ``data build``."""
    return project_root() / "data" / "processed"


def reports_dir() -> Path:
    """``reports/``: tables, figures and HTML reports."""
    return project_root() / "reports"


def mirror_dir() -> Path | None:
    """The read-only mirror ``../shared/data/raw`` beside the project root, if present."""
    env = os.environ.get("ANALYSIS_MIRROR")
    candidate = Path(env) if env else project_root().parent / "shared" / "data" / "raw"
    return candidate if candidate.is_dir() else None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def check_filesystem_encoding() -> None:
    """Raise a clear error when file names with Chinese characters cannot be used.

    Under a C/POSIX locale without Python's UTF-8 mode (``LC_ALL=C PYTHONUTF8=0``) the
    file-system encoding is ASCII, and the raw files' Chinese names (``nqp_panel/面板…xlsx``)
    cannot be opened. ``python -m analysis`` restarts itself in UTF-8 mode in that case
    (:func:`analysis.cli.ensure_utf8`); a Python caller gets this error instead.

    Raises
    ------
    RuntimeError
        The file-system encoding cannot encode Chinese characters.
    """
    enc = sys.getfilesystemencoding()
    try:
        "面板数据".encode(enc)
    except UnicodeEncodeError:
        raise RuntimeError(
            f"the file-system encoding is {enc!r} (a C/POSIX locale without UTF-8 mode), so the "
            "raw files' Chinese names cannot be used: run Python in UTF-8 mode (`python -X utf8` "
            "or PYTHONUTF8=1), or use `python -m analysis`, which does so itself") from None
