"""What a rule-following agent learns from, and when (``behaviour.decision_rule``).

Learners and satisficers judge their choices by the payoff they experienced:
the rating they were given, their own view of their contribution, the goal
they met or missed, the hours and the load they bore, and what they saw of
their teammates' ratings.  These tests hold the agents and their state fixed
and move one input: the policy in force, the review cadence, the payoff's
origin, the goal's outcome, a teammate's rating, the search draw.
"""

from __future__ import annotations

import copy
import typing

import numpy as np
import pydantic
import pytest
from test_decision_rules import scenario, update_after

from okrsim.model import OKRModel
from okrsim.model import decision_rules as dr
from okrsim.model.in_force import InForce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies import rules

D = len(rules.DECISIONS)


def quarter_run(rule: str, quarters: int = 1, **groups: dict[str, object]) -> OKRModel:
    """A model run through ``quarters`` quarters (the last review included)."""
    model = OKRModel(scenario(rule, **groups), rng=11)
    for _ in range(quarters * WEEKS_PER_QUARTER):
        model.step()
    return model


def other_values(group: str, name: str, current: object) -> list[object]:
    """Other valid values of a policy field: every other choice, or its bounds."""
    info = type(getattr(Scenario(), group)).model_fields[name]
    if info.annotation is bool:
        return [not current]
    choices = typing.get_args(info.annotation)
    if choices:
        return [c for c in choices if c != current]
    bounds = [getattr(m, "ge", None) for m in info.metadata]
    bounds += [getattr(m, "le", None) for m in info.metadata]
    return [b for b in bounds if b is not None and b != current]


def policy_variants(model: OKRModel):
    """The model's scenario with each Comp, Judgment and Okr field moved alone."""
    s = model.policy.scenario
    for group in ("comp", "judgment", "okr"):
        values = getattr(s, group).model_dump()
        for name, current in values.items():
            for value in other_values(group, name, current):
                data = s.model_dump()
                data[group] = {**values, name: value}
                try:
                    other = Scenario.model_validate(data)
                except pydantic.ValidationError:  # a cross-field rule refuses the pair
                    continue
                yield (
                    f"{group}.{name}={value}",
                    InForce.read(other, peer_attainment=model.public.peer_attainment),
                )


# -- the payoff holds no policy --------------------------------------------------------
@pytest.mark.parametrize("rule", ["learn", "satisfice"])
def test_no_policy_field_moves_a_rule_with_the_same_experience_and_ratings(rule):
    """Each Comp, Judgment and Okr field moved alone: the same attractions, habits, aspirations."""
    model = quarter_run(rule)
    ratings = np.linspace(0.6, 1.4, model.workforce.n)
    base = update_after(model, ratings)
    tried = 0
    for label, policy in policy_variants(model):
        wf = update_after(model, ratings, policy=policy)
        for state in ("attraction", "rule_option", "aspiration", "experience"):
            assert np.array_equal(getattr(wf, state), getattr(base, state)), (label, state)
        tried += 1
    assert tried >= 40


def test_ones_own_contribution_holds_neither_failure_tolerance_nor_recency():
    """A quarter's work under two judgments: the manager's view differs, one's own does not."""
    tallies = []
    for judgment in ({"failure_tolerance": 0.0, "recency": 0.0}, {"failure_tolerance": 1.0}):
        model = OKRModel(
            scenario("learn", judgment=judgment, env={"breakthrough_rate": 0.5}), rng=3
        )
        for _ in range(WEEKS_PER_QUARTER - 1):  # the quarter's work, before its review
            model.step()
        tallies.append(model.tally)
    assert np.array_equal(tallies[0].own_contribution, tallies[1].own_contribution)
    assert not np.array_equal(tallies[0].seen_contribution, tallies[1].seen_contribution)


def test_a_goal_missed_costs_loss_aversion_less_one_and_a_goal_beaten_adds_nothing():
    """Same agents and output: a target a tenth above, at, or a tenth below it,
    in units of expected output.  The output itself is valued alike (its
    contribution); what the goal adds is the shortfall's kink."""
    model = quarter_run("learn")
    felt = {}
    for sign in (1.0, 0.0, -1.0):
        wf = copy.deepcopy(model.workforce)
        wf.par[:] = 1.0
        wf.progress[:] = wf.expected
        wf.target[:] = wf.expected * (1.0 - sign * 0.1)
        felt[sign] = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    b = model.policy.scenario.behaviour
    unit = b.goal_pull * model.workforce.intrinsic * 0.1
    assert np.array_equal(felt[1.0], felt[0.0])  # beaten or met: no kink reached
    assert felt[0.0] - felt[-1.0] == pytest.approx(unit * (b.loss_aversion - 1.0))


