"""The words a report uses, explained, and what a report is and is not.

Every report ends with a glossary (each metric it shows, by its plain title,
with its key, meaning and unit, and the few statistical words it uses) and a
note saying that it is a model, not a measurement, with the model's key
assumptions in words and the organisation it simulated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from okrsim.data_dictionary import METRIC_UNITS, metric_title
from okrsim.metrics import METRICS
from okrsim.params import Scenario


@dataclass(frozen=True)
class Entry:
    """One glossary entry: the term as the report shows it, its key (if any) and meaning."""

    term: str
    key: str
    meaning: str


#: Words the reports use that are not metrics.
TERMS: Final = (
    Entry(
        "reference policy",
        "",
        "the first policy of a comparison; every other policy is compared with it",
    ),
    Entry(
        "paired run",
        "replication",
        "one simulated organisation run under each policy with the same people and the same "
        "shocks (common random numbers), so the difference between the runs is the policy's "
        "doing; “higher in 18 of 20 paired runs” counts the pairs where it went that way",
    ),
    Entry(
        "95 % interval",
        "ci_low, ci_high",
        "the range the average paired difference lies in with 95 % confidence, given the "
        "runs made; when it includes no change, the report calls the change unclear",
    ),
    Entry(
        "points",
        "",
        "percentage points: a share going from 12 % to 30 % rises by 18 points",
    ),
    Entry(
        "coupling",
        "comp.coupling",
        "the share of a rating taken by formula from OKR attainment; the rest is the "
        "manager's judgment",
    ),
    Entry(
        "value units",
        "",
        "what one average person's fully aligned key-result work produces in a week is worth "
        "1; true value counts that work, non-OKR work and the incidents its neglect causes, "
        "help to colleagues and exploration breakthroughs",
    ),
    Entry(
        "Goodhart's law",
        "",
        "when a measure becomes a target it ceases to be a good measure; here: the distance "
        "between the OKR score and the value really delivered",
    ),
    Entry(
        "hours",
        "",
        "working time is put in hours of a 40-hour week only to make it readable",
    ),
)


def metric_entries(metrics: Sequence[str]) -> list[Entry]:
    """An entry per metric shown: plain title, key, meaning and unit."""
    return [
        Entry(metric_title(m), m, f"{METRICS[m]}; unit: {METRIC_UNITS[m]}")
        for m in dict.fromkeys(metrics)
        if m in METRICS
    ]


def glossary(metrics: Sequence[str]) -> list[Entry]:
    """The metrics shown, then the other terms, each group alphabetical by its title."""
    return sorted(metric_entries(metrics), key=lambda e: e.term.lower()) + sorted(
        TERMS, key=lambda e: e.term.lower()
    )


#: What a report is not, and the assumptions behind every number in it.
IS_NOT: Final = (
    "It is a model, not a measurement: every number comes from simulated people whose "
    "behaviour follows stated rules, not from any real organisation's data. It shows the "
    "direction and rough size of what those rules imply; it does not forecast your "
    "organisation's figures."
)
ASSUMPTIONS: Final = (
    "People set targets, split their effort, report progress and raise or hide blockers by "
    "weighing what each choice is worth to them under the policy as they believe it to be; "
    "they learn those beliefs from their own and their colleagues' experience.",
    "Managers judge contribution as people do: with noise, leniency, a halo from visible "
    "work and a bias to recent weeks; under coupling, part of the rating is instead taken "
    "by formula from reported OKR attainment.",
    "True value is computed beside what the organisation measures and is never seen by it: "
    "key-result work weighted by its strategic alignment, non-OKR work and the incidents "
    "its neglect causes, help to colleagues and exploration breakthroughs.",
    "People leave when an outside offer beats staying and are replaced by new hires, so who "
    "stays is an outcome of the policy, not an input.",
    "Policies differ only in the settings listed; every policy meets the same people and the "
    "same shocks, so differences are the policies' effects rather than luck.",
    "Every rule and default value, with its source, is in the model description "
    "(docs/ODD.md); settings not listed are the defaults described there.",
)


def organisation_words(scenario: Scenario) -> str:
    """The simulated organisation in one sentence: size, horizon, review cadence."""
    people = scenario.org.n_teams * scenario.org.team_size
    quarters = scenario.horizon.quarters
    years = quarters / 4
    span = f"{years:g} year{'s' if years != 1 else ''}" if quarters % 4 == 0 else ""
    return (
        f"{people} people in {scenario.org.n_teams} teams of {scenario.org.team_size}, "
        f"simulated week by week for {quarters} quarters" + (f" ({span})" if span else "") + "."
    )
