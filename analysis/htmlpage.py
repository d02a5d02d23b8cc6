"""Full HTML pages in the reports' style, for every page the project writes.

:func:`page` wraps a body in ``templates/page.html.j2``: doctype, ``<meta charset="utf-8">``, a
viewport for phones, the one stylesheet ``static/report.css`` inlined (no external files), a
navigation bar (back to the index, the page in the other language) and an optional footer and
script. The province reports, the index (:mod:`analysis.reporting`), the paper tables
(:meth:`analysis.models.tables.RegressionTable.render`) and the typology pages use it, so they
look alike and every one of them stands on its own. Knows nothing of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
CSS_FILE = HERE / "static" / "report.css"

#: The script of every page: remember the language the reader chose (the index opens in it).
REMEMBER_LANG_JS = ("try{localStorage.setItem('reports-lang',"
                    "document.documentElement.lang.indexOf('zh')===0?'zh':'en')}catch(e){}")

WORDS = {
    "back": {"zh": "← 返回全部省份", "en": "← All provinces"},
    "other": {"zh": "English", "en": "中文"},
}


@lru_cache(maxsize=1)
def css() -> str:
    """The stylesheet (``analysis/static/report.css``)."""
    return CSS_FILE.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def environment():
    """Jinja2 environment of the page templates (autoescape on)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def page(body: str, title: str, lang: str, *, index_href: str | None = "../index.html",
         other_lang_href: str | None = None, nav: Sequence[tuple[str, str]] | None = None,
         nav_extra: str = "", footer: str = "", extra_css: str = "", font_css: str = "",
         script: str = REMEMBER_LANG_JS, wide: bool = False, body_class: str = "") -> str:
    """A self-contained page.

    Parameters
    ----------
    body : str
        HTML inside ``<main>`` (trusted: written by the project).
    title : str
        ``<title>`` (escaped).
    lang : {"zh", "en"}
        Page language (``<html lang>``, navigation words).
    index_href, other_lang_href : str, optional
        Relative links to the index and to the same page in the other language (left out when None).
    nav : sequence of (href, text), optional
        Replaces the default navigation links.
    nav_extra, footer, extra_css, font_css, script : str
        Trusted HTML after the links, the footer element, CSS after the stylesheet, an
        ``@font-face`` rule, inline JavaScript.

    Raises
    ------
    ValueError
        ``lang`` is not ``zh`` or ``en``.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if nav is None:
        nav = ([(index_href, WORDS["back"][lang])] if index_href else []) + (
            [(other_lang_href, WORDS["other"][lang])] if other_lang_href else [])
    return environment().get_template("page.html.j2").render(
        body=body, title=title, lang=lang, nav=list(nav), nav_extra=nav_extra, footer=footer,
        css=css(), extra_css=extra_css, font_css=font_css, script=script, wide=wide, body_class=body_class)
