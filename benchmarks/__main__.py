"""Run every benchmark script in this folder (``make bench`` / ``python -m benchmarks``).

Each ``bench_*.py`` exposes ``main() -> int`` (0 when its targets are met) and prints its own
timings against the targets stated in its docstring. This runner runs them in one process, in
name order, each with default arguments, and exits non-zero if any missed a target.
Benchmarks are run on demand, never in the test suite.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        name = script.stem
        print(f"\n=== {name} " + "=" * (60 - len(name)))
        module = importlib.import_module(f"benchmarks.{name}")
        argv, sys.argv = sys.argv, [str(script)]
        try:
            rc = module.main()
        finally:
            sys.argv = argv
        if rc:
            failed.append(name)
    print("\nbenchmarks missing a target: " + (", ".join(failed) if failed else "none"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
