"""Paired policy effects: one design point run under two policies with the same seed.

A sweep's runner is normally :func:`okrsim.simulation.run`, and a row holds
the outcome *levels* of one scenario.  :func:`paired_effect` is a runner whose
row holds a policy's *effect* instead: the design point is run twice with the
same :class:`~okrsim.seeding.RunSeed`, once with the ``treated`` overrides and
once with the ``control`` overrides (e.g. ``comp.coupling = 1`` against
``0``), and every metric is the difference treated − control.  Because both
arms meet the same workforce and the same shocks (common random numbers),
the difference is the policy's effect at that point of the world, not noise
between two draws (the pairing of :mod:`okrsim.comparison`).

A sweep with this runner stores ``true_value`` meaning "coupled − decoupled
true value"; the contrast is recorded in the sweep's manifest
(``plan.runner_args``) and is part of its design hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from okrsim.params import Scenario
from okrsim.seeding import SeedLike
from okrsim.simulation import RunResult, run, run_many

#: The runner's ``module:function`` path, as a sweep plan names it.
PAIRED_RUNNER = "okrsim.experiments.effects:paired_effect"


@dataclass(frozen=True)
class EffectResult:
    """Treated − control, metric by metric, in the shape a sweep's executor reads.

    ``summary`` and ``final`` are the differences of the two runs' horizon
    means and last-quarter values; ``quarterly`` the difference quarter by
    quarter (a ``quarter`` column, one column per metric).
    """

    summary: dict[str, float]
    final: dict[str, float]
    quarterly: pd.DataFrame


def paired_effect(
    scenario: Scenario,
    seed: SeedLike,
    *,
    treated: Mapping[str, Any],
    control: Mapping[str, Any],
) -> EffectResult:
    """Run ``scenario`` with the ``treated`` and the ``control`` overrides on one seed.

    Parameters
    ----------
    scenario
        The design point (base scenario with the swept values applied).
    seed
        The run's planned seed; both arms use it.
    treated, control
        Dotted scenario keys and values defining the two policies; each arm
        goes back through validation (:meth:`Scenario.with_overrides`).

    Returns
    -------
    EffectResult
        Every metric as treated − control.  A metric undefined in either arm
        (NaN) is NaN.
    """
    arms = _arms(scenario, treated, control)
    return _difference(run(arms[0], seed), run(arms[1], seed))


def paired_effects(
    scenarios: Sequence[Scenario],
    seeds: Sequence[SeedLike],
    *,
    treated: Mapping[str, Any],
    control: Mapping[str, Any],
) -> list[EffectResult]:
    """:func:`paired_effect` for each design point and seed, bit for bit, stepped together.

    Both arms of every point run as one ensemble (:func:`~okrsim.simulation.run_many`).
    """
    arms = [arm for s in scenarios for arm in _arms(s, treated, control)]
    results = run_many(arms, [seed for seed in seeds for _ in range(2)])
    return [_difference(t, c) for t, c in zip(results[::2], results[1::2], strict=True)]


def _arms(
    scenario: Scenario, treated: Mapping[str, Any], control: Mapping[str, Any]
) -> tuple[Scenario, Scenario]:
    return (
        scenario.with_overrides(dict(treated), source="contrast.treated"),
        scenario.with_overrides(dict(control), source="contrast.control"),
    )


def _difference(arm_t: RunResult, arm_c: RunResult) -> EffectResult:
    """Treated − control, metric by metric."""
    names = [m for m in arm_t.summary if m in arm_c.summary]
    summary = {m: arm_t.summary[m] - arm_c.summary[m] for m in names}
    final = {m: arm_t.final[m] - arm_c.final[m] for m in names}
    qt, qc = arm_t.quarterly, arm_c.quarterly
    columns = [m for m in names if m in qt.columns and m in qc.columns]
    quarterly = pd.DataFrame(
        {
            "quarter": qt["quarter"].to_numpy(),
            **{m: qt[m].to_numpy(dtype=float) - qc[m].to_numpy(dtype=float) for m in columns},
        }
    )
    # Both arms run the same horizon, so their quarters line up one to one.
    assert np.array_equal(qt["quarter"].to_numpy(), qc["quarter"].to_numpy())
    return EffectResult(summary=summary, final=final, quarterly=quarterly)
