"""`python -m analysis models` on a synthetic processed panel: stored numbers equal the
estimators' output, the DGP is recovered, a failing block leaves no stale table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data.provinces import PROVINCES
from analysis.models import pipeline as mp
from analysis.models import twfe

BETA_RD = 0.2  # true effect of R&D intensity (%) on TS


def _panel(years=range(2011, 2023), seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for code in PROVINCES["province_code"]:
        mu = rng.normal(scale=0.3)
        lvl = rng.uniform(0.5, 1.5)
        for t in years:
            rd = rng.uniform(0.5, 4.0)
            urb = rng.uniform(0.4, 0.9)
            gdp = 1e4 * lvl * (1.05 ** (t - 2011)) * rng.uniform(0.95, 1.05)
            ts = 1.0 + BETA_RD * rd + 0.5 * urb + mu + 0.02 * (t - 2011) + rng.normal(scale=0.05)
            rows.append(dict(province_code=int(code), year=t, rd_intensity=rd / 100,
                             rd_exp=rd / 100 * gdp,
                             va_primary=0.1 * gdp, va_secondary=100.0, va_tertiary=100.0 * ts,
                             gdp=gdp, gdp_real=gdp * 0.9, population=4000 * lvl,
                             budget_exp=gdp * rng.uniform(0.1, 0.3), urbanisation=urb,
                             gdp_deflator=1.0 + 0.02 * (t - 2010),
                             emp_primary=300 * lvl * rng.uniform(0.9, 1.1),
                             emp_secondary=200 * lvl * rng.uniform(0.9, 1.1),
                             emp_tertiary=250 * lvl * rng.uniform(0.9, 1.1),
                             hightech_revenue=gdp * rng.uniform(0.05, 0.3)))
    return pd.DataFrame(rows)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    (tmp_path / "pyproject.toml").write_text("")
    mirror = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
    if mirror.is_dir():
        monkeypatch.setenv("ANALYSIS_MIRROR", str(mirror))
    return tmp_path


def test_fails_without_panel(root):
    with pytest.raises(FileNotFoundError, match="data build"):
        mp.run()


def _write_processed(proc: Path, panel: pd.DataFrame) -> None:
    """The panel and the analysis dataset built from it (the ``dataset`` step), which the
    models step reads."""
    from analysis import dataset

    proc.mkdir(parents=True, exist_ok=True)
    panel.to_parquet(proc / "panel.parquet", index=False)
    dataset.run()


def test_pipeline_numbers(root):
    proc = root / "data" / "processed"
    panel = _panel()
    _write_processed(proc, panel)
    out = mp.run()
    assert out["status"] == "done"
    assert "baseline" not in out["failed"] and "threshold" not in out["failed"]
    res = proc / "results"
    base = pd.read_parquet(res / "baseline.parquet")
    # the table is what replicate.do / replicate.R reproduce from analysis.dta / .csv: the
    # baseline estimator on analysis.parquet gives every stored and printed number
    from analysis.models.replication import fit_baseline

    ana = pd.read_parquet(proc / "analysis.parquet")
    table = pd.read_csv(root / "reports" / "paper" / "baseline_en.csv", encoding="utf-8-sig",
                        index_col=0)
    for i, y in enumerate(mp.OUTCOMES):
        r = fit_baseline(ana, y)
        got = base[base.model == f"({i + 1})"].set_index("term")
        np.testing.assert_allclose(got.estimate[r.params.index], r.params, rtol=1e-12)
        np.testing.assert_allclose(got.std_error[r.params.index], r.std_errors, rtol=1e-12)
        shown = table.loc["R&D intensity (%)", f"({i + 1})"]
        if isinstance(shown, pd.Series):
            shown = shown.iloc[0]
        assert float(str(shown).rstrip("*")) == pytest.approx(r.params["rd_intensity_pct"],
                                                              abs=5e-4)
    assert (root / "reports" / "paper" / "replicate.do").exists()
    frame = mp.build_analysis_frame(panel, None, None)
    direct = twfe(frame, "TS", ["rd_intensity_pct", *mp.CONTROLS], "province_code", "year")
    row = base[(base.model == "(1)") & (base.term == "rd_intensity_pct")].iloc[0]
    assert row.estimate == pytest.approx(direct.params["rd_intensity_pct"], rel=1e-12)
    assert row.std_error == pytest.approx(direct.std_errors["rd_intensity_pct"], rel=1e-12)
    assert row.estimate == pytest.approx(BETA_RD, abs=0.01)
    assert row.nobs == 31 * 12
    # derived variables: TS = tertiary / secondary, ln GDP per capita in yuan
    assert frame["TS"].iloc[0] == pytest.approx(panel["va_tertiary"].iloc[0] / 100.0)
    assert frame["ln_gdp_pc"].iloc[0] == pytest.approx(
        np.log(panel.gdp_real.iloc[0] * 1e4 / panel.population.iloc[0]))
    # threshold: one row per province-year with the coefficient of its regime (NaN when no
    # interior threshold is supported)
    reg = pd.read_parquet(res / "threshold_regimes.parquet")
    assert len(reg) == 31 * 12 and reg[["province_code", "year"]].duplicated().sum() == 0
    assert reg.groupby("regime")["coef"].nunique(dropna=False).eq(1).all()
    summary = json.loads((res / "results.json").read_text())
    assert summary["baseline"]["estimate"] == pytest.approx(row.estimate)
    for name in ("baseline", "robustness", "heterogeneity", "threshold"):
        for ext in ("md", "html", "tex", "csv"):
            assert (root / "reports" / "paper" / f"{name}_zh.{ext}").exists()
    assert "R&D投入强度（%）" in (root / "reports" / "paper" / "baseline_zh.md").read_text()
    assert (root / "reports" / "paper" / "baseline_zh.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    md = (root / "reports" / "paper" / "baseline_en.md").read_text()
    assert "Samples: (1) 2011–2022, 372 obs., 31 provinces;" in md
    assert "R&D expenditure / GDP × 100" in md
    # a year missing inside a column's range is named (high-tech revenue has no 2017 in the
    # yearbooks), so "2011–2023" never hides a gap: the years listed match the observations
    ht = pd.read_parquet(res / "baseline.parquet").query("model == '(4)'").iloc[0]
    if ht.nobs == 372 and ht.years == "2011-2023":
        assert "(4) 2011–2023 except 2017, 372 obs., 31 provinces" in md
    # the zh robustness table is Chinese throughout: column heads and notes (no English spec names)
    rz = (root / "reports" / "paper" / "robustness_zh.md").read_text()
    assert "| 基准 |" in rz and "剔除直辖市" in rz
    assert not any(w in rz for w in ("bad control", "placebo", "winsor", "municipalities"))
    # a two-way threshold model says so in its fixed-effects rows
    if summary["threshold"]["time_effects"]:
        assert "| Year FE | Yes |" in (root / "reports" / "paper" / "threshold_en.md").read_text()
    eff_md = root / "reports" / "paper" / "spatial_effects_en.md"
    if (res / "spatial_effects.parquet").exists() and "spatial" not in out["failed"]:
        eff = pd.read_parquet(res / "spatial_effects.parquet").set_index(["variable", "effect"])
        txt = eff_md.read_text()
        for kind in ("direct", "indirect", "total"):
            v = eff.loc[("rd_intensity_pct", kind)]
            assert f"{v.estimate:.3f}" in txt and f"({v.std_error:.3f})" in txt
    rob = pd.read_parquet(res / "robustness.parquet")
    assert {"baseline", "lag 1", "excl. municipalities", "bad control: + ln GDP pc",
            "placebo: R&D lead", "permutation test"} <= set(rob.spec)
    perm = rob[rob.spec == "permutation test"].iloc[0]
    assert summary["robustness"]["permutation_p"] == perm.p_value
    assert 1 / 1000 <= perm.p_value <= 0.01  # a true effect of 0.2 with little noise
    # every baseline outcome, each coefficient with its wild bootstrap p-value
    assert list(base.depvar.drop_duplicates()) == ["TS", "TL_neg", "PH", "HT"]
    assert base["wild_p_value"].between(0, 1).all() and (base["wild_reps"] == 9999).all()
    wb = direct.wild_bootstrap("rd_intensity_pct", reps=9999, seed=mp.SEED)
    assert row.wild_p_value == wb.p_value
    assert "Wild cluster bootstrap p-values in brackets" in md
    assert "ln_gdp_pc" not in base.term.tolist()  # a bad control: robustness only
    # threshold verdict stored; without an interior threshold no regime coefficient
    th = summary["threshold"]
    assert th["verdict"] in ("threshold", "no interior threshold") and th["time_effects"] in (
        True, False)
    from analysis.reporting import sections
    from analysis.reporting.inputs import load_inputs

    sec = sections.build("threshold", load_inputs(proc), 110000, "en", 2011, 2022)
    if th["verdict"] == "no interior threshold":
        assert reg["coef"].isna().all() and (reg["verdict"] == "no interior threshold").all()
        assert "finds no interior threshold" in sec.text and not sec.tables
        assert sec.numbers["threshold.verdict"] == "no interior threshold"
        assert "threshold.effect" not in sec.numbers
    else:
        assert sec.tables and "threshold.effect" in sec.numbers
    sp = sections.build("spatial", load_inputs(proc), 110000, "en", 2011, 2022)
    if summary["spatial"]["interpret_spillovers"]["queen"] is False:
        assert "no spillover effect is interpreted" in sp.text
        assert sp.numbers["spatial.interpret_spillovers"] is False
    # spatial: a verdict per W
    assert set(summary["spatial"]["verdicts"]) == {"queen", "distance", "economic"}
    tests = pd.read_parquet(res / "spatial_tests.parquet")
    assert set(tests.W) == {"queen", "distance", "economic"} and len(tests) == 3 * 8
    # GMM diagnostics and the specification curve
    assert summary["gmm"]["instruments"] <= 31
    sc = pd.read_csv(root / "reports" / "paper" / "specification_curve.csv")
    assert len(sc) >= 48 and set(sc.inference) == {"CR1", "wild"}
    assert set(sc.outcome) == {"TS", "TL_neg", "PH", "HT"}
    assert summary["specification_curve"]["n_specifications"] == len(sc)
    assert (root / "reports" / "paper" / "specification_curve.png").stat().st_size > 10_000


def test_failing_block_removes_its_old_tables(root, monkeypatch):
    """A block that fails (here: the threshold model) leaves no table of a previous run where
    the reports read them; the step runner reports the models step failed, naming the block."""
    from analysis import steps
    from analysis.models import threshold

    proc = root / "data" / "processed"
    (proc / "results").mkdir(parents=True)
    _write_processed(proc, _panel())
    paper = root / "reports" / "paper"
    paper.mkdir(parents=True)
    old = [proc / "results" / "threshold_regimes.parquet", proc / "results" / "threshold_tests.parquet",
           paper / "threshold_en.html", paper / "threshold_zh.md",
           proc / "results" / "mediation.parquet"]  # mediation: not estimated (no integration table)
    for f in old:
        f.write_text("from a previous run")

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular matrix in the threshold search")

    monkeypatch.setattr(threshold, "hansen_threshold", broken)
    models = next(s for s in steps.main_steps(notebooks=False) if s.name == "models")
    models.after = ()  # the synthetic project has no raw data for the upstream steps
    res = steps.Runner([models], verbose=False).run()
    assert steps.exit_code(res) == 1
    assert res[0].status == "failed" and "threshold" in res[0].failed_parts
    assert "LinAlgError" in res[0].failed_parts["threshold"]
    assert not any(f.exists() for f in old)
    assert (proc / "results" / "baseline.parquet").exists()  # the other blocks' results stay
    summary = json.loads((proc / "results" / "results.json").read_text())
    assert "threshold" in summary["failed"] and "threshold" not in summary
    assert "data/processed/results/threshold_regimes.parquet" in summary["discarded"]
    assert "failed part threshold: LinAlgError" in steps.summary_text(res, 1.0)
    assert steps.read_record("models") is None  # redone by the next run
    # the previous tables are quarantined (intact, where nothing reads them) and the summary
    # says where
    q = proc / ".failed" / "models" / "results" / "threshold_regimes.parquet"
    assert q.read_text() == "from a previous run"
    assert (root / "reports" / ".failed" / "models" / "paper" / "threshold_en.html").exists()
    assert ("quarantined in reports/.failed/models/, data/processed/.failed/models/"
            in steps.summary_text(res, 1.0))



def test_two_runs_give_the_same_bytes(root):
    """Seeds make the models step byte-reproducible (every table, result and figure)."""
    proc = root / "data" / "processed"
    _write_processed(proc, _panel(years=range(2013, 2021), seed=1))

    def snapshot():
        out = {}
        for base in (proc / "results", root / "reports" / "paper"):
            for f in sorted(base.glob("*")):
                if f.is_file() and f.name != "manifest.json":
                    out[f"{base.name}/{f.name}"] = f.read_bytes()
        return out

    first = mp.run()
    a = snapshot()
    second = mp.run()
    b = snapshot()
    assert first["failed"] == second["failed"] == {}
    assert len(a) > 40 and a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert differ == []


#: Latin words a Chinese table may contain: variable and model abbreviations, test and weight
#: names, authors and journals cited in their own script, software commands.
ZH_LATIN_OK = {
    "TS", "PH", "HT", "GDP", "SDM", "SAR", "SEM", "SLX", "LM", "LR", "Wald", "Sobel", "GMM",
    "AR", "MA", "Hansen", "WCR", "WCU", "CR1", "Rademacher", "Webb", "Roodman", "Stata", "boottest",
    "LeSage", "Pace", "ML", "Lee", "Yu", "Windmeijer", "collapse", "Elhorst", "Anselin", "Bera",
    "Florax", "Yoon", "Halleck", "Vega", "Qu", "Kronmal", "Spatial", "Economic", "Analysis",
    "Econometrics", "Journal", "of", "spec", "yaml", "xthreg", "reghdfe", "ij",
}


def _integration(panel: pd.DataFrame, seed=3) -> pd.DataFrame:
    """A framework table for 2016-2022: D rises with R&D intensity, linkage does not."""
    rng = np.random.default_rng(seed)
    s = panel[panel.year >= 2016][["province_code", "year", "rd_intensity"]].copy()
    s["D"] = 0.3 + 2.0 * s["rd_intensity"] + rng.normal(scale=0.01, size=len(s))
    s["linkage"] = 0.4 + rng.normal(scale=0.05, size=len(s))
    return s.drop(columns="rd_intensity")


def test_mechanisms_and_the_language_of_every_table(root):
    """Mediation by D and by the linkage index: every coefficient carries the wild bootstrap p
    of an independent refit; D's X -> M is called mechanical. Every zh table is Chinese (no
    Latin word outside ZH_LATIN_OK, no internal variable name), every en table is free of CJK,
    and each table's CSV holds the same cells as its markdown."""
    import re

    from analysis.models.mechanisms import mediation

    proc = root / "data" / "processed"
    proc.mkdir(parents=True)
    panel = _panel()
    panel.to_parquet(proc / "panel.parquet", index=False)
    _integration(panel).to_parquet(proc / "integration.parquet", index=False)
    # the labels the data build and the framework write (codebooks)
    pd.DataFrame({"variable": ["urbanisation"], "label_en": ["Urbanisation rate"],
                  "label_zh": ["城镇化率"]}).to_csv(proc / "codebook.csv", index=False)
    # the framework's codebook (its indicator rows carry the spec.yaml formulas) and weights
    from analysis.framework.integration import codebook
    from analysis.framework.spec import load_spec

    spec = load_spec()
    cb = codebook(spec)
    cb.loc[cb.name == "D", "label_en"] = "Coupling coordination degree D"
    cb.to_csv(proc / "integration_codebook.csv", index=False)
    groups = {"U_st": spec.members(subsystem="st"), "U_ind": spec.members(subsystem="ind"),
              "linkage": spec.members(linkage=True)}
    (root / "reports" / "framework").mkdir(parents=True)
    pd.DataFrame([{"group": g, "indicator": n, "weight": 1 / len(ns)}
                  for g, ns in groups.items() for n in ns]).to_csv(
        root / "reports" / "framework" / "weights.csv", index=False)
    from analysis import dataset

    dataset.run()  # the analysis dataset the models step reads
    out = mp.run()
    assert out["failed"] == {}
    paper = root / "reports" / "paper"
    med = pd.read_parquet(proc / "results" / "mediation.parquet")
    assert list(med.mediator.drop_duplicates()) == ["D", "linkage"]
    frame = mp.build_analysis_frame(panel, _integration(panel), None)
    ref = mediation(frame, "TS", "rd_intensity_pct", "linkage", "province_code", "year",
                    controls=mp.CONTROLS, bootstrap=0)
    wa = ref.a_path.wild_bootstrap("rd_intensity_pct", **mp.WILD)
    row = med[(med.mediator == "linkage")].iloc[1]
    assert row.estimate == pytest.approx(ref.a, rel=1e-12) and row.wild_p_value == wa.p_value
    md = (paper / "mediation_en.md").read_text()
    lines = md.splitlines()
    assert lines[0] == "|  | (1) | (2) | (3) | (4) | (5) |"
    se_rows = [ln for ln in lines[2:] if ln.startswith("|  | (")]
    # every coefficient cell has its bracket: as many brackets as standard errors
    assert sum(c.count("(") for c in se_rows) == sum(c.count("[") for c in se_rows) > 12
    assert f"({ref.a_path.std_errors['rd_intensity_pct']:.3f})" in md
    assert f"[{wa.p_value:.3f}]" in lines[lines.index(next(ln for ln in lines if ln.startswith(
        "| R&D intensity"))) + 1].split("|")[5]
    assert "Sample: (1)–(5) 2016–2022, 217 obs., 31 provinces." in md
    assert "3 are per unit of R&D expenditure" in md and "not presented as a mechanism" in md
    assert "75% of the index's weight" in md
    zh = (paper / "mediation_zh.md").read_text()
    assert "3个指标以R&D经费为分母" in zh and "不作为机制" in zh
    mo = (paper / "moderation_en.md").read_text()
    assert mo.count("[") == 5 and "partly R&D intensity squared" in mo

    internal = re.compile(r"rd_intensity_pct|TL_neg|ln_gdp_pc|fiscal_share")
    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    tables = sorted({f.name.rsplit("_", 1)[0] for f in paper.glob("*_zh.md")})
    assert {"baseline", "robustness", "heterogeneity", "mediation", "moderation", "threshold",
            "spatial_sdm", "spatial_effects", "gmm"} <= set(tables)
    for name in tables:
        en = (paper / f"{name}_en.md").read_text()
        zh = (paper / f"{name}_zh.md").read_text()
        assert not cjk.search(en), (name, cjk.findall(en)[:5])
        latin = set(re.findall(r"[A-Za-z]{2,}[A-Za-z0-9]*", zh)) - ZH_LATIN_OK
        assert not latin, (name, sorted(latin))
        for lang, text in (("en", en), ("zh", zh)):
            assert not internal.search(text), (name, lang, internal.findall(text))
            # the CSV holds the markdown's cells
            rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in text.splitlines()
                    if ln.startswith("|") and not ln.startswith("|---")]
            csv = pd.read_csv(paper / f"{name}_{lang}.csv", encoding="utf-8-sig", header=None,
                              dtype=str, keep_default_na=False)
            md_cells = [r[1:] for r in rows if any(r)]  # the markdown's blank rule row
            assert md_cells == csv.iloc[:, 1:].values.tolist(), (name, lang)


