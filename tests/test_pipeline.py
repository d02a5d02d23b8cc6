"""End-to-end data build (once per session, in a temporary root) and the pipeline's pieces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data import checks, pipeline
from analysis.data.fetch import RawDataError
from analysis.data.schemas import PROVINCE_CODES

GD, BJ, TJ = 440000, 110000, 120000


@pytest.fixture
def in_built_root(built_data, monkeypatch):
    """Point ANALYSIS_ROOT at the session's built root for this test."""
    monkeypatch.setenv("ANALYSIS_ROOT", str(built_data["root"]))
    return built_data


def _at(panel, code, year, col):
    return panel.loc[(panel.province_code == code) & (panel.year == year), col].item()


# ------------------------------------------------------------------------------------------
# the real build
# ------------------------------------------------------------------------------------------

def test_shape_and_keys(panel, built_data):
    years = sorted(panel.year.unique())
    assert set(range(2010, 2024)) <= set(years)
    assert years == list(range(years[0], years[-1] + 1))  # no hole in the year grid
    assert len(panel) == 31 * len(years) == built_data["result"].rows
    assert panel.province_code.dtype == "int64" and panel.year.dtype == "int64"
    assert not panel.duplicated(["province_code", "year"]).any()
    assert set(panel.province_code) == set(PROVINCE_CODES)
    assert (panel.groupby("year").province_code.nunique() == 31).all()


def test_contract_columns_present(panel):
    """Columns of docs/CONTRACTS.md supplied by the parsers landed so far."""
    core = ["rd_exp", "rd_intensity", "rd_fte", "rd_exp_government", "rd_exp_enterprise",
            "basic_share", "patent_app", "patent_grant", "tech_market_seller", "tech_market_buyer",
            "gdp", "va_primary", "va_secondary", "va_tertiary", "gdp_real", "gdp_deflator",
            "emp_total", "urbanisation"]
    assert [c for c in core if c not in panel.columns] == []


def test_sector_shares_use_sum_of_sectors(panel):
    """Shares over the sum of the sectors, which (vintage-consistent) equals gdp."""
    row = panel[(panel.province_code == BJ) & (panel.year == 2004)].iloc[0]
    total = row.va_primary + row.va_secondary + row.va_tertiary
    assert row.tertiary_share == pytest.approx(row.va_tertiary / total)
    assert row.tertiary_share == pytest.approx(row.va_tertiary / row.gdp, rel=1e-12)
    ok = panel.dropna(subset=["tertiary_share"])
    assert ((ok.tertiary_share > 0) & (ok.tertiary_share + ok.secondary_share < 1)).all()


def test_known_values(panel):
    # Guangdong 2022 GDP, latest vintage (gdp.xlsx Sheet2): 132,547.1 亿元 (129,118.58 first
    # published)
    assert _at(panel, GD, 2022, "gdp") == pytest.approx(132547.1, abs=0.05)
    # Beijing 2022 R&D intensity: 6.83 % (S&T yearbook 2023)
    assert _at(panel, BJ, 2022, "rd_intensity") == pytest.approx(0.0683, abs=5e-5)
    # ... the yearbook's denominator is the first-published GDP (2,843.3 / 41,610.9), not the
    # latest vintage (45,222.4): the panel's R&D / gdp is 8 % lower
    ratio = _at(panel, BJ, 2022, "rd_exp") / 41610.9
    assert ratio == pytest.approx(0.0683, rel=0.01)
    assert _at(panel, BJ, 2022, "rd_exp") / _at(panel, BJ, 2022, "gdp") == pytest.approx(
        0.0683 * 41610.9 / 45222.4, rel=0.01)
    # sector value added sums to GDP
    va = sum(_at(panel, GD, 2022, c) for c in ("va_primary", "va_secondary", "va_tertiary"))
    assert va == pytest.approx(_at(panel, GD, 2022, "gdp"), abs=0.05)


