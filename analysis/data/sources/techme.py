"""China Statistical Yearbook on Science and Technology, province tables (R package ``techme``).

Source: ``data/raw/techme/rda/*.rda`` (github huhuaping/techme, MIT), read with ``pyreadr``.
Each object is long: ``province``, ``year`` (str), ``chn_block4`` (item), ``value``, ``units``,
``variables`` (code, see ``varsList.rda``). ``HitechFirmsPub`` is ``index, year, province, num``.

Quirks handled
--------------
* Province labels carry whitespace (``'全   国'``, ``'内蒙 古'``) and OCR errors (江两, 江四, 山两,
  两藏, 四藏, 内蒙占, 浙汀): all go through :func:`analysis.data.provinces.normalise_series`.
* National rows (全国) are dropped from :func:`read` and returned by :func:`read_national`.
* The ``units`` column is checked for every variable used: a unit other than the expected one
  raises :class:`~analysis.data.sources._common.SourceLayoutError` (IndustryRD mislabels some
  2020 units of variables we do not use, e.g. FTE as 万元).
* Technology market: ``MarketPush`` holds ``v4_cg_jssc_*`` = 技术输出 (outflow: turnover by
  *seller* region); ``MarketPull`` holds ``v4_cg_jssr_*`` = 技术输入 (inflow: by *buyer* region).
  Beijing's outflow (7,948 亿元, 2022) is about twice its inflow (4,113 亿元), as expected of the
  largest technology exporter.
* ``rd_exp`` comes from RDActivity's total (万元, 2010–2023); RDIntense's 亿元 figure (2011–2023)
  is the same series rounded to 0.1 亿元 (tested).
* ``HitechFirmsPub`` counts the high-tech enterprises in each year's published certification
  lists (newly certified or re-certified that year): a *flow*, not the stock of valid
  certificates (2022: 160,054 against about 400,000 holding one). The same lists, from the
  Torch Centre's site, are read by :mod:`analysis.data.sources.torch_innocom`, which also gives
  the stock (``hightech_enterprises_stock``); the two copies are reconciled in ``data check``.
* Missing years as published: IndustryOperation 2017, MarketPull/Push 2001–2004, 2006–2009, 2011.
* ``RDPatentValid`` (国内三种专利有效数, 2010–2023) is a *stock*: patents in force at the end of
  the year. 2014 holds a stray regional subtotal (尔部地区, the OCR form of 东部地区): dropped
  as an aggregate.
* ``RDPaperInternational`` (2010–2022) holds paper counts (篇数) and ranks (位次); only the
  counts are read. ``IndustryTrade`` (高技术产品进出口, 2016–2018 only: the yearbook stopped the
  table) is in 百万美元; we divide by 100 to 亿美元 (no currency conversion: the mirror has no
  exchange rate).

Which year a value describes
----------------------------
``year`` is the data year, the year printed in the title of the yearbook table the object was
built from (the mirror's ``raw_yearbook`` sheets, e.g. ``8-9 国内三种专利有效数按地区分布(2023年)``),
not the edition year. Checked against figures published for the data year: RDActivity 2023 =
33,357.1 亿元 (NBS 2023 communiqué on S&T funding); RDPatentValid 2023 invention patents summed
over the 31 provinces = 4,014,880, CNIPA's 401.5 万 domestic invention patents in force at the end
of 2023 (2022: 3,279,847 against 328.0 万); IndustryTrade 2018 exports 7,430 亿美元 against the
NBS 2018 communiqué's 49,374 亿元 of high-tech product exports (≈ 7,460 亿美元 at the 2018
average rate), while 2017's communiqué figure is 10 % lower. RDPaperInternational follows the
title year too (``8-17 …按地区分布(2022年)`` holds the 2022 values); its national totals differ
from ISTIC's headline counts (which count papers differently), so that year could not be
confirmed against a second publication.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr

from analysis.data.codebook import Variable
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    long_to_wide,
    require_columns,
    require_file,
    split_aggregates,
)

__all__ = ["read", "read_national", "read_object", "VARIABLES"]

RDA_DIR = "techme/rda"


@dataclass(frozen=True)
class _Spec:
    column: str
    obj: str
    code: str
    unit_in: str
    factor: float
    label_zh: str
    label_en: str
    unit_out: str
    item: str
    kind: str = ""  # "flow" / "stock" (codebook column stock_flow); "" when not stated


_SPECS: list[_Spec] = [
    _Spec("rd_exp", "RDActivity", "v4_zh_nbzc_hj", "万元", 1e-4,
          "R&D经费内部支出", "R&D expenditure (internal)", "亿元", "合计"),
    _Spec("rd_intensity", "RDIntense", "v4_ztr_qd_RD", "%", 1e-2,
          "R&D经费投入强度", "R&D intensity (R&D expenditure / GDP)", "share", "RD强度"),
    _Spec("rd_fte", "RDLaborHour", "v4_zh_qsdl_hj", "人年", 1e-4,
          "R&D人员全时当量", "R&D personnel, full-time equivalent", "万人年", "合计"),
    _Spec("rd_exp_government", "RDSource", "v4_zh_nbzc_zfzj", "万元", 1e-4,
          "R&D经费内部支出：政府资金", "R&D expenditure funded by government", "亿元", "政府资金"),
    _Spec("rd_exp_enterprise", "RDSource", "v4_zh_nbzc_qyzj", "万元", 1e-4,
          "R&D经费内部支出：企业资金", "R&D expenditure funded by enterprises", "亿元", "企业资金"),
    _Spec("rd_exp_basic", "RDActivity", "v4_zh_nbzc_jcyj", "万元", 1e-4,
          "R&D经费内部支出：基础研究", "R&D expenditure: basic research", "亿元", "基础研究"),
    _Spec("rd_exp_applied", "RDActivity", "v4_zh_nbzc_yyyj", "万元", 1e-4,
          "R&D经费内部支出：应用研究", "R&D expenditure: applied research", "亿元", "应用研究"),
    _Spec("rd_exp_experimental", "RDActivity", "v4_zh_nbzc_syfz", "万元", 1e-4,
          "R&D经费内部支出：试验发展", "R&D expenditure: experimental development", "亿元", "试验发展"),
    _Spec("patent_app", "RDPatentAccept", "v4_cg_zlsq_hj", "件", 1.0,
          "专利申请受理数", "Patent applications", "件", "合计"),
    _Spec("patent_app_invention", "RDPatentAccept", "v4_cg_zlsq_fm", "件", 1.0,
          "发明专利申请受理数", "Invention patent applications", "件", "发明"),
    _Spec("patent_grant", "RDPatentAuthority", "v4_cg_zlsq2_hj", "件", 1.0,
          "专利申请授权数", "Patents granted", "件", "合计"),
    _Spec("patent_grant_invention", "RDPatentAuthority", "v4_cg_zlsq2_fm", "件", 1.0,
          "发明专利申请授权数", "Invention patents granted", "件", "发明"),
    _Spec("tech_market_seller", "MarketPush", "v4_cg_jssc_je", "万元", 1e-4,
          "技术市场成交额（按技术输出地域）", "Technology-market turnover by seller (outflow) region",
          "亿元", "金额"),
    _Spec("tech_market_buyer", "MarketPull", "v4_cg_jssr_je", "万元", 1e-4,
          "技术市场成交额（按技术输入地域）", "Technology-market turnover by buyer (inflow) region",
          "亿元", "金额"),
    _Spec("hightech_firms", "IndustryOperation", "v4_cy_scjy_qys", "个", 1.0,
          "高技术产业企业数", "High-tech manufacturing enterprises", "个", "企业数"),
    _Spec("hightech_revenue", "IndustryOperation", "v4_cy_scjy_zyyw", "亿元", 1.0,
          "高技术产业营业收入", "High-tech industry main-business revenue", "亿元", "主营业务收入"),
    _Spec("hightech_new_product_sales", "IndustryRD", "v4_cy_xcp_xssr", "万元", 1e-4,
          "高技术产业新产品销售收入", "High-tech industry new-product sales revenue", "亿元", "销售收入"),
    _Spec("hightech_rd_exp", "IndustryRD", "v4_cy_RDhd_nbzc", "万元", 1e-4,
          "高技术产业R&D经费内部支出", "High-tech industry R&D expenditure", "亿元", "经费内部支出"),
    _Spec("budget_exp", "PublicBudget", "v6_cz_yszc_hj", "亿元", 1.0,
          "一般公共预算支出", "General public budget expenditure", "亿元", "合计"),
    _Spec("fiscal_st_exp", "PublicBudget", "v6_cz_yszc_kxjs", "亿元", 1.0,
          "一般公共预算支出：科学技术", "General public budget expenditure on science and technology",
          "亿元", "科学技术"),
    # patents in force at the end of the year (a stock), 2010-2023 (table 8-9 国内三种专利有效数)
    _Spec("valid_patents", "RDPatentValid", "v4_cg_zlsyx_hj", "件", 1.0,
          "国内有效专利数", "Domestic patents in force (end of year)", "件", "合计", "stock"),
    _Spec("valid_invention_patents", "RDPatentValid", "v4_cg_zlsyx_fm", "件", 1.0,
          "国内有效发明专利数", "Domestic invention patents in force (end of year)", "件", "发明",
          "stock"),
    _Spec("valid_utility_patents", "RDPatentValid", "v4_cg_zlsyx_syxx", "件", 1.0,
          "国内有效实用新型专利数", "Domestic utility-model patents in force (end of year)", "件",
          "实用新型", "stock"),
    _Spec("valid_design_patents", "RDPatentValid", "v4_cg_zlsyx_wgsj", "件", 1.0,
          "国内有效外观设计专利数", "Domestic design patents in force (end of year)", "件",
          "外观设计", "stock"),
    # papers indexed that year (a flow), 2010-2022 (table 8-17 国外主要检索工具收录我国科技论文)
    _Spec("papers_sci", "RDPaperInternational", "v4_cg_gwlw_pssci", "篇", 1.0,
          "SCI收录科技论文数", "Scientific papers indexed by SCI", "篇", "篇数SCI", "flow"),
    _Spec("papers_ei", "RDPaperInternational", "v4_cg_gwlw_psei", "篇", 1.0,
          "EI收录科技论文数", "Scientific papers indexed by EI", "篇", "篇数EI", "flow"),
    _Spec("papers_cpci", "RDPaperInternational", "v4_cg_gwlw_pscpcis", "篇", 1.0,
          "CPCI-S收录科技论文数", "Scientific papers indexed by CPCI-S", "篇", "篇数cpcis", "flow"),
    # high-technology products trade, 2016-2018 only (table 5-8 各地区高技术产品进出口贸易)
    _Spec("hightech_export_usd", "IndustryTrade", "v4_cy_my_ck", "百万美元", 1e-2,
          "高技术产品出口额", "High-technology products: exports", "亿美元", "出口贸易额", "flow"),
    _Spec("hightech_import_usd", "IndustryTrade", "v4_cy_my_jk", "百万美元", 1e-2,
          "高技术产品进口额", "High-technology products: imports", "亿美元", "进口贸易额", "flow"),
]

_HITECH = ("hightech_enterprises", "HitechFirmsPub")


def _transformation(spec: _Spec) -> str:
    if spec.factor == 1.0:
        return "as published"
    if spec.unit_in == "%":
        return "% / 100"
    return f"{spec.unit_in} / {round(1 / spec.factor):d}"


VARIABLES: list[Variable] = [
    Variable(
        s.column, s.label_zh, s.label_en, s.unit_out, f"{RDA_DIR}/{s.obj}.rda",
        f"{s.obj}: {s.code} ({s.item}, {s.unit_in})", _transformation(s), kind=s.kind,
    )
    for s in _SPECS
] + [
    Variable(
        "basic_share", "基础研究经费占比", "Basic-research share of R&D expenditure", "share",
        f"{RDA_DIR}/RDActivity.rda", "RDActivity: v4_zh_nbzc_jcyj / v4_zh_nbzc_hj",
        "rd_exp_basic / rd_exp",
    ),
    Variable(
        "hightech_enterprises", "当年认定高新技术企业数（流量）",
        "High-tech enterprises certified in the year (flow)", "个",
        f"{RDA_DIR}/HitechFirmsPub.rda", "HitechFirmsPub: num",
        "as published; a flow: enterprises on the year's published certification lists "
        "(new and re-certified), not the enterprises holding a valid certificate (2022: "
        "160,054 against a national stock of about 400,000); see hightech_enterprises_stock",
        kind="flow",
    ),
]

COLUMNS: list[str] = [v.name for v in VARIABLES]
_LONG_COLUMNS = ["province", "year", "chn_block4", "value", "units", "variables"]


def read_object(raw_dir: Path, name: str) -> pd.DataFrame:
    """Read one techme R object (``<raw_dir>/techme/rda/<name>.rda``) as published.

    Parameters
    ----------
    raw_dir : pathlib.Path
        The ``data/raw`` folder.
    name : str
        Object name, e.g. ``"RDIntense"``.

    Returns
    -------
    pandas.DataFrame
        The object's rows, unchanged.

    Raises
    ------
    FileNotFoundError, SourceLayoutError
        If the file is missing or does not hold an object called ``name``.
    """
    path = require_file(Path(raw_dir) / RDA_DIR / f"{name}.rda")
    result = pyreadr.read_r(str(path))
    if name not in result:
        raise SourceLayoutError(f"{path}: no R object {name!r}; found {list(result)}")
    return result[name]


def _long(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All used variables, long: (provinces with province_code, national rows)."""
    prov_parts, nat_parts = [], []
    for obj in dict.fromkeys(s.obj for s in _SPECS):
        where = f"{RDA_DIR}/{obj}.rda"
        df = read_object(raw_dir, obj)
        require_columns(df, _LONG_COLUMNS, where)
        for spec in (s for s in _SPECS if s.obj == obj):
            sub = df.loc[df["variables"] == spec.code]
            if sub.empty:
                raise SourceLayoutError(f"{where}: variable {spec.code} ({spec.item}) not found")
            units = set(sub["units"].dropna().astype(str).str.strip())
            if units != {spec.unit_in}:
                raise SourceLayoutError(
                    f"{where}: variable {spec.code} has unit(s) {sorted(units)}, "
                    f"expected {spec.unit_in!r}"
                )
            sub = sub.assign(
                column=spec.column,
                value=pd.to_numeric(sub["value"], errors="raise") * spec.factor,
                year=pd.to_numeric(sub["year"], errors="raise").astype("int64"),
            )
            prov, agg = split_aggregates(sub.reset_index(drop=True), "province", where)
            prov_parts.append(prov[["province_code", "year", "column", "value"]])
            national = agg.loc[agg["province"].astype(str).str.replace(r"\s", "", regex=True) == "全国"]
            nat_parts.append(national[["year", "column", "value"]])
    return pd.concat(prov_parts, ignore_index=True), pd.concat(nat_parts, ignore_index=True)


