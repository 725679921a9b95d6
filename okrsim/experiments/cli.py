"""``okrsim sweep``, ``okrsim rerun``, ``okrsim analyze`` and ``okrsim robustness``.

:func:`add_commands` registers the four subcommands on the main parser's
subparsers (``okrsim.cli`` calls it); each sets ``handler``, which takes the
parsed arguments, returns an exit code, and raises
:class:`~okrsim.params.ScenarioError` for bad input (printed by the main
entry point as ``error: <message>`` with exit code 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from okrsim import arguments
from okrsim.extras import require

if TYPE_CHECKING:
    from okrsim.experiments.analysis import Analysis

#: Rows of the analysis table printed by ``analyze``; the CSVs hold all of them.
MAX_PRINTED_ROWS = 40

SWEEP_HELP = """\
Run an experiment file: every design point × replication, streamed to
Parquet in DIR (default out/sweeps/NAME). Every design point is validated
before the first run; seeds are planned by run index, so the rows do not
depend on the executor, the number of workers or the chunking.

A run that raises is recorded in DIR/failures.parquet and the sweep goes on.
Interrupt it (Ctrl-C, SIGTERM, or a killed job) and continue with --resume:
only the missing runs are run, and the result equals an uninterrupted sweep.
A part file that cannot be read is moved to DIR/quarantine/ on --resume and
its runs are run again. A completed sweep's parts are merged into a few files.

