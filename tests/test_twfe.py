"""Two-way fixed effects: published Grunfeld numbers, a second library, hand recomputation."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.models import twfe
from tests.results import grunfeld as ref


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    from pathlib import Path

    # statsmodels' copy of the Grunfeld data, vendored (tests/data/README.md)
    d = pd.read_csv(Path(__file__).parent / "data" / "grunfeld.csv")
    d = d[d["firm"] != "American Steel"].copy()
    d["year"] = d["year"].astype(int)
    return d.reset_index(drop=True)


X = ["value", "capital"]


def _check(res, expected, rtol=None, decimals=None):
    for k, v in expected["params"].items():
        if decimals:
            assert round(res.params[k], decimals) == pytest.approx(v, abs=1e-12)
        else:
            assert res.params[k] == pytest.approx(v, rel=rtol)
    for k, v in expected["std_errors"].items():
        if decimals:
            assert round(res.std_errors[k], decimals) == pytest.approx(v, abs=1e-12)
        else:
            assert res.std_errors[k] == pytest.approx(v, rel=rtol)


def test_baltagi_within_conventional(grunfeld):
    res = twfe(grunfeld, "invest", X, "firm", None, effects="entity", vcov="iid")
    _check(res, ref.baltagi_within, decimals=4)
    assert res.nobs == 200 and res.n_groups == 10
    # xtreg, fe conventional errors: sigma^2 = RSS / (N - n - k) = RSS / 188
    assert res.dof == 188


def test_oneway_cluster_matches_xtreg_gretl(grunfeld):
    res = twfe(grunfeld, "invest", X, "firm", None, effects="entity")
    _check(res, ref.oneway_cluster, rtol=5e-6)
    assert res.dof == 9  # t(G - 1)
    w = res.wald_test(np.eye(2))
    assert w["stat"] == pytest.approx(ref.oneway_cluster["F"], rel=1e-5)


def test_twoway_cluster_matches_reghdfe_gretl(grunfeld):
    res = twfe(grunfeld, "invest", X, "firm", "year")
    _check(res, ref.twoway_cluster, rtol=5e-6)
    assert res.extra["K_ssc"] == ref.twoway_cluster["K"]
    assert res.cluster == "firm" and res.n_clusters == 10 and res.dof == 9
    assert res.wald_test(np.eye(2))["stat"] == pytest.approx(ref.twoway_cluster["F"], rel=1e-5)
    assert res.fixed_effects == ["firm", "year"]


def _lsdv_cr1(d: pd.DataFrame, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent recomputation: dummies OLS and the CR1 sandwich, q = G/(G-1)(N-1)/(N-K)."""
    D = pd.get_dummies(d[["firm"]].astype(str), drop_first=False, dtype=float)
    T = pd.get_dummies(d[["year"]].astype(str), drop_first=True, dtype=float)
    Z = np.column_stack([d[X].to_numpy(float), D.to_numpy(), T.to_numpy()])
    yv = d["invest"].to_numpy(float)
    ZtZi = np.linalg.pinv(Z.T @ Z)
    b = ZtZi @ Z.T @ yv
    e = yv - Z @ b
    meat = np.zeros((Z.shape[1], Z.shape[1]))
    for _, idx in d.groupby("firm").indices.items():
        s = Z[idx].T @ e[idx]
        meat += np.outer(s, s)
    N, G = len(d), d["firm"].nunique()
    V = ZtZi @ meat @ ZtZi * (G / (G - 1)) * ((N - 1) / (N - K))
    return b[:2], np.sqrt(np.diag(V)[:2])


def test_twoway_cluster_hand_recomputation_unbalanced(grunfeld):
    d = grunfeld.drop(index=[3, 47, 48, 120, 199]).reset_index(drop=True)
    res = twfe(d, "invest", X, "firm", "year")
    b, se = _lsdv_cr1(d, K=2 + 20)
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-8)
    np.testing.assert_allclose(res.std_errors.to_numpy(), se, rtol=1e-8)


