"""Build ``data/processed/`` from ``data/raw/``: the province-year panel, IO tables, codebook, checks.

Steps of :func:`build`
----------------------
1. :func:`analysis.data.fetch.fetch` if ``data/raw/`` is incomplete (cheap size/mtime check).
2. (Whether to build at all is decided by the step runner, :mod:`analysis.steps`, which keys the
   data step on the raw files' registered SHA-256, the parameters and the code :func:`build`
   imports; :func:`build` itself always builds.)
3. Call every parser ``analysis.data.sources.<name>.read(raw_dir)`` (panel sources return a wide
   DataFrame keyed ``province_code``, ``year``) and :func:`analysis.data.io_tables.read_io`.
   Each parser's output is also stored as ``data/processed/sources/<name>.parquet`` so that the
   cross-source reconciliation (:mod:`analysis.data.checks`) can compare vintages.
4. Merge on the full grid 31 provinces x years (every year any panel source covers within
   ``YEAR_RANGE``, at least 2010-2023). When two sources supply the same column, the source in
   :data:`PREFERRED` (else the earlier one in :data:`PANEL_SOURCES`) wins; the other stays in its
   ``sources/<name>.parquet`` for reconciliation. Nothing is filled: a cell no source has is NaN
   and appears in ``gaps.csv``.
5. Derived columns (documented in :data:`DERIVED`), each only if no parser supplies it:
   ``basic_share``, ``secondary_share``, ``tertiary_share`` (over the sum of sectors),
   ``gdp_deflator``, ``gdp_real`` (chained volume indices, base year a parameter). GDP and value
   added arrive vintage-consistent from the ``nbs`` parser (:mod:`analysis.data.vintage`).
6. Validate with the pandera schemas (:mod:`analysis.data.schemas`); a failure stops the build.
7. Write ``panel.parquet``, ``panel.dta`` (Stata 118, zh/en labels), ``panel.csv`` (UTF-8 with
   BOM), ``codebook.csv``, ``gaps.csv``, ``io_flows|io_final|io_va.parquet``; run identities,
   reconciliation and the break detector (``checks/*.csv``, ``checks/breaks.csv``). Everything
   is written to ``data/processed/.staging-<pid>/`` and moved into place (``os.replace``, file
   by file) only when all of it succeeded, so a failed build leaves the previous files intact
   (the step runner keeps them in place and redoes the data step before any later step runs:
   :mod:`analysis.steps`, "Failures").
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import os
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.data import fetch as _fetch
from analysis.data.codebook import Variable

PANEL_SOURCES: list[str] = ["techme", "techme_yearbook", "torch_innocom", "nbs", "gpi", "nqp",
                             "user"]
"""Parsers in ``analysis.data.sources`` that return province-year tables, in priority order.

``user`` holds the series registered with ``python -m analysis data import``
(:mod:`analysis.data.user_sources`); its names never collide with another parser's columns."""

RECONCILIATION_READERS: dict[str, dict[str, str]] = {
    "nbs": {"nbs_revised": "read_gdp_revised",        # Sheet2: the latest vintage, 2015-2024
            "nbs_published": "read_gdp_published",    # sheet1 as compiled (mixed vintages)
            "nbs_vintage": "read_vintage_links"},     # link factors of the vintage method
}
"""Extra series read only for cross-source reconciliation: source -> {frame name: function}."""

OTHER_SOURCES: dict[str, tuple[str, str]] = {
    "boundaries": ("read_boundaries", "boundaries.parquet"),  # GeoParquet, EPSG:4326
    # Taiwan, Hong Kong, Macao and the maritime boundary line: drawn on every map of China
    "boundaries_context": ("read", "boundaries_context.parquet"),
    "hansen": ("read_hansen", "hansen1999.parquet"),  # firm-year threshold example data
}
"""Parsers whose output is not province-year: module -> (function, processed file)."""