Results: DIR/runs/*.parquet (one row per run: run_id, point_id, replication,
seed_entropy, spawn_key, the swept keys, the outcomes), DIR/design.parquet,
DIR/manifest.json, DIR/failures.parquet, DIR/series/*.parquet if the
experiment asks for quarterly series. Readable by pandas, polars, DuckDB, R.
"""

SWEEP_EXAMPLES = """\
examples:
  okrsim sweep experiments/coupling_sweep.toml
  okrsim sweep experiments/coupling_sweep.toml --workers 4 -o out/coupling
  okrsim sweep experiments/coupling_sweep.toml -o out/coupling --resume
  okrsim sweep experiments/sensitivity.toml --executor dask --scheduler tcp://10.0.0.5:8786
  okrsim sweep experiments/sensitivity.toml --executor dask --scheduler-file ~/scheduler.json
"""

RERUN_HELP = """\
Run one stored run again from the sweep directory alone (base scenario and
design point from the manifest, seed from the run index) and compare it with
the stored row column by column. Exit code 0 if the row is reproduced
exactly, 1 if any column differs.
"""

ANALYZE_HELP = """\
Analyse a stored sweep. Writes DIR/analysis.html (self-contained plotly) and
DIR/analysis/*.csv:

  point_means.csv      per design point and metric: n, mean, sd, 95 % t-CI
  sobol.csv            sobol designs: S1 and ST with 95 % bootstrap CIs
                       (replications averaged per point first)
  morris.csv           morris designs: mu, mu*, mu* CI, sigma
  prim_trajectory.csv  with --where: PRIM peeling trajectory (coverage,
  prim_box.csv         density, mass) and the selected box's limits

--where is evaluated on the per-point means; metric names are plain, swept
keys are backquoted: --where "true_value < 0.9 and `comp.coupling` > 0.2".

Given the directory of okrsim robustness, it analyses both stages instead:
Morris μ* per effect and input, the inputs selected for the Sobol' stage,
S1/ST with 95 % bootstrap CIs per effect, the sign of each effect over the
design (overall and per decision rule), and PRIM boxes with coverage and
density for "coupling raises true value" and "coupling does not raise
sandbagging" (DIR/analysis/*.csv).
"""

ROBUSTNESS_HELP = """\
Is the answer robust? Runs a robustness file end to end: the outcome of every
design point is a policy EFFECT — the paired difference treated − control
(e.g. coupled minus decoupled, comp.coupling = 1 vs 0) of true value,
sandbagging, reporting bias, help, blocker latency and quits, both arms on
the same seed (common random numbers).

  1. screen   Morris elementary effects over every parameter the file lists
              (behaviour, judgment, environment, …) and the decision rule;
  2. select   the top_k inputs by μ* for each effect, their union, plus the rule;
  3. resolve  Sobol' first-order and total indices over the selected inputs;
  4. analyse  indices with bootstrap CIs, the sign of each effect across the
              space and per rule, PRIM boxes for "coupling raises true value"
              and "coupling does not raise sandbagging";
  5. report   DIR/report.html (Sobol' bars, PRIM trade-off chart) and
              DIR/summary.md (the conclusions that hold, those that flip and where).

Each stage is a sweep store (DIR/screen, DIR/resolve) with a progress bar
and an ETA. Interrupted (Ctrl-C, SIGTERM, a killed job)? Run the same command
again: stored runs are kept, missing ones run, none twice. A different file
into the same DIR is refused. Seeds are planned by run index, so the results
do not depend on --workers or on running on Dask.
"""

ROBUSTNESS_EXAMPLES = """\
examples:
  okrsim robustness --quick                       # the tiny variant, seconds
  okrsim robustness                               # experiments/robustness.toml, about an hour
  okrsim robustness --out out/robust --workers 2  # run again to resume
  okrsim robustness --scheduler tcp://10.0.0.5:8786
  okrsim robustness --scheduler-file ~/okrsim-scheduler.json   # in a batch job (docs/cluster.md)
"""


def add_commands(subparsers: Any) -> None:
    """Register ``sweep``, ``rerun`` and ``analyze`` on an argparse subparsers object."""
    fmt = argparse.RawDescriptionHelpFormatter

    sweep = subparsers.add_parser(
        "sweep",
        help="run an experiment file (a parameter sweep) into a Parquet store",
        description=SWEEP_HELP,
        epilog=SWEEP_EXAMPLES,
        formatter_class=fmt,
    )
    sweep.add_argument("experiment", metavar="EXPERIMENT.toml", help="experiment file")
    sweep.add_argument(
        "-o",
        "--out",
        metavar="DIR",
        type=arguments.out_dir,
        help="sweep directory (default: out/sweeps/<experiment name>)",
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in DIR (or start it if DIR is new); refuses if DIR holds "
        "a different experiment",
    )
    sweep.add_argument(
        "--retry-failed", action="store_true", help="with --resume: run recorded failures again"
    )
    sweep.add_argument(
        "--executor",
        choices=("local", "dask", "serial"),
        default="local",
        help="local process pool (default), a Dask cluster, or serial in this process",
    )
    add_executor_flags(sweep, dask="with --executor dask")
    sweep.add_argument(
        "--wait",
        type=arguments.positive,
        default=60,
        metavar="S",
        help="with --executor dask: seconds to wait for the scheduler file and a first "
        "worker (default 60)",
    )
    sweep.add_argument(
        "--chunk-size",
        type=arguments.positive,
        metavar="N",
        help="runs per task (default: adapted to take about 2 s of worker time, at most 64 "
        "runs, smaller near the end); results do not depend on it",
    )
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.add_argument(
        "--max-runs",
        type=arguments.positive,
        metavar="N",
        help="refuse a plan of more than N runs, design points × replications (default "
        "100,000: okrsim.experiments.plan.DEFAULT_MAX_RUNS)",
    )
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the experiment and show the plan; run nothing",
    )
    sweep.set_defaults(handler=sweep_command)

    rerun = subparsers.add_parser(
        "rerun",
        help="rebuild one run of a stored sweep and check it matches",
        description=RERUN_HELP,
        formatter_class=fmt,
    )
    rerun.add_argument("dir", metavar="DIR", help="sweep directory")
    rerun.add_argument(
        "run_id", metavar="RUN_ID", type=arguments.non_negative, help="run to rebuild"
    )
    rerun.add_argument("--json", action="store_true", help="print the rebuilt row as JSON")
    rerun.set_defaults(handler=rerun_command)

    analyze = subparsers.add_parser(
        "analyze",
        help="point means with CIs, Sobol/Morris indices, PRIM; HTML + CSV",
        description=ANALYZE_HELP,
        formatter_class=fmt,
    )
    analyze.add_argument("dir", metavar="DIR", help="sweep directory")
    analyze.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="analyse this metric (repeatable; default: every stored metric)",
    )
    analyze.add_argument(
        "--where", metavar="EXPR", help='PRIM condition on the point means, e.g. "true_value < 0.9"'
    )
    analyze.add_argument(
        "--min-coverage",
        type=arguments.unit,
        default=0.5,
        metavar="C",
        help="PRIM: select the densest box with at least this coverage (default 0.5)",
    )
    analyze.add_argument(
        "--peel-alpha",
        type=arguments.open_unit,
        default=0.05,
        metavar="A",
        help="PRIM: share peeled per step (default 0.05)",
    )
    analyze.set_defaults(handler=analyze_command)

    robust = subparsers.add_parser(
        "robustness",
        help="are the policy effects robust? Morris screen, Sobol', PRIM, report",
        description=ROBUSTNESS_HELP,
        epilog=ROBUSTNESS_EXAMPLES,
        formatter_class=fmt,
    )
    robust.add_argument(
        "file",
        nargs="?",
        metavar="FILE.toml",
        help="robustness file (default experiments/robustness.toml, or "
        "experiments/robustness_quick.toml with --quick)",
    )
    robust.add_argument(
        "--quick", action="store_true", help="the tiny variant (experiments/robustness_quick.toml)"
    )
    robust.add_argument(
        "--out",
        "-o",
        metavar="DIR",
        type=arguments.out_dir,
        help="output directory (default out/robustness/<name>); the same DIR resumes",
    )
    add_executor_flags(robust, dask="instead of the local pool; docs/cluster.md")
    robust.add_argument("--no-progress", action="store_true", help="no progress bars")
    robust.set_defaults(handler=robustness_command)


def add_executor_flags(parser: argparse.ArgumentParser, *, dask: str) -> None:
    """``--workers`` (the local pool) and ``--scheduler``/``--scheduler-file`` (Dask).

    ``dask`` says, in the help, when the Dask flags apply.
    """
    parser.add_argument(
        "--workers",
        type=arguments.workers,
        metavar="N",
        help=f"local pool size (default: all cores, here {os.cpu_count()})",
    )
    parser.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help=f"Dask scheduler address ({dask})"
    )
    parser.add_argument("--scheduler-file", metavar="FILE", help=f"Dask scheduler file ({dask})")


def check_dask_flags(command: str, args: argparse.Namespace, *, needs: str) -> None:
    """Refuse a scheduler given twice or a pool size for a cluster; require the cluster extra.

    ``needs`` names what needs the extra in its error (``okrsim sweep --executor dask``).
    """
    from okrsim.params import ScenarioError

    if args.scheduler and args.scheduler_file:
        raise ScenarioError(f"{command}: give --scheduler or --scheduler-file, not both")
    if args.workers:
        raise ScenarioError(
            f"{command}: --workers sets the local pool; a Dask cluster's size "
            "is set where its workers are started"
        )
    require("cluster", needs)


# -- handlers ---------------------------------------------------------------


def sweep_command(args: argparse.Namespace) -> int:
    """Plan, validate and run a sweep; print the one-line summary."""
    from okrsim.params import ScenarioError

    if args.retry_failed and not args.resume:
        raise ScenarioError("sweep: --retry-failed only makes sense with --resume")
    if args.executor == "dask":
        if not (args.scheduler or args.scheduler_file):
            raise ScenarioError(
                "sweep: --executor dask needs --scheduler tcp://HOST:PORT or --scheduler-file "
                "FILE (see docs/cluster.md)"
            )
        check_dask_flags("sweep", args, needs="okrsim sweep --executor dask")
    elif args.scheduler or args.scheduler_file:
        raise ScenarioError("sweep: --scheduler/--scheduler-file need --executor dask")
    if args.executor == "serial" and args.workers not in (None, 1):
        raise ScenarioError("sweep: --executor serial runs one run at a time; drop --workers")

    # Flags are checked before the model's libraries load, so a wrong one fails at once.
    from okrsim.cli import claim_out
    from okrsim.experiments.executors import make_backend
    from okrsim.experiments.plan import DEFAULT_MAX_RUNS, plan_sweep
    from okrsim.experiments.sweep import SweepInterrupted, run_sweep
    from okrsim.experiments.sweep_store import Store

    try:
        plan = plan_sweep(args.experiment, max_runs=args.max_runs or DEFAULT_MAX_RUNS)
    except ScenarioError as exc:
        if _looks_like_scenario(args.experiment):
            raise ScenarioError(
                f"{args.experiment}: this looks like a scenario file: okrsim run and okrsim "
                "compare take scenarios, okrsim sweep takes an experiment file (see experiments/)"
                f"\n{exc}"
            ) from None
        raise
    out = Path(args.out) if args.out else Path("out") / "sweeps" / plan.experiment.name
    claim_out(out, "sweep")
    # what the sweep would refuse, the dry run refuses too, and neither writes a thing first
    resumes = Store(out).check(plan, resume=args.resume)
    if args.dry_run:
        exp = plan.experiment
        print(
            f"{exp.path}: {plan.design.kind} design, {_count(plan.n_points, 'point')} × "
            f"{_count(plan.replications, 'replication')} = {_count(plan.n_runs, 'run')} "
            f"(seed {exp.seed}, crn = {str(exp.crn).lower()}); "
            f"{'the point is' if plan.n_points == 1 else 'all points'} valid"
        )
        for axis in plan.design.axes:
            print(f"  axis {axis.key}: {_axis_text(axis.describe())}")
        print(f"  outcomes: {exp.outcomes.statistic} of {', '.join(exp.metrics)}")
        where = f"resume the sweep in {out}" if resumes else f"write to {out}"
        print(f"  would {where}; design hash {plan.design_hash[:16]}")
        return 0
    try:
        backend = make_backend(
            args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            scheduler_file=args.scheduler_file,
            wait=args.wait,
        )
    except OSError as exc:
        raise ScenarioError(f"sweep: cannot reach the Dask scheduler: {exc}") from None
    try:
        summary = run_sweep(
            plan,
            out,
            backend,
            resume=args.resume,
            retry_failed=args.retry_failed,
            chunk_size=args.chunk_size,
            progress=not args.no_progress,
        )
    except SweepInterrupted as stop:
        print(stop.summary.line(), file=sys.stderr)
        return 128 + stop.signal
    finally:
        backend.close()
    print(summary.line())
    return 0


def rerun_command(args: argparse.Namespace) -> int:
    """Rebuild one run and compare it with the stored row."""
    from okrsim.experiments.sweep import rerun

    result = rerun(args.dir, args.run_id)
    if args.json:
        print(json.dumps(result.fresh, default=str, indent=2, allow_nan=True))
    elif result.fresh is not None:
        width = max(len(k) for k in result.fresh)
        for k, v in result.fresh.items():
            print(f"{k:<{width}}  {v}")
    if result.fresh is None:
        print(f"run {args.run_id} raised again:\n{result.error}", file=sys.stderr)
    if result.identical:
        what = (
            "its failure reproduced"
            if result.fresh is None
            else f"identical to the stored row ({len(result.fresh)} columns)"
        )
        print(f"run {args.run_id}: {what}", file=sys.stderr)
        return 0
    if result.stored is None and result.stored_failure is None:
        print(
            f"run {args.run_id}: not stored yet (the sweep is incomplete); nothing to compare",
            file=sys.stderr,
        )
        return 1
    if result.stored is None:
        print(f"run {args.run_id}: stored as a failure, but succeeded now", file=sys.stderr)
        return 1
    if result.fresh is None:
        print(f"run {args.run_id}: stored as a row, but raised now", file=sys.stderr)
        return 1
    print(f"run {args.run_id}: differs from the stored row:", file=sys.stderr)
    for column, old, new in result.differences:
        print(f"  {column}: stored {old!r}, rerun {new!r}", file=sys.stderr)
    return 1


def robustness_command(args: argparse.Namespace) -> int:
    """Screen, select, resolve, analyse and report a robustness file, resumably."""
    from okrsim.params import ScenarioError

    if args.file and args.quick:
        raise ScenarioError("robustness: give a FILE or --quick, not both")
    dask = bool(args.scheduler or args.scheduler_file)
    if dask:
        check_dask_flags("robustness", args, needs="okrsim robustness --scheduler")
    path = (
        Path(args.file)
        if args.file
        else _shipped_experiment("robustness_quick.toml" if args.quick else "robustness.toml")
    )
    if path.is_dir():
        raise ScenarioError(
            f"{path}: is a directory; expected a robustness file (TOML), "
            "e.g. experiments/robustness.toml"
        )
    if not path.is_file():
        raise ScenarioError(f"{path}: no such robustness file")

    from okrsim.cli import claim_out
    from okrsim.experiments.executors import make_backend
    from okrsim.experiments.robustness import load_robustness, run_robustness
    from okrsim.experiments.sweep import SweepInterrupted
    from okrsim.report.robustness import write_outputs

    robustness = load_robustness(path)
    out = Path(args.out) if args.out else Path("out") / "robustness" / robustness.name
    claim_out(out, "robustness")
    try:
        backend = make_backend(
            "dask" if dask else "local",
            workers=args.workers,
            scheduler=args.scheduler,
            scheduler_file=args.scheduler_file,
        )
    except OSError as exc:
        raise ScenarioError(f"robustness: cannot reach the Dask scheduler: {exc}") from None
    try:
        result = run_robustness(robustness, out, backend, progress=not args.no_progress)
    except SweepInterrupted as stop:
        print(stop.summary.line(), file=sys.stderr)
        print(f"interrupted; run the same command again to resume into {out}", file=sys.stderr)
        return 128 + stop.signal
    finally:
        backend.close()
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    report, summary = write_outputs(result)
    print(robustness_table(result))
    print(f"{'report':<10} {report}\n{'summary':<10} {summary}")
    return 0


def _shipped_experiment(name: str) -> Path:
    """An experiment file of the repository: ./experiments/NAME, else next to the package."""
    here = Path("experiments") / name
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[2] / "experiments" / name


def robustness_table(result: Any) -> str:
    """The selection, Sobol' indices (± CI half-widths) and the PRIM boxes, as text."""
    lines = []
    chosen = result.selection[result.selection["selected"]]
    lines.append(f"resolved inputs ({len(chosen)}): {', '.join(chosen['input'])}")
    if result.sobol is not None and not result.sobol.empty:
        table = result.sobol.sort_values(["metric", "ST"], ascending=[True, False])
        table = table[["metric", "input", "S1", "S1_conf", "ST", "ST_conf"]]
        lines.append("Sobol indices of each effect (± 95 % CI half-width), largest total first")
        lines.append(
            table.to_string(
                index=False, float_format=lambda v: f"{v:.3f}", max_rows=MAX_PRINTED_ROWS
            )
        )
    signs = result.signs[result.signs["rule"] == "all"]
    columns = ["stage", "effect", "mean", "ci_low", "ci_high", "share_positive", "robust_sign"]
    lines.append("sign of each effect over each stage's design points (treated − control)")
    lines.append(signs[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for name, (_, box) in result.prim.items():
        lines.append(
            f"prim: {name}: coverage {box.coverage:.2f}, density {box.density:.2f}, "
            f"mass {box.mass:.2f}: {box.describe()}"
        )
    return "\n".join(lines) + "\n"


def analyze_command(args: argparse.Namespace) -> int:
    """Write the analysis; report where, and the PRIM box if asked for."""
    from okrsim.experiments.analysis import analyze
    from okrsim.experiments.robustness import analyze_robustness, is_robustness_dir

    if is_robustness_dir(args.dir):
        if args.metric or args.where:
            from okrsim.params import ScenarioError

            raise ScenarioError(
                f"analyze: {args.dir} is a robustness directory; its effects and PRIM "
                "conditions are fixed: drop --metric and --where"
            )
        robust = analyze_robustness(args.dir)
        for w in robust.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(robustness_table(robust))
        for name, path in robust.csvs.items():
            print(f"{name:<18} {path}")
        return 0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = analyze(
            args.dir,
            metrics=args.metric,
            where=args.where,
            min_coverage=args.min_coverage,
            peel_alpha=args.peel_alpha,
        )
    # an earlier analysis's tables that this one did not write (a PRIM box without --where)
    for name in sorted(_analysis_files() - {path.name for path in result.csvs.values()}):
        (Path(args.dir) / "analysis" / name).unlink(missing_ok=True)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for w in {str(w.message) for w in caught}:
        print(f"warning: {w}", file=sys.stderr)
    print(main_table(result))
    for name, path in result.csvs.items():
        print(f"{name:<18} {path}")
    print(f"{'html':<18} {result.html}")
    if result.prim_box is not None:
        box = result.prim_box
        print(
            f"prim: {args.where!r}: step {box.step}, coverage {box.coverage:.2f}, "
            f"density {box.density:.2f}, mass {box.mass:.2f}: {box.describe()}"
        )
    return 0


def _analysis_files() -> set[str]:
    """The CSVs ``analyze`` may write to DIR/analysis/ (the data dictionary's)."""
    from okrsim.data_dictionary import FILES

    prefix = "analyze/analysis/"
    return {f.key.removeprefix(prefix) for f in FILES if f.key.startswith(prefix)}


def _looks_like_scenario(path: str) -> bool:
    """Whether the file at ``path`` reads as a scenario: no [experiment], only scenario tables."""
    from okrsim.params import Scenario, ScenarioError, read_toml

    try:
        data = read_toml(path)
    except ScenarioError:
        return False
    return bool(data) and data.keys() <= Scenario.model_fields.keys()


def main_table(result: Analysis) -> str:
    """The table a reader looks at first, as text.

    Sobol and Morris designs: the sensitivity indices (S1 and ST, or μ* and σ,
    with 95 % CI half-widths), ranked per metric.  Other designs: the mean of
    every metric per design point.  At most :data:`MAX_PRINTED_ROWS` rows; the
    CSVs hold them all.
    """
    from okrsim.experiments.analysis import wide_means

    if result.sobol is not None and not result.sobol.empty:
        title = "Sobol indices (± 95 % CI half-width), largest total effect first"
        table = result.sobol.sort_values(["metric", "ST"], ascending=[True, False])
        table = table[["metric", "input", "S1", "S1_conf", "ST", "ST_conf"]]
    elif result.morris is not None and not result.morris.empty:
        title = "Morris elementary effects (± 95 % CI half-width), largest μ* first"
        table = result.morris.sort_values(["metric", "mu_star"], ascending=[True, False])
        table = table[["metric", "input", "mu_star", "mu_star_conf", "sigma"]]
    else:
        long = result.point_means
        keys = list(long.columns[1 : long.columns.get_loc("metric")])
        title = "mean of each metric per design point (CIs in point_means.csv)"
        table = wide_means(long, keys) if not long.empty else long
    text = table.to_string(
        index=False, float_format=lambda v: f"{v:.3f}", max_rows=MAX_PRINTED_ROWS
    )
    return f"{title}\n{text}\n"


# -- argument types ------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    """``1 point``, ``3 points``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _axis_text(d: dict[str, Any]) -> str:
    if "values" in d:
        return f"values {d['values']}"
    steps = f", {d['steps']} steps" if d.get("steps") else ""
    return f"[{d['low']}, {d['high']}]{steps}"
