"""Accounting identities, cross-source reconciliation and the break detector.

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

The break detector (:func:`detect_breaks`, :func:`explain_breaks`, :func:`run_breaks`) lists
every province-year where a panel column or a ratio the models and framework compute
(:data:`RATIO_SERIES`) changes by more than :data:`BREAK_K` robust standard deviations of its
own year-on-year changes, in ``checks/breaks.csv``, each with a documented cause
(:data:`KNOWN_CAUSES`, the panel's ``<col>_flag`` columns), the mechanical ``"small base"``
(:func:`small_base_thresholds`, counted apart) or ``"unexplained"``; its record in
``summary.csv`` counts them (method and results: ``docs/data.md``).
"""

from __future__ import annotations

import warnings
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
         exception_cells=((140000, 2009), (210000, 2005), (230000, 2009), (650000, 2009)),
         why="validation of the sector links: the census revision of the total that the "
             "linked sectors imply (they use sector volume indices and deflators only) against "
             "NBS's revised total at the overlap year (sheet1 2004, 2008, 2013; the GPI "
             "workbook's 2018, census-revised for 26 provinces; its Shaanxi, Gansu, Qinghai, "
             "Ningxia and Xinjiang figures are first releases and are not compared). 106 of 119 "
             "within 3%, median 1.1%; beyond 5%: Xinjiang, Shanxi and Heilongjiang at the 2009 "
             "link (commodity provinces in the 2009 price slump, where the interpolated "
             "deflator is least reliable), Liaoning 2005 (+6.6%). Listed, not tuned"),
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
             "3.7%) and GPI 2018 holds the census-revised totals (Tianjin -29%) for 26 "
             "provinces (Shaanxi, Gansu, Qinghai, Ningxia, Xinjiang: the first release); Hainan "
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
    Spec("recon_hightech_enterprises_torch_techme", "reconciliation",
         ("techme", _col("hightech_enterprises")), ("torch_innocom", _col("hightech_enterprises")),
         tolerance=0.0, allowed_exceptions=0, winner="torch_innocom",
         why="both count the enterprises on each year's high-tech certification lists (a flow), "
             "2018-2024: techme's HitechFirmsPub object is built from the Torch Centre summaries "
             "the torch_innocom parser reads, and they are equal in every province-year. The "
             "summaries win as the file closer to the publication; torch_innocom also derives "
             "the stock (hightech_enterprises_stock)"),
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


# --------------------------------------------------------------------------------------------
# Break detector: jumps in a series beyond a robust threshold of its own year-on-year changes
# --------------------------------------------------------------------------------------------

BREAK_K = 4.0
"""Threshold in robust standard deviations (see :func:`detect_breaks`).

Chosen on the first-published GDP block (``sources/nbs_published.parquet``), where the breaks
are documented: at k = 4 with the scale rule of :func:`detect_breaks`, 49 of its 58 flags fall
on documented revision years (2001, 2005, 2009, 2019, Liaoning 2016, primary 2017) and 4 on
COVID-19 years; k = 3.5 flags 86 (65 on revision years), k = 5 flags 29 (27) but misses most of
the 2019 value-added breaks. Under a Gaussian null k = 4 is a two-sided tail probability of
6e-5 per change for a known scale; with the estimated scales of :func:`break_scores`,
simulated null panels give 0.014-0.075 % of changes under Gaussian and 1.2-1.7 % under
Student-t(3) noise at every series length (:func:`break_null_rate`, ``docs/data.md``).
Economic series have fat tails, hence the causes column."""

BREAK_MIN_CHANGES = 8
"""Fewest year-on-year changes for a province's own median and scale; a shorter province is
tested against the median of its other changes and the pooled scale of such leave-one-out
deviations (:func:`break_scores`)."""

