# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Mechanisms and thresholds
#
# **Question.** Does R&D work through integration (R&D → D → TS) or through the flows between
# science and industry (R&D → linkage index → TS)? Does its association with upgrading depend on
# the level of integration, or on the stage of development?
#
# **Method.** Mediation: the stepwise method with a Sobel test and a province-cluster bootstrap
# interval for a·b, and — following 江艇 (2022) — the X → M regression reported on its own, with
# its wild cluster bootstrap p. A mediator built from X is no mechanism: D contains R&D intensity
# among its indicators (spec.yaml), so R&D → D is partly mechanical; three of the four linkage
# indicators are per unit of industrial R&D, a mechanical pull the other way. The models step
# reads these links from the indicator formulas and states them under the table.
# Moderation: centred interaction R&D × D with marginal effects over D. Hansen (1999) fixed-effect
# panel threshold regression (threshold variable ln real GDP per capita at 2010 prices), with
# province **and year** effects (the year dummies stay unless they are jointly insignificant at
# 10 %; Stata: `xthreg` with `i.year` among the regressors), bootstrap p-values by resampling
# whole provinces; one regime rule (q < γ | q ≥ γ, Hansen's) in the search and the coefficients.
# A threshold is reported only if the bootstrap test rejects linearity at 10 % and every regime
# holds more observations than the 5 % trimming bound; otherwise the verdict is "no interior
# threshold" and no regime coefficient is interpreted (nor shown in the province reports).
# All estimated once by `python -m analysis models`.

# %% tags=["parameters"]
out_dir = None
data_dir = None
lang = "en"

# %%
from pathlib import Path

from IPython.display import Markdown, display

from analysis import paths
from analysis.reporting import paper
from analysis.reporting.fonts import setup_style

setup_style()
out = paper.PaperOutput(Path(out_dir) if out_dir else paths.reports_dir() / "paper", lang=lang)
r = paper.nb04_mechanisms_thresholds(data_dir, lang)

# %% [markdown]
# ## Mediation (Table 4.1)

# %%
out.table(r["mediation"], "nb04_mediation", "Mediation: R&D intensity to D (or the linkage index) to TS")

# %% [markdown]
# ## Moderation: marginal effect of R&D intensity over D (Figure 4.1)

# %%
out.figure(r["fig_margins"], "nb04_margins")

# %% [markdown]
# ## Threshold tests and regimes (Tables 4.2–4.3, Figure 4.2)

# %%
out.table(r["threshold_tests"], "nb04_threshold_tests", "Hansen threshold tests (bootstrap)")

# %%
out.table(r["regimes"], "nb04_threshold_regimes", "Regime coefficients of R&D intensity")

# %%
out.figure(r["fig_regimes"], "nb04_regime_share")

# %% [markdown]
# ## Reading

# %%
n, med, reg = r["numbers"], r["mediation"], r["regimes"]
th = paper.results_json(data_dir).get("threshold", {})
if "mediator" not in med.columns:  # a results table of the single-mediator version
    med = med.assign(mediator="D")


def _mediator_text(m: str) -> str:
    rows = med[med["mediator"] == m]
    a = rows[rows["quantity"].str.startswith("a ")].iloc[0]
    ind = rows[rows["quantity"].str.contains("bootstrap")].iloc[0]
    wp = a.get("wild_p_value", float("nan"))
    p_txt = f"p = {a['p_value']:.4f}" + (f", wild p = {wp:.3f}" if wp == wp else "")
    name = {"D": "D", "linkage": "the linkage index"}.get(m, m)
    if m == "D":
        verdict = ("; D contains R&D intensity among its indicators, so this step is partly "
                   "mechanical and is not read as a mechanism")
    else:
        sig = (wp if wp == wp else a["p_value"]) < 0.05
        verdict = ("; significant at 5 %, consistent with a channel whose effect on TS is argued, "
                   "not estimated" if sig else "; not significant at 5 %: no channel is established")
    return (f"R&D intensity → {name}: a = {a['estimate']:.3f} ({p_txt}){verdict}. The stepwise "
            f"indirect effect a·b = {ind['estimate']:.3f} has a province-cluster bootstrap 95% interval "
            f"[{ind['ci_lower']:.3f}, {ind['ci_upper']:.3f}]"
            + (", which includes zero. " if ind["ci_lower"] <= 0 <= ind["ci_upper"] else
               ", which excludes zero. "))


g = ", ".join(f"{x:.3f}" for x in n["thresholds"])
if th.get("verdict") == "no interior threshold":
    thr_text = (f"The threshold model ({'two-way' if th.get('time_effects') else 'province'} effects) finds no "
                f"interior threshold in {n['q']}: " + "; ".join(th.get("reasons", [])) + ". The least-squares split "
                f"at {g} is not interpreted, and no regime-specific R&D coefficient is reported.")
else:
    thr_text = (f"The threshold model splits on {n['q']} at {g} (single-threshold bootstrap p = {n['p_values'][0]:.3f}); "
                f"the R&D coefficient is {reg['coef'].iloc[0]:.3f} below and {reg['coef'].iloc[-1]:.3f} above. "
                f"In {n['last_year']}, {n['share_above_last'] * 100:.0f}% of provinces are above the threshold.")
display(Markdown(
    "Following 江艇 (2022), the X → M step is read on its own. "
    + "".join(_mediator_text(m) for m in med["mediator"].drop_duplicates())
    + thr_text
))