PREFERRED: dict[str, str] = {
    # NBS compilation: vintage-consistent GDP and sectors (analysis.data.vintage)
    "gdp": "nbs", "va_primary": "nbs", "va_secondary": "nbs", "va_tertiary": "nbs",
    "urbanisation": "nbs", "gdp_index": "nbs",
    # S&T yearbook is the primary publication of R&D, patents and technology-market series
    "rd_exp": "techme", "rd_fte": "techme", "patent_grant": "techme", "patent_app": "techme",
    "tech_market_seller": "techme", "tech_market_buyer": "techme",
    # year-end resident population: NBS via the 2011-2023 panel (GPI workbook stops in 2018)
    "population": "nqp",
    # certification lists as summarised from the Torch Centre's site; techme's HitechFirmsPub
    # is built from the same files (checks: recon_hightech_enterprises_torch_techme)
    "hightech_enterprises": "torch_innocom",
}
"""Which source wins when several supply a column (reasons in the comments)."""

YEAR_RANGE = (2000, 2024)
REQUIRED_YEARS = range(2010, 2024)
KEYS = ["province_code", "year"]

DERIVED: list[Variable] = [
    Variable("basic_share", "基础研究经费占比", "Basic research share of R&D expenditure", "share",
             "techme/rda/RDActivity.rda", "RDActivity",
             "rd_exp_basic / rd_exp (computed in pipeline when the parser does not supply it)"),
    Variable("secondary_share", "第二产业增加值占比", "Secondary-sector share of value added",
             "share", "nbs_compilations/gdp.xlsx", "sheet1: 地区生产总值-第一/二/三产业",
             "va_secondary / (va_primary + va_secondary + va_tertiary) of the vintage-linked "
             "sectors (= va_secondary / gdp: the sectors add up to gdp); differs from the "
             "first-published share where a base change was linked (analysis.data.vintage)"),
    Variable("tertiary_share", "第三产业增加值占比", "Tertiary-sector share of value added",
             "share", "nbs_compilations/gdp.xlsx", "sheet1: 地区生产总值-第一/二/三产业",
             "va_tertiary / (va_primary + va_secondary + va_tertiary) of the vintage-linked "
             "sectors (see secondary_share); the first-published share is in "
             "sources/nbs_published.parquet and nqp_tertiary_share"),
    Variable("ind_rd_exp_flag", "规上工业企业R&D经费来源说明",
             "Industrial R&D expenditure source note (only where not the S&T yearbook)",
             "text", "nqp_panel/面板原始数据_合并版v2.xlsx", "R&D经费（万元）",
             "set where ind_rd_exp is spliced from nqp_ind_rd_exp (see SPLICES)"),
    Variable("gdp_deflator", "GDP平减指数", "GDP deflator (base year = 1)", "index",
             "nbs_compilations/gdp.xlsx", "GDP, volume index",
             "gdp / gdp_real; gdp_real chains the previous-year = 100 volume indices from the "
             "base year (pipeline parameter base_year); used only if the parser (nbs, "
             "vintage-consistent) does not supply it"),
    Variable("gdp_real", "实际GDP（基年价格）", "Real GDP at base-year prices", "亿元",
             "nbs_compilations/gdp.xlsx", "GDP, volume index",
             "gdp[base] * prod(gdp_index/100) over years after base (divided for years before); "
             "NaN where the chain of indices is broken"),
]


@dataclass
class BuildResult:
    """What :func:`build` did (counts, checks, timings)."""

    rows: int = 0
    provinces: int = 0
    years: tuple[int, int] = (0, 0)
    variables: int = 0
    sources_read: list[str] = field(default_factory=list)
    dropped_duplicates: list[str] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    missing_cells: int = 0
    splices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["years"] = list(self.years)
        return d


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------

OUTPUTS = ["panel.parquet", "panel.dta", "panel.csv", "codebook.csv", "gaps.csv",
           "boundaries.parquet", "boundaries_context.parquet", "hansen1999.parquet",
           "io_flows.parquet", "io_final.parquet", "io_va.parquet", "io_imports.parquet",
           "io_codebook.csv"]


def _write_bytes(path: Path, writer: Callable[[io.BytesIO], None]) -> None:
    buf = io.BytesIO()
    writer(buf)
    paths.atomic_write_bytes(path, buf.getvalue())


def _new_stage(out: Path) -> Path:
    """An empty staging folder ``data/processed/.staging-<pid>``.

    Staging folders left by processes that no longer run (a killed build) are removed.
    """
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(".staging-*"):
        pid = old.name.removeprefix(".staging-")
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue
        shutil.rmtree(old, ignore_errors=True)
    stage = out / f".staging-{os.getpid()}"
    stage.mkdir()
    return stage


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _commit_stage(stage: Path, out: Path) -> None:
    """Move every staged file to the same place under ``out`` (``os.replace``: atomic per file)."""
    for f in sorted(p for p in stage.rglob("*") if p.is_file()):
        dest = out / f.relative_to(stage)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, dest)


