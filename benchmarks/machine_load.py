"""How much CPU other processes took while a benchmark measured, so a figure taken
under load is flagged rather than trusted.

Reads the machine's busy time from ``/proc/stat`` before and after, and
subtracts this process's own CPU time and its descendants'; what the machine
was busy with beyond that was someone else's work.  Descendants' CPU is known
two ways, each short of the truth: the children this process has reaped
(:func:`os.times`) plus what the live ones used (``/proc/<pid>/stat``), which
misses processes reaped by another (a pool's workers are the forkserver's
children); and every descendant's use as last seen in ``/proc``, read at the
start, the end and, with ``poll``, every ``poll`` seconds between, which misses
what one used after it was last seen.  The larger of the two is taken.  On a
machine without ``/proc/stat`` the figure is unknown and says so.
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


def _own_seconds() -> tuple[float, float]:
    """This process's CPU seconds, and its reaped children's."""
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


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
        alive = _descendants()
        last.update(alive)
        busy1, own1 = _busy_seconds(), _own_seconds()
        load.wall = time.perf_counter() - wall0
        seen = sum(used - first.get(key, 0.0) for key, used in last.items())
        reaped = own1[1] - own0[1] + sum(used - first.get(key, 0.0) for key, used in alive.items())
        mine = own1[0] - own0[0] + max(seen, reaped)
        if busy0 is not None and busy1 is not None and load.wall > 0:
            load.others = max(busy1 - busy0 - mine, 0.0) / load.wall
