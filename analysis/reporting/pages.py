"""Province report pages: from an executed notebook to a self-contained HTML page.

:func:`report_page` keeps what the notebook displayed — each section is one HTML block
(:func:`analysis.reporting.sections.show`), and a plain notebook's Markdown and images are
accepted too — and drops code, prompts, streams and scrapbook payloads; no nbconvert export is
needed, so a page costs milliseconds. The page shell is :func:`analysis.htmlpage.page` (the one
stylesheet, navigation to the index and the other language, the language remembered in the
browser), with :func:`report_footer` and a subset of Noto Sans CJK SC embedded as a web font
(:func:`build_web_font`), so Chinese renders without system fonts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import sys
from pathlib import Path

from analysis import paths
from analysis.htmlpage import font_face_css, page

_PACKAGE = Path(__file__).resolve().parent.parent


def _outputs(nb: dict):
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or "remove_cell" in cell.get("metadata", {}).get("tags", []):
            continue
        yield from cell.get("outputs", [])


def _text(v) -> str:
    return "".join(v) if isinstance(v, list) else str(v)


def notebook_body(nb: dict) -> tuple[str, str]:
    """``(body HTML, title)`` of an executed notebook: its HTML, Markdown and image outputs.

    The title is the first ``<h1>`` (or Markdown ``# heading``). Images without alt text get an
    empty ``alt`` (decorative) — the report notebook's figures carry their own (sections).
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    parts, title = [], ""
    for o in _outputs(nb):
        if o.get("output_type") not in ("display_data", "execute_result"):
            continue  # streams (stdout/stderr) and errors stay in the notebook
        data = o.get("data", {})
        if not data or all(k.startswith("application/scrapbook") for k in data):
            continue
        if "text/html" in data:
            block = _text(data["text/html"])
        elif "text/markdown" in data:
            block = md.render(_text(data["text/markdown"]))
        elif "image/png" in data:
            alt = html.escape(str(o.get("metadata", {}).get("alt", "")))
            block = f'<img src="data:image/png;base64,{_text(data["image/png"]).strip()}" alt="{alt}">'
        else:
            continue
        if not title:
            m = re.search(r"<h1[^>]*>(.*?)</h1>", block, flags=re.S)
            title = re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else ""
        parts.append(block)
    return "\n".join(parts), html.unescape(title)


def report_page(notebook: bytes | dict, lang: str, code: int, font_css: str = "") -> str:
    """An executed report notebook → a self-contained page (no code, no prompts, no scripts from
    elsewhere), linked to ``../index.html`` and to ``<code>_<other language>.html``."""
    nb = json.loads(notebook.decode("utf-8")) if isinstance(notebook, bytes | bytearray) else notebook
    body, title = notebook_body(nb)
    other = "en" if lang == "zh" else "zh"
    return page(body, title or str(code), lang, index_href="../index.html",
                other_lang_href=f"{code}_{other}.html", footer=report_footer(lang), font_css=font_css)


def report_footer(lang: str, date: str | None = None) -> str:
    """Footer of a province page: the raw sources (as in ``data/raw/SOURCES.md``), the framework
    version, the generation date, and relative links to the index and to ``SOURCES.md``.

    Pages live in ``reports/provinces/``, so the links are ``../index.html`` and
    ``../../data/raw/SOURCES.md``.
    """
    from analysis.reporting.i18n import t
    from analysis.reporting.inputs import framework_version

    src = f'<a href="../../data/raw/SOURCES.md">{html.escape(t("footer_sources_link", lang))}</a>'
    made = t("footer_made", lang, version=html.escape(framework_version()), date=date or dt.date.today().isoformat())
    back = f'<a href="../index.html">{html.escape(t("back_to_index", lang))}</a>'
    return f"<footer><p>{t('footer_sources', lang, sources=src)}</p><p>{made} {back}</p></footer>"


# --------------------------------------------------------------------------------------------
# the embedded web font
# --------------------------------------------------------------------------------------------


def report_characters(data_dir: Path | None = None) -> str:
    """Every CJK character the pages can print: the templates and words, the labels (codebooks,
    specification, derived labels, coordination classes), the province table, the IO sector names."""
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    rep = _PACKAGE / "reporting"
    srcs = [rep / "i18n.py", rep / "maps.py", rep / "index_page.py", _PACKAGE / "htmlpage.py",
            *sorted(rep.rglob("*.j2")), *sorted((_PACKAGE / "templates").rglob("*.j2")),
            _PACKAGE / "derived_labels.yaml", _PACKAGE / "measures" / "coupling.py",
            data_dir / "codebook.csv", data_dir / "integration_codebook.csv",
            _PACKAGE / "framework" / "spec.yaml", _PACKAGE / "data" / "io_sectors.csv",
            _PACKAGE / "data" / "provinces.py", _PACKAGE / "models" / "tables.py"]
    text = "".join(f.read_text(encoding="utf-8") for f in srcs if f.exists())
    return "".join(sorted({c for c in text if ord(c) >= 0x2E80}))


def build_web_font(data_dir: Path | None = None, cache_dir: Path | None = None) -> Path | None:
    """Subset of the CJK font for the pages' characters, cached by content (``None`` on failure)."""
    from analysis.reporting.fonts import web_font_subset

    chars = report_characters(data_dir)
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    out = cache_dir / f"cjk_{hashlib.sha256(chars.encode()).hexdigest()[:12]}.woff"
    if out.exists():
        return out
    try:
        return web_font_subset(chars, out)
    except Exception as exc:  # noqa: BLE001 - pages then use the system fonts of the font stack
        print(f"[reports] web font not built ({exc}); pages rely on system CJK fonts".encode(
            "ascii", "backslashreplace").decode("ascii"), file=sys.stderr)
        return None


def font_css(font_path: str | Path | None) -> str:
    """``@font-face`` rule embedding the WOFF subset as a data URI ("" when there is none;
    :func:`analysis.htmlpage.font_face_css`)."""
    return font_face_css(font_path)
