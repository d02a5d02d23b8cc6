"""The words of a report: Jinja2 templates, Chinese and English side by side.

``templates/sections/<section>.zh.html.j2`` and ``<section>.en.html.j2`` turn a section's context
record (:mod:`analysis.reporting.context`) into HTML paragraphs; each template also sets the
``alt`` text and ``caption`` of the section's figure (``{% set alt %}…{% endset %}``), so a
translator edits one file per language and section and nothing else. Templates see the record
as ``c``, the province's names, a :class:`Words` helper ``W`` bound to the language (labels,
units, rank phrases) and the number filters of :mod:`analysis.numfmt` (``{{ x|num('score') }}``,
``{{ x|value('rd_intensity') }}``). Autoescaping is on: names and labels cannot inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from analysis.labels import Labels
from analysis.numfmt import kind_for_unit, num
from analysis.reporting import i18n

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(repr=False)
class Words:
    """Labels and phrases in one language, for templates and tables."""

    labels: Labels
    lang: str
    names: dict[int, str]

    def __repr__(self) -> str:
        return f"Words(lang={self.lang!r})"

    def t(self, key: str, **kw: Any) -> str:
        return i18n.t(key, self.lang, **kw)

    def var(self, name: str) -> str:
        return self.labels.var(name, self.lang)

    def unit(self, name: str) -> str:
        """The unit of a variable as shown beside its value (``%`` for shares)."""
        return self.labels.unit_label(self.labels.unit(name), self.lang)

    def pathway(self, key: str) -> str:
        return self.labels.pathway(key, self.lang)

    def pillar(self, key: str) -> str:
        return self.labels.pillar(key, self.lang)

    def model(self, key: object, z: object = None, short: bool = False) -> str:
        return self.labels.model(key, self.lang, z, short=short)

    def lagging(self, key: object) -> str:
        return self.labels.lagging(key, self.lang)

    def d_class(self, level: object, d: float | None = None) -> str:
        return self.labels.d_class(level, self.lang, d)

    def region(self, key: str) -> str:
        return self.labels.region(key, self.lang)

    def province(self, code: object) -> str:
        return self.names.get(int(code), str(code)) if code is not None else "—"

    def value(self, x: object, name: str) -> str:
        """A variable's value by its unit's number kind (shares as percentages)."""
        return num(x, kind_for_unit(self.labels.unit(name)))

    def rank(self, rank: int, n: int, tied: bool) -> str:
        """Rank for a table: ``15/31``, or ``15/31 (tied)`` / ``并列第 15/31`` when shared.

        Tied values share the best rank (``method="min"``), so a tie must be said: 17 provinces
        with 0 R&D-intensive key sectors all rank 15.
        """
        return rank_text(rank, n, tied, self.lang)

    def sep(self) -> str:
        return "、" if self.lang == "zh" else ", "

    def fill_rule(self, method: str | None) -> str:
        """The rule that filled a cell, in words (:data:`analysis.reporting.context.FILL_METHODS`)."""
        key = f"fill_{method}"
        return self.t(key if method is not None and key in i18n.TEXT else "fill_unknown")

    def fills_note(self, fills: list) -> str:
        """Footnote for values computed with filled cells (``†``): each indicator and its rule."""
        if not fills:
            return ""
        sep = "；" if self.lang == "zh" else "; "
        items = sep.join(f"{self.var(x.indicator)}" + (f"（{self.fill_rule(x.method)}）" if self.lang == "zh"
                                                        else f" ({self.fill_rule(x.method)})") for x in fills)
        return self.t("fills_note", year=fills[0].year, items=items)

    def flags_note(self, flags: list) -> str:
        """Footnote for values whose panel cells the data layer adjusted (``‡``), with its note."""
        if not flags:
            return ""
        sep = "；" if self.lang == "zh" else "; "
        items = sep.join(f"{self.var(x.column)} {x.year}" + ("：" if self.lang == "zh" else ": ") + x.text
                         for x in flags)
        return self.t("flags_note", items=items)

    def confidence(self, conf: float | None, min_conf: float) -> str:
        """``tendency, low confidence 0.55`` below ``min_conf`` (else empty)."""
        if conf is None or conf >= min_conf:
            return ""
        return self.t("low_confidence", conf=num(conf, "level"))

    def p(self, x: float | None) -> str:
        """A p-value with its sign: ``p = 0.083``, ``p < 0.001``."""
        v = num(x, "pvalue")
        return f"p {v[0]} {v[1:]}" if v.startswith("<") else f"p = {v}"

    def weights(self, w: str) -> str:
        """A spatial weight matrix's name (``queen`` → contiguity weights)."""
        key = f"w_{w}"
        return self.t(key) if key in i18n.TEXT else str(w)

    def interval(self, iv: tuple[int, int] | None) -> str:
        """A rank interval ``[1–5]`` (empty when unknown)."""
        return "" if iv is None else f"[{iv[0]}–{iv[1]}]"


def rank_text(rank: int, n: int, tied: bool, lang: str) -> str:
    """``15/31``, ``15/31 (tied)`` (en) or ``并列第 15/31`` (zh)."""
    if not tied:
        return f"{rank}/{n}"
    return f"并列第 {rank}/{n}" if lang == "zh" else f"{rank}/{n} (tied)"


@lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment (templates from the package, autoescape, strict undefined)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=False)
    env.filters["num"] = num
    return env


@dataclass
class Text:
    """A rendered section text: ``html`` and the figure's ``alt`` and ``caption`` (may be empty)."""

    html: str
    alt: str = ""
    caption: str = ""
    title: str = ""


def render(section: str, lang: str, words: Words, **context: Any) -> Text:
    """Render ``sections/<section>.<lang>.html.j2`` with ``context`` (and ``W`` = ``words``).

    Raises
    ------
    jinja2.TemplateNotFound
        No template for that section and language.
    jinja2.UndefinedError
        A template names a variable the context lacks (a bug, caught by the tests).
    """
    i18n.check_lang(lang)
    env = environment()
    tmpl = env.get_template(f"sections/{section}.{lang}.html.j2")
    mod = tmpl.make_module({"W": words, "value": words.value, **context})

    def plain(name: str) -> str:
        """A ``{% set %}`` block as plain text (escaped again where it is written)."""
        return Markup(getattr(mod, name, "")).unescape().strip()

    return Text(str(mod).strip(), plain("alt"), plain("caption"), plain("title"))
