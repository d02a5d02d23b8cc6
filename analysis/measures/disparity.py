"""Regional disparity and its dynamics.

* Gini coefficient and its Dagum (1997) decomposition by groups (regions);
* σ-convergence (coefficient of variation, standard deviation of logs) by year;
* absolute and conditional β-convergence (pooled OLS or two-way fixed effects via pyfixest),
  with convergence speed and half-life;
* kernel density estimates (Gaussian with Scott's rule; Stata ``kdensity``'s default
  Epanechnikov kernel and bandwidth).

Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality ratio.
*Empirical Economics* 22(4), 515–531.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analysis._validate import as_vector, check_keys, check_labels, first_rows

__all__ = [
    "DagumResult",
    "BetaConvergenceResult",
    "KernelDensity",
    "gini",
    "dagum_gini",
    "dagum_gini_by",
    "sigma_convergence",
    "beta_convergence",
    "kernel_density",
    "kernel_density_by",
    "stata_kdensity_bandwidth",
    "stata_percentile",
]


# ---------------------------------------------------------------------------------------------
# Gini and Dagum decomposition
# ---------------------------------------------------------------------------------------------
def _sum_abs_diff(a: np.ndarray, b_sorted: np.ndarray, b_cumsum: np.ndarray) -> float:
    """Σ_i Σ_r |a_i − b_r| in O((n_a + n_b) log n_b) (``b_sorted`` ascending, its cumsum)."""
    m = b_sorted.size
    total_b = b_cumsum[-1] if m else 0.0
    k = np.searchsorted(b_sorted, a, side="right")  # b_r <= a_i for r < k
    below = np.where(k > 0, b_cumsum[np.maximum(k - 1, 0)], 0.0)
    # a sum of absolute values: rounding of the cumulative sums can leave -1e-17 for equal values
    return max(0.0, float(np.sum(a * k - below + (total_b - below) - a * (m - k))))


def _check_values(values, name: str = "values") -> np.ndarray:
    y, idx = as_vector(values, what=name)
    if y.size < 2:
        raise ValueError(f"{name} needs at least 2 observations, got {y.size}")
    if (y < 0).any():
        rows = idx if idx is not None else pd.RangeIndex(y.size)
        raise ValueError(f"{name} must be non-negative for the Gini coefficient; negative at "
                         f"rows {first_rows(rows, y < 0)}")
    if y.mean() <= 0:
        raise ValueError(f"{name} are all 0 (mean 0); the Gini coefficient is undefined")
    return y


def gini(values) -> float:
    """Gini coefficient by the mean-difference formula.

    Parameters
    ----------
    values : Series, array-like ((n,) or (n, 1)) or list of float, length n ≥ 2,
        non-negative, positive mean.

    Returns
    -------
    float
        ``G = Σ_i Σ_r |y_i − y_r| / (2 n² μ)`` (the population form used by Dagum 1997,
        eq. 1; ranges in [0, 1 − 1/n]).

    Raises
    ------
    TypeError
        Non-numeric values.
    ValueError
        Fewer than 2, missing, infinite, negative or all-zero values (naming rows).
    """
    y = np.sort(_check_values(values))
    n = y.size
    return _sum_abs_diff(y, y, np.cumsum(y)) / (2.0 * n * n * y.mean())


@dataclass
class DagumResult:
    """Dagum (1997) Gini decomposition.

    Attributes
    ----------
    total : float
        Overall Gini ``G``.
    within : float
        Within-group contribution ``Gw = Σ_j G_jj p_j s_j``.
    between : float
        Net between-group contribution ``Gnb = Σ_{j>h} G_jh (p_j s_h + p_h s_j) D_jh``.
    transvariation : float
        Transvariation (overlap) contribution ``Gt = Σ_{j>h} G_jh (p_j s_h + p_h s_j)(1 − D_jh)``.
    groups : pandas.DataFrame
        Per group: ``n``, ``mean``, ``p`` (population share n_j/n), ``s`` (income share
        n_j μ_j/(n μ)), ``gini`` (within-group Gini G_jj); sorted by mean, descending.
    pairs : pandas.DataFrame
        Per pair of groups (j = the group with the higher mean): ``gini`` (G_jh), ``D`` (relative
        economic affluence D_jh), ``d`` and ``p`` (Dagum's d_jh, p_jh), and the pair's
        ``net_between`` and ``transvariation`` contributions.

    Notes
    -----
    ``total == within + between + transvariation`` up to rounding (≈1e-15 relative).
    Contribution shares are ``within / total`` etc.
    """

    total: float
    within: float
    between: float
    transvariation: float
    groups: pd.DataFrame = field(repr=False)
    pairs: pd.DataFrame = field(repr=False)

    @property
    def gross_between(self) -> float:
        """Gross between-group component ``Gb = Gnb + Gt``."""
        return self.between + self.transvariation

    def contributions(self) -> pd.Series:
        """Shares of Gw, Gnb, Gt in G (sum 1).

        Raises
        ------
        ValueError
            G = 0 (all values equal): the shares are undefined.
        """
        if self.total == 0:
            raise ValueError("the total Gini is 0 (all values equal): contribution shares of "
                             "the within, between and transvariation parts are undefined")
        return pd.Series(
            {"within": self.within, "between": self.between,
             "transvariation": self.transvariation}
        ) / self.total

    def to_series(self) -> pd.Series:
        """``total``, ``within``, ``between``, ``transvariation`` as a Series."""
        return pd.Series(
            {"total": self.total, "within": self.within, "between": self.between,
             "transvariation": self.transvariation}
        )


def dagum_gini(values, groups) -> DagumResult:
    """Dagum (1997) decomposition of the Gini coefficient by groups.

    Parameters
    ----------
    values : pandas.Series or array-like ((n,), (n, 1), list) of float, length n
        Non-negative values (e.g. a province's index in one year).
    groups : pandas.Series or array-like, length n
        Group label of each value (e.g. NBS region); no missing, empty or blank labels.
        Series are aligned on the index.

    Returns
    -------
    DagumResult
        Float attributes ``total``, ``within``, ``between`` (net between-group, Gnb),
        ``transvariation`` (Gt), plus per-group and pairwise tables.

    Notes
    -----
    With k groups, group j of size n_j and mean Ȳ_j, p_j = n_j/n, s_j = n_j Ȳ_j/(n Ȳ)
    (Dagum 1997, eqs. 2–4, 8–12):

    * ``G = Σ_j Σ_h Σ_i Σ_r |y_ji − y_hr| / (2 n² Ȳ)``
    * ``G_jj = Σ_i Σ_r |y_ji − y_jr| / (2 n_j² Ȳ_j)`` (0 for a group of zeros),
      ``Gw = Σ_j G_jj p_j s_j``
    * ``G_jh = Σ_i Σ_r |y_ji − y_hr| / (n_j n_h (Ȳ_j + Ȳ_h))``
    * ``d_jh = E[(y_j − y_h)⁺]``, ``p_jh = E[(y_h − y_j)⁺]`` over all pairs, for Ȳ_j ≥ Ȳ_h;
      ``D_jh = (d_jh − p_jh)/(d_jh + p_jh)``
    * ``Gnb = Σ_{j=2}^k Σ_{h=1}^{j−1} G_jh (p_j s_h + p_h s_j) D_jh``,
      ``Gt = Σ … G_jh (p_j s_h + p_h s_j)(1 − D_jh)``

    so that ``G = Gw + Gnb + Gt`` exactly. Cost O(n log n) per group pair (sorting), not O(n²).

    Raises
    ------
    TypeError
        Non-numeric values.
    ValueError
        Length mismatch, missing values, missing/empty/blank groups (naming rows), negative
        values, zero mean.
    """
    if isinstance(values, pd.Series) and isinstance(groups, pd.Series):
        if not values.index.equals(groups.index):
            if len(values) != len(groups) or not values.index.sort_values().equals(
                groups.index.sort_values()
            ):
                raise ValueError("values and groups have different indexes")
            groups = groups.reindex(values.index)
    y = _check_values(values)
    g = check_labels(groups, what="groups",
                     index=values.index if isinstance(values, pd.Series) else None)
    if g.shape != y.shape:
        raise ValueError(f"values ({y.size}) and groups ({g.size}) differ in length")
    try:
        codes, labels = pd.factorize(g, sort=True)
    except TypeError:  # labels of mixed types cannot be sorted: keep order of appearance
        codes, labels = pd.factorize(g, sort=False)
    n = y.size
    mu = y.mean()
    k = labels.size
    ys = [np.sort(y[codes == j]) for j in range(k)]
    cs = [np.cumsum(a) for a in ys]
    nj = np.array([a.size for a in ys], dtype=float)
    mj = np.array([a.mean() for a in ys])
    order = np.argsort(-mj, kind="stable")  # descending mean
    p = nj / n
    s = nj * mj / (n * mu)
    sad = np.empty((k, k))
    for j in range(k):
        for h in range(j, k):
            sad[j, h] = sad[h, j] = _sum_abs_diff(ys[j], ys[h], cs[h])
    # A group whose values are all 0 (mean 0; e.g. the minimum of a min-max normalised index
    # alone in its group) has no within-group inequality: G_jj = 0, not 0/0.
    gjj = np.where(mj > 0, np.diag(sad) / (2.0 * nj**2 * np.where(mj > 0, mj, 1.0)), 0.0)
    gw = float(np.sum(gjj * p * s))
    total = float(sad.sum() / (2.0 * n * n * mu))
    rows = []
    gnb = gt = 0.0
    for a_pos in range(k):
        for b_pos in range(a_pos + 1, k):
            j, h = order[a_pos], order[b_pos]  # mean_j >= mean_h
            mjh = mj[j] + mj[h]  # 0 only if both groups are all zeros (then sad = 0)
            gjh = sad[j, h] / (nj[j] * nj[h] * mjh) if mjh > 0 else 0.0
            e_abs = sad[j, h] / (nj[j] * nj[h])  # d + p
            diff = mj[j] - mj[h]  # d − p
            d_jh = 0.5 * (e_abs + diff)
            p_jh = 0.5 * (e_abs - diff)
            D = diff / e_abs if e_abs > 0 else 0.0
            wgt = p[j] * s[h] + p[h] * s[j]
            nb, tv = gjh * wgt * D, gjh * wgt * (1.0 - D)
            gnb += nb
            gt += tv
            rows.append(
                {"group_j": labels[j], "group_h": labels[h], "gini": gjh, "D": D,
                 "d": d_jh, "p": p_jh, "net_between": nb, "transvariation": tv}
            )
    groups_df = pd.DataFrame(
        {"n": nj.astype(int), "mean": mj, "p": p, "s": s, "gini": gjj},
        index=pd.Index(labels, name="group"),
    ).iloc[order]
    pairs = pd.DataFrame(
        rows, columns=["group_j", "group_h", "gini", "D", "d", "p", "net_between",
                       "transvariation"]
    )
    return DagumResult(total=total, within=gw, between=float(gnb), transvariation=float(gt),
                       groups=groups_df, pairs=pairs)


def dagum_gini_by(
    data: pd.DataFrame, value: str, group: str, by: str = "year"
) -> pd.DataFrame:
    """Dagum decomposition for each period.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table with columns ``value``, ``group`` and ``by``.
    value, group, by : str
        Column names (e.g. ``"D"``, ``"region"``, ``"year"``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``total``, ``within``, ``between``, ``transvariation``, their
        contribution shares ``share_within`` … (NaN, with ``note`` saying so, in a period whose
        values are all equal: G = 0), ``note`` ("" otherwise), the within-group Ginis ``gini_<group>``
        and pairwise Ginis ``gini_<a>_<b>`` (a < b in label order, the same column every
        period; which of the two has the higher mean is in :func:`dagum_gini`'s ``pairs``).

    Raises
    ------
    KeyError
        Missing columns. ValueError as :func:`dagum_gini` (naming the period); missing, empty
        or blank periods (naming rows).
    """
    missing = [c for c in (value, group, by) if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    check_keys(data, [by], what="data", unique=False)
    out = {}
    for period, sub in data.groupby(by, sort=True):
        try:
            r = dagum_gini(sub[value].to_numpy(), sub[group].to_numpy())
        except ValueError as exc:
            raise ValueError(f"{by} = {period}: {exc}") from exc
        row = r.to_series().to_dict()
        if r.total > 0:
            row.update({f"share_{k}": v for k, v in r.contributions().items()})
            row["note"] = ""
        else:
            row.update({f"share_{k}": np.nan for k in ("within", "between", "transvariation")})
            row["note"] = "all values equal (G = 0): contribution shares undefined"
        row.update({f"gini_{g}": v for g, v in r.groups["gini"].sort_index().items()})
        for _, pr in r.pairs.iterrows():
            # G_jh is symmetric: name the pair in label order, not in the year's order of means
            # (which can flip between years and would split one pair over two columns)
            a, b = sorted((pr.group_j, pr.group_h))
            row[f"gini_{a}_{b}"] = pr.gini
        out[period] = row
    res = pd.DataFrame.from_dict(out, orient="index")
    res.index.name = by
    return res


# ---------------------------------------------------------------------------------------------
# sigma and beta convergence
# ---------------------------------------------------------------------------------------------
def sigma_convergence(data: pd.DataFrame, value: str, by: str = "year") -> pd.DataFrame:
    """σ-convergence statistics of ``value`` for each period.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table with columns ``value`` and ``by``.
    value, by : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``n`` (non-missing values), ``mean``, ``sd`` (ddof = 1),
        ``cv = sd/mean``, ``sd_log`` (sd of ln value, ddof = 1), ``gini``, and ``note``
        saying why a statistic of that period is NaN (missing values dropped; fewer than 2
        values; mean 0; a value ≤ 0 for ``sd_log``; a negative value for ``gini``), "" when
        none is. σ-convergence means these fall over time.

    Raises
    ------
    KeyError
        Missing columns.
    TypeError
        ``value`` not numeric.
    ValueError
        Missing, empty or blank periods (naming rows); infinite values (naming rows).
    """
    missing = [c for c in (value, by) if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    check_keys(data, [by], what="data", unique=False)
    as_vector(data[value], what=value, allow_nan=True)  # numeric, no ±inf
    rows = {}
    for period, sub in data.groupby(by, sort=True):
        raw = sub[value].to_numpy(dtype=float, na_value=np.nan)
        y = raw[~np.isnan(raw)]
        notes = []
        if y.size < raw.size:
            notes.append(f"{raw.size - y.size} missing value(s) dropped")
        if y.size < 2:
            notes.append(f"{y.size} value(s): sd, cv, sd_log, gini undefined")
        sd = y.std(ddof=1) if y.size > 1 else np.nan
        mean = y.mean() if y.size else np.nan
        if y.size > 1 and mean == 0:
            notes.append("mean 0: cv and gini undefined")
        if y.size > 1 and not (y > 0).all():
            notes.append("a value <= 0: sd_log undefined")
        if y.size > 1 and (y < 0).any():
            notes.append("a negative value: gini undefined")
        sd_log = np.log(y).std(ddof=1) if y.size > 1 and (y > 0).all() else np.nan
        g = gini(y) if y.size > 1 and (y >= 0).all() and mean > 0 else np.nan
        rows[period] = {"n": y.size, "mean": mean, "sd": sd,
                        "cv": sd / mean if y.size > 1 and mean != 0 else np.nan,
                        "sd_log": sd_log, "gini": g, "note": "; ".join(notes)}
    res = pd.DataFrame.from_dict(rows, orient="index")
    res.index.name = by
    return res


@dataclass
class BetaConvergenceResult:
    """β-convergence regression.

    Attributes
    ----------
    beta, se, pvalue : float
        Coefficient on ``ln y_{i,t}`` in the growth regression, its (clustered) standard error
        and p-value.
    speed : float
        Convergence speed ``λ = −ln(1 + β) / τ`` (τ = the growth period in years); NaN when
        ``β ≤ −1``.
    half_life : float
        ``ln 2 / λ`` in years (NaN or negative when there is no convergence, β ≥ 0).
    nobs : int
    kind : str
        ``"absolute"`` or ``"conditional"``.
    fixed_effects : list of str
    fit : object
        The pyfixest fit (``.summary()``, ``.tidy()``).
    """

    beta: float
    se: float
    pvalue: float
    speed: float
    half_life: float
    nobs: int
    kind: str
    fixed_effects: list
    fit: object = field(repr=False)


def beta_convergence(
    data: pd.DataFrame,
    value: str,
    *,
    unit: str = "province_code",
    time: str = "year",
    controls: Sequence[str] = (),
    fixed_effects: Literal["none", "unit", "twoway"] | None = None,
    period: int = 1,
    vcov: str | dict = "cluster",
) -> BetaConvergenceResult:
    """Absolute or conditional β-convergence on a panel.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel with columns ``unit``, ``time``, ``value`` (> 0) and any ``controls``.
    value : str
        Level variable y (e.g. an index or GDP per capita); must be positive.
    unit, time : str
        Panel keys.
    controls : sequence of str
        Control variables dated t. Empty = absolute β-convergence.
    fixed_effects : {"none", "unit", "twoway"}, optional
        Default: ``"none"`` (pooled OLS) without controls, ``"twoway"`` (unit and time effects,
        the usual conditional β-convergence specification) with controls.
    period : int, default 1
        Growth horizon τ in years: the dependent variable is ``ln(y_{i,t+τ}/y_{i,t})``.
    vcov : str or dict
        ``"cluster"`` (default: clustered by ``unit``, CRV1 as Stata's ``vce(cluster unit)``/
        reghdfe), ``"iid"``, ``"hetero"`` or a pyfixest vcov dict.

    Returns
    -------
    BetaConvergenceResult

    Notes
    -----
    ``ln(y_{i,t+τ}/y_{i,t}) = α + β ln y_{i,t} + γ'X_{i,t} + μ_i + η_t + ε_{i,t}``, estimated by
    pyfixest ``feols``. β < 0 indicates convergence; ``λ = −ln(1+β)/τ``,
    half-life ``= ln 2 / λ`` (Barro & Sala-i-Martin 1992, JPE 100(2)). With unit effects this
    is convergence to each unit's own steady state (conditional). Years are taken literally:
    ``y_{i,t+τ}`` is the row with time == t + τ (gaps leave NaN and drop the observation).

    Raises
    ------
    KeyError
        Missing columns.
    ValueError
        Non-positive or infinite values (naming rows); missing, empty or duplicate
        unit-time keys (naming rows); no usable observations; ``ln y`` absorbed by the fixed
        effects or collinear (e.g. one unit with unit effects); the estimation failing (the
        estimator's message is kept).
    """
    import pyfixest as pf

    need = [unit, time, value, *controls]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    if fixed_effects not in (None, "none", "unit", "twoway"):
        raise ValueError(f"fixed_effects must be 'none', 'unit' or 'twoway', got {fixed_effects!r}")
    if not isinstance(period, int | np.integer) or period < 1:
        raise ValueError(f"period must be a positive integer, got {period!r}")
    check_keys(data, [unit, time], what="data")
    y, _ = as_vector(data[value], what=value, allow_nan=True)
    y = pd.Series(y, index=data.index)
    if (y.dropna() <= 0).any():
        raise ValueError(f"{value!r} must be positive to take logs; not positive at rows "
                         f"{first_rows(data.index, (y <= 0).to_numpy())}")
    df = data[need].copy()
    df["_lny"] = np.log(y)
    lead = df[[unit, time, "_lny"]].copy()
    lead[time] = lead[time] - period
    df = df.merge(lead.rename(columns={"_lny": "_lny_lead"}), on=[unit, time], how="left")
    df["_growth"] = df["_lny_lead"] - df["_lny"]
    df = df.dropna(subset=["_growth", "_lny", *controls])
    if df.empty:
        raise ValueError("no observations with both y_t and y_{t+period}")
    fe = fixed_effects or ("twoway" if controls else "none")
    rhs = " + ".join(["_lny", *controls])
    fes = {"none": [], "unit": [unit], "twoway": [unit, time]}[fe]
    fml = f"_growth ~ {rhs}" + (f" | {' + '.join(fes)}" if fes else "")
    if vcov == "cluster":
        vc: str | dict = {"CRV1": unit}
    else:
        vc = vcov
    # Identification checked here, not left to the estimator: pyfixest 0.60 aborts the whole
    # Python process (a Rust panic) when dropping singleton fixed effects empties the sample.
    d = df
    while fes:
        keep = np.ones(len(d), dtype=bool)
        for f in fes:
            keep &= d.groupby(f)[f].transform("size").to_numpy() > 1
        if keep.all():
            break
        d = d[keep]
    n_par = 1 + len(controls) + (sum(int(d[f].nunique()) for f in fes) - len(fes) + 1 if fes else 1)
    if len(d) == 0:
        raise ValueError(f"beta convergence ({fe} effects) is not identified: no growth observation "
                         f"is left after dropping singleton fixed-effect groups (units: "
                         f"{df[unit].nunique()}, periods: {df[time].nunique()})")
    if len(d) <= n_par:
        raise ValueError(f"beta convergence ({fe} effects) is not identified: {len(d)} growth "
                         f"observation(s) after dropping singleton fixed-effect groups, "
                         f"{n_par} parameters (units: {df[unit].nunique()}, periods: "
                         f"{df[time].nunique()})")
    try:
        fit = pf.feols(fml, data=df, vcov=vc)
    except Exception as exc:  # noqa: BLE001 - the estimator's own error, said in our terms
        raise ValueError(f"beta convergence ({fe} effects, {len(df)} observations) could not be "
                         f"estimated: {type(exc).__name__}: {exc}") from exc
    if "_lny" not in fit.coef().index or not np.isfinite(float(fit.coef()["_lny"])):
        raise ValueError(f"ln {value} is absorbed by the {fe} fixed effects or collinear with the "
                         f"controls ({len(df)} observations, {df[unit].nunique()} units): β is "
                         "not identified")
    beta = float(fit.coef()["_lny"])
    se = float(fit.se()["_lny"])
    pval = float(fit.pvalue()["_lny"])
    speed = -np.log1p(beta) / period if beta > -1 else np.nan
    half = np.log(2) / speed if speed and np.isfinite(speed) else np.nan
    return BetaConvergenceResult(
        beta=beta, se=se, pvalue=pval, speed=float(speed), half_life=float(half),
        nobs=int(fit._N), kind="conditional" if (controls or fe != "none") else "absolute",
        fixed_effects=fes, fit=fit,
    )


# ---------------------------------------------------------------------------------------------
# kernel density
# ---------------------------------------------------------------------------------------------
def stata_percentile(x, q: float) -> float:
    """Percentile as Stata's ``summarize, detail`` computes it (unweighted data).

    ``P = n q/100``; if P is an integer, ``(x_(P) + x_(P+1))/2``; else ``x_(⌊P⌋+1)`` (order
    statistics, 1-based). Equals numpy's ``method="averaged_inverted_cdf"`` (Hyndman & Fan
    type 2).

    Parameters
    ----------
    x : array-like ((n,), (n, 1), list, Series) of float, length n ≥ 1 (no missing values).
    q : float
        Percent, in [0, 100].

    Returns
    -------
    float
        The q-th percentile, in the unit of ``x``.

    Raises
    ------
    TypeError
        Non-numeric ``x``.
    ValueError
        ``q`` outside [0, 100]; ``x`` empty or with missing/infinite values (naming rows).
    """
    v, _ = as_vector(x, what="x")
    if v.size == 0:
        raise ValueError("x is empty: no percentile")
    if not np.isfinite(q) or not 0 <= q <= 100:
        raise ValueError(f"q must be a percent in [0, 100], got {q!r}")
    return float(np.percentile(v, q, method="averaged_inverted_cdf"))


def stata_kdensity_bandwidth(x) -> float:
    """Default bandwidth of Stata's ``kdensity``.

    ``h = 0.9 · m · n^(−1/5)``, ``m = min(sd, IQR/1.349)``, sd with ddof = 1 and the IQR from
    ``summarize, detail`` percentiles ([R] kdensity, Methods and formulas; Silverman 1986,
    eq. 3.31). Stata applies this Gaussian-scaled rule whatever the kernel.

    Verified: Stata's ``sysuse auto`` / ``kdensity price`` reports ``r(width) = 605.64238``
    (Statalist, 2006); this function gives 605.6423839 (numpy's default linear percentiles would
    give 595.77). See ``tests/test_disparity.py``.

    Parameters
    ----------
    x : array-like of float
        The data; missing values are dropped (as Stata does).

    Returns
    -------
    float
        Bandwidth h (half-width of the kernel), in the unit of ``x``. If the IQR is 0, Stata
        uses ``m = sd``; h = 0 for constant data.

    Raises
    ------
    TypeError
        Non-numeric ``x``.
    ValueError
        Fewer than 2 non-missing values, infinite values (naming rows).
    """
    x, _ = as_vector(x, what="x", allow_nan=True)
    x = x[~np.isnan(x)]
    if x.size < 2:
        raise ValueError(f"the bandwidth needs at least 2 non-missing values, got {x.size}")
    n = x.size
    sd = x.std(ddof=1)
    iqr = stata_percentile(x, 75) - stata_percentile(x, 25)
    m = min(sd, iqr / 1.349) if iqr > 0 else sd
    return 0.9 * m * n ** (-0.2)


def _k_epanechnikov_stata(z: np.ndarray) -> np.ndarray:
    """Stata's ``epanechnikov`` kernel: 3/4 (1 − z²/5)/√5 for |z| < √5."""
    return np.where(np.abs(z) < np.sqrt(5.0), 0.75 * (1.0 - z * z / 5.0) / np.sqrt(5.0), 0.0)


def _k_epan2(z: np.ndarray) -> np.ndarray:
    """Stata's ``epan2``: 3/4 (1 − z²) for |z| < 1."""
    return np.where(np.abs(z) < 1.0, 0.75 * (1.0 - z * z), 0.0)


def _k_gaussian(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


@dataclass
class KernelDensity:
    """Kernel density estimate: ``at`` (evaluation points), ``density``, ``bandwidth``,
    ``kernel``."""

    at: np.ndarray
    density: np.ndarray
    bandwidth: float
    kernel: str

    def to_frame(self) -> pd.DataFrame:
        """Columns ``x`` (evaluation points) and ``density``."""
        return pd.DataFrame({"x": self.at, "density": self.density})


def kernel_density(
    x,
    *,
    kernel: Literal["epanechnikov", "epan2", "gaussian"] = "epanechnikov",
    bandwidth: float | Literal["stata", "scott"] | None = None,
    at=None,
    n_points: int | None = None,
) -> KernelDensity:
    """Univariate kernel density estimate, matching Stata's ``kdensity`` by default.

    Parameters
    ----------
    x : array-like of float, length n (missing values dropped).
    kernel : {"epanechnikov", "epan2", "gaussian"}
        ``"epanechnikov"`` is Stata's default kernel ``3/4(1 − z²/5)/√5`` on |z| < √5 (unit
        variance); ``"epan2"`` is the textbook ``3/4(1 − z²)`` on |z| < 1; ``"gaussian"`` the
        normal kernel.
    bandwidth : float, "stata", "scott" or None
        Default: ``"stata"`` for the Epanechnikov kernels (``0.9 min(sd, IQR/1.349) n^(−1/5)``,
        see :func:`stata_kdensity_bandwidth`) and ``"scott"`` for the Gaussian kernel
        (Scott's rule as in ``scipy.stats.gaussian_kde``: ``h = sd · n^(−1/5)``, sd with ddof = 1).
        This differs from R's ``bw.nrd`` (``1.06 · min(sd, IQR/1.34) · n^(−1/5)``, also called
        Scott's rule) and from Stata's ``kdensity, kernel(gaussian)`` (which keeps the
        ``"stata"`` bandwidth); pass ``bandwidth="stata"`` or a number to match those.
    at : array-like, optional
        Evaluation points (Stata's ``at()``).
    n_points : int, optional
        Number of evenly spaced points when ``at`` is not given; default ``min(n, 50)`` as
        Stata. They run from ``min(x) − h`` to ``max(x) + h`` — the range reported for Stata's
        kdensity on Statalist (Van Kerm, 2004); we did not verify it against Stata itself, so
        pass ``at`` when exact grid agreement matters.

    Returns
    -------
    KernelDensity
        ``f̂(a) = (1/(n h)) Σ_i K((a − x_i)/h)``.

    Raises
    ------
    TypeError
        Non-numeric ``x``.
    ValueError
        Fewer than 2 values, infinite values, zero spread with automatic bandwidth,
        non-positive bandwidth, ``n_points`` < 1, non-finite ``at``.
    """
    xs, _ = as_vector(x, what="x", allow_nan=True)
    xs = xs[~np.isnan(xs)]
    if xs.size < 2:
        raise ValueError("kernel density needs at least 2 non-missing values")
    kernels = {"epanechnikov": _k_epanechnikov_stata, "epan2": _k_epan2, "gaussian": _k_gaussian}
    if kernel not in kernels:
        raise ValueError(f"kernel must be one of {list(kernels)}, got {kernel!r}")
    if bandwidth is None:
        bandwidth = "scott" if kernel == "gaussian" else "stata"
    if isinstance(bandwidth, str) and bandwidth not in ("stata", "scott"):
        raise ValueError(f"bandwidth must be a number, 'stata' or 'scott', got {bandwidth!r}")
    if bandwidth == "stata":
        h = stata_kdensity_bandwidth(xs)
    elif bandwidth == "scott":
        h = xs.std(ddof=1) * xs.size ** (-0.2)
    else:
        h = float(bandwidth)
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"bandwidth must be positive (got {h}); does x vary?")
    if at is None:
        npts = min(xs.size, 50) if n_points is None else n_points
        if not isinstance(npts, int | np.integer) or npts < 1:
            raise ValueError(f"n_points must be a positive integer, got {n_points!r}")
        grid = np.linspace(xs.min() - h, xs.max() + h, npts)
    else:
        grid, _ = as_vector(at, what="at")
    z = (grid[:, None] - xs[None, :]) / h
    dens = kernels[kernel](z).sum(axis=1) / (xs.size * h)
    return KernelDensity(at=grid, density=dens, bandwidth=float(h), kernel=kernel)


def kernel_density_by(
    data: pd.DataFrame, value: str, by: str = "year", years: Sequence[Hashable] | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Kernel densities of ``value`` for each period on a common grid (long table).

    Parameters
    ----------
    data : pandas.DataFrame
    value, by : str
        Column names.
    years : sequence, optional
        Periods to include (default all).
    **kwargs
        Passed to :func:`kernel_density` (``at`` defaults to 100 points spanning all periods).

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``x``, ``density``, ``bandwidth``.

    Raises
    ------
    KeyError
        ``value`` or ``by`` not a column.
    ValueError
        No rows for ``years``; a period with fewer than 2 values or no spread (naming it);
        missing, empty or blank periods (naming rows); infinite values.
    """
    missing = [c for c in (value, by) if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    check_keys(data, [by], what="data", unique=False)
    as_vector(data[value], what=value, allow_nan=True)
    sub = data if years is None else data[data[by].isin(years)]
    if sub[value].notna().sum() == 0:
        raise ValueError(f"no non-missing {value!r} for {by} in {years}")
    if "at" not in kwargs:
        v = sub[value].dropna()
        pad = 0.1 * (v.max() - v.min())
        kwargs["at"] = np.linspace(v.min() - pad, v.max() + pad, 100)
    frames = []
    for period, g in sub.groupby(by, sort=True):
        try:
            kd = kernel_density(g[value].to_numpy(), **kwargs)
        except ValueError as exc:
            raise ValueError(f"{by} = {period}: {exc}") from exc
        f = kd.to_frame()
        f.insert(0, by, period)
        f["bandwidth"] = kd.bandwidth
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
