"""techme R data parser: shape, units, known values looked up in the .rda files."""

from __future__ import annotations

import pandas as pd
import pyreadr
import pytest

from analysis.data.provinces import CODES, UnknownProvinceError
from analysis.data.sources import techme
from analysis.data.sources._common import ConflictingValuesError, SourceLayoutError


@pytest.fixture(scope="module")
def panel(raw_dir):
    return techme.read(raw_dir)


@pytest.fixture(scope="module")
def national(raw_dir):
    return techme.read_national(raw_dir)


def _at(df, code, year, col):
    return df.loc[(df.province_code == code) & (df.year == year), col].item()


def test_shape_and_keys(panel):
    assert set(panel.province_code) == CODES
    assert panel.groupby("year").province_code.nunique().eq(31).all()
    assert not panel.duplicated(["province_code", "year"]).any()
    assert panel.province_code.dtype == "int64" and panel.year.dtype == "int64"
    assert set(range(2010, 2024)) <= set(panel.year)
    assert [v.name for v in techme.VARIABLES] == list(panel.columns[2:])
    # coverage as published
    cov = panel.groupby("year").count()
    assert cov.loc[2010:2023, "rd_exp"].eq(31).all()
    assert cov.loc[2011:2023, "rd_intensity"].eq(31).all() and cov.loc[2010, "rd_intensity"] == 0
    assert cov.loc[2018:2024, "hightech_enterprises"].eq(31).all()
    assert cov.loc[2017, "hightech_firms"] == 0  # IndustryOperation has no 2017


def test_known_values(panel):
    # RDIntense 2022: 北京 2843.3 亿元, 6.83 %; 广东 4411.9 亿元, 3.42 % (yearbook table)
    assert _at(panel, 110000, 2022, "rd_intensity") == pytest.approx(0.0683)
    assert _at(panel, 440000, 2022, "rd_intensity") == pytest.approx(0.0342)
    assert _at(panel, 110000, 2022, "rd_exp") == pytest.approx(2843.3394)  # 28,433,394 万元
    # RDLaborHour 广东 2022 合计 972,492 人年
    assert _at(panel, 440000, 2022, "rd_fte") == pytest.approx(97.2492)
    # RDSource 北京 2022: 政府资金 12,896,678 万元, 企业资金 13,422,113 万元
    assert _at(panel, 110000, 2022, "rd_exp_government") == pytest.approx(1289.6678)
    assert _at(panel, 110000, 2022, "rd_exp_enterprise") == pytest.approx(1342.2113)
    # RDActivity 北京 2022 基础研究 4,706,662 万元 → basic share 16.6 %
    assert _at(panel, 110000, 2022, "basic_share") == pytest.approx(4706662 / 28433394)
    # patents 广东 2022: applications 993,480 (invention 236,957), grants 837,276 (115,080)
    assert _at(panel, 440000, 2022, "patent_app") == 993480
    assert _at(panel, 440000, 2022, "patent_app_invention") == 236957
    assert _at(panel, 440000, 2022, "patent_grant") == 837276
    assert _at(panel, 440000, 2022, "patent_grant_invention") == 115080
    # technology market 北京 2022: outflow 79,475,111 万元, inflow 41,125,042 万元
    assert _at(panel, 110000, 2022, "tech_market_seller") == pytest.approx(7947.5111)
    assert _at(panel, 110000, 2022, "tech_market_buyer") == pytest.approx(4112.5042)
    # high-tech industry 广东 2022: 13,121 firms, revenue 53,593 亿元, R&D 18,354,795 万元
    assert _at(panel, 440000, 2022, "hightech_firms") == 13121
    assert _at(panel, 440000, 2022, "hightech_revenue") == 53593
    assert _at(panel, 440000, 2022, "hightech_rd_exp") == pytest.approx(1835.4795)
    assert _at(panel, 440000, 2022, "hightech_new_product_sales") == pytest.approx(22036.8327)
    # PublicBudget 北京 2022: 7469.15 亿元, S&T 488.70 亿元
    assert _at(panel, 110000, 2022, "budget_exp") == pytest.approx(7469.15)
    assert _at(panel, 110000, 2022, "fiscal_st_exp") == pytest.approx(488.70)
    assert _at(panel, 440000, 2022, "hightech_enterprises") == 26031


def test_units_and_identities(panel, national):
    assert panel.rd_intensity.dropna().between(0.001, 0.1).all()
    assert panel.basic_share.dropna().between(0, 0.5).all()
    # activities add up to the total (万元 rounding only), except two cells where the
    # published components disagree with the published total (kept as published):
    # 上海 2021: 1,777,325 + 1,900,886 + 14,539,165 = 18,217,376 万元 vs total 18,197,705;
    # 浙江 2015: components exceed the total by 117 万元.
    have = panel.dropna(subset=["rd_exp"]).set_index(["province_code", "year"])
    parts = have[["rd_exp_basic", "rd_exp_applied", "rd_exp_experimental"]].sum(axis=1)
    diff = (parts - have.rd_exp).round(4)
    assert len(have) == 434  # 31 provinces x 2010-2023
    off = diff[diff.abs() > 0.01]
    assert off.to_dict() == {(310000, 2021): 1.9671, (330000, 2015): 0.0117}
    # government + enterprise never exceed the total
    src = panel.dropna(subset=["rd_exp_government", "rd_exp_enterprise"])
    assert len(src) == 433  # 北京 2012 企业资金 is missing in RDSource
    assert (src.rd_exp_government + src.rd_exp_enterprise <= src.rd_exp + 0.01).all()
    # national R&D 2022 ≈ 30,783 亿元 (NBS communiqué) = sum of provinces
    nat = national.set_index("year")
    assert nat.loc[2022, "rd_exp"] == pytest.approx(30782.88, abs=0.1)
    prov_sum = panel.groupby("year").rd_exp.sum()
    assert prov_sum.loc[2022] == pytest.approx(nat.loc[2022, "rd_exp"], rel=1e-6)
    assert nat.loc[2022, "rd_intensity"] == pytest.approx(0.0254)
    # FTE in 万人年: national 2022 ≈ 635 万人年
    assert nat.loc[2022, "rd_fte"] == pytest.approx(635.357)


