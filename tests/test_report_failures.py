"""No false success in the report batch: what counts as a failed report, and what is published then.

A report fails when a cell records an error (also one papermill lets pass), a shell line fails,
or a cell times out; its old HTML is removed, the index says it failed and why, and
``status.json`` is always written, atomically, in UTF-8 — also under ``LC_ALL=C PYTHONUTF8=0``.
Tiny notebooks stand in for the report notebook (the batch does not care what they compute).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import paths
from analysis.reporting import batch, jobs

ROOT = paths.project_root()


def tiny_notebook(path: Path, body: str, tags: list[str] | None = None) -> Path:
    """Parameters cell, ``body`` (tagged ``tags``), then a heading naming the province."""
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("province_code = 110000\nlang = 'zh'\nyear_start = 2010\nyear_end = 2023\n"
                                  "data_dir = None")
    p.metadata["tags"] = ["parameters"]
    cell = nbformat.v4.new_code_cell(body)
    cell.metadata["tags"] = list(tags or [])
    nb.cells = [p, cell, nbformat.v4.new_code_cell(
        "from IPython.display import Markdown\nMarkdown(f'# 报告 report {province_code}')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(tmp_path: Path, nb: Path, codes: list[int], **kw) -> tuple[int, Path]:
    out = tmp_path / "r"
    rc = batch.main(provinces=codes, langs=["en"], workers=1, data_dir=tmp_path,
                    out_root=out, notebook=nb, progress=False, **kw)
    return rc, out


def _status(out: Path) -> dict:
    return json.loads((out / "provinces" / "status.json").read_text(encoding="utf-8"))


def test_failing_shell_line_fails_the_report_and_unpublishes_it(tmp_path):
    nb = tiny_notebook(tmp_path / "nb.ipynb", "if province_code == 120000:\n    !exit 3\nprint('after')")
    # an old page from an earlier successful run must not stay published
    old = tmp_path / "r" / "provinces" / "120000_en.html"
    old.parent.mkdir(parents=True)
    old.write_text("<html>old report</html>", encoding="utf-8")
    (old.parent / "120000_en.pdf").write_bytes(b"%PDF old")
    rc, out = _run(tmp_path, nb, [110000, 120000])
    assert rc == 1
    jobs = {j["name"]: j for j in _status(out)["jobs"]}
    assert jobs["110000_en"]["status"] == "ok" and (out / "provinces" / "110000_en.html").exists()
    assert jobs["120000_en"]["status"] == "failed"
    assert "CalledProcessError" in jobs["120000_en"]["error"] and "exit 3" in jobs["120000_en"]["error"]
    assert not old.exists() and not (old.parent / "120000_en.pdf").exists()
    assert not (out / "provinces" / "notebooks" / "120000_en.ipynb").exists()
    assert (out / "provinces" / "notebooks" / "120000_en.failed.ipynb").exists()  # kept for diagnosis
    assert _status(out)["latest"]["120000_en"]["status"] == "failed"
    page = (out / "index.html").read_text(encoding="utf-8")
    row = page[page.index('data-v="120000"'):]
    row = row[:row.index("</tr>")]
    assert "English report failed" in row and "CalledProcessError" in row
    assert 'href="provinces/120000_en.html"' not in page and 'href="provinces/110000_en.html"' in page


def test_error_in_a_cell_tagged_raises_exception_fails_the_report(tmp_path):
    # nbclient lets a cell tagged raises-exception continue; its error output still fails the report
    nb = tiny_notebook(tmp_path / "nb.ipynb", "raise ValueError('checked: 数据缺失')", tags=["raises-exception"])
    rc, out = _run(tmp_path, nb, [110000])
    assert rc == 1
    job = _status(out)["jobs"][0]
    assert job["status"] == "failed" and "ValueError: checked: 数据缺失" in job["error"]
    assert not (out / "provinces" / "110000_en.html").exists()


def test_notebook_errors_lists_every_error_output():
    nb = nbformat.v4.new_notebook()
    ok = nbformat.v4.new_code_cell("1")
    ok.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]
    bad = nbformat.v4.new_code_cell("x")
    bad.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="name 'x' is not defined",
                                          traceback=[])]
    nb.cells = [ok, nbformat.v4.new_markdown_cell("text"), bad]
    assert jobs.notebook_errors(nb) == ["cell 2: NameError: name 'x' is not defined"]
    assert jobs.notebook_errors(nbformat.v4.new_notebook()) == []


def test_timed_out_cell_fails_and_unpublishes(tmp_path):
    nb = tiny_notebook(tmp_path / "nb.ipynb", "import time\nif province_code == 110000:\n    time.sleep(60)")
    old = tmp_path / "r" / "provinces" / "110000_en.html"
    old.parent.mkdir(parents=True)
    old.write_text("old", encoding="utf-8")
    rc, out = _run(tmp_path, nb, [110000], timeout=3)
    assert rc == 1
    job = _status(out)["jobs"][0]
    assert job["status"] == "timeout" and "a cell exceeded 3 s" in job["error"]
    assert not old.exists()


def test_status_is_written_when_the_batch_is_interrupted(tmp_path, monkeypatch):
    nb = tiny_notebook(tmp_path / "nb.ipynb", "pass")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_jobs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, nb, [110000, 120000])
    st = _status(tmp_path / "r")
    assert [(j["name"], j["status"]) for j in st["jobs"]] == [("110000_en", "not run"), ("120000_en", "not run")]
    assert st["problems"] == ["batch stopped: KeyboardInterrupt: "]
    assert not list((tmp_path / "r" / "provinces").glob(".status.json.tmp*"))  # no half-written file


def test_batch_runs_under_the_c_locale_without_utf8_mode(tmp_path):
    """``LC_ALL=C PYTHONUTF8=0``: Chinese in notebooks, errors and pages; status.json still written."""
    nb = tiny_notebook(tmp_path / "nb.ipynb",
                       "print('省份', province_code)\nif province_code == 120000:\n    raise RuntimeError('天津失败')")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    env |= {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONPATH": str(ROOT)}
    code = (f"import sys; from analysis.reporting import batch; sys.exit(batch.main(provinces=[110000, 120000], "
            f"langs=['zh'], workers=1, data_dir={str(tmp_path)!r}, "
            f"out_root={str(tmp_path / 'r')!r}, notebook={str(nb)!r}, progress=False))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=600)
    assert proc.returncode == 1, proc.stderr.decode("utf-8", "replace")[-2000:]
    assert b"Traceback" not in proc.stderr
    assert b"FAILED 120000_zh" in proc.stdout and b"\\u5929\\u6d25" in proc.stdout  # 天津, escaped for ASCII
    st = json.loads((tmp_path / "r" / "provinces" / "status.json").read_bytes().decode("utf-8"))
    assert {j["name"]: j["status"] for j in st["jobs"]} == {"110000_zh": "ok", "120000_zh": "failed"}
    assert "天津失败" in st["latest"]["120000_zh"]["error"]
    page = (tmp_path / "r" / "provinces" / "110000_zh.html").read_bytes().decode("utf-8")
    assert "报告 report 110000" in page
