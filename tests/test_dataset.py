"""The analysis dataset (analysis.{parquet,dta,csv}): Stata labels and notes read back by two
independent readers, the real build's variables and definitions, and the replication scripts
(every variable they use exists; our estimator on the file gives the baseline table; R live)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import dataset as ds
from analysis.data.provinces import PROVINCES
from analysis.models import replication

# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------


def test_full_label_fits_unchanged():
    assert ds.stata_label("城镇化率", "Urbanisation rate", "share") == "城镇化率 / Urbanisation rate (share 0–1)"
    # the unit is not repeated when the English label states it
    assert ds.stata_label("R&D投入强度（%）", "R&D intensity (%)", "%") == "R&D投入强度（%） / R&D intensity (%)"


def test_long_label_cut_at_qualifier_keeps_unit():
    en = ("Linkage index: panel entropy composite of the flows between the science system and "
          "industry (spec indicators with linkage: true); not part of U_st, U_ind or D")
    lab = ds.stata_label("科技-产业联系指数", en, "[0, 1]")
    assert lab == "科技-产业联系指数 / Linkage index (score 0–1)"


def test_long_label_without_qualifier_cut_at_a_word():
    en = "very " * 30 + "long label"
    lab = ds.stata_label("长标签", en, "亿元")
    assert len(lab) <= 80 and lab.endswith("… (亿元)")
    assert lab == "长标签 / " + "very " * 12 + "very… (亿元)"  # 13 words: 64 of 68 characters


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz&-", min_size=1, max_size=14)


@given(words=st.lists(_word, min_size=1, max_size=40),
       zh=st.text(alphabet="产业结构高级化指数研发经费", min_size=1, max_size=20),
       unit=st.sampled_from(["亿元", "万人", "share", "%", "ratio", "index", "[0, 1]", ""]))
def test_stata_label_property(words, zh, unit):
    """≤ 80 characters, the unit kept, the English part a whole-word prefix of the full label."""
    en = " ".join(words)
    lab = ds.stata_label(zh, en, unit)
    assert len(lab) <= 80
    u = ds.unit_words(unit)
    if u:
        assert lab.endswith(f" ({u})")
        lab = lab[: -len(f" ({u})")]
    assert lab.startswith(f"{zh} / ") or lab == zh
    part = lab[len(zh) + 3:]
    if part.endswith("…"):
        part = part[:-1]
        assert en.startswith(part) and en[len(part)] == " "  # cut between words
    elif part:
        assert part == en


# ---------------------------------------------------------------------------------------------
# characteristics (Stata notes) in a format-118 file
# ---------------------------------------------------------------------------------------------


def _small_dta() -> bytes:
    df = pd.DataFrame({"province_code": np.array([110000, 120000], dtype="int32"),
                       "x": [1.5, np.nan], "s": ["北京", ""]})
    buf = io.BytesIO()
    df.to_stata(buf, write_index=False, version=118,
                variable_labels={"x": "某变量 / a variable (亿元)"},
                value_labels={"province_code": {110000: "北京 Beijing", 120000: "天津 Tianjin"}})
    return buf.getvalue()


def test_characteristics_roundtrip_and_readers(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    raw = _small_dta()
    chars = [("x", "note0", "2"), ("x", "note1", "某变量 / a variable, the full label (亿元)"),
             ("x", "note2", "definition: " + "long " * 200), ("_dta", "note0", "1"),
             ("_dta", "note1", "dataset note")]
    out = ds.add_characteristics(raw, chars)
    assert len(out) > len(raw)
    assert ds.read_characteristics(raw) == []
    assert ds.read_characteristics(out) == chars
    assert ds.notes_of(ds.read_characteristics(out))["x"][0].startswith("某变量")
    p = tmp_path / "t.dta"
    p.write_bytes(out)
    # pandas follows the file map to the data and the value labels
    with pd.io.stata.StataReader(p) as r:
        got = r.read(convert_categoricals=False)
        vlab, varlab = r.value_labels(), r.variable_labels()
    assert got["x"].iloc[0] == 1.5 and np.isnan(got["x"].iloc[1])
    assert vlab["province_code"][120000] == "天津 Tianjin"
    assert varlab["x"] == "某变量 / a variable (亿元)"
    # ReadStat (pyreadstat) parses the characteristics section itself: _dta notes come back
    df2, meta = pyreadstat.read_dta(str(p))
    assert meta.notes == ["dataset note"]
    assert df2["s"].tolist() == ["北京", ""]
    assert meta.variable_value_labels["province_code"][110000] == "北京 Beijing"


def test_add_characteristics_refuses_other_formats():
    with pytest.raises(ValueError, match="not a Stata dta"):
        ds.add_characteristics(b"not a dta file", [])
    buf = io.BytesIO()
    pd.DataFrame({"x": [1.0]}).to_stata(buf, write_index=False, version=117)
    with pytest.raises(ValueError, match="only 118/119"):
        ds.add_characteristics(buf.getvalue(), [("x", "note0", "1")])
    with pytest.raises(ValueError, match="too long"):
        ds.add_characteristics(_small_dta(), [("x" * 200, "note0", "1")])


# ---------------------------------------------------------------------------------------------
# the real build
# ---------------------------------------------------------------------------------------------

REQUIRED = ["province_code", "year", "name_zh", "name_en", "region", "TS", "TL_neg", "PH", "HT",
            "ln_gdp_pc", "rd_intensity_pct", "urbanisation", "fiscal_share", "D", "C", "T",
            "U_st", "U_ind", "linkage", "pillar_chain", "pillar_platform", "pillar_demand",
            "pillar_future", "chain_linkage", "chain_backward", "chain_forward", "model",
            "model_confidence"]


@pytest.fixture(scope="module")
def real(built_framework):
    """The dataset step run on the session's real build (panel, framework, chain linkage)."""
    root = built_framework.parent.parent
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_ROOT", str(root))
        ds.run()
    proc = built_framework
    return {"proc": proc, "parquet": pd.read_parquet(proc / ds.PARQUET),
            "codebook": pd.read_csv(proc / ds.CODEBOOK, encoding="utf-8-sig"),
            "dta": proc / ds.DTA, "panel": pd.read_parquet(proc / "panel.parquet")}


