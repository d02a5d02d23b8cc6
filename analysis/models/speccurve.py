"""Specification curve of one coefficient over every combination of analytic choices.

Simonsohn, Simmons & Nelson (2020), "Specification curve analysis", Nature Human Behaviour 4,
1208–1214: estimate the coefficient of interest under every reasonable combination of choices
(outcome measure, control set, sample window, fixed effects, inference), sort the estimates,
and show under them which choices each specification made. The reading is the distribution,
not one number: the median estimate, the share of specifications with each sign, and the share
significant at 5 %. None of the Stata/R/Python panel peers ships this for fixed-effects panels
(R ``specr`` and ``multiverse`` are generic; neither knows about clustered or wild-bootstrap
inference), so it is written here on top of :func:`analysis.models.twfe.twfe` and
:meth:`~analysis.models.results.ModelResult.wild_bootstrap`.

The public entry points are :func:`specification_curve` (the table) and
:func:`specification_curve_figure` (the figure: sorted estimates with intervals, the choice
indicators below).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["SpecCurveResult", "specification_curve", "specification_curve_figure"]

INFERENCE = ("CR1", "wild")
CHOICES = ["outcome", "controls", "window", "fixed_effects", "inference"]


@dataclass
class SpecCurveResult:
    """The specification curve.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per specification: the choices (``outcome``, ``controls``, ``window``,
        ``fixed_effects``, ``inference``), ``estimate``, ``std_error`` (CR1), ``ci_lower``,
        ``ci_upper``, ``p_value`` (of the row's inference), ``significant`` (p < 0.05),
        ``nobs``, ``n_clusters``, ``years`` (first–last year used), ``rank`` (1 = smallest
        estimate; ties broken by the order of the choices).
    summary : dict
        ``n_specifications``, ``median_estimate``, ``share_positive``, ``share_significant``
        (p < 0.05, all rows), ``share_significant_positive``, ``share_significant_negative``,
        and the same shares by inference method (``by_inference``).
    x : str
        The coefficient.
    notes : list of str
    """

    table: pd.DataFrame
    summary: dict
    x: str
    notes: list[str] = field(default_factory=list)


def _fe_column(df: pd.DataFrame, term) -> tuple[pd.DataFrame, str]:
    """A fixed-effect term: a column name, or a tuple of columns interacted (region × year)."""
    if isinstance(term, str):
        if term not in df.columns:
            raise KeyError(f"fixed-effect column {term!r} not in data")
        return df, term
    cols = list(term)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"fixed-effect columns {missing} not in data")
    name = "__".join(cols)
    if name not in df.columns:
        df = df.copy()
        df[name] = df.groupby(cols, sort=True, dropna=False).ngroup().to_numpy()
    return df, name


def _summary(t: pd.DataFrame) -> dict:
    def shares(s: pd.DataFrame) -> dict:
        return {"n": int(len(s)),
                "share_significant": float(s["significant"].mean()),
                "share_significant_positive": float((s["significant"] & (s["estimate"] > 0)).mean()),
                "share_significant_negative": float((s["significant"] & (s["estimate"] < 0)).mean())}
    out = {"n_specifications": int(len(t)), "median_estimate": float(t["estimate"].median()),
           "share_positive": float((t["estimate"] > 0).mean()), **shares(t)}
    out.pop("n")
    out["by_inference"] = {k: shares(g) for k, g in t.groupby("inference", sort=False)}
    return out


def specification_curve(
    data: pd.DataFrame,
    *,
    x: str,
    outcomes: Sequence[str] | Mapping[str, str],
    controls: Mapping[str, Sequence[str]],
    windows: Mapping[str, tuple[int, int]],
    fixed_effects: Mapping[str, Sequence] | None = None,
    inference: Sequence[str] = INFERENCE,
    entity: str = "province_code",
    time: str = "year",
    cluster: str | None = None,
    wild: Mapping | None = None,
    min_clusters_webb: int = 10,
    level: float = 0.95,
) -> SpecCurveResult:
    """The coefficient of ``x`` under every combination of the given choices.

    Parameters
    ----------
    data : DataFrame
        Long panel with ``entity``, ``time``, ``x``, the outcomes, controls and fixed-effect
        columns.
    x : str
        The regressor whose coefficient is charted (e.g. ``"rd_intensity_pct"``).
    outcomes : sequence of str, or mapping label -> column
        Dependent variables.
    controls : mapping label -> list of str
        Control sets (an empty list for none).
    windows : mapping label -> (first year, last year)
        Sample windows (inclusive) on ``time``.
    fixed_effects : mapping label -> [entity term, second term], optional
        Each option is two terms absorbed as fixed effects; a term is a column or a tuple of
        columns interacted. Default: ``{"two-way": [entity, time], "province + region-year":
        [entity, ("region", time)]}``.
    inference : sequence of {"CR1", "wild"}
        CR1 (t(G−1), reghdfe small-sample correction) and/or the wild cluster bootstrap
        (WCR, Rademacher; Webb with fewer than ``min_clusters_webb`` clusters). Each is a row;
        the estimate is the same, the interval and p-value differ.
    entity, time : str
        Panel keys (``time`` also defines the windows).
    cluster : str, optional
        Cluster variable (default ``entity``).
    wild : mapping, optional
        Options of :meth:`~analysis.models.results.ModelResult.wild_bootstrap` (``reps``,
        ``seed``); default 9,999 replications, seed 0.
    min_clusters_webb : int
        Below this many clusters the wild bootstrap uses Webb weights.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    SpecCurveResult
        ``table`` (one row per specification × inference, sorted as built; ``rank`` gives the
        order of the curve) and ``summary`` (median estimate, share significant at 5 % …).

    Raises
    ------
    KeyError
        A named column is not in ``data``.
    ValueError
        An empty choice, an unknown inference method, a window that is empty or reversed, or a
        specification that cannot be estimated; the message names the specification and the
        cause (e.g. ``x`` without variation after the fixed effects in that window).
    """
    from analysis.models.twfe import twfe

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    outs = dict(outcomes) if isinstance(outcomes, Mapping) else {str(o): str(o) for o in outcomes}
    fes = dict(fixed_effects) if fixed_effects is not None else {
        "two-way": [entity, time], "province + region-year": [entity, ("region", time)]}
    inference = list(inference)
    for name, opt in (("outcomes", outs), ("controls", controls), ("windows", windows),
                      ("fixed_effects", fes), ("inference", inference)):
        if len(opt) == 0:
            raise ValueError(f"{name} is empty: give at least one option")
    bad = [m for m in inference if m not in INFERENCE]
    if bad:
        raise ValueError(f"unknown inference method(s) {bad}; use {list(INFERENCE)}")
    for wname, (a, b) in windows.items():
        if a > b:
            raise ValueError(f"window {wname!r} is reversed: {a} > {b}")
    cols = [x, entity, time, *outs.values(), *(c for cs in controls.values() for c in cs)]
    missing = [c for c in dict.fromkeys(cols) if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) not in data: {missing}")
    for fname, terms in fes.items():
        if len(terms) != 2:
            raise ValueError(f"fixed-effects option {fname!r} must have two terms (the entity's "
                             f"and one more), got {terms}")
    wopts = {"reps": 9999, "seed": 0, **(wild or {})}
    cl = cluster or entity
    data = data.copy()
    fe_names = {}
    for fname, terms in fes.items():  # interacted effects built once, on the whole panel
        data, t1 = _fe_column(data, terms[0])
        data, t2 = _fe_column(data, terms[1])
        fe_names[fname] = (t1, t2)
    rows = []
    for (olab, ycol), (clab, cset), (wlab, (a, b)), (flab, _terms) in product(
            outs.items(), controls.items(), windows.items(), fes.items()):
        spec = f"outcome={olab}, controls={clab}, window={wlab}, fixed effects={flab}"
        sub = data[(data[time] >= a) & (data[time] <= b)]
        if sub.empty:
            raise ValueError(f"specification [{spec}]: no observations in {a}–{b}")
        t1, t2 = fe_names[flab]
        xs = [x, *[c for c in cset if c != x]]
        use = sub.dropna(subset=[ycol, *xs])
        if use.empty:
            raise ValueError(f"specification [{spec}]: no complete observations of {ycol} and "
                             f"{xs} in {a}–{b}")
        try:
            r = twfe(use, ycol, xs, t1, t2, cluster=cl)
        except ValueError as exc:
            raise ValueError(f"specification [{spec}] cannot be estimated: {exc}") from None
        est, se = float(r.params[x]), float(r.std_errors[x])
        yrs = f"{int(use[time].min())}-{int(use[time].max())}"
        base = {"outcome": olab, "controls": clab, "window": wlab, "fixed_effects": flab,
                "estimate": est, "std_error": se, "nobs": r.nobs, "n_clusters": r.n_clusters,
                "years": yrs}
        for m in inference:
            if m == "CR1":
                z = stats.t.isf((1 - level) / 2, r.dof)
                rows.append({**base, "inference": "CR1", "ci_lower": est - z * se,
                             "ci_upper": est + z * se, "p_value": float(r.pvalues[x])})
            else:
                w = "webb" if (r.n_clusters or 0) < min_clusters_webb else "rademacher"
                wb = r.wild_bootstrap(x, level=level, weights=w, **wopts)
                rows.append({**base, "inference": "wild", "ci_lower": wb.ci_lower,
                             "ci_upper": wb.ci_upper, "p_value": wb.p_value})
    t = pd.DataFrame(rows)
    t["significant"] = t["p_value"] < 0.05
    order = ["outcome", "controls", "window", "fixed_effects", "inference", "estimate",
             "std_error", "ci_lower", "ci_upper", "p_value", "significant", "nobs",
             "n_clusters", "years"]
    t = t[order]
    t["rank"] = t["estimate"].rank(method="first").astype(int)
    notes = [f"{len(t)} specifications = {len(outs)} outcomes × {len(controls)} control sets × "
             f"{len(windows)} windows × {len(fes)} fixed-effects options × {len(inference)} "
             "inference methods"]
    if "wild" in inference:
        notes.append(f"wild cluster bootstrap: WCR, {wopts['reps']} replications, seed "
                     f"{wopts['seed']}, Rademacher weights (Webb below {min_clusters_webb} "
                     "clusters)")
    return SpecCurveResult(table=t, summary=_summary(t), x=x, notes=notes)


def specification_curve_figure(table: pd.DataFrame, *, x_label: str = "coefficient",
                               choices: Sequence[str] = CHOICES, level: float = 0.95):
    """Sorted estimates with their intervals (top) and each specification's choices (bottom).

    Parameters
    ----------
    table : DataFrame
        :attr:`SpecCurveResult.table`.
    x_label : str
        Label of the estimates' axis.
    choices : sequence of str
        Choice columns shown in the indicator panel, top to bottom.
    level : float
        Level of the intervals (for the legend).

    Returns
    -------
    matplotlib.figure.Figure
        Significant (p < 0.05) specifications in red, the others in grey; a dashed line at 0 and
        a dotted line at the median estimate.
    """
    import matplotlib.pyplot as plt

    t = table.sort_values(["estimate", "inference"], kind="mergesort").reset_index(drop=True)
    n = len(t)
    levels = [(c, list(dict.fromkeys(table[c]))) for c in choices]
    n_rows = sum(len(v) for _, v in levels)
    fig, (ax1, ax2) = plt.subplots(
        2, 1, figsize=(8.0, 3.2 + 0.17 * n_rows), sharex=True,
        gridspec_kw={"height_ratios": [2.2, 0.17 * n_rows + 0.3], "hspace": 0.05})
    pos = np.arange(n)
    col = np.where(t["significant"], "#c0392b", "#7f8c8d")
    ax1.vlines(pos, t["ci_lower"], t["ci_upper"], colors=col, lw=0.8, alpha=0.6)
    ax1.scatter(pos, t["estimate"], c=col, s=9, zorder=3)
    ax1.axhline(0, color="#34495e", lw=0.8, ls="--")
    ax1.axhline(float(t["estimate"].median()), color="#2980b9", lw=0.8, ls=":")
    ax1.set_ylabel(f"{x_label}\n({level:.0%} CI)")
    ax1.set_title(f"Specification curve: {n} specifications; red = p < 0.05, "
                  f"dotted = median {t['estimate'].median():.3f}", fontsize=9)
    ylabels, y = [], 0
    for c, vals in levels:
        for v in vals:
            hit = pos[(t[c] == v).to_numpy()]
            ax2.scatter(hit, np.full(hit.size, -y), marker="|", s=40, color="#34495e", lw=1)
            ylabels.append(f"{c.replace('_', ' ')}: {v}")
            y += 1
    ax2.set_yticks(-np.arange(len(ylabels)), ylabels, fontsize=7)
    ax2.set_ylim(-len(ylabels) + 0.5, 0.5)
    ax2.set_xlabel("specifications, sorted by the estimate")
    ax2.set_xlim(-1, n)
    for a in (ax1, ax2):
        a.spines[["top", "right"]].set_visible(False)
    fig.align_ylabels()
    return fig
