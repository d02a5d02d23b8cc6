"""Inference that holds with few clusters: the wild cluster bootstrap and randomisation inference.

Wild cluster bootstrap
----------------------
:func:`wild_cluster_bootstrap` (and :meth:`ModelResult.wild_bootstrap
<analysis.models.results.ModelResult.wild_bootstrap>`, which calls it on the stored design of a
fit) tests ``H0: β_j = β0`` for one coefficient of a linear model with clustered errors by the
restricted wild cluster bootstrap, WCR11 in MacKinnon, Nielsen & Webb (2023, "Cluster-robust
inference: A guide to empirical practice", J. Econometrics 232(2)); Cameron, Gelbach & Miller
(2008, REStat 90(3)); Roodman, MacKinnon, Nielsen & Webb (2019, "Fast and wild", Stata Journal
19(1), Stata ``boottest``). The bootstrap is computed by the maintained ``wildboottest``
package (the one behind pyfixest's ``Feols.wildboottest``): its ``WildboottestCL`` class gives
the bootstrap scores (null imposed or not), the weight draws (Rademacher, Webb, Mammen, normal;
full enumeration of the 2^G Rademacher sign vectors when 2^G < reps), the numerator, the CR1
covariance, the t statistic and the symmetric p-value ``mean(|t*| > |t|)``. One piece is
evaluated here in numpy: the bootstrap CRV1 denominator, ``ssc · Σ_g (C_g v_gb − Σ_h H_gh
v_hb)²`` with ``H_gh = R (X'X)⁻¹ X_g'X_g (X'X)⁻¹ s_h`` — the formula of
``WildboottestCL.get_denom``, whose numba kernel is defined inside the method and recompiled
on every call (about 0.8 s each; the models step calls the bootstrap several dozen times).
``tests/test_inference.py`` checks the p-values against pyfixest's ``Feols.wildboottest`` on
the same fit.

Fixed effects are partialled out first (Frisch–Waugh–Lovell): the restricted estimates, the
bootstrap coefficients and the bootstrap residuals on the demeaned design equal those on the
design with fixed-effect dummies (pyfixest's one-hot design), so the p-values are identical;
only the small-sample factor of the t statistics differs (it counts the dummies or not), which
cancels in the p-value because it scales t and every t* alike.

Confidence interval. With the null imposed the interval is the set of β0 not rejected at
1 − ``level`` (test inversion, as ``boottest``): y − β0·x_j makes every bootstrap quantity
affine in β0 (numerator) or quadratic (squared denominator), so with the same weight draws p(β0)
is evaluated exactly at any β0 from two runs of the package (β0 = 0 and β0 = 1), and the bounds
are found by bisection. Without the null imposed (WCU) the interval is the symmetric
percentile-t interval β̂ ± q_level(|t*|)·se.

Randomisation inference
-----------------------
:func:`permutation_test` re-estimates a fixed-effects coefficient after permuting the regressor
across entities within each period (Fisher's sharp null of no effect for any unit; the
permutation keeps each period's distribution of the regressor; cf. MacKinnon & Webb 2020,
"Randomization inference for difference-in-differences with few treated clusters", J.
Econometrics 218(2); Young 2019, QJE 134(2)). The p-value uses the t statistic (studentised, as
Young recommends) and the "+1" rule ``(1 + #{|t_b| ≥ |t|}) / (1 + B)``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis._validate import as_vector

Weights = Literal["rademacher", "webb", "mammen", "norm"]
WEIGHTS = ("rademacher", "webb", "mammen", "norm")

__all__ = [
    "PermutationResult",
    "WildBootstrapResult",
    "WildDesign",
    "permutation_test",
    "wild_cluster_bootstrap",
]


# --------------------------------------------------------------------------------------------
# input handling of the array functions ((n,), (n, 1), Series and lists alike; vectors through
# analysis._validate.as_vector, shared with the measures)
# --------------------------------------------------------------------------------------------


def as_matrix(X, name: str, n: int) -> np.ndarray:
    """A 2-d float array (n by k) from a DataFrame, list of rows, (n,) or (n, k) array."""
    if isinstance(X, pd.Series):
        X = X.to_frame()
    try:
        a = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != n:
        raise ValueError(f"{name} must have {n} rows, got shape {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{name} has {int(bad.sum())} missing or infinite value(s), first at "
                         f"row {int(i)}, column {int(j)}")
    return a


def cluster_codes(cluster, n: int, name: str = "cluster") -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..G-1 in sorted order of the cluster ids (as ``numpy.unique``), and the ids."""
    c = cluster.to_numpy() if isinstance(cluster, pd.Series | pd.Index) else np.asarray(cluster)
    if c.ndim == 2 and c.shape[1] == 1:
        c = c[:, 0]
    if c.ndim != 1 or c.size != n:
        raise ValueError(f"{name} must be a vector of {n} ids, got shape {c.shape}")
    miss = pd.isna(c)
    if miss.any():
        raise ValueError(f"{name} has {int(miss.sum())} missing id(s), first at row "
                         f"{int(np.flatnonzero(miss)[0])}")
    ids, codes = np.unique(c, return_inverse=True)
    return codes.astype(np.int64), ids


