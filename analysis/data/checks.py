"""Accounting identities and cross-source reconciliation of the processed data.

Every check returns a table of differences by province-year (written to
``data/processed/checks/<name>.csv``) and one summary record::

    {"name", "kind" (identity|reconciliation), "tolerance", "n_compared", "n_exceed",
     "max_rel_diff", "allowed_exceptions", "ok", "winner", "why"}

Rows beyond the tolerance are flagged ``exceed = True`` in the CSV: they are the listed
exceptions, never silently corrected. A check is ``ok`` when (i) the number of exceedances
outside the documented ``exception_years`` (vintage breaks, with the reason in ``why``) is at
most ``allowed_exceptions`` and (ii) no cell exceeds ``hard_limit``.

Relative difference throughout: ``rel_diff = |a - b| / |b|`` with ``b`` the reference
(the winning source / the published total).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths

KEYS = ["province_code", "year"]


@dataclass(frozen=True)
class Spec:
    """One comparison of series ``a`` against reference ``b`` (both province-year)."""

    name: str
    kind: str
    a: tuple[str, Callable[[pd.DataFrame], pd.Series]]
    b: tuple[str, Callable[[pd.DataFrame], pd.Series]]
    tolerance: float
    allowed_exceptions: int
    winner: str
    why: str
    absolute: bool = False  # compare |a - b| (for shares) instead of the relative difference
    exception_years: tuple[int, ...] = ()  # years where gaps are expected (reason in ``why``)
    hard_limit: float = float("inf")  # no cell may exceed this, exception year or not
    exception_cells: tuple[tuple[int, int], ...] = ()  # (province_code, year) listed in ``why``
    years: tuple[int, int] = (2000, 2024)  # compared years: those of the panel


def _col(*names: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Series from the first of ``names`` present in the frame (KeyError naming all if none)."""
    def f(df: pd.DataFrame) -> pd.Series:
        for n in names:
            if n in df.columns:
                return df.set_index(KEYS)[n].astype(float)
        raise KeyError(f"none of the columns {names} present")
    return f


def _ratio(num: str, den: str, scale: float = 1.0) -> Callable[[pd.DataFrame], pd.Series]:
    def f(df: pd.DataFrame) -> pd.Series:
        d = df.set_index(KEYS)
        return d[num].astype(float) / d[den].astype(float) * scale
    return f


def _share(num: str, suffix: str = "") -> Callable[[pd.DataFrame], pd.Series]:
    """``num`` over the sum of the three sectors' value added (columns ``va_*<suffix>``)."""
    def f(df: pd.DataFrame) -> pd.Series:
        d = df.set_index(KEYS)
        total = d[[f"va_primary{suffix}", f"va_secondary{suffix}",
                   f"va_tertiary{suffix}"]].astype(float).sum(axis=1, min_count=3)
        return d[num].astype(float) / total
    return f


def _sum(*cols: str) -> Callable[[pd.DataFrame], pd.Series]:
    def f(df: pd.DataFrame) -> pd.Series:
        d = df.set_index(KEYS)
        return d[list(cols)].astype(float).sum(axis=1, min_count=len(cols))
    return f


# --------------------------------------------------------------------------------------------
# The checks. Tolerances and allowed exception counts were set after looking at the
# distribution of differences in the 2026 raw files (see the reasons); a change in the raw
# data that pushes more province-years beyond the tolerance makes `data check` fail.
# --------------------------------------------------------------------------------------------

