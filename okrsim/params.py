"""The validated, frozen ``Scenario``: every input of a run in one place.

A scenario is the world (``org``, ``env``, ``behaviour``: the uncertainties) plus
the policy (``okr``, ``comp``, ``judgment``, ``schedule``: the levers) plus the
run's ``horizon``, plus the ``assumptions`` the model's rules rest on (more
uncertainties).  One name everywhere: the TOML key ``comp.coupling`` is the
pydantic field ``Scenario.comp.coupling``, the sweep axis, the data column and
the dashboard label's source.

Every override — a CLI flag, a sweep axis, a dashboard control, a scheduled
policy change — goes back through :meth:`Scenario.model_validate`, so no value
can skip its bounds.  The sources of the defaults are in ``docs/ODD.md``.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

WEEKS_PER_QUARTER = 13
#: The least output a key result is expected to yield in a quarter: one who
#: expects to produce nothing (all of its time blocked, none of it up to speed)
#: expects this, so that what is weighed per unit of expected output stays
#: finite (numerical; far below any output the model produces).
LEAST_EXPECTED = 1e-9


#: Largest scenario or experiment file read, in bytes.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of arrays and inline tables, and most parts of one dotted key,
#: in a TOML file or value.  Scenario keys are ``group.field``; an experiment
#: file's axis is ``[axes]`` + ``comp.coupling = {low = 0, high = 1}``.
MAX_TOML_DEPTH = 8
#: Characters of a value an error message quotes before shortening it.
SHOWN_CHARS = 80
#: Characters of a file name an error message gives (a path is named whole).
PATH_CHARS = 4096
#: Most employees (``org.n_teams`` × ``org.team_size``) one organisation may have:
#: a 100,000-employee run of 8 quarters, its records streamed to disk, fits in
#: 2 GB (benchmarks/bench_scale.py).
MAX_EMPLOYEES = 200_000
#: Most expected team-to-team dependencies (``org.n_teams`` × (``org.n_teams`` − 1)
#: × ``org.dependency_density``): the network is drawn edge by edge, so its size,
#: not the number of teams, decides its time and memory; 500 teams at density 1.
MAX_DEPENDENCIES = 250_000
#: Most teams the dashboard's slider offers: a room watches the run live, week
#: by week, which a larger organisation would slow down.
DASHBOARD_MAX_TEAMS = 500


class ScenarioError(ValueError):
    """A scenario (or experiment) file or override that cannot be used.

    The message names the file, the dotted key and what was expected, so a
    command-line front end can print it as it is and exit with code 2.
    """


def shown(value: Any) -> str:
    """``repr(value)`` shortened to :data:`SHOWN_CHARS` characters for an error message.

    A message quotes the offending value so the user can find it, but a 10 MB
    value must not make a 10 MB line.  Booleans, alone or in an array, are
    written as the TOML file wrote them (``true``, not Python's ``True``).
    """
    return _short(_as_written(value))


def _as_written(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return f"[{', '.join(_as_written(v) for v in value)}]"
    return repr(value)


class _Group(BaseModel):
    # strict: an int is accepted where a float is meant (TOML writes ``1`` for
    # 1.0), but never a float for an int, a bool for a number or a string for
    # either; non-finite numbers are refused before any bound is checked.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_negative_zero(cls, value: Any) -> Any:
        """−0.0 is 0: a bound admits it, and arithmetic and comparisons treat it so,
        but a few operations (a random scale, a copysign) would not."""
        return value + 0.0 if isinstance(value, float) and value == 0.0 else value


class Org(_Group):
    """The organisation's shape (an uncertainty, not a lever)."""

    n_teams: int = Field(
        12,
        ge=1,
        le=MAX_EMPLOYEES // 2,
        title="Number of teams",
        description="Number of teams, one manager each",
        json_schema_extra={"dashboard_le": DASHBOARD_MAX_TEAMS},
    )
    team_size: int = Field(
        8, ge=2, le=50, title="People per team", description="Employees per team"
    )
    dependency_density: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        title="How often teams depend on another team",
        description="Chance that a team depends on another (one upstream team is used)",
    )
    shared_kr_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        title="How often dependent teams share a key result",
        description="Chance a dependent team's key result is shared with its upstream team",
    )

    @model_validator(mode="after")
    def _at_most_max_employees(self) -> Self:
        n = self.n_teams * self.team_size
        if n > MAX_EMPLOYEES:
            raise ValueError(
                f"org.n_teams × org.team_size = {self.n_teams} × {self.team_size} = {n} "
                f"employees; at most {MAX_EMPLOYEES} are allowed"
            )
        return self

    @model_validator(mode="after")
    def _dependencies_within_bounds(self) -> Self:
        edges = self.n_teams * (self.n_teams - 1) * self.dependency_density
        if edges > MAX_DEPENDENCIES:
            raise ValueError(
                f"org.dependency_density = {self.dependency_density} with org.n_teams = "
                f"{self.n_teams} gives {edges:.0f} expected dependencies between teams; at most "
                f"{MAX_DEPENDENCIES} are allowed"
            )
        return self


