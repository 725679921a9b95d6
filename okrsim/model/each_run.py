"""The scenario values the runs of one cohort may differ in, and how each reaches the model.

Runs stepped together (:mod:`okrsim.model.ensemble`) form a cohort where
their policies in force are one but for these values; each kind below
reaches the model by a road on which every employee computes with its own
run's number, so each run's results stay bit-identical to its run alone.

docs/ODD.md §3 (process overview and scheduling: runs stepped together).
"""

from __future__ import annotations

#: Values that reach the model only through a decision rule's menus of options
#: (:func:`~okrsim.policies.rules.menu`) and splits of the hours not on key
#: results (:func:`~okrsim.policies.rules.side_splits`), and, for the plan's
#: prior, where people are drawn: a cohort whose runs differ in them keeps each
#: run's menus, and each employee reads its run's
#: (:meth:`~okrsim.model.in_force.InForce.option_values`).
MENU_KEYS = (
    *("assumptions.rule_offer_spread", "assumptions.rule_intensity_spread"),
    *("assumptions.rule_kr_share_spread", "assumptions.kr_plan_prior"),
    *("assumptions.rule_shading_spread", "assumptions.rule_booking_spread"),
    "assumptions.rule_side_lean",
)
#: Judgment's weights the payoff holds (scenario key → :class:`~okrsim.policies.choices.Payoff`
#: field): a cohort whose runs differ in them holds each employee's run's, (n, 1),
#: which the choices weigh element by element and the review reads per employee
#: (:meth:`~okrsim.policies.choices.Payoff.each`).
JUDGMENT_WEIGHTS = {
    "judgment.help_weight": "help_weight",
    "judgment.ambition_weight": "ambition_weight",
    "judgment.failure_tolerance": "failure_tolerance",
    "judgment.inflation_penalty": "inflation_penalty",
    "judgment.centrality": "centrality",
}
#: What a manager's coaching is worked out from (:meth:`~.in_force.InForce.coaching_at`).
COACHING_KEYS = ("judgment.coach_help", "judgment.review_hours")
#: The clearing of blockers, raised or not: read per employee where they clear and
#: where a raise is weighed (a blocker left alone clears in expected weeks worked
#: out once a run from its own numbers, as alone: :meth:`~.in_force.InForce.per_run`).
CLEARING_KEYS = ("env.self_resolve_rate", "env.raised_resolve_rate", *COACHING_KEYS)
#: What one's relative uncertainty about a quarter's output is made of, in the
#: order :func:`~okrsim.model.outlook.relative_sd` takes them: a number worked out
#: once a run from its own values, as alone (:func:`~okrsim.model.outlook.policy_sd`).
SPREAD_KEYS = (
    *("behaviour.luck_sd", "behaviour.self_knowledge_sd"),
    *("env.blocker_severity", "env.blocker_rate", "assumptions.blocker_spread"),
)
#: What a team's drift in what it aims at is made of: the two visibilities, then
#: the drift's size (:func:`~okrsim.model.alignment.drift`).
DRIFT_KEYS = ("env.strategy_visibility", "env.okr_visibility", "env.priority_drift")
#: Scenario values the runs of one cohort may differ in (:mod:`okrsim.model.ensemble`).
#: Those read in a quarter are read through :meth:`~.in_force.InForce.value`,
#: which gives each employee its own run's, and meet only operations that are
#: the same on each element whether the value is a number or an array: sums, products,
#: comparisons, and functions applied element by element to what was already
#: an array (:func:`okrsim.portable.exp` of the progress noise) or one at a time (scipy's
#: ``logit`` of the quit rate).  The traits' distributions and the newcomers'
#: priors are read only where a run draws its people, from its own scenario.
#: The kinds below are read as their comments say.  A value that is raised to a
#: power is kept a number: each run's rows are raised to its own
#: (:mod:`okrsim.blocks`), as an array there could round differently from a
#: number.  A value that keys a cached table stays out.
#: tests/test_ensemble_design_points.py varies every one of them between
#: stacked runs.
EACH_RUN = frozenset(
    {
        *("behaviour.extrinsic_weight", "behaviour.loss_aversion"),
        *("behaviour.learning_rate", "behaviour.imitation_probability"),
        *("behaviour.progress_noise_sd", "behaviour.max_intensity", "behaviour.goal_pull"),
        *("behaviour.quit_base_rate", "behaviour.quit_pay_sensitivity"),
        *("behaviour.quit_stress_sensitivity", "behaviour.target_scrutiny"),
        *("behaviour.own_experience_weight", "behaviour.peer_noise"),
        *("behaviour.attraction_decay", "behaviour.foregone_weight", "behaviour.aspiration_speed"),
        *("env.stress_error", "env.stress_capacity", "env.help_saturation", "env.bau_demand"),
        *("env.bau_value", "env.incident_cost", "env.backlog_decay", "env.booking_bound"),
        *("env.capability_growth", "env.pressure_erosion", "env.breakthrough_rate"),
        *("env.breakthrough_value", "env.exploration_scale", "env.help_value"),
        *("env.booking_loss", "env.ramp_weeks", "env.vacancy_weeks"),
        *("judgment.recency", "judgment.blocker_penalty", "judgment.audit_tolerance"),
        *("judgment.risk_weight", "judgment.accuracy", "judgment.observation_noise"),
        *("judgment.influence_return", "judgment.influence_saturation"),
        *("assumptions.intensity_floor", "assumptions.stress_memory"),
        *("assumptions.capability_evidence_weeks", "assumptions.statement_far"),
        *("assumptions.goal_reach", "assumptions.ramp_start"),
        # the spread of one's lasting misjudgement of progress: drawn into people,
        # and weighed with the self-knowledge spread at the check-in, element by
        # element (okrsim.model.check_in.audit_outlook)
        "assumptions.perception_share",
        # read only when people are drawn (okrsim.model.workforce.Workforce.draw)
        "behaviour.capability_sd",
        *("behaviour.risk_aversion_mean", "assumptions.risk_aversion_log_sd"),
        *("behaviour.honesty_cost_mean", "assumptions.honesty_cost_log_sd"),
        *("behaviour.intrinsic_motivation_mean", "assumptions.intrinsic_motivation_log_sd"),
        *("behaviour.prosociality_mean", "assumptions.prosociality_log_sd"),
        *("behaviour.mum_cost_mean", "assumptions.mum_cost_log_sd"),
        *("behaviour.effort_cost_mean", "assumptions.effort_cost_log_sd"),
        *("behaviour.present_biased_share", "behaviour.present_bias_beta"),
        "assumptions.present_bias_log_sd",
        *("behaviour.audit_prior", "behaviour.bad_news_prior", "behaviour.coupling_prior"),
        *("behaviour.credibility_prior", "behaviour.initial_attraction"),
        *("assumptions.help_prior", "assumptions.agree_prior"),
        # read only when a run is made or draws its quarter (each from its own)
        *("assumptions.value_scale_prior", "assumptions.help_scale_prior"),
        *("assumptions.manager_estimate_noise", "judgment.leniency_sd"),
        # read only into the score curve's knots and blur (Curve.stacked)
        *("assumptions.edge_uncertainty", "assumptions.peer_attainment_sd_prior"),
        # a decision rule's menus and splits of the other hours (InForce.option_values)
        *MENU_KEYS,
        # judgment's weights, in the payoff (Payoff.each)
        *JUDGMENT_WEIGHTS,
        # the learn rule's sensitivity (an (n, 1, 1) factor) and the satisficer's reach
        *("behaviour.choice_sensitivity", "behaviour.search_size"),
        # the habit's half-life: its share of the way a choice moves, worked out once
        # a run from its number (InForce.per_run)
        "behaviour.habit_weeks",
        # blockers' clearing and a manager's coaching
        *CLEARING_KEYS,
        # one's uncertainty about a quarter's output (and where luck and blockers
        # strike, per employee; luck is drawn from each run's own scenario)
        *SPREAD_KEYS,
        # the extents of the report shadings and target offers weighed: a cohort whose
        # runs differ in them answers those choices run by run, each on its own grid
        *("assumptions.max_shading_down", "assumptions.max_shading_up"),
        *("assumptions.min_target_offer", "assumptions.max_target_offer"),
        # each team's drift in what it aims at: worked out once a run, per team
        *DRIFT_KEYS,
        # exponents of powers: each run's rows raised to its own number, as alone
        # (InForce.number, okrsim.blocks.each_block)
        *("behaviour.hours_elasticity", "behaviour.self_assessment_regression"),
        # the audit rate: compared per employee at the check-in, and stated to each
        # employee as its run's (policy_beliefs.Statement.in_force)
        "judgment.audit_probability",
    }
)

#: Each key of :data:`EACH_RUN`, in order, with its group and name.
PARTS = {key: tuple(key.split(".")) for key in sorted(EACH_RUN)}
#: :data:`EACH_RUN` as pydantic's ``exclude``: group → its keys.
EXCLUDED: dict[str, set[str]] = {}
for _group, _name in PARTS.values():
    EXCLUDED.setdefault(_group, set()).add(_name)
