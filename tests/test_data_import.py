"""`python -m analysis data import`: NBS data-portal exports (分省年度数据) as user series.

Fixtures are small files written here: a GBK CSV with a blank cell, footnotes and a 全国 row;
the same as UTF-8 with BOM and as .xlsx; and malformed variants. The end-to-end test imports
the GBK file through the command line, builds the panel from the raw mirror in a temporary
root and finds the 31 × 10 values (the blank missing) in ``panel.parquet``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.data import user_sources as us
from analysis.data.provinces import PROVINCES

YEARS = list(range(2023, 2013, -1))  # as the portal writes them: latest first
BLANK = (540000, 2015)               # 西藏自治区 2015 left empty


def _value(code: int, year: int) -> float:
    """The fixture's value of a province-year (distinct, with one decimal)."""
    return round(code / 1000 + (year - 2000) * 1.5 + 0.1, 1)


def _rows(*, national=True, notes=True, header_year="{}年") -> list[list[str]]:
    rows = [["数据库：分省年度数据"], ["指标：规模以上工业企业单位数(个)"], ["时间：最近10年"],
            ["地区", *[header_year.format(y) for y in YEARS]]]
    if national:
        rows.append(["全国", *[f"{450000 + y:.1f}" for y in YEARS]])
    for code, full in zip(PROVINCES.province_code, PROVINCES.full_name_zh, strict=True):
        rows.append([full, *["" if (code, y) == BLANK else f"{_value(code, y):.1f}"
                             for y in YEARS]])
    if notes:
        rows += [["注：2023年为初步数。"], ["数据来源：国家统计局"]]
    return rows


def _csv(rows) -> str:
    return "\r\n".join(",".join(r) for r in rows) + "\r\n"


@pytest.fixture
def gbk_csv(tmp_path):
    p = tmp_path / "ind_firms.csv"
    p.write_bytes(_csv(_rows()).encode("gbk"))
    return p


def _expected() -> pd.DataFrame:
    out = pd.DataFrame([(c, y, np.nan if (c, y) == BLANK else _value(c, y))
                        for c in PROVINCES.province_code for y in YEARS],
                       columns=["province_code", "year", "value"])
    return out.sort_values(["province_code", "year"], ignore_index=True)


def test_gbk_csv_with_blank_footnotes_and_national_row(gbk_csv):
    ex = us.parse_nbs_export(gbk_csv)
    assert (ex.label, ex.unit, ex.database, ex.period) == (
        "规模以上工业企业单位数", "个", "分省年度数据", "最近10年")
    assert ex.dropped == ["全国"] and ex.notes == ["注：2023年为初步数。", "数据来源：国家统计局"]
    assert len(ex.data) == 31 * 10 and ex.years == sorted(YEARS)
    pd.testing.assert_frame_equal(ex.data, _expected())
    tib = ex.data.set_index(["province_code", "year"]).value
    assert np.isnan(tib.loc[BLANK]) and tib.isna().sum() == 1  # blank is missing, not 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_encodings_read_the_same(tmp_path, encoding):
    p = tmp_path / "x.csv"
    p.write_bytes(_csv(_rows()).encode(encoding))
    pd.testing.assert_frame_equal(us.parse_nbs_export(p).data, _expected())


def test_xlsx(tmp_path):
    p = tmp_path / "x.xlsx"
    rows = _rows()
    width = max(len(r) for r in rows)
    df = pd.DataFrame([r + [""] * (width - len(r)) for r in rows])
    # numbers as numbers, as Excel exports hold them
    df = df.map(lambda v: float(v) if v.replace(".", "").isdigit() else (v or None))
    df.to_excel(p, header=False, index=False)
    ex = us.parse_nbs_export(p)
    pd.testing.assert_frame_equal(ex.data, _expected())
    assert ex.unit == "个" and ex.dropped == ["全国"]


def test_xls_that_is_an_html_table(tmp_path):
    """Some portals' .xls downloads are HTML tables; they are read with pandas.read_html."""
    p = tmp_path / "x.xls"
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in _rows())
    p.write_text(f"<html><body><table>{body}</table></body></html>", encoding="utf-8")
    ex = us.parse_nbs_export(p)
    pd.testing.assert_frame_equal(ex.data, _expected())
    assert ex.dropped == ["全国"] and len(ex.notes) == 2