def test_a_goal_out_of_reach_is_felt_no_more_the_further_it_is_missed():
    """Same agents and target: output 40 % or 60 % short of it (beyond the
    goal's reach of 30 %) feels the same; within reach each unit counts."""
    model = quarter_run("learn")
    reach = model.policy.scenario.assumptions.goal_reach
    felt = {}
    for short in (0.4, 0.6, 0.0, 0.1):
        wf = copy.deepcopy(model.workforce)
        wf.par[:] = 1.0
        wf.target[:] = wf.expected
        wf.progress[:] = wf.expected * (1.0 - short)
        felt[short] = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    assert reach < 0.4
    np.testing.assert_array_equal(felt[0.4], felt[0.6])
    b = model.policy.scenario.behaviour
    unit = b.goal_pull * model.workforce.intrinsic * 0.1
    assert felt[0.0] - felt[0.1] == pytest.approx(unit * (b.loss_aversion - 1.0))


def test_pay_uncertainty_reaches_the_felt_payoff_only_through_ratings_received():
    """Stress from the believed rating spread is not felt; strain above a normal week is."""
    model = quarter_run("learn")
    wf = copy.deepcopy(model.workforce)
    calm = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    wf.stress[:] = 1.0
    wf.coupling_belief[:] = 1.0
    assert np.array_equal(dr.felt_payoff(wf, model.policy, model.tally, model.public), calm)
    tally = copy.deepcopy(model.tally)
    tally.hours = tally.weeks_present * 1.3  # a quarter at the stress ceiling
    assert np.all(dr.felt_payoff(wf, model.policy, tally, model.public) < calm)


# -- the decision period is the settlement period --------------------------------------
def test_an_unsettled_review_only_adds_to_the_periods_payoff():
    model = quarter_run("learn", comp={"review_cadence": "annual"})
    wf = model.workforce
    assert np.all(wf.period_quarters == 1)  # Q1's review was not a settlement
    assert np.all(wf.attraction == 0.0)
    assert np.all(np.isnan(wf.aspiration))
    again = update_after(model, np.full(wf.n, 2.0), settled=False)
    felt = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    assert again.period_payoff == pytest.approx(wf.period_payoff + felt)
    for state in ("attraction", "rule_option", "experience"):
        assert np.array_equal(getattr(again, state), getattr(wf, state)), state


def test_a_settled_review_credits_the_periods_mean_payoff_to_the_options_held():
    """Three quarters felt already: the settled rating plus the mean of four quarters."""
    model = quarter_run("learn")
    wf = copy.deepcopy(model.workforce)
    wf.period_payoff[:], wf.period_quarters[:] = 0.6, 3.0
    model.workforce = wf
    ratings = np.linspace(0.6, 1.4, wf.n)
    reference = np.full(wf.n, 1.0)
    after = update_after(model, ratings, aspiration=reference)
    s = model.policy.scenario
    felt = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    payoff = s.behaviour.extrinsic_weight * ratings + (0.6 + felt) / 4.0
    peers = dr.teammates(wf, model.org)
    seen = dr.seen_payoffs(model.policy, payoff, ratings, peers, model.rule_draws.peer_noise)
    foregone, known = rules.peer_payoffs(wf.rule_option[peers], seen)
    expected, _ = rules.update_attractions(
        wf.attraction,
        wf.experience,
        wf.rule_option,
        payoff,
        foregone,
        known,
        reference,
        decay=s.behaviour.attraction_decay,
        foregone_weight=s.behaviour.foregone_weight,
    )
    assert after.attraction == pytest.approx(expected)
    assert np.all(after.period_quarters == 0)
    assert np.all(after.period_payoff == 0)


