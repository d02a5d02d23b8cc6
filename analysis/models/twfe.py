"""Baseline two-way fixed-effects regression (entity and time), Stata ``reghdfe``-compatible.

Model
-----
.. math::

    y_{it} = x_{it}'\\beta + \\mu_i + \\lambda_t + \\varepsilon_{it}

estimated by least squares after sweeping out :math:`\\mu_i` and :math:`\\lambda_t` (the within
estimator; pyfixest's ``feols`` with ``| entity + time``). Standard errors are cluster-robust
(CR1, Liang–Zeger) by the entity unless told otherwise:

.. math::

    \\hat V = q\\,(\\tilde X'\\tilde X)^{-1}\\Big(\\sum_g \\tilde X_g'\\hat e_g\\hat e_g'\\tilde X_g\\Big)
    (\\tilde X'\\tilde X)^{-1},\\qquad q = \\frac{G}{G-1}\\,\\frac{N-1}{N-K}

Small-sample correction (``ssc``)
---------------------------------
``"reghdfe"`` (default)
    Stata ``reghdfe y x, absorb(entity time) vce(cluster entity)``: :math:`K` counts the slope
    coefficients plus the absorbed fixed effects that are *not nested* within the clusters;
    when every absorbed effect is nested, one is added back for the intercept (reghdfe's
    ``nested_adj``, which makes it equal to ``xtreg, fe``). With entity + time effects and
    clustering by entity this is :math:`K = k + T` (the :math:`T` time dummies, one of which
    stands for the intercept), e.g. :math:`K = 2 + 20` on Grunfeld; with entity effects only
    :math:`K = k + 1`. Inference uses t(G − 1). This is pyfixest
    ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True)`` and R fixest's default
    ``ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE)``; it equals ``xtreg y x i.year, fe
    vce(cluster id)`` (which counts the year dummies and the constant in :math:`K`).
    Source: reghdfe 6 ``reghdfe_common.mata`` (``reghdfe_cluster``: ``dof_adj = (N-1)/(N -
    nested_adj - K) * N_clust/(N_clust-1)``) and ``estimate_dof`` in ``reghdfe_class.mata``.
``"areg"``
    Every absorbed effect counted in :math:`K` (Stata ``areg, vce(cluster)``; linearmodels
    ``PanelOLS(...).fit(cov_type="clustered", debiased=True, group_debias=True)``; pyfixest
    ``k_fixef="full"``).
``"none_k"``
    Only the slope coefficients in :math:`K` (pyfixest ``k_fixef="none"``).
``"none"``
    No small-sample correction at all (:math:`q = 1`).

For ``vcov="iid"`` the same presets give :math:`\\hat\\sigma^2 = RSS/(N-K)`; with ``"reghdfe"``
and no clustering :math:`K` counts every absorbed effect (``xtreg, fe`` conventional errors,
Baltagi 2021, Table 2.1).

Bad input
---------
* Missing values in ``y``, ``x``, ``entity``, ``time`` or ``cluster``: rows dropped (listwise,
  as Stata and fixest do) and the count written to ``notes``; ``missing="raise"`` raises instead.
  Infinite values in ``y`` or ``x``: :class:`ValueError` naming the column and cells.
* Singleton groups (an entity or period with one observation, found iteratively as reghdfe
  does): dropped and counted in ``notes`` (Correia 2015, "Singletons, cluster-robust standard
  errors and fixed effects"); ``drop_singletons=False`` keeps them.
* A regressor absorbed by the fixed effects (constant within entity, or within period):
  :class:`ValueError` naming it. Regressors collinear with each other: :class:`ValueError`.
* Duplicate (entity, time) pairs: :class:`ValueError` listing the first ones.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.models.results import ModelResult

SSC = Literal["reghdfe", "areg", "none_k", "none"]
VCOV = Literal["cluster", "iid", "hetero"]
EFFECTS = Literal["twoway", "entity", "time"]

#: pyfixest ``ssc()`` arguments for each preset (validated in one place).
SSC_PRESETS: dict[str, dict[str, object]] = {
    "reghdfe": {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"},
    "areg": {"k_adj": True, "k_fixef": "full", "G_adj": True, "G_df": "min"},
    "none_k": {"k_adj": True, "k_fixef": "none", "G_adj": True, "G_df": "min"},
    "none": {"k_adj": False, "k_fixef": "none", "G_adj": False, "G_df": "min"},
}


def _check_columns(data: pd.DataFrame, cols: list[str]) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) not in data: {missing}; available: {list(data.columns)[:30]}")


def drop_singletons(df: pd.DataFrame, fe_cols: list[str]) -> tuple[pd.DataFrame, int]:
    """Drop singleton observations iteratively (as reghdfe), return (kept rows, count dropped).

    Parameters
    ----------
    df : DataFrame
        Estimation sample.
    fe_cols : list of str
        Fixed-effect identifiers; an observation whose level of any of them occurs once is a
        singleton. Dropping may create new singletons, so the search repeats until none remain.
    """
    n0 = len(df)
    while True:
        keep = np.ones(len(df), dtype=bool)
        for c in fe_cols:
            keep &= df.groupby(c, sort=False)[c].transform("size").to_numpy() > 1
        if keep.all():
            break
        df = df.loc[keep]
    return df, n0 - len(df)


def demean_array(A: np.ndarray, codes: Sequence[np.ndarray], *, tol: float = 1e-12,
                 maxiter: int = 10_000) -> np.ndarray:
    """Sweep one or more sets of fixed effects out of the columns of ``A`` (within transform).

    Alternating projections (the method of reghdfe and pyfixest's demeaning): for each fixed
    effect in turn subtract the group means, until no group mean exceeds
    ``tol * (1 + max|A|)``. One fixed effect converges in one sweep.

    Parameters
    ----------
    A : ndarray (nobs by nvar), or (nobs,)
        Variables to demean.
    codes : sequence of integer ndarrays (each nobs)
        Fixed-effect identifiers as codes 0..G-1 (``pd.factorize``).
    tol, maxiter : float, int
        Convergence tolerance (relative) and maximum number of sweeps.

    Returns
    -------
    ndarray, the shape of ``A``
        Residuals of ``A`` on the fixed-effect dummies.
    """
    A = np.array(A, dtype=float)
    one_d = A.ndim == 1
    A = A.reshape(len(A), -1)
    counts = [np.bincount(c).astype(float) for c in codes]
    scale = 1.0 + float(np.abs(A).max(initial=0.0))
    for _ in range(maxiter):
        delta = 0.0
        for c, n in zip(codes, counts, strict=True):
            for j in range(A.shape[1]):
                m = np.bincount(c, weights=A[:, j], minlength=n.size) / np.where(n > 0, n, 1)
                A[:, j] -= m[c]
                delta = max(delta, float(np.abs(m).max(initial=0.0)))
        if len(codes) == 1 or delta <= tol * scale:
            break
    return A[:, 0] if one_d else A


def demean(values: pd.DataFrame, groups: pd.DataFrame, *, tol: float = 1e-12,
           maxiter: int = 10_000) -> pd.DataFrame:
    """Within transform of a DataFrame: :func:`demean_array` with the groups factorised.

    Parameters
    ----------
    values : DataFrame (nobs by nvar)
        Variables to demean.
    groups : DataFrame (nobs by nfe)
        Fixed-effect identifiers.

    Returns
    -------
    DataFrame
        Residuals of ``values`` on the fixed-effect dummies, same index and columns.
    """
    codes = [pd.factorize(groups[c])[0] for c in groups.columns]
    out = demean_array(values.to_numpy(dtype=float), codes, tol=tol, maxiter=maxiter)
    return pd.DataFrame(out, index=values.index, columns=values.columns)


def prepare_sample(data: pd.DataFrame, cols: list[str], fe_cols: list[str], *,
                   missing: Literal["drop", "raise"] = "drop",
                   singletons: bool = True) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """Listwise deletion and singleton removal shared by every linear FE model here.

    Returns the sample, the notes to attach to a result and the counts dropped
    (``{"missing": n, "singletons": m}``).
    """
    notes: list[str] = []
    df = data[list(dict.fromkeys(cols + fe_cols))]
    na = df.isna().any(axis=1)
    n_na = int(na.sum())
    if n_na:
        if missing == "raise":
            by_col = df.isna().sum()
            raise ValueError(
                f"{n_na} row(s) with missing values: {by_col[by_col > 0].to_dict()}; "
                "pass missing='drop' to drop them listwise"
            )
        if missing != "drop":
            raise ValueError(f"missing must be 'drop' or 'raise', got {missing!r}")
        by_col = df.isna().sum()
        notes.append(f"{n_na} observation(s) with missing values dropped "
                     f"(by column: {by_col[by_col > 0].to_dict()})")
        df = df.loc[~na]
    n_single = 0
    if singletons and fe_cols:
        df, n_single = drop_singletons(df, fe_cols)
        if n_single:
            notes.append(f"{n_single} singleton observation(s) dropped (as reghdfe)")
    return df, notes, {"missing": n_na, "singletons": n_single}


def twfe(
    data: pd.DataFrame,
    y: str,
    x: list[str],
    entity: str,
    time: str | None,
    *,
    cluster: str | None = None,
    vcov: VCOV = "cluster",
    ssc: SSC = "reghdfe",
    effects: EFFECTS = "twoway",
    missing: Literal["drop", "raise"] = "drop",
    drop_singletons: bool = True,
) -> ModelResult:
    """Two-way (entity and time) fixed-effects regression with cluster-robust standard errors.

    Parameters
    ----------
    data : DataFrame (nobs rows)
        Long panel, one row per entity-period.
    y : str
        Dependent variable.
    x : list of str
        Regressors (k of them); no constant (absorbed by the fixed effects).
    entity, time : str
        Entity and period identifiers (e.g. ``province_code``, ``year``). ``time`` may be None
        with ``effects="entity"``.
    cluster : str, optional
        Cluster variable of the covariance; default the entity. Ignored unless
        ``vcov="cluster"``.
    vcov : {"cluster", "iid", "hetero"}
        CR1 cluster-robust (default), conventional, or HC1 heteroskedasticity-robust.
    ssc : {"reghdfe", "areg", "none_k", "none"}
        Small-sample correction; see the module docstring. ``"reghdfe"`` (default) reproduces
        Stata ``reghdfe`` / ``xtreg, fe`` and R ``fixest`` defaults.
    effects : {"twoway", "entity", "time"}
        Which fixed effects to absorb.
    missing : {"drop", "raise"}
        Listwise deletion with a note (default) or an error.
    drop_singletons : bool
        Drop singleton groups iteratively (reghdfe default).

    Returns
    -------
    ModelResult
        ``params`` and ``std_errors`` indexed by ``x``; ``vcov``; ``dof`` = G − 1 (clustered) or
        N − K; ``r2_within``; ``notes`` lists dropped observations; ``extra["K_ssc"]`` the
        :math:`K` used in the correction.

    Raises
    ------
    KeyError
        A named column is not in ``data``.
    ValueError
        Bad option, missing values with ``missing="raise"``, duplicate entity-period pairs, a
        regressor absorbed by the fixed effects or collinear with the others, too few
        observations.

    Notes
    -----
    Estimator: within (fixed-effects) OLS, via pyfixest ``feols``. Validated on Grunfeld
    (Baltagi 2021, *Econometric Analysis of Panel Data*, 6th ed., Table 2.1: value 0.1101
    (0.0119), capital 0.3101 (0.0174)) and against linearmodels ``PanelOLS``
    (``tests/test_twfe.py``).
    """
    import pyfixest as pf

    if ssc not in SSC_PRESETS:
        raise ValueError(f"ssc must be one of {list(SSC_PRESETS)}, got {ssc!r}")
    if vcov not in ("cluster", "iid", "hetero"):
        raise ValueError(f"vcov must be 'cluster', 'iid' or 'hetero', got {vcov!r}")
    if effects not in ("twoway", "entity", "time"):
        raise ValueError(f"effects must be 'twoway', 'entity' or 'time', got {effects!r}")
    if isinstance(x, str):
        x = [x]
    x = list(x)
    if not x:
        raise ValueError("x must name at least one regressor")
    if len(set(x)) != len(x):
        raise ValueError(f"x has duplicated names: {x}")
    if y in x:
        raise ValueError(f"the dependent variable {y!r} is also in x")
    if time is None and effects != "entity":
        raise ValueError("time=None needs effects='entity'")
    cl = (cluster or entity) if vcov == "cluster" else None
    fe_cols = {"twoway": [entity, time], "entity": [entity], "time": [time]}[effects]
    id_cols = [entity] + ([time] if time is not None else [])
    _check_columns(data, [y, *x, *id_cols] + ([cl] if cl else []))
    for c in [y, *x]:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ValueError(f"column {c!r} is not numeric (dtype {data[c].dtype})")
        inf = np.isinf(data[c].to_numpy(dtype=float))
        if inf.any():
            where = data.loc[inf, id_cols].head(5).values.tolist()
            raise ValueError(f"column {c!r} has {int(inf.sum())} infinite value(s), e.g. at "
                             f"({', '.join(id_cols)}) = {where} (a log of 0 or a division by 0?)")

    df, notes, dropped = prepare_sample(
        data, [y, *x, *id_cols] + ([cl] if cl else []), fe_cols,
        missing=missing, singletons=drop_singletons,
    )
    if time is not None:
        dup = df.duplicated([entity, time], keep=False)
        if dup.any():
            pairs = df.loc[dup, [entity, time]].drop_duplicates().head(5).values.tolist()
            raise ValueError(f"duplicate ({entity}, {time}) pairs, e.g. {pairs}")
    if len(df) <= len(x) + 1:
        raise ValueError(f"only {len(df)} usable observations for {len(x)} regressors "
                         f"({dropped['missing']} dropped for missing values, "
                         f"{dropped['singletons']} singletons of {' + '.join(fe_cols)} dropped)")

    # Regressors absorbed by the fixed effects: within variation ~ 0.
    xs = df[x].astype(float)
    within = demean(xs, df[fe_cols])
    scale = (xs - xs.mean()).pow(2).sum().to_numpy() + 1e-300
    ratio = within.pow(2).sum().to_numpy() / scale
    absorbed = [c for c, r in zip(x, ratio, strict=True) if r < 1e-10]
    if absorbed:
        raise ValueError(
            f"regressor(s) {absorbed} absorbed by the fixed effects ({' + '.join(fe_cols)}): "
            "no within variation left (constant within an entity or a period)"
        )
    rank = np.linalg.matrix_rank(within.to_numpy(), tol=1e-8 * np.sqrt(len(df)) * within.abs().to_numpy().max())
    if rank < len(x):
        raise ValueError(f"regressors {x} are collinear after removing the fixed effects "
                         f"(rank {rank} < {len(x)})")

    # Safe internal names so any column name works in the formula.
    names = {y: "y__"} | {c: f"x{i}__" for i, c in enumerate(x)}
    work = pd.DataFrame({names[y]: df[y].astype(float).to_numpy()})
    for c in x:
        work[names[c]] = df[c].astype(float).to_numpy()
    fe_names = []
    for i, c in enumerate(fe_cols):
        work[f"fe{i}__"] = pd.factorize(df[c])[0]
        fe_names.append(f"fe{i}__")
    if cl:
        work["cl__"] = pd.factorize(df[cl])[0]
    fml = f"y__ ~ {' + '.join(names[c] for c in x)} | {' + '.join(fe_names)}"
    vc = {"CRV1": "cl__"} if vcov == "cluster" else ("iid" if vcov == "iid" else "hetero")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(fml, data=work, vcov=vc, ssc=pf.ssc(**SSC_PRESETS[ssc]),
                       fixef_rm="none")
    inv = {v: k for k, v in names.items()}
    coefnames = list(fit._coefnames)
    if len(coefnames) < len(x):
        lost = [c for c in x if names[c] not in coefnames]
        raise ValueError(f"regressor(s) {lost} dropped for collinearity by the estimator")
    params = pd.Series(np.asarray(fit.coef(), float), index=[inv[c] for c in coefnames],
                       name="estimate")
    se = pd.Series(np.asarray(fit.se(), float), index=params.index, name="std_error")
    V = pd.DataFrame(np.asarray(fit._vcov, float), index=params.index, columns=params.index)
    n_cl = int(df[cl].nunique()) if cl else None
    if vcov == "cluster" and n_cl is not None and n_cl < 30:
        notes.append(f"only {n_cl} clusters: cluster-robust inference may be unreliable "
                     "(consider a wild cluster bootstrap)")
    vtype = {"cluster": f"CR1 clustered by {cl}", "iid": "conventional", "hetero": "HC1"}[vcov]
    return ModelResult(
        params=params,
        std_errors=se,
        nobs=int(fit._N),
        depvar=y,
        model="twfe",
        n_groups=int(df[entity].nunique()),
        dof=float(fit._df_t),
        r2_within=float(fit._r2_within),
        r2=float(fit._r2),
        fixed_effects=list(fe_cols),
        cluster=cl,
        vcov_type=f"{vtype}, ssc={ssc}",
        notes=notes,
        extra={"K_ssc": int(fit._df_k), "ssc": ssc, "dropped_missing": dropped["missing"],
               "dropped_singletons": dropped["singletons"]},
        vcov=V,
        n_clusters=n_cl,
    )
