"""Speed target: all 62 province reports (31 × zh/en) plus the index within 40 s on 2 cores,
after the data, chain-linkage, framework and models steps are built
(``python -m analysis models`` or ``python -m analysis all``).

Renders into a temporary folder with the real ``data/processed`` (every report, nothing
skipped), or the synthetic tables of :mod:`analysis.reporting.synthetic` when the processed data
are not built (``--synthetic`` forces it). Prints the wall time, the per-report phases (kernel
start, execution, page), the machine's load average before and after (the number is only
meaningful on a quiet machine: say how loaded it was when you quote it) and exits 0 when the
target is met. A benchmark, run on demand — never a timed test.

Usage: ``python -m benchmarks.bench_reports [--workers N] [--synthetic] [--keep DIR] [--scheduler ADDR]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

TARGET_S = 40.0


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def main() -> int:
    from analysis import paths
    from analysis.reporting import batch

    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--keep", default=None, help="write the reports here instead of a temp folder")
    ap.add_argument("--scheduler", default=None)
    args = ap.parse_args()
    data_dir = paths.processed_dir()
    tmp = tempfile.mkdtemp(prefix="bench_reports_")
    if args.synthetic or not (data_dir / "panel.parquet").exists():
        from analysis.reporting.synthetic import write_synthetic

        data_dir = write_synthetic(Path(tmp) / "processed")
        print(f"using synthetic processed tables in {data_dir}")
    out = Path(args.keep) if args.keep else Path(tmp) / "reports"
    workers = args.workers or os.cpu_count()
    load_before = _load()
    t0 = time.perf_counter()
    rc = batch.main(workers=workers, data_dir=data_dir, out_root=out, scheduler=args.scheduler, progress=False)
    wall = time.perf_counter() - t0
    status = json.loads((out / "provinces" / "status.json").read_text(encoding="utf-8"))
    jobs = [j for j in status["jobs"] if j["status"] == "ok"]
    for phase in ("kernel_start", "execute", "html"):
        v = [j["phases"].get(phase, 0.0) for j in jobs]
        if v:
            print(f"  {phase:13s} median {statistics.median(v):6.2f} s   max {max(v):6.2f} s   sum {sum(v):7.1f} s")
    n = len(status["jobs"])
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"  CPU seconds: this process {me.ru_utime + me.ru_stime:.1f}, workers and kernels "
          f"{kids.ru_utime + kids.ru_stime:.1f}")
    print(f"{n} reports + index on {workers} workers ({os.cpu_count()} cores): {wall:.1f} s "
          f"(target {TARGET_S:.0f} s), exit {rc}; load average before {load_before}, after {_load()}")
    return 0 if (wall <= TARGET_S and rc == 0) else 1


if __name__ == "__main__":
    raise SystemExit(main())
