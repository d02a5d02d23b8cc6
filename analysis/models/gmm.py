"""Dynamic panels: difference and system GMM (Arellano–Bond 1991; Blundell–Bond 1998).

Model
-----
.. math::

    y_{it} = \\sum_{l=1}^{p}\\rho_l\\, y_{i,t-l} + x_{it}'\\beta + \\lambda_t + \\mu_i + \\varepsilon_{it}

Difference GMM removes :math:`\\mu_i` by first differences and instruments the differenced
equation with lagged levels (``gmm(y, 2:.)``; endogenous regressors from lag 2, predetermined
from lag 1, strictly exogenous ones as ``iv()``); system GMM adds the level equation
instrumented with lagged differences. Two-step estimates use Windmeijer (2005)-corrected
standard errors. Instruments are *collapsed* by default (Roodman 2009, "How to do xtabond2",
Stata Journal 9(1): one column per lag instead of one per lag and period), because with 31
provinces the uncollapsed count quickly exceeds the number of groups, which weakens the
Hansen test and over-fits the endogenous variables.

Guard (``max_instruments="groups"``, the default): the instrument count must not exceed the
number of groups (Roodman's rule of thumb). An uncollapsed specification that exceeds it is
re-estimated with collapsed instruments (a :class:`UserWarning` and a note say so); a collapsed
one that still exceeds it is refused (:class:`ValueError`: limit the lags with ``max_lag``).
A lagged-dependent coefficient (sum over the lags) of 0.95 or more triggers a
:class:`UserWarning` and a note: near a unit root, lagged levels are weak instruments for the
differenced equation (Blundell & Bond 1998) and the long-run effect β/(1 − ρ) is undefined or
explosive. Every result carries Roodman's (2009) caveat on the Hansen J test in ``notes``.

Reported diagnostics: Arellano–Bond AR(1) and AR(2) tests in first differences (AR(1) is
expected to reject, AR(2) not), and Hansen's J test of over-identifying restrictions.

Estimation is delegated to pydynpd 0.2.2 (``regression.abond``), which reproduces Stata
``xtabond2``: on the Arellano–Bond data ``xtabond2 n L(1/2).n w k, gmm(n, lag(2 4))
gmm(w, lag(1 3)) iv(k) nolevel twostep robust`` gives L1.n 0.1700616 (0.1046652), Hansen
chi2(32) = 47.86, AR(2) z = −0.81 (``tests/test_gmm.py``). pydynpd calls ``numpy.in1d``,
removed in numpy 2.4: numpy is pinned below 2.4 in ``pyproject.toml``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.models.results import ModelResult

#: Printed with every GMM result (notes) and table: what the diagnostics can and cannot show.
ROODMAN_CAVEAT = (
    "Roodman (2009) caveat: {n_instr} instruments for {n_groups} groups; the Hansen J test "
    "(p = {hansen_p:.3f}) loses power as instruments multiply, so a p-value near 1 signals "
    "instrument proliferation, not valid instruments; AR(2) must not reject for the lagged "
    "levels to be valid instruments."
)


def _lag_spec(lo: int, hi: int | None) -> str:
    return f"{lo}:{'.' if hi is None else hi}"


def dynamic_gmm(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    entity: str,
    time: str,
    *,
    lags: int = 1,
    endogenous: Sequence[str] = (),
    predetermined: Sequence[str] = (),
    method: Literal["system", "difference"] = "system",
    collapse: bool = True,
    max_lag: int | None = None,
    gmm_lags: dict[str, tuple[int, int | None]] | None = None,
    steps: Literal[1, 2] = 2,
    time_dummies: bool = True,
    max_instruments: int | Literal["groups"] | None = "groups",
) -> ModelResult:
    """Difference or system GMM with collapsed instruments, AR(1)/AR(2) and Hansen J tests.

    Parameters
    ----------
    data : DataFrame
        Long panel; ``entity`` and ``time`` integer-coded (e.g. province_code, year).
    y : str
        Dependent variable; its lags ``1..lags`` enter as regressors, instrumented GMM-style
        from lag 2 (``gmm(y, 2:max_lag)``).
    x : sequence of str
        Other regressors. Those in ``endogenous`` get GMM-style instruments from lag 2, those
        in ``predetermined`` from lag 1, the rest are strictly exogenous (``iv()``).
    lags : int
        Number of lags of ``y`` (p ≥ 1).
    method : {"system", "difference"}
        System GMM (default; Blundell–Bond) or difference GMM (``nolevel``).
    collapse : bool
        Collapse GMM-style instruments (default True).
    max_lag : int, optional
        Deepest lag used as instrument (``None``: all available, xtabond2 ``lag(2 .)``).
    gmm_lags : dict of str -> (first, last), optional
        Per-variable lag range of the GMM-style instruments, overriding the defaults above
        (``{"n": (2, 4), "w": (1, 3)}`` = xtabond2 ``gmm(n, lag(2 4)) gmm(w, lag(1 3))``);
        ``last=None`` means all available lags.
    steps : {1, 2}
        One-step (robust) or two-step with Windmeijer-corrected errors (default).
    time_dummies : bool
        Include period dummies (recommended; assumption of no cross-sectional correlation).
    max_instruments : int, "groups" or None
        Largest instrument count accepted (default: the number of groups, Roodman 2009).
        Exceeded without collapsing: re-estimated with ``collapse=True`` and a note; exceeded
        with collapsed instruments: :class:`ValueError`. ``None`` only warns.

    Returns
    -------
    ModelResult
        ``params`` (``L1.<y>`` …, ``x``, period dummies ``<time>_<value>``, ``_con`` for
        system GMM), Windmeijer/robust ``std_errors``, z inference (``dof=None``); ``extra``:
        ``instruments``, ``hansen`` (J), ``hansen_df``, ``hansen_p``, ``ar1``, ``ar1_p``,
        ``ar2``, ``ar2_p``. ``nobs`` is xtabond2's "Number of obs": the differenced equation's
        count for difference GMM, the level equation's (rows with ``y``, its lags and ``x``)
        for system GMM, where pydynpd's own (differenced) count is kept in
        ``extra["nobs_diff_eq"]``.

    Raises
    ------
    KeyError
        Missing columns.
    ValueError
        Bad options, non-numeric identifiers, missing/blank/duplicate entity-periods, more
        instruments than ``max_instruments`` even when collapsed, or pydynpd's own rejection of
        the specification (its message included).

    Warns
    -----
    UserWarning
        Instruments collapsed automatically; more instruments than groups (``max_instruments=
        None``); lagged-dependent coefficient ≥ 0.95 (near unit root).
    """
    from pydynpd import regression

    from analysis._validate import check_keys

    x = list(x)
    for c in [y, *x, entity, time]:
        if c not in data.columns:
            raise KeyError(f"column {c!r} not in data")
    if method not in ("system", "difference"):
        raise ValueError(f"method must be 'system' or 'difference', got {method!r}")
    if steps not in (1, 2):
        raise ValueError(f"steps must be 1 or 2, got {steps!r}")
    if lags < 1:
        raise ValueError("lags must be >= 1 (a dynamic panel needs the lagged outcome)")
    unknown = [c for c in [*endogenous, *predetermined] if c not in x]
    if unknown:
        raise ValueError(f"endogenous/predetermined {unknown} are not among x {x}")
    for c in (entity, time):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ValueError(f"identifier {c!r} must be numeric (pydynpd)")
    check_keys(data, [entity, time], what="dynamic_gmm data")
    if max_instruments is not None and max_instruments != "groups" and (
            not isinstance(max_instruments, int | np.integer) or max_instruments < 1):
        raise ValueError(f"max_instruments must be a positive integer, 'groups' or None, got "
                         f"{max_instruments!r}")

    safe = {y: "v0"} | {c: f"v{i + 1}" for i, c in enumerate(x)}
    df = pd.DataFrame({"gid": data[entity].astype(np.int64).to_numpy(),
                       "tt": data[time].astype(np.int64).to_numpy()})
    for c, s in safe.items():
        df[s] = data[c].astype(float).to_numpy()
    y_seen = set(zip(df.loc[df["v0"].notna(), "gid"], df.loc[df["v0"].notna(), "tt"],
                     strict=True))  # (entity, period) with y observed: its lags exist
    n_na = int(df.isna().any(axis=1).sum())
    notes: list[str] = []
    if n_na:
        notes.append(f"{n_na} row(s) with missing values dropped before GMM")
        df = df.dropna()

    lag_terms = f"L(1:{lags}).v0" if lags > 1 else "L1.v0"
    part1 = " ".join(["v0", lag_terms, *[safe[c] for c in x]])
    rng = {y: (2, max_lag)} | {c: (2, max_lag) for c in endogenous} \
        | {c: (1, max_lag) for c in predetermined}
    for c, (lo, hi) in (gmm_lags or {}).items():
        if c not in rng:
            raise ValueError(f"gmm_lags given for {c!r}, which is neither y nor an "
                             "endogenous/predetermined regressor")
        if lo < 1 or (hi is not None and hi < lo):
            raise ValueError(f"bad lag range {(lo, hi)} for {c!r}")
        rng[c] = (lo, hi)
    gmm_parts = [f"gmm({safe[c]}, {_lag_spec(*rng[c])})" for c in rng]
    exog = [safe[c] for c in x if c not in endogenous and c not in predetermined]
    if exog:
        gmm_parts.append(f"iv({' '.join(exog)})")
    opts = []
    if time_dummies:
        opts.append("timedumm")
    if collapse:
        opts.append("collapse")
    if method == "difference":
        opts.append("nolevel")
    if steps == 1:
        opts.append("onestep")
    command = f"{part1} | {' '.join(gmm_parts)}" + (f" | {' '.join(opts)}" if opts else "")
    n_per = df["tt"].nunique()
    if n_per < lags + 2:
        raise ValueError(f"{n_per} period(s) with complete data: a dynamic panel with {lags} "
                         f"lag(s) of {y!r} needs at least {lags + 2} (lags, a difference and an "
                         "instrument)")
    if df["gid"].nunique() < 2:
        raise ValueError(f"only {df['gid'].nunique()} {entity} with complete data: GMM needs "
                         "several groups")
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = regression.abond(command, df, ["gid", "tt"])
    except SystemExit:
        raise ValueError(f"pydynpd rejected the specification {command!r}: "
                         f"{buf.getvalue().strip()[-500:]}") from None
    except (ValueError, TypeError):
        raise
    except Exception as exc:  # pydynpd raises bare Exception / LinAlgError on degenerate panels
        raise ValueError(f"pydynpd could not estimate {command!r} on this panel "
                         f"({df['gid'].nunique()} groups, {n_per} periods): "
                         f"{type(exc).__name__}: {exc}") from None
    mod = out.models[0]
    tab = mod.regression_table
    inv = {v: k for k, v in safe.items()}

    def rename(term: str) -> str:
        if term.startswith("L") and "." in term:
            lag, var = term.split(".", 1)
            return f"{lag}.{inv.get(var, var)}"
        if term.startswith("tt_"):
            return f"{time}_{term[3:]}"
        return inv.get(term, term)

    names = [rename(t) for t in tab["variable"]]
    params = pd.Series(tab["coefficient"].to_numpy(float), index=names, name="estimate")
    se = pd.Series(tab["std_err"].to_numpy(float), index=names, name="std_error")
    step = mod.step_results[-1]
    vcov = None
    V = np.asarray(getattr(step, "vcov", np.empty(0)), dtype=float)
    if V.shape == (len(names), len(names)):
        vcov = pd.DataFrame(V, index=names, columns=names)
    n_instr = int(mod.z_information.num_instr)
    n_groups = int(mod.N)
    limit = n_groups if max_instruments == "groups" else max_instruments
    if limit is not None and n_instr > limit:
        if not collapse:
            msg = (f"{n_instr} uncollapsed instruments exceed the limit of {limit} "
                   f"({'the number of groups' if max_instruments == 'groups' else 'max_instruments'}"
                   "): re-estimated with collapsed instruments (Roodman 2009)")
            warnings.warn(msg, UserWarning, stacklevel=2)
            res = dynamic_gmm(data, y, x, entity, time, lags=lags, endogenous=endogenous,
                              predetermined=predetermined, method=method, collapse=True,
                              max_lag=max_lag, gmm_lags=gmm_lags, steps=steps,
                              time_dummies=time_dummies, max_instruments=max_instruments)
            res.notes.insert(0, msg)
            return res
        raise ValueError(
            f"{n_instr} instruments (collapsed) exceed the limit of {limit} for {n_groups} "
            "groups: the Hansen test would be weakened and the estimates drift toward OLS/FE "
            "(Roodman 2009); set max_lag (e.g. max_lag=3) or drop time dummies, or pass "
            "max_instruments=None to accept it"
        )
    if n_instr > n_groups:
        msg = (f"{n_instr} instruments exceed the {n_groups} groups: the Hansen test is "
               "weakened and estimates drift toward OLS/FE (Roodman 2009); collapse, or set "
               "max_lag")
        warnings.warn(msg, UserWarning, stacklevel=2)
        notes.append(msg)
    ar = {a.lag: a for a in mod.AR_list}
    extra: dict[str, float | str] = {
        "instruments": float(n_instr),
        "hansen": float(mod.hansen.test_value),
        "hansen_df": float(mod.hansen.df),
        "hansen_p": float(mod.hansen.p_value),
    }
    for k in (1, 2):
        if k in ar:
            extra[f"ar{k}"] = float(ar[k].AR)
            extra[f"ar{k}_p"] = float(ar[k].P_value)
    extra["command"] = command
    rho = float(sum(params.get(f"L{k}.{y}", 0.0) for k in range(1, lags + 1)))
    extra["rho_sum"] = rho
    if rho >= 0.95:
        msg = (f"lagged {y} coefficient{'s sum to' if lags > 1 else ' is'} {rho:.3f} >= 0.95: "
               "near a unit root, lagged levels are weak instruments for the differenced "
               "equation (Blundell & Bond 1998) and the long-run effect beta/(1 - rho) is "
               "undefined or explosive; read the dynamics with care")
        warnings.warn(msg, UserWarning, stacklevel=2)
        notes.append(msg)
    notes.append(ROODMAN_CAVEAT.format(n_instr=n_instr, n_groups=n_groups,
                                       hansen_p=extra["hansen_p"]))
    kind = "sys-gmm" if method == "system" else "diff-gmm"
    nobs = int(mod.num_obs)
    if method == "system":
        # xtabond2 reports the level equation's observations (rows with y, its lags and x);
        # pydynpd reports the differenced equation's. Count the former here.
        extra["nobs_diff_eq"] = float(nobs)
        lag_ok = np.ones(len(df), dtype=bool)
        for L in range(1, lags + 1):
            lag_ok &= np.array([(g, t - L) in y_seen for g, t in zip(df["gid"], df["tt"],
                                                                     strict=True)])
        nobs = int(lag_ok.sum())
    return ModelResult(
        params=params,
        std_errors=se,
        nobs=nobs,
        depvar=y,
        model=kind,
        n_groups=n_groups,
        dof=None,
        fixed_effects=[entity] + ([time] if time_dummies else []),
        cluster=entity,
        vcov_type=("two-step, Windmeijer-corrected" if steps == 2 else "one-step, robust")
        + (", collapsed instruments" if collapse else ""),
        notes=notes,
        extra=extra,
        vcov=vcov,
        n_clusters=n_groups,
    )
