"""Replication data of a provincial Genuine Progress Indicator paper (github xxyyluo/WD).

Files (relative to ``data/raw``)
--------------------------------
* ``wd_gpi/2021.8.6_provincialGPI_compenent_and_measurement.xlsx`` — 71 sheets, each a block
  "unit label | 1985 … 2018" followed by 31 rows of English province names ("Yunan" typo,
  "Inner Mongolia", "Tibet"); Chongqing is empty before 1997, Hainan before 1988. Sheet
  ``price indexes`` holds two blocks: CPI and the fixed-asset-investment price index, both with
  1997 = 1 (we multiply by 100 → 1997 = 100). Columns right of 2018 are the authors' scratch
  work (headers like ``1983年``) and are ignored.
* ``wd_gpi/data_province.dta`` — ``ind`` and ``ser``: undocumented; they are the secondary and
  tertiary shares of GDP as fractions (上海 1985: 0.6977 / 0.2605 = NBS 69.8 % / 26.0 %; tests
  compare with the NBS compilation), → ``gpi_secondary_share``, ``gpi_tertiary_share``.

Important: the price indices are NATIONAL series
------------------------------------------------
In every year the CPI and FAI price index take one value for all provinces — the national
index copied into each row — except three cells that are evidently typing errors (CPI 河南 1985
= 30.159 instead of 0.2966, 甘肃 1987 = 0.1482 instead of 0.3389, 青海 1990 = 0.0761 instead of
0.4898). Those cells are replaced by the value shared by the other 30 provinces and marked in
``cpi_flag`` / ``fai_price_index_flag``. So ``cpi`` and ``fai_price_index`` carry no provincial
variation: deflating with them is deflating with national prices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.provinces import normalise
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    require_columns,
    require_file,
)

__all__ = ["read", "read_block", "read_shares", "VARIABLES", "XLSX", "DTA"]

XLSX = "wd_gpi/2021.8.6_provincialGPI_compenent_and_measurement.xlsx"
DTA = "wd_gpi/data_province.dta"

VARIABLES: list[Variable] = [
    Variable("cpi", "居民消费价格指数（1997=100）", "Consumer price index (1997 = 100)",
             "1997 = 100", XLSX, "price indexes: price index (CPI, 1997 as the base year)",
             "× 100; national index in every province (3 typo cells replaced, see cpi_flag)"),
    Variable("fai_price_index", "固定资产投资价格指数（1997=100）",
             "Fixed-asset investment price index (1997 = 100)", "1997 = 100", XLSX,
             "price indexes: fixed-asset investment price index (1997 as the base year)",
             "× 100; national index in every province"),
    Variable("cpi_flag", "CPI修正说明", "How a CPI cell was corrected", "text", XLSX,
             "price indexes", "set where a cell differed from the other 30 provinces"),
    Variable("fai_price_index_flag", "投资价格指数修正说明",
             "How an FAI price index cell was corrected", "text", XLSX, "price indexes",
             "set where a cell differed from the other 30 provinces"),
    Variable("gpi_gdp", "地区生产总值（GPI数据）", "GDP (GPI workbook, reconciliation)", "亿元",
             XLSX, "GDP: hundred million CNY (at current price)"),
    Variable("gpi_secondary_share", "第二产业占比（GPI数据）",
             "Secondary share of GDP (GPI .dta, reconciliation)", "share", DTA, "ind",
             "as published (fraction; unit inferred, see module docstring)"),
    Variable("gpi_tertiary_share", "第三产业占比（GPI数据）",
             "Tertiary share of GDP (GPI .dta, reconciliation)", "share", DTA, "ser",
             "as published (fraction; unit inferred)"),
]
COLUMNS = [v.name for v in VARIABLES]


def _sheet(raw_dir: Path, sheet: str) -> pd.DataFrame:
    path = require_file(Path(raw_dir) / XLSX)
    try:
        return pd.read_excel(path, sheet_name=sheet, header=None)
    except ValueError as e:
        raise SourceLayoutError(f"{XLSX}: no sheet {sheet!r} ({e})") from e


def read_block(
    raw_dir: Path, sheet: str, label_contains: str = "", *, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One "label | years" block of the GPI workbook as a long frame.

    Parameters
    ----------
    raw_dir : pathlib.Path
    sheet : str
        Sheet name, e.g. ``"GDP"`` or ``"price indexes"``.
    label_contains : str
        Text contained in the block's top-left cell (case-insensitive); the first block of the
        sheet if empty.
    frame : pandas.DataFrame, optional
        The sheet already read with ``header=None`` (saves re-opening the 71-sheet workbook).

    Returns
    -------
    pandas.DataFrame
        ``province_code, year, value`` (value as published), 31 provinces × 1985–2018.

    Raises
    ------
    SourceLayoutError
        Block not found, or not 31 province rows under it.
    UnknownProvinceError
        An English name that is not a province (row number in the message).
    """
    where = f"{XLSX} [{sheet}]"
    df = _sheet(raw_dir, sheet) if frame is None else frame
    first = df.iloc[:, 0].astype("string").str.lower()
    starts = [
        i for i in df.index
        if isinstance(df.iat[i, 1], int | float) and df.iat[i, 1] == 1985
        and (not label_contains or label_contains.lower() in (first.iat[i] or ""))
    ]
    if not starts:
        raise SourceLayoutError(f"{where}: no block headed {label_contains!r} with years from 1985")
    start = starts[0]
    hdr = df.iloc[start]
    year_cols = [
        c for c in df.columns[1:]
        if isinstance(hdr[c], int | float) and not pd.isna(hdr[c]) and 1900 < hdr[c] < 2100
    ]
    rows = df.iloc[start + 1 : start + 32]
    if rows.iloc[:, 0].isna().any() or len(rows) != 31:
        raise SourceLayoutError(f"{where}: expected 31 province rows under row {start + 1}")
    codes = [normalise(n, source=where, row=i + 1) for i, n in zip(rows.index, rows.iloc[:, 0], strict=True)]
    if len(set(codes)) != 31:
        raise SourceLayoutError(f"{where}: block at row {start + 1} does not list 31 distinct provinces")
    vals = rows[year_cols].apply(pd.to_numeric, errors="coerce")
    vals.columns = [int(hdr[c]) for c in year_cols]
    vals.index = codes
    long = vals.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["province_code", "year", "value"]
    return long


