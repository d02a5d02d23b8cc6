"""The integration framework computed: subsystems, coupling coordination, four models, five pathways.

Pipeline (all pure functions on DataFrames; :func:`run` is the only part that touches files):

1. :func:`compute_indicators` evaluates every formula of the specification (``spec.yaml``) on
   the panel: one column per indicator, rows keyed by (``province_code``, ``year``).
2. :func:`prepare_core` applies the **missing-value rule** (below) to the *core* indicators, those
   that belong to a subsystem or a pillar.
3. Subsystem scores ``U_st``, ``U_ind`` and the four pillar scores by the **panel entropy method**
   (:func:`analysis.measures.entropy_weight`: min-max over all provinces and years of the window,
   ``k = 1/ln(N·T)``, score ``s = Σ_j w_j z_j`` in [0, 1]), one entropy estimation per group.
4. Coupling coordination of the two subsystems (:func:`analysis.measures.coupling_coordination`):
   ``C = 2√(U_st·U_ind)/(U_st+U_ind)``, ``T = ½U_st + ½U_ind``, ``D = √(C·T)``; ten-level class of D
   and the lagging subsystem (``|U_st − U_ind| ≤ tolerance`` → ``balanced``).
5. **Typology rule** (:func:`classify_models`): standardise each pillar score across provinces
   within the year, ``z_pit = (P_pit − mean_i P_pt) / sd_i P_pt`` (sample sd, ddof = 1, as Stata's
   ``egen std()``); ``model_it = argmax_p z_pit`` if ``z_(1) − z_(2) > margin`` (largest minus
   second-largest z) **and** ``z_(1) > floor`` (default 0: above the year's cross-province
   mean), else ``multi``. The dominant model is *relative*: the model in which the province
   stands out most compared with other provinces that year; ``multi`` = no single model stands
   out (several models coexist, or none is above the mean — read D to tell which).
6. **Data-driven alternative** (:func:`cluster_models`): k-means (or Ward) on the pooled z-profiles
   of all province-years, each cluster labelled by its centroid with the same rule (centroid's top
   pillar if its lead exceeds the margin, else ``multi``); agreement with the rule reported as the
   share agreeing and Cohen's kappa (:func:`model_agreement`).
7. **Pathway diagnostics** (:func:`pathway_diagnostics`): for every indicator and province-year,
   the percentile among provinces ``(rank − 1)/(n − 1)`` (1 = frontier, direction-aware, average
   ranks for ties) and within the NBS region, gap to the frontier and to the regional leader (in
   the indicator's unit and relative to the leader); pathway score = mean national percentile of
   the pathway's indicators observed that year; the two weakest pathways.
8. **Robustness** (:func:`robustness`): share of provinces whose dominant model is unchanged when
   the pillar weights are equal instead of entropy weights, and when each pillar indicator in turn
   is left out (weights re-estimated); per province-year, ``model_stability`` = the share of
   these weight perturbations that keep its model.

Missing-value rule (flagged in the output, never silent)
--------------------------------------------------------
* Years: the entropy window is the set of years in which **every core indicator is observed for at
  least ``min_coverage`` (default 90 %) of the provinces**. Years outside the window get no scores
  (the panel entropy method needs one indicator set for all years). The window is printed and
  stored (``IntegrationResult.window``). A single year that fails the rule but lies between two
  years that pass it (2017: the yearbook published no high-technology industry table) is
  *bridged* (``bridge=True``, the default): it enters the window and its missing cells are
  linearly interpolated between the neighbouring years, flagged like every other fill.
* Cells: inside the window a province's missing core value is filled by linear interpolation
  over the province's own observed years (constant at the ends: the nearest observed year); a
  province never observed for that indicator gets the year's worst observed value (NBS omits
  provinces with negligible activity, e.g. Tibet in the high-tech industry tables). Each fill is
  listed in ``IntegrationResult.fills`` and counted in the ``n_filled`` / ``filled`` columns.
* Pathway-only indicators (subsystem and pillar ``none``) are never filled; percentiles use the
  provinces observed that year, and a pathway score averages the indicators observed.
* An indicator whose panel column does not exist at all (e.g. the chain-linkage table was not
  built) is dropped with a note; a core indicator constant over the window (range ≤
  ``CONSTANT_RTOL`` × its largest absolute value, i.e. constant up to rounding) is dropped with a
  note.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analysis.framework.spec import PATHWAYS, PILLARS, Spec, evaluate_formula, load_spec
from analysis.measures import coupling_coordination, entropy_weight

__all__ = [
    "MODELS",
    "IntegrationResult",
    "compute_indicators",
    "prepare_core",
    "composite_score",
    "pillar_scores",
    "standardise_within_year",
    "classify_models",
    "cluster_models",
    "model_agreement",
    "pathway_diagnostics",
    "robustness",
    "integrate",
    "typology_table",
    "codebook",
    "run",
]

MODELS: tuple[str, ...] = (*PILLARS, "multi")
KEYS = ["province_code", "year"]
#: A core indicator whose range over the window is at most this share of its largest absolute
#: value is treated as constant (floating-point noise, not information) and dropped.
CONSTANT_RTOL = 1e-9


# ============================================================================ indicators


def compute_indicators(panel: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, list[str]]:
    """Evaluate every indicator formula on the panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per province-year with ``province_code``, ``year`` and the columns the formulas
        use (docs/CONTRACTS.md units).
    spec : Spec
        The validated specification.

    Returns
    -------
    indicators : pandas.DataFrame
        Indexed by (``province_code``, ``year``), one float column per indicator (NaN where an
        input is missing or a denominator is zero).
    notes : list of str
        Indicators dropped because a column they need is absent from ``panel``, and indicators
        with no finite value at all.

    Raises
    ------
    KeyError
        ``panel`` lacks ``province_code`` or ``year``.
    ValueError
        Missing ``province_code`` or ``year`` values; duplicate (province_code, year) rows.
    """
    missing_keys = [k for k in KEYS if k not in panel.columns]
    if missing_keys:
        raise KeyError(f"panel lacks key column(s) {missing_keys}")
    na_keys = panel[KEYS].isna().any(axis=1)
    if na_keys.any():
        raise ValueError(f"panel has {int(na_keys.sum())} row(s) with a missing province_code or "
                         f"year, first at index {panel.index[na_keys][0]!r}")
    dup = panel.duplicated(KEYS)
    if dup.any():
        first = panel.loc[dup, KEYS].iloc[0].tolist()
        raise ValueError(f"panel has {int(dup.sum())} duplicate province-year rows, first {first}")
    data = panel.sort_values(KEYS).reset_index(drop=True)
    out, notes = {}, []
    for ind in spec.indicators:
        absent = [c for c in ind.columns if c not in data.columns]
        if absent:
            notes.append(f"indicator {ind.name!r} dropped: panel has no column(s) {absent}")
            continue
        out[ind.name] = evaluate_formula(ind.formula, data).to_numpy()
        if np.isnan(out[ind.name]).all():
            notes.append(f"indicator {ind.name!r} has no finite value in the panel ({ind.formula}: "
                         "inputs missing or denominators zero everywhere)")
    index = pd.MultiIndex.from_frame(data[KEYS].astype("int64"))
    return pd.DataFrame(out, index=index), notes


def core_indicators(spec: Spec, available: Iterable[str]) -> list[str]:
    """Names of the *core* indicators: in a subsystem, a pillar or the linkage index, so they
    enter entropy scores.

    Parameters
    ----------
    spec : Spec
    available : iterable of str
        Indicator columns actually computed (see :func:`compute_indicators`).

    Returns
    -------
    list of str
        In specification order, restricted to ``available``.
    """
    available = set(available)
    return [i.name for i in spec.indicators
            if spec.is_core(i.name) and i.name in available]


def prepare_core(
    indicators: pd.DataFrame,
    spec: Spec,
    *,
    min_coverage: float = 0.9,
    years: Iterable[int] | None = None,
    bridge: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, list[int], pd.DataFrame, list[str]]:
    """Apply the missing-value rule to the core indicators (see the module notes).

    Parameters
    ----------
    indicators : pandas.DataFrame
        From :func:`compute_indicators` (index province_code, year).
    spec : Spec
    min_coverage : float in (0, 1]
        A year enters the window if every core indicator is observed for at least this share of
        the provinces present in the panel.
    years : iterable of int, optional
        Restrict the window further to these years.
    bridge : bool, default True
        Admit a year failing the coverage rule when both the year before and the year after pass
        it; its missing cells are then interpolated (and listed in ``fills``).

    Returns
    -------
    core : pandas.DataFrame
        Window rows only, core indicators only, no missing values.
    fills : pandas.DataFrame
        ``province_code, year, indicator, method`` (``interpolated`` | ``nearest year`` |
        ``worst value of the year``) for every filled cell.
    window : list of int
        The window years.
    coverage : pandas.DataFrame
        Years by core indicators: share of provinces observed.
    notes : list of str

    Raises
    ------
    ValueError
        No core indicators, or no year meets the coverage rule (the message lists the coverage of
        the worst indicators).
    """
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage}")
    notes: list[str] = []
    names = core_indicators(spec, indicators.columns)
    if not names:
        raise ValueError("no core (subsystem or pillar) indicators available")
    X = indicators[names]
    carried = []
    cf = {n: spec[n].carry_forward for n in names if spec[n].carry_forward > 0}
    if cf:
        X = X.copy()
        for n, k in cf.items():
            wide = X[n].unstack("province_code")
            last_obs = wide.notna()[::-1].cummax()[::-1]  # True up to each province's last value
            filled = wide.ffill(limit=k).where(~last_obs, wide)
            new = filled.notna() & wide.isna()
            for y, p in zip(*np.nonzero(new.to_numpy()), strict=True):
                carried.append((int(wide.columns[p]), int(wide.index[y]), n))
            X[n] = filled.stack().reorder_levels(KEYS).reindex(X.index)
        if carried:
            years_cf = sorted({y for _, y, _ in carried})
            notes.append("carried forward (publication lag, `carry_forward` in the specification): "
                         + "; ".join(f"{n} → {sorted({y for _, y, m in carried if m == n})}"
                                     for n in cf if any(m == n for _, _, m in carried))
                         + f" (years {years_cf}, flagged in the fills)")
    n_prov = X.index.get_level_values("province_code").nunique()
    coverage = X.notna().groupby(level="year").sum() / n_prov
    ok = (coverage >= min_coverage - 1e-12).all(axis=1)
    passing = set(coverage.index[ok])
    bridged = [int(y) for y in coverage.index[~ok]
               if bridge and (y - 1) in passing and (y + 1) in passing]
    ok[bridged] = True
    window = [int(y) for y in coverage.index[ok]]
    if bridged:
        notes.append(f"bridged year(s) {_spans(bridged)}: below the coverage rule but between two "
                     "years that meet it; missing cells interpolated between the neighbours "
                     "(listed in the fills)")
    if years is not None:
        wanted = {int(y) for y in years}
        window = [y for y in window if y in wanted]
    if not window:
        worst = coverage.max().sort_values().head(5)
        raise ValueError(
            f"no year has every core indicator observed for ≥{min_coverage:.0%} of provinces; "
            f"best coverage of the weakest indicators: {worst.round(2).to_dict()}"
        )
    all_years = sorted(coverage.index)
    out_years = [y for y in all_years if y not in window]
    if out_years:
        # limiting indicators for the years around and inside the window (earlier years lack
        # most indicators and would only repeat the same list)
        near = [y for y in out_years if min(window) - 2 <= y <= max(window) + 2]
        limiting = {y: list(coverage.columns[coverage.loc[y] < min_coverage]) for y in near}
        notes.append(
            f"entropy window: {_spans(window)} (years with every core indicator observed for "
            f"≥{min_coverage:.0%} of provinces); no scores for {_spans(out_years)}. "
            "Limiting indicators: " + "; ".join(f"{y}: {', '.join(v)}" for y, v in limiting.items() if v)
        )
    # fill cells inside the window
    fills = []
    filled = {}
    for name in names:
        wide = X[name].unstack("province_code")  # years by provinces
        interp = wide.interpolate(method="index", limit_area="inside")
        nearest = interp.ffill().bfill()
        col = wide.loc[window].copy()
        sign = spec[name].sign
        for y in window:
            row = col.loc[y]
            for p in row.index[row.isna()]:
                if not np.isnan(interp.at[y, p]):
                    val, how = interp.at[y, p], "interpolated"
                elif not np.isnan(nearest.at[y, p]):
                    val, how = nearest.at[y, p], "nearest year"
                else:
                    obs = wide.loc[y].dropna()
                    val = obs.min() if sign > 0 else obs.max()
                    how = "worst value of the year"
                col.at[y, p] = val
                fills.append((int(p), int(y), name, how))
        filled[name] = col.stack().rename(name)
    core = pd.concat(filled, axis=1)
    core.index = core.index.set_names(["year", "province_code"])
    core = core.reorder_levels(KEYS).sort_index()[names]
    wset = set(window)
    fills += [(p, y, n, "carried forward (publication lag)") for p, y, n in carried if y in wset]
    fills_df = pd.DataFrame(fills, columns=["province_code", "year", "indicator", "method"])
    if len(fills_df):
        by = fills_df.groupby(["indicator", "method"]).size()
        notes.append("filled core cells inside the window: "
                     + "; ".join(f"{i} {m}: {n}" for (i, m), n in by.items()))
        per_row = fills_df.groupby(["province_code", "year"]).size()
        empty = per_row.index[per_row == len(names)].tolist()
        if empty:
            notes.append(f"{len(empty)} province-year(s) with no core indicator observed (absent "
                         "from the panel or all missing), scored from filled values only: "
                         + ", ".join(f"{p} {y}" for p, y in empty[:10])
                         + (" …" if len(empty) > 10 else ""))
    # constant indicators carry no information: drop with a note. "Constant" up to rounding: a
    # ratio that is constant in exact arithmetic (e.g. 100·a/a) differs by ~1e-14 between rows,
    # and min-max scaling would blow that noise up to [0, 1] and give it entropy weight.
    const = [c for c in core.columns
             if core[c].max() - core[c].min() <= CONSTANT_RTOL * core[c].abs().max()]
    if const:
        notes.append(f"core indicator(s) constant over the window, dropped: {const}")
        core = core.drop(columns=const)
    return core, fills_df, window, coverage, notes


def _spans(years: list[int]) -> str:
    years = sorted(years)
    if not years:
        return "none"
    spans, start, prev = [], years[0], years[0]
    for y in years[1:]:
        if y != prev + 1:
            spans.append(f"{start}–{prev}" if start != prev else f"{start}")
            start = y
        prev = y
    spans.append(f"{start}–{prev}" if start != prev else f"{start}")
    return ", ".join(spans)


# ============================================================================ scores


def composite_score(
    X: pd.DataFrame,
    directions: pd.Series | Mapping[str, int],
    *,
    weights: pd.Series | Literal["entropy", "equal"] = "entropy",
    shift: float = 0.0,
) -> tuple[pd.Series, pd.Series]:
    """Composite index of a group of indicators on the panel-wide min-max scale.

    Parameters
    ----------
    X : pandas.DataFrame
        n_obs by m indicators (no missing values).
    directions : Series or mapping
        +1 / −1 per indicator.
    weights : {"entropy", "equal"} or pandas.Series
        ``"entropy"``: panel entropy weights (:func:`analysis.measures.entropy_weight`);
        ``"equal"``: 1/m each; a Series: fixed weights (indexed by indicator, summing to 1).
    shift : float
        Entropy shift constant (see :func:`analysis.measures.entropy_weight`).

    Returns
    -------
    scores : pandas.Series
        ``s_i = Σ_j w_j z_ij`` with ``z`` the direction-aware min-max normalisation over all rows
        of ``X`` (n_obs, in [0, 1]).
    weights : pandas.Series
        The weights used (m, sum 1).

    Raises
    ------
    ValueError
        As :func:`analysis.measures.entropy_weight` (missing values, constant column); fixed
        weights not covering the indicators, negative, or not summing to 1.
    """
    dirs = {c: ("+" if int(pd.Series(directions)[c]) > 0 else "-") for c in X.columns}
    res = entropy_weight(X, dirs, shift=shift)
    if isinstance(weights, str):
        if weights == "entropy":
            return res.scores, res.weights
        if weights == "equal":
            w = pd.Series(1.0 / X.shape[1], index=X.columns, name="weight")
        else:
            raise ValueError(f"weights must be 'entropy', 'equal' or a Series, got {weights!r}")
    else:
        w = pd.Series(weights, dtype=float)
        missing = [c for c in X.columns if c not in w.index]
        if missing:
            raise ValueError(f"fixed weights missing for indicators {missing}")
        w = w.reindex(X.columns)
        if (w < 0).any() or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"fixed weights must be non-negative and sum to 1, got {w.to_dict()}")
    scores = pd.Series(res.normalised.to_numpy() @ w.to_numpy(), index=X.index, name="score")
    return scores, w


def pillar_scores(
    core: pd.DataFrame,
    spec: Spec,
    *,
    weights: Literal["entropy", "equal"] | Mapping[str, pd.Series] = "entropy",
    drop: Iterable[str] = (),
    shift: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The four pillar scores (and their weights) from the prepared core indicators.

    Parameters
    ----------
    core : pandas.DataFrame
        From :func:`prepare_core` (index province_code, year).
    spec : Spec
    weights : {"entropy", "equal"} or mapping pillar → Series
        Weighting within each pillar (fixed weights per pillar if a mapping).
    drop : iterable of str
        Indicators left out (leave-one-out robustness).
    shift : float

    Returns
    -------
    scores : pandas.DataFrame
        Columns ``pillar_chain`` … ``pillar_future`` aligned with ``core.index``, each in [0, 1].
    weights : pandas.DataFrame
        ``group, indicator, weight``.

    Raises
    ------
    ValueError
        A pillar has no indicator left.
    """
    drop = set(drop)
    cols, wrows = {}, []
    for p in PILLARS:
        names = [n for n in spec.members(pillar=p) if n in core.columns and n not in drop]
        if not names:
            raise ValueError(f"pillar {p!r} has no indicator left (dropped or missing)")
        w = weights[p] if isinstance(weights, Mapping) else weights
        s, wt = composite_score(core[names], spec.directions(names), weights=w, shift=shift)
        cols[f"pillar_{p}"] = s
        wrows += [(f"pillar_{p}", k, float(v)) for k, v in wt.items()]
    return pd.DataFrame(cols, index=core.index), pd.DataFrame(wrows, columns=["group", "indicator", "weight"])


