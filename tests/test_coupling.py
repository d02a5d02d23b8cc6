"""Coupling coordination: closed forms, properties, Wang et al. (2021) Table 8, classes."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.measures import (
    COORDINATION_CLASSES,
    classify_coordination,
    coupling_coordination,
    relative_development_type,
)

unit = st.floats(0.0, 1.0, allow_nan=False)


def test_two_subsystems_closed_form():
    U = pd.DataFrame({"st": [0.2, 0.5, 0.9, 0.0], "ind": [0.6, 0.5, 0.3, 0.4]},
                     index=list("abcd"))
    out = coupling_coordination(U)
    for i, (u1, u2) in enumerate(U.to_numpy()):
        c = 2 * math.sqrt(u1 * u2) / (u1 + u2)
        t = 0.5 * u1 + 0.5 * u2
        assert out["C"].iloc[i] == pytest.approx(c, abs=1e-15)
        assert out["T"].iloc[i] == pytest.approx(t, abs=1e-15)
        assert out["D"].iloc[i] == pytest.approx(math.sqrt(c * t), abs=1e-15)
    assert list(out.columns) == ["C", "T", "D"]
    assert out.index.equals(U.index)
    # hand numbers: (0.2, 0.6): C = 2*sqrt(.12)/.8 = 0.8660254, T = .4, D = 0.5885662
    assert out.loc["a", "C"] == pytest.approx(0.8660254038, abs=1e-10)
    assert out.loc["a", "D"] == pytest.approx(0.5885661912, abs=1e-10)


def test_three_subsystems_and_weights():
    U = pd.DataFrame({"a": [0.2], "b": [0.4], "c": [0.8]})
    out = coupling_coordination(U, weights=[0.5, 0.3, 0.2])
    c = (0.2 * 0.4 * 0.8 / ((1.4 / 3) ** 3)) ** (1 / 3)
    t = 0.5 * 0.2 + 0.3 * 0.4 + 0.2 * 0.8
    assert out["C"].iloc[0] == pytest.approx(c, abs=1e-14)
    assert out["T"].iloc[0] == pytest.approx(t, abs=1e-15)
    out2 = coupling_coordination(U, weights=pd.Series({"c": 0.2, "a": 0.5, "b": 0.3}))
    pd.testing.assert_frame_equal(out, out2)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 6), data=st.data())
def test_C_in_unit_interval_and_one_when_equal(n, data):
    u = data.draw(arrays(float, (5, n), elements=unit))
    U = pd.DataFrame(u, columns=[f"s{i}" for i in range(n)])
    for variant in ("standard", "wang2021"):
        out = coupling_coordination(U, variant=variant)
        assert ((out["C"] >= 0) & (out["C"] <= 1)).all()
        assert ((out["D"] >= 0) & (out["D"] <= 1)).all()
        v = data.draw(unit)
        eq = coupling_coordination(pd.DataFrame([[v] * n]), variant=variant)
        assert eq["C"].iloc[0] == pytest.approx(1.0, abs=1e-12)
        assert eq["D"].iloc[0] == pytest.approx(math.sqrt(v), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(u=arrays(float, (4, 3), elements=st.floats(0.01, 1.0)))
def test_C_exceeds_one_over_n_cap_of_the_dropped_factor_mistake(u):
    # the mistaken form [ΠU/(ΣU)^n]^(1/n) equals C/n; ours is n times it
    out = coupling_coordination(pd.DataFrame(u))
    wrong = (u.prod(axis=1) / u.sum(axis=1) ** 3) ** (1 / 3)
    np.testing.assert_allclose(out["C"], 3 * wrong, rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(u=arrays(float, (6, 2), elements=unit), seed=st.integers(0, 1000))
def test_permuting_rows_permutes_results(u, seed):
    U = pd.DataFrame(u, columns=["x", "y"])
    perm = np.random.default_rng(seed).permutation(6)
    a = coupling_coordination(U)
    b = coupling_coordination(U.iloc[perm])
    pd.testing.assert_frame_equal(a.iloc[perm], b)


def test_wang2021_closed_forms():
    # n = 2: C = sqrt[(1 - |U1 - U2|) * min/max]
    U = pd.DataFrame({"x": [0.2, 0.9], "y": [0.6, 0.3]})
    out = coupling_coordination(U, variant="wang2021")
    assert out["C"].iloc[0] == pytest.approx(math.sqrt((1 - 0.4) * (0.2 / 0.6)), abs=1e-15)
    assert out["C"].iloc[1] == pytest.approx(math.sqrt((1 - 0.6) * (0.3 / 0.9)), abs=1e-15)
    # n = 3: Σ_{m=1}^{2} m = 3 pairs; product exponent 1/(n-1) = 1/2
    U3 = pd.DataFrame({"a": [0.2], "b": [0.4], "c": [0.8]})
    gaps = (0.2 + 0.6 + 0.4) / 3
    prod = (0.2 / 0.8 * 0.4 / 0.8 * 1.0) ** 0.5
    c = coupling_coordination(U3, variant="wang2021")["C"].iloc[0]
    assert c == pytest.approx(math.sqrt((1 - gaps) * prod), abs=1e-15)


# Wang et al. (2021), 自然资源学报 36(3), Table 8, year 2008, 13 Beijing-Tianjin-Hebei cities:
# original C (first row) and modified C (second row) of the eco-economic system (n = 2).
TABLE8_2008_ORIGINAL = [0.9989, 0.9935, 0.8868, 0.9073, 0.6821, 0.8328, 0.6816, 0.7789, 0.6871,
                        0.6101, 0.8017, 0.7867, 0.7191]
TABLE8_2008_MODIFIED = [0.9404, 0.8660, 0.5440, 0.5769, 0.3006, 0.4780, 0.3344, 0.4171, 0.3278,
                        0.2700, 0.4374, 0.4196, 0.3738]


def test_wang2021_consistent_with_published_table8():
    """Invert the published pairs to (U_min, U_max) and recompute both C's.

    The original C of two subsystems depends only on r = U_min/U_max; the modified C on r and
    the gap U_max − U_min. For each city we recover r from the original C, the gap from the
    modified C under our formula, check that the implied scores are valid (0 ≤ U_min ≤ U_max ≤ 1)
    and that our implementation then reproduces both published values. (The form without the
    outer square root gives a negative 1 − gap for every city, i.e. it cannot have produced the
    table.)
    """
    o = np.array(TABLE8_2008_ORIGINAL)
    m = np.array(TABLE8_2008_MODIFIED)
    s = (1 - np.sqrt(1 - o**2)) / o  # sqrt(r) solving 2 sqrt(r)/(1 + r) = C
    r = s**2
    gap = 1 - m**2 / r
    umax = gap / (1 - r)
    umin = r * umax
    assert ((umin >= 0) & (umax <= 1) & (gap > 0)).all()
    U = pd.DataFrame({"eco": umin, "econ": umax})
    np.testing.assert_allclose(coupling_coordination(U)["C"], o, atol=1e-12)
    np.testing.assert_allclose(coupling_coordination(U, variant="wang2021")["C"], m, atol=1e-12)
    assert (1 - m / r < 0).all()  # un-square-rooted form impossible


def test_classification_interval_ends():
    d = pd.Series([0.0, 0.0999, 0.1, 0.35, 0.5, 0.6, 0.7999999, 0.8, 0.9, 0.95, 1.0, np.nan])
    lv = classify_coordination(d, lang="level")
    assert lv.iloc[:11].tolist() == [1, 1, 2, 4, 6, 7, 8, 9, 10, 10, 10]
    assert pd.isna(lv.iloc[11])
    zh = classify_coordination(d)
    assert zh.iloc[0] == "极度失调" and zh.iloc[10] == "优质协调" and zh.iloc[4] == "勉强协调"
    en = classify_coordination(d, lang="en")
    assert en.iloc[0] == "extreme imbalance" and en.iloc[10] == "high-quality coordination"
    assert en.cat.ordered
    assert len(COORDINATION_CLASSES) == 10
    with pytest.raises(ValueError):
        classify_coordination([1.2])


def test_relative_development_type():
    U = pd.DataFrame({"st": [0.5, 0.3, 0.62, 0.1], "ind": [0.55, 0.6, 0.3, 0.15]})
    lag = relative_development_type(U, tolerance=0.1)
    assert lag.tolist() == ["synchronous", "st", "ind", "synchronous"]
    lag2 = relative_development_type(U, tolerance=0.0, balanced="同步")
    assert lag2.tolist() == ["st", "st", "ind", "st"]


def test_errors():
    with pytest.raises(ValueError, match=r"'ind'.*1.5"):
        coupling_coordination(pd.DataFrame({"st": [0.2], "ind": [1.5]}))
    with pytest.raises(ValueError, match="missing"):
        coupling_coordination(pd.DataFrame({"st": [0.2], "ind": [np.nan]}))
    with pytest.raises(ValueError, match="at least 2"):
        coupling_coordination(pd.DataFrame({"st": [0.2]}))
    with pytest.raises(ValueError, match="sum to 1"):
        coupling_coordination(pd.DataFrame({"st": [0.2], "ind": [0.3]}), weights=[0.6, 0.6])
    with pytest.raises(ValueError, match="variant"):
        coupling_coordination(pd.DataFrame({"st": [0.2], "ind": [0.3]}), variant="x")