SPECS: list[Spec] = [
    Spec("identity_gdp_sum_va", "identity",
         ("panel", _sum("va_primary", "va_secondary", "va_tertiary")), ("panel", _col("gdp")),
         tolerance=1e-9, allowed_exceptions=0, winner="gdp (vintage-consistent total)",
         why="the panel's value added is each vintage-linked sector's share times the "
             "vintage-consistent gdp (analysis.data.vintage), so the sectors add up to gdp in "
             "every province-year 2000-2022 (to floating-point rounding)"),
    Spec("identity_gdp_sum_va_published", "identity",
         ("nbs_published", _sum("va_primary_published", "va_secondary_published",
                                "va_tertiary_published")),
         ("nbs_published", _col("gdp_published")),
         tolerance=0.001, allowed_exceptions=0, winner="- (documents the compilation)",
         exception_years=(2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2013),
         why="gdp.xlsx sheet1 as compiled: GDP and sector value added are published to 0.01 "
             "亿元, so the sum matches to rounding (<0.03% even for Tibet's 117 亿元) in 2000, "
             "2009-2012 and 2014-2022. In 2001-2008 and 2013 the compiler mixed vintages "
             "(totals revised after the 2004/2008/2013 economic censuses, sectors as first "
             "published): gaps up to 29% (Beijing 2004). The vintage method uses exactly these "
             "overlaps to link the vintages (analysis.data.vintage)"),
    Spec("vintage_gdp_latest", "identity",
         ("panel", _col("gdp")), ("nbs_revised", _col("gdp_revised")),
         tolerance=1e-9, allowed_exceptions=0, winner="nbs_revised (latest vintage)",
         why="2015-2024 the panel's gdp is gdp.xlsx Sheet2 as published (revised after the "
             "2018 and 2023 economic censuses and the 2016-2017 corrections); earlier years are "
             "back-cast from it (gdp_flag)"),
    Spec("vintage_sector_links", "reconciliation",
         ("nbs_vintage", _col("revision_implied")), ("nbs_vintage", _col("revision_observed")),
         tolerance=0.05, allowed_exceptions=0, winner="- (validation)", hard_limit=0.10,
         exception_cells=((140000, 2009), (210000, 2005), (230000, 2009), (640000, 2019),
                          (650000, 2009)),
         why="validation of the sector links: the census revision of the total that the "
             "linked sectors imply (they use sector volume indices and deflators only) against "
             "NBS's revised total at the overlap year (sheet1 2004, 2008, 2013; the GPI "
             "workbook's 2018). 108 of 124 within 3%, median 1.2%; beyond 5%: Xinjiang, Shanxi "
             "and Heilongjiang at the 2009 link (commodity provinces in the 2009 price slump, "
             "where the interpolated deflator is least reliable), Liaoning 2005 (+6.6%), "
             "Ningxia 2019 (-5.3%). Listed, not tuned"),
    Spec("identity_emp_sum_sectors", "identity",
         ("panel", _sum("emp_primary", "emp_secondary", "emp_tertiary")),
         ("panel", _col("emp_total")),
         tolerance=0.001, allowed_exceptions=0, winner="emp_total (published total)",
         hard_limit=0.30,
         exception_cells=tuple([(610000, y) for y in range(2012, 2020)]
                               + [(650000, y) for y in range(2010, 2020)]),
         why="employment is published to 0.01-1 万人, so the three sectors sum to the total to "
             "rounding (<= 0.07%, 1 万人 of Inner Mongolia's 1,398) in every province-year "
             "except two runs in the compilation: Shaanxi 2012-2019 (sectors short by 515 万人 "
             "= 25% in 2012, shrinking to 6 万人 in 2019; tertiary looks under-counted) and "
             "Xinjiang 2010-2019 (short by 115 万人 = 9.5% in 2010, shrinking to 6 万人). "
             "Listed, not corrected: sector employment shares of those cells are unreliable"),
    Spec("identity_rd_intensity", "identity",
         ("panel+nbs_published", _ratio("rd_exp", "gdp_published")),
         ("panel", _col("rd_intensity")),
         tolerance=0.04, allowed_exceptions=0, winner="rd_intensity (yearbook)",
         why="the S&T yearbook divides R&D by the GDP vintage available at publication (first "
             "releases, compared here with gdp.xlsx sheet1 as compiled, to 2022) and publishes "
             "intensity to 0.01 percentage point (1.7% relative for Tibet's 0.29%); observed "
             "gaps are at most 3% (Inner Mongolia, Beijing 2016). The panel's gdp is the latest "
             "vintage: rd_exp / gdp differs from rd_intensity where GDP was revised"),
    Spec("recon_tertiary_share_nbs_nqp", "reconciliation",
         ("nqp", _col("nqp_tertiary_share", "tertiary_share")),
         ("nbs_published", _share("va_tertiary_published", "_published")),
         tolerance=0.001, allowed_exceptions=0, absolute=True, winner="nbs",
         exception_years=(2013,),
         why="first-published NBS share = va_tertiary / (va_primary + va_secondary + "
             "va_tertiary) of sheet1 as compiled, the sectors being one vintage. The 2011-2023 "
             "panel's 产业高级化率 equals it to rounding (0.1 point allows rounding only) except "
             "2013, where it divides by the census-revised GDP total (up to 1.2 points). The "
             "panel's tertiary_share is the vintage-linked one (analysis.data.vintage)"),
    Spec("recon_tertiary_share_nbs_gpi", "reconciliation",
         ("gpi", _col("gpi_tertiary_share", "tertiary_share")),
         ("nbs_published", _share("va_tertiary_published", "_published")),
         tolerance=0.0025, allowed_exceptions=0, absolute=True, winner="nbs",
         why="the GPI replication data's `ser` (2000-2018) equals the first-published NBS sector "
             "composition to 0.2 percentage point in every province-year (max 0.19, Beijing "
             "2002): it is a first-release series too. Dividing by the compilation's gdp column "
             "instead fails in 2001-2008 and 2013 by up to 18 points: there the totals are "
             "census-revised but the sectors are not"),
    Spec("recon_gdp_nbs_nqp", "reconciliation",
         ("nqp", _col("nqp_gdp", "gdp")), ("nbs_published", _col("gdp_published")),
         tolerance=0.001, allowed_exceptions=0, winner="nbs",
         why="both hold the first-published NBS GDP (observed gap <= 0.002%, the panel rounds "
             "to 0.1 亿元): 0.1% allows rounding only; a census-revised vintage in either would "
             "show up as 2-36% gaps (see recon_gdp_nbs_revised). The panel's gdp is the "
             "vintage-consistent series built from sheet1 and Sheet2"),
    Spec("recon_gdp_nbs_gpi", "reconciliation",
         ("gpi", _col("gpi_gdp")), ("nbs_published", _col("gdp_published")),
         tolerance=0.02, allowed_exceptions=0, winner="nbs", hard_limit=0.35,
         exception_years=(2000, 2018),
         exception_cells=tuple([(460000, y) for y in range(2001, 2006)]
                               + [(500000, y) for y in range(2001, 2005)]
                               + [(540000, y) for y in range(2001, 2004)]),
         why="identical 2006-2017. GPI 2000 is another vintage (20 provinces differ, median "
             "3.7%) and GPI 2018 holds the census-revised totals (Tianjin -29%); Hainan "
             "2001-2005 (a constant +20.76 亿元), Chongqing 2001-2004 (+12%) and Tibet 2001-2003 "
             "differ as listed. The GPI 2018 totals validate the 2019 sector links "
             "(vintage_sector_links). (Before 1997 GPI's Sichuan includes Chongqing; "
             "those years are outside the panel.)"),
    Spec("recon_gdp_nbs_revised", "reconciliation",
         ("nbs_revised", _col("gdp_revised")), ("nbs_published", _col("gdp_published")),
         tolerance=0.02, allowed_exceptions=0, winner="nbs_revised (latest vintage)",
         exception_years=tuple(range(2015, 2025)), hard_limit=0.40,
         why="sheet 2 of gdp.xlsx holds totals revised after the 2018 and 2023 economic "
             "censuses: every year differs, most by 2-7%, the largest being the downward "
             "corrections of Tianjin (-36%), Jilin, Liaoning, Inner Mongolia and Heilongjiang "
             "2015-2018. The panel's gdp takes the revised totals and back-casts earlier years "
             "from them (analysis.data.vintage); any cell beyond 40% would signal a parsing "
             "error"),
    Spec("recon_patent_grant_techme_nqp", "reconciliation",
         ("nqp", _col("nqp_patent_grant", "patent_grant")), ("techme", _col("patent_grant")),
         tolerance=0.001, allowed_exceptions=0, winner="techme",
         why="both count CNIPA patent grants by province (件, integers); observed: identical in "
             "every province-year 2011-2023. The S&T yearbook is the primary publication and "
             "also has invention grants and applications, so it wins"),
    Spec("recon_tech_market_techme_nqp", "reconciliation",
         ("nqp", _col("nqp_tech_market_seller", "tech_market_seller")),
         ("techme", _col("tech_market_seller")),
         tolerance=0.001, allowed_exceptions=0, winner="techme",
         why="the panel's 技术市场成交额 is turnover by seller (outflow) region as in the S&T "
             "yearbook (万元 there, 亿元 rounded to 0.0001 in the panel; observed gap <= "
             "0.005%). The yearbook wins: primary publication, also gives the buyer side"),
    Spec("recon_ind_rd_exp_yearbook_nqp", "reconciliation",
         ("nqp", _col("nqp_ind_rd_exp")), ("techme_yearbook", _col("ind_rd_exp")),
         tolerance=0.001, allowed_exceptions=0, winner="techme_yearbook",
         why="industrial enterprises' R&D expenditure: the panel's R&D column (README trap: "
             "not total R&D) equals the yearbook table 2018-2023 to rounding (<= 0.007%). "
             "The yearbook sheet wins as the primary publication"),
]


