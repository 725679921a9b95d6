"""Forced-ranking runs step as one cohort after their reviews, each as alone.

Under relative evaluation each run weighs a step curve at its own peers'
results (last quarter's reported attainment), so from the second quarter
on the runs' curves differ in where the knots sit and how blurred they are.
A cohort's curve then holds each employee's run's numbers
(:meth:`Curve.stacked`), and every use of it — the score's expectation and
slope, the target moments, the ratchet's claw-back, the stress's score
spread — gives each run's rows what its curve alone gives.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_ensemble import assert_same_run
from test_ensemble_design_points import stepped_states

from okrsim.params import Scenario
from okrsim.policies import choices
from okrsim.policies.curves import Curve
from okrsim.policies.rating import rank_curve
from okrsim.simulation import run, run_many

REPO = Path(__file__).resolve().parent.parent
#: Three runs' curves: peers at different means and spreads, one of them twice.
CURVES = (rank_curve(1.05, 0.2), rank_curve(0.9, 0.35), rank_curve(1.05, 0.2))
SIZES = (4, 3, 5)


def bits(x: Any) -> bytes:
    return np.ascontiguousarray(x, dtype=float).tobytes()


def test_a_stacked_curve_gives_each_runs_rows_its_curve_alone() -> None:
    rng = np.random.default_rng(3)
    n = sum(SIZES)
    mu, sd = rng.normal(1.0, 0.3, (n, 2)), rng.uniform(0.0, 0.4, (n, 2))
    stacked = Curve.stacked(CURVES, SIZES)
    assert stacked.per_row
    assert stacked.form == CURVES[0].form
    starts = np.cumsum((0, *SIZES))
    for curve, start, end in zip(CURVES, starts[:-1], starts[1:], strict=True):
        rows = slice(start, end)
        assert stacked.rows(rows) == curve
        for method in ("expected", "marginal"):
            together = getattr(stacked, method)(mu, sd)[rows]
            assert bits(together) == bits(getattr(curve, method)(mu[rows], sd[rows]))
        assert bits(stacked(mu)[rows]) == bits(curve(mu[rows]))
        # employees along the last axis
        assert bits(stacked.flat()(mu.T)[:, rows]) == bits(curve(mu[rows].T))
    # the first and last runs share their numbers but are not neighbours: three pieces
    pieces = stacked.pieces(0.2, 12)
    assert [(part.start, part.stop) for part, _, _ in pieces] == [(0, 4), (4, 7), (7, 12)]
    assert [curve for _, curve, _ in pieces] == list(CURVES)
    # a spread per row splits the rows where it changes too
    one = Curve.stacked(CURVES[:1] * 3, SIZES)
    spreads = np.repeat([0.1, 0.1, 0.3], SIZES)
    cut = [(p.start, p.stop, sd) for p, _, sd in one.pieces(spreads, 12)]
    assert cut == [(0, 7, 0.1), (7, 12, 0.3)]


@pytest.mark.parametrize("shared", [True, False])
def test_target_moments_under_a_stacked_curve_are_each_runs_alone(shared: bool) -> None:
    payoff = choices.payoff_for(Scenario.from_mapping({"comp": {"evaluation": "relative"}}))
    stacked = replace(payoff, curve=Curve.stacked(CURVES, SIZES))
    n = sum(SIZES)
    tau = choices.TARGET_GRID if shared else np.linspace(0.6, 1.8, n * 3).reshape(n, 3)
    together = choices.target_moments(tau, 0.2, stacked)
    start = 0
    for curve, size in zip(CURVES, SIZES, strict=True):
        rows = slice(start, start + size)
        alone = choices.target_moments(
            tau if shared else tau[rows], 0.2, replace(payoff, curve=curve)
        )
        for one, other in zip(together, alone, strict=True):
            assert bits(one[rows]) == bits(np.broadcast_to(other, one[rows].shape))
        start += size


VARIANTS = {
    "preset": {},
    "ratchet": {"okr": {"target_rule": "ratchet"}},
    "negotiated, revised": {"okr": {"target_rule": "negotiated", "revision_allowed": True}},
    "annual": {"comp": {"review_cadence": "annual"}},
    "learn": {"behaviour": {"decision_rule": "learn"}},
    "satisfice": {"behaviour": {"decision_rule": "satisfice"}},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_forced_ranking_runs_step_as_one_cohort_each_as_alone(
    variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Scenario.from_toml(REPO / "scenarios" / "relative_ranking.toml").model_dump()
    for group, values in VARIANTS[variant].items():
        data[group].update(values)
    scenario = Scenario.from_mapping(data)
    one_cohort_each_as_alone([scenario] * 3, [21, 22, 23], monkeypatch)


#: Design points under a forced ranking that take the paths a cohort's curve is
#: cut by run: runs answering the report choice apart (one with nothing riding on
#: its reports), choosing targets apart (one expecting no manager's pull), and a
#: curve with no blur beside one with some.
POINTS = {
    "report choices apart": ({"behaviour.extrinsic_weight": 0.0}, {}),
    "targets apart": (
        {"okr.target_rule": "negotiated"},
        {
            "okr.target_rule": "negotiated",
            "behaviour.credibility_prior": 0.0,
            "behaviour.learning_rate": 0.0,
        },
    ),
    "no blur": ({"assumptions.edge_uncertainty": 0.0}, {}),
}


@pytest.mark.parametrize("case", sorted(POINTS))
def test_forced_ranking_design_points_step_as_one_cohort_each_as_alone(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = Scenario.from_toml(REPO / "scenarios" / "relative_ranking.toml")
    points = [base.with_overrides(values) for values in POINTS[case] for _ in range(2)]
    one_cohort_each_as_alone(points, [31, 32, 33, 34], monkeypatch)


def one_cohort_each_as_alone(
    points: list[Scenario], seeds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runs step as one cohort every week, and each gives its run alone."""
    with monkeypatch.context() as patched:
        states = stepped_states(patched)
        together = run_many(points, seeds)
    employees = points[0].org.n_teams * points[0].org.team_size
    assert {s.workforce.n for s in states} == {len(points) * employees}, "one cohort every week"
    for point, seed, result in zip(points, seeds, together, strict=True):
        assert_same_run(run(point, seed), result)
