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
    assert list(flows.columns) == [
        "province_code", "year", "from_sector", "to_sector", "flow", "source", "table_type"]
    assert set(flows["source"]) == {"io_provincial"} and set(flows["table_type"]) == {"competitive"}
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
    """Cells read off the files (published in 万元) come back in 亿元 = 万元 / 10⁴."""
    # 2012 national 基本流量表, cell D11 (农林牧渔 -> 农林牧渔) and U30 (电子 -> 电子)
    assert _flow(frames, 0, 2012, "01", "01") == pytest.approx(123205603.45177445 / 1e4, rel=1e-12)
    assert _flow(frames, 0, 2012, "20", "20") == pytest.approx(324798501.11931264 / 1e4, rel=1e-12)
    # Jiangsu 2002 agriculture -> agriculture; Jiangsu 2007 (codes stored as numbers there)
    assert _flow(frames, 320000, 2002, "01", "01") == pytest.approx(566.1391536268232, rel=1e-12)
    assert _flow(frames, 320000, 2007, "01", "01") == pytest.approx(378.529314, rel=1e-12)
    # Jiangsu 2012 agriculture: GO and inflow from other provinces
    assert _final(frames, 320000, 2012, "01", "GO") == pytest.approx(5761.289079923052, rel=1e-12)
    assert _final(frames, 320000, 2012, "01", "IF") == pytest.approx(339.8071, rel=1e-12)
    # Guangdong 2017 electronics -> electronics (the largest own-use flow of the province)
    assert _flow(frames, 440000, 2017, "20", "20") == pytest.approx(22511.05972806, rel=1e-12)


def test_amounts_in_yi_yuan(frames):
    """The IO tables are in 亿元 like the panel: national 2012 total value added (sum of TVA over
    the 42 sectors) is 536,800 亿元, within 1 % of the NBS 2012 GDP after the 2013 census
    (540,367 亿元; a table left in 万元 would be 10⁴ times larger)."""
    va = frames["va"]
    tva = va[(va.province_code == 0) & (va.year == 2012) & (va.item == "TVA")]["value"].sum()
    assert tva == pytest.approx(536_800.17, abs=0.01)
    assert tva == pytest.approx(540_367.4, rel=0.01)


def test_go_equals_ti(frames):
    """GO = TI per sector within 0.01 % (or 1e-4 亿元 = 1 万元); the one exception is listed."""
    chk = io_tables.go_ti_check(frames)
    assert len(chk) == 125 * 42
    bad = chk.loc[~chk["ok"], ["province_code", "year", "sector"]]
    # Jiangsu 2002: 0.179 亿元 (1,790 万元) moved between 37 综合技术服务 and 38 其他社会服务 in
    # the TI row
    assert [tuple(r) for r in bad.itertuples(index=False)] == [
        (320000, 2002, "37"),
        (320000, 2002, "38"),
    ]
    assert chk["diff"].abs().max() == pytest.approx(0.179, abs=0.001)  # 亿元


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
    # Fujian 2002: row 27 (交通运输及仓储) of Z sums to 0.6876 亿元 (6,876 万元) more than its TIU
    assert exceptions == {(350000, 2002)}


# --------------------------------------------------------------------------------------
# national tables (io_national R data)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national(raw_dir):
    if not (raw_dir / "io_national").is_dir():
        pytest.skip("io_national not in the raw data")
    return io_tables.read_national_io(raw_dir)


