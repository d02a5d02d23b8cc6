"""Industry–science linkage series: every table read into the panel equals the raw sheet.

The raw sheets are read here *independently* of the parsers: the ``.xls`` files are decrypted
and opened with msoffcrypto/xlrd directly, a province's row is found by its **English** name
(column 1; the parsers use the Chinese name in column 0), and the value column is the position
read off the sheet by hand for each edition (the parsers match header text). The ``.rda``
objects are filtered with pyreadr by variable code and the Torch summaries read with
``pandas.read_excel``. The values are compared with ``panel.parquet`` of the session's build.
"""

from __future__ import annotations

import io
import shutil

import msoffcrypto
import numpy as np
import pandas as pd
import pyreadr
import pytest
import xlrd

from analysis.data.sources import techme, techme_yearbook, torch_innocom
from analysis.data.sources._common import SourceLayoutError

YB = "techme/raw_yearbook/tech-yearbook"

# English row labels of the yearbook sheets, GB/T 2260 order (2023 writes Xizang for Tibet)
EN = dict(zip(
    ["Beijing", "Tianjin", "Hebei", "Shanxi", "Inner Mongolia", "Liaoning", "Jilin",
     "Heilongjiang", "Shanghai", "Jiangsu", "Zhejiang", "Anhui", "Fujian", "Jiangxi", "Shandong",
     "Henan", "Hubei", "Hunan", "Guangdong", "Guangxi", "Hainan", "Chongqing", "Sichuan",
     "Guizhou", "Yunnan", "Tibet", "Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang"],
    [110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000,
     340000, 350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000,
     510000, 520000, 530000, 540000, 610000, 620000, 630000, 640000, 650000], strict=True))
EN["Xizang"] = 540000


