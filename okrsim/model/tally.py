"""The quarter's running tallies: what happened to each employee, summed over weeks.

Every submodel adds to the tally of the quarter in progress; the quarter's
review, learning and records read it, and a new quarter starts a new one.
The tally is the model's bookkeeping of the ground truth beside the
organisation's measures; nothing in it is seen by agents unless a submodel
says so.

docs/ODD.md §7.12 (records).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from okrsim.policies.choices import ACTIVITIES
from okrsim.policies.curves import Array

#: The quarter's thirds by week of the quarter (0-based): weeks 1–4, 5–9, 10–13.
THIRD_STARTS = (0, 4, 9)
#: The first of the quarter's last three weeks (0-based: weeks 11–13), its run-up to the deadline.
LATE_START = 10


@dataclass
class Tally:
    """Per-employee sums over the quarter so far (shape (n,) unless noted)."""

    n: int
    k: int
    # work: the ground truth
    kr_output: Array = field(init=False)
    aligned_output: Array = field(init=False)
    kr_own: Array = field(init=False)
    kr_stalled: Array = field(init=False)
    kr_effort: Array = field(init=False)
    value: Array = field(init=False)
    contribution: Array = field(init=False)
    # contribution as a manager can see it (at the strategy's stated alignment),
    # weighted by judgment's recency
    seen_contribution: Array = field(init=False)
    # one's own contribution as one sees it: at the stated alignment, exploration
    # at its expected value, no rater's recency (a rule's intrinsic motive)
    own_contribution: Array = field(init=False)
    weeks_present: Array = field(init=False)  # weeks the seat was filled
    help_given: Array = field(init=False)
    help_received: Array = field(init=False)
    incidents: Array = field(init=False)
    breakthroughs: Array = field(init=False)
    dependency_weeks: Array = field(init=False)
    overhead: Array = field(init=False)
    hours: Array = field(init=False)  # weeks worked × intensity
    kr_time: Array = field(init=False)  # hours on key results
    visible_time: Array = field(init=False)  # hours making work visible
    # the deadline: key-result output produced in the last three weeks, and
    # output booked in another quarter than it was produced in (either way)
    kr_output_late: Array = field(init=False)
    booked_elsewhere: Array = field(init=False)
    # blockers and check-ins
    raises: Array = field(init=False)
    biased_reports: Array = field(init=False)
    optimistic_reports: Array = field(init=False)
    slanted_reports: Array = field(init=False)
    reports: Array = field(init=False)
    bias: Array = field(init=False)
    caught: Array = field(init=False)
    red_reports: Array = field(init=False)
    audits: Array = field(init=False)
    late_ahead_kr: Array = field(init=False)
    late_ahead_weeks: Array = field(init=False)
    revisions: Array = field(init=False)  # key-result targets revised (agreed)
    revision_requests: Array = field(init=False)  # key-result revisions asked for
    # exploration: hours spent on it (a quarter's bet, failed if no breakthrough)
    explore_time: Array = field(init=False)
    # falling behind and what follows: truly behind pace at the mid-quarter
    # check-in (1/0), and key-result share × intensity summed up to it and after it
    behind_mid: Array = field(init=False)
    kr_drive_first: Array = field(init=False)
    kr_drive_rest: Array = field(init=False)
    # effort by activity, shape (n, 4)
    effort: Array = field(init=False)
    # per key result, shape (n, k): the week (of the quarter, 0-based) it was
    # first blocked and first raised (−1: never), and its output by third, (n, k, 3)
    blocked_week: Array = field(init=False)
    raise_week: Array = field(init=False)
    kr_output_by_third: Array = field(init=False)
    # organisation-wide counts
    hidden_weeks: float = 0.0
    blocked_weeks: float = 0.0
    hidden_reported: float = 0.0
    hidden_true: float = 0.0
    hidden_seen: float = 0.0
    latencies: list[Array] = field(default_factory=list)
    #: Where organisations step together (:mod:`okrsim.model.ensemble`): each
    #: one's rows and its own tally, which keeps its organisation-wide counts.
    parts: list[tuple[slice, Tally]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in _PER_EMPLOYEE:
            setattr(self, name, np.zeros(self.n))
        self.effort = np.zeros((self.n, len(ACTIVITIES)))
        self.blocked_week = np.full((self.n, self.k), -1, dtype=np.int64)
        self.raise_week = np.full((self.n, self.k), -1, dtype=np.int64)
        self.kr_output_by_third = np.zeros((self.n, self.k, len(THIRD_STARTS)))

    @classmethod
    def start(cls, blocked: Array, raised: Array) -> Tally:
        """A new quarter's tally; blockers carried over count from its first week."""
        n, k = blocked.shape
        tally = cls(n, k)
        tally.note(tally.blocked_week, blocked, 0)
        tally.note(tally.raise_week, raised, 0)
        return tally

    @staticmethod
    def note(first_week: Array, happened: Array, week_in_quarter: int) -> None:
        """Record ``week_in_quarter`` where something first happened this quarter."""
        first_week[happened & (first_week < 0)] = week_in_quarter

    @staticmethod
    def third(week_in_quarter: int) -> int:
        """Which third of the quarter a week (0-based) falls in."""
        return int(np.searchsorted(THIRD_STARTS, week_in_quarter, side="right")) - 1

    def add_total(self, name: str, values: Array, where: Array | None = None) -> None:
        """Add to an organisation-wide count: the sum of ``values`` (where ``where``)."""
        if not self.parts:
            chosen = values if where is None else values[where]
            setattr(self, name, getattr(self, name) + chosen.sum())
        elif where is None and values.dtype == bool:
            # counts are exact however summed: each part's at once (parts of one size)
            counts = values.reshape(len(self.parts), -1).sum(axis=1)
            for (_, part), count in zip(self.parts, counts, strict=True):
                setattr(part, name, getattr(part, name) + count)
        else:
            for rows, part in self._parts_with(where):
                part.add_total(name, values[rows], None if where is None else where[rows])

    def add_latencies(self, weeks: Array, where: Array) -> None:
        """Keep the latencies, in weeks, of the blockers ``where`` (if any)."""
        if self.parts:
            for rows, part in self._parts_with(where):
                part.add_latencies(weeks[rows], where[rows])
        elif where.any():
            self.latencies.append(weeks[where].astype(float))

    def _parts_with(self, where: Array | None) -> list[tuple[slice, Tally]]:
        """The parts with anything ``where`` (all without it): adding nothing to a
        count that starts at +0 changes nothing, so the others are passed over."""
        if where is None:
            return self.parts
        has = where.reshape(len(self.parts), -1).any(axis=1)
        return [part for part, any_ in zip(self.parts, has, strict=True) if any_]

    def latency_weeks(self) -> Array:
        return np.concatenate(self.latencies) if self.latencies else np.array([])


#: The per-employee sums, shape (n,), each a new quarter's zeros.
_PER_EMPLOYEE = tuple(f.name for f in fields(Tally) if not f.init and f.type == "Array")
