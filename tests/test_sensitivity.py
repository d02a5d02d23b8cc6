"""The global uncertainty analysis of the typology (analysis.framework.sensitivity).

Checked with numbers:
* a single-option design reproduces the baseline: lead = argmax of the rank-based standard
  scores of the baseline pillar scores, D rank interval = the baseline D rank;
* the temporal rule and the switch count on hand-worked sequences;
* the first-order index of the only varying trigger is exactly 1 (V[E(Y|X)] = V(Y));
* the draw is reproducible: the same seed gives the same bytes, another seed other draws;
* degenerate input (an indicator with no variation in a year) gives a note and no NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.framework import integration as I
from analysis.framework import sensitivity as S
from analysis.framework.spec import PILLARS
from tests.test_integration import CODES, COLS, REGIONS, flat_panel, small_spec

CORE = [c for c in COLS if c != "g1"]


def random_core(seed: int = 3, n: int = 12, years=(2019, 2020, 2021, 2022)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    panel = flat_panel(n=n, years=years)
    panel[COLS] = rng.lognormal(size=(len(panel), len(COLS)))
    return panel.set_index(I.KEYS).sort_index()[CORE]


SINGLE = dict(weighting=["entropy"], normalisation=["minmax"], windows=["pooled"],
              leave_one_out=False)


def test_single_option_design_reproduces_the_baseline():
    spec, core = small_spec(), random_core()
    res = S.sensitivity_analysis(core, spec, n_draws=4, smooth_years=1, **SINGLE)
    t = res.table.set_index(I.KEYS).sort_index()
    pil, _ = I.pillar_scores(core, spec)
    z = I.standardise_within_year(pil, "rank")
    lead = np.array(PILLARS)[z.to_numpy().argmax(axis=1)]
    ties = (z.to_numpy() == z.to_numpy().max(axis=1, keepdims=True)).sum(axis=1) > 1
    assert (t.loc[~ties, "model"].to_numpy() == lead[~ties]).all()
    assert (t.loc[~ties, "model_confidence"] == 1.0).all()
    for p in PILLARS:  # every draw equal: the interval collapses onto the baseline score
        np.testing.assert_allclose(t[f"z_{p}_lo"], z[f"z_{p}"], rtol=1e-6)
        np.testing.assert_allclose(t[f"z_{p}_hi"], z[f"z_{p}"], rtol=1e-6)
    U = {s: I.composite_score(core[spec.members(subsystem=s)], spec.directions(spec.members(subsystem=s)))[0]
         for s in ("st", "ind")}
    from analysis.measures import coupling_coordination
    D = coupling_coordination(pd.DataFrame({"a": U["st"], "b": U["ind"]}))["D"]
    rank = D.groupby(level="year").rank(ascending=False, method="min").astype(int)
    assert (t["D_rank_lo"] == rank).all() and (t["D_rank_hi"] == rank).all()
    assert res.churn["switches"].sum() == S.model_switches(t["model"])["switches"].sum()


def test_temporal_rule_and_switches_by_hand():
    idx = pd.MultiIndex.from_product([[110000], [2019, 2020, 2021, 2022, 2023]], names=I.KEYS)
    e = np.eye(4)
    shares = pd.DataFrame([e[0], e[0], e[1], e[0], e[0]], index=idx,
                          columns=[f"share_{p}" for p in PILLARS])
    out = S.temporal_model(shares, years=3, majority=2 / 3)
    # 2021: chain 2/3, platform 1/3 -> the one-year blip does not flip the label
    assert out["model"].tolist() == ["chain"] * 5
    np.testing.assert_allclose(out["model_confidence"], [1, 1, 2 / 3, 2 / 3, 2 / 3])
    single = S.temporal_model(shares, years=1)
    assert single["model"].tolist() == ["chain", "chain", "platform", "chain", "chain"]
    assert S.model_switches(single["model"]).loc[0, "switches"] == 2
    assert S.model_switches(out["model"]).loc[0, "switches"] == 0
    # at the start of the window only the available years count: a blip in year 2 -> multi
    shares2 = pd.DataFrame([e[0], e[1], e[0]], index=idx[:3], columns=shares.columns)
    assert S.temporal_model(shares2)["model"].tolist() == ["chain", "multi", "chain"]
    # a clear majority is needed: 0.6 < 2/3 -> multi; a tie is never a model
    mixed = pd.DataFrame([[0.6, 0.4, 0, 0], [0.5, 0.5, 0, 0]], index=idx[:2], columns=shares.columns)
    assert S.temporal_model(mixed, years=1)["model"].tolist() == ["multi", "multi"]
    assert S.temporal_model(mixed, years=1, majority=0.5)["model"].tolist() == ["chain", "multi"]
    with pytest.raises(ValueError, match="sum to 1"):
        S.temporal_model(mixed * 2)
    # profile: pillars at or above the chance level 1/4, by share
    prof = pd.DataFrame([[0.49, 0.02, 0.49, 0.0], [0.96, 0.04, 0, 0], [0.25, 0.25, 0.25, 0.25],
                         [0.3, 0.1, 0.35, 0.25]], columns=shares.columns)
    assert S.model_profiles(prof).tolist() == ["chain+demand", "chain", "chain+platform+demand+future",
                                               "demand+chain+future"]


def test_first_order_index_of_the_only_varying_trigger_is_one():
    spec, core = small_spec(), random_core(seed=5)
    res = S.sensitivity_analysis(core, spec, n_draws=64, normalisation=["minmax"], windows=["pooled"],
                                 leave_one_out=False)
    ix = res.indices.set_index(["output", "trigger"])
    assert ix.loc[("D_rank", "weighting"), "S_mean"] == pytest.approx(1.0, abs=1e-12)
    for trig in ("normalisation", "left_out", "window"):
        assert ix.loc[("D_rank", trig), "S_mean"] == 0.0
    assert set(res.draws["weighting"]) == {"entropy", "critic", "equal", "pca"}
    # the Sobol' design balances the four options exactly (64 = 4 × 16)
    assert res.draws["weighting"].value_counts().tolist() == [16] * 4


def test_same_seed_same_bytes_other_seed_other_draws():
    spec, core = small_spec(), random_core(seed=9)

    def blob(seed):
        r = S.sensitivity_analysis(core, spec, n_draws=128, seed=seed)
        return (r.table.to_csv(index=False) + r.draws.to_csv(index=False)
                + r.indices.to_csv(index=False)).encode()

    a, b, c = blob(7), blob(7), blob(8)
    assert a == b
    assert a != c
    d7 = S.sensitivity_analysis(core, spec, n_draws=128, seed=7).draws
    d8 = S.sensitivity_analysis(core, spec, n_draws=128, seed=8).draws
    assert not d7.equals(d8) and len(d7) == 128
    assert S.sensitivity_analysis(core, spec, n_draws=500).params["n_draws"] == 512


def test_indicator_without_variation_in_a_year_gives_note_and_no_nan():
    spec, core = small_spec(), random_core(seed=2)
    core.loc[(slice(None), 2021), "p2"] = 3.0  # no variation across provinces in 2021
    res = S.sensitivity_analysis(core, spec, n_draws=256)
    assert any("constant indicator" in n and "2021" in n for n in res.notes), res.notes
    assert not res.table.drop(columns=[]).isna().any().any()
    np.testing.assert_allclose(res.table[[f"share_{p}" for p in PILLARS]].sum(axis=1), 1.0)
    # a pillar whose every indicator is constant in a year: equal weights, still no NaN
    core.loc[(slice(None), 2021), "p1"] = 1.0
    res = S.sensitivity_analysis(core, spec, n_draws=64, windows=["year"])
    assert not res.table.isna().any().any()


def test_bad_input_is_named():
    spec, core = small_spec(), random_core()
    with pytest.raises(ValueError, match="balanced"):
        S.sensitivity_analysis(core.iloc[1:], spec)
    with pytest.raises(ValueError, match="missing values in \\['c1'\\]"):
        S.sensitivity_analysis(core.assign(c1=np.nan), spec)
    with pytest.raises(ValueError, match="weighting options"):
        S.sensitivity_analysis(core, spec, weighting=["ahp"])
    with pytest.raises(ValueError, match="not in the core"):
        S.leave_out_province_effect(core, spec, pd.DataFrame(), 999999)


def test_planted_leader_is_confident_and_beijing_left_out_changes_nobody():
    spec = small_spec()
    panel = flat_panel(n=10)
    panel.loc[panel["province_code"] == CODES[4], ["d1", "d2"]] = 50.0
    core = panel.set_index(I.KEYS).sort_index()[CORE]
    res = S.sensitivity_analysis(core, spec, n_draws=128)
    t = res.table.set_index(I.KEYS)
    assert (t.xs(CODES[4], level="province_code")["model"] == "demand").all()
    assert (t.xs(CODES[4], level="province_code")["model_confidence"] == 1.0).all()
    eff = S.leave_out_province_effect(core, spec, res.table, CODES[0], n_draws=128)
    assert eff["n_changed"].sum() == 0 and (eff["share_unchanged"] == 1.0).all()
    assert eff.set_index("year").loc[0, "n"] == 9 * 3
    assert I.integrate(panel, spec, regions=REGIONS, with_robustness=False,
                       n_draws=64).table["model"].isin(I.MODELS).all()


def test_typology_diagnosis_recomputed_by_hand():
    """Each "<trigger> only" row equals the analysis rerun with that trigger alone (its options
    drawn equally often: a scrambled Sobol' coordinate is stratified); the pillar gap, the
    top-two share and the pillar correlations are recomputed here with pandas and scipy."""
    from scipy.stats import spearmanr

    spec, core = small_spec(), random_core(seed=4)
    full = S.sensitivity_analysis(core, spec, n_draws=256, seed=3)
    table, lines = S.typology_diagnosis(core, spec, full)
    last = 2022
    rows = table.set_index("analysis")

    def summary(r):
        t = r.table[r.table["year"] == last]
        return ((t["model_confidence"] >= 0.8).mean(), (t["model"] == "multi").mean(),
                r.churn["switches"].mean())

    assert rows.loc["all triggers", ["share_confident", "share_multi", "switches_mean"]].tolist() \
        == pytest.approx(summary(full))
    alone = S.sensitivity_analysis(core, spec, n_draws=64, seed=3, weighting=list(S.WEIGHTINGS),
                                   normalisation=["minmax"], windows=["pooled"], leave_one_out=False)
    assert alone.draws["weighting"].value_counts().tolist() == [16] * 4
    assert rows.loc["weighting only", "n_draws"] == 64 and rows.loc["weighting only", "n_options"] == 4
    assert rows.loc["weighting only", ["share_confident", "share_multi", "switches_mean"]].tolist() \
        == pytest.approx(summary(alone))
    loo = S.sensitivity_analysis(core, spec, n_draws=256, seed=3, weighting=["equal"],
                                 normalisation=["minmax"], windows=["pooled"])
    counts = loo.draws["left_out"].value_counts()
    assert len(counts) == 9 and counts.max() - counts.min() <= 1  # none + 8 indicators
    assert rows.loc["leave_one_out only", "share_confident"] == pytest.approx(summary(loo)[0])
    # closeness in the published specification (equal weights, min-max over the window)
    pil, _ = I.pillar_scores(core, spec, weights="equal")
    r = pil.xs(last, level="year").rank(ascending=False).to_numpy()
    best2 = np.sort(r, axis=1)[:, :2]
    assert rows.loc["pillar gap", "value"] == pytest.approx(np.median(best2[:, 1] - best2[:, 0]))
    t = full.table[full.table["year"] == last]
    sh = np.sort(t[[f"share_{p}" for p in PILLARS]].to_numpy(), axis=1)
    m = (t["model"] == "multi").to_numpy()
    if m.any():
        assert rows.loc["top-two share", "value"] == pytest.approx(np.median(sh[m, -1] + sh[m, -2]))
    corr = table[table["analysis"] == "pillar correlation"].set_index("detail")["value"]
    by_year = [spearmanr(g["pillar_platform"], g["pillar_future"]).statistic
               for _, g in pil.groupby(level="year")]
    assert corr["platform-future"] == pytest.approx(np.mean(by_year))
    assert len(corr) == 6 and corr.is_monotonic_decreasing
    assert len(lines) == 2 and "One trigger at a time" in lines[0] and "not tuned" in lines[1]
    with pytest.raises(ValueError, match="year 1999 is not in the core"):
        S.typology_diagnosis(core, spec, full, year=1999)
