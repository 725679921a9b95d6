"""The ``okrsim`` command line: parse → Scenario → run → show.

Every command's bad input (unknown key, out-of-range or wrongly typed value,
malformed TOML, missing file, a bad flag, an output that cannot be written)
ends with one ``error:`` line naming the file or flag, the dotted key and what
was expected, and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from okrsim import arguments
from okrsim.extras import MissingExtra

if TYPE_CHECKING:
    import pandas as pd

    from okrsim.params import Scenario

EXIT_BAD_INPUT = 2
#: Problems an ``error:`` line lists before counting the rest.
SHOWN_PROBLEMS = 3
#: Characters of one problem in an ``error:`` line.
PROBLEM_CHARS = 300
#: Characters a long quoted value or path keeps when a problem is shortened.
SPAN_CHARS = 32
#: What a shortened problem is shortened in: quoted values, then any run of non-blanks.
_SPAN = re.compile(r"""(?<!\w)'[^'\n]*'(?!\w)|(?<!\w)"[^"\n]*"(?!\w)|\S+""")

HEADLINE_METRICS = (
    "sandbagging_index",
    "attainment",
    "true_value",
    "reporting_bias",
    "blocker_latency_weeks",
    "hidden_blocker_share",
    "help_share",
    "bau_share",
    "exploration_share",
    "goodhart_corr",
    "rating_accuracy",
    "watermelon_share",
    "stress",
    "intensity",
    "quit_rate",
    "leaver_capability_ratio",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(error_line(str(exc)), file=sys.stderr)
        return EXIT_BAD_INPUT
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        with warnings.catch_warnings():
            # What the command worked around (a damaged part skipped, a
            # rebuilt design) is one line, like an error, not a source location.
            warnings.showwarning = _warning_line
            return handler(args)
    except MissingExtra as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        raise  # stdout closed by its reader: not an output of the command's
    except OSError as exc:
        # Every command's outputs fail here alike: a full disk, a file system
        # that refuses the name, a file made unwritable while the command ran.
        print(error_line(write_error(exc, getattr(args, "out", None))), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Imported only now, so that building the parser loads no model libraries.
        from okrsim.params import ScenarioError

        if not isinstance(exc, ScenarioError):
            raise
        print(error_line(str(exc)), file=sys.stderr)
        return EXIT_BAD_INPUT


def _warning_line(message: Warning | str, *_: object, **__: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


class UsageError(Exception):
    """A flag or argument the parser refused; ``main`` prints it as one ``error:`` line."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose refusals are one line, ``--flag: what was expected``.

    argparse prints the usage and exits; here the message is raised as
    :class:`UsageError` so that :func:`main` ends like every other bad input
    (and can be called in-process).  Subcommand parsers inherit the class.
    """

    def error(self, message: str) -> NoReturn:
        flag, sep, rest = message.partition(": ")
        if flag.startswith("argument ") and sep:
            # "-o/--out" and "--out/-o" alike are blamed on the long name
            names = flag.removeprefix("argument ").split("/")
            message = f"{max(names, key=len)}: {rest}"
        else:
            message = f"{self.prog}: {message}"
        raise UsageError(message)


def error_line(message: str) -> str:
    """One ``error:`` line from a message of one problem per line.

    The first :data:`SHOWN_PROBLEMS` problems are given, each shortened to
    :data:`PROBLEM_CHARS` characters (:func:`shorten`), and the rest counted,
    so the line is short whatever the input held.
    """
    problems = [p for p in message.splitlines() if p.strip()] or ["(no message)"]
    line = "; ".join(shorten(p) for p in problems[:SHOWN_PROBLEMS])
    if len(problems) > SHOWN_PROBLEMS:
        line += f"; and {len(problems) - SHOWN_PROBLEMS} more problems"
    return f"error: {line}"


def shorten(problem: str, limit: int = PROBLEM_CHARS) -> str:
    """``problem`` in at most ``limit`` characters, its reason and advice kept.

    A problem is long because of what it quotes (a path, a value), not its
    words, and the words that matter come last ("…; pass --resume").  So the
    longest quoted values and runs of non-blanks are cut in the middle first,
    each to no fewer than :data:`SPAN_CHARS` characters (a path keeps its
    start and its file name); only if that is not enough is the middle of the
    problem itself cut.
    """
    if len(problem) <= limit:
        return problem
    spans = [m.span() for m in _SPAN.finditer(problem)]
    lengths = sorted((b - a for a, b in spans), reverse=True)
    excess = len(problem) - limit

    def saved(cap: int) -> int:
        return sum(n - cap for n in lengths if n > cap)

    # the largest cap on a span's length that saves enough, if any does
    lo, hi = SPAN_CHARS, max(lengths[0], SPAN_CHARS)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if saved(mid) >= excess else (lo, mid - 1)
    parts, end = [], 0
    for a, b in spans:
        parts += [problem[end:a], _middle_cut(problem[a:b], lo)]
        end = b
    text = "".join([*parts, problem[end:]])
    return text if len(text) <= limit else _middle_cut(text, limit)


def _middle_cut(text: str, limit: int) -> str:
    """``text`` in ``limit`` characters: its start and (more of) its end, "…" between.

    A quoted value keeps its quotes.
    """
    if len(text) <= limit:
        return text
    quote = text[0] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else ""
    inner = text[len(quote) : len(text) - len(quote)]
    keep = limit - 1 - 2 * len(quote)
    head = keep * 2 // 5
    return f"{quote}{inner[:head]}…{inner[len(inner) - (keep - head) :]}{quote}"


def write_error(exc: OSError, out: str | None) -> str:
    """The problem of an output that could not be written, blamed on ``--out``.

    A file the error names outside ``out`` (an input, say) is named itself.
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    name = None if exc.filename is None else os.fsdecode(exc.filename)
    if out is None or (name is not None and not _within(name, out)):
        return f"{arguments.shown_path(name)}: {reason}" if name else f"cannot write: {reason}"
    return f"--out: cannot write {arguments.shown_path(name or out)}: {reason}"


def _within(name: str, out: str) -> bool:
    """Whether ``name`` is ``out`` or a file under it."""
    a, b = Path(name).absolute(), Path(out).absolute()
    return a == b or b in a.parents


#: The file by which a directory is known as a command's output (the data dictionary's key);
#: ``run`` and ``sweep`` are told apart by their ``manifest.json`` (:func:`output_of`).
OUTPUT_SIGNS = {
    "robustness": "robustness/robustness.json",
    "validate": "validate/validation.csv",
    "compare": "compare/comparison.csv",
}
#: What the experiments of ``okrsim validate``'s sweeps are named by (``validation-ratchet``),
#: so a validation interrupted before its ``validation.csv`` is known by its sweeps.
VALIDATION_SWEEP_PREFIX = "validation-"


def output_of(directory: str | Path) -> str | None:
    """The okrsim command whose output ``directory`` holds; ``None`` if none's (or no directory).

    A sweep directory that ``okrsim analyze`` has written into is a sweep's.
    """
    from okrsim.run_store import MANIFEST, holds_one_run

    d = Path(directory)
    if not d.is_dir():
        return None
    for command, key in OUTPUT_SIGNS.items():
        if (d / key.partition("/")[2]).is_file():
            return command
    if (d / MANIFEST).is_file():
        return "run" if holds_one_run(d) else "sweep"
    if any(_validation_sweep(m) for m in d.glob(f"sweeps/*/{MANIFEST}")):
        return "validate"
    return None


def _validation_sweep(manifest: Path) -> bool:
    """Whether ``manifest`` is that of a sweep ``okrsim validate`` ran (unreadable: no)."""
    import json

    try:
        name = json.loads(manifest.read_bytes())["plan"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(name, str) and name.startswith(VALIDATION_SWEEP_PREFIX)


def claim_out(out: str | Path, command: str) -> str | None:
    """Refuse an ``--out`` that holds another command's output; say what it holds.

    ``command`` may write into a new or empty directory, one of other files
    (left alone), or its own earlier output, which it resumes or replaces.

    Returns
    -------
    The command whose output ``out`` holds: ``command`` or ``None``.

    Raises
    ------
    ScenarioError
        If ``out`` holds the output of another command, before anything runs.
    """
    from okrsim.params import ScenarioError

    holder = output_of(out)
    if holder not in (None, command):
        raise ScenarioError(
            f"--out: {arguments.shown_path(out)} holds the output of okrsim {holder}, "
            f"not of okrsim {command}; give another --out"
        )
    return holder


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="okrsim",
        description=(
            "An agent-based model of what happens when OKR attainment drives ratings and pay. "
            "Scenarios are TOML files (see scenarios/README.md); results are Parquet and HTML."
        ),
    )
    parser.add_argument("--version", action="version", version=f"okrsim {_version()}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser(
        "run",
        help="simulate one scenario and write its results",
        description="Simulate one scenario with one seed; write weekly.parquet, quarterly.parquet, "
        "employees.parquet, key_results.parquet and manifest.json to --out (docs/DATA.md "
        "describes every column).",
    )
    p.add_argument("scenario", help="scenario TOML file (keys not set keep their defaults)")
    p.add_argument(
        "--seed", type=arguments.seed, default=0, help="root seed of the run (default 0)"
    )
    p.add_argument(
        "--out",
        type=arguments.out_dir,
        default="out/run",
        help="output directory (default out/run)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set comp.coupling=0.5 (repeatable)",
    )
    p.add_argument(
        "--weekly-detail",
        action="store_true",
        help="also write employee_weeks.parquet: one row per employee and week (effort split, "
        "reported and true progress and blockers per key result)",
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser(
        "compare",
        help="paired replications of two or more scenarios, with a report",
        description="Run every scenario --reps times with common random numbers (replication r "
        "of every scenario shares a seed), print each metric's paired difference against the "
        "first scenario with a 95 % CI and Cohen's d, and write comparison.csv (over the "
        "horizon), by_quarter.csv (quarter by quarter), runs.parquet and report.html to --out.",
    )
    p.add_argument(
        "scenarios", nargs="+", help="two or more scenario TOML files; the first is the reference"
    )
    p.add_argument(
        "--reps", type=arguments.reps, default=20, help="paired replications (default 20)"
    )
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--out",
        type=arguments.out_dir,
        default="out/compare",
        help="output directory (default out/compare)",
    )
    p.add_argument(
        "--workers",
        type=arguments.workers,
        default=None,
        help="parallel processes (default: all cores); results do not depend on it",
    )
    p.add_argument(
        "--quarters", type=int, default=None, help="override horizon.quarters for every scenario"
    )
    p.add_argument(
        "--metrics", default=None, help="comma-separated metrics to print (default: headline set)"
    )
    p.set_defaults(handler=cmd_compare)

    for register in _extra_commands():
        register(sub)
    return parser


def _version() -> str:
    from okrsim import __version__

    return __version__


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Commands of the layers above the core (sweeps, dashboard, report, validate)."""
    out = []
    for module in (
        "okrsim.experiments.cli",
        "okrsim.report.cli",
        "okrsim.dashboard.cli",
        "okrsim.validation.cli",
    ):
        try:
            mod = __import__(module, fromlist=["add_commands"])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        out.append(mod.add_commands)
    return out


# -- commands -------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    scenario = load(args.scenario, args.set)  # bad input fails before the model loads

    from okrsim.run_store import run_to

    started = time.perf_counter()
    out = Path(args.out)
    claim_out(out, "run")
    result = run_to(
        scenario, args.seed, out, weekly_detail=args.weekly_detail, source=args.scenario
    )
    q = result.quarterly
    print(f"{args.scenario}: {scenario.n_employees} employees, {len(q)} quarters, seed {args.seed}")
    print(_format_summary(result.summary))
    print(f"wrote {out}/ in {time.perf_counter() - started:.1f} s")
    return 0


#: Files ``compare`` writes to ``--out``, in the order its summary line names them.
COMPARE_OUTPUTS = (
    "comparison.csv",
    "report.html",
    "by_quarter.csv",
    "runs.parquet",
    "quarterly.parquet",
    "weekly.parquet",
    "scenarios.json",
)


def cmd_compare(args: argparse.Namespace) -> int:
    from okrsim.params import ScenarioError

    overrides = [] if args.quarters is None else [f"horizon.quarters={args.quarters}"]
    # loaded first, so that a file that is missing is said to be missing
    scenarios = load_all(args.scenarios, overrides, flag="--quarters")
    if len(args.scenarios) < 2:
        raise ScenarioError("compare: give at least two scenario files")
    metrics = _metric_list(args.metrics)  # bad input fails before the model loads
    out = Path(args.out)
    claim_out(out, "compare")

    from okrsim.comparison import compare
    from okrsim.report.pages import comparison_report, write
    from okrsim.run_store import write_csv, write_json, write_parquet

    workers = args.workers or os.cpu_count() or 1
    started = time.perf_counter()
    comparison = compare(scenarios, reps=args.reps, seed=args.seed, workers=workers, progress=True)
    elapsed = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    write_csv(comparison.table, out / "comparison.csv")
    write_csv(comparison.by_quarter, out / "by_quarter.csv")
    write_json(
        {name: s.model_dump(mode="json") for name, s in comparison.scenarios.items()},
        out / "scenarios.json",
    )
    write_parquet(comparison.runs, out / "runs.parquet", file="compare/runs.parquet")
    write_parquet(comparison.quarterly, out / "quarterly.parquet", file="compare/quarterly.parquet")
    write_parquet(comparison.weekly, out / "weekly.parquet", file="compare/weekly.parquet")
    write(comparison_report(comparison), out / "report.html")
    reference = next(iter(scenarios.values()))
    same = [name for name, s in list(scenarios.items())[1:] if s == reference]
    print(_format_comparison(comparison.table, metrics, same_as_reference=same))
    n = len(comparison.runs)
    print(
        f"{n} runs ({args.reps} paired replications × {len(scenarios)} scenarios) in "
        f"{elapsed:.1f} s; wrote {out}/: {', '.join(COMPARE_OUTPUTS)}"
    )
    return 0


# -- helpers ----------------------------------------------------------------------
def load(path: str, overrides: Sequence[str] = (), *, flag: str = "--set") -> Scenario:
    """Load a scenario file and apply ``KEY=VALUE`` overrides through validation.

    A bad override is blamed on ``flag``, not on the file.
    """
    from okrsim.params import Scenario

    scenario = Scenario.from_toml(path)
    if overrides:
        scenario = scenario.with_overrides(parse_overrides(overrides, flag=flag), source=flag)
    return scenario


def load_all(
    paths: Sequence[str], overrides: Sequence[str] = (), *, flag: str = "--set"
) -> dict[str, Scenario]:
    """Load scenario files in the order given, named by file stem.

    A stem given again (the same file twice, or ``a/x.toml`` and ``b/x.toml``)
    is numbered by its position among its namesakes: ``x``, ``x (2)``.
    """
    scenarios: dict[str, Scenario] = {}
    for path in paths:
        stem = Path(path).stem
        name, n = stem, 1
        while name in scenarios:
            n += 1
            name = f"{stem} ({n})"
        scenarios[name] = load(path, overrides, flag=flag)
    return scenarios


def parse_overrides(items: Sequence[str], *, flag: str = "--set") -> dict[str, object]:
    """``["comp.coupling=0.5"]`` → ``{"comp.coupling": 0.5}`` (values parsed as TOML).

    A value that is not TOML is taken as a bare string (``comp.bonus_curve=step``),
    which validation then accepts only where a string is meant.  A value is
    one line: a newline would smuggle in more TOML that would be dropped.
    """
    from okrsim.params import ScenarioError, loads_toml, shown

    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise ScenarioError(
                f"{flag}: expected KEY=VALUE, e.g. comp.coupling=0.5, got {shown(item)}"
            )
        if "\n" in raw or "\r" in raw:
            raise ScenarioError(f"{flag}: {shown(key)}: a value is one line, got {shown(raw)}")
        try:
            value = loads_toml(f"v = {raw}", flag)["v"]
        except ScenarioError:
            value = raw
        out[key] = value
    return out


def _metric_list(spec: str | None) -> list[str]:
    from okrsim.metrics import METRICS
    from okrsim.params import ScenarioError, shown

    if spec is None:
        return list(HEADLINE_METRICS)
    names = [m.strip() for m in spec.split(",") if m.strip()]
    if not names:
        raise ScenarioError(
            f"--metrics: expected comma-separated metric names, e.g. attainment,true_value, "
            f"got {shown(spec)}"
        )
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ScenarioError(
            f"--metrics: unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}"
        )
    return names


def _format_summary(summary: dict[str, float]) -> str:
    rows = [(m, summary[m]) for m in HEADLINE_METRICS if m in summary]
    width = max(len(m) for m, _ in rows)
    return "\n".join(f"  {m:<{width}}  {v:9.4f}" for m, v in rows)


def _format_comparison(
    table: pd.DataFrame, metrics: Sequence[str], *, same_as_reference: Collection[str] = ()
) -> str:
    """One block per compared scenario, in the order given, metrics in the order asked.

    A scenario equal to the reference meets the same seeds, so every paired
    difference is exactly 0 and Cohen's d (0 / 0) is undefined: its header says
    so and its d column shows "—".
    """
    t = table[table["metric"].isin(metrics)]
    order = {m: i for i, m in enumerate(metrics)}
    lines = []
    for b_name in dict.fromkeys(t["scenario_b"].astype(str)):
        frame = t[t["scenario_b"] == b_name].sort_values("metric", key=lambda m: m.map(order))
        a_name = str(frame["scenario_a"].iloc[0])
        header = f"{b_name} vs {a_name} (diff = {b_name} − {a_name}, 95 % CI, Cohen's d)"
        if b_name in same_as_reference:
            header += ": identical scenarios, every difference is 0"
        lines.append(f"\n{header}")
        wa, wb = max(12, len(a_name) + 2), max(12, len(b_name) + 2)
        lines.append(
            f"  {'metric':<24}{a_name:>{wa}}{b_name:>{wb}}{'diff':>10}{'95 % CI':>22}{'d':>8}"
        )
        for _, r in frame.iterrows():
            ci = f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
            d = "—" if math.isnan(r["cohens_d"]) else f"{r['cohens_d']:.2f}"
            lines.append(
                f"  {r['metric']:<24}{r['mean_a']:>{wa}.3f}{r['mean_b']:>{wb}.3f}"
                f"{r['diff']:>+10.3f}{ci:>22}{d:>8}"
            )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
