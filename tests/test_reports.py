"""Province reports: fonts, section numbers, papermill execution, HTML, index, batch robustness.

Runs on synthetic processed tables (``analysis.reporting.synthetic``) written to a temporary
folder, so it does not depend on the other layers' outputs; the numbers recorded in the reports
(scrapbook) are compared with those tables, recomputed independently here.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.data.provinces import PROVINCES, UnknownProvinceError
from analysis.labels import Labels, derived, model_key, z_scores
from analysis.numfmt import num
from analysis.reporting import batch, fonts, i18n
from analysis.reporting import context as cx
from analysis.reporting import sections as rs
from analysis.reporting.inputs import (
    UnknownProvinceCodeError,
    framework_version,
    load_inputs,
    province_info,
)
from analysis.reporting.synthetic import write_synthetic

ROOT = paths.project_root()
NOTEBOOK = ROOT / "notebooks" / "province_report.ipynb"


# ------------------------------------------------------------------------------------ fonts


def test_cjk_font_renders_chinese_without_missing_glyphs():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib import font_manager

    sns.set_theme()  # resets the font family: setup_style must configure the font after it
    name = fonts.setup_style()
    assert name == fonts.CJK_FONT_NAME
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("科技创新与产业创新耦合协调度 U₁ −0.5")
        ax.set_xlabel("年份")
        ax.plot([1, 2], [-1, 2])
        fig.canvas.draw()
        used = {str(font_manager.findfont(t.get_fontproperties())) for t in (ax.title, ax.xaxis.label)}
        plt.close(fig)
    glyph = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert glyph == []
    assert used == {str(fonts.cjk_font_path())}


def test_set_theme_after_setup_loses_font_and_setup_restores_it():
    import matplotlib as mpl
    import seaborn as sns

    fonts.setup_style()
    sns.set_theme()
    assert mpl.rcParams["font.family"][0] != fonts.CJK_FONT_NAME
    fonts.setup_style()
    assert mpl.rcParams["font.family"][0] == fonts.CJK_FONT_NAME
    assert mpl.rcParams["axes.unicode_minus"] is False


# ------------------------------------------------------------------- sections (no kernel)


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    return write_synthetic(tmp_path_factory.mktemp("processed") / "processed")


def _text(sec) -> str:
    """A section's words without markup."""
    return re.sub(r"<[^>]+>", "", sec.text)


def test_glance_ranks_match_independent_computation(synth):
    inp = load_inputs(synth)
    panel = pd.read_parquet(synth / "panel.parquet")
    nums = cx.glance_context(inp, 320000, 2010, 2023).numbers()
    # independent: R&D intensity in 2023, rank 1 = highest, within the East region
    y = panel[panel["year"] == 2023].set_index("province_code")["rd_intensity"]
    own = y.loc[320000]
    assert nums["glance.rd_intensity.value"] == pytest.approx(own)
    assert nums["glance.rd_intensity.rank"] == int((y > own).sum()) + 1
    east = PROVINCES.loc[PROVINCES["region"] == "east", "province_code"]
    assert nums["glance.rd_intensity.rank_region"] == int((y.loc[east] > own).sum()) + 1
    assert nums["glance.rd_intensity.n_region"] == 10
    p = panel.query("province_code == 320000 and year == 2023").iloc[0]
    assert nums["glance.gdp_per_capita.value"] == pytest.approx(p["gdp"] / p["population"] * 1e4)
    # a framework indicator is computed with the specification's formula
    assert nums["glance.hightech_revenue_gdp.value"] == pytest.approx(p["hightech_revenue"] / p["gdp"])
    # Tibet's R&D intensity is missing in 2010-2011: not shown, the other indicators are
    tib = cx.glance_context(inp, 540000, 2010, 2011).numbers()
    assert "glance.rd_intensity.value" not in tib
    assert tib["glance.gdp.year"] == 2011


def test_glance_table_formats_by_unit(synth):
    inp = load_inputs(synth)
    sec = rs.build("glance", inp, 320000, "en", 2010, 2023)
    rows = {r[0]: r for r in sec.tables[0].rows}
    c = cx.glance_context(inp, 320000, 2010, 2023)
    v = {r.key: r.value for r in c.rows}
    # R&D intensity is a share: a percentage; GDP per capita (yuan) an amount; the unit column says which
    assert rows["R&D intensity"][2] == num(v["rd_intensity"], "share") and rows["R&D intensity"][3] == ""
    assert rows["GDP"][2] == f"{v['gdp']:,.0f}" and rows["GDP"][3] == "100 million yuan"
    assert rows["GDP per capita"][3] == "yuan"


def test_pathway_percentiles_and_gaps(synth):
    integ = pd.read_parquet(synth / "integration.parquet")
    d = cx.pathway_diagnostics(integ, PROVINCES, 110000, 2020)
    y = integ[integ["year"] == 2020].set_index("province_code")["pathway_pilot_platform"]
    own = y.loc[110000]
    assert d.loc["pathway_pilot_platform", "percentile"] == pytest.approx((y <= own).mean() * 100)
    assert d.loc["pathway_pilot_platform", "gap_frontier"] == pytest.approx(y.max() - own)
    east = PROVINCES.loc[PROVINCES["region"] == "east", "province_code"]
    assert d.loc["pathway_pilot_platform", "gap_leader"] == pytest.approx(y.loc[east].max() - own)
    assert d.loc["pathway_pilot_platform", "median"] == pytest.approx(y.median())


def test_threshold_regime_from_stored_results(synth):
    inp = load_inputs(synth)
    panel = pd.read_parquet(synth / "panel.parquet")
    for code in (110000, 460000, 540000):
        nums = cx.threshold_context(inp, code, 2010, 2023).numbers()
        q = float(panel.query("province_code == @code and year == 2023")["rd_intensity"].iloc[0])
        assert nums["threshold.q_value"] == pytest.approx(q)
        expected = 1 + int(q > 0.02)  # synthetic threshold γ = 0.02, effects 0.21 / 0.45
        assert nums["threshold.regime"] == expected
        assert nums["threshold.effect"] == [0.21, 0.45][expected - 1]
        assert nums["threshold.gammas"] == [0.02]


