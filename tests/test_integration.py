"""The integration framework on small synthetic panels with known answers.

What is checked (numbers, not just that code runs):
* subsystem scores equal an independent re-implementation of the panel entropy method here;
  C, T, D equal their formulas; z-scores have mean 0 and sd 1 within each year;
* the typology rule on hand-worked rows; a province built to be platform-dominant is classified
  so, and provinces with equal pillars are multi-model; clusters recover planted types;
* monotonicity, stated precisely: with the pillar weights held fixed, raising a positive indicator
  (or lowering a negative one) of one province never lowers that province's pillar score — whether
  the min-max bounds are held fixed or re-estimated. With entropy weights re-estimated it can
  fall: a concrete counterexample is kept as a test;
* the missing-value rule (window by coverage, interpolation, worst-value fill) cell by cell;
* pathway percentiles and gaps on a hand example; robustness shares with known values;
* run() end to end in a temporary project root: contract columns and all 31 provinces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.data.provinces import PROVINCES
from analysis.framework import integration as I
from analysis.framework.spec import PATHWAYS, PILLARS, load_spec, validate_spec
from analysis.measures import entropy_weight

LABELS = {k: {"label_zh": k, "label_en": k} for k in (*PILLARS, *PATHWAYS, "st", "ind")}
REGIONS = PROVINCES.set_index("province_code")["region"]
CODES = PROVINCES["province_code"].tolist()

# pillar -> its two indicators and their subsystem / pathway
_PLAN = {
    "chain": [("c1", "st", "enterprise"), ("c2", "ind", "enterprise")],
    "platform": [("p1", "st", "pilot_platform"), ("p2", "ind", "pilot_platform")],
    "demand": [("d1", "st", "scenario_cluster"), ("d2", "ind", "scenario_cluster")],
    "future": [("f1", "st", "core_tech"), ("f2", "ind", "core_tech")],
}
COLS = [n for v in _PLAN.values() for n, _, _ in v] + ["g1"]


def small_spec(directions: dict[str, str] | None = None):
    directions = directions or {}
    inds = []
    for pillar, members in _PLAN.items():
        for name, sub, path in members:
            inds.append(dict(name=name, label_zh=name, label_en=name, formula=name,
                             direction=directions.get(name, "positive"), unit="x",
                             subsystem=sub, pillar=pillar, pathway=path, reference=["r"]))
    inds.append(dict(name="g1", label_zh="g1", label_en="g1", formula="g1", direction="positive",
                     unit="x", subsystem="none", pillar="none", pathway="institution_finance",
                     reference=["r"]))
    raw = dict(version="test", subsystems={k: LABELS[k] for k in ("st", "ind")},
               pillars={k: LABELS[k] for k in PILLARS}, pathways={k: LABELS[k] for k in PATHWAYS},
               references={"r": "test"}, indicators=inds)
    return validate_spec(raw, columns=COLS)


def flat_panel(n: int = 10, years=(2020, 2021, 2022)) -> pd.DataFrame:
    """Every indicator equals the same province base value: all pillars identical."""
    rows = []
    for i, code in enumerate(CODES[:n]):
        for y in years:
            base = 1.0 + i + 0.1 * (y - years[0])
            rows.append({"province_code": code, "year": y, **{c: base for c in COLS}})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------- typology rule


def test_classify_models_hand_rows():
    z = pd.DataFrame(
        [[1.0, 0.2, 0.1, 0.0],   # lead 0.8 > 0.5 -> chain
         [0.1, 1.0, 0.7, 0.0],   # lead 0.3 -> multi
         [0.3, 0.3, 0.3, 0.3],   # equal pillars -> multi
         [-2.0, -1.0, -1.9, -0.2],  # lead 0.8 -> future (relative strength)
         [0.0, 0.0, 0.5, 0.0]],  # lead exactly 0.5: not > margin -> multi
        columns=[f"z_{p}" for p in PILLARS])
    got = I.classify_models(z, margin=0.5, floor=None).tolist()
    assert got == ["chain", "multi", "multi", "future", "multi"]
    # floor 0 (default): row 4 leads in future but is below the mean everywhere -> multi
    assert I.classify_models(z, margin=0.5).tolist() == ["chain", "multi", "multi", "multi", "multi"]
    # margin 0: pure argmax, ties still multi
    assert I.classify_models(z, margin=0.0, floor=None).tolist() == [
        "chain", "platform", "multi", "future", "demand"]
    with pytest.raises(ValueError, match="margin"):
        I.classify_models(z, margin=-1)


def test_standardise_within_year_is_z():
    rng = np.random.default_rng(3)
    idx = pd.MultiIndex.from_product([CODES[:8], [2020, 2021]], names=I.KEYS)
    s = pd.DataFrame(rng.uniform(size=(16, 4)), index=idx, columns=[f"pillar_{p}" for p in PILLARS])
    s.loc[(slice(None), 2021), "pillar_chain"] = 0.4  # constant within a year -> z = 0
    z = I.standardise_within_year(s)
    g = z.groupby(level="year")
    np.testing.assert_allclose(g["z_platform"].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(g["z_platform"].std(ddof=1), 1, atol=1e-12)
    assert (z.xs(2021, level="year")["z_chain"] == 0).all()
    # hand value: province 0, 2020
    col = s.xs(2020, level="year")["pillar_demand"]
    assert z.loc[(CODES[0], 2020), "z_demand"] == pytest.approx(
        (col.iloc[0] - col.mean()) / col.std(ddof=1))


def test_platform_dominant_province_and_equal_pillars_multi():
    spec = small_spec()
    panel = flat_panel()
    target = CODES[3]
    panel.loc[panel["province_code"] == target, ["p1", "p2"]] = 12.0  # just above the best
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False)
    t = res.table.set_index(I.KEYS)
    assert (t.xs(target, level="province_code")["model"] == "platform").all()
    others = t.drop(index=target, level="province_code")
    assert (others["model"] == "multi").all()
    # the rank (normal-score) standardisation agrees
    res_r = I.integrate(panel, spec, regions=REGIONS, standardise="rank", with_robustness=False)
    assert (res_r.table["model"] == res.table["model"]).all()
    # without the planted province every pillar is identical -> all multi, z all equal
    res0 = I.integrate(flat_panel(), spec, regions=REGIONS, with_robustness=False)
    z = res0.table[[f"z_{p}" for p in PILLARS]].to_numpy()
    np.testing.assert_allclose(z - z[:, :1], 0, atol=1e-9)
    assert (res0.table["model"] == "multi").all()


def test_outlier_compresses_z_but_not_rank_scores():
    """Why the standardisation is rank-based by default: with mean/sd z-scores one extreme
    province inflates the pillar's sd, so the weakest province is least far behind in that pillar
    and the purely relative rule (floor=None) calls it 'platform'; with normal scores of ranks it
    stays multi, and so does its primary model from the sensitivity analysis."""
    spec = small_spec()
    panel = flat_panel()
    panel.loc[panel["province_code"] == CODES[3], ["p1", "p2"]] = 30.0
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False, n_draws=64)
    core = res.indicators.loc[res.table.set_index(I.KEYS).index, spec.members(subsystem="st")
                              + spec.members(subsystem="ind")]
    pil, _ = I.pillar_scores(core, spec)
    z = I.classify_models(I.standardise_within_year(pil, "z"), floor=None)
    zf = I.classify_models(I.standardise_within_year(pil, "z"))
    r = I.classify_models(I.standardise_within_year(pil, "rank"), floor=None)
    assert z.loc[(CODES[0], 2022)] == "platform"
    assert zf.loc[(CODES[0], 2022)] == "multi"
    assert zf.loc[(CODES[3], 2022)] == "platform"
    assert r.loc[(CODES[0], 2022)] == "multi"
    assert r.loc[(CODES[3], 2022)] == "platform"
    t = res.table.set_index(I.KEYS)
    assert t.loc[(CODES[0], 2022), "model"] == "multi"
    assert t.loc[(CODES[3], 2022), "model"] == "platform"
    assert t.loc[(CODES[3], 2022), "model_confidence"] == 1.0
    # the table's z_* are the normal scores of ranks by default
    from scipy.stats import norm
    assert t.loc[(CODES[3], 2022), "z_platform"] == pytest.approx(norm.ppf(10 / 11))
    assert t.loc[(CODES[3], 2022), "z_chain"] == pytest.approx(norm.ppf(4 / 11))


def test_planted_types_recovered_by_clusters_with_full_agreement():
    spec = small_spec()
    panel = flat_panel(n=14)
    plant = {"chain": ("c1", "c2"), "platform": ("p1", "p2"), "demand": ("d1", "d2"),
             "future": ("f1", "f2")}
    for k, cols in enumerate(plant.values()):
        for code in CODES[2 * k: 2 * k + 2]:
            panel.loc[panel["province_code"] == code, list(cols)] = 60.0
    res = I.integrate(panel, spec, regions=REGIONS, margin=0.5, n_clusters=5, with_robustness=False)
    t = res.table.set_index("province_code")
    for k, pillar in enumerate(plant):
        assert set(t.loc[CODES[2 * k: 2 * k + 2], "model"]) == {pillar}
    assert set(t.loc[CODES[8:14], "model"]) == {"multi"}
    pooled = res.agreement.set_index("year").loc[0]
    assert pooled["share_agree"] == 1.0 and pooled["kappa"] == pytest.approx(1.0)
    # Ward gives the same partition on these well-separated groups
    res_w = I.integrate(panel, spec, regions=REGIONS, cluster_method="ward", with_robustness=False)
    assert (res_w.table["model_cluster"] == res.table["model"]).all()


def test_model_agreement_kappa_by_hand():
    a = pd.Series(["chain", "chain", "multi", "multi"])
    b = pd.Series(["chain", "multi", "multi", "multi"])
    out = I.model_agreement(a, b)
    # po = 3/4; pe = (2/4)(1/4) + (2/4)(3/4) = 1/2; kappa = (0.75 − 0.5)/(1 − 0.5) = 0.5
    assert out["share_agree"] == 0.75 and out["kappa"] == pytest.approx(0.5)


# --------------------------------------------------------------------- entropy and coupling


def _entropy_by_hand(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Panel entropy method written out independently (all indicators positive, shift 0)."""
    x = X.to_numpy(float)
    z = (x - x.min(0)) / (x.max(0) - x.min(0))
    p = z / z.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(0) / np.log(len(x))
    w = (1 - e) / (1 - e).sum()
    return w, z @ w


