"""Report wording in Chinese and English.

Variable labels come from the codebook (``data/processed/codebook.csv``, columns ``name``,
``label_zh``, ``label_en``, ``unit``); this module holds only the words the codebook does not
have: section titles, sentences, model, pathway and coordination-class names.
"""

from __future__ import annotations

import numbers
from typing import Literal

import pandas as pd

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "{name}科技创新与产业创新融合发展报告", "en": "{name}: integration of S&T and industrial innovation"},
    "subtitle": {"zh": "{region} · 数据年份 {y0}–{y1} · 生成于 {date}", "en": "{region} · data {y0}–{y1} · generated {date}"},
    "sec_glance": {"zh": "一、概览", "en": "1. At a glance"},
    "sec_indices": {"zh": "二、科技创新与产业创新指数", "en": "2. S&T and industrial innovation indices"},
    "sec_coupling": {"zh": "三、耦合协调度", "en": "3. Coupling coordination"},
    "sec_models": {"zh": "四、融合模式", "en": "4. Integration models"},
    "sec_pathways": {"zh": "五、融合路径诊断", "en": "5. Pathway diagnostics"},
    "sec_chain": {"zh": "六、产业链画像（投入产出表）", "en": "6. Industrial-chain profile (input-output tables)"},
    "sec_threshold": {"zh": "七、门槛效应", "en": "7. Threshold regime"},
    "sec_spatial": {"zh": "八、空间邻近与溢出", "en": "8. Spatial neighbours and spillovers"},
    "sec_map": {"zh": "九、地图", "en": "9. Map"},
    "sec_notes": {"zh": "说明", "en": "Notes"},
    "missing": {"zh": "本节所需数据（{what}）尚未生成，暂不显示。", "en": "This section needs {what}, which is not available in this run."},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "value": {"zh": "数值", "en": "Value"},
    "unit": {"zh": "单位", "en": "Unit"},
    "rank31": {"zh": "全国排名（31）", "en": "Rank of 31"},
    "rank_region": {"zh": "区域内排名", "en": "Rank in region"},
    "year": {"zh": "年份", "en": "Year"},
    "national_median": {"zh": "全国中位数", "en": "National median"},
    "regional_peers": {"zh": "区域其他省份（均值）", "en": "Regional peers (mean)"},
    "u_st": {"zh": "科技创新指数 U₁", "en": "S&T innovation index U₁"},
    "u_ind": {"zh": "产业创新指数 U₂", "en": "Industrial innovation index U₂"},
    "D": {"zh": "耦合协调度 D", "en": "Coupling coordination degree D"},
    "C": {"zh": "耦合度 C", "en": "Coupling degree C"},
    "T": {"zh": "综合发展指数 T", "en": "Comprehensive index T"},
    "pillar": {"zh": "支柱", "en": "Pillar"},
    "score": {"zh": "得分", "en": "Score"},
    "percentile": {"zh": "全国百分位", "en": "Percentile (31)"},
    "percentile_region": {"zh": "区域内百分位", "en": "Percentile in region"},
    "gap_frontier": {"zh": "距全国最高", "en": "Gap to frontier"},
    "gap_leader": {"zh": "距区域最高", "en": "Gap to regional leader"},
    "pathway": {"zh": "路径", "en": "Pathway"},
    "sector": {"zh": "部门", "en": "Sector"},
    "backward": {"zh": "后向关联（影响力系数）", "en": "Backward linkage"},
    "forward": {"zh": "前向关联（感应度系数）", "en": "Forward linkage"},
    "neighbour": {"zh": "相邻省份", "en": "Neighbour"},
    "effect": {"zh": "效应", "en": "Effect"},
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "std_error": {"zh": "标准误", "en": "Std. error"},
    "p_value": {"zh": "p 值", "en": "p-value"},
    "regime": {"zh": "区间", "en": "Regime"},
    "this_province": {"zh": "本省", "en": "This province"},
    "back_to_index": {"zh": "← 返回全部省份", "en": "← All provinces"},
    "index_title": {"zh": "31 个省份科技创新与产业创新融合报告", "en": "Integration of S&T and industrial innovation: 31 provincial reports"},
    "index_hint": {"zh": "点击表头排序；点击省份名称打开报告。", "en": "Click a column header to sort; click a province to open its report."},
    "province": {"zh": "省份", "en": "Province"},
    "region": {"zh": "区域", "en": "Region"},
    "model": {"zh": "主导模式", "en": "Dominant model"},
    "class": {"zh": "协调等级", "en": "Coordination class"},
    "weakest": {"zh": "最薄弱的两条路径", "en": "Two weakest pathways"},
    "report": {"zh": "报告", "en": "Report"},
    "footer_sources": {
        "zh": "数据来源：国家统计局与《中国科技统计年鉴》（经 techme 整理）、国家统计局数据汇编、新质生产力（nqp）省级面板、"
              "各省投入产出表、省级行政区划边界（详见{sources}）。",
        "en": "Sources: NBS and the China Statistical Yearbook on Science and Technology (via techme), NBS "
              "compilations, the new-quality-productivity (nqp) provincial panel, provincial input-output tables, "
              "province boundaries (details: {sources}).",
    },
    "footer_sources_link": {"zh": "数据来源清单", "en": "data sources"},
    "footer_made": {
        "zh": "融合框架版本 {version}；生成于 {date}，由 <code>python -m analysis reports</code> 自动生成。",
        "en": "Integration framework version {version}; generated {date} by <code>python -m analysis reports</code>.",
    },
}

