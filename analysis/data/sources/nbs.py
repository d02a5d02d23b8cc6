"""NBS compilations: GDP and value added by sector, GDP volume indices, employment by sector,
urbanisation (github muweiabc/govfund; figures from the China Statistical Yearbook and provincial
yearbooks — cite NBS as the source).

Files (relative to ``data/raw``)
--------------------------------
* ``nbs_compilations/gdp.xlsx`` sheet ``sheet1``: long, 年份 × 省级, 1952–2022 GDP, value added of
  the three sectors (亿元, current prices), shares, GDP per capita and volume indices (上年=100)
  of GDP and of each sector; a national row (中国) holding NBS's consistently revised national
  series. 2023–2024 rows hold GDP totals only, equal to ``Sheet2``. ``Sheet2`` holds GDP totals
  2015–2024 of the latest vintage (revised after the 2018 and 2023 economic censuses and the
  2016–2017 corrections): 北京 2022 45,222.4 against 41,610.9 first published.
  Within sheet1 the vintages are mixed: in 2001–2008 and 2013 GDP is the census-revised total
  while value added by sector (and the published shares) are first releases (北京 2003: GDP
  5,023.77 vs sectors summing to 3,663.10); elsewhere in 2000–2022 GDP equals the sum of the
  sectors to 0.1 % (not before 2000: 26 provinces differ in 1995).
  The full vintage map is in :mod:`analysis.data.vintage`.
* ``nbs_compilations/分省份按三次产业分从业人员数（就业人员数）1985-2023年数据.xlsx`` sheet ``面板数据``:
  employment by sector (万人), with the province code in ``省份编码`` (cross-checked against the
  name); ``中国`` (code 152) is the national row. Sheets ``2021``–``2023`` repeat those years.
  The three sectors sum to ``就业人员`` to rounding except 陕西 2012–2019 and 新疆 2010–2019
  (sectors short by up to 25 % / 9.5 %): listed by ``checks/identity_emp_sum_sectors.csv``.
* ``nbs_compilations/2000-2023年各省份城镇化水平.xlsx`` sheet ``面板数据`` (% urban); the compiler
  filled gaps and marked them by colour in sheet ``原始版本`` (sheet ``备注``): red = 2001–2004
  inferred from average growth, blue = 广西 2000–2004 from urban / total population, yellow =
  2022–2023 extrapolated by average growth. These cells get ``urbanisation_flag``.

What the panel gets: vintage-consistent GDP (2000–2024)
-------------------------------------------------------
:func:`read_gdp` returns GDP and value added on the latest vintage, back-cast before 2015 by
ratio splicing and with the sector series linked across their base changes
(:func:`analysis.data.vintage.vintage_consistent`; method, evidence and references there and in
``docs/data.md``). Every adjusted cell carries a ``<col>_flag``. The figures as compiled are
returned by :func:`read_gdp_published` (``sources/nbs_published.parquet``, reconciliation only).

``gdp_real`` and ``gdp_deflator`` chain the published volume index :math:`I_t` (previous year
= 100) around a base year :math:`B` (default 2010) from the vintage-consistent level:

.. math::

    R_B = Y_B,\\quad R_t = R_{t-1}\\,I_t/100\\ (t > B),\\quad R_t = R_{t+1}\\,/\\,(I_{t+1}/100)\\ (t < B),
    \\qquad P_t = Y_t / R_t,

so ``gdp_real`` is GDP at base-year prices (亿元) and ``gdp_deflator`` equals 1 in the base year.
A missing index breaks the chain (NaN beyond it, never filled): no index is published in the
raw files for 2023–2024, so both are missing there.
"""

from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import vintage
from analysis.data.codebook import Variable
from analysis.data.provinces import PROVINCES
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    long_to_wide,
    require_columns,
    require_file,
    split_aggregates,
)

__all__ = [
    "read",
    "read_national",
    "read_gdp",
    "read_gdp_published",
    "read_gdp_revised",
    "read_vintage_links",
    "read_employment",
    "read_urbanisation",
    "chain_real_gdp",
    "VARIABLES",
    "GDP_YEARS",
]

GDP_FILE = "nbs_compilations/gdp.xlsx"
EMP_FILE = "nbs_compilations/分省份按三次产业分从业人员数（就业人员数）1985-2023年数据.xlsx"
URB_FILE = "nbs_compilations/2000-2023年各省份城镇化水平.xlsx"

