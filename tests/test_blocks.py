"""Numbers per block of rows (:mod:`okrsim.blocks`): each block computes with its own
number, as it would alone."""

from __future__ import annotations

import numpy as np
import pytest

from okrsim.blocks import each_block, each_row
from okrsim.model.workforce import regressive
from okrsim.policies import choices, rules


def test_a_number_is_applied_whole_and_per_block_values_to_their_own_rows() -> None:
    x = np.linspace(0.1, 3.0, 12)
    assert np.array_equal(each_block(np.power, x, 0.7), np.power(x, 0.7))
    apart = each_block(np.power, x, (0.7, 1.3, 2.9))
    blocks = np.split(x, 3)
    alone = [np.power(b, e) for b, e in zip(blocks, (0.7, 1.3, 2.9), strict=True)]
    assert apart.tobytes() == np.concatenate(alone).tobytes()
    assert each_row(float, 0.7, x) == 0.7
    assert np.array_equal(each_row(lambda v: 2 * v, (1.0, 2.0), x), np.repeat([2.0, 4.0], 6))


def test_the_whole_array_is_split_along_its_rows_whatever_its_other_axes() -> None:
    x = np.arange(1.0, 13.0).reshape(6, 2)
    apart = each_block(np.power, x, (0.5, 2.0))
    assert apart.shape == (6, 2)
    assert np.array_equal(apart[3:], np.power(x[3:], 2.0))
    each = each_row(lambda v: v, (1.0, 2.0), x)
    assert np.array_equal(np.broadcast_to(each, x.shape), [[1.0, 1.0]] * 3 + [[2.0, 2.0]] * 3)
    rng = np.random.default_rng(2)
    for hours in (rng.uniform(0.5, 1.5, (4, 4)), rng.uniform(0.5, 1.5, (6, 3))):
        cost = rules.effort_cost(hours, 1.0, elasticity=(0.5, 1.0))
        halves = zip(np.split(hours, 2), (0.5, 1.0), strict=True)
        alone = [rules.effort_cost(h, 1.0, elasticity=e) for h, e in halves]
        assert cost.tobytes() == np.concatenate(alone).tobytes()


@pytest.mark.parametrize(
    ("elasticities", "regressions"),
    [((0.5, 0.05, 3.0), (0.3, 0.0, 1.0)), ((0.0, 1.0, 0.3), (0.5, 0.9, 0.1))],
)
def test_powers_of_stacked_runs_give_each_run_what_it_gets_alone(
    elasticities: tuple[float, ...], regressions: tuple[float, ...]
) -> None:
    rng = np.random.default_rng(4)
    n = 50
    hours, cost = rng.uniform(0.3, 1.8, 3 * n), rng.lognormal(0.0, 1.0, 3 * n)
    value, capability = rng.lognormal(0.0, 1.0, 3 * n), rng.lognormal(0.0, 0.5, 3 * n)
    stacked = (
        rules.effort_cost(hours, cost, elasticity=elasticities),
        choices.intensity(value, cost, elasticity=elasticities, ceiling=1.6),
        regressive(capability, regressions),
    )
    for r, e in enumerate(elasticities):
        rows = slice(r * n, (r + 1) * n)
        alone = (
            rules.effort_cost(hours[rows], cost[rows], elasticity=e),
            choices.intensity(value[rows], cost[rows], elasticity=e, ceiling=1.6),
            regressive(capability[rows], regressions[r]),
        )
        for together, own in zip(stacked, alone, strict=True):
            assert together[rows].tobytes() == own.tobytes()
