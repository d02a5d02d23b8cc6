"""The numbers, tables and figures of one province's report.

Each ``section_*`` function takes the loaded inputs (:class:`ReportInputs`), a province code, a
language and a year range, and returns a :class:`Section`: a title, Markdown paragraphs, an
optional table and figure, and ``numbers`` — a flat ``{name: value}`` dictionary of every number
the text or table quotes. The notebook ``notebooks/province_report.py`` only calls these
functions and :func:`show`, which displays a section and records each number with scrapbook
(``sb.glue``), so a test can compare the report with the processed tables.

A section whose inputs are missing (a table not yet built, a column not present) returns a
one-sentence notice instead of failing.

Inputs are read once per kernel and cached (:func:`load_inputs`), so a kernel that renders
several provinces in sequence reads the processed tables once.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths
from analysis.reporting import i18n
from analysis.reporting.i18n import t

# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


class UnknownProvinceCodeError(ValueError):
    """A province code that is not one of the 31 GB/T 2260 provincial codes."""


@dataclass
class ReportInputs:
    """Processed tables a report reads (``None`` where a table is not built yet).

    Attributes
    ----------
    data_dir : pathlib.Path
        ``data/processed`` (or a test folder with the same layout).
    provinces : pandas.DataFrame
        ``analysis.data.provinces.PROVINCES`` (31 rows).
    panel, codebook, integration, chain_linkage : pandas.DataFrame or None
        ``panel.parquet``, ``codebook.csv``, ``integration.parquet``, ``chain_linkage.parquet``.
    results : dict
        Every table in ``results/`` (``.parquet``, ``.csv``; ``.json`` as parsed objects), keyed by
        file stem.
    """

    data_dir: Path
    provinces: pd.DataFrame
    panel: pd.DataFrame | None = None
    codebook: pd.DataFrame | None = None
    integration: pd.DataFrame | None = None
    chain_linkage: pd.DataFrame | None = None
    diagnostics: pd.DataFrame | None = None
    int_codebook: pd.DataFrame | None = None
    spec_labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    chain_panel: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    _io: dict[Any, Any] = field(default_factory=dict, repr=False)
    _shapes: Any = field(default=None, repr=False)
    _neighbours: dict[int, list[int]] | None = field(default=None, repr=False)

    def io_table(self, name: str, code: int) -> pd.DataFrame | None:
        """Rows of ``io_<name>.parquet`` for one province (read on demand, cached)."""
        key = (name, code)
        if key not in self._io:
            f = self.data_dir / f"io_{name}.parquet"
            self._io[key] = (
                pd.read_parquet(f, filters=[("province_code", "==", code)]) if f.exists() else None
            )
        return self._io[key]

    @property
    def codes(self) -> list[int]:
        return [int(c) for c in self.provinces["province_code"]]

    def shapes(self):
        """Simplified projected province shapes (:func:`analysis.reporting.maps.province_shapes`)."""
        if self._shapes is None:
            from analysis.reporting import maps

            self._shapes = maps.province_shapes(self.codes, data_dir=self.data_dir)
            if self._shapes is None:
                self._shapes = False
        return self._shapes if self._shapes is not False else None

    def neighbours(self) -> dict[int, list[int]]:
        """Queen-contiguity neighbours (measures layer; Hainan linked to Guangdong)."""
        if self._neighbours is None:
            from analysis.reporting import maps

            self._neighbours = maps.queen_neighbours(self.codes, data_dir=self.data_dir)
        return self._neighbours

    def chain(self) -> pd.DataFrame | None:
        """Chain-linkage indicators of every provincial IO table (one row per province × IO year).

        ``chain_linkage.parquet`` when the measures layer wrote it; otherwise computed here from
        ``io_*.parquet`` with :func:`analysis.measures.io.chain_linkage` (once per kernel).
        """
        if self.chain_linkage is not None:
            return self.chain_linkage
        if "chain" not in self._io:
            self._io["chain"] = None
            try:
                tables = self.io_tables()
                if tables:
                    from analysis.measures.io import chain_linkage

                    self._io["chain"] = chain_linkage(tables)
            except Exception:  # noqa: BLE001 - the section then says the input is missing
                self._io["chain"] = None
        return self._io["chain"]

    def io_tables(self) -> dict:
        """``{(province_code, io_year): IOTable}`` of the provincial tables (cached)."""
        if "tables" not in self._io:
            self._io["tables"] = {}
            if all((self.data_dir / f"io_{k}.parquet").exists() for k in ("flows", "final", "va")):
                from analysis.data.io_tables import io_tables_from_frames

                frames = {k: pd.read_parquet(self.data_dir / f"io_{k}.parquet") for k in ("flows", "final", "va")}
                self._io["tables"] = {k: v for k, v in io_tables_from_frames(frames).items() if k[0] != 0}
        return self._io["tables"]

    def fmt_value(self, var: str, value: float) -> str:
        """A value formatted by its codebook unit: shares and ratios as percent."""
        unit = ""
        for cb, key in ((self.int_codebook, "name"), (self.codebook, "variable")):
            if cb is not None and key in cb.columns and "unit" in cb.columns:
                hit = cb.loc[cb[key] == var, "unit"]
                if len(hit) and isinstance(hit.iloc[0], str):
                    unit = hit.iloc[0]
                    break
        if unit in ("share", "ratio") and pd.notna(value):
            return f"{float(value) * 100:.3g}%"
        return fmt(value)

    def label(self, var: str, lang: str) -> str:
        """Label of a panel column or framework indicator (codebooks), else the name."""
        return i18n.var_label(var, lang, self.codebook, self.int_codebook)


_CACHE: dict[tuple, ReportInputs] = {}

INPUT_FILES = (
    "panel.parquet",
    "codebook.csv",
    "integration.parquet",
    "integration_diagnostics.parquet",
    "integration_codebook.csv",
    "boundaries.parquet",
    "chain_linkage.parquet",
    "chain_linkage_panel.parquet",
    "io_flows.parquet",
    "io_final.parquet",
    "io_va.parquet",
)


def input_files(data_dir: Path) -> list[Path]:
    """Processed files a report depends on (those that exist), including ``results/*``."""
    data_dir = Path(data_dir)
    out = [data_dir / f for f in INPUT_FILES if (data_dir / f).exists()]
    rdir = data_dir / "results"
    if rdir.is_dir():
        out += sorted(p for p in rdir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return out


def provinces_table() -> pd.DataFrame:
    """The province table of the data layer (31 rows, GB/T 2260 codes, names, NBS regions)."""
    from analysis.data.provinces import PROVINCES

    return PROVINCES.copy()


def load_inputs(data_dir: str | Path | None = None) -> ReportInputs:
    """Read the processed tables once (cached on the files' sizes and modification times).

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        Folder with the processed tables (default ``data/processed``).
    """
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    files = input_files(data_dir)
    key = (str(data_dir), tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    if key in _CACHE:
        return _CACHE[key]

    def opt(name: str, reader):
        f = data_dir / name
        return reader(f) if f.exists() else None

    inp = ReportInputs(
        data_dir=data_dir,
        provinces=provinces_table(),
        panel=opt("panel.parquet", pd.read_parquet),
        codebook=opt("codebook.csv", pd.read_csv),
        integration=opt("integration.parquet", pd.read_parquet),
        chain_linkage=opt("chain_linkage.parquet", pd.read_parquet),
        chain_panel=opt("chain_linkage_panel.parquet", pd.read_parquet),
        diagnostics=opt("integration_diagnostics.parquet", pd.read_parquet),
        int_codebook=opt("integration_codebook.csv", pd.read_csv),
        spec_labels=_spec_labels(),
        results=_load_results(data_dir / "results"),
    )
    _CACHE.clear()
    _CACHE[key] = inp
    return inp


def _spec_labels() -> dict[str, dict[str, dict[str, str]]]:
    """Pillar and pathway labels, indicator formulas and version from the validated framework
    specification (:func:`analysis.framework.spec.load_spec`, the same file the scores came from).
    """
    from analysis.framework.spec import load_spec

    try:
        spec = load_spec()
    except Exception:  # noqa: BLE001 - labels then come from analysis.reporting.i18n
        return {}
    out: dict[str, dict[str, dict[str, str]]] = {
        part: {str(k): {"zh": v.get("label_zh", k), "en": v.get("label_en", k)}
               for k, v in getattr(spec, part).items()}
        for part in ("pillars", "pathways")
    }
    # indicator -> the panel column it is computed from (to tell IO-table indicators apart)
    out["formulas"] = {i.name: {"formula": i.formula} for i in spec.indicators}
    out["version"] = {"framework": {"version": spec.version}}
    return out


def framework_version() -> str:
    """Version of the integration framework's specification (``spec.yaml`` ``version``), or ``"?"``."""
    return _spec_labels().get("version", {}).get("framework", {}).get("version") or "?"


def io_table_year(inp: ReportInputs, indicator: str, code: int, year: int) -> int | None:
    """Year of the input-output table behind an indicator's value in ``year``, else ``None``.

    An indicator whose formula is a chain-linkage column (:data:`analysis.measures.io.CHAIN_COLUMNS`)
    comes from the chain-linkage panel, where each panel year carries the latest provincial IO
    table ≤ that year forward (``io_year``, ``chain_linkage_flag``); its value in 2023 is the
    2017 table's. Returns that table's year (``chain_linkage_panel.parquet``), or ``None`` for
    an indicator not from the IO tables (or when the panel is not built).
    """
    from analysis.measures.io import CHAIN_COLUMNS

    formula = inp.spec_labels.get("formulas", {}).get(str(indicator), {}).get("formula", str(indicator))
    if formula not in CHAIN_COLUMNS and str(indicator) not in CHAIN_COLUMNS:
        return None
    cp = inp.chain_panel
    if cp is None or not {"province_code", "year", "io_year"} <= set(cp.columns):
        return None
    hit = cp.loc[(cp["province_code"] == int(code)) & (cp["year"] == int(year)), "io_year"].dropna()
    return int(hit.iloc[0]) if len(hit) else None


def _load_results(rdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not rdir.is_dir():
        return out
    for p in sorted(rdir.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        stem = str(p.relative_to(rdir).with_suffix("")).replace("/", ".")
        try:
            if p.suffix == ".parquet":
                out[stem] = pd.read_parquet(p)
            elif p.suffix == ".csv":
                out.setdefault(stem, pd.read_csv(p))
            elif p.suffix == ".json":
                out.setdefault(stem, json.loads(p.read_text(encoding="utf-8")))
        except Exception:  # noqa: BLE001 - an unreadable result only blanks its section
            continue
    return out


def province_info(inp: ReportInputs, code: int) -> pd.Series:
    """Row of the province table for ``code``.

    Raises
    ------
    UnknownProvinceCodeError
        If ``code`` is not one of the 31 provincial codes (the message lists the valid range).
    """
    try:
        code = int(code)
    except (TypeError, ValueError) as exc:
        raise UnknownProvinceCodeError(f"province_code must be an integer GB/T 2260 code, got {code!r}") from exc
    hit = inp.provinces.loc[inp.provinces["province_code"] == code]
    if hit.empty:
        known = ", ".join(f"{c} {n}" for c, n in zip(inp.provinces["province_code"], inp.provinces["name_en"], strict=False))
        raise UnknownProvinceCodeError(f"unknown province code {code}; known codes: {known}")
    return hit.iloc[0]


def province_name(row: pd.Series, lang: str) -> str:
    """Short name in ``lang`` (北京 / Beijing)."""
    return str(row["name_zh"] if lang == "zh" else row["name_en"])


# --------------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------------


@dataclass
class Section:
    """One report section.

    Attributes
    ----------
    key : str
        Short name; prefixes the glued numbers (``"glance"`` → ``glance.gdp.value``).
    title : str
        Heading in the report's language.
    paragraphs : list of str
        Markdown text.
    table : pandas.DataFrame or None
        Shown after the text (already labelled and formatted for reading).
    extra_tables : list
        Further tables, shown after ``table``: DataFrames or ``(caption, DataFrame)`` pairs.
    figure : matplotlib.figure.Figure or None
    numbers : dict
        Every number quoted, JSON-serialisable (floats, ints, str, lists, dicts).
    available : bool
        False when the section's inputs are missing (it then says so in one sentence).
    """

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    figure: Any = None
    extra_tables: list[Any] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    available: bool = True


def _missing(key: str, title: str, lang: str, what: str) -> Section:
    return Section(key, title, [t("missing", lang, what=what)], available=False)


def _num(x: Any) -> Any:
    """JSON-friendly scalar (NaN → None, numpy → Python)."""
    if x is None:
        return None
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def fmt(x: Any, digits: int = 3) -> str:
    """Number for text: thousands separators for large values, ``digits`` significant otherwise."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    x = float(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.1f}"
    if abs(x) < 1:
        return f"{x:.{digits}f}" if abs(x) >= 0.01 or x == 0 else f"{x:.{digits}g}"
    return f"{x:.2f}"


def _years(df: pd.DataFrame, year_start: int, year_end: int, col: str = "year") -> pd.DataFrame:
    return df[(df[col] >= year_start) & (df[col] <= year_end)]


def _with_region(inp: ReportInputs, df: pd.DataFrame) -> pd.DataFrame:
    reg = inp.provinces[["province_code", "region"]]
    return df.merge(reg, on="province_code", how="left") if "region" not in df.columns else df


def rank_desc(values: pd.Series) -> pd.Series:
    """Rank, 1 = highest; ties share the best rank (``method="min"``); NaN not ranked."""
    return values.rank(ascending=False, method="min")


# key indicators: (key, unit, how computed from the panel, percent display?)
GLANCE = [
    ("gdp", "亿元", lambda p: p["gdp"], False),
    ("gdp_per_capita", "元", lambda p: p["gdp"] / p["population"] * 1e4, False),
    ("rd_exp", "亿元", lambda p: p["rd_exp"], False),
    ("rd_intensity", "%", lambda p: p["rd_intensity"], True),
    ("patent_grant_invention_pc", "件/万人", lambda p: p["patent_grant_invention"] / p["population"], False),
    ("hightech_revenue_share", "%", lambda p: p["hightech_revenue"] / p["gdp"], True),
    ("tech_market_seller_share", "%", lambda p: p["tech_market_seller"] / p["gdp"], True),
    ("tertiary_share", "%", lambda p: p["tertiary_share"] if "tertiary_share" in p else p["va_tertiary"] / p["gdp"], True),
]


def glance_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Key indicators per province-year (columns named as in :data:`GLANCE`).

    Ratios are formed from the panel's own columns: GDP per capita = ``gdp`` (亿元) /
    ``population`` (万人) × 10⁴ (元); invention patents per 万人 = ``patent_grant_invention`` /
    ``population``; shares of GDP are ratios of 亿元 to 亿元. Missing inputs give NaN.
    """
    out = panel[["province_code", "year"]].copy()
    for key, _unit, f, _pct in GLANCE:
        try:
            out[key] = pd.to_numeric(f(panel), errors="coerce").astype(float)
        except KeyError:
            out[key] = np.nan
    return out


def is_tied(values: pd.Series, mask: pd.Series) -> bool:
    """True when the value selected by ``mask`` is shared by another non-missing value."""
    own = values[mask]
    if own.empty or pd.isna(own.iloc[0]):
        return False
    return int((values.dropna() == own.iloc[0]).sum()) > 1


def rank_text(rank: int, n: int, tied: bool, lang: str) -> str:
    """Rank for a table: ``15/31``, or ``15/31 (tied)`` / ``并列第 15/31`` when shared.

    Ranks follow :func:`rank_desc` (ties take the best rank), so a tie must be said: 17
    provinces with 0 R&D-intensive key sectors all rank 15.
    """
    if not tied:
        return f"{rank}/{n}"
    return f"并列第 {rank}/{n}" if lang == "zh" else f"{rank}/{n} (tied)"


def _ties_in(frame: pd.DataFrame, year: int, col: str, code: int, region: str) -> tuple[bool, bool]:
    """Whether the province's value of ``col`` in ``year`` is tied nationally / in its region."""
    y = frame[(frame["year"] == year) & frame[col].notna()]
    yr = y[y["region"] == region]
    return is_tied(y[col], y["province_code"] == code), is_tied(yr[col], yr["province_code"] == code)


def _rank_in(frame: pd.DataFrame, year: int, col: str, code: int, region: str) -> tuple[int, int, int, int]:
    y = frame[(frame["year"] == year) & frame[col].notna()]
    r = rank_desc(y[col])
    rank = int(r[y["province_code"] == code].iloc[0])
    yr = y[y["region"] == region]
    rr = rank_desc(yr[col])
    rank_r = int(rr[yr["province_code"] == code].iloc[0])
    return rank, len(y), rank_r, len(yr)


def section_glance(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Key indicators in the latest year with data, rank among provinces and within the region.

    Each indicator uses its own latest year in ``[year_start, year_end]`` with a value for the
    province; ranks (1 = highest, ties share the best rank) are among the provinces with a value
    in that year, and within the province's NBS region.
    """
    title = t("sec_glance", lang)
    if inp.panel is None:
        return _missing("glance", title, lang, "panel.parquet")
    info = province_info(inp, code)
    region = info["region"]
    g = _with_region(inp, _years(glance_frame(inp.panel), year_start, year_end))
    rows, nums = [], {}
    integ = None
    if inp.integration is not None and "D" in inp.integration.columns:
        integ = _with_region(inp, _years(inp.integration[["province_code", "year", "D"]], year_start, year_end))
    items = [(k, u, pct, g) for k, u, _f, pct in GLANCE] + ([("D", "index", False, integ)] if integ is not None else [])
    for key, unit, pct, frame in items:
        own = frame[(frame["province_code"] == code) & frame[key].notna()]
        if own.empty:
            continue
        year = int(own["year"].max())
        value = float(own.loc[own["year"] == year, key].iloc[0])
        rank, n, rank_r, n_r = _rank_in(frame, year, key, code, region)
        tied, tied_r = _ties_in(frame, year, key, code, region)
        shown = value * 100 if pct else value
        rows.append(
            {
                t("indicator", lang): inp.label(key, lang),
                t("year", lang): year,
                t("value", lang): fmt(shown),
                t("unit", lang): i18n.unit_label(unit, lang),
                t("rank31", lang): rank_text(rank, n, tied, lang),
                t("rank_region", lang): rank_text(rank_r, n_r, tied_r, lang),
            }
        )
        nums.update(
            {
                f"glance.{key}.value": value,
                f"glance.{key}.year": year,
                f"glance.{key}.rank": rank,
                f"glance.{key}.n": n,
                f"glance.{key}.rank_region": rank_r,
                f"glance.{key}.rank_tied": tied,
                f"glance.{key}.rank_region_tied": tied_r,
                f"glance.{key}.n_region": n_r,
            }
        )
    if not rows:
        return _missing("glance", title, lang, "panel.parquet")
    name = province_name(info, lang)
    reg = i18n.region_label(region, lang)
    n_region = int((inp.provinces["region"] == region).sum())
    if lang == "zh":
        p = f"{name}属于{reg}地区（共 {n_region} 个省份）。下表列出主要指标的最新值及其在全国 31 个省份和{reg}地区内的排名（1 表示最高；并列者取最高位次）。"
    else:
        p = (
            f"{name} belongs to the {reg} region ({n_region} provinces). The table gives the latest value "
            f"of each key indicator and its rank among the 31 provinces and within the region (1 = highest; tied values share the best rank)."
        )
    nums["glance.region"] = str(region)
    return Section("glance", title, [p], table=pd.DataFrame(rows), numbers=nums)


def _series_stats(df: pd.DataFrame, col: str, code: int, region: str) -> pd.DataFrame:
    """Per year: the province's value, the national median and the mean of regional peers."""
    own = df[df["province_code"] == code].set_index("year")[col].rename("own")
    med = df.groupby("year")[col].median().rename("national_median")
    peers = df[(df["region"] == region) & (df["province_code"] != code)].groupby("year")[col].mean().rename("peers")
    return pd.concat([own, med, peers], axis=1).sort_index()


def _line_panel(ax, s: pd.DataFrame, label_own: str, lang: str, ylabel: str):
    ax.plot(s.index, s["own"], marker="o", ms=3.5, lw=2.2, color="#c0392b", label=label_own)
    ax.plot(s.index, s["national_median"], lw=1.5, ls="--", color="#34495e", label=t("national_median", lang))
    if s["peers"].notna().any():
        ax.plot(s.index, s["peers"], lw=1.5, ls=":", color="#2980b9", label=t("regional_peers", lang))
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)


def section_indices(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """S&T (``U_st``) and industrial (``U_ind``) innovation indices over time.

    Compared with the national median and the mean of the other provinces of the region, by
    year (from ``integration.parquet``).
    """
    import matplotlib.pyplot as plt

    title = t("sec_indices", lang)
    need = {"U_st", "U_ind"}
    if inp.integration is None or not need <= set(inp.integration.columns):
        return _missing("indices", title, lang, "integration.parquet (U_st, U_ind)")
    info = province_info(inp, code)
    df = _with_region(inp, _years(inp.integration, year_start, year_end))
    if df[df["province_code"] == code][["U_st", "U_ind"]].dropna(how="all").empty:
        return _missing("indices", title, lang, "integration.parquet (U_st, U_ind)")
    name = province_name(info, lang)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4), sharey=True)
    nums: dict[str, Any] = {}
    texts = []
    for ax, col in zip(axes, ["U_st", "U_ind"], strict=True):
        s = _series_stats(df, col, code, info["region"])
        _line_panel(ax, s, name, lang, "")
        ax.set_title(t("u_st" if col == "U_st" else "u_ind", lang), fontsize=11)
        own = s["own"].dropna()
        if own.empty:
            continue
        y1, y0 = int(own.index.max()), int(own.index.min())
        latest, first = float(own.loc[y1]), float(own.loc[y0])
        rank, n, rank_r, n_r = _rank_in(df, y1, col, code, info["region"])
        tied, _ = _ties_in(df, y1, col, code, info["region"])
        nums.update(
            {
                f"indices.{col}.year": y1,
                f"indices.{col}.latest": latest,
                f"indices.{col}.first_year": y0,
                f"indices.{col}.first": first,
                f"indices.{col}.national_median": float(s.loc[y1, "national_median"]),
                f"indices.{col}.peers_mean": _num(float(s.loc[y1, "peers"])),
                f"indices.{col}.rank": rank,
                f"indices.{col}.rank_tied": tied,
                f"indices.{col}.series": {str(int(k)): float(v) for k, v in own.items()},
            }
        )
        label = t("u_st" if col == "U_st" else "u_ind", lang)
        med = float(s.loc[y1, "national_median"])
        if lang == "zh":
            rel = "高于" if latest > med else "低于"
            texts.append(f"{label}：{y0} 年 {fmt(first)}，{y1} 年 {fmt(latest)}，{rel}全国中位数（{fmt(med)}），全国{'并列' if tied else ''}第 {rank} 位。")
        else:
            rel = "above" if latest > med else "below"
            texts.append(
                f"{label}: {fmt(first)} in {y0}, {fmt(latest)} in {y1}, {rel} the national median "
                f"({fmt(med)}); rank {rank}{' (tied)' if tied else ''} of {n}."
            )
    axes[0].legend(fontsize=8, loc="upper left", frameon=False)
    fig.tight_layout()
    intro = (
        "两个子系统指数由面板熵值法计算（0–1，越高越好）。"
        if lang == "zh"
        else "Both subsystem indices come from the panel entropy-weight method (0–1, higher is better)."
    )
    return Section("indices", title, [intro, *("- " + x for x in texts)], figure=fig, numbers=nums)


def section_coupling(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Coupling coordination degree D over time, its class and the lagging subsystem.

    D = √(C·T), C = 2√(U₁U₂)/(U₁+U₂), T = αU₁ + βU₂ (computed by the framework layer); the
    class is the standard ten-level classification of D.
    """
    import matplotlib.pyplot as plt

    title = t("sec_coupling", lang)
    if inp.integration is None or "D" not in inp.integration.columns:
        return _missing("coupling", title, lang, "integration.parquet (D)")
    info = province_info(inp, code)
    df = _with_region(inp, _years(inp.integration, year_start, year_end))
    s = _series_stats(df, "D", code, info["region"])
    own = s["own"].dropna()
    if own.empty:
        return _missing("coupling", title, lang, "integration.parquet (D)")
    row = df[(df["province_code"] == code)].set_index("year").sort_index()
    y0, y1 = int(own.index.min()), int(own.index.max())
    d0, d1 = float(own.loc[y0]), float(own.loc[y1])
    ccol = "D_level" if "D_level" in row.columns else "D_class"
    cls1 = i18n.d_class_label(row.loc[y1].get(ccol), lang, d1)
    cls0 = i18n.d_class_label(row.loc[y0].get(ccol), lang, d0)
    lag = i18n.lagging_label(row.loc[y1].get("lagging"), lang)
    rank, n, rank_r, n_r = _rank_in(df, y1, "D", code, info["region"])
    tied, tied_r = _ties_in(df, y1, "D", code, info["region"])
    nums = {
        "coupling.D.year": y1,
        "coupling.D.latest": d1,
        "coupling.D.first_year": y0,
        "coupling.D.first": d0,
        "coupling.D.rank": rank,
        "coupling.D.rank_region": rank_r,
        "coupling.D.rank_tied": tied,
        "coupling.D.rank_region_tied": tied_r,
        "coupling.D.national_median": float(s.loc[y1, "national_median"]),
        "coupling.class": cls1,
        "coupling.lagging": lag,
    }
    for c in ("C", "T"):
        if c in row.columns:
            nums[f"coupling.{c}.latest"] = _num(float(row.loc[y1, c]))
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    lo = max(0.0, math.floor(min(own.min(), s["national_median"].min()) * 10) / 10 - 0.05)
    hi = min(1.0, math.ceil(max(own.max(), s["national_median"].max()) * 10) / 10 + 0.05)
    for k in range(10):
        a, b = k / 10, (k + 1) / 10
        if b > lo and a < hi:
            ax.axhspan(a, b, color=plt.cm.RdYlGn(0.15 + 0.07 * k), alpha=0.12, lw=0)
            mid = (max(a, lo) + min(b, hi)) / 2
            ax.text(1.01, mid, i18n.D_CLASSES[k][lang], transform=ax.get_yaxis_transform(), fontsize=7.5,
                    va="center", ha="left", color="#555555", clip_on=False)
    _line_panel(ax, s, province_name(info, lang), lang, "D")
    ax.set_ylim(lo, hi)
    ax.set_xlim(s.index.min() - 0.3, s.index.max() + 0.3)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    fig.tight_layout()
    fig.subplots_adjust(right=0.80 if lang == "en" else 0.86)
    name = province_name(info, lang)
    if lang == "zh":
        p = (
            f"{name}科技创新与产业创新的耦合协调度 D 从 {y0} 年的 {fmt(d0)}（{cls0}）变为 {y1} 年的 {fmt(d1)}"
            f"（{cls1}），全国{'并列' if tied else ''}第 {rank}/{n} 位、区域内{'并列' if tied_r else ''}第 {rank_r}/{n_r} 位；{y1} 年的相对发展类型：{lag}。"
        )
    else:
        p = (
            f"The coupling coordination degree D of {name}'s S&T and industrial innovation moved from "
            f"{fmt(d0)} ({cls0}) in {y0} to {fmt(d1)} ({cls1}) in {y1}: rank {rank}{' (tied)' if tied else ''} of {n} nationally and "
            f"{rank_r}{' (tied)' if tied_r else ''} of {n_r} in the region. Relative development in {y1}: {lag}."
        )
    return Section("coupling", title, [p], figure=fig, numbers=nums)


PILLAR_COLS = list(i18n.PILLARS)
#: Below this ``model_stability`` (share of weight perturbations keeping the model) a model is
#: read as a tendency, not a type.
STABILITY_MIN = 0.8


def section_models(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Pillar scores of the four integration models, the dominant model and its changes."""
    import matplotlib.pyplot as plt

    title = t("sec_models", lang)
    if inp.integration is None or "model" not in inp.integration.columns:
        return _missing("models", title, lang, "integration.parquet (model)")
    df = _years(inp.integration, year_start, year_end)
    own = df[df["province_code"] == code].sort_values("year")
    own = own[own["model"].notna()]
    if own.empty:
        return _missing("models", title, lang, "integration.parquet (model)")
    y1 = int(own["year"].max())
    last = own[own["year"] == y1].iloc[0]
    changes = []
    prev = None
    for _, r in own.iterrows():
        # the reading key: "multi" with every pillar z < 0 reads "no dominant model yet"
        m = str(i18n.model_key(str(r["model"]), i18n.z_scores(r)))
        if prev is not None and m != prev:
            changes.append([int(r["year"]), prev, m])
        prev = m
    zl = i18n.z_scores(last)
    stab = {int(r["year"]): float(r["model_stability"]) for _, r in own.iterrows()
            if "model_stability" in own.columns and pd.notna(r["model_stability"])}
    nums: dict[str, Any] = {"models.year": y1, "models.model": str(last["model"]),
                            "models.reading": str(i18n.model_key(str(last["model"]), zl)),
                            "models.changes": changes}
    if y1 in stab:
        nums["models.stability"] = stab[y1]
    for ch in changes:
        if ch[0] in stab:
            nums[f"models.change.{ch[0]}.stability"] = stab[ch[0]]
    if "model_cluster" in own.columns:
        nums["models.cluster"] = _num(last["model_cluster"]) if not isinstance(last["model_cluster"], str) else last["model_cluster"]
    for c in [c for c in own.columns if str(c).startswith("z_")]:
        nums[f"models.{c}"] = _num(float(last[c]))
    pcols = [c for c in PILLAR_COLS if c in df.columns]
    fig = None
    table = None
    if pcols:
        nat = df[df["year"] == y1][pcols].median()
        vals = last[pcols].astype(float)
        for c in pcols:
            nums[f"models.{c}"] = _num(float(vals[c]))
            nums[f"models.{c}.national_median"] = _num(float(nat[c]))
        spec_p = inp.spec_labels.get("pillars", {})
        labels = [spec_p.get(c.removeprefix("pillar_"), i18n.PILLARS[c])[lang] for c in pcols]
        fig, ax = plt.subplots(figsize=(7.5, 2.9))
        ypos = np.arange(len(pcols))
        ax.barh(ypos + 0.18, vals.to_numpy(), height=0.36, color="#c0392b", label=province_name(province_info(inp, code), lang))
        ax.barh(ypos - 0.18, nat.to_numpy(), height=0.36, color="#95a5a6", label=t("national_median", lang))
        ax.set_yticks(ypos, labels)
        ax.invert_yaxis()
        ax.set_xlabel(t("score", lang) + f" ({y1})")
        legend_outside(ax)
        fig.tight_layout()
    seq = own[["year", "model"]].copy()
    seq["model"] = seq["model"].map(lambda m: i18n.model_label(m, lang, short=True))
    name = province_name(province_info(inp, code), lang)
    cur = i18n.model_label(last["model"], lang, zl)
    def weak(y: int) -> str:
        """Qualifier of a year's model whose stability is below the rule's bound."""
        if y not in stab or stab[y] >= STABILITY_MIN:
            return ""
        return (f"（稳定性 {stab[y]:.2f}，仅为倾向）" if lang == "zh"
                else f" (stability {stab[y]:.2f}: a tendency)")

    if lang == "zh":
        p = f"{y1} 年{name}的融合模式：**{cur}**"
        p += (f"（稳定性 {stab[y1]:.2f}）。" if y1 in stab else "。")
        if changes:
            p += "期间的变化：" + "；".join(f"{y} 年由{i18n.model_label(a, lang, short=True)}转为{i18n.model_label(b, lang, short=True)}{weak(y)}"
                                        for y, a, b in changes) + "。"
        else:
            p += f"{int(own['year'].min())}–{y1} 年主导模式没有变化。"
        if "model_cluster" in own.columns:
            p += f" 聚类方法的归类：{i18n.model_label(last['model_cluster'], lang, zl, short=True)}。"
    else:
        p = f"{name}'s integration model in {y1}: **{cur}**"
        p += (f" (stability {stab[y1]:.2f})." if y1 in stab else ".")
        if changes:
            p += " Changes: " + "; ".join(f"{i18n.model_label(a, lang, short=True)} → {i18n.model_label(b, lang, short=True)} in {y}{weak(y)}"
                                          for y, a, b in changes) + "."
        else:
            p += f" It did not change over {int(own['year'].min())}–{y1}."
        if "model_cluster" in own.columns:
            p += f" The clustering alternative assigns: {i18n.model_label(last['model_cluster'], lang, zl, short=True)}."
    paras = [p]
    if stab:
        low = y1 in stab and stab[y1] < STABILITY_MIN
        if lang == "zh":
            paras.append(
                "稳定性为在权重扰动（等权重、逐一剔除各支柱指标）下该省仍归入同一模式的比例（0–1）。规则：低于 0.8 时，应把模式理解为一种倾向，而非确定的类型。"
                + (f"{y1} 年的稳定性为 {stab[y1]:.2f}，低于 0.8：上述模式只是一种倾向。" if low else ""))
        else:
            paras.append(
                "Stability is the share of weight perturbations (equal weights; each pillar indicator left out in turn) "
                "under which the province keeps its model (0–1). Rule: below 0.8, read the model as a tendency, not a type."
                + (f" In {y1} it is {stab[y1]:.2f}, below 0.8: the model above is a tendency." if low else ""))
    return Section("models", title, paras, table=table, figure=fig, numbers=nums)


def legend_outside(ax, markerscale: float = 1.0) -> Any:
    """Legend above the plot area, right-aligned, outside the bars (so it cannot read as data).

    Anchored at the axes' upper-right corner from outside (``loc="lower right"`` at
    ``(1, 1)``), in one row; ``tight_layout`` then leaves room for it.
    """
    handles, labels = ax.get_legend_handles_labels()
    return ax.legend(handles, labels, fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0),
                     ncol=max(len(labels), 1), borderaxespad=0.2, handletextpad=0.4, columnspacing=1.2,
                     markerscale=markerscale)


def _pw(inp: ReportInputs, name: str, lang: str) -> str:
    return i18n.pathway_label(name, lang, inp.spec_labels.get("pathways"))


def weakest_indicators(diagnostics: pd.DataFrame, code: int, pathway: str, year: int, n: int = 2) -> pd.DataFrame:
    """The province's ``n`` lowest-percentile indicators of one pathway (framework diagnostics).

    Uses each indicator's latest year ≤ ``year`` with a value. Columns as in
    ``integration_diagnostics.parquet`` (``pct_national`` 1 = best).
    """
    d = diagnostics[(diagnostics["province_code"] == code) & (diagnostics["pathway"] == pathway)
                    & (diagnostics["year"] <= year) & diagnostics["value"].notna()]
    d = d.sort_values("year").groupby("indicator").tail(1)
    return d.sort_values("pct_national").head(n)


def pathway_columns(df: pd.DataFrame) -> list[str]:
    """Pathway score columns ``pathway_<name>`` (numeric ones only)."""
    return [c for c in df.columns if c.startswith("pathway_") and pd.api.types.is_numeric_dtype(df[c])]


def pathway_diagnostics(integration: pd.DataFrame, provinces: pd.DataFrame, code: int, year: int) -> pd.DataFrame:
    """Percentiles and gaps of the province's pathway scores in ``year``.

    Percentile = share of provinces with a score ≤ the province's (``rank(pct=True)``, ×100),
    among all provinces and within the NBS region; gap to frontier = max − own; gap to the
    regional leader = regional max − own.

    Returns
    -------
    pandas.DataFrame
        Index pathway column; columns ``score``, ``percentile``, ``percentile_region``,
        ``gap_frontier``, ``gap_leader``.
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
        pct = y[c].rank(pct=True, method="max")
        pct_r = yr[c].rank(pct=True, method="max")
        rows[c] = {
            "score": float(own[c]),
            "percentile": float(pct[y["province_code"] == code].iloc[0]) * 100,
            "percentile_region": float(pct_r[yr["province_code"] == code].iloc[0]) * 100,
            "gap_frontier": float(y[c].max() - own[c]),
            "gap_leader": float(yr[c].max() - own[c]),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def section_pathways(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Pathway diagnostics with the two weakest pathways spelled out."""
    import matplotlib.pyplot as plt

    title = t("sec_pathways", lang)
    if inp.integration is None or not pathway_columns(inp.integration):
        return _missing("pathways", title, lang, "integration.parquet (pathway_*)")
    df = _years(inp.integration, year_start, year_end)
    cols = pathway_columns(df)
    own = df[(df["province_code"] == code)].dropna(subset=cols, how="all")
    if own.empty:
        return _missing("pathways", title, lang, "integration.parquet (pathway_*)")
    y1 = int(own["year"].max())
    diag = pathway_diagnostics(df, inp.provinces, code, y1)
    row = own[own["year"] == y1].iloc[0]
    if "weakest_pathways" in df.columns and isinstance(row["weakest_pathways"], str) and row["weakest_pathways"]:
        weakest = [w.strip().removeprefix("pathway_") for w in row["weakest_pathways"].split(";") if w.strip()]
        source = "framework"
    else:
        weakest = [c.removeprefix("pathway_") for c in diag.sort_values("percentile").index[:2]]
        source = "lowest percentile"
    nums: dict[str, Any] = {"pathways.year": y1, "pathways.weakest": weakest, "pathways.weakest_source": source}
    for c, r in diag.iterrows():
        k = c.removeprefix("pathway_")
        for m in ("score", "percentile", "percentile_region", "gap_frontier", "gap_leader"):
            nums[f"pathways.{k}.{m}"] = _num(float(r[m]))
    table = pd.DataFrame(
        {
            t("pathway", lang): [_pw(inp, c, lang) for c in diag.index],
            t("score", lang): [fmt(v) for v in diag["score"]],
            t("percentile", lang): [f"{v:.0f}" for v in diag["percentile"]],
            t("percentile_region", lang): [f"{v:.0f}" for v in diag["percentile_region"]],
            t("gap_frontier", lang): [fmt(v) for v in diag["gap_frontier"]],
            t("gap_leader", lang): [fmt(v) for v in diag["gap_leader"]],
        }
    )
    fig, ax = plt.subplots(figsize=(7.5, 2.9))
    labels = [_pw(inp, c, lang) for c in diag.index]
    colors = ["#c0392b" if c.removeprefix("pathway_") in weakest else "#7f8c8d" for c in diag.index]
    ypos = np.arange(len(diag))
    ax.barh(ypos, diag["score"], color=colors, height=0.6)
    med = df[df["year"] == y1][list(diag.index)].median()
    ax.scatter(med.to_numpy(), ypos, marker="|", s=260, color="#1f2d3d", zorder=3, label=t("national_median", lang))
    ax.set_yticks(ypos, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("score", lang) + f" ({y1})")
    legend_outside(ax, markerscale=0.6)
    fig.tight_layout()
    for c in diag.index:
        nums[f"pathways.{c.removeprefix('pathway_')}.national_median"] = _num(float(med[c]))
    name = province_name(province_info(inp, code), lang)
    parts = []
    for w in weakest:
        c = f"pathway_{w}"
        if c in diag.index:
            r = diag.loc[c]
            parts.append((_pw(inp, w, lang), r["score"], r["percentile"], r["gap_frontier"], r["gap_leader"]))
        else:
            parts.append((_pw(inp, w, lang), float("nan"), float("nan"), float("nan"), float("nan")))
    details = []
    if inp.diagnostics is not None and {"pathway", "pct_national", "indicator"} <= set(inp.diagnostics.columns):
        names = inp.provinces.set_index("province_code")["name_zh" if lang == "zh" else "name_en"]
        for w in weakest:
            wi = weakest_indicators(inp.diagnostics, code, w, y1)
            items = []
            for _, r in wi.iterrows():
                lab = inp.label(r["indicator"], lang)
                fp = names.get(int(r["frontier_province"]), "") if pd.notna(r.get("frontier_province")) else ""
                nums[f"pathways.{w}.weak.{r['indicator']}.pct_national"] = _num(float(r["pct_national"]))
                nums[f"pathways.{w}.weak.{r['indicator']}.value"] = _num(float(r["value"]))
                nums[f"pathways.{w}.weak.{r['indicator']}.year"] = int(r["year"])
                v, fr = inp.fmt_value(r["indicator"], r["value"]), inp.fmt_value(r["indicator"], r["frontier"])
                pc = float(r["pct_national"]) * 100
                # an IO-table indicator is dated by its table, not by the panel year it is carried to
                iy = io_table_year(inp, r["indicator"], code, int(r["year"]))
                if iy is not None:
                    nums[f"pathways.{w}.weak.{r['indicator']}.io_year"] = iy
                if lang == "zh":
                    when = f"{iy} 年投入产出表" if iy is not None else f"{int(r['year'])} 年"
                    items.append(f"{lab}（{when} {v}，全国百分位 {pc:.0f}；最高为{fp} {fr}）")
                else:
                    when = f"{iy} input-output table" if iy is not None else f"in {int(r['year'])}"
                    items.append(f"{lab} ({v}, {when}; national percentile {pc:.0f}; best: {fp}, {fr})"
                                 if iy is not None else
                                 f"{lab} ({v} {when}, national percentile {pc:.0f}; best: {fp}, {fr})")
            if items:
                details.append(f"- **{_pw(inp, w, lang)}**" + ("：最弱的指标是" if lang == "zh" else ": weakest indicators ") + ("；".join(items) if lang == "zh" else "; ".join(items)))
    if lang == "zh":
        p = f"{y1} 年{name}最薄弱的两条路径是：" + "；".join(
            f"**{lab}**（得分 {fmt(sc)}，在 31 个省份中的百分位 {pc:.0f}，距全国最高 {fmt(g)}）" for lab, sc, pc, g, gl in parts
        ) + "。这是推进融合最值得着力之处。"
    else:
        p = f"In {y1} {name}'s two weakest pathways are " + " and ".join(
            f"**{lab}** (score {fmt(sc)}, percentile {pc:.0f} among the 31 provinces, {fmt(g)} below the frontier)"
            for lab, sc, pc, g, gl in parts
        ) + ": the places where a push would do most for integration."
    intro = ("路径得分为该路径各指标在全国的百分位均值（0–1，越高越好）；得分最低的两条为最薄弱路径。图中竖线为全国中位数。"
             if lang == "zh" else
             "A pathway's score is the mean national percentile of its indicators (0–1, higher is better); the two "
             "lowest scores mark the weakest pathways. Ticks in the chart show the national median.")
    return Section("pathways", title, [intro, p, *details], table=table, figure=fig, numbers=nums)


CHAIN_SHOWN = ("chain_linkage", "chain_backward", "chain_forward", "local_sourcing", "rd_output_share", "rd_key_sectors")


def section_chain(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Industrial-chain profile from the province's input-output tables.

    Province indicators (measures layer, :func:`analysis.measures.io.chain_linkage`): the
    output-weighted mean local linkage of the R&D-intensive sectors (``chain_linkage``; 1 = the
    province's average sector), its backward and forward parts, the share of their intermediate
    inputs sourced inside the province (``local_sourcing``), their output share and number of
    key sectors — for the latest IO table ≤ ``year_end``, ranked among the provinces with a
    table that year. Sector detail (:func:`analysis.measures.io.sector_chain_table`): key sectors
    (normalised local backward and forward linkage both > 1) and the R&D-intensive sectors.
    """
    title = t("sec_chain", lang)
    cl = inp.chain()
    if cl is None or "province_code" not in cl.columns:
        return _missing("chain", title, lang, "io_*.parquet / chain_linkage")
    ycol = "io_year" if "io_year" in cl.columns else "year"
    own = cl[(cl["province_code"] == code) & (cl[ycol] <= year_end)].sort_values(ycol)
    if own.empty:
        return _missing("chain", title, lang, "io_*.parquet / chain_linkage")
    y = int(own[ycol].max())
    row = own[own[ycol] == y].iloc[0]
    same = cl[cl[ycol] == y]
    ind = [c for c in CHAIN_SHOWN if c in cl.columns] or [
        c for c in cl.columns if c not in ("province_code", ycol) and pd.api.types.is_numeric_dtype(cl[c])]
    rows, nums = [], {"chain.io_year": y, "chain.io_years": [int(v) for v in own[ycol]]}
    for c in ind:
        v = row[c]
        if pd.isna(v):
            continue
        rank = int(rank_desc(same[c])[same["province_code"] == code].iloc[0])
        tied = is_tied(same[c], same["province_code"] == code)
        nums[f"chain.{c}.rank_tied"] = tied
        n = int(same[c].notna().sum())
        nums[f"chain.{c}"] = _num(float(v))
        nums[f"chain.{c}.rank"] = rank
        nums[f"chain.{c}.n"] = n
        nums[f"chain.{c}.series"] = {str(int(k)): _num(float(x)) for k, x in zip(own[ycol], own[c], strict=True)}
        shown = (f"{float(v) * 100:.1f}%" if c in ("local_sourcing", "rd_output_share")
                 else str(int(v)) if c == "rd_key_sectors" else fmt(float(v)))
        rows.append({t("indicator", lang): CHAIN_LABELS.get(c, {}).get(lang, c), t("value", lang): shown,
                     t("rank31", lang): rank_text(rank, n, tied, lang)})
    name = province_name(province_info(inp, code), lang)
    paras = [
        (f"依据{name} {y} 年投入产出表（42 部门，竞争型表经区域购买系数调整为本地表）计算；"
         f"研发密集型部门指高技术制造业与信息、研发服务业。排名为 {y} 年在有表省份中的位次（1 表示最高；并列者取最高位次）。")
        if lang == "zh" else
        (f"From {name}'s {y} input-output table (42 sectors; the competitive-import table adjusted to a "
         f"local table with regional purchase coefficients). R&D-intensive sectors are high-technology "
         f"manufacturing and information and R&D services. Ranks are among the provinces with a {y} table (1 = highest; tied values share the best rank).")
    ]
    extra = []
    tab = inp.io_tables().get((int(code), y))
    if tab is not None:
        try:
            from analysis.data.io_tables import io_sectors
            from analysis.measures.io import sector_chain_table

            sc = sector_chain_table(tab)
            names = io_sectors(y).set_index("sector")["name_zh" if lang == "zh" else "name_en"]
            key = sc[sc["key_sector"]].sort_values("backward", ascending=False)
            nums["chain.key_sectors"] = [str(k) for k in key.index]
            sep = "；" if lang == "zh" else "; "
            kn = sep.join(str(names.get(k, k)) for k in key.index)
            if len(key):
                paras.append((f"关键部门（本地影响力系数与感应度系数均大于 1）共 {len(key)} 个：{kn}。") if lang == "zh"
                             else f"{len(key)} key sectors (local backward and forward linkage both > 1): {kn}.")
            rd = sc[sc["rd_intensive"]].sort_values("x", ascending=False)
            total_x = float(sc["x"].sum())
            extra.append(("研发密集型部门" if lang == "zh" else "R&D-intensive sectors", pd.DataFrame({
                t("sector", lang): [str(names.get(k, k)) for k in rd.index],
                ("产出占比" if lang == "zh" else "Output share"): [f"{v / total_x * 100:.1f}%" for v in rd["x"]],
                t("backward", lang): [fmt(v) for v in rd["backward"]],
                t("forward", lang): [fmt(v) for v in rd["forward"]],
                ("本地投入占比" if lang == "zh" else "Local input share"): [f"{v * 100:.0f}%" if pd.notna(v) else "—" for v in rd["local_input_share"]],
            })))
            for k, r in rd.iterrows():
                nums[f"chain.sector.{k}.backward"] = _num(float(r["backward"]))
                nums[f"chain.sector.{k}.local_input_share"] = _num(float(r["local_input_share"]))
        except Exception as exc:  # noqa: BLE001 - sector detail is optional
            nums["chain.sector_error"] = f"{type(exc).__name__}: {exc}"
    return Section("chain", title, paras, table=pd.DataFrame(rows) if rows else None, numbers=nums, extra_tables=extra)


CHAIN_LABELS = {
    "chain_linkage": {"zh": "研发密集型部门产业链关联度", "en": "Chain linkage of R&D-intensive sectors"},
    "chain_backward": {"zh": "其中：后向关联", "en": "of which backward linkage"},
    "chain_forward": {"zh": "其中：前向关联", "en": "of which forward linkage"},
    "local_sourcing": {"zh": "中间投入本地化率", "en": "Local sourcing of intermediate inputs"},
    "rd_output_share": {"zh": "研发密集型部门产出占比", "en": "Output share of R&D-intensive sectors"},
    "rd_key_sectors": {"zh": "研发密集型关键部门数", "en": "R&D-intensive key sectors"},
}


def _find_result(results: dict[str, Any], *needles: str) -> tuple[str, Any] | None:
    for k, v in results.items():
        if all(n in k.lower() for n in needles):
            return k, v
    return None


def section_threshold(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Where the province sits among the Hansen threshold regimes and the effect there.

    Reads ``results/threshold_regimes.parquet`` (per province-year: regime, threshold-variable
    value, the regime's coefficient and standard error) and the thresholds and test p-values in
    ``results/results.json`` (written once by ``python -m analysis models``).
    """
    title = t("sec_threshold", lang)
    reg = inp.results.get("threshold_regimes")
    head = (inp.results.get("results") or {}).get("threshold") if isinstance(inp.results.get("results"), dict) else None
    if isinstance(reg, pd.DataFrame) and {"province_code", "year", "regime", "coef"} <= set(reg.columns):
        return _threshold_from_regimes(inp, code, lang, year_start, year_end, reg, head or {})
    return _missing("threshold", title, lang, "results/threshold_regimes.parquet (python -m analysis models)")


def _threshold_from_regimes(inp, code, lang, year_start, year_end, reg, head) -> Section:
    title = t("sec_threshold", lang)
    q = str(reg["threshold_var"].iloc[0]) if "threshold_var" in reg.columns else str(head.get("q", ""))
    own = _years(reg, year_start, year_end)
    own = own[own["province_code"] == code].sort_values("year")
    if own.empty:
        return _missing("threshold", title, lang, "results/threshold_regimes.parquet")
    last = own.iloc[-1]
    y = int(last["year"])
    qv = float(last[q]) if q in own.columns else float("nan")
    k = int(last["regime"])
    per = reg.groupby("regime")[["coef", "std_error"]].first().sort_index()
    gammas = [float(g) for g in head.get("thresholds", [])]
    pvals = head.get("p_values") or []
    coefs = [(float(r["coef"]), float(r["std_error"]), None) for _, r in per.iterrows()]
    extra = {"threshold.p_values": [float(p) for p in pvals[: len(gammas)]],
             "threshold.regime_path": {str(int(a)): int(b) + 1 for a, b in zip(own["year"], own["regime"], strict=True)}}
    sizes = head.get("regime_sizes") or reg["regime"].value_counts().to_dict()
    extra["threshold.regime_sizes"] = [int(sizes.get(str(j), sizes.get(j, 0))) for j in range(len(per))]
    if head.get("warning"):
        extra["threshold.warning"] = str(head["warning"])
    yrs = head.get("years") or [int(reg["year"].min()), int(reg["year"].max())]
    extra["threshold.sample_years"] = [int(yrs[0]), int(yrs[-1])]
    if q == "ln_gdp_pc" and inp.panel is not None and "gdp_real" in inp.panel.columns:
        extra["threshold.gdp_real_last_year"] = int(inp.panel.loc[inp.panel["gdp_real"].notna(), "year"].max())
    return _threshold_section(inp, code, lang, q, y, qv, k, gammas, coefs, "rd_intensity_pct", "TS", extra)


def _threshold_section(inp, code, lang, q, y, qv, k, gammas, coefs, rx, yvar, extra) -> Section:
    title = t("sec_threshold", lang)
    nums: dict[str, Any] = {"threshold.q": q, "threshold.year": y, "threshold.q_value": _num(qv),
                            "threshold.gammas": [float(g) for g in gammas], "threshold.regime": k + 1, **extra}
    if k < len(coefs):
        nums["threshold.effect"] = _num(coefs[k][0])
        nums["threshold.effect_se"] = _num(coefs[k][1])
    def lab(i):
        return regime_interval(gammas, i)

    stars = []
    for est, se, _ in coefs:
        if est is None or se is None or not se:
            stars.append("")
            continue
        from scipy import stats

        p = 2 * stats.norm.sf(abs(est / se))
        stars.append("***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else "")
    table = pd.DataFrame({
        t("regime", lang): [lab(i) for i in range(len(coefs))],
        t("estimate", lang): [fmt(c[0]) + st for c, st in zip(coefs, stars, strict=True)],
        t("std_error", lang): [fmt(c[1]) for c in coefs],
        t("this_province", lang): ["◀" if i == k else "" for i in range(len(coefs))],
    })
    qlab = inp.label(q, lang)
    rxl, yl = inp.label(rx, lang) if rx else rx, inp.label(yvar, lang) if yvar else yvar
    name = province_name(province_info(inp, code), lang)
    eff = fmt(nums.get("threshold.effect"))
    gs = "、".join(fmt(g) for g in gammas) if lang == "zh" else ", ".join(fmt(g) for g in gammas)
    if lang == "zh":
        p = (f"面板门槛模型（Hansen 1999，全国共同估计）以{qlab}（下表中的 q）为门槛变量，估计的门槛值为 {gs}。"
             f"{name} {y} 年的{qlab}为 {fmt(qv)}，处于第 {k + 1} 区间（共 {len(coefs)} 个）；"
             f"该区间内{rxl}对{yl}的估计系数为 {eff}（标准误 {fmt(nums.get('threshold.effect_se'))}）。")
    else:
        p = (f"The panel threshold model (Hansen 1999, estimated once for all provinces) splits on {qlab} "
             f"(q in the table) at {gs}. "
             f"{name}'s value in {y} is {fmt(qv)}, in regime {k + 1} of {len(coefs)}; there the estimated "
             f"coefficient of {rxl} on {yl} is {eff} (standard error {fmt(nums.get('threshold.effect_se'))}).")
    y0s, y1s = extra.get("threshold.sample_years") or (None, None)
    gl = extra.get("threshold.gdp_real_last_year")
    if y1s is not None and y == y1s:
        if lang == "zh":
            p += (f"门槛模型的样本为 {y0s}–{y1s} 年的平衡面板，故取 {y} 年"
                  + (f"（{qlab}由实际GDP（gdp_real）计算，该序列止于 {gl} 年）。" if gl else "。"))
        else:
            p += (f" {y} is the last year of the threshold sample ({y0s}–{y1s}, a balanced panel)"
                  + (f": {qlab} is computed from real GDP (gdp_real), which ends in {gl}." if gl else "."))
    sizes = extra.get("threshold.regime_sizes") or []
    if extra.get("threshold.warning") and sizes:
        j = int(np.argmin(sizes))
        if lang == "zh":
            p += f"注意：第 {j + 1} 区间仅有 {sizes[j]} 个观测值，处于 5% 截尾边界，门槛值位于搜索网格的边缘。"
        else:
            p += (f" Caution: regime {j + 1} holds only {sizes[j]} observations, at the 5% trimming bound: the "
                  "threshold sits on the edge of the search grid.")
    pv = extra.get("threshold.p_values") or []
    if pv:
        p1 = float(pv[0])
        if lang == "zh":
            p += (f"门槛效应检验（自助法，{len(gammas)} 个门槛）的 p 值为 {p1:.3f}，"
                  + ("在 5% 水平上显著。" if p1 < 0.05 else "在 5% 水平上不显著：区间划分应谨慎解读。"))
        else:
            p += (f" The bootstrap test of a threshold effect gives p = {p1:.3f}: "
                  + ("significant at the 5% level." if p1 < 0.05
                     else "not significant at the 5% level, so read the regime split with care."))
    note = (r"注：\* p<0.1，\*\* p<0.05，\*\*\* p<0.01（正态近似）。" if lang == "zh"
            else r"Note: \* p<0.1, \*\* p<0.05, \*\*\* p<0.01 (normal approximation).")
    return Section("threshold", title, [p, note], table=table, numbers=nums)


def regime_interval(gammas: list[float], i: int, var: str = "q") -> str:
    """Interval of regime ``i`` (0-based) for thresholds ``gammas`` (ascending), as in Hansen (1999).

    ``q ≤ γ₁`` for the first regime, ``γᵢ < q ≤ γᵢ₊₁`` in between, ``q > γₖ`` for the last;
    ``q`` alone when there is no threshold.
    """
    g = [fmt(x) for x in gammas]
    if not g:
        return var
    if i == 0:
        return f"{var} ≤ {g[0]}"
    if i >= len(g):
        return f"{var} > {g[-1]}"
    return f"{g[i - 1]} < {var} ≤ {g[i]}"


def section_spatial(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Contiguous neighbours, their coordination degree, and the spatial Durbin effects.

    Neighbours: queen contiguity (Hainan linked to Guangdong). Spillovers: LeSage–Pace direct,
    indirect and total effects stored by ``python -m analysis models`` (``results/*sdm*`` or
    ``*spatial*``), when present.
    """
    title = t("sec_spatial", lang)
    nb = inp.neighbours().get(int(code), [])
    if not nb:
        return _missing("spatial", title, lang, "boundaries / spatial weights")
    info = province_info(inp, code)
    names = inp.provinces.set_index("province_code")["name_zh" if lang == "zh" else "name_en"]
    nums: dict[str, Any] = {"spatial.neighbours": [int(c) for c in nb]}
    table = None
    extra: list[Any] = []
    paras = []
    name = province_name(info, lang)
    sep = "、" if lang == "zh" else ", "
    nb_names = sep.join(str(names.get(c, c)) for c in nb)
    if inp.integration is not None and "D" in inp.integration.columns:
        df = _years(inp.integration, year_start, year_end)
        own = df[(df["province_code"] == code) & df["D"].notna()]
        if not own.empty:
            y = int(own["year"].max())
            dy = df[df["year"] == y].set_index("province_code")["D"]
            own_d = float(dy.get(code))
            nbd = dy.reindex(nb)
            nums.update({"spatial.year": y, "spatial.D_own": own_d, "spatial.D_neighbours_mean": _num(float(nbd.mean()))})
            table = pd.DataFrame({t("neighbour", lang): [names.get(c, c) for c in nb], "D": [fmt(v) for v in nbd]})
            island = int(code) == 460000
            if lang == "zh":
                lead = (f"{name}没有陆地邻省，按惯例与{nb_names}相连。" if island
                        else f"{name}与 {len(nb)} 个省份相邻：{nb_names}。")
                paras.append(f"{lead}{y} 年相邻省份耦合协调度的平均值为 {fmt(float(nbd.mean()))}，本省为 {fmt(own_d)}。")
            else:
                lead = (f"{name} has no land neighbour; by convention it is linked to {nb_names}." if island
                        else f"{name} borders {len(nb)} province{'s' if len(nb) > 1 else ''}: {nb_names}.")
                paras.append(f"{lead} In {y} the neighbours' mean coupling coordination degree is {fmt(float(nbd.mean()))}, against {fmt(own_d)} here.")
    if not paras:
        paras.append(f"{name}的相邻省份：{nb_names}。" if lang == "zh" else f"{name} borders {nb_names}.")
    eff = inp.results.get("spatial_effects")
    if not isinstance(eff, pd.DataFrame):
        hit = _find_result(inp.results, "sdm")
        eff = hit[1] if hit is not None and isinstance(hit[1], pd.DataFrame) else None
    if eff is not None and {"effect", "estimate"} <= set(eff.columns):
        vcol = "variable" if "variable" in eff.columns else "term"
        eff = eff.copy()
        for _, r in eff.iterrows():
            nums[f"spatial.effect.{r[vcol]}.{r['effect']}"] = _num(float(r["estimate"]))
        piv = eff.pivot_table(index=vcol, columns="effect", values="estimate", aggfunc="first", sort=False)
        pv = eff.pivot_table(index=vcol, columns="effect", values="p_value", aggfunc="first", sort=False) if "p_value" in eff else None
        cols = [c for c in ("direct", "indirect", "total") if c in piv.columns]
        lab = {"direct": ("直接效应", "Direct"), "indirect": ("间接效应（溢出）", "Indirect (spillover)"), "total": ("总效应", "Total")}
        tab = pd.DataFrame({t("indicator", lang): [inp.label(v, lang) for v in piv.index]})
        for c in cols:
            vals = []
            for v in piv.index:
                est = piv.loc[v, c]
                p = pv.loc[v, c] if pv is not None else None
                st = "" if p is None or pd.isna(p) else ("***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else "")
                vals.append(fmt(float(est)) + st)
            tab[lab[c][0 if lang == "zh" else 1]] = vals
        extra.append(("空间杜宾模型：效应分解" if lang == "zh" else "Spatial Durbin model: effects", tab))
        rho = ((inp.results.get("results") or {}).get("spatial") or {}).get("rho") if isinstance(inp.results.get("results"), dict) else None
        if rho is not None:
            nums["spatial.rho"] = _num(float(rho))
        sig = [v for v in piv.index if pv is not None and "indirect" in pv.columns and pd.notna(pv.loc[v, "indirect"]) and pv.loc[v, "indirect"] < 0.1]
        if lang == "zh":
            txt = ("空间杜宾模型（全国共同估计，对所有省份相同）的直接、间接（溢出）与总效应见下表"
                   + (f"，空间自回归系数 ρ = {fmt(float(rho))}" if rho is not None else "") + "。"
                   + (f"在 10% 水平上显著的溢出效应：{'、'.join(inp.label(v, lang) for v in sig)}。" if sig else "没有在 10% 水平上显著的溢出效应。")
                   + r" \* p<0.1，\*\* p<0.05，\*\*\* p<0.01。")
        else:
            txt = ("Direct, indirect (spillover) and total effects of the spatial Durbin model (estimated once for all provinces"
                   + (f"; spatial autoregressive ρ = {fmt(float(rho))}" if rho is not None else "") + "). "
                   + (f"Spillovers significant at 10%: {', '.join(inp.label(v, lang) for v in sig)}." if sig else "No spillover is significant at 10%.")
                   + r" \* p<0.1, \*\* p<0.05, \*\*\* p<0.01.")
        paras.append(txt)
    else:
        paras.append(
            "空间杜宾模型的溢出效应结果尚未生成。" if lang == "zh" else "The spatial Durbin model's spillover effects are not available in this run."
        )
    return Section("spatial", title, paras, table=table, numbers=nums, extra_tables=extra)


def section_map(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """A map of China with the province outlined and provinces coloured by D (latest year)."""
    from analysis.reporting import maps

    title = t("sec_map", lang)
    shapes = inp.shapes()
    if shapes is None:
        return _missing("map", title, lang, "boundaries")
    info = province_info(inp, code)
    values, y = None, None
    if inp.integration is not None and "D" in inp.integration.columns:
        df = _years(inp.integration, year_start, year_end)
        own = df[(df["province_code"] == code) & df["D"].notna()]
        if not own.empty:
            y = int(own["year"].max())
            values = df[df["year"] == y].set_index("province_code")["D"].astype(float)
    nb = inp.neighbours().get(int(code), [])
    fig = maps.draw_map(shapes, values, highlight=int(code), outline=nb,
                        legend_label=f"D ({y})" if y else "", lang=lang)
    name = province_name(info, lang)
    if values is not None:
        p = (f"红色粗线为{name}，虚线为其相邻省份；颜色表示 {y} 年的耦合协调度 D。" if lang == "zh"
             else f"{name} is outlined in red, its neighbours dashed; colours show the coupling coordination degree D in {y}.")
    else:
        p = f"红色为{name}。" if lang == "zh" else f"{name} in red."
    return Section("map", title, [p], figure=fig, numbers={"map.year": y})


SECTIONS = (
    section_glance,
    section_indices,
    section_coupling,
    section_models,
    section_pathways,
    section_chain,
    section_threshold,
    section_spatial,
    section_map,
)


def header(inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Title block: province name, region, year range, date."""
    i18n.check_lang(lang)
    info = province_info(inp, code)
    name = str(info["full_name_zh"]) if lang == "zh" else str(info["name_en"])
    title = t("title", lang, name=name)
    sub = t("subtitle", lang, region=i18n.region_label(info["region"], lang), y0=year_start, y1=year_end,
            date=_dt.date.today().isoformat())
    nums = {"province_code": int(code), "name": province_name(info, lang), "lang": lang,
            "year_start": int(year_start), "year_end": int(year_end)}
    return Section("header", title, [sub], numbers=nums)


def safe_section(fn, inp: ReportInputs, code: int, lang: str, year_start: int, year_end: int) -> Section:
    """Run a section; an unexpected error becomes a one-sentence notice (and is recorded).

    A :class:`UnknownProvinceCodeError` is re-raised: an unknown province is the caller's error.
    """
    try:
        return fn(inp, code, lang, year_start, year_end)
    except UnknownProvinceCodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - one section must not sink the report
        key = fn.__name__.removeprefix("section_")
        title = t(f"sec_{key}" if f"sec_{key}" in i18n.TEXT else "sec_notes", lang)
        msg = ("本节因数据问题未能生成：" if lang == "zh" else "This section could not be produced: ") + f"`{type(exc).__name__}: {exc}`"
        return Section(key, title, [msg], numbers={f"{key}.error": f"{type(exc).__name__}: {exc}"}, available=False)


# --------------------------------------------------------------------------------------------
# display (inside the notebook kernel)
# --------------------------------------------------------------------------------------------


def show(section: Section, level: int = 2) -> None:
    """Display a section (heading, text, table, figure) and glue its numbers with scrapbook.

    Each number is glued under its name (``glance.gdp.value`` …) with ``display=False``; the
    section's availability under ``<key>.available``.
    """
    import matplotlib.pyplot as plt
    import scrapbook as sb
    from IPython.display import HTML, Markdown, display

    display(Markdown("#" * level + " " + section.title + "\n\n" + "\n\n".join(section.paragraphs)))
    for tab in [section.table, *section.extra_tables]:
        caption = None
        if isinstance(tab, tuple):
            caption, tab = tab
        if tab is not None and len(tab):
            cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
            display(HTML(tab.to_html(index=False, classes="report-table", border=0, escape=True)
                         .replace(">\n  <thead>", f">{cap}\n  <thead>", 1)))
    if section.figure is not None:
        display(section.figure)
        plt.close(section.figure)
    sb.glue(f"{section.key}.available", bool(section.available))
    for k, v in section.numbers.items():
        v = _jsonable(v)
        if v is not None:  # scrapbook cannot encode None; a missing number is simply not glued
            sb.glue(k, v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return _num(v)


def index_metrics(inp: ReportInputs, year_end: int) -> pd.DataFrame:
    """One row per province with the metrics shown in ``reports/index.html``.

    Columns: ``province_code``, names, ``region``, ``gdp``, ``gdp_per_capita``, ``rd_intensity``
    (latest year ≤ ``year_end`` per province, in ``<col>_year``), and, when ``integration.parquet`` exists, ``D``, ``D_class``,
    ``model``, ``model_stability``, ``weakest_pathways`` and the pillar z-scores ``z_*`` (latest
    year ≤ ``year_end``; ``D_year`` says which).
    """
    out = inp.provinces[["province_code", "name_zh", "name_en", "region"]].copy()
    if inp.panel is not None:
        g = glance_frame(inp.panel)
        g = g[g["year"] <= year_end]
        for col in ("gdp", "gdp_per_capita", "rd_intensity"):
            last = g.dropna(subset=[col]).sort_values("year").groupby("province_code").tail(1)
            last = last[["province_code", "year", col]].rename(columns={"year": f"{col}_year"})
            out = out.merge(last, on="province_code", how="left")
    if inp.integration is not None and "D" in inp.integration.columns:
        it = inp.integration[(inp.integration["year"] <= year_end) & inp.integration["D"].notna()]
        last = it.sort_values("year").groupby("province_code").tail(1)
        keep = [c for c in ("year", "D", "D_class", "model", "model_stability", "weakest_pathways") if c in last.columns]
        keep += [c for c in last.columns if str(c).startswith("z_")]
        out = out.merge(last[["province_code", *keep]].rename(columns={"year": "D_year"}), on="province_code", how="left")
    return out
