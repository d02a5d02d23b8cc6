"""Pandera schemas of the processed tables (``panel.parquet``, ``io_*.parquet``).

What the panel schema enforces
------------------------------
* keys ``province_code`` (one of the 31 GB/T 2260 province codes) and ``year`` (int64, no NaN);
* ``(province_code, year)`` unique, and every year holds all 31 provinces;
* plausible ranges per column (:data:`RANGES`): bounds are about 1.5-3x beyond the most extreme
  published province-year value of 2000-2024, so a value in the wrong unit (万元 for 亿元: x 10^4;
  percent for share: x 100) fails while every genuine value passes;
* shares (``*_share``, ``rd_intensity``, ``urbanisation``, unit ``share``) in [0, 1];
  money (unit 亿元 / 万元) non-negative; no infinite values anywhere.

A failure raises :class:`SchemaError` (a ``ValueError``) whose message names the table, the column,
the failed check and up to five offending (province_code, year, value) rows.
"""

from __future__ import annotations

import math

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

PROVINCE_CODES: tuple[int, ...] = (
    110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000,
    340000, 350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000,
    510000, 520000, 530000, 540000, 610000, 620000, 630000, 640000, 650000,
)
"""The 31 mainland provinces (GB/T 2260); equals ``analysis.data.provinces.CODES``."""