REGIONS: dict[str, dict[str, str]] = {
    "east": {"zh": "东部", "en": "East"},
    "central": {"zh": "中部", "en": "Central"},
    "west": {"zh": "西部", "en": "West"},
    "northeast": {"zh": "东北", "en": "Northeast"},
}

MODELS: dict[str, dict[str, str]] = {
    "chain": {"zh": "产业链融合型", "en": "chain-based"},
    "platform": {"zh": "平台支撑型", "en": "platform-based"},
    "demand": {"zh": "需求牵引型", "en": "demand-driven"},
    "future": {"zh": "未来产业引领型", "en": "future-industries"},
    "multi": {"zh": "多模式协同型", "en": "multi-model (several pillars similarly developed)"},
    # shown instead of "multi" when no pillar is above the year's mean (see :func:`model_key`)
    "none_dominant": {"zh": "尚未形成主导模式（各支柱均低于全国平均）",
                      "en": "no dominant model yet (all pillars below the national average)"},
}

# Qi & Luo (2026): five pathways to promote integration. Keys are matched by prefix against the
# framework's ``pathway_<name>`` columns (see :func:`pathway_label`).
PATHWAYS: dict[str, dict[str, str]] = {
    "enterprise": {"zh": "强化企业科技创新主体地位", "en": "enterprises as the main innovators"},
    "core": {"zh": "突破关键核心技术", "en": "breakthroughs in key core technologies"},
    "pilot": {"zh": "概念验证与中试平台（跨越“死亡之谷”）", "en": "concept-verification and pilot-test platforms"},
    "scenario": {"zh": "应用场景与产业集群", "en": "application scenarios and industrial clusters"},
    "cluster": {"zh": "应用场景与产业集群", "en": "application scenarios and industrial clusters"},
    "institution": {"zh": "体制机制改革与金融支持", "en": "institutional reform and financial support"},
    "finance": {"zh": "体制机制改革与金融支持", "en": "institutional reform and financial support"},
    "reform": {"zh": "体制机制改革与金融支持", "en": "institutional reform and financial support"},
}

PILLARS: dict[str, dict[str, str]] = {
    "pillar_chain": {"zh": "产业链融合", "en": "Chain-based"},
    "pillar_platform": {"zh": "平台支撑", "en": "Platform-based"},
    "pillar_demand": {"zh": "需求牵引", "en": "Demand-driven"},
    "pillar_future": {"zh": "未来产业", "en": "Future industries"},
}

#: Standard ten-level classification of D (upper ends 0.1, 0.2, …, 1.0).
D_CLASSES: list[dict[str, str]] = [
    {"zh": "极度失调", "en": "extreme imbalance"},
    {"zh": "严重失调", "en": "serious imbalance"},
    {"zh": "中度失调", "en": "moderate imbalance"},
    {"zh": "轻度失调", "en": "mild imbalance"},
    {"zh": "濒临失调", "en": "verge of imbalance"},
    {"zh": "勉强协调", "en": "barely coordinated"},
    {"zh": "初级协调", "en": "primary coordination"},
    {"zh": "中级协调", "en": "intermediate coordination"},
    {"zh": "良好协调", "en": "good coordination"},
    {"zh": "优质协调", "en": "high-quality coordination"},
]

LAGGING: dict[str, dict[str, str]] = {
    "st": {"zh": "科技创新滞后", "en": "S&T innovation lags"},
    "U_st": {"zh": "科技创新滞后", "en": "S&T innovation lags"},
    "ind": {"zh": "产业创新滞后", "en": "industrial innovation lags"},
    "U_ind": {"zh": "产业创新滞后", "en": "industrial innovation lags"},
    "balanced": {"zh": "同步发展", "en": "balanced"},
    "none": {"zh": "同步发展", "en": "balanced"},
}


