"""Wild cluster bootstrap (against pyfixest's Feols.wildboottest) and randomisation inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import twfe
from analysis.models.inference import permutation_test, wild_cluster_bootstrap


def _panel(G=31, T=12, beta=0.08, seed=7, hetero=True):
    """Balanced panel, cluster-correlated and heteroskedastic errors, entity and year effects."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(G):
        a = rng.normal()
        scale = 1 + abs(a) if hetero else 1.0
        for t in range(T):
            x1 = rng.normal() + 0.3 * a
            x2 = rng.normal()
            y = beta * x1 + 0.5 * x2 + a + 0.1 * t + rng.normal() * scale + 0.5 * rng.normal()
            rows.append(dict(id=100 + 7 * g, year=2000 + t, x1=x1, x2=x2, y=y))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def panel():
    return _panel()


@pytest.fixture(scope="module")
def fit(panel):
    return twfe(panel, "y", ["x1", "x2"], "id", "year")


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
@pytest.mark.parametrize("impose_null", [True, False])
def test_pvalue_equals_pyfixest_wildboottest(panel, fit, weights, impose_null):
    """Same fit, same seed: pyfixest's Feols.wildboottest (one-hot FE design) and ours agree.

    Acceptance: |Δp| ≤ 0.02 at 9,999 replications; the two use the same weight draws, so the
    p-values are in fact equal (the year effects are re-estimated in each bootstrap sample in
    both, the province effects are nested in the clusters).
    """
    import pyfixest as pf

    ours = fit.wild_bootstrap("x1", reps=9999, weights=weights, impose_null=impose_null,
                              seed=42)
    pfit = pf.feols("y ~ x1 + x2 | id + year", data=panel, vcov={"CRV1": "id"})
    theirs = pfit.wildboottest(param="x1", reps=9999, seed=42, weights_type=weights,
                               impose_null=impose_null)
    assert abs(ours.p_value - float(theirs["Pr(>|t|)"])) <= 0.02
    assert ours.p_value == pytest.approx(float(theirs["Pr(>|t|)"]), abs=1e-12)
    assert ours.reps == 9999 and ours.n_clusters == 31 and fit.wild["x1"] is ours


def test_pyfixest_agrees_on_a_rejected_null(panel):
    """A real effect: the p-values are small and still equal."""
    import pyfixest as pf

    d = panel.assign(y=panel["y"] + 0.6 * panel["x1"])
    ours = twfe(d, "y", ["x1", "x2"], "id", "year").wild_bootstrap("x1", reps=9999, seed=3)
    theirs = pf.feols("y ~ x1 + x2 | id + year", data=d, vcov={"CRV1": "id"}).wildboottest(
        param="x1", reps=9999, seed=3)
    assert ours.p_value < 0.01
    assert ours.p_value == pytest.approx(float(theirs["Pr(>|t|)"]), abs=1e-12)


def test_ci_is_the_set_of_nulls_not_rejected(fit):
    """Test inversion: p(β0) > 0.05 just inside each bound, ≤ 0.05 just outside (same draws)."""
    wb = fit.wild_bootstrap("x1", reps=1999, seed=11)
    d = fit.design
    width = wb.ci_upper - wb.ci_lower
    assert wb.ci_lower < wb.estimate < wb.ci_upper
    eps = 1e-4 * width
    for bound, inside, outside in ((wb.ci_lower, +eps, -eps), (wb.ci_upper, -eps, +eps)):
        p_in = wild_cluster_bootstrap(d.y, d.X, d.cluster, "x1", names=d.names, reps=1999,
                                      seed=11, null=bound + inside).p_value
        p_out = wild_cluster_bootstrap(d.y, d.X, d.cluster, "x1", names=d.names, reps=1999,
                                       seed=11, null=bound + outside).p_value
        assert p_in > 0.05 >= p_out
    # the CR1 interval is of the same size here (31 clusters, no outliers)
    cr1 = fit.conf_int().loc["x1"]
    assert width == pytest.approx(cr1["upper"] - cr1["lower"], rel=0.25)


def test_wcu_interval_is_percentile_t(fit):
    wb = fit.wild_bootstrap("x1", reps=999, seed=5, impose_null=False)
    half = (wb.ci_upper - wb.ci_lower) / 2
    assert (wb.ci_lower + wb.ci_upper) / 2 == pytest.approx(wb.estimate, rel=1e-12)
    assert half > 0