GDP_YEARS = (2000, 2024)
"""Years of the vintage-consistent GDP block (sheet1's sectors and indices stop in 2022)."""

_GDP_COLS = {
    "地区生产总值/亿元": "gdp",
    "地区生产总值-第一产业/亿元": "va_primary",
    "地区生产总值-第二产业/亿元": "va_secondary",
    "地区生产总值-第三产业/亿元": "va_tertiary",
    "地区生产总值指数(上年=100)": "gdp_index",
    "地区生产总值指数-第一产业(上年=100)": "va_primary_index",
    "地区生产总值指数-第二产业(上年=100)": "va_secondary_index",
    "地区生产总值指数-第三产业(上年=100)": "va_tertiary_index",
}
_EMP_COLS = {
    "就业人员": "emp_total",
    "第一产业就业人员（万人）": "emp_primary",
    "第二产业就业人员（万人）": "emp_secondary",
    "第三产业就业人员（万人）": "emp_tertiary",
}
_URB_FLAGS = {
    "red": "compiler: inferred from average growth rate (2001-2004)",
    "blue": "compiler: urban population / total population",
    "yellow": "compiler: extrapolated by average growth rate (2022-2023)",
}

_VINTAGE = ("latest vintage (gdp.xlsx Sheet2: revised after the 2018 and 2023 economic censuses "
            "and the 2016-2017 corrections) for 2015-2024; 2000-2014 back-cast by backward ratio "
            "splicing of sheet1's vintage segments at 2015, 2013, 2005 and 2001 (growth rates of "
            "the older vintage kept; cells flagged in gdp_flag; analysis.data.vintage)")
_LIMITS = ("Cannot be made consistent from the raw files: before 2015 the back-cast assumes the "
           "2015 revision ratio held earlier, so for Tianjin (-34%), Liaoning, Jilin (-28%), "
           "Inner Mongolia (-27%) and Heilongjiang (-20%) levels of the 2000s are probably too "
           "low; 2023-2024 have totals only")
_SECTOR_RULE = ("share of the vintage-linked sector in the sum of the three, times gdp: each "
                "sector's first releases linked across its base changes (2005, 2009, 2014, 2019; "
                "primary 2017; Liaoning 2016, Inner Mongolia 2017) with its volume index and a "
                "break-year deflator change = national sector deflator change + the province's "
                "mean deviation in the adjacent years; cells flagged in <col>_flag. The 2015-2022 "
                "split is the first-published one (2018-census base): no latest-vintage sector "
                "data exist; 2023-2024 missing (no sector data)")

