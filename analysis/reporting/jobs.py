"""Report jobs: what to render, rendering one on a worker, and running many on a pool or Dask.

A worker (a process of the pool, or a Dask worker) executes the report notebook with papermill in
its own long-lived kernel (:mod:`analysis.reporting.kernels`) and returns the executed notebook
as bytes with the status (:class:`JobResult`): it writes nothing. The client (the process that
called :func:`analysis.reporting.batch.main`) turns the notebook into the page and writes every
file, so a Dask worker on another machine leaves nothing behind and needs no shared output folder.
It does need to read the processed data: :func:`check_workers` refuses, before anything runs, a
worker that cannot see the data folder at the client's path with the same content.

A report fails (``failed``/``timeout``) when any cell raised or recorded an error output, a shell
line (``!cmd``) failed, a cell ran longer than the timeout (nbclient's ``CellTimeoutError``,
which papermill does not mark), or the kernel died twice.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 300


@dataclass
class Job:
    """One report to render: a province, a language and the notebook's parameters."""

    province_code: int
    lang: str
    params: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.province_code}_{self.lang}"


@dataclass
class JobResult:
    """Outcome of one job: ``status`` is ``ok``, ``failed``, ``timeout`` (or ``not run``).

    ``notebook`` holds the executed notebook (UTF-8 JSON bytes) — also a failed one, for
    diagnosis — and is not part of ``status.json``.
    """

    name: str
    status: str
    seconds: float = 0.0
    error: str = ""
    attempts: int = 1
    worker: str = ""
    phases: dict[str, float] = field(default_factory=dict)
    notebook: bytes | None = field(default=None, repr=False)

    def status_record(self) -> dict[str, Any]:
        """The JSON record of ``status.json`` (without the notebook)."""
        return {"name": self.name, "status": self.status, "seconds": self.seconds, "error": self.error,
                "attempts": self.attempts, "worker": self.worker, "phases": self.phases}


def notebook_errors(nb) -> list[str]:
    """Every error an executed notebook recorded: ``"cell 3: CalledProcessError: ..."``.

    A cell's ``error`` output (an exception, also in cells tagged ``raises-exception`` that nbclient
    lets pass, and a failing ``!cmd`` under the batch's kernel options), in cell order.
    """
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if o.get("output_type") == "error":
                out.append(f"cell {i}: {o.get('ename', 'Error')}: {str(o.get('evalue', ''))[:300]}")
    return out


def short_error(exc: BaseException) -> str:
    """The exception line of an error (papermill's message ends with the traceback)."""
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln or "Exception" in ln:
            return f"{type(exc).__name__}: {ln.strip()[:400]}"
    return f"{type(exc).__name__}: {(lines[-1] if lines else '')[:400]}"


def _nb_bytes(nb) -> bytes | None:
    import nbformat

    try:
        return nbformat.writes(nbformat.from_dict(nb)).encode("utf-8") if nb is not None else None
    except Exception:  # noqa: BLE001 - an unwritable notebook is simply not kept
        return None


def _read_removing(path: str) -> bytes | None:
    """The bytes of a notebook papermill wrote (None if empty or absent)."""
    try:
        data = Path(path).read_bytes()
        return data or None
    except OSError:
        return None


def render_job(job: Job, notebook: Any, timeout: float = DEFAULT_TIMEOUT, start_timeout: float = 60.0,
               cwd: str | None = None) -> JobResult:
    """Execute one report in this worker's kernel; never raises, writes nothing.

    Parameters
    ----------
    job : Job
    notebook : str or nbformat.NotebookNode
        The report notebook (a node needs no file on the worker).
    timeout : float
        Seconds allowed per cell.

    Returns
    -------
    JobResult
        ``ok`` with the executed notebook, or ``failed``/``timeout`` with the error and, where
        papermill kept it, the failed notebook. A timed-out cell or a dead kernel restarts the
        worker's kernel; a dead kernel is retried once.
    """
    from analysis.reporting import kernels

    kernels.skip_slow_imports()
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    t0 = time.perf_counter()
    attempts = 0
    phases: dict[str, float] = {}

    # papermill writes the executed notebook here (also before raising: a failed one is kept);
    # a private temporary file on the worker, read back and removed
    fd, out = tempfile.mkstemp(prefix=f".{job.name}.", suffix=".ipynb")
    os.close(fd)

    def result(status: str, error: str = "", nb: Any = None) -> JobResult:
        data = _nb_bytes(nb) if nb is not None else _read_removing(out)
        Path(out).unlink(missing_ok=True)
        return JobResult(job.name, status, time.perf_counter() - t0, error, max(attempts, 1), str(os.getpid()),
                         phases, data)

    for tries in range(2):
        try:
            ts = time.perf_counter()
            km, k_attempts = kernels.worker_kernel(start_timeout, cwd)
            phases["kernel_start"] = phases.get("kernel_start", 0.0) + time.perf_counter() - ts
            attempts += max(k_attempts, 1)
        except kernels.KernelStartError as exc:
            attempts += kernels.KERNEL_START_RETRIES
            return result("failed", str(exc))
        try:
            ts = time.perf_counter()
            nb = kernels.execute(notebook, job.params, km, timeout, out)
            phases["execute"] = time.perf_counter() - ts
        except CellTimeoutError as exc:
            kernels.shutdown_kernel()
            first = str(exc).splitlines()[0] if str(exc) else ""
            return result("timeout", f"a cell exceeded {timeout:.0f} s: {first}")
        except DeadKernelError as exc:
            kernels.shutdown_kernel()
            if tries == 0:
                continue
            return result("failed", f"kernel died: {exc}")
        except Exception as exc:  # noqa: BLE001 - anything else fails this report only
            return result("failed", short_error(exc))
        errors = notebook_errors(nb)
        # the notebook's bytes as papermill wrote them (serialising it again costs a validation)
        return result("failed", "; ".join(errors)) if errors else result("ok")
    return result("failed", "unreachable")