def test_seeded_and_input_shapes_identical(fit):
    d = fit.design
    ref = wild_cluster_bootstrap(d.y, d.X, d.cluster, 0, reps=499, seed=1)
    again = wild_cluster_bootstrap(d.y, d.X, d.cluster, 0, reps=499, seed=1)
    assert (ref.p_value, ref.ci_lower, ref.ci_upper) == (again.p_value, again.ci_lower,
                                                         again.ci_upper)
    variants = [
        (d.y[:, None], d.X, d.cluster),
        (pd.Series(d.y), pd.DataFrame(d.X), pd.Series(d.cluster)),
        (list(d.y), [list(r) for r in d.X], list(d.cluster)),
        (d.y, d.X, d.cluster[:, None]),
    ]
    for yy, XX, cc in variants:
        r = wild_cluster_bootstrap(yy, XX, cc, 0, reps=499, seed=1)
        assert (r.p_value, r.ci_lower, r.ci_upper) == (ref.p_value, ref.ci_lower, ref.ci_upper)
    # cluster ids of any type, same grouping -> same numbers
    ids = np.array([f"p{c:03d}" for c in d.cluster])
    r = wild_cluster_bootstrap(d.y, d.X, ids, 0, reps=499, seed=1)
    assert r.p_value == ref.p_value


def test_full_enumeration_and_webb_with_few_clusters():
    d = _panel(G=8, T=10, seed=2)
    res = twfe(d, "y", ["x1", "x2"], "id", "year")
    rad = res.wild_bootstrap("x1", reps=999, seed=1)
    assert rad.full_enumeration and rad.reps == 2 ** 8
    assert any("enumerated" in n for n in rad.notes)
    # full enumeration is exact: the seed does not matter
    assert res.wild_bootstrap("x1", reps=999, seed=2).p_value == rad.p_value
    webb = res.wild_bootstrap("x1", reps=999, seed=1, weights="webb")
    assert not webb.full_enumeration and webb.reps == 999 and webb.weights == "webb"


def test_bad_input():
    d = _panel(G=5, T=4, seed=1)
    res = twfe(d, "y", ["x1"], "id", "year")
    with pytest.raises(ValueError, match="not a coefficient"):
        res.wild_bootstrap("nope")
    with pytest.raises(ValueError, match="weights must be one of"):
        res.wild_bootstrap("x1", weights="gauss")
    des = res.design
    with pytest.raises(ValueError, match="at least 2 clusters"):
        wild_cluster_bootstrap(des.y, des.X, np.zeros(des.y.size), 0)
    with pytest.raises(ValueError, match="y has 1 missing"):
        y = des.y.copy()
        y[3] = np.nan
        wild_cluster_bootstrap(y, des.X, des.cluster, 0)
    with pytest.raises(ValueError, match="X must have"):
        wild_cluster_bootstrap(des.y, des.X[:-1], des.cluster, 0)
    with pytest.raises(ValueError, match="collinear"):
        wild_cluster_bootstrap(des.y, np.column_stack([des.X[:, 0], 2 * des.X[:, 0]]),
                               des.cluster, 0)
    nocl = twfe(d, "y", ["x1"], "id", "year", vcov="hetero")
    with pytest.raises(ValueError, match="no design stored|not clustered"):
        nocl.wild_bootstrap("x1")


def test_fewer_than_two_clusters_in_twfe():
    d = _panel(G=6, T=4, seed=1).assign(one=1)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        twfe(d, "y", ["x1"], "id", "year", cluster="one")


# -------------------------------------------------------------------------------------------
# randomisation inference
# -------------------------------------------------------------------------------------------


def test_permutation_distribution_equals_refits(panel):
    """Each permuted t equals a twfe refit on the permuted data (same permutations)."""
    pt = permutation_test(panel, "y", ["x1", "x2"], "x1", "id", "year", reps=6, seed=9)
    rng = np.random.default_rng(9)
    years = pd.factorize(panel["year"])[0]
    raw = panel["x1"].to_numpy()
    for b in range(6):
        xb = raw.copy()
        for p in np.unique(years):
            idx = np.flatnonzero(years == p)
            xb[idx] = raw[idx[rng.permutation(idx.size)]]
        r = twfe(panel.assign(x1=xb), "y", ["x1", "x2"], "id", "year")
        assert pt.permuted_t[b] == pytest.approx(r.params["x1"] / r.std_errors["x1"], rel=1e-8)
        assert pt.permuted_coef[b] == pytest.approx(r.params["x1"], rel=1e-8)


