"""Heterogeneity by group (NBS four regions by default): sub-samples and interactions.

Two complementary views, as in most provincial-panel papers:

1. **Sub-samples.** The two-way FE baseline estimated separately in each group
   (:func:`analysis.models.twfe.twfe`), one :class:`ModelResult` per group.
2. **Interactions (Chow-type test).** One pooled two-way FE regression in which each tested
   regressor :math:`x_j` is replaced by group-specific slopes :math:`x_j\\cdot D_{g}`
   (:math:`g = 1..G`, no omitted group, the group main effect being absorbed by the entity
   fixed effect when groups do not change over time):

   .. math::

       y_{it} = \\sum_g \\beta_{jg}\\, x_{jit} D_{gi} + w_{it}'\\gamma + \\mu_i + \\lambda_t + e_{it}

   and a cluster-robust Wald test of :math:`H_0: \\beta_{j1} = \\dots = \\beta_{jG}` for every
   tested :math:`j` jointly (:math:`q = (G-1)\\times` #tested restrictions), reported as
   :math:`F = W/q` with :math:`(q, G_{cl}-1)` degrees of freedom (the reghdfe ``test``
   convention). With ``full=True`` the controls are interacted as well (the classical Chow
   test, with common fixed effects). Unlike a Chow test on separate regressions, the
   interaction test allows the errors of different groups to share time effects and uses
   the clustered covariance (equivalent to Stata ``suest``-free ``reghdfe`` + ``test``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.models.results import ModelResult
from analysis.models.twfe import twfe

NBS_REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")


@dataclass
class HeterogeneityResult:
    """Group-wise estimates and the test of equal coefficients.

    Attributes
    ----------
    subsamples : dict of group -> ModelResult
    interaction : ModelResult
        Pooled model with group-specific slopes named ``"<x>:<group>"``.
    slopes : DataFrame
        Tidy group-specific slopes from the interaction model (``term``, ``group``,
        ``estimate``, ``std_error``, ``p_value``).
    test : dict
        ``stat`` (F), ``df1``, ``df2``, ``p_value``, ``tested`` (regressors), ``groups``.
    notes : list of str
        Groups left out of the sub-sample step, and why.
    """

    subsamples: dict[str, ModelResult]
    interaction: ModelResult
    slopes: pd.DataFrame
    test: dict
    notes: list[str] = field(default_factory=list)

    def regression_table(self, **kwargs):
        """Sub-sample results side by side (see ``tables.regression_table``)."""
        from analysis.models.tables import regression_table

        return regression_table(self.subsamples, **kwargs)


def heterogeneity(
    data: pd.DataFrame,
    y: str,
    x: list[str],
    entity: str,
    time: str,
    *,
    group: str = "region",
    test_terms: list[str] | None = None,
    full: bool = False,
    cluster: str | None = None,
    groups: tuple | list | None = None,
    min_obs: int = 10,
    wild: dict | None = None,
    min_clusters: int = 10,
    **twfe_kwargs,
) -> HeterogeneityResult:
    """Estimate the baseline by group and test that the coefficients are equal across groups.

    Parameters
    ----------
    data : DataFrame
        Long panel with a ``group`` column (e.g. ``region`` from
        ``analysis.data.provinces.PROVINCES``).
    y, x, entity, time, cluster
        As in :func:`analysis.models.twfe.twfe`.
    group : str
        Column with the group of each row (default ``"region"``).
    test_terms : list of str, optional
        Regressors whose equality is tested (default: the first of ``x``, the key regressor).
    full : bool
        Interact the controls as well (classical Chow test).
    groups : sequence, optional
        Group order (default: NBS order east, central, west, northeast when those are the
        values, else sorted).
    min_obs : int
        Groups with fewer usable rows, or whose sub-sample cannot be estimated (e.g. a single
        entity), are skipped in the sub-sample step and listed in ``notes``; they still enter
        the pooled interaction model.
    wild : dict, optional
        Options of :meth:`~analysis.models.results.ModelResult.wild_bootstrap` (``reps``,
        ``seed``, …). When given, the tested terms of every sub-sample and the group slopes of
        the interaction model get a wild cluster bootstrap p-value and interval
        (``slopes`` columns ``wild_p_value``, ``wild_ci_lower``, ``wild_ci_upper``). A
        sub-sample with fewer than ``min_clusters`` clusters gets wild-bootstrap inference only,
        with Webb weights, for every regressor (``wild_only=True``: tables show the bootstrap
        p-value instead of the CR1 standard error), as MacKinnon & Webb (2018, "The wild
        bootstrap for few (treated) clusters", Econometrics Journal 21(2)) and Webb (2023)
        recommend.
    min_clusters : int
        See ``wild`` (default 10).

    Returns
    -------
    HeterogeneityResult

    Raises
    ------
    KeyError
        Missing columns.
    ValueError
        Fewer than two groups, or a group that varies within an entity in the interaction model
        (then the group main effect is not absorbed; pass a time-invariant grouping).
    """
    if isinstance(x, str):
        x = [x]
    for c in [group, *x, y, entity, time]:
        if c not in data.columns:
            raise KeyError(f"column {c!r} not in data")
    test_terms = list(test_terms or x[:1])
    bad = [t for t in test_terms if t not in x]
    if bad:
        raise ValueError(f"test_terms {bad} are not regressors {x}")
    df = data.dropna(subset=[group])
    present = list(pd.unique(df[group]))
    if groups is None:
        groups = ([g for g in NBS_REGIONS if g in present] if set(present) <= set(NBS_REGIONS)
                  else sorted(present, key=str))
    groups = [g for g in groups if g in present]
    if len(groups) < 2:
        raise ValueError(f"need at least two groups in {group!r}, found {present}")
    if (df.groupby(entity)[group].nunique() > 1).any():
        raise ValueError(f"{group!r} varies within {entity}: the interaction test assumes a "
                         "time-invariant grouping")

    subs: dict[str, ModelResult] = {}
    notes: list[str] = []
    for g in groups:
        part = df[df[group] == g]
        n_ok = part[[y, *x]].dropna().shape[0]
        if n_ok < min_obs:
            notes.append(f"group {g!r}: only {n_ok} complete rows (< min_obs = {min_obs}); "
                         "no sub-sample estimate")
            continue
        try:
            subs[str(g)] = twfe(part, y, x, entity, time, cluster=cluster, **twfe_kwargs)
        except ValueError as exc:  # e.g. one entity only: every row a singleton
            notes.append(f"group {g!r}: sub-sample not estimable ({exc})")
            continue
        r = subs[str(g)]
        if wild is not None and r.design is not None:
            if r.n_clusters is not None and r.n_clusters < min_clusters:
                r.wild_only = True
                opts = {**wild, "weights": "webb"}
                for t in r.params.index:
                    r.wild_bootstrap(t, **opts)
                notes.append(f"group {g!r}: {r.n_clusters} clusters (< {min_clusters}): "
                             "wild cluster bootstrap inference only, Webb weights")
            else:
                for t in test_terms:
                    r.wild_bootstrap(t, **wild)

    inter_terms = x if full else test_terms
    work = df.copy()
    names: list[str] = []
    for c in x:
        if c in inter_terms:
            for g in groups:
                nm = f"{c}:{g}"
                work[nm] = work[c] * (work[group] == g).astype(float)
                names.append(nm)
        else:
            names.append(c)
    inter = twfe(work, y, names, entity, time, cluster=cluster, **twfe_kwargs)
    inter.model = "twfe-interaction"
    inter.notes.append(f"group-specific slopes of {inter_terms} by {group}")

    # Wald test: beta_{j,g} - beta_{j,first} = 0 for g != first, for each tested j.
    idx = list(inter.params.index)
    rows = []
    for c in test_terms:
        base = idx.index(f"{c}:{groups[0]}")
        for g in groups[1:]:
            r = np.zeros(len(idx))
            r[idx.index(f"{c}:{g}")] = 1.0
            r[base] = -1.0
            rows.append(r)
    w = inter.wald_test(np.vstack(rows))
    w.update({"tested": test_terms, "groups": [str(g) for g in groups], "group": group})

    tid = inter.tidy()
    tid = tid[tid["term"].str.contains(":")].copy()
    if wild is not None and inter.design is not None:
        for t in tid["term"]:
            inter.wild_bootstrap(t, **wild)
        wcols = pd.DataFrame([inter.wild[t].as_dict() for t in tid["term"]], index=tid.index)
        tid = pd.concat([tid, wcols[["wild_p_value", "wild_ci_lower", "wild_ci_upper"]]], axis=1)
    parts = tid["term"].str.split(":", n=1, expand=True)
    tid["group"] = parts[1]
    tid["term"] = parts[0]
    keep = ["term", "group", "estimate", "std_error", "p_value"] + [
        c for c in ("wild_p_value", "wild_ci_lower", "wild_ci_upper") if c in tid.columns]
    slopes = tid[keep].reset_index(drop=True)
    return HeterogeneityResult(subsamples=subs, interaction=inter, slopes=slopes, test=w,
                               notes=notes)