class Okr(_Group):
    """How objectives and key results are set and run (levers)."""

    enabled: bool = Field(
        True, title="Run OKRs at all", description="Whether the organisation runs OKRs at all"
    )
    krs_per_person: int = Field(
        2, ge=1, le=8, title="Key results per person", description="Key results each employee owns"
    )
    switching_cost: float = Field(
        0.08,
        ge=0.0,
        le=0.5,
        title="Output lost juggling several key results",
        description="Output lost per extra key result juggled (focus split)",
    )
    target_rule: Literal["self_set", "negotiated", "assigned", "ratchet"] = Field(
        "self_set",
        title="Who sets targets",
        description="Who sets the quarterly target and how",
    )
    negotiation_pressure: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Manager's pull in target negotiation",
        description="How far a negotiated target moves from the employee's offer to the manager's",
    )
    negotiation_hours: float = Field(
        0.04,
        ge=0.0,
        le=0.3,
        title="Time spent negotiating targets",
        description="Share of the first week spent negotiating each key result's target",
    )
    assigned_stretch: float = Field(
        1.2,
        ge=0.3,
        le=3.0,
        title="Stretch of assigned targets",
        description="Assigned target as a multiple of the manager's estimate of capability",
    )
    ratchet_strength: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="How hard targets ratchet up",
        description="How far the next target moves from one's own to last reported output",
    )
    no_ratchet_commitment: bool = Field(
        False,
        title="Promise not to ratchet targets",
        description="The organisation promises not to raise targets on last quarter's results",
    )
    aspirational_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        title="Share of aspirational key results",
        description="Share of key results that are aspirational (expected ~0.7), not committed",
    )
    aspirational_par: float = Field(
        0.7,
        ge=0.3,
        le=1.0,
        title="Full marks on an aspirational key result",
        description="Attainment that counts as full marks on an aspirational KR",
    )
    revision_allowed: bool = Field(
        False,
        title="Targets may be revised mid-quarter",
        description="Whether targets may be revised mid-quarter",
    )
    status_hours: float = Field(
        0.02,
        ge=0.0,
        le=0.2,
        title="Time spent on status reports",
        description="Share of every week spent on status reporting",
    )
    revision_hours: float = Field(
        0.02,
        ge=0.0,
        le=0.3,
        title="Time spent asking for a revision",
        description="Share of a week spent asking to revise one key result's target "
        "(assumption: under an hour of a 40-hour week)",
    )
    commitment_kept: bool = Field(
        True,
        title="Managers keep the no-ratchet promise",
        description="Managers keep the no-ratchet commitment (if not, they still ratchet)",
    )
    red_pace: float = Field(
        0.7,
        ge=0.1,
        le=0.9,
        title="Pace below which a check-in shows red",
        description="Share of the progress due by now below which a check-in shows red (off "
        "track, bad news); the traffic-light convention, assumption",
    )


class Comp(_Group):
    """How ratings and pay are computed from what the organisation measures (levers)."""

    coupling: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="How much of the rating the OKR score decides",
        description="Share of the rating taken formulaically from OKR attainment",
    )
    bonus_curve: Literal["linear", "step", "floor_cap", "none"] = Field(
        "linear",
        title="Bonus curve",
        description="Shape of the formulaic score as a function of attainment",
    )
    step_threshold: float = Field(
        1.0,
        ge=0.1,
        le=2.0,
        title="Attainment where the step bonus pays",
        description="Attainment at which the step curve pays out",
    )
    floor: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Attainment floor of the bonus",
        description="Attainment below which the floor-and-cap curve pays nothing",
    )
    cap: float = Field(
        1.2,
        ge=1.0,
        le=3.0,
        title="Attainment cap of the bonus",
        description="Attainment above which the linear and floor-and-cap curves stop paying",
    )
    target_credit: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        title="Credit in the formula for the target stated",
        description="Formula score per unit of one's target above the manager's estimate "
        "(0: the score pays for attainment alone)",
    )
    evaluation: Literal["absolute", "relative", "team"] = Field(
        "absolute",
        title="Judged on own, ranked or team result",
        description="Own result, rank among peers, or the team's shared result",
    )
    review_cadence: Literal["quarterly", "annual"] = Field(
        "quarterly",
        title="How often reviews settle pay",
        description="How often ratings and bonuses are settled",
    )
    stated_coupling: float = Field(
        -1.0,
        ge=-1.0,
        le=1.0,
        title="Coupling the company announces",
        description="Coupling the organisation states to its people (-1: the coupling in force)",
    )
    rank_bottom_share: float = Field(
        0.1,
        ge=0.01,
        le=0.5,
        title="Share in the bottom band of a ranking",
        description="Share of a team in a forced distribution's bottom band (Welch 2001's "
        "vitality curve: 10 %)",
    )
    rank_bottom_score: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Score of the bottom band of a ranking",
        description="Score of a forced distribution's bottom band; the middle band scores 1 "
        "(assumption)",
    )
    rank_top_share: float = Field(
        0.2,
        ge=0.01,
        le=0.5,
        title="Share in the top band of a ranking",
        description="Share of a team in a forced distribution's top band (Welch 2001's "
        "vitality curve: 20 %)",
    )
    rank_top_score: float = Field(
        1.25,
        ge=1.0,
        le=3.0,
        title="Score of the top band of a ranking",
        description="Score of a forced distribution's top band; the middle band scores 1 "
        "(assumption)",
    )

    @model_validator(mode="after")
    def _floor_below_cap(self) -> Self:
        if self.floor >= self.cap:
            raise ValueError(f"comp.floor ({self.floor}) must be below comp.cap ({self.cap})")
        return self


