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
# # 3. Baseline: S&T innovation and industrial upgrading
#
# **Question.** Is R&D intensity associated with industrial-structure upgrading, and does the
# answer survive the choice of upgrading measure, controls, sample window, fixed effects and
# inference?
#
# **Method.** Two-way fixed effects (province and year), standard errors clustered by province
# with reghdfe's small-sample correction (`analysis.models.twfe`), and beside every standard error
# the wild cluster bootstrap p-value (WCR, Rademacher weights, 9,999 draws: with 31 clusters the
# accepted practice; Stata `boottest`). Four upgrading outcomes, each oriented so that larger =
# more upgraded: TS = tertiary / secondary value added (干春晖 et al. 2011), −Theil TL
# (rationalisation), PH = productivity-weighted structural height (刘伟, 张辉 & 黄泽华 2008) and
# HT = high-tech revenue / GDP. Controls: urbanisation and fiscal expenditure / GDP; ln GDP per
# capita and the integration score D are themselves outcomes of R&D ("bad controls") and enter
# only the robustness table. Robustness: lagged regressors, winsorising, without the four
# municipalities, structure level H, the bad controls, chain linkage, a placebo lead of R&D, and
# randomisation inference (R&D permuted across provinces within each year, 999 permutations).
# Finally the specification curve (Simonsohn, Simmons & Nelson 2020): the R&D coefficient under
# every combination of outcome × control set × window × fixed effects × inference.
# Estimated once by `python -m analysis models` (`results/baseline.parquet`,
# `robustness.parquet`, `specification_curve.parquet`); full tables in
# `reports/paper/baseline_<lang>.tex`, `robustness_<lang>.tex`, `specification_curve.csv`.
# Stata equivalent, on `data/processed/analysis.dta` (the models' own data): `reghdfe TS
# rd_intensity_pct urbanisation fiscal_share, absorb(province_code year) vce(cluster
# province_code)` then `boottest rd_intensity_pct, reps(9999)`; the whole table:
# `reports/paper/replicate.do` (Stata) and `replicate.R` (R).

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
r = paper.nb03_baseline(data_dir, lang)

# %% [markdown]
# ## Table 3.1 — baseline, one column per upgrading outcome (coefficient, stars, clustered s.e.)
#
# The wild cluster bootstrap p-values are in `reports/paper/baseline_<lang>.*` (in brackets beside
# the standard errors) and in `results/baseline.parquet` (`wild_p_value`, `wild_ci_lower/upper`).

# %%
out.table(r["baseline"], "nb03_baseline_summary", "Baseline two-way FE models of four upgrading outcomes")

# %%
out.figure(r["fig_baseline"], "nb03_baseline_coef")

# %% [markdown]
# ## Table 3.2 — robustness of the TS baseline
#
# Columns labelled "bad control" add ln GDP per capita (and D): outcomes of R&D, so their
# coefficients are not causal and the R&D coefficient changes meaning. The placebo column adds
# next year's R&D, which cannot cause this year's TS. The permutation p-value is in the reading.

# %%
out.table(r["robustness"], "nb03_robustness_summary", "Robustness of the baseline")

# %%
out.figure(r["fig_robustness"], "nb03_robustness_coef")

# %% [markdown]
# ## Figure 3.3 — specification curve

# %%
sc = paper.nb03_specification_curve(data_dir, lang)
out.figure(sc["figure"], "nb03_specification_curve")

# %%
out.table(sc["by_choice"], "nb03_specification_curve_by_choice", "Specification curve by choice")

# %% [markdown]
# ## Reading

# %%
n = r["numbers"]
p_wild = n["wild_p_value"]
sig = ("significant at 10% by the wild bootstrap" if p_wild < 0.1 else
       "not significant at 10% by the wild bootstrap")
c = sc["numbers"]
display(Markdown(
    f"In the TS baseline (N = {n['nobs']}), the coefficient of R&D intensity (%) is "
    f"{n['estimate']:.3f} (clustered s.e. {n['std_error']:.3f}, p = {n['p_value']:.3f}; wild cluster "
    f"bootstrap p = {n['wild_p_value']:.3f}; permutation p = {n.get('permutation_p', float('nan')):.3f}): "
    f"{sig}. The other outcome columns show whether the sign "
    "holds for rationalisation, structural height and the high-tech share. "
    f"Across the {c['n']} specifications of the curve the median R&D coefficient is "
    f"{c['median_estimate']:.3f}; {c['share_positive'] * 100:.0f}% of the estimates are positive and "
    f"{c['share_significant'] * 100:.0f}% are significant at 5% "
    f"({c['share_significant_positive'] * 100:.0f}% positive and significant, "
    f"{c['share_significant_negative'] * 100:.0f}% negative and significant). "
    + ("The association is not robust to reasonable analytic choices: read no single column as the effect."
       if c["share_significant"] < 0.5 else
       "Most reasonable specifications agree.")
))