def test_regime_intervals_read_as_in_hansen():
    assert cx.regime_interval([11.638], 0) == "q ≤ 11.64"
    assert cx.regime_interval([11.638], 1) == "q > 11.64"
    assert [cx.regime_interval([10.5, 11.2], i) for i in range(3)] == ["q ≤ 10.50", "10.50 < q ≤ 11.20", "q > 11.20"]
    assert "∞" not in "".join(cx.regime_interval([0.02], i) for i in range(2))


def test_threshold_section_states_trimming_bound_and_sample_end(synth):
    inp = load_inputs(synth)
    reg = pd.read_parquet(synth / "results" / "threshold_regimes.parquet")
    sizes = reg["regime"].value_counts().sort_index().tolist()
    sec = rs.build("threshold", inp, 110000, "en", 2010, 2023)
    assert sec.numbers["threshold.regime_sizes"] == sizes
    assert [r[0] for r in sec.tables[0].rows] == ["q ≤ 0.02", "q > 0.02"]
    j = int(np.argmin(sizes))
    assert f"regime {j + 1} holds only {sizes[j]} observations, at the 5% trimming bound" in _text(sec)
    zh = _text(rs.build("threshold", inp, 110000, "zh", 2010, 2023))
    assert f"第 {j + 1} 区间仅有 {sizes[j]} 个观测值，处于 5% 截尾边界" in zh


def test_threshold_variable_label_is_real_gdp_per_capita_at_2010_prices():
    from analysis.labels import Labels, derived_by_lang
    from analysis.models.pipeline import DERIVED_LABELS

    assert DERIVED_LABELS == derived_by_lang()  # the models' tables and the reports share one file
    assert DERIVED_LABELS["en"]["ln_gdp_pc"] == "ln real GDP per capita (2010 prices)"
    assert DERIVED_LABELS["zh"]["ln_gdp_pc"] == "人均实际GDP（2010年价格，对数）"
    assert Labels().var("ln_gdp_pc", "en") == DERIVED_LABELS["en"]["ln_gdp_pc"]


def test_weakest_indicators_are_lowest_percentiles(synth):
    diag = pd.read_parquet(synth / "integration_diagnostics.parquet")
    w = cx.weakest_indicators(diag, 110000, "pilot_platform", 2020, n=1)
    own = diag.query("province_code == 110000 and pathway == 'pilot_platform' and year == 2020")
    assert w["pct_national"].iloc[0] == pytest.approx(own["pct_national"].min())


def test_multi_with_every_pillar_below_mean_reads_no_dominant_model():
    L = Labels()
    words = derived()["values"]["model"]
    assert L.model("multi", "en", [-0.8, -1.0, -1.0, -0.9]) == words["none_dominant"]["en"]
    assert L.model("multi", "zh", [-0.8, -1.0, -1.0, -0.9]) == "尚未形成主导模式（各支柱均低于全国平均）"
    assert L.model("multi", "en", [-1.1, 1.4, -0.4, 1.0]) == "multi-model (several pillars similarly developed)"
    assert L.model("multi", "zh", [-1.1, 1.4, -0.4, 1.0]) == "多模式协同型"
    assert model_key("platform", [-1, -1, -1, -1]) == "platform"  # only multi is read
    assert model_key("multi", [np.nan, -0.2]) == "none_dominant"
    assert model_key("multi", None) == "multi"
    assert L.model("multi", "en", [-0.5, -0.2, -1.0, -0.1], short=True) == "no dominant model yet"


def test_model_names_are_the_specifications_pillar_labels(synth):
    from analysis.framework.spec import load_spec

    inp = load_inputs(synth)
    spec = load_spec()
    for key, lab in spec.pillars.items():
        assert inp.labels.model(key, "zh") == lab["label_zh"] == inp.labels.pillar(f"pillar_{key}", "zh")
        assert inp.labels.model(key, "en") == lab["label_en"]


def test_models_section_and_index_use_the_same_multi_wording(synth):
    inp = load_inputs(synth)
    integ = pd.read_parquet(synth / "integration.parquet")
    xj = integ.query("province_code == 650000 and year == 2023").iloc[0]
    assert xj["model"] == "multi" and (xj[["z_chain", "z_platform", "z_demand", "z_future"]] < 0).all()
    for lang in ("zh", "en"):
        sec = rs.build("models", inp, 650000, lang, 2010, 2023)
        assert sec.numbers["models.model"] == "multi"  # the framework's value is kept
        assert sec.numbers["models.reading"] == "none_dominant"
        assert derived()["values"]["model"]["none_dominant"][lang] in _text(sec)
    m = cx.index_metrics(inp, 2023).set_index("province_code")
    assert inp.labels.model(m.loc[650000, "model"], "en", z_scores(m.loc[650000])) == (
        derived()["values"]["model"]["none_dominant"]["en"])