RATIO_SERIES: dict[str, tuple[str, str]] = {
    "TS": ("va_tertiary", "va_secondary"),
    "gdp_per_capita": ("gdp", "population"),
    "gdp_real_per_capita": ("gdp_real", "population"),
    "fiscal_share": ("budget_exp", "gdp"),
    "tech_market_seller_gdp": ("tech_market_seller", "gdp"),
    "tech_market_buyer_gdp": ("tech_market_buyer", "gdp"),
    "hightech_revenue_gdp": ("hightech_revenue", "gdp"),
    "software_revenue_gdp": ("software_revenue", "gdp"),
    "ecommerce_sales_gdp": ("ecommerce_sales", "gdp"),
    "ind_new_product_sales_gdp": ("ind_new_product_sales", "gdp"),
    "incubatee_investment_gdp": ("incubatee_investment", "gdp"),
}
"""Ratios the models and the framework compute from panel columns (TS and the controls of
``analysis.models.pipeline``; the "/GDP" indicators of ``analysis/framework/spec.yaml``),
tested like panel columns: name -> (numerator, denominator)."""

SERIES_INPUTS: dict[str, tuple[str, ...]] = {
    **{k: v for k, v in RATIO_SERIES.items()},
    "secondary_share": ("va_primary", "va_secondary", "va_tertiary"),
    "tertiary_share": ("va_primary", "va_secondary", "va_tertiary"),
    "gdp_real": ("gdp", "gdp_index"),
    "gdp_deflator": ("gdp", "gdp_real"),
    "rd_intensity": ("rd_exp", "gdp"),
    "basic_share": ("rd_exp_basic", "rd_exp"),
}
"""Inputs of derived series: a known cause of an input is a known cause of the series."""

BREAK_SKIP = {"gdp_index"}
"""Panel columns not tested: ``gdp_index`` is itself a growth rate (previous year = 100)."""

BREAKS_UNEXPLAINED_GDP: tuple[tuple[str, int, int], ...] = (
    ("TS", 540000, 2002), ("TS", 540000, 2021), ("secondary_share", 540000, 2003),
    ("va_primary", 410000, 2004), ("va_primary", 430000, 2004),
    ("va_primary", 650000, 2003), ("va_primary", 650000, 2010),
    ("gdp_per_capita", 150000, 2021),
)
"""GDP-block breaks with no documented cause, as found on the 2026 raw files (listed, not
explained away): Tibet's sector split (2002, 2003, 2021: a small, construction-driven economy),
primary value added of Henan and Hunan 2004 and Xinjiang 2003 and 2010 (years of farm-price
surges, 2004 grain and 2010 cotton, which the national series shows only in part), Inner
Mongolia's nominal GDP per capita 2021 (+20 %, the coal-price boom). They are within one vintage
and were not adjusted. A new unexplained GDP-block break makes the ``breaks`` check fail."""

GDP_BLOCK = ("gdp", "va_primary", "va_secondary", "va_tertiary", "gdp_real", "gdp_deflator",
             "TS", "secondary_share", "tertiary_share", "gdp_per_capita", "gdp_real_per_capita")
"""The series of the vintage method (``analysis.data.vintage``) and those computed from them."""


@dataclass(frozen=True)
class KnownCause:
    """A documented reason for a break: year (break between ``year - 1`` and ``year``), kind,
    text, the series it affects (panel columns; derived series and ``nqp_``/``gpi_`` copies
    inherit the causes of their inputs) and the provinces (``None`` = all)."""

    year: int
    kind: str
    cause: str
    series: tuple[str, ...]
    provinces: tuple[int, ...] | None = None


_EMP = ("emp_total", "emp_primary", "emp_secondary", "emp_tertiary")
_EMP_SECTORS = ("emp_primary", "emp_secondary", "emp_tertiary")
_ABOVE_SCALE = ("hightech_firms", "hightech_revenue", "hightech_new_product_sales",
                "hightech_rd_exp", "ind_new_product_sales", "ind_rd_exp")
_REAL_ACTIVITY = ("gdp", "va_primary", "va_secondary", "va_tertiary", "gdp_real", "trade",
                  "ecommerce_sales")


