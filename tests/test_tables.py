"""Regression tables: cell values, stars at the thresholds, footer rows, each format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import ModelResult
from analysis.models.tables import labels_from_codebook, latex_escape, regression_table, stars_for


def _res(params, ses, dof=None, fe=("province_code", "year"), cluster="province_code", **kw):
    idx = list(params)
    return ModelResult(params=pd.Series(params, index=idx, dtype=float),
                       std_errors=pd.Series(ses, index=idx, dtype=float), nobs=kw.pop("nobs", 310),
                       depvar=kw.pop("depvar", "ts"), model="twfe", dof=dof, fixed_effects=list(fe),
                       cluster=cluster, r2_within=kw.pop("r2_within", 0.41234), **kw)


def test_stars_at_thresholds():
    assert stars_for(0.0999) == "*" and stars_for(0.1) == ""
    assert stars_for(0.0499) == "**" and stars_for(0.05) == "*"
    assert stars_for(0.00999) == "***" and stars_for(0.01) == "**"
    assert stars_for(float("nan")) == ""
    assert stars_for(0.04, levels=(0.05, 0.01, 0.001)) == "*"


def test_cells_from_known_pvalues():
    # z = 2.0 -> p = 0.0455 (**); z = 1.7 -> p = 0.0891 (*); z = 3.0 -> p = 0.0027 (***)
    r1 = _res({"rd_intensity": 2.0, "chain": 1.7, "lngdp": 3.0}, [1.0, 1.0, 1.0])
    # t(30): t = 2.0 -> p = 0.0546 -> only *
    r2 = _res({"rd_intensity": 0.2}, [0.1], dof=30, fe=("province_code",), nobs=1234)
    assert stats.t.sf(2.0, 30) * 2 == pytest.approx(0.0546, abs=1e-4)
    t = regression_table([r1, r2], labels={"rd_intensity": "R&D intensity", "ts": "TS"})
    b = t.body
    assert list(b.columns) == ["(1)", "(2)"]
    assert b.iloc[0].tolist() == ["2.000**", "0.200*"]
    assert b.iloc[1].tolist() == ["(1.000)", "(0.100)"]
    assert b.index[0] == "R&D intensity" and b.index[1] == ""
    assert b.loc["chain"].tolist()[0] == "1.700*"
    assert b.loc["lngdp"].tolist() == ["3.000***", ""]
    assert b.loc["Observations"].tolist() == ["310", "1,234"]
    assert b.loc["Within R²"].tolist() == ["0.412", "0.412"]
    assert b.loc["Province FE"].tolist() == ["Yes", "Yes"]
    assert b.loc["Year FE"].tolist() == ["Yes", "No"]
    assert b.loc["Clustered SE"].tolist() == ["Province", "Province"]
    assert t.header == ["TS", "TS"] and t.n_coef_rows == 6


def test_star_order_and_pvalue_extras():
    r = _res({"a": 0.5}, [0.1], extra={"hansen_p": 1.0, "ar2_p": 0.0, "instruments": 26.0})
    # thresholds given tightest first: the footer must still say *** for the tightest
    t = regression_table([r], stars=(0.01, 0.05, 0.10), extra=["hansen_p", "ar2_p",
                                                                "instruments"])
    assert t.notes[1] == "* p<0.1, ** p<0.05, *** p<0.01."
    assert t.body.iloc[0, 0] == "0.500***"  # z = 5
    # p-values keep their decimals (a Hansen p of 1.000 is a warning sign), counts do not
    assert t.body.loc["hansen_p"].item() == "1.000" and t.body.loc["ar2_p"].item() == "0.000"
    assert t.body.loc["instruments"].item() == "26"


def test_zh_labels_keep_order_and_extra():
    r = _res({"a": 0.5, "b": -0.25}, [0.1, 0.5], extra={"AR(2) p": 0.4321, "instruments": 26.0})
    t = regression_table({"基准": r}, lang="zh", keep=["b", "a"], labels={"a": "研发强度"},
                         extra=["AR(2) p", "instruments"], digits=2)
    assert t.body.index[:4].tolist() == ["b", "", "研发强度", ""]
    assert t.body.iloc[0, 0] == "-0.25" and t.body.iloc[2, 0] == "0.50***"
    assert t.body.loc["AR(2) p", "基准"] == "0.43"
    assert t.body.loc["instruments", "基准"] == "26"
    assert t.body.loc["省份固定效应", "基准"] == "是"
    assert t.body.loc["观测值", "基准"] == "310"
    assert "括号内为标准误" in t.notes[0]
    with pytest.raises(ValueError, match="in no result"):
        regression_table([r], keep=["zzz"])


def test_formats():
    r = _res({"x_1": 1.0}, [0.25], depvar="y%")
    t = regression_table([r], title="Baseline & more")
    md = t.to_markdown()
    assert "| x_1 | 1.000*** |" in md and "| Observations | 310 |" in md
    tex = t.to_latex()
    assert "\\toprule" in tex and "x\\_1 & 1.000*** \\\\" in tex and "y\\%" in tex
    assert "\\caption{Baseline \\& more}" in tex and "Within R$^2$" in tex
    h = t.to_html()
    assert "<td>1.000***</td>" in h and "<caption>Baseline &amp; more</caption>" in h
    csv = t.to_csv().splitlines()
    assert csv[1] == "Dependent variable,y%" and csv[2] == "x_1,1.000***"
    assert t.render("md") == md
    with pytest.raises(ValueError):
        t.render("docx")
    assert latex_escape("a_b#c") == "a\\_b\\#c"


def test_latex_is_ascii_for_english_labels():
    """pdflatex cannot typeset ≤ − ρ from UTF-8, and prints < > as ¡ ¿ in OT1."""
    assert latex_escape("q ≤ 1.5, p<0.1, −Theil, ρ") == \
        "q $\\leq$ 1.5, p$<$0.1, $-$Theil, $\\rho$"
    r = _res({"rd_r0": 0.3}, [0.1], depvar="tl")
    t = regression_table([r], labels={"rd_r0": "R&D × (ln_gdp_pc ≤ 11.6)", "tl": "−Theil"},
                         notes=["L1 coefficient ≥ 1; R&D → D; a·b; β/(1−ρ)"])
    assert t.to_latex().isascii()


def test_labels_from_codebook():
    cb = pd.DataFrame({"name": ["rd_exp", "gdp"], "label_zh": ["研发经费", "地区生产总值"],
                       "label_en": ["R&D expenditure", np.nan]})
    assert labels_from_codebook(cb, "zh") == {"rd_exp": "研发经费", "gdp": "地区生产总值"}
    assert labels_from_codebook(cb, "en") == {"rd_exp": "R&D expenditure"}


def test_real_twfe_table_numbers():
    from statsmodels.datasets import grunfeld as g

    from analysis.models import twfe

    d = g.load_pandas().data
    d = d[d["firm"] != "American Steel"].copy()
    d["year"] = d["year"].astype(int)
    r = twfe(d, "invest", ["value", "capital"], "firm", "year")
    t = regression_table([r], digits=4)
    # reghdfe: value 0.1177 (0.0108), capital 0.3579 (0.0478)
    assert t.body.iloc[:4, 0].tolist() == ["0.1177***", "(0.0108)", "0.3579***", "(0.0478)"]
    assert t.body.loc["firm FE", "(1)"] == "Yes"


def test_labels_from_processed_codebook_layout():
    cb = pd.DataFrame({"variable": ["rd_intensity"], "label_zh": ["R&D经费投入强度"],
                       "label_en": ["R&D intensity"]})
    assert labels_from_codebook(cb, "zh") == {"rd_intensity": "R&D经费投入强度"}


def test_one_latex_style_numbers_right_notes_below():
    from analysis.models.tables import LATEX_PREAMBLE, latex_table

    r = _res({"x": 1.0}, [0.25])
    tex = regression_table([r], title="T", notes=["Note text."]).to_latex()
    assert "\\begin{tabular}{lr}" in tex and "\\toprule" in tex and "\\bottomrule" in tex
    assert tex.index("\\end{tabular}") < tex.index("Note text.") < tex.index("\\end{table}")
    plain = latex_table([["a", "b"]], [["x", "1.0"]], caption="C", notes="N", align="lr")
    assert plain.splitlines()[:4] == ["\\begin{table}[htbp]", "\\centering", "\\caption{C}", "\\begin{tabular}{lr}"]
    assert "ctex" in LATEX_PREAMBLE["zh"] and "xelatex" in LATEX_PREAMBLE["zh"]


def test_english_tables_have_no_arrows_cjk_or_nan():
    r = _res({"x": 1.0}, [0.25], extra={"hansen_p": float("nan")})
    t = regression_table([r], labels={"x": "R&D → D"}, extra=["hansen_p"], notes=["X→Y and M→Y"])
    for fmt in ("md", "tex", "csv"):
        out = t.render(fmt)
        assert "→" not in out and "nan" not in out.lower() and not any(ord(c) >= 0x2E80 for c in out), fmt
    assert "R&D to D" in t.render("md") and "X to Y" in t.render("md")


def test_html_tables_are_full_pages_with_a_link_back():
    r = _res({"x": 1.0}, [0.25])
    for lang, other in (("en", "zh"), ("zh", "en")):
        page = regression_table([r], lang=lang).render("html", name="baseline")
        assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
        assert 'href="../index.html"' in page and f'href="baseline_{other}.html"' in page
        assert ".table-wrap" in page and '<table class="regtable">' in page  # the reports' CSS, inlined
    assert "<h1>Baseline two-way FE</h1>" in regression_table([r]).render("html", name="baseline")


def test_wild_note_names_each_columns_method_and_is_chinese_in_zh():
    """Grunfeld has 10 firms: Rademacher enumerates all 2^10 = 1,024 sign vectors; with 5 firms
    it enumerates 32. The note says which column used which, in the table's language."""
    from statsmodels.datasets import grunfeld as g

    from analysis.models import twfe

    d = g.load_pandas().data
    d = d[d["firm"] != "American Steel"].copy()  # Baltagi's 10 firms
    d["year"] = d["year"].astype(int)
    big = twfe(d, "invest", ["value", "capital"], "firm", "year")
    small = twfe(d[d["firm"].isin(sorted(set(d["firm"]))[:5])], "invest", ["value", "capital"],
                 "firm", "year")
    for r in (big, small):
        r.wild_bootstrap("value", reps=9999, seed=1)
    en = regression_table({"All": big, "Five": small})
    note = " ".join(en.notes)
    assert ("Wild cluster bootstrap p-values in brackets (All: WCR, Rademacher weights, all "
            "1,024 sign vectors; Five: WCR, Rademacher weights, all 32 sign vectors;") in note
    assert en.body.loc["value", "All"].endswith("***") and \
        en.body.iloc[1, 0].endswith(f"[{big.wild['value'].p_value:.3f}]")
    zh = regression_table({"全部": big, "五家": small}, lang="zh")
    znote = " ".join(zh.notes)
    assert ("方括号内为野聚类自助法p值（全部：约束原假设（WCR），Rademacher权重，穷举全部1,024个符号向量；"
            "五家：约束原假设（WCR），Rademacher权重，穷举全部32个符号向量；") in znote
    assert "wild" not in znote and "draws" not in znote
    # one method for every column: stated once, without column names
    one = regression_table([big], lang="en")
    assert "(WCR, Rademacher weights, all 1,024 sign vectors; Roodman" in " ".join(one.notes)