def test_subsystem_scores_and_coupling_recomputed():
    spec = small_spec()
    rng = np.random.default_rng(7)
    panel = flat_panel(n=12)
    panel[COLS] = rng.uniform(1, 10, size=(len(panel), len(COLS)))
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False)
    t = res.table.set_index(I.KEYS)
    X = panel.set_index(I.KEYS).sort_index()
    for sub in ("st", "ind"):
        names = spec.members(subsystem=sub)
        w, s = _entropy_by_hand(X[names])
        np.testing.assert_allclose(t[f"U_{sub}"].to_numpy(), s, rtol=1e-12)
        got_w = res.weights[res.weights["group"] == f"U_{sub}"].set_index("indicator")["weight"]
        np.testing.assert_allclose(got_w[names].to_numpy(), w, rtol=1e-12)
    u1, u2 = t["U_st"].to_numpy(), t["U_ind"].to_numpy()
    C = 2 * np.sqrt(u1 * u2) / (u1 + u2)
    T = 0.5 * u1 + 0.5 * u2
    np.testing.assert_allclose(t["C"], C, rtol=1e-12)
    np.testing.assert_allclose(t["D"], np.sqrt(C * T), rtol=1e-12)
    assert (t["D_level"] == np.floor(t["D"] * 10).astype(int) + 1).all()
    lag = np.where(np.abs(u1 - u2) <= 0.1, "balanced", np.where(u1 < u2, "st", "ind"))
    assert (t["lagging"].to_numpy() == lag).all()
    # pillar scores: equal weights on the min-max values of their two indicators by default ...
    z = (X[["d1", "d2"]] - X[["d1", "d2"]].min()) / (X[["d1", "d2"]].max() - X[["d1", "d2"]].min())
    np.testing.assert_allclose(t["pillar_demand"], z.mean(axis=1), rtol=1e-12)
    # ... or entropy composites on request
    ent = I.integrate(panel, spec, regions=REGIONS, with_robustness=False, n_draws=8,
                      composite_weighting="entropy").table.set_index(I.KEYS)
    w, s = _entropy_by_hand(X[["d1", "d2"]])
    np.testing.assert_allclose(ent["pillar_demand"], s, rtol=1e-12)


