"""Bad input never ends in a traceback, a hang or unbounded memory: the CLI, fuzzed.

Three sources of bad input, all driving the real command line:

* a seeded corpus of mutations of the shipped scenario and experiment files
  (wrongly typed, non-finite and out-of-range values, typos in keys, cut or
  duplicated lines, invalid UTF-8, deep nesting, long dotted keys, oversized
  files, schedules, broken axes and experiment settings) and of every
  command's flags;
* Hypothesis: arbitrary file text and bytes, ``--set`` overrides, and values
  of the wrong type for every scenario field;
* a few real processes (8; 12 in the long mode), for what only a process
  shows: a FIFO or ``/dev/zero`` as the scenario, the exit code and stderr of
  the interpreter.

Every refused input must exit 2 with one ``error:`` line naming the file or
flag, within a bounded time and memory (``time.perf_counter`` and
``tracemalloc`` per case in-process, a wall-clock timeout and an address-space
limit per process).  A case that turns out valid is never run: a scenario is
checked with the loader first and run through ``okrsim run`` only when it is
refused, and an experiment goes through ``okrsim sweep --dry-run`` with a small
``--max-runs``.  Mutations that must be refused (an unknown key, a float for
an int, …) fail the test if they are accepted.

``OKRSIM_FUZZ_CASES`` sets the corpus size (default 1,000, under a minute);
``OKRSIM_FUZZ_CASES=20000 pytest tests/test_cli_fuzz.py`` is the long mode,
which also scales the Hypothesis examples.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okrsim.cli import main, parse_overrides
from okrsim.params import Scenario, ScenarioError, bounds, loads_toml, read_toml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.toml"))
EXPERIMENT_FILES = sorted((ROOT / "experiments").glob("*.toml"))
CASES = int(os.environ.get("OKRSIM_FUZZ_CASES", "1000"))
EXAMPLES = max(50, CASES // 5)
SEED = 20261130

#: Bounds per in-process case: time, traced memory, length of the error line.
SECONDS_PER_CASE = 5.0
BYTES_PER_CASE = 64_000_000
LINE_CHARS = 1_000
#: A case still running after this long is a hang.
HANG_SECONDS = 30
#: Per process: wall-clock limit, address-space limit and peak resident memory.
PROCESS_SECONDS = 120
PROCESS_ADDRESS_SPACE = 4 * 2**30
PROCESS_RSS_BYTES = 1 * 2**30
#: Runs a fuzzed experiment's dry run may plan.
FUZZ_MAX_RUNS = "2000"

KEY_LINE = re.compile(r'^(\s*)([A-Za-z0-9_."-]+)(\s*=\s*)(\S.*)$')

#: Values put in place of a key's value; some are valid for some keys.
VALUES = (
    '"0.5"',
    "true",
    "false",
    "2.5",
    "2.0",
    "-1",
    "0",
    "1",
    "-1e9",
    "1e309",
    "inf",
    "-inf",
    "nan",
    '"' + "x" * 300 + '"',
    "[1, 2]",
    "{ a = 1 }",
    "9" * 5000,
    "1979-05-27",
    '""',
    "0x10",
    "1_000_000_000_000",
    '"linear"',
    "[]",
)
#: Axis specifications no axis accepts.
BAD_AXES = (
    "{low = 0, high = inf, steps = 3}",
    "{low = nan, high = 1, steps = 3}",
    "{low = 0, high = 1, steps = 100000}",
    "{low = 1, high = 0, steps = 3}",
    "{low = -5, high = 5, steps = 3}",
    "{low = 0, high = 1, steps = 3.0}",
    '{low = "0", high = 1, steps = 3}',
    '["0.5"]',
    "[]",
    "{values = []}",
    "{low = 0, high = 1, steps = 3, values = [1]}",
    "{low = 0, high = 1, steps = true}",
    "3",
)
#: ``[experiment]`` settings no experiment accepts.
BAD_SETTINGS = (
    "replications = true",
    "replications = 2.0",
    "replications = 0",
    "replications = 1000000",
    'seed = "7"',
    "seed = -1",
    "seed = 9223372036854775808",
    "samples = 10000000",
    "samples = 2.5",
    'name = "' + "n" * 300 + '"',
    'name = "a/b"',
    'design = "nope"',
    "crn = 1",
    'table = "/dev/zero"',
)
#: ``--set`` overrides no scenario accepts.
BAD_SETS = (
    'comp.coupling="0.5"',
    "comp.coupling=true",
    "comp.coupling=2",
    "comp.coupling=nan",
    "comp.coupling=inf",
    "comp.coupling=",
    "comp.coupling=" + "9" * 5000,
    "comp.coupling=0.5\n[org]\nn_teams=1",
    "comp.coupling=0.5\r\norg.n_teams=1",
    "org.n_teams=2.0",
    "org.n_teams=" + "1" * 10,
    "okr.enabled=1",
    "comp.cap=0.5",
    "comp.bonus_curve=exponential",
    "comp.nope=1",
    "nope=1",
    "schedule=[]",
    "=1",
    "comp.coupling",
    "x" * 10_000 + "=1",
    "horizon.quarters=0",
    "env.shock_quarter=9",
)
#: Scheduled changes: key and value pairs, valid and not.
SCHEDULE_SETS = (
    ('"comp.coupling"', "0.0"),
    ('"comp.coupling"', '"0"'),
    ('"comp.floor"', "1.0"),
    ('"comp.cap"', "1.0"),
    ('"comp.bonus_curve"', '"step"'),
    ('"org.n_teams"', "3"),
    ('"okr.krs_per_person"', "3"),
    ('"judgment.accuracy"', "true"),
    ('"comp.nope"', "1"),
    ('"env.blocker_rate"', "2"),
)


@dataclass
class Case:
    """One bad input: the command line, what its error must name, and whether it must fail."""

    kind: str
    argv: list[str]
    blame: str
    must_fail: bool
    label: str
    scenario: Path | None = None


@dataclass
class Tally:
    """What the fuzzing found; printed at the end (``pytest -s``) and asserted on."""

    cases: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    accepted: int = 0
    slowest: float = 0.0
    largest: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, case: Case, why: str) -> None:
        self.failures.append(f"{case.kind} [{case.label}] {case.argv[:4]!r:.200}: {why}")


class Hang(Exception):
    """Raised by the alarm when a case runs longer than :data:`HANG_SECONDS`."""


@contextlib.contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Turn a case that hangs into a :class:`Hang` instead of a stuck test."""

    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- mutations ---------------------------------------------------------------


