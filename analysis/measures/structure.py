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
* Productivity-weighted structural height (产业结构高度; 刘伟, 张辉 & 黄泽华 2008, "中国产业结构
  高度与工业化进程和地区差异的考察")::

      PH = Σ_i s_i · LP_i^N,   s_i = Y_i / Y,   LP_i = Y_i / L_i,
      LP_i^N = (LP_i − LP_i^b) / (LP_i^f − LP_i^b)

  with ``LP_i^b`` and ``LP_i^f`` the labour productivity of sector i at the start and at the
  end of industrialisation (the authors take them from Chenery's stages). A sector's share
  counts more the more productive the sector is, so PH rises with a shift towards productive
  sectors *and* with productivity growth within sectors, where TS only sees shares (and rises
  with de-industrialisation). :func:`structure_height` takes the benchmarks as arguments.

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
    "structure_height",
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


def structure_height(va, emp, *, lp_start=0.0, lp_end) -> pd.Series:
    """Productivity-weighted structural height ``PH = Σ_i s_i (LP_i − LP_i^b)/(LP_i^f − LP_i^b)``.

    刘伟, 张辉 & 黄泽华 (2008), 中国产业结构高度与工业化进程和地区差异的考察 (the formula of
    their structural-height index; see the module notes): sector value-added shares
    ``s_i = Y_i / Σ_j Y_j`` weighted by the sector's labour productivity ``LP_i = Y_i / L_i``
    normalised between a start benchmark ``LP_i^b`` and an end benchmark ``LP_i^f``.

    Parameters
    ----------
    va : DataFrame or array, n_obs by 3
        Value added of the primary, secondary, tertiary sectors (columns in that order, or
        named ``va_primary``, ``va_secondary``, ``va_tertiary``). For comparisons over time,
        at constant prices.
    emp : DataFrame or array, n_obs by 3
        Employment of the same sectors (or named ``emp_primary`` … ``emp_tertiary``).
    lp_start, lp_end : float or sequence of 3 floats
        Benchmarks ``LP^b`` and ``LP^f`` in the unit of ``va / emp`` (亿元 / 万人 = 万元 per
        worker), one for all sectors or one per sector. The original uses Chenery-stage
        productivities; with ``lp_start = 0`` and a single ``lp_end`` the index is the
        share-weighted productivity in units of ``lp_end`` (the models step uses the national
        labour productivity of the base year, see ``analysis.models.pipeline``).

    Returns
    -------
    pandas.Series
        ``PH``, aligned with ``va``'s index: 0 when every sector is at its start benchmark, 1 at
        its end benchmark (values above 1 are possible past the end benchmark).

    Raises
    ------
    ValueError
        Not 3 columns, shapes differ, non-positive or missing value added / employment (naming
        column and row), benchmarks not finite or ``lp_end <= lp_start`` for some sector.

    Examples
    --------
    Y = (10, 40, 50), L = (20, 20, 10): s = (0.1, 0.4, 0.5), LP = (0.5, 2, 5); with
    ``lp_start=0, lp_end=2``: PH = 0.1·0.25 + 0.4·1 + 0.5·2.5 = 1.675.
    """
    Y = _as_frame(va, ["va_primary", "va_secondary", "va_tertiary"], "va")
    L = _as_frame(emp, ["emp_primary", "emp_secondary", "emp_tertiary"], "emp")
    if Y.shape != L.shape:
        raise ValueError(f"va {Y.shape} and emp {L.shape} differ in shape")
    y, lab = Y.to_numpy(dtype=float), L.to_numpy(dtype=float)
    _positive(y, "value added", list(Y.columns), Y.index)
    _positive(lab, "employment", list(L.columns), Y.index)
    b = np.broadcast_to(np.asarray(lp_start, dtype=float), (3,))
    f = np.broadcast_to(np.asarray(lp_end, dtype=float), (3,))
    if not (np.isfinite(b).all() and np.isfinite(f).all()):
        raise ValueError(f"benchmarks must be finite, got lp_start={lp_start!r}, lp_end={lp_end!r}")
    if (f <= b).any():
        raise ValueError(f"lp_end must exceed lp_start for every sector, got {f} vs {b}")
    s = y / y.sum(axis=1, keepdims=True)
    lpn = (y / lab - b) / (f - b)
    return pd.Series((s * lpn).sum(axis=1), index=Y.index, name="PH")