def test_permutation_pvalue_under_a_known_null_and_a_known_effect():
    """Known null (β = 0): p-values are uniform, so about 5 % fall below 0.05 (binomial band);
    a strong effect gets the smallest attainable p = 1/(B + 1)."""
    ps = []
    for s in range(40):
        d = _panel(G=12, T=6, beta=0.0, seed=1000 + s, hetero=False)
        ps.append(permutation_test(d, "y", ["x1", "x2"], "x1", "id", "year", reps=199,
                                   seed=s).p_value)
    ps = np.array(ps)
    # P(Binomial(40, 0.05) >= 7) < 0.02; a uniform p has mean 0.5 (sd of the mean 0.046)
    assert (ps < 0.05).sum() <= 6 and abs(ps.mean() - 0.5) < 0.14
    strong = _panel(G=12, T=6, beta=3.0, seed=5, hetero=False)
    pt = permutation_test(strong, "y", ["x1", "x2"], "x1", "id", "year", reps=199, seed=1)
    assert pt.p_value == pytest.approx(1 / 200)
    again = permutation_test(strong, "y", ["x1", "x2"], "x1", "id", "year", reps=199, seed=1)
    np.testing.assert_array_equal(pt.permuted_t, again.permuted_t)


def test_permutation_set_smaller_than_requested():
    d = _panel(G=3, T=3, seed=1)
    # 3!^3 = 216 distinct within-year arrangements
    with pytest.raises(ValueError, match="only 216 distinct within-period permutations"):
        permutation_test(d, "y", ["x1", "x2"], "x1", "id", "year", reps=999)
    with pytest.raises(ValueError, match="not among the regressors"):
        permutation_test(d, "y", ["x1"], "x2", "id", "year", reps=9)


# -------------------------------------------------------------------------------------------
# tables and the few-cluster rule
# -------------------------------------------------------------------------------------------


def test_table_shows_wild_pvalue_beside_se_and_wild_only_columns():
    from analysis.models.heterogeneity import heterogeneity
    from analysis.models.tables import regression_table

    d = _panel(G=16, T=8, seed=4)
    d["grp"] = np.where(d["id"] < 100 + 7 * 12, "big", "small")  # 12 and 4 clusters
    het = heterogeneity(d, "y", ["x1", "x2"], "id", "year", group="grp",
                        wild={"reps": 999, "seed": 1}, min_clusters=10)
    big, small = het.subsamples["big"], het.subsamples["small"]
    assert not big.wild_only and set(big.wild) == {"x1"}
    assert small.wild_only and set(small.wild) == {"x1", "x2"}
    assert all(w.weights == "webb" for w in small.wild.values())
    assert big.wild["x1"].weights == "rademacher"
    tab = regression_table({"big": big, "small": small})
    b = tab.body
    se_x1 = b.iloc[1].tolist()
    assert se_x1[0] == f"({big.std_errors['x1']:.3f}) [{big.wild['x1'].p_value:.3f}]"
    assert se_x1[1] == f"[{small.wild['x1'].p_value:.3f}]"  # no CR1 standard error
    # stars of the wild-only column come from the bootstrap p-value
    from analysis.models.tables import stars_for

    assert b.iloc[0, 1].endswith(stars_for(small.wild["x1"].p_value)) or \
        not stars_for(small.wild["x1"].p_value)
    assert "(" not in b.iloc[3, 1] and b.iloc[3, 0].startswith("(")
    notes = " ".join(tab.notes)
    assert "Wild cluster bootstrap p-values in brackets" in notes
    assert "small (G = 4): fewer than 10 clusters" in notes and "Webb" in notes
    # the pooled slopes carry wild p-values too
    assert het.slopes["wild_p_value"].between(0, 1).all()
    tid = small.tidy()
    assert tid.loc[tid.term == "x2", "wild_p_value"].item() == small.wild["x2"].p_value


def test_method_text_in_both_languages(fit):
    wb = fit.wild_bootstrap("x1", reps=999, seed=1)
    assert wb.method_text("en") == wb.method == "WCR, Rademacher weights, 999 draws"
    assert wb.method_text("zh") == "约束原假设（WCR），Rademacher权重，999次抽样"
    small = twfe(_panel(G=8), "y", ["x1", "x2"], "id", "year")  # 2^8 = 256 < 999 draws
    full = small.wild_bootstrap("x1", reps=999, seed=1)
    assert full.full_enumeration and full.reps == 256
    assert full.method_text("en") == "WCR, Rademacher weights, all 256 sign vectors"
    assert full.method_text("zh") == "约束原假设（WCR），Rademacher权重，穷举全部256个符号向量"
    with pytest.raises(ValueError, match="lang"):
        wb.method_text("fr")
