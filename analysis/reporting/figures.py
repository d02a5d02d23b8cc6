"""The charts of a province report, drawn from the section contexts, cheaply.

Sized to be read on a phone: 6.4 inches wide (640 px at the reports' 100 dpi, shown at that size
on a desktop and scaled to about 0.55 on a 390 px screen) with 10–12 pt type, panels stacked
rather than side by side.

Each function takes a context record (:mod:`analysis.reporting.context`), the language and the
labels, and returns a matplotlib figure with a fixed layout: margins are computed from the
label lengths instead of ``tight_layout`` (which draws the figure once more), so a chart costs
one draw when it is saved. :func:`png_data_uri` saves and closes it. Words in the figures come
from the labels (:class:`analysis.labels.Labels`) and :mod:`analysis.reporting.i18n`.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from analysis.labels import Labels
from analysis.reporting.context import (
    CouplingContext,
    IndicesContext,
    MapContext,
    ModelsContext,
    PathwaysContext,
)
from analysis.reporting.i18n import t

#: Figure width (inches) and type sizes (points).
WIDTH = 6.4
TICK, LABEL, LEGEND = 10, 11, 10
OWN = "#c0392b"
MEDIAN = "#34495e"
PEERS = "#2980b9"
OTHER = "#95a5a6"


def new_figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kw):
    """A figure and its axes, not registered with pyplot: nothing shows it unless the code does
    (the inline backend would otherwise display it a second time), and it needs no closing."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kw)


def png_data_uri(fig, dpi: int = 100) -> str:
    """``data:image/png;base64,…`` of ``fig`` (saved as laid out)."""
    buf = io.BytesIO()
    # a light zlib level: PNGs of flat-colour charts shrink little further, and encoding at the
    # default level was a tenth of a report's time
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 2})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _text_width_in(texts: list[str], fontsize: float) -> float:
    """Approximate rendered width (inches) of the longest text: CJK characters are one em wide,
    others about 0.55 em."""
    def em(s: str) -> float:
        return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in s)

    return max((em(s) for s in texts), default=0) * fontsize / 72


def legend_outside(ax, markerscale: float = 1.0) -> Any:
    """Legend above the plot area, right-aligned, outside the bars (so it cannot read as data)."""
    handles, labels = ax.get_legend_handles_labels()
    return ax.legend(handles, labels, fontsize=LEGEND, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0),
                     ncol=max(len(labels), 1), borderaxespad=0.2, handletextpad=0.4, columnspacing=1.2,
                     markerscale=markerscale)


def _lines(ax, s, own_label: str, lang: str) -> None:
    ax.plot(s.index, s["own"], marker="o", ms=3.5, lw=2.2, color=OWN, label=own_label)
    ax.plot(s.index, s["national_median"], lw=1.5, ls="--", color=MEDIAN, label=t("national_median", lang))
    if s["peers"].notna().any():
        ax.plot(s.index, s["peers"], lw=1.5, ls=":", color=PEERS, label=t("regional_peers", lang))
    ax.xaxis.get_major_locator().set_params(integer=True, nbins=5)
    ax.yaxis.get_major_locator().set_params(nbins=5)
    ax.tick_params(labelsize=TICK)


def indices_figure(ctx: IndicesContext, lang: str, name: str):
    """U₁ and U₂ of the province (one panel each, stacked), the national median and the regional
    peers' mean."""
    cols = list(ctx.series)
    fig, axes = new_figure((WIDTH, 2.5 * len(cols) + 0.5), len(cols), 1, sharex=True, squeeze=False)
    for ax, col in zip(axes[:, 0], cols, strict=True):
        _lines(ax, ctx.series[col].stats, name, lang)
        # a plain text, not set_title: the title's automatic placement costs a layout pass
        ax.text(0.0, 1.03, t("u_st" if col == "U_st" else "u_ind", lang), transform=ax.transAxes, ha="left",
                va="bottom", fontsize=LABEL + 1)
    axes[0][0].legend(fontsize=LEGEND, loc="upper left", frameon=False)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.07, top=0.93, hspace=0.28)
    return fig


def coupling_figure(ctx: CouplingContext, lang: str, name: str, labels: Labels):
    """D over time with the ten-level classes as bands (labelled on the right)."""
    from matplotlib import colormaps

    s = ctx.D.stats
    own = s["own"].dropna()
    lo = max(0.0, np.floor(min(own.min(), s["national_median"].min()) * 10) / 10 - 0.05)
    hi = min(1.0, np.ceil(max(own.max(), s["national_median"].max()) * 10) / 10 + 0.05)
    bands = [(k / 10, (k + 1) / 10, labels.d_class(k + 1, lang)) for k in range(10)
             if (k + 1) / 10 > lo and k / 10 < hi]
    right_in = _text_width_in([b[2] for b in bands], TICK) + 0.15
    fig, ax = new_figure((WIDTH, 3.4))
    for a, b, lab in bands:
        ax.axhspan(a, b, color=colormaps["RdYlGn"](0.15 + 0.7 * a), alpha=0.12, lw=0)
        ax.text(1.01, (max(a, lo) + min(b, hi)) / 2, lab, transform=ax.get_yaxis_transform(), fontsize=TICK,
                va="center", ha="left", color="#555555", clip_on=False)
    _lines(ax, s, name, lang)
    ax.set_ylabel("D", fontsize=LABEL)
    ax.set_ylim(lo, hi)
    ax.set_xlim(s.index.min() - 0.3, s.index.max() + 0.3)
    ax.legend(fontsize=LEGEND, loc="upper left", frameon=False)
    fig.subplots_adjust(left=0.1, right=1 - right_in / WIDTH, bottom=0.1, top=0.97)
    return fig


