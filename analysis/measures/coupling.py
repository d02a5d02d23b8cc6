"""Coupling coordination degree (耦合协调度) of n ≥ 2 subsystems.

For subsystem scores ``U_1 … U_n`` in [0, 1] (e.g. entropy-method scores):

* coupling degree, standard form (the normative formula "规范公式" of Wang et al. 2021)::

      C = [ Π_i U_i / ((1/n) Σ_i U_i)^n ]^(1/n)  =  geometric mean / arithmetic mean

  for n = 2: ``C = 2 sqrt(U1 U2) / (U1 + U2)``. ``C ∈ [0, 1]`` and ``C = 1`` iff all ``U_i`` are
  equal (AM–GM). Dropping the factor n (``C = [ΠU / (ΣU)^n]^(1/n)``, the "丢失系数" mistake
  criticised by Wang et al.) caps C at 1/n; that form is not offered.
* coupling degree, modified form of 王淑佳, 孔伟, 任亮, 治丹丹 & 戴彬婷 (Wang, Kong, Ren, Zhi & Dai
  2021), 国内耦合协调度模型的误区及修正, 自然资源学报 36(3), 793–810 (``variant="wang2021"``)::

      C = sqrt{ [1 − Σ_{i>j} sqrt((U_i − U_j)²) / Σ_{m=1}^{n−1} m] × Π_i (U_i / max_i U_i)^(1/(n−1)) }

  The first factor penalises the mean absolute pairwise gap (``Σ_{m=1}^{n−1} m = n(n−1)/2`` is the
  number of pairs), the second the ratios to the leading subsystem; for n = 2,
  ``C = sqrt[(1 − |U1 − U2|) · min(U)/max(U)]``. We could not read the paper's formula text in the
  stored copy; the formula above is as cited in the project brief and secondary sources (the
  R package ``mathmodels`` by zhjx19, ``coupling_degree(type = "adjusted")``, implements the
  same expression), and it is consistent with every original/modified pair of the paper's
  Table 8 (see ``tests/test_coupling.py``), which the unsquare-rooted form is not.
* comprehensive development index ``T = Σ_i α_i U_i`` (``Σ α_i = 1``, default equal weights);
* coupling coordination degree ``D = sqrt(C · T)``.

Degenerate case: when all ``U_i`` are equal (including all 0) we set ``C = 1`` (the limit along the
diagonal); then ``D = sqrt(T)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis._validate import as_vector

__all__ = [
    "COORDINATION_CLASSES",
    "coupling_coordination",
    "coupling_degree",
    "classify_coordination",
    "relative_development_type",
]

Variant = Literal["standard", "wang2021"]


def _check_U(U: pd.DataFrame) -> np.ndarray:
    if not isinstance(U, pd.DataFrame):
        raise TypeError(f"U must be a DataFrame (one column per subsystem), got {type(U).__name__}")
    if U.shape[0] == 0:
        raise ValueError("U has no rows")
    if U.shape[1] < 2:
        raise ValueError(f"coupling needs at least 2 subsystems (columns), got {U.shape[1]}")
    non_num = [c for c in U.columns if not pd.api.types.is_numeric_dtype(U[c])]
    if non_num:
        raise TypeError(f"subsystem columns must be numeric; not numeric: {non_num}")
    u = U.to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(u)
    if nan.any():
        cols = list(U.columns[nan.any(axis=0)])
        rows = list(U.index[nan.any(axis=1)][:3])
        raise ValueError(f"missing subsystem scores in columns {cols} (first rows {rows})")
    # tolerate rounding (a score of 1 + 2.2e-16 from Σ_j w_j z_ij with all z_ij = 1), clip it
    eps = 1e-12
    bad = (u < -eps) | (u > 1 + eps)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        i = int(np.flatnonzero(bad[:, j])[0])
        raise ValueError(
            f"subsystem scores must lie in [0, 1]; column {U.columns[j]!r} has {u[i, j]!r} at "
            f"row {U.index[i]!r} ({int(bad.sum())} values out of range). Normalise first "
            "(e.g. entropy_weight(...).scores)."
        )
    return np.clip(u, 0.0, 1.0)


def coupling_degree(u: np.ndarray, variant: Variant = "standard") -> np.ndarray:
    """Coupling degree C for an (n_obs by n) array of subsystem scores in [0, 1].

    Parameters
    ----------
    u : numpy.ndarray or DataFrame
        n_obs by n (n ≥ 2), values in [0, 1] (rounding up to 1e-12 outside is clipped).
    variant : {"standard", "wang2021"}
        Formula, see the module notes.

    Returns
    -------
    numpy.ndarray
        C, length n_obs, in [0, 1].

    Raises
    ------
    TypeError
        Non-numeric scores.
    ValueError
        Not two-dimensional with at least 2 columns, missing values or values outside [0, 1]
        (naming column and row), unknown ``variant``.
    """
    if variant not in ("standard", "wang2021"):
        raise ValueError(f"variant must be 'standard' or 'wang2021', got {variant!r}")
    if isinstance(u, pd.DataFrame):
        u = _check_U(u)
    else:
        try:
            arr = np.asarray(u, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"u must be numeric, got {type(u).__name__}") from None
        if arr.ndim != 2:
            raise ValueError(f"u must be n_obs by n subsystems (2-D), got shape {arr.shape}")
        u = _check_U(pd.DataFrame(arr))
    n = u.shape[1]
    umax = u.max(axis=1)
    umin = u.min(axis=1)
    equal = umax == umin
    if variant == "standard":
        mean = u.mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            # geometric mean via logs, 0 when any U_i = 0
            gm = np.where(umin > 0, np.exp(np.log(np.where(u > 0, u, 1.0)).mean(axis=1)), 0.0)
            c = np.where(mean > 0, gm / np.where(mean > 0, mean, 1.0), 1.0)
    elif variant == "wang2021":
        iu, ju = np.triu_indices(n, k=1)
        gap = np.abs(u[:, iu] - u[:, ju]).sum(axis=1) / (n * (n - 1) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(umax[:, None] > 0, u / np.where(umax > 0, umax, 1.0)[:, None], 1.0)
            prod = np.where(
                ratio.min(axis=1) > 0,
                np.exp(np.log(np.where(ratio > 0, ratio, 1.0)).sum(axis=1) / (n - 1)),
                0.0,
            )
        c = np.sqrt(np.clip(1.0 - gap, 0.0, 1.0) * prod)
    else:
        raise ValueError(f"variant must be 'standard' or 'wang2021', got {variant!r}")
    c = np.where(equal, 1.0, c)
    return np.clip(c, 0.0, 1.0)


def coupling_coordination(
    U: pd.DataFrame,
    weights: Sequence[float] | pd.Series | None = None,
    *,
    variant: Variant = "standard",
) -> pd.DataFrame:
    """Coupling degree C, comprehensive index T and coupling coordination degree D.

    Parameters
    ----------
    U : pandas.DataFrame
        n_obs by n subsystem scores in [0, 1], one column per subsystem (n ≥ 2).
    weights : sequence or Series of float, optional
        Contribution weights ``α_i`` of the subsystems in T (non-negative, summing to 1); a
        Series is matched to the columns by name. Default: equal weights ``1/n`` (for two
        subsystems of equal importance, α = β = 0.5).
    variant : {"standard", "wang2021"}
        Coupling-degree formula (see module notes).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``U.index``, columns ``C``, ``T``, ``D`` (all in [0, 1]).

    Raises
    ------
    TypeError
        ``U`` not a DataFrame, non-numeric columns.
    ValueError
        Fewer than 2 subsystems, missing values, values outside [0, 1] (naming column and row),
        weights of wrong length, negative or not summing to 1, unknown variant.

    Notes
    -----
    ``C`` as in the module notes; ``T = Σ α_i U_i``; ``D = sqrt(C·T)``. Source: 廖重斌 (1999),
    热带地理 19(2); normative form and modification: Wang et al. (2021), 自然资源学报 36(3).

    Examples
    --------
    >>> import pandas as pd
    >>> coupling_coordination(pd.DataFrame({"st": [0.4], "ind": [0.4]})).round(4).to_dict("records")
    [{'C': 1.0, 'T': 0.4, 'D': 0.6325}]
    """
    if variant not in ("standard", "wang2021"):
        raise ValueError(f"variant must be 'standard' or 'wang2021', got {variant!r}")
    u = _check_U(U)
    n = u.shape[1]
    if weights is None:
        a = np.full(n, 1.0 / n)
    else:
        if isinstance(weights, pd.Series):
            missing = [c for c in U.columns if c not in weights.index]
            if missing:
                raise ValueError(f"weights missing for subsystems {missing}")
            a = weights.reindex(U.columns).to_numpy(dtype=float)
        else:
            a = np.asarray(list(weights), dtype=float)
        if a.shape != (n,):
            raise ValueError(f"weights must have one entry per subsystem ({n}), got {a.shape}")
        if (a < 0).any() or not np.isclose(a.sum(), 1.0, atol=1e-9):
            raise ValueError(f"weights must be non-negative and sum to 1, got {a.tolist()}")
    c = coupling_degree(u, variant)
    t = u @ a
    d = np.sqrt(c * t)
    return pd.DataFrame({"C": c, "T": t, "D": d}, index=U.index)


# Ten-level classification of D, intervals [lower, upper), the top class closed: [0.9, 1.0].
COORDINATION_CLASSES = pd.DataFrame(
    {
        "level": range(1, 11),
        "lower": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "upper": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        "label_zh": [
            "极度失调", "严重失调", "中度失调", "轻度失调", "濒临失调",
            "勉强协调", "初级协调", "中级协调", "良好协调", "优质协调",
        ],
        "label_en": [
            "extreme imbalance", "serious imbalance", "moderate imbalance", "mild imbalance",
            "verge of imbalance", "barely coordinated", "primary coordination",
            "intermediate coordination", "good coordination", "high-quality coordination",
        ],
    }
)
COORDINATION_CLASSES.__doc__ = "Ten-level D classification (intervals [lower, upper), 1.0 in level 10)."


def classify_coordination(
    D: pd.Series | Sequence[float] | np.ndarray,
    *,
    lang: Literal["zh", "en", "level"] = "zh",
) -> pd.Series:
    """Ten-level classification of the coupling coordination degree D.

    Parameters
    ----------
    D : Series, array-like or one-column DataFrame of float
        Coordination degrees in [0, 1] (length n_obs; ``(n,)``, ``(n, 1)``, list and Series
        alike). NaN stays NaN (documented: an observation without D has no class).
    lang : {"zh", "en", "level"}
        Return Chinese labels, English labels or the level number 1–10.

    Returns
    -------
    pandas.Series
        Ordered categorical labels (or int levels), aligned with ``D``'s index if a Series.

    Notes
    -----
    Classes (廖重斌 1999's ten-level scheme, as used by e.g. Wang et al. 2021):
    [0, 0.1) 极度失调 extreme imbalance, [0.1, 0.2) 严重失调, [0.2, 0.3) 中度失调,
    [0.3, 0.4) 轻度失调, [0.4, 0.5) 濒临失调, [0.5, 0.6) 勉强协调, [0.6, 0.7) 初级协调,
    [0.7, 0.8) 中级协调, [0.8, 0.9) 良好协调, [0.9, 1.0] 优质协调. Interval ends: left-closed,
    right-open, with D = 1.0 in the top class. Some papers write (a, b] instead; the two differ
    only for D exactly on a boundary (0.1, 0.2, …).

    Raises
    ------
    TypeError
        Non-numeric D.
    ValueError
        D outside [0, 1] or infinite (naming the rows); not one column; unknown ``lang``.
    """
    if lang not in ("zh", "en", "level"):
        raise ValueError(f"lang must be 'zh', 'en' or 'level', got {lang!r}")
    d, idx = as_vector(D, what="D", allow_nan=True)
    out = ~np.isnan(d) & ((d < 0) | (d > 1 + 1e-12))
    if out.any():
        rows = list((idx if idx is not None else pd.RangeIndex(len(d)))[out][:5])
        raise ValueError(f"coordination degree D must lie in [0, 1]; {int(out.sum())} value(s) "
                         f"outside at rows {rows}")
    level = np.minimum(np.floor(np.round(d * 10, 12)), 9) + 1  # [a, b), 1.0 -> level 10
    if lang == "level":
        return pd.Series(level, index=idx, name="D_level").astype("Int64")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh', 'en' or 'level', got {lang!r}")
    labels = COORDINATION_CLASSES[f"label_{lang}"].tolist()
    codes = np.where(np.isnan(level), -1, level - 1).astype(int)
    cat = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return pd.Series(cat, index=idx, name="D_class")


def relative_development_type(
    U: pd.DataFrame,
    *,
    tolerance: float = 0.1,
    balanced: str = "synchronous",
) -> pd.Series:
    """Which subsystem lags (相对发展类型: X 滞后型 / 同步型).

    Parameters
    ----------
    U : pandas.DataFrame
        n_obs by n subsystem scores in [0, 1].
    tolerance : float, default 0.1
        If ``max_i U_i − min_i U_i ≤ tolerance`` the observation is balanced (同步型);
        otherwise the subsystem with the lowest score lags. 0.1 is the most common threshold for
        two subsystems in the literature (|U1 − U2| ≤ 0.1 同步).
    balanced : str
        Label returned for balanced observations.

    Returns
    -------
    pandas.Series of str
        Name of the lagging subsystem (a column of ``U``), or ``balanced``; aligned with
        ``U.index``.

    Raises
    ------
    ValueError
        As :func:`coupling_coordination`; negative tolerance.
    """
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance}")
    u = _check_U(U)
    gap = u.max(axis=1) - u.min(axis=1)
    lag = np.asarray(U.columns, dtype=object)[u.argmin(axis=1)]
    out = np.where(gap <= tolerance + 1e-12, balanced, lag)
    return pd.Series(out, index=U.index, name="lagging", dtype=object)
