"""Objective indicator weights besides entropy: CRITIC and principal-component (PCA) weights.

Both are standard alternatives to the entropy method in the composite-indicator literature and
enter the global sensitivity analysis of the integration framework
(:mod:`analysis.framework.sensitivity`) as alternative weighting schemes, as the OECD/JRC
*Handbook on Constructing Composite Indicators* (2008, §6 and §7) recommends.

Notation: ``n_obs`` observations (rows; e.g. province-years) by ``m`` indicators (columns).

CRITIC (CRiteria Importance Through Intercriteria Correlation; Diakoulaki, Mavrotas &
Papayannakis 1995, *Computers & Operations Research* 22(7): 763–770)
--------------------------------------------------------------------------------------------
1. Direction-aware min-max normalisation over all rows, ``z_ij ∈ [0, 1]`` (as the entropy method,
   :func:`analysis.measures.minmax_normalise`).
2. Contrast intensity ``σ_j``: the standard deviation of ``z_·j``.
3. Conflict ``Σ_k (1 − r_jk)`` with ``r_jk`` the Pearson correlation of ``z_·j`` and ``z_·k``.
4. Information ``C_j = σ_j Σ_k (1 − r_jk)``; weight ``w_j = C_j / Σ_k C_k``.

The divisor of σ (n or n − 1) cancels in ``w_j``. An indicator highly correlated with the others
carries little new information and gets a small weight; with ``m = 1`` the weight is 1.

PCA weights (OECD/JRC Handbook 2008, §6.1, after Nicoletti, Scarpetta & Boylaud 2000, OECD
Economics Department WP 226)
--------------------------------------------------------------------------------------------
1. Correlation matrix of the indicators (each standardised over all rows; a negative indicator
   is multiplied by −1 first, which does not change the weights).
2. Retain the principal components whose eigenvalue exceeds ``min_eigenvalue`` (1) **and** that
   explain more than ``min_share`` (10 %) of the variance each; if together they explain less than
   ``min_cumulative`` (60 %), add the next components in order until they do (at least one).
3. Rotate the retained loadings ``L = V·diag(√λ)`` by varimax (raw varimax, as Stata's
   ``rotate, varimax`` and R's ``varimax(normalize = FALSE)``; :func:`varimax`).
4. Assign each indicator to the factor on which its squared loading is largest. Within factor
   f the indicator's weight is its squared loading scaled to unit sum over the factor
   (``L²_if / V_f``, ``V_f = Σ_i L²_if``), and factor f is weighted by its share of the variance
   the retained factors explain (``V_f / Σ_g V_g``); so ``w_i ∝ L²_{i,f(i)}``, normalised to sum 1.

Both methods, like entropy, are *descriptive*: they reward dispersion (CRITIC) or shared variance
(PCA), not importance in any causal sense (Handbook §6: "weights based on statistical models …
reflect the statistical properties of the data"). A constant indicator has no defined weight:
``on_constant="raise"`` (default) names it, ``"zero"`` gives it weight 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.measures.entropy import _check_numeric, _parse_directions, minmax_normalise

__all__ = [
    "WeightResult",
    "PCAWeightResult",
    "critic_weight",
    "pca_weight",
    "critic_weights_array",
    "pca_weights_array",
    "varimax",
]

#: A column whose range is at most this share of its largest absolute value (or exactly 0) is
#: constant for the weighting schemes here (floating-point noise, not information).
CONSTANT_RTOL = 1e-9


@dataclass
class WeightResult:
    """Weights of one weighting scheme.

    Attributes
    ----------
    weights : pandas.Series
        ``w_j`` per indicator (length m), non-negative, summing to 1.
    table : pandas.DataFrame
        One row per indicator with the scheme's intermediate quantities (CRITIC: ``sd``,
        ``conflict``, ``information``, ``weight``).
    """

    weights: pd.Series
    table: pd.DataFrame


@dataclass
class PCAWeightResult(WeightResult):
    """PCA weights (see the module notes).

    Attributes
    ----------
    eigenvalues : pandas.Series
        All m eigenvalues of the correlation matrix, largest first.
    n_factors : int
        Number of retained components.
    loadings : pandas.DataFrame
        m by ``n_factors`` rotated loadings.
    """

    eigenvalues: pd.Series | None = None
    n_factors: int = 1
    loadings: pd.DataFrame | None = None


def _constant_columns(x: np.ndarray) -> np.ndarray:
    rng = x.max(axis=0) - x.min(axis=0)
    scale = np.abs(x).max(axis=0)
    return rng <= CONSTANT_RTOL * np.where(scale > 0, scale, 1.0)


def critic_weights_array(z: np.ndarray) -> np.ndarray:
    """CRITIC weights of already normalised values (n_obs by m array, no constant column).

    Parameters
    ----------
    z : numpy.ndarray
        Direction-aware normalised indicators (min-max in the original method), n_obs ≥ 2 rows.

    Returns
    -------
    numpy.ndarray
        m weights summing to 1 (``[1.0]`` when m = 1).

    Raises
    ------
    ValueError
        A constant column (zero standard deviation), or all indicators perfectly correlated
        (every ``C_j = 0``): the weights are undefined.
    """
    z = np.asarray(z, dtype=float)
    m = z.shape[1]
    if m == 1:
        return np.ones(1)
    sd = z.std(axis=0)
    if (sd <= 0).any():
        raise ValueError(f"CRITIC: constant column(s) at position(s) {np.flatnonzero(sd <= 0).tolist()}")
    r = np.corrcoef(z, rowvar=False)
    info = sd * (1.0 - r).sum(axis=0)
    info = np.clip(info, 0.0, None)
    if info.sum() <= 0:
        raise ValueError("CRITIC: all indicators are perfectly correlated; weights undefined")
    return info / info.sum()


def critic_weight(
    data: pd.DataFrame,
    directions=None,
    *,
    on_constant: Literal["raise", "zero"] = "raise",
) -> WeightResult:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995).

    Parameters
    ----------
    data : pandas.DataFrame
        n_obs by m indicators (numeric, no missing values, n_obs ≥ 2).
    directions : None, str, sequence or mapping, optional
        ``"+"``/``"-"`` per indicator, as :func:`analysis.measures.entropy_weight`.
    on_constant : {"raise", "zero"}
        A constant indicator: raise (default, naming it) or give it weight 0.

    Returns
    -------
    WeightResult
        ``.weights`` (Series, sum 1) and ``.table`` with ``sd`` (σ_j of the normalised values,
        ddof = 0), ``conflict`` (Σ_k (1 − r_jk)), ``information`` (C_j) and ``weight``.

    Raises
    ------
    TypeError, ValueError
        As :func:`analysis.measures.minmax_normalise` (missing values, non-numeric or constant
        columns, unknown directions); every indicator constant or all perfectly correlated.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [0.0, 2.0, 1.0]})
    >>> critic_weight(df).weights.round(3).tolist()
    [0.5, 0.5]
    """
    x = _check_numeric(data)
    if x.shape[0] < 2:
        raise ValueError(f"CRITIC needs at least 2 observations, got {x.shape[0]}")
    const = _constant_columns(x)
    if const.any() and on_constant == "raise":
        raise ValueError(f"constant indicator(s) {list(data.columns[const])}: CRITIC weights are "
                         "undefined (no contrast). Drop it, or pass on_constant='zero'.")
    if const.all():
        raise ValueError(f"every indicator is constant ({list(data.columns)}): no weights")
    z = minmax_normalise(data.loc[:, ~const], _parse_directions(data.columns, directions)[~const],
                         on_constant="zero").to_numpy()
    w = np.zeros(x.shape[1])
    w[~const] = critic_weights_array(z)
    sd = np.zeros(x.shape[1])
    sd[~const] = z.std(axis=0)
    conflict = np.zeros(x.shape[1])
    if (~const).sum() > 1:
        conflict[~const] = (1.0 - np.corrcoef(z, rowvar=False)).sum(axis=0)
    table = pd.DataFrame({"sd": sd, "conflict": conflict, "information": sd * conflict, "weight": w},
                         index=data.columns).rename_axis("indicator")
    return WeightResult(weights=pd.Series(w, index=data.columns, name="weight"), table=table)


