"""NBS compilations parser: GDP block, real GDP chain, employment, urbanisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data.provinces import CODES
from analysis.data.sources import nbs


@pytest.fixture(scope="module")
def panel(raw_dir):
    return nbs.read(raw_dir)


def _at(df, code, year, col):
    return df.loc[(df.province_code == code) & (df.year == year), col].item()


def test_shape(panel):
    assert set(panel.province_code) == CODES
    assert panel.groupby("year").province_code.nunique().eq(31).all()
    assert (panel.year.min(), panel.year.max()) == (1985, 2024)
    assert not panel.duplicated(["province_code", "year"]).any()
    cov = panel.groupby("year").count()
    # vintage-consistent GDP block 2000-2024; sectors, index, real GDP to 2022 only
    assert cov.loc[2000:2024, "gdp"].eq(31).all() and cov.loc[1985:1999, "gdp"].eq(0).all()
    assert cov.loc[2000:2022, "va_tertiary"].eq(31).all() and cov.loc[2023:2024, "va_tertiary"].eq(0).all()
    assert cov.loc[2000:2022, "gdp_real"].eq(31).all() and cov.loc[2023:2024, "gdp_real"].eq(0).all()
    assert cov.loc[1985:2023, "emp_total"].eq(31).all()
    assert cov.loc[2000:2023, "urbanisation"].eq(31).all()
    assert list(panel.columns[2:]) == [v.name for v in nbs.VARIABLES]


def test_known_values(panel, raw_dir):
    # the latest vintage (Sheet2): 广东 2022 132,547.1 亿元 (first published 129,118.6),
    # 北京 2021 44,350.7 (first published 40,269.55); the index stays as published (101.9)
    assert _at(panel, 440000, 2022, "gdp") == pytest.approx(132547.1)
    assert _at(panel, 440000, 2022, "gdp_index") == pytest.approx(101.9)
    assert _at(panel, 110000, 2021, "gdp") == pytest.approx(44350.7)
    # 北京 2022 tertiary: the first-published share (34,894.3 / 41,610.9) of the latest total
    pub = nbs.read_gdp_published(raw_dir)
    assert _at(pub, 110000, 2022, "va_tertiary_published") == pytest.approx(34894.3)
    assert _at(panel, 110000, 2022, "va_tertiary") == pytest.approx(34894.3 / 41610.9 * 45222.4)
    # employment sheet: 广东 2023 7,057 万人 = 688 + 2,584 + 3,785
    assert _at(panel, 440000, 2023, "emp_total") == 7057
    assert _at(panel, 440000, 2023, "emp_tertiary") == 3785
    # urbanisation: 北京 2000 77.54 %, 新疆 2022 57.89 %
    assert _at(panel, 110000, 2000, "urbanisation") == pytest.approx(0.7754)
    assert _at(panel, 650000, 2022, "urbanisation") == pytest.approx(0.5789)


def test_gdp_identity_as_compiled(raw_dir):
    """Compiled GDP = sum of sectors to 0.1 % in 2000, 2009-2012 and 2014-2022 (31 provinces).

    In 2001-2008 and 2013 the compilation mixes vintages within a row: GDP is the total revised
    after an economic census (2004, 2008 and 2013 censuses), the sectors (and the published
    shares) are first-published. 北京 2003: GDP 5,023.77 vs 95.64 + 1,311.86 + 2,255.60 =
    3,663.10 (NBS first release 3,663.1). These overlaps are what the vintage method links
    (analysis.data.vintage); the vintage-consistent panel adds up exactly.
    """
    pub = nbs.read_gdp_published(raw_dir).rename(columns=lambda c: c.removesuffix("_published"))
    d = pub[(pub.year >= 2000) & (pub.year <= 2022)]
    gap = (d.va_primary + d.va_secondary + d.va_tertiary - d.gdp) / d.gdp
    mixed = d.year.between(2001, 2008) | (d.year == 2013)
    assert mixed.sum() == 31 * 9 and (~mixed).sum() == 31 * 14
    assert gap[~mixed].abs().max() < 1e-3
    assert (gap[mixed].abs() > 1e-3).mean() > 0.8
    assert gap[d.year == 2013].between(-0.016, -0.001).all()
    bj03 = d[(d.province_code == 110000) & (d.year == 2003)]
    assert bj03.gdp.item() == pytest.approx(5023.77)
    assert (bj03.va_primary + bj03.va_secondary + bj03.va_tertiary).item() == pytest.approx(3663.10)


def test_gdp_identity_vintage_consistent(panel):
    d = panel[panel.year.between(2000, 2022)]
    total = d.va_primary + d.va_secondary + d.va_tertiary
    assert ((total - d.gdp).abs() / d.gdp).max() < 1e-12


def test_employment_identity(panel):
    d = panel.dropna(subset=["emp_total"])
    gap = (d.emp_primary + d.emp_secondary + d.emp_tertiary - d.emp_total).abs()
    off = d.loc[gap > 0.02 * d.emp_total, ["province_code", "year"]]
    # as published: 陕西 2012-2018 and 新疆 1988, 2010-2015 sector figures do not add up to the
    # total (sectors sum 3-25 % short); kept as published, listed here
    expected = {(610000, y) for y in range(2012, 2019)} | {(650000, 1988)} | {
        (650000, y) for y in range(2010, 2016)}
    assert set(map(tuple, off.values.tolist())) == expected


def test_real_gdp_chain_independent(panel):
    """Recompute 广东's chain by hand from the published numbers."""
    g = panel[panel.province_code == 440000].set_index("year")
    assert g.loc[2010, "gdp_deflator"] == pytest.approx(1.0)
    assert g.loc[2010, "gdp_real"] == pytest.approx(g.loc[2010, "gdp"])
    expected_2012 = g.loc[2010, "gdp"] * g.loc[2011, "gdp_index"] / 100 * g.loc[2012, "gdp_index"] / 100
    assert g.loc[2012, "gdp_real"] == pytest.approx(expected_2012)
    expected_2008 = g.loc[2010, "gdp"] / (g.loc[2010, "gdp_index"] / 100) / (g.loc[2009, "gdp_index"] / 100)
    assert g.loc[2008, "gdp_real"] == pytest.approx(expected_2008)
    # deflator growth ≈ nominal growth / real growth, and prices rose 2010-2022
    assert 1.05 < g.loc[2022, "gdp_deflator"] < 1.6
    # no volume index in the raw files after 2022: real GDP is not extrapolated
    assert np.isnan(g.loc[2023, "gdp_real"]) and np.isnan(g.loc[2023, "gdp_deflator"])
    # another base year: deflator is 1 there and ratios are base-invariant


