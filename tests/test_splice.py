"""Same-vintage splices, cell by cell, with a flag: GDP is extended to 2023 and industrial
enterprises' R&D expenditure back to 2012 from the nqp panel."""

import pandas as pd
import pytest

from analysis.data.pipeline import SPLICES, splice, splice_notes


def test_splice_fills_only_missing_cells_and_flags_them():
    df = pd.DataFrame({
        "province_code": [110000] * 3, "year": [2021, 2022, 2023],
        "gdp": [40269.6, 41610.9, None], "nqp_gdp": [40269.6, 41611.0, 43760.7],
    })
    out, notes = splice(df.copy())
    assert out["gdp"].tolist() == [40269.6, 41610.9, 43760.7]  # 2022 keeps the NBS figure
    assert out["gdp_flag"].isna().tolist() == [True, True, False]
    assert out.loc[2, "gdp_flag"].startswith("from nqp_gdp")
    assert notes == ["gdp: 1 cells from nqp_gdp (2023-2023)"]


def test_real_panel_gdp_2023_is_the_first_release(panel):
    row = panel.set_index(["province_code", "year"])
    # Guangdong 2023 GDP, NBS first release: 135,673.2 亿元 (the nqp panel's figure)
    assert row.loc[(440000, 2023), "gdp"] == pytest.approx(135673.2, rel=1e-6)
    assert row.loc[(440000, 2023), "gdp_flag"].startswith("from nqp_gdp")
    assert pd.isna(row.loc[(440000, 2022), "gdp_flag"])
    # the sector split is not spliced: value added stays missing in 2023
    assert pd.isna(row.loc[(440000, 2023), "va_tertiary"])
    assert panel.loc[panel.year == 2023, "gdp"].notna().sum() == 31


def test_codebook_names_the_spliced_source(built_data):
    """The codebook row of gdp says that 2023 comes from the nqp panel (file, table, years)."""
    import pandas as pd

    cb = pd.read_csv(built_data["processed"] / "codebook.csv",
                     encoding="utf-8-sig").set_index("variable")
    row = cb.loc["gdp"]
    assert row.source == "nbs_compilations/gdp.xlsx;nqp_panel/面板原始数据_合并版v2.xlsx"
    assert "2023: " in row.table and "2023 spliced from nqp_gdp" in row.transformation
    assert row.years_covered == "2000-2023"


def test_splice_two_columns_independently():
    """Each SPLICES column is filled only from its own second source, with its own flag."""
    df = pd.DataFrame({
        "province_code": [440000] * 3, "year": [2017, 2018, 2023],
        "gdp": [91648.7, 99945.2, None], "nqp_gdp": [89705.2, 97277.8, 135673.2],
        "ind_rd_exp": [None, 2107.2031, 3627.6], "nqp_ind_rd_exp": [1865.03132, 2107.20314, None],
    })
    out, notes = splice(df.copy())
    assert out["gdp"].tolist() == [91648.7, 99945.2, 135673.2]
    assert out["ind_rd_exp"].tolist() == [1865.03132, 2107.2031, 3627.6]
    assert out["ind_rd_exp_flag"].notna().tolist() == [True, False, False]
    assert out.loc[0, "ind_rd_exp_flag"].startswith("from nqp_ind_rd_exp")
    assert notes == ["gdp: 1 cells from nqp_gdp (2023-2023)",
                     "ind_rd_exp: 1 cells from nqp_ind_rd_exp (2017-2017)"]
    assert splice_notes(out) == notes and set(SPLICES) >= {"gdp", "ind_rd_exp"}


def test_real_panel_ind_rd_exp_2012_2017_from_nqp(panel):
    row = panel.set_index(["province_code", "year"])
    # Guangdong: nqp panel 规模以上工业企业R&D经费 2012 = 10,778,634 万元, 2017 = 18,650,313.2 万元
    assert row.loc[(440000, 2012), "ind_rd_exp"] == pytest.approx(1077.86340, rel=1e-7)
    assert row.loc[(440000, 2017), "ind_rd_exp"] == pytest.approx(1865.03132, rel=1e-7)
    assert row.loc[(440000, 2017), "ind_rd_exp_flag"].startswith("from nqp_ind_rd_exp")
    # 2018 on: the yearbook value (2,107.2031 亿元), not flagged
    assert row.loc[(440000, 2018), "ind_rd_exp"] == pytest.approx(2107.2031, abs=1e-9)
    assert pd.isna(row.loc[(440000, 2018), "ind_rd_exp_flag"])
    flagged = panel.loc[panel["ind_rd_exp_flag"].notna(), "year"]
    assert len(flagged) == 31 * 6 and set(flagged) == set(range(2012, 2018))
    assert (panel.groupby("year")["ind_rd_exp"].count().loc[2012:2023] == 31).all()
    # where both exist the spliced series is continuous with the yearbook: nqp equals it
    both = panel[panel.year >= 2018]
    rel = (both["nqp_ind_rd_exp"] / both["ind_rd_exp"] - 1).abs().max()
    assert rel < 1e-4


def test_codebook_and_summary_name_the_ind_rd_exp_splice(built_data):
    from analysis.data.pipeline import summary_text

    cb = pd.read_csv(built_data["processed"] / "codebook.csv",
                     encoding="utf-8-sig").set_index("variable")
    row = cb.loc["ind_rd_exp"]
    assert row.source.endswith(";nqp_panel/面板原始数据_合并版v2.xlsx")
    assert "2012-2017: " in row.table and "2012-2017 spliced from nqp_ind_rd_exp" in row.transformation
    assert row.years_covered == "2012-2023"
    assert cb.loc["ind_rd_exp_flag", "unit"] == "text"
    text = summary_text(built_data["result"])
    assert "ind_rd_exp: 186 cells from nqp_ind_rd_exp (2012-2017)" in text
    assert "gdp: 31 cells from nqp_gdp (2023-2023)" in text
