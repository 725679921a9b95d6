"""Dashboard controls read from the ``Scenario`` schema, never written a second time.

A control's label is the field's plain-language ``title`` (a room reads
"How much of the rating the OKR score decides", not ``comp.coupling``), its
tooltip the dotted key (the one name used everywhere) with the field's
``description``, its range the field's ``ge``/``le`` bounds (or a smaller
``dashboard_le`` the field names, where a live room needs a smaller range);
``Literal`` fields become dropdowns of their values and booleans checkboxes.
A fraction's slider steps by a round number near a twentieth of its range, so
a facilitator reaches any setting with a few presses of an arrow key; a count
steps by one.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from okrsim import params
from okrsim.params import Scenario

ControlKind = Literal["float", "int", "choice", "bool"]

#: The scenario groups that are policy levers (the rest are the world and the run).
LEVER_GROUPS = ("okr", "comp", "judgment")
#: Levers shown for each organisation without opening "more levers".
KEY_LEVERS = (
    "comp.coupling",
    "comp.bonus_curve",
    "comp.evaluation",
    "okr.target_rule",
    "okr.enabled",
    "judgment.blocker_penalty",
)
#: Settings both organisations share: who works there and for how long.
WORLD_KEYS = ("org.n_teams", "org.team_size", "horizon.quarters")
#: Slider steps per range: about twenty arrow-key presses end to end.
STEPS_PER_RANGE = 20


@dataclass(frozen=True)
class Control:
    """One input of the dashboard, as the schema defines it.

    Attributes
    ----------
    key
        Dotted scenario key, e.g. ``"comp.coupling"`` (shown in the tooltip).
    kind
        ``"float"`` or ``"int"`` (a slider), ``"choice"`` (a dropdown) or ``"bool"``.
    help
        The field's description, shown in the tooltip.
    title
        The field's plain-language title: the control's label.
    low, high, step
        Slider range and step (``None`` for dropdowns and checkboxes).
    choices
        The allowed values of a ``Literal`` field.
    """

    key: str
    kind: ControlKind
    help: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    title: str = ""

    @property
    def label(self) -> str:
        """The plain-language title, or the key for a field that has none."""
        return self.title or self.key

    @property
    def tooltip(self) -> str:
        """The dotted key and what it means: ``"comp.coupling: Share of the rating ..."``."""
        return f"{self.key}: {self.help}" if self.help else self.key

    def slider(self) -> tuple[float, float, float]:
        """``(low, high, step)`` of a slider control."""
        if self.low is None or self.high is None or self.step is None:
            raise ValueError(f"{self.key} is a {self.kind} control, not a slider")
        return self.low, self.high, self.step

    def coerce(self, value: Any) -> Any:
        """A value from the browser as the field's type, rounded to the slider's step.

        Browser sliders send floats such as ``0.15000000000000002``; rounding to
        the step's decimals keeps scenario values (and labels) clean.
        """
        if self.kind == "int":
            return round(float(value))
        if self.kind == "float":
            assert self.step is not None
            decimals = max(0, -math.floor(math.log10(self.step))) + 1
            return round(float(value), decimals)
        if self.kind == "bool":
            return bool(value)
        return str(value)


def nice_step(span: float, *, integer: bool) -> float:
    """Slider step: 1 for counts, else the largest 1, 2 or 5 × 10^k ≤ ``span / STEPS_PER_RANGE``.

    Counts (teams, key results, quarters) step by one: every value is a
    different organisation, and a drag still crosses the range quickly.
    """
    raw = span / STEPS_PER_RANGE
    if integer:
        return 1.0
    if raw <= 0:
        return 0.01
    exponent = math.floor(math.log10(raw))
    return max(m * 10.0**exponent for m in (1, 2, 5) if m * 10.0**exponent <= raw)


def fitting_step(step: float, low: float, values: Iterable[float]) -> float:
    """The largest 1, 2 or 5 × 10^k step, at most ``step``, whose grid holds every value.

    A browser slider rounds the value it is given to its grid and sends the
    rounded value back, so a preset's 0.15 on a 0.1 grid would silently
    become 0.1 or 0.2; a grid through every known value shows each exactly.
    """
    offsets = [float(v) - low for v in values]
    exponent = math.floor(math.log10(step)) if step > 0 else -2
    for k in range(exponent, exponent - 7, -1):
        for m in (5, 2, 1):
            candidate = m * 10.0**k
            if candidate > step * (1 + 1e-9):
                continue
            if all(abs(o / candidate - round(o / candidate)) < 1e-6 for o in offsets):
                return candidate
    return step


def control(key: str, known: Iterable[Any] = ()) -> Control:
    """The control of one dotted scenario key, built from its pydantic field.

    ``known`` values (those the scenario library sets for the key) and the
    field's default all lie on a slider's grid (:func:`fitting_step`).

    Raises
    ------
    KeyError
        If ``key`` is not a scalar scenario field.
    """
    info = params.field_info(key)
    annotation = info.annotation
    help_text = info.description or ""
    title = info.title or ""
    if typing.get_origin(annotation) is Literal:
        choices = tuple(typing.get_args(annotation))
        return Control(key, "choice", help_text, choices=choices, title=title)
    if annotation is bool:
        return Control(key, "bool", help_text, title=title)
    if annotation in (int, float):
        low, high = params.bounds(key)
        if low is None or high is None:
            raise KeyError(f"{key}: a slider needs both bounds in the schema")
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        room_high = extra.get("dashboard_le")
        if isinstance(room_high, int | float):
            high = min(high, room_high)
        integer = annotation is int
        step = nice_step(float(high) - float(low), integer=integer)
        if not integer:
            seen = [info.default, *known]
            numbers = [v for v in seen if isinstance(v, int | float) and not isinstance(v, bool)]
            step = fitting_step(step, float(low), numbers)
        kind: ControlKind = "int" if integer else "float"
        return Control(key, kind, help_text, float(low), float(high), step, title=title)
    raise KeyError(f"{key}: no control for a field of type {annotation!r}")


def scalar_keys(groups: tuple[str, ...]) -> Iterator[str]:
    """Every scalar field of the given scenario groups, in schema order."""
    for group in groups:
        model = Scenario.model_fields[group].annotation
        for name in model.model_fields:  # type: ignore[union-attr]
            yield f"{group}.{name}"


def lever_controls(known: Mapping[str, Iterable[Any]] | None = None) -> list[Control]:
    """Every policy lever (``okr``, ``comp``, ``judgment``), key levers first.

    ``known`` maps dotted keys to the values a scenario library sets for them.
    """
    known = known or {}
    rest = [k for k in scalar_keys(LEVER_GROUPS) if k not in KEY_LEVERS]
    return [control(k, known.get(k, ())) for k in (*KEY_LEVERS, *rest)]


def world_controls(known: Mapping[str, Iterable[Any]] | None = None) -> list[Control]:
    """The settings both organisations share."""
    known = known or {}
    return [control(k, known.get(k, ())) for k in WORLD_KEYS]


def known_values(scenarios: Iterable[Scenario]) -> dict[str, set[Any]]:
    """Every value each key takes in ``scenarios``, ``{dotted key: {values}}``."""
    out: dict[str, set[Any]] = {}
    for scenario in scenarios:
        for key, value in scenario.flat().items():
            out.setdefault(key, set()).add(value)
    return out


def values(scenario: Scenario, controls: list[Control]) -> dict[str, Any]:
    """The scenario's current value of each control, keyed by dotted key."""
    flat = scenario.flat()
    return {c.key: flat[c.key] for c in controls}


def changed(
    scenario: Scenario, settings: Mapping[str, Any], controls: list[Control]
) -> dict[str, Any]:
    """The settings that differ from ``scenario``'s own values (what a facilitator moved)."""
    current = values(scenario, controls)
    return {k: v for k, v in settings.items() if k in current and current[k] != v}
