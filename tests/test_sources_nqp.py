"""nqp panel parser: shape, known values, units checked against other sources."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.data.provinces import CODES
from analysis.data.sources import nbs, nqp, techme


@pytest.fixture(scope="module")
def panel(raw_dir):
    return nqp.read(raw_dir)


def _at(df, code, year, col):
    return df.loc[(df.province_code == code) & (df.year == year), col].item()


def test_shape(panel):
    assert panel.shape == (31 * 13, 2 + len(nqp.VARIABLES))
    assert set(panel.province_code) == CODES and set(panel.year) == set(range(2011, 2024))
    cov = panel.groupby("year").count()
    assert cov.loc[2011:2015, "trade"].eq(0).all() and cov.loc[2016:2023, "trade"].eq(31).all()
    assert cov.loc[2011:2012, "ecommerce_sales"].eq(0).all()


def test_known_values(panel):
    # 广东 2023 row of the sheet
    assert _at(panel, 440000, 2023, "nqp_gdp") == pytest.approx(135673.2)  # NBS first release
    assert _at(panel, 440000, 2023, "population") == 12706
    assert _at(panel, 440000, 2023, "students") == pytest.approx(260.1372)  # 2,601,372 人
    assert _at(panel, 440000, 2023, "road_length") == pytest.approx(22.3391)  # 223,391 km
    assert _at(panel, 440000, 2023, "nqp_ind_rd_exp") == pytest.approx(3426.6367)
    assert _at(panel, 440000, 2023, "software_revenue") == pytest.approx(3875.86)
    assert _at(panel, 440000, 2023, "digital_finance") == pytest.approx(426.476055)
    assert _at(panel, 440000, 2023, "ecommerce_sales") == pytest.approx(53154.0483)
    assert _at(panel, 110000, 2021, "trade") == pytest.approx(10189.8)


def test_units_against_other_sources(raw_dir, panel):
    t = techme.read(raw_dir).set_index(["province_code", "year"])
    # NBS sheet1 as compiled (first releases), not the panel's vintage-consistent gdp
    g = nbs.read_gdp_published(raw_dir).rename(columns=lambda c: c.removesuffix("_published"))
    g = g.set_index(["province_code", "year"])
    p = panel.set_index(["province_code", "year"])
    # patents granted identical to techme RDPatentAuthority total
    common = p.index.intersection(t.index)
    assert np.allclose(p.loc[common, "nqp_patent_grant"], t.loc[common, "patent_grant"], rtol=1e-9)
    # tech-market turnover = techme's seller (outflow) series, 亿元, from 2012
    sel = [i for i in common if i[1] >= 2012]
    a, b = p.loc[sel, "nqp_tech_market_seller"], t.loc[sel, "tech_market_seller"]
    ok = a.notna() & b.notna()
    assert ok.sum() > 350 and np.allclose(a[ok], b[ok], rtol=0, atol=1e-3)  # 万元 rounding
    # GDP: same first-published 2022 figures as the NBS compilation
    y22 = p.xs(2022, level="year")["nqp_gdp"]
    assert np.allclose(y22, g.xs(2022, level="year").loc[y22.index, "gdp"], rtol=1e-6)
    # tertiary share ≈ va_tertiary / gdp (NBS compilation) within 1 point, 2011-2022
    share = (g["va_tertiary"] / g["gdp"]).reindex(p.index)
    d = (p["nqp_tertiary_share"] - share).dropna()
    assert len(d) == 31 * 12 and (d.abs() < 0.01).mean() > 0.95
    # industrial-enterprise R&D is below total R&D everywhere
    r = p["nqp_ind_rd_exp"].reindex(common) - t.loc[common, "rd_exp"]
    assert (r.dropna() < 0).all()


def test_trade_sums_to_national_customs_total(panel):
    # goods trade by domestic destination/source: provinces sum to the national total
    s = panel.groupby("year").trade.sum()
    assert s.loc[2021] == pytest.approx(391008.5, rel=1e-6)  # customs 2021: 39.1 万亿元


def test_population_total(panel):
    # 31 provinces' year-end resident population 2023 ≈ 140,967 万 (national incl. military ~ +0.2 %)
    assert 140000 < panel[panel.year == 2023].population.sum() < 141500
