"""The policy in force: the quarter's scenario and the payoffs it defines.

At each quarter's start the schedule is applied (:meth:`Scenario.at_quarter`)
and the scenario in force is turned into numbers the agents weigh
(:func:`okrsim.policies.choices.payoff_for`), together with what the OKR
process costs everyone's week.  Nothing downstream asks which policy this is.

docs/ODD.md §7.1 (policy in force and schedule).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from okrsim.blocks import PerBlock
from okrsim.model.each_run import COACHING_KEYS, EXCLUDED, JUDGMENT_WEIGHTS, MENU_KEYS, PARTS
from okrsim.params import Scenario
from okrsim.policies import choices, rules
from okrsim.policies.choices import Payoff
from okrsim.policies.curves import Array, Curve, curve_for


@dataclass(frozen=True)
class InForce:
    """The scenario in force this quarter and what follows from it.

    Attributes
    ----------
    scenario
        The scenario in force (the base scenario with the schedule applied).
    payoff
        The payoffs it defines, as the organisation applies them (the review).
    absolute_curve
        The bonus curve on one's own attainment (the grade on record).
    focus
        Output efficiency when goal-directed work is split across K streams,
        ``1 / (1 + switching_cost·(K − 1))``: the streams are there whether or
        not they are written down as key results.
    overhead
        Share of every week spent on status reporting (0 without OKRs).
    """

    scenario: Scenario
    payoff: Payoff
    absolute_curve: Curve
    focus: float
    overhead: float
    #: Each employee's own run's value of the keys of :data:`~.each_run.EACH_RUN` in which a
    #: cohort's runs differ, (n,) (:meth:`value`); empty for a run alone.
    own_values: Mapping[str, Array] = field(default_factory=dict, repr=False, compare=False)
    #: How many runs of equal size this policy is in force for, end to end (1 alone).
    runs: int = field(default=1, compare=False)
    #: Each run's menus (runs, decisions, options) and splits of the other hours
    #: (runs, options, activities), where a cohort's runs differ in :data:`MENU_KEYS`.
    own_menus: tuple[Array, Array] | None = field(default=None, repr=False, compare=False)
    #: The payoff as last believed (:meth:`believed`), kept while beliefs stand.
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def read(cls, scenario: Scenario, *, peer_attainment: tuple[float, float]) -> InForce:
        okr = scenario.okr
        return cls(
            scenario=scenario,
            payoff=choices.payoff_for(scenario, peer_attainment=peer_attainment),
            absolute_curve=curve_for(scenario.comp),
            focus=1.0 / (1.0 + okr.switching_cost * (okr.krs_per_person - 1)),
            overhead=okr.status_hours if okr.enabled else 0.0,
        )

    def value(self, key: str, *, per_key_result: bool = False) -> float | Array:
        """``key``'s value (a key of :data:`~.each_run.EACH_RUN`) as each employee weighs it.

        The scenario's, or in a cohort whose runs differ in it, each
        employee's own run's: shape (n,), or (n, 1) ``per_key_result``.
        Either way every employee computes with the same number.
        """
        own = self.own_values.get(key)
        if own is None:
            group, name = PARTS[key]
            scenario_value: float = getattr(getattr(self.scenario, group), name)
            return scenario_value
        return own[:, None] if per_key_result else own

    def number(self, key: str) -> PerBlock:
        """``key``'s value where it must stay a number (a power's exponent): the
        scenario's, or in a cohort whose runs differ in it, each run's, as a tuple
        (:func:`okrsim.blocks.each_block` applies each to its run's rows)."""
        each = self.each_run([key], float)
        return float(self.value(key)) if each is None else tuple(each)

    def kept(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()``, worked out once while this policy is in force (a quarter's
        figure read every week)."""
        if name not in self._memo:
            self._memo[name] = make()
        return self._memo[name]

    def per_run(
        self,
        keys: Sequence[str],
        f: Callable[..., float],
        *,
        per_key_result: bool = False,
        along: int | None = None,
    ) -> float | Array:
        """``f`` of the values of ``keys`` (keys of :data:`~.each_run.EACH_RUN`): of
        the scenario's, or in a cohort whose runs differ in any, of each run's, once a
        run and on its numbers as alone, each employee given its run's result: (n,),
        or (n, 1) ``per_key_result`` (or each of ``along`` entries, the runs' teams
        end to end, its run's)."""
        results = self.each_run(keys, f)
        if results is None:
            return f(*(self.value(key) for key in keys))
        rows = along or next(len(v) for v in self.own_values.values())
        each = np.repeat(np.asarray(results, dtype=float), rows // self.runs)
        return each[:, None] if per_key_result else each

    def each_run[T](self, keys: Sequence[str], f: Callable[..., T]) -> list[T] | None:
        """``f`` of each run's values of ``keys``, on its numbers as alone, where a
        cohort's runs differ in any of them; None where they do not."""
        own = [self.own_values.get(key) for key in keys]
        rows = next((len(values) for values in own if values is not None), 0)
        if not rows:
            return None
        size = rows // self.runs
        return [
            f(
                *(
                    self.value(k) if v is None else float(v[r * size])
                    for k, v in zip(keys, own, strict=True)
                )
            )
            for r in range(self.runs)
        ]

    def stacked(self, policies: Sequence[InForce], sizes: Sequence[int]) -> InForce:
        """This policy for a cohort of runs under ``policies`` (:func:`same_but_each`)
        with ``sizes`` employees each: values that differ are each employee's own,
        and so are the score curve's knots and blur (:meth:`Curve.stacked`)."""
        first = policies[0].scenario
        own = {}
        if any(p.scenario is not first and p.scenario != first for p in policies[1:]):
            for key, (group, name) in PARTS.items():
                values = [getattr(getattr(p.scenario, group), name) for p in policies]
                if any(v != values[0] for v in values[1:]):
                    own[key] = np.repeat(np.asarray(values, dtype=float), sizes)
        # a forced ranking's curve sits at each run's own peers
        curve = Curve.stacked([p.payoff.curve for p in policies], sizes)
        payoff = self.payoff if curve is self.payoff.curve else replace(self.payoff, curve=curve)
        weights: dict[str, Any] = {}
        for name in JUDGMENT_WEIGHTS.values():
            values = [getattr(p.payoff, name) for p in policies]
            if any(v != values[0] for v in values[1:]):
                weights[name] = np.repeat(np.asarray(values, dtype=float), sizes)[:, None]
        payoff = replace(payoff, **weights) if weights else payoff
        menus = None
        if own.keys() & set(MENU_KEYS):
            assumptions = [p.scenario.assumptions for p in policies]
            menus = (
                np.stack([rules.menu(a) for a in assumptions]),
                np.stack([rules.side_splits(a.rule_side_lean) for a in assumptions]),
            )
        return replace(self, payoff=payoff, own_values=own, runs=len(policies), own_menus=menus)

    def option_values(self, decision: str, chosen: Array) -> Array:
        """The values of a decision rule's options ``chosen`` (indices, (n,)) for
        ``decision`` on the menu the scenario's assumptions set
        (:func:`~okrsim.policies.rules.menu`): in a cohort, each employee's run's."""
        d = rules.decision(decision)
        if self.own_menus is None:
            return rules.menu(self.scenario.assumptions)[d, chosen]
        return self.own_menus[0][self._run_of_rows(len(chosen)), d, chosen]

    def side_split(self, side: Array) -> Array:
        """Each employee's split of the hours not on key results, (n, 4): row ``side``
        of :func:`~okrsim.policies.rules.side_splits` (in a cohort, its run's)."""
        rows = np.asarray(side, dtype=np.int64)
        if self.own_menus is None:
            return rules.side_splits(self.scenario.assumptions.rule_side_lean)[rows]
        return self.own_menus[1][self._run_of_rows(len(rows)), rows]

    def _run_of_rows(self, n: int) -> Array:
        """Which of :attr:`runs` runs of equal size each of ``n`` rows belongs to."""
        return np.arange(n) // (n // self.runs)

    def believed(self, coupling_belief: Array) -> Payoff:
        """The payoff as each employee weighs it: its own belief of the coupling.

        The coupling becomes an (n, 1) array that broadcasts against (n, k)
        key results and (n, G) options; the rest is the policy's, known from
        its rules.  Without OKRs there is no score for a belief to weigh.
        docs/ODD.md §7.13.
        """
        last = self._memo.get("believed")
        if last is not None and np.array_equal(last[0], coupling_belief):
            return last[1]  # beliefs move at settlements, not weekly: the same payoff
        coupling = coupling_belief[:, None] * float(self.scenario.okr.enabled)
        payoff = replace(self.payoff, coupling=np.asarray(coupling, dtype=float))
        self._memo["believed"] = (coupling_belief.copy(), payoff)
        return payoff

    def habit_adjustment(self, weeks_between: float) -> float | Array:
        """:func:`~.choices.habit_adjustment` of a choice repeated every
        ``weeks_between`` weeks, at ``behaviour.habit_weeks`` (each run's in a cohort);
        kept for the quarter."""
        return self.kept(
            f"habit {weeks_between}",
            lambda: self.per_run(
                ["behaviour.habit_weeks"],
                lambda weeks: choices.habit_adjustment(weeks_between, weeks),
            ),
        )

    @property
    def krs(self) -> int:
        return self.scenario.okr.krs_per_person

    @property
    def target_offers(self) -> Array:
        """The target multiples an employee weighs (:func:`.choices.target_grid`)."""
        a = self.scenario.assumptions
        return choices.target_grid(a.min_target_offer, a.max_target_offer)

    def coaching(self, *, per_key_result: bool = False) -> float | Array:
        """Extra weekly clearing chance a raised blocker gets from its manager
        (:meth:`coaching_at`; in a cohort, each employee's run's: :meth:`per_run`);
        kept for the quarter."""
        return self.kept(
            f"coaching {per_key_result}",
            lambda: self.per_run(COACHING_KEYS, self.coaching_at, per_key_result=per_key_result),
        )

    def coaching_at(self, coach_help: float, review_hours: float) -> float:
        """Extra weekly clearing chance a raised blocker gets from its manager.

        A manager's time is finite: judging each report takes ``review_hours``
        (``judgment.review_hours``) of it for the judged share of the rating,
        and that time is taken from coaching (``judgment.coach_help``).
        """
        return float(
            choices.coaching_left(
                coach_help, review_hours, float(self.payoff.judged), self.scenario.org.team_size
            )
        )

    def negotiation_hours(self, week_in_quarter: int) -> float:
        """Share of this week spent negotiating targets (a quarter's first week).

        ``okr.negotiation_hours·K·4π(1 − π)`` with ``π`` the manager's pull:
        a conversation takes time where both sides' say moves the target — none
        where the employee sets it alone (π = 0) or the manager assigns it
        (π = 1), the full hours at an even split (the form is an assumption).
        """
        okr, pull = self.scenario.okr, self.payoff.manager_pull
        if week_in_quarter != 0:
            return 0.0
        return min(okr.negotiation_hours * okr.krs_per_person, 0.9) * 4.0 * pull * (1.0 - pull)


def same_but_each(a: InForce, b: InForce) -> bool:
    """Whether runs under ``a`` and ``b`` can step as one cohort: the same policy,
    but for values of :data:`~.each_run.EACH_RUN` (:func:`cohort_key`)."""
    return cohort_key(a) == cohort_key(b)


def cohort_key(policy: InForce) -> Hashable:
    """What runs must share to step as one cohort: the scenario in force without
    the keys of :data:`~.each_run.EACH_RUN` (as JSON, whose floats read back exactly), and
    what follows from it and the public figures (payoffs, curves, focus,
    overhead), but for where the score curve's knots sit and their blur (a
    forced ranking's follow each run's peers; :meth:`Curve.stacked`).  Made
    once per policy, so runs are grouped by a look-up."""
    key = policy._memo.get("cohort_key")
    if key is None:
        scenario = policy.scenario.model_dump_json(exclude=EXCLUDED)
        weights: dict[str, Any] = dict.fromkeys(JUDGMENT_WEIGHTS.values(), 0.0)
        payoff = replace(policy.payoff, curve=policy.payoff.curve.form, **weights)
        key = (scenario, payoff, policy.absolute_curve, policy.focus, policy.overhead)
        policy._memo["cohort_key"] = key
    return key
