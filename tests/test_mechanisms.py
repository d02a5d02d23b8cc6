"""Mediation and moderation: identities, hand recomputation, seeded bootstrap, simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import twfe
from analysis.models.mechanisms import _ols, mediation, moderation
from analysis.models.twfe import demean_array

A, B, C = 0.6, 0.5, 0.3  # true a, b and direct effect


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(31):
        mu = rng.normal()
        reg_const = rng.normal()
        for t in range(2005, 2023):
            x = rng.normal() + 0.5 * mu
            w = rng.normal()
            z = rng.normal() + 0.3 * mu
            m = A * x + 0.2 * w + mu + rng.normal(scale=0.5)
            y = C * x + B * m + 0.3 * w + 0.4 * x * z + 0.1 * z + mu + 0.05 * (t - 2005) \
                + rng.normal(scale=0.5)
            rows.append(dict(province_code=110000 + 10000 * i, year=t, x=x, w=w, m=m, z=z, y=y,
                             zconst=reg_const))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def med(panel):
    return mediation(panel, "y", "x", "m", "province_code", "year", controls=["w"],
                     bootstrap=300, seed=7)


def test_steps_and_decomposition_identity(panel, med):
    tot = twfe(panel, "y", ["x", "w"], "province_code", "year")
    a = twfe(panel, "m", ["x", "w"], "province_code", "year")
    d = twfe(panel, "y", ["x", "m", "w"], "province_code", "year")
    assert med.c == pytest.approx(tot.params["x"], rel=1e-12)
    assert med.a == pytest.approx(a.params["x"], rel=1e-12)
    assert med.b == pytest.approx(d.params["m"], rel=1e-12)
    assert med.c_prime == pytest.approx(d.params["x"], rel=1e-12)
    # same sample, linear within estimator: total = direct + indirect, exactly
    assert med.c == pytest.approx(med.c_prime + med.a * med.b, rel=1e-10)
    assert med.share_mediated == pytest.approx(med.a * med.b / med.c)
    # simulated truth a = 0.6, b = 0.5
    assert med.a == pytest.approx(A, abs=0.06) and med.b == pytest.approx(B, abs=0.15)


def test_sobel_by_hand(med):
    sa = med.a_path.std_errors["x"]
    sb = med.direct.std_errors["m"]
    se = np.sqrt(med.b**2 * sa**2 + med.a**2 * sb**2)
    assert med.sobel_se == pytest.approx(se, rel=1e-12)
    assert med.sobel_z == pytest.approx(med.a * med.b / se)
    from scipy import stats

    assert med.sobel_p == pytest.approx(2 * stats.norm.sf(abs(med.a * med.b / se)))


def test_bootstrap_seeded_and_sensible(panel, med):
    again = mediation(panel, "y", "x", "m", "province_code", "year", controls=["w"],
                      bootstrap=300, seed=7)
    assert again.boot_ci == med.boot_ci and again.boot_se == med.boot_se
    other = mediation(panel, "y", "x", "m", "province_code", "year", controls=["w"],
                      bootstrap=300, seed=8)
    assert other.boot_ci != med.boot_ci
    assert med.boot_reps == 300
    lo, hi = med.boot_ci
    assert lo < med.indirect < hi and lo < A * B < hi
    # the cluster bootstrap SE and the (clustered) Sobel SE agree to within 35 %
    assert med.boot_se == pytest.approx(med.sobel_se, rel=0.35)


def test_fast_within_path_equals_twfe(panel):
    """The bootstrap's numpy within estimator reproduces the pyfixest point estimates."""
    ent = pd.factorize(panel["province_code"])[0]
    tc = pd.factorize(panel["year"])[0]
    D = demean_array(panel[["m", "x", "w"]].to_numpy(float), [ent, tc])
    b = _ols(D[:, 0], D[:, 1:])
    ref = twfe(panel, "m", ["x", "w"], "province_code", "year").params
    np.testing.assert_allclose(b, ref.to_numpy(), rtol=1e-8)
    # unbalanced: drop some rows
    p2 = panel.drop(index=[0, 5, 17, 300]).reset_index(drop=True)
    D = demean_array(p2[["m", "x", "w"]].to_numpy(float),
                      [pd.factorize(p2["province_code"])[0], pd.factorize(p2["year"])[0]])
    ref = twfe(p2, "m", ["x", "w"], "province_code", "year").params
    np.testing.assert_allclose(_ols(D[:, 0], D[:, 1:]), ref.to_numpy(), rtol=1e-7)


