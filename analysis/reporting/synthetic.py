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
    # a data-layer adjustment: Beijing's last GDP back-cast (as analysis.data.vintage flags it)
    p["gdp_flag"] = pd.Series(pd.NA, index=p.index, dtype="string")
    p.loc[(p["province_code"] == 110000) & (p["year"] == years[1]), "gdp_flag"] = "vintage back-cast: synthetic x 1.01"
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
    # share of the uncertainty analysis's specifications in which the model's pillar leads (framework
    # v2 model_confidence, = model_stability): 0.64 every third year (a "tendency"); Guangdong
    # (440000) 0.55 in the last year (the known low-confidence province of the tests)
    it["model_confidence"] = np.where(it["year"] % 3 == 0, 0.64, 1.0)
    it.loc[(it["province_code"] == 440000) & (it["year"] == years[1]), "model_confidence"] = 0.55
    it["model_stability"] = it["model_confidence"]
    it["model_profile"] = np.where(it["model"] == "multi", "chain+demand", it["model"])
    for k in pillars:  # the standard score's 90 % interval and the share of specifications leading
        it[f"z_{k}_lo"] = it[f"z_{k}"] - 0.4
        it[f"z_{k}_hi"] = it[f"z_{k}"] + 0.4
        it[f"share_{k}"] = np.where(it["model"] == k, it["model_confidence"], (1 - it["model_confidence"]) / 3)
    it["D_rank"] = it.groupby("year")["D"].rank(ascending=False, method="min").astype("int64")
    it["D_rank_lo"] = np.maximum(it["D_rank"] - 2, 1)
    it["D_rank_hi"] = np.minimum(it["D_rank"] + 3, n)
    it["linkage"] = np.clip(rng.uniform(0.05, 0.5, n * t), 0, 1)
    it["linkage_rank"] = it.groupby("year")["linkage"].rank(ascending=False, method="min").astype("int64")
    it["linkage_rank_lo"] = np.maximum(it["linkage_rank"] - 3, 1)
    it["linkage_rank_hi"] = np.minimum(it["linkage_rank"] + 4, n)
    for w in PATHWAYS:
        it[f"pathway_{w}"] = np.clip(rng.uniform(0.05, 0.8, n * t), 0, 1)
    pw = it[[f"pathway_{w}" for w in PATHWAYS]].to_numpy()
    low2 = np.argsort(pw, axis=1)[:, :2]
    it["weakest_pathways"] = [";".join(PATHWAYS[j] for j in row) for row in low2]
    # obstacle degree: the pathways' shares of the distance to the ideal (sum 1), equal weight shares
    ob = rng.dirichlet(np.ones(len(PATHWAYS)), n * t)
    wshare = np.full(len(PATHWAYS), 1 / len(PATHWAYS))
    for j, w in enumerate(PATHWAYS):
        it[f"obstacle_{w}"] = ob[:, j]
        it[f"obstacle_intensity_{w}"] = ob[:, j] / wshare[j]
    it["distance_ideal"] = 1 - it["T"]
    top2 = np.argsort(-ob, axis=1, kind="stable")[:, :2]
    it["obstacle_pathways"] = [";".join(PATHWAYS[j] for j in row) for row in top2]
    # fills: every province's first pathway indicator carried forward in the last year (publication
    # lag); Tibet's second one never observed (the year's worst value) in every year
    fills = [(c, years[1], f"{PATHWAYS[0]}_ind", "carried forward (publication lag)") for c in codes]
    fills += [(540000, y, f"{PATHWAYS[1]}_ind", "worst value of the year") for y in yrs]
    fills = pd.DataFrame(fills, columns=["province_code", "year", "indicator", "method"])
    nf = fills.groupby(["province_code", "year"])["indicator"].agg(["size", lambda x: ";".join(sorted(x))])
    nf.columns = ["n_filled", "filled"]
    it = it.merge(nf.reset_index(), on=["province_code", "year"], how="left")
    it["n_filled"] = it["n_filled"].fillna(0).astype("int64")
    it["filled"] = it["filled"].fillna("")
    if "integration" in parts:
        it.to_parquet(folder / "integration.parquet", index=False)
        fills.to_parquet(folder / "integration_fills.parquet", index=False)
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
        # the indicator's obstacle degree: its pathway's (one indicator per pathway)
        diag["obstacle"] = [float(it.loc[i, f"obstacle_{p}"]) for i, p in
                            zip(diag.index % len(it), diag["pathway"], strict=True)]
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
            # spatial dependence not supported under contiguity, supported under economic distance
            "spatial": {"rho": 0.12, "interpret_spillovers": {"queen": False, "economic": True},
                        "verdicts": {
                            "queen": {"model": "none", "interpret_spillovers": False, "alpha": 0.05,
                                      "lm_p": {"LM lag": 0.69, "LM error": 0.69, "robust LM lag": 0.083,
                                               "robust LM error": 0.083},
                                      "wald_lr_p": {"Wald SAR": 0.42, "LR SAR": 0.383, "Wald SEM": 0.37,
                                                    "LR SEM": 0.378}},
                            "economic": {"model": "sdm", "interpret_spillovers": True, "alpha": 0.05,
                                         "lm_p": {"LM lag": 0.083, "LM error": 0.9, "robust LM lag": 0.0001,
                                                  "robust LM error": 0.0004},
                                         "wald_lr_p": {"Wald SAR": 0.0002, "LR SAR": 0.0002, "Wald SEM": 0.00004,
                                                       "LR SEM": 0.00006}}}}}))
        eff = pd.DataFrame({
            "variable": ["rd_intensity_pct"] * 3, "effect": ["direct", "indirect", "total"],
            "estimate": [0.31, 0.12, 0.43], "std_error": [0.05, 0.06, 0.07], "p_value": [0.0, 0.045, 0.0],
        })
        eff.to_parquet(r / "spatial_effects.parquet", index=False)
        both = pd.concat([eff.assign(W="queen"), eff.assign(W="economic", estimate=[0.28, 0.21, 0.49])])
        both.to_parquet(r / "spatial_effects_all.parquet", index=False)
    return folder
