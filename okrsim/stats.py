"""Paired statistics for policy comparisons under common random numbers.

Two policies run with the same replication seeds face the same workforce and
the same shocks, so their per-replication difference removes that shared
noise; the confidence interval is over those paired differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``b − a`` over paired replications, with a 95 % t-interval.

    ``cohens_d`` is the paired effect size ``d_z = mean(diff) / sd(diff)``
    (Lakens 2013); it is ±inf when every pair differs by the same amount and
    NaN when no pair differs at all.
    """

    n: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    cohens_d: float

    @property
    def excludes_zero(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


def mean_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its two-sided t confidence interval (NaNs dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def paired_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> PairedDifference:
    """Paired difference ``b − a`` over replications (pairs with a NaN are dropped)."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(xa) & np.isfinite(xb)
    xa, xb = xa[ok], xb[ok]
    d = xb - xa
    diff, lo, hi = mean_ci(d, level)
    sd = float(d.std(ddof=1)) if d.size > 1 else float("nan")
    if d.size > 1 and sd > 0:
        effect = diff / sd
    elif d.size > 1 and diff != 0:
        effect = float(np.sign(diff) * np.inf)
    else:
        effect = float("nan")
    return PairedDifference(
        n=int(d.size),
        mean_a=float(xa.mean()) if xa.size else float("nan"),
        mean_b=float(xb.mean()) if xb.size else float("nan"),
        diff=diff,
        ci_low=lo,
        ci_high=hi,
        cohens_d=effect,
    )
