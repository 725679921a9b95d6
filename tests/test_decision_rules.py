"""The decision rules (``behaviour.decision_rule``), each checked at the decision level.

Learning (EWA) and satisficing are tested on their pure functions with one
input moved, and on a real model's agents at a review: the same agents in
the same state, one lever moved (the pay they realised, the policy in
force).  Common random numbers across the rules are checked on real runs.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from okrsim.model import OKRModel
from okrsim.model import decision_rules as dr
from okrsim.model.blocker_surfacing import surface_blockers
from okrsim.model.booking import book
from okrsim.model.in_force import InForce
from okrsim.model.target_setting import revise_targets
from okrsim.params import Scenario
from okrsim.policies import rules

RULES = ("optimise", "learn", "satisfice")
N_DECISIONS = len(rules.DECISIONS)
SHADING = rules.decision("shading")


def scenario(rule: str, **groups: dict[str, object]) -> Scenario:
    data: dict[str, dict[str, object]] = {
        "org": {"n_teams": 3, "team_size": 5},
        "horizon": {"quarters": 3},
        "behaviour": {"decision_rule": rule},
    }
    for group, values in groups.items():
        data[group] = {**data.get(group, {}), **values}
    return Scenario.model_validate(data)


def ewa(payoff, foregone, seen, *, chosen=None, delta=0.4, phi=0.9, attraction=0.0):
    """One EWA update of two employees' attractions from a common state."""
    n = len(payoff)
    a = np.full((n, N_DECISIONS, rules.OPTIONS), attraction)
    chosen = np.zeros((n, N_DECISIONS), dtype=np.int64) if chosen is None else chosen
    return rules.update_attractions(
        a,
        np.ones(n),
        chosen,
        np.asarray(payoff, dtype=float),
        np.broadcast_to(np.asarray(foregone, dtype=float), a.shape),
        np.broadcast_to(np.asarray(seen), a.shape),
        np.zeros(n),  # payoffs reckoned from a reference point of 0
        decay=phi,
        foregone_weight=delta,
    )


# -- learn: experience-weighted attraction -----------------------------------------
def test_an_option_paid_more_gains_attraction_and_is_chosen_more():
    """Same agents, same attractions, one paid more for the option it chose."""
    after, experience = ewa([2.0, 1.0], foregone=0.0, seen=False)
    assert after[0, :, 0] == pytest.approx(2.0 / 1.9)
    assert np.all(after[0, :, 0] > after[1, :, 0])
    # the options neither chosen nor seen keep their attraction
    assert np.all(after[:, :, 1:] == 0.0)
    assert np.all(experience == 1.9)
    u = np.random.default_rng(1).random((4000, N_DECISIONS))
    share = [
        np.mean(rules.logit_choice(np.repeat(after[i : i + 1], 4000, axis=0), 2.0, u) == 0)
        for i in (0, 1)
    ]
    assert share[0] > share[1] > 1.0 / rules.OPTIONS


@pytest.mark.parametrize("delta", [0.0, 0.3, 1.0])
def test_a_teammates_payoff_moves_an_unchosen_option_by_delta(delta):
    """A foregone payoff seen among peers counts δ times; an unseen one not at all."""
    seen = np.zeros((1, N_DECISIONS, rules.OPTIONS), dtype=bool)
    seen[..., 3] = True
    foregone = np.where(seen, 1.5, 0.0)
    after, n_new = ewa([1.0], foregone=foregone, seen=seen, delta=delta, attraction=0.5)
    expected_seen = (0.9 * 1.0 * 0.5 + delta * 1.5) / n_new[0]
    assert after[0, :, 3] == pytest.approx(np.full(N_DECISIONS, expected_seen))
    # an option neither chosen nor seen is left as it was
    assert after[0, :, 2] == pytest.approx(np.full(N_DECISIONS, 0.5))
    # one's own payoff counts fully whatever δ
    assert after[0, :, 0] == pytest.approx(np.full(N_DECISIONS, (0.45 + 1.0) / 1.9))


