"""Industrial-structure indices: hand-worked values and properties."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.measures import (
    advanced_structure,
    hightech_share,
    rationalisation_theil,
    structure_indices,
    structure_level,
)


def test_hand_worked_province():
    # Y = (10, 40, 50), L = (30, 30, 40): Y/L overall = 1
    va = pd.DataFrame([[10.0, 40.0, 50.0]], columns=["p", "s", "t"])
    emp = pd.DataFrame([[30.0, 30.0, 40.0]], columns=["p", "s", "t"])
    tl = 0.1 * math.log((10 / 30) / 1) + 0.4 * math.log((40 / 30) / 1) + 0.5 * math.log(50 / 40)
    assert rationalisation_theil(va, emp).iloc[0] == pytest.approx(tl, abs=1e-15)
    assert structure_level(va).iloc[0] == pytest.approx(1 * 0.1 + 2 * 0.4 + 3 * 0.5)
    assert advanced_structure(pd.Series([50.0]), pd.Series([40.0])).iloc[0] == 1.25


def test_tl_zero_when_productivities_equal():
    va = np.array([[5.0, 20.0, 25.0]])
    emp = va * 3.7  # same productivity in every sector
    assert rationalisation_theil(va, emp).iloc[0] == pytest.approx(0.0, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(
    va=arrays(float, (5, 3), elements=st.floats(0.01, 1e4)),
    emp=arrays(float, (5, 3), elements=st.floats(0.01, 1e4)),
    c=st.floats(0.01, 100.0),
)
def test_tl_nonnegative_and_scale_invariant(va, emp, c):
    tl = rationalisation_theil(va, emp)
    assert (tl >= -1e-12).all()
    np.testing.assert_allclose(rationalisation_theil(va * c, emp), tl, atol=1e-10)
    np.testing.assert_allclose(rationalisation_theil(va, emp * c), tl, atol=1e-10)
    h = structure_level(va)
    assert ((h >= 1 - 1e-12) & (h <= 3 + 1e-12)).all()


def test_structure_indices_panel_and_gaps():
    panel = pd.DataFrame({
        "province_code": [110000, 110000, 120000],
        "year": [2020, 2021, 2020],
        "va_primary": [1.0, 1.0, 2.0], "va_secondary": [4.0, 5.0, np.nan],
        "va_tertiary": [15.0, 16.0, 6.0],
        "emp_primary": [1.0, 1.0, 2.0], "emp_secondary": [2.0, 2.0, 3.0],
        "emp_tertiary": [7.0, 7.0, 5.0],
    })
    out = structure_indices(panel)
    assert out.loc[0, "TS"] == 15.0 / 4.0
    assert np.isnan(out.loc[2, "TS"]) and np.isnan(out.loc[2, "TL"])
    tl0 = rationalisation_theil(panel.loc[[0], ["va_primary", "va_secondary", "va_tertiary"]],
                                panel.loc[[0], ["emp_primary", "emp_secondary", "emp_tertiary"]])
    assert out.loc[0, "TL"] == pytest.approx(tl0.iloc[0])
    assert out.loc[0, "TL_neg"] == -out.loc[0, "TL"]


def test_errors_name_column_and_row():
    va = pd.DataFrame([[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]], columns=["a", "b", "c"], index=["x", "y"])
    emp = va + 1
    with pytest.raises(ValueError, match=r"'b'.*'y'"):
        rationalisation_theil(va, emp)
    with pytest.raises(ValueError, match="3 columns"):
        rationalisation_theil(va.iloc[:, :2], emp.iloc[:, :2])
    with pytest.raises(ValueError):
        advanced_structure([1.0], [0.0])
    assert hightech_share([2.0], [4.0])[0] == 0.5


def test_contract_column_names_are_put_in_sector_order():
    # H weights columns by sector number: tertiary-first contract columns must not be read as
    # primary. Y = (10, 40, 50) -> H = 0.1 + 0.8 + 1.5 = 2.4 whatever the column order.
    va = pd.DataFrame({"va_tertiary": [50.0], "va_primary": [10.0], "va_secondary": [40.0]})
    emp = pd.DataFrame({"emp_secondary": [30.0], "emp_tertiary": [40.0], "emp_primary": [30.0]})
    assert structure_level(va).iloc[0] == pytest.approx(2.4, abs=1e-15)
    tl = 0.1 * math.log(10 / 30) + 0.4 * math.log(40 / 30) + 0.5 * math.log(50 / 40)
    assert rationalisation_theil(va, emp).iloc[0] == pytest.approx(tl, abs=1e-15)


def test_structure_indices_equal_the_single_index_functions():
    rng = np.random.default_rng(7)
    va = rng.uniform(1, 50, size=(12, 3))
    emp = rng.uniform(10, 500, size=(12, 3))
    panel = pd.DataFrame(np.hstack([va, emp]), columns=[
        "va_primary", "va_secondary", "va_tertiary", "emp_primary", "emp_secondary", "emp_tertiary"])
    out = structure_indices(panel)
    np.testing.assert_allclose(out["TS"], va[:, 2] / va[:, 1], rtol=1e-15)
    np.testing.assert_allclose(out["H"], (va * [1, 2, 3]).sum(1) / va.sum(1), rtol=1e-15)
    np.testing.assert_allclose(out["TL"], rationalisation_theil(va, emp), rtol=1e-15)


def test_structure_height_hand_worked():
    """刘伟, 张辉 & 黄泽华 (2008) structural height: PH = Σ s_i (LP_i − b_i)/(f_i − b_i)."""
    from analysis.measures import structure_height

    va = pd.DataFrame([[10.0, 40.0, 50.0]], columns=["va_primary", "va_secondary", "va_tertiary"])
    emp = pd.DataFrame([[20.0, 20.0, 10.0]],
                       columns=["emp_primary", "emp_secondary", "emp_tertiary"])
    # s = (0.1, 0.4, 0.5), LP = (0.5, 2, 5)
    assert structure_height(va, emp, lp_end=2.0).iloc[0] == pytest.approx(
        0.1 * 0.25 + 0.4 * 1.0 + 0.5 * 2.5, abs=1e-15)
    # sector benchmarks b = (0, 1, 1), f = (1, 3, 6): LP^N = (0.5, 0.5, 0.8)
    ph = structure_height(va.to_numpy(), emp.to_numpy(), lp_start=[0.0, 1.0, 1.0],
                          lp_end=[1.0, 3.0, 6.0])
    assert ph.iloc[0] == pytest.approx(0.1 * 0.5 + 0.4 * 0.5 + 0.5 * 0.8, abs=1e-15)
    # 0 at the start benchmark, 1 at the end benchmark in every sector
    lp = np.array([[0.5, 2.0, 5.0]])
    assert structure_height(va, emp, lp_start=lp[0], lp_end=lp[0] + 1).iloc[0] == 0.0
    assert structure_height(va, emp, lp_start=lp[0] - 1, lp_end=lp[0]).iloc[0] == 1.0
    # more productivity in one sector, same shares: PH rises; TS would not move
    emp2 = emp.copy()
    emp2["emp_tertiary"] = 5.0
    assert structure_height(va, emp2, lp_end=2.0).iloc[0] > structure_height(va, emp,
                                                                              lp_end=2.0).iloc[0]


def test_structure_height_bad_input():
    from analysis.measures import structure_height

    va = np.array([[10.0, 40.0, 50.0]])
    with pytest.raises(ValueError, match="lp_end must exceed lp_start"):
        structure_height(va, va, lp_start=1.0, lp_end=1.0)
    with pytest.raises(ValueError, match="employment: column 'emp_secondary'"):
        structure_height(va, np.array([[1.0, 0.0, 1.0]]), lp_end=1.0)
    with pytest.raises(ValueError, match="finite"):
        structure_height(va, va, lp_end=np.nan)
