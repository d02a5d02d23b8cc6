"""Schemas of the processed tables: each deliberately broken input gives its own clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data import schemas
from analysis.data.schemas import PROVINCE_CODES, SchemaError, validate_io, validate_panel


@pytest.fixture
def good() -> pd.DataFrame:
    """31 provinces x 2020-2022 with plausible values (亿元, shares)."""
    rng = np.random.default_rng(0)
    grid = pd.MultiIndex.from_product([PROVINCE_CODES, [2020, 2021, 2022]],
                                      names=["province_code", "year"]).to_frame(index=False)
    n = len(grid)
    va = rng.uniform(100, 20000, size=(n, 3))
    return grid.astype("int64").assign(
        va_primary=va[:, 0] / 10, va_secondary=va[:, 1], va_tertiary=va[:, 2],
        gdp=va[:, 0] / 10 + va[:, 1] + va[:, 2],
        rd_intensity=rng.uniform(0.003, 0.065, n),
        urbanisation=rng.uniform(0.3, 0.9, n),
        rd_exp=rng.uniform(1, 4000, n),
    )


def test_good_panel_passes(good):
    assert validate_panel(good) is good


def test_province_dropped(good):
    bad = good[~((good.province_code == 540000) & (good.year == 2021))]
    with pytest.raises(SchemaError) as err:
        validate_panel(bad)
    msg = str(err.value)
    assert "all 31 provinces" in msg and "2021: missing [540000]" in msg


def test_duplicated_row(good):
    bad = pd.concat([good, good.iloc[[5]]], ignore_index=True)
    with pytest.raises(SchemaError) as err:
        validate_panel(bad)
    row = good.iloc[5]
    assert "duplicated keys" in str(err.value)
    assert f"'province_code': {int(row.province_code)}, 'year': {int(row.year)}" in str(err.value)


def test_gdp_in_wrong_unit(good):
    """GDP in 万元 instead of 亿元 (x 10,000) for one province-year is caught and located."""
    bad = good.copy()
    i = bad.index[(bad.province_code == 440000) & (bad.year == 2022)][0]
    bad.loc[i, "gdp"] *= 10_000
    with pytest.raises(SchemaError) as err:
        validate_panel(bad)
    msg = str(err.value)
    assert "column gdp" in msg and "in_range" in msg
    assert "province_code=440000, year=2022" in msg


def test_share_given_in_percent(good):
    bad = good.assign(rd_intensity=good.rd_intensity * 100)
    with pytest.raises(SchemaError, match=r"column rd_intensity: check in_range\(0, 1\)"):
        validate_panel(bad)


def test_negative_money_for_unregistered_column(good):
    bad = good.assign(new_money=-1.0)
    validate_panel(bad)  # unit unknown: no sign restriction
    with pytest.raises(SchemaError, match=r"column new_money: check greater_than_or_equal_to\(0\)"):
        validate_panel(bad, units={"new_money": "亿元"})


def test_nan_in_key(good):
    bad = good.astype({"year": "float64"})
    bad.loc[3, "year"] = np.nan
    with pytest.raises(SchemaError, match=r"NaN in key column 'year' at rows \[3\]"):
        validate_panel(bad)


def test_unknown_province_code(good):
    bad = good.copy()
    bad.loc[0, "province_code"] = 710000  # Taiwan: not among the 31 mainland provinces
    with pytest.raises(SchemaError, match=r"column province_code: check isin"):
        validate_panel(bad)


def test_infinite_value(good):
    bad = good.copy()
    bad.loc[7, "rd_exp"] = np.inf
    with pytest.raises(SchemaError, match="column rd_exp: check finite"):
        validate_panel(bad)


def test_ranges_cover_published_extremes():
    """Bounds hold the largest published values (Guangdong 2023 GDP 135,673 亿元; R&D 4,803 亿元)."""
    lo, hi = schemas.RANGES["gdp"]
    assert lo <= 117 and 135_673 <= hi < 135_673 * 10_000
    assert schemas.RANGES["rd_exp"][1] >= 4_803


# ------------------------------------------------------------------------------------------
# IO tables
# ------------------------------------------------------------------------------------------

@pytest.fixture
def flows() -> pd.DataFrame:
    codes = [f"{i:02d}" for i in range(1, 4)]
    return pd.DataFrame({"province_code": np.int64(110000), "year": np.int64(2017),
                         "from_sector": np.repeat(codes, 3), "to_sector": np.tile(codes, 3),
                         "flow": np.arange(9, dtype=float)})


def test_io_flows_ok_and_duplicate(flows):
    validate_io(flows, "flows")
    with pytest.raises(SchemaError, match="io_flows"):
        validate_io(pd.concat([flows, flows.iloc[[0]]]), "flows")


def test_io_bad_sector_code(flows):
    bad = flows.copy()
    bad.loc[0, "from_sector"] = "A1"
    with pytest.raises(SchemaError, match=r"column from_sector: check str_matches"):
        validate_io(bad, "flows")


def test_io_value_in_wan_yuan_fails(flows):
    """A table left in 万元: the smallest table's largest sector output, Ningxia 2002 GO of
    159.67 亿元, passes; the same in 万元 (1,596,700) fails and is located."""
    ok = flows.copy()
    ok.loc[4, "flow"] = 159.67
    validate_io(ok, "flows")
    ok.loc[4, "flow"] = 1_596_700.0
    with pytest.raises(SchemaError, match=r"column flow: check .*in 万元.* 1 row\(s\), "
                                          r"e\.g\. \(province_code=110000, year=2017: 1596700"):
        validate_io(ok, "flows")


def test_io_missing_column(flows):
    with pytest.raises(SchemaError, match=r"io_flows: missing column\(s\) \['flow'\]"):
        validate_io(flows.drop(columns="flow"), "flows")


# ------------------------------------------------------------------------------------------
# the real panel
# ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_real_panel_passes_and_breaks(panel):
    validate_panel(panel)
    with pytest.raises(SchemaError, match="provinces missing by year"):
        validate_panel(panel[panel.province_code != 110000])


@pytest.mark.parametrize("col,value", [("trade", 95289.9), ("nqp_gdp", 135673.2),
                                       ("gpi_gdp", 99945.22), ("nqp_ind_rd_fte", 92.04),
                                       ("nqp_budget_exp", 18533.08)])
def test_wrong_unit_in_trade_and_second_source_copies(good, col, value):
    """Largest published value passes; the same value in 万元 (x 10^4) fails, located."""
    ok = good.assign(**{col: 60.0})
    i = ok.index[(ok.province_code == 440000) & (ok.year == 2022)][0]
    ok.loc[i, col] = value
    validate_panel(ok)
    ok.loc[i, col] = value * 10_000
    with pytest.raises(SchemaError) as err:
        validate_panel(ok)
    assert f"column {col}: check in_range" in str(err.value)
    assert "province_code=440000, year=2022" in str(err.value)


def test_empty_panel_is_rejected(good):
    """Zero rows trivially satisfied 'all 31 provinces in every year': now an explicit error."""
    with pytest.raises(SchemaError, match="panel: no rows"):
        validate_panel(good.iloc[:0])
