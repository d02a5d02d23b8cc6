"""Estimate the paper's models on the real province panel and store their results once.

Called by ``python -m analysis models`` (and ``all``). Reads

* ``data/processed/analysis.parquet`` (required): the analysis dataset (:mod:`analysis.dataset`,
  the ``dataset`` step), built from the panel, the framework's ``integration.parquet`` (``D``)
  and ``chain_linkage_panel.parquet`` (``chain_linkage``), with every variable below under the
  name it has in ``analysis.dta``, so the tables are what a Stata or R user reproduces from it
  (``reports/paper/replicate.do``, ``replicate.R``);
* ``data/processed/codebook.csv`` (labels), and province boundaries for the spatial weights
  (``data/processed/boundaries.parquet``, else the raw GeoJSON files).

Variables (province-year, 31 provinces)
---------------------------------------
* Upgrading outcomes (:data:`OUTCOMES`, each estimated in the baseline, all oriented so that
  larger = more upgraded): advanced structure ``TS = va_tertiary / va_secondary`` (干春晖等
  2011); rationalisation ``TL_neg = −Theil`` (same source); productivity-weighted structural
  height ``PH`` (刘伟, 张辉 & 黄泽华 2008; :func:`analysis.measures.structure.structure_height`):
  sector value-added shares × sector labour productivity, value added at 2010 prices (each
  province's GDP deflator), normalised by the national (31-province) labour productivity of
  2010 (``lp_start = 0``, ``lp_end = Σ VA_2010 / Σ L_2010``), so PH = 1 is a share-weighted
  productivity equal to the 2010 national average; high-tech revenue intensity ``HT =
  hightech_revenue / gdp`` (high-tech industry main-business revenue over GDP: neither the
  panel nor the raw mirror has industrial enterprises' total revenue, the natural share
  denominator, so the ratio is a revenue-to-value-added intensity, not a share, and can exceed
  1). Structure level ``H`` is an alternative in the robustness table.
* S&T innovation: ``rd_intensity_pct`` = R&D expenditure / GDP × 100.
* Controls (:data:`CONTROLS`): ``urbanisation`` (share), ``fiscal_share`` = general budget
  expenditure / GDP. Controls that are themselves outcomes of R&D (:data:`BAD_CONTROLS`:
  ``ln_gdp_pc`` = log real GDP per capita, and the integration score ``D``, which contains
  software revenue / GDP and is mechanically linked to TS) appear only in robustness columns
  labelled "bad control" (Angrist & Pischke 2009, §3.2.3).
* Industrial-chain linkage ``chain_linkage`` (when it exists): robustness column only, see the
  caveat below.

Models
------
1. Baseline two-way FE (province and year) for each outcome, province-clustered, reghdfe
   small-sample correction, with the wild cluster bootstrap p-value (WCR, Rademacher, 9,999
   draws) of every coefficient beside its CR1 standard error.
2. Robustness of the TS baseline: regressors lagged one year, winsorised 1/99 %, without the
   four municipalities, outcome H, bad controls (+ ln GDP per capita; + ln GDP per capita and
   D), + chain linkage, a placebo lead of R&D (t + 1), and randomisation inference (R&D
   permuted across provinces within each year, 999 permutations, seed).
3. Heterogeneity of the TS baseline by NBS region, with the interaction Wald test; regions
   with fewer than 10 provinces get wild-bootstrap inference only (Webb weights).
4. Hansen (1999) threshold model: TS on R&D intensity with regimes in log GDP per capita,
   two-way effects (year dummies kept unless they are jointly insignificant at 10 %), double
   threshold tested, 300 bootstrap replications; "no interior threshold" when the bootstrap p
   exceeds 0.10 or a regime is at the trimming bound (then no regime coefficient is stored).
5. Spatial panels for three weight matrices (:func:`spatial_weight_matrices`: queen contiguity
   with Hainan linked to Guangdong, inverse great-circle distance between centroids, economic
   distance in mean real GDP per capita): LM / robust LM and LR / Wald tests choose among no
   spatial model, SAR, SEM and SDM per W; effects (LeSage–Pace, 1000 draws) interpreted only
   where dependence is supported.
6. Mechanism: R&D → M → TS for M = integration D and the linkage index (:data:`MEDIATORS`),
   stepwise mediation with Sobel and a 1000-draw province-cluster bootstrap, reported with the
   江艇 (2022) X→M estimate, every coefficient with its wild bootstrap p; the notes name the
   indicators that tie each M mechanically to R&D intensity (:func:`_mechanical_note`);
   moderation of the R&D effect by D (centred interaction, marginal effects).
7. Dynamic panel: system GMM (TS on its lag, R&D and controls; collapsed instruments, year
   dummies, instruments ≤ provinces), AR(2) and Hansen tests with Roodman's caveat, a warning
   near a unit root.
8. Specification curve of the R&D coefficient (:func:`analysis.models.speccurve.
   specification_curve`): 4 outcomes × 3 control sets × 3 windows × 2 fixed-effects options ×
   2 inference methods.

Caveat on ``chain_linkage``: provincial input-output tables exist only for some years, so the
panel value is carried forward between tables (``chain_linkage_flag``); with year effects its
coefficient is identified only from the change between successive tables. The baseline table
says how many distinct values per province the estimation sample holds.

Outputs: tables ``reports/paper/<name>_<lang>.{md,html,tex,csv}`` and tidy results in
``data/processed/results/`` (parquet + ``results.json``), which the per-province reports read:
``baseline.parquet``, ``robustness.parquet``, ``heterogeneity.parquet``,
``threshold_regimes.parquet`` (each province-year's regime and regime coefficient),
``threshold_tests.parquet``, ``spatial_effects.parquet``, ``spatial_lm.parquet``; the
LeSage–Pace effects also as a table ``spatial_effects_<lang>.*``; ``spatial_tests.parquet`` and
``spatial_effects_all.parquet`` (every W); ``specification_curve.parquet`` (also
``reports/paper/specification_curve.{csv,png,pdf}``).
Raises ``FileNotFoundError`` when the analysis dataset is missing. Whether to run at all is decided by the
step runner (:mod:`analysis.steps`), which keys this step on its input files and the code it
imports; :func:`run` always estimates.

Failing blocks leave no stale output
------------------------------------
Each block (baseline, robustness, heterogeneity, threshold, spatial, mechanisms, gmm,
specification_curve) runs in
its own ``try``/``except`` and, when it fails, records ``failed[<block>] = "<Error>: <message>"``.
:data:`BLOCK_OUTPUTS` lists, per block, the files it writes (glob patterns: ``results/…`` under
``data/processed/``, ``paper/…`` under ``reports/``). At the end of :func:`run`,
:func:`discard_blocks` deletes the files of every block that failed **or wrote nothing this
run** (e.g. mediation without an integration table), so neither the reports nor the notebooks
can read a previous run's table for it; ``results.json`` lists them under ``discarded``, and the
runner reports the models step failed (exit code 1), naming the blocks (it keeps the previous
versions of the deleted files in its quarantine, ``.failed/models/``: :mod:`analysis.steps`). To add a block: give it
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
#: Controls of the baseline: not outcomes of R&D.
CONTROLS = ["urbanisation", "fiscal_share"]
#: Outcomes of R&D used as controls only in robustness columns labelled so.
BAD_CONTROLS = ["ln_gdp_pc", "D"]
X_MAIN = "rd_intensity_pct"
Y_MAIN = "TS"
#: Upgrading outcomes of the baseline, in column order (larger = more upgraded).
OUTCOMES = ["TS", "TL_neg", "PH", "HT"]
#: Base year of the constant prices of ``gdp_real``/``gdp_deflator`` (data build default).
BASE_YEAR = 2010
#: Mediators of the mechanism table, in column order: the coupling coordination degree D and
#: the framework-v2 science–industry linkage index (flows, not levels; not built from R&D
#: intensity). Their table labels (the codebook's linkage label is a definition, too long).
MEDIATORS = ["D", "linkage"]
MEDIATOR_LABELS = {"en": {"linkage": "Science–industry linkage index"},
                   "zh": {"linkage": "科技-产业联系指数"}}
#: Permutations of the randomisation-inference test; bootstrap replications of the threshold
#: tests; effect draws of the spatial models.
PERMUTATIONS = 999
THRESHOLD_BOOTSTRAP = 300
SPATIAL_DRAWS = 1000
#: Sample windows of the specification curve.
WINDOWS = {"2011–2022": (2011, 2022), "2011–2018": (2011, 2018), "2016–2022": (2016, 2022)}

#: Labels of the variables derived here, ``{"en": {name: label}, "zh": {...}}``: from the one
#: derived-labels file (``analysis/derived_labels.yaml``, :mod:`analysis.labels`), which the reports
#: read too; the codebooks label the panel's and the framework's own columns.
DERIVED_LABELS = derived_by_lang()


#: Units of the baseline variables, stated under the baseline table.
UNITS_NOTE = {
    "en": ("Units: TS = tertiary / secondary value added (ratio); rationalisation = minus the "
           "Theil index of value-added vs employment shares (0 = sectoral productivities equal); PH = Σ sector "
           "value-added share × sector labour productivity at 2010 prices / national labour "
           "productivity in 2010 (Liu, Zhang & Huang 2008); HT = high-tech industry revenue / "
           "GDP (an intensity: revenue over value added, not a share); R&D intensity = R&D "
           "expenditure / GDP × 100 (%); urbanisation = urban / total population (share, 0–1); "
           "fiscal expenditure / GDP (ratio)."),
    "zh": ("单位：TS为第三产业增加值/第二产业增加值（比值）；产业结构合理化为增加值与就业结构泰尔指数的相反数"
           "（0表示各产业劳动生产率相等）；PH为各产业增加值比重×产业劳动生产率（2010年价格）/2010年全国"
           "劳动生产率（刘伟、张辉、黄泽华2008）；HT为高技术产业营业收入/GDP（收入与增加值之比，非比重）；"
           "R&D投入强度为R&D经费/GDP×100（%）；城镇化率为城镇人口/总人口（0–1）；财政支出/GDP为比值。"),
}

#: Why ln GDP per capita and D are not baseline controls (stated under the baseline table).
BAD_CONTROL_NOTE = {
    "en": ("Controls exclude ln real GDP per capita and the integration score D: both are "
           "outcomes of R&D (bad controls; D also contains R&D intensity itself and software "
           "revenue / GDP, the latter mechanically linked to TS). They enter only the robustness columns labelled 'bad control'."),
    "zh": ("控制变量不含人均实际GDP（对数）与耦合协调度D：二者本身受R&D影响（“不良控制变量”；D还包含R&D"
           "投入强度本身与软件收入/GDP，后者与TS存在机械关联），仅出现在稳健性检验中标注为“不良控制”的列。"),
}


def _sample_note(res, frame: pd.DataFrame, lang: str) -> str:
    """Years (with any missing inside the range), observations and provinces used by each column."""
    parts = []
    for k, r in res.items():
        cols = [r.depvar, *r.params.index]
        s = frame.dropna(subset=[c for c in cols if c in frame.columns])
        lo, hi = int(s.year.min()), int(s.year.max())
        gaps = sorted(set(range(lo, hi + 1)) - set(s.year.astype(int)))
        gap = ""
        if gaps:
            gy = ", ".join(map(str, gaps))
            gap = f" except {gy}" if lang == "en" else f"（缺{gy}年）"
        parts.append(f"{k} {lo}–{hi}{gap}, {len(s)} obs., {s.province_code.nunique()} provinces"
                     if lang == "en" else
                     f"{k} {lo}–{hi}年{gap}，{len(s)}个观测，{s.province_code.nunique()}个省份")
    return ("Samples: " + "; ".join(parts) + "." if lang == "en" else
            "样本：" + "；".join(parts) + "。")


#: Column heads of the robustness table (the specification names of ``robustness``).
ROBUSTNESS_HEADS = {
    "en": {},
    "zh": {"baseline": "基准", "lag 1": "滞后一期", "winsor 0.01-0.99": "缩尾1%",
           "excl. municipalities": "剔除直辖市", "outcome H": "因变量H",
           "bad control: + ln GDP pc": "不良控制：+人均GDP对数",
           "bad controls: + ln GDP pc, D": "不良控制：+人均GDP对数、D",
           "+ chain linkage": "+产业链关联度", "placebo: R&D lead": "安慰剂：R&D超前一期"},
}


def _robustness_notes(d_from: int | None) -> dict[str, dict[str, str]]:
    """What each robustness column changes, in both languages (specification name → note)."""
    d_en = f" (D only from {d_from})" if d_from else ""
    d_zh = f"（D自{d_from}年起才有）" if d_from else ""
    return {
        "en": {
            "lag 1": "all regressors lagged one year",
            "winsor 0.01-0.99": "TS and regressors winsorised at the 1st/99th percentiles (pooled)",
            "excl. municipalities": "without Beijing, Tianjin, Shanghai and Chongqing",
            "outcome H": "dependent variable H = 1·s1 + 2·s2 + 3·s3, the structure level "
                         "coefficient (s = sector value-added shares; range 1–3)",
            "bad control: + ln GDP pc": "adds ln real GDP per capita, itself an outcome of "
                                        "R&D (bad control)",
            "bad controls: + ln GDP pc, D": "adds ln real GDP per capita and D, outcomes of "
                                            f"R&D (bad controls){d_en}",
            "+ chain linkage": "adds chain linkage, identified only by the change between "
                               "input-output tables",
            "placebo: R&D lead": "adds next year's R&D intensity, which cannot cause this "
                                 "year's TS",
        },
        "zh": {
            "lag 1": "全部解释变量滞后一年",
            "winsor 0.01-0.99": "TS与解释变量在第1/99百分位缩尾（混合样本）",
            "excl. municipalities": "剔除北京、天津、上海、重庆",
            "outcome H": "因变量为产业结构层次系数H = 1·s1 + 2·s2 + 3·s3（s为三次产业增加值"
                         "占比，取值1–3）",
            "bad control: + ln GDP pc": "加入人均实际GDP对数，其本身是R&D的结果（不良控制）",
            "bad controls: + ln GDP pc, D": f"加入人均实际GDP对数与D，二者均为R&D的结果（不良控制）{d_zh}",
            "+ chain linkage": "加入产业链关联度，仅由相邻投入产出表之间的变化识别",
            "placebo: R&D lead": "加入下一年的R&D投入强度，它不可能影响当年的TS",
        },
    }


def _join_notes(notes: dict[str, str], lang: str) -> str:
    """'head: note' pairs of a table's columns as one sentence in the table's language."""
    if lang == "zh":
        return "；".join(f"{k}：{v}" for k, v in notes.items()) + "。"
    return "; ".join(f"{k}: {v}" for k, v in notes.items()) + "."


def _common_sample_note(groups: list[tuple[str, pd.DataFrame]], lang: str) -> str:
    """Sample note for columns estimated on one common sample each (mediation, moderation):
    ``groups`` pairs the columns' names (e.g. ``"(1)–(5)"``) with the estimation sample, whose
    years (any missing inside the range named), observations and provinces are stated."""
    parts = []
    for name, s in groups:
        years = sorted(set(s["year"].astype(int)))
        gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        gap = ""
        if gaps:
            gy = ", ".join(map(str, gaps))
            gap = f" except {gy}" if lang == "en" else f"（缺{gy}年）"
        n, g = len(s), s["province_code"].nunique()
        head = f"{name} " if name else ""
        parts.append(f"{head}{years[0]}–{years[-1]}{gap}, {n} obs., {g} provinces" if lang == "en"
                     else f"{head}{years[0]}–{years[-1]}年{gap}，{n}个观测，{g}个省份")
    return ("Sample: " + "; ".join(parts) + "." if lang == "en" else
            "样本：" + "；".join(parts) + "。")


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
    "baseline": ("results/baseline.parquet", "paper/baseline_*", "paper/replicate.do",
                 "paper/replicate.R"),
    "robustness": ("results/robustness.parquet", "paper/robustness_*"),
    "heterogeneity": ("results/heterogeneity.parquet", "paper/heterogeneity_*"),
    "threshold": ("results/threshold_regimes.parquet", "results/threshold_tests.parquet",
                  "paper/threshold_*"),
    "spatial": ("results/spatial_effects.parquet", "results/spatial_lm.parquet",
                "results/spatial_tests.parquet", "results/spatial_effects_all.parquet",
                "paper/spatial_sdm_*", "paper/spatial_effects_*", "paper/spatial_effects.csv"),
    "mechanisms": ("results/mediation.parquet", "results/moderation_margins.parquet",
                   "paper/mediation_*", "paper/moderation_*"),
    "gmm": ("results/gmm.parquet", "paper/gmm_*"),
    "specification_curve": ("results/specification_curve.parquet",
                            "paper/specification_curve.*"),
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
    """Province-year frame with the outcome, regressors and controls described above: the
    analysis dataset's definitions (:func:`analysis.dataset.build_frame`, one source for the
    models and ``analysis.dta``)."""
    from analysis.dataset import build_frame

    return build_frame(panel, integration, chain)


def structural_height(panel: pd.DataFrame, base_year: int = BASE_YEAR) -> pd.Series:
    """``PH`` of every province-year: :func:`analysis.dataset.structural_height`."""
    from analysis.dataset import structural_height as _ph

    return _ph(panel, base_year)


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


def _boundaries():
    """Province boundaries (GeoDataFrame, one row per province) from processed or raw files."""
    import geopandas as gpd

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
    return gdf


def spatial_weight_matrices(frame: pd.DataFrame, gdf=None) -> dict:
    """The three row-standardised weight matrices of the spatial block (libpysal W, ids =
    province codes).

    * ``queen``: queen contiguity of the province boundaries, Hainan (460000) linked to
      Guangdong (440000) — the documented rule of :func:`analysis.measures.contiguity_weights`.
    * ``distance``: inverse great-circle distance between province centroids (equal-area
      projection), ``w_ij = 1/d_ij`` (:func:`analysis.measures.distance_weights`).
    * ``economic``: economic distance ``w_ij = 1/|ḡ_i − ḡ_j|``, ḡ the province's mean real GDP
      per capita over ``frame``'s years (:func:`analysis.measures.economic_distance_weights`).
    """
    from analysis.measures.spatial import (
        contiguity_weights,
        distance_weights,
        economic_distance_weights,
    )

    gdf = _boundaries() if gdf is None else gdf
    gdp = frame["gdp_real"] if "gdp_real" in frame.columns else frame["gdp"]
    gpc = frame.assign(gdp_pc=gdp / frame["population"])[["province_code", "gdp_pc"]].dropna()
    return {"queen": contiguity_weights(gdf), "distance": distance_weights(gdf),
            "economic": economic_distance_weights(gpc)}


W_LABELS = {"en": {"queen": "queen contiguity (Hainan–Guangdong)",
                   "distance": "inverse distance", "economic": "economic distance"},
            "zh": {"queen": "邻接矩阵（海南—广东相连）", "distance": "地理距离倒数矩阵",
                   "economic": "经济距离矩阵"}}


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
        ``data/processed/analysis.parquet`` does not exist.
    """
    from analysis.models import replication
    from analysis.models.heterogeneity import heterogeneity
    from analysis.models.inference import permutation_test
    from analysis.models.replication import baseline_spec, fit_baseline
    from analysis.models.robustness import MUNICIPALITIES, lag_within, robustness
    from analysis.models.tables import regression_table

    t0 = time.perf_counter()
    proc = paths.processed_dir()
    data_p = proc / "analysis.parquet"
    if not data_p.exists():
        raise FileNotFoundError(f"{data_p} not found: run `python -m analysis data build` and "
                                "the dataset step (`python -m analysis models` runs both)")

    res_dir = proc / "results"
    out_dir = paths.reports_dir() / "paper"
    key = {"analysis": _sha(data_p), "codebook": _sha(proc / "codebook.csv"), "seed": SEED}
    (res_dir / "manifest.json").unlink(missing_ok=True)  # the old cache's record, if any

    # the analysis dataset (analysis.dataset): the file Stata and R users get as analysis.dta
    df = pd.read_parquet(data_p)
    labels = load_labels()
    written: list[str] = []
    failed: dict[str, str] = {}
    todo: list[str] = []
    summary: dict = {"seed": SEED, "inputs": key}
    if "D" not in df.columns or df["D"].isna().all():
        todo.append("integration.parquet absent: baseline column with D not estimated")
    if "chain_linkage" not in df.columns or df["chain_linkage"].isna().all():
        todo.append("chain_linkage_panel.parquet absent: chain-linkage column not estimated")

    # ---- 1. baseline: each upgrading outcome ---------------------------------------------
    base_df = df.dropna(subset=[Y_MAIN, X_MAIN, *CONTROLS])
    baseline: dict = {}
    try:
        for i, yv in enumerate(OUTCOMES):
            if yv not in df.columns or df[yv].notna().sum() == 0:
                todo.append(f"baseline outcome {yv}: no data")
                continue
            r = fit_baseline(df, yv)
            for term in r.params.index:
                r.wild_bootstrap(term, **WILD)
            baseline[f"({i + 1})"] = r
        if "(1)" not in baseline:
            raise ValueError(f"the main outcome {Y_MAIN} could not be estimated")
        # replicate.do / replicate.R from the same specification (cannot drift from the table)
        thr = _balanced(df, [Y_MAIN, X_MAIN, *CONTROLS, "ln_gdp_pc"])
        spec = baseline_spec((int(thr.year.min()), int(thr.year.max())) if len(thr) else None)
        written.extend(replication.write(out_dir, spec))
        for lang in ("en", "zh"):
            bnotes = [_sample_note(baseline, df, lang), UNITS_NOTE[lang], BAD_CONTROL_NOTE[lang]]
            tab = regression_table(baseline, labels=labels[lang], lang=lang, notes=bnotes)
            written.extend(_write_table(out_dir, "baseline", {lang: tab}))
        rows = []
        for k, r in baseline.items():
            t = r.tidy()
            t.insert(0, "model", k)
            s_ = df.dropna(subset=[r.depvar, *r.params.index])
            t["depvar"], t["nobs"], t["r2_within"] = r.depvar, r.nobs, r.r2_within
            t["years"] = f"{int(s_.year.min())}-{int(s_.year.max())}"
            rows.append(t)
        _write_df(res_dir / "baseline.parquet", pd.concat(rows, ignore_index=True))
        written.append("results/baseline.parquet")

        def _head(r):
            w = r.wild[X_MAIN]
            s_ = df.dropna(subset=[r.depvar, *r.params.index])
            return {"depvar": r.depvar, "term": X_MAIN, "estimate": float(r.params[X_MAIN]),
                    "std_error": float(r.std_errors[X_MAIN]),
                    "p_value": float(r.pvalues[X_MAIN]), "wild_p_value": w.p_value,
                    "wild_ci": [w.ci_lower, w.ci_upper], "wild_method": w.method,
                    "nobs": r.nobs, "years": [int(s_.year.min()), int(s_.year.max())]}

        b1 = baseline["(1)"]
        summary["baseline"] = {**_head(b1), "notes": b1.notes}
        summary["baseline_by_outcome"] = {r.depvar: _head(r) for r in baseline.values()}
        for r in baseline.values():
            _log(verbose, f"baseline {r.depvar}: {X_MAIN} = {r.params[X_MAIN]:.4f} "
                 f"({r.std_errors[X_MAIN]:.4f}, p = {r.pvalues[X_MAIN]:.3f}, wild p = "
                 f"{r.wild[X_MAIN].p_value:.3f}), N = {r.nobs}")
    except Exception as exc:  # one block failing must not hide the others
        failed["baseline"] = f"{type(exc).__name__}: {exc}"
        _log(verbose, f"baseline failed: {exc}")

    # ---- 2. robustness of the TS baseline: bad controls, placebo lead, permutation --------
    try:
        rob_df = base_df.copy()
        lead = lag_within(rob_df, [X_MAIN], "province_code", "year", lag=-1)
        rob_df[f"F1.{X_MAIN}"] = lead[X_MAIN].to_numpy()
        add = {"bad control: + ln GDP pc": (["ln_gdp_pc"], "bad control: adds ln real GDP per "
                                            "capita, itself an outcome of R&D")}
        d_from = None
        if "D" in rob_df.columns and rob_df["D"].notna().any():
            d_from = int(rob_df.loc[rob_df["D"].notna(), "year"].min())
            add["bad controls: + ln GDP pc, D"] = (["ln_gdp_pc", "D"], "bad controls: adds ln "
                                                   "real GDP per capita and D, outcomes of R&D "
                                                   f"(D only from {d_from})")
        if "chain_linkage" in rob_df.columns and rob_df["chain_linkage"].notna().any():
            add["+ chain linkage"] = (["chain_linkage"], "adds chain linkage, identified only "
                                      "by the change between input-output tables")
        add["placebo: R&D lead"] = ([f"F1.{X_MAIN}"], "placebo: adds next year's R&D "
                                    "intensity, which cannot cause this year's TS")
        alts = [c for c in ("H",) if c in df.columns and df[c].notna().any()]
        rob = robustness(rob_df, Y_MAIN, [X_MAIN, *CONTROLS], "province_code", "year",
                         lags=1, winsorize=(0.01, 0.99),
                         exclude={"excl. municipalities": MUNICIPALITIES},
                         alt_outcomes=alts, add_regressors=add, wild=WILD)
        perm = permutation_test(base_df, Y_MAIN, [X_MAIN, *CONTROLS], X_MAIN, "province_code",
                                "year", reps=PERMUTATIONS, seed=SEED)
        rob.results["baseline"].extra["permutation_p"] = perm.p_value
        lead_r = rob.results.get("placebo: R&D lead")
        # every coefficient the table shows gets its wild bootstrap p (issue 11), not only R&D's
        for r in rob.results.values():
            if r.design is not None:
                for term in r.params.index:
                    if term not in r.wild:
                        r.wild_bootstrap(term, **WILD)
        spec_notes = rob.table.drop_duplicates("spec").query("note != ''")
        perm_note = {"en": (f"Randomisation inference: R&D intensity permuted across provinces "
                            f"within each year, {PERMUTATIONS} permutations (seed {SEED}), "
                            f"two-way FE re-estimated, p from |t| = {perm.p_value:.3f}."),
                     "zh": (f"随机化推断：R&D投入强度在每年内跨省随机置换{PERMUTATIONS}次（种子{SEED}），"
                            f"重新估计双向固定效应，基于|t|的p值为{perm.p_value:.3f}。")}
        rob_notes = _robustness_notes(d_from)
        for lang in ("en", "zh"):
            heads = ROBUSTNESS_HEADS[lang]
            cols = {heads.get(k, k): r for k, r in rob.results.items()}
            tab = regression_table(
                cols, labels=labels[lang], lang=lang,
                keep=[X_MAIN, f"F1.{X_MAIN}", *CONTROLS, *[c for c in ("ln_gdp_pc", "D",
                                                                       "chain_linkage")
                                                         if any(c in r.params.index
                                                                for r in rob.results.values())]],
                extra=["permutation_p"],
                notes=[_join_notes({heads.get(k, k): rob_notes[lang].get(k, v)
                                    for k, v in zip(spec_notes["spec"], spec_notes["note"],
                                                    strict=True)}, lang),
                       perm_note[lang]])
            written.extend(_write_table(out_dir, "robustness", {lang: tab}))
        table = rob.table.copy()
        for i, row_ in table.iterrows():  # the stored p-values are the table's
            r = rob.results.get(row_["spec"])
            w = None if r is None else r.wild.get(row_["term"])
            if w is not None:
                table.loc[i, ["wild_p_value", "wild_ci_lower", "wild_ci_upper"]] = \
                    [w.p_value, w.ci_lower, w.ci_upper]
        b0 = rob.results["baseline"]
        perm_row = pd.DataFrame([{
            "spec": "permutation test", "depvar": Y_MAIN, "term": X_MAIN,
            "estimate": float(b0.params[X_MAIN]), "std_error": float(b0.std_errors[X_MAIN]),
            "p_value": perm.p_value, "wild_p_value": np.nan, "wild_ci_lower": np.nan,
            "wild_ci_upper": np.nan, "nobs": b0.nobs, "r2_within": b0.r2_within,
            "note": perm.scheme + f", {PERMUTATIONS} permutations, seed {SEED}, p from |t|"}])
        table = pd.concat([table, perm_row], ignore_index=True)
        _write_df(res_dir / "robustness.parquet", table)
        written.append("results/robustness.parquet")
        summary["robustness"] = {
            "permutation_p": perm.p_value, "permutations": PERMUTATIONS,
            "placebo_lead": None if lead_r is None else {
                "estimate": float(lead_r.params[f"F1.{X_MAIN}"]),
                "p_value": float(lead_r.pvalues[f"F1.{X_MAIN}"]),
                "wild_p_value": lead_r.wild[f"F1.{X_MAIN}"].p_value},
            "specs": {k: {"estimate": float(r.params[X_MAIN]), "p_value": float(r.pvalues[X_MAIN]),
                          "wild_p_value": r.wild[X_MAIN].p_value if X_MAIN in r.wild else None}
                      for k, r in rob.results.items() if X_MAIN in r.params.index}}
        _log(verbose, f"robustness: permutation p = {perm.p_value:.3f}")
        if rob.failed:
            failed.update({f"robustness: {k}": v for k, v in rob.failed.items()})
    except Exception as exc:
        failed["robustness"] = f"{type(exc).__name__}: {exc}"
        _log(verbose, f"robustness failed: {exc}")

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
            xl = labels[lang].get(X_MAIN, X_MAIN)
            ftxt = (f"F({het.test['df1']}, {het.test['df2']:g}) = {het.test['stat']:.3f}, p = "
                    f"{het.test['p_value']:.4f}")
            note = (f"Wald test of equal {xl} slopes across the four regions (province-clustered, "
                    f"pooled interaction model): {ftxt}." if lang == "en" else
                    f"四大地区{xl}系数相等的Wald检验（交互项混合模型，省份聚类）：{ftxt}。")
            tab = regression_table(subs, labels=labels[lang], lang=lang, notes=[note])
            written.extend(_write_table(out_dir, "heterogeneity", {lang: tab}))
        sl = het.slopes.copy()
        sl["wald_F"], sl["wald_p"] = het.test["stat"], het.test["p_value"]
        _write_df(res_dir / "heterogeneity.parquet", sl)
        written.append("results/heterogeneity.parquet")
        summary["heterogeneity"] = {"F": het.test["stat"], "p_value": het.test["p_value"],
                                    "df1": het.test["df1"], "df2": het.test["df2"],
                                    "wild_only": [k for k, r in het.subsamples.items()
                                                  if r.wild_only]}
    except Exception as exc:
        failed["heterogeneity"] = f"{type(exc).__name__}: {exc}"

    # ---- 4-8. threshold (two-way, interior verdict); spatial (three W, model chosen by
    # tests); mechanism (R&D -> D / linkage -> TS, Jiang 2022) and moderation; system GMM with
    # the guard; specification curve. A failing block is recorded and the others still run.
    blocks = [("threshold", _threshold_block, df), ("spatial", _spatial_block, df)]
    if any(m in df.columns and df[m].notna().any() for m in MEDIATORS):
        blocks.append(("mechanisms", _mechanisms_block, df))
    else:
        todo.append("mechanism (mediators D, linkage) not estimated: no integration table")
    blocks += [("gmm", _gmm_block, base_df), ("specification_curve", _speccurve_block, df)]
    for name, block, frame in blocks:
        try:
            block(frame, labels, out_dir, res_dir, written, summary, verbose)
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
            _log(verbose, f"{name.replace('_', ' ')} failed: {exc}")
            if verbose:
                traceback.print_exc()

    # ---- failed blocks, and blocks that wrote nothing this run, leave no stale file ---------
    stale = [b for b in BLOCK_OUTPUTS if b in failed or not block_written(b, written)]
    discarded = discard_blocks(stale)
    written = [w for w in written if not any(d.endswith(w) for d in discarded)]
    seconds = round(time.perf_counter() - t0, 1)  # not in results.json: byte-reproducible runs
    summary.update({"written": written, "failed": failed, "todo": todo,
                    "discarded": discarded})
    paths.atomic_write_bytes(res_dir / "results.json",
                             json.dumps(summary, ensure_ascii=False, indent=1,
                                        default=str).encode("utf-8"))
    _log(verbose, f"{len(written)} files written in {seconds} s"
         + (f"; FAILED: {failed}" if failed else "") + (f"; TODO: {todo}" if todo else "")
         + (f"; removed {len(discarded)} stale file(s) of {', '.join(stale)}" if discarded else ""))
    return {"status": "done", "written": written, "failed": failed, "todo": todo,
            "discarded": discarded, "seconds": seconds}


