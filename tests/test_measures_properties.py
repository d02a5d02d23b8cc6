"""Property-based suite: every public measure on random small and degenerate inputs.

Inputs: random small panels with, per column, one of: ordinary values, a constant, a constant
up to floating-point rounding, ties, zeros, a NaN, an infinity; one entity, one period, one
row. Each measure must either return finite numbers (a NaN only where the function documents
it *and* says so in a note, flag or NaN-named column) or raise ``ValueError``/``TypeError``
whose message names the column, row, sector, group or argument at fault. Never a
``LinAlgError``, ``IndexError``, ``ZeroDivisionError``, ``KeyError`` from inside, nor a numpy
RuntimeWarning (a silent division by zero).

Run time is set by the hypothesis profile (tests/conftest.py): ``ci`` (default, about a minute
on 2 cores) or ``HYPOTHESIS_PROFILE=thorough`` (10× the examples).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import measures as M
from analysis._validate import IslandWarning
from analysis.measures import weights as MW

EXAMPLES = settings().max_examples
HEAVY = settings(max_examples=max(5, EXAMPLES // 3), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore::analysis._validate.IslandWarning")]

KINDS = ["plain", "plain", "constant", "near_constant", "ties", "zeros", "nan", "inf", "tiny"]


def _column(draw, n: int, kind: str, lo: float, hi: float) -> np.ndarray:
    vals = np.array(draw(st.lists(st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                                  min_size=n, max_size=n)), dtype=float)
    if kind == "constant":
        vals[:] = vals[0]
    elif kind == "near_constant":  # equal up to rounding: 0.1 + 0.2 vs 0.3
        base = vals[0] if vals[0] != 0 else 1.0
        vals = base * (1 + 1e-14 * np.arange(n))
    elif kind == "ties":
        vals = np.round(vals / max(abs(hi), 1) * 2) * max(abs(hi), 1) / 2
    elif kind == "zeros":
        vals[:] = 0.0
    elif kind == "nan":
        vals[draw(st.integers(0, n - 1))] = np.nan
    elif kind == "inf":
        vals[draw(st.integers(0, n - 1))] = np.inf
    elif kind == "tiny":
        vals = vals * 1e-300
    return vals


@st.composite
def frames(draw, min_rows=1, max_rows=8, min_cols=1, max_cols=4, lo=-100.0, hi=100.0,
           kinds=tuple(KINDS)):
    n = draw(st.integers(min_rows, max_rows))
    m = draw(st.integers(min_cols, max_cols))
    data = {f"c{j}": _column(draw, n, draw(st.sampled_from(kinds)), lo, hi) for j in range(m)}
    return pd.DataFrame(data, index=[f"r{i}" for i in range(n)])


@st.composite
def panels(draw, value_kinds=tuple(KINDS), lo=0.0, hi=100.0, key_defects=True):
    """Long panel: unit, year, value; 1–4 units × 1–4 years, sometimes with key defects."""
    units = draw(st.integers(1, 4))
    years = draw(st.integers(1, 4))
    rows = [(u, 2000 + t) for u in range(1, units + 1) for t in range(years)]
    df = pd.DataFrame(rows, columns=["unit", "year"], dtype=object)
    df["value"] = _column(draw, len(df), draw(st.sampled_from(value_kinds)), lo, hi)
    df["group"] = [("a", "b")[u % 2] for u, _ in rows]
    df.index = [f"r{i}" for i in range(len(df))]
    if key_defects:
        defect = draw(st.sampled_from(["none", "none", "none", "dup", "blank", "missing"]))
        if defect == "dup" and len(df) > 1:
            df.iloc[1, :2] = df.iloc[0, :2]
        elif defect == "blank":
            df.iloc[-1, 0] = "  "
        elif defect == "missing":
            df.iloc[-1, 1] = None
    return df


def _names(*objs) -> set[str]:
    out = set()
    for o in objs:
        if isinstance(o, pd.DataFrame):
            out |= {str(c) for c in o.columns} | {str(i) for i in o.index}
        elif isinstance(o, pd.Series | pd.Index):
            out |= {str(i) for i in (o.index if isinstance(o, pd.Series) else o)}
        elif isinstance(o, str):
            out.add(o)
        elif o is not None:
            out |= {str(x) for x in o}
    return out


GENERIC = ("row", "column", "sector", "group", "indicator", "observation", "value", "rows")


def call(fn, *args, names=(), **kwargs):
    """Run ``fn``; return its result, or the ValueError/TypeError it raised (checked)."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as exc:  # a subclass of ValueError: not ours
        pytest.fail(f"{fn.__name__}: LinAlgError escaped: {exc}")
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        assert msg, f"{fn.__name__}: empty message"
        wanted = set(names) | set(GENERIC)
        assert any(w in msg for w in wanted), f"{fn.__name__}: message names nothing: {msg!r}"
        return exc