def test_real_gdp_chain_recomputed(panel):
    """gdp_real(2010 prices) = gdp_2010 x prod(index/100); deflator 1 in 2010."""
    g = panel[panel.province_code == GD].set_index("year")
    assert g.loc[2010, "gdp_real"] == pytest.approx(g.loc[2010, "gdp"])
    assert g.loc[2010, "gdp_deflator"] == pytest.approx(1.0)
    expected = g.loc[2010, "gdp"] * np.prod(g.loc[2011:2015, "gdp_index"] / 100)
    assert g.loc[2015, "gdp_real"] == pytest.approx(expected, rel=1e-12)
    back = g.loc[2010, "gdp"] / (g.loc[2010, "gdp_index"] / 100)
    assert g.loc[2009, "gdp_real"] == pytest.approx(back, rel=1e-12)


def test_missing_values_are_not_filled(panel, built_data):
    """GDP by sector stops in 2022 in the NBS compilation: 2023 stays NaN and is in gaps.csv.

    (Total GDP 2023-2024 is the latest vintage, gdp.xlsx Sheet2: see test_vintage.py.)
    """
    assert panel.loc[panel.year == 2023, "va_secondary"].isna().all()
    gaps = pd.read_csv(built_data["processed"] / "gaps.csv")
    row = gaps[(gaps.variable == "va_secondary") & (gaps.year == 2023)]
    assert row.n_missing.item() == 31
    value_cols = [c for c in panel.columns
                  if c not in ("province_code", "year") and not c.endswith("_flag")]
    assert gaps.n_missing.sum() == panel[value_cols].isna().sum().sum()


def test_codebook(panel, built_data):
    cb = pd.read_csv(built_data["processed"] / "codebook.csv", encoding="utf-8-sig")
    assert list(cb.variable) == list(panel.columns)
    cb = cb.set_index("variable")
    assert cb.loc["gdp", "unit"] == "亿元" and cb.loc["rd_intensity", "unit"] == "share"
    assert cb.loc["gdp", "source"] == "nbs_compilations/gdp.xlsx"  # Sheet2 + sheet1, no splice
    assert (cb["n_missing"] == panel.isna().sum().reindex(cb.index)).all()
    assert cb.loc["rd_exp", "years_covered"] == "2010-2023"
    assert cb.drop(index=[c for c in cb.index if c.endswith("_flag")])["label_zh"].notna().all()


def test_stata_file_has_labels_and_same_values(panel, built_data):
    path = built_data["processed"] / "panel.dta"
    with pd.io.stata.StataReader(path) as rd:
        labels = rd.variable_labels()
        dta = rd.read()
    assert labels["gdp"].startswith("地区生产总值 / GDP")
    assert all(len(v) <= 80 for v in labels.values())
    assert list(dta.columns) == list(panel.columns)
    assert np.allclose(dta["gdp"], panel["gdp"], equal_nan=True)
    assert (dta["province_code"].astype("int64") == panel["province_code"]).all()


def test_csv_has_bom_and_round_trips(panel, built_data):
    raw = (built_data["processed"] / "panel.csv").read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    back = pd.read_csv(built_data["processed"] / "panel.csv", encoding="utf-8-sig")
    assert list(back.columns) == list(panel.columns)
    assert np.allclose(back["rd_exp"], panel["rd_exp"], equal_nan=True)
    # every CSV holding Chinese text opens in Excel too (the checks' reasons say 亿元, 产业高级化率)
    for f in ["codebook.csv", "checks/summary.csv", "checks/identity_gdp_sum_va.csv"]:
        assert (built_data["processed"] / f).read_bytes()[:3] == b"\xef\xbb\xbf", f
    assert "亿元" in (built_data["processed"] / "checks/summary.csv").read_text(encoding="utf-8-sig")