# column -> (min, max), inclusive. Largest published values for orientation (province, year):
RANGES: dict[str, tuple[float, float]] = {
    "gdp": (50, 3.0e5),               # 亿元; Guangdong 2023 135,673; Tibet 2000 117
    "gdp_real": (50, 3.0e5),
    "va_primary": (0, 2.0e4),         # Shandong/Sichuan ~ 6-7e3
    "va_secondary": (0, 1.5e5),       # Guangdong ~ 5.4e4
    "va_tertiary": (0, 2.0e5),        # Guangdong ~ 7.4e4
    "gdp_index": (80, 130),           # previous year = 100
    "gdp_deflator": (0.2, 5),
    "rd_exp": (0, 1.5e4),             # 亿元; Guangdong 2023 4,803
    "rd_exp_government": (0, 1.5e4), "rd_exp_enterprise": (0, 1.5e4),
    "rd_exp_basic": (0, 5.0e3), "rd_exp_applied": (0, 5.0e3), "rd_exp_experimental": (0, 1.5e4),
    "ind_rd_exp": (0, 1.5e4), "hightech_rd_exp": (0, 1.0e4),
    "rd_fte": (0, 300),               # 万人年; Guangdong 2023 ~ 110
    "patent_app": (0, 3.0e6),         # 件; Guangdong ~ 1e6
    "patent_app_invention": (0, 1.0e6),
    "patent_grant": (0, 2.5e6), "patent_grant_invention": (0, 5.0e5),
    "tech_market_seller": (0, 3.0e4),  # 亿元; Beijing 2023 ~ 8.5e3
    "tech_market_buyer": (0, 3.0e4),
    "hightech_firms": (0, 5.0e4),     # 个
    "hightech_revenue": (0, 1.5e5),   # 亿元; Guangdong ~ 5e4
    "hightech_new_product_sales": (0, 1.0e5),
    "ind_new_product_sales": (0, 1.5e5),
    "budget_exp": (0, 5.0e4),         # 亿元; Guangdong 2023 ~ 1.85e4
    "fiscal_st_exp": (0, 5.0e3),
    "hightech_enterprises": (0, 1.0e5),  # 个 certified in the year; Guangdong 2023 26,981
    "emp_total": (0, 1.5e4), "emp_primary": (0, 1.0e4),   # 万人; Henan ~ 7e3
    "emp_secondary": (0, 1.0e4), "emp_tertiary": (0, 1.0e4),
    "population": (100, 2.0e4),       # 万人; Tibet ~ 260 (2000) .. Guangdong 12,700
    "cpi": (10, 500), "fai_price_index": (10, 500),  # 1997 = 100
    "digital_finance": (0, 1000),
    "software_revenue": (0, 5.0e4),
    "ecommerce_sales": (0, 2.0e5),
    "students": (0, 5.0e3),
    "road_length": (0, 60),           # 万公里; Sichuan ~ 40
    "trade": (0, 3.0e5),              # 亿元; Guangdong ~ 9.5e4
    # industry-science linkage (S&T yearbook sheets; maxima 2018-2023, mostly Guangdong)
    "firms_with_rd": (0, 1.0e5),       # 个; Jiangsu 2022 31,594
    "firms_with_rd_institution": (0, 1.0e5),  # Guangdong 2021 30,261
    "ind_rd_ext": (0, 1.5e3),          # 亿元; Guangdong 2023 447
    "ind_rd_ext_inst": (0, 1.0e3),     # Guangdong 2021 235
    "ind_rd_ext_univ": (0, 50),        # Shandong 2018 13.3
    "ind_rd_projects": (0, 3.0e5),     # 项; Guangdong 2019 106,340
    "ind_rd_project_fte": (0, 200),    # 万人年; Guangdong 2019 60.4
    "ind_rd_project_exp": (0, 1.0e4),  # 亿元; Guangdong 2019 2,376
    "ind_rd_institutions": (0, 1.0e5),  # 个; Guangdong 2021 32,938
    "ind_rd_institution_staff": (0, 400),  # 万人; Guangdong 2021 122
    "ind_rd_institution_exp": (0, 1.5e4),  # 亿元; Guangdong 2021 5,047
    "ind_patent_app": (0, 1.0e6),      # 件; Guangdong 2023 366,916
    "ind_patent_app_invention": (0, 5.0e5),
    "ind_valid_invention_patents": (0, 2.0e6),  # Guangdong 2023 661,500
    "ind_tech_import": (0, 700),       # 亿元; Guangdong 2020 211
    "ind_tech_assimilation": (0, 250),  # Shanghai 2019 78
    "ind_tech_purchase_domestic": (0, 1.2e3),  # Shaanxi 2020 384
    "ind_tech_renovation": (0, 2.0e3),  # Guangdong 2020 669
    "incubators": (0, 4.0e3),          # 个; Jiangsu 2023 1,231
    "incubator_resident_firms": (0, 2.0e5), "incubatees": (0, 1.5e5),
    "incubatee_employees": (0, 150),   # 万人; Jiangsu 2022 52.7
    "incubatee_investment": (0, 1.0e3),  # 亿元; Beijing 2022 345
    "maker_spaces": (0, 4.0e3), "maker_space_served": (0, 1.5e5),
    "maker_space_subsidy": (0, 20),    # 亿元; Jiangsu 2022 5.4
    "maker_space_funded_teams": (0, 1.0e4),
    "maker_space_investment": (0, 1.0e3),  # 亿元; Beijing 2023 287
    "maker_space_employment": (0, 50),  # 万人; Guangdong 2022 16.6
    "valid_patents": (0, 1.2e7),       # 件; Guangdong 2023 3,836,888
    "valid_invention_patents": (0, 2.0e6), "valid_utility_patents": (0, 6.0e6),
    "valid_design_patents": (0, 3.5e6),
    "papers_sci": (0, 3.0e5), "papers_ei": (0, 2.0e5), "papers_cpci": (0, 5.0e4),  # Beijing
    "hightech_export_usd": (0, 7.0e3),  # 亿美元; Guangdong 2018 2,326
    "hightech_import_usd": (0, 7.0e3),
    "hightech_enterprises_stock": (0, 2.5e5),  # 个; Guangdong 2024 78,076
}
_COPY_PREFIXES = ("nqp_", "gpi_")
"""A column ``nqp_x`` / ``gpi_x`` (another source's copy of ``x``) gets the range of ``x``."""
_COPY_BASE = {"nqp_ind_rd_fte": "rd_fte"}  # copies whose base is named differently
SHARE_COLUMNS = {"rd_intensity", "urbanisation", "basic_share"}
MONEY_UNITS = {"亿元", "万元", "元", "亿美元"}


class SchemaError(ValueError):
    """A processed table violates its schema; the message says which column, check and rows."""


def _is_share(col: str, unit: str | None) -> bool:
    return col in SHARE_COLUMNS or col.endswith("_share") or unit == "share"


def _range_of(col: str) -> tuple[float, float] | None:
    """Plausible range of ``col``: its own, else that of the series it copies (nqp_gdp -> gdp)."""
    if col in RANGES:
        return RANGES[col]
    base = _COPY_BASE.get(col)
    if base is None:
        for pre in _COPY_PREFIXES:
            if col.startswith(pre):
                base = col.removeprefix(pre)
                break
    return RANGES.get(base) if base else None


