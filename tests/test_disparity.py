"""Gini / Dagum decomposition, convergence and kernel densities: identities, loops, known values."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.measures import (
    beta_convergence,
    dagum_gini,
    dagum_gini_by,
    gini,
    kernel_density,
    sigma_convergence,
    stata_kdensity_bandwidth,
    stata_percentile,
)


def _dagum_loops(y, g):
    """Literal transcription of Dagum (1997) with explicit double loops (independent check)."""
    y = list(map(float, y))
    labels = sorted(set(g))
    grp = {k: [v for v, gg in zip(y, g, strict=True) if gg == k] for k in labels}
    n, mu = len(y), sum(y) / len(y)
    total = sum(abs(a - b) for a in y for b in y) / (2 * n * n * mu)
    mean = {k: sum(v) / len(v) for k, v in grp.items()}
    p = {k: len(v) / n for k, v in grp.items()}
    s = {k: len(v) * mean[k] / (n * mu) for k, v in grp.items()}
    gw = 0.0
    for k, v in grp.items():
        gjj = sum(abs(a - b) for a in v for b in v) / (2 * len(v) ** 2 * mean[k])
        gw += gjj * p[k] * s[k]
    order = sorted(labels, key=lambda k: mean[k])  # ascending
    gnb = gt = 0.0
    pair_gini = {}
    for a in range(len(order)):
        for b in range(a):
            j, h = order[a], order[b]  # mean_j >= mean_h
            yj, yh = grp[j], grp[h]
            gjh = sum(abs(u - v) for u in yj for v in yh) / (len(yj) * len(yh) * (mean[j] + mean[h]))
            d = sum(max(u - v, 0.0) for u in yj for v in yh) / (len(yj) * len(yh))
            pp = sum(max(v - u, 0.0) for u in yj for v in yh) / (len(yj) * len(yh))
            D = (d - pp) / (d + pp) if d + pp > 0 else 0.0  # identical groups
            wgt = p[j] * s[h] + p[h] * s[j]
            gnb += gjh * wgt * D
            gt += gjh * wgt * (1 - D)
            pair_gini[(j, h)] = gjh
    return total, gw, gnb, gt, pair_gini


def test_gini_hand_worked():
    # y = (1, 2, 3, 4): Σ|yi - yj| = 2*(1+2+3+1+2+1) = 20; G = 20 / (2*16*2.5) = 0.25
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25, abs=1e-15)
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)  # 1 - 1/n for full concentration


def test_dagum_hand_worked_two_groups():
    # A = (1, 2), B = (3, 5): non-overlapping -> transvariation 0, D_BA = 1
    y = [1.0, 2.0, 3.0, 5.0]
    g = ["A", "A", "B", "B"]
    r = dagum_gini(y, g)
    mu = 11 / 4
    total = 2 * (1 + 2 + 4 + 1 + 3 + 2) / (2 * 16 * mu)
    assert r.total == pytest.approx(total, abs=1e-15)
    gAA = 2 * 1 / (2 * 4 * 1.5)
    gBB = 2 * 2 / (2 * 4 * 4.0)
    pA = pB = 0.5
    sA, sB = 3 / 11, 8 / 11
    assert r.within == pytest.approx(gAA * pA * sA + gBB * pB * sB, abs=1e-15)
    gBA = (2 + 4 + 1 + 3) / (4 * (4.0 + 1.5))
    assert r.between == pytest.approx(gBA * (pB * sA + pA * sB), abs=1e-15)
    assert r.transvariation == pytest.approx(0.0, abs=1e-15)
    assert r.pairs.loc[0, "D"] == pytest.approx(1.0)
    assert r.pairs.loc[0, "group_j"] == "B"


@settings(max_examples=60, deadline=None)
@given(
    y=arrays(float, st.integers(4, 40), elements=st.floats(0.01, 100.0)),
    k=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_dagum_matches_loops_and_identity(y, k, seed):
    g = np.random.default_rng(seed).integers(0, k, y.size)
    r = dagum_gini(y, g)
    total, gw, gnb, gt, pairs = _dagum_loops(y, g.tolist())
    assert r.total == pytest.approx(total, rel=1e-11, abs=1e-14)
    assert r.within == pytest.approx(gw, rel=1e-11, abs=1e-14)
    assert r.between == pytest.approx(gnb, rel=1e-10, abs=1e-13)
    assert r.transvariation == pytest.approx(gt, rel=1e-10, abs=1e-13)
    # identity to machine precision, and total equals the plain mean-difference Gini
    assert abs(r.total - (r.within + r.between + r.transvariation)) < 1e-14
    assert r.total == pytest.approx(gini(y), rel=1e-13, abs=1e-15)
    for _, row in r.pairs.iterrows():
        ref = pairs.get((row.group_j, row.group_h), pairs.get((row.group_h, row.group_j)))
        assert row.gini == pytest.approx(ref, rel=1e-11)


def test_one_group_is_all_within_and_permutation_invariance():
    rng = np.random.default_rng(0)
    y = rng.lognormal(size=50)
    r = dagum_gini(y, np.zeros(50))
    assert r.within == pytest.approx(r.total, rel=1e-14)
    assert r.between == 0.0 and r.transvariation == 0.0
    g = rng.integers(0, 4, 50)
    perm = rng.permutation(50)
    a, b = dagum_gini(y, g), dagum_gini(y[perm], g[perm])
    for attr in ("total", "within", "between", "transvariation"):
        assert getattr(a, attr) == pytest.approx(getattr(b, attr), rel=1e-12)


def test_series_alignment_and_errors():
    y = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"))
    g = pd.Series(["x", "x", "y", "y"], index=list("abcd"))
    r1 = dagum_gini(y, g)
    r2 = dagum_gini(y, g.iloc[::-1])  # aligned by index
    assert r1.within == pytest.approx(r2.within)
    with pytest.raises(ValueError, match="missing"):
        dagum_gini([1.0, np.nan, 2.0], [0, 0, 1])
    with pytest.raises(ValueError, match="non-negative"):
        dagum_gini([1.0, -1.0, 2.0], [0, 0, 1])
    with pytest.raises(ValueError, match=r"groups has 1 missing, empty or blank label\(s\): rows \[1\]"):
        dagum_gini([1.0, 1.0, 2.0], [0, None, 1])


def test_dagum_by_year():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "year": np.repeat([2020, 2021], 31),
        "region": np.tile(rng.choice(["east", "central", "west", "northeast"], 31), 2),
        "D": rng.uniform(0.2, 0.8, 62),
    })
    out = dagum_gini_by(df, "D", "region", "year")
    assert list(out.index) == [2020, 2021]
    one = dagum_gini(df.loc[df.year == 2021, "D"].to_numpy(), df.loc[df.year == 2021, "region"])
    assert out.loc[2021, "within"] == pytest.approx(one.within)
    np.testing.assert_allclose(
        out[["share_within", "share_between", "share_transvariation"]].sum(axis=1), 1.0
    )


def test_sigma_convergence_numbers():
    df = pd.DataFrame({"year": [1, 1, 1, 2, 2, 2], "y": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0]})
    out = sigma_convergence(df, "y")
    assert out.loc[1, "cv"] == pytest.approx(1.0 / 2.0)  # sd = 1, mean = 2
    assert out.loc[1, "sd_log"] == pytest.approx(np.std(np.log([1, 2, 3]), ddof=1))
    assert out.loc[2, "cv"] == 0.0 and out.loc[2, "gini"] == 0.0


def _simulated_panel(beta, n=200, T=15, seed=0, with_x=False):
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 0.3, n)  # unit effects (own steady states)
    eta = rng.normal(0, 0.05, T)
    lny = np.empty((n, T))
    lny[:, 0] = rng.normal(2, 0.5, n)
    x = rng.normal(size=(n, T))
    for t in range(T - 1):
        lny[:, t + 1] = (lny[:, t] + mu + eta[t] + beta * lny[:, t]
                         + (0.1 * x[:, t] if with_x else 0) + rng.normal(0, 0.02, n))
    return pd.DataFrame({
        "province_code": np.repeat(np.arange(n), T),
        "year": np.tile(np.arange(2000, 2000 + T), n),
        "y": np.exp(lny.ravel()),
        "x": x.ravel(),
    })


def test_conditional_beta_recovers_known_beta_twoway_fe():
    df = _simulated_panel(-0.15, with_x=True)
    res = beta_convergence(df, "y", controls=["x"])
    assert res.fixed_effects == ["province_code", "year"]
    assert res.beta == pytest.approx(-0.15, abs=0.01)
    assert res.fit.coef()["x"] == pytest.approx(0.1, abs=0.01)
    assert res.speed == pytest.approx(-math.log(1 + res.beta))
    assert res.half_life == pytest.approx(math.log(2) / res.speed)
    assert res.kind == "conditional"


def test_absolute_beta_cross_section_recovers_beta():
    # homogeneous steady state: pooled OLS recovers beta
    rng = np.random.default_rng(3)
    n, T, beta = 300, 6, -0.2
    lny = np.empty((n, T))
    lny[:, 0] = rng.normal(2, 0.6, n)
    for t in range(T - 1):
        lny[:, t + 1] = lny[:, t] + 0.5 + beta * lny[:, t] + rng.normal(0, 0.02, n)
    df = pd.DataFrame({"province_code": np.repeat(np.arange(n), T),
                       "year": np.tile(np.arange(T), n), "y": np.exp(lny.ravel())})
    res = beta_convergence(df, "y")
    assert res.kind == "absolute" and res.fixed_effects == []
    assert res.beta == pytest.approx(beta, abs=0.01)
    # two-period growth: ln y_{t+2} - ln y_t = ((1+β)^2 - 1) ln y_t + ...; λ per year unchanged
    res2 = beta_convergence(df, "y", period=2)
    assert res2.beta == pytest.approx((1 + beta) ** 2 - 1, abs=0.02)
    assert res2.speed == pytest.approx(-math.log(1 + beta), abs=0.02)


def test_stata_percentile_definition():
    # Stata: P = n q / 100; integer -> average of x_(P), x_(P+1); else x_(floor(P)+1)
    x = [7, 1, 3, 5, 9, 11, 2, 4]  # sorted 1 2 3 4 5 7 9 11, n = 8
    assert stata_percentile(x, 25) == pytest.approx((2 + 3) / 2)  # P = 2
    assert stata_percentile(x, 75) == pytest.approx((7 + 9) / 2)  # P = 6
    assert stata_percentile(x[:7], 25) == 2  # n = 7, P = 1.75 -> x_(2) = 2


def test_kdensity_bandwidth_hand_computed():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 9.0, 11.0, 30.0, 31.0])
    n = 10
    sd = math.sqrt(sum((v - x.mean()) ** 2 for v in x) / (n - 1))
    # Stata percentiles, n = 10: p25 -> P = 2.5 -> x_(3) = 3; p75 -> P = 7.5 -> x_(8) = 11
    iqr = 11.0 - 3.0
    h = 0.9 * min(sd, iqr / 1.349) * n ** (-1 / 5)
    assert stata_kdensity_bandwidth(x) == pytest.approx(h, rel=1e-14)
    kd = kernel_density(x, at=[5.0])
    # Stata's epanechnikov kernel 3/4 (1 - z^2/5)/sqrt(5) on |z| < sqrt(5)
    z = (5.0 - x) / h
    k = np.where(np.abs(z) < math.sqrt(5), 0.75 * (1 - z**2 / 5) / math.sqrt(5), 0)
    assert kd.density[0] == pytest.approx(k.sum() / (n * h), rel=1e-13)
    assert kd.bandwidth == pytest.approx(h)


def test_kernel_densities_integrate_to_one_and_gaussian_matches_scipy():
    from scipy.stats import gaussian_kde

    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    grid = np.linspace(-8, 8, 4001)
    for kern in ("epanechnikov", "epan2", "gaussian"):
        kd = kernel_density(x, kernel=kern, at=grid)
        assert np.trapezoid(kd.density, grid) == pytest.approx(1.0, abs=1e-4)
    kd = kernel_density(x, kernel="gaussian", at=grid[::100])
    np.testing.assert_allclose(kd.density, gaussian_kde(x, bw_method="scott")(grid[::100]),
                               rtol=1e-10)
    default = kernel_density(x)
    assert default.at.size == 50
    assert default.at[0] == pytest.approx(x.min() - default.bandwidth)


# Stata's example data `sysuse auto`, variable price (74 cars, in dataset order).
AUTO_PRICE = [4099, 4749, 3799, 4816, 7827, 5788, 4453, 5189, 10372, 4082, 11385, 14500, 15906,
              3299, 5705, 4504, 5104, 3667, 3955, 3984, 4010, 5886, 6342, 4389, 4187, 11497, 13594,
              13466, 3829, 5379, 6165, 4516, 6303, 3291, 8814, 5172, 4733, 4890, 4181, 4195, 10371,
              4647, 4425, 4482, 6486, 4060, 5798, 4934, 5222, 4723, 4424, 4172, 9690, 6295, 9735,
              6229, 4589, 5079, 8129, 4296, 5799, 4499, 3995, 12990, 3895, 3798, 5899, 3748, 5719,
              7140, 5397, 4697, 6850, 11995]


def test_kdensity_bandwidth_matches_stata_auto_price():
    """`sysuse auto` / `kdensity price, nograph` / `di r(width)` gives 605.64238.

    Stata output as posted by Ben Jann on Statalist, 2006-09 (msg00555). The match requires
    Stata's percentile definition: numpy's default (linear) IQR would give 595.77.
    """
    x = np.array(AUTO_PRICE, dtype=float)
    assert x.size == 74 and x.mean() == pytest.approx(6165.2568, abs=1e-4)
    assert stata_kdensity_bandwidth(x) == pytest.approx(605.64238, abs=5e-6)
    assert kernel_density(x).bandwidth == pytest.approx(605.64238, abs=5e-6)


def test_dagum_group_of_zeros():
    """A group whose values are all 0 (e.g. the min-max minimum alone in its region).

    y = (0 | 1, 2, 3, 4), groups a | b: n = 5, μ = 2, Σ|y_i − y_r| = 2·(10 + 10) = 40 (the zero
    against b: 1+2+3+4 = 10, within b: 1+2+3+1+2+1 = 10), G = 40/(2·25·2) = 0.4.
    G_aa = 0 (not 0/0); G_bb = 20/(2·16·2.5) = 0.25, p_b = 0.8, s_b = 1 → Gw = 0.2.
    G_ba = 10/(1·4·2.5) = 1, D_ba = 1 (no overlap), p_b s_a + p_a s_b = 0.2 → Gnb = 0.2, Gt = 0.
    """
    r = dagum_gini([0.0, 1.0, 2.0, 3.0, 4.0], ["a", "b", "b", "b", "b"])
    assert r.total == pytest.approx(0.4, abs=1e-15)
    assert r.within == pytest.approx(0.2, abs=1e-15)
    assert r.between == pytest.approx(0.2, abs=1e-15)
    assert r.transvariation == pytest.approx(0.0, abs=1e-15)
    assert r.groups.loc["a", "gini"] == 0.0
    # two all-zero groups: every component finite, identity holds
    r2 = dagum_gini([0.0, 0.0, 0.0, 1.0, 3.0], ["a", "a", "c", "b", "b"])
    parts = [r2.within, r2.between, r2.transvariation]
    assert np.isfinite(parts).all()
    assert r2.total == pytest.approx(sum(parts), abs=1e-15)
    assert r2.total == pytest.approx(gini([0.0, 0.0, 0.0, 1.0, 3.0]), abs=1e-15)


def test_kdensity_bandwidth_drops_missing_like_stata_and_names_bad_period():
    x = np.array(AUTO_PRICE + [np.nan], dtype=float)  # Stata ignores the missing value
    assert stata_kdensity_bandwidth(x) == pytest.approx(605.64238, abs=5e-6)
    with pytest.raises(ValueError, match="at least 2"):
        stata_kdensity_bandwidth([1.0, np.nan])
    from analysis.measures import kernel_density_by

    df = pd.DataFrame({"year": [1, 1, 1, 2, 2], "v": [1.0, 2.0, 4.0, 3.0, 3.0]})
    with pytest.raises(ValueError, match="year = 2"):
        kernel_density_by(df, "v")


def test_dagum_by_year_pair_column_stable_when_means_flip():
    # year 1: a = (1, 2) below b = (3, 5); year 2 the other way round. G_ab is the same number
    # both years: Σ|diff| = 2+4+1+3 = 10 over n_a n_b (μ_a + μ_b) = 4 · 5.5 -> 10/22.
    df = pd.DataFrame({"year": [1] * 4 + [2] * 4, "g": list("aabb") * 2,
                       "v": [1.0, 2.0, 3.0, 5.0, 3.0, 5.0, 1.0, 2.0]})
    out = dagum_gini_by(df, "v", "g")
    assert [c for c in out.columns if c.count("_") == 2] == ["gini_a_b"]
    np.testing.assert_allclose(out["gini_a_b"], [10 / 22, 10 / 22], rtol=1e-15)
    assert out.loc[1, "gini_a"] == pytest.approx(2 / (2 * 4 * 1.5))  # (1, 2): 2/(2·4·1.5)
    assert out.loc[2, "gini_a"] == pytest.approx(4 / (2 * 4 * 4.0))  # (3, 5)
