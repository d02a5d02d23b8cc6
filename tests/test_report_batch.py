"""The report batch's machinery: kernels reused through papermill's public API, jobs that return
their notebook to the client, pages assembled without nbconvert, Dask without a shared filesystem.

Tiny notebooks stand in for the report notebook where only the machinery matters.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import nbformat
import pytest

from analysis.reporting import batch, jobs, kernels
from analysis.reporting.pages import notebook_body, report_page


def tiny_notebook(path: Path | None, body: str) -> nbformat.NotebookNode:
    """Parameters cell, ``body``, then a heading naming the province (written to ``path``)."""
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("province_code = 110000\nlang = 'zh'\nyear_start = 2010\nyear_end = 2023\n"
                                  "data_dir = None")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(body), nbformat.v4.new_code_cell(
        "from IPython.display import Markdown\nMarkdown(f'# report {province_code}')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if path is not None:
        nbformat.write(nb, path)
    return nb


def test_one_kernel_and_one_client_serve_every_report_of_a_worker(caplog, capfd):
    """papermill's public API with a kernel manager: the kernel and its client are reused."""
    nb = tiny_notebook(None, "import os\nprint(os.getpid())")
    try:
        pids, clients = [], []
        for code in (110000, 120000, 130000):
            r = jobs.render_job(jobs.Job(code, "en", {"province_code": code, "lang": "en"}), nb, timeout=60)
            assert r.status == "ok", r.error
            out = json.loads(r.notebook)
            cell = next(c for c in out["cells"] if "getpid" in "".join(c["source"]))  # after papermill's injected cell
            pids.append("".join(cell["outputs"][0]["text"]))
            assert out["metadata"]["papermill"]["parameters"]["province_code"] == code
            (km,) = kernels._KERNELS.values()
            clients.append(km._analysis_client)
        assert len(set(pids)) == 1 and len({id(c) for c in clients}) == 1
        assert r.phases["kernel_start"] < 1.0  # the third report found its kernel running
    finally:
        kernels.shutdown_all_kernels()
    gc.collect()
    assert "Could not destroy zmq context" not in capfd.readouterr().err + caplog.text