def finite(x, *, allow_nan_where=None) -> None:
    """Every number in ``x`` is finite (NaN only where ``allow_nan_where`` is True)."""
    if isinstance(x, pd.DataFrame):
        num = x.select_dtypes("number").to_numpy(dtype=float)
    elif isinstance(x, pd.Series):
        if not pd.api.types.is_numeric_dtype(x):
            return
        num = x.to_numpy(dtype=float)
    else:
        num = np.asarray(x, dtype=float)
    bad = ~np.isfinite(num)
    if allow_nan_where is not None:
        bad &= ~np.asarray(allow_nan_where, dtype=bool).reshape(bad.shape[0], *([1] * (bad.ndim - 1)))
    assert not bad.any(), f"non-finite result without a note:\n{x}"


# ------------------------------------------------------------------------------------------
# entropy / TOPSIS
# ------------------------------------------------------------------------------------------


@given(frames(), st.sampled_from([0.0, 0.01]), st.sampled_from(["raise", "zero"]))
def test_entropy_weight(df, shift, on_constant):
    res = call(M.entropy_weight, df, shift=shift, on_constant=on_constant, names=_names(df))
    if isinstance(res, Exception):
        return
    finite(res.weights)
    finite(res.scores)
    assert res.weights.sum() == pytest.approx(1.0)
    assert ((res.scores >= 0) & (res.scores <= 1)).all()
    # a column constant up to rounding never gets weight
    x = df.to_numpy()
    near = np.ptp(x, axis=0) <= 1e-9 * np.abs(x).max(axis=0)
    assert (res.weights[near] == 0).all()


@given(frames(min_rows=2))
def test_minmax_normalise(df):
    res = call(M.minmax_normalise, df, on_constant="zero", names=_names(df))
    if not isinstance(res, Exception):
        finite(res)
        assert ((res >= 0) & (res <= 1)).all().all()


@given(frames(min_rows=2), st.lists(st.sampled_from(["x", "y", " ", None]), min_size=8,
                                    max_size=8))
def test_entropy_weight_by_group(df, labels):
    groups = pd.Series(labels[: len(df)], index=df.index)
    res = call(M.entropy_weight_by_group, df, groups, on_constant="zero", names=_names(df, groups))
    if not isinstance(res, Exception):
        finite(res.weights)
        finite(res.scores)


@given(frames(min_rows=2), st.sampled_from(["minmax", "vector"]), st.booleans())
def test_entropy_topsis(df, normalisation, given_weights):
    w = pd.Series(1 / df.shape[1], index=df.columns) if given_weights else None
    res = call(M.entropy_topsis, df, weights=w, normalisation=normalisation, names=_names(df))
    if not isinstance(res, Exception):
        finite(res.closeness)
        assert ((res.closeness >= 0) & (res.closeness <= 1)).all()


@given(frames(min_rows=2), st.sampled_from(["raise", "zero"]))
def test_critic_and_pca_weights(df, on_constant):
    for fn in (M.critic_weight, M.pca_weight):
        res = call(fn, df, on_constant=on_constant, names=_names(df))
        if isinstance(res, Exception):
            continue
        finite(res.weights)
        assert res.weights.sum() == pytest.approx(1.0) and (res.weights >= -1e-12).all()
    z = df.to_numpy()
    if np.isfinite(z).all():
        for fn in (MW.critic_weights_array, MW.pca_weights_array):
            w = call(fn, z, names=_names(df) | {"z", "x", "indicator", "column", "constant"})
            if not isinstance(w, Exception):
                finite(w)


