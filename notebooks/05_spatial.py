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
# # 5. Spatial analysis
#
# **Question.** Is integration spatially clustered, and do R&D and its correlates spill over to
# neighbouring provinces?
#
# **Method.** Queen-contiguity weights from the province boundaries, Hainan linked to Guangdong,
# row-standardised (`analysis.measures.contiguity_weights`). Global Moran's I of D by year and local
# Moran (LISA) clusters, permutation inference (999 permutations, fixed seed). Spatial Durbin model
# with province and year fixed effects (ML), LM tests, and LeSage–Pace direct / indirect / total
# effects (Stata: `xsmle …, model(sdm) fe type(both) effects`), estimated once by
# `python -m analysis models`.

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
r = paper.nb05_spatial(data_dir, lang)

# %% [markdown]
# ## Global Moran's I of D (Table 5.1, Figure 5.1)

# %%
out.table(r["moran"], "nb05_moran", "Global Moran's I of D by year")

# %%
out.figure(r["fig_moran"], "nb05_moran")

# %% [markdown]
# ## Local clusters (Figure 5.2; HH/LL/HL/LH significant at 5%)

# %%
if r["fig_lisa"] is not None:
    out.figure(r["fig_lisa"], "nb05_lisa")

# %% [markdown]
# ## Spatial Durbin model: LM tests and effects (Tables 5.2–5.3)

# %%
out.table(r["lm"], "nb05_lm", "LM tests")

# %%
out.table(r["effects"], "nb05_sdm_effects", "SDM direct, indirect and total effects")

# %% [markdown]
# ## Reading

# %%
n, eff = r["numbers"], r["effects"]
ind = eff[(eff["effect"] == "indirect") & (eff["p_value"] < 0.1)]
spill = ", ".join(ind["variable"]) if len(ind) else "none of the regressors"
from analysis.data.provinces import PROVINCES

names = PROVINCES.set_index("province_code")["name_en"]
hh = [names[int(k)] for k, v in sorted(n.get("lisa_significant", {}).items()) if v == "HH"]
ll = [names[int(k)] for k, v in sorted(n.get("lisa_significant", {}).items()) if v == "LL"]
display(Markdown(
    ("D is positively spatially autocorrelated" if n["moran_p_last"] < 0.05 and n["moran_last"] > 0 else
     "D shows no significant spatial autocorrelation")
    + f": Moran's I = {n['moran_last']:.3f} in {n['last_year']} (permutation p = {n['moran_p_last']:.3f}). "
    f"High–high clusters at 5%: {', '.join(hh) if hh else 'none'}; low–low: {', '.join(ll) if ll else 'none'}. "
    f"In the spatial Durbin model, indirect (spillover) effects significant at 10%: {spill}."
))