def compare(a: pd.Series, b: pd.Series, tolerance: float, absolute: bool = False) -> pd.DataFrame:
    """Differences of two province-year series on their common non-missing cells.

    Parameters
    ----------
    a, b : Series indexed by (province_code, year)
        ``b`` is the reference.
    tolerance : float
        Relative (``|a-b|/|b|``) or, if ``absolute``, absolute (``|a-b|``) limit.

    Returns
    -------
    DataFrame: ``province_code``, ``year``, ``a``, ``b``, ``diff`` (a - b), ``rel_diff``,
    ``exceed`` (bool), sorted by decreasing difference.
    """
    df = pd.concat({"a": a, "b": b}, axis=1, join="inner").dropna()
    df["diff"] = df["a"] - df["b"]
    df["rel_diff"] = (df["diff"].abs() / df["b"].abs()).replace(np.inf, np.nan)
    measure = df["diff"].abs() if absolute else df["rel_diff"]
    df["exceed"] = measure > tolerance
    return df.reset_index().sort_values("rel_diff", ascending=False, ignore_index=True)


def _year_spans(years) -> str:
    ys = sorted(set(years))
    if not ys:
        return ""
    spans, start, prev = [], ys[0], ys[0]
    for y in ys[1:]:
        if y != prev + 1:
            spans.append(f"{start}-{prev}" if start != prev else str(start))
            start = y
        prev = y
    spans.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(spans)