def key_lines(lines: list[str], section: str | None = None) -> list[int]:
    """Indices of ``key = value`` lines (in ``[section]`` only, if given)."""
    found, current = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]").strip()
        elif (
            KEY_LINE.match(line)
            and not stripped.startswith("#")
            and (section is None or current == section)
        ):
            found.append(i)
    return found


def replace_value(
    rng: np.random.Generator, lines: list[str], values: tuple[str, ...], section: str | None = None
) -> str | None:
    """Give a random key (in ``[section]``, if given) one of ``values``; ``None`` if none."""
    idx = key_lines(lines, section)
    if not idx:
        return None
    i = int(rng.choice(idx))
    m = KEY_LINE.match(lines[i])
    assert m is not None
    value = str(rng.choice(values))
    lines[i] = f"{m.group(1)}{m.group(2)}{m.group(3)}{value}"
    return f"{m.group(2)} = {value[:40]}"


def swap_value(rng: np.random.Generator, lines: list[str]) -> str:
    return replace_value(rng, lines, VALUES) or "no key line"


def cut(rng: np.random.Generator, lines: list[str]) -> str:
    text = "\n".join(lines)
    k = int(rng.integers(0, len(text) + 1))
    lines[:] = text[:k].split("\n")
    return f"cut at {k}"


def duplicate_line(rng: np.random.Generator, lines: list[str]) -> str:
    i = int(rng.integers(0, len(lines)))
    lines.insert(i, lines[i])
    return f"line {i + 1} twice"


def drop_line(rng: np.random.Generator, lines: list[str]) -> str:
    i = int(rng.integers(0, len(lines)))
    del lines[i]
    return f"line {i + 1} dropped"


def flip_char(rng: np.random.Generator, lines: list[str]) -> str:
    i = int(rng.integers(0, len(lines)))
    if not lines[i]:
        return "empty line"
    j = int(rng.integers(0, len(lines[i])))
    char = chr(int(rng.choice([0, 9, 31, 34, 39, 46, 61, 91, 93, 123, 125, 127, 0x2028, 0xE9])))
    lines[i] = lines[i][:j] + char + lines[i][j + 1 :]
    return f"char {ord(char)} at {i + 1}:{j}"


