"""Robustness checks of a two-way fixed-effects baseline, in one call.

Each specification re-estimates :func:`analysis.models.twfe.twfe` with one change:

* ``lags``: every regressor replaced by its value ``L`` periods earlier within the entity
  (matched on the time value ``t - L``, so gaps in the panel give missing values, not the
  previous row) — a guard against simultaneity, as in most provincial-panel papers.
* ``winsorize``: ``y`` and ``x`` winsorised at the given lower/upper quantiles of the pooled
  variable (Stata ``winsor2 y x, cuts(1 99)``, same percentile rule; pooled, not by year).
* ``exclude``: sub-samples without the listed entities, e.g. the four municipalities
  110000/120000/310000/500000 (``MUNICIPALITIES``).
* ``alt_outcomes``: the dependent variable replaced by an alternative measure.
* ``subsets``: any other sub-sample, given as a boolean mask or a function of the data.

Returns a :class:`RobustnessResult` with one :class:`~analysis.models.results.ModelResult`
per specification and a tidy table (one row per specification and regressor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.models.results import ModelResult
from analysis.models.twfe import twfe

#: Beijing, Tianjin, Shanghai, Chongqing (GB/T 2260).
MUNICIPALITIES: tuple[int, ...] = (110000, 120000, 310000, 500000)


@dataclass
class RobustnessResult:
    """Results of several specifications.

    Attributes
    ----------
    results : dict of str -> ModelResult
        In the order estimated; ``"baseline"`` first.
    table : DataFrame
        Columns ``spec``, ``depvar``, ``term``, ``estimate``, ``std_error``, ``p_value``,
        ``wild_p_value``, ``wild_ci_lower``, ``wild_ci_upper`` (NaN unless bootstrapped),
        ``nobs``, ``r2_within``, ``note``.
    failed : dict of str -> str
        Specifications that could not be estimated, with the reason.
    """

    results: dict[str, ModelResult]
    table: pd.DataFrame
    failed: dict[str, str] = field(default_factory=dict)

    def regression_table(self, **kwargs):
        """Side-by-side table of every specification (see ``tables.regression_table``)."""
        from analysis.models.tables import regression_table

        return regression_table(self.results, **kwargs)


def lag_within(data: pd.DataFrame, cols: Sequence[str], entity: str, time: str,
               lag: int = 1) -> pd.DataFrame:
    """Values of ``cols`` at ``time - lag`` for the same entity (NaN where that period is absent).

    Raises
    ------
    ValueError
        ``time`` is not numeric or (entity, time) pairs are duplicated.
    """
    if not pd.api.types.is_numeric_dtype(data[time]):
        raise ValueError(f"time column {time!r} must be numeric to lag by periods")
    if data.duplicated([entity, time]).any():
        raise ValueError(f"duplicate ({entity}, {time}) pairs: cannot lag")
    src = data[[entity, time, *cols]].copy()
    src[time] = src[time] + lag
    out = data[[entity, time]].merge(src, on=[entity, time], how="left")
    out.index = data.index
    return out[list(cols)]


def winsorize_series(s: pd.Series, lower: float, upper: float, *,
                     method: str = "stata") -> pd.Series:
    """Clip ``s`` at its ``lower`` and ``upper`` quantiles (NaN kept, ignored in the quantiles).

    Parameters
    ----------
    s : Series
        Values to winsorise.
    lower, upper : float
        Quantile levels, ``0 <= lower < upper <= 1`` (``0.01, 0.99`` = ``cuts(1 99)``).
    method : {"stata", "linear"}
        Quantile definition. ``"stata"`` (default) is Stata's ``_pctile`` / ``summarize,
        detail`` rule used by ``winsor2``: with ``n`` sorted values and ``P = n p``, the
        quantile is ``x_(P)`` averaged with ``x_(P+1)`` when ``P`` is an integer, else
        ``x_(⌊P⌋+1)`` (Hyndman & Fan 1996 type 2; numpy ``"averaged_inverted_cdf"``).
        ``"linear"`` is pandas' / R's default interpolation (type 7).

    Raises
    ------
    ValueError
        Bad quantile levels or method.
    """
    if not 0 <= lower < upper <= 1:
        raise ValueError(f"winsorising quantiles must satisfy 0 <= lower < upper <= 1, got "
                         f"({lower}, {upper})")
    qmethod = {"stata": "averaged_inverted_cdf", "linear": "linear"}.get(method)
    if qmethod is None:
        raise ValueError(f"method must be 'stata' or 'linear', got {method!r}")
    v = s.to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return s
    lo, hi = np.quantile(v, [lower, upper], method=qmethod)
    return s.clip(lo, hi)


WILD_COLUMNS = ["wild_p_value", "wild_ci_lower", "wild_ci_upper"]


def _tidy_row(spec: str, r: ModelResult, note: str = "") -> pd.DataFrame:
    t = r.tidy()
    t.insert(0, "depvar", r.depvar)
    t.insert(0, "spec", spec)
    t["nobs"] = r.nobs
    t["r2_within"] = r.r2_within
    t["note"] = note
    for c in WILD_COLUMNS:
        if c not in t.columns:
            t[c] = np.nan
    return t[["spec", "depvar", "term", "estimate", "std_error", "p_value", *WILD_COLUMNS,
              "nobs", "r2_within", "note"]]


def robustness(
    data: pd.DataFrame,
    y: str,
    x: list[str],
    entity: str,
    time: str,
    *,
    lags: int | Iterable[int] | None = 1,
    winsorize: tuple[float, float] | Iterable[tuple[float, float]] | None = (0.01, 0.99),
    exclude: Mapping[str, Iterable] | Iterable | None = None,
    alt_outcomes: Iterable[str] | None = None,
    subsets: Mapping[str, pd.Series | Callable[[pd.DataFrame], pd.Series]] | None = None,
    add_regressors: Mapping[str, Sequence[str] | tuple[Sequence[str], str]] | None = None,
    cluster: str | None = None,
    wild: dict | None = None,
    **twfe_kwargs,
) -> RobustnessResult:
    """Re-estimate a two-way FE baseline under several changes and collect the results.

    Parameters
    ----------
    data : DataFrame
        Long panel.
    y, x, entity, time, cluster
        As in :func:`analysis.models.twfe.twfe`.
    lags : int or iterable of int, optional
        Lag orders for the "all regressors lagged" specifications (default 1; None for none).
    winsorize : (lower, upper) or iterable of them, optional
        Quantiles for winsorising ``y`` and ``x`` (default 1 % / 99 %).
    exclude : mapping name -> entities, or iterable of entities, optional
        Sub-samples dropping these entities; an iterable gets the name
        ``"excl. <values>"``; :data:`MUNICIPALITIES` are the four municipalities.
    alt_outcomes : iterable of str, optional
        Alternative dependent variables.
    subsets : mapping name -> boolean mask or callable(data) -> mask, optional
        Other sub-samples (rows where the mask is True are kept).
    add_regressors : mapping name -> list of str, or name -> (list of str, note), optional
        Specifications with extra regressors appended to ``x`` (e.g. controls that are
        themselves outcomes of the key regressor, "bad controls" in Angrist & Pischke 2009,
        §3.2.3; or a lead of the key regressor as a placebo). The note, when given, is the
        specification's note.
    wild : dict, optional
        Options of :meth:`~analysis.models.results.ModelResult.wild_bootstrap` (``reps``,
        ``seed`` …): the key regressor (the first of ``x``) of every specification then gets a
        wild cluster bootstrap p-value and interval (table columns ``wild_p_value``,
        ``wild_ci_lower``, ``wild_ci_upper``; NaN for the other terms).
    **twfe_kwargs
        Passed to :func:`twfe` (``ssc``, ``vcov``, ``missing`` …).

    Returns
    -------
    RobustnessResult

    Raises
    ------
    Exception
        Whatever the baseline raises (bad columns, absorbed regressors …); a failing
        *alternative* specification is recorded in ``failed`` instead of aborting the call.
    """
    if isinstance(x, str):
        x = [x]
    results: dict[str, ModelResult] = {}
    notes: dict[str, str] = {}
    failed: dict[str, str] = {}

    def fit(name: str, df: pd.DataFrame, yy: str, xx: list[str], note: str) -> None:
        try:
            results[name] = twfe(df, yy, xx, entity, time, cluster=cluster, **twfe_kwargs)
            notes[name] = note
        except (ValueError, KeyError) as exc:
            if name == "baseline":
                raise
            failed[name] = f"{type(exc).__name__}: {exc}"

    fit("baseline", data, y, x, "")

    if lags is not None:
        for L in [lags] if isinstance(lags, int) else list(lags):
            lagged = lag_within(data, x, entity, time, int(L))
            df = data.copy()
            names = [f"L{L}.{c}" for c in x]
            df[names] = lagged.to_numpy()
            res_name = f"lag {L}"
            fit(res_name, df, y, names, f"regressors lagged {L} period(s)")
            if res_name in results:  # report under the original names so columns line up
                r = results[res_name]
                mapping = dict(zip(names, x, strict=True))
                r.params = r.params.rename(mapping)
                r.std_errors = r.std_errors.rename(mapping)
                if r.vcov is not None:
                    r.vcov = r.vcov.rename(index=mapping, columns=mapping)
                if r.design is not None:
                    r.design = r.design.renamed(mapping)

    if winsorize is not None:
        cuts = [winsorize] if (isinstance(winsorize, tuple) and len(winsorize) == 2
                               and np.isscalar(winsorize[0])) else list(winsorize)
        for lo, hi in cuts:
            df = data.copy()
            for c in [y, *x]:
                df[c] = winsorize_series(df[c].astype(float), lo, hi)
            fit(f"winsor {lo:g}-{hi:g}", df, y, x,
                f"{y} and regressors winsorised at the {lo:g}/{hi:g} quantiles (pooled)")

    if exclude is not None:
        groups = (dict(exclude) if isinstance(exclude, Mapping)
                  else {"excl. " + ",".join(map(str, exclude)): list(exclude)})
        for name, ents in groups.items():
            ents = list(ents)
            absent = [e for e in ents if e not in set(data[entity])]
            df = data[~data[entity].isin(ents)]
            note = f"without {entity} in {ents}" + (f" (not in data: {absent})" if absent else "")
            fit(name, df, y, x, note)

    for alt in alt_outcomes or []:
        fit(f"outcome {alt}", data, alt, x, f"dependent variable {alt}")

    for name, spec in (add_regressors or {}).items():
        extra, note = (spec if isinstance(spec, tuple) else (spec, ""))
        extra = [c for c in extra if c not in x]
        fit(name, data, y, [*x, *extra], note or f"adds {extra}")

    for name, sel in (subsets or {}).items():
        mask = sel(data) if callable(sel) else sel
        mask = pd.Series(mask, index=data.index).astype(bool)
        fit(name, data.loc[mask], y, x, f"sub-sample {name}: {int(mask.sum())} rows")

    if wild is not None:
        for r in results.values():
            if r.design is not None and x[0] in r.params.index:
                r.wild_bootstrap(x[0], **wild)
    table = pd.concat([_tidy_row(k, r, notes[k]) for k, r in results.items()], ignore_index=True)
    return RobustnessResult(results=results, table=table, failed=failed)