# --------------------------------------------------------------------- monotonicity


def test_monotonicity_fails_with_reestimated_entropy_weights():
    """Why the property is stated with fixed weights: a documented counterexample."""
    X = pd.DataFrame({"a": [1.0, 4.0, 2.0, 0.0], "b": [0.0, 4.0, 0.0, 2.0]})
    before = entropy_weight(X).scores.iloc[3]
    X.loc[3, "a"] = 1.0  # province 3 improves on a positive indicator ...
    after = entropy_weight(X).scores.iloc[3]
    assert after < before - 0.05  # ... yet its re-weighted score falls (0.318 -> 0.238)
    assert before == pytest.approx(0.3176, abs=1e-3) and after == pytest.approx(0.2382, abs=1e-3)


def test_composite_score_fixed_weights_checked():
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [4.0, 0.0, 2.0]})
    s, w = I.composite_score(X, {"a": 1, "b": -1}, weights=pd.Series({"a": 0.25, "b": 0.75}))
    # z_a = (0, 0.5, 1); b is negative: z_b = (4 − b)/4 = (0, 1, 0.5); s = z_a/4 + 3 z_b/4
    np.testing.assert_allclose(s, [0.0, 0.875, 0.625])
    # before: weights summing to 2 gave scores up to 2, outside [0, 1]
    for bad in ({"a": 1.0, "b": 1.0}, {"a": 1.5, "b": -0.5}):
        with pytest.raises(ValueError, match="non-negative and sum to 1"):
            I.composite_score(X, {"a": 1, "b": -1}, weights=pd.Series(bad))
    with pytest.raises(ValueError, match=r"missing for indicators \['b'\]"):
        I.composite_score(X, {"a": 1, "b": -1}, weights=pd.Series({"a": 1.0}))


_vals = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(3, 8), m=st.integers(1, 4))
def test_monotonicity_with_fixed_weights(data, n, m):
    x = np.array(data.draw(st.lists(st.lists(_vals, min_size=m, max_size=m), min_size=n, max_size=n)))
    x[0] = 0.0
    x[1] = 100.0  # every column has a range
    X = pd.DataFrame(x, columns=[f"x{j}" for j in range(m)])
    signs = data.draw(st.lists(st.sampled_from([1, -1]), min_size=m, max_size=m))
    dirs = pd.Series(signs, index=X.columns)
    raw_w = np.array(data.draw(st.lists(st.floats(0.01, 1.0), min_size=m, max_size=m)))
    w = pd.Series(raw_w / raw_w.sum(), index=X.columns)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, m - 1))
    delta = data.draw(st.floats(0.0, 200.0))
    before, _ = I.composite_score(X, dirs, weights=w)
    X2 = X.copy()
    X2.iloc[i, j] += delta * dirs.iloc[j]  # an improvement: up if positive, down if negative
    # (a) bounds re-estimated on the new data, weights fixed
    after, _ = I.composite_score(X2, dirs, weights=w)
    assert after.iloc[i] >= before.iloc[i] - 1e-12
    # (b) bounds and weights both fixed: the score rises by exactly w_j·delta/range_j (capped)
    lo, hi = X.min().to_numpy(), X.max().to_numpy()
    z_new = np.clip((X2.to_numpy() - lo) / (hi - lo), 0, 1)
    z_new = np.where(dirs.to_numpy() > 0, z_new, 1 - z_new)
    fixed_after = float(z_new[i] @ w.to_numpy())
    assert fixed_after >= before.iloc[i] - 1e-12


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(0, 9), bump=st.floats(0.0, 20.0))
def test_pillar_monotonicity_through_pillar_scores(seed, k, bump):
    """Same property through pillar_scores with the entropy weights of the baseline held fixed."""
    spec = small_spec(directions={"d2": "negative"})
    rng = np.random.default_rng(seed)
    panel = flat_panel(n=10)
    panel[COLS] = rng.uniform(1, 10, size=(len(panel), len(COLS)))
    core = panel.set_index(I.KEYS)[spec.members(subsystem="st") + spec.members(subsystem="ind")]
    s0, w0 = I.pillar_scores(core, spec)
    fixed = {p: w0[w0["group"] == f"pillar_{p}"].set_index("indicator")["weight"] for p in PILLARS}
    row = core.index[k * 3]
    for name, sign in (("p1", 1), ("d2", -1)):
        bumped = core.copy()
        bumped.loc[row, name] += sign * bump
        s1, _ = I.pillar_scores(bumped, spec, weights=fixed)
        pillar = f"pillar_{spec[name].pillar}"
        assert s1.loc[row, pillar] >= s0.loc[row, pillar] - 1e-12


# --------------------------------------------------------------------- missing-value rule


def test_prepare_core_window_interpolation_and_worst_fill():
    spec = small_spec()
    panel = flat_panel(n=10, years=(2019, 2020, 2021, 2022))
    panel.loc[panel["year"] == 2019, "f2"] = np.nan  # 0% coverage in 2019: year leaves the window
    a, b = CODES[1], CODES[2]
    sel = (panel["province_code"] == a) & (panel["year"] == 2021)
    panel.loc[sel, "c1"] = np.nan  # interior gap: interpolated between 2020 and 2022
    panel.loc[panel["province_code"] == b, "p2"] = np.nan  # never observed: worst value
    panel.loc[panel["province_code"] == b, "g1"] = np.nan  # pathway-only: never filled
    ind, _ = I.compute_indicators(panel, spec)
    core, fills, window, cov, notes = I.prepare_core(ind, spec, min_coverage=0.9)
    assert window == [2020, 2021, 2022]
    assert cov.loc[2019, "f2"] == 0 and cov.loc[2020, "p2"] == pytest.approx(0.9)
    exp = (ind.loc[(a, 2020), "c1"] + ind.loc[(a, 2022), "c1"]) / 2
    assert core.loc[(a, 2021), "c1"] == pytest.approx(exp)
    for y in window:
        assert core.loc[(b, y), "p2"] == ind.xs(y, level="year")["p2"].min()
    assert set(fills["method"]) == {"interpolated", "worst value of the year"}
    assert len(fills) == 1 + 3
    assert "g1" not in core.columns and core.notna().all().all()
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False)
    t = res.table.set_index(I.KEYS)
    assert t.loc[(b, 2020), "n_filled"] == 1 and t.loc[(b, 2020), "filled"] == "p2"
    assert 2019 not in res.window and any("window" in n for n in res.notes)
    with pytest.raises(ValueError, match="no year has every core indicator"):
        I.prepare_core(ind, spec, min_coverage=1.0, years=[2019])