def _hitech(raw_dir: Path) -> pd.DataFrame:
    where = f"{RDA_DIR}/HitechFirmsPub.rda"
    df = read_object(raw_dir, "HitechFirmsPub")
    require_columns(df, ["year", "province", "num"], where)
    prov, _ = split_aggregates(df.reset_index(drop=True), "province", where)
    prov = prov.assign(
        year=pd.to_numeric(prov["year"], errors="raise").astype("int64"),
        column="hightech_enterprises",
        value=pd.to_numeric(prov["num"], errors="raise"),
    )
    return prov[["province_code", "year", "column", "value"]]


def read(raw_dir: Path) -> pd.DataFrame:
    """Province-year panel of S&T yearbook indicators from the techme R data.

    Parameters
    ----------
    raw_dir : pathlib.Path
        The ``data/raw`` folder (holding ``techme/rda/``).

    Returns
    -------
    pandas.DataFrame
        One row per province-year (31 provinces, 2000–2024 where any object has data), columns
        ``province_code``, ``year`` and :data:`COLUMNS` in the units of :data:`VARIABLES`
        (亿元, share, 万人年, 件, 个). Years an object does not cover are NaN.
        ``basic_share = rd_exp_basic / rd_exp``.

    Raises
    ------
    FileNotFoundError
        A ``.rda`` file is missing.
    SourceLayoutError
        Missing column/variable or unexpected unit.
    analysis.data.provinces.UnknownProvinceError
        A province label that is neither a province nor an aggregate.
    analysis.data.sources._common.ConflictingValuesError
        The same province-year-variable twice with different values.
    """
    raw_dir = Path(raw_dir)
    prov, _ = _long(raw_dir)
    long = pd.concat([prov, _hitech(raw_dir)], ignore_index=True)
    wide = long_to_wide(long, ["province_code", "year"], "column", "value", RDA_DIR)
    wide["basic_share"] = wide["rd_exp_basic"] / wide["rd_exp"]
    # years where an object holds no province at all stay as rows only if another object has them
    return finalise(wide, COLUMNS, RDA_DIR)


def read_national(raw_dir: Path) -> pd.DataFrame:
    """National totals (rows 全国) of the same variables, for reconciliation.

    Parameters
    ----------
    raw_dir : pathlib.Path

    Returns
    -------
    pandas.DataFrame
        One row per year, columns ``year`` and those :data:`COLUMNS` with a national row
        (same units as :func:`read`). Note the national patent and technology-market totals
        exceed the sum over provinces (they include units not allocated to a province), and
        PublicBudget's national row (from 2019) is the sum of local budgets.
    """
    _, nat = _long(Path(raw_dir))
    nat = nat.assign(province_code=100000)
    wide = long_to_wide(nat, ["province_code", "year"], "column", "value", RDA_DIR)
    if {"rd_exp_basic", "rd_exp"} <= set(wide.columns):
        wide["basic_share"] = wide["rd_exp_basic"] / wide["rd_exp"]
    cols = [c for c in COLUMNS if c in wide.columns]
    out = wide[["year", *cols]].astype({"year": "int64"})
    return out.sort_values("year").reset_index(drop=True).replace({None: np.nan})