@given(frames(min_rows=2, max_rows=6, min_cols=1, max_cols=3, lo=-1, hi=1))
def test_varimax(df):
    L = df.to_numpy()
    r = call(MW.varimax, L, names={"loadings", "rows", "column"})
    if not isinstance(r, Exception):
        finite(r)
        # a rotation: row norms (communalities) unchanged
        np.testing.assert_allclose((r ** 2).sum(axis=1), (L ** 2).sum(axis=1), atol=1e-8)


# ------------------------------------------------------------------------------------------
# coupling coordination
# ------------------------------------------------------------------------------------------


@given(frames(min_cols=1, max_cols=3, lo=0.0, hi=1.0), st.sampled_from(["standard", "wang2021"]),
       st.sampled_from(["frame", "array"]))
def test_coupling(df, variant, kind):
    res = call(M.coupling_coordination, df, variant=variant, names=_names(df))
    if not isinstance(res, Exception):
        finite(res)
        assert ((res >= 0) & (res <= 1)).all().all()
    u = df if kind == "frame" else df.to_numpy()
    c = call(M.coupling_degree, u, variant, names=_names(df) | {"u"})
    if not isinstance(c, Exception):
        finite(c)
    lag = call(M.relative_development_type, df, names=_names(df))
    if not isinstance(lag, Exception):
        assert lag.isin(list(df.columns) + ["synchronous"]).all()


@given(frames(min_cols=1, max_cols=1, lo=0.0, hi=1.0), st.sampled_from(["n", "n1", "series", "list"]))
def test_classify_coordination_shapes(df, shape):
    col = df["c0"]
    d = {"n": col.to_numpy(), "n1": col.to_numpy()[:, None], "series": col,
         "list": col.tolist()}[shape]
    res = call(M.classify_coordination, d, lang="level", names={"D", "rows"})
    ref = call(M.classify_coordination, col.to_numpy(), lang="level", names={"D", "rows"})
    if isinstance(ref, Exception):
        assert isinstance(res, Exception) and type(res) is type(ref)
        return
    # the same classes whatever the container; NaN in, NaN out (documented)
    assert res.tolist() == ref.tolist()
    assert (res.isna().to_numpy() == np.isnan(col.to_numpy())).all()


# ------------------------------------------------------------------------------------------
# structure
# ------------------------------------------------------------------------------------------


@given(frames(min_cols=2, max_cols=2, lo=-10, hi=100), st.sampled_from(["n", "n1", "series", "list"]))
def test_ratios_same_for_every_container(df, shape):
    def as_(col):
        return {"n": col.to_numpy(), "n1": col.to_numpy()[:, None], "series": col,
                "list": col.tolist()}[shape]
    for fn in (M.advanced_structure, M.hightech_share):
        res = call(fn, as_(df["c0"]), as_(df["c1"]), names=_names(df) | {"va_", "total", "hightech"})
        ref = call(fn, df["c0"].to_numpy(), df["c1"].to_numpy(), names={"rows"})
        if isinstance(ref, Exception):
            assert isinstance(res, Exception), f"{fn.__name__} accepted {shape} input ref refused"
            continue
        finite(res)
        np.testing.assert_array_equal(np.asarray(res, dtype=float), np.asarray(ref, dtype=float))


@given(frames(min_cols=6, max_cols=6, lo=-5, hi=100, kinds=("plain", "plain", "zeros", "nan",
                                                             "constant", "ties", "inf")))
def test_structure_indices(df):
    df.columns = ["va_primary", "va_secondary", "va_tertiary", "emp_primary", "emp_secondary",
                  "emp_tertiary"]
    res = call(M.structure_indices, df, names=_names(df))
    assert not isinstance(res, Exception)  # documented: NaN rows, never an error
    notes = " ".join(res.attrs["notes"])
    for col in ("TS", "H", "TL"):
        nan_rows = res.index[res[col].isna()]
        assert all(str(r) in notes or "more" in notes for r in nan_rows[:5]), (col, notes)
    ok = res.dropna()
    finite(ok)
    va = call(M.structure_level, df.iloc[:, :3], names=_names(df))
    if not isinstance(va, Exception):
        finite(va)
        assert ((va >= 1 - 1e-12) & (va <= 3 + 1e-12)).all()
    tl = call(M.rationalisation_theil, df.iloc[:, :3], df.iloc[:, 3:], names=_names(df))
    if not isinstance(tl, Exception):
        finite(tl)
        assert (tl >= -1e-12).all()
    ph = call(M.structure_height, df.iloc[:, :3], df.iloc[:, 3:], lp_end=2.0,
              names=_names(df) | {"lp_end", "lp_start"})
    if not isinstance(ph, Exception):
        finite(ph)