@pytest.mark.parametrize(("cadence", "settlements"), [("quarterly", 4), ("annual", 1)])
def test_options_are_chosen_once_per_settlement_period(cadence, settlements):
    """Quarterly: new options every quarter; annual: held through the year, moved once."""
    model = OKRModel(
        scenario("learn", comp={"review_cadence": cadence}, horizon={"quarters": 8}), rng=4
    )
    founded = model.workforce.tenure_weeks.copy()
    held, moved = [], 0
    for quarter in range(1, 5):
        for week in range(WEEKS_PER_QUARTER):
            before = model.workforce.attraction.copy()
            model.step()
            if week == 0:
                held.append(model.workforce.rule_option.copy())
        moved += not np.array_equal(model.workforce.attraction, before)
        stayed = model.workforce.tenure_weeks == founded + quarter * WEEKS_PER_QUARTER
        quarters_felt = 0 if cadence == "quarterly" else quarter % 4
        assert np.all(model.workforce.period_quarters[stayed] == quarters_felt)
    assert moved == settlements
    same = [np.array_equal(h[stayed], held[0][stayed]) for h in held[1:]]
    assert all(same) == (cadence == "annual")


# -- the payoff's origin does not matter -----------------------------------------------
def test_adding_a_constant_to_every_payoff_leaves_choice_probabilities_alone():
    """Every rating, so every payoff felt and seen, moved by the same amount.

    At the first review the reference point is what one saw one's teammates
    get, and moves with them; later it is a payoff felt before, moved too.
    """
    model = quarter_run("learn")
    n, b = model.workforce.n, model.policy.scenario.behaviour
    ratings = np.linspace(0.6, 1.4, n)
    first = np.full(n, np.nan)
    later = np.linspace(0.5, 2.0, n)
    u = np.random.default_rng(0).random((n, D))
    for shift, reference in [(s, r) for s in (-2.0, 3.0) for r in (first, later)]:
        base = update_after(model, ratings, aspiration=reference)
        moved = reference + b.extrinsic_weight * shift
        shifted = update_after(model, ratings + shift, aspiration=moved)
        assert shifted.attraction == pytest.approx(base.attraction, abs=1e-9)
        assert np.array_equal(
            rules.logit_choice(shifted.attraction, b.choice_sensitivity, u),
            rules.logit_choice(base.attraction, b.choice_sensitivity, u),
        )