def test_national_tables_read(national):
    files = national["files"].set_index("year")["table_type"].to_dict()
    assert files == {2005: "competitive", 2015: "competitive", 2017: "non-competitive",
                     2018: "non-competitive", 2020: "non-competitive"}
    for key in ("flows", "final", "va"):
        d = national[key]
        assert set(d["province_code"]) == {0} and set(d["source"]) == {"io_national"}
    assert (national["flows"].groupby("year").size() == 42 * 42).all()
    items = national["final"].groupby("year")["item"].apply(lambda s: tuple(s.unique()))
    assert items[2017] == ("TIU", "TC", "FU201", "FU202", "EX", "TFU", "GO")
    assert items[2015][-4:] == ("TFU", "IM", "ERR", "GO")
    # imports only for the non-competitive tables: 42 products x (42 sectors + 7 final items)
    assert national["imports"].groupby("year").size().to_dict() == {
        2017: 42 * 49, 2018: 42 * 49, 2020: 42 * 49}


def _nat(frames, key, year, a, b):
    d = frames[key]
    cols = ("from_sector", "to_sector") if key == "flows" else ("sector", "item")
    sel = (d.year == year) & (d[cols[0]] == a) & (d[cols[1]] == b)
    return d.loc[sel, "flow" if key == "flows" else "value"].item()


def test_national_known_values(national):
    """Cells read off china_<year>_42.rda (万元) come back in 亿元."""
    # 2017 non-competitive, Domestic 农林牧渔 -> 农林牧渔: 145,853,072.82 万元
    assert _nat(national, "flows", 2017, "01", "01") == pytest.approx(14585.307282364976, rel=1e-12)
    # 2017 Domestic 通信设备、计算机和其他电子设备 -> same: 264,376,394.49 万元
    assert _nat(national, "flows", 2017, "20", "20") == pytest.approx(26437.639448558605, rel=1e-12)
    assert _nat(national, "flows", 2020, "01", "01") == pytest.approx(17917.024620290548, rel=1e-12)
    assert _nat(national, "flows", 2015, "20", "20") == pytest.approx(41344.74810837769, rel=1e-12)
    assert _nat(national, "flows", 2005, "01", "01") == pytest.approx(6171.761519957745, rel=1e-12)
    # 2017 totals: value added 823,215.7 亿元 (the table's GDP), imports 149,268.4 亿元
    va = national["va"]
    tva = va[(va.year == 2017) & (va.item == "TVA")]["value"].sum()
    assert tva == pytest.approx(823_215.7064, abs=1e-3)
    imp = national["imports"]
    assert imp[(imp.year == 2017) & (imp.item == "GO")]["value"].sum() == pytest.approx(
        149_268.3828, abs=1e-3)


def test_national_identities(national):
    """GO = TI per sector (tolerance 1e-4 亿元 + 0.01 %; observed relative gap < 1e-13);
    non-competitive: domestic GO = TIU + TFU, TII = column sums of the domestic and the
    imported intermediate blocks, imports GO = TIU + TFU; competitive: GO = TIU + TFU − IM + ERR
    (2005 has no TFU column: the sum of its final-use columns)."""
    chk = io_tables.go_ti_check(national)
    assert len(chk) == 5 * 42 and chk["ok"].all() and chk["rel_diff"].max() < 1e-13
    tables = io_tables.io_tables_from_frames(national)
    imp = national["imports"]
    for (code, year), t in tables.items():
        assert code == 0
        Z, f = t.Z.to_numpy(), t.final
        tol = 1e-9 * t.x.abs().max()
        np.testing.assert_allclose(Z.sum(axis=1), f["TIU"], rtol=0, atol=tol)
        if year >= 2017:
            assert t.imports.abs().max() == 0  # no IM column: imports are separate rows
            np.testing.assert_allclose(f["TIU"] + f["TFU"], t.x, rtol=0, atol=tol)
            m = imp[imp.year == year].pivot(index="sector", columns="item", values="value")
            Zm = m[list(io_tables.SECTOR_CODES)].to_numpy()
            np.testing.assert_allclose(Z.sum(axis=0) + Zm.sum(axis=0), t.va.loc["TII"],
                                       rtol=0, atol=tol)
            np.testing.assert_allclose(m["TIU"] + m["TFU"], m["GO"], rtol=0, atol=tol)
        else:
            fd = f["TFU"] if "TFU" in f else f[["FU101", "FU102", "FU103", "FU201", "FU202",
                                               "EX"]].sum(axis=1)
            np.testing.assert_allclose(f["TIU"] + fd - f["IM"] + f["ERR"], t.x, rtol=0, atol=tol)
            np.testing.assert_allclose(Z.sum(axis=0), t.va.loc["TII"], rtol=0, atol=tol)
        np.testing.assert_allclose(t.va.loc["TII"] + t.va.loc["TVA"], t.total_input,
                                   rtol=0, atol=tol)