def test_models_section_shows_stability_and_qualifies_unstable_changes(synth):
    inp = load_inputs(synth)
    integ = pd.read_parquet(synth / "integration.parquet")
    # a province with a model change in a year whose stability is 0.64 (synthetic: every third year)
    for code in integ["province_code"].unique():
        own = integ[integ["province_code"] == code].sort_values("year")
        keys = [model_key(m, z_scores(r)) for m, (_, r) in zip(own["model"], own.iterrows(), strict=True)]
        ch = [int(y) for y, a, b in zip(own["year"].iloc[1:], keys[:-1], keys[1:], strict=True) if a != b]
        if any(y % 3 == 0 for y in ch) and any(y % 3 for y in ch):
            break
    else:
        pytest.fail("synthetic data has no province with changes in stable and unstable years")
    sec = rs.build("models", inp, int(code), "en", 2010, 2023)
    assert sec.numbers["models.stability"] == pytest.approx(float(own.iloc[-1]["model_stability"]))
    text = _text(sec)
    assert "below 0.8, read the model as a tendency, not a type" in text
    for y in ch:
        st = float(own.set_index("year").loc[y, "model_stability"])
        assert sec.numbers[f"models.change.{y}.stability"] == pytest.approx(st)
        assert (f"in {y} (tendency, low confidence 0.64)" in text) == (st < 0.8)
    zh = _text(rs.build("models", inp, int(code), "zh", 2010, 2023))
    assert "低于 0.8 时，应把模式理解为一种倾向" in zh
    assert zh.count("（倾向，置信度低：0.64）") == sum(y % 3 == 0 for y in ch)
    # a version-1 table (model_stability only, no uncertainty analysis) keeps the stability wording
    import dataclasses

    v1 = dataclasses.replace(inp, integration=integ.drop(columns="model_confidence"), _cache={})
    text1 = _text(rs.build("models", v1, int(code), "en", 2010, 2023))
    for y in ch:
        assert (f"in {y} (stability 0.64: a tendency)" in text1) == (y % 3 == 0)
    assert "（稳定性 0.64，仅为倾向）" in _text(rs.build("models", v1, int(code), "zh", 2010, 2023))


def test_io_indicator_is_dated_by_its_input_output_table(synth, monkeypatch):
    import dataclasses

    inp = load_inputs(synth)
    w = cx.pathways_context(inp, 310000, 2010, 2023).weakest[0]
    ind = f"{w}_ind"  # synthetic diagnostics: one indicator per pathway
    # that indicator computed from the chain-linkage panel: the 2017 table carried to 2018-2023
    cp = pd.DataFrame([(c, y, 2012 if y < 2017 else 2017) for c in PROVINCES["province_code"] for y in range(2012, 2024)],
                      columns=["province_code", "year", "io_year"])
    io_inp = dataclasses.replace(inp, chain_panel=cp, _cache={})
    monkeypatch.setattr(type(io_inp), "formula", lambda self, name: "local_sourcing" if name == ind else None)
    assert cx.io_table_year(io_inp, ind, 310000, 2023) == 2017
    assert cx.io_table_year(io_inp, ind, 310000, 2015) == 2012
    assert cx.io_table_year(io_inp, "rd_intensity", 310000, 2023) is None  # not an IO indicator
    for lang, dated, panel_year in (("en", "2017 input-output table", "in 2023"), ("zh", "2017 年投入产出表", "2023 年")):
        sec = rs.build("pathways", io_inp, 310000, lang, 2010, 2023)
        assert sec.numbers[f"pathways.{w}.weak.{ind}.io_year"] == 2017
        item = re.findall(r"<li>(.*?)</li>", sec.text)[0]
        assert dated in item and panel_year not in item
    monkeypatch.undo()
    for lang, dated, panel_year in (("en", "2017 input-output table", "in 2023"), ("zh", "2017 年投入产出表", "2023 年")):
        item = re.findall(r"<li>(.*?)</li>", rs.build("pathways", inp, 310000, lang, 2010, 2023).text)[0]
        assert panel_year in item and dated not in item


def test_chart_legends_sit_outside_the_plot_area(synth):
    import matplotlib.pyplot as plt

    from analysis.reporting import figures

    inp = load_inputs(synth)
    for fig, last in ((figures.pathways_figure(cx.pathways_context(inp, 310000, 2010, 2023), "zh", inp.labels),
                       "weight_share"),  # obstacle degrees, the weight shares as ticks
                      (figures.models_figure(cx.models_context(inp, 310000, 2010, 2023), "zh", "上海", inp.labels),
                       "national_median")):
        fig.canvas.draw()
        ax = fig.axes[0]
        leg = ax.get_legend()
        assert [x.get_text() for x in leg.get_texts()][-1] == i18n.t(last, "zh")
        lb, ab = leg.get_window_extent(), ax.get_window_extent()
        assert lb.y0 >= ab.y1 - 1  # above the plot area, not over the bars
        # every bar label is inside the figure (the margin is computed, not tight_layout)
        fw = fig.get_window_extent().x0
        assert all(t.get_window_extent().x0 >= fw for t in ax.get_yticklabels())
        plt.close(fig)


def test_tied_ranks_are_marked(synth):
    import dataclasses

    from analysis.reporting.text import rank_text

    assert rank_text(15, 31, True, "en") == "15/31 (tied)"
    assert rank_text(15, 31, True, "zh") == "并列第 15/31"
    assert rank_text(3, 31, False, "zh") == "3/31"
    inp = load_inputs(synth)
    codes = PROVINCES["province_code"].tolist()
    # 14 provinces with 1-14 R&D-intensive key sectors, 17 with none (as in the 2017 tables)
    keys = list(range(14, 0, -1)) + [0] * 17
    cl = pd.DataFrame({"province_code": codes, "io_year": 2017, "rd_key_sectors": keys,
                       "chain_linkage": np.linspace(1.5, 0.6, 31)})
    tinp = dataclasses.replace(inp, chain_linkage=cl, _cache={})
    zero = codes[20]
    for lang, shown in (("en", "15/31 (tied)"), ("zh", "并列第 15/31")):
        sec = rs.build("chain", tinp, zero, lang, 2010, 2023)
        assert sec.numbers["chain.rd_key_sectors.rank"] == 15 and sec.numbers["chain.rd_key_sectors.rank_tied"]
        rows = {r[0]: r for r in sec.tables[0].rows}
        assert rows[tinp.labels.var("rd_key_sectors", lang)][2] == shown
        assert sec.numbers["chain.chain_linkage.rank_tied"] is False
        assert sec.tables[0].rows[0][2] == "21/31"
    one = rs.build("chain", tinp, codes[0], "en", 2010, 2023)
    assert one.numbers["chain.rd_key_sectors.rank"] == 1 and not one.numbers["chain.rd_key_sectors.rank_tied"]


