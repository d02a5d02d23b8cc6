"""Vintage-consistent provincial GDP and value added by sector (2000–2024).

The problem
-----------
Chinese provincial GDP exists in several vintages. Each economic census (2004, 2008, 2013, 2018)
re-benchmarks the level of the census year and NBS then revises earlier years; the 2016–2017
corrections of overstated figures (Liaoning, Inner Mongolia, Tianjin) cut levels by 20–35 %.
Volume indices (previous year = 100) are published on a comparable basis and never carry a
level revision (Holz 2008, 2013). The NBS compilation the panel reads
(``nbs_compilations/gdp.xlsx``, parser :mod:`analysis.data.sources.nbs`) mixes vintages:

=============  ================================================  ==============================
years          GDP total in ``sheet1``                            value added by sector
=============  ================================================  ==============================
2000           first release (pre-2004-census base)              first release, same base
2001–2004      revised after the 2004 census                     first release, pre-2004 base
2005–2008      revised after the 2008 census                     first release, 2004-census base
2009–2012      first release (2008-census base)                  first release, same base
2013           revised after the 2013 census                     first release, 2008-census base
2014–2018      first release (2013-census base)                  first release, same base
2019–2022      first release (2018-census base)                  first release, same base
2015–2024      ``Sheet2``: the latest vintage (2018 and 2023      (none)
               census revisions, 2016–2017 corrections)
=============  ================================================  ==============================

The evidence for this table is in the data: GDP equals the sum of the sectors to 0.1 % except in
2001–2008 and 2013; the implied deflator of the total jumps in 2001 and 2005 (not 2009), that of
the sector sum in 2005 and 2009; ``Sheet2`` differs from ``sheet1`` in every year 2015–2022
(Tianjin 2015 −34 %, Beijing 2018 +16 %). Chaining real GDP from such levels makes the implied
deflator fall by up to 28.5 % in a year (Tianjin 2019), and the sector shares jump at every base
change (mean |ΔTS| 0.20 in 2019 against 0.04–0.13 otherwise).

The method
----------
1. **Totals: latest vintage, back-cast by backward ratio splicing** (:func:`ratio_splice`).
   Levels are taken from the newest vintage that has the year (``Sheet2`` for 2015–2024). Each
   older vintage segment (:data:`TOTAL_SEGMENTS`) is linked to the series built so far at the
   earliest year both cover (2015, 2013, 2005, 2001): ``Y_t = Y_t^old · Y_s^new / Y_s^old``.
   The older vintage's nominal growth rates are kept, hence its real growth (the published
   volume indices) *and* its implied deflator path; only the level moves. This is the
   "retropolation" rule of the splicing literature (de la Fuente 2009) and what the Chinese
   literature does when it back-casts by growth rates; NBS itself re-benchmarks with a
   trend-deviation method (NBS 2006; Wu 2007) whose interpolated revision profile we cannot
   reproduce without the intercensal revised figures.
2. **Sectors: each sector linked across its base changes, then scaled to the total**
   (:func:`link_breaks`, :func:`vintage_consistent`). No latest-vintage sector data exist in
   the raw files, and the sectors are first releases throughout, so the sector series break
   wherever the base changes (:data:`REVISION_EVENTS` with ``link=True``: 2005, 2009, 2014, 2019
   for all sectors; 2017 for the primary sector, third agricultural census; Liaoning 2016 and
   Inner Mongolia 2017, corrections). At a break year *t* the sector's volume index gives real
   growth on a comparable basis; its deflator change is estimated as the national sector
   deflator change (``gdp.xlsx`` national rows, a consistently revised series without census
   breaks) plus the province's mean deviation from it in the adjacent non-break years. The
   break factor ``b = (Y_t / Y_{t-1}) / ((I_t/100)(1 + π̂_t))`` rescales all earlier years of
   that sector. The linked sectors give the *shares*; value added is ``share × gdp`` of step 1,
   so the three sectors add up to GDP in every year.
3. **Real GDP and deflator** follow (:func:`analysis.data.sources.nbs.chain_real_gdp`): the
   base-year level of step 1 chained with the published volume indices; deflator = GDP / real
   GDP. Per-capita and "/GDP" ratios are computed downstream from ``gdp`` and ``gdp_real``.

Validation (``checks/vintage_sector_links.csv``): the sector links use no information on
totals, yet the revision of the total they imply at the four census overlaps (first-published
sector sum vs the census-revised total of ``sheet1``, and the 2018 total revised after the 2018
census, taken from the GPI workbook, which holds it for 26 provinces: its Shaanxi, Gansu,
Qinghai, Ningxia and Xinjiang 2018 figures are first releases) matches NBS's revision within
3 % in 106 of 119 province-census pairs (median absolute error 1.1 %; largest 8.2 %, Xinjiang
at the 2009 link, a commodity province in the 2009 price slump). Beijing's 2004 total was revised by +41.5 %;
the linked sectors imply +41.6 %.

Where the raw data cannot support a consistent series (stated in the codebook)
--------------------------------------------------------------------------------
* Before 2015 the ratio splice assumes that the 2015 revision ratio held in earlier years. For
  the provinces whose 2015 level was cut by ≥ 20 % (Tianjin −34 %, Liaoning −28 %, Jilin −28 %,
  Inner Mongolia −27 %, Heilongjiang −20 %) the overstatement is documented to have built up
  over the 2010s, so back-cast levels of the 2000s are probably too low; no raw file gives the
  revised intercensal path. Those cells are flagged like every other back-cast cell.
* The sector split of 2015–2022 is the first-published one of the 2018-census base scaled to
  the latest total; the 2023 census revision of the split is not in the raw files.
* The split before 2019 rests on estimated break-year deflators and cannot be checked against
  a revised split (the validation checks totals only); linked TS over first-published TS has a
  median ratio of 1.45 in 2000–2004 (1.08 in 2014–2018), and each link's error carries back to
  all earlier years (``docs/data.md``).
* 2023–2024: only totals exist (no volume index, no sectors), so ``gdp_real``,
  ``gdp_deflator`` and value added are missing there.
* The volume indices are first releases: where a later census changed nominal growth, the
  difference goes into the implied deflator.

References
----------
* Holz, C. A. (2008). China's 2004 economic census and 2006 benchmark revision of GDP
  statistics: more questions than answers? *The China Quarterly* 193, 150–163.
* Holz, C. A. (2013). Chinese statistics: output data. Stanford Center for International
  Development, Working Paper 473.
* Xu, X. (2002). Study on some problems in estimating China's gross domestic product.
  *Review of Income and Wealth* 48(2), 205–215.
* 国家统计局 (2006). 关于我国GDP历史数据修订结果的公告 (NBS: announcement of the revised
  historical GDP data after the first economic census, 9 January 2006).
* Wu, H. X. (2007). The Chinese GDP growth rate puzzle: how fast has the Chinese economy
  grown? *Asian Economic Papers* 6(1), 1–23.
* de la Fuente, A. (2009). A mixed splicing procedure for economic time series. CREA Working
  Paper 415 (BBVA Research WP 13/02, 2013).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "RevisionEvent",
    "REVISION_EVENTS",
    "TOTAL_SEGMENTS",
    "SECTORS",
    "ratio_splice",
    "link_breaks",
    "sector_break_years",
    "vintage_consistent",
]

SECTORS: tuple[str, ...] = ("va_primary", "va_secondary", "va_tertiary")
"""Value-added columns, in the order primary, secondary, tertiary."""


@dataclass(frozen=True)
class RevisionEvent:
    """A documented change of basis in published Chinese provincial accounts.

    Attributes
    ----------
    year : int
        First year whose published figures are on the new basis: the break lies between
        ``year - 1`` and ``year``.
    kind : str
        ``"census revision"``, ``"correction"`` or ``"definition change"``.
    cause : str
        What happened, for ``checks/breaks.csv`` and the docs.
    series : tuple of str
        Panel columns (or derived series) whose first releases carry the break.
    provinces : tuple of int or None
        GB/T 2260 codes affected; ``None`` = all provinces.
    link : bool
        Whether :func:`vintage_consistent` links the sector series across this break.
    """

    year: int
    kind: str
    cause: str
    series: tuple[str, ...]
    provinces: tuple[int, ...] | None = None
    link: bool = False


_GDP_BLOCK = ("gdp", *SECTORS)
REVISION_EVENTS: tuple[RevisionEvent, ...] = (
    RevisionEvent(2001, "census revision",
                  "first economic census (2004): the compilation's totals 2001-2004 are revised, "
                  "2000 is a first release", ("gdp",)),
    RevisionEvent(2005, "census revision",
                  "first economic census (2004): first releases from 2005 on the new base "
                  "(services revised up, national GDP 2004 +16.8 %); the compilation's totals "
                  "2005-2008 are revised after the 2008 census", _GDP_BLOCK, link=True),
    RevisionEvent(2009, "census revision",
                  "second economic census (2008): first releases from 2009 on the new base",
                  SECTORS, link=True),
    RevisionEvent(2013, "census revision",
                  "third economic census (2013): the compilation's 2013 total is census-revised, "
                  "2012 a first release", ("gdp",)),
    RevisionEvent(2014, "census revision",
                  "third economic census (2013): first releases from 2014 on the new base",
                  SECTORS, link=True),
    RevisionEvent(2016, "correction",
                  "Liaoning: 2016 figures after the correction of overstated 2011-2014 data "
                  "(GDP -22 % nominal)", _GDP_BLOCK, provinces=(210000,), link=True),
    RevisionEvent(2017, "correction",
                  "Inner Mongolia: 2017 figures after the correction of overstated industrial "
                  "value added (GDP -11 % nominal)", _GDP_BLOCK, provinces=(150000,), link=True),
    RevisionEvent(2017, "census revision",
                  "third national agricultural census (2016): primary-sector value added from "
                  "2017 on the census base", ("va_primary",), link=True),
    RevisionEvent(2018, "correction",
                  "Tianjin: Binhai New Area's overstated GDP corrected (announced January 2018); "
                  "the provincial series was cut with the 2018 census (2019 first release, "
                  "latest vintage from 2015)", _GDP_BLOCK, provinces=(120000,)),
    RevisionEvent(2019, "census revision",
                  "fourth economic census (2018): first releases from 2019 on the new base "
                  "(Tianjin -29 %, Jilin -25 %, Heilongjiang -21 % in 2018)", _GDP_BLOCK,
                  link=True),
    RevisionEvent(2024, "census revision",
                  "fifth economic census (2023): totals of 2015-2024 revised (gdp.xlsx Sheet2)",
                  ("gdp",)),
)
"""Documented breaks in first-published provincial GDP and value added (NBS announcements;
Holz 2013, section 3). Used by :func:`vintage_consistent` (``link=True``) and as known causes by
the break detector (:mod:`analysis.data.checks`)."""

TOTAL_SEGMENTS: tuple[tuple[str, dict[str, tuple[int, int]]], ...] = (
    ("latest vintage (Sheet2)", {"gdp_revised": (2015, 2024)}),
    ("2013-census base", {"gdp": (2013, 2015)}),
    ("2008-census base", {"gdp": (2005, 2012), "va_sum": (2013, 2013)}),
    ("2004-census base", {"gdp": (2001, 2004), "va_sum": (2005, 2008)}),
    ("pre-2004 base", {"gdp": (2000, 2000), "va_sum": (2001, 2004)}),
)
"""Vintage segments of GDP totals in ``gdp.xlsx``, newest first: (label, {column: years}).