def add_schedule(rng: np.random.Generator, lines: list[str]) -> str:
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        key, value = SCHEDULE_SETS[int(rng.integers(len(SCHEDULE_SETS)))]
        quarter = int(rng.choice([0, 1, 2, 3, 5, 13, 201]))
        lines += ["[[schedule]]", f"quarter = {quarter}", f"set = {{ {key} = {value} }}"]
        parts.append(f"q{quarter} {key}={value}")
    return "schedule " + ", ".join(parts)


MAYBE_SCENARIO: tuple[Callable[[np.random.Generator, list[str]], str], ...] = (
    swap_value,
    swap_value,
    cut,
    duplicate_line,
    drop_line,
    flip_char,
    add_schedule,
)
MAYBE_EXPERIMENT = (swap_value, swap_value, cut, duplicate_line, drop_line, flip_char)


def typo_key(rng: np.random.Generator, lines: list[str]) -> str:
    idx = key_lines(lines)
    if not idx:
        lines.append("zz_unknown = 1")
        return "unknown key appended"
    i = int(rng.choice(idx))
    m = KEY_LINE.match(lines[i])
    assert m is not None
    lines[i] = f"{m.group(1)}{m.group(2)}_x{m.group(3)}{m.group(4)}"
    return f"typo in {m.group(2)}"


def deep_nesting(rng: np.random.Generator, lines: list[str]) -> str:
    depth = int(np.exp(rng.uniform(0, np.log(3000))))
    opener, closer = ("[", "]") if rng.random() < 0.5 else ("{a = ", "}")
    lines.append("zz = " + opener * depth + ("1" if opener != "[" else "") + closer * depth)
    return f"nested {depth} deep"


def long_dotted_key(rng: np.random.Generator, lines: list[str]) -> str:
    n = int(np.exp(rng.uniform(np.log(3), np.log(60_000))))
    part = str(rng.choice(["a", "1", '"q"', "comp"]))
    lines.append(".".join([part] * n) + " = 1")
    return f"{n}-part key"


def unknown_table(rng: np.random.Generator, lines: list[str]) -> str:
    lines += ["[zz_bogus]", "x = 1"]
    return "unknown table"


def floor_meets_cap(rng: np.random.Generator, lines: list[str]) -> str:
    lines += [
        "[[schedule]]",
        "quarter = 2",
        'set = { "comp.floor" = 1.0 }',
        "[[schedule]]",
        "quarter = 3",
        'set = { "comp.cap" = 1.0 }',
    ]
    return "floor 1.0 from q2, cap 1.0 from q3"


def bad_axis(rng: np.random.Generator, lines: list[str]) -> str:
    return replace_value(rng, lines, BAD_AXES, "axes") or typo_key(rng, lines)


def bad_setting(rng: np.random.Generator, lines: list[str]) -> str:
    setting = str(rng.choice(BAD_SETTINGS))
    key = setting.split("=")[0].strip()
    for i in key_lines(lines, "experiment"):
        m = KEY_LINE.match(lines[i])
        if m is not None and m.group(2) == key:
            lines[i] = setting
            return setting[:40]
    header = next((i for i, line in enumerate(lines) if line.strip() == "[experiment]"), None)
    if header is None:
        return typo_key(rng, lines)
    lines.insert(header + 1, setting)
    return setting[:40]


MUST_FAIL_SCENARIO = (typo_key, deep_nesting, long_dotted_key, unknown_table, floor_meets_cap)
MUST_FAIL_EXPERIMENT = (
    typo_key,
    deep_nesting,
    long_dotted_key,
    unknown_table,
    bad_axis,
    bad_setting,
)


