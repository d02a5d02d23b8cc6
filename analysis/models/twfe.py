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
  :class:`ValueError` naming it, or, with ``drop_absorbed=True``, dropped with a note (as
  reghdfe and fixest drop it). Regressors collinear with each other: :class:`ValueError`.
* Panel keys (entity, time, cluster) missing, empty or whitespace-only, and duplicate
  (entity, time) pairs: :class:`ValueError` naming the rows
  (:func:`analysis._validate.check_keys`, shared with the measures).
* Fewer than two clusters for a clustered covariance: :class:`ValueError`.
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
    ``tol * (1 + max|A|)``. One fixed effect converges in one sweep. All columns are swept
    together (group sums by a sparse indicator product), so many columns cost about as much
    as one.

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
    from scipy import sparse

    A = np.array(A, dtype=float)
    one_d = A.ndim == 1
    A = A.reshape(len(A), -1)
    n, k = A.shape
    ops = []
    for c in codes:
        c = np.asarray(c, dtype=np.int64)
        G = int(c.max()) + 1 if c.size else 0
        cnt = np.bincount(c, minlength=G).astype(float)
        cnt = np.where(cnt > 0, cnt, 1.0)
        if k <= 4:  # a few columns: bincount per column
            def means(M, c=c, G=G, cnt=cnt):
                return np.column_stack([np.bincount(c, weights=M[:, j], minlength=G)
                                        for j in range(M.shape[1])]) / cnt[:, None]
            ops.append((means, c))
        else:  # many columns: one sparse product (group sums) per sweep
            Dt = sparse.csr_matrix((np.ones(n), c, np.arange(n + 1)), shape=(n, G)).T.tocsr()
            ops.append((lambda M, Dt=Dt, cnt=cnt: (Dt @ M) / cnt[:, None], c))
    scale = 1.0 + float(np.abs(A).max(initial=0.0))
    for _ in range(maxiter):
        delta = 0.0
        for means, c in ops:
            m = means(A)
            A -= m[c]
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


def vtype_name(vcov: str) -> str:
    return {"cluster": "cluster-robust", "iid": "conventional", "hetero": "HC1"}[vcov]


def coefnames_in_x(coefnames: list[str], names: dict[str, str], x: list[str]) -> list[str]:
    """Original names of the estimator's coefficients, in the estimator's order."""
    inv = {names[c]: c for c in x}
    return [inv[c] for c in coefnames]