``gdp_revised`` is ``Sheet2``; ``gdp`` the ``sheet1`` total; ``va_sum`` the sum of the three
first-published sectors of ``sheet1`` (the first-release total of years whose ``sheet1`` total is
census-revised). Within a segment every figure is on one basis, so its growth rates are
comparable; consecutive segments overlap in at least one year (2015; 2013; 2005-2008;
2001-2004), where :func:`ratio_splice` links them."""


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------

def ratio_splice(segments: Sequence[tuple[str, pd.Series]]) -> pd.DataFrame:
    """Backward ratio splice of vintage segments of one series (newest first).

    Parameters
    ----------
    segments : sequence of (label, Series)
        Each Series is indexed by year (int) and holds one vintage; the first is the newest
        and is kept as it is. NaN values are ignored.

    Returns
    -------
    DataFrame indexed by year with columns ``value``, ``factor`` (the multiplier applied to the
    segment's own figure: 1 in the newest segment), ``segment`` (label the figure comes from)
    and ``links`` (comma-separated link years used to reach it, "" in the newest segment).

    Raises
    ------
    ValueError
        A segment shares no year with the series built from the newer ones (cannot be linked),
        or the overlap value is zero.

    Notes
    -----
    Segment *k* fills only years before the first year built so far. With the earliest common
    year :math:`s`, :math:`Y_t = Y^{(k)}_t \\, Y_s / Y^{(k)}_s`; the older vintage's growth
    rates (and so its implied deflator, given the volume index) are kept. This is the
    retropolation rule (de la Fuente 2009).
    """
    if not segments:
        raise ValueError("ratio_splice: no segments")
    label0, first = segments[0]
    first = first.dropna().astype(float)
    value = dict(zip(first.index.astype(int), first.to_numpy(), strict=True))
    factor = dict.fromkeys(value, 1.0)
    segment = dict.fromkeys(value, label0)
    links = dict.fromkeys(value, "")
    for label, seg in segments[1:]:
        seg = seg.dropna().astype(float)
        own = dict(zip(seg.index.astype(int), seg.to_numpy(), strict=True))
        common = sorted(set(value) & set(own))
        if not common:
            raise ValueError(f"ratio_splice: segment {label!r} ({_span(own)}) shares no "
                             f"year with the newer series ({_span(value)})")
        s = common[0]
        if own[s] == 0:
            raise ValueError(f"ratio_splice: segment {label!r} is zero in its link year {s}")
        f = value[s] / own[s]
        lk = f"{s}" if not links[s] else f"{links[s]},{s}"
        start = min(value)
        for y in (y for y in own if y < start):
            value[y], factor[y], segment[y], links[y] = own[y] * f, f, label, lk
    years = sorted(value)
    return pd.DataFrame({"value": [value[y] for y in years], "factor": [factor[y] for y in years],
                         "segment": [segment[y] for y in years],
                         "links": [links[y] for y in years]}, index=pd.Index(years, name="year"))


def _span(idx: Iterable[int]) -> str:
    ys = sorted(idx)
    return f"{ys[0]}-{ys[-1]}" if ys else "no years"


def link_breaks(value: pd.Series, volume_index: pd.Series, reference_change: pd.Series,
                break_years: Iterable[int]) -> pd.DataFrame:
    """Remove level breaks from a nominal series using its volume index (one province, one sector).

    Parameters
    ----------
    value : Series
        Nominal value added by year (亿元, current prices), first releases.
    volume_index : Series
        Volume index, previous year = 100, by year (published on a comparable basis).
    reference_change : Series
        Implicit deflator change of a break-free reference (the national sector), by year, as a
        fraction (0.03 = +3 %).
    break_years : iterable of int
        Years whose figures are on a new basis (break between ``y - 1`` and ``y``).

    Returns
    -------
    DataFrame indexed by year: ``value`` (linked: on the basis of the last segment), ``factor``
    (cumulative multiplier applied), ``break_factor`` (at break years: the estimated
    new-basis / old-basis level ratio), ``deflator_change`` (implicit deflator change of the
    linked series) and ``deflator_change_hat`` (the estimate used at break years).

    Notes
    -----
    With :math:`\\pi_t = (Y_t/Y_{t-1})/(I_t/100) - 1` and the reference :math:`\\pi^N_t`, the
    deflator change at a break year is estimated as
    :math:`\\hat\\pi_t = \\pi^N_t + \\tfrac12[(\\pi_{t-1}-\\pi^N_{t-1}) + (\\pi_{t+1}-\\pi^N_{t+1})]`
    (the neighbours that are not break years; :math:`\\pi^N_t` alone if neither is). The break
    factor is :math:`b_t = (Y_t/Y_{t-1}) / ((I_t/100)(1+\\hat\\pi_t))` and every year before
    *t* is multiplied by it. A break year whose value, previous value or index is missing
    cannot be linked: earlier years become NaN (never filled).

    Raises
    ------
    ValueError
        ``reference_change`` is missing in a break year that is linked (the estimate
        :math:`\\hat\\pi_t` needs it).
    """
    years = np.array(sorted(int(y) for y in value.dropna().index), dtype=int)
    idx = pd.Index(years)
    y = value.reindex(idx).to_numpy(dtype=float)
    q = volume_index.reindex(idx).to_numpy(dtype=float) / 100.0
    ref = reference_change.reindex(idx).to_numpy(dtype=float)
    prev = np.full(len(years), np.nan)
    consecutive = np.r_[False, np.diff(years) == 1]
    prev[consecutive] = y[:-1][consecutive[1:]]
    pi = y / prev / q - 1.0
    pos = {int(t): i for i, t in enumerate(years)}
    wanted = {int(b) for b in break_years}
    breaks = sorted(wanted & set(pos))
    # a break year inside the series whose own value is missing cannot be linked either
    unlinkable = sorted(b for b in wanted - set(pos)
                        if len(years) and years[0] < b <= years[-1])
    dev = pi - ref
    for b in breaks:
        dev[pos[b]] = np.nan
    factor = np.ones(len(years))
    bfac = np.full(len(years), np.nan)
    pihat = np.full(len(years), np.nan)
    for b in breaks:
        i = pos[b]
        if np.isnan(prev[i]) or np.isnan(q[i]) or np.isnan(y[i]):
            factor[:i] = np.nan
            continue
        if np.isnan(ref[i]):
            raise ValueError(f"link_breaks: the reference deflator change is missing in break "
                             f"year {b} (national sector value or volume index of {b - 1}/{b})")
        neigh = [dev[pos[t]] for t in (b - 1, b + 1) if t in pos and not np.isnan(dev[pos[t]])]
        ph = ref[i] + (float(np.mean(neigh)) if neigh else 0.0)
        bf = (y[i] / prev[i]) / (q[i] * (1.0 + ph))
        pihat[i], bfac[i] = ph, bf
        factor[:i] *= bf
    for b in unlinkable:
        factor[years < b] = np.nan
    linked = y * factor
    lprev = np.full(len(years), np.nan)
    lprev[consecutive] = linked[:-1][consecutive[1:]]
    return pd.DataFrame({"value": linked, "factor": factor, "break_factor": bfac,
                         "deflator_change": linked / lprev / q - 1.0,
                         "deflator_change_hat": pihat}, index=idx)


def sector_break_years(code: int, sector: str,
                       events: Iterable[RevisionEvent] = REVISION_EVENTS) -> list[int]:
    """Years at which ``sector`` of province ``code`` is linked (events with ``link=True``)."""
    return sorted({e.year for e in events if e.link and sector in e.series
                   and (e.provinces is None or code in e.provinces)})


# --------------------------------------------------------------------------------------------
# the whole GDP block
# --------------------------------------------------------------------------------------------

def _segment_series(g: pd.DataFrame, spec: dict[str, tuple[int, int]]) -> pd.Series:
    parts = [g[col].loc[lo:hi] for col, (lo, hi) in spec.items()]  # g sorted by year
    return pd.concat(parts).sort_index()


def vintage_consistent(compiled: pd.DataFrame, revised: pd.DataFrame, national: pd.DataFrame,
                       years: tuple[int, int] = (2000, 2024),
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Vintage-consistent GDP and value added by sector, with a flag on every adjusted cell.

    Parameters
    ----------
    compiled : DataFrame
        Province-year, as in ``gdp.xlsx`` ``sheet1``: ``province_code``, ``year``, ``gdp``,
        ``va_primary``, ``va_secondary``, ``va_tertiary`` (亿元, current prices) and the volume
        indices ``va_primary_index``, ``va_secondary_index``, ``va_tertiary_index``
        (previous year = 100).
    revised : DataFrame
        ``province_code``, ``year``, ``gdp_revised``: the latest vintage (``Sheet2``).
    national : DataFrame
        Indexed by year: national ``va_*`` and ``va_*_index`` (a consistently revised series),
        the reference deflators of :func:`link_breaks`.
    years : (int, int)
        First and last year returned.

    Returns
    -------
    panel : DataFrame
        ``province_code``, ``year``, ``gdp``, ``va_primary``, ``va_secondary``,
        ``va_tertiary`` (亿元) and the flags ``gdp_flag``, ``va_primary_flag``,
        ``va_secondary_flag``, ``va_tertiary_flag`` (NA where the figure is the latest vintage
        as published), sorted by keys.
    links : DataFrame
        One row per (province_code, year) where a link was made: ``gdp_link_factor`` (ratio
        splice of totals), ``<sector>_break_factor`` (sector links), ``revision_observed``
        (NBS's census revision of the total in the year before a sector break, new basis /
        first release, where ``compiled`` holds it: 2004, 2008, 2013) and ``revision_implied``
        (the same ratio implied by the sector links: sum of the previous year's sectors times
        their break factors over their sum) for the validation check.

    Raises
    ------
    ValueError
        Missing columns, a vintage segment that cannot be linked (no overlap year), or a
        national reference missing in a sector break year; the message names the province
        (GB/T 2260 code) and the series.
    """
    need = {"province_code", "year", "gdp", *SECTORS, *(f"{s}_index" for s in SECTORS)}
    missing = need - set(compiled.columns)
    if missing:
        raise ValueError(f"vintage_consistent: compiled frame lacks {sorted(missing)}")
    lo, hi = years
    comp = compiled.copy()
    comp["va_sum"] = comp[list(SECTORS)].sum(axis=1, min_count=3)
    comp = comp.merge(revised[["province_code", "year", "gdp_revised"]],
                      on=["province_code", "year"], how="outer")
    nat_change = {}
    for s in SECTORS:
        n = national[s].astype(float)
        nat_change[s] = n / n.shift(1) / (national[f"{s}_index"].astype(float) / 100) - 1
    rows, link_rows = [], []
    for code, g in comp.groupby("province_code", sort=True):
        g = g.set_index("year").sort_index()
        segs = [(label, _segment_series(g, spec)) for label, spec in TOTAL_SEGMENTS]
        try:
            tot = ratio_splice(segs)
        except ValueError as e:
            raise ValueError(f"vintage_consistent: GDP total of province {int(code)}: {e}") from e
        tot = tot[(tot.index >= lo) & (tot.index <= hi)]
        out = pd.DataFrame(index=tot.index)
        out["gdp"] = tot["value"]
        out["gdp_flag"] = [
            pd.NA if lk == "" else
            f"vintage back-cast: {sg} figure x {f:.4f} (ratio splice at {lk})"
            for sg, f, lk in zip(tot["segment"].tolist(), tot["factor"].tolist(),
                                 tot["links"].tolist(), strict=True)]
        linked = {}
        for s in SECTORS:
            try:
                lb = link_breaks(g[s], g[f"{s}_index"], nat_change[s],
                                 sector_break_years(int(code), s))
            except ValueError as e:
                raise ValueError(f"vintage_consistent: {s} of province {int(code)}: {e}") from e
            linked[s] = lb
        lsum = sum(linked[s]["value"] for s in SECTORS)
        lsum = lsum.reindex(out.index)
        for s in SECTORS:
            lv = linked[s]["value"].reindex(out.index)
            out[s] = lv / lsum * out["gdp"]
            fac = linked[s]["factor"].reindex(out.index)
            scale = out["gdp"] / lsum
            brk = [y for y in sector_break_years(int(code), s) if y <= out.index.max()]
            out[f"{s}_flag"] = [
                pd.NA if pd.isna(v) else
                (f"vintage-linked: first release x {fc:.4f} (sector links at "
                 f"{','.join(str(b) for b in brk if b > y)}), " if fc != 1 else
                 "vintage-linked: first release, ")
                + f"scaled to gdp x {sc:.4f} (shares of the linked sectors)"
                for y, v, fc, sc in zip(out.index.tolist(), out[s].tolist(), fac.tolist(),
                                        scale.tolist(), strict=True)]
        out.insert(0, "province_code", int(code))
        rows.append(out.reset_index(names="year"))
        # diagnostics: total links and sector break factors
        diag = pd.DataFrame(index=sorted(set(g.index)))
        diag["gdp_link_factor"] = np.nan
        for lk in {int(x) for links in tot["links"].tolist() for x in links.split(",") if x}:
            diag.loc[lk, "gdp_link_factor"] = tot.loc[tot.index < lk, "factor"].iloc[-1] \
                if (tot.index < lk).any() else np.nan
        for s in SECTORS:
            diag[f"{s}_break_factor"] = linked[s]["break_factor"].reindex(diag.index)
        bf = diag[[f"{s}_break_factor" for s in SECTORS]]
        prev = g[list(SECTORS)].shift(1).reindex(diag.index)
        implied = (prev.to_numpy() * bf.to_numpy()).sum(axis=1) / prev.sum(axis=1).to_numpy()
        diag["revision_implied"] = np.where(bf.notna().all(axis=1), implied, np.nan)
        diag["revision_observed"] = np.nan
        for y in diag.index[diag["revision_implied"].notna()]:
            if y - 1 in g.index and pd.notna(g.loc[y - 1, "va_sum"]):
                obs = _observed_revision(g, y)
                diag.loc[y, "revision_observed"] = obs
        diag = diag.dropna(how="all")
        diag.insert(0, "province_code", int(code))
        link_rows.append(diag.reset_index(names="year"))
    panel = pd.concat(rows, ignore_index=True)
    for c in [c for c in panel.columns if c.endswith("_flag")]:
        panel[c] = panel[c].astype("string")
    links = pd.concat(link_rows, ignore_index=True)
    return (panel.sort_values(["province_code", "year"], ignore_index=True),
            links.sort_values(["province_code", "year"], ignore_index=True))


def _observed_revision(g: pd.DataFrame, y: int) -> float:
    """NBS's revision of the total in year ``y - 1`` (new basis / first release), if held.

    ``sheet1`` holds census-revised totals beside first-released sectors in 2004 and 2008
    (before the 2005 and 2009 breaks) and 2013 (before 2014).
    """
    t = y - 1
    if t in (2004, 2008, 2013) and pd.notna(g.loc[t, "gdp"]):
        return float(g.loc[t, "gdp"] / g.loc[t, "va_sum"])
    return float("nan")
