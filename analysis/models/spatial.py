"""Spatial panel models with fixed effects: SAR (spatial lag), SEM (spatial error), SDM (Durbin).

Maximum likelihood with entity ("province"), time ("year") or both fixed effects, the Lee & Yu
(2010) transformation approach, LM tests to choose the model (Anselin 1988; Elhorst 2014 panel
versions) and LeSage & Pace (2009) direct / indirect / total effects with simulation inference.

Why not spreg: spreg 1.9.0 offers ``ML_LagFE`` / ``ML_ErrorFE`` (entity effects only; SDM through
``slx_lags``) and the deprecated ``Panel_FE_Lag`` / ``Panel_FE_Error``; time and two-way effects
arrived only in 1.9.1, it uses the "direct" approach (σ² = SSR/(NT), biased with fixed effects),
and it does not drop collinear columns. We therefore implement the concentrated likelihood
ourselves and use spreg's ``ML_LagFE`` as an independent check of the entity-effects SAR (tests).

Model (N units, T periods, W row-standardised N × N)::

    SDM:  y_t = ρ W y_t + X_t β + W X_t θ + μ + α_t ι + ε_t
    SAR:  θ = 0
    SEM:  y_t = X_t β + μ + α_t ι + u_t,   u_t = λ W u_t + ε_t

Transformation (Lee & Yu 2010, J. Econometrics 154, Sections 3-4): entity effects are removed by
demeaning over time (T − 1 effective periods), time effects by projecting each cross-section on
the orthogonal complement of ι with an orthonormal F (N × (N − 1)); because W ι = ι this gives
W* = F'WF and an exact likelihood of (N − 1) units, ln|I − ρW*| = ln|I − ρW| − ln(1 − ρ). The
concentrated log-likelihood (SAR/SDM) is::

    ln L(ρ) = −(n*/2)(ln 2π + 1 + ln σ̂²(ρ)) + T* ln|I_N* − ρ W*|,   σ̂²(ρ) = ê(ρ)'ê(ρ)/n*

with N* = N − 1 (time effects) or N, T* = T − 1 (entity effects) or T, n* = N* T*. This is the
bias-corrected estimator of Lee & Yu (2010); with entity effects only it gives the same β, ρ as the
"direct" approach (Elhorst 2014, spreg) and σ̂² larger by T/(T − 1). ``bias_correction=False``
gives the direct approach (N* = N, T* = T on demeaned data), i.e. spreg's and Elhorst's
uncorrected estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from analysis.models.results import ModelResult

__all__ = [
    "SpatialResult",
    "SpatialSelection",
    "spatial_model_selection",
    "lesage_pace_effects",
    "sdm_specification_tests",
    "spatial_lm_tests",
    "spatial_panel",
]

SpatialModel = Literal["sar", "sem", "sdm"]
Effects = Literal["entity", "time", "twoways"]


@dataclass(repr=False)
class SpatialResult(ModelResult):
    """Result of :func:`spatial_panel` (a :class:`ModelResult` plus spatial statistics).

    Attributes
    ----------
    rho, lam : float or None
        Spatial autoregressive coefficient (SAR/SDM) or spatial error coefficient (SEM); also in
        ``params`` as ``"rho"`` / ``"lambda"``.
    sigma2 : float
        Error variance (bias-corrected unless ``bias_correction=False``).
    loglik : float
        Maximised log-likelihood (of the transformed model).
    effects : pandas.DataFrame or None
        LeSage-Pace effects, one row per (variable, effect) with ``estimate`` (at the ML
        estimates), ``std_error``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper`` (simulation
        percentiles) and ``sim_mean``.
    effects_draws : numpy.ndarray or None
        Simulated effects, shape (n_sim, 3, k): direct, indirect, total.
    w : numpy.ndarray
        The N × N weight matrix used, rows in ``w_ids`` order.
    w_ids : list
        Entity identifiers in the order of W's rows.
    """

    rho: float | None = None
    lam: float | None = None
    sigma2: float = float("nan")
    loglik: float = float("nan")
    effects: pd.DataFrame | None = None
    effects_draws: np.ndarray | None = None
    w: np.ndarray | None = None
    w_ids: list = field(default_factory=list)
    effects_type: str = "twoways"
    bias_correction: bool = True

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()

    def summary(self) -> str:
        out = [super().summary(), f"sigma2={self.sigma2:.6g}  logL={self.loglik:.4f}"]
        if self.effects is not None:
            out += ["", "LeSage-Pace effects:",
                    self.effects.to_string(float_format=lambda v: f"{v:.4f}")]
        return "\n".join(out)


# --------------------------------------------------------------------------------------------
# weights and data
# --------------------------------------------------------------------------------------------


def _dense_weights(w, entities: np.ndarray) -> np.ndarray:
    """Dense W in the order of ``entities`` (no checks beyond the ids)."""
    if hasattr(w, "full") and hasattr(w, "id_order"):  # libpysal W
        mat, ids = w.full()
        order = {i: k for k, i in enumerate(ids)}
        missing = [e for e in entities if e not in order]
        if missing:
            raise ValueError(f"entities not in the weights' ids: {missing[:10]}")
        extra = [i for i in ids if i not in set(entities.tolist())]
        if extra:
            raise ValueError(f"weights have ids not in the data: {extra[:10]}")
        idx = [order[e] for e in entities]
        W = np.asarray(mat, dtype=float)[np.ix_(idx, idx)]
    elif isinstance(w, pd.DataFrame):
        missing = [e for e in entities if e not in w.index or e not in w.columns]
        if missing:
            raise ValueError(f"entities not in the weight matrix index/columns: {missing[:10]}")
        if len(w.index) != len(entities):
            extra = [i for i in w.index if i not in set(entities.tolist())]
            raise ValueError(f"weight matrix has ids not in the data: {extra[:10]}")
        W = w.loc[entities, entities].to_numpy(dtype=float)
    else:
        W = np.asarray(w, dtype=float)
        if W.shape != (entities.size, entities.size):
            raise ValueError(
                f"W has shape {W.shape} but the panel has {entities.size} entities; a plain array "
                "must be ordered like the sorted entity ids (pass a DataFrame or libpysal W to "
                "give the ids)"
            )
    return W


def _weights(w, entities: np.ndarray, row_standardise: bool, tol: float = 1e-8,
             W: np.ndarray | None = None):
    """Dense W in the order of ``entities``; checks and (optionally) row-standardises."""
    if W is None:
        W = _dense_weights(w, entities)
    if not np.all(np.isfinite(W)):
        raise ValueError("W contains non-finite values")
    if np.any(np.diag(W) != 0):
        raise ValueError("W has non-zero diagonal entries (a unit cannot be its own neighbour)")
    if np.any(W < 0):
        raise ValueError("W has negative entries")
    rs = W.sum(axis=1)
    if np.any(rs == 0):
        isl = entities[rs == 0].tolist()
        raise ValueError(
            f"units without neighbours in W (islands): {isl}; give them neighbours explicitly "
            "(e.g. Hainan linked to Guangdong, analysis.measures.contiguity_weights) or pass "
            "islands='drop' to estimate without them"
        )
    if not np.allclose(rs, 1.0, atol=tol):
        if not row_standardise:
            raise ValueError("W is not row-standardised; pass row_standardise=True")
        W = W / rs[:, None]
    return W


ISLAND_POLICIES = ("raise", "drop")


def _drop_islands(data, entity, w, islands, notes):
    """Apply the island policy: ``"raise"`` (the default, checked in :func:`_weights`) or
    ``"drop"`` (remove units without neighbours, repeatedly, with a note naming them)."""
    if islands not in ISLAND_POLICIES:
        raise ValueError(f"islands must be one of {ISLAND_POLICIES}, got {islands!r}")
    if islands == "raise":
        return data, None
    ent = np.sort(data[entity].unique())
    W = _dense_weights(w, ent)
    dropped: list = []
    while True:
        isl = W.sum(axis=1) == 0
        if not isl.any():
            break
        dropped += ent[isl].tolist()
        ent, W = ent[~isl], W[np.ix_(~isl, ~isl)]
        if ent.size < 2:
            raise ValueError(f"dropping the islands {dropped} leaves fewer than 2 units")
    if dropped:
        notes.append(f"islands (units without neighbours in W) dropped: {dropped} "
                     "(islands='drop')")
        data = data[data[entity].isin(ent)]
    return data, (ent, W)


def _panel_arrays(data, y, x, entity, time, w, row_standardise, islands="raise", notes=None):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    from analysis._validate import check_keys

    check_keys(data, [entity, time], what="spatial panel data")
    data, sub = _drop_islands(data, entity, w, islands, notes if notes is not None else [])
    x = [x] if isinstance(x, str) else list(x)
    if not x:
        raise ValueError("x must name at least one regressor")
    cols = list(dict.fromkeys([y, *x, entity, time]))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    df = data[cols]
    num = list(dict.fromkeys([y, *x]))
    bad = {c: int(df[c].isna().sum()) for c in num if df[c].isna().any()}
    if bad:
        raise ValueError(f"missing values in {bad}: spatial panels need a complete balanced panel")
    if df.duplicated([entity, time]).any():
        raise ValueError(f"duplicate ({entity}, {time}) pairs")
    ent = np.sort(df[entity].unique())
    per = np.sort(df[time].unique())
    if len(df) != ent.size * per.size:
        full = pd.MultiIndex.from_product([ent, per])
        miss = full.difference(pd.MultiIndex.from_frame(df[[entity, time]]))
        raise ValueError(
            f"spatial panels need a balanced panel: {len(miss)} (entity, time) cells missing: "
            f"{miss[:20].tolist()}"
        )
    W = _weights(w, ent, row_standardise, W=sub[1] if sub is not None else None)
    arr = {}
    for c in num:
        arr[c] = df.pivot(index=time, columns=entity, values=c).loc[per, ent].to_numpy(dtype=float)
    return arr, x, W, ent, per


def _ortho_complement(N: int) -> np.ndarray:
    """Orthonormal basis F (N × (N−1)) of the complement of ι (Lee & Yu's F_{N,N−1})."""
    Q, _ = np.linalg.qr(np.column_stack([np.ones(N), np.eye(N)[:, : N - 1]]))
    return Q[:, 1:N]


class _Transformed:
    """Data after the fixed-effects transformation: arrays (T*, N*) flattened time-major."""

    def __init__(self, arr, W, effects, bias_correction):
        T, N = next(iter(arr.values())).shape
        self.T, self.N = T, N
        self.entity = effects in ("entity", "twoways")
        self.timefe = effects in ("time", "twoways")
        self.F = _ortho_complement(N) if (self.timefe and bias_correction) else None
        self.W = W
        self.Ws = self.F.T @ W @ self.F if self.F is not None else W
        if bias_correction:
            self.Teff = T - 1 if self.entity else T
            self.Neff = N - 1 if self.timefe else N
        else:  # direct approach (Elhorst 2003/2014; spreg)
            self.Teff, self.Neff = T, N
        self.n = self.Teff * self.Neff
        self.omega = np.linalg.eigvals(self.Ws)
        self.bias_correction = bias_correction

    def tr(self, A: np.ndarray) -> np.ndarray:
        """Apply the transformation to a (T, N) array; returns a (T, N*) array."""
        B = A - A.mean(axis=0, keepdims=True) if self.entity else A
        if self.timefe:
            B = B - B.mean(axis=1, keepdims=True)
            if self.F is not None:
                B = B @ self.F
        return B

    def lag(self, A: np.ndarray) -> np.ndarray:
        """W applied to each period's cross-section of a (T, N) array (untransformed)."""
        return A @ self.W.T

    def logdet(self, r: float) -> float:
        return float(np.sum(np.log(np.abs(1.0 - r * self.omega))))

    def bounds(self):
        re = self.omega.real
        lo = 1.0 / re.min() if re.min() < 0 else -1.0
        return max(lo, -0.9999) + 1e-6, 1.0 - 1e-6


def _inverse_information(info: np.ndarray) -> np.ndarray:
    """Inverse of the information matrix, or a ValueError when it is singular or not positive
    definite (the model is not identified on these data: too few units or periods, or a
    spatial parameter at the boundary)."""
    ok = np.all(np.isfinite(info))
    if ok:
        ev = np.linalg.eigvalsh((info + info.T) / 2)
        ok = ev[0] > 1e-12 * max(ev[-1], 1e-300)
    if not ok:
        raise ValueError("the information matrix of the ML estimates is singular or not "
                         "positive definite: the spatial model is not identified on this panel "
                         "(too few units or periods after the fixed effects, or no residual "
                         "variation)")
    return np.linalg.inv(info)


def _check_variation(Y: np.ndarray, y: str, Xm: np.ndarray, tf, effects: str) -> None:
    """Refuse a transformed panel with nothing to estimate (before any division by σ²)."""
    if tf.Neff < 2:
        raise ValueError(f"only {tf.N} unit(s): the spatial panel with {effects} effects needs at "
                         "least 3 units (2 after removing the time effects)")
    if tf.n <= Xm.shape[1] + 2:
        raise ValueError(f"{tf.n} observations after the {effects} transformation for "
                         f"{Xm.shape[1]} regressors: too few to estimate")
    if float(Y @ Y) <= 1e-20 * max(float(np.abs(Y).max(initial=0.0)) ** 2, 1e-300) or \
            not np.any(np.abs(Y) > 0):
        raise ValueError(f"{y!r} has no variation left after the {effects} transformation")
    if not np.any(np.abs(tf.Ws) > 1e-12):
        raise ValueError(f"W has no off-diagonal structure left after the {effects} "
                         "transformation (too few units)")


def _check_rank(X: np.ndarray, names: list[str], context: str):
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        # find the columns that are linear combinations of earlier ones
        bad, keep = [], []
        for j in range(X.shape[1]):
            if np.linalg.matrix_rank(X[:, [*keep, j]]) == len(keep) + 1:
                keep.append(j)
            else:
                bad.append(names[j])
        raise ValueError(
            f"collinear regressors after the {context} transformation: {bad} (absorbed by the "
            "fixed effects or linear combinations of other regressors); drop them"
        )


# --------------------------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------------------------


def _fit_lag(Y, Xm, WY, tf, xatol):
    """Concentrated ML for y = ρWy + Xβ + ε on transformed data."""
    XtX = Xm.T @ Xm
    XtXi = np.linalg.inv(XtX)
    b0 = XtXi @ (Xm.T @ Y)
    b1 = XtXi @ (Xm.T @ WY)
    e0 = Y - Xm @ b0
    e1 = WY - Xm @ b1
    n = tf.n

    def negll(r):
        e = e0 - r * e1
        return (n / 2) * np.log(e @ e / n) - tf.Teff * tf.logdet(r)

    lo, hi = tf.bounds()
    res = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded",
                                   options={"xatol": xatol})
    r = float(res.x)
    beta = b0 - r * b1
    e = e0 - r * e1
    s2 = float(e @ e / n)
    ll = -(n / 2) * (np.log(2 * np.pi) + 1 + np.log(s2)) + tf.Teff * tf.logdet(r)
    # information matrix (Lee & Yu 2010, eq. 3.4; Elhorst 2014, eq. 3.13), order (β, ρ, σ²)
    Ns = tf.Ws.shape[0]
    G = tf.Ws @ np.linalg.inv(np.eye(Ns) - r * tf.Ws)
    xb = (Xm @ beta).reshape(tf.T, -1)
    gxb = (xb @ G.T).ravel()
    if gxb.size != Xm.shape[0]:  # pragma: no cover - internal consistency
        raise RuntimeError("shape mismatch in information matrix")
    k = Xm.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = XtX / s2
    info[:k, k] = info[k, :k] = Xm.T @ gxb / s2
    info[k, k] = tf.Teff * (np.trace(G @ G) + np.trace(G.T @ G)) + gxb @ gxb / s2
    info[k, k + 1] = info[k + 1, k] = tf.Teff * np.trace(G) / s2
    info[k + 1, k + 1] = n / (2 * s2**2)
    V = _inverse_information(info)
    return beta, r, s2, ll, V, e