def _known_causes() -> tuple[KnownCause, ...]:
    from analysis.data.vintage import REVISION_EVENTS

    return (
        *(KnownCause(e.year, e.kind, e.cause, e.series, e.provinces) for e in REVISION_EVENTS),
        KnownCause(2018, "census revision",
                   "GPI workbook: its 2018 total is revised after the 2018 economic census (26 "
                   "provinces), "
                   "earlier years are first releases (checks/recon_gdp_nbs_gpi.csv)",
                   ("gpi_gdp",)),
        KnownCause(2001, "census revision",
                   "GPI workbook: its 2000 total is another vintage (checks/recon_gdp_nbs_gpi.csv)",
                   ("gpi_gdp",)),
        *(KnownCause(y, "census revision",
                     f"{n} ({y}): population, urbanisation and employment re-benchmarked to it",
                     ("population", "urbanisation", *_EMP))
          for y, n in ((2005, "1 % population sample survey"), (2010, "sixth population census"),
                       (2015, "1 % population sample survey"),
                       (2020, "seventh population census"))),
        KnownCause(2011, "definition change",
                   "industrial enterprises 'above designated size': threshold raised from 5 to "
                   "20 million yuan of annual main-business revenue (NBS, from 2011)",
                   _ABOVE_SCALE),
        *(KnownCause(y, "compilation defect",
                     f"{name}: the compilation's sector employment falls short of its total "
                     f"{span} (not a definition change: the sectors do not add up, "
                     "checks/identity_emp_sum_sectors.csv); the run starts or ends here",
                     _EMP_SECTORS, (code,))
          for code, name, span, years in ((610000, "Shaanxi", "2012-2019", (2012, 2020)),
                                          (650000, "Xinjiang", "2010-2019", (2010, 2020)))
          for y in years),
        *(KnownCause(y, "economic shock",
                     f"COVID-19 ({what}): a real shock, not a data break", (*_REAL_ACTIVITY,
                                                                         "population"))
          for y, what in ((2020, "first-quarter shutdown; Hubei's GDP -5.0 %"),
                          (2022, "Omicron lockdowns: Shanghai, Jilin, Tibet, Xinjiang ..."))),
        *(KnownCause(y, "index start-up",
                     "PKU Digital Financial Inclusion Index, start-up years: 2011 is the "
                     "index's base year and digital finance spread from a near-zero base "
                     "(Guo et al. 2020, China Economic Quarterly 19(4): provincial median 33.6 "
                     "in 2011, 294.3 in 2018); here the median province's change is "
                     f"{what} log points against 0.02-0.21 in 2014-2023. Real diffusion, "
                     "not a break in the source", ("digital_finance",))
          for y, what in ((2012, "+0.97"), (2013, "+0.46"))),
    )


KNOWN_CAUSES: tuple[KnownCause, ...] = _known_causes()
"""The documented table of break causes (census revisions and corrections from
:data:`analysis.data.vintage.REVISION_EVENTS`, population censuses, definition changes, the
compilation's broken employment runs, the COVID-19 shock, the start-up years of the PKU digital
finance index). Source splices and compiler fills are read from the panel's ``<col>_flag``
columns instead, and the mechanical "small base" from the levels (:func:`small_base_thresholds`)."""

SMALL_BASE_QUANTILE = 0.05
"""Quantile of a series' values (all provinces and years) below which a break's base
``value_prev`` counts as small (:func:`small_base_thresholds`)."""

SMALL_BASE_UNITS = frozenset({"亿元", "万元", "元", "亿美元", "件", "个", "篇", "项", "万人",
                              "万人年", "万公里"})
"""Units of amounts and counts, the series a small base applies to. Shares, ratios and indices
are excluded: a province whose share is the lowest is not measured with more noise."""


