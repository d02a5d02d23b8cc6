"""What each section of a province report shows: pure functions returning typed records.

Each ``*_context(inp, code, year_start, year_end)`` reads the loaded tables
(:class:`~analysis.reporting.inputs.ReportInputs`) and returns a record of the numbers a section
quotes — values, years, ranks, medians, keys — in no language and with no formatting: the text
templates (:mod:`analysis.reporting.text`) and figures (:mod:`analysis.reporting.figures`) turn
them into words and charts. Every record has ``numbers()``, the flat ``{name: value}`` dictionary
recorded in the executed notebook (scrapbook), e.g. ``glance.gdp.value``, ``coupling.D.latest``.

A context function raises :class:`MissingInput` (naming the table or column) when its inputs are
not built; the section then says so in one sentence. They need no kernel and no figure, so a test
can check every number against the processed tables directly.

Ranks: 1 = highest; tied values share the best rank (``method="min"``) and are flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.labels import model_key, z_scores
from analysis.reporting.inputs import ReportInputs, province_info

#: Below this ``model_stability`` a model is read as a tendency, not a type.
STABILITY_MIN = 0.8
#: Largest bootstrap p-value of the threshold test at which a regime is shown (the models step's
#: interior-threshold rule, :meth:`analysis.models.threshold.ThresholdResult.interior_verdict`).
THRESHOLD_P_MAX = 0.10
#: A pathway is named as further from the best-observed values than the province's indicators on
#: average only when its obstacle intensity exceeds 1 by more than this (a presentation rule: the
#: intensities of a province whose indicators are evenly far from the best values all lie near 1).
INTENSITY_MARGIN = 0.10
PILLARS = ("pillar_chain", "pillar_platform", "pillar_demand", "pillar_future")
#: Chain-linkage indicators shown in the chain section, in order.
CHAIN_SHOWN = ("chain_linkage", "chain_backward", "chain_forward", "local_sourcing", "rd_output_share", "rd_key_sectors")


class MissingInput(LookupError):
    """A table or column the section needs is not built; the message names it."""


def _num(x: Any) -> Any:
    """JSON-friendly scalar (NaN → None, numpy → Python)."""
    if x is None:
        return None
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _years(df: pd.DataFrame, year_start: int, year_end: int, col: str = "year") -> pd.DataFrame:
    return df[(df[col] >= year_start) & (df[col] <= year_end)]


def _with_region(inp: ReportInputs, df: pd.DataFrame) -> pd.DataFrame:
    if "region" in df.columns:
        return df
    return df.merge(inp.provinces[["province_code", "region"]], on="province_code", how="left")


# --------------------------------------------------------------------------------------------
# filled and adjusted values: what a marker beside a shown value refers to
# --------------------------------------------------------------------------------------------

#: The framework's fill rules (``integration_fills.parquet`` ``method``; see
#: :func:`analysis.framework.integration.prepare_core`), in the order the footnotes list them.
FILL_METHODS = ("interpolated", "nearest year", "worst value of the year", "carried forward (publication lag)")


@dataclass(frozen=True)
class Fill:
    """A core indicator cell filled by the framework's missing-value rule.

    ``method`` is one of :data:`FILL_METHODS`, or ``None`` when only the ``filled`` column of
    ``integration.parquet`` (names, no rule) is available.
    """

    indicator: str
    year: int
    method: str | None
    pathway: str | None = None


def fills_of(inp: ReportInputs, code: int, year: int | None) -> list[Fill]:
    """Core indicator cells of ``(code, year)`` that the framework filled (interpolated, nearest
    year, worst value of the year, carried forward): every framework score of that province-year
    (U₁, U₂, D, the linkage index, pillar scores, obstacle degrees) is computed with them.

    Reads ``integration_fills.parquet`` (with the rule), else the ``filled`` column of
    ``integration.parquet`` (names only). Sorted by indicator.
    """
    if year is None:
        return []
    out: list[Fill] = []
    f = inp.fills
    if f is not None and {"province_code", "year", "indicator", "method"} <= set(f.columns):
        hit = f[(f["province_code"] == code) & (f["year"] == year)]
        out = [Fill(str(i), int(year), str(m)) for i, m in zip(hit["indicator"], hit["method"], strict=True)]
    elif inp.integration is not None and "filled" in inp.integration.columns:
        it = inp.integration
        row = it.loc[(it["province_code"] == code) & (it["year"] == year), "filled"]
        if len(row) and isinstance(row.iloc[0], str):
            out = [Fill(n, int(year), None) for n in row.iloc[0].split(";") if n]
    return sorted((Fill(x.indicator, x.year, x.method, _pathway_of(inp, x.indicator)) for x in out),
                  key=lambda x: x.indicator)


def _pathway_of(inp: ReportInputs, indicator: str) -> str | None:
    """The pathway of an indicator: the specification's, else the diagnostics table's."""
    try:
        p = inp.spec[indicator].pathway
    except (KeyError, AttributeError, TypeError):
        dg = inp.diagnostics
        if dg is None or not {"indicator", "pathway"} <= set(dg.columns):
            return None
        m = inp.cached("pathway_of", lambda: dict(zip(dg["indicator"], dg["pathway"], strict=True)))
        p = m.get(indicator)
    return None if p is None or p in ("none", "") or (isinstance(p, float) and pd.isna(p)) else str(p)


def _fill_numbers(prefix: str, fills: list[Fill]) -> dict[str, Any]:
    return {f"{prefix}.filled": [x.indicator for x in fills]} if fills else {}


@dataclass(frozen=True)
class Flag:
    """A panel cell the data layer adjusted or filled (its ``<column>_flag`` text)."""

    column: str
    year: int
    text: str


def _formula_columns(inp: ReportInputs, key: str) -> list[str]:
    """Panel columns a shown indicator is computed from (itself, GDP per capita's two, or the
    names in its specification formula)."""
    import re

    if key == "gdp_per_capita":
        return ["gdp", "population"]
    formula = inp.formula(key)
    if formula is None:
        return [key]
    return list(dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula)))


def panel_flags(inp: ReportInputs, code: int, year: int, key: str) -> list[Flag]:
    """Data-layer flags (``<column>_flag``: vintage back-casts and links, compiler fills, second-
    source splices) on the panel cells behind indicator ``key`` at ``(code, year)``."""
    p = inp.panel
    if p is None:
        return []
    row = inp.cached("panel_by_key", lambda: p.set_index(["province_code", "year"]).sort_index())
    try:
        r = row.loc[(int(code), int(year))]
    except KeyError:
        return []
    out = []
    for col in _formula_columns(inp, key):
        v = r.get(f"{col}_flag")
        if isinstance(v, str) and v.strip():
            out.append(Flag(col, int(year), v.strip()))
    return out


# --------------------------------------------------------------------------------------------
# ranks
# --------------------------------------------------------------------------------------------


def rank_desc(values: pd.Series) -> pd.Series:
    """Rank, 1 = highest; ties share the best rank (``method="min"``); NaN not ranked."""
    return values.rank(ascending=False, method="min")


def is_tied(values: pd.Series, mask: pd.Series) -> bool:
    """True when the value selected by ``mask`` is shared by another non-missing value."""
    own = values[mask]
    if own.empty or pd.isna(own.iloc[0]):
        return False
    return int((values.dropna() == own.iloc[0]).sum()) > 1


@dataclass(frozen=True)
class Rank:
    """A province's rank among the provinces with a value (``n``) and within its region."""

    rank: int
    n: int
    tied: bool
    rank_region: int
    n_region: int
    tied_region: bool


