"""Development: capability grows with exploration and erodes under sustained stress.

``capability ← capability·(1 + growth·exploration share − erosion·stress)``
each quarter; employees know their own growth, so the belief about one's
capability moves with it.  Both rates are assumptions.

docs/ODD.md §7.11 (development).
"""

from __future__ import annotations

from okrsim.model.in_force import InForce
from okrsim.model.tally import Tally
from okrsim.model.workforce import Workforce
from okrsim.params import WEEKS_PER_QUARTER


def develop(wf: Workforce, policy: InForce, tally: Tally) -> None:
    """Grow or erode every employee's capability by the quarter's exploration and stress."""
    explore = tally.effort[:, 3] / WEEKS_PER_QUARTER
    growth = (
        policy.value("env.capability_growth") * explore
        - policy.value("env.pressure_erosion") * wf.stress
    )
    wf.capability *= 1.0 + growth
    wf.capability_belief *= 1.0 + growth