def test_missing_inputs_give_one_sentence(tmp_path):
    d = write_synthetic(tmp_path / "p", parts=("panel",))
    inp = load_inputs(d)
    for key in ("indices", "coupling", "models", "pathways", "chain", "threshold"):
        sec = rs.build(key, inp, 110000, "zh", 2010, 2023)
        assert not sec.available
        assert sec.text.count("<p") == 1 and _text(sec).endswith("。")
    assert rs.build("glance", inp, 110000, "zh", 2010, 2023).available


def test_unknown_province_code_is_a_clear_error(synth):
    inp = load_inputs(synth)
    with pytest.raises(UnknownProvinceCodeError, match="unknown province code 990000"):
        province_info(inp, 990000)
    with pytest.raises(UnknownProvinceCodeError):
        rs.build("glance", inp, 990000, "en", 2010, 2023)
    with pytest.raises(ValueError, match="lang"):
        rs.build("glance", inp, 110000, "fr", 2010, 2023)


#: Phrases that state or imply a return on effort from a rank (the reports describe positions).
ADVICE = {
    "en": ["push would", "would do most", "should push", "should focus", "should prioriti", "priority",
           "focus effort", "focus its effort", "pay off", "greatest return", "most effective", "best lever",
           "most to gain", "where to invest", "should invest", "should strengthen"],
    "zh": ["应重点发力", "重点发力", "最值得着力", "着力之处", "应优先", "优先发展", "应加强", "着力点", "抓手",
           "最有效", "发力", "突破口", "应当加大", "加大投入"],
}


def test_no_sentence_turns_a_rank_into_advice(synth):
    """Relative positions are described as positions: no return-on-effort wording (rendered text)."""
    inp = load_inputs(synth)
    for code in (110000, 320000, 650000):
        for lang in ("zh", "en"):
            text = " ".join(_text(rs.build(k, inp, code, lang, 2010, 2023)) for k in rs.SECTION_KEYS)
            found = [p for p in ADVICE[lang] if p in text.lower()]
            assert found == [], f"{code} {lang}: {found}"
            assert ("相对位置" if lang == "zh" else "positions relative to") in text


#: Phrases that state or imply a return on effort from a rank or a gap, searched in the visible text
#: of the rendered reports (item 3 of issue 13: a provincial office must be able to publish them).
RETURN_ON_EFFORT = {
    "en": ["would do most", "do the most", "biggest gain", "largest gain", "greatest gain", "most potential",
           "greatest potential", "highest potential", "untapped", "should prioriti", "priorit", "push",
           "should focus", "focus on", "focus effort", "pay off", "payoff", "greatest return", "highest return",
           "best return", "most effective", "best lever", "leverage", "most to gain", "where to invest",
           "should invest", "should strengthen", "must strengthen", "needs to", "need to", "should improve",
           "room for improvement", "most room", "quick win", "low-hanging", "most promising", "recommend",
           "we suggest", "it is advisable", "boost", "catch up fastest"],
    "zh": ["最有潜力", "潜力最大", "提升空间最大", "提升空间", "事半功倍", "应优先", "优先发展", "优先支持",
           "重点突破", "重点发力", "应重点", "发力", "着力点", "着力", "抓手", "突破口", "最有效", "应加强",
           "应当加大", "加大投入", "回报最大", "收益最大", "见效最快", "建议", "亟需", "亟待", "必须",
           "最值得", "补齐短板", "补短板", "大有可为"],
}


def _visible_text(page: str) -> str:
    """What a reader sees in a rendered page: no style, script, tags or attributes."""
    import html as _html

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return _html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_rendered_reports_state_no_return_on_effort(rendered):
    """Grep the rendered zh and en reports (papermill + nbconvert, as published) for any phrase
    that turns a rank or a gap into a return on effort; the pathway section must say what its
    obstacle degrees are (a relative position)."""
    _, out = rendered
    for code in (320000, 460000):
        for lang in ("zh", "en"):
            text = _visible_text((out / "provinces" / f"{code}_{lang}.html").read_text(encoding="utf-8"))
            low = text.lower()
            hits = [p for p in RETURN_ON_EFFORT[lang] if p in low]
            assert hits == [], f"{code}_{lang}: {hits}"
            assert ("相对位置" if lang == "zh" else "positions relative to the best-observed values") in text
            assert ("并不说明在哪条路径上增加投入的效果更大" if lang == "zh"
                    else "they do not say on which pathway additional effort would achieve more") in text
    # the index and the typology pages too
    for f in ("index.html", *(p.name for p in out.glob("typology_*_*.html"))):
        text = _visible_text((out / f).read_text(encoding="utf-8")).lower()
        hits = [p for lang in ("zh", "en") for p in RETURN_ON_EFFORT[lang] if p in text]
        assert hits == [], f"{f}: {hits}"


