"""Work: the spread of the score an employee's outlook gives it (what stress weighs)."""

from __future__ import annotations

import numpy as np
import pytest

from okrsim.model import work
from okrsim.params import Comp
from okrsim.policies.curves import Curve, curve_for
from okrsim.policies.rating import rank_curve

CURVES = {
    "linear": curve_for(Comp(bonus_curve="linear")),
    "step": curve_for(Comp(bonus_curve="step")),
    "floor_cap": curve_for(Comp(bonus_curve="floor_cap")),
    "rank": rank_curve(1.0, 0.3),
}


@pytest.mark.parametrize("name", sorted(CURVES))
@pytest.mark.parametrize("krs", [1, 4, 7])
def test_score_spread_is_the_sd_over_nodes_of_the_mean_score_over_key_results(name, krs):
    curve: Curve = CURVES[name]
    rng = np.random.default_rng(krs)
    mu = rng.uniform(0.2, 1.8, (500, krs))
    sd = rng.uniform(0.02, 0.6, (500, krs))
    plain = curve(mu[..., None] + sd[..., None] * work.NODES).mean(axis=1).std(axis=-1)
    assert np.array_equal(work.score_spread(curve, mu, sd), plain)
