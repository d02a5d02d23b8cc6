"""Entropy weight method (熵值法 / 熵权法) and entropy-weighted TOPSIS.

The composite-index workhorse of the Chinese regional-economics literature. Implemented here in
its *panel* form (min-max normalisation over all provinces and years together, so scores are
comparable over time), its per-year *cross-sectional* form, and entropy-weighted TOPSIS.

Notation: ``n_obs`` observations (rows; e.g. N provinces × T years) and ``m`` indicators (columns).

Steps (Shannon entropy applied to attribute weighting as in Hwang & Yoon 1981, *Multiple
Attribute Decision Making*, Springer, §2.3; panel form as used throughout the Chinese literature):

1. Normalise. Positive indicator: ``z_ij = (x_ij − min_j) / (max_j − min_j)``; negative
   indicator: ``z_ij = (max_j − x_ij) / (max_j − min_j)``; min and max over all rows (panel form)
   or within each year (cross-sectional form). ``z ∈ [0, 1]``.
2. Shift: ``z'_ij = z_ij + shift``. The literature uses shift = 0.0001 … 0.01 so that no
   proportion is zero; ``shift = 0`` instead applies the convention ``0 · ln 0 = 0``.
3. Proportions: ``p_ij = z'_ij / Σ_i z'_ij``.
4. Entropy: ``e_j = −k Σ_i p_ij ln p_ij`` with ``k = 1 / ln(n_obs)`` (= 1/ln(N·T) in the panel
   form), so ``e_j ∈ [0, 1]``.
5. Divergence ``d_j = 1 − e_j``; weight ``w_j = d_j / Σ_j d_j``.
6. Score ``s_i = Σ_j w_j z_ij`` (the *unshifted* normalised values, so ``s ∈ [0, 1]``).

Min-max normalisation makes the weights invariant to any positive affine rescaling of an
indicator (units, currency, per-capita scalings by a constant).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis._validate import CONSTANT_RTOL, check_finite, check_labels, constant_columns

__all__ = [
    "EntropyResult",
    "GroupedEntropyResult",
    "TopsisResult",
    "entropy_weight",
    "entropy_weight_by_group",
    "entropy_topsis",
    "minmax_normalise",
]

Direction = Literal["+", "-"]
_POS = {"+", "positive", "pos", "benefit", 1}  # 1 == 1.0 == True
_NEG = {"-", "negative", "neg", "cost", -1}


@dataclass
class EntropyResult:
    """Result of the entropy weight method.

    Attributes
    ----------
    weights : pandas.Series
        Indicator weights ``w_j`` (index = indicator names, length m), summing to 1.
    scores : pandas.Series
        Composite score ``s_i = Σ_j w_j z_ij`` aligned with the input index (length n_obs),
        in [0, 1] with the default min-max normalisation (with ``normalise="none"`` it is in
        the units of the raw indicators).
    entropy : pandas.Series
        Information entropy ``e_j`` per indicator.
    divergence : pandas.Series
        ``d_j = 1 − e_j`` (degree of divergence / 差异系数).
    normalised : pandas.DataFrame
        ``z_ij`` before the shift (n_obs by m).
    directions : pandas.Series
        ``"+"`` or ``"-"`` per indicator.
    shift : float
        The shift constant used (0 means the ``0·ln0 = 0`` convention).
    k : float
        ``1 / ln(n_obs)``.
    """

    weights: pd.Series
    scores: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    normalised: pd.DataFrame
    directions: pd.Series
    shift: float
    k: float

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per indicator: direction, entropy, divergence, weight."""
        return pd.DataFrame(
            {
                "direction": self.directions,
                "entropy": self.entropy,
                "divergence": self.divergence,
                "weight": self.weights,
            }
        ).rename_axis("indicator")


def _parse_directions(columns: pd.Index, directions) -> pd.Series:
    """Turn ``directions`` into a Series of ``"+"``/``"-"`` indexed by ``columns``."""
    if directions is None:
        return pd.Series("+", index=columns, dtype=object)
    if isinstance(directions, str):
        directions = [directions] * len(columns)
    if isinstance(directions, Mapping | pd.Series):
        unknown = [c for c in dict(directions) if c not in columns]
        if unknown:
            raise ValueError(f"directions given for columns not in data: {unknown}")
        raw = {c: dict(directions).get(c, "+") for c in columns}
    else:
        seq = list(directions)
        if len(seq) != len(columns):
            raise ValueError(
                f"directions has {len(seq)} entries but data has {len(columns)} indicators"
            )
        raw = dict(zip(columns, seq, strict=True))
    out = {}
    for col, d in raw.items():
        key = d.strip().lower() if isinstance(d, str) else d
        if key in _POS:
            out[col] = "+"
        elif key in _NEG:
            out[col] = "-"
        else:
            raise ValueError(
                f"direction {d!r} for indicator {col!r} not understood; use '+' or '-'"
            )
    return pd.Series(out, dtype=object).reindex(columns)


