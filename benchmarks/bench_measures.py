"""Speed targets for the measurement library (issue 3, everything except the IO part).

Targets on the project's 2-core machine:
* entropy weights, coupling coordination and the Dagum decomposition (by year) on a synthetic
  300-city × 20-year panel: < 1 s each;
* the whole measurement step on a synthetic 31-province × 14-year panel (entropy for two
  subsystems, coupling + classes + lagging type, structure indices, Dagum by year, σ- and
  β-convergence, kernel densities, Moran's I by year with 999 permutations): < 5 s.
  The spatial weights (from the real boundaries) and the chain linkage of every IO table (from
  ``data/processed/io_*.parquet``) are timed separately when present, and added to the step
  for the "whole province step" line.

Run:  .venv/bin/python benchmarks/bench_measures.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis import measures as m

CODES = [110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000,
         340000, 350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000,
         510000, 520000, 530000, 540000, 610000, 620000, 630000, 640000, 650000]


def city_panel(n_units: int = 300, n_years: int = 20, n_ind: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([range(n_units), range(2005, 2005 + n_years)],
                                     names=["city", "year"])
    X = pd.DataFrame(rng.lognormal(size=(len(idx), n_ind)), index=idx,
                     columns=[f"x{j}" for j in range(n_ind)])
    groups = np.repeat(rng.integers(0, 4, n_units), n_years)
    return X, groups


def province_panel(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = range(2009, 2023)
    df = pd.DataFrame([(c, y) for c in CODES for y in years], columns=["province_code", "year"])
    n = len(df)
    for j in range(5):
        df[f"st{j}"] = rng.lognormal(size=n)
    for j in range(4):
        df[f"ind{j}"] = rng.lognormal(size=n)
    df["va_primary"], df["va_secondary"], df["va_tertiary"] = (rng.uniform(1, 10, n),
                                                               rng.uniform(5, 40, n),
                                                               rng.uniform(5, 50, n))
    for s in ("primary", "secondary", "tertiary"):
        df[f"emp_{s}"] = rng.uniform(100, 1000, n)
    df["region"] = df["province_code"].map(
        dict(zip(CODES, rng.choice(["east", "central", "west", "northeast"], 31), strict=True)))
    df["gdp_pc"] = np.exp(rng.normal(1.5, 0.4, n) + 0.05 * (df["year"] - 2009))
    return df


def ring_weights():
    """Stand-in contiguity for the province benchmark when boundaries are absent."""
    from libpysal.weights import W

    nb = {c: [CODES[(i - 1) % 31], CODES[(i + 1) % 31]] for i, c in enumerate(CODES)}
    w = W(nb, id_order=CODES)
    w.transform = "r"
    return w


def measurement_step(df: pd.DataFrame, w) -> dict:
    st = m.entropy_weight(df[[f"st{j}" for j in range(5)]], shift=0.0001)
    ind = m.entropy_weight(df[[f"ind{j}" for j in range(4)]], {"ind3": "-"}, shift=0.0001)
    U = pd.DataFrame({"U_st": st.scores, "U_ind": ind.scores})
    cc = m.coupling_coordination(U)
    cc["D_class"] = m.classify_coordination(cc["D"])
    cc["lagging"] = m.relative_development_type(U)
    top = m.entropy_topsis(df[[f"st{j}" for j in range(5)]])
    structure = m.structure_indices(df)
    long = df[["province_code", "year", "region", "gdp_pc"]].assign(D=cc["D"].to_numpy())
    dag = m.dagum_gini_by(long, "D", "region", "year")
    sig = m.sigma_convergence(long, "gdp_pc")
    beta = m.beta_convergence(long.assign(x=df["st0"]), "gdp_pc", controls=["x"])
    kd = m.kernel_density_by(long, "D", years=[2009, 2015, 2022])
    mor = m.moran_by_year(long, "D", w, permutations=999, seed=1)
    return {"cc": cc, "top": top, "structure": structure, "dagum": dag, "sigma": sig,
            "beta": beta, "kd": kd, "moran": mor}


def best_of(fn: Callable[[], object], repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    X, groups = city_panel()
    years = X.index.get_level_values("year").to_numpy()
    U = pd.DataFrame({"a": m.entropy_weight(X.iloc[:, :5]).scores,
                      "b": m.entropy_weight(X.iloc[:, 5:]).scores})
    long = pd.DataFrame({"v": U["a"].to_numpy() + 0.01, "g": groups, "year": years})
    df = province_panel()
    w = ring_weights()
    t0 = time.perf_counter()
    measurement_step(df, w)  # warm-up: imports, pyfixest/numba compilation
    cold = time.perf_counter() - t0

    results = {
        "entropy 300x20 (10 indicators)": (best_of(lambda: m.entropy_weight(X, shift=0.0001),
                                                   args.repeat), 1.0),
        "coupling 300x20": (best_of(lambda: m.coupling_coordination(U), args.repeat), 1.0),
        "coupling wang2021 300x20": (best_of(
            lambda: m.coupling_coordination(U, variant="wang2021"), args.repeat), 1.0),
        "dagum by year 300x20 (4 groups)": (best_of(
            lambda: m.dagum_gini_by(long, "v", "g", "year"), args.repeat), 1.0),
        "measurement step 31x14": (best_of(lambda: measurement_step(df, w), args.repeat), 5.0),
    }
    ok = True
    for name, (t, target) in results.items():
        flag = "ok" if t < target else "SLOW"
        ok &= t < target
        print(f"{name:36s} best {t:8.4f} s  (target < {target} s)  {flag}")
    print(f"{'measurement step 31x14, first call':36s}      {cold:8.4f} s  (imports, JIT)")

    try:  # spatial weights from the real boundaries (input of the measurement step)
        import geopandas as gpd

        from analysis import paths

        raw = paths.raw_dir() / "boundaries"
        if not raw.is_dir() and paths.mirror_dir() is not None:
            raw = paths.mirror_dir() / "boundaries"
        if raw.is_dir():
            t0 = time.perf_counter()
            frames = [gpd.read_file(raw / f"{c}.geojson").assign(province_code=c) for c in CODES]
            gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
            t1 = time.perf_counter()
            m.contiguity_weights(gdf)
            t2 = time.perf_counter()
            m.distance_weights(gdf)
            t3 = time.perf_counter()
            print(f"{'boundaries: read 31 GeoJSON':36s}      {t1 - t0:7.3f} s")
            print(f"{'  queen contiguity (shapely STRtree)':36s}      {t2 - t1:7.3f} s")
            print(f"{'  inverse-distance weights':36s}      {t3 - t2:7.3f} s")
            # the whole province step: weights + chain linkage of every IO table + the rest
            proc = paths.processed_dir()
            io_files = {k: proc / f"io_{k}.parquet" for k in ("flows", "final", "va")}
            if all(f.exists() for f in io_files.values()):
                from analysis.data import io_tables

                t4 = time.perf_counter()
                tables = io_tables.io_tables_from_frames(
                    {k: pd.read_parquet(f) for k, f in io_files.items()})
                chain = m.chain_linkage({k: t for k, t in tables.items() if k[0] != 0})
                m.chain_linkage_panel(chain, range(2002, 2024))
                t5 = time.perf_counter()
                whole = (t3 - t1) + (t5 - t4) + results["measurement step 31x14"][0]
                flag = "ok" if whole < 5.0 else "SLOW"
                ok &= whole < 5.0
                print(f"{'  chain linkage, 124 IO tables':36s}      {t5 - t4:7.3f} s")
                print(f"{'whole province step (sum)':36s} best {whole:8.4f} s  (target < 5.0 s)  "
                      f"{flag}")
    except ImportError:
        pass
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