def test_national_sector_lists_and_combined_frames(raw_dir, national):
    assert io_tables.classification_year(2018) == 2017
    assert io_tables.classification_year(2015) == 2012
    with pytest.raises(ValueError, match="2010"):
        io_tables.classification_year(2010)
    tables = io_tables.io_tables_from_frames(national)
    # 2018 follows the 2017 list: 35 研究和试验发展 is R&D-intensive
    assert tables[(0, 2018)].sectors.loc["35", "name_zh"].startswith("研究")
    assert tables[(0, 2018)].rd_sectors == ["20", "21", "31", "35", "36"]
    allf = io_tables.read_io_all(raw_dir)
    keys = allf["files"][["province_code", "year"]]
    assert not keys.duplicated().any() and len(keys) == 130
    assert set(allf["files"].loc[allf["files"].province_code == 0, "year"]) == {
        2002, 2005, 2007, 2012, 2015, 2017, 2018, 2020}
    nat = allf["flows"][allf["flows"].province_code == 0]
    assert nat.groupby("year")["source"].first().to_dict() == {
        2002: "io_provincial", 2005: "io_national", 2007: "io_provincial",
        2012: "io_provincial", 2015: "io_national", 2017: "io_national",
        2018: "io_national", 2020: "io_national"}
    with pytest.raises(ValueError, match="no 42-sector national table for 2010"):
        io_tables.read_national_io(raw_dir, [2010])


def test_national_file_errors(tmp_path):
    pyreadr = pytest.importorskip("pyreadr")
    bad = pd.DataFrame({"Code": ["01"], "x": [1.0]})
    p = tmp_path / "china_2017_42.rda"
    pyreadr.write_rdata(str(p), bad, df_name="china_2017_42")
    with pytest.raises(IOTableFormatError, match=r"china_2017_42\.rda: sector columns"):
        io_tables.read_national_file(p, 2017)
    p.write_bytes(b"not R data")
    with pytest.raises(IOTableFormatError, match="not readable R data"):
        io_tables.read_national_file(p, 2017)


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


# --------------------------------------------------------------------------------------
# measures: hand-worked examples (Miller & Blair 2009)
# --------------------------------------------------------------------------------------

from types import SimpleNamespace  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from analysis.measures import io as mio  # noqa: E402

MB_Z = np.array([[150.0, 500.0], [200.0, 100.0]])
MB_X = np.array([1000.0, 2000.0])


def test_miller_blair_two_sector_example():
    """M&B (2009) §2.3, the two-sector example (Z, x of their Table 2.3): A and L as printed."""
    A = mio.technical_coefficients(MB_Z, MB_X)
    np.testing.assert_array_equal(A, [[0.15, 0.25], [0.2, 0.05]])
    L = mio.leontief_inverse(A)
    np.testing.assert_array_equal(np.round(L, 3), [[1.254, 0.330], [0.264, 1.122]])
    # exact: det(I − A) = 0.85·0.95 − 0.25·0.2 = 0.7575
    np.testing.assert_allclose(L, np.array([[0.95, 0.25], [0.2, 0.85]]) / 0.7575, rtol=1e-14)
    # x = L f with f = x − Z i = (350, 1700)
    np.testing.assert_allclose(L @ (MB_X - MB_Z.sum(axis=1)), MB_X, rtol=1e-13)


