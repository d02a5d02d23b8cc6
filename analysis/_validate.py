"""Input checks shared by the measures and the models: one wording, one rule each.

Every check raises ``ValueError`` (bad values) or ``TypeError`` (bad types) whose message names
the argument, the column and the first offending rows, or returns the cleaned input. None of
them reads files. Used by :mod:`analysis.measures` and :mod:`analysis.models`.

=================================  ===========================================================
function                           rule
=================================  ===========================================================
:func:`check_keys`                 panel keys present, not missing, not empty or blank
                                   strings, (optionally) unique; rows named
:func:`check_labels`               a group/label vector: no missing, empty or blank labels
:func:`as_vector`                  ``(n,)``, ``(n, 1)``, Series, list, 1-column DataFrame →
                                   float ``(n,)`` array plus its index (all treated alike)
:func:`check_finite`               no NaN/inf in an array, naming column and rows
:func:`constant_columns`           columns whose range is at most ``CONSTANT_RTOL`` × their
                                   magnitude (constant up to floating-point rounding)
:func:`spectral_radius`,           an input (or allocation) coefficient matrix is productive:
:func:`check_productive`           spectral radius < 1 (Leontief/Ghosh inverse exists and is
                                   non-negative for a non-negative matrix); the violating
                                   columns and zero-output sectors are named
:func:`check_islands`              units of a spatial weights matrix without neighbours, named,
                                   refused unless a policy is given
=================================  ===========================================================
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "CONSTANT_RTOL",
    "IslandWarning",
    "as_vector",
    "check_finite",
    "check_islands",
    "check_keys",
    "check_labels",
    "check_productive",
    "constant_columns",
    "first_rows",
    "spectral_radius",
]

CONSTANT_RTOL = 1e-9
"""An indicator whose range (max − min) is at most ``CONSTANT_RTOL · max|x|`` is constant.

Published statistics carry at most 6–8 significant digits, so two values that differ in the
ninth significant digit are the same number; float64 rounding leaves differences of about
2.2e-16 relative, far below. Min-max normalising such a column would blow rounding noise up to
the full [0, 1] range (and give it the largest entropy weight)."""


def first_rows(index: Sequence | pd.Index, mask, k: int = 5) -> str:
    """``"[r1, r2, r3] (+n more)"``: the first ``k`` labels of ``index`` where ``mask`` is true."""
    idx = list(pd.Index(index)[np.asarray(mask, dtype=bool)])
    shown = ", ".join(repr(i) for i in idx[:k])
    more = f" (+{len(idx) - k} more)" if len(idx) > k else ""
    return f"[{shown}]{more}"


def _blank(values: pd.Series) -> np.ndarray:
    """Missing, empty or whitespace-only labels."""
    miss = np.asarray(values.isna(), dtype=bool)
    blank = np.fromiter((isinstance(v, str) and not v.strip() for v in values.to_numpy(object)),
                        dtype=bool, count=len(values))
    return miss | blank


def check_keys(data: pd.DataFrame, keys: Sequence[str], *, what: str = "data",
               unique: bool = True) -> None:
    """Check panel keys at entry: present, non-missing, non-blank and (by default) unique.

    Parameters
    ----------
    data : pandas.DataFrame
        The panel.
    keys : sequence of str
        Key columns (e.g. ``["province_code", "year"]``; one column for a cross-section).
    what : str
        Name of the argument, for messages.
    unique : bool
        Also require each combination of keys to occur once.

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame.
    ValueError
        A key column is absent, has missing, empty or whitespace-only values (naming the rows),
        or (``unique``) a key combination occurs more than once (naming the rows and keys).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    keys = list(keys)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise ValueError(f"{what} lacks the key column(s) {missing}")
    for k in keys:
        bad = _blank(data[k])
        if bad.any():
            raise ValueError(f"{what}: key column {k!r} is missing, empty or blank in "
                             f"{int(bad.sum())} row(s): rows {first_rows(data.index, bad)}")
    if unique:
        dup = data.duplicated(keys, keep=False).to_numpy()
        if dup.any():
            ex = data.loc[dup, keys].head(3).to_dict("records")
            raise ValueError(f"{what}: {int(dup.sum())} rows share their key ({', '.join(keys)}): "
                             f"rows {first_rows(data.index, dup)}, e.g. {ex}")