def test_peer_payoffs_average_the_teammates_who_chose_each_option():
    peer_option = np.zeros((1, 3, N_DECISIONS), dtype=np.int64)
    peer_option[0, :, SHADING] = [4, 4, 1]
    mean, seen = rules.peer_payoffs(peer_option, np.array([[1.0, 2.0, 5.0]]))
    assert mean[0, SHADING, 4] == pytest.approx(1.5)
    assert mean[0, SHADING, 1] == pytest.approx(5.0)
    assert seen[0, SHADING].tolist() == [False, True, False, False, True]


def test_logit_choice_keeps_to_the_menu_and_is_uniform_without_sensitivity():
    u = np.random.default_rng(2).random((20000, N_DECISIONS))
    picked = rules.logit_choice(np.zeros((20000, N_DECISIONS, rules.OPTIONS)), 0.0, u)
    for d in range(N_DECISIONS):
        counts = np.bincount(picked[:, d], minlength=rules.OPTIONS)
        options = rules.AVAILABLE[d].sum()
        assert np.all(counts[options:] == 0), rules.DECISIONS[d]
        assert counts[:options] / 20000 == pytest.approx(np.full(options, 1 / options), abs=0.02)


# -- satisfice: aspiration and search ------------------------------------------------
def test_a_satisficer_keeps_its_habit_when_the_outcome_meets_the_aspiration():
    option = np.full((2, N_DECISIONS), 1)
    u = np.random.default_rng(3).random((2, N_DECISIONS))
    kept = rules.satisfice(option, np.array([1.0, 1.2]), np.array([1.0, 1.0]), u, 1)
    assert np.array_equal(kept, option)


def test_a_satisficer_below_its_aspiration_searches_a_neighbouring_option():
    option = np.full((500, N_DECISIONS), 1)
    u = np.random.default_rng(4).random((500, N_DECISIONS))
    moved = rules.satisfice(option, np.full(500, 0.9), np.full(500, 1.0), u, 1)
    # one decision moves, to a neighbouring option
    assert np.all((moved != option).sum(axis=1) == 1)
    assert np.all(np.abs(moved - option).sum(axis=1) == 1)
    assert {0, 2} <= set(moved[:, SHADING].tolist())


def test_the_aspiration_moves_alpha_of_the_way_to_the_outcome():
    assert rules.update_aspiration(np.array([1.0, 1.0]), np.array([2.0, 0.0]), 0.3) == (
        pytest.approx([1.3, 0.7])
    )


# -- at a review: the same agents, one lever moved ----------------------------------
def reviewed(rule: str, **groups: dict[str, object]) -> OKRModel:
    """A model one week before its first review, all its choices made."""
    model = OKRModel(scenario(rule, **groups), rng=11)
    for _ in range(12):
        model.step()
    return model


def update_after(
    model: OKRModel,
    ratings: np.ndarray,
    policy: InForce | None = None,
    aspiration=None,
    *,
    settled: bool = True,
):
    """The workforce after ``decision_rules.update`` on a copy of the model's state
    (at a settled review unless ``settled`` is false)."""
    wf = copy.deepcopy(model.workforce)
    if aspiration is not None:
        wf.aspiration[:] = aspiration
    dr.update(
        wf,
        model.org,
        policy or model.policy,
        model.tally,
        model.public,
        ratings,
        model.rule_draws,
        settled,
    )
    return wf


def inflating(model: OKRModel) -> np.ndarray:
    return rules.MENU[SHADING][model.workforce.rule_option[:, SHADING]] > 0


def test_learning_favours_inflated_reports_only_after_they_were_paid_more():
    """Ratings that paid inflators more raise inflation's attraction; less, lower it."""
    model = reviewed("learn")
    inflated = inflating(model)
    assert 0 < inflated.sum() < model.workforce.n
    top = rules.OPTIONS - 1  # the most inflated report
    reference = np.zeros(model.workforce.n)  # the same reference point in both
    paid_more = update_after(model, np.where(inflated, 1.5, 0.5), aspiration=reference)
    paid_less = update_after(model, np.where(inflated, 0.5, 1.5), aspiration=reference)
    gain = paid_more.attraction[:, SHADING, top] - paid_less.attraction[:, SHADING, top]
    # it moves for those who chose it or saw a teammate choose it, and no one else
    chose_top = model.workforce.rule_option[:, SHADING] == top
    knew = chose_top | (model.org.team_total(chose_top.astype(float))[model.workforce.team] > 0)
    assert np.all(gain[knew] > 0)
    assert np.all(gain[~knew] == 0)
    honest = rules.decision("shading"), 2
    loss = paid_more.attraction[:, honest[0], honest[1]] - paid_less.attraction[:, *honest]
    assert np.all(loss[~inflated] < 0)


