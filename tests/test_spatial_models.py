"""Spatial panel models (SAR, SEM, SDM with fixed effects): checks against spreg, an independent
full-likelihood maximisation, closed-form LeSage-Pace effects, simulated data, and bad input."""

from __future__ import annotations

import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest
import spreg
from scipy import optimize

from analysis.models.spatial import lesage_pace_effects, spatial_lm_tests, spatial_panel


def knn_w(N, k, rng):
    xy = rng.uniform(size=(N, 2))
    D = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    A = np.zeros((N, N))
    idx = np.argsort(D, 1)[:, :k]
    for i in range(N):
        A[i, idx[i]] = 1
    A = np.maximum(A, A.T)
    return A / A.sum(1, keepdims=True)


def simulate(N=40, T=15, rho=0.4, b=(1.0, -0.5), th=(0.5, 0.3), lam=0.0, seed=0, W=None):
    """SDM (SAR when th = 0; SEM when rho = 0, th = 0, lam != 0) with unit and period effects."""
    rng = np.random.default_rng(seed)
    W = knn_w(N, 4, rng) if W is None else W
    mu = rng.normal(size=N)
    al = rng.normal(size=T)
    A = np.linalg.inv(np.eye(N) - rho * W)
    B = np.linalg.inv(np.eye(N) - lam * W)
    rows = []
    for t in range(T):
        X = rng.normal(size=(N, 2))
        y = A @ (X @ np.array(b) + (W @ X) @ np.array(th) + mu + al[t] + B @ rng.normal(size=N))
        rows += [(i, t, y[i], X[i, 0], X[i, 1]) for i in range(N)]
    return pd.DataFrame(rows, columns=["id", "t", "y", "x1", "x2"]), W


@pytest.fixture(scope="module")
def small():
    return simulate(N=30, T=8, th=(0.0, 0.0), seed=4)


# --- spreg (independent implementation) ---------------------------------------------------------

def _spreg(cls, d, W):
    d = d.sort_values(["t", "id"])  # spreg's long panels are time-major
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(d[["y"]].to_numpy(), d[["x1", "x2"]].to_numpy(), libpysal.weights.full2W(W))


def test_sar_entity_effects_equals_spreg_ml_lagfe(small):
    d, W = small
    m = _spreg(spreg.ML_LagFE, d, W)
    r = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sar", effects="entity",
                      bias_correction=False, n_sim=0)
    assert np.allclose(r.params.to_numpy(), m.betas.ravel(), rtol=1e-7, atol=1e-9)
    assert r.sigma2 == pytest.approx(np.asarray(m.sig2).item(), rel=1e-8)
    assert r.loglik == pytest.approx(m.logll, rel=1e-9)
    assert np.allclose(r.std_errors.to_numpy(), np.sqrt(np.diag(m.vm)), rtol=1e-6)
    # Lee-Yu with entity effects only: same beta and rho, sigma2 larger by T/(T-1)
    ly = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sar", effects="entity", n_sim=0)
    assert np.allclose(ly.params.to_numpy(), r.params.to_numpy(), rtol=1e-7)
    assert ly.sigma2 == pytest.approx(r.sigma2 * 8 / 7, rel=1e-10)


def test_sem_entity_effects_equals_spreg_ml_errorfe(small):
    d, W = small
    m = _spreg(spreg.ML_ErrorFE, d, W)
    r = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sem", effects="entity",
                      bias_correction=False, n_sim=0)
    assert np.allclose(r.params.to_numpy(), m.betas.ravel(), rtol=1e-7, atol=1e-9)
    assert r.sigma2 == pytest.approx(np.asarray(m.sig2).item(), rel=1e-8)
    assert r.loglik == pytest.approx(m.logll, rel=1e-9)
    assert np.allclose(r.std_errors.to_numpy(), np.sqrt(np.diag(m.vm)), rtol=1e-6)


# --- two-way effects: independent full-likelihood maximisation ---------------------------------

def _twoway_demean(d, cols):
    out = d.copy()
    for c in cols:
        v = d[c]
        out[c] = v - d.groupby("id")[c].transform("mean") - d.groupby("t")[c].transform("mean") + v.mean()
    return out


