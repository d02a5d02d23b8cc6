"""Input-output measures: Leontief and Ghosh models, linkages, regional purchase coefficients,
and the province-level industrial-chain linkage indicator (产业链关联).

Pure functions on arrays / DataFrames; nothing here reads files. Notation and equations follow
Miller, R. E. and P. D. Blair (2009), *Input-Output Analysis: Foundations and Extensions*,
2nd ed., Cambridge University Press (cited as M&B):

* ``Z`` (n × n) intermediate flows, z_ij = sales of sector i to sector j;
* ``x`` (n) total output; x̂ its diagonal matrix; ``i`` a vector of ones;
* technical coefficients A = Z x̂⁻¹ (M&B §2.2, eq. 2.5), Leontief inverse L = (I − A)⁻¹
  (M&B §2.2.2, eq. 2.10; numerical example in §2.3.1);
* allocation (Ghosh) coefficients B = x̂⁻¹ Z and Ghosh inverse G = (I − B)⁻¹, with
  x' = v'G (M&B §12.1);
* Rasmussen–Hirschman linkage indices normalised to mean 1 (M&B §12.2).

Equation numbers refer to the 2nd edition as we read it; section numbers are the safer reference.

Inputs may be ``numpy`` arrays or ``pandas`` objects; when ``Z`` is a DataFrame, results keep
its sector labels.

Zero-output sectors
-------------------
Regional tables contain sectors with no local output (e.g. 03 crude oil in Zhejiang, 12 of 42
sectors in Tibet 2012) that are nevertheless *used* (their row of a competitive-import table
holds imported/inflowing supplies). A sector j is *inactive* when x_j <= ``zero_tol`` · Σ|x|
(default 1e-9, i.e. rounding noise such as GO = 0.004 万元 = 4e-7 亿元; the test is relative, so
it does not depend on the money unit). Its column of A and its row of B are
set to 0 (it neither buys nor sells from local production); L and G are still well defined
(their j-th column / row is the unit vector). Linkage indices of inactive sectors are NaN and
they are left out of the normalising means. ``zero_output="raise"`` makes this an error instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from analysis._validate import check_keys, check_productive, first_rows

__all__ = [
    "IOTableLike",
    "technical_coefficients",
    "leontief_inverse",
    "ghosh_coefficients",
    "ghosh_inverse",
    "linkage_indices",
    "key_sectors",
    "regional_purchase_coefficients",
    "local_coefficients",
    "sector_chain_table",
    "sector_chain_profiles",
    "chain_linkage",
    "chain_linkage_panel",
    "CHAIN_COLUMNS",
]

ZeroOutput = Literal["zero", "raise"]
Negative = Literal["raise", "allow"]
ForwardMethod = Literal["ghosh", "leontief"]
PanelMethod = Literal["carry_forward", "interpolate"]
RPCAssumption = Literal["no_reexport", "total_supply"]

# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _matrix(M, name: str) -> tuple[np.ndarray, pd.Index | None]:
    if isinstance(M, pd.DataFrame):
        if not M.index.equals(M.columns) and list(M.index) != list(M.columns):
            raise ValueError(f"{name}: row labels and column labels differ")
        labels = pd.Index(list(M.index), name="sector")
        arr = M.to_numpy(dtype="float64")
    else:
        arr = np.asarray(M, dtype="float64")
        labels = None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square n × n matrix, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 sectors)")
    if not np.isfinite(arr).all():
        i, j = np.argwhere(~np.isfinite(arr))[0]
        lab = labels if labels is not None else range(arr.shape[0])
        raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} missing or infinite "
                         f"value(s), e.g. row {lab[i]!r}, column {lab[j]!r}")
    return arr, labels


def _vector(v, n: int, name: str, labels: pd.Index | None) -> np.ndarray:
    if isinstance(v, pd.Series) and labels is not None:
        if not v.index.equals(labels):
            if set(v.index) != set(labels):
                raise ValueError(f"{name}: its labels do not match the sectors of Z")
            v = v.reindex(labels)
    arr = np.asarray(v, dtype="float64")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n,):
        raise ValueError(f"{name} must have length {n} (one value per sector), got {arr.shape}")
    if not np.isfinite(arr).all():
        lab = labels if labels is not None else pd.RangeIndex(n)
        raise ValueError(f"{name} has missing or infinite values for sectors "
                         f"{first_rows(lab, ~np.isfinite(arr))}")
    return arr


def _wrap(arr: np.ndarray, labels: pd.Index | None, kind: str = "matrix"):
    if labels is None:
        return arr
    if kind == "matrix":
        return pd.DataFrame(arr, index=labels, columns=labels)
    return pd.Series(arr, index=labels)


def _active(x: np.ndarray, zero_tol: float, zero_output: ZeroOutput,
            labels: pd.Index | None = None) -> np.ndarray:
    if zero_output not in ("zero", "raise"):
        raise ValueError(f"zero_output must be 'zero' or 'raise', got {zero_output!r}")
    if not np.isfinite(zero_tol) or zero_tol < 0:
        raise ValueError(f"zero_tol must be a finite number >= 0, got {zero_tol!r}")
    lab = labels if labels is not None else pd.RangeIndex(len(x))
    tol = zero_tol * np.abs(x).sum()
    if (x < -tol).any():
        raise ValueError(f"total output x is negative for sectors {first_rows(lab, x < -tol)}")
    active = x > tol
    if zero_output == "raise" and not active.all():
        raise ValueError(
            f"total output is zero for sectors {first_rows(lab, ~active, 10)} "
            "(pass zero_output='zero' to treat them as inactive sectors)"
        )
    if not active.any():
        raise ValueError("total output is zero for every sector")
    return active


def _check_negative(Z: np.ndarray, negative: Negative, name: str = "Z") -> None:
    if negative == "raise" and (Z < 0).any():
        cells = [tuple(map(int, c)) for c in np.argwhere(Z < 0)[:5]]
        raise ValueError(
            f"{name} has {(Z < 0).sum()} negative flows, e.g. at (row, column) {cells}; "
            "pass negative='allow' to keep them (some published regional tables contain them)"
        )


def _inverse(C: np.ndarray, what: str, *, labels=None, axis: int = 0,
             inactive: np.ndarray | None = None) -> np.ndarray:
    """(I − C)⁻¹ after the productivity check on C (A: ``axis=0``; B: ``axis=1``)."""
    n = C.shape[0]
    zero = None
    if inactive is not None and inactive.any():
        zero = list((labels if labels is not None else pd.RangeIndex(n))[inactive])
    check_productive(C, what=what, labels=labels, axis=axis, zero_output=zero)
    M = np.eye(n) - C
    cond = np.linalg.cond(M)
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError(f"I − {what} is nearly singular (condition number {cond:.3g}) although "
                         f"{what} is productive: the multipliers would be unreliable")
    return np.linalg.solve(M, np.eye(n))


# --------------------------------------------------------------------------------------
# Leontief and Ghosh
# --------------------------------------------------------------------------------------


def technical_coefficients(
    Z, x, *, zero_output: ZeroOutput = "zero", negative: Negative = "raise", zero_tol: float = 1e-9
):
    """Technical (input) coefficients A = Z x̂⁻¹, a_ij = z_ij / x_j.

    Parameters
    ----------
    Z : array-like or DataFrame, n × n
        Intermediate flows (row i sells to column j), any money unit.
    x : array-like or Series, length n
        Total output, same unit as ``Z``.
    zero_output : {"zero", "raise"}
        Inactive sectors (x_j <= zero_tol · Σ|x|): set column j of A to 0 (default) or raise.
    negative : {"raise", "allow"}
        Negative flows in ``Z``: raise (default) or keep them.
    zero_tol : float
        Relative threshold for zero output (default 1e-9).

    Returns
    -------
    ndarray or DataFrame, n × n
        A; a DataFrame with Z's labels if Z is a DataFrame. Scale-free: A(cZ, cx) = A(Z, x).

    Notes
    -----
    M&B (2009) §2.2, eq. (2.5): A = Z x̂⁻¹. Column sums of A are below 1 whenever value added
    is positive; published regional tables have a few sectors with negative value added, whose
    column sums exceed 1 (not an error here).

    Raises
    ------
    ValueError
        Non-square ``Z``, ``x`` of the wrong length, non-finite values, negative ``x``, negative
        flows (with ``negative="raise"``), zero output (with ``zero_output="raise"``).
    """
    Zm, labels = _matrix(Z, "Z")
    n = Zm.shape[0]
    xv = _vector(x, n, "x", labels)
    _check_negative(Zm, negative)
    active = _active(xv, zero_tol, zero_output, labels)
    A = np.where(active[None, :], Zm / np.where(active, xv, 1.0)[None, :], 0.0)
    return _wrap(A, labels)


def leontief_inverse(A):
    """Leontief inverse L = (I − A)⁻¹ (total requirements matrix).

    Parameters
    ----------
    A : array-like or DataFrame, n × n
        Technical coefficients (see :func:`technical_coefficients`).

    Returns
    -------
    ndarray or DataFrame, n × n
        L, with l_ij = output of sector i needed per unit of final demand for sector j.

    Notes
    -----
    M&B (2009) §2.2.2, eq. (2.10): x = (I − A)⁻¹ f = L f. Computed by solving (I − A) L = I,
    after checking that A is *productive*: spectral radius ρ(A) < 1, the condition under which
    L = I + A + A² + … exists and is non-negative for a non-negative A (Hawkins–Simon; M&B
    §2.3, Appendix 2.1). Column sums of A below 1 are sufficient but not necessary (a sector
    with negative value added has a column sum above 1 in a still productive table).

    Raises
    ------
    ValueError
        Non-square, empty or non-finite ``A`` (naming the cell); A not productive (ρ(A) ≥ 1:
        the message names the sectors whose column sum reaches 1 and those with an all-zero
        column); I − A nearly singular (condition number above 1e12).
    """
    Am, labels = _matrix(A, "A")
    zero_cols = ~Am.any(axis=0)
    L = _inverse(Am, "A", labels=labels, axis=0, inactive=zero_cols if zero_cols.any() else None)
    return _wrap(L, labels)


def ghosh_coefficients(
    Z, x, *, zero_output: ZeroOutput = "zero", negative: Negative = "raise", zero_tol: float = 1e-9
):
    """Allocation (output, Ghosh) coefficients B = x̂⁻¹ Z, b_ij = z_ij / x_i.

    Parameters
    ----------
    Z, x, zero_output, negative, zero_tol
        As in :func:`technical_coefficients`; for an inactive sector i the *row* i of B is set
        to 0 (in a competitive-import table such a row holds only supplies from outside).

    Returns
    -------
    ndarray or DataFrame, n × n
        B. Row sums of B are the shares of output sold to intermediate users.

    Notes
    -----
    M&B (2009) §12.1 (the supply-side model): B = x̂⁻¹ Z, x' = i'Z + v' = x'B + v'.

    Raises
    ------
    ValueError
        As in :func:`technical_coefficients`.
    """
    Zm, labels = _matrix(Z, "Z")
    n = Zm.shape[0]
    xv = _vector(x, n, "x", labels)
    _check_negative(Zm, negative)
    active = _active(xv, zero_tol, zero_output, labels)
    B = np.where(active[:, None], Zm / np.where(active, xv, 1.0)[:, None], 0.0)
    return _wrap(B, labels)


def ghosh_inverse(B):
    """Ghosh inverse G = (I − B)⁻¹, so that x' = v'G.

    Parameters
    ----------
    B : array-like or DataFrame, n × n
        Allocation coefficients (see :func:`ghosh_coefficients`).

    Returns
    -------
    ndarray or DataFrame, n × n
        G; g_ij = output of sector j made possible per unit of primary input into sector i.

    Notes
    -----
    M&B (2009) §12.1: x' = v'(I − B)⁻¹ = v'G; G = x̂⁻¹ L x̂ when all x > 0. B must be
    productive, ρ(B) < 1 (ρ(B) = ρ(A) when every sector has output); checked before solving.

    Raises
    ------
    ValueError
        Non-square, empty or non-finite ``B``; B not productive (ρ(B) ≥ 1: the message names
        the sectors whose row sum reaches 1 and those with an all-zero row); I − B nearly
        singular.
    """
    Bm, labels = _matrix(B, "B")
    zero_rows = ~Bm.any(axis=1)
    G = _inverse(Bm, "B", labels=labels, axis=1, inactive=zero_rows if zero_rows.any() else None)
    return _wrap(G, labels)


# --------------------------------------------------------------------------------------
# linkages
# --------------------------------------------------------------------------------------


def linkage_indices(
    Z,
    x,
    *,
    forward: ForwardMethod = "ghosh",
    zero_output: ZeroOutput = "zero",
    negative: Negative = "raise",
    zero_tol: float = 1e-9,
) -> pd.DataFrame:
    """Rasmussen–Hirschman backward and forward linkage indices, normalised to mean 1.

    Parameters
    ----------
    Z : array-like or DataFrame, n × n
        Intermediate flows.
    x : array-like or Series, length n
        Total output.
    forward : {"ghosh", "leontief"}
        Forward linkage from row sums of the Ghosh inverse G (default, M&B's recommendation
        for total forward linkage, §12.2) or from row sums of the Leontief inverse L (the
        original Rasmussen 1956 "sensitivity of dispersion" index, common in the Chinese
        literature as 感应度系数).
    zero_output, negative, zero_tol
        As in :func:`technical_coefficients`.

    Returns
    -------
    DataFrame, n rows (index = sector labels or 0..n−1)
        ``backward`` = BL̄_j = (i'L)_j / [(1/m) Σ_k∈act (i'L)_k],
        ``forward`` = FL̄_i = (G i)_i / [(1/m) Σ_k∈act (G i)_k] (or L i),
        ``key_sector`` (both > 1), ``active`` (x > 0); m = number of active sectors.
        Inactive sectors have NaN indices and ``key_sector`` False. Both indices average
        exactly 1 over the active sectors.

    Notes
    -----
    M&B (2009) §12.2: total backward linkage = column sums of L; total forward linkage = row
    sums of G; normalised versions divide by the average, so values > 1 mean above-average
    linkage; key sectors have both indices above 1. (Rasmussen 1956; Hirschman 1958.)

    For a *regional competitive-import* table pass the local flows r̂Z (see
    :func:`regional_purchase_coefficients`): there a row of Z also holds supplies from other
    provinces and abroad, so x̂⁻¹Z can have row sums far above 1 and the Ghosh forward index is
    then meaningless. :func:`sector_chain_table` does this for you.

    Raises
    ------
    ValueError
        As in :func:`technical_coefficients` and :func:`leontief_inverse` (a table that is
        not productive, naming the sectors).
    """
    Zm, labels = _matrix(Z, "Z")
    n = Zm.shape[0]
    xv = _vector(x, n, "x", labels)
    active = _active(xv, zero_tol, zero_output, labels)
    if forward not in ("ghosh", "leontief"):
        raise ValueError(f"forward must be 'ghosh' or 'leontief', got {forward!r}")
    kw = dict(zero_output=zero_output, negative=negative, zero_tol=zero_tol)
    L = leontief_inverse(technical_coefficients(Zm, xv, **kw))
    bl = L.sum(axis=0)
    if forward == "ghosh":
        fl = ghosh_inverse(ghosh_coefficients(Zm, xv, **kw)).sum(axis=1)
    elif forward == "leontief":
        fl = L.sum(axis=1)
    else:
        raise ValueError(f"forward must be 'ghosh' or 'leontief', got {forward!r}")
    return _normalised_linkages(bl, fl, active, labels)


def _normalised_linkages(bl, fl, active, labels) -> pd.DataFrame:
    bl_n = np.where(active, bl / bl[active].mean(), np.nan)
    fl_n = np.where(active, fl / fl[active].mean(), np.nan)
    out = pd.DataFrame(
        {"backward": bl_n, "forward": fl_n},
        index=labels if labels is not None else pd.RangeIndex(len(bl)),
    )
    out["key_sector"] = (out["backward"] > 1) & (out["forward"] > 1)
    out["active"] = active
    return out


def key_sectors(linkages: pd.DataFrame) -> list:
    """Labels of the key sectors (backward > 1 and forward > 1) of a :func:`linkage_indices` frame.

    Parameters
    ----------
    linkages : pandas.DataFrame
        Output of :func:`linkage_indices` (columns ``backward``, ``forward``).

    Returns
    -------
    list
        Index labels (sector codes or positions) of the key sectors, in table order.

    Raises
    ------
    KeyError
        If ``linkages`` lacks the ``backward``/``forward`` columns.
    """
    return linkages.index[(linkages["backward"] > 1) & (linkages["forward"] > 1)].tolist()


# --------------------------------------------------------------------------------------
# regional purchase coefficients
# --------------------------------------------------------------------------------------


def regional_purchase_coefficients(
    x,
    exports,
    imports,
    *,
    intermediate_use=None,
    clip: bool = True,
    assumption: RPCAssumption = "no_reexport",
):
    """Regional purchase coefficients of a competitive-import regional table.

    r_i = (x_i − e_i) / (x_i − e_i + m_i),

    e_i = exports + outflows to other provinces (EX + OF), m_i = imports + inflows from other
    provinces (IM + IF).

    Parameters
    ----------
    x : array-like or Series, length n
        Total output.
    exports : array-like or Series, length n
        EX + OF (goods leaving the region).
    imports : array-like or Series, length n
        IM + IF (goods entering the region), as positive numbers.
    intermediate_use : array-like or Series, length n, optional
        Row sums of Z (TIU). If given, r_i is also capped so that local intermediate sales
        r_i · TIU_i do not exceed local output net of exports, max(x_i − e_i, 0). Under the
        proportionality assumption this holds automatically unless local final use is
        negative (inventory run-downs, the 废品废料 scrap rows), where the cap binds.
    assumption : {"no_reexport", "total_supply"}
        ``"no_reexport"`` (default): the formula above. ``"total_supply"``: r_i = x_i / (x_i
        + m_i), i.e. imports/inflows are spread over *all* uses including exports/outflows
        (re-exports allowed). Use it for hub economies whose published exports + outflows
        exceed output (Beijing, Shanghai electronics: x − e < 0, so the default gives r = 0).
    clip : bool
        Clip r to [0, 1] (default). Values outside arise from re-exports (x_i < e_i), from
        negative published inflows, or when nothing is absorbed in the region (denominator
        <= 0, then r_i = 0). With ``clip=False`` such values raise.

    Returns
    -------
    ndarray or Series, length n
        r_i in [0, 1]: the share of the region's use of product i that is produced in the region.

    Notes
    -----
    Assumption (standard for competitive-import tables): within the region every use of
    product i other than exports/outflows — intermediate use by each sector j and local final
    use — draws on local output and on imports+inflows **in the same proportion**, and exports
    and outflows are entirely locally produced (no re-exports). Local absorption is
    x_i − e_i + m_i (= TIU_i + TC_i + GCF_i + ERR_i, by the row identity GO = TIU + TFU − IM −
    IF + ERR), of which x_i − e_i is local output; hence r_i above and the local (domestic-
    regional) flows z^rr_ij = r_i z_ij, i.e. A^rr = r̂ A. These are M&B's (2009) regional
    supply percentages (ch. 3, single-region models; ch. 8 on regional purchase coefficients),
    estimated from the table's own trade columns rather than from survey data. The unadjusted A
    (the "competitive" or technical coefficients) remains available: apply
    :func:`technical_coefficients` to Z directly.

    Raises
    ------
    ValueError
        Lengths differ, non-finite values, or (``clip=False``) a coefficient outside [0, 1].
    """
    labels = x.index if isinstance(x, pd.Series) else None
    xv = np.asarray(x, dtype="float64").ravel()
    n = xv.shape[0]
    e = _vector(exports, n, "exports", labels)
    m = _vector(imports, n, "imports", labels)
    _vector(xv, n, "x", None)
    if assumption == "no_reexport":
        num = xv - e
        den = xv - e + m
    elif assumption == "total_supply":
        num = xv.copy()
        den = xv + m
    else:
        raise ValueError(f"assumption must be 'no_reexport' or 'total_supply', got {assumption!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    out_of_range = (r < 0) | (r > 1) | (den <= 0) & (num != 0)
    if out_of_range.any() and not clip:
        j = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(
            f"regional purchase coefficient outside [0, 1] at position {j}: x={xv[j]!r}, "
            f"exports={e[j]!r}, imports={m[j]!r} (pass clip=True to clip)"
        )
    r = np.clip(r, 0.0, 1.0)
    if intermediate_use is not None:
        u = _vector(intermediate_use, n, "intermediate_use", labels)
        avail = np.maximum(num, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cap = np.where(u > avail, avail / np.where(u > 0, u, 1.0), 1.0)
        r = np.minimum(r, cap)
    return pd.Series(r, index=labels, name="rpc") if labels is not None else r


def local_coefficients(A, r):
    """Domestic-regional (local) input coefficients A^rr = r̂ A.

    Parameters
    ----------
    A : array-like or DataFrame, n × n
        Technical coefficients of the competitive-import table.
    r : array-like or Series, length n
        Regional purchase coefficients in [0, 1] (:func:`regional_purchase_coefficients`).

    Returns
    -------
    ndarray or DataFrame, n × n
        a^rr_ij = r_i a_ij: inputs of i per unit of j's output that are produced in the region.

    Raises
    ------
    ValueError
        Shapes differ, missing values, or r outside [0, 1] (naming the sectors).
    """
    Am, labels = _matrix(A, "A")
    rv = _vector(r, Am.shape[0], "r", labels)
    if (rv < 0).any() or (rv > 1).any():
        lab = labels if labels is not None else pd.RangeIndex(len(rv))
        raise ValueError("regional purchase coefficients must lie in [0, 1]; outside for sectors "
                         f"{first_rows(lab, (rv < 0) | (rv > 1))}")
    return _wrap(rv[:, None] * Am, labels)


# --------------------------------------------------------------------------------------
# province chain-linkage indicator
# --------------------------------------------------------------------------------------


class IOTableLike(Protocol):
    """What :func:`chain_linkage` needs of a table (``analysis.data.io_tables.IOTable`` fits)."""

    province_code: int
    year: int
    Z: pd.DataFrame  # n × n, labels = sector codes
    x: pd.Series  # total output
    exports: pd.Series  # EX + OF
    imports: pd.Series  # IM + IF
    rd_sectors: list[str]  # codes of the R&D-intensive sectors
    trade_basis: str  # "gross", "gross_combined" or "net"


CHAIN_COLUMNS = [
    "chain_linkage",
    "chain_backward",
    "chain_forward",
    "chain_multiplier_backward",
    "chain_multiplier_forward",
    "chain_backward_competitive",
    "local_sourcing",
    "rd_output_share",
    "rd_key_sectors",
    "rpc_basis",
    "n_inactive_sectors",
    "n_negative_flows",
    "n_rpc_capped",
]


def sector_chain_table(
    table: IOTableLike,
    rd_sectors: Sequence[str] | None = None,
    *,
    forward: ForwardMethod = "ghosh",
    rpc_assumption: RPCAssumption = "no_reexport",
    zero_tol: float = 1e-9,
) -> pd.DataFrame:
    """Per-sector local (RPC-adjusted) linkages of one regional table.

    Parameters
    ----------
    table : IOTableLike
        See :class:`IOTableLike` (``analysis.data.io_tables.IOTable`` fits).
    rd_sectors : sequence of str, optional
        R&D-intensive sector codes (default ``table.rd_sectors``).
    forward : {"ghosh", "leontief"}
        Forward linkage variant (see :func:`linkage_indices`).
    rpc_assumption : {"no_reexport", "total_supply"}
        See :func:`regional_purchase_coefficients`.
    zero_tol : float
        Relative zero-output threshold.

    Returns
    -------
    DataFrame, one row per sector (index = sector code)
        ``x`` output; ``rpc`` r_i (capped so that local intermediate sales do not exceed
        local output net of exports); ``rpc_uncapped``; ``backward``, ``forward`` normalised
        local linkage indices (mean 1 over active sectors); ``multiplier_backward`` (i'L^rr)_j
        and ``multiplier_forward`` (G^rr i)_i, the unnormalised local output multipliers;
        ``backward_competitive`` normalised BL̄ of the unadjusted table; ``key_sector``;
        ``local_input_share`` Σ_i r_i z_ij / Σ_i z_ij (NaN where ``intermediate_inputs`` is not positive:
        the sector buys no intermediate input; share of j's intermediate inputs produced
        in the province); ``rd_intensive``; ``active``.

    Raises
    ------
    ValueError
        If an R&D-intensive code is not a sector of the table, the data are invalid, or the
        local or unadjusted A is not productive (naming the sectors).
    """
    Z = table.Z.astype("float64")
    labels = pd.Index(list(Z.index), name="sector")
    rd = list(table.rd_sectors if rd_sectors is None else rd_sectors)
    missing = [s for s in rd if s not in labels]
    if missing:
        raise ValueError(
            f"table {table.province_code}/{table.year}: R&D-intensive sectors {missing} "
            "not in its sectors"
        )
    x = _vector(table.x.reindex(labels), len(labels), f"table {table.province_code}/{table.year}: x",
                labels)
    Zm, _ = _matrix(Z, f"table {table.province_code}/{table.year}: Z")
    kw = dict(zero_output="zero", negative="allow", zero_tol=zero_tol)
    active = _active(x, zero_tol, "zero", labels)
    e = table.exports.reindex(labels).to_numpy(dtype="float64")
    m = table.imports.reindex(labels).to_numpy(dtype="float64")
    r_plain = regional_purchase_coefficients(x, e, m, assumption=rpc_assumption)
    r = regional_purchase_coefficients(
        x, e, m, intermediate_use=Zm.sum(axis=1), assumption=rpc_assumption
    )
    Zloc = r[:, None] * Zm
    L = leontief_inverse(technical_coefficients(Zloc, x, **kw))
    if forward == "ghosh":
        fl = ghosh_inverse(ghosh_coefficients(Zloc, x, **kw)).sum(axis=1)
    elif forward == "leontief":
        fl = L.sum(axis=1)
    else:
        raise ValueError(f"forward must be 'ghosh' or 'leontief', got {forward!r}")
    bl = L.sum(axis=0)
    loc = _normalised_linkages(bl, fl, active, labels)
    bl_comp = leontief_inverse(technical_coefficients(Zm, x, **kw)).sum(axis=0)
    inputs = Zm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lis = np.where(inputs > 0, Zloc.sum(axis=0) / np.where(inputs > 0, inputs, 1), np.nan)
    return pd.DataFrame(
        {
            "x": x,
            "rpc": r,
            "rpc_uncapped": r_plain,
            "backward": loc["backward"].to_numpy(),
            "forward": loc["forward"].to_numpy(),
            "multiplier_backward": np.where(active, bl, np.nan),
            "multiplier_forward": np.where(active, fl, np.nan),
            "backward_competitive": np.where(active, bl_comp / bl_comp[active].mean(), np.nan),
            "key_sector": loc["key_sector"].to_numpy(),
            "local_input_share": lis,
            "intermediate_inputs": inputs,
            "local_intermediate_inputs": Zloc.sum(axis=0),
            "rd_intensive": labels.isin(rd),
            "active": active,
            "n_negative_flows": (Zm < 0).sum(axis=0),
        },
        index=labels,
    )


def _chain_one(t: IOTableLike, rd: Sequence[str], forward, rpc_assumption, zero_tol: float):
    s = sector_chain_table(t, rd, forward=forward, rpc_assumption=rpc_assumption, zero_tol=zero_tol)
    sel = s["rd_intensive"].to_numpy() & s["active"].to_numpy()
    w = np.where(sel, s["x"].to_numpy(), 0.0)
    wsum = w.sum()
    if wsum <= 0:
        raise ValueError(f"table {t.province_code}/{t.year}: none of the R&D-intensive sectors "
                         f"{list(rd)} has output, so the chain-linkage indicator is undefined")

    def wmean(col):
        v = s[col].to_numpy(dtype="float64")
        return float(np.sum(w * np.nan_to_num(v)) / wsum) if wsum > 0 else np.nan

    s["total"] = (s["backward"] + s["forward"]) / 2
    rd_all = s["rd_intensive"].to_numpy()
    inputs = s.loc[rd_all, "intermediate_inputs"].sum()
    if not inputs > 0:
        raise ValueError(f"table {t.province_code}/{t.year}: the R&D-intensive sectors {list(rd)} "
                         "have no intermediate inputs, so local_sourcing is undefined")
    return {
        "chain_linkage": wmean("total"),
        "chain_backward": wmean("backward"),
        "chain_forward": wmean("forward"),
        "chain_multiplier_backward": wmean("multiplier_backward"),
        "chain_multiplier_forward": wmean("multiplier_forward"),
        "chain_backward_competitive": wmean("backward_competitive"),
        "local_sourcing": float(s.loc[rd_all, "local_intermediate_inputs"].sum() / inputs),
        "rd_output_share": float(w.sum() / s.loc[s["active"], "x"].sum()),
        "rd_key_sectors": int((s["key_sector"] & s["rd_intensive"]).sum()),
        "rpc_basis": t.trade_basis,
        "n_inactive_sectors": int((~s["active"]).sum()),
        "n_negative_flows": int(s["n_negative_flows"].sum()),
        "n_rpc_capped": int((s["rpc"] < s["rpc_uncapped"] - 1e-12).sum()),
    }


def chain_linkage(
    tables: Mapping[tuple[int, int], IOTableLike],
    *,
    rd_sectors: Mapping[int, Sequence[str]] | None = None,
    forward: ForwardMethod = "ghosh",
    rpc_assumption: RPCAssumption = "no_reexport",
    zero_tol: float = 1e-9,
) -> pd.DataFrame:
    """Province industrial-chain linkage of the R&D-intensive sectors, one row per IO table.

    With S the R&D-intensive sectors, BL̄ and FL̄ the normalised backward and forward linkage
    indices of the province's **local** (RPC-adjusted) table, and x_j total output::

        chain_linkage = Σ_{j∈S} x_j · (BL̄_j + FL̄_j) / 2  /  Σ_{j∈S} x_j

    i.e. the output-weighted mean total linkage of the R&D-intensive sectors, on the scale on
    which the average sector of the province scores 1 (> 1: the province's high-tech sectors
    are more tightly woven into its own production chain than its average sector).

    Parameters
    ----------
    tables : mapping
        ``{(province_code, io_year): table}``; each table has ``Z`` (42 × 42 DataFrame), ``x``,
        ``exports`` (EX + OF), ``imports`` (IM + IF), ``rd_sectors``, ``trade_basis`` (see
        :class:`IOTableLike`; ``analysis.data.io_tables.IOTable`` provides them).
    rd_sectors : mapping io_year -> sector codes, optional
        Overrides each table's ``rd_sectors`` (e.g. the ``rd_intensive_broad`` set).
    forward : {"ghosh", "leontief"}
        Forward linkage variant (see :func:`linkage_indices`).
    rpc_assumption : {"no_reexport", "total_supply"}
        How imports/inflows are attributed (see :func:`regional_purchase_coefficients`). The
        default gives r = 0 where published exports + outflows exceed output (re-exporting
        hubs: Beijing and Shanghai electronics); ``"total_supply"`` is the sensitivity check.
    zero_tol : float
        Relative zero-output threshold.

    Returns
    -------
    DataFrame
        ``province_code``, ``io_year``, then

        * ``chain_linkage`` — the formula above (local table);
        * ``chain_backward``, ``chain_forward`` — its two components (output-weighted BL̄, FL̄);
        * ``chain_multiplier_backward``, ``chain_multiplier_forward`` — the same weighted means
          of the *unnormalised* local multipliers (column sums of L^rr, row sums of G^rr):
          absolute, comparable across provinces (the normalised indices compare the R&D
          sectors with the same province's average sector, so a province with weak linkages
          everywhere — e.g. Tibet — can score high on ``chain_linkage``);
        * ``chain_backward_competitive`` — output-weighted BL̄ of the unadjusted table, in
          which inputs from other provinces and abroad count as if local (kept for comparison:
          chain_backward_competitive − chain_backward shows how much of the input chain lies
          outside the province). No competitive *forward* index is offered: in a
          competitive-import regional table a row of Z includes supplies from outside, so
          x̂⁻¹Z can have row sums far above 1 (e.g. Gansu 2002 scrap: 259) and the Ghosh
          inverse is not meaningful;
        * ``local_sourcing`` = Σ_i Σ_{j∈S} r_i z_ij / Σ_i Σ_{j∈S} z_ij — share of the
          R&D-intensive sectors' intermediate inputs produced inside the province (under the
          RPC assumption), in [0, 1];
        * ``rd_output_share`` = Σ_{j∈S} x_j / Σ_j x_j — share of gross output, in [0, 1];
        * ``rd_key_sectors`` — number of R&D-intensive sectors that are key sectors (local);
        * ``rpc_basis`` — ``gross`` (EX, OF, IM, IF published: 2012, 2017), ``gross_combined``
          (2007: outflows and inflows published with exports/imports included) or ``net``
          (2002: only net outflow, so imports = max(−NOF, 0); this assumes no cross-hauling,
          overstates local sourcing and the local linkages — compare 2002 values with care);
        * ``n_inactive_sectors``, ``n_negative_flows``, ``n_rpc_capped`` — data-quality counts
          (negative flows are kept as published; ``n_rpc_capped``: sectors whose r_i was capped
          so that local intermediate sales do not exceed local output, see
          :func:`regional_purchase_coefficients`).

    Notes
    -----
    Linkages and RPC adjustment: M&B (2009) §12.2 and chs. 3/8; see :func:`linkage_indices`,
    :func:`regional_purchase_coefficients`. Because indices are normalised within each table,
    ``chain_linkage`` compares the R&D sectors with the same province's average sector; it is
    comparable across provinces and years as a relative position, not as an absolute multiplier.

    Raises
    ------
    ValueError
        If a table lacks an R&D-intensive sector code, its data are invalid (see above), its
        A is not productive, none of its R&D-intensive sectors has output, or they have no
        intermediate inputs (the indicators would be undefined); the message names the table.
    """
    rows = []
    for (code, year), t in sorted(tables.items()):
        rd = list(rd_sectors[year]) if rd_sectors is not None else list(t.rd_sectors)
        if not rd:
            raise ValueError(f"table {code}/{year}: no R&D-intensive sectors given")
        try:
            one = _chain_one(t, rd, forward, rpc_assumption, zero_tol)
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(msg if msg.startswith(f"table {code}/{year}") else
                             f"table {code}/{year}: {msg}") from None
        rows.append({"province_code": int(code), "io_year": int(year)} | one)
    out = pd.DataFrame(rows, columns=["province_code", "io_year", *CHAIN_COLUMNS])
    return out.astype({"province_code": "int64", "io_year": "int64"})


def chain_linkage_panel(
    chain_df: pd.DataFrame,
    years: Iterable[int],
    *,
    method: PanelMethod = "carry_forward",
) -> pd.DataFrame:
    """Assign the benchmark-year chain-linkage indicators to panel years.

    Rules
    -----
    ``carry_forward`` (default): year t takes the most recent IO table at or before t
    (2002 for 2002–2006, 2007 for 2007–2011, 2012 for 2012–2016, 2017 for 2017 onwards).
    Uses no information from after t, so it is safe as a (lagged) regressor; years before a
    province's first table are NaN (Tibet: before 2012).
    ``interpolate``: linear interpolation between the two benchmark tables around t; years
    after the last table carry it forward, years before the first are NaN. Smoother, but uses
    the later table (look-ahead).

    Parameters
    ----------
    chain_df : DataFrame
        Output of :func:`chain_linkage` (``province_code``, ``io_year``, indicator columns).
    years : iterable of int
        Panel years.
    method : {"carry_forward", "interpolate"}

    Returns
    -------
    DataFrame
        ``province_code``, ``year``, ``io_year`` (the table used; for interpolated years the
        earlier of the two), the numeric indicator columns, ``rpc_basis``, and
        ``chain_linkage_flag``: ``"io_table"`` (t is a table year), ``"carried_forward"`` or
        ``"interpolated"``; NaN rows have flag ``"no_table"``.

    Raises
    ------
    ValueError
        Unknown ``method``; key columns absent, missing, blank or duplicated (naming the rows);
        a year that is not an integer.
    """
    if method not in ("carry_forward", "interpolate"):
        raise ValueError(f"method must be 'carry_forward' or 'interpolate', got {method!r}")
    check_keys(chain_df, ["province_code", "io_year"], what="chain_df")
    try:
        years = sorted({int(y) for y in years})
    except (TypeError, ValueError):
        raise ValueError(f"years must be integers, got {list(years)[:5]}") from None
    num_cols = [
        c
        for c in chain_df.columns
        if c not in ("province_code", "io_year") and pd.api.types.is_numeric_dtype(chain_df[c])
    ]
    other_cols = [c for c in chain_df.columns if c not in ("province_code", "io_year", *num_cols)]
    out = []
    for code, g in chain_df.sort_values("io_year").groupby("province_code", sort=True):
        bench = g["io_year"].to_numpy()
        vals = g[num_cols].to_numpy(dtype="float64")
        for y in years:
            k = np.searchsorted(bench, y, side="right") - 1  # last table <= y
            row = {"province_code": int(code), "year": y}
            if k < 0:
                row |= {"io_year": pd.NA, **dict.fromkeys(num_cols, np.nan)}
                row |= dict.fromkeys(other_cols, None) | {"chain_linkage_flag": "no_table"}
            elif bench[k] == y or method == "carry_forward" or k == len(bench) - 1:
                row |= {"io_year": int(bench[k]), **dict(zip(num_cols, vals[k], strict=True))}
                row |= {c: g[c].iloc[k] for c in other_cols}
                row["chain_linkage_flag"] = "io_table" if bench[k] == y else "carried_forward"
            else:
                w = (y - bench[k]) / (bench[k + 1] - bench[k])
                v = (1 - w) * vals[k] + w * vals[k + 1]
                row |= {"io_year": int(bench[k]), **dict(zip(num_cols, v, strict=True))}
                row |= {c: g[c].iloc[k] for c in other_cols}
                row["chain_linkage_flag"] = "interpolated"
            out.append(row)
    cols = ["province_code", "year", "io_year", *num_cols, *other_cols, "chain_linkage_flag"]
    res = pd.DataFrame(out, columns=cols)  # columns fixed so that an empty chain_df works too
    res["io_year"] = res["io_year"].astype("Int64")
    return res.astype({"province_code": "int64", "year": "int64"})


#: Columns of :func:`sector_chain_profiles` (besides the keys).
SECTOR_PROFILE_COLUMNS = ["x", "backward", "forward", "key_sector", "local_input_share",
                          "intermediate_inputs", "rd_intensive", "active"]


def sector_chain_profiles(
    tables: Mapping[tuple[int, int], IOTableLike],
    *,
    forward: ForwardMethod = "ghosh",
    rpc_assumption: RPCAssumption = "no_reexport",
    zero_tol: float = 1e-9,
) -> pd.DataFrame:
    """Every province's sector chain profile, one row per province × IO table × sector.

    :func:`sector_chain_table` of each table (local, RPC-adjusted linkages), stacked: what the
    province reports show as key sectors and R&D-intensive sectors. Computed once for all
    provinces by the chain-linkage step (``data/processed/chain_sectors.parquet``) rather than
    once per report.

    Parameters
    ----------
    tables : mapping
        ``{(province_code, io_year): IOTableLike}``, as for :func:`chain_linkage`.
    forward, rpc_assumption, zero_tol
        As in :func:`sector_chain_table`.

    Returns
    -------
    pandas.DataFrame
        ``province_code`` (int64), ``io_year`` (int64), ``sector`` (str), and
        :data:`SECTOR_PROFILE_COLUMNS`: ``x`` output (亿元), ``backward``/``forward`` normalised
        local linkages (mean 1 over active sectors), ``key_sector`` (both > 1),
        ``local_input_share`` (share of the sector's intermediate inputs produced in the
        province; NaN where ``intermediate_inputs``, the sector's total intermediate inputs, is
        not positive), ``intermediate_inputs``, ``rd_intensive``, ``active``. Empty (with these
        columns) for no tables.

    Raises
    ------
    ValueError, numpy.linalg.LinAlgError
        As :func:`sector_chain_table`, naming the table.
    """
    frames = []
    for (code, year), t in sorted(tables.items()):
        s = sector_chain_table(t, forward=forward, rpc_assumption=rpc_assumption, zero_tol=zero_tol)
        s = s[SECTOR_PROFILE_COLUMNS].reset_index()
        s.insert(0, "io_year", int(year))
        s.insert(0, "province_code", int(code))
        frames.append(s)
    cols = ["province_code", "io_year", "sector", *SECTOR_PROFILE_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    out["sector"] = out["sector"].astype(str)
    return out.astype({"province_code": "int64", "io_year": "int64"})