def check_labels(labels, *, what: str = "groups", index: Sequence | None = None) -> np.ndarray:
    """A vector of group labels (e.g. regions): no missing, empty or blank values.

    Parameters
    ----------
    labels : array-like or Series, length n
    what : str
        Name of the argument, for messages.
    index : sequence, optional
        Row labels for messages (default: the Series index, else positions).

    Returns
    -------
    numpy.ndarray
        The labels, one-dimensional, object dtype.

    Raises
    ------
    ValueError
        Not one-dimensional, or a missing/empty/blank label (naming rows).
    """
    if isinstance(labels, pd.DataFrame):
        if labels.shape[1] != 1:
            raise TypeError(f"{what} must be one column of labels, got {labels.shape[1]} columns")
        labels = labels.iloc[:, 0]
    if isinstance(labels, pd.Series):
        s = labels
    else:
        arr = np.asarray(labels, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
        s = pd.Series(arr)
    idx = s.index if index is None else pd.Index(index)
    bad = _blank(s)
    if bad.any():
        raise ValueError(f"{what} has {int(bad.sum())} missing, empty or blank label(s): "
                         f"rows {first_rows(idx, bad)}")
    return s.to_numpy(dtype=object)


def as_vector(x, *, what: str = "x", n: int | None = None,
              allow_nan: bool = False) -> tuple[np.ndarray, pd.Index | None]:
    """One numeric column as a float ``(n,)`` array, whatever its container.

    ``(n,)`` and ``(n, 1)`` arrays, lists, Series and one-column DataFrames give the same
    array; Series/DataFrame input also returns its index (for messages and results).

    Parameters
    ----------
    x : array-like, Series or one-column DataFrame
    what : str
        Name of the argument, for messages.
    n : int, optional
        Required length.
    allow_nan : bool
        Accept NaN (never ±inf).

    Returns
    -------
    (numpy.ndarray, pandas.Index or None)

    Raises
    ------
    TypeError
        Non-numeric values.
    ValueError
        More than one column, wrong length, or non-finite values (naming rows).
    """
    index = None
    if isinstance(x, pd.DataFrame):
        if x.shape[1] != 1:
            raise ValueError(f"{what} must be one column, got {x.shape[1]} columns {list(x.columns)}")
        index, x = x.index, x.iloc[:, 0]
    if isinstance(x, pd.Series):
        index = x.index if index is None else index
        if not (pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x)):
            try:
                x = pd.to_numeric(x)
            except (TypeError, ValueError):
                raise TypeError(f"{what} must be numeric; got dtype {x.dtype}") from None
        arr = x.to_numpy(dtype="float64", na_value=np.nan)
    else:
        try:
            arr = np.asarray(x, dtype="float64")
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be numeric, got {type(x).__name__}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional ((n,) or (n, 1)), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{what} must have length {n}, got {arr.shape[0]}")
    check_finite(arr, what=what, index=index, allow_nan=allow_nan)
    return arr, index


def check_finite(values: np.ndarray, *, what: str = "x", index: Sequence | None = None,
                 columns: Sequence | None = None, allow_nan: bool = False) -> None:
    """Raise naming the column and first rows of NaN (unless ``allow_nan``) or ±inf values.

    Parameters
    ----------
    values : numpy.ndarray, one- or two-dimensional
    what : str
        Name of the argument.
    index, columns : sequence, optional
        Row and column labels for the message (default positions).

    Raises
    ------
    ValueError
        NaN or ±inf found.
    """
    v = np.asarray(values, dtype="float64")
    bad = np.isinf(v) if allow_nan else ~np.isfinite(v)
    if not bad.any():
        return
    idx = pd.RangeIndex(v.shape[0]) if index is None else pd.Index(index)
    kind = "infinite" if allow_nan else "missing or infinite"
    if v.ndim == 1:
        raise ValueError(f"{what} has {int(bad.sum())} {kind} value(s) at rows "
                         f"{first_rows(idx, bad)}")
    cols = list(range(v.shape[1])) if columns is None else list(columns)
    parts = [f"{cols[j]!r} rows {first_rows(idx, bad[:, j])}" for j in np.flatnonzero(bad.any(axis=0))]
    raise ValueError(f"{what} has {int(bad.sum())} {kind} value(s): " + "; ".join(parts[:5]))


def constant_columns(values: np.ndarray, *, rtol: float = CONSTANT_RTOL) -> np.ndarray:
    """Boolean mask of columns that are constant up to ``rtol`` (see :data:`CONSTANT_RTOL`).

    A column is constant when ``max − min ≤ rtol · max(|max|, |min|)``; an all-zero column is
    constant. Columns must be finite (check first).

    Parameters
    ----------
    values : numpy.ndarray, n by m (or length n: one column)
    rtol : float
        Relative tolerance (≥ 0).

    Returns
    -------
    numpy.ndarray of bool, length m
    """
    v = np.asarray(values, dtype="float64")
    if v.ndim == 1:
        v = v[:, None]
    if v.shape[0] == 0:
        return np.ones(v.shape[1], dtype=bool)
    hi, lo = v.max(axis=0), v.min(axis=0)
    scale = np.maximum(np.abs(hi), np.abs(lo))
    return (hi - lo) <= rtol * scale


