# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Measuring integration: subsystem indices and coupling coordination
#
# **Question.** How integrated are S&T innovation and industrial innovation in China's provinces,
# how has integration evolved, how unequal is it across and within regions, and is it converging?
#
# **Method.** Subsystem scores U₁ (S&T) and U₂ (industrial innovation) by the panel entropy-weight
# method over the indicator system of `analysis/framework/spec.yaml`; coupling degree
# C = 2√(U₁U₂)/(U₁+U₂), comprehensive index T = ½U₁ + ½U₂, coordination degree D = √(C·T)
# (`integration.parquet`, framework layer). Disparity: Dagum (1997) Gini decomposition of D by NBS
# region (G = G_w + G_nb + G_t); distribution: Epanechnikov kernel densities with Stata's default
# bandwidth; convergence: σ (coefficient of variation) and β (absolute; conditional with province
# and year fixed effects).

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
out = paper.PaperOutput(Path(out_dir) if out_dir else paths.reports_dir() / "paper")
r = paper.nb02_measurement(data_dir, lang)

# %% [markdown]
# ## Indices over time (means over the 31 provinces)

# %%
out.table(r["trend"], "nb02_trend", "Subsystem indices and coupling coordination, means over provinces")

# %%
out.figure(r["fig_trend"], "nb02_trend")

# %% [markdown]
# ## Regions and space

# %%
out.figure(r["fig_regions"], "nb02_D_by_region")

# %%
if r["fig_map"] is not None:
    out.figure(r["fig_map"], "nb02_D_map")

# %% [markdown]
# ## Distribution: kernel densities of D

# %%
out.figure(r["fig_kdensity"], "nb02_D_kdensity")

# %% [markdown]
# ## Disparity: Dagum Gini decomposition of D by region

# %%
out.table(r["dagum"], "nb02_dagum", "Dagum Gini decomposition of D by NBS region")

# %% [markdown]
# ## Convergence

# %%
out.table(r["sigma"], "nb02_sigma", "Sigma convergence of D")

# %%
out.table(r["convergence"], "nb02_beta", "Beta convergence of D")

# %% [markdown]
# ## Reading

# %%
n, dag, sig = r["numbers"], r["dagum"], r["sigma"]
b, bf = n["beta_abs"], n["beta_fe"]
display(Markdown(
    f"Mean D rises from {n['D_mean_first']:.3f} in {n['years'][0]} to {n['D_mean_last']:.3f} in {n['years'][-1]}. "
    f"The Gini of D is {dag['total'].iloc[0]:.3f} in {int(dag['year'].iloc[0])} and {dag['total'].iloc[-1]:.3f} in "
    f"{int(dag['year'].iloc[-1])}; between-region differences account for {dag['share_between'].iloc[-1] * 100:.0f}% of it "
    f"(within {dag['share_within'].iloc[-1] * 100:.0f}%, transvariation {dag['share_transvariation'].iloc[-1] * 100:.0f}%). "
    f"The coefficient of variation moves from {sig['cv'].iloc[0]:.3f} to {sig['cv'].iloc[-1]:.3f}. "
    f"Absolute β = {b['beta']:.4f} (p = {b.get('pvalue', float('nan')):.3f}): "
    + ("a negative β, i.e. provinces with low D catch up. " if b["beta"] < 0 else
       "a non-negative β, i.e. no absolute catching-up (if anything, divergence). ")
    + f"With two-way fixed effects β = {bf['beta']:.4f} (p = {bf.get('pvalue', float('nan')):.3f})"
    + (", i.e. conditional convergence of each province towards its own steady state "
       f"(half-life {bf['half_life']:.1f} years)." if bf["beta"] < 0 else ": no conditional convergence.")
))
