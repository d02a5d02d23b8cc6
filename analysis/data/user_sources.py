"""User series from NBS data-portal exports (国家统计局 国家数据, 分省年度数据): parse, register,
verify.

``python -m analysis data import FILE [--name NAME]`` (:func:`import_file`) reads an export,
checks it, copies it to ``data/raw/user/<name><ext>`` (never committed: ``data/raw`` is ignored
by git) and records its SHA-256 in ``data/user_sources.csv`` (:data:`RECORD`, a small text file
outside ``data/raw`` that may be committed, so that a colleague with the same file rebuilds the
same panel). The next ``python -m analysis data build`` merges every registered series into
``panel.parquet`` with a codebook row (:mod:`analysis.data.sources.user`); a registered file
whose bytes no longer match the recorded SHA-256 stops the build before anything is written.

The layout read (what the portal's "下载" button writes, as CSV or Excel)
----------------------------------------------------------------------
::

    数据库：分省年度数据
    指标：规模以上工业企业单位数(个)
    时间：最近10年
    地区,2023年,2022年,…,2014年
    全国,482192,451885,…            <- optional national row: dropped
    北京市,2958,3047,…
    …                                (31 provinces, any spelling the normaliser knows)
    新疆维吾尔自治区,4337,4076,…
    注：…                            <- footnotes (注, 附注, 说明, 数据来源, 资料来源): kept as notes
    数据来源：国家统计局

* CSV in UTF-8 (with or without BOM) or GBK/GB18030 (tried in that order with
  ``pandas.read_csv``), ``.xlsx`` and ``.xls`` (``pandas.read_excel``; an ``.xls`` that is an
  HTML export is read with ``pandas.read_html``). The first sheet of a workbook.
* ``指标：<label>(<unit>)``: the label and the unit (full- or half-width parentheses) become the
  codebook's ``label_zh`` and ``unit``; values are stored as exported, in that unit.
* Year columns ``2023年`` (or ``2023``); the order does not matter.
* A blank cell is missing (NaN), never 0; any other non-numeric cell is an error naming it.
* Rows that are national totals or regional subtotals (全国, 东部地区 …) are dropped; every other
  row must be one of the 31 provinces, each exactly once, all 31 present (an export with a
  province missing is refused: add the row with empty cells).

Every problem raises :class:`ImportFormatError` saying what was expected and how to fix the
file; nothing is written unless the whole file is valid, and the copy and the record are each
written through a temporary file and a rename.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.data.provinces import (
    PROVINCES,
    UnknownProvinceError,
    is_aggregate,
    normalise,
    normalise_series,
)

__all__ = ["ImportFormatError", "UserSourceError", "NbsExport", "UserSource", "RECORD_COLUMNS",
           "parse_nbs_export", "import_file", "load_records", "record_path", "verify",
           "read_all", "reserved_names", "USER_DIR"]

USER_DIR = "user"
"""Folder under ``data/raw`` holding the imported files."""

RECORD_COLUMNS = ["name", "file", "sha256", "bytes", "label_zh", "label_en", "unit",
                  "first_year", "last_year", "original_name", "imported_at"]
"""Columns of ``data/user_sources.csv``."""

SUFFIXES = (".csv", ".xlsx", ".xls")
_FOOTNOTE = re.compile(r"^(注|附注|说明|数据来源|资料来源|来源)\s*[:：]?")
_META = re.compile(r"^(数据库|指标|时间|地区|频度)\s*[:：]\s*(.*)$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")
_UNIT = re.compile(r"^(.*?)\s*[(（]([^()（）]+)[)）]\s*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig also reads UTF-8 without BOM; gb18030 ⊃ GBK

_LAYOUT = ("an NBS data-portal export of 分省年度数据: lines 数据库：…, 指标：<label>(<unit>), "
           "时间：…, then a header row 地区,2023年,2022年,… and one row per province, footnotes "
           "(注：…, 数据来源：…) after the table")


class ImportFormatError(ValueError):
    """The file is not an NBS 分省年度数据 export as expected; the message says how to fix it."""


class UserSourceError(RuntimeError):
    """A registered user file is missing or its bytes differ from the recorded SHA-256."""


@dataclass(frozen=True)
class NbsExport:
    """A parsed export.

    Attributes
    ----------
    label, unit : str
        From the ``指标`` line (``规模以上工业企业单位数``, ``个``).
    database, period : str
        The ``数据库`` and ``时间`` lines ('' when absent).
    data : DataFrame
        ``province_code`` (int64), ``year`` (int64), ``value`` (float64, NaN where blank):
        31 × years rows, sorted.
    dropped : list of str
        Row labels dropped as national totals or regional subtotals (``['全国']``).
    notes : list of str
        Footnote lines, as written.
    """

    label: str
    unit: str
    database: str
    period: str
    data: pd.DataFrame
    dropped: list[str]
    notes: list[str]

    @property
    def years(self) -> list[int]:
        return sorted(self.data["year"].unique().tolist())


@dataclass(frozen=True)
class UserSource:
    """One row of ``data/user_sources.csv``."""

    name: str
    file: str          # relative to data/raw
    sha256: str
    bytes: int
    label_zh: str
    label_en: str
    unit: str
    first_year: int
    last_year: int
    original_name: str
    imported_at: str


# --------------------------------------------------------------------------------------------
# reading an export
# --------------------------------------------------------------------------------------------

def _clean(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v).replace("\ufeff", "").strip()


def _decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _cells(path: Path) -> list[list[str]]:
    """Every row of the file as a list of stripped strings ('' for an empty cell)."""
    ext = path.suffix.lower()
    if ext not in SUFFIXES:
        raise ImportFormatError(f"{path.name}: expected a .csv, .xlsx or .xls file (the formats "
                                f"the NBS data portal exports), got {ext or 'no extension'!r}")
    if ext == ".csv":
        raw = path.read_bytes()
        for enc in _ENCODINGS:
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                continue
            ncols = 1 + max((len(r) - 1 for r in csv.reader(io.StringIO(text))), default=0)
            df = pd.read_csv(io.BytesIO(raw), encoding=enc, header=None, dtype=str,
                             keep_default_na=False, names=list(range(ncols)),
                             skip_blank_lines=False, engine="python")
            break
        else:
            raise ImportFormatError(
                f"{path.name}: the CSV is neither UTF-8 nor GBK/GB18030; open it in a "
                "spreadsheet and save it as 'CSV UTF-8' (or export it again from the portal)")
    else:
        try:
            df = pd.read_excel(path, header=None, dtype=str, sheet_name=0)
        except Exception as exc:  # noqa: BLE001 - xlrd/openpyxl raise many types
            head = path.read_bytes()[:512].lstrip().lower()
            if ext == ".xls" and (head.startswith(b"<") or b"<html" in head):
                raw = path.read_bytes()
                text = next((t for t in (_decode(raw, e) for e in ("utf-8-sig", "gb18030"))
                             if t is not None), None)
                if text is None:
                    raise ImportFormatError(f"{path.name}: an HTML .xls in an unknown encoding; "
                                            "save it as .xlsx or CSV") from exc
                df = pd.read_html(io.StringIO(text), header=None)[0]
            else:
                raise ImportFormatError(f"{path.name}: not a readable Excel file ({exc}); "
                                        "export it again from the portal, or save it as .xlsx "
                                        "or CSV") from exc
    rows = [[_clean(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return [r[: max((i + 1 for i, v in enumerate(r) if v), default=0)] for r in rows]


def _is_place(label: str) -> bool:
    """Whether ``label`` names a province or a national/regional total."""
    if is_aggregate(label):
        return True
    try:
        normalise(label)
    except UnknownProvinceError:
        return False
    return True


def _number(cell: str, where: str) -> float:
    if cell == "":
        return float("nan")
    try:
        return float(cell.replace(",", ""))
    except ValueError:
        raise ImportFormatError(
            f"{where}: {cell!r} is not a number; leave the cell empty if the value is missing "
            "(a blank is read as missing, never as 0)") from None


def parse_nbs_export(path: Path | str) -> NbsExport:
    """Parse an NBS data-portal export of 分省年度数据 (one indicator, provinces × years).

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` (UTF-8 with or without BOM, or GBK), ``.xlsx`` or ``.xls``.

    Returns
    -------
    NbsExport
        ``data`` holds 31 × (number of year columns) rows: ``province_code``, ``year``,
        ``value`` (in the unit of the ``指标`` line; NaN where the cell is blank).

    Raises
    ------
    ImportFormatError
        The layout differs from the export's (see the module docstring): no ``指标`` line or no
        unit in it, no ``地区`` header row, a header cell that is not a year, a duplicated year,
        a non-numeric cell, an unknown, duplicated or missing province, a row after the
        footnotes. The message names the line and says how to fix the file.
    FileNotFoundError
        ``path`` does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    rows = _cells(path)
    meta: dict[str, str] = {}
    header_at = None
    for i, r in enumerate(rows):
        if not r:
            continue
        if r[0].replace(" ", "") == "地区":
            header_at = i
            break
        m = _META.match(r[0])
        if m:
            meta[m.group(1)] = (m.group(2) + "".join(r[1:])).strip()
    if "指标" not in meta:
        raise ImportFormatError(f"{path.name}: no line '指标：<label>(<unit>)' before the table; "
                                f"expected {_LAYOUT}. Add the line, e.g. "
                                "'指标：规模以上工业企业单位数(个)'")
    um = _UNIT.match(meta["指标"])
    if um is None:
        raise ImportFormatError(f"{path.name}: the 指标 line {meta['指标']!r} gives no unit in "
                                "parentheses; write it as in the portal's export, e.g. "
                                "'指标：地区生产总值(亿元)'")
    label, unit = um.group(1).strip(), um.group(2).strip()
    if header_at is None:
        fixed = f" (地区 is fixed to {meta['地区']!r} in this export)" if "地区" in meta else ""
        raise ImportFormatError(f"{path.name}: no header row starting with 地区{fixed}; expected "
                                f"{_LAYOUT}. In the portal put 地区 in the rows and 时间 in the "
                                "columns, with one 指标, and download again")
    header = rows[header_at]
    years: list[int] = []
    for j, cell in enumerate(header[1:], start=2):
        m = _YEAR.match(cell)
        if m is None:
            raise ImportFormatError(
                f"{path.name}, line {header_at + 1}, column {j}: header {cell!r} is not a year "
                "like '2023年'; the export must have provinces as rows and years as columns "
                "(one indicator per file)")
        years.append(int(m.group(1)))
    if not years:
        raise ImportFormatError(f"{path.name}, line {header_at + 1}: the 地区 header row has no "
                                "year columns ('2023年', '2022年', …)")
    dup = sorted({y for y in years if years.count(y) > 1})
    if dup:
        raise ImportFormatError(f"{path.name}, line {header_at + 1}: year(s) {dup} appear twice")
    names, lines, values, notes = [], [], [], []
    in_notes = False  # after a footnote or a blank line that follows the table
    for i in range(header_at + 1, len(rows)):
        r = rows[i]
        if not r:
            in_notes = in_notes or bool(names)
            continue
        if _FOOTNOTE.match(r[0]) or (in_notes and len(r) == 1 and not _is_place(r[0])):
            notes.append(" ".join(c for c in r if c))  # a footnote or its continuation
            in_notes = True
            continue
        if in_notes:
            raise ImportFormatError(
                f"{path.name}, line {i + 1}: a table row ({r[0]!r}) after the footnotes or a blank "
                "line; keep one table with the footnotes below it")
        if len(r) > len(header):
            raise ImportFormatError(f"{path.name}, line {i + 1}: {len(r)} cells, but the header "
                                    f"has {len(header)}")
        cells = r[1:] + [""] * (len(header) - len(r))
        names.append(r[0])
        lines.append(i + 1)
        values.append([_number(c, f"{path.name}, line {i + 1} ({r[0]}), {years[k]}")
                       for k, c in enumerate(cells)])
    if not names:
        raise ImportFormatError(f"{path.name}: the table under the 地区 header has no rows")
    table = pd.DataFrame(values, columns=years, index=pd.Index(lines, name="line"))
    label_s = pd.Series(names, index=table.index)
    agg = label_s.map(is_aggregate).astype(bool)
    try:
        codes = normalise_series(label_s[~agg], source=path.name)
    except UnknownProvinceError as exc:
        raise ImportFormatError(f"{exc}\n(rows are line numbers of the file). Expected the 31 "
                                "provinces' names (北京市, 内蒙古自治区, …); correct the name or "
                                "delete a row that is not a province") from None
    table = table[~agg]
    dups = codes[codes.duplicated(keep=False)]
    if len(dups):
        raise ImportFormatError(
            f"{path.name}: province(s) listed twice: "
            + "; ".join(f"{PROVINCES.at[c, 'name_zh']} at lines {g.index.tolist()}"
                        for c, g in dups.groupby(dups)))
    missing = sorted(set(PROVINCES["province_code"]) - set(codes))
    if missing:
        raise ImportFormatError(
            f"{path.name}: {len(missing)} province(s) missing: "
            + ", ".join(f"{PROVINCES.at[c, 'name_zh']} ({c})" for c in missing)
            + "; the 分省年度数据 export lists all 31: add the missing row(s), with empty cells "
              "where there is no value")
    table.index = codes.to_numpy()
    long = (table.rename_axis("province_code").reset_index()
            .melt(id_vars="province_code", var_name="year", value_name="value"))
    long = long.astype({"province_code": "int64", "year": "int64", "value": "float64"})
    return NbsExport(label=label, unit=unit, database=meta.get("数据库", ""),
                     period=meta.get("时间", ""),
                     data=long.sort_values(["province_code", "year"], ignore_index=True),
                     dropped=label_s[agg].tolist(), notes=notes)


# --------------------------------------------------------------------------------------------
# the record of registered user sources
# --------------------------------------------------------------------------------------------

def record_path() -> Path:
    """``data/user_sources.csv`` of the project root (the registered user sources)."""
    return paths.project_root() / "data" / "user_sources.csv"


def load_records() -> list[UserSource]:
    """The registered user sources (empty when none was imported).

    Raises
    ------
    UserSourceError
        The record exists but lacks a column or repeats a name.
    """
    p = record_path()
    if not p.is_file():
        return []
    df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in RECORD_COLUMNS if c not in df.columns]
    if missing:
        raise UserSourceError(f"{p}: columns {missing} missing; re-import the files with "
                              "`python -m analysis data import FILE --name NAME --replace`")
    if df["name"].duplicated().any():
        raise UserSourceError(f"{p}: name(s) {df.loc[df['name'].duplicated(), 'name'].tolist()} "
                              "appear twice")
    return [UserSource(**{**{c: r[c] for c in RECORD_COLUMNS}, "bytes": int(r["bytes"]),
                          "first_year": int(r["first_year"]), "last_year": int(r["last_year"])})
            for r in df.to_dict("records")]


def _write_records(records: list[UserSource]) -> None:
    df = pd.DataFrame([dataclasses.asdict(r) for r in records], columns=RECORD_COLUMNS)
    paths.atomic_write_bytes(record_path(), df.to_csv(index=False, lineterminator="\n")
                             .encode("utf-8"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(raw_dir: Path | None = None) -> list[UserSource]:
    """Check every registered file against its recorded SHA-256 and size.

    Returns
    -------
    list of UserSource

    Raises
    ------
    UserSourceError
        A file is missing or its bytes changed (naming the file and both hashes, and how to
        re-register it).
    """
    raw = Path(raw_dir) if raw_dir is not None else paths.raw_dir()
    recs = load_records()
    for r in recs:
        f = raw / r.file
        if not f.is_file():
            raise UserSourceError(
                f"user source {r.name!r}: {f} is missing (recorded in {record_path()}); import "
                f"the original file again: python -m analysis data import FILE --name {r.name} "
                "--replace")
        got = _sha256(f)
        if got != r.sha256:
            raise UserSourceError(
                f"user source {r.name!r}: {f} changed since it was imported (sha256 {got[:12]}…, "
                f"recorded {r.sha256[:12]}…); raw files are never edited. If the new file is "
                f"meant, import it again: python -m analysis data import FILE --name {r.name} "
                "--replace")
    return recs


def read_all(raw_dir: Path | None = None) -> list[tuple[UserSource, NbsExport]]:
    """Verify and parse every registered user source (nothing is written)."""
    raw = Path(raw_dir) if raw_dir is not None else paths.raw_dir()
    return [(r, parse_nbs_export(raw / r.file)) for r in verify(raw)]


def reserved_names() -> set[str]:
    """Column names a user series may not take: every parser's and the pipeline's columns."""
    import importlib

    from analysis.data import pipeline

    names = set(pipeline.KEYS) | {v.name for v in pipeline.DERIVED}
    for src in pipeline.PANEL_SOURCES:
        if src == "user":
            continue
        mod = importlib.import_module(f"analysis.data.sources.{src}")
        names |= {v.name for v in getattr(mod, "VARIABLES", [])}
    names |= {"nqp_" + n for n in list(names)} | {"gpi_" + n for n in list(names)}
    return names


def import_file(file: Path | str, name: str | None = None, *, label_en: str | None = None,
                replace: bool = False) -> tuple[UserSource, NbsExport]:
    """Register an NBS export as a user source (``python -m analysis data import``).

    Parameters
    ----------
    file : str or pathlib.Path
        The export (see :func:`parse_nbs_export`).
    name : str, optional
        Panel column name: lower-case snake_case, at most 32 characters, starting with a letter
        (Stata's limit). Default: the file name's stem, when it is such a name.
    label_en : str, optional
        English label for the codebook and ``panel.dta`` (default: the name).
    replace : bool
        Replace a user source already registered under ``name``.

    Returns
    -------
    (UserSource, NbsExport)
        The record written and the parsed series.

    Raises
    ------
    ImportFormatError
        The file's layout (nothing written), or a bad / taken ``name``.
    FileNotFoundError
        ``file`` does not exist.

    Notes
    -----
    Order of work: parse and check everything, then copy the file to
    ``data/raw/user/<name><ext>`` through a temporary file, then rewrite the record through a
    temporary file; if the record cannot be written the copy is removed again.
    """
    file = Path(file)
    export = parse_nbs_export(file)
    if name is None:
        name = re.sub(r"[^a-z0-9_]+", "_", file.stem.lower()).strip("_")
        if not _NAME.match(name):
            raise ImportFormatError(
                f"{file.name}: give the series a column name with --name (lower-case letters, "
                "digits and _, starting with a letter, at most 32 characters), e.g. "
                "--name ind_firms")
    if not _NAME.match(name):
        raise ImportFormatError(f"--name {name!r}: use lower-case letters, digits and _, "
                                "starting with a letter, at most 32 characters (e.g. ind_firms)")
    if name in reserved_names():
        raise ImportFormatError(f"--name {name!r} is already a panel column (docs/CONTRACTS.md); "
                                "choose another name")
    records = load_records()
    if any(r.name == name for r in records) and not replace:
        raise ImportFormatError(f"--name {name!r}: a user source of that name is registered "
                                f"({record_path()}); add --replace to replace it")
    raw = paths.raw_dir()
    rel = f"{USER_DIR}/{name}{file.suffix.lower()}"
    data = file.read_bytes()
    rec = UserSource(
        name=name, file=rel, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
        label_zh=export.label, label_en=label_en or name, unit=export.unit,
        first_year=min(export.years), last_year=max(export.years), original_name=file.name,
        imported_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    old = [r for r in records if r.name == name]
    dest = raw / rel
    backup = None
    if old and (raw / old[0].file).is_file():
        backup = (raw / old[0].file).read_bytes()
        (raw / old[0].file).unlink()
    paths.atomic_write_bytes(dest, data)
    try:
        _write_records([r for r in records if r.name != name] + [rec])
    except BaseException:
        dest.unlink(missing_ok=True)
        if backup is not None:
            paths.atomic_write_bytes(raw / old[0].file, backup)
        raise
    return rec, export


def summary_text(rec: UserSource, export: NbsExport) -> str:
    """What ``data import`` prints."""
    d = export.data
    lines = [
        f"imported {export.label} ({export.unit}) as {rec.name}: 31 provinces x "
        f"{len(export.years)} years ({rec.first_year}-{rec.last_year}), "
        f"{int(d['value'].notna().sum())} values, {int(d['value'].isna().sum())} blank (missing)",
    ]
    if export.dropped:
        lines.append(f"  rows dropped as national/regional totals: {', '.join(export.dropped)}")
    if export.notes:
        lines.append(f"  footnotes ({len(export.notes)}): " + " | ".join(export.notes)[:300])
    outside = [y for y in export.years if not 2000 <= y <= 2024]
    if outside:
        lines.append(f"  years outside the panel's 2000-2024 are kept in the file but not in "
                     f"the panel: {outside}")
    try:
        where = record_path().relative_to(paths.project_root()).as_posix()
    except ValueError:
        where = str(record_path())
    lines.append(f"  stored as data/raw/{rec.file} (sha256 {rec.sha256[:12]}…), recorded in "
                 f"{where}")
    lines.append("  run `python -m analysis data build` to merge it into the panel")
    return "\n".join(lines)
