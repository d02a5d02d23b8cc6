"""Render every province's report (papermill → HTML), the index page, and the research notebooks.

``python -m analysis reports`` calls :func:`main`. The batch

1. renders ``notebooks/province_report.ipynb`` for each province × language with papermill into
   ``reports/provinces/<province_code>_<lang>.html`` (code cells and prompts removed, figures
   embedded as data URIs, written through a temporary file and a rename); the executed notebooks
   are kept in ``reports/provinces/notebooks/`` so every number can be traced (scrapbook);
2. writes ``reports/index.html``: a sortable table (plain JavaScript, no CDN) of the provinces'
   key metrics with a national map, linking to each report.

Robustness: a bounded process pool (default: the number of cores), each worker keeping ONE
Jupyter kernel alive and executing its provinces in sequence (papermill with a shared kernel
manager: kernel start-up and imports are paid once per worker, not once per report); kernel
start failures (port races when many kernels start at once) retried with back-off; a
per-notebook (per-cell) timeout — nbclient's ``CellTimeoutError``, which papermill does not mark
as a failure, is caught and reported, and the kernel is restarted; one failing province does not
stop the others; a status summary at the end and a non-zero exit if any failed; a tqdm progress
bar. ``scheduler`` runs the same tasks on a Dask cluster (``distributed.Client(address)``; a
``LocalCluster`` when ``"local"``).

Inputs and skipping: ``python -m analysis reports`` (and ``all``) runs this as the *reports*
step of the step runner (:mod:`analysis.steps`), which first brings the data, chain-linkage,
framework and models steps up to date (estimation happens once per run, never per province)
and skips the reports when their inputs, parameters and code are unchanged. :func:`main`
itself renders whatever it is asked to.
"""

from __future__ import annotations

import base64
import concurrent.futures as cf
import hashlib
import html
import io
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.labels import model_key, z_scores
from analysis.reporting.browser import chromium_binary, print_pdf

DEFAULT_YEARS = (2010, 2023)
DEFAULT_TIMEOUT = 300
KERNEL_START_RETRIES = 4
NOTEBOOK_NAME = "province_report.ipynb"
RESEARCH_NOTEBOOKS = (
    "01_data_overview",
    "02_measurement",
    "03_baseline",
    "04_mechanisms_thresholds",
    "05_spatial",
    "06_heterogeneity_gmm",
)
_REPORTING_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------------------
# jobs
# --------------------------------------------------------------------------------------------


@dataclass
class Job:
    """One report to render."""

    province_code: int
    lang: str
    html_path: str
    nb_path: str
    params: dict[str, Any]
    font_path: str = ""

    @property
    def name(self) -> str:
        return f"{self.province_code}_{self.lang}"


@dataclass
class JobResult:
    """Outcome of one job: ``status`` is ``ok``, ``skipped``, ``failed`` or ``timeout``."""

    name: str
    status: str
    seconds: float = 0.0
    error: str = ""
    attempts: int = 1
    worker: str = ""
    phases: dict[str, float] = field(default_factory=dict)


def notebooks_dir() -> Path:
    """``notebooks/`` at the project root."""
    return paths.project_root() / "notebooks"


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


# --------------------------------------------------------------------------------------------
# the worker side: one kernel per worker process (or thread), reused across reports
# --------------------------------------------------------------------------------------------

# one kernel per worker thread, process-wide registry so that a Dask ``client.run`` (another
# thread) or the process finaliser can stop them all
_KERNELS: dict[int, tuple[Any, Any]] = {}
_FINALISER: list[bool] = []


class KernelStartError(RuntimeError):
    """The Jupyter kernel did not start after the retries."""


ENGINE = "analysis-reuse-kernel"
"""Papermill engine that executes on the kernel client it is given (see :func:`_register_engine`)."""


