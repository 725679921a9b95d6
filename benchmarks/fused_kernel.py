"""A fused lower bound on okrsim's cost per agent-week: the same random draws and the
same special-function evaluations as okrsim with every mechanism on, and nothing else.

What it does
------------
:func:`count_work` runs okrsim once and counts, per agent-week, the values it draws
from each random distribution and the elements it passes to each special function
(``scipy.special.ndtr``, ``ndtri``, ``expit``, ``logit``; numpy's ``exp``, ``expm1``,
``log``, ``log1p``, ``sqrt``, ``power``, ``hypot``, ``tanh``, and :mod:`okrsim.portable`'s
``exp``, ``expm1``, ``log``, ``power``, counted as numpy's).  To count, the run's
generators are replaced by a :class:`numpy.random.Generator` subclass that shares
their bit generators (so the run draws exactly what it would have drawn), and the
functions are wrapped where ``okrsim.model.*`` and ``okrsim.policies.*`` look them
up (their module globals ``ndtr``, …, ``np`` and ``portable``); everything is
restored afterwards.
Only this benchmark process is touched.

:class:`FusedKernel` is sized from those counts for ``n`` employees: one float64
buffer per distribution and per function, allocated once.  Each :meth:`FusedKernel.week`
makes every draw (``rng.standard_normal(out=…)``, ``rng.random(out=…)``, …) and
every evaluation (``ndtr(x, out=…)``; for a portable function, the C-library
function :mod:`okrsim.portable` calls, which is what the model must pay for it:
numpy's own ``exp`` is several times cheaper on a CPU with AVX-512, but its bits
depend on the CPU) into preallocated buffers: one pass, no
temporaries, in blocks of :data:`BLOCK` elements so that the buffers stay in cache.
``numpy_functions=True`` uses numpy's ufuncs instead, the kernel of earlier
measurements, for comparison.

Why it is a lower bound
-----------------------
Whatever okrsim does per agent-week it also draws these numbers and evaluates these
functions; the kernel does only that, in the cheapest arrangement numpy allows: a
few calls per kind per week on contiguous, cache-resident arrays, instead of many
calls on small arrays, and without okrsim's arithmetic, masks, temporaries,
bookkeeping, records and Mesa.
Draws are made as the cheapest distribution of their family that has an ``out=``
form (``normal``/``lognormal`` → ``standard_normal``; ``integers``, ``uniform``,
``choice``, ``permutation``, ``shuffle`` and any other → ``random``),
and the model's construction (drawing its workforce) is counted into the per-week
rates but never paid as a separate step.  Python's ``random`` module and scalar
``math`` calls are not counted, which only lowers the bound further.  The ratio
okrsim / kernel therefore says how far okrsim is from the cost of its arithmetic
content: near 1, nothing is left to remove; large, the overhead is the target.

    python benchmarks/fused_kernel.py [--employees 1000] [--weeks 52] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

import okrsim.model
import okrsim.model.model
import okrsim.policies
from okrsim import portable
from okrsim.model import OKRModel
from okrsim.params import Scenario

#: Generator methods whose draws go into an ``out=`` buffer of this kind.
DRAW_KIND = {
    "standard_normal": "standard_normal",
    "normal": "standard_normal",
    "lognormal": "standard_normal",
}
#: Every other drawing method counts as uniform draws (``random``).
DRAW_METHODS = (
    *DRAW_KIND,
    "random",
    "uniform",
    "integers",
    "choice",
    "permutation",
    "permuted",
    "shuffle",
    "exponential",
    "gamma",
    "beta",
    "binomial",
    "poisson",
)
#: Special functions imported by name into okrsim's modules (``from scipy.special import …``).
SPECIAL = ("ndtr", "ndtri", "expit", "logit")
#: Transcendental numpy ufuncs okrsim's modules call as ``np.<name>``.
NUMPY = ("exp", "expm1", "log", "log1p", "sqrt", "power", "hypot", "tanh")
#: okrsim's elementary functions (:mod:`okrsim.portable`), counted as numpy's.
PORTABLE = ("exp", "expm1", "log", "power")
#: okrsim.portable's functions writing into a buffer: the C library's, as the model calls them.
PORTABLE_INTO: dict[str, Callable[..., Any]] = {
    "exp": lambda x, out: special.inv_boxcox(x, 0.0, out=out),
    "log": lambda x, out: special.boxcox(x, 0.0, out=out),
    "expm1": special.expm1,
    "power": lambda x, y, out: special.inv_boxcox(
        np.multiply(special.boxcox(x, 0.0, out=out), y, out=out), 0.0, out=out
    ),
}
#: The packages whose modules are instrumented.
PACKAGES = (okrsim.model, okrsim.policies)


#: The key under which :func:`counting` adds up the seconds spent inside the draws
#: and special functions it counts.
INSIDE = "seconds inside"


class CountingGenerator(np.random.Generator):
    """A generator that counts the values each drawing method returns."""

    counts: Counter[str]
    seconds: dict[str, float]


def _counting_method(name: str) -> Callable[..., Any]:
    draw = getattr(np.random.Generator, name)

    def method(self: CountingGenerator, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = draw(self, *args, **kwargs)
        self.seconds[INSIDE] = self.seconds.get(INSIDE, 0.0) + time.perf_counter() - start
        # shuffle works in place and returns None: it draws one value per element.
        drawn = result if result is not None else (args[0] if args else kwargs["x"])
        self.counts[f"draw {DRAW_KIND.get(name, 'random')}"] += int(np.size(drawn))
        return result

    return method


for _name in DRAW_METHODS:
    setattr(CountingGenerator, _name, _counting_method(_name))


def _counted(
    function: Callable[..., Any], key: str, counts: Counter[str], seconds: dict[str, float]
) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds[INSIDE] = seconds.get(INSIDE, 0.0) + time.perf_counter() - start
        counts[key] += int(np.size(result))
        return result

    return call


class _CountingModule(types.ModuleType):
    """A module as okrsim's modules see it, with the functions ``names`` counted."""

    def __init__(
        self,
        module: types.ModuleType,
        names: tuple[str, ...],
        counts: Counter[str],
        seconds: dict[str, float],
    ):
        super().__init__(module.__name__)
        self._module = module
        for name in names:
            setattr(self, name, _counted(getattr(module, name), f"eval {name}", counts, seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _modules() -> Iterator[types.ModuleType]:
    for package in PACKAGES:
        yield package
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            yield importlib.import_module(info.name)


@contextmanager
def counting(counts: Counter[str], seconds: dict[str, float] | None = None) -> Iterator[None]:
    """Count okrsim's draws and special-function evaluations into ``counts`` meanwhile,
    and the seconds spent inside them into ``seconds[INSIDE]``."""
    saved: list[tuple[types.ModuleType, str, Any]] = []
    streams = okrsim.model.model.streams
    seconds = {} if seconds is None else seconds

    def counting_streams(seed: Any) -> dict[str, np.random.Generator]:
        made: dict[str, np.random.Generator] = {}
        for name, real in streams(seed).items():
            generator = CountingGenerator(real.bit_generator)
            generator.counts = counts
            generator.seconds = seconds
            made[name] = generator
        return made

    views = {
        "np": (np, _CountingModule(np, NUMPY, counts, seconds)),
        "portable": (portable, _CountingModule(portable, PORTABLE, counts, seconds)),
    }
    try:
        saved.append((okrsim.model.model, "streams", streams))
        okrsim.model.model.streams = counting_streams
        for module in _modules():
            names = vars(module)
            for name in SPECIAL:
                if names.get(name) is getattr(special, name):
                    saved.append((module, name, names[name]))
                    wrapped = _counted(names[name], f"eval {name}", counts, seconds)
                    setattr(module, name, wrapped)
            for alias, (real, view) in views.items():
                if names.get(alias) is real:
                    saved.append((module, alias, real))
                    setattr(module, alias, view)
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def count_work(scenario: Scenario, weeks: int, seed: int = 1) -> dict[str, float]:
    """Draws and evaluations per agent-week in one okrsim run (construction + ``weeks`` steps)."""
    counts: Counter[str] = Counter()
    with counting(counts):
        model = OKRModel(scenario, seed)
        for _ in range(weeks):
            model.step()
    agent_weeks = scenario.n_employees * weeks
    return {key: counts[key] / agent_weeks for key in sorted(counts)}


def us_inside(scenario: Scenario, weeks: int, repeat: int, seed: int = 1) -> float:
    """µs per agent-week okrsim spends inside its draws and special functions, as it
    calls them (construction + ``weeks`` steps; the least of ``repeat`` runs).

    The rest of a run's time is its other work — numpy's arithmetic, masks,
    temporaries and dispatch, and the interpreter — which no faster draw or
    special function can remove.
    """
    best = float("inf")
    for _ in range(repeat):
        seconds: dict[str, float] = {}
        with counting(Counter(), seconds):
            model = OKRModel(scenario, seed)
            for _ in range(weeks):
                model.step()
        best = min(best, seconds.get(INSIDE, 0.0))
    return best / (scenario.n_employees * weeks) * 1e6


#: Each special function's input: uniform draws in (0, 1) or standard normal draws.
_ON_UNIFORMS = {"ndtri", "logit", "log", "log1p", "sqrt", "power"}
#: Elements per call.  The week's work is done in blocks this size, so every buffer
#: stays in the CPU's cache at any organisation size (okrsim, working on arrays of
#: one value per employee or key result, pays for memory traffic the kernel avoids).
BLOCK = 8192


@dataclass(frozen=True)
class _Calls:
    """One kind of work for a week: ``blocks`` calls on full blocks, then one on the rest."""

    function: Callable[..., Any]
    args: tuple[Any, ...]
    out: np.ndarray
    blocks: int
    rest: int

    def run(self) -> None:
        function, args, out = self.function, self.args, self.out
        for _ in range(self.blocks):
            function(*args, out=out)
        if self.rest:
            rest = self.rest
            function(*(a[:rest] if isinstance(a, np.ndarray) else a for a in args), out=out[:rest])


@dataclass
class FusedKernel:
    """Preallocated buffers for ``employees`` × the counted work, and one week of it."""

    work: dict[str, float]
    employees: int
    seed: int = 1
    #: numpy's ufuncs for okrsim.portable's functions (cheaper, CPU-specific bits).
    numpy_functions: bool = False

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.calls: list[_Calls] = []
        for key, rate in self.work.items():
            verb, name = key.split(" ", 1)
            size = max(int(np.ceil(rate * self.employees)), 1)
            blocks, rest = divmod(size, BLOCK)
            block = min(size, BLOCK)
            args: tuple[Any, ...] = ()
            if verb == "draw":
                function = getattr(rng, name)
            else:
                if name in SPECIAL:
                    function = getattr(special, name)
                elif name in PORTABLE and not self.numpy_functions:
                    function = PORTABLE_INTO[name]
                else:
                    function = getattr(np, name)
                x = rng.random(block) if name in _ON_UNIFORMS else rng.standard_normal(block)
                args = (x, 1.5) if name == "power" else (x,)
                if name == "hypot":
                    args = (x, rng.standard_normal(block))
            self.calls.append(_Calls(function, args, np.empty(block), blocks, rest))

    def week(self) -> None:
        """One week's draws, then its evaluations, each into its own buffer."""
        for calls in self.calls:
            calls.run()

    def seconds(self, weeks: int) -> float:
        """Wall time of ``weeks`` weeks."""
        start = time.perf_counter()
        for _ in range(weeks):
            self.week()
        return time.perf_counter() - start


def kernel_us_per_agent_week(
    work: dict[str, float], employees: int, weeks: int, repeat: int, numpy_functions: bool = False
) -> float:
    """Best of ``repeat`` timings of the kernel, in µs per agent-week."""
    kernel = FusedKernel(work, employees, numpy_functions=numpy_functions)
    best = min(kernel.seconds(weeks) for _ in range(repeat))
    return best / (employees * weeks) * 1e6


def print_work(work: dict[str, float], label: str) -> None:
    print(f"work per agent-week, counted in one okrsim run ({label}):")
    for key, rate in work.items():
        print(f"  {key:<30} {rate:12.6f}")


def main() -> None:
    from bench_model import every_mechanism

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000, help="kernel size")
    parser.add_argument("--weeks", type=int, default=52, help="weeks counted and timed")
    parser.add_argument("--repeat", type=int, default=5, help="timings (best is kept)")
    args = parser.parse_args()
    if min(args.employees, args.weeks, args.repeat) < 1:
        print("error: --employees, --weeks, --repeat: each must be at least 1", file=sys.stderr)
        raise SystemExit(2)
    work = count_work(every_mechanism(), args.weeks)
    print_work(work, f"every mechanism, 1,000 employees, {args.weeks} weeks")
    us = kernel_us_per_agent_week(work, args.employees, args.weeks, args.repeat)
    numpy_us = kernel_us_per_agent_week(
        work, args.employees, args.weeks, args.repeat, numpy_functions=True
    )
    print(
        f"fused kernel: {args.employees:,} employees x {args.weeks} weeks: "
        f"{us:.4f} us per agent-week (best of {args.repeat}); "
        f"with numpy's CPU-specific exp, log, expm1, power: {numpy_us:.4f} us"
    )


if __name__ == "__main__":
    main()
