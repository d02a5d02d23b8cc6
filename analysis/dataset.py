"""The analysis dataset: one province-year table with every variable the models and the framework
use, under the names of the paper tables, for Python, Stata and R users alike.

``python -m analysis all`` (step ``dataset``, after the framework and before the models; see
:mod:`analysis.steps`) writes

* ``data/processed/analysis.parquet`` — what the models step reads (:mod:`analysis.models.pipeline`),
  so the paper tables are estimated on exactly the file a Stata or R user gets;
* ``data/processed/analysis.dta`` — Stata 14+ (format 118, UTF-8): variable labels of at most 80
  characters that keep their unit, value labels on ``province_code`` (``110000`` → ``北京
  Beijing``), and Stata notes (``notes varname``) holding each variable's full label, its
  definition and its source;
* ``data/processed/analysis.csv`` — UTF-8 with a byte-order mark (Excel, R ``read.csv``);
* ``data/processed/analysis_codebook.csv`` — one row per column: full and Stata labels, unit,
  definition, source, coverage.

Rows and years
--------------
31 provinces × :data:`YEARS` (2000–2023): the panel's years in which the outcomes or the R&D
regressor are observed (2024 holds only GDP and carried-forward chain linkage, which no model
uses). Each model takes the rows where all its variables exist (listwise, as ``reghdfe`` and
``fixest`` do): the baseline uses 2010–2022 (R&D expenditure starts in 2010, value added by
sector ends in 2022), the framework's scores exist for 2018–2023.

Definitions (the derived variables; panel and framework columns are as their codebooks say)
--------------------------------------------------------------------------------------------
* ``TS = va_tertiary / va_secondary`` (干春晖, 郑若谷 & 余典范 2011), ``TL_neg = −Theil``
  (same source), ``H = Σ i·s_i`` (:func:`analysis.measures.structure.structure_indices`);
  ``PH``: productivity-weighted structural height (刘伟, 张辉 & 黄泽华 2008;
  :func:`structural_height`); ``HT = hightech_revenue / gdp``.
* ``rd_intensity_pct = rd_exp / gdp × 100``: R&D expenditure over the panel's
  vintage-consistent GDP (:mod:`analysis.data.vintage`), so that numerator and denominator are
  of one vintage for every year. The yearbook's published ratio (``rd_intensity`` in the panel)
  divides by the GDP first released for the year, which later census revisions moved: Beijing
  2022 is 6.83 % as published and 6.29 % on the revised GDP. The published ratio is kept as
  ``rd_intensity_pub_pct`` (%, for comparison with the yearbook; no model uses it).
* ``ln_gdp_pc = ln(gdp_real × 10⁴ / population)``: log real GDP per capita in yuan at 2010
  prices; ``fiscal_share = budget_exp / gdp``; ``urbanisation`` as in the panel (share 0–1).
* Framework (``integration.parquet``): ``U_st``, ``U_ind``, ``C``, ``T``, ``D``, ``linkage``,
  the four pillar scores, ``model`` and ``model_confidence``.
* Chain linkage (``chain_linkage_panel.parquet``): ``chain_linkage`` and its backward / forward
  parts, ``local_sourcing``, ``rd_output_share``, the IO table year ``io_year`` and
  ``chain_linkage_flag`` (``io_table``, ``carried_forward``, ``no_table``).

Stata labels and notes
----------------------
A variable label is ``中文 / English (unit)``. When that exceeds Stata's 80 characters it is
shortened (:func:`stata_label`), never mid-word: first the English part is cut at its first
qualifier (``:``, ``=``, ``(``, ``;``, ``,``), then, if still too long, at the last whole word
that fits (with ``…``); the unit always stays. The full label goes into the codebook and into
the variable's notes: Stata stores notes as characteristics ``varname[note0]`` (the count) and
``varname[note1]``, … (the texts). pandas' ``to_stata`` writes none, so :func:`write_dta` adds
them to the ``<characteristics>`` section of the format-118 file and shifts the file map
(:func:`add_characteristics`, following Stata's ``help dta``); :func:`read_characteristics`
reads them back.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths

KEYS = ["province_code", "year"]
#: Years of the analysis dataset (inclusive).
YEARS = (2000, 2023)
#: Base year of the constant prices of ``gdp_real``/``gdp_deflator`` (data build default).
BASE_YEAR = 2010
#: Stata's limit on a variable label (characters).
STATA_LABEL_MAX = 80

PARQUET = "analysis.parquet"
DTA = "analysis.dta"
CSV = "analysis.csv"
CODEBOOK = "analysis_codebook.csv"
OUTPUTS = (PARQUET, DTA, CSV, CODEBOOK)


@dataclass(frozen=True)
class Definition:
    """How a derived column of the analysis dataset is computed.

    ``unit`` is one of the project's unit codes (``ratio``, ``share``, ``%``, ``index``,
    ``[0, 1]``, ``亿元`` …); ``definition`` the formula; ``source`` the inputs.
    """

    unit: str
    definition: str
    source: str = "panel.parquet"


#: Derived columns (labels: ``analysis/derived_labels.yaml``).
DEFINITIONS: dict[str, Definition] = {
    "TS": Definition("ratio", "va_tertiary / va_secondary (干春晖, 郑若谷 & 余典范 2011)"),
    "TL_neg": Definition("index", "−TL, TL = Σ_i (Y_i/Y) ln[(Y_i/L_i)/(Y/L)] over the three "
                         "sectors, Y value added, L employment (干春晖等 2011); 0 = sectoral "
                         "labour productivities equal, larger = more rational"),
    "H": Definition("index", "1·s1 + 2·s2 + 3·s3, s_i sector shares of value added (range 1–3)"),
    "PH": Definition("index", "Σ_i s_i · LP_i / LP_2010, s_i value-added shares, LP_i sector "
                     "labour productivity at 2010 prices (value added / GDP deflator / "
                     "employment), LP_2010 the 31 provinces' labour productivity in 2010 "
                     "(刘伟, 张辉 & 黄泽华 2008)"),
    "HT": Definition("ratio", "hightech_revenue / gdp: high-tech industry main-business revenue "
                     "over GDP (an intensity, revenue over value added, not a share)"),
    "rd_intensity_pct": Definition("%", "rd_exp / gdp × 100, GDP vintage-consistent "
                                   "(analysis.data.vintage) as in every other /GDP variable; "
                                   "the yearbook's ratio is rd_intensity_pub_pct"),
    "rd_intensity_pub_pct": Definition("%", "rd_intensity × 100: the yearbook's published "
                                       "ratio, on GDP as first released (not used by the "
                                       "models)"),
    "ln_gdp_pc": Definition("ln(yuan)", "ln(gdp_real × 10^4 / population): log real GDP per "
                            "capita in yuan at 2010 prices"),
    "fiscal_share": Definition("ratio", "budget_exp / gdp"),
}

#: Columns taken from the framework's ``integration.parquet`` (labels: its codebook).
FRAMEWORK_COLUMNS = ["U_st", "U_ind", "C", "T", "D", "linkage", "pillar_chain",
                     "pillar_platform", "pillar_demand", "pillar_future", "model",
                     "model_confidence"]
#: Columns taken from ``chain_linkage_panel.parquet`` (labels: ``derived_labels.yaml``).
CHAIN_COLUMNS = ["chain_linkage", "chain_backward", "chain_forward", "local_sourcing",
                 "rd_output_share", "io_year", "chain_linkage_flag"]
#: Panel columns kept (inputs of the derived variables and of the spatial weights).
PANEL_COLUMNS = ["urbanisation", "rd_exp", "gdp", "gdp_real", "gdp_deflator", "population",
                 "budget_exp", "hightech_revenue", "va_primary", "va_secondary", "va_tertiary",
                 "emp_primary", "emp_secondary", "emp_tertiary"]
#: Column order of the dataset.
COLUMNS = [*KEYS, "name_zh", "name_en", "region",
           "TS", "TL_neg", "PH", "HT", "H",
           "rd_intensity_pct", "rd_intensity_pub_pct", "urbanisation", "fiscal_share",
           "ln_gdp_pc", *FRAMEWORK_COLUMNS, *CHAIN_COLUMNS,
           *[c for c in PANEL_COLUMNS if c != "urbanisation"]]

#: Units as written in labels (the project's unit codes → words).
UNIT_WORDS = {"share": "share 0–1", "[0, 1]": "score 0–1", "label": "", "text": "",
              "code": "", "year": ""}


# --------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------


def structural_height(panel: pd.DataFrame, base_year: int = BASE_YEAR) -> pd.Series:
    """``PH`` of every province-year (NaN where an input is missing).

    :func:`analysis.measures.structure.structure_height` with value added at ``base_year``
    prices (each sector's value added divided by the province's GDP deflator, base year = 1:
    the panel has no sector deflators), employment in 万人, ``lp_start = 0`` and ``lp_end`` =
    national labour productivity of the base year (Σ real value added / Σ employment over the
    31 provinces; the first complete year when the panel does not reach back to the base year).

    Parameters
    ----------
    panel : DataFrame
        Province-year rows with ``va_primary|secondary|tertiary`` (亿元), ``emp_*`` (万人),
        ``gdp_deflator`` (base year = 1) and ``year``.
    base_year : int
        Price base year.

    Returns
    -------
    Series
        Aligned with ``panel``; all NaN when a column is missing.
    """
    from analysis.measures.structure import structure_height

    va = ["va_primary", "va_secondary", "va_tertiary"]
    emp = ["emp_primary", "emp_secondary", "emp_tertiary"]
    out = pd.Series(np.nan, index=panel.index, name="PH")
    if not all(c in panel.columns for c in [*va, *emp, "gdp_deflator"]):
        return out
    real = panel[va].div(panel["gdp_deflator"], axis=0)
    ok = (real.notna().all(axis=1) & panel[emp].notna().all(axis=1) & (real > 0).all(axis=1)
          & (panel[emp] > 0).all(axis=1))
    if not ok.any():
        return out
    ref = base_year if (ok & (panel["year"] == base_year)).any() else int(panel.loc[ok, "year"].min())
    base = panel["year"] == ref
    lp_ref = float(real[ok & base].to_numpy().sum() / panel.loc[ok & base, emp].to_numpy().sum())
    out[ok] = structure_height(real[ok].to_numpy(), panel.loc[ok, emp].to_numpy(),
                               lp_end=lp_ref).to_numpy()
    return out


def build_frame(panel: pd.DataFrame, integration: pd.DataFrame | None = None,
                chain: pd.DataFrame | None = None) -> pd.DataFrame:
    """The panel with the derived variables and the framework's and chain linkage's columns.

    Parameters
    ----------
    panel : DataFrame
        ``panel.parquet`` (province-year; GDP 亿元, population 万人, ``rd_exp`` 亿元,
        ``rd_intensity`` share as published).
    integration, chain : DataFrame, optional
        ``integration.parquet`` and ``chain_linkage_panel.parquet``; their columns are left out
        when absent.

    Returns
    -------
    DataFrame
        Every panel column plus the derived ones (see the module docstring), ``region`` and
        whichever of :data:`FRAMEWORK_COLUMNS` and :data:`CHAIN_COLUMNS` exist; rows as in
        ``panel``.
    """
    from analysis.data.provinces import PROVINCES
    from analysis.measures.structure import structure_indices

    df = panel.copy()
    si = structure_indices(df)
    for c in ("TS", "H", "TL_neg"):
        if c in si.columns:
            df[c] = si[c].to_numpy()
    if "rd_exp" in df.columns:  # the GDP vintage of fiscal_share, HT and every "/GDP" variable
        df["rd_intensity_pct"] = 100 * df["rd_exp"] / df["gdp"]
    else:
        df["rd_intensity_pct"] = np.nan
    df["rd_intensity_pub_pct"] = (100 * df["rd_intensity"] if "rd_intensity" in df.columns
                                  else np.nan)
    gdp = df["gdp_real"] if "gdp_real" in df.columns else df["gdp"]
    # 亿元 / 万人 = 1e4 元 per person
    df["ln_gdp_pc"] = np.log(gdp * 1e4 / df["population"])
    df["fiscal_share"] = df["budget_exp"] / df["gdp"]
    df["PH"] = structural_height(df)
    df["HT"] = df["hightech_revenue"] / df["gdp"] if "hightech_revenue" in df.columns \
        else np.nan
    reg = PROVINCES[["province_code", "region"]].reset_index(drop=True)
    df = df.drop(columns=[c for c in ("region",) if c in df.columns])
    df = df.merge(reg, on="province_code", how="left")
    if integration is not None:
        cols = [c for c in FRAMEWORK_COLUMNS if c in integration.columns]
        df = df.merge(integration[KEYS + cols], on=KEYS, how="left")
    if chain is not None and "year" in chain.columns:
        cols = [c for c in CHAIN_COLUMNS if c in chain.columns]
        df = df.merge(chain[KEYS + cols], on=KEYS, how="left")
    return df


def analysis_dataset(panel: pd.DataFrame, integration: pd.DataFrame | None = None,
                     chain: pd.DataFrame | None = None,
                     years: tuple[int, int] = YEARS) -> pd.DataFrame:
    """The analysis dataset: :data:`COLUMNS` (those that exist) for 31 provinces × the panel's
    years within ``years``.

    Raises
    ------
    ValueError
        The panel lacks a province, has no year in ``years``, or has duplicate keys.
    """
    from analysis.data.provinces import PROVINCES

    df = build_frame(panel, integration, chain)
    if df.duplicated(KEYS).any():
        raise ValueError("analysis dataset: duplicate (province_code, year) rows in the panel: "
                         f"{df.loc[df.duplicated(KEYS), KEYS].head(3).to_dict('records')}")
    df = df[df["year"].between(*years)]
    if df.empty:
        raise ValueError(f"analysis dataset: the panel has no year in {years[0]}–{years[1]}")
    missing_prov = sorted(set(PROVINCES["province_code"]) - set(df["province_code"]))
    if missing_prov:
        raise ValueError(f"analysis dataset: the panel lacks provinces {missing_prov} (31 "
                         "provinces expected)")
    names = PROVINCES[["province_code", "name_zh", "name_en"]].reset_index(drop=True)
    df = df.merge(names, on="province_code", how="left")
    cols = [c for c in COLUMNS if c in df.columns]
    out = df[cols].sort_values(KEYS).reset_index(drop=True)
    out["province_code"] = out["province_code"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out


# --------------------------------------------------------------------------------------------
# labels and codebook
# --------------------------------------------------------------------------------------------


def unit_words(unit: str | None) -> str:
    """A unit code as written in a label (``share`` → ``share 0–1``; ``''`` for none)."""
    if unit is None or (isinstance(unit, float) and np.isnan(unit)):
        return ""
    return UNIT_WORDS.get(str(unit), str(unit))


def full_label(label_zh: str, label_en: str, unit: str | None) -> str:
    """``中文 / English (unit)``: the full label (codebook and note 1 of the variable)."""
    parts = [p for p in (label_zh, label_en) if p]
    lab = " / ".join(parts)
    u = _unit_suffix(label_en, unit)
    return f"{lab} ({u})" if u else lab


def _unit_suffix(label_en: str, unit: str | None) -> str:
    """The unit words to append, or "" when none or when the English label already states it
    (``R&D intensity (%)``)."""
    u = unit_words(unit)
    return "" if not u or f"({u}" in label_en or f", {u})" in label_en or \
        f"{u})" in label_en else u


_QUALIFIERS = re.compile(r"\s*(?::\s|\s=\s|\s\(|;\s|,\s|\s—\s|\s–\s)")


def stata_label(label_zh: str, label_en: str, unit: str | None,
                limit: int = STATA_LABEL_MAX) -> str:
    """A Stata variable label of at most ``limit`` characters that keeps the unit.

    The full label (:func:`full_label`) when it fits; else the English part cut at its first
    qualifier (``: ``, `` = ``, `` (``, ``; ``, ``, ``); else cut after the last whole word that
    fits, marked ``…``; else the Chinese label alone with the unit. Never cut inside a word.

    Raises
    ------
    ValueError
        Not even the unit and the start of the Chinese label fit (cannot happen for ``limit``
        80 with the project's units).
    """
    full = full_label(label_zh, label_en, unit)
    if len(full) <= limit:
        return full
    u = _unit_suffix(label_en, unit)
    tail = f" ({u})" if u else ""
    head = f"{label_zh} / " if label_zh else ""
    m = _QUALIFIERS.search(label_en)
    if m and m.start() > 0:
        cand = f"{head}{label_en[:m.start()]}{tail}"
        if len(cand) <= limit:
            return cand
    room = limit - len(head) - len(tail) - 1  # 1 for "…"
    words = label_en.split(" ")
    kept: list[str] = []
    for w in words:
        if len(" ".join([*kept, w])) > room:
            break
        kept.append(w)
    if kept:
        return f"{head}{' '.join(kept).rstrip(',;:')}…{tail}"
    cand = f"{label_zh}{tail}"
    if label_zh and len(cand) <= limit:
        return cand
    raise ValueError(f"no Stata label of ≤ {limit} characters keeps the unit of "
                     f"{full!r}")


def codebook(frame: pd.DataFrame, codebooks: Sequence[pd.DataFrame | None] = ()) -> pd.DataFrame:
    """One row per column of ``frame``: labels (full and Stata), unit, definition, source, years.

    Labels and units come from the project's one label source (:class:`analysis.labels.Labels`:
    the panel and framework codebooks, then ``derived_labels.yaml``); units and definitions of
    the derived columns from :data:`DEFINITIONS`.

    A column that no label source describes gets its name as the English label (only in
    synthetic projects without codebooks; the real build labels every column, which a test
    checks).
    """
    from analysis.labels import Labels

    lab = Labels([c for c in codebooks if c is not None])
    src = {}
    for cb in codebooks:
        if cb is None:
            continue
        key = "variable" if "variable" in cb.columns else "name"
        for rec in cb.to_dict("records"):
            name = str(rec.get(key))
            if name in src:
                continue
            bits = [str(rec.get(k)) for k in ("source", "table") if isinstance(rec.get(k), str)]
            tr = rec.get("transformation")
            src[name] = ("; ".join(bits), tr if isinstance(tr, str) else "")
    rows = []
    for col in frame.columns:
        if col == "province_code":
            zh, en, unit = "省份代码", "Province code (GB/T 2260)", "code"
            definition, source = "value labels: province names", "analysis.data.provinces"
        elif col == "year":
            zh, en, unit, definition, source = "年份", "Year", "year", "calendar year", ""
        elif col in ("name_zh", "name_en", "region"):
            zh, en = {"name_zh": ("省份名称（中文）", "Province name (Chinese)"),
                      "name_en": ("省份名称（英文）", "Province name (English)"),
                      "region": ("四大区域", "NBS four-region division")}[col]
            unit, source = "", "analysis.data.provinces"
            definition = ("east, central, west, northeast (国家统计局东中西部和东北地区划分)"
                          if col == "region" else "")
        else:
            zh, en = lab.var(col, "zh"), lab.var(col, "en")
            if zh == col:  # no label anywhere (a test checks that the real build has none)
                zh = ""
            d = DEFINITIONS.get(col)
            unit = d.unit if d else (lab.unit(col) or "")
            if d:
                definition, source = d.definition, d.source
            elif col in FRAMEWORK_COLUMNS or col == "region":
                definition, source = src.get(col, ("", ""))[1], "integration.parquet"
            elif col in CHAIN_COLUMNS:
                definition, source = ("analysis.measures.io (carried forward between IO "
                                      "table years)", "chain_linkage_panel.parquet")
            else:
                source, definition = src.get(col, ("panel.parquet", ""))
        s = frame[col]
        yrs = frame.loc[s.notna() & (s.astype(str) != ""), "year"]
        rows.append({"variable": col, "label_zh": zh, "label_en": en, "unit": unit,
                     "label_full": full_label(zh, en, unit),
                     "label_stata": stata_label(zh, en, unit),
                     "definition": definition, "source": source,
                     "first_year": int(yrs.min()) if len(yrs) else pd.NA,
                     "last_year": int(yrs.max()) if len(yrs) else pd.NA,
                     "n_obs": int(len(yrs))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Stata characteristics (notes)
# --------------------------------------------------------------------------------------------

#: Width of the variable-name and characteristic-name fields of a format-118/119 file.
_CH_NAME = 129


def _dta_layout(data: bytes) -> tuple[str, int, list[int]]:
    """(byte order ``<``/``>``, position of the map's first offset, the 14 map offsets)."""
    if not data.startswith(b"<stata_dta><header><release>"):
        raise ValueError("not a Stata dta file of format 117 or later")
    release = int(data[28:31])
    if release not in (118, 119):
        raise ValueError(f"dta format {release}: only 118/119 (Stata 14+) are handled")
    bo = data[data.index(b"<byteorder>") + 11:][:3]
    order = "<" if bo == b"LSF" else ">"
    at = data.index(b"<map>") + 5
    offsets = list(struct.unpack(f"{order}14Q", data[at:at + 14 * 8]))
    return order, at, offsets


def add_characteristics(data: bytes, chars: Iterable[tuple[str, str, str]]) -> bytes:
    """Add characteristics ``varname[charname] = contents`` to a format-118/119 dta file.

    Each becomes ``<ch>llll varname\\0… charname\\0… contents\\0</ch>`` (names in 129-byte
    fields, contents UTF-8, ``llll`` = 258 + len(contents) + 1) right after
    ``<characteristics>``; the file map's offsets of the sections after it (data, strLs,
    value labels, end) move by the bytes inserted. Source: Stata ``help dta`` (§5.2 map,
    §5.9 characteristics). ``_dta`` as the variable name gives a dataset characteristic.

    Raises
    ------
    ValueError
        Not a format-118/119 file, a name longer than 128 bytes, or contents over Stata's
        67,784 bytes.
    """
    order, at, off = _dta_layout(data)
    pos = off[8]
    if data[pos:pos + 17] != b"<characteristics>":
        raise ValueError("dta map does not point at <characteristics>")
    blob = bytearray()
    for var, name, contents in chars:
        v, n, c = var.encode("utf-8"), name.encode("utf-8"), contents.encode("utf-8")
        if len(v) >= _CH_NAME or len(n) >= _CH_NAME:
            raise ValueError(f"characteristic name too long: {var}[{name}]")
        if len(c) + 1 > 67784:
            raise ValueError(f"characteristic {var}[{name}] exceeds 67,784 bytes")
        body = v.ljust(_CH_NAME, b"\0") + n.ljust(_CH_NAME, b"\0") + c + b"\0"
        blob += b"<ch>" + struct.pack(f"{order}I", len(body)) + body + b"</ch>"
    insert = pos + 17
    new = bytearray(data[:insert]) + blob + data[insert:]
    shifted = [o + len(blob) if i >= 9 else o for i, o in enumerate(off)]
    new[at:at + 14 * 8] = struct.pack(f"{order}14Q", *shifted)
    return bytes(new)


def read_characteristics(data: bytes) -> list[tuple[str, str, str]]:
    """The characteristics ``(varname, charname, contents)`` of a format-118/119 dta file,
    read through the file map (independent of any dta library).

    Raises
    ------
    ValueError
        Not a format-118/119 file, or a malformed characteristics section.
    """
    order, _at, off = _dta_layout(data)
    pos = off[8]
    if data[pos:pos + 17] != b"<characteristics>":
        raise ValueError("dta map does not point at <characteristics>")
    pos += 17
    out = []
    while data[pos:pos + 4] == b"<ch>":
        (n,) = struct.unpack(f"{order}I", data[pos + 4:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if data[pos + 8 + n:pos + 13 + n] != b"</ch>":
            raise ValueError(f"malformed characteristic at byte {pos}")
        var = body[:_CH_NAME].split(b"\0", 1)[0].decode("utf-8")
        name = body[_CH_NAME:2 * _CH_NAME].split(b"\0", 1)[0].decode("utf-8")
        contents = body[2 * _CH_NAME:].rstrip(b"\0").decode("utf-8")
        out.append((var, name, contents))
        pos += 13 + n
    if data[pos:pos + 18] != b"</characteristics>":
        raise ValueError(f"malformed characteristics section at byte {pos}")
    if off[9] != pos + 18:
        raise ValueError("dta map: <data> does not follow </characteristics>")
    return out


def notes_of(chars: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """``{varname: [note 1, note 2, …]}`` from characteristics (Stata's ``note0``/``noteN``)."""
    d: dict[str, dict[str, str]] = {}
    for var, name, contents in chars:
        d.setdefault(var, {})[name] = contents
    out = {}
    for var, ch in d.items():
        if "note0" in ch:
            out[var] = [ch.get(f"note{i}", "") for i in range(1, int(ch["note0"]) + 1)]
    return out


def _notes_chars(notes: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    chars = []
    for var, texts in notes.items():
        texts = [t for t in texts if t]
        if texts:
            chars.append((var, "note0", str(len(texts))))
            chars += [(var, f"note{i}", t) for i, t in enumerate(texts, 1)]
    return chars


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------


def dta_bytes(frame: pd.DataFrame, cb: pd.DataFrame) -> bytes:
    """``frame`` as a Stata format-118 file: labels, value labels on ``province_code``, notes.

    Strings are stored as Stata strings (missing = ""), nullable integers as doubles (missing
    = ``.``). Every variable gets note 1 = its full label and note 2 = its definition and
    source (:func:`codebook`); the dataset gets a note naming the codebook.
    """
    from analysis.data.provinces import PROVINCES

    dta = frame.copy()
    for c in dta.columns:
        if dta[c].dtype == object or pd.api.types.is_string_dtype(dta[c]):
            dta[c] = dta[c].astype(object).where(dta[c].notna(), "").astype(str)
        elif pd.api.types.is_extension_array_dtype(dta[c]):
            dta[c] = dta[c].astype("float64")
    dta["province_code"] = dta["province_code"].astype("int32")
    dta["year"] = dta["year"].astype("int16")
    names = PROVINCES.set_index("province_code")
    vl = {"province_code": {int(k): f"{r.name_zh} {r.name_en}" for k, r in names.iterrows()}}
    by = cb.set_index("variable")
    labels = {c: by.at[c, "label_stata"] for c in dta.columns}
    notes = {}
    for c in dta.columns:
        texts = [by.at[c, "label_full"]]
        d, s = by.at[c, "definition"], by.at[c, "source"]
        extra = "; ".join(x for x in (f"definition: {d}" if isinstance(d, str) and d else "",
                                       f"source: {s}" if isinstance(s, str) and s else "") if x)
        texts.append(extra)
        notes[c] = texts
    notes["_dta"] = ["Analysis dataset of the S&T × industrial innovation suite (python -m "
                     "analysis all): one row per province-year; full labels, definitions and "
                     "sources in analysis_codebook.csv and in each variable's notes."]
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dta.to_stata(buf, write_index=False, version=118, variable_labels=labels,
                     value_labels=vl,
                     data_label="Analysis dataset: 31 provinces x years (see notes)")
    return add_characteristics(buf.getvalue(), _notes_chars(notes))


def write(out: Path, frame: pd.DataFrame, cb: pd.DataFrame) -> list[Path]:
    """Write the four files atomically (each to a temporary file, then renamed)."""
    out.mkdir(parents=True, exist_ok=True)
    pq = io.BytesIO()
    frame.to_parquet(pq, index=False)
    files = {
        PARQUET: pq.getvalue(),
        DTA: dta_bytes(frame, cb),
        CSV: frame.to_csv(index=False).encode("utf-8-sig"),  # shortest round-trip floats
        CODEBOOK: cb.to_csv(index=False).encode("utf-8-sig"),
    }
    for name, data in files.items():
        paths.atomic_write_bytes(out / name, data)
    return [out / n for n in files]


def load() -> pd.DataFrame:
    """``data/processed/analysis.parquet``.

    Raises
    ------
    FileNotFoundError
        It does not exist (run ``python -m analysis models``, which builds it first).
    """
    p = paths.processed_dir() / PARQUET
    if not p.exists():
        raise FileNotFoundError(f"{p} not found: run `python -m analysis data build` and the "
                                "dataset step (`python -m analysis models` runs both)")
    return pd.read_parquet(p)


def run(verbose: bool = False) -> list[Path]:
    """Build the analysis dataset from ``data/processed/`` and write it (the ``dataset`` step).

    Reads ``panel.parquet`` (required), ``integration.parquet`` and
    ``chain_linkage_panel.parquet`` (their columns left out when absent), ``codebook.csv`` and
    ``integration_codebook.csv`` (labels).

    Raises
    ------
    FileNotFoundError
        ``panel.parquet`` is missing.
    ValueError
        The panel lacks a province or any year of :data:`YEARS`.
    """
    proc = paths.processed_dir()
    panel_p = proc / "panel.parquet"
    if not panel_p.exists():
        raise FileNotFoundError(f"{panel_p} not found: run `python -m analysis data build` first")

    def opt(name: str, csv: bool = False):
        p = proc / name
        if not p.exists():
            return None
        return pd.read_csv(p, encoding="utf-8-sig") if csv else pd.read_parquet(p)

    panel = pd.read_parquet(panel_p)
    frame = analysis_dataset(panel, opt("integration.parquet"), opt("chain_linkage_panel.parquet"))
    cb = codebook(frame, [opt("codebook.csv", True), opt("integration_codebook.csv", True)])
    written = write(proc, frame, cb)
    if verbose:
        print(f"dataset: wrote {', '.join(p.name for p in written)} ({len(frame)} rows × "
              f"{frame.shape[1]} columns, {frame.year.min()}–{frame.year.max()})", flush=True)
    return written


__all__ = ["CHAIN_COLUMNS", "COLUMNS", "DEFINITIONS", "FRAMEWORK_COLUMNS", "YEARS",
           "add_characteristics", "analysis_dataset", "build_frame", "codebook", "dta_bytes",
           "full_label", "load", "notes_of", "read_characteristics", "run", "stata_label",
           "structural_height", "write"]