def _fit_error(Y, Xm, WY, WX, tf, xatol):
    """Concentrated ML for y = Xβ + u, u = λWu + ε on transformed data."""
    n = tf.n

    def resid(lam):
        ys = Y - lam * WY
        xs = Xm - lam * WX
        b = np.linalg.lstsq(xs, ys, rcond=None)[0]
        return ys - xs @ b, b, xs

    def negll(lam):
        e, _, _ = resid(lam)
        return (n / 2) * np.log(e @ e / n) - tf.Teff * tf.logdet(lam)

    lo, hi = tf.bounds()
    res = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded",
                                   options={"xatol": xatol})
    lam = float(res.x)
    e, beta, xs = resid(lam)
    s2 = float(e @ e / n)
    ll = -(n / 2) * (np.log(2 * np.pi) + 1 + np.log(s2)) + tf.Teff * tf.logdet(lam)
    Ns = tf.Ws.shape[0]
    B = tf.Ws @ np.linalg.inv(np.eye(Ns) - lam * tf.Ws)
    k = Xm.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = xs.T @ xs / s2
    info[k, k] = tf.Teff * (np.trace(B @ B) + np.trace(B.T @ B))
    info[k, k + 1] = info[k + 1, k] = tf.Teff * np.trace(B) / s2
    info[k + 1, k + 1] = n / (2 * s2**2)
    V = _inverse_information(info)
    return beta, lam, s2, ll, V, e


