"""Tables and figures of the research notebooks (``notebooks/01_…`` to ``06_…``).

Each ``nbXX_*`` function computes one notebook's tables (DataFrames) and figures (matplotlib)
from the processed data and the stored model results, using the measures layer for every
statistic (Dagum decomposition, kernel densities, convergence, Moran's I); the notebooks only
call these functions, show what they return and write it to ``reports/paper/`` with
:meth:`PaperOutput.table` (CSV + LaTeX) and :meth:`PaperOutput.figure` (PNG + PDF).

Nothing is estimated here that ``python -m analysis models`` already stores: regression
results are read from ``data/processed/results/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths
from analysis.reporting.figures import new_figure

REGION_ORDER = ["east", "central", "west", "northeast"]
REGION_COLORS = {"east": "#c0392b", "central": "#e67e22", "west": "#2980b9", "northeast": "#27ae60"}
KEY_VARS = ["gdp", "rd_exp", "rd_intensity", "rd_fte", "patent_grant_invention", "tech_market_seller",
            "hightech_revenue", "fiscal_st_exp", "tertiary_share", "urbanisation", "digital_finance"]


class MissingInputError(FileNotFoundError):
    """A processed table or stored result the notebook needs is not built yet."""


@dataclass
class PaperOutput:
    """Writes a notebook's tables and figures to ``reports/paper/`` (temp file + rename).

    Attributes
    ----------
    out_dir : pathlib.Path
        Output folder (created).
    written : list of str
        File names written, in order.
    lang : {"zh", "en"}, optional
        Language of the tables: English tables are written without arrows
        (:func:`analysis.models.tables.plain_english`).
    """

    out_dir: Path
    written: list[str] = field(default_factory=list)
    lang: str | None = None

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def table(self, df: pd.DataFrame, name: str, caption: str = "", notes: str = "",
              kinds: dict[str, str] | None = None) -> pd.DataFrame:
        """Write ``df`` as ``<name>.csv`` (raw numbers, UTF-8 with BOM for Excel) and ``<name>.tex``
        (the project's one LaTeX style, :func:`analysis.models.tables.latex_table`, numbers by
        :mod:`analysis.numfmt`; Chinese text needs the XeLaTeX/ctex preamble).

        Parameters
        ----------
        kinds : dict, optional
            Number kind per column (:data:`analysis.numfmt.KINDS`); default by column name
            (:func:`column_kind`).

        Returns
        -------
        pandas.DataFrame
            The table as shown: numbers formatted, rows labelled by its label column (``label``,
            ``term`` … or the first column) instead of 0, 1, 2 …
        """
        from analysis.models.tables import latex_table

        csv = df.to_csv(index=False).encode("utf-8-sig")
        paths.atomic_write_bytes(self.out_dir / f"{name}.csv", csv)
        shown = formatted(df, kinds)
        if self.lang == "en":
            from analysis.models.tables import plain_english

            shown = shown.map(plain_english)
            shown.columns = [plain_english(c) for c in shown.columns]
            caption, notes = plain_english(caption), plain_english(notes)
        align = "".join("r" if (kinds or {}).get(c) or column_kind(c, df[c]) else "l" for c in df.columns)
        tex = latex_table([[str(c) for c in shown.columns]], shown.astype(str).values.tolist(),
                          caption=caption, label=f"tab:{name}", notes=notes, align=align)
        paths.atomic_write_bytes(self.out_dir / f"{name}.tex", tex.encode("utf-8"))
        self.written += [f"{name}.csv", f"{name}.tex"]
        key = next((c for c in ("label", "term", "statistic", "quantity", "model", "test", "year", "spec")
                    if c in shown.columns), shown.columns[0])
        return shown.set_index(key)

    def figure(self, fig, name: str) -> None:
        """Save ``fig`` as ``<name>.png`` (150 dpi) and ``<name>.pdf`` and show it once.

        Figures of :mod:`analysis.reporting.paper` are not registered with pyplot (so the inline
        backend does not show them at the end of the cell that made them) and a pyplot figure is
        closed here; this displays the saved figure and returns nothing: each figure once.
        """
        for ext, kw in (("png", {"dpi": 150}), ("pdf", {})):
            target = self.out_dir / f"{name}.{ext}"
            tmp = target.with_name(f".{target.stem}.tmp{os.getpid()}.{ext}")
            fig.savefig(tmp, bbox_inches="tight", **kw)
            os.replace(tmp, target)
            self.written.append(f"{name}.{ext}")
        import matplotlib.pyplot as plt

        plt.close(fig)  # a pyplot figure would otherwise be shown again when the cell ends
        try:
            from IPython import get_ipython
            from IPython.display import Image, display

            if get_ipython() is not None:
                display(Image(filename=str(self.out_dir / f"{name}.png"), width=int(fig.get_figwidth() * 96)))
        except ImportError:  # pragma: no cover - IPython is a dependency
            pass


def column_kind(column: str, values: pd.Series) -> str | None:
    """Number kind of a table column by its name (:mod:`analysis.numfmt`); None for text."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    c = str(column).lower()
    if c in ("year", "years", "io_year"):
        return None
    if c in ("p", "p_value", "pvalue", "prob", "p_sim") or c.endswith(("_p", " p")) or c.startswith("p_"):
        return "pvalue"
    if c in ("n", "nobs", "n_obs", "n_missing", "count", "instruments") or c.startswith("n_"):
        return "count"
    if any(k in c for k in ("estimate", "std_error", "ci_", "coef", "beta", "se", "dydx", "effect")):
        return "coef"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    return "auto"


