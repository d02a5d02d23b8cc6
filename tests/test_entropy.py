"""Entropy weight method and entropy-TOPSIS: hand-worked numbers, invariances, errors."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.measures import entropy_topsis, entropy_weight, entropy_weight_by_group


def _reference_entropy(x: np.ndarray, signs, shift: float):
    """Independent loop implementation of the textbook steps."""
    n, m = x.shape
    w_raw, scores = [], np.zeros(n)
    zs = np.zeros_like(x)
    for j in range(m):
        col = x[:, j]
        lo, hi = min(col), max(col)
        z = [((v - lo) if signs[j] > 0 else (hi - v)) / (hi - lo) for v in col]
        zs[:, j] = z
        tot = sum(v + shift for v in z)
        e = 0.0
        for v in z:
            p = (v + shift) / tot
            if p > 0:
                e -= p * math.log(p)
        e /= math.log(n)
        w_raw.append(1 - e)
    w = np.array(w_raw) / sum(w_raw)
    for i in range(n):
        scores[i] = sum(w[j] * zs[i, j] for j in range(m))
    return w, scores


def test_hand_worked_three_rows():
    # a = [1, 2, 4] positive: z = [0, 1/3, 1], p = [0, 1/4, 3/4]
    # b = [3, 1, 2] negative: z = [0, 1, 1/2], p = [0, 2/3, 1/3]
    df = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0]}, index=["x", "y", "z"])
    res = entropy_weight(df, {"b": "-"})
    e_a = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(3)
    e_b = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    assert res.entropy["a"] == pytest.approx(e_a, abs=1e-14)
    assert res.entropy["b"] == pytest.approx(e_b, abs=1e-14)
    w_a = (1 - e_a) / ((1 - e_a) + (1 - e_b))
    assert res.weights["a"] == pytest.approx(w_a, abs=1e-14)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-15)
    # scores: x -> 0, y -> w_a/3 + w_b, z -> w_a + w_b/2
    w_b = 1 - w_a
    expected = pd.Series([0.0, w_a / 3 + w_b, w_a + w_b / 2], index=df.index)
    pd.testing.assert_series_equal(res.scores, expected, check_names=False, atol=1e-14)
    assert res.k == pytest.approx(1 / math.log(3))


@pytest.mark.parametrize("shift", [0.0, 0.0001, 0.01])
def test_matches_loop_reference_panel(shift):
    rng = np.random.default_rng(1)
    # 31 provinces x 14 years panel, k = 1/ln(434)
    idx = pd.MultiIndex.from_product([range(31), range(2010, 2024)], names=["p", "year"])
    x = rng.lognormal(size=(len(idx), 5))
    df = pd.DataFrame(x, index=idx, columns=list("abcde"))
    signs = [1, 1, -1, 1, -1]
    res = entropy_weight(df, dict(zip(df.columns, ["+" if s > 0 else "-" for s in signs], strict=True)),
                         shift=shift)
    w, s = _reference_entropy(x, signs, shift)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(res.scores.to_numpy(), s, rtol=1e-12, atol=1e-15)
    assert res.k == pytest.approx(1 / math.log(31 * 14))
    assert res.scores.index.equals(df.index)


def test_shift_changes_weights_slightly():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.lognormal(size=(60, 3)), columns=list("abc"))
    w0 = entropy_weight(df).weights
    w1 = entropy_weight(df, shift=0.01).weights
    assert not np.allclose(w0, w1)
    assert np.abs(w0 - w1).max() < 0.05


@settings(max_examples=40, deadline=None)
@given(
    scale=st.floats(0.001, 1000.0),
    offset=st.floats(-100.0, 100.0),
    seed=st.integers(0, 10_000),
)
def test_scaling_and_translating_an_indicator_leaves_weights(scale, offset, seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(25, 4)), columns=list("abcd"))
    base = entropy_weight(df, {"d": "-"}, shift=0.001)
    df2 = df.copy()
    df2["b"] = df2["b"] * scale + offset
    other = entropy_weight(df2, {"d": "-"}, shift=0.001)
    np.testing.assert_allclose(other.weights, base.weights, rtol=1e-9)
    np.testing.assert_allclose(other.scores, base.scores, rtol=1e-9, atol=1e-12)


def test_permuting_rows_permutes_scores():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.lognormal(size=(40, 3)), columns=list("abc"))
    perm = rng.permutation(40)
    a = entropy_weight(df, shift=0.0001)
    b = entropy_weight(df.iloc[perm], shift=0.0001)
    pd.testing.assert_series_equal(a.weights, b.weights, rtol=1e-13)
    pd.testing.assert_series_equal(a.scores.iloc[perm], b.scores, rtol=1e-12)


def test_negative_direction_equals_negated_positive():
    rng = np.random.default_rng(4)
    df = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    r1 = entropy_weight(df, {"b": "-"})
    df2 = df.assign(b=-df["b"])
    r2 = entropy_weight(df2)
    pd.testing.assert_series_equal(r1.weights, r2.weights, rtol=1e-13)


def test_more_dispersed_indicator_gets_more_weight():
    # an indicator concentrated on one observation has low entropy -> high weight
    df = pd.DataFrame({"even": np.linspace(1, 2, 20), "spiky": [0.0] * 19 + [1.0]})
    w = entropy_weight(df, shift=0.0001).weights
    assert w["spiky"] > w["even"]


def test_errors_name_the_column():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "const": [5.0, 5.0, 5.0]})
    with pytest.raises(ValueError, match="const"):
        entropy_weight(df)
    res = entropy_weight(df, on_constant="zero")
    assert res.weights["const"] == 0.0 and res.weights["a"] == pytest.approx(1.0)
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 4.0]}, index=["p", "q", "r"])
    with pytest.raises(ValueError, match=r"'a'.*'q'"):
        entropy_weight(df)
    df = pd.DataFrame({"a": [1.0, -2.0, 3.0], "b": [1.0, 2.0, 4.0]})
    with pytest.raises(ValueError, match="'a'"):
        entropy_weight(df, normalise="none")
    with pytest.raises(ValueError, match="shift"):
        entropy_weight(df, shift=-0.1)
    with pytest.raises(ValueError, match="direction"):
        entropy_weight(df, {"a": "up"})
    with pytest.raises(ValueError, match="not in data"):
        entropy_weight(df, {"zz": "-"})


def test_normalise_none_uses_raw_proportions():
    df = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": [1.0, 2.0, 3.0]})
    res = entropy_weight(df, normalise="none")
    p = np.array([0.25, 0.25, 0.5])
    e_a = -(p * np.log(p)).sum() / np.log(3)
    assert res.entropy["a"] == pytest.approx(e_a, abs=1e-14)


def test_cross_sectional_by_year_equals_separate_fits():
    rng = np.random.default_rng(5)
    idx = pd.MultiIndex.from_product([range(10), [2020, 2021, 2022]], names=["p", "year"])
    df = pd.DataFrame(rng.lognormal(size=(30, 3)), index=idx, columns=list("abc"))
    res = entropy_weight_by_group(df, "year", {"c": "-"}, shift=0.01)
    for yr in (2020, 2021, 2022):
        sub = df.xs(yr, level="year", drop_level=False)
        one = entropy_weight(sub, {"c": "-"}, shift=0.01)
        np.testing.assert_allclose(res.weights.loc[yr], one.weights, rtol=1e-13)
        np.testing.assert_allclose(res.scores.loc[sub.index], one.scores, rtol=1e-13)
        assert one.k == pytest.approx(1 / math.log(10))
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0)
    assert res.weights.index.name == "year"


def test_topsis_minmax_hand_computed():
    df = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0]})
    w = pd.Series({"a": 0.6, "b": 0.4})
    res = entropy_topsis(df, {"b": "-"}, weights=w)
    z = np.array([[0, 0], [1 / 3, 1], [1, 0.5]])
    v = z * [0.6, 0.4]
    dp = np.sqrt(((v - [0.6, 0.4]) ** 2).sum(axis=1))
    dm = np.sqrt((v**2).sum(axis=1))
    np.testing.assert_allclose(res.closeness, dm / (dp + dm), rtol=1e-13)
    assert res.closeness.iloc[0] == 0.0


def test_topsis_vector_normalisation_and_entropy_weights():
    df = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0]})
    res = entropy_topsis(df, {"b": "-"}, normalisation="vector", shift=0.01)
    ent = entropy_weight(df, {"b": "-"}, shift=0.01)
    pd.testing.assert_series_equal(res.weights, ent.weights)
    r = df / np.sqrt((df**2).sum())
    v = r * ent.weights
    vplus = np.array([v["a"].max(), v["b"].min()])
    vminus = np.array([v["a"].min(), v["b"].max()])
    dp = np.sqrt(((v.to_numpy() - vplus) ** 2).sum(axis=1))
    dm = np.sqrt(((v.to_numpy() - vminus) ** 2).sum(axis=1))
    np.testing.assert_allclose(res.closeness, dm / (dp + dm), rtol=1e-13)


def test_by_group_aligns_series_on_the_index_and_rejects_missing_groups():
    # Two groups of three rows; the groups Series is given in reverse row order.
    df = pd.DataFrame({"a": [1.0, 2.0, 4.0, 10.0, 30.0, 20.0], "b": [3.0, 1.0, 2.0, 1.0, 2.0, 4.0]},
                      index=list("pqrstu"))
    g = pd.Series([1, 1, 1, 2, 2, 2], index=df.index)
    res = entropy_weight_by_group(df, g.iloc[::-1])
    # group 1 is the hand-worked example of test_hand_worked_three_rows with b positive:
    # a: p = (0, 1/4, 3/4); b: z = (1, 0, 1/2), p = (2/3, 0, 1/3)
    e_a = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(3)
    e_b = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    assert res.weights.loc[1, "a"] == pytest.approx((1 - e_a) / (2 - e_a - e_b), abs=1e-14)
    one = entropy_weight(df.iloc[3:])
    np.testing.assert_allclose(res.scores.loc[["s", "t", "u"]], one.scores, rtol=1e-14)
    with pytest.raises(ValueError, match=r"groups has 2 missing, empty or blank label\(s\): rows \[.t., .u.\]"):
        entropy_weight_by_group(df, [1, 1, 1, 2, np.nan, np.nan])
    with pytest.raises(ValueError, match="index differs"):
        entropy_weight_by_group(df, pd.Series([1, 1, 1, 2, 2, 2]))
    with pytest.raises(ValueError, match="duplicate indicator"):
        entropy_weight(pd.DataFrame([[1.0, 2.0], [3.0, 1.0], [2.0, 2.0]], columns=["a", "a"]))


def test_scores_stay_in_unit_interval_and_feed_coupling():
    """The best-on-every-indicator row scores Σ_j w_j; in floating point that sum can be
    1 + 2.2e-16 (here it is), which used to make coupling_coordination reject the score."""
    from analysis.measures import coupling_coordination

    X = pd.DataFrame({"x": [0.0, 1.0, 3.0], "y": [0.0, 2.0, 3.0], "z": [0.0, 3.0, 5.0]})
    res = entropy_weight(X)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-15)
    assert res.scores.iloc[2] == 1.0 and res.scores.iloc[0] == 0.0
    U = pd.DataFrame({"a": res.scores, "b": [0.0, 0.5, 1.0 + 2.2e-16]})
    cc = coupling_coordination(U)
    assert cc["C"].iloc[2] == pytest.approx(1.0, abs=1e-15)
    assert cc["D"].iloc[2] == pytest.approx(1.0, abs=1e-15)
