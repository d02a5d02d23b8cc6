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
# # 2. Measuring integration: subsystem indices, coupling coordination and the integration typology
#
# **Question.** How integrated are S&T innovation and industrial innovation in China's provinces,
# how has integration evolved, how unequal is it across and within regions, is it converging —
# and which of the four integration models of Qi & Luo (2026) characterises each province, how sure
# can we be of it, what holds each province back, and how do provinces move between classes?
#
# **Method.** Subsystem scores U₁ (S&T) and U₂ (industrial innovation) by the panel entropy-weight
# method over the indicator system of `analysis/framework/spec.yaml`; coupling degree
# C = 2√(U₁U₂)/(U₁+U₂), comprehensive index T = ½U₁ + ½U₂, coordination degree D = √(C·T)
# (`integration.parquet`, framework layer). Disparity: Dagum (1997) Gini decomposition of D by NBS
# region (G = G_w + G_nb + G_t); distribution: Epanechnikov kernel densities with Stata's default
# bandwidth; convergence: σ (coefficient of variation) and β (absolute; conditional with province
# and year fixed effects). Typology: a global uncertainty analysis (OECD/JRC Handbook 2008;
# Saisana, Saltelli & Tarantola 2005) over weighting, normalisation, one indicator left out and
# the reference window; obstacle degree (障碍度模型); spatial Markov chains of the coordination
# classes (Rey 2001; Bickenbach & Bode 2003); rank correlation with a published ranking.

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
       f"(half-life {bf['half_life']:.1f} years). With only {len(n['years'])} years the within estimator "
       "of β is biased towards fast convergence (Nickell 1981, *Econometrica* 49(6)), so read that "
       "half-life as a lower bound, not an estimate." if bf["beta"] < 0 else ": no conditional convergence.")
))

# %% [markdown]
# ## The integration typology, with its uncertainty
#
# The four pillar scores are recomputed under 1024 specifications (entropy, CRITIC, equal or PCA
# weights; min-max, z-score or rank normalisation; one indicator left out or none; pooled,
# single-year or rolling three-year reference window), each drawn with equal probability from a
# seeded Sobol' sequence. In each specification a pillar *leads* when its rank among the provinces
# of the year is the province's best (rank-based standard scores, so that Beijing's extreme values
# cannot move other provinces). The **primary model** is the pillar that leads most often over a
# trailing three-year window; it is *multi* when no pillar leads in two thirds of the
# specifications. These rules were fixed before the results were seen.

# %%
import pandas as pd

from analysis.framework import figures as ff

it_full = pd.read_parquet((Path(data_dir) if data_dir else paths.processed_dir()) / "integration.parquet")
last_year = int(it_full["year"].max())
typ = ff.typology_overview(it_full, last_year, lang)
out.table(typ, "nb02_typology", f"Primary integration model and its uncertainty, {last_year}")

# %%
out.figure(ff.rank_interval_figure(it_full, last_year, lang), "nb02_rank_intervals")

# %% [markdown]
# ## Level and linkage
#
# D grows with how much of both subsystems a province has. The **linkage index** measures flows
# between the science system and industry instead — enterprises' R&D paid to universities and
# research institutes, their purchases of domestic technology, technology bought on the
# technology market, new-product sales per unit of R&D — none of which enters U₁, U₂ or D.

# %%
if "linkage" in it_full.columns:
    from scipy.stats import spearmanr

    out.figure(ff.rank_interval_figure(it_full, last_year, lang, column="linkage"), "nb02_linkage_intervals")
    lt = it_full[it_full["year"] == last_year]
    display(Markdown(
        f"In {last_year} Spearman's ρ between linkage and the comprehensive index T is "
        f"{spearmanr(lt['linkage'], lt['T']).statistic:.2f} (between linkage and D "
        f"{spearmanr(lt['linkage'], lt['D']).statistic:.2f}): the provinces with the most S&T and industrial "
        "innovation are not those where the two are most linked, so D and linkage answer different questions."))

# %%
u = ff.uncertainty_numbers(it_full, last_year)
display(Markdown(
    f"In {last_year}, {u['share_confident']:.0%} of the {u['n']} provinces have a primary model whose pillar "
    f"leads in at least 80 % of the specifications, and {u['share_multi']:.0%} are *multi* "
    f"({', '.join(f'{k} {v}' for k, v in sorted(u['models'].items()))}). Over the window a province "
    f"changes primary model {u['mean_switches']:.2f} times on average (at most {u['max_switches']}). "
    f"The 90 % interval of a province's D rank spans {u['mean_rank_width']:.1f} places on average: "
    "ranks one or two places apart are not distinguishable. The model is relative — the pillar in "
    "which a province stands out among provinces — and says nothing about its level: read D for that."
))

# %% [markdown]
# ### Why so few provinces have a clear model
#
# Three checks locate the uncertainty (`analysis.framework.sensitivity.typology_diagnosis`). First,
# the analysis is rerun with **one trigger at a time**, the others held at the published
# specification (equal weights within pillars, min-max, pooled window, all indicators): if one
# choice alone already unsettles the leads, the low confidence is not an artefact of stacking
# four sources of uncertainty. Second, in the published specification, **how many rank places
# separate a province's best pillar from its second best**. Third, for the *multi* provinces,
# **how often the two most frequent leaders win** (a two-way contest or four pillars in a draw),
# and how strongly the **pillars correlate** across provinces.