def run_jobs(jobs: list[Job], notebook: Path, workers: int, timeout: float, scheduler: str | None,
             on_result: Callable[[Job, JobResult], JobResult], progress: bool = True,
             data_dir: Path | None = None) -> list[JobResult]:
    """Run the jobs on a process pool (or a Dask cluster, ``scheduler``), handing each result to
    ``on_result`` (the client writes the outputs there) as it arrives; returns the results it
    returned, one per job."""
    from analysis.reporting.kernels import skip_slow_imports

    skip_slow_imports()
    import nbformat
    from tqdm.auto import tqdm

    from analysis.reporting.batch import say

    if not jobs:
        return []
    nb = nbformat.read(str(notebook), as_version=4)
    bar = tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress, file=sys.stderr)
    results: list[JobResult] = []

    def done(job: Job, r: JobResult) -> None:
        r = on_result(job, r)
        results.append(r)
        bar.update(1)
        if r.status != "ok":
            say(f"  {r.name}: {r.status}: {r.error}", sys.stderr)

    try:
        if scheduler:
            _run_dask(jobs, nb, workers, timeout, scheduler, done, data_dir)
        else:
            cwd = str(Path(notebook).resolve().parent.parent)
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
                futs = {pool.submit(render_job, j, nb, timeout, 60.0, cwd): j for j in jobs}
                for f in cf.as_completed(futs):
                    j = futs[f]
                    try:
                        r = f.result()
                    except Exception as exc:  # noqa: BLE001 - a worker crashed
                        r = JobResult(j.name, "failed", 0.0, f"worker crashed: {exc!r}")
                    done(j, r)
    finally:
        bar.close()
    return results


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------


class WorkerCannotSeeData(RuntimeError):
    """A Dask worker cannot read the processed data at the client's path (or reads other data)."""


def data_fingerprint(data_dir: str | Path) -> str:
    """Content hash of every processed file a report reads (``inputs.input_files``), by name."""
    from analysis.reporting.inputs import input_files

    h = hashlib.sha256()
    for f in input_files(Path(data_dir)):
        h.update(str(f.relative_to(data_dir)).encode("utf-8"))
        with open(f, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _worker_fingerprint(data_dir: str) -> str:
    try:
        return data_fingerprint(data_dir) if Path(data_dir).is_dir() else "missing"
    except Exception as exc:  # noqa: BLE001 - reported to the client
        return f"error: {exc!r}"


def check_workers(client, data_dir: Path) -> None:
    """Refuse workers that cannot see ``data_dir`` at the same path with the same content.

    The workers execute the notebooks and return them; they write nothing, but they read the
    processed tables at the path the client gives them. Raises before anything is rendered.

    Raises
    ------
    WorkerCannotSeeData
        Naming every such worker and what it saw (``missing``, a different content hash, an error).
    """
    want = data_fingerprint(data_dir)
    seen = client.run(_worker_fingerprint, str(data_dir))
    bad = {w: fp for w, fp in seen.items() if fp != want}
    if bad:
        detail = "; ".join(f"{w}: {'folder missing' if fp == 'missing' else fp if fp.startswith('error') else 'different content'}"
                           for w, fp in sorted(bad.items()))
        raise WorkerCannotSeeData(
            f"{len(bad)} Dask worker(s) cannot read the processed data at {data_dir} as the client does "
            f"({detail}). Workers must see the same data folder (shared or copied to the same path); "
            "the rendered reports come back to the client, which writes them.")


def _run_dask(jobs, nb, workers, timeout, scheduler, done, data_dir) -> None:
    from distributed import Client, LocalCluster, as_completed

    from analysis.reporting import kernels

    cluster = None
    if scheduler == "local":
        import logging

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.WARNING)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        if data_dir is not None:
            check_workers(client, Path(data_dir))
        nb_future = client.scatter(nb, broadcast=True)
        futs = [client.submit(render_job, j, nb_future, timeout, 60.0, None, pure=False, key=f"report-{j.name}")
                for j in jobs]
        by_key = {f.key: j for f, j in zip(futs, jobs, strict=True)}
        for f in as_completed(futs):
            j = by_key[f.key]
            try:
                r = f.result()
            except Exception as exc:  # noqa: BLE001
                r = JobResult(j.name, "failed", 0.0, f"dask task failed: {exc!r}")
            done(j, r)
        try:
            client.run(kernels.shutdown_all_kernels)
        except Exception:  # noqa: BLE001
            pass
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