VARIABLES: list[Variable] = [
    Variable("gdp", "地区生产总值", "GDP", "亿元", GDP_FILE, "Sheet2 (2015-2024); sheet1: 地区生产总值/亿元, "
             "sum of 第一/二/三产业 (2000-2014 back-cast)", f"{_VINTAGE}. {_LIMITS}"),
    Variable("va_primary", "第一产业增加值", "Value added, primary sector", "亿元", GDP_FILE,
             "sheet1: 地区生产总值-第一产业/亿元, 地区生产总值指数-第一产业(上年=100)", _SECTOR_RULE),
    Variable("va_secondary", "第二产业增加值", "Value added, secondary sector", "亿元", GDP_FILE,
             "sheet1: 地区生产总值-第二产业/亿元, 地区生产总值指数-第二产业(上年=100)", _SECTOR_RULE),
    Variable("va_tertiary", "第三产业增加值", "Value added, tertiary sector", "亿元", GDP_FILE,
             "sheet1: 地区生产总值-第三产业/亿元, 地区生产总值指数-第三产业(上年=100)", _SECTOR_RULE),
    Variable("gdp_index", "地区生产总值指数（上年=100）", "GDP volume index (previous year = 100)",
             "prev. year = 100", GDP_FILE, "sheet1: 地区生产总值指数(上年=100)",
             "as published (first releases, comparable basis; none for 2023-2024)"),
    Variable("gdp_real", "地区生产总值（基年不变价）", "GDP at base-year prices", "亿元", GDP_FILE,
             "Sheet2; sheet1", "vintage-consistent gdp[base] chained with gdp_index/100 (base year "
             "a parameter, default 2010); missing 2023-2024 (no volume index)"),
    Variable("gdp_deflator", "地区生产总值平减指数（基年=1）", "GDP deflator (base year = 1)",
             "base year = 1", GDP_FILE, "Sheet2; sheet1",
             "gdp / gdp_real (implicit; absorbs revisions the first-published volume indices "
             "do not carry)"),
    Variable("gdp_flag", "GDP年份口径调整说明", "GDP vintage adjustment (back-cast cells)", "text",
             GDP_FILE, "sheet1; Sheet2", "empty = latest vintage as published; else the segment, "
             "factor and link years of the ratio splice"),
    *[Variable(f"{s}_flag", f"{zh}增加值口径调整说明", f"Value added, {en} sector: vintage link",
               "text", GDP_FILE, "sheet1", "the sector's link factor and years and the scaling "
               "to gdp (every cell: no sector figure is the latest vintage as published)")
      for s, zh, en in (("va_primary", "第一产业", "primary"),
                        ("va_secondary", "第二产业", "secondary"),
                        ("va_tertiary", "第三产业", "tertiary"))],
    Variable("emp_total", "就业人员", "Employment, total", "万人", EMP_FILE, "面板数据: 就业人员"),
    Variable("emp_primary", "第一产业就业人员", "Employment, primary sector", "万人", EMP_FILE,
             "面板数据: 第一产业就业人员（万人）"),
    Variable("emp_secondary", "第二产业就业人员", "Employment, secondary sector", "万人", EMP_FILE,
             "面板数据: 第二产业就业人员（万人）"),
    Variable("emp_tertiary", "第三产业就业人员", "Employment, tertiary sector", "万人", EMP_FILE,
             "面板数据: 第三产业就业人员（万人）"),
    Variable("urbanisation", "城镇化率", "Urbanisation rate (urban population share)", "share",
             URB_FILE, "面板数据: 城镇化率%", "% / 100"),
    Variable("urbanisation_flag", "城镇化率插补说明", "How the compiler filled urbanisation",
             "text", URB_FILE, "原始版本: cell colours; 备注",
             "red/blue/yellow cells of 原始版本 mapped to a description; empty = published"),
]
COLUMNS = [v.name for v in VARIABLES]
_GDP_BLOCK = ["gdp", "va_primary", "va_secondary", "va_tertiary", "gdp_index", "gdp_real",
              "gdp_deflator", "gdp_flag", "va_primary_flag", "va_secondary_flag",
              "va_tertiary_flag"]
_PUBLISHED = ["gdp", "va_primary", "va_secondary", "va_tertiary", "gdp_index"]


def _read_excel(path: Path, sheet: str | int, where: str, **kw) -> pd.DataFrame:
    require_file(path)
    try:
        return pd.read_excel(path, sheet_name=sheet, **kw)
    except ValueError as e:  # missing sheet
        raise SourceLayoutError(f"{where}: cannot read sheet {sheet!r}: {e}") from e
    except (zipfile.BadZipFile, OSError, EOFError) as e:  # truncated or not an .xlsx
        raise SourceLayoutError(f"{where}: {path.name} is not a readable Excel file ({e}); "
                                "the download may be truncated: run `python -m analysis data "
                                "fetch` to re-verify it against the registry") from e


@lru_cache(maxsize=4)
def _gdp_sheet_cached(path: str, size: int, mtime_ns: int, sheet: str) -> pd.DataFrame:
    return _read_excel(Path(path), sheet, f"{GDP_FILE} [{sheet}]")


def _gdp_sheet(raw_dir: Path, sheet: str) -> pd.DataFrame:
    """A sheet of ``gdp.xlsx``, read once per file version (four readers use it in a build)."""
    path = require_file(Path(raw_dir) / GDP_FILE)
    st = path.stat()
    return _gdp_sheet_cached(str(path), st.st_size, st.st_mtime_ns, sheet).copy()


def _grid(df: pd.DataFrame, years: range) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product(
        [PROVINCES["province_code"].tolist(), list(years)], names=["province_code", "year"]
    )
    return df.set_index(["province_code", "year"]).reindex(idx).reset_index()