def lesage_pace_effects(
    rho: float, beta: np.ndarray, theta: np.ndarray | None, W: np.ndarray
) -> np.ndarray:
    """Average direct, indirect and total effects of LeSage & Pace (2009, Section 2.7).

    For each regressor k, ``S_k(W) = (I − ρW)^{-1}(β_k I + θ_k W)``; direct = tr(S_k)/N,
    total = ι'S_kι/N, indirect = total − direct. Computed from the eigenvalues ω of W:
    direct = β_k mean(1/(1 − ρω)) + θ_k mean(ω/(1 − ρω)); total = (β_k + θ_k)/(1 − ρ) for a
    row-standardised W.

    Parameters
    ----------
    rho : float or array (R,)
        Spatial autoregressive coefficient(s).
    beta, theta : array (k,) or (R, k)
        Coefficients of X and of WX (``theta=None`` for SAR).
    W : array (N, N)
        Row-standardised weights.

    Returns
    -------
    numpy.ndarray
        Shape (3, k) (or (R, 3, k) for R draws): rows direct, indirect, total.
    """
    rho = np.atleast_1d(np.asarray(rho, dtype=float))
    beta = np.atleast_2d(np.asarray(beta, dtype=float))
    theta = np.zeros_like(beta) if theta is None else np.atleast_2d(np.asarray(theta, dtype=float))
    om = np.linalg.eigvals(np.asarray(W, dtype=float))
    d1 = np.mean(1.0 / (1.0 - rho[:, None] * om[None, :]), axis=1).real
    d2 = np.mean(om[None, :] / (1.0 - rho[:, None] * om[None, :]), axis=1).real
    direct = beta * d1[:, None] + theta * d2[:, None]
    rs = np.asarray(W).sum(axis=1)
    if np.allclose(rs, 1.0):
        total = (beta + theta) / (1.0 - rho[:, None])
    else:  # general W: ι'(I−ρW)^{-1}(βI + θW)ι / N
        N = W.shape[0]
        tot = []
        for r in rho:
            A = np.linalg.inv(np.eye(N) - r * W)
            tot.append([A.sum() / N, (A @ W).sum() / N])
        tot = np.asarray(tot)
        total = beta * tot[:, :1] + theta * tot[:, 1:]
    out = np.stack([direct, total - direct, total], axis=1)
    return out[0] if out.shape[0] == 1 else out