def test_real_dataset_rows_and_variables(real):
    df = real["parquet"]
    assert set(REQUIRED) <= set(df.columns)
    assert not df.duplicated(["province_code", "year"]).any()
    assert df.groupby("year")["province_code"].nunique().eq(31).all()
    assert (df.year.min(), df.year.max()) == ds.YEARS
    bj = df[df.province_code == 110000].iloc[0]
    assert (bj.name_zh, bj.name_en, bj.region) == ("北京", "Beijing", "east")
    assert set(df.region) == {"east", "central", "west", "northeast"}
    # the framework's scores exist for 2018-2023, TS until 2022
    assert df.loc[df.D.notna(), "year"].agg(["min", "max"]).tolist() == [2018, 2023]
    assert df.loc[df.TS.notna(), "year"].max() == 2022


def test_real_definitions(real):
    df, panel = real["parquet"], real["panel"]
    m = df.merge(panel[["province_code", "year", "rd_intensity", "va_tertiary", "va_secondary"]],
                 on=["province_code", "year"], suffixes=("", "_p"))
    np.testing.assert_allclose(m.TS, m.va_tertiary / m.va_secondary_p, rtol=1e-12)
    np.testing.assert_allclose(m.rd_intensity_pct, 100 * m.rd_exp / m.gdp, rtol=1e-12)
    np.testing.assert_allclose(m.rd_intensity_pub_pct, 100 * m.rd_intensity, rtol=1e-12)
    ok = m.population.notna() & m.gdp_real.notna()
    np.testing.assert_allclose(m.ln_gdp_pc[ok], np.log(m.gdp_real * 1e4 / m.population)[ok])
    # Beijing 2022: 6.83 % as published (first-release GDP), 6.29 % on the revised GDP
    bj = df[(df.province_code == 110000) & (df.year == 2022)].iloc[0]
    assert bj.rd_intensity_pub_pct == pytest.approx(6.83, abs=0.005)
    assert bj.rd_intensity_pct == pytest.approx(6.29, abs=0.005)