def _register_engine() -> str:
    """Register (once) a papermill engine that really reuses the caller's kernel client.

    ``papermill.execute_notebook(..., km=km, kc=kc)`` forwards ``kc`` to nbclient, but
    ``NotebookClient.__init__`` resets ``self.kc`` to None, so nbclient starts a *new* client for
    every notebook and, not owning the kernel manager, never stops it: each report leaked a client
    with open zmq channels ("Could not destroy zmq context" at exit). This engine is papermill's
    :class:`~papermill.engines.NBClientEngine` with the client handed in after ``__init__``.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    if ENGINE in papermill_engines._engines:
        return ENGINE

    class _Client(PapermillNotebookClient):
        def __init__(self, nb_man, km=None, kc=None, **kw):
            super().__init__(nb_man, km=km, **kw)
            self.kc = kc  # None: nbclient starts its own, as usual

    class _Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     **kwargs):
            # the body of papermill 2.x NBClientEngine.execute_managed_notebook, with _Client
            import logging

            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logging.getLogger("papermill"), log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file,
            )
            return _Client(nb_man, **final_kwargs).execute()

    papermill_engines.register(ENGINE, _Engine)
    return ENGINE


#: Kernel options: a shell line (``!cmd``) that exits non-zero raises ``CalledProcessError``, so
#: the cell records an error and the notebook counts as failed (IPython >= 8.19; ``%%bash`` and
#: the other ``%%script`` magics raise by default).
KERNEL_ARGUMENTS = ("--InteractiveShell.system_raise_on_error=True",)


def kernel_env() -> dict[str, str]:
    """The kernel's environment: the caller's, in Python's UTF-8 mode whatever the locale.

    Under ``LC_ALL=C`` and ``PYTHONUTF8=0`` a kernel would otherwise open text files as ASCII.
    """
    return {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}


def _start_kernel(start_timeout: float, cwd: str):
    # nbclient needs an *async* kernel client: with a blocking one its iopub poll blocks the
    # event loop and the per-cell timeout never fires
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    last: BaseException | None = None
    for attempt in range(1, KERNEL_START_RETRIES + 1):
        # IPC transport (Unix sockets in a private folder): no TCP ports, so kernels started
        # many at a time cannot race for them; TCP as the fallback on the last attempt
        ipc = attempt < KERNEL_START_RETRIES and os.name == "posix"
        sock_dir = tempfile.mkdtemp(prefix="kernel-") if ipc else None
        if ipc:
            km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sock_dir) / "k"))
        else:
            km = AsyncKernelManager(kernel_name="python3")
        try:
            run_sync(km.start_kernel)(cwd=cwd, env=kernel_env(), extra_arguments=list(KERNEL_ARGUMENTS))
            kc = km.client()
            kc.start_channels()
            kc.allow_stdin = False  # as nbclient sets on the clients it starts
            run_sync(kc.wait_for_ready)(timeout=start_timeout)
            km._analysis_sock_dir = sock_dir  # removed at shutdown
            return km, kc, attempt
        except Exception as exc:  # noqa: BLE001 - port races, slow start: retry
            last = exc
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001
                pass
            if sock_dir:
                shutil.rmtree(sock_dir, ignore_errors=True)
            time.sleep(0.5 * attempt + random.random())
    raise KernelStartError(f"kernel failed to start after {KERNEL_START_RETRIES} attempts: {last!r}")


def _get_kernel(start_timeout: float, cwd: str):
    """This thread's kernel (started on first use, restarted if it died)."""
    from jupyter_core.utils import run_sync

    me = threading.get_ident()
    k = _KERNELS.get(me)
    if k is not None and run_sync(k[0].is_alive)():
        return k[0], k[1], 0
    if k is not None:
        _shutdown_kernel()
    km, kc, attempts = _start_kernel(start_timeout, cwd)
    _KERNELS[me] = (km, kc)
    if not _FINALISER:
        from multiprocessing import util

        util.Finalize(None, _shutdown_all_kernels, exitpriority=10)  # pool workers skip atexit
        import atexit

        atexit.register(_shutdown_all_kernels)
        _FINALISER.append(True)
    return km, kc, attempts


def _shutdown_kernel(ident: int | None = None) -> None:
    """Stop the kernel of thread ``ident`` (default: this thread) and remove its socket folder."""
    k = _KERNELS.pop(threading.get_ident() if ident is None else ident, None)
    if k is None:
        return

    km, kc = k
    _stop_kernel(km, kc)


def _stop_kernel(km, kc) -> None:
    """Stop a kernel started by :func:`_start_kernel` and remove its socket folder."""
    from jupyter_core.utils import run_sync

    try:
        kc.stop_channels()
    except Exception:  # noqa: BLE001
        pass
    try:
        # destroy the client's own zmq context now: left to the garbage collector (after the
        # event loop is gone) it logs "Could not destroy zmq context" for every kernel
        if getattr(kc, "_created_context", False) and not kc.context.closed:
            kc.context.destroy(linger=0)
            kc._created_context = False
    except Exception:  # noqa: BLE001
        pass
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001
        pass
    sock_dir = getattr(km, "_analysis_sock_dir", None)
    if sock_dir:
        shutil.rmtree(sock_dir, ignore_errors=True)


def _shutdown_all_kernels() -> None:
    """Stop every kernel this process started (Dask workers run tasks in several threads)."""
    for ident in list(_KERNELS):
        _shutdown_kernel(ident)


def notebook_errors(nb) -> list[str]:
    """Every error an executed notebook recorded: ``"cell 3: CalledProcessError: ..."``.

    A cell's ``error`` output (an exception, also in cells tagged ``raises-exception`` that
    papermill lets pass, and a failing ``!cmd`` under :data:`KERNEL_ARGUMENTS`), in cell order.
    """
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if o.get("output_type") == "error":
                out.append(f"cell {i}: {o.get('ename', 'Error')}: {str(o.get('evalue', ''))[:300]}")
    return out


def unpublish(job: Job, failed_nb: Path | None = None) -> None:
    """Remove a failed report's previous outputs (HTML, PDF, executed notebook): a failure is never
    hidden behind an old page. The failed notebook, if any, is kept as ``<name>.failed.ipynb``."""
    html_path, nb_path = Path(job.html_path), Path(job.nb_path)
    for f in (html_path, html_path.with_suffix(".pdf"), nb_path):
        _cleanup(f)
    if failed_nb is not None and failed_nb.exists():
        os.replace(failed_nb, nb_path.with_suffix(".failed.ipynb"))


