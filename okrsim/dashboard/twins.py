"""Twin organisations: one seed, two policies, stepped in lockstep as one Mesa model.

Two :class:`~okrsim.model.OKRModel` runs built with the same seed meet the same
workforce and the same shocks (common random numbers), so whatever differs
between them week by week is the policies' doing, not luck.  Mesa's SolaraViz
controller drives one model; :class:`TwinOrganisations` is that model: its
``step`` advances both organisations one week, and its readers return tidy
frames with an ``organisation`` column that the figure builders in
:mod:`okrsim.report.figures` overlay.

Each organisation is a preset (a scenario file) with the facilitator's lever
settings and the shared world settings applied through
:meth:`Scenario.with_overrides`, i.e. validated like a file.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate

import mesa
import numpy as np
import pandas as pd

from okrsim.dashboard.controls import lever_controls, values
from okrsim.metrics import METRICS
from okrsim.model import WEEKLY_SERIES, OKRModel
from okrsim.params import WEEKS_PER_QUARTER, Scenario, ScenarioError
from okrsim.policies.curves import Array

#: The twins' names, in drawing order (first colour, second colour).
ORGANISATIONS = ("A", "B")
#: Presets the twins start from: the reference and the policy under discussion.
DEFAULT_PRESETS = ("decoupled.toml", "coupled.toml")
#: Environment variable naming the scenario library directory.
LIBRARY_ENV = "OKRSIM_SCENARIOS"
#: Longest a step waits for the page to draw the weeks before it, in seconds.
SHOW_WAIT_S = 5.0
#: The pause a step leaves after the page drew, for the page's thread to read clicks.
SHOW_GAP_S = 0.25


@functools.cache
def presets_dir() -> Path:
    """The preset scenario files shipped inside the package (``okrsim/presets``).

    Read through :mod:`importlib.resources`, so an installed okrsim finds them
    wherever it lives; the repository's ``scenarios/`` is a link to the same
    directory.  A zipped install has no directory on disk: the presets are then
    extracted once, for the life of the process.
    """
    presets = resources.files("okrsim") / "presets"
    if isinstance(presets, Path):
        return presets
    extracted = contextlib.ExitStack()
    atexit.register(extracted.close)
    return extracted.enter_context(resources.as_file(presets))


def library_dir() -> Path:
    """The scenario library: ``$OKRSIM_SCENARIOS``, else ``./scenarios``, else the presets."""
    if os.environ.get(LIBRARY_ENV):
        return Path(os.environ[LIBRARY_ENV])
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return presets_dir()


def scenario_library(directory: Path | None = None, *extra: str | Path) -> dict[str, str]:
    """Every scenario file of the library (and any ``extra`` files), ``{name: path}``.

    Names are file stems, sorted; an extra file whose stem is taken keeps its path
    as its name.
    """
    root = directory or library_dir()
    found = {p.stem: str(p) for p in sorted(root.glob("*.toml"))}
    for path in extra:
        p = Path(path)
        if str(p.resolve()) in {str(Path(v).resolve()) for v in found.values()}:
            continue
        found[p.stem if p.stem not in found else str(p)] = str(p)
    return found


def twin_scenario(
    preset: str | Path, levers: Mapping[str, Any], world: Mapping[str, Any]
) -> Scenario:
    """A preset file with lever and world settings applied, validated.

    Raises
    ------
    ScenarioError
        Naming the file, the key and what was expected.
    """
    base = Scenario.from_toml(preset)
    settings = {**levers, **world}
    if not settings:
        return base
    return base.with_overrides(
        settings, source=f"{Path(preset).name} with the dashboard's settings"
    )


def serialised[**P, R](
    method: Callable[Concatenate[TwinOrganisations, P], R],
) -> Callable[Concatenate[TwinOrganisations, P], R]:
    """``method`` run under the twins' lock, so no step runs while it reads or steps.

    Mesa's Play steps the model in a thread of its own while the page renders
    on the thread of whichever click or update asked for it; without the lock
    a chart could read an organisation half-way through its week (columns of
    different lengths).
    """

    @functools.wraps(method)
    def locked(self: TwinOrganisations, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked


def key_result_statuses(model: OKRModel) -> tuple[Array, Array]:
    """Reported and true status of every key result at the last check-in, shape (n, K)."""
    return model.workforce.reported_status, model.workforce.true_status


@dataclass
class Twin:
    """One of the two organisations: its label, scenario and model."""

    label: str
    preset: str
    scenario: Scenario
    model: OKRModel

    def step(self) -> None:
        self.model.step()


class TwinOrganisations(mesa.Model):
    """Two organisations, one seed, two policies, stepped together one week at a time.

    Parameters
    ----------
    preset_a, preset_b
        Scenario files the organisations start from.
    levers_a, levers_b
        ``{dotted key: value}`` lever settings applied to each preset.
    world
        Settings both share (organisation size, horizon).
    seed
        The one seed of both runs: the same people and the same luck.

    A setting that does not validate against its preset is left out and the
    reason is kept in :attr:`notes` for the page to show; the organisation then
    runs its preset as the file has it.

    Stepping and every reader hold :attr:`lock` (re-entrant), and :meth:`read`
    holds it across a whole chart's reads: Play's thread, Step, and renders
    see whole weeks only.
    """

    def __init__(
        self,
        preset_a: str = "",
        preset_b: str = "",
        levers_a: Mapping[str, Any] | None = None,
        levers_b: Mapping[str, Any] | None = None,
        world: Mapping[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        # Mesa's own generator is unused: each organisation draws from its named streams.
        super().__init__(rng=seed)
        self.lock = threading.RLock()
        self._on_screen = threading.Condition(self.lock)
        self._shown_week = 0
        self._shown_at = 0.0
        self._weeks_per_show: int | None = None  # no page yet: steps never wait
        library = library_dir()
        presets = [
            preset or str(library / default)
            for preset, default in zip((preset_a, preset_b), DEFAULT_PRESETS, strict=True)
        ]
        self.seed = int(seed)
        self.settings: dict[str, Any] = {
            "preset_a": presets[0],
            "preset_b": presets[1],
            "levers_a": dict(levers_a or {}),
            "levers_b": dict(levers_b or {}),
            "world": dict(world or {}),
            "seed": self.seed,
        }
        self.notes: list[str] = []
        self.twins = [
            self._build(name, preset, self.settings[f"levers_{name.lower()}"])
            for name, preset in zip(ORGANISATIONS, presets, strict=True)
        ]
        self._cache: dict[str, Any] = {}
        self.running = True

    def _build(self, name: str, preset: str, levers: Mapping[str, Any]) -> Twin:
        world = self.settings["world"]
        try:
            scenario = twin_scenario(preset, levers, world)
        except ScenarioError as exc:
            self.notes.append(f"Organisation {name}: {exc} — running {Path(preset).name} as is.")
            scenario = Scenario.from_toml(preset)
        own = Scenario.from_toml(preset)
        adjusted = values(own, lever_controls()) != values(scenario, lever_controls())
        label = f"{name}: {Path(preset).stem}{'*' if adjusted else ''}"
        return Twin(label, preset, scenario, OKRModel(scenario, self.seed))

    # -- Mesa -------------------------------------------------------------------------
    @serialised
    def _wrapped_step(self) -> None:
        """Mesa's ``model.step()``: its clock and :meth:`step`, as one step under the lock.

        Mesa 3.5 replaces ``step`` on the instance with this method, which
        advances ``time`` and then calls :meth:`step`; holding the lock around
        both keeps a Step click that races Play from interleaving two weeks.

        Once a page shows this model (:meth:`shown`), a step first waits (at
        most :data:`SHOW_WAIT_S`) until the page has drawn the weeks before it,
        and then :data:`SHOW_GAP_S` more.  Reacton hands a render request to
        whichever thread is rendering, often the one that reads the page's
        messages; if Play asked again before that render ended, that thread
        rendered round after round and read no click until Play stopped.
        """
        if self._on_screen.wait_for(self._may_step, timeout=SHOW_WAIT_S):
            gap = self._shown_at + SHOW_GAP_S - time.monotonic()
            if gap > 0 and self._weeks_per_show is not None:
                self._on_screen.wait(gap)  # the lock is free meanwhile
        if self.running:  # a run that ended stays at its last week (Mesa's time too)
            super()._wrapped_step()

    def _may_step(self) -> bool:
        per_show = self._weeks_per_show
        return per_show is None or self.week - self._shown_week < per_show

    @serialised
    def shown(self, week: int, weeks_per_show: int) -> None:
        """The page has drawn ``week``; it draws every ``weeks_per_show`` weeks."""
        self._shown_week = week
        self._shown_at = time.monotonic()
        self._weeks_per_show = max(1, int(weeks_per_show))
        self._on_screen.notify_all()

    @serialised
    def finish(self) -> int:
        """Run both organisations to their horizon at once; the weeks run.

        Each week is Mesa's step (its clock advances with it), without the
        wait for the page that Play's steps make: "run to end" shows the end.
        """
        weeks = 0
        while self.running:
            super()._wrapped_step()
            weeks += 1
        return weeks

    @serialised
    def switch(self, name: str, levers: Mapping[str, Any]) -> int | None:
        """Organisation ``name`` runs ``levers`` from the start of its next quarter.

        The change enters the organisation's own scenario as a scheduled
        policy change (``[[schedule]]``, validated like a file's), exactly as
        ``decouple_in_year_two.toml`` switches policy: people keep what they
        have learned and their habits.  Returns the quarter the change takes
        effect, or None if no lever differs from the policy in force then.

        Raises
        ------
        ScenarioError
            If the change does not validate (the message names the key).
        """
        twin = self.twins[ORGANISATIONS.index(name)]
        model = twin.model
        quarter = model.quarter + 1
        in_force = twin.scenario.at_quarter(quarter).flat()
        changes = {k: v for k, v in levers.items() if in_force.get(k) != v}
        if not changes or not model.running:
            return None
        data = twin.scenario.model_dump(mode="python")
        data["schedule"] = [*data["schedule"], {"quarter": quarter, "set": changes}]
        scenario = Scenario.from_mapping(data, source=f"organisation {name}'s switch")
        twin.scenario = model.base_scenario = scenario
        self.settings[f"levers_{name.lower()}"] = dict(levers)
        self._cache.clear()
        return quarter

    def policy_changes(self) -> list[tuple[str, int, dict[str, Any]]]:
        """Every scheduled policy change: ``(organisation, week it starts, settings)``."""
        return [
            (name, (change.quarter - 1) * WEEKS_PER_QUARTER, dict(change.set))
            for name, twin in zip(ORGANISATIONS, self.twins, strict=True)
            for change in twin.scenario.schedule
        ]

    @serialised
    def readouts(self) -> list[dict[str, float | None]]:
        """Each organisation's headline numbers now (None before the first review).

        ``attainment`` (reported, at the last review), ``true_value`` (per
        employee-week, the mean of the last 13 weeks: a week alone is mostly
        luck), ``honesty`` (1 − the share of check-ins
        deliberately slanted, last review) and ``trust`` (the mean belief of
        how much of the rating the OKR score decides, now; ``credibility``
        beside it).
        """
        out: list[dict[str, float | None]] = []
        for t in self.twins:
            m = t.model
            last = m.quarter_rows[-1] if m.quarter_rows else None
            value = m.weekly.last(WEEKS_PER_QUARTER)["true_value"]
            out.append(
                {
                    "attainment": None if last is None else float(last["attainment"]),
                    "true_value": float(np.mean(value)) if len(value) else None,
                    "honesty": None if last is None else 1.0 - float(last["slanted_report_share"]),
                    "trust": float(np.mean(m.workforce.coupling_belief)),
                    "credibility": float(np.mean(m.workforce.credibility)),
                }
            )
        return out

    def step(self) -> None:
        """One week in both organisations (one that has reached its horizon waits)."""
        for twin in self.twins:
            if twin.model.running:
                twin.step()
        self._cache.clear()
        self.running = any(t.model.running for t in self.twins)

    # -- readers ----------------------------------------------------------------------
    def read[T](self, build: Callable[[TwinOrganisations], T]) -> T:
        """``build(self)`` with no step part-way: a chart drawn from one week's state."""
        with self.lock:
            return build(self)

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.twins]

    @property
    @serialised
    def week(self) -> int:
        return max(t.model.week for t in self.twins)

    @property
    @serialised
    def quarter(self) -> int:
        return max(t.model.quarter for t in self.twins)

    @property
    @serialised
    def n_employees(self) -> int:
        return min(t.model.workforce.n for t in self.twins)

    @serialised
    def weekly(self) -> pd.DataFrame:
        """Weekly series of both (``WEEKLY_SERIES`` and ``organisation``)."""
        if "weekly" not in self._cache:
            frames = []
            for t in self.twins:
                frame = t.model.weekly_frame().reindex(columns=list(WEEKLY_SERIES))
                frames.append(frame.assign(organisation=t.label))
            self._cache["weekly"] = pd.concat(frames, ignore_index=True)
        weekly: pd.DataFrame = self._cache["weekly"]
        return weekly

    @serialised
    def quarterly(self) -> pd.DataFrame:
        """One row per finished quarter and organisation, every metric."""
        if "quarterly" not in self._cache:
            columns = ["quarter", *METRICS]
            frames = [
                t.model.quarterly_frame().reindex(columns=columns).assign(organisation=t.label)
                for t in self.twins
            ]
            self._cache["quarterly"] = pd.concat(frames, ignore_index=True)
        quarterly: pd.DataFrame = self._cache["quarterly"]
        return quarterly

    @serialised
    def ratings(self) -> pd.DataFrame:
        """The latest review: rating and true contribution per employee and organisation."""
        frames = []
        for t in self.twins:
            if t.model.held.employees:
                latest = t.model.held.employees[-1]
                columns = {
                    name: latest[name] for name in ("employee", "rating", "true_contribution")
                }
                frames.append(pd.DataFrame(columns).assign(organisation=t.label))
        if not frames:
            return pd.DataFrame(columns=["employee", "rating", "true_contribution", "organisation"])
        return pd.concat(frames, ignore_index=True)

    @serialised
    def board(self) -> pd.DataFrame:
        """One row per key result and organisation: reported and true status."""
        frames = []
        for t in self.twins:
            wf = t.model.workforce
            reported, true = key_result_statuses(t.model)
            n, k = reported.shape
            frames.append(
                pd.DataFrame(
                    {
                        "organisation": t.label,
                        "employee": np.repeat(np.arange(n), k),
                        "team": np.repeat(wf.team, k),
                        "kr": np.tile(np.arange(k), n),
                        "reported_status": reported.ravel(),
                        "true_status": true.ravel(),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    # -- one employee -----------------------------------------------------------------
    @serialised
    def employee(self, index: int) -> list[dict[str, Any]]:
        """One employee in both organisations: traits, beliefs, key results and why.

        The same index is the same person in both (same seed, same draws), so the
        two entries show one person under two policies.
        """
        out = []
        for t in self.twins:
            person = t.model.employees[index]
            out.append(
                {
                    "organisation": t.label,
                    "team": person.team,
                    "traits": person.traits(),
                    "beliefs": person.beliefs(),
                    "key_results": person.key_results(),
                    "explain": person.explain(),
                    "targets_set": t.model.week > 0 and t.scenario.okr.enabled,
                }
            )
        return out

    @serialised
    def target_options(self, index: int) -> pd.DataFrame:
        """The target options one employee weighed at the quarter's start, per organisation."""
        rows = []
        for view in self.employee(index):
            if not view["targets_set"]:
                continue
            for multiple, utility in view["explain"]["target_options"].items():
                rows.append(
                    {
                        "organisation": view["organisation"],
                        "target_multiple": float(multiple),
                        "utility": float(utility),
                    }
                )
        return pd.DataFrame(rows, columns=["organisation", "target_multiple", "utility"])

    @serialised
    def effort_split(self, index: int) -> pd.DataFrame:
        """One employee's split of this week across the activities, per organisation."""
        rows = [
            {"organisation": view["organisation"], "activity": activity, "share": share}
            for view in self.employee(index)
            for activity, share in view["explain"]["effort_shares"].items()
        ]
        return pd.DataFrame(rows, columns=["organisation", "activity", "share"])


def _payoff(value: float) -> str:
    return f"{round(value, 2) + 0.0:.2f}"  # + 0.0: no "-0.00"


def why(view: Mapping[str, Any]) -> str:
    """One employee's target and report choices in words, with the payoffs weighed.

    The target is the option of highest expected payoff; it is compared with
    the honest option (a target of what they expect to deliver).
    """
    explain = view["explain"]
    if not view["targets_set"]:
        return "no targets (yet)."
    options = explain["target_options"]
    chosen = max(options, key=options.__getitem__)
    honest = min(options, key=lambda m: abs(float(m) - 1.0))
    target = f"set targets at {float(chosen):.0%} of what they expect to deliver"
    if chosen != honest:
        target += (
            f" (payoff {_payoff(options[chosen])}, against {_payoff(options[honest])} "
            f"for {float(honest):.0%})"
        )
    shading = np.asarray(explain["report_shading"], dtype=float)
    if np.any(shading > 0):
        report = f"reports up to {shading.max():.0%} of target above the truth"
    elif np.any(shading < 0):
        report = f"reports up to {-shading.min():.0%} of target below the truth"
    else:
        report = "reports progress as they see it"
    return f"{target}; {report}."
