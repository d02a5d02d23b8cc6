"""Speed targets of the data layer (run on demand, not a test).

    .venv/bin/python benchmarks/bench_data.py [--repeat N]

Targets (issues 2 and 9): a cold build from raw within 30 s on a 2-core machine; a rebuild with
nothing changed within 2 s. Each run uses a fresh temporary ANALYSIS_ROOT filled from the mirror,
so the cold build really starts from an empty ``data/processed`` (the fetch is timed separately).
Warm rebuilds run in a new Python process, as a user's second ``python -m analysis data build``.
Besides wall-clock time each step reports the CPU time of its process (user + system): on a
machine shared with other jobs the wall-clock time grows while the CPU time does not, so a
missed target with CPU time well inside it points at the load, not at the code. Exit status 1
when a wall-clock target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(env: dict, *args: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``python -m analysis data <args>`` in a new process."""
    t, c = time.perf_counter(), _cpu_children()
    subprocess.run([sys.executable, "-m", "analysis", "data", *args], env=env, check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t, _cpu_children() - c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from analysis import paths

    mirror = paths.mirror_dir()
    if mirror is None:
        print("no mirror: set ANALYSIS_MIRROR", file=sys.stderr)
        return 2
    missed = False
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
            env = {**os.environ, "ANALYSIS_ROOT": tmp, "ANALYSIS_MIRROR": str(mirror)}
            fetch, cold = _run(env, "fetch"), _run(env, "build")
            warm, force = _run(env, "build"), _run(env, "build", "--force")
            print(f"run {i + 1}: fetch {fetch[0]:5.1f} s | cold build {cold[0]:5.1f} s "
                  f"(CPU {cold[1]:5.1f} s; target < 30) | warm rebuild {warm[0]:4.2f} s "
                  f"(CPU {warm[1]:4.2f} s; target < 2) | forced rebuild {force[0]:5.1f} s "
                  f"(CPU {force[1]:5.1f} s) [wall-clock incl. interpreter start-up; "
                  f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}]")
            missed |= cold[0] > 30 or warm[0] > 2
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