def test_kernel_start_failure_is_retried(monkeypatch):
    """A kernel that fails to start (e.g. a port race) is retried with a fresh manager."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    calls = {"n": 0}
    original = AsyncKernelManager.start_kernel

    async def flaky(self, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated: address already in use")
        return await original(self, **kw)

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", flaky)
    monkeypatch.setattr(kernels.time, "sleep", lambda s: None)
    km, attempt = kernels.start_kernel(60)
    try:
        assert attempt == 2 and calls["n"] == 2
        assert run_sync(km.is_alive)()
    finally:
        kernels.stop_kernel(km)


def test_research_notebooks_run_on_ipc_kernels_without_tcp_warning(tmp_path, monkeypatch, capfd, caplog):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("out_dir = None")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(
        "import json, pathlib\nfrom ipykernel.connect import get_connection_info\n"
        "info = json.loads(get_connection_info())\n"
        "pathlib.Path(out_dir, 'transport.txt').write_text(info['transport'])")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "01_x.ipynb")
    monkeypatch.setattr(batch, "notebooks_dir", lambda: nbdir)
    assert batch.run_research_notebooks(["01_x"], out_dir=tmp_path / "paper", verbose=False) == 0
    assert (tmp_path / "paper" / "transport.txt").read_text() == "ipc"
    assert (tmp_path / "paper" / "notebooks" / "01_x.ipynb").exists()
    gc.collect()  # a client left to the garbage collector logged "Could not destroy zmq context"
    err = capfd.readouterr().err
    assert "without encryption" not in err
    assert "Could not destroy zmq context" not in err + caplog.text


def test_workers_return_the_notebook_and_write_nothing(tmp_path, monkeypatch):
    """A job's result carries the executed notebook; files are the client's business (publish)."""
    monkeypatch.chdir(tmp_path)
    nb = tiny_notebook(None, "x = 1")
    try:
        r = jobs.render_job(jobs.Job(110000, "zh", {"province_code": 110000, "lang": "zh"}), nb, timeout=60)
    finally:
        kernels.shutdown_all_kernels()
    assert r.status == "ok" and list(tmp_path.iterdir()) == []
    out = tmp_path / "out"
    r = batch.publish(jobs.Job(110000, "zh", {}), r, out)
    assert r.notebook is None and r.status == "ok"
    page = (out / "110000_zh.html").read_text(encoding="utf-8")
    assert "<h1>report 110000</h1>" in page and '<html lang="zh-CN">' in page
    assert nbformat.read(str(out / "notebooks" / "110000_zh.ipynb"), 4).cells[-1].outputs


def test_report_page_keeps_displays_and_drops_code_streams_and_scraps():
    nb = tiny_notebook(None, "")
    cells = nb.cells
    cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="a warning"),
        nbformat.v4.new_output("stream", name="stdout", text="debug print"),
        nbformat.v4.new_output("display_data", data={"text/html": '<section><h1>江苏报告</h1><p>正文</p></section>',
                                                     "text/plain": "<IPython.core.display.HTML object>"}),
        nbformat.v4.new_output("display_data", data={"application/scrapbook.scrap.json+json": {"name": "glance"}}),
    ]
    cells[2].outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "**bold** text"})]
    body, title = notebook_body(nb)
    assert title == "江苏报告" and "<p>正文</p>" in body and "<strong>bold</strong>" in body
    assert "a warning" not in body and "debug print" not in body and "scrapbook" not in body
    assert "province_code = 110000" not in body  # no code
    page = report_page(nbformat.writes(nb).encode("utf-8"), "zh", 320000)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert 'href="../index.html"' in page and 'href="320000_en.html"' in page and "<script src=" not in page
    assert "localStorage.setItem('reports-lang'" in page  # the reader's language is remembered


def test_batch_on_a_local_dask_cluster_renders_and_reports_failures(tmp_path, capsys):
    """``scheduler="local"``: the same jobs on a LocalCluster; one failure is named, the rest render;
    the workers return the notebooks and the client writes the pages."""
    nb = tmp_path / "nb.ipynb"
    tiny_notebook(nb, "if province_code == 120000:\n    raise RuntimeError('boom on dask')")
    rc = batch.main(provinces=[110000, 120000], langs=["en"], workers=1, data_dir=tmp_path,
                    out_root=tmp_path / "r", notebook=nb, progress=False, scheduler="local")
    assert rc == 1
    cap = capsys.readouterr()
    assert "FAILED 120000_en" in cap.out and "boom on dask" in cap.out and "ok 1" in cap.out
    assert (tmp_path / "r" / "provinces" / "110000_en.html").exists()
    assert not (tmp_path / "r" / "provinces" / "120000_en.html").exists()
    assert (tmp_path / "r" / "provinces" / "notebooks" / "120000_en.failed.ipynb").exists()
    assert "INFO:distributed" not in cap.err  # the cluster's own logging is silenced


class _FakeClient:
    """Stands for a Dask client whose workers report what they see at the data path."""

    def __init__(self, seen: dict[str, str]) -> None:
        self.seen = seen

    def run(self, fn, *args):
        return dict(self.seen)


def test_dask_worker_that_cannot_see_the_data_is_refused(tmp_path):
    (tmp_path / "panel.parquet").write_bytes(b"the client's panel")
    want = jobs.data_fingerprint(tmp_path)
    jobs.check_workers(_FakeClient({"tcp://a:1": want, "tcp://b:2": want}), tmp_path)  # all see it: fine
    with pytest.raises(jobs.WorkerCannotSeeData, match=r"tcp://b:2: folder missing.*tcp://c:3: different content"):
        jobs.check_workers(_FakeClient({"tcp://a:1": want, "tcp://b:2": "missing", "tcp://c:3": "0" * 64}), tmp_path)
    # the worker side of the check, on a folder that is not there
    assert jobs._worker_fingerprint(str(tmp_path / "elsewhere")) == "missing"
    assert jobs._worker_fingerprint(str(tmp_path)) == want


def test_failing_notebook_does_not_stop_others(tmp_path, capsys):
    nb = tmp_path / "nb.ipynb"
    tiny_notebook(nb, "if province_code == 120000:\n    raise RuntimeError('boom for Tianjin')")
    rc = batch.main(provinces=[110000, 120000, 130000], langs=["en"], workers=2, data_dir=tmp_path,
                    out_root=tmp_path / "r", notebook=nb, progress=False)
    assert rc == 1
    out = capsys.readouterr().out
    assert "FAILED 120000_en" in out and "boom for Tianjin" in out and "ok 2" in out
    for code, exists in ((110000, True), (120000, False), (130000, True)):
        assert (tmp_path / "r" / "provinces" / f"{code}_en.html").exists() == exists