def rank_in(frame: pd.DataFrame, year: int, col: str, code: int, region: str) -> Rank:
    """Rank of ``code``'s ``col`` in ``year``, nationally and within ``region`` (1 = highest)."""
    y = frame[(frame["year"] == year) & frame[col].notna()]
    own = y["province_code"] == code
    yr = y[y["region"] == region]
    own_r = yr["province_code"] == code
    return Rank(int(rank_desc(y[col])[own].iloc[0]), len(y), is_tied(y[col], own),
                int(rank_desc(yr[col])[own_r].iloc[0]), len(yr), is_tied(yr[col], own_r))


def _interval(row: pd.Series, key: str) -> tuple[int, int] | None:
    """``(<key>_rank_lo, <key>_rank_hi)`` of one integration row: the 5th-95th percentile of the
    rank over the framework's uncertainty analysis (1 = highest), or ``None``."""
    lo, hi = row.get(f"{key}_rank_lo"), row.get(f"{key}_rank_hi")
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return None
    return int(lo), int(hi)


def _rank_numbers(prefix: str, r: Rank) -> dict[str, Any]:
    return {f"{prefix}.rank": r.rank, f"{prefix}.n": r.n, f"{prefix}.rank_tied": r.tied,
            f"{prefix}.rank_region": r.rank_region, f"{prefix}.n_region": r.n_region,
            f"{prefix}.rank_region_tied": r.tied_region}


# --------------------------------------------------------------------------------------------
# header
# --------------------------------------------------------------------------------------------


@dataclass
class HeaderContext:
    code: int
    name_zh: str
    full_name_zh: str
    name_en: str
    region: str
    year_start: int
    year_end: int

    def numbers(self) -> dict[str, Any]:
        return {"province_code": self.code, "name_zh": self.name_zh, "name_en": self.name_en,
                "region": self.region, "year_start": self.year_start, "year_end": self.year_end}


def header_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> HeaderContext:
    """The province's names and region (raises for an unknown code)."""
    info = province_info(inp, code)
    return HeaderContext(int(code), str(info["name_zh"]), str(info["full_name_zh"]), str(info["name_en"]),
                         str(info["region"]), int(year_start), int(year_end))


# --------------------------------------------------------------------------------------------
# 1 at a glance
# --------------------------------------------------------------------------------------------

#: Key indicators: panel columns, framework indicators (computed with the specification's
#: formula) and GDP per capita (元 = 亿元 / 万人 × 10⁴).
GLANCE = ("gdp", "gdp_per_capita", "rd_exp", "rd_intensity", "invention_grants_per_10k",
          "hightech_revenue_gdp", "tech_sold_gdp", "tertiary_share")


def glance_frame(inp: ReportInputs) -> pd.DataFrame:
    """Key indicators (:data:`GLANCE`) of every province-year, with ``region`` (cached per kernel).

    Panel columns are taken as they are; framework indicators are evaluated with the formula in
    ``spec.yaml`` (:func:`analysis.framework.spec.evaluate_formula`), so the glance and the
    framework never compute the same indicator two ways. Missing inputs give NaN.
    """
    def make() -> pd.DataFrame:
        from analysis.framework.spec import evaluate_formula

        p = inp.panel
        out = p[["province_code", "year"]].copy()
        for key in GLANCE:
            if key in p.columns:
                out[key] = pd.to_numeric(p[key], errors="coerce").astype(float)
            elif key == "gdp_per_capita" and {"gdp", "population"} <= set(p.columns):
                out[key] = p["gdp"] / p["population"] * 1e4
            elif inp.formula(key) is not None:
                try:
                    out[key] = evaluate_formula(inp.formula(key), p).astype(float)
                except Exception:  # noqa: BLE001 - a column the panel lacks: not shown
                    out[key] = np.nan
            else:
                out[key] = np.nan
        return _with_region(inp, out)

    if inp.panel is None:
        raise MissingInput("panel.parquet")
    return inp.cached("glance_frame", make)


@dataclass
class GlanceRow:
    key: str
    year: int
    value: float
    unit: str | None
    rank: Rank
    rank_interval: tuple[int, int] | None = None   # 90 % interval of the rank (uncertainty analysis)
    flags: list[Flag] = field(default_factory=list)  # data-layer adjustments of the panel cells
    fills: list[Fill] = field(default_factory=list)  # framework fills (D and the linkage index)


@dataclass
class GlanceContext:
    code: int
    region: str
    n_region: int
    rows: list[GlanceRow]

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"glance.region": self.region}
        for r in self.rows:
            out |= {f"glance.{r.key}.value": _num(r.value), f"glance.{r.key}.year": r.year}
            out |= _rank_numbers(f"glance.{r.key}", r.rank)
            if r.rank_interval is not None:
                out |= {f"glance.{r.key}.rank_lo": r.rank_interval[0], f"glance.{r.key}.rank_hi": r.rank_interval[1]}
            if r.flags:
                out[f"glance.{r.key}.flags"] = [x.text for x in r.flags]
            out |= _fill_numbers(f"glance.{r.key}", r.fills)
        return out


def glance_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> GlanceContext:
    """Key indicators in their latest year with data, ranked among provinces and in the region.

    Each indicator uses its own latest year in ``[year_start, year_end]`` with a value for the
    province; ranks are among the provinces with a value that year.
    """
    info = province_info(inp, code)
    region = str(info["region"])
    g = _years(glance_frame(inp), year_start, year_end)
    frames = [(k, g) for k in GLANCE]
    it = inp.integration
    for key in ("D", "linkage"):  # level of integration and the linkage index, side by side
        if it is not None and key in it.columns:
            extra = [c for c in (f"{key}_rank_lo", f"{key}_rank_hi") if c in it.columns]
            frames.append((key, _with_region(inp, _years(it[["province_code", "year", key, *extra]],
                                                         year_start, year_end))))
    rows = []
    for key, frame in frames:
        own = frame[(frame["province_code"] == code) & frame[key].notna()]
        if own.empty:
            continue
        year = int(own["year"].max())
        last = own[own["year"] == year].iloc[0]
        row = GlanceRow(key, year, float(last[key]), inp.labels.unit(key), rank_in(frame, year, key, code, region))
        if key in ("D", "linkage"):
            row.rank_interval = _interval(last, key)
            row.fills = fills_of(inp, code, year)
        else:
            row.flags = panel_flags(inp, code, year, key)
        rows.append(row)
    if not rows:
        raise MissingInput("panel.parquet")
    return GlanceContext(int(code), region, int((inp.provinces["region"] == region).sum()), rows)


# --------------------------------------------------------------------------------------------
# 2 indices, 3 coupling: series against the national median and the regional peers
# --------------------------------------------------------------------------------------------


