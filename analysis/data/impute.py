"""Explicit, flagged interpolation of panel gaps (never applied silently).

The processed panel keeps every missing cell as NaN (see ``data/processed/gaps.csv``). A user
or a model that needs a balanced panel calls :func:`interpolate_linear` on purpose; every cell it
fills is described in a ``<col>_flag`` column, so the filled values can be dropped or reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def interpolate_linear(panel: pd.DataFrame, columns: list[str], *, max_gap: int = 2,
                       unit: str = "province_code", time: str = "year") -> pd.DataFrame:
    """Linearly interpolate interior gaps of at most ``max_gap`` consecutive years, with flags.

    Parameters
    ----------
    panel : DataFrame
        Long panel with columns ``unit``, ``time`` (int years) and ``columns``; one row per
        unit-year (years need not be consecutive: interpolation is in calendar time).
    columns : list of str
        Numeric columns to fill.
    max_gap : int, default 2
        Longest run of missing years that is filled. Longer runs, and gaps before the first or
        after the last observation of a unit (extrapolation), stay NaN.
    unit, time : str
        Panel identifiers.

    Returns
    -------
    DataFrame
        A copy of ``panel`` with the gaps filled and, for every column, ``<col>_flag`` (string):
        ``"linear interpolation <y0>-<y1>"`` where this function filled the cell, an existing
        flag kept where one was present, missing elsewhere.

    Notes
    -----
    For a gap between observed years :math:`y_0 < t < y_1`,
    :math:`x_t = x_{y_0} + (x_{y_1} - x_{y_0}) (t - y_0) / (y_1 - y_0)` (as Stata's
    ``ipolate x year, by(province)`` restricted to interior gaps of bounded length).

    Raises
    ------
    KeyError
        A column is absent. ValueError: duplicated (unit, time).
    """
    missing = [c for c in [unit, time, *columns] if c not in panel.columns]
    if missing:
        raise KeyError(f"interpolate_linear: columns not in the panel: {missing}")
    if panel.duplicated([unit, time]).any():
        raise ValueError(f"interpolate_linear: duplicated ({unit}, {time}) rows")
    # positional labels inside: the caller's index may repeat (e.g. after pd.concat)
    work = panel.reset_index(drop=True)
    out = work.sort_values([unit, time]).copy()
    for col in columns:
        flag_col = f"{col}_flag"
        flags = (out[flag_col].astype("string") if flag_col in out
                 else pd.Series(pd.NA, index=out.index, dtype="string"))
        for _, g in out.groupby(unit, sort=False):
            s = g[col].astype(float)
            years = g[time].to_numpy()
            obs = np.flatnonzero(s.notna().to_numpy())
            for a, b in zip(obs[:-1], obs[1:], strict=False):
                if b - a <= 1:
                    continue
                y0, y1 = years[a], years[b]
                if y1 - y0 - 1 > max_gap:
                    continue
                x0, x1 = s.iloc[a], s.iloc[b]
                idx = g.index[a + 1:b]
                t = years[a + 1:b]
                out.loc[idx, col] = x0 + (x1 - x0) * (t - y0) / (y1 - y0)
                flags.loc[idx] = f"linear interpolation {_year(y0)}-{_year(y1)}"
        out[flag_col] = flags
    out = out.loc[work.index]
    out.index = panel.index
    return out


def _year(y) -> str:
    """2010.0 -> '2010' (float years print as integers in flags)."""
    return str(int(y)) if float(y).is_integer() else str(y)


__all__ = ["interpolate_linear"]
