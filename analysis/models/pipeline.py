"""Estimate the paper's models on the real province panel and store their results once.

Called by ``python -m analysis models`` (and ``all``). Reads

* ``data/processed/panel.parquet`` (required; ``python -m analysis data build``),
* ``data/processed/integration.parquet`` (optional: ``U_st``, ``D``; framework layer),
* ``data/processed/chain_linkage_panel.parquet`` (optional: ``chain_linkage``; measures layer),
* ``data/processed/codebook.csv`` (labels), and province boundaries for the spatial weights
  (``data/processed/boundaries.parquet``, else the raw GeoJSON files).

Variables (province-year, 31 provinces)
---------------------------------------
* Outcome: advanced industrial structure ``TS = va_tertiary / va_secondary``
  (:func:`analysis.measures.structure.advanced_structure`; 干春晖等 2011). Alternatives in the
  robustness table: structure level ``H`` and rationalisation ``TL_neg = −Theil``.
* S&T innovation: ``rd_intensity_pct`` = R&D expenditure / GDP × 100.
* Integration: coupling coordination ``D`` of the S&T and industrial subsystems (when the
  integration table exists), industrial-chain linkage ``chain_linkage`` (when it exists).
* Controls: ``ln_gdp_pc`` = log real GDP per capita (元, base-year prices), ``urbanisation``
  (share), ``fiscal_share`` = general budget expenditure / GDP.

Models
------
1. Baseline two-way FE (province and year), province-clustered, reghdfe small-sample
   correction: (1) R&D + controls; (2) + D; (3) + chain linkage (as available).
2. Robustness of (1): regressors lagged one year, winsorised 1/99 %, without the four
   municipalities, alternative outcomes H and TL_neg.
3. Heterogeneity of (1) by NBS region, with the interaction Wald test.
4. Hansen (1999) threshold model (``analysis.models.threshold.hansen_threshold``): TS on
   R&D intensity with regimes in log GDP per capita, controls regime-independent, double
   threshold tested, 300 bootstrap replications, seed 20260101.
5. Spatial Durbin model (``analysis.models.spatial.spatial_panel``), two-way FE, queen
   contiguity (Hainan linked to Guangdong), LeSage–Pace effects (1000 draws, seed), plus the
   LM tests.
6. Mechanism: R&D → integration D → TS, stepwise mediation with Sobel and a 1000-draw
   province-cluster bootstrap, reported with the 江艇 (2022) X→M estimate; moderation of the
   R&D effect by D (centred interaction, marginal effects).
7. Dynamic panel: system GMM (TS on its lag, R&D and controls; collapsed instruments,
   year dummies), AR(2) and Hansen tests.

Caveat on ``chain_linkage``: provincial input-output tables exist only for some years, so the
panel value is carried forward between tables (``chain_linkage_flag``); with year effects its
coefficient is identified only from the change between successive tables. The baseline table
says how many distinct values per province the estimation sample holds.

Outputs: tables ``reports/paper/<name>_<lang>.{md,html,tex,csv}`` and tidy results in
``data/processed/results/`` (parquet + ``results.json``), which the per-province reports read:
``baseline.parquet``, ``robustness.parquet``, ``heterogeneity.parquet``,
``threshold_regimes.parquet`` (each province-year's regime and regime coefficient),
``threshold_tests.parquet``, ``spatial_effects.parquet``, ``spatial_lm.parquet``; the
LeSage–Pace effects also as a table ``spatial_effects_<lang>.*``.
Raises ``FileNotFoundError`` when the panel is missing. Whether to run at all is decided by the
step runner (:mod:`analysis.steps`), which keys this step on its input files and the code it
imports; :func:`run` always estimates.

Failing blocks leave no stale output
------------------------------------
Each block (baseline, robustness, heterogeneity, threshold, spatial, mechanisms, gmm) runs in
its own ``try``/``except`` and, when it fails, records ``failed[<block>] = "<Error>: <message>"``.
:data:`BLOCK_OUTPUTS` lists, per block, the files it writes (glob patterns: ``results/…`` under
``data/processed/``, ``paper/…`` under ``reports/``). At the end of :func:`run`,
:func:`discard_blocks` deletes the files of every block that failed **or wrote nothing this
run** (e.g. mediation without an integration table), so neither the reports nor the notebooks
can read a previous run's table for it; ``results.json`` lists them under ``discarded``, and the
runner reports the models step failed (exit code 1), naming the blocks. To add a block: give it
an entry in :data:`BLOCK_OUTPUTS`, use the same name as its key in ``failed``, and append
what it writes to ``written`` (as ``_write_table`` / ``results/<file>`` entries).

This module is the models layer's only reader/writer of files (the estimators know nothing of
paths), in the way ``analysis.data.pipeline`` is for the data layer.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths
from analysis.labels import derived_by_lang

SEED = 20260101
#: Wild cluster bootstrap of every clustered coefficient (MacKinnon, Nielsen & Webb 2023):
#: WCR, Rademacher weights (Webb with fewer than ``MIN_CLUSTERS`` clusters), 9,999 draws.
WILD = {"reps": 9999, "seed": SEED}
MIN_CLUSTERS = 10
KEYS = ["province_code", "year"]
CONTROLS = ["ln_gdp_pc", "urbanisation", "fiscal_share"]
X_MAIN = "rd_intensity_pct"
Y_MAIN = "TS"

#: Labels of the variables derived here, ``{"en": {name: label}, "zh": {...}}``: from the one
#: derived-labels file (``analysis/derived_labels.yaml``, :mod:`analysis.labels`), which the reports
#: read too; the codebooks label the panel's and the framework's own columns.
DERIVED_LABELS = derived_by_lang()


#: Units of the baseline variables, stated under the baseline table.
UNITS_NOTE = {
    "en": ("Units: TS = tertiary / secondary value added (ratio); R&D intensity = R&D "
           "expenditure / GDP × 100 (%); log real GDP per capita in yuan at constant prices; "
           "urbanisation = urban / total population (share, 0–1); fiscal expenditure / GDP "
           "(ratio); D in [0, 1]."),
    "zh": ("单位：TS为第三产业增加值/第二产业增加值（比值）；R&D投入强度为R&D经费/GDP×100（%）；"
           "人均实际GDP为基年（2010年）不变价元取对数；城镇化率为城镇人口/总人口（0–1）；财政支出/GDP为比值；"
           "D取值于[0, 1]。"),
}


def _sample_note(res, frame: pd.DataFrame, lang: str) -> str:
    """Years and provinces actually used by each baseline column (they differ by column)."""
    parts = []
    for k, r in res.items():
        cols = [r.depvar, *r.params.index]
        s = frame.dropna(subset=[c for c in cols if c in frame.columns])
        parts.append(f"{k} {int(s.year.min())}–{int(s.year.max())}, "
                     f"{s.province_code.nunique()}" + (" provinces" if lang == "en" else "个省份"))
    return ("Samples: " if lang == "en" else "样本：") + "; ".join(parts) + \
        ("." if lang == "en" else "。")


def _chain_note(frame: pd.DataFrame, r, lang: str) -> str | None:
    """How many distinct chain-linkage values each province has in the column's sample."""
    if "chain_linkage" not in r.params.index:
        return None
    s = frame.dropna(subset=[r.depvar, *r.params.index])
    nd = s.groupby("province_code")["chain_linkage"].nunique()
    yrs = f"{int(s.year.min())}–{int(s.year.max())}"
    lo, hi = int(nd.min()), int(nd.max())
    n = str(lo) if lo == hi else f"{lo}–{hi}"
    if lang == "en":
        return (f"Chain linkage comes from input-output tables carried forward between table "
                f"years: over {yrs} each province has {n} distinct "
                "values, so its coefficient is identified only by the change between tables.")
    return (f"产业链关联度来自投入产出表，表间年份沿用上一张表的数值：{yrs}年每个省份仅有"
            f"{n}个不同取值，系数仅由相邻两张表之间的变化识别。")


