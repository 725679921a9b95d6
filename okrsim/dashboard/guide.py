"""What to try and what to notice with each preset: the dashboard's info panel.

A facilitator picks a preset and needs two sentences: a move to make in the
room and where to look while the run plays.  All of it is the preset's own
header comment, read from the file, so it is written once, beside the
settings it describes: what the file is, then ``Question:``, ``Try:`` and
``Notice:``.  The last two name what to compare and where to look, not a
result: the run shows the result.  A file without them gets general advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from okrsim.params import ScenarioError, read_toml

GENERAL_TIP = (
    "Play it against decoupled, then change one lever in B and press Reset.",
    "The readouts at the top: reported attainment against true value, and honesty.",
)


@dataclass(frozen=True)
class Guide:
    """The info panel of one preset: what it is, the question, what to try and notice."""

    name: str
    about: str
    question: str
    try_this: str
    notice: str


#: The header's labelled parts, in the order they are written.
LABELS = ("Question:", "Try:", "Notice:")


def _parts(path: str | Path) -> dict[str, str]:
    """The file's leading comment, split at :data:`LABELS` (``""``: the part before them)."""
    read_toml(path)  # bounded and checked like any scenario file before its text is read
    lines = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    pattern = "(" + "|".join(re.escape(label) for label in LABELS) + ")"
    pieces = re.split(pattern, " ".join(lines))
    parts = {"": pieces[0].strip()}
    for label, text in zip(pieces[1::2], pieces[2::2], strict=True):
        parts[label] = text.strip()
    return parts


def header(path: str | Path) -> tuple[str, str]:
    """The file's leading comment as ``(what it is, its question)``.

    Comment lines up to the first line that is not a comment are read; the
    question is the part labelled ``Question:``.
    """
    parts = _parts(path)
    return parts[""], parts.get("Question:", "")


def guide(path: str | Path) -> Guide:
    """The info panel for the preset at ``path`` (general advice where it gives none)."""
    name = Path(path).stem
    try:
        parts = _parts(path)
    except ScenarioError as exc:
        parts = {"": str(exc)}
    try_this = parts.get("Try:", GENERAL_TIP[0])
    notice = parts.get("Notice:", GENERAL_TIP[1])
    return Guide(name, parts[""], parts.get("Question:", ""), try_this, notice)