def small_base_thresholds(panel: pd.DataFrame, units: dict[str, str] | None,
                          q: float = SMALL_BASE_QUANTILE) -> dict[str, tuple[float, float]]:
    """Per tested series in :data:`SMALL_BASE_UNITS`: its small level and its ordinary change.

    Parameters
    ----------
    panel : DataFrame
        Province-year panel.
    units : dict or None
        Column -> unit (the codebook's ``unit``); ``None`` or a missing unit: no small base.
    q : float
        Quantile in (0, 1) (:data:`SMALL_BASE_QUANTILE`).

    Returns
    -------
    dict
        Series -> ``(level, change)`` in the series' unit: ``level`` the ``q`` quantile of its
        positive values, ``change`` the median absolute year-on-year change (consecutive
        years, all provinces). A break of a series measured in logs is a "small base" break
        when ``value_prev < level`` and ``|value - value_prev| <= change``: the change is no
        larger than the median province's yearly change in levels and is a break only relative
        to a base among the series' smallest (a few dozen R&D staff in Tibet, 0.04 亿元 of
        technology contracts). It is a property of the level, not a cause in the data;
        :func:`run_breaks` counts it apart from the documented causes.

    Raises
    ------
    ValueError
        If ``q`` is not in (0, 1).
    """
    if not 0 < q < 1:
        raise ValueError(f"small-base quantile must lie in (0, 1), got {q}")
    units = units or {}
    out = {}
    for name, w in break_series(panel).items():
        if units.get(name) not in SMALL_BASE_UNITS:
            continue
        v = w.to_numpy()
        v = v[np.isfinite(v) & (v > 0)]
        d = w.diff().where(pd.Series(w.index, index=w.index).diff().eq(1), axis=0).abs()
        d = d.to_numpy()[np.isfinite(d.to_numpy())]
        if v.size and d.size:
            out[name] = (float(np.quantile(v, q)), float(np.median(d)))
    return out


def break_series(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every series the break detector tests, wide (years x province codes).

    Numeric panel columns (not keys, flags or :data:`BREAK_SKIP`) and :data:`RATIO_SERIES`
    whose inputs are present.
    """
    out: dict[str, pd.DataFrame] = {}
    cols = [c for c in panel.columns if c not in KEYS and c not in BREAK_SKIP
            and not c.endswith("_flag") and pd.api.types.is_numeric_dtype(panel[c])]
    for c in cols:
        out[c] = panel.pivot(index="year", columns="province_code", values=c).astype(float)
    for name, (num, den) in RATIO_SERIES.items():
        if num in out and den in out:
            out[name] = out[num] / out[den].where(out[den] != 0)
    return out


def _loo_median(a: np.ndarray) -> np.ndarray:
    """Leave-one-out medians down the columns of the 2-D array ``a`` (rows: years): entry
    ``(i, j)`` is the median of column ``j``'s other non-missing entries (NaN where ``a`` is
    missing or the column has no other entry)."""
    out = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN, as wanted
        for i in range(a.shape[0]):
            out[i] = np.nanmedian(np.delete(a, i, axis=0), axis=0)
    out[np.isnan(a)] = np.nan
    return out


def break_scores(d: pd.DataFrame, min_changes: int = BREAK_MIN_CHANGES
                 ) -> tuple[pd.DataFrame, pd.Series]:
    """Centre and robust scale against which each year-on-year change is tested.

    Parameters
    ----------
    d : DataFrame
        Year-on-year changes, years x provinces (NaN where a change is missing).
    min_changes : int
        Fewest non-missing changes for a province's own median and scale
        (:data:`BREAK_MIN_CHANGES`).

    Returns
    -------
    centre : DataFrame
        Same shape as ``d``: the value each change is compared with. A province with at
        least ``min_changes`` changes: its median change (every year). A shorter one: the
        median of its *other* changes (leave-one-out); NaN for a province with one change,
        which has nothing to be compared with and is not tested.
    scale : Series
        Per province, in the unit of ``d``: with at least ``min_changes`` changes the larger
        of its own :math:`1.4826\\,\\mathrm{MAD}` and the series' pooled one (all provinces'
        deviations from their medians); shorter: the pooled :math:`1.4826\\,\\mathrm{MAD}`
        of all provinces' deviations ``d - centre`` (leave-one-out ones for the short
        provinces). NaN when the relevant pooled scale is not positive (constant series).

    Notes
    -----
    Long provinces follow the Hampel identifier with a global centre (Hampel 1974, JASA
    69(346); Pearson 2002, IEEE Trans. Control Syst. Technol. 10(1)), as calibrated for
    :data:`BREAK_K`. For few changes that rule is miscalibrated: the tested change enters its
    own median, so with 3 changes one deviation is zero by construction (with 5, two of them
    are the smallest possible), the pooled MAD is too small and the deviations are not
    distributed as the changes. Leaving the tested change out of its own centre (the
    "deleted residual" of regression diagnostics: Belsley, Kuh & Welsch 1980, ch. 2; Cook &
    Weisberg 1982, ch. 2) removes both: a deviation from the median of the *other* changes
    has no structural zero, is Gaussian under a Gaussian null for 3 changes and nearly so
    for more, and its pooled MAD scales it. It needs no tabulated constant, so its false
    alarm rate does not hinge on one null distribution: on simulated null panels
    (:func:`break_null_rate`) the rate with 3-7 changes is 0.74-0.94 times the long-series
    rate under Student-t(3) noise and within 0.1 percentage point of it under Gaussian noise,
    against up to 5.7 and 480 times that rate before (``docs/data.md``). Thresholds calibrated
    by simulation were rejected because the factor they need depends on the null (3.2 under
    Gaussian, 2.1 under t(3) noise at 3 changes); small-sample MAD factors (Croux & Rousseeuw
    1992) correct the scale but not the shape of deviations from a 3-value median. Cost: with
    3 changes the centre of the two others is their mean, so a large break also pulls its
    neighbours' centre (swamping: an 8 sd break flags a neighbour in 38 % of Gaussian draws).
    """
    centre, scale = _break_scores(d.to_numpy(dtype=float), min_changes)
    return (pd.DataFrame(centre, index=d.index, columns=d.columns),
            pd.Series(scale, index=d.columns))


def _positive(x: float) -> float:
    return x if np.isfinite(x) and x > 0 else np.nan


def _break_scores(a: np.ndarray, min_changes: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`break_scores` on a 2-D array (years x provinces): ``(centre, scale)``."""
    n = np.isfinite(a).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN, as wanted
        med = np.nanmedian(a, axis=0)
        dev = np.abs(a - med)
        pooled = _positive(1.4826 * np.nanmedian(dev)) if np.isfinite(dev).any() else np.nan
        own = 1.4826 * np.nanmedian(dev, axis=0)
    long = n >= min_changes
    centre = np.broadcast_to(med, a.shape).copy()
    if (~long).any():
        centre[:, ~long] = _loo_median(a[:, ~long])
    dev = np.abs(a - centre)
    pooled_loo = _positive(1.4826 * np.nanmedian(dev)) if np.isfinite(dev).any() else np.nan
    scale = np.where(long, np.fmax(own, pooled) if np.isfinite(pooled) else np.nan, pooled_loo)
    return centre, scale