def spatial_panel(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    entity: str,
    time: str,
    w,
    *,
    model: SpatialModel = "sdm",
    effects: Effects = "twoways",
    wx: Sequence[str] | None = None,
    bias_correction: bool = True,
    row_standardise: bool = False,
    n_sim: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    xatol: float = 1e-10,
    islands: str = "raise",
) -> SpatialResult:
    """Fixed-effects spatial panel model by maximum likelihood (SAR, SEM or SDM).

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced panel, long form (N × T rows).
    y : str
        Dependent variable.
    x : list of str
        Regressors (no constant: absorbed by the fixed effects).
    entity, time : str
        Unit (province) and period (year) identifiers.
    w : array (N, N), pandas.DataFrame or libpysal.weights.W
        Spatial weights. A plain array is ordered like the sorted entity ids; a DataFrame
        (index = columns = ids) or a libpysal W carries its ids. Must be row-standardised (or
        pass ``row_standardise=True``); zero diagonal; no islands (units without neighbours).
    model : {"sdm", "sar", "sem"}
        Spatial Durbin (ρ, β, θ), spatial lag (ρ, β) or spatial error (λ, β).
    effects : {"twoways", "entity", "time"}
        Fixed effects: unit and period (default), unit only, period only.
    wx : list of str, optional
        Regressors whose spatial lags enter the SDM (default all of ``x``).
    bias_correction : bool
        True (default): Lee & Yu (2010) transformation approach (bias-corrected σ², and ρ for
        two-way effects), as ``xsmle, type(both, leeyu)``. False: the direct approach of Elhorst
        (2003/2014) and spreg on demeaned data.
    row_standardise : bool
        Row-standardise a W that is not.
    n_sim : int
        Draws from the asymptotic distribution of the ML estimates for the effects' inference
        (LeSage & Pace 2009; ``xsmle``'s ``nsim()``); 0 skips it.
    seed : int, optional
        Seed of the simulation.
    level : float
        Level of the simulated effect intervals.
    xatol : float
        Tolerance of the scalar search over ρ / λ.
    islands : {"raise", "drop"}
        Policy for units without neighbours in W: ``"raise"`` (default) refuses the matrix and
        names them; ``"drop"`` estimates without them, with a note naming them. (Give islands
        neighbours when building W instead: Hainan is linked to Guangdong by
        :func:`analysis.measures.contiguity_weights`.)

    Returns
    -------
    SpatialResult
        ``params`` = β (``x``), θ (``W*x``, SDM), then ``rho`` or ``lambda``; ``std_errors``
        from the inverse information matrix (z inference); ``sigma2``, ``loglik``, ``effects``.

    Raises
    ------
    KeyError
        A named column is missing.
    ValueError
        Unbalanced panel or missing values, W not matching the entities / not row-standardised /
        with islands, collinear regressors after the transformation (e.g. absorbed by the fixed
        effects), bad option values.

    Notes
    -----
    Concentrated log-likelihood and transformation: see the module docstring (Lee & Yu 2010;
    Elhorst 2014, Spatial Econometrics, ch. 3). Standard errors: inverse of the information
    matrix of (β, ρ, σ²) (Lee & Yu 2010, eq. 3.4; Elhorst 2014, eq. 3.13) with T* replacing T:
    for SAR/SDM, with G = W*(I − ρW*)^{-1},
    I_ββ = X'X/σ², I_βρ = X'(I_T ⊗ G)Xβ/σ², I_ρρ = T* tr(GG + G'G) + β'X'(I ⊗ G'G)Xβ/σ²,
    I_ρσ² = T* tr(G)/σ², I_σ²σ² = n*/(2σ⁴); SEM analogously with B = W*(I − λW*)^{-1} and the
    β block (X − λWX)'(X − λWX)/σ². Effects (SAR/SDM): :func:`lesage_pace_effects` at the
    estimates, with standard errors and percentile intervals from ``n_sim`` draws of
    (β, θ, ρ) ~ N(estimate, V̂) as in LeSage & Pace (2009, Section 2.7) and ``xsmle``; SEM's
    direct effect is β and its indirect effect 0.
    """
    if model not in ("sar", "sem", "sdm"):
        raise ValueError(f"model must be 'sar', 'sem' or 'sdm', got {model!r}")
    if effects not in ("entity", "time", "twoways"):
        raise ValueError(f"effects must be 'entity', 'time' or 'twoways', got {effects!r}")
    if n_sim < 0:
        raise ValueError("n_sim must be >= 0")
    pre_notes: list[str] = []
    arr, x, W, ent, per = _panel_arrays(data, y, x, entity, time, w, row_standardise,
                                        islands=islands, notes=pre_notes)
    T, N = arr[y].shape
    if T < 2 and effects != "time":
        raise ValueError("entity fixed effects need at least two periods")
    tf = _Transformed(arr, W, effects, bias_correction)
    wx = list(x) if wx is None else list(wx)
    if model == "sdm":
        unknown = [v for v in wx if v not in x]
        if unknown:
            raise ValueError(f"wx names variables not in x: {unknown}")
    else:
        wx = []
    names = list(x) + [f"W*{v}" for v in wx]
    cols = [arr[v] for v in x] + [tf.lag(arr[v]) for v in wx]
    Xm = np.column_stack([tf.tr(c).ravel() for c in cols])
    _check_rank(Xm, names, effects)
    Y = tf.tr(arr[y]).ravel()
    _check_variation(Y, y, Xm, tf, effects)
    WY = tf.tr(tf.lag(arr[y])).ravel()
    notes = pre_notes + [f"fixed effects: {effects}; "
                         + ("Lee-Yu transformation (bias-corrected)" if bias_correction
                            else "direct approach (no bias correction)")]
    if model == "sem":
        WX = np.column_stack([tf.tr(tf.lag(c)).ravel() for c in cols])
        beta, sp, s2, ll, V, e = _fit_error(Y, Xm, WY, WX, tf, xatol)
        pname = "lambda"
    else:
        beta, sp, s2, ll, V, e = _fit_lag(Y, Xm, WY, tf, xatol)
        pname = "rho"
    pn = names + [pname]
    params = pd.Series(np.append(beta, sp), index=pn, name="params")
    se = pd.Series(np.sqrt(np.diag(V)[:-1]), index=pn, name="std_errors")
    tss = float(((Y - Y.mean()) ** 2).sum())
    fe = {"entity": [entity], "time": [time], "twoways": [entity, time]}[effects]
    res = SpatialResult(
        params=params, std_errors=se, nobs=N * T, depvar=y, model=model, n_groups=N, dof=None,
        r2_within=1 - float(e @ e) / tss if tss > 0 else None, fixed_effects=fe, cluster=None,
        vcov_type="ML inverse information matrix", notes=notes,
        extra={pname: sp, "sigma2": s2, "logL": ll},
        rho=sp if model != "sem" else None, lam=sp if model == "sem" else None,
        sigma2=s2, loglik=ll, w=W, w_ids=ent.tolist(), effects_type=effects,
        bias_correction=bias_correction,
    )
    res.vcov = pd.DataFrame(V[:-1, :-1], index=pn, columns=pn)
    # effects --------------------------------------------------------------------------------
    k = len(x)
    if model == "sem":
        z = stats.norm.isf((1 - level) / 2)
        rows = []
        for j, v in enumerate(x):
            b, s = beta[j], se.iloc[j]
            for eff, est, sd in [("direct", b, s), ("indirect", 0.0, 0.0), ("total", b, s)]:
                rows.append((v, eff, est, sd, est - z * sd, est + z * sd, est))
        res.effects = _effects_frame(rows)
        return res
    theta = np.zeros(k)
    for i, v in enumerate(wx):
        theta[x.index(v)] = beta[k + i]
    point = lesage_pace_effects(sp, beta[:k], theta, W)
    draws = None
    if n_sim > 0:
        rng = np.random.default_rng(seed)
        Vp = V[:-1, :-1]
        try:
            L = linalg.cholesky(Vp + 1e-14 * np.eye(Vp.shape[0]) * np.trace(Vp), lower=True)
        except linalg.LinAlgError:
            raise ValueError("the covariance of the ML estimates is not positive definite: "
                             "effects cannot be simulated (the model is not identified on "
                             "this panel)") from None
        D = params.to_numpy() + rng.standard_normal((n_sim, Vp.shape[0])) @ L.T
        bd, rd = D[:, :k], D[:, -1]
        td = np.zeros((n_sim, k))
        for i, v in enumerate(wx):
            td[:, x.index(v)] = D[:, k + i]
        draws = lesage_pace_effects(rd, bd, td, W)
        if draws.ndim == 2:
            draws = draws[None]
    a = (1 - level) / 2
    rows = []
    for j, v in enumerate(x):
        for i, eff in enumerate(["direct", "indirect", "total"]):
            est = float(point[i, j])
            if draws is not None:
                dj = draws[:, i, j]
                rows.append((v, eff, est, float(dj.std(ddof=1)), float(np.quantile(dj, a)),
                             float(np.quantile(dj, 1 - a)), float(dj.mean())))
            else:
                rows.append((v, eff, est, np.nan, np.nan, np.nan, np.nan))
    res.effects = _effects_frame(rows)
    res.effects_draws = draws
    return res