@given(panels(lo=1.0, hi=50.0))
def test_structure_indices_keys(p):
    df = p.rename(columns={"unit": "province_code"})
    df["va_primary"], df["va_secondary"], df["va_tertiary"] = 1.0, 2.0, 3.0
    res = call(M.structure_indices, df, names=_names(df) | {"province_code", "year"})
    defect = df[["province_code", "year"]].isna().any(axis=1).any() or \
        df.duplicated(["province_code", "year"]).any() or (df["province_code"] == "  ").any()
    assert isinstance(res, Exception) == bool(defect)


# ------------------------------------------------------------------------------------------
# disparity
# ------------------------------------------------------------------------------------------


@given(frames(max_cols=1, lo=-1, hi=100), st.lists(st.sampled_from(["e", "w", "", None]),
                                                   min_size=8, max_size=8))
def test_gini_and_dagum(df, labels):
    v = df["c0"]
    g = call(M.gini, v, names=_names(v) | {"values"})
    if not isinstance(g, Exception):
        assert 0 <= g <= 1
    groups = pd.Series(labels[: len(v)], index=v.index)
    d = call(M.dagum_gini, v, groups, names=_names(v, groups) | {"values", "groups"})
    if not isinstance(d, Exception):
        parts = d.within + d.between + d.transvariation
        assert np.isfinite([d.total, d.within, d.between, d.transvariation]).all()
        assert parts == pytest.approx(d.total, abs=1e-12)
    # (n,), (n, 1) and list give the same Gini
    for alt in (v.to_numpy()[:, None], v.tolist()):
        other = call(M.gini, alt, names={"values", "rows"})
        assert type(other) is type(g) if isinstance(g, Exception) else other == pytest.approx(g)


@given(panels(lo=0.0, hi=50.0))
def test_by_period_measures(p):
    names = _names(p) | {"year", "value", "group"}
    res = call(M.dagum_gini_by, p, "value", "group", "year", names=names)
    if not isinstance(res, Exception):
        finite(res, allow_nan_where=(res["note"] != "").to_numpy())
        shares = res[["share_within", "share_between", "share_transvariation"]]
        assert (shares.isna().any(axis=1) == (res["note"] != "")).all()
    s = call(M.sigma_convergence, p, "value", "year", names=names)
    if not isinstance(s, Exception):
        for _, row in s.iterrows():
            nan = [c for c in ("mean", "sd", "cv", "sd_log", "gini") if pd.isna(row[c])]
            assert not nan or row["note"], row
    k = call(M.kernel_density_by, p, "value", "year", names=names)
    if not isinstance(k, Exception):
        finite(k)


@HEAVY
@given(panels(lo=0.0, hi=50.0, value_kinds=("plain", "plain", "constant", "zeros", "nan", "ties")),
       st.sampled_from([None, "none", "unit", "twoway"]))
def test_beta_convergence(p, fe):
    p = p.copy()
    res = call(M.beta_convergence, p, "value", unit="unit", time="year", fixed_effects=fe,
               names=_names(p) | {"unit", "year", "value", "ln value", "beta"})
    if not isinstance(res, Exception):
        assert np.isfinite([res.beta, res.se]).all() or np.isnan(res.se)


@given(frames(max_cols=1), st.floats(-10, 110))
def test_percentile_bandwidth_density(df, q):
    x = df["c0"]
    call(M.stata_percentile, x, q, names={"q", "x", "rows"})
    h = call(M.stata_kdensity_bandwidth, x, names={"x", "rows", "values"})
    if not isinstance(h, Exception):
        assert np.isfinite(h) and h >= 0
    for kernel in ("epanechnikov", "gaussian"):
        kd = call(M.kernel_density, x, kernel=kernel, names={"x", "rows", "values", "bandwidth"})
        if not isinstance(kd, Exception):
            finite(kd.density)
            assert (kd.density >= 0).all()


