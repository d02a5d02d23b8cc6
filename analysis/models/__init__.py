"""Econometric models (layer 3). See analysis/__init__.py for the layer map.

Public entry points (contract, see docs/CONTRACTS.md and issue 4):

``twfe(data, y, x, entity, time, *, cluster=None)``
    two-way fixed effects, reghdfe-compatible clustered standard errors
    (note: the name ``analysis.models.twfe`` is the *function*; the module is
    ``analysis.models.twfe`` in ``sys.modules`` and is reached with
    ``from analysis.models.twfe import ...``).
"""

from analysis.models.results import ModelResult
from analysis.models.twfe import twfe

__all__ = ["ModelResult", "twfe"]
