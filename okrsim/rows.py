"""Totals over a short last axis — key results, activities — added column by column.

numpy's reductions along a 2–7-wide last axis cost several times the
additions themselves (about 18 µs against 4 µs for 1,000 rows), and the model
makes dozens a week.  Adding the columns in order gives the same numbers bit
for bit: for fewer than eight terms numpy's sum adds them in order too.  Eight
or more go to numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

#: Widest axis added column by column (numpy sums eight or more pairwise).
SEQUENTIAL_WIDTH = 7


def total(x: Array) -> Array:
    """``x.sum(axis=-1)``; counts for a boolean ``x``."""
    width = x.shape[-1]
    if width > SEQUENTIAL_WIDTH or width == 0:
        return x.sum(axis=-1)
    out = x[..., 0].astype(np.int64) if x.dtype == bool else x[..., 0].copy()
    for j in range(1, width):
        out += x[..., j]
    return out


def mean(x: Array) -> Array:
    """``x.mean(axis=-1)``."""
    return total(x) / x.shape[-1]


def any_(x: Array) -> Array:
    """``x.any(axis=-1)`` for a boolean ``x``."""
    out = x[..., 0].copy()
    for j in range(1, x.shape[-1]):
        out |= x[..., j]
    return out


def all_(x: Array) -> Array:
    """``x.all(axis=-1)`` for a boolean ``x``."""
    out = x[..., 0].copy()
    for j in range(1, x.shape[-1]):
        out &= x[..., j]
    return out
