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
# (`analysis.reporting.batch`). Every number comes from `analysis.reporting.province`, which reads
# the processed tables (`data/processed/`); nothing is estimated here. Each section is displayed
# and its numbers are recorded with scrapbook (`sb.glue`), so tests can compare the report with
# the processed data. This cell (tagged `remove_cell`) and all code are left out of the HTML.
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
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": None}
from analysis.reporting import province as pr
from analysis.reporting.fonts import setup_style

setup_style(dpi=100)
code = int(province_code)
inp = pr.load_inputs(data_dir)
args = (inp, code, lang, int(year_start), int(year_end))
pr.show(pr.header(*args), level=1)

# %% [markdown] tags=["remove_cell"]
# ## The province at a glance: key indicators, rank among 31 and within the region

# %%
pr.show(pr.safe_section(pr.section_glance, *args))

# %% [markdown] tags=["remove_cell"]
# ## S&T and industrial innovation indices vs national median and regional peers

# %%
pr.show(pr.safe_section(pr.section_indices, *args))

# %% [markdown] tags=["remove_cell"]
# ## Coupling coordination trajectory and class

# %%
pr.show(pr.safe_section(pr.section_coupling, *args))

# %% [markdown] tags=["remove_cell"]
# ## Integration models (four pillars) and their changes

# %%
pr.show(pr.safe_section(pr.section_models, *args))

# %% [markdown] tags=["remove_cell"]
# ## Pathway diagnostics, the two weakest pathways

# %%
pr.show(pr.safe_section(pr.section_pathways, *args))

# %% [markdown] tags=["remove_cell"]
# ## Industrial-chain profile from the province's input-output tables

# %%
pr.show(pr.safe_section(pr.section_chain, *args))

# %% [markdown] tags=["remove_cell"]
# ## Threshold regime and the estimated effect there

# %%
pr.show(pr.safe_section(pr.section_threshold, *args))

# %% [markdown] tags=["remove_cell"]
# ## Spatial neighbours and spillovers

# %%
pr.show(pr.safe_section(pr.section_spatial, *args))

# %% [markdown] tags=["remove_cell"]
# ## Map

# %%
pr.show(pr.safe_section(pr.section_map, *args))