def test_spatial_notes_state_what_the_tests_support():
    """The economic-distance pattern of the real panel (LM lag p = 0.083, LM error 0.904, robust
    LM 0.000, both SDM restrictions rejected, rho insignificant): the notes say the LM tests do
    not discriminate and the spillover is local (SLX type); nothing of the kind when rho is
    significant or no dependence is supported. The economic W note names its years."""
    from types import SimpleNamespace

    def sel(model, p):
        lm = pd.DataFrame({"p_value": p[:4]}, index=["LM lag", "LM error", "robust LM lag",
                                                     "robust LM error"])
        wl = pd.DataFrame({"p_value": p[4:]}, index=["Wald SAR", "LR SAR", "Wald SEM",
                                                     "LR SEM"])
        return SimpleNamespace(lm=lm, wald_lr=wl, model=model)

    def sdm(rho, p):
        return SimpleNamespace(rho=rho, pvalues=pd.Series({"rho": p}))

    econ = sel("sdm", [0.083, 0.904, 0.0001, 0.0002, 0.0, 0.0, 0.0, 0.0])
    en = mp._spatial_reading("economic", econ, sdm(0.004, 0.971), "en")
    assert len(en) == 2
    assert "both robust LM tests reject (p = 0.000, 0.000) while LM lag p = 0.083" in en[0]
    assert "ρ = 0.004 (p = 0.971) is insignificant" in en[1] and "SLX type" in en[1]
    zh = mp._spatial_reading("economic", econ, sdm(0.004, 0.971), "zh")
    assert "局部溢出（SLX型" in zh[1] and "LM检验无法区分" in zh[0]
    # a significant rho: a global spillover, no SLX reading
    assert mp._spatial_reading("economic", econ, sdm(0.4, 0.001), "en") == en[:1]
    # no dependence supported: nothing beyond the verdict
    none = sel("none", [0.69, 0.69, 0.08, 0.08, 0.42, 0.38, 0.37, 0.38])
    assert mp._spatial_reading("queen", none, sdm(-0.015, 0.86), "en") == []
    frame = pd.DataFrame({"year": [2011, 2022], "gdp_real": [1.0, 2.0]})
    note = mp._economic_w_note(frame, "en")
    assert "mean real GDP per capita (2010 prices) over 2011–2022" in note
    assert "endogenous" in note and "Qu & Lee 2015" in note
    assert "2011–2022年" in mp._economic_w_note(frame, "zh")
    assert "Elhorst 2010" in mp.SPATIAL_RULE_NOTE["en"] and "Yoon 1996" in mp.SPATIAL_RULE_NOTE["en"]
