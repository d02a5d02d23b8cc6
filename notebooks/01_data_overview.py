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
# # 1. Data overview
#
# **Question.** What do we observe, for which provinces and years, and how do the key S&T and
# industrial indicators compare across the NBS regions?
#
# **Data.** `data/processed/panel.parquet` (31 provinces × years, built from the public raw
# files by `python -m analysis data build`; units and sources in `codebook.csv`). Nothing is
# interpolated: gaps stay gaps (see `gaps.csv`).

# %% tags=["parameters"]
out_dir = None   # default reports/paper
data_dir = None  # default data/processed
lang = "en"

# %%
from pathlib import Path

from IPython.display import Markdown, display

from analysis import paths
from analysis.reporting import paper
from analysis.reporting.fonts import setup_style

setup_style()
out = paper.PaperOutput(Path(out_dir) if out_dir else paths.reports_dir() / "paper", lang=lang)
r = paper.nb01_data_overview(data_dir, lang)

# %% [markdown]
# ## Coverage
# Table 1.1 lists, for each key variable, the years any source covers and the number of
# province-years observed and missing; Figure 1.1 shows the share of the 31 provinces observed
# in each year.

# %%
out.table(r["coverage"], "nb01_coverage", "Coverage of the key variables")

# %%
out.figure(r["fig_coverage"], "nb01_coverage")

# %% [markdown]
# ## Descriptive statistics
# Table 1.2: province-years 2011–2023, in the units of the codebook (money in 亿元, shares in
# [0, 1]).

# %%
out.table(r["descriptives"], "nb01_descriptives", "Descriptive statistics, 2011-2023")

# %% [markdown]
# ## R&D intensity by region
# Figure 1.2: median R&D intensity (R&D expenditure / GDP, %) of the provinces of each NBS region.

# %%
out.figure(r["fig_rd"], "nb01_rd_by_region")

# %% [markdown]
# ## Reading

# %%
n = r["numbers"]
m = n["rd_median_by_region_last"]
display(Markdown(
    f"The panel covers {n['n_provinces']} provinces, {n['years'][0]}–{n['years'][1]}, with most S&T series "
    f"available from 2010. In {n['rd_last_year']} the median R&D intensity is {m['east']:.2f}% in the East, "
    f"{m['central']:.2f}% in the Centre, {m['west']:.2f}% in the West and {m['northeast']:.2f}% in the Northeast: "
    f"the East–West gap is {m['east'] / m['west']:.1f}-fold."
))