# ------------------------------------------------------------------------------------------
# input-output
# ------------------------------------------------------------------------------------------


@st.composite
def io_tables(draw):
    n = draw(st.integers(1, 5))
    labels = [f"s{i}" for i in range(n)]
    Z = np.array(draw(st.lists(st.floats(0, 100), min_size=n * n, max_size=n * n))).reshape(n, n)
    kind = draw(st.sampled_from(["ok", "ok", "zero_output", "tight", "neg_va", "nan", "neg_x"]))
    va = np.array(draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)))
    x = Z.sum(axis=0) + va
    if kind == "zero_output":
        j = draw(st.integers(0, n - 1))
        x[j] = 0.0
        Z[:, j] = 0.0
    elif kind == "tight":  # value added zero: column sums of A are exactly 1
        x = Z.sum(axis=0)
    elif kind == "neg_va":
        x = Z.sum(axis=0) * draw(st.floats(0.2, 0.99))
    elif kind == "nan":
        Z[0, 0] = np.nan
    elif kind == "neg_x":
        x[0] = -1.0
    return pd.DataFrame(Z, index=labels, columns=labels), pd.Series(x, index=labels)


@given(io_tables(), st.sampled_from(["ghosh", "leontief"]))
def test_io_measures(table, forward):
    Z, x = table
    names = _names(Z) | {"Z", "x", "A", "B"}
    A = call(M.technical_coefficients, Z, x, names=names)
    if not isinstance(A, Exception):
        finite(A)
        L = call(M.leontief_inverse, A, names=names)
        if not isinstance(L, Exception):
            finite(L)
            assert (L.to_numpy() >= -1e-9).all(), "negative Leontief multipliers"
            assert (np.diag(L.to_numpy()) >= 1 - 1e-9).all()
    B = call(M.ghosh_coefficients, Z, x, names=names)
    if not isinstance(B, Exception):
        G = call(M.ghosh_inverse, B, names=names)
        if not isinstance(G, Exception):
            finite(G)
            assert (G.to_numpy() >= -1e-9).all(), "negative Ghosh multipliers"
    lk = call(M.linkage_indices, Z, x, forward=forward, names=names)
    if not isinstance(lk, Exception):
        finite(lk[["backward", "forward"]], allow_nan_where=~lk["active"].to_numpy())
        assert lk.loc[~lk["active"], ["backward", "forward"]].isna().all().all()
        M.key_sectors(lk)
    # (n,), (n, 1), Series and list give the same coefficients
    for alt in (x.to_numpy(), x.to_numpy()[:, None], x.tolist()):
        other = call(M.technical_coefficients, Z.to_numpy(), alt, names=names | {"sectors"})
        if isinstance(A, Exception):
            assert isinstance(other, Exception)
        else:
            np.testing.assert_array_equal(np.asarray(other), A.to_numpy())


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(*[st.lists(st.floats(-10, 100), min_size=n,
                                                                  max_size=n)] * 3)),
       st.sampled_from(["no_reexport", "total_supply"]))
def test_regional_purchase_coefficients(vecs, assumption):
    x, e, m = (np.array(v) for v in vecs)
    r = call(M.regional_purchase_coefficients, x, e, m, assumption=assumption,
             names={"x", "exports", "imports", "sectors"})
    if not isinstance(r, Exception):
        finite(r)
        assert ((r >= 0) & (r <= 1)).all()
        n = len(x)
        A = np.full((n, n), 0.1)
        finite(call(M.local_coefficients, A, r, names={"r", "A"}))


class _Table:
    def __init__(self, Z, x, e, m, rd, code=110000, year=2017):
        self.province_code, self.year = code, year
        self.Z, self.x = Z, x
        self.exports, self.imports = e, m
        self.rd_sectors, self.trade_basis = rd, "gross"


