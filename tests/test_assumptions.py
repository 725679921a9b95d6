"""Every number a rule rests on is a scenario field, or listed here as bookkeeping.

The model's behaviour is shaped only by what a scenario can set: the numbers
that no study pins down (trait spreads, priors, the goal's reach, stress's
memory, …) are fields of ``assumptions`` (or of their natural group), so a
sensitivity analysis can sweep them.  This file proves it four ways:

* a scan of every module of ``okrsim/model`` and ``okrsim/policies`` finds no
  numeric literal but 0, ±1, 2, a half in a product, or an entry of
  :data:`BOOKKEEPING` (each with the reason it shapes no behaviour);
* each field that replaced a constant defaults to the value the code used
  (the golden runs check the rest bit for bit) and is written out in
  ``okrsim/presets/baseline.toml``;
* moving one field moves the decision it feeds, the same agents in the same
  state (one test per kind of decision);
* moving any one field moves a run with the same seed — no field is left
  unconnected.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from test_policies import stakes as report_stakes

from okrsim.model import OKRModel
from okrsim.model.work import update_stress
from okrsim.model.workforce import Workforce
from okrsim.params import Scenario, ScenarioError
from okrsim.policies import choices
from okrsim.policies.rating import RANK_BANDS, forced_distribution, rank_bands

ROOT = Path(__file__).resolve().parents[1]
SCANNED = sorted((ROOT / "okrsim" / "model").glob("*.py")) + sorted(
    (ROOT / "okrsim" / "policies").glob("*.py")
)

#: Literals that need no reason: nothing, one, minus one, two.
PLAIN = frozenset({0, 1, -1, 2})

#: The numbers left in the code, each ``(module, literal or constant name, why it
#: shapes no behaviour)``; a module of ``"*"`` means any.  A constant name
#: covers the literals of its module-level assignment.
BOOKKEEPING: tuple[tuple[str, float | str, str], ...] = (
    ("*", 1e-6, "numerical guard: a floor or tolerance far below any quantity in use"),
    ("*", 1e-9, "numerical guard: a floor against division by zero"),
    ("*", 1e-10, "numerical guard: a variance treated as none"),
    ("*", 1e-12, "numerical guard: a floor against a log or division of zero"),
    ("*", 1e-300, "numerical guard: a floor against division by zero"),
    ("choices", "TARGET_OFFERS", "how many target offers are weighed (search precision)"),
    ("choices", "SHADING_STEP", "step between the report shadings weighed (search precision)"),
    ("choices", "MOVE_GRID", "the menu of bookings, as shares of env.booking_bound"),
    ("choices", "TAU_TABLE", "interpolation table of the score's moments (numerical)"),
    ("choices", "CURVES_CACHED", "how many curves' tables a process keeps (memory, not behaviour)"),
    (
        "ensemble",
        "MAX_EMPLOYEES",
        "how many employees are stepped together (execution, not behaviour)",
    ),
    ("choices", "_NODES", "quadrature nodes of an expectation (numerical)"),
    ("choices", "HABIT_FORMED", "defines the unit of behaviour.habit_weeks (Lally et al. 2010)"),
    ("choices", 3, "the shading search scores every third option first (search, not choice)"),
    ("choices", 4, "quarters in a year: an annual settlement averages four quarters"),
    ("curves", 16, "default number of quadrature nodes (numerical)"),
    ("curves", 0.5, "quadrature nodes at the middles of equal-probability cells"),
    ("rating", 0.5, "a rank's percentile is read at the middle of its slot"),
    ("work", "NODES", "quadrature nodes of a score's spread (numerical)"),
    ("check_in", "BIAS_TOLERANCE", "metric definition (a biased report); no choice reads it"),
    ("check_in", "LATE_WEEK", "metric definition (the quarter's last four weeks)"),
    ("check_in", "MIDPOINT_WEEK", "metric definition (the mid-quarter check-in)"),
    ("tally", "THIRD_STARTS", "metric definition (the quarter's thirds)"),
    ("tally", "LATE_START", "metric definition (the run-up to the deadline)"),
    ("records", 1.1, "metric definition: a target just met is met by less than 10 %"),
    ("records", 3, "column of 'explore' in choices.ACTIVITIES"),
    ("records", 4, "column of 'visible' in choices.ACTIVITIES"),
    ("weekly_records", 3, "column of 'explore' in choices.ACTIVITIES"),
    ("development", 3, "column of 'explore' in choices.ACTIVITIES"),
    ("effort_allocation", 3, "column of 'explore' in choices.ACTIVITIES"),
    ("target_setting", "REVISION_WEEK", "the process calendar: revisions at the mid-quarter"),
    ("in_force", 4.0, "scales 4π(1 − π) to 1 at an even split (okr.negotiation_hours' unit)"),
    ("in_force", 0.9, "numerical cap: negotiating never takes the whole week"),
    ("outlook", 0.02, "numerical floor of an outlook's sd"),
    ("quarter_review", 0.02, "floor of the peers' spread, the rank curve's (numerical)"),
    ("quarter_review", 0.05, "floor of the public help scale H̄ (numerical)"),
    ("policy_beliefs", 12, "the variance of a uniform belief over its range, (b − a)²/12"),
    ("rating_evidence", "RATING_REGRESSORS", "array layout of the rating evidence"),
    ("rating_evidence", "EVIDENCE_SIZE", "array layout of the rating evidence"),
    ("organisation", "MAX_KRS", "array layout: draws for the most key results, cut to K"),
    ("workforce", 52.0, "founders' tenure: a year in the seat, past any env.ramp_weeks"),
    ("agents", 3, "decimals of the options an agent shows the dashboard"),
    (
        "rules",
        "OPTIONS",
        "a rule's menu resolution: five options per decision (the extents are fields)",
    ),
    ("rules", "RAISE_WAITS", "blocker waits from at once to never; the points between: resolution"),
    (
        "rules",
        "MIN_COST_ELASTICITY",
        "numerical floor: a learner's hours need a finite cost at ε = 0",
    ),
)


def _is_half_in_a_product(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult)


def _constant_names(tree: ast.Module) -> dict[ast.AST, str]:
    """Every node inside a module-level assignment, mapped to the name assigned."""
    owner: dict[ast.AST, str] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    for node in ast.walk(stmt):
                        owner[node] = name.id
    return owner


def numeric_literals(path: Path) -> list[tuple[int, float, str | None]]:
    """``(line, value, constant name or None)`` of every number that needs a reason.

    A minus sign is read with its number; 0, ±1, 2 and a half (or minus a
    half) multiplying something are left out.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    owner = _constant_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
            continue
        if not isinstance(node.value, int | float):
            continue
        value, outer = float(node.value), node
        parent = parents.get(node)
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
            value, outer = -value, parent
        if value in PLAIN:
            continue
        if abs(value) == 0.5 and _is_half_in_a_product(outer, parents):
            continue
        found.append((node.lineno, value, owner.get(node)))
    return found


