"""Uncertainty analysis of the integration typology and of the composite ranks.

A composite indicator rests on choices that the data do not settle: how indicators are
normalised, how they are weighted, which indicators enter, over which years the scale is fixed.
Following the OECD/JRC *Handbook on Constructing Composite Indicators* (2008, §7 "Uncertainty
and sensitivity analysis") and Saisana, Saltelli & Tarantola (2005, "Uncertainty and
sensitivity analysis techniques as tools for the quality assessment of composite indicators",
*J. R. Statist. Soc. A* 168(2): 307–323), every such choice is a *trigger* — a discrete random
input with equally likely options — and the whole framework is recomputed for each joint draw:

=================  ================================================================================
trigger            options (each equally likely)
=================  ================================================================================
``weighting``      ``entropy`` (panel entropy method, :func:`analysis.measures.entropy_weight`),
                   ``critic`` (:func:`analysis.measures.critic_weight`), ``equal`` (1/m),
                   ``pca`` (:func:`analysis.measures.pca_weight`)
``normalisation``  ``minmax`` (direction-aware min-max), ``z`` (direction-aware z-score; a
                   subsystem composite is then min-max rescaled to [0, 1] over the reference rows
                   so that C and D are defined), ``rank`` ((rank − 1)/(n − 1) among the reference
                   rows, average ranks for ties)
``left_out``       none, or one core indicator (Saisana et al.'s "exclusion of one indicator at a
                   time": option 0 keeps all, option j drops indicator j); only indicators whose
                   subsystem and pillar keep another indicator can be dropped
``window``         the reference rows that fix normalisation bounds and weights: ``pooled`` (all
                   years of the window, the panel form), ``year`` (each year on its own, the
                   cross-sectional form), ``rolling3`` (the year and the two before it, within the
                   window)
=================  ================================================================================

Weights are estimated by each method in its own standard form on the reference rows (entropy and
CRITIC on min-max normalised values, PCA on the correlation matrix) and applied to the indicators
normalised by the draw's normalisation. Draws are a scrambled Sobol' sequence
(:class:`scipy.stats.qmc.Sobol`, ``seed``), the quasi-random design of Saisana et al., with each
uniform coordinate mapped to an option; ``n_draws`` is rounded up to a power of two (default
1024 ≥ 500). The same seed gives the same draws and the same bytes.

In each draw every province-year gets its subsystem scores, C, T and D (and its D rank among the
provinces of the year), its four pillar scores, their within-year **rank-based standard scores**
(van der Waerden normal scores Φ⁻¹(r/(N+1)), so that one extreme province cannot move the others:
see :func:`analysis.framework.integration.standardise_within_year`) and the pillar that
**leads**, i.e. has the highest standard score; a tie between k pillars gives each 1/k of the
draw.

Decision rules (fixed before looking at the results; reasons given)
------------------------------------------------------------------
* **Primary model** = the pillar that leads in the largest share of draws; ``model_confidence`` =
  that share. **``multi``** when no pillar leads in a *clear majority*: share below
  ``majority = 2/3``. A simple majority (> 1/2) already means "more often than all other pillars
  together"; two thirds — the usual qualified majority — asks that the lead survive two of
  every three plausible specifications, so that a label does not hinge on one contestable choice
  (e.g. entropy vs equal weights) whose options are equally likely by design.
* **Temporal rule**: a model is a tendency over years, so the shares are pooled over a trailing
  window of ``smooth_years = 3`` years (the year and the two before it, as available in the
  scoring window; each year counts equally). Three years is the shortest window in which a
  single-year blip is outvoted by the two other years, and trailing (not centred) so that a
  published label never changes when a later year is added. The single-year result is kept as
  ``model_year`` / ``model_year_confidence``.
* Intervals are the 5th and 95th percentiles over draws (Saisana et al. 2005 report the same
  band for ranks).
* **Churn**: switches of ``model`` per province between consecutive years of the window.

First-order sensitivity indices ``S_k = V[E(Y | X_k)] / V(Y)`` of each trigger (Saisana et al.
2005, eq. 6) are estimated by grouping draws by the trigger's option (exact for discrete inputs
up to sampling error) for Y = the province's D rank and Y = 1{its primary pillar leads}, and
averaged over province-years of the latest year with V(Y) > 0.

Degenerate input never yields NaN: an indicator constant on a draw's reference rows gets weight 0
(entropy, CRITIC, PCA) or a constant normalised value (equal weights), and a group whose
indicators are all constant falls back to equal weights; each case is counted in the notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.framework.spec import PILLARS, Spec

__all__ = [
    "WEIGHTINGS",
    "NORMALISATIONS",
    "WINDOWS",
    "SensitivityResult",
    "normal_scores_axis",
    "sensitivity_analysis",
    "temporal_model",
    "model_switches",
    "model_profiles",
    "typology_diagnosis",
]

WEIGHTINGS: tuple[str, ...] = ("entropy", "critic", "equal", "pca")
NORMALISATIONS: tuple[str, ...] = ("minmax", "z", "rank")
WINDOWS: tuple[str, ...] = ("pooled", "year", "rolling3")
KEYS = ["province_code", "year"]
_CONST_RTOL = 1e-9


@dataclass
class SensitivityResult:
    """Result of :func:`sensitivity_analysis`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per province-year (``province_code``, ``year``): ``share_<pillar>`` (share of
        draws, pooled over the temporal window, in which the pillar leads; the four sum to 1),
        ``model``, ``model_confidence``, ``model_profile`` (pillars leading in ≥ 1/4 of the
        draws, :func:`model_profiles`), ``model_year``, ``model_year_confidence``,
        ``z_<pillar>_lo`` / ``z_<pillar>_hi`` (5th/95th percentile of the rank-based standard
        score over draws), ``D_rank_lo`` / ``D_rank_hi`` (1 = highest D of the year) and
        ``D_rank_median``; the same for every extra composite (``<name>_rank_lo`` …).
    draws : pandas.DataFrame
        One row per draw: ``draw``, ``weighting``, ``normalisation``, ``left_out`` (``""`` =
        none), ``window``.
    indices : pandas.DataFrame
        First-order sensitivity indices: ``output``, ``trigger``, ``S_mean``, ``S_median``,
        ``n`` (province-years of the latest year used).
    churn : pandas.DataFrame
        One row per province: ``switches`` of ``model`` over the window, ``models`` (the
        sequence, ``>``-separated).
    shares_year : pandas.DataFrame
        Index (province_code, year): single-year lead shares ``share_<pillar>`` (before the
        temporal rule), the input of :func:`temporal_model`.
    notes : list of str
    params : dict
    """

    table: pd.DataFrame
    draws: pd.DataFrame
    indices: pd.DataFrame
    churn: pd.DataFrame
    shares_year: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)


# ============================================================================ helpers


def normal_scores_axis(values: np.ndarray, axis: int = 1) -> np.ndarray:
    """Van der Waerden normal scores Φ⁻¹(r / (n + 1)) along ``axis`` (average ranks for ties).

    The standardisation of :func:`analysis.framework.integration.standardise_within_year`
    (``method="rank"``) on arrays: with provinces along ``axis``, every other axis (years,
    pillars, draws) is ranked separately.

    Parameters
    ----------
    values : numpy.ndarray
        Any shape; n = ``values.shape[axis]``.
    axis : int, default 1

    Returns
    -------
    numpy.ndarray
        Same shape.
    """
    from scipy.special import ndtri
    from scipy.stats import rankdata

    v = np.asarray(values, dtype=float)
    r = rankdata(v, axis=axis, method="average")
    return ndtri(r / (v.shape[axis] + 1))


def _is_constant(x: np.ndarray) -> np.ndarray:
    rng = x.max(axis=0) - x.min(axis=0)
    scale = np.abs(x).max(axis=0)
    return rng <= _CONST_RTOL * np.where(scale > 0, scale, 1.0)


def _normalise(block: np.ndarray, how: str) -> np.ndarray:
    """Direction-aware (signs already applied) normalisation of the reference rows' values."""
    const = _is_constant(block)
    if how == "minmax":
        lo, hi = block.min(axis=0), block.max(axis=0)
        out = (block - lo) / np.where(const, 1.0, hi - lo)
    elif how == "z":
        sd = block.std(axis=0, ddof=1) if len(block) > 1 else np.zeros(block.shape[1])
        out = (block - block.mean(axis=0)) / np.where(const | (sd <= 0), 1.0, sd)
    elif how == "rank":
        from scipy.stats import rankdata

        n = len(block)
        out = (rankdata(block, axis=0, method="average") - 1.0) / max(n - 1, 1)
    else:  # pragma: no cover - validated by the caller
        raise ValueError(how)
    out[:, const] = 0.0 if how != "rank" else 0.5
    return out


