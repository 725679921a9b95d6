"""docs/ODD.md describes the code as it is.

Section 7's subsections are the submodel modules of ``okrsim/model/``, one each
and in the order of the module map in ``okrsim/model/__init__.py``; each
module's docstring cites the section that describes it; and every dotted name
the ODD puts in backticks (``target_setting.set_targets``, ``InForce.focus``,
``okr.target_rule``) exists, so that someone holding the ODD open finds each
rule where it says.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import okrsim.model
from okrsim.model import OKRModel
from okrsim.params import Scenario

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
MODEL_DIR = ROOT / "okrsim" / "model"

#: Modules of okrsim/model/ that are not §7 submodels, and the ODD section of each:
#: the schedule (§3), the structure (§2) and the employees' forecasts (§4.6).
STRUCTURAL = {
    "model": "3",
    "ensemble": "3",
    "week": "3",
    "stacked_choice": "3",
    "quarter_start": "3",
    "quarter_end": "3",
    "stacking": "3",
    "each_run": "3",
    "workforce": "2.2",
    "agents": "2.1",
    "organisation": "2.1",
    "outlook": "4.6",
}

#: Third-party packages the ODD names (Mesa, the numerics); their names are checked too.
THIRD_PARTY = ("mesa", "numpy", "scipy", "networkx")

#: File names end in one of these; a backticked ``weekly.parquet`` is not a dotted name.
FILE_SUFFIXES = ("md", "py", "json", "parquet", "csv", "html", "toml")

HEADING_7 = re.compile(r"^### 7\.(\d+) (.+?) \((.+)\)$", re.MULTILINE)
LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
CITATION = re.compile(r"docs/ODD\.md §(\d+(?:\.\d+)*)")


def module_map() -> list[tuple[list[str], str]]:
    """The rows of ``okrsim/model/__init__.py``'s table: (module names, ODD section)."""
    rows = []
    for line in (okrsim.model.__doc__ or "").splitlines():
        names = re.findall(r":mod:`~?(?:okrsim\.model)?\.(\w+)`", line)
        section = re.search(r"§(\d+(?:\.\d+)*)", line)
        if names and section:
            rows.append((names, section.group(1)))
    return rows


def section_7_headings() -> list[tuple[str, str, list[str]]]:
    """(number, title, link targets) of every §7 subsection heading, in order."""
    return [
        (number, title, [target for _, target in LINK.findall(links)])
        for number, title, links in HEADING_7.findall(ODD.read_text(encoding="utf-8"))
    ]


def section_text(number: str) -> str:
    """The text of ODD section ``number`` ("3", "2.1", "4.6"), up to the next heading."""
    text = ODD.read_text(encoding="utf-8")
    level = "##" if "." not in number else "###"
    start = re.search(rf"^{level} {re.escape(number)} .*$", text, re.MULTILINE)
    assert start is not None, f"docs/ODD.md has no section {number}"
    end = re.compile(r"^#{2,3} ", re.MULTILINE).search(text, start.end())
    return text[start.end() : end.start() if end else len(text)]


def model_module_names() -> set[str]:
    return {p.stem for p in MODEL_DIR.glob("*.py") if p.stem != "__init__"}


# -- (a) §7 is the submodel modules, one each, in order --------------------------------
def test_module_map_lists_every_model_module_once():
    listed = [name for names, _ in module_map() for name in names]
    assert sorted(listed) == sorted(model_module_names())


def test_module_map_sends_structural_modules_to_their_sections_and_the_rest_to_7():
    sections = {name: section for names, section in module_map() for name in names}
    assert {m: s for m, s in sections.items() if not s.startswith("7.")} == STRUCTURAL


def test_section_7_headings_link_to_existing_files():
    headings = section_7_headings()
    assert [int(number) for number, _, _ in headings] == list(range(1, len(headings) + 1))
    for number, title, targets in headings:
        assert targets, f"§7.{number} {title} links to no module"
        for target in targets:
            assert (ODD.parent / target).resolve().is_file(), f"§7.{number}: {target} is missing"


def test_section_7_headings_are_the_submodel_modules_in_the_module_maps_order():
    from_headings = [
        ("7." + number, [Path(t).stem for t in targets if t.startswith("../okrsim/model/")])
        for number, _, targets in section_7_headings()
    ]
    from_map = [(section, names) for names, section in module_map() if section.startswith("7.")]
    assert from_headings == from_map
    linked = {name for _, names in from_headings for name in names}
    assert linked == model_module_names() - set(STRUCTURAL)


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_module_is_linked_from_its_section(name):
    assert f"](../okrsim/model/{name}.py)" in section_text(STRUCTURAL[name])