def test_pages_with_chinese_embed_the_glyphs_they_use():
    """A page with Chinese text (a zh paper table) embeds a CJK font subset holding its
    characters, so it renders on a machine without a CJK system font (it showed empty boxes);
    a page without CJK embeds none; the subset is the same bytes on every run."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from analysis.htmlpage import page

    zh = page("<p>中介效应：R&amp;D投入强度</p>", "中介效应", "zh")
    assert zh == page("<p>中介效应：R&amp;D投入强度</p>", "中介效应", "zh")
    b64 = re.search(r"base64,([A-Za-z0-9+/=]+)\)", zh).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(b64))).getBestCmap()
    for ch in "中介效应投入强度：返回全部省份":
        assert ord(ch) in cmap, ch
    assert ord("国") not in cmap  # a subset, not the whole font
    assert "@font-face" not in page("<p>Typology</p>", "Typology", "en")
    # the reports pass their shared subset, which is kept as given
    assert page("<p>中</p>", "中", "zh", font_css="/*shared*/").count("@font-face") == 0


def test_paper_table_page_uses_the_wide_layout():
    """Paper tables (up to nine columns with a long note) get the 1200 px layout, not the
    report's 900 px column, so a five-column table and its note are not cut at 1280 px."""
    import pandas as pd

    from analysis.models.tables import RegressionTable

    t = RegressionTable(body=pd.DataFrame({"(1)": ["0.1"]}, index=["x"]), header=["(1)"],
                        n_coef_rows=1, notes=["n"], lang="en")
    assert '<main class="wide">' in t.to_html_page("baseline")
