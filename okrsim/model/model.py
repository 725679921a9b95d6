"""The organisation as a Mesa model: one step is one week, 13 weeks a quarter.

:meth:`OKRModel.step` is docs/ODD.md §3's process overview; each process is a
submodel of its own module (ODD §7).  The organisation inside the model acts
only on what it measures (reports, scores, judged observations); the model
logs the ground truth beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from okrsim.model import (
    alignment,
    outlook,
    policy_beliefs,
    quarter_end,
    quarter_review,
    quarter_start,
    records,
    week,
    weekly_records,
)
from okrsim.model.agents import AgentViews
from okrsim.model.in_force import InForce
from okrsim.model.organisation import MAX_KRS, Organisation, PublicFigures
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER, Scenario
from okrsim.policies.curves import Array
from okrsim.seeding import RunSeed, SeedLike, streams


class OKRModel(AgentViews):
    """An organisation running OKRs under a compensation policy.

    Parameters
    ----------
    scenario
        The validated scenario (world, policy, horizon); the default scenario
        if not given.
    rng
        The run's seed: an int, a ``SeedSequence``, a
        :class:`~okrsim.seeding.RunSeed`, or ``None`` for fresh entropy (kept
        in ``run_seed``, so the run can be rebuilt).  Every random draw of the
        run comes from its named streams (:mod:`okrsim.seeding`).
    agent_reporters
        Also gather per-employee weekly series through Mesa's DataCollector
        (:data:`weekly_records.AGENT_REPORTERS`); off by default, as it costs a Python call
        per employee and week.
    weekly_detail
        Keep one row per employee × week (:class:`weekly_records.WeeklyDetail`).
    stream
        Where the per-employee tables go quarter by quarter (and week by week
        for ``weekly_detail``) instead of being held until the run's end
        (:class:`records.RecordStream`); :meth:`employee_frame`,
        :meth:`key_result_frame` and :meth:`employee_week_frame` are then empty.
    **overrides
        Dotted scenario keys (``comp.coupling=0.5``), validated like any
        override — what ``mesa.batch_run(OKRModel, parameters={...})`` passes.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        rng: SeedLike | None = None,
        *,
        agent_reporters: bool = False,
        weekly_detail: bool = False,
        stream: records.RecordStream | None = None,
        **overrides: Any,
    ) -> None:
        scenario = scenario if scenario is not None else Scenario()
        if overrides:
            scenario = scenario.with_overrides(overrides, source="OKRModel")
        self.run_seed = RunSeed.of(rng)
        self.streams = streams(self.run_seed)
        super().__init__(rng=self.streams["mesa"])
        s = self.base_scenario = scenario
        self.n_quarters = s.horizon.quarters
        self.workforce = wf = Workforce.from_market(self.streams["workforce"], s)
        self.org = Organisation.draw(self.streams["environment"], s)
        self.priority_error = alignment.initial_error(self.streams["environment"], s, s.org.n_teams)
        # each manager's lasting leniency (a rater effect; Scullen, Mount & Goff 2000)
        self.leniency = self.streams["audit"].normal(0.0, s.judgment.leniency_sd, s.org.n_teams)
        self.week, self.quarter = 0, 0  # weeks completed, quarters started
        self.public = PublicFigures.prior(s.assumptions)
        self.policy = InForce.read(s, peer_attainment=self.public.peers)
        self.statement: policy_beliefs.Statement | None = None  # nothing stated yet
        self.tally = Tally(wf.n, wf.k)
        self.year = quarter_review.YearBook(last_rating=np.ones(wf.n))
        self.manager_view = np.ones((wf.n, wf.k))
        self.last_reported: Array | None = None
        self.outlook: outlook.Outlook = (np.ones((wf.n, wf.k)), np.ones((wf.n, wf.k)))
        self.alignment = alignment.team_alignment(self.priority_error, s)
        self.per_output = np.zeros((wf.n, wf.k))
        self.week_value = np.zeros(wf.n)
        self.draws: dict[str, Array] = {}
        self.week_row: dict[str, float] = {}
        self.weekly = weekly_records.WeeklySeries(self.n_quarters * WEEKS_PER_QUARTER)
        self.datacollector = weekly_records.WeeklyCollector(agent_reporters=agent_reporters)
        self.weekly_detail = weekly_records.WeeklyDetail(stream) if weekly_detail else None
        self.stream = stream
        # each review's records as columns, unless streamed (records.keep_quarter)
        self.quarter_rows: list[dict[str, float]] = []
        self.held = records.Held()
        self.running = True

    @property
    def week_in_quarter(self) -> int:
        return self.week % WEEKS_PER_QUARTER

    # -- the schedule (docs/ODD.md §3) ---------------------------------------------
    def step(self) -> None:
        """One week."""
        self.begin_week()
        reporting = week.until_reports(self)
        question = reporting.question
        week.from_reports(self, reporting, question.answer() if question is not None else None)
        self.end_week()

    def begin_week(self) -> None:
        """A quarter's start when one is due, and the week's draws."""
        if self.week_in_quarter == 0:
            self.start_quarter()
        self.draws = self.draw_week()

    def end_week(self, week_row: dict[str, float] | None = None) -> None:
        """The week is counted and recorded; after a quarter's last week, its end."""
        self.count_week(week_row)
        if self.week_in_quarter == 0:
            self.end_quarter()

    def count_week(self, week_row: dict[str, float] | None = None) -> None:
        """The week is counted and recorded.

        ``week_row`` is the week's series if already taken (an ensemble takes
        a cohort's at once, :func:`weekly_records.week_rows`).
        """
        self.week += 1
        self.record_week(week_row)

    def run(self) -> None:
        """Run the whole horizon."""
        while self.running:
            self.step()

    def start_quarter(self) -> None:
        """The policy in force is read, the tallies reset and targets set."""
        self.open_quarter([self.read_quarter()])

    def read_quarter(self) -> quarter_start.QuarterStartDraws:
        """The quarter is counted, the policy in force read and the quarter's draws made."""
        self.quarter += 1
        s = self.base_scenario.at_quarter(self.quarter)
        self.policy = InForce.read(s, peer_attainment=self.public.peers)
        return quarter_start.QuarterStartDraws.draw(self.streams, self.policy, self.org)

    def open_quarter(self, draws: Sequence[quarter_start.QuarterStartDraws]) -> None:
        """The quarter's start once its policy is read (``draws``: this run's, alone)."""
        (own,) = draws
        quarter_start.open_quarter(self, own)

    def draw_week(self) -> dict[str, Array]:
        """This week's exogenous draws, in fixed shapes whatever anyone chooses."""
        env, audit = self.streams["environment"], self.streams["audit"]
        n, k = self.workforce.n, self.org.krs
        luck = np.maximum(env.normal(1.0, self.policy.scenario.behaviour.luck_sd, n), 0.0)
        return {
            "luck": luck,
            "onset": env.random((n, MAX_KRS))[:, :k],
            "resolve": env.random((n, MAX_KRS))[:, :k],
            "breakthrough": env.random(n),
            "audit": audit.random((n, MAX_KRS))[:, :k],
            "misperception": env.standard_normal((n, MAX_KRS))[:, :k],
        }

    def end_quarter(self) -> None:
        """Review, records, then learning, imitation, development, leaving and hiring."""
        draws = self.draw_quarter()
        review, left = quarter_end.review(self, draws)
        self.record_quarter(review, left)
        quarter_end.renew(self, review, left, draws)
        self.close_quarter()

    def draw_quarter(self) -> quarter_end.QuarterDraws:
        """The quarter's end's draws, from this run's streams."""
        return quarter_end.QuarterDraws.draw(self.streams, self.base_scenario, self.org.team_size)

    def close_quarter(self) -> None:
        """The run stops after its last quarter."""
        if self.quarter >= self.n_quarters:
            self.running = False

    # -- records (docs/ODD.md §7.12) -------------------------------------------------
    def record_week(self, week_row: dict[str, float] | None = None) -> None:
        if week_row is None:
            (week_row,) = weekly_records.week_rows(
                self.workforce,
                self.week_value,
                week=self.week,
                quarter=self.quarter,
                week_in_quarter=self.week_in_quarter,
            )
        self.week_row = week_row
        self.weekly.add(self.week_row)
        self.datacollector.collect(self)
        if self.weekly_detail is not None:
            self.weekly_detail.record(self.workforce, week=self.week, quarter=self.quarter)

    def record_quarter(self, review: quarter_review.Review, left: Array) -> None:
        wf, tally = self.workforce, self.tally
        columns = records.employee_columns(
            self.quarter, wf, self.policy, tally, review, left=left, alignment=self.alignment
        )
        key_results = records.key_result_columns(self.quarter, wf, self.org, tally, review)
        records.keep_quarter(columns, key_results, stream=self.stream, held=self.held)
        self.quarter_rows.append(records.quarter_row(columns, self.weekly, tally, krs=self.org.krs))

    def weekly_frame(self) -> pd.DataFrame:
        """The weekly model series, one row per week (as Mesa's DataCollector has them)."""
        return self.weekly.frame()

    def quarterly_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.quarter_rows)

    def employee_frame(self) -> pd.DataFrame:
        return records.employee_frame(self.held.employees)

    def key_result_frame(self) -> pd.DataFrame:
        return records.key_result_frame(self.held.key_results)

    def employee_week_frame(self) -> pd.DataFrame:
        """One row per employee × week (empty unless built with ``weekly_detail``)."""
        return self.weekly_detail.frame() if self.weekly_detail is not None else pd.DataFrame()