def standardise_within_year(
    scores: pd.DataFrame, method: Literal["z", "rank"] = "z"
) -> pd.DataFrame:
    """Standardise each column across provinces within each year.

    ``method="z"``: ``z_pit = (P_pit − mean_i P_pt) / sd_i P_pt`` with the sample sd (ddof = 1,
    Stata's ``egen std()``); a column constant within a year gets z = 0 that year.
    ``method="rank"``: van der Waerden normal scores ``Φ⁻¹(r_pit / (N_t + 1))`` with ``r`` the
    average rank within the year (Stata: ``egen r = rank(P), by(year)`` then
    ``invnormal(r/(N+1))``): the same standard-deviation scale, but one extreme province cannot
    compress everyone else's scores in that pillar.

    Parameters
    ----------
    scores : pandas.DataFrame
        Index (province_code, year), one column per pillar.
    method : {"z", "rank"}

    Returns
    -------
    pandas.DataFrame
        Same shape; columns renamed ``pillar_x`` → ``z_x``.
    """
    g = scores.groupby(level="year")
    if method == "z":
        mean = g.transform("mean")
        sd = g.transform(lambda s: s.std(ddof=1))
        z = (scores - mean) / sd.where(sd > 1e-12)
        z = z.where(sd > 1e-12, 0.0)
    elif method == "rank":
        from scipy.stats import norm

        r = g.rank(method="average")
        n = g.transform("count")
        z = pd.DataFrame(norm.ppf(r / (n + 1)), index=scores.index, columns=scores.columns)
    else:
        raise ValueError(f"method must be 'z' or 'rank', got {method!r}")
    return z.rename(columns=lambda c: c.replace("pillar_", "z_"))


