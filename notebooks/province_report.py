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

# %% [markdown] tags=["remove_cell"]
# # Province report (parameterised)
#
# One report per province and language, rendered by `python -m analysis reports`
# (`analysis.reporting.batch`). Each section is built by `analysis.reporting.sections.build`:
# its numbers from the processed tables (`analysis.reporting.context`, nothing is estimated
# here), its chart (`figures`), its words (Jinja2 templates, zh and en side by side). `show`
# displays it as one HTML block and records its numbers with scrapbook (one scrap per section),
# so tests can compare the report with the processed data. Code is left out of the HTML.
#
# Parameters: `province_code` (GB/T 2260 code; the CLI converts any spelling first, since
# papermill injects non-ASCII values as escapes), `lang` (`zh`/`en`), `year_start`, `year_end`,
# `data_dir` (`None` = `data/processed`).

# %% tags=["parameters"]
province_code = 110000
lang = "zh"
year_start = 2010
year_end = 2023
data_dir = None

# %%
# %matplotlib inline
from analysis.reporting import sections as rs
from analysis.reporting.fonts import setup_style

setup_style(dpi=100)
inp = rs.load_inputs(data_dir)
args = (inp, int(province_code), lang, int(year_start), int(year_end))
rs.show(rs.header(*args))

# %% [markdown] tags=["remove_cell"]
# ## The province at a glance: key indicators, rank among 31 and within the region

# %%
rs.show(rs.build("glance", *args))

# %% [markdown] tags=["remove_cell"]
# ## S&T and industrial innovation indices vs national median and regional peers

# %%
rs.show(rs.build("indices", *args))

# %% [markdown] tags=["remove_cell"]
# ## Coupling coordination trajectory and class

# %%
rs.show(rs.build("coupling", *args))

# %% [markdown] tags=["remove_cell"]
# ## Integration models (four pillars) and their changes

# %%
rs.show(rs.build("models", *args))

# %% [markdown] tags=["remove_cell"]
# ## Pathway diagnostics: the five pathways relative to the other provinces

# %%
rs.show(rs.build("pathways", *args))

# %% [markdown] tags=["remove_cell"]
# ## Industrial-chain profile from the province's input-output tables

# %%
rs.show(rs.build("chain", *args))

# %% [markdown] tags=["remove_cell"]
# ## Threshold regime and the estimated effect there

# %%
rs.show(rs.build("threshold", *args))

# %% [markdown] tags=["remove_cell"]
# ## Spatial neighbours and spillovers

# %%
rs.show(rs.build("spatial", *args))

# %% [markdown] tags=["remove_cell"]
# ## Map

# %%
rs.show(rs.build("map", *args))