def _frame(frames: dict[str, pd.DataFrame], panel: pd.DataFrame, src: str) -> pd.DataFrame | None:
    """The frame named ``src``; ``"a+b"`` merges frames on the keys (None if one is absent)."""
    parts = [panel if s == "panel" else frames.get(s) for s in src.split("+")]
    if any(p is None for p in parts):
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=KEYS, how="outer", suffixes=("", "_right"))
    return out


def run_spec(spec: Spec, panel: pd.DataFrame, frames: dict[str, pd.DataFrame]
             ) -> tuple[dict, pd.DataFrame | None]:
    """Run one check; the record says ``skipped`` when a source or column is not available."""
    rec = {"name": spec.name, "kind": spec.kind, "tolerance": spec.tolerance,
           "measure": "abs" if spec.absolute else "rel", "allowed_exceptions": spec.allowed_exceptions,
           "winner": spec.winner, "why": spec.why, "n_compared": 0, "n_exceed": 0,
           "max_rel_diff": float("nan"), "ok": True, "skipped": "", "n_unexpected": 0,
           "exception_years": ""}
    try:
        fa, fb = _frame(frames, panel, spec.a[0]), _frame(frames, panel, spec.b[0])
        if fa is None or fb is None:
            raise KeyError(f"source {spec.a[0] if fa is None else spec.b[0]} not available")
        a, b = spec.a[1](fa), spec.b[1](fb)
    except KeyError as exc:
        rec["skipped"] = str(exc).strip("'\"")
        return rec, None
    table = compare(a, b, spec.tolerance, spec.absolute)
    table = table[table["year"].between(*spec.years)].reset_index(drop=True)
    cells = pd.MultiIndex.from_frame(table[KEYS])
    table["exception_year"] = (table["year"].isin(spec.exception_years)
                               | cells.isin(list(spec.exception_cells)))
    diffs = table["diff"].abs() if spec.absolute else table["rel_diff"]
    unexpected = int((table["exceed"] & ~table["exception_year"]).sum())
    mx = float(diffs.max()) if len(table) else float("nan")
    exc = _year_spans(spec.exception_years)
    if spec.exception_cells:
        exc += f"{',' if exc else ''}+{len(spec.exception_cells)} cells"
    rec.update(n_compared=len(table), n_exceed=int(table["exceed"].sum()), n_unexpected=unexpected,
               max_rel_diff=mx, exception_years=exc)
    rec["ok"] = unexpected <= spec.allowed_exceptions and not (mx > spec.hard_limit)
    return rec, table