# ------------------------------------------------------------------------------------------
# blocks of run() (each writes its tables and results and fills ``written`` and ``summary``;
# run() records a failure in ``failed``)
# ------------------------------------------------------------------------------------------


def _threshold_block(df, labels, out_dir, res_dir, written, summary, verbose) -> None:
    """Hansen (1999) threshold of TS on R&D in regimes of ln GDP per capita, two-way effects.

    Year effects stay unless they are jointly insignificant at 10 % (cluster-robust Wald test
    in the threshold model); the number of thresholds follows the sequential bootstrap tests
    at 10 %; :meth:`ThresholdResult.interior_verdict` decides whether any interior threshold
    is supported. Without one, ``threshold_regimes.parquet`` keeps each province-year's side of
    the (unsupported) split but no regime coefficient (``coef``/``std_error`` NaN,
    ``verdict`` = "no interior threshold"), so the reports show none.
    """
    from analysis.models.tables import regression_table
    from analysis.models.threshold import hansen_threshold

    q = "ln_gdp_pc"
    xs = [*CONTROLS, q]  # the threshold variable's level enters too (Hansen 1999: d1)
    thr_df = _balanced(df, [Y_MAIN, X_MAIN, *xs])
    common = dict(grid=400, trim=0.05, seed=SEED)

    def fit(n, boot, te):
        return hansen_threshold(thr_df, Y_MAIN, xs, X_MAIN, q, "province_code", "year",
                                n_thresholds=n, bootstrap=boot, time_effects=te, **common)

    th_test = fit(2, THRESHOLD_BOOTSTRAP, True)
    yr = [c for c in th_test.params.index if c.startswith("year_")]
    R = np.zeros((len(yr), len(th_test.params)))
    for i, c in enumerate(yr):
        R[i, list(th_test.params.index).index(c)] = 1.0
    yt = th_test.wald_test(R)
    two_way = yt["p_value"] <= 0.10
    effects_note = (f"year effects jointly significant (F({yt['df1']}, {yt['df2']:g}) = "
                    f"{yt['stat']:.2f}, p = {yt['p_value']:.3f}): two-way effects" if two_way else
                    f"year effects jointly insignificant (p = {yt['p_value']:.3f} > 0.10): "
                    "province effects only")
    if not two_way:
        th_test = fit(2, THRESHOLD_BOOTSTRAP, False)
    m = 0
    for pv in th_test.p_values:
        if pv <= 0.10:
            m += 1
        else:
            break
    n_sel = max(m, 1)
    th = th_test if n_sel == 2 else fit(n_sel, 0, two_way)
    th.p_values = list(th_test.p_values[:n_sel])
    th.f_stats = list(th_test.f_stats[:n_sel])
    verdict = th.interior_verdict(max_p=0.10)
    interior = verdict["verdict"] == "threshold"
    # wild cluster bootstrap of the regime coefficients, conditional on the estimated thresholds:
    # given the regimes the model is a linear FE regression, refitted with twfe
    from analysis.models.twfe import twfe

    rcols = [n for n in th.params.index if n.startswith(f"{X_MAIN}_r")]
    lin = thr_df.sort_values(KEYS).reset_index(drop=True)
    regime = th.regime.to_numpy()
    for j, name in enumerate(rcols):
        lin[name] = lin[X_MAIN] * (regime == j)
    lr_ = twfe(lin, Y_MAIN, [*xs, *rcols], "province_code", "year",
               effects="twoway" if two_way else "entity")
    shown = [*xs, *rcols]  # every coefficient the table shows (the year dummies are dropped)
    if np.allclose(lr_.params[shown].to_numpy(), th.params[shown].to_numpy(), rtol=1e-6,
                   atol=1e-9):
        for name in shown:
            th.wild[name] = lr_.wild_bootstrap(name, **WILD)
    reg = th.regime.rename("regime").reset_index()
    reg = reg.merge(thr_df[KEYS + [q]], on=KEYS, how="left")
    coef = {int(n.rsplit("_r", 1)[1]): (float(th.params[n]), float(th.std_errors[n]))
            for n in th.params.index if n.startswith(f"{X_MAIN}_r")}
    reg["coef"] = reg["regime"].map(lambda j: coef.get(int(j), (np.nan, np.nan))[0])
    reg["std_error"] = reg["regime"].map(lambda j: coef.get(int(j), (np.nan, np.nan))[1])
    if not interior:
        reg["coef"] = np.nan
        reg["std_error"] = np.nan
    reg["threshold_var"] = q
    reg["verdict"] = verdict["verdict"]
    _write_df(res_dir / "threshold_regimes.parquet", reg)
    tests = th_test.tests.reset_index().rename(columns={"index": "test"})
    _write_df(res_dir / "threshold_tests.parquet", tests)
    written += ["results/threshold_regimes.parquet", "results/threshold_tests.parquet"]
    fpairs = list(enumerate(zip(th_test.f_stats, th_test.p_values, strict=False)))
    fnote = "; ".join(f"F{i + 1} = {f:.2f} (bootstrap p = {p:.3f})" for i, (f, p) in fpairs)
    fnote_zh = "；".join(f"F{i + 1} = {f:.2f}（自助法p = {p:.3f}）" for i, (f, p) in fpairs)
    small = [j for j, n_ in enumerate(verdict["regime_sizes"]) if n_ <= verdict["trim_bound"]]
    pv0 = verdict["p_values"][0] if verdict["p_values"] else float("nan")
    reasons_zh = "；".join(
        ([f"单一门槛的自助法p = {pv0:.3f} > {verdict['max_p']:g}"]
         if not (np.isfinite(pv0) and pv0 <= verdict["max_p"]) else [])
        + [f"区制{j}仅{verdict['regime_sizes'][j]}个观测，不超过修剪边界{verdict['trim_bound']}个观测，"
           "门槛位于可行网格边缘" for j in small])
    tnote = ", ".join(f"{g:.4f}" for g in th.thresholds)
    edges = [-np.inf, *th.thresholds, np.inf]
    reasons = "; ".join(verdict["reasons"])
    if th.wild:
        summary_wild = {k: v.p_value for k, v in th.wild.items()}
    else:
        summary_wild = {}
    vnote = {"en": (f"Verdict: {'an interior threshold is supported' if interior else 'no interior threshold'}"
                    + ("" if interior else f" ({reasons}); the regime coefficients are shown for "
                       "reference only and are not interpreted") + "."),
             "zh": ("结论：" + ("存在内部门槛。" if interior else
                              f"不存在内部门槛（{reasons_zh}）；区制系数仅供参考，不作解释。"))}
    for lang in ("en", "zh"):
        lab = dict(labels[lang])
        qs = Q_SHORT[lang].get(q, q)  # the threshold variable in a row label, no internal name
        lt, ge = ("<", "≥") if th.convention == "hansen" else ("≤", ">")
        for j in range(len(edges) - 1):
            lo_, hi_ = edges[j], edges[j + 1]
            cond = (f"{qs} {lt} {hi_:.3f}" if j == 0 else f"{qs} {ge} {lo_:.3f}"
                    if not np.isfinite(hi_) else f"{lo_:.3f} {'≤' if lt == '<' else '<'} {qs} "
                    f"{lt} {hi_:.3f}")
            lab[f"{X_MAIN}_r{j}"] = f"{lab.get(X_MAIN, X_MAIN)} × ({cond})"
        if lang == "en":
            head = (f"Thresholds in {labels['en'].get(q, q)}: {tnote}. {fnote}. "
                    f"{effects_note[0].upper() + effects_note[1:]}."
                    + (" Wild bootstrap p-values are conditional on "
                       "the estimated thresholds." if th.wild else "")
                    + (" Within R² counts the year dummies as regressors (xthreg convention), "
                       "so it is not comparable with the baseline's, which is net of both "
                       "fixed effects (reghdfe)." if two_way else ""))
        else:
            head = (f"门槛变量{labels['zh'].get(q, q)}的门槛值：{tnote}。{fnote_zh}。"
                    + ("含年份固定效应（双向固定效应）。" if two_way else "年份效应联合不显著，仅含省份固定效应。")
                    + ("野聚类自助法p值以估计的门槛值为条件。" if th.wild else "")
                    + ("组内R²把年份虚拟变量计为解释变量（xthreg口径），与基准回归剔除双向固定效应后的"
                       "组内R²（reghdfe口径）不可比。" if two_way else ""))
        tab = regression_table({"Hansen threshold" if lang == "en" else "门槛回归": th},
                               labels=lab, lang=lang, drop=[c for c in th.params.index
                                                           if c.startswith("year_")],
                               notes=[vnote[lang], head])
        written.extend(_write_table(out_dir, "threshold", {lang: tab}))
    summary["threshold"] = {
        "q": q, "thresholds": list(map(float, th.thresholds)), "n_significant": m,
        "f_stats": list(map(float, th_test.f_stats)),
        "p_values": list(map(float, th_test.p_values)),
        "years": [int(thr_df.year.min()), int(thr_df.year.max())],
        "regime_sizes": {int(k): int(v) for k, v in reg["regime"].value_counts().items()},
        "time_effects": bool(two_way), "year_effects_test": yt, "convention": th.convention,
        "verdict": verdict["verdict"], "reasons": verdict["reasons"],
        "trim_bound": verdict["trim_bound"], "interior": interior,
        "wild_p_values": summary_wild}
    if not interior:
        summary["threshold"]["warning"] = "no interior threshold: " + reasons
    _log(verbose, f"threshold: gammas {tnote}; {fnote}; {effects_note}; {verdict['verdict']}")