def detect_breaks(panel: pd.DataFrame, k: float = BREAK_K,
                  min_changes: int = BREAK_MIN_CHANGES) -> tuple[pd.DataFrame, int]:
    """Province-years where a series jumps beyond ``k`` robust standard deviations.

    Parameters
    ----------
    panel : DataFrame
        Province-year panel (keys ``province_code``, ``year``).
    k : float
        Threshold (:data:`BREAK_K`).
    min_changes : int
        Fewest non-missing changes for a province's own centre and scale
        (:data:`BREAK_MIN_CHANGES`).

    Returns
    -------
    breaks : DataFrame
        One row per break: ``series``, ``province_code``, ``year``, ``value_prev``, ``value``,
        ``measure`` ("dlog" or "diff"), ``change``, ``typical`` (the centre of
        :func:`break_scores`: the province's median change, or for a province with fewer than
        ``min_changes`` changes the median of its other changes), ``size`` (change - typical),
        ``scale``, ``score`` (size / scale), ``threshold`` (k x scale), sorted by series,
        province, year.
    n_tested : int
        Number of year-on-year changes tested (those with a centre and a positive scale; a
        province's single change has no other to be compared with).

    Notes
    -----
    For each series and province the change is :math:`d_t = \\ln x_t - \\ln x_{t-1}` if the
    series is positive throughout, else :math:`x_t - x_{t-1}` (consecutive years only). A
    break is :math:`|d_t - m_t| > k s` with the centre :math:`m_t` and scale :math:`s` of
    :func:`break_scores`: for a province with at least ``min_changes`` changes, its median
    change and :math:`s = \\max(1.4826\\,\\mathrm{MAD}_{own}, 1.4826\\,\\mathrm{MAD}_{pooled})`
    (the Hampel identifier with a global centre per province: the median absorbs trend
    growth; the larger scale keeps a volatile province from flagging its ordinary swings and
    a very smooth one from flagging rounding); for a shorter province, the median of its other
    changes and the pooled MAD of those leave-one-out deviations, so that its false-alarm rate
    under a null without breaks is that of long series (:func:`break_null_rate`).
    """
    rows = []
    n_tested = 0
    for name, w in break_series(panel).items():
        vals = w.to_numpy()
        finite = vals[~np.isnan(vals)]
        if finite.size == 0:
            continue
        logm = bool((finite > 0).all())
        d = (np.log(w) if logm else w).diff()
        d = d.where(pd.Series(w.index, index=w.index).diff().eq(1), axis=0)
        centre, scale = break_scores(d, min_changes)
        dev = d - centre
        score = dev / scale
        n_tested += int(score.notna().sum().sum())
        hit = np.argwhere((score.abs() > k).to_numpy())
        for i, j in hit:
            y, code = int(w.index[i]), int(w.columns[j])
            rows.append({
                "series": name, "province_code": code, "year": y,
                "value_prev": w.iloc[i - 1, j], "value": w.iloc[i, j],
                "measure": "dlog" if logm else "diff", "change": d.iloc[i, j],
                "typical": centre.iloc[i, j], "size": dev.iloc[i, j], "scale": scale.iloc[j],
                "score": score.iloc[i, j], "threshold": k * scale.iloc[j]})
    cols = ["series", "province_code", "year", "value_prev", "value", "measure", "change",
            "typical", "size", "scale", "score", "threshold"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["series", "province_code", "year"], ignore_index=True), n_tested


