"""Dynamics of the framework's classes: spatial Markov chains of coordination classes and
transitions between primary models (wrapping :mod:`analysis.measures.markov`, i.e. PySAL giddy).

* Coordination classes: the ten classes of D (:data:`analysis.measures.COORDINATION_CLASSES`,
  intervals ``[a, b)``), restricted to the classes that occur. Classic transition matrix, the
  matrices conditioned on the class of the neighbours' average D (queen contiguity, Hainan linked
  to Guangdong, row-standardised; Rey 2001), and Bickenbach & Bode's (2003) Q and LR tests of the
  null that transitions do not depend on the neighbours' class.
* Primary models: counts and shares of year-to-year transitions between ``chain``, ``platform``,
  ``demand``, ``future`` and ``multi`` (classic chain only: a categorical spatial lag needs a
  tie-breaking rule that giddy resolves at random).

With 31 provinces and 7 transitions each, many cells are sparse: read the tests with that in mind
(Bickenbach & Bode correct the degrees of freedom for empty cells, not for small counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["DynamicsResult", "coordination_dynamics", "plot_transitions"]

KEYS = ["province_code", "year"]


@dataclass
class DynamicsResult:
    """Transitions of coordination classes and of primary models.

    Attributes
    ----------
    transitions : pandas.DataFrame
        ``variable`` (``D_class`` or ``model``), ``matrix`` (``classic`` or ``lag <class>``),
        ``lag_class`` (``all`` for the classic matrix), ``from_class``, ``to_class``, ``count``, ``n_from``, ``probability``:
        only rows with transitions out of ``from_class``.
    tests : pandas.DataFrame
        ``test, statistic, df, p_value`` (Q, LR and per-lag-class χ² of the D classes).
    notes : list of str
    """

    transitions: pd.DataFrame
    tests: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def coordination_dynamics(table: pd.DataFrame, w, *, lang: str = "en") -> DynamicsResult:
    """Spatial Markov chain of D classes and transition counts of the primary model.

    Parameters
    ----------
    table : pandas.DataFrame
        ``province_code``, ``year``, ``D`` and ``model`` (integration.parquet), balanced over
        consecutive years.
    w : libpysal.weights.W
        Weights over the same provinces (e.g. :func:`analysis.measures.contiguity_weights`).
    lang : {"en", "zh"}
        Language of the class labels.

    Returns
    -------
    DynamicsResult

    Raises
    ------
    ValueError
        As :func:`analysis.measures.spatial_markov` (a province without neighbours, an
        unbalanced panel, …).
    """
    from analysis.framework.integration import MODELS
    from analysis.measures import COORDINATION_CLASSES, spatial_markov, transition_counts

    cc = COORDINATION_CLASSES
    bounds = [*cc["lower"].tolist(), float(cc["upper"].iloc[-1])]
    labels = [f"{lv} {lab}" for lv, lab in zip(cc["level"], cc[f"label_{lang}"], strict=True)]
    t = table.set_index(KEYS).sort_index()
    sm = spatial_markov(t["D"], w, bounds, labels)
    trans = sm.transitions.assign(variable="D_class")
    mt = transition_counts(t["model"], states=list(MODELS))
    mt = mt.rename(columns={"from_state": "from_class", "to_state": "to_class"}).assign(
        variable="model", matrix="classic", lag_class="all")
    notes = list(sm.notes)
    if mt.attrs.get("never_visited"):
        notes.append(f"primary models never taken: {mt.attrs['never_visited']}")
    cols = ["variable", "matrix", "lag_class", "from_class", "to_class", "count", "n_from", "probability"]
    out = pd.concat([trans[cols], mt[cols]], ignore_index=True)
    return DynamicsResult(transitions=out, tests=sm.tests, notes=notes)


def plot_transitions(result: DynamicsResult):
    """Heat maps of the classic and the neighbour-conditioned transition probabilities of the D
    classes (one panel each), and the model transition counts. Returns a matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    tr = result.transitions
    d = tr[tr["variable"] == "D_class"]
    mats = list(dict.fromkeys(d["matrix"]))
    classes = list(dict.fromkeys(d["from_class"].tolist() + d["to_class"].tolist()))
    order = sorted(classes, key=lambda s: int(str(s).split()[0]))
    short = [s.split()[0] for s in order]
    models = tr[tr["variable"] == "model"]
    n = len(mats) + 1
    ncol = min(n, 4)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 3.1 * nrow), squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    for ax, mname in zip(axes.ravel(), mats, strict=False):
        ax.set_visible(True)
        g = d[d["matrix"] == mname].pivot(index="from_class", columns="to_class", values="probability")
        g = g.reindex(index=order, columns=order)
        ax.grid(False)
        ax.imshow(g.to_numpy(dtype=float), vmin=0, vmax=1, cmap="Blues")
        for (i, j), v in np.ndenumerate(g.to_numpy(dtype=float)):
            if np.isfinite(v) and v > 0:
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if v > 0.6 else "black")
        n_tr = int(d.loc[d["matrix"] == mname].drop_duplicates("from_class")["n_from"].sum())
        title = "all provinces" if mname == "classic" else f"neighbours in class {mname.split()[1]}"
        ax.set_title(f"{title} (n = {n_tr})", fontsize=8)
        ax.set_xticks(range(len(order)), short, fontsize=7)
        ax.set_yticks(range(len(order)), short, fontsize=7)
        ax.set_xlabel("class in t+1", fontsize=7)
        ax.set_ylabel("class in t", fontsize=7)
    ax = axes.ravel()[len(mats)]
    ax.set_visible(True)
    states = list(dict.fromkeys(models["from_class"].tolist() + models["to_class"].tolist()))
    g = models.pivot(index="from_class", columns="to_class", values="count").reindex(
        index=states, columns=states).fillna(0)
    ax.grid(False)
    ax.imshow(g.to_numpy(dtype=float), cmap="Oranges")
    for (i, j), v in np.ndenumerate(g.to_numpy(dtype=float)):
        if v > 0:
            ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(states)), states, fontsize=6, rotation=45)
    ax.set_yticks(range(len(states)), states, fontsize=6)
    ax.set_title("primary model: transition counts", fontsize=8)
    fig.suptitle("Coordination classes of D: classic and spatial Markov transition probabilities",
                 fontsize=9)
    fig.tight_layout()
    return fig