def bandit(shift: float, quarters: int, n: int = 2000, team: int = 5) -> list[float]:
    """Share of learners choosing the best of five options, quarter by quarter.

    The first decision's option 3 pays 0.3 more (in rating units, noise sd
    0.3); the other decisions pay nothing; teammates' payoffs are seen
    through noise of sd 0.2; the model's default φ, δ, λ and α.
    """
    b = Scenario().behaviour
    rng = np.random.default_rng(3)
    a, experience = np.zeros((n, D, rules.OPTIONS)), np.ones(n)
    reference = np.full(n, np.nan)
    position = np.arange(n) % team
    peers = (np.arange(n) // team)[:, None] * team + (position[:, None] + np.arange(1, team)) % team
    shares = []
    for _ in range(quarters):
        option = rules.logit_choice(a, b.choice_sensitivity, rng.random((n, D)))
        payoff = shift + 0.3 * (option[:, 0] == 3) + 0.3 * rng.standard_normal(n)
        seen = payoff[peers] + 0.2 * rng.standard_normal(peers.shape)
        reference = np.where(np.isnan(reference), seen.mean(axis=1), reference)
        foregone, known = rules.peer_payoffs(option[peers], seen)
        a, experience = rules.update_attractions(
            a,
            experience,
            option,
            payoff,
            foregone,
            known,
            reference,
            decay=b.attraction_decay,
            foregone_weight=b.foregone_weight,
        )
        reference = rules.update_aspiration(reference, payoff, b.aspiration_speed)
        shares.append(float(np.mean(option[:, 0] == 3)))
    return shares


def test_learners_find_a_dominant_option_wherever_the_payoffs_zero_lies():
    """From a fifth (uniform) to about a third after eight quarters, for any shift."""
    shares = {shift: bandit(shift, quarters=8) for shift in (-2.0, 0.0, 3.0)}
    assert shares[-2.0] == shares[0.0] == shares[3.0]
    first, last = shares[0.0][0], shares[0.0][-1]
    assert first == pytest.approx(0.2, abs=0.03)
    assert last > 0.3


def test_an_untried_option_keeps_its_prior_attraction():
    """``initial_attraction`` is a prior: what is neither chosen nor seen keeps it."""
    model = quarter_run("learn", behaviour={"initial_attraction": 0.4})
    wf = update_after(model, np.ones(model.workforce.n))
    peers = dr.teammates(model.workforce, model.org)
    _, known = rules.peer_payoffs(model.workforce.rule_option[peers], np.zeros(peers.shape))
    untouched = ~(rules.one_hot(model.workforce.rule_option) | known) & rules.AVAILABLE
    assert untouched.any()
    assert np.all(wf.attraction[untouched] == 0.4)


# -- what is seen of teammates ----------------------------------------------------------
def test_a_teammates_options_are_seen_through_its_rating_not_its_private_payoff():
    """Same own payoff; a teammate rated higher makes its options more attractive, nothing else."""
    model = quarter_run("learn")
    wf, n = model.workforce, model.workforce.n
    ratings = np.ones(n)
    higher = ratings.copy()
    higher[1] += 0.5  # employee 1 is employee 0's teammate
    # its private motives do not reach employee 0's foregone payoffs
    traits = copy.deepcopy(model)
    traits.workforce.intrinsic[1] *= 3.0
    traits.workforce.honesty[1] *= 3.0
    reference = np.zeros(n)
    base = update_after(model, ratings, aspiration=reference)
    assert np.array_equal(
        update_after(traits, ratings, aspiration=reference).attraction[0], base.attraction[0]
    )
    rated = update_after(model, higher, aspiration=reference)
    theirs = rules.one_hot(wf.rule_option[1]) & ~rules.one_hot(wf.rule_option[0])
    assert np.all(rated.attraction[0][theirs] > base.attraction[0][theirs])


# -- the satisficer's local search -------------------------------------------------------
def test_a_search_moves_one_drawn_decision_one_step_and_never_wraps_round():
    n = 4000
    u = np.random.default_rng(9).random((n, D))
    top = rules.AVAILABLE.sum(axis=1) - 1
    for start in (np.zeros((n, D), dtype=np.int64), np.broadcast_to(top, (n, D))):
        moved = rules.search(start, u, 1)
        changed = moved != start
        assert np.all(changed.sum(axis=1) == 1)
        assert np.all(np.abs(moved - start).sum(axis=1) == 1)  # from an end, inwards
        picked = np.argmax(changed, axis=1)
        counts = np.bincount(picked, minlength=D) / n
        assert counts == pytest.approx(np.full(D, 1 / D), abs=0.02)
        assert np.array_equal(picked, np.minimum((u[:, 0] * D).astype(int), D - 1))


def test_the_menus_are_symmetric_around_an_honest_statement():
    offer, shading = rules.MENU[rules.decision("offer")], rules.MENU[rules.decision("shading")]
    assert offer.min() <= 0.6
    assert offer.max() >= 1.4
    assert np.allclose(offer + offer[::-1], 2.0)
    assert shading.min() <= -0.3
    assert shading.max() >= 0.3
    assert np.allclose(shading + shading[::-1], 0.0)


def test_an_option_is_never_read_before_it_is_chosen():
    model = quarter_run("learn")
    wf = copy.deepcopy(model.workforce)
    wf.rule_option[0] = -1
    with pytest.raises(ValueError, match="offer"):
        dr.option(wf, "offer", model.policy)
    with pytest.raises(ValueError, match="before"):
        rules.chosen_values(wf.rule_option)


def test_a_newcomer_starts_afresh_and_chooses_at_once_even_mid_period():
    """Annual reviews, many leavers after Q1: newcomers choose at Q2's start, stayers hold."""
    model = OKRModel(
        scenario(
            "learn",
            comp={"review_cadence": "annual"},
            behaviour={"quit_base_rate": 0.5, "initial_attraction": 0.2},
            horizon={"quarters": 8},
        ),
        rng=6,
    )
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
    wf = model.workforce
    hired = wf.tenure_weeks < 0
    assert hired.any()
    assert np.all(wf.rule_option[hired] == -1)
    assert np.all(wf.attraction[hired] == 0.2)
    assert np.all(np.isnan(wf.aspiration[hired]))
    assert np.all(wf.period_quarters[hired] == 0)
    assert np.all(wf.period_quarters[~hired] == 1)
    held = wf.rule_option.copy()
    model.step()  # the second quarter starts
    assert np.all(wf.rule_option[hired] >= 0)
    assert np.array_equal(wf.rule_option[~hired], held[~hired])
