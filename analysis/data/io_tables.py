"""Provincial (2002, 2007, 2012, 2017) and national (2002, 2005, 2007, 2012, 2015, 2017, 2018,
2020) 42-sector input-output tables, in 亿元.

Source: ``io_provincial/`` of the raw mirror (github common2016/CHNIO; NBS and provincial
statistical bureaus' official tables, published in 万元 at current producer prices; converted
to 亿元 on reading, see *Units* below). One ``.xls`` (BIFF) per
province and year, named ``<n><省名>.xls`` (2002–2012) or ``<nn>-<省名>.xls`` (2017); ``0中国.xls``
is the national table (2002, 2007, 2012).

Layouts found in the files (verified for every file by :func:`read_io`, which locates the
code row and the code column instead of trusting fixed offsets):

============  ===========================================================================
table         final-use / trade columns after ``TIU`` (as published)
============  ===========================================================================
2002 prov.    FU101 FU102 THC FU103 TC FU201 FU202 GCF **NOF** TFU GO — ``NOF`` is *net*
              outflow (exports + outflow − imports − inflow); gross trade is not published
2007 prov.    … GCF **FU302** TFU **FU304** ERR GO — FU302 流出 (exports and outflows to other
              provinces together), FU304 流入 (imports and inflows together)
2012/17 prov. … GCF EX OF TFU IM IF ERR GO — exports, outflow to other provinces, imports,
              inflow from other provinces, 其他 (statistical discrepancy)
national      … GCF EX TFU IM ERR GO (2002, 2007, 2012)
============  ===========================================================================

Rows are always ``01``–``42``, ``TII``, ``VA001``–``VA004``, ``TVA``, ``TI``. Imports and
inflows are stored as positive numbers and subtracted: GO = TIU + TFU − IM − IF + ERR.

**The 42 sectors are not the same classification in every year.** 2002, 2007 and 2012/2017
use different 42-sector lists (e.g. code 20 is 仪器仪表及文化办公用机械 in 2002/2007 but
通信设备、计算机和其他电子设备 in 2012/2017; 2017 splits 科学研究和技术服务 into 35 研究和试验发展
and 36 综合技术服务). ``io_sectors.csv`` therefore lists the sectors per ``io_year``
(classification year); always join on (``io_year``, ``sector``).

National tables as R data (``io_national/``, github Carol-seven/ionet, NBS tables in 万元):
:func:`read_national_io` reads the 42-sector ones — 2005 (extension table, 2007 classification),
2015 (extension table, 2012 classification), both *competitive-import* (rows = products of any
origin, imports in an ``IM`` column), and 2017, 2018 (extension) and 2020 (2017 classification),
*non-competitive* (each product row is split ``Origin`` = ``Domestic`` / ``Imports``; there is
no ``IM`` column). For non-competitive tables ``Z`` is the domestic intermediate block and
``final`` the domestic rows, so GO = TIU + TFU per sector; the import rows (intermediate and
final use of imported products, their total in ``GO``) go to a separate ``imports`` frame.
The 2010 table has 41 sectors and the 122-153-sector tables another classification: not read.
:func:`read_io_all` combines provincial and national frames; every row carries ``source``
(``io_provincial`` / ``io_national``) and ``table_type`` (``competitive`` / ``non-competitive``).
:data:`CLASSIFICATION_YEAR` maps a national table year to its 42-sector list.

Not readable: the two national files at the top of ``io_provincial/``
(``2017年全国42个部门基本流量表.xls``, ``2018年全国42部门非竞争型投入产出表.xls``) are Word-HTML
(MHTML) documents, not spreadsheets, and in the mirrored copies every number is masked as
``[**]``; :func:`read_national_html` detects this and raises :class:`IOTableFormatError`.
:func:`read_io` skips them (it reports them in ``skipped``).

Units: the files are in 万元; every amount returned here (:func:`read_io_file`, :func:`read_io`,
:func:`io_table`, :class:`IOTable`) is in **亿元** (published value / :data:`WAN_PER_YI`), the
project's money unit. Ratios (technical coefficients, shares, linkage indices) are unchanged.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xlrd

from analysis.data.provinces import normalise

__all__ = [
    "IO_YEARS",
    "IOTable",
    "IOTableFormatError",
    "io_sectors",
    "io_table",
    "io_tables_from_frames",
    "list_io_files",
    "read_io",
    "read_io_file",
    "read_national_html",
    "read_national_io",
    "read_national_file",
    "read_io_all",
    "classification_year",
    "CLASSIFICATION_YEAR",
    "go_ti_check",
    "io_codebook",
    "WAN_PER_YI",
    "GO_TI_ATOL",
]

IO_YEARS: tuple[int, ...] = (2002, 2007, 2012, 2017)
N_SECTORS = 42
SECTOR_CODES: tuple[str, ...] = tuple(f"{i:02d}" for i in range(1, N_SECTORS + 1))
VA_ROWS: tuple[str, ...] = ("TII", "VA001", "VA002", "VA003", "VA004", "TVA", "TI")
NATIONAL_CODE = 0
WAN_PER_YI = 1e4
"""万元 per 亿元: published 万元 amounts are divided by this to give 亿元."""
GO_TI_ATOL = 1e-4
"""Absolute tolerance of the GO = TI identity, 亿元 (= 1 万元, the tables' rounding unit)."""
CLASSIFICATION_YEAR: dict[int, int] = {
    2002: 2002, 2007: 2007, 2012: 2012, 2017: 2017,
    2005: 2007, 2015: 2012, 2018: 2017, 2020: 2017,
}
"""Table year -> year of the 42-sector list (``io_sectors``) its codes follow."""
NATIONAL_RDA: dict[int, str] = {
    2005: "china_2005_42.rda", 2015: "china_2015_42.rda", 2017: "china_2017_42.rda",
    2018: "china_2018_42.rda", 2020: "china_2020_42.rda",
}
"""The 42-sector national tables of ``io_national/`` read by :func:`read_national_io`."""
COMPETITIVE, NON_COMPETITIVE = "competitive", "non-competitive"
_PASSWORD = "VelvetSweatshop"  # Excel's default "encryption" password (see DESIGN.md)


class IOTableFormatError(ValueError):
    """An input-output file whose layout is not the one documented (names the file and cell)."""


# --------------------------------------------------------------------------------------
# file discovery and province codes
# --------------------------------------------------------------------------------------


def _province_code(name: str, source: Path) -> int:
    """Map the name part of a file name (``江苏``, ``中国``) to a GB/T 2260 code (0 = national)."""
    if name in ("中国", "全国"):
        return NATIONAL_CODE
    return normalise(name, source=str(source), row="file name")


def _io_root(raw_dir: Path | str) -> Path:
    raw_dir = Path(raw_dir)
    if (raw_dir / "io_provincial").is_dir():
        return raw_dir / "io_provincial"
    return raw_dir


def list_io_files(raw_dir: Path | str) -> pd.DataFrame:
    """List the provincial/national ``.xls`` tables under ``raw_dir``.

    Parameters
    ----------
    raw_dir : path
        ``data/raw`` (holding ``io_provincial/``) or the ``io_provincial`` folder itself.

    Returns
    -------
    DataFrame
        Columns ``province_code`` (int, 0 = national), ``year`` (int), ``path`` (Path), one row
        per table, sorted by year and code.

    Raises
    ------
    FileNotFoundError
        If no year folder ``<year>年各省份投入产出表`` exists under ``raw_dir``.
    IOTableFormatError
        If a file name does not name a province, or two files map to the same province-year.
    """
    root = _io_root(raw_dir)
    rows = []
    folders = sorted(root.glob("*年各省份投入产出表"))
    if not folders:
        raise FileNotFoundError(
            f"no input-output year folders ('<year>年各省份投入产出表') under {root}; "
            "run `python -m analysis data fetch` first"
        )
    for folder in folders:
        year = int(folder.name[:4])
        for path in sorted(folder.glob("*.xls")):
            m = re.fullmatch(r"\d+-?(.+)\.xls", path.name)
            if not m:
                raise IOTableFormatError(f"{path}: file name is not '<number><province>.xls'")
            rows.append((_province_code(m.group(1).strip(), path), year, path))
    out = pd.DataFrame(rows, columns=["province_code", "year", "path"])
    dup = out.duplicated(["province_code", "year"], keep=False)
    if dup.any():
        raise IOTableFormatError(
            "two files for the same province-year: "
            + "; ".join(str(p) for p in out.loc[dup, "path"])
        )
    out[["province_code", "year"]] = out[["province_code", "year"]].astype("int64")
    return out.sort_values(["year", "province_code"], ignore_index=True)


# --------------------------------------------------------------------------------------
# reading one workbook
# --------------------------------------------------------------------------------------


def _open_workbook(path: Path) -> xlrd.book.Book:
    data = path.read_bytes()
    if data[:4] == b"Mime" or data.lstrip()[:1] == b"<":
        raise IOTableFormatError(
            f"{path}: an HTML/MHTML document, not an .xls workbook (use read_national_html)"
        )
    log = io.StringIO()  # xlrd prints warnings about damaged files; keep them for the message
    try:
        return xlrd.open_workbook(file_contents=data, logfile=log)
    except xlrd.XLRDError as exc:
        if "encrypted" not in str(exc).lower():
            raise IOTableFormatError(
                f"{path}: not a readable .xls workbook ({exc}) {log.getvalue().strip()}"
            ) from exc
    except Exception as exc:  # xlrd raises IndexError/AssertionError on truncated files
        raise IOTableFormatError(
            f"{path}: damaged or truncated .xls ({type(exc).__name__}: {exc}) "
            f"{log.getvalue().strip()}"
        ) from exc
    import msoffcrypto  # only for Excel-"encrypted" files (default password)

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=_PASSWORD)
        out = io.BytesIO()
        office.decrypt(out)
    except Exception as exc:
        raise IOTableFormatError(
            f"{path}: encrypted workbook that the default password does not open: {exc}"
        ) from exc
    return xlrd.open_workbook(file_contents=out.getvalue(), logfile=log)