def t(key: str, lang: str, **fmt: object) -> str:
    """Text ``key`` in ``lang``, formatted with ``fmt``.

    Raises
    ------
    KeyError
        If ``key`` is not in :data:`TEXT` (a typo in a report, caught by tests).
    """
    check_lang(lang)
    s = TEXT[key][lang]
    return s.format(**fmt) if fmt else s


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``"zh"`` or ``"en"``, else raise ``ValueError`` naming it."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def region_label(region: str, lang: str) -> str:
    """NBS region (``east`` …) in ``lang``; unknown keys are returned unchanged."""
    return REGIONS.get(str(region), {}).get(lang, str(region))


def model_key(model: object, z: object = None) -> object:
    """Reading key of an integration model: ``"multi"`` becomes ``"none_dominant"`` when every
    pillar z-score is below 0.

    The framework's ``model`` column (contract values ``chain``, ``platform``, ``demand``,
    ``future``, ``multi``) calls a province ``multi`` when no pillar stands out. That covers two
    different situations: several pillars similarly developed, and no pillar developed at all.
    The pillar z-scores (``z_chain`` … ``z_future`` in ``integration.parquet``: each pillar
    standardised across the 31 provinces of the year) tell them apart: all ``z < 0`` means no
    pillar is above the year's national mean.

    Parameters
    ----------
    model : str or None
        Value of the ``model`` column (``"a;b"`` for several models is returned unchanged).
    z : sequence of float, mapping or pandas.Series, optional
        The province-year's pillar z-scores; NaNs are ignored; ``None`` or all-NaN leaves
        ``model`` unchanged.
    """
    if not isinstance(model, str) or model.strip() != "multi" or z is None:
        return model
    vals = pd.to_numeric(pd.Series(list(z.values()) if isinstance(z, dict) else list(z), dtype="object"),
                         errors="coerce").dropna()
    if len(vals) and bool((vals < 0).all()):
        return "none_dominant"
    return model


def z_scores(row: object) -> list[float] | None:
    """The pillar z-scores (``z_*`` columns) of one row (Series or dict), or ``None`` if absent."""
    keys = [k for k in (row.keys() if hasattr(row, "keys") else [])
            if str(k).startswith("z_") and not str(k).endswith(("_lo", "_hi"))]  # not the intervals
    if not keys:
        return None
    return [row[k] for k in keys]


def model_label(model: object, lang: str, z: object = None, *, short: bool = False) -> str:
    """Integration model name; ``"a;b"`` (several models) joins the labels.

    ``short=True`` drops the parenthetical explanation ("no dominant model yet"), for lists of
    changes where the long form has already been given once.

    With the pillar z-scores ``z`` (see :func:`model_key`), ``multi`` with every pillar below the
    year's mean reads "no dominant model yet (all pillars below the national average)" instead of
    "multi-model (several pillars similarly developed)". The province reports and the index both
    word the model through this function.
    """
    if model is None or (isinstance(model, float) and pd.isna(model)):
        return "—"
    model = model_key(model, z)
    parts = [p.strip() for p in str(model).split(";") if p.strip()]
    sep = "、" if lang == "zh" else ", "
    labels = [MODELS.get(p, {}).get(lang, p) for p in parts]
    if short:
        labels = [lab.split("（")[0].split(" (")[0] for lab in labels]
    return sep.join(labels)


def pathway_label(name: str, lang: str, spec_labels: dict[str, dict[str, str]] | None = None) -> str:
    """Pathway label from the framework's specification when given, else :data:`PATHWAYS`.

    ``name`` may carry the ``pathway_`` prefix. Matching against :data:`PATHWAYS` is by key
    prefix (``enterprise_led`` → ``enterprise``); an unknown name is humanised
    (``foo_bar`` → ``foo bar``).
    """
    key = str(name).removeprefix("pathway_")
    if spec_labels and key in spec_labels and lang in spec_labels[key]:
        return spec_labels[key][lang]
    for k, v in PATHWAYS.items():
        if key == k or key.startswith(k) or k in key:
            return v[lang]
    return key.replace("_", " ")


