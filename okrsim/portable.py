"""Elementary functions that give the same bits on every x86-64 CPU with AVX2 and FMA.

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
``exp(x) − 1`` beyond, ``scipy.special.log1p`` Cephes' likewise with ``log``.
scipy's ``ndtr``, ``ndtri``, ``expit`` and ``logit``,
which the model uses as they are, are such loops too.  glibc picks its FMA
variants of ``exp``, ``log`` and ``pow`` on every x86-64 CPU with both FMA
and AVX2 (Intel's Core processors since Haswell, 2013, though not every
Pentium, Celeron or Atom since; AMD's since Excavator, 2015, and every Zen),
so a run is the same bits on any such machine with the same
C library and packages (tests/test_portable.py); older CPUs, or a virtual
machine that hides AVX2, get glibc's other variants and other last bits.
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
    number NaN, as ``np.log``, but without its warnings)."""
    return np.asarray(special.boxcox(x, 0.0))


def expm1(x: ArrayLike) -> Array:
    """``eˣ − 1``, elementwise, to full relative precision near 0."""
    return np.asarray(special.expm1(x))


def log1p(x: ArrayLike) -> Array:
    """``ln(1 + x)``, elementwise, to full relative precision near 0 (−∞ at −1)."""
    return np.asarray(special.log1p(x))


def power(x: ArrayLike, y: ArrayLike) -> Array:
    """``xʸ`` for finite ``x ≥ 0``, elementwise: ``e^(y·ln x)``, and ``0ʸ`` is 0, 1
    or ∞ as ``y`` is above, at or below 0.  A negative ``x`` gives NaN (numpy's
    power gives a real number for an integer ``y``), as do ``∞⁰``, ``1^∞`` and a
    NaN anywhere (numpy gives 1 for the first two).  Its error is the rounding of ``ln x``
    magnified by ``|y·ln x|``: up to a few tens of units in the last place at
    the model's sizes, and an integer power is not exact (``power(2, 3)`` is
    8 − 2⁻⁴⁹)."""
    base = np.asarray(x, dtype=float)
    if base.all():
        return exp(np.multiply(y, special.boxcox(base, 0.0)))
    zero = base == 0.0
    powered = exp(np.multiply(y, special.boxcox(np.where(zero, 1.0, base), 0.0)))
    at_zero = np.where(np.greater(y, 0.0), 0.0, np.where(np.equal(y, 0.0), 1.0, np.inf))
    return np.where(zero, at_zero, powered)
