"""Jupyter kernels for the report batch: started once per worker, reused, stopped cleanly.

papermill stays the engine (how a user re-runs one province by hand): :func:`execute` calls
:func:`papermill.execute_notebook` with a kernel manager, its public way of running on a kernel the
caller owns. nbclient asks that manager for a client (``km.client()``) for every notebook and,
not owning the manager, never stops it; :class:`ReusableKernelManager` therefore hands out one
client per kernel, whose channels start once — so a worker that renders 31 reports keeps one
kernel and one client, and leaks neither sockets nor zmq contexts.

Kernels use the IPC transport (Unix sockets in a private folder: kernels started many at a time
cannot race for TCP ports; TCP on the last retry), run in Python's UTF-8 mode whatever the locale
(:func:`kernel_env`), and make a failing shell line (``!cmd``) raise (:data:`KERNEL_ARGUMENTS`).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

KERNEL_START_RETRIES = 4
#: Kernel options: a shell line (``!cmd``) that exits non-zero raises ``CalledProcessError``, so
#: the cell records an error and the notebook counts as failed (IPython >= 8.19; ``%%bash`` and
#: the other ``%%script`` magics raise by default); no history database.
KERNEL_ARGUMENTS = ("--InteractiveShell.system_raise_on_error=True",
                    # no input history: IPython writes every cell to an SQLite file (a tenth of a
                    # second per report, and two kernels contend for the same file)
                    "--HistoryManager.enabled=False")


def skip_slow_imports() -> None:
    """Let this process skip ``rfc3987_syntax``, an optional import of jsonschema.

    nbformat (imported by papermill, nbclient and scrapbook) imports jsonschema, whose format
    checkers import ``rfc3987_syntax`` if it is installed; that module compiles a Lark grammar on
    import — about 1.7 CPU-seconds in every process of the batch (the client, each pool worker and
    each kernel). jsonschema imports it inside ``suppress(ImportError)`` and only needs it to check
    the ``iri`` format, which no notebook schema uses; marking it absent (``sys.modules[name] =
    None``, Python's documented way to make an import fail) saves that time. Called only by the
    report batch's own processes, before their first nbformat import.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


class KernelStartError(RuntimeError):
    """The Jupyter kernel did not start after the retries."""


def kernel_env() -> dict[str, str]:
    """The kernel's environment: the caller's, in Python's UTF-8 mode whatever the locale.

    Under ``LC_ALL=C`` and ``PYTHONUTF8=0`` a kernel would otherwise open text files as ASCII.
    """
    return {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}


def _manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class ReusableKernelManager(AsyncKernelManager):
        """An async kernel manager whose ``client()`` is always the same client (channels started
        once): nbclient calls ``km.client()`` for every notebook it runs on the kernel."""

        _analysis_client: Any = None
        _analysis_sock_dir: str | None = None

        def client(self, **kwargs):
            if self._analysis_client is None:
                kc = super().client(**kwargs)
                start, wait = kc.start_channels, kc.wait_for_ready
                done: set[str] = set()

                def start_once(*a, **k):
                    if "start" not in done:
                        start(*a, **k)
                        done.add("start")

                async def wait_once(*a, **k):
                    # jupyter_client's wait polls kernel_info with a 0.2 s iopub wait each time: a
                    # fifth of a second per report for a kernel known to be running (the worker
                    # checks it is alive before each report)
                    if "ready" not in done:
                        await wait(*a, **k)
                        done.add("ready")

                kc.start_channels, kc.wait_for_ready = start_once, wait_once
                self._analysis_client = kc
            return self._analysis_client

    return ReusableKernelManager


def start_kernel(start_timeout: float = 60.0, cwd: str | None = None):
    """Start a kernel (retried with back-off); returns ``(km, attempts)``.

    Raises
    ------
    KernelStartError
        After :data:`KERNEL_START_RETRIES` failed attempts (the last error in the message).
    """
    from jupyter_core.utils import run_sync

    cwd = cwd if cwd and Path(cwd).is_dir() else tempfile.gettempdir()
    manager = _manager_class()
    last: BaseException | None = None
    for attempt in range(1, KERNEL_START_RETRIES + 1):
        ipc = attempt < KERNEL_START_RETRIES and os.name == "posix"
        sock_dir = tempfile.mkdtemp(prefix="kernel-") if ipc else None
        km = (manager(kernel_name="python3", transport="ipc", ip=str(Path(sock_dir) / "k")) if ipc
              else manager(kernel_name="python3"))
        try:
            run_sync(km.start_kernel)(cwd=cwd, env=kernel_env(), extra_arguments=list(KERNEL_ARGUMENTS))
            kc = km.client()
            kc.start_channels()
            kc.allow_stdin = False  # as nbclient sets on the clients it starts
            run_sync(kc.wait_for_ready)(timeout=start_timeout)
            km._analysis_sock_dir = sock_dir  # removed by stop_kernel
            return km, attempt
        except Exception as exc:  # noqa: BLE001 - port races, slow start: retry
            last = exc
            stop_kernel(km)
            if sock_dir:
                shutil.rmtree(sock_dir, ignore_errors=True)
            time.sleep(0.5 * attempt + random.random())
    raise KernelStartError(f"kernel failed to start after {KERNEL_START_RETRIES} attempts: {last!r}")


def stop_kernel(km) -> None:
    """Stop a kernel from :func:`start_kernel`: its client's channels and zmq context, the kernel
    process, its socket folder. Never raises."""
    from jupyter_core.utils import run_sync

    kc = getattr(km, "_analysis_client", None)
    if kc is not None:
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


def execute(notebook, parameters: dict[str, Any], km, timeout: float, output: str | None = None):
    """Run ``notebook`` (a path or a ``NotebookNode``) with ``parameters`` on ``km`` through
    :func:`papermill.execute_notebook`; returns the executed notebook, also written to ``output``
    when given (papermill writes it there before raising, so a failed notebook is kept).

    Raises
    ------
    papermill.PapermillExecutionError
        A cell raised.
    nbclient.exceptions.CellTimeoutError, nbclient.exceptions.DeadKernelError
        A cell ran longer than ``timeout`` seconds; the kernel died.
    """
    import papermill as pm

    return pm.execute_notebook(notebook, output, parameters=parameters, kernel_name="python3", km=km,
                               execution_timeout=timeout, progress_bar=False,
                               request_save_on_cell_execute=False, log_output=False)


# --------------------------------------------------------------------------------------------
# one kernel per worker thread (process-wide registry: Dask's client.run and the process
# finaliser stop them all)
# --------------------------------------------------------------------------------------------

_KERNELS: dict[int, Any] = {}
_FINALISER: list[bool] = []


def worker_kernel(start_timeout: float = 60.0, cwd: str | None = None):
    """This thread's kernel, started on first use and restarted if it died: ``(km, attempts)``
    (``attempts`` is 0 when an existing kernel is reused)."""
    from jupyter_core.utils import run_sync

    me = threading.get_ident()
    km = _KERNELS.get(me)
    if km is not None and run_sync(km.is_alive)():
        return km, 0
    if km is not None:
        shutdown_kernel()
    km, attempts = start_kernel(start_timeout, cwd)
    _KERNELS[me] = km
    if not _FINALISER:
        import atexit
        from multiprocessing import util

        util.Finalize(None, shutdown_all_kernels, exitpriority=10)  # pool workers skip atexit
        atexit.register(shutdown_all_kernels)
        _FINALISER.append(True)
    return km, attempts


def shutdown_kernel(ident: int | None = None) -> None:
    """Stop the kernel of thread ``ident`` (default: this thread)."""
    km = _KERNELS.pop(threading.get_ident() if ident is None else ident, None)
    if km is not None:
        stop_kernel(km)


def shutdown_all_kernels() -> None:
    """Stop every kernel this process started (Dask workers run tasks in several threads)."""
    for ident in list(_KERNELS):
        shutdown_kernel(ident)
