"""What to try and what to notice with each preset: the dashboard's info panel.

A facilitator picks a preset and needs two sentences: a move to make in the
room and where to look while the run plays.  The preset's own header comment
(what the file is and the question it asks) is read from the file, so it is
written once; the "try" and "notice" lines are here, one pair per preset
shipped in ``okrsim/presets``.  They name what to compare and where to look,
not a result: the run shows the result.  A file outside the library gets its
header and general advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from okrsim.params import ScenarioError, read_toml

#: ``{preset stem: (try this, notice that)}``.
TIPS: dict[str, tuple[str, str]] = {
    "annual_review": (
        "Put it in B against coupled in A, and run to the end.",
        "Ambition in weeks 1–13 against the rest of the year, and when reports run ahead.",
    ),
    "assigned_stretch": (
        "Compare it in B with decoupled in A, then lower the stretch of assigned targets.",
        "Stress in One person and the gap on Reported vs true.",
    ),
    "auditor_managers": (
        "Put coach managers in A: same pay, opposite response to bad news.",
        "Blockers: how long they stay hidden, and the watermelon count.",
    ),
    "baseline": (
        "Move the coupling lever in B one step at a time, pressing Reset after each.",
        "Where reported attainment starts to part from true value.",
    ),
    "coach_managers": (
        "Put auditor managers in B: same pay, opposite response to bad news.",
        "Blockers: how soon they are raised, and the watermelon count.",
    ),
    "coupled": (
        "Play it against decoupled in A, then set B's coupling to 0 mid-run.",
        "Ambition: how far B's targets sit below what people expect; the honesty readout.",
    ),
    "cross_team_dependencies": (
        "Compare it with and without coupling, one in A and one in B.",
        "Blockers hidden upstream, and Measured vs true downstream.",
    ),
    "decouple_in_year_two": (
        "Run it in B against coupled in A and play to the end.",
        "The marker at quarter 5: how long ambition and honesty take to come back.",
    ),
    "decoupled": (
        "Keep it in A as the reference; change only B.",
        "Every chart: A is the line the other policy is measured against.",
    ),
    "informed": (
        "Put it in B against decoupled in A.",
        "Ratings: whether ratings track true contribution more closely, and honesty.",
    ),
    "market_shock": (
        "Play to quarter 3 and pause when the shock hits.",
        "Reported vs true when targets become unreachable; stress in One person.",
    ),
    "no_okrs": (
        "Put it in A against decoupled in B: OKRs without pay against no OKRs at all.",
        "Measured vs true: what shared objectives add when nobody games them.",
    ),
    "no_ratchet_commitment": (
        "Put ratchet in A; this promise in B. Then break it: keep the promise off.",
        "Trust readout and Ambition: how fast a kept promise is believed.",
    ),
    "product_team": (
        "Raise B's coupling with the same team in A, and Reset.",
        "Measured vs true and Time use: what coupling costs where judgment is good.",
    ),
    "ratchet": (
        "Put it in B against coupled in A, and play a year.",
        "Reported vs true late in each quarter: output held back once ahead.",
    ),
    "relative_ranking": (
        "Put team_bonus in A: the same half of the rating, ranked or shared.",
        "Time use: how much time goes to helping colleagues.",
    ),
    "sales_desk": (
        "Compare it decoupled (A) and coupled (B) by moving B's coupling.",
        "Ratings: whether the formula beats a manager who sees little.",
    ),
    "team_bonus": (
        "Put relative_ranking in A and play both.",
        "Time use: helping; Measured vs true: the cost of free-riding.",
    ),
    "too_many_okrs": (
        "Compare it with the baseline, then lower key results per person.",
        "Measured vs true, and the watermelon count.",
    ),
}
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


def header(path: str | Path) -> tuple[str, str]:
    """The file's leading comment as ``(what it is, its question)``.

    Comment lines up to the first line that is not a comment are read; the
    question starts at a line beginning ``Question:``.
    """
    read_toml(path)  # bounded and checked like any scenario file before its text is read
    lines = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(lines)
    about, _, question = text.partition("Question:")
    return about.strip(), question.strip()


def guide(path: str | Path) -> Guide:
    """The info panel for the preset at ``path`` (general advice for a file not shipped)."""
    name = Path(path).stem
    try:
        about, question = header(path)
    except ScenarioError as exc:
        about, question = str(exc), ""
    try_this, notice = TIPS.get(name, GENERAL_TIP)
    return Guide(name, about, question, try_this, notice)
