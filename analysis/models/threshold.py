"""Hansen (1999) fixed-effect panel threshold regression (single, double, triple thresholds).

Written by us (no maintained Python implementation exists); numbers follow Hansen (1999) and
Stata's ``xthreg`` (Wang 2015). The public entry point is :func:`hansen_threshold`.

Model (one regime-dependent regressor ``x``, threshold variable ``q``, ``m`` thresholds
``γ_1 < … < γ_m``, regimes ``R_0 = (-∞, γ_1)``, ``R_j = [γ_j, γ_{j+1})``, ``R_m = [γ_m, ∞)`` as in
Hansen's code; ``(-∞, γ_1]``, ``(γ_j, γ_{j+1}]``, ``(γ_m, ∞)`` under ``convention="within"``)::

    y_it = μ_i + z_it'β + Σ_j θ_j x_it 1{q_it ∈ R_j} + e_it

Estimation is by least squares after the within (entity-demeaning) transformation, the thresholds
by grid search minimising the sum of squared residuals S(γ) (Hansen 1999, eqs. 6-10).

Two conventions (``convention=``, details in :func:`hansen_threshold`):

* ``"hansen"`` (default) follows Hansen's replication code (thresh_p.R / thresh.prg): demeaned
  data with the last period of each entity deleted (N (T − 1) rows, the paper's "one time period
  deleted"), lower regime ``q < γ``, second-step candidates trimmed by grid position, and a
  bootstrap that re-estimates all thresholds in each replication. It reproduces the published
  γ̂_1 = 0.0157 and γ̂_2 = 0.5362 (Hansen 1999; xthreg's documented example).
* ``"within"`` is the textbook FE least squares on all N T demeaned rows (regime ``q ≤ γ``,
  trimming by observation counts, earlier thresholds fixed in the bootstrap). It gives
  γ̂_1 = 0.0157 but γ̂_2 = 0.5407 on the same data: the deleted period changes the weights and
  reverses the order of the two neighbouring grid points (S = 16.459980 at 0.53616 vs 16.461594
  at 0.54072 on Hansen's 7,345 rows; 17.726758 vs 17.725134 on all 7,910 rows).

Speed: the fixed regressors are partialled out once per step. With ``W`` the transformed
regressors of the null model and ``e = M_W y`` its residuals, adding the threshold γ adds one
column ``z(γ)`` (the transformed ``x·1{q < γ}``); then (Frisch-Waugh-Lovell)::

    S(γ) = e'e − (z(γ)'e)² / (z(γ)' M_W z(γ))

and every cross product is a block of the Gram matrix of ``[W_0, z(γ_1), …, z(γ_G)]``, so the whole
grid costs a few small matrix products and the bootstrap (all replications × grid points) one
product per batch. The triple-threshold test with 300 replications per step on Hansen's data
takes about 0.5 s (``benchmarks/bench_threshold.py``).

Reproduction on Hansen's data (tests/test_threshold.py, numbers in tests/results/hansen1999.py,
data = xthreg's ``hansen1999.dta``): ``convention="hansen"`` gives γ̂_1 = 0.0157 (also refined),
γ̂_2 = 0.5362 and, with trim 0.05, γ̂_3 = 0.3313; S_0 … S_3 = 16.5912, 16.5178, 16.4600, 16.4506
(7,345 rows). xthreg's Mata code is compiled (not inspected); its agreement with the
``"hansen"`` search rests on the published example value Th-22 = 0.5362, not on a Stata run.
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
Convention = Literal["hansen", "within"]
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


def threshold_grid(q: np.ndarray, grid: int = 400, trim: float = 0.01, *,
                   unique: bool = True) -> np.ndarray:
    """Hansen's candidate thresholds: quantiles ``trim … 1 − trim`` of the distinct values of ``q``.

    With ``u_(1) < … < u_(U)`` the sorted distinct values of ``q``, the quantile levels are
    ``p_j = trim + j / grid`` for ``j = 0, …, ⌊grid (1 − 2 trim)⌋`` and the candidate is
    ``u_(⌊p_j U⌋)`` (1-based) — Hansen's code: ``dd = sort(unique(thresh))``,
    ``sq = seq(trim_1, trim_1 + (qn − 2 qn trim_1)/qn, by = 1/qn)``, ``qq1 = dd[floor(sq·rows(dd))]``
    (thresh_p.R, Hansen 1999 replication files). With ``grid=400, trim=0.01`` these are the 393
    quantiles {1.00%, 1.25%, …, 99.00%} searched in Hansen (1999, Section 6). Taking them over the
    distinct values (not over all observations, which on the Hansen data repeat 0 hundreds of
    times) is what reproduces his γ̂_1 = 0.0157. ``grid`` plays the role of ``xthreg``'s
    ``grid()``.

    Parameters
    ----------
    q : array (nobs,)
        Threshold variable, all observations.
    grid : int
        Number of quantile points per unit interval (400 in Hansen 1999).
    trim : float
        Quantile trimmed at each end, in [0, 0.5).
    unique : bool
        Drop repeated candidates (default). ``False`` keeps the ``⌊grid (1 − 2 trim)⌋ + 1``
        points with repeats, as Hansen's code does when ``q`` has fewer distinct values than
        grid points (his second-step trimming counts positions in this list).

    Returns
    -------
    numpy.ndarray
        Sorted candidate thresholds.
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
    return np.unique(u[idx]) if unique else u[idx]