def _check_numeric(data: pd.DataFrame) -> np.ndarray:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame of indicators, got {type(data).__name__}")
    if data.shape[1] == 0:
        raise ValueError("data has no indicator columns")
    if data.shape[0] < 2:
        raise ValueError(f"the entropy method needs at least 2 observations (rows), got "
                         f"{data.shape[0]}")
    if data.columns.duplicated().any():
        raise ValueError(
            f"duplicate indicator names: {list(data.columns[data.columns.duplicated()].unique())}"
        )
    non_num = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    if non_num:
        raise TypeError(f"indicator columns must be numeric; not numeric: {non_num}")
    x = data.to_numpy(dtype=float, na_value=np.nan)
    try:
        check_finite(x, what="indicators", index=data.index, columns=data.columns)
    except ValueError as exc:
        raise ValueError(f"{exc}. Impute or drop them before weighting (the entropy method has "
                         "no missing-value rule).") from None
    return x


def minmax_normalise(
    data: pd.DataFrame,
    directions=None,
    *,
    on_constant: Literal["raise", "zero"] = "raise",
    rtol: float = CONSTANT_RTOL,
) -> pd.DataFrame:
    """Min-max normalise indicators to [0, 1] over all rows, respecting their direction.

    Parameters
    ----------
    data : pandas.DataFrame
        n_obs by m indicators (numeric, no missing values).
    directions : None, str, sequence or mapping, optional
        ``"+"`` (positive, larger is better) or ``"-"`` (negative / cost) per indicator;
        ``None`` means all positive. A mapping may list only the negative ones.
    on_constant : {"raise", "zero"}
        A constant column has no range. ``"raise"`` (default) raises; ``"zero"`` sets it to 0
        (it then gets zero entropy weight). "Constant" allows floating-point rounding: a column
        whose range is at most ``rtol · max|x|`` is constant.
    rtol : float, default :data:`analysis._validate.CONSTANT_RTOL` (1e-9)
        Relative tolerance of "constant". Min-max normalising a column that differs only by
        rounding (``[0.1 + 0.2, 0.3, 0.3]``) would blow the noise up to [0, 1] and give it the
        largest entropy weight.

    Returns
    -------
    pandas.DataFrame
        ``z_ij = (x_ij − min_j)/(max_j − min_j)`` for positive, ``(max_j − x_ij)/(max_j − min_j)``
        for negative indicators; same shape, index and columns as ``data``.

    Raises
    ------
    TypeError, ValueError
        Non-numeric columns, missing/infinite values (naming the columns and rows), a constant
        column when ``on_constant="raise"`` (naming it), or unknown directions.
    """
    x = _check_numeric(data)
    dirs = _parse_directions(data.columns, directions)
    if on_constant not in ("raise", "zero"):
        raise ValueError(f"on_constant must be 'raise' or 'zero', got {on_constant!r}")
    if not np.isfinite(rtol) or rtol < 0:
        raise ValueError(f"rtol must be a finite number >= 0, got {rtol!r}")
    lo, hi = x.min(axis=0), x.max(axis=0)
    rng = hi - lo
    const = constant_columns(x, rtol=rtol)
    if const.any() and on_constant == "raise":
        cols = list(data.columns[const])
        raise ValueError(
            f"constant indicator(s) {cols}: max − min ≤ {rtol:g} · max|x| (constant up to "
            "rounding), so min-max normalisation is undefined and the indicator carries no "
            "information. Drop it, or pass on_constant='zero'."
        )
    safe = np.where(const, 1.0, rng)
    z = (x - lo) / safe
    neg = (dirs == "-").to_numpy()
    z[:, neg] = (hi[neg] - x[:, neg]) / safe[neg]
    z[:, const] = 0.0
    return pd.DataFrame(z, index=data.index, columns=data.columns)