def series_stats(df: pd.DataFrame, col: str, code: int, region: str) -> pd.DataFrame:
    """Per year: the province's value (``own``), the national median and the regional peers' mean."""
    own = df[df["province_code"] == code].set_index("year")[col].rename("own")
    med = df.groupby("year")[col].median().rename("national_median")
    peers = df[(df["region"] == region) & (df["province_code"] != code)].groupby("year")[col].mean().rename("peers")
    return pd.concat([own, med, peers], axis=1).sort_index()


@dataclass
class SeriesContext:
    """One indicator over time: ``stats`` (own, national median, peers by year) and its ends."""

    col: str
    stats: pd.DataFrame
    first_year: int
    first: float
    year: int
    latest: float
    median: float
    peers: float | None
    rank: Rank

    def numbers(self, prefix: str) -> dict[str, Any]:
        own = self.stats["own"].dropna()
        return {f"{prefix}.year": self.year, f"{prefix}.latest": self.latest,
                f"{prefix}.first_year": self.first_year, f"{prefix}.first": self.first,
                f"{prefix}.national_median": self.median, f"{prefix}.peers_mean": _num(self.peers),
                f"{prefix}.series": {str(int(k)): float(v) for k, v in own.items()},
                **_rank_numbers(prefix, self.rank)}


def _series(df: pd.DataFrame, col: str, code: int, region: str) -> SeriesContext | None:
    s = series_stats(df, col, code, region)
    own = s["own"].dropna()
    if own.empty:
        return None
    y0, y1 = int(own.index.min()), int(own.index.max())
    return SeriesContext(col, s, y0, float(own.loc[y0]), y1, float(own.loc[y1]),
                         float(s.loc[y1, "national_median"]), _num(float(s.loc[y1, "peers"])),
                         rank_in(df, y1, col, code, region))


@dataclass
class IndicesContext:
    code: int
    region: str
    series: dict[str, SeriesContext]  # U_st, U_ind
    fills: list[Fill] = field(default_factory=list)  # framework fills in the latest year

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col, s in self.series.items():
            out |= s.numbers(f"indices.{col}")
        return out | _fill_numbers("indices", self.fills)


def _integration(inp: ReportInputs, cols: set[str], what: str) -> pd.DataFrame:
    if inp.integration is None or not cols <= set(inp.integration.columns):
        raise MissingInput(f"integration.parquet ({what})")
    return inp.integration


def indices_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> IndicesContext:
    """S&T (``U_st``) and industrial (``U_ind``) subsystem scores over time, against the national
    median and the mean of the region's other provinces (``integration.parquet``)."""
    region = str(province_info(inp, code)["region"])
    df = _with_region(inp, _years(_integration(inp, {"U_st", "U_ind"}, "U_st, U_ind"), year_start, year_end))
    series = {c: s for c in ("U_st", "U_ind") if (s := _series(df, c, code, region)) is not None}
    if not series:
        raise MissingInput("integration.parquet (U_st, U_ind)")
    return IndicesContext(int(code), region, series, fills_of(inp, code, max(s.year for s in series.values())))


@dataclass
class Linkage:
    """The linkage index (flows between the science system and industry; not part of D) in one
    year, with its rank among the provinces and the rank's 90 % interval."""

    year: int
    value: float
    rank: int
    n: int
    tied: bool
    interval: tuple[int, int] | None


@dataclass
class CouplingContext:
    code: int
    region: str
    D: SeriesContext
    level_first: int | None
    level: int | None
    lagging: str | None
    C: float | None
    T: float | None
    D_interval: tuple[int, int] | None = None   # 90 % interval of D's rank (uncertainty analysis)
    linkage: Linkage | None = None
    fills: list[Fill] = field(default_factory=list)  # framework fills in D's latest year

    def numbers(self) -> dict[str, Any]:
        out = {**self.D.numbers("coupling.D"), "coupling.level": _num(self.level),
               "coupling.level_first": _num(self.level_first), "coupling.lagging": self.lagging,
               "coupling.C.latest": _num(self.C), "coupling.T.latest": _num(self.T)}
        if self.D_interval is not None:
            out |= {"coupling.D.rank_lo": self.D_interval[0], "coupling.D.rank_hi": self.D_interval[1]}
        if self.linkage is not None:
            k = self.linkage
            out |= {"coupling.linkage.year": k.year, "coupling.linkage.value": k.value,
                    "coupling.linkage.rank": k.rank, "coupling.linkage.n": k.n, "coupling.linkage.rank_tied": k.tied}
            if k.interval is not None:
                out |= {"coupling.linkage.rank_lo": k.interval[0], "coupling.linkage.rank_hi": k.interval[1]}
        return out | _fill_numbers("coupling", self.fills)


def coupling_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> CouplingContext:
    """Coupling coordination degree D over time, its ten-level class, C, T and the lagging subsystem.

    D = √(C·T), C = 2√(U₁U₂)/(U₁+U₂), T = αU₁ + βU₂ (framework layer); the class is the level
    1–10 of :data:`analysis.measures.coupling.COORDINATION_CLASSES` (``D_level``, else from D).
    """
    region = str(province_info(inp, code)["region"])
    df = _with_region(inp, _years(_integration(inp, {"D"}, "D"), year_start, year_end))
    s = _series(df, "D", code, region)
    if s is None:
        raise MissingInput("integration.parquet (D)")
    row = df[df["province_code"] == code].set_index("year").sort_index()

    def level(y: int, d: float) -> int:
        if "D_level" in row.columns and pd.notna(row.loc[y, "D_level"]):
            return int(row.loc[y, "D_level"])
        return min(int(round(d * 10, 12)), 9) + 1

    def get(col: str) -> Any:
        return _num(row.loc[s.year, col]) if col in row.columns else None

    lag = get("lagging")
    ctx = CouplingContext(int(code), region, s, level(s.first_year, s.first), level(s.year, s.latest),
                          None if lag is None else str(lag),
                          None if get("C") is None else float(get("C")), None if get("T") is None else float(get("T")),
                          _interval(row.loc[s.year], "D"), None, fills_of(inp, code, s.year))
    if "linkage" in df.columns and pd.notna(row.loc[s.year, "linkage"]):
        r = rank_in(df[df["linkage"].notna()], s.year, "linkage", code, region)
        ctx.linkage = Linkage(s.year, float(row.loc[s.year, "linkage"]), r.rank, r.n, r.tied,
                              _interval(row.loc[s.year], "linkage"))
    return ctx


# --------------------------------------------------------------------------------------------
# 4 integration models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PillarInterval:
    """A pillar's rank-based standard score in the latest year, its 90 % interval over the
    uncertainty analysis's specifications, and the share of specifications in which it leads."""

    z: float
    lo: float | None
    hi: float | None
    share: float | None


