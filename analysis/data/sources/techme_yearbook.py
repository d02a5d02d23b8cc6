"""Province tables of the China Statistical Yearbook on Science and Technology, read from the
yearbook sheets in ``techme/raw_yearbook`` (github huhuaping/techme, MIT): industrial
enterprises' R&D, their links with research institutes and universities, technology
acquisition, R&D institutions, projects and patents (2018–2023), and technology business
incubators and maker spaces (2022–2023).

Tables read (:data:`TABLES`; files relative to ``data/raw/techme/raw_yearbook/tech-yearbook``)
--------------------------------------------------------------------------------------------
All ``part02-firm`` tables cover *industrial enterprises above designated size* (规模以上工业企业,
annual main-business revenue ≥ 20 million yuan). Flows are amounts or counts during the year;
stocks are counts at the end of the year (the codebook's ``stock_flow`` column says which).

* ``part02-firm/00-firms`` 各地区规上工业企业数量情况 (2-4/2-8), 2018–2023: ``firms_with_rd``,
  ``firms_with_rd_institution``;
* ``part02-firm/03-spend-inner`` 规上工业企业R&D经费内部支出 (2-10/2-14), 2018–2023:
  ``ind_rd_exp``;
* ``part02-firm/04-spend-outer`` 规上工业企业R&D经费外部支出 (2-13/2-17), 2018–2023:
  ``ind_rd_ext``, of which ``ind_rd_ext_inst`` (to domestic research institutes) and
  ``ind_rd_ext_univ`` (to domestic universities);
* ``part02-firm/05-RD-projects`` 规上工业企业R&D项目情况 (2-16), 2018–2019: ``ind_rd_projects``,
  ``ind_rd_project_fte``, ``ind_rd_project_exp``;
* ``part02-firm/06-RD-institution`` 规上工业企业办研发机构情况 (2-19/2-20), 2018–2023:
  ``ind_rd_institutions``, ``ind_rd_institution_staff``, ``ind_rd_institution_exp``;
* ``part02-firm/07-new-product`` 规上工业企业新产品开发和销售 (2-22/2-23), 2018–2023:
  ``ind_new_product_sales``;
* ``part02-firm/08-patent`` 规上工业企业专利 (2-25/2-26), 2018–2021 and 2023: ``ind_patent_app``,
  ``ind_patent_app_invention``, ``ind_valid_invention_patents``;
* ``part02-firm/09-tech-renew`` 规上工业企业技术获取和技术改造 (2-28/2-29), 2018–2023:
  ``ind_tech_import``, ``ind_tech_assimilation``, ``ind_tech_purchase_domestic``,
  ``ind_tech_renovation``;
* ``part09-service/01-incubator`` 科技企业孵化器主要指标 (9-12), 2022–2023: ``incubators``,
  ``incubator_resident_firms``, ``incubatees``, ``incubatee_employees``, ``incubatee_investment``;
* ``part09-service/02-spcae`` 众创空间主要指标 (9-14), 2022–2023: ``maker_spaces``,
  ``maker_space_served``, ``maker_space_subsidy``, ``maker_space_funded_teams``,
  ``maker_space_investment``, ``maker_space_employment``.

Which year a sheet describes
----------------------------
The mirror names every sheet by the year printed in its title (``…R&D经费外部支出(2018年)``), and
the yearbook prints the *data* year there, not the edition year. The reader checks the title
against the file name (a mismatch raises :class:`SourceLayoutError`). The national rows confirm it
against figures published for the data year: ``03-spend-inner/raw-2018`` and ``raw-2022`` hold
12,954.8 and 19,361.8 亿元, the NBS S&T-funding communiqués' R&D of industrial enterprises above
designated size for 2018 and 2022; ``01-incubator/raw-2022`` (6,659 incubators) plus
``02-spcae/raw-2022`` (9,409 maker spaces) give 16,068 incubation bodies, the Torch Centre's
count at the end of 2022; ``00-firms/raw-2019`` gives 129,198 firms with R&D activity, the
12.9 万家 of the NBS 2019 figure (tests in ``tests/test_sources_linkage.py``).

Gaps as published
-----------------
* ``08-patent/raw-2022.xls`` is the table *by industry* (2-25 按行业分), not by region: the
  firm patent columns have no 2022.
* ``05-RD-projects`` is in the mirror for 2018 and 2019 only.
* ``00-firms/raw-2022-all.xls``, ``03-spend-inner/raw-2022-all.xls`` cover *all* enterprises
  above designated size (industry and services): another population, not read.
* ``00-firms`` has no count of all industrial enterprises above designated size (the
  denominator of a share of firms with R&D); that count is in the China Statistical Yearbook
  (NBS data portal, 规模以上工业企业单位数): ``python -m analysis data import`` adds it.
* The national number of firms with R&D activity falls from 175,619 (2022) to 151,290 (2023)
  while firms with R&D institutions rise (124,303 to 135,972); as published.
* A blank cell (many in 09-tech-renew: Tibet, Qinghai, Hainan …) is missing, never 0. The
  yearbooks' convention is that a blank means "less than the table's smallest unit, unknown, or
  none"; the provinces' printed values add up to the national row with blanks left out.

Format quirks
-------------
Most ``.xls`` are Excel files "encrypted" with the default password ``VelvetSweatshop``; they are
decrypted in memory with ``msoffcrypto-tool`` and read with ``xlrd``. ``raw-2020.xls`` files are
not encrypted and spread each header over several rows; ``*-soshu.xls`` are HTML exports of the
same 2020 tables rounded to 1 unit (``pandas.read_html``; not read, the tests compare). Header
cells span several rows, so a value column is located by a regular expression on its header
text (whitespace removed), which must match exactly one column; the unit printed in the header
(``(万元)``) or in the table's ``单位:`` line must be the expected one. Column order changes
between editions (09-tech-renew 2023 puts 技术改造 first; 00-firms 2022 swaps its two columns)
and so do names (引进技术经费支出 → 引进境外技术经费支出 in 2022). Names carry spaces
(``'全    国'``); rows 全国 and 东部/中部/西部/东北地区 are aggregates.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.provinces import CODES
from analysis.data.sources._common import (
    SourceLayoutError,
    finalise,
    long_to_wide,
    require_file,
    split_aggregates,
)

__all__ = ["read", "read_national", "read_table", "FILES", "TABLES", "VARIABLES", "BASE",
           "YEARBOOK"]

YEARBOOK = "techme/raw_yearbook/tech-yearbook"
BASE = f"{YEARBOOK}/part02-firm"
YEARS = range(2018, 2024)
DEFAULT_PASSWORD = "VelvetSweatshop"


@dataclass(frozen=True)
class _Col:
    """One value column of a yearbook table."""

    column: str        # panel column
    pattern: str       # regex on the column's header text (whitespace removed)
    unit_in: str       # unit printed in the sheet
    unit_out: str      # unit in the panel
    factor: float      # unit_out = unit_in * factor
    label_zh: str
    label_en: str
    kind: str          # "flow" or "stock"


@dataclass(frozen=True)
class _Table:
    """One yearbook table: folder, title, the years (file per year) and its value columns."""

    folder: str                 # relative to YEARBOOK
    title: str                  # as printed (without the edition's table number)
    years: tuple[int, ...]
    columns: tuple[_Col, ...]
    note: str = ""
    absent: tuple[tuple[int, int], ...] = ()  # (year, province_code) without a row, as published

    def file(self, year: int) -> str:
        return f"{YEARBOOK}/{self.folder}/raw-{year}.xls"


_WAN_TO_YI = 1e-4  # 万元 -> 亿元; 人 -> 万人; 人年 -> 万人年
_LEAF = r"(?![\u4e00-\u9fff#])"
"""Not followed by a sub-column's name: HTML exports repeat a merged parent header (R&D经费内部支出)
over its sub-columns (R&D经费内部支出试验发展支出 …), which must not match too."""

TABLES: list[_Table] = [
    _Table("part02-firm/00-firms", "各地区规上工业企业数量情况 (table 2-4/2-8)", tuple(YEARS), (
        _Col("firms_with_rd", r"有R&D活动的?企业数", "个", "个", 1.0,
             "有R&D活动的规上工业企业数",
             "Industrial firms (above scale) with R&D activity", "flow"),
        _Col("firms_with_rd_institution", r"有研发机构的?企业数", "个", "个", 1.0,
             "有研发机构的规上工业企业数",
             "Industrial firms (above scale) with an R&D institution", "stock"),
    )),
    _Table("part02-firm/03-spend-inner", "各地区规上工业企业R&D经费内部支出 (table 2-10/2-14)",
           tuple(YEARS), (
        _Col("ind_rd_exp", r"R&D经费内部支出" + _LEAF, "万元", "亿元", _WAN_TO_YI,
             "规上工业企业R&D经费内部支出",
             "Industrial firms (above scale): R&D expenditure", "flow"),
    )),
    _Table("part02-firm/04-spend-outer", "各地区规上工业企业R&D经费外部支出 (table 2-13/2-17)",
           tuple(YEARS), (
        _Col("ind_rd_ext", r"R&D经费外部支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业R&D经费外部支出",
             "Industrial firms (above scale): external R&D expenditure", "flow"),
        _Col("ind_rd_ext_inst", r"对境内研究机构支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业对境内研究机构R&D支出",
             "Industrial firms' external R&D to research institutes", "flow"),
        _Col("ind_rd_ext_univ", r"对境内高校支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业对境内高校R&D支出",
             "Industrial firms' external R&D to universities", "flow"),
    )),
    _Table("part02-firm/05-RD-projects", "各地区规上工业企业R&D项目情况 (table 2-16)",
           (2018, 2019), (
        _Col("ind_rd_projects", r"项目数", "项", "项", 1.0, "规上工业企业R&D项目数",
             "Industrial firms (above scale): R&D projects", "flow"),
        _Col("ind_rd_project_fte", r"项目人员折合全时当量", "人年", "万人年", _WAN_TO_YI,
             "规上工业企业R&D项目人员折合全时当量",
             "Industrial firms' R&D project personnel, FTE", "flow"),
        _Col("ind_rd_project_exp", r"项目经费支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业R&D项目经费支出",
             "Industrial firms' R&D project expenditure", "flow"),
    ), note="the mirror holds 2018-2019 only"),
    _Table("part02-firm/06-RD-institution", "各地区规上工业企业办研发机构情况 (table 2-19/2-20)",
           tuple(YEARS), (
        _Col("ind_rd_institutions", r"机构数", "个", "个", 1.0, "规上工业企业办研发机构数",
             "R&D institutions of industrial firms (above scale)", "stock"),
        _Col("ind_rd_institution_staff", r"机构人员", "人", "万人", _WAN_TO_YI,
             "规上工业企业办研发机构人员",
             "Personnel of industrial firms' R&D institutions", "stock"),
        _Col("ind_rd_institution_exp", r"机构经费支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业办研发机构经费支出",
             "Expenditure of industrial firms' R&D institutions", "flow"),
    ), absent=((2018, 540000),)),
    _Table("part02-firm/07-new-product", "各地区规上工业企业新产品开发和销售 (table 2-22/2-23)",
           tuple(YEARS), (
        _Col("ind_new_product_sales", r"新产品销售收入" + _LEAF, "万元", "亿元", _WAN_TO_YI,
             "规上工业企业新产品销售收入",
             "Industrial firms (above scale): new-product sales", "flow"),
    )),
    _Table("part02-firm/08-patent", "各地区规上工业企业专利 (table 2-25/2-26)",
           (2018, 2019, 2020, 2021, 2023), (
        _Col("ind_patent_app", r"专利申请数", "件", "件", 1.0, "规上工业企业专利申请数",
             "Industrial firms (above scale): patent applications", "flow"),
        _Col("ind_patent_app_invention", r"#发明专利", "件", "件", 1.0,
             "规上工业企业发明专利申请数",
             "Industrial firms: invention patent applications", "flow"),
        _Col("ind_valid_invention_patents", r"有效发明专利数", "件", "件", 1.0,
             "规上工业企业有效发明专利数",
             "Industrial firms: invention patents in force", "stock"),
    ), note="raw-2022.xls is the table by industry, not by region: no 2022"),
    _Table("part02-firm/09-tech-renew", "各地区规上工业企业技术获取和技术改造 (table 2-28/2-29)",
           tuple(YEARS), (
        _Col("ind_tech_import", r"引进(境外)?技术经费支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业引进境外技术经费支出",
             "Industrial firms: acquisition of foreign technology", "flow"),
        _Col("ind_tech_assimilation", r"(境外技术)?消化吸收经费支出", "万元", "亿元",
             _WAN_TO_YI, "规上工业企业消化吸收经费支出",
             "Industrial firms: assimilation of imported technology",
             "flow"),
        _Col("ind_tech_purchase_domestic", r"购买境内技术经费支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业购买境内技术经费支出",
             "Industrial firms: purchase of domestic technology", "flow"),
        _Col("ind_tech_renovation", r"技术改造经费支出", "万元", "亿元", _WAN_TO_YI,
             "规上工业企业技术改造经费支出",
             "Industrial firms: technical renovation", "flow"),
    )),
    _Table("part09-service/01-incubator", "各地区科技企业孵化器主要指标 (table 9-12)", (2022, 2023), (
        _Col("incubators", r"在统孵化器数量", "个", "个", 1.0, "科技企业孵化器数量（在统）",
             "Technology business incubators (reporting)", "stock"),
        _Col("incubator_resident_firms", r"孵化器内企业总数", "个", "个", 1.0,
             "孵化器内企业总数", "Firms resident in technology business incubators", "stock"),
        _Col("incubatees", r"在孵企业[(（]个", "个", "个", 1.0, "孵化器在孵企业数",
             "Incubatees of technology business incubators", "stock"),
        _Col("incubatee_employees", r"在孵企业从业人员", "人", "万人", _WAN_TO_YI,
             "孵化器在孵企业从业人员", "Employees of incubatees", "stock"),
        _Col("incubatee_investment", r"当年获得投融资总额", "万元", "亿元", _WAN_TO_YI,
             "在孵企业当年获得投融资总额",
             "Investment raised by incubatees in the year", "flow"),
    )),
    _Table("part09-service/02-spcae", "各地区众创空间主要指标 (table 9-14)", (2022, 2023), (
        _Col("maker_spaces", r"众创空间数量", "个", "个", 1.0, "众创空间数量",
             "Maker spaces (众创空间)", "stock"),
        _Col("maker_space_served", r"当年服务的企业及团队数", "个", "个", 1.0,
             "众创空间当年服务的企业及团队数",
             "Teams and firms served by maker spaces", "flow"),
        _Col("maker_space_subsidy", r"享受财政资金支持额", "万元", "亿元", _WAN_TO_YI,
             "众创空间享受财政资金支持额", "Fiscal subsidies received by maker spaces", "flow"),
        _Col("maker_space_funded_teams", r"当年获得投融资的团队及企业的?数量", "个", "个", 1.0,
             "众创空间获得投融资的团队及企业数",
             "Maker-space teams and firms raising investment", "flow"),
        _Col("maker_space_investment", r"团队及企业当年获得投资总额", "万元", "亿元",
             _WAN_TO_YI, "众创空间团队及企业获得投资总额",
             "Investment raised by maker-space teams and firms", "flow"),
        _Col("maker_space_employment", r"创业团队和企业吸纳就业人数", "人", "万人", _WAN_TO_YI,
             "众创空间创业团队和企业吸纳就业人数",
             "Employment in maker-space teams and firms", "stock"),
    )),
]
"""Every yearbook table read, in panel-column order."""

FILES: dict[str, dict[int, str]] = {
    c.column: {y: t.file(y) for y in t.years} for t in TABLES for c in t.columns
}
"""Panel column -> {data year: file relative to ``data/raw``}."""


def _transformation(c: _Col, t: _Table) -> str:
    conv = "as published" if c.factor == 1.0 else f"{c.unit_in} / {round(1 / c.factor):d}"
    kind = ("flow (during the year)" if c.kind == "flow"
            else "stock (at the end of the year)")
    years = f"{t.years[0]}-{t.years[-1]}" if len(t.years) == t.years[-1] - t.years[0] + 1 \
        else ",".join(map(str, t.years))
    out = f"{conv}; {kind}; data year = the year in the table title ({years})"
    return f"{out}; {t.note}" if t.note else out


def _header_text(pattern: str) -> str:
    """The column header as a reader would search for it (regex syntax dropped)."""
    text = re.sub(r"\(\?![^)]*\)\)?", "", pattern)       # look-aheads
    text = re.sub(r"\(([^)]*)\)\?", r"(\1)", text)       # optional groups: 引进(境外)技术
    return text.replace("[(（]个", "(个)").replace("的?", "的")


VARIABLES: list[Variable] = [
    Variable(c.column, c.label_zh, c.label_en, c.unit_out,
             ";".join(t.file(y) for y in t.years), f"{t.title}: {_header_text(c.pattern)}",
             _transformation(c, t), kind=c.kind)
    for t in TABLES for c in t.columns
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


_TITLE_YEAR = re.compile(r"[(（](\d{4})年?[)）]")
_ZH_UNIT = re.compile(r"[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]")


def _header_unit(header_text: str, unit_line: str) -> list[str]:
    """Units printed for a column: its own ``(万元)``, else those of the ``单位:`` line."""
    own = _ZH_UNIT.findall(header_text)
    if own:
        return own[:1]
    line = re.sub(r"单位[:：]", "", unit_line)
    return [u for u in re.split(r"[,，、;；]", line) if u]


def read_table(path: Path, header_pattern: str, *, where: str | None = None,
               unit: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Read one yearbook sheet: the row labels and the column whose header matches.

    Parameters
    ----------
    path : pathlib.Path
        ``.xls`` (encrypted or not) or HTML ``.xls``.
    header_pattern : str
        Regular expression searched in each column's header text (all header cells of the
        column joined, whitespace removed), e.g. ``"新产品销售收入"`` or
        ``"^引进(境外)?技术经费支出"``. Exactly one column must match.
    where : str, optional
        Name used in error messages (defaults to ``path``).
    unit : str, optional
        Expected unit (``"万元"``, ``"个"`` …): it must be the unit printed in the column's
        header, or, when the header prints none, one of the units of the ``单位:`` line.
    year : int, optional
        Expected data year: the ``(YYYY年)`` of the table title (first cell) must equal it.

    Returns
    -------
    pandas.DataFrame
        ``name`` (row label as printed), ``value`` (float, unit as printed; NaN where the cell
        is blank), ``row`` (0-based row in the sheet); one row per province or aggregate.

    Raises
    ------
    SourceLayoutError
        No 全国 row; no column (or several) whose header matches ``header_pattern``; a unit
        other than ``unit``; a title year other than ``year``; a non-numeric value.
    """
    where = where or str(path)
    return _locate(_cells(Path(path)), [(header_pattern, unit)], where, year)[0]