class Judgment(_Group):
    """What a manager's judgment values and how well it sees (levers)."""

    contribution_weight: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        title="Manager's weight on real contribution",
        description="Weight on observed true contribution",
    )
    risk_weight: float = Field(
        0.15,
        ge=0.0,
        le=2.0,
        title="Credit for raising blockers",
        description="Credit per blocker raised (rather than hidden)",
    )
    help_weight: float = Field(
        0.25,
        ge=0.0,
        le=2.0,
        title="Credit for helping colleagues",
        description="Credit for helping colleagues",
    )
    ambition_weight: float = Field(
        0.05,
        ge=0.0,
        le=2.0,
        title="Credit for ambitious targets",
        description="Credit for setting ambitious targets",
    )
    failure_tolerance: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        title="Tolerance of missed ambitious targets",
        description="1 = a missed ambitious target costs nothing in judgment; 0 = it costs fully",
    )
    accuracy: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        title="How well managers see real work",
        description="How well the manager sees true contribution (1 = without noise)",
    )
    use_okr_context: bool = Field(
        False,
        title="Managers also read OKR reports",
        description="Whether the manager reads reported OKR results as a second signal of "
        "contribution (weighed by how well they have agreed with what the manager sees)",
    )
    observation_noise: float = Field(
        2.0,
        ge=0.0,
        le=10.0,
        title="Noise in what managers see",
        description="Sd of what a manager sees of a week's contribution at accuracy 0 "
        "(output units per week; scaled by 1 − accuracy)",
    )
    recency: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="Recency bias of managers",
        description="Recency in judgment: the quarter's last week weighs 1 + r, its first 1 − r",
    )
    leniency_sd: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        title="Spread of manager leniency",
        description="Sd across managers of a lasting leniency in judged ratings (rating units)",
    )
    centrality: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        title="Managers' pull towards the average rating",
        description="How far a manager pulls judged ratings towards the team's mean",
    )
    influence_return: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        title="Payoff of making work visible",
        description="Output a manager believes it saw per unit of time spent making work "
        "visible (before saturation); creates no value",
    )
    influence_saturation: float = Field(
        0.05,
        ge=0.01,
        le=1.0,
        title="Point where visibility stops paying",
        description="Share of the week at which visibility work stops registering",
    )
    review_hours: float = Field(
        0.03,
        ge=0.0,
        le=0.2,
        title="Manager time per review",
        description="Share of a manager's time judging each report, taken from coaching "
        "(needed for the judged share of the rating)",
    )
    blocker_penalty: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        title="Penalty for bad news",
        description="Mark per piece of bad news: a raised blocker or a red report (auditor > 0)",
    )
    coach_help: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="Manager help on a raised blocker",
        description="Extra weekly resolution chance a manager adds to a raised blocker",
    )
    audit_probability: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        title="Chance a report is audited",
        description="Chance per week that a report is checked against the truth",
    )
    inflation_penalty: float = Field(
        0.5,
        ge=0.0,
        le=3.0,
        title="Penalty for inflation caught in an audit",
        description="Rating lost per unit of attainment inflation caught",
    )
    audit_tolerance: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        title="Overstatement an audit lets pass",
        description="Overstatement (share of the target) beyond which an audit counts a report "
        "as inflated, corrects and marks it (assumption)",
    )


class Behaviour(_Group):
    """Distributions of the workforce's traits and how agents learn (uncertainties)."""

    capability_sd: float = Field(
        0.25, ge=0.0, le=1.0, title="Spread of capability", description="Log-sd of true capability"
    )
    luck_sd: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        title="Week-to-week luck",
        description="Sd of week-to-week productivity luck",
    )
    self_knowledge_sd: float = Field(
        0.12,
        ge=0.0,
        le=1.0,
        title="How wrong people are about their own capability",
        description="Log-sd of the error in one's own capability estimate",
    )
    progress_noise_sd: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        title="How wrong people are about their own progress",
        description="Log-sd of misjudging one's own progress early in a quarter",
    )
    self_assessment_regression: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="Pull of self-assessment towards average",
        description="How far beliefs about one's own capability are pulled towards the average",
    )
    risk_aversion_mean: float = Field(
        1.5,
        ge=0.0,
        le=10.0,
        title="Average risk aversion",
        description="Mean absolute risk aversion over the rating",
    )
    honesty_cost_mean: float = Field(
        1.2,
        ge=0.0,
        le=20.0,
        title="Average discomfort of misreporting",
        description="Mean psychological cost of a misstatement (per squared unit)",
    )
    target_scrutiny: float = Field(
        4.0,
        ge=0.0,
        le=50.0,
        title="Scrutiny of targets versus check-ins",
        description="Times a misstated target weighs a misstated check-in (it stays in view)",
    )
    intrinsic_motivation_mean: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        title="Average intrinsic motivation",
        description="Mean weight on the true value of one's work",
    )
    prosociality_mean: float = Field(
        0.5,
        ge=0.0,
        le=5.0,
        title="Average wish to help others",
        description="Mean weight on the value one's help creates for others",
    )
    mum_cost_mean: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        title="Average discomfort of giving bad news",
        description="Mean discomfort of delivering bad news (rating units)",
    )
    bad_news_prior: float = Field(
        0.07,
        ge=0.0,
        le=1.0,
        title="Expected penalty for bad news at first",
        description="Mark against one's rating one expects per piece of bad news before seeing any",
    )
    extrinsic_weight: float = Field(
        1.5,
        ge=0.0,
        le=10.0,
        title="Weight on rating versus own motives",
        description="Weight on the rating relative to intrinsic motives",
    )
    goal_pull: float = Field(
        0.6,
        ge=0.0,
        le=5.0,
        title="Pull of a target on effort",
        description="Strength of a target as a reference point for effort",
    )
    loss_aversion: float = Field(
        2.25,
        ge=1.0,
        le=5.0,
        title="Loss aversion about missing a goal",
        description="A shortfall from a goal weighs this many times a gain above it",
    )
    learning_rate: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="How fast people learn the policy",
        description="Weight of a quarter's evidence in updated beliefs",
    )
    imitation_probability: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        title="Chance of copying a better-rated peer",
        description="Chance at each review of copying a better-rated peer's habits",
    )
    effort_cost_mean: float = Field(
        0.17,
        ge=0.01,
        le=100.0,
        title="Average cost of effort",
        description="Mean marginal cost of working a normal week's intensity (rating units)",
    )
    hours_elasticity: float = Field(
        0.5,
        ge=0.0,
        le=3.0,
        title="How much hours respond to incentives",
        description="Elasticity of working intensity to its marginal value",
    )
    max_intensity: float = Field(
        1.3,
        ge=1.0,
        le=2.0,
        title="Most effort without stress",
        description="Most a person can work, as a multiple of a normal week, without stress",
    )
    quit_base_rate: float = Field(
        0.0106,
        ge=0.0,
        le=0.5,
        title="Base quit rate",
        description="Chance per quarter of leaving when paid at one's outside option, unstressed",
    )
    quit_pay_sensitivity: float = Field(
        2.0,
        ge=0.0,
        le=20.0,
        title="How much low pay drives quitting",
        description="Log-odds of leaving per unit of outside option over one's rating",
    )
    quit_stress_sensitivity: float = Field(
        3.0,
        ge=0.0,
        le=20.0,
        title="How much stress drives quitting",
        description="Log-odds of leaving per unit of stress",
    )
    present_biased_share: float = Field(
        0.36,
        ge=0.0,
        le=1.0,
        title="Share of present-biased people",
        description="Share of people with present bias (β < 1) in effort; Meier & Sprenger 2010",
    )
    present_bias_beta: float = Field(
        0.9,
        ge=0.3,
        le=1.0,
        title="Strength of present bias",
        description="Typical β of the present-biased: weight on later costs and rewards "
        "relative to this week's cost; Augenblick, Niederle & Sprenger 2015",
    )
    habit_weeks: float = Field(
        9.4,
        ge=0.0,
        le=104.0,
        title="Weeks to form a habit",
        description=(
            "Weeks for a changed choice to become 95 % habitual (Lally et al. 2010: median"
            " 66 days; 0 = no habit, every choice a best response)"
        ),
    )
    coupling_prior: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Coupling people assume at first",
        description="Share of the rating one expects the OKR score to decide before any statement",
    )
    audit_prior: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        title="Audit chance people assume at first",
        description="Weekly chance of an audit one expects before any statement",
    )
    credibility_prior: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="How far newcomers believe announcements",
        description="Share of the way a newcomer moves its beliefs towards what is stated",
    )
    own_experience_weight: float = Field(
        3.0,
        ge=1.0,
        le=20.0,
        title="Weight of own experience versus a peer's",
        description="Weight of one's own experience relative to one teammate's",
    )
    peer_noise: float = Field(
        0.2,
        ge=0.0,
        le=2.0,
        title="Noise in seeing a peer's rating",
        description="Sd of one's impression of a teammate's rating and work (rating units)",
    )
    decision_rule: Literal["optimise", "learn", "satisfice"] = Field(
        "optimise",
        title="How people decide",
        description="How every decision is made: expected-utility optimisation under beliefs; "
        "learning from realised payoffs (Camerer & Ho 1999); satisficing against an adaptive "
        "aspiration (Simon 1955; Cyert & March 1963)",
    )
    attraction_decay: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        title="Memory of past payoffs (learners)",
        description="EWA's φ: weight of past attractions at each review under learn; "
        "Camerer & Ho 1999 (estimates around 0.9)",
    )
    foregone_weight: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        title="Weight of payoffs not taken (learners)",
        description="EWA's δ: weight of the payoff one would have had with a teammate's option "
        "one did not choose (one's own, with the teammate's seen rating) under learn; "
        "Camerer & Ho 1999 (estimates around 0.3-0.5)",
    )
    choice_sensitivity: float = Field(
        5.0,
        ge=0.0,
        le=100.0,
        title="How sharply learners pick the best option",
        description="Logit λ: sensitivity of choice to attractions under learn, per rating "
        "unit of payoff (assumption)",
    )
    initial_attraction: float = Field(
        0.0,
        ge=-10.0,
        le=10.0,
        title="Learners' starting view of each option",
        description="Attraction of every option before any experience under learn, rating "
        "units relative to the reference point; an option neither chosen nor seen keeps it "
        "(assumption: 0, as good as usual, equal so first choices are uniform)",
    )
    aspiration_speed: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="How fast aspirations adapt",
        description="Share of the way the reference point (a satisficer's aspiration, a "
        "learner's reference) moves to the period's payoff at each settled review (Cyert & "
        "March 1963's adaptive aspiration, Erev & Roth 1998; the value is an assumption)",
    )
    search_size: int = Field(
        1,
        ge=1,
        le=4,
        title="How far satisficers search",
        description="Most menu steps a satisficer's search moves the one decision it moves, "
        "within the menu (assumption: local search to a neighbouring option; Cyert & March "
        "1963)",
    )