def _log(verbose: bool, msg: str) -> None:
    if verbose:
        print(f"models: {msg}", flush=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


#: Files each block writes: ``results/…`` under ``data/processed/``, ``paper/…`` under
#: ``reports/`` (see "Failing blocks leave no stale output" in the module docstring).
BLOCK_OUTPUTS: dict[str, tuple[str, ...]] = {
    "baseline": ("results/baseline.parquet", "paper/baseline_*"),
    "robustness": ("results/robustness.parquet", "paper/robustness_*"),
    "heterogeneity": ("results/heterogeneity.parquet", "paper/heterogeneity_*"),
    "threshold": ("results/threshold_regimes.parquet", "results/threshold_tests.parquet",
                  "paper/threshold_*"),
    "spatial": ("results/spatial_effects.parquet", "results/spatial_lm.parquet",
                "paper/spatial_sdm_*", "paper/spatial_effects_*", "paper/spatial_effects.csv"),
    "mechanisms": ("results/mediation.parquet", "results/moderation_margins.parquet",
                   "paper/mediation_*", "paper/moderation_*"),
    "gmm": ("results/gmm.parquet", "paper/gmm_*"),
}


def _block_root(pattern: str) -> Path:
    return paths.processed_dir() if pattern.startswith("results/") else paths.reports_dir()


def block_written(block: str, written: list[str]) -> bool:
    """Whether ``written`` (entries as :func:`run` records them) holds a file of ``block``."""
    from fnmatch import fnmatch

    names = [w if w.startswith("results/") else f"paper/{w}" for w in written]
    return any(fnmatch(n, pat) for n in names for pat in BLOCK_OUTPUTS[block])


def discard_blocks(blocks) -> list[str]:
    """Delete every file of the given blocks (:data:`BLOCK_OUTPUTS`); returns what was deleted
    (paths relative to the project root).

    Raises
    ------
    KeyError
        A block name that is not in :data:`BLOCK_OUTPUTS`.
    """
    gone = []
    for block in blocks:
        for pat in BLOCK_OUTPUTS[block]:
            root = _block_root(pat)
            for f in sorted(root.glob(pat)):
                if f.is_file():
                    f.unlink()
                    gone.append(f.relative_to(paths.project_root()).as_posix()
                                if f.is_relative_to(paths.project_root()) else str(f))
    return gone


def _write_df(path: Path, df: pd.DataFrame) -> None:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    paths.atomic_write_bytes(path, buf.getvalue())


def _write_table(out: Path, name: str, table_by_lang: dict) -> list[str]:
    written = []
    for lang, tab in table_by_lang.items():
        for ext in ("md", "html", "tex", "csv"):
            p = out / f"{name}_{lang}.{ext}"
            # CSV with a BOM so that Excel reads the Chinese labels as UTF-8
            enc = "utf-8-sig" if ext == "csv" else "utf-8"
            paths.atomic_write_bytes(p, tab.render(ext, name=name).encode(enc))
            written.append(p.name)
    return written


def load_labels() -> dict[str, dict[str, str]]:
    """Labels for tables: the codebook's, then the derived variables' (both languages)."""
    out = {"en": dict(DERIVED_LABELS["en"]), "zh": dict(DERIVED_LABELS["zh"])}
    for name in ("codebook.csv", "integration_codebook.csv"):
        p = paths.processed_dir() / name
        if not p.exists():
            continue
        cb = pd.read_csv(p, encoding="utf-8-sig")
        key = "variable" if "variable" in cb.columns else "name"
        for lang in ("en", "zh"):
            col = f"label_{lang}"
            if key in cb.columns and col in cb.columns:
                for k, v in zip(cb[key], cb[col], strict=True):
                    if isinstance(v, str) and k not in DERIVED_LABELS[lang]:
                        out[lang][k] = v
    return out


def build_analysis_frame(panel: pd.DataFrame, integration: pd.DataFrame | None,
                         chain: pd.DataFrame | None) -> pd.DataFrame:
    """Province-year frame with the outcome, regressors and controls described above."""
    from analysis.data.provinces import PROVINCES
    from analysis.measures.structure import structure_indices

    df = panel.copy()
    si = structure_indices(df)
    for c in ("TS", "H", "TL_neg"):
        if c in si.columns:
            df[c] = si[c].to_numpy()
    df["rd_intensity_pct"] = 100 * df["rd_intensity"]
    gdp = df["gdp_real"] if "gdp_real" in df.columns else df["gdp"]
    # 亿元 / 万人 = 1e4 元 per person
    df["ln_gdp_pc"] = np.log(gdp * 1e4 / df["population"])
    df["fiscal_share"] = df["budget_exp"] / df["gdp"]
    reg = PROVINCES[["province_code", "region"]]
    df = df.merge(reg, on="province_code", how="left")
    if integration is not None:
        cols = [c for c in ("U_st", "U_ind", "D") if c in integration.columns]
        df = df.merge(integration[KEYS + cols], on=KEYS, how="left")
    if chain is not None:
        yr = "year" if "year" in chain.columns else None
        if yr and "chain_linkage" in chain.columns:
            df = df.merge(chain[KEYS + ["chain_linkage"]], on=KEYS, how="left")
    return df


def _balanced(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Longest run of years in which every province has all ``cols``."""
    ok = df.dropna(subset=cols)
    full = ok.groupby("year")["province_code"].nunique()
    years = sorted(full[full == df["province_code"].nunique()].index)
    if not years:
        return ok.iloc[0:0]
    # longest consecutive run
    runs, cur = [], [years[0]]
    for y in years[1:]:
        if y == cur[-1] + 1:
            cur.append(y)
        else:
            runs.append(cur)
            cur = [y]
    runs.append(cur)
    best = max(runs, key=len)
    return ok[ok["year"].isin(best)].sort_values(KEYS).reset_index(drop=True)


def _spatial_weights(verbose: bool):
    """Queen contiguity W over the 31 provinces, from processed or raw boundaries."""
    import geopandas as gpd

    from analysis.measures.spatial import contiguity_weights

    p = paths.processed_dir() / "boundaries.parquet"
    gdf = None
    if p.exists():
        gdf = gpd.read_parquet(p)
    else:
        for d in (paths.raw_dir() / "boundaries",
                  (paths.mirror_dir() / "boundaries") if paths.mirror_dir() else None):
            if d is not None and (d / "110000.geojson").exists():
                frames = []
                for f in sorted(d.glob("[1-6]*.geojson")):
                    g = gpd.read_file(f)
                    frames.append(gpd.GeoDataFrame({"province_code": [int(f.stem)]},
                                                   geometry=[g.union_all()], crs=g.crs))
                gdf = pd.concat(frames, ignore_index=True)
                break
    if gdf is None:
        raise FileNotFoundError("no province boundaries (data/processed/boundaries.parquet or "
                                "data/raw/boundaries/*.geojson)")
    if "province_code" not in gdf.columns:
        raise KeyError("boundaries lack province_code")
    gdf = gdf[gdf["province_code"].between(110000, 659999)]
    if gdf["province_code"].duplicated().any():
        gdf = gdf.dissolve(by="province_code").reset_index()
    return contiguity_weights(gdf)


def _effects_tables(sdm, labels: dict[str, dict[str, str]]) -> dict:
    """LeSage–Pace direct / indirect / total effects of an SDM as a side-by-side table.

    Standard errors are the standard deviations of the simulated effects; stars from
    z = estimate / SE against N(0, 1) (as ``sdm.effects["p_value"]``).
    """
    from analysis.models.results import ModelResult
    from analysis.models.tables import regression_table

    eff = sdm.effects
    names = {"en": {"direct": "Direct", "indirect": "Indirect (spillover)", "total": "Total"},
             "zh": {"direct": "直接效应", "indirect": "间接效应（溢出）", "total": "总效应"}}
    out = {}
    for lang in ("en", "zh"):
        cols = {}
        for kind in ("direct", "indirect", "total"):
            part = eff.xs(kind, level="effect")
            cols[names[lang][kind]] = ModelResult(
                params=part["estimate"], std_errors=part["std_error"], nobs=sdm.nobs,
                depvar=sdm.depvar, model="sdm-effects", n_groups=sdm.n_groups,
                fixed_effects=list(sdm.fixed_effects))
        n_draws = 0 if sdm.effects_draws is None else len(sdm.effects_draws)
        note = (f"LeSage–Pace (2009) effects of the spatial Durbin model; standard errors from "
                f"{n_draws} draws of the ML estimates (seed {SEED})." if lang == "en" else
                f"LeSage–Pace（2009）空间杜宾模型效应分解；标准误基于ML估计量的{n_draws}次模拟"
                f"（种子{SEED}）。")
        out[lang] = regression_table(cols, labels=labels[lang], lang=lang, stats=("nobs",),
                                     show_cluster=False, notes=[note])
    return out


def run(verbose: bool = False) -> dict:
    """Estimate every model and write tables and tidy results; see the module docstring.

    Returns
    -------
    dict
        ``status`` ("done"), ``written`` (file names), ``failed`` (block -> reason; the
        step runner treats any entry as a failure), ``todo`` (blocks not available),
        ``discarded`` (files of failed or not-estimated blocks deleted, see
        :data:`BLOCK_OUTPUTS`).

    Raises
    ------
    FileNotFoundError
        ``data/processed/panel.parquet`` does not exist.
    """
    from analysis.models.heterogeneity import heterogeneity
    from analysis.models.robustness import MUNICIPALITIES, robustness
    from analysis.models.tables import regression_table
    from analysis.models.twfe import twfe

    t0 = time.perf_counter()
    proc = paths.processed_dir()
    panel_p = proc / "panel.parquet"
    integ_p = proc / "integration.parquet"
    chain_p = proc / "chain_linkage_panel.parquet"
    if not panel_p.exists():
        raise FileNotFoundError(f"{panel_p} not found: run `python -m analysis data build` first")

    res_dir = proc / "results"
    out_dir = paths.reports_dir() / "paper"
    key = {"panel": _sha(panel_p), "integration": _sha(integ_p), "chain": _sha(chain_p),
           "codebook": _sha(proc / "codebook.csv"), "seed": SEED}
    (res_dir / "manifest.json").unlink(missing_ok=True)  # the old cache's record, if any

    panel = pd.read_parquet(panel_p)
    integration = pd.read_parquet(integ_p) if integ_p.exists() else None
    chain = pd.read_parquet(chain_p) if chain_p.exists() else None
    labels = load_labels()
    df = build_analysis_frame(panel, integration, chain)
    written: list[str] = []
    failed: dict[str, str] = {}
    todo: list[str] = []
    summary: dict = {"seed": SEED, "inputs": key}
    if integration is None:
        todo.append("integration.parquet absent: baseline column with D not estimated")
    if chain is None:
        todo.append("chain_linkage_panel.parquet absent: chain-linkage column not estimated")

    def tables(name: str, results, **kw) -> None:
        tabs = {lang: regression_table(results, labels=labels[lang], lang=lang, **kw)
                for lang in ("en", "zh")}
        written.extend(_write_table(out_dir, name, tabs))

    # ---- 1. baseline --------------------------------------------------------------------
    base_cols = [Y_MAIN, X_MAIN, *CONTROLS]
    base_df = df.dropna(subset=base_cols)
    baseline: dict = {}
    try:
        baseline["(1)"] = twfe(base_df, Y_MAIN, [X_MAIN, *CONTROLS], "province_code", "year")
        if "D" in df.columns and df["D"].notna().any():
            baseline["(2)"] = twfe(df, Y_MAIN, [X_MAIN, "D", *CONTROLS], "province_code", "year")
        if "chain_linkage" in df.columns and df["chain_linkage"].notna().any():
            xs = [X_MAIN] + (["D"] if "(2)" in baseline else []) + ["chain_linkage", *CONTROLS]
            baseline["(3)"] = twfe(df, Y_MAIN, xs, "province_code", "year")
        for r in baseline.values():
            for term in r.params.index:
                r.wild_bootstrap(term, **WILD)
        for lang in ("en", "zh"):
            bnotes = [_sample_note(baseline, df, lang), UNITS_NOTE[lang]]
            cn = _chain_note(df, baseline.get("(3)", baseline["(1)"]), lang)
            if cn:
                bnotes.append(cn)
            tab = regression_table(baseline, labels=labels[lang], lang=lang, notes=bnotes)
            written.extend(_write_table(out_dir, "baseline", {lang: tab}))
        if "(3)" in baseline:
            summary["chain_linkage_note"] = _chain_note(df, baseline["(3)"], "en")
        rows = []
        for k, r in baseline.items():
            t = r.tidy()
            t.insert(0, "model", k)
            t["depvar"], t["nobs"], t["r2_within"] = r.depvar, r.nobs, r.r2_within
            t["years"] = f"{int(base_df.year.min())}-{int(base_df.year.max())}" if k == "(1)" \
                else ""
            rows.append(t)
        _write_df(res_dir / "baseline.parquet", pd.concat(rows, ignore_index=True))
        written.append("results/baseline.parquet")
        b1 = baseline["(1)"]
        summary["baseline"] = {
            "term": X_MAIN, "estimate": float(b1.params[X_MAIN]),
            "std_error": float(b1.std_errors[X_MAIN]), "p_value": float(b1.pvalues[X_MAIN]),
            "wild_p_value": b1.wild[X_MAIN].p_value,
            "wild_ci": [b1.wild[X_MAIN].ci_lower, b1.wild[X_MAIN].ci_upper],
            "wild_method": b1.wild[X_MAIN].method,
            "nobs": b1.nobs, "years": [int(base_df.year.min()), int(base_df.year.max())],
            "notes": b1.notes,
        }
        _log(verbose, f"baseline: {X_MAIN} = {b1.params[X_MAIN]:.4f} "
             f"({b1.std_errors[X_MAIN]:.4f}), N = {b1.nobs}")
    except Exception as exc:  # one block failing must not hide the others
        failed["baseline"] = f"{type(exc).__name__}: {exc}"
        _log(verbose, f"baseline failed: {exc}")

    # ---- 2. robustness -------------------------------------------------------------------
    try:
        alts = [c for c in ("H", "TL_neg") if c in df.columns and df[c].notna().any()]
        rob = robustness(base_df, Y_MAIN, [X_MAIN, *CONTROLS], "province_code", "year",
                         lags=1, winsorize=(0.01, 0.99),
                         exclude={"excl. municipalities": MUNICIPALITIES},
                         alt_outcomes=alts, wild=WILD)
        spec_notes = rob.table.drop_duplicates("spec").query("note != ''")
        tables("robustness", rob.results, keep=[X_MAIN, *CONTROLS],
               notes=["; ".join(f"{k}: {v}" for k, v in zip(spec_notes["spec"],
                                                             spec_notes["note"], strict=True))
                      + "."])
        _write_df(res_dir / "robustness.parquet", rob.table)
        written.append("results/robustness.parquet")
        if rob.failed:
            failed.update({f"robustness: {k}": v for k, v in rob.failed.items()})
    except Exception as exc:
        failed["robustness"] = f"{type(exc).__name__}: {exc}"

    # ---- 3. heterogeneity ----------------------------------------------------------------
    try:
        het = heterogeneity(base_df, Y_MAIN, [X_MAIN, *CONTROLS], "province_code", "year",
                            group="region", wild=WILD, min_clusters=MIN_CLUSTERS)
        reg_labels = {"en": {"east": "East", "central": "Central", "west": "West",
                             "northeast": "Northeast"},
                      "zh": {"east": "东部", "central": "中部", "west": "西部",
                             "northeast": "东北"}}
        for lang in ("en", "zh"):
            subs = {reg_labels[lang].get(k, k): v for k, v in het.subsamples.items()}
            note = (f"Equal {X_MAIN} slopes across regions: F({het.test['df1']}, "
                    f"{het.test['df2']:g}) = {het.test['stat']:.3f}, p = "
                    f"{het.test['p_value']:.4f}.")
            tab = regression_table(subs, labels=labels[lang], lang=lang, notes=[note])
            written.extend(_write_table(out_dir, "heterogeneity", {lang: tab}))
        sl = het.slopes.copy()
        sl["wald_F"], sl["wald_p"] = het.test["stat"], het.test["p_value"]
        _write_df(res_dir / "heterogeneity.parquet", sl)
        written.append("results/heterogeneity.parquet")
        summary["heterogeneity"] = {"F": het.test["stat"], "p_value": het.test["p_value"],
                                    "df1": het.test["df1"], "df2": het.test["df2"]}
    except Exception as exc:
        failed["heterogeneity"] = f"{type(exc).__name__}: {exc}"

    # ---- 4. Hansen threshold -------------------------------------------------------------
    try:
        from analysis.models.threshold import hansen_threshold
    except ImportError:
        hansen_threshold = None
        todo.append("analysis.models.threshold.hansen_threshold not available")
    if hansen_threshold is not None:
        try:
            q = "ln_gdp_pc"
            thr_df = _balanced(df, [Y_MAIN, X_MAIN, *CONTROLS])
            th_test = hansen_threshold(thr_df, Y_MAIN, list(CONTROLS), X_MAIN, q,
                                       "province_code", "year", n_thresholds=2, grid=400,
                                       trim=0.05, bootstrap=300, seed=SEED)
            # sequential selection (Hansen 1999, Sect. 4): keep thresholds while the test of
            # k-1 vs k thresholds rejects at 5 %; the reported regimes come from that model
            m = 0
            for pv in th_test.p_values:
                if pv < 0.05:
                    m += 1
                else:
                    break
            n_sel = max(m, 1)
            th = th_test if n_sel == 2 else hansen_threshold(
                thr_df, Y_MAIN, list(CONTROLS), X_MAIN, q, "province_code", "year",
                n_thresholds=n_sel, grid=400, trim=0.05, bootstrap=0, seed=SEED)
            if m == 0:
                th.notes.append("no significant threshold at 5 %: single-threshold fit shown "
                                "for reference only")
            # regime coefficients of the fitted model
            reg = th.regime.rename("regime").reset_index()
            reg = reg.merge(thr_df[KEYS + [q]], on=KEYS, how="left")
            coef = {int(n.rsplit("_r", 1)[1]): (float(th.params[n]), float(th.std_errors[n]))
                    for n in th.params.index if n.startswith(f"{X_MAIN}_r")}
            reg["coef"] = reg["regime"].map(lambda j: coef.get(int(j), (np.nan, np.nan))[0])
            reg["std_error"] = reg["regime"].map(lambda j: coef.get(int(j), (np.nan, np.nan))[1])
            reg["threshold_var"] = q
            _write_df(res_dir / "threshold_regimes.parquet", reg)
            tests = th_test.tests.reset_index().rename(columns={"index": "test"}) \
                if th_test.tests is not None else pd.DataFrame()
            _write_df(res_dir / "threshold_tests.parquet", tests)
            written += ["results/threshold_regimes.parquet", "results/threshold_tests.parquet"]
            sizes = reg["regime"].value_counts()
            min_size = int(np.ceil(0.05 * len(thr_df)))
            tnotes = {"en": [], "zh": []}
            if m == 0:
                tnotes["en"].append("No threshold is significant at 5 %: the single-threshold "
                                    "fit is shown for reference only.")
                tnotes["zh"].append("门槛效应在5%水平上均不显著：单门槛估计仅供参考。")
            if sizes.min() <= min_size:
                msg = (f"threshold: a regime has only {sizes.min()} obs, "
                       f"at the 5 % trimming bound ({min_size}): the estimate sits on the edge "
                       "of the admissible grid; read the regime split with care")
                tnotes["en"].append(f"A regime holds only {sizes.min()} observations, at the 5 % "
                                    "trimming bound: the threshold sits on the edge of the grid.")
                tnotes["zh"].append(f"某一区制仅有{sizes.min()}个观测值，位于5%截尾边界，"
                                    "门槛值处于搜索网格边缘。")
            fnote = "; ".join(f"F{i + 1} = {f:.2f} (bootstrap p = {p:.3f})"
                              for i, (f, p) in enumerate(zip(th_test.f_stats,
                                                             th_test.p_values, strict=False)))
            tnote = ", ".join(f"{g:.4f}" for g in th.thresholds)
            edges = [-np.inf, *th.thresholds, np.inf]
            for lang in ("en", "zh"):
                lab = dict(labels[lang])
                for j in range(len(edges) - 1):
                    lo_, hi_ = edges[j], edges[j + 1]
                    cond = (f"{q} ≤ {hi_:.3f}" if j == 0 else f"{q} > {lo_:.3f}"
                            if not np.isfinite(hi_) else f"{lo_:.3f} < {q} ≤ {hi_:.3f}")
                    lab[f"{X_MAIN}_r{j}"] = f"{lab.get(X_MAIN, X_MAIN)} × ({cond})"
                head = (f"Thresholds in {labels['en'].get(q, q)} ({q}): {tnote}. {fnote}." if lang == "en" else
                        f"门槛变量{labels['zh'].get(q, q)}的门槛值：{tnote}。{fnote}。")
                tab = regression_table({"Hansen threshold" if lang == "en" else "门槛回归": th},
                                       labels=lab, lang=lang, notes=[head, *tnotes[lang]])
                written.extend(_write_table(out_dir, "threshold", {lang: tab}))
            summary["threshold"] = {"q": q, "thresholds": list(map(float, th.thresholds)),
                                    "n_significant": m,
                                    "f_stats": list(map(float, th_test.f_stats)),
                                    "p_values": list(map(float, th_test.p_values)),
                                    "years": [int(thr_df.year.min()), int(thr_df.year.max())],
                                    "regime_sizes": {int(k): int(v) for k, v in
                                                     reg["regime"].value_counts().items()}}
            if sizes.min() <= min_size:
                summary["threshold"]["warning"] = msg
                _log(verbose, msg)
            _log(verbose, f"threshold: gammas {tnote}; {fnote}")
        except Exception as exc:
            failed["threshold"] = f"{type(exc).__name__}: {exc}"
            _log(verbose, f"threshold failed: {exc}")

    # ---- 5. spatial Durbin ---------------------------------------------------------------
    try:
        from analysis.models.spatial import spatial_lm_tests, spatial_panel
    except ImportError:
        spatial_panel = None
        todo.append("analysis.models.spatial.spatial_panel not available")
    if spatial_panel is not None:
        try:
            w = _spatial_weights(verbose)
            sp_df = _balanced(df, [Y_MAIN, X_MAIN, *CONTROLS])
            xs = [X_MAIN, *CONTROLS]
            lm = spatial_lm_tests(sp_df, Y_MAIN, xs, "province_code", "year", w)
            sdm = spatial_panel(sp_df, Y_MAIN, xs, "province_code", "year", w, model="sdm",
                                effects="twoways", n_sim=1000, seed=SEED)
            eff = sdm.effects.reset_index() if sdm.effects is not None else pd.DataFrame()
            _write_df(res_dir / "spatial_effects.parquet", eff)
            _write_df(res_dir / "spatial_lm.parquet", lm.reset_index().rename(
                columns={"index": "test"}))
            written += ["results/spatial_effects.parquet", "results/spatial_lm.parquet"]
            lm_note = "LM tests, p-values: " + ", ".join(
                f"{t} {p:.3f}" for t, p in zip(lm.index if "test" not in lm.columns
                                               else lm["test"], lm["p_value"], strict=True)) + "."
            for lang in ("en", "zh"):
                lab = dict(labels[lang])
                for c in xs:
                    lab[f"W*{c}"] = f"W×{lab.get(c, c)}"
                tab = regression_table({"SDM": sdm}, labels=lab, lang=lang,
                                       notes=[f"rho = {sdm.rho:.4f}; queen contiguity W.",
                                              lm_note])
                written.extend(_write_table(out_dir, "spatial_sdm", {lang: tab}))
            if not eff.empty:
                paths.atomic_write_bytes(out_dir / "spatial_effects.csv",
                                         eff.to_csv(index=False).encode("utf-8"))
                written.append("spatial_effects.csv")
                written.extend(_write_table(out_dir, "spatial_effects",
                                            _effects_tables(sdm, labels)))
            summary["spatial"] = {"rho": float(sdm.rho) if sdm.rho is not None else None,
                                  "nobs": sdm.nobs}
            _log(verbose, f"spatial Durbin: rho = {sdm.rho:.4f}")
        except Exception as exc:
            failed["spatial"] = f"{type(exc).__name__}: {exc}"
            _log(verbose, f"spatial failed: {exc}")
            if verbose:
                traceback.print_exc()

    # ---- 6. mechanism: R&D -> integration D -> TS (stepwise + Jiang 2022), moderation ---
    if "D" in df.columns and df["D"].notna().any():
        try:
            from analysis.models.mechanisms import mediation, moderation

            med = mediation(df, Y_MAIN, X_MAIN, "D", "province_code", "year",
                            controls=CONTROLS, bootstrap=1000, seed=SEED)
            mt = {lang: med.summary_table(lang) for lang in ("en", "zh")}
            _write_df(res_dir / "mediation.parquet", mt["en"])
            written.append("results/mediation.parquet")
            lo, hi = med.boot_ci
            for lang in ("en", "zh"):
                steps = {"(1) TS": med.total, "(2) D": med.a_path, "(3) TS": med.direct}
                note = (f"Indirect effect a·b = {med.indirect:.4f}; Sobel z = {med.sobel_z:.2f} "
                        f"(p = {med.sobel_p:.3f}); province-cluster bootstrap 95% CI "
                        f"[{lo:.4f}, {hi:.4f}] (1000 draws, seed {SEED}).")
                tab = regression_table(steps, labels=labels[lang], lang=lang,
                                       notes=[note, med.jiang[f"note_{lang}"]])
                written.extend(_write_table(out_dir, "mediation", {lang: tab}))
            mo = moderation(df, Y_MAIN, X_MAIN, "D", "province_code", "year",
                            controls=CONTROLS)
            if mo.model.design is not None:
                mo.model.wild_bootstrap(mo.interaction, **WILD)
            _write_df(res_dir / "moderation_margins.parquet", mo.margins)
            written.append("results/moderation_margins.parquet")
            for lang in ("en", "zh"):
                lab = dict(labels[lang])
                lab[mo.interaction] = f"{lab.get(X_MAIN, X_MAIN)} × {lab.get('D', 'D')}"
                tab = regression_table({"Moderation" if lang == "en" else "调节效应": mo.model},
                                       labels=lab, lang=lang,
                                       notes=[f"{X_MAIN} and D centred at sample means."
                                              if lang == "en" else
                                              "R&D投入强度与D均按样本均值中心化。"])
                written.extend(_write_table(out_dir, "moderation", {lang: tab}))
            summary["mediation"] = {"mediator": "D", "a": med.a, "b": med.b,
                                    "indirect": med.indirect, "sobel_p": med.sobel_p,
                                    "boot_ci": [lo, hi], "jiang_a_p": med.jiang["p_value"]}
        except Exception as exc:
            failed["mechanisms"] = f"{type(exc).__name__}: {exc}"
    else:
        todo.append("mechanism (mediator D) not estimated: no integration table")

    # ---- 7. dynamic panel: system GMM, collapsed instruments ------------------------------
    try:
        from analysis.models.gmm import dynamic_gmm

        gm = dynamic_gmm(base_df, Y_MAIN, [X_MAIN, *CONTROLS], "province_code", "year",
                         lags=1, method="system", collapse=True)
        rows = gm.tidy()
        for k in ("instruments", "hansen", "hansen_df", "hansen_p", "ar1", "ar1_p", "ar2",
                  "ar2_p"):
            rows[k] = gm.extra.get(k)
        _write_df(res_dir / "gmm.parquet", rows)
        written.append("results/gmm.parquet")
        rho_gmm = float(gm.params[f"L1.{Y_MAIN}"])
        gnotes = {"en": [], "zh": []}
        if rho_gmm >= 1:
            gnotes["en"].append(f"The lagged outcome's coefficient is {rho_gmm:.3f} ≥ 1 "
                                "(unit-root or explosive dynamics): long-run effects "
                                "β/(1−ρ) are undefined and system GMM's level moment "
                                "conditions are doubtful.")
            gnotes["zh"].append(f"滞后被解释变量系数为{rho_gmm:.3f}≥1（单位根或发散动态）："
                                "长期效应β/(1−ρ)无定义，系统GMM水平方程矩条件存疑。")
        for lang in ("en", "zh"):
            lab = dict(labels[lang])
            lab[f"L1.{Y_MAIN}"] = f"L1.{lab.get(Y_MAIN, Y_MAIN)}"
            tab = regression_table({"System GMM" if lang == "en" else "系统GMM": gm},
                                   labels=lab, lang=lang, stats=("nobs", "n_groups"),
                                   keep=[f"L1.{Y_MAIN}", X_MAIN, *CONTROLS],
                                   extra=["instruments", "ar1_p", "ar2_p", "hansen_p"],
                                   show_fe=False, show_cluster=False,
                                   notes=["Two-step, Windmeijer-corrected SEs; collapsed "
                                          "instruments; year dummies included." if lang == "en"
                                          else "两步法，Windmeijer修正标准误；工具变量折叠"
                                          "（collapse）；含年份虚拟变量。", *gnotes[lang]])
            written.extend(_write_table(out_dir, "gmm", {lang: tab}))
        summary["gmm"] = {k: gm.extra.get(k) for k in ("instruments", "ar2_p", "hansen_p")}
        summary["gmm"]["rho"] = rho_gmm
    except Exception as exc:
        failed["gmm"] = f"{type(exc).__name__}: {exc}"

    # ---- failed blocks, and blocks that wrote nothing this run, leave no stale file ---------
    stale = [b for b in BLOCK_OUTPUTS if b in failed or not block_written(b, written)]
    discarded = discard_blocks(stale)
    written = [w for w in written if not any(d.endswith(w) for d in discarded)]
    summary.update({"written": written, "failed": failed, "todo": todo,
                    "discarded": discarded, "seconds": round(time.perf_counter() - t0, 1)})
    paths.atomic_write_bytes(res_dir / "results.json",
                             json.dumps(summary, ensure_ascii=False, indent=1,
                                        default=str).encode("utf-8"))
    _log(verbose, f"{len(written)} files written in {summary['seconds']} s"
         + (f"; FAILED: {failed}" if failed else "") + (f"; TODO: {todo}" if todo else "")
         + (f"; removed {len(discarded)} stale file(s) of {', '.join(stale)}" if discarded else ""))
    return {"status": "done", "written": written, "failed": failed, "todo": todo,
            "discarded": discarded}