def unexplained(path: Path) -> list[str]:
    module = path.stem
    allowed = {(m, what) for m, what, _ in BOOKKEEPING}
    out = []
    for line, value, name in numeric_literals(path):
        if (module, name) in allowed or (module, value) in allowed or ("*", value) in allowed:
            continue
        where = f" (in {name})" if name else ""
        out.append(f"{path.relative_to(ROOT)}:{line}: {value!r}{where}")
    return out


def test_no_number_shapes_behaviour_without_being_a_field():
    problems = [problem for path in SCANNED for problem in unexplained(path)]
    assert not problems, (
        "numbers in the model that are neither scenario fields nor listed as bookkeeping "
        "(make each a field, or add it to BOOKKEEPING with its reason):\n" + "\n".join(problems)
    )


def test_every_bookkeeping_entry_is_still_needed_and_gives_a_reason():
    used: set[tuple[str, float | str]] = set()
    for path in SCANNED:
        for _, value, name in numeric_literals(path):
            used |= {(path.stem, value), ("*", value)}
            if name is not None:
                used.add((path.stem, name))
    for module, what, reason in BOOKKEEPING:
        assert reason.strip(), (module, what)
        assert (module, what) in used, (
            f"BOOKKEEPING lists {module}: {what!r}, no longer in the code"
        )


def test_the_scan_finds_a_number_that_shapes_behaviour(tmp_path):
    # the scan is only as good as what it catches
    module = tmp_path / "choices.py"
    module.write_text(
        "REACH = 0.3\ndef pull(x):\n    return 0.5 * x + 0.5 - 1 + 2 * x * 1e-9\n",
        encoding="utf-8",
    )
    found = sorted(numeric_literals(module), key=lambda hit: (hit[0], hit[1]))
    assert found == [(1, 0.3, "REACH"), (3, 1e-9, None), (3, 0.5, None)]