@dataclass(repr=False)
class ThresholdResult(ModelResult):
    """Result of :func:`hansen_threshold` (a :class:`ModelResult` with threshold statistics).

    Attributes
    ----------
    thresholds : list of float
        Estimated thresholds of the fitted model, ascending (the refined γ̂_1^r and γ̂_2 for two
        thresholds; plus γ̂_3 for three).
    f_stats, p_values : list of float
        Threshold-effect tests in sequence: F_1 (0 vs 1 threshold), F_2 (1 vs 2), F_3 (2 vs 3), and
        their bootstrap p-values (NaN when ``bootstrap=0``).
    crit_values : pandas.DataFrame
        Bootstrap critical values, rows ``F1…``, columns ``crit10``, ``crit5``, ``crit1``.
    ssr : dict
        ``{0: S_0, 1: S_1(γ̂_1), 2: S_2(γ̂_1^r, γ̂_2), 3: S_3(γ̂_1^r, γ̂_2, γ̂_3)}``, over the
        transformed rows (N (T − 1) under ``convention="hansen"``, N T under ``"within"``). The
        double test's alternative S(γ̂_1, γ̂_2) (before refinement) is ``tests.loc["Double", "RSS"]``.
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
    convention : str
        Search convention used (``"hansen"`` or ``"within"``), see :func:`hansen_threshold`.
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
    convention: str = "hansen"
    regime_sizes: list[int] = field(default_factory=list)
    trim_bound: int = 0
    time_effects: bool = False

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()

    def interior_verdict(self, max_p: float = 0.10) -> dict:
        """Whether the data support an interior threshold, and why not.

        A threshold is reported only if (a) its bootstrap test rejects linearity at ``max_p``
        (the sequential tests of Hansen 1999, Sect. 4: F_1, then F_2, …) and (b) every regime of
        the fitted model holds more observations than the first trimming fraction guarantees
        (``trim_bound`` = ⌈trim·n⌉): a regime of that size or smaller means the least-squares
        threshold sits on the edge of the admissible grid, where the search was stopped by the
        trimming rule rather than by the data.

        Parameters
        ----------
        max_p : float
            Largest bootstrap p-value accepted as evidence of a threshold (default 0.10).

        Returns
        -------
        dict
            ``verdict`` ("threshold" or "no interior threshold"), ``n_thresholds`` (number of
            thresholds supported, 0 when none), ``reasons`` (list of str), ``regime_sizes``,
            ``trim_bound``, ``p_values``.

        Raises
        ------
        ValueError
            The bootstrap was not run (p-values NaN) or ``max_p`` outside (0, 1).
        """
        if not 0 < max_p < 1:
            raise ValueError(f"max_p must be in (0, 1), got {max_p!r}")
        if not self.p_values or any(not np.isfinite(p) for p in self.p_values[:1]):
            raise ValueError("no bootstrap p-value: fit with bootstrap > 0 to judge the threshold")
        m = 0
        for p in self.p_values:
            if np.isfinite(p) and p <= max_p:
                m += 1
            else:
                break
        reasons = []
        if m == 0:
            reasons.append(f"bootstrap p = {self.p_values[0]:.3f} > {max_p:g} for a single "
                           "threshold")
        small = [j for j, s in enumerate(self.regime_sizes) if s <= self.trim_bound]
        if small:
            reasons.append("regime(s) " + ", ".join(f"{j} ({self.regime_sizes[j]} obs)"
                                                    for j in small)
                           + f" at or below the trimming bound of {self.trim_bound} obs: the "
                           "threshold sits on the edge of the admissible grid")
        ok = m > 0 and not small
        return {"verdict": "threshold" if ok else "no interior threshold",
                "n_thresholds": m if ok else 0, "reasons": reasons,
                "regime_sizes": list(self.regime_sizes), "trim_bound": int(self.trim_bound),
                "p_values": [float(p) for p in self.p_values], "max_p": max_p}

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
    from analysis._validate import check_keys

    check_keys(data, [entity, time], what="hansen_threshold data")
    df = data[list(dict.fromkeys(cols))].copy()
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


def _within(a: np.ndarray, N: int, T: int, drop_last: bool = False) -> np.ndarray:
    """Entity demeaning of an (N*T,) or (N*T, k) array sorted by entity then time.

    ``drop_last=True`` then deletes the last period of every entity (N*(T-1) rows): Hansen's
    transformation (1999, Section 2, "with one time period deleted"; his GAUSS/R code ``tr``).
    """
    s = a.reshape(N, T, -1)
    s = s - s.mean(axis=1, keepdims=True)
    if drop_last:
        s = s[:, : T - 1]
    return s.reshape(-1) if a.ndim == 1 else s.reshape(-1, s.shape[-1])


# --------------------------------------------------------------------------------------------
# core search
# --------------------------------------------------------------------------------------------


@dataclass
class _Step:
    """Null model (columns ``w`` of ``[X0, Z0]``) and its candidate thresholds for one search."""

    w: np.ndarray  # column indices of the null model in A = [X0, Z0]
    WtW_inv: np.ndarray
    WZ: np.ndarray  # k x G: W' z(γ) for every grid point
    cand: np.ndarray  # G' grid indices of the candidates
    d: np.ndarray  # G': z' M_W z of the candidates


class _Panel:
    """Transformed data and the transformed split column of every grid point.

    Adding a threshold at grid point γ to a model whose thresholds are already in ``W`` adds
    the column ``z(γ) = tr(x · 1{q < γ})`` (Hansen's code; ``q ≤ γ`` under ``"within"``):
    the span is that of the regime columns, so one column per grid point serves every step, and
    (Frisch-Waugh-Lovell) ``S(γ) = e'e − (z(γ)'e)² / (z(γ)' M_W z(γ))`` with ``e = M_W y``.
    Every step's cross products are sub-blocks of the Gram matrix of ``A = [X0, Z0]``
    (``X0`` the transformed regime-independent regressors and ``x``), so a search over all
    replications of a bootstrap costs one product ``A'Y*`` and small G × B operations.
    """

    def __init__(self, yv, X, r, q, N, T, gvals, drop_last, strict):
        self.N, self.T, self.drop_last, self.strict = N, T, drop_last, strict
        self.y = _within(yv, N, T, drop_last)
        self.n = self.y.size
        X0 = np.column_stack([_within(X, N, T, drop_last), _within(r, N, T, drop_last)])
        self.k0 = X0.shape[1]
        self.q, self.r, self.gvals = q, r, gvals
        ind = (q[:, None] < gvals[None, :]) if strict else (q[:, None] <= gvals[None, :])
        self.A = np.column_stack([X0, _within(r[:, None] * ind, N, T, drop_last)])
        self.gram = self.A.T @ self.A
        self.zz0 = np.diag(self.gram)[self.k0:]
        self.qsorted = np.sort(q)
        self._cache: dict = {}

    def cols(self, fixed: Sequence[int]) -> np.ndarray:
        return np.concatenate([np.arange(self.k0), self.k0 + np.array(sorted(fixed), dtype=int)])

    def design(self, fixed: Sequence[int]) -> np.ndarray:
        return self.A[:, self.cols(fixed)]

    def count_below(self, g):
        """Observations in the lower regime of a split at value(s) g."""
        return np.searchsorted(self.qsorted, g, side="left" if self.strict else "right")

    def step(self, fixed: Sequence[int], cand: np.ndarray) -> _Step:
        key = (tuple(sorted(fixed)), cand.tobytes())
        if key in self._cache:
            return self._cache[key]
        w = self.cols(fixed)
        WtW = self.gram[np.ix_(w, w)]
        ev = np.linalg.eigvalsh(WtW)
        if ev[0] <= 1e-10 * ev[-1]:
            raise ValueError(
                "regressors are collinear after the within transformation (a regressor absorbed "
                "by the entity fixed effects, or a regime with no variation in the regime-"
                "dependent regressor)"
            )
        WtW_inv = np.linalg.inv(WtW)
        WZ = self.gram[w, self.k0:]
        d = self.zz0[cand] - np.einsum("ij,ij->j", WZ[:, cand], WtW_inv @ WZ[:, cand])
        st = _Step(w=w, WtW_inv=WtW_inv, WZ=WZ, cand=cand, d=d)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = st
        return st

    def cross(self, yd: np.ndarray):
        """``(A'y, y'y)`` for y (n',) or columns (n', B)."""
        return self.A.T @ yd, np.einsum("i...,i...->...", yd, yd)

    def ssr_path(self, st: _Step, Ay: np.ndarray, yy):
        """SSR of the null model and of each candidate split, from ``cross(y)``."""
        Wy = Ay[st.w]
        coef = st.WtW_inv @ Wy
        s0 = yy - np.einsum("i...,i...->...", Wy, coef)
        num = Ay[self.k0:][st.cand] - st.WZ[:, st.cand].T @ coef  # z' M_W y
        d = st.d if Ay.ndim == 1 else st.d[:, None]
        tol = 1e-10 * max(float(np.max(np.abs(st.d))), 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(d > tol, num * num / d, 0.0)
        return s0, s0 - gain

    def residuals(self, st: _Step, yd: np.ndarray) -> np.ndarray:
        W = self.A[:, st.w]
        return yd - W @ (st.WtW_inv @ (W.T @ yd))


def _cand_hansen(G: int, fixed: Sequence[int], qnt: float) -> np.ndarray:
    """Hansen's candidates given fixed thresholds: grid points 'near' a fixed one removed.

    With ``nn`` the number of grid points below a fixed threshold (its 0-based grid index),
    Hansen's code drops the 1-based indices ``i`` with ``nn − qnt ≤ i < nn + qnt``,
    ``qnt = grid × trim`` (``r_est``/``model`` in thresh_p.R): from ``qnt + 1`` points below the
    fixed threshold to ``qnt − 2`` points above it.
    """
    i = np.arange(1, G + 1)
    keep = np.ones(G, dtype=bool)
    for nn in fixed:
        keep &= ~((i >= nn - qnt) & (i < nn + qnt))
    return np.flatnonzero(keep)


def _cand_within(panel: _Panel, fixed: Sequence[int], min_obs: int) -> np.ndarray:
    """Candidates leaving >= min_obs observations in each of the two regimes a split creates."""
    G = panel.gvals.size
    fx = np.array(sorted(fixed), dtype=int)
    cand = np.setdiff1d(np.arange(G), fx)
    pos = np.searchsorted(fx, cand)
    n = panel.q.size
    c_fx = panel.count_below(panel.gvals[fx]) if fx.size else np.empty(0, dtype=int)
    c_lo = np.concatenate([[0], c_fx])[pos]
    c_hi = np.concatenate([c_fx, [n]])[pos]
    c_g = panel.count_below(panel.gvals[cand])
    ok = (c_g - c_lo >= min_obs) & (c_hi - c_g >= min_obs)
    return cand[ok]


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
    convention: Convention = "hansen",
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
        Number of quantile points (``xthreg``'s ``grid()``; Hansen's ``qn = 400``), see
        :func:`threshold_grid`. The grid is built once, from the first trimming fraction.
    trim : float or list of float
        Trimming per threshold (``xthreg``'s ``trim()``; Hansen's ``trim_1 … trim_3``). The first
        sets the grid range [trim_1, 1 − trim_1]; step k's value sets how close a new threshold
        may come to one already estimated (see ``convention``).
    bootstrap : int or list of int
        Bootstrap replications per test (``xthreg``'s ``bs()``); 0 skips the bootstrap (p-values
        and critical values NaN).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`; same seed, same numbers.
    convention : {"hansen", "within"}
        How the search is run (details in Notes). ``"hansen"`` (default) is Hansen's own
        replication code (thresh_p.R / the GAUSS original): it reproduces the published
        γ̂_1 = 0.0157 and γ̂_2 = 0.5362 (Hansen 1999, Section 6) and, we infer, ``xthreg``'s
        documented example (see Notes). ``"within"`` is the textbook least-squares version on
        all N·T demeaned rows, regime ``q ≤ γ``, trimming by observation counts and a bootstrap
        that keeps earlier thresholds at their estimates; on Hansen's data it gives
        γ̂_2 = 0.5407.
    sigma2 : {"hansen", "xthreg"}
        Error variance in the F and LR statistics: ``"hansen"``: σ̂² = S / (N (T − 1)) (Hansen
        1999, eq. 9; his code's ``ty``, so F is his LR statistic); ``"xthreg"``:
        σ̂² = S / (T (N − 1)), INFERRED for the ``MSE`` column of ``xthreg``'s test table from
        a published xthreg log (N = 41, T = 18: RSS 32.2469, MSE 0.0448, i.e. RSS/MSE ∈
        [719.0, 720.6] ∋ T (N − 1) = 720, whereas N T = 738 and N (T − 1) = 697 are excluded;
        a third-party port of xthreg uses the same N T − T). NOT verified on a Stata run:
        xthreg's Mata code is distributed compiled (``lxthreg.mlib``). Only F, MSE and the LR
        sets change; thresholds, SSR and coefficients do not depend on it.
    level : float
        Confidence level of the LR confidence sets (``xthreg``'s ``thlevel()``/100).
    balance : {"error", "drop"}
        ``"error"`` raises on missing values or missing (entity, time) cells and lists them;
        ``"drop"`` drops rows with missing values and then every entity not observed in all
        periods (the balanced subset), with a note.
    time_effects : bool
        Add time dummies to the regime-independent regressors: two-way effects (not in Hansen
        1999 or ``xthreg``, which use entity effects only; with common shocks across provinces,
        e.g. a national business cycle in the threshold variable, entity effects alone let the
        threshold pick up the calendar).
    batch : int
        Bootstrap replications evaluated per matrix product (memory ~ 8·nobs·grid·batch/G bytes).

    Returns
    -------
    ThresholdResult
        ``thresholds``, ``f_stats``, ``p_values``, ``crit_values``, ``ssr``, ``tests``,
        ``estimates``, ``conf_ints``, ``lr``, ``regime`` and the regime coefficients (``params``
        named ``<rx>_r0`` … ``<rx>_r<m>``) with entity-clustered standard errors.

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
    **Model and estimation** (Hansen 1999, Sections 2-4). Thresholds are estimated sequentially
    by minimising the sum of squared residuals S over the grid: γ̂_1 = argmin S_1(γ);
    γ̂_2 = argmin_γ S(γ̂_1, γ); refinement γ̂_1^r = argmin_γ S(γ, γ̂_2) (Hansen 1999, Section 4,
    after Bai 1997); γ̂_3 = argmin_γ S(γ̂_1^r, γ̂_2, γ). The two conventions differ in four
    places:

    ============================ ======================================= ========================
    piece                        ``"hansen"`` (his code)                 ``"within"``
    ============================ ======================================= ========================
    transformation               demean by entity, then delete the last  demean by entity, all
                                 period: N (T − 1) rows (paper Sect. 2,  N T rows (``xtreg,
                                 "one time period deleted"; ``tr``)      fe``)
    lower regime                 ``q < γ``                               ``q ≤ γ``
    step-k candidates            grid minus the positions                grid points leaving
                                 ``nn − qnt ≤ i < nn + qnt`` around      ≥ ⌈trim_k N T⌉ obs in
                                 each estimated threshold (``nn`` its    each regime the split
                                 0-based grid index, ``qnt = grid ×      creates
                                 trim_k``)
    bootstrap of test k          re-estimates thresholds 1 … k           thresholds 1 … k − 1
                                 sequentially in every replication       fixed at the estimates
    ============================ ======================================= ========================

    Deleting a period is not the FE estimator: the residual of the deleted period,
    ``−Σ_{t<T} e_it``, is left out of S, so the weights differ and S is smaller. It is what
    decides γ̂_2 on Hansen's data: with the deleted period S(0.0157, 0.53616) = 16.459980 <
    S(0.0157, 0.54072) = 16.461594 (7,345 rows), while on all 7,910 demeaned rows
    S(0.0157, 0.54072) = 17.725134 < S(0.0157, 0.53616) = 17.726758. The regime rule and the
    candidate sets do not change γ̂_1 or γ̂_2 on these data.

    **Tests.** F_1 = (S_0 − S_1)/σ̂², F_2 = (S_1 − S(γ̂_1, γ̂_2))/σ̂², F_3 = (S(γ̂_1^r, γ̂_2) −
    S_3)/σ̂², σ̂² from the alternative's SSR (``sigma2``); under ``sigma2="hansen"`` F is Hansen's
    LR statistic ``(S_0/S_1 − 1) N (T − 1)``. Bootstrap (Hansen 1999, Section 3.1): the
    transformed regressors held fixed, the residual vectors of the null model (k − 1 thresholds
    at their estimates) resampled as whole entities with replacement, y* = fitted null + e*, and
    the statistic recomputed by grid search (see the table for which thresholds are
    re-estimated). ``"hansen"``: p = share of bootstrap F strictly above F, critical values the
    order statistics ``F*_(⌈0.90 B⌉)``, … (his code); ``"within"``: p = share ≥ F, critical
    values :func:`numpy.quantile` (linear interpolation).

    **Confidence sets.** LR(γ) = (S(γ) − S(γ̂))/σ̂² over the step's candidates, the others held at
    their estimates; the set {γ : LR(γ) < c(α)} (``≤`` under ``"within"``),
    c(α) = −2 ln(1 − √(1 − α)) (:func:`lr_critical_value`), reported by its smallest and largest
    grid point.

    **Coefficients.** OLS on all N T demeaned rows at the estimated thresholds, as ``xthreg.ado``
    does after its search (``xtreg depvar indepvars i._cat#c.rx, fe``), with the regimes of the
    search: ``q < γ_1``, ``γ_j ≤ q < γ_{j+1}``, … under ``"hansen"``, ``q ≤ γ_1``,
    ``γ_j < q ≤ γ_{j+1}``, … under ``"within"`` (one rule for search and estimation, so an
    observation tied with a threshold is in the same regime in both; ``xthreg`` recodes with
    ``irecode``, i.e. ``q ≤ γ``, after a ``q < γ`` search); covariance clustered by entity,
    ``(X'X)^{-1} Σ_g X_g'u_g u_g'X_g (X'X)^{-1} · G/(G−1) · (n−1)/(n−K)``, K the number of
    slopes plus one (``xtreg, fe vce(cluster id)``); t inference with G − 1 degrees of freedom.
    Hansen's own program reports the slopes of the search regression (N (T − 1) rows, same
    ``q < γ`` regimes). On his data 3 observations lie exactly at an estimated threshold (their
    number is in ``notes``); they are in the upper regime here, below it in ``xthreg``.

    **xthreg.** Its ado file (``xthreg.ado``, version 2014-Jan-9) passes T, ``thnum``, ``grid``,
    ``trim`` and ``bs`` to the compiled Mata routine ``thestm``, whose source is not
    distributed; the options mirror Hansen's ``qn``, ``trim_1…3`` and ``boot_1…3`` one for one.
    Its documented example (``xthreg i q1 q2 q3 d1 qd1, rx(c1) qx(d1) thnum(3) grid(400)
    trim(0.01 0.01 0.05) bs(300 300 300)``) reports Th-22 = 0.5362, which only the ``"hansen"``
    search reproduces, so we take xthreg's search to be Hansen's. Not verified on a Stata run.

    References
    ----------
    Hansen, B. E. (1999). Threshold effects in non-dynamic panels: Estimation, testing, and
    inference. Journal of Econometrics 93(2), 345-368. Replication code thresh_p.R /
    thresh.prg (www.ssc.wisc.edu/~bhansen).
    Hansen, B. E. (2000). Sample splitting and threshold estimation. Econometrica 68(3), 575-603.
    Wang, Q. (2015). Fixed-effect panel threshold model using Stata. Stata Journal 15(1), 121-134.
    """
    if n_thresholds not in (1, 2, 3):
        raise ValueError(f"n_thresholds must be 1, 2 or 3, got {n_thresholds!r}")
    if sigma2 not in ("hansen", "xthreg"):
        raise ValueError(f"sigma2 must be 'hansen' or 'xthreg', got {sigma2!r}")
    if convention not in ("hansen", "within"):
        raise ValueError(f"convention must be 'hansen' or 'within', got {convention!r}")
    if rx in (x if not isinstance(x, str) else [x]):
        raise ValueError(f"the regime-dependent regressor {rx!r} is also listed in x")
    m = n_thresholds
    trims = _per_step(trim, m, "trim", float)
    for t in trims:
        if not 0 <= t < 0.5:
            raise ValueError(f"trim must be in [0, 0.5), got {t!r}")
    reps = _per_step(bootstrap, m, "bootstrap", int)
    if any(b < 0 for b in reps):
        raise ValueError(f"bootstrap replications must be >= 0, got {reps}")
    if batch < 1:
        raise ValueError("batch must be >= 1")
    hansen = convention == "hansen"
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
    gvals = threshold_grid(qv, grid, trims[0], unique=not hansen)
    G = gvals.size
    panel = _Panel(yv, X, rv, qv, N, T, gvals, drop_last=hansen, strict=hansen)
    denom = N * (T - 1) if sigma2 == "hansen" else T * (N - 1)
    rng = np.random.default_rng(seed)
    min_obs = [max(1, int(np.ceil(t * n - 1e-9))) for t in trims]
    c_alpha = lr_critical_value(level)

    def gindex(fixed_vals):
        """0-based grid position (first occurrence) of each fixed threshold value."""
        return [int(np.searchsorted(gvals, v, side="left")) for v in fixed_vals]

    def candidates(fixed_idx, k):
        if hansen:
            nn = gindex(gvals[list(fixed_idx)])
            cand = _cand_hansen(G, nn, grid * trims[k])
        else:
            cand = _cand_within(panel, fixed_idx, min_obs[k])
        if cand.size == 0:
            raise ValueError(
                f"no admissible threshold at step {k + 1}: every candidate is trimmed away "
                "(reduce trim or n_thresholds)"
            )
        return cand

    Ay, yy = panel.cross(panel.y)

    def search(fixed_idx, k):
        st = panel.step(fixed_idx, candidates(fixed_idx, k))
        s0, s = panel.ssr_path(st, Ay, yy)
        e = panel.residuals(st, panel.y)
        j = int(np.argmin(s))  # first minimiser = smallest γ among ties
        return st, float(s0), s, float(s[j]), int(st.cand[j]), e

    def record_conf(st, s, smin):
        lr = (s - smin) / (smin / denom)
        inside = (lr < c_alpha) if hansen else (lr <= c_alpha)
        vals = gvals[st.cand][inside]
        return pd.DataFrame({"threshold": gvals[st.cand], "lr": lr}), (float(vals.min()), float(vals.max()))

    def draw(e_null, b):
        idx = rng.integers(0, N, size=(b, N))
        return e_null.reshape(N, -1)[idx].reshape(b, -1).T  # n' x b, whole-entity vectors

    def boot_fixed(st, e_null, B):
        """Earlier thresholds fixed: F depends on y* only through M_W e*."""
        out = []
        for start in range(0, B, batch):
            b = min(batch, B - start)
            s0b, sb = panel.ssr_path(st, *panel.cross(draw(e_null, b)))
            smin = sb.min(axis=0)
            out.append((s0b - smin) / (smin / denom))
        return np.concatenate(out)

    def boot_sequential(k, fitted, e_null, B):
        """Hansen's code: thresholds 1 … k re-estimated one after the other in each replication."""
        out = []
        for start in range(0, B, batch):
            b = min(batch, B - start)
            AY, YY = panel.cross(fitted[:, None] + draw(e_null, b))
            st = panel.step([], candidates([], 0))
            s_prev, sb = panel.ssr_path(st, AY, YY)
            jj = sb.argmin(axis=0)
            s_cur = sb[jj, np.arange(b)]
            fixed = [[int(st.cand[j])] for j in jj]
            for _stage in range(k):
                s_prev = s_cur.copy()
                groups: dict[tuple, list[int]] = {}
                for col, fx in enumerate(fixed):
                    groups.setdefault(tuple(sorted(fx)), []).append(col)
                for fx, cols in groups.items():
                    stg = panel.step(list(fx), candidates(list(fx), k))
                    _, sg = panel.ssr_path(stg, AY[:, cols], YY[cols])
                    jg = sg.argmin(axis=0)
                    s_cur[cols] = sg[jg, np.arange(len(cols))]
                    for c, j in zip(cols, jg, strict=True):
                        fixed[c].append(int(stg.cand[j]))
            out.append((s_prev - s_cur) / (s_cur / denom))
        return np.concatenate(out)

    tests_rows, est_rows, lr_dict, fstats, pvals, crits, ssr, fboot = [], [], {}, [], [], [], {}, {}

    def record_test(k, s_null, s_alt, st, e_null):
        F = (s_null - s_alt) / (s_alt / denom)
        B = reps[k]
        if B == 0:
            Fb = np.full(0, np.nan)
        elif hansen:
            Fb = boot_sequential(k, panel.y - e_null, e_null, B)
        else:
            Fb = boot_fixed(st, e_null, B)
        if Fb.size == 0:
            p, cv = np.nan, np.full(3, np.nan)
        elif hansen:
            p = float(np.mean(Fb > F))
            srt = np.sort(Fb)
            cv = srt[np.ceil(np.array([0.90, 0.95, 0.99]) * B - 1e-9).astype(int) - 1]
        else:
            p = float(np.mean(Fb >= F))
            cv = np.quantile(Fb, [0.90, 0.95, 0.99])
        fstats.append(float(F))
        pvals.append(p)
        crits.append(cv)
        fboot[k + 1] = Fb
        tests_rows.append([s_alt, s_alt / denom, F, p, *cv])

    def record_est(name, st, s, smin, g):
        lrf, ci = record_conf(st, s, smin)
        lr_dict[name] = lrf
        est_rows.append((name, float(gvals[g]), smin, *ci))
        return ci

    # step 1 ---------------------------------------------------------------------------------
    st1, s0, s1path, S1, g1, e0 = search([], 0)
    ssr[0] = s0
    ssr[1] = S1
    ci1 = record_est("Th-1", st1, s1path, S1, g1)
    record_test(0, s0, S1, st1, e0)
    th_idx, cis = [g1], [ci1]
    if m >= 2:
        st2, S1chk, s2path, S2, g2, e1 = search([g1], 1)
        # refinement: re-estimate γ1 given γ2 (Hansen's "second iteration", trim_2)
        st21, _, s21path, S21, g1r, _ = search([g2], 1)
        ci21 = record_est("Th-21", st21, s21path, S21, g1r)
        ci22 = record_est("Th-22", st2, s2path, S2, g2)
        record_test(1, S1chk, S2, st2, e1)
        ssr[2] = S21
        pairs = sorted([(g1r, ci21), (g2, ci22)])
        th_idx = [p[0] for p in pairs]
        cis = [p[1] for p in pairs]
    if m == 3:
        st3, S2chk, s3path, S3, g3, e2 = search([g1r, g2], 2)
        ci3 = record_est("Th-3", st3, s3path, S3, g3)
        record_test(2, S2chk, S3, st3, e2)
        ssr[3] = S3
        pairs = sorted([*zip(th_idx, cis, strict=True), (g3, ci3)])
        th_idx = [p[0] for p in pairs]
        cis = [p[1] for p in pairs]
    thresholds = [float(gvals[g]) for g in th_idx]

    names = ["Single", "Double", "Triple"][:m]
    tests = pd.DataFrame(tests_rows, index=names,
                         columns=["RSS", "MSE", "Fstat", "Prob", "Crit10", "Crit5", "Crit1"])
    estimates = pd.DataFrame(est_rows, columns=["model", "threshold", "ssr", "lower", "upper"]
                             ).set_index("model")
    crit_values = pd.DataFrame(crits, index=[f"F{k + 1}" for k in range(m)],
                               columns=["crit10", "crit5", "crit1"])

    # final regression at the estimated thresholds (xtreg, fe on all N T rows) -------------------
    th = np.array(thresholds)
    # one regime rule for search and estimation: "hansen" splits q < γ | q >= γ (his code),
    # "within" q <= γ | q > γ; regime j = number of thresholds the observation is above
    regime_j = np.searchsorted(th, qv, side="right" if hansen else "left")
    R = np.column_stack([rv * (regime_j == j) for j in range(th.size + 1)])
    Xd = _within(X, N, T) if X.shape[1] else X
    Z = np.column_stack([Xd, _within(R, N, T)])
    yd = _within(yv, N, T)
    rnames = [f"{rx}_r{j}" for j in range(R.shape[1])]
    cnames = xnames + rnames
    ZtZ_inv = np.linalg.inv(Z.T @ Z)
    beta = ZtZ_inv @ (Z.T @ yd)
    u = yd - Z @ beta
    scores = (Z * u[:, None]).reshape(N, T, -1).sum(axis=1)
    K = Z.shape[1] + 1
    if N < 2 or n <= K:
        raise ValueError(f"threshold model: {N} entity cluster(s) and {n} observations for {K} "
                         "parameters (regressors, regime slopes, constant): the cluster-robust "
                         "covariance needs at least 2 clusters and more observations than "
                         "parameters; use more periods or entities")
    adj = N / (N - 1) * (n - 1) / (n - K)
    V = adj * ZtZ_inv @ (scores.T @ scores) @ ZtZ_inv
    se = np.sqrt(np.diag(V))
    ssr_final = float(u @ u)
    tss = float(yd @ yd)
    regime = pd.Series(regime_j, index=pd.MultiIndex.from_frame(df[[entity, time]]),
                       name="regime")
    edges = [-np.inf, *thresholds, np.inf]
    lo_op, hi_op = ("<=", "<") if hansen else ("<", "<=")
    for j in range(len(thresholds) + 1):
        notes.append(f"regime {j} ({rnames[j]}): {edges[j]:.6g} {lo_op} {q} {hi_op} "
                     f"{edges[j + 1]:.6g}, {int((regime_j == j).sum())} obs")
    ties = int(np.isin(qv, th).sum())
    if hansen:
        notes.append(f"convention='hansen': search on N(T-1) = {panel.n} rows (last period "
                     f"deleted after demeaning); regimes q < gamma | q >= gamma in the search and "
                     f"the coefficients ({ties} obs lie exactly at an estimated threshold and "
                     "belong to the upper regime; xthreg's irecode would put them below)")
    sizes = [int((regime_j == j).sum()) for j in range(th.size + 1)]
    bound = int(np.ceil(trims[0] * n - 1e-9))
    if m >= 2:
        notes.append(f"first-stage (unrefined) single threshold {gvals[g1]:.6g}; "
                     f"refined {gvals[g1r]:.6g}")

    res = ThresholdResult(
        params=pd.Series(beta, index=cnames, name="params"),
        std_errors=pd.Series(se, index=cnames, name="std_errors"),
        nobs=n,
        depvar=y,
        model="threshold",
        n_groups=N,
        dof=float(N - 1),
        r2_within=1 - ssr_final / tss,
        # year effects enter as dummies (xthreg/xtreg, fe with i.year): the within R² counts them
        # as regressors, unlike reghdfe's R² net of both absorbed effects
        fixed_effects=[entity, time] if time_effects else [entity],
        cluster=entity,
        vcov_type="cluster-robust by entity, G/(G-1)·(n-1)/(n-K) (Stata xtreg, fe vce(cluster))",
        notes=notes,
        extra={"thresholds": ", ".join(f"{g:.4f}" for g in thresholds),
               **{f"F{k + 1}": fstats[k] for k in range(m)},
               **{f"F{k + 1} p": pvals[k] for k in range(m)}},
        thresholds=thresholds,
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
        convention=convention,
        regime_sizes=sizes,
        trim_bound=bound,
        time_effects=bool(time_effects),
    )
    # fields added to ModelResult by the tables layer (set as attributes so either version works)
    res.vcov = pd.DataFrame(V, index=cnames, columns=cnames)
    res.n_clusters = N
    return res
