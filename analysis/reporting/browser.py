"""Headless Chromium for the reports: find it, print a page to PDF, look at a page.

:class:`Browser` drives Chromium over the DevTools protocol (a websocket; ``websocket-client``):
open a page at a given viewport width, evaluate JavaScript in it (the layout checks of the
browser test), take a full-page screenshot. :func:`print_pdf` prints a report with Chromium's
own ``--print-to-pdf``. Chromium is optional: Debian's ``chromium`` package (``make reports-pdf``
installs it); without it :func:`chromium_binary` returns ``None`` and callers say so.

Run by hand, ``python -m analysis.reporting.browser PAGE.html WIDTH OUT.png`` writes a
full-page screenshot (how the screenshots in the docs were made).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Flags for a quiet, isolated headless run (no sandbox: it runs as root in containers).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
                  "--mute-audio")


def chromium_binary() -> str | None:
    """Path of a headless-capable Chromium/Chrome on ``PATH``, or ``None``."""
    for b in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        p = shutil.which(b)
        if p:
            return p
    return None


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 60) -> str:
    """Print an HTML page to PDF with headless Chromium; returns ``""`` or why it was skipped.

    Written through a temporary file and a rename.
    """
    exe = chromium_binary()
    if exe is None:
        return "PDF skipped: no Chromium/Chrome found (install `chromium`, e.g. apt-get install chromium)"
    pdf_path = Path(pdf_path)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp{os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={tmp}", Path(html_path).resolve().as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
            os.replace(tmp, pdf_path)
        except (subprocess.SubprocessError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            return f"PDF failed for {Path(html_path).name}: {exc}"
    return ""


class BrowserError(RuntimeError):
    """Chromium did not start, or a DevTools command failed (the message says which)."""


class Browser:
    """One headless Chromium with one page, driven over the DevTools protocol.

    Use as a context manager::

        with Browser() as b:
            b.open("reports/index.html", width=390)
            b.evaluate("document.querySelector('main').scrollWidth")
            b.screenshot("index_390.png")

    Raises
    ------
    BrowserError
        No Chromium on ``PATH``, or it did not start within ``timeout`` seconds.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen | None = None
        self._ws: Any = None
        self._session = ""
        self._id = 0
        self._profile = ""

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Browser:
        import websocket  # websocket-client

        exe = chromium_binary()
        if exe is None:
            raise BrowserError("no Chromium/Chrome on PATH (Debian: apt-get install chromium)")
        self._profile = tempfile.mkdtemp(prefix="chromium-")
        self._proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-port=0",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._profile) / "DevToolsActivePort"
        t0 = time.monotonic()
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() - t0 > self.timeout or self._proc.poll() is not None:
                self.__exit__(None, None, None)
                raise BrowserError(f"Chromium did not start within {self.timeout:.0f} s")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=self.timeout,
                                               suppress_origin=True)
        target = self._call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                   session=False)["sessionId"]
        self._call("Page.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._ws is not None:
                self._ws.close()
        finally:
            if self._proc is not None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol -------------------------------------------------------------------------
    def _call(self, method: str, params: dict | None = None, *, session: bool = True,
              wait_event: str | None = None) -> dict:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        self._ws.send(json.dumps(msg))
        result, seen_event = None, wait_event is None
        t0 = time.monotonic()
        while result is None or not seen_event:
            if time.monotonic() - t0 > self.timeout:
                raise BrowserError(f"{method}: no answer within {self.timeout:.0f} s")
            reply = json.loads(self._ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result = reply.get("result", {})
            elif wait_event and reply.get("method") == wait_event:
                seen_event = True
        return result

    # -- page -----------------------------------------------------------------------------
    def open(self, page: str | Path, width: int, height: int = 900) -> None:
        """Load ``page`` (a file path or URL) in a viewport ``width`` × ``height`` CSS pixels.

        Widths below 600 emulate a phone (``mobile`` viewport, as a 390 px iPhone would).
        """
        url = str(page) if "://" in str(page) else Path(page).resolve().as_uri()
        self._call("Emulation.setDeviceMetricsOverride",
                   {"width": int(width), "height": int(height), "deviceScaleFactor": 1, "mobile": width < 600})
        self._call("Page.navigate", {"url": url}, wait_event="Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """Value of a JavaScript expression in the page (JSON-serialisable values)."""
        res = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in res:
            raise BrowserError(f"JavaScript error: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    def screenshot(self, out: str | Path, full_page: bool = True) -> Path:
        """PNG of the viewport, or of the whole page (``full_page``)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self._call("Page.getLayoutMetrics")["cssContentSize"]
            params |= {"captureBeyondViewport": True,
                       "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}}
        data = self._call("Page.captureScreenshot", params)["data"]
        out = Path(out)
        out.write_bytes(base64.b64decode(data))
        return out


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.reporting.browser PAGE WIDTH OUT.png``: a full-page screenshot."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(main.__doc__, file=sys.stderr)
        return 2
    with Browser() as b:
        b.open(args[0], int(args[1]))
        b.screenshot(args[2])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