@dataclass
class ModelsContext:
    code: int
    year: int
    first_year: int
    model: str                      # the framework's value
    reading: str                    # model_key: "multi" with every z < 0 → "none_dominant"
    z: dict[str, float]
    changes: list[tuple[int, str, str]]  # (year, from, to) in reading keys
    stability: dict[int, float]     # by year: model_confidence (framework v2) or model_stability
    cluster: str | None
    pillars: dict[str, tuple[float, float]]  # pillar column → (own, national median) in ``year``
    stability_kind: str = "stability"  # "confidence" (uncertainty analysis) or "stability" (v1)
    profile: str | None = None      # model_profile: pillars leading in ≥ 1/4 of the draws ("chain+demand")
    intervals: dict[str, PillarInterval] = field(default_factory=dict)  # pillar key → uncertainty
    fills: list[Fill] = field(default_factory=list)  # framework fills in ``year``

    @property
    def confidence(self) -> float | None:
        """The latest model's confidence (or version-1 stability), None if unknown."""
        return self.stability.get(self.year)

    @property
    def stable(self) -> bool | None:
        """Whether the latest model's stability reaches :data:`STABILITY_MIN` (None if unknown)."""
        return None if self.year not in self.stability else self.stability[self.year] >= STABILITY_MIN

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"models.year": self.year, "models.model": self.model, "models.reading": self.reading,
                               "models.changes": [list(c) for c in self.changes]}
        if self.year in self.stability:
            out["models.stability"] = self.stability[self.year]
        for y, _a, _b in self.changes:
            if y in self.stability:
                out[f"models.change.{y}.stability"] = self.stability[y]
        if self.cluster is not None:
            out["models.cluster"] = self.cluster
        out |= {f"models.z_{k}": _num(v) for k, v in self.z.items()}
        for c, (own, med) in self.pillars.items():
            out |= {f"models.{c}": _num(own), f"models.{c}.national_median": _num(med)}
        if self.profile is not None:
            out["models.profile"] = self.profile
        for k, iv in self.intervals.items():
            out |= {f"models.z_{k}.lo": _num(iv.lo), f"models.z_{k}.hi": _num(iv.hi), f"models.share_{k}": _num(iv.share)}
        return out | _fill_numbers("models", self.fills)


def models_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> ModelsContext:
    """Pillar scores of the four integration models, the dominant model, its stability and changes."""
    df = _years(_integration(inp, {"model"}, "model"), year_start, year_end)
    own = df[(df["province_code"] == code) & df["model"].notna()].sort_values("year")
    if own.empty:
        raise MissingInput("integration.parquet (model)")
    y1 = int(own["year"].max())
    last = own[own["year"] == y1].iloc[0]
    changes, prev = [], None
    for _, r in own.iterrows():
        m = str(model_key(str(r["model"]), z_scores(r)))
        if prev is not None and m != prev:
            changes.append((int(r["year"]), prev, m))
        prev = m
    # framework v2: the share of the uncertainty analysis's specifications in which the model's
    # pillar leads (model_confidence); version 1: the share of weight perturbations keeping it
    kind = next((c for c in ("model_confidence", "model_stability") if c in own.columns), None)
    stab = ({int(y): float(s) for y, s in zip(own["year"], own[kind], strict=True) if pd.notna(s)}
            if kind else {})
    z = {str(c).removeprefix("z_"): float(last[c]) for c in own.columns
         if str(c).startswith("z_") and not str(c).endswith(("_lo", "_hi"))}
    pcols = [c for c in PILLARS if c in df.columns]
    nat = df[df["year"] == y1][pcols].median()
    cl = last.get("model_cluster") if "model_cluster" in own.columns else None

    def opt(col: str) -> float | None:
        v = last.get(col)
        return None if v is None or pd.isna(v) else float(v)

    intervals = {k: PillarInterval(z[k], opt(f"z_{k}_lo"), opt(f"z_{k}_hi"), opt(f"share_{k}"))
                 for k in z if f"z_{k}_lo" in own.columns or f"share_{k}" in own.columns}
    prof = last.get("model_profile")
    return ModelsContext(int(code), y1, int(own["year"].min()), str(last["model"]),
                         str(model_key(str(last["model"]), z_scores(last))), z, changes, stab,
                         None if cl is None or (isinstance(cl, float) and pd.isna(cl)) else str(cl),
                         {c: (float(last[c]), float(nat[c])) for c in pcols},
                         "confidence" if kind == "model_confidence" else "stability",
                         str(prof) if isinstance(prof, str) and prof else None, intervals, fills_of(inp, code, y1))


# --------------------------------------------------------------------------------------------
# 5 pathways
# --------------------------------------------------------------------------------------------


def pathway_columns(df: pd.DataFrame) -> list[str]:
    """Pathway score columns ``pathway_<name>`` (numeric ones only)."""
    return [c for c in df.columns if str(c).startswith("pathway_") and pd.api.types.is_numeric_dtype(df[c])]