def _national_common(long: pd.DataFrame, name: str) -> pd.DataFrame:
    """Replace cells that differ from the value shared by the other provinces; flag them."""
    mode = long.groupby("year")["value"].agg(lambda s: s.mode().iloc[0])
    shared = long["year"].map(mode)
    diff = long["value"].notna() & ((long["value"] - shared).abs() > 1e-9)
    out = long.copy()
    out[f"{name}_flag"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[diff, f"{name}_flag"] = [
        f"source value {v:.6g} differs from the national index {m:.6g} shared by all other "
        "provinces; replaced by it"
        for v, m in zip(out.loc[diff, "value"], shared[diff], strict=True)
    ]
    out.loc[diff, "value"] = shared[diff]
    return out


def read_shares(raw_dir: Path) -> pd.DataFrame:
    """Secondary and tertiary shares from ``data_province.dta`` (fractions), 1985–2018."""
    path = require_file(Path(raw_dir) / DTA)
    df = pd.read_stata(path)
    require_columns(df, ["year", "prov", "ind", "ser"], DTA)
    df = df.reset_index(drop=True)
    df["province_code"] = [normalise(p, source=DTA, row=i + 1) for i, p in enumerate(df["prov"])]
    df = df.rename(columns={"ind": "gpi_secondary_share", "ser": "gpi_tertiary_share"})
    df["year"] = df["year"].astype("int64")
    if df.duplicated(["province_code", "year"]).any():
        raise SourceLayoutError(f"{DTA}: duplicated province-year rows")
    return df[["province_code", "year", "gpi_secondary_share", "gpi_tertiary_share"]]


def read(raw_dir: Path) -> pd.DataFrame:
    """CPI and FAI price index (1997 = 100) and reconciliation series, 31 × 1985–2018.

    Parameters
    ----------
    raw_dir : pathlib.Path

    Returns
    -------
    pandas.DataFrame
        ``province_code, year`` and :data:`COLUMNS`.

    Raises
    ------
    FileNotFoundError, SourceLayoutError, UnknownProvinceError
    """
    raw_dir = Path(raw_dir)
    path = require_file(raw_dir / XLSX)
    try:
        sheets = pd.read_excel(path, sheet_name=["price indexes", "GDP"], header=None)
    except ValueError as e:
        raise SourceLayoutError(f"{XLSX}: {e}") from e
    prices = sheets["price indexes"]
    cpi = _national_common(read_block(raw_dir, "price indexes", "CPI", frame=prices), "cpi")
    fai = _national_common(
        read_block(raw_dir, "price indexes", "fixed-asset", frame=prices), "fai_price_index"
    )
    gdp = read_block(raw_dir, "GDP", "hundred million", frame=sheets["GDP"])
    out = (
        cpi.rename(columns={"value": "cpi"})
        .merge(fai.rename(columns={"value": "fai_price_index"}), on=["province_code", "year"])
        .merge(gdp.rename(columns={"value": "gpi_gdp"}), on=["province_code", "year"])
        .merge(read_shares(raw_dir), on=["province_code", "year"], how="left")
    )
    out["cpi"] = out["cpi"] * 100.0
    out["fai_price_index"] = out["fai_price_index"] * 100.0
    out = out.replace({np.inf: np.nan})
    return finalise(out, COLUMNS, "wd_gpi")