def test_against_linearmodels_paneols(grunfeld):
    from linearmodels.panel import PanelOLS

    p = grunfeld.set_index(["firm", "year"])
    mod = PanelOLS(p["invest"], p[X], entity_effects=True, time_effects=True)
    raw = mod.fit(cov_type="clustered", cluster_entity=True)
    full = mod.fit(cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    res = twfe(grunfeld, "invest", X, "firm", "year")
    np.testing.assert_allclose(res.params.to_numpy(), raw.params.to_numpy(), rtol=1e-9)
    # reghdfe e(r2_within) = 1 - RSS / TSS after absorbing both effects = linearmodels .rsquared
    assert res.r2_within == pytest.approx(raw.rsquared, rel=1e-8)
    # ssc="areg": all 29 absorbed effects in K, q = G/(G-1)(N-1)/(N-31) = linearmodels
    # debiased + group_debias
    areg = twfe(grunfeld, "invest", X, "firm", "year", ssc="areg")
    np.testing.assert_allclose(areg.std_errors.to_numpy(), full.std_errors.to_numpy(), rtol=1e-8)
    # reghdfe counts K = 22 instead of 31: SE scale sqrt((N-31)/(N-22))
    np.testing.assert_allclose(res.std_errors.to_numpy(),
                               full.std_errors.to_numpy() * np.sqrt(169 / 178), rtol=1e-8)


def test_ssc_presets_ordering(grunfeld):
    se = {s: twfe(grunfeld, "invest", X, "firm", "year", ssc=s).std_errors["value"]
          for s in ["none", "none_k", "reghdfe", "areg"]}
    assert se["none"] < se["none_k"] < se["reghdfe"] < se["areg"]
    # exact ratios from the formulas
    assert (se["reghdfe"] / se["none"]) ** 2 == pytest.approx(10 / 9 * 199 / 178, rel=1e-10)
    assert (se["areg"] / se["none"]) ** 2 == pytest.approx(10 / 9 * 199 / 169, rel=1e-10)


def test_missing_values_dropped_with_note(grunfeld):
    d = grunfeld.copy()
    d.loc[[5, 60], "value"] = np.nan
    d.loc[[70], "invest"] = np.nan
    res = twfe(d, "invest", X, "firm", "year")
    assert res.nobs == 197
    assert any("3 observation(s) with missing values dropped" in n for n in res.notes)
    direct = twfe(d.dropna(), "invest", X, "firm", "year")
    np.testing.assert_allclose(res.params, direct.params)
    with pytest.raises(ValueError, match="3 row"):
        twfe(d, "invest", X, "firm", "year", missing="raise")


def test_absorbed_regressor_named(grunfeld):
    d = grunfeld.copy()
    d["firm_size"] = d.groupby("firm")["capital"].transform("mean")  # constant within firm
    d["trend_common"] = d["year"] * 2.0  # constant within year
    with pytest.raises(ValueError, match=r"\['firm_size'\] absorbed"):
        twfe(d, "invest", ["value", "firm_size"], "firm", "year")
    with pytest.raises(ValueError, match=r"\['trend_common'\] absorbed"):
        twfe(d, "invest", ["value", "trend_common"], "firm", "year")
    d["v2"] = 2 * d["value"]
    with pytest.raises(ValueError, match="collinear"):
        twfe(d, "invest", ["value", "v2"], "firm", "year")


def test_singletons_dropped_like_reghdfe(grunfeld):
    extra = pd.DataFrame({"invest": [10.0], "value": [100.0], "capital": [5.0],
                          "firm": ["Lonely Corp"], "year": [1940]})
    d = pd.concat([grunfeld, extra], ignore_index=True)
    res = twfe(d, "invest", X, "firm", "year")
    base = twfe(grunfeld, "invest", X, "firm", "year")
    assert res.nobs == 200 and res.extra["dropped_singletons"] == 1
    assert any("1 singleton" in n for n in res.notes)
    np.testing.assert_allclose(res.params, base.params)
    np.testing.assert_allclose(res.std_errors, base.std_errors)


def test_bad_input_messages(grunfeld):
    with pytest.raises(KeyError, match="nope"):
        twfe(grunfeld, "invest", ["nope"], "firm", "year")
    d = pd.concat([grunfeld, grunfeld.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="share their key"):
        twfe(d, "invest", X, "firm", "year")
    with pytest.raises(ValueError, match="ssc must be"):
        twfe(grunfeld, "invest", X, "firm", "year", ssc="stata")


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=10, max_size=10),
       st.lists(st.floats(-50, 50), min_size=20, max_size=20))
def test_invariance_to_entity_and_time_shifts(a, g):
    """Adding any c_i + d_t to y leaves the two-way within estimates unchanged."""
    from statsmodels.datasets import grunfeld as gr

    d = gr.load_pandas().data
    d = d[d["firm"] != "American Steel"].copy()
    d["year"] = d["year"].astype(int)
    base = twfe(d, "invest", X, "firm", "year")
    ci = dict(zip(sorted(d["firm"].unique()), a, strict=True))
    dt = dict(zip(sorted(d["year"].unique()), g, strict=True))
    d["invest"] = d["invest"] + d["firm"].map(ci) + d["year"].map(dt)
    res = twfe(d, "invest", X, "firm", "year")
    np.testing.assert_allclose(res.params, base.params, rtol=1e-6, atol=1e-8)