class Env(_Group):
    """The work and its shocks (uncertainties)."""

    blocker_rate: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        title="How often blockers appear",
        description="Chance per key result per week that a blocker appears",
    )
    blocker_severity: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        title="How much a blocker stops",
        description="Share of a key result's output a blocker stops",
    )
    self_resolve_rate: float = Field(
        0.12,
        ge=0.01,
        le=1.0,
        title="Chance a hidden blocker clears itself",
        description="Weekly chance a hidden blocker clears by itself",
    )
    raised_resolve_rate: float = Field(
        0.35,
        ge=0.01,
        le=1.0,
        title="Chance a raised blocker clears",
        description="Weekly chance a raised blocker clears",
    )
    bau_demand: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        title="Business-as-usual work needed",
        description="Non-OKR work needed per employee-week (capability units)",
    )
    bau_value: float = Field(
        1.2,
        ge=0.0,
        le=5.0,
        title="Value of business-as-usual work",
        description="Value of a unit of non-OKR work done",
    )
    incident_cost: float = Field(
        0.5,
        ge=0.0,
        le=5.0,
        title="Cost of neglected work (incidents)",
        description="Value lost per week per unit of neglected non-OKR backlog",
    )
    backlog_decay: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        title="Neglected work that clears itself",
        description="Share of the non-OKR backlog that clears itself per week",
    )
    help_value: float = Field(
        1.6,
        ge=0.0,
        le=5.0,
        title="Value of help to a colleague",
        description="Value of a unit of help to the colleague who gets it",
    )
    help_saturation: float = Field(
        0.15,
        ge=0.01,
        le=1.0,
        title="Point where more help adds little",
        description="Scale at which the value of help received saturates",
    )
    breakthrough_rate: float = Field(
        0.12,
        ge=0.0,
        le=1.0,
        title="Chance of a breakthrough from exploring",
        description="Weekly breakthrough chance at saturated exploration",
    )
    breakthrough_value: float = Field(
        6.0,
        ge=0.0,
        le=100.0,
        title="Value of a breakthrough",
        description="Value of an exploration breakthrough",
    )
    exploration_scale: float = Field(
        0.1,
        ge=0.01,
        le=1.0,
        title="Point where exploration runs out of ideas",
        description="Exploration share of the week at which new ideas start running out",
    )
    capability_growth: float = Field(
        0.02,
        ge=0.0,
        le=0.5,
        title="Skill gained by exploring",
        description="Capability gained per quarter of full-time exploration",
    )
    pressure_erosion: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        title="Skill lost to stress",
        description="Capability lost per quarter at full stress",
    )
    alignment: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        title="Value of work aimed at the strategy",
        description="Strategic value of goal-directed work aimed exactly at the strategy",
    )
    priority_drift: float = Field(
        0.3,
        ge=0.0,
        le=2.0,
        title="Drift in what teams think matters",
        description="Sd per quarter of the drift in each team's estimate of what matters",
    )
    strategy_visibility: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        title="How well teams see the strategy",
        description="Share of a team's priority error corrected per quarter without shared "
        "objectives",
    )
    okr_visibility: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Extra clarity from shared OKRs",
        description="Further share corrected per quarter when shared OKRs make priorities visible",
    )
    stress_error: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        title="Output lost to stress errors",
        description="Share of output lost to errors and rework at full stress",
    )
    stress_capacity: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Overtime lost at full stress",
        description="Share of the intensity above a normal week lost at full stress",
    )
    vacancy_weeks: int = Field(
        6,
        ge=0,
        le=26,
        title="Weeks a seat stays empty",
        description="Weeks a leaver's seat stays empty before the hire starts",
    )
    ramp_weeks: int = Field(
        13,
        ge=1,
        le=52,
        title="Weeks for a newcomer to ramp up",
        description="Weeks a newcomer takes to reach full productivity (from half)",
    )
    shock_quarter: int = Field(
        0,
        ge=0,
        le=200,
        title="Quarter of a market shock",
        description="Quarter of a market shock (0 = none)",
    )
    shock_size: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        title="Size of a market shock",
        description="Share of output a market shock removes for its quarter",
    )
    booking_loss: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        title="Value lost by booking work in another quarter",
        description="Share of its value output loses when booked in another quarter "
        "than it is produced in (assumption)",
    )
    booking_bound: float = Field(
        0.1,
        ge=0.0,
        le=0.5,
        title="Most work booked across a quarter end",
        description="Most output a key result can book across a quarter's end, as a share "
        "of its quarter's expected output (assumption)",
    )


