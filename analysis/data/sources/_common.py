"""Helpers shared by the source parsers: layout checks, long → wide, key normalisation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.data.provinces import CODES, is_aggregate, normalise_series


class SourceLayoutError(ValueError):
    """A raw file does not have the layout its parser expects (missing column, sheet, …)."""


class ConflictingValuesError(ValueError):
    """The same province-year-variable appears twice in a raw file with different values."""


def require_file(path: Path) -> Path:
    """Return ``path`` if it exists, else raise ``FileNotFoundError`` naming it."""
    if not path.is_file():
        raise FileNotFoundError(
            f"raw file {path} not found; run `python -m analysis data fetch` first"
        )
    return path


def require_columns(df: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Raise :class:`SourceLayoutError` naming ``where`` if any of ``columns`` is missing."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SourceLayoutError(
            f"{where}: expected column(s) {missing} not found; columns present: {list(df.columns)}"
        )


def split_aggregates(df: pd.DataFrame, name_col: str, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into (provinces with ``province_code`` added, aggregate rows).

    Unknown names raise :class:`analysis.data.provinces.UnknownProvinceError` listing every
    one of them with its rows.
    """
    agg = df[name_col].map(is_aggregate).astype(bool)
    prov = df.loc[~agg].copy()
    prov["province_code"] = normalise_series(prov[name_col], source=where)
    return prov, df.loc[agg].copy()


def long_to_wide(
    long: pd.DataFrame,
    keys: list[str],
    column: str,
    value: str,
    where: str,
) -> pd.DataFrame:
    """Pivot ``long`` to one column per ``column`` value, refusing conflicting duplicates.

    Exact duplicate rows (same keys, variable and value) are dropped; the same key with two
    different values raises :class:`ConflictingValuesError` listing the cases.
    """
    d = long[[*keys, column, value]].drop_duplicates()
    dup = d.duplicated([*keys, column], keep=False)
    if dup.any():
        bad = d.loc[dup].sort_values([*keys, column])
        raise ConflictingValuesError(
            f"{where}: {int(dup.sum())} rows share {keys + [column]} with different values:\n"
            + bad.head(12).to_string()
        )
    wide = d.pivot(index=keys, columns=column, values=value)
    wide.columns.name = None
    return wide.reset_index()


def finalise(
    wide: pd.DataFrame,
    columns: list[str],
    where: str,
    *,
    require_all_provinces: bool = True,
) -> pd.DataFrame:
    """Order keys and columns, cast keys to int64, check provinces, sort by key.

    Raises
    ------
    SourceLayoutError
        A declared column is absent (a variable the parser promises was not found in the raw
        file: refused rather than returned as an all-NaN column), a code is not one of the 31
        provinces, or a year lacks provinces (when ``require_all_provinces``).
    ConflictingValuesError
        Duplicated (province_code, year) keys.
    """
    out = wide.copy()
    out["province_code"] = out["province_code"].astype("int64")
    out["year"] = out["year"].astype("int64")
    absent = [c for c in columns if c not in out.columns]
    if absent:
        raise SourceLayoutError(f"{where}: variable(s) {absent} not found in the raw file")
    out = out[["province_code", "year", *columns]]
    extra = set(out["province_code"]) - CODES
    if extra:
        raise SourceLayoutError(f"{where}: codes {sorted(extra)} are not provinces")
    dup = out.duplicated(["province_code", "year"], keep=False)
    if dup.any():
        d = out.loc[dup, ["province_code", "year"]].drop_duplicates().sort_values(
            ["province_code", "year"])
        cases = [f"{_name(c)} {y}" for c, y in d.itertuples(index=False)]
        raise ConflictingValuesError(
            f"{where}: duplicated province-year keys after parsing (a province named twice?): "
            + ", ".join(cases[:12]) + (", ..." if len(cases) > 12 else ""))
    if require_all_provinces:
        counts = out.groupby("year")["province_code"].nunique()
        short = counts[counts != 31]
        if len(short):
            lacking = {y: sorted(CODES - set(out.loc[out["year"] == y, "province_code"]))
                       for y in short.index}
            by_set: dict[tuple[int, ...], list[int]] = {}
            for y, codes in lacking.items():
                by_set.setdefault(tuple(codes), []).append(int(y))
            parts = [f"{_spans(ys)}: {', '.join(_name(c) for c in codes)}"
                     for codes, ys in by_set.items()]
            raise SourceLayoutError(
                f"{where}: years without all 31 provinces: {short.to_dict()}; missing "
                + "; ".join(parts)
            )
    return out.sort_values(["province_code", "year"]).reset_index(drop=True)


def _name(code: int) -> str:
    """``"西藏 540000"`` for messages."""
    from analysis.data.provinces import PROVINCES

    names = PROVINCES.set_index("province_code")["name_zh"]
    return f"{names.get(code, '?')} {code}"


def _spans(years: list[int]) -> str:
    ys = sorted(years)
    out, start, prev = [], ys[0], ys[0]
    for y in ys[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(f"{start}-{prev}" if start != prev else f"{start}")
        if y is not None:
            start = prev = y
    return ",".join(out)