def test_jiang_and_table(med):
    assert med.jiang["estimate"] == med.a
    assert "江艇" in med.jiang["note_zh"] and "Jiang (2022" in med.jiang["note_en"]
    t = med.summary_table("zh")
    assert t.shape == (6, 7)
    assert t.loc[1, "estimate"] == med.a and t.loc[5, "ci_lower"] == med.boot_ci[0]


def test_mediation_bad_input(panel):
    with pytest.raises(ValueError, match="different"):
        mediation(panel, "y", "x", "x", "province_code", "year")
    with pytest.raises(KeyError, match="nope"):
        mediation(panel, "y", "x", "nope", "province_code", "year")


def test_moderation_margins(panel):
    mo = moderation(panel, "y", "x", "z", "province_code", "year", controls=["w"],
                    grid=[-1.0, panel["z"].mean(), 1.5])
    r = mo.model
    inter = mo.interaction
    # at z = mean(z) the marginal effect is the centred main effect, with its SE
    assert mo.margins.loc[1, "dydx"] == pytest.approx(r.params["x"], rel=1e-12)
    assert mo.margins.loc[1, "std_error"] == pytest.approx(r.std_errors["x"], rel=1e-10)
    # delta method by hand at z = 1.5
    g = 1.5 - mo.z_mean
    V = r.vcov
    se = np.sqrt(V.loc["x", "x"] + g**2 * V.loc[inter, inter] + 2 * g * V.loc["x", inter])
    assert mo.margins.loc[2, "dydx"] == pytest.approx(r.params["x"] + g * r.params[inter])
    assert mo.margins.loc[2, "std_error"] == pytest.approx(se, rel=1e-12)
    # true interaction 0.4
    assert r.params[inter] == pytest.approx(0.4, abs=0.06)
    # centring changes coefficients but not the marginal effects
    raw = moderation(panel, "y", "x", "z", "province_code", "year", controls=["w"],
                     center=False, grid=[-1.0, panel["z"].mean(), 1.5])
    np.testing.assert_allclose(raw.margins["dydx"], mo.margins["dydx"], rtol=1e-9)
    np.testing.assert_allclose(raw.margins["std_error"], mo.margins["std_error"], rtol=1e-8)
    assert raw.model.params[inter] == pytest.approx(r.params[inter], rel=1e-9)


def test_moderation_time_invariant_moderator(panel):
    mo = moderation(panel, "y", "x", "zconst", "province_code", "year")
    assert "zconst" not in mo.model.params.index
    assert any("absorbed" in n for n in mo.notes)
    assert len(mo.margins) == 20