@given(io_tables(), st.data())
def test_chain_linkage(table, data):
    Z, x = table
    n = len(x)
    e = pd.Series(data.draw(st.lists(st.floats(0, 50), min_size=n, max_size=n)), index=x.index)
    m = pd.Series(data.draw(st.lists(st.floats(0, 50), min_size=n, max_size=n)), index=x.index)
    rd = data.draw(st.lists(st.sampled_from(list(x.index)), min_size=1, max_size=n, unique=True))
    t = _Table(Z, x, e, m, rd)
    prof = call(M.sector_chain_profiles, {(110000, 2017): t}, names=_names(Z) | {"table 110000/2017"})
    if not isinstance(prof, Exception):
        noted = ~prof["active"].to_numpy() | (prof["intermediate_inputs"] == 0).to_numpy()
        finite(prof.select_dtypes("number"), allow_nan_where=noted)
        share = prof["local_input_share"]
        assert (share.isna() == (prof["intermediate_inputs"] == 0)).all()
    res = call(M.chain_linkage, {(110000, 2017): t}, names=_names(Z) | {"table 110000/2017"})
    if not isinstance(res, Exception):
        finite(res.select_dtypes("number"))
        pan = call(M.chain_linkage_panel, res, [2015, 2017, 2019], names={"chain_df"})
        flag = pan["chain_linkage_flag"] == "no_table"
        finite(pan[["chain_linkage", "local_sourcing"]], allow_nan_where=flag.to_numpy())


@given(panels(key_defects=True))
def test_chain_linkage_panel_keys(p):
    df = p.rename(columns={"unit": "province_code", "year": "io_year", "value": "chain_linkage"})
    res = call(M.chain_linkage_panel, df[["province_code", "io_year", "chain_linkage"]],
               range(2000, 2006), names=_names(df) | {"province_code", "io_year"})
    if not isinstance(res, Exception):
        ok = res["chain_linkage_flag"] != "no_table"
        assert res.loc[~ok, "chain_linkage"].isna().all()


# ------------------------------------------------------------------------------------------
# spatial
# ------------------------------------------------------------------------------------------


@st.composite
def grids(draw):
    """Unit squares on a 4 × 4 grid (some cells missing: islands appear)."""
    import geopandas as gpd
    from shapely.geometry import box

    cells = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1,
                          max_size=8, unique=True))
    codes = [100 + 10 * r + c for r, c in cells]
    return gpd.GeoDataFrame({"province_code": codes},
                            geometry=[box(c, r, c + 1, r + 1) for r, c in cells], crs=4326)