#: Each field that replaced a constant, and the value the code used before.
FORMER_CONSTANTS = {
    "assumptions.risk_aversion_log_sd": 0.5,
    "assumptions.honesty_cost_log_sd": 0.8,
    "assumptions.intrinsic_motivation_log_sd": 0.4,
    "assumptions.prosociality_log_sd": 0.5,
    "assumptions.mum_cost_log_sd": 0.5,
    "assumptions.effort_cost_log_sd": 0.3,
    "assumptions.present_bias_log_sd": 0.05,
    "assumptions.perception_share": 0.5,
    "assumptions.kr_plan_prior": 0.6,
    "assumptions.help_prior": 0.1,
    "assumptions.agree_prior": 0.5,
    "assumptions.goal_reach": 0.3,
    "assumptions.intensity_floor": 0.5,
    "assumptions.stress_memory": 0.92,
    "assumptions.ramp_start": 0.5,
    "assumptions.manager_estimate_noise": 0.3,
    "assumptions.blocker_spread": 3.0,
    "assumptions.capability_evidence_weeks": 0.5,
    "assumptions.statement_far": 0.5,
    "assumptions.edge_uncertainty": 0.5,
    "assumptions.value_scale_prior": 1.2,
    "assumptions.help_scale_prior": 0.1,
    "assumptions.peer_attainment_sd_prior": 0.15,
    "assumptions.max_shading_down": 0.2,
    "assumptions.max_shading_up": 0.5,
    "assumptions.min_target_offer": 0.5,
    "assumptions.max_target_offer": 1.6,
    "assumptions.rule_offer_spread": 0.4,
    "assumptions.rule_intensity_spread": 0.2,
    "assumptions.rule_kr_share_spread": 0.2,
    "assumptions.rule_side_lean": 0.55,
    "assumptions.rule_shading_spread": 0.4,
    "assumptions.rule_booking_spread": 1.0,
    "judgment.audit_tolerance": 0.05,
    "okr.red_pace": 0.7,
    "comp.rank_bottom_share": 0.1,
    "comp.rank_bottom_score": 0.5,
    "comp.rank_top_share": 0.2,
    "comp.rank_top_score": 1.25,
}


def test_every_assumption_is_a_former_constant_listed_here():
    keys = {k for k in Scenario().flat() if k.startswith("assumptions.")}
    assert keys == {k for k in FORMER_CONSTANTS if k.startswith("assumptions.")}


@pytest.mark.parametrize(("key", "before"), sorted(FORMER_CONSTANTS.items()))
def test_a_former_constant_defaults_to_the_value_the_code_used(key, before):
    assert Scenario().flat()[key] == before
    baseline = tomllib.loads((ROOT / "okrsim" / "presets" / "baseline.toml").read_text())
    group, name = key.split(".")
    assert baseline[group][name] == before, f"okrsim/presets/baseline.toml must list {key}"


def test_the_pure_choices_default_to_the_fields_defaults():
    a = Scenario().assumptions
    assert a.goal_reach == choices.GOAL_REACH
    assert a.intensity_floor == choices.INTENSITY_FLOOR
    assert choices.ReportStakes(0, 0, 0, 0, 1, 1).goal_reach == a.goal_reach
    assert RANK_BANDS == ((0.1, 0.5), (0.7, 1.0), (0.2, 1.25)) == rank_bands(Scenario().comp)


def test_an_assumption_cannot_change_mid_run():
    with pytest.raises(ScenarioError, match=r"'assumptions\.goal_reach' cannot change mid-run"):
        Scenario.from_mapping(
            {"schedule": [{"quarter": 2, "set": {"assumptions.goal_reach": 0.5}}]}
        )


# -- moving one field moves the decision it feeds ---------------------------------
def test_a_longer_goal_reach_makes_a_report_far_short_of_its_goal_worth_shading_up():
    """Only the goal rides on the report: 25 % short of it, a goal within reach
    (0.3) pulls the report up; one whose reach ends before it (0.1) does not."""
    mu, sd = np.array([0.75]), np.array([0.05])
    payoff = choices.payoff_for(Scenario().with_overrides({"comp.coupling": 0.0}))

    def shading(reach: float) -> float:
        stakes = report_stakes(
            honesty_cost=3.0, goal_weight=1.0, loss_aversion=2.25, goal_reach=reach
        )
        return float(choices.choose_shading(mu, sd, payoff=payoff, stakes=stakes)[0][0])

    assert shading(0.1) == 0.0
    assert shading(0.3) > 0.0
    pull = [choices.goal_pull(mu, sd, loss_aversion=2.25, reach=r)[0] for r in (0.1, 0.3)]
    assert pull[0] == pytest.approx(0.0, abs=0.01)
    assert pull[1] > 0.5