_BLAS = None


def _one_blas_thread():
    """Context: BLAS on one thread. The bootstrap's products are small (G × G by G × B): thread
    start-up costs more than it saves, and on a busy 2-core machine several times more."""
    global _BLAS
    from threadpoolctl import ThreadpoolController

    if _BLAS is None:
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


# --------------------------------------------------------------------------------------------
# wild cluster bootstrap
# --------------------------------------------------------------------------------------------


@dataclass
class WildDesign:
    """What a wild cluster bootstrap of a fitted linear model needs.

    Attributes
    ----------
    X : ndarray (nobs by nvar)
        Regressors after the fixed effects were partialled out (within transform).
    y : ndarray (nobs,)
        Dependent variable, partialled out the same way.
    cluster : ndarray (nobs,)
        Cluster codes 0..G-1.
    names : list of str
        Column names of ``X`` (the result's ``params`` index).
    fe_codes : list of ndarray (each nobs), optional
        Fixed-effect codes of the sample (to re-apply the within transform, e.g. to a permuted
        regressor).
    index : pandas.Index, optional
        Row labels of the estimation sample in the caller's DataFrame, in the order of ``X``.
    ssc : float
        Small-sample factor of the fit's CR1 covariance (reghdfe: G/(G−1)·(N−1)/(N−K)).
    """

    X: np.ndarray
    y: np.ndarray
    cluster: np.ndarray
    names: list[str]
    fe_codes: list[np.ndarray] = field(default_factory=list)
    index: pd.Index | None = None
    ssc: float = 1.0

    def renamed(self, mapping: dict[str, str]) -> WildDesign:
        """The same design with columns renamed (``{old: new}``)."""
        return replace(self, names=[mapping.get(c, c) for c in self.names])


@dataclass
class WildBootstrapResult:
    """Wild cluster bootstrap test of one coefficient.

    Attributes
    ----------
    param : str
    estimate : float
        The coefficient β̂_j.
    null : float
        β0 of ``H0: β_j = β0``.
    t_stat : float
        CR1 t statistic of the original fit, with wildboottest's small-sample factor.
    p_value : float
        Symmetric bootstrap p-value ``mean(|t*| > |t|)`` (boottest's default).
    ci_lower, ci_upper : float
        Confidence interval at ``level`` (test inversion with the null imposed; percentile-t
        without); NaN when it is unbounded on the searched range (noted).
    level : float
    reps : int
        Bootstrap replications used (2^G under full Rademacher enumeration).
    weights : str
    impose_null : bool
    n_clusters : int
    seed : int or None
    full_enumeration : bool
    notes : list of str
    """

    param: str
    estimate: float
    null: float
    t_stat: float
    p_value: float
    ci_lower: float
    ci_upper: float
    level: float
    reps: int
    weights: str
    impose_null: bool
    n_clusters: int
    seed: int | None
    full_enumeration: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def method(self) -> str:
        """Short description for table notes, e.g. ``WCR, Rademacher, 9,999 draws``."""
        kind = "WCR" if self.impose_null else "WCU"
        draws = (f"all {self.reps:,} sign vectors" if self.full_enumeration
                 else f"{self.reps:,} draws")
        return f"{kind}, {self.weights.capitalize()} weights, {draws}"

    def method_text(self, lang: str = "en") -> str:
        """:attr:`method` in the table's language: ``"en"`` as :attr:`method`; ``"zh"`` e.g.
        ``约束原假设（WCR），Rademacher权重，9,999次抽样`` (the weight families keep their
        authors' names, as in Chinese journals)."""
        if lang == "en":
            return self.method
        if lang != "zh":
            raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
        kind = "约束原假设（WCR）" if self.impose_null else "不约束原假设（WCU）"
        draws = (f"穷举全部{self.reps:,}个符号向量" if self.full_enumeration
                 else f"{self.reps:,}次抽样")
        return f"{kind}，{self.weights.capitalize()}权重，{draws}"

    def as_dict(self) -> dict:
        """Plain dict (for tidy tables and JSON)."""
        return {"wild_p_value": self.p_value, "wild_ci_lower": self.ci_lower,
                "wild_ci_upper": self.ci_upper, "wild_weights": self.weights,
                "wild_reps": self.reps, "wild_impose_null": self.impose_null}