def test_io_tables_written_and_balanced(built_data):
    d = built_data["processed"]
    flows = pd.read_parquet(d / "io_flows.parquet")
    assert set(flows.columns) >= {"province_code", "year", "from_sector", "to_sector", "flow"}
    assert set(flows.year) == {2002, 2005, 2007, 2012, 2015, 2017, 2018, 2020}
    prov = flows[flows.province_code != 0]
    assert set(prov.year) == {2002, 2007, 2012, 2017} and set(prov.source) == {"io_provincial"}
    # national 2017 exists (non-competitive R-data table, domestic block), in 亿元
    nat17 = flows[(flows.province_code == 0) & (flows.year == 2017)]
    assert set(nat17.table_type) == {"non-competitive"} and len(nat17) == 42 * 42
    assert len(pd.read_parquet(d / "io_imports.parquet").query("year == 2017")) == 42 * 49
    # 42 x 42 cells per table
    assert (flows.groupby(["province_code", "year"]).size() == 42 * 42).all()
    rec, table = checks.io_go_ti({"final": pd.read_parquet(d / "io_final.parquet"),
                                  "va": pd.read_parquet(d / "io_va.parquet")})
    assert rec["ok"] and rec["n_exceed"] <= 1
    # the IO codebook states the unit of every amount: 亿元
    cb = pd.read_csv(d / "io_codebook.csv", encoding="utf-8-sig")
    amounts = cb[cb["column"].isin(["flow", "value"])]
    assert len(amounts) == 4 and (amounts["unit"] == "亿元").all()
    assert set(cb["table"]) == {"io_flows", "io_final", "io_va", "io_imports"}
    assert cb.groupby("table").size().to_dict() == {"io_flows": 7, "io_final": 7, "io_va": 7,
                                                    "io_imports": 7}


def test_checks_pass_and_are_written(built_data, in_built_root, capsys):
    assert pipeline.check(verbose=True) is True
    out = capsys.readouterr().out
    assert "identity_gdp_sum_va" in out and "data check: PASSED" in out
    summary = pd.read_csv(built_data["processed"] / "checks" / "summary.csv")
    assert summary["skipped"].isna().all(), summary.loc[summary["skipped"].notna(), "name"].tolist()
    assert len(summary) == len(checks.SPECS) + 2 and summary["ok"].all()  # + IO identity, breaks
    s = summary.set_index("name")
    # the same series in two sources agree to rounding where the vintage is the same
    assert s.loc["recon_patent_grant_techme_nqp", "max_rel_diff"] == 0
    assert s.loc["recon_tertiary_share_nbs_gpi", "max_rel_diff"] < 0.0025
    assert s.loc["recon_gdp_nbs_nqp", "max_rel_diff"] < 1e-4
    # the vintage-consistent panel adds up; the compilation does not in its mixed years
    assert s.loc["identity_gdp_sum_va", "n_exceed"] == 0
    gdp = s.loc["identity_gdp_sum_va_published"]
    assert gdp.n_unexpected == 0  # every exception is in a documented vintage-break year
    t = pd.read_csv(built_data["processed"] / "checks" / "identity_gdp_sum_va_published.csv")
    assert not t.loc[t.exceed, "year"].isin(range(2009, 2013)).any()


def test_truncated_raw_file_stops_the_build(built_data, tmp_path, monkeypatch):
    """A raw file truncated after fetching: build refuses, naming the file and hashes."""
    root = tmp_path / "root"
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    monkeypatch.setenv("ANALYSIS_MIRROR", str(built_data["raw"]))
    pipeline.fetch()
    victim = root / "data" / "raw" / "nbs_compilations" / "gdp.xlsx"
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes()[:5000])
    with pytest.raises(RawDataError, match=r"nbs_compilations/gdp\.xlsx: sha256 mismatch"):
        pipeline.build()
    assert not (root / "data" / "processed" / "panel.parquet").exists()


def test_failed_build_leaves_previous_outputs_intact(built_data, tmp_path, monkeypatch):
    """A build that fails after every output was produced (here: in the checks) changes no file
    of data/processed: outputs are staged and moved into place only when everything succeeded."""
    import shutil

    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "data" / "raw").symlink_to(built_data["raw"], target_is_directory=True)
    proc = root / "data" / "processed"
    shutil.copytree(built_data["processed"], proc)

    def state():
        return {p.relative_to(proc).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
                for p in proc.rglob("*") if p.is_file()}

    before = state()
    assert "panel.parquet" in before and "checks/breaks.csv" in before
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))

    def boom(*args, **kwargs):
        raise RuntimeError("checks exploded")

    monkeypatch.setattr(checks, "run_all", boom)
    with pytest.raises(RuntimeError, match="checks exploded"):
        pipeline.build()
    assert state() == before  # same bytes, not even rewritten (same mtimes)
    assert not list(proc.glob(".staging-*"))