def _locate(cells: pd.DataFrame, columns: list[tuple[str, str | None]], where: str,
            year: int | None) -> list[pd.DataFrame]:
    """:func:`read_table` for several ``(header_pattern, unit)`` of one sheet already read."""
    names = cells.iloc[:, 0].map(_norm)
    first = names.index[names == "全国"]
    if len(first) == 0:
        raise SourceLayoutError(f"{where}: no 全国 (national total) row found")
    start = first[0]
    if year is not None:
        title = _norm(cells.iat[0, 0])
        m = _TITLE_YEAR.search(title)
        if m is None or int(m.group(1)) != year:
            raise SourceLayoutError(
                f"{where}: title {title[:60]!r} does not name the data year {year} "
                "(the file name and the table's year disagree)")
    header = cells.loc[: start - 1]
    unit_line = next((t for t in names.loc[: start - 1] if t.startswith("单位")), "")
    # column 0 holds the row labels and the table title, which may repeat the pattern
    col_text = {c: "".join(_norm(v) for v in header[c]) for c in header.columns[1:]}
    body = cells.loc[start:]
    body = body[names.loc[start:] != ""]
    out = []
    for header_pattern, unit in columns:
        matches = [c for c, t in col_text.items() if re.search(header_pattern, t)]
        if len(matches) != 1:
            raise SourceLayoutError(
                f"{where}: {'no' if not matches else len(matches)} column header(s) contain "
                f"{header_pattern!r} (expected exactly one); headers: "
                + "; ".join(f"{c}: {t[:30]}" for c, t in col_text.items())
            )
        col = matches[0]
        if unit is not None:
            printed = _header_unit(col_text[col], unit_line)
            if unit not in printed:
                raise SourceLayoutError(
                    f"{where}: column {header_pattern!r} is printed in {printed or 'no unit'}, "
                    f"expected {unit!r}")
        raw = body[col]
        blank = raw.map(_norm) == ""
        value = pd.to_numeric(raw.where(~blank), errors="coerce")
        bad = raw[value.isna() & ~blank]
        if len(bad):
            raise SourceLayoutError(
                f"{where}: non-numeric {header_pattern} at rows {bad.index.tolist()[:10]}: "
                f"{bad.tolist()[:5]}"
            )
        out.append(pd.DataFrame({"name": body.iloc[:, 0], "value": value.astype("float64"),
                                 "row": body.index}, index=body.index))
    return out


