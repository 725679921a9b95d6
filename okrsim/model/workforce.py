"""The workforce: every employee's traits, beliefs and key results, one row each.

A struct of arrays, so that the weekly numeric work runs over all employees
at once; every row is still one employee's own state and its choices are
computed from that row alone by the pure functions in
:mod:`okrsim.policies.choices`.  :class:`~okrsim.model.agents.Employee` is the
Mesa agent that views one row.

Trait distributions and their sources: docs/ODD.md §2.2 (state variables) and
§5 (initialisation).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from okrsim import metrics, portable
from okrsim.blocks import PerBlock, each_block
from okrsim.model.rating_evidence import EVIDENCE_SIZE
from okrsim.params import Assumptions, Behaviour, Scenario
from okrsim.policies import choices, rules
from okrsim.policies.curves import Array

#: Constructor fields that describe the seat, not the person in it.
SEAT_FIELDS = ("n", "k", "team")


def lognormal_with_mean(rng: np.random.Generator, mean: float, log_sd: float, size: int) -> Array:
    """Draws with the given arithmetic mean: ``m·exp(N(−s²/2, s))`` (all 0 if m = 0).

    The normal draws are made whatever the mean, so later draws do not shift.
    """
    return mean * portable.exp(rng.normal(-0.5 * log_sd**2, log_sd, size))


def regressive(capability: Array, regression: PerBlock) -> Array:
    """A self-assessment pulled towards the average: ``c^(1 − κ)`` (mean capability 1).

    Estimates of one's own performance are regressive — the able underrate
    and the less able overrate themselves (Kruger & Dunning 1999; Moore &
    Healy 2008); ``κ`` is how far towards the mean (assumption: 0.3), one
    per block of rows in a cohort (:mod:`okrsim.blocks`).
    """
    return each_block(
        lambda c, kappa: portable.power(c, 1.0 - kappa), np.maximum(capability, 1e-9), regression
    )


@dataclass
class Workforce:
    """All employees' traits, beliefs and key-result state, one row each.

    Traits are drawn once from the ``workforce`` stream; the order of draws is
    fixed so the same seed gives the same people under any policy.
    """

    n: int
    k: int
    team: Array
    # traits
    capability: Array
    perception: Array
    risk_aversion: Array
    honesty_trait: Array
    intrinsic: Array
    prosociality: Array
    mum_cost: Array
    effort_cost: Array  # marginal personal cost of a normal week's intensity
    # the quarter's deadline: β of the β–δ discounting of effort (1 = no present bias)
    present_bias: Array
    # beliefs and habits (learned)
    capability_belief: Array
    honesty: Array
    audit_belief: Array
    bad_news_belief: Array
    ratchet_belief: Array
    kr_plan: Array
    help_belief: Array
    blocked_loss_belief: Array
    usual_hours: Array  # the intensity one usually works (learned from one's quarters)
    pull_belief: Array  # believed pull of the manager's ask on one's offer
    ask_belief: Array  # the ask expected, as a multiple of one's expected output
    agree_belief: Array  # believed chance the manager agrees to a revision
    # beliefs about the policy (okrsim.model.policy_beliefs)
    coupling_belief: Array  # believed share of the rating the OKR score decides
    credibility: Array  # how far the organisation's statements are believed
    rating_evidence: Array  # ratings seen beside scores, bad news and work (LS sums)
    standing_evidence: Array  # likewise for the teams' standing (LS sums)
    coupling_anchor: Array  # c̃ before evidence: prior moved by statements (ODD §7.13)
    bad_news_anchor: Array  # likewise for the bad-news mark
    unsettled_news: Array  # bad news brought over the quarters awaiting settlement
    unsettled_work: Array  # the impression of one's work over them
    unsettled_quarters: Array  # and their number (emptied at a settled review)
    # decision rules (okrsim.policies.rules.initial_state)
    rule_option: Array
    attraction: Array
    experience: Array
    aspiration: Array  # the reference point a payoff is judged against
    period_payoff: Array  # felt payoff summed over the decision period so far
    period_quarters: Array  # quarters in it (0: a new period starts)
    # key-result state, shape (n, k)
    target: Array = field(init=False)
    offer: Array = field(init=False)  # the employee's own target, before any rule moved it
    ask: Array = field(init=False)  # the manager's ask, as said in the target conversation
    expected: Array = field(init=False)
    progress: Array = field(init=False)  # booked this quarter: what the books show
    produced: Array = field(init=False)  # produced this quarter: the truth
    reported: Array = field(init=False)
    shading: Array = field(init=False)
    blocked: Array = field(init=False)
    raised: Array = field(init=False)
    exposed: Array = field(init=False)
    onset_week: Array = field(init=False)
    par: Array = field(init=False)
    # each key result's status at the last check-in: as reported, and in truth
    reported_status: Array = field(init=False)
    true_status: Array = field(init=False)
    # weekly choices, shape (n, 4): kr, bau, help, explore
    effort: Array = field(init=False)
    weights: Array = field(init=False)
    raise_gain: Array = field(init=False)
    report_gain: Array = field(init=False)
    target_utilities: Array = field(init=False)
    # how hard each works (1 = a normal week); weeks in the seat (< 0: still vacant),
    # and the share of the coming quarter's weeks it is expected to be productive
    intensity: Array = field(init=False)
    tenure_weeks: Array = field(init=False)
    availability: Array = field(init=False)
    # wellbeing and non-OKR work
    stress: Array = field(init=False)
    backlog: Array = field(init=False)
    bau_done: Array = field(init=False)
    planned_intensity: Array = field(init=False)  # planned for the quarter's later weeks
    carry: Array = field(init=False)  # (n, k) output booked into next quarter (< 0: pulled in)
    value_of_time: Array = field(init=False)  # marginal value of a share of this week
    revision_time: Array = field(init=False)  # share of next week a revision asked for takes
    target_set: Array = field(init=False)  # (n, k) targets as set at the quarter's start
    # habits (docs/ODD.md §4.3): the target multiple last offered (NaN: none
    # yet), and whether the weekly choices have been made in this seat before
    last_tau: Array = field(init=False)
    habitual: Array = field(init=False)

    def __post_init__(self) -> None:
        shape = (self.n, self.k)
        self.target = np.ones(shape)
        self.offer = np.ones(shape)
        self.ask = np.ones(shape)
        self.expected = np.ones(shape)
        self.progress = np.zeros(shape)
        self.produced = np.zeros(shape)
        self.reported = np.zeros(shape)
        self.shading = np.zeros(shape)
        self.blocked = np.zeros(shape, dtype=bool)
        self.raised = np.zeros(shape, dtype=bool)
        self.exposed = np.zeros(shape, dtype=bool)
        self.onset_week = np.zeros(shape, dtype=np.int64)
        self.par = np.ones(shape)
        self.reported_status = np.full(shape, metrics.NO_TARGET, dtype=np.int8)
        self.true_status = self.reported_status.copy()
        self.effort = np.full((self.n, len(choices.ACTIVITIES)), 1.0 / len(choices.ACTIVITIES))
        self.weights = np.ones((self.n, len(choices.ACTIVITIES)))
        self.raise_gain = np.zeros(shape)
        self.report_gain = np.zeros(shape)
        self.target_utilities = np.zeros((self.n, choices.TARGET_OFFERS))
        self.intensity = np.ones(self.n)
        self.tenure_weeks = np.full(self.n, 52.0)
        self.availability = np.ones(self.n)
        self.stress = np.zeros(self.n)
        self.backlog = np.zeros(self.n)
        self.bau_done = np.zeros(self.n)
        self.planned_intensity = np.ones(self.n)
        self.carry = np.zeros(shape)
        self.value_of_time = np.zeros(self.n)
        self.revision_time = np.zeros(self.n)
        self.target_set = np.ones(shape)
        self.last_tau = np.full(self.n, np.nan)
        self.habitual = np.zeros(self.n, dtype=bool)

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        behaviour: Behaviour,
        assumptions: Assumptions,
        *,
        n_teams: int,
        team_size: int,
        krs: int,
        blocked_loss_prior: float,
    ) -> Workforce:
        """Draw a workforce: traits once, beliefs at their priors.

        Distributions and sources: docs/ODD.md §2.2 and §5 (capability
        log-normal with mean 1, O'Boyle & Aguinis 2012; present bias for a
        share of people, Meier & Sprenger 2010, β around Augenblick, Niederle &
        Sprenger 2015's; the traits' spreads and the priors are
        ``assumptions``).  The draws are made in a fixed order, the newest
        trait last, so adding a trait leaves the others' draws unchanged.
        """
        n = n_teams * team_size
        b, a = behaviour, assumptions
        capability = lognormal_with_mean(rng, 1.0, b.capability_sd, n)
        knowledge_error = rng.normal(0.0, b.self_knowledge_sd, n)
        perception = portable.exp(rng.normal(0.0, a.perception_share * b.self_knowledge_sd, n))
        risk_aversion = lognormal_with_mean(rng, b.risk_aversion_mean, a.risk_aversion_log_sd, n)
        honesty = lognormal_with_mean(rng, b.honesty_cost_mean, a.honesty_cost_log_sd, n)
        intrinsic = lognormal_with_mean(
            rng, b.intrinsic_motivation_mean, a.intrinsic_motivation_log_sd, n
        )
        prosociality = lognormal_with_mean(rng, b.prosociality_mean, a.prosociality_log_sd, n)
        mum_cost = lognormal_with_mean(rng, b.mum_cost_mean, a.mum_cost_log_sd, n)
        effort_cost = lognormal_with_mean(rng, b.effort_cost_mean, a.effort_cost_log_sd, n)
        # drawn whatever the share, so the draws never shift with it
        biased = rng.random(n) < b.present_biased_share
        beta = lognormal_with_mean(rng, b.present_bias_beta, a.present_bias_log_sd, n)
        present_bias = np.where(biased, np.minimum(beta, 1.0), 1.0)
        return cls(
            n=n,
            k=krs,
            team=np.repeat(np.arange(n_teams), team_size),
            capability=capability,
            perception=perception,
            risk_aversion=risk_aversion,
            honesty_trait=honesty,
            intrinsic=intrinsic,
            prosociality=prosociality,
            mum_cost=mum_cost,
            effort_cost=effort_cost,
            present_bias=present_bias,
            capability_belief=regressive(capability, b.self_assessment_regression)
            * portable.exp(knowledge_error),
            honesty=honesty.copy(),
            audit_belief=np.full(n, behaviour.audit_prior),
            bad_news_belief=np.full(n, behaviour.bad_news_prior),
            ratchet_belief=np.zeros(n),
            kr_plan=np.full(n, a.kr_plan_prior),
            help_belief=np.full(n, a.help_prior),
            blocked_loss_belief=np.full(n, blocked_loss_prior),
            usual_hours=np.ones(n),
            pull_belief=np.zeros(n),
            ask_belief=np.ones(n),
            agree_belief=np.full(n, a.agree_prior),
            coupling_belief=np.full(n, behaviour.coupling_prior),
            credibility=np.full(n, behaviour.credibility_prior),
            rating_evidence=np.zeros((n, EVIDENCE_SIZE)),
            standing_evidence=np.zeros((n, EVIDENCE_SIZE)),
            coupling_anchor=np.full(n, behaviour.coupling_prior),
            bad_news_anchor=np.full(n, behaviour.bad_news_prior),
            unsettled_news=np.zeros(n),
            unsettled_work=np.zeros(n),
            unsettled_quarters=np.zeros(n),
            **rules.initial_state(n, b.initial_attraction),
        )

    @classmethod
    def from_market(cls, rng: np.random.Generator, scenario: Scenario) -> Workforce:
        """One person per seat from the labour market, with the market's priors.

        Used for the founding workforce and for each quarter's candidates.  A
        candidate expects its own offer to stand (pull 0) and an ask of its
        expected output (1; assumptions): what the organisation states of its
        policy, targets included, is heard on arrival
        (:func:`okrsim.model.policy_beliefs.announce`).
        """
        s = scenario
        return cls.draw(
            rng,
            s.behaviour,
            s.assumptions,
            n_teams=s.org.n_teams,
            team_size=s.org.team_size,
            krs=s.okr.krs_per_person,
            # output blockers take when they are raised and cleared at the usual pace
            blocked_loss_prior=s.env.blocker_severity
            * s.env.blocker_rate
            / (s.env.blocker_rate + s.env.raised_resolve_rate + s.judgment.coach_help),
        )

    def weekly_adjustment(self, weekly: float | Array) -> Array:
        """Share of the way each employee's weekly choices move to their best responses:
        ``weekly``, :func:`~okrsim.policies.choices.habit_adjustment` for a choice made
        every week (a number, or each employee's); 1 for one who has not made them in
        its seat yet."""
        return np.where(self.habitual, weekly, 1.0)

    def hire(self, seats: Array, newcomers: Workforce) -> None:
        """Newcomers take the ``seats`` (a boolean mask): their traits, beliefs at priors.

        ``newcomers`` is a workforce drawn from the labour market (the same
        distributions as the organisation's own), one candidate per seat.  The
        seat's key-result state and non-OKR backlog stay with the seat.
        """
        # the person's: every drawn trait and learned belief, how hard and
        # how stressed it comes in, and no habits yet
        personal = [f.name for f in fields(self) if f.init and f.name not in SEAT_FIELDS]
        arriving = ("intensity", "stress", "planned_intensity", "last_tau", "habitual")
        for name in (*personal, *arriving):
            getattr(self, name)[seats] = getattr(newcomers, name)[seats]
