"""Measures: composite indices, coupling coordination, industrial structure, IO linkages,
regional disparity, spatial weights.

Every function takes plain DataFrames/arrays and knows nothing of files (see
``analysis/__init__.py`` for the layer map). Modules:

``entropy``     entropy weight method (panel and per-year), entropy-weighted TOPSIS
``coupling``    coupling degree C, comprehensive index T, coordination degree D, classes
``structure``   industrial-structure upgrading: TS, Theil TL, level coefficient H, high-tech share
``disparity``   Gini and Dagum decomposition, σ/β-convergence, kernel densities
``spatial``     spatial weights for provinces, Moran's I (imports libpysal/esda lazily)
``weights``     CRITIC and principal-component (PCA) indicator weights
``obstacle``    obstacle degree model (障碍度模型)
``markov``      classic and spatial Markov chains of classes (giddy; imported lazily)
``io``          input-output linkages (Leontief, Ghosh, chain-linkage indicator)
``summary``     ``python -m analysis measures``: the command-line adapter, the one module of
                this layer that reads files (not imported here)

Every public name of the other modules is re-exported here (``__all__``).

Degenerate input: every public function checks its input at entry with the shared validators
of :mod:`analysis._validate` (panel keys, constant-up-to-rounding indicators, productivity of
IO coefficient matrices, islands in spatial weights, one column given as ``(n,)``, ``(n, 1)``,
list or Series) and raises ``ValueError``/``TypeError`` naming the column, row or sector, or
returns a NaN only where its docstring says so and a note, flag or NaN-named column tells why;
``tests/test_measures_properties.py`` checks this on random degenerate inputs.
"""

from analysis.measures.coupling import (
    COORDINATION_CLASSES,
    classify_coordination,
    coupling_coordination,
    coupling_degree,
    relative_development_type,
)
from analysis.measures.disparity import (
    BetaConvergenceResult,
    DagumResult,
    KernelDensity,
    beta_convergence,
    dagum_gini,
    dagum_gini_by,
    gini,
    kernel_density,
    kernel_density_by,
    sigma_convergence,
    stata_kdensity_bandwidth,
    stata_percentile,
)
from analysis.measures.entropy import (
    EntropyResult,
    GroupedEntropyResult,
    TopsisResult,
    entropy_topsis,
    entropy_weight,
    entropy_weight_by_group,
    minmax_normalise,
)
from analysis.measures.io import (
    CHAIN_COLUMNS,
    IOTableLike,
    chain_linkage,
    chain_linkage_panel,
    ghosh_coefficients,
    ghosh_inverse,
    key_sectors,
    leontief_inverse,
    linkage_indices,
    local_coefficients,
    regional_purchase_coefficients,
    sector_chain_profiles,
    sector_chain_table,
    technical_coefficients,
)
from analysis.measures.markov import MarkovResult, spatial_markov, transition_counts
from analysis.measures.obstacle import ObstacleResult, obstacle_degree
from analysis.measures.spatial import (
    ALBERS_CHINA,
    HAINAN_LINK,
    IslandWarning,
    contiguity_weights,
    distance_weights,
    economic_distance_weights,
    great_circle_km,
    local_moran,
    local_moran_by_year,
    moran_by_year,
    province_centroids,
    queen_neighbours,
    weights_frame,
)
from analysis.measures.structure import (
    advanced_structure,
    hightech_share,
    rationalisation_theil,
    structure_height,
    structure_indices,
    structure_level,
)
from analysis.measures.weights import (
    PCAWeightResult,
    WeightResult,
    critic_weight,
    pca_weight,
)

__all__ = [
    # entropy
    "EntropyResult",
    "GroupedEntropyResult",
    "TopsisResult",
    "entropy_topsis",
    "entropy_weight",
    "entropy_weight_by_group",
    "minmax_normalise",
    # obstacle degree, Markov chains
    "ObstacleResult",
    "obstacle_degree",
    "MarkovResult",
    "spatial_markov",
    "transition_counts",
    # weights
    "PCAWeightResult",
    "WeightResult",
    "critic_weight",
    "pca_weight",
    # coupling
    "COORDINATION_CLASSES",
    "classify_coordination",
    "coupling_coordination",
    "coupling_degree",
    "relative_development_type",
    # disparity
    "BetaConvergenceResult",
    "DagumResult",
    "KernelDensity",
    "beta_convergence",
    "dagum_gini",
    "dagum_gini_by",
    "gini",
    "kernel_density",
    "kernel_density_by",
    "sigma_convergence",
    "stata_kdensity_bandwidth",
    "stata_percentile",
    # structure
    "advanced_structure",
    "hightech_share",
    "rationalisation_theil",
    "structure_height",
    "structure_indices",
    "structure_level",
    # input-output
    "CHAIN_COLUMNS",
    "IOTableLike",
    "chain_linkage",
    "chain_linkage_panel",
    "ghosh_coefficients",
    "ghosh_inverse",
    "key_sectors",
    "leontief_inverse",
    "linkage_indices",
    "local_coefficients",
    "regional_purchase_coefficients",
    "sector_chain_profiles",
    "sector_chain_table",
    "technical_coefficients",
    # spatial
    "ALBERS_CHINA",
    "HAINAN_LINK",
    "IslandWarning",
    "contiguity_weights",
    "distance_weights",
    "economic_distance_weights",
    "great_circle_km",
    "local_moran",
    "local_moran_by_year",
    "moran_by_year",
    "province_centroids",
    "queen_neighbours",
    "weights_frame",
]
