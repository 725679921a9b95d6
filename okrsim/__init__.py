"""okrsim: an agent-based model of what happens when OKR attainment drives ratings and pay.

The small public API::

    from okrsim import Scenario, run, compare
    scenario = Scenario.from_toml("scenarios/coupled.toml")
    result = run(scenario, seed=1)          # RunResult: weekly, quarterly, employees
    table = compare([a, b], reps=20, seed=1)  # paired differences with 95 % CIs
"""

from importlib.metadata import PackageNotFoundError, version

from okrsim.params import Scenario, ScenarioError
from okrsim.run import RunResult, run

try:
    __version__ = version("okrsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["RunResult", "Scenario", "ScenarioError", "__version__", "run"]