def test_pathways_come_from_the_obstacle_degree(synth):
    inp = load_inputs(synth)
    integ = pd.read_parquet(synth / "integration.parquet").set_index(["province_code", "year"])
    c = cx.pathways_context(inp, 320000, 2010, 2023)
    row = integ.loc[(320000, 2023)]
    assert c.source == "obstacle degree"
    assert c.weakest == [x for x in row["obstacle_pathways"].split(";")
                         if row[f"obstacle_intensity_{x}"] > 1 + cx.INTENSITY_MARGIN]
    assert sum(o.obstacle for o in c.obstacles) == pytest.approx(1.0)
    for o in c.obstacles:  # obstacle = intensity × weight share (independent: the table's columns)
        assert o.obstacle == pytest.approx(row[f"obstacle_{o.key}"])
        assert o.intensity * o.weight_share == pytest.approx(o.obstacle)
    big = max(c.obstacles, key=lambda o: o.obstacle)
    text = _text(rs.build("pathways", inp, 320000, "en", 2010, 2023))
    assert f"{inp.labels.pathway(big.key, 'en')} contributes most to the gap from the best-observed values" in text
    assert f"({num(big.obstacle, 'share')} of it" in text
    # every intensity near 1 (indicators evenly far from the best values): no pathway is named
    import dataclasses

    from analysis.framework.spec import PATHWAYS

    flat = pd.read_parquet(synth / "integration.parquet")
    for j, p in enumerate(PATHWAYS):
        flat[f"obstacle_intensity_{p}"] = 0.96 + 0.02 * j
    even = dataclasses.replace(inp, integration=flat, _cache={})
    assert cx.pathways_context(even, 320000, 2010, 2023).weakest == []
    # the index names the same pathways as the report (none where none stands out)
    m = cx.index_metrics(inp, 2023).set_index("province_code")
    assert m.loc[320000, "obstacle_pathways"] == ";".join(c.weakest)
    assert (cx.index_metrics(even, 2023)["obstacle_pathways"] == "").all()
    for lang, words in (("en", "no pathway stands out: the obstacle intensities lie between 0.96 and 1.04"),
                        ("zh", "没有哪条路径明显更远：各路径的障碍强度介于 0.96 与 1.04 之间")):
        sec = rs.build("pathways", even, 320000, lang, 2010, 2023)
        assert words in _text(sec) and ("furthest" not in _text(sec).split("Weight for weight")[-1])


def test_imputed_values_are_marked_with_their_rule(synth, rendered):
    """Known fills (synthetic): every province's first pathway indicator carried forward in 2023;
    Tibet's second never observed (the year's worst value); Beijing's 2023 GDP back-cast."""
    from analysis.framework.spec import load_spec

    first, second = list(load_spec().pathways)[:2]
    inp = load_inputs(synth)
    _, out = rendered
    for lang, rule in (("en", "carried forward from the previous year, publication lag"),
                       ("zh", "沿用上一年的数值，数据发布滞后")):
        text = _visible_text((out / "provinces" / f"320000_{lang}.html").read_text(encoding="utf-8"))
        d = cx.coupling_context(inp, 320000, 2010, 2023)
        assert num(d.D.latest, "score") + "†" in text  # D (coupling, glance) marked where shown
        assert f"{first}_ind" in text and rule in text  # the footnote names the indicator and the rule
    tib = rs.build("pathways", inp, 540000, "en", 2010, 2023)
    rows = {r[0]: r for r in tib.tables[0].rows}
    assert rows[inp.labels.pathway(second, "en")][1].endswith("†")
    assert "never observed for the province: the year's worst observed value" in tib.tables[0].notes[0]
    assert tib.numbers["pathways.filled"] == sorted([f"{first}_ind", f"{second}_ind"])
    # a version-1 table without integration_fills.parquet: the filled column still marks the values
    import dataclasses

    old = dataclasses.replace(inp, fills=None, _cache={})
    assert "filled by the framework's missing-value rule" in _visible_text(
        rs.build("coupling", old, 540000, "en", 2010, 2023).text)
    # a data-layer adjustment of a panel cell: ‡ beside GDP and GDP per capita, with the flag's words
    g = rs.build("glance", inp, 110000, "en", 2010, 2023)
    rows = {r[0]: r for r in g.tables[0].rows}
    assert rows["GDP"][2].endswith("‡") and rows["GDP per capita"][2].endswith("‡")
    assert not rows["R&D expenditure"][2].endswith("‡")
    assert any("vintage back-cast: synthetic x 1.01" in n for n in g.tables[0].notes)


def test_low_confidence_models_are_marked_where_shown(synth, rendered):
    """Synthetic Guangdong 2023: model_confidence 0.55 (< 0.8)."""
    inp = load_inputs(synth)
    for lang, mark in (("en", "(tendency, low confidence 0.55)"), ("zh", "（倾向，置信度低：0.55）")):
        text = _text(rs.build("models", inp, 440000, lang, 2010, 2023))
        assert text.count(mark) >= 1
    _, out = rendered
    page = (out / "index.html").read_text(encoding="utf-8")
    row = next(r for r in page.split("<tr>") if 'data-v="440000"' in r)
    assert "tendency, low confidence 0.55" in row and "倾向，置信度低：0.55" in row
    ok = next(r for r in page.split("<tr>") if 'data-v="320000"' in r)  # confidence 1.0: no marker
    assert "low confidence" not in ok
    typ = next(out.glob("typology_*_en.html")).read_text(encoding="utf-8")
    assert "tendency, low confidence 0.55" in typ


def test_pillar_intervals_and_linkage_beside_D(synth):
    inp = load_inputs(synth)
    it = pd.read_parquet(synth / "integration.parquet").set_index(["province_code", "year"]).loc[(320000, 2023)]
    m = rs.build("models", inp, 320000, "en", 2010, 2023)
    rows = {r[0]: r for r in m.tables[0].rows}
    for k in ("chain", "platform", "demand", "future"):
        r = rows[inp.labels.pillar(f"pillar_{k}", "en")]
        assert r[2] == num(it[f"z_{k}"], "level")
        assert r[3] == f"{num(it[f'z_{k}_lo'], 'level')} – {num(it[f'z_{k}_hi'], 'level')}"
        assert r[4] == num(it[f"share_{k}"], "share")
    g = cx.glance_context(inp, 320000, 2010, 2023).numbers()
    c = cx.coupling_context(inp, 320000, 2010, 2023).numbers()
    for key in ("D", "linkage"):
        assert g[f"glance.{key}.value"] == pytest.approx(it[key])
        assert (g[f"glance.{key}.rank_lo"], g[f"glance.{key}.rank_hi"]) == (it[f"{key}_rank_lo"], it[f"{key}_rank_hi"])
    assert c["coupling.linkage.value"] == pytest.approx(it["linkage"])
    assert c["coupling.linkage.rank"] == it["linkage_rank"]
    assert (c["coupling.D.rank_lo"], c["coupling.D.rank_hi"]) == (it["D_rank_lo"], it["D_rank_hi"])
    text = _text(rs.build("coupling", inp, 320000, "en", 2010, 2023))
    assert f"rank {int(it['linkage_rank'])} of 31 [{int(it['linkage_rank_lo'])}–{int(it['linkage_rank_hi'])}]" in text