def _entropy_core(z: np.ndarray, shift: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Entropy ``e_j`` and weights ``w_j`` from normalised values ``z`` (n by m)."""
    n = z.shape[0]
    zs = z + shift
    col_sum = zs.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(col_sum > 0, zs / np.where(col_sum > 0, col_sum, 1.0), 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)  # 0·ln0 = 0
    k = 1.0 / np.log(n)
    e = -k * plogp.sum(axis=0)
    # a column with all z = 0 (constant, on_constant="zero", shift=0) carries no information;
    # nor does one whose shifted values are all equal: its entropy is 1 exactly, not the
    # 0.9999999999999998 that rounding gives (which would hand it all the weight)
    e = np.where((col_sum > 0) & ~constant_columns(zs), e, 1.0)
    e = np.clip(e, 0.0, 1.0)
    d = 1.0 - e
    if d.sum() <= 0:
        raise ValueError(
            "all indicators have entropy 1 (no variation after normalisation); weights undefined"
        )
    return e, d / d.sum(), k


def entropy_weight(
    data: pd.DataFrame,
    directions=None,
    *,
    shift: float = 0.0,
    normalise: Literal["minmax", "none"] = "minmax",
    on_constant: Literal["raise", "zero"] = "raise",
    rtol: float = CONSTANT_RTOL,
) -> EntropyResult:
    """Entropy weight method, panel form (normalisation over all rows).

    Parameters
    ----------
    data : pandas.DataFrame
        n_obs by m indicators; rows are observations (e.g. province-years, N·T rows), columns
        are indicators in any units. No missing values.
    directions : None, str, sequence or mapping, optional
        ``"+"`` (positive) / ``"-"`` (negative) per indicator; ``None`` = all positive. A mapping
        may list only some indicators (the rest are positive).
    shift : float, default 0.0
        Constant added to the normalised values before taking proportions. The literature uses
        0.0001–0.01 (e.g. 0.0001 in many 熵值法 papers, 0.01 in others); the choice changes the
        weights slightly. ``0`` (default) keeps the unshifted values and uses ``0·ln0 = 0``.
    normalise : {"minmax", "none"}
        ``"minmax"`` (default) as in the module notes. ``"none"`` takes the data as already
        non-negative and comparable (``p_ij = x_ij / Σ_i x_ij``); negative values then raise.
    on_constant : {"raise", "zero"}
        Constant indicator (up to ``rtol``, see :func:`minmax_normalise`): raise (default) or
        give it weight 0.
    rtol : float
        Relative tolerance of "constant" (default 1e-9).

    Returns
    -------
    EntropyResult
        ``.weights`` (Series over indicators, sum 1), ``.scores`` (Series aligned with
        ``data.index``), ``.entropy``, ``.divergence``, ``.normalised``.

    Raises
    ------
    TypeError
        ``data`` not a DataFrame or non-numeric columns.
    ValueError
        Missing/infinite values (naming columns and first rows), constant indicator (naming it),
        negative ``shift``, negative values with ``normalise="none"`` (naming the columns),
        fewer than two rows, unknown direction.

    Notes
    -----
    ``e_j = −(1/ln n_obs) Σ_i p_ij ln p_ij``, ``p_ij = (z_ij + shift) / Σ_i (z_ij + shift)``,
    ``w_j = (1 − e_j) / Σ_j (1 − e_j)``, ``s_i = Σ_j w_j z_ij``. In the panel form
    ``n_obs = N·T`` so ``k = 1/ln(N·T)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0]})
    >>> res = entropy_weight(df, {"b": "-"}, shift=0.01)
    >>> round(float(res.weights.sum()), 12)
    1.0
    """
    if not isinstance(shift, int | float | np.integer | np.floating) or not np.isfinite(shift) \
            or shift < 0:
        raise ValueError(f"shift must be a finite number >= 0, got {shift!r}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame of indicators, got {type(data).__name__}")
    dirs = _parse_directions(data.columns, directions)
    if normalise == "minmax":
        zdf = minmax_normalise(data, dirs, on_constant=on_constant, rtol=rtol)
    elif normalise == "none":
        x = _check_numeric(data)
        if (dirs == "-").any():
            raise ValueError(
                "negative indicators need normalise='minmax' (with normalise='none' the "
                f"direction cannot be applied): {list(dirs.index[dirs == '-'])}"
            )
        neg = (x < 0).any(axis=0)
        if neg.any():
            raise ValueError(
                "negative values where logarithms are needed (normalise='none') in "
                f"{list(data.columns[neg])}; use normalise='minmax'"
            )
        zdf = pd.DataFrame(x, index=data.index, columns=data.columns)
    else:
        raise ValueError(f"normalise must be 'minmax' or 'none', got {normalise!r}")
    z = zdf.to_numpy()
    e, w, k = _entropy_core(z, shift)
    cols = data.columns
    weights = pd.Series(w, index=cols, name="weight")
    s = z @ w
    if normalise == "minmax":
        # s ∈ [0, 1] exactly; rounding of Σ w_j can give 1 + 2.2e-16 for an observation that
        # is best on every indicator, which coupling_coordination would reject.
        s = np.clip(s, 0.0, 1.0)
    scores = pd.Series(s, index=data.index, name="score")
    return EntropyResult(
        weights=weights,
        scores=scores,
        entropy=pd.Series(e, index=cols, name="entropy"),
        divergence=pd.Series(1.0 - e, index=cols, name="divergence"),
        normalised=zdf,
        directions=dirs,
        shift=float(shift),
        k=float(k),
    )


@dataclass
class GroupedEntropyResult:
    """Per-group (e.g. per-year cross-sectional) entropy weights.

    Attributes
    ----------
    weights : pandas.DataFrame
        One row per group, one column per indicator; each row sums to 1.
    scores : pandas.Series
        Scores aligned with the input index (each computed with its group's weights and its
        group's min-max normalisation, so not comparable across groups).
    results : dict
        Group label -> :class:`EntropyResult`.
    """

    weights: pd.DataFrame
    scores: pd.Series
    results: dict


def entropy_weight_by_group(
    data: pd.DataFrame,
    groups: pd.Series | Sequence | Hashable,
    directions=None,
    *,
    shift: float = 0.0,
    on_constant: Literal["raise", "zero"] = "raise",
    rtol: float = CONSTANT_RTOL,
) -> GroupedEntropyResult:
    """Cross-sectional entropy weight method: normalise and weight within each group (year).

    Parameters
    ----------
    data : pandas.DataFrame
        n_obs by m indicators.
    groups : Series, array or label
        Group of each row (usually the year): a Series (aligned with ``data`` on the index), an
        array (in row order), or the name of an index level of ``data``.
    directions, shift, on_constant, rtol
        As in :func:`entropy_weight`.

    Returns
    -------
    GroupedEntropyResult
        ``.weights`` (groups by m), ``.scores`` aligned with ``data.index``; ``k = 1/ln(N_g)``
        within group g.

    Raises
    ------
    ValueError
        As :func:`entropy_weight`, with the group named (a group of one row too); groups
        misaligned with data; rows without a group (missing, empty or blank label, naming them).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame of indicators, got {type(data).__name__}")
    if isinstance(groups, Hashable) and not isinstance(groups, pd.Series | np.ndarray | list | tuple):
        if groups not in (data.index.names or []):
            raise ValueError(f"{groups!r} is not an index level of data")
        g = pd.Series(data.index.get_level_values(groups), index=data.index, name=groups)
    elif isinstance(groups, pd.Series):
        if not groups.index.equals(data.index):
            same_labels = (
                len(groups) == len(data)
                and not data.index.has_duplicates
                and groups.index.sort_values().equals(data.index.sort_values())
            )
            if not same_labels:
                raise ValueError(
                    "groups is a Series whose index differs from data's; align it (or pass an "
                    "array, taken in row order)"
                )
            groups = groups.reindex(data.index)  # align on the index, as pandas would
        g = pd.Series(groups.to_numpy(), index=data.index, name=groups.name)
    else:
        arr = np.asarray(groups)
        if len(arr) != len(data):
            raise ValueError(f"groups has length {len(arr)}, data has {len(data)} rows")
        g = pd.Series(arr, index=data.index)
    check_labels(g, what="groups", index=data.index)
    results, wrows = {}, {}
    scores = pd.Series(np.nan, index=data.index, name="score")
    pos = np.arange(len(data))
    for label, idx in g.groupby(g.to_numpy(), sort=True).indices.items():
        sub = data.iloc[idx]
        try:
            res = entropy_weight(sub, directions, shift=shift, on_constant=on_constant, rtol=rtol)
        except ValueError as exc:
            raise ValueError(f"group {label!r}: {exc}") from exc
        results[label] = res
        wrows[label] = res.weights
        scores.iloc[pos[idx]] = res.scores.to_numpy()
    weights = pd.DataFrame(wrows).T
    weights.index.name = getattr(g, "name", None)
    return GroupedEntropyResult(weights=weights, scores=scores, results=results)


@dataclass
class TopsisResult:
    """Entropy-weighted TOPSIS.

    Attributes
    ----------
    closeness : pandas.Series
        Relative closeness to the ideal solution ``C_i = D⁻_i / (D⁺_i + D⁻_i)`` in [0, 1],
        aligned with the input index.
    d_plus, d_minus : pandas.Series
        Euclidean distances to the positive and negative ideal solutions.
    weights : pandas.Series
        Indicator weights used.
    entropy : EntropyResult or None
        The entropy step when the weights were estimated.
    """

    closeness: pd.Series
    d_plus: pd.Series
    d_minus: pd.Series
    weights: pd.Series
    entropy: EntropyResult | None


def entropy_topsis(
    data: pd.DataFrame,
    directions=None,
    *,
    shift: float = 0.0,
    weights: pd.Series | None = None,
    normalisation: Literal["minmax", "vector"] = "minmax",
) -> TopsisResult:
    """Entropy-weighted TOPSIS (Hwang & Yoon 1981) closeness to the ideal solution.

    Parameters
    ----------
    data : pandas.DataFrame
        n_obs by m indicators (as :func:`entropy_weight`).
    directions, shift
        As in :func:`entropy_weight` (used for the weights and for the ideal solutions).
    weights : pandas.Series, optional
        Indicator weights (sum 1); default: entropy weights of ``data``.
    normalisation : {"minmax", "vector"}
        ``"minmax"`` (default; the usual choice with entropy weights in the Chinese literature):
        ``v_ij = w_j z_ij`` with direction-aware min-max ``z``, so the ideal is ``w_j`` and the
        anti-ideal 0. ``"vector"`` (Hwang & Yoon's original): ``r_ij = x_ij / sqrt(Σ_i x_ij²)``,
        ``v_ij = w_j r_ij``, ideal = max (positive) / min (negative) of ``v_·j``.

    Returns
    -------
    TopsisResult

    Notes
    -----
    ``D⁺_i = sqrt(Σ_j (v_ij − v⁺_j)²)``, ``D⁻_i = sqrt(Σ_j (v_ij − v⁻_j)²)``,
    ``C_i = D⁻_i / (D⁺_i + D⁻_i)``.

    When every observation is at the same distance from both ideals (``D⁺ = D⁻ = 0``: all
    rows identical on the weighted indicators) the closeness is 0.5 (documented, not NaN).

    Raises
    ------
    TypeError
        ``data`` not a DataFrame, non-numeric columns.
    ValueError
        As :func:`entropy_weight`; weights not covering the indicators, missing, negative or
        not summing to 1; an all-zero indicator with ``normalisation="vector"``.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame of indicators, got {type(data).__name__}")
    ent = None
    if weights is None:
        ent = entropy_weight(data, directions, shift=shift)
        w = ent.weights
    else:
        w = pd.Series(weights, dtype=float)
        missing = [c for c in data.columns if c not in w.index]
        if missing:
            raise ValueError(f"weights missing for indicators {missing}")
        w = w.reindex(data.columns)
        if w.isna().any() or not np.isfinite(w.to_numpy()).all():
            raise ValueError(f"weights missing or not finite for {list(w.index[~np.isfinite(w)])}")
        if not np.isclose(w.sum(), 1.0) or (w < 0).any():
            raise ValueError(f"weights must be non-negative and sum to 1 (sum = {w.sum():.6g})")
    dirs = _parse_directions(data.columns, directions)
    if normalisation == "minmax":
        z = minmax_normalise(data, dirs).to_numpy()
        v = z * w.to_numpy()
        vplus, vminus = v.max(axis=0), v.min(axis=0)
    elif normalisation == "vector":
        x = _check_numeric(data)
        norm = np.sqrt((x**2).sum(axis=0))
        if (norm == 0).any():
            raise ValueError(f"all-zero indicator(s) {list(data.columns[norm == 0])}")
        v = x / norm * w.to_numpy()
        neg = (dirs == "-").to_numpy()
        vplus = np.where(neg, v.min(axis=0), v.max(axis=0))
        vminus = np.where(neg, v.max(axis=0), v.min(axis=0))
    else:
        raise ValueError(f"normalisation must be 'minmax' or 'vector', got {normalisation!r}")
    dp = np.sqrt(((v - vplus) ** 2).sum(axis=1))
    dm = np.sqrt(((v - vminus) ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(dp + dm > 0, dm / (dp + dm), 0.5)
    idx = data.index
    return TopsisResult(
        closeness=pd.Series(c, index=idx, name="closeness"),
        d_plus=pd.Series(dp, index=idx, name="d_plus"),
        d_minus=pd.Series(dm, index=idx, name="d_minus"),
        weights=w.rename("weight"),
        entropy=ent,
    )