def pathway_diagnostics(integration: pd.DataFrame, provinces: pd.DataFrame, code: int, year: int) -> pd.DataFrame:
    """Percentiles and gaps of the province's pathway scores in ``year``.

    Percentile = share of provinces with a score ≤ the province's (``rank(pct=True)``, ×100),
    among all provinces and within the NBS region; gap to frontier = max − own; gap to the
    regional leader = regional max − own; ``median`` = national median.

    Returns
    -------
    pandas.DataFrame
        Index pathway column; columns ``score``, ``percentile``, ``percentile_region``,
        ``gap_frontier``, ``gap_leader``, ``median``.
    """
    cols = pathway_columns(integration)
    y = integration[integration["year"] == year]
    if "region" not in y.columns:
        y = y.merge(provinces[["province_code", "region"]], on="province_code", how="left")
    region = y.loc[y["province_code"] == code, "region"].iloc[0]
    own = y[y["province_code"] == code].iloc[0]
    yr = y[y["region"] == region]
    rows = {}
    for c in cols:
        rows[c] = {
            "score": float(own[c]),
            "percentile": float(y[c].rank(pct=True, method="max")[y["province_code"] == code].iloc[0]) * 100,
            "percentile_region": float(yr[c].rank(pct=True, method="max")[yr["province_code"] == code].iloc[0]) * 100,
            "gap_frontier": float(y[c].max() - own[c]),
            "gap_leader": float(yr[c].max() - own[c]),
            "median": float(y[c].median()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def weakest_indicators(diagnostics: pd.DataFrame, code: int, pathway: str, year: int, n: int = 2) -> pd.DataFrame:
    """The province's ``n`` lowest-percentile indicators of one pathway (framework diagnostics).

    Uses each indicator's latest year ≤ ``year`` with a value. Columns as in
    ``integration_diagnostics.parquet`` (``pct_national`` 1 = best).
    """
    d = diagnostics[(diagnostics["province_code"] == code) & (diagnostics["pathway"] == pathway)
                    & (diagnostics["year"] <= year) & diagnostics["value"].notna()]
    d = d.sort_values("year").groupby("indicator").tail(1)
    return d.sort_values("pct_national").head(n)


def io_table_year(inp: ReportInputs, indicator: str, code: int, year: int) -> int | None:
    """Year of the input-output table behind an indicator's value in ``year``, else ``None``.

    An indicator whose formula is a chain-linkage column (:data:`analysis.measures.io.CHAIN_COLUMNS`)
    comes from the chain-linkage panel, where each panel year carries the latest provincial IO
    table ≤ that year forward (``io_year``); its value in 2023 is the 2017 table's. Returns that
    table's year (``chain_linkage_panel.parquet``), or ``None`` for an indicator not from the IO
    tables (or when the panel is not built).
    """
    from analysis.measures.io import CHAIN_COLUMNS

    formula = inp.formula(indicator) or str(indicator)
    if formula not in CHAIN_COLUMNS and str(indicator) not in CHAIN_COLUMNS:
        return None
    cp = inp.chain_panel
    if cp is None or not {"province_code", "year", "io_year"} <= set(cp.columns):
        return None
    hit = cp.loc[(cp["province_code"] == int(code)) & (cp["year"] == int(year)), "io_year"].dropna()
    return int(hit.iloc[0]) if len(hit) else None


@dataclass
class WeakIndicator:
    indicator: str
    year: int
    io_year: int | None
    value: float
    pct: float          # national percentile, 0–100 (100 = best)
    frontier_code: int | None
    frontier: float | None
    unit: str | None
    obstacle: float | None = None   # the indicator's obstacle degree (share of the distance to the best values)


@dataclass(frozen=True)
class PathwayObstacle:
    """A pathway's obstacle degree in one province-year (framework v2, :func:`analysis.framework.
    integration.obstacles`): ``obstacle`` = share of the province's distance to the best-observed
    values of the window (1 − T) that lies in the pathway's core indicators (the five sum to 1);
    ``weight_share`` = the pathway's share of the indicator weights in T; ``intensity`` =
    obstacle / weight_share (> 1: the pathway's indicators are, weight for weight, further from
    the best-observed values than the province's indicators on average)."""

    key: str
    obstacle: float
    intensity: float | None
    weight_share: float | None


@dataclass
class PathwaysContext:
    code: int
    year: int
    diag: pd.DataFrame            # pathway_diagnostics (scores, percentiles, gaps)
    weakest: list[str]            # pathway keys: the two largest obstacle intensities (else lowest percentiles)
    source: str                   # "obstacle degree" or "lowest percentile" (no obstacle columns)
    weak_indicators: dict[str, list[WeakIndicator]] = field(default_factory=dict)
    obstacles: list[PathwayObstacle] = field(default_factory=list)  # specification order
    obstacle_year: int | None = None
    distance: float | None = None  # distance to the best-observed values, 1 − T
    fills: list[Fill] = field(default_factory=list)  # framework fills in ``obstacle_year``

    @property
    def intensity_range(self) -> tuple[float, float] | None:
        """Smallest and largest obstacle intensity of the five pathways."""
        v = [o.intensity for o in self.obstacles if o.intensity is not None]
        return (min(v), max(v)) if v else None

    @property
    def largest(self) -> PathwayObstacle | None:
        """The pathway holding the largest share of the distance to the best-observed values."""
        return max(self.obstacles, key=lambda o: o.obstacle) if self.obstacles else None

    def filled_in(self, pathway: str) -> list[Fill]:
        """Fills among the pathway's indicators (its obstacle degree is computed with them)."""
        return [x for x in self.fills if x.pathway == pathway]

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pathways.year": self.year, "pathways.weakest": list(self.weakest),
                               "pathways.weakest_source": self.source}
        for c, r in self.diag.iterrows():
            k = str(c).removeprefix("pathway_")
            for m in ("score", "percentile", "percentile_region", "gap_frontier", "gap_leader"):
                out[f"pathways.{k}.{m}"] = _num(float(r[m]))
            out[f"pathways.{k}.national_median"] = _num(float(r["median"]))
        for o in self.obstacles:
            out |= {f"pathways.{o.key}.obstacle": _num(o.obstacle), f"pathways.{o.key}.obstacle_intensity": _num(o.intensity)}
        if self.obstacle_year is not None:
            out |= {"pathways.obstacle_year": self.obstacle_year, "pathways.distance_ideal": _num(self.distance)}
        for w, items in self.weak_indicators.items():
            for it in items:
                p = f"pathways.{w}.weak.{it.indicator}"
                out |= {f"{p}.pct_national": it.pct / 100, f"{p}.value": _num(it.value), f"{p}.year": it.year}
                if it.obstacle is not None:
                    out[f"{p}.obstacle"] = _num(it.obstacle)
                if it.io_year is not None:
                    out[f"{p}.io_year"] = it.io_year
        return out | _fill_numbers("pathways", self.fills)


def named_pathways(row: pd.Series) -> list[str]:
    """The framework's ``obstacle_pathways`` of one integration row that stand out: obstacle
    intensity above 1 + :data:`INTENSITY_MARGIN` (the report, the index and the typology pages
    name the same ones)."""
    w = row.get("obstacle_pathways")
    if not isinstance(w, str):
        return []
    out = []
    for x in (x for x in w.split(";") if x):
        v = row.get(f"obstacle_intensity_{x}")
        if v is None or (not pd.isna(v) and float(v) > 1 + INTENSITY_MARGIN):
            out.append(x)
    return out


def _weak_indicator(inp: ReportInputs, code: int, r: pd.Series) -> WeakIndicator:
    fp = r.get("frontier_province")
    ob = r.get("obstacle")
    return WeakIndicator(
        str(r["indicator"]), int(r["year"]), io_table_year(inp, r["indicator"], code, int(r["year"])),
        float(r["value"]), float(r["pct_national"]) * 100,
        int(fp) if fp is not None and pd.notna(fp) else None,
        _num(float(r["frontier"])) if "frontier" in r and pd.notna(r["frontier"]) else None,
        inp.labels.unit(str(r["indicator"])), None if ob is None or pd.isna(ob) else float(ob))


def pathways_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> PathwaysContext:
    """The five pathways: where the province's distance to the best-observed values lies (obstacle
    degree, framework v2), and the pathway scores with percentiles and gaps.

    The pathways spelled out are the framework's ``obstacle_pathways`` (the two largest obstacle
    intensities: the pathways whose core indicators are, weight for weight, furthest from the
    best-observed values) whose intensity exceeds 1 by more than :data:`INTENSITY_MARGIN` (none
    when the five are about equally far); under each, its indicators with the largest obstacle degree
    (``integration_diagnostics.parquet`` ``obstacle``), their values, percentiles and the best
    province. These are relative positions, not estimates of what effort would achieve. Without
    obstacle columns (a version-1 table) the two lowest-percentile pathways are shown instead.
    """
    from analysis.framework.spec import PATHWAYS

    integ = _integration(inp, set(), "pathway_*")
    if not pathway_columns(integ):
        raise MissingInput("integration.parquet (pathway_*)")
    df = _years(integ, year_start, year_end)
    cols = pathway_columns(df)
    own = df[df["province_code"] == code].dropna(subset=cols, how="all")
    if own.empty:
        raise MissingInput("integration.parquet (pathway_*)")
    y1 = int(own["year"].max())
    diag = pathway_diagnostics(df, inp.provinces, code, y1)
    ocols = [f"obstacle_{p}" for p in PATHWAYS]
    dg = inp.diagnostics
    if set(ocols) <= set(df.columns) and "obstacle_pathways" in df.columns:
        ob = df[(df["province_code"] == code) & df[ocols].notna().all(axis=1)]
        if ob.empty:
            raise MissingInput("integration.parquet (obstacle_*)")
        yo = int(ob["year"].max())
        last = ob[ob["year"] == yo].iloc[0]
        obstacles = []
        for p in PATHWAYS:
            inten = last.get(f"obstacle_intensity_{p}")
            inten = None if inten is None or pd.isna(inten) else float(inten)
            share = float(last[f"obstacle_{p}"]) / inten if inten else None
            obstacles.append(PathwayObstacle(p, float(last[f"obstacle_{p}"]), inten, share))
        weakest = named_pathways(last)  # the framework's two largest intensities, where they stand out
        dist = last.get("distance_ideal")
        ctx = PathwaysContext(int(code), y1, diag, weakest, "obstacle degree", obstacles=obstacles, obstacle_year=yo,
                              distance=None if dist is None or pd.isna(dist) else float(dist),
                              fills=fills_of(inp, code, yo))
        if dg is not None and {"pathway", "obstacle", "indicator"} <= set(dg.columns):
            d = dg[(dg["province_code"] == code) & (dg["year"] == yo) & dg["obstacle"].notna() & dg["value"].notna()]
            for w in weakest:
                top = d[d["pathway"] == w].sort_values("obstacle", ascending=False).head(2)
                ctx.weak_indicators[w] = [_weak_indicator(inp, code, r) for _, r in top.iterrows()]
        return ctx
    row = own[own["year"] == y1].iloc[0]
    w = row.get("weakest_pathways") if "weakest_pathways" in df.columns else None
    if isinstance(w, str) and w:
        weakest = [x.strip().removeprefix("pathway_") for x in w.split(";") if x.strip()]
    else:
        weakest = [str(c).removeprefix("pathway_") for c in diag.sort_values("percentile").index[:2]]
    ctx = PathwaysContext(int(code), y1, diag, weakest, "lowest percentile")
    if dg is not None and {"pathway", "pct_national", "indicator"} <= set(dg.columns):
        for w in weakest:
            ctx.weak_indicators[w] = [_weak_indicator(inp, code, r)
                                      for _, r in weakest_indicators(dg, code, w, y1).iterrows()]
    return ctx


# --------------------------------------------------------------------------------------------
# 6 industrial chain
# --------------------------------------------------------------------------------------------


@dataclass
class ChainRow:
    key: str
    value: float
    rank: int
    n: int
    tied: bool
    series: dict[int, float]


@dataclass
class ChainSector:
    sector: str
    output_share: float
    backward: float
    forward: float
    local_input_share: float | None


@dataclass
class ChainContext:
    code: int
    io_year: int
    io_years: list[int]
    rows: list[ChainRow]
    key_sectors: list[str] | None = None          # None: sector detail not available
    rd_sectors: list[ChainSector] = field(default_factory=list)

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"chain.io_year": self.io_year, "chain.io_years": list(self.io_years)}
        for r in self.rows:
            out |= {f"chain.{r.key}": _num(r.value), f"chain.{r.key}.rank": r.rank, f"chain.{r.key}.n": r.n,
                    f"chain.{r.key}.rank_tied": r.tied,
                    f"chain.{r.key}.series": {str(k): _num(v) for k, v in r.series.items()}}
        if self.key_sectors is not None:
            out["chain.key_sectors"] = list(self.key_sectors)
        for s in self.rd_sectors:
            out |= {f"chain.sector.{s.sector}.backward": _num(s.backward),
                    f"chain.sector.{s.sector}.local_input_share": _num(s.local_input_share)}
        return out


