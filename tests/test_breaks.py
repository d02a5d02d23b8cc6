"""Break detector of ``data check`` (analysis.data.checks.detect_breaks / explain_breaks)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data import checks, pipeline
from analysis.data.provinces import CODES
from analysis.data.sources import nbs

TJ, LN, JL = 120000, 210000, 220000


def _synthetic(shift_code=TJ, shift_year=2015, factor=0.7, seed=1):
    """31 provinces x 2000-2020: 5 % trend growth, 1 % noise; one level shift."""
    rng = np.random.default_rng(seed)
    rows = []
    for code in sorted(CODES):
        lvl = 100.0
        for y in range(2000, 2021):
            lvl *= np.exp(0.05 + rng.normal(0, 0.01)) if y > 2000 else 1.0
            x = lvl * (factor if (code == shift_code and y >= shift_year) else 1.0)
            rows.append((code, y, x))
    return pd.DataFrame(rows, columns=["province_code", "year", "x"])


def test_detects_a_level_shift_and_nothing_else():
    panel = _synthetic()
    breaks, n = checks.detect_breaks(panel)
    assert n == 31 * 20
    assert breaks[["series", "province_code", "year"]].values.tolist() == [["x", TJ, 2015]]
    b = breaks.iloc[0]
    assert b.measure == "dlog"
    assert b.change == pytest.approx(np.log(panel.set_index(["province_code", "year"]).x.loc[TJ]
                                            .pipe(lambda s: s[2015] / s[2014])))
    # the shift is -0.357 log points beyond the trend; the scale is about 1 % (the noise)
    assert b["size"] == pytest.approx(np.log(0.7), abs=0.03)
    assert 0.007 < b.scale < 0.014 and b.threshold == pytest.approx(checks.BREAK_K * b.scale)
    assert abs(b.score) > 20


def test_level_changes_for_series_that_are_not_positive():
    panel = _synthetic(factor=1.0)
    panel["x"] = np.log(panel["x"]) - 5  # crosses zero: tested in differences, not logs
    panel.loc[(panel.province_code == LN) & (panel.year >= 2010), "x"] += 0.5
    breaks, _ = checks.detect_breaks(panel)
    assert breaks[["province_code", "year", "measure"]].values.tolist() == [[LN, 2010, "diff"]]


def test_a_smooth_province_does_not_flag_rounding():
    """The scale is at least the pooled one: a nearly constant province is not over-flagged."""
    panel = _synthetic(factor=1.0)
    smooth = panel.province_code == JL
    panel.loc[smooth, "x"] = 100 * np.exp(0.05 * (panel.loc[smooth, "year"] - 2000))
    panel.loc[smooth & (panel.year == 2012), "x"] *= 1.01  # 1 % blip: ordinary noise elsewhere
    breaks, _ = checks.detect_breaks(panel)
    assert breaks.empty


def test_causes_from_the_table_inputs_copies_and_flags():
    panel = pd.DataFrame({
        "province_code": [TJ] * 4 + [LN] * 4, "year": [2017, 2018, 2019, 2020] * 2,
        "ind_rd_exp": 1.0, "ind_rd_exp_flag": ["spliced", "spliced", None, None] * 2})
    br = pd.DataFrame({
        "series": ["TS", "nqp_gdp", "ind_rd_exp", "ind_rd_exp", "digital_finance"],
        "province_code": [TJ, LN, TJ, TJ, TJ], "year": [2019, 2016, 2019, 2020, 2019]})
    out = checks.explain_breaks(br, panel).set_index(["series", "province_code", "year"])
    # TS inherits the value-added causes (fourth economic census, first releases from 2019)
    assert out.loc[("TS", TJ, 2019), "cause_kind"] == "census revision"
    assert "fourth economic census" in out.loc[("TS", TJ, 2019), "cause"]
    # nqp_gdp is a copy of gdp: Liaoning's 2016 correction
    assert out.loc[("nqp_gdp", LN, 2016), "cause_kind"] == "correction"
    # a spliced run ends in 2019 (flag set in 2018, not in 2019); not in 2020
    assert out.loc[("ind_rd_exp", TJ, 2019), "cause_kind"] == "source splice"
    assert out.loc[("ind_rd_exp", TJ, 2020), "cause"] == "unexplained"
    assert out.loc[("digital_finance", TJ, 2019), "cause_kind"] == "unexplained"


def test_ratio_series_cover_every_gdp_ratio_of_the_framework_and_models():
    """Every "x / gdp" formula of spec.yaml (and the models' fiscal share) is tested."""
    spec = (Path(__file__).resolve().parents[1] / "analysis" / "framework" / "spec.yaml").read_text(
        encoding="utf-8")
    formulas = set(re.findall(r"formula:\s*(\w+)\s*/\s*gdp\s*$", spec, flags=re.M))
    assert formulas, "spec.yaml has no x / gdp formula any more: update this test"
    tested = {num for num, den in checks.RATIO_SERIES.values() if den == "gdp"}
    assert formulas | {"budget_exp"} <= tested
    assert checks.RATIO_SERIES["TS"] == ("va_tertiary", "va_secondary")


# --------------------------------------------------------------------------------------------
# the real panel
# --------------------------------------------------------------------------------------------

def test_breaks_csv_and_the_gdp_block(built_data):
    """Issue acceptance: checks/breaks.csv exists; every GDP-block break has a cause, except the
    documented unexplained ones (checks.BREAKS_UNEXPLAINED_GDP), listed rather than hidden."""
    t = pd.read_csv(built_data["processed"] / "checks" / "breaks.csv", encoding="utf-8-sig")
    assert list(t.columns) == ["series", "province_code", "year", "value_prev", "value",
                               "measure", "change", "typical", "size", "scale", "score",
                               "threshold", "cause_kind", "cause"]
    assert (t["score"].abs() > checks.BREAK_K).all()
    assert t["cause_kind"].isin({"census revision", "correction", "definition change",
                                 "source splice", "economic shock", "unexplained"}).all()
    gdp = t[t.series.isin(checks.GDP_BLOCK)]
    unexplained = {tuple(r) for r in gdp.loc[gdp.cause_kind == "unexplained",
                                             ["series", "province_code", "year"]].values.tolist()}
    assert unexplained == set(checks.BREAKS_UNEXPLAINED_GDP)
    # no break in the deflator, and none in the GDP block at a census-revision link year
    assert not gdp.series.eq("gdp_deflator").any()
    assert not gdp.year.isin([2005, 2009, 2014, 2019]).any()
    summary = pd.read_csv(built_data["processed"] / "checks" / "summary.csv").set_index("name")
    rec = summary.loc["breaks"]
    assert rec.n_exceed == len(t) and rec.n_unexplained == (t.cause_kind == "unexplained").sum()
    assert bool(rec.ok) and rec.n_unexpected == 0
    text = pipeline.summary_text(built_data["result"])
    assert f"breaks (|change - median| > 4 robust sd; checks/breaks.csv): {len(t)} of" in text


def test_detector_finds_the_breaks_of_the_first_published_series(raw_dir, panel):
    """Power: on sheet1 as compiled (mixed vintages) the documented breaks are found."""
    pub = nbs.read_gdp_published(raw_dir).rename(columns=lambda c: c.removesuffix("_published"))
    old = pub.merge(panel[["province_code", "year", "population"]], on=["province_code", "year"],
                    how="left")
    old = old.merge(pipeline.chain_real_gdp(old[["province_code", "year", "gdp", "gdp_index"]],
                                            2010), on=["province_code", "year"])
    breaks, _ = checks.detect_breaks(old)
    breaks = checks.explain_breaks(breaks[breaks.series.isin(checks.GDP_BLOCK)], old)
    hits = set(map(tuple, breaks[["series", "province_code", "year"]].values.tolist()))
    assert {("gdp_deflator", TJ, 2019), ("gdp_deflator", JL, 2019),
            ("gdp_deflator", LN, 2016)} <= hits
    assert (breaks.series.eq("va_tertiary") & breaks.year.eq(2005)).sum() >= 5
    assert (breaks.cause_kind != "unexplained").mean() > 0.9