# ------------------------------------------------------------------------------------------
# pieces, on hand-made inputs
# ------------------------------------------------------------------------------------------

def test_chain_real_gdp_hand_worked():
    df = pd.DataFrame({"province_code": 1, "year": [2009, 2010, 2011, 2012],
                       "gdp": [90.0, 100.0, 120.0, 150.0],
                       "gdp_index": [105.0, 110.0, 110.0, np.nan]})
    out = pipeline.chain_real_gdp(df, base_year=2010).set_index("year")
    # 2011: 100 * 1.10 = 110; 2009: 100 / 1.10 = 90.909...; 2012 index missing -> NaN
    assert out.loc[2011, "gdp_real"] == pytest.approx(110.0)
    assert out.loc[2009, "gdp_real"] == pytest.approx(100 / 1.1)
    assert np.isnan(out.loc[2012, "gdp_real"])
    assert out.loc[2011, "gdp_deflator"] == pytest.approx(120 / 110)


def test_merge_priority_and_grid():
    a = pd.DataFrame({"province_code": [110000], "year": [2015], "gdp": [1.0], "x": [5.0]})
    b = pd.DataFrame({"province_code": [110000, 120000], "year": [2015, 2016],
                      "gdp": [2.0, 3.0], "y": [7.0, 8.0]})
    panel, owner, dropped = pipeline.merge_sources({"techme": a, "nbs": b}, list(PROVINCE_CODES))
    assert owner["gdp"] == "nbs"  # PREFERRED overrides order
    assert dropped == ["gdp (techme; nbs wins)"]
    assert len(panel) == 31 * len(range(2010, 2024))
    assert _at(panel, 110000, 2015, "gdp") == 2.0
    assert np.isnan(_at(panel, 130000, 2015, "y"))  # not filled


def test_merge_rejects_unknown_province():
    a = pd.DataFrame({"province_code": [710000], "year": [2015], "v": [1.0]})
    with pytest.raises(ValueError, match=r"parser x: province codes not among .*710000"):
        pipeline.merge_sources({"x": a}, list(PROVINCE_CODES))


def test_parser_output_with_duplicate_or_nan_keys():
    dup = pd.DataFrame({"province_code": [110000, 110000], "year": [2015, 2015], "v": [1, 2]})
    with pytest.raises(ValueError, match=r"parser p: duplicated \(province_code, year\)"):
        pipeline._check_keys(dup, "p")
    nan = pd.DataFrame({"province_code": [110000, np.nan], "year": [2015, 2016], "v": [1, 2]})
    with pytest.raises(ValueError, match="parser p: NaN in key columns"):
        pipeline._check_keys(nan, "p")


def test_stata_label_limit():
    from analysis.data.codebook import Variable

    v = Variable("x", "很长的中文标签" * 5, "A very long English label " * 4, "亿元", "f")
    lab = pipeline.stata_label(v, "x")
    assert len(lab) == 80 and lab.endswith("…")


def test_interpolation_is_explicit_and_flagged():
    from analysis.data.impute import interpolate_linear

    df = pd.DataFrame({"province_code": [1] * 6 + [2] * 3,
                       "year": [2010, 2011, 2012, 2013, 2014, 2015, 2010, 2011, 2012],
                       "x": [1.0, np.nan, np.nan, 4.0, np.nan, np.nan, np.nan, 5.0, 6.0]})
    out = interpolate_linear(df, ["x"], max_gap=2)
    assert out.loc[1, "x"] == pytest.approx(2.0) and out.loc[2, "x"] == pytest.approx(3.0)
    assert out.loc[1, "x_flag"] == "linear interpolation 2010-2013"
    assert np.isnan(out.loc[4, "x"]) and np.isnan(out.loc[6, "x"])  # no extrapolation
    assert out["x_flag"].notna().sum() == 2
    assert df["x"].isna().sum() == 5  # input untouched
    assert interpolate_linear(df, ["x"], max_gap=1)["x"].isna().sum() == 5  # gap of 2 too long


