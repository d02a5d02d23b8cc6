"""Classic and spatial Markov chains (analysis.measures.markov, framework.dynamics).

On a 3×3 rook lattice with a random panel: our tidy counts equal giddy's Spatial_Markov arrays
computed here directly and a hand count of the classic matrix; Q and LR are giddy's. Bad input
(an island in W, a class never visited, an unbalanced panel) gives clear messages and no NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W, lat2W

from analysis.measures import spatial_markov, transition_counts

BOUNDS = [0.0, 0.25, 0.5, 0.75, 1.0]


def toy(seed: int = 0, n_years: int = 6) -> pd.Series:
    rng = np.random.default_rng(seed)
    y = np.clip(rng.uniform(0.05, 0.95, size=(9, 1)) + rng.normal(0, 0.12, size=(9, n_years)).cumsum(1),
                0.0, 1.0)
    idx = pd.MultiIndex.from_product([range(9), range(2015, 2015 + n_years)], names=["unit", "year"])
    return pd.Series(y.ravel(), index=idx, name="D")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_and_tests_equal_giddy_on_a_toy_lattice(seed):
    from giddy.markov import Spatial_Markov

    values = toy(seed)
    w = lat2W(3, 3)  # ids 0..8, rook
    res = spatial_markov(values, w, BOUNDS)
    y = values.unstack().to_numpy()
    cls = np.minimum(np.searchsorted(BOUNDS, y, side="right") - 1, 3)  # 1.0 is in the last class
    # hand count of the classic matrix over the classes that occur
    lo, hi = cls.min(), cls.max()
    k = hi - lo + 1
    hand = np.zeros((k, k), int)
    for i in range(9):
        for t in range(y.shape[1] - 1):
            hand[cls[i, t] - lo, cls[i, t + 1] - lo] += 1
    classic = res.transitions[res.transitions["matrix"] == "classic"]
    got = classic.pivot(index="from_class", columns="to_class", values="count")
    got = got.reindex(index=res.classes, columns=res.classes).fillna(0).to_numpy()
    np.testing.assert_array_equal(got, hand)
    # giddy directly, same cutoffs and row-standardised weights
    w2 = lat2W(3, 3)
    w2.transform = "r"
    cut = np.nextafter(np.array(BOUNDS[lo + 1:hi + 1]), -np.inf)
    sm = Spatial_Markov(y, w2, cutoffs=cut, lag_cutoffs=cut)
    assert res.n_transitions == int(sm.transitions.sum()) == 9 * (y.shape[1] - 1)
    for li, lab in enumerate(res.classes):
        sub = res.transitions[res.transitions["matrix"] == f"lag {lab}"]
        T = np.zeros((k, k))
        for r in sub.itertuples():
            T[res.classes.index(r.from_class), res.classes.index(r.to_class)] = r.count
        np.testing.assert_array_equal(T, sm.T[li])
    t = res.tests.set_index("test")
    assert t.at["Q", "statistic"] == pytest.approx(sm.Q) and t.at["LR", "statistic"] == pytest.approx(sm.LR)
    assert t.at["Q", "df"] == sm.dof_hom
    assert not res.transitions.isna().any().any() and not res.tests.isna().any().any()
    p = res.transitions.groupby(["matrix", "from_class"])["probability"].sum()
    np.testing.assert_allclose(p, 1.0)


def test_half_open_classes_like_the_coordination_classes():
    # 0.5 is the lower bound of class 3 ([0.5, 0.75)), as in COORDINATION_CLASSES
    idx = pd.MultiIndex.from_product([range(4), [2020, 2021]], names=["unit", "year"])
    v = pd.Series([0.5, 0.3, 0.3, 0.5, 0.3, 0.3, 0.7, 0.7], index=idx)
    w = lat2W(2, 2)
    res = spatial_markov(v, w, BOUNDS, labels=["a", "b", "c", "d"])
    c = res.transitions[res.transitions["matrix"] == "classic"].set_index(["from_class", "to_class"])["count"]
    assert c[("c", "b")] == 1 and c[("b", "c")] == 1 and c[("b", "b")] == 1 and c[("c", "c")] == 1
    assert res.classes == ["b", "c"]
    assert any("never visited" in n and "'a'" in n and "'d'" in n for n in res.notes)


def test_bad_input_messages():
    values = toy()
    w = lat2W(3, 3)
    island = W({**{i: list(w.neighbors[i]) for i in range(8) if i not in (5, 7)},
                5: [2, 4], 7: [4, 6], 8: []}, silence_warnings=True)
    with pytest.raises(ValueError, match=r"unit\(s\) \[8\] have no neighbour"):
        spatial_markov(values, island, BOUNDS)
    with pytest.raises(ValueError, match="balanced panel"):
        spatial_markov(values.drop(index=(3, 2016)), w, BOUNDS)
    with pytest.raises(ValueError, match="consecutive"):
        spatial_markov(values.drop(index=2017, level="year"), w, BOUNDS)
    with pytest.raises(ValueError, match="different units"):
        spatial_markov(values, lat2W(2, 2), BOUNDS)
    with pytest.raises(ValueError, match="one class"):
        spatial_markov(values * 0 + 0.1, w, BOUNDS)
    with pytest.raises(ValueError, match="outside the class bounds"):
        spatial_markov(values + 2, w, BOUNDS)


def test_transition_counts_of_labels_by_hand():
    idx = pd.MultiIndex.from_product([[1, 2], [2020, 2021, 2022]], names=["unit", "year"])
    lab = pd.Series(["chain", "chain", "multi", "future", "multi", "multi"], index=idx)
    out = transition_counts(lab, states=["chain", "platform", "demand", "future", "multi"])
    c = out.set_index(["from_state", "to_state"])
    assert c.loc[("chain", "chain"), "count"] == 1 and c.loc[("chain", "multi"), "count"] == 1
    assert c.loc[("future", "multi"), "count"] == 1 and c.loc[("multi", "multi"), "count"] == 1
    assert c.loc[("chain", "multi"), "probability"] == 0.5
    assert out.attrs["never_visited"] == ["platform", "demand"]
    with pytest.raises(ValueError, match="not among the states"):
        transition_counts(lab, states=["chain", "multi"])


def test_coordination_dynamics_on_the_framework_table():
    from analysis.framework.dynamics import coordination_dynamics, plot_transitions

    values = toy(4)
    t = values.rename("D").reset_index().rename(columns={"unit": "province_code"})
    t["model"] = np.where(t["D"] > 0.5, "chain", "multi")
    res = coordination_dynamics(t, lat2W(3, 3))
    assert set(res.transitions["variable"]) == {"D_class", "model"}
    assert res.transitions["from_class"].str.match(r"^\d+ ").loc[res.transitions["variable"] == "D_class"].all()
    assert not res.transitions.isna().any().any()
    fig = plot_transitions(res)
    assert len(fig.axes) >= 2
