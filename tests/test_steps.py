"""The step runner (analysis.steps): import closures, keys, skipping, failures, the summary."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from analysis import paths, steps

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------
# import closure on a hand-made package
# ------------------------------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def toy(tmp_path) -> steps.CodeIndex:
    """pkg/{a,b,c}.py, pkg/sub/ re-exporting x from x.py and y from y.py, data files."""
    _write(tmp_path / "pkg", {
        "__init__.py": "",
        "a.py": """
            from pkg.sub import x_fn          # re-exported by sub/__init__: resolves to sub.x
            def f():
                from pkg import b             # function-level import
                return b
            """,
        "b.py": """
            from pathlib import Path
            SPEC = Path(__file__).with_name("spec.yaml")   # package data named beside b
            TEMPLATES = "templates"                        # a folder of package data
            """,
        "c.py": """
            import importlib
            def load(name):
                return importlib.import_module(f"pkg.plugins.{name}")
            """,
        "d.py": "import pkg.sub\n",
        "spec.yaml": "a: 1\n",
        "templates/page.html": "<p>",
        "sub/__init__.py": "from pkg.sub.x import x_fn\nfrom pkg.sub.y import y_fn\n",
        "sub/x.py": "def x_fn():\n    return 1\n",
        "sub/y.py": "from .z import Z\ndef y_fn():\n    return Z\n",
        "sub/z.py": "Z = 2\n",
        "plugins/__init__.py": "",
        "plugins/p1.py": "",
        "plugins/p2.py": "",
    })
    return steps.CodeIndex(tmp_path / "pkg", "pkg")


def _names(idx: steps.CodeIndex, entry: str) -> set[str]:
    return {p.relative_to(idx.package_dir).as_posix() for p in idx.code_files([entry])}


def test_closure_resolves_reexports_and_function_level_imports(toy):
    # a uses x_fn only: sub/x.py (and sub/__init__.py, which runs) but not sub/y.py, sub/z.py
    assert _names(toy, "pkg.a") == {"__init__.py", "a.py", "sub/__init__.py", "sub/x.py", "b.py",
                                    "spec.yaml", "templates/page.html"}


def test_closure_whole_package_import_and_relative_import(toy):
    # `import pkg.sub` may use anything sub re-exports: y, and y's relative import of z
    assert _names(toy, "pkg.d") == {"__init__.py", "d.py", "sub/__init__.py", "sub/x.py",
                                    "sub/y.py", "sub/z.py"}


def test_closure_dynamic_import_prefix_takes_the_whole_package(toy):
    assert _names(toy, "pkg.c") == {"__init__.py", "c.py", "plugins/__init__.py",
                                    "plugins/p1.py", "plugins/p2.py"}


def test_unknown_entry_module_is_an_error(toy):
    with pytest.raises(KeyError, match="pkg.nope is not a module of pkg"):
        toy.closure(["pkg.nope"])


def test_notebook_imports_skip_magics(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "!ls\n",
                                                     "from analysis.measures import gini\n"]},
                    {"cell_type": "markdown", "source": "import analysis.models"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "x.ipynb"
    p.write_text(json.dumps(nb))
    sc = steps.notebook_imports(p)
    assert sc.froms == [("analysis.measures", ["gini"], 0)] and sc.plain == []
    files = steps.CodeIndex().code_files([], [sc])
    names = {f.relative_to(paths.PACKAGE_DIR).as_posix() for f in files}
    assert "measures/disparity.py" in names and "measures/io.py" not in names


# ------------------------------------------------------------------------------------------
# the real package: which step depends on which file (acceptance, on a copy of the package)
# ------------------------------------------------------------------------------------------

NOTEBOOKS = {f"notebook:{n}" for n in ("01_data_overview", "02_measurement", "03_baseline",
                                       "04_mechanisms_thresholds", "05_spatial",
                                       "06_heterogeneity_gmm")}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A temporary project: a copy of the package and the notebooks; ANALYSIS_ROOT points at it."""
    shutil.copytree(paths.PACKAGE_DIR, tmp_path / "analysis",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    return tmp_path


def _stub_steps(root: Path) -> list[steps.Step]:
    """The main job's steps with their real code keys, each body replaced by a stub that writes
    one file; each step reads its upstream steps' files."""
    real = steps.main_steps()
    calls: list[str] = []
    out = []
    for s in real:
        def body(ctx, name=s.name):
            calls.append(name)
            f = root / "out" / f"{name.replace(':', '_')}.txt"
            f.parent.mkdir(exist_ok=True)
            f.write_text(f"{name} {ctx.params}")
        ups = s.after

        def inputs(params, ups=ups):
            return {u: root / "out" / f"{u.replace(':', '_')}.txt" for u in ups}
        out.append(steps.Step(s.name, body, modules=s.modules, notebooks=s.notebooks,
                              inputs=inputs, outputs=(f"out/{s.name.replace(':', '_')}.txt",),
                              params=s.params, after=s.after))
    out[0].calls = calls  # type: ignore[attr-defined]
    return out


def _run(project: Path, stub: list[steps.Step]) -> list[str]:
    calls = stub[0].calls  # type: ignore[attr-defined]
    calls.clear()
    idx = steps.CodeIndex(project / "analysis", cache=steps.state_dir() / "imports.json")
    results = steps.Runner(stub, idx, verbose=False).run()
    assert steps.exit_code(results) == 0
    ran = [r.name for r in results if r.status == "ran"]
    assert ran == calls
    return ran


# (the file, steps that must rerun, steps that must not): the rest follows the import graph
EDITS = [
    ("analysis/measures/structure.py", {"models"}, {"data", "chain_linkage", "framework"}),
    ("analysis/measures/io.py", {"chain_linkage", "framework"}, {"data", "models"}),
    ("analysis/framework/spec.yaml", {"framework", "reports"}, {"data", "chain_linkage", "models"}),
    # reporting/province.py was split: its section builder (sections.py) and the numbers each
    # section shows (context.py)
    ("analysis/reporting/sections.py", {"reports"}, {"data", "chain_linkage", "framework", "models"}
     | NOTEBOOKS),
    ("analysis/reporting/context.py", {"reports"}, {"data", "chain_linkage", "framework", "models"}),
]


@pytest.mark.parametrize("edit, must, must_not", EDITS)
def test_changing_one_file_reruns_exactly_its_dependants(project, edit, must, must_not):
    stub = _stub_steps(project)
    assert set(_run(project, stub)) == {s.name for s in stub}  # first run: everything
    assert _run(project, stub) == []  # nothing changed: nothing runs
    # the steps whose code (import closure + package data) contains the file
    idx = steps.CodeIndex(project / "analysis")
    runner = steps.Runner(stub, idx, verbose=False)
    dependants = {s.name for s in stub if project / edit in runner.code_files(s)}
    assert must <= dependants and not (must_not & dependants), dependants
    with (project / edit).open("a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    assert set(_run(project, stub)) == dependants  # exactly those, no other
    assert _run(project, stub) == []


def test_changed_input_reruns_the_step_and_identical_output_stops_there(project):
    stub = _stub_steps(project)
    _run(project, stub)
    stub[0].params["base_year"] = 2015  # the data stub writes its params: its output changes
    assert set(_run(project, stub)) == {s.name for s in stub}
    (project / "out" / "models.txt").unlink()  # an output deleted by hand: that step reruns
    assert _run(project, stub) == ["models"]  # ... and writes the same bytes: nothing else


def test_why_names_the_changed_file(project):
    stub = _stub_steps(project)
    _run(project, stub)
    with (project / "analysis/measures/structure.py").open("a") as fh:
        fh.write("\n# edited\n")
    idx = steps.CodeIndex(project / "analysis")
    res = steps.Runner(stub, idx, verbose=False).run(["models"])
    assert [r.reason for r in res if r.name == "models"] == [
        "code: analysis/measures/structure.py"]


# ------------------------------------------------------------------------------------------
# failures: exit code, stale outputs removed, blocked dependants, keep-going, summary
# ------------------------------------------------------------------------------------------


def _steps_abc(root: Path, fail: dict[str, object]) -> list[steps.Step]:
    def make(name):
        def body(ctx):
            how = fail.get(name)
            if how == "raise":
                raise ValueError(f"{name} exploded")
            f = root / f"{name}.out"
            f.write_text(name)
            if how == "part":
                (root / f"{name}.part").unlink(missing_ok=True)
                return steps.Outcome(failed={"block x": "LinAlgError: singular"})
            (root / f"{name}.part").write_text("part")
            return 0
        return body
    return [steps.Step("a", make("a"), outputs=("a.out", "a.part")),
            steps.Step("b", make("b"), outputs=("b.out", "b.part"), after=("a",),
                       inputs=lambda p: {"a": root / "a.out"}),
            steps.Step("c", make("c"), outputs=("c.out",))]


def test_failed_step_removes_its_outputs_and_blocks_dependants(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    idx = steps.CodeIndex()
    assert steps.exit_code(steps.Runner(_steps_abc(tmp_path, {}), idx, verbose=False).run()) == 0
    assert (tmp_path / "a.out").exists() and steps.read_record("a") is not None
    res = steps.Runner(_steps_abc(tmp_path, {"a": "raise"}), idx, verbose=False).run(
        force=["a"])
    assert [(r.name, r.status) for r in res] == [("a", "failed"), ("b", "blocked"),
                                                ("c", "blocked")]
    assert steps.exit_code(res) == 1
    assert not (tmp_path / "a.out").exists() and not (tmp_path / "a.part").exists()
    assert steps.read_record("a") is None
    # the previous outputs are quarantined, intact, where no step looks
    q = tmp_path / "data" / "processed" / ".failed" / "a"
    assert (q / "a.out").read_text() == "a" and (q / "a.part").read_text() == "part"
    assert "ValueError: a exploded" in res[0].reason and res[0].removed == []
    assert res[0].quarantined == ["data/processed/.failed/a/a.out",
                                  "data/processed/.failed/a/a.part"]
    text = steps.summary_text(res, 1.0)
    assert "a" in text and "FAILED" in text and "exit 1" in text
    assert "2 previous output(s) quarantined in data/processed/.failed/a/" in text
    # keep-going: c (independent) runs; b needs a, which failed entirely: blocked
    res = steps.Runner(_steps_abc(tmp_path, {"a": "raise"}), idx, verbose=False).run(
        keep_going=True)
    assert [(r.name, r.status) for r in res] == [("a", "failed"), ("b", "blocked"),
                                                ("c", "skipped")]
    assert steps.exit_code(res) == 1


def test_failed_part_keeps_other_outputs_and_reruns_next_time(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    idx = steps.CodeIndex()
    res = steps.Runner(_steps_abc(tmp_path, {"a": "part"}), idx, verbose=False).run(
        keep_going=True)
    assert [(r.name, r.status) for r in res] == [("a", "failed"), ("b", "ran"), ("c", "ran")]
    assert res[0].failed_parts == {"block x": "LinAlgError: singular"} and res[0].partial
    assert (tmp_path / "a.out").exists() and not (tmp_path / "a.part").exists()
    assert steps.read_record("a") is None  # not recorded: runs again next time
    assert "failed part block x: LinAlgError: singular" in steps.summary_text(res, 1.0)
    assert res[0].quarantined == []  # a.part did not exist before this run: nothing to keep
    # without keep-going the run stops at the failure
    res = steps.Runner(_steps_abc(tmp_path, {"a": "part"}), idx, verbose=False).run()
    assert [(r.name, r.status) for r in res] == [("a", "failed"), ("b", "blocked"),
                                                ("c", "blocked")]
    assert res[2].reason == "not run (an earlier step failed)"


def test_nonzero_return_is_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    s = steps.Step("r", lambda ctx: 1, outputs=("r.out",))
    (tmp_path / "r.out").write_text("old")
    res = steps.Runner([s], steps.CodeIndex(), verbose=False).run()
    assert res[0].status == "failed" and res[0].failed_parts == {"exit": "returned 1"}
    assert (tmp_path / "r.out").exists()  # a step reporting failed parts cleans up itself


# ------------------------------------------------------------------------------------------
# The rule for a failed step's previous outputs, shared by two issues:
# * honest pipeline: a failed step or block "removes or quarantines that block's previous
#   outputs so no later step reads them";
# * data v2: "a failed import or build leaves the previous processed files intact".
# Both hold: previous outputs are moved intact to a quarantine (data/processed/.failed/<step>/,
# reports/.failed/<step>/) that no step reads, cleared by the next successful run; a step that
# swaps its outputs into place atomically (the data step) and fails before its swap leaves
# them where they are, and every later step is blocked until it succeeds.
# ------------------------------------------------------------------------------------------

OUTS = ("data/processed/x.parquet", "data/processed/sub/y.parquet", "reports/paper/t.csv")


def _writer(name: str, version: int, fail: str | None = None, atomic: bool = False,
            after: tuple[str, ...] = ()) -> steps.Step:
    """A step writing the three OUTS (temporary file + rename, as the package's writers do).
    ``fail``: "before" (raises before writing), "midway" (raises after rewriting x),
    "part" (t's block fails: t deleted, Outcome)."""
    def body(ctx):
        root = paths.project_root()
        if fail == "before":
            raise RuntimeError(f"{name} exploded before writing")
        paths.atomic_write_bytes(root / OUTS[0], f"{name} x v{version}".encode())
        if fail == "midway":
            raise RuntimeError(f"{name} exploded midway")
        paths.atomic_write_bytes(root / OUTS[1], f"{name} y v{version}".encode())
        if fail == "part":
            (root / OUTS[2]).unlink(missing_ok=True)
            return steps.Outcome(failed={"block t": "LinAlgError: singular"})
        paths.atomic_write_bytes(root / OUTS[2], f"{name} t v{version}".encode())
        return None
    outs = OUTS if not after else (f"data/processed/{name}.parquet",)
    if after:
        def body(ctx):  # noqa: F811 - a dependant: reads s's outputs, writes its own
            root = paths.project_root()
            text = "".join((root / o).read_text() for o in OUTS)
            paths.atomic_write_bytes(root / outs[0], text.encode())
    return steps.Step(name, body, outputs=outs, atomic=atomic, after=after)


def _state(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mtime and inode of every file in place (outside the runner's .steps)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".steps" not in p.parts and ".failed" not in p.parts}


def test_failed_step_previous_outputs_quarantined_so_no_later_step_reads_them(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    idx = steps.CodeIndex()

    def run(version, fail=None, **kw):
        return steps.Runner([_writer("s", version, fail), _writer("b", 0, after=("s",))], idx,
                            verbose=False).run(**kw)

    assert steps.exit_code(run(1)) == 0
    res = run(2, "midway", force=["s"], keep_going=True)
    assert [(r.name, r.status) for r in res] == [("s", "failed"), ("b", "blocked")]
    assert steps.exit_code(res) == 1
    # nothing left where a step or reader looks: the failed run's x deleted, the previous
    # x, y, t moved intact (x v1 although the failed run had already replaced it in place)
    assert not any((tmp_path / o).exists() for o in OUTS)
    assert res[0].removed == ["data/processed/x.parquet"]
    assert res[0].quarantined == ["data/processed/.failed/s/sub/y.parquet",
                                  "data/processed/.failed/s/x.parquet",
                                  "reports/.failed/s/paper/t.csv"]
    assert {q: (tmp_path / q).read_text() for q in res[0].quarantined} == {
        "data/processed/.failed/s/sub/y.parquet": "s y v1",
        "data/processed/.failed/s/x.parquet": "s x v1",
        "reports/.failed/s/paper/t.csv": "s t v1"}
    text = steps.summary_text(res, 1.0)
    assert ("3 previous output(s) quarantined in reports/.failed/s/, data/processed/.failed/s/"
            in text)
    assert "deleted 1 file(s) the failed run wrote, e.g. data/processed/x.parquet" in text
    # the quarantine is no step's input or output
    runner = steps.Runner([_writer("s", 3), _writer("b", 0, after=("s",))], idx, verbose=False)
    assert runner.input_files(runner.steps["b"]) == {}
    assert steps.expand_outputs(OUTS, tmp_path) == []
    # the next successful run writes new outputs and clears the quarantine
    assert steps.exit_code(runner.run()) == 0
    assert (tmp_path / OUTS[0]).read_text() == "s x v3"
    assert not any(d.exists() for d in steps.quarantine_dirs("s"))
    assert not (steps.state_dir() / "held" / "s").exists()


def test_failed_atomic_step_leaves_the_previous_processed_files_intact(tmp_path, monkeypatch):
    """The data step's rule: failing before its atomic swap, it changes no file (same bytes,
    mtimes, inodes), moves nothing, and blocks every later step until it succeeds."""
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    idx = steps.CodeIndex()

    def run(version, fail=None, **kw):
        return steps.Runner([_writer("s", version, fail, atomic=True),
                             _writer("b", 0, after=("s",))], idx, verbose=False).run(**kw)

    assert steps.exit_code(run(1)) == 0
    before = _state(tmp_path)
    res = run(2, "before", force=["s"], keep_going=True)
    assert [(r.name, r.status) for r in res] == [("s", "failed"), ("b", "blocked")]
    assert res[0].intact and res[0].quarantined == [] and res[0].removed == []
    assert _state(tmp_path) == before
    assert not any(d.exists() for d in steps.quarantine_dirs("s"))
    assert "previous outputs left intact" in steps.summary_text(res, 1.0)
    assert steps.read_record("s") is None  # so the next run redoes it before any later step
    res = run(2, "before")
    assert [(r.name, r.status) for r in res] == [("s", "failed"), ("b", "blocked")]
    assert _state(tmp_path) == before
    # failing after it began replacing its outputs, it is quarantined like any step
    res = run(3, "midway")
    assert not res[0].intact and not (tmp_path / OUTS[0]).exists()
    assert (steps.quarantine_dirs("s")[1] / "x.parquet").read_text() == "s x v1"


def test_failed_part_quarantines_the_previous_version_of_what_it_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    idx = steps.CodeIndex()
    assert steps.exit_code(steps.Runner([_writer("s", 1)], idx, verbose=False).run()) == 0
    res = steps.Runner([_writer("s", 2, "part")], idx, verbose=False).run(force=["s"])
    assert res[0].status == "failed" and res[0].failed_parts == {"block t": "LinAlgError: singular"}
    assert res[0].quarantined == ["reports/.failed/s/paper/t.csv"]
    assert (tmp_path / "reports/.failed/s/paper/t.csv").read_text() == "s t v1"
    assert (tmp_path / OUTS[0]).read_text() == "s x v2" and not (tmp_path / OUTS[2]).exists()
    assert "1 previous output(s) quarantined in reports/.failed/s/" in steps.summary_text(res, 1)


def test_failed_data_build_leaves_the_previous_processed_files_intact(built_data, tmp_path,
                                                                     monkeypatch, capsys):
    """`python -m analysis data build` failing before its atomic swap (a parser raises): exit 1,
    every file of data/processed exactly as it was, the summary says so; a later `models`
    does not run on those files: the data step is redone first, fails, and blocks the rest."""
    from analysis.cli import main
    from analysis.data import pipeline

    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "data" / "raw").symlink_to(built_data["raw"], target_is_directory=True)
    proc = root / "data" / "processed"
    shutil.copytree(built_data["processed"], proc)
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    monkeypatch.setenv("ANALYSIS_MIRROR", str(built_data["raw"]))
    before = _state(proc)
    assert "panel.parquet" in before

    def broken(name):
        raise ValueError(f"parser {name} exploded")

    monkeypatch.setattr(pipeline, "_load_source", broken)
    assert main(["data", "build"]) == 1
    out = capsys.readouterr()
    assert "ValueError: parser techme exploded" in out.err
    assert "previous outputs left intact (it failed before replacing any)" in out.out
    assert _state(proc) == before and not (proc / ".failed").exists()
    assert main(["models"]) == 1
    out = capsys.readouterr().out
    assert "models" in out and "not run (an earlier step failed)" in out
    assert _state(proc) == before


def test_no_step_reads_or_claims_the_quarantine(tmp_path, monkeypatch):
    """Every output of every step of the main job, quarantined: no step's patterns find it."""
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    main = steps.main_steps()
    for s in main:
        for pat in s.output_patterns():
            q = steps.quarantine_path(s.name, pat.replace("*", "x"), tmp_path)
            q.parent.mkdir(parents=True, exist_ok=True)
            q.write_text("quarantined")
    found = [p for s in main for p in steps.expand_outputs(s.output_patterns(), tmp_path)]
    assert found == []
    assert all(".failed" in p.parts for p in tmp_path.rglob("*") if p.is_file())


def test_partial_run_leaves_no_record(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    calls = []
    s = steps.Step("r", lambda ctx: calls.append(ctx.options), outputs=())
    idx = steps.CodeIndex()
    steps.Runner([s], idx, verbose=False).run(partial=["r"], options={"r": {"provinces": [1]}})
    assert calls == [{"provinces": [1]}] and steps.read_record("r") is None
    steps.Runner([s], idx, verbose=False).run()
    assert steps.read_record("r") is not None
    # a subset run with the key unchanged: skipped unless forced
    res = steps.Runner([s], idx, verbose=False).run(partial=["r"])
    assert res[0].status == "skipped"
    res = steps.Runner([s], idx, verbose=False).run(partial=["r"], force=["r"])
    assert res[0].status == "ran" and steps.read_record("r") is not None


def test_unknown_target():
    with pytest.raises(KeyError, match="unknown step 'nope'"):
        steps.Runner([steps.Step("a", lambda c: None)], steps.CodeIndex(), verbose=False).run(
            ["nope"])


def test_declared_outputs_cover_what_the_steps_write():
    """The data step's patterns cover every file pipeline.build writes; the models step's cover
    every block's tables; research notebooks own nbXX_* (not the models' tables)."""
    from fnmatch import fnmatch

    from analysis.data.pipeline import OUTPUTS
    from analysis.models.pipeline import BLOCK_OUTPUTS

    by = {s.name: s.output_patterns() for s in steps.main_steps()}
    for f in OUTPUTS:
        assert any(fnmatch(f"data/processed/{f}", p) for p in by["data"]), f
    for block, pats in BLOCK_OUTPUTS.items():
        for p in pats:
            target = f"data/processed/{p}" if p.startswith("results/") else f"reports/{p}"
            assert any(fnmatch(target.replace("*", "x"), q) for q in by["models"]), (block, p)
    assert not any(fnmatch("reports/paper/nb03_baseline_en.csv", q) for q in by["models"])
    from analysis.data.user_sources import record_path

    assert record_path() == paths.project_root() / steps.USER_RECORDS
    from analysis.framework.validity import RANKINGS_FILE

    assert RANKINGS_FILE.as_posix() == steps.RANKINGS
    # the models step's patterns are read from BLOCK_OUTPUTS's source (no import): the same
    assert set(by["models"]) == {"data/processed/results/*"} | {
        f"reports/{p}" for pats in BLOCK_OUTPUTS.values() for p in pats if p.startswith("paper/")}