def render_job(job: Job, notebook: str, timeout: float = DEFAULT_TIMEOUT, start_timeout: float = 60.0,
               pdf: bool = False) -> JobResult:
    """Execute one report with papermill in this worker's kernel, then export it to HTML.

    A report fails (``status`` ``failed`` or ``timeout``, the error text in ``error``) when any
    cell raised or recorded an error output, a shell line (``!cmd``) or a ``%%script`` magic exited
    non-zero, a cell exceeded ``timeout`` seconds (nbclient's ``CellTimeoutError``, which papermill
    does not mark), the kernel died twice, or the HTML export failed. A failed report's previous
    HTML, PDF and notebook are removed (:func:`unpublish`); the failed notebook is kept as
    ``notebooks/<name>.failed.ipynb``. Never raises. A dead kernel or a timed-out cell restarts the
    kernel (the next report gets a fresh one); a dead kernel is retried once.
    """
    import nbformat
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    t0 = time.perf_counter()
    name = job.name
    worker = f"{os.getpid()}"
    attempts = 0
    phases: dict[str, float] = {}
    html_path, nb_path = Path(job.html_path), Path(job.nb_path)

    def fail(status: str, error: str, failed_nb: Path | None = None) -> JobResult:
        unpublish(job, failed_nb)
        return JobResult(name, status, time.perf_counter() - t0, error, attempts, worker, phases)

    for tries in range(2):
        try:
            ts = time.perf_counter()
            km, kc, k_attempts = _get_kernel(start_timeout, str(paths.project_root()))
            phases["kernel_start"] = phases.get("kernel_start", 0.0) + time.perf_counter() - ts
            attempts += max(k_attempts, 1)
        except KernelStartError as exc:
            attempts += KERNEL_START_RETRIES
            return fail("failed", str(exc))
        nb_path.parent.mkdir(parents=True, exist_ok=True)
        tmp_nb = nb_path.with_name(f".{nb_path.stem}.tmp{os.getpid()}.ipynb")
        try:
            ts = time.perf_counter()
            nb = pm.execute_notebook(
                notebook,
                str(tmp_nb),
                parameters=job.params,
                kernel_name="python3",
                engine_name=_register_engine(),
                km=km,
                kc=kc,
                execution_timeout=timeout,
                progress_bar=False,
                request_save_on_cell_execute=False,
                log_output=False,
            )
            phases["execute"] = time.perf_counter() - ts
        except CellTimeoutError as exc:
            _shutdown_kernel()
            first = str(exc).splitlines()[0] if str(exc) else ""
            return fail("timeout", f"a cell exceeded {timeout:.0f} s: {first}", tmp_nb)
        except DeadKernelError as exc:
            _shutdown_kernel()
            if tries == 0:
                _cleanup(tmp_nb)
                continue
            return fail("failed", f"kernel died: {exc}", tmp_nb)
        except Exception as exc:  # noqa: BLE001 - PapermillExecutionError and anything else
            return fail("failed", _short_error(exc), tmp_nb)
        errors = notebook_errors(nb)
        if errors:
            return fail("failed", "; ".join(errors), tmp_nb)
        os.replace(tmp_nb, nb_path)
        _cleanup(nb_path.with_suffix(".failed.ipynb"))
        try:
            ts = time.perf_counter()
            nb = nbformat.from_dict(nb) if not isinstance(nb, nbformat.NotebookNode) else nb
            page = notebook_to_html(nb, job.lang, job.province_code, font_css(job.font_path))
            paths.atomic_write_bytes(html_path, page.encode("utf-8"))
            phases["html"] = time.perf_counter() - ts
            if pdf:
                msg = print_pdf(html_path, html_path.with_suffix(".pdf"))
                if msg:
                    phases["pdf_skipped"] = 1.0
        except Exception as exc:  # noqa: BLE001
            return fail("failed", f"HTML export: {_short_error(exc)}")
        return JobResult(name, "ok", time.perf_counter() - t0, "", attempts, worker, phases)
    return fail("failed", "unreachable")


def _cleanup(p: Path) -> None:
    try:
        if p.exists():
            p.unlink()
    except OSError:
        pass


def _short_error(exc: BaseException) -> str:
    s = str(exc).strip()
    # papermill's message ends with the traceback; keep the exception line
    lines = [ln for ln in s.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln or "Exception" in ln:
            return f"{type(exc).__name__}: {ln.strip()[:400]}"
    return f"{type(exc).__name__}: {(lines[-1] if lines else '')[:400]}"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

PAGE_CSS = """
:root { --ink:#1f2d3d; --muted:#5b6b7b; --accent:#c0392b; --line:#e3e8ee; }
* { box-sizing: border-box; }
body { margin:0; background:#f6f8fa; color:var(--ink);
  font-family: "Report CJK","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
  "WenQuanYi Micro Hei","Helvetica Neue",Arial,sans-serif; line-height:1.65; font-size:16px; }
nav { background:#1f2d3d; color:#fff; padding:.6rem 1.2rem; font-size:.92rem; }
nav a { color:#fff; text-decoration:none; margin-right:1.2rem; }
nav a:hover { text-decoration:underline; }
main { max-width: 980px; margin: 1.2rem auto 3rem; background:#fff; padding: 1.5rem 2.4rem 2.5rem;
  border:1px solid var(--line); border-radius:6px; }
h1 { font-size:1.7rem; margin:.4rem 0 .2rem; line-height:1.3; }
h1 + p { color:var(--muted); margin-top:0; }
h2 { font-size:1.3rem; margin:2.0rem 0 .6rem; padding-bottom:.3rem; border-bottom:2px solid var(--line); }
p, li { max-width: 60em; }
img { max-width:100%; height:auto; display:block; margin:.6rem auto; }
table { border-collapse:collapse; margin:.6rem 0 1rem; font-size:.92rem; }
th, td { padding:.35rem .7rem; border-bottom:1px solid var(--line); text-align:left; }
th { background:#f0f3f6; font-weight:600; }
caption { caption-side: top; text-align:left; font-weight:600; color:#5b6b7b; padding:.2rem 0; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
footer { max-width:980px; margin:0 auto 2rem; color:var(--muted); font-size:.82rem; padding:0 1rem; }
.output_stderr, .output_error { display:none; }
.anchor-link { display:none; }
@media print { nav { display:none; } body { background:#fff; } main { border:none; margin:0; padding:0 1rem; }
  h2 { break-after: avoid; } img, table { break-inside: avoid; } }
"""


def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exp = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                       exclude_output_prompt=True)
    trp = TagRemovePreprocessor(remove_cell_tags={"remove_cell", "parameters", "injected-parameters"})
    trp.enabled = True
    exp.register_preprocessor(trp, enabled=True)
    return exp


