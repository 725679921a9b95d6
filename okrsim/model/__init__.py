"""The Mesa model, one module per submodel of docs/ODD.md §7.

==============================  ===========================================
module                          ODD section
==============================  ===========================================
:mod:`~okrsim.model.model`      §3 process overview (:class:`OKRModel`)
:mod:`~okrsim.model.week`       §3 the week's submodels in order, for one run or a cohort
:mod:`~.quarter_start`          §3 the quarter's start in order, for one run or a cohort
:mod:`~.quarter_end`            §3 the quarter's end in order, for one run or a cohort
:mod:`~okrsim.model.ensemble`   §3 runs stepped together (cohorts of one policy)
:mod:`~.stacking`               §3 a cohort gathered from its runs and handed back
:mod:`~.stacked_choice`         §3 report choices of several runs in one call
:mod:`~.each_run`               §3 values a cohort's runs may differ in
:mod:`~okrsim.model.workforce`  §2.2 state variables (struct of arrays)
:mod:`~okrsim.model.agents`     §2.1 entities (Mesa agents viewing rows)
:mod:`~.organisation`           §2.1 teams, dependencies; public figures
:mod:`~.in_force`               §7.1 policy in force and schedule
:mod:`~.alignment`              §7.2 alignment
:mod:`~.target_setting`         §7.3 target setting
:mod:`~.blocker_surfacing`      §7.4 blocker surfacing
:mod:`~.effort_allocation`      §7.5 effort allocation (intensity and split)
:mod:`~.work`                   §7.6 work: the ground truth (and stress)
:mod:`~.check_in`               §7.7 check-in
:mod:`~.quarter_review`         §7.8 quarter review (judgment)
:mod:`~.turnover`               §7.9 staying or leaving
:mod:`~.learning`               §7.10 learning and imitation
:mod:`~.development`            §7.11 development
:mod:`~.records`, :mod:`~.weekly_records`, :mod:`~.tally`  §7.12 records
:mod:`~.policy_beliefs`, :mod:`~.rating_evidence`  §7.13 beliefs about the policy
:mod:`~.booking`                §7.14 booking across the quarter's end
:mod:`~.decision_rules`         §7.15 decision rules (optimise, learn, satisfice)
:mod:`~.outlook`                §4.6 prediction
==============================  ===========================================
"""

from okrsim.model.agents import Employee, Manager
from okrsim.model.model import OKRModel
from okrsim.model.weekly_records import AGENT_REPORTERS, WEEKLY_SERIES
from okrsim.model.workforce import Workforce

__all__ = ["AGENT_REPORTERS", "WEEKLY_SERIES", "Employee", "Manager", "OKRModel", "Workforce"]
