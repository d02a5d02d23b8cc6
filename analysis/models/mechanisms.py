"""Mechanisms: mediation (stepwise with Sobel and cluster bootstrap; 江艇 2022) and moderation.

Mediation (Baron & Kenny 1986, stepwise), all with entity and time fixed effects and the same
estimation sample:

.. math::

    (1)\\; Y = c\\,X + W'\\gamma_1 + \\mu_i + \\lambda_t + e_1 \\qquad
    (2)\\; M = a\\,X + W'\\gamma_2 + \\mu_i + \\lambda_t + e_2 \\qquad
    (3)\\; Y = c'X + b\\,M + W'\\gamma_3 + \\mu_i + \\lambda_t + e_3

Indirect effect :math:`ab` (with the same sample, :math:`c = c' + ab` exactly for these linear
within estimators). Sobel (1982) first-order delta-method standard error
:math:`s_{ab} = \\sqrt{b^2 s_a^2 + a^2 s_b^2}` (``sgmediation``'s Sobel; :math:`s_a, s_b` the
cluster-robust errors from (2) and (3)); normal p-value. Bootstrap: whole entities (provinces)
drawn with replacement (each draw a new entity), (2) and (3) re-estimated, percentile
confidence interval of :math:`ab` (Preacher & Hayes 2008, clustered as in Cameron, Gelbach &
Miller 2008). Deterministic for a given ``seed``.

江艇 (2022), "因果推断经验研究中的中介效应与调节效应", 《中国工业经济》(5): 100–120, argues that
step (3) does not identify :math:`b` (M is itself an outcome of X and shares its confounders),
so the stepwise :math:`ab`, Sobel test and bootstrap are not causal evidence. The recommended
practice is to identify X → M (step (2), with the same design as X → Y) and to argue M → Y from
theory and the literature (choosing an M whose effect on Y is direct and evident). The result
reports the step-(2) coefficient as "江艇 (2022) X→M" next to the stepwise numbers, with a note.

Moderation: :math:`Y = \\beta_1 \\tilde X + \\beta_2 \\tilde Z + \\beta_3 \\tilde X\\tilde Z +
W'\\gamma + \\mu_i + \\lambda_t + e` with :math:`\\tilde X = X - \\bar X`, :math:`\\tilde Z = Z -
\\bar Z` (centred on the estimation sample, Aiken & West 1991). Marginal effect
:math:`\\partial Y/\\partial X\\,(z) = \\beta_1 + \\beta_3 (z - \\bar Z)`, delta-method
standard error :math:`\\sqrt{V_{11} + (z-\\bar Z)^2 V_{33} + 2 (z - \\bar Z) V_{13}}` with the
clustered :math:`V`, t(dof) intervals (Brambor, Clark & Golder 2006).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.models.results import ModelResult
from analysis.models.twfe import demean, demean_array, prepare_sample, twfe

JIANG_NOTE = {
    "en": ("Following Jiang (2022, China Industrial Economics), the mechanism is identified by "
           "the effect of X on M (same design as X→Y); the M→Y link is argued from theory and "
           "the literature. The stepwise indirect effect, Sobel test and bootstrap are reported "
           "for comparison only: M is endogenous in the third step."),
    "zh": ("参照江艇（2022，《中国工业经济》），机制识别依据X对M的因果效应（与X→Y相同的识别设计），"
           "M对Y的作用由理论与既有文献论证；逐步法的间接效应、Sobel检验与自助法仅供对照，"
           "因第三步中M本身是内生的。"),
}


# ---------------------------------------------------------------------------------------------
# fast within estimator for bootstrap replications
# ---------------------------------------------------------------------------------------------
def _ols(yv: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, yv, rcond=None)[0]


# ---------------------------------------------------------------------------------------------
# mediation
# ---------------------------------------------------------------------------------------------
@dataclass
class MediationResult:
    """Stepwise mediation with Sobel and bootstrap, and the 江艇 (2022) X→M estimate.

    Attributes
    ----------
    total, a_path, direct : ModelResult
        Steps (1) Y~X, (2) M~X, (3) Y~X+M (all with W and the fixed effects).
    a, b, c, c_prime : float
        Coefficients of X in (2), of M in (3), of X in (1) and (3).
    indirect : float
        a·b.
    sobel_se, sobel_z, sobel_p : float
    boot_ci : (float, float)
        Percentile interval of a·b from the entity-cluster bootstrap (NaN if ``bootstrap=0``).
    boot_se : float
        Standard deviation of the bootstrap a·b.
    boot_reps : int
        Successful replications.
    share_mediated : float
        a·b / c.
    jiang : dict
        ``{"estimate", "std_error", "p_value"}`` of X→M, and ``note`` (en/zh).
    """

    total: ModelResult
    a_path: ModelResult
    direct: ModelResult
    a: float
    b: float
    c: float
    c_prime: float
    indirect: float
    sobel_se: float
    sobel_z: float
    sobel_p: float
    boot_ci: tuple[float, float]
    boot_se: float
    boot_reps: int
    level: float
    share_mediated: float
    jiang: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary_table(self, lang: str = "en") -> pd.DataFrame:
        """One row per reported quantity (name, estimate, std_error, statistic, p_value, ci)."""
        lo, hi = self.boot_ci
        names = {
            "en": ["Total effect c (X→Y)", "a (X→M) — Jiang (2022) identification",
                   "b (M→Y | X)", "Direct effect c'", "Indirect effect a·b (Sobel)",
                   f"Indirect effect a·b (cluster bootstrap {self.level:.0%} CI)"],
            "zh": ["总效应 c（X→Y）", "a（X→M）——江艇（2022）识别", "b（M→Y | X）", "直接效应 c'",
                   "间接效应 a·b（Sobel）", f"间接效应 a·b（聚类自助法 {self.level:.0%} 置信区间）"],
        }[lang]

        def row(name, r: ModelResult | None, term: str | None, est=None, se=None, z=None,
                p=None, ci=(np.nan, np.nan)):
            if r is not None:
                est, se = float(r.params[term]), float(r.std_errors[term])
                z, p = est / se, float(r.pvalues[term])
                ci = tuple(r.conf_int(self.level).loc[term])
            return {"quantity": name, "estimate": est, "std_error": se, "statistic": z,
                    "p_value": p, "ci_lower": ci[0], "ci_upper": ci[1]}

        x = self.total.params.index[0]
        m = self.a_path.depvar
        return pd.DataFrame([
            row(names[0], self.total, x),
            row(names[1], self.a_path, x),
            row(names[2], self.direct, m),
            row(names[3], self.direct, x),
            row(names[4], None, None, self.indirect, self.sobel_se, self.sobel_z, self.sobel_p),
            row(names[5], None, None, self.indirect, self.boot_se, np.nan, np.nan, (lo, hi)),
        ])


def mediation(
    data: pd.DataFrame,
    y: str,
    x: str,
    m: str,
    entity: str,
    time: str,
    *,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    bootstrap: int = 500,
    seed: int | None = None,
    level: float = 0.95,
    **twfe_kwargs,
) -> MediationResult:
    """Stepwise mediation analysis with fixed effects, Sobel test and cluster bootstrap.

    Parameters
    ----------
    data : DataFrame
        Long panel.
    y, x, m : str
        Outcome, treatment (key regressor) and mediator columns.
    entity, time : str
        Panel identifiers (entity and time fixed effects in every step).
    controls : sequence of str
        Controls W in every step.
    cluster : str, optional
        Cluster variable for the standard errors and the bootstrap unit (default entity).
        The bootstrap resamples whole ``entity`` groups when ``cluster`` is the entity, else
        whole clusters.
    bootstrap : int
        Replications (0 to skip). 500–2000 is usual; 1000 in sgmediation examples.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the same seed gives the same interval.
    level : float
        Confidence level of the bootstrap interval.

    Returns
    -------
    MediationResult

    Raises
    ------
    ValueError, KeyError
        As :func:`analysis.models.twfe.twfe` (missing columns, absorbed regressors …), or
        ``m`` equal to ``x`` or ``y``.
    """
    if m in (x, y) or x == y:
        raise ValueError(f"y, x and m must be different columns, got y={y!r}, x={x!r}, m={m!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    controls = list(controls)
    cl = cluster or entity
    cols = [y, x, m, *controls, entity, time] + ([cl] if cl not in (entity, time) else [])
    for c in cols:
        if c not in data.columns:
            raise KeyError(f"column {c!r} not in data")
    sample, notes, _ = prepare_sample(data, cols, [entity, time],
                                      missing=twfe_kwargs.pop("missing", "drop"))
    kw = dict(cluster=cluster, **twfe_kwargs)
    total = twfe(sample, y, [x, *controls], entity, time, **kw)
    a_path = twfe(sample, m, [x, *controls], entity, time, **kw)
    direct = twfe(sample, y, [x, m, *controls], entity, time, **kw)
    a, sa = float(a_path.params[x]), float(a_path.std_errors[x])
    b, sb = float(direct.params[m]), float(direct.std_errors[m])
    c, cp = float(total.params[x]), float(direct.params[x])
    ab = a * b
    sobel_se = float(np.sqrt(b**2 * sa**2 + a**2 * sb**2))
    sobel_z = ab / sobel_se
    sobel_p = float(2 * stats.norm.sf(abs(sobel_z)))

    draws = np.array([])
    if bootstrap and bootstrap > 0:
        rng = np.random.default_rng(seed)
        s = sample.reset_index(drop=True)
        units = s[cl].to_numpy()
        uniq, inv = np.unique(units, return_inverse=True)
        rows_of = [np.flatnonzero(inv == k) for k in range(uniq.size)]
        t_codes_all = pd.factorize(s[time])[0]
        e_codes_all = pd.factorize(s[entity])[0]
        V = s[[y, m, x, *controls]].to_numpy(float)
        out = []
        for _ in range(int(bootstrap)):
            pick = rng.integers(0, uniq.size, uniq.size)
            idx = np.concatenate([rows_of[k] for k in pick])
            # each drawn cluster is a new set of entities
            draw_id = np.repeat(np.arange(pick.size), [rows_of[k].size for k in pick])
            ent = pd.factorize(pd.Series(draw_id) * (e_codes_all.max() + 1)
                               + e_codes_all[idx])[0]
            tc = pd.factorize(t_codes_all[idx])[0]
            D = demean_array(V[idx], [ent, tc], tol=1e-10, maxiter=1000)
            yv, mv, Xw = D[:, 0], D[:, 1], D[:, 2:]
            try:
                a_b = _ols(mv, Xw)[0]
                b_b = _ols(yv, np.column_stack([Xw[:, :1], mv, Xw[:, 1:]]))[1]
            except np.linalg.LinAlgError:
                continue
            if np.isfinite(a_b * b_b):
                out.append(a_b * b_b)
        draws = np.asarray(out)
    if draws.size:
        alpha = (1 - level) / 2
        ci = (float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha)))
        boot_se = float(draws.std(ddof=1))
    else:
        ci, boot_se = (float("nan"), float("nan")), float("nan")
    if draws.size and draws.size < bootstrap:
        notes.append(f"{bootstrap - draws.size} bootstrap replications failed and were skipped")

    jiang = {"estimate": a, "std_error": sa, "p_value": float(a_path.pvalues[x]),
             "note_en": JIANG_NOTE["en"], "note_zh": JIANG_NOTE["zh"]}
    return MediationResult(
        total=total, a_path=a_path, direct=direct, a=a, b=b, c=c, c_prime=cp, indirect=ab,
        sobel_se=sobel_se, sobel_z=sobel_z, sobel_p=sobel_p, boot_ci=ci, boot_se=boot_se,
        boot_reps=int(draws.size), level=level, share_mediated=ab / c if c != 0 else float("nan"),
        jiang=jiang, notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# mechanical links between a regressor and a composite mediator
# ---------------------------------------------------------------------------------------------
#: Panel columns that are R&D expenditure or a part of it (the numerator of R&D intensity).
RD_COLUMNS = frozenset({"rd_intensity", "rd_exp", "rd_exp_basic", "rd_exp_enterprise",
                        "ind_rd_exp", "hightech_rd_exp"})


def formula_positions(formula: str) -> dict[str, set[str]]:
    """Columns of an indicator formula that stand in a numerator and in a denominator.

    A column under the right operand of an odd number of divisions is in the denominator
    (``a / (b / c)``: ``c`` is in the numerator again); every other column is in the
    numerator. ``rd_intensity`` (a panel ratio R&D / GDP) counts as the numerator ``rd_exp``
    over the denominator ``gdp``.

    Parameters
    ----------
    formula : str
        A ``spec.yaml`` formula: column names, numbers, ``+ - * /`` (also ``× ÷ −``) and
        parentheses (the framework's grammar, :func:`analysis.framework.spec.parse_formula`).

    Returns
    -------
    dict
        ``{"numerator": set of str, "denominator": set of str}``.

    Raises
    ------
    ValueError
        A syntax error or a construct outside that grammar (calls, attributes, powers …).
    """
    import ast

    text = str(formula).translate(str.maketrans({"×": "*", "÷": "/", "−": "-"})).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"syntax error in formula {formula!r}: {exc.msg}") from None
    out: dict[str, set[str]] = {"numerator": set(), "denominator": set()}

    def walk(node, flipped: bool) -> None:
        if isinstance(node, ast.Name):
            out["denominator" if flipped else "numerator"].add(node.id)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult
                                                        | ast.Div):
            walk(node.left, flipped)
            walk(node.right, not flipped if isinstance(node.op, ast.Div) else flipped)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            walk(node.operand, flipped)
        elif not (isinstance(node, ast.Constant) and isinstance(node.value, int | float)):
            raise ValueError(f"{type(node).__name__} not allowed in formula {formula!r} (only "
                             "column names, numbers, + - * / and parentheses)")

    walk(tree.body, False)
    for side, other in (("numerator", "denominator"), ("denominator", "numerator")):
        if "rd_intensity" in out[side]:  # R&D / GDP
            out[side].add("rd_exp")
            out[other].add("gdp")
    return out


def mechanical_components(indicators: pd.DataFrame, *,
                          x_numerator: frozenset[str] = RD_COLUMNS,
                          x_denominator: frozenset[str] = frozenset({"gdp"}),
                          x_itself: str = "rd_intensity") -> pd.DataFrame:
    """Indicators of a composite mediator that are mechanically related to the regressor X.

    For X = R&D expenditure / GDP (``rd_intensity``), each indicator of the composite is
    classified by where R&D expenditure (or a part of it, ``x_numerator``) and GDP
    (``x_denominator``) stand in its formula (:func:`formula_positions`):

    * ``"is X"``: the indicator is X itself (positive mechanical link);
    * ``"R&D in numerator"``: R&D (a part of X's numerator) over something else — rises with
      X by construction (positive);
    * ``"R&D in denominator"``: something per unit of R&D — falls as X's numerator rises
      (negative);
    * ``"common denominator"``: a ratio to GDP, X's denominator, without R&D: a GDP shock moves
      both ratios the same way (a spurious correlation of ratios with a common denominator;
      Kronmal 1993, J. R. Stat. Soc. A 156(3));
    * R&D in both numerator and denominator (a composition share such as enterprises' share of
      R&D) is not listed: it has no mechanical link to the level of X.

    Parameters
    ----------
    indicators : DataFrame
        One row per indicator of the composite with ``name``, ``formula``, ``label_en``,
        ``label_zh`` and ``direction`` ("positive" / "negative"); optional ``weight`` — e.g.
        the framework's ``integration_codebook.csv`` rows (``transformation`` = formula) joined
        with its weights.

    Returns
    -------
    DataFrame
        One row per listed indicator: ``name``, ``label_en``, ``label_zh``, ``relation``
        (above), ``sign`` (+1, −1: the direction in which the mechanical part moves the
        indicator's contribution when X rises, its ``direction`` applied) and ``weight`` (NaN
        when not given).

    Raises
    ------
    KeyError
        A required column is missing.
    ValueError
        A formula outside the grammar of :func:`formula_positions`.
    """
    need = ["name", "formula", "label_en", "label_zh", "direction"]
    missing = [c for c in need if c not in indicators.columns]
    if missing:
        raise KeyError(f"indicator table lacks columns {missing}")
    rows = []
    for ind in indicators.itertuples(index=False):
        pos = formula_positions(ind.formula)
        cols = pos["numerator"] | pos["denominator"]
        num = bool(pos["numerator"] & x_numerator)
        den = bool(pos["denominator"] & x_numerator)
        if cols == {x_itself, "rd_exp", "gdp"} and str(ind.formula).strip() == x_itself:
            rel, sign = "is X", 1
        elif num and not den:
            rel, sign = "R&D in numerator", 1
        elif den and not num:
            rel, sign = "R&D in denominator", -1
        elif not num and not den and pos["denominator"] & x_denominator:
            rel, sign = "common denominator", 1
        else:
            continue
        rows.append({"name": ind.name, "label_en": ind.label_en, "label_zh": ind.label_zh,
                     "relation": rel,
                     "sign": sign * (1 if ind.direction == "positive" else -1),
                     "weight": float(getattr(ind, "weight", np.nan))})
    return pd.DataFrame(rows, columns=["name", "label_en", "label_zh", "relation", "sign",
                                       "weight"])


# ---------------------------------------------------------------------------------------------
# moderation
# ---------------------------------------------------------------------------------------------
@dataclass
class ModerationResult:
    """Centred-interaction model and marginal effects of X over the moderator.

    Attributes
    ----------
    model : ModelResult
        Regressors ``x``, ``z`` (if identified), ``"x×z"`` and the controls (centred x, z).
    margins : DataFrame
        ``z`` (original scale), ``dydx``, ``std_error``, ``ci_lower``, ``ci_upper``,
        ``p_value``.
    x_mean, z_mean : float
        Centring constants.
    """

    model: ModelResult
    margins: pd.DataFrame
    x_mean: float
    z_mean: float
    interaction: str
    notes: list[str] = field(default_factory=list)


def moderation(
    data: pd.DataFrame,
    y: str,
    x: str,
    z: str,
    entity: str,
    time: str,
    *,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    center: bool = True,
    grid: Sequence[float] | None = None,
    n_grid: int = 20,
    level: float = 0.95,
    **twfe_kwargs,
) -> ModerationResult:
    """Moderation with a centred interaction and marginal effects dY/dX over Z.

    Parameters
    ----------
    y, x, z : str
        Outcome, regressor and moderator.
    controls, cluster, entity, time
        As in :func:`twfe`.
    center : bool
        Centre X and Z at their estimation-sample means before interacting (default True;
        the marginal effects do not depend on it, the main-effect coefficients do).
    grid : sequence of float, optional
        Moderator values (original scale) for the marginal effects; default ``n_grid``
        equally spaced points between the 5th and 95th percentiles of Z.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    ModerationResult

    Raises
    ------
    ValueError, KeyError
        As :func:`twfe`; ``x == z``.
    """
    if x == z:
        raise ValueError("x and z must differ")
    controls = list(controls)
    cols = [y, x, z, *controls, entity, time] + ([cluster] if cluster else [])
    for c in cols:
        if c not in data.columns:
            raise KeyError(f"column {c!r} not in data")
    sample, notes, _ = prepare_sample(data, list(dict.fromkeys(cols)), [entity, time],
                                      missing=twfe_kwargs.pop("missing", "drop"))
    s = sample.copy()
    xm = float(s[x].mean()) if center else 0.0
    zm = float(s[z].mean()) if center else 0.0
    xc, zc, inter = f"{x}", f"{z}", f"{x}×{z}"
    s[xc] = s[x] - xm
    s[zc] = s[z] - zm
    s[inter] = s[xc] * s[zc]
    regs = [xc, zc, inter, *controls]
    # a time-invariant moderator (e.g. a region dummy) is absorbed by the entity effect
    w = demean(s[[zc]].astype(float), s[[entity, time]])
    if float((w**2).sum().iloc[0]) < 1e-10 * float(((s[zc] - s[zc].mean()) ** 2).sum() + 1e-300):
        regs.remove(zc)
        notes.append(f"{z} has no within variation: its main effect is absorbed by the "
                     "fixed effects; only the interaction is estimated")
    res = twfe(s, y, regs, entity, time, cluster=cluster, **twfe_kwargs)
    res.notes = notes + res.notes
    if center:
        res.notes.append(f"{x} and {z} centred at their sample means ({xm:.6g}, {zm:.6g})")

    if grid is None:
        lo, hi = sample[z].quantile([0.05, 0.95])
        grid = np.linspace(lo, hi, n_grid)
    g = np.asarray(grid, dtype=float) - zm
    V = res.vcov
    b1, b3 = float(res.params[xc]), float(res.params[inter])
    dydx = b1 + b3 * g
    var = V.loc[xc, xc] + g**2 * V.loc[inter, inter] + 2 * g * V.loc[xc, inter]
    se = np.sqrt(np.asarray(var, float))
    q = stats.t.isf((1 - level) / 2, res.dof) if res.dof else stats.norm.isf((1 - level) / 2)
    tstat = dydx / se
    p = 2 * (stats.t.sf(np.abs(tstat), res.dof) if res.dof else stats.norm.sf(np.abs(tstat)))
    margins = pd.DataFrame({"z": np.asarray(grid, float), "dydx": dydx, "std_error": se,
                            "ci_lower": dydx - q * se, "ci_upper": dydx + q * se, "p_value": p})
    return ModerationResult(model=res, margins=margins, x_mean=xm, z_mean=zm, interaction=inter,
                            notes=notes)