def classify_models(z: pd.DataFrame, *, margin: float = 0.5, floor: float | None = 0.0) -> pd.Series:
    """Dominant integration model by the stated rule.

    ``model = argmax_p z_p`` if ``z_(1) − z_(2) > margin`` and ``z_(1) > floor``, else
    ``"multi"``; ``z_(1)`` and ``z_(2)`` are the largest and second-largest pillar z-scores of the
    row. The floor keeps a province that is below the national mean in every pillar from being
    typed by its least-weak pillar: ``multi`` then means "no single model stands out" (read D to
    tell a balanced strong province from a uniformly weak one).

    Parameters
    ----------
    z : pandas.DataFrame
        n_obs by 4 (columns ``z_chain`` … ``z_future``, or any names ``<prefix>_<pillar>``).
    margin : float, default 0.5
        In standard deviations. 0 gives a pure argmax (ties → multi); larger margins classify
        more province-years as multi-model.
    floor : float or None, default 0.0
        The top pillar's z must exceed it (0 = the cross-province mean of the year); ``None``
        drops the condition (a purely relative typology).

    Returns
    -------
    pandas.Series of str
        One of ``chain``, ``platform``, ``demand``, ``future``, ``multi``; aligned with ``z.index``.

    Raises
    ------
    ValueError
        Negative margin or missing values.
    """
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    v = z.to_numpy(dtype=float)
    if np.isnan(v).any():
        raise ValueError("pillar z-scores contain missing values")
    labels = np.array([c.split("_", 1)[1] for c in z.columns], dtype=object)
    order = np.sort(v, axis=1)
    lead = order[:, -1] - order[:, -2]
    ok = lead > margin + 1e-12
    if floor is not None:
        ok &= order[:, -1] > floor
    out = np.where(ok, labels[v.argmax(axis=1)], "multi")
    return pd.Series(out, index=z.index, name="model", dtype=object)