def chain_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> ChainContext:
    """Industrial-chain profile from the province's latest input-output table ≤ ``year_end``.

    Province indicators (``chain_linkage.parquet``, :func:`analysis.measures.io.chain_linkage`),
    ranked among the provinces with a table that year; sector detail (``chain_sectors.parquet``,
    :func:`analysis.measures.io.sector_chain_profiles`, computed once by the measures step): key
    sectors (normalised local backward and forward linkage both > 1, by backward linkage) and the
    R&D-intensive sectors by output.
    """
    cl = inp.chain_linkage
    if cl is None or "province_code" not in cl.columns:
        raise MissingInput("chain_linkage.parquet")
    ycol = "io_year" if "io_year" in cl.columns else "year"
    own = cl[(cl["province_code"] == code) & (cl[ycol] <= year_end)].sort_values(ycol)
    if own.empty:
        raise MissingInput("chain_linkage.parquet")
    y = int(own[ycol].max())
    row = own[own[ycol] == y].iloc[0]
    same = cl[cl[ycol] == y]
    rows = []
    for c in [c for c in CHAIN_SHOWN if c in cl.columns]:
        if pd.isna(row[c]):
            continue
        mask = same["province_code"] == code
        rows.append(ChainRow(c, float(row[c]), int(rank_desc(same[c])[mask].iloc[0]), int(same[c].notna().sum()),
                             is_tied(same[c], mask), {int(k): float(v) for k, v in zip(own[ycol], own[c], strict=True)}))
    ctx = ChainContext(int(code), y, [int(v) for v in own[ycol]], rows)
    cs = inp.sector_profiles()
    if cs is not None and {"province_code", "io_year", "sector"} <= set(cs.columns):
        sc = cs[(cs["province_code"] == code) & (cs["io_year"] == y)].set_index("sector")
        if not sc.empty:
            ctx.key_sectors = [str(k) for k in sc[sc["key_sector"]].sort_values("backward", ascending=False).index]
            rd = sc[sc["rd_intensive"]].sort_values("x", ascending=False)
            total = float(sc["x"].sum())
            ctx.rd_sectors = [ChainSector(str(k), float(r["x"]) / total, float(r["backward"]), float(r["forward"]),
                                          _num(float(r["local_input_share"]))) for k, r in rd.iterrows()]
    return ctx


# --------------------------------------------------------------------------------------------
# 7 threshold
# --------------------------------------------------------------------------------------------


def regime_interval(gammas: list[float], i: int, var: str = "q", fmt=None) -> str:
    """Interval of regime ``i`` (0-based) for thresholds ``gammas`` (ascending), as in Hansen (1999).

    ``q ≤ γ₁`` for the first regime, ``γᵢ < q ≤ γᵢ₊₁`` in between, ``q > γₖ`` for the last;
    ``q`` alone when there is no threshold. ``fmt`` formats a threshold (default 2 decimals).
    """
    from analysis.numfmt import num

    g = [(fmt or (lambda x: num(x, "level")))(x) for x in gammas]
    if not g:
        return var
    if i == 0:
        return f"{var} ≤ {g[0]}"
    if i >= len(g):
        return f"{var} > {g[-1]}"
    return f"{g[i - 1]} < {var} ≤ {g[i]}"


