"""Tables and figures of the framework's typology, uncertainty and obstacles (notebook 02).

Pure functions of the framework's outputs (``integration.parquet`` as a DataFrame): they return
DataFrames and matplotlib figures and read no files, so the notebook only loads, calls and shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.framework.spec import PATHWAYS, PILLARS

__all__ = ["typology_overview", "uncertainty_numbers", "rank_interval_figure", "obstacle_figure"]


def _names(lang: str) -> pd.Series:
    from analysis.data.provinces import PROVINCES

    return PROVINCES.set_index("province_code")["name_zh" if lang == "zh" else "name_en"]


def typology_overview(table: pd.DataFrame, year: int, lang: str = "en") -> pd.DataFrame:
    """One row per province in ``year``: primary model, confidence, lead shares, D with its rank
    interval, linkage (when present) and the pathways with the largest obstacle intensity.

    Parameters
    ----------
    table : pandas.DataFrame
        ``integration.parquet``.
    year : int
    lang : {"en", "zh"}

    Returns
    -------
    pandas.DataFrame
        Sorted by D rank.

    Raises
    ------
    ValueError
        ``year`` not in ``table``.
    """
    t = table[table["year"] == year].copy()
    if t.empty:
        raise ValueError(f"year {year} not in the table (years {sorted(table['year'].unique())})")
    t.insert(0, "province", t["province_code"].map(_names(lang)))
    t["D rank [90 %]"] = [f"{r} [{lo}–{hi}]" for r, lo, hi in
                          zip(t["D_rank"], t["D_rank_lo"], t["D_rank_hi"], strict=True)]
    cols = ["province", "model", "model_confidence", "model_profile", *[f"share_{p}" for p in PILLARS], "D",
            "D rank [90 %]"]
    if "linkage" in t.columns:
        t["linkage rank [90 %]"] = [f"{r} [{lo}–{hi}]" for r, lo, hi in zip(
            t["linkage_rank"], t["linkage_rank_lo"], t["linkage_rank_hi"], strict=True)]
        cols += ["linkage", "linkage rank [90 %]"]
    cols += ["obstacle_pathways"]
    return t.sort_values("D_rank")[cols].reset_index(drop=True)


def uncertainty_numbers(table: pd.DataFrame, year: int) -> dict:
    """The typology's headline uncertainty numbers in ``year`` (and switches over all years).

    Returns
    -------
    dict
        ``n``, ``share_confident`` (model_confidence ≥ 0.8), ``share_multi``,
        ``mean_switches`` (of ``model`` per province over the table's years), ``max_switches``,
        ``mean_rank_width`` (D_rank_hi − D_rank_lo), ``models`` (counts).
    """
    from analysis.framework.sensitivity import model_switches

    t = table[table["year"] == year]
    sw = model_switches(table.set_index(["province_code", "year"])["model"])["switches"]
    return dict(n=len(t), share_confident=float((t["model_confidence"] >= 0.8).mean()),
                share_multi=float((t["model"] == "multi").mean()),
                mean_switches=float(sw.mean()), max_switches=int(sw.max()),
                mean_rank_width=float((t["D_rank_hi"] - t["D_rank_lo"]).mean()),
                models=t["model"].value_counts().to_dict())


def rank_interval_figure(table: pd.DataFrame, year: int, lang: str = "en", column: str = "D"):
    """Each province's rank of ``column`` in ``year`` with its 90 % interval over the sensitivity
    draws (dot = baseline rank, bar = 5th–95th percentile), coloured by primary model."""
    import matplotlib.pyplot as plt

    t = table[table["year"] == year].sort_values(f"{column}_rank")
    names = t["province_code"].map(_names(lang))
    colours = {"chain": "#1f77b4", "platform": "#ff7f0e", "demand": "#2ca02c", "future": "#9467bd",
               "multi": "#7f7f7f"}
    fig, ax = plt.subplots(figsize=(7, 7.5))
    y = np.arange(len(t))
    for m, c in colours.items():
        sel = (t["model"] == m).to_numpy()
        if sel.any():
            ax.hlines(y[sel], t[f"{column}_rank_lo"].to_numpy()[sel], t[f"{column}_rank_hi"].to_numpy()[sel],
                      color=c, lw=3, alpha=0.5)
            ax.plot(t[f"{column}_rank"].to_numpy()[sel], y[sel], "o", color=c, label=m)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0.5, len(t) + 0.5)
    ax.set_xlabel(f"rank of {column} (1 = highest); bar: 90 % interval over the specifications"
                  if lang == "en" else f"{column} 排名（1 = 最高）；横条：各设定下的 90% 区间")
    ax.legend(frameon=False, fontsize=8, title="primary model" if lang == "en" else "主导模式",
              title_fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def obstacle_figure(table: pd.DataFrame, year: int, lang: str = "en"):
    """Heat map of obstacle intensity by pathway (rows: provinces by D rank). Intensity > 1: the
    province is further from the best provinces on that pathway than on average — a relative
    position, not a return on effort."""
    import matplotlib.pyplot as plt

    t = table[table["year"] == year].sort_values("D_rank")
    cols = [f"obstacle_intensity_{p}" for p in PATHWAYS]
    v = t[cols].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 7.5))
    lim = max(abs(np.log2(np.clip(v, 1e-3, None))).max(), 0.1)
    im = ax.imshow(np.log2(np.clip(v, 1e-3, None)), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.grid(False)
    for (i, j), x in np.ndenumerate(v):
        dark = abs(np.log2(max(x, 1e-3))) > 0.6 * lim
        ax.text(j, i, f"{x:.2f}", ha="center", va="center", fontsize=6,
                color="white" if dark else "black")
    ax.set_xticks(range(len(PATHWAYS)), [p.replace("_", "\n") for p in PATHWAYS], fontsize=7)
    ax.set_yticks(range(len(t)), t["province_code"].map(_names(lang)), fontsize=7)
    cb = fig.colorbar(im, ax=ax, shrink=0.6)
    cb.set_label("log2 obstacle intensity" if lang == "en" else "log2 障碍强度", fontsize=8)
    ax.set_title("Obstacle intensity by pathway (relative position, not return on effort)"
                 if lang == "en" else "各路径障碍强度（相对位置，不代表投入回报）", fontsize=9)
    fig.tight_layout()
    return fig
