"""Speed target of the framework's uncertainty analysis (issue "framework v2").

Target on the project's 2-core machine: the full sensitivity analysis
(:func:`analysis.framework.sensitivity.sensitivity_analysis`, 1024 Sobol' draws over weighting ×
normalisation × one-indicator-left-out × reference window) in ≤ 20 s, on the real core
indicators when ``data/processed/panel.parquet`` has been built, else on a synthetic
31-province × 8-year panel with the shipped specification's indicator structure. The whole
:func:`analysis.framework.integration.integrate` step (which also reruns the analysis without
Beijing for ``robustness.csv``) is timed beside it, for information.

Run:  .venv/bin/python benchmarks/bench_framework.py [--repeat 3] [--draws 1024]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

TARGET_S = 20.0


def _core_and_panel():
    from analysis import paths
    from analysis.framework import integration as I
    from analysis.framework.spec import load_spec

    spec = load_spec()
    proc = paths.processed_dir()
    if (proc / "panel.parquet").exists():
        panel = pd.read_parquet(proc / "panel.parquet")
        chain = proc / "chain_linkage_panel.parquet"
        if chain.exists():
            ch = pd.read_parquet(chain)
            keep = [c for c in ch.columns if (c not in panel.columns or c in I.KEYS) and c != "io_year"]
            panel = panel.merge(ch[keep], on=I.KEYS, how="left")
        source = "real panel"
    else:
        from analysis.data.provinces import PROVINCES

        rng = np.random.default_rng(0)
        rows = [{"province_code": c, "year": y, **{k: rng.lognormal() for k in spec.columns}}
                for c in PROVINCES["province_code"] for y in range(2016, 2024)]
        panel = pd.DataFrame(rows)
        source = "synthetic panel"
    ind, _ = I.compute_indicators(panel, spec)
    core = I.prepare_core(ind, spec)[0]
    return spec, core, panel, source


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--draws", type=int, default=1024)
    args = ap.parse_args()
    from analysis.framework import integration as I
    from analysis.framework.sensitivity import sensitivity_analysis

    spec, core, panel, source = _core_and_panel()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = sensitivity_analysis(core, spec, n_draws=args.draws)
        times.append(time.perf_counter() - t0)
    best = min(times)
    n = core.index.get_level_values("province_code").nunique()
    print(f"sensitivity analysis ({source}: {n} provinces × {len(core) // n} years × "
          f"{core.shape[1]} indicators, {res.params['n_draws']} draws): best {best:.2f} s of "
          f"{args.repeat} (target ≤ {TARGET_S:.0f} s) {'OK' if best <= TARGET_S else 'MISSED'}")
    t0 = time.perf_counter()
    I.integrate(panel, spec, n_draws=args.draws)
    print(f"whole integrate() incl. the leave-Beijing-out rerun: {time.perf_counter() - t0:.2f} s "
          "(information)")
    return 0 if best <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