def test_interpolation_with_repeated_index_and_shuffled_rows():
    """An index repeated by pd.concat and unsorted rows: same numbers, caller's order and index."""
    from analysis.data.impute import interpolate_linear

    a = pd.DataFrame({"province_code": 1, "year": [2012, 2010, 2011, 2013],
                      "x": [np.nan, 1.0, np.nan, 7.0]})
    b = pd.DataFrame({"province_code": 2, "year": [2010, 2011, 2012, 2013],
                      "x": [10.0, 20.0, 30.0, 40.0]})
    df = pd.concat([a, b])  # index 0..3 twice
    out = interpolate_linear(df, ["x"], max_gap=2)
    assert out.index.tolist() == df.index.tolist()
    assert out["year"].tolist() == df["year"].tolist()
    # province 1: 1 (2010) .. 7 (2013) -> 3 (2011), 5 (2012); province 2 untouched
    assert out["x"].tolist() == pytest.approx([5.0, 1.0, 3.0, 7.0, 10.0, 20.0, 30.0, 40.0])
    assert out["x_flag"].notna().tolist() == [True, False, True] + [False] * 5
    assert out["x_flag"].iloc[0] == "linear interpolation 2010-2013"


def test_missing_source_table_fails_check_and_forces_rebuild(built_data, tmp_path, monkeypatch):
    """sources/nqp.parquet deleted: `data check` used to PASS with 6 reconciliations skipped,
    and `data build` called the outputs current."""
    import shutil

    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    shutil.copytree(built_data["processed"], root / "data" / "processed")
    (root / "data" / "raw").symlink_to(built_data["raw"])
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    assert pipeline.check() is True
    (root / "data" / "processed" / "sources" / "nqp.parquet").unlink()
    assert pipeline.check() is False

    class Rebuilt(Exception):
        pass

    def rebuild(name):
        raise Rebuilt(name)

    monkeypatch.setattr(pipeline, "_load_source", rebuild)
    with pytest.raises(Rebuilt):
        pipeline.build()


def test_failed_build_keeps_the_previous_files(built_data, tmp_path, monkeypatch):
    """A parser failing: nothing under data/processed changes (the step runner then leaves
    them in place and blocks the later steps: tests/test_steps.py), and no staging folder
    stays."""
    root = tmp_path / "root"
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    monkeypatch.setenv("ANALYSIS_MIRROR", str(built_data["raw"]))
    proc = root / "data" / "processed"
    proc.mkdir(parents=True)
    (proc / "panel.parquet").write_text("previous")

    class Broken:
        @staticmethod
        def read(raw):
            raise ValueError("parser exploded")

    monkeypatch.setattr(pipeline, "_load_source", lambda name: Broken)
    with pytest.raises(ValueError, match="parser exploded"):
        pipeline.build()
    assert (proc / "panel.parquet").read_text() == "previous"
    assert sorted(p.name for p in proc.iterdir()) == ["panel.parquet"]


def _identity_panel(gap_year: int) -> pd.DataFrame:
    rows = []
    for code in PROVINCE_CODES:
        for year in (2007, 2010):
            va = (10.0, 40.0, 50.0)
            gdp = 100.0 * (1.05 if (year == gap_year and code == GD) else 1.0)
            rows.append((code, year, gdp, *va))
    return pd.DataFrame(rows, columns=["province_code", "year", "gdp", "va_primary",
                                       "va_secondary", "va_tertiary"])