class Horizon(_Group):
    """How long a run lasts."""

    quarters: int = Field(
        8,
        ge=1,
        le=200,
        title="Quarters to simulate",
        description="Quarters simulated (13 weeks each)",
    )


class Assumptions(_Group):
    """Numbers the model's rules rest on that no study pins down (uncertainties).

    Each was a constant in the code; as a field it can be swept like any other
    uncertainty.  The defaults are the values the rules always used; sources
    and reasons are in docs/ODD.md §9.
    """

    risk_aversion_log_sd: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        title="Spread of risk aversion",
        description="Log-sd of risk aversion across people (assumption)",
    )
    honesty_cost_log_sd: float = Field(
        0.8,
        ge=0.0,
        le=2.0,
        title="Spread of honesty cost",
        description="Log-sd of the honesty cost across people (assumption)",
    )
    intrinsic_motivation_log_sd: float = Field(
        0.4,
        ge=0.0,
        le=2.0,
        title="Spread of intrinsic motivation",
        description="Log-sd of intrinsic motivation across people (assumption)",
    )
    prosociality_log_sd: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        title="Spread of the wish to help",
        description="Log-sd of prosociality across people (assumption)",
    )
    mum_cost_log_sd: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        title="Spread of discomfort with bad news",
        description="Log-sd of the discomfort of delivering bad news across people (assumption)",
    )
    effort_cost_log_sd: float = Field(
        0.3,
        ge=0.0,
        le=2.0,
        title="Spread of the cost of effort",
        description="Log-sd of the cost of effort across people (assumption)",
    )
    present_bias_log_sd: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        title="Spread of present bias",
        description="Log-sd of β around behaviour.present_bias_beta among the present-biased "
        "(assumption)",
    )
    perception_share: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        title="Lasting misperception of own progress",
        description="Log-sd of one's lasting misperception of one's own progress, as a share of "
        "behaviour.self_knowledge_sd (assumption)",
    )
    kr_plan_prior: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        title="Planned time on key results at first",
        description="Planned key-result share of the hours before any history; also the "
        "manager's estimate's (assumption)",
    )
    help_prior: float = Field(
        0.1,
        ge=0.0,
        le=2.0,
        title="Help people expect at first",
        description="Help one expects to receive per week before any history "
        "(output units; assumption)",
    )
    agree_prior: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Expected chance a revision is granted",
        description="Believed chance a manager agrees to a revision before any is seen "
        "(assumption: even odds, uninformed)",
    )
    goal_reach: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="How far short a goal still pulls",
        description="How far below a goal (share of the target) a shortfall still pulls effort "
        "and report (calibrated, docs/ODD.md §10; Locke & Latham 2002, directional)",
    )
    intensity_floor: float = Field(
        0.5,
        ge=0.1,
        le=1.0,
        title="Least effort of a working week",
        description="Least intensity, as a share of a normal week: one is present for the "
        "contracted week (assumption)",
    )
    stress_memory: float = Field(
        0.92,
        ge=0.0,
        le=0.99,
        title="How long stress lingers",
        description="Weekly carry-over of stress, an exponential average over about "
        "1/(1 − m) weeks (assumption: about 12)",
    )
    ramp_start: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        title="Newcomer's first-week productivity",
        description="A newcomer's productivity in its first week, as a share of full; it "
        "reaches full over env.ramp_weeks (assumption)",
    )
    manager_estimate_noise: float = Field(
        0.3,
        ge=0.0,
        le=2.0,
        title="Noise in managers' estimates of capability",
        description="Log-sd of a manager's estimate of a report's capability at accuracy 0 "
        "(scaled by 1 − judgment.accuracy; assumption)",
    )
    blocker_spread: float = Field(
        3.0,
        ge=0.0,
        le=10.0,
        title="Blockers' share of output uncertainty",
        description="Blockers' term in one's relative uncertainty about a quarter's output, "
        "× severity·√(rate·weeks)/weeks (assumption)",
    )
    capability_evidence_weeks: float = Field(
        0.5,
        ge=0.0,
        le=13.0,
        title="Effort needed to learn own capability",
        description="Key-result effort in a quarter (week-equivalents) below which one does "
        "not update the belief of one's own capability (assumption)",
    )
    statement_far: float = Field(
        0.5,
        ge=0.05,
        le=1.0,
        title="Gap at which an announcement is ignored",
        description="Distance between a statement and what is seen at which the statement is "
        "judged as good as none (assumption: half the range of a share)",
    )
    edge_uncertainty: float = Field(
        0.5,
        ge=0.0,
        le=3.0,
        title="Blur of ranking band edges",
        description="Blur of a forced distribution's band edges as weighed by an employee, "
        "× the peers' spread of attainment (assumption)",
    )
    value_scale_prior: float = Field(
        1.2,
        ge=0.01,
        le=10.0,
        title="Typical contribution assumed at first",
        description="Contribution per employee-week everyone takes as typical before the first "
        "review (value units; assumption)",
    )
    help_scale_prior: float = Field(
        0.1,
        ge=0.01,
        le=2.0,
        title="Typical help assumed at first",
        description="Help given per employee-week everyone takes as typical before the first "
        "review (output units; assumption)",
    )
    peer_attainment_sd_prior: float = Field(
        0.15,
        ge=0.02,
        le=2.0,
        title="Peers' attainment spread assumed at first",
        description="Spread of peers' attainment a forced ranking is weighed against before "
        "the first review (assumption)",
    )
    max_shading_down: float = Field(
        0.2,
        ge=0.0,
        le=0.5,
        title="Largest understatement weighed",
        description="Largest understatement of progress one weighs in a report, in units of "
        "on-pace progress (assumption)",
    )
    max_shading_up: float = Field(
        0.5,
        ge=0.05,
        le=1.0,
        title="Largest overstatement weighed",
        description="Largest overstatement of progress one weighs in a report, in units of "
        "on-pace progress (assumption)",
    )
    min_target_offer: float = Field(
        0.5,
        ge=0.05,
        le=0.95,
        title="Lowest target offer weighed",
        description="Lowest target one weighs offering, as a multiple of one's expected output "
        "(bounds the sandbagging index at 1 − it; assumption)",
    )
    max_target_offer: float = Field(
        1.6,
        ge=1.05,
        le=5.0,
        title="Highest target offer weighed",
        description="Highest target one weighs offering, as a multiple of one's expected output "
        "(assumption)",
    )
    rule_offer_spread: float = Field(
        0.4,
        ge=0.05,
        le=0.9,
        title="Range of target offers (learners, satisficers)",
        description="Under behaviour.decision_rule learn or satisfice: the target offers on the "
        "menu run from 1 − this to 1 + this times one's expected output, in five even steps "
        "(assumption: wider than the optimiser's offers in coupled runs)",
    )
    rule_intensity_spread: float = Field(
        0.2,
        ge=0.0,
        le=0.5,
        title="Range of effort levels (learners, satisficers)",
        description="Under learn or satisfice: the intensities on the menu run from 1 − this to "
        "1 + this times a normal week, in five even steps (assumption)",
    )
    rule_kr_share_spread: float = Field(
        0.2,
        ge=0.0,
        le=0.5,
        title="Range of key-result time (learners, satisficers)",
        description="Under learn or satisfice: the key-result shares of the hours on the menu run "
        "this far either side of assumptions.kr_plan_prior, in five even steps, within 0 to 1 "
        "(assumption)",
    )
    rule_side_lean: float = Field(
        0.55,
        ge=0.25,
        le=1.0,
        title="Lean of the other hours (learners, satisficers)",
        description="Under learn or satisfice: a split of the other hours that leans on one "
        "activity gives it this share and the other three equal parts of the rest; one option "
        "splits them evenly (assumption)",
    )
    rule_shading_spread: float = Field(
        0.4,
        ge=0.05,
        le=1.0,
        title="Range of report shadings (learners, satisficers)",
        description="Under learn or satisfice: the report shadings on the menu run from − this "
        "to + this (units of on-pace progress), in five even steps (assumption: wider than the "
        "optimiser's shadings in coupled runs)",
    )
    rule_booking_spread: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        title="Range of bookings (learners, satisficers)",
        description="Under learn or satisfice: the bookings on the menu run from pulling in to "
        "holding back this share of what can be moved (env.booking_bound), in five even steps "
        "(assumption)",
    )