def test_sdm_twoways_lee_yu_equals_full_likelihood_maximum():
    """Lee & Yu (2010): ln L = -(n*/2) ln(2πσ²) + (T-1)[ln|I-ρW| - ln(1-ρ)] - e'e/(2σ²),
    n* = (N-1)(T-1), maximised over (β, θ, ρ, ln σ²) by BFGS on two-way demeaned data with
    slogdet -- no eigenvalues, no orthonormal basis, no concentration."""
    d, W = simulate(N=25, T=6, seed=2)
    N, T = 25, 6
    r = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sdm", n_sim=0)
    d = d.sort_values(["t", "id"]).reset_index(drop=True)
    for c in ["x1", "x2", "y"]:
        d["W" + c] = np.concatenate([W @ g[c].to_numpy() for _, g in d.groupby("t")])
    dd = _twoway_demean(d, ["y", "x1", "x2", "Wx1", "Wx2", "Wy"])
    X = dd[["x1", "x2", "Wx1", "Wx2"]].to_numpy()
    y, Wy = dd["y"].to_numpy(), dd["Wy"].to_numpy()
    n = (N - 1) * (T - 1)

    def negll(p):
        b, rho, ls2 = p[:4], p[4], p[5]
        e = y - rho * Wy - X @ b
        ld = np.linalg.slogdet(np.eye(N) - rho * W)[1] - np.log(1 - rho)
        return n / 2 * (np.log(2 * np.pi) + ls2) - (T - 1) * ld + e @ e / (2 * np.exp(ls2))

    start = np.r_[np.zeros(4), 0.0, 0.0]
    opt = optimize.minimize(negll, start, method="BFGS", options={"gtol": 1e-9})
    assert np.allclose(opt.x[:5], r.params.to_numpy(), atol=2e-5)
    assert np.exp(opt.x[5]) == pytest.approx(r.sigma2, rel=1e-4)
    assert -opt.fun == pytest.approx(r.loglik, abs=1e-6)


def test_sdm_recovers_known_parameters_and_effects():
    true = dict(rho=0.4, b=(1.0, -0.5), th=(0.5, 0.3))
    d, W = simulate(N=60, T=20, seed=11, **true)
    r = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sdm", n_sim=500, seed=3)
    truth = np.r_[true["b"], true["th"], true["rho"]]
    z = (r.params.to_numpy() - truth) / r.std_errors.to_numpy()
    assert np.all(np.abs(z) < 3.5), z
    # effects at the estimates equal the closed-form average of (I - ρW)^{-1}(β_k I + θ_k W)
    N = W.shape[0]
    A = np.linalg.inv(np.eye(N) - r.rho * W)
    for j, v in enumerate(["x1", "x2"]):
        S = A @ (r.params[v] * np.eye(N) + r.params[f"W*{v}"] * W)
        assert r.effects.loc[(v, "direct"), "estimate"] == pytest.approx(np.trace(S) / N, rel=1e-10)
        assert r.effects.loc[(v, "total"), "estimate"] == pytest.approx(S.sum() / N, rel=1e-10)
        assert r.effects.loc[(v, "indirect"), "estimate"] == pytest.approx(
            (S.sum() - np.trace(S)) / N, rel=1e-10)
        # the true total effect (β+θ)/(1-ρ) is covered
        tot = (true["b"][j] + true["th"][j]) / (1 - true["rho"])
        e = r.effects.loc[(v, "total")]
        assert abs(e["estimate"] - tot) < 3.5 * e["std_error"]
    # simulation: seeded, sd ~ spread of draws, mean close to the point estimate
    r2 = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sdm", n_sim=500, seed=3)
    pd.testing.assert_frame_equal(r.effects, r2.effects)
    assert r.effects_draws.shape == (500, 3, 2)
    assert np.allclose(r.effects["sim_mean"], r.effects["estimate"], atol=0.05)


def test_lesage_pace_sar_closed_form():
    rng = np.random.default_rng(0)
    W = knn_w(20, 3, rng)
    A = np.linalg.inv(np.eye(20) - 0.6 * W)
    eff = lesage_pace_effects(0.6, np.array([2.0]), None, W)
    assert eff[0, 0] == pytest.approx(2 * np.trace(A) / 20, rel=1e-12)
    assert eff[2, 0] == pytest.approx(2 / (1 - 0.6), rel=1e-12)
    # vectorised draws equal one-at-a-time evaluation
    rhos, betas = np.array([0.1, 0.5]), np.array([[1.0, 2.0], [3.0, -1.0]])
    thetas = np.array([[0.5, 0.0], [-0.2, 0.7]])
    many = lesage_pace_effects(rhos, betas, thetas, W)
    for i in range(2):
        assert np.allclose(many[i], lesage_pace_effects(rhos[i], betas[i], thetas[i], W))
    # non-row-standardised W: total = mean of row sums of S
    Wb = W * 0.9
    S = np.linalg.inv(np.eye(20) - 0.6 * Wb) @ (2 * np.eye(20) + 0.5 * Wb)
    e2 = lesage_pace_effects(0.6, np.array([2.0]), np.array([0.5]), Wb)
    assert e2[2, 0] == pytest.approx(S.sum() / 20) and e2[0, 0] == pytest.approx(np.trace(S) / 20)


