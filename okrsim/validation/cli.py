"""``okrsim validate``: run the validation patterns and write their verdicts."""

from __future__ import annotations

import argparse
import time
from typing import Any

from okrsim import arguments


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check the model against empirical patterns (writes CSV and HTML)",
        description=(
            "Run every validation pattern (ratchet, meet-but-not-beat, goal difficulty, "
            "multitask neglect, measured vs real, status-report climate, hidden rework, "
            "ignoring OKRs) as sweeps with paired replications and common random numbers, "
            "and write DIR/validation.csv and DIR/validation.html. Interrupted runs resume."
        ),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smaller organisation, 4 quarters and 12 replications (minutes → seconds)",
    )
    p.add_argument(
        "--reps",
        type=arguments.reps,
        default=None,
        help="replications per design point (default 20; 12 with --quick)",
    )
    p.add_argument(
        "--out",
        type=arguments.out_dir,
        default="out/validation",
        help="output directory (default out/validation); the same directory resumes",
    )
    p.add_argument(
        "--workers",
        type=arguments.workers,
        default=None,
        help="parallel processes (default: all cores); results do not depend on it",
    )
    p.set_defaults(handler=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    from okrsim.cli import claim_out
    from okrsim.validation.runner import validate  # after the flags are checked: it loads the model

    claim_out(args.out, "validate")
    started = time.perf_counter()
    result = validate(args.out, quick=args.quick, reps=args.reps, workers=args.workers)
    table = result.table
    for pattern, ok in result.passed.items():
        rows = table[table["pattern"] == pattern]
        verdict = "reproduced" if ok else "partly" if rows["pass"].any() else "NOT reproduced"
        print(f"{verdict:14s}  {pattern:18s} {int(rows['pass'].sum())}/{len(rows)} checks")
    print(
        f"{len(table)} checks, {int(table['pass'].sum())} passed, "
        f"{time.perf_counter() - started:.0f} s; wrote {result.csv} and {result.html}"
    )
    return 0