def mutate(
    rng: np.random.Generator,
    text: str,
    maybe: tuple[Callable[[np.random.Generator, list[str]], str], ...],
    must: tuple[Callable[[np.random.Generator, list[str]], str], ...],
) -> tuple[bytes, bool, str]:
    """A mutated file: 0–2 changes that may be harmless, then perhaps one that is not.

    The changes that must be refused come last, so no later change undoes them.
    """
    lines = text.split("\n")
    labels = []
    for _ in range(int(rng.integers(0, 3))):
        labels.append(maybe[int(rng.integers(len(maybe)))](rng, lines))
    must_fail = rng.random() < 0.6
    if must_fail:
        labels.append(must[int(rng.integers(len(must)))](rng, lines))
    data = "\n".join(lines).encode()
    roll = rng.random()
    if must_fail and roll < 0.08:  # invalid UTF-8 somewhere
        at = int(rng.integers(0, len(data) + 1))
        data = (
            data[:at]
            + bytes(rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]))
            + data[at:]
        )
        labels.append(f"invalid UTF-8 at {at}")
    elif must_fail and roll < 0.09:  # over the size limit
        data += b"\n#" + b"x" * 1_000_000
        labels.append("over 1 MB")
    return data, must_fail, "; ".join(labels)


# -- flag cases ----------------------------------------------------------------


def flag_cases(rng: np.random.Generator, n: int, files: dict[str, str]) -> Iterator[Case]:
    """Command lines with exactly one bad flag (or argument), for every command."""
    baseline, decoupled, coupled, tiny = (
        files["baseline"],
        files["decoupled"],
        files["coupled"],
        files["tiny"],
    )
    small = ["--set", "horizon.quarters=1", "--set", "org.n_teams=1", "--set", "org.team_size=2"]
    commands: dict[str, tuple[list[str], dict[str, tuple[str, ...]]]] = {
        "run": (
            ["run", baseline, "--out", "out/run", *small],
            {
                "--seed": ("-1", "1.5", "x", "", "9" * 5000, "9223372036854775808"),
                "--out": ("", "afile", "afile/x", "x" * 300, "a\0b"),
                "--set": BAD_SETS,
            },
        ),
        "compare": (
            ["compare", decoupled, coupled, "--out", "out/cmp", "--quarters", "1", "--reps", "2"],
            {
                "--reps": ("1", "0", "-2", "x", "100001", "2.5"),
                "--seed": ("-1", "x"),
                "--workers": ("0", "-1", "x", "100000"),
                "--quarters": ("0", "201", "2.5", "x", "-1"),
                "--metrics": ("nope", "attainment,nope", "", ","),
                "--out": ("", "afile", "afile/sub"),
            },
        ),
        "sweep": (
            ["sweep", tiny, "--dry-run", "-o", "out/sweep"],
            {
                "--workers": ("0", "-1", "x"),
                "--chunk-size": ("0", "x", "-3"),
                "--max-runs": ("0", "-5", "x"),
                "--wait": ("0", "x"),
                "--executor": ("nope", ""),
                "-o": ("", "afile", "afile/sub"),
            },
        ),
        "analyze": (
            ["analyze", "out"],
            {
                "--min-coverage": ("2", "nan", "-0.1", "x", "inf"),
                "--peel-alpha": ("0.5", "0", "inf", "x"),
            },
        ),
        "rerun": (["rerun", "out"], {"RUN_ID": ("-1", "x", "1.5", "")}),
        "report": (
            ["report", decoupled, coupled, "--out", "out/r.html"],
            {
                "--reps": ("1", "x", "0"),
                "--seed": ("-1",),
                "--workers": ("0", "-1"),
                "--out": ("", ".", "afile/r.html"),
            },
        ),
        "validate": (
            ["validate", "--quick", "--out", "out/v"],
            {"--reps": ("1", "0", "x"), "--workers": ("0", "-1"), "--out": ("", "afile")},
        ),
        "dashboard": (["dashboard"], {"--port": ("0", "70000", "-1", "x")}),
    }
    combos = (
        (["sweep", tiny, "--dry-run", "--retry-failed"], "--retry-failed"),
        (["sweep", tiny, "--dry-run", "--executor", "dask"], "--scheduler"),
        (["sweep", tiny, "--dry-run", "--scheduler", "tcp://127.0.0.1:1"], "--executor dask"),
        (["sweep", tiny, "--dry-run", "--executor", "serial", "--workers", "2"], "--workers"),
        (["nope"], "COMMAND"),
        (["run"], "okrsim run"),
        (["run", baseline, "--frobnicate"], "--frobnicate"),
        (["compare", baseline], "at least two"),
    )
    names = sorted(commands)
    for i in range(n):
        if rng.random() < 0.08:
            argv, blame = combos[int(rng.integers(len(combos)))]
            yield Case("flags", list(argv), blame, True, " ".join(argv[:2]))
            continue
        command = names[int(rng.integers(len(names)))]
        base, bad = commands[command]
        flag = sorted(bad)[int(rng.integers(len(bad)))]
        value = str(rng.choice(bad[flag]))
        argv = list(base)
        if flag == "RUN_ID":
            argv.append(value)
        elif flag == "--set":
            argv += ["--set", value]
        elif flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
        blame = {"-o": "--out"}.get(flag, flag)
        if flag == "--metrics":
            blame = "--metrics"
        yield Case("flags", argv, blame, True, f"{command} {flag}={value[:30]!r} #{i}")


