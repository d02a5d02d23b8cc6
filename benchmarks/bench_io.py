"""Speed targets for the input-output layer (issue 2 parser, issue 3 chain linkages).

Targets on a 2-core machine:
* cold read of all 125 provincial/national ``.xls`` tables into tidy frames: < 5 s;
* chain-linkage indicators (local and competitive Leontief/Ghosh inverses, linkages, RPC) for
  all 125 province-years: < 2 s;
* panel assignment of the indicators to 2000–2024: < 0.5 s.

Run:  .venv/bin/python benchmarks/bench_io.py [--raw DIR] [--repeat 3]
Prints the timings and the 2012 / 2017 indicators of all provinces.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.data import io_tables
from analysis.measures import io as mio

TARGETS = {"read_io": 5.0, "chain_linkage": 2.0, "panel": 0.5}


def _raw_default() -> Path:
    raw = paths.raw_dir()
    if (raw / "io_provincial").is_dir():
        return raw
    mirror = paths.mirror_dir()
    if mirror is None:
        raise SystemExit("no raw data: run `python -m analysis data fetch` first")
    return mirror


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    raw = args.raw or _raw_default()

    timings: dict[str, list[float]] = {k: [] for k in TARGETS}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        frames = io_tables.read_io(raw)
        timings["read_io"].append(time.perf_counter() - t0)
        tables = io_tables.io_tables_from_frames(frames)
        t0 = time.perf_counter()
        chain = mio.chain_linkage(tables)
        timings["chain_linkage"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        panel = mio.chain_linkage_panel(chain[chain.province_code != 0], range(2000, 2025))
        timings["panel"].append(time.perf_counter() - t0)

    print(f"{len(frames['files'])} tables, {len(frames['flows']):,} flows; panel {panel.shape}")
    ok = True
    for k, ts in timings.items():
        best = min(ts)
        flag = "ok" if best < TARGETS[k] else "SLOW"
        ok &= best < TARGETS[k]
        print(f"{k:15s} best {best:6.3f} s  (target < {TARGETS[k]} s)  {flag}")

    from analysis.data.provinces import PROVINCES

    show = chain[chain.io_year.isin([2012, 2017]) & (chain.province_code != 0)].merge(
        PROVINCES[["province_code", "name_en"]], on="province_code"
    )
    cols = ["chain_linkage", "local_sourcing", "rd_output_share"]
    wide = show.pivot(index="name_en", columns="io_year", values=cols).round(3)
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        print(wide.sort_values(("chain_linkage", 2017), ascending=False))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