def test_bootstrap_draws_equal_twfe_on_resampled_provinces():
    """Independent replay of the cluster bootstrap: the same seeded draws of whole provinces
    (each draw a new province id), a·b from two pyfixest fits; shuffled, unbalanced panel."""
    rng0 = np.random.default_rng(1)
    rows = []
    for i in range(12):
        mu = rng0.normal()
        for t in range(2005, 2015):
            x, w = rng0.normal() + mu, rng0.normal()
            m = 0.6 * x + 0.2 * w + mu + rng0.normal()
            rows.append(dict(p=100 + i, year=t, x=x, w=w, m=m,
                             y=0.3 * x + 0.5 * m + 0.3 * w + mu + rng0.normal()))
    panel = pd.DataFrame(rows).sample(frac=1, random_state=3)
    panel = panel.drop(index=panel.index[:4])
    res = mediation(panel, "y", "x", "m", "p", "year", controls=["w"], bootstrap=7, seed=11)
    s = panel.reset_index(drop=True)
    uniq = np.unique(s["p"].to_numpy())
    rng = np.random.default_rng(11)
    ab = []
    for _ in range(7):
        pick = rng.integers(0, uniq.size, uniq.size)
        bs = pd.concat([s[s.p == uniq[u]].assign(p=k) for k, u in enumerate(pick)],
                       ignore_index=True)
        a = twfe(bs, "m", ["x", "w"], "p", "year").params["x"]
        ab.append(a * twfe(bs, "y", ["x", "m", "w"], "p", "year").params["m"])
    ab = np.asarray(ab)
    np.testing.assert_allclose(res.boot_ci, np.quantile(ab, [0.025, 0.975]), rtol=1e-9)
    assert res.boot_se == pytest.approx(ab.std(ddof=1), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# mechanical links of a composite mediator with R&D intensity (formula positions in spec.yaml)
# ---------------------------------------------------------------------------------------------
def test_formula_positions_by_hand():
    from analysis.models.mechanisms import formula_positions

    assert formula_positions("a / (b / c)") == {"numerator": {"a", "c"}, "denominator": {"b"}}
    assert formula_positions("(x - y) / z * 10000") == {"numerator": {"x", "y"},
                                                        "denominator": {"z"}}
    # the panel ratio R&D intensity is R&D expenditure over GDP
    assert formula_positions("rd_intensity") == {"numerator": {"rd_intensity", "rd_exp"},
                                                 "denominator": {"gdp"}}
    assert formula_positions("papers / rd_intensity")["denominator"] >= {"rd_intensity", "rd_exp"}


def _indicator_table(spec, names):
    """The indicator rows of the framework's codebook (formula, labels, direction)."""
    return pd.DataFrame([{"name": n, "formula": spec[n].formula, "label_en": spec[n].label_en,
                          "label_zh": spec[n].label_zh, "direction": spec[n].direction,
                          "weight": 1 / len(names)} for n in names])


def test_mechanical_components_of_the_framework_mediators():
    """D contains R&D intensity itself (an upward mechanical X -> M); three of the four linkage
    indicators are per unit of industrial R&D (a downward one), the fourth shares GDP with X."""
    from analysis.framework.spec import load_spec
    from analysis.models.mechanisms import mechanical_components

    spec = load_spec()
    link = spec.members(linkage=True)
    mc = mechanical_components(_indicator_table(spec, link)).set_index("name")
    assert len(link) == 4
    per_rd = {n for n in link if "ind_rd_exp" in spec[n].columns}
    assert set(mc.index[mc.relation == "R&D in denominator"]) == per_rd and len(per_rd) == 3
    assert (mc.loc[sorted(per_rd), "sign"] == -1).all()
    assert mc.loc[sorted(per_rd), "weight"].sum() == pytest.approx(0.75)
    assert list(mc.index[mc.relation == "common denominator"]) == ["tech_bought_gdp"]
    d_members = [n for n in spec.names if spec[n].subsystem in ("st", "ind")]
    md = mechanical_components(_indicator_table(spec, d_members)).set_index("name")
    assert md.loc["rd_intensity", "relation"] == "is X" and md.loc["rd_intensity", "sign"] == 1
    assert md.loc["hightech_rd_intensity", "relation"] == "R&D in numerator"
    # composition shares (R&D over R&D) have no mechanical link to the level of X
    assert "enterprise_rd_share" not in md.index and "basic_research_share" not in md.index
    # the formula grammar: anything else is refused, naming the construct
    with pytest.raises(ValueError, match="Call"):
        mechanical_components(pd.DataFrame([{"name": "x", "formula": "log(gdp)", "label_en": "",
                                             "label_zh": "", "direction": "positive"}]))
    with pytest.raises(KeyError, match="direction"):
        mechanical_components(pd.DataFrame([{"name": "x", "formula": "gdp", "label_en": "",
                                             "label_zh": ""}]))