def test_lee_yu_sigma2_unbiased_direct_biased():
    """Two-way effects, T = 5: the direct approach's σ² is biased by about (N-1)(T-1)/(NT)
    (Lee & Yu 2010); the transformation approach's is not. 40 replications, true σ² = 1."""
    N, T, R = 20, 5, 40
    W = knn_w(N, 4, np.random.default_rng(99))
    ly, di = [], []
    for s in range(R):
        d, _ = simulate(N=N, T=T, rho=0.3, th=(0.0, 0.0), seed=100 + s, W=W)
        ly.append(spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sar", n_sim=0).sigma2)
        di.append(spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sar", n_sim=0,
                                bias_correction=False).sigma2)
    assert abs(np.mean(ly) - 1.0) < 0.06
    assert abs(np.mean(di) - (N - 1) * (T - 1) / (N * T)) < 0.06
    assert np.mean(di) < 0.85


# --- LM tests ---------------------------------------------------------------------------------

def _lm_explicit(d, W, T):
    """Elhorst (2014) LM tests with explicit Kronecker matrices on two-way demeaned data."""
    d = d.sort_values(["t", "id"]).reset_index(drop=True)
    dd = _twoway_demean(d, ["y", "x1", "x2"])
    X = dd[["x1", "x2"]].to_numpy()
    y = dd["y"].to_numpy()
    WW = np.kron(np.eye(T), W)
    M = np.eye(len(y)) - X @ np.linalg.inv(X.T @ X) @ X.T
    e = M @ y
    s2 = e @ e / len(y)
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    tw = np.trace(W @ W + W.T @ W)
    wxb = WW @ X @ b
    J = (wxb @ M @ wxb + T * tw * s2) / s2
    a, c = e @ WW @ y / s2, e @ WW @ e / s2
    return [a**2 / J, c**2 / (T * tw), (a - c) ** 2 / (J - T * tw),
            (c - T * tw / J * a) ** 2 / (T * tw * (1 - T * tw / J))]


def test_lm_tests_elhorst_formula_and_power():
    d_sar, W = simulate(N=40, T=10, rho=0.5, th=(0.0, 0.0), seed=6)
    lm = spatial_lm_tests(d_sar, "y", ["x1", "x2"], "id", "t", W, convention="elhorst")
    assert np.allclose(lm["statistic"].to_numpy(), _lm_explicit(d_sar, W, 10), rtol=1e-9)
    for conv in ("elhorst", "leeyu"):
        lm = spatial_lm_tests(d_sar, "y", ["x1", "x2"], "id", "t", W, convention=conv)
        assert lm.loc["robust LM lag", "p_value"] < 0.001
        assert lm.loc["robust LM error", "p_value"] > 0.05
    d_sem, _ = simulate(N=40, T=10, rho=0.0, th=(0.0, 0.0), lam=0.6, seed=6, W=W)
    lm2 = spatial_lm_tests(d_sem, "y", ["x1", "x2"], "id", "t", W, convention="elhorst")
    assert np.allclose(lm2["statistic"].to_numpy(), _lm_explicit(d_sem, W, 10), rtol=1e-9)
    lm2 = spatial_lm_tests(d_sem, "y", ["x1", "x2"], "id", "t", W)
    assert lm2.loc["robust LM error", "p_value"] < 0.001
    assert lm2.loc["robust LM lag", "p_value"] > 0.05


def test_lm_tests_unit_effects_conventions_differ_by_t():
    d, W = simulate(N=30, T=6, rho=0.2, th=(0.0, 0.0), seed=8)
    a = spatial_lm_tests(d, "y", ["x1", "x2"], "id", "t", W, effects="entity")
    b = spatial_lm_tests(d, "y", ["x1", "x2"], "id", "t", W, effects="entity",
                         convention="elhorst")
    # tr W = 0: same formulas, T* = T-1 vs T and σ² = e'e/(N(T-1)) vs e'e/(NT)
    assert a.loc["LM error", "statistic"] == pytest.approx(b.loc["LM error", "statistic"] * 5 / 6)