def _effects_frame(rows):
    df = pd.DataFrame(rows, columns=["variable", "effect", "estimate", "std_error", "ci_lower",
                                     "ci_upper", "sim_mean"])
    with np.errstate(divide="ignore", invalid="ignore"):
        df["z"] = df["estimate"] / df["std_error"]
    df["p_value"] = 2 * stats.norm.sf(np.abs(df["z"]))
    return df.set_index(["variable", "effect"])[
        ["estimate", "std_error", "z", "p_value", "ci_lower", "ci_upper", "sim_mean"]]


def spatial_lm_tests(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    entity: str,
    time: str,
    w,
    *,
    effects: Effects = "twoways",
    convention: Literal["leeyu", "elhorst"] = "leeyu",
    row_standardise: bool = False,
    islands: str = "raise",
) -> pd.DataFrame:
    """LM tests for a spatial lag or a spatial error in a fixed-effects panel.

    Score tests at ρ = λ = 0 of the likelihood of :func:`spatial_panel`, computed from the
    non-spatial fixed-effects model (OLS on transformed data: residuals e, σ̂² = e'e/n*). With
    W̃ = I_T ⊗ W*, T_W = tr(W*W* + W*'W*), c = 2 (T* tr W*)² / n*::

        s_ρ = e'W̃y/σ̂² − T* tr W*            s_λ = e'W̃e/σ̂² − T* tr W*
        J_ρρ = T* T_W + (W̃Xβ̂)'M(W̃Xβ̂)/σ̂² − c,   J_λλ = J_ρλ = T* T_W − c
        LM lag = s_ρ²/J_ρρ                     LM error = s_λ²/J_λλ
        robust LM lag   = (s_ρ − J_ρλ s_λ/J_λλ)² / (J_ρρ − J_ρλ²/J_λλ)
        robust LM error = (s_λ − J_ρλ s_ρ/J_ρρ)² / (J_λλ − J_ρλ²/J_ρρ)

    each χ²(1) under its null (Anselin 1988; Anselin, Bera, Florax & Yoon 1996; Elhorst 2014,
    Section 3.5; Debarsy & Ertur 2010).

    ``convention="elhorst"`` uses the demeaned data with the original W, T* = T, N* = N
    (σ̂² = e'e/(NT)) and tr W = 0, i.e. exactly the formulas of Elhorst's ``LMsarsem_panel``
    (c = 0, robust denominators J − T T_W and T T_W (1 − T T_W/J)). With time effects these are
    not centred: after demeaning across units, E[e'W̃e] = −(T − 1)σ² ≠ 0 for a row-standardised W
    (the tr W* = −1 term above), so they over-reject (tests/test_spatial_models.py shows it).
    ``"leeyu"`` (default) works in Lee & Yu's transformed space (W* = F'WF, T* = T − 1 with unit
    effects, N* = N − 1 with time effects), where the Jacobian term restores the centring. With
    unit effects only the two conventions differ only through T* = T − 1 vs T.

    Elhorst's decision rule: if both robust tests reject, estimate the SDM.

    With unit effects only and ``convention="elhorst"`` these are exactly spreg's
    cross-sectional LM tests (``spreg.OLS(..., spat_diag=True)``: ``lm_lag``, ``lm_error``,
    ``rlm_lag``, ``rlm_error``) on the stacked demeaned data with the block-diagonal
    ``I_T ⊗ W`` (``tests/test_spatial_models.py``).

    Parameters
    ----------
    data, y, x, entity, time, w, effects, row_standardise, islands
        As in :func:`spatial_panel`.
    convention : {"leeyu", "elhorst"}
        See above.

    Returns
    -------
    pandas.DataFrame
        Rows ``LM lag``, ``LM error``, ``robust LM lag``, ``robust LM error``; columns
        ``statistic``, ``df``, ``p_value``.
    """
    if convention not in ("leeyu", "elhorst"):
        raise ValueError(f"convention must be 'leeyu' or 'elhorst', got {convention!r}")
    arr, x, W, ent, per = _panel_arrays(data, y, x, entity, time, w, row_standardise,
                                        islands=islands)
    tf = _Transformed(arr, W, effects, bias_correction=(convention == "leeyu"))
    Ws, Tst, n = tf.Ws, tf.Teff, tf.n
    Xm = np.column_stack([tf.tr(arr[v]).ravel() for v in x])
    _check_rank(Xm, list(x), effects)
    Y = tf.tr(arr[y]).ravel()
    _check_variation(Y, y, Xm, tf, effects)
    b = np.linalg.lstsq(Xm, Y, rcond=None)[0]
    e = Y - Xm @ b
    s2 = float(e @ e / n)
    if s2 <= 1e-20 * float(Y @ Y) / n:
        raise ValueError(f"the regressors fit {y!r} exactly after the {effects} transformation "
                         "(zero residuals): the LM tests are undefined")
    Wy = tf.tr(tf.lag(arr[y])).ravel()
    We = (e.reshape(tf.T, -1) @ Ws.T).ravel()
    WXb = ((Xm @ b).reshape(tf.T, -1) @ Ws.T).ravel()
    MWXb = WXb - Xm @ np.linalg.lstsq(Xm, WXb, rcond=None)[0]
    trW = 0.0 if convention == "elhorst" else float(np.trace(Ws))
    TW = float(np.trace(Ws @ Ws) + np.trace(Ws.T @ Ws))
    c = 2 * (Tst * trW) ** 2 / n
    s_r = float(e @ Wy) / s2 - Tst * trW
    s_l = float(e @ We) / s2 - Tst * trW
    J_rr = Tst * TW + float(WXb @ MWXb) / s2 - c
    J_ll = J_rl = Tst * TW - c
    dens = [J_rr, J_ll, J_rr - J_rl**2 / J_ll if J_ll > 0 else 0.0,
            J_ll - J_rl**2 / J_rr if J_rr > 0 else 0.0]
    if not all(np.isfinite(v) and v > 1e-12 * max(abs(J_rr), abs(J_ll), 1e-300) for v in dens):
        raise ValueError("the LM tests are undefined on this panel: the information of the "
                         "spatial parameters is zero (too few units, or W has no variation after "
                         f"the {effects} transformation)")
    stats_ = [
        s_r**2 / J_rr,
        s_l**2 / J_ll,
        (s_r - J_rl / J_ll * s_l) ** 2 / (J_rr - J_rl**2 / J_ll),
        (s_l - J_rl / J_rr * s_r) ** 2 / (J_ll - J_rl**2 / J_rr),
    ]
    out = pd.DataFrame({"statistic": stats_},
                       index=["LM lag", "LM error", "robust LM lag", "robust LM error"])
    out["df"] = 1
    out["p_value"] = stats.chi2.sf(out["statistic"], 1)
    return out