def panel_schema(columns: list[str], units: dict[str, str] | None = None) -> pa.DataFrameSchema:
    """Pandera schema for a panel with these columns.

    Parameters
    ----------
    columns : list of str
        Columns of the panel (keys included); columns not in :data:`RANGES` get the generic
        checks of their unit (share in [0, 1], money >= 0) and finiteness.
    units : dict, optional
        Column -> unit (from the codebook / parsers' ``VARIABLES``).
    """
    units = units or {}
    cols: dict[str, pa.Column] = {
        "province_code": pa.Column("int64", pa.Check.isin(PROVINCE_CODES), nullable=False),
        "year": pa.Column("int64", pa.Check.in_range(1950, 2030), nullable=False),
    }
    for c in columns:
        if c in cols or c.endswith("_flag"):
            continue
        checks = [pa.Check(lambda s: ~s.isin([math.inf, -math.inf]), element_wise=False,
                           error="finite")]
        unit = units.get(c)
        if _is_share(c, unit):
            checks.append(pa.Check.in_range(0, 1))
        elif (rng := _range_of(c)) is not None:
            checks.append(pa.Check.in_range(*rng))
        elif unit in MONEY_UNITS:
            checks.append(pa.Check.ge(0))
        cols[c] = pa.Column(float, checks, nullable=True, coerce=True, required=False)

    def all_provinces_each_year(df: pd.DataFrame) -> pd.Series:
        n = df.groupby("year")["province_code"].transform("nunique")
        return n == len(PROVINCE_CODES)

    return pa.DataFrameSchema(
        cols, unique=["province_code", "year"], report_duplicates="all", strict=False,
        checks=[pa.Check(all_provinces_each_year, error="all 31 provinces present in every year")],
        name="panel",
    )


_TABLE_CHECKS = {"multiple_fields_uniqueness", "all 31 provinces present in every year"}


def _describe(table: str, exc: SchemaErrors, df: pd.DataFrame) -> str:
    fc = exc.failure_cases
    table_checks = fc["check"].astype(str).isin(_TABLE_CHECKS)
    lines = [f"{table}: schema violation(s)"]
    for check in fc.loc[table_checks, "check"].astype(str).unique():
        lines.append(f"  table check {check!r} failed (details below)")
    for (col, check), g in fc[~table_checks].groupby(["column", "check"], dropna=False, sort=False):
        idx = [i for i in g["index"].tolist() if i is not None and i == i][:5]
        examples = []
        for i in idx:
            try:
                key = ", ".join(f"{k}={df.at[i, k]}" for k in ("province_code", "year") if k in df)
                examples.append(f"({key}: {g.loc[g['index'] == i, 'failure_case'].iloc[0]})")
            except (KeyError, TypeError, ValueError):
                examples.append(repr(i))
        if not examples:
            examples = [repr(v) for v in g["failure_case"].head(5)]
        col = "<table>" if col is None or col != col else col
        lines.append(f"  column {col!s}: check {check!s} failed for {len(g)} row(s), e.g. "
                     + "; ".join(examples))
    return "\n".join(lines)


def _explain_missing_provinces(df: pd.DataFrame) -> str:
    have = df.groupby("year")["province_code"].apply(set)
    out = []
    for year, s in have.items():
        miss = sorted(set(PROVINCE_CODES) - s)
        if miss:
            out.append(f"{year}: missing {miss}")
    return ("; ".join(out[:5])) if out else ""


