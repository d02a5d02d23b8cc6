"""2011–2023 provincial panel compiled from NBS via EPS (github 127ww/nqp-spatial-development, MIT).

Source: ``data/raw/nqp_panel/面板原始数据_合并版v2.xlsx`` (one sheet, long: 省份 × 年份, 31 × 13).
``附录A_完整附表.xlsx`` holds the authors' derived scores and is not read.

Units verified against independent figures
------------------------------------------
* ``GDP（亿元）``: 广东 2023 135,673.2 = NBS first-published figure; 2022 129,118.6 equals the
  first-published value in ``nbs_compilations/gdp.xlsx`` (→ ``nqp_gdp``, reconciliation only).
* ``货物进出口金额（亿人民币）`` (→ ``trade``): 亿元 RMB **by domestic destination / source of
  goods** — the 31 provinces sum to the national total (2021: 391,008.5 亿元 = 39.1 万亿元, the
  customs total), so 北京 (10,190) is far below its trade by enterprise location (~30,400).
  Published only from 2016.
* ``软件产品收入（亿元）`` (→ ``software_revenue``) is software *product* revenue, one component of
  software business revenue (广东 2023: 3,876 亿元 vs ~18,000 for the whole business).
* ``在校学生数（人）`` (→ ``students``, 万人) is enrolment in regular higher-education institutions
  (本专科; 北京 2021 617 thousand).
* ``R&D经费（万元）`` / ``R&D人员全时当量（人年）`` are *industrial enterprises above scale* (广东 2023
  3,427 亿元 vs 4,803 total R&D) → ``nqp_ind_rd_exp`` (亿元), ``nqp_ind_rd_fte`` (万人年).
* ``技术市场成交额（万元）`` equals techme's MarketPush (by *seller* region; 广东 2022 39,674,797 万元)
  → ``nqp_tech_market_seller`` (亿元).
* ``产业高级化率（%）`` is the tertiary share of GDP (广东 2022 54.94 % vs NBS 54.9 %) →
  ``nqp_tertiary_share`` (share).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    long_to_wide,
    require_columns,
    require_file,
    split_aggregates,
)

__all__ = ["read", "VARIABLES", "FILE"]

FILE = "nqp_panel/面板原始数据_合并版v2.xlsx"

# column in file -> (our name, factor, label_zh, label_en, unit, transformation)
_MAP: dict[str, tuple[str, float, str, str, str, str]] = {
    "数字普惠金融总指数": ("digital_finance", 1.0, "数字普惠金融总指数",
                   "PKU digital financial inclusion index", "index", "as published"),
    "软件产品收入（亿元）": ("software_revenue", 1.0, "软件产品收入",
                   "Software product revenue", "亿元", "as published"),
    "电子商务销售额（亿元）": ("ecommerce_sales", 1.0, "电子商务销售额", "E-commerce sales",
                    "亿元", "as published"),
    "货物进出口金额（亿人民币）": ("trade", 1.0, "货物进出口总额（按境内目的地和货源地）",
                      "Imports + exports of goods (by domestic destination/source)", "亿元",
                      "as published"),
    "在校学生数（人）": ("students", 1e-4, "普通高等学校在校学生数",
                  "Students in regular higher-education institutions", "万人", "人 / 10000"),
    "基础设施_公路里程（公里）": ("road_length", 1e-4, "公路里程", "Road length", "万公里",
                      "公里 / 10000"),
    "总人口（万人）": ("population", 1.0, "年末常住人口", "Year-end resident population", "万人",
                "as published"),
    "GDP（亿元）": ("nqp_gdp", 1.0, "地区生产总值（nqp面板）", "GDP (nqp panel, reconciliation)",
                "亿元", "as published"),
    "产业高级化率（%）": ("nqp_tertiary_share", 1e-2, "第三产业增加值占GDP比重（nqp面板）",
                  "Tertiary share of GDP (nqp panel, reconciliation)", "share", "% / 100"),
    "专利申请授权数（件）": ("nqp_patent_grant", 1.0, "专利申请授权数（nqp面板）",
                   "Patents granted (nqp panel, reconciliation)", "件", "as published"),
    "技术市场成交额（万元）": ("nqp_tech_market_seller", 1e-4, "技术市场成交额（nqp面板，按输出地域）",
                    "Technology-market turnover by seller region (nqp panel, reconciliation)",
                    "亿元", "万元 / 10000"),
    "R&D经费（万元）": ("nqp_ind_rd_exp", 1e-4, "规模以上工业企业R&D经费（nqp面板）",
                  "Industrial enterprises' R&D expenditure (nqp panel, reconciliation)", "亿元",
                  "万元 / 10000"),
    "R&D人员全时当量（人年）": ("nqp_ind_rd_fte", 1e-4, "规模以上工业企业R&D人员全时当量（nqp面板）",
                      "Industrial enterprises' R&D personnel FTE (nqp panel)", "万人年",
                      "人年 / 10000"),
    "城镇化率（%）": ("nqp_urbanisation", 1e-2, "城镇化率（nqp面板）",
                "Urbanisation rate (nqp panel, reconciliation)", "share", "% / 100"),
    "一般公共预算支出（亿元）": ("nqp_budget_exp", 1.0, "一般公共预算支出（nqp面板）",
                     "General public budget expenditure (nqp panel, reconciliation)", "亿元",
                     "as published"),
}

VARIABLES: list[Variable] = [
    Variable(name, zh, en, unit, FILE, f"面板原始数据_合并版v2: {col}", tr)
    for col, (name, _f, zh, en, unit, tr) in _MAP.items()
]
COLUMNS = [v.name for v in VARIABLES]


def read(raw_dir: Path) -> pd.DataFrame:
    """The nqp provincial panel, 31 provinces × 2011–2023, in contract units.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        ``province_code, year`` and :data:`COLUMNS` (units in :data:`VARIABLES`). Gaps as
        published (NaN): R&D 2011, e-commerce 2011–12, trade 2011–15, software 2011 …

    Raises
    ------
    FileNotFoundError, SourceLayoutError, UnknownProvinceError, ConflictingValuesError
    """
    path = require_file(Path(raw_dir) / FILE)
    where = FILE
    try:
        df = pd.read_excel(path, sheet_name=0)
    except ValueError as e:
        raise SourceLayoutError(f"{where}: cannot read first sheet: {e}") from e
    require_columns(df, ["省份", "年份", *_MAP], where)
    df.index = df.index + 2  # Excel row numbers
    prov, agg = split_aggregates(df, "省份", where)
    if len(agg):
        raise SourceLayoutError(f"{where}: unexpected aggregate rows {agg['省份'].tolist()}")
    parts = []
    for col, (name, factor, *_rest) in _MAP.items():
        v = pd.to_numeric(prov[col], errors="coerce")
        bad = prov.loc[v.isna() & prov[col].notna(), col]
        if len(bad):
            raise SourceLayoutError(
                f"{where}: non-numeric values in {col!r} at rows {bad.index.tolist()[:10]}"
            )
        parts.append(pd.DataFrame({
            "province_code": prov["province_code"], "year": prov["年份"].astype("int64"),
            "column": name, "value": v * factor,
        }))
    long = pd.concat(parts, ignore_index=True)
    wide = long_to_wide(long, ["province_code", "year"], "column", "value", where)
    return finalise(wide, COLUMNS, where)
