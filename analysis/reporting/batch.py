"""The report batch: render every province's report, write the pages and the index, report status.

``python -m analysis reports`` (the *reports* step of :mod:`analysis.steps`, which first brings the
data, chain-linkage, framework and models steps up to date) calls :func:`main`, which

1. plans one job per province × language (:mod:`analysis.reporting.jobs`) and runs them on a
   bounded process pool (default: the number of cores) or a Dask cluster (``scheduler``); each
   worker keeps one Jupyter kernel (:mod:`analysis.reporting.kernels`) and returns the executed
   notebook;
2. writes, here on the client, each report's page ``reports/provinces/<code>_<lang>.html``
   (:mod:`analysis.reporting.pages`), its executed notebook ``notebooks/<code>_<lang>.ipynb`` (every
   number traceable with scrapbook) and, with ``pdf``, a PDF (:mod:`analysis.reporting.browser`);
   a failed report's old outputs are removed, its notebook kept as ``<code>_<lang>.failed.ipynb``;
3. writes ``reports/index.html`` and the typology pages (:mod:`analysis.reporting.index_page`) and
   ``status.json`` — always, atomically, also when the batch is interrupted.

One failing province does not stop the others; the exit code is 1 if any failed. Every file is
read and written as UTF-8 and console messages never fail on the terminal's encoding (:func:`say`),
so the batch works under ``LC_ALL=C PYTHONUTF8=0``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.reporting.jobs import DEFAULT_TIMEOUT, Job, JobResult, run_jobs, short_error

DEFAULT_YEARS = (2010, 2023)
NOTEBOOK_NAME = "province_report.ipynb"
RESEARCH_NOTEBOOKS = (
    "01_data_overview",
    "02_measurement",
    "03_baseline",
    "04_mechanisms_thresholds",
    "05_spatial",
    "06_heterogeneity_gmm",
)

__all__ = ["main", "run_research_notebooks", "resolve_provinces", "plan_jobs", "publish", "latest_status",
           "write_status", "summarise", "say", "DEFAULT_YEARS", "RESEARCH_NOTEBOOKS"]


def notebooks_dir() -> Path:
    """``notebooks/`` at the project root."""
    return paths.project_root() / "notebooks"


def say(text: str, file: Any = None) -> None:
    """Print ``text`` in whatever encoding the stream has (ASCII under ``LC_ALL=C``): characters
    it cannot encode are written as backslash escapes instead of raising ``UnicodeEncodeError``."""
    stream = file if file is not None else sys.stdout
    enc = getattr(stream, "encoding", None) or "utf-8"
    print(str(text).encode(enc, "backslashreplace").decode(enc, "replace"), file=stream, flush=True)


def resolve_provinces(provinces: list[Any] | None) -> list[int]:
    """GB/T 2260 codes for a list of codes or any spellings the normaliser accepts.

    ``None`` or empty → all 31 provinces (ascending code).

    Raises
    ------
    analysis.data.provinces.UnknownProvinceError
        For a name the normaliser does not know (its message names the closest known names).
    ValueError
        For a code that is not one of the 31 provincial codes.
    """
    from analysis.data.provinces import PROVINCES, normalise

    codes = [int(c) for c in PROVINCES["province_code"]]
    if not provinces:
        return sorted(codes)
    out: list[int] = []
    for p in provinces:
        code = normalise(p, source="--province")
        if code not in codes:
            raise ValueError(f"--province {p!r}: {code} is not one of the 31 provincial codes")
        if code not in out:
            out.append(code)
    return out


def plan_jobs(codes: list[int], langs: list[str], data_dir: Path, year_start: int, year_end: int) -> list[Job]:
    """One job per province × language (provinces in the given order, both languages together)."""
    return [Job(int(code), lang, {"province_code": int(code), "lang": lang, "year_start": int(year_start),
                                  "year_end": int(year_end), "data_dir": str(data_dir)})
            for code in codes for lang in langs]


def _cleanup(p: Path) -> None:
    try:
        p.unlink(missing_ok=True)
    except OSError:
        pass


def publish(job: Job, result: JobResult, out_dir: Path, font_css: str = "", pdf: bool = False) -> JobResult:
    """Write a finished job's outputs (the client's side of a job).

    ``ok``: the executed notebook (``notebooks/<name>.ipynb``), the page (``<name>.html``, through
    a temporary file and a rename) and, with ``pdf``, the PDF; a stale ``.failed.ipynb`` goes.
    Otherwise the report is not published: its old page, PDF and notebook are removed (a failure is
    never hidden behind an old page) and the failed notebook, if any, is kept as
    ``notebooks/<name>.failed.ipynb``. Returns the result (``failed`` if the page could not be
    written), without the notebook bytes.
    """
    from analysis.reporting.browser import print_pdf
    from analysis.reporting.pages import report_page

    html_path = out_dir / f"{job.name}.html"
    nb_path = out_dir / "notebooks" / f"{job.name}.ipynb"
    failed_nb = nb_path.with_suffix(".failed.ipynb")
    nb, result.notebook = result.notebook, None
    if result.status == "ok":
        try:
            t0 = time.perf_counter()
            paths.atomic_write_bytes(nb_path, nb or b"")
            paths.atomic_write_bytes(html_path, report_page(nb, job.lang, job.province_code, font_css).encode("utf-8"))
            _cleanup(failed_nb)
            result.phases["html"] = time.perf_counter() - t0
            if pdf:
                msg = print_pdf(html_path, html_path.with_suffix(".pdf"))
                if msg:
                    result.phases["pdf_skipped"] = 1.0
            return result
        except Exception as exc:  # noqa: BLE001 - the report fails, the batch goes on
            result.status, result.error = "failed", f"HTML export: {short_error(exc)}"
    for f in (html_path, html_path.with_suffix(".pdf"), nb_path):
        _cleanup(f)
    if nb:
        paths.atomic_write_bytes(failed_nb, nb)
    return result


def summarise(results: list[JobResult], seconds: float, problems: list[str] | None = None) -> str:
    """One-screen status summary naming every failure."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines = ["reports: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f" in {seconds:.1f} s"]
    for r in sorted(results, key=lambda r: r.name):
        if r.status in ("failed", "timeout"):
            lines.append(f"  FAILED {r.name} ({r.status}): {r.error}")
    for p in problems or []:
        lines.append(f"  problem: {p}")
    return "\n".join(lines)