def sdm_specification_tests(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    entity: str,
    time: str,
    w,
    *,
    effects: Effects = "twoways",
    bias_correction: bool = True,
    row_standardise: bool = False,
    islands: str = "raise",
    fits: dict | None = None,
) -> pd.DataFrame:
    """Can the spatial Durbin model be simplified? Wald and LR tests (Elhorst 2014, Section 2.3).

    H0 ``θ = 0`` (SDM → SAR) and H0 ``θ + ρβ = 0`` (common-factor restriction, SDM → SEM), each
    χ²(k) with k = number of regressors. Wald statistics use the SDM's ML covariance (the
    common-factor one by the delta method, gradient ``[ρ I, I, β]`` with respect to
    ``(β, θ, ρ)``); LR statistics are ``2 (ln L_SDM − ln L_restricted)`` with the SAR / SEM fitted
    on the same transformed data. If both are rejected the SDM describes the data best; if
    the LM tests pointed to SAR (SEM) and θ = 0 (θ + ρβ = 0) is not rejected, use SAR (SEM).

    Parameters
    ----------
    data, y, x, entity, time, w, effects, bias_correction, row_standardise, islands
        As in :func:`spatial_panel` (every regressor enters W·x).
    fits : dict, optional
        Filled with the three fits (``"sdm"``, ``"sar"``, ``"sem"``, no effects simulation) so
        that callers need not estimate them again.

    Returns
    -------
    pandas.DataFrame
        Rows ``Wald SAR``, ``LR SAR``, ``Wald SEM``, ``LR SEM``; columns ``statistic``, ``df``,
        ``p_value``.
    """
    x = [x] if isinstance(x, str) else list(x)
    kw = dict(effects=effects, bias_correction=bias_correction, row_standardise=row_standardise,
              n_sim=0, islands=islands)
    sdm = spatial_panel(data, y, x, entity, time, w, model="sdm", **kw)
    sar = spatial_panel(data, y, x, entity, time, w, model="sar", **kw)
    sem = spatial_panel(data, y, x, entity, time, w, model="sem", **kw)
    if fits is not None:
        fits.update({"sdm": sdm, "sar": sar, "sem": sem})
    k = len(x)
    p = sdm.params.to_numpy()
    V = sdm.vcov.to_numpy()
    b, th, r = p[:k], p[k:2 * k], p[-1]
    Vt = V[k:2 * k, k:2 * k]
    wald_sar = float(th @ np.linalg.solve(Vt, th))
    g = th + r * b
    Jg = np.hstack([r * np.eye(k), np.eye(k), b[:, None]])
    wald_sem = float(g @ np.linalg.solve(Jg @ V @ Jg.T, g))
    lr_sar = 2 * (sdm.loglik - sar.loglik)
    lr_sem = 2 * (sdm.loglik - sem.loglik)
    out = pd.DataFrame({"statistic": [wald_sar, lr_sar, wald_sem, lr_sem]},
                       index=["Wald SAR", "LR SAR", "Wald SEM", "LR SEM"])
    out["df"] = k
    out["p_value"] = stats.chi2.sf(out["statistic"], k)
    return out