def wild_design(y: np.ndarray, X: np.ndarray, xnames: list[str], fe_codes: list[np.ndarray],
                cluster: np.ndarray, beta: np.ndarray, v00: float, index: pd.Index):
    """The design a wild cluster bootstrap of a fixed-effects fit runs on.

    Fixed effects nested in the clusters (every level inside one cluster, e.g. the province
    effect with province clusters) are partialled out: the bootstrap residuals of ``ũ ∘ v`` are
    then orthogonal to them cluster by cluster, so this is exact. The other fixed effects (year
    effects with province clusters) enter as dummy columns (first level dropped), so that they
    are re-estimated in every bootstrap sample, as with pyfixest's one-hot design and
    ``boottest`` after ``reghdfe``; partialling them out too would change the bootstrap
    residuals by their period means. Without any nested effect an intercept is added.

    Parameters
    ----------
    y : ndarray (nobs,); X : ndarray (nobs by k)
        Outcome and regressors of the estimation sample (not transformed).
    xnames : list of str
        Names of the columns of ``X`` (the fit's coefficients).
    fe_codes : list of integer ndarrays (each nobs)
        Codes of the absorbed fixed effects.
    cluster : integer ndarray (nobs,)
        Cluster codes 0..G-1.
    beta, v00 : ndarray (k,), float
        The fit's coefficients and the variance of the first one (for the CR1 factor ``ssc``).
    index : pandas.Index
        Row labels of the sample in the caller's data.

    Returns
    -------
    analysis.models.inference.WildDesign
        ``X`` = [partialled-out regressors, partialled-out non-nested dummies], ``names`` =
        ``xnames`` + ``_fe<i>_<level>``; ``fe_codes`` = the nested effects' codes.
    """
    from scipy import linalg

    from analysis.models.inference import WildDesign

    nested, other = [], []
    for i, c in enumerate(fe_codes):
        per_level = pd.Series(cluster).groupby(c).nunique()
        (nested if bool((per_level == 1).all()) else other).append(i)
    ncodes = [fe_codes[i] for i in nested]
    blocks, bnames = [], []
    if not ncodes:
        blocks.append(np.ones((len(y), 1)))
        bnames.append("_intercept")
    for i in other:
        c = np.asarray(fe_codes[i])
        levels = np.unique(c)[1:]
        blocks.append((c[:, None] == levels[None, :]).astype(float))
        bnames += [f"_fe{i}_{lv}" for lv in levels]
    Z = np.column_stack([y, X, *blocks]) if blocks else np.column_stack([y, X])
    if ncodes:
        Z = demean_array(Z, ncodes)
    yd, Xd, Dd = Z[:, 0], Z[:, 1:1 + X.shape[1]], Z[:, 1 + X.shape[1]:]
    if Dd.shape[1]:
        # drop dummy columns made redundant by the nested effects or by each other (unbalanced
        # panels): QR with column pivoting on the dummies after removing X's span
        Q = np.linalg.qr(Xd)[0]
        Dr = Dd - Q @ (Q.T @ Dd)
        _, Rr, piv = linalg.qr(Dr, mode="economic", pivoting=True)
        diag = np.abs(np.diag(Rr))
        keep = np.sort(piv[diag > 1e-9 * max(diag.max(initial=0.0), 1e-300)])
        Dd = Dd[:, keep]
        bnames = [bnames[j] for j in keep]
    Xfull = np.column_stack([Xd, Dd])
    # CR1 factor of the fit: V = q (X'X)^-1 meat (X'X)^-1; q recovered from the fit's V
    XtXi = np.linalg.inv(Xfull.T @ Xfull)
    b = XtXi @ (Xfull.T @ yd)
    u = yd - Xfull @ b
    G = int(cluster.max()) + 1
    sc = np.zeros((G, Xfull.shape[1]))
    np.add.at(sc, cluster, Xfull * u[:, None])
    a = XtXi[0]
    raw = float(a @ sc.T @ sc @ a)
    q = v00 / raw if raw > 0 else 1.0
    if not np.allclose(b[:X.shape[1]], beta, rtol=1e-6, atol=1e-10 * (1 + np.abs(beta).max())):
        raise RuntimeError("wild-bootstrap design does not reproduce the fit's coefficients")
    return WildDesign(X=Xfull, y=yd, cluster=np.asarray(cluster, dtype=np.int64),
                      names=list(xnames) + bnames, fe_codes=ncodes, index=index, ssc=q)


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
    drop_absorbed: bool = False,
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
    drop_absorbed : bool
        Drop regressors absorbed by the fixed effects (no within variation left) with a note,
        as reghdfe and fixest do, instead of raising (default False: an absorbed regressor is
        usually a specification error worth stopping for).

    Returns
    -------
    ModelResult
        ``params`` and ``std_errors`` indexed by ``x``; ``vcov``; ``dof`` = G − 1 (clustered) or
        N − K; ``r2_within``; ``notes`` lists dropped observations; ``extra["K_ssc"]`` the
        :math:`K` used in the correction; ``design`` the within-transformed sample for
        :meth:`~analysis.models.results.ModelResult.wild_bootstrap` (clustered fits).

    Raises
    ------
    KeyError
        A named column is not in ``data``.
    ValueError
        Bad option, missing values with ``missing="raise"``, missing / empty / whitespace-only
        panel keys or duplicate entity-period pairs (rows named), a regressor absorbed by the
        fixed effects (unless ``drop_absorbed``) or collinear with the others, too few
        observations, fewer than two clusters.
    TypeError
        ``data`` is not a DataFrame.

    Notes
    -----
    Estimator: within (fixed-effects) OLS, via pyfixest ``feols``. Validated on Grunfeld
    (Baltagi 2021, *Econometric Analysis of Panel Data*, 6th ed., Table 2.1: value 0.1101
    (0.0119), capital 0.3101 (0.0174)) and against linearmodels ``PanelOLS``
    (``tests/test_twfe.py``).
    """
    import pyfixest as pf

    from analysis._validate import check_keys

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if ssc not in SSC_PRESETS:
        raise ValueError(f"ssc must be one of {list(SSC_PRESETS)}, got {ssc!r}")
    if vcov not in ("cluster", "iid", "hetero"):
        raise ValueError(f"vcov must be 'cluster', 'iid' or 'hetero', got {vcov!r}")
    if effects not in ("twoway", "entity", "time"):
        raise ValueError(f"effects must be 'twoway', 'entity' or 'time', got {effects!r}")
    if isinstance(x, str):
        x = [x]
    x = [str(c) if not isinstance(c, str) else c for c in x]
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
    check_keys(data, id_cols, what="twfe data", unique=time is not None)
    if cl and cl not in id_cols:
        check_keys(data, [cl], what="twfe data (cluster)", unique=False)
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
    if len(df) <= len(x) + 1:
        raise ValueError(f"only {len(df)} usable observations for {len(x)} regressors "
                         f"({dropped['missing']} dropped for missing values, "
                         f"{dropped['singletons']} singletons of {' + '.join(fe_cols)} dropped)")

    # Regressors absorbed by the fixed effects: within variation ~ 0.
    xs = df[x].astype(float)
    fe_codes = [pd.factorize(df[c])[0] for c in fe_cols]
    within = pd.DataFrame(demean_array(np.column_stack([df[y].astype(float).to_numpy(),
                                                        xs.to_numpy()]), fe_codes),
                          index=xs.index, columns=["__y__", *x])
    yw = within.pop("__y__").to_numpy()
    scale = (xs - xs.mean()).pow(2).sum().to_numpy() + 1e-300
    ratio = within.pow(2).sum().to_numpy() / scale
    absorbed = [c for c, r in zip(x, ratio, strict=True) if r < 1e-10]
    if absorbed and (not drop_absorbed or len(absorbed) == len(x)):
        raise ValueError(
            f"regressor(s) {absorbed} absorbed by the fixed effects ({' + '.join(fe_cols)}): "
            "no within variation left (constant within an entity or a period)"
            + ("; every regressor is absorbed, nothing left to estimate" if drop_absorbed
               else "; pass drop_absorbed=True to drop them with a note")
        )
    if absorbed:
        notes.append(f"regressor(s) {absorbed} absorbed by the fixed effects "
                     f"({' + '.join(fe_cols)}) and dropped (drop_absorbed=True)")
        x = [c for c in x if c not in absorbed]
        xs = xs[x]
        within = within[x]
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
    for i, _c in enumerate(fe_cols):
        work[f"fe{i}__"] = fe_codes[i]
        fe_names.append(f"fe{i}__")
    n_cl = int(df[cl].nunique()) if cl else None
    if cl and n_cl < 2:
        raise ValueError(f"cluster-robust standard errors need at least 2 clusters; {cl!r} has "
                         f"{n_cl} in the estimation sample (use vcov='hetero' or 'iid')")
    if cl:
        work["cl__"] = np.unique(df[cl].to_numpy(), return_inverse=True)[1]
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
    # degenerate fits: a silent zero or NaN standard error is never returned
    resid = np.asarray(fit.resid(), dtype=float)
    ys = work[names[y]].to_numpy()
    if float(yw @ yw) <= 1e-20 * max(float(((ys - ys.mean()) ** 2).sum()), 1e-300):
        raise ValueError(f"the dependent variable {y!r} has no variation left after the fixed "
                         f"effects ({' + '.join(fe_cols)}): nothing to explain")
    if float(resid @ resid) <= 1e-20 * float(yw @ yw):
        raise ValueError(f"perfect fit: the residuals of {y!r} on {x} are zero after the fixed "
                         "effects (is y a linear combination of the regressors?); no standard "
                         "error is defined")
    zero_se = [c for c, v in se.items() if not np.isfinite(v) or v <= 0]
    if vcov == "cluster" and not zero_se:
        Xd = within[coefnames_in_x(coefnames, names, x)].to_numpy()
        ref = np.sqrt(np.diag(np.linalg.inv(Xd.T @ Xd)) * float(resid @ resid) / len(resid))
        zero_se = [c for c, v, r0 in zip(se.index, se.to_numpy(), ref, strict=True)
                   if v <= 1e-7 * r0]
    if zero_se:
        raise ValueError(
            f"the {vtype_name(vcov)} standard error of {zero_se} is zero or undefined"
            + (f": with {n_cl} clusters the clusters' scores cancel (two clusters with time "
               "effects always do); use more clusters or vcov='hetero'" if vcov == "cluster"
               else ""))
    design = None
    if cl:
        xw = work[[names[c] for c in coefnames_in_x(coefnames, names, x)]].to_numpy()
        design = wild_design(work[names[y]].to_numpy(), xw, list(params.index),
                             [work[f].to_numpy() for f in fe_names], work["cl__"].to_numpy(),
                             params.to_numpy(), float(V.to_numpy()[0, 0]), df.index)
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
        design=design,
    )