def test_identity_check_flags_gap_outside_exception_years():
    spec = next(s for s in checks.SPECS if s.name == "identity_gdp_sum_va_published")
    pub = _identity_panel(2010).rename(columns=lambda c: c if c in ("province_code", "year")
                                       else f"{c}_published")
    rec, table = checks.run_spec(spec, pd.DataFrame(), {"nbs_published": pub})
    assert rec["n_exceed"] == 1 and rec["n_unexpected"] == 1 and rec["ok"] is False
    gap = table[table.exceed].iloc[0]
    assert (gap.province_code, gap.year) == (GD, 2010)
    assert gap.rel_diff == pytest.approx(abs(100 - 105) / 105)
    pub = _identity_panel(2007).rename(columns=lambda c: c if c in ("province_code", "year")
                                       else f"{c}_published")
    rec, _ = checks.run_spec(spec, pd.DataFrame(), {"nbs_published": pub})  # 2007: documented
    assert rec["n_exceed"] == 1 and rec["n_unexpected"] == 0 and rec["ok"] is True
    # the vintage-consistent identity allows no exception year at all
    spec = next(s for s in checks.SPECS if s.name == "identity_gdp_sum_va")
    rec, _ = checks.run_spec(spec, _identity_panel(2007), {})
    assert rec["n_exceed"] == 1 and rec["n_unexpected"] == 1 and rec["ok"] is False


def test_reconciliation_skips_missing_source_and_uses_absolute_share_gap():
    spec = next(s for s in checks.SPECS if s.name == "recon_tertiary_share_nbs_nqp")
    rec, table = checks.run_spec(spec, pd.DataFrame(), {})
    assert table is None and "not available" in rec["skipped"]
    # shares over the sum of sectors (not gdp): Beijing 80/100, Tianjin 100/200
    nbs = pd.DataFrame({"province_code": [BJ, TJ], "year": 2020, "gdp_published": [999.0, 999.0],
                        "va_primary_published": [5.0, 50.0],
                        "va_secondary_published": [15.0, 50.0],
                        "va_tertiary_published": [80.0, 100.0]})
    nqp = pd.DataFrame({"province_code": [BJ, TJ], "year": 2020,
                        "nqp_tertiary_share": [0.8005, 0.49]})
    rec, table = checks.run_spec(spec, pd.DataFrame(), {"nbs_published": nbs, "nqp": nqp})
    # Beijing 0.05 point apart (rounding, within 0.1 point); Tianjin 1 point apart (exceeds)
    assert rec["n_compared"] == 2 and rec["n_exceed"] == 1 and not rec["ok"]
    assert table.set_index("province_code").loc[TJ, "diff"] == pytest.approx(-0.01)


def test_employment_identity_lists_the_two_broken_runs(panel):
    """Sectors sum to total employment except Shaanxi 2012-19 and Xinjiang 2010-19 (listed)."""
    spec = next(s for s in checks.SPECS if s.name == "identity_emp_sum_sectors")
    rec, table = checks.run_spec(spec, panel, {})
    assert rec["ok"] and rec["n_unexpected"] == 0
    # independent recomputation: Shaanxi 2012 = 809 + 302 + 465 = 1,576 against 2,091 published
    row = table[(table.province_code == 610000) & (table.year == 2012)].iloc[0]
    assert row.a == pytest.approx(809 + 302 + 465) and row.b == pytest.approx(2091)
    assert row.rel_diff == pytest.approx(515 / 2091) and row.exceed and row.exception_year
    d = panel[["emp_primary", "emp_secondary", "emp_tertiary"]].sum(axis=1, min_count=3)
    rel = ((d - panel.emp_total) / panel.emp_total).abs()
    broken = panel.loc[rel > 0.001, ["province_code", "year"]].apply(tuple, axis=1)
    assert set(broken) == set(spec.exception_cells)