def _require_numeric(df: pd.DataFrame, columns: dict[str, str], where: str) -> pd.DataFrame:
    """Cast ``columns`` (frame column -> raw header, for messages) to float; a cell that is not
    a number (text, a footnote mark) raises :class:`SourceLayoutError` naming its Excel row
    (``df.index``), column and content. Blank cells stay NaN."""
    out = df.copy()
    bad = []
    for col, raw_name in columns.items():
        num = pd.to_numeric(out[col], errors="coerce")
        for row in out.index[num.isna() & out[col].notna()]:
            bad.append(f"row {row}, column {raw_name!r}: {out.at[row, col]!r}")
        out[col] = num.astype("float64")
    if bad:
        raise SourceLayoutError(f"{where}: {len(bad)} cell(s) are not numbers: "
                                + "; ".join(bad[:10]))
    return out


def _require_complete(df: pd.DataFrame, columns: dict[str, str], where: str, what: str) -> None:
    """Raise :class:`SourceLayoutError` listing the province-years (``province_code``,
    ``year``) whose ``columns`` (frame column -> raw header) are blank."""
    names = PROVINCES.set_index("province_code")["name_zh"]
    bad = []
    for col, raw_name in columns.items():
        for r in df.loc[df[col].isna(), ["province_code", "year"]].itertuples(index=False):
            bad.append(f"{names.get(r.province_code, r.province_code)} {r.year} {raw_name}")
    if bad:
        raise SourceLayoutError(f"{where}: {len(bad)} blank cell(s) where {what}: "
                                + "; ".join(bad[:10]) + ("; ..." if len(bad) > 10 else ""))