def validate_panel(panel: pd.DataFrame, units: dict[str, str] | None = None) -> pd.DataFrame:
    """Validate the province-year panel; return it unchanged if valid.

    Raises
    ------
    SchemaError
        An empty panel; or naming each failed column/check with example (province_code, year,
        value) rows,
        e.g. ``column gdp: check in_range(50, 300000.0) failed for 1 row(s), e.g.
        (province_code=440000, year=2022: 1294186000.0)``.
    """
    for k in ("province_code", "year"):
        if k not in panel.columns:
            raise SchemaError(f"panel: key column {k!r} is missing")
        if panel[k].isna().any():
            rows = panel.index[panel[k].isna()].tolist()[:5]
            raise SchemaError(f"panel: NaN in key column {k!r} at rows {rows}")
    if panel.empty:
        raise SchemaError("panel: no rows (expected 31 provinces x years)")
    schema = panel_schema(list(panel.columns), units)
    flat = panel.reset_index(drop=True)  # pandera needs a unique index to report rows
    try:
        schema.validate(flat, lazy=True)
    except SchemaErrors as exc:
        msg = _describe("panel", exc, flat)
        extra = _explain_missing_provinces(panel)
        if extra:
            msg += f"\n  provinces missing by year: {extra}"
        dup = panel.duplicated(["province_code", "year"], keep=False)
        if dup.any():
            msg += ("\n  duplicated keys: "
                    f"{panel.loc[dup, ['province_code', 'year']].drop_duplicates().head(5).to_dict('records')}")
        raise SchemaError(msg) from None
    return panel


IO_KEYS = {
    "flows": ["province_code", "year", "from_sector", "to_sector"],
    "final": ["province_code", "year", "sector", "item"],
    "va": ["province_code", "year", "sector", "item"],
    "imports": ["province_code", "year", "sector", "item"],
}
IO_VALUE = {"flows": "flow", "final": "value", "va": "value", "imports": "value"}
IO_MAX_ABS = 1e6
"""Bound on |amount| of any IO cell, 亿元. The largest cells read (total output of one sector in
the national tables, e.g. 2012 sector 28 construction 138,613 亿元) stay far below it; every
table's largest sector output (smallest: Ningxia 2002, 159.67 亿元 = 1.6e6 万元) exceeds it
when left in 万元, so a table in the wrong unit fails."""


def io_schema(kind: str, columns: list[str]) -> pa.DataFrameSchema:
    """Schema of ``io_flows`` / ``io_final`` / ``io_va`` / ``io_imports`` (docs/CONTRACTS.md).

    Keys are unique over every non-value column present (tables may carry extra key columns,
    e.g. the table variant); ``province_code`` is 0 (national) or one of the 31 provinces;
    sector codes are two-digit strings; values are finite, in 亿元 and |value| <=
    :data:`IO_MAX_ABS` (a table left in the published 万元 fails); final-demand and value-added
    items such as inventories, net outflow or operating surplus may be negative.
    """
    if kind not in IO_KEYS:
        raise ValueError(f"unknown IO table {kind!r}; expected one of {list(IO_KEYS)}")
    value = IO_VALUE[kind]
    cols = {
        "province_code": pa.Column("int64", pa.Check.isin((0, *PROVINCE_CODES))),
        "year": pa.Column("int64", pa.Check.in_range(1990, 2030)),
        value: pa.Column(float, [
            pa.Check(lambda s: ~s.isin([math.inf, -math.inf]), error="finite"),
            pa.Check(lambda s: s.abs() <= IO_MAX_ABS, ignore_na=True,
                     error=f"|value| <= {IO_MAX_ABS:g} 亿元 (in 万元?)")],
            nullable=True, coerce=True),
    }
    for c in IO_KEYS[kind][2:]:
        if "sector" in c:
            cols[c] = pa.Column(str, pa.Check.str_matches(r"^\d{2,3}$"))
        else:
            cols[c] = pa.Column(str)
    key_cols = [c for c in columns if c != value]
    return pa.DataFrameSchema(cols, unique=key_cols, report_duplicates="all", name=f"io_{kind}")


def validate_io(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Validate one tidy IO table (``kind`` in flows / final / va / imports); raises
    :class:`SchemaError`."""
    missing = [c for c in IO_KEYS.get(kind, []) + [IO_VALUE.get(kind, "")] if c not in df.columns]
    if missing:
        raise SchemaError(f"io_{kind}: missing column(s) {missing}")
    flat = df.reset_index(drop=True)
    try:
        io_schema(kind, list(df.columns)).validate(flat, lazy=True)
    except SchemaErrors as exc:
        raise SchemaError(_describe(f"io_{kind}", exc, flat)) from None
    return df


__all__ = ["IO_MAX_ABS", "PROVINCE_CODES", "RANGES", "SchemaError", "io_schema", "panel_schema",
           "validate_io", "validate_panel"]