def test_rd_exp_agrees_with_rdintense(raw_dir, panel):
    """RDActivity's 万元 total equals RDIntense's 亿元 figure rounded to 0.1 亿元."""
    d = pyreadr.read_r(str(raw_dir / "techme/rda/RDIntense.rda"))["RDIntense"]
    d = d[d.variables == "v4_ztr_jf_RD"]
    d = d[d.province.str.replace(r"\s", "", regex=True) == "北京"].assign(year=lambda x: x.year.astype(int))
    ours = panel[panel.province_code == 110000].set_index("year").rd_exp
    for y, v in zip(d.year, d.value, strict=True):
        assert ours.loc[y] == pytest.approx(v, abs=0.051)


def test_ocr_names_resolved(raw_dir, panel):
    """Rows spelt 江两/两藏/山两/内蒙占 in the .rda land on the right province."""
    cases = [  # object, variable, OCR label, year, our column, code, factor
        ("RDPatentAccept", "v4_cg_zlsq_hj", "江两", "2014", "patent_app", 360000, 1),
        ("RDPatentAuthority", "v4_cg_zlsq2_hj", "两藏", "2012", "patent_grant", 540000, 1),
        ("RDPatentAuthority", "v4_cg_zlsq2_hj", "山两", "2012", "patent_grant", 140000, 1),
        ("RDLaborHour", "v4_zh_qsdl_hj", "内蒙占", "2013", "rd_fte", 150000, 1e-4),
        ("RDSource", "v4_zh_nbzc_zfzj", "内蒙 古", "2010", "rd_exp_government", 150000, 1e-4),
    ]
    for obj, var, label, year, col, code, factor in cases:
        d = _obj(raw_dir, obj)
        r = d[(d.province == label) & (d.year == year) & (d.variables == var)]
        assert len(r) == 1, (obj, label)
        assert _at(panel, code, int(year), col) == pytest.approx(r.value.item() * factor)


def test_no_aggregates_leak(panel, national):
    # provinces sum to less than 1.01 × the national row: no 全国 row counted twice
    nat = national.set_index("year")
    s = panel.groupby("year")[["patent_app", "budget_exp"]].sum()
    assert (s.loc[2012:2023, "patent_app"] <= nat.loc[2012:2023, "patent_app"] * 1.001).all()
    assert s.loc[2022, "budget_exp"] == pytest.approx(nat.loc[2022, "budget_exp"], rel=1e-6)


def _fake_raw(tmp_path, raw_dir, obj, df):
    """Copy techme/rda into tmp and overwrite ``obj`` with ``df``."""
    import shutil

    dst = tmp_path / "techme" / "rda"
    shutil.copytree(raw_dir / "techme" / "rda", dst)
    pyreadr.write_rdata(str(dst / f"{obj}.rda"), df, df_name=obj)
    return tmp_path


def _obj(raw_dir, name):
    return pyreadr.read_r(str(raw_dir / f"techme/rda/{name}.rda"))[name]


def test_conflicting_duplicate_raises(tmp_path, raw_dir):
    d = _obj(raw_dir, "RDIntense")
    row = d[(d.province == "北京") & (d.year == "2022") & (d.variables == "v4_ztr_qd_RD")].copy()
    row["value"] = row["value"] + 1
    bad = pd.concat([d, row], ignore_index=True)
    with pytest.raises(ConflictingValuesError, match="RDIntense|techme"):
        techme.read(_fake_raw(tmp_path, raw_dir, "RDIntense", bad))


def test_unknown_province_raises(tmp_path, raw_dir):
    d = _obj(raw_dir, "RDIntense")
    d.loc[d.province == "北京", "province"] = "北 平"
    with pytest.raises(UnknownProvinceError, match="RDIntense.rda"):
        techme.read(_fake_raw(tmp_path, raw_dir, "RDIntense", d))


def test_wrong_unit_raises(tmp_path, raw_dir):
    d = _obj(raw_dir, "RDSource")
    d["units"] = "元"
    with pytest.raises(SourceLayoutError, match="expected '万元'"):
        techme.read(_fake_raw(tmp_path, raw_dir, "RDSource", d))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="RDActivity.rda"):
        techme.read(tmp_path)


def test_rd_intensity_agrees_with_rd_over_gdp(raw_dir, panel):
    """Yearbook R&D intensity vs rd_exp / GDP (NBS compilation), 2011-2022: within 3.5 %.

    The published intensity uses the GDP vintage of its yearbook, and is rounded to 0.01 %,
    so a few per cent of relative difference is expected (largest: 3.0 % in 2016).
    """
    from analysis.data.sources import nbs

    # the first-published GDP of sheet1 (the panel's gdp is the latest vintage)
    g = nbs.read_gdp_published(raw_dir).rename(columns={"gdp_published": "gdp"})
    m = panel.merge(g, on=["province_code", "year"]).dropna(subset=["rd_intensity", "gdp"])
    assert len(m) == 31 * 12
    ratio = m.rd_exp / m.gdp / m.rd_intensity
    assert ratio.between(0.965, 1.035).all()
    assert abs(ratio.median() - 1) < 0.002