def _sheet(path) -> dict[int, list]:
    """Rows of the first sheet keyed by province code (English label in column 1)."""
    with open(path, "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        if office.is_encrypted():
            office.load_key(password="VelvetSweatshop")
            buf = io.BytesIO()
            office.decrypt(buf)
            data = buf.getvalue()
        else:
            f.seek(0)
            data = f.read()
    sh = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
    rows = {}
    for r in range(sh.nrows):
        code = EN.get(str(sh.cell_value(r, 1)).strip())
        if code is not None:
            assert code not in rows, (path, code)
            rows[code] = sh.row_values(r)
    return rows


def _num(cell) -> float:
    return np.nan if str(cell).strip() == "" else float(cell)


def _raw(raw_dir, folder, year, code, col) -> float:
    return _num(_sheet(raw_dir / YB / folder / f"raw-{year}.xls")[code][col])


def _at(panel, code, year, col) -> float:
    return panel.loc[(panel.province_code == code) & (panel.year == year), col].item()


# --------------------------------------------------------------------------------------------
# acceptance: external R&D to universities / research institutes and domestic technology
# purchase equal the raw sheets for all 31 provinces, 2018-2023
# --------------------------------------------------------------------------------------------

# value-column positions read off each edition by hand
_SPEND_OUTER = {y: {"ind_rd_ext": 2, "ind_rd_ext_inst": 3, "ind_rd_ext_univ": 4}
                for y in range(2018, 2024)}
_TECH_RENEW = {y: {"ind_tech_import": 2, "ind_tech_assimilation": 3,
                   "ind_tech_purchase_domestic": 4, "ind_tech_renovation": 5}
               for y in range(2018, 2023)}
_TECH_RENEW[2023] = {"ind_tech_renovation": 2, "ind_tech_purchase_domestic": 3,
                     "ind_tech_import": 4, "ind_tech_assimilation": 5}  # order changed in 2023


@pytest.mark.parametrize("folder,layout", [("04-spend-outer", _SPEND_OUTER),
                                           ("09-tech-renew", _TECH_RENEW)])
def test_all_province_years_equal_the_sheets(panel, raw_dir, folder, layout):
    compared = 0
    for year, cols in layout.items():
        rows = _sheet(raw_dir / YB / "part02-firm" / folder / f"raw-{year}.xls")
        assert len(rows) == 31, (folder, year)
        for col, j in cols.items():
            raw = pd.Series({code: _num(r[j]) / 1e4 for code, r in rows.items()})  # 万元 -> 亿元
            got = panel[panel.year == year].set_index("province_code")[col].loc[raw.index]
            # blanks are missing in both, never 0
            assert (raw.isna() == got.isna()).all(), (folder, year, col)
            assert np.allclose(got.dropna(), raw.dropna(), rtol=0, atol=1e-9), (folder, year, col)
            compared += 31
    assert compared == 6 * 31 * (3 if folder == "04-spend-outer" else 4)


def test_named_acceptance_series_complete(panel):
    """The three series of the acceptance point: 31 x 6 values, blanks only where printed."""
    sub = panel[panel.year.between(2018, 2023)]
    assert sub[["ind_rd_ext_univ", "ind_rd_ext_inst"]].notna().all().all()
    # 购买境内技术经费支出: blank in the sheet for a few provinces (Tibet, Qinghai, Hainan ...)
    assert sub.groupby("year").ind_tech_purchase_domestic.count().to_dict() == {
        2018: 29, 2019: 30, 2020: 30, 2021: 31, 2022: 30, 2023: 29}
    # 2-29 (2023) 广东: 购买境内技术经费支出 1,601,767 万元 (second value column that year)
    assert _at(panel, 440000, 2023, "ind_tech_purchase_domestic") == pytest.approx(160.1767)
    assert np.isnan(_at(panel, 540000, 2018, "ind_tech_purchase_domestic"))  # blank, not 0


# --------------------------------------------------------------------------------------------
# one test per table: an early and a late year against the raw sheet
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("folder,col,j_early,j_late,early,late,code,factor", [
    # 00-firms: columns swapped in 2022/2023 (R&D activity first)
    ("part02-firm/00-firms", "firms_with_rd", 3, 2, 2018, 2023, 320000, 1),
    ("part02-firm/00-firms", "firms_with_rd_institution", 2, 3, 2018, 2023, 440000, 1),
    ("part02-firm/05-RD-projects", "ind_rd_projects", 2, 2, 2018, 2019, 440000, 1),
    ("part02-firm/05-RD-projects", "ind_rd_project_fte", 3, 3, 2018, 2019, 320000, 1e-4),
    ("part02-firm/05-RD-projects", "ind_rd_project_exp", 4, 4, 2018, 2019, 330000, 1e-4),
    ("part02-firm/06-RD-institution", "ind_rd_institutions", 2, 2, 2018, 2023, 330000, 1),
    ("part02-firm/06-RD-institution", "ind_rd_institution_staff", 3, 3, 2018, 2023, 440000, 1e-4),
    ("part02-firm/06-RD-institution", "ind_rd_institution_exp", 5, 5, 2018, 2023, 110000, 1e-4),
    ("part02-firm/08-patent", "ind_patent_app", 2, 2, 2018, 2023, 440000, 1),
    ("part02-firm/08-patent", "ind_patent_app_invention", 3, 3, 2018, 2023, 320000, 1),
    ("part02-firm/08-patent", "ind_valid_invention_patents", 4, 4, 2018, 2023, 110000, 1),
    ("part09-service/01-incubator", "incubators", 2, 2, 2022, 2023, 320000, 1),
    ("part09-service/01-incubator", "incubator_resident_firms", 3, 3, 2022, 2023, 440000, 1),
    ("part09-service/01-incubator", "incubatees", 4, 4, 2022, 2023, 110000, 1),
    ("part09-service/01-incubator", "incubatee_employees", 5, 5, 2022, 2023, 330000, 1e-4),
    ("part09-service/01-incubator", "incubatee_investment", 6, 6, 2022, 2023, 110000, 1e-4),
    ("part09-service/02-spcae", "maker_spaces", 2, 2, 2022, 2023, 320000, 1),
    ("part09-service/02-spcae", "maker_space_served", 3, 3, 2022, 2023, 440000, 1),
    ("part09-service/02-spcae", "maker_space_subsidy", 4, 4, 2022, 2023, 320000, 1e-4),
    ("part09-service/02-spcae", "maker_space_funded_teams", 5, 5, 2022, 2023, 440000, 1),
    ("part09-service/02-spcae", "maker_space_investment", 6, 6, 2022, 2023, 110000, 1e-4),
    ("part09-service/02-spcae", "maker_space_employment", 7, 7, 2022, 2023, 620000, 1e-4),
])
def test_yearbook_table_early_and_late_year(panel, raw_dir, folder, col, j_early, j_late,
                                            early, late, code, factor):
    for year, j in ((early, j_early), (late, j_late)):
        raw = _raw(raw_dir, folder, year, code, j) * factor
        assert raw > 0
        assert _at(panel, code, year, col) == pytest.approx(raw, rel=1e-12), (col, year)


def test_known_values_by_hand(panel):
    """Cells copied by hand from the printed tables (guards the position tables above too)."""
    # 2-13 (2018) 北京: external 340,235; institutes 130,084; universities 15,690 万元
    assert _at(panel, 110000, 2018, "ind_rd_ext") == pytest.approx(34.0235)
    assert _at(panel, 110000, 2018, "ind_rd_ext_inst") == pytest.approx(13.0084)
    assert _at(panel, 110000, 2018, "ind_rd_ext_univ") == pytest.approx(1.5690)
    # 2-17 (2023) 河北: institutes 47,079; universities 17,093 万元
    assert _at(panel, 130000, 2023, "ind_rd_ext_inst") == pytest.approx(4.7079)
    assert _at(panel, 130000, 2023, "ind_rd_ext_univ") == pytest.approx(1.7093)
    # 2-28 (2018) 上海: import 1,450,368, assimilation 597,831, domestic 464,985 万元
    assert _at(panel, 310000, 2018, "ind_tech_import") == pytest.approx(145.0368)
    assert _at(panel, 310000, 2018, "ind_tech_assimilation") == pytest.approx(59.7831)
    assert _at(panel, 310000, 2018, "ind_tech_purchase_domestic") == pytest.approx(46.4985)
    # 9-12 (2022) 北京: 272 incubators, venture capital 3,445,442 万元
    assert _at(panel, 110000, 2022, "incubators") == 272
    assert _at(panel, 110000, 2022, "incubatee_investment") == pytest.approx(344.5442)


def test_gaps_as_published(panel):
    sub = panel[panel.year.between(2018, 2023)].groupby("year").count()
    assert sub.loc[2022, "ind_patent_app"] == 0  # raw-2022 is the table by industry
    assert sub.loc[[2018, 2019, 2020, 2021, 2023], "ind_patent_app"].eq(31).all()
    assert sub.loc[2018:2019, "ind_rd_projects"].eq(31).all()
    assert sub.loc[2020:2023, "ind_rd_projects"].eq(0).all()
    assert sub.loc[2022:2023, ["incubators", "maker_spaces"]].eq(31).all().all()
    assert sub.loc[2018:2021, ["incubators", "maker_spaces"]].eq(0).all().all()
    # 2-19 (2018) prints no row for Tibet: missing, not 0
    assert np.isnan(_at(panel, 540000, 2018, "ind_rd_institutions"))
    assert _at(panel, 540000, 2019, "ind_rd_institutions") == 5


# --------------------------------------------------------------------------------------------
# which year a sheet describes: national totals against figures published for the data year
# --------------------------------------------------------------------------------------------

def test_data_year_national_totals(raw_dir):
    nat = techme_yearbook.read_national(raw_dir).set_index("year")
    # NBS communiqués on S&T funding: R&D of industrial enterprises above designated size
    assert nat.loc[2018, "ind_rd_exp"] == pytest.approx(12954.8, abs=0.05)
    assert nat.loc[2022, "ind_rd_exp"] == pytest.approx(19361.8, abs=0.05)
    # NBS: 12.9 万 industrial enterprises above designated size had R&D activity in 2019
    assert round(nat.loc[2019, "firms_with_rd"] / 1e4, 1) == 12.9
    # Torch Centre: 16,068 incubation bodies (incubators + maker spaces) at the end of 2022
    assert nat.loc[2022, "incubators"] + nat.loc[2022, "maker_spaces"] == 16068
    # provinces add up to the national row (rounding of the printed 万元 only)
    prov = techme_yearbook.read(raw_dir).groupby("year").sum(min_count=1)
    cols = list(techme_yearbook.COLUMNS)
    assert np.allclose(prov.loc[nat.index, cols].astype(float), nat[cols].astype(float),
                       rtol=1e-4, equal_nan=True)


def test_title_year_must_match_file_year(tmp_path):
    bad = tmp_path / "raw-2021.xls"
    rows = "".join(f"<tr><td>{n}</td><td>{i}</td></tr>" for i, n in enumerate(["全国"] * 40))
    bad.write_text("<html><table><tr><td>2-17 各地区规上工业企业R&D经费外部支出(2020年)</td><td></td></tr>"
                   "<tr><td>单位:万元</td><td></td></tr>"
                   "<tr><td>地区</td><td>对境内高校支出</td></tr>" + rows + "</table></html>",
                   encoding="utf-8")
    with pytest.raises(SourceLayoutError, match="does not name the data year 2021"):
        techme_yearbook.read_table(bad, "对境内高校支出", year=2021)
    out = techme_yearbook.read_table(bad, "对境内高校支出", year=2020, unit="万元")
    assert out["value"].iloc[1] == 1
    with pytest.raises(SourceLayoutError, match="printed in .*expected '亿元'"):
        techme_yearbook.read_table(bad, "对境内高校支出", unit="亿元")


def test_layout_errors(tmp_path):
    head = ("<html><table><tr><td>t (2020年)</td><td></td><td></td></tr>"
            "<tr><td>地区</td><td>引进技术经费支出(万元)</td><td>引进技术经费支出(万元)</td></tr>")
    rows = "".join(f"<tr><td>全国</td><td>{v}</td><td>1</td></tr>"
                   for v in ["1", "", "x"] + ["2"] * 37)
    bad = tmp_path / "t.xls"
    bad.write_text(head + rows + "</table></html>", encoding="utf-8")
    with pytest.raises(SourceLayoutError, match="2 column header"):
        techme_yearbook.read_table(bad, "引进技术经费支出")
    bad.write_text(head.replace("引进技术经费支出(万元)</td></tr>", "其他(万元)</td></tr>")
                   + rows + "</table></html>", encoding="utf-8")
    with pytest.raises(SourceLayoutError, match=r"non-numeric .* \['x'\]"):
        techme_yearbook.read_table(bad, "引进技术经费支出")


def test_2020_binary_and_html_agree_for_linkage_tables(raw_dir):
    for col in ["ind_rd_ext_univ", "ind_tech_purchase_domestic", "firms_with_rd",
                "ind_rd_institutions", "ind_valid_invention_patents"]:
        table = next(t for t in techme_yearbook.TABLES if col in {c.column for c in t.columns})
        c = next(c for c in table.columns if c.column == col)
        base = raw_dir / YB / table.folder
        a = techme_yearbook.read_table(base / "raw-2020.xls", c.pattern)
        b = techme_yearbook.read_table(base / "raw-2020-soshu.xls", c.pattern)
        a = a.assign(k=a.name.str.replace(r"\s", "", regex=True)).set_index("k").value
        b = b.assign(k=b.name.str.replace(r"\s", "", regex=True)).set_index("k").value
        d = (a - b.loc[a.index]).abs()
        assert (a.isna() == b.loc[a.index].isna()).all() and d.max() <= 1.0, col


def test_missing_file_is_named(tmp_path, raw_dir):
    dst = tmp_path / "raw"
    shutil.copytree(raw_dir / YB / "part02-firm" / "04-spend-outer",
                    dst / YB / "part02-firm" / "04-spend-outer")
    with pytest.raises(FileNotFoundError, match="00-firms/raw-2018.xls"):
        techme_yearbook.read(dst)


# --------------------------------------------------------------------------------------------
# techme R objects: RDPatentValid (stock), RDPaperInternational, IndustryTrade
# --------------------------------------------------------------------------------------------

def _rda(raw_dir, obj, code, province, year) -> float:
    d = pyreadr.read_r(str(raw_dir / "techme" / "rda" / f"{obj}.rda"))[obj]
    d = d[(d.variables == code) & (d.year == str(year))
          & (d.province.str.replace(r"\s", "", regex=True) == province)]
    assert len(d) == 1, (obj, code, province, year)
    return float(d.value.iloc[0])


@pytest.mark.parametrize("obj,code,col,factor,early,late", [
    ("RDPatentValid", "v4_cg_zlsyx_hj", "valid_patents", 1, 2010, 2023),
    ("RDPatentValid", "v4_cg_zlsyx_fm", "valid_invention_patents", 1, 2010, 2023),
    ("RDPatentValid", "v4_cg_zlsyx_syxx", "valid_utility_patents", 1, 2010, 2023),
    ("RDPatentValid", "v4_cg_zlsyx_wgsj", "valid_design_patents", 1, 2010, 2023),
    ("RDPaperInternational", "v4_cg_gwlw_pssci", "papers_sci", 1, 2010, 2022),
    ("RDPaperInternational", "v4_cg_gwlw_psei", "papers_ei", 1, 2010, 2022),
    ("RDPaperInternational", "v4_cg_gwlw_pscpcis", "papers_cpci", 1, 2010, 2022),
    ("IndustryTrade", "v4_cy_my_ck", "hightech_export_usd", 1e-2, 2016, 2018),
    ("IndustryTrade", "v4_cy_my_jk", "hightech_import_usd", 1e-2, 2016, 2018),
])
def test_techme_objects_early_and_late_year(panel, raw_dir, obj, code, col, factor, early, late):
    for year in (early, late):
        for pcode, name in ((110000, "北京"), (440000, "广东")):
            want = _rda(raw_dir, obj, code, name, year) * factor
            assert _at(panel, pcode, year, col) == pytest.approx(want, rel=1e-12), (col, year)


def test_techme_objects_known_values_and_year(panel, raw_dir):
    # 8-17 (2022) 北京 SCI 91,634; 8-9 (2023) 广东 invention patents in force 665,592
    assert _at(panel, 110000, 2022, "papers_sci") == 91634
    assert _at(panel, 440000, 2023, "valid_invention_patents") == 665592
    # 5-8 (2018) 北京 exports 15,031 百万美元 = 150.31 亿美元
    assert _at(panel, 110000, 2018, "hightech_export_usd") == pytest.approx(150.31)
    # data year: CNIPA's domestic invention patents in force at year end, 401.5 万 (2023) and
    # 328.0 万 (2022), equal the sum over the 31 provinces of the object's year
    s = panel.groupby("year").valid_invention_patents.sum()
    assert round(s.loc[2023] / 1e4, 1) == pytest.approx(401.5, abs=0.1)
    # (the object's year 2023 also equals the title year of raw_yearbook 8-9 (2023年))
    assert round(s.loc[2022] / 1e4, 1) == pytest.approx(328.0, abs=0.1)
    # a stock never falls much: invention patents in force grow in every province-year
    g = panel.sort_values("year").groupby("province_code").valid_invention_patents.diff()
    assert (g.dropna() > 0).mean() > 0.98
    # the stray 2014 regional subtotal (尔部地区) is not a province row
    assert panel[panel.year == 2014].valid_patents.notna().sum() == 31
    nat = techme.read_national(raw_dir).set_index("year")
    prov = panel[panel.year == 2014].valid_patents.sum()
    assert prov <= nat.loc[2014, "valid_patents"]


# --------------------------------------------------------------------------------------------
# high-tech enterprises: a flow, and the stock implied by the three-year certificates
# --------------------------------------------------------------------------------------------

def test_hightech_enterprises_equal_torch_summaries(panel, raw_dir):
    for year in (2018, 2024):
        x = pd.read_excel(raw_dir / torch_innocom.FILES[year])
        for name, code in (("北京", 110000), ("广东", 440000), ("新疆", 650000)):
            want = float(x.loc[x.province == name, "num"].item())
            assert _at(panel, code, year, "hightech_enterprises") == want
    # the techme copy (HitechFirmsPub) is the same in every province-year
    t = techme.read(raw_dir).dropna(subset=["hightech_enterprises"])
    m = t.merge(panel, on=["province_code", "year"], suffixes=("_techme", ""))
    assert len(m) == 31 * 7 and (m.hightech_enterprises_techme == m.hightech_enterprises).all()


def test_hightech_enterprises_is_a_flow_and_the_stock_matches_most(panel):
    nat = panel.groupby("year")[["hightech_enterprises", "hightech_enterprises_stock"]].sum(
        min_count=1)
    assert nat.loc[2022, "hightech_enterprises"] == 160054  # the year's lists: a flow
    # MOST's announced national counts at the end of the year (万家)
    announced = {2020: 27.5, 2021: 33.0, 2022: 40.0, 2023: 46.5}
    for year, n in announced.items():
        assert abs(nat.loc[year, "hightech_enterprises_stock"] / (n * 1e4) - 1) < 0.035, year
    assert nat.loc[2024, "hightech_enterprises_stock"] > 5e5  # "more than 50 万"
    assert nat.loc[[2018, 2019], "hightech_enterprises_stock"].isna().all()
    # the rule itself, by hand: Guangdong 2022 = 2020 + 2021 + 2022 certifications
    gd = panel[panel.province_code == 440000].set_index("year").hightech_enterprises
    assert _at(panel, 440000, 2022, "hightech_enterprises_stock") == gd.loc[2020:2022].sum()


def test_stock_from_flows_refuses_a_gap():
    f = pd.DataFrame({"province_code": 110000, "year": [2018, 2019, 2021],
                      "hightech_enterprises": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="consecutive"):
        torch_innocom.stock_from_flows(f)
    f["year"] = [2018, 2019, 2020]
    assert torch_innocom.stock_from_flows(f).tolist()[2] == 6.0


def test_codebook_states_stock_or_flow(built_data):
    cb = pd.read_csv(built_data["processed"] / "codebook.csv", encoding="utf-8-sig")
    kind = dict(zip(cb.variable, cb.stock_flow.fillna(""), strict=True))
    assert kind["hightech_enterprises"] == "flow"
    assert kind["hightech_enterprises_stock"] == "stock"
    assert kind["valid_invention_patents"] == "stock" and kind["ind_rd_ext_univ"] == "flow"
    new = [v.name for v in techme_yearbook.VARIABLES] + ["valid_patents", "papers_sci"]
    assert all(kind[c] in ("flow", "stock") for c in new)
    row = cb.set_index("variable").loc["hightech_enterprises"]
    assert "flow" in row.label_en and row.parser == "torch_innocom"
    assert "flow (during the year)" in cb.set_index("variable").loc["ind_rd_ext_univ",
                                                                     "transformation"]