def _strip_for_html(nb):
    """Copy of ``nb`` without scrapbook payloads and stderr streams (kept in the .ipynb)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        keep = []
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                continue
            data = o.get("data", {})
            if data and all(k.startswith("application/scrapbook") for k in data):
                continue
            keep.append(o)
        cell["outputs"] = keep
    return nb


def html_page(body: str, title: str, lang: str, nav: str = "", footer: str = "", extra_css: str = "") -> str:
    """A self-contained HTML page (inline CSS and font, no external scripts or fonts)."""
    hl = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{hl}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{extra_css}{PAGE_CSS}</style>\n</head>\n<body>\n"
        f"{nav}\n<main>\n{body}\n</main>\n{footer}\n</body>\n</html>\n"
    )


def report_characters(data_dir: Path | None = None) -> str:
    """Every CJK character the reports can print: wording, labels and names from their sources.

    The i18n dictionary and the report code (sentences), the codebooks, the framework
    specification, the province table and the IO sector names.
    """
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    srcs = [_REPORTING_DIR / "i18n.py", _REPORTING_DIR / "batch.py", _REPORTING_DIR / "maps.py",
            *sorted((_REPORTING_DIR / "templates").rglob("*.j2")), _REPORTING_DIR.parent / "derived_labels.yaml",
            _REPORTING_DIR.parent / "measures" / "coupling.py",
            data_dir / "codebook.csv", data_dir / "integration_codebook.csv",
            _REPORTING_DIR.parent / "framework" / "spec.yaml", _REPORTING_DIR.parent / "data" / "io_sectors.csv",
            _REPORTING_DIR.parent / "data" / "provinces.py"]
    text = "".join(f.read_text(encoding="utf-8") for f in srcs if f.exists())
    return "".join(sorted({c for c in text if ord(c) >= 0x2E80}))


def build_web_font(data_dir: Path | None = None, cache_dir: Path | None = None) -> Path | None:
    """Subset of the CJK font for the reports' characters, cached by content (``None`` on failure)."""
    from analysis.reporting.fonts import web_font_subset

    chars = report_characters(data_dir)
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    out = cache_dir / f"cjk_{hashlib.sha256(chars.encode()).hexdigest()[:12]}.woff"
    if out.exists():
        return out
    try:
        return web_font_subset(chars, out)
    except Exception as exc:  # noqa: BLE001 - pages then use the system fonts of the font stack
        say(f"[reports] web font not built ({exc}); pages rely on system CJK fonts", sys.stderr)
        return None


def font_css(font_path: str | Path | None) -> str:
    """``@font-face`` rule embedding the WOFF subset as a data URI ("" when there is none)."""
    if not font_path or not Path(font_path).exists():
        return ""
    b64 = base64.b64encode(Path(font_path).read_bytes()).decode("ascii")
    return ('@font-face { font-family: "Report CJK"; font-display: swap; '
            f'src: url(data:font/woff;base64,{b64}) format("woff"); }}\n')


def notebook_to_html(nb, lang: str, code: int, extra_css: str = "") -> str:
    """Executed report notebook → a self-contained page without code or prompts."""
    from analysis.reporting.i18n import t

    body, _ = _exporter().from_notebook_node(_strip_for_html(nb))
    title = _first_heading(nb) or str(code)
    other = "en" if lang == "zh" else "zh"
    nav = (f'<nav><a href="../index.html">{html.escape(t("back_to_index", lang))}</a>'
           f'<a href="{code}_{other}.html">{"English" if other == "en" else "中文"}</a></nav>')
    return html_page(body, title, lang, nav, report_footer(lang), extra_css)


def report_footer(lang: str, date: str | None = None) -> str:
    """Footer of a province page: the raw sources (as in ``data/raw/SOURCES.md``), the framework
    version, the generation date, and relative links to the index and to ``SOURCES.md``.

    Pages live in ``reports/provinces/``, so the links are ``../index.html`` and
    ``../../data/raw/SOURCES.md``.
    """
    import datetime as dt

    from analysis.reporting.i18n import t
    from analysis.reporting.inputs import framework_version

    src = f'<a href="../../data/raw/SOURCES.md">{html.escape(t("footer_sources_link", lang))}</a>'
    made = t("footer_made", lang, version=html.escape(framework_version()), date=date or dt.date.today().isoformat())
    back = f'<a href="../index.html">{html.escape(t("back_to_index", lang))}</a>'
    return f"<footer><p>{t('footer_sources', lang, sources=src)}</p><p>{made} {back}</p></footer>"


def _first_heading(nb) -> str:
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            md = o.get("data", {}).get("text/markdown")
            if md and md.lstrip().startswith("# "):
                return md.lstrip()[2:].splitlines()[0].strip()
    return ""


# --------------------------------------------------------------------------------------------
# index page
# --------------------------------------------------------------------------------------------

INDEX_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = th.getAttribute('data-dir') !== 'asc';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-dir'); });
    th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y), 'zh');
      if (x === '' && y !== '') return 1; if (y === '' && x !== '') return -1;
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

