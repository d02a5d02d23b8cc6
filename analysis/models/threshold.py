"""Hansen (1999) fixed-effect panel threshold regression (single, double, triple thresholds).

Written by us (no maintained Python implementation exists); numbers follow Hansen (1999) and
Stata's ``xthreg`` (Wang 2015). The public entry point is :func:`hansen_threshold`.

Model (one regime-dependent regressor ``x``, threshold variable ``q``, ``m`` thresholds
``γ_1 < … < γ_m``, regimes ``R_0 = (-∞, γ_1]``, ``R_j = (γ_j, γ_{j+1}]``, ``R_m = (γ_m, ∞)``)::

    y_it = μ_i + z_it'β + Σ_j θ_j x_it 1{q_it ∈ R_j} + e_it

Estimation is by least squares after the within (entity-demeaning) transformation, the thresholds
by grid search minimising the sum of squared residuals S(γ) (Hansen 1999, eqs. 6-10).

Speed: the fixed regressors are partialled out once per step. With ``W`` the within-transformed
regressors of the null model and ``e = M_W y`` its residuals, adding the split at γ adds the single
column ``v(γ) = x·1{a < q ≤ γ}`` (``a`` the next fixed threshold below γ), whose within transform
is ``z(γ)``; then (Frisch-Waugh-Lovell)::

    S(γ) = e'e − (v(γ)'e)² / (z(γ)' M_W z(γ))

so the whole grid costs a few matrix products, and the bootstrap (whose statistic depends on the
data only through ``M_W e*``) evaluates all replications × grid points as one product.
The triple-threshold test with 300 replications per step on Hansen's data takes well under 2 s
(``benchmarks/bench_threshold.py``).

Reproduction (tests/test_threshold.py, Hansen data from xthreg's ``hansen1999.dta``):
γ̂_1 = 0.0157 as published (Hansen 1999, Table 2), also after refinement. The second threshold is
0.5407, not the published 0.5362: the published value (0.53616) is the adjacent point of the same
grid and loses by ΔS = 0.0016 (LR = 0.67, inside the 95% confidence set) on this copy of the data;
we could not obtain Hansen's original data file or xthreg's printed output to tell whether the
data or the search differ. S_0 = 17.8611, S_1 = 17.7817, S_2 = 17.7251, S_3 = 17.7120.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analysis.models.results import ModelResult

__all__ = ["ThresholdResult", "hansen_threshold", "lr_critical_value", "threshold_grid"]

Sigma2 = Literal["hansen", "xthreg"]
Balance = Literal["error", "drop"]


def lr_critical_value(level: float = 0.95) -> float:
    """Critical value of the likelihood-ratio statistic for a threshold confidence set.

    ``c(α) = −2 ln(1 − √(1 − α))`` with ``α = 1 − level`` (Hansen 2000, Econometrica 68, eq. 13;
    Hansen 1999, eq. 14). ``level = 0.95`` gives 7.3523, 0.90 gives 5.9395, 0.99 gives 10.5916 (Hansen 2000, Table 1: 5.94, 7.35, 10.59).

    Parameters
    ----------
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    float
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    alpha = 1.0 - level
    return float(-2.0 * np.log(1.0 - np.sqrt(1.0 - alpha)))


def threshold_grid(q: np.ndarray, grid: int = 400, trim: float = 0.01) -> np.ndarray:
    """Hansen's candidate thresholds: quantiles ``trim … 1 − trim`` of the unique values of ``q``.

    With ``u_(1) < … < u_(U)`` the sorted distinct values of ``q``, the quantile levels are
    ``p_j = trim + j / grid`` for ``j = 0, …, ⌊grid (1 − 2 trim)⌋`` and the candidate is
    ``u_(⌊p_j U⌋)`` (1-based). With ``grid=400, trim=0.01`` these are the 393 quantiles
    {1.00%, 1.25%, …, 99.00%} searched in Hansen (1999, Section 6); taking them over the distinct
    values (not over all observations, which on the Hansen data repeat 0 hundreds of times) is what
    reproduces his γ̂_1 = 0.0157. ``grid`` plays the role of ``xthreg``'s ``grid()``.

    Parameters
    ----------
    q : array (nobs,)
        Threshold variable, all observations.
    grid : int
        Number of quantile points per unit interval (400 in Hansen 1999).
    trim : float
        Quantile trimmed at each end, in [0, 0.5).

    Returns
    -------
    numpy.ndarray
        Sorted distinct candidate thresholds (at most ``⌊grid (1 − 2 trim)⌋ + 1``).
    """
    if grid < 1:
        raise ValueError(f"grid must be a positive integer, got {grid!r}")
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim!r}")
    u = np.unique(np.asarray(q, dtype=float))
    U = u.size
    j = np.arange(int(np.floor(grid * (1 - 2 * trim) + 1e-9)) + 1)
    p = trim + j / grid
    idx = np.clip(np.floor(p * U + 1e-9).astype(int), 1, U) - 1
    return np.unique(u[idx])


