"""Chinese text in matplotlib figures, with no system fonts needed.

The pip package ``mplfonts`` (a declared dependency) ships *Noto Sans CJK SC*
(``NotoSansCJKsc-Regular.otf``). :func:`configure_cjk_font` registers that file with
matplotlib's font manager at run time, so neither a system font nor a rebuilt font cache is
needed (matplotlib caches its font list: a font installed after the first import is otherwise
invisible until the cache is rebuilt).

seaborn's ``set_theme()`` resets ``font.family``; always configure the font *after* any theme
call. :func:`setup_style` does both in the right order and is what notebooks should call.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

#: File shipped by mplfonts that we register.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
#: Family name matplotlib reads from that file.
CJK_FONT_NAME = "Noto Sans CJK SC"


class FontNotFoundError(RuntimeError):
    """The CJK font file is not where the mplfonts package should have installed it."""


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of Noto Sans CJK SC inside the installed ``mplfonts`` package.

    Returns
    -------
    pathlib.Path
        The ``.otf`` file.

    Raises
    ------
    FontNotFoundError
        If ``mplfonts`` is not installed or does not contain the font (the message says how to
        install it).
    """
    try:
        import mplfonts
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise FontNotFoundError(
            "mplfonts is not installed; `pip install mplfonts==0.0.11` (it ships Noto Sans CJK SC)"
        ) from exc
    root = Path(mplfonts.__file__).resolve().parent
    hits = sorted(root.rglob(CJK_FONT_FILE))
    if not hits:
        raise FontNotFoundError(f"{CJK_FONT_FILE} not found under {root}; reinstall mplfonts")
    return hits[0]


@lru_cache(maxsize=1)
def _register() -> str:
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def configure_cjk_font() -> str:
    """Register Noto Sans CJK SC and make it the default sans-serif font.

    Sets ``font.family = [CJK, "DejaVu Sans"]`` (per-glyph fallback), puts the CJK family first in ``font.sans-serif``
    (DejaVu Sans kept as a fallback for symbols) and ``axes.unicode_minus = False`` (the CJK
    font has no U+2212 minus glyph).

    Returns
    -------
    str
        The family name registered (``"Noto Sans CJK SC"``).
    """
    name = _register()
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f != name]
    # a list of families (not "sans-serif") enables matplotlib's per-glyph fallback (≥ 3.6):
    # glyphs the CJK font lacks (subscripts, some symbols) come from DejaVu Sans
    mpl.rcParams["font.family"] = [name, "DejaVu Sans"]
    mpl.rcParams["font.sans-serif"] = [name, *rest]
    mpl.rcParams["axes.unicode_minus"] = False
    return name


def setup_style(context: str = "notebook", dpi: int = 96) -> str:
    """seaborn theme, then the CJK font (in that order: ``set_theme`` resets fonts).

    Parameters
    ----------
    context : str
        seaborn plotting context (``"paper"``, ``"notebook"``, ``"talk"``).
    dpi : int
        Figure dpi (``figure.dpi``); reports use a moderate dpi to keep HTML small.

    Returns
    -------
    str
        The font family in use.
    """
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid")
    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["savefig.dpi"] = dpi
    mpl.rcParams["figure.autolayout"] = False
    return configure_cjk_font()


def web_font_subset(text: str, out: Path) -> Path:
    """A WOFF subset of Noto Sans CJK SC holding the characters of ``text`` (plus ASCII).

    HTML reports embed it (``@font-face`` with a data URI) so that Chinese text renders in a
    browser on a machine without any CJK system font. ~560 characters give ~230 KB; building it
    takes about half a second (fontTools, a matplotlib dependency).

    Parameters
    ----------
    text : str
        Characters to keep (duplicates and order do not matter).
    out : pathlib.Path
        Target ``.woff`` file (written through a temporary file and a rename).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    import os

    from fontTools import subset

    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    font = subset.load_font(str(cjk_font_path()), opts)
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(sorted(set(text) | {chr(i) for i in range(32, 127)})))
    sub.subset(font)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp{os.getpid()}.woff")
    subset.save_font(font, str(tmp), opts)
    os.replace(tmp, out)
    return out