def d_class_label(value: object, lang: str, d: float | None = None) -> str:
    """Label of a coordination class.

    ``value`` may be the 1-based level (1 … 10), a zh/en label, or missing (then it is derived
    from ``d`` with the standard interval ends 0.1, …, 1.0; the right end belongs to the upper
    class except at 1.0).
    """
    if value is not None and not (isinstance(value, float) and pd.isna(value)):
        if isinstance(value, numbers.Number) and 1 <= int(value) <= 10:
            return D_CLASSES[int(value) - 1][lang]
        s = str(value)
        for c in D_CLASSES:
            if s in (c["zh"], c["en"]) or c["zh"] in s:
                return c[lang]
        return s
    if d is None or pd.isna(d):
        return "—"
    return D_CLASSES[min(int(float(d) * 10), 9)][lang]


def lagging_label(value: object, lang: str) -> str:
    """Which subsystem lags (``U_st``/``U_ind``/``balanced`` or similar) in ``lang``."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    s = str(value)
    for k, v in LAGGING.items():
        if s == k or s.lower() == k.lower():
            return v[lang]
    low = s.lower()
    if "st" in low and "ind" not in low:
        return LAGGING["st"][lang]
    if "ind" in low:
        return LAGGING["ind"][lang]
    return s


def var_label(var: str, lang: str, *codebooks: pd.DataFrame | None) -> str:
    """Label of a variable: :data:`FALLBACK_LABELS` (report wording) first, then the codebooks
    (``codebook.csv``: column ``variable``; ``integration_codebook.csv``: column ``name``), else
    the column name."""
    if var in FALLBACK_LABELS:
        return FALLBACK_LABELS[var][lang]
    for cb in codebooks:
        if cb is None or f"label_{lang}" not in cb.columns:
            continue
        key = "variable" if "variable" in cb.columns else "name"
        if key not in cb.columns:
            continue
        hit = cb.loc[cb[key] == var, f"label_{lang}"]
        if len(hit) and isinstance(hit.iloc[0], str) and hit.iloc[0]:
            return hit.iloc[0]
    return var


FALLBACK_LABELS: dict[str, dict[str, str]] = {
    "gdp": {"zh": "地区生产总值", "en": "GDP"},
    "gdp_per_capita": {"zh": "人均地区生产总值", "en": "GDP per capita"},
    "rd_exp": {"zh": "R&D经费内部支出", "en": "R&D expenditure"},
    "rd_intensity": {"zh": "R&D经费投入强度", "en": "R&D intensity"},
    "patent_grant_invention_pc": {"zh": "每万人发明专利授权量", "en": "Invention patents granted per 10,000 people"},
    "hightech_revenue_share": {"zh": "高技术产业营业收入/GDP", "en": "High-tech industry revenue / GDP"},
    "tech_market_seller_share": {"zh": "技术市场输出合同额/GDP", "en": "Technology sold / GDP"},
    "tertiary_share": {"zh": "第三产业增加值占比", "en": "Tertiary share of GDP"},
    "D": {"zh": "耦合协调度 D", "en": "Coupling coordination D"},
    "rd_intensity_pct": {"zh": "R&D经费投入强度（%）", "en": "R&D intensity (%)"},
    "urbanisation": {"zh": "城镇化率", "en": "Urbanisation rate"},
    "fiscal_share": {"zh": "财政支出/GDP", "en": "Fiscal expenditure / GDP"},
    "TS": {"zh": "产业结构高级化（TS）", "en": "industrial-structure upgrading (TS)"},
    "chain_linkage": {"zh": "产业链关联度", "en": "Chain linkage"},
}

def _model_labels(*names: str) -> dict[str, dict[str, str]]:
    """Labels of variables derived by the models layer (one source for reports and paper tables)."""
    from analysis.models.pipeline import DERIVED_LABELS

    return {n: {lang: DERIVED_LABELS[lang][n] for lang in LANGS} for n in names}


# ln_gdp_pc = ln(gdp_real / population), the threshold variable: labelled where it is built
FALLBACK_LABELS |= _model_labels("ln_gdp_pc")

UNITS: dict[str, dict[str, str]] = {
    "亿元": {"zh": "亿元", "en": "100 million yuan"},
    "万元": {"zh": "万元", "en": "10,000 yuan"},
    "元": {"zh": "元", "en": "yuan"},
    "%": {"zh": "%", "en": "%"},
    "件": {"zh": "件", "en": "items"},
    "件/万人": {"zh": "件/万人", "en": "per 10,000 people"},
    "index": {"zh": "指数", "en": "index"},
    "": {"zh": "", "en": ""},
}


def unit_label(unit: str, lang: str) -> str:
    """Unit in ``lang`` (Chinese units are kept in zh and translated in en)."""
    return UNITS.get(unit, {}).get(lang, unit)
