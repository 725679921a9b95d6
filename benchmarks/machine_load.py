"""How much CPU other processes took while a benchmark measured, so a figure taken
under load is flagged rather than trusted.

Reads the machine's busy time from ``/proc/stat`` and this process's (and its
children's) CPU time from :func:`os.times` before and after; what the machine
was busy with beyond that was someone else's work.  On a machine without
``/proc/stat`` the figure is unknown and says so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROC_STAT = Path("/proc/stat")
#: Other processes' average use (in cores) above which a figure counts as taken under load.
LOAD_LIMIT = 0.1
#: /proc/stat fields that count as idle: idle and iowait.
IDLE_FIELDS = (3, 4)


def _busy_seconds() -> float | None:
    try:
        fields = PROC_STAT.read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields[:8]]
    busy = sum(t for i, t in enumerate(ticks) if i not in IDLE_FIELDS)
    return busy / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class Load:
    """Other processes' CPU during a measurement, in cores on average (None: unknown)."""

    others: float | None = None
    wall: float = 0.0
    _start: tuple[float | None, float, float] = field(default=(None, 0.0, 0.0), repr=False)

    @property
    def quiet(self) -> bool:
        return self.others is not None and self.others <= LOAD_LIMIT

    def describe(self) -> str:
        if self.others is None:
            return "other processes' CPU: unknown (no /proc/stat)"
        flag = "quiet" if self.quiet else "UNDER LOAD: treat the figures with care"
        return (
            f"other processes used {self.others:.2f} cores on average over {self.wall:.0f} s "
            f"({flag})"
        )


@contextmanager
def measured_load() -> Iterator[Load]:
    """Measure other processes' CPU use over the ``with`` block."""
    load = Load()
    busy0, own0, wall0 = _busy_seconds(), _own_seconds(), time.perf_counter()
    try:
        yield load
    finally:
        busy1, own1 = _busy_seconds(), _own_seconds()
        load.wall = time.perf_counter() - wall0
        if busy0 is not None and busy1 is not None and load.wall > 0:
            load.others = max((busy1 - busy0) - (own1 - own0), 0.0) / load.wall