def break_null_rate(n_changes: int, noise: str = "gauss", n_series: int = 200,
                    n_provinces: int = 31, k: float = BREAK_K,
                    min_changes: int = BREAK_MIN_CHANGES, seed: int = 0) -> float:
    """False-alarm rate of the break rule under a null without breaks, by simulation.

    Each simulated series has ``n_provinces`` provinces with ``n_changes`` year-on-year
    changes each: a province-specific trend (uniform on 0-10 % a year) plus i.i.d. noise,
    standard normal (``noise="gauss"``) or Student-t with ``df`` degrees of freedom
    (``noise="t3"``, ``"t5"``, ...). Returns the share of changes flagged by
    :func:`break_scores` at ``k`` (the rule of :func:`detect_breaks`).

    Raises
    ------
    ValueError
        If ``n_changes`` < 2 or ``noise`` is neither ``"gauss"`` nor ``"t<df>"``.
    """
    if n_changes < 2:
        raise ValueError(f"a province needs at least 2 changes to be tested, got {n_changes}")
    rng = np.random.default_rng(seed)
    if noise == "gauss":
        draw = rng.standard_normal
    elif noise.startswith("t") and noise[1:].isdigit():
        df = int(noise[1:])

        def draw(size):
            return rng.standard_t(df, size)
    else:
        raise ValueError(f"noise must be 'gauss' or 't<df>' (e.g. 't3'), got {noise!r}")
    flagged = tested = 0
    for _ in range(n_series):
        trend = rng.uniform(0.0, 0.1, n_provinces)
        d = trend + 0.01 * draw((n_changes, n_provinces))
        centre, scale = _break_scores(d, min_changes)
        score = (d - centre) / scale
        ok = np.isfinite(score)
        flagged += int((np.abs(score[ok]) > k).sum())
        tested += int(ok.sum())
    return flagged / tested


def _inputs(series: str) -> set[str]:
    """The series, its copies' base (``nqp_gdp`` -> ``gdp``) and its inputs, recursively."""
    seen, todo = set(), [series]
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        for pre in ("nqp_", "gpi_"):
            if s.startswith(pre):
                todo.append(s.removeprefix(pre))
        if s == "nqp_ind_rd_fte":
            todo.append("rd_fte")
        todo.extend(SERIES_INPUTS.get(s, ()))
    return seen