def test_ghosh_two_sector_example():
    B = mio.ghosh_coefficients(MB_Z, MB_X)
    np.testing.assert_array_equal(B, [[0.15, 0.5], [0.1, 0.05]])
    G = mio.ghosh_inverse(B)
    v = MB_X - MB_Z.sum(axis=0)  # value added (650, 1400)
    np.testing.assert_allclose(v @ G, MB_X, rtol=1e-13)  # x' = v'G (M&B §12.1)
    # G = x̂⁻¹ L x̂
    L = mio.leontief_inverse(mio.technical_coefficients(MB_Z, MB_X))
    np.testing.assert_allclose(G, np.diag(1 / MB_X) @ L @ np.diag(MB_X), rtol=1e-13)


def test_linkages_two_sector_example():
    li = mio.linkage_indices(MB_Z, MB_X)
    L = np.array([[0.95, 0.25], [0.2, 0.85]]) / 0.7575
    bl = L.sum(axis=0)  # (1.5182, 1.4521)
    np.testing.assert_allclose(li["backward"], bl / bl.mean(), rtol=1e-13)
    G = np.diag(1 / MB_X) @ L @ np.diag(MB_X)
    fl = G.sum(axis=1)
    np.testing.assert_allclose(li["forward"], fl / fl.mean(), rtol=1e-13)
    assert li["backward"].round(4).tolist() == [1.0222, 0.9778]
    li_l = mio.linkage_indices(MB_Z, MB_X, forward="leontief")
    np.testing.assert_allclose(li_l["forward"], L.sum(axis=1) / L.sum(axis=1).mean(), rtol=1e-13)
    # sector 1: BL 1.022 > 1, FL (Ghosh) = ?; key sector iff both > 1
    assert li["key_sector"].tolist() == [
        bool(li["backward"][0] > 1 and li["forward"][0] > 1),
        bool(li["backward"][1] > 1 and li["forward"][1] > 1),
    ]
    assert mio.key_sectors(li) == li.index[li["key_sector"]].tolist()


def test_three_sector_linkages_by_hand():
    """Three sectors: sector 2 buys and sells most; it is the only key sector."""
    Z = np.array([[10.0, 40.0, 5.0], [20.0, 30.0, 40.0], [5.0, 20.0, 5.0]])
    x = np.array([100.0, 200.0, 100.0])
    li = mio.linkage_indices(Z, x)
    A = Z / x
    L = np.linalg.inv(np.eye(3) - A)
    G = np.linalg.inv(np.eye(3) - Z / x[:, None])
    np.testing.assert_allclose(li["backward"], 3 * L.sum(0) / L.sum(), rtol=1e-13)
    np.testing.assert_allclose(li["forward"], 3 * G.sum(1) / G.sum(), rtol=1e-13)
    assert li["backward"].mean() == pytest.approx(1) and li["forward"].mean() == pytest.approx(1)
    assert mio.key_sectors(li) == [1]


def test_dataframe_labels_are_kept():
    lab = ["a", "b"]
    Z = pd.DataFrame(MB_Z, index=lab, columns=lab)
    A = mio.technical_coefficients(Z, pd.Series(MB_X, index=lab))
    assert isinstance(A, pd.DataFrame) and list(A.columns) == lab
    li = mio.linkage_indices(Z, pd.Series(MB_X[::-1], index=lab[::-1]))  # aligned by label
    np.testing.assert_allclose(li.loc[lab, "backward"], mio.linkage_indices(MB_Z, MB_X)["backward"])