INDEX_CSS = """
body:not(.en) [data-l=en], body.en [data-l=zh] { display:none; }
nav button { background:transparent; color:#fff; border:1px solid #8fa1b3; border-radius:4px;
  padding:.2rem .8rem; cursor:pointer; font:inherit; }
figure { margin: .5rem auto 1.5rem; max-width: 760px; text-align:center; }
figcaption { color:#5b6b7b; font-size:.9rem; }
.scroll { overflow-x:auto; }
table.sortable th { cursor:pointer; user-select:none; white-space:nowrap; }
table.sortable th:after { content:' \\2195'; color:#aab4be; font-size:.8em; }
table.sortable th[data-dir=asc]:after { content:' \\2191'; color:#1f2d3d; }
table.sortable th[data-dir=desc]:after { content:' \\2193'; color:#1f2d3d; }
table.sortable td.num { text-align:right; }
table.sortable td:nth-child(2), table.sortable td:nth-child(3) { white-space:nowrap; }
main { max-width: 1180px; }
table.sortable td { vertical-align: top; }
.lede { color:#5b6b7b; }
p.caption { color:#5b6b7b; font-size:.9rem; margin:.3rem 0 .4rem; }
table.sortable th { vertical-align: bottom; }
table.sortable th .yr { display:block; font-weight:normal; color:#5b6b7b; font-size:.85em; }
ul.links li { margin:.3rem 0; }
.failed { color:#a61b1b; font-size:.85em; } .failed .why { color:#5b6b7b; word-break:break-word; }
"""