def test_variants_that_are_accepted(tmp_path):
    p = tmp_path / "x.csv"
    # no 全国 row, no footnotes, bare year headers, full-width parentheses, short names
    rows = _rows(national=False, notes=False, header_year="{}")
    rows[1] = ["指标：规模以上工业企业单位数（个）"]
    rows = [[PROVINCES.set_index("full_name_zh").name_zh.get(r[0], r[0]), *r[1:]] for r in rows]
    p.write_bytes(_csv(rows).encode("utf-8"))
    ex = us.parse_nbs_export(p)
    pd.testing.assert_frame_equal(ex.data, _expected())
    assert ex.unit == "个" and ex.dropped == [] and ex.notes == []


def _bad(tmp_path, rows, name="bad.csv"):
    p = tmp_path / name
    p.write_bytes(_csv(rows).encode("gbk"))
    return p


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r.pop(1), r"no line '指标：<label>\(<unit>\)'"),
    (lambda r: r.__setitem__(1, ["指标：规模以上工业企业单位数"]), "gives no unit in parentheses"),
    (lambda r: r.__setitem__(3, ["省份", *r[3][1:]]), "no header row starting with 地区"),
    (lambda r: r.__setitem__(3, ["地区", "规模以上工业企业单位数", *r[3][2:]]),
     r"header '规模以上工业企业单位数' is not a year like '2023年'"),
    (lambda r: r.__setitem__(3, ["地区", "2023年", "2023年", *r[3][3:]]), r"\[2023\] appear twice"),
    (lambda r: r.__setitem__(6, [r[6][0], "1.2x", *r[6][2:]]),
     r"line 7 \(天津市\), 2023: '1.2x' is not a number; leave the cell empty"),
    (lambda r: r.__setitem__(6, ["天京市", *r[6][1:]]),
     r"(?s)unknown province name.*'天京市' at rows \[7\]; closest: 天津市"),
    (lambda r: r.__setitem__(6, ["北京市", *r[6][1:]]), r"listed twice: 北京 at lines \[6, 7\]"),
    (lambda r: r.pop(6), r"1 province\(s\) missing: 天津 \(120000\).*add the missing row"),
    (lambda r: r.append(["海南省", "1"]), "after the footnotes"),
])
def test_malformed_files_say_what_to_fix(tmp_path, mutate, message):
    rows = _rows()
    mutate(rows)
    with pytest.raises(us.ImportFormatError, match=message):
        us.parse_nbs_export(_bad(tmp_path, rows))


def test_wrong_file_type_and_encoding(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("地区", encoding="utf-8")
    with pytest.raises(us.ImportFormatError, match=r"expected a \.csv, \.xlsx or \.xls"):
        us.parse_nbs_export(p)
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"not a workbook")
    with pytest.raises(us.ImportFormatError, match="not a readable Excel file"):
        us.parse_nbs_export(p)
    p = tmp_path / "x.csv"
    p.write_bytes(_csv(_rows()).encode("utf-16"))
    with pytest.raises(us.ImportFormatError, match="neither UTF-8 nor GBK"):
        us.parse_nbs_export(p)


# --------------------------------------------------------------------------------------------
# registering (data/raw/user + data/user_sources.csv) and the end-to-end build
# --------------------------------------------------------------------------------------------

@pytest.fixture
def root(tmp_path, monkeypatch):
    r = tmp_path / "root"
    (r / "data").mkdir(parents=True)
    monkeypatch.setenv("ANALYSIS_ROOT", str(r))
    return r


