"""Command line: ``python -m analysis <command>``.

=====================================  =========================================================
command                                what it does
=====================================  =========================================================
``data fetch``                         fill ``data/raw/`` from the mirror or the public address
``data build``                         fetch if needed, then build ``data/processed/`` from raw
``data check``                         validate processed tables; print identities and gaps
``measures``                           chain linkage (2012, 2017) and 2022 coupling coordination
``integration``                        build ``integration.parquet``; print the 2022 typology
``models``                             estimate baseline, threshold and spatial Durbin models
``reports``                            render every province's report and ``reports/index.html``
``all``                                the main job: data → integration → models → reports →
                                       research notebooks
=====================================  =========================================================

Every command exits 0 on success and non-zero with a one-line reason on failure.
"""

from __future__ import annotations

import argparse
import sys
import time


def _data(args: argparse.Namespace) -> int:
    from analysis.data import pipeline

    if args.action == "fetch":
        pipeline.fetch(verbose=True)
    elif args.action == "build":
        pipeline.build(force=args.force, verbose=True, base_year=args.base_year)
    else:
        return 0 if pipeline.check(verbose=True) else 1
    return 0


def _measures(args: argparse.Namespace) -> int:
    from analysis.reporting import summary

    summary.main()
    return 0


def _integration(args: argparse.Namespace) -> int:
    from analysis.framework import integration

    integration.run(force=args.force, verbose=True)
    return 0


def _models(args: argparse.Namespace) -> int:
    from analysis.models import pipeline

    pipeline.run(force=args.force, verbose=True)
    return 0


def _reports(args: argparse.Namespace) -> int:
    from analysis.reporting import batch

    return batch.main(
        provinces=args.province,
        langs=args.lang,
        force=args.force,
        scheduler=args.scheduler,
        workers=args.workers,
        pdf=args.pdf,
    )


def _all(args: argparse.Namespace) -> int:
    from analysis.data import pipeline as data_pipeline
    from analysis.framework import integration
    from analysis.models import pipeline as model_pipeline
    from analysis.reporting import batch

    t0 = time.perf_counter()
    data_pipeline.build(force=args.force, verbose=True)
    integration.run(force=args.force, verbose=True)
    model_pipeline.run(force=args.force, verbose=True)
    rc = batch.main(force=args.force, workers=args.workers)
    rc_nb = batch.run_research_notebooks() if not args.no_notebooks else 0
    rc = rc or rc_nb
    print(f"main job finished in {time.perf_counter() - t0:.0f} s (exit {rc})")
    return rc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true",
                        help="on failure, show the full traceback instead of one line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="fetch, build or check the data")
    p.add_argument("action", choices=["fetch", "build", "check"])
    p.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    p.add_argument("--base-year", type=int, default=2010,
                   help="build: price base year of gdp_real and gdp_deflator (default 2010)")
    p.set_defaults(func=_data)

    p = sub.add_parser("measures", help="print the headline measures")
    p.set_defaults(func=_measures)

    p = sub.add_parser("integration", help="build the integration framework table")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=_integration)

    p = sub.add_parser("models", help="estimate the models once and store their results")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=_models)

    p = sub.add_parser("reports", help="render per-province reports and the index")
    p.add_argument("--province", nargs="+", default=None,
                   help="GB/T 2260 codes or names (default: all 31)")
    p.add_argument("--lang", nargs="+", choices=["zh", "en"], default=None,
                   help="languages (default: zh en)")
    p.add_argument("--force", action="store_true", help="re-render up-to-date reports")
    p.add_argument("--workers", type=int, default=None, help="parallel kernels (default: cores)")
    p.add_argument("--scheduler", nargs="?", const="local", default=None,
                   help="run on a Dask cluster at ADDRESS (a local cluster when none is given)")
    p.add_argument("--pdf", action="store_true", help="also print each report to PDF")
    p.set_defaults(func=_reports)

    p = sub.add_parser("all", help="the main job: data, integration, models, reports, notebooks")
    p.add_argument("--force", action="store_true")
    p.add_argument("--no-notebooks", action="store_true",
                   help="skip executing the research notebooks (reports/paper/)")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=_all)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, not a traceback, for the user
        if getattr(args, "debug", False):
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
