"""Specification curve: every row equals a direct fit; counts, summary, figure, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import twfe
from analysis.models.speccurve import specification_curve, specification_curve_figure


def _panel(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    regions = ["east", "central", "west", "northeast"]
    for i in range(16):
        mu = rng.normal()
        for t in range(2011, 2021):
            x = rng.normal() + 0.2 * mu
            c1, c2 = rng.normal(), rng.normal()
            rows.append(dict(pid=100 + i, year=t, region=regions[i % 4], x=x, c1=c1, c2=c2,
                             y1=0.3 * x + 0.5 * c1 + mu + rng.normal(scale=0.5),
                             y2=-0.1 * x + c2 + mu + rng.normal(scale=0.5)))
    return pd.DataFrame(rows)


CHOICES = dict(outcomes={"Y1": "y1", "Y2": "y2"}, controls={"none": [], "c": ["c1", "c2"]},
               windows={"all": (2011, 2020), "late": (2015, 2020)})


@pytest.fixture(scope="module")
def curve():
    return specification_curve(_panel(), x="x", entity="pid", wild={"reps": 499, "seed": 3},
                               **CHOICES)


def test_rows_equal_direct_fits(curve):
    t = curve.table
    assert len(t) == 2 * 2 * 2 * 2 * 2 == curve.summary["n_specifications"]
    assert t[["outcome", "controls", "window", "fixed_effects", "inference"]].drop_duplicates() \
        .shape[0] == len(t)
    d = _panel()
    d["ry"] = d["region"] + "|" + d["year"].astype(str)
    for _, row in t.iterrows():
        a, b = CHOICES["windows"][row.window]
        sub = d[d.year.between(a, b)]
        xs = ["x", *CHOICES["controls"][row.controls]]
        second = "year" if row.fixed_effects == "two-way" else "ry"
        r = twfe(sub, CHOICES["outcomes"][row.outcome], xs, "pid", second, cluster="pid")
        assert row.estimate == pytest.approx(r.params["x"], rel=1e-10)
        assert row.std_error == pytest.approx(r.std_errors["x"], rel=1e-10)
        assert row.nobs == r.nobs
        if row.inference == "CR1":
            ci = r.conf_int().loc["x"]
            assert (row.ci_lower, row.ci_upper) == pytest.approx((ci["lower"], ci["upper"]))
            assert row.p_value == pytest.approx(r.pvalues["x"])
        else:
            wb = r.wild_bootstrap("x", reps=499, seed=3)
            assert row.p_value == wb.p_value
            assert (row.ci_lower, row.ci_upper) == pytest.approx((wb.ci_lower, wb.ci_upper))
    # region-year effects absorb more than year effects: fewer residual degrees of freedom
    assert set(t.fixed_effects) == {"two-way", "province + region-year"}


def test_summary_and_rank(curve):
    t, s = curve.table, curve.summary
    assert s["median_estimate"] == pytest.approx(t.estimate.median())
    assert s["share_significant"] == pytest.approx((t.p_value < 0.05).mean())
    assert s["share_positive"] == pytest.approx((t.estimate > 0).mean())
    assert set(s["by_inference"]) == {"CR1", "wild"}
    assert sorted(t["rank"]) == list(range(1, len(t) + 1))
    assert t.sort_values("rank")["estimate"].is_monotonic_increasing
    # y1 has a true effect of 0.3: significant with controls in the full window
    row = t[(t.outcome == "Y1") & (t.controls == "c") & (t.window == "all")]
    assert (row.p_value < 0.01).all() and row.estimate.between(0.2, 0.4).all()


def test_figure(curve):
    import matplotlib

    matplotlib.use("Agg")
    fig = specification_curve_figure(curve.table, x_label="x")
    ax1, ax2 = fig.axes
    assert len(ax1.collections[-1].get_offsets()) == len(curve.table)
    assert len(ax2.get_yticklabels()) == 2 + 2 + 2 + 2 + 2


def test_bad_input():
    d = _panel()
    with pytest.raises(ValueError, match="unknown inference"):
        specification_curve(d, x="x", entity="pid", inference=["HC3"], **CHOICES)
    with pytest.raises(ValueError, match="controls is empty"):
        specification_curve(d, x="x", entity="pid", outcomes=["y1"], controls={},
                            windows={"a": (2011, 2020)})
    with pytest.raises(ValueError, match="window 'r' is reversed"):
        specification_curve(d, x="x", entity="pid", outcomes=["y1"], controls={"n": []},
                            windows={"r": (2020, 2011)})
    with pytest.raises(KeyError, match="nope"):
        specification_curve(d, x="x", entity="pid", outcomes=["nope"], controls={"n": []},
                            windows={"a": (2011, 2020)})
    # x constant within every province after 2017: the late window has no variation in x
    d2 = d.copy()
    d2.loc[d2.year >= 2017, "x"] = d2.loc[d2.year >= 2017, "pid"] * 0.01
    with pytest.raises(ValueError, match=r"specification \[outcome=y1, controls=n, "
                                         r"window=late, fixed effects=two-way\].*absorbed"):
        specification_curve(d2, x="x", entity="pid", outcomes=["y1"], controls={"n": []},
                            windows={"late": (2017, 2020)}, inference=["CR1"])
    with pytest.raises(ValueError, match="no observations in 2030"):
        specification_curve(d, x="x", entity="pid", outcomes=["y1"], controls={"n": []},
                            windows={"future": (2030, 2031)})