@dataclass
class ThresholdContext:
    code: int
    q: str                      # threshold variable
    rx: str                     # regime-dependent regressor
    y: str                      # dependent variable
    year: int
    q_value: float
    regime: int                 # 1-based
    gammas: list[float]
    coefs: list[tuple[float, float]]  # (estimate, std_error) per regime
    p_values: list[float]
    regime_sizes: list[int]
    regime_path: dict[int, int]
    sample_years: tuple[int, int]
    warning: str | None = None
    gdp_real_last_year: int | None = None
    verdict: str | None = None          # models step: "threshold" / "no interior threshold"
    reasons: list[str] = field(default_factory=list)

    @property
    def interior(self) -> bool:
        """False when the models step found no interior threshold (then no regime coefficient)."""
        return self.verdict != "no interior threshold"

    @property
    def supported(self) -> bool:
        """Whether the province-specific regime and its coefficient may be shown: the models step
        found an interior threshold and the bootstrap test of a threshold effect gives
        p ≤ :data:`THRESHOLD_P_MAX` (a run without the test shows none)."""
        return (self.interior and bool(self.p_values) and self.p_values[0] <= THRESHOLD_P_MAX
                and bool(self.coefs))

    @property
    def effect(self) -> tuple[float, float] | None:
        return self.coefs[self.regime - 1] if self.regime - 1 < len(self.coefs) else None

    @property
    def smallest_regime(self) -> int:
        """0-based index of the regime with the fewest observations."""
        return int(np.argmin(self.regime_sizes)) if self.regime_sizes else 0

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"threshold.q": self.q, "threshold.year": self.year, "threshold.q_value": _num(self.q_value),
                               "threshold.gammas": list(self.gammas), "threshold.regime": self.regime,
                               "threshold.p_values": list(self.p_values), "threshold.regime_sizes": list(self.regime_sizes),
                               "threshold.regime_path": {str(k): v for k, v in self.regime_path.items()},
                               "threshold.sample_years": list(self.sample_years)}
        if self.effect is not None:
            out |= {"threshold.effect": _num(self.effect[0]), "threshold.effect_se": _num(self.effect[1])}
        if self.warning:
            out["threshold.warning"] = self.warning
        if self.gdp_real_last_year is not None:
            out["threshold.gdp_real_last_year"] = self.gdp_real_last_year
        if self.verdict is not None:
            out |= {"threshold.verdict": self.verdict, "threshold.reasons": list(self.reasons)}
        return out


def _results_json(inp: ReportInputs, part: str) -> dict[str, Any]:
    res = inp.results.get("results")
    return (res.get(part) or {}) if isinstance(res, dict) else {}


def threshold_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> ThresholdContext:
    """Where the province sits among the Hansen (1999) threshold regimes, and the effect there.

    Reads ``results/threshold_regimes.parquet`` (per province-year: regime, threshold-variable
    value, the regime's coefficient and standard error) and the thresholds and bootstrap p-values
    in ``results/results.json`` (estimated once for all provinces by ``python -m analysis models``).
    """
    reg = inp.results.get("threshold_regimes")
    if not isinstance(reg, pd.DataFrame) or not {"province_code", "year", "regime", "coef"} <= set(reg.columns):
        raise MissingInput("results/threshold_regimes.parquet (python -m analysis models)")
    head = _results_json(inp, "threshold")
    q = str(reg["threshold_var"].iloc[0]) if "threshold_var" in reg.columns else str(head.get("q", ""))
    own = _years(reg, year_start, year_end)
    own = own[own["province_code"] == code].sort_values("year")
    if own.empty:
        raise MissingInput("results/threshold_regimes.parquet")
    last = own.iloc[-1]
    per = reg.groupby("regime")[["coef", "std_error"]].first().sort_index()
    gammas = [float(g) for g in head.get("thresholds", [])]
    sizes = head.get("regime_sizes") or reg["regime"].value_counts().to_dict()
    yrs = head.get("years") or [int(reg["year"].min()), int(reg["year"].max())]
    gl = None
    if q == "ln_gdp_pc" and inp.panel is not None and "gdp_real" in inp.panel.columns:
        gl = int(inp.panel.loc[inp.panel["gdp_real"].notna(), "year"].max())
    verdict = head.get("verdict") or (str(reg["verdict"].iloc[0]) if "verdict" in reg.columns else None)
    coefs = ([] if verdict == "no interior threshold" else  # no regime coefficient is reported
             [(float(r["coef"]), float(r["std_error"])) for _, r in per.iterrows()])
    return ThresholdContext(
        int(code), q, "rd_intensity_pct", "TS", int(last["year"]),
        float(last[q]) if q in own.columns else float("nan"), int(last["regime"]) + 1, gammas,
        coefs,
        [float(p) for p in (head.get("p_values") or [])[: len(gammas)]],
        [int(sizes.get(str(j), sizes.get(j, 0))) for j in range(len(per))],
        {int(a): int(b) + 1 for a, b in zip(own["year"], own["regime"], strict=True)},
        (int(yrs[0]), int(yrs[-1])), str(head["warning"]) if head.get("warning") else None, gl,
        verdict, [str(r) for r in head.get("reasons") or []])


# --------------------------------------------------------------------------------------------
# 8 spatial
# --------------------------------------------------------------------------------------------


@dataclass
class SpatialEffect:
    variable: str
    effects: dict[str, tuple[float, float | None]]  # direct/indirect/total → (estimate, p)


@dataclass
class SpatialVerdict:
    """The models step's test of spatial dependence under one weight matrix ``W``.

    ``lm_p`` / ``lr_p``: p-values of the LM tests (lag, error, robust lag, robust error) and of
    the LR tests of the spatial Durbin model's restrictions (SAR, SEM); ``model``: the model the
    tests choose (``none`` without dependence); ``effects``: the chosen model's direct,
    indirect and total effects (only used when ``supported``)."""

    W: str
    supported: bool
    model: str
    alpha: float
    lm_p: dict[str, float]
    lr_p: dict[str, float]
    effects: list[SpatialEffect] = field(default_factory=list)

    @property
    def min_lm_p(self) -> float | None:
        return min(self.lm_p.values()) if self.lm_p else None

    @property
    def significant_spillovers(self) -> list[str]:
        """Variables whose indirect (spillover) effect has p < 0.10."""
        return [e.variable for e in self.effects
                if "indirect" in e.effects and e.effects["indirect"][1] is not None and e.effects["indirect"][1] < 0.1]


def _effects(g: pd.DataFrame) -> list[SpatialEffect]:
    vcol = "variable" if "variable" in g.columns else "term"
    return [SpatialEffect(str(v), {str(r["effect"]): (float(r["estimate"]),
                                                      _num(float(r["p_value"])) if "p_value" in h else None)
                                   for _, r in h.iterrows()})
            for v, h in g.groupby(vcol, sort=False)]