def explain_breaks(breaks: pd.DataFrame, panel: pd.DataFrame,
                   causes: tuple[KnownCause, ...] = KNOWN_CAUSES,
                   units: dict[str, str] | None = None) -> pd.DataFrame:
    """Add ``cause_kind`` and ``cause`` to each break, from documented causes only.

    A break in series *s*, province *p*, year *t* is explained by every :class:`KnownCause`
    of year *t* whose series include *s* or one of its inputs (:data:`SERIES_INPUTS`, copies
    ``nqp_x``/``gpi_x`` of *x*) and whose provinces include *p*; and, as a ``source splice``, by
    a ``<col>_flag`` of *s* or an input that is set in one of *t - 1*, *t* and not in the
    other (a spliced or compiler-filled run starts or ends). Last, a log change (``measure``
    "dlog") of an amount or count (``units``, :data:`SMALL_BASE_UNITS`) from a base below the
    series' :data:`SMALL_BASE_QUANTILE` quantile, by no more than its median absolute change,
    is a ``small base`` (:func:`small_base_thresholds`; needs the ``measure``, ``value_prev``
    and ``value`` columns of :func:`detect_breaks`). Several causes are joined by " | ";
    ``cause_kind`` is the first one's kind, so a documented cause comes before the small base.
    No cause: ``"unexplained"``.
    """
    out = breaks.copy()
    kinds, texts = [], []
    small = (small_base_thresholds(panel, units)
             if units and {"measure", "value_prev", "value"} <= set(out.columns) else {})
    flags = {c.removesuffix("_flag"): panel.set_index(KEYS)[c].notna()
             for c in panel.columns if c.endswith("_flag")}
    for r in out.itertuples(index=False):
        ins = _inputs(r.series)
        found: list[tuple[str, str]] = []
        for col in sorted(ins & set(flags)):
            f = flags[col]
            a, b = f.get((r.province_code, r.year - 1)), f.get((r.province_code, r.year))
            if a is not None and b is not None and bool(a) != bool(b):
                txt = panel.loc[(panel.province_code == r.province_code)
                                & panel.year.isin([r.year - 1, r.year]), f"{col}_flag"].dropna()
                found.append(("source splice", f"{col}_flag starts/ends here: "
                              f"{str(txt.iloc[0])[:120]}"))
        for c in causes:
            if c.year == r.year and ins & set(c.series) and (
                    c.provinces is None or r.province_code in c.provinces):
                found.append((c.kind, c.cause))
        if r.series in small and r.measure == "dlog":
            level, change = small[r.series]
            if r.value_prev < level and abs(r.value - r.value_prev) <= change:
                found.append(("small base", f"small base: {r.value_prev:.4g} is below the "
                              f"series' {SMALL_BASE_QUANTILE:.0%} quantile {level:.4g} and the "
                              f"change {r.value - r.value_prev:+.4g} within its median absolute "
                              f"change {change:.4g}"))
        kinds.append(found[0][0] if found else "unexplained")
        texts.append(" | ".join(t for _, t in found) if found else "unexplained")
    out["cause_kind"] = kinds
    out["cause"] = texts
    return out