def _fig_png_b64(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bi(zh: str, en: str) -> str:
    """Bilingual text: both spans are in the page, CSS shows the selected language."""
    return f'<span data-l="zh">{html.escape(zh)}</span><span data-l="en">{html.escape(en)}</span>'


def _mode_year(m, col: str) -> int | None:
    """Most common year in column ``col`` of the index metrics (``None`` if absent)."""
    if col not in m.columns or not m[col].notna().any():
        return None
    return int(m[col].dropna().astype(int).mode().iloc[0])


def index_caption(m, typology_year: int | None = None) -> str:
    """Which year each column of the index table shows (bilingual HTML).

    Each metric is the province's latest year with data; a province whose year differs from the
    column's is counted here so that no value is silently older. ``typology_year``: the year of
    the framework's typology table (``reports/framework/typology_<year>.html``), named when it
    differs from the table's year.
    """
    parts_zh, parts_en = [], []
    for col, zh, en in (("gdp_year", "GDP、人均 GDP", "GDP and GDP per capita"),
                        ("rd_intensity_year", "R&D 强度", "R&D intensity"),
                        ("D_year", "耦合协调度、协调等级、主导模式与薄弱路径", "D, class, dominant model and weakest pathways")):
        y = _mode_year(m, col)
        if y is None:
            continue
        other = int((m[col].notna() & (m[col] != y)).sum())
        parts_zh.append(f"{zh}为 {y} 年" + (f"（{other} 个省份为其最近有数据的其他年份）" if other else ""))
        parts_en.append(f"{en} in {y}" + (f" ({other} province{'s' if other > 1 else ''}: their latest other year with data)" if other else ""))
    yd = _mode_year(m, "D_year")
    zh = "各列年份：" + "；".join(parts_zh) + "（各省最近有数据的年份）。"
    en = "Years: " + "; ".join(parts_en) + " (each province's latest year with data)."
    if yd is not None and typology_year is not None and yd != typology_year:
        zh += f"主程序输出的融合模式类型表为 {typology_year} 年（见下方链接），本表的主导模式为 {yd} 年，二者可能不同。"
        en += (f" The typology printed by the main job is for {typology_year} (link below); the dominant model "
               f"here is for {yd}, so the two can differ.")
    return _bi(zh, en)


def typology_year(out_root: Path) -> int | None:
    """Latest year of ``reports/framework/typology_<year>.html`` (``None`` when there is none)."""
    ys = [int(f.stem.removeprefix("typology_")) for f in (Path(out_root) / "framework").glob("typology_*.html")
          if f.stem.removeprefix("typology_").isdigit()]
    return max(ys) if ys else None


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


#: Names of the paper tables written by ``python -m analysis models`` (``reports/paper/<name>_<lang>.html``).
PAPER_TABLES = {
    "baseline": ("基准回归", "Baseline two-way FE"),
    "threshold": ("门槛回归", "Threshold regression"),
    "spatial_sdm": ("空间杜宾模型", "Spatial Durbin model"),
    "spatial_effects": ("空间效应分解", "Spatial effects"),
    "gmm": ("动态面板 GMM", "Dynamic GMM"),
    "heterogeneity": ("区域异质性", "Regional heterogeneity"),
    "mediation": ("中介效应", "Mediation"),
    "moderation": ("调节效应", "Moderation"),
    "robustness": ("稳健性检验", "Robustness"),
}


def index_links(out_root: Path, m=None) -> str:
    """Links from the index to the typology, the paper tables and the data sources (relative).

    Only files that exist are linked: ``reports/framework/typology_<year>.html``, the paper
    tables ``reports/paper/<name>_<lang>.html`` (baseline, threshold, spatial first) and the
    folder, ``data/raw/SOURCES.md`` and ``data/processed/codebook.csv``.
    """
    out_root = Path(out_root)
    items = []
    fw = out_root / "framework"
    for f in sorted(fw.glob("typology_*.html")):
        y = f.stem.removeprefix("typology_")
        items.append(f'<li><a href="{_rel(f, out_root)}">{_bi(f"融合模式类型表（{y} 年）", f"Integration typology, {y}")}</a></li>')
    paper = out_root / "paper"
    first = ("baseline", "threshold", "spatial_sdm", "spatial_effects")
    names = sorted({f.stem.rsplit("_", 1)[0] for f in paper.glob("*_en.html")},
                   key=lambda n: (first.index(n) if n in first else len(first), n))
    if names:
        links = " · ".join(
            f'{_bi(*PAPER_TABLES.get(n, (n, n)))} (<a href="{_rel(paper / f"{n}_zh.html", out_root)}">中文</a>, '
            f'<a href="{_rel(paper / f"{n}_en.html", out_root)}">English</a>)'
            for n in names)
        items.append(f'<li>{_bi("论文表格：", "Paper tables: ")}{links} · '
                     f'<a href="{_rel(paper, out_root)}/">{_bi("全部文件", "all files")}</a></li>')
    root = out_root.parent
    for f, zh, en in ((root / "data" / "raw" / "SOURCES.md", "数据来源", "Data sources"),
                      (root / "data" / "processed" / "codebook.csv", "变量说明（codebook）", "Codebook")):
        if f.exists():
            items.append(f'<li><a href="{_rel(f, out_root)}">{_bi(zh, en)}</a></li>')
    if not items:
        return ""
    return f'<h2>{_bi("更多", "More")}</h2><ul class="links">{"".join(items)}</ul>'


def write_index(out_root: Path, data_dir: Path | None, year_end: int, langs: list[str],
                font_path: Path | None = None, status: dict[str, dict[str, Any]] | None = None) -> Path:
    """Write ``reports/index.html``: sortable metrics table, national map, links to reports.

    One page in both languages (a button switches; Chinese first). Only reports that exist on
    disk are linked; a report whose latest run failed (``status``: :func:`latest_status`) is
    marked "failed" with the reason. Returns the path written.
    """
    import pandas as pd

    from analysis.reporting import context, i18n, inputs, maps
    from analysis.reporting.fonts import setup_style

    setup_style()
    inp = inputs.load_inputs(data_dir)
    m = context.index_metrics(inp, year_end)
    L = inp.labels
    prov_dir = out_root / "provinces"
    has = set(m.columns)
    map_html = ""
    shapes = inp.shapes()
    if shapes is not None:
        vals = m.set_index("province_code")["D"] if "D" in has else None
        dy = int(m["D_year"].max()) if "D_year" in has and m["D_year"].notna().any() else None
        zh, en = ((f"各省份科技创新与产业创新耦合协调度 D（{dy} 年）", f"Coupling coordination degree D by province, {dy}")
                  if vals is not None else ("31 个省份", "The 31 provinces"))
        imgs = "".join(
            f'<img data-l="{lg}" alt="{html.escape(alt)}" src="data:image/png;base64,'
            f'{_fig_png_b64(maps.draw_map(shapes, vals, width=8.0, legend_label=f"D ({dy})" if dy else "D", lang=lg))}">'
            for lg, alt in (("zh", zh), ("en", en)))
        map_html = f"<figure>{imgs}<figcaption>{_bi(zh, en)}</figcaption></figure>"

    def td(v, shown: str | None = None, cls: str = "") -> str:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return f'<td data-v="" class="{cls}">—</td>'
        return f'<td data-v="{html.escape(str(v))}" class="{cls}">{shown if shown is not None else html.escape(str(v))}</td>'

    yg, yr, yd = (_mode_year(m, c) for c in ("gdp_year", "rd_intensity_year", "D_year"))

    def th(zh: str, en: str, y: int | None) -> str:
        """Header with its year on a second line (which year's metric the column shows)."""
        return _bi(zh, en) + (f'<span class="yr">{_bi(f"{y} 年", str(y))}</span>' if y else "")

    cols = [_bi("代码", "Code"), _bi("省份", "Province"), _bi("区域", "Region")]
    if "gdp" in has:
        cols += [th("GDP（亿元）", "GDP (100m yuan)", yg), th("人均 GDP（元）", "GDP per capita (yuan)", yg),
                 th("R&D 强度", "R&D intensity", yr)]
    if "D" in has:
        cols += [th("耦合协调度 D", "Coordination D", yd), th("协调等级", "Class", yd), th("主导模式", "Dominant model", yd)]
    if "weakest_pathways" in has:
        cols += [th("得分最低的两条路径（与其他省份比较）", "Two lowest-scoring pathways (relative to other provinces)", yd)]
    cols += [_bi("报告", "Reports")]
    rows = []
    for _, r in m.sort_values("province_code").iterrows():
        code = int(r["province_code"])
        exists = {lg: (prov_dir / f"{code}_{lg}.html").exists() for lg in ("zh", "en")}
        links = " · ".join(f'<a href="provinces/{code}_{lg}.html">{"中文" if lg == "zh" else "English"}</a>'
                           for lg in ("zh", "en") if exists[lg])
        for lg in ("zh", "en"):
            st = (status or {}).get(f"{code}_{lg}", {})
            if not exists[lg] and st.get("status") in ("failed", "timeout", "not run"):
                why = html.escape(str(st.get("error", ""))[:200])
                word = _bi(f"{'中文' if lg == 'zh' else '英文'}报告生成失败", f"{'Chinese' if lg == 'zh' else 'English'} report failed")
                links += f'<div class="failed">{word}: <span class="why">{why}</span></div>'
        name_zh, name_en = html.escape(str(r["name_zh"])), html.escape(str(r["name_en"]))
        nz = f'<a href="provinces/{code}_zh.html">{name_zh}</a>' if exists["zh"] else name_zh
        ne = f'<a href="provinces/{code}_en.html">{name_en}</a>' if exists["en"] else name_en
        tds = [td(code), f'<td data-v="{name_en}"><span data-l="zh">{nz}</span><span data-l="en">{ne}</span></td>',
               td(r["region"], _bi(L.region(r["region"], "zh"), L.region(r["region"], "en")))]
        if "gdp" in has:
            tds += [td(r.get("gdp"), f"{r.get('gdp'):,.0f}", "num"),
                    td(r.get("gdp_per_capita"), f"{r.get('gdp_per_capita'):,.0f}", "num"),
                    td(r.get("rd_intensity"), f"{r.get('rd_intensity', 0) * 100:.2f}%", "num")]
        if "D" in has:
            d = r.get("D")
            tds += [td(d, f"{d:.3f}", "num"),
                    td(d, _bi(L.d_class(r.get("D_level"), "zh", d), L.d_class(r.get("D_level"), "en", d))),
                    td(model_key(r.get("model"), z_scores(r)),
                       _bi(L.model(r.get("model"), "zh", z_scores(r)), L.model(r.get("model"), "en", z_scores(r))))]
        if "weakest_pathways" in has:
            w = r.get("weakest_pathways")
            ws = [x for x in str(w).split(";") if x] if isinstance(w, str) else []
            tds += [td(w if ws else None, _bi("；".join(L.pathway(x, "zh") for x in ws),
                                              "; ".join(L.pathway(x, "en") for x in ws)))]
        tds += [f'<td data-v="">{links}</td>']
        rows.append("<tr>" + "".join(tds) + "</tr>")
    head = "".join(f"<th>{c}</th>" for c in cols)
    caption = f'<p class="caption">{index_caption(m, typology_year(out_root))}</p>'
    body = (
        f"<h1>{_bi(i18n.t('index_title', 'zh'), i18n.t('index_title', 'en'))}</h1>"
        f"<p class=lede>{_bi(i18n.t('index_hint', 'zh'), i18n.t('index_hint', 'en'))}</p>"
        f"{map_html}"
        f'{caption}<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>'
        f"{index_links(out_root, m)}"
        f"<script>{INDEX_JS}</script>"
    )
    nav = ('<nav><button id="lang" type="button" onclick="document.body.classList.toggle(\'en\')">'
           '<span data-l="zh">English</span><span data-l="en">中文</span></button></nav>')
    page = html_page(body, "省级报告 · Provincial reports", "zh", nav=nav, extra_css=font_css(font_path)).replace(
        "</style>", INDEX_CSS + "</style>", 1)
    out = out_root / "index.html"
    paths.atomic_write_bytes(out, page.encode("utf-8"))
    return out


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def plan_jobs(codes: list[int], langs: list[str], out_dir: Path, data_dir: Path,
              year_start: int, year_end: int, font_path: Path | None = None) -> list[Job]:
    """One job per province × language."""
    jobs = []
    for code in codes:
        for lang in langs:
            params = {"province_code": int(code), "lang": lang, "year_start": int(year_start),
                      "year_end": int(year_end), "data_dir": str(data_dir)}
            jobs.append(Job(int(code), lang, str(out_dir / f"{code}_{lang}.html"),
                            str(out_dir / "notebooks" / f"{code}_{lang}.ipynb"), params,
                            str(font_path) if font_path else ""))
    return jobs


def _chunks_order(jobs: list[Job]) -> list[Job]:
    return jobs


def run_jobs(jobs: list[Job], notebook: Path, workers: int, timeout: float, scheduler: str | None,
             pdf: bool = False, progress: bool = True) -> list[JobResult]:
    """Run the jobs on a process pool (or a Dask cluster); returns one result per job."""
    from tqdm.auto import tqdm

    results: list[JobResult] = []
    if not jobs:
        return results
    bar = tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress, file=sys.stderr)
    try:
        if scheduler:
            results = _run_dask(jobs, notebook, workers, timeout, scheduler, pdf, bar)
        else:
            ctx = mp.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futs = {pool.submit(render_job, j, str(notebook), timeout, 60.0, pdf): j for j in jobs}
                for f in cf.as_completed(futs):
                    j = futs[f]
                    try:
                        r = f.result()
                    except Exception as exc:  # noqa: BLE001 - a worker crashed
                        r = JobResult(j.name, "failed", 0.0, f"worker crashed: {exc!r}")
                    results.append(r)
                    bar.update(1)
                    if r.status != "ok":
                        say(f"  {r.name}: {r.status}: {r.error}", sys.stderr)
    finally:
        bar.close()
    return results