def _code(v: object) -> str:
    """Normalise a code cell: 10.0 -> '10', ' FU101 ' -> 'FU101', '—' -> '-'."""
    if isinstance(v, float):
        return f"{int(v):02d}" if v == int(v) else repr(v)
    s = re.sub(r"\s+", "", str(v))
    return "-" if s in ("—", "－", "–") else s


def _locate(rows: list[list], path: Path) -> tuple[int, int]:
    """Find the header row (holding TIU and GO) and the code column (holding TII)."""
    header = next(
        (r for r, vals in enumerate(rows[:15]) if {"TIU", "GO"} <= {_code(v) for v in vals}),
        None,
    )
    if header is None:
        raise IOTableFormatError(f"{path}: no header row with the codes 'TIU' and 'GO'")
    ncols = max(len(r) for r in rows)
    for c in range(min(6, ncols)):
        if any(_code(r[c]) == "TII" for r in rows if c < len(r)):
            return header, c
    raise IOTableFormatError(f"{path}: no code column with 'TII' in the first six columns")


def _sheet_rows(book: xlrd.book.Book, path: Path) -> list[list]:
    for sheet in book.sheets():
        rows = [sheet.row_values(r) for r in range(sheet.nrows)]
        if any({"TIU", "GO"} <= {_code(v) for v in vals} for vals in rows[:15]):
            return rows
    raise IOTableFormatError(
        f"{path}: no sheet holds an input-output table (header row with 'TIU' and 'GO'); "
        f"sheets: {book.sheet_names()}"
    )


def _numeric(block: np.ndarray, path: Path, what: str, r0: int, c0: int) -> np.ndarray:
    """Convert a block of xlrd cell values to float; '' and None count as 0 (blank cells)."""
    out = np.empty(block.shape, dtype="float64")
    for (i, j), v in np.ndenumerate(block):
        if isinstance(v, float | int):
            out[i, j] = v
        elif v is None or (isinstance(v, str) and v.strip() in ("", "-", "—")):
            out[i, j] = 0.0
        else:
            try:
                out[i, j] = float(str(v).replace(",", ""))
            except ValueError:
                raise IOTableFormatError(
                    f"{path}: non-numeric value {v!r} in the {what} block at row {r0 + i + 1}, "
                    f"column {c0 + j + 1}"
                ) from None
    return out