def run_breaks(panel: pd.DataFrame, out_dir: Path | None,
               units: dict[str, str] | None = None) -> tuple[dict, pd.DataFrame]:
    """Detect and explain breaks; write ``<out_dir>/breaks.csv``; return the summary record.

    ``units`` (column -> unit, the codebook's) enables the small-base rule of
    :func:`explain_breaks`. The record (a row of ``checks/summary.csv``) counts breaks:
    ``n_explained`` with a documented cause (``by_kind``), ``n_small_base`` with none but a
    small base, ``n_unexplained`` with none at all (they add up to ``n_exceed``), and the GDP
    block's (:data:`GDP_BLOCK`) apart. ``ok`` is False when a GDP-block break is unexplained
    beyond the documented ones (:data:`BREAKS_UNEXPLAINED_GDP`).
    """
    breaks, n_tested = detect_breaks(panel)
    table = explain_breaks(breaks, panel, units=units)
    unexplained = table["cause_kind"].eq("unexplained")
    small = table["cause_kind"].eq("small base")
    gdp = table["series"].isin(GDP_BLOCK)
    listed = {(s, c, y) for s, c, y in BREAKS_UNEXPLAINED_GDP}
    new_gdp = [(r.series, r.province_code, r.year) for r in table[unexplained & gdp].itertuples()
               if (r.series, r.province_code, r.year) not in listed]
    by_kind = table.loc[~unexplained & ~small, "cause_kind"].value_counts().to_dict()
    rec = {"name": "breaks", "kind": "breaks", "tolerance": BREAK_K, "measure": "robust sd",
           "allowed_exceptions": len(BREAKS_UNEXPLAINED_GDP), "winner": "-",
           "why": ("province-years where a series' change is beyond k robust sd of its own "
                   "changes (checks.detect_breaks); causes from a documented table "
                   "(checks.KNOWN_CAUSES) and the panel's <col>_flag columns, a small base "
                   "counted apart (checks.small_base_thresholds); ok unless the "
                   "GDP block has an unexplained break not listed in "
                   "checks.BREAKS_UNEXPLAINED_GDP"),
           "n_compared": n_tested, "n_exceed": len(table),
           "max_rel_diff": float(table["score"].abs().max()) if len(table) else float("nan"),
           "ok": not new_gdp, "skipped": "", "n_unexpected": len(new_gdp),
           "exception_years": "",
           "n_explained": int((~unexplained & ~small).sum()),
           "n_small_base": int(small.sum()), "n_unexplained": int(unexplained.sum()),
           "n_gdp_block": int(gdp.sum()), "n_unexplained_gdp_block": int((unexplained & gdp).sum()),
           "by_kind": "; ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))}
    if out_dir is not None:
        _write_csv(out_dir / "breaks.csv", table)
    return rec, table


def run_all(panel: pd.DataFrame, frames: dict[str, pd.DataFrame],
            io_tables: dict[str, pd.DataFrame], out_dir: Path | None,
            units: dict[str, str] | None = None) -> list[dict]:
    """Run every identity, reconciliation and the break detector; write ``<out_dir>/<name>.csv``
    (``breaks.csv`` for the breaks) and ``summary.csv``. ``units`` (column -> unit) goes to
    :func:`run_breaks`."""
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
    rec, _ = run_breaks(panel, out_dir, units)
    records.append(rec)
    if out_dir is not None:
        _write_csv(out_dir / "summary.csv", pd.DataFrame(records))
    return records


def breaks_text(r: dict) -> str:
    """The build/check summary line of the break detector's record."""
    return (f"  {'ok  ' if r['ok'] else 'FAIL'} breaks (|change - median| > {r['tolerance']:g} "
            f"robust sd; checks/breaks.csv): {r['n_exceed']} of {r['n_compared']} changes; "
            f"explained {r['n_explained']} ({r['by_kind']}); small base "
            f"{r['n_small_base']}; unexplained {r['n_unexplained']}, "
            f"in the GDP block {r['n_unexplained_gdp_block']} of {r['n_gdp_block']} "
            f"({r['allowed_exceptions']} listed, {r['n_unexpected']} new)")


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
        if r.get("kind") == "breaks":
            lines.append(breaks_text(r))
            continue
        exc = f" exc.yrs {r['exception_years']}" if r.get("exception_years") else ""
        lines.append(
            f"  {'ok  ' if r['ok'] else 'FAIL'} {r['name']:<32} {r['measure']} {r['tolerance']:<6g}|"
            f"{r['n_exceed']:>4} /{r['n_compared']:>5} [{r['n_unexpected']}]{exc} | "
            f"max {r['max_rel_diff']:.3g} | {r['winner']}")
    return "\n".join(lines)


__all__ = ["SPECS", "Spec", "compare", "io_go_ti", "run_all", "run_spec", "summary_text",
           "KNOWN_CAUSES", "KnownCause", "RATIO_SERIES", "BREAK_K", "detect_breaks",
           "explain_breaks", "run_breaks", "break_series", "break_scores", "break_null_rate",
           "small_base_thresholds", "SMALL_BASE_QUANTILE", "SMALL_BASE_UNITS"]