def test_the_shading_menus_extent_bounds_an_overstatement_that_pays():
    """The formula pays for reported attainment and nothing checks it: the
    report goes as far up as the menu lets it."""
    mu, sd = np.array([0.9]), np.array([0.05])
    payoff = choices.payoff_for(Scenario())
    stakes = report_stakes(formula_share=1.0, honesty_cost=0.1)
    default = choices.choose_shading(mu, sd, payoff=payoff, stakes=stakes)[0]
    narrow = choices.shading_grid(0.2, 0.2)
    bounded = choices.choose_shading(mu, sd, payoff=payoff, stakes=stakes, options=narrow)[0]
    assert default[0] > 0.2
    assert bounded[0] == 0.2


def test_the_lowest_target_offer_bounds_sandbagging_that_pays():
    """All of the rating on the score, a cheap misstatement, risk aversion: the
    offer goes as low as the menu lets it."""
    payoff = choices.payoff_for(Scenario().with_overrides({"comp.coupling": 1.0}))
    agent = {"payoff": payoff, "extrinsic": 1.5, "risk_aversion": 3.0, "honesty_cost": 0.1}
    default, _ = choices.choose_target(0.2, **agent)
    offers = choices.target_grid(0.9, 1.6)
    bounded, _ = choices.choose_target(0.2, **agent, offers=offers)
    assert default < 0.9
    assert bounded == 0.9


def test_a_higher_intensity_floor_keeps_one_who_sees_little_value_working_more():
    low_value = np.array([0.01])
    kwargs = {"present_bias": 1.0, "elasticity": 0.5, "ceiling": 1.3}
    default = choices.plan_intensity(low_value, 0.24, **kwargs)
    floored = choices.plan_intensity(low_value, 0.24, **kwargs, floor=0.8)
    assert default[0][0] == pytest.approx(0.5)
    assert floored[0][0] == pytest.approx(0.8)


def test_a_forced_distributions_bands_set_the_scores_and_the_rank_curve_weighed():
    scores, groups = np.arange(10.0), np.zeros(10, dtype=int)
    harsher = Scenario().with_overrides(
        {"comp.rank_bottom_share": 0.3, "comp.rank_bottom_score": 0.2, "comp.rank_top_score": 2.0}
    )
    bands = forced_distribution(scores, groups, bands=rank_bands(harsher.comp))
    assert sorted(bands) == [0.2] * 3 + [1.0] * 5 + [2.0] * 2
    relative = {"comp.evaluation": "relative"}
    base = choices.payoff_for(Scenario().with_overrides(relative))
    moved = choices.payoff_for(harsher.with_overrides(relative))
    assert moved.curve(5.0) == 2.0
    assert base.curve(5.0) == 1.25
    # the employee weighs the band edges more blurred when they are less sure
    blurred = choices.payoff_for(
        Scenario().with_overrides({**relative, "assumptions.edge_uncertainty": 2.0})
    )
    assert blurred.curve.blur == 4 * base.curve.blur


def test_a_trait_spread_moves_that_trait_and_no_other_draw():
    """Common random numbers: the same seed draws the same people, one spread moved."""
    s = Scenario()
    wider = s.with_overrides({"assumptions.risk_aversion_log_sd": 1.0})
    a = Workforce.from_market(np.random.default_rng(4), s)
    b = Workforce.from_market(np.random.default_rng(4), wider)
    assert np.std(np.log(b.risk_aversion)) > 1.5 * np.std(np.log(a.risk_aversion))
    for f in fields(Workforce):
        if f.init and f.name not in ("n", "k", "risk_aversion"):
            np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def test_a_longer_stress_memory_keeps_more_of_last_weeks_stress():
    s = Scenario().with_overrides({"org.n_teams": 2, "org.team_size": 4})
    model = OKRModel(s, 2)
    for _ in range(5):
        model.step()
    wf = model.workforce
    before = wf.stress.copy()
    after = {}
    for memory in (0.5, 0.92):
        wf.stress[:] = before
        policy = type(model.policy).read(
            s.with_overrides({"assumptions.stress_memory": memory}),
            peer_attainment=model.public.peer_attainment,
        )
        update_stress(wf, model.org, policy, model.outlook, model.public, week_in_quarter=5)
        after[memory] = wf.stress.copy()
    pressure = (after[0.5] - 0.5 * before) / 0.5
    np.testing.assert_allclose(after[0.92], 0.92 * before + 0.08 * pressure)
    assert not np.allclose(after[0.5], after[0.92])