def cluster_models(
    z: pd.DataFrame,
    *,
    n_clusters: int = 5,
    method: Literal["kmeans", "ward"] = "kmeans",
    margin: float = 0.5,
    floor: float | None = 0.0,
    seed: int = 0,
) -> tuple[pd.Series, pd.DataFrame]:
    """Data-driven typology: cluster the pooled pillar z-profiles, label clusters by centroid.

    Parameters
    ----------
    z : pandas.DataFrame
        n_obs by 4 pillar z-scores (from :func:`standardise_within_year`).
    n_clusters : int, default 5
        Four models plus a mixed group.
    method : {"kmeans", "ward"}
        scikit-learn ``KMeans(n_init=20, random_state=seed)`` or ``AgglomerativeClustering``
        with Ward linkage (deterministic).
    margin, floor : float
        Centroid labelling uses :func:`classify_models` with this margin and floor.
    seed : int

    Returns
    -------
    labels : pandas.Series
        Model label of each row's cluster.
    centroids : pandas.DataFrame
        One row per cluster: the centroid's z-profile, its label and size.
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans

    v = z.to_numpy(dtype=float)
    k = min(n_clusters, len(np.unique(v.round(12), axis=0)))
    if method == "kmeans":
        cl = KMeans(n_clusters=k, n_init=20, random_state=seed).fit_predict(v)
    elif method == "ward":
        cl = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(v)
    else:
        raise ValueError(f"method must be 'kmeans' or 'ward', got {method!r}")
    cent = pd.DataFrame(v, columns=z.columns).groupby(cl).mean()
    cent["label"] = classify_models(cent[z.columns], margin=margin, floor=floor)
    cent["size"] = pd.Series(cl).value_counts().sort_index()
    cent.index.name = "cluster"
    labels = pd.Series(cent["label"].to_numpy()[cl], index=z.index, name="model_cluster", dtype=object)
    return labels, cent


def model_agreement(a: pd.Series, b: pd.Series) -> dict[str, float]:
    """Agreement of two typologies of the same rows: share agreeing and Cohen's kappa.

    Parameters
    ----------
    a, b : pandas.Series
        n labels each (``MODELS``), compared position by position.

    Returns
    -------
    dict
        ``n``; ``share_agree`` = p_o, the share of rows with equal labels; ``kappa`` =
        (p_o − p_e)/(1 − p_e) with p_e = Σ_k p_a(k)·p_b(k) from the marginal label shares
        (Cohen 1960, Educ. Psychol. Meas. 20: 37–46; computed by
        ``sklearn.metrics.cohen_kappa_score``, as Stata's ``kap a b``). When both series use
        one and the same label kappa is undefined (0/0); it is reported as 1 if all rows agree.
    """
    from sklearn.metrics import cohen_kappa_score

    a, b = a.astype(str), b.astype(str)
    share = float((a.to_numpy() == b.to_numpy()).mean())
    if len(set(a) | set(b)) < 2:
        kappa = 1.0 if share == 1.0 else 0.0
    else:
        kappa = float(cohen_kappa_score(a, b, labels=list(MODELS)))
    return {"n": int(len(a)), "share_agree": share, "kappa": kappa}


# ============================================================================ pathways


def _pct_rank(g) -> pd.Series:
    """(rank − 1)/(n − 1) within each group of ``g`` (a SeriesGroupBy), average ranks for ties;
    1 = best; a group of one gets 1. Vectorised: one ``rank`` and one ``count`` over all groups."""
    r = g.rank(method="average")
    n = g.transform("count")
    return ((r - 1) / (n - 1)).where(n > 1, 1.0)


def pathway_diagnostics(
    indicators: pd.DataFrame,
    spec: Spec,
    regions: pd.Series,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Percentiles, gaps to the frontier and the regional leader, pathway scores, weakest two.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Index (province_code, year), one column per indicator (NaN allowed: not observed).
    spec : Spec
    regions : pandas.Series
        province_code → region (NBS four regions).

    Returns
    -------
    long : pandas.DataFrame
        One row per province-year-indicator observed: ``value``, ``pct_national``,
        ``pct_region`` (percentiles, 1 = best, direction-aware), ``frontier`` (best value that
        year), ``frontier_province``, ``gap_frontier`` (how far behind, in the indicator's unit,
        ≥ 0), ``gap_frontier_rel`` (gap / |frontier|; NaN when the frontier is 0), ``region_leader``,
        ``region_leader_value``, ``gap_region``, ``gap_region_rel``, ``pathway``.
    wide : pandas.DataFrame
        Index (province_code, year): ``pathway_<name>`` (mean national percentile of the
        pathway's observed indicators, in [0, 1]) and ``weakest_pathways`` (the two lowest,
        ``;``-separated, lowest first; ties broken in the specification's pathway order).

    Raises
    ------
    ValueError
        A province has no region.
    """
    names = [n for n in spec.names if n in indicators.columns]
    long = indicators[names].stack().dropna().rename("value").reset_index()
    long.columns = ["province_code", "year", "indicator", "value"]
    reg = long["province_code"].map(regions)
    if reg.isna().any():
        raise ValueError(f"no region for province(s) {sorted(long.loc[reg.isna(), 'province_code'].unique())}")
    long["region"] = reg
    sign = long["indicator"].map({n: spec[n].sign for n in names})
    long["signed"] = long["value"] * sign
    g_nat = long.groupby(["year", "indicator"])["signed"]
    g_reg = long.groupby(["year", "indicator", "region"])["signed"]
    long["pct_national"] = _pct_rank(g_nat)
    long["pct_region"] = _pct_rank(g_reg)
    best_nat = g_nat.transform("max")
    best_reg = g_reg.transform("max")
    long["frontier"] = best_nat * sign
    long["gap_frontier"] = best_nat - long["signed"]
    long["region_leader_value"] = best_reg * sign
    long["gap_region"] = best_reg - long["signed"]
    with np.errstate(divide="ignore", invalid="ignore"):
        # relative to a leader at 0 (e.g. a negative indicator whose best value is 0): undefined
        long["gap_frontier_rel"] = (long["gap_frontier"] / long["frontier"].abs()).replace(
            [np.inf, -np.inf], np.nan)
        long["gap_region_rel"] = (long["gap_region"] / long["region_leader_value"].abs()).replace(
            [np.inf, -np.inf], np.nan)
    idx_nat = long.groupby(["year", "indicator"])["signed"].idxmax()
    front = long.loc[idx_nat, ["year", "indicator", "province_code"]].rename(
        columns={"province_code": "frontier_province"})
    idx_reg = long.groupby(["year", "indicator", "region"])["signed"].idxmax()
    lead = long.loc[idx_reg, ["year", "indicator", "region", "province_code"]].rename(
        columns={"province_code": "region_leader"})
    long = long.merge(front, on=["year", "indicator"], how="left").merge(
        lead, on=["year", "indicator", "region"], how="left")
    long["pathway"] = long["indicator"].map({n: spec[n].pathway for n in names})
    long = long.drop(columns="signed").sort_values(["province_code", "year", "indicator"])
    long = long.reset_index(drop=True)

    wide = (long.groupby(["province_code", "year", "pathway"])["pct_national"].mean()
            .unstack("pathway").reindex(columns=list(PATHWAYS)))
    wide.columns = [f"pathway_{c}" for c in wide.columns]
    vals = wide.to_numpy()

    def weakest(row: np.ndarray) -> str:
        ok = np.flatnonzero(~np.isnan(row))
        order = ok[np.argsort(row[ok], kind="stable")]
        return ";".join(PATHWAYS[i] for i in order[:2])

    wide["weakest_pathways"] = [weakest(r) for r in vals]
    return long, wide


def obstacles(
    core: pd.DataFrame,
    spec: Spec,
    weights: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Obstacle degree (障碍度) of every core indicator, subsystem, pillar and pathway.

    The composite is the comprehensive index ``T = ½U_st + ½U_ind``, so indicator j's factor
    contribution is ``F_j = ½·w_j`` (its baseline entropy weight in its subsystem) and its
    deviation ``1 − x'_ij`` with ``x'`` the panel min-max normalised value (1 = best
    province-year of the window); ``O_ij = F_j(1 − x'_ij) / Σ_k F_k(1 − x'_ik)``
    (:func:`analysis.measures.obstacle_degree`). Group obstacles sum their indicators' shares:
    ``obstacle_st + obstacle_ind = 1``; the pathways also sum to 1 (pathway-only indicators carry
    no weight in T and have no obstacle); the pillars sum to at most 1 (indicators outside every
    pillar hold the rest). ``distance_ideal = Σ_j F_j(1 − x'_ij) = 1 − T``.

    An obstacle is a *relative position*: the share of the province's distance to the best
    observed values that lies in an indicator, in the composite's own (entropy) weighting. It is
    not a return on effort: it says nothing about what raising an indicator would cost or
    achieve.

    Parameters
    ----------
    core : pandas.DataFrame
        Prepared core indicators (index province_code, year).
    spec : Spec
    weights : pandas.DataFrame
        ``group, indicator, weight`` with the subsystem weights (groups ``U_st``, ``U_ind``).

    Returns
    -------
    groups : pandas.DataFrame
        Index (province_code, year): ``obstacle_st``, ``obstacle_ind``, ``obstacle_<pillar>``,
        ``obstacle_<pathway>``, ``distance_ideal``, ``obstacle_intensity_<pathway>`` (the
        pathway's obstacle divided by its share of the factor contributions: its weighted mean
        deviation relative to the province's overall one; > 1 = further from the frontier than
        on average), ``obstacle_pathways`` (the two pathways with the largest intensity,
        ``;``-separated, ties in the specification's order; ``""`` at the ideal).
    indicators : pandas.DataFrame
        Long: ``province_code, year, indicator, obstacle``.
    """
    from analysis.measures import minmax_normalise, obstacle_degree

    core = core[[c for c in core.columns if spec[c].subsystem != "none"]]  # the indicators of T
    sub = weights[weights["group"].isin(["U_st", "U_ind"])]
    F = pd.Series(0.0, index=core.columns)
    F[sub["indicator"].to_numpy()] = 0.5 * sub["weight"].to_numpy()
    dirs = {c: ("+" if spec[c].sign > 0 else "-") for c in core.columns}
    norm = minmax_normalise(core, dirs, on_constant="zero")
    groups = {"obstacle_st": [c for c in core.columns if spec[c].subsystem == "st"],
              "obstacle_ind": [c for c in core.columns if spec[c].subsystem == "ind"]}
    groups |= {f"obstacle_{p}": [c for c in core.columns if spec[c].pillar == p] for p in PILLARS}
    groups |= {f"obstacle_{p}": [c for c in core.columns if spec[c].pathway == p] for p in PATHWAYS}
    res = obstacle_degree(norm, F, groups)
    out = res.groups.copy()
    out["distance_ideal"] = res.distance
    pw = out[[f"obstacle_{p}" for p in PATHWAYS]].to_numpy()

    def top2(row: np.ndarray) -> str:
        if row.sum() <= 0:
            return ""
        order = np.argsort(-row, kind="stable")
        return ";".join(PATHWAYS[i] for i in order[:2] if row[i] > 0)

    # rank pathways by obstacle per unit of factor contribution (the weighted mean deviation of
    # the pathway's indicators over the overall one): the raw shares grow with the number and
    # weight of a pathway's indicators, so they would name the same pathways for every province
    share_F = np.array([F[groups[f"obstacle_{p}"]].sum() for p in PATHWAYS]) / F.sum()
    intensity = np.where(share_F > 0, pw / np.where(share_F > 0, share_F, 1.0), 0.0)
    for j, p in enumerate(PATHWAYS):
        out[f"obstacle_intensity_{p}"] = intensity[:, j]
    out["obstacle_pathways"] = [top2(r) for r in intensity]
    long = res.indicators.stack().rename("obstacle").reset_index()
    long.columns = ["province_code", "year", "indicator", "obstacle"]
    return out, long


# ============================================================================ robustness


def _changed_rows(a: pd.Series, b: pd.Series, kind: str, name: str) -> list[tuple]:
    """Rows of the robustness table comparing two labellings of the same province-years."""
    b = b.reindex(a.index)
    changed = a != b
    rows = []
    for y, g in [*changed.groupby(level="year"), (0, changed)]:
        codes = sorted({int(c) for c, _ in g[g].index})
        rows.append((kind, name, int(y), int(g.size), int(g.sum()), float(1 - g.mean()),
                     ";".join(map(str, codes))))
    return rows


ROBUSTNESS_COLUMNS = ["kind", "perturbation", "year", "n", "n_changed", "share_unchanged", "changed"]


def robustness(
    core: pd.DataFrame,
    spec: Spec,
    sens,
    *,
    province: int = 110000,
    margin: float = 0.5,
    floor: float | None = 0.0,
    shift: float = 0.0,
    weighting: Literal["entropy", "equal"] = "equal",
    sensitivity_options: Mapping | None = None,
    fills: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How far the typology moves when one extreme province is left out, under its rules, and
    under the opposite assumption for the cells filled with the worst value of the year.

    Rows (``kind``):

    * ``leave out province``: the primary ``model`` of every *other* province recomputed
      without ``province`` (default Beijing, the outlier of most indicators), by the full
      sensitivity analysis with the same seed and options; and, for comparison, the
      single-specification rule of :func:`classify_models` (entropy weights, ``margin``,
      ``floor``) under the rank-based standardisation and under the mean/sd z-scores of
      version 1 of the framework;
    * ``rule``: the primary model under the other decision rules (no temporal rule; majority
      1/2 and 3/4 instead of 2/3), against the default;
    * ``fill``: the primary model of every province (the filled ones included) when the cells
      filled with the *worst* value of the year (a province never observed for an indicator)
      get the year's *median* over the observed provinces instead, by the full sensitivity
      analysis with the same seed: the worst value is a strong assumption (the province is last),
      the median its opposite (an average province).

    Parameters
    ----------
    core : pandas.DataFrame
        Prepared core indicators (all provinces).
    spec : Spec
    sens : SensitivityResult
        The baseline :func:`analysis.framework.sensitivity.sensitivity_analysis` result.
    province : int, default 110000
    margin, floor, shift, weighting
        Of the single-specification rule (baseline pillar weighting within each pillar).
    sensitivity_options : mapping, optional
        The options the baseline analysis was run with (``n_draws``, ``seed`` …).
    fills : pandas.DataFrame, optional
        The fills of :func:`prepare_core` (``province_code, year, indicator, method``); without
        ``worst value of the year`` rows there is no ``fill`` row.

    Returns
    -------
    pandas.DataFrame
        ``kind, perturbation, year, n, n_changed, share_unchanged, changed`` (codes of the
        provinces whose label changed, ``;``-separated); one row per year and ``year = 0`` for
        all province-years.
    """
    from analysis.framework.sensitivity import leave_out_province_effect, temporal_model

    opts = dict(sensitivity_options or {})
    name = province
    try:
        from analysis.data.provinces import PROVINCES

        name = PROVINCES.set_index("province_code").at[province, "name_en"]
    except KeyError:
        pass
    rows = []
    eff = leave_out_province_effect(core, spec, sens.table, province, **opts)
    rows += [("leave out province", f"leave out {name} ({province}): primary model",
              *r) for r in eff.itertuples(index=False)]
    others = core.index.get_level_values("province_code") != province
    for std, label in (("rank", "single specification, rank-based standardisation"),
                       ("z", "single specification, mean/sd z-scores (version 1)")):
        full, _ = pillar_scores(core, spec, shift=shift, weights=weighting)
        part, _ = pillar_scores(core[others], spec, shift=shift, weights=weighting)
        a = classify_models(standardise_within_year(full, std), margin=margin, floor=floor)
        b = classify_models(standardise_within_year(part, std), margin=margin, floor=floor)
        rows += _changed_rows(a[others], b, "leave out province",
                              f"leave out {name} ({province}): {label}")
    base = sens.table.set_index(KEYS)["model"]
    majority = sens.params.get("majority", 2 / 3)
    years = sens.params.get("smooth_years", 3)
    rows += _changed_rows(base, sens.table.set_index(KEYS)["model_year"], "rule",
                          "no temporal rule (single-year model)")
    for maj in (0.5, 0.75):
        if abs(maj - majority) > 1e-12:
            alt = temporal_model(sens.shares_year, years=years, majority=maj)["model"]
            rows += _changed_rows(base, alt, "rule", f"majority {maj:g} instead of {majority:.3g}")
    worst = (fills[fills["method"] == "worst value of the year"]
             if fills is not None and len(fills) else pd.DataFrame())
    if len(worst):
        from analysis.framework.sensitivity import sensitivity_analysis

        alt = core.copy()
        for ind, g in worst.groupby("indicator"):
            if ind not in alt.columns:
                continue
            f_ind = fills[fills["indicator"] == ind]
            observed = alt[ind].drop(index=pd.MultiIndex.from_frame(f_ind[["province_code", "year"]]),
                                     errors="ignore")
            med = observed.groupby(level="year").median()
            for r in g.itertuples():
                alt.at[(r.province_code, r.year), ind] = med[r.year]
        res = sensitivity_analysis(alt, spec, **opts)
        what = ", ".join(f"{i} {n} cells" for i, n in worst.groupby("indicator").size().items())
        rows += _changed_rows(base, res.table.set_index(KEYS)["model"], "fill",
                              f"worst-value fills ({what}) at the year's median instead")
    return pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)


# ============================================================================ the whole framework


@dataclass
class IntegrationResult:
    """Everything the framework computes.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per province-year of the window (the integration.parquet contract columns and
        more: ``z_*`` rank-based pillar standard scores and their intervals, the model, its
        confidence and lead shares, rank intervals, ``n_filled``, ``filled``).
    indicators : pandas.DataFrame
        Raw indicator values, all years (index province_code, year).
    diagnostics : pandas.DataFrame
        Long pathway diagnostics (see :func:`pathway_diagnostics`), all years.
    weights : pandas.DataFrame
        ``group, indicator, weight`` for the subsystems and pillars (baseline entropy weights),
        with ``largest_share`` (the group's largest weight) and ``is_largest``.
    centroids : pandas.DataFrame
        Cluster centroids of the data-driven typology.
    agreement : pandas.DataFrame
        Primary model vs clusters by year (``year = 0``: pooled): ``n, share_agree, kappa``.
    robustness : pandas.DataFrame
        See :func:`robustness`.
    sensitivity : SensitivityResult or None
        The global uncertainty analysis (:mod:`analysis.framework.sensitivity`).
    dynamics : DynamicsResult or None
        Spatial Markov chain of the D classes and model transitions
        (:mod:`analysis.framework.dynamics`); None without spatial weights.
    validity : pandas.DataFrame or None
        Rank correlations with published rankings (:mod:`analysis.framework.validity`); None
        without rankings.
    typology_diagnosis : pandas.DataFrame or None
        Why provinces lack a clear model
        (:func:`analysis.framework.sensitivity.typology_diagnosis`); None without robustness.
    fills, coverage : pandas.DataFrame
        Filled cells and indicator coverage by year.
    window : list of int
    notes : list of str
    params : dict
    """

    table: pd.DataFrame
    indicators: pd.DataFrame
    diagnostics: pd.DataFrame
    weights: pd.DataFrame
    centroids: pd.DataFrame
    agreement: pd.DataFrame
    robustness: pd.DataFrame
    fills: pd.DataFrame
    coverage: pd.DataFrame
    window: list[int]
    notes: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    sensitivity: object = None
    dynamics: object = None
    validity: pd.DataFrame | None = None
    typology_diagnosis: pd.DataFrame | None = None


def integrate(
    panel: pd.DataFrame,
    spec: Spec | None = None,
    *,
    regions: pd.Series | None = None,
    margin: float = 0.5,
    floor: float | None = 0.0,
    standardise: Literal["z", "rank"] = "rank",
    min_coverage: float = 0.9,
    years: Iterable[int] | None = None,
    bridge: bool = True,
    n_clusters: int = 5,
    cluster_method: Literal["kmeans", "ward"] = "kmeans",
    lag_tolerance: float = 0.1,
    shift: float = 0.0,
    seed: int = 0,
    n_draws: int = 1024,
    majority: float = 2 / 3,
    smooth_years: int = 3,
    triggers: Mapping | None = None,
    composite_weighting: Literal["equal", "entropy"] = "equal",
    with_robustness: bool = True,
    weights_w=None,
    rankings: pd.DataFrame | None = None,
) -> IntegrationResult:
    """Compute the whole framework on a province-year panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        Province-year panel (docs/CONTRACTS.md columns; chain-linkage columns merged in).
    spec : Spec, optional
        Default: the package's ``spec.yaml``.
    regions : pandas.Series, optional
        province_code → region; default ``analysis.data.provinces.PROVINCES["region"]``.
    margin, floor : float
        Rule of :func:`classify_models`, used to label the clusters' centroids (and in the
        robustness comparison with version 1).
    standardise : {"rank", "z"}, default "rank"
        Within-year standardisation of the baseline pillar scores in the ``z_*`` columns and the
        clusters (see :func:`standardise_within_year`). Rank-based by default, so that one
        extreme province (Beijing) cannot move the other provinces' scores; the typology itself
        always uses the rank-based scores.
    min_coverage : float, default 0.9
        Window rule (see :func:`prepare_core`).
    years : iterable of int, optional
        Restrict the entropy window.
    bridge : bool, default True
        Bridge single years below the coverage rule (see :func:`prepare_core`).
    n_clusters, cluster_method
        Data-driven typology (see :func:`cluster_models`).
    lag_tolerance : float, default 0.1
        ``|U_st − U_ind| ≤ tolerance`` → ``balanced`` (else the lower subsystem lags).
    shift : float, default 0
        Entropy shift constant.
    seed : int, default 0
        Seed of the k-means clustering and of the Sobol' design of the sensitivity analysis.
    n_draws, majority, smooth_years : int, float, int
        Sensitivity analysis and typology rules (see
        :func:`analysis.framework.sensitivity.sensitivity_analysis`: 1024 draws, majority 2/3,
        trailing 3-year rule).
    triggers : mapping, optional
        Restrict the triggers' options (``weighting``, ``normalisation``, ``windows``,
        ``leave_one_out``), e.g. for a quick run.
    composite_weighting : {"equal", "entropy"}, default "equal"
        Weighting of the indicators within each pillar and within the linkage index in the
        baseline scores (``pillar_*``, ``linkage``). Equal by default: the pillars and the linkage
        index are conceptual constructs with no data-based claim to importance (OECD/JRC
        Handbook 2008, §6), and entropy weights follow dispersion, so a single extreme cell
        decides them (Shaanxi 2020's domestic technology purchase of 1.4 times its R&D gave the
        indicator 0.58 of the demand pillar). The subsystem scores U_st and U_ind keep the
        panel entropy method the literature expects; the uncertainty analysis draws all four
        weightings for every composite.
    with_robustness : bool
        Compute :func:`robustness` (leaves Beijing out and reruns the sensitivity analysis).
    weights_w : libpysal.weights.W, optional
        Spatial weights over the provinces: with them the spatial Markov chain of the D classes
        and the model transitions are computed (:func:`analysis.framework.dynamics.coordination_dynamics`).
    rankings : pandas.DataFrame, optional
        Published rankings (:func:`analysis.framework.validity.load_rankings`): with them the
        rank correlations of D, T, U_st and U_ind are computed.

    Returns
    -------
    IntegrationResult

    Raises
    ------
    ValueError, KeyError
        From the steps (no window, missing keys, …), each naming what is wrong.
    """
    from analysis.framework.sensitivity import sensitivity_analysis
    from analysis.measures.coupling import classify_coordination, relative_development_type

    spec = spec or load_spec()
    if regions is None:
        from analysis.data.provinces import PROVINCES

        regions = PROVINCES.set_index("province_code")["region"]
    indicators, notes = compute_indicators(panel, spec)
    core, fills, window, coverage, n2 = prepare_core(indicators, spec, min_coverage=min_coverage,
                                                      years=years, bridge=bridge)
    notes += n2
    wrows = []
    U = {}
    for s in ("st", "ind"):
        names = [n for n in spec.members(subsystem=s) if n in core.columns]
        if not names:
            raise ValueError(f"subsystem {s!r} has no indicator with data")
        sc, w = composite_score(core[names], spec.directions(names), shift=shift)
        U[f"U_{s}"] = sc
        wrows += [(f"U_{s}", k, float(v)) for k, v in w.items()]
    table = pd.DataFrame(U, index=core.index)
    cc = coupling_coordination(table[["U_st", "U_ind"]])
    table[["C", "T", "D"]] = cc[["C", "T", "D"]]
    table["D_level"] = classify_coordination(table["D"], lang="level").astype("int64")
    table["D_class"] = classify_coordination(table["D"], lang="en").astype(str)
    table["D_class_zh"] = classify_coordination(table["D"], lang="zh").astype(str)
    table["D_rank"] = table.groupby(level="year")["D"].rank(ascending=False, method="min").astype("int64")
    link_names = [n for n in spec.members(linkage=True) if n in core.columns]
    if link_names:  # the linkage index: flows between the science system and industry
        sc, w = composite_score(core[link_names], spec.directions(link_names), shift=shift,
                                weights=composite_weighting)
        table["linkage"] = sc
        table["linkage_rank"] = table.groupby(level="year")["linkage"].rank(
            ascending=False, method="min").astype("int64")
        wrows += [("linkage", k, float(v)) for k, v in w.items()]
    table["lagging"] = relative_development_type(
        table[["U_st", "U_ind"]].rename(columns={"U_st": "st", "U_ind": "ind"}),
        tolerance=lag_tolerance, balanced="balanced").astype(str)

    pil, pw = pillar_scores(core, spec, shift=shift, weights=composite_weighting)
    _, pw_ent = pillar_scores(core, spec, shift=shift, weights="entropy")
    top = pw_ent.loc[pw_ent.groupby("group")["weight"].idxmax()]
    entropy_pillar_max = {r.group: (r.indicator, float(r.weight)) for r in top.itertuples()}
    weights = pd.concat([pd.DataFrame(wrows, columns=["group", "indicator", "weight"]), pw],
                        ignore_index=True)
    weights["largest_share"] = weights.groupby("group")["weight"].transform("max")
    weights["is_largest"] = weights["weight"] == weights["largest_share"]
    z = standardise_within_year(pil, standardise)
    table = table.join(pil).join(z)

    sens_opts = dict(n_draws=n_draws, seed=seed, majority=majority, smooth_years=smooth_years,
                     extra={"linkage": link_names} if link_names else None)
    sens_opts |= dict(triggers or {})
    sens = sensitivity_analysis(core, spec, **sens_opts)
    notes += sens.notes
    st = sens.table.set_index(KEYS)
    table = table.join(st)
    table["model_stability"] = table["model_confidence"]
    table["model_cluster"], centroids = cluster_models(
        z, n_clusters=n_clusters, method=cluster_method, margin=margin, floor=floor, seed=seed)
    agree = [dict(year=int(y), **model_agreement(g["model"], g["model_cluster"]))
             for y, g in table.groupby(level="year")]
    agree.append(dict(year=0, **model_agreement(table["model"], table["model_cluster"])))
    agreement = pd.DataFrame(agree)

    diag, wide = pathway_diagnostics(indicators, spec, regions)
    table = table.join(wide, how="left")
    obs_groups, obs_ind = obstacles(core, spec, weights)
    table = table.join(obs_groups)
    diag = diag.merge(obs_ind, on=["province_code", "year", "indicator"], how="left")
    if len(fills):
        nf = fills.groupby(["province_code", "year"])["indicator"].agg(["size", lambda s: ";".join(s)])
        nf.columns = ["n_filled", "filled"]
        table = table.join(nf, how="left")
        table["n_filled"] = table["n_filled"].fillna(0).astype("int64")
        table["filled"] = table["filled"].fillna("")
    else:
        table["n_filled"] = 0
        table["filled"] = ""
    why, why_text = None, []
    if with_robustness:
        from analysis.framework.sensitivity import typology_diagnosis

        rob = robustness(core, spec, sens, margin=margin, floor=floor, shift=shift,
                         weighting=composite_weighting, sensitivity_options=sens_opts,
                         fills=fills)
        why, why_text = typology_diagnosis(core, spec, sens)
    else:
        rob = pd.DataFrame(columns=ROBUSTNESS_COLUMNS)
    table = table.reset_index()
    table.insert(2, "region", table["province_code"].map(regions))
    dynamics = validity = None
    if weights_w is not None:
        from analysis.framework.dynamics import coordination_dynamics

        dynamics = coordination_dynamics(table, weights_w)
        notes += [f"spatial Markov chain: {n}" for n in dynamics.notes]
    if rankings is not None:
        from analysis.framework.validity import external_validity

        validity = external_validity(
            table, rankings, measures=[m for m in ("D", "linkage", "T", "U_st", "U_ind") if m in table])
    params = dict(spec_version=spec.version, margin=margin, floor=floor, standardise=standardise,
                  composite_weighting=composite_weighting, entropy_pillar_max=entropy_pillar_max,
                  min_coverage=min_coverage, bridge=bridge,
                  n_clusters=n_clusters, cluster_method=cluster_method, lag_tolerance=lag_tolerance,
                  shift=shift, seed=seed, sensitivity=sens.params, typology_diagnosis=why_text)
    return IntegrationResult(table=table, indicators=indicators, diagnostics=diag, weights=weights,
                             centroids=centroids, agreement=agreement, robustness=rob, fills=fills,
                             coverage=coverage, window=window, notes=notes, params=params,
                             sensitivity=sens, dynamics=dynamics, validity=validity,
                             typology_diagnosis=why)


# ============================================================================ outputs


def typology_table(result: IntegrationResult, year: int) -> pd.DataFrame:
    """All provinces' dominant model, D class and two weakest pathways in ``year``.

    Parameters
    ----------
    result : IntegrationResult
        From :func:`integrate`.
    year : int
        A year of ``result.window``.

    Returns
    -------
    pandas.DataFrame
        One row per province (GB/T 2260 order): code, names, region, model,
        model_confidence, model_year (the single-year model), model_cluster, D, D_rank with its
        interval D_rank_lo–D_rank_hi, D_class (en/zh), lagging, U_st, U_ind, weakest pathways
        (percentiles), obstacle_pathways (obstacle degree), n_filled.

    Raises
    ------
    ValueError
        ``year`` is not in the entropy window.
    """
    from analysis.data.provinces import PROVINCES

    t = result.table[result.table["year"] == year].copy()
    if t.empty:
        raise ValueError(f"year {year} is not in the entropy window {_spans(result.window)}")
    meta = PROVINCES.set_index("province_code")[["name_zh", "name_en"]]
    t = t.join(meta, on="province_code")
    link = ["linkage", "linkage_rank", "linkage_rank_lo", "linkage_rank_hi"] if "linkage" in t.columns else []
    cols = ["province_code", "name_zh", "name_en", "region", "model", "model_confidence",
            "model_profile", "model_year", "model_cluster", "D", "D_rank", "D_rank_lo", "D_rank_hi", *link,
            "D_class", "D_class_zh", "lagging", "U_st", "U_ind", "weakest_pathways",
            "obstacle_pathways", "n_filled"]
    return t[cols].sort_values("province_code").reset_index(drop=True)


_OUTPUT_COLUMNS = [
    ("region", "区域", "NBS region", "east|central|west|northeast", "analysis.data.provinces"),
    ("U_st", "科技创新子系统得分", "S&T innovation subsystem score (panel entropy method)", "[0, 1]", "entropy"),
    ("U_ind", "产业创新子系统得分", "Industrial innovation subsystem score (panel entropy method)", "[0, 1]", "entropy"),
    ("C", "耦合度", "Coupling degree C = 2√(U_st·U_ind)/(U_st+U_ind)", "[0, 1]", "coupling"),
    ("T", "综合发展指数", "Comprehensive index T = 0.5·U_st + 0.5·U_ind", "[0, 1]", "coupling"),
    ("D", "耦合协调度", "Coupling coordination degree D = √(C·T)", "[0, 1]", "coupling"),
    ("D_level", "耦合协调等级", "Ten-level class of D (1 = [0, 0.1) … 10 = [0.9, 1])", "1–10", "coupling"),
    ("D_class", "耦合协调类型(英)", "Class of D, English label", "label", "coupling"),
    ("D_class_zh", "耦合协调类型", "Class of D, Chinese label", "label", "coupling"),
    ("lagging", "滞后子系统", "Lagging subsystem: st, ind or balanced (|U_st − U_ind| ≤ tolerance)", "label", "coupling"),
    ("pillar_chain", "产业链式融合指数", "Chain-based pillar score (entropy within pillar)", "[0, 1]", "entropy"),
    ("pillar_platform", "平台型融合指数", "Platform-based pillar score", "[0, 1]", "entropy"),
    ("pillar_demand", "需求驱动型融合指数", "Demand-driven pillar score", "[0, 1]", "entropy"),
    ("pillar_future", "未来产业型融合指数", "Future-industries pillar score", "[0, 1]", "entropy"),
    ("linkage", "科技-产业联系指数", "Linkage index: panel entropy composite of the flows between the science system and industry (spec indicators with linkage: true); not part of U_st, U_ind or D", "[0, 1]", "entropy"),
    ("linkage_rank", "联系指数排名", "Rank of linkage among provinces that year (1 = highest)", "rank", "entropy"),
    ("linkage_rank_lo", "联系指数排名区间下限", "5th percentile of the linkage rank over the sensitivity draws", "rank", "sensitivity"),
    ("linkage_rank_median", "联系指数排名中位数", "Median linkage rank over the sensitivity draws", "rank", "sensitivity"),
    ("linkage_rank_hi", "联系指数排名区间上限", "95th percentile of the linkage rank over the sensitivity draws", "rank", "sensitivity"),
    ("D_rank", "耦合协调度排名", "Rank of D among provinces that year (1 = highest; ties share the best rank)", "rank", "coupling"),
    ("D_rank_lo", "耦合协调度排名区间下限", "5th percentile of the D rank over the sensitivity draws (best end)", "rank", "sensitivity"),
    ("D_rank_median", "耦合协调度排名中位数", "Median D rank over the sensitivity draws", "rank", "sensitivity"),
    ("D_rank_hi", "耦合协调度排名区间上限", "95th percentile of the D rank over the sensitivity draws (worst end)", "rank", "sensitivity"),
    ("z_chain", "产业链式融合标准分", "Chain pillar: rank-based standard score Φ⁻¹(r/(N+1)) within year", "sd", "typology"),
    ("z_platform", "平台型融合标准分", "Platform pillar: rank-based standard score within year", "sd", "typology"),
    ("z_demand", "需求驱动型融合标准分", "Demand pillar: rank-based standard score within year", "sd", "typology"),
    ("z_future", "未来产业型融合标准分", "Future pillar: rank-based standard score within year", "sd", "typology"),
    *[(f"z_{p}_{b}", f"{zh}标准分区间{'下限' if b == 'lo' else '上限'}",
       f"{p.capitalize()} pillar standard score: {'5th' if b == 'lo' else '95th'} percentile over the sensitivity draws",
       "sd", "sensitivity")
      for p, zh in (("chain", "产业链式融合"), ("platform", "平台型融合"), ("demand", "需求驱动型融合"),
                    ("future", "未来产业型融合")) for b in ("lo", "hi")],
    *[(f"share_{p}", f"{zh}领先概率",
       f"Share of sensitivity draws (pooled over the 3-year rule) in which the {p} pillar leads", "[0, 1]",
       "sensitivity")
      for p, zh in (("chain", "产业链式融合"), ("platform", "平台型融合"), ("demand", "需求驱动型融合"),
                    ("future", "未来产业型融合"))],
    ("model", "主导融合模式", "Primary model: the pillar leading in the largest share of sensitivity draws, pooled over a trailing 3-year window; multi below a 2/3 majority", "label", "sensitivity"),
    ("model_confidence", "主导模式置信度", "Share of draws (3-year pooled) in which the primary model's pillar leads", "[0, 1]", "sensitivity"),
    ("model_profile", "融合模式组合", "Pillars leading in at least 1/4 of the draws (chance level with four pillars), by share, '+'-joined: e.g. chain+demand for a multi province", "labels", "sensitivity"),
    ("model_year", "当年主导融合模式", "Primary model from that year's draws alone (no temporal rule)", "label", "sensitivity"),
    ("model_year_confidence", "当年主导模式置信度", "Share of that year's draws in which model_year's pillar leads", "[0, 1]", "sensitivity"),
    ("model_stability", "主导模式稳健性", "Same as model_confidence (kept for the reports of version 1)", "[0, 1]", "sensitivity"),
    ("model_cluster", "聚类融合模式", "Model of the province-year's cluster (k-means on rank-based z-profiles)", "label", "typology"),
    ("obstacle_st", "科技创新子系统障碍度", "Obstacle degree of the S&T subsystem: share of the distance to the ideal (best values of the window) lying in its indicators; a relative position, not a return on effort", "[0, 1]", "obstacle"),
    ("obstacle_ind", "产业创新子系统障碍度", "Obstacle degree of the industrial-innovation subsystem (obstacle_st + obstacle_ind = 1)", "[0, 1]", "obstacle"),
    *[(f"obstacle_{p}", f"{zh}障碍度", f"Obstacle degree of the {p} pillar's indicators (pillars sum to at most 1)", "[0, 1]", "obstacle")
      for p, zh in (("chain", "产业链式融合"), ("platform", "平台型融合"), ("demand", "需求驱动型融合"),
                    ("future", "未来产业型融合"))],
    *[(f"obstacle_{p}", f"{zh}路径障碍度", f"Obstacle degree of the {p} pathway's core indicators (pathways sum to 1); a relative position, not a return on effort", "[0, 1]", "obstacle")
      for p, zh in (("enterprise", "企业主体"), ("core_tech", "关键核心技术"), ("pilot_platform", "中试平台"),
                    ("scenario_cluster", "场景与集群"), ("institution_finance", "体制与金融"))],
    ("distance_ideal", "与理想值的距离", "Weighted distance to the ideal Σ F_j(1 − x'_j) = 1 − T", "[0, 1]", "obstacle"),
    *[(f"obstacle_intensity_{p}", f"{zh}路径障碍强度", f"Obstacle of the {p} pathway per unit of its weight in T (> 1: further from the best provinces than the province is on average)", "ratio", "obstacle")
      for p, zh in (("enterprise", "企业主体"), ("core_tech", "关键核心技术"), ("pilot_platform", "中试平台"),
                    ("scenario_cluster", "场景与集群"), ("institution_finance", "体制与金融"))],
    ("obstacle_pathways", "障碍强度最大的两条路径", "The two pathways with the largest obstacle intensity (';'-separated): where the province is, weight for weight, furthest from the best provinces; a relative position, not where effort pays most", "labels", "obstacle"),
    ("weakest_pathways", "最薄弱的两条路径", "Two weakest pathways (lowest pathway scores), ';'-separated", "labels", "pathways"),
    ("n_filled", "填补指标数", "Core indicator cells filled by the missing-value rule", "count", "missing rule"),
    ("filled", "填补的指标", "Names of the filled core indicators, ';'-separated", "names", "missing rule"),
]


def codebook(spec: Spec) -> pd.DataFrame:
    """Codebook rows for integration.parquet and the indicators, generated from the spec.

    Columns follow :class:`analysis.data.codebook.Variable` (name, label_zh, label_en, unit,
    source, table, transformation) plus role, subsystem, pillar, pathway, direction, reference.
    """
    rows = [dict(name="province_code", label_zh="省份代码", label_en="Province code (GB/T 2260)",
                 unit="code", source="panel.parquet", table="integration.parquet",
                 transformation="key", role="key"),
            dict(name="year", label_zh="年份", label_en="Year", unit="year",
                 source="panel.parquet", table="integration.parquet", transformation="key", role="key")]
    for name, zh, en, unit, how in _OUTPUT_COLUMNS:
        rows.append(dict(name=name, label_zh=zh, label_en=en, unit=unit, source="panel.parquet",
                         table="integration.parquet", transformation=how, role="output"))
    for p in PATHWAYS:
        lab = spec.pathways[p]
        rows.append(dict(name=f"pathway_{p}", label_zh=f"路径得分: {lab['label_zh']}",
                         label_en=f"Pathway score: {lab['label_en']} (mean national percentile)",
                         unit="[0, 1]", source="panel.parquet", table="integration.parquet",
                         transformation="pathway diagnostics", role="output", pathway=p))
    for i in spec.indicators:
        rows.append(dict(name=i.name, label_zh=i.label_zh, label_en=i.label_en, unit=i.unit,
                         source="panel.parquet", table="integration_diagnostics.parquet",
                         transformation=i.formula, role="indicator", subsystem=i.subsystem,
                         pillar=i.pillar, pathway=i.pathway, direction=i.direction,
                         reference="; ".join(spec.references[r] for r in i.reference)))
    cols = ["name", "label_zh", "label_en", "unit", "source", "table", "transformation", "role",
            "subsystem", "pillar", "pathway", "direction", "reference"]
    return pd.DataFrame(rows).reindex(columns=cols).fillna("")


def _markdown(df: pd.DataFrame) -> str:
    try:
        return df.to_markdown(index=False)
    except ImportError:  # pragma: no cover - tabulate is a dependency
        return df.to_string(index=False)


def uncertainty_summary(result: IntegrationResult, year: int) -> list[str]:
    """Plain-language lines on the typology's uncertainty in ``year`` (for notes.md and the
    typology report): confidence, ``multi`` share, churn, rank intervals, sensitivity indices,
    the leave-Beijing-out check."""
    sens = result.sensitivity
    t = result.table[result.table["year"] == year]
    if sens is None or t.empty:
        return []
    p = sens.params
    n = len(t)
    conf = (t["model_confidence"] >= 0.8).sum()
    multi = (t["model"] == "multi").sum()
    sw = sens.churn["switches"]
    width = (t["D_rank_hi"] - t["D_rank_lo"])
    lines = [
        f"Uncertainty analysis (OECD/JRC Handbook 2008; Saisana, Saltelli & Tarantola 2005): "
        f"{p['n_draws']} Sobol' draws (seed {p['seed']}) over weighting {p['weighting']}, "
        f"normalisation {p['normalisation']}, one indicator left out or none "
        f"({len(p['droppable'])} candidates), reference window {p['windows']}. A pillar leads "
        "when its rank-based standard score is the province's highest; the primary model is the "
        f"pillar leading most often over a trailing {p['smooth_years']}-year window, multi below "
        f"a {p['majority']:.3g} majority.",
        f"{year}: model_confidence ≥ 0.8 for {conf} of {n} provinces ({conf / n:.0%}); "
        f"multi {multi} of {n} ({multi / n:.0%}); over {_spans(result.window)} the model switches "
        f"{sw.mean():.2f} times per province on average (max {sw.max()}, "
        f"{int((sw >= 3).sum())} provinces with 3 or more).",
        f"{year}: the 90 % interval of the D rank spans {width.mean():.1f} places on average "
        f"(median {width.median():.0f}, widest {int(width.max())}).",
    ]
    ix = sens.indices
    if len(ix):
        parts = []
        for out, g in ix.groupby("output", sort=False):
            parts.append(f"{out}: " + ", ".join(f"{r.trigger} {r.S_mean:.2f}" for r in g.itertuples()))
        lines.append("First-order sensitivity indices S_k (mean over provinces, "
                     f"{int(result.table['year'].max())}): " + "; ".join(parts) + ".")
    rob = result.robustness
    if len(rob):
        lo = rob[(rob["kind"] == "leave out province") & (rob["year"] == 0)]
        if len(lo):
            lines.append("Leaving Beijing out changes the model of other provinces in "
                         + "; ".join(f"{r.n_changed} of {r.n} province-years ({r.perturbation.split(': ', 1)[1]})"
                                     for r in lo.itertuples()) + ".")
        fl = rob[(rob["kind"] == "fill") & (rob["year"] == 0)]
        if len(fl):
            from analysis.data.provinces import PROVINCES

            names = PROVINCES.set_index("province_code")["name_en"].to_dict()
            worst = result.fills[result.fills["method"] == "worst value of the year"]
            cells = "; ".join(
                f"{i}: " + ", ".join(f"{names.get(p, p)} {_spans(g2['year'].tolist())}"
                                     for p, g2 in g.groupby("province_code"))
                for i, g in worst.groupby("indicator"))
        for r in fl.itertuples():
            who = ", ".join(names.get(int(c), c) for c in r.changed.split(";")) if r.n_changed else ""
            lines.append(
                "Cells of a province never observed for an indicator are filled with the worst "
                f"value of the year ({cells}; flagged in `n_filled`/`filled`): a strong "
                "assumption, the province is placed last. With the year's median of the observed "
                f"provinces instead, the primary model changes in {r.n_changed} of {r.n} "
                f"province-years" + (f" ({who})" if who else "") + " (robustness.csv, kind `fill`).")
    return lines


def linkage_summary(result: IntegrationResult) -> list[str]:
    """Markdown lines: how far the linkage index differs from the level (Spearman with T and with
    R&D intensity, latest year and pooled), and its weights. Empty without a linkage index."""
    from scipy.stats import spearmanr

    t = result.table
    if "linkage" not in t.columns:
        return []
    last = int(t["year"].max())
    rd = result.indicators["rd_intensity"] if "rd_intensity" in result.indicators else None
    rows = []
    for label, sub in ((str(last), t[t["year"] == last]), (f"{_spans(result.window)} pooled", t)):
        r_t = spearmanr(sub["linkage"], sub["T"]).statistic
        r_d = spearmanr(sub["linkage"], sub["D"]).statistic
        r_rd = np.nan
        if rd is not None:
            x = rd.reindex(pd.MultiIndex.from_frame(sub[KEYS]))
            r_rd = spearmanr(sub["linkage"], x.to_numpy(), nan_policy="omit").statistic
        rows.append(f"| {label} | {r_t:.3f} | {r_d:.3f} | {r_rd:.3f} |")
    w = result.weights[result.weights["group"] == "linkage"]
    shared = []
    pw = result.weights[result.weights["group"].str.startswith("pillar_")]
    for g, sub in pw[pw["indicator"].isin(w["indicator"])].groupby("group", sort=False):
        ps = t[t["year"] == last]
        rho = spearmanr(ps["linkage"], ps[g]).statistic if g in ps else np.nan
        shared.append(f"{g.removeprefix('pillar_')} pillar ({', '.join(sub['indicator'])}; Spearman "
                      f"with linkage {rho:.2f} in {last})")
    share_txt = ([f"The linkage index shares indicators with the {'; '.join(shared)}: the two are "
                  "not independent measures, and part of that correlation comes from the shared "
                  "indicators.", ""] if shared else [])
    return ["## Linkage index", "",
            "`linkage` measures flows between the science system and industry (indicators with "
            "`linkage: true` in spec.yaml: "
            + ", ".join(f"{r.indicator} {r.weight:.2f}" for r in w.itertuples())
            + f", baseline {result.params.get('composite_weighting', 'entropy')} weights); it is "
            "not part of U_st, U_ind, T or D, which measure "
            "levels. Spearman rank correlations:", "",
            "| years | linkage vs T | linkage vs D | linkage vs R&D intensity |",
            "|---|---|---|---|", *rows, "", *share_txt]


def notes_text(result: IntegrationResult, year: int) -> str:
    """``reports/framework/notes.md``: how far to trust the framework's numbers, with numbers."""
    last = int(max(result.window))
    lines = [f"# Integration framework: notes (specification {result.params['spec_version']})", ""]
    lines += linkage_summary(result)
    lines += ["## Typology uncertainty", ""]
    lines += [f"- {x}" for x in uncertainty_summary(result, last)]
    if year != last:
        lines += [f"- {x}" for x in uncertainty_summary(result, year)[1:3]]
    why = result.params.get("typology_diagnosis") or []
    if why:
        lines += ["", "### Why so few provinces have a clear model", "", *sum(([w, ""] for w in why), []),
                  "Numbers: typology_diagnosis.csv (one trigger at a time, pillar gaps, pillar "
                  "correlations)."]
    if result.dynamics is not None:
        tests = result.dynamics.tests.set_index("test")
        d = result.dynamics.transitions
        classic = d[(d["variable"] == "D_class") & (d["matrix"] == "classic")]
        stay = classic[classic["from_class"] == classic["to_class"]]
        n_tr = int(classic.drop_duplicates("from_class")["n_from"].sum())
        lines += ["", "## Dynamics (spatial Markov chain of D classes)", "",
                  f"- {n_tr} year-to-year transitions over {_spans(result.window)}; share staying in "
                  f"the same class: {stay['count'].sum() / max(n_tr, 1):.2f}.",
                  (f"- Do transitions depend on the neighbours' class? Bickenbach & Bode (2003) "
                   f"Q = {tests.at['Q', 'statistic']:.2f} (df {int(tests.at['Q', 'df'])}, p = "
                   f"{tests.at['Q', 'p_value']:.3f}), LR = {tests.at['LR', 'statistic']:.2f} (p = "
                   f"{tests.at['LR', 'p_value']:.3f}); with 31 provinces many cells are sparse."
                   if "Q" in tests.index else
                   "- The homogeneity tests are undefined (too few transitions)."),
                  "- Tables: spatial_markov.csv (classic and neighbour-conditioned matrices; primary-"
                  "model transitions), spatial_markov_tests.csv, figure spatial_markov.png."]
        m = d[d["variable"] == "model"]
        moves = m[m["from_class"] != m["to_class"]]
        lines.append(f"- Primary model: {int(moves['count'].sum())} switches in "
                     f"{int(m.drop_duplicates('from_class')['n_from'].sum())} transitions"
                     + ("; most frequent: " + ", ".join(
                         f"{r.from_class}→{r.to_class} {r.count}"
                         for r in moves.sort_values("count", ascending=False).head(4).itertuples())
                        if len(moves) else "") + ".")
    if result.validity is not None and len(result.validity):
        v = result.validity
        lines += ["", "## External validity", "",
                  "Spearman rank correlation with the published composite of 中国区域创新能力评价报告 "
                  "(中国科技发展战略研究小组 & UCAS; edition → data year; n = 31; numbers and source "
                  "in tests/results/regional_innovation_rankings.csv). Weights are never chosen to "
                  "raise these numbers.", ""]
        piv = v.pivot_table(index="measure", columns=["edition", "data_year"], values="spearman")
        piv.columns = [f"{e} ({y} data)" for e, y in piv.columns]
        lines.append(_markdown(piv.round(3).reset_index()))
    w = result.weights[result.weights["is_largest"]].drop_duplicates("group")
    cw = result.params.get("composite_weighting", "entropy")
    lines += ["", "## Weights", "",
              f"Baseline weights: panel entropy for U_st and U_ind, {cw} within each pillar and the "
              "linkage index (weights.csv; the uncertainty analysis draws entropy, CRITIC, equal "
              "and PCA weights for every composite). Largest weight in each group: "
              + "; ".join(f"{r.group} ← {r.indicator} {r.weight:.2f}" for r in w.itertuples()) + "."]
    ent = result.params.get("entropy_pillar_max")
    if ent:
        lines.append("With entropy weights inside the pillars the largest shares would be: "
                     + "; ".join(f"{g} ← {n} {v:.2f}" for g, (n, v) in ent.items()) + ".")
        if cw == "equal":
            g, (n, v) = max(ent.items(), key=lambda kv: kv[1][1])
            lines.append(
                "Equal weights within the pillars and the linkage index are a documented choice "
                "(`integrate(composite_weighting=\"equal\")`, README \"Integration framework\"), not "
                "a result: the pillars are conceptual constructs with no data-based claim to "
                "importance (OECD/JRC Handbook 2008, §6), and entropy weights follow dispersion, "
                f"so that under entropy {g} would rest {v:.0%} on {n}. The subsystems U_st and "
                "U_ind keep the panel entropy method; the uncertainty analysis draws entropy, "
                "CRITIC, equal and PCA weights for every composite, so the typology's confidence "
                "already counts this choice.")
    if result.notes:
        lines += ["", "## Data and missing values", ""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def _report_text(result: IntegrationResult, typ: pd.DataFrame, year: int) -> str:
    lines = [f"# Integration typology {year}", "",
             f"Specification version {result.params['spec_version']}; entropy window "
             f"{_spans(result.window)}; clusters: {result.params['cluster_method']} "
             f"k={result.params['n_clusters']}.", ""]
    dist = typ["model"].value_counts().reindex(list(MODELS), fill_value=0)
    lines.append("Primary models: " + ", ".join(f"{m} {n}" for m, n in dist.items()))
    ag = result.agreement.set_index("year")
    if year in ag.index:
        lines.append(f"Primary model vs clusters {year}: share agreeing {ag.at[year, 'share_agree']:.2f}, "
                     f"Cohen's kappa {ag.at[year, 'kappa']:.2f}; pooled "
                     f"{ag.at[0, 'share_agree']:.2f} / {ag.at[0, 'kappa']:.2f}.")
    lines += uncertainty_summary(result, year)
    lines.append("")
    show = typ.copy()
    for c in ("D", "linkage", "U_st", "U_ind"):
        if c in show:
            show[c] = show[c].round(3)
    show["model_confidence"] = show["model_confidence"].round(2)
    lines.append(_markdown(show))
    if result.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def run(verbose: bool = False, *, year: int = 2022, **kwargs) -> IntegrationResult:
    """Build ``data/processed/integration.parquet`` and the ``year`` typology table.

    Reads ``data/processed/panel.parquet`` and ``chain_linkage_panel.parquet`` (written by
    :func:`analysis.framework.chain.run`; without it the chain-linkage indicators are dropped
    with a note), computes :func:`integrate`, and writes (temp file + rename):

    * ``data/processed/integration.parquet`` — one row per province-year of the window;
    * ``data/processed/integration_diagnostics.parquet`` — long pathway diagnostics;
    * ``data/processed/integration_fills.parquet`` — every filled core cell and its rule
      (``province_code, year, indicator, method``), so the reports can mark each filled value;
    * ``data/processed/integration_codebook.csv`` — from the specification;
    * ``reports/framework/typology_<year>.{csv,md,html}``, ``robustness.csv``, ``agreement.csv``,
      ``weights.csv``, ``centroids.csv``, ``sensitivity_indices.csv`` (first-order indices of
      the triggers), ``sensitivity_draws.csv`` (the draws), ``churn.csv`` (model switches per
      province), ``typology_diagnosis.csv`` (why provinces lack a clear model:
      :func:`analysis.framework.sensitivity.typology_diagnosis`), ``spatial_markov.{csv,png}`` and ``spatial_markov_tests.csv`` (when
      ``boundaries.parquet`` exists), ``external_validity.csv`` (when the published rankings
      exist), ``notes.md``.

    Parameters
    ----------
    verbose : bool
        Print the window, notes and the typology table.
    year : int, default 2022
        Year of the typology table (the last window year if ``year`` is outside the window, with
        a note).
    **kwargs
        Passed to :func:`integrate` (``margin``, ``min_coverage``, ``n_clusters`` …).

    Returns
    -------
    IntegrationResult
        Always recomputed: whether to run at all is decided by the step runner
        (:mod:`analysis.steps`).

    Raises
    ------
    FileNotFoundError
        The panel has not been built (``python -m analysis data build``).
    analysis.framework.spec.SpecError
        ``spec.yaml`` is invalid, or an indicator's formula uses a column that the built panel
        (with the chain-linkage table) does not have: the message names the indicator and lists
        the columns that exist.
    """
    from analysis import paths

    t0 = time.perf_counter()
    proc = paths.processed_dir()
    rep = paths.reports_dir() / "framework"
    panel_path = proc / "panel.parquet"
    chain_path = proc / "chain_linkage_panel.parquet"
    out_path = proc / "integration.parquet"
    if not panel_path.exists():
        raise FileNotFoundError(f"{panel_path} not found: run `python -m analysis data build` first")
    chain = pd.read_parquet(chain_path) if chain_path.exists() else None
    panel = pd.read_parquet(panel_path)
    notes = []
    if chain is None:
        notes.append(f"{chain_path.name} and io_*.parquet not found: chain-linkage indicators "
                     "dropped (build the data and IO measures to include them)")
    if chain is not None:
        keep = [c for c in chain.columns
                if (c not in panel.columns or c in KEYS) and c != "io_year"]
        panel = panel.merge(chain[keep], on=KEYS, how="left")
    # the specification is checked against the columns of the panel it will be computed from
    # (a user series imported with `data import` is usable once built; a missing one is named)
    from analysis.framework.spec import CHAIN_COLUMNS

    available = set(panel.columns) | (set(CHAIN_COLUMNS) if chain is None else set())
    spec = load_spec(columns=available, columns_source="data/processed/panel.parquet"
                     + ("" if chain is None else " + chain_linkage_panel.parquet"))
    w, rankings = None, None
    bpath = proc / "boundaries.parquet"
    if bpath.exists():
        import geopandas as gpd

        from analysis.measures import contiguity_weights

        gdf = gpd.read_parquet(bpath)
        gdf = gdf[gdf["province_code"].between(110000, 659999)]
        w = contiguity_weights(gdf)
    else:
        notes.append(f"{bpath.name} not found: no spatial Markov chain (build the data first)")
    try:
        from analysis.framework.validity import load_rankings

        rankings = load_rankings()
    except FileNotFoundError:
        notes.append("published rankings (tests/results/regional_innovation_rankings.csv) not "
                     "found: no external-validity check")
    kwargs = {"weights_w": w, "rankings": rankings} | kwargs
    result = integrate(panel, spec, **kwargs)
    result.notes[:0] = notes
    if year not in result.window:
        new = max(result.window)
        result.notes.append(f"year {year} is outside the entropy window; typology shown for {new}")
        year = new
    typ = typology_table(result, year)

    def write_df(path, df: pd.DataFrame, kind: str) -> None:
        buf = io.BytesIO()
        if kind == "parquet":
            df.to_parquet(buf, index=False)
        elif kind == "csv":
            buf.write(df.to_csv(index=False).encode("utf-8-sig"))
        paths.atomic_write_bytes(path, buf.getvalue())

    write_df(out_path, result.table, "parquet")
    write_df(proc / "integration_diagnostics.parquet", result.diagnostics, "parquet")
    write_df(proc / "integration_fills.parquet", result.fills, "parquet")
    write_df(proc / "integration_codebook.csv", codebook(spec), "csv")
    write_df(rep / f"typology_{year}.csv", typ, "csv")
    write_df(rep / "robustness.csv", result.robustness, "csv")
    write_df(rep / "agreement.csv", result.agreement, "csv")
    write_df(rep / "weights.csv", result.weights, "csv")
    write_df(rep / "centroids.csv", result.centroids.reset_index(), "csv")
    if result.dynamics is not None:
        from analysis.framework.dynamics import plot_transitions

        write_df(rep / "spatial_markov.csv", result.dynamics.transitions, "csv")
        write_df(rep / "spatial_markov_tests.csv", result.dynamics.tests, "csv")
        fig = plot_transitions(result.dynamics)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150)
        paths.atomic_write_bytes(rep / "spatial_markov.png", buf.getvalue())
        import matplotlib.pyplot as plt

        plt.close(fig)
    if result.validity is not None:
        write_df(rep / "external_validity.csv", result.validity, "csv")
    if result.sensitivity is not None:
        write_df(rep / "sensitivity_indices.csv", result.sensitivity.indices, "csv")
        write_df(rep / "sensitivity_draws.csv", result.sensitivity.draws, "csv")
        write_df(rep / "churn.csv", result.sensitivity.churn, "csv")
    if result.typology_diagnosis is not None:
        write_df(rep / "typology_diagnosis.csv", result.typology_diagnosis, "csv")
    text = _report_text(result, typ, year)
    paths.atomic_write_bytes(rep / f"typology_{year}.md", text.encode("utf-8"))
    from analysis.htmlpage import page

    # a full page in the reports' style (the readable zh/en versions: reports/typology_<year>_<lang>.html)
    html = page(f"<h1>Integration typology {year}</h1>"
                + "".join(f"<p>{line}</p>" for line in text.split("\n\n")[1:3])
                + '<div class="table-wrap">' + typ.round(3).to_html(index=False, border=0) + "</div>"
                + ("<h2>Notes</h2><ul>" + "".join(f"<li>{n}</li>" for n in result.notes) + "</ul>"
                   if result.notes else ""),
                f"Integration typology {year}", "en", index_href="../index.html", wide=True)
    paths.atomic_write_bytes(rep / f"typology_{year}.html", html.encode("utf-8"))
    paths.atomic_write_bytes(rep / "notes.md", notes_text(result, year).encode("utf-8"))
    if verbose:
        print(text)
        print(f"integration: wrote {out_path} ({len(result.table)} rows) and {rep}/ "
              f"in {time.perf_counter() - t0:.1f} s")
    return result