@dataclass(frozen=True)
class _Parsed:
    Z: np.ndarray  # 42 x 42
    final: pd.DataFrame  # 42 sectors x items (TIU, FU101, ..., GO)
    va: pd.DataFrame  # rows TII..TI x 42 sectors
    names: tuple[str, ...]  # sector names printed in the row-label column


def read_io_file(path: Path | str) -> _Parsed:
    """Parse one provincial/national table file into its three blocks (亿元).

    Parameters
    ----------
    path : path
        One ``.xls`` of ``io_provincial/<year>年各省份投入产出表/``.

    Returns
    -------
    object with attributes ``Z`` (ndarray 42 × 42, row = supplying sector, column = using
    sector), ``final`` (DataFrame 42 × items, the columns after the 42 sectors from ``TIU`` to
    ``GO`` as published) and ``va`` (DataFrame of the rows ``TII, VA001…VA004, TVA, TI`` × 42),
    all in 亿元 (the published 万元 divided by :data:`WAN_PER_YI`).

    Raises
    ------
    IOTableFormatError
        If the file is not an ``.xls`` workbook, no sheet has the documented layout, sector
        rows/columns are not exactly ``01``–``42`` in order, a required row or column is
        missing, or a cell in the table is not numeric. The message names file and cell.
    """
    path = Path(path)
    rows = _sheet_rows(_open_workbook(path), path)
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    header, ccol = _locate(rows, path)
    col_codes = [_code(v) for v in rows[header]]
    row_codes = [_code(r[ccol]) for r in rows]

    sec_cols = [c for c, k in enumerate(col_codes) if re.fullmatch(r"\d{2}", k)]
    sec_rows = [r for r, k in enumerate(row_codes) if r > header and re.fullmatch(r"\d{2}", k)]
    for kind, idx, codes in (("column", sec_cols, col_codes), ("row", sec_rows, row_codes)):
        got = tuple(codes[i] for i in idx)
        if got != SECTOR_CODES:
            raise IOTableFormatError(
                f"{path}: sector {kind}s are {got[:3]}…{got[-3:]} ({len(got)}), "
                f"expected '01'…'42' in order"
            )
    # columns after the last sector column, up to and including GO
    try:
        go_col = col_codes.index("GO")
    except ValueError:  # pragma: no cover - _locate guarantees GO
        raise IOTableFormatError(f"{path}: no 'GO' column") from None
    fin_cols = [c for c in range(sec_cols[-1] + 1, go_col + 1) if col_codes[c] not in ("", "-")]
    fin_items = [col_codes[c] for c in fin_cols]
    for need in ("TIU", "TFU", "GO"):
        if need not in fin_items:
            raise IOTableFormatError(f"{path}: column {need!r} missing (found {fin_items})")
    if len(set(fin_items)) != len(fin_items):
        raise IOTableFormatError(f"{path}: duplicated final-use column codes {fin_items}")
    va_rows = {}
    for item in VA_ROWS:
        hits = [r for r, k in enumerate(row_codes) if k == item and r > sec_rows[-1]]
        if len(hits) != 1:
            raise IOTableFormatError(
                f"{path}: row {item!r} found {len(hits)} times below the sector rows"
            )
        va_rows[item] = hits[0]

    arr = np.array(rows, dtype=object)
    Z = _numeric(arr[np.ix_(sec_rows, sec_cols)], path, "intermediate", sec_rows[0], sec_cols[0])
    F = _numeric(arr[np.ix_(sec_rows, fin_cols)], path, "final-use", sec_rows[0], fin_cols[0])
    V = _numeric(
        arr[np.ix_(list(va_rows.values()), sec_cols)], path, "value-added",
        min(va_rows.values()), sec_cols[0],
    )  # fmt: skip
    Z, F, V = Z / WAN_PER_YI, F / WAN_PER_YI, V / WAN_PER_YI  # 万元 -> 亿元
    final = pd.DataFrame(F, index=pd.Index(SECTOR_CODES, name="sector"), columns=fin_items)
    va = pd.DataFrame(V, index=pd.Index(list(va_rows), name="item"), columns=list(SECTOR_CODES))
    names = tuple(re.sub(r"\s+", "", str(rows[r][ccol - 1])) if ccol else "" for r in sec_rows)
    return _Parsed(Z=Z, final=final, va=va, names=names)


_NAME_ALIASES: dict[tuple[int, str], str] = {
    # the 2005 extension table prints older names of four sectors of the 2007 list
    (2005, "01"): "农业", (2005, "08"): "服装皮革羽绒及其制品业", (2005, "21"): "其他制造业",
    (2005, "35"): "科学研究事业",
}


def _check_names(parsed: _Parsed, year: int, path: Path) -> None:
    """The printed sector names must be the year's classification (first two characters)."""
    expected = io_sectors(classification_year(year))["name_zh"].tolist()
    bad = [
        (code, got, want)
        for code, got, want in zip(SECTOR_CODES, parsed.names, expected, strict=True)
        if got and got[:2] != want[:2] and got != _NAME_ALIASES.get((year, code))
    ]
    if bad:
        raise IOTableFormatError(
            f"{path}: sector names do not match the {year} classification, e.g. "
            + "; ".join(f"{c}: file {g!r} vs list {w!r}" for c, g, w in bad[:3])
        )


# --------------------------------------------------------------------------------------
# the national HTML files (masked in the mirror)
# --------------------------------------------------------------------------------------