def _retained(eig: np.ndarray, min_eigenvalue: float, min_share: float, min_cumulative: float) -> int:
    share = eig / eig.sum()
    k = int(((eig > min_eigenvalue) & (share > min_share)).sum())
    k = max(k, 1)
    while k < len(eig) and share[:k].sum() < min_cumulative:
        k += 1
    return k


def varimax(loadings: np.ndarray, *, tol: float = 1e-12, max_sweeps: int = 100) -> np.ndarray:
    """Raw varimax rotation (Kaiser 1958) of an m by k loading matrix.

    Maximises ``Σ_f [Σ_i L⁴_if / m − (Σ_i L²_if / m)²]`` over orthogonal rotations by Kaiser's
    (1959) pairwise algorithm: each pair of factors (x, y) is rotated by the angle that is optimal
    for that pair in closed form, ``φ = ¼·atan2(D − 2AB/m, C − (A² − B²)/m)`` with
    ``u = x² − y²``, ``v = 2xy``, ``A = Σu``, ``B = Σv``, ``C = Σ(u² − v²)``, ``D = 2Σuv``; sweeps
    over all pairs repeat until no angle exceeds ``tol``. For k = 2 one rotation is exact. No
    Kaiser row normalisation (Stata's ``rotate, varimax`` default; R's
    ``varimax(normalize = FALSE)``). Tested against statsmodels' gradient-projection
    ``rotate_factors(L, "varimax")``, which is far slower (it dominated the run time of the
    sensitivity analysis).

    Parameters
    ----------
    loadings : numpy.ndarray
        m by k.
    tol : float
        Largest rotation angle (radians) still applied.
    max_sweeps : int

    Returns
    -------
    numpy.ndarray
        The rotated m by k loadings (signs and column order arbitrary, as for any varimax).

    Raises
    ------
    ValueError
        Not two-dimensional, or missing/infinite loadings (naming the rows).
    """
    from analysis._validate import check_finite

    L = np.array(loadings, dtype=float)
    if L.ndim != 2:
        raise ValueError(f"loadings must be an m by k matrix, got shape {L.shape}")
    check_finite(L, what="loadings")
    m, k = L.shape
    if k < 2:
        return L
    for _ in range(max_sweeps):
        largest = 0.0
        for a in range(k - 1):
            for b in range(a + 1, k):
                x, y = L[:, a], L[:, b]
                u, v = x * x - y * y, 2 * x * y
                A, B = u.sum(), v.sum()
                C, D = (u * u - v * v).sum(), 2 * (u * v).sum()
                phi = 0.25 * np.arctan2(D - 2 * A * B / m, C - (A * A - B * B) / m)
                if abs(phi) > tol:
                    c, s = np.cos(phi), np.sin(phi)
                    L[:, a], L[:, b] = c * x + s * y, -s * x + c * y
                largest = max(largest, abs(phi))
        if largest <= tol:
            break
    return L


