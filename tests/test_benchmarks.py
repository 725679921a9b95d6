"""The benchmark scripts run and print what they promise (no timing is asserted).

``bench_model.py --quick``, ``fused_kernel.py`` and ``bench_worker_import.py``
run in a subprocess, as a user runs them, and every line of their output must
parse; the fused kernel's counting must leave okrsim's run unchanged and put
back what it wrapped.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

import okrsim.model.model
import okrsim.policies.choices
from okrsim import portable
from okrsim.params import Scenario
from okrsim.simulation import run

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
NUMBER = r"[\d,]+(?:\.\d+)?"


def bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a benchmark script as ``python benchmarks/<script> …`` would."""
    env = {**os.environ, "PYTHONPATH": str(BENCHMARKS.parent)}
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=BENCHMARKS.parent,
    )


def load_fused_kernel() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fused_kernel", BENCHMARKS / "fused_kernel.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fused_kernel"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


WORK = re.compile(rf"  (draw|eval) \w+ +{NUMBER}")
QUICK_LINES = [
    re.compile(rf"Mesa Boltzmann wealth: +{NUMBER} agent-steps/s \(1,000 agents.*\)"),
    re.compile(
        rf"okrsim (baseline|every mechanism) +{NUMBER} agent-weeks/s  ratio +{NUMBER} "
        rf"\(round by round: median {NUMBER}, {NUMBER}-{NUMBER} over \d+\) "
        r"(\(target >= (1\.0|3\.0): (met|NOT MET)\) )*"
        rf" peak traced memory +{NUMBER} MB \(target <= 500: (met|NOT MET)\)"
    ),
    re.compile(r"work per agent-week, counted in one okrsim run \(every mechanism, .*\):"),
    WORK,
    re.compile(r"every mechanism, us per agent-week \(model construction included\):"),
    re.compile(
        rf" +{NUMBER} employees \({NUMBER} teams of \d+\), \d+ weeks?, best of 1: "
        rf"okrsim +{NUMBER} us  fused kernel +{NUMBER} us  ratio +{NUMBER} "
        r"\((target <= 2\.0: (met|NOT MET)|no target below 1,000)\)"
    ),
    re.compile(
        rf"    the kernel with numpy's CPU-specific exp, log, expm1, power: {NUMBER} us "
        rf"\(okrsim / it: {NUMBER}\)"
    ),
    re.compile(
        rf"    inside its draws and special functions: {NUMBER} us; "
        rf"everything else: -?{NUMBER} us"
    ),
    re.compile(
        rf"    [13]x Boltzmann asks for {NUMBER} us per agent-week: (above|BELOW) "
        r"the fused kernel's lower bound; (above|BELOW) what okrsim spends outside its "
        r"draws and special functions"
    ),
    re.compile(
        rf" +{NUMBER} employees \({NUMBER} teams of \d+\): above the organisation bound \(.+\)"
    ),
    re.compile(
        rf"other processes used {NUMBER} cores on average over \d+ s \((quiet|UNDER LOAD.*)\)"
    ),
    re.compile(rf"process peak RSS {NUMBER} MB"),
    re.compile(
        rf"every mechanism, {NUMBER} employees x {NUMBER} runs stepped together, \d+ weeks: "
        rf"single runs {NUMBER} us, ensemble {NUMBER} us per agent-week \({NUMBER}x\); "
        rf"fused kernel {NUMBER} us, ratio {NUMBER} \(target <= 3\.0: (met|NOT MET)\)"
    ),
]


def test_bench_model_quick_prints_every_figure_with_its_target() -> None:
    done = bench("bench_model.py", "--quick")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    unparsed = [line for line in lines if not any(p.fullmatch(line) for p in QUICK_LINES)]
    assert unparsed == []
    sizes = [line for line in lines if " employees (" in line]
    assert [line.split(" employees")[0].strip() for line in sizes] == ["100", "1,000", "10,000"]
    assert sum("fused kernel" in line for line in sizes) >= 2
    assert "draw standard_normal" in done.stdout
    assert "eval ndtr" in done.stdout
    assert "runs stepped together" in done.stdout
    assert sum("x Boltzmann asks for" in line for line in lines) == 2
    assert sum("inside its draws and special functions" in line for line in lines) == 1


def test_fused_kernel_prints_counted_work_and_its_time() -> None:
    done = bench("fused_kernel.py", "--employees", "200", "--weeks", "13", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    head, *work, last = done.stdout.splitlines()
    assert head.startswith("work per agent-week, counted in one okrsim run")
    assert work
    assert all(WORK.fullmatch(line) for line in work)
    assert re.fullmatch(
        rf"fused kernel: 200 employees x 13 weeks: {NUMBER} us per agent-week \(best of 1\); "
        rf"with numpy's CPU-specific exp, log, expm1, power: {NUMBER} us",
        last,
    )


def test_kernel_evaluates_the_models_portable_functions() -> None:
    """The kernel pays for exp, log, expm1 and power what the model pays: the
    portable functions' bits, not numpy's CPU-specific ones."""
    fused_kernel = load_fused_kernel()
    x = np.random.default_rng(3).random(4096)
    for name in fused_kernel.PORTABLE:
        into = fused_kernel.PORTABLE_INTO[name]
        out = np.empty_like(x)
        args = (x, 1.5) if name == "power" else (x,)
        into(*args, out=out)
        np.testing.assert_array_equal(out, getattr(portable, name)(*args))


def test_bad_repeat_is_one_error_line_and_exit_2() -> None:
    done = bench("bench_model.py", "--repeat", "0")
    assert done.returncode == 2
    assert done.stderr == "error: --repeat: 0 must be at least 1\n"


def test_counting_changes_no_result_and_puts_everything_back() -> None:
    fused_kernel = load_fused_kernel()
    scenario = Scenario().with_overrides(
        {
            "org.n_teams": 4,
            "org.team_size": 3,
            "org.dependency_density": 0.5,
            "okr.krs_per_person": 3,
            "horizon.quarters": 2,
        }
    )
    streams, ndtr, np_seen = (
        okrsim.model.model.streams,
        okrsim.policies.choices.ndtr,
        okrsim.policies.choices.np,
    )
    counts: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    with fused_kernel.counting(counts, seconds):
        counted = run(scenario, 7)
    plain = run(scenario, 7)
    assert seconds.get(fused_kernel.INSIDE, 0.0) > 0  # the time inside what it counts
    pd.testing.assert_frame_equal(counted.quarterly, plain.quarterly)
    pd.testing.assert_frame_equal(counted.employees, plain.employees)
    assert counts["draw standard_normal"] > 0
    assert counts["draw random"] > 0
    assert counts["eval ndtr"] > 0
    assert okrsim.model.model.streams is streams
    assert okrsim.policies.choices.ndtr is ndtr
    assert okrsim.policies.choices.np is np_seen


def test_bench_worker_import_prints_the_time_and_the_libraries() -> None:
    done = bench("bench_worker_import.py", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    first, header, *libraries = done.stdout.splitlines()
    assert re.fullmatch(
        rf"sweep worker imports: {NUMBER} s \(python alone {NUMBER} s; best of 1\) \(others .*\)",
        first,
    )
    assert header == "libraries okrsim's modules import first (with what they import):"
    listed = [re.fullmatch(rf"  (\w+) +{NUMBER} ms  by (okrsim[\w.]*)", line) for line in libraries]
    assert all(listed)
    assert {m.group(1) for m in listed if m} >= {"pandas", "mesa"}
