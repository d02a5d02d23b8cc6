"""NBS compilations: GDP and value added by sector, GDP volume indices, employment by sector,
urbanisation (github muweiabc/govfund; figures from the China Statistical Yearbook and provincial
yearbooks — cite NBS as the source).

Files (relative to ``data/raw``)
--------------------------------
* ``nbs_compilations/gdp.xlsx`` sheet ``sheet1``: long, 年份 × 省级, 1952–2022 GDP, value added of
  the three sectors (亿元, current prices), shares, GDP per capita and volume indices (上年=100);
  2023–2024 rows hold GDP totals only, and those equal ``Sheet2`` (revised after the fifth
  economic census) — a *different vintage* from the first-published 2022 figures (北京 2022:
  41,610.9 first published vs 45,222.4 revised). :func:`read` therefore stops ``gdp`` at 2022;
  the revised 2015–2024 totals come from :func:`read_gdp_revised`.
  Within sheet1, GDP and the sectors also mix vintages in 2001–2008 and 2013: GDP is the
  census-revised total, value added by sector (and the published shares) the first release
  (北京 2003: GDP 5,023.77 vs sectors summing to 3,663.10). Elsewhere (2000, 2009–2012,
  2014–2022) GDP equals the sum of the sectors to 0.1 %. Sector shares should therefore be
  computed over the sum of the sectors (the pipeline does so).
* ``nbs_compilations/分省份按三次产业分从业人员数（就业人员数）1985-2023年数据.xlsx`` sheet ``面板数据``:
  employment by sector (万人), with the province code in ``省份编码`` (cross-checked against the
  name); ``中国`` (code 152) is the national row. Sheets ``2021``–``2023`` repeat those years.
  The three sectors sum to ``就业人员`` to rounding except 陕西 2012–2019 and 新疆 2010–2019
  (sectors short by up to 25 % / 9.5 %): listed by ``checks/identity_emp_sum_sectors.csv``.
* ``nbs_compilations/2000-2023年各省份城镇化水平.xlsx`` sheet ``面板数据`` (% urban); the compiler
  filled gaps and marked them by colour in sheet ``原始版本`` (sheet ``备注``): red = 2001–2004
  inferred from average growth, blue = 广西 2000–2004 from urban / total population, yellow =
  2022–2023 extrapolated by average growth. These cells get ``urbanisation_flag``.

Derived series
--------------
``gdp_real`` and ``gdp_deflator`` chain the published volume index :math:`I_t` (previous year
= 100) around a base year :math:`B` (default 2010):

.. math::

    R_B = Y_B,\\quad R_t = R_{t-1}\\,I_t/100\\ (t > B),\\quad R_t = R_{t+1}\\,/\\,(I_{t+1}/100)\\ (t < B),
    \\qquad P_t = Y_t / R_t,

so ``gdp_real`` is GDP at base-year prices (亿元) and ``gdp_deflator`` equals 1 in the base year.
A missing index breaks the chain (NaN beyond it, never filled). Because the levels mix vintages
(e.g. 广东 2019 reflects the fourth-census revision, the 2019 index does not), the deflator
jumps in revision years; this is the standard implicit-deflator caveat.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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
    "read_gdp_revised",
    "read_employment",
    "read_urbanisation",
    "chain_real_gdp",
    "VARIABLES",
]

GDP_FILE = "nbs_compilations/gdp.xlsx"
EMP_FILE = "nbs_compilations/分省份按三次产业分从业人员数（就业人员数）1985-2023年数据.xlsx"
URB_FILE = "nbs_compilations/2000-2023年各省份城镇化水平.xlsx"

_GDP_COLS = {
    "地区生产总值/亿元": "gdp",
    "地区生产总值-第一产业/亿元": "va_primary",
    "地区生产总值-第二产业/亿元": "va_secondary",
    "地区生产总值-第三产业/亿元": "va_tertiary",
    "地区生产总值指数(上年=100)": "gdp_index",
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

VARIABLES: list[Variable] = [
    Variable("gdp", "地区生产总值", "GDP", "亿元", GDP_FILE, "sheet1: 地区生产总值/亿元",
             "as published, to 2022 (census-revised totals in 2001-2008 and 2013, first releases otherwise)"),
    Variable("va_primary", "第一产业增加值", "Value added, primary sector", "亿元", GDP_FILE,
             "sheet1: 地区生产总值-第一产业/亿元"),
    Variable("va_secondary", "第二产业增加值", "Value added, secondary sector", "亿元", GDP_FILE,
             "sheet1: 地区生产总值-第二产业/亿元"),
    Variable("va_tertiary", "第三产业增加值", "Value added, tertiary sector", "亿元", GDP_FILE,
             "sheet1: 地区生产总值-第三产业/亿元"),
    Variable("gdp_index", "地区生产总值指数（上年=100）", "GDP volume index (previous year = 100)",
             "prev. year = 100", GDP_FILE, "sheet1: 地区生产总值指数(上年=100)"),
    Variable("gdp_real", "地区生产总值（基年不变价）", "GDP at base-year prices", "亿元", GDP_FILE,
             "sheet1", "gdp[base] chained with gdp_index/100 (base year a parameter, default 2010)"),
    Variable("gdp_deflator", "地区生产总值平减指数（基年=1）", "GDP deflator (base year = 1)",
             "base year = 1", GDP_FILE, "sheet1", "gdp / gdp_real"),
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


def _read_excel(path: Path, sheet: str | int, where: str, **kw) -> pd.DataFrame:
    require_file(path)
    try:
        return pd.read_excel(path, sheet_name=sheet, **kw)
    except ValueError as e:  # missing sheet
        raise SourceLayoutError(f"{where}: cannot read sheet {sheet!r}: {e}") from e


def _grid(df: pd.DataFrame, years: range) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product(
        [PROVINCES["province_code"].tolist(), list(years)], names=["province_code", "year"]
    )
    return df.set_index(["province_code", "year"]).reindex(idx).reset_index()


def _gdp_long(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    where = f"{GDP_FILE} [sheet1]"
    df = _read_excel(Path(raw_dir) / GDP_FILE, "sheet1", where)
    require_columns(df, ["年份", "省级", *_GDP_COLS], where)
    df = df.rename(columns={"年份": "year", "省级": "name", **_GDP_COLS})
    df.index = df.index + 2  # Excel row numbers, for messages
    prov, agg = split_aggregates(df, "name", where)
    keep = ["year", *_GDP_COLS.values()]
    return prov[["province_code", *keep]], agg[keep]


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


def read_gdp(raw_dir: Path, base_year: int = 2010, start_year: int = 1978) -> pd.DataFrame:
    """GDP, value added by sector, volume index, real GDP and deflator, 1978–2022.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.
    base_year : int, default 2010
        Base year of ``gdp_real`` and ``gdp_deflator`` (deflator = 1 there).
    start_year : int, default 1978
        First year returned (海南 starts in 1987).

    Returns
    -------
    pandas.DataFrame
        31 provinces × ``start_year``–2022: ``province_code, year, gdp, va_primary,
        va_secondary, va_tertiary, gdp_index, gdp_real, gdp_deflator`` (亿元; index as published).
    """
    prov, _ = _gdp_long(raw_dir)
    prov = prov[(prov["year"] >= start_year) & (prov["year"] <= 2022)]
    where = f"{GDP_FILE} [sheet1]"
    long = prov.melt(["province_code", "year"], var_name="column", value_name="value")
    wide = long_to_wide(long, ["province_code", "year"], "column", "value", where)
    wide = _grid(wide, range(start_year, 2023))
    wide["gdp_real"] = np.nan
    for _code, g in wide.groupby("province_code"):
        s = g.set_index("year")
        wide.loc[g.index, "gdp_real"] = chain_real_gdp(s["gdp"], s["gdp_index"], base_year).values
    wide["gdp_deflator"] = wide["gdp"] / wide["gdp_real"]
    cols = [*_GDP_COLS.values(), "gdp_real", "gdp_deflator"]
    return finalise(wide, cols, where)


def read_gdp_revised(raw_dir: Path) -> pd.DataFrame:
    """Revised GDP totals 2015–2024 (``gdp.xlsx`` sheet ``Sheet2``), for reconciliation.

    Returns
    -------
    pandas.DataFrame
        Long: ``province_code, year, gdp_revised`` (亿元), 31 × 10 rows.
    """
    where = f"{GDP_FILE} [Sheet2]"
    df = _read_excel(Path(raw_dir) / GDP_FILE, "Sheet2", where, header=0)
    df = df.rename(columns={df.columns[0]: "name"})
    year_cols = [c for c in df.columns[1:] if pd.notna(c)]
    try:
        years = {c: int(float(c)) for c in year_cols}
    except ValueError as e:
        raise SourceLayoutError(f"{where}: header row should hold years, got {year_cols}") from e
    df = df.dropna(subset=["name"])
    df.index = df.index + 2
    prov, _ = split_aggregates(df, "name", where)
    long = prov.melt(["province_code"], value_vars=year_cols, var_name="year", value_name="gdp_revised")
    long["year"] = long["year"].map(years)
    out = finalise(long, ["gdp_revised"], where)
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
    """All NBS-compilation variables, one row per province-year, 1978–2023.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.
    base_year : int, default 2010
        Base year of ``gdp_real``/``gdp_deflator``.

    Returns
    -------
    pandas.DataFrame
        ``province_code, year`` and :data:`COLUMNS`: GDP block 1978–2022, employment
        1985–2023, urbanisation 2000–2023 (NaN outside; never filled).

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
    gdp = agg[agg["year"] <= 2022].drop_duplicates().set_index("year")
    where = f"{EMP_FILE} [面板数据]"
    df = _read_excel(Path(raw_dir) / EMP_FILE, "面板数据", where)
    df = df.rename(columns={"年度标识": "year", **_EMP_COLS})
    emp = df[df["省份名称"].astype(str).str.strip() == "中国"].set_index("year")[list(_EMP_COLS.values())]
    out = gdp.join(emp, how="outer").reset_index()
    return out.astype({"year": "int64"})
