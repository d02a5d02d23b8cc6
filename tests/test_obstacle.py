"""Obstacle degree (障碍度模型): a hand-worked example, identities, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.measures import entropy_weight, obstacle_degree


def test_hand_worked_example():
    # two provinces, three indicators already normalised (1 = ideal); factor contributions
    # F = (0.5, 0.3, 0.2).
    # P1: I = (0, 0.5, 1); F·I = (0, 0.15, 0.20), sum 0.35 -> O = (0, 3/7, 4/7)
    # P2: I = (0.8, 0, 0); F·I = (0.40, 0, 0), sum 0.40 -> O = (1, 0, 0)
    x = pd.DataFrame({"a": [1.0, 0.2], "b": [0.5, 1.0], "c": [0.0, 1.0]}, index=["P1", "P2"])
    res = obstacle_degree(x, {"a": 0.5, "b": 0.3, "c": 0.2}, groups={"g1": ["a", "b"], "g2": ["c"]})
    np.testing.assert_allclose(res.indicators.to_numpy(), [[0, 3 / 7, 4 / 7], [1, 0, 0]], atol=1e-15)
    np.testing.assert_allclose(res.distance, [0.35, 0.40], atol=1e-15)
    np.testing.assert_allclose(res.groups["g1"], [3 / 7, 1.0], atol=1e-15)
    np.testing.assert_allclose(res.groups["g2"], [4 / 7, 0.0], atol=1e-15)
    np.testing.assert_allclose(res.deviation.to_numpy(), [[0, 0.5, 1], [0.8, 0, 0]], atol=1e-15)
    # weights need not sum to 1: scaling them leaves the shares unchanged
    res2 = obstacle_degree(x, {"a": 5.0, "b": 3.0, "c": 2.0})
    np.testing.assert_allclose(res2.indicators, res.indicators, atol=1e-15)


def test_distance_is_one_minus_the_entropy_composite():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.lognormal(size=(40, 4)), columns=list("abcd"))
    ent = entropy_weight(X, {"d": "-"})
    res = obstacle_degree(ent.normalised, ent.weights, groups={"all": list("abcd")})
    np.testing.assert_allclose(res.distance, 1 - ent.scores, atol=1e-12)
    np.testing.assert_allclose(res.indicators.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(res.groups["all"], 1.0, atol=1e-12)
    assert (res.indicators >= 0).all().all()


def test_observation_at_the_ideal_has_no_obstacle_and_no_nan():
    x = pd.DataFrame({"a": [1.0, 0.0], "b": [1.0, 0.5]})
    res = obstacle_degree(x, {"a": 0.5, "b": 0.5})
    assert res.indicators.iloc[0].tolist() == [0.0, 0.0] and res.distance.iloc[0] == 0.0
    assert not res.indicators.isna().any().any()


def test_bad_input_is_named():
    x = pd.DataFrame({"a": [1.0, 0.2], "b": [0.5, 1.0]})
    with pytest.raises(ValueError, match=r"no weight .* \['b'\]"):
        obstacle_degree(x, {"a": 1.0})
    with pytest.raises(ValueError, match=r"out of range in \['a'\]"):
        obstacle_degree(x.assign(a=[1.5, 0.0]), {"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="missing"):
        obstacle_degree(x.assign(b=[np.nan, 1.0]), {"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="non-negative"):
        obstacle_degree(x, {"a": -1.0, "b": 1.0})
    with pytest.raises(ValueError, match="all weights are zero"):
        obstacle_degree(x, {"a": 0.0, "b": 0.0})
    with pytest.raises(ValueError, match=r"group 'g' names unknown column\(s\) \['z'\]"):
        obstacle_degree(x, {"a": 1.0, "b": 1.0}, groups={"g": ["z"]})
