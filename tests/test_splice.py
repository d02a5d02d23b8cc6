"""GDP is extended to 2023 from the same-vintage nqp panel, cell by cell, with a flag."""

import pandas as pd
import pytest

from analysis.data.pipeline import splice


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