def test_real_dta_labels_value_labels_notes(real):
    pyreadstat = pytest.importorskip("pyreadstat")
    data = real["dta"].read_bytes()
    assert data[28:31] == b"118"  # Stata 14+ format
    cb = real["codebook"].set_index("variable")
    with pd.io.stata.StataReader(real["dta"]) as r:
        dta = r.read(convert_categoricals=False)
        varlab, vlab = r.variable_labels(), r.value_labels()
    df = real["parquet"]
    assert list(dta.columns) == list(df.columns)
    # every column labelled from the project's label sources; ≤ 80 characters; unit kept
    assert not (cb.label_en == cb.index).any(), cb.index[cb.label_en == cb.index].tolist()
    for col in df.columns:
        lab = varlab[col]
        assert lab == cb.at[col, "label_stata"] and 0 < len(lab) <= 80, col
        u = ds.unit_words(cb.at[col, "unit"] if isinstance(cb.at[col, "unit"], str) else "")
        if u:
            assert u in lab, (col, lab)
    assert "share 0–1" in varlab["urbanisation"] and "%" in varlab["rd_intensity_pct"]
    # the long ones are shortened, and their full text is note 1
    notes = ds.notes_of(ds.read_characteristics(data))
    long = cb.index[cb.label_full.str.len() > 80]
    assert len(long) >= 3
    for col in df.columns:
        assert notes[col][0] == cb.at[col, "label_full"]
    for col in long:
        assert varlab[col] != cb.at[col, "label_full"]
    assert notes["model_confidence"][0].startswith("主导模式置信度 / Share of draws (3-year pooled)")
    # value labels on province_code: the 31 provinces
    assert vlab["province_code"] == {int(c): f"{z} {e}" for c, z, e in
                                     PROVINCES[["province_code", "name_zh", "name_en"]]
                                     .itertuples(index=False)}
    # the values equal the parquet (strings: missing as "")
    for col in df.columns:
        if df[col].dtype.kind == "f" or pd.api.types.is_extension_array_dtype(df[col]) \
                and df[col].dtype.kind in "iu":  # nullable integers (io_year): doubles, . = NA
            np.testing.assert_array_equal(dta[col].to_numpy(float),
                                          df[col].astype("float64").to_numpy(float))
        elif df[col].dtype.kind in "iu":
            assert (dta[col].astype("int64") == df[col]).all(), col
        else:
            assert (dta[col] == df[col].fillna("").astype(str)).all(), col
    # an independent reader (ReadStat) sees the same labels and values
    d2, meta = pyreadstat.read_dta(str(real["dta"]))
    assert meta.column_names_to_labels["TS"] == varlab["TS"]
    assert meta.variable_value_labels["province_code"][650000] == "新疆 Xinjiang"
    np.testing.assert_array_equal(d2["rd_intensity_pct"].to_numpy(float),
                                  df["rd_intensity_pct"].to_numpy(float))
    csv = pd.read_csv(real["proc"] / ds.CSV, encoding="utf-8-sig", float_precision="round_trip")
    np.testing.assert_array_equal(csv["TS"].to_numpy(float), df["TS"].to_numpy(float))  # exact


def test_failed_write_leaves_previous_files(real, monkeypatch):
    """Each file is written to a temporary name and renamed: a failure leaves the old bytes."""
    before = {n: (real["proc"] / n).read_bytes() for n in ds.OUTPUTS}

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ds, "dta_bytes", broken)
    with pytest.raises(RuntimeError):
        ds.write(real["proc"], real["parquet"], real["codebook"])
    assert {n: (real["proc"] / n).read_bytes() for n in ds.OUTPUTS} == before


# ---------------------------------------------------------------------------------------------
# replication scripts
# ---------------------------------------------------------------------------------------------

_STATA_WORDS = {"reghdfe", "boottest", "xthreg", "xtset", "absorb", "vce", "cluster", "reps",
                "weighttype", "rademacher", "seed", "nograph", "rx", "qx", "thnum", "grid",
                "trim", "bs", "keep", "if", "inrange", "drop", "missing", "quietly", "tabulate",
                "generate", "yr_", "yr_1", "preserve", "restore", "use", "clear", "version",
                "set", "more", "off", "all", "notes"}


def _stata_vars(do: str) -> set[str]:
    out = set()
    for line in do.splitlines():
        line = line.split("//")[0]
        if not line.strip() or line.lstrip().startswith("*") or line.startswith("use "):
            continue
        for tok in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line):
            if tok not in _STATA_WORDS and not tok.startswith("yr_"):
                out.add(tok)
    return out


def _r_vars(script: str) -> set[str]:
    out = set()
    for name in ("outcomes", "regressors", "fe"):
        m = re.search(rf"^{name} <- c\((.*)\)$", script, re.M)
        out |= set(re.findall(r'"([^"]+)"', m.group(1)))
    out.add(re.search(r'^cluster <- "([^"]+)"$', script, re.M).group(1))
    return out