def test_the_policy_reaches_a_learner_only_through_the_pay_it_realised():
    """Coupled or decoupled, the same realised ratings move attractions identically."""
    model = reviewed("learn")
    ratings = np.linspace(0.5, 1.5, model.workforce.n)
    s = model.policy.scenario
    for coupling in (0.0, 1.0):
        other = Scenario.model_validate(
            {**s.model_dump(), "comp": {**s.comp.model_dump(), "coupling": coupling}}
        )
        policy = InForce.read(other, peer_attainment=model.public.peer_attainment)
        wf = update_after(model, ratings, policy)
        assert np.array_equal(wf.attraction, update_after(model, ratings).attraction)


def test_a_satisficer_at_a_review_searches_only_when_short_of_its_aspiration():
    """Same agents, same aspiration: the pay realised just above it, or just below."""
    model = reviewed("satisfice")
    wf, n = model.workforce, model.workforce.n
    before = wf.rule_option.copy()
    felt = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    aspiration = dr.realised_payoff(wf, model.policy, np.ones(n), felt)
    above = update_after(model, np.full(n, 1.01), aspiration=aspiration)
    below = update_after(model, np.full(n, 0.99), aspiration=aspiration)
    assert np.array_equal(above.rule_option, before)
    assert np.all((below.rule_option != before).sum(axis=1) == 1)
    # the aspiration moves α of the way to the outcome: X·0.01·α either way
    step = 0.01 * model.policy.scenario.behaviour.extrinsic_weight * 0.3
    assert above.aspiration - aspiration == pytest.approx(np.full(n, step))
    assert below.aspiration - aspiration == pytest.approx(np.full(n, -step))


def test_a_satisficers_first_aspiration_is_what_it_saw_its_teammates_get():
    model = reviewed("satisfice")
    wf, n = model.workforce, model.workforce.n
    assert np.all(np.isnan(wf.aspiration))
    ratings = np.linspace(0.5, 1.5, n)
    s = model.policy.scenario
    felt = dr.felt_payoff(wf, model.policy, model.tally, model.public)
    payoff = dr.realised_payoff(wf, model.policy, ratings, felt)
    after = update_after(model, ratings)
    peers = dr.teammates(wf, model.org)
    # its own payoff with each teammate's rating, seen through noise, in place of its own
    seen_rating = ratings[peers] + s.behaviour.peer_noise * model.rule_draws.peer_noise
    first = payoff[:, None] + s.behaviour.extrinsic_weight * (seen_rating - ratings[:, None])
    first = first.mean(axis=1)
    assert after.aspiration == pytest.approx(first + 0.3 * (payoff - first))


def test_the_optimiser_keeps_no_rule_state():
    model = reviewed("optimise")
    wf = update_after(model, np.ones(model.workforce.n))
    assert np.all(wf.rule_option == -1)
    assert np.all(wf.attraction == 0.0)


def test_a_rule_applies_its_options_for_the_quarter():
    """What the submodels did this quarter is what the options say."""
    model = reviewed("learn")
    wf = model.workforce
    share = rules.MENU[rules.decision("kr_share")][wf.rule_option[:, rules.decision("kr_share")]]
    assert wf.effort[:, 0] == pytest.approx(share)
    assert wf.effort.sum(axis=1) == pytest.approx(np.ones(wf.n))
    offer = rules.MENU[rules.decision("offer")][wf.rule_option[:, rules.decision("offer")]]
    assert wf.last_tau == pytest.approx(offer)
    shading = rules.MENU[SHADING][wf.rule_option[:, SHADING]]
    # a key result on the record is reported truthfully (one caught this week
    # was shaded before the audit)
    on_record = wf.raised | wf.exposed
    option = np.broadcast_to(shading[:, None], wf.shading.shape)
    assert wf.shading[~on_record] == pytest.approx(option[~on_record])
    assert np.all(np.isclose(wf.shading, 0.0) | np.isclose(wf.shading, option))