def test_lm_tests_size_under_the_null_twoways():
    """150 null panels (no spatial dependence), two-way effects, 5% level: Lee-Yu-space tests
    reject at about 5%; Elhorst's demeaned-data LM error test is not centred and over-rejects."""
    W = knn_w(30, 4, np.random.default_rng(99))
    rej = {"leeyu": [], "elhorst": []}
    for s in range(150):
        d, _ = simulate(N=30, T=6, rho=0.0, th=(0.0, 0.0), seed=1000 + s, W=W)
        for conv in rej:
            p = spatial_lm_tests(d, "y", ["x1", "x2"], "id", "t", W, convention=conv)["p_value"]
            rej[conv].append(p.to_numpy() < 0.05)
    ly, el = np.mean(rej["leeyu"], axis=0), np.mean(rej["elhorst"], axis=0)
    assert np.all(ly < 0.10) and np.all(ly > 0.01)  # 150 draws: sd of a 5% rate is 1.8 pp
    assert el[1] > 0.10  # LM error, demeaned data: 12% in this design


# --- weights handling and bad input -----------------------------------------------------------

def test_weights_as_libpysal_or_dataframe_with_other_order(small):
    d, W = small
    ids = np.arange(30)
    perm = np.random.default_rng(1).permutation(30)
    Wp = pd.DataFrame(W[np.ix_(perm, perm)], index=ids[perm], columns=ids[perm])
    r0 = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, model="sar", n_sim=0)
    r1 = spatial_panel(d, "y", ["x1", "x2"], "id", "t", Wp, model="sar", n_sim=0)
    wl = libpysal.weights.full2W(Wp.to_numpy(), ids=ids[perm].tolist())
    r2 = spatial_panel(d, "y", ["x1", "x2"], "id", "t", wl, model="sar", n_sim=0)
    assert np.allclose(r0.params, r1.params) and np.allclose(r0.params, r2.params)
    # binary W is row-standardised on request only
    A = (W > 0).astype(float)
    with pytest.raises(ValueError, match="not row-standardised"):
        spatial_panel(d, "y", ["x1", "x2"], "id", "t", A, model="sar", n_sim=0)
    r3 = spatial_panel(d, "y", ["x1", "x2"], "id", "t", A, model="sar", n_sim=0,
                       row_standardise=True)
    assert np.allclose(r3.params, r0.params)


def test_bad_inputs(small):
    d, W = small
    with pytest.raises(ValueError, match="shape"):
        spatial_panel(d, "y", ["x1"], "id", "t", W[:-1, :-1])
    Wi = W.copy()
    Wi[3] = 0
    Wi[:, 3] = 0
    with pytest.raises(ValueError, match=r"islands\): \[3\]"):
        spatial_panel(d, "y", ["x1"], "id", "t", Wi, row_standardise=True)
    with pytest.raises(ValueError, match=r"balanced panel: 1 .*\(2, 3\)"):
        spatial_panel(d[~((d["id"] == 2) & (d["t"] == 3))], "y", ["x1"], "id", "t", W)
    dn = d.copy()
    dn.loc[0, "x1"] = np.nan
    with pytest.raises(ValueError, match=r"missing values in \{'x1': 1\}"):
        spatial_panel(dn, "y", ["x1"], "id", "t", W)
    dc = d.copy()
    dc["size"] = dc["id"] * 1.0  # time-invariant: absorbed by unit effects
    dc["trend"] = dc["t"] * 1.0  # unit-invariant: absorbed by period effects
    with pytest.raises(ValueError, match=r"collinear .*\['size'"):
        spatial_panel(dc, "y", ["x1", "size"], "id", "t", W, model="sar")
    with pytest.raises(ValueError, match=r"collinear .*'trend'"):
        spatial_panel(dc, "y", ["x1", "trend"], "id", "t", W, model="sdm")
    r = spatial_panel(dc, "y", ["x1", "trend"], "id", "t", W, model="sar", effects="entity",
                      n_sim=0)
    assert "trend" in r.params.index
    with pytest.raises(ValueError, match="model must be"):
        spatial_panel(d, "y", ["x1"], "id", "t", W, model="sac")
    with pytest.raises(KeyError, match="nope"):
        spatial_panel(d, "y", ["nope"], "id", "t", W)