def _run_dask(jobs, notebook, workers, timeout, scheduler, pdf, bar) -> list[JobResult]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        import logging

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.WARNING)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    results = []
    try:
        futs = [client.submit(render_job, j, str(notebook), timeout, 60.0, pdf, pure=False, key=f"report-{j.name}")
                for j in jobs]
        by_key = {f.key: j for f, j in zip(futs, jobs, strict=True)}
        for f in as_completed(futs):
            j = by_key[f.key]
            try:
                r = f.result()
            except Exception as exc:  # noqa: BLE001
                r = JobResult(j.name, "failed", 0.0, f"dask task failed: {exc!r}")
            results.append(r)
            bar.update(1)
            if r.status != "ok":
                say(f"  {r.name}: {r.status}: {r.error}", sys.stderr)
        try:
            client.run(_shutdown_all_kernels)
        except Exception:  # noqa: BLE001
            pass
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def say(text: str, file: Any = None) -> None:
    """Print ``text`` in whatever encoding the stream has (ASCII under ``LC_ALL=C``): characters
    it cannot encode are written as backslash escapes instead of raising ``UnicodeEncodeError``."""
    stream = file if file is not None else sys.stdout
    enc = getattr(stream, "encoding", None) or "utf-8"
    print(str(text).encode(enc, "backslashreplace").decode(enc, "replace"), file=stream, flush=True)


