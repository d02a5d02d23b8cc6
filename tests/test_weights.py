"""CRITIC and PCA weights: hand-worked numbers and an independent recomputation.

* CRITIC: a hand-worked case (a duplicated indicator splits the information of one), and the
  textbook steps recomputed with pandas (``std``/``corr``) on a random panel.
* PCA: equal weights for two correlated indicators (one component, by hand); on random data the
  weights recomputed with scikit-learn's PCA and statsmodels' gradient-projection varimax
  (``rotate_factors``) instead of our eigen-decomposition and Kaiser's pairwise varimax.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.measures import critic_weight, pca_weight
from analysis.measures.weights import pca_weights_array, varimax

# --------------------------------------------------------------------- CRITIC


def test_critic_hand_worked_duplicate_indicator():
    # a and b identical (r = 1), c uncorrelated with both (r = 0); all have sd 0.5 after min-max.
    # C_a = 0.5·[(1−1) + (1−1) + (1−0)] = 0.5, C_b = 0.5, C_c = 0.5·[(1−0) + (1−0) + 0] = 1
    df = pd.DataFrame({"a": [0.0, 1.0, 0.0, 1.0], "b": [0.0, 1.0, 0.0, 1.0],
                       "c": [0.0, 0.0, 1.0, 1.0]})
    res = critic_weight(df)
    np.testing.assert_allclose(res.weights.to_numpy(), [0.25, 0.25, 0.5], atol=1e-15)
    np.testing.assert_allclose(res.table["sd"], 0.5)
    np.testing.assert_allclose(res.table["conflict"], [1.0, 1.0, 2.0], atol=1e-15)
    # a negative direction flips the sign of the correlations with the others
    res_neg = critic_weight(df, {"b": "-"})
    # b' = 1 − b: r(a, b') = −1, so conflict_a = 0 + 2 + 1 = 3 = conflict_b', conflict_c = 2
    np.testing.assert_allclose(res_neg.weights.to_numpy(), [3 / 8, 3 / 8, 2 / 8], atol=1e-15)


def _critic_pandas(df: pd.DataFrame, signs: dict[str, int]) -> pd.Series:
    z = df * pd.Series(signs)
    z = (z - z.min()) / (z.max() - z.min())
    info = z.std(ddof=1) * (1 - z.corr()).sum()
    return info / info.sum()


def test_critic_matches_pandas_recomputation():
    rng = np.random.default_rng(4)
    idx = pd.MultiIndex.from_product([range(31), range(2016, 2024)], names=["p", "year"])
    df = pd.DataFrame(rng.lognormal(size=(len(idx), 5)), index=idx, columns=list("abcde"))
    df["e"] = df["a"] * 0.8 + rng.normal(scale=0.3, size=len(df))  # correlated with a
    signs = {"a": 1, "b": 1, "c": -1, "d": 1, "e": -1}
    res = critic_weight(df, {k: ("+" if v > 0 else "-") for k, v in signs.items()})
    exp = _critic_pandas(df, signs)
    np.testing.assert_allclose(res.weights[exp.index], exp, rtol=1e-12)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-15)


def test_critic_errors_and_constant_zero():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "k": [4.0, 4.0, 4.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match=r"constant indicator\(s\) \['k'\]"):
        critic_weight(df)
    res = critic_weight(df, on_constant="zero")
    assert res.weights["k"] == 0.0
    np.testing.assert_allclose(res.weights[["a", "b"]].to_numpy(),
                               critic_weight(df[["a", "b"]]).weights.to_numpy())
    with pytest.raises(ValueError, match="missing or infinite"):
        critic_weight(df.assign(a=[1.0, np.nan, 2.0]))
    assert critic_weight(df[["a"]]).weights.tolist() == [1.0]


# --------------------------------------------------------------------- PCA


def test_pca_two_correlated_indicators_equal_weights_by_hand():
    # correlation r: eigenvalues 1 ± r; for r > 0.2 only the first is retained
    # (eigenvalue 1 + r > 1, share (1 + r)/2 ≥ 60 %), loadings both √((1 + r)/2) → weights ½, ½
    rng = np.random.default_rng(1)
    a = rng.normal(size=200)
    df = pd.DataFrame({"a": a, "b": a + rng.normal(scale=0.5, size=200)})
    res = pca_weight(df)
    assert res.n_factors == 1
    np.testing.assert_allclose(res.weights.to_numpy(), [0.5, 0.5], atol=1e-12)
    r = np.corrcoef(df["a"], df["b"])[0, 1]
    np.testing.assert_allclose(res.eigenvalues.to_numpy(), [1 + r, 1 - r], rtol=1e-12)
    np.testing.assert_allclose(res.table["loading_sq"], (1 + r) / 2, rtol=1e-12)


def _varimax_gpa(L: np.ndarray) -> np.ndarray:
    from statsmodels.multivariate.factor_rotation import rotate_factors

    return rotate_factors(L, "varimax", tol=1e-6, max_tries=2000)[0]


def _pca_weights_independent(df: pd.DataFrame) -> np.ndarray:
    """Handbook §6.1 with scikit-learn PCA and statsmodels' varimax."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    x = StandardScaler().fit_transform(df.to_numpy())
    pca = PCA().fit(x)
    m = x.shape[1]
    eig = pca.explained_variance_ratio_ * m  # eigenvalues of the correlation matrix
    share = pca.explained_variance_ratio_
    k = max(int(((eig > 1) & (share > 0.1)).sum()), 1)
    while share[:k].sum() < 0.6:
        k += 1
    L = pca.components_[:k].T * np.sqrt(eig[:k])
    if k > 1:
        L = _varimax_gpa(L)
    sq = L**2
    w = sq.max(axis=1)
    return w / w.sum(), k


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pca_weights_match_sklearn_and_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = 248
    f1, f2 = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame({
        "a": f1 + 0.4 * rng.normal(size=n), "b": f1 + 0.6 * rng.normal(size=n),
        "c": f2 + 0.5 * rng.normal(size=n), "d": f2 + 0.7 * rng.normal(size=n),
        "e": 0.5 * f1 + 0.5 * f2 + rng.normal(size=n)})
    res = pca_weight(df, {"c": "-"})
    exp, k = _pca_weights_independent(df)
    assert res.n_factors == k == 2
    np.testing.assert_allclose(res.weights.to_numpy(), exp, rtol=1e-5)
    # each indicator sits on the factor that carries its block
    fac = res.table["factor"]
    assert fac["a"] == fac["b"] and fac["c"] == fac["d"] and fac["a"] != fac["c"]


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 3))
def test_varimax_reaches_the_statsmodels_optimum(seed, k):
    rng = np.random.default_rng(seed)
    L = rng.normal(size=(8, k))
    mine, ref = varimax(L), _varimax_gpa(L)

    def crit(a):
        return ((a**4).mean(axis=0) - ((a**2).mean(axis=0)) ** 2).sum()

    assert crit(mine) >= crit(ref) - 1e-9
    # an orthogonal rotation: communalities (row sums of squares) unchanged
    np.testing.assert_allclose((mine**2).sum(axis=1), (L**2).sum(axis=1), rtol=1e-10)


def test_pca_errors_and_degenerate_inputs():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "k": 2.0, "b": [3.0, 1.0, 2.0, 2.0]})
    with pytest.raises(ValueError, match=r"constant indicator\(s\) \['k'\]"):
        pca_weight(df)
    res = pca_weight(df, on_constant="zero")
    assert res.weights["k"] == 0.0 and res.weights.sum() == pytest.approx(1.0)
    assert pca_weight(df[["a"]]).weights.tolist() == [1.0]
    with pytest.raises(ValueError, match="constant"):
        pca_weights_array(np.ones((5, 2)))
