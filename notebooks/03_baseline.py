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
# # 3. Baseline: S&T innovation, integration and industrial upgrading
#
# **Question.** Is R&D intensity — and the integration of S&T with industrial innovation (D) and
# the industrial-chain linkage of R&D-intensive sectors — associated with industrial-structure
# upgrading (TS = tertiary / secondary value added, 干春晖 et al. 2011)?
#
# **Method.** Two-way fixed effects (province and year), standard errors clustered by province
# with reghdfe's small-sample correction (`analysis.models.twfe`); controls: ln real GDP per capita (2010 prices),
# urbanisation, fiscal expenditure / GDP. Robustness: lagged regressors, winsorising, without the
# four municipalities, alternative outcomes. Estimated once by `python -m analysis models`
# (`results/baseline.parquet`, `results/robustness.parquet`); the full regression tables are
# `reports/paper/baseline_<lang>.tex` and `robustness_<lang>.tex`.
# Stata equivalent: `reghdfe TS rd_intensity_pct ln_gdp_pc urbanisation fiscal_share, absorb(province year) vce(cluster province)`.

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
# ## Table 3.1 — baseline (coefficient, stars, clustered standard error)

# %%
out.table(r["baseline"], "nb03_baseline_summary", "Baseline two-way FE models of TS")

# %%
out.figure(r["fig_baseline"], "nb03_baseline_coef")

# %% [markdown]
# ## Table 3.2 — robustness

# %%
out.table(r["robustness"], "nb03_robustness_summary", "Robustness of the baseline")

# %%
out.figure(r["fig_robustness"], "nb03_robustness_coef")

# %% [markdown]
# ## Reading

# %%
n = r["numbers"]
sig = "significant at 10%" if n["p_value"] < 0.1 else "not significant at 10%"
display(Markdown(
    f"In the baseline (N = {n['nobs']}), the coefficient of R&D intensity (%) on {n['depvar']} is "
    f"{n['estimate']:.3f} (clustered s.e. {n['std_error']:.3f}, p = {n['p_value']:.3f}): {sig}. "
    "Columns (2)–(3) add D and the chain linkage on the shorter window where D exists; the robustness "
    "table shows whether the sign and size survive lags, winsorising and dropping the municipalities."
))
