"""Elementary functions that give the same bits on every x86-64 CPU.

numpy picks, when it loads, machine code for ``exp``, ``log``, ``expm1`` and
``power`` by what the CPU can do: with AVX-512 its own vector code (Intel's
SVML for ``expm1`` and ``power``), without it the C library's.  The two
disagree in the last bit of some results, and one bit is enough to tip a
discrete choice later in a run (an argmax, a draw against a probability), so
a run's results depended on the machine it ran on, and a Dask cluster of
mixed machines did not give the results of one.

The functions here are plain loops over the C library's functions, the ones
Python's :mod:`math` calls, whatever the CPU: scipy's ufuncs have no
CPU-specific code paths, and ``scipy.special.inv_boxcox(x, 0)`` is defined as
the C library's ``exp(x)``, ``boxcox(x, 0)`` as its ``log(x)`` (the Box-Cox
transform at λ = 0); ``scipy.special.expm1`` is Cephes' series near 0 and
``exp(x) − 1`` beyond.  scipy's ``ndtr``, ``ndtri``, ``expit`` and ``logit``,
which the model uses as they are, are such loops too.  glibc's functions
give the same bits on every x86-64 CPU with FMA (it picks its FMA variant on
all of them: Intel since 2013, AMD since 2012), so a run is the same bits on
any such machine with the same environment (tests/test_portable.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

Array = NDArray[Any]


def exp(x: ArrayLike) -> Array:
    """``eˣ``, elementwise: the C library's ``exp``."""
    return np.asarray(special.inv_boxcox(x, 0.0))


def log(x: ArrayLike) -> Array:
    """``ln x``, elementwise: the C library's ``log`` (0 gives −∞ and a negative
    number NaN, with numpy's warnings, as ``np.log``)."""
    return np.asarray(special.boxcox(x, 0.0))


def expm1(x: ArrayLike) -> Array:
    """``eˣ − 1``, elementwise, to full relative precision near 0."""
    return np.asarray(special.expm1(x))


def power(x: ArrayLike, y: ArrayLike) -> Array:
    """``xʸ`` for ``x ≥ 0``, elementwise: ``e^(y·ln x)``, and ``0ʸ`` is 0, 1 or ∞ as
    ``y`` is above, at or below 0.  Its error is the rounding of ``ln x``
    magnified by ``|y·ln x|``: a few units in the last place at the model's sizes."""
    base = np.asarray(x, dtype=float)
    if base.all():
        return exp(np.multiply(y, special.boxcox(base, 0.0)))
    zero = base == 0.0
    powered = exp(np.multiply(y, special.boxcox(np.where(zero, 1.0, base), 0.0)))
    at_zero = np.where(np.greater(y, 0.0), 0.0, np.where(np.equal(y, 0.0), 1.0, np.inf))
    return np.where(zero, at_zero, powered)
