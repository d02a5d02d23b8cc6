"""Classic and spatial Markov chains of a province panel's classes (PySAL ``giddy``).

The dynamics analysis the regional literature attaches to a coupling coordination degree: how
provinces move between coordination classes from one year to the next (classic Markov chain),
and whether those moves depend on the class of their neighbours (spatial Markov chain, Rey 2001,
*Geographical Analysis* 33(1): 23–39: transitions conditioned on the class of the spatial lag,
i.e. of the neighbours' average value). Homogeneity across neighbour classes is tested by
Bickenbach & Bode's (2003, *International Regional Science Review* 26(3): 363–392) Q
(Pearson χ²) and LR (likelihood-ratio) statistics, degrees of freedom corrected for empty cells,
as computed by :class:`giddy.markov.Spatial_Markov`.

This module only prepares the inputs (class boundaries, alignment with the weights, checks) and
turns giddy's arrays into tidy tables; the counting and the tests are giddy's.

Classes are intervals ``[a, b)`` of a continuous value (e.g. the ten coordination classes of D,
:data:`analysis.measures.COORDINATION_CLASSES`). Only the classes that occur are kept (the range
from the lowest to the highest observed class), so that a class no province ever visited does not
produce an empty row of the matrix; a class inside that range with no observation, and
neighbour classes with no transitions out of some class, are reported in ``notes`` and left out
of the tidy table (no NaN probabilities).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["MarkovResult", "spatial_markov", "transition_counts"]


@dataclass
class MarkovResult:
    """Tidy result of :func:`spatial_markov`.

    Attributes
    ----------
    transitions : pandas.DataFrame
        One row per (matrix, from, to) with at least one transition out of ``from``:
        ``matrix`` (``classic`` or ``lag <class>``), ``lag_class`` (``all`` for the classic
        matrix), ``from_class``, ``to_class``, ``count``, ``n_from`` (transitions out of
        ``from_class`` in that matrix), ``probability`` (= count / n_from).
    tests : pandas.DataFrame
        ``test`` (``Q``, ``LR``: Bickenbach & Bode 2003; ``chi2 lag <class>``: each conditional
        matrix against the classic one), ``statistic``, ``df``, ``p_value``.
    classes : list of str
        Class labels in order.
    n_transitions : int
    notes : list of str
    """

    transitions: pd.DataFrame
    tests: pd.DataFrame
    classes: list[str]
    n_transitions: int
    notes: list[str] = field(default_factory=list)


def _wide(values: pd.Series) -> pd.DataFrame:
    if not isinstance(values, pd.Series) or values.index.nlevels != 2:
        raise TypeError("values must be a Series indexed by (unit, year)")
    wide = values.unstack(level=1).sort_index(axis=1)
    if wide.isna().any().any():
        bad = wide.index[wide.isna().any(axis=1)].tolist()
        raise ValueError(f"values must be a balanced panel without missing values; incomplete "
                         f"units: {bad[:10]}")
    years = list(wide.columns)
    if len(years) < 2:
        raise ValueError(f"a Markov chain needs at least two periods, got {years}")
    gaps = [b for a, b in zip(years, years[1:], strict=False) if b != a + 1]
    if gaps:
        raise ValueError(f"periods must be consecutive years; gap before {gaps}")
    return wide


def _aligned_weights(w, ids: Sequence):
    import libpysal

    if not isinstance(w, libpysal.weights.W):
        raise TypeError(f"w must be a libpysal W, got {type(w).__name__}")
    missing = [i for i in ids if i not in w.id2i]
    extra = [i for i in w.id_order if i not in set(ids)]
    if missing or extra:
        raise ValueError(f"weights and values cover different units: not in W {missing[:10]}, "
                         f"only in W {extra[:10]}")
    if w.islands:
        raise ValueError(
            f"unit(s) {sorted(w.islands)} have no neighbour in W: their spatial lag is undefined. "
            "Link them (analysis.measures.contiguity_weights(..., island_links=HAINAN_LINK) links "
            "Hainan to Guangdong) or use distance weights.")
    w = libpysal.weights.W(w.neighbors, w.weights, id_order=list(ids), silence_warnings=True)
    w.transform = "r"
    return w


def spatial_markov(
    values: pd.Series,
    w,
    bounds: Sequence[float],
    labels: Sequence[str] | None = None,
) -> MarkovResult:
    """Classic and spatial Markov chains of a continuous value's classes.

    Parameters
    ----------
    values : pandas.Series
        Index (unit, year), a balanced panel over consecutive years (e.g. D by province-year).
    w : libpysal.weights.W
        Spatial weights over the same units (ids = the first index level); row-standardised
        here. No unit may lack neighbours.
    bounds : sequence of float
        Increasing class boundaries including both ends, e.g. ``[0, 0.1, …, 1.0]``: class c is
        ``[bounds[c], bounds[c+1])`` (the last class closed on the right).
    labels : sequence of str, optional
        One per class (default ``"[a, b)"``).

    Returns
    -------
    MarkovResult

    Raises
    ------
    TypeError, ValueError
        Unbalanced panel or missing values, non-consecutive years, fewer than two periods,
        weights not covering the units, a unit without neighbours, values outside the bounds,
        fewer than two classes observed.
    """
    from giddy.markov import Spatial_Markov

    bounds = np.asarray(bounds, dtype=float)
    if bounds.ndim != 1 or len(bounds) < 3 or (np.diff(bounds) <= 0).any():
        raise ValueError(f"bounds must be increasing with at least two classes, got {bounds.tolist()}")
    n_cls = len(bounds) - 1
    labels = list(labels) if labels is not None else [
        f"[{bounds[c]:g}, {bounds[c + 1]:g})" for c in range(n_cls)]
    if len(labels) != n_cls:
        raise ValueError(f"{len(labels)} labels for {n_cls} classes")
    wide = _wide(values)
    y = wide.to_numpy(dtype=float)
    if (y < bounds[0]).any() or (y > bounds[-1]).any():
        raise ValueError(f"values outside the class bounds [{bounds[0]}, {bounds[-1]}]: "
                         f"min {y.min()}, max {y.max()}")
    cls = np.clip(np.searchsorted(bounds, y, side="right") - 1, 0, n_cls - 1)
    lo, hi = int(cls.min()), int(cls.max())
    notes = []
    never = [labels[c] for c in range(n_cls) if c < lo or c > hi]
    if never:
        notes.append(f"classes never visited, left out: {never}")
    if hi == lo:
        raise ValueError(f"every value is in one class ({labels[lo]}): no transitions to analyse")
    kept = labels[lo:hi + 1]
    inner = [c for c in range(lo, hi + 1) if not (cls == c).any()]
    if inner:
        notes.append(f"classes inside the observed range with no observation: {[labels[c] for c in inner]}")
    # giddy classifies with closed-right bins (x ≤ cutoff): the largest float below each
    # interior bound makes them half-open [a, b) like COORDINATION_CLASSES
    cutoffs = np.nextafter(bounds[lo + 1:hi + 1], -np.inf)
    ww = _aligned_weights(w, list(wide.index))
    sm = Spatial_Markov(y, ww, cutoffs=cutoffs, lag_cutoffs=cutoffs, fill_empty_classes=False)
    k = hi - lo + 1
    rows = []

    def add(matrix: str, lag: str, T: np.ndarray) -> list[str]:
        empty = []
        for i in range(k):
            n_from = T[i].sum()
            if n_from == 0:
                empty.append(kept[i])
                continue
            for j in range(k):
                rows.append((matrix, lag, kept[i], kept[j], int(T[i, j]), int(n_from),
                             float(T[i, j] / n_from)))
        return empty

    add("classic", "all", np.asarray(sm.transitions))
    empty_lag = {}
    for li in range(k):
        e = add(f"lag {kept[li]}", kept[li], np.asarray(sm.T[li]))
        if e:
            empty_lag[kept[li]] = e
    no_lag = [lag for lag, v in empty_lag.items() if len(v) == k]
    sparse = sum(len(v) for lag, v in empty_lag.items() if len(v) < k)
    if no_lag:
        notes.append(f"neighbour classes that never occur (no conditional matrix): {no_lag}")
    if sparse:
        notes.append(f"{sparse} (neighbour class, class) rows of the conditional matrices have no "
                     "transitions and are left out (no probability is defined for them)")
    tests = []
    if sm.dof_hom > 0 and np.isfinite(sm.Q_p_value) and np.isfinite(sm.LR_p_value):
        tests = [("Q", float(sm.Q), int(sm.dof_hom), float(sm.Q_p_value)),
                 ("LR", float(sm.LR), int(sm.dof_hom), float(sm.LR_p_value))]
    else:
        notes.append("homogeneity tests Q and LR undefined (no degrees of freedom): too few "
                     "transitions for the classes and neighbour classes")
    undefined = []
    for li, (stat, p, df) in enumerate(sm.chi2):
        if np.asarray(sm.T[li]).sum() == 0:
            continue
        if df > 0 and np.isfinite(stat) and np.isfinite(p):
            tests.append((f"chi2 lag {kept[li]}", float(stat), int(df), float(p)))
        else:
            undefined.append(kept[li])
    if undefined:
        notes.append(f"χ² test against the classic matrix undefined (no degrees of freedom) for "
                     f"neighbour classes {undefined}")
    trans = pd.DataFrame(rows, columns=["matrix", "lag_class", "from_class", "to_class", "count",
                                        "n_from", "probability"])
    return MarkovResult(transitions=trans,
                        tests=pd.DataFrame(tests, columns=["test", "statistic", "df", "p_value"]),
                        classes=kept, n_transitions=int(np.asarray(sm.transitions).sum()),
                        notes=notes)


def transition_counts(labels: pd.Series, states: Sequence[str] | None = None) -> pd.DataFrame:
    """Counts and shares of transitions between categorical states (classic Markov chain).

    Parameters
    ----------
    labels : pandas.Series
        Index (unit, year), a balanced panel of labels over consecutive years (e.g. the primary
        integration model).
    states : sequence of str, optional
        All states in display order (default: the labels that occur, sorted). States that never
        occur are reported in the result's ``attrs["never_visited"]``, not as rows.

    Returns
    -------
    pandas.DataFrame
        One row per (from, to) with at least one transition out of ``from``: ``from_state``,
        ``to_state``, ``count``, ``n_from``, ``probability``; counted by
        :class:`giddy.markov.Markov`.

    Raises
    ------
    TypeError, ValueError
        As :func:`spatial_markov` for the panel; a label outside ``states``.
    """
    from giddy.markov import Markov

    wide = _wide(labels)
    seen = sorted(pd.unique(wide.to_numpy().ravel()).tolist())
    states = list(states) if states is not None else seen
    unknown = [s for s in seen if s not in states]
    if unknown:
        raise ValueError(f"labels {unknown} are not among the states {states}")
    used = [s for s in states if s in seen]
    code = {s: i for i, s in enumerate(used)}
    ids = np.vectorize(code.get)(wide.to_numpy())
    mk = Markov(ids, classes=np.arange(len(used)), summary=False)
    T = np.asarray(mk.transitions)
    rows = []
    for i, a in enumerate(used):
        n_from = T[i].sum()
        if n_from == 0:
            continue
        for j, b in enumerate(used):
            rows.append((a, b, int(T[i, j]), int(n_from), float(T[i, j] / n_from)))
    out = pd.DataFrame(rows, columns=["from_state", "to_state", "count", "n_from", "probability"])
    out.attrs["never_visited"] = [s for s in states if s not in seen]
    return out