def test_replication_variables_exist_in_dta(real):
    spec = replication.baseline_spec((2011, 2022))
    with pd.io.stata.StataReader(real["dta"]) as r:
        cols = set(r.read(convert_categoricals=False).columns)
    do_vars, r_vars = _stata_vars(replication.stata_do(spec)), _r_vars(replication.r_script(spec))
    assert {"TS", "rd_intensity_pct", "province_code", "year"} <= do_vars
    assert do_vars <= cols, do_vars - cols
    assert r_vars <= cols, r_vars - cols
    assert set(spec.variables()) <= cols


def test_estimator_on_the_file_gives_the_table(real):
    """fit_baseline on analysis.parquet and on analysis.dta (as a Stata user loads it) agree;
    the baseline TS column is estimated on 2010-2022, 31 provinces."""
    df = real["parquet"]
    with pd.io.stata.StataReader(real["dta"]) as r:
        dta = r.read(convert_categoricals=False)
    dta["province_code"] = dta["province_code"].astype("int64")
    for y in replication.baseline_spec().outcomes:
        a, b = replication.fit_baseline(df, y), replication.fit_baseline(dta, y)
        np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
        np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-10)
        assert a.nobs == b.nobs
    assert replication.fit_baseline(df, "TS").nobs == 31 * 13


def _synthetic(seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for code in PROVINCES["province_code"]:
        mu = rng.normal()
        for t in range(2010, 2023):
            rd = rng.uniform(0.5, 4)
            rows.append({"province_code": int(code), "year": t, "rd_intensity_pct": rd,
                         "urbanisation": rng.uniform(0.3, 0.9),
                         "fiscal_share": rng.uniform(0.1, 0.4),
                         "TS": 1 + 0.1 * rd + mu + 0.02 * (t - 2010) + rng.normal(scale=0.1),
                         "TL_neg": -0.1 * rng.uniform(), "PH": rng.uniform(0.5, 2),
                         "HT": np.nan if t == 2017 else rng.uniform(0, 0.5)})
    return pd.DataFrame(rows)


@pytest.mark.r_peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_replicate_R_live(tmp_path):
    """replicate.R (fixest, else plm with the reghdfe factor) on a CSV like analysis.csv gives
    our coefficients and standard errors; HT lacks a year (unbalanced: K counts its years)."""
    df = _synthetic()
    csv = tmp_path / "analysis.csv"
    csv.write_bytes(df.to_csv(index=False, float_format="%.17g").encode("utf-8-sig"))
    script = tmp_path / "replicate.R"
    spec = replication.baseline_spec()
    script.write_text(replication.r_script(spec), encoding="utf-8")
    out = tmp_path / "r.csv"
    try:
        run = subprocess.run(["Rscript", str(script), str(csv), str(out)], capture_output=True,
                             text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("Rscript timed out")
    if run.returncode != 0 and "needs fixest or plm" in run.stderr:
        pytest.skip("neither fixest nor plm installed")
    assert run.returncode == 0, run.stderr[-2000:]
    r = pd.read_csv(out)
    assert len(r) == len(spec.outcomes) * len(spec.regressors)
    for y in spec.outcomes:
        ours = replication.fit_baseline(df, y, spec)
        got = r[r.outcome == y].set_index("term")
        assert int(got.nobs.iloc[0]) == ours.nobs
        np.testing.assert_allclose(got.estimate[ours.params.index], ours.params, rtol=1e-8)
        np.testing.assert_allclose(got.std_error[ours.params.index], ours.std_errors,
                                   rtol=1e-6)
        np.testing.assert_allclose(got.p_value[ours.params.index], ours.pvalues, rtol=1e-5,
                                   atol=1e-10)


def test_scripts_written_by_models_step_match_spec(tmp_path):
    spec = replication.baseline_spec((2011, 2022))
    names = replication.write(tmp_path, spec)
    assert sorted(names) == ["replicate.R", "replicate.do"]
    do = (tmp_path / "replicate.do").read_text(encoding="utf-8")
    for y in spec.outcomes:
        assert (f"reghdfe {y} rd_intensity_pct urbanisation fiscal_share, "
                "absorb(province_code year) vce(cluster province_code)") in do
    assert "keep if inrange(year, 2011, 2022)" in do and "xthreg TS" in do
    assert Path(tmp_path / "replicate.R").read_text(encoding="utf-8") == replication.r_script(spec)