#: What a schedule cannot change: the organisation's shape, its people, the
#: model's assumptions and the run.
FIXED_GROUPS = frozenset({"schedule", "horizon", "org", "behaviour", "assumptions"})
FIXED_KEYS = frozenset({"okr.krs_per_person", "okr.aspirational_share"})


class ScheduledChange(_Group):
    """A policy change taking effect at the start of a quarter."""

    quarter: int = Field(
        ge=1,
        le=200,
        title="Quarter the change starts",
        description="Quarter (1-based) from which the change holds",
    )
    set: dict[str, Any] = Field(
        title="Settings that change", description="Dotted scenario keys and their new values"
    )


class Scenario(_Group):
    """Everything one run needs. Frozen; overrides go back through validation."""

    org: Org = Org()
    okr: Okr = Okr()
    comp: Comp = Comp()
    judgment: Judgment = Judgment()
    behaviour: Behaviour = Behaviour()
    env: Env = Env()
    horizon: Horizon = Horizon()
    assumptions: Assumptions = Assumptions()
    schedule: tuple[ScheduledChange, ...] = Field(
        (),
        strict=False,  # TOML gives a list; each change inside is still strict
        title="Scheduled policy changes",
        description="Policy changes over time, applied at the start of their quarter",
    )

    @property
    def last_change(self) -> int | None:
        """The quarter from which the last scheduled change within the horizon holds."""
        quarters = [c.quarter for c in self.schedule if c.quarter <= self.horizon.quarters]
        return max(quarters) if quarters else None

    @model_validator(mode="after")
    def _shock_within_horizon(self) -> Self:
        if self.env.shock_quarter > self.horizon.quarters:
            raise ValueError(
                f"env.shock_quarter = {self.env.shock_quarter} is beyond horizon.quarters "
                f"= {self.horizon.quarters}"
            )
        return self

    @model_validator(mode="after")
    def _schedule_is_valid(self) -> Self:
        """Validate the schedule as the sequence of scenarios it produces.

        Each change is applied on top of the ones before it, in the order
        :meth:`at_quarter` applies them, and the scenario in force from that
        quarter on must be valid: ``comp.floor = 1.0`` at quarter 2 and
        ``comp.cap = 1.0`` at quarter 3 are each fine alone but not together.
        """
        for i, change in enumerate(self.schedule):
            where = f"schedule[{i}]"
            if change.quarter > self.horizon.quarters:
                raise ValueError(
                    f"{where}.quarter = {change.quarter} is beyond horizon.quarters "
                    f"= {self.horizon.quarters}"
                )
            for key in change.set:
                if key.split(".", 1)[0] in FIXED_GROUPS or key in FIXED_KEYS:
                    raise ValueError(
                        f"{where}.set: {shown(key)} cannot change mid-run (the organisation's "
                        "shape, its people and the model's assumptions are fixed; other okr, "
                        "comp, judgment and env keys can)"
                    )
                if not _is_field(key):
                    raise ValueError(f"{where}.set: unknown key {shown(key)}")
        # The scenario in force from each change on (checked without the
        # schedule, which would otherwise validate itself again).
        in_force = self.model_dump(mode="python", exclude={"schedule"})
        order = sorted(range(len(self.schedule)), key=lambda i: self.schedule[i].quarter)
        for i in order:
            change = self.schedule[i]
            for key, value in change.set.items():
                set_dotted(in_force, key, value)
            try:
                type(self).model_validate(in_force)
            except ValidationError as exc:
                raise ValueError(
                    f"schedule[{i}].set (in force from quarter {change.quarter}): "
                    + describe_validation_error(exc, "").removeprefix(": ")
                ) from None
        return self

    # -- construction ---------------------------------------------------
    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Load a scenario file; keys it does not set keep their defaults.

        Raises
        ------
        ScenarioError
            Naming the file, the dotted key and what was expected.
        """
        return cls.from_mapping(read_toml(path), source=str(path))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<scenario>") -> Scenario:
        """Validate a nested mapping (as read from TOML) into a scenario."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ScenarioError(describe_validation_error(exc, source)) from None

    def with_overrides(
        self, overrides: Mapping[str, Any], *, source: str = "<override>"
    ) -> Scenario:
        """A new scenario with dotted keys replaced, validated like a file.

        ``scenario.with_overrides({"comp.coupling": 0.8})``
        """
        data = self.model_dump(mode="python")
        for key, value in overrides.items():
            if not _is_field(key):
                raise ScenarioError(f"{source}: unknown key {shown(key)}")
            set_dotted(data, key, value)
        return type(self).from_mapping(data, source=source)

    # -- views ----------------------------------------------------------
    @property
    def n_employees(self) -> int:
        return self.org.n_teams * self.org.team_size

    def flat(self) -> dict[str, Any]:
        """The scalar fields as ``{"comp.coupling": 0.3, ...}`` (schedule left out)."""
        return dict(_flatten(self.model_dump(mode="json", exclude={"schedule"})))

    def at_quarter(self, quarter: int) -> Scenario:
        """The scenario in force during ``quarter`` (1-based), schedule applied."""
        current = self
        for change in sorted(self.schedule, key=lambda c: c.quarter):
            if change.quarter <= quarter:
                current = current.with_overrides(change.set, source=f"schedule@{change.quarter}")
        return current


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file within bounds, turning every problem into ScenarioError.

    Only a regular file of at most :data:`MAX_FILE_BYTES` is read (a FIFO
    would block forever, ``/dev/zero`` never ends), it must be UTF-8, and its
    nesting and dotted keys are bounded (:func:`check_toml_shape`) before
    :mod:`tomllib` sees it.
    """
    # the name as error messages give it: whole, unless no file system allows it
    p = _short(str(path), PATH_CHARS)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ScenarioError(f"{p}: file not found") from None
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot open: {exc.strerror}") from None
    except ValueError:  # a NUL byte in the name
        raise ScenarioError(f"{shown(str(path))}: not a usable file name") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise ScenarioError(f"{p}: is a directory, expected a TOML file")
        raise ScenarioError(
            f"{p}: not a regular file (a FIFO, device or socket); expected a TOML file"
        )
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ScenarioError(f"{p}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"{p}: larger than {MAX_FILE_BYTES:,} bytes; a scenario or experiment file is "
            "a few kilobytes of TOML"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            f"{p}: line {line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); TOML files are UTF-8"
        ) from None
    return loads_toml(text, p)


def name_exists(path: str | Path) -> bool:
    """Whether ``path`` names something; ``False`` for names no file can have.

    :meth:`Path.exists` raises for a name too long for the file system or
    with a NUL byte; for input checks those simply name nothing.
    """
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def loads_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text from ``source`` (a file or a flag), or raise ScenarioError."""
    check_toml_shape(text, source)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: malformed TOML: {exc}") from None
    except ValueError as exc:  # an integer too long to convert (CPython's digit limit)
        raise ScenarioError(f"{source}: malformed TOML: {str(exc).split(':')[0]}") from None
    except RecursionError:  # check_toml_shape bounds the nesting first; this is a backstop
        raise ScenarioError(f"{source}: nested deeper than {MAX_TOML_DEPTH} levels") from None