def read_national_html(path: Path | str) -> pd.DataFrame:
    """Read a Word-HTML (MHTML) national table as the raw grid of cells.

    The two national files in ``io_provincial/`` (2017 42-sector flow table, 2018 42-sector
    non-competitive table) are MHTML documents saved by Word. In the mirrored copies every
    number is replaced by ``[**]``, so no values can be read; this function raises in that
    case, so that the masking is never mistaken for data.

    Parameters
    ----------
    path : path
        The ``.xls``-named MHTML file.

    Returns
    -------
    DataFrame
        The table's cells as strings (no header interpretation), if numbers are present.

    Raises
    ------
    IOTableFormatError
        If the file has no HTML table, or if its numeric cells are masked (``[**]``).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    start = text.find("<html")
    if start < 0:
        start = text.find("<HTML")
    if start < 0:
        raise IOTableFormatError(f"{path}: no HTML part found")
    tables = pd.read_html(io.StringIO(text[start:]), flavor="lxml")
    if not tables:
        raise IOTableFormatError(f"{path}: no <table> in the HTML part")
    grid = tables[0].astype(str)
    masked = int((grid == "[**]").to_numpy().sum())
    if masked:
        raise IOTableFormatError(
            f"{path}: {masked} cells are masked as '[**]' in this copy; the table holds no "
            "usable numbers (use the io_national R data for national tables instead)"
        )
    return grid


# --------------------------------------------------------------------------------------
# tidy frames
# --------------------------------------------------------------------------------------


def _skip_reason(path: Path) -> str:
    """Why a top-level ``io_provincial/*.xls`` (outside the year folders) is not read."""
    data = path.read_bytes()
    if data[:4] == b"Mime" or data.lstrip()[:1] == b"<":
        n = data.count(b"[**]")
        if n:
            return f"MHTML national table with {n} numbers masked as '[**]' (see read_national_html)"
        return "MHTML national table (not parsed; see read_national_html)"
    return "workbook outside the '<year>年各省份投入产出表' folders (not read)"



def read_io(raw_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Read every provincial and national 42-sector table into tidy (long) frames.

    Parameters
    ----------
    raw_dir : path
        ``data/raw`` (holding ``io_provincial/``) or the ``io_provincial`` folder.

    Returns
    -------
    dict of DataFrame
        ``"flows"``: ``province_code`` (int64, 0 = national), ``year`` (int64),
        ``from_sector``, ``to_sector`` (``"01"``…``"42"``), ``flow`` (float, 亿元) — the
        42 × 42 intermediate block, every cell including zeros (1,764 rows per table).
        ``"final"``: ``province_code``, ``year``, ``sector``, ``item``, ``value`` — the
        columns from ``TIU`` to ``GO`` as published (items differ by year, see module doc).
        ``"va"``: ``province_code``, ``year``, ``sector``, ``item`` (``TII``, ``VA001``…
        ``VA004``, ``TVA``, ``TI``), ``value``. All amounts in 亿元 (published 万元 / 10⁴).
        Each of the three also has ``source`` (= ``"io_provincial"``) and ``table_type``
        (= ``"competitive"``), as the national R-data frames of :func:`read_national_io`.
        ``"files"``: ``province_code``, ``year``, ``path`` of each table read.
        ``"skipped"``: ``path``, ``reason`` for files that are present but not readable
        (the two masked national MHTML files).

    Notes
    -----
    Sector codes mean different sectors in different years: join with ``io_sectors()`` on
    (``io_year`` = ``year``, ``sector``). Nothing is cached here (the pipeline caches).

    Raises
    ------
    FileNotFoundError, IOTableFormatError
        See :func:`list_io_files` and :func:`read_io_file`.
    """
    files = list_io_files(raw_dir)
    flows, finals, vas = [], [], []
    n = N_SECTORS
    codes = np.array(SECTOR_CODES, dtype=object)
    from_s, to_s = np.repeat(codes, n), np.tile(codes, n)
    for code, year, path in files.itertuples(index=False):
        t = read_io_file(path)
        _check_names(t, year, path)
        flows.append(
            pd.DataFrame(
                {
                    "province_code": np.int64(code),
                    "year": np.int64(year),
                    "from_sector": from_s,
                    "to_sector": to_s,
                    "flow": t.Z.ravel(),
                }
            )
        )
        f = t.final
        finals.append(
            pd.DataFrame(
                {
                    "province_code": np.int64(code),
                    "year": np.int64(year),
                    "sector": np.repeat(codes, f.shape[1]),
                    "item": np.tile(np.array(f.columns, dtype=object), n),
                    "value": f.to_numpy().ravel(),
                }
            )
        )
        v = t.va
        vas.append(
            pd.DataFrame(
                {
                    "province_code": np.int64(code),
                    "year": np.int64(year),
                    "sector": np.tile(codes, v.shape[0]),
                    "item": np.repeat(np.array(v.index, dtype=object), n),
                    "value": v.to_numpy().ravel(),
                }
            )
        )
    root = _io_root(raw_dir)
    skipped = pd.DataFrame(
        [(p, _skip_reason(p)) for p in sorted(root.glob("*.xls"))], columns=["path", "reason"]
    )
    out = {
        "flows": pd.concat(flows, ignore_index=True),
        "final": pd.concat(finals, ignore_index=True),
        "va": pd.concat(vas, ignore_index=True),
        "files": files,
        "skipped": skipped,
    }
    for key in ("flows", "final", "va"):
        for col in ("province_code", "year"):
            out[key][col] = out[key][col].astype("int64")
        out[key]["source"] = "io_provincial"
        out[key]["table_type"] = COMPETITIVE
    return out


# --------------------------------------------------------------------------------------
# national tables (R data)
# --------------------------------------------------------------------------------------


def _national_root(raw_dir: Path | str) -> Path:
    raw_dir = Path(raw_dir)
    return raw_dir / "io_national" if (raw_dir / "io_national").is_dir() else raw_dir


def read_national_file(path: Path | str, year: int) -> tuple[_Parsed, pd.DataFrame | None, str]:
    """Parse one 42-sector national table of ``io_national/`` (R data, 万元) into 亿元 blocks.

    Parameters
    ----------
    path : path
        ``china_<year>_42.rda`` (one data.frame with columns ``Code``, ``Description``,
        ``DescriptionInChinese``, [``Origin``], ``01``…``42``, final-use codes …, ``GO``).
    year : int
        Table year (a key of :data:`NATIONAL_RDA`).

    Returns
    -------
    parsed : object
        As :func:`read_io_file`: ``Z`` (42 × 42; domestic block for non-competitive tables),
        ``final`` (42 × items from ``TIU`` to ``GO``; domestic rows), ``va`` (``TII``,
        ``VA001``…``VA004``, ``TVA``, ``TI`` × 42), in 亿元.
    imports : DataFrame or None
        Non-competitive tables: the ``Imports`` rows, 42 × (``01``…``42``, ``TIU`` … ``GO``),
        亿元 (``GO`` = total imports of the product); None for competitive tables.
    table_type : str
        ``"competitive"`` or ``"non-competitive"``.

    Raises
    ------
    IOTableFormatError
        If the file holds no single data.frame, the sector rows/columns are not ``01``…``42``,
        a required row or column (``TIU``, ``GO``, ``TII`` … ``TI``) is missing, or a value in a
        block is missing. The message names file, row and column.
    """
    import pyreadr

    path = Path(path)
    try:
        objs = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises its own error types for damaged files
        raise IOTableFormatError(f"{path}: not readable R data ({type(exc).__name__}: {exc})") from exc
    if len(objs) != 1:
        raise IOTableFormatError(f"{path}: expected one data.frame, found {list(objs)}")
    df = next(iter(objs.values()))
    cols = [str(c) for c in df.columns]
    sec_cols = [c for c in cols if re.fullmatch(r"\d{2}", c)]
    if tuple(sec_cols) != SECTOR_CODES:
        raise IOTableFormatError(
            f"{path}: sector columns are {sec_cols[:3]}…{sec_cols[-3:]} ({len(sec_cols)}), "
            "expected '01'…'42' (the 41-sector 2010 and detailed tables are not read)"
        )
    if "TIU" not in cols or "GO" not in cols:
        raise IOTableFormatError(f"{path}: column 'TIU' or 'GO' missing (found {cols})")
    fin_items = cols[cols.index("TIU"): cols.index("GO") + 1]
    code = df["Code"].astype(str).str.strip()
    non_comp = "Origin" in df.columns
    origin = df["Origin"].astype(str).str.strip() if non_comp else pd.Series("", index=df.index)

    def rows_of(kind: str) -> pd.DataFrame:
        sel = code.isin(SECTOR_CODES) & ((origin == kind) if non_comp else True)
        block = df.loc[sel].set_index(code[sel])
        if tuple(block.index) != SECTOR_CODES:
            raise IOTableFormatError(
                f"{path}: {kind or 'sector'} rows are {tuple(block.index)[:3]}… "
                f"({len(block)}), expected '01'…'42' in order"
            )
        return block

    def numeric(block: pd.DataFrame, what: str) -> np.ndarray:
        arr = block.to_numpy(dtype="float64")
        if np.isnan(arr).any():
            i, j = (int(k[0]) for k in np.nonzero(np.isnan(arr)))
            raise IOTableFormatError(
                f"{path}: missing value in the {what} block at row {block.index[i]!r}, "
                f"column {block.columns[j]!r}"
            )
        return arr / WAN_PER_YI  # 万元 -> 亿元

    dom = rows_of("Domestic" if non_comp else "")
    va_rows = []
    for item in VA_ROWS:
        hit = df.index[code == item]
        if len(hit) != 1:
            raise IOTableFormatError(f"{path}: row {item!r} found {len(hit)} times")
        va_rows.append(hit[0])
    va_block = df.loc[va_rows, list(SECTOR_CODES)].set_axis(list(VA_ROWS), axis=0)
    Z = numeric(dom[list(SECTOR_CODES)], "intermediate")
    final = pd.DataFrame(numeric(dom[fin_items], "final-use"),
                         index=pd.Index(SECTOR_CODES, name="sector"), columns=fin_items)
    va = pd.DataFrame(numeric(va_block, "value-added"),
                      index=pd.Index(list(VA_ROWS), name="item"), columns=list(SECTOR_CODES))
    names = tuple(re.sub(r"\s+", "", str(n)) for n in dom["DescriptionInChinese"])
    imports = None
    if non_comp:
        imp = rows_of("Imports")[list(SECTOR_CODES) + fin_items]
        imports = pd.DataFrame(numeric(imp, "imports"), index=pd.Index(SECTOR_CODES, name="sector"),
                               columns=list(SECTOR_CODES) + fin_items)
    parsed = _Parsed(Z=Z, final=final, va=va, names=names)
    return parsed, imports, NON_COMPETITIVE if non_comp else COMPETITIVE


def _tidy(code: int, year: int, t: _Parsed) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n = N_SECTORS
    codes = np.array(SECTOR_CODES, dtype=object)
    flows = pd.DataFrame({"province_code": np.int64(code), "year": np.int64(year),
                          "from_sector": np.repeat(codes, n), "to_sector": np.tile(codes, n),
                          "flow": t.Z.ravel()})
    f, v = t.final, t.va
    final = pd.DataFrame({"province_code": np.int64(code), "year": np.int64(year),
                          "sector": np.repeat(codes, f.shape[1]),
                          "item": np.tile(np.array(f.columns, dtype=object), n),
                          "value": f.to_numpy().ravel()})
    va = pd.DataFrame({"province_code": np.int64(code), "year": np.int64(year),
                       "sector": np.tile(codes, v.shape[0]),
                       "item": np.repeat(np.array(v.index, dtype=object), n),
                       "value": v.to_numpy().ravel()})
    return flows, final, va


def read_national_io(raw_dir: Path | str, years: Iterable[int] | None = None
                     ) -> dict[str, pd.DataFrame]:
    """Read the 42-sector national input-output tables of ``io_national/`` into tidy frames.

    Parameters
    ----------
    raw_dir : path
        ``data/raw`` (holding ``io_national/``) or the ``io_national`` folder itself.
    years : iterable of int, optional
        Table years to read (keys of :data:`NATIONAL_RDA`: 2005, 2015, 2017, 2018, 2020);
        default all.

    Returns
    -------
    dict of DataFrame
        ``"flows"``, ``"final"``, ``"va"`` as :func:`read_io` (``province_code`` = 0, amounts in
        亿元 = published 万元 / 10⁴, ``source`` = ``"io_national"``, ``table_type``
        ``"competitive"`` (2005, 2015) or ``"non-competitive"`` (2017, 2018, 2020; ``flows`` and
        ``final`` hold the domestic rows only). ``"imports"``: the import rows of the
        non-competitive tables — ``province_code``, ``year``, ``sector`` (imported product),
        ``item`` (using sector ``01``…``42`` or a final-use code ``TIU``, ``TC``, ``FU201``,
        ``FU202``, ``EX``, ``TFU``, ``GO`` = total imports), ``value``, ``source``,
        ``table_type``. ``"files"``: ``province_code``, ``year``, ``path``, ``table_type``.

    Notes
    -----
    Sector codes follow the 42-sector list of :data:`CLASSIFICATION_YEAR` [year]; the printed
    names are checked against it. The year 2012 national table is read from
    ``io_provincial/`` by :func:`read_io` (ionet has only the 139-sector 2012 table).

    Raises
    ------
    FileNotFoundError
        If a requested table file is missing.
    IOTableFormatError
        See :func:`read_national_file`; also if the printed sector names do not match the list.
    """
    root = _national_root(raw_dir)
    years = sorted(NATIONAL_RDA) if years is None else sorted(int(y) for y in years)
    flows, finals, vas, imps, files = [], [], [], [], []
    for year in years:
        if year not in NATIONAL_RDA:
            raise ValueError(f"no 42-sector national table for {year}; have {sorted(NATIONAL_RDA)}")
        path = root / NATIONAL_RDA[year]
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found; run `python -m analysis data fetch` first")
        t, imports, kind = read_national_file(path, year)
        _check_names(t, year, path)
        fl, fi, va = _tidy(NATIONAL_CODE, year, t)
        for d in (fl, fi, va):
            d["table_type"] = kind
        flows.append(fl)
        finals.append(fi)
        vas.append(va)
        files.append((NATIONAL_CODE, year, path, kind))
        if imports is not None:
            items = np.array(imports.columns, dtype=object)
            imps.append(pd.DataFrame({
                "province_code": np.int64(NATIONAL_CODE), "year": np.int64(year),
                "sector": np.repeat(np.array(SECTOR_CODES, dtype=object), len(items)),
                "item": np.tile(items, N_SECTORS), "value": imports.to_numpy().ravel(),
                "table_type": kind}))
    imp_cols = ["province_code", "year", "sector", "item", "value", "table_type"]
    out = {
        "flows": pd.concat(flows, ignore_index=True),
        "final": pd.concat(finals, ignore_index=True),
        "va": pd.concat(vas, ignore_index=True),
        "imports": pd.concat(imps, ignore_index=True) if imps else pd.DataFrame(columns=imp_cols),
        "files": pd.DataFrame(files, columns=["province_code", "year", "path", "table_type"]),
    }
    for key in ("flows", "final", "va", "imports"):
        for col in ("province_code", "year"):
            out[key][col] = out[key][col].astype("int64")
        out[key].insert(len(out[key].columns) - 1, "source", "io_national")
    return out


def read_io_all(raw_dir: Path | str, national_years: Iterable[int] | None = None
                ) -> dict[str, pd.DataFrame]:
    """Provincial/national ``.xls`` tables (:func:`read_io`) plus the national R-data tables
    (:func:`read_national_io`), combined; what the pipeline writes to ``io_*.parquet``.

    Parameters
    ----------
    raw_dir : path
        ``data/raw``.
    national_years : iterable of int, optional
        National R-data tables to add (default all of :data:`NATIONAL_RDA`). A year that the
        ``.xls`` files already hold for the nation is an error.

    Returns
    -------
    dict of DataFrame
        ``flows``, ``final``, ``va`` (columns of :func:`read_io` plus ``source``,
        ``table_type``), ``imports`` (see :func:`read_national_io`), ``files``, ``skipped``.
        All amounts in 亿元.

    Raises
    ------
    ValueError
        If a national year is in both sources.
    FileNotFoundError, IOTableFormatError
        See :func:`read_io` and :func:`read_national_io`.
    """
    prov = read_io(raw_dir)
    nat = read_national_io(raw_dir, national_years)
    both = set(prov["files"].loc[prov["files"]["province_code"] == NATIONAL_CODE, "year"]) & set(
        nat["files"]["year"])
    if both:
        raise ValueError(f"national tables for {sorted(both)} in both io_provincial and io_national")
    out = {k: pd.concat([prov[k], nat[k]], ignore_index=True) for k in ("flows", "final", "va")}
    files = prov["files"].assign(table_type=COMPETITIVE)
    out["files"] = pd.concat([files, nat["files"]], ignore_index=True)
    out["imports"] = nat["imports"]
    out["skipped"] = prov["skipped"]
    return out


# --------------------------------------------------------------------------------------
# sectors
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _sectors_cached() -> pd.DataFrame:
    with resources.files("analysis.data").joinpath("io_sectors.csv").open(encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"sector": str, "io_year": "int64"})
    for col in ("rd_intensive", "rd_intensive_broad"):
        df[col] = df[col].astype(bool)
    return df


def io_sectors(io_year: int | None = None) -> pd.DataFrame:
    """The 42-sector lists of the 2002, 2007 and 2012/2017 tables (package data).

    Parameters
    ----------
    io_year : int, optional
        2002, 2007, 2012 or 2017; ``None`` returns all four lists.

    Returns
    -------
    DataFrame
        ``io_year``, ``sector`` ("01"…"42"), ``name_zh`` (as printed in the tables),
        ``name_en``, ``rd_intensive`` (bool, the project's R&D-intensive set: high-technology
        manufacturing and information/R&D services), ``rd_intensive_broad`` (bool, adds the
        OECD medium-high R&D-intensity manufacturing sectors), ``hightech_group``.
        The choice and its sources are documented in ``analysis/data/io_sectors.md``.

    Raises
    ------
    ValueError
        If ``io_year`` is not one of the four table years.
    """
    df = _sectors_cached()
    if io_year is None:
        return df.copy()
    if int(io_year) not in IO_YEARS:
        raise ValueError(f"io_year must be one of {IO_YEARS}, got {io_year!r}")
    return df[df["io_year"] == int(io_year)].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# one table as matrices
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IOTable:
    """One 42-sector input-output table (amounts in 亿元).

    Competitive-import tables (every province; national 2002-2015): ``Z`` holds flows of any
    origin and imports are a final-block column. Non-competitive national tables (2017, 2018,
    2020): ``Z`` and ``final`` are the domestic rows only, so :attr:`imports` is 0 and the
    imported supplies are in the ``imports`` frame of :func:`read_national_io`.

    Attributes
    ----------
    province_code : int
        GB/T 2260 code, 0 for the national table.
    year : int
        Table year (provinces 2002, 2007, 2012, 2017; national also 2005, 2015, 2018, 2020);
        the sector list is that of :func:`classification_year` (year).
    Z : DataFrame, 42 × 42
        Intermediate flows z_ij (row i supplies column j), index/columns "01"…"42".
    final : DataFrame, 42 × items
        Columns ``TIU`` … ``GO`` as published (items differ by year, see module docstring).
    va : DataFrame, 7 × 42
        Rows ``TII``, ``VA001``…``VA004``, ``TVA``, ``TI``.
    sectors : DataFrame
        The year's rows of :func:`io_sectors` (index "01"…"42").
    """

    province_code: int
    year: int
    Z: pd.DataFrame
    final: pd.DataFrame
    va: pd.DataFrame
    sectors: pd.DataFrame = field(repr=False)

    @property
    def x(self) -> pd.Series:
        """Total output GO (column ``GO`` of the final block), length 42, 亿元."""
        return self.final["GO"].rename("x")

    @property
    def total_input(self) -> pd.Series:
        """Total input TI (row ``TI``), length 42, 亿元."""
        return self.va.loc["TI"].rename("TI")

    @property
    def value_added(self) -> pd.Series:
        """Total value added TVA, length 42, 亿元."""
        return self.va.loc["TVA"].rename("TVA")

    def _cols(self, *items: str) -> pd.Series:
        have = [c for c in items if c in self.final.columns]
        return self.final[have].sum(axis=1) if have else pd.Series(0.0, index=self.final.index)

    @property
    def trade_basis(self) -> str:
        """How gross outflows/inflows are known: ``gross``, ``gross_combined`` or ``net``.

        ``gross``: EX, OF, IM, IF published (2012, 2017 provinces) or EX, IM (national);
        ``gross_combined``: FU302 (exports + outflows) and FU304 (imports + inflows) (2007
        provinces); ``net``: only the net outflow NOF (2002 provinces) — then exports are
        max(NOF, 0) and imports max(−NOF, 0), the minimum-cross-hauling assumption.
        """
        cols = set(self.final.columns)
        if "NOF" in cols:
            return "net"
        if "FU302" in cols or "FU304" in cols:
            return "gross_combined"
        return "gross"

    @property
    def exports(self) -> pd.Series:
        """Goods leaving the region: exports + outflows to other provinces (EX + OF), 亿元."""
        if self.trade_basis == "net":
            return self.final["NOF"].clip(lower=0).rename("exports")
        return self._cols("EX", "OF", "FU302").rename("exports")

    @property
    def imports(self) -> pd.Series:
        """Goods entering the region: imports + inflows from other provinces (IM + IF), 亿元."""
        if self.trade_basis == "net":
            return (-self.final["NOF"]).clip(lower=0).rename("imports")
        return self._cols("IM", "IF", "FU304").rename("imports")

    @property
    def discrepancy(self) -> pd.Series:
        """The 其他/ERR column (0 where not published), 亿元."""
        return self._cols("ERR").rename("ERR")

    @property
    def rd_sectors(self) -> list[str]:
        """Codes of the R&D-intensive sectors of this year's classification."""
        return self.sectors.index[self.sectors["rd_intensive"]].tolist()


def classification_year(year: int) -> int:
    """The year of the 42-sector list (:func:`io_sectors`) that table year ``year`` follows.

    Raises
    ------
    ValueError
        If ``year`` is not a table year of :data:`CLASSIFICATION_YEAR`.
    """
    try:
        return CLASSIFICATION_YEAR[int(year)]
    except KeyError:
        raise ValueError(
            f"no 42-sector input-output table for {year!r}; table years: {sorted(CLASSIFICATION_YEAR)}"
        ) from None


def _make_table(code: int, year: int, Z: np.ndarray, final: pd.DataFrame, va: pd.DataFrame):
    idx = pd.Index(SECTOR_CODES, name="sector")
    sectors = io_sectors(classification_year(year)).set_index("sector")
    return IOTable(
        province_code=int(code),
        year=int(year),
        Z=pd.DataFrame(Z, index=idx.rename("from_sector"), columns=idx.rename("to_sector")),
        final=final,
        va=va,
        sectors=sectors,
    )


def io_table(province_code: int, year: int, raw_dir: Path | str) -> IOTable:
    """Read one province-year table as matrices.

    Parameters
    ----------
    province_code : int
        GB/T 2260 code (110000 …) or 0 for the national table.
    year : int
        2002, 2007, 2012 or 2017.
    raw_dir : path
        ``data/raw`` or the ``io_provincial`` folder.

    Returns
    -------
    IOTable

    Raises
    ------
    KeyError
        If no file exists for that province-year (e.g. Tibet in 2002/2007, national 2017).
    IOTableFormatError
        See :func:`read_io_file`.
    """
    files = list_io_files(raw_dir)
    hit = files[(files["province_code"] == province_code) & (files["year"] == year)]
    if hit.empty:
        raise KeyError(
            f"no input-output table for province_code={province_code}, year={year}; "
            f"available years for it: "
            f"{sorted(files.loc[files['province_code'] == province_code, 'year'])}"
        )
    t = read_io_file(hit["path"].iloc[0])
    _check_names(t, year, hit["path"].iloc[0])
    return _make_table(province_code, year, t.Z, t.final, t.va)


def io_tables_from_frames(frames: dict[str, pd.DataFrame]) -> dict[tuple[int, int], IOTable]:
    """Rebuild :class:`IOTable` objects from the tidy frames of :func:`read_io`.

    Parameters
    ----------
    frames : dict
        At least ``"flows"``, ``"final"``, ``"va"`` as returned by :func:`read_io` (or read
        back from ``io_flows.parquet`` etc.).

    Returns
    -------
    dict
        ``{(province_code, year): IOTable}``.

    Raises
    ------
    ValueError
        If a province-year does not have exactly 42 × 42 flows.
    """
    out: dict[tuple[int, int], IOTable] = {}
    fin_groups = dict(tuple(frames["final"].groupby(["province_code", "year"], sort=False)))
    va_groups = dict(tuple(frames["va"].groupby(["province_code", "year"], sort=False)))
    for key, g in frames["flows"].groupby(["province_code", "year"], sort=True):
        key = (int(key[0]), int(key[1]))
        Z = g.pivot(index="from_sector", columns="to_sector", values="flow")
        if Z.shape != (N_SECTORS, N_SECTORS):
            raise ValueError(f"province-year {key}: flows form a {Z.shape} block, not 42 × 42")
        Z = Z.reindex(index=list(SECTOR_CODES), columns=list(SECTOR_CODES))
        fin = fin_groups[key]
        items = list(dict.fromkeys(fin["item"]))
        final = fin.pivot(index="sector", columns="item", values="value")
        final = final.reindex(index=list(SECTOR_CODES), columns=items)
        final.index.name, final.columns.name = "sector", None
        v = va_groups[key]
        va = v.pivot(index="item", columns="sector", values="value")
        va = va.reindex(index=list(VA_ROWS), columns=list(SECTOR_CODES))
        va.columns.name = None
        out[key] = _make_table(key[0], key[1], Z.to_numpy(), final, va)
    return out


# --------------------------------------------------------------------------------------
# codebook
# --------------------------------------------------------------------------------------

_IO_CODEBOOK: tuple[tuple[str, str, str, str], ...] = (
    ("io_flows", "province_code", "GB/T 2260 province code; 0 = national table", "code"),
    ("io_flows", "year", "table year (also the sector classification year, see io_sectors)",
     "year"),
    ("io_flows", "from_sector", "supplying sector, two-digit code of the year's 42-sector list",
     "code"),
    ("io_flows", "to_sector", "using sector, two-digit code of the year's 42-sector list", "code"),
    ("io_flows", "flow", "intermediate use z_ij of from_sector's output by to_sector "
     "(published 万元 / 1e4)", "亿元"),
    ("io_final", "province_code", "GB/T 2260 province code; 0 = national table", "code"),
    ("io_final", "year", "table year", "year"),
    ("io_final", "sector", "sector (row of the table), two-digit code", "code"),
    ("io_final", "item", "column code as published: TIU total intermediate use, FU101 rural / "
     "FU102 urban household consumption, THC, FU103 government consumption, TC, FU201 fixed "
     "capital formation, FU202 inventories, GCF, EX exports, OF outflow to other provinces, "
     "NOF net outflow (2002 provinces), FU302 outflow / FU304 inflow (2007 provinces), TFU total "
     "final use, IM imports, IF inflow from other provinces, ERR discrepancy, GO total output",
     "code"),
    ("io_final", "value", "amount of the item for the sector; IM, IF, FU304 stored positive "
     "(GO = TIU + TFU - IM - IF + ERR) (published 万元 / 1e4)", "亿元"),
    ("io_va", "province_code", "GB/T 2260 province code; 0 = national table", "code"),
    ("io_va", "year", "table year", "year"),
    ("io_va", "sector", "sector (column of the table), two-digit code", "code"),
    ("io_va", "item", "row code as published: TII total intermediate input, VA001 compensation "
     "of employees, VA002 net taxes on production, VA003 depreciation of fixed capital, VA004 "
     "operating surplus, TVA total value added, TI total input", "code"),
    ("io_va", "value", "amount of the item for the sector (published 万元 / 1e4)", "亿元"),
    ("io_imports", "province_code", "0 (national non-competitive tables 2017, 2018, 2020)",
     "code"),
    ("io_imports", "year", "table year", "year"),
    ("io_imports", "sector", "imported product (row of the Imports block), two-digit code",
     "code"),
    ("io_imports", "item", "using sector 01-42 (intermediate use of imports) or final-use code "
     "TIU, TC, FU201, FU202, EX, TFU, GO (GO = total imports of the product)", "code"),
    ("io_imports", "value", "imports of the product used by the item (published 万元 / 1e4)",
     "亿元"),
)
for _t in ("io_flows", "io_final", "io_va", "io_imports"):
    _IO_CODEBOOK += (
        (_t, "source", "io_provincial (provincial .xls, national 2002/2007/2012) or io_national "
         "(national R data of Carol-seven/ionet: 2005, 2015, 2017, 2018, 2020)", "text"),
        (_t, "table_type", "competitive (imports in an IM column; provinces and national 2002-"
         "2015) or non-competitive (national 2017/2018/2020: flows/final are domestic rows only, "
         "imports in io_imports)", "text"),
    )


def io_codebook() -> pd.DataFrame:
    """Codebook of ``io_flows|io_final|io_va|io_imports.parquet``: table, column, meaning, unit.

    Returns
    -------
    DataFrame
        Columns ``table``, ``column``, ``meaning``, ``unit`` (money in 亿元); written by the
        pipeline as ``data/processed/io_codebook.csv``.
    """
    return pd.DataFrame(list(_IO_CODEBOOK), columns=["table", "column", "meaning", "unit"])


# --------------------------------------------------------------------------------------
# identity check
# --------------------------------------------------------------------------------------


def go_ti_check(frames: dict[str, pd.DataFrame], *, rtol: float = 1e-4, atol: float = GO_TI_ATOL):
    """Compare total output GO with total input TI for every province-year-sector.

    Parameters
    ----------
    frames : dict
        ``"final"`` and ``"va"`` of :func:`read_io`.
    rtol, atol : float
        A sector passes if |GO − TI| <= atol + rtol · max(|GO|, |TI|), amounts in 亿元. The
        default (0.01 % or ``atol`` = 1e-4 亿元 = 1 万元) allows the rounding of the published
        tables.

    Returns
    -------
    DataFrame
        One row per province-year-sector: ``province_code``, ``year``, ``sector``, ``GO``,
        ``TI``, ``diff`` (GO − TI), ``rel_diff``, ``ok`` (bool).
    """
    go = frames["final"].query("item == 'GO'").rename(columns={"value": "GO"})
    ti = frames["va"].query("item == 'TI'").rename(columns={"value": "TI"})
    keys = ["province_code", "year", "sector"]
    out = go[keys + ["GO"]].merge(ti[keys + ["TI"]], on=keys, how="outer", validate="1:1")
    out["diff"] = out["GO"] - out["TI"]
    scale = np.maximum(out["GO"].abs(), out["TI"].abs())
    out["rel_diff"] = np.where(scale > 0, out["diff"].abs() / scale.where(scale > 0, 1), 0.0)
    out["ok"] = out["diff"].abs() <= atol + rtol * scale
    return out
