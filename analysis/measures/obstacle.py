"""Obstacle degree model (障碍度模型): which indicators hold a composite score back.

The diagnostic that usually follows an entropy-weighted composite in the Chinese regional
literature (e.g. 鲁春阳, 文枫, 杨庆媛, 苏康传 2011, 基于改进TOPSIS法的城市土地利用绩效评价及障碍
因子诊断——以重庆市为例, 资源科学 33(3): 535–541). For observation i (a province-year) and
indicator j:

* factor contribution (因子贡献度) ``F_j``: the indicator's weight in the composite (for a
  two-level system, the indicator's weight within its criterion times the criterion's weight);
* indicator deviation (指标偏离度) ``I_ij = 1 − x'_ij``, with ``x'_ij ∈ [0, 1]`` the
  direction-aware normalised value (1 = the best value of the reference set, the "ideal");
* obstacle degree (障碍度) ``O_ij = F_j·I_ij / Σ_k F_k·I_ik``: the share of the observation's
  total shortfall from the ideal that lies in indicator j (Σ_j O_ij = 1);
* criterion-level obstacle ``U_ig = Σ_{j∈g} O_ij`` for any group g of indicators.

The denominator ``Σ_k F_k·I_ik`` is the observation's distance to the ideal; when ``Σ F = 1`` and
the composite is ``s_i = Σ_j F_j x'_ij`` it equals ``1 − s_i`` (returned as ``distance``).

What it is, plainly: a decomposition of a *relative position* (the distance to the best observed
value of each indicator, weighted as in the composite). It says where a province is furthest
from the frontier in the composite's own weighting, not where additional effort would raise
the score most, let alone integration: it knows nothing of costs, of returns to effort, or of
causal effects; and because the shares sum to 1, even the frontier province has "obstacles".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ObstacleResult", "obstacle_degree"]


@dataclass
class ObstacleResult:
    """Result of :func:`obstacle_degree`.

    Attributes
    ----------
    indicators : pandas.DataFrame
        n_obs by m obstacle degrees ``O_ij`` in [0, 1]; each row sums to 1 (or is all 0 for an
        observation at the ideal on every indicator).
    groups : pandas.DataFrame
        n_obs by the groups: ``U_ig = Σ_{j∈g} O_ij``.
    distance : pandas.Series
        ``Σ_j F_j·I_ij``, the weighted distance to the ideal (= 1 − composite when Σ F = 1).
    deviation : pandas.DataFrame
        ``I_ij = 1 − x'_ij``.
    """

    indicators: pd.DataFrame
    groups: pd.DataFrame
    distance: pd.Series
    deviation: pd.DataFrame


def obstacle_degree(
    normalised: pd.DataFrame,
    weights: pd.Series | Mapping[str, float],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> ObstacleResult:
    """Obstacle degree of every indicator (and group) for every observation.

    Parameters
    ----------
    normalised : pandas.DataFrame
        n_obs by m direction-aware normalised indicators in [0, 1] (1 = ideal), e.g.
        :func:`analysis.measures.minmax_normalise` or ``EntropyResult.normalised``.
    weights : pandas.Series or mapping
        Factor contribution ``F_j`` of each column (non-negative; need not sum to 1).
    groups : mapping name → column names, optional
        Criterion layer(s) to aggregate (a column may sit in several groups, e.g. a pillar and
        a pathway); groups may leave columns out.

    Returns
    -------
    ObstacleResult

    Raises
    ------
    ValueError
        Missing values; values outside [0, 1] (by more than 1e-9); a weight missing, negative or
        not finite; all weights zero; a group naming an unknown column.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1.0, 0.2], "b": [0.5, 1.0], "c": [0.0, 1.0]})
    >>> r = obstacle_degree(x, {"a": 0.5, "b": 0.3, "c": 0.2})
    >>> r.indicators.round(4).values.tolist()
    [[0.0, 0.4286, 0.5714], [1.0, 0.0, 0.0]]
    """
    if not isinstance(normalised, pd.DataFrame):
        raise TypeError(f"normalised must be a DataFrame, got {type(normalised).__name__}")
    x = normalised.to_numpy(dtype=float)
    if np.isnan(x).any():
        bad = list(normalised.columns[np.isnan(x).any(axis=0)])
        raise ValueError(f"missing normalised values in {bad}")
    if (x < -1e-9).any() or (x > 1 + 1e-9).any():
        bad = list(normalised.columns[((x < -1e-9) | (x > 1 + 1e-9)).any(axis=0)])
        raise ValueError(f"normalised values must lie in [0, 1] (1 = ideal); out of range in {bad}")
    w = pd.Series(weights, dtype=float)
    missing = [c for c in normalised.columns if c not in w.index]
    if missing:
        raise ValueError(f"no weight (factor contribution) for {missing}")
    w = w.reindex(normalised.columns)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"weights must be finite and non-negative, got {w.to_dict()}")
    if w.sum() <= 0:
        raise ValueError("all weights are zero: no factor contributes to the composite")
    dev = 1.0 - np.clip(x, 0.0, 1.0)
    contrib = dev * w.to_numpy()
    dist = contrib.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(dist[:, None] > 0, contrib / np.where(dist > 0, dist, 1.0)[:, None], 0.0)
    ind = pd.DataFrame(share, index=normalised.index, columns=normalised.columns)
    gout = {}
    for g, cols in (groups or {}).items():
        unknown = [c for c in cols if c not in ind.columns]
        if unknown:
            raise ValueError(f"group {g!r} names unknown column(s) {unknown}")
        gout[g] = ind[list(cols)].sum(axis=1)
    return ObstacleResult(indicators=ind, groups=pd.DataFrame(gout, index=ind.index),
                          distance=pd.Series(dist, index=ind.index, name="distance"),
                          deviation=pd.DataFrame(dev, index=ind.index, columns=normalised.columns))