def test_sdm_specification_tests():
    from analysis.models.spatial import sdm_specification_tests

    d, W = simulate(N=40, T=10, rho=0.4, th=(0.0, 0.0), seed=3)  # a SAR
    t = sdm_specification_tests(d, "y", ["x1", "x2"], "id", "t", W)
    sdm = spatial_panel(d, "y", ["x1", "x2"], "id", "t", W, n_sim=0)
    th = sdm.params[["W*x1", "W*x2"]].to_numpy()
    Vt = sdm.vcov.loc[["W*x1", "W*x2"], ["W*x1", "W*x2"]].to_numpy()
    assert t.loc["Wald SAR", "statistic"] == pytest.approx(th @ np.linalg.solve(Vt, th))
    assert t.loc["Wald SAR", "statistic"] == pytest.approx(t.loc["LR SAR", "statistic"], rel=0.05)
    assert t.loc["Wald SAR", "p_value"] > 0.01 and t.loc["Wald SEM", "p_value"] < 0.001
    d, W = simulate(N=40, T=10, rho=0.0, th=(0.0, 0.0), lam=0.5, seed=3)  # a SEM
    t = sdm_specification_tests(d, "y", ["x1", "x2"], "id", "t", W)
    assert t.loc["Wald SEM", "p_value"] > 0.5 and t.loc["LR SEM", "p_value"] > 0.5
    d, W = simulate(N=40, T=10, seed=3)  # an SDM
    t = sdm_specification_tests(d, "y", ["x1", "x2"], "id", "t", W)
    assert t["p_value"].max() < 1e-5


# --- LM tests against spreg; model selection; islands ----------------------------------------

def test_lm_tests_equal_spreg_on_stacked_demeaned_data():
    """Unit effects, convention="elhorst": the panel LM tests are spreg's cross-sectional
    LM tests (Anselin 1988; Anselin et al. 1996 robust forms) on the unit-demeaned data stacked
    by period with the block-diagonal W = I_T ⊗ W."""
    from scipy import sparse

    d, W = simulate(N=30, T=6, rho=0.2, th=(0.0, 0.0), seed=9)
    ours = spatial_lm_tests(d, "y", ["x1", "x2"], "id", "t", W, effects="entity",
                            convention="elhorst")
    s = d.sort_values(["t", "id"]).copy()
    for c in ("y", "x1", "x2"):
        s[c] = s[c] - s.groupby("id")[c].transform("mean")
    big = libpysal.weights.WSP(sparse.kron(sparse.eye(6), sparse.csr_matrix(W)).tocsr()).to_W()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ols = spreg.OLS(s[["y"]].to_numpy(), s[["x1", "x2"]].to_numpy(), w=big, spat_diag=True)
    pairs = {"LM lag": ols.lm_lag, "LM error": ols.lm_error, "robust LM lag": ols.rlm_lag,
             "robust LM error": ols.rlm_error}
    for name, (stat, p) in pairs.items():
        assert ours.loc[name, "statistic"] == pytest.approx(stat, rel=1e-8)
        assert ours.loc[name, "p_value"] == pytest.approx(p, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("kind", ["sar", "sem", "sdm", "none"])
def test_model_selection_recovers_the_dgp(kind):
    from analysis.models.spatial import spatial_model_selection

    args = {"sar": dict(rho=0.5, th=(0.0, 0.0)), "sem": dict(rho=0.0, th=(0.0, 0.0), lam=0.6),
            "sdm": dict(rho=0.4, th=(0.8, -0.6)), "none": dict(rho=0.0, th=(0.0, 0.0))}[kind]
    d, W = simulate(N=40, T=12, seed=21, **args)
    sel = spatial_model_selection(d, "y", ["x1", "x2"], "id", "t", W)
    assert sel.model == kind
    assert sel.dependence == (kind != "none")
    assert sel.interpret_spillovers == (kind in ("sar", "sdm"))
    v = sel.as_dict()
    assert set(v["lm_p"]) == {"LM lag", "LM error", "robust LM lag", "robust LM error"}
    assert set(v["wald_lr_p"]) == {"Wald SAR", "LR SAR", "Wald SEM", "LR SEM"}
    assert set(sel.fits) == {"sdm", "sar", "sem"}


def test_island_without_policy_is_refused_and_drop_names_it(small):
    from analysis.models.spatial import spatial_model_selection

    d, W = small
    Wi = W.copy()
    Wi[5] = 0
    Wi[:, 5] = 0
    Wi = np.where(Wi.sum(1, keepdims=True) > 0, Wi / np.maximum(Wi.sum(1, keepdims=True), 1e-300),
                  0.0)
    for f in (spatial_panel, spatial_lm_tests, spatial_model_selection):
        with pytest.raises(ValueError, match=r"islands\): \[5\].*islands='drop'"):
            f(d, "y", ["x1", "x2"], "id", "t", Wi)
    r = spatial_panel(d, "y", ["x1", "x2"], "id", "t", Wi, model="sar", islands="drop",
                      n_sim=0, row_standardise=True)
    assert r.n_groups == 29 and 5 not in r.w_ids
    assert any("islands" in n and "[5]" in n for n in r.notes)
    with pytest.raises(ValueError, match="islands must be one of"):
        spatial_panel(d, "y", ["x1"], "id", "t", W, islands="link")