def _long(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    prov_parts, nat_parts = [], []
    for table in TABLES:
        for year in table.years:
            rel = table.file(year)
            found = _locate(_cells(Path(raw_dir) / rel),
                            [(c.pattern, c.unit_in) for c in table.columns], rel, year)
            # one set of row labels per sheet: normalise it once
            prov, agg = split_aggregates(found[0][["name"]], "name", rel)
            expected = CODES - {code for y, code in table.absent if y == year}
            if set(prov["province_code"]) != expected or len(prov) != len(expected):
                raise SourceLayoutError(
                    f"{rel}: rows for {prov['province_code'].nunique()} provinces, expected "
                    f"{len(expected)}; missing {sorted(expected - set(prov['province_code']))}")
            national = agg.index[agg["name"].map(_norm) == "全国"]
            for c, t in zip(table.columns, found, strict=True):
                v = t["value"] * c.factor
                prov_parts.append(pd.DataFrame({
                    "province_code": prov["province_code"], "year": year, "column": c.column,
                    "value": v.loc[prov.index]}))
                nat_parts.append(pd.DataFrame({"year": year, "column": c.column,
                                               "value": v.loc[national]}))
    return pd.concat(prov_parts, ignore_index=True), pd.concat(nat_parts, ignore_index=True)


def read(raw_dir: Path) -> pd.DataFrame:
    """Industrial enterprises' R&D and S&T links, incubators and maker spaces, by province.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        31 × 6 rows (2018–2023): ``province_code, year`` and :data:`COLUMNS` in the units of
        :data:`VARIABLES` (亿元, 万人, 万人年, 个, 项, 件). Years a table does not cover are
        NaN (projects: 2018–2019; firm patents: no 2022; incubators, maker spaces: 2022–2023).

    Raises
    ------
    FileNotFoundError, SourceLayoutError, UnknownProvinceError, ConflictingValuesError
    """
    prov, _ = _long(Path(raw_dir))
    wide = long_to_wide(prov, ["province_code", "year"], "column", "value", YEARBOOK)
    return finalise(wide, COLUMNS, YEARBOOK)


def read_national(raw_dir: Path) -> pd.DataFrame:
    """National totals (row 全国) by year, same units as :func:`read`: ``year`` + columns."""
    _, nat = _long(Path(raw_dir))
    nat = nat.assign(province_code=100000)
    wide = long_to_wide(nat, ["province_code", "year"], "column", "value", YEARBOOK)
    return wide[["year", *COLUMNS]].astype({"year": "int64"})
