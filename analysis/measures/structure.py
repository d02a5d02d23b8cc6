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

from analysis._validate import as_vector, check_keys, first_rows

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
        bad = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise TypeError(f"{what}: columns {bad} are not numeric")
    else:
        try:
            arr = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be numeric, got {type(x).__name__}") from None
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError(f"{what} must be n_obs by 3 (primary, secondary, tertiary), got "
                             f"shape {arr.shape}")
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
    bad = ~((values > 0) & np.isfinite(values))
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        i = int(np.flatnonzero(bad[:, j])[0])
        raise ValueError(
            f"{what}: column {cols[j]!r} must be positive and finite; got {values[i, j]!r} "
            f"at row {index[i]!r} ({int(bad.sum())} such values)"
        )


def _ratio(num, den, names: tuple[str, str], out_name: str) -> pd.Series | np.ndarray:
    """num / den for two columns given as (n,), (n, 1), list or Series: validated alike."""
    n, n_idx = as_vector(num, what=names[0])
    d, d_idx = as_vector(den, what=names[1], n=len(n))
    if n_idx is not None and d_idx is not None and not n_idx.equals(d_idx):
        raise ValueError(f"{names[0]} and {names[1]} have different indexes; align them first")
    idx = n_idx if n_idx is not None else d_idx
    rows = idx if idx is not None else pd.RangeIndex(len(n))
    if (n < 0).any():
        raise ValueError(f"{names[0]} must be non-negative; negative at rows {first_rows(rows, n < 0)}")
    if (d <= 0).any():
        raise ValueError(f"{names[1]} must be positive (the ratio is undefined); not positive at "
                         f"rows {first_rows(rows, d <= 0)}")
    with np.errstate(over="ignore"):
        out = n / d
    if not np.isfinite(out).all():
        raise ValueError(f"{names[0]} / {names[1]} overflows (denominator too close to 0) at rows "
                         f"{first_rows(rows, ~np.isfinite(out))}")
    return pd.Series(out, index=idx, name=out_name) if idx is not None else out