def test_threshold_and_spatial_numbers_only_where_the_tests_support_them(synth):
    import copy
    import dataclasses

    inp = load_inputs(synth)
    # synthetic: bootstrap p = 0.01, no verdict → the regime table
    assert len(rs.build("threshold", inp, 320000, "en", 2010, 2023).tables) == 1
    for p, verdict, why in ((0.107, "no interior threshold", "bootstrap p = 0.107 > 0.1 for a single threshold"),
                            (0.107, None, "p = 0.107 > 0.1"), (0.08, "threshold", None)):
        res = copy.deepcopy(inp.results)
        res["results"]["threshold"] |= {"p_values": [p, 0.5], "verdict": verdict, "reasons": [why] if why else []}
        alt = dataclasses.replace(inp, results=res, _cache={})
        for lang in ("en", "zh"):
            sec = rs.build("threshold", alt, 320000, lang, 2010, 2023)
            shown = p <= 0.10 and verdict != "no interior threshold"
            assert (len(sec.tables) == 1) == shown, (p, verdict, lang)
            if not shown:
                assert "threshold.effect" in sec.numbers or True  # numbers are recorded, not shown
                assert num(p, "pvalue") in _text(sec) and _text(sec).count("。" if lang == "zh" else ". ") <= 1
                assert ("不报告本省所在区间及其系数" if lang == "zh" else "no province-specific regime") in _text(sec)
                assert num(0.45, "coef") not in _text(sec)
    # spatial: contiguity not supported (no table, one sentence with the tests' p), economic supported
    for lang in ("en", "zh"):
        sec = rs.build("spatial", inp, 320000, lang, 2010, 2023)
        assert len(sec.tables) == 2  # the neighbours' D and the economic-distance effects
        assert ("经济距离矩阵" if lang == "zh" else "economic-distance weights") in sec.tables[1].caption
        assert sec.tables[1].rows[0][2] == num(0.21, "coef") + "**"
        t = _text(sec)
        assert ("邻接矩阵：不支持空间依赖（LM 检验最小 p = 0.083" if lang == "zh"
                else "Contiguity weights: spatial dependence not supported (smallest LM-test p = 0.083") in t
    assert sec.numbers["spatial.queen.supported"] is False and sec.numbers["spatial.economic.supported"] is True
    assert "spatial.queen.effect.rd_intensity_pct.indirect" not in sec.numbers
    # a spatial error model chosen under contiguity: dependence is said to exist (in the errors),
    # never "not supported", and no spillover is interpreted (an SEM has none)
    res = copy.deepcopy(inp.results)
    res["results"]["spatial"]["verdicts"]["queen"] |= {"model": "sem", "interpret_spillovers": False}
    alt = dataclasses.replace(inp, results=res, _cache={})
    for lang in ("en", "zh"):
        t = _text(rs.build("spatial", alt, 320000, lang, 2010, 2023))
        assert ("邻接矩阵：检验选择空间误差模型（SEM" if lang == "zh"
                else "Contiguity weights: the tests choose a spatial error model (SEM") in t
        assert ("邻接矩阵：不支持空间依赖" if lang == "zh" else "Contiguity weights: spatial dependence not") not in t


def test_figures_have_alt_text_and_captions_in_the_pages_language(synth):
    inp = load_inputs(synth)
    for lang in ("zh", "en"):
        for key in ("indices", "coupling", "models", "pathways"):
            sec = rs.build(key, inp, 320000, lang, 2010, 2023)
            assert len(sec.figures) == 1, key
            f = sec.figures[0]
            cjk = any(ord(ch) >= 0x2E80 for ch in f.alt + f.caption)
            assert cjk == (lang == "zh") and len(f.alt) > 30 and f.caption, (key, lang, f.alt)
            assert "No description has been provided" not in f.alt
            assert f.uri.startswith("data:image/png;base64,") and f.width > 500


def test_unknown_province_name_in_batch_raises_before_running(tmp_path):
    with pytest.raises(UnknownProvinceError, match="Atlantis"):
        batch.main(provinces=["Atlantis"], data_dir=tmp_path, out_root=tmp_path)
    with pytest.raises(ValueError, match="language"):
        batch.main(provinces=[110000], langs=["fr"], data_dir=tmp_path, out_root=tmp_path)


def test_resolve_provinces_accepts_spellings():
    assert batch.resolve_provinces(["内蒙古自治区", "Jiangsu", 110000, "11"]) == [150000, 320000, 110000]
    assert len(batch.resolve_provinces(None)) == 31


# ------------------------------------------------------------- papermill end to end


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, synth, raw_dir):
    """Two provinces (one given by name) × two languages, one worker (kernel reused); the
    boundaries (maps, neighbours) from the verified raw files (tests/conftest.py)."""
    out = tmp_path_factory.mktemp("reports")
    mp = pytest.MonkeyPatch()
    mp.setenv("ANALYSIS_ROOT", str(out))  # map cache under the temporary root
    mp.setenv("ANALYSIS_MIRROR", str(raw_dir))
    try:
        rc = batch.main(provinces=[320000, "海南省"], langs=["zh", "en"], workers=1,
                        data_dir=synth, out_root=out, notebook=NOTEBOOK, progress=False, timeout=120)
    finally:
        mp.undo()
    return rc, out


