"""The simple S&T / industrial-innovation coupling used by `python -m analysis measures`."""

import numpy as np
import pandas as pd
import pytest

from analysis.measures import coupling_coordination, entropy_weight
from analysis.reporting.summary import SIMPLE_SPEC, simple_st_ind_coupling


def _panel(seed=0):
    rng = np.random.default_rng(seed)
    rows = [(c, y) for c in (110000, 120000, 130000, 140000) for y in range(2015, 2023)]
    p = pd.DataFrame(rows, columns=["province_code", "year"])
    cols = {c for spec in SIMPLE_SPEC.values() for pair in spec.values() for c in pair if c}
    for c in sorted(cols):
        p[c] = rng.uniform(1, 10, len(p))
    p.loc[p.year < 2018, "ind_new_product_sales"] = np.nan  # as in the real panel
    return p


def test_window_and_recomputation():
    p = _panel()
    res = simple_st_ind_coupling(p, 2022)
    assert res.attrs["window"] == (2018, 2022)
    win = p[p.year >= 2018].reset_index(drop=True)
    st = pd.DataFrame({
        "rd_intensity": win.rd_intensity, "rd_fte_pc": win.rd_fte / win.population,
        "invention_grants_pc": win.patent_grant_invention / win.population,
        "basic_share": win.basic_share, "fiscal_st_share": win.fiscal_st_exp / win.budget_exp,
    })
    ind = pd.DataFrame({
        "hightech_revenue_gdp": win.hightech_revenue / win.gdp,
        "new_product_sales_gdp": win.ind_new_product_sales / win.gdp,
        "tech_market_gdp": win.tech_market_seller / win.gdp,
        "hightech_enterprises_pc": win.hightech_enterprises / win.population,
    })
    U = pd.DataFrame({"U_st": entropy_weight(st, shift=0.0001).scores,
                      "U_ind": entropy_weight(ind, shift=0.0001).scores})
    cc = coupling_coordination(U)
    last = (win.year == 2022).to_numpy()
    np.testing.assert_allclose(res["D"], cc.loc[last, "D"], rtol=1e-13)
    np.testing.assert_allclose(res["U_st"], U.loc[last, "U_st"], rtol=1e-13)
    assert res["province_code"].tolist() == [110000, 120000, 130000, 140000]


def test_incomplete_year_raises():
    p = _panel()
    p.loc[(p.year == 2022) & (p.province_code == 110000), "gdp"] = np.nan
    with pytest.raises(ValueError, match="2022 is incomplete"):
        simple_st_ind_coupling(p, 2022)


def test_chain_linkage_read_or_computed(tmp_path, monkeypatch):
    """The stored chain_linkage.parquet is printed (the runner keeps it current); without it the
    indicator is computed from the IO tables."""
    from analysis import paths
    from analysis.data import io_tables
    from analysis.reporting import summary

    monkeypatch.setattr(paths, "processed_dir", lambda: tmp_path)
    for k in ("flows", "final", "va"):
        pd.DataFrame({"x": [1]}).to_parquet(tmp_path / f"io_{k}.parquet")
    monkeypatch.setattr(io_tables, "io_tables_from_frames", lambda frames: {})
    chain, how = summary._chain_linkage()
    assert how == "computed from io_*.parquet" and len(chain) == 0
    stored = pd.DataFrame({"province_code": [110000], "io_year": [2017], "chain_linkage": [9.0]})
    stored.to_parquet(tmp_path / "chain_linkage.parquet")
    chain, how = summary._chain_linkage()
    assert how == "chain_linkage.parquet" and chain["chain_linkage"].item() == 9.0
