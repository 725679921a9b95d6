"""okrsim: an agent-based model of what happens when OKR attainment drives ratings and pay.

The small public API::

    from okrsim import Scenario, run, compare
    scenario = Scenario.from_toml("scenarios/coupled.toml")
    result = run(scenario, seed=1)          # RunResult: weekly, quarterly, employees, key results
    table = compare([a, b], reps=20, seed=1)  # paired differences with 95 % CIs

The names are imported on first use, so ``import okrsim`` (and the command
line's ``--help``) does not load the model's libraries.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from okrsim.comparison import Comparison, compare
    from okrsim.params import Scenario, ScenarioError
    from okrsim.simulation import RunResult, run

try:
    __version__ = version("okrsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

#: Public name → the module that defines it.
_PUBLIC = {
    "Comparison": "okrsim.comparison",
    "RunResult": "okrsim.simulation",
    "Scenario": "okrsim.params",
    "ScenarioError": "okrsim.params",
    "compare": "okrsim.comparison",
    "run": "okrsim.simulation",
}

__all__ = ["Comparison", "RunResult", "Scenario", "ScenarioError", "__version__", "compare", "run"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'okrsim' has no attribute {name!r}")
