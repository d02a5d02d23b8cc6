"""Hansen (1999) panel threshold regression: published numbers, independent recomputation, bad input.

Reference numbers and their sources (Hansen 1999; xthreg's documented example
``xthreg i q1 q2 q3 d1 qd1, rx(c1) qx(d1) thnum(3) grid(400) trim(0.01 0.01 0.05) bs(300 300 300)``)
are in tests/results/hansen1999.py: the published γ̂1 = 0.0157 and γ̂2 = 0.5362 are reproduced by
convention="hansen" (Hansen's replication code: last period deleted after demeaning); SSR and F
are pinned for both conventions and both variance conventions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.models.threshold import (
    _cand_hansen,
    hansen_threshold,
    lr_critical_value,
    threshold_grid,
)
from tests.results import hansen1999 as ref

HANSEN_DTA = Path(__file__).parent / "data" / "hansen1999.dta"  # vendored: tests/data/README.md
X_HANSEN = ["q1", "q2", "q3", "d1", "qd1"]


@pytest.fixture(scope="module")
def hansen():
    d = pd.read_stata(HANSEN_DTA)
    d["year"] = d["year"].dt.year
    return d


def _fit(d, **kw):
    args = dict(n_thresholds=3, grid=400, trim=[0.01, 0.01, 0.05], bootstrap=0)
    args.update(kw)
    return hansen_threshold(d, "i", X_HANSEN, "c1", "d1", "id", "year", **args)


@pytest.fixture(scope="module")
def triple(hansen):
    return _fit(hansen, bootstrap=30, seed=7)


@pytest.fixture(scope="module")
def triple_within(hansen):
    return _fit(hansen, bootstrap=20, seed=7, convention="within")


# --- hand-worked pieces ------------------------------------------------------------------------

def test_lr_critical_value_hansen():
    # Hansen (2000, Econometrica, Table 1): c = 5.94 (90%), 7.35 (95%), 10.59 (99%)
    assert lr_critical_value(0.95) == pytest.approx(-2 * np.log(1 - np.sqrt(0.95)))
    assert lr_critical_value(0.95) == pytest.approx(7.352, abs=5e-4)
    assert lr_critical_value(0.90) == pytest.approx(5.9395, abs=5e-4)
    assert lr_critical_value(0.99) == pytest.approx(10.5916, abs=5e-4)
    for level, published in [(0.90, 5.94), (0.95, 7.35), (0.99, 10.59)]:
        assert lr_critical_value(level) == pytest.approx(published, abs=0.01)


def test_grid_is_hansens_393_unique_quantiles():
    q = np.arange(1000.0)
    g = threshold_grid(q, grid=400, trim=0.01)
    assert g.size == 393  # {1.00%, 1.25%, ..., 99.00%}
    assert g[0] == 9.0 and g[-1] == 989.0  # u_(floor(0.01*1000)) = 10th smallest, 0-based 9
    # ties do not count: the quantiles are of the distinct values
    qt = np.concatenate([np.zeros(500), np.arange(1.0, 1001.0)])
    assert np.array_equal(threshold_grid(qt, 400, 0.01), threshold_grid(np.arange(1001.0), 400, 0.01))
    # Hansen's list keeps repeats when there are fewer distinct values than grid points:
    # 50 values, p = 0.05, 0.0525, ..., 0.95 -> floor(50 p) = 2, 2, 2, 2, 3, ... (1-based)
    g_rep = threshold_grid(np.arange(50.0), 400, 0.05, unique=False)
    assert g_rep.size == 361 and np.array_equal(g_rep[:5], [1.0, 1.0, 1.0, 1.0, 2.0])
    assert np.array_equal(np.unique(g_rep), threshold_grid(np.arange(50.0), 400, 0.05))


def test_hansen_second_step_candidates_hand_worked():
    # thresh_p.R: nn = #grid points below the fixed threshold (its 0-based index), drop the
    # 1-based positions i with nn - qnt <= i < nn + qnt.  nn = 10, qnt = 4: i = 6..13, i.e.
    # 0-based 5..12 (5 points below the fixed one at 10, 2 above).
    keep = _cand_hansen(20, [10], 4.0)
    assert keep.tolist() == [0, 1, 2, 3, 4, 13, 14, 15, 16, 17, 18, 19]
    # two fixed thresholds (nn = 2, 7), qnt = 1: drop 1-based [1, 3) and [6, 8) -> 0-based
    # 0, 1 and 5, 6 (qnt + 1 = 2 below each, qnt - 2 < 0 above: the fixed point itself is kept
    # out only because qnt >= 1)
    assert _cand_hansen(10, [2, 7], 1.0).tolist() == [2, 3, 4, 7, 8, 9]


# --- Hansen (1999) data ---------------------------------------------------------------------------

def test_hansen_published_thresholds(triple):
    """convention='hansen' reproduces Hansen (1999): γ̂1 = 0.0157, γ̂2 = 0.5362."""
    r, pub, pin = triple, ref.published, ref.hansen_convention
    est = r.estimates["threshold"]
    assert round(est["Th-1"], pub["decimals"]) == pub["gamma1"]
    assert round(est["Th-21"], pub["decimals"]) == pub["gamma1"]  # also after refinement
    assert round(est["Th-22"], pub["decimals"]) == pub["gamma2"]
    for name, g in pin["thresholds"].items():
        assert est[name] == pytest.approx(g, abs=5e-6)
    assert r.thresholds == sorted(pin["thresholds"][k] for k in ("Th-21", "Th-22", "Th-3")) or \
        np.allclose(r.thresholds, sorted(pin["thresholds"][k] for k in ("Th-21", "Th-22", "Th-3")),
                    atol=5e-6)


@pytest.mark.parametrize("convention", ["hansen", "within"])
@pytest.mark.parametrize("sigma2", ["hansen", "xthreg"])
def test_hansen_ssr_and_f_pinned(hansen, triple, triple_within, convention, sigma2):
    pin = ref.hansen_convention if convention == "hansen" else ref.within_convention
    base = triple if convention == "hansen" else triple_within
    r = base if sigma2 == "hansen" else _fit(hansen, convention=convention, sigma2=sigma2)
    for k, s in pin["ssr"].items():
        assert r.ssr[k] == pytest.approx(s, abs=2e-6)
    assert np.allclose(r.f_stats, pin["f_stats"][sigma2], atol=2e-4)
    # F_k = (S_{k-1} - S_k) / (S_k / denom); the null of the triple test is the refined model
    N, T = 565, 14
    denom = N * (T - 1) if sigma2 == "hansen" else T * (N - 1)
    rss = r.tests["RSS"].to_numpy()
    nulls = [r.ssr[0], r.ssr[1], r.ssr[2]]
    assert np.allclose(r.f_stats, [(a - b) / (b / denom) for a, b in zip(nulls, rss, strict=True)])
    assert r.tests["MSE"].tolist() == pytest.approx((rss / denom).tolist())
    for name, pinned in [(k, v) for k, v in pin.items() if k.startswith("ci_")]:
        if sigma2 in pinned:
            row = "Th-1" if name == "ci_th1" else "Th-22"
            got = tuple(r.estimates.loc[row, ["lower", "upper"]])
            assert got == pytest.approx(pinned[sigma2], abs=5e-6)
    # thresholds and SSR do not depend on the variance convention
    assert r.thresholds == base.thresholds


def test_hansen_gamma2_decided_by_deleted_period(hansen):
    """Independent least squares at the two competing second thresholds (γ1 = 0.0157): Hansen's
    transformation (demean, delete the last period, regime q < γ) prefers 0.53616, the FE
    transformation on all rows (regime q ≤ γ) prefers 0.54072. Grid values are float32 data."""
    d = hansen.sort_values(["id", "year"]).reset_index(drop=True)
    q = d["d1"].to_numpy()
    g1 = q[np.isclose(q, 0.0157, atol=5e-7)][0]

    def ssr(g2, delete, strict):
        lo = (q < g1) if strict else (q <= g1)
        mid = ((q >= g1) & (q < g2)) if strict else ((q > g1) & (q <= g2))
        X = pd.concat([d[X_HANSEN], d["c1"] * lo, d["c1"] * mid, d["c1"] * ~(lo | mid)], axis=1)
        X.columns = [*X_HANSEN, "r0", "r1", "r2"]
        Z = pd.concat([d[["i"]], X], axis=1)
        Zd = Z - Z.groupby(d["id"]).transform("mean")
        if delete:
            Zd = Zd[d["year"] != d["year"].max()]
        return float(sm.OLS(Zd["i"], Zd.drop(columns="i")).fit().ssr)

    for g2v, s in ref.gamma2_contest["deleted_period"].items():
        g2 = q[np.isclose(q, g2v, atol=5e-6)][0]
        assert ssr(g2, True, True) == pytest.approx(s, abs=2e-6)
    for g2v, s in ref.gamma2_contest["all_rows"].items():
        g2 = q[np.isclose(q, g2v, atol=5e-6)][0]
        assert ssr(g2, False, False) == pytest.approx(s, abs=2e-6)
    dp, ar = ref.gamma2_contest["deleted_period"], ref.gamma2_contest["all_rows"]
    assert dp[0.53616] < dp[0.54072] and ar[0.54072] < ar[0.53616]


def test_hansen_bootstrap_output(triple):
    r = triple
    assert len(r.p_values) == 3 and all(0 <= p <= 1 for p in r.p_values)
    for k in (1, 2, 3):
        Fb = np.sort(r.bootstrap_f[k])
        assert Fb.size == 30
        # Hansen's critical values are order statistics F*_(ceil(0.90 B)), ...
        assert r.crit_values.loc[f"F{k}"].tolist() == [Fb[26], Fb[28], Fb[29]]
        assert r.p_values[k - 1] == np.mean(r.bootstrap_f[k] > r.f_stats[k - 1])
    assert r.p_values[0] < 0.05  # strong first threshold (Hansen 1999: p = 0.000)


def test_hansen_coefficients_recomputed_independently(hansen, triple):
    """xtreg, fe at the estimated thresholds with the search's regimes (q < γ lower) via
    statsmodels on demeaned data: same slopes
    and (after the K vs K+1 small-sample factor) the same entity-clustered standard errors."""
    r = triple
    g = r.thresholds
    d = hansen.sort_values(["id", "year"]).reset_index(drop=True)
    reg = (d["d1"].to_numpy()[:, None] >= np.array(g)[None, :]).sum(axis=1)  # q < γ lower
    Xr = pd.DataFrame({f"c1_r{j}": d["c1"] * (reg == j) for j in range(4)})
    X = pd.concat([d[X_HANSEN], Xr], axis=1)
    Xd = X - X.groupby(d["id"]).transform("mean")
    yd = d["i"] - d.groupby("id")["i"].transform("mean")
    fit = sm.OLS(yd, Xd).fit(cov_type="cluster", cov_kwds={"groups": d["id"]})
    assert np.allclose(fit.params.to_numpy(), r.params.to_numpy(), rtol=1e-8)
    for attr in ("params", "std_errors"):
        pin = ref.hansen_convention[attr]
        assert getattr(r, attr)[list(pin)].to_numpy() == pytest.approx(list(pin.values()), abs=1e-6)
    n, k = 7910, X.shape[1]
    se_stata = fit.bse.to_numpy() * np.sqrt((n - k) / (n - k - 1))
    assert np.allclose(se_stata, r.std_errors.to_numpy(), rtol=1e-8)
    assert r.regime.value_counts().sum() == 7910
    assert (r.regime.to_numpy() == reg).all()
    # a second library absorbing the firm effect (pyfixest, as reghdfe): same slopes
    pf = pytest.importorskip("pyfixest")
    dd = pd.concat([d[["i", "id"]], X], axis=1)
    fe = pf.feols("i ~ " + " + ".join(X.columns) + " | id", data=dd)
    assert np.allclose(fe.coef()[list(X.columns)].to_numpy(), r.params.to_numpy(), rtol=1e-7)


# --- simulated panels -------------------------------------------------------------------------

def _sim(N=60, T=6, gamma=0.0, b=(1.0, 2.0), seed=0, sd=0.5):
    rng = np.random.default_rng(seed)
    ent = np.repeat(np.arange(N), T)
    tim = np.tile(np.arange(T), N)
    q = rng.normal(size=N * T)
    x = rng.normal(size=N * T)
    z = rng.normal(size=N * T)
    mu = np.repeat(rng.normal(size=N), T)
    y = mu + 0.5 * z + np.where(q <= gamma, b[0], b[1]) * x + sd * rng.normal(size=N * T)
    return pd.DataFrame({"id": ent, "t": tim, "y": y, "x": x, "z": z, "q": q})


def test_recovers_simulated_threshold():
    d = _sim(N=200, T=5, gamma=0.3, b=(1.0, 2.0), seed=3, sd=0.3)
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", bootstrap=49, seed=1)
    assert abs(r.thresholds[0] - 0.3) < 0.05
    assert r.p_values[0] == 0.0
    assert r.params["x_r0"] == pytest.approx(1.0, abs=0.05)
    assert r.params["x_r1"] == pytest.approx(2.0, abs=0.05)
    lo, hi = r.conf_ints[0]
    assert lo <= r.thresholds[0] <= hi


def _ssr_lstsq(d, thresholds, hansen=False):
    """Least squares with explicit regime columns; ``hansen``: Hansen's code (regime q < γ,
    demeaned data with the last period of each entity deleted). d sorted by (id, t)."""
    edges = [-np.inf, *sorted(thresholds), np.inf]
    q = d["q"]
    cols = [d["z"].to_numpy()] + [
        d["x"].to_numpy() * (((q >= a) & (q < b)) if hansen else ((q > a) & (q <= b))).to_numpy()
        for a, b in zip(edges[:-1], edges[1:], strict=True)]
    X = np.column_stack(cols)
    Xd = X - pd.DataFrame(X).groupby(d["id"].to_numpy()).transform("mean").to_numpy()
    yd = (d["y"] - d.groupby("id")["y"].transform("mean")).to_numpy()
    if hansen:
        keep = (d["t"] != d["t"].max()).to_numpy()
        Xd, yd = Xd[keep], yd[keep]
    e = yd - Xd @ np.linalg.lstsq(Xd, yd, rcond=None)[0]
    return float(e @ e), e, yd - e


def _admissible(d, cand, fixed, trim, grid, hansen):
    """Candidates of a step, written out from the two rules."""
    if hansen:  # thresh_p.R: drop positions nn - qnt <= i < nn + qnt (1-based i)
        qnt = grid * trim
        out = []
        for i, g in enumerate(cand, start=1):
            if all(not (np.sum(cand < f) - qnt <= i < np.sum(cand < f) + qnt) for f in fixed):
                out.append(g)
        return out
    m = int(np.ceil(trim * len(d)))
    out = []
    for g in cand:
        if g in fixed:
            continue
        lo = max([f for f in fixed if f < g], default=-np.inf)
        hi = min([f for f in fixed if f > g], default=np.inf)
        q = d["q"]
        if ((q > lo) & (q <= g)).sum() >= m and ((q > g) & (q <= hi)).sum() >= m:
            out.append(g)
    return out


@pytest.mark.parametrize("convention", ["hansen", "within"])
def test_grid_search_equals_brute_force_regressions(convention):
    hansen = convention == "hansen"
    d = _sim(N=25, T=4, seed=5).sort_values(["id", "t"]).reset_index(drop=True)
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", n_thresholds=3, grid=30, trim=0.1,
                         bootstrap=0, convention=convention)
    grid = threshold_grid(d["q"].to_numpy(), 30, 0.1)
    s1 = {g: _ssr_lstsq(d, [g], hansen)[0] for g in _admissible(d, grid, [], 0.1, 30, hansen)}
    g1 = min(s1, key=s1.get)
    assert r.ssr[1] == pytest.approx(s1[g1], rel=1e-10)
    assert r.estimates.loc["Th-1", "threshold"] == g1
    assert r.lr["Th-1"]["threshold"].tolist() == sorted(s1)
    lr = r.lr["Th-1"].set_index("threshold")["lr"]
    s2 = s1[g1] / (25 * 3)
    for g, s in s1.items():
        assert lr[g] == pytest.approx((s - s1[g1]) / s2, abs=1e-8)
    # second threshold given the first, refinement, third
    c2 = _admissible(d, grid, [g1], 0.1, 30, hansen)
    s2d = {g: _ssr_lstsq(d, [g1, g], hansen)[0] for g in c2}
    g2 = min(s2d, key=s2d.get)
    assert r.estimates.loc["Th-22", "threshold"] == g2
    assert r.tests.loc["Double", "RSS"] == pytest.approx(s2d[g2], rel=1e-10)
    c21 = _admissible(d, grid, [g2], 0.1, 30, hansen)
    s21 = {g: _ssr_lstsq(d, [g2, g], hansen)[0] for g in c21}
    g1r = min(s21, key=s21.get)
    assert r.estimates.loc["Th-21", "threshold"] == g1r
    assert r.ssr[2] == pytest.approx(s21[g1r], rel=1e-10)
    c3 = _admissible(d, grid, [g1r, g2], 0.1, 30, hansen)
    s3 = {g: _ssr_lstsq(d, [g1r, g2, g], hansen)[0] for g in c3}
    g3 = min(s3, key=s3.get)
    assert r.estimates.loc["Th-3", "threshold"] == g3
    assert r.ssr[3] == pytest.approx(s3[g3], rel=1e-10)
    assert r.thresholds == sorted([g1r, g2, g3])


@pytest.mark.parametrize("convention", ["hansen", "within"])
def test_bootstrap_equals_slow_loop(convention):
    """Whole-entity residual resampling under the null, y* = fitted + e*: the vectorised bootstrap
    F equals the loop over regressions with the same random draws. ``within``: earlier thresholds
    fixed at their estimates; ``hansen``: every threshold re-estimated in turn (thresh_p.R)."""
    hansen = convention == "hansen"
    d = _sim(N=20, T=4, seed=11).sort_values(["id", "t"]).reset_index(drop=True)
    B, seed, grid, trim = 6, 42, 20, 0.1
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", n_thresholds=2, grid=grid,
                         trim=trim, bootstrap=B, seed=seed, convention=convention)
    rng = np.random.default_rng(seed)
    N = 20
    Tt = 3 if hansen else 4  # rows per entity after the transformation
    cand = threshold_grid(d["q"].to_numpy(), grid, trim)

    def best(ds, fixed):
        c = _admissible(ds, cand, fixed, trim, grid, hansen)
        s = {g: _ssr_lstsq(ds, [*fixed, g], hansen)[0] for g in c}
        g = min(s, key=s.get)
        return g, s[g]

    for k, fixed in enumerate([[], [r.estimates.loc["Th-1", "threshold"]]]):
        _, e_null, fitted = _ssr_lstsq(d, fixed, hansen)
        E = e_null.reshape(N, Tt)
        idx = rng.integers(0, N, size=(B, N))
        Fb = []
        for b in range(B):
            ystar = fitted + E[idx[b]].reshape(-1)
            # put y* back on the (id, t) rows: transformed rows are a linear image of y, so set
            # the transformed dependent variable directly
            ds = d.copy()
            if hansen:
                full = np.zeros(len(d))
                keep = (d["t"] != d["t"].max()).to_numpy()
                full[keep] = ystar  # last period 0: demeaning then deleting it returns y* - mean
                full = full.reshape(N, 4)
                full[:, 3] = -full[:, :3].sum(axis=1)  # demeaned rows sum to zero
                ds["y"] = full.reshape(-1)
            else:
                ds["y"] = ystar
            if hansen:  # sequential: S_0 -> γ1* -> (γ1*, γ2*)
                s_prev = _ssr_lstsq(ds, [], True)[0]
                g, s_cur = best(ds, [])
                fx = [g]
                for _ in range(k):
                    s_prev = s_cur
                    g, s_cur = best(ds, fx)
                    fx.append(g)
            else:
                s_prev = _ssr_lstsq(ds, fixed)[0]
                _, s_cur = best(ds, fixed)
            Fb.append((s_prev - s_cur) / (s_cur / (N * 3)))
        assert np.allclose(r.bootstrap_f[k + 1], Fb, rtol=1e-8)


@pytest.mark.parametrize("convention", ["hansen", "within"])
def test_seed_reproducible_and_batches_irrelevant(convention):
    d = _sim(N=30, T=4, seed=2)
    kw = dict(n_thresholds=2, grid=40, trim=0.05, bootstrap=40, seed=9, convention=convention)
    a = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", **kw)
    b = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", batch=7, **kw)
    for k in (1, 2):  # same draws; products of other shapes differ in the last bits only
        assert np.allclose(a.bootstrap_f[k], b.bootstrap_f[k], rtol=1e-10)
    Fb = a.bootstrap_f[1]
    if convention == "hansen":  # order statistics F*_(36), F*_(38), F*_(40); p = share > F
        assert a.crit_values.loc["F1"].tolist() == np.sort(Fb)[[35, 37, 39]].tolist()
        assert a.p_values[0] == np.mean(Fb > a.f_stats[0])
    else:
        assert a.crit_values.loc["F1"].tolist() == pytest.approx(
            np.quantile(Fb, [0.9, 0.95, 0.99]).tolist())
        assert a.p_values[0] == np.mean(Fb >= a.f_stats[0])


@settings(max_examples=15, deadline=None)
@given(shift=st.floats(-100, 100), scale=st.floats(0.1, 10), seed=st.integers(0, 10_000))
def test_invariant_to_entity_effects_and_scale(shift, scale, seed):
    d = _sim(N=15, T=4, seed=seed)
    r0 = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.1, bootstrap=0)
    d2 = d.copy()
    d2["y"] = scale * (d["y"] + shift * d["id"])  # entity-specific constants are absorbed
    r1 = hansen_threshold(d2, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.1, bootstrap=0)
    assert r1.thresholds == r0.thresholds
    assert r1.f_stats[0] == pytest.approx(r0.f_stats[0], rel=1e-6)
    assert r1.ssr[1] == pytest.approx(scale**2 * r0.ssr[1], rel=1e-6)


# --- bad input -----------------------------------------------------------------------------

def test_unbalanced_lists_missing_cells_and_drop_option():
    d = _sim(N=10, T=4, seed=1)
    d = d.drop(index=[5, 17])  # (1, 1) and (4, 1)
    with pytest.raises(ValueError, match=r"balanced panel: 2 .*\(1, 1\).*\(4, 1\)"):
        hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.05, bootstrap=0)
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.05, bootstrap=0,
                         balance="drop")
    assert r.nobs == 32 and r.n_groups == 8
    assert any("removed 2 entities" in s for s in r.notes)


def test_missing_values_error_and_drop():
    d = _sim(N=10, T=4, seed=1)
    d.loc[3, "z"] = np.nan
    with pytest.raises(ValueError, match=r"missing values in \{'z': 1\}"):
        hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.05, bootstrap=0)
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.05, bootstrap=0,
                         balance="drop")
    assert r.n_groups == 9


def test_constant_threshold_variable():
    d = _sim(N=10, T=4)
    d["q"] = 1.0
    with pytest.raises(ValueError, match="threshold variable 'q' is constant"):
        hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", bootstrap=0)


def test_too_few_observations_per_regime():
    d = _sim(N=10, T=4)
    with pytest.raises(ValueError, match="no admissible threshold"):
        hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", n_thresholds=3, grid=20,
                         trim=0.3, bootstrap=0)


def test_time_invariant_regressor_is_absorbed():
    d = _sim(N=10, T=4)
    d["size"] = d["id"] * 2.0
    with pytest.raises(ValueError, match="'size' does not vary within any id"):
        hansen_threshold(d, "y", ["z", "size"], "x", "q", "id", "t", bootstrap=0)


def test_duplicates_and_options():
    d = _sim(N=10, T=4)
    with pytest.raises(ValueError, match="share their key"):
        hansen_threshold(pd.concat([d, d.iloc[:1]]), "y", ["z"], "x", "q", "id", "t", bootstrap=0)
    with pytest.raises(ValueError, match="n_thresholds"):
        hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", n_thresholds=4)
    with pytest.raises(ValueError, match="trim has 1 entries"):
        hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", n_thresholds=2, trim=[0.05])
    with pytest.raises(KeyError, match="nope"):
        hansen_threshold(d, "y", ["nope"], "x", "q", "id", "t")


# --- one regime rule, two-way effects, the interior-threshold verdict ------------------------

def _tied(N=40, T=6, seed=4, gamma=4):
    """q takes the integers 0..9 (many ties at any threshold); slope 1 for q <= gamma, 2 above."""
    rng = np.random.default_rng(seed)
    d = _sim(N=N, T=T, seed=seed)
    d["q"] = rng.integers(0, 10, size=len(d)).astype(float)
    d["y"] = (np.repeat(rng.normal(size=N), T) + 0.5 * d["z"]
              + np.where(d["q"] <= gamma, 1.0, 2.0) * d["x"] + 0.3 * rng.normal(size=len(d)))
    return d.sort_values(["id", "t"]).reset_index(drop=True)


@pytest.mark.parametrize("convention", ["hansen", "within"])
def test_one_regime_rule_for_search_and_estimation_with_ties(convention):
    """An observation tied with the estimated threshold is in the same regime in the search and
    in the coefficient regression (issue: degenerate input, ties in the threshold variable)."""
    hansen = convention == "hansen"
    d = _tied()
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=20, trim=0.05, bootstrap=0,
                         convention=convention)
    g = r.thresholds[0]
    q = d["q"].to_numpy()
    assert np.isin(q, [g]).sum() > 20  # many observations tied at the threshold
    upper = (q >= g) if hansen else (q > g)
    assert (r.regime.to_numpy() == upper.astype(int)).all()
    # the search's minimum S is the SSR of least squares with that same split
    assert r.ssr[1] == pytest.approx(_ssr_lstsq(d, [g], hansen)[0], rel=1e-10)
    # the coefficients are least squares on all N T demeaned rows with that split
    X = np.column_stack([d["z"], d["x"] * ~upper, d["x"] * upper])
    Xd = X - pd.DataFrame(X).groupby(d["id"].to_numpy()).transform("mean").to_numpy()
    yd = (d["y"] - d.groupby("id")["y"].transform("mean")).to_numpy()
    b = np.linalg.lstsq(Xd, yd, rcond=None)[0]
    assert r.params[["z", "x_r0", "x_r1"]].to_numpy() == pytest.approx(b, rel=1e-9)
    # the true split is q <= 4 | q > 4: "within" finds 4, "hansen" the next value 5 (q < 5)
    assert g == (5.0 if hansen else 4.0)
    assert r.params["x_r0"] == pytest.approx(1.0, abs=0.1)


def _brute_two_way(d, cand, hansen):
    """Independent grid search with year effects: least squares of y on z, year dummies and
    the two regime columns after removing the entity means (``hansen``: last period deleted,
    regime q < γ), over every candidate."""
    years = pd.get_dummies(d["t"], prefix="yr", drop_first=True, dtype=float).to_numpy()
    ent = d["id"].to_numpy()
    keep = (d["t"] != d["t"].max()).to_numpy() if hansen else np.ones(len(d), bool)
    out = {}
    for g in cand:
        low = (d["q"] < g) if hansen else (d["q"] <= g)
        X = np.column_stack([d["z"], years, d["x"] * low, d["x"] * ~low])
        Xd = X - pd.DataFrame(X).groupby(ent).transform("mean").to_numpy()
        yd = (d["y"] - d.groupby("id")["y"].transform("mean")).to_numpy()
        Xd, yd = Xd[keep], yd[keep]
        if np.linalg.matrix_rank(Xd) < Xd.shape[1]:
            continue
        b = np.linalg.lstsq(Xd, yd, rcond=None)[0]
        e = yd - Xd @ b
        out[g] = (float(e @ e), b[-2:])
    return out


@pytest.mark.parametrize("convention", ["hansen", "within"])
def test_threshold_with_time_effects_equals_independent_grid_search(convention):
    hansen = convention == "hansen"
    rng = np.random.default_rng(8)
    d = _sim(N=30, T=5, seed=8, gamma=0.2)
    d["y"] = d["y"] + np.tile(rng.normal(scale=2.0, size=5), 30)  # strong common year shocks
    d = d.sort_values(["id", "t"]).reset_index(drop=True)
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=40, trim=0.1, bootstrap=0,
                         convention=convention, time_effects=True)
    cand = threshold_grid(d["q"].to_numpy(), 40, 0.1)
    n_min = int(np.ceil(0.1 * len(d)))
    if not hansen:  # within: at least ceil(trim N T) observations on each side
        cand = [g for g in cand if (d["q"] <= g).sum() >= n_min and (d["q"] > g).sum() >= n_min]
    brute = _brute_two_way(d, cand, hansen)
    g = min(brute, key=lambda k: brute[k][0])
    assert r.thresholds[0] == g
    assert r.ssr[1] == pytest.approx(brute[g][0], rel=1e-9)
    if not hansen:  # all rows: the coefficient regression is the searched model itself
        assert r.params[["x_r0", "x_r1"]].to_numpy() == pytest.approx(brute[g][1], rel=1e-8)
    assert r.time_effects and any(c.startswith("t_") for c in r.params.index)
    # without year effects the common shocks change the fit
    r0 = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=40, trim=0.1, bootstrap=0,
                          convention=convention)
    assert r0.ssr[1] > r.ssr[1]


def test_interior_verdict():
    d = _sim(N=60, T=5, gamma=0.2, b=(1.0, 2.0), seed=3, sd=0.3)
    r = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=50, trim=0.05, bootstrap=49,
                         seed=1, convention="within")
    v = r.interior_verdict()
    assert v["verdict"] == "threshold" and v["n_thresholds"] == 1 and not v["reasons"]
    assert min(r.regime_sizes) > r.trim_bound == int(np.ceil(0.05 * 300))
    # no threshold in the DGP: the bootstrap p-value exceeds 0.10 (seeded)
    d0 = _sim(N=60, T=5, b=(1.0, 1.0), seed=4, sd=0.3)
    r0 = hansen_threshold(d0, "y", ["z"], "x", "q", "id", "t", grid=50, trim=0.05,
                          bootstrap=49, seed=1, convention="within")
    v0 = r0.interior_verdict()
    assert r0.p_values[0] > 0.10
    assert v0["verdict"] == "no interior threshold" and "bootstrap p" in v0["reasons"][0]
    # a break in the top 3 % of q: the estimate sits on the 5 % trimming edge
    qcut = float(np.quantile(d["q"], 0.97))
    d2 = d.copy()
    d2["y"] = d2["y"] - np.where(d2["q"] <= 0.2, 1.0, 2.0) * d2["x"] \
        + np.where(d2["q"] <= qcut, 1.0, 4.0) * d2["x"]
    r2 = hansen_threshold(d2, "y", ["z"], "x", "q", "id", "t", grid=50, trim=0.05,
                          bootstrap=49, seed=1, convention="within")
    v2 = r2.interior_verdict()
    assert min(r2.regime_sizes) <= r2.trim_bound
    assert v2["verdict"] == "no interior threshold" and "edge" in v2["reasons"][-1]
    no_boot = hansen_threshold(d, "y", ["z"], "x", "q", "id", "t", grid=50, trim=0.05,
                               bootstrap=0)
    with pytest.raises(ValueError, match="bootstrap"):
        no_boot.interior_verdict()