@dataclass
class SpatialSelection:
    """Which spatial model the tests support for one weight matrix, and the fits behind it.

    Attributes
    ----------
    lm : pandas.DataFrame
        :func:`spatial_lm_tests` (LM lag, LM error and their robust forms).
    wald_lr : pandas.DataFrame
        :func:`sdm_specification_tests` (Wald and LR of SDM → SAR and SDM → SEM).
    model : str
        ``"none"`` (no spatial dependence supported: the non-spatial two-way FE model is
        adequate), ``"sar"``, ``"sem"`` or ``"sdm"``.
    dependence : bool
        Whether any test rejects the absence of spatial dependence at ``alpha``.
    interpret_spillovers : bool
        True only for a SAR or SDM chosen on the evidence (a spatial lag of y or of X exists,
        so indirect effects are defined and supported); False for ``"none"`` and ``"sem"``
        (whose indirect effects are zero by construction).
    reasons : list of str
        The decision path, in words.
    fits : dict of str -> SpatialResult
        The SDM, SAR and SEM fits (no effects simulation).
    alpha : float
    """

    lm: pd.DataFrame
    wald_lr: pd.DataFrame
    model: str
    dependence: bool
    interpret_spillovers: bool
    reasons: list[str]
    fits: dict
    alpha: float

    def as_dict(self) -> dict:
        """Verdict as plain data (for ``results.json`` and the reports)."""
        return {"model": self.model, "dependence": self.dependence,
                "interpret_spillovers": self.interpret_spillovers, "reasons": self.reasons,
                "alpha": self.alpha,
                "lm_p": {k: float(v) for k, v in self.lm["p_value"].items()},
                "wald_lr_p": {k: float(v) for k, v in self.wald_lr["p_value"].items()}}