def mediator_indicators(mediator: str) -> pd.DataFrame | None:
    """The indicators a framework composite is built from, as the framework step wrote them.

    Reads ``data/processed/integration_codebook.csv`` (rows with ``role`` = indicator: labels,
    ``transformation`` = the spec.yaml formula, ``direction``) and the weights
    ``reports/framework/weights.csv`` (group ``U_st``/``U_ind`` for ``D``, ``linkage`` for the
    linkage index), so the models step depends on the framework's outputs, not on its code.

    Returns
    -------
    DataFrame or None
        ``name``, ``formula``, ``label_en``, ``label_zh``, ``direction``, ``weight`` (the weight
        within its group); None when either file is missing or the mediator is not a
        framework composite.
    """
    groups = {"D": ("U_st", "U_ind"), "linkage": ("linkage",)}.get(mediator)
    cb_p = paths.processed_dir() / "integration_codebook.csv"
    w_p = paths.reports_dir() / "framework" / "weights.csv"
    if groups is None or not cb_p.exists() or not w_p.exists():
        return None
    cb = pd.read_csv(cb_p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    w = pd.read_csv(w_p, encoding="utf-8-sig")
    w = w[w["group"].isin(groups)][["indicator", "weight"]]
    ind = cb[cb["role"] == "indicator"].rename(columns={"transformation": "formula"})
    out = w.merge(ind[["name", "formula", "label_en", "label_zh", "direction"]],
                  left_on="indicator", right_on="name", how="inner")
    return out[["name", "formula", "label_en", "label_zh", "direction", "weight"]] \
        if len(out) else None


def _mechanical_note(mediator: str, a: float, lang: str, label: str | None = None) -> str | None:
    """What part of step (2) "R&D → M" is mechanical, from the indicators' formulas.

    The indicators of U_st and U_ind for ``D``, those of the linkage index for ``linkage``
    (:func:`mediator_indicators`; :func:`analysis.models.mechanisms.mechanical_components`).
    ``a`` is the estimated X → M coefficient (its sign is compared with the mechanical one).
    None when the framework's indicator table is not available.
    """
    from analysis.models.mechanisms import mechanical_components

    inds = mediator_indicators(mediator)
    if inds is None:
        return None
    members = list(inds["name"])
    mc = mechanical_components(inds)
    lab = "label_en" if lang == "en" else "label_zh"

    def names(rel):
        return [str(v) for v in mc.loc[mc["relation"] == rel, lab]]

    pos = names("is X") + names("R&D in numerator")
    neg = names("R&D in denominator")
    wneg = float(mc.loc[mc["relation"] == "R&D in denominator", "weight"].sum())
    com = names("common denominator")
    n = len(members)
    mlab = label or MEDIATOR_LABELS[lang].get(mediator, mediator)

    def verb(k: int, one: str, many: str) -> str:
        return f"{k} {one if k == 1 else many}"

    if lang == "en":
        parts = [f"Mechanical links of {mlab} ({n} indicators in spec.yaml) with R&D intensity "
                 "(R&D expenditure / GDP):"]
        if pos:
            parts.append(f"{verb(len(pos), 'contains', 'contain')} R&D in the numerator ({'; '.join(pos)}), so step "
                         f"(2) 'R&D to {mediator}' is partly mechanical (upward) and is not "
                         "evidence of a mechanism;")
        if neg:
            share = (f"; together {wneg:.0%} of the index's weight" if mediator == "linkage"
                     and np.isfinite(wneg) else "")
            parts.append(f"{verb(len(neg), 'is', 'are')} per unit of R&D expenditure "
                         f"({'; '.join(neg)}{share}): a higher "
                         "R&D intensity lowers " + ("it" if len(neg) == 1 else "them")
                         + " by construction, a mechanical pull towards "
                         "a negative step (2)"
                         + (f", against the estimated a = {a:.3f} > 0;" if a > 0 else
                            f", in the direction of the estimated a = {a:.3f};"))
        if com:
            parts.append(f"{verb(len(com), 'is a ratio', 'are ratios')} to GDP, R&D intensity's "
                         "denominator "
                         f"({'; '.join(com)}): a common denominator correlates the ratios "
                         "(Kronmal 1993).")
        if not (pos or neg or com):
            parts.append("none.")
        return " ".join(parts).rstrip(";") + ("" if parts[-1].endswith(".") else ".")
    parts = [f"{mlab}（spec.yaml中{n}个指标）与R&D投入强度（R&D经费/GDP）的机械关联："]
    if pos:
        parts.append(f"{len(pos)}个指标的分子含R&D经费（{'；'.join(pos)}），第(2)步“R&D→{mlab}”"
                     "部分是机械的（向上），不能作为机制的证据；")
    if neg:
        share = (f"；合计占该指数权重的{wneg:.0%}" if mediator == "linkage" and np.isfinite(wneg)
                 else "")
        parts.append(f"{len(neg)}个指标以R&D经费为分母（{'；'.join(neg)}{share}），R&D投入强度上升时按"
                     "构造下降，使第(2)步机械地偏向负值"
                     + (f"，与估计的a = {a:.3f} > 0方向相反；" if a > 0 else
                        f"，与估计的a = {a:.3f}方向一致；"))
    if com:
        parts.append(f"{len(com)}个指标为与GDP之比，与R&D投入强度共用分母（{'；'.join(com)}），"
                     "共同分母会使比值相关（Kronmal 1993）。")
    if not (pos or neg or com):
        parts.append("无。")
    return "".join(parts).rstrip("；") + ("" if parts[-1].endswith("。") else "。")


def _mechanisms_block(df, labels, out_dir, res_dir, written, summary, verbose) -> None:
    """Mediation of R&D → TS by each of :data:`MEDIATORS` (Jiang 2022 reading), moderation by D.

    Table columns: (1) TS on R&D, then per mediator M: (k) M on R&D (Jiang's X → M step) and
    (k+1) TS on R&D and M. Every coefficient carries its wild cluster bootstrap p-value. The
    notes give the stepwise indirect effects (for comparison only), the mechanical links of
    each mediator with R&D intensity (:func:`_mechanical_note`) and Jiang's reading.
    """
    from analysis.models.mechanisms import mediation, moderation
    from analysis.models.tables import regression_table

    meds = {}
    for m in MEDIATORS:
        if m in df.columns and df[m].notna().any():
            meds[m] = mediation(df, Y_MAIN, X_MAIN, m, "province_code", "year",
                                controls=CONTROLS, bootstrap=1000, seed=SEED)
    first = next(iter(meds.values()))
    steps = {"(1)": first.total}
    for med in meds.values():
        if not (med.total.nobs == first.total.nobs
                and np.allclose(med.total.params.to_numpy(), first.total.params.to_numpy())):
            steps[f"({len(steps) + 1})"] = med.total  # another sample: its own total effect
        steps[f"({len(steps) + 1})"] = med.a_path
        steps[f"({len(steps) + 1})"] = med.direct
    # every column's sample: the common one of its mediator (mediation drops missing rows of
    # y, x, m and the controls together)
    by_m = {m: df.dropna(subset=[Y_MAIN, X_MAIN, m, *CONTROLS]) for m in meds}
    col_m = {}
    for k, r in steps.items():
        col_m[k] = next(m for m, med in meds.items()
                        if any(r is q for q in (med.total, med.a_path, med.direct)))
    sample_groups = []
    for m in meds:
        ks = [k for k, mm in col_m.items() if mm == m]
        same = [g for g in sample_groups if g[1].index.equals(by_m[m].index)]
        if same:
            same[0][0].extend(ks)
        else:
            sample_groups.append((ks, by_m[m]))
    sample_groups = [(f"{ks[0]}–{ks[-1]}" if len(ks) > 1 else ks[0], fr)
                     for ks, fr in sample_groups]
    for r in [*steps.values(), *(med.total for med in meds.values())]:
        for term in r.params.index:
            if term not in r.wild:
                r.wild_bootstrap(term, **WILD)
    rows = []
    for m, med in meds.items():
        t = med.summary_table("en")
        t.insert(0, "mediator", m)
        w = med.a_path.wild[X_MAIN]
        t["wild_p_value"] = np.nan
        t.loc[1, "wild_p_value"] = w.p_value  # the a (X → M) row
        t.loc[0, "wild_p_value"] = med.total.wild[X_MAIN].p_value
        t.loc[2, "wild_p_value"] = med.direct.wild[m].p_value
        t.loc[3, "wild_p_value"] = med.direct.wild[X_MAIN].p_value
        rows.append(t)
    _write_df(res_dir / "mediation.parquet", pd.concat(rows, ignore_index=True))
    written.append("results/mediation.parquet")
    for lang in ("en", "zh"):
        lab = {**labels[lang], **MEDIATOR_LABELS[lang]}
        notes = [_common_sample_note(sample_groups, lang)]
        step_txt, mech, reading = [], [], []
        for m, med in meds.items():
            lo, hi = med.boot_ci
            ml = lab.get(m, m)
            wa = med.a_path.wild[X_MAIN].p_value
            mnote = _mechanical_note(m, med.a, lang, ml)
            mechanical_up = m == "D"  # contains R&D intensity itself (checked by the note)
            if lang == "en":
                step_txt.append(f"via {ml}: a·b = {med.indirect:.4f}, Sobel z = "
                                f"{med.sobel_z:.2f} (p = {med.sobel_p:.3f}), province-cluster "
                                f"bootstrap 95% CI [{lo:.4f}, {hi:.4f}]")
                verdict = ("partly mechanical, so not presented as a mechanism" if mechanical_up
                           else "significant at 5%: consistent with a channel through "
                           f"{ml}, whose effect on TS is argued, not estimated" if wa < 0.05
                           else "not significant at 5%: no channel established")
                reading.append(f"R&D to {ml}: a = {med.a:.3f} (CR1 p = "
                               f"{float(med.a_path.pvalues[X_MAIN]):.3f}, wild p = {wa:.3f}), "
                               f"{verdict}")
            else:
                step_txt.append(f"经{ml}：a·b = {med.indirect:.4f}，Sobel z = {med.sobel_z:.2f}"
                                f"（p = {med.sobel_p:.3f}），省份聚类自助法95%置信区间"
                                f"[{lo:.4f}, {hi:.4f}]")
                verdict = ("部分是机械关联，不作为机制" if mechanical_up
                           else f"在5%水平显著，与经由{ml}的渠道一致（其对TS的作用由理论论证，"
                           "非估计所得）" if wa < 0.05 else "在5%水平不显著，不能确立该渠道")
                reading.append(f"R&D→{ml}：a = {med.a:.3f}（CR1 p = "
                               f"{float(med.a_path.pvalues[X_MAIN]):.3f}，野聚类自助法p = "
                               f"{wa:.3f}），{verdict}")
            if mnote:
                mech.append(mnote)
        if lang == "en":
            notes.append("Stepwise indirect effects (for comparison only): " + "; ".join(step_txt)
                         + f" (1000 draws, seed {SEED}).")
            notes.append(first.jiang["note_en"])
            notes.extend(mech)
            notes.append("Jiang (2022) reading: " + "; ".join(reading) + ".")
        else:
            notes.append("逐步法间接效应（仅供对照）：" + "；".join(step_txt) + f"（1000次，种子{SEED}）。")
            notes.append(first.jiang["note_zh"])
            notes.extend(mech)
            notes.append("按江艇（2022）的解读：" + "；".join(reading) + "。")
        tab = regression_table(steps, labels=lab, lang=lang, notes=notes)
        written.extend(_write_table(out_dir, "mediation", {lang: tab}))

    # moderation of the R&D effect by D (centred interaction), every coefficient bootstrapped
    if "D" in meds:
        mo = moderation(df, Y_MAIN, X_MAIN, "D", "province_code", "year", controls=CONTROLS)
        if mo.model.design is not None:
            for term in mo.model.params.index:
                mo.model.wild_bootstrap(term, **WILD)
        _write_df(res_dir / "moderation_margins.parquet", mo.margins)
        written.append("results/moderation_margins.parquet")
        for lang in ("en", "zh"):
            lab = dict(labels[lang])
            lab[mo.interaction] = f"{lab.get(X_MAIN, X_MAIN)} × {lab.get('D', 'D')}"
            xl, dl = lab.get(X_MAIN, X_MAIN), lab.get("D", "D")
            col = {"Moderation" if lang == "en" else "调节效应": mo.model}
            mnote = (f"{xl} and {dl} centred at their sample means ({mo.x_mean:.4g}, "
                     f"{mo.z_mean:.4g}). D contains R&D intensity among its indicators, so the "
                     "interaction is partly R&D intensity squared; it is not read as "
                     "integration amplifying R&D." if lang == "en" else
                     f"{xl}与{dl}均按样本均值中心化（{mo.x_mean:.4g}，{mo.z_mean:.4g}）。"
                     "耦合协调度的指标包含R&D投入强度，交互项部分是R&D投入强度的平方项，"
                     "不解读为融合放大了R&D的作用。")
            tab = regression_table(col, labels=lab, lang=lang,
                                   notes=[_common_sample_note(
                                       [("", df.dropna(subset=[Y_MAIN, X_MAIN, "D",
                                                               *CONTROLS]))], lang), mnote])
            written.extend(_write_table(out_dir, "moderation", {lang: tab}))
    d = meds.get("D", first)
    lo, hi = d.boot_ci
    summary["mediation"] = {
        "mediator": "D" if "D" in meds else first.a_path.depvar, "a": d.a, "b": d.b,
        "indirect": d.indirect, "sobel_p": d.sobel_p, "boot_ci": [lo, hi],
        "jiang_a_p": d.jiang["p_value"], "jiang_a_wild_p": d.a_path.wild[X_MAIN].p_value,
        "by_mediator": {m: {"a": med.a, "a_p": med.jiang["p_value"],
                            "a_wild_p": med.a_path.wild[X_MAIN].p_value, "b": med.b,
                            "indirect": med.indirect, "sobel_p": med.sobel_p,
                            "boot_ci": list(med.boot_ci), "nobs": med.total.nobs}
                        for m, med in meds.items()}}
    for m, med in meds.items():
        _log(verbose, f"mediation {m}: a = {med.a:.4f} (wild p = "
             f"{med.a_path.wild[X_MAIN].p_value:.3f}), a·b = {med.indirect:.4f}")


#: Short names of the threshold variable inside the threshold table's row labels.
Q_SHORT = {"en": {"ln_gdp_pc": "ln real GDP per capita"}, "zh": {"ln_gdp_pc": "人均实际GDP对数"}}

#: Chinese names of the spatial tests and models in the table notes.
TEST_NAMES_ZH = {"LM lag": "LM滞后", "LM error": "LM误差", "robust LM lag": "稳健LM滞后",
                 "robust LM error": "稳健LM误差", "Wald SAR": "Wald（SAR）",
                 "LR SAR": "LR（SAR）", "Wald SEM": "Wald（SEM）", "LR SEM": "LR（SEM）"}
MODEL_NAMES_ZH = {"none": "非空间模型", "sar": "空间滞后模型（SAR）", "sem": "空间误差模型（SEM）",
                  "sdm": "空间杜宾模型（SDM）"}

#: The decision rule of :func:`analysis.models.spatial.spatial_model_selection`, with sources.
SPATIAL_RULE_NOTE = {
    "en": ("Model choice per W at the 5% level (Elhorst 2010, Spatial Economic Analysis 5(1); "
           "Elhorst 2014, Spatial Econometrics, §2.3): specific-to-general first, LM and robust "
           "LM tests on the non-spatial two-way FE model (Anselin, Bera, Florax & Yoon 1996); "
           "then general-to-specific, LR and Wald tests of the SDM's restrictions θ = 0 (SAR) and "
           "θ + ρβ = 0 (SEM). No spatial model when no LM and no LR test rejects; SDM when both "
           "restrictions are rejected; SAR (SEM) when only θ = 0 (θ + ρβ = 0) is not rejected "
           "and the robust LM lag (error) test is the stronger."),
    "zh": ("各权重矩阵在5%水平下选择模型（Elhorst 2010，《Spatial Economic Analysis》5(1)；Elhorst "
           "2014，《Spatial Econometrics》第2.3节）：先“从特殊到一般”，对非空间双向固定效应模型做LM与稳健LM"
           "检验（Anselin、Bera、Florax与Yoon 1996）；再“从一般到特殊”，对SDM的约束θ = 0（退化为SAR）与"
           "θ + ρβ = 0（退化为SEM）做LR与Wald检验。LM与LR检验均不拒绝时不采用空间模型；两个约束均被拒绝时"
           "选择SDM；仅θ = 0（θ + ρβ = 0）不被拒绝且稳健LM滞后（误差）检验更强时选择SAR（SEM）。"),
}


def _spatial_reading(wname: str, sel, sdm, lang: str, alpha: float = 0.05) -> list[str]:
    """What the tests under one W do and do not support, beyond the model choice.

    * Both robust LM tests reject: they do not discriminate between a lag and an error process
      (Anselin et al. 1996); the choice rests on the LR / Wald tests.
    * A spatial-lag model is chosen (SDM or SAR) but ρ is insignificant while θ = 0 is
      rejected: the spillover runs through W×X only, a local spillover of the SLX type
      (Halleck Vega & Elhorst 2015, J. Regional Science 55(3)), not a global one with feedback
      through W×y; the indirect effects are then essentially θ.
    """
    p = {**sel.lm["p_value"].to_dict(), **sel.wald_lr["p_value"].to_dict()}
    wl = W_LABELS[lang][wname].split(" (")[0].split("（")[0]
    out = []
    if p["robust LM lag"] < alpha and p["robust LM error"] < alpha:
        out.append(f"Under {wl}, both robust LM tests reject (p = {p['robust LM lag']:.3f}, "
                   f"{p['robust LM error']:.3f}) while LM lag p = {p['LM lag']:.3f} and LM error "
                   f"p = {p['LM error']:.3f}: the LM tests do not discriminate between a spatial "
                   "lag and a spatial error process, and the choice rests on the LR / Wald tests."
                   if lang == "en" else
                   f"{wl}下两个稳健LM检验均拒绝（p = {p['robust LM lag']:.3f}、"
                   f"{p['robust LM error']:.3f}），而LM滞后p = {p['LM lag']:.3f}、LM误差p = "
                   f"{p['LM error']:.3f}：LM检验无法区分空间滞后与空间误差过程，模型选择取决于LR/Wald检验。")
    rho, rho_p = float(sdm.rho), float(sdm.pvalues["rho"])
    if sel.model in ("sdm", "sar") and rho_p >= alpha and p["LR SAR"] < alpha:
        out.append(f"Under {wl}, ρ = {rho:.3f} (p = {rho_p:.3f}) is insignificant and only the W×X "
                   f"terms matter (LR test of θ = 0: p = {p['LR SAR']:.3f}): the spillover is "
                   "local, of the SLX type (Halleck Vega & Elhorst 2015), from neighbours' "
                   "regressors to a province's TS, not a global spillover with feedback through "
                   "W×TS; the indirect effects are essentially the W×X coefficients."
                   if lang == "en" else
                   f"{wl}下ρ = {rho:.3f}（p = {rho_p:.3f}）不显著，仅W×X项显著（θ = 0的LR检验p = "
                   f"{p['LR SAR']:.3f}）：溢出为局部溢出（SLX型，Halleck Vega与Elhorst 2015），即邻近省份的"
                   "解释变量影响本省TS，而非经由W×TS反馈的全局溢出；间接效应基本等于W×X系数。")
    return out


def _economic_w_note(frame: pd.DataFrame, lang: str) -> str:
    """How the economic-distance W is built (variable, years) and why it is endogenous."""
    yrs = f"{int(frame.year.min())}–{int(frame.year.max())}"
    real = "gdp_real" in frame.columns
    if lang == "en":
        return (f"Economic-distance W: w_ij = 1/|g_i − g_j|, g the province's mean "
                f"{'real GDP per capita (2010 prices)' if real else 'GDP per capita'} over "
                f"{yrs}, the estimation years, row-standardised. GDP per capita is related to "
                "the outcome and is itself an outcome of R&D (a bad control in the baseline), so "
                "this W is endogenous: its estimates describe co-movement among economically "
                "similar provinces, not causal spillovers (Qu & Lee 2015, J. Econometrics "
                "184(2), on endogenous weight matrices).")
    return (f"经济距离矩阵：w_ij = 1/|g_i − g_j|，g为各省{yrs}年（即估计样本年份）"
            f"{'人均实际GDP（2010年价格）' if real else '人均GDP'}的均值，行标准化。人均GDP与被解释变量相关，"
            "且本身受R&D影响（基准回归中的“不良控制变量”），故该矩阵是内生的：其估计结果仅描述经济水平相近省份之间的"
            "共同变动，而非因果溢出（Qu与Lee 2015，《Journal of Econometrics》184(2)，内生权重矩阵）。")


def _effects_table_multi(fits: dict, verdicts: dict, labels) -> dict:
    """Direct / indirect / total effects of the chosen model under each W, one table."""
    from analysis.models.results import ModelResult
    from analysis.models.tables import regression_table

    names = {"en": {"direct": "direct", "indirect": "indirect", "total": "total"},
             "zh": {"direct": "直接", "indirect": "间接（溢出）", "total": "总"}}
    out = {}
    for lang in ("en", "zh"):
        cols, notes = {}, []
        for wname, res in fits.items():
            v = verdicts[wname]
            for kind in ("direct", "indirect", "total"):
                part = res.effects.xs(kind, level="effect")
                cols[f"{W_LABELS[lang][wname].split(' (')[0].split('（')[0]}: "
                     f"{names[lang][kind]}"] = ModelResult(
                    params=part["estimate"], std_errors=part["std_error"], nobs=res.nobs,
                    depvar=res.depvar, model=f"{res.model}-effects", n_groups=res.n_groups,
                    fixed_effects=list(res.fixed_effects))
            slx = (v.interpret_spillovers and res.rho is not None
                   and float(res.pvalues["rho"]) >= v.alpha
                   and float(v.wald_lr.loc["LR SAR", "p_value"]) < v.alpha)
            if lang == "en":
                notes.append(f"{W_LABELS['en'][wname]}: {res.model.upper()} "
                             + (f"(chosen by the tests); ρ = {res.rho:.3f} is insignificant "
                                f"(p = {float(res.pvalues['rho']):.3f}), so the indirect effects "
                                "are local (SLX-type) spillovers through W×X, not global "
                                "feedback; see the spatial Durbin table for how this W is built."
                                if slx else
                                "(chosen by the tests); spillovers interpreted."
                                if v.interpret_spillovers else
                                "(for reference: the tests support "
                                + ("no spatial dependence" if v.model == "none" else
                                   "a spatial error model, whose indirect effects are zero")
                                + "); spillovers NOT interpreted."))
            else:
                notes.append(f"{W_LABELS['zh'][wname]}：{res.model.upper()}"
                             + (f"（检验选定）；ρ = {res.rho:.3f}不显著（p = "
                                f"{float(res.pvalues['rho']):.3f}），间接效应为经由W×X的局部溢出"
                                "（SLX型），而非全局反馈；该矩阵的构造见空间杜宾模型表。" if slx else
                                "（检验选定），解释溢出效应。" if v.interpret_spillovers else
                                "（仅供参考：检验" + ("不支持空间依赖" if v.model == "none"
                                                  else "支持空间误差模型，其间接效应为零")
                                + "），不解释溢出效应。"))
        notes.append(f"LeSage–Pace (2009) effects; standard errors from {SPATIAL_DRAWS} draws of "
                     f"the ML estimates (seed {SEED})." if lang == "en" else
                     f"LeSage–Pace（2009）效应分解；标准误基于ML估计量的{SPATIAL_DRAWS}次模拟（种子{SEED}）。")
        out[lang] = regression_table(cols, labels=labels[lang], lang=lang, stats=("nobs",),
                                     show_cluster=False, show_fe=False, notes=notes)
    return out


def _spatial_block(df, labels, out_dir, res_dir, written, summary, verbose) -> None:
    """LM / LR / Wald tests choose the spatial model per W; effects only where supported."""
    from analysis.models.spatial import spatial_model_selection, spatial_panel
    from analysis.models.tables import regression_table

    sp_df = _balanced(df, [Y_MAIN, X_MAIN, *CONTROLS])
    xs = [X_MAIN, *CONTROLS]
    ws = spatial_weight_matrices(sp_df)
    verdicts, sdms, chosen, test_rows = {}, {}, {}, []
    for wname, w in ws.items():
        sel = spatial_model_selection(sp_df, Y_MAIN, xs, "province_code", "year", w)
        verdicts[wname] = sel
        for tname, r in pd.concat([sel.lm, sel.wald_lr]).iterrows():
            test_rows.append({"W": wname, "test": tname, "statistic": float(r["statistic"]),
                              "df": int(r["df"]), "p_value": float(r["p_value"])})
        sdms[wname] = sel.fits["sdm"]
        model = sel.model if sel.model in ("sar", "sem", "sdm") else "sdm"
        chosen[wname] = spatial_panel(sp_df, Y_MAIN, xs, "province_code", "year", w,
                                      model=model, effects="twoways", n_sim=SPATIAL_DRAWS,
                                      seed=SEED)
        _log(verbose, f"spatial {wname}: {sel.model}; " + "; ".join(sel.reasons))
    tests = pd.DataFrame(test_rows)
    _write_df(res_dir / "spatial_tests.parquet", tests)
    _write_df(res_dir / "spatial_lm.parquet",
              tests[tests["test"].str.contains("LM")].reset_index(drop=True))
    eff_all = []
    for wname, res in chosen.items():
        e = res.effects.reset_index()
        e.insert(0, "model", res.model)
        e.insert(0, "W", wname)
        e["interpret_spillovers"] = verdicts[wname].interpret_spillovers
        eff_all.append(e)
    eff_all = pd.concat(eff_all, ignore_index=True)
    _write_df(res_dir / "spatial_effects_all.parquet", eff_all)
    # the reports' table: the queen-contiguity W (the neighbours the reports name)
    _write_df(res_dir / "spatial_effects.parquet",
              eff_all[eff_all["W"] == "queen"].drop(columns="W").reset_index(drop=True))
    written += ["results/spatial_tests.parquet", "results/spatial_lm.parquet",
                "results/spatial_effects_all.parquet", "results/spatial_effects.parquet"]
    paths.atomic_write_bytes(out_dir / "spatial_effects.csv",
                             eff_all.to_csv(index=False).encode("utf-8"))
    written.append("spatial_effects.csv")
    for lang in ("en", "zh"):
        lab = dict(labels[lang])
        for c in xs:
            lab[f"W*{c}"] = f"W×{lab.get(c, c)}"
        cols = {W_LABELS[lang][k].split(" (")[0].split("（")[0]: r for k, r in sdms.items()}
        lab["rho"] = "ρ (W×TS)" if lang == "en" else "ρ（W×TS）"
        notes = []
        for k, sel in verdicts.items():
            tn = {} if lang == "en" else TEST_NAMES_ZH
            lm = ", ".join(f"{tn.get(t, t)} {p:.3f}" for t, p in sel.lm["p_value"].items())
            lr = ", ".join(f"{tn.get(t, t)} {p:.3f}" for t, p in sel.wald_lr["p_value"].items())
            rho, rho_p = sdms[k].rho, float(sdms[k].pvalues["rho"])
            if lang == "en":
                chosen_txt = sel.model.upper() if sel.model != "none" else "no spatial model"
                notes.append(f"{W_LABELS['en'][k]}: ρ = {rho:.3f} (p = {rho_p:.3f}); p-values: "
                             f"{lm}; {lr}. Chosen: {chosen_txt}"
                             + ("" if sel.dependence else
                                " (no spatial dependence supported: spillovers not interpreted)")
                             + ".")
            else:
                chosen_txt = MODEL_NAMES_ZH[sel.model]
                notes.append(f"{W_LABELS['zh'][k]}：ρ = {rho:.3f}（p = {rho_p:.3f}）；p值：{lm}；{lr}。"
                             f"检验选择：{chosen_txt}"
                             + ("" if sel.dependence else "（不支持空间依赖，不解释溢出效应）") + "。")
            notes.extend(_spatial_reading(k, sel, sdms[k], lang))
        notes.append(SPATIAL_RULE_NOTE[lang])
        if "economic" in ws:
            notes.append(_economic_w_note(sp_df, lang))
        notes.append("Spatial Durbin model under each W, two-way FE (Lee–Yu), shown for "
                     "comparison; the tests' choice per W is stated above." if lang == "en" else
                     "各权重矩阵下的空间杜宾模型（双向固定效应，Lee–Yu），仅供比较；各矩阵的检验选择见上。")
        tab = regression_table(cols, labels=lab, lang=lang, show_cluster=False, notes=notes)
        written.extend(_write_table(out_dir, "spatial_sdm", {lang: tab}))
    written.extend(_write_table(out_dir, "spatial_effects",
                                _effects_table_multi(chosen, verdicts, labels)))
    summary["spatial"] = {
        "rho": float(sdms["queen"].rho), "nobs": sdms["queen"].nobs,
        "verdicts": {k: {**v.as_dict(), "rho_sdm": float(sdms[k].rho),
                         "effects_model": chosen[k].model} for k, v in verdicts.items()},
        "interpret_spillovers": {k: v.interpret_spillovers for k, v in verdicts.items()},
        "weights": {k: W_LABELS["en"][k] for k in ws}}


def _gmm_block(base_df, labels, out_dir, res_dir, written, summary, verbose) -> None:
    """System GMM with the guard (collapsed, instruments ≤ provinces, unit-root warning)."""
    import warnings

    from analysis.models.gmm import dynamic_gmm
    from analysis.models.tables import regression_table

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = dynamic_gmm(base_df, Y_MAIN, [X_MAIN, *CONTROLS], "province_code", "year",
                         lags=1, method="system", collapse=True)
    warned = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    rows = gm.tidy()
    for k in ("instruments", "hansen", "hansen_df", "hansen_p", "ar1", "ar1_p", "ar2",
              "ar2_p"):
        rows[k] = gm.extra.get(k)
    _write_df(res_dir / "gmm.parquet", rows)
    written.append("results/gmm.parquet")
    rho_gmm = float(gm.params[f"L1.{Y_MAIN}"])
    gnotes = {"en": [], "zh": []}
    if rho_gmm >= 0.95:
        gnotes["en"].append(f"The lagged outcome's coefficient is {rho_gmm:.3f} ≥ 0.95 (near or "
                            "at a unit root): lagged levels are weak instruments, long-run "
                            "effects β/(1−ρ) are undefined or explosive, and system GMM's level "
                            "moment conditions are doubtful; the dynamics are not interpreted.")
        gnotes["zh"].append(f"滞后被解释变量系数为{rho_gmm:.3f}≥0.95（接近或达到单位根）：滞后水平值为弱工具变量，"
                            "长期效应β/(1−ρ)无定义或发散，系统GMM水平方程矩条件存疑，不解释动态效应。")
    n_i, n_g = int(gm.extra["instruments"]), int(gm.n_groups)
    hp, a2 = float(gm.extra["hansen_p"]), float(gm.extra.get("ar2_p", float("nan")))
    a1 = float(gm.extra.get("ar1_p", float("nan")))
    caveat = {"en": (f"Roodman (2009): {n_i} instruments for {n_g} provinces; the Hansen J test "
                     "loses power as instruments multiply, so a p-value near 1 signals instrument "
                     "proliferation, not valid instruments"
                     + (f"; here it rejects the over-identifying restrictions (p = {hp:.3f}): "
                        "the instruments are not valid as a set" if hp < 0.05 else
                        f" (here p = {hp:.3f})")
                     + f"; AR(2) p = {a2:.3f} "
                     + ("does not reject, as required." if a2 >= 0.05 else
                        "rejects: lagged levels are not valid instruments.")
                     + (f" AR(1) p = {a1:.3f} does not reject either, unusual for first-differenced "
                        "errors (expected MA(1))." if a1 >= 0.05 else "")),
              "zh": (f"Roodman（2009）提示：{n_g}个省份使用{n_i}个工具变量；工具变量增多时Hansen J检验势减弱，"
                     "p值接近1意味着工具变量过多而非有效"
                     + (f"；本模型Hansen检验拒绝过度识别约束（p = {hp:.3f}），工具变量整体无效" if hp < 0.05
                        else f"（本模型p = {hp:.3f}）")
                     + f"；AR(2)检验p = {a2:.3f}，"
                     + ("不拒绝，符合要求。" if a2 >= 0.05 else "拒绝：滞后水平值不是有效工具变量。")
                     + (f"AR(1)检验p = {a1:.3f}亦不拒绝，对一阶差分误差而言不寻常（应为MA(1)）。"
                        if a1 >= 0.05 else ""))}
    for lang in ("en", "zh"):
        lab = dict(labels[lang])
        lab[f"L1.{Y_MAIN}"] = (f"{lab.get(Y_MAIN, Y_MAIN)}, lagged one year" if lang == "en"
                               else f"{lab.get(Y_MAIN, Y_MAIN)}滞后一期")
        tab = regression_table({"System GMM" if lang == "en" else "系统GMM": gm},
                               labels=lab, lang=lang, stats=("nobs", "n_groups"),
                               keep=[f"L1.{Y_MAIN}", X_MAIN, *CONTROLS],
                               extra=["instruments", "ar1_p", "ar2_p", "hansen_p"],
                               show_fe=False, show_cluster=False,
                               notes=["Two-step, Windmeijer-corrected SEs; collapsed "
                                      "instruments (at most one per province); year dummies "
                                      "included." if lang == "en"
                                      else "两步法，Windmeijer修正标准误；工具变量折叠"
                                      "（collapse，数量不超过省份数）；含年份虚拟变量。",
                                      caveat[lang], *gnotes[lang]])
        written.extend(_write_table(out_dir, "gmm", {lang: tab}))
    summary["gmm"] = {k: gm.extra.get(k) for k in ("instruments", "ar1_p", "ar2_p", "hansen",
                                                   "hansen_df", "hansen_p")}
    summary["gmm"].update({"rho": rho_gmm, "n_groups": n_g, "near_unit_root": rho_gmm >= 0.95,
                           "warnings": warned, "notes": gm.notes})
    _log(verbose, f"gmm: rho = {rho_gmm:.3f}, {n_i} instruments for {n_g} groups, AR(2) p = "
         f"{gm.extra.get('ar2_p', float('nan')):.3f}, Hansen p = {gm.extra['hansen_p']:.3f}")


def _speccurve_block(df, labels, out_dir, res_dir, written, summary, verbose) -> None:
    """Specification curve of the R&D coefficient: CSV, parquet and figure."""
    import os

    import matplotlib

    from analysis.models.speccurve import specification_curve, specification_curve_figure

    outcomes = {v: v for v in OUTCOMES if v in df.columns and df[v].notna().any()}
    controls = {"none": [], "baseline": list(CONTROLS),
                "+ bad control (ln GDP pc)": [*CONTROLS, "ln_gdp_pc"]}
    sc = specification_curve(df, x=X_MAIN, outcomes=outcomes, controls=controls,
                             windows=WINDOWS, inference=("CR1", "wild"), wild=WILD,
                             min_clusters_webb=MIN_CLUSTERS)
    t = sc.table
    paths.atomic_write_bytes(out_dir / "specification_curve.csv",
                             t.to_csv(index=False, float_format="%.10g").encode("utf-8"))
    _write_df(res_dir / "specification_curve.parquet", t)
    written += ["specification_curve.csv", "results/specification_curve.parquet"]
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    # the figure names the outcomes as the tables do (no internal column names)
    shown = t.replace({"outcome": {"TL_neg": "−Theil (rationalisation)"}})
    fig = specification_curve_figure(shown,
                                     x_label=f"coefficient of {labels['en'].get(X_MAIN, X_MAIN)}")
    for ext, kw in (("png", {"dpi": 150, "metadata": {"Software": None}}),
                    ("pdf", {"metadata": {"CreationDate": None, "ModDate": None,
                                          "Producer": None, "Creator": None}})):
        target = out_dir / f"specification_curve.{ext}"
        tmp = target.with_name(f".{target.stem}.tmp{os.getpid()}.{ext}")
        fig.savefig(tmp, bbox_inches="tight", **kw)
        os.replace(tmp, target)
        written.append(f"specification_curve.{ext}")
    plt.close(fig)
    summary["specification_curve"] = {**sc.summary, "notes": sc.notes,
                                      "choices": {"outcomes": list(outcomes),
                                                  "controls": controls,
                                                  "windows": {k: list(v) for k, v in
                                                              WINDOWS.items()},
                                                  "fixed_effects": sorted(set(t.fixed_effects)),
                                                  "inference": ["CR1", "wild"]}}
    _log(verbose, f"specification curve: {len(t)} specifications, median "
         f"{sc.summary['median_estimate']:.3f}, share significant at 5 % "
         f"{sc.summary['share_significant']:.2f}")