def _weights(block: np.ndarray, how: str) -> tuple[np.ndarray, int]:
    """Weights of one group on its reference rows (signed values); constant columns get 0.

    Returns the weights (sum 1) and the number of constant columns met.
    """
    from analysis.measures.entropy import _entropy_core
    from analysis.measures.weights import critic_weights_array, pca_weights_array

    m = block.shape[1]
    const = _is_constant(block)
    n_const = int(const.sum())
    if how == "equal" or const.all():
        return np.full(m, 1.0 / m), n_const
    w = np.zeros(m)
    sub = block[:, ~const]
    if how == "pca":
        w[~const] = pca_weights_array(sub)
        return w, n_const
    lo, hi = sub.min(axis=0), sub.max(axis=0)
    z = (sub - lo) / (hi - lo)
    if how == "entropy":
        _, w_sub, _ = _entropy_core(z, 0.0)
    elif how == "critic":
        try:
            w_sub = critic_weights_array(z)
        except ValueError:  # every column perfectly correlated: no conflict, equal information
            w_sub = np.full(sub.shape[1], 1.0 / sub.shape[1])
    else:  # pragma: no cover
        raise ValueError(how)
    w[~const] = w_sub
    return w, n_const


def _spans_years(window: Sequence[int], how: str) -> list[list[int]]:
    """Reference years of each target year (in window order) for a window option."""
    years = list(window)
    if how == "pooled":
        return [years] * len(years)
    if how == "year":
        return [[y] for y in years]
    if how == "rolling3":
        return [years[max(0, i - 2): i + 1] for i in range(len(years))]
    raise ValueError(f"window must be one of {WINDOWS}, got {how!r}")