def test_rpc_hand_example():
    x = np.array([100.0, 200.0, 50.0])
    e = np.array([20.0, 50.0, 60.0])  # sector 3 re-exports: x − e < 0 -> r = 0
    m = np.array([30.0, 0.0, 40.0])
    r = mio.regional_purchase_coefficients(x, e, m)
    np.testing.assert_allclose(r, [80 / 110, 1.0, 0.0])
    with pytest.raises(ValueError, match="outside"):
        mio.regional_purchase_coefficients(x, e, m, clip=False)
    A = np.array([[0.1, 0.2, 0.3], [0.0, 0.1, 0.2], [0.3, 0.0, 0.1]])
    Aloc = mio.local_coefficients(A, r)
    np.testing.assert_allclose(Aloc, np.diag(r) @ A)
    # equivalent form r = 1 − m / absorption, absorption = x − e + m (no ERR)
    np.testing.assert_allclose(r[:2], 1 - m[:2] / (x - e + m)[:2])
    # the cap: local intermediate sales r·TIU <= x − e
    r_cap = mio.regional_purchase_coefficients(
        x, e, m, intermediate_use=np.array([200.0, 10.0, 0.0])
    )
    np.testing.assert_allclose(r_cap, [80 / 200, 1.0, 0.0])
    # re-exports allowed: r = x / (x + m)
    r_ts = mio.regional_purchase_coefficients(x, e, m, assumption="total_supply")
    np.testing.assert_allclose(r_ts, [100 / 130, 1.0, 50 / 90])
    with pytest.raises(ValueError, match="assumption"):
        mio.regional_purchase_coefficients(x, e, m, assumption="lq")


def test_zero_output_sector():
    Z = np.array([[10.0, 0.0, 5.0], [20.0, 0.0, 40.0], [7.0, 0.0, 5.0]])  # sector 2 not produced
    x = np.array([100.0, 0.0, 100.0])
    A = mio.technical_coefficients(Z, x)
    np.testing.assert_array_equal(A[:, 1], 0.0)
    B = mio.ghosh_coefficients(Z, x)
    np.testing.assert_array_equal(B[1], 0.0)
    li = mio.linkage_indices(Z, x)
    assert np.isnan(li.loc[1, "backward"]) and not li.loc[1, "key_sector"]
    assert li["backward"].mean() == pytest.approx(1.0)  # over the active sectors
    with pytest.raises(ValueError, match="zero for sectors \\[1\\]"):
        mio.technical_coefficients(Z, x, zero_output="raise")


def test_clear_errors():
    with pytest.raises(ValueError, match="square"):
        mio.technical_coefficients(np.ones((2, 3)), [1, 2])
    with pytest.raises(ValueError, match="length 2"):
        mio.technical_coefficients(MB_Z, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="negative flows"):
        mio.technical_coefficients(np.array([[1.0, -1.0], [0.0, 1.0]]), [10.0, 10.0])
    with pytest.raises(ValueError, match="negative"):
        mio.technical_coefficients(MB_Z, [1000.0, -5.0])
    with pytest.raises(ValueError, match="missing or infinite value.*row 0, column 0"):
        mio.technical_coefficients(np.array([[np.nan, 1.0], [0.0, 1.0]]), [10.0, 10.0])
    with pytest.raises(ValueError, match="not productive: spectral radius 1 >= 1"):
        mio.leontief_inverse(np.array([[0.5, 0.5], [0.5, 0.5]]))  # column sums 1
    with pytest.raises(ValueError, match="forward"):
        mio.linkage_indices(MB_Z, MB_X, forward="rows")
    with pytest.raises(ValueError, match="labels"):
        mio.technical_coefficients(
            pd.DataFrame(MB_Z, index=["a", "b"], columns=["a", "b"]),
            pd.Series(MB_X, index=["a", "c"]),
        )


# --------------------------------------------------------------------------------------
# property tests: invariances
# --------------------------------------------------------------------------------------