def _gdp_long(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    where = f"{GDP_FILE} [sheet1]"
    df = _gdp_sheet(raw_dir, "sheet1")
    require_columns(df, ["年份", "省级", *_GDP_COLS], where)
    df = df.rename(columns={"年份": "year", "省级": "name", **_GDP_COLS})
    df.index = df.index + 2  # Excel row numbers, for messages
    df = _require_numeric(df, {v: k for k, v in _GDP_COLS.items()}, where)
    prov, agg = split_aggregates(df, "name", where)
    keep = ["year", *_GDP_COLS.values()]
    return prov[["province_code", *keep]], agg[keep]


def _compiled(raw_dir: Path, start_year: int = GDP_YEARS[0]) -> pd.DataFrame:
    """sheet1 as compiled, 31 provinces x ``start_year``-2022, wide (all of :data:`_GDP_COLS`)."""
    prov, _ = _gdp_long(raw_dir)
    prov = prov[(prov["year"] >= start_year) & (prov["year"] <= 2022)]
    where = f"{GDP_FILE} [sheet1]"
    long = prov.melt(["province_code", "year"], var_name="column", value_name="value")
    wide = long_to_wide(long, ["province_code", "year"], "column", "value", where)
    out = finalise(_grid(wide, range(start_year, 2023)), list(_GDP_COLS.values()), where)
    _require_complete(out, {v: k for k, v in _GDP_COLS.items()}, where,
                      f"the vintage method needs a value ({start_year}-2022)")
    return out


def chain_real_gdp(
    gdp: pd.Series, index: pd.Series, base_year: int = 2010
) -> pd.Series:
    """Real GDP at ``base_year`` prices from nominal GDP and a chain volume index.

    Parameters
    ----------
    gdp : pandas.Series
        Nominal GDP of one province indexed by year (亿元).
    index : pandas.Series
        Volume index, previous year = 100, same year index.
    base_year : int
        Year whose prices are used; ``gdp[base_year]`` must be present.

    Returns
    -------
    pandas.Series
        :math:`R_t` (see module docstring), NaN where the chain is broken by a missing value.
    """
    years = sorted(set(gdp.index) | set(index.index))
    g = gdp.reindex(years)
    q = index.reindex(years) / 100.0
    out = pd.Series(np.nan, index=years, dtype="float64")
    if base_year not in g.index or pd.isna(g.loc[base_year]):
        return out
    out.loc[base_year] = g.loc[base_year]
    for t in (y for y in years if y > base_year):
        out.loc[t] = out.loc[t - 1] * q.loc[t] if (t - 1) in out.index else np.nan
    for t in sorted((y for y in years if y < base_year), reverse=True):
        out.loc[t] = out.loc[t + 1] / q.loc[t + 1] if (t + 1) in out.index else np.nan
    return out


def _national_sectors(raw_dir: Path) -> pd.DataFrame:
    """The national row (中国) of sheet1 by year: value added and volume index of each sector."""
    _, agg = _gdp_long(raw_dir)
    nat = agg[agg["year"] <= 2022].drop_duplicates().set_index("year").sort_index()
    if nat.index.duplicated().any():
        raise SourceLayoutError(f"{GDP_FILE} [sheet1]: several national rows in one year "
                                f"{sorted(set(nat.index[nat.index.duplicated()]))}")
    cols = [*vintage.SECTORS, *(f"{s}_index" for s in vintage.SECTORS)]
    nat = nat.reindex(range(GDP_YEARS[0], 2023))[cols]
    raw = {v: k for k, v in _GDP_COLS.items()}
    gaps = [f"{y} {raw[c]}" for c in cols for y in nat.index[nat[c].isna()]]
    if gaps:
        raise SourceLayoutError(
            f"{GDP_FILE} [sheet1]: the national row (中国) is missing or blank in "
            f"{len(gaps)} cell(s), needed as the reference deflator of the sector links: "
            + "; ".join(gaps[:10]))
    return nat


@lru_cache(maxsize=2)
def _vintage_cached(path: str, size: int, mtime_ns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw_dir = Path(path).parent.parent
    return vintage.vintage_consistent(_compiled(raw_dir), read_gdp_revised(raw_dir),
                                      _national_sectors(raw_dir), years=GDP_YEARS)


def _vintage(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`analysis.data.vintage.vintage_consistent` on gdp.xlsx, once per file version."""
    path = require_file(Path(raw_dir) / GDP_FILE)
    st = path.stat()
    panel, links = _vintage_cached(str(path), st.st_size, st.st_mtime_ns)
    return panel.copy(), links.copy()


def read_gdp(raw_dir: Path, base_year: int = 2010) -> pd.DataFrame:
    """Vintage-consistent GDP, value added by sector, volume index, real GDP and deflator.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.
    base_year : int, default 2010
        Base year of ``gdp_real`` and ``gdp_deflator`` (deflator = 1 there); within
        :data:`GDP_YEARS` and at most 2022 (the last year with a volume index).

    Returns
    -------
    pandas.DataFrame
        31 provinces × 2000–2024: ``province_code, year, gdp, va_primary, va_secondary,
        va_tertiary, gdp_index, gdp_real, gdp_deflator`` (亿元; index as published) and the
        flags ``gdp_flag``, ``va_*_flag``. Sectors, index, real GDP and deflator are missing in
        2023–2024 (totals only in the raw files).

    Raises
    ------
    ValueError
        ``base_year`` outside 2000–2022.
    FileNotFoundError, SourceLayoutError, UnknownProvinceError, ConflictingValuesError
    """
    if not GDP_YEARS[0] <= base_year <= 2022:
        raise ValueError(f"base_year {base_year}: must be within 2000-2022 (years with GDP and "
                         "a volume index)")
    panel, _ = _vintage(raw_dir)
    comp = _compiled(raw_dir)[["province_code", "year", "gdp_index"]]
    wide = panel.merge(comp, on=["province_code", "year"], how="left")
    wide["gdp_real"] = np.nan
    for _code, g in wide.groupby("province_code"):
        s = g.set_index("year")
        wide.loc[g.index, "gdp_real"] = chain_real_gdp(s["gdp"], s["gdp_index"], base_year).values
    wide["gdp_deflator"] = wide["gdp"] / wide["gdp_real"]
    return finalise(wide, _GDP_BLOCK, f"{GDP_FILE} (vintage-consistent)")


def read_gdp_published(raw_dir: Path) -> pd.DataFrame:
    """GDP block as compiled in ``sheet1`` (mixed vintages), 2000–2022, for reconciliation.

    Returns
    -------
    pandas.DataFrame
        ``province_code, year`` and ``gdp_published``, ``va_primary_published``,
        ``va_secondary_published``, ``va_tertiary_published``, ``gdp_index_published``
        (亿元; index previous year = 100), exactly as in the file.
    """
    comp = _compiled(raw_dir)[["province_code", "year", *_PUBLISHED]]
    return comp.rename(columns={c: f"{c}_published" for c in _PUBLISHED})


def read_vintage_links(raw_dir: Path) -> pd.DataFrame:
    """Link factors of :func:`read_gdp` and their validation, one row per linked province-year.

    The census-revised 2018 totals (used only to validate the 2019 sector links) come from the
    GPI workbook's ``GDP`` sheet, which holds them for 2018 (Beijing 33,105.97, Tianjin
    13,362.92; see ``checks/recon_gdp_nbs_gpi.csv``) for 26 provinces. For Shaanxi, Gansu,
    Qinghai, Ningxia and Xinjiang its 2018 figure is the first release to the cent (e.g.
    Ningxia 3,705.18), not a census revision: ``revision_observed`` is NaN there rather than a
    spurious 1. (``Sheet2``'s 2018/2019 ratio times the 2019 first release implies revisions of
    −2 % to −6 % for four of them and +4 % for Xinjiang, which the sector links reproduce
    within 1 %.)

    Returns
    -------
    pandas.DataFrame
        Keyed ``province_code, year``; columns of
        :func:`analysis.data.vintage.vintage_consistent`'s ``links``.
    """
    from analysis.data.sources import gpi

    _, links = _vintage(raw_dir)
    g18 = gpi.read_block(raw_dir, "GDP", "hundred million")
    g18 = g18[g18["year"] == 2018].set_index("province_code")["value"]
    comp = _compiled(raw_dir)
    s18 = comp[comp["year"] == 2018].set_index("province_code")[
        list(vintage.SECTORS)].sum(axis=1, min_count=3)
    obs = g18 / s18
    obs = obs.where((obs - 1).abs() > _UNREVISED_RTOL)  # a first release is no revision
    at19 = links["year"] == 2019
    links.loc[at19, "revision_observed"] = (
        links.loc[at19, "province_code"].map(obs).to_numpy())
    return links


_UNREVISED_RTOL = 1e-6
"""A GPI 2018 total within this relative distance of the first-released sector sum is taken to
be the first release itself (published to 0.01 亿元: equal to the cent), not a revision."""


def read_gdp_revised(raw_dir: Path) -> pd.DataFrame:
    """Revised GDP totals 2015–2024 (``gdp.xlsx`` sheet ``Sheet2``): the latest vintage.

    Returns
    -------
    pandas.DataFrame
        Long: ``province_code, year, gdp_revised`` (亿元), 31 × 10 rows.
    """
    where = f"{GDP_FILE} [Sheet2]"
    df = _gdp_sheet(raw_dir, "Sheet2")
    df = df.rename(columns={df.columns[0]: "name"})
    year_cols = [c for c in df.columns[1:] if pd.notna(c)]
    try:
        years = {c: int(float(c)) for c in year_cols}
    except ValueError as e:
        raise SourceLayoutError(f"{where}: header row should hold years, got {year_cols}") from e
    df = df.dropna(subset=["name"])
    df.index = df.index + 2
    df = _require_numeric(df, {c: f"{years[c]}" for c in year_cols}, where)
    prov, _ = split_aggregates(df, "name", where)
    long = prov.melt(["province_code"], value_vars=year_cols, var_name="year", value_name="gdp_revised")
    long["year"] = long["year"].map(years)
    out = finalise(long, ["gdp_revised"], where)
    _require_complete(out, {"gdp_revised": "GDP"}, where,
                      "the latest vintage must be complete (it anchors the back-cast)")
    return out


def read_employment(raw_dir: Path, start_year: int = 1985) -> pd.DataFrame:
    """Employment by three sectors (万人), ``start_year``–2023 (sheet ``面板数据``).

    Raises
    ------
    SourceLayoutError
        If the 省份编码 column disagrees with the code of the 省份名称 name.
    """
    where = f"{EMP_FILE} [面板数据]"
    df = _read_excel(Path(raw_dir) / EMP_FILE, "面板数据", where)
    require_columns(df, ["年度标识", "省份编码", "省份名称", *_EMP_COLS], where)
    df = df.rename(columns={"年度标识": "year", "省份名称": "name", **_EMP_COLS})
    df.index = df.index + 2
    df = df[df["year"] >= start_year]
    prov, _ = split_aggregates(df, "name", where)
    bad = prov[prov["省份编码"].astype("int64") != prov["province_code"]]
    if len(bad):
        raise SourceLayoutError(
            f"{where}: 省份编码 disagrees with 省份名称 at rows {bad.index.tolist()[:10]}"
        )
    long = prov[["province_code", "year", *_EMP_COLS.values()]].melt(
        ["province_code", "year"], var_name="column", value_name="value"
    )
    wide = long_to_wide(long, ["province_code", "year"], "column", "value", where)
    return finalise(wide, list(_EMP_COLS.values()), where)


def _urbanisation_flags(path: Path, where: str) -> pd.DataFrame:
    """Cells coloured by the compiler in sheet 原始版本 → (province_code, year, flag)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=False)
    if "原始版本" not in wb.sheetnames:
        raise SourceLayoutError(f"{where}: sheet 原始版本 not found")
    ws = wb["原始版本"]
    header = {c.column: c.value for c in ws[1]}
    rows = []
    for r in ws.iter_rows(min_row=2, max_row=ws.max_row):
        name = r[0].value
        if name is None:
            continue
        from analysis.data.provinces import normalise

        code = normalise(name, source=f"{URB_FILE} [原始版本]", row=r[0].row)
        for cell in r[1:]:
            year = header.get(cell.column)
            if not isinstance(year, int | float) or pd.isna(year):
                continue
            font = cell.font.color.rgb if cell.font and cell.font.color else None
            fill = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
            flag = None
            if fill == "FFFFFF00":
                flag = _URB_FLAGS["yellow"]
            elif font == "FFFF0000":
                flag = _URB_FLAGS["red"]
            elif font == "FF0070C0":
                flag = _URB_FLAGS["blue"]
            if flag:
                rows.append((code, int(year), flag))
    return pd.DataFrame(rows, columns=["province_code", "year", "urbanisation_flag"])


def read_urbanisation(raw_dir: Path) -> pd.DataFrame:
    """Urbanisation rate (share), 2000–2023, with ``urbanisation_flag`` on compiler-filled cells."""
    path = Path(raw_dir) / URB_FILE
    where = f"{URB_FILE} [面板数据]"
    df = _read_excel(path, "面板数据", where)
    require_columns(df, ["年份", "省份", "城镇化率%"], where)
    df = df.dropna(subset=["年份", "省份"]).rename(columns={"年份": "year", "省份": "name"})
    df.index = df.index + 2
    prov, _ = split_aggregates(df, "name", where)
    prov["urbanisation"] = pd.to_numeric(prov["城镇化率%"], errors="raise") / 100.0
    prov["year"] = prov["year"].astype("int64")
    long = prov[["province_code", "year", "urbanisation"]].melt(
        ["province_code", "year"], var_name="column", value_name="value"
    )
    wide = long_to_wide(long, ["province_code", "year"], "column", "value", where)
    flags = _urbanisation_flags(path, f"{URB_FILE} [原始版本]")
    wide = wide.merge(flags, on=["province_code", "year"], how="left")
    return finalise(wide, ["urbanisation", "urbanisation_flag"], where)


def read(raw_dir: Path, base_year: int = 2010) -> pd.DataFrame:
    """All NBS-compilation variables, one row per province-year, 1985–2024.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.
    base_year : int, default 2010
        Base year of ``gdp_real``/``gdp_deflator``.

    Returns
    -------
    pandas.DataFrame
        ``province_code, year`` and :data:`COLUMNS`: vintage-consistent GDP block 2000–2024
        (:func:`read_gdp`), employment 1985–2023, urbanisation 2000–2023 (NaN outside; never
        filled).

    Raises
    ------
    FileNotFoundError, SourceLayoutError, UnknownProvinceError, ConflictingValuesError
    """
    gdp = read_gdp(raw_dir, base_year=base_year)
    emp = read_employment(raw_dir)
    urb = read_urbanisation(raw_dir)
    out = gdp.merge(emp, on=["province_code", "year"], how="outer").merge(
        urb, on=["province_code", "year"], how="outer"
    )
    return finalise(out, COLUMNS, "nbs_compilations")


def read_national(raw_dir: Path) -> pd.DataFrame:
    """National rows (中国) of GDP/value added/index (to 2022) and employment, by year."""
    _, agg = _gdp_long(raw_dir)
    gdp = agg[agg["year"] <= 2022].drop_duplicates().set_index("year")[
        ["gdp", "va_primary", "va_secondary", "va_tertiary", "gdp_index"]]
    where = f"{EMP_FILE} [面板数据]"
    df = _read_excel(Path(raw_dir) / EMP_FILE, "面板数据", where)
    df = df.rename(columns={"年度标识": "year", **_EMP_COLS})
    emp = df[df["省份名称"].astype(str).str.strip() == "中国"].set_index("year")[list(_EMP_COLS.values())]
    out = gdp.join(emp, how="outer").reset_index()
    return out.astype({"year": "int64"})
