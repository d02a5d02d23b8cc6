"""Checks of panel keys at the entry of every estimator (missing, blank, duplicated).

Self-contained (pandas and numpy only) so that it can move to a package-wide validator module
unchanged. A key is an identifier column such as ``province_code``, ``year`` or a cluster id.
Estimators call :func:`check_panel_keys` before anything else, so bad keys fail with the rows
named instead of becoming a group of their own (an empty string is a valid pandas group) or
being dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["check_panel_keys"]


def _rows(index: pd.Index, mask: np.ndarray, limit: int = 5) -> str:
    labels = index[mask][:limit].tolist()
    more = f" … ({int(mask.sum())} in all)" if mask.sum() > limit else ""
    return f"{labels}{more}"


def check_panel_keys(data: pd.DataFrame, keys: Sequence[str], *, unique: Sequence[str] | None = None,
                     context: str = "") -> None:
    """Raise if a key column has missing, empty or whitespace-only values, or keys repeat.

    Parameters
    ----------
    data : DataFrame
        The panel as given by the caller (its index labels are the rows named in messages).
    keys : sequence of str
        Identifier columns to check for missing and blank values (entity, time, cluster …).
    unique : sequence of str, optional
        Columns whose combination must identify a row (default: none). Typically
        ``[entity, time]``.
    context : str
        Prefix for messages (the estimator's name).

    Raises
    ------
    KeyError
        A key column is not in ``data``.
    ValueError
        Missing values (NaN, None, NaT, pandas NA), empty or whitespace-only strings, or
        duplicated ``unique`` combinations; the message names the column and the first rows
        (index labels) concerned.
    """
    pre = f"{context}: " if context else ""
    cols = list(dict.fromkeys([*keys, *(unique or [])]))
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise KeyError(f"{pre}key column(s) not in data: {absent}")
    for c in cols:
        s = data[c]
        miss = s.isna().to_numpy()
        if miss.any():
            raise ValueError(f"{pre}key column {c!r} has {int(miss.sum())} missing value(s) at "
                             f"rows {_rows(data.index, miss)}")
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            blank = s.map(lambda v: isinstance(v, str) and v.strip() == "").to_numpy(dtype=bool)
            if blank.any():
                raise ValueError(f"{pre}key column {c!r} has {int(blank.sum())} empty or "
                                 f"whitespace-only value(s) at rows {_rows(data.index, blank)}")
    if unique:
        dup = data.duplicated(list(unique), keep=False).to_numpy()
        if dup.any():
            first = data.loc[dup, list(unique)].drop_duplicates().head(5)
            pairs = [tuple(r) for r in first.itertuples(index=False)]
            raise ValueError(f"{pre}duplicate ({', '.join(unique)}) pairs {pairs} at rows "
                             f"{_rows(data.index, dup)}")
