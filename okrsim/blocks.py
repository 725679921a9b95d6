"""Numbers that differ between blocks of rows: the runs of a cohort, stacked end to end.

A function of an array and a number gives each element of the array what it
gives alone when the number stays a number; with an array in the number's
place it may not — a power, for one, can take another path and round
differently when its exponent is an array.  :func:`each_block` keeps the
number a number: given one number per block of rows (a tuple: each run's
employees, in order, runs of equal size), it applies the function block by
block, each with its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]
#: A number, or one number per block of rows (a tuple, in the blocks' order).
PerBlock = float | tuple[float, ...]


def each_block(f: Callable[[Array, float], Array], x: Array, value: PerBlock) -> Array:
    """``f(x, value)``, or with one value per block of ``x``'s rows, each block's
    ``f(block, its value)``, the blocks end to end again."""
    if not isinstance(value, tuple):
        return f(x, value)
    blocks = np.split(np.asarray(x), len(value))
    return np.concatenate([f(block, v) for block, v in zip(blocks, value, strict=True)])


def each_row(f: Callable[[float], float], value: PerBlock, x: Array) -> float | Array:
    """``f(value)``, or with one value per block of ``x``'s rows, each row its block's
    ``f(value)``, shaped to broadcast against ``x`` along its rows."""
    if not isinstance(value, tuple):
        return f(value)
    each = np.repeat(np.array([f(v) for v in value], dtype=float), len(x) // len(value))
    return each.reshape(each.shape + (1,) * (np.ndim(x) - 1))