@HEAVY
@given(grids(), st.data())
def test_spatial_weights_and_moran(gdf, data):
    codes = list(gdf["province_code"])
    names = {str(c) for c in codes} | {"w", "values", "gdp_per_capita", "year", "provinces"}
    policy = data.draw(st.sampled_from(["raise", "keep"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = call(M.contiguity_weights, gdf, island_links={}, islands=policy, names=names)
    if isinstance(w, Exception):
        assert "without neighbours" in str(w)
        return
    kept = [str(k) for k in w.islands_kept]
    if kept:  # announced by name
        assert any(all(k in str(c.message) for k in kept) for c in caught
                   if issubclass(c.category, IslandWarning))
    years = data.draw(st.integers(1, 3))
    kind = data.draw(st.sampled_from(["plain", "constant", "nan"]))
    vals = pd.DataFrame([(c, 2000 + t) for c in codes for t in range(years)],
                        columns=["province_code", "year"])
    vals["value"] = _column(data.draw, len(vals), kind, 0, 10)
    island_policy = data.draw(st.sampled_from([None, "keep", "drop"]))
    mor = call(M.moran_by_year, vals, "value", w, permutations=9, islands=island_policy,
               names=names)
    if isinstance(mor, Exception):
        return
    for _, row in mor.iterrows():
        assert np.isfinite(row["I"]) or row["note"], row
    if len(codes) >= 2:
        dw = call(M.distance_weights, gdf, names=names)
        if not isinstance(dw, Exception):
            finite(M.weights_frame(dw))
        ew = call(M.economic_distance_weights,
                  pd.Series(np.arange(len(codes), dtype=float) + 1, index=codes), names=names)
        if not isinstance(ew, Exception):
            finite(M.weights_frame(ew))


@given(st.lists(st.floats(-200, 200), min_size=1, max_size=5), st.data())
def test_great_circle(lon, data):
    lat = data.draw(st.lists(st.floats(-100, 100), min_size=len(lon), max_size=len(lon)))
    d = call(M.great_circle_km, lon, lat, names={"lat", "lon", "rows"})
    if not isinstance(d, Exception):
        finite(d)
        assert np.allclose(d, d.T) and (np.diag(d) == 0).all()


# ------------------------------------------------------------------------------------------
# hand-made degenerate cases the properties must also cover
# ------------------------------------------------------------------------------------------


def test_near_constant_indicator_gets_no_entropy_weight():
    df = pd.DataFrame({"real": [1.0, 2.0, 4.0], "rounding": [0.1 + 0.2, 0.3, 0.3]})
    with pytest.raises(ValueError, match=r"constant indicator\(s\) \['rounding'\]"):
        M.entropy_weight(df)
    res = M.entropy_weight(df, on_constant="zero")
    assert res.weights["rounding"] == 0 and res.weights["real"] == 1


def test_non_productive_table_is_refused_with_the_sectors_named():
    A = pd.DataFrame([[0.6, 0.6], [0.6, 0.6]], index=["03", "17"], columns=["03", "17"])
    # (I − A) is invertible here, so a plain inverse would return negative multipliers
    assert (np.linalg.inv(np.eye(2) - A.to_numpy()) < 0).any()
    with pytest.raises(ValueError, match=r"A is not productive: spectral radius 1\.2 >= 1.*"
                                         r"'03' \(1\.2\), '17' \(1\.2\)"):
        M.leontief_inverse(A)
    with pytest.raises(ValueError, match="B is not productive"):
        M.ghosh_inverse(A.T)
    # a sector with negative value added (column sum > 1) in a productive table is fine
    ok = np.array([[0.2, 0.9], [0.1, 0.3]])
    L = M.leontief_inverse(ok)
    np.testing.assert_allclose(L, np.linalg.inv(np.eye(2) - ok))
    assert (L >= 0).all()


def test_zero_output_sectors_named():
    Z = pd.DataFrame([[1.0, 0.0], [2.0, 0.0]], index=["03", "05"], columns=["03", "05"])
    x = pd.Series([10.0, 0.0], index=["03", "05"])
    with pytest.raises(ValueError, match=r"total output is zero for sectors \['05'\]"):
        M.technical_coefficients(Z, x, zero_output="raise")


def test_blank_and_duplicate_keys_named():
    df = pd.DataFrame({"province_code": [110000, 110000, " "], "year": [2020, 2020, 2021],
                       "va_primary": 1.0, "va_secondary": 2.0, "va_tertiary": 3.0},
                      index=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"'province_code' is missing, empty or blank in 1 "
                                         r"row\(s\): rows \['c'\]"):
        M.structure_indices(df)
    with pytest.raises(ValueError, match=r"2 rows share their key \(province_code, year\): "
                                         r"rows \['a', 'b'\]"):
        M.structure_indices(df.iloc[:2])


def test_hainan_link_is_announced_and_moran_refuses_islands():
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"province_code": [440000, 450000, 430000, 360000, 460000]},
                           geometry=[box(0, 1, 1, 2), box(1, 1, 2, 2), box(0, 2, 1, 3),
                                     box(1, 2, 2, 3), box(0, -1, 1, 0)], crs=4326)
    with pytest.warns(IslandWarning, match=r"460000 \(Hainan\) has no land neighbour: linked to "
                                           r"440000 \(Guangdong\) \(island_links\)"):
        w = M.contiguity_weights(gdf)
    assert w.island_links == {460000: [440000]}
    with pytest.raises(ValueError, match=r"460000 \(Hainan\).*pass island_links"):
        M.contiguity_weights(gdf, island_links={})
    with pytest.warns(IslandWarning, match="kept as island"):
        wi = M.contiguity_weights(gdf, island_links={}, islands="keep")
    vals = pd.DataFrame({"province_code": [440000, 450000, 430000, 360000, 460000],
                         "year": 2020, "value": [1.0, 2.0, 4.0, 3.0, 5.0]})
    with pytest.raises(ValueError, match=r"islands\): 460000 \(Hainan\)"):
        M.moran_by_year(vals, "value", wi, permutations=0)
    with pytest.warns(IslandWarning, match=r"460000 \(Hainan\): islands='drop'"):
        dropped = M.moran_by_year(vals, "value", wi, permutations=0, islands="drop")
    assert dropped.loc[2020, "n"] == 4 and np.isfinite(dropped.loc[2020, "I"])