@pytest.mark.r_peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_r_plm_live(grunfeld):
    """R plm, run live: two-way within; vcovHC(type='sss') = Stata ssc with K = k (our 'none_k')."""
    code = (
        "suppressMessages(library(plm)); data(Grunfeld);"
        "m <- plm(inv ~ value + capital, data = Grunfeld, model = 'within', effect = 'twoways');"
        "v <- vcovHC(m, cluster = 'group', type = 'sss');"
        "cat(sprintf('%.12g', c(coef(m), sqrt(diag(v)))), sep = ' ')"
    )
    try:
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("Rscript timed out")
    if out.returncode != 0:
        pytest.skip(f"R plm unavailable: {out.stderr.strip()[:200]}")
    vals = np.array(out.stdout.split(), dtype=float)
    res = twfe(grunfeld, "invest", X, "firm", "year", ssc="none_k")
    np.testing.assert_allclose(res.params.to_numpy(), vals[:2], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors.to_numpy(), vals[2:], rtol=1e-7)


def test_infinite_values_named(grunfeld):
    d = grunfeld.copy()
    d.loc[7, "value"] = np.inf
    with pytest.raises(ValueError, match=r"'value' has 1 infinite value.*Atlantic Refining|"
                                         r"'value' has 1 infinite value"):
        twfe(d, "invest", X, "firm", "year")
    one = grunfeld[grunfeld.firm == grunfeld.firm.iloc[0]]
    with pytest.raises(ValueError, match="20 singletons of firm \\+ year dropped"):
        twfe(one, "invest", X, "firm", "year")


def test_demean_equals_residuals_on_fixed_effect_dummies():
    """Two-way within transform on an unbalanced panel = OLS residuals on entity + time dummies."""
    from analysis.models.twfe import demean, demean_array

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"e": rng.integers(0, 12, 200), "t": rng.integers(0, 7, 200),
                       "a": rng.normal(size=200), "b": rng.normal(size=200)})
    D = pd.get_dummies(df[["e", "t"]].astype(str), drop_first=True, dtype=float)
    X = np.column_stack([np.ones(len(df)), D.to_numpy()])
    Y = df[["a", "b"]].to_numpy()
    resid = Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]
    out = demean(df[["a", "b"]], df[["e", "t"]])
    np.testing.assert_allclose(out.to_numpy(), resid, atol=1e-9)
    assert list(out.columns) == ["a", "b"] and out.index.equals(df.index)
    codes = [pd.factorize(df["e"])[0], pd.factorize(df["t"])[0]]
    np.testing.assert_allclose(demean_array(df["a"].to_numpy(), codes), resid[:, 0], atol=1e-9)


def test_panel_keys_checked_at_entry(grunfeld):
    """Missing, empty or whitespace-only keys and duplicates: errors naming the rows
    (analysis._validate.check_keys, shared with the measures)."""
    d = grunfeld.copy()
    d.loc[4, "firm"] = ""
    with pytest.raises(ValueError, match=r"key column 'firm' is missing, empty or blank in 1 "
                                         r"row\(s\): rows \[4\]"):
        twfe(d, "invest", X, "firm", "year")
    d.loc[4, "firm"] = "   "
    with pytest.raises(ValueError, match=r"'firm' is missing, empty or blank .* rows \[4\]"):
        twfe(d, "invest", X, "firm", "year")
    d = grunfeld.copy()
    d.loc[[9, 11], "year"] = np.nan
    with pytest.raises(ValueError, match=r"'year' is missing, empty or blank in 2 row\(s\): "
                                         r"rows \[9, 11\]"):
        twfe(d, "invest", X, "firm", "year")
    d = pd.concat([grunfeld, grunfeld.iloc[[3]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"2 rows share their key \(firm, year\): rows \[3, 200\]"):
        twfe(d, "invest", X, "firm", "year")
    d = grunfeld.assign(cl=grunfeld["firm"].where(grunfeld.index != 17, " "))
    with pytest.raises(ValueError, match=r"cluster\): key column 'cl' is missing, empty or blank"):
        twfe(d, "invest", X, "firm", "year", cluster="cl")


def test_drop_absorbed_with_note(grunfeld):
    d = grunfeld.copy()
    d["firm_size"] = d.groupby("firm")["capital"].transform("mean")
    res = twfe(d, "invest", ["value", "firm_size", "capital"], "firm", "year",
               drop_absorbed=True)
    base = twfe(grunfeld, "invest", X, "firm", "year")
    assert list(res.params.index) == ["value", "capital"]
    np.testing.assert_allclose(res.params, base.params, rtol=1e-10)
    np.testing.assert_allclose(res.std_errors, base.std_errors, rtol=1e-10)
    assert any("['firm_size'] absorbed" in n and "dropped" in n for n in res.notes)
    with pytest.raises(ValueError, match="every regressor is absorbed"):
        twfe(d, "invest", ["firm_size"], "firm", "year", drop_absorbed=True)
    with pytest.raises(ValueError, match="drop_absorbed=True"):
        twfe(d, "invest", ["value", "firm_size"], "firm", "year")