# -- running cases -------------------------------------------------------------


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def check(case: Case, tally: Tally) -> None:
    """Run one case in-process, measuring its time and peak traced memory."""
    tally.cases[case.kind] = tally.cases.get(case.kind, 0) + 1
    tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        with alarm(HANG_SECONDS):
            if case.scenario is not None:
                try:
                    Scenario.from_toml(case.scenario)
                except ScenarioError:
                    code, out, err = run_main(case.argv)
                else:
                    code, out, err = 0, "", ""  # valid: never run it
            else:
                code, out, err = run_main(case.argv)
    except Hang as exc:
        tally.fail(case, f"hang: {exc}")
        return
    except BaseException as exc:  # a traceback is what this test exists to find
        if isinstance(exc, KeyboardInterrupt):
            raise
        tally.fail(case, f"traceback: {type(exc).__name__}: {str(exc)[:200]}")
        return
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tally.slowest = max(tally.slowest, seconds)
    tally.largest = max(tally.largest, peak)
    if seconds > SECONDS_PER_CASE:
        tally.fail(case, f"took {seconds:.1f} s")
    if peak > BYTES_PER_CASE:
        tally.fail(case, f"peak memory {peak / 1e6:.0f} MB")
    if code == 0:
        tally.accepted += 1
        if case.must_fail:
            tally.fail(case, "wrongly accepted")
        return
    tally.refused += 1
    if code != 2:
        tally.fail(case, f"exit code {code}")
    elif out:
        tally.fail(case, f"printed to stdout: {out[:100]!r}")
    elif not (err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1):
        tally.fail(case, f"not one error line: {err[:300]!r}")
    elif len(err) > LINE_CHARS:
        tally.fail(case, f"error line of {len(err)} characters")
    elif "Traceback" in err:
        tally.fail(case, "traceback on stderr")
    elif case.blame not in err:
        tally.fail(case, f"does not name {case.blame!r}: {err[:300]!r}")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the shipped files, so paths in messages stay short."""
    for sub in ("scenarios", "experiments"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    (tmp_path / "afile").write_text("a file, not a directory\n")
    (tmp_path / "s").mkdir()
    (tmp_path / "e").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_mutated_files_and_flags_exit_2_with_one_line_in_bounded_time_and_memory(
    workdir: Path,
) -> None:
    rng = np.random.default_rng(SEED)
    n_scenarios, n_experiments = CASES * 45 // 100, CASES * 30 // 100
    n_flags = CASES - n_scenarios - n_experiments
    files = {
        "baseline": "scenarios/baseline.toml",
        "decoupled": "scenarios/decoupled.toml",
        "coupled": "scenarios/coupled.toml",
        "tiny": "experiments/tiny.toml",
    }
    scenario_texts = [p.read_text() for p in SCENARIO_FILES]
    experiment_texts = [p.read_text() for p in EXPERIMENT_FILES]
    tally = Tally()
    started = time.perf_counter()
    tracemalloc.start()
    try:
        for i in range(n_scenarios):
            text = scenario_texts[int(rng.integers(len(scenario_texts)))]
            data, must_fail, label = mutate(rng, text, MAYBE_SCENARIO, MUST_FAIL_SCENARIO)
            path = Path(f"s/{i}.toml")
            path.write_bytes(data)
            argv = ["run", str(path), "--out", "out/run"]
            check(Case("scenario", argv, str(path), must_fail, label, scenario=path), tally)
        for i in range(n_experiments):
            text = experiment_texts[int(rng.integers(len(experiment_texts)))]
            data, must_fail, label = mutate(rng, text, MAYBE_EXPERIMENT, MUST_FAIL_EXPERIMENT)
            # in e/ so that base = "../scenarios/baseline.toml" still resolves
            path = Path(f"e/{i}.toml")
            path.write_bytes(data)
            argv = ["sweep", str(path), "--dry-run", "--max-runs", FUZZ_MAX_RUNS, "-o", "out/sw"]
            check(Case("experiment", argv, str(path), must_fail, label), tally)
        for case in flag_cases(rng, n_flags, files):
            check(case, tally)
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz: {sum(tally.cases.values())} cases {tally.cases} in {elapsed:.1f} s: "
        f"{tally.refused} refused, {tally.accepted} valid and not run; slowest "
        f"{tally.slowest:.2f} s, largest peak {tally.largest / 1e6:.1f} MB; "
        f"{len(tally.failures)} failures"
    )
    assert sum(tally.cases.values()) == CASES
    assert not tally.failures, "\n".join(tally.failures[:40])
    assert tally.refused > CASES // 2, "mutations should mostly be refused"


# -- Hypothesis ----------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCALAR_KEYS = sorted(Scenario().flat())
TOML_ALPHABET = st.sampled_from([*"[]{}=.,\"'#\n\t \\abc_xyz019-+:eE", "\x00", "é", "\x7f"])


def one_line_errors(message: str) -> None:
    """A ScenarioError's message: one problem per line, each short."""
    assert message
    for line in message.splitlines():
        assert len(line) <= 600, line[:200]