def latest_status(status_file: Path, results: list[JobResult]) -> dict[str, dict[str, Any]]:
    """Each report's latest outcome: the previous ``status.json``'s ``latest`` updated with
    ``results`` (``{name: {"status", "error", "at"}}``; a report not run now keeps its entry)."""
    try:
        latest = json.loads(Path(status_file).read_text(encoding="utf-8")).get("latest", {})
    except (OSError, ValueError, AttributeError):
        latest = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    for r in results:
        latest[r.name] = {"status": r.status, "error": r.error, "at": now}
    return dict(sorted(latest.items()))


def write_status(status_file: Path, results: list[JobResult], problems: list[str], seconds: float) -> None:
    """Write ``status.json`` atomically (temporary file + rename), UTF-8: this run's ``jobs``,
    ``problems``, ``seconds``, and ``latest`` (:func:`latest_status`), which the index reads to
    mark failed reports."""
    doc = {"seconds": seconds, "problems": problems, "jobs": [r.status_record() for r in results],
           "latest": latest_status(status_file, results)}
    paths.atomic_write_bytes(Path(status_file), json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8"))


def main(provinces: list[Any] | None = None, langs: list[str] | None = None,
         scheduler: str | None = None, workers: int | None = None, pdf: bool = False, *,
         year_start: int = DEFAULT_YEARS[0], year_end: int = DEFAULT_YEARS[1],
         data_dir: str | Path | None = None, out_root: str | Path | None = None,
         notebook: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
         progress: bool = True, status_file: str | Path | None = None) -> int:
    """Render the province reports and the index. Returns the exit code (0 = all rendered).

    Parameters
    ----------
    provinces : list, optional
        Codes or any spellings :func:`analysis.data.provinces.normalise` accepts (default: all 31).
    langs : list of {"zh", "en"}, optional
        Default both.
    scheduler : str, optional
        Dask scheduler address, or ``"local"`` for a LocalCluster; default a process pool. Dask
        workers return the executed notebooks and the client writes every file; each worker must
        read the processed data at the client's path (checked before anything runs).
    workers : int, optional
        Parallel kernels (default: the number of cores).
    pdf : bool
        Also print each report to PDF with headless Chromium (skipped with a message if absent).
    year_start, year_end : int
        Year range shown in the reports.
    data_dir, out_root, notebook : path, optional
        Processed tables (default ``data/processed``), output root (default ``reports``),
        report notebook (default ``notebooks/province_report.ipynb``).
    timeout : float
        Seconds allowed per notebook cell.
    status_file : path, optional
        Where to write the JSON status of every job (default ``<out_root>/provinces/status.json``).

    Returns
    -------
    int
        0 if every report rendered, else 1 (the step runner then reports the reports step failed).

    Raises
    ------
    analysis.data.provinces.UnknownProvinceError, ValueError
        For an unknown province or language (before anything runs).
    analysis.reporting.jobs.WorkerCannotSeeData
        A Dask worker cannot read the processed data (before anything renders; status written).
    """
    from analysis.reporting.i18n import LANGS

    t0 = time.perf_counter()
    langs = list(langs) if langs else list(LANGS)
    bad = [lg for lg in langs if lg not in LANGS]
    if bad:
        raise ValueError(f"unknown language(s) {bad}; choose from {list(LANGS)}")
    codes = resolve_provinces(provinces)
    problems: list[str] = []
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    out_root = Path(out_root) if out_root else paths.reports_dir()
    out_dir = out_root / "provinces"
    notebook = Path(notebook) if notebook else notebooks_dir() / NOTEBOOK_NAME
    if not notebook.exists():
        raise FileNotFoundError(f"report notebook not found: {notebook}")
    workers = max(1, int(workers or os.cpu_count() or 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    font = _prepare(data_dir)
    sf = Path(status_file) if status_file else out_dir / "status.json"
    todo: list[Job] = []
    results: list[JobResult] = []
    try:
        todo = plan_jobs(codes, langs, data_dir, year_start, year_end)
        results = run_jobs(todo, notebook, min(workers, len(todo)), timeout, scheduler,
                           on_result=lambda j, r: publish(j, r, out_dir, font, pdf), progress=progress,
                           data_dir=data_dir)
        (out_dir / ".fingerprints.json").unlink(missing_ok=True)  # the old cache's stamps, if any
        try:
            from analysis.reporting.index_page import write_index

            write_index(out_root, data_dir, year_end, font_css=font, status=latest_status(sf, results))
        except Exception as exc:  # noqa: BLE001
            problems.append(f"index: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        if pdf:
            from analysis.reporting.browser import chromium_binary, print_pdf

            if chromium_binary() is None:
                say(print_pdf(Path("x.html"), Path("x.pdf")), sys.stderr)
    except BaseException as exc:
        problems.append(f"batch stopped: {type(exc).__name__}: {exc}")
        raise
    finally:
        done = {r.name for r in results}
        allr = results + [JobResult(j.name, "not run", error="the batch stopped before it ran")
                          for j in todo if j.name not in done]
        secs = time.perf_counter() - t0
        write_status(sf, allr, problems, secs)
        say(summarise(allr, secs, problems))
    return 1 if problems or any(r.status != "ok" for r in allr) else 0


def _prepare(data_dir: Path) -> str:
    """Warm the map caches once (before workers race to build them) and build the web font;
    returns its ``@font-face`` CSS ("" without it)."""
    from analysis.reporting import inputs, maps
    from analysis.reporting.pages import build_web_font, font_css

    try:
        codes_all = [int(c) for c in inputs.provinces_table()["province_code"]]
        maps.province_shapes(codes_all, data_dir=data_dir)
        maps.queen_neighbours(codes_all, data_dir=data_dir)
    except Exception as exc:  # noqa: BLE001 - the map sections then say so
        say(f"[reports] map cache not built: {exc}", sys.stderr)
    return font_css(build_web_font(data_dir))


# --------------------------------------------------------------------------------------------
# research notebooks
# --------------------------------------------------------------------------------------------


def run_research_notebooks(names: list[str] | None = None, *, out_dir: str | Path | None = None,
                           timeout: float = 1200, verbose: bool = True) -> int:
    """Execute the numbered research notebooks with papermill (a fresh kernel each, in order).

    Each writes its tables (LaTeX, CSV) and figures (PNG, PDF) to ``reports/paper/``; the executed
    notebooks are saved to ``reports/paper/notebooks/<name>.ipynb`` (a failed one as
    ``<name>.failed.ipynb``). A failing notebook does not stop the next. Returns 0 if all ran,
    else 1 (failures printed).
    """
    from nbclient.exceptions import CellTimeoutError

    from analysis.reporting import kernels

    out_dir = Path(out_dir) if out_dir else paths.reports_dir() / "paper"
    nb_out = out_dir / "notebooks"
    nb_out.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in names or RESEARCH_NOTEBOOKS:
        src = notebooks_dir() / f"{name}.ipynb"
        if not src.exists():
            failed.append(f"{name}: notebook not found ({src})")
            continue
        t0 = time.perf_counter()
        tmp = nb_out / f".{name}.tmp.ipynb"
        km = None
        try:
            # a fresh kernel per notebook, over IPC like the province batch
            km, _ = kernels.start_kernel(60.0, str(notebooks_dir()))
            kernels.execute(str(src), {"out_dir": str(out_dir)}, km, timeout, str(tmp))
            os.replace(tmp, nb_out / f"{name}.ipynb")
            if verbose:
                say(f"[paper] {name}: ok ({time.perf_counter() - t0:.1f} s)")
        except CellTimeoutError:
            failed.append(f"{name}: a cell exceeded {timeout:.0f} s")
        except Exception as exc:  # noqa: BLE001
            failed.append(f"{name}: {short_error(exc)}")
            if tmp.exists():
                os.replace(tmp, nb_out / f"{name}.failed.ipynb")
        finally:
            if km is not None:
                kernels.stop_kernel(km)
    for f in failed:
        say(f"[paper] FAILED {f}", sys.stderr)
    return 1 if failed else 0