def _scraps(path: Path) -> dict:
    return rs.report_numbers(path)


def test_reports_render_and_numbers_equal_processed_data(rendered, synth):
    rc, out = rendered
    status = json.loads((out / "provinces" / "status.json").read_text())
    assert rc == 0, status
    panel = pd.read_parquet(synth / "panel.parquet")
    integ = pd.read_parquet(synth / "integration.parquet")
    for code in (320000, 460000):
        for lang in ("zh", "en"):
            s = _scraps(out / "provinces" / "notebooks" / f"{code}_{lang}.ipynb")
            assert s["province_code"] == code and s["lang"] == lang and s["glance.available"] is True
            p = panel[(panel["province_code"] == code) & (panel["year"] == 2023)].iloc[0]
            assert s["glance.gdp.value"] == pytest.approx(p["gdp"])
            assert s["glance.rd_exp.value"] == pytest.approx(p["rd_exp"])
            y = panel[panel["year"] == 2023].set_index("province_code")["gdp"]
            assert s["glance.gdp.rank"] == int((y > p["gdp"]).sum()) + 1
            it = integ[(integ["province_code"] == code)].set_index("year")
            assert s["coupling.D.latest"] == pytest.approx(it.loc[2023, "D"])
            assert s["coupling.D.first"] == pytest.approx(it.loc[2010, "D"])
            assert s["indices.U_st.latest"] == pytest.approx(it.loc[2023, "U_st"])
            assert s["indices.U_ind.national_median"] == pytest.approx(
                integ.loc[integ["year"] == 2023, "U_ind"].median())
            assert s["models.model"] == it.loc[2023, "model"]
            # the pathways spelled out are the framework's obstacle pathways (obstacle degree)
            assert s["pathways.weakest"] == [x for x in it.loc[2023, "obstacle_pathways"].split(";")
                                             if it.loc[2023, f"obstacle_intensity_{x}"] > 1 + cx.INTENSITY_MARGIN]
            assert s["pathways.weakest_source"] == "obstacle degree"
            assert s["coupling.D.latest"] == pytest.approx(
                np.sqrt(s["coupling.C.latest"] * s["coupling.T.latest"]))
    s = _scraps(out / "provinces" / "notebooks" / "460000_en.ipynb")
    assert s["spatial.neighbours"] == [440000]  # Hainan linked to Guangdong by convention
    s = _scraps(out / "provinces" / "notebooks" / "320000_en.ipynb")
    assert s["spatial.neighbours"] == [310000, 330000, 340000, 370000]


def test_html_has_name_and_no_code(rendered):
    _, out = rendered
    for code, zh, en in ((320000, "江苏", "Jiangsu"), (460000, "海南", "Hainan")):
        for lang, name in (("zh", zh), ("en", en)):
            page = (out / "provinces" / f"{code}_{lang}.html").read_text(encoding="utf-8")
            assert name in page
            assert "In [" not in page and "In&nbsp;[" not in page
            assert 'class="jp-InputArea' not in page and "input_area" not in page
            assert "rs.show" not in page and "from analysis" not in page and "setup_style" not in page
            assert "<script src=" not in page  # self-contained: no external scripts
            assert page.count('src="data:image/png;base64,') >= 4  # figures embedded
            assert "application/scrapbook" not in page
            foot = page[page.index("<footer>"):page.index("</footer>")]
            assert "README" not in foot
            assert 'href="../../data/raw/SOURCES.md"' in foot and 'href="../index.html"' in foot
            assert framework_version() in foot and framework_version() != "?"
            assert re.search(r"20\d\d-\d\d-\d\d", foot)
            assert ("投入产出表" if lang == "zh" else "input-output tables") in foot


def test_index_links_reports_and_is_sortable(rendered, synth):
    _, out = rendered
    page = (out / "index.html").read_text(encoding="utf-8")
    for name in ("provinces/320000_zh.html", "provinces/320000_en.html", "provinces/460000_en.html"):
        assert f'href="{name}"' in page
    assert 'href="provinces/110000_zh.html"' not in page  # not rendered: not linked
    assert 'class="sortable"' in page and "addEventListener" in page
    assert "<script src=" not in page
    assert len(re.findall(r"<tr>", page)) == 31 + 1
    # "multi" with every pillar z < 0 (synthetic Xinjiang 2023 among them) reads "no dominant model"
    it = pd.read_parquet(synth / "integration.parquet").query("year == 2023")
    zc = ["z_chain", "z_platform", "z_demand", "z_future"]
    none = it[(it["model"] == "multi") & (it[zc] < 0).all(axis=1)]
    assert 650000 in set(none["province_code"])
    words = derived()["values"]["model"]
    assert page.count(words["none_dominant"]["zh"]) == len(none)
    # "multi" explained by the pillars leading in at least a quarter of the specifications
    assert page.count(">" + words["multi"]["zh"] + '<span class="rk">（产业链式融合＋需求驱动型融合') == (
        int((it["model"] == "multi").sum()) - len(none))


