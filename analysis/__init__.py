"""Integration of S&T innovation and industrial innovation in China's provinces.

Layers (each imports only layers listed before it):

``analysis.data``       registry, fetch, parsers, province normaliser, processed panel
``analysis.measures``   entropy weights, coupling coordination, structure, IO linkages, disparity, spatial
``analysis.models``     two-way FE, mechanisms, Hansen thresholds, spatial panels, GMM, tables
``analysis.framework``  indicator system, four integration models, five pathways
``analysis.reporting``  notebooks, per-province reports, index page
"""

__version__ = "0.1.0"