def pca_weights_array(
    x: np.ndarray,
    *,
    min_eigenvalue: float = 1.0,
    min_share: float = 0.10,
    min_cumulative: float = 0.60,
    return_details: bool = False,
):
    """PCA weights of an n_obs by m array (no constant column); see the module notes.

    Parameters
    ----------
    x : numpy.ndarray
        Indicators, any units (standardised inside); signs do not matter.
    min_eigenvalue, min_share, min_cumulative : float
        Retention rules (Handbook defaults 1, 0.10, 0.60).
    return_details : bool
        Also return ``(eigenvalues, n_factors, rotated loadings)``.

    Returns
    -------
    numpy.ndarray or tuple
        m weights summing to 1 (``[1.0]`` when m = 1); with ``return_details`` a tuple
        ``(weights, eigenvalues, n_factors, loadings)``.

    Raises
    ------
    ValueError
        A constant column.
    """
    x = np.asarray(x, dtype=float)
    m = x.shape[1]
    if m == 1:
        w = np.ones(1)
        return (w, np.ones(1), 1, np.ones((1, 1))) if return_details else w
    sd = x.std(axis=0)
    if (sd <= 0).any():
        raise ValueError(f"PCA weights: constant column(s) at position(s) {np.flatnonzero(sd <= 0).tolist()}")
    R = np.corrcoef(x, rowvar=False)
    eig, vec = np.linalg.eigh(R)
    order = np.argsort(eig)[::-1]
    eig, vec = np.clip(eig[order], 0.0, None), vec[:, order]
    k = _retained(eig, min_eigenvalue, min_share, min_cumulative)
    L = vec[:, :k] * np.sqrt(eig[:k])
    if k > 1:
        L = varimax(L)
    sq = L**2
    assigned = sq.argmax(axis=1)
    raw = sq[np.arange(m), assigned]
    w = raw / raw.sum()
    return (w, eig, k, L) if return_details else w