def _package_pieces(X, y, cluster, R, B, seed, weights, impose_null):
    """Numerator pieces, bootstrap Z matrix, t statistic and se from one wildboottest run."""
    from wildboottest.wildboottest import WildboottestCL

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = WildboottestCL(X=X, Y=y, cluster=cluster, R=R, B=B, seed=seed, parallel=False)
        boot.get_scores(bootstrap_type="11", impose_null=impose_null, adj=True, cluster_adj=True)
        v, B_eff, full = boot.get_weights(weights_type=weights)
        boot.get_numer()
        boot.get_vcov()
        boot.get_tstat()
    v = np.asarray(v, dtype=float)
    # H_gh = R (X'X)^-1 X_g'X_g (X'X)^-1 s_h (WildboottestCL.get_denom), all g at once
    a = np.stack([R @ boot.tXXinv @ XgXg @ boot.tXXinv for XgXg in boot.tXgXg_list])  # G x k
    H = a @ boot.scores_mat  # G x G
    Cg = np.asarray(boot.Cg, dtype=float)
    Z = Cg[:, None] * v - H @ v  # G x B
    t = float(np.asarray(boot.t_stat).ravel()[0])
    se = float(np.sqrt(boot.ssc * R @ boot.vcov @ R))
    return {"numer": np.asarray(boot.numer, float), "Z": Z, "ssc": float(boot.ssc), "t": t,
            "se": se, "beta": float(R @ boot.beta_hat), "B": int(B_eff), "full": bool(full)}


