"""The step runner of the main job: one mechanism that decides what to (re)compute.

``python -m analysis all`` runs these steps, in this order::

    data          data/raw/ → data/processed/ (panel, IO tables, codebook, checks)
    chain_linkage io_*.parquet → chain_linkage{,_panel}.parquet         (measures layer)
    framework     panel + chain linkage → integration*.parquet, reports/framework/
    dataset       panel + framework + chain linkage → analysis.{parquet,dta,csv}, analysis_codebook.csv
    models        analysis.parquet → data/processed/results/, reports/paper/<model>_*
    reports       everything above → reports/provinces/*.html, reports/index.html
    notebook:NN   one step per research notebook → reports/paper/nbNN_*

Keys
----
Each step has a *key*: the SHA-256 of

* its **input files** (their bytes): every file the steps it runs after (``Step.after``) wrote
  (the files matching their output patterns, so a step that starts reading another of their
  outputs needs no declaration), and the files from outside the job it declares
  (``Step.inputs``: the raw files, by the SHA-256 the registry pins, which ``fetch`` verifies
  before the key is computed; the published rankings the framework compares with);
* its **parameters** (``base_year``, report years, ...);
* its **code**: the source of every module of the package the step's entry points import,
  transitively, and the package data those modules read (``spec.yaml``, ``registry.csv``,
  ``io_sectors.csv``, templates). The import closure is computed from the source with
  :mod:`ast` (:class:`CodeIndex`), not listed by hand: ``import`` and ``from … import``
  statements anywhere in a module (also inside functions), ``importlib.import_module`` with a
  literal name or an f-string prefix (``f"analysis.data.sources.{name}"`` → every module of
  that package), and the import statements of a notebook's code cells. A name imported from a
  package ``__init__`` that re-exports it (``from analysis.measures import entropy_weight``) is
  resolved to the module defining it, so a step that uses only the entropy method does not
  depend on ``measures/structure.py``; the ``__init__`` files themselves are part of the key.
  Package data is found by name: a string literal in a module that names a file or folder
  beside the module (``Path(__file__).with_name("spec.yaml")``).

A step is **skipped** when its key equals the key recorded after its last successful run and
every output recorded then still exists; otherwise it **runs**. Records live in
``data/processed/.steps/<step>.json`` (with the parts of the key, so the summary says *why*
a step ran: ``code: analysis/measures/structure.py``). A step that ran but produced outputs
identical to the previous ones leaves its dependants' keys unchanged, so they are skipped.

Failures
--------
A step fails when its function raises, or returns a non-zero code or an :class:`Outcome` with
failed parts. Then

* its record is deleted, so the next run redoes it;
* its **previous outputs are quarantined**: moved, byte for byte, out of the places where any
  step, report or reader looks, to ``data/processed/.failed/<step>/…`` (outputs under
  ``data/processed/``) and ``reports/.failed/<step>/…`` (outputs under ``reports/``), keeping
  their relative paths; files the failed run itself wrote or overwrote are deleted. No step
  declares an output under ``.failed``, so nothing reads the quarantine; the step's next
  successful (full) run clears it. The summary says where the files went. Before a step runs,
  the runner hard-links its existing outputs into ``data/processed/.steps/held/<step>/`` so
  that a file the step replaces (by a rename, as every writer here does) can still be moved to
  the quarantine if the step then fails;
* an **atomic** step (``Step.atomic``: the data step, which writes everything to a staging
  folder and moves it into place only when the whole build succeeded) that fails *before* its
  swap, leaving every output exactly as it was, leaves them in place ("previous outputs left
  intact"): they are a complete, consistent earlier build. They are not read in the meantime:
  the step's record is gone, so any later run redoes the step first, and the steps after it
  are ``blocked`` while it fails. If it fails after its swap began, the previous outputs are
  quarantined like any other step's;
* if it failed in *parts* (a model block, a province's report), the step itself removed those
  parts' outputs (see :data:`analysis.models.pipeline.BLOCK_OUTPUTS`), the runner quarantines
  the previous versions of what was removed, and the step's other outputs stay;
* without ``keep_going`` the run stops there; with it, the remaining steps run, except those
  downstream of a step that failed entirely (reported ``blocked``);
* the exit code is 1.

The run ends with a one-screen summary: each step, ``ran`` / ``skipped`` / ``FAILED`` /
``blocked``, seconds, and the reason (what changed, or the error).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import paths

#: Version of the record format and keying rules: bump to invalidate every record.
KEY_VERSION = 1

PACKAGE = "analysis"

# --------------------------------------------------------------------------------------------
# import closure
# --------------------------------------------------------------------------------------------


def _module_name(path: Path, package_dir: Path, package: str) -> str:
    rel = path.relative_to(package_dir).with_suffix("")
    parts = [package, *rel.parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@dataclass
class _Imports:
    """What one module's source imports: ``(base, names, level)`` per statement, plus dynamic
    imports (``importlib.import_module``) as literal names or package prefixes."""

    froms: list[tuple[str, list[str], int]] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    strings: set[str] = field(default_factory=set)
    defined: set[str] = field(default_factory=set)


def _scan(tree: ast.AST) -> _Imports:
    out = _Imports()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.plain += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.froms.append((node.module or "", [a.name for a in node.names], node.level))
        elif isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.dynamic.append(arg.value)
                elif isinstance(arg, ast.JoinedStr) and arg.values \
                        and isinstance(arg.values[0], ast.Constant):
                    out.prefixes.append(str(arg.values[0].value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            v = node.value
            if 0 < len(v) < 120 and not any(c.isspace() for c in v) and "\x00" not in v:
                out.strings.add(v)
    if isinstance(tree, ast.Module):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out.defined.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    out.defined |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return out


class CodeIndex:
    """The package's modules and what each imports (parsed with :mod:`ast`).

    Parameters
    ----------
    package_dir : Path, optional
        Folder of the package (default: this package, :data:`analysis.paths.PACKAGE_DIR`).
    package : str
        Its import name.
    cache : Path, optional
        JSON file memoising each module's scan by (size, mtime_ns), so that a run with nothing
        changed parses nothing.
    """

    def __init__(self, package_dir: Path | None = None, package: str = PACKAGE,
                 cache: Path | None = None) -> None:
        self.package_dir = Path(package_dir or paths.PACKAGE_DIR).resolve()
        self.package = package
        self.files: dict[str, Path] = {}
        self.data_files: set[str] = set()  # non-Python files, relative to the package (posix)
        self.data_dirs: set[str] = set()   # folders that are not Python packages
        for p in sorted(self.package_dir.rglob("*")):
            rel = p.relative_to(self.package_dir)
            if "__pycache__" in rel.parts or any(part.startswith(".") for part in rel.parts):
                continue
            if p.is_file() and p.suffix == ".py":
                self.files[_module_name(p, self.package_dir, package)] = p
            elif p.is_file() and p.suffix != ".pyc":
                self.data_files.add(rel.as_posix())
            elif p.is_dir() and not (p / "__init__.py").exists():
                self.data_dirs.add(rel.as_posix())
        self._scans: dict[str, _Imports] = {}
        self.cache_path = cache
        self._cache: dict[str, list] = {}
        self._cache_dirty = False
        if cache is not None and cache.exists():
            try:
                self._cache = json.loads(cache.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._cache = {}

    # -- parsing ---------------------------------------------------------------------------
    def scan(self, module: str) -> _Imports:
        if module not in self._scans:
            path = self.files[module]
            st = path.stat()
            hit = self._cache.get(str(path))
            if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
                d = hit[2]
                sc = _Imports([tuple(f) for f in d["froms"]], d["plain"], d["dynamic"],
                              d["prefixes"], set(d["strings"]), set(d["defined"]))
            else:
                sc = _scan(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
                self._cache[str(path)] = [st.st_size, st.st_mtime_ns, {
                    "froms": sc.froms, "plain": sc.plain, "dynamic": sc.dynamic,
                    "prefixes": sc.prefixes, "strings": sorted(sc.strings),
                    "defined": sorted(sc.defined)}]
                self._cache_dirty = True
            self._scans[module] = sc
        return self._scans[module]

    def save(self) -> None:
        """Write the scan memo (if a cache file was given and anything was parsed)."""
        if self.cache_path is not None and self._cache_dirty:
            paths.atomic_write_bytes(self.cache_path, json.dumps(self._cache).encode("utf-8"))
            self._cache_dirty = False

    def is_package(self, module: str) -> bool:
        return module in self.files and self.files[module].name == "__init__.py"

    def _absolute(self, base: str, level: int, importer: str) -> str:
        if not level:
            return base
        pkg = importer if self.is_package(importer) else importer.rpartition(".")[0]
        for _ in range(level - 1):
            pkg = pkg.rpartition(".")[0]
        return f"{pkg}.{base}" if base else pkg

    def _reexport(self, package: str, name: str, seen: frozenset = frozenset()) -> str | None:
        """Module that defines ``name`` re-exported by ``package/__init__.py`` (None: itself)."""
        if (package, name) in seen:
            return None
        sc = self.scan(package)
        for base, names, level in sc.froms:
            if name in names or "*" in names:
                src = self._absolute(base, level, package)
                if f"{src}.{name}" in self.files:
                    return f"{src}.{name}"
                if src in self.files:
                    if self.is_package(src) and name not in self.scan(src).defined:
                        deeper = self._reexport(src, name, seen | {(package, name)})
                        if deeper is not None:
                            return deeper
                    if name in names or name in self.scan(src).defined:
                        return src
        return None

    def _parents(self, module: str) -> list[str]:
        """Package ``__init__`` modules executed when ``module`` is imported."""
        parts = module.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in self.files]

    def direct(self, module: str | None, sc: _Imports | None = None) -> tuple[set[str], set[str]]:
        """Modules ``module`` depends on: (followed, file-only) sets of module names.

        *Followed* modules' imports are scanned in turn; *file-only* ones (the ``__init__`` of
        the packages on an import path) are hashed but their imports are not followed.
        """
        sc = sc or self.scan(module)
        importer = module or self.package
        follow: set[str] = set()
        files: set[str] = set()

        def add(mod: str) -> None:
            if mod in self.files:
                follow.add(mod)
                files.update(self._parents(mod))

        for name in sc.plain + sc.dynamic:
            if name == self.package or name.startswith(self.package + "."):
                add(name)
        for prefix in sc.prefixes:
            if prefix.startswith(self.package + "."):
                pkg = prefix.rstrip(".")
                add(pkg) if pkg in self.files else None
                for m in self.files:
                    if m.startswith(pkg + "."):
                        add(m)
        for base, names, level in sc.froms:
            src = self._absolute(base, level, importer)
            if not (src == self.package or src.startswith(self.package + ".")):
                continue
            if src not in self.files:
                continue
            if not self.is_package(src) or "*" in names:
                add(src)
                continue
            files.add(src)
            files.update(self._parents(src))
            for n in names:
                if f"{src}.{n}" in self.files:
                    add(f"{src}.{n}")
                    continue
                target = self._reexport(src, n)
                add(target if target else src)
        return follow, files

    def closure(self, modules: Iterable[str] = (), scans: Iterable[_Imports] = ()) -> set[str]:
        """Every module (name) the entry ``modules`` and extra ``scans`` (notebooks) import.

        Raises
        ------
        KeyError
            An entry module that is not part of the package.
        """
        todo: list[str] = []
        seen: set[str] = set()
        files: set[str] = set()
        for m in modules:
            if m not in self.files:
                raise KeyError(f"{m} is not a module of {self.package} ({self.package_dir})")
            todo.append(m)
            files.update(self._parents(m))
        for sc in scans:
            f, fo = self.direct(None, sc)
            todo += sorted(f)
            files |= fo
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            f, fo = self.direct(m)
            files |= fo
            todo += sorted(f - seen)
        return seen | files

    def package_data(self, module: str) -> set[Path]:
        """Non-Python files a module names by a string literal, beside it (folders recursively)."""
        base = self.files[module].parent.relative_to(self.package_dir).as_posix()
        out: set[Path] = set()
        for s in self.scan(module).strings:
            rel = os.path.normpath(f"{base}/{s}" if base != "." else s).replace(os.sep, "/")
            if rel in self.data_files:
                out.add(self.package_dir / rel)
            elif rel in self.data_dirs:
                out |= {self.package_dir / f for f in self.data_files if f.startswith(rel + "/")}
        return out

    def code_files(self, modules: Iterable[str] = (), scans: Iterable[_Imports] = ()) -> list[Path]:
        """Source files and package data of the closure, sorted."""
        mods = self.closure(modules, scans)
        out = {self.files[m] for m in mods}
        for m in mods:
            out |= self.package_data(m)
        return sorted(out)


def notebook_imports(path: Path) -> _Imports:
    """The import statements of a notebook's code cells (``.ipynb``, or a jupytext ``.py``).

    Lines starting with ``%`` or ``!`` (magics, shell) are dropped before parsing; a cell that
    still does not parse is skipped.
    """
    path = Path(path)
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = ["".join(c.get("source", "")) if isinstance(c.get("source"), list)
                 else c.get("source", "") for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    else:
        cells = [path.read_text(encoding="utf-8")]
    merged = _Imports()
    for src in cells:
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            sc = _scan(ast.parse("\n".join(lines)))
        except SyntaxError:
            continue
        merged.froms += sc.froms
        merged.plain += sc.plain
        merged.dynamic += sc.dynamic
        merged.prefixes += sc.prefixes
    return merged


# --------------------------------------------------------------------------------------------
# hashing
# --------------------------------------------------------------------------------------------


class FileHasher:
    """SHA-256 of files, memoised by (size, mtime_ns) in ``<state>/hashes.json``.

    The memo only avoids re-reading unchanged files between runs (as git's index does); a file
    whose size or modification time changed is hashed again.
    """

    def __init__(self, memo_path: Path | None) -> None:
        self.memo_path = memo_path
        self.memo: dict[str, list] = {}
        if memo_path is not None and memo_path.exists():
            try:
                self.memo = json.loads(memo_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.memo = {}
        self.dirty = False

    def __call__(self, path: Path) -> str:
        st = path.stat()
        key = str(path)
        hit = self.memo.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        digest = h.hexdigest()
        self.memo[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        if self.memo_path is not None and self.dirty:
            paths.atomic_write_bytes(self.memo_path, json.dumps(self.memo).encode("utf-8"))
            self.dirty = False


def _rel(p: Path, root: Path) -> str:
    p = Path(p)
    for base in (root, paths.PACKAGE_DIR.parent):
        try:
            return p.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return p.as_posix()


# --------------------------------------------------------------------------------------------
# steps
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a step function may return: the parts that failed (``{part: reason}``).

    A step that fails only in parts (a model block, a province's report) removes those parts'
    outputs itself and returns them here; its other outputs stay valid.
    """

    failed: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass
class Context:
    """Passed to a step function: the step's parameters and run options."""

    params: dict[str, Any]
    options: dict[str, Any]
    verbose: bool
    partial: bool = False


@dataclass
class Step:
    """One step of the main job.

    Attributes
    ----------
    name : str
        Step name (``data``, ``models``, ``notebook:03_baseline`` …).
    func : callable
        ``func(ctx: Context) -> None | int | Outcome``; raises on failure.
    modules : tuple of str
        Entry modules whose import closure (and package data) is the step's code.
    notebooks : tuple of str
        Notebooks (paths relative to the project root) the step executes: their bytes are
        part of the key, and their imports part of the code closure.
    inputs : callable
        ``inputs(params) -> {name: Path | str}``: files from outside the job the step reads (a
        ``str`` value is a digest already verified elsewhere, e.g. a raw file's registry
        SHA-256). The outputs of the steps in ``after`` are inputs too, without being listed.
    outputs : tuple of str, or callable returning one
        Glob patterns (relative to the project root) of the files the step writes: recorded
        after a successful run, and removed when the step fails.
    params : dict
        Parameters (part of the key).
    after : tuple of str
        Steps that must run first (their outputs are this step's inputs).
    prepare : callable, optional
        Run before the key is computed (the data step fetches and verifies the raw files).
    atomic : bool
        The step moves its outputs into place only when it has succeeded (a staging folder):
        a failure that left every output as it was leaves them in place instead of
        quarantining them (see "Failures" in the module docstring).
    """

    name: str
    func: Callable[[Context], Any]
    modules: tuple[str, ...] = ()
    notebooks: tuple[str, ...] = ()
    inputs: Callable[[dict], dict[str, Any]] = lambda params: {}
    outputs: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    params: dict[str, Any] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    prepare: Callable[[Context], None] | None = None
    atomic: bool = False

    def output_patterns(self) -> tuple[str, ...]:
        """The glob patterns of :attr:`outputs`."""
        return tuple(self.outputs() if callable(self.outputs) else self.outputs)


@dataclass
class StepResult:
    """Outcome of one step in a run: ``status`` is ``ran``, ``skipped``, ``failed`` or ``blocked``.

    For a failed step: ``quarantined`` lists where its previous outputs were moved (paths
    relative to the project root, under ``.failed/<step>/``), ``removed`` the files the failed
    run wrote (deleted), ``intact`` is True when an atomic step failed before touching its
    outputs (left in place).
    """

    name: str
    status: str
    seconds: float = 0.0
    reason: str = ""
    failed_parts: dict[str, str] = field(default_factory=dict)
    partial: bool = False
    removed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    intact: bool = False


def state_dir() -> Path:
    """Where step records are kept: ``data/processed/.steps/``."""
    return paths.processed_dir() / ".steps"


def _record_path(name: str) -> Path:
    return state_dir() / (name.replace(":", "_").replace("/", "_") + ".json")


def read_record(name: str) -> dict | None:
    """The record of a step's last successful run (None if absent or unreadable)."""
    try:
        return json.loads(_record_path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def forget(name: str) -> None:
    """Delete a step's record: its next run recomputes it."""
    _record_path(name).unlink(missing_ok=True)


def expand_outputs(patterns: Sequence[str], root: Path | None = None) -> list[Path]:
    """Existing files matching the glob patterns (relative to the project root)."""
    root = root or paths.project_root()
    out: set[Path] = set()
    for pat in patterns:
        out |= {p for p in root.glob(pat) if p.is_file()}
    return sorted(out)


def remove_outputs(patterns: Sequence[str], root: Path | None = None) -> list[str]:
    """Delete the files matching ``patterns``; returns their paths relative to the root."""
    root = root or paths.project_root()
    gone = []
    for p in expand_outputs(patterns, root):
        p.unlink(missing_ok=True)
        gone.append(_rel(p, root))
    return gone


#: Name of the quarantine folder under ``data/processed/`` and ``reports/``.
QUARANTINE = ".failed"


def _safe(name: str) -> str:
    return name.replace(":", "_").replace("/", "_")


def quarantine_dirs(step: str) -> list[Path]:
    """The quarantine folders of a step: ``reports/.failed/<step>/``,
    ``data/processed/.failed/<step>/`` (whether they exist or not)."""
    return [paths.reports_dir() / QUARANTINE / _safe(step),
            paths.processed_dir() / QUARANTINE / _safe(step)]


def quarantine_path(step: str, rel: str, root: Path | None = None) -> Path:
    """Where a failed step's previous output ``rel`` (relative to the project root) is moved:
    ``reports/x`` → ``reports/.failed/<step>/x``, ``data/processed/x`` →
    ``data/processed/.failed/<step>/x``, anything else → ``data/processed/.failed/<step>/<rel>``."""
    root = root or paths.project_root()
    reports, processed = quarantine_dirs(step)
    for base, q in ((paths.reports_dir(), reports), (paths.processed_dir(), processed)):
        b = _rel(base, root)
        if rel.startswith(b + "/"):
            return q / rel[len(b) + 1:]
    return processed / rel


def clear_quarantine(step: str) -> None:
    """Delete a step's quarantine (after it succeeded)."""
    for d in quarantine_dirs(step):
        shutil.rmtree(d, ignore_errors=True)


def _held_dir(step: str) -> Path:
    return state_dir() / "held" / _safe(step)


def _stat_key(p: Path) -> tuple[int, int, int]:
    st = p.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _outputs_state(patterns: Sequence[str], root: Path) -> dict[str, tuple[int, int, int]]:
    return {_rel(p, root): _stat_key(p) for p in expand_outputs(patterns, root)}


def _move(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError:  # another file system
        shutil.move(str(src), str(dest))


class Runner:
    """Runs steps in order, skipping those whose key is unchanged (see the module docstring).

    Parameters
    ----------
    steps : list of Step
        In execution order (each step after the steps named in its ``after``).
    index : CodeIndex, optional
        Parsed package (default: this package).
    verbose : bool
        Print each step's progress and output.
    debug : bool
        Re-raise a failing step's exception (after removing its outputs and record) instead
        of reporting it in one line.
    """

    def __init__(self, steps: list[Step], index: CodeIndex | None = None, verbose: bool = True,
                 debug: bool = False):
        self.steps = {s.name: s for s in steps}
        self.debug = debug
        self.order = [s.name for s in steps]
        self.index = index or CodeIndex(cache=state_dir() / "imports.json")
        self.verbose = verbose
        self.root = paths.project_root()
        self.hasher = FileHasher(state_dir() / "hashes.json")

    # -- keys ------------------------------------------------------------------------------
    def code_files(self, step: Step) -> list[Path]:
        scans = [notebook_imports(self.root / nb) for nb in step.notebooks]
        files = self.index.code_files(step.modules, scans)
        return sorted(set(files) | {self.root / nb for nb in step.notebooks})

    def input_files(self, step: Step) -> dict[str, Path | str]:
        """What a step reads: the files its upstream steps wrote, and its declared inputs."""
        out: dict[str, Path | str] = {}
        for up in step.after:
            if up in self.steps:
                for p in expand_outputs(self.steps[up].output_patterns(), self.root):
                    out[_rel(p, self.root)] = p
        out.update(step.inputs(step.params))
        return out

    def components(self, step: Step) -> dict[str, Any]:
        """The parts of a step's key: ``code``, ``inputs`` ({name: sha256}), ``params``."""
        code = {_rel(p, self.root): self.hasher(p) for p in self.code_files(step)}
        inputs = {}
        for name, p in sorted(self.input_files(step).items()):
            inputs[name] = p if isinstance(p, str) else (self.hasher(Path(p)) if Path(p).exists()
                                                         else "absent")
        return {"version": KEY_VERSION, "params": json.loads(json.dumps(step.params, default=str)),
                "code": code, "inputs": inputs}

    @staticmethod
    def key_of(components: dict) -> str:
        blob = json.dumps(components, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    @staticmethod
    def why(old: dict | None, new: dict) -> str:
        """What differs between a record's components and the current ones (one line)."""
        if old is None:
            return "no record of a previous run"
        prev = old.get("components", {})
        if prev.get("version") != new["version"]:
            return "runner version changed"
        parts = []
        for kind in ("code", "inputs"):
            a, b = prev.get(kind, {}), new[kind]
            changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            if changed:
                shown = ", ".join(changed[:3]) + (f" (+{len(changed) - 3})" if len(changed) > 3 else "")
                parts.append(f"{kind}: {shown}")
        if prev.get("params") != new["params"]:
            parts.append("params: " + ", ".join(
                k for k in sorted(set(prev.get("params", {})) | set(new["params"]))
                if prev.get("params", {}).get(k) != new["params"].get(k)))
        return "; ".join(parts) or "outputs missing"

    # -- running ---------------------------------------------------------------------------
    def _say(self, msg: str) -> None:
        if self.verbose:
            print(msg, flush=True)

    def run(self, targets: Sequence[str] | None = None, *, force: Iterable[str] = (),
            keep_going: bool = False, options: dict[str, dict] | None = None,
            partial: Iterable[str] = ()) -> list[StepResult]:
        """Run ``targets`` (default: every step) and the steps they depend on.

        Parameters
        ----------
        targets : sequence of str, optional
            Steps to bring up to date; their upstream steps are included.
        force : iterable of str
            Steps to run even if their key is unchanged.
        keep_going : bool
            After a failure, run the remaining steps that do not depend on a step that failed
            entirely.
        options : dict, optional
            ``{step: {option: value}}`` passed to the step function (``Context.options``).
        partial : iterable of str
            Steps run on a subset (``reports --province 江苏``): they run if forced or if
            their key changed, and leave no record (the full step runs next time).

        Returns
        -------
        list of StepResult
            One per step considered, in order.
        """
        wanted = self._with_upstream(targets or self.order)
        force, partial, options = set(force), set(partial), options or {}
        results: list[StepResult] = []
        dead: set[str] = set()  # steps whose outputs are not there (failed entirely / blocked)
        stop = False
        for name in self.order:
            if name not in wanted:
                continue
            step = self.steps[name]
            if stop:
                results.append(StepResult(name, "blocked", reason="not run (an earlier step failed)"))
                continue
            bad = [a for a in step.after if a in dead]
            if bad:
                dead.add(name)
                forget(name)
                results.append(StepResult(name, "blocked", reason=f"needs {', '.join(bad)}"))
                continue
            res = self._run_one(step, force=name in force, partial=name in partial,
                                options=options.get(name, {}))
            results.append(res)
            self.hasher.save()
            self.index.save()
            if res.status == "failed":
                if not res.partial:
                    dead.add(name)
                if not keep_going:
                    stop = True
        self.hasher.save()
        return results

    def _with_upstream(self, targets: Iterable[str]) -> set[str]:
        out: set[str] = set()
        todo = list(targets)
        while todo:
            t = todo.pop()
            if t not in self.steps:
                raise KeyError(f"unknown step {t!r}; steps: {', '.join(self.order)}")
            if t not in out:
                out.add(t)
                todo += list(self.steps[t].after)
        return out

    def _run_one(self, step: Step, *, force: bool, partial: bool, options: dict) -> StepResult:
        t0 = time.perf_counter()
        ctx = Context(dict(step.params), options, self.verbose, partial)
        try:
            if step.prepare is not None:
                step.prepare(ctx)
            comps = self.components(step)
        except Exception as exc:  # noqa: BLE001 - a missing input: the step fails, named
            return self._failed(step, exc, t0)
        key = self.key_of(comps)
        old = read_record(step.name)
        outputs_ok = old is not None and all(
            (self.root / f).is_file() and (self.root / f).stat().st_size == size
            for f, size in old.get("outputs", {}).items())
        if not force and old is not None and old.get("key") == key and outputs_ok:
            self._say(f"[{step.name}] up to date")
            return StepResult(step.name, "skipped", time.perf_counter() - t0, "up to date")
        if force:
            reason = "forced"
        elif old is not None and not outputs_ok:
            reason = "outputs missing or changed since the last run"
        else:
            reason = self.why(old, comps)
        if partial and old is not None and old.get("key") != key:
            forget(step.name)  # a subset run with changed inputs: the rest is now out of date
        self._say(f"[{step.name}] running ({reason})")
        held = self._hold(step)
        try:
            ret = step.func(ctx)
        except Exception as exc:  # noqa: BLE001 - reported in the summary, outputs quarantined
            return self._failed(step, exc, t0, held)
        failed: dict[str, str] = {}
        if isinstance(ret, Outcome):
            failed = dict(ret.failed)
        elif isinstance(ret, int) and not isinstance(ret, bool) and ret != 0:
            failed = {"exit": f"returned {ret}"}
        secs = time.perf_counter() - t0
        if failed:
            forget(step.name)
            now = _outputs_state(step.output_patterns(), self.root)
            moved = self._quarantine(step, held, only={r for r in held if r not in now})
            why = "; ".join(f"{k}: {v}" for k, v in failed.items())
            return StepResult(step.name, "failed", secs, why, failed_parts=failed, partial=True,
                              quarantined=moved)
        shutil.rmtree(_held_dir(step.name), ignore_errors=True)
        if not partial:
            clear_quarantine(step.name)
            self._write_record(step, key, comps, secs)
        return StepResult(step.name, "ran", secs, reason)

    def _hold(self, step: Step) -> dict[str, tuple[tuple, tuple]]:
        """Hard-link (else copy) the step's existing outputs into ``.steps/held/<step>/``.

        Returns ``{output: (its state, the held file's state)}`` (size, mtime, inode): a held
        file whose state is unchanged still has the bytes the output had before the step ran
        (a writer that renames a new file over the output leaves the link alone).
        """
        held = _held_dir(step.name)
        shutil.rmtree(held, ignore_errors=True)
        out: dict[str, tuple[tuple, tuple]] = {}
        for rel, st in _outputs_state(step.output_patterns(), self.root).items():
            dest = held / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(self.root / rel, dest)
            except OSError:  # no hard links here: a copy
                shutil.copy2(self.root / rel, dest)
            out[rel] = (st, _stat_key(dest))
        return out

    def _quarantine(self, step: Step, held: dict[str, tuple[tuple, tuple]],
                    only: set[str] | None = None) -> list[str]:
        """Move the held previous outputs (those in ``only``; default all) to the step's
        quarantine (:func:`quarantine_path`); returns their new places, relative to the root.

        A previous output the failed run overwrote in place (its held link changed too) is
        lost, not quarantined: nothing of it is left to keep.
        """
        base = _held_dir(step.name)
        moved = []
        for rel, (_, hstat) in sorted(held.items()):
            if only is not None and rel not in only:
                continue
            h = base / rel
            if h.is_file() and _stat_key(h) == hstat:
                dest = quarantine_path(step.name, rel, self.root)
                _move(h, dest)
                moved.append(_rel(dest, self.root))
        shutil.rmtree(base, ignore_errors=True)
        return moved

    def _failed(self, step: Step, exc: Exception, t0: float,
                held: dict[str, tuple[tuple, tuple]] | None = None) -> StepResult:
        """A step that raised: record deleted; previous outputs quarantined (or, for an atomic
        step that changed none of them, left in place); files the failed run wrote deleted.
        One line on stderr, or the exception re-raised (debug)."""
        forget(step.name)
        if held is None:  # failed before its function ran: the outputs are all previous ones
            held = self._hold(step)
        pats = step.output_patterns()
        now = _outputs_state(pats, self.root)
        touched = set(now) != set(held) or any(now[r] != held[r][0] for r in now)
        moved: list[str] = []
        removed: list[str] = []
        intact = step.atomic and not touched and bool(held)
        if step.atomic and not touched:
            shutil.rmtree(_held_dir(step.name), ignore_errors=True)
        else:
            moved = self._quarantine(step, held)
            removed = [r for r in remove_outputs(pats, self.root)
                       if r not in held or now.get(r) != held[r][0]]
        if self.debug:
            raise exc
        why = f"{type(exc).__name__}: {exc}"
        print(f"[{step.name}] FAILED: {why}", file=sys.stderr, flush=True)
        return StepResult(step.name, "failed", time.perf_counter() - t0, why, removed=removed,
                          quarantined=moved, intact=intact)

    def _write_record(self, step: Step, key: str, comps: dict, secs: float) -> None:
        outs = {_rel(p, self.root): p.stat().st_size for p in expand_outputs(step.output_patterns(), self.root)}
        rec = {"step": step.name, "key": key, "components": comps, "outputs": outs,
               "seconds": round(secs, 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
        paths.atomic_write_bytes(_record_path(step.name),
                                 json.dumps(rec, ensure_ascii=False, indent=1).encode("utf-8"))


def summary_text(results: list[StepResult], seconds: float) -> str:
    """One screen: every step with its status, seconds and reason; the totals."""
    width = max([len(r.name) for r in results] + [4])
    label = {"ran": "ran", "skipped": "skipped", "failed": "FAILED", "blocked": "blocked"}
    lines = ["-" * 78]
    for r in results:
        reason = r.reason if len(r.reason) <= 60 else r.reason[:57] + "..."
        lines.append(f"{r.name:<{width}}  {label[r.status]:<7} {r.seconds:7.1f} s  {reason}")
        if r.status == "failed":
            pad = f"{'':<{width}}    "
            for part, why in list(r.failed_parts.items())[:8]:
                lines.append(f"{pad}failed part {part}: {why[:70]}")
            if r.intact:
                lines.append(f"{pad}previous outputs left intact (it failed before replacing any)")
            if r.quarantined:
                lines.append(f"{pad}{len(r.quarantined)} previous output(s) quarantined in "
                             + ", ".join(_quarantine_folders(r)))
            if r.removed:
                lines.append(f"{pad}deleted {len(r.removed)} file(s) the failed run wrote, e.g. "
                             f"{r.removed[0]}")
    counts = {s: sum(r.status == s for r in results) for s in ("ran", "skipped", "failed", "blocked")}
    lines.append("-" * 78)
    lines.append(f"{counts['ran']} ran, {counts['skipped']} skipped, {counts['failed']} failed, "
                 f"{counts['blocked']} blocked in {seconds:.1f} s"
                 + ("" if not (counts["failed"] or counts["blocked"]) else "  -> exit 1"))
    return "\n".join(lines)


def _quarantine_folders(r: StepResult) -> list[str]:
    root = paths.project_root()
    out = []
    for d in quarantine_dirs(r.name):
        rel = _rel(d, root)
        if any(q.startswith(rel + "/") for q in r.quarantined):
            out.append(rel + "/")
    return out or sorted({q.rsplit("/", 1)[0] + "/" for q in r.quarantined})


def exit_code(results: list[StepResult]) -> int:
    """0 when no step failed or was blocked, else 1."""
    return 1 if any(r.status in ("failed", "blocked") for r in results) else 0


# --------------------------------------------------------------------------------------------
# the main job's steps
# --------------------------------------------------------------------------------------------

PROCESSED = "data/processed"


# -- data ------------------------------------------------------------------------------------


#: ``analysis.data.user_sources.record_path()``, relative to the project root: the user series'
#: module (and pandas) is imported only when it exists, which keeps a run with nothing to do fast
USER_RECORDS = "data/user_sources.csv"


def _data_prepare(ctx: Context) -> None:
    from analysis.data import fetch

    if not fetch.is_complete():
        fetch.fetch(verbose=ctx.verbose)
    if (paths.project_root() / USER_RECORDS).is_file():
        from analysis.data import user_sources

        user_sources.verify()  # a user series' file changed or missing since `data import`


def _data_inputs(params: dict) -> dict[str, Any]:
    """The raw files, by the SHA-256 the registry pins (``fetch`` verified them just before),
    and the user series of ``data import``: ``data/user_sources.csv`` and each file it records,
    by the SHA-256 recorded there (``_data_prepare`` verified them)."""
    from analysis.data.fetch import load_registry

    out: dict[str, Any] = {f"data/raw/{f.path}": f.sha256 for f in load_registry()}
    if (paths.project_root() / USER_RECORDS).is_file():
        from analysis.data.user_sources import load_records, record_path

        out[USER_RECORDS] = record_path()
        out.update({f"data/raw/{r.file}": r.sha256 for r in load_records()})
    return out


def _data(ctx: Context) -> None:
    from analysis.data import pipeline

    pipeline.build(verbose=ctx.verbose, base_year=ctx.params["base_year"])


# -- chain linkage -----------------------------------------------------------------------------


def _chain(ctx: Context) -> None:
    from analysis.framework import chain

    chain.run(verbose=ctx.verbose)


# -- framework ---------------------------------------------------------------------------------


#: ``analysis.framework.validity.RANKINGS_FILE`` (not imported: that would load the framework's
#: libraries on every run, also when nothing is to be done)
RANKINGS = "tests/results/regional_innovation_rankings.csv"


def _framework_inputs(params: dict) -> dict[str, Any]:
    """The published regional-innovation rankings the framework checks its scores against."""
    return {RANKINGS: paths.project_root() / RANKINGS}


def _framework(ctx: Context) -> None:
    from analysis.framework import integration

    integration.run(verbose=ctx.verbose, year=ctx.params["year"])


# -- analysis dataset --------------------------------------------------------------------------


def _dataset(ctx: Context) -> None:
    from analysis import dataset

    dataset.run(verbose=ctx.verbose)


# -- models ------------------------------------------------------------------------------------


def _models(ctx: Context) -> Outcome:
    from analysis.models import pipeline

    res = pipeline.run(verbose=ctx.verbose)
    return Outcome(failed=dict(res.get("failed", {})))


def _literal(path: Path, name: str) -> Any:
    """The value of the module-level literal ``name`` in the source file ``path`` (no import)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value:
            return ast.literal_eval(node.value)
    raise LookupError(f"{path}: no literal {name}")


_MODELS_OUTPUTS: dict[tuple, tuple[str, ...]] = {}


def _models_outputs() -> tuple[str, ...]:
    """``results/*`` and every block's tables (:data:`analysis.models.pipeline.BLOCK_OUTPUTS`,
    read from that module's source, so that deciding to skip a step does not import the models
    layer and its statistics libraries: seconds on every run)."""
    src = paths.PACKAGE_DIR / "models" / "pipeline.py"
    st = src.stat()
    memo = (st.st_size, st.st_mtime_ns)
    if memo not in _MODELS_OUTPUTS:
        pats = {f"{PROCESSED}/results/*"}
        for block in _literal(src, "BLOCK_OUTPUTS").values():
            pats |= {f"reports/{p}" for p in block if p.startswith("paper/")}
        _MODELS_OUTPUTS.clear()
        _MODELS_OUTPUTS[memo] = tuple(sorted(pats))
    return _MODELS_OUTPUTS[memo]


# -- reports -----------------------------------------------------------------------------------


def _reports(ctx: Context) -> int:
    from analysis.reporting import batch

    o = ctx.options
    return batch.main(provinces=o.get("provinces"), langs=o.get("langs"),
                      scheduler=o.get("scheduler"), workers=o.get("workers"), pdf=ctx.params["pdf"],
                      year_start=ctx.params["years"][0], year_end=ctx.params["years"][1])


# -- research notebooks ------------------------------------------------------------------------


def _notebook(name: str) -> Callable[[Context], None]:
    def run(ctx: Context) -> None:
        from analysis.reporting import batch

        if batch.run_research_notebooks([name], verbose=ctx.verbose) != 0:
            raise RuntimeError(f"notebook {name} failed (see the message above; the executed "
                               f"copy is reports/paper/notebooks/{name}.failed.ipynb)")
    return run


def main_steps(*, base_year: int = 2010, typology_year: int = 2022,
               report_years: tuple[int, int] = (2010, 2023), pdf: bool = False,
               notebooks: bool = True) -> list[Step]:
    """The steps of the main job, in order (see the module docstring).

    Parameters
    ----------
    base_year : int
        Price base year of ``gdp_real`` (data step).
    typology_year : int
        Year of the typology table (framework step).
    report_years : (int, int)
        Years shown in the province reports.
    pdf : bool
        Reports also printed to PDF.
    notebooks : bool
        Include the research notebooks.
    """
    steps = [
        Step("data", _data, modules=("analysis.data.pipeline",), inputs=_data_inputs,
             outputs=tuple(f"{PROCESSED}/{f}" for f in (
                 "panel.parquet", "panel.dta", "panel.csv", "codebook.csv", "gaps.csv",
                 "boundaries.parquet", "boundaries_context.parquet", "hansen1999.parquet",
                 "io_*.parquet", "io_codebook.csv",
                 "sources/*.parquet", "checks/*.csv")),
             params={"base_year": int(base_year)}, prepare=_data_prepare, atomic=True),
        Step("chain_linkage", _chain, modules=("analysis.framework.chain",),
             outputs=(f"{PROCESSED}/chain_linkage.parquet", f"{PROCESSED}/chain_linkage_panel.parquet",
                      f"{PROCESSED}/chain_sectors.parquet"),
             after=("data",)),
        Step("framework", _framework, modules=("analysis.framework.integration",),
             inputs=_framework_inputs,
             outputs=(f"{PROCESSED}/integration.parquet", f"{PROCESSED}/integration_diagnostics.parquet",
                      f"{PROCESSED}/integration_fills.parquet", f"{PROCESSED}/integration_codebook.csv", "reports/framework/*"),
             params={"year": int(typology_year)}, after=("data", "chain_linkage")),
        Step("dataset", _dataset, modules=("analysis.dataset",),
             outputs=tuple(f"{PROCESSED}/{f}" for f in (
                 "analysis.parquet", "analysis.dta", "analysis.csv", "analysis_codebook.csv")),
             after=("data", "chain_linkage", "framework")),
        Step("models", _models, modules=("analysis.models.pipeline",),
             outputs=_models_outputs,
             after=("data", "chain_linkage", "framework", "dataset")),
        Step("reports", _reports, modules=("analysis.reporting.batch",),
             notebooks=("notebooks/province_report.ipynb",),
             outputs=("reports/provinces/*.html", "reports/provinces/*.pdf", "reports/index.html",
                      "reports/typology_*.html"),
             params={"years": list(report_years), "pdf": bool(pdf)},
             after=("data", "chain_linkage", "framework", "models")),
    ]
    if notebooks:
        from analysis.reporting.batch import RESEARCH_NOTEBOOKS

        for name in RESEARCH_NOTEBOOKS:
            nn = name[:2]
            # keyed on the notebook and what it imports; the machinery that executes it
            # (papermill, kernels: batch.run_research_notebooks) does not change its results
            steps.append(Step(
                f"notebook:{name}", _notebook(name), notebooks=(f"notebooks/{name}.ipynb",),
                outputs=(f"reports/paper/nb{nn}_*", f"reports/paper/notebooks/{name}.ipynb"),
                after=("data", "chain_linkage", "framework", "models")))
    return steps


def run_main(targets: Sequence[str] | None = None, *, force: bool | Iterable[str] = False,
             keep_going: bool = False, verbose: bool = True, options: dict | None = None,
             partial: Iterable[str] = (), summary: bool = True, debug: bool = False,
             **step_kw) -> int:
    """Run the main job's steps (all, or ``targets`` and their upstream); returns the exit code.

    Parameters
    ----------
    targets : sequence of str, optional
        Step names (``data``, ``chain_linkage``, ``framework``, ``dataset``, ``models``, ``reports``,
        ``notebook:<name>``, or ``notebooks`` for all research notebooks); default all.
    force : bool or iterable of str
        ``True`` forces every step run, else the named steps.
    keep_going, options, partial
        See :meth:`Runner.run`.
    verbose : bool
        Progress and the steps' own output.
    summary : bool
        Print the one-screen summary at the end.
    debug : bool
        Re-raise the first failing step's exception (``--debug``: the full traceback).
    **step_kw
        Passed to :func:`main_steps` (``base_year``, ``typology_year``, ``report_years``,
        ``pdf``, ``notebooks``).
    """
    t0 = time.perf_counter()
    steps = main_steps(**step_kw)
    names = [s.name for s in steps]
    if targets is not None:
        targets = [t for x in targets for t in
                   ([n for n in names if n.startswith("notebook:")] if x == "notebooks" else [x])]
    runner = Runner(steps, verbose=verbose, debug=debug)
    want = runner._with_upstream(targets or names)
    forced = want if force is True else set(force or ())
    results = runner.run(targets, force=forced, keep_going=keep_going, options=options,
                         partial=partial)
    if summary:
        print(summary_text(results, time.perf_counter() - t0), flush=True)
    return exit_code(results)


__all__ = ["QUARANTINE", "CodeIndex", "Context", "FileHasher", "Outcome", "Runner", "Step",
           "StepResult", "clear_quarantine", "exit_code", "expand_outputs", "forget",
           "main_steps", "notebook_imports", "quarantine_dirs", "quarantine_path", "read_record",
           "remove_outputs", "run_main", "state_dir", "summary_text"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_main())
