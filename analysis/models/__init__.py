"""Econometric models (layer 3). See analysis/__init__.py for the layer map.

Public entry points (contract, see docs/CONTRACTS.md and issue 4):

``twfe(data, y, x, entity, time, *, cluster=None)``
    two-way fixed effects, reghdfe-compatible clustered standard errors
    (note: the name ``analysis.models.twfe`` is the *function*; the module is
    ``analysis.models.twfe`` in ``sys.modules`` and is reached with
    ``from analysis.models.twfe import ...``).
``hansen_threshold(data, y, x, rx, q, entity, time, *, n_thresholds=1, grid=400, trim=0.01,
bootstrap=300, seed=None)``
    Hansen (1999) fixed-effect panel threshold regression (module ``threshold``).
``spatial_panel(data, y, x, entity, time, w, *, model="sdm", effects="twoways", ...)``,
``spatial_lm_tests(...)``, ``sdm_specification_tests(...)``, ``lesage_pace_effects(...)``
    SAR / SEM / SDM panels with fixed effects by ML (Lee-Yu), LM tests, LeSage-Pace effects
    (module ``spatial``).
``dynamic_gmm(...)``
    difference and system GMM via pydynpd (module ``gmm``).
``mediation(...)``, ``moderation(...)``
    stepwise mediation with Sobel test and cluster bootstrap, Jiang (2022) X->M; centred
    moderation with marginal effects (module ``mechanisms``).
``robustness(...)``, ``heterogeneity(...)``
    one-call robustness table; heterogeneity by region (modules of the same names).
``regression_table(results, ...)``
    esttab/etable-style tables in LaTeX, HTML and Markdown, zh/en labels (module ``tables``).
``ModelResult.wild_bootstrap(param, ...)``, ``wild_cluster_bootstrap(...)``,
``permutation_test(...)``
    wild cluster bootstrap (the ``wildboottest`` package; Stata ``boottest``) and randomisation
    inference (module ``inference``).
``spatial_model_selection(...)``
    LM / robust LM and Wald / LR tests choosing among no spatial model, SAR, SEM and SDM for one
    weight matrix (module ``spatial``).
``specification_curve(data, x=..., outcomes=..., controls=..., windows=..., ...)``
    Simonsohn, Simmons & Nelson (2020) specification curve, with its figure (module
    ``speccurve``).
"""

from analysis.models.gmm import dynamic_gmm
from analysis.models.heterogeneity import heterogeneity
from analysis.models.inference import permutation_test, wild_cluster_bootstrap
from analysis.models.mechanisms import mediation, moderation
from analysis.models.results import ModelResult
from analysis.models.robustness import robustness
from analysis.models.spatial import (
    SpatialResult,
    SpatialSelection,
    lesage_pace_effects,
    sdm_specification_tests,
    spatial_lm_tests,
    spatial_model_selection,
    spatial_panel,
)
from analysis.models.speccurve import specification_curve, specification_curve_figure
from analysis.models.tables import regression_table
from analysis.models.threshold import ThresholdResult, hansen_threshold
from analysis.models.twfe import twfe

__all__ = [
    "ModelResult",
    "SpatialResult",
    "SpatialSelection",
    "ThresholdResult",
    "dynamic_gmm",
    "hansen_threshold",
    "heterogeneity",
    "mediation",
    "moderation",
    "regression_table",
    "robustness",
    "lesage_pace_effects",
    "sdm_specification_tests",
    "spatial_lm_tests",
    "spatial_model_selection",
    "spatial_panel",
    "specification_curve",
    "specification_curve_figure",
    "permutation_test",
    "twfe",
    "wild_cluster_bootstrap",
]