def wild_cluster_bootstrap(
    y,
    X,
    cluster,
    param: int | str,
    *,
    names: list[str] | None = None,
    null: float = 0.0,
    reps: int = 9999,
    weights: Weights = "rademacher",
    impose_null: bool = True,
    seed: int | None = None,
    level: float = 0.95,
) -> WildBootstrapResult:
    """Wild cluster bootstrap p-value and confidence interval for one coefficient.

    Parameters
    ----------
    y : array-like (nobs,) or (nobs, 1), Series or list
        Dependent variable (already within-transformed if the model has fixed effects).
    X : array-like or DataFrame (nobs by nvar)
        Regressors (within-transformed likewise); a 1-d input is one regressor.
    cluster : array-like (nobs,)
        Cluster ids (any hashable values).
    param : int or str
        Column of ``X`` to test (position, or name from ``names`` / the DataFrame's columns).
    names : list of str, optional
        Column names of ``X`` when it is an array.
    null : float
        β0 of ``H0: β_j = β0`` (default 0).
    reps : int
        Bootstrap replications (``boottest``'s ``reps()``; default 9,999). With Rademacher
        weights and 2^G < reps every sign vector is enumerated (exact; wildboottest's rule).
    weights : {"rademacher", "webb", "mammen", "norm"}
        Weight distribution. Webb's six-point weights are recommended with fewer than about
        ten clusters (Webb 2023, "Reworking wild bootstrap-based inference for clustered
        errors", Canadian J. Economics 56(3)), where Rademacher has only 2^G distinct draws.
    impose_null : bool
        WCR (True, default; recommended by MacKinnon, Nielsen & Webb 2023) or WCU.
    seed : int, optional
        Seed of the weight draws (``numpy.random.default_rng``); same seed, same numbers.
    level : float
        Confidence level of the interval.

    Returns
    -------
    WildBootstrapResult

    Raises
    ------
    ValueError
        Fewer than 2 clusters, mismatched lengths, missing or infinite values (naming the input
        and row), unknown ``param`` or ``weights``, ``reps < 1``, a singular ``X'X``.
    TypeError
        Non-numeric ``y`` or ``X``.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if isinstance(X, pd.DataFrame) and names is None:
        names = [str(c) for c in X.columns]
    yv = as_vector(y, what="y")[0]
    n = yv.size
    Xm = as_matrix(X, "X", n)
    k = Xm.shape[1]
    names = list(names) if names is not None else [f"x{j}" for j in range(k)]
    if len(names) != k:
        raise ValueError(f"names has {len(names)} entries, X has {k} columns")
    if isinstance(param, str):
        if param not in names:
            raise ValueError(f"param {param!r} is not a regressor; regressors: {names}")
        j = names.index(param)
    else:
        j = int(param)
        if not 0 <= j < k:
            raise ValueError(f"param index {j} out of range for {k} regressors")
    codes, ids = cluster_codes(cluster, n)
    G = ids.size
    if G < 2:
        raise ValueError(f"the wild cluster bootstrap needs at least 2 clusters, got {G}")
    XtX = Xm.T @ Xm
    ev = np.linalg.eigvalsh(XtX)
    if ev[0] <= 1e-12 * max(ev[-1], 1e-300):
        raise ValueError(f"X'X is singular: the regressors {names} are collinear (or one is "
                         "constant after removing the fixed effects)")
    if n <= k:
        raise ValueError(f"{n} observations for {k} regressors")
    R = np.zeros(k)
    R[j] = 1.0
    notes: list[str] = []
    x_j = Xm[:, j]

    def run(b0):
        with _one_blas_thread():
            return _package_pieces(Xm, yv - b0 * x_j, codes, R, int(reps), seed, weights,
                                   impose_null)

    p0 = run(null)
    B = p0["B"]
    if p0["full"]:
        notes.append(f"2^G = {B} < reps = {reps}: every Rademacher sign vector enumerated")
    if G < 10 and weights == "rademacher" and not p0["full"]:
        notes.append(f"only {G} clusters: Rademacher weights have 2^G = {2 ** G} distinct draws; "
                     "Webb weights are recommended")
    t0 = p0["t"]
    if not np.isfinite(t0) or not np.isfinite(p0["se"]) or p0["se"] <= 0:
        raise ValueError(f"the CR1 standard error of {names[j]!r} is zero or undefined with "
                         f"{G} clusters (the clusters' scores cancel, or the fit is exact): no "
                         "bootstrap t statistic is defined")
    with np.errstate(divide="ignore", invalid="ignore"):
        tb0 = np.abs(p0["numer"] / np.sqrt(p0["ssc"] * (p0["Z"] ** 2).sum(axis=0)))
    tb0 = np.where(np.isfinite(tb0), tb0, np.inf)  # a zero bootstrap variance: |t*| = inf
    p_value = float(np.mean(tb0 > abs(t0)))  # wildboottest's two-tailed rule
    se = p0["se"]
    beta = p0["beta"] + null  # β̂_j of the original y
    alpha = 1.0 - level
    if not impose_null:
        q = float(np.quantile(tb0, level, method="inverted_cdf"))
        lo, hi = beta - q * se, beta + q * se
    else:
        lo, hi = _invert(run, null, p0, beta, se, alpha, notes)
    return WildBootstrapResult(
        param=names[j], estimate=beta, null=float(null), t_stat=t0, p_value=p_value,
        ci_lower=lo, ci_upper=hi, level=level, reps=B, weights=weights,
        impose_null=bool(impose_null), n_clusters=int(G),
        seed=None if seed is None else int(seed), full_enumeration=p0["full"], notes=notes)


def _invert(run, null, p0, beta, se, alpha, notes):
    """WCR confidence set {β0 : p(β0) > alpha}: bounds by bisection on the exact p(β0)."""
    p1 = run(null + 1.0)
    dn = p1["numer"] - p0["numer"]
    dZ = p1["Z"] - p0["Z"]
    s00 = (p0["Z"] ** 2).sum(axis=0)
    s01 = (p0["Z"] * dZ).sum(axis=0)
    s11 = (dZ ** 2).sum(axis=0)
    ssc = p0["ssc"]

    def pval(b0):
        d = b0 - null
        num = p0["numer"] + d * dn
        den = ssc * np.maximum(s00 + 2 * d * s01 + d * d * s11, 0.0)
        t = (beta - b0) / se
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = np.abs(num / np.sqrt(den))
        return float(np.mean(np.where(np.isfinite(tb), tb, np.inf) > abs(t)))

    out = []
    for sign in (-1.0, 1.0):
        inside = beta
        step = max(se, 1e-12 * max(1.0, abs(beta)))
        outside = None
        for _ in range(60):
            cand = beta + sign * step
            if pval(cand) <= alpha:
                outside = cand
                break
            inside = cand
            step *= 2.0
        if outside is None:
            notes.append(f"the {('lower', 'upper')[sign > 0]} confidence bound is unbounded on "
                         "the searched range")
            out.append(math.nan)
            continue
        for _ in range(200):
            mid = 0.5 * (inside + outside)
            if pval(mid) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) <= 1e-10 * max(se, 1e-300):
                break
        out.append(0.5 * (inside + outside))
    return out[0], out[1]


# --------------------------------------------------------------------------------------------
# randomisation inference
# --------------------------------------------------------------------------------------------


@dataclass
class PermutationResult:
    """Randomisation (permutation) test of one coefficient.

    Attributes
    ----------
    param : str
    estimate, t_stat : float
        Coefficient and CR1 t statistic of the original fit.
    p_value : float
        ``(1 + #{|t_b| ≥ |t|}) / (1 + B)`` over the permutations.
    p_value_coef : float
        The same with the coefficient instead of t.
    reps : int
        Permutations B.
    permuted_t, permuted_coef : ndarray (B,)
    scheme : str
        How the regressor was permuted.
    seed : int or None
    notes : list of str
    """

    param: str
    estimate: float
    t_stat: float
    p_value: float
    p_value_coef: float
    reps: int
    permuted_t: np.ndarray
    permuted_coef: np.ndarray
    scheme: str
    seed: int | None
    notes: list[str] = field(default_factory=list)


def permutation_test(
    data: pd.DataFrame,
    y: str,
    x: list[str],
    param: str,
    entity: str,
    time: str,
    *,
    reps: int = 999,
    seed: int | None = None,
    cluster: str | None = None,
) -> PermutationResult:
    """Permutation test of a two-way fixed-effects coefficient, the regressor permuted within period.

    In each replication the values of ``param`` are shuffled across the entities observed in
    each period (the other regressors, the outcome and the fixed effects stay), the two-way FE
    model is re-estimated and its CR1 t statistic kept. Under the sharp null that ``param`` has
    no effect on any unit (and exchangeability of its values across entities within a period)
    the observed t is one draw from this distribution.

    Parameters
    ----------
    data : DataFrame
        Long panel.
    y, x, entity, time, cluster
        As in :func:`analysis.models.twfe.twfe` (``cluster`` defaults to ``entity``).
    param : str
        The regressor to permute (one of ``x``).
    reps : int
        Permutations (≥ 1; 999 or more for a p-value resolution of 0.001).
    seed : int, optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    PermutationResult

    Raises
    ------
    ValueError
        ``param`` not in ``x``; fewer distinct permutations than ``reps`` (the message gives the
        number); whatever :func:`twfe` raises on the original sample.
    """
    from analysis.models.twfe import twfe

    if param not in x:
        raise ValueError(f"param {param!r} is not among the regressors {x}")
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    base = twfe(data, y, x, entity, time, cluster=cluster)
    d = base.design
    if d is None or d.index is None:  # pragma: no cover - twfe always stores it
        raise ValueError("the fit stores no design")
    # the estimation sample, in design order, with its period labels
    sample = d.index
    periods = pd.factorize(data.loc[sample, time])[0]
    j = d.names.index(param)
    # distinct arrangements within periods: prod over periods of n_t! / prod(m!) (ties)
    raw = data.loc[sample, param].to_numpy(dtype=float)
    log_count = 0.0
    for p in np.unique(periods):
        vals = raw[periods == p]
        _, m = np.unique(vals, return_counts=True)
        log_count += math.lgamma(vals.size + 1) - sum(math.lgamma(c + 1) for c in m)
    if log_count < math.log(reps + 1):
        raise ValueError(
            f"only {math.exp(log_count):.0f} distinct within-period permutations of {param!r} "
            f"exist, fewer than reps + 1 = {reps + 1}: the permutation test cannot have "
            f"{reps} distinct draws"
        )
    # FWL: with the other regressors Z and the fixed effects partialled out, the coefficient of
    # the permuted x is (x~'y~)/(x~'x~) where x~ = M_[D,Z] x_perm. Demeaning is linear, so
    # permuting raw x then demeaning by the FE is done per draw.
    fe_codes = d.fe_codes
    others = [i for i in range(len(d.names)) if i != j]
    Z = d.X[:, others]
    yv = d.y
    cl = d.cluster
    G = int(cl.max()) + 1
    n = d.X.shape[0]
    rng = np.random.default_rng(seed)
    order = [np.flatnonzero(periods == p) for p in np.unique(periods)]
    B = int(reps)
    perm = np.empty((n, B + 1))
    perm[:, 0] = raw  # column 0: the observed arrangement (a check of the fast path)
    for b in range(1, B + 1):
        xb = raw.copy()
        for idx in order:
            xb[idx] = raw[idx[rng.permutation(idx.size)]]
        perm[:, b] = xb
    with _one_blas_thread():
        return _permutation_stats(perm, fe_codes, Z, yv, cl, G, B, d, base, param, entity, time,
                                  seed)


def _permutation_stats(perm, fe_codes, Z, yv, cl, G, B, d, base, param, entity, time, seed):
    from analysis.models.twfe import demean_array

    Xp = demean_array(perm, fe_codes)
    if Z.shape[1]:
        ZtZi = np.linalg.inv(Z.T @ Z)
        Xp = Xp - Z @ (ZtZi @ (Z.T @ Xp))
        ytil = yv - Z @ (ZtZi @ (Z.T @ yv))
    else:
        ytil = yv
    xx = np.einsum("ij,ij->j", Xp, Xp)
    coef = (Xp.T @ ytil) / xx
    # CR1 se of the coefficient of x~ in the full regression (FWL: same residuals; the j-th row
    # of (X'X)^-1 X' is x~'/(x~'x~)), with the fit's small-sample factor
    resid = ytil[:, None] - Xp * coef[None, :]
    scores = np.zeros((G, B + 1))
    np.add.at(scores, cl, Xp * resid)
    se = np.sqrt(d.ssc * (scores ** 2).sum(axis=0)) / xx
    tall = coef / se
    t0 = float(base.params[param] / base.std_errors[param])
    b0 = float(base.params[param])
    if not (np.isclose(tall[0], t0, rtol=1e-6) and np.isclose(coef[0], b0, rtol=1e-6,
                                                             atol=1e-12)):
        raise RuntimeError(f"permutation fast path disagrees with the fit: t {tall[0]} vs {t0}")
    tb, coef = tall[1:], coef[1:]
    notes: list[str] = []
    p = (1 + int(np.sum(np.abs(tb) >= abs(t0) * (1 - 1e-12)))) / (1 + B)
    pc = (1 + int(np.sum(np.abs(coef) >= abs(b0) * (1 - 1e-12)))) / (1 + B)
    return PermutationResult(param=param, estimate=b0, t_stat=t0, p_value=float(p),
                             p_value_coef=float(pc), reps=B, permuted_t=tb, permuted_coef=coef,
                             scheme=f"{param} permuted across {entity} within {time}",
                             seed=None if seed is None else int(seed), notes=notes)