@st.composite
def io_systems(draw):
    n = draw(st.integers(2, 7))
    Z = draw(arrays(np.float64, (n, n), elements=st.floats(0, 100)))
    f = draw(arrays(np.float64, n, elements=st.floats(1, 100)))
    va = draw(arrays(np.float64, n, elements=st.floats(1, 100)))
    # make the table balance column-wise too: x = row sum + f, and scale so x_j > col sum
    x = Z.sum(axis=1) + f
    x = np.maximum(x, Z.sum(axis=0) + va)
    perm = draw(st.permutations(range(n)))
    return Z, x, np.array(perm)


@settings(max_examples=40, deadline=None)
@given(io_systems(), st.floats(1e-3, 1e4))
def test_invariances(system, c):
    Z, x, p = system
    A = mio.technical_coefficients(Z, x)
    L = mio.leontief_inverse(A)
    np.testing.assert_allclose((np.eye(len(x)) - A) @ L, np.eye(len(x)), atol=1e-10)
    assert (A.sum(axis=0) < 1).all()
    # scaling all flows leaves A (and everything derived) unchanged
    np.testing.assert_allclose(mio.technical_coefficients(c * Z, c * x), A, rtol=1e-12, atol=1e-300)  # subnormals
    # permuting sectors permutes the results
    li = mio.linkage_indices(Z, x)
    li_p = mio.linkage_indices(Z[np.ix_(p, p)], x[p])
    np.testing.assert_allclose(li_p["backward"], li["backward"].to_numpy()[p], rtol=1e-9)
    np.testing.assert_allclose(li_p["forward"], li["forward"].to_numpy()[p], rtol=1e-9)
    np.testing.assert_allclose(
        mio.technical_coefficients(Z[np.ix_(p, p)], x[p]), A[np.ix_(p, p)], rtol=1e-12
    )
    # Ghosh: x' = v'G
    v = x - Z.sum(axis=0)
    G = mio.ghosh_inverse(mio.ghosh_coefficients(Z, x))
    np.testing.assert_allclose(v @ G, x, rtol=1e-8)


# --------------------------------------------------------------------------------------
# identities on the real tables
# --------------------------------------------------------------------------------------


def test_leontief_identity_real_tables(tables):
    for key, t in tables.items():
        A = mio.technical_coefficients(t.Z, t.x, negative="allow").to_numpy()
        L = mio.leontief_inverse(A)
        err = np.abs((np.eye(42) - A) @ L - np.eye(42)).max()
        assert err < 1e-10, key


def test_column_sums_of_A_real_tables(tables):
    """Column sums of A < 1 except in the four sectors with negative value added."""
    over = []
    for key, t in tables.items():
        s = mio.technical_coefficients(t.Z, t.x, negative="allow").sum(axis=0)
        over += [(*key, j) for j in s.index[s >= 1]]
        tva = t.value_added[s.index[s >= 1]]
        assert (tva < 0).all(), key
    assert sorted(over) == [
        (150000, 2002, "24"),
        (220000, 2002, "13"),
        (460000, 2017, "18"),
        (650000, 2007, "11"),
    ]


def test_ghosh_identity_real_tables(tables):
    """x' = v'(I − B)⁻¹ with v = x − i'Z, for every table without zero-output sectors."""
    n_checked = 0
    for key, t in tables.items():
        x = t.x.to_numpy()
        if (x <= 1e-9 * x.sum()).any():
            continue  # inactive rows hold only outside supplies: identity does not apply
        G = mio.ghosh_inverse(mio.ghosh_coefficients(t.Z, t.x, negative="allow")).to_numpy()
        v = x - t.Z.to_numpy().sum(axis=0)
        np.testing.assert_allclose(v @ G, x, rtol=1e-8, err_msg=str(key))
        n_checked += 1
    assert n_checked >= 60


# --------------------------------------------------------------------------------------
# chain linkage
# --------------------------------------------------------------------------------------


