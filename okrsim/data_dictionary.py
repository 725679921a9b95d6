"""The data dictionary: every column of every file okrsim writes, with meaning, unit and grain.

One source for three readers: ``docs/DATA.md`` is rendered from it
(``python -m okrsim.data_dictionary > docs/DATA.md``), the Parquet writers
store each column's entry as field metadata (:func:`annotate`), so
``pyarrow.parquet.read_schema(f).field(c).metadata`` describes the column
wherever the file travels, and a test checks that nothing okrsim writes goes
undocumented.

Files are keyed ``<command>/<path inside the output directory>``, e.g.
``run/weekly.parquet`` or ``sweep/runs/*.parquet``.  Some columns exist once
per metric, per swept scenario key or per key result; they are documented as
patterns with a placeholder in angle brackets:

``<metric>``
    any metric of :data:`okrsim.metrics.METRICS`; its meaning is taken from
    there and its unit from :data:`METRIC_UNITS`.
``<run_metric>``
    a figure of a whole run of :data:`okrsim.metrics.RUN_METRICS` (how long a
    scheduled policy change takes to show), in quarters.
``<axis>``
    a swept scenario key, named by its dotted TOML key (``comp.coupling``);
    its meaning is the field's description in :mod:`okrsim.params`.
``<j>``, ``<first>``, ``<last>``
    a key result's number (1 … ``okr.krs_per_person``) and week numbers
    within the quarter.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from okrsim import params
from okrsim.metrics import METRICS, RUN_METRICS

#: Units, in the words the introduction of docs/DATA.md defines.
OUTPUT = "output units (an average employee produces 1 per full week)"
VALUE = "value units (1 output unit of fully aligned key-result work = 1)"
RATING = "rating units (1 = target met / average contribution)"
SHARE = "share 0–1"
COUNT = "count"
WEEKS = "weeks"
NONE = "—"
SANDBAG = "share of own expected output (0 = target equals it)"
ATTAINMENT = "ratio to target (1 = target met)"
QUARTERS = "quarters"
#: How docs/DATA.md's tables write the units its introduction defines.
_SHORT: Final = {OUTPUT: "output units", VALUE: "value units", RATING: "rating units"}

#: Unit of each metric in :data:`okrsim.metrics.METRICS` (its meaning lives there).
#: Output is in output units: an average employee (capability 1) produces 1 per
#: full week of key-result work; value is in value units, one output unit of
#: fully aligned key-result work being worth 1.
METRIC_UNITS: Final[dict[str, str]] = {
    "sandbagging_index": SANDBAG,
    "attainment": ATTAINMENT,
    "true_attainment": ATTAINMENT,
    "true_value": "value units per employee-week",
    "reporting_bias": "share of target",
    "biased_report_share": "share 0–1 of check-ins",
    "slanted_report_share": "share 0–1 of check-ins",
    "optimistic_report_ratio": "ratio (count / count)",
    "blocker_latency_weeks": "weeks",
    "hidden_blocker_share": "share 0–1 of blocked key-result weeks",
    "kr_share": "share 0–1 of working time",
    "help_share": "share 0–1 of working time",
    "bau_share": "share 0–1 of working time",
    "exploration_share": "share 0–1 of working time",
    "visibility_share": "share 0–1 of working time",
    "intensity": "multiple of a normal week's hours",
    "quit_rate": "share 0–1 of employees per quarter",
    "leaver_capability_ratio": "ratio (mean capability / mean capability)",
    "alignment": "share 0–1 of goal-directed work's full strategic value",
    "incident_backlog": "output units of non-OKR work per employee",
    "breakthrough_rate": "count per employee-quarter",
    "goodhart_corr": "correlation −1–1",
    "rating_accuracy": "correlation −1–1",
    "watermelon_share": "share 0–1 of key-result check-ins",
    "stress": "index 0–1",
    "wellbeing": "index 0–1",
    "overhead_share": "share 0–1 of working time",
    "target_revisions": "count per employee-quarter",
    "failed_bets": "share 0–1 of employees per quarter",
    "revision_requests": "count per employee-quarter",
    "dependency_delay_weeks": "weeks per key-result-quarter",
    "capability": "output units per full week (average employee 1)",
    "kr_output": "output units per employee-week",
    "aligned_output": "output units × alignment per employee-week",
    "kr_share_when_ahead": "share 0–1 of working time",
    "target_error": "ratio to target",
    "just_met_share": "share 0–1 of key results",
    "hidden_reported_progress": "ratio to target",
    "hidden_true_progress": "ratio to target",
    "late_share": "share 0–1 of key-result output",
    "booked_elsewhere": "share 0–1 of key-result output",
    "met_while_short": "share 0–1 of key results",
    "effort_cut_behind": "share 0–1 of employees",
    "coupling_belief": SHARE,
    "coupling_belief_sd": SHARE,
    "bad_news_belief": "rating units per piece of bad news",
    "bad_news_belief_sd": "rating units per piece of bad news",
    "ratchet_belief": SHARE,
    "ratchet_belief_sd": SHARE,
    "audit_belief": "chance per key-result report and week",
    "audit_belief_sd": "chance per key-result report and week",
    "credibility": SHARE,
    "credibility_sd": SHARE,
}


#: A plain-language title for each metric of :data:`okrsim.metrics.METRICS`, for
#: readers who do not know the snake_case key: chart panels, report tables, the
#: dashboard's labels.  The key stays the name everywhere else and is shown
#: beside the title in tooltips and glossaries (:func:`metric_title`).
METRIC_TITLES: Final[dict[str, str]] = {
    "sandbagging_index": "Sandbagging of targets",
    "attainment": "Reported OKR attainment",
    "true_attainment": "True OKR attainment",
    "true_value": "True value delivered",
    "reporting_bias": "Over-reporting of progress",
    "biased_report_share": "Check-ins that misstate progress",
    "slanted_report_share": "Check-ins deliberately slanted",
    "optimistic_report_ratio": "Optimistic vs pessimistic misstatements",
    "blocker_latency_weeks": "Weeks before a blocker is raised",
    "hidden_blocker_share": "Hidden blockers",
    "kr_share": "Time on key results",
    "help_share": "Time helping colleagues",
    "bau_share": "Time on non-OKR work",
    "exploration_share": "Time exploring",
    "visibility_share": "Time spent being seen",
    "intensity": "Hours worked",
    "quit_rate": "People leaving per quarter",
    "leaver_capability_ratio": "Capability of leavers vs stayers",
    "alignment": "Strategic alignment of work",
    "incident_backlog": "Neglected non-OKR work",
    "breakthrough_rate": "Exploration breakthroughs",
    "goodhart_corr": "OKR score tracks true contribution",
    "rating_accuracy": "Ratings track true contribution",
    "watermelon_share": "Watermelon key results",
    "stress": "Stress",
    "wellbeing": "Wellbeing",
    "overhead_share": "Time on negotiation and status work",
    "target_revisions": "Mid-quarter target revisions",
    "failed_bets": "People whose exploration failed",
    "revision_requests": "Target revisions asked for",
    "dependency_delay_weeks": "Weeks stalled on other teams",
    "capability": "Capability of the workforce",
    "kr_output": "Key-result output",
    "aligned_output": "Aligned key-result output",
    "kr_share_when_ahead": "Key-result time once targets are safe",
    "target_error": "Distance of results from targets",
    "just_met_share": "Key results just met",
    "hidden_reported_progress": "Reported progress behind hidden blockers",
    "hidden_true_progress": "True progress behind hidden blockers",
    "late_share": "Work done in the quarter's last weeks",
    "booked_elsewhere": "Work booked in another quarter",
    "met_while_short": "Key results reported met while short",
    "effort_cut_behind": "People who gave up when behind",
    "coupling_belief": "Believed weight of the OKR score",
    "coupling_belief_sd": "Spread of the believed weight",
    "bad_news_belief": "Expected penalty for bad news",
    "bad_news_belief_sd": "Spread of the expected penalty",
    "ratchet_belief": "Believed ratchet of targets",
    "ratchet_belief_sd": "Spread of the believed ratchet",
    "audit_belief": "Believed chance of an audit",
    "audit_belief_sd": "Spread of the believed audit chance",
    "credibility": "Trust in what the organisation says",
    "credibility_sd": "Spread of trust",
}


def metric_title(metric: str) -> str:
    """The plain-language title of ``metric``, or the key itself for a name with none.

    Front ends show the title and keep the key for the tooltip, so a reader
    can always find the column the title stands for.
    """
    return METRIC_TITLES.get(metric, metric)


def metric_tooltip(metric: str) -> str:
    """What a tooltip on ``metric``'s title says: the key, its meaning and its unit."""
    meaning = METRICS.get(metric) or RUN_METRICS.get(metric, "")
    unit = METRIC_UNITS.get(metric, "")
    return f"{metric}: {meaning}" + (f" ({unit})" if unit else "")