@dataclass(repr=False)
class ThresholdResult(ModelResult):
    """Result of :func:`hansen_threshold` (a :class:`ModelResult` with threshold statistics).

    Attributes
    ----------
    thresholds : list of float
        Estimated thresholds of the fitted model, ascending (the refined estimates γ̂_1^r, γ̂_2^r
        for two thresholds; plus γ̂_3 for three).
    f_stats, p_values : list of float
        Threshold-effect tests in sequence: F_1 (0 vs 1 threshold), F_2 (1 vs 2), F_3 (2 vs 3), and
        their bootstrap p-values (NaN when ``bootstrap=0``).
    crit_values : pandas.DataFrame
        Bootstrap critical values, rows ``F1…``, columns ``crit10``, ``crit5``, ``crit1``.
    ssr : dict
        ``{0: S_0, 1: S_1(γ̂_1), 2: S_2(γ̂_1^r, γ̂_2^r), 3: S_3(…)}``.
    tests : pandas.DataFrame
        xthreg's ``e(Fstat)`` table: ``RSS``, ``MSE``, ``Fstat``, ``Prob``, ``Crit10``, ``Crit5``,
        ``Crit1`` per test (``Single``, ``Double``, ``Triple``).
    estimates : pandas.DataFrame
        xthreg's ``e(Thrss)`` table: one row per estimate (``Th-1``, ``Th-21``, ``Th-22``,
        ``Th-3``) with ``threshold``, ``ssr``, ``lower``, ``upper`` (LR confidence set bounds).
    conf_ints : list of tuple
        LR confidence interval ``(lower, upper)`` for each entry of ``thresholds``.
    lr : dict
        LR statistic over the grid for each estimate: name -> DataFrame ``threshold``, ``lr``.
    regime : pandas.Series
        Regime (0 … m) of each observation, indexed like the (balanced, sorted) estimation sample.
    bootstrap_f : dict
        Bootstrap replications of each F statistic (``{1: array, 2: …}``).
    sigma2 : str
        Error-variance convention used (``"hansen"`` or ``"xthreg"``).
    """

    thresholds: list[float] = field(default_factory=list)
    f_stats: list[float] = field(default_factory=list)
    p_values: list[float] = field(default_factory=list)
    crit_values: pd.DataFrame | None = None
    ssr: dict[int, float] = field(default_factory=dict)
    tests: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    conf_ints: list[tuple[float, float]] = field(default_factory=list)
    lr: dict[str, pd.DataFrame] = field(default_factory=dict)
    regime: pd.Series | None = None
    bootstrap_f: dict[int, np.ndarray] = field(default_factory=dict)
    sigma2: str = "hansen"

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()

    def summary(self) -> str:
        """Coefficient table followed by the threshold estimates and the F tests."""
        out = [super().summary(), "", "Thresholds:"]
        if self.estimates is not None:
            out.append(self.estimates.to_string(float_format=lambda v: f"{v:.4f}"))
        if self.tests is not None:
            out += ["", "Threshold-effect tests:",
                    self.tests.to_string(float_format=lambda v: f"{v:.4f}")]
        return "\n".join(out)


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