@dataclass
class SpatialContext:
    code: int
    neighbours: list[int]
    island: bool
    year: int | None = None
    D_own: float | None = None
    D_neighbours: dict[int, float] = field(default_factory=dict)
    effects: list[SpatialEffect] | None = None     # None: not estimated in this run
    rho: float | None = None
    supported: bool | None = None   # models step's tests: spatial dependence under contiguity?
    verdicts: list[SpatialVerdict] = field(default_factory=list)  # every W the models step tested

    @property
    def significant_spillovers(self) -> list[str]:
        return [e.variable for e in self.effects or []
                if "indirect" in e.effects and e.effects["indirect"][1] is not None and e.effects["indirect"][1] < 0.1]

    @property
    def shown(self) -> list[SpatialVerdict]:
        """The weight matrices under which the tests support spatial dependence and the effects
        are available: only these get an effects table."""
        return [v for v in self.verdicts if v.supported and v.effects]

    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"spatial.neighbours": list(self.neighbours)}
        if self.year is not None:
            vals = list(self.D_neighbours.values())
            out |= {"spatial.year": self.year, "spatial.D_own": _num(self.D_own),
                    "spatial.D_neighbours_mean": _num(float(np.mean(vals)) if vals else None)}
        for e in self.effects or []:
            for k, (est, _p) in e.effects.items():
                out[f"spatial.effect.{e.variable}.{k}"] = _num(est)
        if self.rho is not None:
            out["spatial.rho"] = _num(self.rho)
        if self.supported is not None:
            out["spatial.interpret_spillovers"] = self.supported
        for v in self.verdicts:
            out[f"spatial.{v.W}.supported"] = v.supported
            if v.supported:
                for e in v.effects:
                    for k, (est, _p) in e.effects.items():
                        out[f"spatial.{v.W}.effect.{e.variable}.{k}"] = _num(est)
        return out


def spatial_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> SpatialContext:
    """Contiguous neighbours and their D; the spatial Durbin model's direct, indirect and total
    effects (LeSage–Pace; ``results/spatial_effects.parquet``, estimated once for all provinces)."""
    province_info(inp, code)
    nb = inp.neighbours().get(int(code), [])
    if not nb:
        raise MissingInput("boundaries / spatial weights")
    ctx = SpatialContext(int(code), [int(c) for c in nb], int(code) == 460000)
    if inp.integration is not None and "D" in inp.integration.columns:
        df = _years(inp.integration, year_start, year_end)
        own = df[(df["province_code"] == code) & df["D"].notna()]
        if not own.empty:
            ctx.year = int(own["year"].max())
            dy = df[df["year"] == ctx.year].set_index("province_code")["D"]
            ctx.D_own = float(dy.get(code))
            ctx.D_neighbours = {c: float(dy.get(c, np.nan)) for c in nb}
    eff = inp.results.get("spatial_effects")
    head = _results_json(inp, "spatial")
    if isinstance(eff, pd.DataFrame) and {"effect", "estimate"} <= set(eff.columns):
        ctx.effects = _effects(eff)
        rho = head.get("rho")
        ctx.rho = None if rho is None else float(rho)
        ok = (head.get("interpret_spillovers") or {}).get("queen")
        ctx.supported = None if ok is None else bool(ok)
    every = inp.results.get("spatial_effects_all")
    for w, v in (head.get("verdicts") or {}).items():
        sv = SpatialVerdict(str(w), bool(v.get("interpret_spillovers")), str(v.get("model", "")),
                            float(v.get("alpha", 0.05)), {str(k): float(p) for k, p in (v.get("lm_p") or {}).items()},
                            {str(k): float(p) for k, p in (v.get("wald_lr_p") or {}).items() if str(k).startswith("LR")})
        if sv.supported:
            if isinstance(every, pd.DataFrame) and {"W", "effect", "estimate"} <= set(every.columns):
                sv.effects = _effects(every[every["W"] == w])
            elif w == "queen" and ctx.effects:
                sv.effects = list(ctx.effects)
        ctx.verdicts.append(sv)
    return ctx


# --------------------------------------------------------------------------------------------
# 9 map
# --------------------------------------------------------------------------------------------


@dataclass
class MapContext:
    code: int
    year: int | None
    values: pd.Series | None
    neighbours: list[int]

    def numbers(self) -> dict[str, Any]:
        return {"map.year": self.year}


def map_context(inp: ReportInputs, code: int, year_start: int, year_end: int) -> MapContext:
    """D of every province in the province's latest year with D (the map's colours)."""
    province_info(inp, code)
    if inp.shapes() is None:
        raise MissingInput("boundaries")
    values, y = None, None
    if inp.integration is not None and "D" in inp.integration.columns:
        df = _years(inp.integration, year_start, year_end)
        own = df[(df["province_code"] == code) & df["D"].notna()]
        if not own.empty:
            y = int(own["year"].max())
            values = df[df["year"] == y].set_index("province_code")["D"].astype(float)
    return MapContext(int(code), y, values, inp.neighbours().get(int(code), []))


# --------------------------------------------------------------------------------------------
# index page
# --------------------------------------------------------------------------------------------


def index_metrics(inp: ReportInputs, year_end: int) -> pd.DataFrame:
    """One row per province with the metrics of ``reports/index.html``.

    Columns: ``province_code``, names, ``region``, ``gdp``, ``gdp_per_capita``, ``rd_intensity``
    (latest year ≤ ``year_end`` per province, in ``<col>_year``), and, when ``integration.parquet``
    exists, ``D`` with ``D_rank`` and its interval, ``linkage`` with ``linkage_rank`` and its
    interval, ``D_level``, ``D_class``, ``model``, ``model_confidence`` (``model_stability``),
    ``model_profile``, ``obstacle_pathways`` (else ``weakest_pathways``), ``n_filled``, ``filled``
    and the pillar z-scores ``z_*`` (latest year ≤ ``year_end``; ``D_year`` says which).
    """
    out = inp.provinces[["province_code", "name_zh", "name_en", "region"]].copy()
    if inp.panel is not None:
        g = glance_frame(inp)
        g = g[g["year"] <= year_end]
        for col in ("gdp", "gdp_per_capita", "rd_intensity"):
            last = g.dropna(subset=[col]).sort_values("year").groupby("province_code").tail(1)
            out = out.merge(last[["province_code", "year", col]].rename(columns={"year": f"{col}_year"}),
                            on="province_code", how="left")
    if inp.integration is not None and "D" in inp.integration.columns:
        it = inp.integration[(inp.integration["year"] <= year_end) & inp.integration["D"].notna()]
        last = it.sort_values("year").groupby("province_code").tail(1).copy()
        if "obstacle_pathways" in last.columns:  # only those that stand out (as in the reports)
            last["obstacle_pathways"] = [";".join(named_pathways(r)) for _, r in last.iterrows()]
        keep = [c for c in ("year", "D", "D_rank", "D_rank_lo", "D_rank_hi", "linkage", "linkage_rank",
                             "linkage_rank_lo", "linkage_rank_hi", "D_level", "D_class", "model", "model_stability",
                             "model_confidence", "model_profile", "weakest_pathways", "obstacle_pathways",
                             "n_filled", "filled")
                if c in last.columns]
        keep += [c for c in last.columns if str(c).startswith("z_") and not str(c).endswith(("_lo", "_hi"))]
        out = out.merge(last[["province_code", *keep]].rename(columns={"year": "D_year"}), on="province_code", how="left")
    return out


#: The sections of a report, in order: (key, context function).
SECTIONS: tuple[tuple[str, Any], ...] = (
    ("glance", glance_context),
    ("indices", indices_context),
    ("coupling", coupling_context),
    ("models", models_context),
    ("pathways", pathways_context),
    ("chain", chain_context),
    ("threshold", threshold_context),
    ("spatial", spatial_context),
    ("map", map_context),
)