def summarise(results: list[JobResult], seconds: float, problems: list[str] | None = None) -> str:
    """One-screen status summary naming every failure."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines = [
        "reports: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f" in {seconds:.1f} s"
    ]
    for r in sorted(results, key=lambda r: r.name):
        if r.status in ("failed", "timeout"):
            lines.append(f"  FAILED {r.name} ({r.status}): {r.error}")
    for p in problems or []:
        lines.append(f"  upstream step failed: {p}")
    return "\n".join(lines)


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
        Dask scheduler address, or ``"local"`` for a LocalCluster; default a process pool.
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
    # warm the boundary cache once, before workers race to build it
    try:
        from analysis.reporting import inputs, maps

        codes_all = [int(c) for c in inputs.provinces_table()["province_code"]]
        maps.province_shapes(codes_all, data_dir=data_dir)
        maps.queen_neighbours(codes_all, data_dir=data_dir)
    except Exception as exc:  # noqa: BLE001
        say(f"[reports] map cache not built: {exc}", sys.stderr)
    font = build_web_font(data_dir)
    sf = Path(status_file) if status_file else out_dir / "status.json"
    todo: list[Job] = []
    skipped: list[JobResult] = []  # kept for the status format: the step runner does the skipping
    results: list[JobResult] = []
    try:
        todo = plan_jobs(codes, langs, out_dir, data_dir, year_start, year_end, font)
        workers = min(workers, max(1, len(todo)))
        results = run_jobs(todo, notebook, workers, timeout, scheduler, pdf, progress)
        (out_dir / ".fingerprints.json").unlink(missing_ok=True)  # the old cache's stamps, if any
        try:
            write_index(out_root, data_dir, year_end, langs=["zh", "en"], font_path=font,
                        status=latest_status(sf, skipped + results))
        except Exception as exc:  # noqa: BLE001
            problems.append(f"index: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        if pdf and chromium_binary() is None:
            say(print_pdf(Path("x.html"), Path("x.pdf")), sys.stderr)
    except BaseException as exc:
        problems.append(f"batch stopped: {type(exc).__name__}: {exc}")
        raise
    finally:
        done = {r.name for r in skipped + results}
        allr = skipped + results + [JobResult(j.name, "not run", error="the batch stopped before it ran")
                                    for j in todo if j.name not in done]
        secs = time.perf_counter() - t0
        write_status(sf, allr, problems, secs)
        say(summarise(allr, secs, problems))
    failed = [r for r in allr if r.status != "ok" and r.status != "skipped"]
    return 1 if failed or problems else 0


def latest_status(status_file: Path, results: list[JobResult]) -> dict[str, dict[str, Any]]:
    """Each report's latest outcome: the previous ``status.json``'s ``latest`` updated with
    ``results`` (``{name: {"status", "error", "at"}}``; a report not run now keeps its entry)."""
    latest: dict[str, dict[str, Any]] = {}
    try:
        latest = json.loads(Path(status_file).read_text(encoding="utf-8")).get("latest", {})
    except (OSError, ValueError, AttributeError):
        latest = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    for r in results:
        if r.status == "skipped" and r.name in latest:
            continue
        latest[r.name] = {"status": "ok" if r.status == "skipped" else r.status, "error": r.error, "at": now}
    return dict(sorted(latest.items()))


def write_status(status_file: Path, results: list[JobResult], problems: list[str], seconds: float) -> None:
    """Write ``status.json`` atomically (temporary file + rename), UTF-8: this run's ``jobs``,
    ``problems``, ``seconds``, and ``latest`` (:func:`latest_status`), which the index reads to
    mark failed reports."""
    doc = {"seconds": seconds, "problems": problems, "jobs": [asdict(r) for r in results],
           "latest": latest_status(status_file, results)}
    paths.atomic_write_bytes(Path(status_file), json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8"))


# --------------------------------------------------------------------------------------------
# research notebooks
# --------------------------------------------------------------------------------------------


def run_research_notebooks(names: list[str] | None = None, *, out_dir: str | Path | None = None,
                           timeout: float = 1200, verbose: bool = True) -> int:
    """Execute the numbered research notebooks with papermill (one kernel each, in order).

    Each writes its tables (LaTeX, CSV) and figures (PNG, PDF) to ``reports/paper/``; the
    executed notebooks are saved to ``reports/paper/notebooks/<name>.ipynb``. A failing notebook
    does not stop the next. Returns 0 if all ran, else 1 (failures printed).
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

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
        km = kc = None
        try:
            # a fresh kernel per notebook, over IPC like the province batch: no TCP ports, so no
            # "Kernel is running over TCP without encryption" warning and no port races
            km, kc, _ = _start_kernel(60.0, str(notebooks_dir()))
            pm.execute_notebook(str(src), str(tmp), parameters={"out_dir": str(out_dir)},
                                kernel_name="python3", engine_name=_register_engine(),
                                km=km, kc=kc, execution_timeout=timeout,
                                progress_bar=False, cwd=str(notebooks_dir()))
            os.replace(tmp, nb_out / f"{name}.ipynb")
            if verbose:
                say(f"[paper] {name}: ok ({time.perf_counter() - t0:.1f} s)")
        except CellTimeoutError:
            failed.append(f"{name}: a cell exceeded {timeout:.0f} s")
        except Exception as exc:  # noqa: BLE001
            failed.append(f"{name}: {_short_error(exc)}")
            if tmp.exists():
                os.replace(tmp, nb_out / f"{name}.failed.ipynb")
        finally:
            if km is not None:
                _stop_kernel(km, kc)
    for f in failed:
        say(f"[paper] FAILED {f}", sys.stderr)
    return 1 if failed else 0