def spatial_model_selection(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    entity: str,
    time: str,
    w,
    *,
    effects: Effects = "twoways",
    alpha: float = 0.05,
    row_standardise: bool = False,
    islands: str = "raise",
) -> SpatialSelection:
    """Choose among no spatial model, SAR, SEM and SDM for one W (Elhorst 2014, Section 2.3).

    The specific-to-general then general-to-specific strategy of Elhorst (2010, "Applied
    spatial econometrics: raising the bar", Spatial Economic Analysis 5(1); 2014, Spatial
    Econometrics, Section 2.3):

    1. LM tests on the non-spatial fixed-effects model (:func:`spatial_lm_tests`: LM lag,
       LM error, robust LM lag, robust LM error; Anselin et al. 1996).
    2. The SDM with Wald and LR tests of θ = 0 (SDM → SAR) and θ + ρβ = 0 (SDM → SEM)
       (:func:`sdm_specification_tests`).
    3. Decision at level ``alpha``: if no LM test and neither LR test rejects, no spatial
       dependence is supported (``"none"``; LM tests alone have little power against a
       spatial lag of X, hence the LR tests). Otherwise: both restrictions rejected → SDM;
       θ = 0 not rejected and the robust LM lag test is the stronger of the two robust tests
       → SAR; θ + ρβ = 0 not rejected and the robust LM error test is the stronger → SEM;
       anything else → SDM, which nests both.

    Parameters
    ----------
    data, y, x, entity, time, w, effects, row_standardise, islands
        As in :func:`spatial_panel`.
    alpha : float
        Significance level of every test (default 0.05).

    Returns
    -------
    SpatialSelection

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1); whatever :func:`spatial_panel` raises (islands without a
        policy, unbalanced panel, collinear regressors …).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    x = [x] if isinstance(x, str) else list(x)
    kw = dict(effects=effects, row_standardise=row_standardise, islands=islands)
    lm = spatial_lm_tests(data, y, x, entity, time, w, **kw)
    fits: dict = {}
    wl = sdm_specification_tests(data, y, x, entity, time, w, fits=fits, **kw)
    p = {**lm["p_value"].to_dict(), **wl["p_value"].to_dict()}
    lm_rej = [k for k in lm.index if p[k] < alpha]
    lr_rej = [k for k in ("LR SAR", "LR SEM") if p[k] < alpha]
    reasons = [("LM tests reject at {:g}: {}".format(alpha, ", ".join(lm_rej)) if lm_rej else
                f"no LM test rejects at {alpha:g} (p = "
                + ", ".join(f"{p[k]:.3f}" for k in lm.index) + ")")]
    if not lm_rej and not lr_rej:
        reasons.append(f"neither LR test of the SDM rejects (p = {p['LR SAR']:.3f}, "
                       f"{p['LR SEM']:.3f}): no spatial dependence supported")
        model = "none"
    else:
        sar_ok, sem_ok = p["LR SAR"] >= alpha, p["LR SEM"] >= alpha
        lag_stronger = lm.loc["robust LM lag", "statistic"] >= lm.loc["robust LM error",
                                                                      "statistic"]
        if not sar_ok and not sem_ok:
            model = "sdm"
            reasons.append("both SDM restrictions rejected (LR SAR p = "
                           f"{p['LR SAR']:.3f}, LR SEM p = {p['LR SEM']:.3f}): SDM")
        elif sar_ok and lag_stronger:
            model = "sar"
            reasons.append(f"θ = 0 not rejected (LR p = {p['LR SAR']:.3f}) and the robust LM "
                           "lag test is the stronger: SAR")
        elif sem_ok and not lag_stronger:
            model = "sem"
            reasons.append(f"θ + ρβ = 0 not rejected (LR p = {p['LR SEM']:.3f}) and the robust "
                           "LM error test is the stronger: SEM")
        else:
            model = "sdm"
            reasons.append("the LM and LR tests point in different directions: SDM, which "
                           "nests SAR and SEM")
    return SpatialSelection(lm=lm, wald_lr=wl, model=model, dependence=model != "none",
                            interpret_spillovers=model in ("sar", "sdm"), reasons=reasons,
                            fits=fits, alpha=alpha)