#: Where the shape scan stops: string and comment openers, brackets, key syntax.
_TOML_SPECIAL = re.compile(r"""\"\"\"|'''|["'#\[\]{}=,.\n]""")
#: The rest of a string after its opening quote(s), closing quote(s) included.
#: Written as unrolled loops with possessive repeats, so a 1 MB string is
#: matched in linear time and constant memory.
_STRING_REST = {
    '"""': re.compile(r'[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""', re.DOTALL),
    "'''": re.compile(r"[^']*+(?:'(?!'')[^']*+)*+'''"),
    '"': re.compile(r'[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'),
    "'": re.compile(r"[^'\n]*+'"),
}


def check_toml_shape(text: str, source: str) -> None:
    """Refuse TOML nested deeper, or with dotted keys longer, than :data:`MAX_TOML_DEPTH`.

    :mod:`tomllib` recurses once per nested array or inline table (1,000
    levels end in ``RecursionError``) and keeps every prefix of a dotted key
    (a 50,000-part key takes gigabytes), so both are bounded by a linear scan
    first.  The scan follows strings, comments, brackets and whether it is in
    a key or a value; the syntax itself is left to tomllib.
    """
    stack: list[str] = []  # open "[" (array) and "{" (inline table) of values
    in_key = True  # at a line start, in a table header, or after "{" or "," in an inline table
    parts = 1
    pos = 0
    while match := _TOML_SPECIAL.search(text, pos):
        token, pos = match.group(), match.end()
        if token in _STRING_REST:
            rest = _STRING_REST[token].match(text, pos)
            pos = rest.end() if rest else len(text)
        elif token == "#":
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline
        elif token == "." and in_key:
            parts += 1
            if parts > MAX_TOML_DEPTH:
                raise ScenarioError(
                    f"{source}: line {_line(text, pos)}: a dotted key of more than "
                    f"{MAX_TOML_DEPTH} parts; scenario keys are group.field"
                )
        elif token == "=" and in_key and (not stack or stack[-1] == "{"):
            in_key, parts = False, 1
        elif token in "[{" and not in_key:
            stack.append(token)
            if len(stack) > MAX_TOML_DEPTH:
                raise ScenarioError(
                    f"{source}: line {_line(text, pos)}: arrays or inline tables nested deeper "
                    f"than {MAX_TOML_DEPTH} levels"
                )
            in_key = token == "{"
        elif token in "]}" and stack:
            stack.pop()
            in_key = False
        elif (token == "," and stack and stack[-1] == "{") or (token == "\n" and not stack):
            in_key, parts = True, 1  # the next key of an inline table or of the file


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def describe_validation_error(exc: ValidationError, source: str, *, prefix: str = "") -> str:
    """One line per problem: ``file: key = value is out of range [lo, hi]``.

    A scenario key's range comes from its field; any other model's bound (an
    experiment file's, say) is said as ``must be ≥ lo`` or ``must be ≤ hi``.
    ``prefix`` is put before every key (``axes.comp.coupling.``).  Keys and
    values are quoted shortened to :data:`SHOWN_CHARS` characters.
    """
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        key = _short(prefix + ".".join(loc) if loc else prefix.rstrip(".") or "(top level)")
        ctx = err.get("ctx") or {}
        value = shown(err.get("input"))
        kind = err["type"]
        lo, hi = (None, None) if prefix else _bounds_of(err["loc"])
        if kind == "extra_forbidden":
            lines.append(f"{source}: unknown key '{key}'")
        elif kind in _BOUND_ERRORS and lo is not None and hi is not None:
            lines.append(f"{source}: {key} = {value} is out of range [{lo}, {hi}]")
        elif kind in {"greater_than_equal", "greater_than"}:
            lines.append(f"{source}: {key} = {value} must be ≥ {ctx.get('ge', ctx.get('gt'))}")
        elif kind in {"less_than_equal", "less_than"}:
            lines.append(f"{source}: {key} = {value} must be ≤ {ctx.get('le', ctx.get('lt'))}")
        elif kind == "literal_error":
            lines.append(f"{source}: {key} = {value} is not one of {ctx.get('expected', '?')}")
        elif kind == "missing":
            lines.append(f"{source}: {key} is required")
        elif kind == "value_error":
            lines.append(f"{source}: {err['msg'].removeprefix('Value error, ')}")
        elif kind == "string_pattern_mismatch":
            lines.append(
                f"{source}: {key} = {value} may only hold letters, digits, '_', '-' and '.'"
            )
        elif kind in _TYPE_EXPECTED:
            lines.append(f"{source}: {key} = {value} {_TYPE_EXPECTED[kind]}")
        else:
            lines.append(f"{source}: {key} = {value}: {_short(err['msg'].lower())}")
    return "\n".join(lines)