def _toy_table(code=1, year=2012):
    lab = ["01", "02", "03"]
    Z = pd.DataFrame(
        [[10.0, 40.0, 5.0], [20.0, 30.0, 40.0], [5.0, 20.0, 5.0]], index=lab, columns=lab
    )
    x = pd.Series([100.0, 200.0, 100.0], index=lab)
    return SimpleNamespace(
        province_code=code,
        year=year,
        Z=Z,
        x=x,
        exports=pd.Series([10.0, 50.0, 0.0], index=lab),
        imports=pd.Series([30.0, 20.0, 0.0], index=lab),
        rd_sectors=["02", "03"],
        trade_basis="gross",
    )


def test_chain_linkage_toy_recomputed_independently():
    t = _toy_table()
    out = mio.chain_linkage({(1, 2012): t})
    row = out.iloc[0]
    x = t.x.to_numpy()
    Z = t.Z.to_numpy()
    e, m = t.exports.to_numpy(), t.imports.to_numpy()
    r = (x - e) / (x - e + m)
    Zl = np.diag(r) @ Z
    L = np.linalg.inv(np.eye(3) - Zl / x)
    G = np.linalg.inv(np.eye(3) - Zl / x[:, None])
    bl = 3 * L.sum(0) / L.sum()
    fl = 3 * G.sum(1) / G.sum()
    S = [1, 2]
    w = x[S] / x[S].sum()
    assert row["chain_linkage"] == pytest.approx(float(w @ ((bl + fl) / 2)[S]), rel=1e-12)
    assert row["chain_backward"] == pytest.approx(float(w @ bl[S]), rel=1e-12)
    assert row["chain_forward"] == pytest.approx(float(w @ fl[S]), rel=1e-12)
    assert row["local_sourcing"] == pytest.approx(Zl[:, S].sum() / Z[:, S].sum(), rel=1e-12)
    assert row["rd_output_share"] == pytest.approx(300 / 400)
    assert row["chain_multiplier_backward"] == pytest.approx(float(w @ L.sum(0)[S]), rel=1e-12)
    assert row["chain_multiplier_forward"] == pytest.approx(float(w @ G.sum(1)[S]), rel=1e-12)
    sec = mio.sector_chain_table(t)
    np.testing.assert_allclose(sec["rpc"], r, rtol=1e-12)
    np.testing.assert_allclose(sec["local_input_share"], Zl.sum(0) / Z.sum(0), rtol=1e-12)
    assert sec["rd_intensive"].tolist() == [False, True, True]
    Lc = np.linalg.inv(np.eye(3) - Z / x)
    assert row["chain_backward_competitive"] == pytest.approx(
        float(w @ (3 * Lc.sum(0) / Lc.sum())[S]), rel=1e-12
    )
    # override of the R&D set
    out2 = mio.chain_linkage({(1, 2012): t}, rd_sectors={2012: ["01"]})
    assert out2["rd_output_share"].item() == pytest.approx(0.25)
    with pytest.raises(ValueError, match="not in its sectors"):
        mio.chain_linkage({(1, 2012): t}, rd_sectors={2012: ["99"]})


