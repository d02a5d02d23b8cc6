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
# # 5. Spatial analysis
#
# **Question.** Is integration spatially clustered, and do R&D and its correlates spill over to
# neighbouring provinces?
#
# **Method.** Queen-contiguity weights from the province boundaries, Hainan linked to Guangdong,
# row-standardised (`analysis.measures.contiguity_weights`). Global Moran's I of D by year and local
# Moran (LISA) clusters, permutation inference (999 permutations, fixed seed). Spatial panels of TS
# with province and year fixed effects (ML, Lee–Yu) under three weight matrices — queen contiguity,
# inverse distance between centroids and economic distance (mean real GDP per capita) — with the
# model chosen per matrix by LM / robust LM tests on the non-spatial model and Wald / LR tests of
# the spatial Durbin model's restrictions (Elhorst 2014; `analysis.models.spatial_model_selection`):
# no spatial model, SAR, SEM or SDM. LeSage–Pace direct / indirect / total effects are interpreted
# only where the tests support spatial dependence (Stata: `xsmle …, model(sdm) fe type(both)
# effects` and `lrtest`). Estimated once by `python -m analysis models`.

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
# ## Spatial panels under three weight matrices: tests and effects (Tables 5.2–5.3)

# %%
out.table(r["lm"], "nb05_lm", "LM tests by weight matrix")

# %%
out.table(r["effects"], "nb05_sdm_effects", "Direct, indirect and total effects (queen contiguity)")

# %% [markdown]
# ## Reading

# %%
n, eff = r["numbers"], r["effects"]
sp = paper.results_json(data_dir).get("spatial", {})
verdicts = sp.get("verdicts", {})
from analysis.data.provinces import PROVINCES

names = PROVINCES.set_index("province_code")["name_en"]
hh = [names[int(k)] for k, v in sorted(n.get("lisa_significant", {}).items()) if v == "HH"]
ll = [names[int(k)] for k, v in sorted(n.get("lisa_significant", {}).items()) if v == "LL"]
wtxt = []
for w, v in verdicts.items():
    label = sp.get("weights", {}).get(w, w)
    if v["model"] == "none":
        wtxt.append(f"{label}: no spatial dependence supported (spillovers not interpreted)")
    else:
        wtxt.append(f"{label}: {v['model'].upper()} ({'; '.join(v['reasons'])})")
sup = [w for w, v in verdicts.items() if v.get("interpret_spillovers")]
ind = eff[(eff["effect"] == "indirect") & (eff["p_value"] < 0.1)]
queen_ok = bool(verdicts.get("queen", {}).get("interpret_spillovers"))
spill = (("indirect (spillover) effects significant at 10% under queen contiguity: "
          + (", ".join(ind["variable"]) if len(ind) else "none of the regressors"))
         if queen_ok else "under queen contiguity the spillovers are not interpreted")
display(Markdown(
    ("D is positively spatially autocorrelated" if n["moran_p_last"] < 0.05 and n["moran_last"] > 0 else
     "D shows no significant spatial autocorrelation")
    + f": Moran's I = {n['moran_last']:.3f} in {n['last_year']} (permutation p = {n['moran_p_last']:.3f}). "
    f"High–high clusters at 5%: {', '.join(hh) if hh else 'none'}; low–low: {', '.join(ll) if ll else 'none'}. "
    "Spatial panels of TS, model chosen by the tests: " + "; ".join(wtxt) + ". "
    + (f"Spatial dependence of TS is supported only under {', '.join(sp.get('weights', {}).get(w, w) for w in sup)}, "
       "so the spillover reading rests on "
       "that matrix alone; " if sup and len(sup) < len(verdicts) else "")
    + spill + "."
))