def advanced_structure(va_tertiary, va_secondary) -> pd.Series | np.ndarray:
    """Advanced industrial structure ``TS = VA_tertiary / VA_secondary`` (干春晖等 2011).

    Parameters
    ----------
    va_tertiary, va_secondary : Series, array-like ((n,) or (n, 1)) or list, length n_obs
        Value added of the tertiary and secondary sectors, same unit. Two Series must share
        their index.

    Returns
    -------
    Series named ``TS`` (if an input is a Series, with its index) or ndarray of float, (n,).

    Raises
    ------
    TypeError
        Non-numeric input.
    ValueError
        Missing or infinite values, negative tertiary or non-positive secondary value added
        (naming the rows), lengths or indexes that differ.
    """
    return _ratio(va_tertiary, va_secondary, ("va_tertiary", "va_secondary"), "TS")


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
    TypeError
        Non-numeric columns.
    ValueError
        Not 3 columns, shapes or indexes differ, non-positive, missing or infinite value added
        / employment (naming column and row).
    """
    Y = _as_frame(va, ["va_primary", "va_secondary", "va_tertiary"], "va")
    L = _as_frame(emp, ["emp_primary", "emp_secondary", "emp_tertiary"], "emp")
    if Y.shape != L.shape:
        raise ValueError(f"va {Y.shape} and emp {L.shape} differ in shape")
    if isinstance(va, pd.DataFrame) and isinstance(emp, pd.DataFrame) and not va.index.equals(emp.index):
        raise ValueError("va and emp have different indexes; align them first")
    y, lab = Y.to_numpy(dtype=float), L.to_numpy(dtype=float)
    _positive(y, "value added", list(Y.columns), Y.index)
    _positive(lab, "employment", list(L.columns), Y.index)
    tl = _theil(y, lab)
    if not np.isfinite(tl).all():
        raise ValueError(f"TL overflows (a share too close to 0) at rows "
                         f"{first_rows(Y.index, ~np.isfinite(tl))}")
    return pd.Series(tl, index=Y.index, name="TL")


def _theil(y: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """TL row by row; inf/NaN where a share under- or overflows (callers decide)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        s = y / y.sum(axis=1, keepdims=True)
        e = lab / lab.sum(axis=1, keepdims=True)
        return (s * np.log(s / e)).sum(axis=1)


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
    TypeError
        Non-numeric columns.
    ValueError
        Not 3 columns, negative, missing or infinite values, zero total (naming column and
        rows).
    """
    Y = _as_frame(va, ["va_primary", "va_secondary", "va_tertiary"], "va")
    y = Y.to_numpy(dtype=float)
    bad = ~np.isfinite(y) | (y < 0)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        raise ValueError(f"value added must be non-negative and finite for H; column "
                         f"{Y.columns[j]!r} at rows {first_rows(Y.index, bad[:, j])}")
    tot = y.sum(axis=1)
    if (tot <= 0).any():
        raise ValueError(f"total value added must be positive for H; zero at rows "
                         f"{first_rows(Y.index, tot <= 0)}")
    return pd.Series((y * np.array([1.0, 2.0, 3.0])).sum(axis=1) / tot, index=Y.index, name="H")


def hightech_share(hightech, total) -> pd.Series | np.ndarray:
    """High-technology share ``hightech / total``.

    Parameters
    ----------
    hightech, total : Series, array-like ((n,) or (n, 1)) or list, length n_obs
        E.g. high-tech industry revenue and industrial revenue (same unit). With our panel the
        available denominator is often GDP (``hightech_revenue / gdp``): that is a revenue-to-
        value-added *intensity*, not a share, and can exceed 1 — label it so.

    Returns
    -------
    Series named ``hightech_share`` (if an input is a Series) or ndarray of float, (n,).

    Raises
    ------
    TypeError
        Non-numeric input.
    ValueError
        Missing or infinite values, negative numerator, non-positive denominator (naming the
        rows), lengths or indexes that differ.
    """
    return _ratio(hightech, total, ("hightech", "total"), "hightech_share")


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
        ``TL``, ``TL_neg``. Rows with a missing, infinite or non-positive input get NaN for the
        affected index (documented handling, so one gap does not stop the panel); the rows
        are listed in ``result.attrs["notes"]``.

    Raises
    ------
    TypeError
        ``panel`` not a DataFrame, or non-numeric value-added / employment columns.
    KeyError
        Value-added columns missing.
    ValueError
        Keys (``province_code``, ``year`` where present) missing, empty or duplicated (naming
        the rows).
    """
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"panel must be a DataFrame, got {type(panel).__name__}")
    va_cols = ["va_primary", "va_secondary", "va_tertiary"]
    emp_cols = ["emp_primary", "emp_secondary", "emp_tertiary"]
    missing = [c for c in va_cols if c not in panel.columns]
    if missing:
        raise KeyError(f"panel lacks value-added columns {missing}")
    keys = [c for c in ("province_code", "year") if c in panel.columns]
    if keys:
        check_keys(panel, keys, what="panel")
    has_emp = all(c in panel.columns for c in emp_cols)
    bad = [c for c in va_cols + (emp_cols if has_emp else []) if not pd.api.types.is_numeric_dtype(panel[c])]
    if bad:
        raise TypeError(f"panel columns {bad} are not numeric")
    out = panel[keys].copy()
    notes: list[str] = []
    y = panel[va_cols].to_numpy(dtype=float, na_value=np.nan)
    ok_y = ((y > 0) & np.isfinite(y)).all(axis=1)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ok_y &= np.isfinite(y[:, 2] / y[:, 1]) & np.isfinite(y.sum(axis=1))
    if not ok_y.all():
        notes.append(f"TS, H (and TL) NaN in {int((~ok_y).sum())} row(s) with missing, "
                     f"non-positive or overflowing value added: rows "
                     f"{first_rows(panel.index, ~ok_y)}")
    ts, h = np.full(len(panel), np.nan), np.full(len(panel), np.nan)
    if ok_y.any():
        ts[ok_y] = advanced_structure(y[ok_y, 2], y[ok_y, 1])
        h[ok_y] = structure_level(y[ok_y]).to_numpy()
    out["TS"] = ts
    out["H"] = h
    if has_emp:
        e = panel[emp_cols].to_numpy(dtype=float, na_value=np.nan)
        ok_e = ((e > 0) & np.isfinite(e)).all(axis=1)
        tl = np.full(len(panel), np.nan)
        rows = ok_y & ok_e
        if rows.any():
            tl[rows] = _theil(y[rows], e[rows])
        ok = rows & np.isfinite(tl)
        tl[~ok] = np.nan
        if (ok_y & ~ok).any():
            notes.append(f"TL NaN in {int((ok_y & ~ok).sum())} row(s) with missing, non-positive "
                         f"or overflowing employment: rows {first_rows(panel.index, ok_y & ~ok)}")
        out["TL"] = tl
        out["TL_neg"] = -tl
    out.attrs["notes"] = notes
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
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        s = y / y.sum(axis=1, keepdims=True)
        lpn = (y / lab - b) / (f - b)
        ph = (s * lpn).sum(axis=1)
    if not np.isfinite(ph).all():
        raise ValueError(f"PH overflows (employment too close to 0) at rows "
                         f"{first_rows(Y.index, ~np.isfinite(ph))}")
    return pd.Series(ph, index=Y.index, name="PH")
