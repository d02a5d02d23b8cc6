"""Speed targets of the data layer (run on demand, not a test).

    .venv/bin/python benchmarks/bench_data.py [--repeat N]

Targets (issue 2): a cold build from raw within 30 s on a 2-core machine; a rebuild with nothing
changed within 2 s. Each run uses a fresh temporary ANALYSIS_ROOT filled from the mirror, so
the cold build really starts from an empty ``data/processed`` (the fetch is timed separately).
Warm rebuilds run in a new Python process, as a user's second ``python -m analysis data build``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(env: dict, *args: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "data", *args], env=env, check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


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
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
            env = {**os.environ, "ANALYSIS_ROOT": tmp, "ANALYSIS_MIRROR": str(mirror)}
            t_fetch = _run(env, "fetch")
            t_cold = _run(env, "build")
            t_warm = _run(env, "build")
            t_force = _run(env, "build", "--force")
            print(f"run {i + 1}: fetch {t_fetch:5.1f} s | cold build {t_cold:5.1f} s (target < 30) "
                  f"| warm rebuild {t_warm:4.2f} s (target < 2) | forced rebuild {t_force:5.1f} s "
                  f"[wall-clock incl. interpreter start-up; {os.cpu_count()} cores]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