# -- (b) each module's docstring cites its section ---------------------------------------
@pytest.mark.parametrize(
    ("section", "name"),
    [("7." + n, Path(t).stem) for n, _, targets in section_7_headings() for t in targets],
)
def test_submodel_docstring_cites_its_heading(section, name):
    module = importlib.import_module(f"okrsim.model.{name}")
    assert CITATION.findall(module.__doc__ or "") == [section]


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_docstring_cites_its_section(name):
    module = importlib.import_module(f"okrsim.model.{name}")
    doc = module.__doc__ or ""
    cited = CITATION.findall(doc) + re.findall(r"§(\d+(?:\.\d+)*)", doc)
    assert STRUCTURAL[name] in cited


# -- (c) every backticked dotted name exists ---------------------------------------------
@cache
def okrsim_modules() -> dict[str, list[str]]:
    """Every okrsim module and package by its last name (``choices`` → okrsim.policies.choices)."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "okrsim").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.setdefault(parts[-1], []).append(".".join(parts))
    return found


@cache
def okrsim_classes() -> dict[str, list[str]]:
    """Every class defined at the top of an okrsim module, by name → its modules."""
    found: dict[str, list[str]] = {}
    for names in okrsim_modules().values():
        for name in names:
            path = ROOT / Path(*name.split("."))
            source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
            for cls in re.findall(r"^class (\w+)", source.read_text(encoding="utf-8"), re.M):
                found.setdefault(cls, []).append(name)
    return found


@cache
def a_model() -> OKRModel:
    """A default model, for the state ``OKRModel.__init__`` sets."""
    return OKRModel(rng=0)


def has_member(owner: Any, name: str) -> bool:
    """Whether ``owner`` (a module, class or instance) has ``name``, fields included."""
    if hasattr(owner, name):
        return True
    if isinstance(owner, type):
        if dataclasses.is_dataclass(owner) and name in {f.name for f in dataclasses.fields(owner)}:
            return True
        if name in getattr(owner, "model_fields", {}):
            return True
        if owner is OKRModel:
            return hasattr(a_model(), name)
    return False


def resolves(owner: Any, path: list[str]) -> bool:
    for i, name in enumerate(path):
        if not has_member(owner, name):
            return False
        if i < len(path) - 1:
            owner = getattr(owner, name, None)
            if owner is None:
                return False
    return True


def resolve(dotted: str) -> bool:
    """Whether a dotted name is a scenario key, or a module's or class's member."""
    first, *rest = dotted.split(".")
    if first in Scenario.model_fields:
        return resolves(Scenario(), [first, *rest])
    owners: list[Any] = []
    owners += [importlib.import_module(m) for m in okrsim_modules().get(first, [])]
    owners += [getattr(importlib.import_module(m), first) for m in okrsim_classes().get(first, [])]
    if first in THIRD_PARTY:
        owners.append(importlib.import_module(first))
    for owner in owners:
        path = list(rest)
        # a package's submodule (numpy.random, okrsim.model.model) is imported, not an attribute
        while path and isinstance(owner, ModuleType) and not hasattr(owner, path[0]):
            try:
                owner = importlib.import_module(f"{owner.__name__}.{path[0]}")
            except ModuleNotFoundError:
                break
            path = path[1:]
        if resolves(owner, path):
            return True
    return False


def backticked_dotted_names() -> list[str]:
    names: set[str] = set()
    for span in re.findall(r"`([^`\n]+)`", ODD.read_text(encoding="utf-8")):
        if "/" in span:  # a path, e.g. okrsim/model/work.py
            continue
        for name in DOTTED.findall(span):
            if name.rsplit(".", 1)[1] not in FILE_SUFFIXES:
                names.add(name)
    return sorted(names)


def test_odd_names_code_in_dotted_form():
    # the check below is only as good as what it finds
    names = backticked_dotted_names()
    assert "target_setting.set_targets" in names
    assert "check_in.BIAS_TOLERANCE" in names
    assert "okr.target_rule" in names


@pytest.mark.parametrize("dotted", backticked_dotted_names())
def test_backticked_dotted_name_exists(dotted):
    assert resolve(dotted), f"docs/ODD.md names `{dotted}`, which does not exist"
