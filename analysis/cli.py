"""Command line: ``python -m analysis <command>``.

=====================================  =========================================================
command                                what it does
=====================================  =========================================================
``data fetch``                         fill ``data/raw/`` from the mirror or the public address
``data build``                         the data step: build ``data/processed/`` from raw
``data check``                         validate processed tables; print identities and gaps
``data import FILE [--name NAME]``     register an NBS data-portal export (分省年度数据) as a user
                                       series, merged into the panel by the next ``data build``
``measures``                           chain linkage (2012, 2017) and 2022 coupling coordination
``integration``                        the chain-linkage and framework steps; print the typology
``models``                             the models step: baseline, threshold, spatial, ...
``reports``                            the reports step: every province's report and the index
``all``                                the main job: data → chain linkage → framework → models →
                                       reports → research notebooks
``provinces``                          the 31 provinces: code, names (zh, en), region
=====================================  =========================================================

The step commands run through the step runner (:mod:`analysis.steps`): a step runs only when
its inputs, parameters or code changed (``--force`` to redo it), after bringing the steps it
depends on up to date; the run ends with a one-screen summary. Every command exits 0 on
success and 1 when anything failed (a step, a model block, a province's report), with the
reason in one line (``--debug``, before or after the command, shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys

_UTF8_ENV = "ANALYSIS_UTF8_REEXEC"


def ensure_utf8(argv: list[str] | None) -> None:
    """Re-run the interpreter in UTF-8 mode when the locale is C/POSIX without it.

    Under ``LC_ALL=C`` (and ``PYTHONUTF8=0``) Python's file-system encoding is ASCII: the raw
    files with Chinese names cannot even be opened, and printing a province name raises
    ``UnicodeEncodeError``. The file-system encoding is fixed at start-up, so the only reliable
    remedy is to start again with ``-X utf8`` (which takes precedence over ``PYTHONUTF8``);
    ``PYTHONUTF8=1`` is also set for child processes (papermill kernels, Dask workers).
    Only the command line does this; a library caller under such a locale gets a clear error
    from :func:`analysis.paths.check_filesystem_encoding` instead.
    """
    if sys.flags.utf8_mode or sys.getfilesystemencoding().lower().replace("-", "") == "utf8":
        os.environ["PYTHONUTF8"] = "1"  # children (kernels, workers) too, whatever was set
        return
    if argv is not None or os.environ.get(_UTF8_ENV):  # a call from Python, or already re-run
        return
    env = dict(os.environ, PYTHONUTF8="1", PYTHONIOENCODING="utf-8", **{_UTF8_ENV: "1"})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-X", "utf8", "-m", "analysis", *sys.argv[1:]], env)


def _steps(args: argparse.Namespace, targets: list[str], force: list[str], **kw) -> int:
    from analysis import steps

    return steps.run_main(targets, force=force if args.force else [], keep_going=args.keep_going,
                          debug=getattr(args, "debug", False), **kw)


def _data(args: argparse.Namespace) -> int:
    from analysis.data import pipeline

    if args.action == "import":
        from analysis.data import user_sources

        if not args.file:
            raise ValueError("data import needs a FILE: python -m analysis data import FILE "
                             "[--name NAME]")
        rec, export = user_sources.import_file(args.file, args.name, label_en=args.label_en,
                                               replace=args.replace)
        print(user_sources.summary_text(rec, export))
        return 0
    if args.action == "fetch":
        pipeline.fetch(verbose=True)
        return 0
    if args.action == "build":
        return _steps(args, ["data"], ["data"], base_year=args.base_year)
    return 0 if pipeline.check(verbose=True) else 1


def _measures(args: argparse.Namespace) -> int:
    from analysis import steps
    from analysis.reporting import summary

    rc = steps.run_main(["framework"], debug=getattr(args, "debug", False))
    if rc:
        return rc
    summary.main()
    return 0


def _integration(args: argparse.Namespace) -> int:
    return _steps(args, ["framework"], ["chain_linkage", "framework"])


def _models(args: argparse.Namespace) -> int:
    return _steps(args, ["models"], ["models"])


def _reports(args: argparse.Namespace) -> int:
    from analysis.reporting import batch

    if args.province:  # unknown names fail here, before any step runs
        batch.resolve_provinces(args.province)
    subset = bool(args.province or args.lang)
    opts = {"provinces": args.province, "langs": args.lang, "workers": args.workers,
            "scheduler": args.scheduler}
    return _steps(args, ["reports"], ["reports"], options={"reports": opts},
                  partial=["reports"] if subset else [], pdf=args.pdf)


def _all(args: argparse.Namespace) -> int:
    return _steps(args, None, True if args.force else [],
                  options={"reports": {"workers": args.workers}},
                  notebooks=not args.no_notebooks)


def _provinces(args: argparse.Namespace) -> int:
    from analysis.data.provinces import PROVINCES

    cols = ["province_code", "name_zh", "full_name_zh", "name_en", "region", "region_zh"]
    if args.format == "csv":
        sys.stdout.write(PROVINCES[cols].to_csv(index=False))
    else:
        print(PROVINCES[cols].to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on failure, show the full traceback instead of one line")
    runner = argparse.ArgumentParser(add_help=False)
    runner.add_argument("--force", action="store_true",
                        help="run the step even if its inputs, parameters and code are unchanged")
    runner.add_argument("--keep-going", action="store_true",
                        help="after a failure, run the steps that do not depend on it "
                             "(the exit code is still 1)")

    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true",
                        help="on failure, show the full traceback instead of one line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="fetch, build, check the data or import a user series",
                       parents=[common, runner])
    p.add_argument("action", choices=["fetch", "build", "check", "import"])
    p.add_argument("file", nargs="?", help="import: the NBS export (.csv, .xlsx or .xls)")
    p.add_argument("--name", help="import: panel column name (default: the file name)")
    p.add_argument("--label-en", help="import: English label for the codebook")
    p.add_argument("--replace", action="store_true",
                   help="import: replace a user series registered under the same name")
    p.add_argument("--base-year", type=int, default=2010,
                   help="build: price base year of gdp_real and gdp_deflator (default 2010)")
    p.set_defaults(func=_data)

    p = sub.add_parser("measures", help="print the headline measures", parents=[common])
    p.set_defaults(func=_measures)

    p = sub.add_parser("integration", help="the chain-linkage and framework steps",
                       parents=[common, runner])
    p.set_defaults(func=_integration)

    p = sub.add_parser("models", help="estimate the models once and store their results",
                       parents=[common, runner])
    p.set_defaults(func=_models)

    p = sub.add_parser("reports", help="render per-province reports and the index",
                       parents=[common, runner])
    p.add_argument("--province", nargs="+", default=None,
                   help="GB/T 2260 codes or names (default: all 31)")
    p.add_argument("--lang", nargs="+", choices=["zh", "en"], default=None,
                   help="languages (default: zh en)")
    p.add_argument("--workers", type=int, default=None, help="parallel kernels (default: cores)")
    p.add_argument("--scheduler", nargs="?", const="local", default=None,
                   help="run on a Dask cluster at ADDRESS (a local cluster when none is given)")
    p.add_argument("--pdf", action="store_true", help="also print each report to PDF")
    p.set_defaults(func=_reports)

    p = sub.add_parser("all", help="the main job: every step, each skipped when up to date",
                       parents=[common, runner])
    p.add_argument("--no-notebooks", action="store_true",
                   help="leave out the research notebooks (reports/paper/nbXX_*)")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=_all)

    p = sub.add_parser("provinces", help="list the 31 provinces (code, names, region)",
                       parents=[common])
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.set_defaults(func=_provinces)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m analysis``; returns the exit code."""
    ensure_utf8(argv)
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
