"""A quarter's end in the order of docs/ODD.md §3, for any :class:`QuarterState`.

:func:`review` scores, judges and rates the quarter and decides who leaves;
:func:`renew` then has everyone learn from it — beliefs, decision rules,
imitation, development — seats the newcomers and refreshes the public
figures.  The run records the quarter between the two (its records are its
own), and draws the quarter's random numbers before them, from its own
streams (:class:`QuarterDraws`).  A state is one organisation (an
``OKRModel``) or a cohort of runs stepped together, their arrays end to end
(:mod:`okrsim.model.ensemble`): every organisation-wide figure is each
organisation's own (``Organisation.overall``).

docs/ODD.md §3 (process overview and scheduling).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

import numpy as np

from okrsim.model import (
    decision_rules,
    development,
    learning,
    policy_beliefs,
    quarter_review,
    turnover,
)
from okrsim.model.in_force import InForce
from okrsim.model.organisation import Organisation, PublicFigures
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import Scenario
from okrsim.policies.curves import Array


class QuarterDraws(NamedTuple):
    """A quarter's end's random numbers, in fixed shapes whatever anyone chooses."""

    seen_noise: Array  # (n,) standard normals: the manager's observation noise (audit)
    quit_u: Array  # (n,) uniforms against each one's chance of leaving (labour)
    newcomers: Workforce  # a candidate per seat from the labour market (labour)
    peer_noise: Array  # (2, n, team size) standard normals: ratings and work seen (beliefs)
    team_noise: Array  # (2, teams) standard normals: teams' rating, work heard (standing)
    imitate_u: Array  # (n,) uniforms: who looks at a teammate (decisions)
    imitate_offset: Array  # (n,) which teammate, 1 to team size − 1 places on (decisions)

    @classmethod
    def draw(
        cls, streams: Mapping[str, np.random.Generator], scenario: Scenario, team_size: int
    ) -> QuarterDraws:
        """The draws from a run's named streams, each stream in the order it always had."""
        n = scenario.org.n_teams * scenario.org.team_size
        labour, decisions = streams["labour"], streams["decisions"]
        return cls(
            seen_noise=streams["audit"].standard_normal(n),
            quit_u=labour.random(n),
            newcomers=Workforce.from_market(labour, scenario),
            peer_noise=streams["beliefs"].standard_normal((2, n, team_size)),
            team_noise=streams["standing"].standard_normal((2, scenario.org.n_teams)),
            imitate_u=decisions.random(n),
            imitate_offset=decisions.integers(1, team_size, n),
        )


class QuarterState(Protocol):
    """What a quarter's end reads and writes."""

    workforce: Workforce
    org: Organisation
    policy: InForce
    public: PublicFigures
    tally: Tally
    year: quarter_review.YearBook
    manager_view: Array
    leniency: Array  # each manager's lasting leniency, per team
    last_reported: Array | None  # the reported output the ratchet reads
    rule_draws: decision_rules.RuleDraws
    statement: policy_beliefs.Statement | None
    n_quarters: int

    @property
    def quarter(self) -> int: ...


def review(state: QuarterState, draws: QuarterDraws) -> tuple[quarter_review.Review, Array]:
    """The quarter's review, and who leaves at it."""
    wf, org, policy = state.workforce, state.org, state.policy
    done = quarter_review.review(
        wf,
        org,
        policy,
        state.tally,
        state.year,
        manager_view=state.manager_view,
        leniency=state.leniency,
        seen_noise=draws.seen_noise,
        quarter=state.quarter,
        n_quarters=state.n_quarters,
    )
    left = turnover.decide_quits(wf, org, policy, done.ratings, quit_u=draws.quit_u)
    return done, left


def renew(
    state: QuarterState, review: quarter_review.Review, left: Array, draws: QuarterDraws
) -> None:
    """Learning, imitation, development, hiring and the public figures, after the records."""
    wf, org, policy, tally = state.workforce, state.org, state.policy, state.tally
    seen = learning.learn(wf, org, policy, tally, last_reported=state.last_reported)
    decision_rules.update(
        wf, org, policy, tally, state.public, review.ratings, state.rule_draws, review.settled
    )
    policy_beliefs.learn(
        wf,
        org,
        policy,
        tally,
        review,
        seen,
        peer_noise=draws.peer_noise,
        team_noise=draws.team_noise,
    )
    # Ratchet: the organisation keeps last quarter's reported output for the rule.
    last_reported = state.last_reported = wf.reported.copy()
    learning.imitate(
        wf,
        org,
        policy,
        review.ratings,
        settled=review.settled,
        imitate_u=draws.imitate_u,
        offset=draws.imitate_offset,
    )
    development.develop(wf, policy, tally)
    turnover.hire(wf, policy, left, draws.newcomers)
    stated = policy_beliefs.Statement.in_force(policy)
    policy_beliefs.announce(wf, stated, state.statement, seats=left)
    # the newcomer brings no report to ratchet on and no record to settle
    last_reported[left] = np.nan
    state.year.forget(left, org)
    quarter_review.refresh_public_figures(
        state.public, review, tally, org, okrs_enabled=policy.scenario.okr.enabled
    )