@FUZZ_SETTINGS
@given(st.text(TOML_ALPHABET, max_size=400))
def test_any_text_is_a_scenario_or_a_scenario_error(text: str) -> None:
    try:
        Scenario.from_mapping(loads_toml(text, "fuzz.toml"), source="fuzz.toml")
    except ScenarioError as exc:
        one_line_errors(str(exc))


@FUZZ_SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_are_a_scenario_or_a_scenario_error(data: bytes) -> None:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"okrsim-fuzz-{os.getpid()}.toml"
    path.write_bytes(data)
    try:
        Scenario.from_mapping(read_toml(path), source=str(path))
    except ScenarioError as exc:
        one_line_errors(str(exc))
    finally:
        path.unlink()


@FUZZ_SETTINGS
@given(
    st.one_of(st.sampled_from(SCALAR_KEYS), st.text(max_size=40)),
    st.one_of(
        st.text(max_size=60),
        st.integers().map(str),
        st.floats().map(repr),
        st.sampled_from(VALUES),
    ),
)
def test_any_override_is_applied_validated_or_refused(key: str, value: str) -> None:
    try:
        Scenario().with_overrides(parse_overrides([f"{key}={value}"]), source="--set")
    except ScenarioError as exc:
        message = str(exc)
    else:
        return
    one_line_errors(message)
    assert message.startswith("--set: ")


def _kind(key: str) -> type:
    value = Scenario().flat()[key]
    return type(value)


NUMERIC_KEYS = [k for k in SCALAR_KEYS if _kind(k) in (int, float)]


@FUZZ_SETTINGS
@given(
    st.sampled_from(NUMERIC_KEYS),
    st.one_of(
        st.booleans(),
        st.text(max_size=10),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(10**6), 10**6),
    ),
)
def test_no_value_is_coerced_into_a_number(key: str, value: object) -> None:
    """An int is accepted for a float; a float for an int, a bool or a string never is."""
    lo, hi = bounds(key)
    kind = _kind(key)
    coercible = isinstance(value, (bool, str)) or (kind is int and isinstance(value, float))
    in_range = not coercible and lo is not None and hi is not None and lo <= value <= hi
    try:
        got = Scenario().with_overrides({key: value}).flat()[key]
    except ScenarioError:
        # keys also bound by another field: floor < cap, a shock within the
        # horizon, n_teams × team_size ≤ params.MAX_EMPLOYEES, the expected
        # dependencies ≤ params.MAX_DEPENDENCIES
        crossed = {
            "comp.floor",
            "comp.cap",
            "env.shock_quarter",
            "org.n_teams",
            "org.dependency_density",
        }
        assert coercible or not in_range or key in crossed
    else:
        assert not coercible, f"{key} accepted {value!r} as {got!r}"
        assert got == value
        assert type(got) is kind


