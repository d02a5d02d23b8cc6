"""Input-output tables: parser (real files), measures (hand-worked examples, identities,
invariances) and the province chain-linkage indicator.

Real-data tests read the 125 tables once per module (about 1 s).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data import io_tables
from analysis.data.io_tables import IOTableFormatError

# --------------------------------------------------------------------------------------
# parser on the real files
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frames(raw_dir):
    if not (raw_dir / "io_provincial").is_dir():
        pytest.skip("io_provincial not in the raw data")
    return io_tables.read_io(raw_dir)


@pytest.fixture(scope="module")
def tables(frames):
    return io_tables.io_tables_from_frames(frames)


def test_files_per_year(frames):
    files = frames["files"]
    counts = files.groupby("year")["province_code"].agg(["size", "nunique"])
    # 2002/2007: 30 provinces (no Tibet) + national; 2012: 31 + national; 2017: 31
    assert counts["size"].to_dict() == {2002: 31, 2007: 31, 2012: 32, 2017: 31}
    assert (counts["size"] == counts["nunique"]).all()
    for year in (2002, 2007):
        codes = set(files.loc[files.year == year, "province_code"])
        assert 540000 not in codes and 0 in codes and len(codes - {0}) == 30
    assert set(files.loc[files.year == 2017, "province_code"]) >= {540000, 110000, 650000}
    assert 0 not in set(files.loc[files.year == 2017, "province_code"])
    # the two national MHTML files are reported, not silently dropped
    assert len(frames["skipped"]) == 2


def test_shapes_and_dtypes(frames):
    flows, final, va = frames["flows"], frames["final"], frames["va"]
    assert len(flows) == 125 * 42 * 42
    assert list(flows.columns) == ["province_code", "year", "from_sector", "to_sector", "flow"]
    assert flows["province_code"].dtype == "int64" and flows["year"].dtype == "int64"
    assert sorted(flows["from_sector"].unique()) == [f"{i:02d}" for i in range(1, 43)]
    assert not flows.duplicated(["province_code", "year", "from_sector", "to_sector"]).any()
    assert len(va) == 125 * 7 * 42
    assert set(va["item"]) == {"TII", "VA001", "VA002", "VA003", "VA004", "TVA", "TI"}
    assert not final.duplicated(["province_code", "year", "sector", "item"]).any()
    # final-use items per layout
    items = final.groupby(["province_code", "year"])["item"].apply(lambda s: tuple(s.unique()))
    base = ("TIU", "FU101", "FU102", "THC", "FU103", "TC", "FU201", "FU202", "GCF")
    assert items[(320000, 2002)] == base + ("NOF", "TFU", "GO")
    assert items[(320000, 2007)] == base + ("FU302", "TFU", "FU304", "ERR", "GO")
    assert items[(320000, 2012)] == base + ("EX", "OF", "TFU", "IM", "IF", "ERR", "GO")
    assert items[(440000, 2017)] == base + ("EX", "OF", "TFU", "IM", "IF", "ERR", "GO")
    assert items[(0, 2012)] == base + ("EX", "TFU", "IM", "ERR", "GO")


def _flow(frames, code, year, i, j):
    f = frames["flows"]
    sel = (f.province_code == code) & (f.year == year) & (f.from_sector == i) & (f.to_sector == j)
    return f.loc[sel, "flow"].item()


def _final(frames, code, year, sector, item):
    f = frames["final"]
    sel = (f.province_code == code) & (f.year == year) & (f.sector == sector) & (f.item == item)
    return f.loc[sel, "value"].item()


def test_known_values_read_off_the_files(frames):
    # 2012 national 基本流量表, cell D11 (农林牧渔 -> 农林牧渔) and U30 (电子 -> 电子)
    assert _flow(frames, 0, 2012, "01", "01") == pytest.approx(123205603.45177445, rel=1e-12)
    assert _flow(frames, 0, 2012, "20", "20") == pytest.approx(324798501.11931264, rel=1e-12)
    # Jiangsu 2002 agriculture -> agriculture; Jiangsu 2007 (codes stored as numbers there)
    assert _flow(frames, 320000, 2002, "01", "01") == pytest.approx(5661391.536268232, rel=1e-12)
    assert _flow(frames, 320000, 2007, "01", "01") == pytest.approx(3785293.14, rel=1e-12)
    # Jiangsu 2012 agriculture: GO and inflow from other provinces
    assert _final(frames, 320000, 2012, "01", "GO") == pytest.approx(57612890.79923052, rel=1e-12)
    assert _final(frames, 320000, 2012, "01", "IF") == pytest.approx(3398071.0, rel=1e-12)
    # Guangdong 2017 electronics -> electronics (the largest own-use flow of the province)
    assert _flow(frames, 440000, 2017, "20", "20") == pytest.approx(225110597.2806, rel=1e-12)


def test_go_equals_ti(frames):
    """GO = TI per sector within 0.01 % (or 1 万元); the one exception is listed."""
    chk = io_tables.go_ti_check(frames)
    assert len(chk) == 125 * 42
    bad = chk.loc[~chk["ok"], ["province_code", "year", "sector"]]
    # Jiangsu 2002: 1,790 万元 moved between 37 综合技术服务 and 38 其他社会服务 in the TI row
    assert [tuple(r) for r in bad.itertuples(index=False)] == [
        (320000, 2002, "37"),
        (320000, 2002, "38"),
    ]
    assert chk["diff"].abs().max() < 1800


def test_row_and_column_totals(tables):
    """TIU = row sums of Z, TII = column sums of Z, GO = TIU + TFU − IM − IF + ERR."""
    exceptions = set()
    for key, t in tables.items():
        Z = t.Z.to_numpy()
        scale = t.x.abs().max()
        ok_rows = np.allclose(Z.sum(axis=1), t.final["TIU"], rtol=0, atol=1e-6 * scale)
        ok_cols = np.allclose(Z.sum(axis=0), t.va.loc["TII"], rtol=0, atol=1e-6 * scale)
        go = t.final["TIU"] + t.final["TFU"] - t._cols("IM", "IF", "FU304") + t.discrepancy
        ok_go = np.allclose(go, t.x, rtol=0, atol=1e-6 * scale)
        if not (ok_rows and ok_cols and ok_go):
            exceptions.add(key)
    # Fujian 2002: row 27 (交通运输及仓储) of Z sums to 6,876 万元 more than its TIU cell
    assert exceptions == {(350000, 2002)}


def test_sector_list():
    s = io_tables.io_sectors()
    assert len(s) == 4 * 42 and not s.duplicated(["io_year", "sector"]).any()
    rd = s[s.rd_intensive].groupby("io_year")["sector"].apply(list).to_dict()
    assert rd == {
        2002: ["19", "20", "29", "36", "37"],
        2007: ["19", "20", "29", "35", "36"],
        2012: ["20", "21", "32", "36"],
        2017: ["20", "21", "31", "35", "36"],
    }
    assert (s.rd_intensive <= s.rd_intensive_broad).all()
    # the same code means different sectors in different years
    assert io_tables.io_sectors(2007).set_index("sector").loc["20", "name_zh"].startswith("仪器")
    assert io_tables.io_sectors(2012).set_index("sector").loc["20", "name_zh"].startswith("通信")
    with pytest.raises(ValueError, match="io_year"):
        io_tables.io_sectors(2010)


def test_io_table_one_file_matches_frames(raw_dir, tables):
    t = io_tables.io_table(440000, 2017, raw_dir)
    ref = tables[(440000, 2017)]
    pd.testing.assert_frame_equal(t.Z, ref.Z)
    pd.testing.assert_series_equal(t.x, ref.x)
    assert t.rd_sectors == ["20", "21", "31", "35", "36"]
    assert t.trade_basis == "gross"
    np.testing.assert_allclose(t.imports, t.final["IM"] + t.final["IF"])
    with pytest.raises(KeyError, match="540000"):
        io_tables.io_table(540000, 2007, raw_dir)


def test_trade_basis_by_layout(tables):
    t02, t07 = tables[(320000, 2002)], tables[(320000, 2007)]
    assert t02.trade_basis == "net" and t07.trade_basis == "gross_combined"
    np.testing.assert_allclose(t02.exports - t02.imports, t02.final["NOF"])
    assert (t02.exports * t02.imports == 0).all()  # minimum cross-hauling
    np.testing.assert_allclose(t07.imports, t07.final["FU304"])


def test_masked_national_html_raises(raw_dir):
    path = raw_dir / "io_provincial" / "2017年全国42个部门基本流量表.xls"
    if not path.exists():
        pytest.skip("national 2017 file not present")
    with pytest.raises(IOTableFormatError, match=r"masked"):
        io_tables.read_national_html(path)
    with pytest.raises(IOTableFormatError, match="MHTML"):
        io_tables.read_io_file(path)


def test_broken_files_give_clear_errors(tmp_path, raw_dir):
    # a truncated workbook
    src = raw_dir / "io_provincial" / "2012年各省份投入产出表" / "10江苏.xls"
    bad = tmp_path / "10江苏.xls"
    bad.write_bytes(src.read_bytes()[:5000])
    with pytest.raises(IOTableFormatError, match="10江苏.xls"):
        io_tables.read_io_file(bad)
    # no year folders at all
    with pytest.raises(FileNotFoundError, match="fetch"):
        io_tables.list_io_files(tmp_path)
