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


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK ideograph or CJK punctuation / full-width form."""
    return any("\u2e80" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
               or "\uff00" <= ch <= "\uffef" for ch in text)


def cjk_font_css(text: str) -> str:
    """``@font-face`` rule embedding a WOFF subset of the CJK font with the characters of
    ``text``, so that a page with Chinese renders on a machine without a CJK system font;
    "" when ``text`` has no CJK character or the font cannot be built (the page then falls back
    to the system fonts of the stylesheet's font stack). The province reports pass one subset
    shared by all of them (:func:`analysis.reporting.pages.font_css`); pages written elsewhere
    (the paper tables) get theirs here.

    Parameters
    ----------
    text : str
        The page's text (characters outside the subset render in a fallback font).
    """
    if not has_cjk(text):
        return ""
    import tempfile

    from analysis.reporting.fonts import web_font_subset

    try:
        with tempfile.TemporaryDirectory() as tmp:
            return font_face_css(web_font_subset(text, Path(tmp) / "subset.woff"))
    except Exception:  # noqa: BLE001 - no font package: the stylesheet's font stack applies
        return ""


def font_face_css(font_path: str | Path | None) -> str:
    """``@font-face`` rule ("Report CJK", the stylesheet's first CJK family) embedding a WOFF
    file as a data URI; "" when there is no file."""
    import base64

    if not font_path or not Path(font_path).exists():
        return ""
    b64 = base64.b64encode(Path(font_path).read_bytes()).decode("ascii")
    return ('@font-face { font-family: "Report CJK"; font-display: swap; '
            f'src: url(data:font/woff;base64,{b64}) format("woff"); }}\n')


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
    if not font_css:
        font_css = cjk_font_css(title + body + footer + nav_extra + "".join(t for _, t in nav))
    return environment().get_template("page.html.j2").render(
        body=body, title=title, lang=lang, nav=list(nav), nav_extra=nav_extra, footer=footer,
        css=css(), extra_css=extra_css, font_css=font_css, script=script, wide=wide, body_class=body_class)