def spectral_radius(M: np.ndarray) -> float:
    """Largest absolute eigenvalue of a square matrix."""
    if M.size == 0:
        return 0.0
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def check_productive(M: np.ndarray, *, what: str = "A", labels: Sequence | None = None,
                     axis: Literal[0, 1] = 0, zero_output: Sequence | None = None) -> float:
    """Check that a coefficient matrix is productive before inverting ``I − M``.

    The Leontief inverse ``(I − A)⁻¹ = Σ_k A^k`` exists, and is non-negative for a
    non-negative ``A``, exactly when the spectral radius ρ(A) < 1 (Hawkins–Simon; Miller &
    Blair 2009, §2.3 and Appendix 2.1). Column sums of A below 1 (value added positive in every
    sector) are sufficient, not necessary: regional tables with a sector of negative value
    added can still be productive, so the test is on ρ. The same holds for the Ghosh matrix B
    (row sums; ρ(B) = ρ(A) when every sector has output).

    Parameters
    ----------
    M : numpy.ndarray, n × n
        Input (A, ``axis=0``: columns are buyers) or allocation (B, ``axis=1``: rows are
        sellers) coefficients.
    what : str
        Name of the matrix, for messages.
    labels : sequence, optional
        Sector labels (default positions).
    axis : {0, 1}
        Sum over rows (0: column sums of A) or columns (1: row sums of B) for the message.
    zero_output : sequence, optional
        Labels of sectors with zero output (named in the message).

    Returns
    -------
    float
        ρ(M), below 1.

    Raises
    ------
    ValueError
        ρ(M) ≥ 1 (up to 1e-12): the message gives ρ, the sectors whose column (row) sum
        reaches 1, and the zero-output sectors.
    """
    rho = spectral_radius(M)
    if rho < 1 - 1e-12 and np.isfinite(rho):
        return rho
    lab = list(range(M.shape[0])) if labels is None else list(labels)
    sums = M.sum(axis=axis)
    over = [f"{lab[j]!r} ({sums[j]:.4g})" for j in np.flatnonzero(sums >= 1)]
    kind = "column" if axis == 0 else "row"
    msg = (f"{what} is not productive: spectral radius {rho:.6g} >= 1, so I − {what} has no "
           f"non-negative inverse (the multipliers would be negative or infinite). Sectors whose "
           f"{kind} sum of {what} is >= 1: {', '.join(over[:10]) or 'none'}")
    if zero_output:
        msg += f"; sectors with zero output: {list(zero_output)[:10]}"
    raise ValueError(msg + ". Check the flows and outputs of these sectors (units? a "
                     "missing output?).")


class IslandWarning(UserWarning):
    """A spatial unit without neighbours was linked or kept by the stated policy."""


def check_islands(w: Any, *, policy: str | None = None, what: str = "w",
                  names: dict | None = None) -> list:
    """Units of a libpysal ``W`` without neighbours: refused unless a policy is given.

    Parameters
    ----------
    w : libpysal.weights.W
    policy : str, optional
        What the caller does with islands (e.g. ``"keep"``, ``"drop"``); ``None`` refuses them.
    what : str
        Name of the argument, for messages.
    names : dict, optional
        id -> how to show it in the message (e.g. ``"460000 (Hainan)"``; default the id).

    Returns
    -------
    list
        The island ids (empty when there are none); with a policy, an :class:`IslandWarning`
        names them and the policy.

    Raises
    ------
    ValueError
        Islands present and ``policy`` is None (naming them).
    """
    islands = [i for i in w.id_order if len(w.neighbors.get(i, [])) == 0]
    if not islands:
        return []
    named = ", ".join(str(names[i]) if names and i in names else str(i) for i in islands)
    if policy is None:
        raise ValueError(f"{what} has unit(s) without neighbours (islands): {named}. Link them "
                         "(e.g. contiguity_weights(island_links=...)) or pass islands='keep' "
                         "(their spatial lag is 0) or islands='drop' (left out)")
    warnings.warn(f"{what}: unit(s) without neighbours {named}: islands={policy!r}",
                  IslandWarning, stacklevel=3)
    return islands