def test_base_year_parameter(raw_dir):
    a = nbs.read_gdp(raw_dir, base_year=2010)
    b = nbs.read_gdp(raw_dir, base_year=2015)
    assert np.allclose(b.loc[b.year == 2015, "gdp_deflator"], 1.0)
    ra = a.set_index(["province_code", "year"]).gdp_real
    rb = b.set_index(["province_code", "year"]).gdp_real
    ratio = (ra / rb).dropna().groupby(level=0)
    assert (ratio.std() < 1e-9).all()  # re-basing only rescales each province's series


def test_chain_real_gdp_hand_example():
    gdp = pd.Series({2009: 90.0, 2010: 100.0, 2011: 120.0, 2012: 130.0})
    idx = pd.Series({2009: 108.0, 2010: 110.0, 2011: 105.0, 2012: np.nan})
    r = nbs.chain_real_gdp(gdp, idx, base_year=2010)
    assert r.loc[2010] == 100 and r.loc[2011] == pytest.approx(105.0)
    assert r.loc[2009] == pytest.approx(100 / 1.10)
    assert np.isnan(r.loc[2012])  # broken chain is not filled


def test_revised_sheet_matches_sheet1_tail(raw_dir):
    rev = nbs.read_gdp_revised(raw_dir)
    assert rev.shape == (31 * 10, 3) and rev.year.min() == 2015 and rev.year.max() == 2024
    raw = pd.read_excel(raw_dir / nbs.GDP_FILE, sheet_name="sheet1")
    bj23 = raw[(raw["年份"] == 2023) & (raw["省级"] == "北京市")]["地区生产总值/亿元"].item()
    assert rev.set_index(["province_code", "year"]).loc[(110000, 2023), "gdp_revised"] == bj23 == 47353.7
    # revised 2022 differs from the first-published 2022 of sheet1: a vintage break
    assert rev.set_index(["province_code", "year"]).loc[(110000, 2022), "gdp_revised"] == 45222.4
    pub = nbs.read_gdp_published(raw_dir).set_index(["province_code", "year"])
    assert pub.loc[(110000, 2022), "gdp_published"] == pytest.approx(41610.9)


def test_national_rows_separate(raw_dir, panel):
    nat = nbs.read_national(raw_dir).set_index("year")
    # provinces sum to the national employment within a few percent (published separately)
    s = panel.groupby("year").emp_total.sum()
    assert abs(s.loc[2022] / nat.loc[2022, "emp_total"] - 1) < 0.05
    assert nat.loc[2023, "emp_total"] == 74041