# %%
fw = paths.reports_dir() / "framework"
if (fw / "typology_diagnosis.csv").exists():
    why = pd.read_csv(fw / "typology_diagnosis.csv")
    oat = why[why["n_draws"].notna()][["analysis", "n_draws", "n_options", "share_confident",
                                       "share_multi", "switches_mean"]]
    oat = oat.astype({"n_draws": int, "n_options": int})
    out.table(oat, "nb02_typology_oat",
              f"Typology under one trigger at a time ({last_year}; switches over the window)")
    rest = why[why["n_draws"].isna()][["analysis", "detail", "value"]]
    out.table(rest, "nb02_typology_closeness", "Closeness of the pillars and two-way contests")
    alone = oat[oat["analysis"].str.endswith(" only")]
    gap = rest.set_index("analysis").loc["pillar gap"]
    corr = rest[rest["analysis"] == "pillar correlation"].head(2)
    display(Markdown(
        f"With every trigger varying, {oat['share_confident'].iloc[0]:.0%} of provinces reach a confidence "
        f"of 0.8; with one trigger alone between {alone['share_confident'].min():.0%} and "
        f"{alone['share_confident'].max():.0%} do. A province's best pillar ranks a median "
        f"{gap['value']:.0f} places above its second best among the 31 provinces, and the pillars "
        "correlate across provinces ("
        + ", ".join(f"{r.detail} ρ = {r.value:.2f}" for r in corr.itertuples())
        + "): many provinces are about as strong in two pillars, and any contestable choice that "
        "moves them a few places decides which one leads. This is a finding about the provinces, not a "
        "defect to be tuned away: the decision rules (two-thirds majority, three-year window) and the "
        "design were fixed before the results, and `model_profile` names the two pillars of a *multi* "
        "province."))
else:
    display(Markdown("`typology_diagnosis.csv` is written by `python -m analysis integration`."))

# %%
rob_path = fw / "robustness.csv"
if rob_path.exists():
    rob = pd.read_csv(rob_path, keep_default_na=False)
    allyrs = rob[rob["year"] == 0][["kind", "perturbation", "n", "n_changed", "share_unchanged"]]
    out.table(allyrs, "nb02_typology_robustness",
              "Primary model under other province sets, decision rules and fill assumptions (all years)")
    display(Markdown(
        "Leaving Beijing out (the outlier of most indicators) changes few other provinces' models because "
        "the pillar scores are standardised by ranks; the `fill` row puts the cells NBS never published for a "
        "province (Tibet's software revenue) at the year's median instead of the year's worst value, "
        "the opposite assumption to the default."))

# %% [markdown]
# ## What holds provinces back: obstacle degree
#
# For each indicator, the obstacle degree is its share of the province's distance to the best
# values of the window, in the weighting of T (factor contribution ½·entropy weight × deviation
# 1 − x′). By pathway, the *intensity* divides that share by the pathway's weight, so that
# pathways with many or heavy indicators are not named for every province. It is a **relative
# position, not a return on effort**: it locates the gap to the best provinces; it does not say
# what closing it would cost or achieve.

# %%
out.figure(ff.obstacle_figure(it_full, last_year, lang), "nb02_obstacles")

# %% [markdown]
# ## Dynamics: spatial Markov chain of coordination classes

# %%
from analysis.framework.dynamics import DynamicsResult, plot_transitions

if (fw / "spatial_markov.csv").exists():
    dyn = DynamicsResult(transitions=pd.read_csv(fw / "spatial_markov.csv", keep_default_na=False),
                         tests=pd.read_csv(fw / "spatial_markov_tests.csv"))
    out.table(dyn.tests, "nb02_markov_tests", "Homogeneity of transitions across neighbour classes")
    out.figure(plot_transitions(dyn), "nb02_spatial_markov")
    tq = dyn.tests.set_index("test")
    if "Q" in tq.index:
        n_years = it_full["year"].nunique()
        reject = max(tq.at["Q", "p_value"], tq.at["LR", "p_value"]) < 0.05
        display(Markdown(
            f"Bickenbach & Bode's Q = {tq.at['Q', 'statistic']:.2f} (df {int(tq.at['Q', 'df'])}, "
            f"p = {tq.at['Q', 'p_value']:.3f}) and LR = {tq.at['LR', 'statistic']:.2f} "
            f"(p = {tq.at['LR', 'p_value']:.3f}) test whether a province's move between coordination "
            "classes depends on its neighbours' class. "
            + ("Both reject homogeneity: transitions differ with the neighbours' class. "
               if reject else "Homogeneity is not rejected at 5 %. ")
            + f"With 31 provinces and {n_years} years ({n_years - 1} transitions each) many cells are "
            "sparse and the χ² approximation is rough, so read the conditional matrices as "
            "descriptive rather than as estimates."))
else:
    display(Markdown("The spatial Markov chain needs `python -m analysis integration` with the boundaries built."))

# %% [markdown]
# ## External validity

# %%
if (fw / "external_validity.csv").exists():
    ev = pd.read_csv(fw / "external_validity.csv")
    out.table(ev, "nb02_external_validity",
              "Rank correlation with the 中国区域创新能力评价报告 composite (2019 and 2020 editions)")
    d = ev[ev["measure"] == "D"]
    lk = ev[ev["measure"] == "linkage"]
    display(Markdown(
        "Spearman's ρ between D and the published composite of the 中国区域创新能力评价报告 is "
        + ", ".join(f"{r.spearman:.2f} ({r.edition} edition, {r.data_year} data)" for r in d.itertuples())
        + ". The published index measures innovation capability with 138 indicators; ours measures "
        "the level and coupling of two subsystems, so agreement says the framework ranks provinces "
        "much as an independent index does, not that its typology is right. Weights were not "
        "chosen to raise it."
        + ((" The linkage index agrees little with the published capability ranking (ρ "
            + ", ".join(f"{r.spearman:.2f}" for r in lk.itertuples())
            + "): consistent with an index of flows between science and industry rather than of "
            "capability, though low agreement alone does not show what an index measures.")
           if len(lk) else "")))