def _barh_layout(fig, ax, ylabels: list[str], height: float) -> None:
    left = (_text_width_in(ylabels, LABEL) + 0.2) / WIDTH
    fig.subplots_adjust(left=left, right=0.97, bottom=0.62 / height, top=1 - 0.42 / height)


def models_figure(ctx: ModelsContext, lang: str, name: str, labels: Labels):
    """The four pillar scores of the province beside the national median (latest year)."""
    cols = list(ctx.pillars)
    ylabels = [labels.pillar(c, lang) for c in cols]
    own = [ctx.pillars[c][0] for c in cols]
    med = [ctx.pillars[c][1] for c in cols]
    height = 3.2
    fig, ax = new_figure((WIDTH, height))
    y = np.arange(len(cols))
    ax.barh(y + 0.18, own, height=0.36, color=OWN, label=name)
    ax.barh(y - 0.18, med, height=0.36, color=OTHER, label=t("national_median", lang))
    ax.set_yticks(y, ylabels, fontsize=LABEL)
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(nbins=5)
    ax.tick_params(axis="x", labelsize=TICK)
    ax.set_xlabel(t("score", lang) + f" ({ctx.year})", fontsize=LABEL)
    legend_outside(ax)
    _barh_layout(fig, ax, ylabels, height)
    return fig


def pathways_figure(ctx: PathwaysContext, lang: str, labels: Labels):
    """The five pathways' obstacle degrees (share of the distance to the best-observed values) with
    their weight shares as ticks, the two largest obstacle intensities in red (a bar beyond its
    tick: intensity > 1); without obstacle degrees (version 1) the pathway scores with the national
    medians as ticks, the two lowest-ranked in red."""
    if ctx.obstacles:
        ylabels = [labels.pathway(o.key, lang) for o in ctx.obstacles]
        height = 3.5
        fig, ax = new_figure((WIDTH, height))
        y = np.arange(len(ctx.obstacles))
        colors = [OWN if o.key in ctx.weakest else "#7f8c8d" for o in ctx.obstacles]
        share = np.array([o.obstacle for o in ctx.obstacles]) * 100
        ax.barh(y, share, color=colors, height=0.6)
        ws = np.array([np.nan if o.weight_share is None else o.weight_share for o in ctx.obstacles]) * 100
        ax.scatter(ws, y, marker="|", s=260, color="#1f2d3d", zorder=3, label=t("weight_share", lang))
        ax.set_yticks(y, ylabels, fontsize=LABEL)
        ax.invert_yaxis()
        ax.set_xlim(0, max(float(np.nanmax(np.r_[share, ws])) * 1.1, 10))
        ax.tick_params(axis="x", labelsize=TICK)
        ax.set_xlabel(t("obstacle_axis", lang, year=ctx.obstacle_year), fontsize=LABEL)
        legend_outside(ax, markerscale=0.6)
        _barh_layout(fig, ax, ylabels, height)
        return fig
    idx = list(ctx.diag.index)
    ylabels = [labels.pathway(c, lang) for c in idx]
    height = 3.5
    fig, ax = new_figure((WIDTH, height))
    y = np.arange(len(idx))
    colors = [OWN if str(c).removeprefix("pathway_") in ctx.weakest else "#7f8c8d" for c in idx]
    ax.barh(y, ctx.diag["score"], color=colors, height=0.6)
    ax.scatter(ctx.diag["median"].to_numpy(), y, marker="|", s=260, color="#1f2d3d", zorder=3,
               label=t("national_median", lang))
    ax.set_yticks(y, ylabels, fontsize=LABEL)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.tick_params(axis="x", labelsize=TICK)
    ax.set_xlabel(t("score", lang) + f" ({ctx.year})", fontsize=LABEL)
    legend_outside(ax, markerscale=0.6)
    _barh_layout(fig, ax, ylabels, height)
    return fig


def map_image(ctx: MapContext, shapes, lang: str) -> tuple[str, int, int]:
    """Map of D (all of China, South China Sea inset) with the province outlined in red and its
    neighbours dashed, as a PNG data URI and its pixel size
    (:func:`analysis.reporting.maps.province_map_png`: the map is drawn once per year and language)."""
    from analysis.reporting import maps

    png, w, h = maps.province_map_png(shapes, ctx.values, ctx.code, ctx.neighbours,
                                      legend_label=f"D ({ctx.year})" if ctx.year else "", lang=lang,
                                      width=WIDTH, text_scale=1.3)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii"), w, h
