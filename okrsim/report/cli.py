"""The ``okrsim report`` command: one self-contained HTML report.

Registered by :mod:`okrsim.cli` through :func:`add_commands`.  Bad input
raises :class:`~okrsim.params.ScenarioError`, which the main command prints as
one ``error:`` line with exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from okrsim import arguments


def add_commands(subparsers: Any) -> None:
    """Add ``report`` to the ``okrsim`` command line."""
    p = subparsers.add_parser(
        "report",
        help="a self-contained HTML report for leadership",
        description="Write one self-contained HTML report (charts embedded, no network "
        "requests): the question, the policies compared, the headline differences in plain "
        "language with 95 % confidence intervals, the charts and a method note. From two "
        "or more scenario files (run now, as okrsim compare does), from the --out "
        "directory of okrsim compare, or from a sweep directory of okrsim sweep.",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="two or more scenario files A.toml B.toml … (the first is the reference), or "
        "one SWEEP_DIR (okrsim sweep) or COMPARE_DIR (okrsim compare --out)",
    )
    p.add_argument(
        "--out",
        type=arguments.out_file,
        default="report.html",
        help="HTML file to write (default report.html)",
    )
    p.add_argument(
        "--reps",
        type=arguments.reps,
        default=None,
        help="paired replications for scenario files (default 20)",
    )
    p.add_argument(
        "--seed", type=arguments.seed, default=None, help="root seed for scenario files (default 0)"
    )
    p.add_argument(
        "--workers",
        type=arguments.workers,
        default=0,
        help="parallel processes for scenario files (default: all cores); results do not "
        "depend on it",
    )
    p.add_argument(
        "--question", default=None, help="the question the report answers, in one sentence"
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to a PDF beside the HTML (same name, .pdf) through "
        "headless Chromium (/usr/bin/chromium, or OKRSIM_CHROMIUM)",
    )
    p.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    """Write the report of scenario files, a comparison directory or a sweep directory."""
    from okrsim import report
    from okrsim.params import ScenarioError
    from okrsim.report.render import megabytes

    inputs = [Path(p) for p in args.inputs]
    if args.pdf:
        from okrsim.report.pdf import require_chromium

        require_chromium()  # before anything runs or is written
    started = time.perf_counter()
    directories = [p for p in inputs if p.is_dir()]
    if directories:
        if len(inputs) != 1:
            raise ScenarioError("report: give one results directory, or two or more scenario files")
        if args.reps is not None or args.seed is not None:
            raise ScenarioError(
                "report: --reps and --seed apply to scenario files; a results directory "
                "already holds its replications"
            )
        root = inputs[0]
        from okrsim.experiments.robustness import is_robustness_dir

        if is_robustness_dir(root):
            from okrsim.report.robustness import robustness_page, write_summary

            text, summary = robustness_page(root, question=args.question)
            print(f"wrote {write_summary(root, summary)}")
        elif report.is_sweep_dir(root):
            text = report.sweep_report(report.read_sweep(root), question=args.question)
        elif report.is_comparison_dir(root):
            text = report.comparison_report(report.read_comparison(root), question=args.question)
        else:
            raise ScenarioError(
                f"{root}: neither a sweep directory (manifest.json) nor an okrsim compare "
                f"directory ({', '.join(report.COMPARE_FILES)})"
            )
    else:
        text = _report_from_scenarios(args)
    out = report.write(text, args.out)
    print(f"wrote {out} ({megabytes(out.stat().st_size)}) in {time.perf_counter() - started:.1f} s")
    if args.pdf:
        from okrsim.report.pdf import print_pdf

        pdf = print_pdf(out, out.with_suffix(".pdf"))
        print(f"wrote {pdf} ({megabytes(pdf.stat().st_size)})")
    return 0


def _report_from_scenarios(args: argparse.Namespace) -> str:
    from okrsim.arguments import name_exists, shown_path
    from okrsim.cli import load_all
    from okrsim.params import ScenarioError

    if len(args.inputs) < 2:
        if not name_exists(args.inputs[0]):
            raise ScenarioError(
                f"{shown_path(args.inputs[0])}: no such scenario file or results directory"
            )
        raise ScenarioError("report: give at least two scenario files, or one results directory")
    reps = 20 if args.reps is None else args.reps
    scenarios = load_all(args.inputs)  # bad input fails before the model loads

    from okrsim.comparison import compare
    from okrsim.report.pages import comparison_report

    workers = args.workers or os.cpu_count() or 1
    comparison = compare(
        scenarios,
        reps=reps,
        seed=0 if args.seed is None else args.seed,
        workers=workers,
        progress=sys.stderr.isatty(),
    )
    return comparison_report(comparison, question=args.question)
