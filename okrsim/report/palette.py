"""The colours every okrsim chart uses: one per policy, one per key-result status.

All colours come from the Okabe–Ito palette, which stays distinguishable
under the common forms of colour-blindness (Okabe & Ito 2008).  The palette is
split in two so that a colour never means two things: the status colours
(green on track, yellow at risk, vermillion off track, grey no target) are
never given to a policy, and a chart of activities (helping, non-OKR work)
does not colour by activity at all but by policy.

A policy's colour is its position in what is shown: the reference (the
first scenario of a comparison, organisation A of the dashboard) is always
blue, the next one always orange, and so on, in every report and in the
dashboard, so a reader who has learnt "blue is the reference" keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

#: The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), black last.
OKABE_ITO: Final = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Policy colours, in the order policies are given: none of them is a status colour.
POLICY_COLOURS: Final = ("#0072B2", "#E69F00", "#CC79A7", "#56B4E9", "#000000")

#: Key-result statuses (on track, at risk, off track, no target) and their colours.
STATUSES: Final = ("on track", "at risk", "off track", "no target")
STATUS_COLOURS: Final = ("#009E73", "#F0E442", "#D55E00", "#BBBBBB")
#: Each status also has its own marker symbol, so a board never relies on colour alone.
STATUS_SYMBOLS: Final = ("circle", "diamond", "x", "circle-open")

#: Line dashes that tell apart policies beyond the five colours, and curves of one
#: chart that could lie on top of each other.
DASHES: Final = ("solid", "dash", "dot", "dashdot", "longdash")
#: Marker symbols with the same purpose as :data:`DASHES`.
SYMBOLS: Final = ("circle", "square", "diamond", "triangle-up", "cross")


def policy_colour(position: int) -> str:
    """The colour of the policy at ``position`` (0 = the reference) in a comparison."""
    return POLICY_COLOURS[position % len(POLICY_COLOURS)]


def policy_dash(position: int) -> str:
    """The line dash of the policy at ``position``: solid for the first five, then others.

    Beyond five policies the colours repeat, and the dash tells the two apart.
    """
    return DASHES[(position // len(POLICY_COLOURS)) % len(DASHES)]


def policy_colours(names: Iterable[str]) -> dict[str, str]:
    """Each policy's colour, by its position in ``names`` (the reference first)."""
    return {name: policy_colour(i) for i, name in enumerate(dict.fromkeys(names))}
