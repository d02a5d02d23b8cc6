"""Industrial enterprises above designated size: new-product sales and R&D expenditure by
province, 2018–2023, from the S&T yearbook sheets in ``techme/raw_yearbook`` (github
huhuaping/techme, MIT).

Files chosen (one per year, relative to ``data/raw/techme/raw_yearbook/tech-yearbook/part02-firm``)
----------------------------------------------------------------------------------------------
``ind_new_product_sales`` — table 2-22/2-23 "各地区规上工业企业新产品开发、生产及销售", column
新产品销售收入 (万元): ``07-new-product/raw-<year>.xls`` for 2018–2023.

``ind_rd_exp`` — table 2-10/2-14 "各地区规上工业企业R&D经费内部支出", column R&D经费内部支出
(万元): ``03-spend-inner/raw-<year>.xls`` for 2018–2023. ``raw-2022-all.xls`` (table 2-4,
*all* enterprises, not only those above designated size) is a different population and is not
used.

For 2020 both a binary ``raw-2020.xls`` (values to 0.1 万元) and an HTML export
``raw-2020-soshu.xls`` (rounded to 1 万元) exist; we read the binary file and the tests check that
the two agree to within 1 万元. The file year is the data year (``raw-2018`` national R&D
12,954.8 亿元 = NBS 2018 figure for industrial enterprises above designated size).

Format quirks
-------------
Most ``.xls`` are Excel files "encrypted" with the default password ``VelvetSweatshop``; they are
decrypted in memory with ``msoffcrypto-tool`` and read with ``xlrd``. ``raw-2020.xls`` is not
encrypted; ``*-soshu.xls`` are HTML (``pandas.read_html``). Header cells span several rows, so the
value column is located by its header text, not by position, and a missing header raises
:class:`~analysis.data.sources._common.SourceLayoutError`. Names carry spaces (``'全    国'``);
rows 全国 and 东部/中部/西部/东北地区 are aggregates.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    long_to_wide,
    require_file,
    split_aggregates,
)

__all__ = ["read", "read_national", "read_table", "FILES", "VARIABLES"]

BASE = "techme/raw_yearbook/tech-yearbook/part02-firm"
YEARS = range(2018, 2024)
DEFAULT_PASSWORD = "VelvetSweatshop"

# column -> (folder, header pattern of the value column)
_TABLES = {
    "ind_new_product_sales": ("07-new-product", "新产品销售收入"),
    "ind_rd_exp": ("03-spend-inner", "R&D经费内部支出"),
}
FILES: dict[str, dict[int, str]] = {
    col: {y: f"{BASE}/{folder}/raw-{y}.xls" for y in YEARS} for col, (folder, _p) in _TABLES.items()
}

VARIABLES: list[Variable] = [
    Variable(
        "ind_new_product_sales", "规上工业企业新产品销售收入",
        "Industrial enterprises above designated size: new-product sales revenue", "亿元",
        ";".join(FILES["ind_new_product_sales"].values()),
        "各地区规上工业企业新产品开发、生产及销售 (table 2-22/2-23): 新产品销售收入",
        "万元 / 10000",
    ),
    Variable(
        "ind_rd_exp", "规上工业企业R&D经费内部支出",
        "Industrial enterprises above designated size: R&D expenditure", "亿元",
        ";".join(FILES["ind_rd_exp"].values()),
        "各地区规上工业企业R&D经费内部支出 (table 2-10/2-14): R&D经费内部支出",
        "万元 / 10000",
    ),
]
COLUMNS = [v.name for v in VARIABLES]


def _cells(path: Path) -> pd.DataFrame:
    """All cells of the first sheet as strings/numbers, header rows included (no header)."""
    require_file(path)
    head = path.read_bytes()[:512].lstrip()
    if head[:1] == b"<" or head.lower().startswith(b"<!doctype") or b"<html" in head.lower():
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        tables = pd.read_html(io.StringIO(text), header=None)
        tables = [t for t in tables if t.shape[0] > 31]
        if not tables:
            raise SourceLayoutError(f"{path}: HTML file holds no table with province rows")
        return tables[0]
    import msoffcrypto
    import xlrd

    with open(path, "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        if office.is_encrypted():
            office.load_key(password=DEFAULT_PASSWORD)
            buf = io.BytesIO()
            try:
                office.decrypt(buf)
            except Exception as e:  # noqa: BLE001 - msoffcrypto raises several types
                raise SourceLayoutError(
                    f"{path}: encrypted and the default password does not open it ({e})"
                ) from e
            data = buf.getvalue()
        else:
            f.seek(0)
            data = f.read()
    book = xlrd.open_workbook(file_contents=data)
    sheet = book.sheet_by_index(0)
    return pd.DataFrame([sheet.row_values(r) for r in range(sheet.nrows)])


def _norm(s: object) -> str:
    return re.sub(r"\s+", "", str(s)) if pd.notna(s) else ""


def read_table(path: Path, header_pattern: str, *, where: str | None = None) -> pd.DataFrame:
    """Read one yearbook sheet: the row labels and the column whose header matches.

    Parameters
    ----------
    path : pathlib.Path
        ``.xls`` (encrypted or not) or HTML ``.xls``.
    header_pattern : str
        Text (whitespace ignored) that the value column's header cells contain, e.g.
        ``"新产品销售收入"``.
    where : str, optional
        Name used in error messages (defaults to ``path``).

    Returns
    -------
    pandas.DataFrame
        ``name`` (row label as printed), ``value`` (float, unit as printed), ``row`` (0-based
        row in the sheet); one row per province or aggregate.

    Raises
    ------
    SourceLayoutError
        No 全国 row, or no header cell matching ``header_pattern``, or a non-numeric value.
    """
    where = where or str(path)
    cells = _cells(Path(path))
    names = cells.iloc[:, 0].map(_norm)
    first = names.index[names == "全国"]
    if len(first) == 0:
        raise SourceLayoutError(f"{where}: no 全国 (national total) row found")
    start = first[0]
    header = cells.loc[: start - 1]
    # column 0 holds the row labels and the table title, which may repeat the pattern
    col_text = {c: "".join(_norm(v) for v in header[c]) for c in header.columns[1:]}
    matches = [c for c, t in col_text.items() if header_pattern in t]
    if not matches:
        raise SourceLayoutError(
            f"{where}: no column header contains {header_pattern!r}; headers: "
            + "; ".join(f"{c}: {t[:30]}" for c, t in col_text.items())
        )
    col = matches[0]
    body = cells.loc[start:, [cells.columns[0], col]]
    body.columns = ["name", "value"]
    body = body.assign(row=body.index)
    body = body[body["name"].map(_norm) != ""]
    value = pd.to_numeric(body["value"], errors="coerce")
    bad = body[value.isna()]
    if len(bad):
        raise SourceLayoutError(
            f"{where}: non-numeric {header_pattern} at rows {bad['row'].tolist()[:10]}"
        )
    return body.assign(value=value.astype("float64"))


def _long(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    prov_parts, nat_parts = [], []
    for column, (_folder, pattern) in _TABLES.items():
        for year, rel in FILES[column].items():
            t = read_table(Path(raw_dir) / rel, pattern, where=rel)
            t = t.assign(value=t["value"] / 1e4, year=year, column=column)
            prov, agg = split_aggregates(t.set_index("row", drop=False), "name", rel)
            if prov["province_code"].nunique() != 31:
                raise SourceLayoutError(f"{rel}: {prov['province_code'].nunique()} provinces, expected 31")
            prov_parts.append(prov[["province_code", "year", "column", "value"]])
            nat = agg[agg["name"].map(_norm) == "全国"]
            nat_parts.append(nat[["year", "column", "value"]])
    return pd.concat(prov_parts, ignore_index=True), pd.concat(nat_parts, ignore_index=True)


def read(raw_dir: Path) -> pd.DataFrame:
    """Industrial enterprises' new-product sales and R&D by province, 2018–2023 (亿元).

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        31 × 6 rows: ``province_code, year, ind_new_product_sales, ind_rd_exp`` (亿元).

    Raises
    ------
    FileNotFoundError, SourceLayoutError, UnknownProvinceError, ConflictingValuesError
    """
    prov, _ = _long(Path(raw_dir))
    wide = long_to_wide(prov, ["province_code", "year"], "column", "value", BASE)
    return finalise(wide, COLUMNS, BASE)


def read_national(raw_dir: Path) -> pd.DataFrame:
    """National totals (row 全国) by year, 亿元: ``year, ind_new_product_sales, ind_rd_exp``."""
    _, nat = _long(Path(raw_dir))
    nat = nat.assign(province_code=100000)
    wide = long_to_wide(nat, ["province_code", "year"], "column", "value", BASE)
    return wide[["year", *COLUMNS]].astype({"year": "int64"})