@dataclass(frozen=True)
class Column:
    """What one column holds: its meaning, its unit and the grain of its file's rows."""

    name: str
    description: str
    unit: str
    grain: str


@dataclass(frozen=True)
class DataFile:
    """One file okrsim writes: who writes it, what a row is, and its columns.

    ``columns`` are ``(name or pattern, description, unit)``; a description or
    unit may refer to a pattern's placeholder as ``{metric}``, ``{axis}``,
    ``{j}``, ``{first}``, ``{last}``, and to the metric's or scenario key's
    own meaning and unit as ``{meaning}`` and ``{unit}``.
    """

    key: str
    about: str
    grain: str
    columns: tuple[tuple[str, str, str], ...]

    @property
    def command(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def path(self) -> str:
        return self.key.split("/", 1)[1]


# -- the columns ----------------------------------------------------------------

_METRIC = "<metric>"
_RUN_METRIC = "<run_metric>"
_AXIS = "<axis>"

#: Columns that mean the same in every file that has them.
QUARTER: Final = ("quarter", "quarter of the run, 1-based", QUARTERS)
EMPLOYEE: Final = ("employee", "employee seat, 0-based (a newcomer takes a leaver's seat)", NONE)
TEAM: Final = ("team", "team, 0-based", NONE)

WEEKLY_COLUMNS: Final = (
    ("week", "week of the run, 1-based; a quarter is 13 weeks", WEEKS),
    ("quarter", "quarter of the run the week falls in, 1-based", QUARTERS),
    ("sandbagging_index", "mean over employees of 1 − Σ target / Σ own expected output", SANDBAG),
    ("true_value", "true value delivered this week, mean per employee", VALUE),
    ("reported_progress", "reported progress / target, mean over key results", "ratio to target"),
    ("true_progress", "true progress / target, mean over key results", "ratio to target"),
    (
        "expected_progress",
        "share of the quarter elapsed: the progress due by now on an even pace",
        "ratio to target",
    ),
    ("kr_share", "share of effort on key-result work, mean over employees", SHARE),
    ("help_share", "share of effort spent helping colleagues, mean over employees", SHARE),
    ("bau_share", "share of effort on non-OKR (business-as-usual) work", SHARE),
    ("exploration_share", "share of effort on exploration", SHARE),
    ("blocked_share", "share of key results blocked this week", SHARE),
    ("hidden_blocker_share", "share of blocked key results whose blocker is hidden", SHARE),
    (
        "watermelon_share",
        "share of key results reported on track while truly off track",
        SHARE,
    ),
    ("stress", "mean stress", "index 0–1"),
    ("incident_backlog", "neglected non-OKR work outstanding, mean per employee", OUTPUT),
)

EMPLOYEE_COLUMNS: Final = (
    QUARTER,
    EMPLOYEE,
    TEAM,
    ("target", "the quarter's targets, summed over the employee's key results", OUTPUT),
    ("expected_output", "own expected output over the quarter, summed over key results", OUTPUT),
    ("sandbagging_index", "1 − target / own expected output (> 0 = targets set low)", SANDBAG),
    (
        "true_output",
        "key-result output booked in the quarter, truly done: produced in it, "
        "less what was held back into the next quarter, plus what was pulled in from it",
        OUTPUT,
    ),
    ("reported_output", "reported key-result output at the quarter's last check-in", OUTPUT),
    (
        "attainment",
        "measured attainment: reported output / target, mean over key results",
        ATTAINMENT,
    ),
    (
        "true_attainment",
        "true output / target, mean over key results",
        ATTAINMENT,
    ),
    ("score", "formulaic OKR score: the bonus curve (or rank band) of measured attainment", RATING),
    ("judged", "the manager's judged rating for the quarter", RATING),
    (
        "rating",
        "rating in force: coupling × score + (1 − coupling) × judged, settled at each review",
        RATING,
    ),
    (
        "true_contribution",
        "the employee's true contribution to value over the quarter "
        "(help credited to the helper, exploration by its expected value)",
        VALUE,
    ),
    ("value_delivered", "true value the employee's work created over the quarter", VALUE),
    ("kr_output", "true key-result output over the quarter (own work plus help received)", OUTPUT),
    ("aligned_output", "key-result output times its team's strategic alignment", OUTPUT),
    ("alignment", "the employee's team's strategic alignment this quarter", SHARE),
    ("kr_share", "share of effort on key-result work over the quarter", SHARE),
    ("bau_share", "share of effort on non-OKR work over the quarter", SHARE),
    ("help_share", "share of effort spent helping over the quarter", SHARE),
    ("exploration_share", "share of effort on exploration over the quarter", SHARE),
    (
        "visibility_share",
        "share of effort making one's work visible to the manager over the quarter",
        SHARE,
    ),
    (
        "intensity",
        "hours worked per week in the seat, as a multiple of a normal week "
        "(empty if the seat was vacant all quarter)",
        "multiple",
    ),
    (
        "tenure_weeks",
        "weeks the seat's holder has been in it at the review (negative: still vacant)",
        WEEKS,
    ),
    ("left", "the holder leaves at this review (a newcomer takes the seat)", "true/false"),
    (
        "kr_share_when_ahead",
        "key-result share late in the quarter in weeks when reports met "
        "every target (empty if never)",
        SHARE,
    ),
    ("target_error", "|measured attainment − 1|, mean over key results", "ratio to target"),
    ("just_met_share", "share of key results recorded just above target (1.0 to 1.1)", SHARE),
    (
        "met_while_short",
        "share of key results reported met at the quarter's end while truly below 80 % of "
        "target (empty without OKRs)",
        SHARE,
    ),
    (
        "effort_cut_behind",
        "1 if truly behind pace on a key result at the week-7 check-in and key-result "
        "share × intensity was lower in weeks 8–13 than in weeks 1–7, else 0 "
        "(empty without OKRs)",
        SHARE,
    ),
    ("help_given", "own output spent helping colleagues over the quarter", OUTPUT),
    ("help_received", "output added to own key results by colleagues' help", OUTPUT),
    ("raises", "blockers raised (made visible) over the quarter", COUNT),
    ("incidents", "value lost to incidents caused by neglected non-OKR work", VALUE),
    ("breakthroughs", "exploration breakthroughs over the quarter", COUNT),
    (
        "failed_bet",
        "1 if the employee explored in the quarter and no breakthrough came (a failed bet)",
        "indicator 0/1",
    ),
    ("stress", "stress at the quarter's end", "index 0–1"),
    ("capability", "true capability", "output units per full week (average employee 1)"),
    (
        "coupling_belief",
        "believed share of the rating the OKR score decides, held this quarter",
        SHARE,
    ),
    (
        "bad_news_belief",
        "rating mark expected per piece of bad news (a raised blocker, or a key result "
        "red all quarter), held this quarter; < 0: a credit",
        "rating units per piece of bad news",
    ),
    (
        "ratchet_belief",
        "believed share by which next quarter's target follows reported output",
        SHARE,
    ),
    ("audit_belief", "believed weekly chance a key-result report is audited", "chance per week"),
    (
        "credibility",
        "share of the way the employee moves a belief towards what the organisation states",
        SHARE,
    ),
    (
        "biased_reports",
        "key-result check-ins whose report misstates true progress by > 10 %",
        COUNT,
    ),
    ("optimistic_reports", "biased check-ins that overstate progress", COUNT),
    ("slanted_reports", "check-ins deliberately reported > 10 % away from perception", COUNT),
    ("reports", "key-result check-ins (key results × weeks)", COUNT),
    ("reporting_bias", "reported − true progress at check-ins, mean over weeks", "share of target"),
    ("target_revisions", "mid-quarter target revisions (agreed by the manager)", COUNT),
    ("revision_requests", "mid-quarter target revisions asked for", COUNT),
    (
        "dependency_delay_weeks",
        "key-result weeks stalled on an upstream colleague, summed over key results",
        WEEKS,
    ),
    ("overhead_share", "share of time on negotiation and status work", SHARE),
    (
        "late_kr_output",
        "key-result output produced in the quarter's last three weeks (weeks 11–13)",
        OUTPUT,
    ),
    (
        "booked_elsewhere_output",
        "key-result output booked across the quarter's end: held back into the next "
        "quarter or pulled in from it",
        OUTPUT,
    ),
)

KEY_RESULT_COLUMNS: Final = (
    QUARTER,
    EMPLOYEE,
    TEAM,
    ("kr", "key result of the employee, 0-based", NONE),
    ("target", "the quarter's target (empty without OKRs)", OUTPUT),
    ("offer", "the target the employee proposed before negotiation or assignment", OUTPUT),
    ("expected_output", "the employee's own expected output for the quarter", OUTPUT),
    (
        "true_output",
        "output booked on the key result in the quarter, truly done (as true_output per employee)",
        OUTPUT,
    ),
    (
        "booked_across",
        "output booked in this quarter but produced in another: carried in at its start less "
        "moved out at its end (true_output − the output of weeks 1–13)",
        OUTPUT,
    ),
    ("reported_output", "reported output at the quarter's last check-in", OUTPUT),
    (
        "attainment",
        "measured attainment: reported output / target",
        ATTAINMENT,
    ),
    (
        "aspirational",
        "an aspirational (stretch, expected ~0.7) rather than committed key result",
        "true/false",
    ),
    ("shared", "shared with the upstream team and graded on both owners' results", "true/false"),
    ("dependent", "waits on an upstream colleague's result", "true/false"),
    (
        "first_blocked_week",
        "week of the quarter (1–13) it was first blocked; empty if never",
        WEEKS,
    ),
    (
        "raised_week",
        "week of the quarter (1–13) its blocker was first raised; empty if never",
        WEEKS,
    ),
    ("output_weeks_<first>_<last>", "true output in weeks {first}–{last} of the quarter", OUTPUT),
    (
        "reported_status",
        "status reported at the last check-in: on_track, at_risk, off_track "
        "or no_target (≥ 0.9 / < 0.7 of the progress due)",
        NONE,
    ),
    ("true_status", "the same status from true progress", NONE),
)

EMPLOYEE_WEEK_COLUMNS: Final = (
    ("week", "week of the run, 1-based", WEEKS),
    QUARTER,
    EMPLOYEE,
    TEAM,
    ("kr_share", "share of the week's effort on key-result work", SHARE),
    ("bau_share", "share of the week's effort on non-OKR work", SHARE),
    ("help_share", "share of the week's effort spent helping", SHARE),
    ("explore_share", "share of the week's effort on exploration", SHARE),
    ("visible_share", "share of the week's effort making one's work visible", SHARE),
    ("reported_kr<j>", "reported progress on key result {j} so far this quarter", OUTPUT),
    ("true_kr<j>", "true progress on key result {j} so far this quarter", OUTPUT),
    ("blocked_kr<j>", "key result {j} is blocked", "true/false"),
    ("raised_kr<j>", "key result {j}'s blocker has been raised", "true/false"),
)

COMPARISON_COLUMNS: Final = (
    ("metric", "metric name (see Metrics), or a figure of a whole run", NONE),
    ("scenario_a", "the reference scenario (the first given)", NONE),
    ("scenario_b", "the scenario compared with it", NONE),
    ("mean_a", "the metric's mean over a's replications", "the metric's unit"),
    ("mean_b", "the metric's mean over b's replications", "the metric's unit"),
    ("diff", "mean paired difference b − a over replications", "the metric's unit"),
    ("ci_low", "lower end of the 95 % CI of diff (paired t)", "the metric's unit"),
    ("ci_high", "upper end of the 95 % CI of diff (paired t)", "the metric's unit"),
    ("cohens_d", "diff / sd of the paired differences", "sd units"),
)

SEED_COLUMNS: Final = (
    ("seed_entropy", "entropy of the root SeedSequence the run was spawned from", NONE),
    ("spawn_key", "the run's spawn key under the root seed (rebuilds the run exactly)", NONE),
)

#: The ``versions`` of a run's or a sweep's manifest (okrsim.provenance.versions).
VERSIONS: Final = (
    "versions of Python and the libraries that decide the results, and okrsim's own code as "
    "`okrsim source`, a hash of its modules and presets (okrsim.provenance.source)"
)

RUN_MANIFEST: Final = (
    ("scenario_file", "the scenario file the run was loaded from", NONE),
    ("scenario", "the full validated scenario, every key with its value", NONE),
    ("seed", "entropy and spawn key of the run's SeedSequence", NONE),
    ("files", "the Parquet files written", NONE),
    (
        "summary",
        "each metric's mean over the run's quarters, and the run's figures (recovery after a "
        "scheduled change)",
        "each metric's unit",
    ),
    ("versions", VERSIONS, NONE),
    (
        "numerics",
        "the machine's numerics: a fingerprint of the last bits of the compiled functions a "
        "run uses, the CPU and the C library (okrsim.provenance)",
        NONE,
    ),
)

SWEEP_IDS: Final = (
    ("run_id", "the run's index in the plan (point_id × replications + replication)", NONE),
    ("point_id", "design point, 0-based (a row of design.parquet)", NONE),
    ("replication", "replication at the design point, 0-based", NONE),
)

SWEEP_AXIS: Final = (_AXIS, "the run's value of the swept scenario key {axis}: {meaning}", "{unit}")

SWEEP_MANIFEST: Final = (
    ("format", "version of the store's layout", NONE),
    ("experiment_file", "the experiment file the sweep was planned from", NONE),
    ("experiment", "the experiment file's content as loaded", NONE),
    ("design_hash", "hash of everything that determines the rows; resuming checks it", NONE),
    ("plan", "the plan: design, axes, replications, seed, metrics, statistic, base scenario", NONE),
    ("n_points", "design points", COUNT),
    ("n_runs", "runs planned (points × replications)", COUNT),
    ("columns", "name and Arrow type of every column of runs, series and failures", NONE),
    ("versions", VERSIONS, NONE),
    (
        "computed_on",
        "each environment its runs were computed in (versions and numerics, okrsim.provenance), "
        "in the order first seen; more than one means its rows are not one machine's bits",
        NONE,
    ),
    ("created", "when the sweep was created (UTC, ISO 8601)", NONE),
    (
        "status",
        "running, interrupted, partial or complete; runs stored, failures, last "
        "session's time and speed",
        NONE,
    ),
)

_STATISTIC = (
    "{meaning}: the run's last-quarter value or mean over quarters, as the experiment's "
    "outcomes.statistic says"
)

SWEEP_FAILURE_COLUMNS: Final = (
    *SWEEP_IDS,
    *SEED_COLUMNS,
    SWEEP_AXIS,
    ("parameters", "the design point as JSON", NONE),
    ("error", "exception type and message", NONE),
    ("traceback", "the full Python traceback", NONE),
)

SOBOL_COLUMNS: Final = (
    ("metric", "metric name (see Metrics)", NONE),
    ("input", "the swept scenario key", NONE),
    ("replications_averaged", "replications averaged per design point", COUNT),
    ("S1", "first-order Sobol' index", "share 0–1 of variance"),
    ("S1_conf", "half-width of S1's 95 % bootstrap interval", "share 0–1 of variance"),
    ("ST", "total-order Sobol' index", "share 0–1 of variance"),
    ("ST_conf", "half-width of ST's 95 % bootstrap interval", "share 0–1 of variance"),
)

MORRIS_COLUMNS: Final = (
    ("metric", "metric name (see Metrics)", NONE),
    ("input", "the swept scenario key", NONE),
    ("mu", "mean elementary effect", "the metric's unit per input range"),
    (
        "mu_star",
        "mean absolute elementary effect (importance)",
        "the metric's unit per input range",
    ),
    (
        "mu_star_conf",
        "half-width of mu_star's 95 % bootstrap interval",
        "the metric's unit per input range",
    ),
    (
        "sigma",
        "sd of the elementary effects (interaction or non-linearity)",
        "the metric's unit per input range",
    ),
)

PRIM_TRAJECTORY_COLUMNS: Final = (
    ("where", "the --where condition on the point means", NONE),
    ("step", "peeling step, 0 = the full box", COUNT),
    ("coverage", "share of the points of interest inside the box", SHARE),
    ("density", "share of the box's points that are of interest", SHARE),
    ("mass", "share of all points inside the box", SHARE),
    ("n_points", "design points inside the box", COUNT),
    ("n_restricted", "inputs the box restricts", COUNT),
    ("box", "the box's limits, in words", NONE),
)

PRIM_BOX_COLUMNS: Final = (
    ("step", "the selected box's peeling step", COUNT),
    ("input", "the swept scenario key", NONE),
    ("restricted", "whether the box restricts this input", "true/false"),
    ("low", "lowest value kept (ranges)", "the input's unit"),
    ("high", "highest value kept (ranges)", "the input's unit"),
    ("categories", "values kept (listed values)", NONE),
)

ROBUSTNESS_MANIFEST: Final = (
    ("format", "version of the robustness directory's layout", NONE),
    ("file", "the robustness file it was run from", NONE),
    ("name", "the robustness experiment's name", NONE),
    ("spec", "the robustness file's content as loaded; resuming checks it", NONE),
    ("effects", "the metrics whose treated − control difference is each run's outcome", NONE),
    ("contrast", "the treated and control policies (dotted keys and values)", NONE),
    ("inputs", "every screened input: the parameters, then the rule factor", NONE),
    ("rule", "the categorical rule factor (e.g. behaviour.decision_rule)", NONE),
    ("excluded", "numeric fields of the covered groups left out, with the reason", NONE),
    ("sources", "each parameter's source for its plausible range", NONE),
    ("stages", "per stage: points, replications, runs, inputs, wall time, sessions, workers", NONE),
    ("selected", "the inputs the Morris screen selected for the Sobol' stage", NONE),
)

FILES: Final[tuple[DataFile, ...]] = (
    DataFile(
        "run/weekly.parquet",
        "The model-level series, week by week, after each week's check-in.",
        "one row per week",
        WEEKLY_COLUMNS,
    ),
    DataFile(
        "run/quarterly.parquet",
        "Every metric, quarter by quarter.",
        "one row per quarter",
        (
            QUARTER,
            (_METRIC, "{meaning}", "{unit}"),
        ),
    ),
    DataFile(
        "run/employees.parquet",
        "What each employee targeted, did, reported and was rated: truth and measure side by side.",
        "one row per employee × quarter",
        EMPLOYEE_COLUMNS,
    ),
    DataFile(
        "run/key_results.parquet",
        "Each key result's target, offer, expected, true and reported output, blockers and status.",
        "one row per employee × key result × quarter",
        KEY_RESULT_COLUMNS,
    ),
    DataFile(
        "run/employee_weeks.parquet",
        "Week-by-week detail per employee, written with --weekly-detail.",
        "one row per employee × week",
        EMPLOYEE_WEEK_COLUMNS,
    ),
    DataFile(
        "run/manifest.json",
        "What rebuilds the run: scenario, seed, versions; and its summary.",
        "one JSON object (keys listed)",
        RUN_MANIFEST,
    ),
    DataFile(
        "compare/comparison.csv",
        "Paired differences between the first scenario (a) and each other (b).",
        "one row per metric × b-scenario",
        COMPARISON_COLUMNS,
    ),
    DataFile(
        "compare/by_quarter.csv",
        "The paired differences of comparison.csv quarter by quarter (for a scheduled change: "
        "how the gap opens and closes).",
        "one row per quarter × metric × b-scenario",
        (QUARTER, *COMPARISON_COLUMNS),
    ),
    DataFile(
        "compare/runs.parquet",
        "Every replication of every scenario, summarised.",
        "one row per scenario × replication",
        (
            ("scenario", "scenario name (its file's stem)", NONE),
            (
                "replication",
                "replication, 0-based; the same r shares a seed across scenarios",
                NONE,
            ),
            *SEED_COLUMNS,
            (_METRIC, "mean over the run's quarters of {meaning}", "{unit}"),
            (_RUN_METRIC, "{meaning}", QUARTERS),
        ),
    ),
    DataFile(
        "compare/quarterly.parquet",
        "Every metric of every replication, quarter by quarter.",
        "one row per scenario × replication × quarter",
        (
            QUARTER,
            (_METRIC, "{meaning}", "{unit}"),
            ("scenario", "scenario name (its file's stem)", NONE),
            ("replication", "replication, 0-based", NONE),
        ),
    ),
    DataFile(
        "compare/weekly.parquet",
        "The weekly model series (as in run/weekly.parquet), averaged over replications.",
        "one row per scenario × week (mean over replications)",
        (("scenario", "scenario name (its file's stem)", NONE), *WEEKLY_COLUMNS),
    ),
    DataFile(
        "compare/scenarios.json",
        "Every compared scenario in full.",
        "one JSON object: scenario name → the full validated scenario",
        (("<scenario>", "the scenario {scenario}, every key with its value", NONE),),
    ),
    DataFile(
        "sweep/runs/*.parquet",
        "The sweep's results, one part file per chunk of runs (read the directory as one table).",
        "one row per run (design point × replication)",
        (
            *SWEEP_IDS,
            *SEED_COLUMNS,
            SWEEP_AXIS,
            (_METRIC, _STATISTIC, "{unit}"),
        ),
    ),
    DataFile(
        "sweep/series/*.parquet",
        "Each run's metrics quarter by quarter, if the experiment sets outcomes.series.",
        "one row per run × quarter",
        (
            *SWEEP_IDS,
            QUARTER,
            (_METRIC, "{meaning}", "{unit}"),
        ),
    ),
    DataFile(
        "sweep/failures.parquet",
        "Every run that raised.",
        "one row per failed run",
        SWEEP_FAILURE_COLUMNS,
    ),
    DataFile(
        "sweep/failures/*.parquet",
        "Failures recorded while a session runs, one part per chunk; gathered into "
        "failures.parquet when it ends.",
        "one row per failed run",
        SWEEP_FAILURE_COLUMNS,
    ),
    DataFile(
        "sweep/design.parquet",
        "The design points, fixed when the sweep is planned.",
        "one row per design point",
        (
            ("point_id", "design point, 0-based", NONE),
            (_AXIS, "the point's value of the swept scenario key {axis}: {meaning}", "{unit}"),
            (
                "sample:<axis>",
                "the raw sample coordinate behind {axis} (lhs, sobol and morris designs): in "
                "the axis's range (to high + 1 for integers, then floored), or in [0, 1) for "
                "listed values, x picking the floor(x·k)-th of k",
                "{unit}, or [0, 1) for listed values",
            ),
        ),
    ),
    DataFile(
        "sweep/manifest.json",
        "The experiment as loaded, its design hash, column types, versions and status.",
        "one JSON object (keys listed)",
        SWEEP_MANIFEST,
    ),
    DataFile(
        "analyze/analysis/point_means.csv",
        "Per design point and metric, the mean over replications with a 95 % t-interval.",
        "one row per design point × metric",
        (
            ("point_id", "design point, 0-based", NONE),
            (_AXIS, "the point's value of the swept scenario key {axis}: {meaning}", "{unit}"),
            ("metric", "metric name (see Metrics)", NONE),
            ("n", "replications with a finite value", COUNT),
            ("mean", "mean over replications", "the metric's unit"),
            ("sd", "standard deviation over replications", "the metric's unit"),
            ("ci_low", "lower end of the 95 % Student-t interval of the mean", "the metric's unit"),
            ("ci_high", "upper end of the 95 % Student-t interval", "the metric's unit"),
        ),
    ),
    DataFile(
        "analyze/analysis/sobol.csv",
        "Sobol' indices of sobol designs (replications averaged per point first).",
        "one row per metric × input",
        SOBOL_COLUMNS,
    ),
    DataFile(
        "analyze/analysis/sobol_second_order.csv",
        "Second-order Sobol' indices, when the design asks for them.",
        "one row per metric × pair of inputs",
        (
            ("metric", "metric name (see Metrics)", NONE),
            ("input", "the first swept scenario key", NONE),
            ("input_2", "the second swept scenario key", NONE),
            ("S2", "second-order Sobol' index of the pair", "share 0–1 of variance"),
            ("S2_conf", "half-width of S2's 95 % bootstrap interval", "share 0–1 of variance"),
        ),
    ),
    DataFile(
        "analyze/analysis/morris.csv",
        "Morris elementary effects of morris designs, per unit of each input's normalised range.",
        "one row per metric × input",
        MORRIS_COLUMNS,
    ),
    DataFile(
        "analyze/analysis/prim_trajectory.csv",
        "PRIM's peeling trajectory for analyze --where.",
        "one row per peeling step",
        PRIM_TRAJECTORY_COLUMNS,
    ),
    DataFile(
        "analyze/analysis/prim_box.csv",
        "The selected PRIM box's limits.",
        "one row per input",
        PRIM_BOX_COLUMNS,
    ),
    DataFile(
        "validate/validation.csv",
        "Each check of each empirical pattern. Each sweep behind the checks is a sweep "
        "store in `sweeps/<name>/`, with the files of okrsim sweep above.",
        "one row per check",
        (
            ("pattern", "id of the empirical pattern (docs/VALIDATION.md)", NONE),
            ("metric", "metric checked (see Metrics)", NONE),
            ("expected", "what the finding predicts, in words", NONE),
            ("measured", "the measured effect or level", "the metric's unit"),
            ("ci_low", "lower end of its 95 % CI over replications", "the metric's unit"),
            ("ci_high", "upper end of its 95 % CI", "the metric's unit"),
            ("cohens_d", "standardised effect size (empty for levels)", "sd units"),
            ("pass", "whether the measured value agrees with the finding", "true/false"),
            ("detail", "supporting figures, in words", NONE),
        ),
    ),
    DataFile(
        "robustness/robustness.json",
        "The robustness run's record. Its stages are sweep stores, `screen/` (Morris) and "
        "`resolve/` (Sobol'), with the files of okrsim sweep and analyze above; there each "
        "metric column holds the run's paired effect, treated − control on one seed.",
        "one JSON object (keys listed)",
        ROBUSTNESS_MANIFEST,
    ),
    DataFile(
        "robustness/analysis/morris.csv",
        "The screen's Morris elementary effects of each policy effect.",
        "one row per effect × input",
        MORRIS_COLUMNS,
    ),
    DataFile(
        "robustness/analysis/selection.csv",
        "Which screened inputs the Sobol' stage resolves (top_k by μ* per effect, union).",
        "one row per screened input",
        (
            ("input", "the scenario key (parameter or rule factor)", NONE),
            ("selected", "whether the Sobol' stage varies it", "true/false"),
            ("why", "the effects whose top_k it is in, or 'always' for the rule", NONE),
            ("best_rank", "its best rank by μ* over the effects (1 = largest)", COUNT),
        ),
    ),
    DataFile(
        "robustness/analysis/sobol.csv",
        "Sobol' indices of each policy effect over the selected inputs.",
        "one row per effect × input",
        SOBOL_COLUMNS,
    ),
    DataFile(
        "robustness/analysis/signs.csv",
        "The sign of each policy effect across each stage's design, overall and per rule value.",
        "one row per stage × effect × rule value (and 'all')",
        (
            ("stage", "screen (every input varied) or resolve (the selected inputs)", NONE),
            ("effect", "metric whose treated − control difference this is", NONE),
            ("rule", "the rule factor's value, or 'all'", NONE),
            ("points", "design points with a finite mean effect", COUNT),
            ("mean", "mean over those points of the effect", "the metric's unit"),
            ("ci_low", "lower end of the 95 % t-interval of that mean", "the metric's unit"),
            ("ci_high", "upper end of the 95 % t-interval", "the metric's unit"),
            ("share_positive", "share of the points where the effect is > 0", SHARE),
            ("share_negative", "share of the points where the effect is < 0", SHARE),
            ("robust_sign", "+, − or 0 if that holds at ≥ 95 % of the points, else mixed", NONE),
        ),
    ),
    DataFile(
        "robustness/analysis/prim_trajectory.csv",
        "PRIM's peeling trajectory for each conclusion (e.g. true_value > 0).",
        "one row per conclusion × peeling step",
        (("conclusion", "the conclusion, as a name", NONE), *PRIM_TRAJECTORY_COLUMNS[1:]),
    ),
    DataFile(
        "robustness/analysis/prim_box.csv",
        "The selected PRIM box of each conclusion.",
        "one row per conclusion × input",
        (("conclusion", "the conclusion, as a name", NONE), *PRIM_BOX_COLUMNS),
    ),
)

_BY_KEY: Final = {f.key: f for f in FILES}
_PLACEHOLDER = re.compile(r"<([a-z_]+)>")
_PATTERNS: Final = {
    "metric": r"[a-z][a-z0-9_]*",
    "run_metric": r"[a-z][a-z0-9_]*",
    "axis": r"[a-z_]+\.[a-z0-9_]+",
    "scenario": r".+",
    "j": r"[1-9][0-9]*",
    "first": r"[1-9][0-9]*",
    "last": r"[1-9][0-9]*",
}


def data_file(file: str) -> DataFile:
    """The dictionary's entry for ``file`` (a key such as ``run/weekly.parquet``).

    Raises
    ------
    KeyError
        If okrsim writes no such file.
    """
    try:
        return _BY_KEY[file]
    except KeyError:
        raise KeyError(f"{file}: not a file okrsim writes (known: {', '.join(_BY_KEY)})") from None


def describe(file: str, column: str) -> Column:
    """Meaning, unit and grain of ``column`` in ``file``, resolving patterns.

    Raises
    ------
    KeyError
        If the file or the column is not documented.
    """
    entry = data_file(file)
    for name, description, unit in entry.columns:
        if name == column:
            return Column(column, description, unit, entry.grain)
    for name, description, unit in entry.columns:
        values = _match(name, column)
        if values is not None:
            return Column(column, description.format(**values), unit.format(**values), entry.grain)
    raise KeyError(f"{file}: column {column!r} is not in the data dictionary")


def _match(pattern: str, column: str) -> dict[str, str] | None:
    """The placeholders' values if ``column`` fits ``pattern`` (and names a real metric/key)."""
    if "<" not in pattern:
        return None
    parts = _PLACEHOLDER.split(pattern)  # literal, name, literal, name, ...
    regex = "".join(
        re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_PATTERNS[p]})" for i, p in enumerate(parts)
    )
    m = re.fullmatch(regex, column)
    if m is None:
        return None
    values = dict(m.groupdict())
    if "metric" in values:
        metric = values["metric"]
        if metric not in METRICS:
            return None
        values |= {"meaning": METRICS[metric], "unit": METRIC_UNITS[metric]}
    if "run_metric" in values:
        if values["run_metric"] not in RUN_METRICS:
            return None
        values |= {"meaning": RUN_METRICS[values["run_metric"]], "unit": QUARTERS}
    if "axis" in values:
        try:
            info = params.field_info(values["axis"])
        except (KeyError, AttributeError):
            return None
        values |= {"meaning": info.description or values["axis"], "unit": "as the scenario key"}
    return values


