"""The Mesa model, one module per submodel of docs/ODD.md §7.

==============================  ===========================================
module                          ODD section
==============================  ===========================================
:mod:`~okrsim.model.model`      §3 process overview (:class:`OKRModel`)
:mod:`~okrsim.model.workforce`  §2.2 state variables (struct of arrays)
:mod:`~okrsim.model.agents`     §2.1 entities (Mesa agents viewing rows)
:mod:`~.organisation`           §2.1 teams, dependencies; public figures
:mod:`~.in_force`               §7.1 policy in force and schedule
:mod:`~.target_setting`         §7.2 target setting
:mod:`~.blocker_surfacing`      §7.3 blocker surfacing
:mod:`~.effort_allocation`      §7.4 effort allocation
:mod:`~.work`                   §7.5 work: the ground truth (and stress)
:mod:`~.check_in`               §7.6 check-in
:mod:`~.quarter_review`         §7.7 quarter review
:mod:`~.learning`               §7.8 learning and imitation
:mod:`~.development`            §7.9 development
:mod:`~.records`, :mod:`~.tally`  §7.10 records
:mod:`~.outlook`                §4.6 prediction
==============================  ===========================================
"""

from okrsim.model.agents import Employee, Manager
from okrsim.model.model import AGENT_REPORTERS, OKRModel
from okrsim.model.records import WEEKLY_SERIES
from okrsim.model.workforce import Workforce

__all__ = ["AGENT_REPORTERS", "WEEKLY_SERIES", "Employee", "Manager", "OKRModel", "Workforce"]