# every variable the issue (#2) requires, by its wording -> panel column(s)
ISSUE_VARIABLES = {
    "R&D expenditure": ["rd_exp"], "R&D intensity": ["rd_intensity"],
    "R&D personnel FTE": ["rd_fte"],
    "R&D funds by source (enterprise, government)": ["rd_exp_enterprise", "rd_exp_government"],
    "basic-research share of R&D": ["basic_share"],
    "patent applications and grants (all, invention)": [
        "patent_app", "patent_app_invention", "patent_grant", "patent_grant_invention"],
    "technology-market turnover by seller and by buyer region": [
        "tech_market_seller", "tech_market_buyer"],
    "high-tech industry firms, revenue and new-product sales": [
        "hightech_firms", "hightech_revenue", "hightech_new_product_sales"],
    "industrial enterprises' new-product sales": ["ind_new_product_sales"],
    "fiscal S&T expenditure": ["fiscal_st_exp"], "general budget expenditure": ["budget_exp"],
    "high-tech enterprises": ["hightech_enterprises"], "GDP": ["gdp"],
    "value added of the three sectors": ["va_primary", "va_secondary", "va_tertiary"],
    "employment of the three sectors": ["emp_primary", "emp_secondary", "emp_tertiary"],
    "population": ["population"], "urbanisation": ["urbanisation"],
    "GDP deflator and real GDP": ["gdp_deflator", "gdp_real"],
    "digital-finance index": ["digital_finance"], "software revenue": ["software_revenue"],
    "e-commerce sales": ["ecommerce_sales"], "trade": ["trade"], "students in school": ["students"],
    "road length": ["road_length"],
}
UNITS = {"rd_fte": "万人年", "population": "万人", "students": "万人", "emp_primary": "万人",
         "rd_exp": "亿元", "tech_market_buyer": "亿元", "ind_new_product_sales": "亿元",
         "trade": "亿元", "software_revenue": "亿元", "gdp_real": "亿元", "road_length": "万公里",
         "rd_intensity": "share", "basic_share": "share", "urbanisation": "share"}


def test_every_issue_variable_is_in_the_panel_with_data_and_unit(panel, built_data):
    cb = pd.read_csv(built_data["processed"] / "codebook.csv",
                     encoding="utf-8-sig").set_index("variable")
    cols = [c for cs in ISSUE_VARIABLES.values() for c in cs]
    assert [c for c in cols if c not in panel.columns] == []
    recent = panel[panel.year.between(2018, 2022)]  # every listed series covers these years
    assert {c: int(recent[c].notna().sum()) for c in cols
            if recent[c].notna().sum() < 0.9 * len(recent)} == {}
    assert {c: cb.loc[c, "unit"] for c in UNITS if cb.loc[c, "unit"] != UNITS[c]} == {}
    # identities the series must satisfy wherever observed (recomputed here)
    ok = panel.dropna(subset=["rd_exp", "rd_exp_government", "rd_exp_enterprise"])
    assert (ok.rd_exp_government + ok.rd_exp_enterprise <= ok.rd_exp * (1 + 1e-9)).all()
    b = panel.dropna(subset=["basic_share"])
    assert np.allclose(b.basic_share, b.rd_exp_basic / b.rd_exp, rtol=1e-12)
    assert not (panel.patent_grant_invention > panel.patent_grant).any()
    assert not (panel.patent_app_invention > panel.patent_app).any()
    assert not (panel.fiscal_st_exp > panel.budget_exp).any()


def _isolated_data_step(tmp_path, monkeypatch):
    """An empty project whose data step has no raw files to fetch (the build is stubbed)."""
    from analysis import steps

    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    monkeypatch.setattr(steps, "_data_prepare", lambda ctx: None)
    monkeypatch.setattr(steps, "_data_inputs", lambda params: {})


def test_cli_passes_base_year_to_the_build(tmp_path, monkeypatch):
    from analysis import cli

    _isolated_data_step(tmp_path, monkeypatch)
    seen = {}
    monkeypatch.setattr(pipeline, "build", lambda **kw: seen.update(kw))
    assert cli.main(["data", "build", "--base-year", "2015"]) == 0
    assert seen == {"verbose": True, "base_year": 2015}
    seen.clear()
    assert cli.main(["data", "build", "--base-year", "2015"]) == 0 and seen == {}  # up to date
    assert cli.main(["data", "build"]) == 0 and seen["base_year"] == 2010  # a parameter changed


def test_cli_failure_is_one_line_and_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    from analysis import cli

    _isolated_data_step(tmp_path, monkeypatch)

    def broken(**kw):
        raise RawDataError("x.xls: sha256 mismatch: expected a, actual b")

    monkeypatch.setattr(pipeline, "build", broken)
    assert cli.main(["data", "build"]) == 1
    err = capsys.readouterr().err
    assert err == "[data] FAILED: RawDataError: x.xls: sha256 mismatch: expected a, actual b\n"
    with pytest.raises(RawDataError):  # --debug: the step's own exception, with its traceback
        cli.main(["--debug", "data", "build"])
