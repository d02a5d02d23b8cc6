"""Assemble a report section: context → figure → text → tables → one HTML block; show it.

:func:`build` runs a section's context function (:mod:`analysis.reporting.context`), draws its
figure (:mod:`analysis.reporting.figures`), renders its words (:mod:`analysis.reporting.text`)
and its tables, and returns a :class:`Section`. The notebook ``notebooks/province_report.py``
calls :func:`show` on each, which displays the section as one HTML block and records its
numbers with scrapbook (one scrap per section: ``glance``, ``coupling`` …, each a dictionary of
``glance.gdp.value``-style names; :func:`report_numbers` reads them back). A section whose input
is missing says so in one sentence; an unexpected error in one section becomes one sentence (and
``<section>.error``) without sinking the report.
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.numfmt import num, stars
from analysis.reporting import context as cx
from analysis.reporting import figures, i18n
from analysis.reporting.inputs import (
    ReportInputs,
    UnknownProvinceCodeError,
    load_inputs,
    province_info,
    province_name,
)
from analysis.reporting.text import Words, render

__all__ = ["Section", "Table", "Figure", "build", "header", "show", "report_numbers", "load_inputs", "SECTION_KEYS"]

SECTION_KEYS = tuple(k for k, _ in cx.SECTIONS)


@dataclass
class Table:
    """A table as shown: caption, column headers, rows of strings; ``numeric`` columns align right."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # footnotes below the table (markers † ‡ …)

    def html(self) -> str:
        e = html.escape
        head = "".join(f'<th{" class=num" if i in self.numeric else ""}>{e(c)}</th>' for i, c in enumerate(self.columns))
        # each cell carries its column's label: on a phone the table becomes one card per row
        body = "".join("<tr>" + "".join(f'<td{" class=num" if i in self.numeric else ""} data-label="{e(self.columns[i])}">'
                                        f"{e(v)}</td>" for i, v in enumerate(r)) + "</tr>" for r in self.rows)
        cap = f"<caption>{e(self.caption)}</caption>" if self.caption else ""
        notes = "".join(f'<p class="note">{e(n)}</p>' for n in self.notes if n)
        return (f'<div class="table-wrap"><table class="report-table cards">{cap}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>{notes}")


@dataclass
class Figure:
    """A chart as shown: PNG data URI, alt text and caption in the page's language, pixel size."""

    uri: str
    alt: str
    caption: str
    width: int = 0
    height: int = 0

    def html(self) -> str:
        e = html.escape
        size = f' width="{self.width}" height="{self.height}"' if self.width else ""
        return (f'<figure><img src="{self.uri}" alt="{e(self.alt)}"{size}>'
                f"<figcaption>{e(self.caption)}</figcaption></figure>")


@dataclass
class Section:
    """One section of a report.

    Attributes
    ----------
    key : str
        ``glance``, ``indices`` … (prefix of its numbers' names).
    title : str
    text : str
        HTML paragraphs (rendered from the templates).
    tables, figures : list
    numbers : dict
        Every number the section quotes (JSON-serialisable), e.g. ``glance.gdp.value``.
    available : bool
        False when the section's inputs are missing or it failed (it then says so).
    level : int
        Heading level (1 for the report header).
    """

    key: str
    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    available: bool = True
    level: int = 2

    def html(self) -> str:
        h = f"h{self.level}"
        inner = (f"<{h}>{html.escape(self.title)}</{h}>{self.text}" + "".join(t.html() for t in self.tables)
                 + "".join(f.html() for f in self.figures))
        tag = "header" if self.level == 1 else "section"
        return f'<{tag} class="report-section" id="sec-{self.key}">{inner}</{tag}>'


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _words(inp: ReportInputs, lang: str) -> Words:
    names = inp.cached(f"names_{lang}", lambda: dict(zip(inp.provinces["province_code"].astype(int),
                                                         inp.provinces["name_zh" if lang == "zh" else "name_en"],
                                                         strict=True)))
    return Words(inp.labels, lang, names)


def _figure(fig, alt: str, caption: str, dpi: int = 100) -> Figure:
    w, h = fig.get_size_inches()
    return Figure(figures.png_data_uri(fig, dpi), alt, caption, int(round(w * dpi)), int(round(h * dpi)))


def _common(inp: ReportInputs, code: int, lang: str, y0: int, y1: int) -> dict[str, Any]:
    info = province_info(inp, code)
    return {"name": province_name(info, lang), "region": inp.labels.region(str(info["region"]), lang),
            "y0": y0, "y1": y1}


def _rank_cells(W: Words, r: cx.Rank) -> list[str]:
    return [W.rank(r.rank, r.n, r.tied), W.rank(r.rank_region, r.n_region, r.tied_region)]


# --------------------------------------------------------------------------------------------
# per-section assembly: tables and figures from the context, words from the templates
# --------------------------------------------------------------------------------------------


def _marks(W: Words, fills: list, flags: list) -> str:
    return (W.t("fill_mark") if fills else "") + (W.t("flag_mark") if flags else "")


def _glance(inp, c: cx.GlanceContext, W: Words, lang, common) -> tuple[list[Table], list[Figure]]:
    rows, fills, flags, interval = [], [], [], False
    for r in c.rows:
        unit = "" if r.unit == "share" else W.unit(r.key)
        rank = _rank_cells(W, r.rank)
        if r.rank_interval is not None:
            rank[0] += " " + W.interval(r.rank_interval)
            interval = True
        label = W.t("linkage") if r.key == "linkage" else W.var(r.key)
        rows.append([label, str(r.year), W.value(r.value, r.key) + _marks(W, r.fills, r.flags), unit, *rank])
        fills += [x for x in r.fills if x not in fills]
        flags += r.flags
    cols = [W.t(k) for k in ("indicator", "year", "value", "unit", "rank31", "rank_region")]
    notes = [W.t("rank_interval_note") if interval else "", W.fills_note(fills), W.flags_note(flags)]
    return [Table(common["caption"], cols, rows, {1, 2, 4, 5}, notes)], []


def _indices(inp, c: cx.IndicesContext, W, lang, common):
    return [], [_figure(figures.indices_figure(c, lang, common["name"]), common["alt"], common["caption"])]


def _coupling(inp, c: cx.CouplingContext, W, lang, common):
    return [], [_figure(figures.coupling_figure(c, lang, common["name"], inp.labels), common["alt"], common["caption"])]


def _models(inp, c: cx.ModelsContext, W, lang, common):
    if not c.pillars:
        return [], []
    tabs = []
    if c.intervals:
        mark = W.t("fill_mark") if c.fills else ""
        rows = [[W.pillar(f"pillar_{k}"), num(c.pillars[f"pillar_{k}"][0], "score") + mark
                 if f"pillar_{k}" in c.pillars else "—", num(iv.z, "level"),
                 "—" if iv.lo is None else f"{num(iv.lo, 'level')} – {num(iv.hi, 'level')}",
                 num(iv.share, "share") if iv.share is not None else "—"] for k, iv in c.intervals.items()]
        tabs.append(Table(W.t("pillar_table", year=c.year),
                          [W.t(k) for k in ("pillar", "score", "z_score", "z_interval", "share_leading")],
                          rows, {1, 2, 3, 4}, [W.fills_note(c.fills)]))
    return tabs, [_figure(figures.models_figure(c, lang, common["name"], inp.labels), common["alt"], common["caption"])]


def _pathways(inp, c: cx.PathwaysContext, W, lang, common):
    fig = _figure(figures.pathways_figure(c, lang, inp.labels), common["alt"], common["caption"])
    if c.obstacles:
        mark = W.t("fill_mark")
        rows = []
        for o in c.obstacles:
            k = f"pathway_{o.key}"
            d = c.diag.loc[k] if k in c.diag.index else None
            rows.append([W.pathway(o.key), num(o.obstacle, "share") + (mark if c.filled_in(o.key) else ""),
                         num(o.weight_share, "share"), num(o.intensity, "level"),
                         "—" if d is None else num(d["score"], "score"),
                         "—" if d is None else num(d["percentile"], "percentile")])
        cols = [W.t(k) for k in ("pathway", "obstacle", "weight_share", "obstacle_intensity", "score", "percentile")]
        tab = Table(W.t("obstacle_table", year=c.obstacle_year), cols, rows, {1, 2, 3, 4, 5}, [W.fills_note(c.fills)])
        return [tab], [fig]
    rows = [[W.pathway(k), num(r["score"], "score"), num(r["percentile"], "percentile"),
             num(r["percentile_region"], "percentile"), num(r["gap_frontier"], "score"), num(r["gap_leader"], "score")]
            for k, r in c.diag.iterrows()]
    cols = [W.t(k) for k in ("pathway", "score", "percentile", "percentile_region", "gap_frontier", "gap_leader")]
    tab = Table(W.t("pathway_table", year=c.year), cols, rows, {1, 2, 3, 4, 5})
    return [tab], [fig]


def _sector_names(inp: ReportInputs, io_year: int, lang: str) -> dict[str, str]:
    def make():
        from analysis.data.io_tables import io_sectors

        s = io_sectors(io_year)
        return dict(zip(s["sector"].astype(str), s["name_zh" if lang == "zh" else "name_en"], strict=True))

    try:
        return inp.cached(f"sectors_{io_year}_{lang}", make)
    except Exception:  # noqa: BLE001 - codes are shown instead
        return {}


def _chain(inp, c: cx.ChainContext, W, lang, common):
    rows = [[W.var(r.key), W.value(r.value, r.key), W.rank(r.rank, r.n, r.tied)] for r in c.rows]
    tabs = [Table(common["caption"], [W.t("indicator"), W.t("value"), W.t("rank31")], rows, {1, 2})] if rows else []
    if c.rd_sectors:
        names = common["sectors"]
        tabs.append(Table(W.t("rd_sectors"), [W.t(k) for k in ("sector", "output_share", "backward", "forward",
                                                                  "local_input_share")],
                          [[names.get(s.sector, s.sector), num(s.output_share, "share"), num(s.backward, "level"),
                            num(s.forward, "level"), num(s.local_input_share, "share")] for s in c.rd_sectors],
                          {1, 2, 3, 4}))
    return tabs, []


def _threshold(inp, c: cx.ThresholdContext, W, lang, common):
    from scipy import stats as st

    if not c.supported:  # no interior threshold, or its bootstrap p > 0.10: no regime table
        return [], []

    rows = []
    for i, (est, se) in enumerate(c.coefs):
        p = 2 * st.norm.sf(abs(est / se)) if se else None
        rows.append([cx.regime_interval(c.gammas, i), num(est, "coef") + stars(p), num(se, "coef"),
                     W.t("this_province") if i == c.regime - 1 else ""])
    cols = [W.t("regime"), W.t("estimate"), W.t("std_error"), ""]
    return [Table(common["caption"], cols, rows, {1, 2})], []


def _spatial(inp, c: cx.SpatialContext, W, lang, common):
    tabs = []
    if c.year is not None:
        tabs.append(Table(common["caption"], [W.t("neighbour"), "D"],
                          [[W.province(k), num(v, "score")] for k, v in c.D_neighbours.items()], {1}))
    for v in c.shown:  # effects only under a W whose tests support spatial dependence
        kinds = [k for k in ("direct", "indirect", "total") if any(k in e.effects for e in v.effects)]
        rows = [[W.var(e.variable), *(num(e.effects[k][0], "coef") + stars(e.effects[k][1]) if k in e.effects else ""
                                      for k in kinds)] for e in v.effects]
        tabs.append(Table(W.t("sdm_effects_w", model=v.model.upper(), w=W.weights(v.W)),
                          [W.t("indicator"), *(W.t(f"effect_{k}") for k in kinds)], rows,
                          set(range(1, len(kinds) + 1))))
    return tabs, []


def _map(inp, c: cx.MapContext, W, lang, common):
    uri, w, h = figures.map_image(c, inp.shapes(), lang)
    return [], [Figure(uri, common["alt"], common["caption"], w, h)]


_ASSEMBLE = {"glance": _glance, "indices": _indices, "coupling": _coupling, "models": _models,
             "pathways": _pathways, "chain": _chain, "threshold": _threshold, "spatial": _spatial, "map": _map}
_CONTEXT = dict(cx.SECTIONS)


def _extra(key: str, inp: ReportInputs, c: Any, lang: str) -> dict[str, Any]:
    """Template variables beyond the context record."""
    if key == "models":
        return {"min_stability": cx.STABILITY_MIN}
    if key == "threshold":
        return {"p_max": cx.THRESHOLD_P_MAX}
    if key == "chain":
        return {"sectors": _sector_names(inp, c.io_year, lang)}
    if key == "spatial":
        vals = [v for v in c.D_neighbours.values() if v == v]
        W = _words(inp, lang)
        return {"d_mean": sum(vals) / len(vals) if vals else None,
                "neighbour_names": [W.province(k) for k in c.neighbours]}
    return {}


def build(key: str, inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """One section of the report of ``code`` in ``lang`` (see :data:`SECTION_KEYS`).

    Never raises for missing inputs (:class:`~analysis.reporting.context.MissingInput`: a
    one-sentence notice) or an unexpected error in the section (a one-sentence notice and the
    number ``<key>.error``). An unknown province code is the caller's error and is raised.

    Raises
    ------
    UnknownProvinceCodeError
        ``code`` is not one of the 31 provinces.
    ValueError
        ``lang`` is not ``zh`` or ``en``, or ``key`` is not a section.
    """
    i18n.check_lang(lang)
    if key not in _CONTEXT:
        raise ValueError(f"unknown section {key!r}; sections: {SECTION_KEYS}")
    title = i18n.t(f"sec_{key}", lang)
    W = _words(inp, lang)
    try:
        c = _CONTEXT[key](inp, int(code), int(year_start), int(year_end))
        common = _common(inp, code, lang, year_start, year_end) | _extra(key, inp, c, lang)
        words = render(key, lang, W, c=c, **common)
        common |= {"alt": words.alt, "caption": words.caption}
        tables, figs = _ASSEMBLE[key](inp, c, W, lang, common)
        return Section(key, title, words.html, tables, figs, c.numbers())
    except UnknownProvinceCodeError:
        raise
    except cx.MissingInput as exc:
        return Section(key, title, render("missing", lang, W, what=str(exc)).html, available=False)
    except Exception as exc:  # noqa: BLE001 - one section must not sink the report
        err = f"{type(exc).__name__}: {exc}"
        return Section(key, title, render("error", lang, W, error=err).html, numbers={f"{key}.error": err},
                       available=False)


def header(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Title block: the province's full name, region, year range and the generation date.

    Raises
    ------
    UnknownProvinceCodeError, ValueError
        As :func:`build`.
    """
    i18n.check_lang(lang)
    c = cx.header_context(inp, code, year_start, year_end)
    W = _words(inp, lang)
    words = render("header", lang, W, c=c, region=inp.labels.region(c.region, lang),
                   today=_dt.date.today().isoformat())
    return Section("header", words.title, words.html, numbers=c.numbers() | {"lang": lang}, level=1)


# --------------------------------------------------------------------------------------------
# inside the notebook kernel
# --------------------------------------------------------------------------------------------


def show(section: Section) -> None:
    """Display a section as one HTML block and record its numbers as one scrapbook scrap.

    The scrap is named after the section (``glance`` …) and holds ``{name: value}`` with the
    full names (``glance.gdp.value``) plus ``<key>.available``; ``None`` values are left out.
    """
    from analysis.reporting.kernels import skip_slow_imports

    skip_slow_imports()  # scrapbook imports papermill and nbformat
    import scrapbook as sb
    from IPython.display import HTML, display

    display(HTML(section.html()))
    nums = {k: v for k, v in _jsonable(section.numbers).items() if v is not None}
    nums[f"{section.key}.available"] = bool(section.available)
    sb.glue(section.key, nums, encoder="json")


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return cx._num(v)


def report_numbers(notebook: str | Path) -> dict[str, Any]:
    """Every number an executed report recorded: ``{"glance.gdp.value": …, …}`` (all sections)."""
    import scrapbook as sb

    out: dict[str, Any] = {}
    for scrap in sb.read_notebook(str(notebook)).scraps.values():
        if isinstance(scrap.data, dict):
            out |= scrap.data
    return out
