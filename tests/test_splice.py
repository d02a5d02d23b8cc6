"""Same-vintage splices, cell by cell, with a flag: industrial enterprises' R&D expenditure is
extended back to 2012 from the nqp panel. (GDP is no longer spliced: it is vintage-consistent,
see test_vintage.py.)"""

import pandas as pd
import pytest

from analysis.data.pipeline import SPLICES, splice, splice_notes


def test_splice_fills_only_missing_cells_and_flags_them():
    df = pd.DataFrame({
        "province_code": [440000] * 3, "year": [2016, 2017, 2018],
        "ind_rd_exp": [None, None, 2107.2031], "nqp_ind_rd_exp": [1676.3, 1865.03132, 2107.20314],
    })
    out, notes = splice(df.copy())
    assert out["ind_rd_exp"].tolist() == [1676.3, 1865.03132, 2107.2031]  # 2018 keeps the yearbook
    assert out["ind_rd_exp_flag"].isna().tolist() == [False, False, True]
    assert out.loc[0, "ind_rd_exp_flag"].startswith("from nqp_ind_rd_exp")
    assert notes == ["ind_rd_exp: 2 cells from nqp_ind_rd_exp (2016-2017)"]


def test_gdp_is_not_spliced_from_the_first_release(panel):
    """2023 GDP is the latest vintage (Sheet2), not the nqp panel's first release."""
    row = panel.set_index(["province_code", "year"])
    # Guangdong 2023: 137,905.4 亿元 latest vintage; 135,673.2 first release (nqp_gdp)
    assert row.loc[(440000, 2023), "gdp"] == pytest.approx(137905.4, rel=1e-9)
    assert row.loc[(440000, 2023), "nqp_gdp"] == pytest.approx(135673.2, rel=1e-9)
    assert pd.isna(row.loc[(440000, 2023), "gdp_flag"])
    assert "gdp" not in SPLICES
    # the sector split is not extrapolated: value added stays missing in 2023
    assert pd.isna(row.loc[(440000, 2023), "va_tertiary"])
    assert panel.loc[panel.year.isin([2023, 2024]), "gdp"].notna().sum() == 62


def test_codebook_gdp_row(built_data):
    """The codebook row of gdp names the file and says how the vintage was made consistent."""
    import pandas as pd

    cb = pd.read_csv(built_data["processed"] / "codebook.csv",
                     encoding="utf-8-sig").set_index("variable")
    row = cb.loc["gdp"]
    assert row.source == "nbs_compilations/gdp.xlsx"
    assert "Sheet2" in row.table and "latest vintage" in row.transformation
    assert "Cannot be made consistent" in row.transformation
    assert row.years_covered == "2000-2024"


def test_splice_two_columns_independently():
    """Each SPLICES column is filled only from its own second source, with its own flag."""
    df = pd.DataFrame({
        "province_code": [440000] * 3, "year": [2017, 2018, 2023],
        "gdp": [91648.7, 99945.2, None], "nqp_gdp": [89705.2, 97277.8, 135673.2],
        "ind_rd_exp": [None, 2107.2031, 3627.6], "nqp_ind_rd_exp": [1865.03132, 2107.20314, None],
    })
    out, notes = splice(df.copy())
    assert out["gdp"].isna().tolist() == [False, False, True]  # not a SPLICES column
    assert "gdp_flag" not in out
    assert out["ind_rd_exp"].tolist() == [1865.03132, 2107.2031, 3627.6]
    assert out["ind_rd_exp_flag"].notna().tolist() == [True, False, False]
    assert out.loc[0, "ind_rd_exp_flag"].startswith("from nqp_ind_rd_exp")
    assert notes == ["ind_rd_exp: 1 cells from nqp_ind_rd_exp (2017-2017)"]
    assert splice_notes(out) == notes and "ind_rd_exp" in SPLICES and "gdp" not in SPLICES


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
    assert "cells from nqp_gdp" not in text