def test_single_missing_year_is_bridged_by_interpolation():
    """A year with no data for one indicator (2017 in the yearbook's high-tech tables) between two
    complete years enters the window, each cell the mean of its neighbours, flagged."""
    spec = small_spec()
    panel = flat_panel(n=10, years=(2019, 2020, 2021, 2022))
    panel.loc[panel["year"] == 2020, "f2"] = np.nan
    ind, _ = I.compute_indicators(panel, spec)
    core, fills, window, _, notes = I.prepare_core(ind, spec, min_coverage=0.9)
    assert window == [2019, 2020, 2021, 2022]
    for code in CODES[:10]:
        exp = (ind.loc[(code, 2019), "f2"] + ind.loc[(code, 2021), "f2"]) / 2
        assert core.loc[(code, 2020), "f2"] == pytest.approx(exp, rel=1e-12)
    assert len(fills) == 10 and set(fills["method"]) == {"interpolated"}
    assert any(n.startswith("bridged year(s) 2020") for n in notes)
    # without bridging the year leaves the window; an edge year is never bridged
    assert I.prepare_core(ind, spec, bridge=False)[2] == [2019, 2021, 2022]
    panel.loc[panel["year"] == 2022, "c1"] = np.nan
    ind, _ = I.compute_indicators(panel, spec)
    assert I.prepare_core(ind, spec)[2] == [2019, 2020, 2021]


def test_carry_forward_fills_a_publication_lag_and_flags_it():
    """An indicator published with a one-year lag (SCI papers): with ``carry_forward: 1`` its last
    year takes each province's previous value, flagged, instead of shrinking the window."""
    raw_inds = []
    spec0 = small_spec()
    for i in spec0.indicators:
        d = i.model_dump()
        if d["name"] == "f2":
            d["carry_forward"] = 1
        raw_inds.append(d)
    raw = dict(version="t", subsystems={k: LABELS[k] for k in ("st", "ind")},
               pillars={k: LABELS[k] for k in PILLARS}, pathways={k: LABELS[k] for k in PATHWAYS},
               references={"r": "t"}, indicators=raw_inds)
    spec = validate_spec(raw, columns=COLS)
    panel = flat_panel(n=10, years=(2019, 2020, 2021, 2022))
    rng = np.random.default_rng(2)
    panel["f2"] = rng.uniform(1, 5, len(panel))
    panel.loc[panel["year"] == 2022, "f2"] = np.nan  # not yet published
    ind, _ = I.compute_indicators(panel, spec)
    core, fills, window, _, notes = I.prepare_core(ind, spec)
    assert window == [2019, 2020, 2021, 2022]
    for code in CODES[:10]:
        assert core.loc[(code, 2022), "f2"] == ind.loc[(code, 2021), "f2"]
    cf = fills[fills["method"] == "carried forward (publication lag)"]
    assert len(cf) == 10 and set(cf["year"]) == {2022} and set(cf["indicator"]) == {"f2"}
    assert any(n.startswith("carried forward") for n in notes)
    # without the field the year leaves the window
    assert I.prepare_core(ind, small_spec())[2] == [2019, 2020, 2021]
    # an interior gap is never carried forward (it is interpolated)
    panel.loc[(panel["year"] == 2020) & (panel["province_code"] == CODES[1]), "f2"] = np.nan
    ind, _ = I.compute_indicators(panel, spec)
    core, fills, *_ = I.prepare_core(ind, spec)
    row = fills[(fills["province_code"] == CODES[1]) & (fills["year"] == 2020)]
    assert row["method"].tolist() == ["interpolated"]


def test_missing_column_dropped_with_note():
    spec = small_spec()
    panel = flat_panel().drop(columns="g1")
    ind, notes = I.compute_indicators(panel, spec)
    assert "g1" not in ind.columns and "g1" in notes[0]


def test_indicator_constant_up_to_rounding_is_dropped():
    """A ratio constant in exact arithmetic differs by one ulp between rows; min-max scaling
    would stretch that noise to [0, 1] and give it entropy weight (it did: on the real panel,
    students = 1 % of population changed 13 of 248 dominant models)."""
    spec = small_spec()
    rng = np.random.default_rng(5)
    panel = flat_panel(n=10)
    panel[COLS] = rng.uniform(1, 10, size=(len(panel), len(COLS)))
    ulp = np.spacing(100.0)
    panel["p2"] = 100.0 + ulp * rng.integers(0, 3, size=len(panel))
    assert panel["p2"].nunique() > 1
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False)
    assert any("constant over the window, dropped: ['p2']" in n for n in res.notes)
    assert "p2" not in set(res.weights["indicator"])
    t = res.table.set_index(I.KEYS)
    p1 = panel.set_index(I.KEYS).sort_index()["p1"]
    np.testing.assert_allclose(t["pillar_platform"], (p1 - p1.min()) / (p1.max() - p1.min()),
                               rtol=1e-12)


def test_compute_indicators_bad_keys_and_empty_indicator():
    spec = small_spec()
    panel = flat_panel(n=3)
    bad = panel.astype({"province_code": float})
    bad.loc[4, "province_code"] = np.nan
    # before: pandas' IntCastingNaNError, naming neither the column nor the row
    with pytest.raises(ValueError, match="1 row\\(s\\) with a missing province_code or year, first at index 4"):
        I.compute_indicators(bad, spec)
    with pytest.raises(ValueError, match="2 duplicate province-year rows"):
        I.compute_indicators(pd.concat([panel, panel.iloc[:2]]), spec)
    panel["g1"] = np.nan
    ind, notes = I.compute_indicators(panel, spec)
    assert ind["g1"].isna().all() and ind["c1"].to_numpy().tolist() == panel["c1"].tolist()
    assert notes == ["indicator 'g1' has no finite value in the panel (g1: inputs missing or "
                     "denominators zero everywhere)"]