# -- no field is left unconnected ---------------------------------------------------
SMALL = {"org.n_teams": 2, "org.team_size": 5, "horizon.quarters": 3}
#: A field, a value away from its default, and the world in which it matters.
MOVES: list[tuple[str, float, dict[str, object]]] = [
    ("assumptions.risk_aversion_log_sd", 1.0, {}),
    ("assumptions.honesty_cost_log_sd", 0.2, {}),
    ("assumptions.intrinsic_motivation_log_sd", 1.0, {}),
    ("assumptions.prosociality_log_sd", 1.0, {}),
    ("assumptions.mum_cost_log_sd", 1.0, {}),
    ("assumptions.effort_cost_log_sd", 1.0, {}),
    ("assumptions.present_bias_log_sd", 0.5, {}),
    ("assumptions.perception_share", 1.5, {}),
    ("assumptions.kr_plan_prior", 0.9, {}),
    ("assumptions.help_prior", 0.5, {}),
    ("assumptions.agree_prior", 1.0, {"okr.revision_allowed": True, "comp.coupling": 0.8}),
    ("assumptions.goal_reach", 0.8, {}),
    ("assumptions.intensity_floor", 1.0, {}),
    ("assumptions.stress_memory", 0.5, {}),
    ("assumptions.ramp_start", 0.1, {"behaviour.quit_base_rate": 0.3}),
    ("assumptions.manager_estimate_noise", 1.5, {"okr.target_rule": "assigned"}),
    ("assumptions.blocker_spread", 8.0, {}),
    ("assumptions.capability_evidence_weeks", 13.0, {}),
    ("assumptions.statement_far", 0.05, {}),
    ("assumptions.edge_uncertainty", 2.0, {"comp.evaluation": "relative"}),
    ("assumptions.value_scale_prior", 5.0, {}),
    ("assumptions.help_scale_prior", 1.0, {}),
    ("assumptions.peer_attainment_sd_prior", 1.0, {"comp.evaluation": "relative"}),
    ("assumptions.max_shading_down", 0.0, {"okr.target_rule": "ratchet"}),
    ("assumptions.max_shading_up", 0.1, {}),
    ("assumptions.min_target_offer", 0.9, {"comp.coupling": 0.8}),
    ("assumptions.max_target_offer", 1.1, {"okr.target_rule": "negotiated"}),
    ("assumptions.rule_offer_spread", 0.1, {"behaviour.decision_rule": "learn"}),
    ("assumptions.rule_intensity_spread", 0.0, {"behaviour.decision_rule": "learn"}),
    ("assumptions.rule_kr_share_spread", 0.0, {"behaviour.decision_rule": "learn"}),
    ("assumptions.rule_side_lean", 0.25, {"behaviour.decision_rule": "learn"}),
    ("assumptions.rule_shading_spread", 0.05, {"behaviour.decision_rule": "learn"}),
    ("assumptions.rule_booking_spread", 0.0, {"behaviour.decision_rule": "learn"}),
    ("judgment.audit_tolerance", 0.5, {"judgment.audit_probability": 0.5}),
    ("okr.red_pace", 0.85, {"judgment.blocker_penalty": 0.5}),
    ("comp.rank_bottom_share", 0.4, {"comp.evaluation": "relative"}),
    ("comp.rank_bottom_score", 0.0, {"comp.evaluation": "relative"}),
    ("comp.rank_top_share", 0.4, {"comp.evaluation": "relative"}),
    ("comp.rank_top_score", 2.5, {"comp.evaluation": "relative"}),
]


def run_state(s: Scenario) -> dict[str, np.ndarray]:
    """Every array of the workforce after the run, and the quarterly records."""
    model = OKRModel(s, 5)
    for _ in range(s.horizon.quarters * 13):
        model.step()
    wf = model.workforce
    state = {f.name: np.asarray(getattr(wf, f.name), dtype=float) for f in fields(wf) if f.init}
    state["quarterly"] = model.quarterly_frame().select_dtypes("number").to_numpy(float)
    return state


def test_every_moved_field_is_listed():
    assert {key for key, _, _ in MOVES} == set(FORMER_CONSTANTS)


@pytest.mark.parametrize(("key", "value", "world"), MOVES, ids=[m[0] for m in MOVES])
def test_moving_a_field_moves_the_run(key, value, world):
    base = Scenario().with_overrides({**SMALL, **world})
    moved = base.with_overrides({key: value})
    a, b = run_state(base), run_state(moved)
    changed = [
        name
        for name in a
        if a[name].shape != b[name].shape or not np.array_equal(a[name], b[name], equal_nan=True)
    ]
    assert changed, f"moving {key} to {value} changed nothing in the run"
