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
    # the province report's section builder (reporting/province.py until it was split)
    ("analysis/reporting/sections.py", {"reports"}, {"data", "chain_linkage", "framework", "models"}
     | NOTEBOOKS),
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
    assert "ValueError: a exploded" in res[0].reason and res[0].removed == ["a.out", "a.part"]
    text = steps.summary_text(res, 1.0)
    assert "a" in text and "FAILED" in text and "exit 1" in text
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
