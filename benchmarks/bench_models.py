"""Speed target for the whole models step (issue 11): every block, bootstraps included.

Target: ``python -m analysis models`` (``analysis.models.pipeline.run``) on the real processed
panel — four baseline outcomes with 9,999-draw wild bootstraps of every coefficient, the
robustness table with a 999-permutation test, regional heterogeneity, the two-way threshold model
with 300 bootstrap replications per test, three spatial weight matrices (LM/LR/Wald tests, SDM,
SAR, SEM, 1000 effect draws), mediation with a 1000-draw cluster bootstrap, system GMM and the
144-specification curve — within 60 s wall time on a 2-core machine, imports included.

The step runs in a fresh interpreter (so imports count); wall time and the child's CPU time
(user + system) are printed. On a shared machine the wall time includes waiting for the CPU;
the CPU time is what an idle machine would need, roughly.

Run:  .venv/bin/python benchmarks/bench_models.py [--repeat 1]
Needs ``data/processed/`` (``python -m analysis data build`` and ``integration`` first).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

TARGET_S = 60.0

CODE = (
    "import inspect, json\n"
    "from analysis.models import pipeline\n"
    "kw = {'force': True} if 'force' in inspect.signature(pipeline.run).parameters else {}\n"
    "out = pipeline.run(**kw)\n"
    "print(json.dumps({'failed': out.get('failed'), 'n': len(out.get('written', []))}))\n"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    from analysis import paths

    if not (paths.processed_dir() / "panel.parquet").exists():
        print(f"no {paths.processed_dir() / 'panel.parquet'}: run `python -m analysis data build` "
              "and `python -m analysis integration` first")
        return 1
    walls, cpus = [], []
    for _ in range(args.repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if proc.returncode != 0:
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            return 1
        print(proc.stdout.strip().splitlines()[-1])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"models step: wall best {min(walls):.1f} s, all {[round(w, 1) for w in walls]}; "
          f"CPU {[round(c, 1) for c in cpus]} s; load average {load:.1f} on {os.cpu_count()} "
          f"cores (target {TARGET_S:.0f} s wall)")
    return 0 if min(walls) <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