def _prepare(data, y, x, rx, q, entity, time, balance, notes):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(x, str):
        x = [x]
    x = list(x)
    cols = [y, *x, rx, q, entity, time]
    missing = [c for c in dict.fromkeys(cols) if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    if balance not in ("error", "drop"):
        raise ValueError(f"balance must be 'error' or 'drop', got {balance!r}")
    df = data[list(dict.fromkeys(cols))].copy()
    if df[[entity, time]].isna().any().any():
        raise ValueError(f"{entity!r}/{time!r} contain missing values")
    dup = df.duplicated([entity, time])
    if dup.any():
        first = df.loc[dup, [entity, time]].head(5).to_records(index=False).tolist()
        raise ValueError(f"duplicate ({entity}, {time}) pairs, e.g. {first}")
    num = list(dict.fromkeys([y, *x, rx, q]))
    for c in num:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise TypeError(f"column {c!r} is not numeric (dtype {df[c].dtype})")
    nan_rows = df[num].isna().any(axis=1)
    if nan_rows.any():
        bad = {c: int(df[c].isna().sum()) for c in num if df[c].isna().any()}
        if balance == "error":
            ex = df.loc[nan_rows, [entity, time]].head(5).to_records(index=False).tolist()
            raise ValueError(
                f"missing values in {bad} (e.g. at ({entity}, {time}) = {ex}); drop them first or "
                "pass balance='drop' to keep the balanced subset of complete entities"
            )
        notes.append(f"dropped {int(nan_rows.sum())} rows with missing values {bad}")
        df = df.loc[~nan_rows]
    ent = np.sort(df[entity].unique())
    per = np.sort(df[time].unique())
    if len(df) != ent.size * per.size:
        full = pd.MultiIndex.from_product([ent, per], names=[entity, time])
        have = pd.MultiIndex.from_frame(df[[entity, time]])
        miss = full.difference(have)
        if balance == "error":
            shown = miss[:20].tolist()
            more = f" … and {len(miss) - 20} more" if len(miss) > 20 else ""
            raise ValueError(
                f"the panel threshold model needs a balanced panel: {len(miss)} (entity, time) "
                f"cells missing: {shown}{more}; pass balance='drop' to keep the balanced subset"
            )
        bad_ent = pd.Index(miss.get_level_values(0)).unique()
        df = df[~df[entity].isin(bad_ent)]
        notes.append(
            f"balance='drop': removed {bad_ent.size} entities with missing periods "
            f"({len(miss)} missing cells)"
        )
        if df.empty:
            raise ValueError("no entity is observed in every period: the balanced subset is empty")
    df = df.sort_values([entity, time]).reset_index(drop=True)
    return df, x


def _within(a: np.ndarray, N: int, T: int) -> np.ndarray:
    """Entity demeaning of an (N*T,) or (N*T, k) array sorted by entity then time."""
    s = a.reshape(N, T, -1)
    return (s - s.mean(axis=1, keepdims=True)).reshape(a.shape)


# --------------------------------------------------------------------------------------------
# core search
# --------------------------------------------------------------------------------------------


@dataclass
class _Step:
    """Null model W (within-transformed) and the candidate split columns for one search."""

    W: np.ndarray  # n x k (within)
    WtW_inv: np.ndarray
    cand: np.ndarray  # G candidate thresholds
    V: np.ndarray  # n x G raw split columns v(γ) (not demeaned)
    d: np.ndarray  # G: z' M_W z


class _Panel:
    def __init__(self, yv, X, r, q, N, T):
        self.N, self.T = N, T
        self.n = N * T
        self.y = _within(yv, N, T)
        self.Xd = _within(X, N, T) if X.shape[1] else X
        self.r = r
        self.q = q
        self.qsorted = np.sort(q)

    def regime_columns(self, fixed: Sequence[float]) -> np.ndarray:
        edges = [-np.inf, *sorted(fixed), np.inf]
        cols = [self.r * ((self.q > lo) & (self.q <= hi)) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        return np.column_stack(cols)

    def design(self, fixed: Sequence[float]) -> np.ndarray:
        return np.column_stack([self.Xd, _within(self.regime_columns(fixed), self.N, self.T)])

    def count_le(self, g):
        return np.searchsorted(self.qsorted, g, side="right")

    def step(self, fixed: Sequence[float], grid_values: np.ndarray, min_obs: int) -> _Step:
        W = self.design(fixed)
        WtW = W.T @ W
        if np.linalg.matrix_rank(WtW) < W.shape[1]:
            raise ValueError(
                "regressors are collinear after the within transformation (a regressor absorbed "
                "by the entity fixed effects, or a regime with no variation in the regime-"
                "dependent regressor)"
            )
        WtW_inv = np.linalg.inv(WtW)
        fx = np.array(sorted(fixed), dtype=float)
        cand = np.setdiff1d(grid_values, fx)
        # trimming: each of the two regimes created by the split keeps >= min_obs observations
        edges = np.concatenate([[-np.inf], fx, [np.inf]])
        pos = np.searchsorted(fx, cand, side="left")  # regime index of candidate
        lo, hi = edges[pos], edges[pos + 1]
        c_lo = np.where(np.isfinite(lo), self.count_le(lo), 0)
        c_hi = np.where(np.isfinite(hi), self.count_le(hi), self.n)
        c_g = self.count_le(cand)
        ok = (c_g - c_lo >= min_obs) & (c_hi - c_g >= min_obs)
        cand, lo = cand[ok], lo[ok]
        if cand.size == 0:
            raise ValueError(
                f"no admissible threshold: every candidate leaves a regime with fewer than "
                f"{min_obs} observations (reduce trim or n_thresholds)"
            )
        qcol = self.q[:, None]
        V = self.r[:, None] * ((qcol > lo[None, :]) & (qcol <= cand[None, :]))
        Vs = V.reshape(self.N, self.T, -1).sum(axis=1)  # N x G entity sums
        zz = np.einsum("ij,ij->j", V, V) - (Vs * Vs).sum(axis=0) / self.T
        WV = W.T @ V
        d = zz - np.einsum("ij,ij->j", WV, WtW_inv @ WV)
        return _Step(W=W, WtW_inv=WtW_inv, cand=cand, V=V, d=d)

    def ssr_path(self, st: _Step, yd: np.ndarray):
        """SSR of the null model and of each candidate split, for y (n,) or replications (n, B)."""
        e = yd - st.W @ (st.WtW_inv @ (st.W.T @ yd))
        s0 = np.einsum("i...,i...->...", e, e)
        num = st.V.T @ e
        d = st.d if e.ndim == 1 else st.d[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(d > 1e-12 * max(float(np.max(np.abs(st.d))), 1e-300), num * num / d, 0.0)
        return s0, s0 - gain, e


# --------------------------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------------------------


def _per_step(value, m, name, cast):
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        return [cast(value)] * m
    vals = [cast(v) for v in value]
    if len(vals) != m:
        raise ValueError(f"{name} has {len(vals)} entries, n_thresholds is {m}")
    return vals


def hansen_threshold(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    rx: str,
    q: str,
    entity: str,
    time: str,
    *,
    n_thresholds: int = 1,
    grid: int = 400,
    trim: float | Sequence[float] = 0.01,
    bootstrap: int | Sequence[int] = 300,
    seed: int | None = None,
    sigma2: Sigma2 = "hansen",
    level: float = 0.95,
    balance: Balance = "error",
    time_effects: bool = False,
    batch: int = 250,
) -> ThresholdResult:
    """Fixed-effect panel threshold regression of Hansen (1999), with bootstrap threshold tests.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced panel in long form (nobs = N × T rows).
    y : str
        Dependent variable.
    x : list of str
        Regime-independent regressors (``xthreg``'s indepvars); may include ``q``.
    rx : str
        Regime-dependent regressor (``xthreg``'s ``rx()``).
    q : str
        Threshold variable (``xthreg``'s ``qx()``).
    entity, time : str
        Panel identifiers (the fixed effect is the entity's).
    n_thresholds : {1, 2, 3}
        Number of thresholds to estimate and test sequentially.
    grid : int
        Number of quantile points (``xthreg``'s ``grid()``; Hansen used 400), see
        :func:`threshold_grid`.
    trim : float or list of float
        Trimming fraction per threshold (``xthreg``'s ``trim()``): the grid for step k runs over
        the quantiles in [trim_k, 1 − trim_k], and each regime created by a split must keep at
        least ``ceil(trim_k × nobs)`` observations.
    bootstrap : int or list of int
        Bootstrap replications per test (``xthreg``'s ``bs()``); 0 skips the bootstrap (p-values
        and critical values NaN).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`; same seed, same numbers.
    sigma2 : {"hansen", "xthreg"}
        Degrees of freedom of the error variance used in the F and LR statistics:
        ``"hansen"``: σ̂² = S / (N (T − 1)) (Hansen 1999, eq. 9, the residual variance after the
        within transformation with T − 1 degrees of freedom per entity); ``"xthreg"``:
        σ̂² = S / (N T), our reading of the ``MSE`` column of ``xthreg``'s test table (RSS over
        the number of stacked observations). NOT verified: xthreg's compiled Mata source and a
        printed xthreg run on the Hansen data were not available to us; check against a Stata
        run (``e(Fstat)``) before relying on it. The two F statistics differ by the factor
        T/(T − 1); thresholds, SSR and coefficients do not depend on the choice.
    level : float
        Confidence level of the LR confidence sets (``xthreg``'s ``thlevel()``/100).
    balance : {"error", "drop"}
        ``"error"`` raises on missing values or missing (entity, time) cells and lists them;
        ``"drop"`` drops rows with missing values and then every entity not observed in all
        periods (the balanced subset), with a note.
    time_effects : bool
        Add time dummies to the regime-independent regressors (not in Hansen 1999 or ``xthreg``,
        which use entity effects only).
    batch : int
        Bootstrap replications evaluated per matrix product (memory ~ 8·nobs·batch bytes).

    Returns
    -------
    ThresholdResult
        ``thresholds``, ``f_stats``, ``p_values``, ``crit_values``, ``ssr``, ``tests``,
        ``estimates``, ``conf_ints``, ``lr``, ``regime`` and the regime coefficients (``params``
        named ``<rx>_r0`` … ``<rx>_r<m>``, regime j being ``(γ_j, γ_{j+1}]``) with entity-
        clustered standard errors.

    Raises
    ------
    KeyError
        A named column is not in ``data``.
    ValueError
        Unbalanced panel or missing values (with ``balance="error"``), duplicate (entity, time)
        pairs, a constant threshold variable, a regressor without within variation (absorbed by
        the fixed effect), too few observations per regime, bad option values.

    Notes
    -----
    **Estimation** (Hansen 1999, Sections 2-4). Every variable is within-transformed; for given
    thresholds the slopes are OLS on the transformed data, and S(γ) is its SSR. Thresholds are
    estimated sequentially: γ̂_1 = argmin S_1(γ); γ̂_2^r = argmin_γ S(γ̂_1, γ); then the refinement
    step γ̂_1^r = argmin_γ S(γ, γ̂_2^r) (Hansen 1999, Section 4, after Bai 1997); γ̂_3 =
    argmin_γ S(γ̂_1^r, γ̂_2^r, γ). Regime j covers ``γ_j < q ≤ γ_{j+1}``.

    **Tests.** F_1 = (S_0 − S_1)/σ̂_1², F_2 = (S_1 − S_2^r)/σ̂_2² with S_2^r = S(γ̂_1, γ̂_2^r),
    F_3 = (S(γ̂_1^r, γ̂_2^r) − S_3)/σ̂_3², σ̂_k² from the alternative's SSR (see ``sigma2``).
    p-values by Hansen's bootstrap: the regressors and q held fixed, the residual vectors of the
    null model (k − 1 thresholds, the earlier thresholds fixed at their estimates) resampled as
    whole entities with replacement, y* = fitted null + e*, and the F statistic recomputed with a
    full grid search; p = share of bootstrap F ≥ observed F. Critical values are the 90/95/99%
    quantiles of the bootstrap F.

    **Confidence sets.** LR(γ) = (S(γ) − S(γ̂))/σ̂² over the grid, with the other thresholds held
    at their estimates; the set {γ : LR(γ) ≤ c(α)}, c(α) = −2 ln(1 − √(1 − α))
    (:func:`lr_critical_value`), is reported by its smallest and largest grid point.

    **Coefficients.** OLS on the within-transformed data at the estimated thresholds; covariance
    clustered by entity, ``(X'X)^{-1} Σ_g X_g'u_g u_g'X_g (X'X)^{-1} · G/(G−1) · (n−1)/(n−K)``
    with K the number of slopes plus one (Stata's ``xtreg, fe vce(cluster id)``, which ``xthreg``
    runs at the estimated thresholds); t inference with G − 1 degrees of freedom.

    References
    ----------
    Hansen, B. E. (1999). Threshold effects in non-dynamic panels: Estimation, testing, and
    inference. Journal of Econometrics 93(2), 345-368.
    Hansen, B. E. (2000). Sample splitting and threshold estimation. Econometrica 68(3), 575-603.
    Wang, Q. (2015). Fixed-effect panel threshold model using Stata. Stata Journal 15(1), 121-134.
    """
    if n_thresholds not in (1, 2, 3):
        raise ValueError(f"n_thresholds must be 1, 2 or 3, got {n_thresholds!r}")
    if sigma2 not in ("hansen", "xthreg"):
        raise ValueError(f"sigma2 must be 'hansen' or 'xthreg', got {sigma2!r}")
    if rx in (x if not isinstance(x, str) else [x]):
        raise ValueError(f"the regime-dependent regressor {rx!r} is also listed in x")
    m = n_thresholds
    trims = _per_step(trim, m, "trim", float)
    reps = _per_step(bootstrap, m, "bootstrap", int)
    if any(b < 0 for b in reps):
        raise ValueError(f"bootstrap replications must be >= 0, got {reps}")
    if batch < 1:
        raise ValueError("batch must be >= 1")
    notes: list[str] = []
    df, x = _prepare(data, y, x, rx, q, entity, time, balance, notes)
    N = df[entity].nunique()
    T = df[time].nunique()
    if T < 2:
        raise ValueError("the panel needs at least two periods")
    n = N * T
    yv = df[y].to_numpy(dtype=float)
    qv = df[q].to_numpy(dtype=float)
    rv = df[rx].to_numpy(dtype=float)
    X = df[x].to_numpy(dtype=float) if x else np.empty((n, 0))
    xnames = list(x)
    if time_effects:
        dums = pd.get_dummies(df[time], prefix=str(time), drop_first=True, dtype=float)
        X = np.column_stack([X, dums.to_numpy()])
        xnames += list(dums.columns)
    if np.ptp(qv) == 0:
        raise ValueError(f"threshold variable {q!r} is constant ({qv[0]!r}): no threshold to estimate")
    for name, col in [(y, yv), (rx, rv), *zip(xnames, X.T, strict=True)]:
        s = col.reshape(N, T)
        if np.all(np.ptp(s, axis=1) == 0):
            raise ValueError(
                f"{name!r} does not vary within any {entity}: it is absorbed by the fixed effects"
            )
    panel = _Panel(yv, X, rv, qv, N, T)
    denom = n * (T - 1) / T if sigma2 == "hansen" else n  # N (T-1)  or  N T
    rng = np.random.default_rng(seed)
    min_obs = [max(1, int(np.ceil(t * n - 1e-9))) for t in trims]
    grids = [threshold_grid(qv, grid, t) for t in trims]

    def search(fixed, k):
        st = panel.step(fixed, grids[k], min_obs[k])
        s0, s, e = panel.ssr_path(st, panel.y)
        j = int(np.argmin(s))  # first minimiser = smallest γ among ties
        return st, float(s0), s, float(s[j]), float(st.cand[j]), e

    def lr_frame(st, s, smin):
        s2 = smin / denom
        return pd.DataFrame({"threshold": st.cand, "lr": (s - smin) / s2})

    def conf(lrf):
        c = lr_critical_value(level)
        inside = lrf.loc[lrf["lr"] <= c, "threshold"]
        return float(inside.min()), float(inside.max())

    def boot(st, e_null, F, B):
        if B == 0:
            return np.full(0, np.nan)
        E = e_null.reshape(N, T)
        out = []
        for start in range(0, B, batch):
            b = min(batch, B - start)
            idx = rng.integers(0, N, size=(b, N))
            Es = E[idx].reshape(b, n).T  # n x b, whole-entity residual vectors
            s0b, sb, _ = panel.ssr_path(st, Es)
            smin = sb.min(axis=0)
            out.append((s0b - smin) / (smin / denom))
        return np.concatenate(out)

    tests_rows, est_rows, lr_dict, fstats, pvals, crits, ssr, fboot = [], [], {}, [], [], [], {}, {}

    def record_test(k, s_null, s_alt, st, e_null):
        F = (s_null - s_alt) / (s_alt / denom)
        Fb = boot(st, e_null, F, reps[k])
        p = float(np.mean(Fb >= F)) if Fb.size else np.nan
        cv = np.quantile(Fb, [0.90, 0.95, 0.99]) if Fb.size else np.full(3, np.nan)
        fstats.append(float(F))
        pvals.append(p)
        crits.append(cv)
        fboot[k + 1] = Fb
        tests_rows.append([s_alt, s_alt / denom, F, p, *cv])

    def record_est(name, st, s, smin, g):
        lrf = lr_frame(st, s, smin)
        lr_dict[name] = lrf
        lo, hi = conf(lrf)
        est_rows.append((name, g, smin, lo, hi))
        return lo, hi

    # step 1 ---------------------------------------------------------------------------------
    st1, s0, s1path, S1, g1, e0 = search([], 0)
    ssr[0] = s0
    ssr[1] = S1
    ci1 = record_est("Th-1", st1, s1path, S1, g1)
    record_test(0, s0, S1, st1, e0)
    thresholds, cis = [g1], [ci1]
    if m >= 2:
        st2, S1chk, s2path, S2r, g2, e1 = search([g1], 1)
        # refinement: re-estimate γ1 given γ2
        st21, _, s21path, S21, g1r, _ = search([g2], 0)
        ci21 = record_est("Th-21", st21, s21path, S21, g1r)
        ci22 = record_est("Th-22", st2, s2path, S2r, g2)
        record_test(1, S1chk, S2r, st2, e1)
        ssr[2] = S21
        pairs = sorted([(g1r, ci21), (g2, ci22)])
        thresholds = [p[0] for p in pairs]
        cis = [p[1] for p in pairs]
    if m == 3:
        st3, S2chk, s3path, S3, g3, e2 = search([g1r, g2], 2)
        ci3 = record_est("Th-3", st3, s3path, S3, g3)
        record_test(2, S2chk, S3, st3, e2)
        ssr[3] = S3
        pairs = sorted([*zip(thresholds, cis, strict=True), (g3, ci3)])
        thresholds = [p[0] for p in pairs]
        cis = [p[1] for p in pairs]

    names = ["Single", "Double", "Triple"][:m]
    tests = pd.DataFrame(tests_rows, index=names,
                         columns=["RSS", "MSE", "Fstat", "Prob", "Crit10", "Crit5", "Crit1"])
    estimates = pd.DataFrame(est_rows, columns=["model", "threshold", "ssr", "lower", "upper"]
                             ).set_index("model")
    crit_values = pd.DataFrame(crits, index=[f"F{k + 1}" for k in range(m)],
                               columns=["crit10", "crit5", "crit1"])

    # final regression at the estimated thresholds ---------------------------------------------
    R = panel.regime_columns(thresholds)
    Z = np.column_stack([panel.Xd, _within(R, N, T)])
    rnames = [f"{rx}_r{j}" for j in range(R.shape[1])]
    cnames = xnames + rnames
    ZtZ_inv = np.linalg.inv(Z.T @ Z)
    beta = ZtZ_inv @ (Z.T @ panel.y)
    u = panel.y - Z @ beta
    scores = (Z * u[:, None]).reshape(N, T, -1).sum(axis=1)
    K = Z.shape[1] + 1
    adj = N / (N - 1) * (n - 1) / (n - K)
    V = adj * ZtZ_inv @ (scores.T @ scores) @ ZtZ_inv
    se = np.sqrt(np.diag(V))
    ssr_final = float(u @ u)
    tss = float(panel.y @ panel.y)
    regime = pd.Series(np.searchsorted(np.array(thresholds), qv, side="left"),
                       index=pd.MultiIndex.from_frame(df[[entity, time]]), name="regime")
    edges = [-np.inf, *thresholds, np.inf]
    for j in range(len(thresholds) + 1):
        notes.append(f"regime {j} ({rnames[j]}): {edges[j]:.6g} < {q} <= {edges[j + 1]:.6g}, "
                     f"{int((regime == j).sum())} obs")
    if m >= 2:
        notes.append(f"first-stage (unrefined) single threshold {g1:.6g}; refined {g1r:.6g}")

    res = ThresholdResult(
        params=pd.Series(beta, index=cnames, name="params"),
        std_errors=pd.Series(se, index=cnames, name="std_errors"),
        nobs=n,
        depvar=y,
        model="threshold",
        n_groups=N,
        dof=float(N - 1),
        r2_within=1 - ssr_final / tss,
        fixed_effects=[entity],
        cluster=entity,
        vcov_type="cluster-robust by entity, G/(G-1)·(n-1)/(n-K) (Stata xtreg, fe vce(cluster))",
        notes=notes,
        extra={"thresholds": ", ".join(f"{g:.4f}" for g in thresholds),
               **{f"F{k + 1}": fstats[k] for k in range(m)},
               **{f"F{k + 1} p": pvals[k] for k in range(m)}},
        thresholds=[float(g) for g in thresholds],
        f_stats=fstats,
        p_values=pvals,
        crit_values=crit_values,
        ssr=ssr,
        tests=tests,
        estimates=estimates,
        conf_ints=cis,
        lr=lr_dict,
        regime=regime,
        bootstrap_f=fboot,
        sigma2=sigma2,
    )
    # fields added to ModelResult by the tables layer (set as attributes so either version works)
    res.vcov = pd.DataFrame(V, index=cnames, columns=cnames)
    res.n_clusters = N
    return res