def formatted(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """``df`` with its numeric columns formatted by the number policy (strings; missing → —)."""
    from analysis.numfmt import num

    out = df.copy()
    for c in out.columns:
        kind = (kinds or {}).get(c) or column_kind(c, out[c])
        if kind is not None:
            out[c] = [num(v, kind) for v in out[c]]
        else:
            out[c] = ["—" if (isinstance(v, float) and pd.isna(v)) or v is None else str(v) for v in out[c]]
    return out


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    f = data_dir / name
    if not f.exists():
        raise MissingInputError(f"{f} not found: run `python -m analysis all` (or the step that writes it)")
    return pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)


def _data_dir(data_dir: str | Path | None) -> Path:
    return Path(data_dir) if data_dir else paths.processed_dir()


def _regions() -> pd.Series:
    from analysis.data.provinces import PROVINCES

    return PROVINCES.set_index("province_code")["region"]


def _labels(data_dir: Path, lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, key in (("codebook.csv", "variable"), ("integration_codebook.csv", "name")):
        f = data_dir / name
        if f.exists():
            cb = pd.read_csv(f)
            if key in cb.columns and f"label_{lang}" in cb.columns:
                out.update(dict(zip(cb[key], cb[f"label_{lang}"], strict=False)))
    return out


def stars(p: float) -> str:
    """Significance stars: * p<0.1, ** p<0.05, *** p<0.01 (the paper tables' rule,
    :func:`analysis.models.tables.stars_for`); empty for a missing or non-finite p."""
    from analysis.models.tables import stars_for

    return stars_for(p)


def coef_cell(est: float, se: float, p: float) -> str:
    """``0.123**`` over ``(0.045)``, as one string with a line break for tables."""
    return f"{est:.3f}{stars(p)} ({se:.3f})"


# --------------------------------------------------------------------------------------------
# 01 data overview
# --------------------------------------------------------------------------------------------


def nb01_data_overview(data_dir: str | Path | None = None, lang: str = "en",
                       years: tuple[int, int] = (2011, 2023)) -> dict[str, Any]:
    """Coverage of the panel and descriptive statistics of the key variables.

    Returns
    -------
    dict
        ``coverage`` (variable × years covered, observations, missing), ``descriptives``
        (N, mean, sd, min, p50, max over province-years in ``years``), ``fig_coverage``
        (share of provinces observed by variable and year), ``fig_rd`` (R&D intensity by NBS
        region, median across provinces), ``numbers``.
    """

    d = _data_dir(data_dir)
    panel = _read(d, "panel.parquet")
    cb = _read(d, "codebook.csv")
    lab = _labels(d, lang)
    keep = [v for v in KEY_VARS if v in panel.columns]
    cov = cb[cb["variable"].isin(keep)][["variable", "unit", "years_covered", "n_obs", "n_missing"]].copy()
    cov.insert(1, "label", cov["variable"].map(lab))
    from analysis.labels import Labels

    cov["unit"] = [Labels.unit_label(u, lang) for u in cov["unit"]]  # 亿元 → 100 million yuan in English
    sub = panel[(panel["year"] >= years[0]) & (panel["year"] <= years[1])]
    desc = sub[keep].describe(percentiles=[0.5]).T[["count", "mean", "std", "min", "50%", "max"]]
    desc.columns = ["N", "mean", "sd", "min", "p50", "max"]
    desc["N"] = desc["N"].astype(int)
    desc.insert(0, "label", [lab.get(v, v) for v in desc.index])
    desc = desc.reset_index(names="variable")
    share = panel.groupby("year")[keep].apply(lambda g: g.notna().mean())
    fig1, ax = new_figure(figsize=(10, 3.8))
    im = ax.imshow(share.T.to_numpy(), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    ax.set_yticks(range(len(keep)), [lab.get(v, v) for v in keep], fontsize=8)
    ax.set_xticks(range(0, len(share.index), 2), [str(y) for y in share.index[::2]], fontsize=8)
    fig1.colorbar(im, ax=ax, fraction=0.02, label="share of provinces observed" if lang == "en" else "有数据的省份占比")
    ax.grid(False)
    fig1.tight_layout()
    reg = _regions()
    p2 = panel.assign(region=panel["province_code"].map(reg))
    med = p2.groupby(["year", "region"])["rd_intensity"].median().unstack()[REGION_ORDER] * 100
    fig2, ax2 = new_figure(figsize=(7, 3.6))
    from analysis.labels import Labels

    region_label = Labels.region

    for r in REGION_ORDER:
        s = med[r].dropna()
        ax2.plot(s.index, s.to_numpy(), marker="o", ms=3, color=REGION_COLORS[r], label=region_label(r, lang))
    ax2.set_ylabel("R&D intensity, % (median)" if lang == "en" else "R&D 经费投入强度（%，中位数）")
    ax2.legend(frameon=False, fontsize=8)
    fig2.tight_layout()
    last = int(med.dropna(how="all").index.max())
    nums = {"n_provinces": int(panel["province_code"].nunique()), "years": [int(panel["year"].min()), int(panel["year"].max())],
            "rd_median_by_region_last": {r: float(med.loc[last, r]) for r in REGION_ORDER}, "rd_last_year": last}
    return {"coverage": cov, "descriptives": desc, "fig_coverage": fig1, "fig_rd": fig2, "numbers": nums}


# --------------------------------------------------------------------------------------------
# 02 measurement
# --------------------------------------------------------------------------------------------


def nb02_measurement(data_dir: str | Path | None = None, lang: str = "en") -> dict[str, Any]:
    """Subsystem indices, coupling coordination over time and space, disparity and convergence.

    Uses :func:`analysis.measures.dagum_gini_by` (Dagum 1997 decomposition of D by NBS region),
    :func:`analysis.measures.kernel_density_by` (Epanechnikov, Stata's default bandwidth),
    :func:`analysis.measures.sigma_convergence` and :func:`analysis.measures.beta_convergence`
    (absolute, and conditional with two-way fixed effects).
    """

    from analysis import measures
    from analysis.labels import Labels

    region_label = Labels.region

    d = _data_dir(data_dir)
    it = _read(d, "integration.parquet")
    if "region" not in it.columns:
        it["region"] = it["province_code"].map(_regions())
    years = sorted(int(y) for y in it["year"].unique())
    trend = it.groupby("year")[["U_st", "U_ind", "C", "T", "D"]].mean()
    fig1, ax = new_figure(figsize=(7, 3.6))
    names = {"U_st": "U₁ S&T" if lang == "en" else "U₁ 科技创新", "U_ind": "U₂ industry" if lang == "en" else "U₂ 产业创新",
             "D": "D", "C": "C", "T": "T"}
    for c, st in (("U_st", "-"), ("U_ind", "-"), ("T", ":"), ("D", "-")):
        ax.plot(trend.index, trend[c], st, marker="o", ms=3, label=names[c], lw=2.2 if c == "D" else 1.5)
    ax.set_ylabel("mean over 31 provinces" if lang == "en" else "31 个省份均值")
    ax.legend(frameon=False, fontsize=8, ncol=4)
    fig1.tight_layout()
    dag = measures.dagum_gini_by(it, "D", "region").reset_index()
    dag = dag[[c for c in ("year", "total", "within", "between", "transvariation", "share_within", "share_between",
                           "share_transvariation") if c in dag.columns]]
    fig2, ax2 = new_figure(figsize=(7, 3.4))
    kd = measures.kernel_density_by(it, "D", years=[years[0], years[len(years) // 2], years[-1]])
    ycol = "year" if "year" in kd.columns else kd.columns[0]
    xcol = next(c for c in kd.columns if c in ("x", "at", "grid"))
    dcol = next(c for c in kd.columns if c in ("density", "f", "y"))
    for y, g in kd.groupby(ycol):
        ax2.plot(g[xcol], g[dcol], label=str(y))
    ax2.set_xlabel("D")
    ax2.set_ylabel("density" if lang == "en" else "密度")
    ax2.legend(frameon=False, fontsize=8)
    fig2.tight_layout()
    sig = measures.sigma_convergence(it, "D").reset_index()
    beta_abs = measures.beta_convergence(it, "D", fixed_effects="none")
    beta_fe = measures.beta_convergence(it, "D", fixed_effects="twoway")
    conv = pd.DataFrame([_beta_row("absolute", beta_abs), _beta_row("conditional (two-way FE)", beta_fe)])
    by_region = it.groupby(["year", "region"])["D"].mean().unstack()
    fig3, ax3 = new_figure(figsize=(7, 3.4))
    for r in REGION_ORDER:
        if r in by_region:
            ax3.plot(by_region.index, by_region[r], marker="o", ms=3, color=REGION_COLORS[r], label=region_label(r, lang))
    ax3.set_ylabel("D (regional mean)" if lang == "en" else "D（区域均值）")
    ax3.legend(frameon=False, fontsize=8)
    fig3.tight_layout()
    fig_map = _d_map(it, d, years[-1], lang)
    nums = {"years": years, "D_mean_first": float(trend["D"].iloc[0]), "D_mean_last": float(trend["D"].iloc[-1]),
            "beta_abs": _beta_row("absolute", beta_abs), "beta_fe": _beta_row("fe", beta_fe)}
    return {"trend": trend.reset_index(), "dagum": dag, "sigma": sig, "convergence": conv, "fig_trend": fig1,
            "fig_kdensity": fig2, "fig_regions": fig3, "fig_map": fig_map, "numbers": nums}


def _beta_row(name: str, res) -> dict[str, Any]:
    out: dict[str, Any] = {"model": name}
    for a in ("beta", "se", "pvalue", "speed", "half_life", "nobs"):
        v = getattr(res, a, None)
        if v is not None:
            out[a] = float(v) if not isinstance(v, int | np.integer) else int(v)
    return out


def _d_map(it: pd.DataFrame, d: Path, year: int, lang: str):
    """Map of D in ``year``: titled with the variable and the year (all of China, inset, credit)."""
    from analysis.data.provinces import PROVINCES
    from analysis.reporting import maps

    shapes = maps.province_shapes([int(c) for c in PROVINCES["province_code"]], data_dir=d)
    if shapes is None:
        return None
    vals = it[it["year"] == year].set_index("province_code")["D"]
    title = (f"科技创新与产业创新耦合协调度 D，{year} 年" if lang == "zh"
             else f"Coupling coordination degree D of S&T and industrial innovation, {year}")
    return maps.draw_map(shapes, vals, legend_label="D", title=title, lang=lang)


# --------------------------------------------------------------------------------------------
# 03 baseline, 04 mechanisms and thresholds, 06 heterogeneity and GMM: stored results
# --------------------------------------------------------------------------------------------


def results_json(data_dir: str | Path | None = None) -> dict[str, Any]:
    """Headline numbers stored by ``python -m analysis models`` (``results/results.json``)."""
    f = _data_dir(data_dir) / "results" / "results.json"
    if not f.exists():
        raise MissingInputError(f"{f} not found: run `python -m analysis models`")
    return json.loads(f.read_text(encoding="utf-8"))


def coefficient_table(df: pd.DataFrame, col: str, labels: dict[str, str]) -> pd.DataFrame:
    """Wide table: one row per term, one column per ``col`` value, cells ``est*** (se)``."""
    df = df.copy()
    df["cell"] = [coef_cell(e, s, p) for e, s, p in zip(df["estimate"], df["std_error"], df["p_value"], strict=True)]
    wide = df.pivot_table(index="term", columns=col, values="cell", aggfunc="first", sort=False)
    wide.index = [labels.get(t, t) for t in wide.index]
    return wide.reset_index(names="term").fillna("")


def coef_plot(df: pd.DataFrame, group: str, term: str, labels: dict[str, str], lang: str, title: str = ""):
    """Point estimates with 95% intervals of ``term`` across ``group`` (models, specs, regions)."""

    sub = df[df["term"] == term].reset_index(drop=True)
    lo = sub["ci_lower"] if "ci_lower" in sub else sub["estimate"] - 1.96 * sub["std_error"]
    hi = sub["ci_upper"] if "ci_upper" in sub else sub["estimate"] + 1.96 * sub["std_error"]
    fig, ax = new_figure(figsize=(6.5, 0.5 + 0.45 * len(sub)))
    y = np.arange(len(sub))
    ax.errorbar(sub["estimate"], y, xerr=[sub["estimate"] - lo, hi - sub["estimate"]], fmt="o", color="#c0392b",
                ecolor="#34495e", capsize=3)
    ax.axvline(0, color="#7f8c8d", lw=1, ls="--")
    ax.set_yticks(y, [str(g) for g in sub[group]])
    ax.invert_yaxis()
    ax.set_xlabel(labels.get(term, term) + (" — coefficient, 95% CI" if lang == "en" else "——系数与 95% 置信区间"))
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def nb03_baseline(data_dir: str | Path | None = None, lang: str = "en") -> dict[str, Any]:
    """Baseline two-way FE models and robustness, from ``results/baseline`` and ``robustness``."""
    d = _data_dir(data_dir)
    lab = {**_labels(d, lang), **_model_labels(lang)}
    base = _read(d, "results/baseline.parquet")
    base = base.assign(model=base["model"] + " " + base["depvar"].map(lambda v: str(lab.get(v, v))))
    rob_all = _read(d, "results/robustness.parquet")
    rob = rob_all[rob_all["spec"] != "permutation test"]
    tab = coefficient_table(base, "model", lab)
    foot = base.groupby("model")[["nobs", "r2_within"]].first().T
    foot.index = ["N", "within R²"]
    foot = foot.reset_index(names="term")
    for c in tab.columns[1:]:
        foot[c] = foot[c].map(lambda v: f"{v:.3f}" if isinstance(v, float) and v < 1 else f"{int(v)}")
    tab = pd.concat([tab, foot[tab.columns]], ignore_index=True)
    rob_tab = coefficient_table(rob, "spec", lab)
    x = "rd_intensity_pct"
    fig_base = coef_plot(base, "model", x, lab, lang)
    rob2 = rob.assign(ci_lower=rob["estimate"] - 1.96 * rob["std_error"], ci_upper=rob["estimate"] + 1.96 * rob["std_error"])
    fig_rob = coef_plot(rob2, "spec", x, lab, lang)
    b = base[(base["model"] == base["model"].iloc[0]) & (base["term"] == x)].iloc[0]
    nums = {"x": x, "estimate": float(b["estimate"]), "std_error": float(b["std_error"]), "p_value": float(b["p_value"]),
            "nobs": int(b["nobs"]), "depvar": str(b["depvar"]),
            "wild_p_value": float(b["wild_p_value"]) if "wild_p_value" in b else float("nan")}
    perm = rob_all[rob_all["spec"] == "permutation test"]
    if len(perm):
        nums["permutation_p"] = float(perm["p_value"].iloc[0])
    return {"baseline": tab, "robustness": rob_tab, "fig_baseline": fig_base, "fig_robustness": fig_rob, "numbers": nums}


def nb03_specification_curve(data_dir: str | Path | None = None, lang: str = "en") -> dict[str, Any]:
    """The specification curve stored by the models step (``results/specification_curve.parquet``).

    Returns the full table, a summary by choice (median estimate, share significant at 5 %), the
    headline numbers of ``results.json`` and the figure (sorted estimates over the choice
    indicators, :func:`analysis.models.speccurve.specification_curve_figure`).
    """
    from analysis.models.speccurve import CHOICES, specification_curve_figure

    d = _data_dir(data_dir)
    t = _read(d, "results/specification_curve.parquet")
    head = results_json(d).get("specification_curve", {})
    rows = []
    for c in CHOICES:
        for v, g in t.groupby(c, sort=False):
            rows.append({"choice": c, "option": v, "n": len(g), "median_estimate": float(g["estimate"].median()),
                         "share_positive": float((g["estimate"] > 0).mean()),
                         "share_significant_5pct": float(g["significant"].mean())})
    by_choice = pd.DataFrame(rows)
    lab = {**_labels(d, lang), **_model_labels(lang)}
    fig = specification_curve_figure(t, x_label=lab.get("rd_intensity_pct", "rd_intensity_pct") if lang == "en"
                                     else "rd_intensity_pct")
    nums = {"n": int(len(t)), "median_estimate": float(t["estimate"].median()),
            "share_significant": float(t["significant"].mean()),
            "share_positive": float((t["estimate"] > 0).mean()),
            "share_significant_positive": float((t["significant"] & (t["estimate"] > 0)).mean()),
            "share_significant_negative": float((t["significant"] & (t["estimate"] < 0)).mean()),
            "by_inference": head.get("by_inference", {})}
    return {"table": t, "by_choice": by_choice, "figure": fig, "numbers": nums}


def _model_labels(lang: str) -> dict[str, str]:
    from analysis.labels import derived_by_lang

    return derived_by_lang()[lang]


def nb04_mechanisms_thresholds(data_dir: str | Path | None = None, lang: str = "en") -> dict[str, Any]:
    """Mediation (R&D → D → TS), moderation margins over D, Hansen threshold tests and regimes."""

    d = _data_dir(data_dir)
    med = _read(d, "results/mediation.parquet")
    mar = _read(d, "results/moderation_margins.parquet")
    tests = _read(d, "results/threshold_tests.parquet")
    reg = _read(d, "results/threshold_regimes.parquet")
    head = results_json(d).get("threshold", {})
    fig_m, ax = new_figure(figsize=(6.5, 3.4))
    ax.fill_between(mar["z"], mar["ci_lower"], mar["ci_upper"], color="#95a5a6", alpha=0.35, lw=0)
    ax.plot(mar["z"], mar["dydx"], color="#c0392b", lw=2)
    ax.axhline(0, color="#34495e", lw=1, ls="--")
    ax.set_xlabel("D (moderator)" if lang == "en" else "D（调节变量）")
    ax.set_ylabel("marginal effect of R&D intensity" if lang == "en" else "R&D 强度的边际效应")
    fig_m.tight_layout()
    share = reg.groupby("year")["regime"].apply(lambda r: (r > 0).mean())
    fig_t, ax2 = new_figure(figsize=(6.5, 3.2))
    ax2.bar(share.index, share.to_numpy() * 100, color="#2980b9")
    ax2.set_ylabel("% of provinces above γ₁" if lang == "en" else "高于门槛值 γ₁ 的省份占比（%）")
    fig_t.tight_layout()
    per = reg.groupby("regime")[["coef", "std_error"]].first().reset_index()
    gam = head.get("thresholds", [])
    per.insert(1, "range", [_regime_range(i, gam, head.get("convention", "within")) for i in per["regime"]])
    nums = {"thresholds": [float(g) for g in gam], "q": head.get("q"), "p_values": head.get("p_values"),
            "share_above_last": float(share.iloc[-1]), "last_year": int(share.index[-1])}
    return {"mediation": med, "margins": mar, "threshold_tests": tests, "regimes": per, "fig_margins": fig_m,
            "fig_regimes": fig_t, "numbers": nums}


def _regime_range(i: int, gammas: list[float], convention: str = "within") -> str:
    """Regime ``i`` as an interval: ``(a, b]`` under the "within" rule (q ≤ γ lower), ``[a, b)``
    under Hansen's (q < γ lower), the rule the models step used for search and coefficients."""
    edges = ["-inf", *[f"{g:.3f}" for g in gammas], "inf"]
    if convention == "hansen":
        return f"{'(' if i == 0 else '['}{edges[i]}, {edges[i + 1]})"
    return f"({edges[i]}, {edges[i + 1]}]"


def nb05_spatial(data_dir: str | Path | None = None, lang: str = "en", seed: int = 12345) -> dict[str, Any]:
    """Global Moran's I of D by year, local Moran clusters (LISA) in the last year, SDM effects.

    Weights: queen contiguity, Hainan linked to Guangdong, row-standardised
    (:func:`analysis.measures.contiguity_weights`); permutation inference with ``seed``.
    """

    from analysis import measures
    from analysis.data.provinces import PROVINCES
    from analysis.reporting import maps

    d = _data_dir(data_dir)
    it = _read(d, "integration.parquet")
    codes = [int(c) for c in PROVINCES["province_code"]]
    gdf = maps.read_boundaries(codes, d)
    if gdf is None:
        raise MissingInputError("province boundaries not found (data/processed/boundaries.parquet)")
    w = measures.contiguity_weights(gdf)
    mor = measures.moran_by_year(it, "D", w, seed=seed).reset_index()
    fig1, ax = new_figure(figsize=(6.5, 3.2))
    icol = next(c for c in mor.columns if c.lower() in ("i", "moran_i", "moran"))
    pcol = next((c for c in mor.columns if c.lower() in ("p_sim", "p_value", "p")), None)
    ax.plot(mor["year"], mor[icol], marker="o", color="#c0392b")
    ax.axhline(-1 / 30, color="#7f8c8d", ls="--", lw=1, label="E[I] = −1/(n−1)")
    ax.set_ylabel("Moran's I of D")
    ax.legend(frameon=False, fontsize=8)
    fig1.tight_layout()
    last = int(it["year"].max())
    vals = it[it["year"] == last].set_index("province_code")["D"]
    lisa = measures.local_moran(vals, w, seed=seed)
    eff = _read(d, "results/spatial_effects.parquet")
    lm = _read(d, "results/spatial_lm.parquet")
    nums = {"moran_last": float(mor[icol].iloc[-1]), "moran_p_last": float(mor[pcol].iloc[-1]) if pcol else None,
            "last_year": last}
    fig2 = None
    shapes = maps.province_shapes(codes, data_dir=d)
    if shapes is not None and "label" in lisa.columns:
        sig = lisa["significant_05"] if "significant_05" in lisa.columns else lisa["p_sim"] < 0.05
        fig2 = _lisa_map(shapes, lisa["label"].where(sig, "n.s."), lang, last)
        nums["lisa_significant"] = {str(k): str(v) for k, v in lisa.loc[sig, "label"].items()}
    return {"moran": mor, "lisa": lisa.reset_index(), "effects": eff, "lm": lm, "fig_moran": fig1, "fig_lisa": fig2,
            "numbers": nums}


#: LISA cluster colours and their meaning in words (Anselin 1995; quadrant of the Moran scatter plot).
LISA_CLASSES: dict[str, tuple[str, dict[str, str]]] = {
    "HH": ("#c0392b", {"en": "High–High: high D, neighbours high (hot spot)", "zh": "高–高：本省与邻省 D 均高（热点）"}),
    "LL": ("#2980b9", {"en": "Low–Low: low D, neighbours low (cold spot)", "zh": "低–低：本省与邻省 D 均低（冷点）"}),
    "HL": ("#f5b7b1", {"en": "High–Low: high D among low neighbours", "zh": "高–低：本省 D 高、邻省低"}),
    "LH": ("#aed6f1", {"en": "Low–High: low D among high neighbours", "zh": "低–高：本省 D 低、邻省高"}),
    "n.s.": ("#eef1f4", {"en": "Not significant (pseudo p ≥ 0.05)", "zh": "不显著（伪 p ≥ 0.05）"}),
}


def _lisa_map(shapes, clusters: pd.Series, lang: str, year: int, permutations: int = 999):
    """Local Moran cluster map of D: title with the variable and year, classes explained in words."""
    from analysis.reporting import maps

    colors = {int(k): LISA_CLASSES.get(str(v), LISA_CLASSES["n.s."])[0] for k, v in clusters.items()}
    legend = [(c, words[lang]) for c, words in LISA_CLASSES.values()]
    title = (f"耦合协调度 D 的局部 Moran 聚类（LISA），{year} 年" if lang == "zh"
             else f"Local Moran clusters (LISA) of D, {year}")
    label = (f"邻接：queen 邻接（海南连广东），{permutations} 次条件置换" if lang == "zh"
             else f"Queen contiguity (Hainan linked to Guangdong), {permutations} permutations")
    return maps.draw_map(shapes, colors=colors, legend=legend, legend_label=label, title=title, lang=lang)


def nb06_heterogeneity_gmm(data_dir: str | Path | None = None, lang: str = "en") -> dict[str, Any]:
    """Regional heterogeneity of the R&D coefficient and the system-GMM dynamic model."""
    from analysis.labels import Labels

    region_label = Labels.region

    d = _data_dir(data_dir)
    lab = {**_labels(d, lang), **_model_labels(lang)}
    het = _read(d, "results/heterogeneity.parquet")
    gmm = _read(d, "results/gmm.parquet")
    het2 = het.assign(group=[region_label(g, lang) for g in het["group"]],
                      ci_lower=het["estimate"] - 1.96 * het["std_error"], ci_upper=het["estimate"] + 1.96 * het["std_error"])
    fig = coef_plot(het2, "group", het["term"].iloc[0], lab, lang)
    tab = coefficient_table(het2, "group", lab)
    g = gmm[~gmm["term"].str.startswith("year_")]
    gtab = g[["term", "estimate", "std_error", "p_value"]].copy()
    gtab["term"] = gtab["term"].map(lambda t: lab.get(t, t))
    diag = gmm.iloc[0][["instruments", "hansen", "hansen_df", "hansen_p", "ar1", "ar1_p", "ar2", "ar2_p"]]
    nums = {"wald_F": float(het["wald_F"].iloc[0]), "wald_p": float(het["wald_p"].iloc[0]),
            "gmm_ar2_p": float(diag["ar2_p"]), "gmm_hansen_p": float(diag["hansen_p"]),
            "gmm_instruments": int(diag["instruments"]),
            "gmm_rho": float(gmm.loc[gmm["term"].str.startswith("L1."), "estimate"].iloc[0])}
    return {"heterogeneity": tab, "gmm": gtab, "gmm_diagnostics": diag.to_frame("value").reset_index(names="statistic"),
            "fig_heterogeneity": fig, "numbers": nums}
