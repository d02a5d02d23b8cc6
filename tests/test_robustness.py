"""Robustness and heterogeneity helpers: each specification equals the hand-made regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import twfe
from analysis.models.heterogeneity import heterogeneity
from analysis.models.robustness import MUNICIPALITIES, lag_within, robustness, winsorize_series

EAST = {110000, 120000, 130000, 310000, 320000, 330000, 350000, 370000, 440000, 460000}
NE = {210000, 220000, 230000}
CENTRAL = {140000, 340000, 360000, 410000, 420000, 430000}
CODES = sorted(EAST | NE | CENTRAL | {150000, 450000, 500000, 510000, 520000, 530000, 540000,
                                      610000, 620000, 630000, 640000, 650000})
SLOPE = {"east": 1.0, "central": 0.5, "west": 0.2, "northeast": 0.0}


def region(c):
    return "east" if c in EAST else "northeast" if c in NE else "central" if c in CENTRAL else "west"


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(3)
    rows = []
    for c in CODES:
        mu = rng.normal()
        for t in range(2006, 2023):
            x, z = rng.normal() + 0.5 * mu, rng.normal()
            y = SLOPE[region(c)] * x + 0.3 * z + mu + 0.1 * (t - 2006) + rng.normal(scale=0.5)
            rows.append(dict(province_code=c, year=t, region=region(c), x=x, z=z, y=y))
    d = pd.DataFrame(rows)
    d["y_alt"] = 2 * d["y"] + 1
    d.loc[d.sample(frac=0.02, random_state=1).index, "x"] = 25.0  # outliers
    return d


def test_lag_within_matches_on_time_not_rows():
    d = pd.DataFrame({"e": [1, 1, 1, 2, 2], "t": [2000, 2001, 2003, 2000, 2001],
                      "v": [1.0, 2.0, 4.0, 10.0, 20.0]})
    lagged = lag_within(d, ["v"], "e", "t", 1)["v"].tolist()
    assert lagged[0] != lagged[0] and lagged[1] == 1.0 and lagged[2] != lagged[2]
    assert lagged[4] == 10.0


def test_winsorize_series():
    s = pd.Series(np.arange(101, dtype=float))
    w = winsorize_series(s, 0.05, 0.95)
    assert w.min() == 5.0 and w.max() == 95.0 and w.iloc[50] == 50.0
    with pytest.raises(ValueError):
        winsorize_series(s, 0.9, 0.1)


def test_winsorize_uses_stata_pctile_rule():
    """Stata _pctile (winsor2, summarize detail): P = n p; integer P averages x_(P), x_(P+1)."""
    s = pd.Series(np.arange(1.0, 11.0))  # n = 10: P = 0.1 and 9.9 -> x_(1) = 1, x_(10) = 10
    w = winsorize_series(s, 0.01, 0.99)
    assert w.tolist() == s.tolist()  # nothing clipped (pandas' linear rule gives 1.09, 9.91)
    lin = winsorize_series(s, 0.01, 0.99, method="linear")
    assert lin.min() == pytest.approx(1.09) and lin.max() == pytest.approx(9.91)
    # n = 200, p = 0.01: P = 2 -> (x_(2) + x_(3)) / 2; p = 0.99: P = 198 -> (x_(198) + x_(199)) / 2
    v = np.arange(1.0, 201.0) ** 2
    s2 = pd.Series(np.r_[v, np.nan]).sample(frac=1, random_state=0)
    w2 = winsorize_series(s2, 0.01, 0.99)
    assert w2.min() == (4.0 + 9.0) / 2 and w2.max() == (198.0**2 + 199.0**2) / 2
    assert w2.isna().sum() == 1
    with pytest.raises(ValueError, match="method"):
        winsorize_series(s, 0.01, 0.99, method="type7")


def test_each_spec_equals_manual_regression(panel):
    r = robustness(panel, "y", ["x", "z"], "province_code", "year", lags=[1, 2],
                   winsorize=(0.01, 0.99), exclude={"no municipalities": MUNICIPALITIES},
                   alt_outcomes=["y_alt"], subsets={"2010+": lambda d: d["year"] >= 2010})
    assert list(r.results) == ["baseline", "lag 1", "lag 2", "winsor 0.01-0.99",
                               "no municipalities", "outcome y_alt", "2010+"]
    assert r.failed == {}
    base = twfe(panel, "y", ["x", "z"], "province_code", "year")
    np.testing.assert_allclose(r.results["baseline"].params, base.params)
    d = panel.copy()
    d[["lx", "lz"]] = lag_within(d, ["x", "z"], "province_code", "year", 2).to_numpy()
    man = twfe(d, "y", ["lx", "lz"], "province_code", "year")
    np.testing.assert_allclose(r.results["lag 2"].params.to_numpy(), man.params.to_numpy())
    assert r.results["lag 2"].nobs == 31 * 15 and list(r.results["lag 2"].params.index) == ["x", "z"]
    d = panel.copy()
    for c in ["y", "x", "z"]:
        lo, hi = np.quantile(d[c].dropna(), [0.01, 0.99], method="averaged_inverted_cdf")
        d[c] = d[c].clip(lo, hi)
    man = twfe(d, "y", ["x", "z"], "province_code", "year")
    np.testing.assert_allclose(r.results["winsor 0.01-0.99"].params, man.params)
    man = twfe(panel[~panel.province_code.isin(MUNICIPALITIES)], "y", ["x", "z"],
               "province_code", "year")
    np.testing.assert_allclose(r.results["no municipalities"].params, man.params)
    assert r.results["no municipalities"].n_groups == 27
    # y_alt = 2 y + 1: coefficients and SEs exactly double
    np.testing.assert_allclose(r.results["outcome y_alt"].params, 2 * base.params, rtol=1e-9)
    np.testing.assert_allclose(r.results["outcome y_alt"].std_errors, 2 * base.std_errors,
                               rtol=1e-9)
    assert r.results["2010+"].nobs == 31 * 13
    t = r.table
    assert len(t) == 14 and set(t.columns) >= {"spec", "term", "estimate", "std_error", "nobs"}
    assert t.loc[(t.spec == "baseline") & (t.term == "x"), "estimate"].item() == base.params["x"]


def test_failed_alternative_is_recorded(panel):
    d = panel.copy()
    d["const_outcome"] = np.nan
    r = robustness(d, "y", ["x"], "province_code", "year", lags=None, winsorize=None,
                   alt_outcomes=["const_outcome"])
    assert "outcome const_outcome" in r.failed and list(r.results) == ["baseline"]


def test_heterogeneity_subsamples_and_wald(panel):
    d = panel[panel.x < 20]  # drop outliers
    h = heterogeneity(d, "y", ["x", "z"], "province_code", "year")
    assert list(h.subsamples) == ["east", "central", "west", "northeast"]
    for g, res in h.subsamples.items():
        man = twfe(d[d.region == g], "y", ["x", "z"], "province_code", "year")
        np.testing.assert_allclose(res.params, man.params)
        assert res.params["x"] == pytest.approx(SLOPE[g], abs=0.15)
    # Wald F by hand: H0 beta_x equal in the four regions, from the interaction model
    r = h.interaction
    idx = list(r.params.index)
    R = np.zeros((3, len(idx)))
    for k, g in enumerate(["central", "west", "northeast"]):
        R[k, idx.index(f"x:{g}")] = 1
        R[k, idx.index("x:east")] = -1
    b = r.params.to_numpy()
    V = r.vcov.to_numpy()
    F = (R @ b) @ np.linalg.solve(R @ V @ R.T, R @ b) / 3
    assert h.test["stat"] == pytest.approx(F, rel=1e-10)
    assert h.test["df1"] == 3 and h.test["df2"] == 30 and h.test["p_value"] < 1e-6
    assert set(h.slopes["group"]) == {"east", "central", "west", "northeast"}


def test_heterogeneity_equal_slopes_exact():
    rng = np.random.default_rng(5)
    rows = []
    for c in CODES:
        mu = rng.normal()
        for t in range(2006, 2023):
            x, z = rng.normal(), rng.normal()
            # identical slope of x in every region (a near-exact fit: noise 1e-6); z slopes
            # differ, not tested
            rows.append(dict(province_code=c, year=t, region=region(c), x=x, z=z,
                             y=0.5 * x + SLOPE[region(c)] * z + mu + 0.1 * t
                             + 1e-6 * rng.normal()))
    d = pd.DataFrame(rows)
    h = heterogeneity(d, "y", ["x", "z"], "province_code", "year", full=True)
    np.testing.assert_allclose(h.slopes.query("term == 'x'")["estimate"], 0.5, atol=1e-5)
    # an exact fit has no standard error: refused, not reported as 0 or NaN
    exact = d.assign(y=0.5 * d["x"] + d["region"].map(SLOPE) * d["z"]
                     + d.groupby("province_code")["y"].transform("mean"))
    with pytest.raises(ValueError, match="perfect fit"):
        heterogeneity(exact, "y", ["x", "z"], "province_code", "year", full=True)


def test_heterogeneity_bad_group(panel):
    d = panel.copy()
    d["flip"] = np.where(d.year > 2015, "a", "b")
    with pytest.raises(ValueError, match="varies within"):
        heterogeneity(d, "y", ["x"], "province_code", "year", group="flip")
    with pytest.raises(ValueError, match="two groups"):
        heterogeneity(d.assign(one="x"), "y", ["x"], "province_code", "year", group="one")


def test_heterogeneity_single_entity_group_skipped_with_note(panel):
    """A group with one province: every sub-sample row is a singleton of the year FE. The group
    is left out of the sub-samples with a note; its slope still comes from the pooled model."""
    d = panel[panel.x < 20]
    d = d[(d.region != "northeast") | (d.province_code == 210000)]
    h = heterogeneity(d, "y", ["x", "z"], "province_code", "year")
    assert list(h.subsamples) == ["east", "central", "west"]
    assert len(h.notes) == 1 and "'northeast'" in h.notes[0] and "singletons" in h.notes[0]
    assert h.test["df1"] == 3
    # the pooled model still gives Liaoning's slope (true value 0), with a finite SE
    ne = h.slopes.query("term == 'x' and group == 'northeast'")
    assert ne["estimate"].item() == pytest.approx(SLOPE["northeast"], abs=0.4)
    assert np.isfinite(ne["std_error"].item())
