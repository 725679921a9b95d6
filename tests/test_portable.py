"""Elementary functions whose bits do not depend on numpy's choice of machine code
(:mod:`okrsim.portable`), and a run's results that do not depend on numpy's
CPU-specific code."""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from golden_runs import FINGERPRINTS

from okrsim import portable, provenance

ROOT = Path(__file__).resolve().parents[1]


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Errors in units of the last place of the exact value."""
    return np.abs(got - exact) / np.spacing(np.abs(exact))


@pytest.fixture(scope="module")
def wide() -> np.ndarray:
    rng = np.random.default_rng(2026)
    return np.concatenate(
        [
            rng.uniform(-745.0, 709.0, 20_000),
            rng.normal(0.0, 3.0, 20_000),
            rng.uniform(-1e-9, 1e-9, 1_000),
        ]
    )


def test_exp_and_log_are_the_c_librarys_to_the_bit(wide: np.ndarray) -> None:
    assert portable.exp(wide).tolist() == [math.exp(v) for v in wide]
    positive = np.concatenate([portable.exp(wide), [5e-324, 1.0, 1.7e308]])
    assert portable.log(positive).tolist() == [math.log(v) for v in positive]


def test_expm1_keeps_its_relative_precision_near_zero(wide: np.ndarray) -> None:
    x = wide[np.abs(wide) < 30.0]
    exact = np.array([math.expm1(v) for v in x])
    assert _ulps(portable.expm1(x), exact).max() <= 4.0


def test_log1p_keeps_its_relative_precision_near_zero(wide: np.ndarray) -> None:
    x = np.concatenate([portable.expm1(wide[np.abs(wide) < 30.0]), [-1e-300, 1e-18, 1e300]])
    exact = np.array([math.log1p(v) for v in x])
    assert _ulps(portable.log1p(x), exact).max() <= 4.0


def test_power_is_close_to_the_c_librarys() -> None:
    rng = np.random.default_rng(3)
    base, exponent = rng.uniform(1e-6, 3.0, 20_000), rng.uniform(-3.0, 3.0, 20_000)
    exact = np.array([math.pow(b, e) for b, e in zip(base, exponent, strict=True)])
    # e^(y·ln x): ln x's rounding is magnified by y·ln x
    bound = 2.0 + 2.0 * np.abs(exponent * np.log(base))
    assert np.all(_ulps(portable.power(base, exponent), exact) <= bound)
    assert portable.power(np.array([0.0, 0.0, 4.0]), np.array([0.0, 2.0, 0.5])).tolist() == [
        1.0,
        0.0,
        2.0,
    ]


def test_edges_are_those_of_the_c_library() -> None:
    edges = np.array([np.nan, np.inf, -np.inf, 0.0, 1000.0, -1000.0])
    expected = np.array([math.nan, math.inf, 0.0, 1.0, math.inf, 0.0])
    np.testing.assert_array_equal(portable.exp(edges), expected)
    np.testing.assert_array_equal(
        portable.log(np.array([0.0, -1.0, np.inf, np.nan])), [-np.inf, np.nan, np.inf, np.nan]
    )


def test_shapes_are_kept_and_each_element_is_computed_as_alone(wide: np.ndarray) -> None:
    assert portable.exp(0.5).shape == ()
    assert float(portable.exp(0.5)) == portable.exp(np.array([0.5]))[0]
    grid = wide[:600].reshape(20, 30)
    for f in (portable.exp, portable.expm1, portable.log, lambda x: portable.power(x, 1.7)):
        x = np.abs(grid) + 1e-3
        whole = f(x)
        assert whole.shape == x.shape
        assert whole[3:7, 5:11].tobytes() == f(x[3:7, 5:11]).tobytes()


#: numpy functions whose float64 code numpy chooses by the CPU (its own vector
#: code or Intel's SVML with AVX-512, the C library's without), or whose order of
#: adding does (einsum's vector lanes, BLAS and LAPACK kernels).
_CPU_SPECIFIC = {
    *("exp", "log", "expm1", "log1p", "exp2", "log2", "log10", "power", "float_power"),
    *("cbrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2"),
    *("sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "logaddexp", "logaddexp2"),
    *("einsum", "dot", "vdot", "inner", "matmul", "tensordot", "linalg"),
}
#: The code a run's results come from.
_SIMULATION = ("okrsim/model", "okrsim/policies", "okrsim/reference")
_SIMULATION_FILES = ("okrsim/metrics.py", "okrsim/rows.py", "okrsim/blocks.py")


def test_the_simulation_calls_none_of_numpys_cpu_specific_functions() -> None:
    files = [p for d in _SIMULATION for p in sorted((ROOT / d).glob("*.py"))]
    files += [ROOT / f for f in _SIMULATION_FILES]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if _cpu_specific(node):
                found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}")
    assert not found, f"use okrsim.portable or write the sums out: {found}"


def _cpu_specific(node: ast.AST) -> bool:
    """Whether ``node`` calls code whose bits numpy or BLAS choose by the CPU:
    ``np.exp`` and its kind, however imported; a product of arrays (``@``,
    ``.dot``); linear algebra; ``**`` with an exponent other than 2, which on
    arrays is numpy's power (scalars use ``math.pow``)."""
    if isinstance(node, ast.Attribute):
        on_numpy = isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy")
        return (on_numpy and node.attr in _CPU_SPECIFIC) or node.attr == "dot"
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        names = {alias.name for alias in node.names}
        return module.endswith("linalg") or (
            module.startswith("numpy") and bool(names & _CPU_SPECIFIC)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return not (isinstance(node.right, ast.Constant) and node.right.value == 2)
    return isinstance(node, ast.MatMult)


@pytest.mark.parametrize(
    "code",
    [
        "np.exp(x)",
        "numpy.power(x, y)",
        "from numpy import exp",
        "from numpy.linalg import inv",
        "from scipy.linalg import solve",
        "a.dot(b)",
        "a @ b",
        "x ** 1.5",
        "x ** y",
    ],
)
def test_the_check_finds_cpu_specific_code(code: str) -> None:
    assert any(_cpu_specific(node) for node in ast.walk(ast.parse(code)))


@pytest.mark.parametrize(
    "code", ["portable.exp(x)", "np.sqrt(x)", "np.hypot(x, y)", "x ** 2", "math.pow(x, y)"]
)
def test_the_check_passes_portable_code(code: str) -> None:
    assert not any(_cpu_specific(node) for node in ast.walk(ast.parse(code)))


def _dispatched_features() -> list[str]:
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__  # type: ignore[no-redef]
    return list(__cpu_dispatch__)


@pytest.mark.slow
def test_golden_runs_are_the_same_bits_with_numpys_cpu_specific_code_turned_off() -> None:
    """Every feature numpy can dispatch to on this CPU (AVX2, AVX-512, …) turned off, the
    golden runs give the stored fingerprints: on a machine with those features this
    compares its fast paths with the baseline's."""
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(_dispatched_features())}
    script = (
        "import json, sys; sys.path.insert(0, 'tests'); "
        "from golden_runs import fingerprints; from okrsim.provenance import numerics; "
        "print(json.dumps([fingerprints(), numerics()]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    runs, numerics = json.loads(done.stdout)
    assert runs == json.loads(FINGERPRINTS.read_text())
    # the numerics fingerprint, too, sees only what decides a run's bits
    assert numerics == provenance.numerics()