def test_chain_linkage_panel_rules():
    chain = pd.DataFrame(
        {
            "province_code": [1, 1, 1, 2],
            "io_year": [2007, 2012, 2017, 2012],
            "chain_linkage": [1.0, 2.0, 4.0, 3.0],
            "rpc_basis": ["gross_combined", "gross", "gross", "gross"],
        }
    )
    years = range(2005, 2021)
    cf = mio.chain_linkage_panel(chain, years).set_index(["province_code", "year"])
    assert cf.loc[(1, 2011), "chain_linkage"] == 1.0 and cf.loc[(1, 2011), "io_year"] == 2007
    assert cf.loc[(1, 2012), "chain_linkage_flag"] == "io_table"
    assert cf.loc[(1, 2016), "chain_linkage"] == 2.0
    assert cf.loc[(1, 2020), "chain_linkage"] == 4.0
    assert cf.loc[(1, 2020), "chain_linkage_flag"] == "carried_forward"
    assert np.isnan(cf.loc[(1, 2006), "chain_linkage"])
    assert cf.loc[(1, 2006), "chain_linkage_flag"] == "no_table"
    assert np.isnan(cf.loc[(2, 2011), "chain_linkage"])  # like Tibet before 2012
    ip = mio.chain_linkage_panel(chain, years, method="interpolate").set_index(
        ["province_code", "year"]
    )
    assert ip.loc[(1, 2009), "chain_linkage"] == pytest.approx(1.4)
    assert ip.loc[(1, 2014), "chain_linkage"] == pytest.approx(2.8)
    assert ip.loc[(1, 2014), "chain_linkage_flag"] == "interpolated"
    assert ip.loc[(1, 2019), "chain_linkage"] == 4.0
    assert len(cf) == 2 * 16
    with pytest.raises(ValueError, match="method"):
        mio.chain_linkage_panel(chain, years, method="nearest")
    with pytest.raises(ValueError, match="rows share their key"):
        mio.chain_linkage_panel(pd.concat([chain, chain]), years)
    empty = mio.chain_linkage_panel(chain.iloc[:0], years)
    assert len(empty) == 0 and "chain_linkage_flag" in empty.columns


@pytest.fixture(scope="module")
def chain(tables):
    return mio.chain_linkage(tables)


def test_chain_linkage_real_tables(chain):
    prov = chain[chain.province_code != 0]
    counts = prov.groupby("io_year").size().to_dict()
    assert counts == {2002: 30, 2007: 30, 2012: 31, 2017: 31}
    for col in ("local_sourcing", "rd_output_share"):
        assert prov[col].between(0, 1).all(), col
    assert prov["chain_linkage"].between(0.5, 2).all()
    # local sourcing of the high-tech sectors is lower in Beijing and Shanghai (service and
    # assembly hubs buying components from elsewhere) than in Shandong and Jiangsu
    s = prov.set_index(["province_code", "io_year"])["local_sourcing"]
    for y in (2012, 2017):
        assert max(s[(110000, y)], s[(310000, y)]) < 0.3 < 0.6 < min(s[(320000, y)], s[(370000, y)])
    # the R&D-intensive sectors are a larger share of output in Beijing, Guangdong, Shanghai,
    # Jiangsu than in the median province
    share = prov[prov.io_year == 2017].set_index("province_code")["rd_output_share"]
    assert (share[[110000, 440000, 310000, 320000]] > share.median()).all()
    # 2002 is on the net-trade basis (flagged)
    assert set(prov.loc[prov.io_year == 2002, "rpc_basis"]) == {"net"}


def test_package_exports_every_public_measure():
    """``analysis.measures`` re-exports the public names of all its modules, the IO ones too."""
    import importlib

    import analysis.measures as pkg

    for mod in ("entropy", "coupling", "structure", "disparity", "spatial", "io"):
        names = importlib.import_module(f"analysis.measures.{mod}").__all__
        missing = [n for n in names if n not in pkg.__all__ or not hasattr(pkg, n)]
        assert not missing, (mod, missing)
    li = pkg.linkage_indices(MB_Z, MB_X)
    assert li["backward"].round(4).tolist() == [1.0222, 0.9778]


def test_skip_reasons_are_checked_not_assumed(tmp_path, frames):
    reasons = frames["skipped"]["reason"].tolist()
    assert all("masked" in r for r in reasons)  # both national MHTML files, 2,718 / 7,123 cells
    assert sorted(int(r.split(" with ")[1].split()[0]) for r in reasons) == [2718, 7123]
    mhtml = tmp_path / "a.xls"
    mhtml.write_bytes(b"Mime-Version: 1.0\n<html><table><td>1.5</td></table></html>")
    assert "not parsed" in io_tables._skip_reason(mhtml)
    book = tmp_path / "b.xls"
    book.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 60)  # an OLE2 (.xls) header
    assert "outside" in io_tables._skip_reason(book)