def _load_source(name: str):
    """Import the parser ``analysis.data.sources.<name>`` (a missing one is an error)."""
    return importlib.import_module(f"analysis.data.sources.{name}")


def _check_keys(df: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = [k for k in KEYS if k not in df.columns]
    if missing:
        raise ValueError(f"parser {name}: output lacks key column(s) {missing}")
    if df[KEYS].isna().any().any():
        bad = df[df[KEYS].isna().any(axis=1)].head(3)
        raise ValueError(f"parser {name}: NaN in key columns, e.g.\n{bad}")
    df = df.astype({k: "int64" for k in KEYS})
    dup = df.duplicated(KEYS, keep=False)
    if dup.any():
        raise ValueError(f"parser {name}: duplicated (province_code, year) rows, e.g. "
                         f"{df.loc[dup, KEYS].head(4).to_dict('records')}")
    return df


# --------------------------------------------------------------------------------------------
# derived columns
# --------------------------------------------------------------------------------------------

def chain_real_gdp(panel: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Real GDP at ``base_year`` prices and the implicit deflator from previous-year = 100 indices.

    Parameters
    ----------
    panel : DataFrame
        Columns ``province_code``, ``year``, ``gdp`` (亿元, current prices) and ``gdp_index``
        (volume index, previous year = 100), one row per province-year.
    base_year : int
        Year whose prices are used (deflator = 1 there).

    Returns
    -------
    DataFrame with ``province_code``, ``year``, ``gdp_real`` (亿元) and ``gdp_deflator``.

    Notes
    -----
    With volume index :math:`I_t` (previous year = 100) and nominal GDP :math:`Y_t`,
    :math:`R_t = Y_b \\prod_{s=b+1}^{t} I_s/100` for :math:`t > b` and
    :math:`R_t = Y_b / \\prod_{s=t+1}^{b} I_s/100` for :math:`t < b`; deflator
    :math:`P_t = Y_t / R_t`. This is how NBS constant-price series are built from its published
    indices. A missing index breaks the chain: later (earlier) years are NaN, never filled.
    One implementation: :func:`analysis.data.sources.nbs.chain_real_gdp`, applied per province.
    """
    from analysis.data.sources.nbs import chain_real_gdp as _chain

    out = []
    for code, g in panel.sort_values("year").groupby("province_code", sort=True):
        g = g.set_index("year")
        real = _chain(g["gdp"].astype(float), g["gdp_index"].astype(float), base_year)
        real = real.reindex(g.index)
        out.append(pd.DataFrame({"province_code": code, "year": g.index,
                                 "gdp_real": real.to_numpy(),
                                 "gdp_deflator": (g["gdp"].astype(float) / real).to_numpy()}))
    return pd.concat(out, ignore_index=True)


SPLICES: dict[str, tuple[str, str]] = {
    "ind_rd_exp": ("nqp_ind_rd_exp",
                   "nqp panel (规模以上工业企业R&D经费, 万元/1e4); the same series as the S&T "
                   "yearbook table: the two agree within 0.0072% in every province-year "
                   "2018-2023 (checks/recon_ind_rd_exp_yearbook_nqp.csv)"),
}
"""Columns extended, only in years the preferred source lacks, by a same-vintage second source.

Each entry is ``column: (second-source column, why)``; spliced cells carry ``<column>_flag``
(a :data:`DERIVED` variable) holding ``"from <second>: <why>"``.

* (``gdp`` is no longer spliced: it is vintage-consistent 2000-2024, the latest vintage from
  ``gdp.xlsx`` Sheet2 for 2015-2024, so the nqp panel's first-release 2023 figure is another
  vintage; see :mod:`analysis.data.vintage`.)
* ``ind_rd_exp`` (规上工业企业R&D经费内部支出, S&T yearbook sheets) covers 2018-2023; the nqp
  panel's ``nqp_ind_rd_exp`` is the same series (max relative gap 7.2e-5 where both exist, the
  yearbook's 万元 rounded to 0.0001 亿元) and also covers 2012-2017, which extends it.
"""


def splice(panel: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Fill cells of :data:`SPLICES` columns from their same-vintage source; flag each cell.

    Parameters
    ----------
    panel : DataFrame
        Province-year panel holding ``province_code``, ``year`` and, for each splice, the
        preferred column and its second-source column (splices whose columns are absent are
        skipped).

    Returns
    -------
    panel : DataFrame
        The same frame with the missing cells filled and ``<col>_flag`` (string, NA where the
        preferred source supplied the value) added for every column that got a cell.
    notes : list of str
        One note per spliced column, as :func:`splice_notes` gives it
        (``"ind_rd_exp: 186 cells from nqp_ind_rd_exp (2012-2017)"``).

    Only cells missing in the preferred source are filled; nothing else changes.
    """
    for col, (other, why) in SPLICES.items():
        if col not in panel or other not in panel:
            continue
        fill = panel[col].isna() & panel[other].notna()
        if fill.any():
            panel[col] = panel[col].where(~fill, panel[other])
            flag = pd.Series(pd.NA, index=panel.index, dtype="string")
            flag[fill] = f"from {other}: {why}"
            panel[f"{col}_flag"] = flag
    return panel, splice_notes(panel)


def splice_notes(panel: pd.DataFrame) -> list[str]:
    """One line per spliced column of ``panel``: ``"<col>: <n> cells from <other> (<years>)"``.

    Read off the ``<col>_flag`` columns, so it also describes a panel read back from disk.
    """
    notes = []
    for col, (other, _why) in SPLICES.items():
        flag = f"{col}_flag"
        if flag not in panel:
            continue
        hit = panel[flag].notna()
        if hit.any():
            yrs = sorted(panel.loc[hit, "year"].unique())
            notes.append(f"{col}: {int(hit.sum())} cells from {other} ({yrs[0]}-{yrs[-1]})")
    return notes


def _document_splices(panel: pd.DataFrame, variables: dict[str, tuple[str, Variable]]) -> None:
    """Make the codebook row of a spliced column name the second source, table and years."""
    for col, (other, _why) in SPLICES.items():
        flag = f"{col}_flag"
        if flag not in panel or col not in variables or other not in variables:
            continue
        yrs = sorted(panel.loc[panel[flag].notna(), "year"].unique())
        if not yrs:
            continue
        name, v = variables[col]
        _, o = variables[other]
        span = _year_spans([int(y) for y in yrs])
        variables[col] = (name, dataclasses.replace(
            v, source=f"{v.source};{o.source}", table=f"{v.table}; {span}: {o.table}",
            transformation=f"{v.transformation}; {span} spliced from {other} ({o.source}, "
                           f"same vintage; cells flagged in {flag})"))


def add_derived(panel: pd.DataFrame, base_year: int) -> tuple[pd.DataFrame, list[Variable]]:
    """Add the :data:`DERIVED` columns the parsers did not supply; return the panel and records."""
    added: list[Variable] = []
    by_name = {v.name: v for v in DERIVED}
    panel, _notes = splice(panel)
    added += [by_name[f"{c}_flag"] for c in SPLICES if f"{c}_flag" in panel]
    if "basic_share" not in panel and {"rd_exp_basic", "rd_exp"} <= set(panel):
        panel["basic_share"] = panel["rd_exp_basic"] / panel["rd_exp"]
        added.append(by_name["basic_share"])
    sectors = ["va_primary", "va_secondary", "va_tertiary"]
    if set(sectors) <= set(panel):
        total = panel[sectors].sum(axis=1, min_count=3)
        for col, num in (("secondary_share", "va_secondary"), ("tertiary_share", "va_tertiary")):
            if col not in panel:
                panel[col] = panel[num] / total
                added.append(by_name[col])
    if {"gdp", "gdp_index"} <= set(panel) and "gdp_real" not in panel:
        real = chain_real_gdp(panel[["province_code", "year", "gdp", "gdp_index"]], base_year)
        panel = panel.drop(columns=["gdp_deflator"], errors="ignore").merge(
            real, on=KEYS, how="left", validate="one_to_one")
        added += [by_name["gdp_deflator"], by_name["gdp_real"]]
    return panel, added


# --------------------------------------------------------------------------------------------
# merge
# --------------------------------------------------------------------------------------------

def merge_sources(frames: dict[str, pd.DataFrame], codes: list[int],
                  year_range: tuple[int, int] = YEAR_RANGE
                  ) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Outer-merge province-year tables onto the full grid ``codes`` x years.

    Parameters
    ----------
    frames : dict name -> DataFrame
        Each keyed by ``province_code``, ``year`` (unique). Order gives priority.
    codes : list of int
        The provinces of the grid (GB/T 2260); rows of other codes are an error.
    year_range : (int, int)
        Inclusive bounds; years outside are dropped (parsers may read back to 1952).

    Returns
    -------
    (panel, owner, dropped) : the merged panel sorted by keys; ``owner`` maps each column to
    the source it was taken from; ``dropped`` notes ``"col (source; X wins)"`` for columns
    supplied by more than one source.

    Raises
    ------
    ValueError
        A frame holds a province code outside ``codes``.
    """
    lo, hi = year_range
    years: set[int] = set(REQUIRED_YEARS)
    for name, df in frames.items():
        bad = sorted(set(df["province_code"]) - set(codes))
        if bad:
            raise ValueError(f"parser {name}: province codes not among the 31 provinces: {bad[:5]}")
        years |= {int(y) for y in df["year"].unique() if lo <= y <= hi}
    grid = pd.MultiIndex.from_product([sorted(codes), sorted(years)], names=KEYS)
    panel = pd.DataFrame(index=grid).reset_index().astype("int64")
    owner: dict[str, str] = {}
    for name, df in frames.items():
        for c in df.columns:
            if c not in KEYS and (c not in owner or PREFERRED.get(c) == name):
                owner[c] = name
    dropped = []
    for name, df in frames.items():
        cols = [c for c in df.columns if c not in KEYS and owner[c] == name]
        dropped += [f"{c} ({name}; {owner[c]} wins)" for c in df.columns
                    if c not in KEYS and owner[c] != name]
        sub = df.loc[df["year"].between(lo, hi), KEYS + cols]
        panel = panel.merge(sub, on=KEYS, how="left", validate="one_to_one")
    return panel.sort_values(KEYS, ignore_index=True), owner, dropped


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------

def stata_label(v: Variable | None, col: str) -> str:
    """``中文 / English`` variable label, cut to Stata's 80-character limit."""
    if v is None:
        return col[:80]
    lab = f"{v.label_zh} / {v.label_en}"
    if v.unit and v.unit not in ("share", "index"):
        lab += f" ({v.unit})"
    return lab if len(lab) <= 80 else lab[:79] + "…"


def codebook(panel: pd.DataFrame, variables: dict[str, tuple[str, Variable]]) -> pd.DataFrame:
    """One row per panel column: labels, unit, source, transformation, coverage and gaps."""
    rows = []
    for col in panel.columns:
        s = panel[col]
        origin, v = variables.get(col, ("", None))
        if col in KEYS:
            v = Variable(col, "省份代码" if col == "province_code" else "年份",
                         "Province code (GB/T 2260)" if col == "province_code" else "Year",
                         "code" if col == "province_code" else "year", "", "", "key")
            origin = "pipeline"
        yrs = panel.loc[s.notna(), "year"]
        rows.append({
            "variable": col,
            "label_zh": v.label_zh if v else "", "label_en": v.label_en if v else "",
            "unit": v.unit if v else "", "source": v.source if v else "",
            "table": v.table if v else "", "transformation": v.transformation if v else "",
            "stock_flow": v.kind if v else "",
            "parser": origin,
            "first_year": int(yrs.min()) if len(yrs) else pd.NA,
            "last_year": int(yrs.max()) if len(yrs) else pd.NA,
            "years_covered": _year_spans(sorted(set(yrs.astype(int)))),
            "n_obs": int(s.notna().sum()), "n_missing": int(s.isna().sum()),
        })
    return pd.DataFrame(rows)


def _year_spans(years: list[int]) -> str:
    spans, start, prev = [], None, None
    for y in years:
        if start is None:
            start = prev = y
        elif y == prev + 1:
            prev = y
        else:
            spans.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = y
    if start is not None:
        spans.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ";".join(spans)


def gaps_table(panel: pd.DataFrame) -> pd.DataFrame:
    """Missing cells by variable x year: count and the province codes missing (never filled)."""
    rows = []
    value_cols = [c for c in panel.columns if c not in KEYS and not c.endswith("_flag")]
    for col in value_cols:
        miss = panel.loc[panel[col].isna(), ["year", "province_code"]]
        for year, g in miss.groupby("year"):
            rows.append({"variable": col, "year": int(year), "n_missing": len(g),
                         "provinces_missing": ";".join(map(str, sorted(g["province_code"])))})
    return pd.DataFrame(rows, columns=["variable", "year", "n_missing", "provinces_missing"])


def _write_outputs(out: Path, panel: pd.DataFrame, cb: pd.DataFrame, gaps: pd.DataFrame,
                   io_tables: dict[str, pd.DataFrame], variables: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write_bytes(out / "panel.parquet", lambda b: panel.to_parquet(b, index=False))
    labels = {c: stata_label(variables.get(c, ("", None))[1], c) for c in panel.columns}
    labels["province_code"], labels["year"] = "省份代码 / Province code (GB/T 2260)", "年份 / Year"
    dta = panel.copy()
    for c in dta.columns:
        if c.endswith("_flag"):
            dta[c] = dta[c].fillna("").astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # int64 keys are stored as Stata long (values fit)
        _write_bytes(out / "panel.dta", lambda b: dta.to_stata(
            b, write_index=False, version=118, variable_labels=labels,
            data_label="Province-year panel (analysis data build)"))
    _write_bytes(out / "panel.csv",
                 lambda b: b.write(panel.to_csv(index=False).encode("utf-8-sig")))
    _write_bytes(out / "codebook.csv",
                 lambda b: b.write(cb.to_csv(index=False).encode("utf-8-sig")))
    _write_bytes(out / "gaps.csv", lambda b: b.write(gaps.to_csv(index=False).encode("utf-8")))
    for key in ("flows", "final", "va", "imports"):
        df = io_tables.get(key)
        if df is not None:
            _write_bytes(out / f"io_{key}.parquet", lambda b, d=df: d.to_parquet(b, index=False))
    if io_tables:
        from analysis.data.io_tables import io_codebook

        _write_bytes(out / "io_codebook.csv",
                     lambda b: b.write(io_codebook().to_csv(index=False).encode("utf-8-sig")))


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

def fetch(verbose: bool = False) -> dict[str, int]:
    """Fill ``data/raw/`` from the mirror or the public addresses (see :mod:`analysis.data.fetch`)."""
    return _fetch.fetch(verbose=verbose)


def build(verbose: bool = False, base_year: int = 2010) -> BuildResult:
    """Build every table under ``data/processed/`` from ``data/raw/`` (fetching first if needed).

    Parameters
    ----------
    verbose : bool
        Progress and a one-screen summary on stdout.
    base_year : int
        Base year of ``gdp_real`` and ``gdp_deflator`` (default 2010).

    Returns
    -------
    BuildResult
        Counts, checks and timings.

    Raises
    ------
    analysis.data.fetch.RawDataError
        A raw file is missing or corrupted.
    RuntimeError
        The file-system encoding cannot encode the raw files' Chinese names (C locale without
        UTF-8 mode; see :func:`analysis.paths.check_filesystem_encoding`).
    analysis.data.user_sources.UserSourceError
        A file registered with ``data import`` is missing or changed since it was imported
        (checked before anything else is done).
    analysis.data.schemas.SchemaError
        The merged panel or an IO table fails validation (message names column and rows).
    ValueError
        A parser returned NaN or duplicated keys, or a province outside the 31.
    Exception
        Whatever a parser raises (``SourceLayoutError``, ``UnknownProvinceError`` …), unchanged.
    """
    paths.check_filesystem_encoding()
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out = paths.processed_dir()
    raw = paths.raw_dir()
    if not _fetch.is_complete(raw):
        _fetch.fetch(verbose=verbose)
    timings["fetch"] = time.perf_counter() - t0
    from analysis.data import user_sources

    user_sources.verify(raw)  # a changed or missing user file stops the build before any work
    from analysis.data import checks, schemas
    from analysis.data.provinces import PROVINCES

    # Every output is written to a staging folder and moved into data/processed only when the
    # whole build has succeeded: a build that fails leaves the previous processed files intact.
    stage = _new_stage(out)
    try:
        _fetch.write_sources_md(_fetch.load_registry(), raw)  # provenance follows the registry
        codes = [int(c) for c in PROVINCES["province_code"]]
        frames: dict[str, pd.DataFrame] = {}
        variables: dict[str, tuple[str, Variable]] = {}
        source_vars: dict[str, dict[str, Variable]] = {}
        recon_frames: dict[str, pd.DataFrame] = {}
        (stage / "sources").mkdir(parents=True, exist_ok=True)
        for name in PANEL_SOURCES + list(OTHER_SOURCES):
            t = time.perf_counter()
            mod = _load_source(name)
            if name in OTHER_SOURCES:
                func, fname = OTHER_SOURCES[name]
                reader = getattr(mod, func, None) or getattr(mod, "read", None)
                if reader is None:
                    raise AttributeError(f"parser {name}: neither {func}() nor read() defined")
                _write_other(stage / fname, reader(raw))
                timings[f"read {name}"] = time.perf_counter() - t
                if verbose:
                    print(f"  read {name:<16} -> {fname}  {timings[f'read {name}']:.1f} s")
                continue
            kwargs = {"base_year": base_year} if "base_year" in inspect.signature(mod.read).parameters else {}
            df = mod.read(raw, **kwargs)
            timings[f"read {name}"] = time.perf_counter() - t
            df = _check_keys(df, name)
            frames[name] = df
            _write_bytes(stage / "sources" / f"{name}.parquet", lambda b, d=df: d.to_parquet(b, index=False))
            declared = mod.variables(raw) if hasattr(mod, "variables") else \
                getattr(mod, "VARIABLES", [])  # `user`: records known only at run time
            source_vars[name] = {v.name: v for v in declared}
            for extra, reader in RECONCILIATION_READERS.get(name, {}).items():
                if hasattr(mod, reader):
                    recon_frames[extra] = _check_keys(getattr(mod, reader)(raw), f"{name}.{reader}")
                    _write_bytes(stage / "sources" / f"{extra}.parquet",
                                 lambda b, d=recon_frames[extra]: d.to_parquet(b, index=False))
            if verbose:
                print(f"  read {name:<16} {df.shape[0]:>5} rows x {df.shape[1] - 2:>3} columns"
                      f"  {timings[f'read {name}']:.1f} s")

        t = time.perf_counter()
        from analysis.data import io_tables as io_mod

        io_tables = io_mod.read_io_all(raw)
        timings["read io_tables"] = time.perf_counter() - t
        if verbose:
            print(f"  read {'io_tables':<16} {len(io_tables['flows']):>7} flows"
                  f"  {timings['read io_tables']:.1f} s")
        for key in ("flows", "final", "va", "imports"):
            schemas.validate_io(io_tables[key], key)

        t = time.perf_counter()
        panel, owner, dropped = merge_sources(frames, codes)
        for c, name in owner.items():  # each column is documented by the source that won it
            if c in source_vars.get(name, {}):
                variables[c] = (name, source_vars[name][c])
        panel, derived = add_derived(panel, base_year)
        for v in derived:
            variables[v.name] = ("pipeline", v)
        _document_splices(panel, variables)
        schemas.validate_panel(panel, {c: v.unit for c, (_, v) in variables.items()})
        timings["merge+validate"] = time.perf_counter() - t

        t = time.perf_counter()
        cb = codebook(panel, variables)
        gaps = gaps_table(panel)
        _write_outputs(stage, panel, cb, gaps, io_tables, variables)
        timings["write"] = time.perf_counter() - t

        t = time.perf_counter()
        check_rows = checks.run_all(panel, {**frames, **recon_frames}, io_tables,
                                    stage / "checks",
                                    units={c: v.unit for c, (_, v) in variables.items()})
        timings["checks"] = time.perf_counter() - t

        (out / ".build.json").unlink(missing_ok=True)  # the old cache's manifest, if any
        _commit_stage(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)

    res = BuildResult(
        rows=len(panel),
        provinces=int(panel["province_code"].nunique()),
        years=(int(panel["year"].min()), int(panel["year"].max())),
        variables=len(panel.columns) - 2, sources_read=list(frames) + list(OTHER_SOURCES) + ["io_tables"],
        dropped_duplicates=dropped, checks=check_rows,
        missing_cells=int(gaps["n_missing"].sum()), splices=splice_notes(panel),
        seconds=time.perf_counter() - t0, timings={k: round(v, 3) for k, v in timings.items()})
    if verbose:
        print(summary_text(res))
    return res


def _write_other(path: Path, obj) -> None:
    """Write a non-panel parser output (GeoDataFrame: GeoParquet; DataFrame: parquet)."""
    _write_bytes(path, lambda b: obj.to_parquet(b, index=False))


def summary_text(res: BuildResult) -> str:
    """One screen: size of the panel, sources, checks, time."""
    lines = [
        "-" * 78,
        f"data build: {res.rows} rows = {res.provinces} provinces x years "
        f"{res.years[0]}-{res.years[1]}, {res.variables} variables  ({res.seconds:.1f} s)",
        f"  sources read: {', '.join(res.sources_read) or '-'}",
    ]
    lines.append(f"  missing cells (never filled; by variable x year in gaps.csv): {res.missing_cells}")
    for note in res.splices:
        lines.append(f"  spliced (same-vintage second source, cells flagged in <col>_flag): {note}")
    if res.dropped_duplicates:
        lines.append(f"  columns supplied twice (loser kept in sources/*.parquet): "
                     f"{len(res.dropped_duplicates)}")
    if res.checks:
        from analysis.data.checks import summary_text as checks_text

        lines.append(checks_text(res.checks))
    if res.timings:
        lines.append("  time: " + ", ".join(f"{k} {v:.1f}s" for k, v in res.timings.items()))
    lines.append(f"  written to {paths.processed_dir()}")
    lines.append("-" * 78)
    return "\n".join(lines)


def load_panel() -> pd.DataFrame:
    """Read ``data/processed/panel.parquet`` (run :func:`build` first)."""
    p = paths.processed_dir() / "panel.parquet"
    if not p.exists():
        raise FileNotFoundError(f"{p} not found: run `python -m analysis data build`")
    return pd.read_parquet(p)


def check(verbose: bool = False) -> bool:
    """Validate the processed tables and re-run identities and reconciliation.

    Returns
    -------
    bool
        True if every schema passes and every identity / reconciliation ran and is within its
        stated tolerance (allowing the listed known exceptions); False otherwise (a check that
        cannot run because a ``sources/<name>.parquet`` is missing counts as a failure). Prints
        a summary when ``verbose``.
    """
    from analysis.data import checks, schemas

    out = paths.processed_dir()
    panel = load_panel()
    ok = True
    units = {}
    if (out / "codebook.csv").exists():
        cb = pd.read_csv(out / "codebook.csv", encoding="utf-8-sig")
        units = dict(zip(cb["variable"], cb["unit"].fillna(""), strict=True))
    try:
        schemas.validate_panel(panel, units)
        schema_msg = "panel schema: ok"
    except Exception as exc:  # pandera SchemaErrors / ValueError: report, do not raise
        ok, schema_msg = False, f"panel schema: FAILED\n{exc}"
    io_tables = {}
    for key in ("flows", "final", "va", "imports"):
        p = out / f"io_{key}.parquet"
        if p.exists():
            io_tables[key] = pd.read_parquet(p)
            try:
                schemas.validate_io(io_tables[key], key)
            except Exception as exc:
                ok, schema_msg = False, schema_msg + f"\nio_{key} schema: FAILED\n{exc}"
    frames = {p.stem: pd.read_parquet(p) for p in sorted((out / "sources").glob("*.parquet"))}
    rows = checks.run_all(panel, frames, io_tables, out / "checks", units=units)
    skipped = [r["name"] for r in rows if r.get("skipped")]
    ok = ok and all(r["ok"] for r in rows) and not skipped
    if verbose:
        print(schema_msg)
        print(checks.summary_text(rows))
        if skipped:
            print(f"{len(skipped)} check(s) could not run (a source table under "
                  f"{out / 'sources'} is missing): run `python -m analysis data build --force`")
        print(f"data check: {'PASSED' if ok else 'FAILED'} (tables in {out / 'checks'})")
    return ok


__all__ = ["BuildResult", "build", "check", "fetch", "load_panel", "merge_sources",
           "chain_real_gdp", "SPLICES", "splice", "splice_notes", "add_derived", "codebook",
           "gaps_table", "OUTPUTS"]
