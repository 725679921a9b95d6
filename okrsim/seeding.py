"""One ``SeedSequence`` per run, split into named, independent streams.

Every random draw in a run comes from one of these streams:

``workforce``
    traits drawn once (capability, self-knowledge error, perception bias, risk
    aversion, honesty, motivation, prosociality, fear of bad news) — the same
    people whatever the policy.  Teams are filled in order, without draws.
``environment``
    the dependency network, shared and aspirational key results, and the
    weekly draws: luck, blocker onsets and clearings, breakthroughs, and each
    employee's misjudgement of its own progress.  Drawn in fixed shapes every
    week (key-result draws for the most key results a person can own) whether
    or not a choice uses them, so they never depend on choices.
``decisions``
    the randomness in agents' own choices (whether and whom to imitate).
``audit``
    which reports a manager checks, managers' estimates of capability, their
    lasting leniency and the noise in judged ratings.
``mesa``
    seeds the Mesa model's own ``rng``/``random`` for anything Mesa draws.
``labour``
    the labour market: each quarter, one candidate per seat (drawn whether
    or not anyone leaves) and the uniforms that decide who leaves.
``beliefs``
    the noise in each employee's impression of its teammates' ratings and
    work at a review, drawn every quarter for every observer and teammate.
``rules``
    the randomness of the decision rules other than optimisation: each
    quarter, a uniform per employee and decision for a logit choice, one for
    a satisficer's search, and the noise in each employee's impression of
    its teammates' payoffs — drawn every quarter under every rule, the
    optimiser's included, so the rule never shifts another draw.
``standing``
    what the organisation hears of each team's mean rating and work at a
    review, drawn every quarter for every team.

Two scenarios that differ only in policy, run with the same seed, therefore
face the same workforce and the same shocks (common random numbers), and the
difference between them is the policy's effect, not noise.

Child streams are spawned with fixed spawn keys by *name*, not by order of
use, so adding a stream never shifts the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

STREAMS: Final = (
    "workforce",
    "environment",
    "decisions",
    "audit",
    "mesa",
    "labour",
    "beliefs",
    "rules",
    "standing",
)
#: Largest root seed: seeds are stored in int64 Parquet columns.
MAX_SEED: Final = 2**63 - 1


@dataclass(frozen=True)
class RunSeed:
    """What rebuilds a run's randomness exactly: entropy and spawn key."""

    entropy: int
    spawn_key: tuple[int, ...] = ()

    @classmethod
    def of(cls, seed: int | np.random.SeedSequence | RunSeed | None) -> RunSeed:
        """The run seed of ``seed``; ``None`` draws fresh entropy from the OS."""
        if seed is None:
            seed = np.random.SeedSequence()
        if isinstance(seed, RunSeed):
            return seed
        if isinstance(seed, np.random.SeedSequence):
            entropy = seed.entropy
            if not isinstance(entropy, int):
                raise TypeError("a run's SeedSequence must have integer entropy")
            return cls(entropy, tuple(int(k) for k in seed.spawn_key))
        return cls(int(seed))

    def sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


#: What seeds a run: an int, a ``SeedSequence`` or a :class:`RunSeed`.
SeedLike = int | np.random.SeedSequence | RunSeed


def streams(seed: int | np.random.SeedSequence | RunSeed) -> dict[str, np.random.Generator]:
    """The run's named generators, each from its own child SeedSequence."""
    root = RunSeed.of(seed)
    return {
        name: np.random.default_rng(
            np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, index))
        )
        for index, name in enumerate(STREAMS)
    }


def replication_seeds(root: int, n: int) -> list[RunSeed]:
    """Seeds for ``n`` replications, planned up front by index from ``root``."""
    return [RunSeed.of(child) for child in np.random.SeedSequence(root).spawn(n)]
