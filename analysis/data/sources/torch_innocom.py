"""Certified high-tech enterprises by province, 2018–2024: the yearly summaries of the Torch
Centre's certification lists (www.innocom.gov.cn), as tidied in ``techme/raw_yearbook/data-tidy/
public-site/torch-innocom/xlsx/tbl-smry-year-<year>.xlsx`` (github huhuaping/techme, MIT).

What the numbers are
--------------------
Each year's file counts, by province, the enterprises on that year's published certification
lists (高新技术企业认定名单: newly certified and re-certified enterprises). This is a **flow**:
``hightech_enterprises`` (2022: 160,054 nationally), not the number of enterprises holding a
valid certificate (about 400,000 at the end of 2022). The techme R object ``HitechFirmsPub`` is
built from the same files (equal in every province-year; ``data check`` reconciles them).

The stock, ``hightech_enterprises_stock``
-----------------------------------------
A certificate is valid for three years from the year of issue, and an enterprise renews by
being certified again in the year its certificate expires (《高新技术企业认定管理办法》,
国科发火〔2016〕32号). So every enterprise holding a valid certificate at the end of year t was
certified in t, t−1 or t−2, exactly once, and

    stock(t) = flow(t) + flow(t−1) + flow(t−2),

computed only where the three years are all published (2020–2024). Against the national counts
the Ministry of Science and Technology announced for the end of each year, the sum over
provinces gives 283,884 (2020; announced 27.5 万), 336,012 (2021; 33 万), 406,153 (2022; about
40 万), 465,568 (2023; 46.5 万) and 508,188 (2024; more than 50 万): within 3.2 % in every year.
The rule over-counts enterprises whose certificate was revoked or that merged or closed before
it expired, and counts a relocated enterprise in the province that certified it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    require_columns,
    require_file,
    split_aggregates,
)

__all__ = ["read", "FILES", "VARIABLES", "stock_from_flows", "VALIDITY_YEARS"]

BASE = "techme/raw_yearbook/data-tidy/public-site/torch-innocom/xlsx"
YEARS = range(2018, 2025)
FILES: dict[int, str] = {y: f"{BASE}/tbl-smry-year-{y}.xlsx" for y in YEARS}
VALIDITY_YEARS = 3
"""Years a high-tech enterprise certificate is valid (国科发火〔2016〕32号)."""

_SOURCE = ";".join(FILES.values())
VARIABLES: list[Variable] = [
    Variable(
        "hightech_enterprises", "当年认定高新技术企业数（流量）",
        "High-tech enterprises certified in the year (flow)", "个",
        _SOURCE, "Torch Centre certification lists, yearly summary by province: num",
        "as published; a flow: enterprises on the year's published certification lists "
        "(new and re-certified), not the enterprises holding a valid certificate (2022: "
        "160,054 against a national stock of about 400,000); see hightech_enterprises_stock",
        kind="flow",
    ),
    Variable(
        "hightech_enterprises_stock", "有效高新技术企业数（存量，估算）",
        "High-tech enterprises certified and valid (stock, est.)",
        "个", _SOURCE, "Torch Centre certification lists, yearly summary by province: num",
        "hightech_enterprises(t) + (t-1) + (t-2): certificates are valid three years "
        "(国科发火〔2016〕32号); only where all three years are published (2020-2024). The "
        "national sum is within 3.2% of MOST's announced counts 2020-2024 (e.g. 2022: 406,153 "
        "vs about 400,000)",
        kind="stock",
    ),
]
COLUMNS = [v.name for v in VARIABLES]


def stock_from_flows(flow: pd.DataFrame, window: int = VALIDITY_YEARS) -> pd.Series:
    """Number holding a valid certificate at the end of each year, from yearly certifications.

    Parameters
    ----------
    flow : DataFrame
        ``province_code``, ``year`` (consecutive within each province) and
        ``hightech_enterprises`` (certifications during the year), one row per province-year.
    window : int
        Validity of a certificate in years (3).

    Returns
    -------
    pandas.Series
        Aligned with ``flow``'s index: the sum of the certifications of years t−window+1 … t,
        NaN where any of them is missing (never filled).
    """
    f = flow.sort_values(["province_code", "year"])
    years = f.groupby("province_code")["year"].diff()
    if (years.dropna() != 1).any():
        raise ValueError("stock_from_flows: years must be consecutive within each province")
    out = (f.groupby("province_code")["hightech_enterprises"]
           .rolling(window, min_periods=window).sum().reset_index(level=0, drop=True))
    return out.reindex(flow.index)


def _read_year(raw_dir: Path, year: int) -> pd.DataFrame:
    rel = FILES[year]
    df = pd.read_excel(require_file(Path(raw_dir) / rel))
    require_columns(df, ["year", "province", "num"], rel)
    if set(pd.to_numeric(df["year"], errors="coerce")) != {year}:
        raise SourceLayoutError(f"{rel}: column year holds {sorted(set(df['year']))}, "
                                f"expected only {year}")
    prov, _agg = split_aggregates(df.reset_index(drop=True), "province", rel)
    if sorted(prov["province_code"]) != sorted(set(prov["province_code"])) \
            or prov["province_code"].nunique() != 31:
        raise SourceLayoutError(f"{rel}: expected one row for each of the 31 provinces")
    num = pd.to_numeric(prov["num"], errors="coerce")
    if num.isna().any():
        raise SourceLayoutError(f"{rel}: non-numeric num at rows {prov.index[num.isna()].tolist()}")
    return pd.DataFrame({"province_code": prov["province_code"].to_numpy(), "year": year,
                         "hightech_enterprises": num.astype("float64").to_numpy()})


def read(raw_dir: Path) -> pd.DataFrame:
    """Certified high-tech enterprises (flow) and the implied stock, by province, 2018–2024.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        31 × 7 rows: ``province_code``, ``year``, ``hightech_enterprises`` (个, certified that
        year) and ``hightech_enterprises_stock`` (个, valid at the end of the year; NaN in 2018
        and 2019, where the two preceding years are not published).

    Raises
    ------
    FileNotFoundError, SourceLayoutError, UnknownProvinceError
    """
    flow = pd.concat([_read_year(raw_dir, y) for y in YEARS], ignore_index=True)
    flow["hightech_enterprises_stock"] = stock_from_flows(flow)
    return finalise(flow, COLUMNS, BASE)