def test_index_names_the_years_and_links_typology_paper_and_sources(tmp_path, synth):
    from analysis.reporting import index_page

    root = tmp_path / "proj"
    out = root / "reports"
    for f in ("framework/typology_2022.csv", "paper/baseline_en.html", "paper/baseline_zh.html",
              "paper/threshold_en.html", "paper/threshold_zh.html"):
        (out / f).parent.mkdir(parents=True, exist_ok=True)
        (out / f).write_text("<html></html>", encoding="utf-8")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "SOURCES.md").write_text("# sources", encoding="utf-8")
    page = index_page.write_index(out, synth, 2023).read_text(encoding="utf-8")
    for href in ("typology_2022_zh.html", "typology_2022_en.html", "paper/baseline_en.html",
                 "paper/threshold_zh.html", "paper/", "../data/raw/SOURCES.md"):
        assert f'href="{href}"' in page
    assert "Baseline two-way FE" in page and "基准回归" in page  # the tables' own titles
    assert "codebook.csv" not in page  # not there: not linked
    # the typology pages: full pages in both languages with labels, linked back to the index
    for lang, word in (("zh", "主导模式"), ("en", "Dominant model")):
        typ = (out / f"typology_2022_{lang}.html").read_text(encoding="utf-8")
        assert typ.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in typ and word in typ
        assert 'href="index.html"' in typ and typ.count("<tr>") == 31 + 1
    # which year each column shows (synthetic: every metric's latest year is 2023)
    yr = '<span class="yr"><span data-l="zh">2023 年</span><span data-l="en">2023</span></span>'
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert len(heads) == 3 + 3 + 4 + 1 and all(h.endswith(yr) for h in heads[3:11])
    assert "D (rank)</span>" + yr in page and "D（排名）</span>" in page
    assert "Linkage (rank)</span>" + yr in page
    assert "The typology table is for 2022" in page and "dominant model here is for 2023" in page
    # on a phone each row is a card: every cell carries its column's label in both languages
    assert 'data-label-zh="D（排名）" data-label-en="D (rank)"' in page
    # a province whose latest GDP is older is counted, not hidden
    m = cx.index_metrics(load_inputs(synth), 2023)
    m.loc[0, "gdp_year"] = 2022
    assert "(1 province: their latest other year with data)" in index_page.index_caption(m, 2022)["en"]

def test_batch_renders_what_it_is_asked(rendered, synth):
    """No cache of its own: skipping up-to-date reports is the step runner's job (test_steps)."""
    _, out = rendered
    rc = batch.main(provinces=[320000], langs=["en"], data_dir=synth, out_root=out,
                    notebook=NOTEBOOK, progress=False)
    assert rc == 0
    jobs = json.loads((out / "provinces" / "status.json").read_text())["jobs"]
    assert [(j["name"], j["status"]) for j in jobs] == [("320000_en", "ok")]
    assert not (out / "provinces" / ".fingerprints.json").exists()


# ------------------------------------------------------------------- research notebooks


def test_paper_output_writes_tables_and_figures(tmp_path):
    import matplotlib.pyplot as plt

    from analysis.reporting.paper import PaperOutput

    out = PaperOutput(tmp_path / "paper")
    df = pd.DataFrame({"term": ["R&D_x", "D"], "estimate": [0.1234, -1.5]})
    out.table(df, "t1", "caption")
    back = pd.read_csv(tmp_path / "paper" / "t1.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, df)
    tex = (tmp_path / "paper" / "t1.tex").read_text(encoding="utf-8")
    assert r"R\&D\_x" in tex and "0.123" in tex and r"\label{tab:t1}" in tex
    assert "\\begin{tabular}{lr}" in tex  # the one LaTeX style: text left, numbers right
    # shown with meaningful row labels (not 0, 1, …) and the number policy
    shown = out.table(df, "t1")
    assert shown.index.tolist() == ["R&D_x", "D"] and shown["estimate"].tolist() == ["0.123", "-1.500"]
    from analysis.reporting.figures import new_figure

    before = plt.get_fignums()
    fig, ax = new_figure((4, 3))
    ax.plot([0, 1])
    assert plt.get_fignums() == before  # not registered with pyplot: the inline backend will not show it again
    assert out.figure(fig, "f1") is None
    assert (tmp_path / "paper" / "f1.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "paper" / "f1.pdf").read_bytes()[:4] == b"%PDF"


def test_measurement_notebook_numbers_match_integration_table(built_framework):
    from analysis.reporting import paper

    REAL = built_framework  # the session's build of the real data (tests/conftest.py)
    r = paper.nb02_measurement(REAL, "en")
    it = pd.read_parquet(REAL / "integration.parquet")
    trend = r["trend"].set_index("year")
    assert trend["D"].to_dict() == pytest.approx(it.groupby("year")["D"].mean().to_dict())
    dag = r["dagum"]
    # Dagum (1997): G = G_w + G_nb + G_t, to machine precision
    assert (dag["within"] + dag["between"] + dag["transvariation"]).to_numpy() == pytest.approx(
        dag["total"].to_numpy(), abs=1e-12)
    sig = r["sigma"].set_index("year")
    cv = it.groupby("year")["D"].agg(lambda v: v.std(ddof=0) / v.mean())
    cv1 = it.groupby("year")["D"].agg(lambda v: v.std(ddof=1) / v.mean())
    assert sig["cv"].to_numpy() == pytest.approx(cv.to_numpy()) or sig["cv"].to_numpy() == pytest.approx(cv1.to_numpy())


def test_pages_embed_a_font_covering_every_chinese_character(rendered):
    """No tofu in pages even without system CJK fonts: the embedded subset covers the text."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    _, out = rendered
    for name in ("provinces/320000_zh.html", "provinces/460000_en.html", "index.html"):
        page = (out / name).read_text(encoding="utf-8")
        m = re.search(r'font-family: "Report CJK".*?base64,([A-Za-z0-9+/=]+)', page)
        assert m, f"{name}: no embedded font"
        cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
        text = re.sub(r"data:[^\"')]+", "", page)  # drop images and the font itself
        cjk = {c for c in text if ord(c) >= 0x2E80}
        assert len(cjk) > 20 if name.endswith("zh.html") else True
        missing = sorted(c for c in cjk if ord(c) not in cmap)
        assert missing == [], f"{name}: characters missing from the web font: {''.join(missing)}"


