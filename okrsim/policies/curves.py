"""Bonus curves: the formulaic score as a function of OKR attainment.

A curve is piecewise linear with possible jumps, written as a sum of *ramps*
``slope · max(a − knot, 0)`` and *steps* ``height · 1{a ≥ knot}``.  That one
representation gives, in closed form for attainment ``A ~ Normal(μ, σ²)``:

* the expected score ``E[f(A)]`` (for a ramp, ``σ·φ(z) + (μ − k)·Φ(z)``; for a
  step, ``h·Φ(z)``, with ``z = (μ − k)/σ``), and
* its derivative in ``μ`` (``Φ(z)`` per unit ramp slope, ``h·φ(z)/σ`` per step),

which is what an agent weighs when it decides how hard to work on a key result
or how much to shade a report.  For risk-averse target choice, the score's mean
and variance are taken over fixed standard-normal quantile nodes.

Shapes (attainment ``a`` = measured progress / target):

``linear``     ``min(a, cap)`` — Jensen (2003)'s remedy is linearity; the cap
               is the common practice of capping payouts (assumption: 1.2).
``step``       ``1{a ≥ threshold}`` — an all-or-nothing bonus (Jensen 2003's
               example of a kink that invites gaming).
``floor_cap``  ``0`` below the floor, then ``a`` up to the cap — the common
               "threshold, target, maximum" plan (Murphy 2001; assumption on
               the values 0.5 and 1.2).
``none``       ``0`` — nothing depends on attainment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

from okrsim import portable
from okrsim.params import Comp

Array = NDArray[Any]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


@dataclass(frozen=True)
class Curve:
    """A piecewise-linear score curve: ``base + slope·a + Σ s·(a−k)⁺ + Σ h·1{a ≥ k}``.

    Attainment is never negative, so a curve that is linear from 0 is written
    with ``slope`` rather than a ramp at 0: the same function, one normal
    integral fewer to evaluate.

    Runs stepped together whose curves differ only in where the knots sit and
    how blurred they are (a forced ranking's, against each run's own peers)
    share one curve whose knots and blur are (n, 1) arrays, each employee's
    row its own run's numbers (:meth:`stacked`); every element is then
    computed with the same numbers as alone.
    """

    slope: float = 0.0  # linear term, for a ≥ 0
    ramps: tuple[tuple[float | Array, float], ...] = ()  # (knot, slope)
    steps: tuple[tuple[float | Array, float], ...] = ()  # (knot, height)
    base: float = 0.0  # the score below every knot
    blur: float | Array = 0.0  # uncertainty about where the knots are (adds to sigma)

    def __call__(self, a: ArrayLike) -> Array:
        a = np.asarray(a, dtype=float)
        out = self.base + self.slope * a
        for knot, slope in self.ramps:
            out += slope * np.maximum(a - knot, 0.0)
        for knot, height in self.steps:
            out += height * (a >= knot)
        return out

    def _sd(self, sigma: ArrayLike) -> Array:
        """The spread the knots are met with, ``√(σ² + blur²)``, at least 1e-9.

        Without blur that is ``|σ|``, which is what ``hypot`` returns for a
        zero second argument (C99 Annex F), at a fifth of its cost.
        """
        s = np.asarray(sigma, dtype=float)
        blurred = np.ndim(self.blur) > 0 or self.blur
        return np.maximum(np.hypot(s, self.blur) if blurred else np.abs(s), 1e-9)

    def expected(self, mu: ArrayLike, sigma: ArrayLike) -> Array:
        """``E[f(A)]`` for ``A ~ Normal(mu, sigma²)``, elementwise."""
        m: Array = np.asarray(mu, dtype=float)
        sd = self._sd(sigma)
        out = self.base + self.slope * m
        for knot, slope in self.ramps:
            above = m - knot
            z = above / sd
            out += slope * (sd * _pdf(z) + above * ndtr(z))
        for knot, height in self.steps:
            out += height * ndtr((m - knot) / sd)
        return out

    def marginal(self, mu: ArrayLike, sigma: ArrayLike) -> Array:
        """``d E[f(A)] / d mu``: the expected score gained per unit of attainment."""
        m: Array = np.asarray(mu, dtype=float)
        sd = self._sd(sigma)
        out = np.full(np.broadcast(m, sd).shape, self.slope)
        for knot, slope in self.ramps:
            out += slope * ndtr((m - knot) / sd)
        for knot, height in self.steps:
            out += height * _pdf((m - knot) / sd) / sd
        return out

    # -- runs stepped together (okrsim.model.ensemble) -----------------------------
    @property
    def form(self) -> Curve:
        """The curve but for where its knots sit and their blur: what runs must
        share for their curves to be :meth:`stacked`."""
        return Curve(
            slope=self.slope,
            ramps=tuple((0.0, slope) for _, slope in self.ramps),
            steps=tuple((0.0, height) for _, height in self.steps),
            base=self.base,
        )

    @classmethod
    def stacked(cls, curves: Sequence[Curve], sizes: Sequence[int]) -> Curve:
        """One curve for runs of ``sizes`` employees each under ``curves`` of one
        :attr:`form`: the knots and blur as (n, 1) arrays where the curves differ."""
        first = curves[0]
        if all(curve == first for curve in curves[1:]):
            return first
        assert all(curve.form == first.form for curve in curves), "curves of one form"

        def each(values: list[float | Array]) -> Array:
            return np.repeat(np.asarray(values, dtype=float), sizes)[:, None]

        return replace(
            first,
            ramps=tuple(
                (each([c.ramps[i][0] for c in curves]), slope)
                for i, (_, slope) in enumerate(first.ramps)
            ),
            steps=tuple(
                (each([c.steps[i][0] for c in curves]), height)
                for i, (_, height) in enumerate(first.steps)
            ),
            blur=each([c.blur for c in curves]),
        )

    @property
    def per_row(self) -> bool:
        """Whether the knots and blur are each employee's run's (:meth:`stacked`)."""
        return np.ndim(self.blur) > 0

    def flat(self) -> Curve:
        """A :attr:`per_row` curve's knots and blur as (n,), for employees along the
        last axis; a curve of numbers as it is."""
        if not self.per_row:
            return self
        return self._mapped(lambda v: np.asarray(v).reshape(-1))

    def rows(self, part: slice) -> Curve:
        """The curve of the employees in ``part``: as numbers where they share one."""
        if not self.per_row:
            return self
        cut = self._mapped(lambda v: np.asarray(v)[part])
        if np.ptp(cut._numbers(), axis=0).any():
            return cut
        return cut._at(0)

    def pieces(
        self, spread: float | Array, rows: int | None = None
    ) -> list[tuple[slice, Curve, float]]:
        """Consecutive rows of ``rows`` that share the curve's numbers and ``spread``
        (a number, or one per row: each run's of a cohort), each with its curve as
        numbers and its spread as a number: what a use that needs numbers (a cached
        table, a slope at target) reads each run's rows with.  ``rows`` defaults to
        the spread's or the curve's rows."""
        if rows is None:
            rows = np.size(spread) if np.ndim(spread) else self._row_count
        if not self.per_row and np.ndim(spread) == 0:
            return [(slice(0, rows), self, float(spread))]
        spreads = np.broadcast_to(np.asarray(spread, dtype=float), (rows,))
        numbers = np.column_stack([spreads, *([self._numbers()] if self.per_row else [])])
        starts = [0, *(np.flatnonzero((numbers[1:] != numbers[:-1]).any(axis=1)) + 1)]
        ends = [*starts[1:], rows]
        return [
            (slice(start, end), self._at(start), float(spreads[start]))
            for start, end in zip(starts, ends, strict=True)
        ]

    @property
    def _row_count(self) -> int:
        """How many employees' rows a :attr:`per_row` curve holds (0 for numbers)."""
        return len(self._numbers()) if self.per_row else 0

    def _at(self, row: int) -> Curve:
        """Row ``row``'s curve, as numbers."""
        if not self.per_row:
            return self
        return self._mapped(lambda v: float(np.asarray(v).flat[row]))

    def _numbers(self) -> Array:
        """Each row's knots and blur, (n, knots + 1)."""
        knots = [knot for knot, _ in self.ramps + self.steps]
        return np.column_stack([np.asarray(v).reshape(-1) for v in [*knots, self.blur]])

    def _mapped(self, f: Any) -> Curve:
        return replace(
            self,
            ramps=tuple((f(knot), slope) for knot, slope in self.ramps),
            steps=tuple((f(knot), height) for knot, height in self.steps),
            blur=f(self.blur),
        )


def curve_for(comp: Comp) -> Curve:
    """The score curve a compensation policy defines."""
    match comp.bonus_curve:
        case "linear":
            return Curve(slope=1.0, ramps=((comp.cap, -1.0),))
        case "step":
            return Curve(steps=((comp.step_threshold, 1.0),))
        case "floor_cap":
            return Curve(
                ramps=((comp.floor, 1.0), (comp.cap, -1.0)),
                steps=((comp.floor, comp.floor),),
            )
        case "none":
            return Curve()
    raise AssertionError(comp.bonus_curve)  # pragma: no cover - Literal exhausts it


def quantile_nodes(n: int = 16) -> Array:
    """Equiprobable standard-normal nodes ``Φ⁻¹((q + ½)/n)`` for expectations."""
    return ndtri((np.arange(n) + 0.5) / n)


def _pdf(z: Array) -> Array:
    return portable.exp(-0.5 * z * z) / _SQRT_2PI