def temporal_model(
    shares: pd.DataFrame,
    *,
    years: int = 3,
    majority: float = 2 / 3,
) -> pd.DataFrame:
    """Primary model per province-year from single-year lead shares, by the temporal rule.

    Parameters
    ----------
    shares : pandas.DataFrame
        Index (province_code, year); one column per pillar (``share_chain`` … or bare pillar
        names), each row summing to 1: the share of draws in which the pillar leads that year.
    years : int, default 3
        Trailing window: year t pools t − years + 1 … t (those present), each year equally.
    majority : float, default 2/3
        Below it the model is ``multi``.

    Returns
    -------
    pandas.DataFrame
        Same index: the pooled shares (``share_<pillar>``), ``model`` (pillar with the largest
        pooled share, or ``multi``) and ``model_confidence`` (the largest pooled share).

    Raises
    ------
    ValueError
        ``years < 1``, ``majority`` outside (0, 1], or rows not summing to 1.
    """
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    if not 0 < majority <= 1:
        raise ValueError(f"majority must be in (0, 1], got {majority}")
    cols = list(shares.columns)
    if not np.allclose(shares.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("lead shares must sum to 1 in every row")
    labels = np.array([c.removeprefix("share_") for c in cols], dtype=object)
    pooled = (shares.groupby(level="province_code", group_keys=False)
              .apply(lambda g: g.rolling(years, min_periods=1).mean()))
    pooled = pooled.reindex(shares.index)
    v = pooled.to_numpy()
    best = v.max(axis=1)
    n_best = (np.abs(v - best[:, None]) <= 1e-12).sum(axis=1)
    model = np.where((best >= majority - 1e-12) & (n_best == 1), labels[v.argmax(axis=1)], "multi")
    out = pooled.rename(columns=lambda c: c if c.startswith("share_") else f"share_{c}")
    out["model"] = model
    out["model_confidence"] = best
    return out


def model_profiles(shares: pd.DataFrame, threshold: float = 0.25) -> pd.Series:
    """The pillars that lead in at least ``threshold`` of the draws, by share, joined by ``+``.

    With four pillars 1/4 is the share each would get if the lead were decided by chance, so the
    profile names every pillar that leads more often than chance would allow for: ``future`` for a
    clear future-industries province, ``chain+demand`` for one that leads in both about equally
    (its ``model`` is then ``multi``). Fixed before looking at the results.

    Parameters
    ----------
    shares : pandas.DataFrame
        ``share_<pillar>`` columns (rows sum to 1).
    threshold : float, default 0.25

    Returns
    -------
    pandas.Series of str
    """
    labels = [c.removeprefix("share_") for c in shares.columns]
    out = []
    for row in shares.to_numpy():
        order = np.argsort(-row, kind="stable")
        out.append("+".join(labels[i] for i in order if row[i] >= threshold - 1e-12))
    return pd.Series(out, index=shares.index, name="model_profile")


def model_switches(models: pd.Series) -> pd.DataFrame:
    """Switches of a label between consecutive years, per province.

    Parameters
    ----------
    models : pandas.Series
        Index (province_code, year), labels.

    Returns
    -------
    pandas.DataFrame
        One row per province: ``switches`` (number of years whose label differs from the year
        before) and ``models`` (the labels in year order, ``>``-separated).
    """
    rows = []
    for code, g in models.groupby(level="province_code"):
        seq = g.sort_index(level="year").tolist()
        rows.append((int(code), int(sum(a != b for a, b in zip(seq, seq[1:], strict=False))),
                     ">".join(map(str, seq))))
    return pd.DataFrame(rows, columns=["province_code", "switches", "models"])


# ============================================================================ the analysis


def _groups_from_spec(spec: Spec, columns: Iterable[str]) -> dict[str, list[str]]:
    cols = list(columns)
    groups = {"U_st": [c for c in cols if spec[c].subsystem == "st"],
              "U_ind": [c for c in cols if spec[c].subsystem == "ind"]}
    for p in PILLARS:
        groups[f"pillar_{p}"] = [c for c in cols if spec[c].pillar == p]
    return groups


def sensitivity_analysis(
    core: pd.DataFrame,
    spec: Spec,
    *,
    n_draws: int = 1024,
    seed: int = 20260,
    weighting: Sequence[str] = WEIGHTINGS,
    normalisation: Sequence[str] = NORMALISATIONS,
    windows: Sequence[str] = WINDOWS,
    leave_one_out: bool = True,
    majority: float = 2 / 3,
    smooth_years: int = 3,
    interval: tuple[float, float] = (0.05, 0.95),
    extra: Mapping[str, Sequence[str]] | None = None,
) -> SensitivityResult:
    """Global uncertainty analysis of the typology and the ranks (see the module notes).

    Parameters
    ----------
    core : pandas.DataFrame
        Prepared core indicators (:func:`analysis.framework.integration.prepare_core`): index
        (province_code, year), balanced (every province in every year), no missing values.
    spec : Spec
        Gives each indicator's direction, subsystem and pillar.
    n_draws : int, default 1024
        Number of draws (rounded up to a power of two for the Sobol' design); at least 2.
    seed : int
        Seed of the scrambled Sobol' sequence.
    weighting, normalisation, windows : sequences of str
        Options of the triggers (subsets of ``WEIGHTINGS``, ``NORMALISATIONS``, ``WINDOWS``).
    leave_one_out : bool, default True
        Include the indicator-exclusion trigger.
    majority : float, default 2/3
        Share of draws below which the model is ``multi``.
    smooth_years : int, default 3
        Trailing window of the temporal rule (1 = no smoothing).
    interval : (float, float)
        Percentiles of the intervals.
    extra : mapping name → indicator names, optional
        Further composites to rank in every draw (e.g. the linkage index): ``<name>_rank_lo``,
        ``<name>_rank_hi`` and ``<name>_rank_median`` are added to the table.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    ValueError
        Unbalanced or incomplete ``core``; an unknown trigger option; fewer than two draws; an
        empty group.
    """
    from scipy.stats import qmc, rankdata

    for name, opts, allowed in (("weighting", weighting, WEIGHTINGS),
                                ("normalisation", normalisation, NORMALISATIONS),
                                ("windows", windows, WINDOWS)):
        bad = [o for o in opts if o not in allowed]
        if bad or not opts:
            raise ValueError(f"{name} options must be a non-empty subset of {allowed}, got {list(opts)}")
    if n_draws < 2:
        raise ValueError(f"n_draws must be at least 2, got {n_draws}")
    if core.isna().any().any():
        bad = core.columns[core.isna().any()].tolist()
        raise ValueError(f"core indicators have missing values in {bad}: prepare them first")
    data = core.sort_index(level=["year", "province_code"])
    years = sorted(data.index.get_level_values("year").unique())
    provs = sorted(data.index.get_level_values("province_code").unique())
    T, N = len(years), len(provs)
    if len(data) != T * N or data.index.duplicated().any():
        raise ValueError(f"core must be balanced (every province in every year): {len(data)} rows "
                         f"for {N} provinces × {T} years")
    cols = list(data.columns)
    m = len(cols)
    signs = np.array([spec[c].sign for c in cols], dtype=float)
    X = data.to_numpy(dtype=float) * signs  # rows: year-major, N per year
    groups = _groups_from_spec(spec, cols)
    extra = dict(extra or {})
    for name, members in extra.items():
        unknown = [c for c in members if c not in cols]
        if unknown:
            raise ValueError(f"extra composite {name!r}: indicators {unknown} not in core")
        groups[name] = list(members)
    for g, members in groups.items():
        if not members:
            raise ValueError(f"group {g!r} has no indicator in core")
    gnames = list(groups)
    G = len(gnames)
    member_idx = {g: np.array([cols.index(c) for c in groups[g]]) for g in gnames}

    droppable = [""]
    if leave_one_out:
        for c in cols:
            if all(len(groups[g]) > 1 for g in gnames if c in groups[g]):
                droppable.append(c)

    # ---- the design: scrambled Sobol' points mapped to options
    k = int(np.ceil(np.log2(max(n_draws, 2))))
    u = qmc.Sobol(d=4, scramble=True, seed=np.random.default_rng(seed)).random_base2(k)
    opts = [list(weighting), list(normalisation), droppable, list(windows)]
    idx = np.minimum((u * np.array([len(o) for o in opts])).astype(int),
                     np.array([len(o) - 1 for o in opts]))
    D_draws = len(u)
    draws = pd.DataFrame({"draw": np.arange(D_draws),
                          "weighting": [opts[0][i] for i in idx[:, 0]],
                          "normalisation": [opts[1][i] for i in idx[:, 1]],
                          "left_out": [opts[2][i] for i in idx[:, 2]],
                          "window": [opts[3][i] for i in idx[:, 3]]})

    year_rows = [np.arange(t * N, (t + 1) * N) for t in range(T)]
    refs = {w: _spans_years(list(range(T)), w) for w in windows}  # year positions
    norm_cache: dict = {}
    weight_cache: dict = {}
    degenerate: dict[str, int] = {}

    def ref_rows(w, t):
        return np.concatenate([year_rows[s] for s in refs[w][t]])

    def normalised(norm, w, t):
        """Normalised reference rows of (window w, year t) and the positions of year t in them."""
        block = tuple(refs[w][t])
        if (norm, block) not in norm_cache:
            norm_cache[(norm, block)] = _normalise(X[ref_rows(w, t)], norm)
        start = block.index(t) * N  # reference rows are whole years in order
        return norm_cache[(norm, block)], np.arange(start, start + N)

    def group_weights(how, block, j, drop):
        g = gnames[j]
        if drop not in groups[g]:
            drop = ""
        key = (how, block, j, drop)
        if key not in weight_cache:
            rows = np.concatenate([year_rows[s] for s in block])
            mi = np.array([i for i in member_idx[g] if cols[i] != drop])
            wv, n_const = _weights(X[np.ix_(rows, mi)], how)
            if n_const:
                label = (f"{g}: {n_const} constant indicator(s) on reference years "
                         f"{[years[s] for s in block]}")
                degenerate[label] = degenerate.get(label, 0) + 1
            weight_cache[key] = (mi, wv)
        return weight_cache[key]

    def weight_matrix(how, w, t, drop):
        block = tuple(refs[w][t])
        key = (how, block, drop)
        if key not in matrix_cache:
            W = np.zeros((m, G))
            for j in range(G):
                mi, wv = group_weights(how, block, j, drop)
                W[mi, j] = wv
            matrix_cache[key] = W
        return matrix_cache[key]

    matrix_cache: dict = {}
    g_st, g_ind = gnames.index("U_st"), gnames.index("U_ind")
    g_pil = [gnames.index(f"pillar_{p}") for p in PILLARS]
    g_extra = [gnames.index(n) for n in extra]
    S_all = np.empty((D_draws, T, N, G))
    for d, (wi, ni, li, vi) in enumerate(idx):
        how, norm, drop, w = opts[0][wi], opts[1][ni], opts[2][li], opts[3][vi]
        S = S_all[d]
        for t in range(T):
            Zb, target = normalised(norm, w, t)
            W = weight_matrix(how, w, t, drop)
            if norm == "z":  # composite rescaled to [0, 1] over the reference rows (for C, D)
                Sb = Zb @ W
                lo, hi = Sb.min(axis=0), Sb.max(axis=0)
                Sb = (Sb - lo) / np.where(hi - lo > 0, hi - lo, 1.0)
                S[t] = Sb[target]
            else:
                S[t] = Zb[target] @ W
    np.clip(S_all, 0.0, 1.0, out=S_all)
    u1, u2 = S_all[..., g_st], S_all[..., g_ind]
    tot = u1 + u2
    with np.errstate(invalid="ignore", divide="ignore"):
        C = np.where(tot > 0, 2 * np.sqrt(u1 * u2) / np.where(tot > 0, tot, 1.0), 1.0)
    Dv = np.sqrt(C * tot / 2)
    d_rank = rankdata(-Dv, axis=2, method="min").astype(np.int16)  # draws × T × N
    x_rank = [rankdata(-S_all[..., ge], axis=2, method="min").astype(np.int16) for ge in g_extra]
    zs = normal_scores_axis(S_all[..., g_pil], axis=2)  # draws × T × N × 4
    top = zs.max(axis=3, keepdims=True)
    lead_draw = (np.abs(zs - top) <= 1e-12).astype(float)
    lead_draw /= lead_draw.sum(axis=3, keepdims=True)
    lead = lead_draw.mean(axis=0)

    # ---- per province-year table
    index = pd.MultiIndex.from_product([years, provs], names=["year", "province_code"])
    share_year = pd.DataFrame(lead.reshape(T * N, -1), index=index,
                              columns=[f"share_{p}" for p in PILLARS])
    share_year = share_year.reorder_levels(KEYS).sort_index()
    single = temporal_model(share_year, years=1, majority=majority)
    pooled = temporal_model(share_year, years=smooth_years, majority=majority)
    table = pooled.copy()
    table["model_profile"] = model_profiles(pooled[[f"share_{p}" for p in PILLARS]])
    table["model_year"] = single["model"]
    table["model_year_confidence"] = single["model_confidence"]
    lo_q, hi_q = interval

    def by_row(arr: np.ndarray) -> pd.Series:
        return pd.Series(arr.reshape(T * N), index=index).reorder_levels(KEYS).sort_index()

    for j, p in enumerate(PILLARS):
        q = np.quantile(zs[..., j], [lo_q, hi_q], axis=0)
        table[f"z_{p}_lo"] = by_row(q[0])
        table[f"z_{p}_hi"] = by_row(q[1])
    ranks = {"D": d_rank} | {n: x_rank[e] for e, n in enumerate(extra)}
    for name, arr in ranks.items():
        q = np.quantile(arr, [lo_q, 0.5, hi_q], axis=0, method="inverted_cdf")
        table[f"{name}_rank_lo"] = by_row(q[0]).astype("int64")
        table[f"{name}_rank_median"] = by_row(q[1]).astype("int64")
        table[f"{name}_rank_hi"] = by_row(q[2]).astype("int64")
    table = table.reset_index()

    # ---- first-order sensitivity indices, latest year
    trig = {"weighting": idx[:, 0], "normalisation": idx[:, 1], "left_out": idx[:, 2],
            "window": idx[:, 3]}
    last = T - 1
    prim = pooled.xs(years[last], level="year")["model"].reindex(provs).to_numpy()
    outputs = {"D_rank": d_rank[:, last, :].astype(float)}
    lead_prim = np.full((D_draws, N), np.nan)
    for i, mdl in enumerate(prim):
        if mdl in PILLARS:
            lead_prim[:, i] = lead_draw[:, last, i, PILLARS.index(mdl)]
    outputs["lead_of_primary_model"] = lead_prim
    irows = []
    for out_name, Y in outputs.items():
        for t_name, codes in trig.items():
            s = []
            for i in range(N):
                y = Y[:, i]
                if np.isnan(y).any() or y.var() <= 1e-15:
                    continue
                means = pd.Series(y).groupby(codes).mean()
                counts = pd.Series(codes).value_counts().reindex(means.index)
                s.append(float(((means - y.mean()) ** 2 * counts).sum() / len(y) / y.var()))
            irows.append((out_name, t_name, float(np.mean(s)) if s else 0.0,
                          float(np.median(s)) if s else 0.0, len(s)))
    indices = pd.DataFrame(irows, columns=["output", "trigger", "S_mean", "S_median", "n"])

    churn = model_switches(pooled["model"])
    notes = []
    if degenerate:
        notes.append("indicators without variation on a draw's reference years got weight 0 "
                     "(entropy, CRITIC, PCA) or a constant normalised value (equal weights): "
                     + "; ".join(f"{k} ({v} weight estimations)" for k, v in sorted(degenerate.items())))
    params = dict(n_draws=D_draws, seed=seed, weighting=list(weighting),
                  normalisation=list(normalisation), windows=list(windows),
                  leave_one_out=leave_one_out, droppable=droppable[1:], majority=majority,
                  smooth_years=smooth_years, interval=list(interval))
    return SensitivityResult(table=table, draws=draws, indices=indices, churn=churn,
                             shares_year=share_year, notes=notes, params=params)


def leave_out_province_effect(
    core: pd.DataFrame,
    spec: Spec,
    baseline: pd.DataFrame,
    province: int,
    **kwargs,
) -> pd.DataFrame:
    """How many *other* provinces change primary model when one province is left out.

    Parameters
    ----------
    core : pandas.DataFrame
        Prepared core indicators (all provinces).
    spec : Spec
    baseline : pandas.DataFrame
        ``SensitivityResult.table`` of the full data (``province_code``, ``year``, ``model``).
    province : int
        GB/T 2260 code of the province left out (e.g. 110000, Beijing).
    **kwargs
        Passed to :func:`sensitivity_analysis` (same seed and options as the baseline).

    Returns
    -------
    pandas.DataFrame
        One row per year plus ``year = 0`` (all years): ``n`` (other provinces), ``n_changed``,
        ``share_unchanged``, ``changed`` (codes, ``;``-separated).

    Raises
    ------
    ValueError
        ``province`` is not in ``core``.
    """
    codes = core.index.get_level_values("province_code")
    if province not in set(codes):
        raise ValueError(f"province {province} is not in the core indicators")
    res = sensitivity_analysis(core[codes != province], spec, **kwargs)
    a = baseline.set_index(KEYS)["model"]
    b = res.table.set_index(KEYS)["model"]
    a = a[a.index.get_level_values("province_code") != province].reindex(b.index)
    changed = a != b
    rows = []
    for y, g in [*changed.groupby(level="year"), (0, changed)]:
        ch = sorted({int(c) for c, _ in g[g].index})
        rows.append((int(y), int(g.size), int(g.sum()), float(1 - g.mean()), ";".join(map(str, ch))))
    return pd.DataFrame(rows, columns=["year", "n", "n_changed", "share_unchanged", "changed"])



#: The published single specification (the pillar scores of ``integration.parquet``): equal
#: weights within each pillar, min-max normalisation over the pooled window, no indicator left out.
BASELINE_SPECIFICATION: dict[str, str] = {"weighting": "equal", "normalisation": "minmax",
                                          "windows": "pooled"}


def typology_diagnosis(
    core: pd.DataFrame,
    spec: Spec,
    sens: SensitivityResult,
    *,
    year: int | None = None,
    confident: float = 0.8,
    target_share: float = 0.7,
    close_places: int = 3,
) -> tuple[pd.DataFrame, list[str]]:
    """Why a province has no clear model: one trigger at a time, and how close its pillars are.

    Three quantities, for the latest year of ``core`` (or ``year``), with the decision rules of
    ``sens`` (majority, temporal window, seed):

    1. **One trigger at a time** (the OAT complement of the first-order indices, Saisana et al.
       2005): the analysis rerun with a single trigger varying over all its options and the
       others held at the published specification (:data:`BASELINE_SPECIFICATION`). The number
       of draws is the smallest power of two giving each option at least 16 draws; a scrambled
       Sobol' coordinate is stratified, so the options' counts differ by at most one. If one
       trigger alone already leaves most provinces below ``confident``, the fragility is not
       the product of stacking four sources of uncertainty.
    2. **Closeness of the pillars** in the published specification: the gap, in rank places
       among the provinces of the year, between a province's best and second-best pillar
       (median, and the share of provinces within ``close_places`` places).
    3. **Where the lead goes**: for the ``multi`` provinces, the share of draws won by their two
       most frequent leaders (near 1: a two-way contest, not four pillars in a draw), and the
       mean within-year Spearman correlation between pairs of pillar scores over the window
       (correlated pillars rank a province alike, so their standard scores are close).

    Parameters
    ----------
    core : pandas.DataFrame
        Prepared core indicators, as given to :func:`sensitivity_analysis`.
    spec : Spec
    sens : SensitivityResult
        The full analysis (its ``params`` give the triggers' options and the rules).
    year : int, optional
        Default: the latest year of ``core``.
    confident : float, default 0.8
        ``model_confidence`` threshold of the summary.
    target_share : float, default 0.7
        Share of provinces at ``confident`` that the text compares each trigger with.
    close_places : int, default 3

    Returns
    -------
    table : pandas.DataFrame
        ``analysis`` (``all triggers`` or ``<trigger> only``), ``n_draws``, ``n_options``,
        ``share_confident``, ``share_multi`` (in ``year``), ``switches_mean`` (over the window);
        then rows ``analysis = "pillar gap"`` / ``"top-two share"`` / ``"pillar correlation"``
        with the statistic in ``value`` and its meaning in ``detail``.
    lines : list of str
        A quantified paragraph for ``notes.md``.

    Raises
    ------
    ValueError
        ``year`` is not in ``core``.
    """
    from analysis.framework.integration import pillar_scores

    p = sens.params
    years = sorted(core.index.get_level_values("year").unique())
    year = years[-1] if year is None else int(year)
    if year not in years:
        raise ValueError(f"year {year} is not in the core indicators ({years[0]}-{years[-1]})")
    full = {"weighting": list(p.get("weighting", WEIGHTINGS)),
            "normalisation": list(p.get("normalisation", NORMALISATIONS)),
            "windows": list(p.get("windows", WINDOWS))}
    base = {k: [v if v in full[k] else full[k][0]] for k, v in BASELINE_SPECIFICATION.items()}
    rules = dict(seed=p.get("seed", 0), majority=p.get("majority", 2 / 3),
                 smooth_years=p.get("smooth_years", 3))

    def summary(res: SensitivityResult) -> tuple[float, float, float]:
        t = res.table[res.table["year"] == year]
        return (float((t["model_confidence"] >= confident - 1e-12).mean()),
                float((t["model"] == "multi").mean()), float(res.churn["switches"].mean()))

    rows = [("all triggers", int(p.get("n_draws", len(sens.draws))),
             int(np.prod([len(v) for v in full.values()]) * (len(p.get("droppable", [])) + 1)),
             *summary(sens), np.nan, "")]
    n_drop = len(p.get("droppable", [])) + 1
    for trig in ("weighting", "normalisation", "windows", "leave_one_out"):
        opts = dict(base, leave_one_out=False)
        if trig == "leave_one_out":
            if not p.get("leave_one_out", True) or n_drop < 2:
                continue
            opts["leave_one_out"], n_opt = True, n_drop
        else:
            if len(full[trig]) < 2:
                continue
            opts[trig], n_opt = full[trig], len(full[trig])
        n = 1 << int(np.ceil(np.log2(16 * n_opt)))
        res = sensitivity_analysis(core, spec, n_draws=n, **rules, **opts)
        rows.append((f"{trig} only", n, n_opt, *summary(res), np.nan, ""))
    table = pd.DataFrame(rows, columns=["analysis", "n_draws", "n_options", "share_confident",
                                        "share_multi", "switches_mean", "value", "detail"])

    # closeness in the published specification
    scores, _ = pillar_scores(core, spec, weights="equal")
    ranks = scores.xs(year, level="year").rank(ascending=False, method="average").to_numpy()
    srt = np.sort(ranks, axis=1)
    gap = srt[:, 1] - srt[:, 0]
    share = sens.table[sens.table["year"] == year]
    sh = np.sort(share[[f"share_{q}" for q in PILLARS]].to_numpy(), axis=1)
    multi = (share["model"] == "multi").to_numpy()
    top2 = sh[multi, -1] + sh[multi, -2]
    corr = scores.groupby(level="year").corr(method="spearman").groupby(level=1).mean()
    pairs = sorted(((float(corr.at[f"pillar_{a}", f"pillar_{b}"]), a, b)
                    for i, a in enumerate(PILLARS) for b in PILLARS[i + 1:]), reverse=True)
    extra = [("pillar gap", np.nan, np.nan, np.nan, np.nan, np.nan, float(np.median(gap)),
              f"median places between the best and second-best pillar rank ({year}); "
              f"share within {close_places} places: {float((gap <= close_places).mean()):.2f}"),
             ("top-two share", np.nan, np.nan, np.nan, np.nan, np.nan,
              float(np.median(top2)) if len(top2) else np.nan,
              f"median share of draws won by the two most frequent leaders, {int(multi.sum())} "
              f"multi provinces ({year})")]
    extra += [("pillar correlation", np.nan, np.nan, np.nan, np.nan, np.nan, r, f"{a}-{b}")
              for r, a, b in pairs]
    table = pd.concat([table, pd.DataFrame(extra, columns=table.columns)], ignore_index=True)
    table[["n_draws", "n_options"]] = table[["n_draws", "n_options"]].astype("Int64")

    oat = table[table["analysis"].str.endswith(" only")]
    allr = table.iloc[0]
    first = (f"With every trigger varying, {allr.share_confident:.0%} of provinces reach "
             f"model_confidence ≥ {confident:g} in {year} and {allr.share_multi:.0%} are multi.")
    if len(oat):
        first += (" One trigger at a time (the others at the published specification: equal "
                  "weights, min-max, pooled window, all indicators): "
                  + "; ".join(f"{r.analysis.removesuffix(' only')} ({int(r.n_options)} options) "
                              f"{r.share_confident:.0%} confident, {r.share_multi:.0%} multi"
                              for r in oat.itertuples()) + ".")
        if oat["share_confident"].max() < target_share:
            first += (f" No trigger alone lets {target_share:.0%} of the provinces reach "
                      f"{confident:g}: the low confidence is not the product of stacking four "
                      "sources of uncertainty.")
    close = np.median(gap) <= close_places
    second = ("The pillars are close" if close else "The pillars are not especially close")
    second += (f": in the published specification a province's best pillar ranks a median "
               f"{np.median(gap):.1f} places above its second best among the {len(gap)} provinces "
               f"({float((gap <= close_places).mean()):.0%} within {close_places} places)")
    second += (", so a choice that moves a province by a few places in one pillar changes its "
               "lead. " if close else ". ")
    if len(top2):
        second += (f"For the {int(multi.sum())} multi provinces the two most frequent leaders win "
                   f"a median {np.median(top2):.0%} of the draws: a contest between two pillars, "
                   "not an absence of profile (model_profile names the pair). ")
    second += ("Pillar scores correlate across provinces (mean within-year Spearman "
               + ", ".join(f"{a}-{b} {r:.2f}" for r, a, b in pairs[:2])
               + "): a province strong in one tends to be strong in the other. The majority "
               f"({rules['majority']:.3g}), the {rules['smooth_years']}-year temporal rule and "
               "the draw design were fixed before these results and are not tuned to the targets.")
    lines = [first, second]
    return table, lines