def test_urbanisation_flags(panel):
    f = panel.dropna(subset=["urbanisation_flag"])
    assert len(f) == 36 + 5 + 18
    assert set(f.loc[f.urbanisation_flag.str.contains("urban population"), "year"]) == set(range(2000, 2005))
    assert set(f.loc[f.urbanisation_flag.str.contains("urban population"), "province_code"]) == {450000}
    assert set(f.loc[f.urbanisation_flag.str.contains("2022-2023"), "year"]) <= {2022, 2023}
    assert panel.urbanisation.dropna().between(0.15, 0.95).all()




# --------------------------------------------------------------------------------------------
# bad input: a damaged copy of gdp.xlsx gets an error naming what is wrong and where
# --------------------------------------------------------------------------------------------

def _damaged(raw_dir, tmp_path, edit):
    """Copy of gdp.xlsx under tmp_path/nbs_compilations, changed by ``edit(workbook)``."""
    import shutil

    import openpyxl

    dest = tmp_path / nbs.GDP_FILE
    dest.parent.mkdir(parents=True)
    shutil.copy(raw_dir / nbs.GDP_FILE, dest)
    if edit is not None:
        wb = openpyxl.load_workbook(dest)
        edit(wb)
        wb.save(dest)
    return tmp_path


def _sheet1_cell(wb, year, name, header):
    ws = wb["sheet1"]
    col = [c.value for c in ws[1]].index(header) + 1
    row = next(r for r in range(2, ws.max_row + 1)
               if ws.cell(r, 1).value == year and ws.cell(r, 2).value == name)
    return ws.cell(row, col)


def test_blank_volume_index_is_named(raw_dir, tmp_path):
    """Was: no error; Tianjin's sectors 2000-2018 silently NaN (the 2019 link failed)."""
    def edit(wb):
        _sheet1_cell(wb, 2019, "天津市", "地区生产总值指数-第二产业(上年=100)").value = None
    raw = _damaged(raw_dir, tmp_path, edit)
    with pytest.raises(nbs.SourceLayoutError,
                       match=r"sheet1\].*1 blank cell.*天津 2019 地区生产总值指数-第二产业"):
        nbs.read_gdp(raw)


def test_blank_sector_value_in_a_link_year_is_named(raw_dir, tmp_path):
    """Was: no error; Guangdong's 2005 primary link silently skipped, 2000-2004 left on the old
    base under a flag saying 'sector links at 2005'."""
    def edit(wb):
        _sheet1_cell(wb, 2005, "广东省", "地区生产总值-第一产业/亿元").value = None
    raw = _damaged(raw_dir, tmp_path, edit)
    with pytest.raises(nbs.SourceLayoutError, match="广东 2005 地区生产总值-第一产业/亿元"):
        nbs.read_gdp(raw)


def test_missing_national_row_is_named(raw_dir, tmp_path):
    """Was: no error; the 2009 links used a national deflator change of 0."""
    def edit(wb):
        ws = wb["sheet1"]
        row = next(r for r in range(2, ws.max_row + 1)
                   if ws.cell(r, 1).value == 2009 and ws.cell(r, 2).value == "中国")
        ws.delete_rows(row)
    raw = _damaged(raw_dir, tmp_path, edit)
    with pytest.raises(nbs.SourceLayoutError, match=r"national row \(中国\).*2009"):
        nbs.read_gdp(raw)


def test_sheet2_text_blank_and_missing_province_are_named(raw_dir, tmp_path):
    def text(wb):
        wb["Sheet2"].cell(3, 5).value = "16093.2*"  # Tianjin 2021 with a footnote mark
    with pytest.raises(nbs.SourceLayoutError, match=r"Sheet2\].*row 3, column '2021': '16093.2\*'"):
        nbs.read_gdp_revised(_damaged(raw_dir, tmp_path / "a", text))

    def blank(wb):
        wb["Sheet2"].cell(3, 11).value = None  # Tianjin 2015
    with pytest.raises(nbs.SourceLayoutError, match="天津 2015"):
        nbs.read_gdp(_damaged(raw_dir, tmp_path / "b", blank))

    def drop_tibet(wb):
        ws = wb["Sheet2"]
        ws.delete_rows(next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "西藏"))
    with pytest.raises(nbs.SourceLayoutError, match="missing 2015-2024: 西藏 540000"):
        nbs.read_gdp_revised(_damaged(raw_dir, tmp_path / "c", drop_tibet))


def test_truncated_workbook_is_named(raw_dir, tmp_path):
    raw = _damaged(raw_dir, tmp_path, None)
    f = raw / nbs.GDP_FILE
    f.write_bytes(f.read_bytes()[:100_000])
    with pytest.raises(nbs.SourceLayoutError, match="gdp.xlsx is not a readable Excel file"):
        nbs.read_gdp(raw)