# -- real processes --------------------------------------------------------------


def limited() -> None:
    """In the child: a ceiling on address space, so a blow-up fails instead of swapping."""
    resource.setrlimit(resource.RLIMIT_AS, (PROCESS_ADDRESS_SPACE, PROCESS_ADDRESS_SPACE))


def test_bad_inputs_as_real_processes_exit_2_without_traceback(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    (tmp_path / "afile").write_text("")
    files = {
        "latin1.toml": "[comp]\ncoupling = 0.5 # Zürich\n".encode("latin-1"),
        "deep.toml": b"x = " + b"[" * 1000 + b"]" * 1000 + b"\n",
        "dotted.toml": b".".join([b"a"] * 50_000) + b" = 1\n",
        "huge.toml": b"#" + b"x" * 2_000_000 + b"\n",
        "grid.toml": b'[experiment]\nname = "g"\nseed = 1\n[axes]\n'
        b"comp.coupling = {low = 0, high = 1, steps = 100000}\n"
        b"judgment.accuracy = {low = 0, high = 1, steps = 100000}\n",
        "runs.toml": b'[experiment]\nname = "r"\nseed = 1\nreplications = 60000\n[axes]\n'
        b"comp.coupling = {low = 0, high = 1, steps = 10}\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    baseline = str(ROOT / "scenarios" / "baseline.toml")
    # What only a process shows: blocking opens, endless reads, memory that an
    # address-space limit would stop, the exit code and the interpreter's stderr.
    # Everything else is covered in-process above, where a case costs
    # milliseconds; a process costs seconds of start-up, so the long mode adds
    # the cases that in-process checks already cover.
    cases: list[tuple[list[str], str]] = [
        (["run", str(fifo)], "not a regular file"),
        (["run", "/dev/zero"], "not a regular file"),
        (["sweep", str(fifo)], "not a regular file"),
        (["run", "deep.toml"], "nested deeper than"),
        (["run", "dotted.toml"], "a dotted key of more than"),
        (["run", baseline, "--seed", "-1"], "--seed: expected a whole number"),
        (["run", baseline, "--out", "afile"], "--out: 'afile' is a file"),
        (["sweep", "runs.toml"], "600,000 runs is over the cap of 100,000"),
    ]
    if CASES > 1000:
        cases += [
            (["run", "latin1.toml"], "not UTF-8"),
            (["run", "huge.toml"], "larger than 1,000,000 bytes"),
            (["run", baseline, "--set", "comp.coupling=0.5\n[org]\nn_teams=1"], "one line"),
            (["sweep", "grid.toml", "--dry-run"], "10,000,000,000 runs is over the cap"),
        ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    procs = []
    for argv, _ in cases:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "okrsim.cli", *argv],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=(tmp_path / f"{len(procs)}.out").open("wb"),
                stderr=(tmp_path / f"{len(procs)}.err").open("wb"),
                preexec_fn=limited,
            )
        )
    failures = []
    for i, (proc, (argv, expected)) in enumerate(zip(procs, cases, strict=True)):
        status, rss = wait_with_usage(proc, started + PROCESS_SECONDS)
        err = (tmp_path / f"{i}.err").read_text(errors="replace")
        what = f"{argv[:3]!r:.120}"
        if status is None:
            failures.append(f"{what}: still running after {PROCESS_SECONDS} s")
        elif status != 2:
            failures.append(f"{what}: exit {status}: {err[-300:]!r}")
        elif "Traceback" in err or not err.startswith("error: ") or err.count("\n") != 1:
            failures.append(f"{what}: stderr {err[:300]!r}")
        elif expected not in err:
            failures.append(f"{what}: {expected!r} not in {err[:300]!r}")
        if rss > PROCESS_RSS_BYTES:
            failures.append(f"{what}: peak RSS {rss / 2**20:.0f} MiB")
    print(f"\n{len(cases)} processes in {time.perf_counter() - started:.1f} s")
    assert not failures, "\n".join(failures)


def wait_with_usage(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int | None, int]:
    """Wait for ``proc`` until ``deadline``; its exit code (None if killed) and peak RSS."""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss * 1024
        if time.perf_counter() > deadline:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return None, usage.ru_maxrss * 1024
        time.sleep(0.02)