def field_metadata(file: str, column: str) -> dict[bytes, bytes]:
    """Parquet field metadata for ``column``: ``description``, ``unit`` and ``grain``."""
    c = describe(file, column)
    return {
        b"description": c.description.encode(),
        b"unit": c.unit.encode(),
        b"grain": c.grain.encode(),
    }


def annotate(table: pa.Table, file: str) -> pa.Table:
    """``table`` with every field's metadata set from the dictionary entry of ``file``.

    Raises
    ------
    KeyError
        If a column is not documented: okrsim writes nothing undocumented.
    """
    fields = [f.with_metadata(field_metadata(file, f.name)) for f in table.schema]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return pa.Table.from_arrays(table.columns, schema=schema)


# -- docs/DATA.md -----------------------------------------------------------------


def render_markdown() -> str:
    """``docs/DATA.md``: every file, every column, and the metrics the patterns refer to."""
    return "\n".join(_markdown()) + "\n"


def _markdown() -> Iterator[str]:
    yield "# okrsim data dictionary"
    yield ""
    yield (
        "Every column of every file okrsim writes: what it means, its unit and the grain of "
        "the file's rows. Generated by `python -m okrsim.data_dictionary > docs/DATA.md` "
        "(`make data-dictionary`) from `okrsim/data_dictionary.py`; do not edit by hand. "
        "The same text is stored in each Parquet file as field metadata: "
        "`pyarrow.parquet.read_schema(f).field(c).metadata` gives `description`, `unit` and "
        "`grain`."
    )
    yield ""
    yield "Units:"
    yield ""
    yield f"- **output units**: {OUTPUT.removeprefix('output units ')[1:-1]}."
    yield (
        "- **value units**: true value, one output unit of fully aligned key-result work "
        "being worth 1; non-OKR work, help, breakthroughs and incidents are valued on the "
        "same scale (scenario keys `env.*_value`, `env.incident_cost`)."
    )
    yield (
        "- **rating units**: ratings and scores; a score of 1 is a target met, a judged "
        "rating of 1 an average contribution."
    )
    yield "- **share 0–1**: a fraction; **count**: a number of events; **—**: no unit."
    yield ""
    yield "Patterns: a column name with a placeholder in angle brackets stands for many columns."
    yield ""
    yield "- `<metric>`: one column per metric; see [Metrics](#metrics)."
    yield (
        "- `<axis>`: one column per swept scenario key, named by its dotted TOML key "
        "(`comp.coupling`); it means what the key means (its description in "
        "`okrsim/params.py`, listed in scenarios/README.md) and has the key's unit."
    )
    yield (
        "- *meaning* and *unit* in a pattern's row stand for the metric's or the scenario "
        "key's own."
    )
    yield (
        "- `<j>`: a key result's number, 1 … `okr.krs_per_person`; `<first>`, `<last>`: "
        "weeks of the quarter."
    )
    yield ""
    yield "Files are named `<command>/<path inside the --out directory>`."
    for command in dict.fromkeys(f.command for f in FILES):
        yield ""
        yield f"## okrsim {command}"
        for entry in (f for f in FILES if f.command == command):
            yield ""
            yield f"### `{entry.path}`"
            yield ""
            yield f"{entry.about} Grain: {entry.grain}."
            yield ""
            yield "| column | meaning | unit |"
            yield "|---|---|---|"
            for name, description, unit in entry.columns:
                yield f"| `{name}` | {_cell(description)} | {_cell(_SHORT.get(unit, unit))} |"
    yield ""
    yield "## Metrics"
    yield ""
    yield (
        "Named once in `okrsim.metrics.METRICS` and used everywhere: quarterly files hold one "
        "value per quarter, run-level files a statistic of them."
    )
    yield ""
    yield "| metric | meaning | unit |"
    yield "|---|---|---|"
    for metric, meaning in METRICS.items():
        yield f"| `{metric}` | {_cell(meaning)} | {_cell(METRIC_UNITS[metric])} |"
    yield ""
    yield "### Figures of a whole run"
    yield ""
    yield (
        "Named in `okrsim.metrics.RUN_METRICS` and read off a run's quarterly series: in a "
        "run's summary (`manifest.json`) and in `compare`'s `runs.parquet` and comparison."
    )
    yield ""
    yield "| figure | meaning | unit |"
    yield "|---|---|---|"
    for metric, meaning in RUN_METRICS.items():
        yield f"| `{metric}` | {_cell(meaning)} | {QUARTERS} |"


def _cell(text: str) -> str:
    """Table-cell text: a template's placeholders shown as in the column's name."""
    text = text.replace("{meaning}", "*meaning*").replace("{unit}", "*unit*")
    text = re.sub(r"\{([a-z_]+)\}", r"`<\1>`", text)
    return text.replace("|", "\\|")


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