def io_go_ti(io_tables: dict[str, pd.DataFrame], rtol: float = 1e-3) -> tuple[dict, pd.DataFrame | None]:
    """IO identity: total output (GO, column side) = total input (TI, row side) per sector.

    Tolerance ``|GO - TI| <= 1e-4 亿元 (= 1 万元) + rtol * max(|GO|, |TI|)`` with ``rtol = 0.1%``
    (the tables are in 亿元, converted from the published 万元): published tables are balanced
    by construction, so anything beyond rounding is a transcription error. Covers the provincial
    and every national table (non-competitive ones: domestic GO vs TI, which includes imported
    inputs; the national R-data tables balance to < 1e-13 relative).
    """
    rec = {"name": "identity_io_go_ti", "kind": "identity", "tolerance": rtol, "measure": "rel",
           "allowed_exceptions": 1, "winner": "-",
           "why": "IO tables balance by construction; the one published exception is Jiangsu "
                  "2002 sector 37 (GO 103.7107 vs TI 103.8897 亿元, 0.17%), listed not fixed",
           "n_compared": 0, "n_exceed": 0, "max_rel_diff": float("nan"), "ok": True, "skipped": "",
           "n_unexpected": 0, "exception_years": ""}
    if "final" not in io_tables or "va" not in io_tables:
        rec["skipped"] = "IO tables not available"
        return rec, None
    from analysis.data.io_tables import GO_TI_ATOL, go_ti_check

    t = go_ti_check(io_tables, rtol=rtol, atol=GO_TI_ATOL)
    t["exceed"] = ~t["ok"]
    rec.update(n_compared=len(t), n_exceed=int(t["exceed"].sum()),
               n_unexpected=int(t["exceed"].sum()),
               max_rel_diff=float(t.loc[t["exceed"], "rel_diff"].max()) if t["exceed"].any() else 0.0)
    rec["ok"] = rec["n_exceed"] <= rec["allowed_exceptions"]
    return rec, t.sort_values("rel_diff", ascending=False, ignore_index=True)


def run_all(panel: pd.DataFrame, frames: dict[str, pd.DataFrame],
            io_tables: dict[str, pd.DataFrame], out_dir: Path | None) -> list[dict]:
    """Run every identity and reconciliation; write ``<out_dir>/<name>.csv`` and ``summary.csv``."""
    records = []
    for spec in SPECS:
        rec, table = run_spec(spec, panel, frames)
        records.append(rec)
        if out_dir is not None and table is not None:
            _write_csv(out_dir / f"{spec.name}.csv", table)
    rec, table = io_go_ti(io_tables)
    records.append(rec)
    if out_dir is not None and table is not None:
        _write_csv(out_dir / f"{rec['name']}.csv", table)
    if out_dir is not None:
        _write_csv(out_dir / "summary.csv", pd.DataFrame(records))
    return records


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    """UTF-8 with BOM, so that Excel shows the Chinese in ``why`` (as panel.csv, codebook.csv)."""
    paths.atomic_write_bytes(path, df.to_csv(index=False).encode("utf-8-sig"))


def summary_text(records: list[dict]) -> str:
    """Summary lines: status, name, tolerance, exceptions / compared, max difference."""
    lines = ["identities and reconciliation: measure tolerance | beyond tolerance / compared "
             "[outside exception years] | max diff | source that wins"]
    for r in records:
        if r.get("skipped"):
            lines.append(f"  skip {r['name']:<34} ({r['skipped']})")
            continue
        exc = f" exc.yrs {r['exception_years']}" if r.get("exception_years") else ""
        lines.append(
            f"  {'ok  ' if r['ok'] else 'FAIL'} {r['name']:<32} {r['measure']} {r['tolerance']:<6g}|"
            f"{r['n_exceed']:>4} /{r['n_compared']:>5} [{r['n_unexpected']}]{exc} | "
            f"max {r['max_rel_diff']:.3g} | {r['winner']}")
    return "\n".join(lines)


__all__ = ["SPECS", "Spec", "compare", "io_go_ti", "run_all", "run_spec", "summary_text"]
