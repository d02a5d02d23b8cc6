"""GPI workbook + data_province.dta parser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data.provinces import CODES, UnknownProvinceError
from analysis.data.sources import gpi, nbs


@pytest.fixture(scope="module")
def panel(raw_dir):
    return gpi.read(raw_dir)


def _at(df, code, year, col):
    return df.loc[(df.province_code == code) & (df.year == year), col].item()


def test_shape(panel):
    assert panel.shape == (31 * 34, 2 + len(gpi.VARIABLES))
    assert set(panel.province_code) == CODES and (panel.year.min(), panel.year.max()) == (1985, 2018)
    # 重庆 empty before 1997, 海南 before 1988, as published
    assert panel.loc[(panel.province_code == 500000) & (panel.year < 1997), "cpi"].isna().all()
    assert panel.loc[(panel.province_code == 460000) & (panel.year < 1988), "cpi"].isna().all()


def test_known_values(panel):
    assert _at(panel, 110000, 1997, "cpi") == pytest.approx(100.0)
    assert _at(panel, 440000, 2018, "cpi") == pytest.approx(147.3239, abs=1e-3)
    assert _at(panel, 440000, 2018, "fai_price_index") == pytest.approx(150.5904, abs=1e-3)
    assert _at(panel, 310000, 1985, "gpi_gdp") == pytest.approx(466.75)
    assert _at(panel, 440000, 2018, "gpi_gdp") == pytest.approx(99945.22)
    # "Yunan" (typo in the workbook) resolved to 云南
    assert _at(panel, 530000, 1985, "gpi_gdp") == pytest.approx(164.96)
    # national CPI 2018 / 1997 from NBS (1978 = 100): 650.9 / 439.1 = 1.482; the workbook's 1.473
    assert _at(panel, 110000, 2018, "cpi") / 100 == pytest.approx(650.9 / 439.1, rel=0.01)


def test_price_indices_are_national_and_typos_flagged(panel):
    rounded = panel.dropna(subset=["cpi"])[["year", "cpi", "fai_price_index"]].round(6)
    per_year = rounded.groupby("year")[["cpi", "fai_price_index"]].nunique()
    assert (per_year == 1).all().all()
    flagged = panel.dropna(subset=["cpi_flag"])
    assert set(zip(flagged.province_code, flagged.year, strict=True)) == {
        (410000, 1985), (620000, 1987), (630000, 1990)}
    assert flagged.cpi_flag.str.contains("30.1591").any()
    assert panel.fai_price_index_flag.isna().all()


def _published(raw_dir):
    """NBS sheet1 as compiled (first releases; the panel's gdp is vintage-consistent)."""
    g = nbs.read_gdp_published(raw_dir)
    return g.rename(columns=lambda c: c.removesuffix("_published")).set_index(
        ["province_code", "year"])


def test_dta_shares_are_fractions_matching_nbs(raw_dir, panel):
    g = _published(raw_dir)
    p = panel.set_index(["province_code", "year"])
    common = p.dropna(subset=["gpi_tertiary_share"]).index.intersection(g.dropna(subset=["gdp"]).index)
    total = g.loc[common, ["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1)
    ter = g.loc[common, "va_tertiary"] / total
    sec = g.loc[common, "va_secondary"] / total
    # fractions, not percent; equal to the first-published NBS sector composition (over the
    # sum of the sectors: the compilation's 2001-2008 and 2013 totals are census-revised)
    assert p.gpi_tertiary_share.dropna().between(0.1, 0.9).all()
    assert len(common) == 31 * 19
    assert (np.abs(p.loc[common, "gpi_tertiary_share"] - ter) < 0.0025).all()
    assert (np.abs(p.loc[common, "gpi_secondary_share"] - sec) < 0.0025).mean() > 0.95
    assert _at(panel, 310000, 1985, "gpi_secondary_share") == pytest.approx(0.697654, abs=1e-6)


def test_gdp_close_to_nbs(raw_dir, panel):
    g = _published(raw_dir)["gdp"]
    p = panel.set_index(["province_code", "year"])["gpi_gdp"]
    rel = (p / g.reindex(p.index) - 1).dropna()
    # identical NBS figures 2006-2017; earlier years and 2018 are other (revised) vintages
    mid = rel[(rel.index.get_level_values("year") >= 2006) & (rel.index.get_level_values("year") <= 2017)]
    assert len(mid) == 31 * 12 and (mid.abs() > 1e-3).sum() == 1  # 海南 2006 (+2.0 %)
    assert _at(panel, 440000, 2018, "gpi_gdp") > g.loc[(440000, 2018)]  # post-census revision


def test_unknown_english_name_raises(tmp_path, raw_dir):
    sheets = pd.read_excel(raw_dir / gpi.XLSX, sheet_name=["GDP"], header=None)
    df = sheets["GDP"]
    df.iat[5, 0] = "Atlantis"
    target = tmp_path / gpi.XLSX
    target.parent.mkdir(parents=True)
    with pd.ExcelWriter(target) as w:
        df.to_excel(w, sheet_name="GDP", header=False, index=False)
    with pytest.raises(UnknownProvinceError, match=r"\[GDP\], row 6"):
        gpi.read_block(tmp_path, "GDP")
