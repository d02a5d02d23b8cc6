"""Synthetic processed tables with the contracted layout, for tests and benchmarks of reports.

:func:`write_synthetic` writes ``panel.parquet``, ``codebook.csv``, ``integration.parquet``,
``chain_linkage.parquet`` and ``results/`` (a threshold model and spatial Durbin effects) for the
31 real provinces into a folder, with made-up but internally consistent numbers (D = √(C·T) etc.).
Not data: never use for anything but exercising the reporting code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def _pathways() -> list[str]:
    """Pathway keys of the framework specification (``spec.yaml``), in its order."""
    from analysis.framework.spec import load_spec

    return list(load_spec().pathways)


def write_synthetic(folder: str | Path, years: tuple[int, int] = (2010, 2023), seed: int = 0,
                    parts: tuple[str, ...] = ("panel", "codebook", "integration", "chain", "results")) -> Path:
    """Write synthetic processed tables into ``folder`` (created); returns the folder.

    Layouts follow ``docs/CONTRACTS.md``: ``integration.parquet`` (with ``region``, ``D_level``,
    ``lagging`` in {st, ind, balanced}), ``integration_diagnostics.parquet`` (one indicator per
    pathway), ``chain_linkage.parquet``, ``results/threshold_regimes.parquet``,
    ``results/results.json`` and ``results/spatial_effects.parquet``.

    ``parts`` selects which tables to write (to test sections whose inputs are missing).
    """
    from analysis.data.provinces import PROVINCES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    PATHWAYS = _pathways()
    codes = PROVINCES["province_code"].to_numpy()
    yrs = np.arange(years[0], years[1] + 1)
    n, t = len(codes), len(yrs)
    level = rng.uniform(0.5, 2.0, n)
    grow = 1 + rng.uniform(0.03, 0.09, n)
    idx = pd.MultiIndex.from_product([codes, yrs], names=["province_code", "year"])
    p = pd.DataFrame(index=idx).reset_index()
    L = np.repeat(level, t)
    G = np.repeat(grow, t) ** (p["year"].to_numpy() - years[0])
    p["population"] = np.repeat(rng.uniform(300, 12000, n), t) * (1.005 ** (p["year"] - years[0]))
    p["gdp"] = p["population"] * 3.0 * L * G
    p["rd_intensity"] = np.clip(0.004 + 0.012 * L * G / G.max() * 2 + rng.normal(0, 0.001, n * t), 0.002, 0.07)
    p["rd_exp"] = p["rd_intensity"] * p["gdp"]
    p["patent_grant_invention"] = np.round(p["rd_exp"] * rng.uniform(8, 15, n * t))
    p["hightech_revenue"] = p["gdp"] * np.clip(0.05 + 0.1 * L / 2 + rng.normal(0, 0.01, n * t), 0.01, 0.6)
    p["tech_market_seller"] = p["gdp"] * np.clip(0.01 * L + rng.normal(0, 0.002, n * t), 0.0005, 0.2)
    p["va_tertiary"] = p["gdp"] * np.clip(0.4 + 0.05 * L + 0.004 * (p["year"] - years[0]), 0.3, 0.85)
    p["va_secondary"] = p["gdp"] * 0.38
    p.loc[(p["province_code"] == 540000) & (p["year"] < years[0] + 2), "rd_intensity"] = np.nan  # a gap
    parts = tuple(parts)
    if "panel" in parts:
        p.to_parquet(folder / "panel.parquet", index=False)
    if "codebook" in parts:
        pd.DataFrame(
            [
                ("gdp", "地区生产总值", "GDP", "亿元"),
                ("rd_exp", "R&D经费内部支出", "R&D expenditure", "亿元"),
                ("rd_intensity", "R&D经费投入强度", "R&D intensity", "share"),
                ("population", "年末常住人口", "Resident population", "万人"),
            ],
            columns=["variable", "label_zh", "label_en", "unit"],
        ).to_csv(folder / "codebook.csv", index=False)
    it = p[["province_code", "year"]].copy()
    it["U_st"] = np.clip(0.1 + 0.25 * L * G / G.max() + rng.normal(0, 0.02, n * t), 0.01, 0.99)
    it["U_ind"] = np.clip(0.12 + 0.22 * L * G / G.max() + rng.normal(0, 0.03, n * t), 0.01, 0.99)
    it["C"] = 2 * np.sqrt(it["U_st"] * it["U_ind"]) / (it["U_st"] + it["U_ind"])
    it["T"] = 0.5 * it["U_st"] + 0.5 * it["U_ind"]
    it["D"] = np.sqrt(it["C"] * it["T"])
    it["region"] = it["province_code"].map(PROVINCES.set_index("province_code")["region"])
    it["D_level"] = np.minimum((it["D"] * 10).astype(int), 9) + 1
    it["lagging"] = np.where(it["U_st"] < it["U_ind"] - 0.02, "st", np.where(it["U_ind"] < it["U_st"] - 0.02, "ind", "balanced"))
    pillars = ["chain", "platform", "demand", "future"]
    for k in pillars:
        it[f"pillar_{k}"] = np.clip(rng.uniform(0.1, 0.6, n * t) * (0.6 + 0.4 * L / 2), 0, 1)
    # Xinjiang 2023: every pillar at the bottom ("multi" with all z < 0: no dominant model yet)
    xj = (it["province_code"] == 650000) & (it["year"] == years[1])
    it.loc[xj, [f"pillar_{k}" for k in pillars]] = 0.01
    pv = it[[f"pillar_{k}" for k in pillars]].to_numpy()
    srt = np.sort(pv, axis=1)
    it["model"] = np.where(srt[:, -1] - srt[:, -2] < 0.03, "multi", np.array(pillars)[pv.argmax(axis=1)])
    it["model_cluster"] = np.array(pillars)[pv.argmax(axis=1)]
    for k in pillars:  # pillar z-scores: standardised across the provinces of each year
        g = it.groupby("year")[f"pillar_{k}"]
        it[f"z_{k}"] = (it[f"pillar_{k}"] - g.transform("mean")) / g.transform("std")
    # share of weight perturbations keeping the model: 0.64 every third year (a "tendency")
    it["model_stability"] = np.where(it["year"] % 3 == 0, 0.64, 1.0)
    for w in PATHWAYS:
        it[f"pathway_{w}"] = np.clip(rng.uniform(0.05, 0.8, n * t), 0, 1)
    pw = it[[f"pathway_{w}" for w in PATHWAYS]].to_numpy()
    low2 = np.argsort(pw, axis=1)[:, :2]
    it["weakest_pathways"] = [";".join(PATHWAYS[j] for j in row) for row in low2]
    if "integration" in parts:
        it.to_parquet(folder / "integration.parquet", index=False)
    if "integration" in parts:
        diag = it.melt(id_vars=["province_code", "year", "region"], value_vars=[f"pathway_{w}" for w in PATHWAYS],
                       var_name="pathway", value_name="value")
        diag["pathway"] = diag["pathway"].str.removeprefix("pathway_")
        diag["indicator"] = diag["pathway"] + "_ind"
        g = diag.groupby(["year", "indicator"])["value"]
        diag["pct_national"] = g.rank(pct=True, method="max")
        diag["frontier"] = g.transform("max")
        diag["frontier_province"] = diag.groupby(["year", "indicator"])["province_code"].transform(
            lambda c: c.loc[diag.loc[c.index, "value"].idxmax()])
        diag.to_parquet(folder / "integration_diagnostics.parquet", index=False)
    if "chain" in parts:
        cl = pd.DataFrame(
            [(c, y, rng.uniform(0.7, 1.4), rng.uniform(0.3, 0.8)) for c in codes for y in (2012, 2017)],
            columns=["province_code", "io_year", "chain_linkage", "local_sourcing"],
        )
        cl.to_parquet(folder / "chain_linkage.parquet", index=False)
    if "results" in parts:
        r = folder / "results"
        r.mkdir(exist_ok=True)
        gamma = 0.02
        tr = p[["province_code", "year", "rd_intensity"]].dropna().copy()
        tr["regime"] = (tr["rd_intensity"] > gamma).astype(int)
        tr["coef"] = np.where(tr["regime"] == 0, 0.21, 0.45)
        tr["std_error"] = np.where(tr["regime"] == 0, 0.08, 0.1)
        tr["threshold_var"] = "rd_intensity"
        tr.to_parquet(r / "threshold_regimes.parquet", index=False)
        (r / "results.json").write_text(json.dumps({
            "threshold": {"q": "rd_intensity", "thresholds": [gamma], "p_values": [0.01, 0.5],
                          "regime_sizes": {"0": int((tr["regime"] == 0).sum()), "1": int((tr["regime"] == 1).sum())},
                          "warning": "threshold: a regime has only 19 obs, at the 5 % trimming bound (19)"},
            "spatial": {"rho": 0.12}}))
        pd.DataFrame({
            "variable": ["rd_intensity_pct"] * 3, "effect": ["direct", "indirect", "total"],
            "estimate": [0.31, 0.12, 0.43], "std_error": [0.05, 0.06, 0.07], "p_value": [0.0, 0.045, 0.0],
        }).to_parquet(r / "spatial_effects.parquet", index=False)
    return folder