def with_option(model: OKRModel, name: str, values: list[int]):
    """Copies of the model's workforce and tally, with decision ``name``'s options set."""
    wf, tally = copy.deepcopy(model.workforce), copy.deepcopy(model.tally)
    wf.rule_option[:, rules.decision(name)] = np.resize(values, wf.n)
    return wf, tally


def test_a_blocker_is_raised_once_hidden_as_long_as_the_option_says():
    model = reviewed("learn")
    wf, tally = with_option(model, "raise_wait", [0, 4])  # at once / after four weeks
    wf.blocked[:], wf.raised[:] = True, False
    wf.onset_week[:] = model.week - 2  # hidden two weeks
    surface_blockers(
        wf, model.policy, np.ones(wf.raised.shape), tally, week=model.week, week_in_quarter=11
    )
    at_once = np.resize([True, False], wf.n)
    assert np.all(wf.raised[at_once])
    assert not np.any(wf.raised[~at_once])


def test_booking_moves_the_options_share_of_what_may_move():
    model = reviewed("learn")
    moved = {}
    for option in (2, 4):  # book nothing elsewhere / hold back all that may move
        wf, tally = with_option(model, "booking", [option])
        book(wf, model.policy, model.public, tally, alignment=model.alignment[model.org.team])
        moved[option] = tally.booked_elsewhere
    assert np.all(moved[2] == 0.0)
    assert np.all(moved[4] > 0.0)


def test_a_revision_is_asked_for_only_where_the_option_says_ask():
    model = reviewed("learn", okr={"revision_allowed": True})
    wf, _ = with_option(model, "revise", [0, 1])
    asked, _ = revise_targets(wf, model.policy, manager_view=model.manager_view)
    assert asked.tolist() == np.resize([0, wf.k], wf.n).tolist()


# -- common random numbers and whole runs --------------------------------------------
class Recorded(OKRModel):
    """A model that keeps a copy of each week's exogenous draws."""

    def draw_week(self):  # type: ignore[no-untyped-def]
        draws = super().draw_week()
        self.__dict__.setdefault("seen_draws", []).append(draws)
        return draws


def test_the_same_seed_gives_the_same_people_and_world_under_every_rule():
    runs = {}
    for rule in RULES:
        model = Recorded(scenario(rule), rng=5)
        people = model.workforce.capability.copy()
        model.run()
        runs[rule] = (people, model)
    base_people, base = runs["optimise"]
    for rule in ("learn", "satisfice"):
        people, model = runs[rule]
        assert np.array_equal(people, base_people)
        for mine, theirs in zip(model.seen_draws, base.seen_draws, strict=True):
            for key in mine:
                assert np.array_equal(mine[key], theirs[key]), key
        # every stream was drawn exactly as far: no rule shifts another draw
        for name, stream in model.streams.items():
            assert stream.bit_generator.state == base.streams[name].bit_generator.state, name


@pytest.mark.parametrize("rule", RULES)
def test_a_whole_run_under_each_rule_gives_finite_outcomes(rule):
    model = OKRModel(scenario(rule, horizon={"quarters": 4}), rng=8)
    model.run()
    quarters = model.quarterly_frame()
    assert len(quarters) == 4
    for column in ("true_value", "sandbagging_index", "reporting_bias", "help_share"):
        assert np.all(np.isfinite(quarters[column])), column
    if rule != "optimise":
        # everyone but a newcomer hired at the last review has chosen
        hired = model.workforce.tenure_weeks < 0
        assert np.all(model.workforce.rule_option[~hired] >= 0)
        assert np.all(np.isfinite(model.workforce.attraction))