#: What a strict type error expected, said the way a TOML file would write it.
_TYPE_EXPECTED = {
    "int_type": "must be a whole number such as 12 (not 12.0, true or a string)",
    "float_type": "must be a number such as 0.5 or 1 (not true or a string)",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "finite_number": "must be a finite number (not inf or nan)",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
}


def _short(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters (a key or message in an error line)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_BOUND_ERRORS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def field_info(dotted: str) -> Any:
    """The pydantic ``FieldInfo`` behind a dotted key (bounds, description)."""
    group, _, name = dotted.partition(".")
    model = Scenario.model_fields[group].annotation
    return model.model_fields[name]  # type: ignore[union-attr]


def bounds(dotted: str) -> tuple[float | None, float | None]:
    """``(ge, le)`` of a numeric field, read from its metadata."""
    lo = hi = None
    for meta in field_info(dotted).metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    return lo, hi


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    group, _, name = key.partition(".")
    data.setdefault(group, {})[name] = value


def _bounds_of(loc: tuple[Any, ...]) -> tuple[float | None, float | None]:
    try:
        return bounds(".".join(str(p) for p in loc[:2]))
    except (KeyError, AttributeError):
        return (None, None)


def _is_field(dotted: str) -> bool:
    group, _, name = dotted.partition(".")
    info = Scenario.model_fields.get(group)
    annotation = getattr(info, "annotation", None)
    fields = getattr(annotation, "model_fields", None)
    return bool(name) and fields is not None and name in fields


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