def pca_weight(
    data: pd.DataFrame,
    directions=None,
    *,
    min_eigenvalue: float = 1.0,
    min_share: float = 0.10,
    min_cumulative: float = 0.60,
    on_constant: Literal["raise", "zero"] = "raise",
) -> PCAWeightResult:
    """Principal-component weights (OECD/JRC Handbook 2008, §6.1; Nicoletti et al. 2000).

    Parameters
    ----------
    data : pandas.DataFrame
        n_obs by m indicators (numeric, no missing values, n_obs ≥ 2).
    directions : optional
        ``"+"``/``"-"`` per indicator. Checked, but a sign flip leaves squared loadings and so
        the weights unchanged.
    min_eigenvalue, min_share, min_cumulative : float
        Component retention (defaults: eigenvalue > 1, each > 10 % of the variance, together
        ≥ 60 %, adding components in order until the last rule holds).
    on_constant : {"raise", "zero"}
        A constant indicator: raise (default) or give it weight 0 (left out of the PCA).

    Returns
    -------
    PCAWeightResult
        ``.weights`` (sum 1), ``.table`` (``factor``: the component each indicator is assigned
        to, ``loading_sq``: its squared rotated loading there, ``weight``), ``.eigenvalues``,
        ``.n_factors``, ``.loadings`` (m by n_factors, rotated).

    Raises
    ------
    TypeError, ValueError
        Missing / non-numeric values, a constant indicator with ``on_constant="raise"``, every
        indicator constant, unknown directions.
    """
    x = _check_numeric(data)
    _parse_directions(data.columns, directions)
    if x.shape[0] < 2:
        raise ValueError(f"PCA weights need at least 2 observations, got {x.shape[0]}")
    const = _constant_columns(x)
    if const.any() and on_constant == "raise":
        raise ValueError(f"constant indicator(s) {list(data.columns[const])}: no variance, so no "
                         "principal-component weight. Drop it, or pass on_constant='zero'.")
    if const.all():
        raise ValueError(f"every indicator is constant ({list(data.columns)}): no weights")
    keep = data.columns[~const]
    w_k, eig, k, L = pca_weights_array(x[:, ~const], min_eigenvalue=min_eigenvalue,
                                       min_share=min_share, min_cumulative=min_cumulative,
                                       return_details=True)
    w = pd.Series(0.0, index=data.columns, name="weight")
    w[keep] = w_k
    sq = L**2
    table = pd.DataFrame({"factor": np.full(len(data.columns), -1), "loading_sq": 0.0, "weight": w},
                         index=data.columns).rename_axis("indicator")
    table.loc[keep, "factor"] = sq.argmax(axis=1) + 1
    table.loc[keep, "loading_sq"] = sq.max(axis=1)
    loadings = pd.DataFrame(L, index=keep, columns=[f"F{j + 1}" for j in range(k)])
    return PCAWeightResult(weights=w, table=table,
                           eigenvalues=pd.Series(eig, index=range(1, len(eig) + 1), name="eigenvalue"),
                           n_factors=int(k), loadings=loadings)
