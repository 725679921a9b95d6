"""How much CPU other processes took while a benchmark measured, so a figure taken
under load is flagged rather than trusted.

Reads the machine's busy time from ``/proc/stat`` before and after, and
subtracts this process's own CPU time (:func:`os.times`) and that of every
process descended from it (``/proc/<pid>/stat``: pool workers, which a
forkserver starts and reaps, and Dask's nannies and workers); what the machine
was busy with beyond that was someone else's work.  Descendants are read at the
start and the end and, with ``poll``, every ``poll`` seconds between, so one
that ends mid-measurement counts with what it had used when last seen (a
process that lives less than ``poll`` seconds is missed).  On a machine without
``/proc/stat`` the figure is unknown and says so.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
PROC_STAT = PROC / "stat"
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
    return t.user + t.system


def _descendants() -> dict[tuple[int, int], float]:
    """CPU seconds used so far by each live descendant of this process, keyed by
    (pid, start time) so that a reused pid is a new process."""
    parent: dict[int, int] = {}
    used: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) in ``(…)``:
        # state, ppid, …, utime (14), stime (15), …, starttime (22); see proc(5).
        fields = text[text.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        used[pid] = (int(fields[19]), (int(fields[11]) + int(fields[12])) / tick)
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, ppid in parent.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                found = True
    mine.discard(os.getpid())
    return {(pid, used[pid][0]): used[pid][1] for pid in mine}


@dataclass
class Load:
    """Other processes' CPU during a measurement, in cores on average (None: unknown)."""

    others: float | None = None
    wall: float = 0.0
    _start: tuple[float | None, float, float] = field(default=(None, 0.0, 0.0), repr=False)

    @property
    def quiet(self) -> bool:
        return self.others is not None and self.others <= LOAD_LIMIT

    def note(self) -> str:
        """The short form, to stand beside one figure."""
        if self.others is None:
            return "(others' CPU unknown)"
        return f"(others {self.others:.2f} cores{'' if self.quiet else ': UNDER LOAD'})"

    def describe(self) -> str:
        if self.others is None:
            return "other processes' CPU: unknown (no /proc/stat)"
        flag = "quiet" if self.quiet else "UNDER LOAD: treat the figures with care"
        return (
            f"other processes used {self.others:.2f} cores on average over {self.wall:.0f} s "
            f"({flag})"
        )


@contextmanager
def measured_load(poll: float | None = None) -> Iterator[Load]:
    """Measure other processes' CPU use over the ``with`` block.

    Give ``poll`` (seconds) when the block starts and ends processes of its own.
    """
    load = Load()
    first = _descendants()
    last = dict(first)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(poll):
            last.update(_descendants())

    watcher = threading.Thread(target=watch, daemon=True) if poll else None
    busy0, own0, wall0 = _busy_seconds(), _own_seconds(), time.perf_counter()
    if watcher:
        watcher.start()
    try:
        yield load
    finally:
        done.set()
        if watcher:
            watcher.join()
        last.update(_descendants())
        busy1, own1 = _busy_seconds(), _own_seconds()
        load.wall = time.perf_counter() - wall0
        children = sum(used - first.get(key, 0.0) for key, used in last.items())
        if busy0 is not None and busy1 is not None and load.wall > 0:
            load.others = max((busy1 - busy0) - (own1 - own0) - children, 0.0) / load.wall
