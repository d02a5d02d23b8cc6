"""Industrial-structure upgrading (产业结构升级) indices.

* Advanced structure (产业结构高级化) ``TS = VA_tertiary / VA_secondary``
  (干春晖, 郑若谷 & 余典范 2011, 中国产业结构变迁对经济增长和波动的影响, 经济研究 46(5), 4–16).
* Rationalisation (产业结构合理化), Theil form (same source)::

      TL = Σ_i (Y_i / Y) ln[ (Y_i / L_i) / (Y / L) ],  i = 1, 2, 3

  with Y value added and L employment. ``TL = Σ s_i ln(s_i / l_i)`` (s value-added shares, l
  employment shares) is a Kullback–Leibler divergence, so ``TL ≥ 0``; ``TL = 0`` means sectoral
  labour productivities are equal (the structure is "rational", in equilibrium). Larger TL =
  *less* rational. **Sign convention as an outcome:** a regression of TL on R&D reads a negative
  coefficient as *promoting* rationalisation; many papers instead use ``−TL`` (or ``1/TL``) so
  that larger is better — say which in every table. :func:`structure_indices` returns both
  ``TL`` and ``TL_neg = −TL``.
* Structure level coefficient (产业结构层次系数) ``H = Σ_i i · (Y_i / Y) = 1·s1 + 2·s2 + 3·s3``,
  ``H ∈ [1, 3]`` (commonly attributed to 徐德云 2008; venue not verified here).
* High-technology share: high-tech output over a total in the same unit.

Inputs are value added (亿元, current prices; only ratios are used, so any common unit) and
employment (万人).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "advanced_structure",
    "rationalisation_theil",
    "structure_level",
    "hightech_share",
    "structure_indices",
]


def _as_frame(x, names: list[str], what: str) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        df = x
    else:
        arr = np.asarray(x, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError(f"{what} must be n_obs by 3 (primary, secondary, tertiary)")
        df = pd.DataFrame(arr, columns=names)
    if df.shape[1] != 3:
        raise ValueError(
            f"{what} must have exactly 3 columns (primary, secondary, tertiary), got "
            f"{list(df.columns)}"
        )
    if set(df.columns) == set(names):
        df = df[names]  # contract names (docs/CONTRACTS.md): put them in sector order
    return df


def _positive(values: np.ndarray, what: str, cols, index) -> None:
    bad = ~(values > 0)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        i = int(np.flatnonzero(bad[:, j])[0])
        raise ValueError(
            f"{what}: column {cols[j]!r} must be positive and non-missing; got {values[i, j]!r} "
            f"at row {index[i]!r} ({int(bad.sum())} such values)"
        )


def advanced_structure(va_tertiary, va_secondary) -> pd.Series | np.ndarray:
    """Advanced industrial structure ``TS = VA_tertiary / VA_secondary`` (干春晖等 2011).

    Parameters
    ----------
    va_tertiary, va_secondary : Series or array-like, length n_obs
        Value added of the tertiary and secondary sectors, same unit.

    Returns
    -------
    Series (if inputs are Series, aligned) or ndarray of float.

    Raises
    ------
    ValueError
        Non-positive secondary value added (the ratio is undefined).
    """
    t = va_tertiary if isinstance(va_tertiary, pd.Series) else np.asarray(va_tertiary, float)
    s = va_secondary if isinstance(va_secondary, pd.Series) else np.asarray(va_secondary, float)
    if (np.asarray(s, dtype=float) <= 0).any():
        raise ValueError("secondary value added must be positive for TS = tertiary / secondary")
    out = t / s
    return out.rename("TS") if isinstance(out, pd.Series) else out


def rationalisation_theil(va, emp) -> pd.Series:
    """Theil index of structural rationalisation TL (干春晖等 2011, eq. for TL).

    Parameters
    ----------
    va : DataFrame or array, n_obs by 3
        Value added of the primary, secondary, tertiary sectors: columns in that order, or
        named ``va_primary``, ``va_secondary``, ``va_tertiary`` (then any order).
    emp : DataFrame or array, n_obs by 3
        Employment of the same sectors, same order (or named ``emp_primary`` … ``emp_tertiary``).

    Returns
    -------
    pandas.Series
        ``TL = Σ_i (Y_i/Y) ln[(Y_i/L_i)/(Y/L)] ≥ 0``; 0 = rational (see module notes for the
        sign convention when used as an outcome). Aligned with ``va``'s index.

    Raises
    ------
    ValueError
        Not 3 columns, shapes differ, non-positive or missing value added / employment
        (naming column and row).
    """
    Y = _as_frame(va, ["va_primary", "va_secondary", "va_tertiary"], "va")
    L = _as_frame(emp, ["emp_primary", "emp_secondary", "emp_tertiary"], "emp")
    if Y.shape != L.shape:
        raise ValueError(f"va {Y.shape} and emp {L.shape} differ in shape")
    y, lab = Y.to_numpy(dtype=float), L.to_numpy(dtype=float)
    _positive(y, "value added", list(Y.columns), Y.index)
    _positive(lab, "employment", list(L.columns), Y.index)
    s = y / y.sum(axis=1, keepdims=True)
    e = lab / lab.sum(axis=1, keepdims=True)
    tl = (s * np.log(s / e)).sum(axis=1)
    return pd.Series(tl, index=Y.index, name="TL")


def structure_level(va) -> pd.Series:
    """Industrial-structure level coefficient ``H = Σ_{i=1}^{3} i · Y_i / Y``.

    Parameters
    ----------
    va : DataFrame or array, n_obs by 3
        Primary, secondary, tertiary value added: columns in that order, or named
        ``va_primary``, ``va_secondary``, ``va_tertiary`` (then any order). The weight i of a
        column is its sector number, so the order matters.

    Returns
    -------
    pandas.Series
        H in [1, 3], aligned with ``va``'s index.

    Raises
    ------
    ValueError
        Not 3 columns, negative or missing values, zero total.
    """
    Y = _as_frame(va, ["va_primary", "va_secondary", "va_tertiary"], "va")
    y = Y.to_numpy(dtype=float)
    if np.isnan(y).any() or (y < 0).any():
        raise ValueError("value added must be non-negative and non-missing for H")
    tot = y.sum(axis=1)
    if (tot <= 0).any():
        raise ValueError("total value added must be positive for H")
    return pd.Series((y * np.array([1.0, 2.0, 3.0])).sum(axis=1) / tot, index=Y.index, name="H")


def hightech_share(hightech, total) -> pd.Series | np.ndarray:
    """High-technology share ``hightech / total``.

    Parameters
    ----------
    hightech, total : Series or array-like, length n_obs
        E.g. high-tech industry revenue and industrial revenue (same unit). With our panel the
        available denominator is often GDP (``hightech_revenue / gdp``): that is a revenue-to-
        value-added *intensity*, not a share, and can exceed 1 — label it so.

    Returns
    -------
    Series or ndarray of float.

    Raises
    ------
    ValueError
        Non-positive denominator.
    """
    h = hightech if isinstance(hightech, pd.Series) else np.asarray(hightech, float)
    t = total if isinstance(total, pd.Series) else np.asarray(total, float)
    if (np.asarray(t, dtype=float) <= 0).any():
        raise ValueError("the denominator of the high-tech share must be positive")
    out = h / t
    return out.rename("hightech_share") if isinstance(out, pd.Series) else out


def structure_indices(panel: pd.DataFrame) -> pd.DataFrame:
    """TS, TL, −TL and H from a panel with the contract columns.

    Parameters
    ----------
    panel : pandas.DataFrame
        Columns ``va_primary``, ``va_secondary``, ``va_tertiary`` (亿元) and, for TL,
        ``emp_primary``, ``emp_secondary``, ``emp_tertiary`` (万人); keys are kept if present.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``panel.index``: ``province_code``/``year`` (if present), ``TS``, ``H``,
        ``TL``, ``TL_neg``. Rows with a missing or non-positive input get NaN for the affected
        index (documented handling, so one gap does not stop the panel).

    Raises
    ------
    KeyError
        Value-added columns missing.
    """
    va_cols = ["va_primary", "va_secondary", "va_tertiary"]
    emp_cols = ["emp_primary", "emp_secondary", "emp_tertiary"]
    missing = [c for c in va_cols if c not in panel.columns]
    if missing:
        raise KeyError(f"panel lacks value-added columns {missing}")
    out = panel[[c for c in ("province_code", "year") if c in panel.columns]].copy()
    y = panel[va_cols].to_numpy(dtype=float)
    ok_y = (y > 0).all(axis=1)
    ts, h = np.full(len(panel), np.nan), np.full(len(panel), np.nan)
    if ok_y.any():
        ts[ok_y] = advanced_structure(y[ok_y, 2], y[ok_y, 1])
        h[ok_y] = structure_level(y[ok_y]).to_numpy()
    out["TS"] = ts
    out["H"] = h
    if all(c in panel.columns for c in emp_cols):
        e = panel[emp_cols].to_numpy(dtype=float)
        ok = ok_y & (e > 0).all(axis=1)
        tl = np.full(len(panel), np.nan)
        if ok.any():
            tl[ok] = rationalisation_theil(y[ok], e[ok]).to_numpy()
        out["TL"] = tl
        out["TL_neg"] = -tl
    return out