def _snapshot(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_import_registers_copy_and_hash(root, gbk_csv):
    rec, ex = us.import_file(gbk_csv, "ind_firms", label_en="Industrial enterprises")
    copy = paths.raw_dir() / "user" / "ind_firms.csv"
    assert copy.read_bytes() == gbk_csv.read_bytes()
    assert rec.sha256 == hashlib.sha256(gbk_csv.read_bytes()).hexdigest()
    assert us.record_path() == root / "data" / "user_sources.csv"
    (back,) = us.load_records()
    assert back == rec and (back.first_year, back.last_year, back.unit) == (2014, 2023, "个")
    # taken names: a panel column, or a registered series without --replace
    with pytest.raises(us.ImportFormatError, match="already a panel column"):
        us.import_file(gbk_csv, "gdp")
    with pytest.raises(us.ImportFormatError, match="add --replace"):
        us.import_file(gbk_csv, "ind_firms")
    with pytest.raises(us.ImportFormatError, match="lower-case letters"):
        us.import_file(gbk_csv, "Ind-Firms")
    rec2, _ = us.import_file(gbk_csv, "ind_firms", replace=True)
    assert [r.name for r in us.load_records()] == ["ind_firms"] and rec2.sha256 == rec.sha256


def test_failed_import_writes_nothing(root, gbk_csv, tmp_path):
    us.import_file(gbk_csv, "ind_firms")
    before = _snapshot(root)
    rows = _rows()
    rows[6][2] = "n/a"
    with pytest.raises(us.ImportFormatError):
        us.import_file(_bad(tmp_path, rows), "ind_firms", replace=True)
    with pytest.raises(us.ImportFormatError):
        us.import_file(_bad(tmp_path, rows), "other")
    assert _snapshot(root) == before


def test_verify_refuses_a_changed_file(root, gbk_csv):
    us.import_file(gbk_csv, "ind_firms")
    copy = paths.raw_dir() / "user" / "ind_firms.csv"
    copy.write_bytes(copy.read_bytes() + b"\r\n")
    with pytest.raises(us.UserSourceError, match="changed since it was imported.*--replace"):
        us.verify()
    copy.unlink()
    with pytest.raises(us.UserSourceError, match="is missing"):
        us.verify()


def test_end_to_end_import_then_build(tmp_path, monkeypatch, gbk_csv, capsys):
    """GBK export with a blank, footnotes and 全国 -> `data import` -> `data build` -> panel."""
    mirror = paths.mirror_dir()
    if mirror is None:
        pytest.skip("needs the raw mirror to build the panel")
    from analysis.cli import main

    root = tmp_path / "e2e"
    (root / "data").mkdir(parents=True)
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    monkeypatch.setenv("ANALYSIS_MIRROR", str(mirror))
    assert main(["data", "import", str(gbk_csv), "--name", "ind_firms",
                 "--label-en", "Industrial enterprises above designated size"]) == 0
    out = capsys.readouterr().out
    assert "as ind_firms: 31 provinces x 10 years (2014-2023), 309 values, 1 blank" in out
    assert "national/regional totals: 全国" in out
    assert main(["data", "build"]) == 0
    processed = root / "data" / "processed"
    panel = pd.read_parquet(processed / "panel.parquet")
    got = panel[panel.year.between(2014, 2023)][["province_code", "year", "ind_firms"]]
    got = got.rename(columns={"ind_firms": "value"}).sort_values(
        ["province_code", "year"], ignore_index=True)
    pd.testing.assert_frame_equal(got, _expected())  # 31 x 10, Tibet 2015 NaN
    assert panel.loc[~panel.year.between(2014, 2023), "ind_firms"].isna().all()
    cb = pd.read_csv(processed / "codebook.csv", encoding="utf-8-sig").set_index("variable")
    row = cb.loc["ind_firms"]
    assert (row.label_zh, row.unit, row.source, row.parser) == (
        "规模以上工业企业单位数", "个", "user/ind_firms.csv", "user")
    assert row.label_en == "Industrial enterprises above designated size"
    assert row.n_obs == 309 and row.years_covered == "2014-2023"
    assert "注：2023年为初步数。" in row.table and "全国" in row.transformation
    # a second import changes the data step's inputs: the next build runs and adds it
    assert main(["data", "import", str(gbk_csv), "--name", "ind_firms_copy"]) == 0
    assert main(["data", "build"]) == 0
    assert "[data] running" in capsys.readouterr().out
    panel = pd.read_parquet(processed / "panel.parquet")
    assert panel["ind_firms_copy"].equals(panel["ind_firms"])
    before = _snapshot(processed)
    # a failed import leaves the processed files and the registration intact
    bad = gbk_csv.with_name("bad.csv")
    bad.write_bytes(gbk_csv.read_bytes().replace("指标".encode("gbk"), b"X"))
    assert main(["data", "import", str(bad), "--name", "other"]) == 1
    assert "no line '指标" in capsys.readouterr().err
    assert _snapshot(processed) == before
    assert [r.name for r in us.load_records()] == ["ind_firms", "ind_firms_copy"]
    # a user file changed after the import: the data layer's build stops before anything is
    # written, so the previous processed files stay as they were ...
    copy = root / "data" / "raw" / "user" / "ind_firms.csv"
    copy.write_bytes(copy.read_bytes() + b"\r\n")
    from analysis.data import pipeline

    with pytest.raises(us.UserSourceError, match="changed since it was imported"):
        pipeline.build()
    assert _snapshot(processed) == before
    # ... and `data build` (the step runner) fails naming it, before its atomic swap: the
    # previous processed files stay intact too, and the data step's record is deleted, so no
    # later step runs on them until a build succeeds
    assert main(["data", "build"]) == 1
    out = capsys.readouterr()
    assert "changed since it was imported" in out.err
    assert "previous outputs left intact" in out.out

    def outputs(snap):
        return {k: v for k, v in snap.items() if not k.startswith(".steps")}

    assert outputs(_snapshot(processed)) == outputs(before)
    from analysis import steps

    assert steps.read_record("data") is None