def test_province_year_absent_from_panel_is_flagged():
    spec = small_spec()
    panel = flat_panel(n=10, years=(2019, 2020, 2021, 2022))
    gone = CODES[4]
    panel = panel[~((panel["province_code"] == gone) & (panel["year"] == 2021))]
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False)
    t = res.table.set_index(I.KEYS)
    # the row is scored from values interpolated between 2020 and 2022, every core cell flagged
    assert t.loc[(gone, 2021), "n_filled"] == 8
    full = I.integrate(flat_panel(n=10, years=(2019, 2020, 2021, 2022)), spec, regions=REGIONS,
                       with_robustness=False).table.set_index(I.KEYS)
    assert t.loc[(gone, 2021), "D"] == pytest.approx(full.loc[(gone, 2021), "D"], rel=1e-12)
    assert f"scored from filled values only: {gone} 2021" in " ".join(res.notes)


# --------------------------------------------------------------------- pathway diagnostics


def test_pathway_diagnostics_hand_example():
    spec = small_spec(directions={"c2": "negative"})
    codes = [110000, 120000, 510000, 520000]  # east, east, west, west
    idx = pd.MultiIndex.from_product([codes, [2022]], names=I.KEYS)
    ind = pd.DataFrame({"c1": [1.0, 2.0, 3.0, 4.0], "c2": [1.0, 2.0, 3.0, 4.0],
                        "g1": [5.0, np.nan, 1.0, 3.0]}, index=idx)
    long, wide = I.pathway_diagnostics(ind, spec, REGIONS)
    c1 = long[long["indicator"] == "c1"].set_index("province_code")
    np.testing.assert_allclose(c1["pct_national"], [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(c1["pct_region"], [0, 1, 0, 1])
    np.testing.assert_allclose(c1["gap_frontier"], [3, 2, 1, 0])
    np.testing.assert_allclose(c1["gap_frontier_rel"], [0.75, 0.5, 0.25, 0])
    np.testing.assert_allclose(c1["gap_region"], [1, 0, 1, 0])
    assert (c1["frontier_province"] == 520000).all()
    assert list(c1["region_leader"]) == [120000, 120000, 520000, 520000]
    c2 = long[long["indicator"] == "c2"].set_index("province_code")  # negative: lower is better
    np.testing.assert_allclose(c2["pct_national"], [1, 2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(c2["gap_frontier"], [0, 1, 2, 3])
    assert (c2["frontier"] == 1.0).all()
    g1 = long[long["indicator"] == "g1"].set_index("province_code")
    assert 120000 not in g1.index  # unobserved: no row, percentile over the 3 observed
    np.testing.assert_allclose(g1["pct_national"], [1, 0, 0.5])
    w = wide.xs(2022, level="year")
    # enterprise = mean(c1, c2) = 0.5 for all; institution_finance = g1 percentile
    np.testing.assert_allclose(w["pathway_enterprise"], 0.5)
    assert np.isnan(w.loc[120000, "pathway_institution_finance"])
    assert w.loc[510000, "weakest_pathways"] == "institution_finance;enterprise"
    assert w.loc[120000, "weakest_pathways"] == "enterprise"  # only one pathway observed
    # a negative indicator whose frontier is 0: the relative gap is undefined (NaN), not inf
    ind["c2"] = [0.0, 2.0, 3.0, 0.0]
    long, _ = I.pathway_diagnostics(ind, spec, REGIONS)
    c2 = long[long["indicator"] == "c2"].set_index("province_code")
    np.testing.assert_allclose(c2["gap_frontier"], [0, 2, 3, 0])
    assert c2["gap_frontier_rel"].isna().all() and np.isfinite(long["gap_region_rel"].dropna()).all()
    assert c2.loc[120000, "gap_region"] == 2.0 and np.isnan(c2.loc[120000, "gap_region_rel"])


# --------------------------------------------------------------------- obstacle degree


def test_obstacles_identities_and_hand_values():
    """Obstacle degree against T: F_j = ½·(subsystem entropy weight), deviation 1 − min-max value.
    distance_ideal = 1 − T; the subsystems and the pathways each sum to 1; every indicator's share
    recomputed here; pathway-only indicators have none."""
    spec = small_spec()
    rng = np.random.default_rng(21)
    panel = flat_panel(n=10)
    panel[COLS] = rng.uniform(1, 10, size=(len(panel), len(COLS)))
    res = I.integrate(panel, spec, regions=REGIONS, with_robustness=False, n_draws=16)
    t = res.table.set_index(I.KEYS)
    np.testing.assert_allclose(t["distance_ideal"], 1 - t["T"], atol=1e-12)
    np.testing.assert_allclose(t["obstacle_st"] + t["obstacle_ind"], 1.0, atol=1e-12)
    pw = t[[f"obstacle_{p}" for p in PATHWAYS]].sum(axis=1)
    np.testing.assert_allclose(pw, 1.0, atol=1e-12)
    # every indicator is in a pillar in the small spec: the pillars also sum to 1
    np.testing.assert_allclose(t[[f"obstacle_{p}" for p in PILLARS]].sum(axis=1), 1.0, atol=1e-12)
    X = panel.set_index(I.KEYS).sort_index()[[c for c in COLS if c != "g1"]]
    w = res.weights[res.weights["group"].isin(["U_st", "U_ind"])].set_index("indicator")["weight"] / 2
    z = (X - X.min()) / (X.max() - X.min())
    contrib = (1 - z) * w[X.columns]
    share = contrib.div(contrib.sum(axis=1), axis=0)
    d = res.diagnostics.set_index(["province_code", "year", "indicator"])["obstacle"]
    row = (CODES[2], 2021)
    for c in X.columns:
        assert d.loc[(*row, c)] == pytest.approx(share.loc[row, c], abs=1e-12)
    assert d.xs("g1", level="indicator").isna().all()  # pathway-only: no weight in T
    np.testing.assert_allclose(t.loc[row, "obstacle_enterprise"], share.loc[row, ["c1", "c2"]].sum())
    # intensity: obstacle per unit of factor contribution; the top two name obstacle_pathways
    wshare = w[["c1", "c2"]].sum() / w.sum()
    assert t.loc[row, "obstacle_intensity_enterprise"] == pytest.approx(
        t.loc[row, "obstacle_enterprise"] / wshare)
    inten = t.loc[row, [f"obstacle_intensity_{p}" for p in PATHWAYS]].astype(float)
    top = [c.removeprefix("obstacle_intensity_") for c in inten.sort_values(ascending=False).index[:2]]
    assert t.loc[row, "obstacle_pathways"] == ";".join(top)


# --------------------------------------------------------------------- robustness


def test_robustness_leave_beijing_out():
    """Beijing (CODES[0]) is made an extreme outlier in the platform pillar; every other province
    has equal pillars. Leaving Beijing out must not change anyone else's model under the
    rank-based standardisation or the sensitivity analysis; under the version-1 mean/sd z rule
    without floor it does (Beijing's outlier inflates the platform sd, so the weakest provinces
    look least behind in platform)."""
    spec = small_spec()
    panel = flat_panel(n=10)
    panel.loc[panel["province_code"] == CODES[0], ["p1", "p2"]] = 100.0
    res = I.integrate(panel, spec, regions=REGIONS, floor=None, n_draws=64)
    rob = res.robustness.set_index(["perturbation", "year"])
    primary = rob.loc[("leave out Beijing (110000): primary model", 0)]
    rank = rob.loc[("leave out Beijing (110000): single specification, rank-based standardisation", 0)]
    zrule = rob.loc[("leave out Beijing (110000): single specification, mean/sd z-scores (version 1)", 0)]
    assert primary["n"] == 9 * 3 and primary["n_changed"] == 0 and primary["share_unchanged"] == 1.0
    assert rank["n_changed"] == 0
    assert zrule["n_changed"] >= 3 and str(CODES[1]) in zrule["changed"]
    # the same provinces are platform under the z rule with Beijing in the data
    core = res.indicators.loc[res.table.set_index(I.KEYS).index, [c for c in COLS if c != "g1"]]
    pil, _ = I.pillar_scores(core, spec)
    z = I.classify_models(I.standardise_within_year(pil, "z"), floor=None)
    assert z.loc[(CODES[1], 2022)] == "platform"
    t = res.table.set_index(I.KEYS)
    assert (t.drop(index=CODES[0], level="province_code")["model"] == "multi").all()
    assert set(res.robustness["kind"]) == {"leave out province", "rule"}
    no_rule = rob.loc[("no temporal rule (single-year model)", 0)]
    assert no_rule["share_unchanged"] == 1.0 and no_rule["n"] == 30


# --------------------------------------------------------------------- codebook and run()


def test_codebook_from_spec():
    spec = load_spec()
    cb = I.codebook(spec)
    assert cb["name"].is_unique
    for col in ["province_code", "year", "D", "model", "model_cluster", "weakest_pathways",
                *[f"pillar_{p}" for p in PILLARS], *[f"pathway_{p}" for p in PATHWAYS]]:
        assert col in set(cb["name"]), col
    rows = cb.set_index("name")
    assert rows.loc["students_per_10k", "transformation"] == "students / population * 10000"
    assert rows.loc["students_per_10k", "pathway"] == "pilot_platform"
    assert "linkage" in rows.index and rows.loc["papers_per_10k", "pillar"] == "future"


def _project_with_random_panel(tmp_path, spec, extra=(), drop=()):
    """A temporary project root with a random 31-province panel of the spec's columns (plus
    ``extra``, minus ``drop``) and the chain-linkage table; returns data/processed."""
    rng = np.random.default_rng(11)
    rows = [{"province_code": c, "year": y,
             **{k: rng.uniform(1, 10) for k in sorted(set(spec.columns) | set(extra))}}
            for c in CODES for y in range(2016, 2023)]
    proc = tmp_path / "data" / "processed"
    proc.mkdir(parents=True)
    panel = pd.DataFrame(rows).drop(columns=list(drop))
    chain_cols = ["chain_multiplier_backward", "local_sourcing"]
    panel.drop(columns=chain_cols).to_parquet(proc / "panel.parquet", index=False)
    panel[["province_code", "year", *chain_cols]].to_parquet(proc / "chain_linkage_panel.parquet", index=False)
    (tmp_path / "pyproject.toml").write_text("")
    return proc


def test_run_checks_the_spec_against_the_built_panel(tmp_path, monkeypatch):
    """run() validates spec.yaml against the columns of the panel it computes from: a column the
    panel lacks stops the run naming the indicator and the existing columns; an imported user
    series (a panel column outside the contract) can be used."""
    import yaml

    from analysis.framework import spec as S

    spec = load_spec()
    _project_with_random_panel(tmp_path, spec, drop=["students"])
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    with pytest.raises(S.SpecError) as exc:
        I.run(with_robustness=False, n_draws=8)
    msg = str(exc.value)
    assert "'students_per_10k'" in msg and "unknown column 'students'" in msg
    assert "columns that exist in data/processed/panel.parquet + chain_linkage_panel.parquet:" in msg
    assert "local_sourcing" in msg.split("columns that exist in")[1]
    assert not (tmp_path / "data" / "processed" / "integration.parquet").exists()

    root2 = tmp_path / "second"
    _project_with_random_panel(root2, spec, extra=["firms_with_rd", "ind_firms"])
    monkeypatch.setenv("ANALYSIS_ROOT", str(root2))
    raw = yaml.safe_load(S.DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    raw["indicators"].append(dict(
        name="rd_firm_share", label_zh="有研发活动企业占比", label_en="Share of firms with R&D",
        formula="firms_with_rd / ind_firms", direction="positive", unit="share", subsystem="none",
        pillar="none", pathway="enterprise", reference=["nbs_st_yearbook"]))
    user_spec = root2 / "spec.yaml"
    user_spec.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(S, "DEFAULT_SPEC_PATH", user_spec)
    monkeypatch.setattr(S, "user_columns", lambda: set())  # only the built panel has it
    res = I.run(with_robustness=False, n_draws=8)
    panel = pd.read_parquet(root2 / "data" / "processed" / "panel.parquet").set_index(I.KEYS)
    got = res.indicators["rd_firm_share"]
    np.testing.assert_allclose(got, (panel["firms_with_rd"] / panel["ind_firms"]).reindex(got.index))
    assert "rd_firm_share" in set(res.diagnostics["indicator"])


def test_run_writes_contract_outputs(tmp_path, monkeypatch, capsys):
    spec = load_spec()
    proc = _project_with_random_panel(tmp_path, spec)
    # 31 unit squares on a 6-wide grid stand in for the boundaries (queen contiguity, no island)
    import geopandas as gpd
    from shapely.geometry import box
    gpd.GeoDataFrame({"province_code": CODES},
                     geometry=[box(i % 6, i // 6, i % 6 + 1, i // 6 + 1) for i in range(31)],
                     crs=4326).to_parquet(proc / "boundaries.parquet")
    import shutil
    from pathlib import Path
    (tmp_path / "tests" / "results").mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "results" / "regional_innovation_rankings.csv",
                tmp_path / "tests" / "results")
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    res = I.run(verbose=True, with_robustness=False, n_draws=64)
    out = pd.read_parquet(proc / "integration.parquet")
    for col in ["province_code", "year", "U_st", "U_ind", "C", "T", "D", "D_class", "lagging",
                *[f"pillar_{p}" for p in PILLARS], "model", "model_cluster",
                *[f"pathway_{p}" for p in PATHWAYS], "weakest_pathways"]:
        assert col in out.columns, col
    assert set(out["model"]) <= set(I.MODELS)
    assert len(out) == 31 * 7 and not out.duplicated(I.KEYS).any()
    assert "chain_multiplier" in res.indicators.columns  # chain-linkage table merged
    typ = pd.read_csv(tmp_path / "reports" / "framework" / "typology_2022.csv")
    assert len(typ) == 31 and typ["province_code"].tolist() == CODES
    assert (tmp_path / "reports" / "framework" / "typology_2022.html").exists()
    assert "Integration typology 2022" in capsys.readouterr().out
    cb = pd.read_csv(proc / "integration_codebook.csv")
    assert set(spec.names) <= set(cb["name"])
    assert set(out.columns) - {"province_code", "year"} <= set(cb["name"])  # every column labelled
    rep = tmp_path / "reports" / "framework"
    sm = pd.read_csv(rep / "spatial_markov.csv")
    assert set(sm["variable"]) == {"D_class", "model"} and not sm.isna().any().any()
    assert (rep / "spatial_markov.png").stat().st_size > 10_000
    assert set(pd.read_csv(rep / "spatial_markov_tests.csv")["test"]) >= {"Q", "LR"}
    ev = pd.read_csv(rep / "external_validity.csv")
    assert set(ev["edition"]) == {2019, 2020} and ev["n"].eq(31).all()
    notes = (rep / "notes.md").read_text(encoding="utf-8")
    for needle in ("Bickenbach & Bode", "External validity", "model_confidence ≥ 0.8",
                   "Largest weight in each group", "| years | linkage vs T |"):
        assert needle in notes, needle
    # the linkage index beside D, with its rank interval
    for col in ("linkage", "linkage_rank", "linkage_rank_lo", "linkage_rank_hi"):
        assert col in out.columns and col in typ.columns, col
    assert out["linkage"].between(0, 1).all()
    # run() always recomputes (whether to run is the step runner's decision, tests/test_steps.py),
    # and with the same seed writes the same bytes (the Sobol' draws, the typology, the table)
    files = [proc / "integration.parquet", rep / "sensitivity_draws.csv", rep / "churn.csv",
             rep / "typology_2022.csv", rep / "notes.md"]
    before = {f.name: f.read_bytes() for f in files}
    again = I.run(verbose=False, with_robustness=False, n_draws=64)
    np.testing.assert_allclose(again.table["D"], out["D"], rtol=1e-12)
    assert {f.name: f.read_bytes() for f in files} == before


def _real_panel(proc) -> pd.DataFrame:
    """panel.parquet merged with chain_linkage_panel.parquet, as ``run()`` does."""
    panel = pd.read_parquet(proc / "panel.parquet")
    chain = pd.read_parquet(proc / "chain_linkage_panel.parquet")
    keep = [c for c in chain.columns if (c not in panel.columns or c in I.KEYS) and c != "io_year"]
    return panel.merge(chain[keep], on=I.KEYS, how="left")


@pytest.fixture(scope="module")
def real_result(built_framework):
    """On the session's build of the real data (tests/conftest.py), not on data/processed."""
    return I.integrate(_real_panel(built_framework), load_spec(), with_robustness=False)


@pytest.mark.slow
def test_real_panel_plausibility(real_result):
    """On the real panel as run() builds it (chain-linkage merged; before, the test dropped the
    chain indicators): Beijing has the highest D in 2022, the east's mean D exceeds the west's,
    every province is typed, and D rises 2016 → 2022."""
    res = real_result
    assert not any("dropped" in n and "chain" in n for n in res.notes), res.notes
    if 2022 not in res.window:
        pytest.skip(f"2022 outside the entropy window {res.window}")
    t = res.table[res.table["year"] == 2022].set_index("province_code")
    assert len(t) == 31 and set(t["model"]) <= set(I.MODELS)
    assert t["D"].idxmax() == 110000
    by_region = t.groupby("region")["D"].mean()
    assert by_region["east"] > by_region["central"] > by_region["west"]
    assert t.loc[[310000, 320000, 440000], "D"].min() > t["D"].median()
    mean_d = res.table.groupby("year")["D"].mean()
    assert mean_d.loc[2022] > mean_d.loc[min(res.window)]


@pytest.mark.slow
def test_real_panel_no_pillar_rests_on_one_indicator(real_result):
    """Issue acceptance: under the default weighting no pillar rests more than half on one
    indicator, and weights.csv says which indicator has the largest share."""
    w = real_result.weights
    pil = w[w["group"].str.startswith("pillar_")]
    assert pil.groupby("group")["weight"].max().max() <= 0.5
    assert (pil.groupby("group")["largest_share"].first() == pil.groupby("group")["weight"].max()).all()
    assert pil.groupby("group")["is_largest"].sum().ge(1).all()


@pytest.mark.slow
def test_real_panel_recomputed_independently(real_result):
    """U_st, U_ind, D, the pillar scores and the dominant model of every province-year of the
    window, recomputed here from the indicator values with the missing-value rule, the panel
    entropy method, C/T/D and the typology rule written out again (numpy/pandas only)."""
    spec, res = load_spec(), real_result
    t = res.table.set_index(I.KEYS).sort_index()
    ind = res.indicators
    names = [n for n in spec.names if n in ind.columns
             and (spec[n].subsystem != "none" or spec[n].pillar != "none" or spec[n].linkage)]
    X = {}
    for n in names:  # fill: interpolate inside, else nearest year, else the year's worst value
        wide = ind[n].unstack("province_code")
        f = wide.interpolate(method="index", limit_area="inside").ffill().bfill()
        worst = wide.min(axis=1) if spec[n].sign > 0 else wide.max(axis=1)
        f = f.apply(lambda col, w=worst: col.fillna(w))
        X[n] = f.loc[res.window].stack()
    X = pd.DataFrame(X).reorder_levels(I.KEYS).sort_index()
    X = X.loc[:, (X.max() - X.min()) > 1e-9 * X.abs().max()]

    def ent(cols):
        z = X[cols] * pd.Series({c: spec[c].sign for c in cols})
        z = (z - z.min()) / (z.max() - z.min())
        p = z / z.sum()
        e = -(p * np.log(p.where(p > 0))).sum() / np.log(len(z))
        return z @ ((1 - e) / (1 - e).sum())

    u_st = ent([n for n in X if spec[n].subsystem == "st"])
    u_ind = ent([n for n in X if spec[n].subsystem == "ind"])
    C = 2 * np.sqrt(u_st * u_ind) / (u_st + u_ind)
    np.testing.assert_allclose(t["U_st"], u_st, rtol=1e-10)
    np.testing.assert_allclose(t["U_ind"], u_ind, rtol=1e-10)
    np.testing.assert_allclose(t["D"], np.sqrt(C * (u_st + u_ind) / 2), rtol=1e-10)
    def equal(cols):  # pillars and linkage: equal weights on the min-max values
        z = X[cols] * pd.Series({c: spec[c].sign for c in cols})
        return ((z - z.min()) / (z.max() - z.min())).mean(axis=1)

    pil = pd.DataFrame({p: equal([n for n in X if spec[n].pillar == p]) for p in PILLARS})
    for p in PILLARS:
        np.testing.assert_allclose(t[f"pillar_{p}"], pil[p], rtol=1e-10)
    np.testing.assert_allclose(t["linkage"], equal([n for n in X if spec[n].linkage]), rtol=1e-10)
    # the linkage index is not the level: issue acceptance, Spearman(linkage, T) < 0.9 in the
    # latest year (0.36 on the 2018-2023 panel)
    last = t.xs(max(res.window), level="year")
    from scipy.stats import spearmanr
    assert spearmanr(last["linkage"], last["T"]).statistic < 0.9
    # rank-based standard scores within year: Φ⁻¹(r / (N + 1)), average ranks for ties
    from scipy.stats import norm
    r = pil.groupby(level="year").rank(method="average")
    n = pil.groupby(level="year").transform("count")
    for p in PILLARS:
        np.testing.assert_allclose(t[f"z_{p}"], norm.ppf(r[p] / (n[p] + 1)), rtol=1e-12)
    # the primary model is the largest pooled lead share when it reaches the 2/3 majority
    shares = t[[f"share_{p}" for p in PILLARS]].to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    best = shares.max(axis=1)
    exp = np.where(best >= 2 / 3, np.array(PILLARS)[shares.argmax(axis=1)], "multi")
    assert (t["model"].to_numpy() == exp).all()
    np.testing.assert_allclose(t["model_confidence"], best)
    assert (t["D_rank_lo"] <= t["D_rank_median"]).all() and (t["D_rank_median"] <= t["D_rank_hi"]).all()
    assert not t.drop(columns=["filled"]).isna().any().any()


def test_model_agreement_hand_kappa():
    a = pd.Series(["chain", "multi", "multi", "platform"])
    b = pd.Series(["chain", "multi", "chain", "multi"])
    # p_o = 2/4; p_e = p_a(chain)p_b(chain) + p_a(multi)p_b(multi) = 1/4·1/2 + 1/2·1/2 = 3/8
    got = I.model_agreement(a, b)
    assert got["n"] == 4 and got["share_agree"] == 0.5
    assert got["kappa"] == pytest.approx((0.5 - 3 / 8) / (1 - 3 / 8))
    assert I.model_agreement(a.iloc[1:2], b.iloc[1:2])["kappa"] == 1.0  # one label: convention


def test_robustness_worst_value_fill_against_the_median_by_hand():
    """A province never observed on one indicator gets the worst value of each year; the ``fill``
    rows of robustness.csv must equal the typology recomputed from a panel in which that
    province's cells hold the year's median of the observed provinces instead."""
    spec = small_spec()
    panel = flat_panel(n=10)
    rng = np.random.default_rng(5)
    panel[COLS] = panel[COLS] * rng.uniform(0.8, 1.2, size=(len(panel), len(COLS)))
    hole = panel["province_code"] == CODES[3]
    panel.loc[hole, "d1"] = np.nan
    res = I.integrate(panel, spec, regions=REGIONS, n_draws=64)
    worst = res.fills[res.fills["method"] == "worst value of the year"]
    assert len(worst) == 3 and set(worst["indicator"]) == {"d1"}
    assert res.indicators.xs(CODES[3], level="province_code")["d1"].isna().all()
    # the opposite assumption, built by hand in the panel itself
    alt = panel.copy()
    med = panel[~hole].groupby("year")["d1"].median()
    alt.loc[hole, "d1"] = alt.loc[hole, "year"].map(med)
    ref = I.integrate(alt, spec, regions=REGIONS, n_draws=64, with_robustness=False)
    a = res.table.set_index(I.KEYS)["model"]
    b = ref.table.set_index(I.KEYS)["model"].reindex(a.index)
    rob = res.robustness[res.robustness["kind"] == "fill"].set_index("year")
    assert rob.at[0, "perturbation"] == "worst-value fills (d1 3 cells) at the year's median instead"
    assert rob.at[0, "n"] == 30 and rob.at[0, "n_changed"] == int((a != b).sum())
    changed = sorted({int(c) for c, _ in a[a != b].index})
    assert CODES[3] in changed  # last on d1 vs an average d1: its demand pillar moves
    assert rob.at[0, "changed"] == ";".join(map(str, changed))
    for y in (2020, 2021, 2022):
        assert rob.at[y, "n_changed"] == int((a != b).xs(y, level="year").sum())
    notes = I.uncertainty_summary(res, 2022)
    assert any("worst value of the year" in n and f"{rob.at[0, 'n_changed']} of 30" in n for n in notes)
